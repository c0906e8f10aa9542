import Foundation

/// The two AWS Security Token Service calls the credential providers need, over the Query
/// protocol (`POST /` with a form body, API version 2011-06-15):
///
/// - `AssumeRole`, SigV4-signed (service `sts`) with the caller's credentials: role profiles
///   (`role_arn` with `source_profile` or `credential_source`).
/// - `AssumeRoleWithWebIdentity`, unsigned: OIDC tokens (GitHub Actions, EKS).
///
/// It lives in AWSCore, below the service clients, because the credential chain needs it.
public struct STSClient: Sendable {
    /// The Query API version.
    public static let apiVersion = "2011-06-15"
    /// The SigV4 signing name.
    public static let signingName = "sts"
    /// The form content type; always sent explicitly (moto/Werkzeug drops an unlabelled body).
    public static let contentType = "application/x-www-form-urlencoded; charset=utf-8"

    /// The base URL, without a trailing `/`.
    public let endpoint: String
    /// Where ``endpoint`` came from, for messages: `AWS_ENDPOINT_URL_STS`, `default`, ….
    public let endpointSource: String
    /// The SigV4 signing region.
    public let region: String
    public let httpClient: any HTTPClient
    /// The signing time; tests pin it.
    public let clock: @Sendable () -> Date
    /// Why the default endpoint may not be used (a FIPS or dual-stack endpoint is asked for:
    /// ``EndpointVariants``); nil when it may, or the endpoint is set explicitly.
    var endpointRefusal: String?

    public init(endpoint: String, endpointSource: String = "configured", region: String, httpClient: any HTTPClient,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        var url = endpoint
        while url.hasSuffix("/") { url.removeLast() }
        self.endpoint = url
        self.endpointSource = endpointSource
        self.region = region
        self.httpClient = httpClient
        self.clock = clock
    }

    /// A client whose endpoint follows the SDK convention: `AWS_ENDPOINT_URL_STS`, else
    /// `AWS_ENDPOINT_URL`, else the regional `https://sts.<region>.amazonaws.com`, else (no
    /// region anywhere) the global `https://sts.amazonaws.com`, signed for us-east-1.
    ///
    /// - Parameter region: the region when known; nil lets `AWS_REGION` / `AWS_DEFAULT_REGION` decide.
    public init(region: String? = nil, environment: [String: String], httpClient: any HTTPClient,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        let region = region.flatMap { $0.isEmpty ? nil : $0 } ?? Self.value("AWS_REGION", environment)
            ?? Self.value("AWS_DEFAULT_REGION", environment)
        let resolved = Self.resolveEndpoint(region: region, environment: environment)
        self.init(endpoint: resolved.url, endpointSource: resolved.source, region: region ?? "us-east-1",
                  httpClient: httpClient, clock: clock)
        if resolved.source == "default" {
            endpointRefusal = EndpointVariants.refusal(service: "STS", profile: nil, environment: environment)
        }
    }

