import AWSServices
import Deploy
import Foundation
import SiteContent
import Synchronization

/// What to invalidate after a flip, and doing it. With a KeyValueStore pointer the
/// viewer-request function routes each version under its own prefix, so a flip gives every
/// URL new cache keys and `auto` invalidates nothing; with any other pointer (the
/// distribution cannot read it, so it serves fixed paths) `auto` invalidates the URLs of the
/// files that changed between the two versions.
struct InvalidationStep {
    var resolved: TargetOptions.Resolved
    var options: InvalidationOptions
    var routing: RoutingMode
    var reporter: Reporter
    /// How to send it again by rerunning, for the failure messages (a deploy's; a bare rollback
    /// would roll back further). Left owed, the next deploy or rerun sends it.
    var rerun = "the next deploy (or this one run again) sends it; or run "

    /// Whether a flip sends an invalidation at all with these settings: a distribution, and not
    /// `never`, nor `auto` through a KeyValueStore pointer (new cache keys).
    var sendsInvalidations: Bool {
        guard resolved.distribution != nil, let mode = try? options.mode(resolved.config), mode != .never else { return false }
        return mode == .always || !(resolved.pointer is KeyValueStorePointerStore)
    }

    /// How release records and owed invalidations name the pointer.
    var pointerIdentity: String { resolved.target.name(of: resolved.pointer) }

    /// The invalidation an earlier flip through this pointer still owes the distribution (it
    /// failed, or the run was interrupted): one small read, made only when this run would
    /// invalidate. When it cannot be read it is said and taken as none; when it is damaged it is
    /// said and owes every file.
    func owedInvalidation() async -> OwedInvalidation? {
        guard sendsInvalidations, let distribution = resolved.distribution else { return nil }
        do {
            let owed = try await resolved.target.readOwedInvalidation(pointer: pointerIdentity, distribution: distribution)
            if let location = owed?.damaged {
                reporter.say("warning: the record of an invalidation an earlier flip still owes \(distribution), \(ExtractionError.escaped(Array(location.utf8))), "
                    + "is damaged (not one sitebuild can read): what it owed is unknown, so every file (/*) is invalidated; the record "
                    + "is removed once that is sent")
            }
            return owed
        } catch {
            reporter.say("warning: cannot read whether an earlier flip still owes \(distribution) an invalidation "
                + "(\(resolved.target.url)/_sitebuild/invalidations/): \(error)")
            return nil
        }
    }

    /// Records that the flip from `old` to `toVersion` owes its invalidation (a signal ended the
    /// run during the flip, before any was sent), with what was owed before; the next deploy
    /// or rerun sends it. Not cut off by the signal; true when recorded.
    func recordOwed(from old: String?, toVersion: String) async -> Bool {
        guard sendsInvalidations, let distribution = resolved.distribution else { return false }
        let step = self
        return await uncancelled {
            let owed = await step.owedInvalidation()
            let record = OwedInvalidation(pointer: step.pointerIdentity, distribution: distribution, live: toVersion,
                                          stale: Self.staleVersions(old: old, owed: owed, toVersion: toVersion))
            return (try? await step.resolved.target.writeOwedInvalidation(record)) != nil
        }
    }

    /// What a flip owes its distribution, recorded just before its pointer moves
    /// (``Deployer/willFlip``): a run killed (kill -9, a lost runner) between the flip and its
    /// invalidation leaves it owed, and the next deploy or rollback through this pointer (a rerun
    /// of what is now live too) sends it. The record is the one the invalidation itself keeps
    /// until CloudFront took it, written before the flip instead of after it: no request more.
    /// A flip that was not made puts back what was owed before, unless another flip's record
    /// replaced this one meanwhile.
    final class FlipIntent: Sendable {
        struct Recorded: Sendable {
            /// The versions of the stopped flips the flip finished.
            var also: [String]
            var to: String
            /// What an earlier flip still owed, read before the record replaced it.
            var prior: OwedInvalidation?
            /// The record written; nil when it could not be (said then, and not tried again).
            var record: OwedInvalidation?
        }

        let step: InvalidationStep
        private let last = Mutex<Recorded?>(nil)

        init(step: InvalidationStep) { self.step = step }

