import COpenSSL

/// HMAC-SHA256 from OpenSSL's libcrypto: the primitive behind SigV4 signing keys and
/// signatures, and the SigV4A key-derivation function.
public enum HMACSHA256 {
    /// The 32-byte MAC of `message` under `key`.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                _ = sb_hmac_sha256(keyBytes.baseAddress, Int32(keyBytes.count),
                                   messageBytes.baseAddress, messageBytes.count, &mac, &length)
            }
        }
        return mac
    }

    /// The MAC of the UTF-8 bytes of `message` under `key`.
    public static func authenticate(_ message: String, key: [UInt8]) -> [UInt8] {
        authenticate(Array(message.utf8), key: key)
    }
}
