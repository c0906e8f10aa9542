import AWSServices
import Deploy
import Foundation
import SiteContent

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
    /// How to send it again by rerunning, for the failure messages (a deploy's; a rollback's
    /// rerun would roll back further).
    var rerun = "run the same deploy again with --invalidate always, or "

    /// The plan for flipping from `old` to `new`, or nil with the reason when nothing is sent.
    func plan(from old: String?, to new: Manifest?, toVersion: String) async throws -> (InvalidationPlan?, String) {
        guard let distribution = resolved.distribution else { return (nil, "no CloudFront distribution configured (--distribution)") }
        let mode = try options.mode(resolved.config)
        if mode == .never { return (nil, "--invalidate never") }
        if mode == .auto && resolved.pointer is KeyValueStorePointerStore {
            return (nil, "the pointer is a KeyValueStore: \(distribution) serves \(toVersion) under new cache keys, nothing is stale (--invalidate always to invalidate anyway)")
        }
        let everything = InvalidationPlan(paths: ["/*"], reason: "no earlier version to compare with: everything may be cached")
        guard let old else { return (everything, "") }
        let read = new == nil ? try await resolved.target.readManifest(toVersion) : nil
        // A version without a manifest (another tool's upload, made live by a rollback) cannot
        // be compared with: every path may differ.
        guard let newManifest = new ?? read else {
            return (InvalidationPlan(paths: ["/*"], reason: "\(toVersion) has no manifest to compare with: everything may be cached"), "")
        }
        // The routing the versions were served with: a rollback run without --mode must still
        // plan an spa's index.html as every route. The new version's manifest records the mode
        // of its first deploy, and the release record that made the old one live, the mode of
        // that flip (a site without folder pages has one id in both modes). When in doubt, spa.
        let recorded = newManifest.metadata.first { $0.0 == "routing" }.flatMap { RoutingMode(rawValue: $0.1) }
        let flips = (try? await Deployer(target: resolved.target, pointer: resolved.pointer).routings(of: [old, toVersion])) ?? []
        let spa = ([recorded, routing] + flips).contains(.spa)
        let planner = InvalidationPlanner(mode: spa ? .spa : .static)
        // The earlier version's manifest is streamed against the new one, never held.
        let compared: (keys: [String], pathCount: Int)?
        do {
            compared = try await resolved.target.changes(from: old, to: newManifest)
        } catch let damaged as DamagedManifest {
            return (InvalidationPlan(paths: ["/*"], reason: "\(damaged): everything may be cached"), "")
        }
        guard let (changed, pathCount) = compared else { return (everything, "") }
        let plan = planner.plan(changed: changed, siteKeyCount: pathCount)
        return plan.isEmpty ? (nil, plan.reason) : (plan, "")
    }

    /// Prints the plan (dry run) or submits it and, with `--wait`, waits for it. Returns an
    /// exit status when the invalidation failed.
    func run(from old: String?, to new: Manifest?, toVersion: String, dryRun: Bool) async -> Int32? {
        var submittedIds: [String] = []
        do {
            let (plan, reason) = try await plan(from: old, to: new, toVersion: toVersion)
            guard let plan, let distribution = resolved.distribution else {
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
            let invalidator = Invalidator(service: CloudFrontInvalidations(client: resolved.aws.cloudFront(), distributionId: distribution)) { event in
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
            // Under --wait, --wait-timeout bounds the whole invalidation: its submission too
            // (retries while CloudFront is busy), then the wait for what remains of it.
            let limit = options.wait ? try options.timeout() : nil
            let started = ContinuousClock.now
            let submitted = try await invalidator.submit(plan, version: toVersion, flip: flip, within: limit)
            let ids = submitted.map(\.id)
            submittedIds = ids
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
                + (ids.isEmpty ? "none was sent" : "\(ids.joined(separator: ", ")) was sent and goes on; only the wait stopped")
                + (ids.isEmpty ? "): until it is invalidated, viewers may get cached files of the version before: \(rerun)"
                    + "aws cloudfront create-invalidation --distribution-id "
                    + "\(resolved.distribution ?? "") --paths '/*'" : ")"))
            reporter.event("invalidation", [("status", .string("INTERRUPTED"))])
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
}
