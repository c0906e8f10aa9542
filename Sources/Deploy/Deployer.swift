import Foundation
import SiteContent

/// What a deploy did, or (dry run) would do.
public struct DeployOutcome: Sendable {
    public enum Kind: String, Sendable {
        /// The version was already live: nothing uploaded, nothing flipped.
        case unchanged
        /// The version existed complete and only the pointer moved.
        case flippedExisting = "flipped"
        /// Objects were uploaded, the manifest written and the pointer moved.
        case deployed
        /// Dry run: nothing changed.
        case planned
        /// The version was already live and some of its objects were missing (``Deployer/repairLive``):
        /// they were put back, nothing flipped.
        case repaired
    }

    public var kind: Kind
    public var version: String
    public var previous: String?
    /// The version's objects: the site's files and the page aliases routing adds.
    public var fileCount: Int
    /// Of those, the page aliases (``PageAliases``).
    public var aliasCount = 0
    public var totalBytes: Int64
    public var stats: UploadStats
    public var hashedFiles: Int
    public var warnings: [String]
    /// Files the dry run would upload (path order), when planned.
    public var plannedUploads: [String]
    /// Files the dry run would copy from content the target has (server-side), when planned.
    public var plannedCopies = 0
    /// The dry run found the version half-written by a deploy that did not finish: the real
    /// run skips what is already in place, so it may upload fewer than planned.
    public var resumes = false
    /// The version's manifest.
    public var manifest: Manifest? = nil
    /// Objects of the (existing) version that were missing from the target and were put back
    /// before it was made live (or, dry run, would be).
    public var restored = 0
    /// The live version's damaged manifest was written again from this deploy's (`--repair`
    /// of the same content; or, dry run, would be).
    public var manifestRewritten = false
    /// The version made live was deployed with another routing than the one it replaced
    /// (``Deployer/routingChange(from:to:routing:)``): the function routes both alike.
    public var routingChange: RoutingChange? = nil
    /// The flip that made the live version live, as its pointer's head recorded it, when the
    /// run that made it was stopped before its release record: written now
    /// (``Deployer/finishStoppedFlip(of:removingPending:dryRun:)``). Its invalidation was never
    /// made either.
    public var finishedFlip: ReleaseRecord? = nil
    /// The pointer's head the flip replaced: the flip that made the previous version live, for
    /// the routing change without a listing of the release history.
    var replacedHead: ReleaseRecord? = nil
}

/// The deploy state machine: hash → manifest → (upload missing → manifest) → flip (CAS)
/// → release record. Nothing a reader can reach changes before the flip, and a killed
/// run is completed by the next one (objects in place are skipped).
public struct Deployer: Sendable {
    public var target: DeployTarget
    public var pointer: PointerStore
    public var builder: ManifestBuilder
    /// The deploy's trailing-slash setting (`none`, `always`, `never`), recorded with its routing
    /// mode in the manifest and the release record; nil leaves it out.
    public var trailingSlash: String?
    public var statCacheDirectory: String?
    /// Paths inside a deployed directory that are not site files (see ``TreeHasher/excluding``).
    public var excluding: [String] = []
    /// Links in a deployed directory are followed only to these directories and below (see
    /// ``TreeHasher/confinedTo``); empty: anywhere.
    public var confinedTo: [String] = []
    /// More flags for the rollback command a lost flip suggests (`--distribution E…`, so that
    /// the suggested rollback invalidates as the deploy would have).
    public var adviceFlags: [String] = []
    public var log: @Sendable (String) -> Void
    /// Whether a damaged release record or pointer head read for what it tells (the previous
    /// release, a routing) stops the command (``DamagedRecords``) instead of being left out
    /// with a warning: for prune, which must not delete what such a record protects.
    public var refusesDamagedRecords = false
    /// How often a deploy waiting for another's claim on a literal version looks again.
    public var claimPollInterval: Duration = .seconds(2)
    /// Called right before a deploy's flip with the version to be made live; throwing stops the
    /// deploy without flipping (`watch` checks that no later upload went live meanwhile).
    public var beforeFlip: (@Sendable (String) async throws -> Void)?
    /// Asked when the flip lost its compare-and-swap to another runner's flip: true makes the
    /// deploy read the pointer again and flip from there (its version is complete, so nothing
    /// is built or uploaded again), up to ``flipAgainLimit`` times; false (or none) ends it
    /// with the ``PointerConflict`` (exit 4). `watch` answers true unless a later upload has
    /// been claimed, whose flip should stay.
    public var flipAgainWhenOvertaken: (@Sendable (PointerConflict) async throws -> Bool)?
    /// Called just before each compare-and-swap of the pointer, in the flip's uncancelled part,
    /// with the version the flip replaces, the versions the flips it finishes came from (runs
    /// stopped after their flips: their invalidations were never sent) and the version it makes
    /// live. The command records there what the flip will owe its distribution, so a run killed
    /// right after the pointer moved leaves that owed for the next run. It returns what undoes
    /// the record, called when the flip was not made (a lost compare-and-swap).
    public var willFlip: (@Sendable (_ from: String?, _ also: [String], _ to: String) async -> (@Sendable () async -> Void)?)?
    /// How many times a deploy flips again after losing its flip (``flipAgainWhenOvertaken``).
    public static let flipAgainLimit = 5
    /// When the tree is the live version, also list the version's objects and put back the
    /// missing ones (deleted by a lifecycle rule or by hand; `--repair`). Off, a deploy that
    /// changes nothing stays one read.
    public var repairLive = false
    /// Flip a pointer whose live version this target has never had (`--take-over-pointer`):
    /// otherwise refused, as the pointer most likely belongs to another site.
    public var takeOverPointer = false

    public init(target: DeployTarget, pointer: PointerStore, builder: ManifestBuilder = ManifestBuilder(),
                statCacheDirectory: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.target = target
        self.pointer = pointer
        self.builder = builder
        self.statCacheDirectory = statCacheDirectory
        self.log = log
    }

