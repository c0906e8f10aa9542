import Testing
@testable import SitebuildCLI

/// Framework, package manager and output folder detection on fixture trees: one per
/// framework, and the cases a substring match or a naive rule gets wrong.
@Suite struct FrameworkDetectionTests {
    func framework(_ tree: FixtureTree, app: String = "") throws -> DetectedFramework? {
        if case .detected(let found) = try tree.detect(app: app) { return found }
        return nil
    }

    func notes(_ tree: FixtureTree) throws -> [String] {
        if case .unknown(let notes) = try tree.detect() { return notes }
        return []
    }

    // MARK: - One fixture per framework

    static let nodeCases: [(Framework, [String: String])] = [
        (.vite, ["package.json": packageJSON(dependencies: ["vue": "^3.4.0"], devDependencies: ["vite": "^5.2.0"], scripts: ["build": "vite build"])]),
        (.createReactApp, ["package.json": packageJSON(dependencies: ["react": "^18.2.0", "react-scripts": "5.0.1"], scripts: ["build": "react-scripts build"])]),
        (.angular, ["package.json": packageJSON(dependencies: ["@angular/core": "^17.3.0"], scripts: ["build": "ng build"]), "angular.json": "{}"]),
        (.nextjs, ["package.json": packageJSON(dependencies: ["next": "14.2.3", "react": "18.3.1"]), "next.config.mjs": "export default { output: 'export' }\n"]),
        (.nuxt, ["package.json": packageJSON(dependencies: ["nuxt": "^3.11.0"], scripts: ["generate": "nuxt generate"])]),
        (.astro, ["package.json": packageJSON(dependencies: ["astro": "^4.5.0"], devDependencies: ["vite": "^5.0.0"])]),
        (.gatsby, ["package.json": packageJSON(dependencies: ["gatsby": "^5.13.0", "react": "^18.2.0"])]),
        (.docusaurus, ["package.json": packageJSON(dependencies: ["@docusaurus/core": "3.2.0", "react": "^18.0.0"])]),
        (.sveltekit, ["package.json": packageJSON(devDependencies: ["@sveltejs/kit": "^2.0.0", "svelte": "^4.2.0", "vite": "^5.0.0"])]),
        (.eleventy, ["package.json": packageJSON(devDependencies: ["@11ty/eleventy": "^2.0.1"])]),
    ]

    @Test(arguments: nodeCases.map(\.0))
    func eachNodeFrameworkIsFoundByItsPackage(_ expected: Framework) throws {
        let files = try #require(Self.nodeCases.first { $0.0 == expected }?.1)
        let found = try #require(try framework(FixtureTree(files)))
        #expect(found.framework == expected)
        #expect(found.evidence.first?.hasPrefix("package.json has ") == true)
    }

    @Test func viteEvidenceNamesThePackageKindVersionAndLibrary() throws {
        let tree = FixtureTree(["package.json": packageJSON(dependencies: ["react": "^18.2.0", "react-dom": "^18.2.0"], devDependencies: ["vite": "5.2.0"]),
                                "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"])
        let recipe = try tree.recipe()
        #expect(recipe.displayName == "Vite (React)")
        #expect(recipe.evidence.contains("package.json has devDependency vite 5.2.0"))
        #expect(recipe.evidence.contains("package.json has dependency react ^18.2.0"))
        #expect(recipe.evidence.contains("pnpm-lock.yaml → pnpm"))
        #expect(recipe.node == SiteRecipe.NodeInstall(packageManager: .pnpm, directory: "", lockfile: "pnpm-lock.yaml"))
        #expect(recipe.buildCommand == "pnpm exec vite build")
        #expect(recipe.artifactDirectory == "dist")
    }

    @Test func hugoWithHugoToml() throws {
        #expect(try framework(FixtureTree(["hugo.toml": "title = 'x'\n"]))?.framework == .hugo)
    }

    @Test func hugoWithConfigTomlAndItsMarkers() throws {
        let tree = FixtureTree(["config.toml": "baseURL = \"https://example.org/\"\ntitle = \"Blog\"\ntheme = \"ananke\"\npublishDir = \"docs\"\n",
                                "content/posts/first.md": "# hi\n", "themes/ananke/theme.toml": ""])
        let found = try #require(try framework(tree))
        #expect(found.framework == .hugo)
        #expect(found.evidence == ["config.toml with a baseURL key (Hugo)"])
        let recipe = try tree.recipe()
        #expect(recipe.artifactDirectory == "docs")
        #expect(recipe.buildCommand == "hugo --minify --cleanDestinationDir")
        #expect(recipe.node == nil)
        // Layout folders alone are enough too.
        let folders = FixtureTree(["config.yaml": "title: Blog\n", "content/_index.md": "", "layouts/index.html": ""])
        #expect(try framework(folders)?.framework == .hugo)
    }

    /// `hugo` builds for the production environment: the root config file, then
    /// config/_default/, then config/production/, later ones winning.
    @Test(arguments: [
        (["config/_default/hugo.toml": "baseURL = 'https://example.org/'\n", "config/production/hugo.toml": "publishDir = 'dist'\n"],
         "dist", "config/production/hugo.toml sets publishDir dist (the production environment's, which `hugo` builds with)"),
        (["hugo.toml": "baseURL = '/'\npublishDir = 'root'\n", "config/_default/hugo.toml": "publishDir = 'docs'\n", "config/development/hugo.toml": "publishDir = 'dev'\n"],
         "docs", "config/_default/hugo.toml sets publishDir docs"),
        (["config.toml": "baseURL = '/'\n", "config/production/config.toml": "publishDir = \"out\"\n", "config/production/params.toml": "publishDir = 'param'\n"],
         "out", "config/production/config.toml sets publishDir out (the production environment's, which `hugo` builds with)"),
        (["hugo.yaml": "baseURL: /\nconfigDir: settings\n", "settings/_default/config.yaml": "publishDir: a\n", "settings/_default/hugo.yaml": "publishDir: b\n",
          "config/production/hugo.toml": "publishDir = 'ignored'\n"],
         "b", "settings/_default/hugo.yaml sets publishDir b"),
        (["hugo.toml": "publishDir = 'site'\n", "config.toml": "publishDir = 'old'\n", "config/production/menus.toml": "x = 1\n"],
         "site", "hugo.toml sets publishDir site"),
    ])
    func hugosPublishDirIsReadAsHugoBuildsForProduction(_ files: [String: String], _ output: String, _ evidence: String) throws {
        let recipe = try FixtureTree(files).recipe(framework: "hugo")
        #expect(recipe.artifactDirectory == output)
        #expect(recipe.evidence.contains(evidence), "\(recipe.evidence)")
        // In an app folder the same files are read there.
        let app = try FixtureTree(Dictionary(uniqueKeysWithValues: files.map { ("site/" + $0.key, $0.value) })).recipe(app: "site", framework: "hugo")
        #expect(app.artifactDirectory == "site/" + output)
    }

    @Test func aZolaConfigTomlIsNotHugo() throws {
        let tree = FixtureTree(["config.toml": "base_url = \"https://example.org\"\n", "content/_index.md": "", "templates/index.html": ""])
        #expect(try framework(tree) == nil)
        #expect(try notes(tree).contains { $0.contains("config.toml exists but has none of Hugo's markers") })
    }

