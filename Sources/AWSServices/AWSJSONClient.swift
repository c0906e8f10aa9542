import AWSCore
import Foundation

/// Calls an AWS service that speaks the JSON 1.1 protocol (SSM, Secrets Manager, …):
/// `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body, signed with SigV4.
///
/// Errors come back as `{"__type": "…#Code", "message": "…"}` and are thrown as
/// ``AWSServiceError``.
public struct AWSJSONClient: Sendable {
    /// The service's display name, for messages: `SSM`.
    public let serviceName: String
    /// The SigV4 signing name: `ssm`, `secretsmanager`.
    public let signingName: String
    /// The `X-Amz-Target` prefix: `AmazonSSM`, `secretsmanager`.
    public let targetPrefix: String
    public let endpoint: AWSEndpoint
    public let region: String
    public let credentials: any CredentialProvider
    public let httpClient: any HTTPClient
    /// Injected so tests can pin the signing time.
    public let clock: @Sendable () -> Date

    public init(serviceName: String, signingName: String, targetPrefix: String, endpoint: AWSEndpoint, region: String,
                credentials: any CredentialProvider, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.serviceName = serviceName
        self.signingName = signingName
        self.targetPrefix = targetPrefix
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.httpClient = httpClient
        self.clock = clock
    }

    /// libcurl behind the standard retry policy.
    public static func defaultHTTPClient() -> any HTTPClient {
        RetryingHTTPClient(wrapping: CurlHTTPClient())
    }

    /// The JSON 1.1 content type; always sent explicitly, since libcurl would otherwise label
    /// a POST as a form and some servers (moto/Werkzeug) then swallow the body.
    public static let contentType = "application/x-amz-json-1.1"

    /// Sends `operation` with `input` encoded as JSON and decodes the answer as `Output`.
    public func call<Input: Encodable, Output: Decodable>(_ operation: String, _ input: Input,
                                                          as output: Output.Type = Output.self) async throws -> Output {
        let response = try await send(operation, payload: Array(try JSONEncoder().encode(input)))
        do {
            return try JSONDecoder().decode(Output.self, from: Data(response.isEmpty ? Array("{}".utf8) : response))
        } catch {
            throw AWSServiceError.malformedResponse(serviceName, operation, "the JSON does not match \(Output.self): \(Self.describe(decoding: error))")
        }
    }

    /// Sends `payload` (a JSON document) as `operation`; returns the 2xx body.
    public func send(_ operation: String, payload: [UInt8]) async throws -> [UInt8] {
        guard let host = endpoint.hostHeader, endpoint.url.hasPrefix("http://") || endpoint.url.hasPrefix("https://") else {
            throw AWSServiceError.badEndpoint(serviceName, operation, url: endpoint.url, source: endpoint.source)
        }
        let resolved = try await credentials.credentials()
        let path = endpoint.rootPath
        let unsigned = SigningRequest(method: "POST", path: path, headers: [
            .init("Host", host),
            .init("Content-Type", Self.contentType),
            .init("X-Amz-Target", "\(targetPrefix).\(operation)"),
        ], payload: .bytes(payload))
        let signer = SigV4Signer(credentials: resolved.awsCredentials, region: region, service: signingName)
        let signed = signer.sign(unsigned, date: clock())
        // `endpoint.url` never ends in `/` and `rootPath` always does, so the two agree.
        let request = HTTPRequest(method: "POST", url: endpoint.url + "/",
                                  headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 10, lowSpeedLimit: 1, lowSpeedTime: 30, total: 60))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: .bytes(payload), responseBody: .collect(limit: 8 * 1024 * 1024))
        } catch let error as RetryExhaustedError {
            if let last = error.lastResponse, !last.isSuccess {
                throw serviceError(operation, last).after(error).attributing(credentialsTo: resolved.source)
            }
            throw AWSServiceError.transport(serviceName, operation, "\(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSServiceError.transport(serviceName, operation, "\(error) (endpoint \(endpoint.url) from \(endpoint.source))")
        }
        guard response.isSuccess else { throw serviceError(operation, response).attributing(credentialsTo: resolved.source) }
        return response.body
    }

    /// The error of a non-2xx response, from `__type` and `message` (any case).
    func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        let code = ServiceErrorCode.parse(headers: response.headers, body: response.body) ?? "HTTP\(response.status)"
        let message = object.first { $0.key.lowercased() == "message" }?.value as? String
        return AWSServiceError.service(serviceName, operation, code: code, message: message, status: response.status)
    }

    /// A decoding error without any value from the document: only the coding path.
    private static func describe(decoding error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "unexpected value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        @unknown default:
            return "not readable"
        }
    }
}
