import COpenSSL

/// MD5 from OpenSSL's libcrypto, for S3's `Content-MD5` header (an integrity check, not security).
enum S3MD5 {
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        let context = sb_md_ctx_new()
        defer { sb_md_ctx_free(context) }
        sb_digest_init(context, sb_evp_md5())
        bytes.withUnsafeBytes { _ = sb_digest_update(context, $0.baseAddress, $0.count) }
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        sb_digest_final(context, &digest, &length)
        return digest
    }

    /// The `Content-MD5` value: base64 of the 16 raw digest bytes.
    static func contentMD5(_ bytes: [UInt8]) -> String {
        digest(bytes).base64
    }
}

extension Array where Element == UInt8 {
    fileprivate var base64: String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out = [UInt8]()
        var index = 0
        while index < count {
            let b0 = self[index], b1 = index + 1 < count ? self[index + 1] : 0, b2 = index + 2 < count ? self[index + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < count ? table[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < count ? table[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
