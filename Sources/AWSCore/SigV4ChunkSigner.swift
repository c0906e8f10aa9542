import Foundation

/// Signs the chunks of an S3 `aws-chunked` upload (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`):
/// each chunk's signature chains from the previous one, starting at the seed signature of
/// the request's `Authorization` header.
public struct SigV4ChunkSigner: Sendable {
    private let signingKey: [UInt8]
    private let timestamp: String
    private let credentialScope: String
    /// The signature of the last chunk signed, or the seed signature before the first.
    public private(set) var previousSignature: String

    /// A chunk signer for a request that `signer` signed as of `date` with `seedSignature`.
    public init(signer: SigV4Signer, date: Date, seedSignature: String) {
        let amzDate = AMZDate(date)
        signingKey = signer.signingKey(dateStamp: amzDate.dateStamp)
        timestamp = amzDate.timestamp
        credentialScope = signer.credentialScope(dateStamp: amzDate.dateStamp)
        previousSignature = seedSignature
    }

    /// The signature of the next chunk; sign the final empty chunk too.
    public mutating func sign(chunk: [UInt8]) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256-PAYLOAD", timestamp, credentialScope, previousSignature,
            SHA256.hash([]).hexString, SHA256.hash(chunk).hexString,
        ].joined(separator: "\n")
        previousSignature = HMACSHA256.authenticate(stringToSign, key: signingKey).hexString
        return previousSignature
    }
}
