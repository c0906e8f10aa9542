import Foundation
import SiteContent
import Yams

/// A framework found in a directory, with the files and packages that show it.
struct DetectedFramework: Sendable, Equatable {
    var framework: Framework
    /// The UI library of a Vite app (React, Vue, …), for messages.
    var flavor: String?
    /// One sentence per fact, e.g. `package.json has devDependency vite ^5.2.0`.
    var evidence: [String]

    var displayName: String { flavor.map { "\(framework.displayName) (\($0))" } ?? framework.displayName }
}

/// An app of a workspace that `--app` may name.
struct WorkspaceCandidate: Sendable, Equatable {
    var path: String
    var framework: DetectedFramework?
}

/// What `FrameworkDetector` concluded about one directory.
enum DetectionOutcome: Sendable, Equatable {
    case detected(DetectedFramework)
    /// A workspace root with no site of its own: choose one of its apps with `--app`.
    case workspace(evidence: String, candidates: [WorkspaceCandidate])
    /// A framework sitebuild has no template for, and the nearest template if one fits.
    case unsupported(name: String, evidence: String, hint: String?)
    /// Nothing recognised; the notes say what was close and why it did not count.
    case unknown(notes: [String])
}

/// Tells a site's framework from its files: exact package names in package.json's
/// dependencies and devDependencies (never substrings of scripts or descriptions), then the
/// configuration files of Hugo, Jekyll and MkDocs, then a framework's configuration file
/// (an Nx app has no package.json), then a bare index.html where no build tool is
/// configured. Pure over `ProjectFiles`.
struct FrameworkDetector: Sendable {
    let files: any ProjectFiles

    /// Node frameworks, most specific first (Astro, SvelteKit and Nuxt use Vite too).
    static let nodeFrameworks: [(Framework, [String])] = [
        (.nextjs, ["next"]),
        (.nuxt, ["nuxt", "nuxt3"]),
        (.gatsby, ["gatsby"]),
        (.docusaurus, ["@docusaurus/core"]),
        (.astro, ["astro"]),
        (.sveltekit, ["@sveltejs/kit"]),
        (.angular, ["@angular/core"]),
        (.eleventy, ["@11ty/eleventy"]),
    ]

    /// Frameworks built on Vite (or similar) that the Vite template would get wrong.
    static let unsupportedPackages: [(package: String, name: String, hint: String?)] = [
        ("vitepress", "VitePress", "its site is in .vitepress/dist: --framework vite, then set artifacts.base-directory to .vitepress/dist"),
        ("@remix-run/dev", "Remix", "a Remix app in SPA mode writes build/client: --framework vite, then set artifacts.base-directory to build/client"),
        ("@react-router/dev", "React Router (framework mode)", "with ssr: false it writes build/client: --framework vite, then set artifacts.base-directory to build/client"),
        ("@solidjs/start", "SolidStart", nil),
        ("@analogjs/platform", "Analog", nil),
        ("@builder.io/qwik-city", "Qwik City", nil),
        ("vuepress", "VuePress", nil),
        ("@vue/cli-service", "Vue CLI", "it builds into dist/ as a single-page app: --framework vite fits it"),
    ]

    static let viteFlavors: [(package: String, name: String)] = [
        ("react", "React"), ("vue", "Vue"), ("svelte", "Svelte"), ("preact", "Preact"), ("solid-js", "Solid"), ("lit", "Lit"),
    ]

    static let hugoConfigFiles = ["hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json"]
    static let genericConfigFiles = ["config.toml", "config.yaml", "config.yml", "config.json"]
    /// Folders a plain site may keep its index.html in (besides the root).
    static let plainSiteFolders = ["public", "www", "site", "html"]

    /// Reads `dir/package.json` if there is one.
    func manifest(in dir: String) throws -> PackageManifest? {
        let path = ProjectPath.join(dir, "package.json")
        return try files.read(path).map { try PackageManifest(json: $0, file: path) }
    }