    @Test func hugoWithAPackageJsonAlsoInstallsNodePackages() throws {
        let tree = FixtureTree(["hugo.yaml": "baseURL: /\n", "package.json": packageJSON(devDependencies: ["tailwindcss": "^3.4.0"]),
                                "package-lock.json": "{}", ".gitmodules": "[submodule \"themes/x\"]\n"])
        let recipe = try tree.recipe()
        #expect(recipe.framework == .hugo)
        #expect(recipe.node?.packageManager == .npm)
        #expect(recipe.updatesSubmodules)
    }

    @Test func jekyllWithGemfile() throws {
        let tree = FixtureTree(["_config.yml": "title: Blog\n", "Gemfile": "source \"https://rubygems.org\"\ngem \"jekyll\", \"~> 4.3\"\n",
                                "Gemfile.lock": "GEM\n"])
        let recipe = try tree.recipe()
        #expect(recipe.framework == .jekyll)
        #expect(recipe.evidence.first == "_config.yml and Gemfile with gem \"jekyll\"")
        #expect(recipe.ruby == SiteRecipe.RubyInstall(bundler: true, keyFile: "Gemfile.lock"))
        #expect(recipe.buildCommand == "bundle exec jekyll build")
        #expect(recipe.artifactDirectory == "_site")
        #expect(recipe.warnings.isEmpty)
        let pages = FixtureTree(["_config.yml": "title: x\n", "Gemfile": "gem 'github-pages', group: :jekyll_plugins\n"])
        #expect(try framework(pages)?.framework == .jekyll)
    }

    @Test func jekyllsDestinationIsTheOutputFolder() throws {
        let recipe = try FixtureTree(["_config.yml": "title: Blog\ndestination: ./public\n", "Gemfile": "gem \"jekyll\"\n"]).recipe()
        #expect(recipe.artifactDirectory == "public")
        #expect(recipe.evidence.contains("_config.yml sets destination ./public"))
        let app = try FixtureTree(["blog/_config.yml": "destination: \"out/site\"\n", "blog/Gemfile": "gem 'jekyll'\n"]).recipe(app: "blog")
        #expect(app.artifactDirectory == "blog/out/site")
        // A comment after an unquoted value is not part of it (a quoted '#' is).
        let commented = try FixtureTree(["_config.yml": "destination: public # the built site\n", "Gemfile": "gem \"jekyll\"\n"]).recipe()
        #expect(commented.artifactDirectory == "public")
        let mkdocs = try FixtureTree(["mkdocs.yml": "site_name: Docs\nsite_dir: out\t# built\n"]).recipe()
        #expect(mkdocs.artifactDirectory == "out")
        let quoted = try FixtureTree(["_config.yml": "destination: \"web #2\"\n", "Gemfile": "gem \"jekyll\"\n"]).recipe()
        #expect(quoted.artifactDirectory == "web #2")
    }

    @Test func jekyllWithoutGemfileIsFoundByItsFoldersAndInstallsJekyllAlone() throws {
        let tree = FixtureTree(["_config.yml": "title: Blog\n", "_posts/2024-01-01-hello.md": "---\n---\nhi\n", "index.md": "hi\n"])
        let recipe = try tree.recipe()
        #expect(recipe.framework == .jekyll)
        #expect(recipe.ruby == SiteRecipe.RubyInstall(bundler: false, keyFile: nil))
        #expect(recipe.buildCommand == "jekyll build")
        #expect(recipe.warnings.contains { $0.hasPrefix("there is no Gemfile") })
    }

    @Test func aConfigYmlAloneOrWithAnotherGemfileOrAJupyterBookIsNotJekyll() throws {
        #expect(try framework(FixtureTree(["_config.yml": "title: x\n"])) == nil)
        #expect(try framework(FixtureTree(["_config.yml": "title: x\n", "Gemfile": "gem \"rails\"\n"])) == nil)
        #expect(try framework(FixtureTree(["_config.yml": "title: x\n", "_toc.yml": "root: intro\n", "_data/x.yml": ""])) == nil)
    }

    @Test func mkdocsWithSiteDirMaterialAndRequirements() throws {
        let tree = FixtureTree(["mkdocs.yml": "site_name: Docs\nsite_dir: public\ntheme:\n  name: material\n", "docs/index.md": "# Docs\n",
                                "requirements.txt": "mkdocs-material==9.5.0\n"])
        let recipe = try tree.recipe()
        #expect(recipe.framework == .mkdocs)
        #expect(recipe.artifactDirectory == "public")
        #expect(recipe.python == SiteRecipe.PythonInstall(requirements: "requirements.txt", material: true))
        let commented = try FixtureTree(["mkdocs.yml": "site_name: Docs\ntheme:\n  name: material # the theme\n"]).recipe()
        #expect(commented.python?.material == true)
        let bare = try FixtureTree(["mkdocs.yml": "site_name: Docs\n"]).recipe()
        #expect(bare.artifactDirectory == "site")
        #expect(bare.python == SiteRecipe.PythonInstall(requirements: nil, material: false))
        #expect(bare.warnings.contains { $0.hasPrefix("there is no requirements.txt") })
    }

    @Test func plainHTMLAtTheRootOrInAPublicFolder() throws {
        let root = try FixtureTree(["index.html": "<h1>hi</h1>", "about.html": ""]).recipe()
        #expect(root.framework == .plain)
        #expect(root.artifactDirectory == ".")
        #expect(root.node == nil)
        let nested = try FixtureTree(["public/index.html": "<h1>hi</h1>", "README.md": ""]).recipe()
        #expect(nested.artifactDirectory == "public")
        #expect(nested.evidence == ["public/index.html and no site generator: the files are the site"])
    }

    // MARK: - Tricky cases