    /// The STS URL for `region` and where it came from (see ``init(region:environment:httpClient:clock:)``).
    public static func resolveEndpoint(region: String?, environment: [String: String]) -> (url: String, source: String) {
        for name in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
            if let url = value(name, environment) { return (url, name) }
        }
        guard let region, !region.isEmpty else { return ("https://sts.amazonaws.com", "default") }
        return ("https://sts.\(region).\(AWSPartition.dnsSuffix(of: region))", "default")
    }

    private static func value(_ name: String, _ environment: [String: String]) -> String? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        return text
    }

    // MARK: - Operations

    /// What `AssumeRole` is asked for.
    public struct AssumeRoleRequest: Sendable, Equatable {
        public var roleArn: String
        public var roleSessionName: String
        /// 900 to 43200 seconds (the role's maximum session duration caps it).
        public var durationSeconds: Int
        /// The `sts:ExternalId` the role's trust policy may require.
        public var externalId: String?

        public init(roleArn: String, roleSessionName: String, durationSeconds: Int = 3600, externalId: String? = nil) {
            self.roleArn = roleArn
            self.roleSessionName = roleSessionName
            self.durationSeconds = durationSeconds
            self.externalId = externalId
        }
    }

    /// Assumes `request.roleArn` with `credentials` (SigV4-signed). The result carries the
    /// session token and the expiration; its `source` is `STS AssumeRole <role>` for callers
    /// to replace with their own.
    public func assumeRole(_ request: AssumeRoleRequest, credentials: AWSCredentials) async throws -> ResolvedCredentials {
        var form = [("Action", "AssumeRole"), ("Version", Self.apiVersion), ("RoleArn", request.roleArn),
                    ("RoleSessionName", request.roleSessionName), ("DurationSeconds", String(request.durationSeconds))]
        if let externalId = request.externalId { form.append(("ExternalId", externalId)) }
        return try await call("AssumeRole", roleArn: request.roleArn, form: form, signingWith: credentials)
    }

    /// Exchanges an OIDC `token` for credentials of `roleArn` (unsigned, as the model says).
    public func assumeRoleWithWebIdentity(roleArn: String, roleSessionName: String, token: String,
                                          durationSeconds: Int = 3600) async throws -> ResolvedCredentials {
        let form = [("Action", "AssumeRoleWithWebIdentity"), ("Version", Self.apiVersion), ("RoleArn", roleArn),
                    ("RoleSessionName", roleSessionName), ("WebIdentityToken", token),
                    ("DurationSeconds", String(durationSeconds))]
        return try await call("AssumeRoleWithWebIdentity", roleArn: roleArn, form: form, signingWith: nil)
    }

    // MARK: - Wire

    /// `name=value&…` with RFC 3986 encoding (which a form body accepts).
    static func formBody(_ form: [(String, String)]) -> [UInt8] {
        Array(form.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&").utf8)
    }

    private func call(_ operation: String, roleArn: String, form: [(String, String)],
                      signingWith credentials: AWSCredentials?) async throws -> ResolvedCredentials {
        if let endpointRefusal { throw CredentialError.misconfigured("STS \(operation) \(roleArn)", endpointRefusal) }
        let body = Self.formBody(form)
        let url = endpoint + "/"
        guard let components = URLComponents(string: endpoint), let host = components.host, !host.isEmpty,
              components.scheme == "http" || components.scheme == "https" else {
            throw STSError(operation: operation, roleArn: roleArn, url: url,
                           problem: .badEndpoint(source: endpointSource))
        }
        var headers: [(name: String, value: String)] = [("Content-Type", Self.contentType)]
        if let credentials {
            let hostHeader = components.port.map { "\(host):\($0)" } ?? host
            var path = components.percentEncodedPath
            if !path.hasSuffix("/") { path += "/" }
            let unsigned = SigningRequest(method: "POST", path: path, headers: [
                .init("Host", hostHeader), .init("Content-Type", Self.contentType),
            ], payload: .bytes(body))
            let signed = SigV4Signer(credentials: credentials, region: region, service: Self.signingName)
                .sign(unsigned, date: clock())
            headers = signed.request.headers.map { ($0.name, $0.value) }
        }
        let request = HTTPRequest(method: "POST", url: url, headers: headers,
                                  timeouts: .init(connect: 5, lowSpeedLimit: 0, lowSpeedTime: 0, total: 30))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: .bytes(body), responseBody: .collect(limit: 1 << 20))
        } catch let error as RetryExhaustedError {
            guard let last = error.lastResponse else {
                throw STSError(operation: operation, roleArn: roleArn, url: url, problem: .transport("\(error)"))
            }
            response = last
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw STSError(operation: operation, roleArn: roleArn, url: url,
                           problem: .transport("\(error) (endpoint from \(endpointSource))"))
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard response.isSuccess else {
            throw STSError(operation: operation, roleArn: roleArn, url: url,
                           problem: .service(code: Self.element("Code", in: xml) ?? "HTTP \(response.status)",
                                             message: Self.element("Message", in: xml), status: response.status))
        }
        guard let credentialsXML = Self.element("Credentials", in: xml),
              let accessKeyId = Self.element("AccessKeyId", in: credentialsXML), !accessKeyId.isEmpty,
              let secret = Self.element("SecretAccessKey", in: credentialsXML), !secret.isEmpty else {
            throw STSError(operation: operation, roleArn: roleArn, url: url,
                           problem: .malformed("no Credentials element with AccessKeyId and SecretAccessKey"))
        }
        var expiration: Date?
        if let text = Self.element("Expiration", in: credentialsXML) {
            guard let date = CredentialTimestamp.parse(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw STSError(operation: operation, roleArn: roleArn, url: url,
                               problem: .malformed("Expiration \(text) is not an ISO 8601 timestamp"))
            }
            expiration = date
        }
        return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret,
                                   sessionToken: Self.element("SessionToken", in: credentialsXML).flatMap { $0.isEmpty ? nil : $0 },
                                   expiration: expiration, source: "STS \(operation) \(roleArn)")
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

