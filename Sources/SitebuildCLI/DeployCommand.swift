import ArgumentParser
import AWSCore
import AWSServices
import BuildRunner
import BuildSpec
import Deploy
import Foundation
import Preview
import SiteContent

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy an already built directory as a new immutable version and make it live.")

    @Argument(help: "The built site directory.")
    var directory: String

    @OptionGroup var target: TargetOptions
    @OptionGroup var routing: RoutingOptions
    @OptionGroup(title: "Invalidation") var invalidation: InvalidationOptions

    @Option(help: "The version id: content (the content hash, default), commit (git HEAD of the current directory), or a literal id.")
    var versionId: String = "content"

    @Flag(help: "Print what would be uploaded and flipped, and change nothing.")
    var dryRun = false

    @Flag(help: "When the directory is already live, also list the live version's objects and put back any that are missing (deleted by a lifecycle rule or by hand).")
    var repair = false

    @Flag(help: "Flip the pointer even when the version it names was never this target's (the pointer served another site).")
    var takeOverPointer = false

    func run() async throws {
        let cwd = FileManager.default.currentDirectoryPath
        // An empty argument is an unset variable (`sitebuild deploy "$OUT"`): deploying the
        // current folder instead would publish the whole project, its .env included.
        if directory.isEmpty {
            let reporter = Reporter(json: target.json)
            reporter.fail(DeployInvocation.emptyDirectoryMessage)
            throw ExitCode(ExitStatus.invalidInput)
        }
        let status = await DeployInvocation.run(directory: absolutePath(directory, relativeTo: cwd), target: target, routing: routing,
                                                invalidation: invalidation, versionId: versionId, dryRun: dryRun, repair: repair,
                                                takeOverPointer: takeOverPointer, configDirectory: cwd, sourceDirectory: cwd,
                                                shownDirectory: directory)
        if status != 0 { throw ExitCode(status) }
    }
}

enum DeployInvocation {
    static let emptyDirectoryMessage = "the directory argument is empty (an unset variable?): give the built site's directory, such as dist"

    /// What a deployed directory may contain that is not the site: sitebuild's state directory
    /// (`.sitebuild`: the default local target, build outputs), the local target, the cache
    /// directory and the settings file. `hash` leaves out the same, so the version ids agree.
    /// A copy of the settings file at the top of `directory` (a build whose artifact takes
    /// `**/*` from the project copies it there) is the settings file too, and is left out.
    static func siteExclusions(configDirectory: String, configPath: String, environment: [String: String],
                               localTarget: String? = nil, filePointer: String? = nil, directory: String? = nil) -> [String] {
        var excluded = [configDirectory + "/.sitebuild", configPath, BuildInvocation.cacheDirectory(environment)] + (localTarget.map { [$0] } ?? [])
            + BuildInvocation.ownOutputFiles()
        // A file pointer (and its lock) inside the deployed folder: published, it would also
        // make every deploy a new version (the pointer changes with each flip).
        if let filePointer { excluded += [filePointer, filePointer + ".lock"] }
        if let directory, isCopyOfSettings(directory + "/sitebuild.yml", configPath: configPath) { excluded.append(directory + "/sitebuild.yml") }
        return excluded
    }

    /// Whether `file` holds the same bytes as the settings file read (and is not a link).
    static func isCopyOfSettings(_ file: String, configPath: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let copy = FileManager.default.contents(atPath: file), let read = FileManager.default.contents(atPath: configPath) else { return false }
        return copy == read
    }

    /// Where links in a deployed directory may lead: the directory itself and the project (the
    /// directory settings come from), when that is a project. `hash` uses the same, so the
    /// version ids agree. Run from `/` (cron, systemd), `/tmp` or the home folder, the current
    /// directory is no project: a link to `~/.aws/credentials` or `/etc/passwd` would be published.
    static func linkRoots(directory: String, configDirectory: String) -> [String] {
        let project = FileWalker.realPath(configDirectory)
        return [FileWalker.realPath(directory)] + (isProject(project) ? [project] : [])
    }

    /// Files that make a folder a project (a checkout, a package, sitebuild's own settings).
    static let projectMarkers = [".git", "sitebuild.yml", "buildspec.yml", "buildspec.yaml", "package.json"]

    /// Whether `path` is a project folder: not `/`, and holding a ``projectMarkers`` file. The
    /// home folder is one only with a marker (a CI job's `HOME=$WORKSPACE` checkout), never as
    /// such; `/tmp` and `/home` have none.
    static func isProject(_ path: String) -> Bool {
        path != "/" && projectMarkers.contains { FileManager.default.fileExists(atPath: path + "/" + $0) }
    }

    /// A warning when `directory` holds a `sitebuild.yml` that is not the settings file read:
    /// it would be deployed as a site file and its settings ignored.
    static func misplacedSettingsNote(directory: String, configPath: String) -> String? {
        let inside = directory + "/sitebuild.yml"
        guard FileManager.default.fileExists(atPath: inside),
              FileWalker.identities(of: [inside]) != FileWalker.identities(of: [configPath]),
              !isCopyOfSettings(inside, configPath: configPath) else { return nil }
        let read = FileManager.default.fileExists(atPath: configPath) ? "sitebuild reads \(configPath)"
            : "no settings file was read (there is no \(configPath))"
        return "warning: \(inside) is deployed as a site file and its settings are not read; \(read) "
            + "(--config, else the source's or the current directory's sitebuild.yml): pass --config \(inside) to use it"
    }

    /// The deploy's settings from flags, the environment and the settings file, checked. `run`
    /// calls it before the build too, so a bad setting stops it before any phase runs.
    /// `given`: `run`'s setting variables from --env, --env-file and the buildspec.
    static func settings(target: TargetOptions, routing: RoutingOptions, invalidation: InvalidationOptions,
                         configDirectory: String, relativeBase: String? = nil,
                         given: [String: TargetOptions.GivenVariable] = [:]) throws -> (resolved: TargetOptions.Resolved, mode: RoutingMode, builder: ManifestBuilder) {
        let resolved = try target.resolve(configDirectory: configDirectory, relativeBase: relativeBase, given: given)
        let mode = try routing.routingMode(resolved.config)
        let builder = try routing.manifestBuilder(resolved.config)
        _ = try invalidation.mode(resolved.config)
        _ = try invalidation.timeout()
        return (resolved, mode, builder)
    }

