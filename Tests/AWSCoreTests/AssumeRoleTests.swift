import Foundation
import Synchronization
import Testing
@testable import AWSCore
import TestSupport

/// Records every request (with its body) and forwards it, or answers with a canned response.
final class RecordingHTTPClient: HTTPClient {
    struct Exchange: Sendable {
        var request: HTTPRequest
        var body: String
        /// The form fields of a `application/x-www-form-urlencoded` body.
        var form: [String: String] {
            Dictionary(body.split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (URIEncoding.decode(String(parts[0])), URIEncoding.decode(parts.count > 1 ? String(parts[1]) : ""))
            }, uniquingKeysWith: { first, _ in first })
        }
        /// The access key ID in the `Authorization` header's credential scope.
        var signingKeyId: String? {
            guard let authorization = request.header("Authorization"),
                  let range = authorization.range(of: "Credential=") else { return nil }
            return String(authorization[range.upperBound...].prefix { $0 != "/" })
        }
    }

    private let base: (any HTTPClient)?
    private let canned: HTTPResponse?
    private let log = Mutex<[Exchange]>([])

    init(wrapping base: any HTTPClient) {
        self.base = base
        self.canned = nil
    }

    init(answering response: HTTPResponse) {
        self.base = nil
        self.canned = response
    }

    var exchanges: [Exchange] { log.withLock { $0 } }

    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        var text = ""
        if case .bytes(let bytes) = body { text = String(decoding: bytes, as: UTF8.self) }
        log.withLock { $0.append(Exchange(request: request, body: text)) }
        if let base { return try await base.execute(request, body: body, responseBody: responseBody) }
        return canned!
    }
}

/// STS AssumeRole and role profiles (`role_arn` with `source_profile`, `credential_source`,
/// `web_identity_token_file`) against moto_server, whose AssumeRole grants any role.
@Suite(.serialized) struct AssumeRoleTests {
    /// Temporary shared files named by AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE.
    struct SharedFiles {
        let directory: URL
        init(config: String, credentials: String = "") throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("assume-role-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(config.utf8).write(to: directory.appendingPathComponent("config"))
            try Data(credentials.utf8).write(to: directory.appendingPathComponent("credentials"))
        }
        var configPath: String { directory.appendingPathComponent("config").path }
        var credentialsPath: String { directory.appendingPathComponent("credentials").path }
        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            ["AWS_CONFIG_FILE": configPath, "AWS_SHARED_CREDENTIALS_FILE": credentialsPath, "HOME": directory.path,
             "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { _, new in new }
        }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    func withFiles<T>(config: String, credentials: String = "", _ body: (SharedFiles) async throws -> T) async throws -> T {
        let files = try SharedFiles(config: config, credentials: credentials)
        defer { files.remove() }
        return try await body(files)
    }

    static let baseCredentials = """
    [base]
    aws_access_key_id = AKIDBASE
    aws_secret_access_key = base-secret
    """

    // MARK: - STS client