    /// Detects the framework of the app in `app` (relative to the root; `""` is the root).
    func detect(app: String) throws -> DetectionOutcome {
        var notes: [String] = []
        let manifest: PackageManifest?
        do {
            manifest = try self.manifest(in: app)
        } catch let error as UsageError {
            throw UsageError("\(error.description); fix it or pass --framework")
        }
        if let outcome = detectFramework(in: app, manifest: manifest, notes: &notes) { return outcome }
        if let workspace = workspaceOutcome(in: app, manifest: manifest) { return workspace }
        if let configured = detectByConfig(in: app, manifests: manifestChain(app, own: manifest), notes: &notes) { return .detected(configured) }
        if let plain = detectPlain(in: app, manifest: manifest, notes: &notes) { return .detected(plain) }
        return .unknown(notes: notes)
    }

    /// The package.json files whose packages an app can use, nearest first: its own, and
    /// when it has none (an Nx app), the nearest one above it (the workspace root's, where
    /// the packages are installed). Unreadable ones are skipped: planning reports them.
    func manifestChain(_ app: String, own: PackageManifest?) -> [(file: String, manifest: PackageManifest)] {
        if let own { return [(ProjectPath.join(app, "package.json"), own)] }
        for dir in ProjectPath.ancestry(app).dropFirst() {
            if let manifest = try? manifest(in: dir) { return [(ProjectPath.join(dir, "package.json"), manifest)] }
        }
        return []
    }

    /// A framework of any kind in `dir`, without the workspace and plain-HTML fallbacks.
    func detectFramework(in dir: String, manifest: PackageManifest?, notes: inout [String]) -> DetectionOutcome? {
        if let manifest, let outcome = detectNode(in: dir, manifest: manifest, notes: &notes) { return outcome }
        if let hugo = detectHugo(in: dir, notes: &notes) { return .detected(hugo) }
        if let jekyll = detectJekyll(in: dir, notes: &notes) { return .detected(jekyll) }
        if let mkdocs = detectMkDocs(in: dir) { return .detected(mkdocs) }
        return nil
    }

    // MARK: - Node

    func detectNode(in dir: String, manifest: PackageManifest, notes: inout [String]) -> DetectionOutcome? {
        let file = ProjectPath.join(dir, "package.json")
        func fact(_ name: String) -> String? {
            manifest.dependency(name).map { "\(file) has \($0.kind.rawValue) \(name) \($0.version)" }
        }
        for (framework, packages) in Self.nodeFrameworks {
            guard let package = packages.first(where: { manifest.dependency($0) != nil }), let evidence = fact(package) else { continue }
            if framework == .angular {
                let angularJSON = ProjectPath.join(dir, "angular.json")
                guard files.isFile(angularJSON) else {
                    notes.append("\(evidence), but there is no \(angularJSON) (an Nx workspace?): the Angular template reads the output folder from angular.json")
                    continue
                }
                return .detected(DetectedFramework(framework: .angular, evidence: [evidence, "\(angularJSON) is the Angular workspace file"]))
            }
            if framework == .sveltekit, let adapter = Self.svelteKitAdapter(in: manifest), let adapterEvidence = fact(adapter) {
                return .detected(DetectedFramework(framework: .sveltekit, flavor: Self.adapterName(adapter), evidence: [evidence, adapterEvidence]))
            }
            return .detected(DetectedFramework(framework: framework, evidence: [evidence]))
        }
        for entry in Self.unsupportedPackages {
            if let evidence = fact(entry.package) {
                return .unsupported(name: entry.name, evidence: evidence, hint: entry.hint)
            }
        }
        if let vite = fact("vite"), isWorkspaceRoot(dir, manifest: manifest), !hasViteEntry(in: dir) {
            // A workspace root often has vite for vitest: its apps are the sites.
            notes.append("\(vite), but \(dir.isEmpty ? "the root" : dir) is a workspace root with no index.html or vite.config.*, so vite is a tool of the workspace (vitest?), not a site")
        } else if let vite = fact("vite") {
            let flavors = Self.viteFlavors.filter { manifest.dependency($0.package) != nil }
            let flavor = flavors.isEmpty ? nil : flavors.map(\.name).joined(separator: ", ")
            return .detected(DetectedFramework(framework: .vite, flavor: flavor, evidence: [vite] + flavors.compactMap { fact($0.package) }))
        }
        if let cra = fact("react-scripts") {
            return .detected(DetectedFramework(framework: .createReactApp, flavor: nil, evidence: [cra]))
        }
        if let react = fact("react") {
            notes.append("\(react), but no build tool sitebuild knows (vite, react-scripts, next, gatsby, astro…)")
        } else if let vue = fact("vue") {
            notes.append("\(vue), but no build tool sitebuild knows (vite, nuxt…)")
        }
        return nil
    }

