import Foundation

/// Credentials from a profile of the shared files, as the AWS CLI resolves them:
///
/// - static `aws_access_key_id` / `aws_secret_access_key` (/ `aws_session_token`);
/// - a `credential_process` command;
/// - a role: `role_arn` with `source_profile` (another profile, itself possibly a role, so roles
///   chain), `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`) or
///   `web_identity_token_file`, assumed through STS with the optional `external_id`,
///   `role_session_name` and `duration_seconds`.
///
/// The profile is `--profile`, else `AWS_PROFILE`, else `default`. As in the CLI, `role_arn`
/// wins over static keys in the selected profile, while in a source profile static keys win
/// (so a profile may name itself as its source_profile to use its own keys). A cycle of
/// source_profile references and a missing source profile are reported before any call.
///
/// The files are read on every call, so a refresh sees edits. Role credentials are temporary:
/// wrap the provider in ``CachingCredentialProvider`` (as ``CredentialChain/standard(environment:profile:httpClient:)``
/// does) to keep them until shortly before they expire.
public struct ProfileCredentialProvider: CredentialProvider {
    public let environment: [String: String]
    public let profileName: String
    /// What named the profile, `--profile` or `AWS_PROFILE`; nil for `default`. A profile named
    /// explicitly must exist: the aws CLI stops when it does not, and no other source stands in.
    public let profileSetting: String?
    /// The client for STS and the credential_source endpoints; nil makes one when a role needs it.
    public let httpClient: (any HTTPClient)?
    /// The region STS is called in, resolved as for the services (`--region` first); nil
    /// lets the environment, then the profiles' `region`, decide.
    public let region: String?