    @Test func assumeRoleSendsASignedFormAndParsesTheCredentials() async throws {
        try await withMotoServer { moto in
            let recorder = RecordingHTTPClient(wrapping: CurlHTTPClient())
            let sts = STSClient(endpoint: moto.baseURL, region: "eu-west-1", httpClient: recorder)
            let request = STSClient.AssumeRoleRequest(roleArn: "arn:aws:iam::123456789012:role/deploy", roleSessionName: "ci run/7",
                                                      durationSeconds: 900, externalId: "ext-42")
            let credentials = try await sts.assumeRole(request, credentials: AWSCredentials(accessKeyId: "AKIDSRC", secretAccessKey: "s",
                                                                                             sessionToken: "src-token"))
            #expect(credentials.accessKeyId.hasPrefix("ASIA"))
            #expect(!credentials.secretAccessKey.isEmpty)
            #expect(credentials.sessionToken?.isEmpty == false)
            #expect(credentials.expiration != nil)

            let exchange = try #require(recorder.exchanges.first)
            #expect(recorder.exchanges.count == 1)
            #expect(exchange.request.method == "POST")
            #expect(exchange.request.url == moto.baseURL + "/")
            #expect(exchange.request.header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8")
            #expect(exchange.request.header("X-Amz-Security-Token") == "src-token")
            let authorization = try #require(exchange.request.header("Authorization"))
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDSRC/"))
            #expect(authorization.contains("/eu-west-1/sts/aws4_request"))
            #expect(exchange.form == ["Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/deploy",
                                      "RoleSessionName": "ci run/7", "DurationSeconds": "900", "ExternalId": "ext-42"])
            #expect(exchange.body.hasPrefix("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy&"))
        }
    }

    @Test func anSTSErrorResponseNamesTheCodeTheRoleAndWhatToDo() async throws {
        let xml = """
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>\
        <Message>User: arn:aws:iam::1:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::1:role/deploy</Message>\
        </Error><RequestId>abc</RequestId></ErrorResponse>
        """
        let sts = STSClient(endpoint: "https://sts.example.test", region: "us-east-1",
                            httpClient: RecordingHTTPClient(answering: HTTPResponse(status: 403, body: Array(xml.utf8))))
        let error = await #expect(throws: STSError.self) {
            try await sts.assumeRole(.init(roleArn: "arn:aws:iam::1:role/deploy", roleSessionName: "s"),
                                     credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "never-print-me"))
        }
        #expect(error?.code == "AccessDenied")
        #expect(error?.status == 403)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.hasPrefix("STS AssumeRole for arn:aws:iam::1:role/deploy at https://sts.example.test/ failed with AccessDenied: User: arn:aws:iam::1:user/ci is not authorized"))
        #expect(text.contains("trust policy"))
        #expect(!text.contains("never-print-me"))

        let garbage = STSClient(endpoint: "https://sts.example.test", region: "us-east-1",
                                httpClient: RecordingHTTPClient(answering: HTTPResponse(status: 200, body: Array("<html/>".utf8))))
        let malformed = await #expect(throws: STSError.self) {
            try await garbage.assumeRole(.init(roleArn: "arn:aws:iam::1:role/r", roleSessionName: "s"),
                                         credentials: AWSCredentials(accessKeyId: "A", secretAccessKey: "S"))
        }
        #expect(malformed?.code == nil)
        #expect(malformed.map { "\($0)" }?.contains("no Credentials element") == true)
    }

    @Test func theEndpointIsRegionalUnlessOverridden() {
        #expect(STSClient.resolveEndpoint(region: "eu-west-1", environment: [:]).url == "https://sts.eu-west-1.amazonaws.com")
        #expect(STSClient.resolveEndpoint(region: "cn-north-1", environment: [:]).url == "https://sts.cn-north-1.amazonaws.com.cn")
        #expect(STSClient.resolveEndpoint(region: nil, environment: [:]).url == "https://sts.amazonaws.com")
        #expect(STSClient.resolveEndpoint(region: "eu-west-1", environment: ["AWS_ENDPOINT_URL": "http://localhost:1"])
                == ("http://localhost:1", "AWS_ENDPOINT_URL"))
        #expect(STSClient.resolveEndpoint(region: "eu-west-1", environment: ["AWS_ENDPOINT_URL": "http://localhost:1",
                                                                            "AWS_ENDPOINT_URL_STS": "http://localhost:2"])
                == ("http://localhost:2", "AWS_ENDPOINT_URL_STS"))
        let client = STSClient(environment: ["AWS_DEFAULT_REGION": "ap-south-1"], httpClient: CurlHTTPClient())
        #expect(client.endpoint == "https://sts.ap-south-1.amazonaws.com")
        #expect(client.region == "ap-south-1")
        #expect(STSClient(environment: [:], httpClient: CurlHTTPClient()).region == "us-east-1")
    }

    // MARK: - Role profiles

    @Test func aRoleProfileWithASourceProfileAssumesTheRole() async throws {
        try await withMotoServer { moto in
            try await withFiles(config: """
            [profile deploy]
            role_arn = arn:aws:iam::123456789012:role/deploy
            source_profile = base
            external_id = ext-1
            role_session_name = sitebuild-ci
            duration_seconds = 900
            region = eu-central-1
            """, credentials: Self.baseCredentials) { files in
                let recorder = RecordingHTTPClient(wrapping: CurlHTTPClient())
                let provider = ProfileCredentialProvider(environment: files.environment(["AWS_ENDPOINT_URL_STS": moto.baseURL]),
                                                         profile: "deploy", httpClient: recorder)
                let credentials = try await provider.credentials()
                #expect(credentials.accessKeyId.hasPrefix("ASIA"))
                #expect(credentials.sessionToken != nil)
                #expect(credentials.expiration != nil)
                #expect(credentials.source == "profile deploy (role arn:aws:iam::123456789012:role/deploy assumed with profile base)")

                let exchange = try #require(recorder.exchanges.first)
                #expect(recorder.exchanges.count == 1)
                #expect(exchange.signingKeyId == "AKIDBASE")
                #expect(exchange.request.header("Authorization")?.contains("/eu-central-1/sts/aws4_request") == true)
                #expect(exchange.form["RoleArn"] == "arn:aws:iam::123456789012:role/deploy")
                #expect(exchange.form["ExternalId"] == "ext-1")
                #expect(exchange.form["RoleSessionName"] == "sitebuild-ci")
                #expect(exchange.form["DurationSeconds"] == "900")
            }
        }
    }

    @Test func twoRoleProfilesChain() async throws {
        try await withMotoServer { moto in
            // `outer` assumes its role with the credentials of `inner`'s role, which `base`'s keys assume.
            // `inner` lives in the credentials file, as the CLI allows.
            try await withFiles(config: """
            [profile outer]
            role_arn = arn:aws:iam::222222222222:role/outer
            source_profile = inner
            """, credentials: Self.baseCredentials + """

            [inner]
            role_arn = arn:aws:iam::111111111111:role/inner
            source_profile = base
            """) { files in
                let recorder = RecordingHTTPClient(wrapping: CurlHTTPClient())
                let provider = ProfileCredentialProvider(environment: files.environment(["AWS_ENDPOINT_URL": moto.baseURL,
                                                                                         "AWS_PROFILE": "outer"]),
                                                         httpClient: recorder)
                let credentials = try await provider.credentials()
                #expect(credentials.accessKeyId.hasPrefix("ASIA"))
                #expect(credentials.source == "profile outer (role arn:aws:iam::222222222222:role/outer assumed with "
                        + "profile inner (role arn:aws:iam::111111111111:role/inner assumed with profile base))")

                let exchanges = recorder.exchanges
                try #require(exchanges.count == 2)
                #expect(exchanges[0].form["RoleArn"] == "arn:aws:iam::111111111111:role/inner")
                #expect(exchanges[0].signingKeyId == "AKIDBASE")
                #expect(exchanges[0].request.header("X-Amz-Security-Token") == nil)
                #expect(exchanges[1].form["RoleArn"] == "arn:aws:iam::222222222222:role/outer")
                // The second call is signed with the first call's temporary credentials.
                #expect(exchanges[1].signingKeyId?.hasPrefix("ASIA") == true)
                #expect(exchanges[1].signingKeyId != credentials.accessKeyId)
                #expect(exchanges[1].request.header("X-Amz-Security-Token")?.isEmpty == false)
            }
        }
    }

    @Test func credentialSourceEnvironmentAndASelfReferencingProfile() async throws {
        try await withMotoServer { moto in
            try await withFiles(config: """
            [profile from-env]
            role_arn = arn:aws:iam::123456789012:role/from-env
            credential_source = Environment
            [profile self]
            role_arn = arn:aws:iam::123456789012:role/self
            source_profile = self
            aws_access_key_id = AKIDSELF
            aws_secret_access_key = self-secret
            """) { files in
                let recorder = RecordingHTTPClient(wrapping: CurlHTTPClient())
                let environment = files.environment(["AWS_ENDPOINT_URL_STS": moto.baseURL,
                                                     "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"])
                let fromEnvironment = try await ProfileCredentialProvider(environment: environment, profile: "from-env",
                                                                          httpClient: recorder).credentials()
                #expect(fromEnvironment.accessKeyId.hasPrefix("ASIA"))
                #expect(fromEnvironment.source.hasSuffix("assumed with environment)"))
                #expect(recorder.exchanges.last?.signingKeyId == "AKIDENV")

                let fromItself = try await ProfileCredentialProvider(environment: environment, profile: "self",
                                                                     httpClient: recorder).credentials()
                #expect(fromItself.accessKeyId.hasPrefix("ASIA"))
                #expect(recorder.exchanges.last?.signingKeyId == "AKIDSELF")
                #expect(recorder.exchanges.count == 2)

                // Without the variables, the Environment source says why it has nothing.
                let error = await #expect(throws: CredentialError.self) {
                    try await ProfileCredentialProvider(environment: files.environment(["AWS_ENDPOINT_URL_STS": moto.baseURL]),
                                                        profile: "from-env", httpClient: recorder).credentials()
                }
                #expect(error?.description.contains("credential_source = Environment of profile from-env gave no credentials") == true)
                #expect(error?.description.contains("AWS_ACCESS_KEY_ID is not set") == true)
            }
        }
    }

    @Test func aProfileWithAWebIdentityTokenFile() async throws {
        try await withMotoServer { moto in
            let tokenDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("oidc-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: tokenDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: tokenDirectory) }
            let tokenFile = tokenDirectory.appendingPathComponent("token").path
            try Data("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
            try await withFiles(config: """
            [profile oidc]
            role_arn = arn:aws:iam::123456789012:role/oidc
            web_identity_token_file = \(tokenFile)
            role_session_name = gha
            """) { files in
                let recorder = RecordingHTTPClient(wrapping: CurlHTTPClient())
                let credentials = try await ProfileCredentialProvider(environment: files.environment(["AWS_ENDPOINT_URL_STS": moto.baseURL]),
                                                                      profile: "oidc", httpClient: recorder).credentials()
                #expect(credentials.accessKeyId.hasPrefix("ASIA"))
                #expect(credentials.source == "profile oidc (web identity)")
                #expect(recorder.exchanges.first?.form["Action"] == "AssumeRoleWithWebIdentity")
                #expect(recorder.exchanges.first?.form["RoleSessionName"] == "gha")
                #expect(recorder.exchanges.first?.request.header("Authorization") == nil)
            }
        }
    }

    @Test func roleCredentialsAreCachedAndRefreshedBeforeTheyExpire() async throws {
        try await withMotoServer { moto in
            try await withFiles(config: """
            [profile deploy]
            role_arn = arn:aws:iam::123456789012:role/deploy
            source_profile = base
            duration_seconds = 900
            """, credentials: Self.baseCredentials) { files in
                let recorder = RecordingHTTPClient(wrapping: CurlHTTPClient())
                let clock = CredentialTests.ManualClock(Date())
                let cache = CachingCredentialProvider(
                    ProfileCredentialProvider(environment: files.environment(["AWS_ENDPOINT_URL_STS": moto.baseURL]),
                                              profile: "deploy", httpClient: recorder),
                    now: { clock.now })
                let first = try await cache.credentials()
                let expiration = try #require(first.expiration)
                #expect(try await cache.credentials() == first)
                #expect(recorder.exchanges.count == 1)

                // Move the clock to four minutes before the expiry STS announced: inside the
                // five-minute refresh window, so the role is assumed again.
                clock.advance(by: expiration.timeIntervalSince(clock.now) - 240)
                let second = try await cache.credentials()
                #expect(recorder.exchanges.count == 2)
                #expect(second.accessKeyId != first.accessKeyId)
                #expect(second.accessKeyId.hasPrefix("ASIA"))
            }
        }
    }

    @Test func theStandardChainUsesARoleProfile() async throws {
        try await withMotoServer { moto in
            try await withFiles(config: """
            [default]
            role_arn = arn:aws:iam::123456789012:role/default-role
            source_profile = base
            """, credentials: Self.baseCredentials) { files in
                let chain = CredentialChain.standard(environment: files.environment(["AWS_ENDPOINT_URL": moto.baseURL]),
                                                     httpClient: CurlHTTPClient())
                let credentials = try await chain.credentials()
                #expect(credentials.accessKeyId.hasPrefix("ASIA"))
                #expect(credentials.source.hasPrefix("profile default (role arn:aws:iam::123456789012:role/default-role"))
            }
        }
    }

    // MARK: - Configuration errors (found before any call)

    @Test func aSourceProfileCycleIsReportedWithThePath() async throws {
        try await withFiles(config: """
        [profile a]
        role_arn = arn:aws:iam::1:role/a
        source_profile = b
        [profile b]
        role_arn = arn:aws:iam::1:role/b
        source_profile = c
        [profile c]
        role_arn = arn:aws:iam::1:role/c
        source_profile = a
        """) { files in
            let recorder = RecordingHTTPClient(answering: HTTPResponse(status: 500))
            let error = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: files.environment(), profile: "a", httpClient: recorder).credentials()
            }
            #expect(error?.isNotConfigured == false)
            #expect(error?.description.hasPrefix("profile a: the source_profile references a -> b -> c -> a form a cycle;") == true,
                    "\(String(describing: error))")
            #expect(recorder.exchanges.isEmpty)

            // A profile naming itself without keys of its own is a cycle too.
            try Data("[profile loop]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = loop\n".utf8)
                .write(to: URL(fileURLWithPath: files.configPath))
            let selfLoop = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: files.environment(), profile: "loop", httpClient: recorder).credentials()
            }
            #expect(selfLoop?.description.contains("names itself as source_profile but has no aws_access_key_id") == true)
        }
    }

    @Test func aMissingSourceProfileIsNamed() async throws {
        try await withFiles(config: """
        [profile deploy]
        role_arn = arn:aws:iam::1:role/deploy
        source_profile = nope
        """, credentials: Self.baseCredentials) { files in
            let recorder = RecordingHTTPClient(answering: HTTPResponse(status: 500))
            let error = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: files.environment(), profile: "deploy", httpClient: recorder).credentials()
            }
            let text = error.map { "\($0)" } ?? ""
            #expect(error?.isNotConfigured == false)
            #expect(text.hasPrefix("profile deploy: profile deploy sets source_profile = nope, but there is no profile nope in "
                                   + "\(files.credentialsPath) or \(files.configPath)"), "\(text)")
            #expect(text.contains("add [profile nope] to the config file"))
            #expect(recorder.exchanges.isEmpty)

            #expect(error?.isMisconfiguration == true)

            // Through a chain the same sentence stops it: a later source does not stand in.
            let chain = CredentialChain([
                ProfileCredentialProvider(environment: files.environment(), profile: "deploy", httpClient: recorder),
                FixedCredentials(source: "container endpoint"),
            ])
            let stopped = await #expect(throws: CredentialError.self) { try await chain.credentials() }
            #expect(stopped?.description.hasPrefix("profile deploy: profile deploy sets source_profile = nope") == true)
        }
    }

    @Test(arguments: [
        ("role_arn = r\nsource_profile = base\ncredential_source = Environment", "sets both source_profile and credential_source"),
        ("role_arn = r\ncredential_source = Laptop", "credential_source = Laptop; use one of Environment, Ec2InstanceMetadata, EcsContainer"),
        ("role_arn = r", "sets role_arn but none of source_profile, credential_source or web_identity_token_file"),
        ("role_arn = r\nsource_profile = base\nduration_seconds = 60", "duration_seconds = 60; use a whole number of seconds from 900 to 43200"),
        ("role_arn = r\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/me", "mfa_serial"),
        ("role_arn = r\nsource_profile = empty", "profile empty has neither aws_access_key_id/aws_secret_access_key, credential_process nor role_arn; it is the source_profile of profile x"),
    ])
    func roleConfigurationErrors(settings: String, fragment: String) async throws {
        try await withFiles(config: "[profile x]\n\(settings)\n[profile empty]\nregion = us-east-1\n",
                            credentials: Self.baseCredentials) { files in
            let error = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: files.environment(), profile: "x",
                                                    httpClient: RecordingHTTPClient(answering: HTTPResponse(status: 500))).credentials()
            }
            #expect(error?.isNotConfigured == false)
            #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }

    /// STS is called in the command's region (`--region` resolved as for the services), as the
    /// aws CLI calls it: not the global endpoint, not the environment's or the profile's region.
    @Test func stsIsCalledInTheCommandsRegion() async throws {
        try await withFiles(config: """
        [profile deploy]
        role_arn = arn:aws:iam::1:role/deploy
        source_profile = base
        region = us-west-2
        """, credentials: Self.baseCredentials) { files in
            let recorder = RecordingHTTPClient(answering: HTTPResponse(status: 500))
            let environment = files.environment(["AWS_REGION": "eu-west-1", "AWS_PROFILE": "deploy"])
            _ = try? await CredentialChain.standard(environment: environment, region: "ap-southeast-2", httpClient: recorder).credentials()
            #expect(recorder.exchanges.first?.request.url == "https://sts.ap-southeast-2.amazonaws.com/",
                    "\(recorder.exchanges.map(\.request.url))")
            let webIdentity = WebIdentityCredentialProvider(environment: ["AWS_REGION": "eu-west-1"], region: "cn-northwest-1",
                                                            httpClient: recorder)
            #expect(webIdentity.endpoint == "https://sts.cn-northwest-1.amazonaws.com.cn")
        }
    }

    @Test func anSTSFailureNamesTheProfileAndTheSource() async throws {
        let xml = "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>"
        try await withFiles(config: """
        [profile deploy]
        role_arn = arn:aws:iam::1:role/deploy
        source_profile = base
        """, credentials: Self.baseCredentials) { files in
            let recorder = RecordingHTTPClient(answering: HTTPResponse(status: 403, body: Array(xml.utf8)))
            let error = await #expect(throws: CredentialError.self) {
                try await ProfileCredentialProvider(environment: files.environment(["AWS_ENDPOINT_URL_STS": "http://sts.test"]),
                                                    profile: "deploy", httpClient: recorder).credentials()
            }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.hasPrefix("profile deploy: assuming the role with profile base failed: STS AssumeRole for arn:aws:iam::1:role/deploy at http://sts.test/ failed with InvalidClientTokenId"), "\(text)")
            #expect(text.contains("check their access key and secret access key"))
            #expect(!text.contains("base-secret"))
            #expect(error?.isMisconfiguration == false)

            // AWS_PROFILE naming the role profile: a refused AssumeRole stops the chain, which
            // never asks the container endpoint after it.
            let environment = files.environment(["AWS_ENDPOINT_URL_STS": "http://sts.test", "AWS_PROFILE": "deploy"])
            let chain = CredentialChain([
                EnvironmentCredentialProvider(environment: environment),
                ProfileCredentialProvider(environment: environment, httpClient: recorder),
                FixedCredentials(source: "container endpoint"),
            ])
            let stopped = await #expect(throws: CredentialError.self) { try await chain.credentials() }
            #expect(stopped?.description.hasPrefix("profile deploy: assuming the role with profile base failed") == true,
                    "\(String(describing: stopped))")
        }
    }
}

/// Credentials that are always there, standing in for a later source of a chain.
struct FixedCredentials: CredentialProvider {
    var source: String

    func credentials() async throws -> ResolvedCredentials {
        ResolvedCredentials(accessKeyId: "AKIDLATER", secretAccessKey: "later-secret", source: source)
    }
}