    /// The SvelteKit adapter package.json names (adapter-static first, then the others by
    /// name), or nil without one.
    static func svelteKitAdapter(in manifest: PackageManifest) -> String? {
        let names = (Array(manifest.dependencies.keys) + Array(manifest.devDependencies.keys)).sorted()
        let adapters = names.filter { $0.hasPrefix("@sveltejs/adapter-") || $0.hasPrefix("svelte-adapter-") || $0.hasPrefix("sveltekit-adapter-") }
        return adapters.first { $0 == Framework.svelteKitStaticAdapter } ?? adapters.first
    }

    /// `adapter-auto` for `@sveltejs/adapter-auto`: the name in labels.
    static func adapterName(_ package: String) -> String {
        package.hasPrefix("@sveltejs/") ? String(package.dropFirst("@sveltejs/".count)) : package
    }

    /// A folder whose package.json has `workspaces`, or with a pnpm-workspace.yaml or an
    /// nx.json.
    func isWorkspaceRoot(_ dir: String, manifest: PackageManifest?) -> Bool {
        manifest?.workspaces != nil || files.isFile(ProjectPath.join(dir, "pnpm-workspace.yaml")) || files.isFile(ProjectPath.join(dir, "nx.json"))
    }

    /// Whether `dir` has what a Vite app builds from: an index.html or a vite.config.*.
    func hasViteEntry(in dir: String) -> Bool {
        (["index.html"] + SitePlanner.viteConfigs).contains { files.isFile(ProjectPath.join(dir, $0)) }
    }

    // MARK: - Hugo, Jekyll, MkDocs

    func detectHugo(in dir: String, notes: inout [String]) -> DetectedFramework? {
        for name in Self.hugoConfigFiles where files.isFile(ProjectPath.join(dir, name)) {
            return DetectedFramework(framework: .hugo, evidence: ["\(ProjectPath.join(dir, name)) is Hugo's configuration file"])
        }
        let configDir = ProjectPath.join(dir, "config/_default")
        if files.isDirectory(configDir),
           let name = files.list(configDir).first(where: { ($0.hasPrefix("hugo.") || $0.hasPrefix("config.")) }) {
            return DetectedFramework(framework: .hugo, evidence: ["\(ProjectPath.join(configDir, name)) is a Hugo configuration directory"])
        }
        for name in Self.genericConfigFiles {
            let path = ProjectPath.join(dir, name)
            guard let text = files.read(path) else { continue }
            var markers: [String] = []
            if ConfigText.value(of: "baseURL", in: text) != nil { markers.append("a baseURL key") }
            if files.isDirectory(ProjectPath.join(dir, "archetypes")) { markers.append("an archetypes/ folder") }
            if files.isDirectory(ProjectPath.join(dir, "content")) && files.isDirectory(ProjectPath.join(dir, "layouts")) {
                markers.append("content/ and layouts/ folders")
            }
            if markers.isEmpty {
                notes.append("\(path) exists but has none of Hugo's markers (a baseURL key, archetypes/, content/ with layouts/)")
                continue
            }
            return DetectedFramework(framework: .hugo, evidence: ["\(path) with \(markers.joined(separator: " and ")) (Hugo)"])
        }
        return nil
    }

    func detectJekyll(in dir: String, notes: inout [String]) -> DetectedFramework? {
        let config = ProjectPath.join(dir, "_config.yml")
        guard let configText = files.read(config) else { return nil }
        if files.isFile(ProjectPath.join(dir, "_toc.yml")) {
            notes.append("\(config) with _toc.yml is a Jupyter Book, not Jekyll")
            return nil
        }
        let gemfile = ProjectPath.join(dir, "Gemfile")
        if let gemText = files.read(gemfile) {
            if let gem = ConfigText.gemfileGems(gemText).first(where: { $0 == "jekyll" || $0 == "github-pages" }) {
                return DetectedFramework(framework: .jekyll, evidence: ["\(config) and \(gemfile) with gem \"\(gem)\""])
            }
            notes.append("\(config) and a \(gemfile) without the jekyll or github-pages gem: not Jekyll")
            return nil
        }
        var markers = ["_posts", "_layouts", "_includes", "_sass", "_data"]
            .filter { files.isDirectory(ProjectPath.join(dir, $0)) }.map { "\($0)/" }
        markers += ["theme", "remote_theme", "plugins"].filter { ConfigText.value(of: $0, in: configText) != nil }.map { "\($0): in _config.yml" }
        guard !markers.isEmpty else {
            notes.append("\(config) alone (no Gemfile, _posts/, _layouts/ or theme) is not enough to tell Jekyll")
            return nil
        }
        return DetectedFramework(framework: .jekyll, evidence: ["\(config) with \(markers.joined(separator: ", ")) and no Gemfile (Jekyll)"])
    }

