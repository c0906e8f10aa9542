/// SplitMix64: small, fast and reproducible from its seed (printed by every run).
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// Byte-level mutations in the style of AFL and libFuzzer: bit flips, interesting
/// values, insertions, deletions, duplications, splices with another seed, truncation,
/// and dictionary tokens.
struct Mutator {
    /// Tokens worth inserting whole (format magic, path tricks, YAML syntax).
    var dictionary: [[UInt8]]

    static let interestingBytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x2F, 0x2E, 0x5C, 0x30, 0x37, 0x0A, 0x20]

    func mutate(_ input: [UInt8], splice other: [UInt8], random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        let rounds = 1 + Int.random(in: 0..<4, using: &random)
        for _ in 0..<rounds {
            bytes = mutateOnce(bytes, splice: other, random: &random)
        }
        return bytes
    }

    private func mutateOnce(_ input: [UInt8], splice other: [UInt8], random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        if bytes.isEmpty { return random.pick(dictionary) }
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<10, using: &random) {
        case 0:
            bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1:
            bytes[at] = random.pick(Self.interestingBytes)
        case 2:
            bytes[at] = UInt8.random(in: 0...255, using: &random)
        case 3:
            let count = min(bytes.count - at, 1 + Int.random(in: 0..<64, using: &random))
            bytes.removeSubrange(at..<at + count)
        case 4:
            let count = min(bytes.count - at, 1 + Int.random(in: 0..<256, using: &random))
            let copy = Array(bytes[at..<at + count])
            bytes.insert(contentsOf: copy, at: Int.random(in: 0...bytes.count, using: &random))
        case 5:
            bytes.insert(contentsOf: random.pick(dictionary), at: at)
        case 6:
            let token = random.pick(dictionary)
            for (i, b) in token.enumerated() where at + i < bytes.count { bytes[at + i] = b }
        case 7:
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
        case 8 where !other.isEmpty:
            let from = Int.random(in: 0..<other.count, using: &random)
            let count = min(other.count - from, 1 + Int.random(in: 0..<512, using: &random))
            bytes.replaceSubrange(at..<min(bytes.count, at + count), with: other[from..<from + count])
        default:
            let count = min(bytes.count - at, 1 + Int.random(in: 0..<16, using: &random))
            for i in at..<at + count { bytes[i] = UInt8.random(in: 0...255, using: &random) }
        }
        return bytes
    }
}
