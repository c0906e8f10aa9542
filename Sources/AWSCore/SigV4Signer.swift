import Foundation
import Synchronization

/// Signs requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`), in the `Authorization`
/// header or as a presigned URL.
///
/// A pure function of its inputs: the signing time is a parameter, never read from a clock,
/// so the same request, credentials and date always give the same signature.
public struct SigV4Signer: Sendable {
    /// The algorithm name that starts the string to sign and the `Authorization` header.
    public static let algorithm = "AWS4-HMAC-SHA256"

    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    public var options: SigningOptions

    /// A signer for `service` in `region`; `options` default to the service's conventions.
    public init(credentials: AWSCredentials, region: String, service: String, options: SigningOptions? = nil) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options ?? .defaults(forService: service)
    }

    /// `request` with `X-Amz-Date`, the session token, `x-amz-content-sha256` as configured
    /// and `Authorization` added, signed as of `date`.
    public func sign(_ request: SigningRequest, date: Date) -> SignedRequest {
        let amzDate = AMZDate(date)
        let key = SigV4SigningKeyCache.shared.key(for: self, dateStamp: amzDate.dateStamp)
        return procedure(for: amzDate).signHeaders(request, at: amzDate) { stringToSign in
            HMACSHA256.authenticate(stringToSign, key: key).hexString
        }
    }

    /// `request` with the `X-Amz-*` query parameters of a URL valid for `expires` seconds
    /// from `date`. Use `.unsigned` as the payload for S3.
    public func presign(_ request: SigningRequest, date: Date, expires: Int) throws -> SignedRequest {
        let amzDate = AMZDate(date)
        let key = signingKey(dateStamp: amzDate.dateStamp)
        return try procedure(for: amzDate).presign(request, at: amzDate, expires: expires) { stringToSign in
            HMACSHA256.authenticate(stringToSign, key: key).hexString
        }
    }

    /// `<YYYYMMDD>/<region>/<service>/aws4_request`.
    public func credentialScope(dateStamp: String) -> String {
        "\(dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// The HMAC chain from the secret through date, region and service to `aws4_request`.
    /// The same for a whole UTC day, so callers signing many requests may keep it.
    public func signingKey(dateStamp: String) -> [UInt8] {
        let dateKey = HMACSHA256.authenticate(dateStamp, key: Array("AWS4\(credentials.secretAccessKey)".utf8))
        let regionKey = HMACSHA256.authenticate(region, key: dateKey)
        let serviceKey = HMACSHA256.authenticate(service, key: regionKey)
        return HMACSHA256.authenticate("aws4_request", key: serviceKey)
    }

    private func procedure(for date: AMZDate) -> SigningProcedure {
        SigningProcedure(algorithm: SigV4Signer.algorithm, credentials: credentials,
                         credentialScope: credentialScope(dateStamp: date.dateStamp), options: options,
                         regionSet: nil)
    }
}

/// The last signing key derived, so a run of requests with the same credentials, region and
/// service on the same day pays for the four-HMAC chain once instead of per request. It keeps
/// a reference to the secret the credentials already hold, not a copy of its own.
final class SigV4SigningKeyCache: Sendable {
    static let shared = SigV4SigningKeyCache()

    private struct Entry {
        var accessKeyId: String
        var secretAccessKey: String
        var dateStamp: String
        var region: String
        var service: String
        var key: [UInt8]
    }

    private let last = Mutex<Entry?>(nil)

    func key(for signer: SigV4Signer, dateStamp: String) -> [UInt8] {
        let credentials = signer.credentials
        if let hit = last.withLock({ entry -> [UInt8]? in
            guard let entry, entry.dateStamp == dateStamp, entry.region == signer.region, entry.service == signer.service,
                  entry.accessKeyId == credentials.accessKeyId, entry.secretAccessKey == credentials.secretAccessKey else { return nil }
            return entry.key
        }) {
            return hit
        }
        let key = signer.signingKey(dateStamp: dateStamp)
        last.withLock {
            $0 = Entry(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, dateStamp: dateStamp,
                       region: signer.region, service: signer.service, key: key)
        }
        return key
    }
}