    @Test func scriptNamesAndDescriptionsNeverCount() throws {
        // The Hosting Toolkit took "linting" (it contains "ng") for Angular, and "next" in a
        // script for Next.js.
        let scripts = ["linting": "eslint .", "testing": "vitest", "ng": "echo ng", "next-step": "echo next", "vue-check": "echo vue"]
        let tree = FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"], scripts: scripts,
                                                            extra: "\"description\": \"ng angular next vue: a thing for testing and linting\"")])
        let found = try #require(try framework(tree))
        #expect(found.framework == .vite)
        #expect(found.flavor == nil)
        // With no framework packages at all, the scripts alone detect nothing.
        let none = FixtureTree(["package.json": packageJSON(dependencies: ["lodash": "^4.17.21"], scripts: scripts)])
        #expect(try framework(none) == nil)
    }

    @Test func packageNamesMatchExactlyNotBySubstring() throws {
        // `next-auth` is not `next`, `@angular/core-extras` is not `@angular/core`, `vite-plugin-x` is not `vite`.
        var files = ["package.json": packageJSON(dependencies: ["next-auth": "4.0.0", "@angular/core-extras": "1.0.0", "vite-plugin-x": "1.0.0", "astro-icon": "1.0.0"]),
                     "angular.json": "{}", "index.html": ""]
        // angular.json without @angular/core is not Angular (nor, being a build tool's file, plain HTML).
        #expect(try framework(FixtureTree(files)) == nil)
        #expect(try notes(FixtureTree(files)).contains("angular.json is Angular's configuration file, but package.json does not list @angular/core; add it (or pass --framework)"))
        files["angular.json"] = nil
        #expect(try framework(FixtureTree(files))?.framework == .plain)
    }

    /// A folder with a build tool's configuration holds sources to build: publishing it as a
    /// plain site would deploy them.
    @Test(arguments: ["vite.config.ts", "webpack.config.js", "tsconfig.json", "angular.json", "project.json", "svelte.config.js",
                      "next.config.mjs", "astro.config.mjs", "nuxt.config.ts", "rollup.config.mjs"])
    func buildToolConfigurationIsNeverPlainHTML(_ config: String) throws {
        let tree = FixtureTree(["nx.json": "{}", "package.json": packageJSON(devDependencies: ["nx": "19.0.0"]), "package-lock.json": "{}",
                                "apps/web/index.html": "<script type=module src=/src/main.ts></script>", "apps/web/src/main.ts": "",
                                "apps/web/\(config)": "{}"])
        guard case .unknown(let notes) = try tree.detect(app: "apps/web") else {
            Issue.record("apps/web with \(config) should not be detected")
            return
        }
        let name = config == "tsconfig.json" ? "tsconfig.json with src/" : config
        #expect(notes.contains("apps/web/index.html exists, but so does build-tool configuration (apps/web/\(name)), so apps/web/index.html is a source file to build, not the site: publishing the folder as it is would deploy the sources"), "\(notes)")
        #expect(throws: InitError.self) { try tree.recipe(app: "apps/web") }
    }

    /// An Nx app has no package.json: its framework shows in its configuration files, its
    /// packages are the workspace root's (installed there), and the build runs in its folder.
    @Test func anNxAppWithoutAPackageJsonIsBuiltWithTheWorkspacesPackages() throws {
        let tree = FixtureTree(["nx.json": "{}", "package-lock.json": "{}",
                                "package.json": packageJSON(dependencies: ["react": "^18.3.0"], devDependencies: ["vite": "^5.2.0", "nx": "19.0.0", "vitest": "^1.6.0"],
                                                            scripts: ["build": "nx run-many -t build"]),
                                "apps/web/index.html": "<div id=root></div><script type=module src=/src/main.tsx></script>",
                                "apps/web/vite.config.ts": "export default defineConfig({ plugins: [react()] })\n",
                                "apps/web/src/main.tsx": "", "apps/web/tsconfig.json": "{}",
                                "apps/web/project.json": #"{"name": "web", "targets": {"build": {"executor": "@nx/vite:build"}}}"#,
                                "apps/api/project.json": #"{"name": "api", "targets": {"build": {"executor": "@nx/webpack:webpack", "options": {"outputPath": "dist/apps/api"}}}}"#,
                                // Libraries are never sites, though a Vite library has a vite.config.
                                "libs/ui/project.json": #"{"name": "ui", "projectType": "library", "sourceRoot": "libs/ui/src"}"#,
                                "libs/ui/vite.config.ts": "export default defineConfig({ build: { lib: { entry: 'src/index.ts' } } })\n",
                                "libs/data/package.json": #"{"name": "@acme/data", "devDependencies": {"vite": "^5.2.0"}, "nx": {"projectType": "library"}}"#,
                                "libs/data/project.json": "{}", "libs/data/vite.config.ts": "export default {}\n"])
        let recipe = try tree.recipe(app: "apps/web")
        #expect(recipe.framework == .vite)
        #expect(recipe.evidence.starts(with: ["apps/web/vite.config.ts is Vite's configuration file", "package.json has devDependency vite ^5.2.0",
                                              "apps/web has no package.json of its own: its packages are those of package.json"]), "\(recipe.evidence)")
        #expect(recipe.node == SiteRecipe.NodeInstall(packageManager: .npm, directory: "", lockfile: "package-lock.json"))
        // The root's build script builds the whole workspace: not the app's.
        #expect(recipe.buildCommand == "npx vite build")
        #expect(recipe.artifactDirectory == "apps/web/dist")
        #expect(recipe.warnings.isEmpty, "\(recipe.warnings)")
        // Without a lockfile the install still runs where the package.json is.
        var noLock = tree.files
        noLock["package-lock.json"] = nil
        #expect(try FixtureTree(noLock).recipe(app: "apps/web").node?.directory == "")
        // The root lists its projects.
        guard case .workspace(let evidence, let candidates) = try tree.detect() else {
            Issue.record("an Nx workspace root should ask for --app")
            return
        }
        #expect(evidence == "nx.json exists")
        #expect(candidates.map(\.path) == ["apps/web", "apps/api"])
        #expect(candidates.map { $0.framework?.framework } == [.vite, nil])
        // A project built by an executor no template knows says how to build it.
        let api = try #require(throws: InitError.self) { try tree.recipe(app: "apps/api") }
        #expect(api.description.contains("apps/api/project.json is an Nx project whose build target runs @nx/webpack:webpack, writing dist/apps/api, which no sitebuild template builds"), "\(api.description)")
    }

    @Test func reactWithoutViteIsCreateReactAppOnlyWithReactScripts() throws {
        let plainReact = FixtureTree(["package.json": packageJSON(dependencies: ["react": "^18.2.0", "react-dom": "^18.2.0"], scripts: ["build": "webpack"])])
        #expect(try framework(plainReact) == nil)
        #expect(try notes(plainReact).contains("package.json has dependency react ^18.2.0, but no build tool sitebuild knows (vite, react-scripts, next, gatsby, astro…)"))
        let cra = FixtureTree(["package.json": packageJSON(dependencies: ["react": "^18.2.0", "react-scripts": "5.0.1"])])
        #expect(try framework(cra)?.framework == .createReactApp)
        let vite = FixtureTree(["package.json": packageJSON(dependencies: ["react": "^18.2.0"], devDependencies: ["vite": "^5.0.0", "@vitejs/plugin-react": "^4.0.0"])])
        #expect(try framework(vite)?.displayName == "Vite (React)")
    }

    @Test func angularNeedsAngularJson() throws {
        let noWorkspaceFile = FixtureTree(["package.json": packageJSON(dependencies: ["@angular/core": "^17.0.0"])])
        #expect(try framework(noWorkspaceFile) == nil)
        #expect(try notes(noWorkspaceFile).first?.contains("but there is no angular.json") == true)
        let recipe = try FixtureTree(["package.json": packageJSON(dependencies: ["@angular/core": "^17.0.0"], scripts: ["build": "ng build"]),
                                      "angular.json": "{}", "package-lock.json": "{}"]).recipe()
        #expect(recipe.framework == .angular)
        #expect(recipe.buildCommand == "npm run build")
        #expect(recipe.artifactDirectory == Framework.angularOutputDirectory)
    }

    @Test func nextWithoutExportConfigSaysHowToAddIt() throws {
        let none = try FixtureTree(["package.json": packageJSON(dependencies: ["next": "14.2.0"], scripts: ["build": "next build"])]).recipe()
        #expect(none.framework == .nextjs)
        #expect(none.warnings.contains { $0.contains("there is no next.config.*") && $0.contains("export default { output: 'export' }") })
        let withoutExport = try FixtureTree(["package.json": packageJSON(dependencies: ["next": "14.2.0"]),
                                             "next.config.js": "module.exports = {\n  reactStrictMode: true,\n  // output: 'export',\n}\n"]).recipe()
        #expect(withoutExport.warnings.contains { $0.contains("next.config.js does not set it") && $0.contains("output: 'export'") })
        let exported = try FixtureTree(["package.json": packageJSON(dependencies: ["next": "14.2.0"], scripts: ["build": "next build"]), "package-lock.json": "{}",
                                        "next.config.ts": "const nextConfig: NextConfig = {\n  output: \"export\",\n  distDir: 'build',\n}\nexport default nextConfig\n"]).recipe()
        #expect(exported.warnings.isEmpty)
        #expect(exported.evidence.contains("next.config.ts sets output: 'export' (static export into out/)"))
        #expect(exported.artifactDirectory == "build")
        let oldExport = try FixtureTree(["package.json": packageJSON(dependencies: ["next": "13.0.0"], scripts: ["build": "next build && next export"])]).recipe()
        #expect(oldExport.warnings.contains { $0.contains("`next export`") && $0.contains("Next.js 14 removed") })
    }

    @Test func astroWithServerOrHybridOutputWarnsThatOnlyStaticOutputIsDeployed() throws {
        for output in ["server", "hybrid"] {
            let recipe = try FixtureTree(["package.json": packageJSON(dependencies: ["astro": "^4.8.0", "@astrojs/node": "^8.0.0"]), "package-lock.json": "{}",
                                          "astro.config.mjs": "export default defineConfig({\n  output: '\(output)',\n  adapter: node(),\n})\n"]).recipe()
            #expect(recipe.framework == .astro)
            #expect(recipe.warnings.contains { $0.hasPrefix("astro.config.mjs sets output: '\(output)': sitebuild deploys static sites only") && $0.contains("dist/server") }, "\(recipe.warnings)")
        }
        let staticSite = try FixtureTree(["package.json": packageJSON(dependencies: ["astro": "^4.8.0"]), "package-lock.json": "{}",
                                          "astro.config.ts": "export default defineConfig({ output: 'static' })\n"]).recipe()
        #expect(staticSite.warnings.isEmpty)
        #expect(staticSite.evidence.contains("astro.config.ts sets output: 'static'"))
        // Whatever the config says, the build never publishes a server bundle.
        #expect(SiteTemplate.buildspec(for: staticSite).contains("if [ -d dist/server ] || [ -e dist/_worker.js ]; then"))
    }

    @Test func anAssetFolderFilledFromThePublicFolderIsNotMarkedImmutable() throws {
        let vite = FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"]), "public/assets/logo.png": "png"])
        let viteRecipe = try vite.recipe()
        #expect(viteRecipe.immutableAssetGlobs.isEmpty)
        #expect(viteRecipe.evidence.contains("public/assets/ is copied unhashed into dist/assets/, so assets/** is not marked immutable (move those files elsewhere to keep the rule)"))
        #expect(!SiteTemplate.siteConfig(for: viteRecipe).contains("assets/**"))
        // vite.config's publicDir names the folder.
        let moved = try FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"]), "static/assets/logo.png": "png",
                                     "vite.config.ts": "export default { publicDir: 'static' }\n"]).recipe()
        #expect(moved.immutableAssetGlobs.isEmpty)
        let docusaurus = try FixtureTree(["package.json": packageJSON(dependencies: ["@docusaurus/core": "3.2.0"]), "static/assets/a.pdf": ""]).recipe()
        #expect(docusaurus.immutableAssetGlobs.isEmpty)
        let cra = try FixtureTree(["package.json": packageJSON(dependencies: ["react-scripts": "5.0.1"]), "public/static/x.js": ""]).recipe()
        #expect(cra.immutableAssetGlobs.isEmpty)
        // Without such a folder the rule stays.
        let clean = try FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"]), "public/favicon.ico": ""]).recipe()
        #expect(clean.immutableAssetGlobs == ["assets/**"])
        #expect(SiteTemplate.siteConfig(for: clean).contains("  - match: 'assets/**'"))
    }

    @Test func svelteKitWithoutAdapterStaticWarnsNamingTheAdapterFound() throws {
        let auto = try FixtureTree(["package.json": packageJSON(devDependencies: ["@sveltejs/kit": "^2.0.0", "@sveltejs/adapter-auto": "^3.0.0"]),
                                    "pnpm-lock.yaml": ""]).recipe()
        #expect(auto.displayName == "SvelteKit (adapter-auto)")
        #expect(auto.evidence.contains("package.json has devDependency @sveltejs/adapter-auto ^3.0.0"))
        #expect(auto.warnings.contains { $0.hasPrefix("SvelteKit builds a static site only with @sveltejs/adapter-static, and package.json has @sveltejs/adapter-auto, which builds for a server platform")
            && $0.contains("`pnpm add -D @sveltejs/adapter-static`") }, "\(auto.warnings)")
        let none = try FixtureTree(["package.json": packageJSON(devDependencies: ["@sveltejs/kit": "^2.0.0"])]).recipe(framework: "sveltekit")
        #expect(none.warnings.contains { $0.contains("package.json names no SvelteKit adapter") })
        #expect(none.displayName == "SvelteKit")
    }

    @Test func svelteKitWithAdapterStaticReadsPagesAndFallback() throws {
        let manifest = packageJSON(devDependencies: ["@sveltejs/kit": "^2.0.0", "@sveltejs/adapter-static": "^3.0.0", "@sveltejs/adapter-auto": "^3.0.0"])
        let spa = try FixtureTree(["package.json": manifest, "package-lock.json": "{}", "svelte.config.js": """
            import adapter from '@sveltejs/adapter-static';
            export default { kit: { adapter: adapter({ pages: 'public', assets: 'public', fallback: 'index.html' }) } };
            """]).recipe()
        #expect(spa.displayName == "SvelteKit (adapter-static)")
        #expect(spa.artifactDirectory == "public")
        #expect(spa.routingMode == .spa)
        #expect(spa.evidence.contains("svelte.config.js sets fallback 'index.html': a single-page app (routing spa)"))
        #expect(spa.warnings.isEmpty, "\(spa.warnings)")
        #expect(SiteTemplate.siteConfig(for: spa).contains("mode: spa\n"))
        let twoHundred = try FixtureTree(["package.json": manifest, "package-lock.json": "{}",
                                          "svelte.config.js": "export default { kit: { adapter: adapter({ fallback: '200.html' }) } };\n"]).recipe()
        #expect(twoHundred.routingMode == .spa)
        #expect(twoHundred.artifactDirectory == "build")
        #expect(twoHundred.warnings.contains { $0.contains("sets fallback '200.html', but sitebuild's spa routing serves index.html") })
        let prerendered = try FixtureTree(["package.json": manifest, "package-lock.json": "{}",
                                           "svelte.config.js": "export default { kit: { adapter: adapter() } };\n"]).recipe()
        #expect(prerendered.routingMode == .static)
        #expect(prerendered.warnings.isEmpty)
    }

    /// adapter-static's options are often held in a variable: its object literal is read.
    @Test func svelteKitAdapterOptionsInAVariableAreRead() throws {
        let manifest = packageJSON(devDependencies: ["@sveltejs/kit": "^2.0.0", "@sveltejs/adapter-static": "^3.0.0"], scripts: ["build": "vite build"])
        let spa = try FixtureTree(["package.json": manifest, "package-lock.json": "{}", "svelte.config.js": """
            import adapter from '@sveltejs/adapter-static';
            const staticOptions = { fallback: 'index.html' };
            export default { kit: { adapter: adapter(staticOptions), paths: { assets: 'https://cdn.example.org' } } };
            """]).recipe()
        #expect(spa.routingMode == .spa)
        let pages = try FixtureTree(["package.json": manifest, "package-lock.json": "{}", "svelte.config.ts": """
            import adapter from '@sveltejs/adapter-static';
            const options: import('@sveltejs/adapter-static').AdapterOptions = { pages: 'dist' };
            export default { kit: { adapter: adapter(options) } };
            """]).recipe()
        #expect(pages.artifactDirectory == "dist")
        let spread = try FixtureTree(["package.json": manifest, "package-lock.json": "{}", "svelte.config.js": """
            const shared = { pages: 'site', fallback: 'index.html' };
            export default { kit: { adapter: adapter({ ...shared, precompress: true }) } };
            """]).recipe()
        #expect(spread.artifactDirectory == "site")
        #expect(spread.routingMode == .spa)
    }

    /// adapter-static writes `_app/` (and the static/ files) into its `assets` folder: when that
    /// is not the pages folder, the build copies it in, or the site would miss its scripts.
    @Test func svelteKitAssetsApartFromThePagesAreCopiedIntoThem() throws {
        let manifest = packageJSON(devDependencies: ["@sveltejs/kit": "^2.0.0", "@sveltejs/adapter-static": "^3.0.0"], scripts: ["build": "vite build"])
        let apart = try FixtureTree(["package.json": manifest, "package-lock.json": "{}", "svelte.config.js": """
            import adapter from '@sveltejs/adapter-static';
            export default { kit: { adapter: adapter({ pages: 'build', assets: 'build-assets' }) } };
            """]).recipe()
        #expect(apart.artifactDirectory == "build")
        #expect(apart.separateAssetsDirectory == "build-assets")
        #expect(apart.evidence.contains("svelte.config.js sets assets 'build-assets' apart from the pages: the build copies it (with _app/) into build/, so both are deployed"))
        let buildspec = SiteTemplate.buildspec(for: apart)
        #expect(buildspec.contains("          fi\n      - cp -R build-assets/. build\n\nartifacts:\n  base-directory: build\n"), "\(buildspec)")
        // kit.paths.assets is a URL, not adapter-static's folder; the default pages folder counts.
        let cdn = try FixtureTree(["package.json": manifest, "svelte.config.js": """
            export default { kit: { paths: { assets: 'https://cdn.example.org' }, adapter: adapter({ assets: 'static-out' }) } };
            """]).recipe()
        #expect(cdn.separateAssetsDirectory == "static-out")
        #expect(SiteTemplate.buildspec(for: cdn).contains("      - cp -R static-out/. build\n"))
        // One folder, however spelled: nothing to copy.
        let same = try FixtureTree(["package.json": manifest, "svelte.config.js": "export default { kit: { adapter: adapter({ pages: 'out', assets: './out/' }) } };\n"]).recipe()
        #expect(same.separateAssetsDirectory == nil)
        #expect(!SiteTemplate.buildspec(for: same).contains("cp -R"))
        // In an app folder the copy runs there; a folder outside the project cannot be copied.
        let app = try FixtureTree(["web/package.json": manifest, "web/svelte.config.js": "adapter({ pages: 'site', assets: '../shared-assets' })\n"]).recipe(app: "web")
        #expect(app.separateAssetsDirectory == "../shared-assets")
        #expect(app.artifactDirectory == "web/site")
        let outside = try FixtureTree(["package.json": manifest, "svelte.config.js": "adapter({ assets: '../assets' })\n"]).recipe()
        #expect(outside.separateAssetsDirectory == nil)
        #expect(outside.warnings.contains("svelte.config.js sets assets '../assets', outside the project, so the build cannot copy _app/ from it into build/ and the site would miss its scripts and styles; set assets to the pages folder ('build') or a folder inside the project"), "\(outside.warnings)")
    }

    @Test func viteBasedFrameworksWithoutATemplateAreNamedNotMistakenForVite() throws {
        let tree = FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.0.0", "vitepress": "^1.0.0"])])
        guard case .unsupported(let name, let evidence, let hint) = try tree.detect() else {
            Issue.record("VitePress should be reported as unsupported")
            return
        }
        #expect(name == "VitePress")
        #expect(evidence == "package.json has devDependency vitepress ^1.0.0")
        #expect(hint?.contains(".vitepress/dist") == true)
    }

    @Test func aBuildScriptForAnUnknownToolIsNotPlainHTML() throws {
        let tree = FixtureTree(["package.json": packageJSON(devDependencies: ["parcel": "^2.0.0"], scripts: ["build": "parcel build index.html"]),
                                "index.html": "<script src=app.js></script>"])
        #expect(try framework(tree) == nil)
        #expect(try notes(tree).first?.contains("has a build script (\"parcel build index.html\")") == true)
    }

    @Test func nothingAtAllIsUnknown() throws {
        #expect(try FixtureTree(["README.md": "hi"]).detect() == .unknown(notes: []))
        #expect(throws: InitError.self) { try FixtureTree(["README.md": "hi"]).recipe() }
    }

    @Test func anInvalidPackageJsonNamesTheFile() throws {
        let error = try #require(throws: UsageError.self) { try FixtureTree(["package.json": "{ \"dependencies\": "]).detect() }
        #expect(error.description.hasPrefix("package.json is not valid JSON"))
    }

    // MARK: - Monorepos

    static let monorepo: [String: String] = [
        "package.json": packageJSON(scripts: ["linting": "eslint ."], extra: "\"private\": true, \"workspaces\": [\"apps/*\", \"packages/*\", \"!packages/ignored\"]"),
        "package-lock.json": "{}",
        "apps/web/package.json": packageJSON(dependencies: ["react": "^18.2.0"], devDependencies: ["vite": "^5.2.0"], scripts: ["build": "vite build"]),
        "apps/web/vite.config.ts": "export default defineConfig({\n  build: { outDir: 'build/site' },\n})\n",
        "apps/docs/package.json": packageJSON(dependencies: ["@docusaurus/core": "3.2.0"], scripts: ["build": "docusaurus build"]),
        "packages/ui/package.json": packageJSON(dependencies: ["react": "^18.2.0"]),
        "packages/ignored/package.json": packageJSON(dependencies: ["astro": "^4.0.0"]),
        "apps/node_modules/x/package.json": "{}",
    ]

    @Test func aWorkspaceRootListsItsAppsForAppInstead() throws {
        let tree = FixtureTree(Self.monorepo)
        guard case .workspace(let evidence, let candidates) = try tree.detect() else {
            Issue.record("a workspace root should ask for --app")
            return
        }
        #expect(evidence == "package.json has workspaces")
        #expect(candidates.map(\.path) == ["apps/docs", "apps/web", "packages/ui"])
        #expect(candidates.map { $0.framework?.framework } == [.docusaurus, .vite, nil])
        let error = try #require(throws: InitError.self) { try tree.recipe() }
        #expect(error.code == .workspaceRoot)
        #expect(error.description.contains("--app apps/web     Vite (React)"))
        #expect(error.description.contains("--app packages/ui  (no site framework found)"))
    }

    @Test func anAppOfAWorkspaceInstallsAtTheRootAndBuildsInItsFolder() throws {
        let recipe = try FixtureTree(Self.monorepo).recipe(app: "apps/web")
        #expect(recipe.framework == .vite)
        #expect(recipe.node == SiteRecipe.NodeInstall(packageManager: .npm, directory: "", lockfile: "package-lock.json"))
        #expect(recipe.evidence.contains("package-lock.json → npm, installed at the repository root"))
        #expect(recipe.evidence.contains("apps/web/vite.config.ts sets outDir 'build/site'"))
        #expect(recipe.artifactDirectory == "apps/web/build/site")
        #expect(recipe.buildCommand == "npm run build")
    }

    @Test func aPnpmWorkspaceFileMakesAWorkspaceRoot() throws {
        let tree = FixtureTree(["package.json": packageJSON(), "pnpm-workspace.yaml": "packages:\n  - 'sites/**'\n", "pnpm-lock.yaml": "",
                                "sites/blog/package.json": packageJSON(dependencies: ["astro": "^4.0.0"])])
        guard case .workspace(let evidence, let candidates) = try tree.detect() else {
            Issue.record("a pnpm workspace root should ask for --app")
            return
        }
        #expect(evidence == "pnpm-workspace.yaml exists")
        #expect(candidates.map(\.path) == ["sites/blog"])
        let recipe = try tree.recipe(app: "sites/blog")
        #expect(recipe.node?.packageManager == .pnpm)
        #expect(recipe.artifactDirectory == "sites/blog/dist")
    }

    @Test func aWorkspaceRootWithViteForVitestIsStillAWorkspaceRoot() throws {
        var files = Self.monorepo
        files["package.json"] = packageJSON(devDependencies: ["vite": "^5.2.0", "vitest": "^1.6.0"], scripts: ["test": "vitest"],
                                            extra: "\"private\": true, \"workspaces\": [\"apps/*\", \"packages/*\"]")
        guard case .workspace(_, let candidates) = try FixtureTree(files).detect() else {
            Issue.record("a workspace root with vite as a dev tool should ask for --app")
            return
        }
        #expect(candidates.map(\.path).first == "apps/docs")
        // pnpm's workspace file counts too.
        let pnpm = FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"]), "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n",
                                "apps/web/package.json": packageJSON(devDependencies: ["vite": "^5.2.0"]), "apps/web/index.html": ""])
        guard case .workspace = try pnpm.detect() else {
            Issue.record("a pnpm workspace root with vite as a dev tool should ask for --app")
            return
        }
        // With its own index.html or vite config the root is the Vite app.
        files["vite.config.ts"] = "export default {}\n"
        #expect(try framework(FixtureTree(files))?.framework == .vite)
    }

    @Test func aFrameworkAtTheWorkspaceRootWins() throws {
        var files = Self.monorepo
        files["package.json"] = packageJSON(dependencies: ["next": "14.0.0"], extra: "\"workspaces\": [\"packages/*\"]")
        #expect(try framework(FixtureTree(files))?.framework == .nextjs)
    }

    // MARK: - Package managers

    @Test(arguments: [
        (["pnpm-lock.yaml": ""], PackageManager.pnpm, "pnpm-lock.yaml → pnpm"),
        (["yarn.lock": "# yarn lockfile v1\n"], .yarn, "yarn.lock → yarn"),
        (["yarn.lock": "__metadata:\n  version: 8\n"], .yarnBerry, "yarn.lock (Yarn 2+: the lockfile has __metadata) → yarn-berry"),
        (["yarn.lock": "", ".yarnrc.yml": "nodeLinker: node-modules\n"], .yarnBerry, "yarn.lock (Yarn 2+: .yarnrc.yml exists) → yarn-berry"),
        (["bun.lockb": ""], .bun, "bun.lockb → bun"),
        (["bun.lock": "{}"], .bun, "bun.lock → bun"),
        (["package-lock.json": "{}"], .npm, "package-lock.json → npm"),
        (["npm-shrinkwrap.json": "{}"], .npm, "npm-shrinkwrap.json → npm"),
    ])
    func theLockfileChoosesThePackageManager(_ lockfiles: [String: String], _ expected: PackageManager, _ evidence: String) throws {
        var files = lockfiles
        files["package.json"] = packageJSON(devDependencies: ["astro": "^4.0.0"])
        let recipe = try FixtureTree(files).recipe()
        #expect(recipe.node?.packageManager == expected)
        #expect(recipe.evidence.contains(evidence))
        #expect(recipe.warnings.isEmpty)
    }

    @Test func withoutALockfileThePackageManagerFieldOrNpmInstallsAndWarns() throws {
        let bare = try FixtureTree(["package.json": packageJSON(devDependencies: ["astro": "^4.0.0"])]).recipe()
        #expect(bare.node == SiteRecipe.NodeInstall(packageManager: .npm, directory: "", lockfile: nil))
        #expect(bare.warnings.contains { $0.hasPrefix("no lockfile: `npm install") })
        let declared = try FixtureTree(["package.json": packageJSON(devDependencies: ["astro": "^4.0.0"], extra: "\"packageManager\": \"yarn@4.1.1\"")]).recipe()
        #expect(declared.node?.packageManager == .yarnBerry)
        #expect(declared.evidence.contains("package.json has packageManager yarn@4.1.1 → yarn-berry"))
    }

    @Test func severalLockfilesFollowThePackageManagerFieldAndWarn() throws {
        let recipe = try FixtureTree(["package.json": packageJSON(devDependencies: ["astro": "^4.0.0"], extra: "\"packageManager\": \"npm@10.5.0\""),
                                      "package-lock.json": "{}", "yarn.lock": ""]).recipe()
        #expect(recipe.node?.packageManager == .npm)
        #expect(recipe.warnings.contains { $0.hasPrefix("several lockfiles (yarn.lock, package-lock.json): using package-lock.json") })
    }

    @Test func packageManagerAndFrameworkFlagsOverrideDetection() throws {
        let tree = FixtureTree(["package.json": packageJSON(devDependencies: ["vite": "^5.0.0"], scripts: ["build": "vite build"]), "pnpm-lock.yaml": ""])
        let recipe = try tree.recipe(framework: "cra", packageManager: "pnpm")
        #expect(recipe.framework == .createReactApp)
        #expect(recipe.evidence.first == "--framework cra (detection skipped)")
        #expect(recipe.buildCommand == "pnpm run build")
        #expect(throws: InitError.self) { try tree.recipe(framework: "jquery") }
        #expect(throws: InitError.self) { try tree.recipe(packageManager: "pip") }
    }

    // MARK: - Output folders read from config

    /// Eleventy 3 sets the output folder with `setOutputDirectory`, and `--output` on the
    /// command line wins over any config.
    @Test func eleventysOutputFolderFromSetOutputDirectoryOrTheBuildScript() throws {
        let eleventy = ["@11ty/eleventy": "^3.0.0"]
        let configured = try FixtureTree(["package.json": packageJSON(devDependencies: eleventy, scripts: ["build": "eleventy"]), "package-lock.json": "{}",
                                          "eleventy.config.js": "export default function (eleventyConfig) {\n  // eleventyConfig.setOutputDirectory(\"old\");\n  eleventyConfig.setInputDirectory(\"src\");\n  eleventyConfig.setOutputDirectory(\"dist\");\n}\n"]).recipe()
        #expect(configured.artifactDirectory == "dist")
        #expect(configured.evidence.contains("eleventy.config.js calls setOutputDirectory(\"dist\")"))
        #expect(SiteTemplate.buildspec(for: configured).contains("      - rm -rf dist\n      - npm run build\n"))
        for (script, expected) in [("eleventy --input=src --output=public", "public"), ("npx @11ty/eleventy --output out --quiet", "out"),
                                   ("rm -rf x && ./node_modules/.bin/eleventy --output='my site'", "my site"), ("eleventy --serve", "dist"),
                                   ("npm run css && npm run site", "www"), ("echo --output=nope && eleventy", "dist")] {
            let recipe = try FixtureTree(["package.json": packageJSON(devDependencies: eleventy, scripts: ["build": script, "site": "eleventy --output=www", "css": "postcss"]),
                                          "package-lock.json": "{}", "eleventy.config.mjs": "export const config = { dir: { output: 'dist' } };\n"]).recipe()
            #expect(recipe.artifactDirectory == expected, "\(script)")
        }
        let scripted = try FixtureTree(["package.json": packageJSON(devDependencies: eleventy, scripts: ["build": "eleventy --output=public"]), "package-lock.json": "{}",
                                        "eleventy.config.js": "module.exports = (c) => { c.setOutputDirectory('dist') }\n"]).recipe()
        #expect(scripted.evidence.suffix(2) == ["eleventy.config.js calls setOutputDirectory(\"dist\")",
                                                "package.json script \"build\" runs eleventy with --output public (it wins over the config file)"])
        // Without a build script the buildspec runs eleventy itself: the config decides.
        let bare = try FixtureTree(["package.json": packageJSON(devDependencies: eleventy, scripts: ["start": "eleventy --output=tmp --serve"]),
                                    "eleventy.config.js": "module.exports = (c) => { c.setOutputDirectory('dist') }\n"]).recipe()
        #expect(bare.artifactDirectory == "dist")
    }

    /// A base path makes every asset URL and link start with it, but the site is deployed at
    /// the root of its domain: init warns, says what breaks and what to do.
    @Test(arguments: [
        (["package.json": packageJSON(dependencies: ["next": "14.2.0"], scripts: ["build": "next build"]),
          "next.config.mjs": "export default { output: 'export', basePath: '/docs' }\n"],
         "next.config.mjs sets basePath '/docs': the built pages load their scripts and styles and link to each other below /docs/, but sitebuild deploys out/ at the root of the domain, so those URLs miss (404). Remove basePath to serve the site at the root; to keep /docs/, put the site in that folder of the artifact (after the build: mkdir -p site-root/docs && cp -R out/. site-root/docs/, then artifacts.base-directory: site-root)"),
        (["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"], scripts: ["build": "vite build"]),
          "vite.config.ts": "export default defineConfig({\n  base: '/app/',\n  build: { outDir: 'out' },\n})\n"],
         "vite.config.ts sets base '/app/': the built pages load their scripts and styles and link to each other below /app/, but sitebuild deploys out/ at the root of the domain, so those URLs miss (404). Remove base (or set it to '/') to serve the site at the root; to keep /app/, put the site in that folder of the artifact (after the build: mkdir -p site-root/app && cp -R out/. site-root/app/, then artifacts.base-directory: site-root)"),
        (["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"], scripts: ["build": "tsc && vite build --base=/shop/"])],
         "package.json script \"build\" passes --base '/shop/': the built pages load"),
        (["package.json": packageJSON(devDependencies: ["vite": "^5.2.0"]), "vite.config.js": "export default { base: './' }\n"],
         "vite.config.js sets base './' (relative URLs): a deep link such as /users/42 serves index.html, which then loads ./assets/… from /users/assets/…, which misses (404). Set base: '/' (sitebuild deploys the site at the root of the domain)"),
        (["package.json": packageJSON(dependencies: ["astro": "^4.0.0"]), "astro.config.mjs": "export default defineConfig({ site: 'https://example.org', base: '/blog' })\n"],
         "astro.config.mjs sets base '/blog': the built pages"),
        (["package.json": packageJSON(dependencies: ["@docusaurus/core": "3.2.0"]), "docusaurus.config.js": "export default { baseUrl: '/docs/' };\n"],
         "docusaurus.config.js sets baseUrl '/docs/': the built pages load their scripts and styles and link to each other below /docs/, but sitebuild deploys build/ at the root of the domain, so those URLs miss (404). Set baseUrl to '/' to serve"),
        (["package.json": packageJSON(dependencies: ["react-scripts": "5.0.1"], scripts: ["build": "react-scripts build"], extra: #""homepage": "https://user.github.io/my-app""#)],
         "package.json sets homepage 'https://user.github.io/my-app': the built pages load their scripts and styles and link to each other below /my-app/, but sitebuild deploys build/ at the root of the domain, so those URLs miss (404). Remove homepage from package.json"),
        (["package.json": packageJSON(dependencies: ["react-scripts": "5.0.1"], extra: #""homepage": "/my-app""#)],
         "package.json sets homepage '/my-app': the built pages load their scripts and styles and link to each other below /my-app/"),
        (["package.json": packageJSON(dependencies: ["@angular/core": "^19.0.0"], devDependencies: ["@angular/cli": "^19.0.0"]),
          "angular.json": #"{"projects": {"shop": {"projectType": "application", "architect": {"build": {"options": {"outputPath": "dist/shop", "baseHref": "/shop/"}}}}}}"#],
         "angular.json sets projects.shop build options baseHref '/shop/': the built pages load their scripts and styles and link to each other below /shop/"),
        (["package.json": packageJSON(dependencies: ["@angular/core": "^19.0.0"], devDependencies: ["@angular/cli": "^19.0.0"], scripts: ["build": "ng build --base-href=/ng-app/"]),
          "angular.json": #"{"projects": {"ng": {"architect": {"build": {"options": {"outputPath": "dist/ng"}}}}}}"#],
         "package.json script \"build\" passes --base-href '/ng-app/': the built pages load their scripts and styles and link to each other below /ng-app/, but sitebuild deploys sitebuild-output/ at the root of the domain, so those URLs miss (404). Drop --base-href"),
        (["Gemfile": "gem \"jekyll\"\n", "index.md": "", "_config.yml": "title: Blog\nbaseurl: \"/my-repo\" # the repository\nurl: \"https://user.github.io\"\n"],
         "_config.yml sets baseurl '/my-repo': the built pages load their scripts and styles and link to each other below /my-repo/, but sitebuild deploys _site/ at the root of the domain, so those URLs miss (404). Set baseurl: \"\" in _config.yml"),
        (["hugo.toml": "baseURL = 'https://example.org/'\n", "config/production/hugo.toml": "baseURL = \"https://user.github.io/blog/\"\n"],
         "config/production/hugo.toml sets baseURL 'https://user.github.io/blog/': the built pages load their scripts and styles and link to each other below /blog/, but sitebuild deploys public/ at the root of the domain"),
        (["package.json": packageJSON(dependencies: ["nuxt": "^3.0.0"]), "nuxt.config.ts": "export default defineNuxtConfig({\n  app: { head: { title: 'x' }, baseURL: '/app/' },\n})\n"],
         "nuxt.config.ts sets app.baseURL '/app/': the built pages load"),
        (["package.json": packageJSON(devDependencies: ["@11ty/eleventy": "^2.0.0"]), "eleventy.config.js": "module.exports = () => ({ pathPrefix: '/docs/' })\n"],
         "eleventy.config.js sets pathPrefix '/docs/': the built pages load"),
        (["package.json": packageJSON(dependencies: ["gatsby": "^5.0.0"], scripts: ["build": "gatsby build --prefix-paths"]), "gatsby-config.js": "module.exports = { pathPrefix: `/blog` }\n"],
         "gatsby-config.js sets pathPrefix (and the build passes --prefix-paths) '/blog': the built pages load"),
    ])
    func aBasePathIsAWarningThatSaysWhatBreaks(_ files: [String: String], _ warning: String) throws {
        let recipe = try FixtureTree(files).recipe()
        #expect(recipe.warnings.contains { $0.hasPrefix(warning) }, "\(recipe.warnings)")
    }

    @Test func aRootOrURLBaseIsNoWarning() throws {
        for (files, framework) in [(["vite.config.ts": "export default { base: '/' }\n"], "vite"), (["vite.config.ts": "export default { base: 'https://cdn.example.org/' }\n"], "vite"),
                                   (["docusaurus.config.js": "export default { baseUrl: '/' };\n"], "docusaurus"),
                                   (["next.config.js": "module.exports = { output: 'export', basePath: '' }\n"], "nextjs"),
                                   ([:], "cra"), (["hugo.toml": "baseURL = 'https://example.org/'\n"], "hugo"), (["_config.yml": "baseurl: \"\"\n"], "jekyll"),
                                   // Gatsby uses pathPrefix only in a build with --prefix-paths.
                                   (["gatsby-config.js": "module.exports = { pathPrefix: '/blog' }\n"], "gatsby")] {
            var tree = files
            tree["package.json"] = packageJSON(scripts: ["build": "gatsby build"], extra: #""homepage": "https://user.github.io""#)
            tree["package-lock.json"] = "{}"
            let recipe = try FixtureTree(tree).recipe(framework: framework)
            #expect(!recipe.warnings.contains { $0.contains("base") }, "\(recipe.warnings)")
        }
    }

    @Test func shellWordsAndCommandOptions() {
        #expect(ConfigText.shellWords("a 'b c' \"d\"e&&f|g ; h || i &") == ["a", "b c", "de", "&&", "f", "|", "g", ";", "h", "||", "i", "&"])
        let isEleventy = { (word: String) in word == "eleventy" }
        #expect(ConfigText.commandOption("--output", of: isEleventy, in: "eleventy --output=a") == "a")
        #expect(ConfigText.commandOption("--output", of: isEleventy, in: "tool --output=a; eleventy") == nil)
        #expect(ConfigText.commandOption("--output", of: isEleventy, in: "eleventy --outputs=a") == nil)
    }

    @Test func outputFoldersComeFromTheFrameworksConfig() throws {
        let eleventy = try FixtureTree(["package.json": packageJSON(devDependencies: ["@11ty/eleventy": "^2.0.0"]),
                                        "eleventy.config.js": "module.exports = function () {\n  return { dir: { input: \"src\", output: \"dist\" } };\n};\n"]).recipe()
        #expect(eleventy.artifactDirectory == "dist")
        #expect(eleventy.buildCommand == "npx eleventy")
        let nuxt = try FixtureTree(["package.json": packageJSON(dependencies: ["nuxt": "^3.0.0"], scripts: ["build": "nuxt build"])]).recipe()
        #expect(nuxt.buildCommand == "npx nuxt generate")
        #expect(nuxt.artifactDirectory == ".output/public")
    }

    /// artifacts.base-directory is relative to the buildspec at the project's root: an output
    /// folder outside the app but inside the project is named from the root; one outside the
    /// project stops init, naming the setting (a fallback to dist would deploy nothing).
    @Test func anOutputFolderOutsideTheAppIsNamedFromTheRootOrRefused() throws {
        let vite = packageJSON(devDependencies: ["vite": "^5.0.0"])
        let sibling = try FixtureTree(["apps/web/package.json": vite, "apps/web/vite.config.ts": "export default { build: { outDir: '../dist' } }\n"]).recipe(app: "apps/web")
        #expect(sibling.artifactDirectory == "apps/dist")
        #expect(sibling.evidence.contains("apps/web/vite.config.ts sets outDir '../dist'"))
        #expect(SiteTemplate.buildspec(for: sibling).contains("  base-directory: apps/dist\n"))
        let nx = try FixtureTree(["apps/web/package.json": vite, "apps/web/vite.config.ts": "export default { build: { outDir: '../../dist/apps/web' } }\n"]).recipe(app: "apps/web")
        #expect(nx.artifactDirectory == "dist/apps/web")

        let outside = try #require(throws: InitError.self) {
            try FixtureTree(["package.json": vite, "vite.config.js": "export default { build: { outDir: '../dist' } }\n"]).recipe()
        }
        #expect(outside.description == "vite.config.js sets outDir '../dist': that is outside the project, but buildspec.yml is written at the project's root and deploys its artifacts.base-directory, which must be a folder inside the project. Set it to a folder inside the project, such as the default dist, then run init again")
        let deep = try #require(throws: InitError.self) {
            try FixtureTree(["apps/web/package.json": vite, "apps/web/vite.config.js": "export default { build: { outDir: '../../../dist' } }\n"]).recipe(app: "apps/web")
        }
        #expect(deep.description.hasPrefix("apps/web/vite.config.js sets outDir '../../../dist': that is outside the project"))
        #expect(deep.description.hasSuffix("such as the default dist (relative to apps/web), then run init again"))
        let hugo = try #require(throws: InitError.self) { try FixtureTree(["hugo.toml": "publishDir = '/var/www/site'\n"]).recipe() }
        #expect(hugo.description.hasPrefix("hugo.toml sets publishDir /var/www/site: that is an absolute path, but"))
    }

    /// Vite resolves build.outDir against its root: the documented `root: 'src'` with
    /// `outDir: '../dist'` writes the project's dist/, and root alone writes src/dist/.
    @Test func viteOutDirIsRelativeToItsRoot() throws {
        let vite = packageJSON(devDependencies: ["vite": "^5.0.0"], scripts: ["build": "vite build"])
        let documented = try FixtureTree(["package.json": vite, "src/index.html": "<html></html>",
                                          "vite.config.js": "export default { root: 'src', build: { outDir: '../dist', emptyOutDir: true } }\n"]).recipe()
        #expect(documented.artifactDirectory == "dist")
        #expect(documented.evidence.contains("vite.config.js sets outDir '../dist' (relative to its root 'src')"))
        let inApp = try FixtureTree(["apps/web/package.json": vite,
                                     "apps/web/vite.config.ts": "export default defineConfig({\n  root: './src/',\n  build: { outDir: '../../../dist/web' },\n})\n"]).recipe(app: "apps/web")
        #expect(inApp.artifactDirectory == "dist/web")
        let rootAlone = try FixtureTree(["package.json": vite, "vite.config.ts": "export default { root: 'src', publicDir: 'static' }\n",
                                         "src/static/assets/logo.png": ""]).recipe()
        #expect(rootAlone.artifactDirectory == "src/dist")
        #expect(rootAlone.unhashedAssetGlobs == ["assets/**"])
        let fromDirname = try FixtureTree(["package.json": vite,
                                           "vite.config.ts": "export default { root: resolve(__dirname, 'src'), build: { outDir: resolve(__dirname, 'public') } }\n"]).recipe()
        #expect(fromDirname.artifactDirectory == "public")
        // Vitest's test.root is not Vite's.
        let vitest = try FixtureTree(["package.json": vite, "vite.config.ts": "export default { test: { root: 'tests' }, build: { outDir: 'out' } }\n"]).recipe()
        #expect(vitest.artifactDirectory == "out")

        let outside = try #require(throws: InitError.self) {
            try FixtureTree(["package.json": vite, "vite.config.js": "export default { root: 'src', build: { outDir: '../../dist' } }\n"]).recipe()
        }
        #expect(outside.description.hasPrefix("vite.config.js sets outDir '../../dist' (relative to its root 'src'): that is outside the project"))
        #expect(outside.description.hasSuffix("such as '../dist', which is relative to the root (vite.config.js sets root 'src'): that is dist/, then run init again"), "\(outside.description)")
    }
}
