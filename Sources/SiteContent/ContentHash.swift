import CXXHash

/// An XXH3-128 digest, printed as 32 lower-case hex digits (the same as `xxhsum -H2`).
public struct ContentHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The digest of a byte buffer.
    public init(of bytes: some Collection<UInt8>) {
        var high: UInt64 = 0, low: UInt64 = 0
        let array = Array(bytes)
        array.withUnsafeBytes { sb_xxh3_oneshot($0.baseAddress, $0.count, &high, &low) }
        self.init(high: high, low: low)
    }

    public init(of text: String) {
        var copy = text
        var high: UInt64 = 0, low: UInt64 = 0
        copy.withUTF8 { sb_xxh3_oneshot($0.baseAddress, $0.count, &high, &low) }
        self.init(high: high, low: low)
    }

    public var description: String { hex }

    public static func < (lhs: ContentHash, rhs: ContentHash) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    public var hex: String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 32) { buffer in
            digits.withUTF8Buffer { table in
                for i in 0..<16 {
                    buffer[i] = table[Int((high >> (60 - 4 * UInt64(i))) & 0xf)]
                    buffer[16 + i] = table[Int((low >> (60 - 4 * UInt64(i))) & 0xf)]
                }
            }
            return 32
        }
    }
}

/// Streams bytes into an XXH3-128 state.
public final class ContentHasher {
    private let state: OpaquePointer

    public init() {
        state = sb_xxh3_new()
    }

    deinit { sb_xxh3_free(state) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        _ = sb_xxh3_update(state, bytes.baseAddress, bytes.count)
    }

    public func finalize() -> ContentHash {
        var high: UInt64 = 0, low: UInt64 = 0
        sb_xxh3_digest(state, &high, &low)
        return ContentHash(high: high, low: low)
    }
}

extension ContentHash {
    /// Parses 32 hex digits (either case).
    public init?(hex: String) {
        guard hex.utf8.count == 32 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, c) in hex.utf8.enumerated() {
            let nibble: UInt64
            switch c {
            case 0x30...0x39: nibble = UInt64(c - 0x30)
            case 0x61...0x66: nibble = UInt64(c - 0x61 + 10)
            case 0x41...0x46: nibble = UInt64(c - 0x41 + 10)
            default: return nil
            }
            if i < 16 { high = high << 4 | nibble } else { low = low << 4 | nibble }
        }
        self.init(high: high, low: low)
    }
}
