import AWSCore
@testable import AWSServices
@testable import Deploy
import Foundation
import SiteContent
import Testing
import TestSupport

/// ``S3Target`` and the AWS pointer stores against moto_server and the KeyValueStore test
/// server on loopback.
@Suite(.serialized) struct S3TargetTests {
    func client(_ moto: MotoServer) -> S3Client {
        S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
    }

    /// A target whose multipart threshold is small enough to test with a few MiB.
    func target(_ client: S3Client, _ location: S3Location) -> S3Target {
        var target = S3Target(client: client, location: location)
        target.multipartThreshold = 6 << 20
        target.minimumPartSize = 5 << 20
        return target
    }

    @Test func partSizesKeepUnderTenThousandParts() {
        let target = S3Target(client: S3Client(endpoint: AWSEndpoint(url: "http://127.0.0.1:1", source: "test"), region: "us-east-1",
                                               credentials: EnvironmentCredentialProvider(environment: [:])),
                              location: S3Location(bucket: "b", prefix: ""))
        #expect(target.partSize(for: 1 << 20) == 8 << 20)
        #expect(target.partSize(for: 80 << 30) == 9 << 20)  // 80 GiB / 10,000 = 8.2 MiB → 9 MiB
        let huge: Int64 = 5 << 40
        let part = target.partSize(for: huge)
        #expect((huge + part - 1) / part <= 10_000)
        #expect(part % (1 << 20) == 0)
    }

    @Test func locationsParseAndRejectBadBuckets() throws {
        #expect(try S3Location.parse("s3://my-site/www", what: "--target") == S3Location(bucket: "my-site", prefix: "www/"))
        #expect(try S3Location.parse("s3://my-site", what: "--target").prefix == "")
        #expect(try S3Location.parse("s3://my-site/a/b/", what: "--target").prefix == "a/b/")
        for bad in ["s3://My_Site", "s3://ab", "s3://site/a//b", "s3://site/../x", "s3://-site"] {
            #expect(throws: DeployError.self) { try S3Location.parse(bad, what: "--target") }
        }
        // S3's rules, each named: ASCII only (Unicode letters and digits are no bucket name),
        // no '..', '.-' or '-.', not an IP address, no reserved prefix or suffix.
        for (bad, rule) in [("café-site", "it has 'é'; only lower-case letters a-z"), ("site٣", "it has '٣'"),
                            ("a..b", "may not contain '..'"), ("a.-b", "may not contain '.-'"), ("a-.b", "may not contain '-.'"),
                            ("192.168.1.1", "shaped like an IP address"), ("xn--abc", "the prefix 'xn--' is reserved"),
                            ("sthree-x", "the prefix 'sthree-' is reserved"), ("amzn-s3-demo-site", "the prefix 'amzn-s3-demo-'"),
                            ("foo-s3alias", "the suffix '-s3alias' is reserved"), ("foo--ol-s3", "the suffix '--ol-s3'"),
                            ("foo.mrap", "the suffix '.mrap'"), (String(repeating: "a", count: 64), "it has 64 characters"),
                            ("mysite--usw2-az1--x-s3", "an S3 Express One Zone directory bucket (it ends in --x-s3), which sitebuild "
                                + "does not support; use a general purpose bucket")] {
            let error = #expect(throws: DeployError.self) { try S3Location.parse("s3://\(bad)/x", what: "--target") }
            #expect(error.map { "\($0)" }?.contains(rule) == true, "\(bad): \(String(describing: error))")
            #expect(error.map { "\($0)" }?.hasPrefix("--target s3://\(bad)/x: '\(bad)'") == true, "\(bad): \(String(describing: error))")
        }
        for good in ["my.site.example.com", "192.168.1.1.example", "a-b-c", "123", "abc-s3", "xn-site"] {
            #expect(try S3Location.parse("s3://\(good)/x", what: "--target").bucket == good)
        }
    }

