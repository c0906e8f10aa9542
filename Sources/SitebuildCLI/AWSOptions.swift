import AWSCore
import AWSServices
import ArgumentParser
import Deploy
import Foundation
import Synchronization

/// `--profile`, `--region` and `--endpoint-url`, shared by every command that may talk to AWS.
struct AWSOptions: ParsableArguments {
    @Option(help: "The AWS profile (default: AWS_PROFILE, then default).")
    var profile: String?

    @Option(help: "The AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region).")
    var region: String?

    @Option(help: "Send every AWS request to this endpoint (an S3-compatible server or an emulator); AWS_ENDPOINT_URL_<SERVICE> still wins per service.")
    var endpointUrl: String?

    @Flag(help: "Address S3 buckets in the path (https://host/bucket/key) even on AWS.")
    var pathStyle = false

    func validate() throws {
        // --profile names a profile of the shared files (as `aws --profile` does).
        if let profile {
            // A file that cannot be read or parsed is named with its line: it, not a missing
            // profile, is what to fix.
            let files: SharedConfigFiles
            do {
                files = try SharedConfigFiles(environment: ProcessInfo.processInfo.environment)
            } catch {
                throw ValidationError("--profile \(profile): cannot read the AWS config files: \(error); fix the file")
            }
            if files.profile(profile) == nil {
                throw ValidationError("--profile \(profile): there is no such profile in \(files.configPath) or \(files.credentialsPath); "
                                      + "add [profile \(profile)] or pick another")
            }
        }
        if let endpointUrl, !Self.isEndpoint(endpointUrl) {
            throw ValidationError("--endpoint-url \(endpointUrl): write an http:// or https:// URL with a host, such as http://127.0.0.1:5000")
        }
    }

    /// An `http` or `https` URL with a host.
    static func isEndpoint(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else { return false }
        return true
    }
}

/// The AWS clients of one command, made on first use from the options and environment: a
/// deploy to the local target never needs credentials or a region.
final class AWSContext: Sendable {
    let options: AWSOptions
    let environment: [String: String]
    /// Every request sent on the wire (retries included), for the summary.
    let requests = RequestCounter()
    private let shared = Mutex<Shared?>(nil)

    private struct Shared: Sendable {
        var credentials: any CredentialProvider
        var http: any HTTPClient
    }

    /// The encryption and ACL every object written to S3 carries (`--sse`, `--acl`).
    let objectWrites: S3Client.ObjectWriteSettings

    init(options: AWSOptions, environment: [String: String], objectWrites: S3Client.ObjectWriteSettings = S3Client.ObjectWriteSettings()) {
        self.options = options
        self.objectWrites = objectWrites
        self.environment = Self.withProfileEndpoint(environment, profile: options.profile)
    }

    /// `environment` with the profile's `endpoint_url` (as the AWS SDKs and CLI read it: a
    /// LocalStack profile) as `AWS_ENDPOINT_URL` when that is not set and
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is not true; `--endpoint-url` and the variables
    /// still come first. A config file that cannot be read is reported by what reads it next.
    static func withProfileEndpoint(_ environment: [String: String], profile: String?) -> [String: String] {
        let name = SharedConfigFiles.profileName(option: profile, environment: environment)
        guard environment["AWS_ENDPOINT_URL"].map({ $0.isEmpty }) ?? true,
              environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true",
              let files = try? SharedConfigFiles(environment: environment),
              let url = files.profile(name)?["endpoint_url"], !url.isEmpty else { return environment }
        var environment = environment
        environment["AWS_ENDPOINT_URL"] = url
        environment["SITEBUILD_ENDPOINT_URL_SOURCE"] = "endpoint_url of profile \(name)"
        return environment
    }

    /// The same settings in `region` (this context itself when that is its region).
    func inRegion(_ region: String) -> AWSContext {
        if options.region == region { return self }
        var other = options
        other.region = region
        return AWSContext(options: other, environment: environment, objectWrites: objectWrites)
    }


