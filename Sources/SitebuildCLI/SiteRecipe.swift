import Foundation
import SiteContent

/// Everything a template needs to write a buildspec and a sitebuild.yml: the framework,
/// where the app is, how to install and build it, where the site lands, and why.
struct SiteRecipe: Sendable {
    struct NodeInstall: Sendable, Equatable {
        var packageManager: PackageManager
        /// Where the install runs (the lockfile's folder), relative to the root.
        var directory: String
        /// The lockfile, relative to the root; nil when there is none.
        var lockfile: String?
    }

    struct RubyInstall: Sendable, Equatable {
        /// Whether a Gemfile pins the gems (`bundle install`), or jekyll is installed alone.
        var bundler: Bool
        /// The file the cache key hashes (Gemfile.lock or Gemfile), relative to the root.
        var keyFile: String?

        /// Where the gems are installed, relative to the app: a dot folder, which Jekyll never
        /// reads (unless `include:` names it). `vendor/bundle` is left out only by Jekyll's
        /// default `exclude:`, which a site's own `exclude:` list replaces in Jekyll 3
        /// (github-pages), so Jekyll would read the gems' files as pages.
        var installPath: String { bundler ? ".vendor/bundle" : ".vendor/gems" }
    }

    struct PythonInstall: Sendable, Equatable {
        /// requirements.txt relative to the root; nil installs mkdocs alone.
        var requirements: String?
        /// mkdocs.yml uses the Material theme (installed with mkdocs when there is no requirements.txt).
        var material: Bool
    }

    var detected: DetectedFramework
    /// The app's folder relative to the root (`""`: the root itself).
    var appDirectory: String
    /// Where the build writes the site, relative to the app folder, as the framework says it.
    var outputDirectory: String
    /// The same folder relative to the root: the artifact's base directory.
    var artifactDirectory: String
    var node: NodeInstall?
    var ruby: RubyInstall?
    var python: PythonInstall?
    var buildCommand: String?
    /// Hugo themes are often git submodules: fetch them before building.
    var updatesSubmodules = false
    /// Where SvelteKit's adapter-static writes the assets (`_app/`, the static/ files) when
    /// its `assets` option is not the `pages` folder, relative to the app: the build copies
    /// them into the output folder, since the site needs both at its root.
    var separateAssetsDirectory: String?
    /// The page a single-page app falls back to (SvelteKit's adapter-static `fallback`):
    /// routing is then spa whatever the framework's default.
    var spaFallback: String?
    /// The framework's immutable asset folders that this project also fills with unhashed
    /// files (Vite copies public/assets/ into dist/assets/ as is): no immutable rule for them.
    var unhashedAssetGlobs: [String] = []
    /// What was found and concluded, one sentence each.
    var evidence: [String]
    var warnings: [String] = []

    /// The sentence naming the setting the output folder comes from, when one does.
    var outputSetting: String?
    /// The folder the framework resolves its output and public folders against when a setting
    /// moves it from the app folder (Vite's `root`), relative to the app, and that setting.
    var sourceRoot: (folder: String, setting: String)?

    var framework: Framework { detected.framework }

    /// Takes the output folder a project setting names; `setting` says where, as evidence.
    mutating func setOutputDirectory(_ folder: String, from setting: String) {
        outputDirectory = folder
        outputSetting = setting
        evidence.append(setting)
    }
    /// How the site routes: the framework's mode, or spa when the build writes a fallback page.
    var routingMode: RoutingMode { spaFallback != nil ? .spa : framework.routingMode }
    /// The folders whose files all carry a content hash in their name: `Cache-Control: immutable`.
    var immutableAssetGlobs: [String] { framework.immutableAssetGlobs.filter { !unhashedAssetGlobs.contains($0) } }
    /// Files in those folders that keep their name from build to build: revalidated.
    var revalidatedInAssetGlobs: [String] {
        framework.revalidatedInAssetGlobs.filter { glob in immutableAssetGlobs.contains { GlobPattern($0).matches(glob) } }
    }
    var displayName: String { detected.displayName }

    /// The recipe behind the files in `buildspecs/`: the app at the root, its package.json
    /// having the framework's build script, and the package manager's lockfile.
    static func standard(_ framework: Framework, packageManager: PackageManager = .npm) -> SiteRecipe {
        var recipe = SiteRecipe(detected: DetectedFramework(framework: framework, evidence: []), appDirectory: "",
                                outputDirectory: framework.defaultOutputDirectory, artifactDirectory: framework.defaultOutputDirectory,
                                evidence: [])
        if framework == .sveltekit { recipe.detected.flavor = FrameworkDetector.adapterName(Framework.svelteKitStaticAdapter) }
        if framework.usesNode {
            recipe.node = NodeInstall(packageManager: packageManager, directory: "", lockfile: packageManager.lockfiles[0])
            recipe.buildCommand = framework.buildScript.map(packageManager.runScript)
        }
        switch framework {
        case .hugo: recipe.buildCommand = "hugo --minify --cleanDestinationDir"
        case .jekyll:
            recipe.ruby = RubyInstall(bundler: true, keyFile: "Gemfile.lock")
            recipe.buildCommand = "bundle exec jekyll build"
        case .mkdocs:
            recipe.python = PythonInstall(requirements: "requirements.txt", material: false)
            recipe.buildCommand = "mkdocs build"
        default: break
        }
        return recipe
    }
}

/// Works out a `SiteRecipe` from the project's files once the framework is known
/// (detected, or named with `--framework`). Pure over `ProjectFiles`.
struct SitePlanner: Sendable {
    let files: any ProjectFiles

