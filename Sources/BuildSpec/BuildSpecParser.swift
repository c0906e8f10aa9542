import Foundation
import Yams

/// Reads buildspec YAML into a `BuildSpec`, collecting every error and warning with its
/// `file:line:column` and key path. Pure: text in, value and diagnostics out.
public struct BuildSpecParser {
    public private(set) var diagnostics: [Diagnostic] = []
    /// Mappings merge keys (`<<`) may still pull in (see ``mergingKeys(_:_:)``).
    var mergeBudget = 10_000
    let file: String
    /// The document's lines, for hints that depend on how an item was written.
    var sourceLines: [Substring] = []

    /// Parses `text` (the contents of `file`). Throws `BuildSpecError` when any error was
    /// found; the warnings of a usable spec are in the returned value's `warnings`.
    public static func parse(_ text: String, file: String) throws -> (spec: BuildSpec, warnings: [Diagnostic]) {
        var parser = BuildSpecParser(file: file)
        let spec = parser.parseDocument(text)
        if let spec, !parser.diagnostics.contains(where: { $0.severity == .error }) {
            return (spec, parser.diagnostics)
        }
        throw BuildSpecError(diagnostics: parser.diagnostics)
    }

    /// Reads and parses a buildspec file; a missing or unreadable file is an error
    /// that names it.
    public static func parse(contentsOf path: String) throws -> (spec: BuildSpec, warnings: [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let why = isDirectory.boolValue ? "is a directory; pass the buildspec file itself (such as \(path)/buildspec.yml)"
                : exists ? "cannot be read (check its permissions)"
                : "does not exist; pass --buildspec FILE, add buildspec.yml to the source root, or run `sitebuild init` to write one"
            throw BuildSpecError(diagnostics: [Diagnostic(.error, at: nil, keyPath: "", "YAML file \(path) \(why)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let bytes = [UInt8](data)
            let invalid = firstInvalidUTF8(in: bytes)
            let byte = invalid.map { String(format: "0x%02X", bytes[$0.offset]) }
            throw BuildSpecError(diagnostics: [Diagnostic(.error, at: SourceLocation(file: path, line: invalid?.line ?? 1, column: invalid?.column ?? 1),
                                                          keyPath: "", "the file is not valid UTF-8 text"
                                                              + (byte.map { " (the byte \($0) here); save it as UTF-8" } ?? ""))])
        }
        return try parse(text, file: path)
    }

    /// Where the first byte that is not part of a valid UTF-8 sequence is: its offset, line
    /// and column (from 1, counted in characters as YAML's marks are; a BOM takes no column).
    static func firstInvalidUTF8(in bytes: [UInt8]) -> (offset: Int, line: Int, column: Int)? {
        var i = 0, line = 1, column = 1
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < bytes.count {
            let lead = bytes[i]
            // The length of the sequence, and the range of its second byte (which rules out
            // overlong forms, surrogates and values above U+10FFFF).
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xE1...0xEF: length = 3
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: return (i, line, column)
            }
            for k in 1..<length {
                guard i + k < bytes.count, (k == 1 ? second : 0x80...0xBF).contains(bytes[i + k]) else { return (i, line, column) }
            }
            if lead == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        return nil
    }

    /// The line and column of the character at `offset` in `text` (a YAML reader error's
    /// position), counted as YAML's marks are.
    static func lineAndColumn(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }

    init(file: String) {
        self.file = file
    }

    // MARK: - Document

    mutating func parseDocument(_ text: String) -> BuildSpec? {
        var root: Node?
        sourceLines = YAMLDuplicateKey.lines(of: text)
        // Unresolved git conflict markers: said before YAML's error about them, which names
        // neither the markers nor the fix.
        if let line = Self.conflictMarkerLine(sourceLines) {
            error(SourceLocation(file: file, line: line, column: 1), "", "the file has unresolved merge conflict markers (<<<<<<<, =======, >>>>>>>) "
                  + "at line \(line): resolve the conflict (keep the lines you want and remove the markers) and commit the result")
            return nil
        }
        // An alias of a collection in a mapping key: Yams would hash it whole, once per path
        // through its nested aliases (``YAMLAliasKey``).
        if let found = YAMLAliasKey.collectionAliasInKey(text) {
            error(SourceLocation(file: file, line: found.line, column: found.column), "", "\(found.alias) is an alias of a list or mapping used "
                  + "in a mapping key; buildspec keys are plain names: write the key out (an alias is for a value, as in `key: \(found.alias)`)")
            return nil
        }
        // A key repeated in a mapping: CodeBuild's agent reads YAML with go-yaml, whose lenient
        // (non-strict) decoding keeps the last value, so the earlier entry is left out of the
        // text (blanked, every other line and column kept) and the text read again.
        do {
            switch try YAMLDuplicateKey.composeKeepingLast(text) {
            case .composed(let node, let dropped):
                root = node
                for repeat_ in dropped {
                    let first = repeat_.first, at = repeat_.repeated ?? repeat_.first
                    // Both on one line (`{A: 1, A: 2}`): their columns.
                    let (firstAt, here, there) = first.line == at.line
                        ? ("line \(first.line), column \(first.column)", "column \(at.column)", "column \(first.column)")
                        : ("line \(first.line)", "line \(at.line)", "line \(first.line)")
                    warning(SourceLocation(file: file, line: at.line, column: at.column), "",
                            "duplicate key '\(repeat_.key)' (first at \(firstAt)): the value here (\(here)) is used and "
                            + "the one at \(there) is ignored, as CodeBuild's YAML reader keeps the last; remove the one you do not mean")
                }
            case .cannotDrop(let repeat_):
                diagnostics.append(duplicateKeyError(repeat_))
                return nil
            }
        } catch let error as YamlError {
            diagnostics.append(yamlDiagnostic(error))
            return nil
        } catch {
            diagnostics.append(Diagnostic(.error, at: nil, keyPath: "", "cannot parse YAML: \(error)"))
            return nil
        }
        guard let root else {
            error(SourceLocation(file: file, line: 1, column: 1), "", "the buildspec is empty; it needs at least 'version' and 'phases'")
            return nil
        }
        guard let top = mapping(root, "") else { return nil }

        var version: BuildSpec.Version?
        if let node = top.value(for: "version"), !isNull(node) {
            if let text = scalar(node, "version") {
                if let v = BuildSpec.Version(rawValue: text) {
                    version = v
                } else {
                    error(node, "version", "unsupported buildspec version '\(text)'; use 0.2 (recommended) or 0.1")
                }
            }
        } else if let key = top.first(where: { $0.key.string == "version" })?.key {
            // `version:` with no value (or `~`) is no version, not the default.
            error(key, "version", "the buildspec has no 'version' (the key has no value); write `version: 0.2`")
        } else {
            error(root, "version", "the buildspec has no 'version'; add `version: 0.2` as the first line")
        }
        var spec = BuildSpec(version: version ?? .v0_2, file: file)
        // A section with no value (`env:` whose keys are all commented out) is an empty one, as
        // CodeBuild decodes it: the same as leaving it out, as `phases.build:` with no value is.
        func section(_ key: String) -> Node? {
            top.value(for: key).flatMap { isNull($0) ? nil : $0 }
        }
        let is01 = version == .v0_1

        var known = ["version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"]
        if is01 { known.append("environment_variables") }
        warnUnknownKeys(top, known: known, path: "")

        if let node = top.value(for: "run-as") {
            spec.runAs = scalar(node, "run-as")
            spec.runAsLocation = location(node)
        }
        if let node = section("env") { spec.env = parseEnvironment(node, path: "env") }
        if is01, let node = section("environment_variables") {
            parseVariables(node, path: "environment_variables", legacy: true, into: &spec.env)
        }
        if let node = section("proxy") { spec.proxy = parseProxy(node) }
        if let node = section("batch") { spec.batch = parseBatch(node) }
        if let node = section("phases") {
            spec.phases = parsePhases(node)
        } else if let batch = spec.batch, let key = top.first(where: { $0.key.string == "batch" })?.key {
            // A batch build's root buildspec often has only `batch`: its children run their own.
            error(key, "phases", Self.batchWithoutPhases(batch))
        } else {
            error(root, "phases", "the buildspec has no 'phases'; add at least one of install, pre_build, build, post_build")
        }
        if let node = section("reports") { spec.reports = parseReports(node) }
        if let node = section("artifacts") { spec.artifacts = parseArtifacts(node, path: "artifacts", primary: true) }
        if let node = section("cache") { spec.cache = parseCache(node) }
        return spec
    }

    // MARK: - Sections

    mutating func parseEnvironment(_ node: Node, path: String) -> Environment {
        var env = Environment()
        guard let map = mapping(node, path) else { return env }
        warnUnknownKeys(map, known: ["shell", "variables", "parameter-store", "secrets-manager",
                                     "exported-variables", "git-credential-helper"], path: path)
        if let n = map.value(for: "shell"), let text = scalar(n, "\(path).shell") {
            switch text {
            case "bash", "/bin/bash": env.shell = .bash
            case "sh", "/bin/sh": env.shell = .sh
            case "powershell.exe", "cmd.exe", "pwsh.exe":
                error(n, "\(path).shell", "'\(text)' is a Windows shell; sitebuild runs Linux commands: use bash or /bin/sh")
            default:
                error(n, "\(path).shell", "unsupported shell '\(text)'; use bash or /bin/sh")
            }
        }
        if let n = map.value(for: "variables") {
            parseVariables(n, path: "\(path).variables", legacy: false, into: &env)
        }
        if let n = map.value(for: "parameter-store") {
            for entry in stringMap(n, path: "\(path).parameter-store") {
                checkVariableName(entry.key, entry.keyNode, "\(path).parameter-store")
                if Self.isBlank(entry.value) {
                    error(isNull(entry.node) ? entry.keyNode : entry.node, "\(path).parameter-store.\(entry.key)",
                          "the parameter name is empty; write the name of the Parameter Store parameter, such as /my-app/token")
                }
                env.parameterStore.append((entry.key, entry.value))
            }
        }
        if let n = map.value(for: "secrets-manager") {
            for entry in stringMap(n, path: "\(path).secrets-manager") {
                checkVariableName(entry.key, entry.keyNode, "\(path).secrets-manager")
                let ref = SecretReference(parsing: entry.value)
                if Self.isBlank(ref.secretId) {
                    error(isNull(entry.node) ? entry.keyNode : entry.node, "\(path).secrets-manager.\(entry.key)",
                          "the reference must start with a secret id: secret-id:json-key:version-stage:version-id")
                }
                env.secretsManager.append((entry.key, ref))
            }
        }
        var exportedLocations: [String: SourceLocation?] = [:]
        if let n = map.value(for: "exported-variables") {
            let items = stringList(n, path: "\(path).exported-variables")
            for (i, item) in items.enumerated() {
                exportedLocations[item.text] = item.location
                checkVariableName(item.text, item.location, "\(path).exported-variables[\(i)]")
                if item.text.hasPrefix("AWS_") {
                    // CodeBuild's reference says such names cannot be exported, not that the
                    // buildspec is refused: left out with a warning, so a buildspec listing one
                    // still runs (and credentials never reach CodePipeline or the file).
                    warning(item.location, "\(path).exported-variables[\(i)]", "'\(item.text)' is not exported: names starting with AWS_ "
                        + "cannot be exported (they are reserved); copy the value to another name in a command if it is meant to be")
                } else {
                    env.exportedVariables.append(item.text)
                }
            }
        }
        if let n = map.value(for: "git-credential-helper") {
            env.gitCredentialHelper = boolean(n, "\(path).git-credential-helper") ?? false
        }
        let secretNames = Set(env.parameterStore.map(\.name) + env.secretsManager.map(\.name))
        for name in env.exportedVariables where secretNames.contains(name) {
            error(exportedLocations[name] ?? nil, "\(path).exported-variables",
                  "'\(name)' comes from parameter-store or secrets-manager and cannot be exported")
        }
        return env
    }

    /// Appends the variables of `node` (and where each value is written) to `env`.
    mutating func parseVariables(_ node: Node, path: String, legacy: Bool, into env: inout Environment) {
        var source = node
        if legacy, let map = mapping(node, path) {
            // 0.1: environment_variables: { plaintext: { NAME: value } }
            warnUnknownKeys(map, known: ["plaintext"], path: path)
            guard let plain = map.value(for: "plaintext") else { return }
            source = plain
        }
        let mapPath = legacy ? "\(path).plaintext" : path
        for entry in stringMap(source, path: mapPath) {
            checkVariableName(entry.key, entry.keyNode, mapPath)
            if CodeBuildVariables.isProvided(entry.key) {
                warning(entry.keyNode, "\(mapPath).\(entry.key)",
                        "\(entry.key) is set by the build itself (names starting with CODEBUILD_ are reserved by CodeBuild); this value is ignored")
                continue
            }
            if entry.key.hasPrefix("CODEBUILD_") {
                // The project's own (`CODEBUILD_CACHE_BUCKET`): CodeBuild's docs only discourage
                // the prefix, and real builds rely on such variables.
                warning(entry.keyNode, "\(mapPath).\(entry.key)",
                        "names starting with CODEBUILD_ are reserved by CodeBuild; \(entry.key) is not one it sets, so the value is used")
            }
            env.variables.append((entry.key, entry.value))
            env.variableLocations[entry.key] = location(entry.node)
        }
    }

    mutating func parseProxy(_ node: Node) -> Proxy? {
        guard let map = mapping(node, "proxy") else { return nil }
        warnUnknownKeys(map, known: ["upload-artifacts", "logs"], path: "proxy")
        return Proxy(uploadArtifacts: map.value(for: "upload-artifacts").flatMap { boolean($0, "proxy.upload-artifacts") } ?? false,
                     logs: map.value(for: "logs").flatMap { boolean($0, "proxy.logs") } ?? false)
    }

    mutating func parseBatch(_ node: Node) -> Batch? {
        guard let map = mapping(node, "batch") else { return nil }
        let kinds = ["build-list", "build-matrix", "build-graph", "build-fanout"]
        warnUnknownKeys(map, known: ["fast-fail"] + kinds, path: "batch")
        let fastFail = map.value(for: "fast-fail").flatMap { boolean($0, "batch.fast-fail") }
        var batch = Batch(fastFail: fastFail, kinds: kinds.filter { map.value(for: $0) != nil })
        batch.children = Self.batchChildren(map)
        return batch
    }

    /// The children of build-graph and build-list (each `identifier`, `buildspec` and
    /// `env.variables`) and build-matrix's `dynamic.buildspec` entries. Read leniently: the
    /// rest of a batch is CodeBuild's to check.
    static func batchChildren(_ batch: Node.Mapping) -> [BatchChild] {
        func text(_ node: Node?) -> String? {
            guard case .scalar(let s)? = node, !(s.style == .plain && ["~", "null", "Null", "NULL", ""].contains(s.string)) else { return nil }
            return s.string
        }
        func mapping(_ node: Node?) -> Node.Mapping? {
            if case .mapping(let m)? = node { return m }
            return nil
        }
        func items(_ node: Node?) -> [Node] {
            if case .sequence(let list)? = node { return Array(list) }
            return node.map { [$0] } ?? []
        }
        var children: [BatchChild] = []
        for kind in ["build-graph", "build-list"] {
            for item in items(batch.value(for: kind)) {
                guard let entry = mapping(item) else { continue }
                let variables = mapping(mapping(entry.value(for: "env"))?.value(for: "variables"))?
                    .compactMap { key, value in key.string.map { "\($0)=\(text(value) ?? "")" } } ?? []
                children.append(BatchChild(identifier: text(entry.value(for: "identifier")), buildspec: text(entry.value(for: "buildspec")),
                                           variables: variables))
            }
        }
        if let dynamic = mapping(mapping(batch.value(for: "build-matrix"))?.value(for: "dynamic")) {
            let names = mapping(mapping(dynamic.value(for: "env"))?.value(for: "variables"))?.compactMap { $0.key.string } ?? []
            let buildspecs = items(dynamic.value(for: "buildspec")).map(text)
            for buildspec in buildspecs.isEmpty ? [nil] : buildspecs {
                children.append(BatchChild(identifier: nil, buildspec: buildspec, variables: [], matrixVariables: names))
            }
        }
        return children
    }

    /// The error for a batch build's root buildspec without phases: batch builds are not run
    /// locally; how to run each child's buildspec as a build of its own.
    static func batchWithoutPhases(_ batch: Batch) -> String {
        let kinds = batch.kinds.map { "batch.\($0)" }.joined(separator: ", ")
        var message = "this buildspec is a batch build (\(kinds.isEmpty ? "batch" : kinds)) with no 'phases' of its own, "
            + "and sitebuild does not run batch builds locally"
        let ways = batch.children.map { child -> String in
            guard let buildspec = child.buildspec else {
                return "\(child.identifier ?? "a child build") uses this buildspec, which has no phases"
            }
            let variables = (child.identifier.map { ["CODEBUILD_BATCH_BUILD_IDENTIFIER=\($0)"] } ?? []) + child.variables
            var command = "sitebuild build --buildspec \(shellWord(buildspec))" + variables.map { " --env \(shellWord($0))" }.joined()
            if !child.matrixVariables.isEmpty {
                command += " with --env for each combination of \(child.matrixVariables.joined(separator: ", "))"
            }
            return child.identifier.map { "\($0): `\(command)`" } ?? "`\(command)`"
        }
        if ways.isEmpty {
            message += "; add phases to run it as one build"
        } else {
            message += "; run each child build's buildspec as a build of its own: " + ways.joined(separator: "; ")
        }
        return message
    }

    /// `text` as one shell word: quoted only when it needs to be.
    static func shellWord(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-./=:,+@%".unicodeScalars.contains($0)) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    mutating func parsePhases(_ node: Node) -> [PhaseName: Phase] {
        var phases: [PhaseName: Phase] = [:]
        guard let map = mapping(node, "phases") else { return phases }
        for (keyNode, value) in map {
            guard let name = keyName(keyNode, "phases") else { continue }
            guard let phaseName = PhaseName(rawValue: name) else {
                let normalized = name.lowercased().replacingOccurrences(of: "-", with: "_")
                let hint = PhaseName.allCases.map(\.rawValue).min { editDistance($0, normalized) < editDistance($1, normalized) }
                    .flatMap { editDistance($0, normalized) <= 2 ? $0 : nil }
                // CodeBuild's agent reports a key it cannot identify as a "possible syntax error"
                // and carries on: the phase does not run there, so it does not run here either.
                warning(keyNode, "phases.\(name)", "unknown phase '\(name)' will NOT run: CodeBuild, too, reports a key it cannot "
                        + "identify as a possible syntax error and skips it"
                        + (hint.map { "; did you mean '\($0)'?" } ?? "; phases are install, pre_build, build and post_build"))
                continue
            }
            phases[phaseName] = parsePhase(value, name: phaseName)
        }
        return phases
    }

    mutating func parsePhase(_ node: Node, name: PhaseName) -> Phase {
        let path = "phases.\(name.rawValue)"
        var phase = Phase()
        if isNull(node) { return phase }
        guard let map = mapping(node, path) else { return phase }
        warnUnknownKeys(map, known: ["run-as", "on-failure", "runtime-versions", "commands", "finally"], path: path)
        if let n = map.value(for: "run-as") {
            phase.runAs = scalar(n, "\(path).run-as")
            phase.runAsLocation = location(n)
        }
        if let n = map.value(for: "on-failure"), let text = scalar(n, "\(path).on-failure") {
            switch OnFailure.parse(text) {
            case .success(let value): phase.onFailure = value
            case .failure(let problem): error(n, "\(path).on-failure", problem.message)
            }
        }
        if let n = map.value(for: "runtime-versions") {
            if name != .install {
                warning(n, "\(path).runtime-versions", "runtime-versions is only read in the install phase; ignored here")
            } else {
                let entries = stringMap(n, path: "\(path).runtime-versions")
                phase.runtimeVersions = entries.map { ($0.key, $0.value) }
                // CodeBuild's runtime names are a closed set; any other fails a CodeBuild build.
                for entry in entries where !RuntimeCatalog.codeBuildNames.contains(entry.key) {
                    let names = RuntimeCatalog.codeBuildNames.dropLast().joined(separator: ", ") + " and " + RuntimeCatalog.codeBuildNames.last!
                    warning(entry.keyNode, "\(path).runtime-versions.\(entry.key)",
                            "'\(entry.key)' is not a runtime name CodeBuild knows (\(names)): CodeBuild fails the build "
                            + "(\"Unknown runtime named '\(entry.key)'\")" + (RuntimeCatalog.suggestion(for: entry.key).map { "; did you mean '\($0)'?" } ?? ""))
                }
            }
        }
        if let n = map.value(for: "commands") {
            phase.commands = stringList(n, path: "\(path).commands", commands: true).map { Command($0.text, location: $0.location) }
        } else if name != .install && map.value(for: "finally") == nil && map.value(for: "runtime-versions") == nil {
            warning(node, "\(path).commands", "the phase has no commands")
        }
        if let n = map.value(for: "finally") {
            phase.finally = stringList(n, path: "\(path).finally", commands: true).map { Command($0.text, location: $0.location) }
        }
        return phase
    }

    mutating func parseReports(_ node: Node) -> [Report] {
        guard let map = mapping(node, "reports") else { return [] }
        var reports: [Report] = []
        for (keyNode, value) in map {
            guard let name = keyName(keyNode, "reports") else { continue }
            let path = "reports.\(name)"
            guard let r = mapping(value, path) else { continue }
            warnUnknownKeys(r, known: ["files", "base-directory", "discard-paths", "file-format"], path: path)
            guard let files = r.value(for: "files") else {
                error(value, "\(path).files", "a report group needs 'files'")
                continue
            }
            // Any case, as CodeBuild takes it: the console's template writes `JunitXml`.
            let written = r.value(for: "file-format").flatMap { scalar($0, "\(path).file-format") } ?? "JUNITXML"
            let format = written.uppercased()
            let formats = ["JUNITXML", "CUCUMBERJSON", "TESTNGXML", "VISUALSTUDIOTRX", "NUNITXML", "NUNIT3XML",
                           "CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"]
            if !formats.contains(format) {
                error(r.value(for: "file-format"), "\(path).file-format", "unknown report format '\(written)'; one of \(formats.joined(separator: ", "))")
            }
            reports.append(Report(name: name,
                                  files: stringList(files, path: "\(path).files").map(\.text),
                                  baseDirectory: r.value(for: "base-directory").flatMap { scalar($0, "\(path).base-directory") },
                                  discardPaths: r.value(for: "discard-paths").flatMap { boolean($0, "\(path).discard-paths") } ?? false,
                                  fileFormat: format))
        }
        return reports
    }

    mutating func parseArtifacts(_ node: Node, path: String, primary: Bool) -> Artifacts? {
        guard let map = mapping(node, path) else { return nil }
        var known = ["files", "name", "discard-paths", "base-directory", "exclude-paths", "enable-symlinks", "s3-prefix"]
        if primary { known.append("secondary-artifacts") }
        warnUnknownKeys(map, known: known, path: path)
        var artifacts = Artifacts()
        if let n = map.value(for: "files") {
            let items = stringList(n, path: "\(path).files")
            artifacts.files = items.map(\.text)
            for (i, item) in items.enumerated() {
                if Self.isBlank(item.text) {
                    error(item.location, "\(path).files[\(i)]", "the path is empty, so it names no file (was it written from a variable "
                        + "that is not set?); write the files to take, such as 'dist/**/*', or '**/*' for every file")
                } else if Self.namesTheSourceDirectory(item.text) {
                    error(item.location, "\(path).files[\(i)]", "'\(item.text)' names the source directory itself, not files; "
                        + "write '**/*' to take every file in it, or name a folder's files, such as 'dist/**/*'")
                } else {
                    checkPattern(item.text, item.location, "\(path).files[\(i)]")
                }
            }
        } else {
            let why = primary && map.value(for: "secondary-artifacts") != nil
                ? "artifacts.files is required even when only secondary-artifacts are used (CodeBuild rejects the spec otherwise)"
                : "an artifact block needs 'files', for example `files: ['**/*']`"
            error(node, "\(path).files", why)
        }
        if let n = map.value(for: "name") { artifacts.name = scalar(n, "\(path).name") }
        if let n = map.value(for: "discard-paths") { artifacts.discardPaths = boolean(n, "\(path).discard-paths") ?? false }
        if let n = map.value(for: "base-directory") {
            artifacts.baseDirectory = scalar(n, "\(path).base-directory")
            if isNull(n) || artifacts.baseDirectory.map(Self.isBlank) == true {
                // Not the source directory: a templated `base-directory: $OUT` with OUT unset.
                error(n, "\(path).base-directory", "base-directory is empty (was it written from a variable that is not set?); "
                    + "leave the key out to take the files from the source directory, or name the folder, such as 'dist'")
            } else if let base = artifacts.baseDirectory {
                checkPattern(base, location(n), "\(path).base-directory")
            }
        }
        if let n = map.value(for: "exclude-paths") {
            let items = stringList(n, path: "\(path).exclude-paths")
            artifacts.excludePaths = items.map(\.text)
            for (i, item) in items.enumerated() where Self.isBlank(item.text) {
                error(item.location, "\(path).exclude-paths[\(i)]", "the path is empty, so it leaves out nothing (was it written from a variable "
                    + "that is not set?); remove the item, or name the files to leave out, such as 'node_modules/**/*'")
            }
        }
        if let n = map.value(for: "enable-symlinks") { artifacts.enableSymlinks = boolean(n, "\(path).enable-symlinks") ?? false }
        if let n = map.value(for: "s3-prefix") { artifacts.s3Prefix = scalar(n, "\(path).s3-prefix") }
        if primary, let n = map.value(for: "secondary-artifacts"), !isNull(n), let secondary = mapping(n, "\(path).secondary-artifacts") {
            for (keyNode, value) in secondary {
                guard let id = keyName(keyNode, "\(path).secondary-artifacts") else { continue }
                if id.isEmpty || id.contains("/") || id == "." || id == ".." {
                    error(keyNode, "\(path).secondary-artifacts.\(id)", "an artifact identifier must be a plain name without '/'")
                    continue
                }
                if let block = parseArtifacts(value, path: "\(path).secondary-artifacts.\(id)", primary: false) {
                    artifacts.secondary.append((id, block))
                }
            }
            artifacts.secondary.sort { $0.identifier < $1.identifier }
        }
        return artifacts
    }

    mutating func parseCache(_ node: Node) -> Cache? {
        guard let map = mapping(node, "cache") else { return nil }
        warnUnknownKeys(map, known: ["paths", "key", "fallback-keys", "action"], path: "cache")
        guard let pathsNode = map.value(for: "paths") else {
            // CodeBuild skips such a cache ("Skip cache due to: no paths specified to be cached").
            warning(node, "cache.paths", "the cache block has no 'paths', so the cache is not used: nothing is restored or saved, "
                    + "as in CodeBuild (\"no paths specified to be cached\"); add paths, the directories or globs to keep between builds")
            return nil
        }
        let paths = stringList(pathsNode, path: "cache.paths")
        for (index, item) in paths.enumerated() where item.text.hasPrefix("~") || item.text.contains("$") {
            // Cache paths are globs, not shell words: `~/.npm/**/*` would match a folder named `~`.
            // The path itself, as this machine's home folder spells it, when the '~' is the home.
            let spelled = item.text.hasPrefix("~/") ? " (here: \(NSHomeDirectory())\(item.text.dropFirst()))" : ""
            warning(item.location, "cache.paths[\(index)]", "'\(item.text)' is a glob, and '~' and '$' are not expanded in it, so it caches nothing; "
                + "write the path itself\(spelled) or one relative to the source")
        }
        for (index, item) in paths.enumerated() where item.text.split(separator: "/").contains("..") {
            // A cache entry never holds a '..' name (a restore refuses it as unsafe): such a path
            // would be saved by every build and never restored.
            error(item.location, "cache.paths[\(index)]", "'\(item.text)' leaves the source directory with '..', which a cache entry cannot hold; "
                + "write a path below the source directory, or name the folder by its absolute path (a cache path may start with '/')")
        }
        var cache = Cache(paths: paths.map(\.text))
        if let n = map.value(for: "key") { cache.key = scalar(n, "cache.key") }
        if let n = map.value(for: "fallback-keys") {
            cache.fallbackKeys = stringList(n, path: "cache.fallback-keys").map(\.text)
            if cache.fallbackKeys.count > 5 {
                error(n, "cache.fallback-keys", "at most 5 fallback keys are allowed (found \(cache.fallbackKeys.count))")
            }
            if cache.key == nil {
                warning(n, "cache.fallback-keys", "fallback-keys are ignored without cache.key")
            }
        }
        if let n = map.value(for: "action"), let text = scalar(n, "cache.action") {
            switch text.lowercased() {
            case "restore": cache.action = .restore
            case "save": cache.action = .save
            default: error(n, "cache.action", "cache.action must be 'restore' or 'save' (leave it out to do both)")
            }
        }
        return cache
    }

    // MARK: - Typed node access

    mutating func mapping(_ node: Node, _ path: String) -> Node.Mapping? {
        if case .mapping(let m) = node { return mergingKeys(m, path) }
        if isNull(node) {
            error(node, path, "\(path.isEmpty ? "the buildspec" : path) has no value; it must be a mapping of keys to values")
            return nil
        }
        error(node, path, "\(path.isEmpty ? "the buildspec" : path) must be a mapping of keys to values, not \(describe(node))")
        return nil
    }

    /// `m` with its YAML merge keys applied (`<<: *defaults`, `<<: [*a, *b]`), as YAML 1.1
    /// loaders (and so CodeBuild) read them: the mapping's own keys win, then the merged
    /// mappings' in the order listed. Only mappings the parser reads are merged, and a budget
    /// bounds the work, so nested aliases cannot make it blow up.
    mutating func mergingKeys(_ m: Node.Mapping, _ path: String) -> Node.Mapping {
        guard m.contains(where: { Self.isMergeKey($0.key) }) else { return m }
        var own: [(Node, Node)] = []
        var sources: [Node.Mapping] = []
        for (key, value) in m {
            guard Self.isMergeKey(key) else {
                own.append((key, value))
                continue
            }
            let items: [Node]
            if case .sequence(let list) = value { items = Array(list) } else { items = [value] }
            for item in items {
                guard case .mapping(let source) = item else {
                    error(item, path, "a merge key (<<) takes a mapping or a list of mappings, not \(describe(item))")
                    continue
                }
                mergeBudget -= 1
                guard mergeBudget >= 0 else {
                    error(item, path, "too many merge keys (<<): the buildspec merges more than 10,000 mappings")
                    return Node.Mapping(own, m.tag, m.style, m.mark)
                }
                sources.append(mergingKeys(source, path))
            }
        }
        var seen = Set(own.compactMap { $0.0.string })
        var pairs = own
        for source in sources {
            for (key, value) in source where !seen.contains(key.string ?? "") {
                pairs.append((key, value))
                if let name = key.string { seen.insert(name) }
            }
        }
        return Node.Mapping(pairs, m.tag, m.style, m.mark)
    }

    /// `<<` as a plain key (YAML's merge key).
    static func isMergeKey(_ key: Node) -> Bool {
        guard case .scalar(let s) = key else { return false }
        return s.string == "<<" && s.style == .plain
    }

    mutating func scalar(_ node: Node, _ path: String) -> String? {
        if case .scalar(let s) = node {
            if s.style == .plain && ["~", "null", "Null", "NULL", ""].contains(s.string) { return nil }
            return s.string
        }
        error(node, path, "\(path) must be a single value, not \(describe(node))")
        return nil
    }

    mutating func boolean(_ node: Node, _ path: String) -> Bool? {
        guard let text = scalar(node, path) else { return nil }
        switch text.lowercased() {
        case "yes", "true", "on", "y": return true
        case "no", "false", "off", "n": return false
        default:
            error(node, path, "\(path) must be yes or no, not '\(text)'")
            return nil
        }
    }

    /// A list of scalars; a block scalar item keeps its text as written. A single scalar is a
    /// list of one item, as CodeBuild reads it (`files: imagedefinitions.json` in AWS's ECS
    /// tutorial, `commands: npm ci`).
    /// `commands`: the list is `commands` or `finally`, where an item with no value is an
    /// empty command (elsewhere it is left out).
    mutating func stringList(_ node: Node, path: String, commands: Bool = false) -> [(text: String, location: SourceLocation?)] {
        if isNull(node) { return [] }
        if case .scalar(let s) = node {
            if commands {
                warnIfCommentCutsAQuote(node, s, path: path)
                warnSingleCommand(node, s, path: path)
            }
            return [(s.string, location(node))]
        }
        guard case .sequence(let seq) = node else {
            error(node, path, "\(path) must be a list of strings (or a single string), not \(describe(node))")
            return []
        }
        var items: [(String, SourceLocation?)] = []
        for (i, item) in seq.enumerated() {
            guard case .scalar(let s) = item else {
                let hint: String
                if let unquoted = unquotedItem(atLine: item.mark?.line ?? 0) {
                    hint = " (\(commands ? "a command" : "an item") starting with '\(unquoted.first)' must be quoted: \(unquoted.quoted))"
                } else if case .mapping = item {
                    hint = " (a command containing ': ' must be quoted)"
                } else {
                    hint = ""
                }
                error(item, "\(path)[\(i)]", "each item of \(path) must be a string, not \(describe(item))\(hint)")
                continue
            }
            // `-` alone, `- # TODO` or `- ~` is YAML's null, not text. CodeBuild runs such a
            // command as an empty one (its log shows `Running command ` and nothing); in any
            // other list it names nothing, so it is left out. Either way it is said where.
            if isNull(item) {
                let written = "the item has no value (`-` alone or followed by a comment, `~` or `null`)"
                if commands {
                    warning(item, "\(path)[\(i)]", "\(written); it runs as an empty command, as in CodeBuild. Remove it, "
                            + "or quote it if it is the text ~ or null")
                    items.append(("", location(item)))
                } else {
                    warning(item, "\(path)[\(i)]", "\(written) and is left out; remove it, or quote it if it is the text ~ or null")
                }
                continue
            }
            if commands { warnIfCommentCutsAQuote(item, s, path: "\(path)[\(i)]") }
            if commands, let dangling = Self.danglingOperator(s.string) {
                let what = dangling == "\\"
                    ? "ends with '\\', which continues the line onto nothing: the next item is a command of its own. Remove the '\\'"
                    : "ends with '\(dangling)', which leaves it unfinished: the next item is a command of its own, so this one fails "
                        + "with a syntax error (as `sh -c` would). Remove the '\(dangling)'"
                warning(item, "\(path)[\(i)]", "\(what), or join the lines into one command (a `- |` block)")
            }
            items.append((s.string, location(item)))
        }
        return items
    }

    /// Warns that `commands:` (or `finally:`) given as one value, not a list, runs as one
    /// command: CodeBuild's reference expects a list. `-echo install` is a list item missing
    /// the space after its '-', said as such (on several lines, YAML joins them into one).
    mutating func warnSingleCommand(_ node: Node, _ scalar: Node.Scalar, path: String) {
        let text = scalar.string
        let firstLine = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? text
        func short(_ line: String) -> String { line.count > 60 ? String(line.prefix(57)) + "…" : line }
        let shown = short(firstLine)
        if scalar.style == .plain, text.hasPrefix("-"), let second = text.dropFirst().first, second != " " {
            // The item as written on its own line: several such lines are one plain value.
            var item = text
            if let mark = node.mark, mark.line >= 1, mark.line <= sourceLines.count, mark.column >= 1 {
                let line = String(String(String.UnicodeScalarView(sourceLines[mark.line - 1].unicodeScalars.dropFirst(mark.column - 1)))
                    .droppingTrailing())
                if line != text, text.hasPrefix(line) { item = line }
            }
            warning(node, path, "\(path) is not a list: '\(short(item))' is missing the space after '-' that makes it a list item "
                    + "(write `- \(short(String(item.dropFirst())))`). As written it is one value, run as one command, "
                    + "`\(short(text))`\(item == text ? "" : " (YAML joins the lines)"), which fails")
            return
        }
        let what = scalar.style == .literal || scalar.style == .folded ? "the whole block runs as one command" : "it runs as one command, `\(shown)`"
        warning(node, path, "\(path) is a single value, not a list: \(what); CodeBuild expects a list of commands, "
                + "one item each (`- \(shown)`)")
    }

    /// Warns when a plain command (not quoted, not a block) is cut by a YAML comment inside a
    /// shell quote: in `- echo "total # of files"` YAML (and CodeBuild) read ` # of files"` as a
    /// comment, so the command that runs is `echo "total` and the shell fails on the open quote.
    /// Only when the text kept leaves a quote open that the comment closes: a real comment after
    /// a whole command (`- make # build`) is not warned about.
    mutating func warnIfCommentCutsAQuote(_ node: Node, _ scalar: Node.Scalar, path: String) {
        guard scalar.style == .plain, !scalar.string.contains("\n"), let mark = node.mark,
              mark.line >= 1, mark.line <= sourceLines.count, mark.column >= 1 else { return }
        let line = Substring(sourceLines[mark.line - 1].unicodeScalars.dropFirst(mark.column - 1))
        guard line.hasPrefix(scalar.string) else { return }
        let comment = line.dropFirst(scalar.string.count).droppingTrailing(" \t\r")
        guard comment.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#"),
              let open = Self.openQuote(scalar.string), comment.contains(open) else { return }
        let written = scalar.string + comment
        warning(node, path, "the YAML comment at ' #' cuts this command inside a \(open == "'" ? "single" : "double")-quoted string, as in "
                + "CodeBuild: what runs is `\(scalar.string)`, which fails with an unterminated quote. Quote the whole command "
                + "(- '\(written.replacingOccurrences(of: "'", with: "''"))') or write it as a block scalar (- |)")
    }

    /// The shell quote `text` leaves open (`'` or `"`), if any: `'…'` takes everything up to
    /// the next `'`; in `"…"` and outside quotes a backslash escapes the next character.
    static func openQuote(_ text: String) -> Character? {
        var open: Character?
        var escaped = false
        for character in text {
            if escaped { escaped = false; continue }
            switch (open, character) {
            case ("'", "'"): open = nil
            case ("'", _): break
            case (_, "\\"): escaped = true
            case ("\"", "\""): open = nil
            case (nil, "'"), (nil, "\""): open = character
            default: break
            }
        }
        return open
    }

    /// The list item written on `line` (1-based) when it starts with a character YAML reads as
    /// syntax, not text (`- [ -f package.json ] && npm ci`, `- { echo a; echo b; }`): that
    /// character, and the item as it must be written, quoted.
    func unquotedItem(atLine line: Int) -> (first: Character, quoted: String)? {
        guard line >= 1, line <= sourceLines.count else { return nil }
        let text = sourceLines[line - 1].drop { $0 == " " }
        guard text.hasPrefix("- ") else { return nil }
        let item = text.dropFirst(2).drop { $0 == " " }.droppingTrailing()
        guard let first = item.first, "[{&*!%@`|>".contains(first) else { return nil }
        return (first, "- '" + item.replacingOccurrences(of: "'", with: "''") + "'")
    }

    /// The operator a command's text ends with that needs more text after it (`&&`, `||`, `|`,
    /// or a `\` continuing the line), if any: each command runs on its own, never joined to the
    /// next one. A `\\` is an escaped backslash, not a continuation.
    static func danglingOperator(_ text: String) -> String? {
        let trimmed = text.droppingTrailing(" \t\n\r")
        if trimmed.hasSuffix("&&") { return "&&" }
        if trimmed.hasSuffix("||") { return "||" }
        if trimmed.hasSuffix("|") { return "|" }
        let backslashes = trimmed.reversed().prefix { $0 == "\\" }.count
        return backslashes % 2 == 1 ? "\\" : nil
    }

    /// A mapping of names to scalar values, in document order.
    mutating func stringMap(_ node: Node, path: String) -> [(key: String, value: String, keyNode: Node, node: Node)] {
        if isNull(node) { return [] }
        guard let map = mapping(node, path) else { return [] }
        var result: [(String, String, Node, Node)] = []
        for (keyNode, value) in map {
            guard let key = keyName(keyNode, path) else { continue }
            guard case .scalar(let s) = value else {
                error(value, "\(path).\(key)", "\(path).\(key) must be a single value, not \(describe(value)); quote it if it is text")
                continue
            }
            let text = (s.style == .plain && ["~", "null", "Null", "NULL"].contains(s.string)) ? "" : s.string
            result.append((key, text, keyNode, value))
        }
        return result
    }

    func isNull(_ node: Node) -> Bool {
        if case .scalar(let s) = node, s.style == .plain, ["~", "null", "Null", "NULL", ""].contains(s.string) { return true }
        return false
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s): return isNull(node) ? "no value" : "the value '\(s.string)'"
        case .alias: return "an alias"
        }
    }

    // MARK: - Checks

    /// The name `keyNode` spells; an error at it when it is not a plain name (`? [TOKEN]`, a
    /// list or a mapping as a key), which no section can read: left out unseen, the variable or
    /// phase it held was missing from the build.
    mutating func keyName(_ keyNode: Node, _ path: String) -> String? {
        if let name = keyNode.string { return name }
        error(keyNode, path, "a key must be a plain name, not \(describe(keyNode)); write it as `NAME: value`")
        return nil
    }

    mutating func warnUnknownKeys(_ map: Node.Mapping, known: [String], path: String) {
        for (keyNode, _) in map {
            guard let key = keyName(keyNode, path), !known.contains(key) else { continue }
            let near = known.min { editDistance($0, key) < editDistance($1, key) }
            let hint = near.flatMap { editDistance($0, key) <= 2 ? "; did you mean '\($0)'?" : nil } ?? ""
            warning(keyNode, path.isEmpty ? key : "\(path).\(key)", "unknown key '\(key)' is ignored\(hint)")
        }
    }

    mutating func checkVariableName(_ name: String, _ node: Node?, _ path: String) {
        checkVariableName(name, location(node), path)
    }

    mutating func checkVariableName(_ name: String, _ location: SourceLocation?, _ path: String) {
        let valid = !name.isEmpty && name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
            && !(name.first!.isNumber)
        if !valid {
            error(location, path.hasSuffix("]") ? path : "\(path).\(name)", "'\(name)' is not a valid environment variable name (letters, digits and _, not starting with a digit)")
        }
    }

    /// Whether `text` is empty or only blanks: a path that names nothing.
    public static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { $0 == " " || $0 == "\t" }
    }