    /// Deploys `directory`; a signal interrupts it cleanly (``Interruptible``): up to the flip
    /// nothing live changes and what the deploy holds is released, a flip under way completes,
    /// and the exit status is 130. `containerTargetWarned`: `run` said the settings'
    /// ``TargetOptions/Resolved/containerTargetWarning(_:)`` before its build.
    static func run(directory: String, target: TargetOptions, routing: RoutingOptions, invalidation: InvalidationOptions,
                    versionId: String, dryRun: Bool, repair: Bool = false, takeOverPointer: Bool = false,
                    configDirectory: String, relativeBase: String? = nil, sourceDirectory: String,
                    source: ResolvedSource? = nil, resultFields: [(String, JSONValue)] = [], shownDirectory: String? = nil,
                    given: [String: TargetOptions.GivenVariable] = [:], containerTargetWarned: Bool = false) async -> Int32 {
        await Interruptible.run {
            await perform(directory: directory, target: target, routing: routing, invalidation: invalidation, versionId: versionId,
                          dryRun: dryRun, repair: repair, takeOverPointer: takeOverPointer, configDirectory: configDirectory, relativeBase: relativeBase, sourceDirectory: sourceDirectory,
                          source: source, resultFields: resultFields, shownDirectory: shownDirectory, given: given,
                          containerTargetWarned: containerTargetWarned)
        }
    }

    private static func perform(directory: String, target: TargetOptions, routing: RoutingOptions, invalidation: InvalidationOptions,
                                versionId: String, dryRun: Bool, repair: Bool, takeOverPointer: Bool,
                                configDirectory: String, relativeBase: String?, sourceDirectory: String,
                                source: ResolvedSource?, resultFields: [(String, JSONValue)], shownDirectory: String?,
                                given: [String: TargetOptions.GivenVariable], containerTargetWarned: Bool) async -> Int32 {
        let reporter = Reporter(json: target.json, resultFields: resultFields)
        let deployer: Deployer
        let version: String?
        let resolved: TargetOptions.Resolved
        let mode: RoutingMode
        let flipIntent: InvalidationStep.FlipIntent
        do {
            let builder: ManifestBuilder
            (resolved, mode, builder) = try settings(target: target, routing: routing, invalidation: invalidation,
                                                     configDirectory: configDirectory, relativeBase: relativeBase, given: given)
            version = try resolveVersionId(versionId, sourceDirectory: sourceDirectory, source: source)
            Reporter.keepVisible([version, resolved.target.url, resolved.pointer.url])
            var made = Deployer(target: resolved.target, pointer: resolved.pointer,
                                builder: builder,
                                statCacheDirectory: BuildInvocation.cacheDirectory(resolved.environment) + "/stat-cache",
                                log: { message in reporter.say(message) })
            made.excluding = siteExclusions(configDirectory: configDirectory, configPath: resolved.configPath,
                                            environment: resolved.environment, localTarget: resolved.local?.target.root,
                                            filePointer: (resolved.pointer as? LocalPointerStore)?.path, directory: directory)
            made.confinedTo = linkRoots(directory: directory, configDirectory: configDirectory)
            made.repairLive = repair
            made.takeOverPointer = takeOverPointer
            made.trailingSlash = try routing.trailing(resolved.config).rawValue
            if let distribution = resolved.distribution { made.adviceFlags = ["--distribution", distribution] }
            flipIntent = InvalidationStep.FlipIntent(step: InvalidationStep(resolved: resolved, options: invalidation, routing: mode, reporter: reporter))
            made.willFlip = flipIntent.hook()
            if let guardInfo = WatchGuard(environment: resolved.environment) {
                let context = resolved.aws
                made.beforeFlip = { version in try await guardInfo.check(context: context, version: version) }
                made.flipAgainWhenOvertaken = { _ in try await guardInfo.noLaterClaim(context: context) }
            }
            deployer = made
            if let problem = localPlaceProblem(resolved) { throw UsageError(problem) }
            if let problem = stateFolderProblem(directory: directory, shown: shownDirectory ?? directory, resolved: resolved) {
                throw UsageError(problem)
            }
            if let note = misplacedSettingsNote(directory: directory, configPath: resolved.configPath) { reporter.say(note) }
            if let warning = resolved.mixedSourcesWarning { reporter.say(warning) }
            if let warning = resolved.targetPrefixWarning { reporter.say(warning) }
            if !containerTargetWarned, let warning = resolved.containerTargetWarning() { reporter.say(warning) }
        } catch {
            reporter.fail("\(error)")
            return ExitStatus.invalidInput
        }
        do {
            let started = ContinuousClock.now
            if let problem = try await distributionProblem(resolved, invalidation: invalidation) {
                reporter.fail(problem)
                return ExitStatus.invalidInput
            }
            // Read-only, so a dry run makes it too: it says what the real run would do.
            if let failures = try await firstFlipPreflight(resolved), !failures.isEmpty {
                for check in failures { reporter.say(check.line) }
                reporter.say("pre-flight failed before the first flip to \(resolved.pointer.url): "
                    + (dryRun ? "a real run would stop here; " : "nothing was uploaded or made live; ")
                    + "fix the above (`sitebuild doctor` checks everything)")
                reporter.event("result", [("status", .string("FAILED")), ("message", .string(failures.map(\.message).joined(separator: "; ")))])
                return ExitStatus.deployFailed
            }
            let progress = ProgressLine(json: target.json)
            let outcome: DeployOutcome
            do {
                outcome = try await deployer.deploy(directory: directory, version: version, dryRun: dryRun) { stats in
                    progress.show(stats)
                    reporter.event("upload_progress", [("uploaded", .int(Int64(stats.uploaded))), ("reused", .int(Int64(stats.reused))),
                                                       ("skipped", .int(Int64(stats.skipped))), ("objects", .int(Int64(stats.plannedFiles))),
                                                       ("bytes", .int(stats.uploadedBytes))])
                }
                progress.finish()
            } catch {
                progress.finish()
                throw error
            }
            if Task.isCancelled, outcome.kind != .unchanged, outcome.kind != .planned, outcome.kind != .repaired {
                // The signal came during the flip, which was completed: the version is live, and
                // what it owes was recorded just before it.
                let recorded = flipIntent.recorded.map { $0.to == outcome.version && $0.record != nil } ?? false
                let owed = recorded ? true : await InvalidationStep(resolved: resolved, options: invalidation, routing: mode, reporter: reporter)
                    .recordOwed(from: outcome.previous, toVersion: outcome.version)
                reporter.say(interruptedAfterFlip(version: outcome.version, target: deployer.target.url, distribution: resolved.distribution,
                                                  owed: owed))
                report(outcome, target: deployer.target.url, pointer: resolved.givenPointer, pointerURL: resolved.pointer.url, elapsed: ContinuousClock.now - started, requests: resolved.aws.requests,
                       reporter: reporter, status: "INTERRUPTED")
                return ExitStatus.interrupted
            }
            let step = InvalidationStep(resolved: resolved, options: invalidation, routing: mode, reporter: reporter)
            var invalidateFrom = outcome.previous
            var invalidates = outcome.kind == .deployed || outcome.kind == .flippedExisting
                || (outcome.kind == .planned && outcome.previous != outcome.version)
            let alreadyLive = outcome.kind == .unchanged || outcome.kind == .repaired
                || (outcome.kind == .planned && outcome.previous == outcome.version)
            // What an earlier flip's invalidation that failed or was cut off still owes: sent with
            // this flip's, or by a rerun of what is live. (One small read, only when this run would
            // invalidate; a flip read it before it moved the pointer.)
            let intent = flipIntent.recorded.flatMap { $0.to == outcome.version && !alreadyLive ? $0 : nil }
            let owed = intent != nil ? intent?.prior : await step.owedInvalidation()
            if alreadyLive, resolved.distribution != nil, try invalidation.mode(resolved.config) == .always {
                // --invalidate always sends again what the flip to it changed.
                invalidateFrom = try await deployer.previousVersion(live: outcome.version)
                invalidates = true
                reporter.say("--invalidate always: \(outcome.version) is already live; \(dryRun ? "would invalidate" : "invalidating") "
                    + "what its flip from \(invalidateFrom ?? "no version") changed")
            } else if alreadyLive, let finished = outcome.finishedFlip {
                // A run stopped after its flip (before its release record) never invalidated what
                // that flip changed: done now, with anything owed besides.
                invalidateFrom = finished.from
                invalidates = true
            } else if alreadyLive, owed != nil {
                invalidateFrom = nil
                invalidates = true
            }
            // A flip is said when it is made, before its invalidation (minutes under --wait); the
            // result comes once that is done.
            let flipSaid = invalidates && (outcome.kind == .deployed || outcome.kind == .flippedExisting)
            if flipSaid {
                report(outcome, target: deployer.target.url, pointer: resolved.givenPointer, pointerURL: resolved.pointer.url,
                       elapsed: ContinuousClock.now - started, requests: resolved.aws.requests, reporter: reporter, event: false)
            }
            if invalidates {
                // A dry run only plans, even for a version already live (`.unchanged` comes back
                // before the deploy looks at dryRun).
                // A flip killed before it invalidated (finished by this deploy, which flips past it):
                // what it changed may be cached too.
                let also = intent?.also ?? (alreadyLive ? [] : [outcome.finishedFlip?.from].compactMap { $0 })
                if let failed = await step.run(from: invalidateFrom, also: also, owed: owed, to: outcome.manifest, toVersion: outcome.version,
                                               dryRun: dryRun || outcome.kind == .planned, intent: intent) {
                    // The version is live; only its invalidation failed (exit 3, as for any AWS failure).
                    report(outcome, target: deployer.target.url, pointer: resolved.givenPointer, pointerURL: resolved.pointer.url, elapsed: ContinuousClock.now - started, requests: resolved.aws.requests,
                           reporter: reporter, status: failed == ExitStatus.interrupted ? "INTERRUPTED" : "INVALIDATION_FAILED", say: !flipSaid)
                    return failed
                }
            }
            report(outcome, target: deployer.target.url, pointer: resolved.givenPointer, pointerURL: resolved.pointer.url, elapsed: ContinuousClock.now - started, requests: resolved.aws.requests, reporter: reporter,
                   say: !flipSaid)
            return ExitStatus.success
        } catch let conflict as PointerConflict {
            reporter.say("conflict: \(conflict)")
            reporter.event("result", conflict.resultFields)
            return ExitStatus.conflict
        } catch let error where Task.isCancelled && (error as? DeployError)?.liveChanged != true {
            reporter.say("deploy interrupted by \(Interruptible.signalName): nothing live changed; the next deploy of this directory "
                + "keeps what this one uploaded and finishes it")
            reporter.event("result", [("status", .string("INTERRUPTED")), ("message", .string("interrupted by \(Interruptible.signalName)"))])
            return ExitStatus.interrupted
        } catch let error as DeployError {
            reporter.say("deploy failed: \(error)" + (error.liveChanged ? "" : "; nothing live changed"))
            reporter.event("result", [("status", .string(error.resultStatus)), ("message", .string(error.description))])
            return exitStatus(for: error)
        } catch {
            let message = readableError(error)
            reporter.say("deploy failed: \(message); nothing live changed")
            reporter.event("result", [("status", .string("FAILED")), ("message", .string(message))])
            return exitStatus(for: error)
        }
    }

