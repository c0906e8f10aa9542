import AWSCore
import AWSServices
import Foundation
import Testing
import TestSupport

/// `sitebuild doctor` with the built binary: S3, ACM, Route 53 and CloudFront distributions in
/// moto_server; the KeyValueStore in the project's test server; the function association and
/// DescribeFunction (which moto lacks) from ``CloudFrontFunctionStandIn`` in front of moto.
@Suite(.serialized) struct DoctorCommandTests {
    static let routerARN = "arn:aws:cloudfront::123456789012:function/sitebuild-router"
    static let otherKVS = "arn:aws:cloudfront::123456789012:key-value-store/ffffffff-0000-0000-0000-000000000000"

    /// A DistributionConfig moto accepts, with the origin, aliases and certificate given.
    static func distributionConfig(_ reference: String, origin: String, aliases: [String], certificateARN: String) -> String {
        let items = aliases.map { "<CNAME>\($0)</CNAME>" }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">\
            <CallerReference>\(reference)</CallerReference>\
            <Aliases><Quantity>\(aliases.count)</Quantity><Items>\(items)</Items></Aliases>\
            <DefaultRootObject>index.html</DefaultRootObject>\
            <Origins><Quantity>1</Quantity><Items><Origin><Id>site</Id><DomainName>\(origin)</DomainName>\
            <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin></Items></Origins>\
            <DefaultCacheBehavior><TargetOriginId>site</TargetOriginId><ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>\
            <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior>\
            <Comment>sitebuild doctor test</Comment><Enabled>true</Enabled>\
            <ViewerCertificate><ACMCertificateArn>\(certificateARN)</ACMCertificateArn>\
            <SSLSupportMethod>sni-only</SSLSupportMethod><MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion></ViewerCertificate>\
            </DistributionConfig>
            """
    }

    /// Imports a certificate for `names` valid for `days` into moto's ACM; returns its ARN.
    static func importCertificate(_ moto: MotoServer, names: [String], days: Int) async throws -> String {
        let pem = try selfSignedCertificate(names: names, days: days)
        return try await ACMClient(credentials: moto.credentials, environment: moto.environment)
            .importCertificate(certificatePEM: pem.certificate, privateKeyPEM: pem.key)
    }

    /// Creates the zone `zone` in moto's Route 53 with an alias A record `name` → `target`.
    static func aliasRecord(_ moto: MotoServer, zone: String, name: String, to target: String) async throws {
        let route53 = Route53Client(credentials: moto.credentials, environment: moto.environment)
        let created = try await route53.createHostedZone(name: zone)
        try await route53.changeResourceRecordSets(hostedZoneId: created.id, changes: [
            .init(action: "UPSERT", recordSet: .init(name: name, type: "A",
                                                     aliasTarget: .init(hostedZoneId: Route53Client.cloudFrontHostedZoneId, dnsName: target))),
        ])
    }

    static func createDistribution(_ moto: MotoServer, _ config: String) async throws -> CloudFrontClient.Distribution {
        try await CloudFrontClient(credentials: moto.credentials, environment: moto.environment).createDistribution(configXML: config)
    }

    /// The `check` events of a `--json` run, and its `result` event.
    static func events(_ output: CLIHarness.Output) -> (checks: [[String: Any]], result: [String: Any]) {
        var checks: [[String: Any]] = []
        var result: [String: Any] = [:]
        for line in output.stdout.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if object["event"] as? String == "check" { checks.append(object) }
            if object["event"] as? String == "result" { result = object }
        }
        return (checks, result)
    }

    static func lines(_ output: CLIHarness.Output) -> [String] {
        output.stdout.split(separator: "\n").map(String.init)
    }

    // MARK: - Everything in place

    @Test func aCompleteSetUpPassesEveryCheck() async throws {
        try await withMotoServer { moto in
            try await withKeyValueStoreTestServer { kvs in
                try await S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment).createBucket("doctor-site")
                let certificate = try await Self.importCertificate(moto, names: ["www.example.com", "example.com"], days: 365)
                let distribution = try await Self.createDistribution(moto, Self.distributionConfig(
                    "doctor-ok", origin: "doctor-site.s3.us-east-1.amazonaws.com", aliases: ["www.example.com"], certificateARN: certificate))
                let domainName = try #require(distribution.domainName)
                try await Self.aliasRecord(moto, zone: "example.com", name: "www.example.com", to: domainName + ".")

                try await withCloudFrontFunctionStandIn(upstream: moto.baseURL, viewerRequestFunctionARN: Self.routerARN,
                                                        functions: ["sitebuild-router": [KeyValueStoreTestServer.storeARN]]) { cloudFront in
                    let h = try CLIHarness()
                    var environment = moto.environment
                    environment["AWS_ACCESS_KEY_ID"] = KeyValueStoreTestServer.accessKeyId
                    environment["AWS_SECRET_ACCESS_KEY"] = KeyValueStoreTestServer.secretAccessKey
                    environment["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"] = kvs.baseURL
                    environment["AWS_ENDPOINT_URL_CLOUDFRONT"] = cloudFront.baseURL
                    let pointer = "cloudfront-kvs://\(KeyValueStoreTestServer.storeARN)"
                    try h.write("sitebuild.yml", "target: s3://doctor-site\npointer: \(pointer)\ndistribution: \(distribution.id)\n")
                    try h.write("site/index.html", "<p>doctor</p>")
                    let deploy = try await h.run(["deploy", "site"], environment: environment)
                    #expect(deploy.status == 0, "\(deploy.stderr)")

                    let doctor = try await h.run(["doctor", "--domain", "WWW.example.com."], environment: environment)
                    #expect(doctor.status == 0, "\(doctor.stdout)\n\(doctor.stderr)")
                    let lines = Self.lines(doctor)
                    #expect(lines.count == 11, "\(lines)")
                    #expect(lines.dropLast().allSatisfy { $0.hasPrefix("ok   ") }, "\(lines)")
                    #expect(lines.first == "ok   bucket doctor-site: exists and is reachable with these credentials (us-east-1)")
                    #expect(lines.contains { $0.hasPrefix("ok   live version ") && $0.contains("_sitebuild/manifests/") })
                    #expect(lines.contains("ok   origin of \(distribution.id): doctor-site.s3.us-east-1.amazonaws.com is bucket doctor-site"))
                    #expect(lines.contains { $0.hasPrefix("ok   function sitebuild-router KeyValueStore: reads the pointer's KeyValueStore") })
                    #expect(lines.contains { $0.hasPrefix("ok   certificate for www.example.com: www.example.com (\(certificate)) covers it, valid until ") })
                    #expect(lines.contains("ok   DNS www.example.com: alias A in zone example.com. points at \(domainName)"))
                    #expect(lines.last == "doctor: 10 ok, 0 failed, 0 skipped")

                    let json = try await h.run(["doctor", "--domain", "www.example.com", "--json"], environment: environment)
                    #expect(json.status == 0, "\(json.stderr)")
                    let (checks, result) = Self.events(json)
                    #expect(checks.map { $0["name"] as? String ?? "" } == [
                        "target", "pointer", "live-version", "distribution", "origin", "viewer-request-function",
                        "function-key-value-store", "domain-alias", "certificate", "dns"])
                    #expect(checks.allSatisfy { $0["status"] as? String == "ok" })
                    #expect(checks.last?["domain"] as? String == "www.example.com")
                    #expect(result["status"] as? String == "SUCCEEDED")
                    #expect(result["ok"] as? Int == 10)
                }
            }
        }
    }

    // MARK: - Failures

    @Test func eachProblemIsNamedWithTheFix() async throws {
        try await withMotoServer { moto in
            try await withKeyValueStoreTestServer { kvs in
                // The distribution reads another bucket, its certificate expires in ten days,
                // and DNS points at another distribution; the target bucket does not exist.
                let certificate = try await Self.importCertificate(moto, names: ["www.example.com"], days: 10)
                let distribution = try await Self.createDistribution(moto, Self.distributionConfig(
                    "doctor-fail", origin: "old-site.s3.us-east-1.amazonaws.com", aliases: ["www.example.com"], certificateARN: certificate))
                try await Self.aliasRecord(moto, zone: "example.com", name: "www.example.com", to: "d999999zzzzzz9.cloudfront.net.")

                // The router function reads another KeyValueStore than the pointer.
                try await withCloudFrontFunctionStandIn(upstream: moto.baseURL, viewerRequestFunctionARN: Self.routerARN,
                                                        functions: ["sitebuild-router": [Self.otherKVS]]) { cloudFront in
                    let h = try CLIHarness()
                    var environment = moto.environment
                    environment["AWS_ACCESS_KEY_ID"] = KeyValueStoreTestServer.accessKeyId
                    environment["AWS_SECRET_ACCESS_KEY"] = KeyValueStoreTestServer.secretAccessKey
                    environment["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"] = kvs.baseURL
                    environment["AWS_ENDPOINT_URL_CLOUDFRONT"] = cloudFront.baseURL
                    let doctor = try await h.run(["doctor", "--target", "s3://missing-site/www", "--pointer", "cloudfront-kvs://\(KeyValueStoreTestServer.storeARN)",
                                            "--distribution", distribution.id, "--domain", "www.example.com", "--domain", "shop.example.org"],
                                           environment: environment)
                    #expect(doctor.status == 3, "\(doctor.stdout)\n\(doctor.stderr)")
                    let lines = Self.lines(doctor)
                    func line(_ prefix: String) -> String { lines.first { $0.hasPrefix(prefix) } ?? "(no line starting \(prefix)) \(lines)" }

                    #expect(line("FAIL bucket missing-site").contains("no such bucket (target s3://missing-site/www/, region us-east-1): "
                        + "create it (aws s3 mb s3://missing-site --region us-east-1)"))
                    #expect(line("ok   pointer cloudfront-kvs://").contains("the KeyValueStore is reachable"))
                    #expect(line("skip live version").contains("nothing is live yet"))
                    #expect(line("ok   distribution \(distribution.id)").contains(".cloudfront.net, enabled"))
                    #expect(line("FAIL origin of \(distribution.id)").contains("no origin is bucket missing-site (its origins: old-site.s3.us-east-1.amazonaws.com)"))
                    #expect(line("ok   viewer-request function").contains("sitebuild-router is associated"))
                    let store = line("FAIL function sitebuild-router KeyValueStore")
                    #expect(store.contains("the LIVE function is associated with \(Self.otherKVS), not the pointer's KeyValueStore \(KeyValueStoreTestServer.storeARN)"))
                    #expect(store.contains("aws cloudfront update-function --name sitebuild-router"))
                    #expect(line("ok   alias www.example.com").contains("an alternate domain name of \(distribution.id)"))
                    let expiring = line("FAIL certificate for www.example.com")
                    #expect(expiring.contains("\(certificate) expires on "), "\(expiring)")
                    #expect(expiring.contains("days (less than 30)") && expiring.contains("aws acm import-certificate"), "\(expiring)")
                    let dns = line("FAIL DNS www.example.com")
                    #expect(dns.contains("the alias A record in zone example.com. points at d999999zzzzzz9.cloudfront.net, not distribution \(distribution.id)"), "\(dns)")
                    #expect(line("FAIL alias shop.example.org").contains("not an alternate domain name of distribution \(distribution.id) (its aliases: www.example.com)"))
                    #expect(line("FAIL certificate for shop.example.org").contains("covers www.example.com, not shop.example.org"))
                    #expect(line("FAIL DNS shop.example.org").contains("no Route 53 hosted zone for shop.example.org (looked for shop.example.org., example.org.)"))
                    #expect(lines.last == "doctor: 4 ok, 8 failed, 1 skipped")

                    // The first flip's pre-flight stops a deploy before anything is uploaded, and
                    // a dry run says so too (the check is read-only), with the same exit status.
                    try h.write("site/index.html", "<p>never served</p>")
                    for dryRun in [true, false] {
                        let deploy = try await h.run(["deploy", "site", "--target", "s3://missing-site/www", "--pointer",
                                                      "cloudfront-kvs://\(KeyValueStoreTestServer.storeARN)", "--distribution", distribution.id]
                                                     + (dryRun ? ["--dry-run"] : []), environment: environment)
                        #expect(deploy.status == 3, "\(deploy.stderr)")
                        #expect(deploy.stderr.contains("FAIL origin of \(distribution.id)"), "\(deploy.stderr)")
                        #expect(deploy.stderr.contains(dryRun ? "a real run would stop here" : "nothing was uploaded or made live"), "\(deploy.stderr)")
                    }

                    // Nothing was created or changed.
                    let head = try await S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment).headBucket("missing-site")
                    #expect(head.status == 404)
                    #expect(try await kvs.client().describe().itemCount ?? 0 == 0)
                }
            }
        }
    }

    @Test func motoDistributionWithoutFunctionMissingTableAndPendingCertificate() async throws {
        try await withMotoServer { moto in
            let s3 = S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await s3.createBucket("plain-site")
            let acm = ACMClient(credentials: moto.credentials, environment: moto.environment)
            let certificate = try await acm.requestCertificate(domainName: "example.net", subjectAlternativeNames: ["example.net", "www.example.net"])
            let distribution = try await Self.createDistribution(moto, Self.distributionConfig(
                "doctor-plain", origin: "plain-site.s3.us-east-1.amazonaws.com", aliases: ["www.example.net"], certificateARN: certificate))
            let h = try CLIHarness()
            try h.write("sitebuild.yml", """
                target: s3://plain-site
                pointer: dynamodb://no-such-table#prod
                distribution: \(distribution.id)
                domains:
                  - www.example.net
                """)
            let doctor = try await h.run(["doctor", "--json"], environment: moto.environment)
            #expect(doctor.status == 3, "\(doctor.stderr)")
            let (checks, result) = Self.events(doctor)
            func check(_ name: String) -> [String: Any] { checks.first { $0["name"] as? String == name } ?? [:] }
            #expect(check("target")["status"] as? String == "ok")
            let pointer = check("pointer")["message"] as? String ?? ""
            #expect(pointer.contains("no DynamoDB table no-such-table in us-east-1"), "\(pointer)")
            #expect(pointer.contains("aws dynamodb create-table --region us-east-1 --table-name no-such-table"))
            #expect(check("live-version")["status"] as? String == "skip")
            #expect(check("origin")["status"] as? String == "ok")
            // moto keeps no function associations: exactly what a distribution without the router looks like.
            #expect(check("viewer-request-function")["status"] as? String == "fail")
            #expect((check("viewer-request-function")["message"] as? String)?.contains("has no viewer-request function") == true)
            #expect(!checks.contains { $0["name"] as? String == "function-key-value-store" })
            let pending = check("certificate")["message"] as? String ?? ""
            #expect(pending.contains("\(certificate) is PENDING_VALIDATION, not ISSUED"), "\(pending)")
            #expect(check("dns")["status"] as? String == "fail")
            #expect(result["status"] as? String == "FAILED")
            #expect(result["failed"] as? Int == 4)
            // Human lines go to stderr with --json.
            #expect(doctor.stderr.contains("FAIL viewer-request function"))

            let missing = try await h.run(["doctor", "--distribution", "ENOSUCHDIST1"], environment: moto.environment)
            #expect(missing.status == 3)
            #expect(missing.stdout.contains("FAIL distribution ENOSUCHDIST1: no such distribution in this account"), "\(missing.stdout)")
            #expect(missing.stdout.contains("skip DNS www.example.net") || missing.stdout.contains("skip domain www.example.net"), "\(missing.stdout)")
        }
    }

    /// A distribution that routes through a Lambda@Edge function (moto drops the association; the
    /// stand-in puts it back in CloudFront's XML shape) passes with a DynamoDB pointer.
    @Test func aLambdaEdgeRouterPassesForADynamoDBPointer() async throws {
        try await withMotoServer { moto in
            try await S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment).createBucket("edge-site")
            try await DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
                .createTable("edge-pointer", partitionKey: "id")
            let certificate = try await Self.importCertificate(moto, names: ["www.example.com"], days: 365)
            let distribution = try await Self.createDistribution(moto, Self.distributionConfig(
                "doctor-edge", origin: "edge-site.s3.us-east-1.amazonaws.com", aliases: ["www.example.com"], certificateARN: certificate))
            for (event, status) in [("origin-request", "ok"), ("origin-response", "fail")] {
                try await withCloudFrontFunctionStandIn(upstream: moto.baseURL, viewerRequestFunctionARN: "", functions: [:],
                                                        lambdaFunctions: [event: "arn:aws:lambda:us-east-1:123456789012:function:router:3"]) { cloudFront in
                    let h = try CLIHarness()
                    var environment = moto.environment
                    environment["AWS_ENDPOINT_URL_CLOUDFRONT"] = cloudFront.baseURL
                    let doctor = try await h.run(["doctor", "--target", "s3://edge-site", "--pointer", "dynamodb://edge-pointer#prod",
                                                  "--distribution", distribution.id], environment: environment)
                    let line = Self.lines(doctor).first { $0.contains("router:3") } ?? "(none) \(doctor.stdout)"
                    if status == "ok" {
                        #expect(doctor.status == 0, "\(doctor.stdout)\n\(doctor.stderr)")
                        #expect(line.hasPrefix("ok   request router: Lambda@Edge router:3 is associated with the default cache behavior of "
                            + "\(distribution.id) as its origin-request function"), "\(line)")
                    } else {
                        #expect(doctor.status == 3, "\(doctor.stdout)")
                        #expect(line.hasPrefix("FAIL viewer-request function: ") && line.contains("(it has only origin-response Lambda@Edge router:3)"),
                                "\(line)")
                    }
                }
            }
        }
    }

    /// A bucket in another region than `--region` (S3's 301 played by a proxy) is used as the
    /// deploy uses it: ok with a note, the live version still checked, and a DynamoDB pointer
    /// in this region (which --region of the bucket would break) or an S3 pointer in another
    /// region's bucket is fine.
    @Test func aBucketInAnotherRegionIsFollowedAsTheDeployFollowsIt() async throws {
        try await withMotoServer { moto in
            let s3 = S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await s3.createBucket("far-site")
            try await s3.createBucket("far-pointers")
            try await DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
                .createTable("near-pointer", partitionKey: "id")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, bucketRegion: "eu-central-1")
            defer { proxy.stop() }
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>far</p>")
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL_S3"] = proxy.baseURL
            for pointer in ["dynamodb://near-pointer#prod", "s3://far-pointers/site/live"] {
                let common = ["--target", "s3://far-site", "--pointer", pointer, "--region", "us-east-1"]
                let deploy = try await h.run(["deploy", "site"] + common, environment: environment)
                #expect(deploy.status == 0, "\(pointer): \(deploy.stderr)")
                let doctor = try await h.run(["doctor"] + common, environment: environment)
                #expect(doctor.status == 0, "\(pointer): \(doctor.stdout)\n\(doctor.stderr)")
                let lines = Self.lines(doctor)
                #expect(lines.first == "ok   bucket far-site: exists and is reachable with these credentials; the bucket is in "
                    + "eu-central-1, and requests (signed for us-east-1) are redirected there", "\(lines)")
                #expect(lines.contains { $0.hasPrefix("ok   pointer \(pointer)") }, "\(lines)")
                #expect(lines.contains { $0.hasPrefix("ok   live version ") }, "\(lines)")
                #expect(!lines.contains { $0.hasPrefix("FAIL") }, "\(lines)")
            }
        }
    }

    // MARK: - Without AWS

    @Test func theLocalTargetNeedsNoAWS() throws {
        let h = try CLIHarness()
        let first = try h.run(["doctor"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Self.lines(first) == [
            "ok   directory \(h.root)/.sitebuild: does not exist yet; the first deploy creates it (\(h.root) is writable)",
            "ok   pointer file://\(h.root)/.sitebuild/_sitebuild/live: not written yet; the first deploy can create it",
            "skip live version: nothing is live yet: deploy with `sitebuild run` or `sitebuild deploy DIR`",
            "skip distribution: none configured (--distribution, SITEBUILD_DISTRIBUTION or distribution: in sitebuild.yml), "
                + "so CloudFront, certificate and DNS are not checked",
            "doctor: 2 ok, 0 failed, 2 skipped",
        ])

        try h.write("site/index.html", "<p>local</p>")
        let deploy = try h.run(["deploy", "site"])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let second = try h.run(["doctor", "--json", "--domain", "www.example.com"])
        #expect(second.status == 0, "\(second.stderr)")
        let (checks, result) = Self.events(second)
        #expect(checks.map { $0["status"] as? String ?? "" } == ["ok", "ok", "ok", "skip", "skip"])
        #expect((checks[2]["message"] as? String)?.contains("complete (\(h.root)/.sitebuild/_sitebuild/manifests/") == true)
        #expect(result["status"] as? String == "SUCCEEDED")

        // Another pointer, holding nothing, while the target's releases went through its own: the
        // wrong --pointer (versions warns, rollback refuses), not "nothing is live yet".
        let wrong = try h.run(["doctor", "--pointer", "file://\(h.root)/elsewhere/live"])
        #expect(wrong.status == 3, "\(wrong.stdout)")
        let version = try #require(checks[2]["message"] as? String).split(separator: " ")[2].dropLast()
        #expect(Self.lines(wrong).contains { $0.hasPrefix("FAIL live version: nothing is live on file://\(h.root)/elsewhere/live, but the "
            + "last release on \(h.root)/.sitebuild made \(version) live through _sitebuild/live (deploy, ") }, "\(wrong.stdout)")

        let bad = try h.run(["doctor", "--domain", "not a domain"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--domain not a domain: not a domain name"))
        // One in sitebuild.yml is named where it is written.
        try h.write("sitebuild.yml", "domains:\n  - ok.example.com\n  - bad_domain!\n")
        let badInFile = try h.run(["doctor"])
        #expect(badInFile.status == 2)
        #expect(badInFile.stderr.contains("sitebuild.yml:3:5: domains[1] bad_domain!: not a domain name"), "\(badInFile.stderr)")
    }
}
