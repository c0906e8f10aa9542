import AWSCore
@testable import AWSServices
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `sitebuild run` / `deploy` / `versions` / `rollback` / `prune` with the built binary
/// against moto_server (S3, DynamoDB) and the project's KeyValueStore test server.
@Suite(.serialized) struct S3DeployEndToEnd {
    static let buildspec = """
        version: 0.2
        phases:
          build:
            commands:
              - mkdir -p dist/docs dist/assets
              - printf '<h1>home</h1>' > dist/index.html
              - printf '<h1>docs</h1>' > dist/docs/index.html
              - printf 'body{}' > dist/assets/site.css
              - printf 'not found' > dist/404.html
        artifacts:
          base-directory: dist
          files:
            - '**/*'
        """

    func s3(_ moto: MotoServer) -> S3Client {
        S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
    }

    func keys(_ client: S3Client, _ bucket: String, prefix: String = "") async throws -> [String: S3Client.ObjectSummary] {
        var result: [String: S3Client.ObjectSummary] = [:]
        for object in try await client.listObjects(bucket: bucket, prefix: prefix).objects { result[object.key] = object }
        return result
    }

    func text(_ client: S3Client, _ bucket: String, _ key: String) async throws -> String {
        String(decoding: try await client.getObject(bucket: bucket, key: key).body, as: UTF8.self)
    }

