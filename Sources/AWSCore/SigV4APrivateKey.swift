import COpenSSL

/// The P-256 key SigV4A signs with, derived deterministically from an access key pair as
/// aws-c-auth does (NIST SP 800-108 counter-mode KDF with HMAC-SHA256), so every SDK and
/// service derives the same key from the same credentials.
public struct SigV4APrivateKey: Sendable {
    /// The KDF label and the SigV4A algorithm name.
    static let label = "AWS4-ECDSA-P256-SHA256"
    /// n − 2 for the P-256 group order n, big-endian.
    static let orderMinusTwo: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x4F,
    ]

    /// The private scalar d, 32 bytes big-endian, 1 ≤ d ≤ n − 1.
    public let scalar: [UInt8]
    public let publicKey: SigV4APublicKey
    /// The KDF counter that produced an acceptable candidate (almost always 1).
    public let counter: UInt8

    /// Derives the key for an access key id and secret. Costly enough (an EC point
    /// multiplication) that signers go through `SigV4AKeyCache`.
    public static func derive(accessKeyId: String, secretAccessKey: String) throws -> SigV4APrivateKey {
        let key = Array("AWS4A\(secretAccessKey)".utf8)
        for counter in UInt8(1)...254 {
            let candidate = HMACSHA256.authenticate(fixedInput(accessKeyId: accessKeyId, counter: counter), key: key)
            if isAtMostOrderMinusTwo(candidate) {
                let scalar = addingOne(to: candidate)
                return SigV4APrivateKey(scalar: scalar, publicKey: try SigV4APublicKey(privateScalar: scalar),
                                        counter: counter)
            }
        }
        throw SigningError.keyDerivationExhausted(accessKeyId: accessKeyId)
    }

    /// `00000001 ‖ label ‖ 00 ‖ access key id ‖ counter ‖ 00000100` (256 output bits).
    static func fixedInput(accessKeyId: String, counter: UInt8) -> [UInt8] {
        [0, 0, 0, 1] + Array(label.utf8) + [0] + Array(accessKeyId.utf8) + [counter] + [0, 0, 1, 0]
    }

    /// A DER-encoded ECDSA signature of SHA-256(`message`); randomized, so it differs on
    /// every call and must be checked by verifying, not by comparing.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        let point = publicKey.uncompressed
        guard let key = sb_p256_pkey(scalar, scalar.count, point, point.count) else {
            throw OpenSSLError(operation: "loading the SigV4A P-256 key")
        }
        defer { sb_pkey_free(key) }
        var signature = [UInt8](repeating: 0, count: 80)
        var length = signature.count
        guard sb_ecdsa_sha256_sign(key, message, message.count, &signature, &length) == 1 else {
            throw OpenSSLError(operation: "ECDSA P-256 signing")
        }
        return Array(signature.prefix(length))
    }

    /// Whether `candidate` ≤ n − 2, read big-endian, without branching on its bytes.
    private static func isAtMostOrderMinusTwo(_ candidate: [UInt8]) -> Bool {
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            let difference = Int(orderMinusTwo[index]) - Int(candidate[index]) - borrow
            borrow = (difference >> 8) & 1
        }
        return borrow == 0
    }

    /// `value` + 1 as a 256-bit big-endian integer; callers ensure it cannot overflow.
    private static func addingOne(to value: [UInt8]) -> [UInt8] {
        var result = value
        var carry: UInt16 = 1
        for index in stride(from: 31, through: 0, by: -1) {
            let sum = UInt16(result[index]) + carry
            result[index] = UInt8(truncatingIfNeeded: sum)
            carry = sum >> 8
        }
        return result
    }
}

extension SigV4APrivateKey: CustomStringConvertible {
    /// Shows the public key only.
    public var description: String {
        "SigV4APrivateKey(<redacted>, publicKey: (\(publicKey.xHex), \(publicKey.yHex)))"
    }
}
