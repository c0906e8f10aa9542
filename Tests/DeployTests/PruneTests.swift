import Deploy
import Foundation
import SiteContent
import Testing

@Suite("PrunePlan and deleting versions")
struct PruneTests {
    static let now = Date(timeIntervalSince1970: 2_000_000_000)
    static let day: TimeInterval = 86_400
    static func ago(_ days: Double) -> Date { now.addingTimeInterval(-days * day) }

    static func release(_ from: String?, _ to: String, daysAgo: Double) -> ReleaseRecord {
        ReleaseRecord(at: ago(daysAgo), from: from, to: to, action: "deploy", by: "test")
    }

    @Test func keepsLiveAndPreviousEvenWhenOld() {
        let versions = [("a", Self.ago(300)), ("b", Self.ago(200)), ("c", Self.ago(100)), ("d", Self.ago(50))]
        let plan = PrunePlan.make(versions: versions.map { (version: $0.0, created: $0.1) }, releases: [], live: "a", previous: "b",
                                  keepCount: 0, grace: 7 * Self.day, now: Self.now)
        #expect(plan.delete == ["c", "d"])
        #expect(plan.keep["a"] == "live")
        #expect(plan.keep["b"]?.contains("previous") == true)
        #expect(plan.keep.count == 2)
        #expect(plan.deleteIncomplete.isEmpty)
    }

    /// Pruned with a pointer other than the deploys' (or none): the pointer names no live
    /// version, but the release records do; the last release's two sides stay.
    @Test func keepsWhatTheLastReleaseRecordMadeLiveWhateverThePointerSays() {
        let versions = ["a", "b", "c", "d"].enumerated().map { (version: $0.element, created: Self.ago(Double(400 - 100 * $0.offset))) }
        let releases = [Self.release(nil, "a", daysAgo: 300), Self.release("a", "d", daysAgo: 90), Self.release("d", "b", daysAgo: 60)]
        for live in [nil, "c"] as [String?] {
            let plan = PrunePlan.make(versions: versions, releases: releases, live: live, previous: nil,
                                      keepCount: 0, grace: 1 * Self.day, now: Self.now)
            #expect(plan.keep["b"] == "live according to the last release record")
            #expect(plan.keep["d"] == "live before the last release record")
            #expect(plan.delete == (live == nil ? ["a", "c"] : ["a"]))
        }
        // Versions that no longer exist are not reported kept.
        let gone = PrunePlan.make(versions: [(version: "b", created: Self.ago(5))], releases: releases, live: "b", previous: "d",
                                  keepCount: 0, grace: 1 * Self.day, now: Self.now)
        #expect(Set(gone.keep.keys) == ["b"])
    }

    @Test func keepsTheNNewest() {
        let versions = (1...8).map { (version: "v\($0)", created: Self.ago(Double(100 - $0))) }  // v8 newest
        let plan = PrunePlan.make(versions: versions, releases: [], live: "v2", previous: "v8", keepCount: 3,
                                  grace: 1 * Self.day, now: Self.now)
        // live v2, previous v8, then the three newest others: v7, v6, v5.
        #expect(Set(plan.keep.keys) == ["v2", "v8", "v7", "v6", "v5"])
        #expect(plan.keep["v7"]?.contains("newest") == true)
        #expect(plan.delete == ["v1", "v3", "v4"])
    }

    @Test func keepsVersionsLiveWithinTheGracePeriod() {
        let versions = ["old-from", "old-to", "recent-from", "recent-to", "mid", "live"].enumerated().map {
            (version: $0.element, created: Self.ago(Double(200 - $0.offset)))
        }
        let releases = [
            Self.release(nil, "old-from", daysAgo: 60),
            Self.release("old-from", "old-to", daysAgo: 30),       // outside the grace period
            Self.release("old-to", "recent-from", daysAgo: 29),
            Self.release("recent-from", "recent-to", daysAgo: 3),   // inside: both sides were live within it
            Self.release("recent-to", "live", daysAgo: 1),
        ]
        let plan = PrunePlan.make(versions: versions, releases: releases, live: "live", previous: "recent-to",
                                  keepCount: 0, grace: 7 * Self.day, now: Self.now)
        #expect(plan.keep["live"] == "live")
        #expect(plan.keep["recent-to"]?.contains("previous") == true)
        #expect(plan.keep["recent-from"] == "live within the grace period")
        #expect(plan.delete == ["mid", "old-from", "old-to"])
    }

    @Test func keepsVersionsCreatedWithinTheGracePeriod() {
        let versions = [("fresh1", 1.0), ("fresh2", 2.0), ("fresh3", 6.5), ("stale1", 8.0), ("stale2", 40.0), ("live", 90.0)]
            .map { (version: $0.0, created: Self.ago($0.1)) }
        let plan = PrunePlan.make(versions: versions, releases: [], live: "live", previous: nil, keepCount: 1,
                                  grace: 7 * Self.day, now: Self.now)
        #expect(plan.keep["fresh1"]?.contains("newest") == true)
        #expect(plan.keep["fresh2"] == "made within the grace period")
        #expect(plan.keep["fresh3"] == "made within the grace period")
        #expect(plan.delete == ["stale1", "stale2"])
    }