    /// Whether an artifact `files` pattern names the source directory itself (`.`, `./`), which
    /// is no file: as a bare directory it would take everything, `.env` included.
    static func namesTheSourceDirectory(_ pattern: String) -> Bool {
        guard !pattern.hasPrefix("/") else { return false }
        var text = Substring(pattern)
        while text.hasPrefix("./") { text.removeFirst(2) }
        while text.hasSuffix("/") { text.removeLast() }
        return text.isEmpty || text == "."
    }

    mutating func checkPattern(_ pattern: String, _ node: SourceLocation?, _ path: String) {
        // A base directory may be absolute (`/opt/out`, as AWS's multiple-sources example and
        // templates that build into /opt write it): the files are taken from that folder.
        let isBase = path.hasSuffix(".base-directory")
        if pattern.hasPrefix("/") && path.hasPrefix("artifacts") && !isBase {
            let (folder, rest) = Self.splitAtFirstGlob(pattern)
            error(node, path, "'\(pattern)' is absolute; artifact files are relative to the base directory (the source directory without one): "
                + "to take files from \(folder), write base-directory: \(folder) and the files relative to it ('\(rest)')")
        } else if pattern.hasPrefix("./") {
            warning(node, path, "do not start artifact paths with './'; it is removed")
        }
        if pattern.split(separator: "/").contains("..") {
            if isBase && pattern.hasPrefix("/") {
                error(node, path, "'\(pattern)' has '..'; write the absolute path without it")
            } else if isBase {
                error(node, path, "'\(pattern)' leaves the source directory with '..'; to take the artifacts from a folder outside it, "
                    + "write that folder's absolute path")
            } else {
                error(node, path, "'\(pattern)' leaves the source directory with '..'")
            }
        } else if isBase && pattern.hasPrefix("/") {
            if pattern.allSatisfy({ $0 == "/" }) {
                error(node, path, "'\(pattern)' is the root of the file system; name the folder the build writes, such as /opt/out")
            } else if pattern.contains(where: { "*?[".contains($0) }) {
                error(node, path, "'\(pattern)' is an absolute glob; an absolute base-directory names one folder: write it without wildcards")
            }
        }
    }

