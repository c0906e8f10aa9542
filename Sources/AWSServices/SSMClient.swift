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
    /// asked for once.
    public func getParameters(names: [String], withDecryption: Bool = true) async throws -> Parameters {
        var unique: [String] = []
        var seen: Set<String> = []
        for name in names where seen.insert(name).inserted { unique.append(name) }
        var result = Parameters(values: [:], invalidParameters: [])
        var start = 0
        while start < unique.count {
            let batch = Array(unique[start..<min(start + Self.maxNamesPerCall, unique.count)])
            start += Self.maxNamesPerCall
            let output: GetParametersOutput = try await client.call(
                "GetParameters", GetParametersInput(Names: batch, WithDecryption: withDecryption))
            var answered: Set<String> = []
            for parameter in output.Parameters ?? [] {
                // The answer names parameters by name even when asked by ARN or `name:version`,
                // with the `:version` or `:label` asked for in Selector (AWS; moto leaves it out):
                // `/app/x` and `/app/x:1` asked together are two answers named `/app/x`.
                // Without Selector the answer's Version tells `/app/x:1` from `/app/x`.
                let selector = parameter.Selector ?? ""
                let names = [parameter.Name] + (parameter.ARN.map { [$0] } ?? [])
                let exact = names.map { $0 + selector }
                let versioned = parameter.Selector == nil ? parameter.Version.map { version in names.map { $0 + ":\(version)" } } ?? [] : []
                let asked = batch.first { versioned.contains($0) && !answered.contains($0) }
                    ?? batch.first { exact.contains($0) && !answered.contains($0) }
                    ?? (selector.isEmpty ? batch.first { !answered.contains($0) && $0.hasPrefix(parameter.Name + ":") } : nil)
                    ?? parameter.Name
                answered.insert(asked)
                result.values[asked] = parameter.Value
            }
            result.invalidParameters += output.InvalidParameters ?? []
        }
        return result
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
            var Selector: String?
            var Version: Int64?
        }
        var Parameters: [Parameter]?
        var InvalidParameters: [String]?
    }
}
