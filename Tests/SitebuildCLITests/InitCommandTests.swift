import Foundation
import SiteContent
import Testing

/// `sitebuild init` through the built binary: what it writes and says, that it never
/// overwrites without --force, its exit codes, and init followed by run end to end.
@Suite struct InitCommandTests {
    static func onPath(_ program: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }

    func live(_ h: CLIHarness) -> String? {
        h.read(".sitebuild/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func initThenRunDeploysAPlainHTMLSite() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>home</h1>\n")
        try h.write("site/docs/index.html", "<p>docs</p>\n")
        try h.write("site/css/site.css", "body{}\n")
        // The project's files that are not pages: never published.
        try h.write("site/.env", "SECRET=1\n")
        try h.write("site/.env.production", "SECRET=2\n")
        try h.write("site/sub/.env", "SECRET=3\n")
        try h.write("site/.vscode/settings.json", "{}\n")
        try h.write("site/README.md", "# notes\n")
        try h.write("site/.well-known/security.txt", "Contact: mailto:a@b.c\n")
        let initRun = try h.run(["init", "site"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stdout.contains("Detected plain HTML:\n  - index.html and no site generator: the files are the site\n"))
        #expect(initRun.stdout.contains("Build: nothing to build → . (routing static)"))
        #expect(initRun.stdout.contains("sitebuild run"))
        #expect(initRun.stdout.contains("  cd \(h.root)/site\n"), "\(initRun.stdout)")
        #expect(h.read("site/sitebuild.yml")?.contains("mode: static") == true)
        // The `cd` it suggests is quoted for a shell when the folder's name needs it.
        try h.write("my site/index.html", "<h1>home</h1>\n")
        let spaced = try h.run(["init", "my site"])
        #expect(spaced.status == 0 && spaced.stdout.contains("  cd '\(h.root)/my site'\n"), "\(spaced.stdout)")

        let validate = try h.run(["validate", "--source", "site"])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stderr.isEmpty)

        let run = try h.run(["run", "--source", "site"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let version = try #require(live(h))
        #expect(h.read(".sitebuild/\(version)/index.html") == "<h1>home</h1>\n")
        #expect(h.read(".sitebuild/\(version)/css/site.css") == "body{}\n")
        // sitebuild's own files are not part of the site.
        #expect(!h.exists(".sitebuild/\(version)/buildspec.yml"))
        #expect(!h.exists(".sitebuild/\(version)/sitebuild.yml"))
        for secretOrProjectFile in [".env", ".env.production", "sub/.env", ".vscode/settings.json", "README.md"] {
            #expect(!h.exists(".sitebuild/\(version)/\(secretOrProjectFile)"), "\(secretOrProjectFile) was published")
        }
        #expect(h.exists(".sitebuild/\(version)/.well-known/security.txt"))
    }

    /// Credential dotfiles (registry tokens, HTTP and database passwords, SSH/AWS/Docker
    /// folders) anywhere in a plain site are never published; .well-known/ still is.
    @Test func aPlainSiteNeverPublishesCredentialFiles() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>home</h1>\n")
        try h.write("site/.well-known/security.txt", "Contact: mailto:a@b.c\n")
        let secrets = [".npmrc", ".envrc", ".htpasswd", ".netrc", ".git-credentials", ".pgpass", ".yarnrc.yml", ".yarnrc", ".pypirc",
                       ".ssh/id_ed25519", ".aws/credentials", ".docker/config.json", "admin/.htpasswd", "admin/.npmrc",
                       "id_rsa", "deploy/server.key", "certs/site.pem", "terraform.tfstate", ".dev.vars", "deploy/credentials.json"]
        for secret in secrets { try h.write("site/\(secret)", "token=secret\n") }
        let initRun = try h.run(["init", "site"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let run = try h.run(["run", "--source", "site"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let version = try #require(live(h))
        for secret in secrets {
            #expect(!h.exists(".sitebuild/\(version)/\(secret)"), "\(secret) was published")
        }
        #expect(h.exists(".sitebuild/\(version)/index.html"))
        #expect(h.exists(".sitebuild/\(version)/.well-known/security.txt"))
        // In a site folder of its own (public/), the credential globs apply as well (only the
        // project's buildspec.yml and sitebuild.yml cannot be there).
        try h.write("p/public/index.html", "<h1>p</h1>\n")
        try h.write("p/public/.yarnrc.yml", "npmAuthToken: secret\n")
        #expect(try h.run(["init", "p"]).status == 0)
        let buildspec = try #require(h.read("p/buildspec.yml"))
        #expect(buildspec.contains("'**/.[yY][aA][rR][nN][rR][cC].[yY][mM][lL]'") && !buildspec.contains("- 'buildspec.yml'"), "\(buildspec)")
    }

    /// The exclude-paths init writes leave credential files out of the build's artifact in any
    /// case (`.ENV`, `Server.PEM`, `.SSH/`), as deploy leaves them out: the artifact is what
    /// CodeBuild uploads, whoever deploys it. Templates (`.env.example`) stay out as before.
    @Test func initsExcludePathsLeaveCredentialFilesOutInAnyCase() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>home</h1>\n")
        try h.write("site/.well-known/security.txt", "Contact: mailto:a@b.c\n")
        let secrets = [".ENV", ".Env.Local", "sub/.env.PRODUCTION", ".NPMRC", ".Yarnrc.yml", ".NETRC", ".HTPASSWD", "Server.PEM", "deploy/site.Key",
                       "ID_RSA", "Id_Ed25519.pub", "Terraform.TFSTATE", "state.tfstate.BACKUP", ".DEV.VARS", "Credentials.json",
                       ".SSH/config", ".Aws/credentials", "app/.DOCKER/config.json", ".env"]
        for secret in secrets { try h.write("site/\(secret)", "token=secret\n") }
        try h.write("site/Readme.txt", "kept\n")
        #expect(try h.run(["init", "site"]).status == 0)
        let buildspec = try #require(h.read("site/buildspec.yml"))
        #expect(buildspec.contains("    # credential files and folders in any case") && buildspec.contains("    - '**/.[eE][nN][vV]'\n"), "\(buildspec)")
        let build = try h.run(["build", "--source", "site", "--out", "out"])
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        for secret in secrets {
            #expect(!h.exists("out/\(secret)"), "\(secret) is in the artifact")
        }
        for kept in ["index.html", ".well-known/security.txt", "Readme.txt"] {
            #expect(h.exists("out/\(kept)"), "\(kept) is missing from the artifact")
        }
        // The globs, as a build matches them, take each credential name deploy leaves out,
        // whatever its case (but backup copies, which deploy also leaves out).
        let globs = CredentialFiles.buildspecGlobs.map(GlobPattern.init)
        for name in secrets {
            #expect(globs.contains { $0.matches("x/" + name) }, "\(name)")
        }
        for name in ["index.html", "Readme.txt", "env", "pem.html", "keys.json", "ssh/config"] {
            #expect(!globs.contains { $0.matches("x/" + name) }, "\(name)")
        }
    }


    @Test func initNeverOverwritesWithoutForce() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>home</h1>\n")
        try h.write("site/buildspec.yml", "# mine\n")
        let refused = try h.run(["init", "site"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("buildspec.yml already exists in \(h.root)/site; pass --force to replace it"))
        #expect(h.read("site/buildspec.yml") == "# mine\n")
        // Nothing is written when either file is in the way.
        #expect(!h.exists("site/sitebuild.yml"))

        try h.write("site/sitebuild.yml", "mode: spa\n")
        let both = try h.run(["init", "site"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("buildspec.yml and sitebuild.yml already exist"))
        #expect(h.read("site/sitebuild.yml") == "mode: spa\n")

        // --print shows the files and writes nothing.
        let printed = try h.run(["init", "site", "--print"])
        #expect(printed.status == 0)
        #expect(printed.stdout.hasPrefix("# ==> buildspec.yml <==\n# Plain HTML site."))
        #expect(h.read("site/buildspec.yml") == "# mine\n")

        let forced = try h.run(["init", "site", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("(replaced buildspec.yml and sitebuild.yml)"))
        #expect(h.read("site/buildspec.yml")?.hasPrefix("# Plain HTML site.") == true)
        #expect(h.read("site/sitebuild.yml")?.contains("mode: static") == true)
    }

    @Test func anUnknownProjectExitsTwoWithTheSupportedFrameworks() throws {
        let h = try CLIHarness()
        try h.write("app/package.json", #"{"dependencies": {"react": "^18.2.0"}, "scripts": {"linting": "eslint .", "build": "webpack"}}"#)
        let run = try h.run(["init", "app"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("no framework found in \(h.root)/app\n"))
        #expect(run.stderr.contains("package.json has dependency react ^18.2.0, but no build tool sitebuild knows"))
        #expect(run.stderr.contains("Supported (pass one with --framework NAME):"))
        #expect(run.stderr.contains("  hugo        Hugo"))
        #expect(!h.exists("app/buildspec.yml"))

        let json = try h.run(["init", "app", "--json"])
        #expect(json.status == 2)
        let value = try JSONValue.parse(Data(json.stdout.utf8))
        #expect(value["supported"]?.arrayValue?.contains(.string("angular")) == true)

        let forced = try h.run(["init", "app", "--framework", "vite"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("Using Vite:\n  - --framework vite (detection skipped)"))
        #expect(h.read("app/buildspec.yml")?.contains("npm run build") == true)
    }

    @Test func aWorkspaceRootAsksForAppThenInitWritesTheAppsBuildspec() throws {
        let h = try CLIHarness()
        try h.write("repo/package.json", #"{"private": true, "workspaces": ["apps/*", "packages/*"]}"#)
        try h.write("repo/pnpm-lock.yaml", "lockfileVersion: '9.0'\n")
        try h.write("repo/apps/web/package.json", #"{"dependencies": {"react": "^18.3.1"}, "devDependencies": {"vite": "^5.2.0"}, "scripts": {"build": "vite build"}}"#)
        try h.write("repo/apps/blog/package.json", #"{"dependencies": {"astro": "^4.8.0"}, "scripts": {"build": "astro build"}}"#)
        try h.write("repo/packages/ui/package.json", #"{"name": "ui"}"#)
        try h.write("repo/.gitignore", "node_modules/\n")

        let ask = try h.run(["init", "repo"])
        #expect(ask.status == 2)
        #expect(ask.stderr.contains("choose the app with --app:\n  --app apps/blog    Astro\n  --app apps/web     Vite (React)\n  --app packages/ui  (no site framework found)"))

        let json = try h.run(["init", "repo", "--json"])
        let candidates = try JSONValue.parse(Data(json.stdout.utf8))["candidates"]?.arrayValue
        #expect(candidates?.first?["app"] == .string("apps/blog"))
        #expect(candidates?.first?["framework"] == .string("astro"))

        let written = try h.run(["init", "repo", "--app", "apps/web", "--json"])
        #expect(written.status == 0, "\(written.stderr)")
        let value = try JSONValue.parse(Data(written.stdout.utf8))
        #expect(value["framework"] == .string("vite"))
        #expect(value["app"] == .string("apps/web"))
        #expect(value["packageManager"] == .string("pnpm"))
        #expect(value["output"] == .string("apps/web/dist"))
        #expect(value["mode"] == .string("spa"))
        #expect(value["gitignore"] == .array([.string(".sitebuild/"), .string(".pnpm-store/")]))
        #expect(value["evidence"]?.arrayValue?.contains(.string("pnpm-lock.yaml → pnpm, installed at the repository root")) == true)
        let buildspec = try #require(h.read("repo/buildspec.yml"))
        #expect(buildspec.contains("      - cd \"$CODEBUILD_SRC_DIR/apps/web\"\n      - pnpm run build\n"))
        #expect(buildspec.contains("  base-directory: apps/web/dist\n"))
        #expect(try h.run(["validate", "--source", "repo"]).status == 0)

        let missing = try h.run(["init", "repo", "--app", "apps/nothere"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--app apps/nothere: there is no folder apps/nothere"))
        #expect(try h.run(["init", "repo", "--app", "../elsewhere"]).status == 2)
    }

    /// A lockfile larger than any config file still chooses the package manager, and a
    /// package.json linked from inside the project is read; a link out of it is not followed.
    @Test func aLargeLockfileAndALinkedPackageJsonAreFound() throws {
        let h = try CLIHarness()
        try h.write("repo/shared/web-package.json", #"{"dependencies": {"react": "^18.3.1"}, "devDependencies": {"vite": "^5.2.0"}, "scripts": {"build": "vite build"}}"#)
        try FileManager.default.createDirectory(atPath: h.root + "/repo/web", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: h.root + "/repo/web/package.json", withDestinationPath: "../shared/web-package.json")
        // 4 MiB and more: a real monorepo's pnpm-lock.yaml.
        let padding = String(repeating: "# padding line of a large lockfile\n", count: (4 << 20) / 35 + 10)
        try h.write("repo/web/pnpm-lock.yaml", "lockfileVersion: '9.0'\n" + padding)
        let found = try h.run(["init", "repo", "--app", "web", "--json", "--print"])
        #expect(found.status == 0, "\(found.stderr)")
        let value = try JSONValue.parse(Data(found.stdout.utf8))
        #expect(value["framework"] == .string("vite"))
        #expect(value["packageManager"] == .string("pnpm"))
        #expect(value["buildspec"]?.stringValue?.contains("pnpm install --frozen-lockfile") == true)

        // A Yarn 2+ lockfile that large is still told from Yarn 1 by its __metadata.
        try FileManager.default.removeItem(atPath: h.root + "/repo/web/pnpm-lock.yaml")
        try h.write("repo/web/yarn.lock", "# This file is generated by running \"yarn install\"\n\n__metadata:\n  version: 8\n" + padding)
        let berry = try JSONValue.parse(Data(try h.run(["init", "repo", "--app", "web", "--json", "--print"]).stdout.utf8))
        #expect(berry["packageManager"] == .string("yarn-berry"))

        // A link that leaves the project is not followed.
        try h.write("outside/package.json", #"{"devDependencies": {"vite": "^5.2.0"}}"#)
        try FileManager.default.createDirectory(atPath: h.root + "/site", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: h.root + "/site/package.json", withDestinationPath: h.root + "/outside/package.json")
        let outside = try h.run(["init", "site", "--print"])
        #expect(outside.status == 2)
        #expect(outside.stderr.contains("no framework found in \(h.root)/site"), "\(outside.stderr)")
    }

    /// Vite copies public/assets/ into dist/assets/ unhashed: no immutable rule for assets/**.
    @Test func aViteAppWithPublicAssetsGetsNoImmutableRuleForThem() throws {
        let h = try CLIHarness()
        try h.write("app/package.json", #"{"devDependencies": {"vite": "^5.2.0"}, "scripts": {"build": "vite build"}}"#)
        try h.write("app/package-lock.json", "{}")
        try h.write("app/public/assets/logo.svg", "<svg/>\n")
        let run = try h.run(["init", "app"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("  - public/assets/ is copied unhashed into dist/assets/, so assets/** is not marked immutable"), "\(run.stdout)")
        #expect(run.stdout.contains("Build: npm run build → dist (routing spa)\n"))
        let config = try #require(h.read("app/sitebuild.yml"))
        #expect(!config.contains("assets/**"))
        #expect(!config.contains("headers:"))
    }

    /// SvelteKit's default adapter-auto builds no static site: init names it and says what
    /// to install, and the buildspec stops with that advice rather than "no matching artifact paths".
    @Test func svelteKitWithAdapterAutoIsLabelledAndWarned() throws {
        let h = try CLIHarness()
        try h.write("app/package.json", #"{"devDependencies": {"@sveltejs/kit": "^2.5.0", "@sveltejs/adapter-auto": "^3.2.0", "vite": "^5.2.0"}, "scripts": {"build": "vite build"}}"#)
        try h.write("app/package-lock.json", "{}")
        try h.write("app/svelte.config.js", "import adapter from '@sveltejs/adapter-auto';\nexport default { kit: { adapter: adapter() } };\n")
        let run = try h.run(["init", "app"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Detected SvelteKit (adapter-auto):\n"), "\(run.stdout)")
        #expect(run.stderr.contains("warning: SvelteKit builds a static site only with @sveltejs/adapter-static, and package.json has @sveltejs/adapter-auto"))
        #expect(run.stderr.contains("`npm install -D @sveltejs/adapter-static`"))
        #expect(h.read("app/buildspec.yml")?.contains("SvelteKit writes one only with @sveltejs/adapter-static") == true)
    }

    /// adapter-node writes its server bundle into build/ (handler.js, server/ with
    /// $env/static/private values inlined): the build stops, nothing is published.
    @Test(.enabled(if: InitCommandTests.onPath("npm"), "npm is not on PATH; the SvelteKit adapter-node build is skipped"))
    func svelteKitWithAdapterNodeNeverPublishesTheServer() throws {
        let h = try CLIHarness()
        try h.write("app/package.json", #"{"name":"app","version":"1.0.0","private":true,"scripts":{"build":"sh build.sh"}}"# + "\n")
        try h.write("app/package-lock.json", #"{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"app","version":"1.0.0"}}}"# + "\n")
        try h.write("app/svelte.config.js", "import adapter from '@sveltejs/adapter-node';\nexport default { kit: { adapter: adapter() } };\n")
        try h.write("app/build.sh", """
            mkdir -p build/client build/server/chunks
            echo '<h1>home</h1>' > build/client/index.html
            echo 'export const handler = 1;' > build/handler.js
            echo 'const key = "s3cr3t";' > build/server/chunks/private.js
            """)
        let initRun = try h.run(["init", "app", "--framework", "sveltekit"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let run = try h.run(["run", "--source", "app"])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect((run.stdout + run.stderr).contains("a server adapter's bundle is never deployed"), "\(run.stdout)")
        #expect(live(h) == nil)
    }

    /// adapter-static with `assets` apart from `pages`: the deployed site has the pages and
    /// `_app/` both. (Local file: packages stand in for SvelteKit; the build script for vite build.)
    @Test(.enabled(if: InitCommandTests.onPath("npm"), "npm is not on PATH; the SvelteKit assets build is skipped"))
    func svelteKitAssetsApartFromThePagesAreDeployed() throws {
        let h = try CLIHarness()
        try h.write("app/stubs/kit/package.json", #"{"name":"@sveltejs/kit","version":"2.0.0"}"# + "\n")
        try h.write("app/stubs/adapter/package.json", #"{"name":"@sveltejs/adapter-static","version":"3.0.0"}"# + "\n")
        try h.write("app/package.json", #"{"name":"app","version":"1.0.0","private":true,"devDependencies":{"@sveltejs/kit":"file:stubs/kit","@sveltejs/adapter-static":"file:stubs/adapter"},"scripts":{"build":"sh build.sh"}}"# + "\n")
        try h.write("app/package-lock.json", """
            {"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
              "":{"name":"app","version":"1.0.0","devDependencies":{"@sveltejs/adapter-static":"file:stubs/adapter","@sveltejs/kit":"file:stubs/kit"}},
              "node_modules/@sveltejs/adapter-static":{"resolved":"stubs/adapter","link":true},
              "node_modules/@sveltejs/kit":{"resolved":"stubs/kit","link":true},
              "stubs/adapter":{"name":"@sveltejs/adapter-static","version":"3.0.0","dev":true},
              "stubs/kit":{"name":"@sveltejs/kit","version":"2.0.0","dev":true}}}

            """)
        try h.write("app/svelte.config.js", "import adapter from '@sveltejs/adapter-static';\nexport default { kit: { adapter: adapter({ pages: 'build', assets: 'build-assets' }) } };\n")
        try h.write("app/build.sh", """
            mkdir -p build build-assets/_app/immutable
            echo '<script src="/_app/immutable/start.js"></script>' > build/index.html
            echo 'start()' > build-assets/_app/immutable/start.js
            echo 'icon' > build-assets/favicon.png
            """)
        let initRun = try h.run(["init", "app"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stdout.contains("  - svelte.config.js sets assets 'build-assets' apart from the pages: the build copies it (with _app/) into build/, so both are deployed\n"), "\(initRun.stdout)")
        let run = try h.run(["run", "--source", "app"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let version = try #require(live(h))
        #expect(h.read(".sitebuild/\(version)/index.html")?.contains("/_app/immutable/start.js") == true)
        #expect(h.read(".sitebuild/\(version)/_app/immutable/start.js") == "start()\n")
        #expect(h.read(".sitebuild/\(version)/favicon.png") == "icon\n")
    }

    /// Vite at a workspace root (for vitest) does not make the root a Vite app.
    @Test func aWorkspaceRootWithViteAsADevToolListsItsApps() throws {
        let h = try CLIHarness()
        try h.write("repo/package.json", #"{"private": true, "workspaces": ["apps/*"], "devDependencies": {"vite": "^5.2.0", "vitest": "^1.6.0"}}"#)
        try h.write("repo/package-lock.json", "{}")
        try h.write("repo/apps/web/package.json", #"{"devDependencies": {"vite": "^5.2.0"}, "scripts": {"build": "vite build"}}"#)
        let run = try h.run(["init", "repo"])
        #expect(run.status == 2, "\(run.stdout)")
        #expect(run.stderr.contains("is a workspace root (package.json has workspaces) with no site of its own; choose the app with --app:\n  --app apps/web  Vite"), "\(run.stderr)")
        #expect(!h.exists("repo/buildspec.yml"))
    }

    /// Jekyll's `destination:` is where the site is, as Hugo's publishDir is.
    @Test func jekyllsDestinationBecomesTheArtifactFolder() throws {
        let h = try CLIHarness()
        try h.write("blog/_config.yml", "title: Notes\ndestination: docs\n")
        try h.write("blog/Gemfile", "source \"https://rubygems.org\"\ngem \"jekyll\", \"~> 4.3\"\n")
        let run = try h.run(["init", "blog"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("  - _config.yml sets destination docs\n"))
        #expect(run.stdout.contains("Build: bundle exec jekyll build → docs (routing static)"))
        #expect(h.read("blog/buildspec.yml")?.contains("  base-directory: docs\n") == true)
    }

    /// A broken package.json stops detection (fix it or pass --framework), but not a
    /// --framework that builds without Node; a Node framework needs it, and says so.
    @Test func aBrokenPackageJsonStopsOnlyWhatNeedsIt() throws {
        let h = try CLIHarness()
        try h.write("blog/package.json", "[1]\n")
        try h.write("blog/hugo.toml", "baseURL = \"https://example.org/\"\n")
        let detected = try h.run(["init", "blog", "--print"])
        #expect(detected.status == 2)
        #expect(detected.stderr.contains("package.json must hold a JSON object; fix it or pass --framework"), "\(detected.stderr)")

        let hugo = try h.run(["init", "blog", "--framework", "hugo"])
        #expect(hugo.status == 0, "\(hugo.stderr)")
        #expect(hugo.stderr.contains("warning: package.json must hold a JSON object, so its packages are not installed"), "\(hugo.stderr)")
        let buildspec = try #require(h.read("blog/buildspec.yml"))
        #expect(!buildspec.contains("npm"))

        let vite = try h.run(["init", "blog", "--framework", "vite", "--force"])
        #expect(vite.status == 2)
        #expect(vite.stderr.contains("package.json must hold a JSON object; fix it: the Vite template installs and builds from it"), "\(vite.stderr)")
        #expect(!vite.stderr.contains("pass --framework"))
    }

    /// App folders whose names YAML reads as a comment or a mapping, or the shell splits,
    /// are quoted: the buildspec validates and the site deploys from them.
    @Test(arguments: ["web #2", "a: b", "it's $HOME"])
    func anAppFolderWithAnOddNameIsQuoted(_ folder: String) throws {
        let h = try CLIHarness()
        try h.write("repo/\(folder)/index.html", "<h1>odd</h1>\n")
        let initRun = try h.run(["init", "repo", "--app", folder])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let buildspec = try #require(h.read("repo/buildspec.yml"))
        if folder.contains(" #") || folder.contains(": ") {
            #expect(buildspec.contains("  base-directory: '\(folder)'\n"), "\(buildspec)")
        }
        let validate = try h.run(["validate", "--source", "repo"])
        #expect(validate.status == 0, "\(validate.stderr)")
        let run = try h.run(["run", "--source", "repo"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let version = try #require(live(h))
        #expect(h.read(".sitebuild/\(version)/index.html") == "<h1>odd</h1>\n")
    }

    @Test func nextWithoutStaticExportIsWrittenWithAWarningAndAGuard() throws {
        let h = try CLIHarness()
        try h.write("web/package.json", #"{"dependencies": {"next": "14.2.3", "react": "18.3.1"}, "scripts": {"build": "next build"}}"#)
        try h.write("web/package-lock.json", "{}")
        try h.write("web/next.config.js", "module.exports = { reactStrictMode: true }\n")
        let run = try h.run(["init", "web"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("warning: Next.js builds a static site only with output: 'export', and next.config.js does not set it."))
        #expect(h.read("web/buildspec.yml")?.contains("next build wrote no out/ folder") == true)
    }

    /// Next.js's basePath moves every asset URL below it; the site is deployed at the root.
    @Test func aNextBasePathIsAWarning() throws {
        let h = try CLIHarness()
        try h.write("web/package.json", #"{"dependencies": {"next": "14.2.3"}, "scripts": {"build": "next build"}}"#)
        try h.write("web/package-lock.json", "{}")
        try h.write("web/next.config.js", "module.exports = { output: 'export', basePath: '/docs' }\n")
        let run = try h.run(["init", "web"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning: next.config.js sets basePath '/docs': the built pages load their scripts and styles and link to each other below /docs/, but sitebuild deploys out/ at the root of the domain, so those URLs miss (404). Remove basePath to serve the site at the root;"), "\(run.stderr)")
    }

    /// Astro with `output: 'server'` writes a server bundle (which may inline secrets) into
    /// dist/server: init warns, and the build stops before anything is published. (The
    /// project's build script stands in for astro build.)
    @Test(.enabled(if: InitCommandTests.onPath("npm"), "npm is not on PATH; the Astro server-output build is skipped"))
    func astroWithServerOutputWarnsAndTheBuildNeverPublishesTheServerBundle() throws {
        let h = try CLIHarness()
        try h.write("blog/package.json", #"{"name":"blog","version":"1.0.0","private":true,"scripts":{"build":"sh build.sh"}}"# + "\n")
        try h.write("blog/package-lock.json", #"{"name":"blog","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"blog","version":"1.0.0"}}}"# + "\n")
        try h.write("blog/astro.config.mjs", "import node from '@astrojs/node';\nexport default defineConfig({\n  output: 'server',\n  adapter: node({ mode: 'standalone' }),\n});\n")
        try h.write("blog/build.sh", """
            mkdir -p dist/client dist/server
            echo '<h1>home</h1>' > dist/client/index.html
            echo 'const secret = "s3cr3t";' > dist/server/entry.mjs
            """)
        let initRun = try h.run(["init", "blog", "--framework", "astro"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stderr.contains("warning: astro.config.mjs sets output: 'server': sitebuild deploys static sites only"), "\(initRun.stderr)")
        #expect(initRun.stderr.contains("Set output: 'static'"))

        let run = try h.run(["run", "--source", "blog"])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect((run.stdout + run.stderr).contains("astro build wrote a server bundle (dist/server/ or dist/_worker.js)"))
        #expect(live(h) == nil)
    }

    /// Hugo from Debian (`apt-get install hugo`) builds a site end to end: init detects it,
    /// the buildspec uses the hugo on PATH, run deploys the result.
    @Test(.enabled(if: InitCommandTests.onPath("hugo"), "hugo is not on PATH (Debian: apt-get install hugo); the Hugo end-to-end build is skipped"))
    func initThenRunBuildsAHugoSite() throws {
        let h = try CLIHarness()
        try h.write("blog/hugo.toml", """
            baseURL = "https://example.org/"
            title = "Field notes"
            disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
            """)
        try h.write("blog/content/about.md", "---\ntitle: About\n---\nWritten by a test.\n")
        try h.write("blog/layouts/index.html", "<!doctype html><title>{{ .Site.Title }}</title><h1>{{ .Site.Title }}</h1>\n")
        try h.write("blog/layouts/_default/single.html", "<!doctype html><title>{{ .Title }}</title><main>{{ .Content }}</main>\n")
        try h.write("blog/layouts/_default/list.html", "<!doctype html><title>{{ .Title }}</title>\n")
        let initRun = try h.run(["init", "blog"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stdout.contains("Detected Hugo:\n  - hugo.toml is Hugo's configuration file\n"))
        #expect(initRun.stdout.contains("Build: hugo --minify --cleanDestinationDir → public (routing static)"))

        let run = try h.run(["run", "--source", "blog"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("Running command hugo --minify --cleanDestinationDir"))
        let version = try #require(live(h))
        #expect(h.read(".sitebuild/\(version)/index.html")?.contains("<h1>Field notes</h1>") == true)
        #expect(h.read(".sitebuild/\(version)/about/index.html")?.contains("Written by a test.") == true)
    }

    /// A publishDir set for the production environment only (config/production/) is where
    /// `hugo` writes the site: the artifact is that folder.
    @Test(.enabled(if: InitCommandTests.onPath("hugo"), "hugo is not on PATH (Debian: apt-get install hugo); the Hugo environment build is skipped"))
    func hugosProductionPublishDirIsTheArtifact() throws {
        let h = try CLIHarness()
        try h.write("blog/config/_default/hugo.toml", "baseURL = \"https://example.org/\"\ntitle = \"Field notes\"\ndisableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\"]\npublishDir = \"everywhere\"\n")
        try h.write("blog/config/production/hugo.toml", "publishDir = \"dist\"\n")
        try h.write("blog/config/development/hugo.toml", "publishDir = \"dev\"\n")
        try h.write("blog/layouts/index.html", "<!doctype html><title>{{ .Site.Title }}</title><h1>{{ .Site.Title }}</h1>\n")
        let initRun = try h.run(["init", "blog"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stdout.contains("  - config/production/hugo.toml sets publishDir dist (the production environment's, which `hugo` builds with)\n"), "\(initRun.stdout)")
        #expect(initRun.stdout.contains("Build: hugo --minify --cleanDestinationDir → dist (routing static)"))
        let run = try h.run(["run", "--source", "blog"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let version = try #require(live(h))
        #expect(h.read(".sitebuild/\(version)/index.html")?.contains("<h1>Field notes</h1>") == true)
    }

    /// Eleventy never removes a page whose source is gone from its output folder: the
    /// template empties the folder first, so a local rebuild does not deploy deleted pages.
    /// (The project's build script stands in for eleventy; npm runs it as it would.)
    @Test(.enabled(if: InitCommandTests.onPath("npm"), "npm is not on PATH; the Eleventy rebuild is skipped"))
    func anEleventyRebuildDropsADeletedPage() throws {
        let h = try CLIHarness()
        try h.write("notes/package.json", #"{"name":"notes","version":"1.0.0","private":true,"scripts":{"build":"sh build.sh"}}"# + "\n")
        try h.write("notes/package-lock.json", #"{"name":"notes","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"notes","version":"1.0.0"}}}"# + "\n")
        try h.write("notes/eleventy.config.js", "module.exports = () => ({ dir: { input: \"src\", output: \"out/site\" } });\n")
        try h.write("notes/build.sh", """
            mkdir -p out/site
            for f in src/*.md; do n=$(basename "$f" .md); mkdir -p "out/site/$n"; cp "$f" "out/site/$n/index.html"; done
            echo '<h1>home</h1>' > out/site/index.html
            """)
        try h.write("notes/src/kept.md", "kept\n")
        try h.write("notes/src/gone.md", "gone\n")
        let initRun = try h.run(["init", "notes", "--framework", "11ty"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(h.read("notes/buildspec.yml")?.contains("      - rm -rf out/site\n      - npm run build\n") == true)

        let first = try h.run(["run", "--source", "notes"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let firstVersion = try #require(live(h))
        #expect(h.read(".sitebuild/\(firstVersion)/gone/index.html") == "gone\n")

        try FileManager.default.removeItem(atPath: h.root + "/notes/src/gone.md")
        let second = try h.run(["run", "--source", "notes"])
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let secondVersion = try #require(live(h))
        #expect(secondVersion != firstVersion)
        #expect(h.read(".sitebuild/\(secondVersion)/kept/index.html") == "kept\n")
        #expect(!FileManager.default.fileExists(atPath: h.root + "/.sitebuild/\(secondVersion)/gone/index.html"))
        #expect(!FileManager.default.fileExists(atPath: h.root + "/notes/out/site/gone/index.html"))
    }
}