    /// An absolute `files` pattern split into the folder before its first wildcard and the rest
    /// (`/opt/out/**/*` → `/opt/out`, `**/*`; `/opt/out/index.html` → `/opt/out`, `index.html`).
    static func splitAtFirstGlob(_ pattern: String) -> (folder: String, rest: String) {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let literal = parts.prefix { !$0.contains(where: { "*?[".contains($0) }) }
        let folderCount = literal.count == parts.count ? max(parts.count - 1, 0) : literal.count
        let folder = "/" + parts.prefix(folderCount).joined(separator: "/")
        let rest = parts.dropFirst(folderCount).joined(separator: "/")
        return (folder, rest.isEmpty ? "**/*" : rest)
    }

    // MARK: - Diagnostics

    func location(_ node: Node?) -> SourceLocation? {
        guard let mark = node?.mark else { return nil }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func error(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), keyPath: path, message))
    }

    mutating func error(_ location: SourceLocation?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location, keyPath: path, message))
    }

    mutating func warning(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: location(node), keyPath: path, message))
    }

    mutating func warning(_ location: SourceLocation?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: location, keyPath: path, message))
    }

    /// The first line of a git merge conflict marker (`<<<<<<< HEAD`, `=======`, `>>>>>>> branch`
    /// at column 1; 1-based), when the file has a `<<<<<<<` or `>>>>>>>` one.
    static func conflictMarkerLine(_ lines: [Substring]) -> Int? {
        var first: Int?
        var angled = false
        for (index, raw) in lines.enumerated() {
            let line = raw.droppingTrailing(" \t\r")
            var marker = line == "======="
            for sign in ["<<<<<<<", ">>>>>>>"] where line.hasPrefix(sign) {
                let rest = line.dropFirst(sign.count)
                if rest.isEmpty || rest.first == " " {
                    marker = true
                    angled = true
                }
            }
            if marker && first == nil { first = index + 1 }
        }
        return angled ? first : nil
    }

    /// For YAML's "mapping values are not allowed": the line's value holds ': ' or ends in ':'
    /// (an ARN such as `arn:aws:secretsmanager:…:KEY::`, `echo "role: $ROLE"`), which YAML reads
    /// as another key. The line as it must be written, its value quoted whole.
    func quotedValue(atLine line: Int) -> String? {
        guard line >= 1, line <= sourceLines.count else { return nil }
        let text = sourceLines[line - 1].droppingTrailing()
        var body = text.drop { $0 == " " }
        var lead = ""
        if body.hasPrefix("- ") {
            lead = "- "
            body = body.dropFirst(2).drop { $0 == " " }
        }
        // `KEY: value` when the text before the first ': ' is a plain name; else the item whole.
        var key = ""
        if let colon = body.range(of: ": "),
           body[..<colon.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "_-.$/".contains($0) }), !body[..<colon.lowerBound].isEmpty {
            key = String(body[..<colon.upperBound])
            body = body[colon.upperBound...].drop { $0 == " " }
        } else if lead.isEmpty {
            return nil
        }
        guard let first = body.first, !"'\"[{|>&*!%@`#".contains(first),
              body.contains(": ") || body.hasSuffix(":") else { return nil }
        return lead + key + "'" + body.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// For YAML's "found unknown escape character": the double-quoted value that holds it, as
    /// written, and the same text in single quotes, where a backslash is an ordinary character.
    func singleQuoted(scalarAt mark: Yams.Mark) -> (escape: String, written: String, quoted: String)? {
        guard mark.line >= 1, mark.line <= sourceLines.count, mark.column >= 1 else { return nil }
        let line = sourceLines[mark.line - 1].unicodeScalars.map(Character.init)
        guard mark.column <= line.count, line[mark.column - 1] == "\"" else { return nil }
        var inner = ""
        var index = mark.column
        var escape: String?
        while index < line.count, line[index] != "\"" {
            if line[index] == "\\", index + 1 < line.count {
                if escape == nil, !"0abt\tnvfre \"/\\N_LPxuU".contains(line[index + 1]) { escape = "\\\(line[index + 1])" }
                inner.append(line[index])
                index += 1
            }
            inner.append(line[index])
            index += 1
        }
        guard index < line.count, let escape else { return nil }
        return (escape, "\"" + inner + "\"", "'" + inner.replacingOccurrences(of: "'", with: "''") + "'")
    }

    /// The character at a line:column mark (1-based, in Unicode scalars), if the text has one there.
    func scalar(atLine line: Int, column: Int) -> Unicode.Scalar? {
        guard line >= 1, line <= sourceLines.count, column >= 1 else { return nil }
        return sourceLines[line - 1].unicodeScalars.dropFirst(column - 1).first
    }

    /// A duplicated key that cannot be left out of the text: an error where it is repeated.
    func duplicateKeyError(_ repeat_: YAMLDuplicateKey.Repeat) -> Diagnostic {
        let at = repeat_.repeated ?? repeat_.first
        return Diagnostic(.error, at: SourceLocation(file: file, line: at.line, column: at.column), keyPath: "",
                          YAMLDuplicateKey.message(repeat_.key, firstAt: repeat_.first, repeatedAt: repeat_.repeated))
    }

    func yamlDiagnostic(_ error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let at = SourceLocation(file: file, line: mark.line, column: mark.column)
            if problem.hasPrefix("Maximum nesting level reached") {
                // libyaml's text names its C function; and the item is too long to quote back.
                return Diagnostic(.error, at: at, keyPath: "", "YAML syntax error: lists and mappings are nested too deeply here "
                                  + "(more than 1,000 levels, such as a value starting with many '['); if it is text, quote it")
            }
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if problem.hasPrefix("mapping values are not allowed") {
                message += "; a value containing ': ' or ending in ':' (an ARN such as arn:aws:secretsmanager:…:KEY::, a command "
                    + "with ': ') reads as another key: quote the whole value ('…' or \"…\")"
                if let quoted = quotedValue(atLine: mark.line) { message += ", as in \(quoted)" }
                return Diagnostic(.error, at: at, keyPath: "", message)
            }
            if problem.hasPrefix("found unknown escape character") {
                let found = context.flatMap { singleQuoted(scalarAt: $0.mark) }
                message += "; in double quotes a backslash starts an escape (\\n, \\t, \\\\, \\\")"
                    + (found.map { ", and \($0.escape) is not one" } ?? "")
                    + ": write the value in single quotes, where a backslash is an ordinary character"
                    + (found.map { " (\($0.quoted) for \($0.written))" } ?? "") + ", or double the backslash"
                return Diagnostic(.error, at: at, keyPath: "", message)
            }
            if let unquoted = unquotedItem(atLine: mark.line) ?? context.flatMap({ unquotedItem(atLine: $0.mark.line) }) {
                message += "; a command or other list item starting with '\(unquoted.first)' must be quoted: \(unquoted.quoted)"
            } else if problem.contains("tab") || (problem.contains("cannot start any token") && scalar(atLine: mark.line, column: mark.column) == "\t") {
                message += "; YAML does not allow tabs for indentation: indent with spaces"
            } else if problem.contains("cannot start any token") {
                message += "; a value starting with a special character (such as @ or `) must be quoted"
            }
            return Diagnostic(.error, at: at, keyPath: "", message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "", first = (line: context.mark.line, column: context.mark.column)
            return duplicateKeyError(YAMLDuplicateKey.Repeat(
                key: key, first: first, repeated: YAMLDuplicateKey.repeated(key, firstAt: first, in: sourceLines.joined(separator: "\n"))))
        case .reader(let problem, let offset, _, let text):
            let (line, column) = offset.map { Self.lineAndColumn(ofCharacter: $0, in: text) } ?? (1, 1)
            return Diagnostic(.error, at: SourceLocation(file: file, line: line, column: column), keyPath: "", "cannot read the YAML: \(problem)")
        default:
            return Diagnostic(.error, at: nil, keyPath: "", "YAML error: \(error)")
        }
    }
}

extension Node.Mapping {
    func value(for key: String) -> Node? {
        for (k, v) in self where k.string == key { return v }
        return nil
    }
}

/// Levenshtein distance, for "did you mean" hints.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension StringProtocol {
    /// The text without the characters of `blanks` at its end: by default spaces and a CR (a
    /// CRLF file's line split on LF alone, or a line's text after a column).
    func droppingTrailing(_ blanks: String = " \r") -> SubSequence {
        var end = endIndex
        while end > startIndex, blanks.contains(self[index(before: end)]) { end = index(before: end) }
        return self[..<end]
    }
}
