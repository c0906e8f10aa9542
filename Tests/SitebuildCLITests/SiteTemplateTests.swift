import BuildSpec
import Foundation
import SiteContent
import Testing
@testable import SitebuildCLI

/// Every rendered template (each framework, each package manager, at the root and in a
/// monorepo app) is a buildspec the validator accepts without a warning, and a
/// sitebuild.yml that loads; `buildspecs/` holds exactly the standard renderings.
@Suite struct SiteTemplateTests {
    /// The renderings worth checking: each framework with each package manager (Node
    /// frameworks), at the root, in an app installed at the root, and in an app with its
    /// own lockfile; plus the variants detection produces.
    static var recipes: [(name: String, recipe: SiteRecipe)] {
        var all: [(String, SiteRecipe)] = []
        for framework in Framework.allCases {
            let managers: [PackageManager] = framework.usesNode ? PackageManager.allCases : [.npm]
            for pm in managers {
                let base = SiteRecipe.standard(framework, packageManager: pm)
                all.append(("\(framework.rawValue)/\(pm.rawValue)", base))
                var workspaceApp = base
                workspaceApp.appDirectory = "apps/web"
                workspaceApp.artifactDirectory = ProjectPath.join("apps/web", base.outputDirectory)
                all.append(("\(framework.rawValue)/\(pm.rawValue)/workspace-app", workspaceApp))
                // Folder names YAML or the shell would misread unquoted.
                for folder in ["web #2", "a: b", "it's [x]", "2024"] {
                    var oddName = base
                    oddName.appDirectory = folder
                    oddName.artifactDirectory = ProjectPath.join(folder, base.outputDirectory)
                    if let requirements = base.python?.requirements { oddName.python?.requirements = ProjectPath.join(folder, requirements) }
                    all.append(("\(framework.rawValue)/\(pm.rawValue)/app \(folder)", oddName))
                }
                if var node = base.node {
                    node.directory = "apps/web"
                    node.lockfile = ProjectPath.join("apps/web", pm.lockfiles[0])
                    var ownLockfile = workspaceApp
                    ownLockfile.node = node
                    all.append(("\(framework.rawValue)/\(pm.rawValue)/app-lockfile", ownLockfile))
                    var noLockfile = base
                    noLockfile.node?.lockfile = nil
                    all.append(("\(framework.rawValue)/\(pm.rawValue)/no-lockfile", noLockfile))
                }
            }
        }
        var jekyllAlone = SiteRecipe.standard(.jekyll)
        jekyllAlone.ruby = SiteRecipe.RubyInstall(bundler: false, keyFile: nil)
        jekyllAlone.buildCommand = "jekyll build"
        all.append(("jekyll/no-gemfile", jekyllAlone))
        var mkdocsAlone = SiteRecipe.standard(.mkdocs)
        mkdocsAlone.python = SiteRecipe.PythonInstall(requirements: nil, material: true)
        all.append(("mkdocs/no-requirements", mkdocsAlone))
        var mkdocsApp = SiteRecipe.standard(.mkdocs)
        mkdocsApp.appDirectory = "docs-site"
        mkdocsApp.python = SiteRecipe.PythonInstall(requirements: "docs-site/requirements.txt", material: false)
        mkdocsApp.artifactDirectory = "docs-site/site"
        all.append(("mkdocs/app", mkdocsApp))
        var hugoNode = SiteRecipe.standard(.hugo)
        hugoNode.node = SiteRecipe.NodeInstall(packageManager: .pnpm, directory: "", lockfile: "pnpm-lock.yaml")
        hugoNode.updatesSubmodules = true
        all.append(("hugo/pnpm-submodules", hugoNode))
        var svelteKitAssets = SiteRecipe.standard(.sveltekit)
        svelteKitAssets.separateAssetsDirectory = "build assets #2"
        all.append(("sveltekit/assets-apart", svelteKitAssets))
        var plainFolder = SiteRecipe.standard(.plain)
        plainFolder.outputDirectory = "public"
        plainFolder.artifactDirectory = "public"
        all.append(("plain/public", plainFolder))
        return all
    }

