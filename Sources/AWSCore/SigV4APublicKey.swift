import COpenSSL

/// A P-256 public key as SigV4A publishes it: the X and Y coordinates, 32 bytes each. Used to
/// check signatures, e.g. against the test suite's `public-key.json`.
public struct SigV4APublicKey: Sendable, Equatable {
    public let x: [UInt8]
    public let y: [UInt8]

    /// Lower-case hex of X, as in `public-key.json`.
    public var xHex: String { x.hexString }
    /// Lower-case hex of Y, as in `public-key.json`.
    public var yHex: String { y.hexString }
    /// `04 ‖ X ‖ Y`, the SEC 1 uncompressed encoding.
    public var uncompressed: [UInt8] { [0x04] + x + y }

    /// A key from its coordinates; throws unless both are 32 bytes. Whether the point is on
    /// the curve is checked when it is used.
    public init(x: [UInt8], y: [UInt8]) throws {
        guard x.count == 32, y.count == 32 else {
            throw SigningError.invalidPublicKey("coordinates are \(x.count) and \(y.count) bytes")
        }
        self.x = x
        self.y = y
    }

    /// A key from hex coordinates, as `public-key.json` spells them.
    public init(xHex: String, yHex: String) throws {
        guard let x = [UInt8](hex: xHex) else { throw SigningError.invalidHex(what: "public key X") }
        guard let y = [UInt8](hex: yHex) else { throw SigningError.invalidHex(what: "public key Y") }
        try self.init(x: x, y: y)
    }

    /// `scalar`·G, the public half of a private key.
    init(privateScalar scalar: [UInt8]) throws {
        var point = [UInt8](repeating: 0, count: 65)
        guard sb_p256_public_point(scalar, scalar.count, &point) == 1, point[0] == 0x04 else {
            throw OpenSSLError(operation: "computing the SigV4A public key")
        }
        try self.init(x: Array(point[1...32]), y: Array(point[33...64]))
    }

    /// Whether `signature` (DER) is an ECDSA P-256 signature of SHA-256(`message`) by this key.
    /// Throws if the coordinates are not a point on the curve.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) throws -> Bool {
        let point = uncompressed
        guard let key = sb_p256_pkey(nil, 0, point, point.count) else {
            _ = OpenSSLError(operation: "loading the public key")
            throw SigningError.invalidPublicKey("the point (\(xHex), \(yHex)) is not on P-256")
        }
        defer { sb_pkey_free(key) }
        let result = sb_ecdsa_sha256_verify(key, message, message.count, signature, signature.count)
        if result < 0 { _ = OpenSSLError(operation: "verifying an ECDSA signature") }
        return result == 1
    }
}
