@testable import AWSServices
@testable import Deploy
import Foundation
import Testing
import TestSupport

/// ``Preflight/evaluate(_:)`` from hand-made facts: every failure's message, no servers.
@Suite struct PreflightTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)  // 2025-06-15T15:06:40Z
    static let kvs = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    static let otherKVS = "arn:aws:cloudfront::123456789012:key-value-store/ffffffff-0000-0000-0000-000000000000"
    static let certificateARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    static let routerARN = "arn:aws:cloudfront::123456789012:function/sitebuild-router"

    static func distribution(enabled: Bool = true, status: String = "Deployed", aliases: [String] = ["www.example.com"],
                             functions: [CloudFrontClient.FunctionAssociation] = [.init(eventType: "viewer-request", functionARN: routerARN)],
                             certificate: String? = certificateARN,
                             origins: [String] = ["site.s3.us-east-1.amazonaws.com"],
                             originPaths: [String]? = nil, originIsS3: [Bool] = [],
                             defaultOrigin: Int? = nil) -> CloudFrontClient.Distribution {
        // The healthy fixture's target is s3://site/www/: its origin path is /www.
        CloudFrontClient.Distribution(id: "E2QWRUHAPOMQZL", arn: nil, status: status, domainName: "d111111abcdef8.cloudfront.net",
                                      aliases: aliases, enabled: enabled, functionAssociations: functions, acmCertificateArn: certificate,
                                      originDomainNames: origins, originPaths: originPaths ?? origins.map { _ in "/www" },
                                      originIds: origins.indices.map { "origin-\($0)" }, originIsS3: originIsS3,
                                      defaultOriginId: defaultOrigin.map { "origin-\($0)" },
                                      inProgressInvalidationBatches: 0, etag: nil)
    }

    static func certificate(names: [String] = ["example.com", "*.example.com"], status: String = "ISSUED",
                            days: Double = 200, type: String = "AMAZON_ISSUED") -> ACMClient.Certificate {
        ACMClient.Certificate(arn: certificateARN, domainName: names[0], subjectAlternativeNames: names, status: status,
                              notAfter: now.addingTimeInterval(days * 86_400), inUseBy: [], type: type)
    }

    static func aliasRecord(_ name: String = "www.example.com.", type: String = "A",
                            to target: String = "d111111abcdef8.cloudfront.net.") -> Route53Client.ResourceRecordSet {
        .init(name: name, type: type, aliasTarget: .init(hostedZoneId: Route53Client.cloudFrontHostedZoneId, dnsName: target))
    }

    static func dns(_ records: [Route53Client.ResourceRecordSet]) -> PreflightLookup<PreflightFacts.DNSRecords> {
        .found(.init(zoneName: "example.com.", zoneId: "Z1D633PJN98FT9", records: records))
    }

    /// Everything in place: an S3 target, a KeyValueStore pointer, one domain.
    static func healthy() -> PreflightFacts {
        PreflightFacts(
            target: .s3(bucket: "site", prefix: "www/", region: "us-east-1", probe: .reachable(region: "us-east-1")),
            pointer: .keyValueStore(arn: kvs, key: "path"), pointerURL: "cloudfront-kvs://\(kvs)#path", live: .found("v1"),
            liveManifest: .found(true), distributionId: "E2QWRUHAPOMQZL", distribution: .found(distribution()),
            function: .found(.init(name: "sitebuild-router", functionARN: routerARN, stage: "LIVE", status: "DEPLOYED",
                                   runtime: "cloudfront-js-2.0", keyValueStoreARNs: [kvs], etag: "E1")),
            domains: ["www.example.com"], certificate: .found(certificate()), dns: ["www.example.com": dns([aliasRecord()])],
            now: now)
    }

    func check(_ facts: PreflightFacts, _ name: String) throws -> PreflightCheck {
        try #require(Preflight.evaluate(facts).first { $0.name == name }, "no \(name) check")
    }

    func failure(_ facts: PreflightFacts, _ name: String) throws -> String {
        let result = try check(facts, name)
        #expect(result.status == .fail, "\(result.line)")
        return result.message
    }

    // MARK: - All good

    @Test func everythingInPlacePassesEveryCheckInOrder() {
        let checks = Preflight.evaluate(Self.healthy())
        #expect(checks.map(\.name) == ["target", "pointer", "live-version", "distribution", "origin", "viewer-request-function",
                                       "function-key-value-store", "domain-alias", "certificate", "dns"])
        #expect(checks.allSatisfy { $0.status == .ok }, "\(checks.map(\.line))")
        #expect(checks[0].line == "ok   bucket site: exists and is reachable with these credentials (us-east-1)")
        #expect(checks[2].line == "ok   live version v1: complete (s3://site/www/_sitebuild/manifests/v1.json exists)")
        #expect(checks[3].line == "ok   distribution E2QWRUHAPOMQZL: d111111abcdef8.cloudfront.net, enabled, Deployed")
        #expect(checks[6].message.contains("reads the pointer's KeyValueStore \(Self.kvs)"))
        #expect(checks[8].message == "certificate for www.example.com: example.com (\(Self.certificateARN)) covers it, valid until 2026-01-01")
        #expect(checks[9].message == "DNS www.example.com: alias A in zone example.com. points at d111111abcdef8.cloudfront.net")
        #expect(checks[9].domain == "www.example.com")
    }

    // MARK: - Target

    @Test func aMissingBucketSaysHowToCreateIt() throws {
        var facts = Self.healthy()
        facts.target = .s3(bucket: "site", prefix: "www/", region: "eu-west-1", probe: .missing)
        let message = try failure(facts, "target")
        #expect(message.hasPrefix("bucket site: no such bucket (target s3://site/www/, region eu-west-1)"))
        #expect(message.contains("aws s3 mb s3://site --region eu-west-1"))
        #expect(message.contains("--target"))
    }

    @Test func aDeniedBucketNamesTheCredentialsAndPermissions() throws {
        var facts = Self.healthy()
        facts.target = .s3(bucket: "site", prefix: "www/", region: "us-east-1", probe: .denied(credentials: "profile ci"))
        let message = try failure(facts, "target")
        #expect(message.contains("access denied (HeadBucket answered 403) with the AWS credentials from profile ci"))
        #expect(message.contains("s3:ListBucket on arn:aws:s3:::site"))
        #expect(message.contains("arn:aws:s3:::site/www/*"))
    }

    /// A bucket in another region is used as a deploy uses it (S3's redirect is followed): ok,
    /// with a note, not a failure whose advice (--region) would break a pointer in this region.
    @Test func aBucketInAnotherRegionIsOkWithANote() throws {
        var facts = Self.healthy()
        facts.target = .s3(bucket: "site", prefix: "", region: "us-east-1", probe: .reachable(region: "eu-central-1"))
        let target = try check(facts, "target")
        #expect(target.status == .ok && target.message.contains("the bucket is in eu-central-1, and requests (signed for us-east-1) "
            + "are redirected there"), "\(target.line)")
        #expect(try check(facts, "live-version").status == .ok)
        facts.pointer = .s3(bucket: "pointers", key: "site/live")
        facts.pointerURL = "s3://pointers/site/live"
        facts.pointerBucket = .reachable(region: "eu-central-1")
        #expect(try check(facts, "pointer").status == .ok)
        facts.target = .s3(bucket: "site", prefix: "", region: "us-east-1", probe: .failed("S3 HeadBucket failed: timeout"))
        #expect(try failure(facts, "target") == "bucket site: cannot be reached: S3 HeadBucket failed: timeout")
    }

    @Test func localDirectories() throws {
        var facts = Self.healthy()
        facts.target = .local(root: "/srv/site", access: .writable)
        #expect(try check(facts, "target").line == "ok   directory /srv/site: exists and is writable")
        facts.target = .local(root: "/srv/site", access: .creatable(parent: "/srv"))
        #expect(try check(facts, "target").status == .ok)
        facts.target = .local(root: "/srv/site", access: .notWritable("/srv"))
        #expect(try failure(facts, "target") == "directory /srv/site: /srv is not writable by this user: fix its permissions or choose another --target")
        facts.target = .local(root: "/srv/site", access: .notDirectory("/srv/site"))
        #expect(try failure(facts, "target").contains("/srv/site is a file, not a directory"))
        // CloudFront cannot read a local target.
        #expect(try check(facts, "origin").status == .skip)
    }

    // MARK: - Pointer and live version

    @Test func aMissingKeyValueStoreIsNamed() throws {
        var facts = Self.healthy()
        facts.live = .missing
        let message = try failure(facts, "pointer")
        #expect(message.contains("no KeyValueStore \(Self.kvs)"))
        #expect(message.contains("aws cloudfront create-key-value-store"))
        #expect(try check(facts, "live-version").status == .skip)
        facts.live = .denied(credentials: "environment")
        #expect(try failure(facts, "pointer").contains("cloudfront-keyvaluestore:DescribeKeyValueStore"))
    }

    @Test func aMissingDynamoDBTableIsNamedWithTheCommandThatCreatesIt() throws {
        var facts = Self.healthy()
        facts.pointer = .dynamoDB(table: "site-pointer", key: "path", region: "eu-west-1", partitionKey: "id")
        facts.pointerURL = "dynamodb://site-pointer#path"
        facts.live = .missing
        let message = try failure(facts, "pointer")
        #expect(message.hasPrefix("pointer dynamodb://site-pointer#path: no DynamoDB table site-pointer in eu-west-1"))
        #expect(message.contains("aws dynamodb create-table --region eu-west-1 --table-name site-pointer"))
        #expect(message.contains("AttributeName=id,AttributeType=S"))
        // The function's store is only checked for a KeyValueStore pointer.
        #expect(!Preflight.evaluate(facts).contains { $0.name == "function-key-value-store" })
        facts.live = .denied(credentials: nil)
        // A flip is a conditional UpdateItem (PutItem would replace the item's other attributes).
        let denied = try failure(facts, "pointer")
        #expect(denied.contains("allow dynamodb:GetItem and dynamodb:UpdateItem on table site-pointer in eu-west-1"))
        #expect(!denied.contains("PutItem"))
    }

    @Test func anS3PointerInAnotherBucket() throws {
        var facts = Self.healthy()
        facts.pointer = .s3(bucket: "pointers", key: "site/live")
        facts.pointerURL = "s3://pointers/site/live"
        facts.pointerBucket = .missing
        #expect(try failure(facts, "pointer").contains("no bucket pointers for the pointer"))
        facts.pointerBucket = .reachable(region: nil)
        facts.live = .denied(credentials: nil)
        #expect(try failure(facts, "pointer").contains("s3:GetObject and s3:PutObject on arn:aws:s3:::pointers/site/live"))
        // The pointer's bucket unreachable: nothing is known of what is live (not "nothing is
        // live", with a rollback through a bucket that is not there).
        facts.pointerBucket = .missing
        facts.live = .found(nil)
        facts.lastRelease = ReleaseRecord(at: Self.now, from: "a1", to: "b2", action: "deploy", pointer: "s3://pointers/site/live")
        let live = try check(facts, "live-version")
        #expect(live.status == .skip && live.message.contains("the pointer's bucket pointers is not reachable"), "\(live.line)")
    }

    /// A live version the target never had (no manifest, no files, no release record) is
    /// another site's: doctor says so and never advises a rollback through that pointer.
    @Test func aLiveVersionTheTargetNeverHadIsAnotherSitesPointer() throws {
        var facts = Self.healthy()
        facts.live = .found("3f78a2c1d0e9b8a7")
        facts.liveManifest = .found(false)
        facts.liveHasFiles = false
        facts.liveIsStranger = true
        let stranger = try failure(facts, "live-version")
        #expect(stranger.contains("the pointer names 3f78a2c1d0e9b8a7, which this target never had"), "\(stranger)")
        #expect(stranger.contains("--take-over-pointer") && !stranger.contains("sitebuild rollback"), "\(stranger)")
        // One it had (a release record names it): deleted, and a rollback is the way back.
        facts.liveIsStranger = false
        #expect(try failure(facts, "live-version").contains("that version was deleted or never finished uploading"))
    }

    @Test func anS3PointerInAMissingTargetBucketIsSkipped() throws {
        var facts = Self.healthy()
        facts.target = .s3(bucket: "site", prefix: "", region: "us-east-1", probe: .missing)
        facts.pointer = .s3(bucket: "site", key: "_sitebuild/live")
        facts.pointerURL = "s3://site/_sitebuild/live"
        facts.live = .found(nil)
        facts.liveManifest = nil
        #expect(try check(facts, "pointer").status == .skip)
        #expect(try check(facts, "live-version").message.contains("bucket site is not reachable"))
    }

    @Test func aLocalPointerInAReadOnlyDirectory() throws {
        var facts = Self.healthy()
        facts.pointer = .local(path: "/srv/site/_sitebuild/live")
        facts.pointerURL = "file:///srv/site/_sitebuild/live"
        facts.pointerAccess = .notWritable("/srv/site/_sitebuild")
        #expect(try failure(facts, "pointer").contains("/srv/site/_sitebuild is not writable by this user, so a deploy cannot flip"))
    }

    /// The distribution's own *.cloudfront.net name listed as a domain: nothing to check.
    @Test func theDistributionsOwnDomainPasses() throws {
        var facts = Self.healthy()
        facts.domains = ["D111111ABCDEF8.cloudfront.net."]
        let checks = Preflight.evaluate(facts).filter { $0.domain != nil }
        #expect(checks.count == 1 && checks.first?.status == .ok, "\(checks.map(\.line))")
        #expect(checks.first?.line.contains("the distribution's own domain name") == true)
    }

    @Test func aLiveVersionWithoutManifestFails() throws {
        var facts = Self.healthy()
        facts.liveManifest = .found(false)
        let message = try failure(facts, "live-version")
        #expect(message.hasPrefix("live version v1: the pointer names v1, but s3://site/www/_sitebuild/manifests/v1.json does not exist"))
        #expect(message.contains("sitebuild rollback"))
        // Its files are there (the Hosting Toolkit's pipeline uploaded them): served, not a failure.
        facts.liveHasFiles = true
        let toolkit = try check(facts, "live-version")
        #expect(toolkit.status == .ok && toolkit.line.contains("without a sitebuild manifest"), "\(toolkit.line)")
        facts.liveHasFiles = false
        #expect(try check(facts, "live-version").status == .fail)
        // A manifest whose version's files were all deleted (a lifecycle rule, a purge) serves errors.
        facts.liveManifest = .found(true)
        let emptied = try failure(facts, "live-version")
        #expect(emptied.contains("exists, but the version's files are gone") && emptied.contains("sitebuild rollback VERSION"), "\(emptied)")
        facts.liveHasFiles = true
        #expect(try check(facts, "live-version").status == .ok)
        facts.live = .found(nil)
        #expect(try check(facts, "live-version").line == "skip live version: nothing is live yet: deploy with `sitebuild run` or `sitebuild deploy DIR`")
    }

    /// Objects of the live version deleted outside sitebuild: counted and named, with what the
    /// user can do (a content id cannot be chosen: another version live, then the build again).
    @Test func missingObjectsOfTheLiveVersionAreNamed() throws {
        var facts = Self.healthy()
        facts.liveMissing = MissingObjects(count: 0, total: 7, sample: [])
        #expect(try check(facts, "live-version").line
            == "ok   live version v1: complete (s3://site/www/_sitebuild/manifests/v1.json exists and all 7 of its objects are there)")
        facts.liveMissing = MissingObjects(count: 4, total: 7, sample: ["a.html", "b.html", "c.html"])
        let message = try failure(facts, "live-version")
        #expect(message.hasPrefix("live version v1: s3://site/www/_sitebuild/manifests/v1.json exists, but 4 of its 7 objects "
            + "(a.html, b.html, c.html, …) are missing on the target"), "\(message)")
        #expect(message.contains("`sitebuild rollback VERSION`") && message.contains("`sitebuild deploy DIR --repair` (or `sitebuild run --repair`)")
                && !message.contains("new id"), "\(message)")
    }

    /// A pointer that holds nothing on a target whose versions went live through another one
    /// (`--pointer 'dynamodb://ptr#nokey'`, a typo) is the wrong pointer, as rollback refuses it.
    @Test func anEmptyPointerOnATargetWithReleasesFails() throws {
        var facts = Self.healthy()
        facts.pointer = .dynamoDB(table: "ptr", key: "nokey", region: "us-east-1", partitionKey: "id")
        facts.pointerURL = "dynamodb://ptr#nokey"
        facts.live = .found(nil)
        facts.liveManifest = nil
        #expect(try check(facts, "live-version").status == .skip)
        facts.lastRelease = ReleaseRecord(at: Self.now, from: "a1", to: "b2", action: "deploy", pointer: "s3://site/www/_sitebuild/live")
        let message = try failure(facts, "live-version")
        #expect(message.hasPrefix("live version: nothing is live on dynamodb://ptr#nokey, but the last release on s3://site/www/ made b2 "
            + "live through s3://site/www/_sitebuild/live (deploy, 2025-06-15T15:06:40"), "\(message)")
        #expect(message.contains("Pass it with --pointer") && message.contains("`sitebuild rollback b2 --force`"), "\(message)")
    }

    // MARK: - Distribution

    @Test func noDistributionConfiguredSkipsTheCloudFrontChecks() {
        var facts = Self.healthy()
        facts.distributionId = nil
        facts.distribution = nil
        let checks = Preflight.evaluate(facts)
        #expect(checks.map(\.name) == ["target", "pointer", "live-version", "distribution", "domains"])
        #expect(checks[3].status == .skip && checks[3].message.contains("--distribution"))
        #expect(checks[4].status == .skip && checks[4].message.contains("www.example.com"))
    }

    @Test func aMissingDistributionFailsAndSkipsWhatDependsOnIt() throws {
        var facts = Self.healthy()
        facts.distribution = .missing
        let checks = Preflight.evaluate(facts)
        let distribution = try #require(checks.first { $0.name == "distribution" })
        #expect(distribution.status == .fail)
        #expect(distribution.message.hasPrefix("distribution E2QWRUHAPOMQZL: no such distribution in this account"))
        #expect(distribution.message.contains("aws cloudfront list-distributions"))
        #expect(checks.filter { $0.status == .fail }.count == 1)
        #expect(checks.contains { $0.name == "domain" && $0.status == .skip && $0.domain == "www.example.com" })
        facts.distribution = .denied(credentials: "environment")
        #expect(try failure(facts, "distribution").contains("allow cloudfront:GetDistribution"))
    }

    @Test func aDisabledDistributionFailsAndOneInProgressPasses() throws {
        var facts = Self.healthy()
        facts.distribution = .found(Self.distribution(enabled: false))
        #expect(try failure(facts, "distribution").contains("d111111abcdef8.cloudfront.net is disabled, so it serves nothing"))
        facts.distribution = .found(Self.distribution(status: "InProgress"))
        let check = try check(facts, "distribution")
        #expect(check.status == .ok)
        #expect(check.message.contains("still InProgress"))
    }

    @Test func anOriginOtherThanTheBucketIsNamed() throws {
        var facts = Self.healthy()
        facts.distribution = .found(Self.distribution(origins: ["old-site.s3.us-east-1.amazonaws.com", "api.example.com"]))
        let message = try failure(facts, "origin")
        #expect(message.contains("no origin is bucket site (its origins: old-site.s3.us-east-1.amazonaws.com, api.example.com)"))
        #expect(message.contains("site.s3.us-east-1.amazonaws.com"))
        // "site." must start the origin: "site-other." is another bucket.
        facts.distribution = .found(Self.distribution(origins: ["site-other.s3.us-east-1.amazonaws.com"]))
        #expect(try check(facts, "origin").status == .fail)
        // A custom origin that only starts with the bucket's name is not the bucket.
        facts.distribution = .found(Self.distribution(origins: ["site.example.org"]))
        #expect(try failure(facts, "origin").contains("no origin is bucket site (its origins: site.example.org)"))
        // An S3 origin of the bucket site.example is not bucket site.
        facts.distribution = .found(Self.distribution(origins: ["site.example.s3.us-east-1.amazonaws.com"], originIsS3: [true]))
        #expect(try failure(facts, "origin").contains("no origin is bucket site (its origins: site.example.s3.us-east-1.amazonaws.com)"))
        // An S3 origin by its configuration (S3OriginConfig), or a website endpoint, is.
        facts.distribution = .found(Self.distribution(origins: ["site.s3-website-us-east-1.amazonaws.com"]))
        #expect(try check(facts, "origin").status == .ok)
        // The bucket is an origin, but the default cache behavior (every page) reads another.
        facts.distribution = .found(Self.distribution(origins: ["old-site.s3.us-east-1.amazonaws.com", "site.s3.us-east-1.amazonaws.com"],
                                                      defaultOrigin: 0))
        let elsewhere = try failure(facts, "origin")
        #expect(elsewhere.contains("the default cache behavior reads origin 'origin-0' (old-site.s3.us-east-1.amazonaws.com), not bucket site "
            + "(site.s3.us-east-1.amazonaws.com is only another origin)"), "\(elsewhere)")
        facts.distribution = .found(Self.distribution(origins: ["old-site.s3.us-east-1.amazonaws.com", "site.s3.us-east-1.amazonaws.com"],
                                                      defaultOrigin: 1))
        #expect(try check(facts, "origin").status == .ok)
    }

    /// The function rewrites requests to /<version>/…, so the bucket's origin must start at the
    /// target's prefix: an origin path that differs fails, naming both.
    @Test func anOriginPathThatMissesTheTargetPrefixFails() throws {
        var facts = Self.healthy()
        #expect(try check(facts, "origin").message.contains("origin path /www"))
        facts.distribution = .found(Self.distribution(originPaths: [""]))
        let message = try failure(facts, "origin")
        #expect(message.contains("site.s3.us-east-1.amazonaws.com has origin path '', but the versions are under s3://site/www/"), "\(message)")
        #expect(message.contains("set the origin path to '/www'"))
        facts.distribution = .found(Self.distribution(originPaths: ["/www/"]))
        #expect(try check(facts, "origin").status == .ok)
        facts.distribution = .found(Self.distribution(originPaths: ["/other"]))
        #expect(try failure(facts, "origin").contains("or deploy to s3://site/other"))
    }

    /// A target prefix that no origin path reaches (CloudFront adds the origin path unencoded:
    /// S3 reads `+` as a space) fails whatever the origin path is, and doctor never offers an
    /// origin path or a target of such characters: it says to choose a prefix of safe ones.
    @Test func anOriginPathIsNeverRecommendedForAPrefixCloudFrontCannotServe() throws {
        var facts = Self.healthy()
        facts.target = .s3(bucket: "site", prefix: "a+b/", region: "us-east-1", probe: .reachable(region: "us-east-1"))
        for path in ["/a%2Bb", "/a+b", ""] {
            facts.distribution = .found(Self.distribution(originPaths: [path]))
            let message = try failure(facts, "origin")
            #expect(!message.contains("set the origin path to '/a+b'") && !message.contains("deploy to s3://site/a"), "\(message)")
            #expect(message.contains("the prefix 'a+b/' has '+', which a CloudFront origin path cannot hold"), "\(message)")
            #expect(message.contains("choose a prefix of letters, digits and ! - _ . * ' ( ) only"), "\(message)")
        }
        // A safe target whose distribution's origin path is no safe prefix: no deploy there offered.
        facts = Self.healthy()
        facts.distribution = .found(Self.distribution(originPaths: ["/a%2Bb"]))
        let message = try failure(facts, "origin")
        #expect(message.contains("set the origin path to '/www'") && !message.contains("deploy to"), "\(message)")
    }

    @Test func noViewerRequestFunctionFails() throws {
        var facts = Self.healthy()
        facts.distribution = .found(Self.distribution(functions: [.init(eventType: "viewer-response", functionARN: Self.routerARN)]))
        facts.function = nil
        let message = try failure(facts, "viewer-request-function")
        #expect(message.contains("the default cache behavior of E2QWRUHAPOMQZL has no viewer-request function (it has only viewer-response sitebuild-router)"))
        #expect(message.contains("publish the code `sitebuild function` prints"))
        #expect(try check(facts, "function-key-value-store").status == .skip)
        // A DynamoDB pointer: sitebuild's function cannot read it, so it is not what to publish.
        facts.pointer = .dynamoDB(table: "pointers", key: "path", region: "us-east-1", partitionKey: "id")
        let dynamo = try failure(facts, "viewer-request-function")
        #expect(dynamo.contains("a CloudFront Function can read only a KeyValueStore"), "\(dynamo)")
        #expect(!dynamo.contains("publish the code `sitebuild function` prints (for this pointer"), "\(dynamo)")
        // A CloudFront Function at the viewer request cannot route a DynamoDB or S3 pointer.
        facts.distribution = .found(Self.distribution())
        for pointer in [PreflightFacts.Pointer.dynamoDB(table: "pointers", key: "path", region: "us-east-1", partitionKey: "id"),
                        .s3(bucket: "site", key: "www/_sitebuild/live")] {
            facts.pointer = pointer
            let rewrite = try failure(facts, "viewer-request-function")
            #expect(rewrite.contains("sitebuild-router, the viewer-request function of E2QWRUHAPOMQZL, is a CloudFront Function, which can "
                + "read only a KeyValueStore, not this pointer"), "\(rewrite)")
        }
    }

    /// A DynamoDB or S3 pointer is routed by a Lambda@Edge function (a CloudFront Function
    /// reads only a KeyValueStore): one at the viewer request or the origin request will do.
    @Test func aLambdaEdgeRouterServesAPointerACloudFrontFunctionCannotRead() throws {
        let router = "arn:aws:lambda:us-east-1:123456789012:function:router:3"
        var facts = Self.healthy()
        facts.pointer = .dynamoDB(table: "pointers", key: "path", region: "us-east-1", partitionKey: "id")
        facts.pointerURL = "dynamodb://pointers#path"
        facts.function = nil
        for event in ["origin-request", "viewer-request"] {
            var distribution = Self.distribution(functions: [])
            distribution.lambdaFunctionAssociations = [.init(eventType: "viewer-response", lambdaFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:headers:1"),
                                                       .init(eventType: event, lambdaFunctionARN: router)]
            facts.distribution = .found(distribution)
            let found = try check(facts, "viewer-request-function")
            #expect(found.status == .ok, "\(found.line)")
            #expect(found.line == "ok   request router: Lambda@Edge router:3 is associated with the default cache behavior of E2QWRUHAPOMQZL "
                + "as its \(event) function (it must read the pointer and route to the live version's files; sitebuild cannot check its code)")
            facts.pointer = .s3(bucket: "site", key: "www/_sitebuild/live")
            #expect(try check(facts, "viewer-request-function").status == .ok)
            facts.pointer = .dynamoDB(table: "pointers", key: "path", region: "us-east-1", partitionKey: "id")
        }
        // Only at the response, it routes nothing.
        var responseOnly = Self.distribution(functions: [])
        responseOnly.lambdaFunctionAssociations = [.init(eventType: "origin-response", lambdaFunctionARN: router)]
        facts.distribution = .found(responseOnly)
        let message = try failure(facts, "viewer-request-function")
        #expect(message.contains("no viewer-request or origin-request Lambda@Edge function (it has only origin-response Lambda@Edge router:3)"),
                "\(message)")
        // A KeyValueStore is read only by a CloudFront Function: a Lambda@Edge does not count.
        var withLambda = Self.distribution(functions: [])
        withLambda.lambdaFunctionAssociations = [.init(eventType: "viewer-request", lambdaFunctionARN: router)]
        var kvs = Self.healthy()
        kvs.distribution = .found(withLambda)
        let kvsMessage = try failure(kvs, "viewer-request-function")
        #expect(kvsMessage.contains("(it has only viewer-request Lambda@Edge router:3)") && kvsMessage.contains("cannot read a KeyValueStore"),
                "\(kvsMessage)")
    }

    @Test func aFunctionReadingAnotherStoreNamesBothARNsAndTheFix() throws {
        var facts = Self.healthy()
        facts.function = .found(.init(name: "sitebuild-router", functionARN: Self.routerARN, stage: "LIVE", status: "DEPLOYED",
                                      runtime: "cloudfront-js-2.0", keyValueStoreARNs: [Self.otherKVS], etag: "E1"))
        let message = try failure(facts, "function-key-value-store")
        #expect(message.hasPrefix("function sitebuild-router KeyValueStore: the LIVE function is associated with \(Self.otherKVS), "
            + "not the pointer's KeyValueStore \(Self.kvs)"))
        #expect(message.contains("aws cloudfront update-function --name sitebuild-router"))
        #expect(message.contains("\"KeyValueStoreARN\":\"\(Self.kvs)\""))
        #expect(message.contains("aws cloudfront publish-function --name sitebuild-router"))

        facts.function = .found(.init(name: "sitebuild-router", functionARN: nil, stage: "LIVE", status: nil, runtime: nil,
                                      keyValueStoreARNs: [], etag: nil))
        #expect(try failure(facts, "function-key-value-store").contains("is associated with no KeyValueStore"))
        facts.function = .missing
        #expect(try failure(facts, "function-key-value-store").contains("no LIVE stage of sitebuild-router"))
    }

    // MARK: - Domains

    @Test func aDomainMissingFromTheAliasesFails() throws {
        var facts = Self.healthy()
        facts.distribution = .found(Self.distribution(aliases: ["example.com"]))
        let message = try failure(facts, "domain-alias")
        #expect(message == "alias www.example.com: not an alternate domain name of distribution E2QWRUHAPOMQZL (its aliases: example.com): "
            + "CloudFront refuses requests for www.example.com; add it to the distribution's alternate domain names (Aliases)")
        facts.distribution = .found(Self.distribution(aliases: ["*.example.com"]))
        #expect(try check(facts, "domain-alias").status == .ok)
    }

    /// In the China partition the advice names its S3 domain and IAM server certificates
    /// (CloudFront there takes no ACM certificate).
    @Test func chinaAdviceNamesItsDomainAndIAMCertificates() throws {
        var facts = Self.healthy()
        facts.target = .s3(bucket: "site", prefix: "www/", region: "cn-north-1", probe: .reachable(region: "cn-north-1"))
        facts.distribution = .found(Self.distribution(origins: ["api.example.com"]))
        #expect(try failure(facts, "origin").contains("point the origin at site.s3.cn-north-1.amazonaws.com.cn,"))
        facts.distribution = .found(Self.distribution(certificate: nil))
        let certificate = try failure(facts, "certificate")
        #expect(certificate.contains("aws iam upload-server-certificate --path /cloudfront/") && !certificate.contains("aws acm"),
                "\(certificate)")
    }

    @Test func certificateFailures() throws {
        var facts = Self.healthy()
        facts.distribution = .found(Self.distribution(certificate: nil))
        #expect(try failure(facts, "certificate").contains("has no ACM certificate (it uses the default *.cloudfront.net one"))

        facts = Self.healthy()
        facts.certificate = .missing
        #expect(try failure(facts, "certificate").contains("does not exist in ACM in us-east-1"))

        facts.certificate = .found(Self.certificate(names: ["example.org", "www.example.org"]))
        #expect(try failure(facts, "certificate").contains("covers example.org, www.example.org, not www.example.com"))

        facts.certificate = .found(Self.certificate(names: ["a.b.example.com", "*.b.example.com"]))
        #expect(try failure(facts, "certificate").contains("not www.example.com"))

        facts.certificate = .found(Self.certificate(status: "PENDING_VALIDATION"))
        let pending = try failure(facts, "certificate")
        #expect(pending.contains("is PENDING_VALIDATION, not ISSUED"))
        #expect(pending.contains("aws acm describe-certificate --region us-east-1"))

        facts.certificate = .found(Self.certificate(days: -3))
        #expect(try failure(facts, "certificate").contains("expired on 2025-06-12"))

        facts.certificate = .found(Self.certificate(days: 10, type: "IMPORTED"))
        let soon = try failure(facts, "certificate")
        #expect(soon.contains("expires on 2025-06-25, in 10 days (less than 30)"))
        #expect(soon.contains("aws acm import-certificate"))

        facts.certificate = .found(Self.certificate(days: 31))
        #expect(try check(facts, "certificate").status == .ok)

        // Several problems at once are all named.
        facts.certificate = .found(Self.certificate(names: ["example.org"], days: 5))
        let both = try failure(facts, "certificate")
        #expect(both.contains("not www.example.com") && both.contains("; also ") && both.contains("in 5 days"))
    }

    @Test func dnsFailuresNameWhatTheRecordPointsAt() throws {
        var facts = Self.healthy()
        facts.dns["www.example.com"] = .missing
        #expect(try failure(facts, "dns").contains("no Route 53 hosted zone for www.example.com (looked for www.example.com., example.com.)"))

        facts.dns["www.example.com"] = Self.dns([Self.aliasRecord(to: "d999999zzzzzz9.cloudfront.net.")])
        let elsewhere = try failure(facts, "dns")
        #expect(elsewhere.contains("the alias A record in zone example.com. points at d999999zzzzzz9.cloudfront.net, "
            + "not distribution E2QWRUHAPOMQZL (d111111abcdef8.cloudfront.net)"))
        #expect(elsewhere.contains("aws route53 change-resource-record-sets --hosted-zone-id Z1D633PJN98FT9"))
        #expect(elsewhere.contains("\"HostedZoneId\":\"Z2FDTNDATAQYW2\""))

        facts.dns["www.example.com"] = Self.dns([.init(name: "www.example.com.", type: "A", ttl: 300, values: ["192.0.2.1"])])
        #expect(try failure(facts, "dns").contains("the A record in zone example.com. holds 192.0.2.1, not an alias"))

        facts.dns["www.example.com"] = Self.dns([.init(name: "www.example.com.", type: "CNAME", ttl: 300, values: ["old.example.net."])])
        #expect(try failure(facts, "dns").contains("the CNAME in zone example.com. points at old.example.net"))

        facts.dns["www.example.com"] = Self.dns([])
        #expect(try failure(facts, "dns").contains("zone example.com. has no A or AAAA record for www.example.com"))

        facts.dns["www.example.com"] = .denied(credentials: nil)
        #expect(try failure(facts, "dns").contains("route53:ListResourceRecordSets"))
    }

    @Test func dnsRecordsThatReachTheDistributionPass() throws {
        var facts = Self.healthy()
        for records in [[Self.aliasRecord(to: "d111111abcdef8.cloudfront.net."),
                         Self.aliasRecord(type: "AAAA", to: "dualstack.D111111ABCDEF8.cloudfront.net")],
                        [Self.aliasRecord(to: "d111111abcdef8.cloudfront.net")],
                        [Route53Client.ResourceRecordSet(name: "www.example.com.", type: "CNAME", ttl: 60,
                                                         values: ["d111111abcdef8.cloudfront.net"])]] {
            facts.dns["www.example.com"] = Self.dns(records)
            #expect(try check(facts, "dns").status == .ok, "\(records)")
        }
    }

    /// Every address record of the name must reach the distribution: an AAAA (or a weighted
    /// set) elsewhere sends some clients to another site, and an AAAA alone leaves IPv4
    /// clients without an address.
    @Test func dnsRecordsThatSendSomeClientsElsewhereFail() throws {
        var facts = Self.healthy()
        facts.dns["www.example.com"] = Self.dns([Self.aliasRecord(), Self.aliasRecord(type: "AAAA", to: "dzzzzzz.cloudfront.net.")])
        let ipv6 = try failure(facts, "dns")
        #expect(ipv6.contains("but the AAAA record points at dzzzzzz.cloudfront.net, not distribution E2QWRUHAPOMQZL: IPv6 clients go elsewhere"),
                "\(ipv6)")
        facts.dns["www.example.com"] = Self.dns([Self.aliasRecord(type: "AAAA")])
        #expect(try failure(facts, "dns").contains("only an alias AAAA record in zone example.com. points at d111111abcdef8.cloudfront.net"))
        var heavy = Self.aliasRecord(to: "dold.cloudfront.net.")
        heavy.setIdentifier = "old"
        var light = Self.aliasRecord()
        light.setIdentifier = "new"
        facts.dns["www.example.com"] = Self.dns([heavy, light])
        #expect(try failure(facts, "dns").contains("the A record (set 'old') points at dold.cloudfront.net, not distribution E2QWRUHAPOMQZL: "
            + "part of the traffic goes elsewhere"))
    }

    /// A CNAME or an alias to another name of the same zone that reaches the distribution passes
    /// (followed one step); one to a name of the zone that does not, fails.
    @Test func dnsRecordsThroughAnotherNameOfTheZone() throws {
        var facts = Self.healthy()
        facts.domains = ["cn.example.com"]
        facts.distribution = .found(Self.distribution(aliases: ["cn.example.com"]))
        facts.certificate = .found(Self.certificate())
        for record in [Route53Client.ResourceRecordSet(name: "cn.example.com.", type: "CNAME", ttl: 60, values: ["WWW.example.com."]),
                       Self.aliasRecord("cn.example.com.", to: "www.example.com.")] {
            var zone = PreflightFacts.DNSRecords(zoneName: "example.com.", zoneId: "Z1D633PJN98FT9", records: [record])
            zone.followed = ["www.example.com": [Self.aliasRecord()]]
            facts.dns["cn.example.com"] = .found(zone)
            #expect(try check(facts, "dns").status == .ok, "\(record)")
            zone.followed = ["www.example.com": [Self.aliasRecord(to: "dold.cloudfront.net.")]]
            facts.dns["cn.example.com"] = .found(zone)
            #expect(try check(facts, "dns").status == .fail, "\(record)")
        }
    }

    /// A distribution with an IAM server certificate: not read, so neither passed nor failed
    /// as "the default certificate".
    @Test func anIAMServerCertificateIsSkipped() throws {
        var facts = Self.healthy()
        var distribution = Self.distribution(certificate: nil)
        distribution.iamCertificateId = "ASCAEXAMPLE"
        facts.distribution = .found(distribution)
        facts.certificate = nil
        let result = try check(facts, "certificate")
        #expect(result.status == .skip && result.message.contains("uses the IAM server certificate ASCAEXAMPLE"), "\(result.line)")
    }

    @Test func domainsAreCheckedOneByOne() {
        var facts = Self.healthy()
        facts.domains = ["www.example.com", "shop.example.org"]
        facts.dns["shop.example.org"] = .missing
        let checks = Preflight.evaluate(facts).filter { $0.domain == "shop.example.org" }
        #expect(checks.map(\.name) == ["domain-alias", "certificate", "dns"])
        #expect(checks.allSatisfy { $0.status == .fail })
    }

    @Test func namesAndLines() {
        #expect(Preflight.normalizeDomain("WWW.Example.COM.") == "www.example.com")
        #expect(Preflight.normalizeDomain("\\052.example.com.") == "*.example.com")
        #expect(Preflight.zoneCandidates("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com"])
        #expect(Preflight.zoneCandidates("*.example.com") == ["example.com"])
        #expect(Preflight.functionName(ofARN: Self.routerARN) == "sitebuild-router")
        #expect(Preflight.manifestLocation(.local(root: "/srv/site", access: .writable), version: "v2") == "/srv/site/_sitebuild/manifests/v2.json")
        #expect(PreflightCheck(name: "x", status: .fail, subject: "thing", detail: "broken").line == "FAIL thing: broken")
        #expect(PreflightCheck(name: "x", status: .skip, subject: "thing", detail: "n/a").line == "skip thing: n/a")
    }
}

