import BuildSpec
import Foundation
import SiteContent

/// Runs a buildspec the way the CodeBuild agent does: DOWNLOAD_SOURCE (environment,
/// cache restore), the four phases with CodeBuild's transitions, UPLOAD_ARTIFACTS,
/// exported variables and the cache save, logging in CodeBuild's shape.
public final class BuildEngine {
    let spec: BuildSpec
    let configuration: BuildConfiguration
    let log: BuildLog
    let cancellation: Cancellation
    let secrets: SecretSource
    let runner = ProcessRunner()

    // Build state.
    private var session: ShellSession?
    private var environment: [String: String] = [:]
    private var phases: [PhaseRecord] = []
    private var buildFailed = false
    private var phaseFailed = false
    private var processGroups: [pid_t] = []
    /// Output of background processes whose command has ended (``LingeringOutput``); made
    /// with the first such process.
    private var lingering: LingeringOutput?
    private var backgroundStopped = false
    private var deadline: ContinuousClock.Instant = .now
    private let buildUUID = UUID().uuidString.lowercased()
    private var buildNumber = 1
    private var failureKind: BuildResult.FailureKind?

    public init(spec: BuildSpec, configuration: BuildConfiguration, log: BuildLog,
                cancellation: Cancellation = Cancellation(), secrets: SecretSource = UnavailableSecretSource()) {
        self.spec = spec
        self.configuration = configuration
        self.log = log
        self.cancellation = cancellation
        self.secrets = secrets
    }

    /// The CodeBuild build sitebuild runs inside, if it does: its id, ARN and number are the
    /// build's (the result's, the log's, the commands' CODEBUILD_* variables), as users look
    /// the build up in the CodeBuild console by them.
    var codeBuild: CodeBuildEnvironment.Build? { CodeBuildEnvironment.build(configuration.baseEnvironment) }

    var buildId: String { codeBuild?.id ?? "\(configuration.projectName):\(buildUUID)" }

    /// The build's ARN: CodeBuild's inside CodeBuild (nil if it sets none), else one in the
    /// shape of CodeBuild's under account 000000000000 (as CodeBuild's local agent fakes it).
    var buildArn: String? {
        if let codeBuild { return codeBuild.arn }
        let env = configuration.baseEnvironment
        let region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? "us-east-1"
        return "arn:aws:codebuild:\(region):000000000000:build/\(buildId)"
    }

    // MARK: - The build

    public func run() -> BuildResult {
        // The build started when its source began to be fetched (before this engine runs, for a
        // git, ZIP or S3 source): CodeBuild counts the fetch in DOWNLOAD_SOURCE, the build's
        // duration and its timeout alike.
        let started = ContinuousClock.now - configuration.timeUsedBeforeBuild
        let startDate = Date(timeIntervalSinceNow: -configuration.timeUsedBeforeBuild.seconds)
        deadline = started + configuration.timeout
        var status = BuildStatus.succeeded
        var message: String?
        var artifacts: [ArtifactOutput] = []
        var reports: [(String, [String])] = []
        var exported: [(String, String)] = []

        defer {
            stopBackgroundProcesses()
            session?.remove()
        }

        log.event("build_started", [("buildId", .string(buildId)), ("source", .string(configuration.sourceDirectory)),
                                    ("buildspec", .string(configuration.buildspecPath))])
        let stoppedDuringSource: Cancellation.Reason?
        do {
            stoppedDuringSource = try downloadSource(startDate: startDate, started: started)
        } catch {
            message = "\(error)"
            let code = (error as? DownloadSourceFailure)?.code ?? "CLIENT_ERROR"
            log.container("Phase complete: DOWNLOAD_SOURCE State: FAILED")
            log.container("Phase context status code: \(code) Message: \(error)")
            record("DOWNLOAD_SOURCE", "FAILED", since: started, code: code, message: "\(error)")
            failureKind = error is BuildInputError || (error as? DownloadSourceFailure)?.isInput == true ? .invalidInput : .remote
            return finish(.fault, message: message, started: started, artifacts: [], reports: [], exported: [])
        }

        var uploadArtifacts = true
        if let reason = stoppedDuringSource {
            (status, message) = interrupted(reason)
            uploadArtifacts = false
        }
        phaseLoop: for name in PhaseName.allCases where stoppedDuringSource == nil {
            let phase = spec.phases[name] ?? Phase()
            var attempt = 1
            let failedBefore = buildFailed
            while true {
                let outcome = runPhase(name, phase, attempt: attempt)
                switch outcome {
                case .interrupted(let reason):
                    (status, message) = interrupted(reason)
                    uploadArtifacts = false
                    break phaseLoop
                case .finished(let failed, let output, let failureMessage):
                    let next = PhaseTransition.after(name, failed: failed, onFailure: phase.onFailure,
                                                     attempt: attempt, output: output, message: failureMessage)
                    if failed { buildFailed = true }
                    switch next {
                    case .retry:
                        attempt += 1
                        log.container("Retrying phase \(name.logName): attempt \(attempt) (on-failure is \(describe(phase.onFailure)))")
                        buildFailed = failedBefore
                        continue
                    case .proceed:
                        continue phaseLoop
                    case .stop(let upload):
                        uploadArtifacts = upload
                        if phase.onFailure == .abort {
                            log.container("Phase \(name.logName) failed with on-failure: ABORT; stopping the build")
                        }
                        break phaseLoop
                    }
                }
            }
        }

        if status == .succeeded || status == .failed {
            if buildFailed { status = .failed }
            exported = readExportedVariables()
            if uploadArtifacts {
                let phaseStart = ContinuousClock.now
                // CodeBuild's log has no "Entering phase" line for UPLOAD_ARTIFACTS: its first line
                // is "Expanding base directory path". The JSON stream still marks the start.
                log.event("phase_started", [("phase", .string("UPLOAD_ARTIFACTS")), ("attempt", .int(1))])
                do {
                    (artifacts, reports) = try uploadArtifactsPhase()
                    log.container("Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED")
                    log.container("Phase context status code:  Message: ")
                    record("UPLOAD_ARTIFACTS", "SUCCEEDED", since: phaseStart)
                } catch let failure as ArtifactFailure {
                    status = .failed
                    message = failure.message
                    log.container("Phase complete: UPLOAD_ARTIFACTS State: FAILED")
                    log.container("Phase context status code: CLIENT_ERROR Message: \(failure.message)")
                    record("UPLOAD_ARTIFACTS", "FAILED", since: phaseStart, code: "CLIENT_ERROR", message: failure.message)
                } catch {
                    status = .failed
                    message = "\(error)"
                    log.container("Phase complete: UPLOAD_ARTIFACTS State: FAILED")
                    log.container("Phase context status code: CLIENT_ERROR Message: \(error)")
                    record("UPLOAD_ARTIFACTS", "FAILED", since: phaseStart, code: "CLIENT_ERROR", message: "\(error)")
                }
            }
            // A signal (or the timeout) that came after the last command, while the artifacts
            // were collected: the build still ends interrupted, so nothing deploys what it made.
            if let reason = cancellation.reason, status == .succeeded || status == .failed {
                (status, message) = interrupted(reason)
            }
            if status == .succeeded {
                saveCache()
                // A signal while the cache was saved (a large node_modules takes a while): the
                // build still ends interrupted, so `run` deploys nothing.
                if let reason = cancellation.reason { (status, message) = interrupted(reason) }
            }
        } else if session != nil {
            // Timed out or stopped: the values are still those at the end of the build (as
            // the last command that finished left them), as for a failed build; an emptied
            // --exported-variables-file would lose them.
            exported = readExportedVariables()
        }
        return finish(status, message: message, started: started, artifacts: artifacts, reports: reports, exported: exported)
    }

    /// Ends the phase `name` as CodeBuild logs a stopped or timed-out one.
    private func recordInterruption(_ name: String, _ reason: Cancellation.Reason, since start: ContinuousClock.Instant, attempt: Int = 1) {
        let (state, code, text) = reason == .timedOut
            ? ("TIMED_OUT", "BUILD_TIMED_OUT", "Build has timed out. ")
            : ("STOPPED", "BUILD_STOPPED", "Build was stopped. ")
        log.container("Phase complete: \(name) State: \(state)")
        log.container("Phase context status code: \(code) Message: \(text)")
        record(name, state, since: start, code: code, message: text, attempt: attempt)
    }

    /// How a build cut off by `reason` ends: its status and message.
    private func interrupted(_ reason: Cancellation.Reason) -> (BuildStatus, String) {
        reason == .timedOut
            ? (.timedOut, "the build timed out after \(formatDuration(configuration.timeout)) (set --timeout to allow longer)")
            : (.stopped, "the build was interrupted")
    }