    /// A flipping deploy said whether its routing changed by listing the whole release history
    /// (`_sitebuild/releases/`, a record per flip since the first, never removed: a LIST page
    /// per 1,000 flips) and reading a record: the pointer's head it replaces is that record, so
    /// a deploy after a deploy lists nothing. After a rollback (whose record has no routing) the
    /// history is still looked up, and a change of routing is still found.
    @Test func aDeployAfterADeployDoesNotListTheReleaseHistory() async throws {
        try await withMotoServer { moto in
            let log = URLLog()
            let s3 = S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment, httpClient: log)
            try await s3.createBucket("routing-history")
            let site = try TempDir("s3-routing")
            let target = S3Target(client: s3, location: S3Location(bucket: "routing-history", prefix: "site"))
            let pointer = S3PointerStore(client: s3, bucket: "routing-history", key: "site/_sitebuild/live")
            func deploy(_ mode: RoutingMode, _ page: String) async throws -> (DeployOutcome, [String]) {
                try site.write("index.html", Array(page.utf8))
                log.clear()
                let outcome = try await Deployer(target: target, pointer: pointer, builder: ManifestBuilder(mode: mode)).deploy(directory: site.path)
                return (outcome, log.urls.filter { $0.contains("list-type=2") && $0.contains("_sitebuild%2Freleases") })
            }
            let first = try await deploy(.static, "<p>1</p>")
            let second = try await deploy(.static, "<p>2</p>")
            #expect(second.0.previous == first.0.version && second.0.routingChange == nil)
            #expect(second.1.isEmpty, "listed the release history: \(second.1)")
            let third = try await deploy(.spa, "<p>3</p>")
            #expect(third.1.isEmpty, "listed the release history: \(third.1)")
            #expect(third.0.routingChange == RoutingChange(previous: SiteRouting(mode: "static", trailingSlash: nil),
                                                           live: SiteRouting(mode: "spa", trailingSlash: nil)))
            _ = try await Deployer(target: target, pointer: pointer).rollback(to: nil)
            let fourth = try await deploy(.spa, "<p>4</p>")
            #expect(fourth.0.previous == second.0.version)
            #expect(fourth.0.routingChange == RoutingChange(previous: SiteRouting(mode: "static", trailingSlash: nil),
                                                            live: SiteRouting(mode: "spa", trailingSlash: nil)))
        }
    }

    /// A literal version id resumed after its headers changed (sitebuild.yml edited between a
    /// killed run and the rerun): objects with the right bytes but old headers are rewritten.
    @Test func aResumedLiteralIdGetsTheHeadersOfTheRerun() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("headers-resume")
            let site = try TempDir("s3-target")
            try site.write("a.html", Array("<p>a</p>".utf8))
            try site.write("b.css", Array("b{}".utf8))
            let target = target(s3, S3Location(bucket: "headers-resume", prefix: ""))
            func manifest(_ cache: String) throws -> Manifest {
                let builder = ManifestBuilder(policy: HeaderPolicy(rules: [HeaderRule(pattern: "**/*", cacheControl: cache)]))
                return try Deployer(target: target, pointer: S3PointerStore(client: s3, bucket: "headers-resume", key: "live"), builder: builder)
                    .manifest(for: site.path, version: "rel-1").0
            }
            // The killed run: its objects are in place, with max-age=1111, and no manifest.
            _ = try await target.upload(try manifest("max-age=1111"), from: site.path, reusable: .empty) { _ in }
            let rerun = try manifest("max-age=2222")
            let stats = try await target.upload(rerun, from: site.path, reusable: .empty) { _ in }
            #expect(stats.skipped == 0)
            for key in ["rel-1/a.html", "rel-1/b.css"] {
                #expect(try await s3.headObject(bucket: "headers-resume", key: key)?.attributes.cacheControl == "max-age=2222", "\(key)")
            }
            // Resumed again with the same headers: everything is in place.
            #expect(try await target.upload(rerun, from: site.path, reusable: .empty) { _ in }.skipped == 2)
        }
    }

    /// A file streamed from disk (over the in-memory limit) rewritten at the same size after
    /// the plan hashed it: refused before anything is sent, never stored under the planned
    /// hash (a resumed deploy and every later version's copy would trust that hash).
    @Test func aStreamedFileRewrittenAfterThePlanIsRefused() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("rewritten")
            let target = self.target(s3, S3Location(bucket: "rewritten", prefix: ""))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("streamed-\(UUID().uuidString)").path
            defer { unlink(path) }
            let planned = [UInt8](repeating: 0x61, count: 200_000)
            try Data(planned).write(to: URL(fileURLWithPath: path))
            let entry = ManifestEntry(path: "big.bin", size: 200_000, hash: ContentHash(of: planned),
                                      headers: FileHeaders(contentType: "application/octet-stream", cacheControl: "no-cache"))
            #expect(Int64(200_000) > S3Target.inMemoryPutLimit)
            _ = try await target.put(path, to: "v1/big.bin", entry: entry)
            #expect(try await s3.headObject(bucket: "rewritten", key: "v1/big.bin")?.size == 200_000)
            var rewritten = planned
            rewritten[100_000] = 0x62
            try Data(rewritten).write(to: URL(fileURLWithPath: path))
            do {
                _ = try await target.put(path, to: "v2/big.bin", entry: entry)
                Issue.record("a rewritten file was uploaded under its planned hash")
            } catch let error as PlannedHashMismatch {
                #expect("\(error)".contains("changed while deploying (its content no longer has the hash it was planned with)"), "\(error)")
            }
            #expect(try await s3.headObject(bucket: "rewritten", key: "v2/big.bin") == nil)
        }
    }

    /// A literal id's conditional writes (`If-None-Match: *`): refused on a key another deploy
    /// wrote first, which is fine when that object is this build's (a retry whose first attempt
    /// landed, or the same build deployed twice) and stops the deploy otherwise. A refused
    /// multipart upload is aborted, not left to cost storage.
    @Test func aRefusedLiteralIdWriteIsFineOnlyWhenTheObjectIsThisBuilds() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("settle")
            let site = try TempDir("s3-target")
            try site.write("a.html", Array("<p>a</p>".utf8))
            var big = [UInt8](repeating: 7, count: 13 << 20)
            big[0] = 1
            try site.write("big.bin", big)
            let target = target(s3, S3Location(bucket: "settle", prefix: ""))
            let manifest = try Deployer(target: target, pointer: S3PointerStore(client: s3, bucket: "settle", key: "live"))
                .manifest(for: site.path, version: "rel-1").0
            let page = try #require(manifest.entry(at: "a.html"))
            let blob = try #require(manifest.entry(at: "big.bin"))

            let stored = try await target.put(site.path + "/a.html", to: "rel-1/a.html", entry: page, condition: .absent)
            #expect(stored == .stored(etag: S3MD5.expectedETag(path: site.path + "/a.html", size: page.size, partSize: nil)))
            let again = try await target.put(site.path + "/a.html", to: "rel-1/a.html", entry: page, condition: .absent)
            #expect(again == .alreadyExists)
            try await target.settle(again, key: "rel-1/a.html", entry: page, version: "rel-1")

            // Another build's a.html (its own bytes, hash and headers) got there first.
            _ = try await s3.putObject(bucket: "settle", key: "rel-1/a.html", body: .bytes(Array("<p>other</p>".utf8)),
                                       attributes: target.attributes(blob))
            let refused = try await target.put(site.path + "/a.html", to: "rel-1/a.html", entry: page, condition: .absent)
            await #expect(throws: DeployError.self) { try await target.settle(refused, key: "rel-1/a.html", entry: page, version: "rel-1") }
            // So did its big.bin: the multipart upload is refused at completion and aborted.
            _ = try await s3.putObject(bucket: "settle", key: "rel-1/big.bin", body: .bytes(Array("other".utf8)))
            #expect(try await target.put(site.path + "/big.bin", to: "rel-1/big.bin", entry: blob, condition: .absent) == .alreadyExists)
            #expect(try await s3.listMultipartUploads(bucket: "settle").isEmpty)
            #expect(try await s3.getObject(bucket: "settle", key: "rel-1/big.bin").body == Array("other".utf8))
        }
    }

    /// A literal version is written by one deploy at a time: its lock object is created only
    /// if absent, renewed while held, released only by its holder, and taken over once its
    /// lease ran out (the holder was killed) or at once when its holder is a dead process here;
    /// a holder whose lock was taken over stops.
    @Test func aLiteralVersionIsWrittenByOneDeployAtATime() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("claims")
            let location = S3Location(bucket: "claims", prefix: "site")
            var first = target(s3, location)
            first.writingRenewal = .milliseconds(100)
            let second = target(s3, location)
            let a = try await first.claimWriting("rel-1")
            await #expect(throws: WritingClaimHeld.self) { _ = try await second.claimWriting("rel-1") }
            do {
                _ = try await second.claimWriting("rel-1")
            } catch {
                #expect("\(error)".contains("another deploy (pid \(getpid())") && "\(error)".contains("writing version rel-1"), "\(error)")
            }
            // This very process holds it: alive, whatever the pid says elsewhere.
            let lock = try #require(WritingLock.parse(try await s3.getObject(bucket: "claims", key: "site/_sitebuild/locks/rel-1.json").body))
            #expect(!lock.isDeadHere && lock.boot != nil && lock.pidNamespace != nil && lock.startTicks != nil)
            // A holder whose pid runs here but is another process (another pid namespace's
            // numbering, or a reused pid) is not taken for dead; nor is one of another boot.
            var elsewhere = lock
            elsewhere.pid = 1
            elsewhere.startTicks = ProcessIdentity.startTicks(of: 1)
            #expect(!elsewhere.isDeadHere)
            elsewhere.startTicks = (elsewhere.startTicks ?? 0) + 1
            #expect(elsewhere.isDeadHere, "pid 1 started at another tick: the holder is gone and its pid reused")
            elsewhere.pid = 999_999
            elsewhere.boot = "another-boot"
            #expect(!elsewhere.isDeadHere)
            elsewhere.boot = lock.boot
            elsewhere.pidNamespace = "pid:[1]"
            #expect(!elsewhere.isDeadHere)
            // Renewed while held: the body runs to its end.
            #expect(try await a.holding { try await Task.sleep(for: .milliseconds(350)); return 7 } == 7)
            await a.release()
            #expect(try await s3.headObject(bucket: "claims", key: "site/_sitebuild/locks/rel-1.json") == nil)
            let b = try await second.claimWriting("rel-1")
            await b.release()

            // A lock older than the lease is taken over, and its old holder stops at its next renewal;
            // releasing afterwards leaves the new holder's lock alone.
            let c = try await first.claimWriting("rel-2")
            var impatient = target(s3, location)
            impatient.writingLease = 0
            let d = try await impatient.claimWriting("rel-2")
            await #expect(throws: DeployError.self) {
                _ = try await c.holding { try await Task.sleep(for: .seconds(3600)); return 0 }
            }
            // Before its manifest, a deploy confirms its claim: a takeover since its last renewal stops it there.
            await #expect(throws: DeployError.self) { try await c.confirm() }
            await c.release()
            #expect(try await s3.headObject(bucket: "claims", key: "site/_sitebuild/locks/rel-2.json") != nil)
            await d.release()
            #expect(try await s3.headObject(bucket: "claims", key: "site/_sitebuild/locks/rel-2.json") == nil)

            // A lock whose holder is a process of this machine that has ended: taken over at once.
            let ended = Process()
            ended.executableURL = URL(fileURLWithPath: "/bin/true")
            try ended.run()
            ended.waitUntilExit()
            var dead = WritingLock.mine(version: "rel-3")
            dead.pid = ended.processIdentifier
            _ = try await s3.putObject(bucket: "claims", key: "site/_sitebuild/locks/rel-3.json", body: .bytes(dead.json))
            let e = try await second.claimWriting("rel-3")
            await e.release()
        }
    }

    /// A lock stored by S3 whose answer was lost: the retry is refused (the lock exists), and
    /// the lock it finds is this deploy's own (its token), so the claim is taken, not waited
    /// for as another deploy's until the lease runs out; it is released as any other.
    @Test func aLockWhoseAnswerWasLostIsThisDeploysOwn() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("lost-lock")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, loseAnswerOf: (method: "PUT", pathContains: "/_sitebuild/locks/", times: 1))
            defer { proxy.stop() }
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL
            let proxied = S3Client(region: "us-east-1", credentials: moto.credentials, environment: environment)
            let claim = try await target(proxied, S3Location(bucket: "lost-lock", prefix: "site")).claimWriting("rel-1")
            #expect(try await proxy.stats().answersLost == 1)
            #expect(try await s3.headObject(bucket: "lost-lock", key: "site/_sitebuild/locks/rel-1.json") != nil)
            try await claim.confirm()
            await claim.release()
            #expect(try await s3.headObject(bucket: "lost-lock", key: "site/_sitebuild/locks/rel-1.json") == nil)
        }
    }

    /// The markers prune and deploys use to stay out of each other's way, on S3: their ages
    /// come from a listing, by S3's clock; each prune has its own deleting marker, and calling
    /// one deletion off leaves another prune's in place; a deploy stops on a young deleting
    /// marker; prune backs off from a version a deploy is writing or the pointer names.
    @Test func deletingAndPendingMarkersKeepPruneAndDeploysApart() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("markers")
            let target = target(s3, S3Location(bucket: "markers", prefix: "www/"))
            #expect(try await target.markerAge(.deleting, of: "abc") == nil)
            try await target.markDeleting("abc", token: "first")
            try await target.markDeleting("abc", token: "second")
            let age = try #require(try await target.markerAge(.deleting, of: "abc"))
            #expect(age > -5 && age < 3600, "an age by S3's own clock: \(age)")
            #expect(try await target.markerAge(.deleting, of: "ab") == nil, "a version's own markers, not a prefix's")
            #expect(try await target.isBeingDeleted("abc"))
            // One prune calling its deletion off leaves the other's marker.
            try await target.unmarkDeleting("abc", token: "first")
            #expect(try await target.isBeingDeleted("abc"))
            await #expect(throws: DeployError.self) { try await target.markPending("abc") }
            try await target.unmarkDeleting("abc", token: nil)
            #expect(try await target.markerAge(.deleting, of: "abc") == nil)
            try await target.markPending("abc")
            #expect(try await target.markerAge(.pending, of: "abc") != nil)
            // A version a deploy is writing (fresh pending marker) or the pointer names is kept,
            // and its prune's marker is gone again.
            #expect(try await target.prune("abc", isLive: { false }) == "a deploy started writing it while prune ran")
            #expect(try await target.prune("abc", isLive: { true }) == "it was made live while prune ran")
            #expect(try await target.markerAge(.deleting, of: "abc") == nil)
        }
    }

    /// A manifest's head is read from its first 64 KiB (a large site's manifest is megabytes);
    /// one whose head is longer is read whole; none is nil; an empty one is damaged.
    @Test func aManifestsHeadIsReadFromItsStart() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("heads")
            let target = target(s3, S3Location(bucket: "heads", prefix: "www/"))
            let manifest = Manifest(entries: ManifestStorageTests.sampleEntries(count: 3_000), metadata: [("createdAt", "2026-11-28T10:00:00.000Z")])
            #expect(manifest.serialized().utf8.count > 4 * S3Target.manifestHeadRange)
            #expect(manifest.aliasCount > 0)
            _ = try await s3.putObject(bucket: "heads", key: target.manifestKey(manifest.version), body: .bytes(Array(manifest.serialized().utf8)))
            let head = try #require(try await target.readManifestHead(manifest.version))
            #expect(head.version == manifest.version && head.createdAt == "2026-11-28T10:00:00.000Z")
            #expect(head.siteFileCount == manifest.siteFileCount && head.siteBytes == manifest.siteBytes)
            // A head past the first 64 KiB (long metadata).
            let long = Manifest(entries: ManifestStorageTests.sampleEntries(count: 10), version: "long-head",
                                metadata: [("note", String(repeating: "n", count: 100_000)), ("createdAt", "2026-11-28T11:00:00.000Z")])
            _ = try await s3.putObject(bucket: "heads", key: target.manifestKey("long-head"), body: .bytes(Array(long.serialized().utf8)))
            #expect(try await target.readManifestHead("long-head")?.createdAt == "2026-11-28T11:00:00.000Z")
            #expect(try await target.readManifestHead("absent") == nil)
            _ = try await s3.putObject(bucket: "heads", key: target.manifestKey("empty"), body: .bytes([]))
            await #expect(throws: DamagedManifest.self) { try await target.readManifestHead("empty") }
            _ = try await s3.putObject(bucket: "heads", key: target.manifestKey("short"), body: .bytes(Array("{\"sitebuild\":1,\"vers".utf8)))
            await #expect(throws: DamagedManifest.self) { try await target.readManifestHead("short") }
        }
    }

    @Test func largeFilesGoMultipartAndAreCopiedServerSideIntoTheNextVersion() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("big")
            let site = try TempDir("s3-target")
            var bytes = [UInt8](repeating: 0, count: 13 << 20)
            for i in stride(from: 0, to: bytes.count, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: i / 4096) }
            try site.write("video.bin", bytes)
            try site.write("index.html", Array("<p>one</p>".utf8))
            let target = target(s3, S3Location(bucket: "big", prefix: "site"))
            let deployer = Deployer(target: target, pointer: S3PointerStore(client: s3, bucket: "big", key: "site/_sitebuild/live"))
            let first = try await deployer.deploy(directory: site.path)
            #expect(first.stats.uploaded == 2)
            let video = try #require(try await s3.listObjects(bucket: "big", prefix: "site/\(first.version)/video.bin").objects.first)
            #expect(video.size == Int64(bytes.count))
            #expect(video.etag?.hasSuffix("-3") == true, "13 MiB in 5 MiB parts: \(video.etag ?? "")")
            #expect(try await s3.getObject(bucket: "big", key: "site/\(first.version)/video.bin").body == bytes)

            try site.write("index.html", Array("<p>two</p>".utf8))
            let second = try await deployer.deploy(directory: site.path)
            #expect(second.stats.uploaded == 1)
            #expect(second.stats.reused == 1)
            let copied = try await s3.headObject(bucket: "big", key: "site/\(second.version)/video.bin")
            #expect(copied?.size == Int64(bytes.count))
            #expect(copied?.attributes.metadata[S3Target.hashMetadataKey] != nil)
        }
    }

    @Test func aResumedUploadKeepsMatchingObjectsReplacesWrongOnesAndAbortsOrphanedMultipartUploads() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("resume")
            let site = try TempDir("s3-target")
            try site.write("a.txt", Array("alpha".utf8))
            try site.write("b.txt", Array("bravo".utf8))
            try site.write("c.txt", Array("charlie".utf8))
            let target = target(s3, S3Location(bucket: "resume", prefix: ""))
            let (manifest, _, _) = try Deployer(target: target, pointer: S3PointerStore(client: s3, bucket: "resume", key: "_sitebuild/live"))
                .manifest(for: site.path)
            let version = manifest.version
            // What an interrupted run left: one right object, one with the wrong bytes of the
            // same size, and an unfinished multipart upload.
            _ = try await s3.putObject(bucket: "resume", key: "\(version)/a.txt", body: .bytes(Array("alpha".utf8)))
            _ = try await s3.putObject(bucket: "resume", key: "\(version)/b.txt", body: .bytes(Array("BRAVO".utf8)))
            _ = try await s3.createMultipartUpload(bucket: "resume", key: "\(version)/c.txt")
            // An object the manifest does not list, under the version's prefix.
            _ = try await s3.putObject(bucket: "resume", key: "\(version)/stray.txt", body: .bytes(Array("stray".utf8)))
            // Other folders of the bucket, one named like a version: no deploy started them.
            _ = try await s3.putObject(bucket: "resume", key: "uploads/notes.txt", body: .bytes(Array("mine".utf8)))
            _ = try await s3.putObject(bucket: "resume", key: "0123456789abcdef/index.html", body: .bytes(Array("other".utf8)))
            #expect(try await target.incompleteVersions().isEmpty)
            // moto reports every upload as started in 2010, so the age rule (see
            // `onlyMultipartUploadsOlderThanAnHourAreOrphans`) takes it for a killed deploy's.
            let stats = try await target.upload(manifest, from: site.path, reusable: .empty) { _ in }
            #expect(stats.skipped == 1)
            #expect(stats.uploaded == 2)
            // Written, not complete: the one version prune may delete without a manifest.
            #expect(try await target.incompleteVersions().map(\.version) == [version])
            #expect(try await s3.getObject(bucket: "resume", key: "\(version)/b.txt").body == Array("bravo".utf8))
            #expect(try await s3.listMultipartUploads(bucket: "resume", prefix: "\(version)/").isEmpty)
            #expect(try await s3.headObject(bucket: "resume", key: "\(version)/stray.txt") == nil, "a key the manifest does not list is removed")
            #expect(try await target.manifestExists(version) == false)
            #expect(try await target.writeManifest(manifest))
            #expect(try await target.writeManifest(manifest) == false, "the manifest is create-only")
            #expect(try await target.incompleteVersions().isEmpty)
        }
    }

    /// Two deploys read the same pointer state; only the first compare-and-swap may succeed.
    func raceTwoFlips(_ store: some PointerStore) async throws {
        let start = try await store.read()
        try await store.compareAndSwap(expected: start, to: "v1")
        let before = try await store.read()
        #expect(before.version == "v1")
        try await store.compareAndSwap(expected: before, to: "v2")
        do {
            try await store.compareAndSwap(expected: before, to: "v3")
            Issue.record("a stale compare-and-swap succeeded on \(store.url)")
        } catch let conflict as PointerConflict {
            #expect(conflict.expected == "v1")
            #expect(conflict.found == "v2")
            #expect(conflict.wanted == "v3")
        }
        #expect(try await store.read().version == "v2")
    }

    @Test func s3AndDynamoDBPointersRefuseAStaleCompareAndSwap() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("pointers")
            try await raceTwoFlips(S3PointerStore(client: s3, bucket: "pointers", key: "live"))
            // No object reads as "nothing live"; no bucket is an error naming it.
            #expect(try await S3PointerStore(client: s3, bucket: "pointers", key: "never-written").read().version == nil)
            let missing = await #expect(throws: PointerResourceMissing.self) {
                try await S3PointerStore(client: s3, bucket: "no-such-pointer-bucket", key: "live").read()
            }
            #expect(missing?.description.contains("the bucket 'no-such-pointer-bucket' does not exist") == true)
            let dynamo = DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await dynamo.createTable("live", partitionKey: "id")
            try await raceTwoFlips(DynamoDBPointerStore(client: dynamo, table: "live", key: "path"))
            // A first flip when someone else made the first one is a conflict too.
            let empty = DynamoDBPointerStore(client: dynamo, table: "live", key: "other")
            let none = try await empty.read()
            try await empty.compareAndSwap(expected: none, to: "a")
            await #expect(throws: PointerConflict.self) { try await empty.compareAndSwap(expected: none, to: "b") }
            // An item that is not a pointer (no string `version`) is named, not read as "nothing
            // live" (a first flip would then fail forever, saying it expected none and found none).
            for version: DynamoDBClient.AttributeValue? in [nil, .number("5")] {
                var item: DynamoDBClient.Item = ["id": .string("www2"), "owner": .string("ops")]
                item["version"] = version
                _ = try await dynamo.putItem(table: "live", item: item)
                let foreign = await #expect(throws: DeployError.self) {
                    try await DynamoDBPointerStore(client: dynamo, table: "live", key: "www2").read()
                }
                let kind = version == nil ? "" : ", only a number"
                #expect(foreign?.description.contains("has no string attribute 'version'\(kind) (it has: ") == true, "\(String(describing: foreign))")
                #expect(foreign?.isInvalidInput == true, "the pointer named holds something else: exit 2, as for any such pointer")
            }
            // A flip changes the version (and its time) only: a team's own attributes stay.
            _ = try await dynamo.putItem(table: "live", item: ["id": .string("team"), "version": .string("v1"), "owner": .string("web-team"),
                                                               "ttl": .number("0")])
            let team = DynamoDBPointerStore(client: dynamo, table: "live", key: "team")
            try await team.compareAndSwap(expected: try await team.read(), to: "v2")
            let item = try #require(try await dynamo.getItem(table: "live", key: ["id": .string("team")]))
            #expect(item["version"] == .string("v2") && item["owner"] == .string("web-team") && item["ttl"] == .number("0"), "\(item)")
            #expect(item["updatedAt"] != nil)
        }
    }

    /// An emptied pointer ("" or blanks: a preview closed by clearing its value, an item
    /// cleared by hand) holds nothing, as the viewer-request function reads it, not a version
    /// named ""; a flip from it still presents what is stored, so a stale one is refused.
    @Test func anEmptyPointerValueIsNothingLive() async throws {
        try await withMotoServer { moto in
            let dynamo = DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await dynamo.createTable("live", partitionKey: "id")
            for (key, value) in [("empty", ""), ("blank", "  \n")] {
                _ = try await dynamo.putItem(table: "live", item: ["id": .string(key), "version": .string(value)])
                let store = DynamoDBPointerStore(client: dynamo, table: "live", key: key)
                let state = try await store.read()
                #expect(state.version == nil, "\(key): \(state)")
                try await store.compareAndSwap(expected: state, to: "v1")
                #expect(try await store.read().version == "v1")
                await #expect(throws: PointerConflict.self) { try await store.compareAndSwap(expected: state, to: "v2") }
                #expect(try await store.read().version == "v1")
            }
        }
        try await withKeyValueStoreTestServer { server in
            let kvs = try server.client()
            for value in ["", " "] {
                _ = try await kvs.putKey("path", value: value, ifMatch: try await kvs.describe().etag)
                let store = KeyValueStorePointerStore(client: kvs, key: "path")
                let state = try await store.read()
                #expect(state.version == nil, "'\(value)': \(state)")
                try await store.compareAndSwap(expected: state, to: "v1")
                #expect(try await kvs.getKey("path") == "v1")
            }
        }
    }

    @Test func keyValueStorePointerRetriesWhenOnlyOtherKeysChanged() async throws {
        try await withKeyValueStoreTestServer { server in
            let kvs = try server.client()
            try await raceTwoFlips(KeyValueStorePointerStore(client: kvs, key: "path"))
            let store = KeyValueStorePointerStore(client: kvs, key: "path")
            let state = try await store.read()
            _ = try await kvs.putKey("unrelated", value: "1", ifMatch: try await kvs.describe().etag)
            try await store.compareAndSwap(expected: state, to: "v4")
            #expect(try await kvs.getKey("path") == "v4")
            #expect(try await kvs.getKey("unrelated") == "1")
        }
    }
}