    func plan(_ detected: DetectedFramework, app: String, packageManager: PackageManager? = nil) throws -> SiteRecipe {
        let framework = detected.framework
        let detector = FrameworkDetector(files: files)
        var recipe = SiteRecipe(detected: detected, appDirectory: app, outputDirectory: framework.defaultOutputDirectory,
                                artifactDirectory: "", evidence: detected.evidence)
        // A Node framework builds from package.json; any other framework (named with
        // --framework) builds without it, so a broken one only skips its packages.
        let manifest: PackageManifest?
        do {
            manifest = try detector.manifest(in: app)
        } catch let error as UsageError {
            guard !framework.usesNode else {
                throw UsageError("\(error.description); fix it: the \(framework.displayName) template installs and builds from it")
            }
            recipe.warnings.append("\(error.description), so its packages are not installed; fix it if the \(framework.displayName) build needs them")
            manifest = nil
        }
        func file(_ name: String) -> String { ProjectPath.join(app, name) }

        // Install: Node packages for Node frameworks, and for generators whose site has a package.json with packages.
        let wantsNode = framework.usesNode || (framework != .plain && manifest?.hasDependencies == true)
        // An app without a package.json of its own (an Nx app) uses the workspace root's packages.
        let inherited = manifest == nil && framework.usesNode ? detector.manifestChain(app, own: nil).first : nil
        if wantsNode {
            if let inherited {
                recipe.evidence.append("\(app) has no package.json of its own: its packages are those of \(inherited.file)")
            } else if manifest == nil {
                recipe.warnings.append("there is no \(file("package.json")): the \(framework.displayName) template installs and builds with npm, which needs one")
            }
            recipe.node = try nodeInstall(app: app, override: packageManager, recipe: &recipe)
        }
        let pm = recipe.node?.packageManager ?? .npm

        // Build.
        if framework.usesNode {
            if let script = framework.buildScript, let text = manifest?.scripts[script] {
                recipe.buildCommand = pm.runScript(script)
                recipe.evidence.append("\(file("package.json")) script \"\(script)\" is \"\(text)\" → \(pm.runScript(script))")
            } else if let cli = framework.cliBuildCommand {
                recipe.buildCommand = pm.exec(cli)
                recipe.evidence.append(inherited != nil ? "the build runs \(framework.displayName)'s command in \(app) → \(pm.exec(cli))"
                                                        : "\(file("package.json")) has no \"\(framework.buildScript ?? "build")\" script → \(pm.exec(cli))")
            }
        }
        switch framework {
        case .plain:
            recipe.outputDirectory = detector.plainSiteFolder(in: app) ?? "."
        case .vite:
            planVite(&recipe, configs: Self.viteConfigs.map(file))
        case .astro:
            let configs = ["astro.config.mjs", "astro.config.ts", "astro.config.js", "astro.config.mts", "astro.config.cjs"].map(file)
            override(&recipe, key: "outDir", in: configs)
            planAstro(&recipe, configs: configs)
        case .eleventy:
            planEleventy(&recipe, manifest: manifest, file: file)
        case .nextjs:
            planNext(&recipe, manifest: manifest, file: file)
        case .sveltekit:
            planSvelteKit(&recipe, manifest: manifest ?? inherited?.manifest, file: file)
        case .hugo:
            recipe.buildCommand = "hugo --minify --cleanDestinationDir"
            if let (config, publishDir) = hugoPublishDir(app: app) {
                let environment = config.contains("/\(Self.hugoEnvironment)/") ? " (the \(Self.hugoEnvironment) environment's, which `hugo` builds with)" : ""
                recipe.setOutputDirectory(publishDir, from: "\(config) sets publishDir \(publishDir)\(environment)")
            }
            recipe.updatesSubmodules = files.isFile(".gitmodules")
        case .jekyll:
            if files.isFile(file("Gemfile")) {
                let lock = file("Gemfile.lock")
                recipe.ruby = SiteRecipe.RubyInstall(bundler: true, keyFile: files.isFile(lock) ? lock : file("Gemfile"))
                recipe.buildCommand = "bundle exec jekyll build"
            } else {
                recipe.ruby = SiteRecipe.RubyInstall(bundler: false, keyFile: nil)
                recipe.buildCommand = "jekyll build"
                recipe.warnings.append("there is no \(file("Gemfile")): the build installs the newest jekyll gem; pin versions with a Gemfile (bundle init && bundle add jekyll) and commit Gemfile.lock")
            }
            if let config = files.read(file("_config.yml")), let destination = ConfigText.value(of: "destination", in: config), !destination.isEmpty {
                recipe.setOutputDirectory(destination, from: "\(file("_config.yml")) sets destination \(destination)")
            }
        case .mkdocs:
            let config = files.read(file("mkdocs.yml")) ?? files.read(file("mkdocs.yaml")) ?? ""
            let requirements = file("requirements.txt")
            let material = config.split(whereSeparator: \.isNewline).contains { line in
                // Without a trailing comment (`name: material  # the theme`).
                let bare = ConfigText.withoutComment(String(line))
                return bare == "name: material" || bare == "theme: material" || bare == "name: 'material'" || bare == "name: \"material\""
            }
            if files.isFile(requirements) {
                recipe.python = SiteRecipe.PythonInstall(requirements: requirements, material: material)
                recipe.evidence.append("\(requirements) → pip install -r \(requirements)")
            } else {
                recipe.python = SiteRecipe.PythonInstall(requirements: nil, material: material)
                recipe.warnings.append("there is no \(requirements): the build installs the newest mkdocs\(material ? " and mkdocs-material" : ""); pin versions in requirements.txt")
            }
            recipe.buildCommand = "mkdocs build"
            if let siteDir = ConfigText.value(of: "site_dir", in: config), !siteDir.isEmpty {
                recipe.setOutputDirectory(siteDir, from: "\(file("mkdocs.yml")) sets site_dir \(siteDir)")
            }
        default:
            break
        }
        planBasePath(&recipe, manifest: manifest)
        planUnhashedAssets(&recipe)
        guard let resolved = ProjectPath.resolve(recipe.outputDirectory, from: app) else {
            // artifacts.base-directory is relative to the buildspec's folder and cannot leave it.
            let setting = recipe.outputSetting ?? "the output folder is \(recipe.outputDirectory)"
            let place = recipe.outputDirectory.hasPrefix("/") ? "an absolute path" : "outside the project"
            var example = "the default \(framework.defaultOutputDirectory)\(app.isEmpty ? "" : " (relative to \(app))")"
            if let (root, rootSetting) = recipe.sourceRoot, let inside = ProjectPath.normalize(root) {
                // The setting is relative to the root: name the app's default folder from there.
                let up = Array(repeating: "..", count: inside.split(separator: "/").count) + [framework.defaultOutputDirectory]
                example = "'\(up.joined(separator: "/"))', which is relative to the root (\(rootSetting)): that is \(ProjectPath.join(app, framework.defaultOutputDirectory))/"
            }
            throw InitError(.badInput, "\(setting): that is \(place), but buildspec.yml is written at the project's root and deploys its artifacts.base-directory, which must be a folder inside the project. Set it to a folder inside the project, such as \(example), then run init again")
        }
        recipe.artifactDirectory = resolved.isEmpty ? "." : resolved
        return recipe
    }

