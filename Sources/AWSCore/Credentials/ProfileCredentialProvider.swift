import Foundation

/// Credentials from a profile of the shared files: static `aws_access_key_id` /
/// `aws_secret_access_key` (/ `aws_session_token`), or a `credential_process` command.
/// The profile is `--profile`, else `AWS_PROFILE`, else `default`. The files are read on every
/// call, so a refresh sees edits.
public struct ProfileCredentialProvider: CredentialProvider {
    public let environment: [String: String]
    public let profileName: String

    /// - Parameter profile: the `--profile` option, which overrides `AWS_PROFILE`.
    public init(environment: [String: String], profile: String? = nil) {
        self.environment = environment
        self.profileName = SharedConfigFiles.profileName(option: profile, environment: environment)
    }

    public func credentials() async throws -> ResolvedCredentials {
        let source = "profile \(profileName)"
        let files: SharedConfigFiles
        do {
            files = try SharedConfigFiles(environment: environment)
        } catch let error as INIParseError {
            throw CredentialError.failed(source, "cannot parse \(error); fix the file")
        }
        if files.credentialsFile == nil && files.configFile == nil {
            throw CredentialError.notConfigured(source, "neither \(files.credentialsPath) nor \(files.configPath) exists")
        }
        guard let settings = files.profile(profileName) else {
            throw CredentialError.notConfigured(source, "no profile \(profileName) in \(files.credentialsPath) or \(files.configPath)")
        }
        if let accessKeyId = settings["aws_access_key_id"], !accessKeyId.isEmpty {
            guard let secret = settings["aws_secret_access_key"], !secret.isEmpty else {
                throw CredentialError.failed(source, "profile \(profileName) has aws_access_key_id but no aws_secret_access_key; add it")
            }
            let token = settings["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
            return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token, source: source)
        }
        if let command = settings["credential_process"], !command.isEmpty {
            return try await CredentialProcess(command: command, profile: profileName).run()
        }
        var unsupported = ["role_arn", "sso_session", "sso_start_url", "web_identity_token_file"].filter { settings[$0] != nil }
        if !unsupported.isEmpty { unsupported = [" (\(unsupported.joined(separator: ", ")) is not supported)"] }
        throw CredentialError.notConfigured(source, "profile \(profileName) has neither aws_access_key_id/aws_secret_access_key nor credential_process"
                                            + unsupported.joined())
    }
}