/// The Route 53 lookup behind the DNS check, on moto_server.
@Suite struct PreflightDNSLookupTests {
    /// A name without records of its own is answered by the wildcard above it (RFC 4592);
    /// a name with its own records is not.
    @Test func aWildcardRecordAnswersForANameWithoutItsOwn() async throws {
        try await withMotoServer { moto in
            let route53 = Route53Client(credentials: moto.credentials, environment: moto.environment)
            let zone = try await route53.createHostedZone(name: "wild.test")
            try await route53.changeResourceRecordSets(hostedZoneId: zone.id, changes: [
                .init(action: "UPSERT", recordSet: .init(name: "*.wild.test", type: "A",
                                                         aliasTarget: .init(hostedZoneId: Route53Client.cloudFrontHostedZoneId,
                                                                            dnsName: "d111111abcdef8.cloudfront.net."))),
                .init(action: "UPSERT", recordSet: .init(name: "mail.wild.test", type: "A", ttl: 60, values: ["192.0.2.1"])),
                // shop.wild.test exists only through the record below it; so does b.wild.test.
                .init(action: "UPSERT", recordSet: .init(name: "_acme-challenge.shop.wild.test", type: "TXT", ttl: 60, values: ["\"token\""])),
                .init(action: "UPSERT", recordSet: .init(name: "x.b.wild.test", type: "TXT", ttl: 60, values: ["\"x\""])),
            ])
            for name in ["shop.wild.test", "a.b.wild.test"] {
                guard case .found(let found) = await PreflightProbe.records(of: name, route53: route53) else {
                    Issue.record("no zone found for \(name)")
                    continue
                }
                #expect(found.wildcard == nil, "\(name): the wildcard does not answer a name that exists")
                #expect(found.records.isEmpty, "\(name)")
            }
            // Deeper names under a name that does not exist are answered too.
            guard case .found(let deep) = await PreflightProbe.records(of: "a.c.wild.test", route53: route53) else {
                Issue.record("no zone found")
                return
            }
            #expect(deep.wildcard == "*.wild.test")
            guard case .found(let www) = await PreflightProbe.records(of: "www.wild.test", route53: route53) else {
                Issue.record("no zone found")
                return
            }
            #expect(www.wildcard == "*.wild.test")
            #expect(www.records.map(\.type) == ["A"])
            let check = Preflight.dnsCheck("www.wild.test", PreflightTests.distribution(), .found(www))
            #expect(check.status == .ok, "\(check.line)")
            #expect(check.line.contains("(the wildcard *.wild.test answers for www.wild.test)"), "\(check.line)")
            guard case .found(let mail) = await PreflightProbe.records(of: "mail.wild.test", route53: route53) else {
                Issue.record("no zone found")
                return
            }
            #expect(mail.wildcard == nil)
            #expect(Preflight.dnsCheck("mail.wild.test", PreflightTests.distribution(), .found(mail)).status == .fail)
        }
    }

