import Foundation
import SiteContent

/// Which versions `prune` deletes, and why each kept one stays. Pure: the caller reads
/// the versions, releases and pointer and passes them in.
public struct PrunePlan: Sendable, Equatable {
    public var delete: [String]
    /// Version → the reason it is kept.
    public var keep: [String: String]
    /// Versions without a manifest whose deploy started over a day ago (and longer ago than the
    /// grace period): interrupted deploys. Those deleted half-way count as started long ago.
    public var deleteIncomplete: [String]

    /// How long an unfinished version is left alone whatever the grace period: its deploy may
    /// still be running (a long upload), and deleting its objects would break it.
    public static let unfinishedDeployAge: TimeInterval = 24 * 3600

    /// How long a prune's deleting marker means "being deleted now"; an older one was left by
    /// a prune that was killed, and a deploy of that version clears it.
    public static let deletionMarkerLifetime: TimeInterval = 3600

    /// Why a version whose place holds `nested` (``DeployTarget/nestedState(in:)``) is kept:
    /// deleting its folder would delete another site (or watcher) with it.
    public static func keptForNestedState(_ nested: String) -> String {
        "its folder holds another target's (or watcher's) state, \(nested): deleting it would delete that site too; "
            + "move that site out of this target (or delete it), then prune again"
    }

    /// - Parameters:
    ///   - versions: complete versions with their creation time.
    ///   - keepCount: how many of the newest versions to keep besides live and previous.
    ///   - grace: anything live (or made) within this long ago is kept.
    public static func make(versions: [(version: String, created: Date)], releases: [ReleaseRecord], live: String?,
                            previous: String?, keepCount: Int, grace: TimeInterval, now: Date = Date(),
                            incomplete: [(version: String, modified: Date)] = [],
                            otherPointers: [OtherPointer] = []) -> PrunePlan {
        var keep: [String: String] = [:]
        if let live { keep[live] = "live" }
        if let previous, keep[previous] == nil { keep[previous] = "previous release (instant rollback)" }
        // What the target's other pointers serve (a staging or preview key beside production)
        // and their instant-rollback versions.
        for other in otherPointers {
            if let version = other.live, keep[version] == nil { keep[version] = "live through \(other.pointer)" }
        }
        for other in otherPointers {
            for version in other.previous where keep[version] == nil { keep[version] = "previous release through \(other.pointer)" }
        }
        // What the release records say is live and was live before it: kept even when the
        // pointer read says otherwise (prune run with another pointer than the deploys use,
        // or none), since deleting the live version is the one mistake prune must not make.
        if let last = ReleaseRecord.latest(in: releases) {
            if keep[last.to] == nil { keep[last.to] = "live according to the last release record" }
            if let from = last.from, keep[from] == nil { keep[from] = "live before the last release record" }
        }
        let cutoff = now.addingTimeInterval(-grace)
        for record in releases where record.at >= cutoff {
            // `from` was live until this flip, `to` from it: both were live within the grace period.
            if let from = record.from, keep[from] == nil { keep[from] = "live within the grace period" }
            if keep[record.to] == nil { keep[record.to] = "live within the grace period" }
        }
        let newest = versions.sorted { $0.created > $1.created }
        var kept = 0
        for item in newest where keep[item.version] == nil && kept < keepCount {
            keep[item.version] = "one of the \(keepCount) newest"
            kept += 1
        }
        for item in versions where keep[item.version] == nil && item.created >= cutoff {
            keep[item.version] = "made within the grace period"
        }
        let delete = versions.map(\.version).filter { keep[$0] == nil }.sorted()
        let unfinishedWindow = max(grace, unfinishedDeployAge)
        let abandoned = now.addingTimeInterval(-unfinishedWindow)
        let complete = Set(versions.map(\.version))
        let incompleteOld = incomplete.filter { $0.modified < abandoned && keep[$0.version] == nil && !complete.contains($0.version) }
            .map(\.version).sorted()
        for item in incomplete where item.modified >= abandoned && keep[item.version] == nil {
            keep[item.version] = "unfinished: its deploy started within \(Int(unfinishedWindow / 3600)) hours and may still be running"
        }
        // Only versions that exist are reported kept (a release record can name one pruned since).
        let existing = complete.union(incomplete.map(\.version))
        keep = keep.filter { existing.contains($0.key) || $0.key == live }
        return PrunePlan(delete: delete, keep: keep, deleteIncomplete: incompleteOld)
    }
}

/// Another pointer of the same target, as prune and `versions` see it: what it serves, read
/// from the pointer itself when that can be done, else from its last release record.
public struct OtherPointer: Sendable, Equatable {
    /// Its identity, as release records name it (``Deployer/pointerIdentity``).
    public var pointer: String
    /// The version it serves; nil when the pointer holds nothing (a removed preview key).
    public var live: String?
    /// The version live through it before `live`: its head's `from` when the head is the flip
    /// to `live`; else (the pointer moved by something that leaves no head, or a flip that
    /// lost its race) both versions its head names, since either may be the one before.
    public var previous: [String]
    /// Why the pointer itself was not read (its last release record stood in), if it was not.
    public var unreadable: String?

    public init(pointer: String, live: String?, previous: [String], unreadable: String? = nil) {
        self.pointer = pointer
        self.live = live
        self.previous = previous
        self.unreadable = unreadable
    }

    /// The pointers of `target` other than the one known by `names` (``Deployer/pointerNames``),
    /// from their heads (``DeployTarget/readPointerHeads()``), each read through `open` (given
    /// its name and the region its head names) (nil, or a throw: it cannot be opened here); one that cannot
    /// be read counts as serving what its last flip made live. Damaged heads throw
    /// ``DamagedRecords`` (what they serve is unknown), unless `damaged` is given: then they are
    /// passed to it and left out.
    public static func find(on target: any DeployTarget, besides names: Set<String>, damaged: ((DamagedRecords) -> Void)? = nil,
                            open: (_ name: String, _ region: String?) throws -> (any PointerStore)?) async throws -> [OtherPointer] {
        var found: [OtherPointer] = []
        let heads: [ReleaseRecord]
        do {
            heads = try await target.readPointerHeads()
        } catch let unreadable as DamagedRecords where damaged != nil {
            damaged?(unreadable)
            heads = unreadable.readable
        }
        for head in heads {
            guard let name = head.pointer, !names.contains(name) else { continue }
            let fromHead = OtherPointer(pointer: name, live: head.to, previous: head.from.map { [$0] } ?? [])
            do {
                guard let store = try open(name, head.pointerRegion) else {
                    found.append(with(fromHead, unreadable: "not a pointer this command can open"))
                    continue
                }
                let live = try await store.read().version
                // Holding nothing (a preview key deleted), it protects nothing.
                let previous = live == nil ? [] : live == head.to ? [head.from].compactMap { $0 }
                    : [head.to, head.from].compactMap { $0 }.filter { $0 != live }
                found.append(OtherPointer(pointer: name, live: live, previous: previous))
            } catch let missing as PointerResourceMissing {
                found.append(with(fromHead, unreadable: missing.problem))
            } catch {
                found.append(with(fromHead, unreadable: "\(error)"))
            }
        }
        return found
    }

    private static func with(_ other: OtherPointer, unreadable: String) -> OtherPointer {
        var copy = other
        copy.unreadable = unreadable
        return copy
    }
}