        /// The last flip's record, once one was made with invalidations to send.
        var recorded: Recorded? { last.withLock { $0 } }

        /// ``Deployer/willFlip``: nothing when this run sends no invalidation.
        func hook() -> (@Sendable (String?, [String], String) async -> (@Sendable () async -> Void)?)? {
            guard step.sendsInvalidations else { return nil }
            return { from, also, to in await self.record(from: from, also: also, to: to) }
        }

        private func record(from: String?, also: [String], to: String) async -> (@Sendable () async -> Void)? {
            guard let distribution = step.resolved.distribution else { return nil }
            let prior = await step.owedInvalidation()
            let record = OwedInvalidation(pointer: step.pointerIdentity, distribution: distribution, live: to,
                                          stale: InvalidationStep.staleVersions(old: from, also: also, owed: prior, toVersion: to))
            var written: OwedInvalidation? = record
            do {
                try await step.resolved.target.writeOwedInvalidation(record)
            } catch {
                written = nil
                step.reporter.say("warning: cannot record on \(step.resolved.target.url) that \(distribution) is owed this flip's "
                    + "invalidation (should it fail, the next deploy would not know to send it): \(error)")
            }
            last.withLock { $0 = Recorded(also: also, to: to, prior: prior, record: written) }
            let step = self.step
            return { [written] in
                self.last.withLock { $0 = nil }
                if let written { await step.replaceOwed(written, with: prior) }
            }
        }
    }

    /// Says that `owed` is invalidated too.
    func sayOwed(_ owed: OwedInvalidation, dryRun: Bool) {
        if owed.damaged != nil {
            reporter.say("invalidation: an earlier flip's invalidation on \(owed.distribution) was never sent (its record is damaged): "
                + "\(dryRun ? "would invalidate" : "invalidating") everything too")
            return
        }
        let since = owed.stale.map { $0.isEmpty ? owed.live : ($0 + [owed.live]).joined(separator: ", ") } ?? "everything"
        reporter.say("invalidation: the flip to \(owed.live) (\(ReleaseRecord.isoTime(owed.at))) was never invalidated on "
            + "\(owed.distribution) (its invalidation failed or was interrupted): \(dryRun ? "would invalidate" : "invalidating") "
            + (owed.stale == nil ? "everything" : "what changed since \(since)") + " too")
    }

    /// The versions whose files the distribution may serve from its cache once `toVersion` is
    /// live: `old` (the version the flip replaced) and what `owed` names; nil when not known.
    static func staleVersions(old: String?, also: [String] = [], owed: OwedInvalidation?, toVersion: String) -> [String]? {
        var seen: Set<String> = [toVersion]
        guard let owed else { return old.map { ([$0] + also).filter { seen.insert($0).inserted } } }
        guard let more = owed.staleVersions(once: toVersion) else { return nil }
        return ((old.map { [$0] } ?? []) + also + more).filter { seen.insert($0).inserted }
    }

