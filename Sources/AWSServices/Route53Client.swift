import AWSCore
import Foundation

/// Amazon Route 53 over REST-XML (API 2013-04-01), as far as a pre-flight check of a site's DNS
/// needs it: find the hosted zone of a domain and read its records (an alias A record to the
/// CloudFront distribution, say), plus the two writes that set such a zone up.
///
/// Route 53 is global: the public endpoint is `https://route53.amazonaws.com`, signed for
/// us-east-1 with the name `route53` (in the China partition `https://route53.amazonaws.com.cn`,
/// signed for cn-northwest-1). `AWS_ENDPOINT_URL_ROUTE_53`, `--endpoint-url` and
/// `AWS_ENDPOINT_URL` override it.
public struct Route53Client: Sendable {
    public static let serviceName = "Route 53"
    public static let signingName = "route53"
    /// The SigV4 region outside China.
    public static let globalSigningRegion = "us-east-1"
    /// The SigV4 region in the China partition.
    public static let chinaSigningRegion = "cn-northwest-1"
    public static let apiVersion = "2013-04-01"
    public static let xmlNamespace = "https://route53.amazonaws.com/doc/2013-04-01/"
    /// The hosted zone id of every CloudFront distribution, for alias records.
    public static let cloudFrontHostedZoneId = "Z2FDTNDATAQYW2"

    public let endpoint: AWSEndpoint
    /// The SigV4 region: ``globalSigningRegion``, or ``chinaSigningRegion`` in China.
    public let signingRegion: String
    public let credentials: any CredentialProvider
    public let httpClient: any HTTPClient
    /// Injected so tests can pin the signing time.
    public let clock: @Sendable () -> Date

    public init(endpoint: AWSEndpoint, signingRegion: String = Route53Client.globalSigningRegion, credentials: any CredentialProvider,
                httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.endpoint = endpoint
        self.signingRegion = signingRegion
        self.credentials = credentials
        self.httpClient = httpClient
        self.clock = clock
    }

    /// A client with the endpoint from `AWS_ENDPOINT_URL_ROUTE_53`, `endpointURL`,
    /// `AWS_ENDPOINT_URL` or the global public one of `region`'s partition (`region` only
    /// matters for the China partition).
    public init(credentials: any CredentialProvider, environment: [String: String], endpointURL: String? = nil,
                region: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) {
        let signingRegion = region.map(AWSPartition.isChina) == true ? Self.chinaSigningRegion : Self.globalSigningRegion
        let resolved = AWSEndpoint.resolve(endpointPrefix: "route53", environmentSuffix: "ROUTE_53", region: signingRegion,
                                           option: endpointURL, environment: environment)
        let global = AWSEndpoint(url: "https://route53.\(AWSPartition.dnsSuffix(of: signingRegion))", source: "default")
        self.init(endpoint: resolved.source == "default" ? global : resolved, signingRegion: signingRegion, credentials: credentials,
                  httpClient: httpClient)
    }

    // MARK: - Types

    /// A hosted zone.
    public struct HostedZone: Sendable, Equatable {
        /// The bare id (`Z1D633PJN98FT9`), without the `/hostedzone/` prefix the API returns.
        public var id: String
        /// The domain, with its trailing dot (`example.com.`).
        public var name: String
        public var privateZone: Bool
        public var resourceRecordSetCount: Int?
    }

    /// Where an alias record points.
    public struct AliasTarget: Sendable, Equatable {
        /// The target's hosted zone (``Route53Client/cloudFrontHostedZoneId`` for CloudFront).
        public var hostedZoneId: String
        /// The target's DNS name (`d111111abcdef8.cloudfront.net.`).
        public var dnsName: String
        public var evaluateTargetHealth: Bool

        public init(hostedZoneId: String, dnsName: String, evaluateTargetHealth: Bool = false) {
            self.hostedZoneId = hostedZoneId
            self.dnsName = dnsName
            self.evaluateTargetHealth = evaluateTargetHealth
        }
    }

    /// One record set: an alias, or plain values with a TTL.
    public struct ResourceRecordSet: Sendable, Equatable {
        /// The name with its trailing dot, as Route 53 returns it (`*` comes back as `\052`).
        public var name: String
        /// `A`, `AAAA`, `CNAME`, `TXT`, ….
        public var type: String
        public var aliasTarget: AliasTarget?
        public var ttl: Int?
        public var values: [String]
        /// Set for weighted, latency, … records.
        public var setIdentifier: String?

