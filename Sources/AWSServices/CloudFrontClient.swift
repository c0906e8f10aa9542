import AWSCore
import Foundation

/// Amazon CloudFront's control plane (REST-XML, API version 2020-05-31), signed with SigV4
/// for the service `cloudfront` in `us-east-1` (a global service; the path is double-encoded
/// in the canonical request as for every service but S3).
///
/// Only what a deploy needs: invalidations, reading a distribution (the doctor and the
/// `--distribution` checks), describing the router function (its KeyValueStore), and creating
/// a distribution from a raw configuration document (for tests and local emulators).
///
/// Errors are ``AWSServiceError`` with CloudFront's `<ErrorResponse><Error><Code>` as
/// ``AWSServiceError/errorCode``; ``AWSServiceError/isCloudFrontThrottling`` tells a caller
/// that `TooManyInvalidationsInProgress` or `Throttling` asked it to retry later.
public struct CloudFrontClient: Sendable {
    public static let serviceName = "CloudFront"
    public static let signingName = "cloudfront"
    /// The API version in every request path.
    public static let apiVersion = "2020-05-31"
    static let namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

    /// Error codes callers act on.
    public enum ErrorCode {
        /// 400: more than 3,000 paths or 15 wildcard paths in progress; retry after some finish.
        public static let tooManyInvalidationsInProgress = "TooManyInvalidationsInProgress"
        /// 400: the request rate is too high; retry with backoff.
        public static let throttling = "Throttling"
        public static let noSuchDistribution = "NoSuchDistribution"
        public static let noSuchInvalidation = "NoSuchInvalidation"
        public static let noSuchFunctionExists = "NoSuchFunctionExists"
        /// 409: the CallerReference was used before with other paths.
        public static let invalidationBatchAlreadyExists = "InvalidationBatchAlreadyExists"
    }

    public let endpoint: AWSEndpoint
    /// The SigV4 region: `us-east-1`, or `cn-northwest-1` in the China partition.
    public let signingRegion: String
    public let credentials: any CredentialProvider
    public let httpClient: any HTTPClient
    /// Injected so tests can pin the signing time.
    public let clock: @Sendable () -> Date

    public init(endpoint: AWSEndpoint, signingRegion: String = "us-east-1", credentials: any CredentialProvider,
                httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.endpoint = endpoint
        self.signingRegion = signingRegion
        self.credentials = credentials
        self.httpClient = httpClient
        self.clock = clock
    }

    /// A client with the endpoint from `AWS_ENDPOINT_URL_CLOUDFRONT`, `endpointURL`,
    /// `AWS_ENDPOINT_URL` or the public global one. `region` only matters for the China
    /// partition (`cn-*`), whose CloudFront lives in `cn-northwest-1`.
    public init(credentials: any CredentialProvider, environment: [String: String], endpointURL: String? = nil,
                region: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) {
        let china = region.map(AWSPartition.isChina) == true
        self.init(endpoint: Self.endpoint(option: endpointURL, environment: environment, region: region),
                  signingRegion: china ? "cn-northwest-1" : "us-east-1", credentials: credentials, httpClient: httpClient)
    }

    /// The SDK endpoint order for CloudFront: `AWS_ENDPOINT_URL_CLOUDFRONT`, then the
    /// `--endpoint-url` option, then `AWS_ENDPOINT_URL`, then `https://cloudfront.amazonaws.com`
    /// (global, not regional; `https://cloudfront.cn-northwest-1.amazonaws.com.cn` for `cn-*`).
    public static func endpoint(option: String? = nil, environment: [String: String], region: String? = nil) -> AWSEndpoint {
        let specific = "AWS_ENDPOINT_URL_CLOUDFRONT"
        if let value = environment[specific], !value.isEmpty { return AWSEndpoint(url: value, source: specific) }
        if let option, !option.isEmpty { return AWSEndpoint(url: option, source: "--endpoint-url") }
        if let value = environment["AWS_ENDPOINT_URL"], !value.isEmpty { return AWSEndpoint(url: value, source: AWSEndpoint.globalSource(environment)) }
        if region.map(AWSPartition.isChina) == true {
            return AWSEndpoint(url: "https://cloudfront.cn-northwest-1.amazonaws.com.cn", source: "default")
        }
        return AWSEndpoint(url: "https://cloudfront.amazonaws.com", source: "default")
    }

