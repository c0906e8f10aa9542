import AWSCore
@testable import Deploy
import Foundation
import SiteContent
import Synchronization
import Testing

/// A local target that runs a hook at one step of a deploy: the moment another process
/// (a prune, a second deploy) acts, which no real run reproduces on cue.
final class HookedTarget: DeployTarget, @unchecked Sendable {
    let inner: LocalTarget
    /// Runs once, before the first `writeManifest`.
    let beforeWriteManifest = Mutex<(@Sendable () async throws -> Void)?>(nil)
    /// Runs once, before the first `writeRelease` (that is, right after a flip's swap).
    let beforeWriteRelease = Mutex<(@Sendable () async throws -> Void)?>(nil)

    init(_ inner: LocalTarget) { self.inner = inner }

    var url: String { inner.url }
    func manifestExists(_ version: String) async throws -> Bool { try await inner.manifestExists(version) }
    func readManifest(_ version: String) async throws -> Manifest? { try await inner.readManifest(version) }
    func readManifestHead(_ version: String) async throws -> ManifestHead? { try await inner.readManifestHead(version) }
    func claimWriting(_ version: String) async throws -> WritingClaim {
        if let hook = beforeClaimWriting.withLock({ hook in defer { hook = nil }; return hook }) { try await hook() }
        return try await inner.claimWriting(version)
    }
    /// Runs once, before the first `claimWriting` (another deploy of the same literal id
    /// completing it between this one's first look and its claim).
    let beforeClaimWriting = Mutex<(@Sendable () async throws -> Void)?>(nil)
    func listVersions() async throws -> [String] { try await inner.listVersions() }
    func firstObjects(of version: String, limit: Int) async throws -> [String] { try await inner.firstObjects(of: version, limit: limit) }
    func nestedState(in version: String) async throws -> String? { try await inner.nestedState(in: version) }
    func enclosingVersion() async throws -> (target: String, version: String, manifest: String)? { try await inner.enclosingVersion() }
    func missingObjects(of manifest: Manifest) async throws -> MissingRows { try await inner.missingObjects(of: manifest) }
    func restoreObjects(_ rows: [Int], of manifest: Manifest, from sourceRoot: String, reusable: ReusableContent,
                        progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        try await inner.restoreObjects(rows, of: manifest, from: sourceRoot, reusable: reusable, progress: progress)
    }
    func reusableContent(for manifest: Manifest, from version: String) async throws -> ReusableContent {
        try await inner.reusableContent(for: manifest, from: version)
    }
    func changes(from version: String, to manifest: Manifest) async throws -> (keys: [String], pathCount: Int)? {
        try await inner.changes(from: version, to: manifest)
    }
    func upload(_ manifest: Manifest, from sourceRoot: String, reusable: ReusableContent,
                progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        try await inner.upload(manifest, from: sourceRoot, reusable: reusable, progress: progress)
    }
    func writeManifest(_ manifest: Manifest) async throws -> Bool {
        if let hook = beforeWriteManifest.withLock({ hook in defer { hook = nil }; return hook }) { try await hook() }
        return try await inner.writeManifest(manifest)
    }
    func replaceDamagedManifest(_ manifest: Manifest) async throws { try await inner.replaceDamagedManifest(manifest) }
    func writeRelease(_ record: ReleaseRecord) async throws {
        if let hook = beforeWriteRelease.withLock({ hook in defer { hook = nil }; return hook }) { try await hook() }
        try await inner.writeRelease(record)
    }
    func listReleaseNames() async throws -> [String] {
        fullListings.withLock { $0 += 1 }
        return try await inner.listReleaseNames()
    }
    /// How many times every release record's name was listed.
    let fullListings = Mutex(0)
    func listReleaseNames(from first: String) async throws -> [String] { try await inner.listReleaseNames(from: first) }
    func writePointerHead(_ record: ReleaseRecord) async throws { try await inner.writePointerHead(record) }
    func readPointerHeads() async throws -> [ReleaseRecord] { try await inner.readPointerHeads() }
    func readPointerHead(pointer: String) async throws -> ReleaseRecord? { try await inner.readPointerHead(pointer: pointer) }
    func removePointerHead(_ record: ReleaseRecord) async throws { try await inner.removePointerHead(record) }
    func readOwedInvalidation(pointer: String, distribution: String) async throws -> OwedInvalidation? {
        try await inner.readOwedInvalidation(pointer: pointer, distribution: distribution)
    }
    func writeOwedInvalidation(_ owed: OwedInvalidation) async throws { try await inner.writeOwedInvalidation(owed) }
    func removeOwedInvalidation(pointer: String, distribution: String) async throws {
        try await inner.removeOwedInvalidation(pointer: pointer, distribution: distribution)
    }
    func name(of pointer: any PointerStore) -> String { inner.name(of: pointer) }
    func readReleases(named names: [String]) async throws -> [ReleaseRecord] {
        readCount.withLock { $0 += names.count }
        return try await inner.readReleases(named: names)
    }
    /// How many release records were read through this target.
    let readCount = Mutex(0)
    func removeMarkedVersion(_ version: String) async throws { try await inner.removeMarkedVersion(version) }
    func markerAge(_ kind: VersionMarker, of version: String) async throws -> TimeInterval? { try await inner.markerAge(kind, of: version) }
    func markDeleting(_ version: String, token: String) async throws {
        try await inner.markDeleting(version, token: token)
        if let hook = afterMarkDeleting.withLock({ hook in defer { hook = nil }; return hook }) { try await hook() }
    }
    func unmarkDeleting(_ version: String, token: String?) async throws { try await inner.unmarkDeleting(version, token: token) }
    func removePending(_ version: String) async throws { try await inner.removePending(version) }
    func pendingMarkerStarted(_ version: String) async throws -> Date? { try await inner.pendingMarkerStarted(version) }
    /// Runs once, right after the first deleting marker is written (a prune between its marker
    /// and its second look at the pointer).
    let afterMarkDeleting = Mutex<(@Sendable () async throws -> Void)?>(nil)
    func incompleteVersions() async throws -> [(version: String, modified: Date)] { try await inner.incompleteVersions() }
}