    /// The JSON `result` event of a `--json` run.
    func result(_ output: CLIHarness.Output) -> [String: Any] {
        for line in output.stdout.split(separator: "\n").reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["event"] as? String == "result" {
                return object
            }
        }
        return [:]
    }

    /// The paths of the invalidation a `--json` run submitted (its `SUBMITTED` event), sorted;
    /// nil when it submitted none.
    func sentPaths(_ output: CLIHarness.Output) -> [String]? {
        for line in output.stdout.split(separator: "\n") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               object["event"] as? String == "invalidation", object["status"] as? String == "SUBMITTED" {
                return (object["paths"] as? [String])?.sorted()
            }
        }
        return nil
    }

    @Test func runDeploysToS3ThenNoChangeThenOneFileChangeCopiesTheRest() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("site")
            let h = try CLIHarness()
            try h.write("buildspec.yml", Self.buildspec)
            let target = "s3://site/www"

            let first = try await h.run(["run", "--target", target, "--json"], environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let firstResult = result(first)
            let version = try #require(firstResult["version"] as? String)
            #expect(firstResult["uploaded"] as? Int == 5)
            // Four files of the site, and the docs.html alias static routing adds: five objects.
            #expect(firstResult["files"] as? Int == 4 && firstResult["aliases"] as? Int == 1 && firstResult["objects"] as? Int == 5,
                    "\(firstResult)")
            #expect(first.stderr.contains("4 files, ") && first.stderr.contains(" (+ 1 page alias), "), "\(first.stderr)")
            // versions and hash count the site's files as the deploy's result does.
            let listed = try await h.run(["versions", "--target", target, "--json"], environment: moto.environment)
            #expect(listed.stdout.contains(#""files":4,"bytes":\#(firstResult["bytes"] as? Int ?? -1)"#), "\(listed.stdout)")

            let objects = try await keys(client, "site", prefix: "www/")
            for path in ["index.html", "docs/index.html", "assets/site.css", "404.html", "docs.html"] {
                #expect(objects["www/\(version)/\(path)"] != nil, "missing \(path): \(objects.keys.sorted())")
            }
            let index = try await client.headObject(bucket: "site", key: "www/\(version)/index.html")
            #expect(index?.attributes.contentType?.hasPrefix("text/html") == true)
            #expect(index?.attributes.cacheControl != nil)
            let css = try await client.headObject(bucket: "site", key: "www/\(version)/assets/site.css")
            #expect(css?.attributes.contentType?.hasPrefix("text/css") == true)
            #expect(try await text(client, "site", "www/_sitebuild/live") == version)
            let manifest = try await text(client, "site", "www/_sitebuild/manifests/\(version).json")
            #expect(manifest.contains("docs/index.html"))
            let releases = objects.keys.filter { $0.hasPrefix("www/_sitebuild/releases/") }
            #expect(releases.count == 1)
            let record = try await text(client, "site", try #require(releases.first))
            #expect(record.contains("\"to\":\"\(version)\""))

            // No change: nothing uploaded, nothing flipped, no new release.
            let second = try await h.run(["run", "--target", target, "--json"], environment: moto.environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(result(second)["action"] as? String == "unchanged")
            #expect(try await keys(client, "site", prefix: "www/_sitebuild/releases/").count == 1)

            // One file changes: one upload, the rest copied server-side.
            try h.write("buildspec.yml", Self.buildspec.replacingOccurrences(of: "body{}", with: "body{color:red}"))
            let third = try await h.run(["run", "--target", target, "--json"], environment: moto.environment)
            #expect(third.status == 0, "\(third.stderr)")
            let thirdResult = result(third)
            let next = try #require(thirdResult["version"] as? String)
            #expect(next != version)
            #expect(thirdResult["uploaded"] as? Int == 1)
            #expect(thirdResult["reused"] as? Int == 4)
            #expect(try await text(client, "site", "www/\(next)/assets/site.css") == "body{color:red}")
            let copied = try await client.headObject(bucket: "site", key: "www/\(next)/docs/index.html")
            #expect(copied?.attributes.contentType?.hasPrefix("text/html") == true)
            #expect(try await text(client, "site", "www/_sitebuild/live") == next)

            // versions, rollback, prune work as on the local target.
            let versions = try await h.run(["versions", "--target", target, "--json"], environment: moto.environment)
            #expect(versions.status == 0, "\(versions.stderr)")
            #expect(versions.stdout.contains("\"live\":\"\(next)\""))
            let rollback = try await h.run(["rollback", "--target", target], environment: moto.environment)
            #expect(rollback.status == 0, "\(rollback.stderr)")
            #expect(try await text(client, "site", "www/_sitebuild/live") == version)
            let prune = try await h.run(["prune", "--target", target, "--keep", "0", "--grace", "0s"], environment: moto.environment)
            #expect(prune.status == 0, "\(prune.stderr)")
            // Live and previous are never pruned.
            #expect(try await keys(client, "site", prefix: "www/\(version)/").count == 5)
            #expect(try await keys(client, "site", prefix: "www/\(next)/").count == 5)
        }
    }

    @Test func pruneDeletesOldVersionsOnS3ButKeepsLiveAndPrevious() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("prune")
            let h = try CLIHarness()
            var versions: [String] = []
            for n in 1...3 {
                try h.write("site/index.html", "<p>\(n)</p>")
                let run = try await h.run(["deploy", "site", "--target", "s3://prune", "--json"], environment: moto.environment)
                #expect(run.status == 0, "\(run.stderr)")
                versions.append(try #require(result(run)["version"] as? String))
            }
            // Other things in the bucket: another site, an uploads folder, a folder named like
            // a version. No deploy of this target started them: prune leaves them alone.
            try h.write("other/index.html", "<p>other</p>")
            #expect(try await h.run(["deploy", "other", "--target", "s3://prune/other-site"], environment: moto.environment).status == 0)
            _ = try await client.putObject(bucket: "prune", key: "uploads/user.txt", body: .bytes(Array("mine".utf8)))
            _ = try await client.putObject(bucket: "prune", key: "0123456789abcdef/index.html", body: .bytes(Array("x".utf8)))
            // A prune with a pointer the deploys did not use (no live version there): the last
            // release's two sides are kept all the same, with a warning.
            let elsewhere = try await h.run(["prune", "--target", "s3://prune", "--pointer", "file://\(h.root)/elsewhere/live", "--keep", "0",
                                       "--grace", "0s", "--dry-run"], environment: moto.environment)
            #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
            #expect(elsewhere.stderr.contains("but the last release on s3://prune/ made \(versions[2]) live"), "\(elsewhere.stderr)")
            #expect(elsewhere.stderr.contains("would delete \(versions[0])"), "\(elsewhere.stderr)")
            #expect(!elsewhere.stderr.contains("would delete \(versions[1])") && !elsewhere.stderr.contains("would delete \(versions[2])"))
            let planned = try await h.run(["prune", "--target", "s3://prune", "--keep", "0", "--grace", "0s", "--dry-run", "--json"],
                                    environment: moto.environment)
            #expect(result(planned)["wouldDelete"] as? [String] == [versions[0]], "\(planned.stdout)")
            #expect(result(planned)["deleted"] == nil)
            let prune = try await h.run(["prune", "--target", "s3://prune", "--keep", "0", "--grace", "0s"], environment: moto.environment)
            #expect(prune.status == 0, "\(prune.stderr)")
            let left = try await keys(client, "prune")
            #expect(left["\(versions[0])/index.html"] == nil)
            #expect(left["_sitebuild/manifests/\(versions[0]).json"] == nil)
            #expect(left["\(versions[1])/index.html"] != nil)
            #expect(left["\(versions[2])/index.html"] != nil)
            #expect(left["uploads/user.txt"] != nil)
            #expect(left["0123456789abcdef/index.html"] != nil)
            #expect(left.keys.contains { $0.hasPrefix("other-site/_sitebuild/manifests/") })
            #expect(left["other-site/_sitebuild/live"] != nil)
            #expect(!left.keys.contains { $0.hasPrefix("_sitebuild/pending/") }, "complete versions leave no pending marker")
        }
    }

    /// Two pointers on one target (production's S3 pointer, a staging key in DynamoDB): each
    /// rollback goes back through its own pointer's releases, and prune with one keeps what
    /// the other serves, until that pointer is gone.
    @Test func prunesAndRollbacksOfOnePointerRespectTheOtherPointersOfTheTarget() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("multi")
            let dynamo = DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await dynamo.createTable("pointers", partitionKey: "id")
            let h = try CLIHarness()
            let staging = ["--pointer", "dynamodb://pointers#staging"]
            func deploy(_ content: String, _ extra: [String] = []) async throws -> String {
                try h.write("site/index.html", "<p>\(content)</p>")
                let run = try await h.run(["deploy", "site", "--target", "s3://multi", "--json"] + extra, environment: moto.environment)
                #expect(run.status == 0, "\(run.stderr)")
                return try #require(result(run)["version"] as? String)
            }
            let p1 = try await deploy("p1")
            let p2 = try await deploy("p2")
            let s1 = try await deploy("s1", staging)
            let p3 = try await deploy("p3", staging)        // staging s1 -> p3
            #expect(try await deploy("p3") == p3)            // then production p2 -> p3: the newer record to p3
            // Staging's rollback goes back to staging's previous release, not production's.
            let back = try await h.run(["rollback", "--target", "s3://multi", "--json"] + staging, environment: moto.environment)
            #expect(back.status == 0, "\(back.stderr)")
            #expect(try await dynamo.getItem(table: "pointers", key: ["id": .string("staging")])?["version"] == .string(s1))
            let record = try await text(client, "multi", try #require(try await keys(client, "multi", prefix: "_sitebuild/releases/").keys.max()))
            #expect(record.contains("\"pointer\":\"dynamodb://pointers#staging\""), "\(record)")
            let p4 = try await deploy("p4")
            // versions through production names what staging serves.
            let listed = try await h.run(["versions", "--target", "s3://multi"], environment: moto.environment)
            #expect(listed.stdout.split(separator: "\n").contains { $0.hasPrefix(s1) && $0.hasSuffix("live through dynamodb://pointers#staging") },
                    "\(listed.stdout)")
            // Prune through production: staging's live version stays.
            let prune = try await h.run(["prune", "--target", "s3://multi", "--keep", "0", "--grace", "0s", "--json"], environment: moto.environment)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(Set(result(prune)["deleted"] as? [String] ?? []) == [p1, p2], "\(prune.stdout)")
            let kept = result(prune)["kept"] as? [String: String] ?? [:]
            #expect(kept[s1] == "live through dynamodb://pointers#staging", "\(kept)")
            #expect(kept[p4] == "live" && kept[p3] != nil)
            #expect(try await client.headObject(bucket: "multi", key: "\(s1)/index.html") != nil)
            // Pruned from another region, where a table of the same name holds nothing: the
            // staging pointer is read in its own region (its head names it), and still protects.
            let elsewhere = DynamoDBClient(region: "eu-west-1", credentials: moto.credentials, environment: moto.environment)
            try await elsewhere.createTable("pointers", partitionKey: "id")
            let fromEurope = try await h.run(["prune", "--target", "s3://multi", "--keep", "0", "--grace", "0s", "--dry-run", "--json",
                                              "--region", "eu-west-1"], environment: moto.environment)
            #expect(fromEurope.status == 0, "\(fromEurope.stderr)")
            #expect((result(fromEurope)["kept"] as? [String: String] ?? [:])[s1] == "live through dynamodb://pointers#staging",
                    "\(fromEurope.stdout)")
            // Staging removed (its key deleted): its version is pruned like any other.
            _ = try await dynamo.send("DeleteItem", payload: Array(#"{"TableName":"pointers","Key":{"id":{"S":"staging"}}}"#.utf8))
            let again = try await h.run(["prune", "--target", "s3://multi", "--keep", "0", "--grace", "0s", "--json"], environment: moto.environment)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(result(again)["deleted"] as? [String] == [s1], "\(again.stdout)")
            #expect(try await client.headObject(bucket: "multi", key: "\(p4)/index.html") != nil)
        }
    }

    /// A bucket with Object Lock and a default retention (one day, GOVERNANCE), as
    /// `aws s3api create-bucket --object-lock-enabled-for-bucket` and
    /// `put-object-lock-configuration` make one.
    func createObjectLockBucket(_ client: S3Client, _ bucket: String) async throws {
        _ = try await client.send("CreateBucket", method: "PUT", bucket: bucket, key: nil,
                                  headers: [("x-amz-bucket-object-lock-enabled", "true")])
        let body = Array(("<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>"
            + "</DefaultRetention></Rule></ObjectLockConfiguration>").utf8)
        _ = try await client.send("PutObjectLockConfiguration", method: "PUT", bucket: bucket, key: nil, query: [.init("object-lock", nil)],
                                  headers: [("Content-Type", "application/xml"), ("Content-MD5", S3MD5.contentMD5(body))], body: .bytes(body))
    }

    /// S3 refuses an upload without Content-MD5 or a checksum to a bucket whose Object Lock
    /// default retention applies: every object, marker, manifest and pointer of a deploy
    /// carries one, and so do the copies of a re-deploy.
    @Test func deployToAnObjectLockBucketWithDefaultRetention() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await createObjectLockBucket(client, "locked")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>1</p>")
            try h.write("site/a.css", "a{}")
            // Above the in-memory limit: streamed from the file.
            try h.write("site/big.txt", String(repeating: "0123456789abcdef", count: 8 * 1024))
            let first = try await h.run(["deploy", "site", "--target", "s3://locked/site", "--json"], environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let version = try #require(result(first)["version"] as? String)
            #expect(try await text(client, "locked", "site/_sitebuild/live") == version)
            try h.write("site/index.html", "<p>2</p>")
            let second = try await h.run(["deploy", "site", "--target", "s3://locked/site", "--json"], environment: moto.environment)
            #expect(second.status == 0, "\(second.stderr)")
            let next = try #require(result(second)["version"] as? String)
            #expect(result(second)["uploaded"] as? Int == 1 && result(second)["reused"] as? Int == 2, "\(second.stdout)")
            #expect(try await text(client, "locked", "site/\(next)/a.css") == "a{}")
            #expect(try await text(client, "locked", "site/_sitebuild/live") == next)
        }
    }

    /// `--sse`, `--sse-kms-key-id` and `--acl` travel on every object a deploy writes: the
    /// uploads, the copies of a re-deploy and the state under `_sitebuild/`, which a bucket
    /// policy denying unencrypted uploads refuses too. Values S3 would refuse exit 2.
    @Test func sseAndACLAreSentOnEveryObjectWritten() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("enc")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>1</p>")
            try h.write("site/a.css", "a{}")
            for (flags, named) in [(["--sse", "kms"], "--sse kms"), (["--acl", "owner"], "--acl owner"),
                                   (["--sse", "AES256", "--sse-kms-key-id", "k"], "the KMS key k (--sse-kms-key-id")] {
                let refused = try await h.run(["deploy", "site", "--target", "s3://enc/site"] + flags, environment: moto.environment)
                #expect(refused.status == 2 && refused.stderr.contains(named), "\(flags): \(refused.stderr)")
            }
            #expect(try await keys(client, "enc").isEmpty)
            let kms = ["--sse", "aws:kms", "--sse-kms-key-id", "alias/site"]
            let first = try await h.run(["deploy", "site", "--target", "s3://enc/site", "--json", "--acl", "bucket-owner-full-control"] + kms,
                                        environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let version = try #require(result(first)["version"] as? String)
            // sitebuild.yml carries the same settings; a flag wins over its key.
            try h.write("sitebuild.yml", "sse: aws:kms\nacl: owner\n")
            let badKey = try await h.run(["deploy", "site", "--target", "s3://enc/site"], environment: moto.environment)
            #expect(badKey.status == 2 && badKey.stderr.contains("sitebuild.yml:2:6: acl: 'owner' is not a canned ACL"), "\(badKey.stderr)")
            try h.write("sitebuild.yml", "sse: aws:kms\nsse-kms-key-id: alias/site\nacl: private\n")
            try h.write("site/index.html", "<p>2</p>")
            let second = try await h.run(["deploy", "site", "--target", "s3://enc/site", "--json", "--acl", "public-read"],
                                         environment: moto.environment)
            #expect(second.status == 0, "\(second.stderr)")
            let next = try #require(result(second)["version"] as? String)
            #expect(result(second)["reused"] as? Int == 1, "\(second.stdout)")
            let written = try await keys(client, "enc").keys.sorted()
            #expect(written.contains("site/_sitebuild/live") && written.contains("site/_sitebuild/manifests/\(next).json"), "\(written)")
            #expect(written.contains { $0.hasPrefix("site/_sitebuild/releases/") }, "\(written)")
            for key in written {
                let head = try await client.headObject(bucket: "enc", key: key)
                #expect(head?.serverSideEncryption == "aws:kms", "\(key): \(String(describing: head))")
            }
            // The copy of the unchanged file has the ACL of the second deploy (moto grants
            // nothing more for bucket-owner-full-control than for private).
            let acl = try await client.send("GetObjectAcl", method: "GET", bucket: "enc", key: "site/\(next)/a.css", query: [.init("acl", nil)])
            #expect(String(decoding: acl.body, as: UTF8.self).contains("http://acs.amazonaws.com/groups/global/AllUsers"))
            let before = try await client.send("GetObjectAcl", method: "GET", bucket: "enc", key: "site/\(version)/a.css", query: [.init("acl", nil)])
            #expect(!String(decoding: before.body, as: UTF8.self).contains("AllUsers"))
        }
    }

    /// Headers set per file travel as S3 metadata, and the deploy says what serves them; a dry
    /// run names the uploads and counts the copies.
    @Test func setHeadersAreStoredAsMetadataAndTheDryRunCountsCopies() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("headers")
            let h = try CLIHarness()
            // One header spelt in two cases by two rules is named once.
            try h.write("sitebuild.yml", "headers:\n  - match: '**/*.html'\n    set:\n      X-Frame-Options: DENY\n"
                        + "  - match: '**/*.css'\n    set:\n      Content-Language: de\n      Expires: 'Thu, 01 Dec 2039 16:00:00 GMT'\n"
                        + "  - match: '**/*.svg'\n    set:\n      x-frame-options: SAMEORIGIN\n")
            try h.write("site/index.html", "<p>1</p>")
            try h.write("site/logo.svg", "<svg/>")
            try h.write("site/a.css", "a{}")
            try h.write("site/b.css", "b{}")
            let first = try await h.run(["deploy", "site", "--target", "s3://headers", "--json"], environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stderr.contains("note: S3 keeps X-Frame-Options as object metadata (x-amz-meta-header-…); attach cloudfront/viewer-response.js"),
                    "\(first.stderr)")
            let version = try #require(result(first)["version"] as? String)
            let head = try #require(try await client.headObject(bucket: "headers", key: "\(version)/index.html"))
            #expect(head.attributes.metadata["header-x-frame-options"] == "DENY")
            // Headers S3 stores itself are stored as headers, as aws s3 cp --content-language does.
            let css = try #require(try await client.headObject(bucket: "headers", key: "\(version)/a.css"))
            #expect(css.attributes.contentLanguage == "de" && css.attributes.expires == "Thu, 01 Dec 2039 16:00:00 GMT", "\(css.attributes)")
            #expect(css.attributes.metadata.keys.sorted() == ["sitebuild-hash"], "\(css.attributes.metadata)")
            #expect(!first.stderr.contains("Content-Language as object metadata"), "\(first.stderr)")
            try h.write("site/index.html", "<p>2</p>")
            let plan = try await h.run(["deploy", "site", "--target", "s3://headers", "--dry-run"], environment: moto.environment)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stderr.contains("would upload 1 new object(s), copy 3 unchanged and flip"), "\(plan.stderr)")
            #expect(plan.stderr.contains("  upload index.html"), "\(plan.stderr)")
        }
    }

    /// Paths S3 cannot store and a bucket that is not there: exit 2 (input) or 3 (target), a
    /// JSON result either way, and nothing written.
    @Test func badPathsAreInputErrorsAndEveryFailureEndsWithAResultEvent() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("paths")
            let h = try CLIHarness()
            // 978 bytes of path: within the 984 a version allows, past 1,024 below a 60-byte prefix.
            let segment = String(repeating: "d", count: 240)
            let long = [segment, segment, segment, segment].joined(separator: "/") + "/" + String(repeating: "f", count: 14)
            #expect(long.utf8.count == 978)
            try h.write("long/index.html", "x")
            try h.write("long/" + long, "x")
            let prefix = String(repeating: "p", count: 60)
            let tooLong = try await h.run(["deploy", "long", "--target", "s3://paths/\(prefix)", "--json"], environment: moto.environment)
            #expect(tooLong.status == 2, "\(tooLong.stderr)")
            #expect(tooLong.stderr.contains("S3 allows 1,024"), "\(tooLong.stderr)")
            #expect(result(tooLong)["status"] as? String == "FAILED")
            // The same tree below a short prefix fits.
            #expect(try await h.run(["deploy", "long", "--target", "s3://paths/p"], environment: moto.environment).status == 0)
            let before = try await keys(client, "paths")
            #expect(!before.keys.contains { $0.hasPrefix(prefix) }, "nothing was written below the long prefix")

            // Headers that travel as metadata: each rule fits, but both on one file exceed the
            // 2 KB S3 allows (moto does not enforce it; S3 would refuse the PutObject).
            try h.write("meta/index.html", "x")
            let half = String(repeating: "a", count: 1100)
            try h.write("meta.yml", "headers:\n  - match: '**'\n    set:\n      X-One: \(half)\n  - match: '*.html'\n    set:\n      X-Two: \(half)\n")
            let metadata = try await h.run(["deploy", "meta", "--target", "s3://paths/meta", "--config", "meta.yml"], environment: moto.environment)
            #expect(metadata.status == 2, "\(metadata.stderr)")
            #expect(metadata.stderr.contains("index.html: its headers from sitebuild.yml (X-One, X-Two) travel as S3 object metadata"), "\(metadata.stderr)")
            #expect(try await keys(client, "paths").keys.filter { $0.hasPrefix("meta/") }.isEmpty)

            try h.write("ctl/index.html", "x")
            try h.write("ctl/bad\u{01}.txt", "x")
            let control = try await h.run(["deploy", "ctl", "--target", "s3://paths/ctl", "--json"], environment: moto.environment)
            #expect(control.status == 2, "\(control.stderr)")
            #expect(control.stderr.contains("contains a control character"), "\(control.stderr)")
            #expect(!control.stderr.contains("'\""), "the name is quoted once: \(control.stderr)")
            #expect(result(control)["status"] as? String == "FAILED")
            #expect(try await keys(client, "paths") == before)

            // A bucket that does not exist is the user's to fix (exit 2: a retry cannot help).
            let missing = try await h.run(["deploy", "long", "--target", "s3://no-such-bucket-here/x", "--json"], environment: moto.environment)
            #expect(missing.status == 2, "\(missing.stderr)")
            #expect(result(missing)["status"] as? String == "FAILED", "\(missing.stdout)")
            // The target's bucket is missing: the message says to fix the target, not a pointer
            // the user never set.
            #expect(missing.stderr.contains("the target s3://no-such-bucket-here/x/: the bucket 'no-such-bucket-here' does not exist")
                    && missing.stderr.contains("fix the target (--target") && !missing.stderr.contains("--pointer"), "\(missing.stderr)")
            // prune too ends --json output that failed with a result event.
            let pruned = try await h.run(["prune", "--target", "s3://no-such-bucket-here/x", "--json"], environment: moto.environment)
            #expect(pruned.status == 2, "\(pruned.stderr)")
            let listed = try await h.run(["versions", "--target", "s3://no-such-bucket-here/x"], environment: moto.environment)
            #expect(listed.status == 2, "\(listed.stderr)")
            #expect(result(pruned)["status"] as? String == "FAILED", "\(pruned.stdout)")
        }
    }

    /// A profile's endpoint_url (a LocalStack profile) is used as the AWS CLI uses it, after
    /// the variables and --endpoint-url, and not with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
    @Test func aProfilesEndpointURLIsUsed() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("profile-endpoint")
            let h = try CLIHarness()
            try h.write("site/index.html", "x")
            try h.write("aws/config", "[profile local]\nregion = us-east-1\nendpoint_url = \(moto.baseURL)\n"
                + "aws_access_key_id = testing\naws_secret_access_key = testing\n[profile broken]\nregion = us-east-1\nendpoint_url = nowhere\n"
                + "aws_access_key_id = testing\naws_secret_access_key = testing\n")
            var environment = moto.environment
            for name in ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION"] { environment[name] = "" }
            environment["AWS_CONFIG_FILE"] = h.root + "/aws/config"
            environment["AWS_SHARED_CREDENTIALS_FILE"] = h.root + "/aws/none"
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
            let local = try await h.run(["deploy", "site", "--target", "s3://profile-endpoint/a", "--profile", "local"], environment: environment)
            #expect(local.status == 0, "\(local.stderr)")
            #expect(try await !keys(client, "profile-endpoint").isEmpty)
            let broken = try await h.run(["deploy", "site", "--target", "s3://profile-endpoint/b", "--profile", "broken"], environment: environment)
            #expect(broken.status == 2 && broken.stderr.contains("endpoint_url of profile broken nowhere: write an http:// or https:// URL"),
                    "\(broken.stderr)")
            var ignoring = environment
            ignoring["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
            ignoring["AWS_ENDPOINT_URL_S3"] = moto.baseURL
            let ignored = try await h.run(["deploy", "site", "--target", "s3://profile-endpoint/b", "--profile", "broken"], environment: ignoring)
            #expect(ignored.status == 0, "\(ignored.stderr)\(ignored.stdout)")
        }
    }

    /// A credential source that is set up but fails stops the deploy (as the aws CLI stops): the
    /// profile's keys, valid and next in the chain, must not deploy in its place. Half a key
    /// pair in the environment is the user's to fix (exit 2); a web identity whose STS does not
    /// answer is a remote failure (exit 3).
    @Test func aConfiguredCredentialSourceThatFailsStopsTheDeploy() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("creds")
            let h = try CLIHarness()
            try h.write("site/index.html", "x")
            try h.write("home/.aws/credentials", "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
            var environment = moto.environment
            environment["HOME"] = h.root + "/home"
            for name in ["AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"] {
                environment[name] = ""
            }
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
            var fromProfile = environment
            fromProfile["AWS_ACCESS_KEY_ID"] = ""
            fromProfile["AWS_SECRET_ACCESS_KEY"] = ""

            var partial = fromProfile
            partial["AWS_ACCESS_KEY_ID"] = "AKIDPARTIAL"
            let halfPair = try await h.run(["deploy", "site", "--target", "s3://creds/a", "--json"], environment: partial)
            #expect(halfPair.status == 2, "\(halfPair.stderr)")
            #expect(halfPair.stderr.contains("environment: partial credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
                    "\(halfPair.stderr)")
            #expect(result(halfPair)["status"] as? String == "FAILED")

            let refusing = try RefusingLoopbackPort()
            var webIdentity = fromProfile
            try h.write("token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
            webIdentity["AWS_WEB_IDENTITY_TOKEN_FILE"] = h.root + "/token"
            webIdentity["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/deploy"
            webIdentity["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:\(refusing.port)"
            let unanswered = try await h.run(["deploy", "site", "--target", "s3://creds/b"], environment: webIdentity)
            #expect(unanswered.status == 3, "\(unanswered.stderr)")
            #expect(unanswered.stderr.contains("web identity: STS AssumeRoleWithWebIdentity"), "\(unanswered.stderr)")
            withExtendedLifetime(refusing) {}
            #expect(try await keys(client, "creds").isEmpty, "nothing was deployed")

            // AWS_PROFILE with a typo: the aws CLI says the profile could not be found; so does
            // sitebuild (exit 2), rather than deploy with the default profile's keys.
            var typo = fromProfile
            typo["AWS_PROFILE"] = "deployr"
            let misnamed = try await h.run(["deploy", "site", "--target", "s3://creds/b"], environment: typo)
            #expect(misnamed.status == 2, "\(misnamed.stderr)")
            #expect(misnamed.stderr.contains("AWS_PROFILE names profile deployr, but there is no profile deployr in"), "\(misnamed.stderr)")
            #expect(try await keys(client, "creds").isEmpty, "nothing was deployed")

            // The profile alone deploys: it was the credentials that stopped the ones above.
            let deployed = try await h.run(["deploy", "site", "--target", "s3://creds/c"], environment: fromProfile)
            #expect(deployed.status == 0, "\(deployed.stderr)")
        }
    }

    @Test func dynamoDBPointerFlipsWithCompareAndSwap() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("ddb-site")
            let dynamo = DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await dynamo.createTable("pointers", partitionKey: "id")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            let run = try await h.run(["deploy", "site", "--target", "s3://ddb-site/p", "--pointer", "dynamodb://pointers#prod", "--json"],
                                environment: moto.environment)
            #expect(run.status == 0, "\(run.stderr)")
            let version = try #require(result(run)["version"] as? String)
            let item = try await dynamo.getItem(table: "pointers", key: ["id": .string("prod")])
            #expect(item?["version"] == .string(version))
            // The S3 pointer object is not used.
            #expect(try await client.headObject(bucket: "ddb-site", key: "p/_sitebuild/live") == nil)
            let versions = try await h.run(["versions", "--target", "s3://ddb-site/p", "--pointer", "dynamodb://pointers#prod", "--json"],
                                     environment: moto.environment)
            #expect(versions.stdout.contains("\"live\":\"\(version)\""))
            // A table that does not exist is named, before anything is uploaded.
            try h.write("site/index.html", "<p>two</p>")
            let objectsBefore = try await client.listObjects(bucket: "ddb-site", prefix: "p/").objects.count
            let missing = try await h.run(["deploy", "site", "--target", "s3://ddb-site/p", "--pointer", "dynamodb://no-such-table#prod"],
                                          environment: moto.environment)
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("the DynamoDB table 'no-such-table' does not exist"), "\(missing.stderr)")
            // So is a target's bucket that does not exist behind a pointer of its own: deploy's
            // requests to it, and run's pre-check before anything is built.
            let noBucket = try await h.run(["deploy", "site", "--target", "s3://no-such-bucket/p", "--pointer", "dynamodb://pointers#prod"],
                                           environment: moto.environment)
            #expect(noBucket.status == 2, "\(noBucket.stderr)")
            try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo built-it\nartifacts:\n  base-directory: site\n  files: ['**/*']\n")
            let noBucketRun = try await h.run(["run", "--target", "s3://no-such-bucket/p", "--pointer", "dynamodb://pointers#prod"],
                                              environment: moto.environment)
            #expect(noBucketRun.status == 2, "\(noBucketRun.stderr)")
            #expect(noBucketRun.stderr.contains("the bucket 'no-such-bucket' does not exist") && !noBucketRun.stdout.contains("built-it"),
                    "\(noBucketRun.stdout)\n\(noBucketRun.stderr)")
            #expect(try await client.listObjects(bucket: "ddb-site", prefix: "p/").objects.count == objectsBefore)
            // A table made for something else (another partition key) is named with what it lacks.
            try await dynamo.createTable("other-table", partitionKey: "pk")
            let wrongKey = try await h.run(["deploy", "site", "--target", "s3://ddb-site/p", "--pointer", "dynamodb://other-table#prod"],
                                           environment: moto.environment)
            #expect(wrongKey.status == 2, "\(wrongKey.stderr)")
            #expect(wrongKey.stderr.contains("does not have the key sitebuild uses: a string partition key named 'id'"), "\(wrongKey.stderr)")
            #expect(try await client.listObjects(bucket: "ddb-site", prefix: "p/").objects.count == objectsBefore)
        }
    }

    @Test func keyValueStorePointerUsesTheToolkitKeyPathByDefault() async throws {
        try await withMotoServer { moto in
            try await withKeyValueStoreTestServer { kvs in
                let client = s3(moto)
                try await client.createBucket("kvs-site")
                let h = try CLIHarness()
                try h.write("site/index.html", "<p>kvs</p>")
                var environment = moto.environment
                environment["AWS_ACCESS_KEY_ID"] = KeyValueStoreTestServer.accessKeyId
                environment["AWS_SECRET_ACCESS_KEY"] = KeyValueStoreTestServer.secretAccessKey
                environment["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"] = kvs.baseURL
                let pointer = "cloudfront-kvs://\(KeyValueStoreTestServer.storeARN)"
                let run = try await h.run(["deploy", "site", "--target", "s3://kvs-site", "--pointer", pointer, "--json"], environment: environment)
                #expect(run.status == 0, "\(run.stderr)")
                let version = try #require(result(run)["version"] as? String)
                #expect(try await kvs.client().getKey("path") == version)

                // Another key changing moves the store's ETag; the flip re-reads and succeeds.
                try h.write("site/index.html", "<p>kvs 2</p>")
                let store = try kvs.client()
                _ = try await store.putKey("other", value: "x", ifMatch: try await store.describe().etag)
                let second = try await h.run(["deploy", "site", "--target", "s3://kvs-site", "--pointer", pointer, "--json",
                                        "--distribution", "EDFDVBD6EXAMPLE"], environment: environment)
                #expect(second.status == 0, "\(second.stderr)")
                // KVS routing gives the new version new cache keys: nothing to invalidate.
                #expect(second.stdout.contains(#""event":"invalidation","status":"NONE""#), "\(second.stdout)")
                let next = try #require(result(second)["version"] as? String)
                #expect(try await kvs.client().getKey("path") == next)

                // A wrong secret is refused by the server's independent SigV4A check: exit 3, pointer unchanged.
                try h.write("site/index.html", "<p>kvs 3</p>")
                environment["AWS_SECRET_ACCESS_KEY"] = "wrong"
                let refused = try await h.run(["deploy", "site", "--target", "s3://kvs-site", "--pointer", pointer], environment: environment)
                #expect(refused.status == 3, "\(refused.stderr)")
                #expect(try await kvs.client().getKey("path") == next)
            }
        }
    }

    @Test func theFirstFlipOfAKeyValueStoreStopsBeforeUploadingWhenTheDistributionCannotServeIt() async throws {
        try await withMotoServer { moto in
            try await withKeyValueStoreTestServer { kvs in
                let client = s3(moto)
                try await client.createBucket("first-flip")
                // moto's distributions have no viewer-request function: nothing would route to the version.
                let cloudFront = CloudFrontClient(credentials: moto.credentials, environment: moto.environment)
                let distribution = try await cloudFront.createDistribution(
                    configXML: minimalDistributionConfig(callerReference: "first", originDomain: "first-flip.s3.us-east-1.amazonaws.com")).id
                let h = try CLIHarness()
                try h.write("site/index.html", "<p>first</p>")
                var environment = moto.environment
                environment["AWS_ACCESS_KEY_ID"] = KeyValueStoreTestServer.accessKeyId
                environment["AWS_SECRET_ACCESS_KEY"] = KeyValueStoreTestServer.secretAccessKey
                environment["AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE"] = kvs.baseURL
                let run = try await h.run(["deploy", "site", "--target", "s3://first-flip", "--distribution", distribution,
                                     "--pointer", "cloudfront-kvs://\(KeyValueStoreTestServer.storeARN)"], environment: environment)
                #expect(run.status == 3, "\(run.stderr)")
                #expect(run.stderr.contains("viewer-request"), "\(run.stderr)")
                #expect(run.stderr.contains("nothing was uploaded"), "\(run.stderr)")
                #expect(try await client.listObjects(bucket: "first-flip").objects.isEmpty)
                await #expect(throws: AWSServiceError.self) { try await kvs.client().getKey("path") }
            }
        }
    }

    @Test func aKilledDeployLeavesTheLiveSiteAloneAndTheRerunCompletesIt() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("kill")
            let h = try CLIHarness()
            try h.write("v1/index.html", "<p>v1</p>")
            let first = try await h.run(["deploy", "v1", "--target", "s3://kill", "--json"], environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let live = try #require(result(first)["version"] as? String)

            // Enough files that the upload is still running when it is killed.
            let count = 1500
            for n in 0..<count { try h.write("v2/page\(n).html", "<p>page \(n) \(String(repeating: "x", count: n % 200))</p>") }
            // Through a proxy that answers 50 uploads and holds the rest: the deploy is certainly
            // mid-upload when it is killed, however slowly a loaded machine runs this test.
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdUploadsAfter: 50)
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let (process, _, _) = try h.start(["deploy", "v2", "--target", "s3://kill"], environment: proxied)
            while process.isRunning, try await proxy.stats().held == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(process.isRunning, "the deploy ended before it could be killed")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The uploads the proxy let through land upstream even after the kill: wait for them.
            while try await proxy.stats().forwarding > 0 { try await Task.sleep(for: .milliseconds(20)) }
            let seen = try await client.listObjectsPage(bucket: "kill", maxKeys: 1000).objects.filter { $0.key.hasSuffix(".html") }.count - 1
            #expect((1...50).contains(seen), "the deploy was mid-upload: \(seen) of the 50 uploads the proxy let through")
            // Killed mid-upload: the live pointer and the old version are untouched, no manifest.
            #expect(try await text(client, "kill", "_sitebuild/live") == live)
            let manifests = try await keys(client, "kill", prefix: "_sitebuild/manifests/")
            #expect(manifests.count == 1, "\(manifests.keys)")

            let rerun = try await h.run(["deploy", "v2", "--target", "s3://kill", "--json"], environment: moto.environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let outcome = result(rerun)
            let next = try #require(outcome["version"] as? String)
            let skipped = outcome["skipped"] as? Int ?? 0
            #expect(skipped > 0, "the rerun uploaded everything again: \(outcome)")
            #expect(skipped + (outcome["uploaded"] as? Int ?? 0) == count)
            let objects = try await keys(client, "kill", prefix: "\(next)/")
            #expect(objects.count == count)
            #expect(try await text(client, "kill", "\(next)/page7.html") == "<p>page 7 \(String(repeating: "x", count: 7))</p>")
            #expect(try await text(client, "kill", "_sitebuild/live") == next)
        }
    }

    /// A CI job cancelled mid-deploy (SIGTERM to `sitebuild run`, after its build): the deploy
    /// stops with exit 130, having changed nothing live, and leaves nothing that would hold up
    /// or cost the next run: its literal-id lock is released (a retry on another machine would
    /// otherwise wait out the lease) and its multipart upload is aborted (its parts would be
    /// billed). The rerun completes the version.
    @Test func aSignalledDeployReleasesItsLockAbortsItsUploadsAndChangesNothingLive() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("signalled")
            let h = try CLIHarness()
            try h.write("buildspec.yml", """
                version: 0.2
                phases:
                  build:
                    commands:
                      - mkdir -p dist
                      - for i in $(seq 1 200); do echo "<p>page $i</p>" > dist/page$i.html; done
                      - head -c 40000000 /dev/zero | tr '\\0' x > dist/big.bin
                artifacts:
                  base-directory: dist
                  files:
                    - '**/*'
                """)
            // The proxy answers one upload (or part) and holds the rest: the 40 MB file, uploaded
            // first, is certainly a multipart upload in progress when the signal comes.
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdUploadsAfter: 1)
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let arguments = ["run", "--target", "s3://signalled/www", "--version-id", "rel-7"]
            let (process, out, err) = try h.start(arguments, environment: proxied)
            let waitStarted = ContinuousClock.now
            while process.isRunning, ContinuousClock.now - waitStarted < .seconds(120) {
                let uploading = try await client.listMultipartUploads(bucket: "signalled", prefix: "www/rel-7/")
                if try await proxy.stats().held > 0, !uploading.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(process.isRunning, "the run ended before it could be signalled")
            #expect(try await client.listMultipartUploads(bucket: "signalled", prefix: "www/rel-7/").count == 1)
            kill(process.processIdentifier, SIGTERM)
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            let stopped = await CLIHarness.collectOffPool(process, out, err)
            watchdog.cancel()
            #expect(stopped.status == 130, "\(stopped.stderr)")
            #expect(stopped.stderr.contains("deploy interrupted by SIGTERM: nothing live changed"), "\(stopped.stderr)")
            #expect(try await keys(client, "signalled", prefix: "www/_sitebuild/locks/").isEmpty)
            #expect(try await client.listMultipartUploads(bucket: "signalled", prefix: "www/").isEmpty)
            #expect(try await keys(client, "signalled", prefix: "www/_sitebuild/manifests/").isEmpty)
            #expect(try await keys(client, "signalled", prefix: "www/_sitebuild/live").isEmpty)

            // The rerun (no proxy) takes the version up at once, with no lease to wait out.
            let rerun = try await h.run(arguments + ["--json"], environment: moto.environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(!rerun.stderr.contains("waiting for it to finish"), "\(rerun.stderr)")
            #expect(try await keys(client, "signalled", prefix: "www/rel-7/").count == 201)
            #expect(try await text(client, "signalled", "www/_sitebuild/live") == "rel-7")
            #expect(try await keys(client, "signalled", prefix: "www/_sitebuild/locks/").isEmpty)
        }
    }

    /// A literal id names a folder of the target: one that holds files no deploy of that
    /// version made (another site, at a bucket's root) is refused, dry run included, and left
    /// as it is; what an interrupted deploy of the version left is still resumed.
    @Test func aLiteralIdNamingAnOccupiedFolderIsRefused() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("shared-bucket")
            let h = try CLIHarness()
            try h.write("blog/index.html", "<p>blog</p>")
            let blog = try await h.run(["deploy", "blog", "--target", "s3://shared-bucket/blog"], environment: moto.environment)
            #expect(blog.status == 0, "\(blog.stderr)")
            let before = try await keys(client, "shared-bucket", prefix: "blog/")
            try h.write("one/index.html", "<p>one</p>")
            for extra in [["--dry-run"], []] {
                let refused = try await h.run(["deploy", "one", "--target", "s3://shared-bucket", "--version-id", "blog"] + extra,
                                              environment: moto.environment)
                #expect(refused.status == 2, "\(extra): \(refused.stderr)")
                #expect(refused.stderr.contains("version blog would be written where files that no sitebuild deploy of it made already are"),
                        "\(refused.stderr)")
                #expect(try await keys(client, "shared-bucket", prefix: "blog/") == before)
                #expect(try await keys(client, "shared-bucket", prefix: "_sitebuild/").isEmpty)
            }
        }
    }

    /// The other way round: a site deployed to the folder of another target's literal version
    /// (`s3://bkt3/blog` beside `--target s3://bkt3 --version-id blog`) is refused, naming the
    /// version; one already there keeps that version from prune, which never deletes it.
    @Test func aSiteInsideAnotherTargetsVersionIsRefusedAndPruneKeepsIt() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("bkt3")
            let h = try CLIHarness()
            try h.write("root/index.html", "<p>root</p>")
            try h.write("blogsite/index.html", "<p>blog</p>")
            let outer = try await h.run(["deploy", "root", "--target", "s3://bkt3", "--version-id", "blog"], environment: moto.environment)
            #expect(outer.status == 0, "\(outer.stderr)")
            for target in ["s3://bkt3/blog", "s3://bkt3/blog/docs"] {
                let refused = try await h.run(["deploy", "blogsite", "--target", target], environment: moto.environment)
                #expect(refused.status == 2, "\(target): \(refused.stderr)")
                #expect(refused.stderr.contains("\(target)/ lies inside version blog of the target s3://bkt3/ (its manifest is "
                    + "s3://bkt3/_sitebuild/manifests/blog.json)"), "\(refused.stderr)")
            }
            #expect(try await keys(client, "bkt3", prefix: "blog/_sitebuild/").isEmpty)
            // A site an older sitebuild let in: prune keeps the version that holds it.
            _ = try await client.putObject(bucket: "bkt3", key: "blog/_sitebuild/manifests/b1.json", body: .bytes(Array("{}".utf8)))
            _ = try await client.putObject(bucket: "bkt3", key: "blog/b1/index.html", body: .bytes(Array("<p>blog</p>".utf8)))
            for page in ["v2", "v3"] {
                try h.write("root/index.html", "<p>\(page)</p>")
                let next = try await h.run(["deploy", "root", "--target", "s3://bkt3", "--version-id", page], environment: moto.environment)
                #expect(next.status == 0, "\(next.stderr)")
            }
            let before = try await keys(client, "bkt3", prefix: "blog/")
            let pruned = try await h.run(["prune", "--keep", "0", "--grace", "0s", "--target", "s3://bkt3"], environment: moto.environment)
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(pruned.stderr.contains("keep blog: its folder holds another target's (or watcher's) state, s3://bkt3/blog/_sitebuild/"),
                    "\(pruned.stderr)")
            #expect(try await keys(client, "bkt3", prefix: "blog/") == before)
            #expect(try await client.headObject(bucket: "bkt3", key: "_sitebuild/manifests/blog.json") != nil)
        }
    }

    /// An object of the live version deleted outside sitebuild (a lifecycle rule, a hand): the
    /// next deploy uploads that file instead of failing on its copy, every time.
    @Test func anObjectMissingFromTheLiveVersionIsUploadedInsteadOfCopied() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("gone-object")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            try h.write("site/a.txt", "kept")
            let first = try await h.run(["deploy", "site", "--target", "s3://gone-object/w", "--json"], environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let v1 = try #require(result(first)["version"] as? String)
            #expect(try await client.deleteObjects(bucket: "gone-object", keys: ["w/\(v1)/a.txt"]).isEmpty)
            try h.write("site/index.html", "<p>two</p>")
            let second = try await h.run(["deploy", "site", "--target", "s3://gone-object/w", "--json"], environment: moto.environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("w/\(v1)/a.txt is missing (deleted outside sitebuild): uploading a.txt instead"), "\(second.stderr)")
            let v2 = try #require(result(second)["version"] as? String)
            #expect(try await text(client, "gone-object", "w/\(v2)/a.txt") == "kept")
            #expect(try await text(client, "gone-object", "w/_sitebuild/live") == v2)
        }
    }

    /// Objects of a version deleted outside sitebuild: doctor names them for the live version,
    /// rollback refuses the version (exit 3), and a deploy of its content puts them back.
    @Test func aVersionWithMissingObjectsIsNamedRefusedAndRepaired() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("lost-objects")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            try h.write("site/a.txt", "kept")
            try h.write("site/b.txt", "also kept")
            let common = ["--target", "s3://lost-objects/w", "--json"]
            let first = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            let v1 = try #require(result(first)["version"] as? String, "\(first.stderr)")
            #expect(try await client.deleteObjects(bucket: "lost-objects", keys: ["w/\(v1)/a.txt", "w/\(v1)/b.txt"]).isEmpty)
            let doctor = try await h.run(["doctor", "--target", "s3://lost-objects/w"], environment: moto.environment)
            #expect(doctor.status == 3, "\(doctor.stdout)")
            #expect(doctor.stdout.contains("FAIL live version \(v1): s3://lost-objects/w/_sitebuild/manifests/\(v1).json exists, but 2 of "
                + "its 3 objects (a.txt, b.txt) are missing on the target"), "\(doctor.stdout)")
            #expect(doctor.stdout.contains("`sitebuild rollback VERSION`") && doctor.stdout.contains("`sitebuild deploy DIR --repair`"), "\(doctor.stdout)")

            try h.write("site/index.html", "<p>two</p>")
            let second = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            let v2 = try #require(result(second)["version"] as? String, "\(second.stderr)")
            let back = try await h.run(["rollback"] + common, environment: moto.environment)
            #expect(back.status == 3, "\(back.stderr)")
            #expect(back.stderr.contains("version \(v1) is missing 2 of its 3 objects (a.txt, b.txt) on s3://lost-objects/w"), "\(back.stderr)")
            #expect(try await text(client, "lost-objects", "w/_sitebuild/live") == v2)

            try h.write("site/index.html", "<p>one</p>")
            let plan = try await h.run(["deploy", "site", "--dry-run"] + common, environment: moto.environment)
            #expect(result(plan)["plannedUploads"] as? [String] == ["a.txt", "b.txt"] && result(plan)["restored"] as? Int == 2, "\(plan.stdout)")
            let repair = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(repair.status == 0, "\(repair.stderr)")
            #expect(result(repair)["action"] as? String == "flipped" && result(repair)["restored"] as? Int == 2
                    && result(repair)["reused"] as? Int == 2, "\(repair.stdout)")
            #expect(repair.stderr.contains("version \(v1) was already uploaded; 2 missing object(s) put back"), "\(repair.stderr)")
            #expect(try await text(client, "lost-objects", "w/\(v1)/a.txt") == "kept")
            #expect(try await text(client, "lost-objects", "w/\(v1)/b.txt") == "also kept")
            #expect(try await text(client, "lost-objects", "w/_sitebuild/live") == v1)
            #expect(try await keys(client, "lost-objects", prefix: "w/_sitebuild/pending/").isEmpty)
            let healthy = try await h.run(["doctor", "--target", "s3://lost-objects/w"], environment: moto.environment)
            #expect(healthy.status == 0 && healthy.stdout.contains("and all 3 of its objects are there"), "\(healthy.stdout)")
        }
    }

    /// Objects of the *live* version deleted outside sitebuild: a deploy of the same tree stays
    /// one read and does not see them; with --repair it lists the version and puts them back
    /// (their headers too), without a flip or a release record; doctor says so.
    @Test func repairPutsBackWhatTheLiveVersionLost() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("repair-live")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            try h.write("site/a.txt", "kept")
            try h.write("site/b.css", "p{}")
            let common = ["--target", "s3://repair-live/w", "--json"]
            let first = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            let v1 = try #require(result(first)["version"] as? String, "\(first.stderr)")
            let records = try await keys(client, "repair-live", prefix: "w/_sitebuild/releases/").count
            #expect(try await client.deleteObjects(bucket: "repair-live", keys: ["w/\(v1)/a.txt", "w/\(v1)/b.css"]).isEmpty)

            let doctor = try await h.run(["doctor", "--target", "s3://repair-live/w"], environment: moto.environment)
            #expect(doctor.status == 3 && doctor.stdout.contains("`sitebuild deploy DIR --repair`"), "\(doctor.stdout)")
            let plain = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(result(plain)["action"] as? String == "unchanged" && result(plain)["restored"] as? Int == 0, "\(plain.stdout)")
            #expect(try await client.headObject(bucket: "repair-live", key: "w/\(v1)/a.txt") == nil)

            let plan = try await h.run(["deploy", "site", "--repair", "--dry-run"] + common, environment: moto.environment)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(result(plan)["status"] as? String == "PLANNED" && result(plan)["plannedUploads"] as? [String] == ["a.txt", "b.css"]
                    && result(plan)["restored"] as? Int == 2, "\(plan.stdout)")
            #expect(plan.stderr.contains("is already live, but 2 of its objects are missing"), "\(plan.stderr)")
            #expect(try await client.headObject(bucket: "repair-live", key: "w/\(v1)/a.txt") == nil)

            let repair = try await h.run(["deploy", "site", "--repair"] + common, environment: moto.environment)
            #expect(repair.status == 0, "\(repair.stderr)")
            #expect(result(repair)["action"] as? String == "repaired" && result(repair)["restored"] as? Int == 2
                    && result(repair)["uploaded"] as? Int == 2, "\(repair.stdout)")
            #expect(repair.stderr.contains("2 of its 3 objects (a.txt, b.css) of the live version \(v1) are missing"), "\(repair.stderr)")
            #expect(repair.stderr.contains("2 missing object(s) put back"), "\(repair.stderr)")
            #expect(try await text(client, "repair-live", "w/\(v1)/a.txt") == "kept")
            #expect(try await client.headObject(bucket: "repair-live", key: "w/\(v1)/b.css")?.attributes.contentType == "text/css; charset=utf-8")
            #expect(try await text(client, "repair-live", "w/_sitebuild/live") == v1)
            #expect(try await keys(client, "repair-live", prefix: "w/_sitebuild/pending/").isEmpty)
            #expect(try await keys(client, "repair-live", prefix: "w/_sitebuild/releases/").count == records, "no flip, no record")

            let again = try await h.run(["deploy", "site", "--repair"] + common, environment: moto.environment)
            #expect(result(again)["action"] as? String == "unchanged" && result(again)["restored"] as? Int == 0, "\(again.stdout)")
            let healthy = try await h.run(["doctor", "--target", "s3://repair-live/w"], environment: moto.environment)
            #expect(healthy.status == 0, "\(healthy.stdout)")
        }
    }

    /// Runs the binary through `proxy`, and once the proxy holds the answer it was told to
    /// hold (the upstream has done the request; the client waits for its answer), sends
    /// SIGTERM, gives the process a moment to take it, lets the answer go, and collects.
    func signalWhileAnswerHeld(_ h: CLIHarness, _ arguments: [String], proxy: FaultInjectingProxy,
                               environment: [String: String]) async throws -> CLIHarness.Output {
        let (process, out, err) = try h.start(arguments, environment: environment)
        let waitStarted = ContinuousClock.now
        while process.isRunning, try await proxy.stats().answersHeld == 0, ContinuousClock.now - waitStarted < .seconds(120) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(process.isRunning, "the command ended before its held answer: \(arguments)")
        kill(process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .seconds(1))
        try await proxy.releaseAnswer()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        return await CLIHarness.collectOffPool(process, out, err)
    }

    /// A signal while the literal-id lock is being stored (S3 has stored it; the answer is on
    /// its way): the deploy still learns of its lock, and releases it.
    @Test func aSignalWhileTheLockIsTakenLeavesNoLock() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("lock-signal")
            let h = try CLIHarness()
            try h.write("dist/index.html", "<p>one</p>")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "PUT", pathContains: "/_sitebuild/locks/"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let stopped = try await signalWhileAnswerHeld(h, ["deploy", "dist", "--target", "s3://lock-signal/www", "--version-id", "rel-3"],
                                                          proxy: proxy, environment: proxied)
            #expect(stopped.status == 130, "\(stopped.stderr)")
            #expect(stopped.stderr.contains("deploy interrupted by SIGTERM: nothing live changed"), "\(stopped.stderr)")
            #expect(try await keys(client, "lock-signal", prefix: "www/_sitebuild/locks/").isEmpty)
            #expect(try await keys(client, "lock-signal", prefix: "www/_sitebuild/live").isEmpty)
        }
    }

    /// A signal while the pointer is being written: the flip is completed with its release
    /// record, the process says so and exits 130; the same for a rollback.
    @Test func aSignalDuringAFlipCompletesItWithItsReleaseRecord() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("flip-signal")
            let h = try CLIHarness()
            try h.write("dist/index.html", "<p>one</p>")
            let target = ["--target", "s3://flip-signal/www"]
            let first = try await h.run(["deploy", "dist", "--json"] + target, environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let v1 = try #require(result(first)["version"] as? String)
            try h.write("dist/index.html", "<p>two</p>")

            for (arguments, from) in [(["deploy", "dist"] + target, v1), (["rollback", v1] + target, nil)] {
                let before = try await text(client, "flip-signal", "www/_sitebuild/live")
                let records = try await keys(client, "flip-signal", prefix: "www/_sitebuild/releases/").count
                let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "PUT", pathContains: "/_sitebuild/live"))
                defer { proxy.stop() }
                var proxied = moto.environment
                proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
                let stopped = try await signalWhileAnswerHeld(h, arguments, proxy: proxy, environment: proxied)
                #expect(stopped.status == 130, "\(arguments): \(stopped.stderr)")
                #expect(stopped.stderr.contains("interrupted by SIGTERM during the flip, which was completed"), "\(stopped.stderr)")
                let now = try await text(client, "flip-signal", "www/_sitebuild/live")
                #expect(now != before)
                if from == nil { #expect(now == v1) }
                #expect(try await keys(client, "flip-signal", prefix: "www/_sitebuild/releases/").count == records + 1)
            }
        }
    }

    /// A pointer write S3 made whose answer was lost: once (the retry meets the write) and on
    /// every attempt (the retries spent, the pointer read back), the deploy is done, with its
    /// release record and a result that says so; likewise a rollback.
    @Test func aFlipWhoseAnswerWasLostIsFinished() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("lost-flip")
            let h = try CLIHarness()
            let target = ["--target", "s3://lost-flip/www"]
            try h.write("dist/index.html", "<p>zero</p>")
            let first = try await h.run(["deploy", "dist", "--json"] + target, environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let v0 = try #require(result(first)["version"] as? String)
            for (n, (times, said)) in [(1, "an earlier attempt of this flip whose answer was lost"),
                                       (20, "the flip's answer was lost")].enumerated() {
                try h.write("dist/index.html", "<p>\(n + 1)</p>")
                let records = try await keys(client, "lost-flip", prefix: "www/_sitebuild/releases/").count
                let proxy = try FaultInjectingProxy(upstream: moto.baseURL,
                                                    loseAnswerOf: (method: "PUT", pathContains: "/_sitebuild/live", times: times))
                defer { proxy.stop() }
                var proxied = moto.environment
                proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
                let deployed = try await h.run(["deploy", "dist", "--json"] + target, environment: proxied)
                #expect(deployed.status == 0, "\(deployed.stderr)")
                #expect(deployed.stderr.contains(said), "\(deployed.stderr)")
                #expect(!deployed.stderr.contains("nothing live changed"), "\(deployed.stderr)")
                #expect(result(deployed)["status"] as? String == "SUCCEEDED", "\(deployed.stdout)")
                let version = try #require(result(deployed)["version"] as? String)
                #expect(try await text(client, "lost-flip", "www/_sitebuild/live") == version)
                #expect(try await keys(client, "lost-flip", prefix: "www/_sitebuild/releases/").count == records + 1)
                #expect(try await proxy.stats().answersLost >= 1)
            }
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, loseAnswerOf: (method: "PUT", pathContains: "/_sitebuild/live", times: 20))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let records = try await keys(client, "lost-flip", prefix: "www/_sitebuild/releases/").count
            let rolledBack = try await h.run(["rollback", v0] + target, environment: proxied)
            #expect(rolledBack.status == 0, "\(rolledBack.stderr)")
            #expect(try await text(client, "lost-flip", "www/_sitebuild/live") == v0)
            #expect(try await keys(client, "lost-flip", prefix: "www/_sitebuild/releases/").count == records + 1)
        }
    }

    /// A pointer write whose answer was lost on every attempt, and the pointer then unreadable:
    /// deploy and rollback say the outcome is unknown, never that nothing changed, and their
    /// `--json` result's status is `UNKNOWN`, not `FAILED` (exit 3).
    @Test func aFlipWhoseOutcomeIsUnknownSaysUnknownInItsResult() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("unknown-flip")
            let h = try CLIHarness()
            let target = ["--target", "s3://unknown-flip/www"]
            try h.write("dist/index.html", "<p>zero</p>")
            let first = try await h.run(["deploy", "dist", "--json"] + target, environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let v0 = try #require(result(first)["version"] as? String)
            try h.write("dist/index.html", "<p>one</p>")
            for arguments in [["deploy", "dist", "--json"], ["rollback", v0, "--json"]] {
                let proxy = try FaultInjectingProxy(upstream: moto.baseURL,
                                                    refuse: (method: "GET", pathContains: "/_sitebuild/live", status: 403, code: "AccessDenied"),
                                                    loseAnswerOf: (method: "PUT", pathContains: "/_sitebuild/live", times: 20),
                                                    refuseOnceAnswerLost: true)
                defer { proxy.stop() }
                var proxied = moto.environment
                proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
                let out = try await h.run(arguments + target, environment: proxied)
                #expect(out.status == 3, "\(arguments): \(out.stderr)")
                #expect(out.stderr.contains("is live is unknown") && !out.stderr.contains("nothing live changed"), "\(arguments): \(out.stderr)")
                #expect(result(out)["status"] as? String == "UNKNOWN", "\(arguments): \(out.stdout)")
                #expect(try await proxy.stats().refused >= 1)
            }
        }
    }

    /// A signal while prune deletes a version: that version is deleted whole (no deleting
    /// marker left to hold up rollbacks), and the next one is not started.
    @Test func aSignalDuringPruneFinishesTheVersionItIsDeleting() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("prune-signal")
            let h = try CLIHarness()
            let target = ["--target", "s3://prune-signal/www"]
            for n in 1...4 {
                try h.write("dist/index.html", "<p>\(n)</p>")
                let deployed = try await h.run(["deploy", "dist"] + target, environment: moto.environment)
                #expect(deployed.status == 0, "\(deployed.stderr)")
            }
            #expect(try await keys(client, "prune-signal", prefix: "www/_sitebuild/manifests/").count == 4)
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "POST", pathContains: "?delete"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let stopped = try await signalWhileAnswerHeld(h, ["prune", "--keep", "0", "--grace", "0s"] + target, proxy: proxy, environment: proxied)
            #expect(stopped.status == 130, "\(stopped.stderr)")
            #expect(stopped.stderr.contains("prune interrupted by SIGTERM after deleting 1 version(s); the other 1 are untouched"),
                    "\(stopped.stderr)")
            #expect(try await keys(client, "prune-signal", prefix: "www/_sitebuild/deleting/").isEmpty)
            #expect(try await keys(client, "prune-signal", prefix: "www/_sitebuild/manifests/").count == 3)
        }
    }

    /// A deploy that flips while prune plans (after prune read the pointer, before it read the
    /// release records) is not taken for a sign that the pointer is not the one the deploys use.
    @Test func aFlipWhilePrunePlansIsNoPointerMismatch() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("prune-race")
            let h = try CLIHarness()
            let target = ["--target", "s3://prune-race/www"]
            for n in 1...2 {
                try h.write("dist/index.html", "<p>\(n)</p>")
                #expect(try await h.run(["deploy", "dist"] + target, environment: moto.environment).status == 0)
            }
            // Prune's read of the pointer is answered (v2) but held while a third deploy flips.
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "GET", pathContains: "/_sitebuild/live"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let (process, out, err) = try h.start(["prune", "--keep", "5"] + target, environment: proxied)
            let waitStarted = ContinuousClock.now
            while process.isRunning, try await proxy.stats().answersHeld == 0, ContinuousClock.now - waitStarted < .seconds(120) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(process.isRunning, "prune ended before its read of the pointer was held")
            try h.write("dist/index.html", "<p>3</p>")
            #expect(try await h.run(["deploy", "dist"] + target, environment: moto.environment).status == 0)
            try await proxy.releaseAnswer()
            let pruned = await CLIHarness.collectOffPool(process, out, err)
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(!pruned.stderr.contains("is this the pointer the deploys use"), "\(pruned.stderr)")
            #expect(try await keys(client, "prune-race", prefix: "www/_sitebuild/manifests/").count == 3)
        }
    }

    /// Two builds deployed under one literal id at once must not mix: objects of a literal-id
    /// version are written only if the key is still as the listing saw it. The proxy writes
    /// another build's index.html upstream just before this deploy's conditional write of it
    /// (the other deploy landing in between, on cue): this deploy stops, nothing is made live,
    /// and the other's object is not overwritten. A rerun alone completes the version.
    @Test func aLiteralIdWrittenByAnotherBuildMeanwhileStopsTheDeploy() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("literal")
            let h = try CLIHarness()
            try h.write("dist/index.html", "<p>this build</p>")
            try h.write("dist/app.js", "console.log(1)")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, flipPointer: (pathSuffix: "/site/rel-1/index.html", value: "other build"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let stopped = try await h.run(["deploy", "dist", "--target", "s3://literal/site", "--version-id", "rel-1"], environment: proxied)
            #expect(stopped.status == 3, "\(stopped.stderr)")
            #expect(stopped.stderr.contains("another deploy is writing version rel-1") && stopped.stderr.contains("nothing was made live"),
                    "\(stopped.stderr)")
            #expect(try await proxy.stats().pointerFlips == 1)
            #expect(try await text(client, "literal", "site/rel-1/index.html") == "other build")
            #expect(try await keys(client, "literal", prefix: "site/_sitebuild/manifests/").isEmpty)
            #expect(try await keys(client, "literal", prefix: "site/_sitebuild/live").isEmpty)

            // Alone, the rerun replaces what the listing shows is not this build's, and completes.
            let rerun = try await h.run(["deploy", "dist", "--target", "s3://literal/site", "--version-id", "rel-1", "--json"],
                                        environment: moto.environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try await text(client, "literal", "site/rel-1/index.html") == "<p>this build</p>")
            #expect(try await text(client, "literal", "site/_sitebuild/live") == "rel-1")

            // A content id is the content, so its writes are unconditional: the proxy never fires.
            let plain = try FaultInjectingProxy(upstream: moto.baseURL, flipPointer: (pathSuffix: "/index.html", value: "other build"))
            defer { plain.stop() }
            proxied["AWS_ENDPOINT_URL"] = plain.baseURL
            try h.write("dist/index.html", "<p>next build</p>")
            let content = try await h.run(["deploy", "dist", "--target", "s3://literal/site", "--json"], environment: proxied)
            #expect(content.status == 0, "\(content.stderr)")
            #expect(try await plain.stats().pointerFlips == 0)
        }
    }

    /// Two different builds deployed at once under one literal id: whatever the interleaving,
    /// the version made live holds exactly one build's objects.
    @Test func twoBuildsDeployedAtOnceUnderOneLiteralIdDoNotMix() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("literal-race")
            let h = try CLIHarness()
            for site in ["a", "b"] {
                for n in 0..<150 { try h.write("\(site)/page\(n).html", "<p>build \(site), page \(n)</p>") }
            }
            let started = try ["a", "b"].map {
                try h.start(["deploy", $0, "--target", "s3://literal-race", "--version-id", "rel-1"], environment: moto.environment)
            }
            var statuses: [Int32] = []
            for (process, out, err) in started {
                let output = await CLIHarness.collectOffPool(process, out, err)
                statuses.append(output.status)
                #expect([0, 3, 4].contains(output.status), "\(output.stderr)")
            }
            #expect(statuses.contains(0) || statuses.allSatisfy { $0 == 3 }, "\(statuses)")
            guard statuses.contains(0) else { return }
            #expect(try await text(client, "literal-race", "_sitebuild/live") == "rel-1")
            var builds = Set<String>()
            for n in 0..<150 {
                builds.insert(String(try await text(client, "literal-race", "rel-1/page\(n).html").split(separator: ",")[0]))
            }
            #expect(builds.count == 1, "the live version mixes both builds: \(builds)")
        }
    }

    @Test func concurrentDeploysEndWithExactlyOneFlipPerSuccess() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("race")
            let h = try CLIHarness()
            let runners = 4
            for n in 0..<runners { try h.write("site\(n)/index.html", "<p>runner \(n)</p>") }
            let started = try (0..<runners).map { try h.start(["deploy", "site\($0)", "--target", "s3://race", "--json"], environment: moto.environment) }
            var statuses: [Int32] = []
            var winners: [String] = []
            for (process, out, _) in started {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                statuses.append(process.terminationStatus)
                let output = CLIHarness.Output(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
                if process.terminationStatus == 0, let version = result(output)["version"] as? String { winners.append(version) }
            }
            #expect(statuses.allSatisfy { $0 == 0 || $0 == 4 }, "\(statuses)")
            #expect(!winners.isEmpty)
            // Every success is one release record; the live version is the last successful flip's.
            let releases = try await keys(client, "race", prefix: "_sitebuild/releases/")
            #expect(releases.count == winners.count)
            let live = try await text(client, "race", "_sitebuild/live")
            #expect(winners.contains(live))
            // Every release record's `from` is the version live before it: a chain, no lost flip.
            var chain: [String: String] = [:]
            for key in releases.keys {
                let record = try JSONSerialization.jsonObject(with: Data(try await text(client, "race", key).utf8)) as? [String: Any]
                chain[record?["to"] as? String ?? ""] = record?["from"] as? String ?? "none"
            }
            #expect(Set(chain.values).count == chain.count, "two flips started from the same version: \(chain)")
        }
    }

    @Test func deploysConvergeThroughSlowDownAndConnectionResets() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("faulty")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, slowDownEvery: 5, resetEvery: 13)
            defer { proxy.stop() }
            let h = try CLIHarness()
            for n in 0..<120 { try h.write("site/p\(n).html", "<p>\(n)</p>") }
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL
            let run = try await h.run(["deploy", "site", "--target", "s3://faulty", "--json"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            let version = try #require(result(run)["version"] as? String)
            let stats = try await proxy.stats()
            #expect(stats.slowdowns > 10 && stats.resets > 5, "\(stats)")
            #expect(try await keys(client, "faulty", prefix: "\(version)/").count == 120)
            #expect(try await text(client, "faulty", "_sitebuild/live") == version)
        }
    }

    /// A proxy that sends a body after each HEAD answer (the deploy HEADs its pending marker,
    /// objects it may reuse, the bucket) left the bytes on the kept-alive connection: the next
    /// request read them as its answer, curl said "Received HTTP/0.9 when not allowed" and the
    /// deploy failed. Now that request is retried on a new connection, and deploys go through.
    @Test func deploysConvergeThroughAProxyThatSendsBodiesAfterHeadAnswers() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("headbody")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, bodyAfterHead: true)
            defer { proxy.stop() }
            let h = try CLIHarness()
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL
            for round in 1...2 {
                for n in 0..<20 { try h.write("site/p\(n).html", n % 2 == 0 ? "<p>\(n)</p>" : "<p>\(n) \(round)</p>") }
                let run = try await h.run(["deploy", "site", "--target", "s3://headbody", "--json"], environment: environment)
                #expect(run.status == 0, "\(run.stderr)")
                let version = try #require(result(run)["version"] as? String)
                #expect(try await keys(client, "headbody", prefix: "\(version)/").count == 20)
                #expect(try await text(client, "headbody", "_sitebuild/live") == version)
            }
            #expect(try await proxy.stats().headBodies > 0)
        }
    }

    /// `--region` names another region than the bucket's: S3's 301 (played by a proxy) is
    /// followed, and the deploy completes with every request after the first signed for the
    /// bucket's region.
    @Test func aBucketInAnotherRegionIsFollowed() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("far-site")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, bucketRegion: "ap-southeast-2")
            defer { proxy.stop() }
            let h = try CLIHarness()
            for n in 0..<20 { try h.write("site/p\(n).html", "<p>\(n)</p>") }
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL
            let run = try await h.run(["deploy", "site", "--target", "s3://far-site", "--region", "us-east-1", "--json"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            let version = try #require(result(run)["version"] as? String)
            #expect(try await proxy.stats().redirects == 1)
            #expect(try await keys(client, "far-site", prefix: "\(version)/").count == 20)
            #expect(try await text(client, "far-site", "_sitebuild/live") == version)
        }
    }

    /// A Hosting Toolkit stack taken over: the toolkit's last version (files, no manifest) is
    /// what the first sitebuild flip moved from, and `rollback` goes back to it, invalidating
    /// everything (there is no manifest to compare with).
    @Test func rollbackAfterATakeoverGoesBackToTheToolkitsVersion() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("taken-over")
            _ = try await client.putObject(bucket: "taken-over", key: "index.html", body: .bytes(Array("<p>deploying</p>".utf8)))
            _ = try await client.putObject(bucket: "taken-over", key: "3f2a9c1/index.html", body: .bytes(Array("<p>toolkit</p>".utf8)))
            _ = try await client.putObject(bucket: "taken-over", key: "_sitebuild/live", body: .bytes(Array("3f2a9c1".utf8)))
            let cloudFront = CloudFrontClient(credentials: moto.credentials, environment: moto.environment)
            let distribution = try await cloudFront.createDistribution(
                configXML: minimalDistributionConfig(callerReference: "takeover", originDomain: "taken-over.s3.us-east-1.amazonaws.com")).id
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>sitebuild</p>")
            let common = ["--target", "s3://taken-over", "--distribution", distribution, "--json"]
            let deploy = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(deploy.status == 0, "\(deploy.stderr)")
            let ours = try #require(result(deploy)["version"] as? String)

            let back = try await h.run(["rollback"] + common, environment: moto.environment)
            #expect(back.status == 0, "\(back.stderr)")
            #expect(back.stderr.contains("3f2a9c1 has no sitebuild manifest"), "\(back.stderr)")
            #expect(try await text(client, "taken-over", "_sitebuild/live") == "3f2a9c1")
            #expect(back.stdout.contains(#""paths":["/*"]"#), "\(back.stdout)")
            // The toolkit's files are untouched, and forward again is the usual rollback.
            #expect(try await text(client, "taken-over", "3f2a9c1/index.html") == "<p>toolkit</p>")
            let forward = try await h.run(["rollback"] + common, environment: moto.environment)
            #expect(forward.status == 0, "\(forward.stderr)")
            #expect(try await text(client, "taken-over", "_sitebuild/live") == ours)
            // The toolkit's placeholder page named as the pointer is not overwritten.
            try h.write("site/index.html", "<p>sitebuild 2</p>")
            let placeholder = try await h.run(["deploy", "site", "--pointer", "s3://taken-over/index.html"] + common, environment: moto.environment)
            #expect(placeholder.status == 2 && placeholder.stderr.contains("which is not a version id"), "\(placeholder.stderr)")
            #expect(try await text(client, "taken-over", "index.html") == "<p>deploying</p>")
            let inVersion = try await h.run(["deploy", "site", "--pointer", "s3://taken-over/3f2a9c1/index.html"] + common,
                                            environment: moto.environment)
            #expect(inVersion.status == 2 && inVersion.stderr.contains("which is not a version id"), "\(inVersion.stderr)")
            #expect(try await text(client, "taken-over", "3f2a9c1/index.html") == "<p>toolkit</p>")
            let inOurs = try await h.run(["deploy", "site", "--pointer", "s3://taken-over/\(ours)/index.html"] + common,
                                         environment: moto.environment)
            #expect(inOurs.status == 2 && inOurs.stderr.contains("inside the version folder \(ours)/"), "\(inOurs.stderr)")
            // A preview's --pointer with the distribution of the settings file: the invalidation says so.
            try h.write("sitebuild.yml", "target: s3://taken-over\ndistribution: \(distribution)\n")
            let preview = try await h.run(["deploy", "site", "--pointer", "s3://taken-over/_sitebuild/live-pr-7"], environment: moto.environment)
            #expect(preview.status == 0 && preview.stderr.contains("note: invalidating \(distribution) (from ")
                    && preview.stderr.contains("pass --invalidate never for this one"), "\(preview.stderr)")
            let quiet = try await h.run(["deploy", "site", "--pointer", "s3://taken-over/_sitebuild/live-pr-7", "--invalidate", "never"],
                                        environment: moto.environment)
            #expect(quiet.status == 0 && !quiet.stderr.contains("note: invalidating"), "\(quiet.stderr)")
        }
    }

    /// A folder of the target that holds `_sitebuild/` is another sitebuild target (here
    /// `s3://nested/site/docs` beside `s3://nested/site`), not a version another tool uploaded:
    /// `rollback docs` refuses it (exit 2), since made live it would serve that site's raw
    /// storage and release records, and `versions` never calls it another tool's.
    @Test func rollbackNeverMakesAnotherSitebuildTargetLive() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("nested")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>site</p>")
            try h.write("docs/index.html", "<p>docs</p>")
            for (directory, target) in [("site", "s3://nested/site"), ("docs", "s3://nested/site/docs")] {
                let deploy = try await h.run(["deploy", directory, "--target", target], environment: moto.environment)
                #expect(deploy.status == 0, "\(deploy.stderr)")
            }
            let live = try await text(client, "nested", "site/_sitebuild/live")
            let refused = try await h.run(["rollback", "docs", "--target", "s3://nested/site"], environment: moto.environment)
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("docs on s3://nested/site/ is not a version: its folder holds another target's (or watcher's) "
                + "state, s3://nested/site/docs/_sitebuild/"), "\(refused.stderr)")
            #expect(!refused.stderr.contains("has no sitebuild manifest"), "\(refused.stderr)")
            #expect(try await text(client, "nested", "site/_sitebuild/live") == live)
            // Made live by an older sitebuild: `versions` says what it is.
            _ = try await client.putObject(bucket: "nested", key: "site/_sitebuild/live", body: .bytes(Array("docs".utf8)))
            let versions = try await h.run(["versions", "--target", "s3://nested/site"], environment: moto.environment)
            #expect(versions.status == 0, "\(versions.stderr)")
            #expect(versions.stderr.contains("docs on s3://nested/site/ is no version: its folder holds another target's"), "\(versions.stderr)")
            #expect(!versions.stderr.contains("uploaded by another tool"), "\(versions.stderr)")
        }
    }

    /// The toolkit's S3 mode names a version after its ZIP (`release+2`, `site (1)`): not an id a
    /// deploy may choose, but rollback goes back to one that is on the target.
    @Test func rollbackGoesBackToAToolkitVersionNamedAfterItsZip() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("zip-named")
            for version in ["release+2", "site (1)"] {
                _ = try await client.putObject(bucket: "zip-named", key: "\(version)/index.html", body: .bytes(Array("<p>\(version)</p>".utf8)))
            }
            _ = try await client.putObject(bucket: "zip-named", key: "_sitebuild/live", body: .bytes(Array("release+2".utf8)))
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>sitebuild</p>")
            let common = ["--target", "s3://zip-named", "--json"]
            let deploy = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(deploy.status == 0 && result(deploy)["previous"] as? String == "release+2", "\(deploy.stderr)")

            let back = try await h.run(["rollback"] + common, environment: moto.environment)
            #expect(back.status == 0, "\(back.stderr)")
            #expect(back.stderr.contains("release+2 has no sitebuild manifest"), "\(back.stderr)")
            #expect(try await text(client, "zip-named", "_sitebuild/live") == "release+2")
            let named = try await h.run(["rollback", "site (1)"] + common, environment: moto.environment)
            #expect(named.status == 0 && result(named)["version"] as? String == "site (1)", "\(named.stderr)")
            #expect(try await text(client, "zip-named", "_sitebuild/live") == "site (1)")
            // Still never a path, nor a version that is not there.
            for (wanted, message) in [("site (1)/index.html", "cannot name a version"), ("..", "cannot name a version"),
                                      ("release+3", "version release+3 does not exist")] {
                let refused = try await h.run(["rollback", wanted] + common, environment: moto.environment)
                #expect(refused.status == 2 && refused.stderr.contains(message), "\(wanted): \(refused.stderr)")
            }
            #expect(try await text(client, "zip-named", "_sitebuild/live") == "site (1)")
            // A new id keeps the strict rule.
            let strict = try await h.run(["deploy", "site", "--version-id", "release+4"] + common, environment: moto.environment)
            #expect(strict.status == 2 && strict.stderr.contains("not a valid version id"), "\(strict.stderr)")
        }
    }

    @Test func aFlipInvalidatesOnlyTheChangedURLsUnlessTheKeyValueStoreRoutesVersions() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("cdn-site")
            let cloudFront = CloudFrontClient(credentials: moto.credentials, environment: moto.environment)
            let distribution = try await cloudFront.createDistribution(
                configXML: minimalDistributionConfig(callerReference: "e2e", originDomain: "cdn-site.s3.us-east-1.amazonaws.com")).id
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>home</p>")
            try h.write("site/docs/index.html", "<p>docs</p>")
            try h.write("site/logo.svg", "<svg/>")
            let common = ["--target", "s3://cdn-site", "--distribution", distribution, "--json"]
            let first = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            // No earlier version to compare with: everything.
            #expect(first.stdout.contains(#""paths":["/*"]"#), "\(first.stdout)")

            try h.write("site/docs/index.html", "<p>docs 2</p>")
            let dryRun = try await h.run(["deploy", "site", "--dry-run"] + common, environment: moto.environment)
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stdout.contains(#""status":"PLANNED""#), "\(dryRun.stdout)")
            let before = try await cloudFront.listInvalidations(distributionId: distribution)

            let second = try await h.run(["deploy", "site", "--wait"] + common, environment: moto.environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains(#""status":"COMPLETED""#), "\(second.stdout)")
            let after = try await cloudFront.listInvalidations(distributionId: distribution)
            #expect(after.count == before.count + 1, "the dry run must not invalidate")
            let newest = try #require(after.first { item in !before.contains { $0.id == item.id } })
            let paths = Set(try await cloudFront.getInvalidation(distributionId: distribution, id: newest.id).paths)
            #expect(paths == ["/docs", "/docs/", "/docs/index.html", "/docs.html"], "\(paths)")

            // never: nothing sent.
            try h.write("site/logo.svg", "<svg></svg>")
            let never = try await h.run(["deploy", "site", "--invalidate", "never"] + common, environment: moto.environment)
            #expect(never.status == 0, "\(never.stderr)")
            #expect(try await cloudFront.listInvalidations(distributionId: distribution).count == after.count)
            let bad = try await h.run(["deploy", "site", "--invalidate", "sometimes"] + common, environment: moto.environment)
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("--invalidate sometimes"))

            // Already live: --invalidate always sends again what the flip to it changed (a rerun
            // after an invalidation that failed or was cut off).
            let live = try await text(client, "cdn-site", "_sitebuild/live")
            let sent = try await cloudFront.listInvalidations(distributionId: distribution).count
            let again = try await h.run(["deploy", "site", "--invalidate", "always"] + common, environment: moto.environment)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stderr.contains("--invalidate always: \(live) is already live"), "\(again.stderr)")
            #expect(again.stdout.contains(#""paths":["/logo.svg"]"#), "\(again.stdout)")
            #expect(try await cloudFront.listInvalidations(distributionId: distribution).count == sent + 1)
            // A dry run of the same only plans it.
            let plannedAgain = try await h.run(["deploy", "site", "--invalidate", "always", "--dry-run"] + common, environment: moto.environment)
            #expect(plannedAgain.status == 0, "\(plannedAgain.stderr)")
            #expect(plannedAgain.stdout.contains(#""status":"PLANNED""#) && plannedAgain.stdout.contains(#""paths":["/logo.svg"]"#),
                    "\(plannedAgain.stdout)")
            #expect(try await cloudFront.listInvalidations(distributionId: distribution).count == sent + 1, "the dry run invalidated")

            // An spa: its index.html answers every route, so a rollback (run without --mode: the
            // version's manifest says how it was routed) invalidates everything.
            try h.write("app/index.html", "<p>app 1</p>")
            let spa = ["--target", "s3://cdn-site/app", "--distribution", distribution, "--json"]
            // First deployed without --mode, then again as an spa: the version id does not depend on
            // the mode, so its manifest says static; the release records say how each flip served it.
            #expect(try await h.run(["deploy", "app"] + spa, environment: moto.environment).status == 0)
            #expect(try await h.run(["deploy", "app", "--mode", "spa"] + spa, environment: moto.environment).status == 0)
            try h.write("app/index.html", "<p>app 2</p>")
            #expect(try await h.run(["deploy", "app", "--mode", "spa"] + spa, environment: moto.environment).status == 0)
            let spaBack = try await h.run(["rollback"] + spa, environment: moto.environment)
            #expect(spaBack.status == 0, "\(spaBack.stderr)")
            #expect(spaBack.stdout.contains(#""paths":["/*"]"#), "\(spaBack.stdout)")

            // Another routing answers unchanged files' URLs otherwise (`/docs` is the docs page in
            // static mode, the app's index.html in spa mode): a flip between routings invalidates
            // everything, index.html changed or not, and so does the rollback that undoes it.
            try h.write("modes/index.html", "<p>home</p>")
            try h.write("modes/docs/index.html", "<p>docs</p>")
            try h.write("modes/a.css", "a{}")
            let modes = ["--target", "s3://cdn-site/modes", "--distribution", distribution, "--json"]
            #expect(try await h.run(["deploy", "modes"] + modes, environment: moto.environment).status == 0)
            try h.write("modes/a.css", "a{color:red}")
            let toSpa = try await h.run(["deploy", "modes", "--mode", "spa"] + modes, environment: moto.environment)
            #expect(toSpa.status == 0, "\(toSpa.stderr)")
            #expect(toSpa.stdout.contains(#""paths":["/*"]"#), "\(toSpa.stdout)")
            #expect(toSpa.stderr.contains("is served with routing spa") && toSpa.stderr.contains(" was with static"),
                    "\(toSpa.stderr)")
            // The flip is said when it is made, before its invalidation; the result comes last.
            let flipSaid = try #require(toSpa.stderr.range(of: "live version is now "), "\(toSpa.stderr)")
            let invalidationSaid = try #require(toSpa.stderr.range(of: " path(s) on \(distribution) ("), "\(toSpa.stderr)")
            #expect(flipSaid.lowerBound < invalidationSaid.lowerBound, "\(toSpa.stderr)")
            #expect(toSpa.stderr.components(separatedBy: "live version is now ").count == 2, "said once: \(toSpa.stderr)")
            #expect(toSpa.stdout.split(separator: "\n").last?.contains(#""event":"result""#) == true, "\(toSpa.stdout)")
            let modesBack = try await h.run(["rollback"] + modes, environment: moto.environment)
            #expect(modesBack.status == 0, "\(modesBack.stderr)")
            #expect(modesBack.stdout.contains(#""paths":["/*"]"#), "\(modesBack.stdout)")
            // The same routing again: only what changed.
            try h.write("modes/a.css", "a{color:blue}")
            let same = try await h.run(["deploy", "modes"] + modes, environment: moto.environment)
            #expect(same.status == 0, "\(same.stderr)")
            #expect(same.stdout.contains(#""paths":["/a.css"]"#), "\(same.stdout)")

            // A distribution that does not exist (a typo): found before anything is uploaded.
            try h.write("site/logo.svg", "<svg>3</svg>")
            let objects = try await keys(client, "cdn-site").count
            let typo = try await h.run(["deploy", "site", "--target", "s3://cdn-site", "--distribution", "EBOGUS123", "--json"],
                                       environment: moto.environment)
            #expect(typo.status == 2, "\(typo.stderr)")
            #expect(typo.stderr.contains("the CloudFront distribution EBOGUS123 does not exist"), "\(typo.stderr)")
            #expect(try await keys(client, "cdn-site").count == objects, "nothing uploaded")
            #expect(try await text(client, "cdn-site", "_sitebuild/live") == live)
            // run finds it before the build, not after.
            try h.write("proj/buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ../built && mkdir -p out && echo x > out/index.html\n"
                + "artifacts:\n  base-directory: out\n  files: ['**/*']\n")
            let typoRun = try await h.run(["run", "--source", "proj", "--target", "s3://cdn-site", "--distribution", "EBOGUS123"],
                                          environment: moto.environment)
            #expect(typoRun.status == 2, "\(typoRun.stderr)")
            #expect(typoRun.stderr.contains("the CloudFront distribution EBOGUS123 does not exist"), "\(typoRun.stderr)")
            #expect(!h.exists("built") && !typoRun.stdout.contains("Entering phase"), "the build ran")
            // One that exists but refuses the invalidation: the version still goes live, and the
            // run says exactly that (exit 3, result INVALIDATION_FAILED, how to invalidate).
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL,
                                                refuse: (method: "POST", pathContains: "/invalidation", status: 403, code: "AccessDenied"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let failing = try await h.run(["deploy", "site"] + common, environment: proxied)
            #expect(failing.status == 3, "\(failing.stderr)")
            #expect(failing.stdout.contains(#""status":"INVALIDATION_FAILED""#), "\(failing.stdout)")
            #expect(failing.stderr.contains("is live, but the CloudFront invalidation failed"), "\(failing.stderr)")
            #expect(failing.stderr.contains("the next deploy (or this one run again) sends it"))
            #expect(!failing.stderr.contains("sitebuild rollback"))
            let liveNow = try await text(client, "cdn-site", "_sitebuild/live")
            #expect(failing.stdout.contains(#""version":"\#(liveNow)""#))
            // CloudFront busy (TooManyInvalidationsInProgress): the rerun that sends what is owed
            // retries it only as --wait-timeout allows, in the invalidator's own backoff (its first
            // wait, 2.5 s or more, is past 2 s); the HTTP layer does not also retry it unbounded.
            let busy = try FaultInjectingProxy(upstream: moto.baseURL,
                                               refuse: (method: "POST", pathContains: "/invalidation", status: 400, code: "TooManyInvalidationsInProgress"))
            defer { busy.stop() }
            var throttled = moto.environment
            throttled["AWS_ENDPOINT_URL"] = busy.baseURL
            let waiting = try await h.run(["deploy", "site", "--wait", "--wait-timeout", "2s"] + common, environment: throttled)
            #expect(waiting.status == 3, "\(waiting.stderr)")
            #expect(try await busy.stats().refused == 1, "\(waiting.stderr)")
        }
    }

    /// An invalidation CloudFront refused (or a run cut off before sending it) is recorded as
    /// owed: a rerun of the same deploy sends it, and so does the next flip, with its own paths.
    @Test func anInvalidationThatFailedIsSentByTheRerunOrTheNextFlip() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("owed-site")
            let cloudFront = CloudFrontClient(credentials: moto.credentials, environment: moto.environment)
            let distribution = try await cloudFront.createDistribution(
                configXML: minimalDistributionConfig(callerReference: "owed", originDomain: "owed-site.s3.us-east-1.amazonaws.com")).id
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL,
                                                refuse: (method: "POST", pathContains: "/invalidation", status: 403, code: "AccessDenied"))
            defer { proxy.stop() }
            var refusing = moto.environment
            refusing["AWS_ENDPOINT_URL"] = proxy.baseURL
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>home</p>")
            try h.write("site/style.css", "a{}")
            try h.write("site/logo.svg", "<svg/>")
            let common = ["--target", "s3://owed-site", "--distribution", distribution, "--json"]
            #expect(try await h.run(["deploy", "site"] + common, environment: moto.environment).status == 0)
            let unchangedBefore = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(unchangedBefore.status == 0 && sentPaths(unchangedBefore) == nil, "\(unchangedBefore.stdout)")

            // style.css changes; CloudFront refuses its invalidation.
            try h.write("site/style.css", "a{color:red}")
            let refused = try await h.run(["deploy", "site"] + common, environment: refusing)
            #expect(refused.status == 3 && refused.stderr.contains("the CloudFront invalidation failed"), "\(refused.stderr)")
            #expect(refused.stderr.contains("the next deploy (or this one run again) sends it"), "\(refused.stderr)")
            // The identical rerun sends it (auto, the version already live).
            let rerun = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stderr.contains("was never invalidated on \(distribution)"), "\(rerun.stderr)")
            #expect(sentPaths(rerun) == ["/style.css"], "\(rerun.stdout)")
            // Sent: owed no more, and a no-change deploy is back to sending nothing.
            let settled = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(settled.status == 0 && sentPaths(settled) == nil && !settled.stdout.contains(#""event":"invalidation""#), "\(settled.stdout)")
            #expect(result(settled)["requests"] as? Int == result(unchangedBefore)["requests"] as? Int, "\(settled.stdout)")

            // Refused again; then index.html changes and CloudFront accepts: both are invalidated.
            try h.write("site/style.css", "a{color:blue}")
            #expect(try await h.run(["deploy", "site"] + common, environment: refusing).status == 3)
            try h.write("site/index.html", "<p>home 2</p>")
            let next = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(next.status == 0, "\(next.stderr)")
            #expect(sentPaths(next) == ["/", "/index.html", "/style.css"], "\(next.stdout)")

            // A rollback whose invalidation was refused leaves it owed too: the deploy back sends
            // what either version may have left cached.
            let back = try await h.run(["rollback"] + common, environment: refusing)
            #expect(back.status == 3, "\(back.stderr)")
            #expect(back.stderr.contains("the next deploy or rollback through this pointer sends it"), "\(back.stderr)")
            let forward = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(forward.status == 0 && forward.stderr.contains("was never invalidated"), "\(forward.stderr)")
            #expect(sentPaths(forward) == ["/", "/index.html"], "\(forward.stdout)")
            #expect(try await keys(client, "owed-site", prefix: "_sitebuild/invalidations/").isEmpty)

            // rollback VERSION of the version already live: nothing with auto, what the flip to it
            // changed with always, and what is owed, as deploy does.
            let live = try await text(client, "owed-site", "_sitebuild/live")
            let quiet = try await h.run(["rollback", live] + common, environment: moto.environment)
            #expect(quiet.status == 0 && quiet.stderr.contains("already live; nothing changed") && sentPaths(quiet) == nil, "\(quiet.stderr)")
            let always = try await h.run(["rollback", live, "--invalidate", "always"] + common, environment: moto.environment)
            #expect(always.status == 0 && always.stderr.contains("--invalidate always: invalidating what its flip from"), "\(always.stderr)")
            #expect(sentPaths(always) == ["/", "/index.html"], "\(always.stdout)")
            let earlier = try #require(result(back)["version"] as? String)
            #expect(try await h.run(["rollback", earlier] + common, environment: refusing).status == 3)
            let owedBack = try await h.run(["rollback", earlier] + common, environment: moto.environment)
            #expect(owedBack.status == 0 && owedBack.stderr.contains("was never invalidated"), "\(owedBack.stderr)")
            #expect(sentPaths(owedBack) == ["/", "/index.html"], "\(owedBack.stdout)")
            #expect(try await keys(client, "owed-site", prefix: "_sitebuild/invalidations/").isEmpty)

            // Two deploys at once: A's invalidation is accepted late (its answer held), after B
            // flipped and B's was refused. A settling must not take B's record with it.
            let holding = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "POST", pathContains: "/invalidation"))
            defer { holding.stop() }
            var held = moto.environment
            held["AWS_ENDPOINT_URL"] = holding.baseURL
            try h.write("a/index.html", "<p>a</p>")
            try h.write("b/index.html", "<p>b</p>")
            let (processA, outA, errA) = try h.start(["deploy", "a"] + common, environment: held)
            let waitStarted = ContinuousClock.now
            while processA.isRunning, try await holding.stats().answersHeld == 0, ContinuousClock.now - waitStarted < .seconds(120) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let refusedB = try await h.run(["deploy", "b"] + common, environment: refusing)
            #expect(refusedB.status == 3, "\(refusedB.stderr)")
            try await holding.releaseAnswer()
            let settledA = await CLIHarness.collectOffPool(processA, outA, errA)
            #expect(settledA.status == 0, "\(settledA.stderr)")
            #expect(try await keys(client, "owed-site", prefix: "_sitebuild/invalidations/").count == 1, "B's record was removed by A")
            let rerunB = try await h.run(["deploy", "b"] + common, environment: moto.environment)
            #expect(rerunB.status == 0 && rerunB.stderr.contains("was never invalidated"), "\(rerunB.stderr)")
            #expect(sentPaths(rerunB) != nil, "\(rerunB.stdout)")

            // Interrupted while CloudFront's answer to the invalidation is awaited: it may have
            // been taken, so the deploy does not say none was sent, and it stays owed.
            let holdingC = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "POST", pathContains: "/invalidation"))
            defer { holdingC.stop() }
            var heldC = moto.environment
            heldC["AWS_ENDPOINT_URL"] = holdingC.baseURL
            try h.write("c/index.html", "<p>c</p>")
            let (processC, outC, errC) = try h.start(["deploy", "c"] + common, environment: heldC)
            let waitStartedC = ContinuousClock.now
            while processC.isRunning, try await holdingC.stats().answersHeld == 0, ContinuousClock.now - waitStartedC < .seconds(120) {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(processC.processIdentifier, SIGINT)
            let interruptedC = await CLIHarness.collectOffPool(processC, outC, errC)
            #expect(interruptedC.status == 130, "\(interruptedC.stderr)")
            #expect(interruptedC.stderr.contains("none was confirmed") && !interruptedC.stderr.contains("none was sent"), "\(interruptedC.stderr)")
            #expect(try await keys(client, "owed-site", prefix: "_sitebuild/invalidations/").count == 1)
            try await holdingC.releaseAnswer()
        }
    }

    /// A deploy or rollback killed outright (kill -9, a lost runner) the moment its pointer moved,
    /// before anything after the flip: what the flip changed may be cached, and was never
    /// invalidated. The flip recorded what it owes just before moving the pointer, so the next
    /// run through the pointer sends it, a rerun of the version now live too (a killed rollback
    /// leaves no pending marker that would tell the rerun otherwise).
    @Test func aFlipKilledBeforeItsInvalidationIsInvalidatedByTheNextRun() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("killed-flip")
            let cloudFront = CloudFrontClient(credentials: moto.credentials, environment: moto.environment)
            let distribution = try await cloudFront.createDistribution(
                configXML: minimalDistributionConfig(callerReference: "killed-flip", originDomain: "killed-flip.s3.us-east-1.amazonaws.com")).id
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            try h.write("site/style.css", "a{}")
            try h.write("site/logo.svg", "<svg/>")
            let common = ["--target", "s3://killed-flip", "--distribution", distribution, "--json"]
            /// Runs `arguments` through a proxy that holds the answer to the pointer's write (S3 has
            /// made it), and kills the command there.
            func killedAtItsFlip(_ arguments: [String]) async throws {
                let proxy = try FaultInjectingProxy(upstream: moto.baseURL, holdAnswerOf: (method: "PUT", pathContains: "/_sitebuild/live"))
                defer { proxy.stop() }
                var proxied = moto.environment
                proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
                let (process, _, _) = try h.start(arguments, environment: proxied)
                let waitStarted = ContinuousClock.now
                while process.isRunning, try await proxy.stats().answersHeld == 0, ContinuousClock.now - waitStarted < .seconds(120) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(process.isRunning, "the command ended before its flip's answer: \(arguments)")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let first = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(first.status == 0, "\(first.stderr)")
            let v1 = try #require(result(first)["version"] as? String)
            try h.write("site/index.html", "<p>two</p>")
            let second = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(second.status == 0 && sentPaths(second) == ["/", "/index.html"], "\(second.stdout)")

            // A rollback killed as its pointer moved: v1 is live, v2's index.html may be cached.
            try await killedAtItsFlip(["rollback"] + common)
            #expect(try await text(client, "killed-flip", "_sitebuild/live") == v1)
            #expect(try await keys(client, "killed-flip", prefix: "_sitebuild/invalidations/").count == 1)
            let rerun = try await h.run(["rollback", v1] + common, environment: moto.environment)
            #expect(rerun.status == 0 && rerun.stderr.contains("was never invalidated"), "\(rerun.stderr)")
            #expect(sentPaths(rerun) == ["/", "/index.html"], "\(rerun.stdout)")
            #expect(try await keys(client, "killed-flip", prefix: "_sitebuild/invalidations/").isEmpty)
            // Paid: the next rerun sends nothing.
            let quiet = try await h.run(["rollback", v1] + common, environment: moto.environment)
            #expect(quiet.status == 0 && sentPaths(quiet) == nil && quiet.stderr.contains("nothing changed"), "\(quiet.stderr)")

            // A deploy killed the same way: its rerun sends what the flip changed.
            try h.write("site/style.css", "a{color:red}")
            try await killedAtItsFlip(["deploy", "site"] + common)
            let deployRerun = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(deployRerun.status == 0, "\(deployRerun.stderr)")
            #expect(sentPaths(deployRerun) == ["/", "/index.html", "/style.css"], "\(deployRerun.stdout)")
            #expect(try await keys(client, "killed-flip", prefix: "_sitebuild/invalidations/").isEmpty)
        }
    }

    @Test func badTargetsAndPointersAreUsageErrorsNamingTheFlag() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "x")
        let cases: [([String], String)] = [
            (["--target", "s3://Bad_Bucket"], "--target s3://Bad_Bucket"),
            (["--target", "s3://ok-bucket", "--pointer", "dynamodb://x#k"], "--pointer dynamodb://x#k"),
            (["--target", "s3://ok-bucket", "--pointer", "cloudfront-kvs://not-an-arn"], "not a CloudFront KeyValueStore ARN"),
            (["--target", "s3://ok-bucket", "--pointer", "s3://ok-bucket"], "name the pointer object"),
            // An unset variable (`#$SITE`) must not fall back to the toolkit's key, another site's.
            (["--target", "s3://ok-bucket", "--pointer", "dynamodb://pointers#"], "the key after '#' is empty"),
            (["--target", "s3://ok-bucket", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::123456789012:key-value-store/0c2a5b4e-1234-4d5e-9f00-abcdef012345#"],
             "the key after '#' is empty"),
            (["--target", "ftp://x"], "unknown URL scheme"),
            // A slash short: a URL, not a local folder named `s3:` (a green deploy that never reached AWS).
            (["--target", "s3:/ok-bucket/site"], "--target s3:/ok-bucket/site: s3: is a URL scheme but '//' is missing"),
            (["--target", "s3://ok-bucket", "--pointer", "dynamodb:/pointers#prod"], "--pointer dynamodb:/pointers#prod: dynamodb: is a URL scheme"),
            (["--target", "s3://ok-bucket", "--pointer", "dynamodb:pointers#prod"], "--pointer dynamodb:pointers#prod: dynamodb: is a URL scheme"),
            (["--target", "s3:ok-bucket/site"], "--target s3:ok-bucket/site: s3: is a URL scheme but '//' is missing"),
            // Keys the viewer-request function could never read: refused before any flip.
            (["--target", "s3://ok-bucket", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::123456789012:key-value-store/0c2a5b4e-1234-4d5e-9f00-abcdef012345#__preview"],
             "pointer key '__preview': the function reads a key starting with '__' as unset"),
            (["--target", "s3://ok-bucket", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::123456789012:key-value-store/0c2a5b4e-1234-4d5e-9f00-abcdef012345#it's"],
             "pointer key 'it's': use 1 to 512 bytes without single quotes (')"),
            (["--target", "s3://ok-bucket", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::123456789012:key-value-store/bad_id#k"],
             "not a CloudFront KeyValueStore ARN"),
        ]
        for (arguments, expected) in cases {
            let run = try h.run(["deploy", "site"] + arguments, environment: ["AWS_REGION": "us-east-1"])
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(expected), "\(arguments): \(run.stderr)")
        }
        #expect(!h.exists("s3:") && !h.exists("dynamodb:") && !h.exists("s3:ok-bucket") && !h.exists("dynamodb:pointers#prod"))
    }

    /// `sitebuild` with `ulimit -n limit` (soft and hard; `-S`: soft only) set by a shell.
    func runLimited(_ h: CLIHarness, _ limit: String, _ arguments: [String], environment: [String: String]) async throws -> CLIHarness.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -n \(limit) && exec \"$0\" \"$@\"", CLIHarness.binary] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return await CLIHarness.collectOffPool(process, out, err)
    }

    /// A low open-file limit: an S3 deploy crashed without a word (SIGILL in libdispatch at 48,
    /// curl's event loop's fatal error at 16), as it opened 128 connections whatever the limit.
    /// Now a soft limit under the hard one is raised, fewer connections are used under a low
    /// one, and one too low for any is refused naming `ulimit -n`.
    @Test func aLowOpenFileLimitScalesTheConnectionsDownOrIsRefusedByName() async throws {
        try await withMotoServer { moto in
            try await s3(moto).createBucket("limited")
            let h = try CLIHarness()
            for i in 0..<300 { try h.write("site/p\(i).html", "<p>\(i)</p>") }
            let low = try await runLimited(h, "48", ["deploy", "site", "--target", "s3://limited/low"], environment: moto.environment)
            #expect(low.status == 0, "\(low.stderr)")
            #expect(low.stderr.contains("uploaded 300 object(s)"), "\(low.stderr)")
            let soft = try await runLimited(h, "-S 20", ["deploy", "site", "--target", "s3://limited/soft"], environment: moto.environment)
            #expect(soft.status == 0, "\(soft.stderr)")
            let tooLow = try await runLimited(h, "16", ["deploy", "site", "--target", "s3://limited/none"], environment: moto.environment)
            #expect(tooLow.status == 2, "\(tooLow.stderr)")
            #expect(tooLow.stderr.contains("the open-file limit is 16") && tooLow.stderr.contains("ulimit -n"), "\(tooLow.stderr)")
            #expect(!tooLow.stderr.contains("Fatal error"), "\(tooLow.stderr)")
            #expect(try await keys(s3(moto), "limited", prefix: "none/").isEmpty)
        }
    }

    /// Three deploys through a bucket that refuses every delete (a bucket policy: DeleteObjects
    /// answers 200 with a per-key AccessDenied). Each deploy said nothing while its pending
    /// marker stayed; prune then kept the oldest version "because a deploy started writing it"
    /// and exited 0, leaving its deleting marker; a rollback to that intact version flipped
    /// production, found the marker and flipped back. Now each deploy warns, prune knows a
    /// leftover pending marker (a flip to the version came after it) and fails naming its
    /// marker, and the rollback is refused before any flip.
    @Test func deletesRefusedByPolicyAreReportedAndNeverFlipProductionTwice() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("nodel")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, denyDelete: (keyPattern: ".", code: "AccessDenied"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let h = try CLIHarness()
            let target = ["--target", "s3://nodel/site"]
            var versions: [String] = []
            for n in 1...3 {
                try h.write("dist/index.html", "<p>\(n)</p>")
                let deployed = try await h.run(["deploy", "dist", "--json"] + target, environment: proxied)
                #expect(deployed.status == 0, "\(deployed.stderr)")
                versions.append(try #require(result(deployed)["version"] as? String))
                #expect(deployed.stderr.contains("warning: the pending marker of version \(versions[n - 1]) stays on s3://nodel/site/ "
                    + "(cannot delete s3://nodel/site/_sitebuild/pending/\(versions[n - 1]).json: AccessDenied"), "\(deployed.stderr)")
            }
            let prune = try await h.run(["prune", "--keep", "0", "--grace", "0s"] + target, environment: proxied)
            #expect(prune.status == 3, "\(prune.stderr)")
            #expect(!prune.stderr.contains("a deploy started writing it"), "\(prune.stderr)")
            #expect(prune.stderr.contains("version \(versions[0]) is kept (cannot delete s3://nodel/site/_sitebuild/manifests/\(versions[0]).json: "
                + "AccessDenied"), "\(prune.stderr)")
            #expect(prune.stderr.contains("but this prune's deleting marker _sitebuild/deleting/\(versions[0])/"), "\(prune.stderr)")
            #expect(try await keys(client, "nodel", prefix: "site/\(versions[0])/").count == 1)
            let releases = try await keys(client, "nodel", prefix: "site/_sitebuild/releases/").count
            let rollback = try await h.run(["rollback", versions[0]] + target, environment: proxied)
            #expect(rollback.status == 3, "\(rollback.stderr)")
            #expect(rollback.stderr.contains("version \(versions[0]) is being deleted by a prune") && rollback.stderr.contains("nothing was changed"),
                    "\(rollback.stderr)")
            // Refused before the flip: production was never on the version, no undo record.
            #expect(try await keys(client, "nodel", prefix: "site/_sitebuild/releases/").count == releases)
            #expect(try await text(client, "nodel", "site/_sitebuild/live") == versions[2])
        }
    }

    /// Only the manifest's delete refused (a policy, or a per-key InternalError): prune failed,
    /// nothing of the version was deleted, yet its deleting marker stayed and refused rollbacks to
    /// it for an hour. Now the marker goes with the failure, and the rollback works.
    @Test func aPruneThatDeletesNothingOfAVersionTakesItsMarkerAway() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("nomanifest")
            let h = try CLIHarness()
            let target = ["--target", "s3://nomanifest/site"]
            var versions: [String] = []
            for n in 1...3 {
                try h.write("dist/index.html", "<p>\(n)</p>")
                let deployed = try await h.run(["deploy", "dist", "--json"] + target, environment: moto.environment)
                #expect(deployed.status == 0, "\(deployed.stderr)")
                versions.append(try #require(result(deployed)["version"] as? String))
            }
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, denyDelete: (keyPattern: "/manifests/", code: "InternalError"))
            defer { proxy.stop() }
            var proxied = moto.environment
            proxied["AWS_ENDPOINT_URL"] = proxy.baseURL
            let prune = try await h.run(["prune", "--keep", "0", "--grace", "0s"] + target, environment: proxied)
            #expect(prune.status == 3, "\(prune.stderr)")
            #expect(prune.stderr.contains("cannot delete s3://nomanifest/site/_sitebuild/manifests/\(versions[0]).json: InternalError"),
                    "\(prune.stderr)")
            #expect(try await keys(client, "nomanifest", prefix: "site/_sitebuild/deleting/").isEmpty)
            #expect(try await keys(client, "nomanifest", prefix: "site/\(versions[0])/").count == 1)
            let rollback = try await h.run(["rollback", versions[0]] + target, environment: moto.environment)
            #expect(rollback.status == 0, "\(rollback.stderr)")
            #expect(try await text(client, "nomanifest", "site/_sitebuild/live") == versions[0])
        }
    }

    /// Moves objects to `storageClass` as a lifecycle rule does: each copied onto itself in
    /// that class (boto3, which moto_server brings; S3Client writes no storage class).
    func moveToStorageClass(_ moto: MotoServer, bucket: String, keys: [String], _ storageClass: String) throws {
        let script = "import boto3, sys\n"
            + "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n"
            + "for key in sys.argv[4:]:\n"
            + "    s3.copy_object(Bucket=sys.argv[2], Key=key, CopySource={'Bucket': sys.argv[2], 'Key': key}, StorageClass=sys.argv[3], MetadataDirective='COPY')\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, moto.baseURL, bucket, storageClass] + keys
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "boto3 copy to \(storageClass) failed")
    }

    /// An INTELLIGENT_TIERING object in an archive tier (played by the proxy: moto has no tiers)
    /// is served only once restored, yet the listing names only its class: doctor called the
    /// version complete and rollback made it live. Now those two (and --repair) HEAD the
    /// Intelligent-Tiering objects of the version and count one in an archive tier as missing,
    /// naming the tier; one in a tier that serves (no archive status) is not. A deploy copying
    /// from it gets InvalidObjectState and uploads the file instead.
    @Test func intelligentTieringObjectsInAnArchiveTierAreNamedAndRefused() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("tiered")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            try h.write("site/a.txt", "kept")
            try h.write("site/b.txt", "also kept")
            let common = ["--target", "s3://tiered/w", "--json"]
            let first = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            let v1 = try #require(result(first)["version"] as? String, "\(first.stderr)")
            try moveToStorageClass(moto, bucket: "tiered", keys: ["w/\(v1)/a.txt", "w/\(v1)/b.txt"], "INTELLIGENT_TIERING")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, archiveTier: (keyPattern: "/\(v1)/a\\.txt$", status: "DEEP_ARCHIVE_ACCESS"))
            defer { proxy.stop() }
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL

            let doctor = try await h.run(["doctor", "--target", "s3://tiered/w"], environment: environment)
            #expect(doctor.status == 3, "\(doctor.stdout)")
            #expect(doctor.stdout.contains("1 of its 3 objects (a.txt) are missing on the target (1 in the INTELLIGENT_TIERING "
                + "(DEEP_ARCHIVE_ACCESS tier) storage class"), "\(doctor.stdout)")

            try h.write("site/index.html", "<p>two</p>")
            let second = try await h.run(["deploy", "site"] + common, environment: environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("w/\(v1)/a.txt is in an archive storage class (InvalidObjectState): uploading a.txt"),
                    "\(second.stderr)")
            let v2 = try #require(result(second)["version"] as? String)
            #expect(try await text(client, "tiered", "w/\(v2)/a.txt") == "kept")

            let back = try await h.run(["rollback"] + common, environment: environment)
            #expect(back.status == 3, "\(back.stderr)")
            #expect(back.stderr.contains("version \(v1) is missing 1 of its 3 objects (a.txt) on s3://tiered/w/ (1 in the "
                + "INTELLIGENT_TIERING (DEEP_ARCHIVE_ACCESS tier) storage class"), "\(back.stderr)")
            #expect(try await text(client, "tiered", "w/_sitebuild/live") == v2)
        }
    }

    /// Objects a lifecycle rule moved to GLACIER or DEEP_ARCHIVE (which S3 serves only once
    /// restored): a deploy copying unchanged files from the live version failed with
    /// InvalidObjectState (moto: ObjectNotInActiveTierError), while doctor called the version
    /// complete and rollback made it live. Now the deploy uploads them from disk, doctor and
    /// rollback count them as missing and name the storage class, and a deploy of the version's
    /// content puts them back. GLACIER_IR serves at once and is not counted.
    @Test func objectsInAnArchiveStorageClassAreUploadedNamedAndRefused() async throws {
        try await withMotoServer { moto in
            let client = s3(moto)
            try await client.createBucket("archived")
            let h = try CLIHarness()
            try h.write("site/index.html", "<p>one</p>")
            try h.write("site/a.txt", "kept")
            try h.write("site/b.txt", "also kept")
            let common = ["--target", "s3://archived/w", "--json"]
            let first = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            let v1 = try #require(result(first)["version"] as? String, "\(first.stderr)")
            try moveToStorageClass(moto, bucket: "archived", keys: ["w/\(v1)/a.txt"], "GLACIER")
            try moveToStorageClass(moto, bucket: "archived", keys: ["w/\(v1)/b.txt"], "DEEP_ARCHIVE")
            try moveToStorageClass(moto, bucket: "archived", keys: ["w/\(v1)/index.html"], "GLACIER_IR")

            let doctor = try await h.run(["doctor", "--target", "s3://archived/w"], environment: moto.environment)
            #expect(doctor.status == 3, "\(doctor.stdout)")
            #expect(doctor.stdout.contains("2 of its 3 objects (a.txt, b.txt) are missing on the target (1 in the DEEP_ARCHIVE storage "
                + "class, 1 in the GLACIER storage class (moved by a lifecycle rule), which S3 serves only once restored)"), "\(doctor.stdout)")

            try h.write("site/index.html", "<p>two</p>")
            let second = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("w/\(v1)/a.txt is in an archive storage class (ObjectNotInActiveTierError): uploading a.txt"),
                    "\(second.stderr)")
            let v2 = try #require(result(second)["version"] as? String)
            #expect(try await text(client, "archived", "w/\(v2)/a.txt") == "kept")
            #expect(try await text(client, "archived", "w/\(v2)/b.txt") == "also kept")

            let back = try await h.run(["rollback"] + common, environment: moto.environment)
            #expect(back.status == 3, "\(back.stderr)")
            #expect(back.stderr.contains("version \(v1) is missing 2 of its 3 objects (a.txt, b.txt) on s3://archived/w/ (1 in the "
                + "DEEP_ARCHIVE storage class, 1 in the GLACIER storage class"), "\(back.stderr)")
            #expect(back.stderr.contains("Restore the archived objects"), "\(back.stderr)")
            #expect(try await text(client, "archived", "w/_sitebuild/live") == v2)

            // A deploy of v1's content puts them back (copied from v2, which has their bytes).
            try h.write("site/index.html", "<p>one</p>")
            let repair = try await h.run(["deploy", "site"] + common, environment: moto.environment)
            #expect(repair.status == 0, "\(repair.stderr)")
            #expect(result(repair)["action"] as? String == "flipped" && result(repair)["restored"] as? Int == 2, "\(repair.stdout)")
            #expect(try await text(client, "archived", "w/\(v1)/a.txt") == "kept")
            let healthy = try await h.run(["doctor", "--target", "s3://archived/w"], environment: moto.environment)
            #expect(healthy.status == 0 && healthy.stdout.contains("and all 3 of its objects are there"), "\(healthy.stdout)")
        }
    }
}