    /// Drops the immutable rule of an asset folder that the project's public folder also
    /// fills: the framework copies those files unhashed, so a changed file under the same
    /// name would stay cached for a year.
    private func planUnhashedAssets(_ recipe: inout SiteRecipe) {
        guard var publicFolder = recipe.framework.publicFolder else { return }
        let app = recipe.appDirectory
        if recipe.framework == .vite,
           let setting = Self.viteConfigs.lazy.compactMap({ self.files.read(ProjectPath.join(app, $0)) })
               .compactMap({ ConfigText.jsString(after: "publicDir", in: $0) }).first,
           let folder = ProjectPath.normalize(setting), !folder.isEmpty {
            publicFolder = folder
        }
        if recipe.framework == .vite, let root = recipe.sourceRoot?.folder { publicFolder = ProjectPath.join(root, publicFolder) }
        for glob in recipe.framework.immutableAssetGlobs {
            let folder = glob.hasSuffix("/**") ? String(glob.dropLast(3)) : glob
            let source = ProjectPath.join(app, publicFolder, folder)
            guard files.isDirectory(source) else { continue }
            recipe.unhashedAssetGlobs.append(glob)
            recipe.evidence.append("\(source)/ is copied unhashed into \(ProjectPath.join(recipe.outputDirectory, folder))/, so \(glob) is not marked immutable (move those files elsewhere to keep the rule)")
        }
    }

    /// The setting that serves a framework's site below a path, and the config files that hold it.
    static func basePathSetting(_ framework: Framework) -> (key: String, configs: [String])? {
        let scripts = ["js", "mjs", "ts", "cjs", "mts"]
        switch framework {
        case .nextjs: return ("basePath", scripts.map { "next.config.\($0)" })
        case .vite: return ("base", viteConfigs)
        case .astro: return ("base", scripts.map { "astro.config.\($0)" })
        case .sveltekit: return ("base", scripts.map { "svelte.config.\($0)" })
        case .docusaurus: return ("baseUrl", scripts.map { "docusaurus.config.\($0)" })
        default: return nil
        }
    }

    /// A setting that serves the site below a path: where it is, its value as written, and
    /// the path it makes every URL start with (`/docs` from `https://example.org/docs/`).
    struct BasePath: Sendable, Equatable {
        var place: String
        var value: String
        var path: String
        /// How to serve the site at the root instead.
        var rootAdvice: String
    }

    /// A base path (Next.js `basePath`, Vite and Astro `base`, SvelteKit `paths.base`,
    /// Docusaurus `baseUrl`, Create React App's `homepage`, Angular's `baseHref`, Jekyll's
    /// `baseurl`, Hugo's `baseURL`, Nuxt's `app.baseURL`, Eleventy's and Gatsby's `pathPrefix`)
    /// makes the pages load their assets and link below that path, but sitebuild deploys the
    /// site at the root of its domain: every such URL would miss.
    private func planBasePath(_ recipe: inout SiteRecipe, manifest: PackageManifest?) {
        let app = recipe.appDirectory
        // A relative Vite base in a single-page app breaks deep links.
        if recipe.framework == .vite, recipe.routingMode == .spa, let (place, value) = viteBase(app: app, manifest: manifest, recipe: recipe),
           value == "./" || value.isEmpty {
            recipe.warnings.append("\(place) '\(value)' (relative URLs): a deep link such as /users/42 serves index.html, which then loads ./assets/… from /users/assets/…, which misses (404). Set base: '/' (sitebuild deploys the site at the root of the domain)")
            return
        }
        guard let found = basePath(recipe, manifest: manifest) else { return }
        let output = recipe.outputDirectory
        let path = found.path
        recipe.warnings.append("\(found.place) '\(found.value)': the built pages load their scripts and styles and link to each other below /\(path)/, but sitebuild deploys \(output)/ at the root of the domain, so those URLs miss (404). \(found.rootAdvice) to serve the site at the root; to keep /\(path)/, put the site in that folder of the artifact (after the build: mkdir -p site-root/\(path) && cp -R \(output)/. site-root/\(path)/, then artifacts.base-directory: \(ProjectPath.join(app, "site-root")))")
    }