    // MARK: - Types

    /// One invalidation as CreateInvalidation and GetInvalidation describe it.
    public struct Invalidation: Sendable, Equatable {
        public var id: String
        /// `InProgress` or `Completed` (moto answers `COMPLETED`).
        public var status: String
        /// ISO 8601, as CloudFront sent it.
        public var createTime: String?
        /// The paths as stored (URL-encoded).
        public var paths: [String]
        public var callerReference: String?

        public var isCompleted: Bool { status.caseInsensitiveCompare("Completed") == .orderedSame }
    }

    /// One entry of ListInvalidations.
    public struct InvalidationSummary: Sendable, Equatable {
        public var id: String
        public var status: String
        public var createTime: String?

        public var isInProgress: Bool { status.caseInsensitiveCompare("InProgress") == .orderedSame }
    }

    /// A CloudFront Function attached to the default cache behavior.
    public struct FunctionAssociation: Sendable, Equatable {
        /// `viewer-request` or `viewer-response`.
        public var eventType: String
        public var functionARN: String
    }

    /// A Lambda@Edge function attached to the default cache behavior.
    public struct LambdaFunctionAssociation: Sendable, Equatable {
        /// `viewer-request`, `origin-request`, `origin-response` or `viewer-response`.
        public var eventType: String
        /// The function's version ARN (`arn:aws:lambda:us-east-1:123456789012:function:router:3`).
        public var lambdaFunctionARN: String

        public init(eventType: String, lambdaFunctionARN: String) {
            self.eventType = eventType
            self.lambdaFunctionARN = lambdaFunctionARN
        }
    }

    /// What GetDistribution says about a distribution, as far as sitebuild cares.
    public struct Distribution: Sendable, Equatable {
        public var id: String
        public var arn: String?
        /// `Deployed` or `InProgress`.
        public var status: String?
        /// `d111111abcdef8.cloudfront.net`.
        public var domainName: String?
        /// The alternate domain names (CNAMEs).
        public var aliases: [String]
        public var enabled: Bool
        /// The default cache behavior's CloudFront Functions.
        public var functionAssociations: [FunctionAssociation]
        /// The default cache behavior's Lambda@Edge functions (what routes requests through a
        /// DynamoDB or S3 pointer, which a CloudFront Function cannot read).
        public var lambdaFunctionAssociations: [LambdaFunctionAssociation] = []
        /// The viewer certificate's ACM ARN, or nil for the default `*.cloudfront.net` one.
        public var acmCertificateArn: String?
        /// Each origin's domain name, in order.
        public var originDomainNames: [String]
        /// Each origin's path (`/site`, or empty), in the same order.
        public var originPaths: [String] = []
        /// Each origin's `Id`, in the same order (empty when not read).
        public var originIds: [String] = []
        /// Whether each origin is configured as an S3 origin (`S3OriginConfig`), in the same
        /// order (empty when not read; an S3 website endpoint is a custom origin).
        public var originIsS3: [Bool] = []
        /// The origin `Id` the default cache behavior reads (`TargetOriginId`): where pages are
        /// served from, unless another cache behavior's path pattern matches first.
        public var defaultOriginId: String?
        public var inProgressInvalidationBatches: Int?
        /// The `ETag` response header (the distribution config's version, for updates).
        public var etag: String?
        /// The viewer certificate's IAM server certificate id, when it is one from IAM.
        public var iamCertificateId: String? = nil
    }

    /// What DescribeFunction says about a CloudFront Function.
    public struct FunctionDescription: Sendable, Equatable {
        public var name: String?
        public var functionARN: String?
        /// `LIVE` or `DEVELOPMENT`.
        public var stage: String?
        /// `UNASSOCIATED`, `DEPLOYED`, ….
        public var status: String?
        public var runtime: String?
        /// The ARNs of the KeyValueStores associated with the function.
        public var keyValueStoreARNs: [String]
        public var etag: String?
    }

    // MARK: - Invalidations

