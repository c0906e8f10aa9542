import BuildSpec

/// Where `env.parameter-store` and `env.secrets-manager` values come from.
public protocol SecretSource: Sendable {
    /// Values of SSM parameters (decrypted), by parameter name.
    func parameters(named names: [String]) throws -> [String: String]
    /// The value a secrets-manager reference points to (the JSON key's value when given).
    func secret(_ reference: SecretReference) throws -> String
}

/// A secret lookup that failed; the message names the variable and what to do.
public struct SecretSourceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The source used when no AWS client is wired in: every lookup fails with a sentence
/// that says how to pass the value instead.
public struct UnavailableSecretSource: SecretSource {
    public init() {}

    public func parameters(named names: [String]) throws -> [String: String] {
        throw SecretSourceError("env.parameter-store needs AWS Systems Manager, which this sitebuild cannot reach yet "
            + "(parameters: \(names.joined(separator: ", "))); pass the values with --env NAME=VALUE or --env-file instead")
    }

    public func secret(_ reference: SecretReference) throws -> String {
        throw SecretSourceError("env.secrets-manager needs AWS Secrets Manager, which this sitebuild cannot reach yet "
            + "(secret: \(reference.secretId)); pass the value with --env NAME=VALUE or --env-file instead")
    }
}

/// Why DOWNLOAD_SOURCE failed, with CodeBuild's status code for it (`YAML_FILE_ERROR` for a
/// runtime the image does not have); `isInput`: the buildspec's fault (exit code 2).
struct DownloadSourceFailure: Error, Sendable, CustomStringConvertible {
    var code: String
    var isInput = false
    var message: String
    var description: String { message }
}

/// A setting of the build that cannot be honoured on this machine (exit code 2).
public struct BuildInputError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