    func detectMkDocs(in dir: String) -> DetectedFramework? {
        for name in ["mkdocs.yml", "mkdocs.yaml"] where files.isFile(ProjectPath.join(dir, name)) {
            return DetectedFramework(framework: .mkdocs, evidence: ["\(ProjectPath.join(dir, name)) is MkDocs' configuration file"])
        }
        return nil
    }

    // MARK: - Configuration files

    /// Configuration files (by name, or name prefix when ending in `.`) of build tools and
    /// frameworks: a folder with one holds sources to build, never a plain site.
    static let buildToolConfigs = ["vite.config.", "webpack.config.", "rollup.config.", "rspack.config.", "esbuild.config.", ".parcelrc",
                                   "svelte.config.", "next.config.", "astro.config.", "nuxt.config.", "gatsby-config.",
                                   "docusaurus.config.", "eleventy.config.", ".eleventy.js", "angular.json", "project.json"]

    /// The build-tool configuration files in `dir` (plus tsconfig.json when there is a src/
    /// folder to compile), by name.
    func buildToolFiles(in dir: String) -> [String] {
        var found = files.list(dir).filter { name in
            Self.buildToolConfigs.contains { $0.hasSuffix(".") ? name.hasPrefix($0) : name == $0 } && files.isFile(ProjectPath.join(dir, name))
        }
        if files.isFile(ProjectPath.join(dir, "tsconfig.json")) && files.isDirectory(ProjectPath.join(dir, "src")) {
            found.append("tsconfig.json with src/")
        }
        return found
    }

    /// The first file of `dir` whose name is `stem` plus a JavaScript or TypeScript extension.
    func configFile(_ stem: String, in dir: String) -> String? {
        ["js", "mjs", "cjs", "ts", "mts", "cts"].lazy.map { ProjectPath.join(dir, "\(stem).\($0)") }.first(where: files.isFile)
    }

