import AWSCore
import Foundation
import SiteContent

/// Counts of one upload.
public struct UploadStats: Sendable, Equatable {
    /// Objects written from the local tree.
    public var uploaded = 0
    public var uploadedBytes: Int64 = 0
    /// Objects made from content the target already had (hard link, server-side copy).
    public var reused = 0
    /// Objects already in place (a resumed deploy).
    public var skipped = 0
    /// The objects and bytes of the whole version, for progress.
    public var plannedFiles = 0
    public var plannedBytes: Int64 = 0

    /// Objects dealt with so far.
    public var done: Int { uploaded + reused + skipped }

    public init() {}
}

/// Where versions live. Implementations: `LocalTarget` (a directory), `S3Target`.
/// The layout is the same everywhere: `<version>/<path>`, then
/// `_sitebuild/manifests/<version>.json` written last and never overwritten, and one
/// `_sitebuild/releases/<time>-<version>.json` per flip, and each pointer's last flip as
/// `_sitebuild/pointers/<hash>.json`, and the invalidations flips still owe as
/// `_sitebuild/invalidations/<hash>.json`.
public protocol DeployTarget: Sendable {
    /// `file:///…` or `s3://…`, for messages.
    var url: String { get }
    func manifestExists(_ version: String) async throws -> Bool
    func readManifest(_ version: String) async throws -> Manifest?
    /// The head of `version`'s manifest (its entries are not read: a large site's are
    /// megabytes); nil when it has none; ``DamagedManifest`` when the head is no manifest's.
    func readManifestHead(_ version: String) async throws -> ManifestHead?
    /// Every version with a manifest (complete versions).
    func listVersions() async throws -> [String]
    /// Where the files under `_sitebuild/manifests/` are that ``listVersions()`` leaves out
    /// because their names are no version id (a Finder copy `<version> copy.json`): said by
    /// `versions` and prune, never taken for versions (a path, or an `s3://` URL).
    func listStrayManifests() async throws -> [String]
    /// What the complete `version` already holds of `manifest`'s content (its manifest
    /// streamed, never held whole); `.empty` when that version has no manifest.
    func reusableContent(for manifest: Manifest, from version: String) async throws -> ReusableContent
    /// What changed from the complete `version` to `manifest` (``ManifestDiff``), its manifest
    /// streamed; nil when that version has no manifest.
    func changes(from version: String, to manifest: Manifest) async throws -> (keys: [String], pathCount: Int)?
    /// Puts the manifest's missing objects in place, taking bytes from `sourceRoot`, and
    /// bytes `reusable` says a complete version has from there.
    func upload(_ manifest: Manifest, from sourceRoot: String, reusable: ReusableContent,
                progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats
    /// The exclusive right to write the objects of `version`, a literal id (``WritingClaim``);
    /// throws when another deploy holds it now.
    func claimWriting(_ version: String) async throws -> WritingClaim
    /// Writes the manifest only if none exists (If-None-Match: *). Returns false when
    /// one existed already. The version's pending marker stays: the deploy removes it once its
    /// flip is done (``removePending(_:)``), so a prune never takes the complete version for
    /// one nobody uses between the two.
    func writeManifest(_ manifest: Manifest) async throws -> Bool
    /// Writes `manifest` over a damaged one of the same version (not create-only): only for a
    /// content id, whose manifest the content determines.
    func replaceDamagedManifest(_ manifest: Manifest) async throws
    func writeRelease(_ record: ReleaseRecord) async throws
    /// Removes the temporary files that writes of killed runs left beside the records (a
    /// release record cut off half-way), of processes that no longer run: a local target's (an
    /// S3 object is written whole or not at all, so S3's does nothing). Every deploy that is not
    /// a dry run sweeps, one of what is live already too.
    func removeStaleTemporaries() async
    /// The release records' file names (`<compact time>-<version>.json`), oldest first: a
    /// listing, no record read. Their names say when and to which version each flip was.
    func listReleaseNames() async throws -> [String]
    /// The release records' names after `first` (a compact time, ``ReleaseRecord/compactTime(_:)``),
    /// oldest first: the records written since then, without listing the whole history.
    func listReleaseNames(from first: String) async throws -> [String]
    /// The records named (from ``listReleaseNames()``), in that order; missing ones (deleted
    /// since the listing) left out. Throws ``DamagedRecords`` when any cannot be read.
    func readReleases(named names: [String]) async throws -> [ReleaseRecord]
    /// Keeps `record` as its pointer's last flip (`_sitebuild/pointers/<name>.json`, one per
    /// pointer, ``ReleaseRecord/pointerHeadName(_:)``), replacing the one before: how prune and
    /// `versions` learn which versions the other pointers of the target serve, without reading
    /// every release record.
    func writePointerHead(_ record: ReleaseRecord) async throws
    /// Removes the head of `record`'s pointer (a flip that lost its race, with no head before it).
    func removePointerHead(_ record: ReleaseRecord) async throws
    /// The last flip of every pointer that has one. Throws ``DamagedRecords`` when any cannot be read.
    func readPointerHeads() async throws -> [ReleaseRecord]
    /// The last flip of the pointer named `pointer` (``name(of:)``), if it has one: one small
    /// read, no listing. Throws ``DamagedRecords`` when it cannot be read.
    func readPointerHead(pointer: String) async throws -> ReleaseRecord?
    /// The invalidation `pointer` owes `distribution` (`_sitebuild/invalidations/<name>.json`,
    /// ``OwedInvalidation/fileName(pointer:distribution:)``), if one is recorded: one small read.
    /// One that cannot be read comes back as ``OwedInvalidation/damaged(pointer:distribution:location:)``.
    func readOwedInvalidation(pointer: String, distribution: String) async throws -> OwedInvalidation?
    /// Records `owed`, replacing what its pointer owed its distribution before.
    func writeOwedInvalidation(_ owed: OwedInvalidation) async throws
    /// Removes what `pointer` owed `distribution` (its invalidation was accepted).
    func removeOwedInvalidation(pointer: String, distribution: String) async throws
    /// How release records name `pointer` (``Deployer/pointerIdentity``): its URL, except that
    /// a local target names a file pointer inside it by its path there (`_sitebuild/live`), so
    /// that its records still match once the target's folder is moved or copied.
    func name(of pointer: any PointerStore) -> String
    /// Deletes a version whose deleting marker the caller wrote (``deleteVersion(_:)``, or
    /// ``prune(_:releasesKnown:isLive:)``, which checks first that no deploy or rollback is
    /// using it): its manifest first (so it is never half-served), then its objects, its
    /// pending marker and every deleting marker.
    func removeMarkedVersion(_ version: String) async throws
    /// How long ago the marker of `kind` for `version` was written, if there is one; for
    /// deleting markers (one per prune) the newest. On S3 by S3's clock, not this machine's.
    func markerAge(_ kind: VersionMarker, of version: String) async throws -> TimeInterval?
    /// When the deploy that wrote `version`'s pending marker started, by that deploy's own clock
    /// (the marker's `started`); nil without a marker, or one that does not say.
    func pendingMarkerStarted(_ version: String) async throws -> Date?
    /// Removes `version`'s pending marker (a deploy that stopped before uploading anything);
    /// throws when the target refuses (the marker then stays).
    func removePending(_ version: String) async throws
    /// Writes prune `token`'s deleting marker for `version` (``VersionMarker/deleting``).
    func markDeleting(_ version: String, token: String) async throws
    /// Removes prune `token`'s deleting marker for `version` (its deletion was called off), or
    /// every one when `token` is nil (the version is gone, or the markers are stale); throws
    /// when the target refuses.
    func unmarkDeleting(_ version: String, token: String?) async throws
    /// Version prefixes without a manifest (left by interrupted deploys), with their age.
    func incompleteVersions() async throws -> [(version: String, modified: Date)]
    /// Throws (invalid input) when a path of `manifest` cannot be stored on this target, before
    /// anything is written: an S3 key longer than 1,024 bytes with the prefix and version.
    func checkKeys(_ manifest: Manifest) throws
    /// Up to `limit` objects (files) in `version`'s place, as target URLs, in listing order.
    func firstObjects(of version: String, limit: Int) async throws -> [String]
    /// The `_sitebuild/` folder inside `version`'s place, as a target URL, when there is one:
    /// that folder is another target (a site deployed to `<this target>/<version>`) or another
    /// watcher's state, not part of the version. One listing of at most one key (a stat locally).
    func nestedState(in version: String) async throws -> String?
    /// The target above this one whose version this target's folder is, or lies inside: its
    /// `_sitebuild/manifests/<name>.json` exists for the folder of this path below it (up to
    /// the bucket's root; for a directory, up to ``LocalTarget/enclosingLevels`` levels up).
    /// A prune of that target would delete this one, and while that version is live its site
    /// serves this one's files and records. nil when there is none (or it cannot be read).
    func enclosingVersion() async throws -> (target: String, version: String, manifest: String)?
    /// The rows of `manifest`'s entries whose objects its version's place cannot serve, in
    /// manifest order: not there (deleted outside sitebuild: a lifecycle rule, by hand), or on S3
    /// moved to an archive storage class (GLACIER, DEEP_ARCHIVE: read only once restored). On
    /// S3 one listing of the version's prefix (1,000 keys a request), locally a stat per object.
    func missingObjects(of manifest: Manifest) async throws -> MissingRows
    /// Puts back the objects at `rows` of `manifest`'s complete version, copied where
    /// `reusable` says a version has their bytes, else from `sourceRoot` (the tree hashed
    /// into the manifest). The version's pending marker is written first (a prune then keeps
    /// it; one deleting it stops this) and left for the deploy to remove once its flip is done.
    func restoreObjects(_ rows: [Int], of manifest: Manifest, from sourceRoot: String, reusable: ReusableContent,
                        progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats
}

/// The rows of a manifest whose objects cannot be served (``DeployTarget/missingObjects(of:)``).
public struct MissingRows: Sendable, Equatable {
    /// Every such row, in manifest order.
    public var rows: [Int]
    /// Those of `rows` whose object is there, in an archive storage class (row → class).
    public var archived: [Int: String]

    public init(rows: [Int], archived: [Int: String] = [:]) {
        self.rows = rows
        self.archived = archived
    }

    public var isEmpty: Bool { rows.isEmpty }

    /// The S3 storage classes whose objects S3 does not serve until they are restored.
    /// (GLACIER_IR, Glacier Instant Retrieval, serves them at once.)
    public static let archiveClasses: Set<String> = ["GLACIER", "DEEP_ARCHIVE"]
}

/// Some objects of a version are missing from its place (``DeployTarget/missingObjects(of:)``).
public struct MissingObjects: Sendable, Equatable {
    /// How many of the version's objects are missing, and how many it has.
    public var count: Int
    public var total: Int
    /// The first few missing paths (relative to the version's folder), in manifest order.
    public var sample: [String]
    /// How many of them are there but in an archive storage class, by class.
    public var archived: [String: Int]

    public init(count: Int, total: Int, sample: [String], archived: [String: Int] = [:]) {
        self.count = count
        self.total = total
        self.sample = sample
        self.archived = archived
    }

    /// `manifest`'s objects at `missing.rows`, missing or archived.
    public init(_ missing: MissingRows, of manifest: Manifest) {
        let entries = manifest.entries
        self.init(count: missing.rows.count, total: entries.count, sample: missing.rows.prefix(3).map { entries.path(at: $0) },
                  archived: missing.archived.values.reduce(into: [:]) { $0[$1, default: 0] += 1 })
    }

    /// Why they cannot be served: `deleted outside sitebuild: a lifecycle rule, by hand`, or
    /// `3 in the GLACIER storage class (moved by a lifecycle rule), which S3 serves only once restored`.
    public var cause: String {
        let archivedCount = archived.values.reduce(0, +)
        guard archivedCount > 0 else { return "deleted outside sitebuild: a lifecycle rule, by hand" }
        let classes = archived.keys.sorted().map { "\(archived[$0]!) in the \($0) storage class" }.joined(separator: ", ")
        let deleted = count - archivedCount
        return (deleted > 0 ? "\(deleted) deleted outside sitebuild, " : "") + classes
            + " (moved by a lifecycle rule), which S3 serves only once restored"
    }

    /// `2 of its 7 objects (about.html, docs.html)`, `7 of its 7 objects (…, …, …, …)`.
    public var text: String {
        "\(count) of its \(total) object\(total == 1 ? "" : "s") (" + sample.joined(separator: ", ") + (count > sample.count ? ", …" : "") + ")"
    }
}

/// The markers under `_sitebuild/` that say a version is being written or deleted.
public enum VersionMarker: Sendable {
    /// `pending/<version>.json`: a deploy started writing the version (removed with its manifest).
    case pending
    /// `deleting/<version>/<token>.json`: a prune started deleting it (each prune its own, so
    /// that one calling its deletion off never removes another's; all go with the version).
    case deleting
}

extension DeployTarget {
    public func checkKeys(_ manifest: Manifest) throws {}

    public func removeStaleTemporaries() async {}

    public func name(of pointer: any PointerStore) -> String { pointer.url }

    /// Refuses (invalid input) a literal version id whose place on the target already holds
    /// objects that no deploy of it left: a literal id names a folder of the target (with a
    /// target at a bucket's root, `--version-id blog` is `s3://bucket/blog/`), and a deploy
    /// removes what its manifest does not list from its version's place. That is right for
    /// what an interrupted deploy of the version left (its pending marker, or a prune's
    /// deleting marker, is there), and would delete someone else's files otherwise.
    public func checkPlaceIsFree(for version: String) async throws {
        if try await markerAge(.pending, of: version) != nil { return }
        if try await markerAge(.deleting, of: version) != nil { return }
        let found = try await firstObjects(of: version, limit: 3)
        guard !found.isEmpty else { return }
        throw DeployError("version \(version) would be written where files that no sitebuild deploy of it made already are ("
            + found.joined(separator: ", ") + (found.count == 3 ? ", …" : "") + "): a version's place is a folder of the target, and "
            + "a deploy replaces what it holds. Choose another --version-id, or another target prefix", invalidInput: true)
    }

    /// Refuses (invalid input) a deploy to a target whose folder is a version of a target above
    /// it (``enclosingVersion()``): a prune of that target would delete this site whole.
    public func checkNotInsideVersion() async throws {
        guard let outer = try await enclosingVersion() else { return }
        throw DeployError("\(url) lies inside version \(outer.version) of the target \(outer.target) (its manifest is \(outer.manifest)): "
            + "a prune of that target would delete this site with that version, and while \(outer.version) is live that site serves "
            + "this one's files and release records. Deploy to a folder that is no version of another target (beside it, not inside one)",
            invalidInput: true)
    }

    /// Deletes a version outright: its deleting marker, then all of it (a killed run is
    /// finished by the next prune).
    public func deleteVersion(_ version: String) async throws {
        _ = try await markDeletingAnew(version)
        try await removeMarkedVersion(version)
    }

    /// Writes a deleting marker for `version` under a new token, and returns the token.
    private func markDeletingAnew(_ version: String) async throws -> String {
        try VersionId.validate(version)
        let token = UUID().uuidString.lowercased()
        try await markDeleting(version, token: token)
        return token
    }

    /// Prune's deletion of `version`, safe against a deploy or rollback using it at the same
    /// time. The deleting marker is written first and only then are the pointer (`isLive`) and
    /// the version's pending marker read, while a deploy writes its pending marker before it
    /// reads the deleting ones (``claimFromPrune(_:)``) and a flip moves the pointer before it
    /// reads them (`Deployer`): each side writes, then reads the other's write, so at least one
    /// of them sees the other and backs off. Flips also leave a release record before they look
    /// for markers, so with `releasesKnown` (the records prune planned with) a version any
    /// newer record made live is kept too, even if the pointer has moved on since (a rollback
    /// undone, or several in a row). Returns why the version was kept, or nil when it was deleted.
    public func prune(_ version: String, releasesKnown: ReleasesSincePlan? = nil, isLive: () async throws -> Bool) async throws -> String? {
        if let nested = try await nestedState(in: version) { return PrunePlan.keptForNestedState(nested) }
        let token = try await markDeletingAnew(version)
        let reason: String?
        do {
            if try await isLive() {
                reason = "it was made live while prune ran"
            } else if let releasesKnown, try await releasesKnown.madeLive(version, on: self) {
                reason = "a rollback or deploy made it live while prune ran"
            } else if let age = try await markerAge(.pending, of: version), age < PrunePlan.unfinishedDeployAge,
                      try await !pendingMarkerOutlived(version) {
                reason = "a deploy started writing it while prune ran"
            } else {
                reason = nil
            }
        } catch {
            // A marker left here would block deploys and rollbacks of the version for an hour.
            try? await unmarkDeleting(version, token: token)
            throw error
        }
        if let reason {
            try await unmarkMarked(version, token: token, kept: reason)
            return reason
        }
        do {
            try await removeMarkedVersion(version)
        } catch let error as DeployError where error.nothingDeleted {
            // The version is whole (its manifest could not be deleted, so nothing was): its
            // marker would refuse rollbacks and deploys of it for an hour.
            try await unmarkMarked(version, token: token, kept: "\(error)")
            throw error
        }
        return nil
    }

    /// Removes prune `token`'s marker of `version`, which it keeps (`kept` says why); a marker
    /// the target will not remove fails the prune, naming it.
    private func unmarkMarked(_ version: String, token: String, kept: String) async throws {
        do {
            try await unmarkDeleting(version, token: token)
        } catch {
            throw DeployError("version \(version) is kept (\(kept)), but this prune's deleting marker "
                + "_sitebuild/deleting/\(version)/\(token).json on \(url) could not be removed: \(error). Rollbacks and deploys of "
                + "\(version) are refused until it is deleted (allow this identity s3:DeleteObject on _sitebuild/, then delete it) "
                + "or is an hour old")
        }
    }

    /// Whether `version`'s pending marker was left by a deploy that went on to make the version
    /// live (a release record flips to it after the marker's start, both by that deploy's clock):
    /// its removal failed after the flip (a bucket policy denying deletes), and no deploy is
    /// writing the version now, since one that is wrote its marker after every flip so far.
    func pendingMarkerOutlived(_ version: String) async throws -> Bool {
        guard let started = try await pendingMarkerStarted(version) else { return false }
        return try await listReleaseNames().contains { name in
            ReleaseRecord.fileName(name, isFlipTo: version) && (ReleaseRecord.time(fromFileName: name).map { $0 > started } ?? false)
        }
    }

    /// Whether a prune is deleting `version` now: a deleting marker younger than
    /// ``PrunePlan/deletionMarkerLifetime`` (older ones were left by killed prunes).
    public func isBeingDeleted(_ version: String) async throws -> Bool {
        guard let age = try await markerAge(.deleting, of: version) else { return false }
        return age < PrunePlan.deletionMarkerLifetime
    }

    /// Called by a deploy right after it wrote `version`'s pending marker: throws when a prune
    /// is deleting that version now (it restores an old version's content a prune is removing);
    /// clears the markers killed prunes left.
    func claimFromPrune(_ version: String) async throws {
        guard let age = try await markerAge(.deleting, of: version) else { return }
        if age < PrunePlan.deletionMarkerLifetime {
            // The pending marker just written goes again: left, it would make the next prune
            // take this version for one a deploy is writing, and keep it for a day.
            try? await removePending(version)
            throw DeployError("version \(version) is being deleted by a prune (its marker under _sitebuild/deleting/\(version)/ on "
                + "\(url) is \(Int(max(0, age))) s old); nothing was made live: deploy again once the prune has finished (a marker "
                + "over an hour old is taken for a killed prune's and cleared)")
        }
        try await unmarkDeleting(version, token: nil)
    }

    /// Every release record, oldest first (one read per record: for tests and small targets;
    /// `previousVersion` and prune read only the records they need).
    public func listReleases() async throws -> [ReleaseRecord] {
        try await readReleases(named: listReleaseNames())
    }
}

/// The release records a prune planned with, and the versions the records written since made
/// live (``DeployTarget/prune(_:releasesKnown:isLive:)``). Each deletion's check lists only the
/// records named from an hour before the plan (one page, not the site's whole history, which
/// grows by a record per flip) and reads only those it has not seen. A record named over an
/// hour before the plan but not among its records (a flip from a machine whose clock is that far
/// behind) is not seen; the pointer read each deletion makes still keeps what is live.
public final class ReleasesSincePlan: @unchecked Sendable {
    // @unchecked: the mutable state is only touched under `lock`.
    private let lock = NSLock()
    private var seen: Set<String>
    private var madeLive: Set<String> = []
    private let listFrom: String

    /// How far before the plan the records are listed: slack for other machines' clocks.
    public static let clockSlack: TimeInterval = 3600

    /// `known`: the names the plan read (or skipped as too old to matter); `planned`: when.
    public init(known: some Sequence<String>, planned: Date = Date()) {
        seen = Set(known)
        listFrom = ReleaseRecord.compactTime(planned.addingTimeInterval(-Self.clockSlack))
    }

    /// Whether a record written since the plan made `version` live.
    func madeLive(_ version: String, on target: some DeployTarget) async throws -> Bool {
        let names = try await target.listReleaseNames(from: listFrom)
        let new = lock.withLock { names.filter { !seen.contains($0) } }
        let records = try await target.readReleases(named: new)
        return lock.withLock {
            seen.formUnion(new)
            madeLive.formUnion(records.map(\.to))
            return madeLive.contains(version)
        }
    }
}

/// A version's manifest that cannot be read as one (exit code 3 where it stops a command;
/// `versions` and `prune` leave that version out and say so).
public struct DamagedManifest: Error, Sendable, CustomStringConvertible {
    public var version: String
    public var location: String
    public var reason: String
    /// Not damaged: written in a newer format than this sitebuild reads (``ManifestFormatTooNew``).
    public var tooNew = false

    public init(version: String, location: String, reason: String, tooNew: Bool = false) {
        self.version = version
        self.location = location
        self.reason = reason
        self.tooNew = tooNew
    }

    public var description: String { "the manifest \(location) \(tooNew ? "was" : "is damaged:") \(reason)" }
}

/// Release records or pointer heads that exist but cannot be read as one (cut off, or not
/// sitebuild's): what they name is unknown, so prune, which keeps what they name, refuses
/// (exit 3); the commands that only read them say so and go on without them. Carries the
/// records that could be read.
public struct DamagedRecords: Error, Sendable, CustomStringConvertible {
    /// Where each damaged record is (a path, or an `s3://` URL), in the order read.
    public var locations: [String]
    /// The records that could be read, in the order named.
    public var readable: [ReleaseRecord]

    public init(locations: [String], readable: [ReleaseRecord]) {
        self.locations = locations
        self.readable = readable
    }

    public var description: String {
        let list = locations.map { ExtractionError.escaped(Array($0.utf8)) }.joined(separator: ", ")
        return (locations.count == 1 ? "the record \(list) is damaged (not a release record sitebuild can read)"
            : "the records \(list) are damaged (not release records sitebuild can read)")
            + ": which version \(locations.count == 1 ? "it names" : "they name") is unknown. Put back a good copy, or delete "
            + "\(locations.count == 1 ? "it" : "them") (a pointer's head under _sitebuild/pointers/ is written again by its next deploy "
            + "or rollback; a release record under _sitebuild/releases/ only protects the versions it names)"
    }
}

/// A file whose content no longer has the hash the deploy planned with, found as it is
/// uploaded or placed (nothing of it is published): it changed while deploying, or its
/// planned hash came from a stat cache that was wrong (``Deployer/deploy(directory:version:dryRun:progress:)``
/// then hashes the tree again once).
public struct PlannedHashMismatch: Error, Sendable, CustomStringConvertible {
    public var source: String
    public init(source: String) { self.source = source }
    public var description: String {
        "\(source) changed while deploying (its content no longer has the hash it was planned with); build again"
    }
}

/// A deploy or target failure (exit code 3), naming what failed and what to do.
public struct DeployError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The input is wrong (a path, a version id, the directory), not the target: exit 2, and
    /// nothing was sent.
    public var isInvalidInput: Bool
    /// The live version did change (a flip that could not be undone): the command must not
    /// say that nothing live changed.
    public var liveChanged = false
    /// Whether the live version changed is unknown (a flip whose answer was lost, and the
    /// pointer could not be read back): the `--json` result says `UNKNOWN`, not `FAILED`.
    public var outcomeUnknown = false
    /// A version's deletion that failed before deleting anything (its manifest could not be
    /// deleted): the version is whole, and its prune's marker goes again.
    public var nothingDeleted = false
    public init(_ description: String, invalidInput: Bool = false, liveChanged: Bool = false, outcomeUnknown: Bool = false,
                nothingDeleted: Bool = false) {
        self.description = description
        self.isInvalidInput = invalidInput
        self.liveChanged = liveChanged || outcomeUnknown
        self.outcomeUnknown = outcomeUnknown
        self.nothingDeleted = nothingDeleted
    }

    /// The `--json` result's status for this failure: `UNKNOWN` when whether the live version
    /// changed is unknown, otherwise `FAILED`.
    public var resultStatus: String { outcomeUnknown ? "UNKNOWN" : "FAILED" }
}

/// Version ids must be safe path segments and never clash with `_sitebuild`.
extension DeployTarget {
    public func listStrayManifests() async throws -> [String] { [] }
}

public enum VersionId {
    /// `text`, what a pointer holds, when it is a version id; otherwise an input error: the
    /// object or file named as the pointer is something else (a page, a manifest, a note),
    /// which a flip would overwrite.
    public static func pointerValue(_ text: String, pointer: String) throws -> String {
        // Not only sitebuild's own ids: the Hosting Toolkit names a version after its ZIP
        // (`release+2`, `site (1)`). What a page, a manifest or a note holds is refused:
        // several lines, markup or JSON, control characters, or more than a KVS value's 1,024 bytes.
        let foreign = text.utf8.count > 1024 || text.contains(where: { "<>{}\"\\/".contains($0) })
            || text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        if !foreign { return text }
        let sample = text.prefix(40).map { $0.isNewline ? " " : String($0) }.joined() + (text.count > 40 ? "…" : "")
        throw DeployError("the pointer \(pointer) holds '\(sample)', which is not a version id: it is something else that a flip would "
            + "overwrite. Check the pointer (--pointer, SITEBUILD_POINTER, sitebuild.yml); to use this place as the pointer anyway, "
            + "delete it or write a version id into it", invalidInput: true)
    }