        public init(name: String, type: String, aliasTarget: AliasTarget? = nil, ttl: Int? = nil, values: [String] = [],
                    setIdentifier: String? = nil) {
            self.name = name
            self.type = type
            self.aliasTarget = aliasTarget
            self.ttl = ttl
            self.values = values
            self.setIdentifier = setIdentifier
        }
    }

    /// A change of ``changeResourceRecordSets(hostedZoneId:changes:comment:)``.
    public struct Change: Sendable, Equatable {
        /// `CREATE`, `UPSERT` or `DELETE`.
        public var action: String
        public var recordSet: ResourceRecordSet

        public init(action: String, recordSet: ResourceRecordSet) {
            self.action = action
            self.recordSet = recordSet
        }
    }

    // MARK: - Reads

    /// One page of ListHostedZonesByName: the zones in DNS-name order starting at `dnsName`
    /// (all zones from the first when nil). The zone of `example.com` comes first when it exists.
    public func listHostedZonesByName(dnsName: String? = nil, maxItems: Int? = nil) async throws -> [HostedZone] {
        var query: [SigningRequest.QueryItem] = []
        if let dnsName { query.append(.init("dnsname", dnsName)) }
        if let maxItems { query.append(.init("maxitems", String(maxItems))) }
        let root = try await send("ListHostedZonesByName", method: "GET", path: "hostedzonesbyname", query: query)
        return root.elements("HostedZones", "HostedZone").map(Self.hostedZone)
    }

    /// One page of ListResourceRecordSets of a zone, in Route 53's order, starting at
    /// `startName` (and `startType`, which needs `startName`).
    public func listResourceRecordSets(hostedZoneId: String, startName: String? = nil, startType: String? = nil,
                                       maxItems: Int? = nil) async throws -> [ResourceRecordSet] {
        var query: [SigningRequest.QueryItem] = []
        if let startName { query.append(.init("name", startName)) }
        if let startType { query.append(.init("type", startType)) }
        if let maxItems { query.append(.init("maxitems", String(maxItems))) }
        let root = try await send("ListResourceRecordSets", method: "GET",
                                  path: "hostedzone/\(URIEncoding.encode(Self.bareId(hostedZoneId)))/rrset", query: query)
        return root.elements("ResourceRecordSets", "ResourceRecordSet").map(Self.recordSet)
    }

    // MARK: - Writes

    /// CreateHostedZone of a public zone for `name`; `callerReference` makes retries idempotent.
    public func createHostedZone(name: String, callerReference: String = UUID().uuidString) async throws -> HostedZone {
        let xml = "<CreateHostedZoneRequest xmlns=\"\(Self.xmlNamespace)\"><Name>\(S3XML.escape(name))</Name>"
            + "<CallerReference>\(S3XML.escape(callerReference))</CallerReference></CreateHostedZoneRequest>"
        let root = try await send("CreateHostedZone", method: "POST", path: "hostedzone", body: Array(xml.utf8))
        guard let zone = root.element("HostedZone") else {
            throw AWSServiceError.malformedResponse(Self.serviceName, "CreateHostedZone", "no HostedZone element")
        }
        return Self.hostedZone(zone)
    }

    /// ChangeResourceRecordSets; returns the change id (`/change/…` prefix removed).
    @discardableResult
    public func changeResourceRecordSets(hostedZoneId: String, changes: [Change], comment: String? = nil) async throws -> String? {
        var xml = "<ChangeResourceRecordSetsRequest xmlns=\"\(Self.xmlNamespace)\"><ChangeBatch>"
        if let comment { xml += "<Comment>\(S3XML.escape(comment))</Comment>" }
        xml += "<Changes>"
        for change in changes {
            let set = change.recordSet
            xml += "<Change><Action>\(S3XML.escape(change.action))</Action><ResourceRecordSet>"
            xml += "<Name>\(S3XML.escape(set.name))</Name><Type>\(S3XML.escape(set.type))</Type>"
            if let identifier = set.setIdentifier { xml += "<SetIdentifier>\(S3XML.escape(identifier))</SetIdentifier>" }
            if let alias = set.aliasTarget {
                xml += "<AliasTarget><HostedZoneId>\(S3XML.escape(alias.hostedZoneId))</HostedZoneId>"
                    + "<DNSName>\(S3XML.escape(alias.dnsName))</DNSName>"
                    + "<EvaluateTargetHealth>\(alias.evaluateTargetHealth)</EvaluateTargetHealth></AliasTarget>"
            } else {
                if let ttl = set.ttl { xml += "<TTL>\(ttl)</TTL>" }
                xml += "<ResourceRecords>"
                for value in set.values { xml += "<ResourceRecord><Value>\(S3XML.escape(value))</Value></ResourceRecord>" }
                xml += "</ResourceRecords>"
            }
            xml += "</ResourceRecordSet></Change>"
        }
        xml += "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
        let root = try await send("ChangeResourceRecordSets", method: "POST",
                                  path: "hostedzone/\(URIEncoding.encode(Self.bareId(hostedZoneId)))/rrset/", body: Array(xml.utf8))
        return root.text("ChangeInfo", "Id").map { Self.bareId($0) }
    }

