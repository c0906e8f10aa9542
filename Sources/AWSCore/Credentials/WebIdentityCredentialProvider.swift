import Foundation

/// Credentials for an OIDC identity (GitHub Actions, EKS service accounts) through STS
/// `AssumeRoleWithWebIdentity`: `AWS_WEB_IDENTITY_TOKEN_FILE` (re-read on every call),
/// `AWS_ROLE_ARN` and optional `AWS_ROLE_SESSION_NAME`. The call is an unsigned Query-protocol
/// POST to the regional STS endpoint, or to `AWS_ENDPOINT_URL_STS` / the injected endpoint.
public struct WebIdentityCredentialProvider: CredentialProvider {
    public let environment: [String: String]
    public let httpClient: any HTTPClient
    /// The STS URL, overriding `AWS_ENDPOINT_URL_STS` and the regional default; tests pass a
    /// local server.
    public let stsEndpoint: String?
    /// Seconds the credentials should last.
    public let durationSeconds: Int

    public init(environment: [String: String], httpClient: any HTTPClient, stsEndpoint: String? = nil,
                durationSeconds: Int = 3600) {
        self.environment = environment
        self.httpClient = httpClient
        self.stsEndpoint = stsEndpoint
        self.durationSeconds = durationSeconds
    }

    /// The endpoint used: the injected one, else `AWS_ENDPOINT_URL_STS`, else
    /// `https://sts.<region>.amazonaws.com` for `AWS_REGION`/`AWS_DEFAULT_REGION`, else the
    /// global `https://sts.amazonaws.com`.
    public var endpoint: String {
        if let stsEndpoint { return stsEndpoint }
        if let url = value("AWS_ENDPOINT_URL_STS") { return url }
        if let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") { return "https://sts.\(region).amazonaws.com" }
        return "https://sts.amazonaws.com"
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
            throw CredentialError.failed(source, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set the role to assume")
        }
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw CredentialError.failed(source, "cannot read the web identity token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw CredentialError.failed(source, "the web identity token file \(tokenFile) is empty")
        }
        let sessionName = value("AWS_ROLE_SESSION_NAME") ?? "sitebuild-\(Int(Date().timeIntervalSince1970))"

        let form = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
            ("RoleSessionName", sessionName), ("WebIdentityToken", token), ("DurationSeconds", String(durationSeconds)),
        ].map { "\($0.0)=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
        var url = endpoint
        if !url.hasSuffix("/") { url += "/" }
        let request = HTTPRequest(method: "POST", url: url,
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                  timeouts: .init(connect: 5, lowSpeedLimit: 0, lowSpeedTime: 0, total: 30))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: .bytes(Array(form.utf8)), responseBody: .collect(limit: 1 << 20))
        } catch let error as HTTPClientError {
            throw CredentialError.failed(source, error.description)
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard response.isSuccess else {
            let code = Self.element("Code", in: xml) ?? "HTTP \(response.status)"
            let message = Self.element("Message", in: xml).map { ": \($0)" } ?? ""
            throw CredentialError.failed(source, "STS AssumeRoleWithWebIdentity for \(roleArn) at \(url) failed with \(code)\(message)")
        }
        guard let credentialsXML = Self.element("Credentials", in: xml),
              let accessKeyId = Self.element("AccessKeyId", in: credentialsXML),
              let secret = Self.element("SecretAccessKey", in: credentialsXML) else {
            throw CredentialError.failed(source, "STS at \(url) returned no Credentials element in its AssumeRoleWithWebIdentity response")
        }
        let expiration = Self.element("Expiration", in: credentialsXML).flatMap(CredentialTimestamp.parse)
        return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret,
                                   sessionToken: Self.element("SessionToken", in: credentialsXML),
                                   expiration: expiration, source: source)
    }

    /// The text of the first `<name>…</name>` in `xml`, with the five predefined entities
    /// decoded. STS responses are flat enough that this needs no XML parser.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"),
              let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