    /// - Parameters:
    ///   - profile: the `--profile` option, which overrides `AWS_PROFILE`.
    ///   - region: the region of the command's services, for STS.
    ///   - httpClient: used for STS AssumeRole and the container / instance endpoints.
    public init(environment: [String: String], profile: String? = nil, region: String? = nil, httpClient: (any HTTPClient)? = nil) {
        self.environment = environment
        self.region = region.flatMap { $0.isEmpty ? nil : $0 }
        self.profileName = SharedConfigFiles.profileName(option: profile, environment: environment)
        self.profileSetting = profile.flatMap { $0.isEmpty ? nil : "--profile" }
            ?? environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : "AWS_PROFILE" }
        self.httpClient = httpClient
    }

    /// The `credential_source` values the CLI accepts.
    public static let credentialSources = ["Environment", "Ec2InstanceMetadata", "EcsContainer"]

    /// The longest and shortest role sessions STS grants.
    public static let durationRange = 900...43200

    public func credentials() async throws -> ResolvedCredentials {
        let source = "profile \(profileName)"
        let files: SharedConfigFiles
        do {
            files = try SharedConfigFiles(environment: environment)
        } catch let error as INIParseError {
            throw CredentialError.misconfigured(source, "cannot parse \(error); fix the file")
        }
        if files.credentialsFile == nil && files.configFile == nil {
            if let profileSetting {
                throw CredentialError.misconfigured(source, "\(profileSetting) names profile \(profileName), but neither \(files.credentialsPath) "
                    + "nor \(files.configPath) exists; create the profile there, or fix \(profileSetting)")
            }
            throw CredentialError.notConfigured(source, "neither \(files.credentialsPath) nor \(files.configPath) exists")
        }
        let resolver = Resolver(files: files, top: profileName, topSetting: profileSetting, region: region, environment: environment)
        let plan = try resolver.plan(profileName, visited: [profileName])
        // A profile with static keys or a credential_process makes no request: no client then.
        let client: any HTTPClient = plan.makesRequests ? (httpClient ?? CurlHTTPClient()) : NoHTTPClient()
        return try await run(plan, top: source, httpClient: client)
    }

    /// Stands in where a plan makes no request.
    private struct NoHTTPClient: HTTPClient {
        func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
            throw HTTPClientError.invalidRequest("no HTTP client for a profile that needs none", url: request.url)
        }
    }

    // MARK: - Plan

    /// How a profile gets its credentials, worked out from the files alone before any call.
    indirect enum Plan: Sendable {
        case staticKeys(ResolvedCredentials)
        case process(command: String, profile: String)
        case credentialSource(String, profile: String)
        case webIdentity(profile: String, roleArn: String, tokenFile: String, sessionName: String?, durationSeconds: Int,
                         region: String?)
        case assumeRole(profile: String, request: STSClient.AssumeRoleRequest, region: String?, source: Plan)

        /// Whether running the plan calls STS or a credential endpoint.
        var makesRequests: Bool {
            switch self {
            case .staticKeys, .process: return false
            case .credentialSource, .webIdentity, .assumeRole: return true
            }
        }
    }

    /// Walks the source_profile references of the selected profile.
    struct Resolver {
        let files: SharedConfigFiles
        let top: String
        /// `--profile` or `AWS_PROFILE` when one of them named `top`.
        var topSetting: String? = nil
        /// The command's region, which wins over the environment's and the profiles'.
        var region: String? = nil
        let environment: [String: String]

        private var filesDescription: String { "\(files.credentialsPath) or \(files.configPath)" }

        private func fail(_ reason: String) -> CredentialError {
            CredentialError.misconfigured("profile \(top)", reason)
        }

        private static func value(_ key: String, _ settings: [String: String]) -> String? {
            guard let text = settings[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }

        /// The plan for profile `name`; `visited` is the source_profile path from the selected
        /// profile to `name`, inclusive.
        func plan(_ name: String, visited: [String]) throws -> Plan {
            let isTop = visited.count == 1
            guard let settings = files.profile(name) else {
                if isTop, let topSetting {
                    throw fail("\(topSetting) names profile \(name), but there is no profile \(name) in \(filesDescription); "
                               + "add [profile \(name)] to the config file or [\(name)] to the credentials file, or fix \(topSetting)")
                }
                if isTop { throw CredentialError.notConfigured("profile \(top)", "no profile \(name) in \(filesDescription)") }
                let parent = visited[visited.count - 2]
                throw fail("profile \(parent) sets source_profile = \(name), but there is no profile \(name) in \(filesDescription); "
                           + "add [profile \(name)] to the config file or [\(name)] to the credentials file, or fix source_profile")
            }
            let hasStatic = Self.value("aws_access_key_id", settings) != nil
            if let roleArn = Self.value("role_arn", settings), isTop || !hasStatic {
                return try rolePlan(name, roleArn: roleArn, settings: settings, visited: visited)
            }
            if hasStatic { return .staticKeys(try staticKeys(name, settings)) }
            if let command = Self.value("credential_process", settings) {
                return .process(command: command, profile: name)
            }
            let sso = ["sso_session", "sso_start_url"].filter { settings[$0] != nil }
            if !sso.isEmpty {
                // The aws CLI would sign in through IAM Identity Center: no other source may
                // stand in for it.
                throw fail("profile \(name) uses IAM Identity Center (\(sso.joined(separator: ", "))), which sitebuild does not sign in with; "
                           + "after `aws sso login --profile \(name)`, add `credential_process = aws configure export-credentials "
                           + "--profile \(name) --format process` to the profile, or run sitebuild after "
                           + "`eval \"$(aws configure export-credentials --profile \(name) --format env)\"`"
                           + (isTop ? "" : "; it is the source_profile of profile \(visited[visited.count - 2])"))
            }
            let hint = settings["web_identity_token_file"] != nil ? " (web_identity_token_file needs role_arn)" : ""
            let reason = "profile \(name) has neither aws_access_key_id/aws_secret_access_key, credential_process nor role_arn" + hint
            if isTop { throw CredentialError.notConfigured("profile \(top)", reason) }
            throw fail(reason + "; it is the source_profile of profile \(visited[visited.count - 2]), so it must provide credentials")
        }

        private func staticKeys(_ name: String, _ settings: [String: String]) throws -> ResolvedCredentials {
            guard let accessKeyId = Self.value("aws_access_key_id", settings) else {
                throw fail("profile \(name) has no aws_access_key_id")
            }
            guard let secret = Self.value("aws_secret_access_key", settings) else {
                throw fail("profile \(name) has aws_access_key_id but no aws_secret_access_key; add it")
            }
            return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret,
                                       sessionToken: Self.value("aws_session_token", settings), source: "profile \(name)")
        }

        private func rolePlan(_ name: String, roleArn: String, settings: [String: String], visited: [String]) throws -> Plan {
            if settings["mfa_serial"] != nil {
                throw fail("profile \(name) sets mfa_serial, which needs an interactive MFA code and is not supported; "
                           + "use a role without MFA for automation, or export temporary credentials")
            }
            let sessionName = Self.value("role_session_name", settings)
            let duration = try durationSeconds(name, settings)
            let region = self.region ?? Self.value("AWS_REGION", environment) ?? Self.value("AWS_DEFAULT_REGION", environment)
                ?? Self.value("region", settings) ?? files.profile(top).flatMap { Self.value("region", $0) }
            let sourceProfile = Self.value("source_profile", settings)
            let credentialSource = Self.value("credential_source", settings)
            if sourceProfile != nil && credentialSource != nil {
                throw fail("profile \(name) sets both source_profile and credential_source; keep only one")
            }
            let source: Plan
            if let sourceProfile {
                if sourceProfile == name {
                    // A profile may take its own static keys as the source of its role.
                    guard Self.value("aws_access_key_id", settings) != nil else {
                        throw fail("profile \(name) names itself as source_profile but has no aws_access_key_id/aws_secret_access_key; "
                                   + "add the keys or point source_profile at a profile that has credentials")
                    }
                    source = .staticKeys(try staticKeys(name, settings))
                } else if visited.contains(sourceProfile) {
                    let cycle = (visited + [sourceProfile]).joined(separator: " -> ")
                    throw fail("the source_profile references \(cycle) form a cycle; make one profile of the cycle use "
                               + "aws_access_key_id/aws_secret_access_key, credential_process or credential_source instead of source_profile")
                } else {
                    source = try plan(sourceProfile, visited: visited + [sourceProfile])
                }
            } else if let credentialSource {
                guard ProfileCredentialProvider.credentialSources.contains(credentialSource) else {
                    throw fail("profile \(name) sets credential_source = \(credentialSource); use one of "
                               + ProfileCredentialProvider.credentialSources.joined(separator: ", "))
                }
                source = .credentialSource(credentialSource, profile: name)
            } else if let tokenFile = Self.value("web_identity_token_file", settings) {
                return .webIdentity(profile: name, roleArn: roleArn, tokenFile: tokenFile, sessionName: sessionName,
                                    durationSeconds: duration ?? 3600, region: region)
            } else {
                throw fail("profile \(name) sets role_arn but none of source_profile, credential_source or web_identity_token_file; "
                           + "add one to say which credentials assume the role")
            }
            let request = STSClient.AssumeRoleRequest(
                roleArn: roleArn, roleSessionName: sessionName ?? "sitebuild-\(Int(Date().timeIntervalSince1970))",
                durationSeconds: duration ?? 3600, externalId: Self.value("external_id", settings))
            return .assumeRole(profile: name, request: request, region: region, source: source)
        }

        private func durationSeconds(_ name: String, _ settings: [String: String]) throws -> Int? {
            guard let text = Self.value("duration_seconds", settings) else { return nil }
            guard let seconds = Int(text), ProfileCredentialProvider.durationRange.contains(seconds) else {
                throw fail("profile \(name) sets duration_seconds = \(text); use a whole number of seconds from "
                           + "\(ProfileCredentialProvider.durationRange.lowerBound) to \(ProfileCredentialProvider.durationRange.upperBound)")
            }
            return seconds
        }
    }

    // MARK: - Running a plan

    private func run(_ plan: Plan, top: String, httpClient: any HTTPClient) async throws -> ResolvedCredentials {
        switch plan {
        case .staticKeys(let credentials):
            return credentials
        case .process(let command, let profile):
            return try await CredentialProcess(command: command, profile: profile).run()
        case .credentialSource(let name, let profile):
            let provider: any CredentialProvider = switch name {
            case "Environment": EnvironmentCredentialProvider(environment: environment)
            case "Ec2InstanceMetadata": InstanceMetadataCredentialProvider(environment: environment, httpClient: httpClient)
            default: ContainerCredentialProvider(environment: environment, httpClient: httpClient)
            }
            do {
                return try await provider.credentials()
            } catch let error as CredentialError {
                throw CredentialError.failed(top, "credential_source = \(name) of profile \(profile) gave no credentials: \(error)")
            }
        case .webIdentity(let profile, let roleArn, let tokenFile, let sessionName, let duration, let region):
            let sts = STSClient(region: region, environment: environment, httpClient: httpClient)
            return try await WebIdentityCredentialProvider.assume(
                roleArn: roleArn, tokenFile: tokenFile, tokenFileSetting: "web_identity_token_file of profile \(profile)",
                sessionName: sessionName, durationSeconds: duration, sts: sts, source: "profile \(profile) (web identity)")
        case .assumeRole(let profile, let request, let region, let sourcePlan):
            let base = try await run(sourcePlan, top: top, httpClient: httpClient)
            let sts = STSClient(region: region, environment: environment, httpClient: httpClient)
            do {
                var credentials = try await sts.assumeRole(request, credentials: base.awsCredentials)
                credentials.source = "profile \(profile) (role \(request.roleArn) assumed with \(base.source))"
                return credentials
            } catch let error as STSError {
                let step = "profile \(profile)" == top ? "" : "for profile \(profile), "
                throw CredentialError.failed(top, "\(step)assuming the role with \(base.source) failed: \(error)")
            }
        }
    }
}
