import Foundation

/// Signs requests with SigV4A (`AWS4-ECDSA-P256-SHA256`): multi-region signing with an ECDSA
/// P-256 key derived from the secret, as CloudFront KeyValueStore and multi-region access
/// points require.
///
/// The canonical request is SigV4's plus the signed `x-amz-region-set` header; the credential
/// scope has no region. Signatures are randomized ECDSA, so two signatures of the same request
/// differ and both verify. The signing time is a parameter, never read from a clock.
public struct SigV4ASigner: Sendable {
    /// The algorithm name that starts the string to sign and the `Authorization` header.
    public static let algorithm = "AWS4-ECDSA-P256-SHA256"

    public var credentials: AWSCredentials
    public var service: String
    /// Regions the signature is valid in, e.g. `["us-east-1"]`, or `["*"]` for all.
    public var regionSet: [String]
    public var options: SigningOptions
    public var keyCache: SigV4AKeyCache

    /// A signer for `service` valid in `regionSet`; `options` default to the service's
    /// conventions.
    public init(credentials: AWSCredentials, service: String, regionSet: [String], options: SigningOptions? = nil,
                keyCache: SigV4AKeyCache = .shared) {
        self.credentials = credentials
        self.service = service
        self.regionSet = regionSet
        self.options = options ?? .defaults(forService: service)
        self.keyCache = keyCache
    }

    /// `request` with `X-Amz-Date`, `X-Amz-Region-Set`, the session token,
    /// `x-amz-content-sha256` as configured and `Authorization` added, signed as of `date`.
    public func sign(_ request: SigningRequest, date: Date) throws -> SignedRequest {
        let key = try privateKey()
        let amzDate = AMZDate(date)
        return try procedure(for: amzDate).signHeaders(request, at: amzDate) { stringToSign in
            try key.sign(Array(stringToSign.utf8)).hexString
        }
    }

    /// `request` with the `X-Amz-*` query parameters (including `X-Amz-Region-Set`) of a URL
    /// valid for `expires` seconds from `date`.
    public func presign(_ request: SigningRequest, date: Date, expires: Int) throws -> SignedRequest {
        let key = try privateKey()
        let amzDate = AMZDate(date)
        return try procedure(for: amzDate).presign(request, at: amzDate, expires: expires) { stringToSign in
            try key.sign(Array(stringToSign.utf8)).hexString
        }
    }

    /// The key derived from the credentials, from the cache when already derived.
    public func privateKey() throws -> SigV4APrivateKey {
        try keyCache.key(for: credentials)
    }

    /// The public half of the derived key, to hand to whoever verifies.
    public func publicKey() throws -> SigV4APublicKey {
        try privateKey().publicKey
    }

    /// `<YYYYMMDD>/<service>/aws4_request`: no region, unlike SigV4.
    public func credentialScope(dateStamp: String) -> String {
        "\(dateStamp)/\(service)/aws4_request"
    }

    /// Whether `signature` (hex DER, as in `Authorization`) is a valid signature of
    /// `stringToSign` by `publicKey`. Throws if the signature is not hex or the key is not a
    /// point on P-256.
    public static func verify(signature: String, publicKey: SigV4APublicKey, stringToSign: String) throws -> Bool {
        guard let der = [UInt8](hex: signature) else { throw SigningError.invalidHex(what: "SigV4A signature") }
        return try publicKey.isValidSignature(der, for: Array(stringToSign.utf8))
    }

    private func procedure(for date: AMZDate) -> SigningProcedure {
        SigningProcedure(algorithm: SigV4ASigner.algorithm, credentials: credentials,
                         credentialScope: credentialScope(dateStamp: date.dateStamp), options: options,
                         regionSet: regionSet.joined(separator: ","))
    }
}