@Suite struct PlannedBytesTests {
    /// A small file rewritten with the same size after planning is refused, not published
    /// under the hash the plan gave it.
    @Test func aFileRewrittenWithTheSameSizeIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("planned-\(UUID().uuidString)").path
        defer { unlink(path) }
        try Data("MANY 1".utf8).write(to: URL(fileURLWithPath: path))
        let entry = ManifestEntry(path: "p1.html", size: 6, hash: ContentHash(of: Array("MANY 1".utf8)),
                                  headers: FileHeaders(contentType: "text/html", cacheControl: "no-cache"))
        #expect(try S3Target.readPlanned(path, entry: entry) == Array("MANY 1".utf8))
        try Data("MANX 1".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PlannedHashMismatch.self) { try S3Target.readPlanned(path, entry: entry) }
    }
}

@Suite struct OrphanedUploadTests {
    /// A multipart upload started within the hour may belong to a deploy of the same content
    /// running now: only older ones (or of unknown age) are aborted as a killed deploy's.
    @Test func onlyMultipartUploadsOlderThanAnHourAreOrphans() {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        func upload(_ key: String, _ initiated: String?) -> S3Client.MultipartUpload {
            S3Client.MultipartUpload(key: key, uploadId: key, initiated: initiated)
        }
        let uploads = [upload("running", UTCTime.iso(now.addingTimeInterval(-60))),
                       upload("killed", UTCTime.iso(now.addingTimeInterval(-7200))),
                       upload("unknown", nil)]
        let cutoff = now.addingTimeInterval(-3600)
        #expect(S3Target.orphans(uploads, startedBefore: cutoff).map(\.key) == ["killed", "unknown"])
    }
}

/// The HTTP client of the tests that look at which requests were made: curl's, each URL logged.
final class URLLog: HTTPClient, @unchecked Sendable {
    private let base = CurlHTTPClient()
    private let lock = NSLock()
    private var logged: [String] = []

    var urls: [String] { lock.withLock { logged } }
    func clear() { lock.withLock { logged = [] } }

    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        lock.withLock { logged.append(request.url) }
        return try await base.execute(request, body: body, responseBody: responseBody)
    }
}