    /// The plan for flipping from the `stale` versions (nil: not known) to `new`, or nil with
    /// the reason when nothing is sent.
    func plan(from stale: [String]?, to new: Manifest?, toVersion: String) async throws -> (InvalidationPlan?, String) {
        guard let distribution = resolved.distribution else { return (nil, "no CloudFront distribution configured (--distribution)") }
        let mode = try options.mode(resolved.config)
        if mode == .never { return (nil, "--invalidate never") }
        if mode == .auto && resolved.pointer is KeyValueStorePointerStore {
            return (nil, "the pointer is a KeyValueStore: a distribution routing through it (\(distribution)) serves \(toVersion) under new "
                + "cache keys, nothing is stale (--invalidate always to invalidate anyway)")
        }
        let everything = InvalidationPlan(paths: ["/*"], reason: "no earlier version to compare with: everything may be cached")
        guard let stale else { return (everything, "") }
        guard !stale.isEmpty else { return (nil, "no file changed: nothing to invalidate") }
        let read = new == nil ? try await resolved.target.readManifest(toVersion) : nil
        // A version without a manifest (another tool's upload, made live by a rollback) cannot
        // be compared with: every path may differ.
        guard let newManifest = new ?? read else {
            return (InvalidationPlan(paths: ["/*"], reason: "\(toVersion) has no manifest to compare with: everything may be cached"), "")
        }
        // The routing the versions were served with: a rollback run without --mode must still
        // plan an spa's index.html as every route. Each version's is what the newest release
        // record of a deploy that made it live says, else what its manifest records, the mode
        // of its first deploy (a site without folder pages has one id in both modes). When in
        // doubt, spa.
        let deployer = Deployer(target: resolved.target, pointer: resolved.pointer)
        let names = (try? await resolved.target.listReleaseNames()) ?? []
        var routings: [String: SiteRouting] = [:]
        for version in stale + [toVersion] {
            if let recorded = try? await deployer.recordedRouting(of: version, releaseNames: names) { routings[version] = recorded }
        }
        // Another mode or trailing-slash setting answers the same URL otherwise (`/docs` is the
        // docs page in static mode, the app's index.html in spa mode; a 200 becomes a redirect)
        // whether or not the files changed: everything may be cached wrong.
        if let now = routings[toVersion], let old = stale.first(where: { routings[$0]?.differs(from: now) == true }), let before = routings[old] {
            return (InvalidationPlan(paths: ["/*"], reason: "\(toVersion) is served with routing \(now), \(old) was with \(before): any URL may "
                + "be answered otherwise, invalidating everything (/*)"), "")
        }
        let recorded = newManifest.metadata.first { $0.0 == "routing" }.flatMap { RoutingMode(rawValue: $0.1) }
        let spa = ([recorded, routing] + routings.values.map { RoutingMode(rawValue: $0.mode) }).contains(.spa)
        let planner = InvalidationPlanner(mode: spa ? .spa : .static)
        // Each earlier version's manifest is streamed against the new one, never held; what
        // changed from any of them may be cached.
        var changed: Set<String> = []
        for old in stale {
            let compared: (keys: [String], pathCount: Int)?
            do {
                compared = try await resolved.target.changes(from: old, to: newManifest)
            } catch let damaged as DamagedManifest {
                return (InvalidationPlan(paths: ["/*"], reason: "\(damaged): everything may be cached"), "")
            }
            guard let (keys, pathCount) = compared else { return (everything, "") }
            if stale.count == 1 {
                let plan = planner.plan(changed: keys, siteKeyCount: pathCount)
                return plan.isEmpty ? (nil, plan.reason) : (plan, "")
            }
            if pathCount > 0 && keys.count == pathCount { return (planner.plan(changed: keys, siteKeyCount: pathCount), "") }
            changed.formUnion(keys)
        }
        let plan = planner.plan(changed: changed, siteKeyCount: 0)
        return plan.isEmpty ? (nil, plan.reason) : (plan, "")
    }

