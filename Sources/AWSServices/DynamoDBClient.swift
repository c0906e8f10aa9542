import AWSCore
import Foundation

/// Amazon DynamoDB over the JSON 1.0 protocol, as far as a deploy pointer store needs it:
/// consistent GetItem, conditional PutItem (compare-and-swap) and CreateTable.
///
/// Requests are `POST /` with `Content-Type: application/x-amz-json-1.0` and
/// `X-Amz-Target: DynamoDB_20120810.<Operation>`, signed with SigV4 for service `dynamodb`.
/// ``AWSJSONClient`` pins the JSON 1.1 content type, so this client has its own small sender.
public struct DynamoDBClient: Sendable {
    public static let contentType = "application/x-amz-json-1.0"
    public static let targetPrefix = "DynamoDB_20120810"
    public static let signingName = "dynamodb"
    static let serviceName = "DynamoDB"

    public let endpoint: AWSEndpoint
    public let region: String
    public let credentials: any CredentialProvider
    public let httpClient: any HTTPClient
    /// Injected so tests can pin the signing time.
    public let clock: @Sendable () -> Date

    public init(endpoint: AWSEndpoint, region: String, credentials: any CredentialProvider,
                httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.httpClient = httpClient
        self.clock = clock
    }

    /// A client for `region`, with the endpoint from `AWS_ENDPOINT_URL_DYNAMODB`, `endpointURL`,
    /// `AWS_ENDPOINT_URL` or the public regional one.
    public init(region: String, credentials: any CredentialProvider, environment: [String: String],
                endpointURL: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "dynamodb", environmentSuffix: "DYNAMODB", region: region,
                                           option: endpointURL, environment: environment)
        self.init(endpoint: endpoint, region: region, credentials: credentials, httpClient: httpClient)
    }

    // MARK: - Types

    /// A DynamoDB attribute value. Only the scalar types a pointer store uses are modelled;
    /// anything else decodes as ``unsupported(_:)`` with its type tag.
    public enum AttributeValue: Sendable, Equatable, Codable {
        case string(String)
        /// A number, kept as DynamoDB's decimal string.
        case number(String)
        case bool(Bool)
        case null
        case unsupported(String)

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            guard let key = container.allKeys.first else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "empty attribute value"))
            }
            switch key.stringValue {
            case "S": self = .string(try container.decode(String.self, forKey: key))
            case "N": self = .number(try container.decode(String.self, forKey: key))
            case "BOOL": self = .bool(try container.decode(Bool.self, forKey: key))
            case "NULL": self = .null
            default: self = .unsupported(key.stringValue)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            switch self {
            case .string(let value): try container.encode(value, forKey: Key(stringValue: "S"))
            case .number(let value): try container.encode(value, forKey: Key(stringValue: "N"))
            case .bool(let value): try container.encode(value, forKey: Key(stringValue: "BOOL"))
            case .null: try container.encode(true, forKey: Key(stringValue: "NULL"))
            case .unsupported(let type):
                throw EncodingError.invalidValue(type, .init(codingPath: encoder.codingPath,
                                                             debugDescription: "attribute type \(type) cannot be sent"))
            }
        }
    }

    public typealias Item = [String: AttributeValue]

    /// A condition expression with its placeholders.
    public struct Condition: Sendable, Equatable {
        public var expression: String
        public var names: [String: String]
        public var values: Item

        public init(_ expression: String, names: [String: String] = [:], values: Item = [:]) {
            self.expression = expression
            self.names = names
            self.values = values
        }
    }

    /// What a conditional write did.
    public enum PutOutcome: Sendable, Equatable {
        case written
        /// The condition was false (`ConditionalCheckFailedException`); nothing was written.
        case conditionFailed
    }

    // MARK: - Operations

    private struct GetItemInput: Encodable {
        var TableName: String
        var Key: Item
        var ConsistentRead = true
    }

    private struct GetItemOutput: Decodable {
        var Item: Item?
    }

    /// The item with primary key `key`, read consistently; nil when there is none.
    public func getItem(table: String, key: Item) async throws -> Item? {
        let output: GetItemOutput = try await call("GetItem", GetItemInput(TableName: table, Key: key))
        return output.Item
    }

    private struct PutItemInput: Encodable {
        var TableName: String
        var Item: Item
        var ConditionExpression: String?
        var ExpressionAttributeNames: [String: String]?
        var ExpressionAttributeValues: Item?
    }

    private struct Empty: Decodable {}

    /// Writes `item`, only if `condition` holds when one is given.
    public func putItem(table: String, item: Item, condition: Condition? = nil) async throws -> PutOutcome {
        let input = PutItemInput(TableName: table, Item: item, ConditionExpression: condition?.expression,
                                 ExpressionAttributeNames: condition.flatMap { $0.names.isEmpty ? nil : $0.names },
                                 ExpressionAttributeValues: condition.flatMap { $0.values.isEmpty ? nil : $0.values })
        do {
            let _: Empty = try await call("PutItem", input)
            return .written
        } catch let error as AWSServiceError where error.errorCode == "ConditionalCheckFailedException" {
            return .conditionFailed
        }
    }

    private struct UpdateItemInput: Encodable {
        var TableName: String
        var Key: Item
        var UpdateExpression: String
        var ConditionExpression: String?
        var ExpressionAttributeNames: [String: String]
        var ExpressionAttributeValues: Item
    }

    /// Sets the attributes `set` of the item with primary key `key` (making the item when there
    /// is none), leaving its other attributes as they are; only if `condition` holds when one
    /// is given. Its placeholders must not be `#s0…`/`:s0…`, which name the attributes set.
    public func updateItem(table: String, key: Item, set: [(String, AttributeValue)], condition: Condition? = nil) async throws -> PutOutcome {
        var names = condition?.names ?? [:]
        var values = condition?.values ?? [:]
        var assignments: [String] = []
        for (index, (name, value)) in set.enumerated() {
            names["#s\(index)"] = name
            values[":s\(index)"] = value
            assignments.append("#s\(index) = :s\(index)")
        }
        let input = UpdateItemInput(TableName: table, Key: key, UpdateExpression: "SET " + assignments.joined(separator: ", "),
                                    ConditionExpression: condition?.expression, ExpressionAttributeNames: names,
                                    ExpressionAttributeValues: values)
        do {
            let _: Empty = try await call("UpdateItem", input)
            return .written
        } catch let error as AWSServiceError where error.errorCode == "ConditionalCheckFailedException" {
            return .conditionFailed
        }
    }

    /// Compare-and-swap on a version attribute: writes `item` if no item with this partition
    /// key exists, or if the stored `versionAttribute` equals `expected`.
    public func putItem(table: String, item: Item, partitionKey: String, versionAttribute: String,
                        expected: AttributeValue?) async throws -> PutOutcome {
        guard let expected else {
            return try await putItem(table: table, item: item,
                                     condition: Condition("attribute_not_exists(#pk)", names: ["#pk": partitionKey]))
        }
        return try await putItem(table: table, item: item, condition: Condition(
            "attribute_not_exists(#pk) OR #v = :expected", names: ["#pk": partitionKey, "#v": versionAttribute],
            values: [":expected": expected]))
    }

    private struct CreateTableInput: Encodable {
        struct AttributeDefinition: Encodable { var AttributeName: String; var AttributeType: String }
        struct KeySchemaElement: Encodable { var AttributeName: String; var KeyType: String }
        var TableName: String
        var AttributeDefinitions: [AttributeDefinition]
        var KeySchema: [KeySchemaElement]
        var BillingMode = "PAY_PER_REQUEST"
    }

    /// Creates an on-demand table whose partition key is the string attribute `partitionKey`.
    public func createTable(_ name: String, partitionKey: String) async throws {
        let input = CreateTableInput(TableName: name,
                                     AttributeDefinitions: [.init(AttributeName: partitionKey, AttributeType: "S")],
                                     KeySchema: [.init(AttributeName: partitionKey, KeyType: "HASH")])
        let _: Empty = try await call("CreateTable", input)
    }

    // MARK: - Wire

    /// Sends `operation` with `input` encoded as JSON and decodes the answer as `Output`.
    public func call<Input: Encodable, Output: Decodable>(_ operation: String, _ input: Input,
                                                          as output: Output.Type = Output.self) async throws -> Output {
        let payload: [UInt8]
        do {
            payload = Array(try JSONEncoder().encode(input))
        } catch {
            throw AWSServiceError.transport(Self.serviceName, operation, "the request could not be encoded: \(error)")
        }
        let body = try await send(operation, payload: payload)
        do {
            return try JSONDecoder().decode(Output.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
        } catch {
            throw AWSServiceError.malformedResponse(Self.serviceName, operation, "the JSON does not match \(Output.self)")
        }
    }

    /// Sends `payload` as `operation`; returns the 2xx body.
    public func send(_ operation: String, payload: [UInt8]) async throws -> [UInt8] {
        guard let host = endpoint.hostHeader, endpoint.url.hasPrefix("http://") || endpoint.url.hasPrefix("https://") else {
            throw AWSServiceError.badEndpoint(Self.serviceName, operation, url: endpoint.url, source: endpoint.source)
        }
        let resolved = try await credentials.credentials()
        let unsigned = SigningRequest(method: "POST", path: endpoint.rootPath, headers: [
            .init("Host", host),
            .init("Content-Type", Self.contentType),
            .init("X-Amz-Target", "\(Self.targetPrefix).\(operation)"),
        ], payload: .bytes(payload))
        let signer = SigV4Signer(credentials: resolved.awsCredentials, region: region, service: Self.signingName)
        let signed = signer.sign(unsigned, date: clock())
        let request = HTTPRequest(method: "POST", url: endpoint.url + "/",
                                  headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 10, lowSpeedLimit: 1, lowSpeedTime: 30, total: 60))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: .bytes(payload), responseBody: .collect(limit: 8 * 1024 * 1024))
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
        guard response.isSuccess else { throw Self.serviceError(operation, response).attributing(credentialsTo: resolved.source) }
        return response.body
    }

    /// The error of a non-2xx response: the code after `#` in `__type`, the message in any case.
    static func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        let code = ServiceErrorCode.parse(headers: response.headers, body: response.body) ?? "HTTP\(response.status)"
        let message = object.first { $0.key.lowercased() == "message" }?.value as? String
        return AWSServiceError.service(serviceName, operation, code: code, message: message, status: response.status)
    }
}
