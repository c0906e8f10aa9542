import AWSCore
import Foundation

/// AWS Secrets Manager: reads secret values.
public struct SecretsManagerClient: Sendable {
    public let client: AWSJSONClient

    public init(client: AWSJSONClient) {
        self.client = client
    }

    /// A client for `region`, with the endpoint from `AWS_ENDPOINT_URL_SECRETS_MANAGER`,
    /// `endpointURL`, `AWS_ENDPOINT_URL` or the public one.
    public init(region: String, credentials: any CredentialProvider, environment: [String: String],
                endpointURL: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "secretsmanager", environmentSuffix: "SECRETS_MANAGER",
                                           region: region, option: endpointURL, environment: environment)
        client = AWSJSONClient(serviceName: "Secrets Manager", signingName: "secretsmanager", targetPrefix: "secretsmanager",
                               endpoint: endpoint, region: region, credentials: credentials, httpClient: httpClient)
    }

    /// A secret's value: text, or bytes for a binary secret.
    public enum SecretValue: Sendable, Equatable {
        case string(String)
        case binary([UInt8])
    }

    /// The value of one version of a secret (the `AWSCURRENT` one unless a stage or version
    /// id is given).
    public func getSecretValue(secretId: String, versionStage: String? = nil, versionId: String? = nil) async throws -> SecretValue {
        let output: GetSecretValueOutput = try await client.call(
            "GetSecretValue", GetSecretValueInput(SecretId: secretId, VersionStage: versionStage, VersionId: versionId))
        if let string = output.SecretString { return .string(string) }
        if let binary = output.SecretBinary { return .binary(Array(binary)) }
        throw AWSServiceError.malformedResponse(client.serviceName, "GetSecretValue", "neither SecretString nor SecretBinary is set")
    }

    private struct GetSecretValueInput: Encodable {
        var SecretId: String
        var VersionStage: String?
        var VersionId: String?
    }

    private struct GetSecretValueOutput: Decodable {
        var SecretString: String?
        /// Base64 in the JSON document, which `JSONDecoder` decodes into bytes.
        var SecretBinary: Data?
    }
}
