@testable import Deploy
import Foundation
import SiteContent
import Testing

/// A pointer store that lets another "runner" flip the pointer between our read and our
/// compare-and-swap.
struct RacingPointerStore: PointerStore {
    let inner: LocalPointerStore
    let competitor: String
    var url: String { inner.url }

    func read() async throws -> PointerState { try await inner.read() }

    func compareAndSwap(expected: PointerState, to version: String) async throws {
        try await inner.compareAndSwap(expected: expected, to: competitor)
        try await inner.compareAndSwap(expected: expected, to: version)
    }
}

/// The pointer as ``RacingPointerStore`` names it (by its URL), with no competitor.
struct NamedAsRacing: PointerStore {
    let inner: LocalPointerStore
    var url: String { inner.url }
    func read() async throws -> PointerState { try await inner.read() }
    func compareAndSwap(expected: PointerState, to version: String) async throws {
        try await inner.compareAndSwap(expected: expected, to: version)
    }
}

/// What the target and pointer looked like at the moment of the compare-and-swap.
final class FlipObservation: @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [(pointerBefore: String?, manifestExisted: Bool, objectsInPlace: Bool, wanted: String)] = []
    var events: [(pointerBefore: String?, manifestExisted: Bool, objectsInPlace: Bool, wanted: String)] {
        lock.lock(); defer { lock.unlock() }
        return _events
    }
    func add(_ e: (pointerBefore: String?, manifestExisted: Bool, objectsInPlace: Bool, wanted: String)) {
        lock.lock(); _events.append(e); lock.unlock()
    }
}

/// Records, at flip time, whether the new version is complete and what was live.
struct ObservingPointerStore: PointerStore {
    let inner: LocalPointerStore
    let target: LocalTarget
    let observation: FlipObservation
    var url: String { inner.url }

    func read() async throws -> PointerState { try await inner.read() }

    func compareAndSwap(expected: PointerState, to version: String) async throws {
        let before = try await inner.read().version
        let manifest = try await target.readManifest(version)
        let inPlace = manifest.map { m in m.entries.allSatisfy { FileManager.default.fileExists(atPath: target.root + "/" + version + "/" + $0.path) } } ?? false
        observation.add((before, manifest != nil, inPlace, version))
        try await inner.compareAndSwap(expected: expected, to: version)
    }
}

@Suite("LocalTarget, LocalPointerStore and Deployer")
struct DeployerTests {
    @Test func firstDeployUploadsEverything() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let deployer = f.deployer()
        let outcome = try await deployer.deploy(directory: f.source)
        let v = outcome.version
        #expect(outcome.kind == .deployed)
        #expect(outcome.previous == nil)
        #expect(outcome.fileCount == 7)  // six files and the docs.html alias
        #expect(outcome.stats.uploaded == 7)
        #expect(outcome.stats.reused == 0)
        #expect(outcome.stats.skipped == 0)
        #expect(outcome.stats.uploadedBytes == outcome.totalBytes)
        #expect(outcome.hashedFiles == 6)

        // The manifest, written create-only, equals what the deployer computes.
        let data = try #require(FileManager.default.contents(atPath: f.manifestPath(v)))
        let written = try Manifest.parse(data)
        let (computed, _, _) = try deployer.manifest(for: f.source)
        #expect(written == computed)
        #expect(written.version == v)
        #expect(try await f.target.readManifest(v) == computed)
        #expect(try await f.target.manifestExists(v))
        #expect(try await f.target.listVersions() == [v])
        #expect(try await f.target.incompleteVersions().isEmpty)

        // The pointer file holds exactly the version.
        #expect(String(decoding: FileManager.default.contents(atPath: f.pointerPath) ?? Data(), as: UTF8.self) == v + "\n")
        #expect(try await f.pointer.read() == PointerState(version: v, token: v))

        // One release record.
        let files = f.releaseFiles()
        #expect(files.count == 1)
        #expect(files.first?.hasSuffix("-\(v).json") == true)
        let record = try #require(FileManager.default.contents(atPath: f.releasesDirectory + "/" + files[0]).flatMap(ReleaseRecord.parse))
        #expect(record.from == nil)
        #expect(record.to == v)
        #expect(record.action == "deploy")
        #expect(try await f.target.listReleases() == [record])

        // Every object has the source's bytes and is read-only.
        for entry in written.entries {
            let object = f.object(v, entry.path)
            let expected = FileManager.default.contents(atPath: f.source + "/" + (entry.aliasOf ?? entry.path))
            #expect(FileManager.default.contents(atPath: object) == expected, "\(entry.path)")
            #expect(fileStat(object)?.permissions == 0o444, "\(entry.path)")
        }
        // No temporary files are left.
        let leftovers = snapshot(f.targetRoot).keys.filter { $0.contains(".sitebuild-tmp") || $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func redeployingTheSameTreeChangesNothing() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let first = try await f.deployer().deploy(directory: f.source)
        let before = snapshot(f.targetRoot)
        let second = try await f.deployer().deploy(directory: f.source)
        #expect(second.kind == .unchanged)
        #expect(second.version == first.version)
        #expect(second.previous == first.version)
        #expect(second.stats == UploadStats())
        #expect(second.hashedFiles == 0)  // all from the stat cache
        #expect(snapshot(f.targetRoot) == before)
        #expect(f.releaseFiles().count == 1)
        #expect(f.live == first.version)
    }

