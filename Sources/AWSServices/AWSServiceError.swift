import AWSCore
import Foundation

/// A service call that failed: the sentence names the service, the operation, the error code
/// and what to do. It never contains request or response values other than the service's own
/// error message, which AWS does not fill with secret values.
public struct AWSServiceError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        /// The service answered with an error document.
        case service(code: String, message: String?, status: Int)
        /// No answer: connection, TLS, timeout, or retries exhausted.
        case transport(reason: String)
        /// The service answered 2xx with a body this client cannot read.
        case malformedResponse(reason: String)
        /// The endpoint URL is unusable.
        case badEndpoint(url: String, source: String)
    }

    private let code: Code
    /// The service's display name: `SSM`, `Secrets Manager`.
    public let service: String
    /// The operation name: `GetParameters`.
    public let operation: String
    /// Where the request's credentials came from (`environment`, `profile ci`, …), when the
    /// client recorded it; named in the advice for credential errors.
    public private(set) var credentialSource: String?
    /// How many attempts were made when the retries ran out on this error (nil when it came
    /// at once), and whether the service was throttling to the end.
    public private(set) var attempts: Int?
    private var throttledToTheEnd = false
    /// The server's time and this machine's (corrected, if it was) when the request was
    /// refused as signed at the wrong time: the advice says by how much the clock is off.
    private var clocks: (server: Date, local: Date)?

    private init(_ code: Code, service: String, operation: String) {
        self.code = code
        self.service = service
        self.operation = operation
    }

    /// This error as the last answer of `exhausted`: the message says how many attempts were
    /// made, and for throttling to the end what to do about it.
    public func after(_ exhausted: RetryExhaustedError) -> AWSServiceError {
        var error = self
        error.attempts = exhausted.attempts
        error.throttledToTheEnd = exhausted.wasThrottled
        return error
    }

    /// This error with the server's and this machine's time when the request was refused.
    func measuring(server: Date, local: Date) -> AWSServiceError {
        var error = self
        error.clocks = (server, local)
        return error
    }

    /// This error, naming `source` as where the credentials came from (see ``credentialSource``).
    public func attributing(credentialsTo source: String) -> AWSServiceError {
        var error = self
        error.credentialSource = source
        return error
    }

    static func service(_ service: String, _ operation: String, code: String, message: String?, status: Int) -> AWSServiceError {
        AWSServiceError(.service(code: code, message: message, status: status), service: service, operation: operation)
    }

    static func transport(_ service: String, _ operation: String, _ reason: String) -> AWSServiceError {
        AWSServiceError(.transport(reason: reason), service: service, operation: operation)
    }

    static func malformedResponse(_ service: String, _ operation: String, _ reason: String) -> AWSServiceError {
        AWSServiceError(.malformedResponse(reason: reason), service: service, operation: operation)
    }

    static func badEndpoint(_ service: String, _ operation: String, url: String, source: String) -> AWSServiceError {
        AWSServiceError(.badEndpoint(url: url, source: source), service: service, operation: operation)
    }

    /// The AWS error code (`ResourceNotFoundException`), or nil when the service gave none.
    public var errorCode: String? {
        if case .service(let code, _, _) = code { return code }
        return nil
    }

    /// The HTTP status of the error response, or nil when there was none.
    public var status: Int? {
        if case .service(_, _, let status) = code { return status }
        return nil
    }

    public var description: String {
        let call = "\(service) \(operation)"
        switch code {
        case .service(let code, let message, let status):
            let detail = message.map { ": \($0)" } ?? ""
            let retried = attempts.map { " after \($0) attempt\($0 == 1 ? "" : "s")" } ?? ""
            if throttledToTheEnd {
                return "\(call) failed with \(code) (HTTP \(status))\(retried)\(detail); \(service) is throttling: lower the "
                    + "concurrency (fewer deploys or syncs against it at once) or retry later"
            }
            if let clocks {
                return "\(call) failed with \(code) (HTTP \(status))\(retried)\(detail); " + Self.skewAdvice(service: service, clocks)
            }
            return "\(call) failed with \(code) (HTTP \(status))\(retried)\(detail); "
                + Self.advice(code: code, service: service, operation: operation, credentialSource: credentialSource)
        case .transport(let reason):
            return "\(call) failed: \(reason)"
        case .malformedResponse(let reason):
            return "\(call) returned a response sitebuild cannot read (\(reason)); check that the endpoint is really \(service)"
        case .badEndpoint(let url, let source):
            return "\(call): the endpoint '\(url)' from \(source) is not a valid URL; set it to something like https://host:port"
        }
    }

    /// A request refused as signed too far from the server's time: by how much this
    /// machine's clock is off.
    private static func skewAdvice(service: String, _ clocks: (server: Date, local: Date)) -> String {
        let minutes = Int((clocks.local.timeIntervalSince(clocks.server) / 60).rounded())
        let off = minutes == 0 ? "off by less than a minute" : "\(abs(minutes)) minute\(abs(minutes) == 1 ? "" : "s") \(minutes > 0 ? "ahead" : "behind")"
        return "this machine's clock is \(off) (\(service)'s time was \(UTCTime.iso(clocks.server, milliseconds: false)), this machine's "
            + "\(UTCTime.iso(clocks.local, milliseconds: false))): set the clock right (NTP: timedatectl set-ntp true, or the host's time service)"
    }

    /// The IAM action(s) that permit `operation` of `service`, as a policy names them. S3's
    /// differ from its operation names (a listing is `s3:ListBucket`, a part upload
    /// `s3:PutObject`); the other services' operations are their actions, with their prefix.
    static func iamActions(service: String, operation: String) -> String {
        guard service == "S3" else {
            let prefixes = ["CloudFront": "cloudfront", "CloudFront KeyValueStore": "cloudfront-keyvaluestore", "DynamoDB": "dynamodb",
                            "Route 53": "route53", "ACM": "acm", "SSM": "ssm", "Secrets Manager": "secretsmanager"]
            return prefixes[service].map { "\($0):\(operation)" } ?? operation
        }
        switch operation {
        case "GetObject", "HeadObject": return "s3:GetObject"
        case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload": return "s3:PutObject"
        case "CopyObject", "UploadPartCopy": return "s3:PutObject (and s3:GetObject on the object copied)"
        case "AbortMultipartUpload": return "s3:AbortMultipartUpload"
        case "ListObjectsV2", "ListObjects", "HeadBucket": return "s3:ListBucket"
        case "ListMultipartUploads": return "s3:ListBucketMultipartUploads"
        case "DeleteObject", "DeleteObjects": return "s3:DeleteObject"
        case "GetBucketLocation": return "s3:GetBucketLocation"
        case "CreateBucket": return "s3:CreateBucket"
        default: return "s3:" + operation
        }
    }

    private static func advice(code: String, service: String, operation: String, credentialSource: String?) -> String {
        let credentials = "the AWS credentials" + (credentialSource.map { " from \($0)" } ?? "")
        switch code {
        case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
            // Parameters and secrets may be encrypted with a KMS key the identity must also use.
            let kms = service == "SSM" || service == "Secrets Manager" ? " (and kms:Decrypt for encrypted values)" : ""
            return "allow \(iamActions(service: service, operation: operation)) for \(credentials) in IAM\(kms)"
        case "SignatureDoesNotMatch", "InvalidSignatureException":
            return "the request signature did not match: check \(credentials); the secret access key "
                + "must be the one of that access key ID (also check the region and the system clock)"
        case "InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId":
            return "the access key ID is not known to \(service): check \(credentials); the key must exist, be active "
                + "and belong to this partition and endpoint"
        case "ExpiredTokenException", "ExpiredToken", "TokenRefreshRequired":
            return "the session token of \(credentials) has expired; get fresh temporary credentials"
        case "IncompleteSignature", "MissingAuthenticationToken":
            return "check \(credentials) (they are wrong, incomplete or missing) and the region"
        case "ResourceNotFoundException", "ParameterNotFound":
            return "check the name, the region and the account; create it if it is missing"
        case "DecryptionFailure", "KMSAccessDeniedException", "KMSDisabledException", "KMSNotFoundException":
            return "check that the KMS key exists, is enabled and that these credentials may use it"
        case "InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException":
            return "\(service) failed on its side (after retries); run the command again later"
        case "ThrottlingException", "TooManyUpdates":
            return "\(service) is throttling; retry later"
        case _ where RetryPolicy.throttlingCodes.contains(code):
            return "\(service) is throttling; retry later"
        case "ValidationException", "InvalidParameterException", "InvalidRequestException":
            return "fix the request as the message says"
        case _ where service != "S3" && ["NoSuchBucket", "NoSuchKey", "InvalidBucketName"].contains(code):
            // An S3 answer to another service's request: the endpoint is S3 (or an emulator
            // that routes what it does not serve to its S3).
            return "that is S3's answer, not \(service)'s: the endpoint does not serve \(service) (check --endpoint-url and the "
                + "AWS_ENDPOINT_URL settings; a local emulator may not have \(service))"
        default:
            if code.hasPrefix("HTTP") || code.allSatisfy(\.isNumber) {
                // No error code in the answer (a 5xx from a proxy or the service's front door).
                return "\(service) or something in between failed; retry, and check the endpoint if it goes on"
            }
            return "see the \(service) documentation for \(code)"
        }
    }
}
