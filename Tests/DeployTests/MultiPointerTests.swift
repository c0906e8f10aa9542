@testable import Deploy
import Foundation
import SiteContent
import Synchronization
import Testing

/// One target, several pointers (production and staging, or preview keys): release records
/// and pointer heads say which pointer each flip moved, so that rollback follows its own
/// pointer's releases and prune keeps what every pointer serves.
@Suite("Several pointers on one target")
struct MultiPointerTests {
    @Test func recordsAndHeadsNameTheirPointerAndAFilePointerInsideTheTargetByItsPathThere() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let outside = LocalPointerStore(path: f.dir.url("elsewhere/staging"))
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>two</h1>\n")
        let v2 = try await f.deployer(pointer: outside).deploy(directory: f.source).version
        let records = try await f.target.listReleases()
        #expect(records.map(\.pointer) == ["_sitebuild/live", "file://" + f.dir.url("elsewhere/staging")])
        let heads = try await f.target.readPointerHeads()
        #expect(Set(heads.map { "\($0.pointer!)=\($0.to)" }) == ["_sitebuild/live=\(v1)", "file://\(f.dir.url("elsewhere/staging"))=\(v2)"])
        // A head is replaced by its pointer's next flip.
        try f.writeSource("index.html", "<h1>three</h1>\n")
        let v3 = try await f.deployer().deploy(directory: f.source).version
        let live = try await f.target.readPointerHeads().filter { $0.pointer == "_sitebuild/live" }
        #expect(live.map(\.to) == [v3] && live.first?.from == v1)
        // Records written before records named a pointer parse, and count as any pointer's.
        let old = try #require(ReleaseRecord.parse(Data(#"{"at":"2026-01-01T00:00:00.000Z","from":"a","to":"b","action":"deploy","by":"x"}"#.utf8)))
        #expect(old.pointer == nil && old.moved(["anything"]))
        #expect(!records[1].moved(["_sitebuild/live"]))
    }

    /// A file pointer inside the target spelled through a linked folder (`$PWD` in a linked
    /// directory) and through the real one (a relative path, resolved by getcwd) is one pointer:
    /// named by its path in the target either way. Before, the linked spelling was named by its
    /// URL, `versions` listed it as another pointer and its rollback found no previous release.
    @Test func aFilePointerSpelledThroughALinkedFolderIsNamedByItsPathInTheTarget() async throws {
        let f = try DeployFixture()
        let link = f.dir.url("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: f.targetRoot)
        let linked = LocalPointerStore(path: link + "/_sitebuild/pr-1")
        let real = LocalPointerStore(path: f.targetRoot + "/_sitebuild/pr-1")
        #expect(f.target.name(of: linked) == "_sitebuild/pr-1")
        #expect(f.target.name(of: real) == "_sitebuild/pr-1")
        // Folders that do not exist yet, and a target named through the link.
        #expect(f.target.name(of: LocalPointerStore(path: link + "/previews/a/live")) == "previews/a/live")
        #expect(LocalTarget(root: link).name(of: real) == "_sitebuild/pr-1")
        #expect(f.target.name(of: LocalPointerStore(path: f.dir.url("elsewhere/live"))) == "file://" + f.dir.url("elsewhere/live"))

        try f.writeSite()
        let v1 = try await f.deployer(pointer: linked).deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>two</h1>\n")
        let v2 = try await f.deployer(pointer: real).deploy(directory: f.source).version
        #expect(try await f.target.listReleases().map(\.pointer) == ["_sitebuild/pr-1", "_sitebuild/pr-1"])
        #expect(try await f.target.readPointerHeads().map { "\($0.pointer!)=\($0.to)" } == ["_sitebuild/pr-1=\(v2)"])
        let back = try await f.deployer(pointer: linked).rollback(to: nil)
        #expect(back.from == v2 && back.to == v1)
    }

    /// Staging got a version first, then production flipped to it too: production's rollback
    /// goes back to production's previous version, not staging's.
    @Test func rollbackFollowsOnlyItsOwnPointersReleases() async throws {
        let f = try DeployFixture()
        let staging = LocalPointerStore(path: f.targetRoot + "/_sitebuild/staging")
        try f.writeSite()
        let p1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>staging</h1>\n")
        let s1 = try await f.deployer(pointer: staging).deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>both</h1>\n")
        let both = try await f.deployer(pointer: staging).deploy(directory: f.source).version
        #expect(try await f.deployer().deploy(directory: f.source).version == both)
        // Newest record to `both` is production's (from p1); staging's (from s1) is older.
        #expect(try await f.deployer(pointer: staging).previousVersion(live: both) == s1)
        #expect(try await f.deployer().previousVersion(live: both) == p1)
        let back = try await f.deployer(pointer: staging).rollback(to: nil)
        #expect(back.to == s1)
        #expect(try await staging.read().version == s1)
        #expect(f.live == both)
        // Records from before pointers were named still serve any pointer.
        try f.writeSource("index.html", "<h1>legacy</h1>\n")
        let legacy = try await f.deployer().deploy(directory: f.source).version
        let names = try await f.target.listReleaseNames()
        let newest = f.targetRoot + "/_sitebuild/releases/" + names.last!
        let text = String(decoding: FileManager.default.contents(atPath: newest)!, as: UTF8.self)
        try Data(text.replacingOccurrences(of: #","pointer":"_sitebuild/live""#, with: "").utf8).write(to: URL(fileURLWithPath: newest))
        #expect(try await f.deployer(pointer: staging).previousVersion(live: legacy) == both)
    }

    @Test func otherPointersAreReadThemselvesAndFallBackOnTheirLastRecord() async throws {
        let f = try DeployFixture()
        let staging = LocalPointerStore(path: f.targetRoot + "/_sitebuild/staging")
        let preview = LocalPointerStore(path: f.dir.url("previews/pr-7"))
        try f.writeSite()
        let p1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>s1</h1>\n")
        let s1 = try await f.deployer(pointer: staging).deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>s2</h1>\n")
        let s2 = try await f.deployer(pointer: staging).deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>pr</h1>\n")
        let pr = try await f.deployer(pointer: preview).deploy(directory: f.source).version
        func open(_ name: String, _ region: String?) throws -> (any PointerStore)? {
            if name.hasPrefix("file://") { return LocalPointerStore(path: String(name.dropFirst("file://".count))) }
            return name.contains("://") ? nil : LocalPointerStore(path: f.targetRoot + "/" + name)
        }
        var others = try await OtherPointer.find(on: f.target, besides: ["_sitebuild/live"], open: open)
        #expect(others.count == 2)
        #expect(others.contains(OtherPointer(pointer: "_sitebuild/staging", live: s2, previous: [s1])))
        #expect(others.contains(OtherPointer(pointer: "file://" + preview.path, live: pr, previous: [])))
        // Moved by something that writes no head (the toolkit's pipeline): the pointer wins,
        // and both versions its head names may be the one before.
        try await staging.compareAndSwap(expected: try await staging.read(), to: p1)
        // The preview torn down: its pointer holds nothing, so nothing is kept for it.
        try FileManager.default.removeItem(atPath: preview.path)
        others = try await OtherPointer.find(on: f.target, besides: ["_sitebuild/live"], open: open)
        #expect(others.contains(OtherPointer(pointer: "_sitebuild/staging", live: p1, previous: [s2, s1])))
        #expect(others.contains(OtherPointer(pointer: "file://" + preview.path, live: nil, previous: [])))
        // One this command cannot open counts as serving what its last flip made live.
        others = try await OtherPointer.find(on: f.target, besides: ["_sitebuild/live"]) { _, _ in nil }
        let unopened = try #require(others.first { $0.pointer == "_sitebuild/staging" })
        #expect(unopened.live == s2 && unopened.previous == [s1] && unopened.unreadable != nil)
        // Nor does one that cannot be read (a folder where its file should be): not "nothing".
        try FileManager.default.createDirectory(atPath: preview.path, withIntermediateDirectories: true)
        others = try await OtherPointer.find(on: f.target, besides: ["_sitebuild/live"], open: open)
        let unreadable = try #require(others.first { $0.pointer == "file://" + preview.path })
        #expect(unreadable.live == pr && unreadable.unreadable?.contains("cannot read the pointer") == true, "\(unreadable)")
        // And the pointer given is never among the others.
        #expect(try await OtherPointer.find(on: f.target, besides: ["_sitebuild/staging"], open: open).map(\.pointer).sorted()
                == ["_sitebuild/live", "file://" + preview.path])
    }

    /// The head goes before the flip: a run killed after its swap, or whose release record
    /// cannot be written, has still told the other pointers' prunes what its pointer serves.
    @Test func aPointersHeadIsWrittenEvenWhenItsReleaseRecordIsNot() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        _ = try await f.deployer().deploy(directory: f.source)
        let hooked = HookedTarget(f.target)
        struct Refused: Error {}
        hooked.beforeWriteRelease.withLock { $0 = { throw Refused() } }
        let preview = LocalPointerStore(path: f.targetRoot + "/_sitebuild/pr-7")
        let logged = Mutex<[String]>([])
        try f.writeSource("index.html", "<h1>preview</h1>\n")
        let outcome = try await Deployer(target: hooked, pointer: preview, log: { line in logged.withLock { $0.append(line) } })
            .deploy(directory: f.source)
        #expect(try await preview.read().version == outcome.version)
        #expect(try await f.target.listReleases().count == 1, "the preview's record was refused")
        #expect(logged.withLock { $0 }.contains { $0.contains("the release record could not be written") })
        let head = try #require(try await f.target.readPointerHeads().first { $0.pointer == "_sitebuild/pr-7" })
        #expect(head.to == outcome.version)
    }

    @Test func pruneKeepsWhatOtherPointersServeAndTheirPreviousVersions() {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let versions = (1...6).map { (version: "v\($0)", created: now.addingTimeInterval(Double(-100 + $0) * 86_400)) }
        let others = [OtherPointer(pointer: "dynamodb://pointers#staging", live: "v2", previous: ["v1"]),
                      OtherPointer(pointer: "dynamodb://pointers#pr-9", live: nil, previous: []),
                      OtherPointer(pointer: "cloudfront-kvs://arn#pr-3", live: "v6", previous: ["v3"])]
        let plan = PrunePlan.make(versions: versions, releases: [], live: "v6", previous: "v5", keepCount: 0, grace: 3600, now: now,
                                  otherPointers: others)
        #expect(plan.keep["v6"] == "live")
        #expect(plan.keep["v5"]?.contains("previous release (instant rollback)") == true)
        #expect(plan.keep["v2"] == "live through dynamodb://pointers#staging")
        #expect(plan.keep["v1"] == "previous release through dynamodb://pointers#staging")
        #expect(plan.keep["v3"] == "previous release through cloudfront-kvs://arn#pr-3")
        #expect(plan.delete == ["v4"])
    }
}