    /// What a pointer's stored value says is live: nil for an empty (or blank) value, as the
    /// viewer-request function reads it (a preview closed by emptying its key, a hand-cleared
    /// item), otherwise ``pointerValue(_:pointer:)``.
    public static func livePointerValue(_ text: String, pointer: String) throws -> String? {
        if text.allSatisfy(\.isWhitespace) { return nil }
        return try pointerValue(text, pointer: pointer)
    }

    /// Refuses (invalid input) what cannot name a version already on a target, for `rollback`:
    /// what a pointer may not hold (``pointerValue(_:pointer:)``), a `/` (a folder below a
    /// version), `.`, `..` and `_sitebuild`. Looser than ``validate(_:)``, the rule for new ids:
    /// the Hosting Toolkit's S3 mode names versions after their ZIP (`release+2`, `site (1)`),
    /// and rollback goes back to them.
    public static func validateExisting(_ id: String) throws {
        let refused = id.isEmpty || id.allSatisfy(\.isWhitespace) || id.contains("/") || [".", "..", "_sitebuild"].contains(id)
            || id.utf8.count > 1024 || id.contains(where: { "<>{}\"\\".contains($0) })
            || id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        guard refused else { return }
        throw DeployError("'\(id)' cannot name a version: a version is one folder of the target, named without '/', control "
            + "characters or any of <>{}\"\\ (and not '.', '..' or '_sitebuild'); see `sitebuild versions`", invalidInput: true)
    }

    /// Whether `id` passes ``validate(_:)``.
    public static func isValid(_ id: String) -> Bool { (try? validate(id)) != nil }

    public static func validate(_ id: String) throws {
        let allowed = id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
        guard !id.isEmpty, id.count <= 128, allowed, !id.hasPrefix("_"), !id.hasPrefix("."), !id.hasPrefix("-") else {
            throw DeployError("'\(id)' is not a valid version id: use 1 to 128 letters, digits, '.', '_' or '-', not starting with '_', '.' or '-'",
                              invalidInput: true)
        }
    }
}