@Suite("Prune and deploys at the same time")
struct ConcurrentPruneTests {
    /// A local target with two versions deployed: the first content, then a second (live).
    static func twoVersions() async throws -> (DeployFixture, String, String) {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        let v2 = try await f.deployer().deploy(directory: f.source).version
        return (f, v1, v2)
    }

    /// A prune that takes a running deploy's version for an abandoned one and deletes it: the
    /// deploy notices at its manifest write and makes nothing live.
    @Test func aDeployWhoseObjectsWerePrunedMakesNothingLive() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        let hooked = HookedTarget(f.target)
        let inner = f.target
        let (m2, _) = try buildManifest(f.source)
        hooked.beforeWriteManifest.withLock { $0 = { try await inner.deleteVersion(m2.version) } }
        let deployer = Deployer(target: hooked, pointer: f.pointer)
        await #expect(throws: DeployError.self) { try await deployer.deploy(directory: f.source) }
        #expect(f.live == v1)
        #expect(try await f.target.manifestExists(m2.version) == false)
        // The next deploy completes it.
        #expect(try await f.deployer().deploy(directory: f.source).version == m2.version)
        #expect(f.live == m2.version)
    }

    /// A prune between a deploy's manifest and its flip (the version complete, not yet live)
    /// keeps the version: the deploy's pending marker stays until the flip is done. It used to
    /// be deleted, and the deploy then made a version without files live.
    @Test func aPruneBetweenADeploysManifestAndItsFlipKeepsTheVersion() async throws {
        let (f, _, v2) = try await Self.twoVersions()
        try f.writeSource("index.html", "<h1>third</h1>\n")
        var deployer = f.deployer()
        let target = f.target, pointer = f.pointer
        let kept = Mutex<String?>(nil)
        deployer.beforeFlip = { version in
            #expect(try await target.manifestExists(version))
            let reason = try await target.prune(version, releasesKnown: ReleasesSincePlan(known: try await target.listReleaseNames()),
                                                isLive: { try await pointer.read().version == version })
            kept.withLock { $0 = reason }
        }
        let v3 = try await deployer.deploy(directory: f.source).version
        #expect(kept.withLock { $0 } == "a deploy started writing it while prune ran")
        #expect(f.live == v3 && v3 != v2)
        #expect(try await f.target.manifestExists(v3))
        #expect(FileManager.default.fileExists(atPath: f.object(v3, "index.html")))
        // Once flipped, the marker is gone: nothing pending is left behind.
        #expect(try await f.target.markerAge(.pending, of: v3) == nil)
    }

    /// Two deploys of one literal id with different content: while one writes (up to its
    /// manifest), the other waits and touches nothing; the first completes unmixed.
    @Test func aLiteralIdIsWrittenByOneDeployAtATime() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let other = try TempDir()
        try other.write("index.html", "<h1>other</h1>\n")
        let hooked = HookedTarget(f.target)
        var innerDeployer = f.deployer()
        innerDeployer.claimPollInterval = .milliseconds(20)
        let waiting = innerDeployer
        let second = Mutex<Task<DeployOutcome, any Error>?>(nil)
        // The other deploy starts while this one writes: it waits for the claim, then finds
        // the version complete with other content.
        hooked.beforeWriteManifest.withLock {
            $0 = { second.withLock { $0 = Task { try await waiting.deploy(directory: other.path, version: "rel-1") } } }
        }
        let deployer = Deployer(target: hooked, pointer: f.pointer)
        _ = try await deployer.deploy(directory: f.source, version: "rel-1")
        let task = try #require(second.withLock { $0 })
        do {
            _ = try await task.value
            Issue.record("the second deploy of other content under rel-1 succeeded")
        } catch {
            // Depending on when it first looks: the version completed as it started, or already there.
            #expect("\(error)".contains("version rel-1") && "\(error)".contains("different content"), "\(error)")
        }
        #expect(f.live == "rel-1")
        let manifest = try #require(try await f.target.readManifest("rel-1"))
        #expect(manifest.entry(at: "index.html")?.hash == ContentHash(of: "<h1>home one</h1>\n"))
        #expect(String(decoding: try #require(FileManager.default.contents(atPath: f.object("rel-1", "index.html"))), as: UTF8.self)
                == "<h1>home one</h1>\n")
    }

    /// Another deploy of the literal id completes it between this one's first look and its
    /// claim: with other content this one stops before writing anything; with the same
    /// content it makes that version live.
    @Test func aLiteralIdCompletedBeforeTheClaimIsSeenUnderIt() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let other = try TempDir()
        try other.write("index.html", "<h1>other</h1>\n")
        let hooked = HookedTarget(f.target)
        let innerDeployer = f.deployer()
        hooked.beforeClaimWriting.withLock { $0 = { _ = try await innerDeployer.deploy(directory: other.path, version: "rel-1") } }
        let deployer = Deployer(target: hooked, pointer: f.pointer)
        await #expect(throws: DeployError.self) { try await deployer.deploy(directory: f.source, version: "rel-1") }
        #expect(String(decoding: try #require(FileManager.default.contents(atPath: f.object("rel-1", "index.html"))), as: UTF8.self)
                == "<h1>other</h1>\n")
        #expect(try await f.target.readManifest("rel-1")?.entries.count == 1)

        hooked.beforeClaimWriting.withLock { $0 = { _ = try await innerDeployer.deploy(directory: f.source, version: "rel-2") } }
        let outcome = try await deployer.deploy(directory: f.source, version: "rel-2")
        #expect(outcome.kind == .flippedExisting)
        #expect(f.live == "rel-2")
    }

    /// A rollback to a version that a prune deletes as the pointer moves: the pointer is put
    /// back, since a live version without files would serve errors.
    @Test func aRollbackToAVersionDeletedMeanwhileIsUndone() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        let hooked = HookedTarget(f.target)
        let inner = f.target
        hooked.beforeWriteRelease.withLock { $0 = { try await inner.deleteVersion(v1) } }
        let deployer = Deployer(target: hooked, pointer: f.pointer)
        let error = await #expect(throws: DeployError.self) { try await deployer.rollback(to: v1) }
        #expect(error?.description.contains("the pointer is back on \(v2)") == true, "\(String(describing: error))")
        #expect(f.live == v2)
    }

    /// Rollback finds the previous release by reading the records that made the live version
    /// live (their names say which), not every record the target ever got.
    @Test func thePreviousReleaseIsFoundWithoutReadingEveryRecord() async throws {
        let f = try DeployFixture()
        var versions: [String] = []
        for n in 0..<12 {
            try f.writeSource("index.html", "<h1>\(n)</h1>\n")
            versions.append(try await f.deployer().deploy(directory: f.source).version)
        }
        let counted = HookedTarget(f.target)
        let deployer = Deployer(target: counted, pointer: f.pointer)
        #expect(try await deployer.previousVersion(live: versions[11]) == versions[10])
        #expect(counted.readCount.withLock { $0 } == 1)
        let back = try await deployer.rollback(to: nil)
        #expect(back.to == versions[10])
        // A version made live twice: the newest record that made it live decides.
        #expect(try await deployer.previousVersion(live: versions[10]) == versions[11])
        #expect(ReleaseRecord.time(fromFileName: "20261127T115300.123Z-abc.json") == UTCTime.parse("2026-11-27T11:53:00.123Z"))
        #expect(ReleaseRecord.time(fromFileName: "notes.json") == nil)
        #expect(ReleaseRecord.fileName("20261127T115300.123Z-abc.json", isFlipTo: "abc"))
        #expect(!ReleaseRecord.fileName("20261127T115300.123Z-xabc.json", isFlipTo: "abc"))
    }

    /// A prune killed half-way through deleting a version leaves a marker; the next prune
    /// finishes the job at once, whatever the grace period.
    @Test func anInterruptedDeletionIsFinishedByTheNextPrune() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        _ = try await f.deployer().deploy(directory: f.source)
        // The state a kill leaves after the marker and the manifest's removal.
        try await f.target.markDeleting(v1, token: "killed")
        unlink(f.manifestPath(v1))
        let incomplete = try await f.target.incompleteVersions()
        #expect(incomplete.map(\.version) == [v1])
        #expect(incomplete.first?.modified == .distantPast)
        let plan = PrunePlan.make(versions: [], releases: [], live: nil, previous: nil, keepCount: 5, grace: 7 * 86400,
                                  incomplete: incomplete)
        #expect(plan.deleteIncomplete == [v1])
        try await f.target.deleteVersion(v1)
        #expect(try await f.target.incompleteVersions().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: f.targetRoot + "/" + v1))
        #expect(!FileManager.default.fileExists(atPath: f.targetRoot + "/_sitebuild/deleting/" + v1), "the markers went with it")

        // A marker beside a complete version (the kill came before the manifest went) leaves it
        // to the keep rules. While it is young a prune may be deleting the version now, so a
        // deploy of it stops; once it is over an hour old it was a killed prune's, and the
        // deploy clears it.
        let v2 = try #require(f.live)
        try await f.target.markDeleting(v2, token: "killed")
        let marker = f.target.deletingPath(v2, token: "killed")
        #expect(try await f.target.incompleteVersions().isEmpty)
        let refused = await #expect(throws: DeployError.self) { try await f.target.markPending(v2) }
        #expect(refused?.description.contains("is being deleted by a prune") == true)
        // The refused deploy's pending marker went again (left, prune would keep the version a day).
        #expect(try await f.target.markerAge(.pending, of: v2) == nil)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * 3600)], ofItemAtPath: marker)
        try await f.target.markPending(v2)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// A deploy whose content is an existing version (a revert) that a prune deletes as the
    /// pointer moves to it: the pointer is put back.
    @Test func aRevertToAVersionDeletedMeanwhileIsUndone() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        try f.writeSite()  // the first content again
        let hooked = HookedTarget(f.target)
        let inner = f.target
        hooked.beforeWriteRelease.withLock { $0 = { try await inner.deleteVersion(v1) } }
        let deployer = Deployer(target: hooked, pointer: f.pointer)
        await #expect(throws: DeployError.self) { try await deployer.deploy(directory: f.source) }
        #expect(f.live == v2)
    }

    /// A rollback that lands between a prune's deleting marker and its second look at the
    /// pointer: the rollback sees the marker and puts the pointer back (with a release record
    /// saying so), and the prune, seeing the pointer back, deletes. Never a live version
    /// without files.
    @Test func aRollbackRacingAPruneOfItsVersionIsUndoneBeforeThePruneDeletes() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        let hooked = HookedTarget(f.target)
        let rollback = f.deployer()
        let rolledBack = Mutex<String?>(nil)
        hooked.afterMarkDeleting.withLock { $0 = {
            do { _ = try await rollback.rollback(to: v1) } catch { rolledBack.withLock { $0 = "\(error)" } }
        } }
        let pointer = f.pointer
        let kept = try await hooked.prune(v1, isLive: { try await pointer.read().version == v1 })
        #expect(kept == nil, "the prune deletes: the rollback backed off")
        #expect(rolledBack.withLock { $0 }?.contains("is being deleted by a prune") == true, "\(String(describing: rolledBack.withLock { $0 }))")
        #expect(f.live == v2)
        #expect(try await f.target.manifestExists(v1) == false)
        // The rollback saw the marker before its flip: production was never flipped, so no
        // record was written (the records end where the pointer is).
        #expect(try await f.target.listReleases().last.map { ($0.to, $0.action) } ?? ("", "") == (v2, "deploy"))
        // The deleted version is not offered as the previous one to roll back to.
        #expect(try await f.deployer().previousVersion(live: v2) == nil)
    }

    /// A deploy of an old version's content (a revert) while a prune is deleting that version:
    /// once the manifest is gone the deploy would upload into the version being emptied; it
    /// stops at its pending marker instead, and nothing changes what is live.
    @Test func aRevertWhileAPruneDeletesThatVersionStops() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        try f.writeSite()  // the first content again
        try await f.target.markDeleting(v1, token: "running")
        unlink(f.manifestPath(v1))  // the prune has got as far as the manifest
        let error = await #expect(throws: DeployError.self) { try await f.deployer().deploy(directory: f.source) }
        #expect(error?.description.contains("is being deleted by a prune") == true, "\(String(describing: error))")
        #expect(f.live == v2)
        try await f.target.deleteVersion(v1)  // the prune finishes
        #expect(f.live == v2)
        // Afterwards the same deploy uploads the version afresh.
        #expect(try await f.deployer().deploy(directory: f.source).version == v1)
        #expect(f.live == v1)
    }

    /// A deploy that restarts an abandoned version just before a prune marks it: the prune sees
    /// the fresh pending marker and keeps the version.
    @Test func aPruneKeepsAnUnfinishedVersionADeployJustRestarted() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        let (manifest, _) = try buildManifest(f.source)
        let hooked = HookedTarget(f.target)
        let inner = f.target
        hooked.afterMarkDeleting.withLock { $0 = {
            try FileManager.default.createDirectory(atPath: inner.pending, withIntermediateDirectories: true)
            try Data(ReleaseRecord.pendingMarker(version: manifest.version))
                .write(to: URL(fileURLWithPath: inner.pendingPath(manifest.version)))
        } }
        let kept = try await hooked.prune(manifest.version, isLive: { false })
        #expect(kept == "a deploy started writing it while prune ran")
        #expect(try await f.target.markerAge(.deleting, of: manifest.version) == nil)
        #expect(try await f.target.markerAge(.pending, of: manifest.version) != nil)
    }

    /// A rollback whose flip loses to another runner says so as a rollback: nothing is waiting
    /// to be made live (unlike a deploy's upload), and a bare rerun would start from elsewhere.
    @Test func aRollbackThatLosesTheFlipSaysNothingChanged() async throws {
        struct MovingPointer: PointerStore {
            let inner: LocalPointerStore
            let movesTo: String
            var url: String { inner.url }
            func read() async throws -> PointerState { try await inner.read() }
            func compareAndSwap(expected: PointerState, to version: String) async throws {
                // Another runner's flip lands between this runner's read and its swap.
                try await inner.compareAndSwap(expected: try await inner.read(), to: movesTo)
                try await inner.compareAndSwap(expected: expected, to: version)
            }
        }
        let (f, v1, v2) = try await Self.twoVersions()
        try f.writeSource("index.html", "<h1>third</h1>\n")
        let v3 = try await f.deployer().deploy(directory: f.source).version
        let deployer = Deployer(target: f.target, pointer: MovingPointer(inner: f.pointer, movesTo: v2))
        let conflict = await #expect(throws: PointerConflict.self) { try await deployer.rollback(to: v1) }
        #expect(conflict?.description == "the live version moved while this rollback ran: expected \(v3) but found \(v2); nothing was "
                + "changed. See `sitebuild versions`, then `sitebuild rollback \(v1) --target \(f.target.url) --pointer \(f.pointer.url)` "
                + "if \(v1) should still be live")
        #expect(f.live == v2)
    }

    /// Two prunes of one version and a rollback to it: the prune that calls its deletion off
    /// (it saw the version live) removes only its own marker, so the rollback still sees the
    /// other prune's and backs off, and that prune deletes a version no longer live.
    @Test func onePruneCallingOffLeavesAnotherPrunesMarkerForARollbackToSee() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        let hooked = HookedTarget(f.target)
        let inner = f.target
        let rollback = f.deployer()
        let rolledBack = Mutex<String?>(nil)
        hooked.afterMarkDeleting.withLock { $0 = {
            // Prune B, which saw v1 live, calls its deletion off; then the rollback flips.
            let calledOff = try await inner.prune(v1, isLive: { true })
            #expect(calledOff == "it was made live while prune ran")
            do { _ = try await rollback.rollback(to: v1) } catch { rolledBack.withLock { $0 = "\(error)" } }
        } }
        let pointer = f.pointer
        #expect(try await hooked.prune(v1, isLive: { try await pointer.read().version == v1 }) == nil)
        #expect(rolledBack.withLock { $0 }?.contains("is being deleted") == true, "\(String(describing: rolledBack.withLock { $0 }))")
        #expect(f.live == v2)
        #expect(try await f.target.manifestExists(v2))
    }

    /// An undone flip goes back only to a version that is still whole: when the one before was
    /// deleted too, the pointer stays and the message says what to do.
    @Test func anUndoNeverGoesBackToADeletedVersion() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        try f.writeSource("index.html", "<h1>third</h1>\n")
        let v3 = try await f.deployer().deploy(directory: f.source).version
        // v1 is live (a flip from elsewhere) but already deleted; a prune is deleting v2.
        try await f.pointer.compareAndSwap(expected: try await f.pointer.read(), to: v1)
        try await f.target.deleteVersion(v1)
        // The prune marks v2 after the rollback's first look, while it flips (its record is written
        // before it looks again).
        let hooked = HookedTarget(f.target)
        let inner = f.target
        hooked.beforeWriteRelease.withLock { $0 = { try await inner.markDeleting(v2, token: "running") } }
        let error = await #expect(throws: DeployError.self) { try await Deployer(target: hooked, pointer: f.pointer).rollback(to: v2) }
        #expect(error?.description.contains("\(v1), live before it, is gone too, so the pointer stays on \(v2)") == true,
                "\(String(describing: error))")
        #expect(f.live == v2)
        #expect(error?.liveChanged == true, "the command must not say nothing live changed")
        _ = v3
    }

    /// A version made live by a flip prune did not plan with is kept, even when the pointer
    /// has moved on by the time prune looks (a rollback, then another): its release record,
    /// written before the flip looks for markers, says so.
    @Test func aVersionARecentFlipMadeLiveIsKeptEvenAfterThePointerMovedOn() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        let known = ReleasesSincePlan(known: try await f.target.listReleaseNames())
        _ = try await f.deployer().rollback(to: v1)
        _ = try await f.deployer().rollback(to: v2)
        #expect(try await f.target.prune(v1, releasesKnown: known, isLive: { false }) == "a rollback or deploy made it live while prune ran")
        #expect(try await f.target.manifestExists(v1))
        #expect(try await f.target.markerAge(.deleting, of: v1) == nil)
        // Planned with those records, it goes.
        #expect(try await f.target.prune(v1, releasesKnown: ReleasesSincePlan(known: try await f.target.listReleaseNames()), isLive: { false }) == nil)
    }

    /// A deletion's check lists the release records from an hour before the plan on, never the
    /// whole history (a record per flip for the life of the site: one listing of it per deleted
    /// version made prunes of long-lived sites take minutes), and still sees every flip since.
    @Test func pruneChecksListOnlyTheRecentReleaseRecords() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        for day in 1...40 {
            try await f.target.writeRelease(ReleaseRecord(at: Date().addingTimeInterval(-Double(day) * 86_400), from: v1, to: v2, action: "deploy"))
        }
        let hooked = HookedTarget(f.target)
        let names = try await hooked.listReleaseNames()
        #expect(names.count == 42)
        let recent = try await f.target.listReleaseNames(from: ReleaseRecord.compactTime(Date().addingTimeInterval(-3600)))
        #expect(recent.count == 2 && recent == Array(names.suffix(2)))
        let known = ReleasesSincePlan(known: names)
        _ = try await f.deployer().rollback(to: v1)
        _ = try await f.deployer().rollback(to: v2)
        let reads = hooked.readCount.withLock { $0 }
        #expect(try await hooked.prune(v1, releasesKnown: known, isLive: { false }) == "a rollback or deploy made it live while prune ran")
        #expect(hooked.fullListings.withLock { $0 } == 1, "only the plan's listing")
        #expect(hooked.readCount.withLock { $0 } - reads == 2, "the two new records, read once")
        // A later deletion's check keeps what an earlier one saw made live, reading nothing again.
        #expect(try await hooked.prune(v1, releasesKnown: known, isLive: { false }) == "a rollback or deploy made it live while prune ran")
        #expect(hooked.readCount.withLock { $0 } - reads == 2)
    }

    /// Two prunes deleting one version at once both finish (each tolerates what the other
    /// removed first).
    @Test func twoPrunesDeletingOneVersionAtOnceBothFinish() async throws {
        let f = try DeployFixture()
        try f.writeSite()
        for n in 0..<200 { try f.writeSource("d\(n % 10)/p\(n).html", "<p>\(n)</p>\n") }
        let v1 = try await f.deployer().deploy(directory: f.source).version
        try f.writeSource("index.html", "<h1>second</h1>\n")
        _ = try await f.deployer().deploy(directory: f.source)
        let target = f.target
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<3 { group.addTask { try await target.prune(v1, isLive: { false }) } }
            for try await kept in group { #expect(kept == nil) }
        }
        #expect(!FileManager.default.fileExists(atPath: f.targetRoot + "/" + v1))
        #expect(!FileManager.default.fileExists(atPath: f.targetRoot + "/_sitebuild/deleting/" + v1))
    }

    /// An undone rollback's `undo` record is not a release to go back to: the previous version
    /// stays the one live before (and prune keeps protecting it).
    @Test func anUndoneFlipIsNotThePreviousRelease() async throws {
        let (f, v1, v2) = try await Self.twoVersions()
        try f.writeSource("index.html", "<h1>third</h1>\n")
        let v3 = try await f.deployer().deploy(directory: f.source).version
        // A prune's fresh marker on v1, written while the rollback to it flips: it is undone.
        let hooked = HookedTarget(f.target)
        let inner = f.target
        hooked.beforeWriteRelease.withLock { $0 = { try await inner.markDeleting(v1, token: "killed") } }
        await #expect(throws: DeployError.self) { try await Deployer(target: hooked, pointer: f.pointer).rollback(to: v1) }
        #expect(f.live == v3)
        #expect(try await f.target.listReleases().last?.action == "undo")
        #expect(try await f.deployer().previousVersion(live: v3) == v2)
    }

    /// With --grace 0s, an unfinished version whose deploy started an hour ago is kept: its
    /// deploy may still be uploading. After a day it is taken for abandoned.
    @Test func unfinishedVersionsAreLeftForADayWhateverTheGrace() {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let plan = PrunePlan.make(versions: [], releases: [], live: nil, previous: nil, keepCount: 0, grace: 0, now: now,
                                  incomplete: [(version: "uploading", modified: now.addingTimeInterval(-3600)),
                                               (version: "abandoned", modified: now.addingTimeInterval(-25 * 3600))])
        #expect(plan.deleteIncomplete == ["abandoned"])
        #expect(plan.keep["uploading"]?.contains("may still be running") == true)
    }
}
