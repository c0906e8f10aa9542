import ArgumentParser
import AWSCore
import BuildRunner
import BuildSpec
import Dispatch
import Foundation
import SiteContent

/// Flags shared by every command that runs a buildspec (`build`, and later `run`).
struct BuildOptions: ParsableArguments {
    @Option(help: ArgumentHelp("What to build: a directory, a git URL with #branch, #tag or #commit, a .zip/.tar.gz/.tar.zst file, or s3://bucket/key.zip. Default: SITEBUILD_SOURCE, sitebuild.yml's source, the current directory.",
                               valueName: "source"))
    var source: String?

    @Flag(help: "Build a directory source in a fresh copy under .sitebuild/_work, without .git, .sitebuild/ and git-ignored files.")
    var clean = false

    @Flag(help: "Also check out the git source's submodules (recursively, shallow).")
    var submodules = false

    @Option(help: "The buildspec file. Default: buildspec.yml in the source directory.")
    var buildspec: String?

    @Option(help: "Write the primary artifact's files here as a tree (a secondary artifact beside it, at <out>-<identifier>). Default: .sitebuild/_build/artifacts")
    var out: String?

    @Option(help: "Also write the primary artifact as a deterministic ZIP here.")
    var zip: String?

    @Option(name: .customLong("env"), help: "Set a variable for the build (beats the buildspec and --env-file). NAME alone passes on this shell's value.")
    var env: [String] = []

    @Option(help: "A file of NAME=value lines (# comments; a value in double or single quotes is unquoted, as dotenv files have it).")
    var envFile: [String] = []

    @Flag(help: "Newline-delimited JSON events on stdout; the human log goes to stderr.")
    var json = false

    @Option(help: "Stop the build after this long, fetching its source included: 90s, 15m, 2h, 1h30m, or minutes. Default: 60m.")
    var timeout: String = "60m"

    @Option(help: "Write the exported-variables (values at the end of the build, also a failed, timed-out or stopped one) to this file as NAME=value lines.")
    var exportedVariablesFile: String?

    @Option(help: "The project name used in CODEBUILD_BUILD_ID. Default: the source directory's name.")
    var project: String?

