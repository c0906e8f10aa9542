import Foundation
import SiteContent
import Testing

@Suite("ContentHash (XXH3-128)")
struct ContentHashTests {
    static let xxhsum = "/usr/bin/xxhsum"

    /// Deterministic, non-repeating bytes (a small LCG).
    static func bytes(count: Int, seed: UInt32 = 1) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    /// The first field of `xxhsum -H2 <file>` for `bytes` written to a temporary file.
    static func referenceHash(_ bytes: [UInt8]) throws -> String {
        let tmp = try TemporaryDirectory("contenthash")
        defer { tmp.remove() }
        let file = try tmp.write("input.bin", Data(bytes))
        let result = try run(xxhsum, ["-H2", file])
        try #require(result.status == 0, "xxhsum failed: \(result.stderr)")
        let field = try #require(result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).first)
        return String(field)
    }

    // Sizes chosen to cross XXH3's internal boundaries (0, 1–3, 4–8, 9–16, 17–128, 129–240,
    // long input, one stripe, one block).
    @Test(arguments: [0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 65_536, 1_000_003])
    func matchesXxhsumCommandLine(_ size: Int) throws {
        let input = Self.bytes(count: size, seed: UInt32(size) &+ 7)
        let expected = try Self.referenceHash(input)
        #expect(expected.count == 32)
        #expect(ContentHash(of: input).hex == expected)
    }

    @Test func matchesXxhsumForText() throws {
        let text = "<!doctype html>\n<title>héllo</title>\n"
        #expect(ContentHash(of: text).hex == (try Self.referenceHash(Array(text.utf8))))
        #expect(ContentHash(of: text) == ContentHash(of: Array(text.utf8)))
    }

    @Test func knownDigests() {
        // XXH3-128 of "" and "abc", as printed by xxhsum 0.8 -H2.
        #expect(ContentHash(of: [UInt8]()).hex == "99aa06d3014798d86001c324468d497f")
        #expect(ContentHash(of: "abc").hex == "06b05ab6733a618578af5f94892f3950")
    }

    @Test func acceptsAnyByteCollection() {
        let input = Self.bytes(count: 300)
        let expected = ContentHash(of: input)
        #expect(ContentHash(of: input[...]) == expected)
        #expect(ContentHash(of: Data(input)) == expected)
        #expect(ContentHash(of: input.dropFirst()) != expected)
    }

    @Test(arguments: [1, 7, 64, 4096])
    func streamingEqualsOneShot(_ chunk: Int) {
        let input = Self.bytes(count: 10_000, seed: 99)
        let hasher = ContentHasher()
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            input[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        #expect(hasher.finalize() == ContentHash(of: input))
    }

    @Test func streamingEmptyInput() {
        #expect(ContentHasher().finalize() == ContentHash(of: [UInt8]()))
    }

    @Test func differentInputsDiffer() {
        var input = Self.bytes(count: 1000)
        let before = ContentHash(of: input)
        input[500] ^= 1
        #expect(ContentHash(of: input) != before)
    }

    @Test func hexIsHighWordThenLowWordPaddedToThirtyTwoDigits() {
        let hash = ContentHash(high: 0x1, low: 0xABC)
        #expect(hash.hex == "0000000000000001" + "0000000000000abc")
        #expect(hash.description == hash.hex)
        #expect(ContentHash(high: .max, low: 0).hex == "ffffffffffffffff0000000000000000")
        let real = ContentHash(of: "abc")
        #expect(real.hex == ContentHash.hexOf(real))
    }
}

extension ContentHash {
    /// An independent formatting of the two words, to cross-check `hex`.
    static func hexOf(_ hash: ContentHash) -> String {
        String(format: "%016llx%016llx", hash.high, hash.low)
    }
}