    private func base() throws -> Shared {
        try shared.withLock { cached in
            if let cached { return cached }
            // STS is called in the services' region, as the aws CLI calls it.
            let region = (try? optionalRegion()) ?? nil
            let credentials = CredentialChain.standard(environment: environment, profile: options.profile, region: region,
                                                       httpClient: CurlHTTPClient())
            // One connection pool and one adaptive in-flight limit for the whole command; as
            // many connections per host as the limit allows requests in flight (curl's pool
            // defaulted to 16, which capped a deploy at 16 requests however many it started).
            // Fewer under a low open-file limit, each holding a socket and often a file.
            let connections = try OpenFileLimit.connections(maximum: 128)
            let curl = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: connections, maxTotalConnections: connections))
            let http = RetryingHTTPClient(wrapping: CountingHTTPClient(base: curl, counter: requests),
                                          concurrency: AdaptiveConcurrency(initial: min(64, connections), minimum: OpenFileLimit.minimumConnections,
                                                                           maximum: connections))
            let made = Shared(credentials: credentials, http: http)
            cached = made
            return made
        }
    }

    /// The region, or a usage error saying how to set one (`what` names what needs it).
    func region(for what: String) throws -> String {
        try checkEndpointVariables()
        do {
            return try RegionResolver.require(option: options.region, profile: options.profile, environment: environment).name
        } catch let error as CredentialError where error.isInvalidRegion {
            throw UsageError("\(error)")
        } catch {
            throw UsageError("\(what) needs an AWS region: \(error)")
        }
    }

    /// The region as the services resolve it (`--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// the profile's), or nil when none is set or the config file cannot be read (reported by
    /// the first client that requires a region); a usage error for one that is set but is not a
    /// region name, for the clients that work without a region (CloudFront, ACM, Route 53) but
    /// would otherwise drop it silently.
    func optionalRegion() throws -> String? {
        do {
            return try RegionResolver.resolve(option: options.region, profile: options.profile, environment: environment)?.name
        } catch let error as CredentialError where error.isInvalidRegion {
            throw UsageError("\(error)")
        } catch {
            return nil
        }
    }

    /// A usage error when a FIPS or dual-stack endpoint is asked for (``EndpointVariants``)
    /// and the endpoint of `service` (its `AWS_ENDPOINT_URL_` suffix) is not set explicitly,
    /// which wins over those settings, as in the SDKs.
    func checkEndpointVariants(_ service: String) throws {
        let explicit = [environment["AWS_ENDPOINT_URL_" + service], options.endpointUrl, environment["AWS_ENDPOINT_URL"]]
            .contains { !($0 ?? "").isEmpty }
        guard !explicit, let refusal = EndpointVariants.refusal(service: service, profile: options.profile, environment: environment) else {
            return
        }
        throw UsageError(refusal)
    }

    func s3(for what: String) throws -> S3Client {
        try checkEndpointVariants("S3")
        let shared = try base()
        var client = S3Client(region: try region(for: what), credentials: shared.credentials, environment: environment,
                              endpointURL: options.endpointUrl, httpClient: shared.http, forcePathStyle: options.pathStyle)
        client.objectWrites = objectWrites
        return client
    }

    func dynamoDB(for what: String) throws -> DynamoDBClient {
        try checkEndpointVariants("DYNAMODB")
        let shared = try base()
        return DynamoDBClient(region: try region(for: what), credentials: shared.credentials, environment: environment,
                              endpointURL: options.endpointUrl, httpClient: shared.http)
    }

    func cloudFront() throws -> CloudFrontClient {
        try checkEndpointVariants("CLOUDFRONT")
        let region = try optionalRegion()
        let shared = try base()
        return CloudFrontClient(credentials: shared.credentials, environment: environment, endpointURL: options.endpointUrl,
                                region: region, httpClient: shared.http)
    }

    /// CloudFront for invalidations: throttling (`TooManyInvalidationsInProgress`) is left to
    /// the ``Invalidator``'s own backoff, which `--wait-timeout` bounds; retried here too, each
    /// submission would take up to ~15 s more than the deadline allows.
    func cloudFrontForInvalidations() throws -> CloudFrontClient {
        try checkEndpointVariants("CLOUDFRONT")
        let region = try optionalRegion()
        let shared = try base()
        let http = (shared.http as? RetryingHTTPClient).map {
            RetryingHTTPClient(wrapping: $0.base, policy: RetryPolicy(retriesThrottling: false), concurrency: $0.concurrency)
        } ?? shared.http
        return CloudFrontClient(credentials: shared.credentials, environment: environment, endpointURL: options.endpointUrl,
                                region: region, httpClient: http)
    }

    /// A usage error for an `AWS_ENDPOINT_URL…` variable that is not an http(s) URL with a host,
    /// checked as `--endpoint-url` is, before the first request (which would fail as a deploy
    /// failure, after retries).
    func checkEndpointVariables() throws {
        // Only those sitebuild reads: the services it calls, and AWS_ENDPOINT_URL unless
        // --endpoint-url overrides it (another tool's variable is that tool's business).
        let used = ["S3", "CLOUDFRONT", "CLOUDFRONT_KEYVALUESTORE", "DYNAMODB", "STS", "SSM", "SECRETS_MANAGER", "ACM", "ROUTE_53"]
            .map { "AWS_ENDPOINT_URL_" + $0 } + (options.endpointUrl?.isEmpty == false ? [] : ["AWS_ENDPOINT_URL"])
        for name in used {
            guard let value = environment[name], !value.isEmpty, !AWSOptions.isEndpoint(value) else { continue }
            let shown = name == "AWS_ENDPOINT_URL" ? AWSEndpoint.globalSource(environment) : name
            throw UsageError("\(shown) \(value): write an http:// or https:// URL with a host, such as http://127.0.0.1:5000 (or unset it)")
        }
    }

    func keyValueStore(arn: String, what: String) throws -> KeyValueStoreClient {
        try checkEndpointVariants("CLOUDFRONT_KEYVALUESTORE")
        try checkEndpointVariables()
        _ = try optionalRegion()
        let shared = try base()
        do {
            return try KeyValueStoreClient(kvsARN: arn, credentials: shared.credentials, environment: environment,
                                           endpointURL: options.endpointUrl, httpClient: shared.http)
        } catch {
            throw UsageError("\(what): '\(arn)' is not a CloudFront KeyValueStore ARN (arn:aws:cloudfront::<account>:key-value-store/<id>)")
        }
    }

    /// ACM in us-east-1 whatever the region: CloudFront only uses certificates from there.
    func acm() throws -> ACMClient {
        try checkEndpointVariants("ACM")
        _ = try optionalRegion()
        let shared = try base()
        return ACMClient(region: ACMClient.cloudFrontRegion, credentials: shared.credentials, environment: environment,
                         endpointURL: options.endpointUrl, httpClient: shared.http)
    }

    /// Route 53 (global).
    func route53() throws -> Route53Client {
        try checkEndpointVariants("ROUTE_53")
        let region = try optionalRegion()
        let shared = try base()
        return Route53Client(credentials: shared.credentials, environment: environment, endpointURL: options.endpointUrl, region: region,
                             httpClient: shared.http)
    }
}

/// Requests by HTTP method.
final class RequestCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func add(_ method: String) {
        counts.withLock { $0[method, default: 0] += 1 }
    }

    var byMethod: [String: Int] { counts.withLock { $0 } }
    var total: Int { byMethod.values.reduce(0, +) }
}

/// Counts the requests another client sends.
struct CountingHTTPClient: HTTPClient {
    let base: any HTTPClient
    let counter: RequestCounter

    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        counter.add(request.method.uppercased())
        return try await base.execute(request, body: body, responseBody: responseBody)
    }
}
