import AWSCore
import Foundation

/// AWS Certificate Manager over JSON 1.1 (`X-Amz-Target: CertificateManager.<Operation>`,
/// signing name `acm`), as far as a pre-flight check of a CloudFront certificate needs it.
///
/// CloudFront only uses certificates from us-east-1, so that is the default region.
public struct ACMClient: Sendable {
    /// The region of every certificate CloudFront can use.
    public static let cloudFrontRegion = "us-east-1"

    public let client: AWSJSONClient

    public init(client: AWSJSONClient) {
        self.client = client
    }

    /// A client for `region` (us-east-1 unless told), with the endpoint from
    /// `AWS_ENDPOINT_URL_ACM`, `endpointURL`, `AWS_ENDPOINT_URL` or the public regional one.
    public init(region: String = ACMClient.cloudFrontRegion, credentials: any CredentialProvider, environment: [String: String],
                endpointURL: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "acm", environmentSuffix: "ACM", region: region,
                                           option: endpointURL, environment: environment)
        client = AWSJSONClient(serviceName: "ACM", signingName: "acm", targetPrefix: "CertificateManager", endpoint: endpoint,
                               region: region, credentials: credentials, httpClient: httpClient)
    }

    /// What DescribeCertificate says about a certificate.
    public struct Certificate: Sendable, Equatable {
        public var arn: String
        /// The primary name, e.g. `example.com` or `*.example.com`.
        public var domainName: String
        /// Every name the certificate covers (the primary name included, as ACM lists it).
        public var subjectAlternativeNames: [String]
        /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, `REVOKED`, `FAILED`, `INACTIVE`, `VALIDATION_TIMED_OUT`.
        public var status: String
        /// The end of validity; nil while the certificate is not issued.
        public var notAfter: Date?
        /// The ARNs of the resources (CloudFront distributions, load balancers) using it.
        public var inUseBy: [String]
        /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
        public var type: String?

        /// Whether any resource uses the certificate.
        public var inUse: Bool { !inUseBy.isEmpty }

        public init(arn: String, domainName: String, subjectAlternativeNames: [String], status: String, notAfter: Date?,
                    inUseBy: [String], type: String?) {
            self.arn = arn
            self.domainName = domainName
            self.subjectAlternativeNames = subjectAlternativeNames
            self.status = status
            self.notAfter = notAfter
            self.inUseBy = inUseBy
            self.type = type
        }

        /// Whether the certificate names `host`, directly or through a one-level wildcard
        /// (`*.example.com` covers `www.example.com`, not `example.com` or `a.b.example.com`).
        public func covers(_ host: String) -> Bool {
            let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            return (subjectAlternativeNames + [domainName]).contains { name in
                let name = name.lowercased()
                if name == host { return true }
                guard name.hasPrefix("*.") else { return false }
                let suffix = name.dropFirst(1)
                guard host.hasSuffix(suffix) else { return false }
                let label = host.dropLast(suffix.count)
                return !label.isEmpty && !label.contains(".")
            }
        }
    }

    private struct ARNInput: Encodable { var CertificateArn: String }

    /// A JSON 1.1 timestamp: epoch seconds, or (from some emulators) an ISO 8601 string.
    private struct Timestamp: Decodable {
        var date: Date?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) {
                date = Date(timeIntervalSince1970: seconds)
            } else if let text = try? container.decode(String.self) {
                date = Double(text).map { Date(timeIntervalSince1970: $0) } ?? UTCTime.parse(text)
            }
        }
    }

    private struct DescribeOutput: Decodable {
        struct Detail: Decodable {
            var CertificateArn: String?
            var DomainName: String?
            var SubjectAlternativeNames: [String]?
            var Status: String?
            var NotAfter: Timestamp?
            var InUseBy: [String]?
            var `Type`: String?
        }
        var Certificate: Detail?
    }

    /// DescribeCertificate of `arn` (a missing one throws ``AWSServiceError`` with
    /// `ResourceNotFoundException`).
    public func describeCertificate(arn: String) async throws -> Certificate {
        let output: DescribeOutput = try await client.call("DescribeCertificate", ARNInput(CertificateArn: arn))
        guard let detail = output.Certificate, let domain = detail.DomainName, let status = detail.Status else {
            throw AWSServiceError.malformedResponse(client.serviceName, "DescribeCertificate", "no Certificate with DomainName and Status")
        }
        return Certificate(arn: detail.CertificateArn ?? arn, domainName: domain,
                           subjectAlternativeNames: detail.SubjectAlternativeNames ?? [domain], status: status,
                           notAfter: detail.NotAfter?.date, inUseBy: detail.InUseBy ?? [], type: detail.Type)
    }

    private struct RequestInput: Encodable {
        var DomainName: String
        var SubjectAlternativeNames: [String]?
        var ValidationMethod: String
        var IdempotencyToken: String?
    }

    private struct ARNOutput: Decodable { var CertificateArn: String? }

    /// RequestCertificate (an Amazon-issued certificate, validated by `DNS` or `EMAIL`);
    /// returns its ARN.
    public func requestCertificate(domainName: String, subjectAlternativeNames: [String] = [],
                                   validationMethod: String = "DNS", idempotencyToken: String? = nil) async throws -> String {
        let output: ARNOutput = try await client.call("RequestCertificate", RequestInput(
            DomainName: domainName, SubjectAlternativeNames: subjectAlternativeNames.isEmpty ? nil : subjectAlternativeNames,
            ValidationMethod: validationMethod, IdempotencyToken: idempotencyToken))
        return try arn(output, "RequestCertificate")
    }

    private struct ImportInput: Encodable {
        var Certificate: Data
        var PrivateKey: Data
        var CertificateChain: Data?
    }

    /// ImportCertificate of PEM texts; returns the new certificate's ARN.
    public func importCertificate(certificatePEM: String, privateKeyPEM: String, chainPEM: String? = nil) async throws -> String {
        let output: ARNOutput = try await client.call("ImportCertificate", ImportInput(
            Certificate: Data(certificatePEM.utf8), PrivateKey: Data(privateKeyPEM.utf8), CertificateChain: chainPEM.map { Data($0.utf8) }))
        return try arn(output, "ImportCertificate")
    }

    private func arn(_ output: ARNOutput, _ operation: String) throws -> String {
        guard let arn = output.CertificateArn, !arn.isEmpty else {
            throw AWSServiceError.malformedResponse(client.serviceName, operation, "no CertificateArn")
        }
        return arn
    }
}
