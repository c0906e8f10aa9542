import ArgumentParser
import BuildRunner
import BuildSpec
import Foundation
import SiteContent

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a buildspec without running it: errors and warnings as file:line:column.")

    @Option(help: "The source directory. Default: the current directory.")
    var source: String?

    @Option(help: "The buildspec file. Default: buildspec.yml in the source directory.")
    var buildspec: String?

    @Option(help: "The settings file to check too. Default: sitebuild.yml in the source directory, when there is one.")
    var config: String?

    @Flag(help: "Print the findings as one JSON object.")
    var json = false

    func run() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let source = absolutePath(self.source ?? ".", relativeTo: cwd)
        let path = BuildInvocation.buildspecPath(buildspec, source: source, fetched: false, cwd: cwd)
        var diagnostics: [Diagnostic]
        var summary: String?
        var settingsSummary: String?
        // The settings file's folder without a buildspec (a deploy-only project, or one whose
        // `source:` is elsewhere): only the settings are checked.
        let configPath = config.map { absolutePath($0, relativeTo: cwd) }
            ?? SourceResolution.settingsDirectory(forSource: source, cwd: cwd) + "/sitebuild.yml"
        let settingsOnly = buildspec == nil && !FileManager.default.fileExists(atPath: path)
            && FileManager.default.fileExists(atPath: configPath)
        var sourceIsDirectory: ObjCBool = false
        if let given = self.source, given.isEmpty || !FileManager.default.fileExists(atPath: source, isDirectory: &sourceIsDirectory)
            || !sourceIsDirectory.boolValue {
            // Not "buildspec.yml does not exist" below a folder that is not there.
            let fetched = (try? BuildSource.parse(given, what: "--source", relativeTo: cwd))?.isFetched == true
            diagnostics = [Diagnostic(.error, at: nil, keyPath: "", given.isEmpty ? "--source is empty (an unset variable?): name the source directory"
                : fetched ? "--source \(BuildSource.redacted(given)): validate reads a folder on this machine, and this source is fetched; "
                    + "`sitebuild build --source \(BuildSource.redacted(given))` checks its buildspec before running anything, or validate a checkout"
                : "--source \(given): \(FileManager.default.fileExists(atPath: source) ? "not a directory" : "no such directory"); name the project's folder")]
        } else if settingsOnly {
            diagnostics = []
            summary = "\(path): no buildspec here; checked the settings only"
        } else {
            do {
                let (spec, warnings) = try BuildSpecParser.parse(contentsOf: path)
                diagnostics = warnings
                // A run-as user must exist where the build runs; this may not be that machine,
                // so an unknown one is a warning here (the build stops on it with exit 2).
                for (name, location, key) in spec.runAsPlaces where getpwnam(name) == nil {
                    diagnostics.append(Diagnostic(.warning, at: location, keyPath: key,
                                                  "there is no user '\(name)' on this machine: a build here stops before its first command"))
                }
                diagnostics += Self.deploySettingDiagnostics(spec, source: source)
                let commands = spec.phases.values.reduce(0) { $0 + $1.commands.count + $1.finally.count }
                summary = "\(path): valid buildspec \(spec.version.rawValue) (\(spec.phases.count) phase\(spec.phases.count == 1 ? "" : "s"), \(commands) command\(commands == 1 ? "" : "s"))"
            } catch let error as BuildSpecError {
                diagnostics = error.diagnostics
            }
        }
        // The settings file, read as deploy and run read it.
        var settingsFile: String?
        var configIsDirectory: ObjCBool = false
        if config?.isEmpty == true {
            diagnostics.append(Diagnostic(.error, at: nil, keyPath: "", "--config is empty (an unset variable?): name the settings file"))
        } else if config != nil && !FileManager.default.fileExists(atPath: configPath, isDirectory: &configIsDirectory) {
            diagnostics.append(Diagnostic(.error, at: nil, keyPath: "", "--config \(config!): no such file"))
        } else if config != nil && configIsDirectory.boolValue {
            diagnostics.append(Diagnostic(.error, at: nil, keyPath: "", "--config \(config!): is a directory; name the settings file"))
        } else if FileManager.default.fileExists(atPath: configPath) {
            settingsFile = configPath
            do {
                let settings = try SiteConfig.load(configPath)
                // The settings' routing and invalidation values, as with no flags given.
                _ = try RoutingOptions.parse([]).manifestBuilder(settings)
                _ = try InvalidationOptions.parse([]).mode(settings)
                // The build's settings: where the source and the shared cache are.
                if let cache = settings.cache, !cache.isEmpty {
                    _ = try S3CacheStore.location(cache, what: "\(settings.cachePlace ?? configPath): cache")
                }
                if let given = settings.source, !given.isEmpty {
                    _ = try BuildSource.parse(given, what: "\(settings.sourcePlace ?? configPath): source",
                                              relativeTo: (configPath as NSString).deletingLastPathComponent)
                }
                // Its target, pointer and distribution, read as deploy reads them (offline).
                if settings.target != nil || settings.pointer != nil || settings.distribution != nil {
                    let options = try TargetOptions.offline(config: configPath)
                    var environment = ProcessInfo.processInfo.environment
                    for name in TargetOptions.settingVariables { environment[name] = nil }
                    _ = try options.resolve(configDirectory: source, environment: environment)
                }
                // Its domains, as doctor reads them.
                _ = try DoctorCommand.normalize(settings.placedDomains)
                settingsSummary = "\(configPath): valid settings"
            } catch {
                diagnostics.append(Self.diagnostic(fromMessage: "\(error)", file: configPath))
            }
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if json {
            let items = diagnostics.map { d in
                JSONValue.object([("severity", .string(d.severity.rawValue)),
                                  ("file", d.location.map { .string($0.file) } ?? .null),
                                  ("line", d.location.map { .int(Int64($0.line)) } ?? .null),
                                  ("column", d.location.map { .int(Int64($0.column)) } ?? .null),
                                  ("keyPath", .string(d.keyPath)), ("message", .string(d.message))])
            }
            let value = JSONValue.object([("file", .string(path)), ("settingsFile", settingsFile.map(JSONValue.string) ?? .null),
                                          ("valid", .bool(errors == 0)), ("diagnostics", .array(items))])
            writeAll(1, Array((value.serialized() + "\n").utf8))
        } else {
            for d in diagnostics { writeAll(2, Array("\(d)\n".utf8)) }
            if let summary, errors == 0 { writeAll(1, Array("\(summary)\n".utf8)) }
            if let settingsSummary, errors == 0 { writeAll(1, Array("\(settingsSummary)\n".utf8)) }
        }
        if errors > 0 { throw ExitCode(ExitStatus.invalidInput) }
    }

    /// The deploy settings in the buildspec's `env.variables` (`SITEBUILD_TARGET`, …), read
    /// offline as `run` reads them: a value that names a variable, or one deploy would refuse.
    static func deploySettingDiagnostics(_ spec: BuildSpec, source: String) -> [Diagnostic] {
        var given: [String: TargetOptions.GivenVariable] = [:]
        var diagnostics: [Diagnostic] = []
        for name in TargetOptions.settingVariables {
            guard let value = spec.env.variables.last(where: { $0.name == name })?.value, !value.isEmpty else { continue }
            if let problem = RunCommand.referenceProblem(name: name, value: value) {
                diagnostics.append(Diagnostic(.error, at: spec.env.variableLocations[name], keyPath: "env.variables.\(name)", problem))
            } else {
                given[name] = .init(value: value, place: "\(name) (env.variables)", base: source)
            }
        }
        guard !given.isEmpty else { return diagnostics }
        // Read alone: the settings file is checked below, and this shell's variables are not the build's.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-check-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: empty) }
            var environment = ProcessInfo.processInfo.environment
            for name in TargetOptions.settingVariables { environment[name] = nil }
            _ = try TargetOptions.offline(config: nil).resolve(configDirectory: empty, environment: environment, given: given)
        } catch {
            let key = given.keys.sorted().first { "\(error)".hasPrefix($0) }
            diagnostics.append(Diagnostic(.error, at: key.flatMap { spec.env.variableLocations[$0] }, keyPath: key.map { "env.variables.\($0)" } ?? "env.variables",
                                          "\(error)"))
        }
        return diagnostics
    }

    /// A settings error (`file:line:column: key: message`) as a diagnostic with its place.
    static func diagnostic(fromMessage message: String, file: String) -> Diagnostic {
        let prefix = file + ":"
        guard message.hasPrefix(prefix) else { return Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), keyPath: "", message) }
        let rest = message.dropFirst(prefix.count)
        let parts = rest.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) else {
            return Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), keyPath: "",
                              String(rest.drop { $0 == " " }))
        }
        var text = parts[2].drop { $0 == " " }
        var keyPath = ""
        if let colon = text.range(of: ": "), !text[..<colon.lowerBound].contains(" ") {
            keyPath = String(text[..<colon.lowerBound])
            text = text[colon.upperBound...]
        }
        return Diagnostic(.error, at: SourceLocation(file: file, line: line, column: column), keyPath: keyPath, String(text))
    }
}
