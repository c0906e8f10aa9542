/// Per-service choices in how a request is canonicalized and what the signer adds. The
/// defaults for a service name follow the SDKs; tests override them per vector.
public struct SigningOptions: Sendable, Equatable {
    /// How the wire path becomes the canonical URI.
    public enum URIEncodingMode: Sendable, Equatable {
        /// Encode the wire path again (`%3A` becomes `%253A`): every service but S3.
        case double
        /// The wire path is already the canonical URI (S3): used as sent, with only bytes that
        /// should have been escaped being escaped.
        case single
    }

    public var uriEncoding: URIEncodingMode
    /// Resolve `.`/`..` and collapse `//` before encoding. Never for S3, whose keys may
    /// contain such segments.
    public var normalizePath: Bool
    /// Send and sign `x-amz-content-sha256` with the hashed payload (required by S3).
    /// Header signing only; presigned URLs carry no extra headers.
    public var addsContentHashHeader: Bool
    /// Send the session token but leave it out of the signature, for services that expect
    /// it to be added after signing (the test suite's `post-sts-header-after`).
    public var omitsSessionTokenFromSignature: Bool

    public init(uriEncoding: URIEncodingMode = .double, normalizePath: Bool = true,
                addsContentHashHeader: Bool = false, omitsSessionTokenFromSignature: Bool = false) {
        self.uriEncoding = uriEncoding
        self.normalizePath = normalizePath
        self.addsContentHashHeader = addsContentHashHeader
        self.omitsSessionTokenFromSignature = omitsSessionTokenFromSignature
    }

    /// The conventional options for `service`: S3 signs the path as sent and always sends
    /// `x-amz-content-sha256`; every other service double-encodes a normalized path.
    public static func defaults(forService service: String) -> SigningOptions {
        switch service {
        case "s3", "s3-outposts", "s3express":
            return SigningOptions(uriEncoding: .single, normalizePath: false, addsContentHashHeader: true)
        default:
            return SigningOptions()
        }
    }
}
