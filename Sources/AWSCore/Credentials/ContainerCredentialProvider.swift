import Foundation

/// Credentials from the ECS / CodeBuild container endpoint.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is fetched from `http://169.254.170.2`;
/// otherwise `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which must be https or http to a loopback or
/// container-agent address, with `Authorization` from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`
/// (re-read on every call) or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialProvider: CredentialProvider {
    public static let defaultRelativeBase = "http://169.254.170.2"

    public let environment: [String: String]
    public let httpClient: any HTTPClient
    /// Where relative URIs point; tests pass a loopback server.
    public let relativeBase: String

    public init(environment: [String: String], httpClient: any HTTPClient,
                relativeBase: String = ContainerCredentialProvider.defaultRelativeBase) {
        self.environment = environment
        self.httpClient = httpClient
        self.relativeBase = relativeBase
    }

    public func credentials() async throws -> ResolvedCredentials {
        let source = "container endpoint"
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        let url: String
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            url = relativeBase + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard Self.isAllowed(full) else {
                throw CredentialError.misconfigured(source, "AWS_CONTAINER_CREDENTIALS_FULL_URI \(full) must use https, or http to a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23")
            }
            url = full
        } else {
            throw CredentialError.notConfigured(source, "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
        }

        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let tokenFile = value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw CredentialError.misconfigured(source, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile)")
            }
            headers.append(("Authorization", String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        } else if let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            headers.append(("Authorization", token))
        }

        // Never through a proxy: it would see the authorization token and the keys.
        let request = HTTPRequest(method: "GET", url: url, headers: headers,
                                  timeouts: .init(connect: 2, lowSpeedLimit: 0, lowSpeedTime: 0, total: 5), bypassesProxy: true)
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, limit: 64 * 1024)
        } catch let error as HTTPClientError {
            throw CredentialError.failed(source, error.description)
        }
        guard response.isSuccess else {
            throw CredentialError.failed(source, TemporaryCredentialsDocument.failure(response, url: url))
        }
        return try TemporaryCredentialsDocument.credentials(from: response.body, url: url, source: source)
    }

    /// Whether a full URI may be fetched: https anywhere, http only to the hosts the SDKs allow.
    /// (The SDKs also resolve host names and check every address; this accepts names only when
    /// they are `localhost`.)
    static func isAllowed(_ uri: String) -> Bool {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased() else { return false }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
            || bare == "169.254.170.2" || bare == "169.254.170.23" || bare == "fd00:ec2::23"
    }
}
