import AWSCore
import AWSServices
import Foundation
import SiteContent
@testable import SitebuildCLI
import Testing
import TestSupport

/// `sitebuild watch s3://bucket/prefix/ --once` with the built binary against moto_server.
@Suite(.serialized) struct WatchEndToEndTests {
    func client(_ moto: MotoServer) -> S3Client {
        S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
    }

    /// Uploads a ZIP whose site's index.html says `page` (a failing build with `fail`).
    /// `command`: the build's first command instead of the echo; `files`: more files in the
    /// archive (copied into the site when they are under `site/`).
    func upload(_ s3: S3Client, _ h: CLIHarness, key: String, page: String, fail: Bool = false, command: String? = nil,
                files: [(String, String)] = []) async throws {
        let name = (key as NSString).lastPathComponent
        try? FileManager.default.removeItem(atPath: h.root + "/zips/\(name)")
        try h.write("zips/\(name)/buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - \(fail ? "exit 3" : command ?? "echo building-\(page)")
                  - mkdir -p dist site && cp -R site/. dist/ && cp page.html dist/index.html
            artifacts:
              base-directory: dist
              files: ['**/*']
            """)
        try h.write("zips/\(name)/page.html", page)
        for (path, content) in files { try h.write("zips/\(name)/\(path)", content) }
        let items = (["buildspec.yml", "page.html"] + files.map(\.0)).map {
            ArchiveItem(path: $0, content: .file(sourcePath: h.root + "/zips/\(name)/" + $0))
        }
        try DeterministicArchive(format: .zip).write(items, to: h.root + "/zips/\(name).zip")
        let body = try Data(contentsOf: URL(fileURLWithPath: h.root + "/zips/\(name).zip"))
        _ = try await s3.putObject(bucket: "uploads", key: key, body: .bytes(Array(body)))
    }

    func watch(_ h: CLIHarness, _ moto: MotoServer, _ extra: [String] = []) async throws -> CLIHarness.Output {
        try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"] + extra, environment: moto.environment)
    }

    /// The buckets `uploads` and `site`, and a proxy in front of moto that writes `value` to the
    /// pointer just before the deploy's first conditional write of it (another runner's flip).
    func withFlippingProxy(_ moto: MotoServer, flipTo value: String,
                           _ body: (S3Client, FaultInjectingProxy, [String: String]) async throws -> Void) async throws {
        let s3 = client(moto)
        try await s3.createBucket("uploads")
        try await s3.createBucket("site")
        let proxy = try FaultInjectingProxy(upstream: moto.baseURL, flipPointer: (pathSuffix: "/_sitebuild/live", value: value))
        defer { proxy.stop() }
        var environment = moto.environment
        environment["AWS_ENDPOINT_URL"] = proxy.baseURL
        try await body(s3, proxy, environment)
    }

    /// The watcher's state object of an archive as listed.
    func stateKey(_ archive: S3Client.ObjectSummary) -> String {
        "incoming/_sitebuild/watch/" + ContentHash(of: archive.key + "\n" + (archive.etag ?? "")).hex + ".json"
    }

    func keys(_ s3: S3Client, _ bucket: String, _ prefix: String) async throws -> [String] {
        try await s3.listObjects(bucket: bucket, prefix: prefix).objects.map(\.key)
    }

    func lines(_ text: String, containing needle: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.contains(needle) }
    }

    /// Bad flags for `run` are refused before any archive is claimed: otherwise each new upload
    /// would be claimed, fail with exit 2 and be recorded failed for every watcher.
    @Test func badRunFlagsAreRefusedBeforeAnythingIsClaimed() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/site-1.zip", page: "one")
            for (extra, named) in [(["--", "--mode", "sap"], "--mode sap"), (["--pointer", "ftp://x"], "ftp://x"),
                                   (["--", "--bogus"], "--bogus"), (["--version-id", "../x"], "'../x'"),
                                   (["--", "--source", "elsewhere"], "--source: each build's source is the archive"),
                                   (["--", "--dry-run"], "--dry-run: a watch records each archive it builds as done"),
                                   (["--config", ""], "--config is empty (an unset variable?)"),
                                   (["--buildspec", "/nowhere/buildspec.yml"], "--buildspec /nowhere/buildspec.yml: no such file")] {
                let run = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"] + extra,
                                          environment: moto.environment)
                #expect(run.status == 2, "\(extra): \(run.stderr)")
                #expect(run.stderr.contains("the arguments for `sitebuild run`") && run.stderr.contains(named), "\(extra): \(run.stderr)")
            }
            #expect(try await keys(s3, "uploads", "incoming/_sitebuild/").isEmpty, "an archive was claimed")
            // A bucket that is not there: exit 2 at once, with or without --once (polling would
            // only repeat it).
            for once in [true, false] {
                let missing = try await h.run(["watch", "s3://no-such-uploads/incoming/", "--target", "s3://site/www"] + (once ? ["--once"] : []),
                                              environment: moto.environment)
                #expect(missing.status == 2, "\(missing.stderr)")
                #expect(missing.stderr.contains("there is no bucket no-such-uploads"), "\(missing.stderr)")
            }
            // Good flags build it.
            let good = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www", "--", "--mode", "spa"],
                                       environment: moto.environment)
            #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
            // A buildspec in the watcher's folder (archives holding only the site, as the Hosting
            // Toolkit's S3 mode uploads them) is used for every archive; with `-- --json`, stdout
            // holds only the runs' JSON events (the watcher's own lines go to stderr).
            try h.write("ci.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && cp page.html dist/index.html && echo FROM-WATCHER\n"
                + "artifacts:\n  base-directory: dist\n  files: ['**/*']\n")
            try await upload(s3, h, key: "incoming/site-2.zip", page: "two")
            let outside = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www", "--buildspec", "ci.yml",
                                           "--", "--json"], environment: moto.environment)
            #expect(outside.status == 0, "\(outside.stdout)\n\(outside.stderr)")
            let events = outside.stdout.split(separator: "\n")
            #expect(!events.isEmpty && events.allSatisfy { (try? JSONValue.parse(Data($0.utf8))) != nil }, "\(outside.stdout)")
            #expect((outside.stdout + outside.stderr).contains("FROM-WATCHER\n"), "\(outside.stderr)")
            #expect(outside.stderr.contains("[Watch] built s3://uploads/incoming/site-2.zip"), "\(outside.stderr)")
        }
    }

    /// `--sse`, `--sse-kms-key-id` and `--acl` travel on the watcher's state objects as on the
    /// site's objects: given to watch (and passed to the runs), after `--`, or in the watcher's
    /// sitebuild.yml. Before, the state objects were written without them, and a bucket whose
    /// policy requires SSE-KMS refused every claim.
    @Test func stateObjectsAreWrittenWithTheDeploysEncryption() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            let kms = ["--sse", "aws:kms", "--sse-kms-key-id", "alias/watch"]
            for (n, extra) in [kms, ["--"] + kms, []].enumerated() {
                if extra.isEmpty { try h.write("sitebuild.yml", "sse: aws:kms\nsse-kms-key-id: alias/watch\n") }
                try await upload(s3, h, key: "incoming/site-\(n).zip", page: "page \(n)")
                let run = try await watch(h, moto, extra)
                #expect(run.status == 0, "\(extra): \(run.stdout)\n\(run.stderr)")
            }
            let states = try await keys(s3, "uploads", "incoming/_sitebuild/watch/")
            #expect(states.count == 3, "\(states)")
            let site = try await keys(s3, "site", "www/")
            #expect(site.contains("www/site-2/index.html"), "\(site)")
            for key in states {
                let head = try await s3.headObject(bucket: "uploads", key: key)
                #expect(head?.serverSideEncryption == "aws:kms", "\(key): \(String(describing: head))")
            }
            for key in site {
                let head = try await s3.headObject(bucket: "site", key: key)
                #expect(head?.serverSideEncryption == "aws:kms", "\(key): \(String(describing: head))")
            }
        }
    }

    @Test func buildsNewArchivesOnceInUploadOrder() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            // Key order is the reverse of upload order: the upload time decides.
            try await upload(s3, h, key: "incoming/b-first.zip", page: "first")
            try await Task.sleep(for: .milliseconds(1100))  // LastModified has one-second resolution on some stores
            try await upload(s3, h, key: "incoming/a-second.zip", page: "second")
            _ = try await s3.putObject(bucket: "uploads", key: "incoming/notes.txt", body: .bytes(Array("not a source".utf8)))

            let run = try await watch(h, moto)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            let built = lines(run.stdout, containing: "[Watch] building ")
            #expect(built.count == 2, "\(run.stdout)")
            #expect(built.first?.contains("s3://uploads/incoming/b-first.zip") == true, "\(built)")
            #expect(built.last?.contains("s3://uploads/incoming/a-second.zip") == true, "\(built)")
            #expect(run.stdout.contains("[Watch] built s3://uploads/incoming/a-second.zip: live version a-second"), "\(run.stdout)")
            let first = try await s3.getObject(bucket: "site", key: "www/b-first/index.html")
            #expect(String(decoding: first.body, as: UTF8.self) == "first")
            let live = try await s3.getObject(bucket: "site", key: "www/_sitebuild/live")
            #expect(String(decoding: live.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "a-second")
            #expect(try await keys(s3, "site", "www/_sitebuild/releases/").count == 2)

            let states = try await keys(s3, "uploads", "incoming/_sitebuild/watch/")
            #expect(states.count == 2)
            for state in states {
                let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: state).body))
                #expect(record["status"]?.stringValue == "succeeded", "\(record.serialized())")
                #expect(record["exitStatus"]?.intValue == 0)
            }

            let again = try await watch(h, moto)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(lines(again.stdout, containing: "[Watch] building ").isEmpty, "\(again.stdout)")
            #expect(try await keys(s3, "site", "www/_sitebuild/releases/").count == 2)
        }
    }

    @Test func aFailedBuildIsRecordedAndRetriedOnlyWhenAsked() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/broken.zip", page: "x", fail: true)
            let run = try await watch(h, moto)
            #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("or pass --retry-failed to build it again"), "\(run.stdout)")
            let states = try await keys(s3, "uploads", "incoming/_sitebuild/watch/")
            #expect(states.count == 1)
            let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: states[0]).body))
            #expect(record["status"]?.stringValue == "failed")
            #expect(record["exitStatus"]?.intValue == 1)

            let skipped = try await watch(h, moto)
            #expect(skipped.status == 0)
            #expect(lines(skipped.stdout, containing: "[Watch] building ").isEmpty)

            let retried = try await watch(h, moto, ["--retry-failed"])
            #expect(retried.status == 1)
            #expect(lines(retried.stdout, containing: "[Watch] building ").count == 1, "\(retried.stdout)")
            let again = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: states[0]).body))
            #expect(again["attempt"]?.intValue == 2)
        }
    }

    /// In a watch that keeps polling, --retry-failed builds a failed record again once, not on
    /// every pass, and says so.
    @Test func retryFailedRetriesOncePerStartOfTheWatch() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/broken.zip", page: "x", fail: true)
            #expect(try await watch(h, moto).status == 1)
            let brokenState = try #require(try await keys(s3, "uploads", "incoming/_sitebuild/watch/").first)
            func record(_ key: String) async throws -> JSONValue? {
                guard try await s3.headObject(bucket: "uploads", key: key) != nil else { return nil }
                return try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: key).body))
            }
            let (process, out, err) = try h.start(["watch", "s3://uploads/incoming/", "--interval", "1s", "--retry-failed",
                                                   "--target", "s3://site/www"], environment: moto.environment)
            var retried = false
            for _ in 0..<600 where !retried {
                try await Task.sleep(for: .milliseconds(100))
                let now = try await record(brokenState)
                retried = now?["attempt"]?.intValue == 2 && now?["status"]?.stringValue == "failed"
            }
            #expect(retried)
            // A later upload, built by a later pass: that pass looks at the failed record first.
            try await upload(s3, h, key: "incoming/good.zip", page: "good")
            var built = false
            for _ in 0..<600 where !built {
                try await Task.sleep(for: .milliseconds(100))
                let states = try await keys(s3, "uploads", "incoming/_sitebuild/watch/").filter { $0 != brokenState }
                if let state = states.first { built = try await record(state)?["status"]?.stringValue == "succeeded" }
            }
            #expect(built)
            kill(process.processIdentifier, SIGTERM)
            let output = await CLIHarness.collectOffPool(process, out, err)
            #expect(lines(output.stdout, containing: "[Watch] building s3://uploads/incoming/broken.zip").count == 1, "\(output.stdout)")
            #expect(try await record(brokenState)?["attempt"]?.intValue == 2)
            #expect(output.stdout.contains("it is not retried by this watch (--retry-failed retries a failed build once per start)"),
                    "\(output.stdout)")
            #expect(!output.stdout.contains("or pass --retry-failed"), "\(output.stdout)")
        }
    }

    /// Another runner flips the pointer between this deploy's read and its compare-and-swap
    /// (a proxy does it on cue): the run reads the pointer again and flips from there, its
    /// version being complete: nothing is built again (a build that is not byte-reproducible
    /// would otherwise make a version of the same name with other content, and fail).
    @Test func aFlipLostToAnotherRunnerIsFlippedAgainWithoutABuild() async throws {
        try await withMotoServer { moto in try await withFlippingProxy(moto, flipTo: "someone-else") { s3, proxy, environment in
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/mine.zip", page: "mine")
            let run = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"], environment: environment)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(try await proxy.stats().pointerFlips == 1)
            #expect(lines(run.stderr, containing: "while this deploy ran (another runner flipped it); mine is complete: flipping again from there").count == 1,
                    "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.split(separator: "\n").filter { $0 == "building-mine" }.count == 1, "built more than once: \(run.stdout)")
            #expect(lines(run.stdout, containing: "[Watch] built s3://uploads/incoming/mine.zip: live version mine").count == 1, "\(run.stdout)")
            // Live, with one release record: from the other runner's version to this one.
            #expect(String(decoding: try await s3.getObject(bucket: "site", key: "www/_sitebuild/live").body, as: UTF8.self) == "mine")
            let releases = try await keys(s3, "site", "www/_sitebuild/releases/")
            #expect(releases.count == 1)
            if let key = releases.first {
                let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "site", key: key).body))
                #expect(record["from"]?.stringValue == "someone-else")
                #expect(record["to"]?.stringValue == "mine")
            }
            let states = try await keys(s3, "uploads", "incoming/_sitebuild/watch/")
            #expect(states.count == 1)
            if let state = states.first {
                let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: state).body))
                #expect(record["status"]?.stringValue == "succeeded")
            }
        } }
    }

    /// The flip is lost while a later upload is claimed by another watcher (its state object
    /// says `building`): that upload's flip should stay, so this archive is recorded
    /// `superseded`, not run again, and the pointer keeps the other runner's version.
    @Test func aFlipLostWhileALaterUploadIsClaimedLeavesThePointerAlone() async throws {
        try await withMotoServer { moto in try await withFlippingProxy(moto, flipTo: "later") { s3, proxy, environment in
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/earlier.zip", page: "earlier")
            try await Task.sleep(for: .milliseconds(1100))  // LastModified has one-second resolution
            try await upload(s3, h, key: "incoming/later.zip", page: "later")
            // Another watcher has claimed the later upload.
            let later = try #require(try await s3.listObjects(bucket: "uploads", prefix: "incoming/later").objects.first)
            _ = try await s3.putObject(bucket: "uploads", key: stateKey(later),
                                       body: .bytes(Array(#"{"source":"s3://uploads/incoming/later.zip","status":"building"}"#.utf8)))
            let run = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"], environment: environment)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(try await proxy.stats().pointerFlips == 1)
            #expect(lines(run.stdout, containing: "[Watch] building ").count == 1, "\(run.stdout)")
            #expect(lines(run.stdout, containing: "running again").isEmpty, "\(run.stdout)")
            #expect(lines(run.stdout, containing: "not made live").count == 1, "\(run.stdout)")
            // The later upload's flip stays; the earlier version is complete, ready for a rollback.
            #expect(String(decoding: try await s3.getObject(bucket: "site", key: "www/_sitebuild/live").body, as: UTF8.self) == "later")
            #expect(try await s3.headObject(bucket: "site", key: "www/_sitebuild/manifests/earlier.json") != nil)
            #expect(try await keys(s3, "site", "www/_sitebuild/releases/").isEmpty)
            let earlier = try #require(try await s3.listObjects(bucket: "uploads", prefix: "incoming/earlier").objects.first)
            let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: stateKey(earlier)).body))
            #expect(record["status"]?.stringValue == "superseded")
            #expect(record["supersededBy"]?.stringValue == "s3://uploads/incoming/later.zip")
            #expect(record["exitStatus"]?.intValue == 4)
        } }
    }

    /// An earlier upload whose build ends after a later upload went live (another watcher, a
    /// quicker build) is not flipped over it: the run checks right before its flip, stops, and
    /// the archive is recorded superseded. Its flip would not conflict (it read the pointer
    /// after the later flip), so only that check keeps the newer content live.
    @Test func anEarlierUploadFinishingLastDoesNotGoLiveOverALaterOne() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/earlier.zip", page: "earlier")
            try await Task.sleep(for: .milliseconds(1100))  // LastModified has one-second resolution
            try await upload(s3, h, key: "incoming/later.zip", page: "later")
            // Another watcher is busy with the earlier upload while the later one is built and goes live.
            let earlier = try #require(try await s3.listObjects(bucket: "uploads", prefix: "incoming/earlier").objects.first)
            _ = try await s3.putObject(bucket: "uploads", key: stateKey(earlier),
                                       body: .bytes(Array(#"{"source":"s3://uploads/incoming/earlier.zip","status":"building"}"#.utf8)))
            let first = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"], environment: moto.environment)
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            #expect(String(decoding: try await s3.getObject(bucket: "site", key: "www/_sitebuild/live").body, as: UTF8.self) == "later")
            // The earlier build now finishes (as that other watcher would): it must not go live.
            _ = try await s3.deleteObjects(bucket: "uploads", keys: [stateKey(earlier)])
            let second = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"], environment: moto.environment)
            #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
            #expect(String(decoding: try await s3.getObject(bucket: "site", key: "www/_sitebuild/live").body, as: UTF8.self) == "later")
            #expect(lines(second.stderr + second.stdout, containing: "was uploaded later and is already live").count >= 1, "\(second.stdout)\n\(second.stderr)")
            let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: stateKey(earlier)).body))
            #expect(record["status"]?.stringValue == "superseded", "\(record.serialized())")
            #expect(record["supersededBy"]?.stringValue == "s3://uploads/incoming/later.zip")
            // Its version is complete, ready for a rollback if wanted.
            #expect(try await s3.headObject(bucket: "site", key: "www/_sitebuild/manifests/earlier.json") != nil)
        }
    }

    /// A target (and a build cache) inside the watched prefix: the site's own .zip downloads
    /// and the cache's entries are sitebuild's objects, never archives to build.
    @Test func theTargetAndTheCacheInsideTheWatchedPrefixAreNotBuilt() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            let h = try CLIHarness()
            try await upload(s3, h, key: "site-1.zip", page: "one", files: [("site/downloads/brochure.zip", "not an upload")])
            for _ in 0..<2 {
                let run = try await h.run(["watch", "s3://uploads/", "--once", "--target", "s3://uploads/www", "--cache", "s3://uploads/cache"],
                                          environment: moto.environment)
                #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
                #expect(!run.stdout.contains("brochure"), "\(run.stdout)")
            }
            #expect(try await s3.headObject(bucket: "uploads", key: "www/site-1/downloads/brochure.zip") != nil)
            #expect(String(decoding: try await s3.getObject(bucket: "uploads", key: "www/_sitebuild/live").body, as: UTF8.self) == "site-1")
            #expect(try await keys(s3, "uploads", "_sitebuild/watch/").count == 1)
            // A target above the watched prefix keeps its objects outside it: the uploads are built.
            try await upload(s3, h, key: "incoming/site-2.zip", page: "two")
            let above = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://uploads"], environment: moto.environment)
            #expect(above.status == 0, "\(above.stdout)\n\(above.stderr)")
            #expect(String(decoding: try await s3.getObject(bucket: "uploads", key: "_sitebuild/live").body, as: UTF8.self) == "site-2")
            // One at the watched prefix itself would mix its objects with the uploads: refused.
            let same = try await h.run(["watch", "s3://uploads/incoming/", "--once", "--cache", "s3://uploads/incoming"], environment: moto.environment)
            #expect(same.status == 2, "\(same.stderr)")
            #expect(same.stderr.contains("--cache s3://uploads/incoming is the watched prefix itself"), "\(same.stderr)")
        }
    }

    /// `watch s3://uploads/incoming/` beside another watcher of `incoming/docs/` (whose state is
    /// under `incoming/docs/_sitebuild/watch/`) and a target inside its prefix made by another
    /// deploy: their archives and objects are theirs, never built by this watcher.
    @Test func aPrefixHoldingAnotherWatchersOrTargetsStateIsNotBuilt() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/docs/docs-1.zip", page: "docs")
            _ = try await s3.putObject(bucket: "uploads", key: "incoming/docs/_sitebuild/watch/0123.json", body: .bytes(Array("{}".utf8)))
            try await upload(s3, h, key: "incoming/other/v1/download.zip", page: "download")
            _ = try await s3.putObject(bucket: "uploads", key: "incoming/other/_sitebuild/manifests/v1.json", body: .bytes(Array("{}".utf8)))
            try await upload(s3, h, key: "incoming/site-1.zip", page: "one")
            #expect(Watcher.stateHolders(in: try await keys(s3, "uploads", "incoming/"), below: "incoming/") == ["incoming/docs/", "incoming/other/"])
            let run = try await watch(h, moto)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            let built = lines(run.stdout, containing: "[Watch] building ")
            #expect(built.count == 1 && built[0].contains("s3://uploads/incoming/site-1.zip"), "\(run.stdout)")
            #expect(try await keys(s3, "uploads", "incoming/_sitebuild/watch/").count == 1)
            #expect(try await keys(s3, "uploads", "incoming/docs/_sitebuild/watch/") == ["incoming/docs/_sitebuild/watch/0123.json"])
        }
    }

    /// The watcher's settings file (here the current directory's) is every run's --config: a
    /// sitebuild.yml inside an uploaded archive does not decide where the watcher deploys.
    @Test func theWatchersSettingsFileDecidesWhereItDeploys() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try h.write("sitebuild.yml", "target: s3://site/www\n")
            try await upload(s3, h, key: "incoming/site-1.zip", page: "one", files: [("sitebuild.yml", "mode: spa\n")])
            let run = try await h.run(["watch", "s3://uploads/incoming/", "--once"], environment: moto.environment)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(String(decoding: try await s3.getObject(bucket: "site", key: "www/_sitebuild/live").body, as: UTF8.self) == "site-1")
            #expect(!h.exists(".sitebuild/_sitebuild/live"), "deployed to the default local target")
        }
    }

    /// SIGTERM to a watch mid-build: the run it started is stopped too (not left running),
    /// the archive's claim is released, the watch exits 130, and the next watch builds it.
    @Test func aSignalStopsTheRunUnderWayAndReleasesItsClaim() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/slow.zip", page: "slow", command: "echo started-slow-build; sleep 47")
            let (process, out, err) = try h.start(["watch", "s3://uploads/incoming/", "--interval", "1s", "--target", "s3://site/www"],
                                                  environment: moto.environment)
            // Wait for the build to start (its state object says building).
            var building = false
            for _ in 0..<300 where !building {
                try await Task.sleep(for: .milliseconds(100))
                building = try await keys(s3, "uploads", "incoming/_sitebuild/watch/").count == 1
                    && FileManager.default.fileExists(atPath: h.root + "/.sitebuild/_work")
            }
            try await Task.sleep(for: .milliseconds(1500))
            kill(process.processIdentifier, SIGTERM)
            let output = await CLIHarness.collectOffPool(process, out, err)
            #expect(output.status == 130, "\(output.stdout)\n\(output.stderr)")
            #expect(output.stdout.contains("its claim is released"), "\(output.stdout)")
            #expect(!anyProcess(running: "sleep 47"), "the build was left running")
            #expect(try await keys(s3, "uploads", "incoming/_sitebuild/watch/").isEmpty)
        }
    }

    /// A watch killed outright (kill -9) cannot pass a signal on: the run it started notices its
    /// parent is gone and stops (its build's processes with it) instead of deploying unrecorded.
    @Test func theRunOfAKilledWatchStopsToo() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/slow.zip", page: "slow", command: "echo started-slow-build; sleep 53")
            let (process, out, err) = try h.start(["watch", "s3://uploads/incoming/", "--interval", "1s", "--target", "s3://site/www"],
                                                  environment: moto.environment)
            var building = false
            for _ in 0..<300 where !building {
                try await Task.sleep(for: .milliseconds(100))
                building = anyProcess(running: "sleep 53")
            }
            #expect(building)
            kill(process.processIdentifier, SIGKILL)
            _ = await CLIHarness.collectOffPool(process, out, err)
            var stopped = false
            for _ in 0..<300 where !stopped {
                try await Task.sleep(for: .milliseconds(100))
                stopped = !anyProcess(running: "sleep 53")
            }
            #expect(stopped, "the build of a killed watch's run went on")
            #expect(try await s3.headObject(bucket: "site", key: "www/_sitebuild/live") == nil)
        }
    }

    /// A `building` record left by a watch of this machine that no longer runs (killed -9) is
    /// claimed again and built; one of a watch that runs (whatever its binary is called), and
    /// one of another machine, are named, not built.
    @Test func aClaimLeftByADeadWatchOfThisMachineIsBuiltAgain() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/mine.zip", page: "mine")
            try await upload(s3, h, key: "incoming/running.zip", page: "running")
            try await upload(s3, h, key: "incoming/theirs.zip", page: "theirs")
            let listed = try await s3.listObjects(bucket: "uploads", prefix: "incoming/").objects
            let mine = try #require(listed.first { $0.key.hasSuffix("mine.zip") })
            let running = try #require(listed.first { $0.key.hasSuffix("running.zip") })
            let theirs = try #require(listed.first { $0.key.hasSuffix("theirs.zip") })
            let name = try #require(HostName.current())
            let boot = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let namespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
            let stat = try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
            let ticks = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")[19]
            func process(pid: Int32, ticks: Substring) -> String {
                #"{"version":"watch","token":"t","host":"\#(name)","pid":\#(pid),"started":"2026-01-01T00:00:00Z","boot":"\#(boot)","pidNamespace":"\#(namespace)","startTicks":\#(ticks)}"#
            }
            // A dead pid of this system; this very test process (alive, and not named sitebuild);
            // a record of another machine.
            for (archive, watcher, identity) in [(mine, "\(name):4194000", process(pid: 4_194_000, ticks: "1")),
                                                 (running, "\(name):\(getpid())", process(pid: getpid(), ticks: ticks)),
                                                 (theirs, "elsewhere.example:1234", "null")] {
                _ = try await s3.putObject(bucket: "uploads", key: stateKey(archive), body: .bytes(Array(
                    #"{"source":"s3://uploads/\#(archive.key)","status":"building","attempt":1,"watcher":"\#(watcher)","claimed":"2026-01-01T00:00:00Z","process":\#(identity)}"#.utf8)))
            }
            let run = try await watch(h, moto)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("mine.zip was claimed by \(name):4194000, a watch of this machine that no longer runs: building it again"), "\(run.stdout)")
            #expect(run.stdout.contains("s3://uploads/incoming/running.zip is being built by \(name):\(getpid())"), "\(run.stdout)")
            #expect(run.stdout.contains("s3://uploads/incoming/theirs.zip is being built by elsewhere.example:1234"), "\(run.stdout)")
            #expect(lines(run.stdout, containing: "[Watch] building ").count == 1, "\(run.stdout)")
            #expect(String(decoding: try await s3.getObject(bucket: "site", key: "www/_sitebuild/live").body, as: UTF8.self) == "mine")
            let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: stateKey(mine)).body))
            #expect(record["status"]?.stringValue == "succeeded")
            #expect(record["attempt"]?.intValue == 2)
        }
    }

    /// An archive uploaded again under its name with other content cannot become the version
    /// named after it (versions are immutable): the watch says what to do instead.
    @Test func anArchiveUploadedAgainWithOtherContentSaysHowToDeployIt() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/site-1.zip", page: "typo")
            #expect(try await watch(h, moto).status == 0)
            try await upload(s3, h, key: "incoming/site-1.zip", page: "fixed")
            let again = try await watch(h, moto)
            #expect(again.status == 1, "\(again.stdout)\n\(again.stderr)")
            #expect(again.stdout.contains("was built but not deployed: the version named after it already exists with other content"), "\(again.stdout)")
            // No fixed file name is suggested (it could be another upload's, already live).
            #expect(again.stdout.contains("under a name no earlier upload had") && !again.stdout.contains("site-2.zip"), "\(again.stdout)")
            #expect(again.stdout.contains("or watch with --version-id content"), "\(again.stdout)")
            // Names that differ only where the id has '-' collide too: said, so nobody looks for a re-upload.
            #expect(again.stdout.contains("or another whose name makes the same id"), "\(again.stdout)")
        }
    }

    @Test func twoWatchersStartedAtOnceBuildEachArchiveOnce() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            for (index, name) in ["one", "two", "three"].enumerated() {
                try await upload(s3, h, key: "incoming/r\(index)-\(name).zip", page: name)
            }
            // Two runners, each in its own directory.
            let watchers = [try CLIHarness(), try CLIHarness()]
            let started = try watchers.map {
                try $0.start(["watch", "s3://uploads/incoming/", "--once", "--target", "s3://site/www"], environment: moto.environment)
            }
            var stdout = ""
            for (process, out, err) in started {
                let output = await CLIHarness.collectOffPool(process, out, err)
                #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
                stdout += output.stdout
            }
            let built = lines(stdout, containing: "[Watch] building ")
            #expect(built.count == 3, "\(built)")
            for name in ["r0-one", "r1-two", "r2-three"] {
                #expect(built.filter { $0.contains("incoming/\(name).zip") }.count == 1, "\(name): \(built)")
                #expect(try await s3.headObject(bucket: "site", key: "www/_sitebuild/manifests/\(name).json") != nil)
            }
            // Each archive ends succeeded (made live: one release record each) or, when its flip
            // lost to a runner while a later upload was claimed, superseded by that later upload.
            let states = try await keys(s3, "uploads", "incoming/_sitebuild/watch/")
            #expect(states.count == 3)
            var succeeded = 0
            for state in states {
                let record = try JSONValue.parse(Data(try await s3.getObject(bucket: "uploads", key: state).body))
                let source = record["source"]?.stringValue ?? ""
                switch record["status"]?.stringValue {
                case "succeeded": succeeded += 1
                case "superseded": #expect((record["supersededBy"]?.stringValue ?? "") > source, "\(record.serialized())")
                default: Issue.record("unexpected state \(record.serialized())")
                }
            }
            #expect(succeeded >= 1)
            #expect(try await keys(s3, "site", "www/_sitebuild/releases/").count == succeeded)
        }
    }
}

/// Whether a live process's command line is `text` (arguments joined by spaces).
private func anyProcess(running text: String) -> Bool {
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
    for pid in pids where pid.allSatisfy(\.isNumber) {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), !stat.contains(") Z ") else { continue }
        if String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces) == text { return true }
    }
    return false
}