    /// The base path the project's settings give the site, nil when it is served at the root.
    func basePath(_ recipe: SiteRecipe, manifest: PackageManifest?) -> BasePath? {
        let app = recipe.appDirectory
        func file(_ name: String) -> String { ProjectPath.join(app, name) }
        /// `/docs/` → `docs`; nil for the root or a relative value.
        func belowRoot(_ value: String) -> String? {
            guard value.hasPrefix("/"), let path = ProjectPath.normalize(String(value.dropFirst())), !path.isEmpty else { return nil }
            return path
        }
        /// The path of a URL (`https://user.github.io/my-app` → `my-app`), or of a path.
        func urlPath(_ value: String) -> String? {
            if value.hasPrefix("/") { return belowRoot(value) }
            guard value.contains("://"), let url = URL(string: value), url.host != nil else { return nil }
            return belowRoot(url.path.isEmpty ? "/" : url.path)
        }
        func make(_ place: String, _ value: String, _ path: String?, _ advice: String) -> BasePath? {
            path.map { BasePath(place: place, value: value, path: $0, rootAdvice: advice) }
        }
        // The build script counts only when the buildspec runs it.
        let buildScript = recipe.buildCommand == recipe.node?.packageManager.runScript("build") ? manifest?.scripts["build"] : nil
        let scripts = ["js", "mjs", "ts", "cjs", "mts"]
        switch recipe.framework {
        case .vite:
            guard let (place, value) = viteBase(app: app, manifest: manifest, recipe: recipe) else { return nil }
            return make(place, value, belowRoot(value), "Remove base (or set it to '/')")
        case .nextjs, .astro, .sveltekit, .docusaurus:
            guard let (key, configs) = Self.basePathSetting(recipe.framework),
                  let (place, value) = jsSetting(key, in: configs.map(file)) else { return nil }
            // Next.js and SvelteKit refuse '/', their root is no base path at all; Docusaurus requires the key.
            let advice = switch recipe.framework {
            case .nextjs, .sveltekit: "Remove \(key)"
            case .docusaurus: "Set \(key) to '/'"
            default: "Remove \(key) (or set it to '/')"
            }
            return make(place, value, belowRoot(value), advice)
        case .createReactApp:
            guard let homepage = manifest?.homepage else { return nil }
            return make("\(file("package.json")) sets homepage", homepage, urlPath(homepage), "Remove homepage from package.json (or set it to the domain's root URL)")
        case .angular:
            if let script = buildScript, let value = ConfigText.commandOption("--base-href", of: { $0 == "ng" }, in: script) {
                return make("\(file("package.json")) script \"build\" passes --base-href", value, belowRoot(value), "Drop --base-href from the build script (or pass --base-href /)")
            }
            guard let (place, value) = angularBaseHref(file("angular.json")) else { return nil }
            return make(place, value, belowRoot(value), "Remove baseHref (or set it to '/')")
        case .jekyll:
            guard let text = files.read(file("_config.yml")), let value = ConfigText.value(of: "baseurl", in: text) else { return nil }
            return make("\(file("_config.yml")) sets baseurl", value, belowRoot(value), "Set baseurl: \"\" in _config.yml")
        case .hugo:
            guard let (config, value) = hugoConfigFiles(app: app).compactMap({ path -> (String, String)? in
                guard let text = files.read(path), let value = ConfigText.value(of: "baseURL", in: text), !value.isEmpty else { return nil }
                return (path, value)
            }).last else { return nil }
            return make("\(config) sets baseURL", value, urlPath(value), "Set baseURL to the domain's root (such as https://example.org/)")
        case .nuxt:
            let configs = ["nuxt.config.ts", "nuxt.config.js", "nuxt.config.mjs"].map(file)
            guard let (config, value) = configs.lazy.compactMap({ path -> (String, String)? in
                guard let text = self.files.read(path), let object = ConfigText.objectLiteral(of: "app", in: text),
                      let value = ConfigText.jsString(after: "baseURL", in: String(object.dropFirst())) else { return nil }
                return (path, value)
            }).first else { return nil }
            return make("\(config) sets app.baseURL", value, belowRoot(value), "Remove app.baseURL (or set it to '/')")
        case .eleventy:
            let configs = [".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs", "eleventy.config.ts", "eleventy.config.mts"].map(file)
            if let script = buildScript, let value = ConfigText.commandOption("--pathprefix", of: { $0 == "eleventy" || $0 == "@11ty/eleventy" }, in: script) {
                return make("\(file("package.json")) script \"build\" passes --pathprefix", value, belowRoot(value.hasPrefix("/") ? value : "/" + value), "Drop --pathprefix from the build script")
            }
            guard let (place, value) = jsSetting("pathPrefix", in: configs) else { return nil }
            return make(place, value, belowRoot(value.hasPrefix("/") ? value : "/" + value), "Remove pathPrefix (or set it to '/')")
        case .gatsby:
            // Gatsby applies pathPrefix only to a build with --prefix-paths (or PREFIX_PATHS=true).
            guard let script = buildScript ?? manifest?.scripts["build"],
                  ConfigText.shellWords(script).contains(where: { $0 == "--prefix-paths" || $0 == "PREFIX_PATHS=true" }),
                  let (place, value) = jsSetting("pathPrefix", in: scripts.map { file("gatsby-config.\($0)") }) else { return nil }
            return make("\(place) (and the build passes --prefix-paths)", value, belowRoot(value.hasPrefix("/") ? value : "/" + value),
                        "Drop --prefix-paths from the build script (or remove pathPrefix)")
        default:
            return nil
        }
    }