    @Test func everyRenderedBuildspecValidatesWithoutWarnings() throws {
        let all = Self.recipes
        #expect(all.count > 100)
        for (name, recipe) in all {
            let text = SiteTemplate.buildspec(for: recipe)
            do {
                let (spec, warnings) = try BuildSpecParser.parse(text, file: "buildspec.yml")
                #expect(warnings.isEmpty, "\(name): \(warnings)")
                #expect(spec.artifacts?.baseDirectory == recipe.artifactDirectory, "\(name)")
                #expect(spec.artifacts?.files == ["**/*"], "\(name)")
                let commands = PhaseName.allCases.flatMap { spec.phases[$0]?.commands.map(\.text) ?? [] }
                if let build = recipe.buildCommand { #expect(commands.contains(build), "\(name)") }
                if let node = recipe.node {
                    #expect(commands.contains(node.packageManager.installCommand(hasLockfile: node.lockfile != nil)), "\(name)")
                    let key = try #require(spec.cache?.key, "\(name)")
                    #expect(key.hasPrefix(node.packageManager.rawValue + "-"), "\(name)")
                    #expect(key.contains("$(codebuild-hash-files \(node.lockfile ?? ProjectPath.join(node.directory, "package.json"))"), "\(name)")
                    #expect(spec.cache?.paths.contains(ProjectPath.join(node.directory, node.packageManager.cacheDirectory, "**/*")) == true, "\(name)")
                }
                if !recipe.appDirectory.isEmpty {
                    #expect(spec.phases[.build]?.commands.first?.text.trimmingCharacters(in: .newlines) == "cd \"$CODEBUILD_SRC_DIR/\(SiteTemplate.inDoubleQuotes(recipe.appDirectory))\"", "\(name)")
                }
            } catch let error as BuildSpecError {
                Issue.record("\(name) does not validate:\n\(error.diagnostics)\n\(text)")
            }
        }
    }

    @Test func everyRenderedSiteConfigLoadsWithItsModeAndHeaderRules() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-templates-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for framework in Framework.allCases {
            let path = folder + "/\(framework.rawValue).yml"
            try Data(SiteTemplate.siteConfig(for: .standard(framework)).utf8).write(to: URL(fileURLWithPath: path))
            let config = try SiteConfig.load(path)
            #expect(config.mode == framework.routingMode, "\(framework)")
            #expect(config.headerRules.map(\.pattern.text) == framework.immutableAssetGlobs + framework.revalidatedInAssetGlobs, "\(framework)")
            #expect(config.headerRules.prefix(framework.immutableAssetGlobs.count).allSatisfy { $0.cacheControl == "public, max-age=31536000, immutable" })
            #expect(config.target == nil)
            let policy = HeaderPolicy(rules: config.headerRules)
            for glob in framework.immutableAssetGlobs {
                // The rule reaches files below the folder.
                let sample = glob.replacingOccurrences(of: "**", with: "deep/name.js")
                #expect(policy.headers(for: sample).cacheControl == HeaderPolicy.immutableCache, "\(framework): \(sample)")
            }
            // A file that keeps its name inside such a folder (Nuxt's builds/latest.json) is revalidated.
            for path in framework.revalidatedInAssetGlobs {
                #expect(policy.headers(for: path).cacheControl == HeaderPolicy.entryPointCache, "\(framework): \(path)")
            }
        }
        #expect(Framework.nuxt.revalidatedInAssetGlobs == ["_nuxt/builds/latest.json"])
    }

    /// Any template whose output folder is the project itself (Eleventy with output ".") takes
    /// the project's files: its credential files are left out as the plain template's are.
    @Test func aSiteBuiltIntoTheProjectFolderLeavesItsCredentialsOut() throws {
        let recipe = try FixtureTree(["package.json": #"{"devDependencies":{"@11ty/eleventy":"^2.0.0"},"scripts":{"build":"eleventy"}}"#,
                                      "package-lock.json": "{}",
                                      ".eleventy.js": "module.exports = () => ({ dir: { input: \"src\", output: \".\" } });\n"]).recipe()
        #expect(recipe.artifactDirectory == ".")
        let buildspec = SiteTemplate.buildspec(for: recipe)
        #expect(buildspec.contains("  exclude-paths:\n") && buildspec.contains("'**/.[eE][nN][vV]'") && buildspec.contains("'**/.[nN][pP][mM][rR][cC]'"), "\(buildspec)")
        #expect(!buildspec.contains("rm -rf"), "\(buildspec)")
    }

    /// Jekyll 3 (the github-pages gem's) replaces its default `exclude:` list, the one that
    /// holds vendor/bundle, with the site's own: the gems are installed into a dot folder,
    /// which Jekyll never reads whatever `exclude:` says.
    @Test func jekyllsGemsAreInstalledWhereJekyllNeverReads() throws {
        let tree = FixtureTree(["blog/_config.yml": "title: Blog\nexclude:\n  - README.md\n", "blog/Gemfile": "gem \"github-pages\", group: :jekyll_plugins\n",
                                "blog/Gemfile.lock": "GEM\n", ".gitignore": "vendor/bundle/\n"])
        let bundled = try tree.recipe(app: "blog")
        let text = SiteTemplate.buildspec(for: bundled)
        #expect(text.contains("# Gems go to .vendor/bundle/: Jekyll never reads a dot folder, whatever _config.yml's exclude: says.\n"), "\(text)")
        #expect(text.contains("      - cd \"$CODEBUILD_SRC_DIR/blog\"\n      - export BUNDLE_PATH=\"$PWD/.vendor/bundle\"\n      - bundle install\n"), "\(text)")
        #expect(text.contains("  paths:\n    - 'blog/.vendor/bundle/**/*'\n"), "\(text)")
        #expect(!text.contains(" vendor/") && !text.contains("/vendor/") && !text.contains("'vendor/"), "\(text)")
        #expect(InitCommand.gitignoreAdditions(bundled, files: tree) == [".sitebuild/", ".vendor/bundle/"])
        let alone = try FixtureTree(["_config.yml": "exclude: [drafts]\n", "_posts/2024-01-01-a.md": ""]).recipe()
        let aloneText = SiteTemplate.buildspec(for: alone)
        #expect(aloneText.contains("      - export GEM_HOME=\"$PWD/.vendor/gems\" PATH=\"$PWD/.vendor/gems/bin:$PATH\"\n"), "\(aloneText)")
        #expect(aloneText.contains("    - '.vendor/gems/**/*'\n"), "\(aloneText)")
    }

