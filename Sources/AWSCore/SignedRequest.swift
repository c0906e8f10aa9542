/// A signed request ready to send, with every intermediate the signature was built from so
/// that tests and `--debug` output can show exactly what was signed.
public struct SignedRequest: Sendable, Equatable {
    /// The request to send: the input plus `Authorization`, `X-Amz-Date` and friends (header
    /// signing) or plus the `X-Amz-*` query parameters (presigning).
    public var request: SigningRequest
    /// The canonical request, lines joined with `\n`.
    public var canonicalRequest: String
    /// The string to sign, lines joined with `\n`.
    public var stringToSign: String
    /// Hex: an HMAC for SigV4, a DER-encoded ECDSA signature for SigV4A.
    public var signature: String
    /// The lower-case header names covered by the signature, sorted.
    public var signedHeaders: [String]
    /// `<date>/<region>/<service>/aws4_request`, or without the region for SigV4A.
    public var credentialScope: String
    /// The `Authorization` header value; `nil` for a presigned request.
    public var authorization: String?

    public init(request: SigningRequest, canonicalRequest: String, stringToSign: String, signature: String,
                signedHeaders: [String], credentialScope: String, authorization: String?) {
        self.request = request
        self.canonicalRequest = canonicalRequest
        self.stringToSign = stringToSign
        self.signature = signature
        self.signedHeaders = signedHeaders
        self.credentialScope = credentialScope
        self.authorization = authorization
    }
}