    /// Exit 2 for what the user must fix (a wrong path, a bucket or table that does not exist,
    /// credentials configured wrongly, a manifest a newer sitebuild wrote: a retry cannot help),
    /// 3 for a failure of the remote.
    static func exitStatus(for error: any Error) -> Int32 {
        (error as? DeployError)?.isInvalidInput == true || error is PointerResourceMissing
            || (error as? DamagedManifest)?.tooNew == true
            || (error as? AWSServiceError)?.errorCode == "NoSuchBucket"
            || (error as? CredentialError)?.isMisconfiguration == true ? ExitStatus.invalidInput : ExitStatus.deployFailed
    }

    /// A local target or file pointer this deploy could not write, found before anything is
    /// hashed or copied: a file where the target's directory should be, a directory where the
    /// pointer's file should be, or a folder this user cannot create or write in.
    /// What keeps `path` from being written: the nearest of its folders that exists is a file,
    /// or this user cannot write in it (the folders below it are made when written); nil when
    /// nothing does.
    static func writableProblem(_ path: String, what: String) -> String? {
        let fm = FileManager.default
        var ancestor = (path as NSString).deletingLastPathComponent
        while !ancestor.isEmpty, !fm.fileExists(atPath: ancestor) { ancestor = (ancestor as NSString).deletingLastPathComponent }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: ancestor, isDirectory: &isDirectory) else { return nil }
        if !isDirectory.boolValue { return "\(what): \(ancestor) is a file, not a directory; choose another place" }
        if access(ancestor, W_OK | X_OK) != 0 {
            return "\(what): cannot write in \(ancestor) (\(String(cString: strerror(errno)))); choose a directory this user can write, or fix its permissions"
        }
        return nil
    }

    /// Why `directory` (`shown` as given) is no site to deploy: it is the local target or lies
    /// inside it, or it is sitebuild's state (a `.sitebuild` folder, a local target's folder or
    /// its `_sitebuild` records). Published, it would expose release records (who deployed,
    /// from where), every older version and fetched sources, `.env` files included.
    static func stateFolderProblem(directory: String, shown: String, resolved: TargetOptions.Resolved) -> String? {
        let real = FileWalker.realPath(directory)
        if let local = resolved.target as? LocalTarget {
            let root = FileWalker.realPath(local.root)
            // Below a folder of the target named with '_' (no version's name starts with one)
            // other than _sitebuild: sitebuild's own work folders, `.sitebuild/_build/artifacts`
            // (where `run` builds by default) and `.sitebuild/_work` (fetched sources).
            let below = real.hasPrefix(root + "/") ? real.dropFirst(root.count + 1).split(separator: "/").first : nil
            let workFolder = below.map { $0.hasPrefix("_") && $0 != "_sitebuild" } ?? false
            if real == root || (real.hasPrefix(root + "/") && !workFolder) {
                return "\(shown) \(real == root ? "is" : "lies inside") the local target \(local.url), which holds every version and "
                    + "its release records: give the built site's directory (such as dist), or choose another --target"
            }
        }
        let components = real.split(separator: "/")
        let what: String
        if components.last == ".sitebuild" {
            what = "a .sitebuild folder: the default local target, build outputs, fetched sources"
        } else if ["manifests", "releases"].contains(where: { FileManager.default.fileExists(atPath: real + "/_sitebuild/" + $0) }) {
            what = "a local target: every version and its release records"
        } else if components.contains("_sitebuild") {
            what = "a local target's records"
        } else {
            return nil
        }
        return "\(shown) is sitebuild's state (\(what)), not a site: give the built site's directory (such as dist)"
    }

    static func localPlaceProblem(_ resolved: TargetOptions.Resolved) -> String? {
        let fm = FileManager.default
        if let local = resolved.target as? LocalTarget {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: local.root, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "the target \(local.url) is a file, not a directory; choose another --target" }
                if access(local.root, W_OK | X_OK) != 0 {
                    return "the target \(local.url): cannot write in \(local.root) (\(String(cString: strerror(errno)))); choose another --target or fix its permissions"
                }
            } else if let problem = writableProblem(local.root + "/x", what: "the target \(local.url)") {
                return problem
            }
        }
        if let pointer = resolved.pointer as? LocalPointerStore {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: pointer.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return "the pointer \(pointer.url) is a directory; name the pointer file (--pointer file:///path/live)"
            }
            if let problem = writableProblem(pointer.path, what: "the pointer \(pointer.url)") { return problem }
        }
        return nil
    }

    /// An error as a sentence: a Foundation file error names its file and reason, not its
    /// domain, code and user info.
    static func readableError(_ error: any Error) -> String {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain else { return "\(error)" }
        let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        let reason = (ns.userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) } ?? ns.localizedDescription
        return path.map { "\($0): \(reason)" } ?? reason
    }

    /// Before the first flip of a KeyValueStore pointer read by a distribution (the seed
    /// architecture; the pointer holds nothing yet), the checks `doctor` makes of the target,
    /// the distribution, its viewer-request function and the function's KeyValueStore: a
    /// first deploy that could never be served stops before uploading anything. Later deploys
    /// skip it.
    static func firstFlipPreflight(_ resolved: TargetOptions.Resolved) async throws -> [PreflightCheck]? {
        guard let distribution = resolved.distribution, resolved.pointer is KeyValueStorePointerStore,
              try await resolved.pointer.read().version == nil else { return nil }
        var probe = PreflightProbe(target: resolved.target, pointer: resolved.pointer, distributionId: distribution, domains: [],
                                   cloudFront: try resolved.aws.cloudFront(), acm: nil, route53: nil)
        // A new pointer (a preview's) on a target with releases through another is fine here.
        probe.readsLastRelease = false
        return Preflight.evaluate(await probe.gather()).filter { $0.status == .fail }
    }

    /// A distribution to invalidate that does not exist (a typo in --distribution) is found
    /// before anything is uploaded, not after the flip; one this identity may not read
    /// (a role allowed CreateInvalidation only), or any other failure to look, is not a
    /// reason to stop.
    static func distributionProblem(_ resolved: TargetOptions.Resolved, invalidation: InvalidationOptions) async throws -> String? {
        // Only where an invalidation would be sent: never with `never`, and not with `auto` and a
        // KeyValueStore pointer (new cache keys; the first flip's pre-flight checks the distribution).
        let mode = try invalidation.mode(resolved.config)
        guard let distribution = resolved.distribution, mode == .always || (mode == .auto && !(resolved.pointer is KeyValueStorePointerStore))
        else { return nil }
        do {
            _ = try await resolved.aws.cloudFront().getDistribution(id: distribution)
            return nil
        } catch let error as AWSServiceError where error.errorCode == CloudFrontClient.ErrorCode.noSuchDistribution {
            return "the CloudFront distribution \(distribution) does not exist (--distribution, SITEBUILD_DISTRIBUTION, sitebuild.yml's "
                + "distribution): nothing was uploaded or made live; check the id (aws cloudfront list-distributions)"
        } catch {
            // Not allowed to look (403), or CloudFront unreachable: the invalidation says so later.
            return nil
        }
    }

    /// The warning a flip between versions deployed with different routings gets: the function
    /// that routes requests has one routing fixed in its code, so it must be published again for
    /// the version now live (`sitebuild function` prints it for a KeyValueStore pointer).
    static func routingWarning(_ change: RoutingChange, version: String, previous: String, pointer: String) -> String {
        let live = change.live
        let flags = "--mode \(live.mode)" + (live.trailingSlash.map { " --trailing-slash \($0)" } ?? "")
        let router: String
        if pointer.hasPrefix("cloudfront-kvs://") {
            router = "the CloudFront Function routes as its published code says (mode and trailing slash are fixed in it), so one of "
                + "them is served with the other's routing: publish it again for \(version) (`sitebuild function --pointer "
                + "\(shellWord(pointer)) \(flags) > function.js`, then aws cloudfront update-function --name NAME --if-match ETAG "
                + "--function-code fileb://function.js … and aws cloudfront publish-function --name NAME --if-match NEW_ETAG)"
        } else if pointer.hasPrefix("file://") {
            router = "`sitebuild serve` routes as its own settings say: serve \(version) with \(flags) (or set them in sitebuild.yml, "
                + "which every command reads)"
        } else {
            router = "the function that routes requests through this pointer (a Lambda@Edge of your own) has its routing fixed in its "
                + "code: make it route as \(live)"
        }
        return "warning: \(version) was deployed with routing \(live), but \(previous), which it replaces, with \(change.previous): "
            + router + "; or roll back to \(previous) if the change was not meant"
    }

    /// The `routingChange` field of a `--json` result: null, or both routings.
    static func routingChangeJSON(_ change: RoutingChange?) -> JSONValue {
        guard let change else { return .null }
        func routing(_ value: SiteRouting) -> JSONValue {
            .object([("mode", .string(value.mode)), ("trailingSlash", value.trailingSlash.map(JSONValue.string) ?? .null)])
        }
        return .object([("previous", routing(change.previous)), ("live", routing(change.live))])
    }

    /// What a deploy or rollback whose flip a signal came during says: the flip was completed.
    /// `owed`: the invalidation was recorded as owed, so the next deploy or rerun sends it.
    static func interruptedAfterFlip(version: String, target: String, distribution: String?, owed: Bool = false) -> String {
        "interrupted by \(Interruptible.signalName) during the flip, which was completed: \(version) is live on \(target); "
            + (distribution.map { "no CloudFront invalidation was sent: "
                + (owed ? "it is recorded as owed, and the next deploy (or this one run again) sends it; or " : "if \($0) may serve the version before from its caches, ")
                + "aws cloudfront create-invalidation --distribution-id \($0) --paths '/*'" } ?? "nothing else was left to do")
    }

    /// `source`: what `run` built, for `commit` (the commit checked out) and `zip-name`.
    static func resolveVersionId(_ text: String, sourceDirectory: String, source: ResolvedSource? = nil) throws -> String? {
        switch text {
        case "content": return nil
        case "zip-name":
            guard let source, let stem = source.archiveStem else {
                throw UsageError(zipNameNeedsAnArchive)
            }
            guard let id = SourceResolution.versionId(fromArchiveStem: stem) else {
                throw UsageError("--version-id zip-name: the archive name '\(stem)' has no letters or digits to make a version id from; rename the archive or give a literal id")
            }
            if looksLikeContentId(id) {
                throw UsageError("--version-id zip-name: the archive name '\(stem)' is 16 lower-case hex digits, how sitebuild names versions by "
                    + "their content, so it could name another build's version; rename the archive (such as rel-\(id).zip)")
            }
            return id
        case "commit":
            if let commit = source?.commit { return commit }
            if let source, source.kind == .archive {
                throw UsageError(commitNeedsARepository(source.label))
            }
            var output: [UInt8] = []
            let termination = try? ProcessRunner().run(["/usr/bin/git"] + GitInfo.readingAnyOwner + ["-C", sourceDirectory, "rev-parse", "HEAD"],
                                                       environment: ProcessInfo.processInfo.environment) { output.append(contentsOf: $0) }
            let commit = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if termination == .exited(0), commit.count == 40 { return commit }
            // Inside CodeBuild the project's own source may come without `.git` (CodePipeline's
            // CODE_ZIP, as the Hosting Toolkit's pipeline hands it over): the commit CodeBuild
            // resolved names it, as the toolkit's buildspecs name their versions.
            let environment = ProcessInfo.processInfo.environment
            if source?.isFetched != true, CodeBuildEnvironment.isInside(environment),
               let resolved = environment["CODEBUILD_RESOLVED_SOURCE_VERSION"], !resolved.isEmpty,
               environment["CODEBUILD_SRC_DIR"].map({ sourceDirectory == $0 || sourceDirectory.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) ?? true {
                do {
                    try validateLiteralVersionId(resolved)
                } catch {
                    throw UsageError("--version-id commit: \(sourceDirectory) is not a git work tree, and CODEBUILD_RESOLVED_SOURCE_VERSION "
                        + "'\(resolved)' is not a version id (\(error)); use --version-id content or a literal id")
                }
                return resolved
            }
            throw UsageError("--version-id commit: \(sourceDirectory) is not a git work tree with a commit; use --version-id content or a literal id")
        default:
            try validateLiteralVersionId(text)
            return text
        }
    }

    static let zipNameNeedsAnArchive = "--version-id zip-name names the version after the source archive, but the source is not a ZIP or tar file; use sitebuild run --source site.zip (or s3://bucket/key.zip), or --version-id content"

    static func commitNeedsARepository(_ source: String) -> String {
        "--version-id commit: the source \(source) is an archive, not a git checkout; use --version-id zip-name, content or a literal id"
    }

    /// What `--version-id` takes besides a literal id.
    static let versionIdKeywords: Set<String> = ["content", "commit", "zip-name"]

    /// A `--version-id` that is not one of ``versionIdKeywords`` must be a valid literal id.
    /// 16 lower-case hex digits: the form of a content version's id.
    static func looksLikeContentId(_ text: String) -> Bool {
        text.utf8.count == Manifest.contentIdLength && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func validateLiteralVersionId(_ text: String) throws {
        guard !versionIdKeywords.contains(text) else { return }
        do { try VersionId.validate(text) } catch { throw UsageError("--version-id \(text): \(error)") }
        // Content versions are named by 16 hex digits of their content: a literal id of that
        // form could take the name of other content's version, which a later deploy of that
        // content would then find "already uploaded" and make live.
        if looksLikeContentId(text) {
            throw UsageError("--version-id \(text): 16 lower-case hex digits is how sitebuild names versions by their content, so this id "
                + "could name another build's version; use another form (a full 40-digit commit, a 7- to 12-digit short one, or a prefix "
                + "such as rel-\(text))")
        }
    }

    /// S3 serves `headers[].set` headers as `x-amz-meta-header-<name>`: said once per deploy
    /// that has any, with what turns them back into real headers.
    static func metadataHeadersNote(_ manifest: Manifest?) -> String? {
        guard let manifest else { return nil }
        let names = S3Target.metadataHeaderNames(in: manifest)
        guard !names.isEmpty else { return nil }
        return "note: S3 keeps \(names.joined(separator: ", ")) as object metadata (x-amz-meta-header-…); attach cloudfront/viewer-response.js "
            + "as the distribution's viewer-response function to send them as headers"
    }

    /// `pointer`: the pointer's URL when one was given (a preview's), named in the lines that
    /// say what went live and in the result.
    /// `say`: the lines for people (stderr); `event`: the `--json` result. A flip's lines are
    /// said when it is made, its result once its invalidation is done.
    static func report(_ outcome: DeployOutcome, target givenTarget: String, pointer: String? = nil, pointerURL: String = "", elapsed: Duration,
                       requests: RequestCounter, reporter: Reporter, status: String? = nil, say: Bool = true, event: Bool = true) {
        Reporter.keepVisible([outcome.version, outcome.previous, givenTarget, pointer])
        let requestCount = requests.total
        let siteFiles = outcome.fileCount - outcome.aliasCount
        let siteBytes = outcome.manifest?.siteBytes ?? outcome.totalBytes
        if say { sayOutcome(outcome, target: givenTarget + (pointer.map { " through \($0)" } ?? ""), pointerURL: pointerURL, elapsed: elapsed,
                            requestCount: requestCount, reporter: reporter) }
        guard event else { return }
        reporter.event("result", [
            ("status", .string(status ?? (outcome.kind == .planned ? "PLANNED" : "SUCCEEDED"))),
            ("action", .string(outcome.kind.rawValue)), ("version", .string(outcome.version)),
            ("pointer", pointer.map(JSONValue.string) ?? .null),
            ("previous", outcome.previous.map(JSONValue.string) ?? .null), ("files", .int(Int64(siteFiles))),
            ("bytes", .int(siteBytes)), ("aliases", .int(Int64(outcome.aliasCount))), ("objects", .int(Int64(outcome.fileCount))),
            ("objectBytes", .int(outcome.totalBytes)), ("hashed", .int(Int64(outcome.hashedFiles))),
            ("uploaded", .int(Int64(outcome.stats.uploaded))), ("uploadedBytes", .int(outcome.stats.uploadedBytes)),
            ("reused", .int(Int64(outcome.stats.reused))), ("skipped", .int(Int64(outcome.stats.skipped))),
            ("plannedUploads", .array(outcome.plannedUploads.map(JSONValue.string))), ("plannedCopies", .int(Int64(outcome.plannedCopies))),
            ("resumes", .bool(outcome.resumes)), ("restored", .int(Int64(outcome.restored))), ("routingChange", routingChangeJSON(outcome.routingChange)),
            ("requests", .int(Int64(requestCount))),
            ("durationMs", .int(elapsed.milliseconds)),
        ])
    }

    /// The lines for people of ``report(_:target:pointer:pointerURL:elapsed:requests:reporter:status:say:event:)``.
    static func sayOutcome(_ outcome: DeployOutcome, target: String, pointerURL: String, elapsed: Duration, requestCount: Int,
                           reporter: Reporter) {
        for warning in outcome.warnings { reporter.say("warning: \(warning)") }
        let seconds = elapsed.seconds
        let siteFiles = outcome.fileCount - outcome.aliasCount
        let siteBytes = outcome.manifest?.siteBytes ?? outcome.totalBytes
        let summary = "\(siteFiles) file\(siteFiles == 1 ? "" : "s"), \(humanBytes(siteBytes))"
            + (outcome.aliasCount > 0 ? " (+ \(outcome.aliasCount) page alias\(outcome.aliasCount == 1 ? "" : "es"))" : "")
            + ", \(outcome.hashedFiles) hashed"
        switch outcome.kind {
        case .unchanged:
            reporter.say("nothing to deploy: version \(outcome.version) (\(summary)) is already live on \(target)")
        case .repaired:
            reporter.say("version \(outcome.version) (\(summary)) is already live on \(target); "
                + (outcome.manifestRewritten ? "its damaged manifest written again" + (outcome.restored > 0 ? "; " : "") : "")
                + (outcome.restored > 0 || !outcome.manifestRewritten ? "\(outcome.restored) missing object(s) put back "
                    + "(uploaded \(outcome.stats.uploaded), \(humanBytes(outcome.stats.uploadedBytes)))" : ""))
        case .planned:
            if outcome.previous == outcome.version && outcome.restored > 0 {
                reporter.say("dry run: version \(outcome.version) is already live, but \(outcome.restored) of its objects are missing (deleted "
                    + "outside sitebuild): the real run with --repair puts them back from the tree; nothing changed")
                for path in outcome.plannedUploads.prefix(50) { reporter.say("  upload \(terminalText(path))") }
                if outcome.plannedUploads.count > 50 { reporter.say("  … and \(outcome.plannedUploads.count - 50) more") }
            } else if outcome.previous == outcome.version && outcome.manifestRewritten {
                reporter.say("dry run: version \(outcome.version) is already live, but its manifest is damaged: the real run "
                    + "writes it again from this build's; nothing changed")
            } else if outcome.previous == outcome.version && outcome.plannedUploads.isEmpty && outcome.plannedCopies == 0 {
                reporter.say("dry run: version \(outcome.version) is already live; nothing would change")
            } else {
                reporter.say("dry run: version \(outcome.version) (\(summary)); would upload \(outcome.plannedUploads.count) new object(s), copy \(outcome.plannedCopies) unchanged and flip the live pointer from \(outcome.previous ?? "none") to \(outcome.version); nothing changed")
                if outcome.restored > 0 {
                    reporter.say("dry run: version \(outcome.version) exists, but \(outcome.restored) of its objects are missing (deleted "
                        + "outside sitebuild): the real run puts them back from the tree before making it live")
                }
                if outcome.resumes {
                    reporter.say("dry run: a deploy of \(outcome.version) did not finish; the real run resumes it and skips the objects "
                        + "already in place, so it may upload fewer than that")
                }
                for path in outcome.plannedUploads.prefix(50) { reporter.say("  upload \(terminalText(path))") }
                if outcome.plannedUploads.count > 50 { reporter.say("  … and \(outcome.plannedUploads.count - 50) more") }
            }
        case .flippedExisting:
            let restored = outcome.restored == 0 ? "" : "; \(outcome.restored) missing object(s) put back (uploaded \(outcome.stats.uploaded), "
                + "copied \(outcome.stats.reused))"
            reporter.say("version \(outcome.version) was already uploaded\(restored); live version is now \(outcome.version) (was \(outcome.previous ?? "none")) on \(target)")
            if let change = outcome.routingChange, let previous = outcome.previous {
                reporter.say(routingWarning(change, version: outcome.version, previous: previous, pointer: pointerURL))
            }
        case .deployed:
            if target.hasPrefix("s3://"), let note = metadataHeadersNote(outcome.manifest) { reporter.say(note) }
            reporter.say("uploaded \(outcome.stats.uploaded) object(s) (\(humanBytes(outcome.stats.uploadedBytes))), copied \(outcome.stats.reused) unchanged, "
                + "already in place \(outcome.stats.skipped)" + (requestCount > 0 ? "; \(requestCount) AWS requests" : ""))
            reporter.say("live version is now \(outcome.version) (was \(outcome.previous ?? "none")) on \(target) — \(summary), \(String(format: "%.2f", seconds)) s")
            if let change = outcome.routingChange, let previous = outcome.previous {
                reporter.say(routingWarning(change, version: outcome.version, previous: previous, pointer: pointerURL))
            }
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build with the buildspec, then deploy the primary artifact as a new version and make it live.")

    @OptionGroup var build: BuildOptions
    @Option(help: "Where versions live: s3://bucket/prefix, file:///dir or a directory path. Default: .sitebuild")
    var target: String?
    @Option(help: "The live-version pointer: cloudfront-kvs://<kvs-arn>#key, dynamodb://table#key, s3://bucket/key or file:///path. Default: <target>/_sitebuild/live")
    var pointer: String?
    @Option(help: "Settings file. Default: sitebuild.yml in the source directory.")
    var config: String?
    @OptionGroup var routing: RoutingOptions
    @Option(help: "The CloudFront distribution id serving the target (for invalidation). Default: SITEBUILD_DISTRIBUTION, sitebuild.yml's distribution.")
    var distribution: String?
    @OptionGroup(title: "Invalidation") var invalidation: InvalidationOptions
    @OptionGroup(title: "AWS") var aws: AWSOptions
    @OptionGroup(title: "S3 writes") var writes: S3WriteOptions
    @Option(help: "The version id: content (default), commit (the source's git HEAD, as the Hosting Toolkit does), zip-name (the source archive's file name without its extension, as the toolkit names ZIP uploads), or a literal id.")
    var versionId: String = "content"
    @Flag(help: "Build, then print what would be deployed, and change nothing on the target.")
    var dryRun = false
    @Flag(help: "When the build is already live, also list the live version's objects and put back any that are missing (deleted by a lifecycle rule or by hand).")
    var repair = false
    @Flag(help: "Flip the pointer even when the version it names was never this target's (the pointer served another site).")
    var takeOverPointer = false

    func run() async throws {
        let cwd = FileManager.default.currentDirectoryPath
        var buildOptions = build
        if buildOptions.out == nil { buildOptions.out = BuildInvocation.defaultOutput }
        // Flags that do not depend on the source are checked before it is fetched (fetching
        // replaces the work tree a failed build left to look at).
        do {
            try BuildInvocation.checkFlags(build)
            try DeployInvocation.validateLiteralVersionId(versionId)
            let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-check-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: empty) }
            try checkDeploySettings(configDirectory: empty, relativeBase: cwd, given: try givenSettings(buildspec: nil, sourceDirectory: nil))
            // zip-name needs an archive and commit a repository: known from the source's
            // name, before a clone or a download replaces the last build's work tree.
            let setting = try SourceResolution.setting(build, configFile: config.map { absolutePath($0, relativeTo: cwd) }, cwd: cwd,
                                                       environment: ProcessInfo.processInfo.environment)
            let location = try BuildSource.parse(setting.text, what: setting.what, relativeTo: setting.base)
            switch (versionId, location) {
            case ("zip-name", .directory), ("zip-name", .git):
                throw UsageError(DeployInvocation.zipNameNeedsAnArchive)
            case ("commit", .archive), ("commit", .s3Archive):
                throw UsageError(DeployInvocation.commitNeedsARepository(BuildSource.redacted(setting.text)))
            default: break
            }
        } catch {
            Reporter(json: build.json).say("\(error)")
            BuildInvocation.failedResult(build.json, "\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        // The source is fetched once, here: the build and the deploy both use it. A signal from
        // here on stops the fetch, or the build before its first phase (exit 130, STOPPED).
        let cancellation = Cancellation()
        let signals = SignalWatch(cancellation: cancellation)
        let resolved: SourceResolution.Outcome
        do {
            resolved = try await SourceResolution.resolve(build, aws: aws, configFile: config, cancellation: cancellation)
        } catch {
            signals.stop()
            SourceResolution.report(error, json: build.json)
            throw ExitCode(SourceResolution.exitStatus(error))
        }
        let source = resolved.source.directory
        // A run deploys the primary artifact: check it is there before spending a build on it.
        if let precheck = BuildInvocation.checkDeployable(buildOptions, source: resolved.source) {
            printError(precheck)
            BuildInvocation.failedResult(build.json, precheck)
            throw ExitCode(ExitStatus.invalidInput)
        }
        let targetOptions = self.targetOptions
        // Bad deploy settings stop the run before the build, not after it.
        let settings: TargetOptions.Resolved
        let given: [String: TargetOptions.GivenVariable]
        do {
            _ = try DeployInvocation.resolveVersionId(versionId, sourceDirectory: source, source: resolved.source)
            given = try givenSettings(buildspec: BuildInvocation.buildspecPath(build.buildspec, source: source, fetched: resolved.source.isFetched,
                                                                             cwd: cwd),
                                      sourceDirectory: source)
            settings = try checkDeploySettings(configDirectory: resolved.configDirectory, relativeBase: resolved.relativeBase, given: given)
        } catch {
            Reporter(json: build.json).say("\(error)")
            BuildInvocation.failedResult(build.json, "\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        // What the deploy checks against AWS before uploading is checked before the build too:
        // a distribution that does not exist, a pointer that cannot be read (a KeyValueStore
        // that is not there), a first flip the distribution could never serve. A typo costs
        // a look-up, not a whole build. (The deploy checks again: minutes may pass.)
        let reporter = Reporter(json: build.json)
        // Said before the build, not again by its deploy.
        if let warning = settings.containerTargetWarning() { reporter.say(warning) }
        do {
            if let problem = try await DeployInvocation.distributionProblem(settings, invalidation: invalidation) {
                reporter.say(problem.replacingOccurrences(of: "nothing was uploaded or made live", with: "nothing was built, uploaded or made live"))
                BuildInvocation.failedResult(build.json, problem)
                throw ExitCode(ExitStatus.invalidInput)
            }
            let live = try await settings.pointer.read()
            // A first deploy to a folder that is a version of another target is refused by the
            // deploy (a prune of the other would delete this site): said before the build.
            if live.version == nil {
                do {
                    try await settings.target.checkNotInsideVersion()
                } catch let error as DeployError where error.isInvalidInput {
                    let message = "\(error); nothing was built"
                    reporter.say(message)
                    BuildInvocation.failedResult(build.json, message)
                    throw ExitCode(ExitStatus.invalidInput)
                } catch {
                    // Looked at again by the deploy, which reports what stopped this look.
                }
            }
            // The target's bucket too, when the pointer lives elsewhere (a table, another bucket).
            if let target = settings.target as? S3Target, try await target.client.headBucket(target.location.bucket).status == 404 {
                let message = "the target \(target.url): the bucket '\(target.location.bucket)' does not exist; create it, or fix the "
                    + "target (--target, SITEBUILD_TARGET, sitebuild.yml); nothing was built"
                reporter.say(message)
                BuildInvocation.failedResult(build.json, message)
                throw ExitCode(ExitStatus.invalidInput)
            }
            if let failures = try await DeployInvocation.firstFlipPreflight(settings), !failures.isEmpty {
                for check in failures { reporter.say(check.line) }
                let message = "pre-flight failed before the first flip to \(settings.pointer.url): nothing was built, uploaded or made live; "
                    + "fix the above (`sitebuild doctor` checks everything)"
                reporter.say(message)
                BuildInvocation.failedResult(build.json, message)
                throw ExitCode(ExitStatus.deployFailed)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            let message = "the pointer \(settings.pointer.url) cannot be read: \(error); nothing was built"
            reporter.say(message)
            BuildInvocation.failedResult(build.json, message)
            throw ExitCode(DeployInvocation.exitStatus(for: error))
        }
        // A local target (and a file pointer) inside the project is not part of the site.
        let localPlaces = [(settings.target as? LocalTarget)?.root, (settings.pointer as? LocalPointerStore)?.path].compactMap { $0 }
        let (status, build) = BuildInvocation.runReturningResult(buildOptions, aws: aws, writes: writes, source: resolved.source, excluding: localPlaces,
                                                                 cancellation: cancellation)
        guard status == 0 else { throw ExitCode(status) }
        if let build {
            Reporter.revealsASecret.withLock { $0 = build.wouldReveal }
            Reporter.secretMask.withLock { $0 = build.mask }
        }
        // The deploy's result ends the stream: it carries the build's exported variables too.
        let exported: [(String, JSONValue)] = build?.json["exportedVariables"].map { [("exportedVariables", $0)] } ?? []
        let out = absolutePath(buildOptions.out!, relativeTo: cwd)
        let deployStatus = await DeployInvocation.run(directory: out, target: targetOptions, routing: routing, invalidation: invalidation,
                                                      versionId: versionId,
                                                      dryRun: dryRun, repair: repair, takeOverPointer: takeOverPointer,
                                                      configDirectory: resolved.configDirectory,
                                                      relativeBase: resolved.relativeBase, sourceDirectory: source,
                                                      source: resolved.source, resultFields: exported, given: given,
                                                      containerTargetWarned: true)
        if deployStatus != 0 { throw ExitCode(deployStatus) }
    }

    var targetOptions: TargetOptions {
        var options = TargetOptions()
        options.target = target
        options.pointer = pointer
        options.config = config
        options.json = build.json
        options.aws = aws
        options.writes = writes
        options.distribution = distribution
        return options
    }

    /// The deploy settings (flags, SITEBUILD_* and the settings file in `configDirectory`),
    /// checked offline as the deploy will read them; the resolved settings.
    @discardableResult
    func checkDeploySettings(configDirectory: String, relativeBase: String?,
                             given: [String: TargetOptions.GivenVariable]) throws -> TargetOptions.Resolved {
        let resolved = try DeployInvocation.settings(target: targetOptions, routing: routing, invalidation: invalidation,
                                                     configDirectory: configDirectory, relativeBase: relativeBase, given: given).resolved
        // A local target or pointer the deploy could not write stops the run before its build.
        if let problem = DeployInvocation.localPlaceProblem(resolved) { throw UsageError(problem) }
        return resolved
    }
}

extension RunCommand {
    /// The setting variables (``TargetOptions/settingVariables``) the deploy takes from what
    /// the build is given, for those no flag sets, in CodeBuild's order: `--env` and
    /// `--env-file` (the last one given; a start-build override, and what the build's commands
    /// see over everything) beat the environment (a CodeBuild project's variables), which
    /// beats the buildspec's `env.variables` (read from `buildspec`, when given). An empty
    /// value counts as unset. The buildspec's values reach the build as written, not expanded:
    /// one naming a variable (`s3://$BUCKET/site`) is refused; so is a setting from
    /// `env.parameter-store` or `env.secrets-manager`, fetched only once the build has started.
    /// Either stops the run (exit 2) before anything runs.
    func givenSettings(buildspec: String?, sourceDirectory: String?) throws -> [String: TargetOptions.GivenVariable] {
        let cwd = FileManager.default.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        var overrides: [String: TargetOptions.GivenVariable] = [:]
        for file in build.envFile {
            for (name, value) in try EnvironmentOptions.parseEnvFile(absolutePath(file, relativeTo: cwd))
            where TargetOptions.settingVariables.contains(name) {
                overrides[name] = .init(value: value, place: "\(name) (--env-file \(file))", base: cwd)
            }
        }
        for text in build.env {
            let (name, value) = try EnvironmentOptions.parseEnvFlag(text, environment: environment)
            if TargetOptions.settingVariables.contains(name) { overrides[name] = .init(value: value, place: "\(name) (--env)", base: cwd) }
        }
        let spec = buildspec.flatMap { try? BuildSpecParser.parse(contentsOf: $0).spec }
        var given: [String: TargetOptions.GivenVariable] = [:]
        for (name, flag, value) in [("SITEBUILD_TARGET", "--target", target), ("SITEBUILD_POINTER", "--pointer", pointer),
                                    ("SITEBUILD_DISTRIBUTION", "--distribution", distribution)] where value == nil {
            if let override = overrides[name], !override.value.isEmpty {
                given[name] = override
                continue
            }
            guard environment[name]?.isEmpty != false, let spec, let buildspec else { continue }
            let fetched: String? = spec.env.parameterStore.contains { $0.name == name } ? "parameter-store"
                : spec.env.secretsManager.contains { $0.name == name } ? "secrets-manager" : nil
            if let fetched {
                throw UsageError("\(buildspec): env.\(fetched).\(name): run reads its deploy settings before the build starts, and this value "
                    + "is fetched only once it has; give it with \(flag), --env \(name)=… or in the environment (a CodeBuild project "
                    + "variable may come from Parameter Store or Secrets Manager), or write it in env.variables")
            }
            guard let value = spec.env.variables.last(where: { $0.name == name })?.value, !value.isEmpty else { continue }
            if let problem = Self.referenceProblem(name: name, value: value) {
                let place = spec.env.variableLocations[name].map { "\(buildspec):\($0.line):\($0.column)" } ?? buildspec
                throw UsageError("\(place): env.variables.\(name): \(problem)")
            }
            given[name] = .init(value: value, place: "\(name) (env.variables of \(buildspec))", base: sourceDirectory ?? cwd)
        }
        return given
    }

    /// What is wrong with a buildspec's `env.variables` value for a setting variable that
    /// names another variable: it is not expanded.
    static func referenceProblem(name: String, value: String) -> String? {
        guard let reference = BuildEngine.expandReferences(value, in: [:]).missing.first else { return nil }
        let flag = "--" + name.dropFirst("SITEBUILD_".count).lowercased()
        return "'\(value)' refers to the variable \(reference), which is not expanded there (the buildspec's variables are passed as "
            + "written, as CodeBuild passes them); write the value itself, or give it with \(flag), --env \(name)=… or in the environment"
    }
}

extension PointerConflict {
    /// The `--json` result of a flip that lost (deploy and rollback alike): the version that
    /// was to be made live, what the pointer was expected to hold and what it held.
    var resultFields: [(String, JSONValue)] {
        [("status", .string("CONFLICT")), ("version", .string(wanted)), ("expected", expected.map(JSONValue.string) ?? .null),
         ("found", found.map(JSONValue.string) ?? .null), ("message", .string(description))]
    }
}