    @Test func routingModesAndAssetFolders() {
        #expect(Framework.allCases.filter { $0.routingMode == .spa } == [.vite, .createReactApp, .angular])
        #expect(Framework.nextjs.immutableAssetGlobs == ["_next/static/**"])
        #expect(Framework.astro.immutableAssetGlobs == ["_astro/**"])
        #expect(Framework.createReactApp.immutableAssetGlobs == ["static/**"])
    }

    @Test func multiLineCommandsBecomeOneBlockCommandEach() throws {
        let text = SiteTemplate.buildspec(for: .standard(.angular, packageManager: .pnpm))
        let (spec, _) = try BuildSpecParser.parse(text, file: "buildspec.yml")
        let build = try #require(spec.phases[.build]?.commands.map(\.text))
        #expect(build == ["pnpm run build", SiteTemplate.angularCopy + "\n"])
        // Commands that YAML would misread as plain scalars are written as blocks.
        #expect(SiteTemplate.isPlainScalar("npm ci --cache .npm-cache"))
        #expect(!SiteTemplate.isPlainScalar("echo a: b"))
        #expect(!SiteTemplate.isPlainScalar("echo x #not a comment"))
        #expect(!SiteTemplate.isPlainScalar("{ echo; }"))
    }

    @Test(.enabled(if: SiteTemplateTests.which("node") != nil, "node is not on PATH: the angular.json one-liner cannot run"))
    func theAngularOneLinerFindsTheOutputFolderOfEachBuilder() throws {
        let node = try #require(Self.which("node"))
        let cases: [(String, String)] = [
            // Angular 17+: the application builder writes <outputPath>/browser.
            (#"{"projects":{"shop":{"projectType":"application","architect":{"build":{"builder":"@angular-devkit/build-angular:application","options":{"outputPath":"dist/shop"}}}}}}"#, "dist/shop/browser"),
            (#"{"projects":{"shop":{"architect":{"build":{"builder":"@angular/build:application","options":{"outputPath":{"base":"out","browser":""}}}}}}}"#, "out"),
            (#"{"projects":{"lib":{"projectType":"library"},"app":{"projectType":"application","architect":{"build":{"builder":"@angular/build:application"}}}}}"#, "dist/app/browser"),
            // Angular 16 and older: the browser builder writes outputPath itself.
            (#"{"defaultProject":"old","projects":{"old":{"architect":{"build":{"builder":"@angular-devkit/build-angular:browser","options":{"outputPath":"dist/old"}}}}}}"#, "dist/old"),
        ]
        let script = SiteTemplate.angularCopy
        let start = try #require(script.range(of: "node -e '")).upperBound
        let end = try #require(script.range(of: "')\n", range: start..<script.endIndex)).lowerBound
        let javascript = String(script[start..<end])
        for (angularJSON, expected) in cases {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-angular-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data(angularJSON.utf8).write(to: folder.appendingPathComponent("angular.json"))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: node)
            process.arguments = ["-e", javascript]
            process.currentDirectoryURL = folder
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(String(decoding: output, as: UTF8.self) == expected + "\n", "\(angularJSON)")
        }
    }

    static func which(_ program: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // MARK: - buildspecs/

    /// The repository's buildspecs/ folder, found from this file's path.
    static var buildspecsFolder: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("buildspecs").path
    }

    /// `buildspecs/<framework>.yml` and `.sitebuild.yml` are the standard renderings (npm for
    /// Node frameworks). `SITEBUILD_WRITE_BUILDSPECS=1 swift test --filter SiteTemplateTests`
    /// rewrites them after a template change.
    @Test func theBuildspecsFolderHoldsTheStandardRenderings() throws {
        let folder = Self.buildspecsFolder
        let rewrite = ProcessInfo.processInfo.environment["SITEBUILD_WRITE_BUILDSPECS"] == "1"
        for framework in Framework.allCases {
            let recipe = SiteRecipe.standard(framework)
            for (name, text) in [("\(framework.rawValue).yml", SiteTemplate.buildspec(for: recipe)),
                                 ("\(framework.rawValue).sitebuild.yml", SiteTemplate.siteConfig(for: recipe))] {
                let path = folder + "/" + name
                if rewrite { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
                let stored = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
                #expect(stored == text, "buildspecs/\(name) differs from the template; rerun with SITEBUILD_WRITE_BUILDSPECS=1")
            }
        }
        let expected = Set(Framework.allCases.flatMap { ["\($0.rawValue).yml", "\($0.rawValue).sitebuild.yml"] } + ["README.md"])
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        #expect(present == expected)
    }
}