    @Option(help: ArgumentHelp("Share the build cache (cache.paths) through S3: s3://bucket/prefix. Default: SITEBUILD_CACHE, sitebuild.yml's cache.",
                               valueName: "s3-url"))
    var cache: String?

}

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Run a buildspec's phases and collect its artifacts (a local, reproducible CodeBuild build).")

    @OptionGroup var options: BuildOptions
    @OptionGroup(title: "AWS (for env.parameter-store and env.secrets-manager)") var aws: AWSOptions
    @OptionGroup(title: "S3 writes (for --cache s3://…)") var writes: S3WriteOptions

    func run() throws {
        let status = BuildInvocation.run(options, aws: aws, writes: writes)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Turns command-line options into a build and its result into an exit status.
enum BuildInvocation {
    /// `source`: the already resolved source (`run` resolves it first); nil to resolve it here.
    static func run(_ options: BuildOptions, aws: AWSOptions, writes: S3WriteOptions = S3WriteOptions(), source: ResolvedSource? = nil) -> Int32 {
        runReturningResult(options, aws: aws, writes: writes, source: source).status
    }

    /// Runs the build; its exit status, and its result when it ran.
    /// `excluding`: absolute paths the artifacts never take (`run`'s local target and pointer).
    /// `cancellation`: `run`'s, set by its signal watch since before the source was fetched;
    /// nil for a watch of the build's own, started before the source is fetched here.
    /// `writes`: the `--sse`, `--sse-kms-key-id` and `--acl` the S3 build cache's entries are written with.
    static func runReturningResult(_ options: BuildOptions, aws: AWSOptions, writes: S3WriteOptions = S3WriteOptions(), source: ResolvedSource? = nil,
                                   excluding: [String] = [], cancellation given: Cancellation? = nil) -> (status: Int32, result: BuildResult?) {
        // Signals are taken from before the source is fetched: a clone, a download or a
        // --clean copy stops as a build does (exit 130, a STOPPED result, git stopped).
        let cancellation = given ?? Cancellation()
        let signals = SignalWatch(cancellation: cancellation)
        defer { signals.stop() }
        let prepared: Prepared
        do {
            prepared = try prepare(options, aws: aws, writes: writes, source: source, excluding: excluding, cancellation: cancellation)
        } catch let error as BuildSpecError {
            for diagnostic in error.diagnostics { writeAll(2, Array("\(diagnostic)\n".utf8)) }
            let count = error.errors.count
            printError("the buildspec has \(count) error\(count == 1 ? "" : "s"); nothing was run")
            failedResult(options.json, error.errors.map(\.description).joined(separator: "; "))
            return (ExitStatus.invalidInput, nil)
        } catch let error as SourceError {
            SourceResolution.report(error, json: options.json)
            return (SourceResolution.exitStatus(error), nil)
        } catch {
            printError("\(error)")
            failedResult(options.json, "\(error)")
            return (ExitStatus.invalidInput, nil)
        }
        let json = options.json
        let textFD: Int32 = json ? 2 : 1
        let eventSink: BuildLog.Sink? = json ? { @Sendable bytes in writeAll(1, bytes) } : nil
        let log = BuildLog(text: { bytes in writeAll(textFD, bytes) }, events: eventSink)
        for warning in prepared.warnings { log.warning(warning.description) }

        let engine = BuildEngine(spec: prepared.spec, configuration: prepared.configuration, log: log, cancellation: cancellation,
                                 secrets: AWSSecretSource(environment: ProcessInfo.processInfo.environment,
                                                          profile: aws.profile, region: aws.region,
                                                          endpointURL: aws.endpointUrl))
        let result = engine.run()
        defer { try? FileManager.default.removeItem(atPath: prepared.helperDirectory) }
        // `run`'s local target and file pointer are sitebuild's output too: a later `build` of
        // the project (`build --out preview`, then `deploy preview`) leaves them out as well.
        rememberOutputs(excluding, project: prepared.projectDirectory, cacheDirectory: prepared.configuration.cacheDirectory, includingAbsent: true)
        // The output directories and ZIPs the build wrote (not merely ones that exist) are its own from now on.
        rememberOutputs(result.artifacts.compactMap(\.directory) + result.artifacts.compactMap(\.zip),
                        project: prepared.projectDirectory, cacheDirectory: prepared.configuration.cacheDirectory)

        if let file = options.exportedVariablesFile {
            do {
                try writeDotenv(result.exportedValues, to: file)
                // Its values are the build's (secrets among them, unmasked): never a later build's site file.
                rememberOutputs([absolutePath(file, relativeTo: FileManager.default.currentDirectoryPath)],
                                project: prepared.projectDirectory, cacheDirectory: prepared.configuration.cacheDirectory)
            } catch {
                printError("--exported-variables-file \(file): cannot write it: \(error)")
                // The build's own result said SUCCEEDED: the stream's last result must not.
                failedResult(json, "--exported-variables-file \(file): cannot write it: \(error)")
                return (ExitStatus.deployFailed, result)
            }
        }
        switch result.status {
        case .succeeded: return (ExitStatus.success, result)
        case .failed, .timedOut: return (ExitStatus.buildFailed, result)
        case .stopped: return (ExitStatus.interrupted, result)
        case .fault: return (result.failureKind == .invalidInput ? ExitStatus.invalidInput : ExitStatus.deployFailed, result)
        }
    }

    /// With --json, a build that never started still ends its stream with a result event.
    static func failedResult(_ json: Bool, _ message: String) {
        Reporter(json: json).event("result", [("status", .string("FAILED")), ("message", .string(message))])
    }

    struct Prepared {
        var spec: BuildSpec
        var warnings: [Diagnostic]
        var configuration: BuildConfiguration
        var helperDirectory: String
        /// The project folder (``ResolvedSource/projectDirectory``), real path: what the
        /// outputs this build writes are remembered under.
        var projectDirectory: String
    }

    /// The AWS settings the build's commands get. CodeBuild sets AWS_REGION and
    /// AWS_DEFAULT_REGION in every build (`aws … --region $AWS_DEFAULT_REGION` is common in
    /// buildspecs): `--region` sets both; otherwise one fills the other, or the profile's region
    /// both. Unset when no region is known. In CodeBuild the commands run as the identity that
    /// deploys: `--profile` is passed on as AWS_PROFILE, and keys in the environment
    /// (AWS_ACCESS_KEY_ID, …), which the aws CLI and SDKs would take over AWS_PROFILE and which
    /// sitebuild itself ignores under `--profile`, are left out.
    static func withAWSSettings(_ environment: [String: String], aws: AWSOptions) -> [String: String] {
        var result = environment
        if let profile = aws.profile {
            result["AWS_PROFILE"] = profile
            result["AWS_DEFAULT_PROFILE"] = nil
            // A role profile whose chain ends in `credential_source = Environment` takes its
            // source keys from those very variables: they stay.
            if !profileReadsEnvironmentKeys(profile, environment: environment) {
                for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"] { result[name] = nil }
            }
        }
        let known = aws.region ?? environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? AWSContext(options: aws, environment: environment).region(for: "the build"))
        guard let region = known else { return result }
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] where aws.region != nil || (result[name] ?? "").isEmpty {
            result[name] = region
        }
        return result
    }

    /// The flags that do not depend on the source, checked before it is fetched: a bad one
    /// stops the command before a download or a clone replaces the work tree of the last build.
    static func checkFlags(_ options: BuildOptions) throws {
        let cwd = FileManager.default.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        for file in options.envFile { _ = try EnvironmentOptions.parseEnvFile(absolutePath(file, relativeTo: cwd)) }
        for flag in options.env { _ = try EnvironmentOptions.parseEnvFlag(flag, environment: environment) }
        _ = try EnvironmentOptions.parseTimeout(options.timeout)
        if options.cache?.isEmpty == true {
            // An unset variable (`--cache "$CACHE"`): falling back to sitebuild.yml's cache would
            // read and write another place than the one the job meant.
            throw UsageError("--cache is empty (an unset variable?): give s3://bucket/prefix, or leave the flag out to use "
                + "SITEBUILD_CACHE or sitebuild.yml's cache")
        }
        if let cache = options.cache {
            _ = try S3CacheStore.location(cache, what: "--cache")
        } else if let cache = environment["SITEBUILD_CACHE"], !cache.isEmpty {
            _ = try S3CacheStore.location(cache, what: "SITEBUILD_CACHE")
        }
    }

    static func prepare(_ options: BuildOptions, aws: AWSOptions = AWSOptions(), writes: S3WriteOptions = S3WriteOptions(),
                        source resolved: ResolvedSource? = nil,
                        excluding: [String] = [], cancellation: Cancellation? = nil) throws -> Prepared {
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        if resolved == nil { try checkFlags(options) }
        let resolvedSource = try resolved ?? SourceResolution.resolveBlocking(options, aws: aws, cancellation: cancellation).source
        let source = resolvedSource.directory
        var isDirectory: ObjCBool = false
        let buildspecPath = buildspecPath(options.buildspec, source: source, fetched: resolvedSource.isFetched, cwd: cwd)
        if options.buildspec == nil && !fm.fileExists(atPath: buildspecPath) {
            if resolvedSource.kind == .directory, fm.fileExists(atPath: source + "/HEAD"), fm.fileExists(atPath: source + "/objects"),
               fm.fileExists(atPath: source + "/refs") {
                throw UsageError("\(source) is a bare git repository, not a work tree; give it as a git source with the ref to build: "
                    + "--source 'file://\(source)#main'")
            }
            if resolvedSource.kind == .directory || resolvedSource.kind == .cleanCopy {
                throw UsageError("no buildspec.yml in \(source); pass --buildspec FILE, or run `sitebuild init` to write one")
            }
            // A fetched tree is replaced by the next fetch: the buildspec belongs in the repository or archive.
            let add = resolvedSource.kind == .archive
                ? "add one at the archive's root (`sitebuild init` in the unpacked folder writes one) and make the archive again"
                : "commit one to it (`sitebuild init` in a checkout writes one)"
            throw UsageError("no buildspec.yml in \(resolvedSource.label) (fetched to \(source)); \(add), or pass --buildspec FILE")
        }
        let (spec, warnings) = try BuildSpecParser.parse(contentsOf: buildspecPath)

        var overrides: [(name: String, value: String)] = []
        for file in options.envFile { overrides += try EnvironmentOptions.parseEnvFile(absolutePath(file, relativeTo: cwd)) }
        for flag in options.env { overrides.append(try EnvironmentOptions.parseEnvFlag(flag, environment: environment)) }
        let timeout = try EnvironmentOptions.parseTimeout(options.timeout)

        let out = absolutePath(options.out ?? defaultOutput, relativeTo: cwd)
        let cache = cacheDirectory(environment)
        try checkOutputDirectory(out, flag: options.out == nil ? nil : "--out", source: source, cwd: cwd, environment: environment)
        // Each secondary artifact replaces <out>-<identifier> the same way.
        for secondary in spec.artifacts?.secondary ?? [] {
            try checkOutputDirectory(out + "-" + secondary.identifier, flag: "the secondary artifact '\(secondary.identifier)', written to",
                                     source: source, cwd: cwd, environment: environment)
        }
        // Then what they hold. The default (`run` passes it too) is sitebuild's own folder.
        if options.out != nil, out != absolutePath(defaultOutput, relativeTo: cwd) {
            try checkOutputIsNotTheBase(out, flag: "--out \(options.out!)", base: spec.artifacts?.baseDirectory, what: "artifacts",
                                        source: source, buildspec: buildspecPath)
            try checkOutputHoldsOnlyOurs(out, flag: "--out \(options.out!)", cacheDirectory: cache)
        }
        // Beside the default output (in sitebuild's own .sitebuild/_build), a secondary
        // artifact's folder is sitebuild's as the primary's is: not checked against the
        // cache directory's record (an emptied cache would stop every build).
        let defaultPlace = out == absolutePath(defaultOutput, relativeTo: cwd)
        for secondary in spec.artifacts?.secondary ?? [] {
            let place = out + "-" + secondary.identifier
            let flag = "the secondary artifact '\(secondary.identifier)' (written to \(place))"
            try checkOutputIsNotTheBase(place, flag: flag, base: secondary.artifacts.baseDirectory,
                                        what: "secondary-artifacts.\(secondary.identifier)", source: source, buildspec: buildspecPath)
            if !defaultPlace { try checkOutputHoldsOnlyOurs(place, flag: flag, cacheDirectory: cache) }
        }
        let zip = options.zip.map { absolutePath($0, relativeTo: cwd) }
        if let zip, zip.hasSuffix("/") || (fm.fileExists(atPath: zip, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw UsageError("--zip \(options.zip!): is a directory; give the ZIP file's path, such as site.zip")
        }
        // A secondary artifact's ZIP goes beside the primary's, as <identifier>.zip.
        if let zip, let clash = spec.artifacts?.secondary.first(where: { (zip as NSString).lastPathComponent == $0.identifier + ".zip" }) {
            throw UsageError("--zip \(options.zip!): the secondary artifact '\(clash.identifier)' is written to the same file "
                + "(\(clash.identifier).zip beside the primary ZIP); give the primary ZIP another name, such as primary.zip")
        }
        // A secondary artifact's ZIP goes to a path the user did not name: a file there that no
        // build wrote (their own docs.zip) is not overwritten.
        if let zip {
            for secondary in spec.artifacts?.secondary ?? [] {
                try checkSecondaryZip(BuildConfiguration.secondaryZipPath(beside: zip, identifier: secondary.identifier),
                                      identifier: secondary.identifier, zipFlag: options.zip!, cacheDirectory: cache)
            }
        }
        // The output trees are replaced whole after the ZIP is written: one inside them would be lost.
        if let zip {
            let places = [out] + (spec.artifacts?.secondary ?? []).map { out + "-" + $0.identifier }
            if let place = places.first(where: { zip.hasPrefix($0 + "/") }) {
                throw UsageError("--zip \(options.zip!): inside the output directory \(place), which the build replaces with the artifact's "
                    + "files after the ZIP is written; write the ZIP elsewhere, such as \((place as NSString).deletingLastPathComponent)/site.zip")
            }
        }
        // Where they go must be writable folders: found out after the build, the build was for nothing.
        try checkPlace(out, what: options.out.map { "--out \($0)" } ?? "the output directory \(out)")
        if let zip {
            try checkPlace(zip, what: "--zip \(options.zip!)")
            try checkPrimaryZip(zip, zipFlag: options.zip!, cacheDirectory: cache)
        }
        if let file = options.exportedVariablesFile, !file.hasSuffix("/") {
            try checkPlace(absolutePath(file, relativeTo: cwd), what: "--exported-variables-file \(file)")
        }
        // Locked only when the build writes there: a buildspec without artifacts writes no
        // output, and one whose commands run `sitebuild run` or `sitebuild build` on the same
        // folder (into the same default output) must not find it taken by its own build.
        if spec.artifacts != nil {
            try OutputDirectoryLock.acquire(out, cacheDirectory: cache, flag: options.out == nil ? nil : "--out")
        }

        if let file = options.exportedVariablesFile {
            // Checked now, not after a build whose result it would then fail to record.
            if file.hasSuffix("/") {
                throw UsageError("--exported-variables-file \(file): names a directory; name the file to write, such as \(file)exported.env")
            }
            let path = absolutePath(file, relativeTo: cwd)
            let directory = (path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw UsageError("--exported-variables-file \(file): is a directory; name the file to write, such as \(file)/exported.env")
            }
            if access(directory, W_OK) != 0 {
                throw UsageError("--exported-variables-file \(file): cannot write in \(directory) (\(String(cString: strerror(errno)))); choose a writable directory")
            }
        }
        let helper = try makeHelperDirectory(cacheDirectory: cache, runAs: !spec.runAsPlaces.isEmpty)
        var configuration = BuildConfiguration(
            sourceDirectory: source, buildspecPath: buildspecPath, outputDirectory: out, zipPath: zip,
            overrides: overrides, timeout: timeout, cacheDirectory: cache,
            projectName: options.project ?? (resolvedSource.kind == .directory ? nil : resolvedSource.name),
            baseEnvironment: withAWSSettings(environment, aws: aws), helperDirectory: helper,
            archiveTimestamp: DeterministicArchive.defaultTimestamp(
                environment: environment.merging(resolvedSource.variables.map { ($0.name, $0.value) }) { _, fromSource in fromSource }))
        configuration.sourceVariables = resolvedSource.variables
        configuration.timeUsedBeforeBuild = resolvedSource.fetchDuration
        configuration.credentialValues = profileCredentials(environment: configuration.baseEnvironment)
        configuration.sourceIsFetched = resolvedSource.isFetched
        configuration.sourceIsInPlace = resolvedSource.kind == .directory
        // The keyless cache slot and the build numbers belong to where the source comes from,
        // not to the work directory it lands in (named after the repository or folder alone:
        // github.com/acme/site and a fork someone/site would share it, and the fork could
        // plant what the trusted build restores).
        switch resolvedSource.kind {
        case .archive:
            // site-1.zip, site-2.zip … uploaded to one place share the keyless cache slot.
            configuration.cacheSlot = "archives in " + (resolvedSource.label as NSString).deletingLastPathComponent
        case .git:
            configuration.cacheSlot = "git " + (resolvedSource.variable("CODEBUILD_SOURCE_REPO_URL") ?? resolvedSource.label)
        case .cleanCopy:
            configuration.cacheSlot = BuildConfiguration.codeBuildCacheSlot(environment: environment) ?? "copy of " + resolvedSource.label
        case .directory:
            // CodeBuild checks each build out to a new folder (…/src123456789/src): there the
            // slot is the project's, as CodeBuild's own cache is.
            configuration.cacheSlot = BuildConfiguration.codeBuildCacheSlot(environment: environment)
        }
        configuration.remoteCache = try S3CacheStore.configured(option: options.cache, environment: environment,
                                                                configFiles: [source + "/sitebuild.yml", cwd + "/sitebuild.yml"], aws: aws,
                                                                writes: writes)
        // The cache directory (SITEBUILD_CACHE_DIR inside the project, as GitLab's cache:paths
        // needs) holds this machine's paths and the build cache: never an artifact.
        if let inside = relativePath(FileWalker.realPath(absolutePath(cache, relativeTo: cwd)), under: FileWalker.realPath(source)) {
            configuration.excludedDirectories.append(inside)
        }
        // What sitebuild itself writes into the project while it builds (`run --json >
        // events.ndjson` in the checkout, the exported-variables file) is not the site.
        // So are the ZIPs it writes (`--zip site.zip` in the project would be collected into the
        // next build's ZIP and site).
        let zips = zip.map { primary in
            [primary] + (spec.artifacts?.secondary ?? []).map { BuildConfiguration.secondaryZipPath(beside: primary, identifier: $0.identifier) }
        } ?? []
        let ownFiles = BuildInvocation.ownOutputFiles() + (options.exportedVariablesFile.map { [FileWalker.realPath(absolutePath($0, relativeTo: cwd))] } ?? [])
            + zips.map { (FileWalker.realPath(($0 as NSString).deletingLastPathComponent) as NSString).appendingPathComponent(($0 as NSString).lastPathComponent) }
        configuration.excludedFiles = ownFiles.compactMap { relativePath($0, under: FileWalker.realPath(source)) }
        // `run`'s local target inside the project (`target: site-versions`): its versions would
        // be collected into the next one, each nesting all the earlier ones.
        for path in excluding {
            guard let inside = relativePath(FileWalker.realPath(path), under: FileWalker.realPath(source)) else { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                configuration.excludedFiles.append(inside)
            } else {
                configuration.excludedDirectories.append(inside)
            }
        }
        // What earlier builds of this project wrote into it (`build --out preview`, `--zip
        // site.zip`, `--exported-variables-file vars.env` there) is sitebuild's output, not the
        // site, as this build's own is: left out, unless an artifact's base directory is that
        // folder or inside it (the build's own output since). Another project's build writing
        // into this one (an API docs build into site/api) is a part of the site.
        let realSource = FileWalker.realPath(source)
        let project = FileWalker.realPath(resolvedSource.projectDirectory)
        let bases = ([spec.artifacts?.baseDirectory] + (spec.artifacts?.secondary ?? []).map { $0.artifacts.baseDirectory })
            .map { Self.literalBase($0, source: realSource) }
        for remembered in rememberedOutputs(cacheDirectory: cache) where remembered.project == project {
            // In a clean copy, at the same place below the copy.
            guard let inside = relativePath(FileWalker.realPath(remembered.path), under: project), !inside.isEmpty else { continue }
            let real = realSource + "/" + inside
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                if !configuration.excludedFiles.contains(inside) { configuration.excludedFiles.append(inside) }
            } else if !bases.contains(where: { $0 == nil || $0 == real || $0!.hasPrefix(real + "/") }),
                      !configuration.excludedDirectories.contains(inside) {
                configuration.excludedDirectories.append(inside)
            }
        }
        if let inside = relativePath(out, under: source) {
            // The output trees (the primary's and each secondary one beside it) are not sources.
            configuration.excludedDirectories.append(inside)
            for secondary in spec.artifacts?.secondary ?? [] { configuration.excludedDirectories.append(inside + "-" + secondary.identifier) }
        } else {
            // Nor are they outside it, in an absolute base directory around them
            // (`base-directory: /opt/site`, `--out /opt/site/out`).
            configuration.excludedDirectories.append(out)
            for secondary in spec.artifacts?.secondary ?? [] { configuration.excludedDirectories.append(out + "-" + secondary.identifier) }
        }
        return Prepared(spec: spec, warnings: warnings.filter { $0.severity == .warning }, configuration: configuration, helperDirectory: helper,
                        projectDirectory: project)
    }

    /// The buildspec a build reads: `--buildspec` as given when absolute; a relative one in a
    /// fetched source (a checkout, an archive) from the source, as CodeBuild takes
    /// it from CODEBUILD_SRC_DIR (a file of that name in the current directory, an uncommitted
    /// edit, must not replace the tag's own); for a directory built in place or a clean copy of
    /// one, from the current directory when it is there, else from the source. Without the flag, the source's buildspec.yml.
    static func buildspecPath(_ given: String?, source: String, fetched: Bool, cwd: String) -> String {
        guard let given else { return source + "/buildspec.yml" }
        if given.hasPrefix("/") { return given }
        let fromSource = absolutePath(given, relativeTo: source)
        if fetched { return fromSource }
        let fromCwd = absolutePath(given, relativeTo: cwd)
        return FileManager.default.fileExists(atPath: fromCwd) ? fromCwd : fromSource
    }

    /// For `run`: a buildspec without `artifacts`, or with a key there that CodeBuild would
    /// ignore, has nothing (or not what it says) to deploy. Returns the message, or nil when
    /// the primary artifact is defined (or the spec is invalid: the build itself reports that).
    static func checkDeployable(_ options: BuildOptions, source: ResolvedSource) -> String? {
        let cwd = FileManager.default.currentDirectoryPath
        let path = buildspecPath(options.buildspec, source: source.directory, fetched: source.isFetched, cwd: cwd)
        guard let (spec, warnings) = try? BuildSpecParser.parse(contentsOf: path) else { return nil }
        if spec.artifacts == nil {
            return "\(path) has no artifacts section, so a run has nothing to deploy; add for example\n  artifacts:\n    base-directory: dist\n    files: ['**/*']"
        }
        // CodeBuild ignores a misspelled key with a warning, and its artifact goes to a private
        // bucket; what run deploys is public: `base_directory: dist` would publish the whole
        // checkout (.env included).
        if let typo = warnings.first(where: { $0.keyPath.hasPrefix("artifacts.") && $0.keyPath.split(separator: ".").count == 2
                                             && $0.message.hasPrefix("unknown key") }) {
            return "\(typo)\nrun deploys the primary artifact to a public site, so a key it would ignore there stops it; fix the key"
        }
        return nil
    }

    /// A usage error when `path` cannot be written (``DeployInvocation/writableProblem(_:what:)``).
    static func checkPlace(_ path: String, what: String) throws {
        if let problem = DeployInvocation.writableProblem(path, what: what) { throw UsageError(problem) }
    }

    /// The output directory is replaced wholesale, so it must not hold anything else
    /// the user cares about: never the source, the working directory, home or `/`.
    static func checkOutputDirectory(_ out: String, flag: String?, source: String, cwd: String, environment: [String: String]) throws {
        let name = flag.map { "\($0) \(out)" } ?? "the output directory \(out)"
        for (protected, what) in [(source, "the source directory"), (cwd, "the working directory"),
                                  (environment["HOME"] ?? "/root", "your home directory"), ("/", "the root directory")] {
            if out == protected || protected.hasPrefix(out.hasSuffix("/") ? out : out + "/") {
                throw UsageError("\(name) would replace \(what); choose a directory of its own, such as ./dist-out")
            }
        }
    }

    /// The static credentials of the AWS profile the build's commands use (AWS_PROFILE or
    /// `default`) and of its `source_profile` chain, from the shared files: masked in the log
    /// as the environment's keys are (`aws configure get aws_secret_access_key` prints them).
    static func profileCredentials(environment: [String: String]) -> [String] {
        guard let files = try? SharedConfigFiles(environment: environment) else { return [] }
        var name = SharedConfigFiles.profileName(option: nil, environment: environment)
        var seen: Set<String> = []
        var values: [String] = []
        while seen.insert(name).inserted, let settings = files.profile(name) {
            values += ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"].compactMap { settings[$0] }
            guard let next = settings["source_profile"] else { break }
            name = next
        }
        return values
    }

    /// Whether `profile`, or a profile its `source_profile` chain leads to, has
    /// `credential_source = Environment`.
    static func profileReadsEnvironmentKeys(_ profile: String, environment: [String: String]) -> Bool {
        guard let files = try? SharedConfigFiles(environment: environment) else { return false }
        var name = profile
        var seen: Set<String> = []
        while seen.insert(name).inserted, let settings = files.profile(name) {
            if settings["credential_source"]?.lowercased() == "environment" { return true }
            guard let next = settings["source_profile"], next != name else { return false }
            name = next
        }
        return false
    }

    /// Where the primary artifact goes without --out.
    static let defaultOutput = ".sitebuild/_build/artifacts"

    /// The artifacts are collected from the base directory into the output directory, which is
    /// replaced first: one inside the other, the build's files would be gone before they are
    /// collected (or the output collected into itself).
    static func checkOutputIsNotTheBase(_ out: String, flag: String, base written: String?, what: String, source: String, buildspec: String) throws {
        guard var base = written, !base.isEmpty, !base.contains("*") else { return }
        if base.contains("$") {
            // `$CODEBUILD_SRC_DIR/dist` is known before the build; a variable a command sets is not.
            let known = ["CODEBUILD_SRC_DIR": source]
            let (expanded, missing) = BuildEngine.expandReferences(base, in: known)
            guard missing.isEmpty, !expanded.contains("$"), !expanded.contains("`") else { return }
            base = expanded
        }
        let baseDirectory = URL(fileURLWithPath: base.hasPrefix("/") ? base : source + "/" + base).standardizedFileURL.path
        let outDirectory = URL(fileURLWithPath: out).standardizedFileURL.path
        // A base around the output is fine: the output directory is left out of what is collected.
        if baseDirectory == outDirectory || baseDirectory.hasPrefix(outDirectory + "/") {
            throw UsageError("\(flag): the base-directory of the \(what) (\(buildspec): \(what).base-directory: \(written ?? base)) is "
                + (baseDirectory == outDirectory ? "that directory" : "inside it")
                + ": the build's output is collected from there into the output directory, which is replaced first; choose another "
                + "--out, such as \(base == "." ? "../out" : base + "-out")")
        }
    }

    /// The output directory is replaced whole: one that already holds files that no sitebuild
    /// build wrote there (a folder of the project, `public/` with its images) is refused.
    /// The directories builds wrote are remembered under the cache directory.
    static func checkOutputHoldsOnlyOurs(_ out: String, flag: String, cacheDirectory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw UsageError("\(flag): is a file, and a build replaces its output directory whole; name a directory (new or empty)")
        }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
        if !entries.isEmpty && !FileManager.default.fileExists(atPath: outputRecord(out, cacheDirectory: cacheDirectory)) {
            throw UsageError("\(flag): the directory holds files no sitebuild build put there (\(entries.prefix(3).joined(separator: ", "))"
                + "\(entries.count > 3 ? ", …" : "")), and a build replaces its output directory whole; choose a new or empty directory "
                + "(if an earlier build, or one with another cache directory, made it: empty it once)")
        }
    }

    /// `--zip` names the file to write: one already there is replaced when a build wrote it or it
    /// is a ZIP archive (an earlier build's, whichever cache directory remembered it, as `zip` and
    /// `tar` replace the archive they are told to write). Any other file (the buildspec, a page of
    /// the site, named by a slip) is refused before anything runs.
    static func checkPrimaryZip(_ path: String, zipFlag: String, cacheDirectory: String) throws {
        guard FileManager.default.fileExists(atPath: path),
              !FileManager.default.fileExists(atPath: outputRecord(path, cacheDirectory: cacheDirectory)),
              !isZipArchive(path) else { return }
        throw UsageError("--zip \(zipFlag): \(path) is a file no sitebuild build wrote and not a ZIP archive, and the build would "
            + "overwrite it; give the ZIP a path of its own, such as \(((zipFlag as NSString).deletingLastPathComponent as NSString).appendingPathComponent("site.zip")), "
            + "or move the file away")
    }

    /// Whether the file starts as a ZIP archive does (a local file header, or the end record of an empty one).
    static func isZipArchive(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        return head == Data([0x50, 0x4B, 0x03, 0x04]) || head == Data([0x50, 0x4B, 0x05, 0x06])
    }

    /// A secondary artifact's ZIP is written beside `--zip`, to `<identifier>.zip`, a path the
    /// user did not name: like an output directory, it may replace only what a build wrote
    /// there (remembered as the output directories are), never a file of the user's.
    static func checkSecondaryZip(_ path: String, identifier: String, zipFlag: String, cacheDirectory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let place = "--zip \(zipFlag): the secondary artifact '\(identifier)' is written beside it, to \(path)"
        let elsewhere = "or write the ZIPs to another directory (--zip other-dir/\((zipFlag as NSString).lastPathComponent))"
        if isDirectory.boolValue {
            throw UsageError("\(place), which is a directory; move it away, \(elsewhere)")
        }
        if !FileManager.default.fileExists(atPath: outputRecord(path, cacheDirectory: cacheDirectory)) {
            throw UsageError("\(place), which is a file no sitebuild build wrote, and the build would overwrite it; move it away "
                + "(if an earlier build, or one with another cache directory, made it: delete it once), \(elsewhere)")
        }
    }

    /// Where the cache directory remembers that a build wrote the output directory (or ZIP) `out`
    /// (its real path: a link to it is the same directory).
    static func outputRecord(_ out: String, cacheDirectory: String) -> String {
        let real = URL(fileURLWithPath: out).resolvingSymlinksInPath().path
        return cacheDirectory + "/outputs/" + ContentHash(of: real).hex.prefix(16)
    }

    /// The output directories and ZIPs builds remembered (``rememberOutputs(_:project:cacheDirectory:)``).
    static func rememberedOutputs(cacheDirectory: String) -> [(path: String, project: String?)] {
        let folder = cacheDirectory + "/outputs"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
            // The path, then the project that wrote it (records of older versions have none).
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            guard let path = lines.first, path.hasPrefix("/") else { return nil }
            return (path, lines.count > 1 ? lines[1] : nil)
        }
    }

    /// The folder an artifact base directory names, as an absolute path under `source` (the
    /// source itself without one); nil when it cannot be known before the build (a variable
    /// other than CODEBUILD_SRC_DIR, a glob).
    static func literalBase(_ base: String?, source: String) -> String? {
        guard var text = base, !text.isEmpty else { return source }
        for variable in ["${CODEBUILD_SRC_DIR}", "$CODEBUILD_SRC_DIR"] where text.hasPrefix(variable) {
            text = "." + text.dropFirst(variable.count)
        }
        if text.contains(where: { "$*?[{".contains($0) }) { return nil }
        return URL(fileURLWithPath: text.hasPrefix("/") ? text : source + "/" + text).standardizedFileURL.path
    }

    /// Remembers the output directories and ZIPs a build wrote (its artifacts' directories and ZIPs).
    /// `includingAbsent`: also those not written yet (`run`'s local target, made after the build).
    static func rememberOutputs(_ directories: [String], project: String, cacheDirectory: String, includingAbsent: Bool = false) {
        guard !directories.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: cacheDirectory + "/outputs", withIntermediateDirectories: true)
        for out in directories where includingAbsent || FileManager.default.fileExists(atPath: out) {
            _ = FileManager.default.createFile(atPath: outputRecord(out, cacheDirectory: cacheDirectory),
                                               contents: Data((out + "\n" + project + "\n").utf8))
        }
    }

    /// The folder of sitebuild's persistent state on this machine (build caches, stat caches,
    /// locks, build numbers): SITEBUILD_CACHE_DIR, else XDG_CACHE_HOME/sitebuild, else
    /// ~/.cache/sitebuild, the home folder from HOME or, unset (systemd units, `env -i`), the
    /// user database. Without any home, a folder of this user's own in the temporary directory
    /// (``privateTemporaryCache(in:)``): never a shared path another user could make first and
    /// fill with a build cache that runs as whoever builds.
    static func cacheDirectory(_ environment: [String: String]) -> String {
        if let dir = environment["SITEBUILD_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/sitebuild" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/sitebuild" }
        if let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir {
            let home = String(cString: directory)
            var info = stat()
            if home.hasPrefix("/"), home != "/", stat(home, &info) == 0, info.st_uid == geteuid() { return home + "/.cache/sitebuild" }
        }
        return privateTemporaryCache(in: NSTemporaryDirectory())
    }

    /// `sitebuild-cache-<uid>` in `temporary`, made private (0700) and used only when it is
    /// this user's own folder (not a link, not writable by others); else a fresh private folder.
    static func privateTemporaryCache(in temporary: String) -> String {
        let base = temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary
        let path = base + "/sitebuild-cache-\(geteuid())"
        _ = mkdir(path, 0o700)
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 { return path }
        var template = Array((base + "/sitebuild-cache-\(geteuid())-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { return path }
        return String(cString: made)
    }

    /// The files this process's standard output and error are redirected to (real paths), if
    /// they are regular files: a CI step's `sitebuild run --json > events.ndjson`.
    static func ownOutputFiles() -> [String] {
        [1, 2].compactMap { fd -> String? in
            var info = stat()
            guard fstat(Int32(fd), &info) == 0, info.st_mode & S_IFMT == S_IFREG,
                  let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"), path.hasPrefix("/")
            else { return nil }
            return FileWalker.realPath(path)
        }
    }

    /// A directory holding `codebuild-hash-files`, a link to this binary: beside the shell
    /// state, out of /tmp, which builds clean (``RuntimeDirectory``). Commands that run as
    /// other users (`run-as`) need the helpers too.
    static func makeHelperDirectory(cacheDirectory: String, runAs: Bool) throws -> String {
        let dir: String
        do {
            dir = try RuntimeDirectory.make("bin", cacheDirectory: cacheDirectory, reachableByOtherUsers: runAs, mode: 0o755)
        } catch {
            throw UsageError("\(error)")
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        try FileManager.default.createSymbolicLink(atPath: dir + "/" + HashFilesCommand.programName, withDestinationPath: executable)
        return dir
    }

    static func writeDotenv(_ variables: [(name: String, value: String)], to path: String) throws {
        var text = ""
        for (name, value) in variables {
            let plain = !value.isEmpty && value.allSatisfy { !$0.isWhitespace && !"\"'\\$`#".contains($0) }
            if plain || value.isEmpty {
                text += "\(name)=\(value)\n"
            } else {
                var escaped = ""
                for c in value {
                    switch c {
                    case "\\": escaped += "\\\\"
                    case "\"": escaped += "\\\""
                    case "\n": escaped += "\\n"
                    case "\r\n": escaped += "\\r\\n"
                    case "\r": escaped += "\\r"
                    case "$": escaped += "\\$"
                    case "`": escaped += "\\`"
                    default: escaped.append(c)
                    }
                }
                text += "\(name)=\"\(escaped)\"\n"
            }
        }
        // The real values (secrets copied into an exported variable among them): the owner's only.
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw UsageError(String(cString: strerror(errno))) }
        let written = Array(text.utf8).withUnsafeBytes { writeFully(fd, $0) }
        close(fd)
        guard written, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw UsageError(reason)
        }
    }
}

func absolutePath(_ path: String, relativeTo base: String) -> String {
    let joined = path.hasPrefix("/") ? path : base + "/" + path
    return URL(fileURLWithPath: joined).standardizedFileURL.path
}

/// `path` relative to `root` when it lies below it.
func relativePath(_ path: String, under root: String) -> String? {
    let prefix = root.hasSuffix("/") ? root : root + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
}