/// A failed STS call: the sentence names the operation, the role, the endpoint, the STS error
/// code and message, and what to do. It never contains a credential value.
public struct STSError: Error, Sendable, CustomStringConvertible {
    enum Problem: Sendable {
        case service(code: String, message: String?, status: Int)
        case transport(String)
        case malformed(String)
        case badEndpoint(source: String)
    }

    /// `AssumeRole` or `AssumeRoleWithWebIdentity`.
    public let operation: String
    public let roleArn: String
    /// The URL the request went to.
    public let url: String
    let problem: Problem

    /// The STS error code (`AccessDenied`, `InvalidClientTokenId`, …), or nil when STS did not answer with one.
    public var code: String? {
        if case .service(let code, _, _) = problem { return code }
        return nil
    }

    /// The HTTP status of the error response, if there was one.
    public var status: Int? {
        if case .service(_, _, let status) = problem { return status }
        return nil
    }

    public var description: String {
        let call = "STS \(operation) for \(roleArn) at \(url)"
        switch problem {
        case .service(let code, let message, _):
            return "\(call) failed with \(code)" + (message.map { ": \($0)" } ?? "") + "; " + advice(code)
        case .transport(let reason):
            return "\(call) failed: \(reason)"
        case .malformed(let reason):
            return "\(call) returned a response sitebuild cannot read (\(reason)); check that the endpoint is really STS"
        case .badEndpoint(let source):
            return "\(call): the endpoint from \(source) is not an http(s) URL; set it to something like https://host:port"
        }
    }

    private func advice(_ code: String) -> String {
        switch code {
        case "AccessDenied":
            return operation == "AssumeRole"
                ? "check that the source credentials may call sts:AssumeRole on this role and that the role's trust policy allows them (and the external_id, if the policy requires one)"
                : "check that the role's trust policy allows this identity provider and the token's subject and audience"
        case "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "IncompleteSignature":
            return "the source credentials were rejected; check their access key and secret access key"
        case "ExpiredToken", "ExpiredTokenException":
            return "the source credentials (or token) expired; refresh them"
        case "RegionDisabledException":
            return "activate STS in this region in the IAM console, or use another region"
        case "ValidationError":
            return "fix the request as the message says (duration_seconds must be 900-43200 and within the role's maximum session duration)"
        case "MalformedPolicyDocument", "PackedPolicyTooLarge":
            return "fix the session policy"
        case "InvalidIdentityToken", "IDPRejectedClaim":
            return "check the web identity token and the role's OIDC trust policy"
        case "IDPCommunicationError":
            return "the identity provider could not be reached; retry"
        default:
            return "see the STS documentation for \(code)"
        }
    }
}