    /// Vite's base: `--base` in the build script the buildspec runs wins over the config's.
    private func viteBase(app: String, manifest: PackageManifest?, recipe: SiteRecipe) -> (place: String, value: String)? {
        if let script = manifest?.scripts["build"], recipe.buildCommand == recipe.node?.packageManager.runScript("build"),
           let value = ConfigText.commandOption("--base", of: { $0 == "vite" }, in: script) {
            return ("\(ProjectPath.join(app, "package.json")) script \"build\" passes --base", value)
        }
        return jsSetting("base", in: Self.viteConfigs.map { ProjectPath.join(app, $0) })
    }

    /// The first JavaScript config that sets `key` to a string, as "config sets key", and the value.
    private func jsSetting(_ key: String, in configs: [String]) -> (place: String, value: String)? {
        configs.lazy.compactMap { config -> (String, String)? in
            guard let text = self.files.read(config), let value = ConfigText.jsString(after: key, in: text) else { return nil }
            return ("\(config) sets \(key)", value)
        }.first
    }

    /// angular.json's baseHref for `ng build` (the production configuration's over the build
    /// options'), in the first application project, by name.
    private func angularBaseHref(_ path: String) -> (place: String, value: String)? {
        guard let text = files.read(path), let workspace = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let projects = workspace["projects"] as? [String: Any] else { return nil }
        for name in projects.keys.sorted() {
            guard let project = projects[name] as? [String: Any], (project["projectType"] as? String ?? "application") == "application" else { continue }
            let targets = (project["architect"] ?? project["targets"]) as? [String: Any]
            guard let build = targets?["build"] as? [String: Any] else { continue }
            let production = ((build["configurations"] as? [String: Any])?["production"] as? [String: Any])?["baseHref"] as? String
            if let production { return ("\(path) sets projects.\(name) build configuration production baseHref", production) }
            if let value = (build["options"] as? [String: Any])?["baseHref"] as? String { return ("\(path) sets projects.\(name) build options baseHref", value) }
            return nil
        }
        return nil
    }

    static let viteConfigs = ["vite.config.ts", "vite.config.js", "vite.config.mjs", "vite.config.mts", "vite.config.cjs", "vite.config.cts"]

    /// Vite resolves `build.outDir` (default dist) and `publicDir` against its `root`, itself
    /// relative to the config's folder: `root: 'src'` with `outDir: '../dist'` writes the app's
    /// dist/, and `root: 'src'` alone writes src/dist/. Vitest's `test.root` is not Vite's.
    private func planVite(_ recipe: inout SiteRecipe, configs: [String]) {
        guard let (config, source) = configs.lazy.compactMap({ path in self.files.read(path).map { (path, $0) } }).first else { return }
        var text = ConfigText.withoutComments(source)
        if let tests = ConfigText.objectLiteral(of: "test", in: text) { text = text.replacingOccurrences(of: tests, with: "{}") }
        var root = ""
        switch ConfigText.jsPath(after: "root", in: text) {
        case .literal(let value)?, .fromConfigFolder(let value)?:
            if let folder = ProjectPath.collapse(value), !folder.isEmpty {
                root = folder
                recipe.sourceRoot = (folder, "\(config) sets root '\(value)'")
            } else if value.hasPrefix("/") {
                recipe.warnings.append("\(config) sets root '\(value)', an absolute path: build.outDir is relative to it, so init cannot tell where the build writes the site; make root relative to \(recipe.appDirectory.isEmpty ? "the project" : recipe.appDirectory) and run init again")
            }
        case .unreadable?:
            recipe.warnings.append("\(config) sets root to an expression init does not read: Vite resolves build.outDir against it, so check that artifacts.base-directory in buildspec.yml is the folder the build writes")
        case nil:
            break
        }
        let defaultFolder = ProjectPath.join(root, recipe.framework.defaultOutputDirectory)
        let relativeToRoot = root.isEmpty ? "" : " (relative to its root '\(root)')"
        switch ConfigText.jsPath(after: "outDir", in: text) {
        case .literal(let value)? where !value.isEmpty:
            let folder = value.hasPrefix("/") ? value : ProjectPath.collapse(ProjectPath.join(root, value)) ?? value
            recipe.setOutputDirectory(folder.isEmpty ? "." : folder, from: "\(config) sets outDir '\(value)'\(relativeToRoot)")
        case .fromConfigFolder(let value)?:
            let folder = ProjectPath.collapse(value) ?? value
            recipe.setOutputDirectory(folder.isEmpty ? "." : folder, from: "\(config) sets outDir to \(folder.isEmpty ? "its own folder" : "'\(folder)' in its folder")")
        case .unreadable?:
            recipe.outputDirectory = defaultFolder
            recipe.warnings.append("\(config) sets outDir to an expression init does not read, so the artifact is taken to be Vite's default \(ProjectPath.join(recipe.appDirectory, defaultFolder))/; if the build writes elsewhere, set artifacts.base-directory in buildspec.yml")
        case .literal?, nil:
            if !root.isEmpty {
                recipe.setOutputDirectory(defaultFolder, from: "\(config) sets root '\(root)': Vite writes its default dist/ inside it, \(ProjectPath.join(recipe.appDirectory, defaultFolder))/")
            }
        }
    }

