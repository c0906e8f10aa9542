import BuildRunner
import Foundation
import SiteContent

/// The build's source from `--source`, then `SITEBUILD_SOURCE`, then `source:` in the
/// settings file, then the current directory; fetched, copied or extracted by
/// ``SourceResolver`` into `.sitebuild/_work/<name>` when it is not a directory built in place.
enum SourceResolution {
    /// The source setting and where it came from.
    struct Setting {
        var text: String
        /// `--source`, `SITEBUILD_SOURCE` or `sitebuild.yml:3:9: source`.
        var what: String
        /// Relative paths are taken from here.
        var base: String
        /// The settings file that named the source, if it was one.
        var configFile: String?
    }

    /// A resolved source and the directory whose sitebuild.yml holds the deploy settings.
    struct Outcome {
        var source: ResolvedSource
        var configDirectory: String
        /// What a relative target or pointer in the settings file is relative to: the file's
        /// folder, except in a fetched source (git, ZIP, S3), whose checkout is replaced on
        /// every fetch: there, the current directory (nil: the file's folder).
        var relativeBase: String? = nil
    }

    static func setting(_ options: BuildOptions, configFile: String?, cwd: String, environment: [String: String]) throws -> Setting {
        if let given = options.source { return Setting(text: given, what: "--source", base: cwd) }
        if let given = environment["SITEBUILD_SOURCE"], !given.isEmpty { return Setting(text: given, what: "SITEBUILD_SOURCE", base: cwd) }
        let path = configFile ?? cwd + "/sitebuild.yml"
        let config = try SiteConfig.load(path)
        if let given = config.source, !given.isEmpty {
            return Setting(text: given, what: "\(config.sourcePlace ?? path): source", base: (path as NSString).deletingLastPathComponent,
                           configFile: path)
        }
        return Setting(text: ".", what: "--source", base: cwd)
    }

    /// Resolves the source of `build` or `run`. `configFile` is `run --config`; `cancellation`,
    /// set by the command's ``SignalWatch``, stops the fetch (see ``SourceResolver/cancellation``).
    static func resolve(_ options: BuildOptions, aws: AWSOptions, configFile: String? = nil,
                        cancellation: Cancellation? = nil) async throws -> Outcome {
        let cwd = FileManager.default.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        let configPath = configFile.map { absolutePath($0, relativeTo: cwd) }
        let setting = try setting(options, configFile: configPath, cwd: cwd, environment: environment)
        let location = try BuildSource.parse(setting.text, what: setting.what, relativeTo: setting.base)
        if options.submodules, !location.isGit {
            throw UsageError("--submodules: applies to a git source (a URL with #ref); \(setting.what) \(BuildSource.redacted(setting.text)) is not one")
        }
        let json = options.json
        var resolver = SourceResolver(workRoot: SourceResolver.workRoot(cwd: cwd, environment: environment), environment: environment,
                                      limits: try SourceResolver.limits(environment: environment),
                                      fetcher: S3ArchiveFetcher(context: AWSContext(options: aws, environment: environment)),
                                      log: { line in writeAll(json ? 2 : 1, Array("[Source] \(line)\n".utf8)) })
        resolver.clean = options.clean
        resolver.submodules = options.submodules
        resolver.cancellation = cancellation
        resolver.timeout = try EnvironmentOptions.parseTimeout(options.timeout)
        let source = try await resolver.resolve(location)

        let configDirectory: String
        if let file = setting.configFile {
            configDirectory = (file as NSString).deletingLastPathComponent
        } else {
            // A clean copy's settings are its original folder's.
            if source.kind == .cleanCopy, case .directory(let original) = location {
                configDirectory = settingsDirectory(forSource: original, cwd: cwd)
            } else {
                configDirectory = settingsDirectory(forSource: source.directory, cwd: cwd)
            }
        }
        let fetched = setting.configFile == nil && configDirectory == source.directory
            && source.kind != .directory && source.kind != .cleanCopy
        return Outcome(source: source, configDirectory: configDirectory, relativeBase: fetched ? cwd : nil)
    }

    /// The folder whose sitebuild.yml holds a source's settings: the source's own, else the
    /// current directory's (a project's settings for `run --source apps/web` from its root),
    /// unless that one names another `source:` (its target and pointer are that source's).
    static func settingsDirectory(forSource directory: String, cwd: String) -> String {
        let fm = FileManager.default
        let current = cwd + "/sitebuild.yml"
        guard !fm.fileExists(atPath: directory + "/sitebuild.yml"), fm.fileExists(atPath: current) else { return directory }
        // A file that cannot be read is taken, so that its error is said.
        guard let settings = try? SiteConfig.load(current), let named = settings.source, !named.isEmpty else { return cwd }
        return FileWalker.realPath(absolutePath(named, relativeTo: cwd)) == FileWalker.realPath(directory) ? cwd : directory
    }

    /// ``resolve(_:aws:configFile:)`` for synchronous callers (`sitebuild build`, which runs
    /// on the main thread, outside the concurrency pool the download needs).
    static func resolveBlocking(_ options: BuildOptions, aws: AWSOptions, cancellation: Cancellation? = nil) throws -> Outcome {
        try AWSSecretSource.wait { try await resolve(options, aws: aws, cancellation: cancellation) }
    }

    /// The exit status for a failure to resolve the source: a fetch the timeout stopped ends
    /// as a build that timed out does.
    static func exitStatus(_ error: any Error) -> Int32 {
        if let error = error as? SourceError, error.kind == .unavailable { return ExitStatus.deployFailed }
        if let error = error as? SourceError, error.interruption == .timedOut { return ExitStatus.buildFailed }
        if let error = error as? SourceError, error.kind == .interrupted { return ExitStatus.interrupted }
        return ExitStatus.invalidInput
    }

    /// A failure to resolve the source, said, and with --json the stream's result event:
    /// FAILED, STOPPED for a fetch a signal interrupted, TIMED_OUT for one the timeout did (as a
    /// build stopped in a phase ends).
    static func report(_ error: any Error, json: Bool) {
        printError("\(error)")
        let status = switch (error as? SourceError)?.interruption {
        case .timedOut: "TIMED_OUT"
        case .interrupted: "STOPPED"
        case nil: (error as? SourceError)?.kind == .interrupted ? "STOPPED" : "FAILED"
        }
        Reporter(json: json).event("result", [("status", .string(status)), ("message", .string("\(error)"))])
    }

    /// `name` made into a valid version id: characters other than letters, digits, `.`,
    /// `_` and `-` become `-`, leading `.`, `_` and `-` go, at most 128 characters.
    static func versionId(fromArchiveStem name: String) -> String? {
        var id = String(name.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return scalar.isASCII && (c.isLetter || c.isNumber || "._-".contains(c)) ? c : "-"
        })
        while let first = id.first, "._-".contains(first) { id.removeFirst() }
        id = String(id.prefix(128))
        return id.isEmpty ? nil : id
    }
}