    @Test func changedTreeReusesUnchangedContentAsHardLinks() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version
        let v1Contents = Dictionary(uniqueKeysWithValues: try #require(await f.target.readManifest(v1)).entries.map {
            ($0.path, FileManager.default.contents(atPath: f.object(v1, $0.path)))
        })

        try f.writeSource("index.html", "<h1>home two</h1>\n")
        try f.writeSource("new.txt", "brand new\n")
        let outcome = try await d.deploy(directory: f.source)
        let v2 = outcome.version
        #expect(outcome.kind == .deployed)
        #expect(v2 != v1)
        #expect(outcome.previous == v1)
        #expect(outcome.stats.uploaded == 2)
        #expect(outcome.stats.reused == 6)
        #expect(outcome.stats.skipped == 0)
        #expect(f.live == v2)

        // Unchanged content is a hard link to an object of v1 with the same bytes (the alias
        // docs.html and docs/index.html share a hash, so either may be the link's source).
        let m1 = try #require(await f.target.readManifest(v1))
        var v1ByInode: [UInt64: ManifestEntry] = [:]
        for entry in m1.entries { v1ByInode[try #require(fileStat(f.object(v1, entry.path))).inode] = entry }
        let m2 = try #require(await f.target.readManifest(v2))
        for path in ["about.html", "docs/index.html", "docs.html", "assets/app.css", "assets/logo.png", "404.html"] {
            let b = try #require(fileStat(f.object(v2, path)), "\(path)")
            let source = v1ByInode[b.inode]
            #expect(source != nil, "\(path) should be a hard link to a v1 object")
            #expect(source?.hash == m2.entry(at: path)?.hash, "\(path)")
            #expect(b.links >= 2, "\(path)")
            #expect(b.permissions == 0o444, "\(path)")
        }
        #expect(fileStat(f.object(v1, "about.html"))?.inode == fileStat(f.object(v2, "about.html"))?.inode)
        for path in ["index.html", "new.txt"] {
            let b = try #require(fileStat(f.object(v2, path)))
            #expect(b.links == 1, "\(path)")
            #expect(b.permissions == 0o444, "\(path)")
        }
        #expect(fileStat(f.object(v1, "index.html"))?.inode != fileStat(f.object(v2, "index.html"))?.inode)
        #expect(String(decoding: FileManager.default.contents(atPath: f.object(v2, "index.html")) ?? Data(), as: UTF8.self) == "<h1>home two</h1>\n")
        // The old version is untouched.
        for (path, contents) in v1Contents {
            #expect(FileManager.default.contents(atPath: f.object(v1, path)) == contents, "\(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: f.object(v1, "new.txt")))

        let records = try await f.target.listReleases()
        #expect(records.map(\.to) == [v1, v2])
        #expect(records.map(\.from) == [nil, v1])
        #expect(try await f.target.listVersions() == [v1, v2].sorted())
    }

    @Test func dryRunChangesNothingAndListsPlannedUploads() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let empty = snapshot(f.targetRoot)
        let planned = try await d.deploy(directory: f.source, dryRun: true)
        #expect(planned.kind == .planned)
        #expect(planned.plannedUploads == ["404.html", "about.html", "assets/app.css", "assets/logo.png", "docs.html", "docs/index.html", "index.html"])
        #expect(planned.stats == UploadStats())
        #expect(snapshot(f.targetRoot) == empty)
        #expect(f.live == nil)

        let v1 = try await d.deploy(directory: f.source).version
        #expect(planned.version == v1)
        try f.writeSource("index.html", "<h1>changed</h1>\n")
        try f.writeSource("extra/page.html", "<p>extra</p>\n")
        let before = snapshot(f.targetRoot)
        let second = try await d.deploy(directory: f.source, dryRun: true)
        #expect(second.kind == .planned)
        #expect(second.previous == v1)
        #expect(second.version != v1)
        #expect(second.plannedUploads == ["extra/page.html", "index.html"])
        #expect(snapshot(f.targetRoot) == before)
        #expect(f.live == v1)
        #expect(try await f.target.manifestExists(second.version) == false)
    }

    /// A deploy killed between its flip and its release record: the pointer's head, written
    /// just before the flip, still tells rollback where the live version came from.
    @Test func rollbackAfterAFlipWhoseRecordWasNeverWritten() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>v2</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        let releases = f.targetRoot + "/_sitebuild/releases"
        let newest = try #require(try FileManager.default.contentsOfDirectory(atPath: releases).sorted().last)
        #expect(newest.hasSuffix("-\(v2).json"))
        try FileManager.default.removeItem(atPath: releases + "/" + newest)
        #expect(try await d.previousVersion(live: v2) == v1)
        let back = try await d.rollback(to: nil)
        #expect(back.from == v2 && back.to == v1 && f.live == v1)
    }

    /// What a deploy killed (kill -9) between its flip and its release record leaves: the flip
    /// made (pointer and head), no record, the version's pending marker. The rerun of the same
    /// build finds it live and finishes the flip: writes the record from the head, removes the
    /// marker, and says what that flip came from (for its invalidation).
    @Test func aRerunFinishesAFlipStoppedBeforeItsReleaseRecord() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let notes = MessageLog()
        let d = f.deployer(log: { notes.add($0) })
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>v2</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        let releases = f.targetRoot + "/_sitebuild/releases"
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: releases).sorted().last)
        #expect(record.hasSuffix("-\(v2).json"))
        let recorded = FileManager.default.contents(atPath: releases + "/" + record)
        try FileManager.default.removeItem(atPath: releases + "/" + record)
        try await f.target.markPending(v2)

        let rerun = try await d.deploy(directory: f.source)
        #expect(rerun.kind == .unchanged && rerun.version == v2)
        #expect(rerun.finishedFlip?.from == v1 && rerun.finishedFlip?.to == v2 && rerun.finishedFlip?.action == "deploy")
        #expect(FileManager.default.contents(atPath: releases + "/" + record) == recorded, "the record the killed run owed, as it would have written it")
        #expect(try await f.target.markerAge(.pending, of: v2) == nil)
        #expect(notes.lines.contains { $0.hasPrefix("note: the deploy that made \(v2) live (") && $0.hasSuffix("was stopped before its release record: writing it now") },
                "\(notes.lines)")
        // Finished once: the next rerun has nothing to finish.
        let again = try await d.deploy(directory: f.source)
        #expect(again.kind == .unchanged && again.finishedFlip == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: releases).filter { $0.hasSuffix("-\(v2).json") }.count == 1)
        // A dry run says so and writes nothing.
        try FileManager.default.removeItem(atPath: releases + "/" + record)
        try await f.target.markPending(v2)
        let dry = try await d.deploy(directory: f.source, dryRun: true)
        #expect(dry.finishedFlip?.to == v2)
        #expect(!FileManager.default.fileExists(atPath: releases + "/" + record))
        #expect(try await f.target.markerAge(.pending, of: v2) != nil)
        // The next deploy, of other content, finishes it first: the history has no gap.
        try f.writeSource("index.html", "<h1>v3</h1>\n")
        let v3 = try await d.deploy(directory: f.source)
        #expect(v3.previous == v2 && v3.finishedFlip?.to == v2)
        let chain = try await f.target.readReleases(named: try await f.target.listReleaseNames())
        #expect(chain.map(\.to) == [v1, v2, v3.version] && chain.map(\.from) == [nil, v1, v2])
        #expect(try await f.target.markerAge(.pending, of: v2) == nil)
    }

    /// A deploy killed between its manifest and its flip left the version's pending marker: the
    /// rerun finds the version complete and flips it, and the marker goes with that flip.
    @Test func aRerunRemovesThePendingMarkerOfAVersionStoppedBeforeItsFlip() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>v2</h1>\n")
        var stopped = f.deployer()
        stopped.beforeFlip = { _ in throw CancellationError() }
        await #expect(throws: CancellationError.self) { try await stopped.deploy(directory: f.source) }
        #expect(f.live == v1)
        let v2 = try #require(try FileManager.default.contentsOfDirectory(atPath: f.targetRoot + "/_sitebuild/manifests")
            .map { String($0.dropLast(".json".count)) }.first { $0 != v1 })
        // kill -9 there: the marker stays (a cancelled run takes it away itself).
        try await f.target.markPending(v2)

        let rerun = try await d.deploy(directory: f.source)
        #expect(rerun.kind == .flippedExisting && rerun.version == v2 && f.live == v2)
        #expect(try await f.target.markerAge(.pending, of: v2) == nil)
    }

    /// A rollback killed between its flip and its release record: an older record (a deploy)
    /// also made that version live, but the head is newer, so the previous version is the one
    /// the stopped rollback left, and the next rollback writes the owed record first.
    @Test func aRollbackStoppedBeforeItsRecordIsFinishedByTheNextOne() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        _ = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>v2</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>v3</h1>\n")
        let v3 = try await d.deploy(directory: f.source).version
        let back = try await d.rollback(to: nil)
        #expect(back.from == v3 && back.to == v2)
        let releases = f.targetRoot + "/_sitebuild/releases"
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: releases).sorted().last)
        try FileManager.default.removeItem(atPath: releases + "/" + record)

        #expect(try await d.previousVersion(live: v2) == v3, "the stopped rollback came from \(v3)")
        let forth = try await d.rollback(to: nil)
        #expect(forth.from == v2 && forth.to == v3 && f.live == v3)
        let chain = try await f.target.readReleases(named: try await f.target.listReleaseNames())
        #expect(chain.suffix(2).map(\.action) == ["rollback", "rollback"])
        #expect(chain.suffix(2).map(\.to) == [v2, v3] && chain.suffix(2).map(\.from) == [v3, v2])
    }

    /// A rollback killed between its flip and its record leaves no pending marker: the next
    /// deploy's flip finds the head of the pointer naming the live version with no record, and
    /// writes that record before its own, so the history has no gap.
    @Test func aDeployAfterARollbackStoppedBeforeItsRecordWritesThatRecordFirst() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>v2</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        _ = try await d.rollback(to: nil)
        let releases = f.targetRoot + "/_sitebuild/releases"
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: releases).sorted().last)
        try FileManager.default.removeItem(atPath: releases + "/" + record)
        // Another pointer's head, damaged, is not this flip's business: its own head is read alone.
        try Data("{cut off".utf8).write(to: URL(fileURLWithPath: f.targetRoot + "/_sitebuild/pointers/"
            + ReleaseRecord.pointerHeadName("s3://elsewhere/_sitebuild/live")))

        try f.writeSource("index.html", "<h1>v3</h1>\n")
        let v3 = try await d.deploy(directory: f.source)
        #expect(v3.previous == v1 && v3.finishedFlip == nil)
        let chain = try await f.target.readReleases(named: try await f.target.listReleaseNames())
        #expect(chain.map(\.to) == [v1, v2, v1, v3.version] && chain.map(\.from) == [nil, v1, v2, v1])
        #expect(chain.map(\.action) == ["deploy", "deploy", "rollback", "deploy"])
    }

    /// A rollback to a version whose manifest is damaged is refused naming the way back (a
    /// deploy of its build writes the manifest again), and that deploy makes it live.
    @Test func aRollbackToAVersionWithADamagedManifestSaysHowToRepairIt() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        try Data("{\"version\": \"cut".utf8).write(to: URL(fileURLWithPath: f.targetRoot + "/_sitebuild/manifests/\(v1).json"))

        let refused = await #expect(throws: DeployError.self) { try await d.rollback(to: nil) }
        let said = refused?.description ?? ""
        #expect(said.hasPrefix("the manifest \(f.targetRoot)/_sitebuild/manifests/\(v1).json is damaged: "), "\(said)")
        #expect(said.contains("Deploy the build version \(v1) was made from again (`sitebuild deploy DIR` or `sitebuild run`"), "\(said)")
        #expect(refused?.isInvalidInput == false)
        #expect(f.live == v2)

        try f.writeSource("index.html", "<h1>home one</h1>\n")
        let repaired = try await d.deploy(directory: f.source)
        #expect(repaired.version == v1 && f.live == v1)
        #expect(try await f.target.readManifest(v1) != nil)
    }

    /// A version whose objects were deleted outside sitebuild (a lifecycle rule, by hand) is
    /// never made live so: rollback refuses it, and a deploy of its content puts them back from
    /// the tree first. The live version's no-change deploy does not look (one read, no listing).
    @Test func aVersionWithMissingObjectsIsRepairedByADeployAndRefusedByRollback() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let notes = MessageLog()
        let d = f.deployer(log: { notes.add($0) })
        let v1 = try await d.deploy(directory: f.source).version
        let logo = try #require(FileManager.default.contents(atPath: f.object(v1, "assets/logo.png")))
        try f.writeSource("index.html", "<h1>second</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        for path in ["assets/logo.png", "docs.html"] { #expect(unlink(f.object(v1, path)) == 0) }

        let refused = await #expect(throws: DeployError.self) { try await d.rollback(to: nil) }
        #expect(refused?.description.hasPrefix("version \(v1) is missing 2 of its 7 objects (assets/logo.png, docs.html) on ") == true,
                "\(String(describing: refused))")
        #expect(refused?.description.contains("`sitebuild deploy DIR`") == true && refused?.isInvalidInput == false)
        #expect(f.live == v2)

        try f.writeSource("index.html", "<h1>home one</h1>\n")
        let repaired = try await d.deploy(directory: f.source)
        #expect(repaired.version == v1 && repaired.kind == .flippedExisting && repaired.restored == 2)
        #expect(repaired.stats.reused + repaired.stats.uploaded == 2, "\(repaired.stats)")
        #expect(notes.lines.contains { $0.hasPrefix("2 of its 7 objects (assets/logo.png, docs.html) of version \(v1) are missing") })
        #expect(FileManager.default.contents(atPath: f.object(v1, "assets/logo.png")) == logo)
        #expect(FileManager.default.contents(atPath: f.object(v1, "docs.html")) == Data("<h1>docs</h1>\n".utf8))
        #expect(f.live == v1)
        #expect(try await f.target.markerAge(.pending, of: v1) == nil, "the repair's pending marker goes with its flip")
        #expect(try await d.rollback(to: v2).to == v2)
        #expect(try await d.rollback(to: v1).to == v1)

        // Live: a deploy that changes nothing reads the pointer and the manifest, and lists nothing.
        #expect(unlink(f.object(v1, "about.html")) == 0)
        #expect(try await d.deploy(directory: f.source).kind == .unchanged)
        #expect(!FileManager.default.fileExists(atPath: f.object(v1, "about.html")))
        // With `repairLive` (--repair) it lists, and puts back what is missing without a flip.
        var repairing = d
        repairing.repairLive = true
        let planned = try await repairing.deploy(directory: f.source, dryRun: true)
        #expect(planned.kind == .planned && planned.restored == 1 && planned.plannedUploads == ["about.html"])
        #expect(!FileManager.default.fileExists(atPath: f.object(v1, "about.html")))
        let records = try FileManager.default.contentsOfDirectory(atPath: f.target.root + "/_sitebuild/releases").count
        let fixed = try await repairing.deploy(directory: f.source)
        #expect(fixed.kind == .repaired && fixed.restored == 1 && fixed.stats.uploaded == 1, "\(fixed.stats)")
        #expect(FileManager.default.contents(atPath: f.object(v1, "about.html")) == Data("<h1>about</h1>\n".utf8))
        #expect(notes.lines.contains { $0.hasPrefix("1 of its 7 objects (about.html) of the live version \(v1) are missing") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.target.root + "/_sitebuild/releases").count == records)
        #expect(try await f.target.markerAge(.pending, of: v1) == nil)
        #expect(f.live == v1)
        #expect(try await repairing.deploy(directory: f.source).kind == .unchanged)
    }

    /// A pointer that names a version this target never had (another site's pointer: two sites
    /// on one store's default key `path`) is not flipped unless told to; a version the target
    /// had, deleted since, or another tool's files, is no reason to refuse.
    @Test func aPointerServingAnotherSiteIsNotTakenOver() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let other = try DeployFixture()
        try other.writeSite(variant: "other site")
        let otherVersion = try await other.deployer().deploy(directory: other.source).version
        // This site's deploys use the other site's pointer.
        let d = f.deployer(pointer: other.pointer)
        for dryRun in [true, false] {
            let refused = await #expect(throws: DeployError.self) { try await d.deploy(directory: f.source, dryRun: dryRun) }
            #expect(refused?.isInvalidInput == true)
            #expect(refused?.description.hasPrefix("\(other.pointer.url) says \(otherVersion) is live, but \(f.target.url) has never had "
                + "a version \(otherVersion)") == true, "\(String(describing: refused))")
            #expect(refused?.description.contains("--take-over-pointer") == true)
        }
        #expect(other.live == otherVersion)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.targetRoot).filter { !$0.hasPrefix("_") }.isEmpty, "nothing uploaded")
        // A rollback through it would take the other site down just the same.
        let rollback = await #expect(throws: DeployError.self) { try await d.rollback(to: nil) }
        #expect(rollback?.description.hasPrefix("\(other.pointer.url) says \(otherVersion) is live, but \(f.target.url) has never had "
            + "a version \(otherVersion)") == true, "\(String(describing: rollback))")
        #expect(rollback?.description.contains("Nothing was changed") == true && rollback?.isInvalidInput == true)
        #expect(other.live == otherVersion)

        var taking = d
        taking.takeOverPointer = true
        let taken = try await taking.deploy(directory: f.source)
        #expect(taken.kind == .deployed && other.live == taken.version && taken.previous == otherVersion)

        // A version of this target's, deleted by hand while live: a deploy replaces it.
        let own = f.deployer()
        let v1 = try await own.deploy(directory: f.source).version
        try FileManager.default.removeItem(atPath: f.targetRoot + "/" + v1)
        try FileManager.default.removeItem(atPath: f.manifestPath(v1))
        try f.writeSource("index.html", "<h1>next</h1>\n")
        #expect(try await own.deploy(directory: f.source).kind == .deployed)

        // Another tool's version (files, no manifest): taken over, as from the Hosting Toolkit.
        let g = try DeployFixture()
        try g.writeSite()
        try g.dir.write("target/0a1b2c3d/index.html", "<h1>toolkit</h1>\n")
        try g.dir.write("target/_sitebuild/live", "0a1b2c3d")
        #expect(try await g.deployer().deploy(directory: g.source).previous == "0a1b2c3d")
    }

    /// A stack taken over from the Hosting Toolkit: its last version (files, no manifest) was
    /// live before sitebuild's first flip, and rollback goes back to it; a version a killed
    /// deploy of sitebuild's left (its pending marker) is never made live.
    @Test func rollbackToTheVersionAnotherToolUploaded() async throws {
        let f = try DeployFixture()
        try f.dir.write("target/0a1b2c3d/index.html", "<h1>toolkit</h1>\n")
        try f.dir.write("target/_sitebuild/live", "0a1b2c3d\n")
        try f.writeSite()
        let notes = MessageLog()
        let d = f.deployer(log: { notes.add($0) })
        let v1 = try await d.deploy(directory: f.source).version
        #expect(f.live == v1)
        #expect(try await d.previousVersion(live: v1) == "0a1b2c3d")
        let back = try await d.rollback(to: nil)
        #expect(back.from == v1 && back.to == "0a1b2c3d" && f.live == "0a1b2c3d")
        #expect(notes.lines.contains { $0.contains("0a1b2c3d has no sitebuild manifest") })
        #expect(try await f.target.listReleases().last?.action == "rollback")
        // And forward again, by name.
        #expect(try await d.rollback(to: v1).to == v1)
        #expect(try await d.rollback(to: "0a1b2c3d").to == "0a1b2c3d")

        // Files a killed deploy left (its pending marker is there): refused, pointer unmoved.
        try f.dir.write("target/feedfacefeedface/index.html", "<h1>half</h1>\n")
        try f.dir.write("target/_sitebuild/pending/feedfacefeedface.json", "{}\n")
        await #expect(throws: DeployError.self) { try await d.rollback(to: "feedfacefeedface") }
        // Nor what a prune killed half-way left (its deleting marker, however old).
        try f.dir.write("target/5a5a5a5a/about.html", "<h1>left</h1>\n")
        try f.dir.write("target/_sitebuild/deleting/5a5a5a5a/token.json", "{}\n")
        var old = timeval(tv_sec: Int(Date().timeIntervalSince1970) - 7200, tv_usec: 0)
        _ = withUnsafePointer(to: &old) { pointer in [pointer.pointee, pointer.pointee].withUnsafeBufferPointer {
            utimes(f.targetRoot + "/_sitebuild/deleting/5a5a5a5a/token.json", $0.baseAddress) } }
        await #expect(throws: DeployError.self) { try await d.rollback(to: "5a5a5a5a") }
        // An empty folder is no version either.
        try FileManager.default.createDirectory(atPath: f.targetRoot + "/0000000000000000", withIntermediateDirectories: true)
        await #expect(throws: DeployError.self) { try await d.rollback(to: "0000000000000000") }
        #expect(f.live == "0a1b2c3d")
    }

    @Test func rollback() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version

        // Only one release: nothing to roll back to.
        await #expect(throws: DeployError.self) { try await d.rollback(to: nil) }
        #expect(f.live == v1)

        try f.writeSource("index.html", "<h1>v2</h1>\n")
        let v2 = try await d.deploy(directory: f.source).version
        #expect(f.live == v2)

        let back = try await d.rollback(to: nil)
        #expect(back.from == v2)
        #expect(back.to == v1)
        #expect(f.live == v1)
        let records = try await f.target.listReleases()
        #expect(records.count == 3)
        #expect(records.last?.action == "rollback")
        #expect(records.last?.from == v2)
        #expect(records.last?.to == v1)
        #expect(try await d.previousVersion(live: v1) == v2)

        // Rolling back again goes forward to v2 (the release before the current one).
        let forward = try await d.rollback(to: nil)
        #expect(forward.to == v2)
        #expect(f.live == v2)

        // Naming the live version is a no-op without a record.
        let same = try await d.rollback(to: v2)
        #expect(same.from == v2 && same.to == v2)
        #expect(try await f.target.listReleases().count == 4)

        // Unknown or invalid versions fail and leave the pointer alone.
        await #expect(throws: DeployError.self) { try await d.rollback(to: "0123456789abcdef") }
        await #expect(throws: DeployError.self) { try await d.rollback(to: "../etc") }
        await #expect(throws: DeployError.self) { try await d.rollback(to: "_sitebuild") }
        #expect(f.live == v2)
        #expect(try await f.target.listReleases().count == 4)

        // An explicit version works.
        let explicit = try await d.rollback(to: v1)
        #expect(explicit.from == v2 && explicit.to == v1)
        #expect(f.live == v1)
    }

    /// A `.git` directory (or a worktree's `.git` file) is never published, wherever it is:
    /// its config holds remote URLs, tokens included. The deploy says what it left out.
    @Test func gitRepositoriesInTheTreeAreNotDeployed() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        try f.writeSource(".git/config", "[remote \"origin\"]\n\turl = https://user:ghp_secret@github.com/o/r\n")
        try f.writeSource(".git/HEAD", "ref: refs/heads/main\n")
        try f.writeSource("vendor/lib/.git", "gitdir: ../../.git/modules/lib\n")
        try f.writeSource("vendor/lib/readme.txt", "kept\n")
        try f.writeSource(".gitignore", "node_modules\n")
        // Links under other names to the repository or a file in it.
        symlink(".git", f.source + "/g")
        symlink(".git/config", f.source + "/cfg")
        let outcome = try await f.deployer().deploy(directory: f.source)
        let manifest = try #require(outcome.manifest)
        let paths = manifest.entries.indices.map { manifest.entries.path(at: $0) }
        #expect(!paths.contains { $0.hasPrefix(".git/") || $0.hasSuffix("/.git") || $0.hasPrefix("g/") || $0 == "cfg" }, "\(paths)")
        #expect(paths.contains("vendor/lib/readme.txt") && paths.contains(".gitignore"))
        #expect(!FileManager.default.fileExists(atPath: f.object(outcome.version, ".git/config")))
        #expect(outcome.warnings.contains { $0.contains(".git, cfg, g, vendor/lib/.git") && $0.contains("not deployed") }, "\(outcome.warnings)")
    }

    /// Files of credentials by convention (.env, .npmrc, .aws/, …) are never published either
    /// (`deploy .` from a project folder); `.env.example` and other dotfiles are.
    @Test func credentialFilesInTheTreeAreNotDeployed() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        try f.writeSource(".env", "AWS_SECRET=abc\n")
        try f.writeSource(".env.production.local", "TOKEN=x\n")
        try f.writeSource("app/.npmrc", "//registry.npmjs.org/:_authToken=npm_xyz\n")
        try f.writeSource(".aws/credentials", "[default]\n")
        try f.writeSource(".env.example", "AWS_SECRET=\n")
        try f.writeSource(".well-known/security.txt", "Contact: a@b\n")
        let outcome = try await f.deployer().deploy(directory: f.source)
        let manifest = try #require(outcome.manifest)
        let paths = Set(manifest.entries.indices.map { manifest.entries.path(at: $0) })
        for gone in [".env", ".env.production.local", "app/.npmrc", ".aws/credentials"] { #expect(!paths.contains(gone), "\(gone)") }
        #expect(paths.contains(".env.example") && paths.contains(".well-known/security.txt"))
        #expect(outcome.warnings.contains { $0.hasPrefix(".aws, .env, .env.production.local, app/.npmrc in ") && $0.contains("files of credentials") },
                "\(outcome.warnings)")
    }

    /// A lock or temporary file planted as a link (a shared folder) is not written through.
    @Test func thePointerDoesNotWriteThroughALinkedLockFile() async throws {
        let dir = try TempDir("linked-lock")
        let victim = dir.url("victim")
        try FileManager.default.createDirectory(atPath: dir.url("p"), withIntermediateDirectories: true)
        #expect(symlink(victim, dir.url("p/live.lock")) == 0)
        let store = LocalPointerStore(path: dir.url("p/live"))
        await #expect(throws: (any Error).self) { try await store.compareAndSwap(expected: PointerState(version: nil, token: nil), to: "v1") }
        #expect(!FileManager.default.fileExists(atPath: victim))
    }

    @Test func writeManifestIsCreateOnly() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let (manifest, _) = try buildManifest(f.source)
        // Without its pending marker (never uploaded, or pruned meanwhile) the manifest is refused.
        await #expect(throws: DeployError.self) { try await f.target.writeManifest(manifest) }
        try await f.target.markPending(manifest.version)
        #expect(try await f.target.writeManifest(manifest))
        let path = f.manifestPath(manifest.version)
        let first = try #require(FileManager.default.contents(atPath: path))
        #expect(String(decoding: first, as: UTF8.self) == manifest.serialized())
        let stat1 = fileStat(path)

        let other = Manifest(entries: manifest.entries, version: manifest.version, metadata: [("createdBy", "someone else")])
        #expect(other.serialized() != manifest.serialized())
        #expect(try await f.target.writeManifest(other) == false)
        #expect(FileManager.default.contents(atPath: path) == first)
        #expect(fileStat(path)?.inode == stat1?.inode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.targetRoot + "/_sitebuild/manifests") == [manifest.version + ".json"])
    }

    @Test func literalVersionIds() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let first = try await d.deploy(directory: f.source, version: "release-1")
        #expect(first.kind == .deployed)
        #expect(first.version == "release-1")
        #expect(f.live == "release-1")
        #expect(try await d.deploy(directory: f.source, version: "release-1").kind == .unchanged)

        try f.writeSource("index.html", "<h1>other content</h1>\n")
        for bad in ["_sitebuild", ".hidden", "-x", "a/b", "", String(repeating: "a", count: 129)] {
            await #expect(throws: DeployError.self, "\(bad)") { try await d.deploy(directory: f.source, version: bad) }
        }
        #expect(f.live == "release-1")
        // A content-id deploy of a tree that is complete but not live only flips.
        try f.writeSite()
        let flipped = try await d.deploy(directory: f.source)
        #expect(flipped.kind == .deployed)
        try f.writeSource("index.html", "<h1>again</h1>\n")
        let third = try await d.deploy(directory: f.source)
        try f.writeSite()
        let back = try await d.deploy(directory: f.source)
        #expect(back.kind == .flippedExisting)
        #expect(back.version == flipped.version)
        #expect(back.previous == third.version)
        #expect(back.stats == UploadStats())
        #expect(f.live == flipped.version)
    }

    /// Versions are immutable: other content under an existing literal id must be refused,
    /// whether or not that id is live.
    @Test func differentContentUnderAnExistingLiteralVersionIsRefused() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        _ = try await d.deploy(directory: f.source, version: "release-1")
        _ = try await d.deploy(directory: f.source, version: "release-2")
        try f.writeSource("index.html", "<h1>other content</h1>\n")
        // Not live: refused, as a mistake in the input (exit 2).
        await #expect(throws: DeployError.self) { try await d.deploy(directory: f.source, version: "release-1") }
        do {
            _ = try await d.deploy(directory: f.source, version: "release-1")
        } catch let error as DeployError {
            #expect(error.isInvalidInput)
        }
        #expect(f.live == "release-2")
        // Live: must be refused too, not reported as "unchanged" with the new content never deployed.
        await #expect(throws: DeployError.self) { try await d.deploy(directory: f.source, version: "release-2") }
        #expect(f.live == "release-2")
        let served = FileManager.default.contents(atPath: f.object("release-2", "index.html")).map { String(decoding: $0, as: UTF8.self) }
        #expect(served == "<h1>home one</h1>\n")
    }

    @Test func deployOfMissingOrEmptyDirectoryFails() async throws {
        let f = try DeployFixture()
        await #expect(throws: DeployError.self) { try await f.deployer().deploy(directory: f.source) }  // empty
        await #expect(throws: DeployError.self) { try await f.deployer().deploy(directory: f.source + "/nope") }
        #expect(f.live == nil)
    }

    // MARK: resume

    @Test func resumedDeploySkipsObjectsAlreadyInPlace() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        try f.writeSource("blog/index.html", "<h1>blog</h1>\n")
        try f.writeSource("big.bin", pseudoRandomBytes(200_000, seed: 5))
        let (m2, _, _) = try f.deployer().manifest(for: f.source)

        // An interrupted run: some objects of the new version are in place, no manifest, no flip.
        let done = m2.entries.filter { ["big.bin", "blog/index.html", "about.html"].contains($0.path) }
        try #require(done.count == 3)
        let partial = Manifest(entries: done, version: m2.version)
        let interrupted = try await f.target.upload(partial, from: f.source, reusable: .empty) { _ in }
        #expect(interrupted.uploaded == 3)
        #expect(f.live == v1)
        #expect(try await f.target.manifestExists(m2.version) == false)
        #expect(try await f.target.listVersions() == [v1])
        #expect(try await f.target.incompleteVersions().map(\.version) == [m2.version])
        let inodes = done.map { fileStat(f.object(m2.version, $0.path))?.inode }

        let observation = FlipObservation()
        let observing = ObservingPointerStore(inner: f.pointer, target: f.target, observation: observation)
        let outcome = try await f.deployer(pointer: observing).deploy(directory: f.source)
        #expect(outcome.kind == .deployed)
        #expect(outcome.version == m2.version)
        #expect(outcome.stats.skipped == 3)
        #expect(outcome.stats.uploaded + outcome.stats.reused + outcome.stats.skipped == m2.entries.count)
        #expect(outcome.stats.reused == 5)  // 404, app.css, logo.png, docs/index.html, docs.html from v1
        #expect(outcome.stats.uploaded == 2)  // index.html, blog.html alias
        #expect(done.map { fileStat(f.object(m2.version, $0.path))?.inode } == inodes)

        // The pointer moved once, at the end, when everything was in place.
        let events = observation.events
        #expect(events.count == 1)
        #expect(events.first?.pointerBefore == v1)
        #expect(events.first?.manifestExisted == true)
        #expect(events.first?.objectsInPlace == true)
        #expect(f.live == m2.version)
        #expect(try await f.target.incompleteVersions().isEmpty)
        for entry in m2.entries {
            #expect(FileManager.default.contents(atPath: f.object(m2.version, entry.path))
                        == FileManager.default.contents(atPath: f.source + "/" + (entry.aliasOf ?? entry.path)), "\(entry.path)")
        }
    }

    @Test func resumeAfterEverythingWasUploaded() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let (m, _, _) = try f.deployer().manifest(for: f.source)
        _ = try await f.target.upload(m, from: f.source, reusable: .empty) { _ in }
        #expect(f.live == nil)
        let outcome = try await f.deployer().deploy(directory: f.source)
        #expect(outcome.kind == .deployed)
        #expect(outcome.stats.skipped == m.entries.count)
        #expect(outcome.stats.uploaded == 0)
        #expect(f.live == m.version)
    }

    /// With a literal version id (`--version-id commit`), a rebuild after an interrupted
    /// deploy can give different bytes of the same size; skipping "already in place"
    /// objects by size alone serves the old bytes under the new manifest's hash.
    @Test func resumeWithLiteralVersionDoesNotKeepStaleBytes() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        try f.writeSource("build-info.txt", "built at 2026-01-01T10:00:00Z\n")
        let (first, _, _) = try f.deployer().manifest(for: f.source, version: "commit-abc123")
        _ = try await f.target.upload(first, from: f.source, reusable: .empty) { _ in }  // interrupted: no manifest

        try f.writeSource("build-info.txt", "built at 2026-01-01T10:05:00Z\n")  // same size
        let outcome = try await f.deployer().deploy(directory: f.source, version: "commit-abc123")
        #expect(outcome.kind == .deployed)
        let manifest = try #require(await f.target.readManifest("commit-abc123"))
        let entry = try #require(manifest.entry(at: "build-info.txt"))
        let served = try #require(FileManager.default.contents(atPath: f.object("commit-abc123", "build-info.txt")))
        #expect(ContentHash(of: served) == entry.hash)
        #expect(String(decoding: served, as: UTF8.self) == "built at 2026-01-01T10:05:00Z\n")
    }

    /// A file rewritten at the same size after it was hashed (another build writing into the
    /// directory being deployed) is not placed under its planned hash: the local target refused
    /// only a changed size, so the version held the new bytes under the old hash, a restore
    /// called it already live, and later versions linked those bytes as "unchanged".
    @Test func aFileRewrittenAtTheSameSizeAfterHashingIsRefused() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let (planned, _, _) = try f.deployer().manifest(for: f.source)
        try f.writeSource("about.html", "<h1>ABOUT</h1>\n")  // same size, other bytes
        do {
            _ = try await f.target.upload(planned, from: f.source, reusable: .empty) { _ in }
            Issue.record("a rewritten file was placed under its planned hash")
        } catch let error as PlannedHashMismatch {
            #expect("\(error)".contains("about.html changed while deploying (its content no longer has the hash it was planned with)"),
                    "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: f.object(planned.version, "about.html")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: f.targetRoot + "/" + planned.version)
        #expect(!leftovers.contains { $0.hasPrefix(".sitebuild-tmp-") }, "\(leftovers)")
        // Deployed again, the new bytes go out under their own hash.
        let outcome = try await f.deployer().deploy(directory: f.source)
        #expect(outcome.kind == .deployed)
        let manifest = try #require(await f.target.readManifest(outcome.version))
        let served = try #require(FileManager.default.contents(atPath: f.object(outcome.version, "about.html")))
        #expect(ContentHash(of: served) == manifest.entry(at: "about.html")?.hash)
    }

    /// A rerun under a literal id after a killed run of other content: the directory holds
    /// exactly the new build's files afterwards (the killed run's extra files and temporary
    /// files go), and no lock file is left.
    @Test func aLiteralIdRerunLeavesNothingOfTheKilledRun() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        try f.writeSource("big.bin", pseudoRandomBytes(70_000, seed: 9))
        let (killed, _, _) = try f.deployer().manifest(for: f.source, version: "rel-1")
        _ = try await f.target.upload(killed, from: f.source, reusable: .empty) { _ in }  // interrupted: no manifest
        try Data("half a file".utf8).write(to: URL(fileURLWithPath: f.object("rel-1", "docs/.sitebuild-tmp-999999-3")))
        try f.removeSource("big.bin")
        try f.writeSource("index.html", "<h1>the rerun's home</h1>\n")
        _ = try await f.deployer().deploy(directory: f.source, version: "rel-1")
        let manifest = try #require(try await f.target.readManifest("rel-1"))
        let files = try FileManager.default.subpathsOfDirectory(atPath: f.targetRoot + "/rel-1").filter {
            var status = stat()
            return lstat(f.targetRoot + "/rel-1/" + $0, &status) == 0 && (status.st_mode & S_IFMT) != S_IFDIR
        }
        #expect(Set(files) == Set(manifest.entries.map(\.path)), "\(files.sorted())")
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.targetRoot + "/_sitebuild/locks").isEmpty)
    }

    /// Temporary files that runs killed half-way through a write left in `_sitebuild/` (a record,
    /// a marker, a manifest, the pointer) go with the next deploy; a running process's stay, and
    /// no write of a deploy leaves one (Foundation's atomic writes left `.dat.nosync…` files).
    @Test func temporaryFilesOfKilledRunsInTheRecordFoldersGoWithTheNextDeploy() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        _ = try await f.deployer().deploy(directory: f.source)
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let records = f.targetRoot + "/_sitebuild"
        let stale = ["releases/.sitebuild-tmp-\(dead)-w1", "manifests/.sitebuild-tmp-\(dead)-w2", "pending/.sitebuild-tmp-\(dead)-w3",
                     "releases/.dat.nosyncA1b2C3", "live.\(dead).tmp", "manifests/.6974039452c6025e.\(dead).tmp"]
        let kept = ["releases/.sitebuild-tmp-\(getppid())-w4", "releases/.dat.nosyncRecent", "live.\(getppid()).tmp",
                    "manifests/.6974039452c6025e.\(getppid()).tmp"]
        for name in stale + kept {
            try FileManager.default.createDirectory(atPath: (records + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: records + "/" + name, contents: Data("x".utf8)))
        }
        let old = Date().addingTimeInterval(-7200)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: records + "/releases/.dat.nosyncA1b2C3")
        try f.writeSource("index.html", "<h1>changed</h1>\n")
        _ = try await f.deployer().deploy(directory: f.source)
        for name in stale { #expect(!FileManager.default.fileExists(atPath: records + "/" + name), "\(name)") }
        for name in kept { #expect(FileManager.default.fileExists(atPath: records + "/" + name), "\(name)") }
        for name in kept { unlink(records + "/" + name) }
        let leftovers = snapshot(f.targetRoot).keys.filter { $0.contains(".sitebuild-tmp") || $0.hasSuffix(".tmp") || $0.contains(".dat.nosync") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// The local claim: held by one deploy at a time, its lock file gone once released.
    @Test func theLocalWritingClaimIsExclusiveAndLeavesNoFile() async throws {
        let f = try DeployFixture()
        let held = try await f.target.claimWriting("rel-1")
        await #expect(throws: WritingClaimHeld.self) { _ = try await f.target.claimWriting("rel-1") }
        let other = try await f.target.claimWriting("rel-2")
        await other.release()
        await held.release()
        await held.release()
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.targetRoot + "/_sitebuild/locks").isEmpty)
        let again = try await f.target.claimWriting("rel-1")
        await again.release()
    }

    /// A literal id whose folder on the local target holds files no deploy of it made is
    /// refused (invalid input), and the files stay.
    @Test func aLiteralIdNamingAnOccupiedFolderIsRefused() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        try FileManager.default.createDirectory(atPath: f.targetRoot + "/notes", withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: f.targetRoot + "/notes/keep.txt"))
        for dryRun in [true, false] {
            do {
                _ = try await f.deployer().deploy(directory: f.source, version: "notes", dryRun: dryRun)
                Issue.record("the deploy should have been refused")
            } catch let error as DeployError {
                #expect(error.isInvalidInput)
                #expect(error.description.contains("notes/keep.txt"), "\(error)")
            }
        }
        #expect(try String(contentsOfFile: f.targetRoot + "/notes/keep.txt", encoding: .utf8) == "precious")
        #expect(f.live == nil)
    }

    // MARK: interrupted (a signal cancels the deploy's task)

    /// Cancelled before its flip (here: by the hook that runs right before it), a deploy of a
    /// literal id changes nothing live and releases its claim; the version it completed is
    /// made live by the next run.
    @Test func aDeployCancelledBeforeItsFlipChangesNothingLiveAndReleasesItsClaim() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        var d = f.deployer()
        let deploy = Locked<Task<DeployOutcome, any Error>?>(nil)
        d.beforeFlip = { _ in deploy.withLock { $0?.cancel() } }
        let task = Task { [d] in try await d.deploy(directory: f.source, version: "rel-1") }
        deploy.withLock { $0 = task }
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(f.live == nil)
        #expect(f.releaseFiles().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.targetRoot + "/_sitebuild/locks").isEmpty)
        let rerun = try await f.deployer().deploy(directory: f.source, version: "rel-1")
        #expect(rerun.kind == .flippedExisting)
        #expect(f.live == "rel-1")
    }

    /// Cancelled while it hashes the tree (here: from the start), a deploy stops there (no
    /// file is read, so no stat cache is saved) and writes nothing to the target, not even its
    /// pending marker.
    @Test func aDeployCancelledWhileHashingWritesNothing() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await d.deploy(directory: f.source, version: "rel-1")
        }
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(f.live == nil)
        let written = (try? FileManager.default.subpathsOfDirectory(atPath: f.targetRoot)) ?? []
        #expect(written.filter { !$0.hasSuffix(".lock") && !["_sitebuild", "_sitebuild/locks"].contains($0) }.isEmpty, "\(written)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: f.statCache)) ?? []).isEmpty)
    }

    /// Cancelled while its flip is under way, a deploy completes the flip and records the
    /// release: a flip cut off after its write would be live with no record of it.
    @Test func aDeployCancelledDuringItsFlipCompletesItAndItsRecord() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let deploy = Locked<Task<DeployOutcome, any Error>?>(nil)
        let pointer = CancellingPointer(inner: f.pointer) { deploy.withLock { $0?.cancel() } }
        let d = f.deployer(pointer: pointer)
        let task = Task { try await d.deploy(directory: f.source) }
        deploy.withLock { $0 = task }
        let outcome = try await task.value
        #expect(pointer.swaps.withLock { $0 } == 1)
        #expect(task.isCancelled)
        #expect(f.live == outcome.version)
        #expect(f.releaseFiles().count == 1)
    }

    // MARK: stale pointer

    @Test func flipWithStaleStateConflicts() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let d = f.deployer()
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>mine</h1>\n")
        let (m2, _, _) = try d.manifest(for: f.source)
        let state = try await f.pointer.read()
        #expect(state.version == v1)
        _ = try await f.target.upload(m2, from: f.source, reusable: .empty) { _ in }
        #expect(try await f.target.writeManifest(m2))

        // Another runner flips between our read and our compare-and-swap.
        try await f.pointer.compareAndSwap(expected: state, to: "someone-else")
        do {
            try await d.flip(to: m2.version, expected: state, action: "deploy")
            Issue.record("the flip should have conflicted")
        } catch let conflict as PointerConflict {
            #expect(conflict.expected == v1)
            #expect(conflict.found == "someone-else")
            #expect(conflict.wanted == m2.version)
            #expect(conflict.description.contains(v1) && conflict.description.contains("someone-else") && conflict.description.contains(m2.version))
        }
        #expect(f.live == "someone-else")
        #expect(f.releaseFiles().count == 1)
    }

    @Test func flipToOurOwnVersionAlreadyLiveIsSuccess() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let messages = MessageLog()
        let d = f.deployer(log: { messages.add($0) })
        let v1 = try await d.deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>same content, two runners</h1>\n")
        let (m2, _, _) = try d.manifest(for: f.source)
        let state = try await f.pointer.read()
        _ = try await f.target.upload(m2, from: f.source, reusable: .empty) { _ in }
        _ = try await f.target.writeManifest(m2)
        try await f.pointer.compareAndSwap(expected: state, to: m2.version)  // the other runner won with the same content
        try await d.flip(to: m2.version, expected: state, action: "deploy")
        #expect(f.live == m2.version)
        #expect(messages.lines.contains { $0.contains(m2.version) })
        #expect(try await f.pointer.read().version != v1)
    }

    @Test func deployWhosePointerWentStaleConflicts() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>racing</h1>\n")
        let racing = RacingPointerStore(inner: f.pointer, competitor: "other-runner")
        do {
            _ = try await f.deployer(pointer: racing).deploy(directory: f.source)
            Issue.record("the deploy should have conflicted")
        } catch let conflict as PointerConflict {
            #expect(conflict.expected == v1)
            #expect(conflict.found == "other-runner")
            // The rollback it suggests names this target and pointer, not the default ones.
            #expect("\(conflict)".contains("`sitebuild rollback \(conflict.wanted) --target \(f.target.url) --pointer \(racing.url)`"), "\(conflict)")
        }
        #expect(f.live == "other-runner")
        // The new version is complete but not live; a plain rerun makes it live.
        let (m2, _, _) = try f.deployer().manifest(for: f.source)
        #expect(try await f.target.manifestExists(m2.version))
        let rerun = try await f.deployer().deploy(directory: f.source)
        #expect(rerun.kind == .flippedExisting)
        #expect(rerun.previous == "other-runner")
        #expect(f.live == m2.version)
    }

    /// ``Deployer/willFlip`` runs before the pointer moves (so a run killed right after the flip
    /// has recorded what the flip owes its distribution), with the version replaced, those the
    /// stopped flips it finishes came from, and the new one; a flip that lost its race undoes it.
    @Test func willFlipRunsBeforeThePointerMovesAndIsUndoneWhenTheFlipLoses() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let calls = MessageLog()
        func observed(_ deployer: Deployer) -> Deployer {
            var deployer = deployer
            let pointer = f.pointer
            deployer.willFlip = { from, also, to in
                let live = (try? await pointer.read().version) ?? nil
                calls.add("will \(from ?? "none")->\(to) also \(also) live \(live ?? "none")")
                return { calls.add("undo \(to)") }
            }
            return deployer
        }
        let v1 = try await observed(f.deployer()).deploy(directory: f.source).version
        #expect(calls.lines == ["will none->\(v1) also [] live none"])
        try f.writeSource("index.html", "<h1>v2</h1>\n")
        let v2 = try await observed(f.deployer()).deploy(directory: f.source).version
        #expect(calls.lines.last == "will \(v1)->\(v2) also [] live \(v1)")

        // A rollback killed between its flip and its release record (no pending marker): the
        // next flip finishes it, and names where that flip came from.
        _ = try await f.deployer().rollback(to: v1)
        let releases = f.targetRoot + "/_sitebuild/releases"
        let newest = try #require(try FileManager.default.contentsOfDirectory(atPath: releases).sorted().last)
        try FileManager.default.removeItem(atPath: releases + "/" + newest)
        try f.writeSource("index.html", "<h1>v3</h1>\n")
        let v3 = try await observed(f.deployer()).deploy(directory: f.source).version
        #expect(calls.lines.last == "will \(v1)->\(v3) also [\"\(v2)\"] live \(v1)", "\(calls.lines)")

        // Lost to another runner's flip: undone, and nothing else.
        try f.writeSource("index.html", "<h1>v4</h1>\n")
        let count = calls.lines.count
        await #expect(throws: PointerConflict.self) {
            _ = try await observed(f.deployer(pointer: RacingPointerStore(inner: f.pointer, competitor: v1))).deploy(directory: f.source)
        }
        #expect(Array(calls.lines.dropFirst(count)).count == 2 && calls.lines.last.map { $0.hasPrefix("undo ") } == true, "\(calls.lines)")
        #expect(f.live == v1)
    }

    /// The loser of a race wrote its pointer head before its compare-and-swap (over the
    /// winner's, when the winner wrote first): after the conflict the head names what the
    /// pointer holds, never the loser, so `versions` and prune, which trust the head when the
    /// pointer cannot be read, do not take the loser for live.
    @Test func aLostRaceLeavesNoPointerHeadNamingTheLoser() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        func racing(_ competitor: String) -> Deployer {
            var deployer = f.deployer(pointer: RacingPointerStore(inner: f.pointer, competitor: competitor))
            // The winners' versions are names only (this target has nothing of them).
            deployer.takeOverPointer = true
            return deployer
        }
        // The first deploy flips through the same identity (a store named by its URL) with no race.
        let v1 = try await f.deployer(pointer: NamedAsRacing(inner: f.pointer)).deploy(directory: f.source).version
        let identity = racing("").pointerIdentity
        func head() async throws -> ReleaseRecord? { try await f.target.readPointerHeads().first { $0.pointer == identity } }

        // The winner's head was written after this deploy read the head: the winner's flip as
        // the conflict found it takes its place.
        try f.writeSource("index.html", "<h1>loser one</h1>\n")
        await #expect(throws: PointerConflict.self) {
            _ = try await racing("winner-one").deploy(directory: f.source)
        }
        #expect(f.live == "winner-one")
        #expect(try await head()?.to == "winner-one")
        #expect(try await head()?.from == v1)

        // The winner's head was there first: it is put back as it was.
        let winnersHead = ReleaseRecord(at: Date(timeIntervalSince1970: 1_800_000_000), from: "winner-one", to: "winner-two",
                                        action: "deploy", by: "ci@runner", pointer: identity)
        try await f.target.writePointerHead(winnersHead)
        try f.writeSource("index.html", "<h1>loser two</h1>\n")
        await #expect(throws: PointerConflict.self) {
            _ = try await racing("winner-two").deploy(directory: f.source)
        }
        #expect(f.live == "winner-two")
        #expect(try await head() == winnersHead)
    }

    @Test func deployWhoseRaceWasWonWithTheSameVersionSucceeds() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        _ = try await f.deployer().deploy(directory: f.source)
        try f.writeSource("index.html", "<h1>twins</h1>\n")
        let (m2, _, _) = try f.deployer().manifest(for: f.source)
        let racing = RacingPointerStore(inner: f.pointer, competitor: m2.version)
        let outcome = try await f.deployer(pointer: racing).deploy(directory: f.source)
        #expect(outcome.kind == .deployed)
        #expect(outcome.version == m2.version)
        #expect(f.live == m2.version)
    }

    /// A flip whose write landed but whose answer was lost, retried by the store, meets its
    /// own write (a conflict that found this version): the deploy and the rollback succeed
    /// with their release records, as when the answer came.
    @Test func aFlipRetriedIntoItsOwnWriteStillRecordsTheRelease() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>lost answer</h1>\n")
        let messages = MessageLog()
        let retried = LostAnswerPointer(inner: f.pointer, afterWrite: .conflict)
        let outcome = try await f.deployer(pointer: retried, log: messages.add).deploy(directory: f.source)
        #expect(f.live == outcome.version)
        #expect(f.releaseFiles().count == 2)
        #expect(messages.lines.contains { $0.contains("an earlier attempt of this flip whose answer was lost") }, "\(messages.lines)")
        #expect(try await f.deployer().rollback(to: v1, force: false).to == v1)
        _ = try await f.deployer(pointer: retried).rollback(to: outcome.version)
        #expect(f.live == outcome.version)
        #expect(f.releaseFiles().count == 4)
    }

    /// A flip whose write landed but whose answer never came (every retry failing): the
    /// pointer is read back. Holding the new version, the deploy and the rollback are done,
    /// with their records; holding the old one, the error says nothing live changed; unreadable,
    /// the outcome is said to be unknown, never that nothing changed.
    @Test func aFlipWhoseAnswerWasLostIsJudgedByThePointer() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>lost answer</h1>\n")
        let messages = MessageLog()
        let landed = LostAnswerPointer(inner: f.pointer, afterWrite: .transportError)
        let outcome = try await f.deployer(pointer: landed, log: messages.add).deploy(directory: f.source)
        #expect(outcome.version != v1 && f.live == outcome.version)
        #expect(f.releaseFiles().count == 2)
        #expect(messages.lines.contains { $0.contains("the flip's answer was lost") && $0.contains("the flip was made") },
                "\(messages.lines)")
        #expect(try await f.deployer(pointer: landed).rollback(to: v1).to == v1)
        #expect(f.live == v1)
        #expect(f.releaseFiles().count == 3)

        // Not made: the transport error itself, and nothing live changed.
        await #expect(throws: LostAnswerPointer.ConnectionLost.self) {
            _ = try await f.deployer(pointer: LostAnswerPointer(inner: f.pointer, afterWrite: .notSent)).rollback(to: outcome.version)
        }
        #expect(f.live == v1)
        #expect(f.releaseFiles().count == 3)

        // Landed, but the pointer cannot be read back.
        let unknown = await #expect(throws: DeployError.self) {
            _ = try await f.deployer(pointer: LostAnswerPointer(inner: f.pointer, afterWrite: .transportError, readFails: true))
                .deploy(directory: f.source)
        }
        #expect(unknown?.liveChanged == true)
        #expect(unknown?.description.contains("whether \(outcome.version) is live is unknown") == true, "\(String(describing: unknown))")
        #expect(unknown?.description.contains("sitebuild versions --target") == true, "\(String(describing: unknown))")
    }

    @Test func pointerStoreBasics() async throws {
        let dir = try TempDir("pointer")
        let store = LocalPointerStore(path: dir.url("nested/dir/live"))
        #expect(try await store.read() == PointerState(version: nil, token: ""))
        try await store.compareAndSwap(expected: store.read(), to: "v1")
        #expect(try await store.read() == PointerState(version: "v1", token: "v1"))
        await #expect(throws: PointerConflict.self) { try await store.compareAndSwap(expected: PointerState(version: nil, token: ""), to: "v2") }
        await #expect(throws: PointerConflict.self) { try await store.compareAndSwap(expected: PointerState(version: "v0", token: "v0"), to: "v2") }
        #expect(try await store.read().version == "v1")
        try await store.compareAndSwap(expected: PointerState(version: "v1", token: "v1"), to: "v2")
        #expect(try await store.read().version == "v2")
        // Whitespace around the value is ignored; an empty file is "no version".
        try Data("  v3 \n\n".utf8).write(to: URL(fileURLWithPath: dir.url("nested/dir/live")))
        #expect(try await store.read().version == "v3")
        try Data().write(to: URL(fileURLWithPath: dir.url("nested/dir/live")))
        #expect(try await store.read().version == nil)
        #expect(store.url == "file://" + dir.url("nested/dir/live"))
        // No temporary files are left next to the pointer.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url("nested/dir")).sorted() == ["live", "live.lock"])
    }
}