    /// CreateInvalidation of `paths` (each starting with `/`; `*` only last). Paths are
    /// URL-encoded here (``encodeInvalidationPath(_:)``: already encoded paths stay as they
    /// are) and XML-escaped. Resending the same `callerReference` with the same paths returns
    /// the existing invalidation instead of creating another one (not on moto).
    public func createInvalidation(distributionId: String, paths: [String], callerReference: String) async throws -> Invalidation {
        let body = Array(Self.invalidationBatchXML(paths: paths, callerReference: callerReference).utf8)
        let response = try await send("CreateInvalidation", method: "POST",
                                      path: distributionPath(distributionId) + "/invalidation",
                                      body: body)
        return try Self.parseInvalidation(try parse("CreateInvalidation", response.body), operation: "CreateInvalidation")
    }

    /// GetInvalidation.
    public func getInvalidation(distributionId: String, id: String) async throws -> Invalidation {
        let response = try await send("GetInvalidation", method: "GET",
                                      path: distributionPath(distributionId) + "/invalidation/" + URIEncoding.encode(id))
        return try Self.parseInvalidation(try parse("GetInvalidation", response.body), operation: "GetInvalidation")
    }

    /// One page of ListInvalidations (newest first on AWS).
    public func listInvalidationsPage(distributionId: String, marker: String? = nil,
                                      maxItems: Int? = nil) async throws -> (items: [InvalidationSummary], nextMarker: String?) {
        var query: [SigningRequest.QueryItem] = []
        if let marker { query.append(.init("Marker", marker)) }
        if let maxItems { query.append(.init("MaxItems", String(maxItems))) }
        let response = try await send("ListInvalidations", method: "GET",
                                      path: distributionPath(distributionId) + "/invalidation", query: query)
        return Self.parseInvalidationList(try parse("ListInvalidations", response.body))
    }

    /// Every invalidation of the distribution (following the markers), or with `inProgressOnly`
    /// only those still `InProgress`: the ones that count against the 3,000-path and
    /// 15-wildcard limits.
    public func listInvalidations(distributionId: String, inProgressOnly: Bool = false) async throws -> [InvalidationSummary] {
        var all: [InvalidationSummary] = []
        var marker: String?
        repeat {
            try Task.checkCancellation()
            let page = try await listInvalidationsPage(distributionId: distributionId, marker: marker)
            all += page.items
            if page.nextMarker == marker { break }
            marker = page.nextMarker
        } while marker != nil
        return inProgressOnly ? all.filter(\.isInProgress) : all
    }

    // MARK: - Distributions and functions

    /// GetDistribution.
    public func getDistribution(id: String) async throws -> Distribution {
        let response = try await send("GetDistribution", method: "GET", path: distributionPath(id))
        return try Self.parseDistribution(try parse("GetDistribution", response.body), etag: response.headers.first("etag"),
                                          operation: "GetDistribution")
    }

    /// CreateDistribution from a whole `<DistributionConfig>` document (the caller writes the
    /// XML; sitebuild does not model distribution configurations).
    public func createDistribution(configXML: String) async throws -> Distribution {
        let response = try await send("CreateDistribution", method: "POST", path: endpoint.rootPath + Self.apiVersion + "/distribution",
                                      body: Array(configXML.utf8))
        return try Self.parseDistribution(try parse("CreateDistribution", response.body), etag: response.headers.first("etag"),
                                          operation: "CreateDistribution")
    }

    /// DescribeFunction: `GET /2020-05-31/function/{Name}/describe?Stage=…`.
    public func describeFunction(name: String, stage: String = "LIVE") async throws -> FunctionDescription {
        let response = try await send("DescribeFunction", method: "GET",
                                      path: endpoint.rootPath + Self.apiVersion + "/function/" + URIEncoding.encode(name) + "/describe",
                                      query: [.init("Stage", stage)])
        return Self.parseFunction(try parse("DescribeFunction", response.body), etag: response.headers.first("etag"))
    }

    // MARK: - Documents