    /// A CNAME to another name of the zone is followed one step, through Route 53's records.
    @Test func aCNAMEToANameOfTheSameZoneIsFollowed() async throws {
        try await withMotoServer { moto in
            let route53 = Route53Client(credentials: moto.credentials, environment: moto.environment)
            let zone = try await route53.createHostedZone(name: "chain.test")
            try await route53.changeResourceRecordSets(hostedZoneId: zone.id, changes: [
                .init(action: "UPSERT", recordSet: .init(name: "www.chain.test", type: "A",
                                                         aliasTarget: .init(hostedZoneId: Route53Client.cloudFrontHostedZoneId,
                                                                            dnsName: "d111111abcdef8.cloudfront.net."))),
                .init(action: "UPSERT", recordSet: .init(name: "cn.chain.test", type: "CNAME", ttl: 60, values: ["www.chain.test"])),
                .init(action: "UPSERT", recordSet: .init(name: "old.chain.test", type: "CNAME", ttl: 60, values: ["mail.chain.test"])),
                .init(action: "UPSERT", recordSet: .init(name: "mail.chain.test", type: "A", ttl: 60, values: ["192.0.2.1"])),
            ])
            guard case .found(let cn) = await PreflightProbe.records(of: "cn.chain.test", route53: route53),
                  case .found(let old) = await PreflightProbe.records(of: "old.chain.test", route53: route53) else {
                Issue.record("no zone found")
                return
            }
            #expect(cn.followed["www.chain.test"]?.map(\.type) == ["A"], "\(cn.followed)")
            let check = Preflight.dnsCheck("cn.chain.test", PreflightTests.distribution(), .found(cn))
            #expect(check.status == .ok, "\(check.line)")
            #expect(Preflight.dnsCheck("old.chain.test", PreflightTests.distribution(), .found(old)).status == .fail)
        }
    }
}