    private func finish(_ status: BuildStatus, message: String?, started: ContinuousClock.Instant,
                        artifacts: [ArtifactOutput], reports: [(String, [String])], exported: [(String, String)]) -> BuildResult {
        let duration = (ContinuousClock.now - started).milliseconds
        var result = BuildResult(status: status, buildId: buildId, buildArn: buildArn, buildNumber: buildNumber, phases: phases,
                                 exportedVariables: exported.map { ($0.0, log.mask($0.1)) }, artifacts: artifacts,
                                 reports: reports.map { (group: $0.0, files: $0.1) },
                                 durationMilliseconds: duration, message: message.map(log.mask), failureKind: failureKind)
        result.exportedValues = exported.map { (name: $0.0, value: $0.1) }
        let buildLog = self.log
        result.mask = { buildLog.mask($0) }
        result.wouldReveal = { buildLog.wouldReveal($0) }
        // Before the last line: the status ends the log (background processes wrote up to here).
        stopBackgroundProcesses()
        log.container("Build \(status == .succeeded ? "succeeded" : "ended") with status \(status.rawValue)" + (message.map { ": \($0)" } ?? ""))
        // status and message at the top too, as every other result event has them (the CLI's
        // own, and the deploy's that ends a run's stream); the whole result nested.
        // A failed build's message is its failed phase's (the first), as the log line says it.
        // A build that succeeded (a retried phase passed) has no failure to tell; a phase
        // retried to no avail tells its last attempt's.
        let firstFailed = phases.first { $0.status == "FAILED" }
        let topMessage = result.message ?? (status == .succeeded ? nil
            : phases.last { $0.status == "FAILED" && $0.name == firstFailed?.name }.map { $0.contextMessage })
        log.event("result", [("status", .string(result.status.rawValue)), ("message", topMessage.map(JSONValue.string) ?? .null),
                             ("result", result.json)])
        return result
    }

    // MARK: - DOWNLOAD_SOURCE