    // MARK: - Parsing

    /// `Z123` from `/hostedzone/Z123` (or `/change/C1` → `C1`); a bare id is returned as is.
    public static func bareId(_ id: String) -> String {
        for prefix in ["/hostedzone/", "hostedzone/", "/change/", "change/"] where id.hasPrefix(prefix) {
            return String(id.dropFirst(prefix.count))
        }
        return id
    }

    static func hostedZone(_ element: S3XMLElement) -> HostedZone {
        HostedZone(id: bareId(element.text("Id") ?? ""), name: element.text("Name") ?? "",
                   privateZone: element.text("Config", "PrivateZone") == "true",
                   resourceRecordSetCount: element.text("ResourceRecordSetCount").flatMap { Int($0) })
    }

    static func recordSet(_ element: S3XMLElement) -> ResourceRecordSet {
        let alias = element.element("AliasTarget").map {
            AliasTarget(hostedZoneId: $0.text("HostedZoneId") ?? "", dnsName: $0.text("DNSName") ?? "",
                        evaluateTargetHealth: $0.text("EvaluateTargetHealth") == "true")
        }
        return ResourceRecordSet(name: element.text("Name") ?? "", type: element.text("Type") ?? "", aliasTarget: alias,
                                 ttl: element.text("TTL").flatMap { Int($0) },
                                 values: element.elements("ResourceRecords", "ResourceRecord").compactMap { $0.text("Value") },
                                 setIdentifier: element.text("SetIdentifier"))
    }

    // MARK: - Wire

    /// Signs and sends `method /2013-04-01/<path>`; returns the parsed 2xx body.
    func send(_ operation: String, method: String, path: String, query: [SigningRequest.QueryItem] = [],
              body: [UInt8]? = nil) async throws -> S3XMLElement {
        guard let host = endpoint.hostHeader, endpoint.url.hasPrefix("http://") || endpoint.url.hasPrefix("https://"),
              let components = URLComponents(string: endpoint.url), let scheme = components.scheme else {
            throw AWSServiceError.badEndpoint(Self.serviceName, operation, url: endpoint.url, source: endpoint.source)
        }
        let resolved = try await credentials.credentials()
        let requestPath = endpoint.rootPath + Self.apiVersion + "/" + path
        var headers = [SigningRequest.Header("Host", host)]
        if body != nil { headers.append(.init("Content-Type", "application/xml")) }
        let unsigned = SigningRequest(method: method, path: requestPath, query: query, headers: headers, payload: .bytes(body ?? []))
        let signed = SigV4Signer(credentials: resolved.awsCredentials, region: signingRegion, service: Self.signingName)
            .sign(unsigned, date: clock())
        let request = HTTPRequest(method: method, url: "\(scheme)://\(host)" + signed.request.target,
                                  headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 10, lowSpeedLimit: 1, lowSpeedTime: 30, total: 60))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: body.map { .bytes($0) } ?? .none,
                                                    responseBody: .collect(limit: 8 * 1024 * 1024))
        } catch let error as RetryExhaustedError {
            if let last = error.lastResponse, !last.isSuccess {
                throw Self.serviceError(operation, last).after(error).attributing(credentialsTo: resolved.source)
            }
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error) (endpoint \(endpoint.url) from \(endpoint.source))")
        }
        guard response.isSuccess else {
            throw Self.serviceError(operation, response).attributing(credentialsTo: resolved.source)
        }
        return try S3XML.parse(response.body, service: Self.serviceName, operation: operation)
    }

    /// The error of a non-2xx response: `<ErrorResponse><Error><Code>`, or the root element of
    /// the few errors with their own document (`InvalidChangeBatch`).
    static func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        let document = try? S3XML.parse(response.body)
        let code = ServiceErrorCode.parse(headers: response.headers, body: response.body)
            ?? document.map(\.name).flatMap { $0.isEmpty ? nil : $0 } ?? "HTTP\(response.status)"
        let message = document?.text("Error", "Message") ?? document?.text("Message")
            ?? document.flatMap { document in
                let messages = document.elements("Messages", "Message").map(\.text)
                return messages.isEmpty ? nil : messages.joined(separator: "; ")
            }
        return AWSServiceError.service(serviceName, operation, code: code, message: message, status: response.status)
    }
}