    /// Reads an output-folder setting from the first JavaScript config that has it.
    private func override(_ recipe: inout SiteRecipe, key: String, in configs: [String]) {
        for config in configs {
            guard let text = files.read(config), let value = ConfigText.jsString(after: key, in: text), !value.isEmpty else { continue }
            recipe.setOutputDirectory(value, from: "\(config) sets \(key) '\(value)'")
            return
        }
    }

    /// The environment `hugo` builds for when HUGO_ENVIRONMENT is not set.
    static let hugoEnvironment = "production"

    /// Hugo's configuration files in the order `hugo` merges them, later ones winning: the
    /// root file (hugo.* before config.*, the first found), then the configuration
    /// directory's `_default/` and `production/` main files (hugo.* and config.*; other
    /// names hold one key, such as params.toml).
    func hugoConfigFiles(app: String) -> [String] {
        let extensions = ["toml", "yaml", "yml", "json"]
        let rootNames = ["hugo", "config"].flatMap { name in extensions.map { "\(name).\($0)" } }
        let root = rootNames.lazy.map { ProjectPath.join(app, $0) }.first(where: files.isFile)
        let configDir = root.flatMap { files.read($0) }.flatMap { ConfigText.value(of: "configDir", in: $0) }
            .flatMap { ProjectPath.normalize($0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "config"
        var found = root.map { [$0] } ?? []
        for environment in ["_default", Self.hugoEnvironment] {
            let folder = ProjectPath.join(app, configDir, environment)
            found += files.list(folder).filter { rootNames.contains($0) }.map { ProjectPath.join(folder, $0) }
        }
        return found
    }

    /// The publishDir `hugo` uses, and the file that sets it; nil for Hugo's default.
    func hugoPublishDir(app: String) -> (file: String, value: String)? {
        hugoConfigFiles(app: app).compactMap { path -> (String, String)? in
            guard let text = files.read(path), let value = ConfigText.value(of: "publishDir", in: text), !value.isEmpty else { return nil }
            return (path, value)
        }.last
    }

    /// Eleventy's output folder: `--output` in the build script wins over the config file's
    /// `setOutputDirectory("…")` (Eleventy 3) or returned `dir.output`.
    private func planEleventy(_ recipe: inout SiteRecipe, manifest: PackageManifest?, file: (String) -> String) {
        let configs = [".eleventy.js", "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs", "eleventy.config.ts", "eleventy.config.mts"].map(file)
        for config in configs {
            guard let text = files.read(config) else { continue }
            if let value = ConfigText.jsStringArgument(of: "setOutputDirectory", in: text), !value.isEmpty {
                recipe.setOutputDirectory(value, from: "\(config) calls setOutputDirectory(\"\(value)\")")
                break
            }
            if let value = ConfigText.jsString(after: "output", in: text), !value.isEmpty {
                recipe.setOutputDirectory(value, from: "\(config) sets output '\(value)'")
                break
            }
        }
        // Only the script the buildspec runs counts (a script it runs in turn, one level down).
        guard let script = recipe.framework.buildScript, let command = manifest?.scripts[script],
              recipe.buildCommand == recipe.node?.packageManager.runScript(script) else { return }
        let isEleventy = { (word: String) in word == "eleventy" || word == "@11ty/eleventy" }
        var commands = [(script, command)]
        for word in ConfigText.shellWords(command) where manifest?.scripts[word] != nil && word != script {
            commands.append((word, manifest?.scripts[word] ?? ""))
        }
        for (name, text) in commands {
            guard let value = ConfigText.commandOption("--output", of: isEleventy, in: text), !value.isEmpty else { continue }
            recipe.setOutputDirectory(value, from: "\(file("package.json")) script \"\(name)\" runs eleventy with --output \(value) (it wins over the config file)")
            return
        }
    }

    /// Astro with `output: 'server'` (or `'hybrid'`) writes a server bundle into
    /// `<outDir>/server` beside the pages in `<outDir>/client`; the bundle may inline secrets
    /// and must not be published. The template's guard stops such a build.
    private func planAstro(_ recipe: inout SiteRecipe, configs: [String]) {
        for config in configs {
            guard let text = files.read(config), let output = ConfigText.jsString(after: "output", in: text) else { continue }
            if output == "server" || output == "hybrid" {
                recipe.warnings.append("\(config) sets output: '\(output)': sitebuild deploys static sites only, and `astro build` then writes a server bundle into \(recipe.outputDirectory)/server (which may hold secrets). Set output: 'static' (and drop the server adapter); until then the build stops with a message instead of publishing it")
            } else {
                recipe.evidence.append("\(config) sets output: '\(output)'")
            }
            return
        }
    }

    /// SvelteKit writes a static site only with adapter-static, into its `pages` folder
    /// (`build`), plus a `fallback` page for a single-page app. Any other adapter (adapter-auto
    /// is the default) builds for a server platform and writes no such folder.
    private func planSvelteKit(_ recipe: inout SiteRecipe, manifest: PackageManifest?, file: (String) -> String) {
        let adapter = manifest.flatMap(FrameworkDetector.svelteKitAdapter)
        if recipe.detected.flavor == nil, let adapter { recipe.detected.flavor = FrameworkDetector.adapterName(adapter) }
        let pm = recipe.node?.packageManager ?? .npm
        let install = pm == .npm ? "npm install -D" : "\(pm.program) add -D"
        guard adapter == Framework.svelteKitStaticAdapter else {
            let found = adapter.map { "\(file("package.json")) has \($0), which builds for a server platform" } ?? "\(file("package.json")) names no SvelteKit adapter"
            recipe.warnings.append("SvelteKit builds a static site only with \(Framework.svelteKitStaticAdapter), and \(found). Install it (`\(install) \(Framework.svelteKitStaticAdapter)`) and use it in svelte.config.js (`import adapter from '\(Framework.svelteKitStaticAdapter)'`; prerender the pages with `export const prerender = true` in src/routes/+layout.js, or set `fallback: 'index.html'` for a single-page app); until then the build writes no \(recipe.outputDirectory)/ folder and stops with a message")
            return
        }
        let configs = ["svelte.config.js", "svelte.config.mjs", "svelte.config.ts", "svelte.config.cjs"].map(file)
        guard let (config, source) = configs.lazy.compactMap({ path in self.files.read(path).map { (path, $0) } }).first else { return }
        // adapter-static's options (kit.paths has an `assets` key too: a URL).
        let text = Self.svelteKitAdapterOptions(in: source)
        if let pages = ConfigText.jsString(after: "pages", in: text), !pages.isEmpty {
            recipe.setOutputDirectory(pages, from: "\(config) sets pages '\(pages)'")
        }
        if let assets = ConfigText.jsString(after: "assets", in: text), !assets.isEmpty, !assets.contains("://") {
            let assetsFolder = ProjectPath.resolve(assets, from: recipe.appDirectory)
            let pagesFolder = ProjectPath.resolve(recipe.outputDirectory, from: recipe.appDirectory)
            let sameFolder = assetsFolder == nil ? assets == recipe.outputDirectory : assetsFolder == pagesFolder
            if sameFolder {
                recipe.evidence.append("\(config) sets assets '\(assets)', the pages folder")
            } else if assetsFolder == nil {
                recipe.warnings.append("\(config) sets assets '\(assets)', outside the project, so the build cannot copy _app/ from it into \(recipe.outputDirectory)/ and the site would miss its scripts and styles; set assets to the pages folder ('\(recipe.outputDirectory)') or a folder inside the project")
            } else {
                recipe.separateAssetsDirectory = assets
                recipe.evidence.append("\(config) sets assets '\(assets)' apart from the pages: the build copies it (with _app/) into \(recipe.outputDirectory)/, so both are deployed")
            }
        }
        if let fallback = ConfigText.jsString(after: "fallback", in: text), !fallback.isEmpty {
            recipe.spaFallback = fallback
            recipe.evidence.append("\(config) sets fallback '\(fallback)': a single-page app (routing spa)")
            if fallback != "index.html" {
                recipe.warnings.append("\(config) sets fallback '\(fallback)', but sitebuild's spa routing serves index.html for paths without a file extension, not \(fallback); set fallback: 'index.html' unless index.html is itself the app shell")
            }
        }
    }

    /// The source of adapter-static's options: the `adapter(…)` call's argument, or the object
    /// literal of the variable it names (`adapter(options)`, `adapter({ ...options })`); the
    /// whole file when there is no call or the variable's value is not a literal.
    static func svelteKitAdapterOptions(in source: String) -> String {
        guard let arguments = ConfigText.callArguments(of: "adapter", in: source) else { return source }
        let trimmed = arguments.trimmingCharacters(in: .whitespacesAndNewlines)
        let isIdentifier = { (word: Substring) in
            !word.isEmpty && word.first?.isNumber == false && word.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
        }
        if isIdentifier(Substring(trimmed)) {
            return ConfigText.objectLiteral(of: trimmed, in: source) ?? source
        }
        // Spread variables: their keys count as well, after the call's own.
        var text = arguments
        for spread in arguments.components(separatedBy: "...").dropFirst() {
            let name = spread.drop { $0.isWhitespace }.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
            if isIdentifier(name), let literal = ConfigText.objectLiteral(of: String(name), in: source) { text += "\n" + literal }
        }
        return text
    }

    /// Next.js writes a static site only with `output: 'export'` (`next export` is gone since 14).
    private func planNext(_ recipe: inout SiteRecipe, manifest: PackageManifest?, file: (String) -> String) {
        let configs = ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs", "next.config.mts"].map(file)
        let found = configs.compactMap { path in files.read(path).map { (path, $0) } }
        if let (path, text) = found.first(where: { ConfigText.jsString(after: "output", in: $0.1) == "export" }) {
            recipe.evidence.append("\(path) sets output: 'export' (static export into out/)")
            if let distDir = ConfigText.jsString(after: "distDir", in: text), !distDir.isEmpty {
                recipe.setOutputDirectory(distDir, from: "\(path) sets distDir '\(distDir)'")
            }
        } else if let (path, _) = found.first {
            recipe.warnings.append("Next.js builds a static site only with output: 'export', and \(path) does not set it. Add it to the config object, e.g. `const nextConfig = { output: 'export' }`; until then `next build` writes no out/ folder and the build stops with a message")
        } else {
            recipe.warnings.append("Next.js builds a static site only with output: 'export', and there is no next.config.*. Create \(file("next.config.mjs")) with `export default { output: 'export' }`; until then `next build` writes no out/ folder and the build stops with a message")
        }
        if let (name, text) = manifest?.scripts.sorted(by: { $0.key < $1.key }).first(where: { $0.value.contains("next export") }) {
            recipe.warnings.append("package.json script \"\(name)\" runs `next export` (\"\(text)\"), which Next.js 14 removed: use `next build` with output: 'export'")
        }
    }

    /// The package manager and where it installs: the nearest folder from the app up to the
    /// root with a lockfile; without one, the workspace root or the app itself.
    private func nodeInstall(app: String, override: PackageManager?, recipe: inout SiteRecipe) throws -> SiteRecipe.NodeInstall {
        let chain = ProjectPath.ancestry(app)
        let detector = FrameworkDetector(files: files)
        let manifests: [PackageManifest?]
        do {
            manifests = try chain.map { try detector.manifest(in: $0) }
        } catch let error as UsageError {
            throw UsageError("\(error.description); fix it: the packages are installed from it")
        }
        let declared: (PackageManager, String)? = zip(chain, manifests).lazy.compactMap { dir, manifest -> (PackageManager, String)? in
            guard let field = manifest?.packageManager, let pm = Self.packageManager(fromField: field) else { return nil }
            return (pm, "\(ProjectPath.join(dir, "package.json")) has packageManager \(field)")
        }.first
        let whereInstalled = { (dir: String) -> String in
            dir == app ? "" : (dir.isEmpty ? ", installed at the repository root" : ", installed in \(dir)")
        }
        for dir in chain {
            let present: [(PackageManager, String)] = [PackageManager.pnpm, .yarn, .bun, .npm].flatMap { pm in
                pm.lockfiles.filter { files.isFile(ProjectPath.join(dir, $0)) }.map { (pm, ProjectPath.join(dir, $0)) }
            }
            guard !present.isEmpty else { continue }
            var chosen = present[0]
            var reason = "\(chosen.1) → "
            if let override {
                let family: (PackageManager) -> PackageManager = { $0 == .yarnBerry ? .yarn : $0 }
                if let match = present.first(where: { $0.0 == family(override) }) {
                    chosen = (override, match.1)
                    reason = "--package-manager \(override.rawValue) with \(match.1) → "
                } else {
                    recipe.warnings.append("--package-manager \(override.rawValue), but \(dir.isEmpty ? "the root" : dir) has \(present.map(\.1).joined(separator: ", ")) and no \(override.lockfiles[0]): installing without a lockfile")
                    recipe.evidence.append("--package-manager \(override.rawValue)")
                    return SiteRecipe.NodeInstall(packageManager: override, directory: dir, lockfile: nil)
                }
            } else if present.count > 1 {
                if let declared, let match = present.first(where: { $0.0 == declared.0 || ($0.0 == .yarn && declared.0 == .yarnBerry) }) {
                    chosen = match
                    reason = "\(declared.1), \(match.1) → "
                }
                recipe.warnings.append("several lockfiles (\(present.map(\.1).joined(separator: ", "))): using \(chosen.1); delete the others or pass --package-manager")
            }
            if chosen.0 == .yarn || chosen.0 == .yarnBerry, override == nil {
                let berry = berryEvidence(dir: dir, lockfile: chosen.1, declared: declared)
                chosen.0 = berry == nil ? .yarn : .yarnBerry
                if let berry { reason = "\(chosen.1) (\(berry)) → " }
            }
            recipe.evidence.append(reason + chosen.0.rawValue + whereInstalled(dir))
            return SiteRecipe.NodeInstall(packageManager: chosen.0, directory: dir, lockfile: chosen.1)
        }
        // No lockfile anywhere: the workspace root installs for all its packages.
        let workspaceRoot = zip(chain, manifests).first { dir, manifest in
            detector.isWorkspaceRoot(dir, manifest: manifest)
        }?.0
        // An app without a package.json of its own installs where the nearest one is.
        let appHasManifest = manifests.first.flatMap { $0 } != nil
        let nearest = appHasManifest ? nil : zip(chain, manifests).first { $0.1 != nil }?.0
        let directory = workspaceRoot ?? nearest ?? app
        let pm = override ?? declared?.0 ?? .npm
        let because = override != nil ? "--package-manager \(pm.rawValue)" : declared.map(\.1) ?? "no lockfile"
        recipe.evidence.append("\(because) → \(pm.rawValue)\(whereInstalled(directory))")
        recipe.warnings.append("no lockfile: `\(pm.installCommand(hasLockfile: false))` resolves versions afresh on every build; commit the lockfile \(pm.program) writes (\(pm.lockfiles[0])) for reproducible builds")
        return SiteRecipe.NodeInstall(packageManager: pm, directory: directory, lockfile: nil)
    }

    /// Why a yarn.lock belongs to Yarn 2+, or nil for Yarn 1.
    private func berryEvidence(dir: String, lockfile: String, declared: (PackageManager, String)?) -> String? {
        if files.isFile(ProjectPath.join(dir, ".yarnrc.yml")) { return "Yarn 2+: \(ProjectPath.join(dir, ".yarnrc.yml")) exists" }
        if let declared, declared.0 == .yarnBerry { return "Yarn 2+: \(declared.1)" }
        // Yarn 2+ writes __metadata at the top of the lockfile, which may be megabytes long.
        if files.readStart(lockfile, count: 4096)?.contains("__metadata:") == true { return "Yarn 2+: the lockfile has __metadata" }
        return nil
    }

    /// `pnpm@9.1.0` → pnpm, `yarn@4.1.0` → yarn-berry, `yarn@1.22.19` → yarn.
    static func packageManager(fromField field: String) -> PackageManager? {
        let parts = field.split(separator: "@", maxSplits: 1)
        guard let name = parts.first else { return nil }
        switch name {
        case "npm": return .npm
        case "pnpm": return .pnpm
        case "bun": return .bun
        case "yarn":
            let major = parts.count > 1 ? Int(parts[1].prefix { $0.isNumber }) : nil
            return (major ?? 1) >= 2 ? .yarnBerry : .yarn
        default: return nil
        }
    }
}
