/// Tries providers in order and returns the first credentials found. A source that is not set
/// up here is passed over; one that is set up but fails (STS refuses the role, half of a key
/// pair is set) stops the chain with its own error, as in the AWS CLI: falling through would
/// deploy as another identity. When no source is set up, it throws one ``CredentialError``
/// listing every source tried and why it had nothing.
public struct CredentialChain: CredentialProvider {
    public let providers: [any CredentialProvider]

    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }

    public func credentials() async throws -> ResolvedCredentials {
        var attempts: [(source: String, reason: String)] = []
        for (index, provider) in providers.enumerated() {
            try Task.checkCancellation()
            do {
                return try await provider.credentials()
            } catch let error as CredentialError where error.isNotConfigured {
                attempts.append((error.source, "not configured (\(error.reason))"))
            } catch let error as CredentialError {
                throw index == providers.count - 1 ? error : error.stoppingTheChain()
            }
        }
        throw CredentialError.chainExhausted(attempts)
    }

    /// The SDK's default order: environment, web identity, shared files (profile, including role
    /// profiles assumed through STS), container endpoint, EC2 instance metadata; cached and
    /// refreshed five minutes before expiry.
    ///
    /// - Parameters:
    ///   - environment: the variables to read (the process environment in the program).
    ///   - profile: the `--profile` option, which overrides `AWS_PROFILE`.
    ///   - region: the region the services use (`--region`, else the environment's, else the
    ///     profile's), which STS is called in too, as the aws CLI calls it: a regional endpoint's
    ///     session tokens are the ones SigV4A accepts. Nil lets the environment and the profile decide.
    public static func standard(environment: [String: String], profile: String? = nil, region: String? = nil,
                                httpClient: any HTTPClient) -> CachingCredentialProvider {
        // An explicit --profile means that profile, as in the aws CLI: keys in the environment
        // (or a container's, an instance's) must not stand in for it, and a profile that is
        // not there is an error, not a reason to try the next source.
        if let profile {
            return CachingCredentialProvider(ProfileCredentialProvider(environment: environment, profile: profile, region: region, httpClient: httpClient))
        }
        return CachingCredentialProvider(CredentialChain([
            EnvironmentCredentialProvider(environment: environment),
            WebIdentityCredentialProvider(environment: environment, region: region, httpClient: httpClient),
            ProfileCredentialProvider(environment: environment, profile: profile, region: region, httpClient: httpClient),
            ContainerCredentialProvider(environment: environment, httpClient: httpClient),
            InstanceMetadataCredentialProvider(environment: environment, httpClient: httpClient),
        ]))
    }
}
