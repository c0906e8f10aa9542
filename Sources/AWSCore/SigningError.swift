/// A request that cannot be signed, or signing material that is not usable, with a sentence
/// saying what was wrong and what to do.
public struct SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidExpiry(Int)
        case keyDerivationExhausted(accessKeyId: String)
        case invalidPublicKey(String)
        case invalidHex(what: String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// A presigned URL lifetime outside the 1 second to 7 days that SigV4 allows.
    public static func invalidExpiry(_ seconds: Int) -> SigningError { SigningError(.invalidExpiry(seconds)) }

    /// No counter from 1 to 254 gave a SigV4A private key below the P-256 group order.
    public static func keyDerivationExhausted(accessKeyId: String) -> SigningError {
        SigningError(.keyDerivationExhausted(accessKeyId: accessKeyId))
    }

    /// Coordinates that are not a P-256 public key.
    public static func invalidPublicKey(_ reason: String) -> SigningError { SigningError(.invalidPublicKey(reason)) }

    /// A value that should be hexadecimal but is not.
    public static func invalidHex(what: String) -> SigningError { SigningError(.invalidHex(what: what)) }

    public var description: String {
        switch code {
        case .invalidExpiry(let seconds):
            return "presigned URL expiry of \(seconds) seconds is outside 1...604800 (7 days); choose a shorter lifetime"
        case .keyDerivationExhausted(let accessKeyId):
            return "SigV4A key derivation for access key \(accessKeyId) found no valid P-256 scalar in 254 attempts; use another access key"
        case .invalidPublicKey(let reason):
            return "not a P-256 public key: \(reason); expected 32-byte X and Y coordinates of a point on the curve"
        case .invalidHex(let what):
            return "\(what) is not an even-length hexadecimal string"
        }
    }
}
