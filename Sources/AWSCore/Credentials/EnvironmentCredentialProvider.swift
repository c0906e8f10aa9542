/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: CredentialProvider {
    public let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func credentials() async throws -> ResolvedCredentials {
        let source = "environment"
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        guard let accessKeyId = value("AWS_ACCESS_KEY_ID") else {
            throw CredentialError.notConfigured(source, "AWS_ACCESS_KEY_ID is not set")
        }
        guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw CredentialError.misconfigured(source, "partial credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or unset AWS_ACCESS_KEY_ID")
        }
        return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret,
                                   sessionToken: value("AWS_SESSION_TOKEN"), source: source)
    }
}
