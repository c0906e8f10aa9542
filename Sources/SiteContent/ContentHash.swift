import CXXHash

/// An XXH3-128 digest, printed as 32 lower-case hex digits (the same as `xxhsum -H2`).
public struct ContentHash: Sendable, Hashable, CustomStringConvertible {
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
        self.init(of: Array(text.utf8))
    }

    public var description: String { hex }

    public var hex: String {
        Self.hex64(high) + Self.hex64(low)
    }

    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
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