    @Test func incompleteVersions() {
        let plan = PrunePlan.make(versions: [(version: "live", created: Self.ago(10))], releases: [], live: "live", previous: nil,
                                  keepCount: 5, grace: 2 * Self.day, now: Self.now,
                                  incomplete: [(version: "crashed-long-ago", modified: Self.ago(5)),
                                               (version: "in-progress", modified: Self.ago(0.01)),
                                               (version: "also-old", modified: Self.ago(3))])
        #expect(plan.deleteIncomplete == ["also-old", "crashed-long-ago"])
        #expect(plan.delete.isEmpty)
    }

    @Test func keepAndDeleteArePartitionOfVersions() {
        let versions = (0..<30).map { (version: String(format: "v%02d", $0), created: Self.ago(Double($0) * 2)) }
        let releases = (1..<30).map { Self.release(String(format: "v%02d", $0), String(format: "v%02d", $0 - 1), daysAgo: Double($0) * 2 - 1) }
        let plan = PrunePlan.make(versions: versions, releases: releases, live: "v00", previous: "v01", keepCount: 2,
                                  grace: 10 * Self.day, now: Self.now)
        let all = Set(versions.map(\.version))
        #expect(Set(plan.delete).isDisjoint(with: plan.keep.keys))
        #expect(Set(plan.delete).union(plan.keep.keys) == all)
        #expect(plan.delete == plan.delete.sorted())
        // Created within 10 days: v00…v05; flips within 10 days touch v00…v05 too; nothing older is kept
        // beyond the 2 newest of the rest (v06, v07).
        #expect(Set(plan.keep.keys) == Set((0...7).map { String(format: "v%02d", $0) }))
    }

    @Test func deleteVersionKeepsSharedContentOfOtherVersions() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        let v2 = try await f.deployer().deploy(directory: f.source).version
        let shared = f.object(v2, "assets/logo.png")
        #expect(fileStat(shared)?.inode == fileStat(f.object(v1, "assets/logo.png"))?.inode)
        #expect(fileStat(shared)?.links == 2)

        // Also an incomplete version left by an interrupted run (objects written, no manifest),
        // and a folder no deploy started, which is not a version whatever its name.
        let (unfinished, _) = try buildManifest(f.source, version: "deadbeefdeadbeef")
        _ = try await f.target.upload(unfinished, from: f.source, reusable: .empty, progress: { _ in })
        try FileManager.default.createDirectory(atPath: f.targetRoot + "/0123456789abcdef/assets", withIntermediateDirectories: true)
        #expect(try await f.target.incompleteVersions().map(\.version) == ["deadbeefdeadbeef"])

        try await f.target.deleteVersion(v1)
        #expect(!FileManager.default.fileExists(atPath: f.manifestPath(v1)))
        #expect(!FileManager.default.fileExists(atPath: f.targetRoot + "/" + v1))
        #expect(try await f.target.listVersions() == [v2])
        #expect(try await f.target.manifestExists(v1) == false)
        // v1 had its manifest: deleting it leaves no incomplete prefix behind.
        #expect(try await f.target.incompleteVersions().map(\.version) == ["deadbeefdeadbeef"])

        // v2 still reads fine, hard-linked content included.
        let manifest = try #require(await f.target.readManifest(v2))
        for entry in manifest.entries {
            let data = try #require(FileManager.default.contents(atPath: f.object(v2, entry.path)), "\(entry.path)")
            #expect(ContentHash(of: data) == entry.hash, "\(entry.path)")
        }
        #expect(fileStat(shared)?.links == 1)

        try await f.target.deleteVersion("deadbeefdeadbeef")
        #expect(try await f.target.incompleteVersions().isEmpty)
        await #expect(throws: DeployError.self) { try await f.target.deleteVersion("../target") }
        await #expect(throws: DeployError.self) { try await f.target.deleteVersion("_sitebuild") }
        #expect(FileManager.default.fileExists(atPath: f.targetRoot + "/_sitebuild/manifests"))
    }

    @Test func pruneFromRealTarget() async throws {
        // Several real deploys, then a plan from what the target reports; deleting the plan leaves
        // every kept version complete.
        let f = try DeployFixture()
        var versions: [String] = []
        for i in 0..<5 {
            try f.writeSite(variant: "\(i)")
            versions.append(try await f.deployer().deploy(directory: f.source).version)
        }
        let releases = try await f.target.listReleases()
        #expect(releases.map(\.to) == versions)
        let listed = try await f.target.listVersions()
        #expect(Set(listed) == Set(versions))
        // Creation times by deploy order; "now" far in the future so nothing is within grace.
        let created = versions.enumerated().map { (version: $0.element, created: Date(timeIntervalSince1970: Double($0.offset))) }
        let previous = try await f.deployer().previousVersion(live: f.live)
        #expect(previous == versions[3])
        let plan = PrunePlan.make(versions: created, releases: releases, live: f.live, previous: previous, keepCount: 1,
                                  grace: 60, now: Date().addingTimeInterval(365 * Self.day))
        #expect(Set(plan.keep.keys) == [versions[4], versions[3], versions[2]])
        #expect(plan.delete == [versions[0], versions[1]].sorted())
        for version in plan.delete { try await f.target.deleteVersion(version) }
        #expect(Set(try await f.target.listVersions()) == Set(plan.keep.keys))
        for version in plan.keep.keys {
            let manifest = try #require(await f.target.readManifest(version))
            for entry in manifest.entries {
                let data = try #require(FileManager.default.contents(atPath: f.object(version, entry.path)))
                #expect(ContentHash(of: data) == entry.hash)
            }
        }
    }
}
