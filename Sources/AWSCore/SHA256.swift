import COpenSSL

/// SHA-256 from OpenSSL's libcrypto, streaming.
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        context = sb_md_ctx_new()
        sb_digest_init(context, sb_evp_sha256())
    }

    deinit { sb_md_ctx_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        sb_digest_update(context, bytes.baseAddress, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest; the hasher cannot be used after this.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        sb_digest_final(context, &digest, &length)
        return digest
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex, as AWS signatures and `sha256sum` print it.
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
