import ArgumentParser
import Deploy
import Foundation
import Preview
import SiteContent

struct VersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "versions", abstract: "List the versions on the target and which is live.")

    /// What `versions` and prune say of a file among the manifests whose name is no version id.
    static func strayWarning(_ location: String) -> String {
        "warning: \(ExtractionError.escaped(Array(location.utf8))) is among the manifests, but its name is no version id "
            + "(a copy?): it is no version, and left out; delete or move it"
    }

    @OptionGroup var target: TargetOptions

    func run() async throws {
        let reporter = Reporter(json: target.json)
        let resolved: TargetOptions.Resolved
        do { resolved = try target.resolve(configDirectory: FileManager.default.currentDirectoryPath).requiringTarget() } catch {
            reporter.fail("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        if let warning = resolved.mixedSourcesWarning { reporter.say(warning) }
        do {
            let live = try await resolved.pointer.read().version
            let deployer = Deployer(target: resolved.target, pointer: resolved.pointer, log: { reporter.say($0) })
            let previous = try await deployer.previousVersion(live: live)
            var rows: [(version: String, created: String, files: Int, bytes: Int64)] = []
            var damaged: Set<String> = []
            // The versions left out: their manifests are damaged, or of a newer format.
            var unreadable: [DamagedManifest] = []
            for stray in try await resolved.target.listStrayManifests() { reporter.say(VersionsCommand.strayWarning(stray)) }
            for (version, head) in try await Self.readHeads(try await resolved.target.listVersions(), of: resolved.target, reporter: reporter,
                                                            unreadable: { unreadable.append($0) }) {
                guard let head else {
                    damaged.insert(version)
                    continue
                }
                if let files = head.siteFileCount, let bytes = head.siteBytes {
                    rows.append((version, head.createdAt ?? "", files, bytes))
                } else {
                    // Written before heads counted the page aliases: its entries tell.
                    guard let manifest = try await Self.readManifest(version, of: resolved.target, reporter: reporter,
                                                                     unreadable: { unreadable.append($0) }) else {
                        damaged.insert(version)
                        continue
                    }
                    rows.append((version, head.createdAt ?? "", manifest.siteFileCount, manifest.siteBytes))
                }
            }
            rows.sort { $0.created > $1.created }
            if live == nil, let last = try await deployer.lastRelease() {
                // As rollback and prune say: most likely not the pointer the deploys use.
                reporter.say("warning: nothing is live on \(resolved.pointer.url), but the last release on \(resolved.target.url) made "
                    + "\(last.to) live\(last.through) (\(last.action), \(ReleaseRecord.isoTime(last.at))): is this the pointer the deploys "
                    + "use? Pass it with --pointer (or SITEBUILD_POINTER, sitebuild.yml's pointer)")
            }
            let others = try await resolved.otherPointers(damaged: { reporter.say("warning: \($0); left out") })
            if let live, !rows.contains(where: { $0.version == live }), !damaged.contains(live) {
                if let nested = try await resolved.target.nestedState(in: live) {
                    // Another sitebuild target's folder (an older rollback let it in): its raw storage is served.
                    reporter.say("warning: \(resolved.pointer.url) says \(live) is live, but \(live) on \(resolved.target.url) is no version: "
                        + "its folder holds another target's (or watcher's) state, \(nested), so the site serves that site's storage, its "
                        + "release records among it. `sitebuild rollback VERSION` makes one of these live")
                } else if try await !resolved.target.firstObjects(of: live, limit: 1).isEmpty {
                    // The Hosting Toolkit's pipeline (or another tool) uploaded it: served, not ours.
                    reporter.say("note: \(live) is live and its files are on \(resolved.target.url), but it has no sitebuild manifest "
                        + "(uploaded by another tool, such as the Hosting Toolkit's pipeline): it is served as it is; versions lists "
                        + "sitebuild's own versions, from the first `sitebuild deploy` on, and rollback can go back to this one after it")
                } else {
                    reporter.say("warning: \(resolved.pointer.url) says \(live) is live, but \(resolved.target.url) has no complete version "
                        + "\(live): the site serves nothing; is this the target the pointer belongs to (--target, --pointer)? "
                        + "`sitebuild rollback VERSION` makes one of these live")
                }
            }
            if target.json {
                let items = rows.map { row in
                    JSONValue.object([("version", .string(row.version)), ("createdAt", .string(row.created)), ("files", .int(Int64(row.files))),
                                      ("bytes", .int(row.bytes)), ("live", .bool(row.version == live)), ("previous", .bool(row.version == previous)),
                                      ("liveThrough", .array(others.filter { $0.live == row.version }.map { .string($0.pointer) }))])
                }
                let pointers = others.map { other in
                    JSONValue.object([("pointer", .string(other.pointer)), ("live", other.live.map(JSONValue.string) ?? .null),
                                      ("readFrom", .string(other.unreadable == nil ? "pointer" : "last release record"))])
                }
                let left = unreadable.map { damaged in
                    JSONValue.object([("version", .string(damaged.version)), ("manifest", .string(damaged.location)),
                                      ("reason", .string(damaged.tooNew ? "newerFormat" : "damaged")), ("message", .string(damaged.description))])
                }
                writeAll(1, Array((JSONValue.object([("target", .string(resolved.target.url)), ("live", live.map(JSONValue.string) ?? .null),
                                                     ("versions", .array(items)), ("unreadable", .array(left)),
                                                     ("otherPointers", .array(pointers))]).serialized() + "\n").utf8))
                return
            }
            if rows.isEmpty {
                writeAll(1, Array((Self.noVersionsLine(target: resolved.target.url, unreadable: unreadable) + "\n").utf8))
                return
            }
            // The version column is as wide as the longest id (`--version-id` names can be long).
            let width = max(18, rows.map(\.version.count).max() ?? 0)
            // So is the files column as wide as the largest count (a site of 100,000 files).
            let filesWidth = max(5, rows.map { String($0.files).count }.max() ?? 0)
            var text = "VERSION".padding(toLength: width, withPad: " ", startingAt: 0) + "  CREATED (UTC)             "
                + "FILES".leftPadded(filesWidth) + "       SIZE  STATUS\n"
            for row in rows {
                var status = row.version == live ? "live" : row.version == previous ? "previous" : ""
                let through = others.filter { $0.live == row.version }.map(\.pointer)
                if !through.isEmpty { status += (status.isEmpty ? "" : "; ") + "live through " + through.joined(separator: ", ") }
                text += row.version.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + row.created.padding(toLength: 24, withPad: " ", startingAt: 0) + "  "
                    + String(row.files).leftPadded(filesWidth) + "  " + humanBytes(row.bytes).leftPadded(9) + "  " + status + "\n"
            }
            for other in others where other.unreadable != nil {
                text += "(\(other.pointer) could not be read: \(other.unreadable!); shown as its last release left it)\n"
            }
            writeAll(1, Array(text.utf8))
        } catch {
            reporter.fail("\(error)")
            throw ExitCode(DeployInvocation.exitStatus(for: error))
        }
    }
}

extension VersionsCommand {
    /// How many manifest heads are read at once (each a small ranged GET on S3).
    static let headReads = 16

    /// What `versions` prints when it lists no version: none yet, or only versions whose
    /// manifests this sitebuild cannot read (a newer sitebuild's, or damaged ones), which are
    /// counted: the target is not empty, and a newer sitebuild lists them.
    static func noVersionsLine(target: String, unreadable: [DamagedManifest]) -> String {
        guard !unreadable.isEmpty else { return "No versions on \(target) yet: run `sitebuild run` or `sitebuild deploy DIR`." }
        func count(_ n: Int) -> String { n == 1 ? "1 version" : "\(n) versions" }
        let newer = unreadable.filter(\.tooNew).count, damaged = unreadable.count - newer
        var parts: [String] = []
        if newer > 0 {
            parts.append("\(count(newer)) written by a newer sitebuild (a manifest format newer than this one reads): upgrade "
                + "sitebuild to list \(newer == 1 ? "it" : "them")")
        }
        if damaged > 0 {
            parts.append("\(count(damaged)) whose manifest is damaged (named above): restore or delete \(damaged == 1 ? "that file" : "those files")")
        }
        return "No versions on \(target) that this sitebuild can read: it has " + parts.joined(separator: "; and ") + "."
    }

    /// The heads of `versions`' manifests, in order, read several at a time; nil (with a
    /// warning, said in order) for a damaged one or one deleted meanwhile.
    /// `unreadable` is told of each version left out.
    static func readHeads(_ versions: [String], of target: any DeployTarget, reporter: Reporter,
                          unreadable: (DamagedManifest) -> Void = { _ in }) async throws -> [(String, ManifestHead?)] {
        var heads: [(String, ManifestHead?)] = []
        // Read in batches; the heads (and warnings) keep the versions' order.
        for batch in stride(from: 0, to: versions.count, by: headReads).map({ $0..<min($0 + headReads, versions.count) }) {
            var read = [HeadRead?](repeating: nil, count: batch.count)
            try await withThrowingTaskGroup(of: HeadRead.self) { group in
                for index in batch {
                    let version = versions[index]
                    group.addTask {
                        do { return HeadRead(index: index, head: try await target.readManifestHead(version)) } catch let damaged as DamagedManifest {
                            return HeadRead(index: index, damaged: damaged)
                        }
                    }
                }
                for try await item in group { read[item.index - batch.lowerBound] = item }
            }
            for (offset, item) in read.enumerated() {
                let version = versions[batch.lowerBound + offset]
                if let damaged = item?.damaged {
                    reporter.say(leftOutWarning(damaged))
                    unreadable(damaged)
                    heads.append((version, nil))
                } else if let head = item?.head {
                    heads.append((version, head))
                }
            }
        }
        return heads
    }

    /// What `versions` and `prune` say of a version whose manifest they cannot read: a damaged
    /// one is for the user to restore or delete; one of a newer format is whole (a newer
    /// sitebuild reads it), so the advice is only to upgrade, never to delete it.
    static func leftOutWarning(_ damaged: DamagedManifest) -> String {
        damaged.tooNew
            ? "warning: \(damaged); version \(damaged.version) is left out (and kept) until then: the file is not damaged, keep it"
            : "warning: \(damaged); version \(damaged.version) is left out (and kept): restore or delete that file by hand"
    }

    /// One manifest head read (by ``readHeads(_:of:reporter:)``'s child tasks).
    final class HeadRead: Sendable {
        let index: Int
        let head: ManifestHead?
        let damaged: DamagedManifest?

        init(index: Int, head: ManifestHead? = nil, damaged: DamagedManifest? = nil) {
            self.index = index
            self.head = head
            self.damaged = damaged
        }
    }

    /// A version's manifest, or nil (with a warning) when it is damaged: one bad file must not
    /// stop listing or pruning the others.
    static func readManifest(_ version: String, of target: any DeployTarget, reporter: Reporter,
                             unreadable: (DamagedManifest) -> Void = { _ in }) async throws -> Manifest? {
        do {
            return try await target.readManifest(version)
        } catch let damaged as DamagedManifest {
            reporter.say(leftOutWarning(damaged))
            unreadable(damaged)
            return nil
        }
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Make an earlier version live again (default: the previous release).")

    @Argument(help: "The version to make live. Default: the one live before the current.")
    var version: String?

    @Flag(help: "Make VERSION live even through a pointer that holds nothing while the target has releases (restoring a lost pointer).")
    var force = false

    @Flag(help: "Roll back through a pointer that names a version this target never had (another site's), taking it over.")
    var takeOverPointer = false

    @OptionGroup var target: TargetOptions
    @OptionGroup var routing: RoutingOptions
    @OptionGroup(title: "Invalidation") var invalidation: InvalidationOptions

    func run() async throws {
        let command = self
        let status = await Interruptible.run { await Interruptible.status { try await command.rollback() } }
        if status != 0 { throw ExitCode(status) }
    }

    /// Rolls back; a signal (``Interruptible``) before the flip changes nothing, and a flip
    /// under way is completed with its release record.
    func rollback() async throws {
        let reporter = Reporter(json: target.json)
        let resolved: TargetOptions.Resolved
        let mode: RoutingMode
        do {
            resolved = try target.resolve(configDirectory: FileManager.default.currentDirectoryPath).requiringTarget()
            mode = try routing.routingMode(resolved.config)
            _ = try invalidation.mode(resolved.config)
            _ = try invalidation.timeout()
        } catch {
            reporter.fail("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        if let warning = resolved.mixedSourcesWarning { reporter.say(warning) }
        if let warning = resolved.containerTargetWarning("the rollback makes a version live on") { reporter.say(warning) }
        var deployer = Deployer(target: resolved.target, pointer: resolved.pointer, log: { reporter.say($0) })
        if let distribution = resolved.distribution { deployer.adviceFlags = ["--distribution", distribution] }
        deployer.takeOverPointer = takeOverPointer
        let flipIntent = InvalidationStep.FlipIntent(step: InvalidationStep(resolved: resolved, options: invalidation, routing: mode, reporter: reporter))
        deployer.willFlip = flipIntent.hook()
        do {
            if let problem = try await DeployInvocation.distributionProblem(resolved, invalidation: invalidation) {
                reporter.say(problem.replacingOccurrences(of: "nothing was uploaded or made live", with: "nothing was changed"))
                reporter.event("result", [("status", .string("FAILED")), ("message", .string(problem))])
                throw ExitCode(ExitStatus.invalidInput)
            }
            let (from, to) = try await deployer.rollback(to: version, force: force)
            var routingChange: RoutingChange?
            var step = InvalidationStep(resolved: resolved, options: invalidation, routing: mode, reporter: reporter)
            step.rerun = "the next deploy or rollback through this pointer sends it; or run "
            if from == to {
                // Already live (a rerun after an invalidation that failed or was cut off), as for
                // a deploy: what is owed is sent, and --invalidate always sends again what the
                // flip to it changed.
                let owed = await step.owedInvalidation()
                let always = try resolved.distribution != nil && invalidation.mode(resolved.config) == .always
                if always || owed != nil {
                    let invalidateFrom = always ? try await deployer.previousVersion(live: to) : nil
                    reporter.say("version \(to) is already live" + (always ? "; --invalidate always: invalidating what its flip from "
                        + "\(invalidateFrom ?? "no version") changed" : ""))
                    if let failed = await step.run(from: invalidateFrom, owed: owed, to: nil, toVersion: to, dryRun: false) {
                        reporter.event("result", [("status", .string(failed == ExitStatus.interrupted ? "INTERRUPTED" : "INVALIDATION_FAILED")),
                                                  ("action", .string("unchanged")), ("version", .string(to)),
                                                  ("previous", from.map(JSONValue.string) ?? .null), ("routingChange", .null)])
                        throw ExitCode(failed)
                    }
                } else {
                    reporter.say("version \(to) is already live; nothing changed")
                }
            } else {
                reporter.say("live version is now \(to) (was \(from ?? "none")) on \(resolved.target.url)"
                    + (resolved.givenPointer.map { " through \($0)" } ?? ""))
                if let from, !Task.isCancelled {
                    // Only said, never a failure: the version is live.
                    routingChange = try? await deployer.routingChange(from: from, to: to)
                    if let routingChange {
                        reporter.say(DeployInvocation.routingWarning(routingChange, version: to, previous: from, pointer: resolved.pointer.url))
                    }
                }
                let intent = flipIntent.recorded.flatMap { $0.to == to ? $0 : nil }
                if Task.isCancelled {
                    // The signal came during the flip, which was completed; what it owes was
                    // recorded just before it.
                    let owed = intent?.record != nil ? true : await step.recordOwed(from: from, toVersion: to)
                    reporter.say(DeployInvocation.interruptedAfterFlip(version: to, target: resolved.target.url, distribution: resolved.distribution,
                                                                       owed: owed))
                    reporter.event("result", [("status", .string("INTERRUPTED")), ("action", .string("rollback")), ("version", .string(to)),
                                              ("previous", from.map(JSONValue.string) ?? .null)])
                    throw ExitCode(ExitStatus.interrupted)
                }
                // With what an earlier flip's invalidation that failed or was cut off still owes.
                let owed = intent != nil ? intent?.prior : await step.owedInvalidation()
                if let failed = await step.run(from: from, also: intent?.also ?? [], owed: owed, to: nil, toVersion: to, dryRun: false,
                                               intent: intent) {
                    reporter.event("result", [("status", .string(failed == ExitStatus.interrupted ? "INTERRUPTED" : "INVALIDATION_FAILED")),
                                              ("action", .string("rollback")), ("version", .string(to)),
                                              ("previous", from.map(JSONValue.string) ?? .null),
                                              ("routingChange", DeployInvocation.routingChangeJSON(routingChange))])
                    throw ExitCode(failed)
                }
            }
            reporter.event("result", [("status", .string("SUCCEEDED")), ("action", .string(from == to ? "unchanged" : "rollback")),
                                      ("version", .string(to)), ("previous", from.map(JSONValue.string) ?? .null),
                                      ("routingChange", DeployInvocation.routingChangeJSON(routingChange))])
        } catch let exit as ExitCode {
            throw exit
        } catch let conflict as PointerConflict {
            reporter.say("conflict: \(conflict)")
            reporter.event("result", conflict.resultFields)
            throw ExitCode(ExitStatus.conflict)
        } catch let error where Task.isCancelled && (error as? DeployError)?.liveChanged != true {
            reporter.say("rollback interrupted by \(Interruptible.signalName): nothing live changed")
            reporter.event("result", [("status", .string("INTERRUPTED")), ("message", .string("interrupted by \(Interruptible.signalName)"))])
            throw ExitCode(ExitStatus.interrupted)
        } catch {
            reporter.say("rollback failed: \(error)" + ((error as? DeployError)?.liveChanged == true ? "" : "; nothing live changed"))
            reporter.event("result", [("status", .string((error as? DeployError)?.resultStatus ?? "FAILED")), ("message", .string("\(error)"))])
            throw ExitCode(DeployInvocation.exitStatus(for: error))
        }
    }
}

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete old versions: keeps the live one, the previous one, the newest N, and anything live within the grace period.")

    @Option(help: "How many of the newest versions to keep besides live and previous. Default: 5 (or prune.keep).")
    var keep: Int?

    @Option(help: "Keep anything live or made within this long: 30m, 24h, 7d. Default: 24h (or prune.grace).")
    var grace: String?

    @Flag(help: "Print what would be deleted and delete nothing.")
    var dryRun = false

    @OptionGroup var target: TargetOptions

    func run() async throws {
        let command = self
        let status = await Interruptible.run { await Interruptible.status { try await command.prune() } }
        if status != 0 { throw ExitCode(status) }
    }

    /// Prunes; a signal (``Interruptible``) lets the version being deleted go whole (a deletion
    /// cut off half-way would leave its marker, which holds up rollbacks to it for an hour),
    /// then stops before the next.
    func prune() async throws {
        let reporter = Reporter(json: target.json)
        let resolved: TargetOptions.Resolved
        let graceSeconds: TimeInterval
        let keepCount: Int
        do {
            resolved = try target.resolve(configDirectory: FileManager.default.currentDirectoryPath).requiringTarget()
            let graceText = grace ?? resolved.config.pruneGrace ?? "24h"
            graceSeconds = try parseDuration(graceText, flag: grace != nil ? "--grace" : "prune.grace")
            keepCount = keep ?? resolved.config.pruneKeep ?? 5
            guard keepCount >= 0 else { throw UsageError("--keep \(keepCount): must be 0 or more") }
        } catch {
            reporter.fail("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        if let warning = resolved.mixedSourcesWarning { reporter.say(warning) }
        if let warning = resolved.containerTargetWarning("the prune deletes versions of") { reporter.say(warning) }
        var deleted: [String] = []
        do {
            let planned = Date()
            let live = try await resolved.pointer.read().version
            var deployer = Deployer(target: resolved.target, pointer: resolved.pointer)
            // A damaged release record or pointer head may name what must be kept: refused below.
            deployer.refusesDamagedRecords = true
            let previous = try await deployer.previousVersion(live: live)
            var versions: [(String, Date)] = []
            for stray in try await resolved.target.listStrayManifests() { reporter.say(VersionsCommand.strayWarning(stray)) }
            // A damaged manifest's version is left out of the plan: kept, and said. Only heads
            // are read: a manifest damaged past its head is found when its version is read whole.
            for (version, head) in try await VersionsCommand.readHeads(try await resolved.target.listVersions(), of: resolved.target,
                                                                        reporter: reporter) {
                guard let head else { continue }
                versions.append((version, head.createdAt.flatMap(ReleaseRecord.parseISOTime) ?? .distantPast))
            }
            // The records prune needs: the last one, and those within the grace period (their
            // names carry the time; a minute's slack for clocks). Older ones are not read.
            let names = try await resolved.target.listReleaseNames()
            let recent = Date().addingTimeInterval(-graceSeconds - 60)
            let needed = names.enumerated().filter { index, name in
                index == names.count - 1 || (ReleaseRecord.time(fromFileName: name).map { $0 >= recent } ?? true)
            }.map(\.element)
            let releases = try await resolved.target.readReleases(named: needed)
            // A deploy or rollback that flipped after the pointer was read (its record written
            // since) is no mismatch: the pointer, read again, then names it (kept: it was live
            // within the grace period).
            if let last = ReleaseRecord.latest(in: releases), last.to != live, last.moved(deployer.pointerNames) || live == nil,
               try await resolved.pointer.read().version != last.to {
                reporter.say("warning: the pointer \(resolved.pointer.url) says \(live.map { "\($0) is live" } ?? "no version is live"), "
                    + "but the last release on \(resolved.target.url) made \(last.to) live\(last.through): is this the pointer the deploys use "
                    + "(--pointer, sitebuild.yml)? Both are kept")
            }
            var others = try await resolved.otherPointers()
            // A pointer that cannot be read counts as serving what its head names. A head is
            // written before its flip, so one whose flip then lost the race names a version the
            // pointer never served, over the winner's: the pointer's newest release record
            // (written only after a flip that happened) is kept too.
            for index in others.indices where others[index].unreadable != nil {
                let name = others[index].pointer
                var newest: ReleaseRecord?
                for chunk in stride(from: names.count, to: 0, by: -25) where newest == nil {
                    let records = try await resolved.target.readReleases(named: Array(names[max(0, chunk - 25)..<chunk]))
                    newest = ReleaseRecord.latest(in: records.filter { $0.pointer == name })
                }
                if let newest {
                    let extra = [newest.to, newest.from].compactMap { $0 }.filter { $0 != others[index].live && !others[index].previous.contains($0) }
                    others[index].previous += extra
                }
            }
            for other in others where other.unreadable != nil {
                reporter.say("warning: the pointer \(other.pointer) (another pointer of this target) could not be read: \(other.unreadable!); "
                    + "what its last release made live is kept")
            }
            let incomplete = try await resolved.target.incompleteVersions()
            var plan = PrunePlan.make(versions: versions, releases: releases, live: live, previous: previous,
                                      keepCount: keepCount, grace: graceSeconds, incomplete: incomplete, otherPointers: others)
            // A version's folder that holds another target (a site deployed into it) or a
            // watcher's state: deleting it would delete that too.
            for version in plan.delete + plan.deleteIncomplete {
                guard let nested = try await resolved.target.nestedState(in: version) else { continue }
                plan.keep[version] = PrunePlan.keptForNestedState(nested)
                plan.delete.removeAll { $0 == version }
                plan.deleteIncomplete.removeAll { $0 == version }
            }
            for version in plan.keep.keys.sorted() { reporter.say("keep \(version): \(plan.keep[version]!)") }
            for version in plan.delete { reporter.say("\(dryRun ? "would delete" : "delete") \(version)") }
            for version in plan.deleteIncomplete {
                let why = incomplete.first { $0.version == version }?.modified == .distantPast ? "a deletion that did not finish" : "left by an interrupted deploy"
                reporter.say("\(dryRun ? "would delete" : "delete") \(version) (incomplete: \(why))")
            }
            if !dryRun {
                // The pointer (and the version's pending marker) are read again once each
                // deletion is marked: never delete what a rollback or deploy uses meanwhile.
                let known = ReleasesSincePlan(known: names, planned: planned)
                let target = resolved.target, pointer = resolved.pointer
                let doomed = plan.delete + plan.deleteIncomplete
                for (index, version) in doomed.enumerated() {
                    if Task.isCancelled {
                        let left = doomed.count - index
                        reporter.say("prune interrupted by \(Interruptible.signalName) after deleting \(deleted.count) version(s); "
                            + "the other \(left) are untouched: run prune again to delete them")
                        reporter.event("result", [("status", .string("INTERRUPTED")), ("deleted", .array(deleted.map(JSONValue.string)))])
                        throw ExitCode(ExitStatus.interrupted)
                    }
                    let reason = try await uncancelled {
                        try await target.prune(version, releasesKnown: known, isLive: { try await pointer.read().version == version })
                    }
                    if let reason {
                        reporter.say("keep \(version): \(reason)")
                        continue
                    }
                    deleted.append(version)
                }
            }
            if plan.delete.isEmpty && plan.deleteIncomplete.isEmpty { reporter.say("nothing to prune") }
            reporter.event("result", [("status", .string(dryRun ? "PLANNED" : "SUCCEEDED")),
                                      (dryRun ? "wouldDelete" : "deleted", .array((dryRun ? plan.delete + plan.deleteIncomplete : deleted).map(JSONValue.string))),
                                      ("kept", .object(plan.keep.keys.sorted().map { ($0, .string(plan.keep[$0]!)) }))])
        } catch let exit as ExitCode {
            throw exit
        } catch let damaged as DamagedRecords where !Task.isCancelled {
            // What it names is unknown, so what must be kept is: nothing (more) is deleted.
            let stopped = deleted.isEmpty ? "nothing was deleted" : "after deleting \(deleted.count) version(s)"
            let message = "\(damaged); prune cannot tell which versions it protects, so it stops (\(stopped)): prune again once it is fixed or deleted"
            reporter.say("prune failed: \(message)")
            reporter.event("result", [("status", .string("FAILED")), ("message", .string(message)),
                                      ("deleted", .array(deleted.map(JSONValue.string)))])
            throw ExitCode(ExitStatus.deployFailed)
        } catch _ where Task.isCancelled {
            reporter.say("prune interrupted by \(Interruptible.signalName) after deleting \(deleted.count) version(s); run prune again")
            reporter.event("result", [("status", .string("INTERRUPTED")), ("deleted", .array(deleted.map(JSONValue.string)))])
            throw ExitCode(ExitStatus.interrupted)
        } catch {
            reporter.say("prune failed: \(error)")
            reporter.event("result", [("status", .string("FAILED")), ("message", .string("\(error)")),
                                      ("deleted", .array(deleted.map(JSONValue.string)))])
            throw ExitCode(DeployInvocation.exitStatus(for: error))
        }
    }
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Preview the live version of a local target through the same router as the CloudFront Function.")

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): use 0 to 65535 (0 picks a free port)") }
    }

    @Option(help: "Address or name to listen on: 127.0.0.1 (default), localhost, ::1, 0.0.0.0 (every interface).")
    var host: String = "127.0.0.1"

    @OptionGroup var target: TargetOptions
    @OptionGroup var routing: RoutingOptions

    @Flag(help: "Log each request to stderr.")
    var verbose = false

    func run() throws {
        let resolved: TargetOptions.Resolved
        let router: Router
        let local: (target: LocalTarget, pointer: LocalPointerStore)
        do {
            resolved = try target.resolve(configDirectory: FileManager.default.currentDirectoryPath, localOnly: "serve").requiringTarget()
            router = try routing.router(resolved.config)
            guard let found = resolved.local else {
                throw UsageError("serve previews a local target with a file pointer; \(resolved.target.url) with the pointer \(resolved.pointer.url) is not one. "
                    + "Deploy the same build to a local target (sitebuild deploy DIR --target .sitebuild) and serve that")
            }
            local = found
        } catch {
            let reporter = Reporter(json: target.json)
            reporter.fail("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        // Ctrl-C, SIGTERM (a CI job or a container stopped) and SIGHUP end the preview with the
        // contract's 130, as every other command's interruption does. Watched before the server
        // starts and says where it is, so a signal sent once it is up is never missed.
        _ = SignalWatch { _ in _exit(ExitStatus.interrupted) }
        let site = PreviewSite(root: local.target.root, pointerPath: local.pointer.path, router: router)
        let verbose = self.verbose
        let server = PreviewServer(site: site, host: host, port: port, log: { line in if verbose { printError(line) } })
        do { try server.start() } catch {
            let reporter = Reporter(json: target.json)
            reporter.fail("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let live = site.liveVersion()
        // The function serves a version with the routing it was published with, which the
        // version's deploy said; serve routes with its own flags and settings: a live version
        // deployed with others would be previewed otherwise than it is served. Said, with the flags.
        if let live, let recorded = Self.recordedRouting(of: live, target: local.target, pointer: local.pointer) {
            let serving = SiteRouting(mode: router.mode.rawValue, trailingSlash: router.trailingSlash.rawValue)
            if recorded.differs(from: serving) {
                Reporter(json: target.json).say("warning: the live version \(live) was deployed with routing \(recorded), but serve routes "
                    + "with \(serving): serve it with --mode \(recorded.mode)" + (recorded.trailingSlash.map { " --trailing-slash \($0)" } ?? "")
                    + " (or set them in sitebuild.yml, which every command reads)")
            }
        }
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(server.port)/"
        if target.json {
            Reporter(json: true).event("serving", [("url", .string(url)), ("target", .string(resolved.target.url)),
                                                   ("live", live.map(JSONValue.string) ?? .null), ("mode", .string(router.mode.rawValue))])
        } else {
            let through = resolved.givenPointer.map { " through \($0)" } ?? ""
            let line = "Serving \(resolved.target.url)\(through) (live version: \(live ?? "none yet"), mode \(router.mode.rawValue)) at \(url) — Ctrl-C to stop\n"
            writeAll(1, Array(line.utf8))
        }
        server.run()
    }
}

extension ServeCommand {
    /// The routing `version` was made live with (``Deployer/recordedRouting(of:releaseNames:)``),
    /// for serve's synchronous start; nil when nothing says or it cannot be read.
    static func recordedRouting(of version: String, target: LocalTarget, pointer: LocalPointerStore) -> SiteRouting? {
        (try? AWSSecretSource.wait { try await Deployer(target: target, pointer: pointer).recordedRouting(of: version) }) ?? nil
    }
}

struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Hash a built directory and print the version id it would deploy as.")

    @Argument(help: "The built site directory.")
    var directory: String

    @OptionGroup var routing: RoutingOptions

    @Flag(help: "Ignore the stat cache (read every byte).")
    var noCache = false

    @Option(help: "Files hashed at once. Default: the number of cores.")
    var jobs: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Settings file, as deploy reads it. Default: sitebuild.yml in the current directory.")
    var config: String?

    @Option(help: "The target deploy would use, when it is a local directory inside DIR (left out, as deploy leaves it out). Default: SITEBUILD_TARGET, sitebuild.yml's target.")
    var target: String?

    @Option(help: "The pointer deploy would use, when it is a file inside DIR (left out, as deploy leaves it out). Default: SITEBUILD_POINTER, sitebuild.yml's pointer.")
    var pointer: String?

    func run() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let dir = absolutePath(directory, relativeTo: cwd)
        let env = ProcessInfo.processInfo.environment
        do {
            // An empty argument is an unset variable (`sitebuild hash "$OUT"`), not the current folder.
            guard !directory.isEmpty else { throw UsageError(DeployInvocation.emptyDirectoryMessage) }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError("\(dir): not a directory; give the built site's directory")
            }
            // The settings and target as deploy resolves them (offline), so that the ids agree.
            let resolved = try TargetOptions.offline(config: config, target: target, pointer: pointer).resolve(configDirectory: cwd)
            let config = resolved.config
            var hasher = TreeHasher()
            if let jobs {
                guard jobs >= 1 else { throw UsageError("--jobs \(jobs): give 1 or more") }
                hasher.concurrency = jobs
            }
            hasher.excluding = DeployInvocation.siteExclusions(configDirectory: cwd, configPath: resolved.configPath, environment: env,
                                                               localTarget: resolved.local?.target.root,
                                                               filePointer: (resolved.pointer as? LocalPointerStore)?.path, directory: dir)
            hasher.confinedTo = DeployInvocation.linkRoots(directory: dir, configDirectory: cwd)
            let cache = noCache ? StatCache() : StatCache(directory: BuildInvocation.cacheDirectory(env) + "/stat-cache", root: dir)
            let started = ContinuousClock.now
            let result = try hasher.hash(root: dir, cache: cache)
            if !noCache { cache.save() }
            let (manifest, warnings) = try routing.manifestBuilder(config).build(result.files)
            let elapsed = ContinuousClock.now - started
            let ms = elapsed.milliseconds
            for warning in warnings { printError("warning: \(warning)") }
            if json {
                let value = JSONValue.object([("version", .string(manifest.version)), ("files", .int(Int64(result.files.count))),
                                              ("objects", .int(Int64(manifest.entries.count))),
                                              ("bytes", .int(result.files.totalBytes)), ("hashedFiles", .int(Int64(result.hashedCount))),
                                              ("hashedBytes", .int(result.hashedBytes)), ("durationMs", .int(ms))])
                writeAll(1, Array((value.serialized() + "\n").utf8))
            } else {
                // A deploy counts the version's objects, routing aliases included: said when they differ.
                let aliases = manifest.entries.count - result.files.count
                let objects = aliases > 0 ? " (\(manifest.entries.count) objects with \(aliases) routing alias(es))" : ""
                writeAll(1, Array("\(manifest.version)  \(result.files.count) file\(result.files.count == 1 ? "" : "s")\(objects), \(humanBytes(result.files.totalBytes)), \(result.hashedCount) read, \(ms) ms\n".utf8))
            }
        } catch {
            // A usage error names its flag or the directory itself; anything else happened in `dir`.
            printError(error is UsageError ? "\(error)" : "\(dir): \(error)")
            if json {
                let failed = JSONValue.object([("status", .string("FAILED")), ("message", .string("\(error)"))])
                writeAll(1, Array((failed.serialized() + "\n").utf8))
            }
            // The tree or the flags (exit 2), or this machine failing to read it (out of open
            // files, an I/O error: 3), as deploy tells them apart.
            let input = error is UsageError || error is PathValidation.Failure
            throw ExitCode(input ? ExitStatus.invalidInput : DeployInvocation.exitStatus(for: error))
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
