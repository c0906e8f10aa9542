import Foundation
import Synchronization
import Testing
@testable import AWSCore
import TestSupport

/// The credential providers, chain, cache and region resolution against real files in a
/// temporary `$HOME` and a real loopback server (CredentialTestServer).
struct CredentialTests {
    // MARK: - Fakes

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let current: Mutex<Date>
        init(_ start: Date) { current = Mutex(start) }
        var now: Date { current.withLock { $0 } }
        func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
    }

    /// Hands out `KEY<n>` expiring `lifetime` seconds after the clock's now, after `delay`.
    final class CountingProvider: CredentialProvider {
        private let calls = Mutex(0)
        let clock: ManualClock
        let lifetime: TimeInterval?
        let delay: Duration
        let fails: Mutex<Bool> = Mutex(false)

        init(clock: ManualClock, lifetime: TimeInterval?, delay: Duration = .zero) {
            self.clock = clock
            self.lifetime = lifetime
            self.delay = delay
        }

        var count: Int { calls.withLock { $0 } }

        func credentials() async throws -> ResolvedCredentials {
            if delay > .zero { try await Task.sleep(for: delay) }
            if fails.withLock({ $0 }) { throw CredentialError.failed("counting", "refresh failed on cue") }
            let number = calls.withLock { $0 += 1; return $0 }
            return ResolvedCredentials(accessKeyId: "KEY\(number)", secretAccessKey: "secret\(number)", sessionToken: "token",
                                       expiration: lifetime.map { clock.now.addingTimeInterval($0) }, source: "counting")
        }
    }

    struct FixedProvider: CredentialProvider {
        var result: Result<ResolvedCredentials, CredentialError>
        func credentials() async throws -> ResolvedCredentials { try result.get() }
    }

    func withHome<T>(_ body: (TemporaryHome) async throws -> T) async throws -> T {
        let home = try TemporaryHome()
        defer { home.remove() }
        return try await body(home)
    }

    // MARK: - Environment

    @Test func environmentProviderReadsTheDictionary() async throws {
        let provider = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ])
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyId == "AKIDENV")
        #expect(credentials.secretAccessKey == "env-secret")
        #expect(credentials.sessionToken == "env-token")
        #expect(credentials.expiration == nil)
        #expect(credentials.source == "environment")
        #expect(!credentials.description.contains("env-secret"))
        #expect(!credentials.description.contains("env-token"))
    }

    @Test func environmentProviderWithoutKeysIsNotConfiguredAndWithoutSecretFails() async throws {
        let absent = await #expect(throws: CredentialError.self) {
            try await EnvironmentCredentialProvider(environment: [:]).credentials()
        }
        #expect(absent?.isNotConfigured == true)
        let partial = await #expect(throws: CredentialError.self) {
            try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKID"]).credentials()
        }
        #expect(partial?.isNotConfigured == false)
        #expect(partial?.description.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    // MARK: - INI

    @Test func iniParserReadsSectionsCommentsAndContinuations() throws {
        let text = """
        # comment
        ; another
        [default]
        aws_access_key_id = AKID1
        aws_secret_access_key=secret1\r

        [profile ci]
        region = eu-west-1
        s3 =
            max_concurrent_requests = 20
            addressing_style = path
        [default]
        region = us-east-1
        """
        let file = try INIFile(parsing: text, path: "config")
        #expect(file.sectionNames == ["default", "profile ci"])
        #expect(file.sections["default"] == ["aws_access_key_id": "AKID1", "aws_secret_access_key": "secret1", "region": "us-east-1"])
        #expect(file.sections["profile ci"]?["s3"] == "\nmax_concurrent_requests = 20\naddressing_style = path")
    }

    @Test(arguments: [
        ("[default]\nkey = 1\n[broken\n", 3, "no closing `]`"),
        ("key = 1\n", 1, "before any `[section]`"),
        ("[default]\n\n# c\njust words\n", 4, "expected `key = value`"),
        ("[default]\n= value\n", 2, "missing key"),
        ("  indented = 1\n", 1, "continues no"),
        ("[]\n", 1, "empty section name"),
        ("[a] trailing\n", 1, "after the section header"),
    ])
    func iniErrorsNameTheLine(text: String, line: Int, fragment: String) throws {
        let error = #expect(throws: INIParseError.self) { try INIFile(parsing: text, path: "profiles/config") }
        #expect(error?.line == line)
        #expect(error?.description.hasPrefix("profiles/config:\(line): ") == true)
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        // Never the line itself: it may hold a key.
        for word in ["words", "broken", "trailing"] where text.contains(word) {
            #expect(error?.description.contains(word) == false, "\(String(describing: error))")
        }
    }

    /// `key: value` as Python's configparser (the aws CLI) reads it; the first of `=` and `:`
    /// separates, so an ARN value keeps its colons.
    @Test func colonSeparatesLikeTheAWSCLI() throws {
        let text = "[default]\naws_secret_access_key: wJalr/K7MDENG\naws_access_key_id:AKID\nrole_arn = arn:aws:iam::1:role/x\n"
        let file = try INIFile(parsing: text, path: "credentials")
        #expect(file.sections["default"] == ["aws_secret_access_key": "wJalr/K7MDENG", "aws_access_key_id": "AKID",
                                             "role_arn": "arn:aws:iam::1:role/x"])
        let broken = #expect(throws: INIParseError.self) { try INIFile(parsing: "[default]\nwJalrXUtnFEMI/K7MDENG secret\n", path: "c") }
        #expect(broken?.description.contains("wJalr") == false, "\(String(describing: broken))")
    }

    /// Keys in any case, as configparser lowercases them for the aws CLI; section names keep theirs.
    @Test func keysAreReadInAnyCaseLikeTheAWSCLI() async throws {
        let file = try INIFile(parsing: "[Prod]\nAWS_ACCESS_KEY_ID = AKID\nRegion: eu-west-1\n", path: "credentials")
        #expect(file.sections["Prod"] == ["aws_access_key_id": "AKID", "region": "eu-west-1"])
        try await withHome { home in
            try home.write("[default]\nAWS_ACCESS_KEY_ID = AKIDCAPS\nAWS_SECRET_ACCESS_KEY = caps-secret\n", to: home.credentialsPath)
            let credentials = try await ProfileCredentialProvider(environment: home.environment()).credentials()
            #expect(credentials.accessKeyId == "AKIDCAPS" && credentials.secretAccessKey == "caps-secret")
        }
    }

    @Test func malformedConfigFileFailsTheProfileProviderWithFileAndLine() async throws {
        try await withHome { home in
            try home.write("[default]\nregion = us-east-1\nnot a setting\n", to: home.configPath)
            let error = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: home.environment()).credentials()
            }
            #expect(error?.isNotConfigured == false)
            #expect(error?.description.contains("\(home.configPath):3:") == true, "\(String(describing: error))")
        }
    }

    // MARK: - Shared files and profiles

    @Test func profileSelectionPrefersOptionThenAWSProfileThenDefault() async throws {
        try await withHome { home in
            try home.write("""
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = default-secret
            [ci]
            aws_access_key_id = AKIDCI
            aws_secret_access_key = ci-secret
            aws_session_token = ci-token
            """, to: home.credentialsPath)
            try home.write("""
            [profile release]
            aws_access_key_id = AKIDRELEASE
            aws_secret_access_key = release-secret
            [staging]
            aws_access_key_id = AKIDIGNORED
            aws_secret_access_key = ignored
            """, to: home.configPath)

            let fromDefault = try await ProfileCredentialProvider(environment: home.environment()).credentials()
            #expect(fromDefault.accessKeyId == "AKIDDEFAULT")
            #expect(fromDefault.source == "profile default")

            let fromEnvironment = try await ProfileCredentialProvider(environment: home.environment(["AWS_PROFILE": "ci"])).credentials()
            #expect(fromEnvironment.accessKeyId == "AKIDCI")
            #expect(fromEnvironment.sessionToken == "ci-token")

            let fromOption = try await ProfileCredentialProvider(environment: home.environment(["AWS_PROFILE": "ci"]),
                                                                 profile: "release").credentials()
            #expect(fromOption.accessKeyId == "AKIDRELEASE")
            #expect(fromOption.source == "profile release")

            // A config section without the `profile ` prefix is not a profile.
            let missing = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: home.environment(), profile: "staging").credentials()
            }
            #expect(missing?.isMisconfiguration == true)
            #expect(missing?.description.contains("--profile names profile staging, but there is no profile staging in") == true,
                    "\(String(describing: missing))")

            // In the standard chain an explicit profile wins over keys in the environment, and a
            // missing one is an error rather than a fall-through to the environment's keys.
            let withKeys = home.environment(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"])
            let chosen = try await CredentialChain.standard(environment: withKeys, profile: "release", httpClient: CurlHTTPClient()).credentials()
            #expect(chosen.accessKeyId == "AKIDRELEASE")
            await #expect(throws: CredentialError.self) {
                try await CredentialChain.standard(environment: withKeys, profile: "staging", httpClient: CurlHTTPClient()).credentials()
            }
            let unnamed = try await CredentialChain.standard(environment: withKeys, httpClient: CurlHTTPClient()).credentials()
            #expect(unnamed.accessKeyId == "AKIDENV")
        }
    }

    @Test func filePathsComeFromTheEnvironment() async throws {
        try await withHome { home in
            let credentials = home.path + "/elsewhere-credentials"
            try home.write("[default]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = moved\n", to: credentials)
            try home.write("[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = home\n", to: home.credentialsPath)
            let provider = ProfileCredentialProvider(environment: home.environment(["AWS_SHARED_CREDENTIALS_FILE": credentials]))
            #expect(try await provider.credentials().accessKeyId == "AKIDMOVED")

            let none = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: home.environment([
                    "AWS_SHARED_CREDENTIALS_FILE": home.path + "/nope", "AWS_CONFIG_FILE": home.path + "/nope2",
                ])).credentials()
            }
            #expect(none?.isNotConfigured == true)
            #expect(none?.description.contains(home.path + "/nope") == true)
        }
    }

    @Test func credentialProcessSuccess() async throws {
        try await withHome { home in
            try home.write("""
            [profile tool]
            credential_process = printf '%s' '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "proc-secret", "SessionToken": "proc-token", "Expiration": "2030-01-02T03:04:05Z"}'
            """, to: home.configPath)
            let credentials = try await ProfileCredentialProvider(environment: home.environment(), profile: "tool").credentials()
            #expect(credentials.accessKeyId == "AKIDPROC")
            #expect(credentials.secretAccessKey == "proc-secret")
            #expect(credentials.sessionToken == "proc-token")
            #expect(credentials.expiration == CredentialTimestamp.parse("2030-01-02T03:04:05Z"))
            #expect(credentials.source == "profile tool (credential_process)")
        }
    }

    @Test(arguments: [
        ("echo 'sso session expired' >&2; exit 3", ["profile tool", "status 3", "sso session expired"]),
        ("echo not-json", ["profile tool", "did not print a JSON object"]),
        (#"echo '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}'"#, ["profile tool", "Version 2"]),
        (#"echo '{"Version": 1, "AccessKeyId": "A"}'"#, ["profile tool", "without AccessKeyId and SecretAccessKey"]),
        (#"echo '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}'"#, ["Expiration soon"]),
    ])
    func credentialProcessFailureNamesTheProfile(command: String, fragments: [String]) async throws {
        try await withHome { home in
            try home.write("[profile tool]\ncredential_process = \(command)\n", to: home.configPath)
            let error = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: home.environment(), profile: "tool").credentials()
            }
            for fragment in fragments {
                #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
            }
        }
    }

    // MARK: - Container endpoint

    @Test func containerRelativeURI() async throws {
        try await withCredentialTestServer { server in
            let provider = ContainerCredentialProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task-1234"],
                httpClient: CurlHTTPClient(), relativeBase: server.baseURL)
            let asked = Date()
            let credentials = try await provider.credentials()
            let answered = Date()
            #expect(credentials.accessKeyId == "ASIACONTAINER1")
            #expect(credentials.secretAccessKey == "secret-ASIACONTAINER1")
            #expect(credentials.sessionToken == "session-ASIACONTAINER1")
            let expiration = try #require(credentials.expiration)
            // The server stamps now + 3600 s, to the second, while the call is in flight.
            #expect(expiration >= asked.addingTimeInterval(3600 - 1) && expiration <= answered.addingTimeInterval(3600 + 1),
                    "\(expiration) not an hour after \(asked)…\(answered)")
            #expect(credentials.source == "container endpoint")
        }
    }

    @Test func containerFullURISendsTheAuthorizationToken() async throws {
        try await withCredentialTestServer { server in
            try await withHome { home in
                let client = CurlHTTPClient()
                let fromValue = ContainerCredentialProvider(environment: [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url("/full/credentials"),
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialTestServer.authorizationToken,
                ], httpClient: client)
                #expect(try await fromValue.credentials().accessKeyId == "ASIACONTAINER1")

                let tokenFile = home.path + "/token"
                try home.write(CredentialTestServer.authorizationToken + "\n", to: tokenFile)
                let fromFile = ContainerCredentialProvider(environment: [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url("/full/credentials"),
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer ignored-when-the-file-is-set",
                ], httpClient: client)
                #expect(try await fromFile.credentials().accessKeyId == "ASIACONTAINER2")

                // The file is re-read on every call.
                try home.write("Bearer rotated-wrong", to: tokenFile)
                let rejected = await #expect(throws: CredentialError.self) { try await fromFile.credentials() }
                #expect(rejected?.description.contains("HTTP 401 AccessDenied") == true, "\(String(describing: rejected))")
                #expect(try await server.stats().container == 2)
            }
        }
    }

    /// The container endpoint and instance metadata are reached directly, whatever proxy the
    /// environment names (as the SDKs do): a proxy would see the token and the keys. The proxy
    /// named here does not listen, so a request sent through it would fail.
    @Test func credentialEndpointsNeverGoThroughAProxy() async throws {
        try await withCredentialTestServer { server in
            let proxied = CurlHTTPClient(configuration: .init(environment: [
                "http_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9",
            ]))
            let container = ContainerCredentialProvider(environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url("/full/credentials"),
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialTestServer.authorizationToken,
            ], httpClient: proxied)
            let fromContainer = try await container.credentials()
            #expect(fromContainer.accessKeyId == "ASIACONTAINER1")
            let metadata = InstanceMetadataCredentialProvider(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL + "/", "AWS_METADATA_SERVICE_TIMEOUT": "60"],
                httpClient: proxied)
            let fromMetadata = try await metadata.credentials()
            #expect(fromMetadata.accessKeyId == "ASIAIMDS1")
        }
    }

    @Test func containerFullURIMustBeHTTPSOrLocal() async throws {
        #expect(ContainerCredentialProvider.isAllowed("https://creds.example.com/x"))
        #expect(ContainerCredentialProvider.isAllowed("http://127.0.0.1:8080/x"))
        #expect(ContainerCredentialProvider.isAllowed("http://169.254.170.23/v1/credentials"))
        #expect(ContainerCredentialProvider.isAllowed("http://[fd00:ec2::23]/v1/credentials"))
        #expect(!ContainerCredentialProvider.isAllowed("http://creds.example.com/x"))
        let error = await #expect(throws: CredentialError.self) {
            try await ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://evil.example.com/"],
                                                  httpClient: CurlHTTPClient()).credentials()
        }
        #expect(error?.description.contains("must use https") == true)
    }

    // MARK: - IMDSv2

    @Test func instanceMetadataUsesTheSessionToken() async throws {
        try await withCredentialTestServer { server in
            // AWS_METADATA_SERVICE_TIMEOUT: a loaded machine's Python server may take more than
            // the one second allowed by default.
            let provider = InstanceMetadataCredentialProvider(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL + "/", "AWS_METADATA_SERVICE_TIMEOUT": "60"],
                httpClient: CurlHTTPClient())
            #expect(provider.timeout == 60)
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyId == "ASIAIMDS1")
            #expect(credentials.sessionToken == "session-ASIAIMDS1")
            #expect(credentials.expiration != nil)
            #expect(credentials.source == "EC2 instance metadata")
            let stats = try await server.stats()
            #expect(stats.imds_token == 1 && stats.imds_roles == 1 && stats.imds_credentials == 1)

            // The server really checks the token header.
            let unauthenticated = try await CurlHTTPClient().execute(
                HTTPRequest(method: "GET", url: server.url("/latest/meta-data/iam/security-credentials/")))
            #expect(unauthenticated.status == 401)
        }
    }

    @Test func instanceMetadataDisabledAndUnreachable() async throws {
        let disabled = await #expect(throws: CredentialError.self) {
            try await InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_DISABLED": "TRUE"],
                                                         httpClient: CurlHTTPClient()).credentials()
        }
        #expect(disabled?.isNotConfigured == true)

        // A closed loopback port: fails at once, with advice.
        let refusing = try RefusingLoopbackPort()
        let unreachable = await #expect(throws: CredentialError.self) {
            try await InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(refusing.port)"],
                                                         httpClient: CurlHTTPClient()).credentials()
        }
        #expect(unreachable?.description.contains("AWS_EC2_METADATA_DISABLED") == true)
        withExtendedLifetime(refusing) {}
        #expect(InstanceMetadataCredentialProvider(environment: [:], httpClient: CurlHTTPClient()).timeout == 1)
        #expect(InstanceMetadataCredentialProvider(environment: ["AWS_METADATA_SERVICE_TIMEOUT": "soon"], httpClient: CurlHTTPClient()).timeout == 1)
    }

    // MARK: - Web identity (moto_server)

    @Test func webIdentityAssumesTheRoleThroughSTS() async throws {
        try await withMotoServer { moto in
            try await withHome { home in
                let tokenFile = home.path + "/oidc-token"
                try home.write("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOnNpdGVidWlsZCJ9.c2lnbmF0dXJl\n", to: tokenFile)
                let environment = [
                    "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/sitebuild-deploy",
                    "AWS_ROLE_SESSION_NAME": "ci run/42",
                ]
                let provider = WebIdentityCredentialProvider(environment: environment, httpClient: CurlHTTPClient(),
                                                             stsEndpoint: moto.baseURL)
                let credentials = try await provider.credentials()
                #expect(credentials.accessKeyId.hasPrefix("ASIA"))
                #expect(!credentials.secretAccessKey.isEmpty)
                #expect(credentials.sessionToken?.isEmpty == false)
                #expect(credentials.expiration != nil)
                #expect(credentials.source == "web identity")

                let viaVariable = WebIdentityCredentialProvider(
                    environment: environment.merging(["AWS_ENDPOINT_URL_STS": moto.baseURL]) { $1 }, httpClient: CurlHTTPClient())
                #expect(viaVariable.endpoint == moto.baseURL)
                #expect(try await viaVariable.credentials().accessKeyId.hasPrefix("ASIA"))
            }
        }
    }

    @Test func webIdentityConfigurationErrors() async throws {
        let client = CurlHTTPClient()
        let absent = await #expect(throws: CredentialError.self) {
            try await WebIdentityCredentialProvider(environment: [:], httpClient: client).credentials()
        }
        #expect(absent?.isNotConfigured == true)
        let noRole = await #expect(throws: CredentialError.self) {
            try await WebIdentityCredentialProvider(environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent"], httpClient: client).credentials()
        }
        #expect(noRole?.description.contains("AWS_ROLE_ARN") == true)
        let noFile = await #expect(throws: CredentialError.self) {
            try await WebIdentityCredentialProvider(environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent/token",
                                                                  "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"], httpClient: client).credentials()
        }
        #expect(noFile?.description.contains("/nonexistent/token") == true)
        #expect(WebIdentityCredentialProvider(environment: ["AWS_REGION": "eu-west-1"], httpClient: client).endpoint
                == "https://sts.eu-west-1.amazonaws.com")
        #expect(WebIdentityCredentialProvider.element("Message", in: "<Error><Message>a &amp; b &lt;c&gt;</Message></Error>") == "a & b <c>")
    }

    // MARK: - Chain

    @Test func chainReturnsTheFirstSourceInOrder() async throws {
        try await withHome { home in
            try home.write("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n", to: home.credentialsPath)
            let client = CurlHTTPClient()
            func chain(_ environment: [String: String]) -> CredentialChain {
                CredentialChain([
                    EnvironmentCredentialProvider(environment: environment),
                    ProfileCredentialProvider(environment: environment),
                    ContainerCredentialProvider(environment: environment, httpClient: client),
                    InstanceMetadataCredentialProvider(environment: environment, httpClient: client),
                ])
            }
            let withKeys = home.environment(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"])
            #expect(try await chain(withKeys).credentials().source == "environment")
            #expect(try await chain(home.environment()).credentials().source == "profile default")

            try await withCredentialTestServer { server in
                let environment = home.environment(["AWS_SHARED_CREDENTIALS_FILE": home.path + "/absent", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL,
                                                    "AWS_METADATA_SERVICE_TIMEOUT": "60"])
                let fromIMDS = try await chain(environment).credentials()
                #expect(fromIMDS.source == "EC2 instance metadata")
            }
        }
    }

    /// AWS_PROFILE naming a profile that is not there (a typo), or one that signs in through
    /// IAM Identity Center, stops the chain (exit 2 in the CLI): the aws CLI stops there too,
    /// where falling through would deploy as the instance's role (a real IMDS server here).
    @Test func aNamedProfileThatIsMissingOrUsesSSOStopsTheChain() async throws {
        try await withCredentialTestServer { server in
            try await withHome { home in
                try home.write("""
                [profile deploy]
                region = eu-west-1
                [profile sso]
                sso_session = corp
                sso_account_id = 123456789012
                sso_role_name = Deploy
                [sso-session corp]
                sso_start_url = https://corp.awsapps.com/start
                """, to: home.configPath)
                func chain(_ extra: [String: String]) -> CredentialChain {
                    let environment = home.environment(["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL,
                                                        "AWS_METADATA_SERVICE_TIMEOUT": "60"].merging(extra) { $1 })
                    return CredentialChain([
                        EnvironmentCredentialProvider(environment: environment),
                        ProfileCredentialProvider(environment: environment),
                        InstanceMetadataCredentialProvider(environment: environment, httpClient: CurlHTTPClient()),
                    ])
                }
                let typo = await #expect(throws: CredentialError.self) { try await chain(["AWS_PROFILE": "deployr"]).credentials() }
                #expect(typo?.isMisconfiguration == true)
                #expect(typo?.description.hasPrefix("profile deployr: AWS_PROFILE names profile deployr, but there is no profile deployr in "
                                                    + "\(home.credentialsPath) or \(home.configPath)") == true, "\(String(describing: typo))")

                let sso = await #expect(throws: CredentialError.self) { try await chain(["AWS_PROFILE": "sso"]).credentials() }
                #expect(sso?.isMisconfiguration == true)
                #expect(sso?.description.contains("profile sso uses IAM Identity Center (sso_session)") == true, "\(String(describing: sso))")
                #expect(sso?.description.contains("credential_process = aws configure export-credentials --profile sso --format process") == true)
                #expect(try await server.stats().imds_token == 0)

                // Neither files: a named profile is still missing, the default one is merely absent.
                let nowhere = ["AWS_CONFIG_FILE": home.path + "/none", "AWS_SHARED_CREDENTIALS_FILE": home.path + "/none2"]
                let noFiles = await #expect(throws: CredentialError.self) {
                    try await chain(nowhere.merging(["AWS_PROFILE": "deployr"]) { $1 }).credentials()
                }
                #expect(noFiles?.description.contains("AWS_PROFILE names profile deployr, but neither") == true, "\(String(describing: noFiles))")
                // A profile that exists without credentials (only a region) is passed over, as in the aws CLI.
                #expect(try await chain(["AWS_PROFILE": "deploy"]).credentials().source == "EC2 instance metadata")
                #expect(try await chain(nowhere).credentials().source == "EC2 instance metadata")
            }
        }
    }

    @Test func exhaustedChainThrowsOneErrorListingEverySource() async throws {
        try await withHome { home in
            try home.write("[default]\naws_secret_access_key = do-not-print-me\n", to: home.credentialsPath)
            let environment = home.environment(["AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": ""])
            let client = CurlHTTPClient()
            let chain = CredentialChain([
                EnvironmentCredentialProvider(environment: environment),
                ProfileCredentialProvider(environment: environment),
                ContainerCredentialProvider(environment: environment, httpClient: client),
                InstanceMetadataCredentialProvider(environment: environment, httpClient: client),
            ])
            let error = await #expect(throws: CredentialError.self) { try await chain.credentials() }
            let message = try #require(error?.description)
            let lines = message.split(separator: "\n").map(String.init)
            #expect(lines.first == "no AWS credentials found; tried, in order:")
            #expect(lines.count == 6, "\(message)")
            #expect(lines[1].hasPrefix("  - environment: not configured (AWS_ACCESS_KEY_ID is not set)"))
            #expect(lines[2].hasPrefix("  - profile default: not configured (profile default has neither"))
            #expect(lines[3].hasPrefix("  - container endpoint: not configured"))
            #expect(lines[4] == "  - EC2 instance metadata: not configured (AWS_EC2_METADATA_DISABLED is true)")
            #expect(lines[5].contains("--profile"))
            #expect(!message.contains("do-not-print-me"))
        }
    }

    @Test func chainStopsAtASourceThatIsConfiguredButFails() async throws {
        let chain = CredentialChain([
            FixedProvider(result: .failure(.notConfigured("first", "absent"))),
            FixedProvider(result: .failure(.failed("second", "exploded"))),
            FixedProvider(result: .success(ResolvedCredentials(accessKeyId: "A", secretAccessKey: "S", source: "third"))),
        ])
        let error = await #expect(throws: CredentialError.self) { try await chain.credentials() }
        #expect(error?.source == "second")
        #expect(error?.description.hasPrefix("second: exploded; this source is configured, so sitebuild stops here") == true,
                "\(String(describing: error))")
        #expect(error?.isMisconfiguration == false)
    }

    /// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN set, STS refusing the role: the chain stops
    /// there; the container endpoint (a real server) is never asked for its credentials.
    @Test func aRefusedWebIdentityIsNotReplacedByTheContainerRole() async throws {
        try await withCredentialTestServer { server in
            try await withHome { home in
                let tokenFile = home.path + "/oidc-token"
                try home.write("eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n", to: tokenFile)
                let environment = home.environment([
                    "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/deploy",
                    "AWS_ENDPOINT_URL_STS": "http://sts.test",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url("/full/credentials"),
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialTestServer.authorizationToken,
                ])
                let denied = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    + "<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>"
                let sts = RecordingHTTPClient(answering: HTTPResponse(status: 403, body: Array(denied.utf8)))
                let chain = CredentialChain([
                    EnvironmentCredentialProvider(environment: environment),
                    WebIdentityCredentialProvider(environment: environment, httpClient: sts),
                    ProfileCredentialProvider(environment: environment),
                    ContainerCredentialProvider(environment: environment, httpClient: CurlHTTPClient()),
                ])
                let error = await #expect(throws: CredentialError.self) { try await chain.credentials() }
                let text = error.map { "\($0)" } ?? ""
                #expect(text.hasPrefix("web identity: STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/deploy"), "\(text)")
                #expect(text.contains("AccessDenied") && text.contains("stops here"), "\(text)")
                #expect(error?.isMisconfiguration == false)
                #expect(sts.exchanges.count == 1)
                #expect(try await server.stats().container == 0)
                // Without the web identity variables the same chain does reach the container.
                var plain = environment
                plain["AWS_WEB_IDENTITY_TOKEN_FILE"] = nil
                let fromContainer = try await CredentialChain([
                    WebIdentityCredentialProvider(environment: plain, httpClient: sts),
                    ContainerCredentialProvider(environment: plain, httpClient: CurlHTTPClient()),
                ]).credentials()
                #expect(fromContainer.source == "container endpoint")
            }
        }
    }

    /// AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY is a configuration error ("partial
    /// credentials", as the aws CLI says), not a reason to use the profile's keys.
    @Test func partialEnvironmentKeysStopTheChain() async throws {
        try await withHome { home in
            try home.write("[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n", to: home.credentialsPath)
            let environment = home.environment(["AWS_ACCESS_KEY_ID": "AKIDENV"])
            let chain = CredentialChain([EnvironmentCredentialProvider(environment: environment), ProfileCredentialProvider(environment: environment)])
            let error = await #expect(throws: CredentialError.self) { try await chain.credentials() }
            #expect(error?.isMisconfiguration == true)
            #expect(error?.description.hasPrefix("environment: partial credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") == true,
                    "\(String(describing: error))")
            #expect(error?.description.contains("profile-secret") == false)
        }
    }

    // MARK: - Caching and refresh

    @Test func cacheKeepsCredentialsUntilFiveMinutesBeforeExpiry() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let source = CountingProvider(clock: clock, lifetime: 3600)
        let cache = CachingCredentialProvider(source, now: { clock.now })
        #expect(try await cache.credentials().accessKeyId == "KEY1")
        clock.advance(by: 3600 - 301)
        #expect(try await cache.credentials().accessKeyId == "KEY1")
        clock.advance(by: 2)  // 299 s before expiry: inside the window
        #expect(try await cache.credentials().accessKeyId == "KEY2")
        #expect(try await cache.credentials().accessKeyId == "KEY2")
        #expect(source.count == 2)
    }

    @Test func cacheNeverRefreshesLongLivedKeysButInvalidateDoes() async throws {
        let clock = ManualClock(Date())
        let source = CountingProvider(clock: clock, lifetime: nil)
        let cache = CachingCredentialProvider(source, now: { clock.now })
        _ = try await cache.credentials()
        clock.advance(by: 1_000_000)
        #expect(try await cache.credentials().accessKeyId == "KEY1")
        await cache.invalidate()
        #expect(try await cache.credentials().accessKeyId == "KEY2")
    }

    @Test func failedEarlyRefreshKeepsStillValidCredentials() async throws {
        let clock = ManualClock(Date())
        let source = CountingProvider(clock: clock, lifetime: 3600)
        let cache = CachingCredentialProvider(source, now: { clock.now })
        _ = try await cache.credentials()
        source.fails.withLock { $0 = true }
        clock.advance(by: 3500)
        #expect(try await cache.credentials().accessKeyId == "KEY1")
        clock.advance(by: 200)  // now expired
        await #expect(throws: CredentialError.self) { try await cache.credentials() }
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let clock = ManualClock(Date())
        let source = CountingProvider(clock: clock, lifetime: 3600, delay: .milliseconds(200))
        let cache = CachingCredentialProvider(source, now: { clock.now })
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try await cache.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["KEY1"])
        #expect(source.count == 1)

        clock.advance(by: 3400)
        let refreshed = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try await cache.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(refreshed == ["KEY2"])
        #expect(source.count == 2)
    }

    @Test func cacheRefreshesSoonExpiringContainerCredentials() async throws {
        try await withCredentialTestServer { server in
            let provider = ContainerCredentialProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task"],
                httpClient: CurlHTTPClient(), relativeBase: server.baseURL)
            let clock = ManualClock(Date())
            let cache = CachingCredentialProvider(provider, now: { clock.now })

            let first = try await cache.credentials()
            #expect(first.accessKeyId == "ASIACONTAINER1")
            #expect(try await cache.credentials().accessKeyId == "ASIACONTAINER1")
            // 200 s before the expiry the server stamped (an hour after it answered): within
            // the refresh window, whenever the answer came.
            clock.advance(by: try #require(first.expiration).timeIntervalSince(clock.now) - 200)
            let second = try await cache.credentials()
            #expect(second.accessKeyId == "ASIACONTAINER2")

            // Credentials that already expire within the window are fetched again on each call.
            try await server.setExpiresIn(120)
            clock.advance(by: try #require(second.expiration).timeIntervalSince(clock.now) - 200)
            #expect(try await cache.credentials().accessKeyId == "ASIACONTAINER3")
            #expect(try await cache.credentials().accessKeyId == "ASIACONTAINER4")
            #expect(try await server.stats().container == 4)
        }
    }

    // MARK: - Region

    @Test func regionPrecedence() async throws {
        try await withHome { home in
            try home.write("[default]\nregion = us-west-2\n[profile eu]\nregion = eu-central-1\n", to: home.configPath)
            let all = home.environment(["AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "sa-east-1"])
            #expect(try RegionResolver.resolve(option: "ca-central-1", environment: all)?.name == "ca-central-1")
            #expect(try RegionResolver.resolve(option: nil, environment: all)?.name == "ap-south-1")
            #expect(try RegionResolver.resolve(option: nil, environment: home.environment(["AWS_DEFAULT_REGION": "sa-east-1"]))?.source == "AWS_DEFAULT_REGION")
            #expect(try RegionResolver.resolve(option: nil, environment: home.environment())?.name == "us-west-2")
            #expect(try RegionResolver.resolve(option: nil, environment: home.environment(["AWS_PROFILE": "eu"]))?.name == "eu-central-1")
            #expect(try RegionResolver.resolve(option: nil, profile: "eu", environment: home.environment())?.name == "eu-central-1")
            #expect(try RegionResolver.resolve(option: nil, profile: "other", environment: home.environment()) == nil)
            let missing = #expect(throws: CredentialError.self) {
                try RegionResolver.require(option: nil, profile: "other", environment: home.environment())
            }
            let message = missing?.description ?? ""
            #expect(message.contains("--region") && message.contains("AWS_REGION") && message.contains("profile other"))
        }
    }

    /// FIPS and dual-stack endpoints asked for are named (the variable, else the profile's key);
    /// `false` asks for nothing, and the variable wins over the profile.
    @Test func endpointVariantsAreNamedAndRefuseSTS() async throws {
        try await withHome { home in
            try home.write("[default]\nuse_dualstack_endpoint = true\n[profile gov]\nuse_fips_endpoint = TRUE\n", to: home.configPath)
            #expect(EndpointVariants.requested(profile: nil, environment: home.environment())
                == ["use_dualstack_endpoint = true of profile default in \(home.configPath)"])
            #expect(EndpointVariants.requested(profile: nil, environment: home.environment(["AWS_USE_DUALSTACK_ENDPOINT": "false"])).isEmpty)
            #expect(EndpointVariants.requested(profile: "gov", environment: home.environment()).count == 1)
            #expect(EndpointVariants.requested(profile: "gov", environment: home.environment(["AWS_USE_FIPS_ENDPOINT": "false"])).isEmpty)
            #expect(EndpointVariants.requested(profile: "none", environment: home.environment(["AWS_USE_FIPS_ENDPOINT": "true"]))
                == ["AWS_USE_FIPS_ENDPOINT=true"])
            let refusal = EndpointVariants.refusal(service: "S3", profile: "none", environment: home.environment(["AWS_USE_FIPS_ENDPOINT": "true"]))
            #expect(refusal?.contains("AWS_USE_FIPS_ENDPOINT=true asks for FIPS or dual-stack endpoints") == true)
            #expect(refusal?.contains("AWS_ENDPOINT_URL_S3 (such as https://s3-fips.") == true, "\(String(describing: refusal))")
            // STS at its default endpoint is not called; an explicit one is.
            let fips = home.environment(["AWS_USE_FIPS_ENDPOINT": "true", "AWS_REGION": "us-east-1"])
            let sts = STSClient(environment: fips, httpClient: CurlHTTPClient())
            let error = await #expect(throws: CredentialError.self) {
                try await sts.assumeRole(.init(roleArn: "arn:aws:iam::1:role/r", roleSessionName: "s"),
                                         credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "s"))
            }
            #expect(error?.isMisconfiguration == true && error?.description.contains("AWS_ENDPOINT_URL_STS") == true,
                    "\(String(describing: error))")
            var explicit = fips
            explicit["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:1"
            #expect(STSClient(environment: explicit, httpClient: CurlHTTPClient()).endpointRefusal == nil)
        }
    }

    @Test func regionMustBeAHostLabel() throws {
        for good in ["us-east-1", "eu-central-1", "cn-northwest-1", "us-gov-west-1", "xx-newplace-7", "a"] {
            #expect(RegionResolver.isRegionName(good), "\(good)")
        }
        for bad in ["eu-central-1 ", "eu-central-1\r", "x.evil.com#", "eu-central-1/", "-us-east-1", "us-east-1-", "us--east-1",
                    "US-EAST-1", "ｅu-west-1", ""] {
            #expect(!RegionResolver.isRegionName(bad), "\(bad)")
        }
        let refused = #expect(throws: CredentialError.self) {
            try RegionResolver.resolve(option: nil, environment: ["AWS_REGION": "eu-central-1 "])
        }
        #expect(refused?.isMisconfiguration == true)
        #expect(refused?.description.contains("AWS_REGION: 'eu-central-1 ' is not a region name") == true, "\(String(describing: refused))")
    }
}