    /// Prints the plan (dry run) or submits it and, with `--wait`, waits for it. Returns an
    /// exit status when the invalidation failed. `owed`: what an earlier flip's invalidation
    /// that was never sent owes (``owedInvalidation()``), invalidated too. Before it is sent
    /// the invalidation is recorded as owed, and the record removed once CloudFront accepted
    /// it: a failure or an interruption in between leaves it for the next run.
    /// `also`: versions the distribution may still serve besides `old` (the one before a flip
    /// whose run was killed before it invalidated: ``DeployOutcome/finishedFlip``).
    /// `intent`: what the flip recorded as owed before it moved the pointer (``FlipIntent``), not
    /// written again.
    func run(from old: String?, also: [String] = [], owed: OwedInvalidation? = nil, to new: Manifest?, toVersion: String,
             dryRun: Bool, intent: FlipIntent.Recorded? = nil) async -> Int32? {
        var submittedIds: [String] = []
        // Set once the invalidation's request may have left: a signal while its answer is
        // awaited cannot tell whether CloudFront took it.
        var submitting = false
        do {
            if let owed { sayOwed(owed, dryRun: dryRun) }
            let stale = Self.staleVersions(old: old, also: also, owed: owed, toVersion: toVersion)
            let (plan, reason) = try await plan(from: stale, to: new, toVersion: toVersion)
            guard let plan, let distribution = resolved.distribution else {
                // Nothing the distribution may have cached differs from the live version: nothing is owed.
                if let owed, !dryRun { await removeOwed(owed) }
                if resolved.distribution != nil {
                    reporter.say("invalidation: none (\(reason))")
                } else if (try? options.mode(resolved.config)) == .always {
                    reporter.say("warning: invalidate is 'always' but no distribution is configured (--distribution, "
                        + "SITEBUILD_DISTRIBUTION, sitebuild.yml's distribution): nothing was invalidated")
                }
                reporter.event("invalidation", [("status", .string("NONE")), ("reason", .string(reason))])
                return nil
            }
            let sample = plan.paths.prefix(10).joined(separator: " ") + (plan.paths.count > 10 ? " … (\(plan.paths.count) paths)" : "")
            if dryRun {
                reporter.say("dry run: would invalidate \(plan.paths.count) path(s) on \(distribution) (\(plan.reason)): \(sample)")
                reporter.event("invalidation", [("status", .string("PLANNED")), ("paths", .array(plan.paths.map(JSONValue.string))),
                                                ("reason", .string(plan.reason))])
                return nil
            }
            // A flip through a pointer given apart from the distribution (a preview's --pointer,
            // production's distribution from sitebuild.yml or a CI variable) invalidates that
            // distribution, which may serve another pointer.
            if let pointerSource = resolved.pointerSource, let distributionSource = resolved.distributionSource,
               TargetOptions.settingPlace(pointerSource) != TargetOptions.settingPlace(distributionSource) {
                reporter.say("note: invalidating \(distribution) (from \(distributionSource)) after a flip through \(resolved.pointer.url) "
                    + "(from \(pointerSource)); if that distribution serves another pointer (production), pass --invalidate never for this one")
            }
            let reporter = self.reporter
            let invalidator = Invalidator(service: CloudFrontInvalidations(client: try resolved.aws.cloudFrontForInvalidations(), distributionId: distribution)) { event in
                switch event {
                case .throttled(let attempt, let delay):
                    reporter.say("invalidation: CloudFront is busy (too many invalidations in progress); attempt \(attempt) in \(delay.seconds.rounded()) s")
                case .waitingForRoom(let paths, let wildcards):
                    reporter.say("invalidation: waiting for earlier invalidations (\(paths) paths, \(wildcards) wildcards in progress)")
                case .polled(let completed, let total):
                    reporter.say("invalidation: \(completed) of \(total) complete")
                case .submitted:
                    break
                }
            }
            let flip = ReleaseRecord.isoTime(Date())
            var record = OwedInvalidation(pointer: pointerIdentity, distribution: distribution, live: toVersion, stale: stale)
            if let intent, intent.to == toVersion, intent.record.map({ $0.stale == stale && $0.distribution == distribution }) ?? true {
                // Recorded before the flip (or said to have failed then).
                if let recorded = intent.record { record = recorded }
            } else {
                do {
                    try await resolved.target.writeOwedInvalidation(record)
                } catch {
                    reporter.say("warning: cannot record on \(resolved.target.url) that \(distribution) is owed this invalidation "
                        + "(should it fail, the next deploy would not know to send it): \(error)")
                }
            }
            // Under --wait, --wait-timeout bounds the whole invalidation: its submission too
            // (retries while CloudFront is busy), then the wait for what remains of it.
            let limit = options.wait ? try options.timeout() : nil
            let started = ContinuousClock.now
            submitting = true
            let submitted = try await invalidator.submit(plan, version: toVersion, flip: flip, within: limit)
            let ids = submitted.map(\.id)
            submittedIds = ids
            await removeOwed(record)
            reporter.say("invalidation \(ids.joined(separator: ", ")) of \(plan.paths.count) path(s) on \(distribution) (\(plan.reason)): \(sample)")
            reporter.event("invalidation", [("status", .string("SUBMITTED")), ("ids", .array(ids.map(JSONValue.string))),
                                            ("paths", .array(plan.paths.map(JSONValue.string))), ("reason", .string(plan.reason))])
            if options.wait {
                let left = (limit ?? .zero) - (ContinuousClock.now - started)
                try await invalidator.wait(for: submitted, timeout: max(left, .milliseconds(1)), total: limit)
                reporter.say("invalidation complete")
                reporter.event("invalidation", [("status", .string("COMPLETED")), ("ids", .array(ids.map(JSONValue.string)))])
            }
            return nil
        } catch let error as UsageError {
            reporter.say("\(error)")
            return ExitStatus.invalidInput
        } catch _ where Task.isCancelled {
            let ids = submittedIds
            reporter.say("\(toVersion) is live; interrupted by \(Interruptible.signalName) during its CloudFront invalidation ("
                + (!ids.isEmpty ? "\(ids.joined(separator: ", ")) was sent and goes on; only the wait stopped"
                    : submitting ? "none was confirmed: CloudFront may have taken the one sent as the signal came"
                    : "none was sent")
                + (ids.isEmpty ? "): until it is invalidated, viewers may get cached files of the version before: \(rerun)"
                    + "aws cloudfront create-invalidation --distribution-id "
                    + "\(resolved.distribution ?? "") --paths '/*'" : ")"))
            // Ids sent name what goes on, as for WAIT_FAILED and SUBMITTED.
            reporter.event("invalidation", [("status", .string("INTERRUPTED"))]
                + (ids.isEmpty ? [] : [("ids", .array(ids.map(JSONValue.string)))]))
            return ExitStatus.interrupted
        } catch {
            if !submittedIds.isEmpty {
                // Sent: only the wait for it failed.
                reporter.say("\(toVersion) is live and invalidation \(submittedIds.joined(separator: ", ")) was sent, but waiting for it "
                    + "failed: \(error). It goes on without the wait: aws cloudfront get-invalidation --distribution-id "
                    + "\(resolved.distribution ?? "") --id \(submittedIds[0])")
                reporter.event("invalidation", [("status", .string("WAIT_FAILED")), ("ids", .array(submittedIds.map(JSONValue.string))),
                                                ("message", .string("\(error)"))])
                return ExitStatus.deployFailed
            }
            reporter.say("\(toVersion) is live, but the CloudFront invalidation failed: \(error). Until it is invalidated, viewers may get "
                + "cached files of the version before: \(rerun)aws cloudfront "
                + "create-invalidation --distribution-id \(resolved.distribution ?? "") --paths '/*'")
            reporter.event("invalidation", [("status", .string("FAILED")), ("message", .string("\(error)"))])
            return ExitStatus.deployFailed
        }
    }

