import AWSCore
import Foundation

/// The CloudFront KeyValueStore data plane (`cloudfront-keyvaluestore`, REST-JSON, 2022-07-26),
/// signed with SigV4A for the region set `*`.
///
/// Writes are optimistic: every write carries the store-wide ETag from
/// ``describe()`` (or the previous write) in `If-Match`; a stale ETag comes back as
/// ``WriteOutcome/conflict(message:)``.
public struct KeyValueStoreClient: Sendable {
    public static let signingName = "cloudfront-keyvaluestore"
    static let serviceName = "CloudFront KeyValueStore"

    /// `arn:aws:cloudfront::<account>:key-value-store/<id>`.
    public let kvsARN: String
    public let endpoint: AWSEndpoint
    public let credentials: any CredentialProvider
    public let httpClient: any HTTPClient
    /// Injected so tests can pin the signing time.
    public let clock: @Sendable () -> Date

    public init(kvsARN: String, endpoint: AWSEndpoint, credentials: any CredentialProvider,
                httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.kvsARN = kvsARN
        self.endpoint = endpoint
        self.credentials = credentials
        self.httpClient = httpClient
        self.clock = clock
    }

    /// A client for the store `kvsARN`, with the endpoint from
    /// `AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE`, `endpointURL`, `AWS_ENDPOINT_URL`, or the
    /// public `https://<account>.cloudfront-kvs.global.api.aws`. Throws if the ARN is not a
    /// KeyValueStore ARN in the `aws` partition.
    public init(kvsARN: String, credentials: any CredentialProvider, environment: [String: String],
                endpointURL: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) throws {
        let endpoint = try Self.endpoint(forARN: kvsARN, option: endpointURL, environment: environment)
        self.init(kvsARN: kvsARN, endpoint: endpoint, credentials: credentials, httpClient: httpClient)
    }

    /// The account id of a KeyValueStore ARN, or nil when `arn` is not one (wrong partition,
    /// service, a region, another resource type).
    public static func accountId(ofARN arn: String) -> String? {
        parts(ofARN: arn)?.account
    }

    /// The store's id (what a CloudFront Function passes to `cf.kvs()`), or nil as above.
    public static func storeId(ofARN arn: String) -> String? {
        parts(ofARN: arn)?.id
    }

