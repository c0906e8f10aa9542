import AWSCore
import AWSServices
import ArgumentParser
import ChildProcesses
import Deploy
import Dispatch
import Foundation
import SiteContent
import Synchronization

/// `sitebuild watch s3://bucket/prefix/`: the Hosting Toolkit's upload trigger for
/// self-hosted runners. Polls the prefix for new source archives and runs the whole
/// pipeline (`sitebuild run --source s3://…`) for each, in upload order. What was built is
/// remembered in the bucket: one state object per archive (key + ETag) at
/// `<prefix>_sitebuild/watch/<hash>.json`, claimed with a conditional write before the
/// build, so watchers sharing a prefix never build one archive twice.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Build and deploy each new .zip, .tar.gz or .tar.zst uploaded under an S3 prefix, once, in upload order.",
        discussion: """
            A build that failed is recorded and not retried; delete its state object (the watch prints \
            its key) or pass --retry-failed to build it again (once per start of the watch). Arguments after `--` go to `sitebuild run` as they are.
            """)

    @Argument(help: ArgumentHelp("Where archives are uploaded: s3://bucket/prefix/.", valueName: "s3-url"))
    var location: String

    @Option(help: "How long to wait between polls: 30s, 5m, … (a bare number is seconds).")
    var interval: String = "30s"

    @Flag(help: "Poll once, build what is new, and exit (1 when a build failed).")
    var once = false

    @Flag(help: "Build again, once per start of the watch, the archives whose recorded build failed.")
    var retryFailed = false

    @Option(help: "Passed to run: where versions live.")
    var target: String?
    @Option(help: "Passed to run: the live-version pointer.")
    var pointer: String?
    @Option(help: "Passed to run: the CloudFront distribution id.")
    var distribution: String?
    @Option(help: "Passed to run: the version id (default: zip-name, the archive's name, as the toolkit names versions).")
    var versionId: String = "zip-name"
    @Option(help: "Passed to run: the buildspec file.")
    var buildspec: String?
    @Option(help: "Passed to run: the settings file.")
    var config: String?
    @Option(help: "Passed to run: share the build cache through S3 (s3://bucket/prefix).")
    var cache: String?

    @OptionGroup(title: "AWS") var aws: AWSOptions

    @OptionGroup(title: "S3 writes (the state objects; passed to run)") var writes: S3WriteOptions

    @Argument(parsing: .postTerminator, help: "More arguments for `sitebuild run`.")
    var runArguments: [String] = []

    static let archiveSuffixes = [".zip", ".tar.gz", ".tgz", ".tar.zst"]

    func run() async throws {
        let watched: S3Location
        do {
            watched = try S3Location.parse(location, what: "watch")
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        guard let seconds = parseDurationText(interval, bareNumberUnit: 1), seconds > 0 else {
            printError("--interval \(interval): write a duration such as 30s, 5m or 1h")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let environment = ProcessInfo.processInfo.environment
        let client: S3Client
        do {
            client = try AWSContext(options: aws, environment: environment, objectWrites: stateWrites()).s3(for: "watch \(location)")
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        do {
            try checkRunArguments(bucket: watched.bucket)
        } catch {
            printError("watch: the arguments for `sitebuild run`: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let excluded: [String]
        do {
            excluded = try excludedPrefixes(watched: watched)
        } catch {
            printError("watch: \(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let watcher = Watcher(client: client, location: watched, retryFailed: retryFailed, runArguments: runArgumentList(),
                              excluded: excluded)
        let once = self.once
        let loop = Task { () async throws -> Int32 in
            var first = true
            while true {
                let failed: Int
                do {
                    failed = try await watcher.pass(first: first)
                } catch {
                    if WatchSignals.received.load(ordering: .relaxed) != 0 { return ExitStatus.interrupted }
                    if let missing = error as? AWSServiceError, missing.errorCode == "NoSuchBucket" {
                        // Not a passing failure: polling again would only repeat it.
                        printError("watch \(watched): there is no bucket \(watched.bucket); check the bucket name (and --region / --endpoint-url)")
                        return ExitStatus.invalidInput
                    }
                    printError("watch \(watched): \(error)")
                    if once { return ExitStatus.deployFailed }
                    failed = 0
                }
                first = false
                if once { return failed > 0 ? ExitStatus.buildFailed : ExitStatus.success }
                do {
                    try await Task.sleep(for: .seconds(seconds))
                } catch {
                    return ExitStatus.interrupted
                }
            }
        }
        // SIGINT, SIGTERM, SIGHUP: passed on to the run under way (which stops cleanly: its
        // deploy changes nothing live and releases what it holds), whose archive's claim is
        // then released; the watch ends with 130. A second signal ends it at once.
        let signals = SignalWatch { signalNumber in
            if WatchSignals.received.exchange(signalNumber, ordering: .sequentiallyConsistent) != 0 { _exit(ExitStatus.interrupted) }
            let child = WatchSignals.child.withLock { $0 }
            if child > 0 { kill(child, signalNumber) }
            loop.cancel()
        }
        let status = try await loop.value
        signals.stop()
        if status != 0 { throw ExitCode(status) }
    }

    /// Key prefixes below the watched one that hold sitebuild's own objects: the S3 target
    /// (its versions hold the site's files, a downloadable .zip among them) and the S3 build
    /// cache (its entries are .tar.zst). Archives there are never built. A target or cache
    /// above the watched prefix keeps its objects outside it; one at the watched prefix itself
    /// would mix them with the uploads, and is refused (exit 2).
    func excludedPrefixes(watched: S3Location) throws -> [String] {
        guard let command = try? RunCommand.parse(runArgumentList() + ["--source", "s3://\(watched.bucket)/check.zip"]) else { return [] }
        let environment = ProcessInfo.processInfo.environment
        var places: [(String?, String)] = [(command.target, "--target"), (command.build.cache, "--cache"),
                                           (environment["SITEBUILD_TARGET"], "SITEBUILD_TARGET"), (environment["SITEBUILD_CACHE"], "SITEBUILD_CACHE")]
        if let path = settingsFile(), let config = try? SiteConfig.load(path) {
            places += [(config.target, "\(path): target"), (config.cache, "\(path): cache")]
        }
        var excluded: [String] = []
        for case let (text?, source) in places where text.hasPrefix("s3://") {
            guard let location = try? S3Location.parse(text, what: source), location.bucket == watched.bucket else { continue }
            if location.prefix == watched.prefix {
                throw UsageError("\(source) \(text) is the watched prefix itself: its objects would be taken for uploads; keep uploads "
                    + "in a folder of their own (such as s3://\(watched.bucket)/\(watched.prefix)uploads/)")
            }
            if location.prefix.hasPrefix(watched.prefix) { excluded.append(location.prefix) }
        }
        return excluded
    }

    /// What the state objects are written with: the runs' `--sse`, `--sse-kms-key-id` and
    /// `--acl` (given to watch, or after `--`) over the settings file's, as each run's deploy
    /// writes its objects; a bucket whose policy requires SSE-KMS refuses them otherwise.
    /// (Bad values are refused with the run's flags, by ``checkRunArguments(bucket:)``.)
    func stateWrites() -> S3Client.ObjectWriteSettings {
        let given = (try? RunCommand.parse(runArgumentList() + ["--source", "s3://check/check.zip"]))?.writes ?? writes
        let configured = settingsFile().flatMap { try? SiteConfig.load($0) }?.objectWrites ?? S3Client.ObjectWriteSettings()
        return given.over(configured)
    }

    /// The watcher's settings file: --config, else the current directory's sitebuild.yml
    /// when there is one. Every run gets it as its --config, so a sitebuild.yml inside an
    /// uploaded archive does not decide where or how the watcher deploys.
    func settingsFile() -> String? {
        let cwd = FileManager.default.currentDirectoryPath
        // An empty one stays empty, so `run` says it is (an unset variable), not "a directory".
        if let config { return config.isEmpty ? config : absolutePath(config, relativeTo: cwd) }
        let here = cwd + "/sitebuild.yml"
        return FileManager.default.fileExists(atPath: here) ? here : nil
    }

    /// --buildspec for every run: a file in the watcher's folder (what a Hosting Toolkit
    /// S3-mode user passes, whose archives hold only the built site) as its absolute path;
    /// a relative name that is not there stays relative: each archive's own file.
    func buildspecFile() -> String? {
        guard let buildspec, !buildspec.isEmpty else { return buildspec }
        let here = absolutePath(buildspec, relativeTo: FileManager.default.currentDirectoryPath)
        return buildspec.hasPrefix("/") || FileManager.default.fileExists(atPath: here) ? here : buildspec
    }

    /// The flags for `run`, checked once before any archive is claimed: a bad one would
    /// otherwise fail every build with exit 2 after the claim, and record each new archive as
    /// failed for every watcher of the prefix. The settings file an archive carries is read
    /// when it is built (an explicit --config is checked here).
    func checkRunArguments(bucket: String) throws {
        if runArguments.contains(where: { $0 == "--source" || $0.hasPrefix("--source=") }) {
            throw UsageError("--source: each build's source is the archive it was uploaded as; leave it out")
        }
        if runArguments.contains(where: { $0 == "--dry-run" || $0.hasPrefix("--dry-run=") }) {
            throw UsageError("--dry-run: a watch records each archive it builds as done, so a dry run would keep it from ever "
                + "being deployed; preview one archive with `sitebuild run --source s3://… --dry-run` instead")
        }
        let command: RunCommand
        do {
            command = try RunCommand.parse(runArgumentList() + ["--source", "s3://\(bucket)/check.zip"])
        } catch {
            throw UsageError(RunCommand.message(for: error))
        }
        try DeployInvocation.validateLiteralVersionId(command.versionId)
        if let file = buildspecFile(), file.hasPrefix("/") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw UsageError("--buildspec \(buildspec ?? file): \(isDirectory.boolValue ? "is a directory" : "no such file"); name the buildspec file "
                    + "(one in this folder, or a path inside each archive)")
            }
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-watch-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        // Each archive's buildspec is known only once it is fetched: its runs check its env.variables.
        try command.checkDeploySettings(configDirectory: empty, relativeBase: FileManager.default.currentDirectoryPath,
                                        given: try command.givenSettings(buildspec: nil, sourceDirectory: nil))
    }

    /// The flags every `run` gets (the source is added per archive).
    func runArgumentList() -> [String] {
        var arguments = ["--version-id", versionId]
        for (flag, value) in [("--target", target), ("--pointer", pointer), ("--distribution", distribution),
                              ("--buildspec", buildspecFile()), ("--config", settingsFile()), ("--cache", cache),
                              ("--profile", aws.profile), ("--region", aws.region), ("--endpoint-url", aws.endpointUrl)] {
            if let value { arguments += [flag, value] }
        }
        if aws.pathStyle { arguments.append("--path-style") }
        return arguments + writes.arguments + runArguments
    }
}

/// The state keys of the archives one watcher has built, shared by its passes.
final class AttemptedArchives: Sendable {
    private let keys = Mutex<Set<String>>([])

    func contains(_ key: String) -> Bool { keys.withLock { $0.contains(key) } }
    func insert(_ key: String) { keys.withLock { _ = $0.insert(key) } }
}

/// One watcher's passes over a prefix.
struct Watcher {
    let client: S3Client
    let location: S3Location
    let retryFailed: Bool
    let runArguments: [String]
    /// Key prefixes never searched for archives (``WatchCommand/excludedPrefixes(watched:)``).
    var excluded: [String] = []
    /// State keys of the archives this watcher has built (claimed or retried): with
    /// `retryFailed`, a failed record is retried once per watch, not on every pass.
    let attempted = AttemptedArchives()
    /// The state objects found damaged and said so (once each).
    let warnedDamaged = AttemptedArchives()

    var statePrefix: String { location.prefix + "_sitebuild/watch/" }

    func stateKey(_ object: S3Client.ObjectSummary) -> String {
        statePrefix + ContentHash(of: object.key + "\n" + (object.etag ?? "")).hex + ".json"
    }

    /// Archives under the prefix, oldest upload first (then by key; S3 writes every
    /// LastModified of a listing in one ISO 8601 format, so they compare as text).
    func archives() async throws -> [S3Client.ObjectSummary] {
        let listed = try await client.listObjects(bucket: location.bucket, prefix: location.prefix).objects
        let others = Self.stateHolders(in: listed.map(\.key), below: location.prefix)
        return listed.filter { object in
            !object.key.hasPrefix(statePrefix) && !excluded.contains { object.key.hasPrefix($0) }
                && !others.contains { object.key.hasPrefix($0) }
                && WatchCommand.archiveSuffixes.contains { object.key.lowercased().hasSuffix($0) }
        }.sorted { ($0.lastModified ?? "", $0.key) < ($1.lastModified ?? "", $1.key) }
    }

    /// The prefixes below `prefix` (not itself) that hold a `_sitebuild/` folder among `keys`:
    /// another watcher's (`docs/_sitebuild/watch/`) or another target's state. Their uploads
    /// and objects are that watcher's or site's, never this watcher's to build.
    static func stateHolders(in keys: [String], below prefix: String) -> [String] {
        var holders: Set<String> = []
        for key in keys where key.hasPrefix(prefix) {
            let relative = key.dropFirst(prefix.count)
            guard let marker = relative.range(of: "/_sitebuild/") else { continue }
            // The outermost one: everything below it is skipped anyway.
            holders.insert(prefix + relative[..<marker.lowerBound] + "/")
        }
        return holders.sorted()
    }

    /// Builds every new archive once; returns how many builds failed. On the `first` pass the
    /// archives left `building` are looked at: one claimed by a watcher of this machine that no
    /// longer runs (killed mid-build) is claimed again and built; one of another machine is named.
    func pass(first: Bool = false) async throws -> Int {
        let known = Set(try await client.listObjects(bucket: location.bucket, prefix: statePrefix).objects.map(\.key))
        var failed = 0
        for archive in try await archives() {
            // Interrupted: the archives left are for the next watch.
            if WatchSignals.received.load(ordering: .relaxed) != 0 { throw CancellationError() }
            let state = stateKey(archive)
            let source = "s3://\(location.bucket)/\(archive.key)"
            var claim = stateRecord(source: source, archive: archive, status: "building")
            let outcome: S3Client.WriteOutcome
            if known.contains(state) {
                guard retryFailed || first else { continue }
                guard let (record, etag) = try await readState(state) else {
                    // Damaged (a write cut off, an edit): neither built nor retried while it is there.
                    if !warnedDamaged.contains(state) {
                        warnedDamaged.insert(state)
                        say("warning: the state object s3://\(location.bucket)/\(state) of \(source) is damaged (not a state sitebuild can "
                            + "read): the archive is not built while it is there; delete that object to build it again")
                    }
                    continue
                }
                let recorded = record["status"]?.stringValue
                if recorded == "building" {
                    guard Self.claimIsStale(record) else {
                        if first {
                            say("\(source) is being built by \(record["watcher"]?.stringValue ?? "another watcher") since "
                                + "\(record["claimed"]?.stringValue ?? "?") (if that watcher was killed, delete s3://\(location.bucket)/\(state) "
                                + "to build it again)")
                        }
                        continue
                    }
                    say("\(source) was claimed by \(record["watcher"]?.stringValue ?? "?"), a watch of this machine that no longer runs: building it again")
                } else {
                    guard retryFailed, recorded == "failed", !attempted.contains(state) else { continue }
                }
                claim = stateRecord(source: source, archive: archive, status: "building", attempt: min(record["attempt"]?.intValue ?? 1, Int64.max - 1) + 1)
                outcome = try await client.putObject(bucket: location.bucket, key: state, body: .bytes(Array(claim.serialized().utf8)),
                                                     attributes: .init(contentType: "application/json"), condition: .etag(etag))
                if outcome == .etagMismatch { continue }
            } else {
                outcome = try await client.putObject(bucket: location.bucket, key: state, body: .bytes(Array(claim.serialized().utf8)),
                                                     attributes: .init(contentType: "application/json"), condition: .absent)
                if outcome == .alreadyExists { continue }
            }
            attempted.insert(state)
            say("building \(source) (claimed s3://\(location.bucket)/\(state))")
            let (status, version, versionTaken) = await runPipeline(source: source, archive: archive)
            if WatchSignals.received.load(ordering: .relaxed) != 0 && status != 0 {
                // Stopped by a signal (passed on to the run, which cleaned up): the claim is
                // released, so the next pass (here or another watcher's) builds it again.
                // (The watch's task is cancelled by now: the release runs outside it.)
                let client = self.client, bucket = location.bucket
                _ = await Task.detached { try? await client.deleteObjects(bucket: bucket, keys: [state]) }.value
                say("interrupted while building \(source) (exit status \(status)); its claim is released, the next pass builds it again")
                throw CancellationError()
            }
            // A run whose flip lost to another runner's flips again by itself (its version is
            // complete) unless a later upload has been claimed: then that upload's flip is (or
            // will be) the one that should stay, and this archive is superseded.
            var supersededBy: String?
            if status == ExitStatus.conflict, let newer = try await newerClaim(than: archive) {
                supersededBy = newer
            }
            var result = claim.objectFields
            result.removeAll { ["status", "exitStatus", "version", "finished"].contains($0.0) }
            result.append(("status", .string(supersededBy != nil ? "superseded" : status == 0 ? "succeeded" : "failed")))
            result.append(("exitStatus", .int(Int64(status))))
            if let version { result.append(("version", .string(version))) }
            if let supersededBy { result.append(("supersededBy", .string(supersededBy))) }
            result.append(("finished", .string(Self.timestamp())))
            // Only over this watch's own claim: a watch that took the archive over meanwhile (it
            // thought this one gone) keeps its record.
            let claimTag: String? = if case .stored(let etag) = outcome { etag } else { nil }
            let body = Array(JSONValue.object(result).serialized().utf8)
            var written = try await client.putObject(bucket: location.bucket, key: state, body: .bytes(body),
                                                     attributes: .init(contentType: "application/json"),
                                                     condition: claimTag.map { .etag($0) } ?? .none)
            // The claim deleted meanwhile (by hand, as a stuck claim's hint says): nobody took
            // it over, so the outcome is recorded, only without a condition to meet.
            if written == .etagMismatch, try await client.headObject(bucket: location.bucket, key: state) == nil {
                written = try await client.putObject(bucket: location.bucket, key: state, body: .bytes(body),
                                                     attributes: .init(contentType: "application/json"), condition: .absent)
            }
            if written == .etagMismatch || written == .alreadyExists {
                say("\(source): another watcher took this archive over while this one built it (exit status \(status)); its record stands")
                continue
            }
            if let supersededBy {
                say("built \(source), not made live: another runner flipped the pointer, and \(supersededBy) was uploaded later and is live or being deployed")
            } else if status == 0 {
                say("built \(source): live version \(version ?? "unchanged")")
            } else if versionTaken {
                failed += 1
                say("\(source) was built but not deployed: the version named after it already exists with other content (an archive "
                    + "uploaded again under the same name, or another whose name makes the same id: characters other than letters, "
                    + "digits, '.', '_' and '-' become '-', so release+2.zip and release-2.zip are both release-2), and versions "
                    + "are immutable, so a retry fails the same way. Upload the new "
                    + "content under a name no earlier upload had (the version is named after it), or watch with --version-id content")
            } else {
                failed += 1
                let again = retryFailed ? " by this watch (--retry-failed retries a failed build once per start): delete "
                    + "s3://\(location.bucket)/\(state) or start the watch again to build it again"
                    : ": delete s3://\(location.bucket)/\(state) or pass --retry-failed to build it again"
                say("the build of \(source) failed (exit status \(status)); it is not retried" + again)
            }
        }
        return failed
    }

    /// A later upload under the prefix (by LastModified, then key, as ``archives()`` orders
    /// them) that a watcher has claimed and not failed, as `s3://bucket/key`; nil when none.
    func newerClaim(than archive: S3Client.ObjectSummary) async throws -> String? {
        try await laterUpload(after: archive.lastModified ?? "", key: archive.key) { $0 != "failed" }
    }

    /// A later upload whose build succeeded, that is, was made live: an earlier archive flipped
    /// after it would put older content live over it.
    func newerLive(than uploaded: String, key: String) async throws -> String? {
        try await laterUpload(after: uploaded, key: key) { $0 == "succeeded" }
    }

    /// The latest upload after (`uploaded`, `key`) whose state object's status passes `status`.
    func laterUpload(after uploaded: String, key: String, status: (String?) -> Bool) async throws -> String? {
        let claimed = Set(try await client.listObjects(bucket: location.bucket, prefix: statePrefix).objects.map(\.key))
        for other in try await archives().reversed() where (other.lastModified ?? "", other.key) > (uploaded, key) && claimed.contains(stateKey(other)) {
            guard let (record, _) = try await readState(stateKey(other)), status(record["status"]?.stringValue) else { continue }
            return "s3://\(location.bucket)/\(other.key)"
        }
        return nil
    }

    /// Whether a `building` record was claimed by a watch that is certainly gone: a process of
    /// this very system (same boot id and pid namespace, as its `process` says) that no longer
    /// runs, or whose pid now belongs to a process started at another time. A host name and a
    /// pid alone are not enough: containers share host names, and each pid namespace numbers
    /// anew. A record without `process` (another machine, an older watch) is never stale.
    static func claimIsStale(_ record: JSONValue) -> Bool {
        guard let process = record["process"], let holder = WritingLock.parse(Array(process.serialized().utf8)) else { return false }
        return holder.isDeadHere
    }

    func stateRecord(source: String, archive: S3Client.ObjectSummary, status: String, attempt: Int64 = 1) -> JSONValue {
        .object([("source", .string(source)), ("etag", .string(archive.etag ?? "")), ("size", .int(archive.size)),
                 ("uploaded", .string(archive.lastModified ?? "")), ("status", .string(status)), ("attempt", .int(attempt)),
                 ("watcher", .string(ReleaseRecord.hostName() + ":\(getpid())")), ("claimed", .string(Self.timestamp())),
                 ("process", (try? JSONValue.parse(Data(WritingLock.mine(version: "watch").json))) ?? .null)])
    }

    func readState(_ key: String) async throws -> (JSONValue, String)? {
        let (info, body) = try await client.getObject(bucket: location.bucket, key: key)
        guard let etag = info.etag, let value = try? JSONValue.parse(Data(body)) else { return nil }
        return (value, etag)
    }

    static func timestamp() -> String { UTCTime.iso(Date(), milliseconds: false) }

    /// A line of the watcher's own; on stderr when the runs write JSON events to stdout
    /// (`-- --json`), which must hold nothing else.
    func say(_ line: String) { writeAll(runArguments.contains("--json") ? 2 : 1, Array("[Watch] \(line)\n".utf8)) }

    /// Runs `sitebuild run --source <source> …` with this binary, its output passed through;
    /// returns the exit status and the version it made live.
    /// `versionTaken`: the run stopped because the version it would write exists with other
    /// content (an archive uploaded again under its name, with the default zip-name ids).
    func runPipeline(source: String, archive: S3Client.ObjectSummary) async -> (status: Int32, version: String?, versionTaken: Bool) {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let arguments = ["run", "--source", source] + runArguments
        // The run checks, right before its flip, that no later upload has gone live meanwhile.
        var guarded = ProcessInfo.processInfo.environment
        guarded[WatchGuard.variable] = WatchGuard(bucket: location.bucket, prefix: location.prefix,
                                                  uploaded: archive.lastModified ?? "", key: archive.key).encoded
        let environment = guarded
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                process.environment = environment
                let output = Pipe(), errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                process.standardInput = FileHandle.nullDevice
                let pid: pid_t
                do {
                    // sitebuild's own child (its exit status is waited for below), not an orphan to reap.
                    pid = try OwnChildren.run(process)
                } catch {
                    printError("cannot start \(executable): \(error)")
                    continuation.resume(returning: (ExitStatus.deployFailed, nil, false))
                    return
                }
                // A signal the watch receives is passed on to the run (see WatchCommand.run).
                WatchSignals.child.withLock { $0 = pid }
                let pending = WatchSignals.received.load(ordering: .sequentiallyConsistent)
                if pending != 0 { kill(pid, pending) }
                // Both streams pass through as they come; run reports the flip on stderr
                // (on stdout with --json).
                let found = FoundVersion()
                let group = DispatchGroup()
                for (pipe, fd) in [(output, Int32(1)), (errors, Int32(2))] {
                    group.enter()
                    DispatchQueue.global().async {
                        Self.tee(pipe.fileHandleForReading, to: fd) { line in
                            if let version = Self.liveVersion(in: line) { found.value.withLock { $0 = version } }
                            if line.contains("already exists on"), line.contains("with different content") || line.contains("with different headers") {
                                found.versionTaken.withLock { $0 = true }
                            }
                        }
                        group.leave()
                    }
                }
                group.wait()
                let version = found.value.withLock { $0 }
                let versionTaken = found.versionTaken.withLock { $0 }
                process.waitUntilExit()
                OwnChildren.release(pid)
                WatchSignals.child.withLock { $0 = 0 }
                let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
                continuation.resume(returning: (status, version, versionTaken))
            }
        }
    }

    /// Copies `handle` to `fd` until its end, calling `line` with each complete line.
    static func tee(_ handle: FileHandle, to fd: Int32, line: (String) -> Void) {
        var pending: [UInt8] = []
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            writeAll(fd, Array(chunk))
            pending += chunk
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                line(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
    }

    /// The version in run's `live version is now <v> (was …)` line (or its JSON result).
    static func liveVersion(in line: String) -> String? {
        if let range = line.range(of: "live version is now ") {
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        if line.hasPrefix("{"), let value = try? JSONValue.parse(Data(line.utf8)), value["event"]?.stringValue == "result" {
            return value["version"]?.stringValue
        }
        return nil
    }
}

extension JSONValue {
    /// The fields of an object, in order (empty for other values).
    var objectFields: [(String, JSONValue)] {
        if case .object(let fields) = self { return fields }
        return []
    }
}

/// A signal the watch received (0: none) and the run it has started (0: none), so the
/// signal is passed on to it.
enum WatchSignals {
    static let received = Atomic<Int32>(0)
    static let child = Mutex<pid_t>(0)
}

/// The version a run reported, shared by the threads reading its output.
private final class FoundVersion: Sendable {
    let value = Mutex<String?>(nil)
    let versionTaken = Mutex(false)
}

/// What a watcher tells the `run` it starts (in `SITEBUILD_WATCH_GUARD`): the watched prefix and
/// the archive's place in upload order. Right before its flip the run checks that no later
/// upload has been made live meanwhile, and if one has, stops without flipping (exit 4; the
/// watcher then records the archive `superseded`).
struct WatchGuard {
    static let variable = "SITEBUILD_WATCH_GUARD"
    var bucket: String
    var prefix: String
    var uploaded: String
    var key: String

    var encoded: String {
        JSONValue.object([("bucket", .string(bucket)), ("prefix", .string(prefix)), ("uploaded", .string(uploaded)),
                          ("key", .string(key))]).serialized()
    }

    init(bucket: String, prefix: String, uploaded: String, key: String) {
        self.bucket = bucket
        self.prefix = prefix
        self.uploaded = uploaded
        self.key = key
    }

    init?(environment: [String: String]) {
        guard let text = environment[Self.variable], let value = try? JSONValue.parse(Data(text.utf8)),
              let bucket = value["bucket"]?.stringValue, let prefix = value["prefix"]?.stringValue,
              let uploaded = value["uploaded"]?.stringValue, let key = value["key"]?.stringValue else { return nil }
        self.init(bucket: bucket, prefix: prefix, uploaded: uploaded, key: key)
    }

    /// Whether a run that lost its flip to another runner's should flip again: yes unless an
    /// upload later than its archive has been claimed (and not failed), whose flip should stay.
    func noLaterClaim(context: AWSContext) async throws -> Bool {
        try await watcher(context).laterUpload(after: uploaded, key: key) { $0 != "failed" } == nil
    }

    private func watcher(_ context: AWSContext) throws -> Watcher {
        let client = try context.s3(for: "watch s3://\(bucket)/\(prefix)")
        return Watcher(client: client, location: S3Location(bucket: bucket, prefix: prefix), retryFailed: false, runArguments: [])
    }

    /// The check the run makes before its flip.
    func check(context: AWSContext, version: String) async throws {
        if let newer = try await watcher(context).newerLive(than: uploaded, key: key) {
            throw PointerConflict(expected: nil, found: nil, wanted: version,
                                  reason: "\(newer) was uploaded later and is already live; \(version) is complete but not made live")
        }
    }
}