    /// Removes `record`, what this pointer owed its distribution, once it is paid; a failure is
    /// said (the next run then invalidates those paths once more), never thrown. Only while the
    /// record there is still `record`: another deploy through the pointer may have written its
    /// own since (its flip came later, and its invalidation may yet fail), which stays.
    private func removeOwed(_ record: OwedInvalidation) async {
        do {
            try await replacingOwed(record, with: nil)
        } catch {
            reporter.say("warning: the invalidation was sent, but its record as owed could not be removed from \(resolved.target.url) "
                + "(the next deploy sends it again): \(error)")
        }
    }

    /// Puts `prior` back in place of `record`, written before a flip that was not made
    /// (``FlipIntent``); a failure is said: the next run then invalidates more than it needs to.
    func replaceOwed(_ record: OwedInvalidation, with prior: OwedInvalidation?) async {
        do {
            try await replacingOwed(record, with: prior)
        } catch {
            reporter.say("warning: the flip was not made, but the invalidation it would have owed stays recorded on "
                + "\(resolved.target.url) (the next deploy invalidates those paths too): \(error)")
        }
    }

    /// Replaces `record` by `replacement` (removes it when nil), only while the record there is
    /// still `record`: another flip through the pointer may have written its own since (its
    /// flip came later, and its invalidation may yet fail), which stays. Not cut off by a signal.
    private func replacingOwed(_ record: OwedInvalidation, with replacement: OwedInvalidation?) async throws {
        let target = resolved.target, pointer = pointerIdentity
        try await uncancelled {
            guard let current = try await target.readOwedInvalidation(pointer: pointer, distribution: record.distribution),
                  current.live == record.live, ReleaseRecord.isoTime(current.at) == ReleaseRecord.isoTime(record.at) else { return }
            if let replacement {
                try await target.writeOwedInvalidation(replacement)
            } else {
                try await target.removeOwedInvalidation(pointer: pointer, distribution: record.distribution)
            }
        }
    }
}