    private static func parts(ofARN arn: String) -> (account: String, id: String)? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        let resource = "key-value-store/"
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[2] == "cloudfront", parts[3].isEmpty,
              !parts[4].isEmpty, parts[4].allSatisfy({ $0.isASCII && $0.isNumber }),
              parts[5].hasPrefix(resource), parts[5].count > resource.count else { return nil }
        return (parts[4], String(parts[5].dropFirst(resource.count)))
    }

    /// The endpoint rules: a custom endpoint is used as given (no account prefix, so a local
    /// server on `127.0.0.1` works); otherwise `https://<account>.cloudfront-kvs.global.api.aws`.
    public static func endpoint(forARN arn: String, option: String? = nil, environment: [String: String]) throws -> AWSEndpoint {
        guard let account = accountId(ofARN: arn) else {
            throw AWSServiceError.badEndpoint(serviceName, "endpoint resolution", url: arn, source: "the KeyValueStore ARN")
        }
        let specific = "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"
        if let value = environment[specific], !value.isEmpty { return AWSEndpoint(url: value, source: specific) }
        if let option, !option.isEmpty { return AWSEndpoint(url: option, source: "--endpoint-url") }
        if let value = environment["AWS_ENDPOINT_URL"], !value.isEmpty { return AWSEndpoint(url: value, source: AWSEndpoint.globalSource(environment)) }
        return AWSEndpoint(url: "https://\(account).cloudfront-kvs.global.api.aws", source: "default")
    }

    // MARK: - Types

    public struct Description: Sendable, Equatable {
        /// The store-wide version to send in `If-Match`.
        public var etag: String
        public var itemCount: Int?
        public var totalSizeInBytes: Int?
        public var status: String?
    }

    /// What a write did.
    public enum WriteOutcome: Sendable, Equatable {
        /// Written; `etag` is the store's new version.
        case written(etag: String)
        /// The `If-Match` ETag was stale (`409 ConflictException`); nothing was written.
        case conflict(message: String?)
    }

    // MARK: - Operations

    private struct DescribeOutput: Decodable {
        var ItemCount: Int?
        var TotalSizeInBytes: Int?
        var Status: String?
    }

    /// The store's ETag and size.
    public func describe() async throws -> Description {
        let response = try await send("DescribeKeyValueStore", method: "GET", keyPath: nil)
        let output: DescribeOutput = try decode("DescribeKeyValueStore", response.body)
        guard let etag = response.headers.first("ETag") else {
            throw AWSServiceError.malformedResponse(Self.serviceName, "DescribeKeyValueStore", "no ETag header")
        }
        return Description(etag: etag, itemCount: output.ItemCount, totalSizeInBytes: output.TotalSizeInBytes,
                           status: output.Status)
    }

    private struct GetKeyOutput: Decodable { var Value: String }

    /// The value of `key`; a missing key throws ``AWSServiceError`` with
    /// `ResourceNotFoundException`.
    public func getKey(_ key: String) async throws -> String {
        let response = try await send("GetKey", method: "GET", keyPath: "/keys/" + URIEncoding.encode(key))
        let output: GetKeyOutput = try decode("GetKey", response.body)
        return output.Value
    }

    private struct PutKeyInput: Encodable { var Value: String }

    /// Sets `key` to `value` if the store is still at `ifMatch`.
    public func putKey(_ key: String, value: String, ifMatch: String) async throws -> WriteOutcome {
        let payload = Array(try JSONEncoder().encode(PutKeyInput(Value: value)))
        return try await write("PutKey", method: "PUT", keyPath: "/keys/" + URIEncoding.encode(key),
                               payload: payload, ifMatch: ifMatch)
    }

    private struct UpdateKeysInput: Encodable {
        struct Put: Encodable { var Key: String; var Value: String }
        struct Delete: Encodable { var Key: String }
        var Puts: [Put]?
        var Deletes: [Delete]?
    }

    /// Applies `puts` and `deletes` all-or-nothing if the store is still at `ifMatch`.
    /// `puts` is applied in key order.
    public func updateKeys(puts: [String: String], deletes: [String] = [], ifMatch: String) async throws -> WriteOutcome {
        let input = UpdateKeysInput(
            Puts: puts.isEmpty ? nil : puts.sorted { $0.key < $1.key }.map { .init(Key: $0.key, Value: $0.value) },
            Deletes: deletes.isEmpty ? nil : deletes.map { .init(Key: $0) })
        let payload = Array(try JSONEncoder().encode(input))
        return try await write("UpdateKeys", method: "POST", keyPath: "/keys", payload: payload, ifMatch: ifMatch)
    }

    private func write(_ operation: String, method: String, keyPath: String, payload: [UInt8],
                       ifMatch: String) async throws -> WriteOutcome {
        let response = try await send(operation, method: method, keyPath: keyPath, payload: payload, ifMatch: ifMatch,
                                      acceptingConflict: true)
        if response.status == 409 {
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            return .conflict(message: object.first { $0.key.lowercased() == "message" }?.value as? String)
        }
        guard let etag = response.headers.first("ETag") else {
            throw AWSServiceError.malformedResponse(Self.serviceName, operation, "no ETag header")
        }
        return .written(etag: etag)
    }

    // MARK: - Wire

    /// `/key-value-stores/<encoded ARN>` under the endpoint's path, without a trailing `/`.
    var storePath: String {
        let root = endpoint.rootPath
        return root + "key-value-stores/" + URIEncoding.encode(kvsARN)
    }

    private func decode<Output: Decodable>(_ operation: String, _ body: [UInt8]) throws -> Output {
        do {
            return try JSONDecoder().decode(Output.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
        } catch {
            throw AWSServiceError.malformedResponse(Self.serviceName, operation, "the JSON does not match \(Output.self)")
        }
    }

    /// The signed request for `operation`, as it goes on the wire (for tests and `--debug`).
    func signedRequest(method: String, path: String, host: String, payload: [UInt8]?, ifMatch: String?,
                       credentials resolved: ResolvedCredentials) throws -> SignedRequest {
        var headers: [SigningRequest.Header] = [.init("Host", host)]
        if payload != nil { headers.append(.init("Content-Type", "application/json")) }
        if let ifMatch { headers.append(.init("If-Match", ifMatch)) }
        let unsigned = SigningRequest(method: method, path: path, headers: headers, payload: .bytes(payload ?? []))
        let signer = SigV4ASigner(credentials: resolved.awsCredentials, service: Self.signingName, regionSet: ["*"])
        return try signer.sign(unsigned, date: clock())
    }

    private func send(_ operation: String, method: String, keyPath: String?, payload: [UInt8]? = nil,
                      ifMatch: String? = nil, acceptingConflict: Bool = false) async throws -> HTTPResponse {
        guard let host = endpoint.hostHeader, endpoint.url.hasPrefix("http://") || endpoint.url.hasPrefix("https://"),
              let components = URLComponents(string: endpoint.url), let scheme = components.scheme else {
            throw AWSServiceError.badEndpoint(Self.serviceName, operation, url: endpoint.url, source: endpoint.source)
        }
        let resolved = try await credentials.credentials()
        let path = storePath + (keyPath ?? "")
        let signed: SignedRequest
        do {
            signed = try signedRequest(method: method, path: path, host: host, payload: payload, ifMatch: ifMatch,
                                       credentials: resolved)
        } catch {
            throw AWSServiceError.transport(Self.serviceName, operation, "the request could not be signed with SigV4A: \(error)")
        }
        let request = HTTPRequest(method: method, url: "\(scheme)://\(host)\(path)",
                                  headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 10, lowSpeedLimit: 1, lowSpeedTime: 30, total: 60))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: payload.map { .bytes($0) } ?? .none,
                                                    responseBody: .collect(limit: 8 * 1024 * 1024))
        } catch let error as RetryExhaustedError {
            if let last = error.lastResponse, !last.isSuccess { throw Self.serviceError(operation, last).after(error) }
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error) (endpoint \(endpoint.url) from \(endpoint.source))")
        }
        if acceptingConflict, response.status == 409,
           ServiceErrorCode.parse(headers: response.headers, body: response.body) == "ConflictException" {
            return response
        }
        guard response.isSuccess else { throw Self.serviceError(operation, response) }
        return response
    }

    static func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        let code = ServiceErrorCode.parse(headers: response.headers, body: response.body) ?? "HTTP\(response.status)"
        let message = object.first { $0.key.lowercased() == "message" }?.value as? String
        return AWSServiceError.service(serviceName, operation, code: code, message: message, status: response.status)
    }
}