    /// Returns why the build was stopped during the phase (a signal, the timeout), if it was.
    private func downloadSource(startDate: Date, started phaseStart: ContinuousClock.Instant) throws -> Cancellation.Reason? {
        let source = configuration.sourceDirectory
        if let codeBuild {
            // CodeBuild's own first line names its fleet; this one names the build, as the
            // console lists it (id, number, who started it).
            let details = [codeBuild.number.map { "build number \($0)" }, codeBuild.initiator.map { "started by \($0)" }].compactMap { $0 }
            log.container("Running on sitebuild inside CodeBuild build \(codeBuild.id)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
        } else {
            log.container("Running on sitebuild (local build)")
        }
        log.container("Phase is DOWNLOAD_SOURCE")
        log.event("phase_started", [("phase", .string("DOWNLOAD_SOURCE")), ("attempt", .int(1))])
        log.container("CODEBUILD_SRC_DIR=\(source)")
        log.container("YAML location is \(configuration.buildspecPath)")
        // As CodeBuild's agent says of a phase written without commands (an install phase with
        // only runtime-versions); " INSTALL: 0 commands" still follows in the phase list.
        for name in PhaseName.allCases where spec.phases[name]?.commands.isEmpty == true {
            log.container("No commands found for phase name: \(name.rawValue)")
        }
        if let batch = spec.batch {
            log.warning("batch (\(batch.kinds.joined(separator: ", "))) is not supported locally; running one ordinary build")
        }
        if let proxy = spec.proxy {
            log.container("proxy settings (upload-artifacts: \(proxy.uploadArtifacts ? "yes" : "no"), logs: \(proxy.logs ? "yes" : "no")) have no effect in a local build")
        }
        if spec.env.gitCredentialHelper {
            log.container("git-credential-helper: git uses this machine's own credential configuration")
        }
        if let artifacts = spec.artifacts {
            // CodeBuild uploads under the prefix; a local build writes --out and --zip as they are.
            for (key, block) in [("artifacts", artifacts)] + artifacts.secondary.map({ ("artifacts.secondary-artifacts.\($0.identifier)", $0.artifacts) }) {
                guard let prefix = block.s3Prefix else { continue }
                log.warning("\(key).s3-prefix '\(prefix)' has no effect in a local build: the files are written to --out or --zip as they are; "
                    + "to deploy under a prefix, give it in the deploy target (--target s3://bucket/\(prefix))")
            }
        }
        log.container("Processing environment variables")
        try composeEnvironment(startDate: startDate)
        // A killed sitebuild's commands outlive it (each runs in a session of its own): one
        // still writing into this source would mix an earlier build's files into this one's.
        let orphans = LeftoverProcesses.stopOrphans(source: configuration.sourceDirectory, grace: runner.killGrace)
        if orphans > 0 {
            log.container("Stopped \(orphans) process(es) an earlier build of \(configuration.sourceDirectory) left running "
                + "(its sitebuild was killed)")
        }

        let runtimeCommands = try selectRuntimes()
        let otherUsers = try resolveRunAs()
        session = try ShellSession(shell: spec.env.shell, isolated: spec.version == .v0_1, sourceDirectory: source,
                                   cacheDirectory: configuration.cacheDirectory, sharedWithOtherUsers: otherUsers)
        session?.warn = { [log] message in log.container(message) }
        session?.stateGone = { [log] directory in
            log.warning("the command removed sitebuild's shell state (\(directory)), which holds the build's variables and directory "
                + "between commands; later commands cannot run. Leave it in place (it is in sitebuild's cache directory, "
                + "SITEBUILD_CACHE_DIR, or in the temporary directory when run-as users cannot enter that one)")
        }
        session?.directoryGone = { [log] directory in
            log.warning("the directory the last command ended in (\(directory)) no longer exists; exported variables, "
                + "artifacts.name and variables in base-directory are read from the source directory \(source)")
        }
        session?.shared = otherUsers
        log.container("Moving to directory \(source)")
        // The image's commands for the selected runtimes run here, as CodeBuild runs them (in
        // DOWNLOAD_SOURCE, right after the selection), in the build's shell: what they export
        // (`JAVA_HOME`) holds for every phase. Not as the run-as user: they switch the image's
        // tools (`n`, `pyenv global`).
        for command in runtimeCommands {
            if ContinuousClock.now >= deadline { cancellation.cancel(.timedOut) }
            if cancellation.isCancelled { break }
            let (status, _) = runCommand(command, phase: "DOWNLOAD_SOURCE", user: nil)
            if cancellation.isCancelled { break }
            if status != 0 {
                log.container("Command did not exit successfully \(command.text) exit status \(status)")
                throw DownloadSourceFailure(code: "COMMAND_EXECUTION_ERROR",
                                            message: "Error while executing command: \(command.text). Reason: exit status \(status)")
            }
        }
        if ContinuousClock.now >= deadline { cancellation.cancel(.timedOut) }
        if !cancellation.isCancelled { restoreCache() }
        if let reason = cancellation.reason {
            // Stopped or timed out here: this phase says so, and no other runs.
            recordInterruption("DOWNLOAD_SOURCE", reason, since: phaseStart)
            return reason
        }
        let defined = PhaseName.allCases.filter { spec.phases[$0] != nil }
        log.container("Phases found in YAML: \(defined.count)")
        for name in defined {
            log.container(" \(name.logName): \(spec.phases[name]!.commands.count) commands")
        }
        log.container("Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED")
        log.container("Phase context status code:  Message: ")
        record("DOWNLOAD_SOURCE", "SUCCEEDED", since: phaseStart)
        return nil
    }

    /// Whether CodeBuild itself sets `name` in every build (its region, HOME, PATH from the
    /// image, its CODEBUILD_* variables, the container's credentials endpoint): not a project's
    /// variable, which CodeBuild's precedence over the buildspec is about. A CODEBUILD_ name of
    /// the project's own (`CODEBUILD_CACHE_BUCKET`) is one.
    static func setByCodeBuild(name: String) -> Bool {
        ["AWS_REGION", "AWS_DEFAULT_REGION", "HOME", "PATH"].contains(name) || CodeBuildVariables.isProvided(name) || name.hasPrefix("AWS_CONTAINER_")
    }

    /// What the calling CodeBuild project says about its own source.
    static let callerSourceVariables: Set<String> = ["CODEBUILD_RESOLVED_SOURCE_VERSION", "CODEBUILD_SOURCE_VERSION", "CODEBUILD_SOURCE_REPO_URL"]

    private func composeEnvironment(startDate: Date) throws {
        var env = configuration.baseEnvironment
        let inCodeBuild = CodeBuildEnvironment.isInside(env)
        if configuration.sourceIsFetched {
            for name in env.keys where Self.callerSourceVariables.contains(name) || name.hasPrefix("CODEBUILD_WEBHOOK_")
                || name.hasPrefix("CODEBUILD_SOURCE_VERSION_") || name.hasPrefix("CODEBUILD_SOURCE_REPO_URL_") {
                env[name] = nil
            }
        }
        // GIT_CEILING_DIRECTORIES from the source keeps git from reading an enclosing repository.
        for (name, value) in configuration.sourceVariables { env[name] = value }
        let git = GitInfo.read(configuration.sourceDirectory, environment: env)
        // Inside CodeBuild the real build number is the one to report (and sitebuild's own
        // count is left alone).
        buildNumber = codeBuild?.number ?? nextBuildNumber()
        let region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? "us-east-1"
        var codebuild: [(String, String)] = [
            ("CODEBUILD_SRC_DIR", configuration.sourceDirectory),
            ("CODEBUILD_BUILD_SUCCEEDING", "1"),
        ]
        // Inside CodeBuild the build's start is CodeBuild's: it times the same build as its
        // console, its CloudWatch log and the commands that ran before sitebuild.
        if !inCodeBuild || env["CODEBUILD_START_TIME"]?.isEmpty != false {
            codebuild.append(("CODEBUILD_START_TIME", String(Int64(startDate.timeIntervalSince1970 * 1000))))
        }
        if !inCodeBuild {
            codebuild += [
                ("CODEBUILD_BUILD_ID", buildId),
                ("CODEBUILD_BUILD_ARN", buildArn ?? ""),
                ("CODEBUILD_BUILD_NUMBER", String(buildNumber)),
                ("CODEBUILD_BUILD_IMAGE", "sitebuild/local"),
                ("CODEBUILD_INITIATOR", env["USER"] ?? env["LOGNAME"] ?? "sitebuild"),
                ("CODEBUILD_LOG_PATH", buildUUID),
                ("CODEBUILD_LOCAL_BUILD", "true"),
                ("CODEBUILD_CI", "false"),
                ("CODEBUILD_PROJECT_ARN", "arn:aws:codebuild:\(region):000000000000:project/\(configuration.projectName)"),
            ]
        }
        if let commit = git.commit {
            codebuild.append(("CODEBUILD_RESOLVED_SOURCE_VERSION", commit))
            if !inCodeBuild { codebuild.append(("CODEBUILD_SOURCE_VERSION", commit)) }
        }
        if let url = git.remoteURL, !inCodeBuild { codebuild.append(("CODEBUILD_SOURCE_REPO_URL", url)) }
        for (name, value) in codebuild { env[name] = value }
        for (name, value) in configuration.sourceVariables { env[name] = value }
        if let helpers = configuration.helperDirectory {
            env["PATH"] = helpers + ":" + (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        }

        if inCodeBuild {
            // CodeBuild gives its project's variables and start-build overrides precedence over
            // the buildspec's; here they are the process environment, which the buildspec
            // beats (outside CodeBuild a shell's leftovers must not). Which of them are the
            // project's (not the image's, which the buildspec does beat) cannot be told: said.
            let overridden = Set(configuration.overrides.map(\.name))
            // The environment as CodeBuild gave it (sitebuild adds its helpers to PATH), and not
            // PATH itself: the image's, which the buildspec beats in CodeBuild too.
            let given = configuration.baseEnvironment
            // CodeBuild's precedence covers all of the buildspec's env sections: a name the
            // buildspec fetches from Parameter Store or Secrets Manager shadows a project's
            // variable as one in env.variables does (their values are never compared: the
            // secret would have to be fetched, and neither is ever shown). Variables CodeBuild
            // sets itself (its region, HOME, CODEBUILD_*) are no project's: not named.
            let sections: [(names: [String], section: String)] = [
                (spec.env.variables.filter { name, value in given[name] != nil && given[name] != value }.map(\.0), "env.variables"),
                (spec.env.parameterStore.map(\.name).filter { given[$0] != nil }, "env.parameter-store"),
                (spec.env.secretsManager.map(\.name).filter { given[$0] != nil }, "env.secrets-manager"),
            ].map { ($0.0.filter { !overridden.contains($0) && !Self.setByCodeBuild(name: $0) }, $0.1) }.filter { !$0.names.isEmpty }
            let shadowed = sections.flatMap(\.names)
            if !shadowed.isEmpty {
                let names = sections.count == 1 ? shadowed.joined(separator: ", ")
                    : sections.flatMap { section in section.names.map { "\($0) (\(section.section))" } }.joined(separator: ", ")
                log.warning("\(names) \(shadowed.count == 1 ? "is" : "are") set in this CodeBuild build's environment and in the buildspec's "
                    + sections.map(\.section).joined(separator: ", ")
                    + ": the buildspec's value\(shadowed.count == 1 ? " is" : "s are") used. If \(shadowed.count == 1 ? "it is" : "they are") "
                    + "the project's environment variables or start-build overrides, CodeBuild would use those: pass "
                    + shadowed.map { "--env \($0)" }.joined(separator: " ") + " to sitebuild to keep them")
            }
        }
        for (name, value) in spec.env.variables { env[name] = value }
        // A parameter name or secret id may name a variable (`COMMITID: $SSM_PARAM_COMMITID`, as
        // the Hosting Toolkit's S3-mode buildspec does with its project's variables): expanded
        // from the environment so far, the build's --env and --env-file included.
        var references = env
        for (name, value) in configuration.overrides { references[name] = value }
        func expanded(_ text: String, _ key: String) throws -> String {
            let (result, missing) = Self.expandReferences(text, in: references)
            if let name = missing.first {
                throw BuildInputError("\(key): '\(text)' refers to the variable \(name), which is not set; set it (--env \(name)=…) or write the name itself")
            }
            return result
        }
        // A name --env or --env-file sets keeps that value (set below): its parameter or
        // secret is not fetched, as the project's variable wins in CodeBuild.
        let overriddenNames = Set(configuration.overrides.map(\.name))
        let parameterStore = spec.env.parameterStore.filter { !overriddenNames.contains($0.name) }
        if !parameterStore.isEmpty {
            let names = try parameterStore.map { try expanded($0.parameter, "env.parameter-store.\($0.name)") }
            let values = try secrets.parameters(named: names)
            for ((name, _), parameter) in zip(parameterStore, names) {
                guard let value = values[parameter] else {
                    throw SecretSourceError("env.parameter-store.\(name): the parameter '\(parameter)' was not found")
                }
                log.addSecrets([value])
                env[name] = value
            }
        }
        for (name, written) in spec.env.secretsManager where !overriddenNames.contains(name) {
            var reference = written
            reference.secretId = try expanded(written.secretId, "env.secrets-manager.\(name)")
            let value = try secrets.secret(reference)
            log.addSecrets([value])
            env[name] = value
        }
        for (name, value) in configuration.overrides { env[name] = value }
        // Credentials never reach the log, whatever a command prints.
        // So do the git tokens sitebuild itself uses for sources (they stay in the environment:
        // build steps use GITHUB_TOKEN for registries and APIs).
        // The container endpoint's authorization token (ECS, EKS Pod Identity), given as is or
        // in a file, is one as well: it obtains the task role's credentials.
        let containerToken = env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        log.addSecrets((["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                         "SITEBUILD_GIT_TOKEN", "GITHUB_TOKEN"]
            .compactMap { env[$0] } + [containerToken].compactMap { $0 } + configuration.credentialValues).filter { $0.count >= 8 })
        // A password written in a URL (`SITEBUILD_SOURCE=https://user:pass@host/…`, a proxy
        // or registry URL) is a credential too, wherever a command prints the variable.
        log.addSecrets(env.values.flatMap(Self.urlPasswords).filter { $0.count >= 4 })
        env["CODEBUILD_SRC_DIR"] = configuration.sourceDirectory
        // Marks every process of this build, so that those which leave its process groups
        // (setsid, daemons) are found and stopped when it ends.
        env[LeftoverProcesses.variable] = buildUUID
        // …and, should sitebuild itself be killed, lets the next build of this source find
        // what this one left running.
        env[LeftoverProcesses.sourceVariable] = configuration.sourceDirectory
        env[LeftoverProcesses.ownerVariable] = LeftoverProcesses.owner
        environment = env
    }

    /// The passwords of the `scheme://user:password@host` URLs in `text`, as written and
    /// percent-decoded.
    static func urlPasswords(in text: String) -> [String] {
        guard text.contains("://"), text.contains("@") else { return [] }
        var found: [String] = []
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            let authority = rest[scheme.upperBound...].prefix { !"/?# \t\n\"'".contains($0) }
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                // `user:password@`, or a token alone as the user (`https://ghp_…@github.com/…`,
                // GitHub's and GitLab's form): a user name that long is no name.
                let secret: Substring? = userInfo.firstIndex(of: ":").map { userInfo[userInfo.index(after: $0)...] }
                    ?? (rest[..<scheme.lowerBound].hasSuffix("http") || rest[..<scheme.lowerBound].hasSuffix("https")
                        ? (userInfo.count >= 20 ? userInfo : nil) : nil)
                if let secret, !secret.isEmpty {
                    let password = String(secret)
                    found.append(password)
                    if let decoded = password.removingPercentEncoding, decoded != password { found.append(decoded) }
                }
            }
            rest = rest[scheme.upperBound...]
        }
        return found
    }

    /// `text` with `$NAME` and `${NAME}` replaced from `environment`, and the names that were
    /// not set. A `$` followed by anything else stays as it is.
    public static func expandReferences(_ text: String, in environment: [String: String]) -> (String, missing: [String]) {
        guard text.contains("$") else { return (text, []) }
        var result = ""
        var missing: [String] = []
        var rest = Substring(text)
        func isNameCharacter(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            var after = rest[rest.index(after: dollar)...]
            var name: Substring
            if after.first == "{", let close = after.firstIndex(of: "}") {
                name = after[after.index(after: after.startIndex)..<close]
                after = after[after.index(after: close)...]
            } else {
                name = after.prefix { isNameCharacter($0) }
                after = after.dropFirst(name.count)
            }
            guard let first = name.first, !first.isNumber, name.allSatisfy(isNameCharacter) else {
                result += "$"
                rest = rest[rest.index(after: dollar)...]
                continue
            }
            if let value = environment[String(name)] { result += value } else { missing.append(String(name)) }
            rest = after
        }
        result += rest
        return (result, missing)
    }

    /// Logs the buildspec's `runtime-versions` as CodeBuild does and returns the commands
    /// that select them: from the image's runtime catalog (``RuntimeCatalog``:
    /// SITEBUILD_RUNTIMES_FILE, else CodeBuild's own path) when there is one, where a runtime
    /// or version it does not have fails the build as CodeBuild fails it; none without one.
    private func selectRuntimes() throws -> [Command] {
        let runtimes = spec.phases[.install]?.runtimeVersions ?? []
        guard !runtimes.isEmpty else {
            log.container("No runtime version selected in buildspec.")
            return []
        }
        let given = configuration.baseEnvironment["SITEBUILD_RUNTIMES_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let path = given ?? RuntimeCatalog.imagePath
        var catalog: RuntimeCatalog?
        if let data = FileManager.default.contents(atPath: path) {
            do {
                catalog = try RuntimeCatalog(yaml: String(decoding: data, as: UTF8.self))
            } catch {
                log.warning("cannot read the runtime catalog \(path) (\(error)); runtime-versions are not switched")
            }
        } else if given != nil {
            throw BuildInputError("SITEBUILD_RUNTIMES_FILE: cannot read \(path); give the image's runtimes.yml or unset the variable")
        }
        var commands: [Command] = []
        for runtime in runtimes {
            // A variable (`ruby: $MY_RUBY_VAR`, as CodeBuild documents) is logged resolved, as CodeBuild logs it.
            let version = Self.expandReferences(runtime.version, in: environment).0
            log.container("Selecting '\(runtime.name)' runtime version '\(version)' based on manual selections...")
            guard let catalog else { continue }
            switch catalog.select(runtime.name, version) {
            case .version(let chosen):
                commands += chosen.commands.map { Command($0) }
            case .unknownRuntime(let available):
                throw DownloadSourceFailure(code: "YAML_FILE_ERROR", isInput: true,
                    message: "Unknown runtime named '\(runtime.name)'. This build image has the following runtimes: "
                        + available.joined(separator: ", "))
            case .unknownVersion(let available):
                throw DownloadSourceFailure(code: "YAML_FILE_ERROR", isInput: true,
                    message: "Unknown runtime version named '\(version)' of \(runtime.name). This build image has the following versions: "
                        + available.joined(separator: ", "))
            }
        }
        if catalog == nil {
            compareInstalledRuntimes(runtimes.map { ($0.name, Self.expandReferences($0.version, in: environment).0) })
        }
        return commands
    }

    /// Without a runtime catalog nothing is switched and the build runs with the tools on
    /// PATH: for the runtimes whose version is cheap to read (``InstalledRuntime``), each
    /// tool on the build's PATH is asked (in the build's environment, a few seconds at most)
    /// and one line says which requested versions what is installed meets; a warning each
    /// names a version that is not met, or a runtime that is not installed.
    private func compareInstalledRuntimes(_ runtimes: [(name: String, version: String)]) {
        let advice = "or use a CodeBuild image"
        var met: [String] = []
        var unchecked: [String] = []
        for (name, version) in runtimes {
            // Stopped (a signal, the timeout): no more tools are asked, and the phase ends stopped.
            if ContinuousClock.now >= deadline { cancellation.cancel(.timedOut) }
            if cancellation.isCancelled { return }
            let asked = "runtime-versions asks \(name) \(version)"
            guard let probe = InstalledRuntime.probe(for: name) else {
                unchecked.append("\(name) \(version)")
                continue
            }
            guard let tool = CapturedCommand.find(probe.tool, environment: environment, usualPlaces: false) else {
                log.warning("\(asked), this machine has no \(probe.tool) on PATH: install \(name) \(version) \(advice)")
                continue
            }
            let said = "`\(probe.tool) \(probe.arguments.joined(separator: " "))`"
            let outcome = Self.readVersion(tool, probe.arguments, environment: environment, in: configuration.sourceDirectory,
                                           stoppedBy: cancellation)
            if cancellation.isCancelled { return }
            guard case .success(let output) = outcome,
                  let installed = InstalledRuntime.installedVersion(runtime: name, output: output) else {
                let why: String
                switch outcome {
                case .failure(let reason): why = reason.description
                case .success: why = "its output has no version"
                }
                log.warning("\(asked); \(said) did not tell which version this machine has (\(why)): "
                    + "the build runs with the \(probe.tool) on PATH; install \(name) \(version) \(advice)")
                continue
            }
            // A bare number (`v18.20.4`, dotnet's `8.0.100`) is shown with the tool's name.
            let bare = installed.shown.drop { $0 == "v" }.first.map { $0.isASCII && $0.isNumber } ?? true
            let shown = bare ? "\(probe.tool) \(installed.shown)" : installed.shown
            guard let requested = InstalledRuntime.requestedNumbers(version) else {
                log.warning("\(asked), which names no version number to compare with this machine's \(shown) "
                    + "(give a number, as in 18, 3.11, 18.x or corretto17, or latest): the build runs with it")
                continue
            }
            if InstalledRuntime.meets(installed: installed.numbers, requested: requested) {
                met.append("\(name) \(version) → \(shown) here")
            } else {
                log.warning("\(asked), this machine has \(shown): the build runs with it; install \(name) \(version) \(advice)")
            }
        }
        if !unchecked.isEmpty {
            met.append(unchecked.joined(separator: ", ") + " not checked (sitebuild reads the installed version of "
                + InstalledRuntime.probed.joined(separator: ", ") + ")")
        }
        if !met.isEmpty { log.container("runtime-versions: " + met.joined(separator: "; ")) }
    }

    /// Seconds a tool has to tell its version.
    static let versionTimeout = 5.0

    /// A tool's stdout and stderr (`java -version` writes to stderr), or why it told nothing. Run
    /// in `directory` (the source directory, where the build's commands start): a version
    /// manager's file there (`.python-version`, `.nvmrc` with a shim, asdf's `.tool-versions`)
    /// chooses the version they get. The build stopped (`build`, a signal or its timeout), the
    /// tool is stopped at once, not after its few seconds.
    static func readVersion(_ tool: String, _ arguments: [String], environment: [String: String],
                            in directory: String, stoppedBy build: Cancellation) -> Result<String, VersionReadFailure> {
        let stop = Cancellation(following: build)
        DispatchQueue.global().asyncAfter(deadline: .now() + versionTimeout) { stop.cancel(.timedOut) }
        do {
            let command = ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory, tool] + arguments
            let output = try CapturedCommand.run(command, environment: environment, cancellation: stop, killGrace: 1)
            if build.isCancelled { return .failure(VersionReadFailure("the build was stopped")) }
            if stop.isCancelled, !output.succeeded { return .failure(VersionReadFailure("it did not answer in \(Int(versionTimeout)) s")) }
            guard output.succeeded else {
                let text = (output.stderrText.isEmpty ? output.stdoutText : output.stderrText).split(whereSeparator: \.isNewline).first.map(String.init)
                let status: String = switch output.termination {
                case .exited(let code): "exit status \(code)"
                case .signalled(let signal): "signal \(signal)"
                }
                return .failure(VersionReadFailure(text.map { "\(status): \($0.prefix(200))" } ?? status))
            }
            return .success(output.stdoutText + "\n" + output.stderrText)
        } catch {
            return .failure(VersionReadFailure("\(error)"))
        }
    }

    struct VersionReadFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private func nextBuildNumber() -> Int {
        let dir = configuration.cacheDirectory + "/build-numbers"
        let file = dir + "/" + ContentHash(of: configuration.cacheSlot ?? configuration.sourceDirectory).hex
        let text = FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        var previous = text.flatMap { Int($0) } ?? 0
        // A count no run wrote (negative, garbage, or the largest number, which has no next):
        // said, and counted again from 1.
        if let text, Int(text).map({ $0 < 0 || $0 == Int.max }) ?? true {
            log.warning("the build number in \(file) is not one sitebuild writes (\(ExtractionError.escaped(Array(text.utf8.prefix(40))))); "
                + "numbering starts again at 1 (delete the file to silence this)")
            previous = 0
        }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? Data(String(previous + 1).utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        return previous + 1
    }

    // MARK: - Phases

    enum PhaseOutcome {
        /// `output`: the failed command's output tail; `message`: the phase's context message
        /// (both masked), which `RETRY-<regex>` is matched against.
        case finished(failed: Bool, output: String, message: String)
        case interrupted(Cancellation.Reason)
    }

    private func runPhase(_ name: PhaseName, _ phase: Phase, attempt: Int) -> PhaseOutcome {
        let phaseStart = ContinuousClock.now
        log.container("Entering phase \(name.logName)")
        log.event("phase_started", [("phase", .string(name.logName)), ("attempt", .int(Int64(attempt)))])
        phaseFailed = false
        var failure: (command: String, status: Int32, output: String)?

        func runList(_ commands: [Command]) -> Cancellation.Reason? {
            for command in commands {
                if ContinuousClock.now >= deadline { cancellation.cancel(.timedOut) }
                if let reason = cancellation.reason { return reason }
                let (status, output) = runCommand(command, phase: name.logName, user: runAs(for: name))
                if let reason = cancellation.reason { return reason }
                if status != 0 {
                    log.container("Command did not exit successfully \(command.text) exit status \(status)")
                    phaseFailed = true
                    if failure == nil { failure = (command.text, status, output) }
                    return nil
                }
            }
            return nil
        }

        if let reason = runList(phase.commands) ?? runList(phase.finally) {
            recordInterruption(name.logName, reason, since: phaseStart, attempt: attempt)
            return .interrupted(reason)
        }
        if let failure {
            let message = "Error while executing command: \(failure.command). Reason: exit status \(failure.status)"
            log.container("Phase complete: \(name.logName) State: FAILED")
            log.container("Phase context status code: COMMAND_EXECUTION_ERROR Message: \(message)")
            record(name.logName, "FAILED", since: phaseStart, code: "COMMAND_EXECUTION_ERROR", message: message, attempt: attempt)
            return .finished(failed: true, output: failure.output, message: log.mask(message))
        }
        log.container("Phase complete: \(name.logName) State: SUCCEEDED")
        log.container("Phase context status code:  Message: ")
        record(name.logName, "SUCCEEDED", since: phaseStart, attempt: attempt)
        return .finished(failed: false, output: "", message: "")
    }

    /// Runs one command as its own script; returns its status and the tail of its
    /// output (masked), which `RETRY-<regex>` is matched against.
    private func runCommand(_ command: Command, phase: String, user: (uid: UInt32, gid: UInt32, name: String)?) -> (Int32, String) {
        guard let session else { return (1, "") }
        let commandStart = ContinuousClock.now
        log.container("Running command \(command.text)")
        log.event("command_started", [("phase", .string(phase)), ("command", .string(command.text))])
        var tail: [UInt8] = []
        let status: Int32
        do {
            var arguments = try session.prepare(command.text, buildSucceeding: !buildFailed && !phaseFailed,
                                                owner: user.map { ($0.uid, $0.gid) })
            if let user { arguments = runAsArguments(user) + arguments }
            let termination = try runner.run(arguments, environment: environment, cancellation: cancellation,
                                             deadline: deadline, onStart: { processGroups.append($0) },
                                             lingering: { fd in self.continueInBackground(fd) }) { chunk in
                log.output(chunk)
                tail.append(contentsOf: chunk)
                if tail.count > 65536 { tail.removeFirst(tail.count - 32768) }
            }
            status = termination.status
        } catch {
            log.container("Cannot run the command: \(error)")
            status = 127
        }
        log.endOutput()
        session.commandFinished()
        log.event("command_finished", [("phase", .string(phase)), ("command", .string(command.text)),
                                       ("exitCode", .int(Int64(status))),
                                       ("durationMs", .int((ContinuousClock.now - commandStart).milliseconds))])
        return (status, log.mask(String(decoding: tail, as: UTF8.self)))
    }

    private func record(_ name: String, _ status: String, since start: ContinuousClock.Instant,
                        code: String = "", message: String = "", attempt: Int = 1) {
        let record = PhaseRecord(name: name, status: status, durationMilliseconds: (ContinuousClock.now - start).milliseconds,
                                 contextCode: code, contextMessage: log.mask(message), attempt: attempt)
        phases.append(record)
        log.event("phase_finished", [("phase", .string(name)), ("status", .string(status)),
                                     ("durationMs", .int(record.durationMilliseconds)), ("attempt", .int(Int64(attempt))),
                                     ("contextCode", .string(code)), ("contextMessage", .string(record.contextMessage))])
    }

    private func describe(_ onFailure: OnFailure) -> String {
        switch onFailure {
        case .default: return "not set"
        case .abort: return "ABORT"
        case .continue: return "CONTINUE"
        case .retry(let count, let pattern): return "RETRY-\(count)" + (pattern.map { "-\($0)" } ?? "")
        }
    }

    // MARK: - Helpers run in the build's shell

    /// Runs a small script with the build's current variables and returns its output
    /// (never logged: it may hold values). `afterTheEnd`: the helper still runs when the build
    /// has been stopped or has timed out, with 10 s of its own (reading the exported variables).
    private func runHelper(_ body: String, afterTheEnd: Bool = false) -> (Int32, String) {
        guard let session, let arguments = try? session.helperArguments(body) else { return (1, "") }
        var output: [UInt8] = []
        // A signal or the build's timeout stops a helper too (a cache key's `$(…)` may take long).
        let ended = cancellation.isCancelled || ContinuousClock.now >= deadline
        let (stop, until) = afterTheEnd && ended ? (Cancellation(), ContinuousClock.now + .seconds(10)) : (cancellation, deadline)
        let termination = try? runner.run(arguments, environment: environment, cancellation: stop, deadline: until) {
            output.append(contentsOf: $0)
        }
        return (termination?.status ?? 127, String(decoding: output, as: UTF8.self))
    }

    /// Shell-expands `text` (parameters and command substitution), as CodeBuild does for
    /// `cache.key` and `artifacts.name`.
    func expand(_ text: String) -> String? {
        expandReportingErrors(text)?.value
    }

    /// `expand`, with what the expansion's commands wrote to standard error (a missing file
    /// for `codebuild-hash-files`): it is not part of the value, a cache key's above all.
    private func expandReportingErrors(_ text: String) -> (value: String, errors: String)? {
        guard let session else { return nil }
        let marker = "SITEBUILD_EXPAND_\(UInt32.random(in: 0...UInt32.max))"
        let (status, output) = runHelper("{ cat <<\(marker)\n\(text)\n\(marker)\n} 2>| \(shellQuoted(session.helperErrorFile))")
        guard status == 0 else { return nil }
        return (output.hasSuffix("\n") ? String(output.dropLast()) : output, session.helperErrors())
    }

    /// Expands a cache key (`what`: `cache.key` or a fallback key). What its commands wrote
    /// to standard error is logged as warnings naming the key: a `codebuild-hash-files`
    /// pattern that matches nothing gives a key that never changes (the hash of no file), so
    /// a keyed cache would silently never be updated.
    private func expandCacheKey(_ written: String, what: String) -> String? {
        guard let (value, errors) = expandReportingErrors(written) else { return nil }
        let lines = errors.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for line in lines.prefix(5) {
            log.warning("\(what) '\(written)' expands to \(value), and its expansion reported: \(line)")
        }
        if lines.count > 5 { log.warning("\(what) '\(written)': \(lines.count - 5) more line(s) of its expansion's errors are not shown") }
        return value
    }

    /// The values of `env.exported-variables` now (the end of post_build, or of the last
    /// command when the build was stopped or timed out).
    private func readExportedVariables() -> [(String, String)] {
        let names = spec.env.exportedVariables
        guard !names.isEmpty else { return [] }
        let body = names.map { "[ \"${\($0)+x}\" = x ] && printf '%s=%s\\0' \($0) \"$\($0)\"" }.joined(separator: "\n") + "\nexit 0"
        let (status, output) = runHelper(body, afterTheEnd: true)
        if status != 0 {
            log.warning("cannot read env.exported-variables: the shell reading them ended with status \(status); they are not exported")
            return []
        }
        var values: [String: String] = [:]
        for item in output.split(separator: "\0", omittingEmptySubsequences: true) {
            guard let eq = item.firstIndex(of: "=") else { continue }
            values[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        // Not set at the end: nothing to export. Said, since a later pipeline stage reading it
        // (`#{namespace.NAME}`) would find nothing and this build would not tell.
        let unset = names.filter { values[$0] == nil }
        if !unset.isEmpty {
            log.warning("env.exported-variables: \(unset.joined(separator: ", ")) \(unset.count == 1 ? "is" : "are") not set at the end of "
                + "the build, so \(unset.count == 1 ? "it is" : "they are") not exported; set \(unset.count == 1 ? "it" : "them") in a command, "
                + "or leave \(unset.count == 1 ? "it" : "them") out of the list")
        }
        return names.compactMap { name in values[name].map { (name, $0) } }
    }

    // MARK: - Cache

    private func restoreCache() {
        guard let cache = spec.cache, !cache.paths.isEmpty else {
            log.container("Cache is not defined in the buildspec")
            log.container("Skip cache due to: no paths specified to be cached")
            return
        }
        let store = BuildCache(cacheDirectory: configuration.cacheDirectory, sourceDirectory: configuration.sourceDirectory)
        let remote = configuration.remoteCache
        // Without a key, runners sharing a remote cache share one slot (CodeBuild: one per project).
        let defaultKey = BuildCache.defaultKey(slot: remote?.description ?? configuration.cacheSlot ?? configuration.sourceDirectory)
        var key = cache.key.flatMap { expandCacheKey($0, what: "cache.key") } ?? defaultKey
        // Stopped (a signal, the timeout) while the key was computed: nothing is restored (its
        // expansion was cut off, so the default slot is not what the key names).
        if cancellation.isCancelled { return }
        if key.isEmpty {
            log.warning("cache.key '\(cache.key ?? "")' expands to nothing; using the default slot")
            key = defaultKey
        }
        if log.mask(key) != key {
            log.warning("cache.key contains a secret's value, which is stored in clear in the cache's file names and S3 keys; build the key from values that are not secret")
        }
        resolvedCacheKey = key
        guard cache.action != .save else {
            log.container("Cache action is save: not restoring")
            return
        }
        // A fallback that expands to nothing would match every entry (a prefix of all keys).
        let fallbacks = cache.key == nil ? [] : cache.fallbackKeys.compactMap { expandCacheKey($0, what: "cache.fallback-keys") }.filter { !$0.isEmpty }
        if cancellation.isCancelled { return }
        // A keyed entry never changes, so a local copy is used as it is. The default slot is
        // rewritten by every runner sharing the remote cache: there the remote one comes first
        // (a local copy would be this runner's last save, not the others' newer ones), and the
        // local copy is used only when the remote has none or cannot be read.
        let sharedSlot = cache.key == nil && remote != nil
        var entry = sharedSlot ? nil : store.find(key: key, fallbacks: [])
        if entry == nil, let remote {
            entry = restoreRemote(remote, store: store, key: key, fallbacks: fallbacks)
        }
        if entry == nil { entry = store.find(key: key, fallbacks: fallbacks) }
        guard let entry else {
            log.container("Cache miss for key \(key)" + (fallbacks.isEmpty ? "" : " and fallback keys \(fallbacks.joined(separator: ", "))")
                + (remote.map { " (local cache and \($0.description))" } ?? ""))
            return
        }
        do {
            // An exact hit of cache.key restores as CodeBuild does (cached items win): the key
            // names what the entry was built from, and files of the working tree left by a build
            // under another key (vendor/ from other deps) are stale. Built in place, a keyless
            // slot (the last build's save) or a fallback-key hit (an older entry) restores only
            // what is missing: the working tree's files may be newer (a page edited since).
            // Fetched and copied sources are fresh checkouts: cached items always win there.
            let keyless = key == defaultKey
            let keepExisting = configuration.sourceIsInPlace && (keyless || entry.key != key)
            // With run-as, what is restored is the run-as user's, as the files its commands wrote
            // were when they were saved: the first phase that runs as another user owns it.
            let owner = PhaseName.allCases.filter { spec.phases[$0] != nil }.compactMap { runAs(for: $0) }.first
            let (count, ignored, kept) = try store.restore(entry, paths: cache.paths, keepExisting: keepExisting,
                                                           owner: owner.map { (uid: $0.uid, gid: $0.gid) })
            log.container("Restored \(count) cached file(s) from key \(entry.key)\(entry.key == key ? "" : " (fallback)")"
                + (kept > 0 ? "; kept \(kept) file(s) that exist already in the source directory (built in place, \(keyless ? "a keyless cache" : "a fallback key's entry") restores only what is missing)" : ""))
            if ignored > 0 {
                log.warning("the cache entry for key \(entry.key) holds \(ignored) file(s) outside cache.paths; they were not restored")
            }
        } catch {
            // A damaged entry is dropped, so that this build's save replaces it (a keyed entry
            // is otherwise never rewritten).
            store.discard(entry)
            log.warning("cannot restore the cache for key \(entry.key): \(error); the damaged entry was removed from the local cache; going on without it")
        }
    }

    /// Looks `key` (then the fallbacks) up in the remote cache, downloads and verifies the
    /// entry and adds it to the local cache. Any failure is a warning: the build goes on.
    private func restoreRemote(_ remote: any RemoteCacheStore, store: BuildCache, key: String, fallbacks: [String]) -> BuildCache.Entry? {
        let found: RemoteCacheEntry?
        do {
            found = try remote.find(key: key, fallbacks: fallbacks)
        } catch {
            log.warning("cannot look up the cache in \(remote.description): \(error); going on without it (with the local cache's copy, if it has one)")
            return nil
        }
        guard let found else {
            log.container("No cache entry for key \(key)\(fallbacks.isEmpty ? "" : " or fallback keys \(fallbacks.joined(separator: ", "))") in \(remote.description)")
            return nil
        }
        log.container("Downloading cache for key \(found.key) from \(found.location) (\(found.size) bytes)")
        var partial: String?
        defer { if let partial { unlink(partial) } }
        do {
            let path = try store.temporaryPath(".tar.zst")
            partial = path
            try remote.download(found, to: path)
            do {
                try ArchiveReader.verifyTar(path)
            } catch {
                log.warning("cache entry \(found.location) is damaged; going on without it (with the local cache's copy, if it has one) (\(error))")
                damagedRemoteKey = found.key
                return nil
            }
            let entry = try store.adopt(path, key: found.key, now: Date().timeIntervalSince1970)
            partial = nil
            return entry
        } catch {
            log.warning("cannot download the cache entry \(found.location): \(error); going on without it (with the local cache's copy, if it has one)")
            return nil
        }
    }

    private var resolvedCacheKey: String?
    /// A remote entry found damaged on restore: replaced on save even when keyed.
    private var damagedRemoteKey: String?

    private func saveCache() {
        guard let cache = spec.cache, !cache.paths.isEmpty, cache.action != .restore, let key = resolvedCacheKey else { return }
        let store = BuildCache(cacheDirectory: configuration.cacheDirectory, sourceDirectory: configuration.sourceDirectory)
        let keyed = cache.key != nil
        do {
            if let count = try store.save(key: key, keyed: keyed, paths: cache.paths, now: Date().timeIntervalSince1970) {
                log.container("Saved \(count) file(s) to the cache with key \(key)")
            } else {
                log.container("Cache for key \(key) exists already; a keyed cache is not updated")
            }
        } catch {
            log.warning("cannot save the cache for key \(key): \(error)")
        }
        let removed = store.removeUnused(now: Date().timeIntervalSince1970, keeping: key)
        if removed > 0 {
            log.container("Removed \(removed) cache entr\(removed == 1 ? "y" : "ies") no build has used for \(Int(BuildCache.unusedLifetime / 86_400)) days")
        }
        if let remote = configuration.remoteCache, cancellation.reason == nil {
            saveRemote(remote, store: store, key: key, keyed: keyed, paths: cache.paths)
        }
    }

    /// Uploads the cache: a keyed entry the remote store has already is left as it is.
    private func saveRemote(_ remote: any RemoteCacheStore, store: BuildCache, key: String, keyed: Bool, paths: [String]) {
        do {
            if keyed, damagedRemoteKey != key, try remote.contains(key: key) {
                log.container("Cache for key \(key) exists already in \(remote.description); a keyed cache is not updated")
                return
            }
            let path = try store.temporaryPath(".tar.zst")
            defer { unlink(path) }
            let count = try store.writeCompressed(paths: paths, to: path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
            let location = try remote.upload(path, key: key)
            if damagedRemoteKey == key { log.container("Replaced the damaged cache entry for key \(key)") }
            log.container("Uploaded \(count) file(s) to the cache with key \(key) at \(location)\(size.map { " (\($0) bytes)" } ?? "")")
        } catch {
            log.warning("cannot upload the cache for key \(key) to \(remote.description): \(error)")
        }
    }

    // MARK: - UPLOAD_ARTIFACTS

    struct ArtifactFailure: Error {
        var message: String
    }

    /// `block` with its base-directory's variables expanded (`$CODEBUILD_SRC_DIR`,
    /// `$BUILD_DIR` from env.variables or a command, as AWS's multi-source samples write it),
    /// in the build's shell as it is now; an absolute result inside the source is made relative.
    private func expandingBaseDirectory(_ block: Artifacts, what: String) throws -> Artifacts {
        guard let written = block.baseDirectory, written.contains("$") || written.hasPrefix("/") else { return block }
        guard let value = (written.contains("$") ? expand(written) : written)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            throw ArtifactFailure(message: "\(what).base-directory '\(written)' expands to nothing; set the variable or write the folder")
        }
        var expanded = block
        guard value.hasPrefix("/") else {
            guard !value.split(separator: "/").contains("..") else {
                throw ArtifactFailure(message: "\(what).base-directory '\(written)' is '\(value)', which leaves the source directory with '..'; "
                    + "to take the artifacts from a folder outside it, give that folder's absolute path")
            }
            expanded.baseDirectory = value
            return expanded
        }
        let trimmed = value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
        for source in [configuration.sourceDirectory, FileWalker.realPath(configuration.sourceDirectory)] {
            if trimmed == source {
                expanded.baseDirectory = "."
                return expanded
            }
            if trimmed.hasPrefix(source + "/") {
                expanded.baseDirectory = String(trimmed.dropFirst(source.count + 1))
                return expanded
            }
        }
        // A secondary source's folder (`$CODEBUILD_SRC_DIR_source1`, as AWS's multi-source
        // sample writes it) is the user's own source too: taken as it is.
        if !trimmed.split(separator: "/").contains(".."), secondarySourceDirectories.contains(where: { trimmed == $0 || trimmed.hasPrefix($0 + "/") }) {
            expanded.baseDirectory = trimmed
            return expanded
        }
        // Any other folder (`/opt/out`, where templates build into): taken from there, as
        // CodeBuild takes it, by the same rules; links in it are followed within it and the
        // sources only.
        guard !trimmed.split(separator: "/").contains("..") else {
            throw ArtifactFailure(message: "\(what).base-directory '\(written)' is '\(value)', which has '..'; write the absolute path without it")
        }
        guard !trimmed.allSatisfy({ $0 == "/" }), FileWalker.realPath(trimmed) != "/" else {
            throw ArtifactFailure(message: "\(what).base-directory '\(written)' is '\(value)', the root of the file system; name the folder the build writes")
        }
        guard GlobPattern(trimmed).isLiteral else {
            throw ArtifactFailure(message: "\(what).base-directory '\(written)' is '\(value)', an absolute glob; an absolute base-directory names one folder")
        }
        expanded.baseDirectory = trimmed
        return expanded
    }

    /// The output tree is replaced by what is collected: a base directory (as expanded) that is
    /// that tree or inside it would collect the last build's output. `build` refuses one it
    /// can read before the build (exit 2); this catches one a variable names.
    private func checkBaseIsNotTheOutput(_ base: String?, written: String?, what: String, identifier: String?) throws {
        guard let out = configuration.outputDirectory, let base, GlobPattern(base).isLiteral else { return }
        let tree = URL(fileURLWithPath: identifier.map { out + "-" + $0 } ?? out).standardizedFileURL.path
        let folder = URL(fileURLWithPath: base.hasPrefix("/") ? base : configuration.sourceDirectory + "/" + base).standardizedFileURL.path
        guard folder == tree || folder.hasPrefix(tree + "/") else { return }
        throw ArtifactFailure(message: "\(what).base-directory '\(written ?? base)' is \(folder), "
            + (folder == tree ? "the output directory" : "inside the output directory \(tree)")
            + ", which is replaced by what is collected; write the build's files elsewhere or choose another --out")
    }

    /// The secondary sources' folders: the absolute CODEBUILD_SRC_DIR_<id> values of the
    /// environment sitebuild was given (CodeBuild's, --env, --env-file), as written and with links
    /// resolved. Not the buildspec's or a command's: those could name any folder of this machine.
    private var secondarySourceDirectories: [String] {
        let given = configuration.baseEnvironment.map { ($0.key, $0.value) } + configuration.overrides.map { ($0.name, $0.value) }
        let folders = given.filter { $0.0.hasPrefix("CODEBUILD_SRC_DIR_") && $0.0.count > "CODEBUILD_SRC_DIR_".count }.map(\.1)
            .map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            .filter { folder in
                var isDirectory: ObjCBool = false
                return folder.hasPrefix("/") && folder != "/" && FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue
                    && FileWalker.realPath(folder) != "/"
            }
        var unique: [String] = []
        for folder in folders + folders.map(FileWalker.realPath) where !unique.contains(folder) { unique.append(folder) }
        return unique
    }

    /// `block` with the variables of its base-directory, `files` and `exclude-paths` expanded
    /// (AWS's BankDemo tutorial writes `files: - $CODEBUILD_SRC_DIR/target/**`), in the build's
    /// shell as it is now. A pattern that expands to an absolute path inside the base directory
    /// is made relative to it; one outside it fails the build naming the key.
    private func expandingVariables(_ block: Artifacts, what: String) throws -> Artifacts {
        var expanded = try expandingBaseDirectory(block, what: what)
        let base = expanded.baseDirectory
        expanded.files = try block.files.enumerated().map { index, written in
            try expandingPattern(written, key: "\(what).files[\(index)]", base: base)
        }
        expanded.excludePaths = try block.excludePaths.enumerated().map { index, written in
            try expandingPattern(written, key: "\(what).exclude-paths[\(index)]", base: base)
        }
        return expanded
    }

    /// One `files` or `exclude-paths` pattern with its variables expanded, relative to the
    /// (expanded) base directory `base`.
    private func expandingPattern(_ written: String, key: String, base: String?) throws -> String {
        guard written.contains("$") else { return written }
        guard let value = expand(written)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            throw ArtifactFailure(message: "\(key) '\(written)' expands to nothing; set the variable or write the path")
        }
        guard value.hasPrefix("/") else {
            guard !value.split(separator: "/").contains("..") else {
                throw ArtifactFailure(message: "\(key) '\(written)' is '\(value)', which leaves the base directory with '..'")
            }
            return value
        }
        let baseText = (base ?? ".").trimmingSlashes
        let relativeBase = baseText.isEmpty || baseText == "." ? nil : baseText
        guard relativeBase.map({ GlobPattern($0).isLiteral }) ?? true else {
            throw ArtifactFailure(message: "\(key) '\(written)' is \(value), an absolute path, and base-directory '\(baseText)' is a glob; "
                + "write the pattern relative to the base directory")
        }
        for source in [configuration.sourceDirectory, FileWalker.realPath(configuration.sourceDirectory)] {
            // A secondary source's folder is absolute already.
            let root = relativeBase.map { $0.hasPrefix("/") ? $0 : source + "/" + GlobPattern($0).literalPath } ?? source
            if value == root || value == root + "/" { return "**/*" }
            if value.hasPrefix(root + "/") {
                let rest = String(value.dropFirst(root.count + 1))
                guard !rest.split(separator: "/").contains("..") else {
                    throw ArtifactFailure(message: "\(key) '\(written)' is '\(value)', which leaves the base directory with '..'")
                }
                return rest
            }
        }
        let place = relativeBase.map { "the base directory \($0) (in \(configuration.sourceDirectory))" } ?? "the source directory \(configuration.sourceDirectory)"
        throw ArtifactFailure(message: "\(key) '\(written)' is \(value), outside \(place); artifact paths are taken from the "
            + (relativeBase == nil ? "source directory" : "base directory"))
    }

    /// A report group's name with its variables expanded (`$REPORT_GROUP_NAME:`, which AWS
    /// allows), as CodeBuild expands it, in the build's shell as it is now. One that expands to
    /// nothing keeps its name as written, with a warning.
    private func reportGroupName(_ written: String) -> String {
        guard written.contains("$") else { return written }
        guard let value = expand(written)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            log.warning("report group '\(written)' expands to nothing; its reports are listed under the name as written")
            return written
        }
        return value
    }

    private func uploadArtifactsPhase() throws -> ([ArtifactOutput], [(String, [String])]) {
        var collector = ArtifactCollector(sourceDirectory: configuration.sourceDirectory)
        collector.excludedDirectories = configuration.excludedDirectories
        collector.excludedFiles = configuration.excludedFiles
        collector.secondarySourceDirectories = secondarySourceDirectories
        var reports: [(String, [String])] = []
        for report in spec.reports {
            let block = try expandingVariables(Artifacts(files: report.files, discardPaths: report.discardPaths,
                                                         baseDirectory: report.baseDirectory), what: "reports.\(report.name)")
            let selection = collector.select(block)
            let group = reportGroupName(report.name)
            log.container(selection.files.isEmpty ? "No matching report paths found for report group \(group)"
                                                   : "Found \(selection.files.count) report file(s) for report group \(group) (\(report.fileFormat))")
            reports.append((group, selection.files.map(\.path)))
        }
        guard let artifacts = spec.artifacts else {
            log.container("No artifacts are defined in the buildspec")
            return ([], reports)
        }
        var blocks: [(String?, Artifacts, ArtifactSelection)] = []
        for (identifier, block) in [(String?.none, artifacts)] + artifacts.secondary.map({ (Optional($0.identifier), $0.artifacts) }) {
            if let identifier { log.container("Collecting secondary artifact \(identifier)") }
            try stopIfInterrupted()
            let what = identifier.map { "artifacts.secondary-artifacts.\($0)" } ?? "artifacts"
            let written = block.baseDirectory
            let block = try expandingVariables(block, what: what)
            try checkBaseIsNotTheOutput(block.baseDirectory, written: written, what: what, identifier: identifier)
            let selection = collector.select(block)
            selection.log.forEach(log.container)
            selection.warnings.forEach(log.warning)
            if let problem = selection.problems.first {
                throw ArtifactFailure(message: (identifier.map { "secondary artifact \($0): " } ?? "") + problem
                    + (selection.problems.count > 1 ? " (and \(selection.problems.count - 1) more)" : ""))
            }
            if selection.files.isEmpty {
                throw ArtifactFailure(message: identifier.map { "no matching artifact paths found for secondary artifact \($0)" }
                                      ?? "no matching artifact paths found")
            }
            blocks.append((identifier, block, selection))
        }

        let zipTimestamp = configuration.zipPath == nil ? configuration.archiveTimestamp : archiveTimestamp()
        var outputs: [ArtifactOutput] = []
        // Each artifact gets its own tree: the primary's at `out`, a secondary one beside it at
        // `out-<identifier>` (never inside the primary's tree, which `run` deploys). Each is
        // written to a staging directory and swapped in whole at the end.
        var trees: [(staging: String, final: String)] = []
        defer {
            // A failure or interrupt part way leaves no staging directory behind (one swapped
            // into place is gone from its staging name already).
            for tree in trees { try? FileManager.default.removeItem(atPath: tree.staging) }
        }
        for (identifier, block, selection) in blocks {
            var output = ArtifactOutput(identifier: identifier, name: block.name.flatMap(expand),
                                        files: selection.files.map(\.path))
            if let out = configuration.outputDirectory {
                let final = identifier.map { out + "-" + $0 } ?? out
                let staging = final + ".partial-\(getpid())"
                try? FileManager.default.removeItem(atPath: staging)
                // Registered before anything is written: a tree that fails half-written
                // (a full disk, an unreadable file, an interrupt) is removed too.
                trees.append((staging, final))
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
                try writeTree(selection.files, to: staging)
                output.directory = final
            }
            if let zip = configuration.zipPath {
                let target = identifier.map { BuildConfiguration.secondaryZipPath(beside: zip, identifier: $0) } ?? zip
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let items = selection.files.map { file in
                    var item = ArchiveItem(path: file.path,
                                           content: file.symlinkTarget.map { .symlink(target: $0) } ?? .file(sourcePath: file.source),
                                           executable: file.executable)
                    item.identity = file.identity
                    return item
                }
                try DeterministicArchive(format: .zip, timestamp: zipTimestamp).write(items, to: target)
                output.zip = target
                log.container("Wrote \(target) (\(items.count) file(s))")
            }
            outputs.append(output)
            log.event("artifact", [("artifact", output.json)])
        }
        for tree in trees { try replaceDirectory(tree.final, with: tree.staging) }
        for output in outputs {
            if let directory = output.directory { log.container("Wrote \(output.files.count) file(s) to \(directory)") }
        }
        return (outputs, reports)
    }

    /// The time the `--zip` archive's entries carry: SOURCE_DATE_EPOCH as the build's shell has
    /// it now (set by the buildspec, --env, --env-file or a command's export, as the build's
    /// tools saw it), else the default from sitebuild's environment and the source (a commit's
    /// time). A value that is not a whole number of seconds is said and not used.
    private func archiveTimestamp() -> Int64 {
        guard let text = expand("${SOURCE_DATE_EPOCH-}"), !text.isEmpty else { return configuration.archiveTimestamp }
        guard let seconds = Int64(text), seconds >= 0 else {
            log.warning("SOURCE_DATE_EPOCH '\(text)' is not a whole number of seconds since 1970, so the --zip archive's times do not "
                + "follow it (they are \(configuration.archiveTimestamp) seconds since 1970, sitebuild's own default)")
            return configuration.archiveTimestamp
        }
        return DeterministicArchive.defaultTimestamp(environment: ["SOURCE_DATE_EPOCH": String(seconds)])
    }

    /// A signal (or the timeout) while artifacts are collected ends the collection between
    /// files: a large site's would otherwise run on for minutes past a CI job's cancel.
    private func stopIfInterrupted() throws {
        if cancellation.reason != nil {
            throw ArtifactFailure(message: "the build was interrupted while its artifacts were collected")
        }
    }

    private func writeTree(_ files: [ArtifactFile], to root: String) throws {
        let fm = FileManager.default
        // Where each collected file was in the source, to re-aim kept links (enable-symlinks).
        let placed = Dictionary(files.map { (Self.normalized($0.source), $0.path) }, uniquingKeysWith: { first, _ in first })
        for (index, file) in files.enumerated() {
            if index % 64 == 0 { try stopIfInterrupted() }
            let target = root + "/" + file.path
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if let link = file.symlinkTarget {
                try fm.createSymbolicLink(atPath: target, withDestinationPath: Self.relinked(link, of: file, placed: placed))
            } else {
                try FileCopy.copyContents(of: file.source, to: target, executable: file.executable, identity: file.identity)
            }
        }
    }

    /// A kept link's target in the output tree (`--out`, which `run` deploys). Its text is
    /// relative to where the link was in the source; moved to its place in the artifact (below
    /// base-directory, or flattened by discard-paths) the same text may point elsewhere or
    /// nowhere (`dist/site.css -> ../dist/css/site.css` stored as `site.css`). A link to a file
    /// the artifact holds too is aimed at that file's place in the tree; one to anything else
    /// that exists, at its absolute place in the source; one that points nowhere stays as it
    /// is. The ZIP keeps the text as written, as CodeBuild stores it.
    static func relinked(_ link: String, of file: ArtifactFile, placed: [String: String]) -> String {
        let resolved = normalized(link.hasPrefix("/") ? link : (file.source as NSString).deletingLastPathComponent + "/" + link)
        if let inTree = placed[resolved] {
            let from = file.path.split(separator: "/").dropLast().map(String.init)
            let to = inTree.split(separator: "/").map(String.init)
            var shared = 0
            while shared < from.count, shared < to.count - 1, from[shared] == to[shared] { shared += 1 }
            return (Array(repeating: "..", count: from.count - shared) + to[shared...]).joined(separator: "/")
        }
        if link.hasPrefix("/") { return link }
        return FileManager.default.fileExists(atPath: resolved) ? resolved : link
    }

    /// `path` with `.` and `..` components resolved lexically (no links followed).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Swaps a finished tree into place, so a reader never sees half an output directory.
    private func replaceDirectory(_ target: String, with staging: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let old = target + ".old-\(getpid())"
        if fm.fileExists(atPath: target) { try fm.moveItem(atPath: target, toPath: old) }
        try fm.moveItem(atPath: staging, toPath: target)
        try? fm.removeItem(atPath: old)
    }

    // MARK: - run-as

    /// Checks every `run-as` user; returns whether any command runs as another user.
    private func resolveRunAs() throws -> Bool {
        // Each place run-as is written, as `file:line:column: key` for the messages.
        let places = spec.runAsPlaces.map { (name: $0.name, place: ($0.location.map { "\($0): " } ?? "") + $0.keyPath) }
        guard !places.isEmpty else { return false }
        for (name, place) in places {
            guard let entry = getpwnam(name) else {
                throw BuildInputError("\(place): there is no user '\(name)' on this machine; create it or remove run-as")
            }
            if entry.pointee.pw_uid != geteuid() && geteuid() != 0 {
                throw BuildInputError("\(place): switching to user '\(name)' needs sitebuild to run as root (it runs as uid \(geteuid()))")
            }
        }
        return places.contains { getpwnam($0.name).map { $0.pointee.pw_uid != geteuid() } ?? false }
    }

    private func runAs(for phase: PhaseName) -> (uid: UInt32, gid: UInt32, name: String)? {
        let name = spec.phases[phase]?.runAs ?? spec.runAs
        guard let name, let entry = getpwnam(name), entry.pointee.pw_uid != geteuid() else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid, name)
    }

    private func runAsArguments(_ user: (uid: UInt32, gid: UInt32, name: String)) -> [String] {
        Self.runAsArguments(uid: user.uid, gid: user.gid)
    }

    /// The command prefix that runs what follows as user `uid` with group `gid` and the user's groups.
    static func runAsArguments(uid: UInt32, gid: UInt32) -> [String] {
        ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"]
    }

    /// A command's shell ended while a background process holds its pipe: the pipe's output
    /// goes on being read and logged (with what the masker held back).
    private func continueInBackground(_ fd: Int32) {
        let reader = lingering ?? LingeringOutput(output: { [log] fd, chunk in log.backgroundOutput(fd, chunk) },
                                                  ended: { [log] fd in log.endBackground(fd) })
        lingering = reader
        log.continueInBackground(fd)
        reader.adopt(fd)
    }

    // MARK: - Cleanup

    private func stopBackgroundProcesses() {
        guard !backgroundStopped else { return }
        backgroundStopped = true
        let leftovers = LeftoverProcesses(groups: Set(processGroups), marker: "\(LeftoverProcesses.variable)=\(buildUUID)")
        let stopped = leftovers.stop(grace: runner.killGrace)
        // What they wrote up to now is logged; pipes an escaped process still holds are closed.
        lingering?.finish()
        if stopped.inGroups > 0 {
            log.container("Stopped \(stopped.inGroups) background process(es) the build left running")
        }
        if stopped.escaped > 0 {
            log.container("Stopped \(stopped.escaped) process(es) the build started outside its process groups (setsid, daemons)")
        }
    }
}

/// `90s`, `5m`, `1h30m`: the way `--timeout` is written.
public func formatDuration(_ duration: Duration) -> String {
    let total = duration.components.seconds
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
    var text = ""
    if h > 0 { text += "\(h)h" }
    if m > 0 { text += "\(m)m" }
    if s > 0 || text.isEmpty { text += "\(s)s" }
    return text
}