final class MessageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    func add(_ line: String) { lock.lock(); _lines.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
}

/// A pointer store whose compare-and-swap lands and whose answer is then lost: `afterWrite`
/// says what the caller gets instead (the store's retry meeting its own write, or a failure
/// of the connection), and `readFails` makes the pointer unreadable after the write.
final class LostAnswerPointer: PointerStore {
    /// `notSent`: the connection failed before the write was made.
    enum Answer { case conflict, transportError, notSent }
    struct ConnectionLost: Error, CustomStringConvertible { var description: String { "the connection was reset (test)" } }
    let inner: any PointerStore
    let afterWrite: Answer
    let readFails: Bool
    let written = Locked(false)

    init(inner: any PointerStore, afterWrite: Answer, readFails: Bool = false) {
        self.inner = inner
        self.afterWrite = afterWrite
        self.readFails = readFails
    }

    var url: String { inner.url }
    func read() async throws -> PointerState {
        if readFails, written.withLock({ $0 }) { throw ConnectionLost() }
        return try await inner.read()
    }
    func compareAndSwap(expected: PointerState, to version: String) async throws {
        if afterWrite != .notSent { try await inner.compareAndSwap(expected: expected, to: version) }
        written.withLock { $0 = true }
        switch afterWrite {
        case .conflict: throw PointerConflict(expected: expected.version, found: version, wanted: version)
        case .transportError, .notSent: throw ConnectionLost()
        }
    }
}

/// A pointer store that runs `onSwap` (cancelling the deploy's task) as a compare-and-swap
/// begins, then performs it.
final class CancellingPointer: PointerStore {
    let inner: any PointerStore
    let onSwap: @Sendable () -> Void
    let swaps = Locked(0)

    init(inner: any PointerStore, onSwap: @escaping @Sendable () -> Void) {
        self.inner = inner
        self.onSwap = onSwap
    }

    var url: String { inner.url }
    func read() async throws -> PointerState { try await inner.read() }
    func compareAndSwap(expected: PointerState, to version: String) async throws {
        onSwap()
        // Past a cancellation point: a flip run in the cancelled task would stop here.
        try await Task.sleep(for: .milliseconds(10))
        try await inner.compareAndSwap(expected: expected, to: version)
        swaps.withLock { $0 += 1 }
    }
}
