import Foundation

/// Credentials for an OIDC identity (GitHub Actions, EKS service accounts) through STS
/// `AssumeRoleWithWebIdentity`: `AWS_WEB_IDENTITY_TOKEN_FILE` (re-read on every call),
/// `AWS_ROLE_ARN` and optional `AWS_ROLE_SESSION_NAME`. The call is an unsigned Query-protocol
/// POST (through ``STSClient``) to the regional STS endpoint, or to `AWS_ENDPOINT_URL_STS` /
/// `AWS_ENDPOINT_URL` / the injected endpoint.
public struct WebIdentityCredentialProvider: CredentialProvider {
    public let environment: [String: String]
    public let httpClient: any HTTPClient
    /// The STS URL, overriding `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL` and the regional default; tests pass a
    /// local server.
    public let stsEndpoint: String?
    /// Seconds the credentials should last.
    public let durationSeconds: Int
    /// The region STS is called in (`--region` resolved as for the services); nil lets
    /// `AWS_REGION` / `AWS_DEFAULT_REGION` decide.
    public let region: String?

    public init(environment: [String: String], region: String? = nil, httpClient: any HTTPClient, stsEndpoint: String? = nil,
                durationSeconds: Int = 3600) {
        self.environment = environment
        self.region = region
        self.httpClient = httpClient
        self.stsEndpoint = stsEndpoint
        self.durationSeconds = durationSeconds
    }

    /// The endpoint used: the injected one, else `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`,
    /// else `https://sts.<region>.amazonaws.com` for `AWS_REGION`/`AWS_DEFAULT_REGION`, else the
    /// global `https://sts.amazonaws.com`.
    public var endpoint: String {
        if let stsEndpoint { return stsEndpoint }
        return STSClient(region: region, environment: environment, httpClient: httpClient).endpoint
    }

    private func value(_ name: String) -> String? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        return text
    }

    public func credentials() async throws -> ResolvedCredentials {
        let source = "web identity"
        guard let tokenFile = value("AWS_WEB_IDENTITY_TOKEN_FILE") else {
            throw CredentialError.notConfigured(source, "AWS_WEB_IDENTITY_TOKEN_FILE is not set")
        }
        guard let roleArn = value("AWS_ROLE_ARN") else {
            throw CredentialError.misconfigured(source, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set the role to assume")
        }
        var sts = STSClient(region: region, environment: environment, httpClient: httpClient)
        if let stsEndpoint {
            sts = STSClient(endpoint: stsEndpoint, endpointSource: "the injected STS endpoint", region: sts.region, httpClient: httpClient)
        }
        return try await Self.assume(roleArn: roleArn, tokenFile: tokenFile, tokenFileSetting: "AWS_WEB_IDENTITY_TOKEN_FILE",
                                     sessionName: value("AWS_ROLE_SESSION_NAME"), durationSeconds: durationSeconds,
                                     sts: sts, source: source)
    }

    /// Reads the token from `tokenFile` (named `tokenFileSetting` in messages) and exchanges it
    /// for credentials of `roleArn`; shared with profiles that set `web_identity_token_file`.
    static func assume(roleArn: String, tokenFile: String, tokenFileSetting: String, sessionName: String?,
                       durationSeconds: Int, sts: STSClient, source: String) async throws -> ResolvedCredentials {
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw CredentialError.misconfigured(source, "cannot read the web identity token file \(tokenFile) (\(tokenFileSetting))")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw CredentialError.misconfigured(source, "the web identity token file \(tokenFile) is empty")
        }
        let sessionName = sessionName ?? "sitebuild-\(Int(Date().timeIntervalSince1970))"
        do {
            var credentials = try await sts.assumeRoleWithWebIdentity(roleArn: roleArn, roleSessionName: sessionName,
                                                                      token: token, durationSeconds: durationSeconds)
            credentials.source = source
            return credentials
        } catch let error as STSError {
            throw CredentialError.failed(source, error.description)
        }
    }

    /// The text of the first `<name>…</name>` in `xml`, with the five predefined entities
    /// decoded. STS responses are flat enough that this needs no XML parser.
    static func element(_ name: String, in xml: String) -> String? {
        STSClient.element(name, in: xml)
    }
}
