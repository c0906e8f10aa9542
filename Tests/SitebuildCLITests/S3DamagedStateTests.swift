import AWSCore
import AWSServices
import Foundation
import Testing
import TestSupport

/// State on an S3 target that cannot be read: never taken for state that is not there.
extension S3DeployEndToEnd {
    /// A damaged record of an invalidation still owed is said, and everything is invalidated
    /// (what it owed is unknown); once sent, the record goes.
    @Test func aDamagedOwedInvalidationIsSaidAndEverythingInvalidated() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("owed-damaged")
            let cloudFront = CloudFrontClient(credentials: moto.credentials, environment: moto.environment)
            let distribution = try await cloudFront.createDistribution(
                configXML: minimalDistributionConfig(callerReference: "owed-damaged", originDomain: "owed-damaged.s3.us-east-1.amazonaws.com")).id
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL,
                                                refuse: (method: "POST", pathContains: "/invalidation", status: 403, code: "AccessDenied"))
            defer { proxy.stop() }
            var refusing = moto.environment
            refusing["AWS_ENDPOINT_URL"] = proxy.baseURL
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>home</p>")
            let common = ["--target", "s3://owed-damaged", "--distribution", distribution]
            #expect(try await h.run(["deploy", "site"] + common, environment: moto.environment).status == 0)
            try h.write("site/index.html", "<p>home 2</p>")
            #expect(try await h.run(["deploy", "site"] + common, environment: refusing).status == 3)
            let owed = try #require(try await keys(client, "owed-damaged", prefix: "_sitebuild/invalidations/").keys.first)
            let record = try await text(client, "owed-damaged", owed)
            _ = try await client.putObject(bucket: "owed-damaged", key: owed, body: .bytes(Array(record.utf8.prefix(record.utf8.count / 2))))
            let rerun = try await h.run(["deploy", "site", "--json"] + common, environment: moto.environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stderr.contains("s3://owed-damaged/\(owed)") && rerun.stderr.contains("is damaged"), "\(rerun.stderr)")
            #expect(rerun.stdout.contains(#""paths":["\/*"]"#) || rerun.stdout.contains(#""paths":["/*"]"#), "\(rerun.stdout)")
            #expect(try await keys(client, "owed-damaged", prefix: "_sitebuild/invalidations/").isEmpty)
            let settled = try await h.run(["deploy", "site", "--json"] + common, environment: moto.environment)
            #expect(settled.status == 0 && !settled.stdout.contains(#""event":"invalidation""#), "\(settled.stdout)")
        }
    }

    /// A damaged pointer head on S3 stops prune as it does on a local target.
    @Test func aDamagedPointerHeadOnS3StopsPrune() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("heads")
            let h = try CLIHarness()
            try h.write("s1/index.html", "staging")
            #expect(try await h.run(["deploy", "s1", "--target", "s3://heads", "--pointer", "s3://heads/_sitebuild/staging"],
                                    environment: moto.environment).status == 0)
            let staged = try await text(client, "heads", "_sitebuild/staging").trimmingCharacters(in: .whitespacesAndNewlines)
            for n in 2...3 {
                try h.write("s\(n)/index.html", "\(n)")
                #expect(try await h.run(["deploy", "s\(n)", "--target", "s3://heads"], environment: moto.environment).status == 0)
            }
            var damagedKey: String?
            for key in try await keys(client, "heads", prefix: "_sitebuild/pointers/").keys {
                let head = try await text(client, "heads", key)
                guard head.contains("staging") else { continue }
                _ = try await client.putObject(bucket: "heads", key: key, body: .bytes(Array(head.utf8.prefix(20))))
                damagedKey = key
            }
            let key = try #require(damagedKey)
            let prune = try await h.run(["prune", "--target", "s3://heads", "--keep", "0", "--grace", "0s"], environment: moto.environment)
            #expect(prune.status == 3 && prune.stderr.contains("s3://heads/\(key)"), "\(prune.stderr)")
            #expect(try await !keys(client, "heads", prefix: "\(staged)/").isEmpty)
            // A copy among the manifests, and S3's own odd names, are no versions.
            _ = try await client.putObject(bucket: "heads", key: "_sitebuild/manifests/\(staged) copy.json", body: .bytes(Array("{}".utf8)))
            _ = try await client.putObject(bucket: "heads", key: "_sitebuild/manifests/..json", body: .bytes(Array("{}".utf8)))
            let versions = try await h.run(["versions", "--target", "s3://heads"], environment: moto.environment)
            #expect(versions.status == 0 && versions.stderr.contains("\(staged) copy.json") && !versions.stdout.contains("copy"),
                    "\(versions.stdout)\(versions.stderr)")
        }
    }
}
