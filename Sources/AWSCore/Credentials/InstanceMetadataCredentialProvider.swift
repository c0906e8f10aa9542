import Foundation

/// Credentials of the EC2 instance role through IMDSv2: a session token from
/// `PUT /latest/api/token`, the role name from `/latest/meta-data/iam/security-credentials/`,
/// then that role's credentials. Timeouts are one second, so a machine that is not on EC2 (or a
/// container behind the default hop limit) fails fast; `AWS_METADATA_SERVICE_TIMEOUT` (seconds,
/// as the aws CLI reads it) allows more.
///
/// Honours `AWS_EC2_METADATA_DISABLED=true` and `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    public static let defaultEndpoint = "http://169.254.169.254"

    public let environment: [String: String]
    public let httpClient: any HTTPClient
    /// Seconds allowed for each request.
    public let timeout: Double

    /// - Parameter timeout: seconds per request; by default `AWS_METADATA_SERVICE_TIMEOUT` when
    ///   it is a positive number, else 1.
    public init(environment: [String: String], httpClient: any HTTPClient, timeout: Double? = nil) {
        self.environment = environment
        self.httpClient = httpClient
        self.timeout = timeout
            ?? environment["AWS_METADATA_SERVICE_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
            ?? 1
    }

    public func credentials() async throws -> ResolvedCredentials {
        let source = "EC2 instance metadata"
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            throw CredentialError.notConfigured(source, "AWS_EC2_METADATA_DISABLED is true")
        }
        var endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        let timeouts = HTTPRequest.Timeouts(connect: timeout, lowSpeedLimit: 0, lowSpeedTime: 0, total: timeout)

        func send(_ method: String, _ path: String, _ headers: [(name: String, value: String)]) async throws -> [UInt8] {
            let url = endpoint + path
            let response: HTTPResponse
            do {
                // Never through a proxy: it would see the session token and the keys.
                response = try await httpClient.execute(HTTPRequest(method: method, url: url, headers: headers, timeouts: timeouts,
                                                                    bypassesProxy: true), limit: 64 * 1024)
            } catch let error as HTTPClientError where error.isConnectFailure || error.isTimeout {
                // Not on EC2: the usual case off AWS, where the chain reports that nothing was found.
                throw CredentialError.notConfigured(source, "no instance metadata service answered at \(endpoint) within \(timeout) s (not on EC2, or the IMDS hop limit is too low for a container); set AWS_EC2_METADATA_DISABLED=true to skip it")
            } catch let error as HTTPClientError {
                throw CredentialError.failed(source, error.description)
            }
            guard response.isSuccess else {
                throw CredentialError.failed(source, TemporaryCredentialsDocument.failure(response, url: url))
            }
            return response.body
        }

        let token = String(decoding: try await send("PUT", "/latest/api/token", [("X-aws-ec2-metadata-token-ttl-seconds", "21600")]),
                           as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenHeader = [(name: "X-aws-ec2-metadata-token", value: token)]
        let roles = String(decoding: try await send("GET", "/latest/meta-data/iam/security-credentials/", tokenHeader), as: UTF8.self)
        guard let role = roles.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
              !role.isEmpty else {
            throw CredentialError.notConfigured(source, "the instance at \(endpoint) has no IAM role attached; attach an instance profile")
        }
        let path = "/latest/meta-data/iam/security-credentials/\(role)"
        let body = try await send("GET", path, tokenHeader)
        return try TemporaryCredentialsDocument.credentials(from: body, url: endpoint + path, source: source)
    }
}