    /// The CreateInvalidation body.
    static func invalidationBatchXML(paths: [String], callerReference: String) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InvalidationBatch xmlns=\"\(namespace)\"><Paths><Quantity>\(paths.count)</Quantity>"
        if !paths.isEmpty {
            xml += "<Items>"
            for path in paths { xml += "<Path>\(S3XML.escape(encodeInvalidationPath(path)))</Path>" }
            xml += "</Items>"
        }
        xml += "</Paths><CallerReference>\(S3XML.escape(callerReference))</CallerReference></InvalidationBatch>"
        return xml
    }

    /// `path` percent-encoded the way CloudFront wants invalidation paths: non-ASCII bytes,
    /// control characters, space and the RFC 1738 unsafe characters (`"` `#` `<` `>` `?`
    /// `[` `\` `]` `^` `` ` `` `{` `|` `}`, and `%` when it does not start an escape) become
    /// `%XX`; `/`, `*` (the wildcard) and the other printable ASCII characters stay. An
    /// existing `%XX` escape is kept, so encoding an encoded path changes nothing.
    public static func encodeInvalidationPath(_ path: String) -> String {
        let bytes = Array(path.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        let digits = Array("0123456789ABCDEF".utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) {
                out.append(contentsOf: bytes[index...index + 2])
                index += 3
                continue
            }
            if keepsRaw(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func keepsRaw(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7f else { return false }
        return !"\"#%<>?[\\]^`{|}".utf8.contains(byte)
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }

    static func parseInvalidation(_ root: S3XMLElement, operation: String) throws -> Invalidation {
        guard root.name == "Invalidation", let id = root.text("Id"), !id.isEmpty else {
            throw AWSServiceError.malformedResponse(serviceName, operation, "no <Invalidation><Id>")
        }
        return Invalidation(id: id, status: root.text("Status") ?? "", createTime: nonEmpty(root.text("CreateTime")),
                            paths: root.elements("InvalidationBatch", "Paths", "Items", "Path").map(\.text),
                            callerReference: nonEmpty(root.text("InvalidationBatch", "CallerReference")))
    }

    static func parseInvalidationList(_ root: S3XMLElement) -> (items: [InvalidationSummary], nextMarker: String?) {
        let items = root.elements("Items", "InvalidationSummary").map {
            InvalidationSummary(id: $0.text("Id") ?? "", status: $0.text("Status") ?? "", createTime: nonEmpty($0.text("CreateTime")))
        }
        let truncated = root.text("IsTruncated") == "true"
        return (items, truncated ? nonEmpty(root.text("NextMarker")) : nil)
    }

    static func parseDistribution(_ root: S3XMLElement, etag: String?, operation: String) throws -> Distribution {
        guard root.name == "Distribution", let id = root.text("Id"), !id.isEmpty else {
            throw AWSServiceError.malformedResponse(serviceName, operation, "no <Distribution><Id>")
        }
        let config = root.element("DistributionConfig") ?? S3XMLElement(name: "DistributionConfig")
        let associations = config.elements("DefaultCacheBehavior", "FunctionAssociations", "Items", "FunctionAssociation").map {
            FunctionAssociation(eventType: $0.text("EventType") ?? "", functionARN: $0.text("FunctionARN") ?? "")
        }
        let lambdas = config.elements("DefaultCacheBehavior", "LambdaFunctionAssociations", "Items", "LambdaFunctionAssociation").map {
            LambdaFunctionAssociation(eventType: $0.text("EventType") ?? "", lambdaFunctionARN: $0.text("LambdaFunctionARN") ?? "")
        }
        // The origins with a domain name, in order: every per-origin column is read from these.
        let origins = config.elements("Origins", "Items", "Origin").filter { nonEmpty($0.text("DomainName")) != nil }
        return Distribution(
            id: id, arn: nonEmpty(root.text("ARN")), status: nonEmpty(root.text("Status")), domainName: nonEmpty(root.text("DomainName")),
            aliases: config.elements("Aliases", "Items", "CNAME").map(\.text),
            enabled: config.text("Enabled") == "true",
            functionAssociations: associations,
            lambdaFunctionAssociations: lambdas,
            acmCertificateArn: nonEmpty(config.text("ViewerCertificate", "ACMCertificateArn")),
            originDomainNames: origins.compactMap { nonEmpty($0.text("DomainName")) },
            originPaths: origins.map { $0.text("OriginPath") ?? "" },
            originIds: origins.map { $0.text("Id") ?? "" },
            originIsS3: origins.map { $0.element("S3OriginConfig") != nil },
            defaultOriginId: nonEmpty(config.text("DefaultCacheBehavior", "TargetOriginId")),
            inProgressInvalidationBatches: root.text("InProgressInvalidationBatches").flatMap { Int($0) },
            etag: etag,
            iamCertificateId: nonEmpty(config.text("ViewerCertificate", "IAMCertificateId")))
    }

    static func parseFunction(_ root: S3XMLElement, etag: String?) -> FunctionDescription {
        FunctionDescription(
            name: nonEmpty(root.text("Name")),
            functionARN: nonEmpty(root.text("FunctionMetadata", "FunctionARN")),
            stage: nonEmpty(root.text("FunctionMetadata", "Stage")),
            status: nonEmpty(root.text("Status")),
            runtime: nonEmpty(root.text("FunctionConfig", "Runtime")),
            keyValueStoreARNs: root.elements("FunctionConfig", "KeyValueStoreAssociations", "Items", "KeyValueStoreAssociation")
                .compactMap { nonEmpty($0.text("KeyValueStoreARN")) },
            etag: etag)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    // MARK: - Sending

    private func distributionPath(_ id: String) -> String {
        endpoint.rootPath + Self.apiVersion + "/distribution/" + URIEncoding.encode(id)
    }

    /// Signs and sends one request; returns the 2xx response and throws ``AWSServiceError``
    /// otherwise. A body is always sent as `application/xml` (set explicitly: libcurl would
    /// label a POST as a form, which some servers then swallow).
    func send(_ operation: String, method: String, path: String, query: [SigningRequest.QueryItem] = [],
              body: [UInt8]? = nil) async throws -> HTTPResponse {
        guard let host = endpoint.hostHeader, endpoint.url.hasPrefix("http://") || endpoint.url.hasPrefix("https://"),
              let components = URLComponents(string: endpoint.url), let scheme = components.scheme else {
            throw AWSServiceError.badEndpoint(Self.serviceName, operation, url: endpoint.url, source: endpoint.source)
        }
        let resolved = try await credentials.credentials()
        var headers = [SigningRequest.Header("Host", host)]
        if body != nil { headers.append(.init("Content-Type", "application/xml")) }
        let unsigned = SigningRequest(method: method, path: path, query: query, headers: headers, payload: .bytes(body ?? []))
        let signer = SigV4Signer(credentials: resolved.awsCredentials, region: signingRegion, service: Self.signingName)
        let signed = signer.sign(unsigned, date: clock())
        let request = HTTPRequest(method: method, url: "\(scheme)://\(host)\(signed.request.target)",
                                  headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 10, lowSpeedLimit: 1, lowSpeedTime: 30, total: 60))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: body.map { .bytes($0) } ?? .none,
                                                    responseBody: .collect(limit: 8 * 1024 * 1024))
        } catch let error as RetryExhaustedError {
            if let last = error.lastResponse, !last.isSuccess {
                throw serviceError(operation, last).after(error)
            }
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error) (endpoint \(endpoint.url) from \(endpoint.source))")
        }
        guard response.isSuccess else { throw serviceError(operation, response) }
        return response
    }

    func parse(_ operation: String, _ body: [UInt8]) throws -> S3XMLElement {
        try S3XML.parse(body, service: Self.serviceName, operation: operation)
    }

    /// The error of a non-2xx response: `<ErrorResponse><Error><Code>`/`<Message>`, or a code
    /// from the status when the body is not a CloudFront error document.
    func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        Self.serviceError(operation, response)
    }

    static func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        let document = try? S3XML.parse(response.body)
        let fallback: String = switch response.status {
        case 404: "NotFound"
        case 403: "AccessDenied"
        case 429: ErrorCode.throttling
        default: "HTTP\(response.status)"
        }
        let code = ServiceErrorCode.parse(headers: response.headers, body: response.body) ?? fallback
        let message = document.flatMap { $0.text("Error", "Message") ?? $0.text("Message") }
        return AWSServiceError.service(serviceName, operation, code: code, message: message, status: response.status)
    }
}

extension AWSServiceError {
    /// CloudFront asked the caller to come back later: `TooManyInvalidationsInProgress` (the
    /// 3,000-path / 15-wildcard in-progress limits) or `Throttling` (request rate).
    public var isCloudFrontThrottling: Bool {
        errorCode == CloudFrontClient.ErrorCode.tooManyInvalidationsInProgress || errorCode == CloudFrontClient.ErrorCode.throttling
    }
}
