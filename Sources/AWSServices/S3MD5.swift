import COpenSSL
import Foundation

/// MD5 from OpenSSL's libcrypto, for S3's `Content-MD5` header and ETags (an integrity check,
/// not security).
public enum S3MD5 {
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

    /// The ETag S3 gives an object uploaded from the file at `path` (without quotes): the hex
    /// MD5 of the bytes for a single PUT, or for a multipart upload with parts of `partSize`
    /// the MD5 of the parts' MD5s followed by `-<parts>`. Nil when the file cannot be read.
    public static func expectedETag(path: String, size: Int64, partSize: Int64?) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: Int(max(1, min(size, 1 << 20))))
        func md5(offset: Int64, length: Int64) -> [UInt8]? {
            let context = sb_md_ctx_new()
            defer { sb_md_ctx_free(context) }
            sb_digest_init(context, sb_evp_md5())
            var position = offset
            var remaining = length
            while remaining > 0 {
                let wanted = Int(min(Int64(buffer.count), remaining))
                let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, wanted, off_t(position)) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return nil }
                buffer.withUnsafeBytes { _ = sb_digest_update(context, $0.baseAddress, count) }
                position += Int64(count)
                remaining -= Int64(count)
            }
            var digest = [UInt8](repeating: 0, count: 16)
            var length: UInt32 = 0
            sb_digest_final(context, &digest, &length)
            return digest
        }
        guard let partSize, partSize > 0 else { return md5(offset: 0, length: size).map(hex) }
        var concatenated: [UInt8] = []
        var offset: Int64 = 0
        var parts = 0
        repeat {
            guard let part = md5(offset: offset, length: min(partSize, size - offset)) else { return nil }
            concatenated += part
            offset += partSize
            parts += 1
        } while offset < size
        return hex(digest(concatenated)) + "-\(parts)"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The `Content-MD5` value: base64 of the 16 raw digest bytes.
    static func contentMD5(_ bytes: [UInt8]) -> String {
        digest(bytes).base64
    }

    /// The `Content-MD5` of an empty body.
    static let emptyContentMD5 = "1B2M2Y8AsgTpgAmY7PHvCQ=="

    /// MD5 fed block by block, for a body hashed while it is read for its SHA-256 too.
    final class Hasher {
        private let context: OpaquePointer

        init() {
            context = sb_md_ctx_new()
            sb_digest_init(context, sb_evp_md5())
        }

        deinit { sb_md_ctx_free(context) }

        func update(_ bytes: UnsafeRawBufferPointer) {
            sb_digest_update(context, bytes.baseAddress, bytes.count)
        }

        /// The 16-byte digest; the hasher cannot be used after this.
        func finalize() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: 16)
            var length: UInt32 = 0
            sb_digest_final(context, &digest, &length)
            return digest
        }
    }
}

extension Array where Element == UInt8 {
    /// Base64 with padding, as `Content-MD5` and `x-amz-checksum-*` carry digests.
    var base64: String {
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