    /// Hashes `directory` into a manifest (with the stat cache).
    public func manifest(for directory: String, version: String? = nil, metadata: [(String, String)] = [],
                         stopRequested: (@Sendable () -> Bool)? = nil) throws -> (Manifest, [String], Int) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DeployError("\(directory) is not a directory: nothing to deploy", invalidInput: true)
        }
        let cache = statCacheDirectory.map { StatCache(directory: $0, root: directory) } ?? StatCache()
        var hasher = TreeHasher()
        hasher.excluding = excluding
        hasher.confinedTo = confinedTo
        hasher.stopRequested = stopRequested
        let hashed: TreeHasher.Result
        do {
            hashed = try hasher.hash(root: directory, cache: cache)
        } catch let failure as PathValidation.Failure {
            throw DeployError("\(directory): \(failure.description)", invalidInput: true)
        }
        guard !hashed.files.isEmpty else { throw DeployError("\(directory) has no files: nothing to deploy", invalidInput: true) }
        cache.save()
        let hashedCount = hashed.hashedCount
        let files = hashed.files
        let broken = hashed.brokenLinks
        let outside = hashed.outsideLinks
        let excludedByName = hashed.excludedByName
        let special = hashed.specialFiles
        let localTargets = hashed.localTargets
        _ = consume hashed
        var (manifest, warnings): (Manifest, [String])
        do {
            (manifest, warnings) = try builder.build(consume files, version: version, metadata: metadata)
        } catch let failure as PathValidation.Failure {
            throw DeployError("\(directory): \(failure.description)", invalidInput: true)
        }
        try target.checkKeys(manifest)
        if !outside.isEmpty {
            warnings.append("\(outside.count) symbolic link(s) in \(directory) lead outside it and the project and are not deployed "
                + "(they would publish this machine's files): \(listSample(outside)); links into the project are followed when "
                + "sitebuild runs in it (a folder with .git, package.json, sitebuild.yml or a buildspec)")
        }
        if !broken.isEmpty {
            warnings.append("\(broken.count) symbolic link(s) in \(directory) point to nothing and are not deployed: \(listSample(broken))")
        }
        if !special.isEmpty {
            warnings.append("\(special.count) entr\(special.count == 1 ? "y" : "ies") in \(directory) \(special.count == 1 ? "is" : "are") not a file "
                + "and \(special.count == 1 ? "is" : "are") not deployed: \(listSample(special))")
        }
        if let git = excludedByName[".git"] {
            warnings.append("\(listSample(git)) in \(directory) not deployed: a git repository's history and config "
                + "(remote URLs with their tokens) must not be public; set the artifact's base-directory to the built site")
        }
        let credentials = excludedByName.filter { CredentialFiles.matches($0.key) }.values.flatMap { $0 }.sorted()
        if !credentials.isEmpty {
            warnings.append("\(listSample(credentials, limit: 20)) in \(directory) not deployed: files of credentials (.env, .env.*, "
                + ".npmrc, *.pem, *.key, id_rsa, .aws/, .ssh/, …, in any case, and their backup copies) must not be public; set the "
                + "artifact's base-directory to the built site. There is no switch to publish one: a public file "
                + "with such a name (a certificate) must be renamed (cert.pem → cert.crt)")
        }
        if let state = excludedByName[".sitebuild"] {
            warnings.append("\(listSample(state)) in \(directory) not deployed: sitebuild's state (a local target's release records "
                + "and versions, fetched sources, build outputs) must not be public; set the artifact's base-directory to the built site")
        }
        if !localTargets.isEmpty {
            warnings.append("\(listSample(localTargets)) in \(directory) not deployed: another site's local target (its _sitebuild/ holds "
                + "versions' manifests or a live pointer), not part of this site; deploy that site to a folder outside this one")
        }
        return (manifest, warnings, hashedCount)
    }

    /// Deploys `directory`. A file found not to have its planned hash while it is placed or
    /// uploaded may have been planned with a wrong hash from the stat cache (a damaged line,
    /// a file system that reuses inodes and times): the cache is removed and the tree hashed
    /// and deployed again, once; a second mismatch is a file that changes while deploying.
    public func deploy(directory: String, version: String? = nil, dryRun: Bool = false,
                       progress: @escaping @Sendable (UploadStats) -> Void = { _ in }) async throws -> DeployOutcome {
        do {
            return try await deployOnce(directory: directory, version: version, dryRun: dryRun, progress: progress)
        } catch let mismatch as PlannedHashMismatch where statCacheDirectory != nil && !Task.isCancelled {
            let file = StatCache.file(directory: statCacheDirectory!, root: directory)
            guard unlink(file) == 0 else { throw mismatch }
            log("warning: \(mismatch.source) does not have the hash it was planned with (nothing of it was published): its hash came "
                + "from the stat cache \(file), unless it changed meanwhile; the cache is removed and the tree hashed again")
            return try await deployOnce(directory: directory, version: version, dryRun: dryRun, progress: progress)
        }
    }

    private func deployOnce(directory: String, version: String? = nil, dryRun: Bool = false,
                            progress: @escaping @Sendable (UploadStats) -> Void = { _ in }) async throws -> DeployOutcome {
        if let version { try VersionId.validate(version) }
        let metadata = [("createdAt", ReleaseRecord.isoTime(Date())), ("createdBy", ReleaseRecord.defaultActor()),
                        ("routing", builder.mode.rawValue)] + (trailingSlash.map { [("trailingSlash", $0)] } ?? [])
        // The pointer, and whether the live version's manifest is there, are read while the
        // tree is walked: a re-deploy of what is live then costs the walk and no round trip
        // after it. (An earlier read only widens the window the compare-and-swap guards.)
        async let live = readLiveCheckingPlace()
        // Interrupted while hashing (a big tree, a cold disk), the hashing stops between files.
        let (manifest, warnings, hashedCount) = try await withCancellationFlag { interrupted in
            try self.manifest(for: directory, version: version, metadata: metadata, stopRequested: interrupted)
        }
        let (state, liveComplete, liveDamaged, livePending) = try await live
        if let current = state.version, !liveComplete, current != manifest.version, !takeOverPointer, try await isStranger(current) {
            throw strangerPointer(current, nothing: "Nothing was uploaded or made live")
        }
        var outcome = DeployOutcome(kind: .planned, version: manifest.version, previous: state.version, fileCount: manifest.entries.count,
                                    totalBytes: manifest.totalBytes, stats: UploadStats(), hashedFiles: hashedCount,
                                    warnings: warnings, plannedUploads: [], manifest: manifest)
        outcome.aliasCount = manifest.aliasCount
        // The live version's pending marker goes only once its flip is done: one left there is a
        // run stopped after its flip (its release record may be owed), finished here.
        if let current = state.version, livePending, liveComplete {
            outcome.finishedFlip = await finishStoppedFlip(of: current, removingPending: true, dryRun: dryRun)
        }
        // New content (the usual deploy) needs the live version's manifest, for what can be copied
        // rather than uploaded: it is read while this version is looked for, one round trip
        // fewer, and goes unused only when the version turns out to exist already.
        let target = self.target
        let speculate = state.version != nil && state.version != manifest.version && version == nil
        async let liveContent: Result<ReusableContent, any Error>? = speculate ? Self.fetch {
            try await target.reusableContent(for: manifest, from: state.version!)
        } : nil
        let exists = state.version == manifest.version ? liveComplete : try await target.manifestExists(manifest.version)
        if exists, version != nil, let existing = try await target.readManifest(manifest.version), existing.contentId != manifest.contentId {
            // The same files with other headers (a changed rule in sitebuild.yml) would send the
            // user looking for a difference in the build's output that is not there.
            let sameFiles = existing.entries.count == manifest.entries.count
                && zip(existing.entries, manifest.entries).allSatisfy { $0.path == $1.path && $0.hash == $1.hash }
            throw DeployError("version \(manifest.version) already exists on \(target.url) with different "
                + (sameFiles ? "headers (the same files; a header rule or the routing settings changed)" : "content")
                + "; versions are immutable: choose another --version-id", invalidInput: true)
        }
        if exists && state.version == manifest.version {
            outcome.kind = .unchanged
            // What killed runs left half-written among the records goes here too, as with a
            // deploy that uploads: a target redeployed unchanged would keep it for good.
            if !dryRun { await target.removeStaleTemporaries() }
            // A damaged manifest of the live content id is written again from the one in hand
            // (a content id's manifest is its content's): `versions`, prune and serve read it.
            // A plain deploy knows its head (read with the pointer); --repair reads it whole.
            if version == nil {
                var damaged = liveDamaged
                if repairLive, damaged == nil {
                    do { _ = try await target.readManifest(manifest.version) } catch let found as DamagedManifest { damaged = found }
                }
                // Of a newer format: not damaged, and for a newer sitebuild to repair.
                if repairLive, let damaged, damaged.tooNew { throw damaged }
                if let damaged, !damaged.tooNew {
                    outcome.manifestRewritten = true
                    if dryRun {
                        outcome.kind = .planned
                        log("\(damaged): the real run would write it again from this deploy's (the same content)")
                    } else {
                        log("\(damaged): writing it again from this deploy's (the same content)")
                        try await target.replaceDamagedManifest(manifest)
                        outcome.kind = .repaired
                    }
                }
            }
            guard repairLive else { return outcome }
            let missing = try await target.missingObjects(of: manifest)
            guard !missing.isEmpty else { return outcome }
            outcome.restored = missing.rows.count
            if dryRun {
                outcome.kind = .planned
                outcome.plannedUploads = missing.rows.map { manifest.entries.path(at: $0) }
                return outcome
            }
            let said = MissingObjects(missing, of: manifest)
            log("\(said.text) of the live version \(manifest.version) are missing on \(target.url) (\(said.cause)): putting them "
                + "back from \(directory)")
            // From the tree: the version that would be copied from is this one, where they are missing.
            outcome.stats = try await restore(missing.rows, of: manifest, from: directory, reusable: .empty, progress: progress)
            await removePending(manifest.version)
            outcome.kind = .repaired
            return outcome
        }
        if !exists, version != nil { try await target.checkPlaceIsFree(for: manifest.version) }
        // A damaged manifest of this content's version is written again from the one in hand
        // (a content id's manifest is its content's): otherwise `versions` and `prune` would
        // leave out the version this deploy makes live. One of a newer format is not damaged:
        // it is a newer sitebuild's, not rewritten in this one's format, and the deploy stops
        // before anything is written or made live (as --repair does for the live one).
        var damagedExisting: DamagedManifest?
        if exists, version == nil {
            do { _ = try await target.readManifest(manifest.version) } catch let damaged as DamagedManifest { damagedExisting = damaged }
            if let damaged = damagedExisting, damaged.tooNew { throw damaged }
        }
        // An existing version that is not live may have lost objects since it was made (a lifecycle
        // rule, a hand): listed, and what is missing is put back from the tree before the flip.
        // (The live version, unchanged, is not listed: a deploy that changes nothing stays one read.)
        let missing = exists ? try await target.missingObjects(of: manifest) : MissingRows(rows: [])
        if dryRun {
            if let damaged = damagedExisting {
                log("\(damaged): the real run would write it again from this deploy's (the same content) before the version is made live")
            }
            if !missing.isEmpty {
                outcome.plannedUploads = missing.rows.map { manifest.entries.path(at: $0) }
                outcome.restored = missing.rows.count
            }
            if !exists {
                let known = try await reusable(for: manifest, live: state.version, fetched: await liveContent)
                let entries = manifest.entries
                outcome.plannedUploads = entries.indices.filter { !known.canReuse($0) }.map { entries.path(at: $0) }
                outcome.plannedCopies = entries.count - outcome.plannedUploads.count
                outcome.resumes = try await target.markerAge(.pending, of: manifest.version) != nil
            }
            return outcome
        }
        // A literal id is written by one deploy at a time (``WritingClaim``), up to its manifest.
        let claim = !exists && version != nil ? try await claimWaiting(manifest.version) : nil
        var leftoverPending = false
        if !exists {
            var completedMeanwhile = false
            var wrote = true
            do {
                // Under the claim: a deploy of this id that completed it as this one started.
                if claim != nil { completedMeanwhile = try await target.manifestExists(manifest.version) }
                if completedMeanwhile {
                    guard let existing = try await target.readManifest(manifest.version), existing.contentId == manifest.contentId else {
                        throw DeployError("another deploy completed version \(manifest.version) on \(target.url) with different content as "
                            + "this one started; versions are immutable and nothing was made live by this deploy: give each build its own --version-id")
                    }
                } else {
                    let known = try await reusable(for: manifest, live: state.version, fetched: await liveContent)
                    let target = self.target
                    let upload: @Sendable () async throws -> UploadStats = {
                        try await target.upload(manifest, from: directory, reusable: known, progress: progress)
                    }
                    if let claim {
                        outcome.stats = try await claim.holding(upload)
                        try await claim.confirm()
                    } else {
                        outcome.stats = try await upload()
                    }
                    wrote = try await target.writeManifest(manifest)
                }
            } catch {
                await claim?.release()
                throw error
            }
            await claim?.release()
            if !wrote, version != nil,
               let existing = try await target.readManifest(manifest.version), existing.contentId != manifest.contentId {
                // Another deploy of this literal id, with other content, completed it first.
                await removePending(manifest.version)
                throw DeployError("another deploy completed version \(manifest.version) with different content while this one "
                    + "uploaded, so its objects may mix both; nothing was made live by this deploy: give each content its own --version-id")
            }
            outcome.kind = completedMeanwhile ? .flippedExisting : .deployed
        } else {
            outcome.kind = .flippedExisting
            // A run stopped between this version's manifest and its flip left its pending marker;
            // removed once this flip has made the version live.
            leftoverPending = try await target.markerAge(.pending, of: manifest.version) != nil
            if let damaged = damagedExisting {
                log("\(damaged): writing it again from this deploy's (the same content) before the version is made live")
                try await target.replaceDamagedManifest(manifest)
            }
            if !missing.isEmpty {
                let said = MissingObjects(missing, of: manifest)
                log("\(said.text) of version \(manifest.version) are missing on \(target.url) (\(said.cause)): putting them back from "
                    + "\(directory) before it is made live")
                let known = try await reusable(for: manifest, live: state.version, fetched: await liveContent)
                outcome.stats = try await restore(missing.rows, of: manifest, from: directory, reusable: known, progress: progress)
                outcome.restored = missing.rows.count
            }
        }
        let deployer = self, kind = outcome.kind, version = manifest.version
        // The pending marker of a version this deploy wrote (or repaired) stays until its flip is
        // done: a prune between the manifest and the flip sees it and keeps the version.
        let wrote = kind == .deployed || outcome.restored > 0
        do {
            var flipped = try await flipDeployed(outcome, expected: state, kind: kind)
            if wrote || leftoverPending { await deployer.removePending(version) }
            if let previous = flipped.previous, previous != version {
                // Only said, never a failure: the version is live.
                flipped.routingChange = try? await routingChange(from: previous, to: version, routing: routing, previousFlip: flipped.replacedHead)
            }
            return flipped
        } catch {
            if wrote { await deployer.removePending(version) }
            throw error
        }
    }

    /// Flips the pointer from `state` to `outcome`'s version, again when another runner's
    /// flip overtook it (``flipAgainWhenOvertaken``); the outcome with the version it replaced.
    private func flipDeployed(_ planned: DeployOutcome, expected state: PointerState, kind: DeployOutcome.Kind) async throws -> DeployOutcome {
        var outcome = planned
        let deployer = self, version = planned.version
        var expected = state
        var overtaken = 0
        while true {
            if let beforeFlip { try await beforeFlip(version) }
            // Interrupted up to here, the deploy changed nothing live (the next run finds the
            // version complete and flips it). From here the flip and its release record are done
            // whole, whatever comes: a flip cut off after its write would leave no record.
            try Task.checkCancellation()
            let current = expected
            do {
                outcome.replacedHead = try await uncancelled {
                    let replaced = try await deployer.flip(to: version, expected: current, action: "deploy",
                                                           also: [planned.finishedFlip?.from].compactMap { $0 })
                    if kind == .flippedExisting {
                        // An existing version may be deleted by a prune as the pointer moves to it (a
                        // revert to old content): as for rollback, the pointer is then put back.
                        try await deployer.undoFlipIfDeleted(version, previous: current.version)
                    }
                    return replaced
                }
                return outcome
            } catch let conflict as PointerConflict where conflict.reason == nil && overtaken < Self.flipAgainLimit {
                guard let flipAgain = flipAgainWhenOvertaken, try await flipAgain(conflict) else { throw conflict }
                overtaken += 1
                expected = try await pointer.read()
                outcome.previous = expected.version
                if expected.version == version {
                    log("the pointer already holds \(version) (another deploy of the same content won the race)")
                    return outcome
                }
                log("the live version moved to \(expected.version ?? "none") while this deploy ran (another runner flipped it); "
                    + "\(version) is complete: flipping again from there")
            }
        }
    }

    /// The claim on writing the literal version `version`, once the deploy holding it now (if
    /// any) has finished: a second run of the same build (a CI job triggered twice) then finds
    /// the version complete and makes it live, instead of failing.
    private func claimWaiting(_ version: String) async throws -> WritingClaim {
        var said = false
        while true {
            do {
                // Not cut off by an interruption: a lock S3 stored while its answer was awaited
                // would be left unknown, and so never released. Interrupted by now, it goes.
                let target = self.target
                let claim = try await uncancelled { try await target.claimWriting(version) }
                if Task.isCancelled {
                    await claim.release()
                    throw CancellationError()
                }
                return claim
            } catch let held as WritingClaimHeld {
                if !said {
                    log("\(held); waiting for it to finish")
                    said = true
                }
                try await Task.sleep(for: claimPollInterval)
            }
        }
    }

    /// What the live version already holds of `manifest`'s content.
    private func reusable(for manifest: Manifest, live: String?, fetched: Result<ReusableContent, any Error>? = nil) async throws -> ReusableContent {
        guard let live else { return .empty }
        do {
            if let fetched { return try fetched.get() }
            return try await target.reusableContent(for: manifest, from: live)
        } catch let damaged as DamagedManifest {
            // Only what can be copied instead of uploaded is lost: the new version is whole
            // without it, and deploying one is how a damaged live version is replaced.
            log("warning: \(damaged); nothing of the live version \(live) is reused: every file is uploaded")
            return .empty
        }
    }

    /// `body`'s value or error, for work started before it is known whether it will be used.
    private static func fetch<T: Sendable>(_ body: @Sendable () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Puts back the objects at `missing` of `manifest`'s existing version
    /// (``DeployTarget/restoreObjects(_:of:from:reusable:progress:)``), which marks it pending;
    /// failing, the marker goes again, as no flip follows.
    private func restore(_ missing: [Int], of manifest: Manifest, from directory: String, reusable known: ReusableContent,
                         progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        let target = self.target
        do {
            return try await target.restoreObjects(missing, of: manifest, from: directory, reusable: known, progress: progress)
        } catch {
            await removePending(manifest.version)
            throw error
        }
    }

    /// Removes `version`'s pending marker once this deploy is done with it (not cut off by an
    /// interruption). One the target will not remove (a bucket policy denying deletes) is said,
    /// never a failure: the deploy's work is done, and a prune, seeing a release record flip to
    /// the version after the marker was written, knows it for a leftover
    /// (``DeployTarget/pendingMarkerOutlived(_:)``).
    private func removePending(_ version: String) async {
        let target = self.target
        do {
            try await uncancelled { try await target.removePending(version) }
        } catch {
            log("warning: the pending marker of version \(version) stays on \(target.url) (\(error)); allow this identity to delete "
                + "objects under _sitebuild/ (s3:DeleteObject), or every deploy leaves one")
        }
    }

    /// ``readLive()``, and a target whose folder is a version of another is refused (a prune
    /// of the other would delete this site): looked at only while the target has no complete
    /// live version (a first deploy; once it has one, the other can no longer make a version
    /// of this folder, which then holds files), so a re-deploy stays one read and one look.
    private func readLiveCheckingPlace() async throws -> (PointerState, Bool, DamagedManifest?, Bool) {
        let (state, complete, damaged, pending) = try await readLive()
        if !complete { try await target.checkNotInsideVersion() }
        return (state, complete, damaged, pending)
    }

    /// The pointer's state and whether the version it names has its manifest (is complete),
    /// and the manifest's head damaged, if it is: read in place of a look at whether it exists
    /// (one small read, its first 64 KiB), so a deploy of what is live finds a damaged one; and
    /// whether it has a pending marker (a look made at the same time): one left by a run
    /// stopped after its flip (``finishStoppedFlip(of:removingPending:dryRun:)``).
    private func readLive() async throws -> (PointerState, Bool, DamagedManifest?, Bool) {
        let state = try await pointer.read()
        guard let version = state.version else { return (state, false, nil, false) }
        let target = self.target
        // A look that fails (a policy allowing GetObject but not HEAD there) is taken for no
        // marker: finishing a stopped flip is not worth failing the deploy for.
        async let pending = try? target.markerAge(.pending, of: version)
        do {
            let complete = try await target.readManifestHead(version) != nil
            return (state, complete, nil, await pending != nil)
        } catch let damaged as DamagedManifest {
            return (state, true, damaged, await pending != nil)
        }
    }

    /// A run stopped after its flip (kill -9, a lost runner) left what only the end of a flip
    /// writes or removes: the pointer's head (written just before the flip) with no release
    /// record beside it when it was stopped before the record, and a deploy's pending marker.
    /// The record is written from the head (the flip's own: when, by whom, from what) and, with
    /// `removingPending`, the marker removed, so `versions`, `rollback` and prune see the flip
    /// as made. Returns the record written (a dry run only says it would). Best effort: a
    /// record that cannot be looked at or written is left for the next run.
    func finishStoppedFlip(of live: String, removingPending: Bool, dryRun: Bool) async -> ReleaseRecord? {
        let owed = await writeOwedRecord(of: await readHead(), live: live, dryRun: dryRun)
        if removingPending, !dryRun { await removePending(live) }
        return owed
    }

    /// Writes `head`'s release record when `head` is the flip that made `live` live and its
    /// record was never written (its run stopped between the two); returns it then (a dry run
    /// only says so).
    private func writeOwedRecord(of head: ReleaseRecord?, live: String, dryRun: Bool = false) async -> ReleaseRecord? {
        guard let head, head.to == live, !head.standsInForAnotherFlip else { return nil }
        do {
            guard try await target.readReleases(named: [head.fileName]).isEmpty else { return nil }
        } catch is DamagedRecords {
            // There, and damaged: not written over (the warnings of readers name it).
            return nil
        } catch {
            log("warning: could not look for the release record of the flip to \(live) on \(target.url): \(error)")
            return nil
        }
        let flip = "the \(head.action) that made \(live) live (\(ReleaseRecord.isoTime(head.at)), by \(head.by)) was stopped "
            + "before its release record"
        if dryRun {
            log("note: \(flip); the real run writes it")
        } else {
            log("note: \(flip): writing it now")
            await writeRelease(head)
        }
        return head
    }

    /// How release records name this deploy's pointer (``DeployTarget/name(of:)``).
    public var pointerIdentity: String { target.name(of: pointer) }

    /// The names a record of this pointer may carry: its identity and its URL.
    public var pointerNames: Set<String> { [pointerIdentity, pointer.url] }

    /// Moves the pointer with compare-and-swap and records the release. Flipping to the
    /// version that is already there (another runner won with the same content, or this
    /// flip's own retried write) succeeds. A write that failed otherwise (a connection reset,
    /// retries spent) may have landed with its answer lost: the pointer is read back, and
    /// holding this version the flip is done; holding the old one its error is thrown
    /// (nothing live changed); unreadable, a ``DeployError`` says the outcome is unknown.
    /// `also`: versions the flips this one finishes came from (``willFlip``).
    @discardableResult
    public func flip(to version: String, expected: PointerState, action: String, also: [String] = []) async throws -> ReleaseRecord? {
        let record = ReleaseRecord(from: expected.version, to: version, action: action, pointer: pointerIdentity, pointerRegion: pointer.region,
                                   routing: action == "deploy" ? builder.mode.rawValue : nil,
                                   trailingSlash: action == "deploy" ? trailingSlash : nil)
        // The pointer's head goes first: prunes through the target's other pointers learn of
        // this pointer and the version it is about to serve even if this run is killed right
        // after the flip, and a head that names a version the pointer does not hold (a flip
        // that then lost its race) is put back below, so the head never names a loser.
        let before = await readHead()
        // A flip stopped before its record (a killed rollback, which leaves no pending marker)
        // left only its head: its record goes first, so the history has no gap.
        var finishing = also
        if let live = expected.version, let stopped = await writeOwedRecord(of: before, live: live), let from = stopped.from {
            finishing.append(from)
        }
        await writeHead(record)
        let undoIntent = await willFlip?(expected.version, finishing, version)
        do {
            try await pointer.compareAndSwap(expected: expected, to: version)
        } catch let conflict as PointerConflict where conflict.found == version {
            // This flip's own earlier attempt, whose answer was lost (the store's retry then
            // met it), or another runner's flip of the same content: either way the pointer
            // holds this version, and the record is written. Two runners that flip the same
            // content at once so both record it: a duplicate record (unique names, append-only)
            // tells what happened, where skipping would leave a flip with none.
            log("the pointer already holds \(version) (an earlier attempt of this flip whose answer was lost, or another deploy "
                + "of the same content)")
        } catch var conflict as PointerConflict {
            await undoIntent?()
            await putBackHead(replacing: record, before: before, conflict: conflict)
            conflict.place = commandPlace
            throw conflict
        } catch where !(error is CancellationError) {
            // The write may have landed with its answer lost (a connection reset after the
            // store did it, every retry failing too): what the pointer holds now says.
            let now: PointerState
            do {
                now = try await pointer.read()
            } catch let readError {
                throw DeployError("the flip of \(pointer.url) to \(version) failed (\(error)), and the pointer could not be read "
                    + "back (\(readError)): whether \(version) is live is unknown. See `sitebuild versions\(commandPlace)` once the pointer can be "
                    + "read, then run the command again: it finishes the flip, or finds \(version) live", outcomeUnknown: true)
            }
            if now.version == version {
                log("note: the flip's answer was lost (\(error)), but the pointer holds \(version): the flip was made")
            } else {
                var conflict = PointerConflict(expected: expected.version, found: now.version, wanted: version)
                await undoIntent?()
                await putBackHead(replacing: record, before: before, conflict: conflict)
                // Still on the version it held: the flip was not made, and nothing live changed.
                if now.version == expected.version { throw error }
                // On a third version: another runner's flip, made before or after this one's.
                conflict.place = commandPlace
                throw conflict
            }
        }
        await writeRelease(record)
        return before
    }

    /// `--target … --pointer …` (and ``adviceFlags``) for a command the advice suggests.
    private var commandPlace: String {
        ([" --target", shellWord(target.url), "--pointer", shellWord(pointer.url)] + adviceFlags.map(shellWord)).joined(separator: " ")
    }

    /// Writes a flip's release record; a failure is logged, not thrown: the flip is done.
    private func writeRelease(_ record: ReleaseRecord) async {
        do {
            try await target.writeRelease(record)
        } catch {
            log("warning: \(record.to) is live, but the release record could not be written (\(target.url)): \(error)")
        }
    }

    /// The release records named, read for what they tell (not to decide what to delete):
    /// damaged ones are left out, with a warning naming them.
    private func readReleasesWarning(named names: [String]) async throws -> [ReleaseRecord] {
        do { return try await target.readReleases(named: names) } catch let damaged as DamagedRecords where !refusesDamagedRecords {
            log("warning: \(damaged); left out")
            return damaged.readable
        }
    }

    /// The pointer heads, read as ``readReleasesWarning(named:)`` reads records.
    private func readPointerHeadsWarning() async throws -> [ReleaseRecord] {
        do { return try await target.readPointerHeads() } catch let damaged as DamagedRecords where !refusesDamagedRecords {
            log("warning: \(damaged); left out")
            return damaged.readable
        }
    }

    /// This pointer's head, if it has a readable one (one read; the other pointers' heads, one
    /// of them damaged say, do not matter here).
    private func readHead() async -> ReleaseRecord? {
        (try? await target.readPointerHead(pointer: pointerIdentity)) ?? nil
    }

    /// After a lost compare-and-swap: the head `ours` (written before it) named a version the
    /// pointer does not hold, and had replaced the winner's; `versions` and prune would take
    /// it for the pointer's state once the pointer cannot be read. While it is still the head,
    /// it is replaced by the head that was there before when that names what the pointer now
    /// holds, else by a head for the winner's flip as the conflict found it (the flip's own
    /// details unknown: `by` says so).
    private func putBackHead(replacing ours: ReleaseRecord, before: ReleaseRecord?, conflict: PointerConflict) async {
        guard let current = await readHead(), current.to == ours.to, current.by == ours.by,
              abs(current.at.timeIntervalSince(ours.at)) < 0.002 else { return }
        let replacement: ReleaseRecord
        if let before, before.to == conflict.found || conflict.found == nil {
            replacement = before
        } else if let found = conflict.found {
            replacement = ReleaseRecord(at: ours.at, from: conflict.expected, to: found, action: ours.action,
                                        by: ReleaseRecord.unknownActor(over: ours.by), pointer: ours.pointer,
                                        pointerRegion: ours.pointerRegion)
        } else {
            // Emptied, with no head before this one: none is left that names the loser.
            do {
                try await target.removePointerHead(ours)
            } catch {
                log("warning: the head of the pointer \(pointer.url) still names \(ours.to), which lost the race, and could not be "
                    + "removed from \(target.url): \(error)")
            }
            return
        }
        await writeHead(replacement)
    }

    /// Keeps `record` as its pointer's head (what prune and `versions` read to learn which
    /// versions the target's other pointers serve); a failure is logged, not thrown.
    private func writeHead(_ record: ReleaseRecord) async {
        do {
            try await target.writePointerHead(record)
        } catch {
            log("warning: the head of the pointer \(pointer.url) could not be written on \(target.url) (prunes through other "
                + "pointers read it to keep what this one serves): \(error)")
        }
    }

    /// This deploy's routing (its mode, and its trailing-slash setting when given).
    public var routing: SiteRouting { SiteRouting(mode: builder.mode.rawValue, trailingSlash: trailingSlash) }

    /// The routing `version` was made live with: the newest release record of a deploy that made
    /// it live (a few read, newest first), else what its manifest's head records; nil when neither says
    /// (another tool's version).
    public func recordedRouting(of version: String, releaseNames: [String]? = nil) async throws -> SiteRouting? {
        var names = releaseNames ?? []
        if releaseNames == nil { names = try await target.listReleaseNames() }
        for name in names.filter({ ReleaseRecord.fileName($0, isFlipTo: version) }).reversed().prefix(5) {
            if let record = try await readReleasesWarning(named: [name]).first, record.to == version, let mode = record.routing {
                return SiteRouting(mode: mode, trailingSlash: record.trailingSlash)
            }
        }
        // The manifest's head says it (its metadata comes before the entries): no large read.
        guard let head = try await target.readManifestHead(version), let mode = head.metadata["routing"] else { return nil }
        return SiteRouting(mode: mode, trailingSlash: head.metadata["trailingSlash"])
    }

    /// The change of routing when `version` replaces `previous`, made live with `routing` (a
    /// deploy's), or, when nil, with its recorded routing (a rollback's); nil when both route
    /// alike or either is not known. `previousFlip`, the pointer's head a deploy's flip replaced,
    /// says the routing `previous` was made live with when it is that deploy's record: no
    /// listing of the release history, which grows with every flip.
    public func routingChange(from previous: String, to version: String, routing: SiteRouting? = nil,
                              previousFlip: ReleaseRecord? = nil) async throws -> RoutingChange? {
        if let live = routing, let head = previousFlip, head.to == previous, head.action == "deploy", let mode = head.routing {
            let before = SiteRouting(mode: mode, trailingSlash: head.trailingSlash)
            return live.differs(from: before) ? RoutingChange(previous: before, live: live) : nil
        }
        let names = try await target.listReleaseNames()
        var live = routing
        if live == nil { live = try await recordedRouting(of: version, releaseNames: names) }
        guard let live, let before = try await recordedRouting(of: previous, releaseNames: names), live.differs(from: before) else { return nil }
        return RoutingChange(previous: before, live: live)
    }

    /// The version live before the current one, from the release records: the newest one
    /// that still exists (a version deleted since, as after an undone flip, is passed over).
    public func previousVersion(live: String?) async throws -> String? {
        // Only the records that made `live` live are read (their names say so), newest first:
        // usually one read, however many releases the target has.
        guard let live else { return nil }
        let names = try await target.listReleaseNames().filter { ReleaseRecord.fileName($0, isFlipTo: live) }
        // A flip to `live` stopped before its release record (kill -9) is newer than every record
        // that made `live` live before (an older deploy of the same content): its head says where
        // it came from.
        let head = try await readPointerHeadsWarning().first { $0.moved(pointerNames) && $0.to == live && $0.action != "undo" }
        if let head, !head.standsInForAnotherFlip, !names.contains(head.fileName), let from = head.from, from != live, try await isWhole(from) {
            return from
        }
        for name in names.reversed() {
            // An undone flip's record (`undo`, from the version that never stayed live) is not a
            // release to go back to.
            for record in try await readReleasesWarning(named: [name])
            where record.to == live && record.action != "undo" && record.moved(pointerNames) {
                if let from = record.from, from != live, try await isWhole(from) { return from }
            }
        }
        // A run killed between its flip and its release record left only the pointer's head
        // (written just before the flip): it names the version the flip came from.
        if let head, let from = head.from, from != live, try await isWhole(from) {
            return from
        }
        return nil
    }

    /// Whether `version` can be made live: its manifest exists, or it is a version another
    /// tool uploaded (``isForeign(_:)``), such as the Hosting Toolkit's before sitebuild took
    /// its stack over.
    func isWhole(_ version: String) async throws -> Bool {
        if try await target.manifestExists(version) { return true }
        return try await isForeign(version)
    }

    /// A version with files but no manifest that no deploy of sitebuild's left behind (none
    /// has its pending marker) and no prune began deleting (no deleting marker of any age):
    /// what another tool uploaded, such as the Hosting Toolkit's `<commit>/` folders. sitebuild
    /// cannot check it is complete, so it is taken as it is, as the tool that uploaded it served it.
    /// A folder holding `_sitebuild/` is another sitebuild target (or watcher), never a version:
    /// made live, it would serve that site's raw storage, its release records among it.
    public func isForeign(_ version: String) async throws -> Bool {
        // Any deleting marker, however old: a prune killed half-way left the version partly gone.
        guard try await target.markerAge(.pending, of: version) == nil, try await target.markerAge(.deleting, of: version) == nil else { return false }
        guard try await !target.firstObjects(of: version, limit: 1).isEmpty else { return false }
        return try await target.nestedState(in: version) == nil
    }

    /// Whether `version`, named by the pointer, was never this target's: no files in its
    /// folder (not a version another tool uploaded, not one deleted half-way) and no release
    /// record that made it live here (not a version deleted outside sitebuild since).
    /// The refusal of a flip through a pointer that names a version this target never had
    /// (``isStranger(_:)``): another site's pointer, which the flip would take down.
    func strangerPointer(_ current: String, nothing: String) -> DeployError {
        DeployError("\(pointer.url) says \(current) is live, but \(target.url) has never had a version \(current) (no manifest, "
            + "no files, no release record): the pointer most likely serves another site (two sites on one KeyValueStore or table "
            + "with the default key `path`, a pointer from another site's settings). \(nothing). Give this "
            + "site its own pointer (--pointer …#<key>, SITEBUILD_POINTER, sitebuild.yml's pointer), or pass --take-over-pointer "
            + "if this target should now own it", invalidInput: true)
    }

    func isStranger(_ version: String) async throws -> Bool {
        guard try await target.firstObjects(of: version, limit: 1).isEmpty else { return false }
        return try await hasNoRecord(of: version)
    }

    /// Whether no release record, and no pointer's head, names `version` (the second half of
    /// ``isStranger(_:)``, for a caller that has looked for its files already).
    func hasNoRecord(of version: String) async throws -> Bool {
        if try await target.listReleaseNames().contains(where: { ReleaseRecord.fileName($0, isFlipTo: version) }) { return false }
        do {
            return try await !target.readPointerHeads().contains { $0.to == version }
        } catch let damaged as DamagedRecords {
            // A damaged head may be the one that names it: not taken for a stranger.
            log("warning: \(damaged)")
            return false
        }
    }

    /// The newest readable release record on the target (one listing and one read; a damaged
    /// newest one is said, and the one before it read).
    public func lastRelease() async throws -> ReleaseRecord? {
        let names = try await target.listReleaseNames()
        for name in names.reversed().prefix(5) {
            if let record = try await readReleasesWarning(named: [name]).first { return record }
        }
        return nil
    }

    /// Flips back to `version`, or to the previous release when nil. `force`: even through a
    /// pointer that holds nothing while the target has releases (restoring a lost pointer).
    public func rollback(to version: String?, force: Bool = false) async throws -> (from: String?, to: String) {
        // An existing version: sitebuild's, or another tool's (the Hosting Toolkit's S3 mode names
        // versions after their ZIP, `release+2`); it must be found on the target below.
        if let version { try VersionId.validateExisting(version) }
        let state = try await pointer.read()
        if state.version == nil, !force, let last = try await lastRelease() {
            // Nothing live through this pointer, yet the target has releases: most likely the
            // wrong pointer (a flip here would go unseen, and its record would mislead prune).
            throw DeployError("nothing is live on \(pointer.url), but the last release on \(target.url) made \(last.to) live\(last.through) "
                + "(\(last.action), \(ReleaseRecord.isoTime(last.at))): is this the pointer the deploys use? Pass it with --pointer "
                + "(or SITEBUILD_POINTER, sitebuild.yml's pointer); to restore a pointer that was lost, name the version and pass "
                + "--force", invalidInput: true)
        }
        // Through another site's pointer, a rollback would take that site down, as a deploy would.
        if let current = state.version, current != version, !takeOverPointer, try await !target.manifestExists(current),
           try await isStranger(current) {
            throw strangerPointer(current, nothing: "Nothing was changed")
        }
        let wanted: String
        if let version {
            wanted = version
        } else if let previous = try await previousVersion(live: state.version) {
            wanted = previous
        } else {
            throw DeployError("there is no previous release to roll back to; name a version (see `sitebuild versions`)", invalidInput: true)
        }
        try VersionId.validateExisting(wanted)
        let foreign: Bool
        if try await target.manifestExists(wanted) {
            foreign = false
        } else if let nested = try await target.nestedState(in: wanted) {
            throw DeployError("\(wanted) on \(target.url) is not a version: its folder holds another target's (or watcher's) state, "
                + "\(nested), so made live it would serve that site's storage, its release records among it. "
                + "Name a version of this target (see `sitebuild versions`)", invalidInput: true)
        } else if try await isForeign(wanted) {
            foreign = true
            log("note: \(wanted) has no sitebuild manifest (another tool uploaded it, such as the Hosting Toolkit before "
                + "sitebuild took over): it is made live as it is")
        } else {
            throw DeployError("version \(wanted) does not exist (or is incomplete) on \(target.url); see `sitebuild versions`", invalidInput: true)
        }
        if state.version == wanted { return (state.version, wanted) }
        // Its objects may have gone since it was made (a lifecycle rule, a hand): made live so, it
        // would serve errors. A rollback has no tree to put them back from; a deploy of the build does.
        let wantedManifest: Manifest?
        do {
            wantedManifest = foreign ? nil : try await target.readManifest(wanted)
        } catch let damaged as DamagedManifest where !damaged.tooNew {
            throw DeployError("\(damaged); nothing was changed. Deploy the build version \(wanted) was made from again (`sitebuild deploy "
                + "DIR` or `sitebuild run`: a deploy of the same content writes its manifest again, then makes it live), or roll back "
                + "to another version (see `sitebuild versions`)")
        }
        if let manifest = wantedManifest {
            let missing = try await target.missingObjects(of: manifest)
            if !missing.isEmpty {
                let said = MissingObjects(missing, of: manifest)
                let restore = said.archived.isEmpty ? "" : "Restore the archived objects (S3 RestoreObject, then copy each onto itself in "
                    + "a storage class that serves it, such as STANDARD), or deploy"
                throw DeployError("version \(wanted) is missing \(said.text) on \(target.url) (\(said.cause)), so it would serve errors "
                    + "for them; nothing was changed. \(restore.isEmpty ? "Deploy" : restore)"
                    + " the build it was made from again (`sitebuild deploy DIR` or `sitebuild run`: a deploy of the same content puts the "
                    + "missing objects back, then makes it live), or roll back to another version (see `sitebuild versions`)")
            }
        }
        // A prune's marker already there: refused before the flip, so production is not flipped
        // to the version and back. (A prune that marks it after this look is caught after the flip.)
        if let age = try await target.markerAge(.deleting, of: wanted), age < PrunePlan.deletionMarkerLifetime {
            throw DeployError("version \(wanted) is being deleted by a prune (its marker under _sitebuild/deleting/\(wanted)/ on "
                + "\(target.url) is \(Int(max(0, age))) s old); nothing was changed. Roll back once the prune has finished (if it "
                + "deleted \(wanted), roll back to another version, see `sitebuild versions`). If no prune is running, one that failed "
                + "left the marker (its error named it): delete that folder, or wait until the marker is an hour old")
        }
        // As for a deploy: interrupted before the flip nothing changes; a flip begun is done whole.
        try Task.checkCancellation()
        let deployer = self
        do {
            try await uncancelled {
                try await deployer.flip(to: wanted, expected: state, action: "rollback")
                try await deployer.undoFlipIfDeleted(wanted, previous: state.version, foreign: foreign)
            }
        } catch var conflict as PointerConflict where conflict.reason == nil {
            // Not a deploy's upload: nothing waits to be made live, and a bare rerun would
            // roll back from the new live version instead.
            conflict.reason = "the live version moved while this rollback ran: expected \(conflict.expected ?? "none") but found "
                + "\(conflict.found ?? "none"); nothing was changed. See `sitebuild versions`, then `sitebuild rollback \(wanted)\(conflict.place)` "
                + "if \(wanted) should still be live"
            throw conflict
        }
        return (state.version, wanted)
    }

    /// A prune that planned before a flip to an existing version may be deleting it, or have
    /// deleted it: then the pointer is put back (a live version without files serves errors)
    /// and a release record says so. Read after the flip: a prune writes its deleting marker
    /// before it reads the pointer, so either it sees this flip and keeps the version, or this
    /// sees its marker (``DeployTarget/prune(_:releasesKnown:isLive:)``).
    private func undoFlipIfDeleted(_ version: String, previous: String?, foreign: Bool = false) async throws {
        let deleting = try await target.isBeingDeleted(version)
        if !deleting, try await foreign ? !target.firstObjects(of: version, limit: 1).isEmpty : target.manifestExists(version) { return }
        let now = try await pointer.read()
        var outcome = "check the pointer with `sitebuild versions`"
        var restored = false
        if now.version == version, let previous {
            // Back only to a version that is still whole: the same prune may have deleted the
            // one before too (two rollbacks in a row), and a pointer on nothing is worse.
            if try await isWhole(previous) {
                if (try? await pointer.compareAndSwap(expected: now, to: previous)) != nil {
                    outcome = "the pointer is back on \(previous)"
                    restored = true
                    // The record before the look at its markers: a prune marking `previous`
                    // meanwhile sees it (``DeployTarget/prune(_:releasesKnown:isLive:)``).
                    let undo = ReleaseRecord(from: version, to: previous, action: "undo", pointer: pointerIdentity, pointerRegion: pointer.region)
                    await writeRelease(undo)
                    await writeHead(undo)
                    let marked = try await target.isBeingDeleted(previous)
                    let whole = try await isWhole(previous)
                    if marked || !whole {
                        outcome += ", but it has a prune's deleting marker too (a prune deleting it, or one killed within the hour): "
                            + "check with `sitebuild versions` and make a whole version live if it is gone"
                    }
                }
            } else {
                outcome = "\(previous), live before it, is gone too, so the pointer stays on \(version): make a whole version live "
                    + "(`sitebuild versions`, then `sitebuild rollback VERSION`)"
            }
        }
        throw DeployError("version \(version) \(deleting ? "is being deleted" : "was deleted") by a prune (running now, or killed "
            + "within the hour) as it was made live; " + outcome, liveChanged: !restored)
    }
}
