import ArgumentParser
import BuildSpec
import Foundation
import SiteContent

/// `sitebuild init`: detects the site's framework from its files and writes a buildspec
/// and a sitebuild.yml for it, saying what it found and why.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Detect the site's framework and write buildspec.yml and sitebuild.yml.",
        discussion: """
            Detection reads exact package names in package.json (dependencies and devDependencies), \
            angular.json, next.config.*, Hugo, Jekyll and MkDocs configuration files, the framework \
            configuration files of an app without a package.json (Nx), and a bare index.html (never \
            beside a build tool's configuration); the lockfile chooses npm, pnpm, yarn or bun. In a \
            monorepo, --app names the app's folder. Existing files are kept unless --force is given.
            """)

    @Argument(help: "The repository (or site) folder to write the files into. Default: the current directory.")
    var directory: String?

    @Option(help: "The app's folder inside DIR, for monorepos (e.g. packages/web).")
    var app: String?

    @Option(help: ArgumentHelp("Skip detection and use this framework.", valueName: "name"))
    var framework: String?

    @Option(help: ArgumentHelp("npm, pnpm, yarn, yarn-berry or bun. Default: the lockfile's.", valueName: "name"))
    var packageManager: String?

    @Flag(help: "Replace an existing buildspec.yml or sitebuild.yml.")
    var force = false

    @Flag(name: .customLong("print"), help: "Print the two files on stdout instead of writing them.")
    var printOnly = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let root = absolutePath(directory ?? ".", relativeTo: cwd)
        do {
            let outcome = try InitCommand.perform(root: root, app: app, framework: framework, packageManager: packageManager,
                                                  force: force, write: !printOnly)
            report(outcome, root: root, cwd: cwd)
        } catch let error as InitError {
            if json {
                var fields: [(String, JSONValue)] = [("error", .string(error.description))]
                if !error.candidates.isEmpty {
                    fields.append(("candidates", .array(error.candidates.map { candidate in
                        .object([("app", .string(candidate.path)),
                                 ("framework", candidate.framework.map { .string($0.framework.rawValue) } ?? .null)])
                    })))
                }
                if error.listsFrameworks {
                    fields.append(("supported", .array(Framework.allCases.map { .string($0.rawValue) })))
                }
                writeAll(1, Array((JSONValue.object(fields).serialized() + "\n").utf8))
            }
            printError(error.description)
            throw ExitCode(ExitStatus.invalidInput)
        } catch let error as UsageError {
            if json { writeAll(1, Array((JSONValue.object([("error", .string(error.description))]).serialized() + "\n").utf8)) }
            printError(error.description)
            throw ExitCode(ExitStatus.invalidInput)
        }
    }

    /// What `init` did: the recipe, the two texts, and whether they were written.
    struct Outcome {
        var recipe: SiteRecipe
        var buildspec: String
        var siteConfig: String
        var written: Bool
        var replaced: [String]
        /// Entries .gitignore lacks, when there is a .gitignore.
        var gitignoreAdditions: [String]
        var forced: Bool
    }

    static let buildspecName = "buildspec.yml"
    static let siteConfigName = "sitebuild.yml"

    /// Detects (or takes the named framework), renders, checks and, with `write`, writes the
    /// files into `root`. Every failure a user can cause is an `InitError` or `UsageError`.
    static func perform(root: String, app appText: String?, framework name: String?, packageManager pmName: String?,
                        force: Bool, write: Bool) throws -> Outcome {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InitError(.badInput, "\(root): no such folder; pass the site's folder as DIR")
        }
        let files = DiskProjectFiles(root: root)
        let app = try appDirectory(appText, root: root, files: files)
        let recipe = try recipe(files: files, app: app, framework: name, packageManager: pmName, rootName: root)
        let buildspec = SiteTemplate.buildspec(for: recipe)
        let siteConfig = SiteTemplate.siteConfig(for: recipe)
        // The templates are tested; this guards against a recipe they do not expect.
        do {
            _ = try BuildSpecParser.parse(buildspec, file: buildspecName)
        } catch let error as BuildSpecError {
            throw InitError(.badInput, "the buildspec written for \(recipe.displayName) does not validate (a sitebuild bug; please report it): \(error.diagnostics.map(\.description).joined(separator: "; "))")
        }
        var outcome = Outcome(recipe: recipe, buildspec: buildspec, siteConfig: siteConfig, written: false, replaced: [],
                              gitignoreAdditions: gitignoreAdditions(recipe, files: files), forced: force)
        guard write else { return outcome }
        let existing = [buildspecName, siteConfigName].filter { FileManager.default.fileExists(atPath: root + "/" + $0) }
        if !existing.isEmpty && !force {
            let names = existing.joined(separator: " and ")
            throw InitError(.fileExists, "\(names) already exist\(existing.count == 1 ? "s" : "") in \(root); pass --force to replace \(existing.count == 1 ? "it" : "them"), or --print to see what init would write")
        }
        for (name, text) in [(buildspecName, buildspec), (siteConfigName, siteConfig)] {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + name), options: force ? .atomic : .withoutOverwriting)
            } catch {
                throw InitError(.badInput, "cannot write \(root)/\(name): \(error.localizedDescription)")
            }
        }
        outcome.written = true
        outcome.replaced = existing
        return outcome
    }

    /// `--app` as a folder relative to the root.
    static func appDirectory(_ text: String?, root: String, files: any ProjectFiles) throws -> String {
        guard let text else { return "" }
        var relative = text
        if text.hasPrefix("/") {
            guard let inside = relativePath(URL(fileURLWithPath: text).standardizedFileURL.path, under: root) else {
                throw InitError(.badInput, "--app \(text): the app must be inside \(root)")
            }
            relative = inside
        }
        guard let app = ProjectPath.normalize(relative) else {
            throw InitError(.badInput, "--app \(text): give the app's folder relative to \(root), without '..'")
        }
        guard app.isEmpty || files.isDirectory(app) else {
            throw InitError(.badInput, "--app \(text): there is no folder \(app) in \(root)")
        }
        return app
    }

    /// The recipe from detection, or from `--framework`. Pure over `files`.
    static func recipe(files: any ProjectFiles, app: String, framework name: String?, packageManager pmName: String?,
                       rootName: String = "the folder") throws -> SiteRecipe {
        var override: PackageManager?
        if let pmName {
            guard let pm = PackageManager(named: pmName) else {
                throw InitError(.badInput, "--package-manager \(pmName): use one of \(PackageManager.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            override = pm
        }
        let planner = SitePlanner(files: files)
        let detector = FrameworkDetector(files: files)
        if let name {
            guard let framework = Framework(named: name) else {
                throw InitError(.unknownFramework, "--framework \(name) is not one sitebuild knows. Supported:\n\(Framework.supportedList)", listsFrameworks: true)
            }
            var detected = DetectedFramework(framework: framework, evidence: ["--framework \(name) (detection skipped)"])
            if framework == .plain, detector.plainSiteFolder(in: app) == nil {
                detected.evidence.append("no index.html in \(app.isEmpty ? "the folder" : app): the whole folder is the site")
            }
            return try planner.plan(detected, app: app, packageManager: override)
        }
        let place = app.isEmpty ? rootName : app
        switch try detector.detect(app: app) {
        case .detected(let detected):
            return try planner.plan(detected, app: app, packageManager: override)
        case .workspace(let evidence, let candidates):
            guard !candidates.isEmpty else {
                throw InitError(.workspaceRoot, "\(place) is a workspace root (\(evidence)) with no site of its own and no packages matching its workspace globs; pass the app's folder with --app PATH")
            }
            let width = (candidates.map(\.path.count).max() ?? 0) + 2
            let list = candidates.map { candidate in
                "  --app \(candidate.path.padding(toLength: width, withPad: " ", startingAt: 0))\(candidate.framework?.displayName ?? "(no site framework found)")"
            }.joined(separator: "\n")
            throw InitError(.workspaceRoot, "\(place) is a workspace root (\(evidence)) with no site of its own; choose the app with --app:\n\(list)",
                            candidates: candidates)
        case .unsupported(let framework, let evidence, let hint):
            throw InitError(.unknownFramework, "\(evidence): \(framework) has no sitebuild template yet\(hint.map { "; \($0)" } ?? ""). Supported (pass one with --framework NAME):\n\(Framework.supportedList)",
                            listsFrameworks: true)
        case .unknown(let notes):
            let why = notes.isEmpty ? "" : "\n" + notes.map { "  - \($0)" }.joined(separator: "\n")
            throw InitError(.unknownFramework, "no framework found in \(place)\(why)\nSupported (pass one with --framework NAME):\n\(Framework.supportedList)",
                            listsFrameworks: true)
        }
    }

    /// Local folders .gitignore should list (the local target and the download caches).
    static func gitignoreAdditions(_ recipe: SiteRecipe, files: any ProjectFiles) -> [String] {
        guard let text = files.read(".gitignore") else { return [] }
        let listed = Set(text.split(whereSeparator: \.isNewline).map { line -> String in
            var entry = line.trimmingCharacters(in: .whitespaces)
            while entry.hasPrefix("/") || entry.hasPrefix("**/") { entry = String(entry.drop { $0 == "/" || $0 == "*" }) }
            while entry.hasSuffix("/") { entry.removeLast() }
            return entry
        })
        var wanted = [".sitebuild"]
        if let pm = recipe.node?.packageManager, pm != .yarnBerry { wanted.append(pm.cacheDirectory) }
        if recipe.python != nil { wanted += [".venv", ".pip-cache"] }
        if let ruby = recipe.ruby { wanted.append(ruby.installPath) }
        if recipe.framework == .angular { wanted.append(Framework.angularOutputDirectory) }
        return wanted.filter { !listed.contains($0) && !listed.contains(($0 as NSString).lastPathComponent) }.map { $0 + "/" }
    }

    // MARK: - Output

    private func report(_ outcome: Outcome, root: String, cwd: String) {
        let recipe = outcome.recipe
        if json {
            var fields: [(String, JSONValue)] = [
                ("framework", .string(recipe.framework.rawValue)),
                ("name", .string(recipe.displayName)),
                ("app", .string(recipe.appDirectory)),
                ("packageManager", recipe.node.map { .string($0.packageManager.rawValue) } ?? .null),
                ("build", recipe.buildCommand.map { .string($0) } ?? .null),
                ("output", .string(recipe.artifactDirectory)),
                ("mode", .string(recipe.routingMode.rawValue)),
                ("immutable", .array(recipe.immutableAssetGlobs.map { .string($0) })),
                ("evidence", .array(recipe.evidence.map { .string($0) })),
                ("warnings", .array(recipe.warnings.map { .string($0) })),
                ("written", .bool(outcome.written)),
                ("files", .array(outcome.written ? [Self.buildspecName, Self.siteConfigName].map { .string(root + "/" + $0) } : [])),
                ("replaced", .array(outcome.replaced.map { .string(root + "/" + $0) })),
                ("gitignore", .array(outcome.gitignoreAdditions.map { .string($0) })),
            ]
            if !outcome.written {
                fields += [("buildspec", .string(outcome.buildspec)), ("sitebuild", .string(outcome.siteConfig))]
            }
            writeAll(1, Array((JSONValue.object(fields).serialized() + "\n").utf8))
            for warning in recipe.warnings { writeAll(2, Array("warning: \(warning)\n".utf8)) }
            return
        }
        var text = ""
        let place = recipe.appDirectory.isEmpty ? "" : " in \(recipe.appDirectory)"
        text += (framework == nil ? "Detected \(recipe.displayName)\(place):\n" : "Using \(recipe.displayName)\(place):\n")
        text += recipe.evidence.map { "  - \($0)\n" }.joined()
        let immutable = recipe.immutableAssetGlobs
        let output = recipe.framework == .angular ? "angular.json's output folder, copied to \(recipe.artifactDirectory)" : recipe.artifactDirectory
        text += "Build: \(recipe.buildCommand ?? "nothing to build") → \(output)"
        text += " (routing \(recipe.routingMode.rawValue)\(immutable.isEmpty ? "" : "; immutable: \(immutable.joined(separator: ", "))"))\n"
        if printOnly {
            writeAll(2, Array(text.utf8))
            for warning in recipe.warnings { writeAll(2, Array("warning: \(warning)\n".utf8)) }
            let files = "# ==> \(Self.buildspecName) <==\n\(outcome.buildspec)\n# ==> \(Self.siteConfigName) <==\n\(outcome.siteConfig)"
            writeAll(1, Array(files.utf8))
            return
        }
        let replaced = outcome.replaced.isEmpty ? "" : " (replaced \(outcome.replaced.joined(separator: " and ")))"
        text += "Wrote \(Self.buildspecName) and \(Self.siteConfigName) in \(root)\(replaced).\n"
        writeAll(1, Array(text.utf8))
        for warning in recipe.warnings { writeAll(2, Array("warning: \(warning)\n".utf8)) }
        var next = "\nNext:\n"
        if URL(fileURLWithPath: root).standardizedFileURL.path != URL(fileURLWithPath: cwd).standardizedFileURL.path {
            next += "  cd \(shellWord(root))\n"
        }
        next += """
              sitebuild validate     check the buildspec
              sitebuild run          build, then deploy to the local target .sitebuild/
              sitebuild serve        preview the live version at http://127.0.0.1:8080/
              For S3 + CloudFront, set target, pointer and distribution in sitebuild.yml (see its comments).

            """
        if !outcome.gitignoreAdditions.isEmpty {
            next += "  Add to .gitignore: \(outcome.gitignoreAdditions.joined(separator: " "))\n"
        }
        writeAll(1, Array(next.utf8))
    }
}
