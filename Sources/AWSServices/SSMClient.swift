import AWSCore

/// AWS Systems Manager Parameter Store: reads parameters, decrypting SecureString values.
public struct SSMClient: Sendable {
    /// GetParameters accepts at most this many names per call.
    public static let maxNamesPerCall = 10

    public let client: AWSJSONClient

    public init(client: AWSJSONClient) {
        self.client = client
    }

    /// A client for `region`, with the endpoint from `AWS_ENDPOINT_URL_SSM`, `endpointURL`,
    /// `AWS_ENDPOINT_URL` or the public one.
    public init(region: String, credentials: any CredentialProvider, environment: [String: String],
                endpointURL: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "ssm", environmentSuffix: "SSM", region: region,
                                           option: endpointURL, environment: environment)
        client = AWSJSONClient(serviceName: "SSM", signingName: "ssm", targetPrefix: "AmazonSSM", endpoint: endpoint,
                               region: region, credentials: credentials, httpClient: httpClient)
    }

    /// What GetParameters found.
    public struct Parameters: Sendable, Equatable {
        /// Values by the name they were asked for (SecureString values decrypted when asked).
        public var values: [String: String]
        /// The names that do not exist (or are not visible to these credentials).
        public var invalidParameters: [String]
    }

    /// The values of `names`, asked for in batches of ``maxNamesPerCall``; duplicates are
    /// asked for once. The answers name parameters by name, even when asked by ARN or as
    /// `name:version` / `name:label` (AWS adds the selector in `Selector`; moto leaves it out),
    /// so no batch asks for one parameter twice (`/app/x` and `/app/x:1` go in separate calls)
    /// and each answer is the one asked for its parameter in its batch.
    public func getParameters(names: [String], withDecryption: Bool = true) async throws -> Parameters {
        var unique: [String] = []
        var seen: Set<String> = []
        for name in names where seen.insert(name).inserted { unique.append(name) }
        var batches: [[String]] = []
        for name in unique {
            let base = Self.withoutSelector(name)
            if let index = batches.firstIndex(where: { $0.count < Self.maxNamesPerCall && !$0.contains { Self.withoutSelector($0) == base } }) {
                batches[index].append(name)
            } else {
                batches.append([name])
            }
        }
        var result = Parameters(values: [:], invalidParameters: [])
        for batch in batches {
            let output: GetParametersOutput = try await client.call(
                "GetParameters", GetParametersInput(Names: batch, WithDecryption: withDecryption))
            for parameter in output.Parameters ?? [] {
                let names = [parameter.Name] + (parameter.ARN.map { [$0] } ?? [])
                let asked = batch.first { names.contains(Self.withoutSelector($0)) } ?? parameter.Name
                result.values[asked] = parameter.Value
            }
            result.invalidParameters += output.InvalidParameters ?? []
        }
        return result
    }

    /// `name` without a `:version` or `:label` selector (`/app/x:3` → `/app/x`; an ARN keeps
    /// its own colons: only a last part without `/` after `parameter/…` is a selector).
    static func withoutSelector(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        let selector = name[name.index(after: colon)...]
        guard !selector.isEmpty, !selector.contains("/") else { return name }
        if name.hasPrefix("arn:") && !name[..<colon].contains("parameter/") { return name }
        return String(name[..<colon])
    }

    private struct GetParametersInput: Encodable {
        var Names: [String]
        var WithDecryption: Bool
    }

    private struct GetParametersOutput: Decodable {
        struct Parameter: Decodable {
            var Name: String
            var Value: String
            var ARN: String?
        }
        var Parameters: [Parameter]?
        var InvalidParameters: [String]?
    }
}