    /// A framework told by its configuration file in `dir`, when package.json detection found
    /// none: an Nx app has no package.json (its packages are the workspace root's), and a
    /// workspace package may leave its packages to the root. The framework's package must
    /// be in `manifests` (the app's package.json, or the nearest one above it).
    func detectByConfig(in dir: String, manifests: [(file: String, manifest: PackageManifest)], notes: inout [String]) -> DetectedFramework? {
        func fact(_ name: String) -> String? {
            for (file, manifest) in manifests {
                if let found = manifest.dependency(name) { return "\(file) has \(found.kind.rawValue) \(name) \(found.version)" }
            }
            return nil
        }
        func hasPackage(_ name: String) -> Bool { manifests.contains { $0.manifest.dependency(name) != nil } }
        let svelteConfig = configFile("svelte.config", in: dir)
        let svelteKit = svelteConfig.map { path in
            hasPackage("@sveltejs/kit") || (files.read(path).map { $0.contains("@sveltejs/adapter-") || $0.contains("kit:") } ?? false)
        } ?? false
        let angularJSON = ProjectPath.join(dir, "angular.json")
        let eleventyConfig = files.isFile(ProjectPath.join(dir, ".eleventy.js")) ? ProjectPath.join(dir, ".eleventy.js") : configFile("eleventy.config", in: dir)
        let candidates: [(Framework, String?, String, String)] = [
            (.nextjs, configFile("next.config", in: dir), "next", "Next.js"),
            (.nuxt, configFile("nuxt.config", in: dir), "nuxt", "Nuxt"),
            (.gatsby, configFile("gatsby-config", in: dir), "gatsby", "Gatsby"),
            (.docusaurus, configFile("docusaurus.config", in: dir), "@docusaurus/core", "Docusaurus"),
            (.astro, configFile("astro.config", in: dir), "astro", "Astro"),
            (.sveltekit, svelteKit ? svelteConfig : nil, "@sveltejs/kit", "SvelteKit"),
            (.angular, files.isFile(angularJSON) ? angularJSON : nil, "@angular/core", "Angular"),
            (.eleventy, eleventyConfig, "@11ty/eleventy", "Eleventy"),
            (.vite, configFile("vite.config", in: dir), "vite", "Vite"),
        ]
        let origin = manifests.first.map { $0.file == ProjectPath.join(dir, "package.json") ? "" : " (\(dir) has no package.json of its own)" } ?? ""
        for (framework, config, package, name) in candidates {
            guard let config else { continue }
            guard let packageFact = fact(package) else {
                let searched = manifests.first.map { "\($0.file)\(origin)" } ?? "no package.json in \(dir.isEmpty ? "the folder" : dir) or above it"
                notes.append("\(config) is \(name)'s configuration file, but \(searched) does not list \(package); add it (or pass --framework)")
                continue
            }
            var detected = DetectedFramework(framework: framework, evidence: ["\(config) is \(name)'s configuration file", packageFact])
            if framework == .sveltekit, let adapter = manifests.lazy.compactMap({ Self.svelteKitAdapter(in: $0.manifest) }).first {
                detected.flavor = Self.adapterName(adapter)
            }
            return detected
        }
        if let note = nxProjectNote(in: dir) { notes.append(note) }
        return nil
    }

    /// What an Nx project.json without a framework configuration file beside it builds with.
    func nxProjectNote(in dir: String) -> String? {
        let path = ProjectPath.join(dir, "project.json")
        guard let text = files.read(path),
              let project = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        let targets = (project["targets"] ?? project["architect"]) as? [String: Any]
        guard let build = targets?["build"] as? [String: Any] else { return nil }
        let executor = (build["executor"] ?? build["builder"]) as? String ?? "no executor"
        let outputPath = (build["options"] as? [String: Any])?["outputPath"] as? String
        let name = project["name"] as? String ?? (dir as NSString).lastPathComponent
        let output = outputPath.map { ", writing \($0)" } ?? ""
        return "\(path) is an Nx project whose build target runs \(executor)\(output), which no sitebuild template builds; build it with `npx nx build \(name)` in a buildspec of your own and set artifacts.base-directory to its output folder"
    }

    // MARK: - Plain HTML

    /// The folder (relative to `dir`) whose index.html makes a plain site, if any.
    func plainSiteFolder(in dir: String) -> String? {
        (["."] + Self.plainSiteFolders).first { files.isFile(ProjectPath.join(dir, $0, "index.html")) }
    }

    func detectPlain(in dir: String, manifest: PackageManifest?, notes: inout [String]) -> DetectedFramework? {
        guard let folder = plainSiteFolder(in: dir) else { return nil }
        let index = ProjectPath.join(dir, folder, "index.html")
        let tools = buildToolFiles(in: dir)
        if !tools.isEmpty {
            let list = tools.map { ProjectPath.join(dir, $0) }.joined(separator: ", ")
            notes.append("\(index) exists, but so does build-tool configuration (\(list)), so \(index) is a source file to build, not the site: publishing the folder as it is would deploy the sources")
            return nil
        }
        if let build = manifest?.scripts["build"] {
            notes.append("\(index) exists, but \(ProjectPath.join(dir, "package.json")) has a build script (\"\(build)\") for a tool sitebuild does not know, so \(index) is probably a source file")
            return nil
        }
        return DetectedFramework(framework: .plain, evidence: ["\(index) and no site generator: the files are the site"])
    }

    // MARK: - Workspaces

    /// A workspace root without a site of its own lists its apps.
    func workspaceOutcome(in dir: String, manifest: PackageManifest?) -> DetectionOutcome? {
        var patterns: [String] = []
        var evidence: [String] = []
        if let workspaces = manifest?.workspaces {
            patterns += workspaces
            evidence.append("\(ProjectPath.join(dir, "package.json")) has workspaces")
        }
        let pnpmWorkspace = ProjectPath.join(dir, "pnpm-workspace.yaml")
        if let text = files.read(pnpmWorkspace) {
            evidence.append("\(pnpmWorkspace) exists")
            if case .mapping(let map)? = try? Yams.compose(yaml: text), case .sequence(let list)? = map["packages"] {
                patterns += list.compactMap(\.string)
            }
        }
        let nx = ProjectPath.join(dir, "nx.json")
        if files.isFile(nx) { evidence.append("\(nx) exists") }
        guard !evidence.isEmpty else { return nil }
        var candidates = workspaceCandidates(in: dir, patterns: patterns)
        if files.isFile(nx) {
            let listed = Set(candidates.map(\.path))
            candidates += nxProjects(in: dir, manifest: manifest).filter { !listed.contains($0.path) }
            candidates = candidates.filter { $0.framework != nil } + candidates.filter { $0.framework == nil }
        }
        return .workspace(evidence: evidence.joined(separator: " and "), candidates: candidates)
    }

    /// Whether Nx calls the project in `folder` a library (`"projectType": "library"` in its
    /// project.json, or in package.json's `nx` key): a package other projects use, never a site,
    /// though a Vite library has a vite.config too.
    func isNxLibrary(_ folder: String) -> Bool {
        func projectType(_ name: String, key: String?) -> String? {
            guard let text = files.read(ProjectPath.join(folder, name)),
                  var object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
            if let key {
                guard let nested = object[key] as? [String: Any] else { return nil }
                object = nested
            }
            return object["projectType"] as? String
        }
        return (projectType("project.json", key: nil) ?? projectType("package.json", key: "nx")) == "library"
    }

    /// The projects of an Nx workspace: folders (three levels down at most) with a
    /// project.json, each with the framework its files show; libraries are left out.
    func nxProjects(in dir: String, manifest: PackageManifest?) -> [WorkspaceCandidate] {
        files.directories(under: dir, depth: 3).filter { files.isFile(ProjectPath.join($0, "project.json")) && !isNxLibrary($0) }.map { folder in
            var notes: [String] = []
            let own = try? self.manifest(in: folder)
            var found: DetectedFramework?
            if let own, case .detected(let d)? = detectFramework(in: folder, manifest: own, notes: &notes) { found = d }
            if found == nil {
                let chain = own.map { [(ProjectPath.join(folder, "package.json"), $0)] }
                    ?? manifest.map { [(ProjectPath.join(dir, "package.json"), $0)] } ?? []
                found = detectByConfig(in: folder, manifests: chain, notes: &notes)
            }
            return WorkspaceCandidate(path: folder, framework: found)
        }
    }

    /// Workspace packages (folders with a package.json matching the workspace globs), each
    /// with the framework found in it.
    func workspaceCandidates(in dir: String, patterns: [String]) -> [WorkspaceCandidate] {
        let included = patterns.filter { !$0.hasPrefix("!") }.compactMap { ProjectPath.normalize($0) }
        let globs = included.map(GlobPattern.init)
        let excluded = patterns.filter { $0.hasPrefix("!") }.compactMap { ProjectPath.normalize(String($0.dropFirst())) }.map(GlobPattern.init)
        // How many folder levels the patterns reach (`**` counts as four).
        let depth = included.map { $0.split(separator: "/").reduce(0) { $0 + ($1 == "**" ? 4 : 1) } }.max() ?? 0
        var candidates: [WorkspaceCandidate] = []
        for folder in files.directories(under: dir, depth: max(depth, 1)) {
            let relative = dir.isEmpty ? folder : String(folder.dropFirst(dir.count + 1))
            guard globs.contains(where: { $0.matches(relative) }), !excluded.contains(where: { $0.matches(relative) }), !isNxLibrary(folder) else { continue }
            var notes: [String] = []
            guard let manifest = try? manifest(in: folder) else { continue }
            var found: DetectedFramework?
            if case .detected(let d)? = detectFramework(in: folder, manifest: manifest, notes: &notes) { found = d }
            candidates.append(WorkspaceCandidate(path: folder, framework: found))
        }
        // Apps with a site first, then the rest (libraries), each in path order.
        return candidates.filter { $0.framework != nil } + candidates.filter { $0.framework == nil }
    }
}
