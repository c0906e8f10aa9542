import SiteContent

/// Renders a `SiteRecipe` as the two files `sitebuild init` writes: a CodeBuild buildspec
/// (runs unchanged on AWS CodeBuild and under `sitebuild build`) and a sitebuild.yml with
/// the routing mode and header rules. Pure: recipe in, text out.
enum SiteTemplate {
    static let immutableCacheControl = HeaderPolicy.immutableCache

    // MARK: - buildspec.yml

    static func buildspec(for recipe: SiteRecipe) -> String {
        var lines = header(recipe)
        lines += ["version: 0.2", ""]

        let variables = recipe.framework.environment + (recipe.node?.packageManager.environment ?? [])
        if !variables.isEmpty {
            lines += ["env:", "  variables:"]
            lines += variables.map { "    \($0.0): \"\($0.1)\"" }
            lines.append("")
        }

        var shell = ShellDirectory()
        var install: [String] = []
        if let node = recipe.node {
            shell.cd(node.directory, into: &install)
            if let setup = node.packageManager.setupCommand { install.append(setup) }
            install.append(node.packageManager.installCommand(hasLockfile: node.lockfile != nil))
        }
        if recipe.updatesSubmodules {
            shell.cd("", into: &install)
            install.append("if [ -d .git ]; then git submodule update --init --recursive; fi")
        }
        switch recipe.framework {
        case .hugo:
            install.append(contentsOf: [
                """
                set -e
                if ! command -v hugo >/dev/null; then
                  case "$(uname -m)" in aarch64|arm64) arch=arm64 ;; *) arch=amd64 ;; esac
                  mkdir -p "$HOME/.local/bin"
                  curl -fsSL "https://github.com/gohugoio/hugo/releases/download/v${HUGO_VERSION}/hugo_extended_${HUGO_VERSION}_linux-${arch}.tar.gz" | tar -xz -C "$HOME/.local/bin" hugo
                fi
                """,
                "export PATH=\"$PATH:$HOME/.local/bin\"",
                "hugo version",
            ])
        case .jekyll:
            shell.cd(recipe.appDirectory, into: &install)
            if let ruby = recipe.ruby, ruby.bundler {
                install.append("export BUNDLE_PATH=\"$PWD/\(ruby.installPath)\"")
                install.append("bundle install")
            } else {
                let path = recipe.ruby?.installPath ?? SiteRecipe.RubyInstall(bundler: false).installPath
                install.append("export GEM_HOME=\"$PWD/\(path)\" PATH=\"$PWD/\(path)/bin:$PATH\"")
                install.append("gem install --no-document jekyll")
            }
        case .mkdocs:
            shell.cd(recipe.appDirectory, into: &install)
            install.append("python3 -m venv .venv")
            install.append(". .venv/bin/activate")
            if let requirements = recipe.python?.requirements {
                let local = relative(requirements, to: recipe.appDirectory)
                install.append("pip install --cache-dir .pip-cache -r \(shellWord(local))")
            } else {
                install.append("pip install --cache-dir .pip-cache mkdocs\(recipe.python?.material == true ? " mkdocs-material" : "")")
            }
        default:
            break
        }

        var build: [String] = []
        if !recipe.appDirectory.isEmpty { shell.cd(recipe.appDirectory, into: &build, always: true) }
        if recipe.framework == .eleventy, recipe.artifactDirectory != ".", recipe.artifactDirectory != recipe.appDirectory {
            // Eleventy writes over its output folder and never removes a page whose source
            // is gone, so a local rebuild would deploy deleted pages (Hugo gets --cleanDestinationDir).
            let folder = recipe.outputDirectory
            build.append("rm -rf " + shellWord(folder))
        }
        if let command = recipe.buildCommand { build.append(command) }
        switch recipe.framework {
        case .plain:
            let index = ProjectPath.join(recipe.outputDirectory, "index.html")
            build.append("test -f \(shellWord(index)) || { echo \"no \(inDoubleQuotes(index)) in $PWD, so nothing to deploy\" >&2; exit 1; }")
        case .angular:
            build.append(angularCopy)
        case .nextjs:
            build.append("""
                if [ ! -d \(shellWord(recipe.outputDirectory)) ]; then
                  echo "next build wrote no \(inDoubleQuotes(recipe.outputDirectory))/ folder: set output: 'export' in next.config (https://nextjs.org/docs/app/guides/static-exports)" >&2
                  exit 1
                fi
                """)
        case .sveltekit:
            // adapter-node writes its server (which may inline $env/static/private values) into
            // build/ too (handler.js beside server/ and client/): that stops the build as a
            // missing folder does. (A page at /server/ is a folder of adapter-static's output.)
            let handler = ProjectPath.join(recipe.outputDirectory, "handler.js")
            build.append("""
                if [ ! -d \(shellWord(recipe.outputDirectory)) ] || [ -f \(shellWord(handler)) ]; then
                  echo "the build wrote no static site in \(inDoubleQuotes(recipe.outputDirectory))/: SvelteKit writes one only with @sveltejs/adapter-static in svelte.config.js (https://svelte.dev/docs/kit/adapter-static); a server adapter's bundle is never deployed" >&2
                  exit 1
                fi
                """)
            if let assets = recipe.separateAssetsDirectory {
                // `folder/.` copies the folder's contents, dotfiles too, into the pages folder.
                let source = (assets.hasSuffix("/") ? assets : assets + "/") + "."
                build.append("cp -R \(shellWord(source)) \(shellWord(recipe.outputDirectory))")
            }
        case .astro:
            // A server or hybrid build (or on-demand pages with an adapter) writes the server
            // bundle beside the pages; it may inline secrets and must never be published.
            // (@astrojs/cloudflare writes it to _worker.js/ among the pages.)
            let server = ProjectPath.join(recipe.outputDirectory, "server")
            let worker = ProjectPath.join(recipe.outputDirectory, "_worker.js")
            build.append("""
                if [ -d \(shellWord(server)) ] || [ -e \(shellWord(worker)) ]; then
                  echo "astro build wrote a server bundle (\(inDoubleQuotes(server))/ or \(inDoubleQuotes(worker))): sitebuild deploys static sites only; set output: 'static' in astro.config and remove the server adapter" >&2
                  exit 1
                fi
                """)
        default:
            break
        }

        lines.append("phases:")
        if !install.isEmpty {
            lines += ["  install:", "    commands:"]
            lines += install.map(commandItem)
        }
        lines += ["  build:", "    commands:"]
        lines += build.map(commandItem)
        lines.append("")

        // The build expands variables in base-directory (`$CODEBUILD_SRC_DIR`): a `$` in the
        // folder's own name is escaped.
        lines += ["artifacts:", "  base-directory: \(yamlScalar(recipe.artifactDirectory.replacingOccurrences(of: "$", with: "\\$")))",
                  "  files:", "    - '**/*'"]
        // A plain site, or any site whose output folder is the project itself (Eleventy with
        // output: "."), takes the project's files: the project's own are left out.
        let base = recipe.artifactDirectory
        if recipe.framework == .plain || base == "." || base == recipe.appDirectory {
            // The project's own files, not the site's: credential files (.env, .npmrc tokens,
            // .netrc, .htpasswd, ~/.ssh-style folders…) hold secrets; editors' folders, the
            // README and the repository's dotfiles are not pages. (.well-known/ stays.)
            let excluded = [".git/**/*", ".github/**/*", ".sitebuild/**/*", "node_modules/**/*", ".gitignore", ".gitattributes"]
                + Self.credentialPaths
                + [".vscode/**/*", ".idea/**/*", "**/.DS_Store", ".editorconfig", "README.md", "buildspec.yml", "sitebuild.yml"]
            // The project's buildspec and settings are above a site folder of its own (public/):
            // left out only where they can be (the credential globs stay everywhere).
            let relevant = excluded.filter { base == "." || base == recipe.appDirectory || ($0 != "buildspec.yml" && $0 != "sitebuild.yml") }
            lines.append("  exclude-paths:")
            for path in relevant {
                // The brackets are for the reader as much as for the glob: these match in any case.
                if path == Self.credentialPaths.first { lines.append("    # credential files and folders in any case (.env, .ENV, *.pem, .ssh/…)") }
                lines.append("    - " + singleQuoted(path))
            }
        }

        if let cache = cache(for: recipe) {
            lines += ["", "cache:", "  key: \(yamlScalar(cache.key))", "  fallback-keys:", "    - \(cache.fallback)", "  paths:"]
            lines += cache.paths.map { "    - " + singleQuoted($0) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Files and folders that hold credentials wherever they are in a plain site's folder: the
    /// globs of the list deploy leaves out too (``CredentialFiles``).
    static let credentialPaths = CredentialFiles.buildspecGlobs

    private static func header(_ recipe: SiteRecipe) -> [String] {
        var tools: [String] = []
        if let pm = recipe.node?.packageManager { tools.append(pm.rawValue) }
        if recipe.ruby?.bundler == true { tools.append("Bundler") }
        if recipe.python != nil { tools.append("pip") }
        let name = recipe.displayName.prefix(1).uppercased() + recipe.displayName.dropFirst()
        var lines = ["# \(name) site\(tools.isEmpty ? "" : ", installed with \(tools.joined(separator: " and "))"). Written by `sitebuild init`; edit freely.",
                     "# Runs unchanged on AWS CodeBuild and under `sitebuild build` / `sitebuild run`."]
        if !recipe.appDirectory.isEmpty {
            lines.append("# The app is in \(recipe.appDirectory); paths below are relative to the repository root.")
        }
        if recipe.framework == .angular {
            lines.append("# The build reads the output folder from angular.json and copies it to \(Framework.angularOutputDirectory)/.")
        }
        if recipe.framework == .hugo {
            lines.append("# Uses the hugo on PATH; without one it downloads Hugo extended $HUGO_VERSION.")
        }
        if let ruby = recipe.ruby {
            lines.append("# Gems go to \(ruby.installPath)/: Jekyll never reads a dot folder, whatever _config.yml's exclude: says.")
        }
        if let assets = recipe.separateAssetsDirectory {
            lines.append("# adapter-static writes the assets (_app/) into \(assets)/ apart from the pages: the build copies them into \(recipe.outputDirectory)/.")
        }
        lines.append("")
        return lines
    }

    /// Angular writes to `outputPath` from angular.json, plus `browser/` with the
    /// application builder (Angular 17+); the folder is found at build time.
    static let angularCopy = """
        set -e
        out=$(node -e '
          const a = require("./angular.json"), projects = a.projects || {}, names = Object.keys(projects);
          const name = projects[a.defaultProject] ? a.defaultProject
            : names.find((n) => (projects[n].projectType || "application") === "application") || names[0];
          const build = (projects[name].architect || projects[name].targets || {}).build || {};
          const path = (build.options || {}).outputPath;
          const base = typeof path === "string" ? path : (path && path.base) || "dist/" + name;
          const browser = path && typeof path === "object" ? (path.browser === undefined ? "browser" : path.browser)
            : /:application$/.test(build.builder || "") ? "browser" : "";
          console.log(browser ? base + "/" + browser : base);
        ')
        echo "angular.json: the site is in $out"
        rm -rf \(Framework.angularOutputDirectory) && cp -R "$out" \(Framework.angularOutputDirectory)
        """

    struct CacheSection: Equatable {
        var key: String
        var fallback: String
        var paths: [String]
    }

    /// The cache of the package managers' downloads, keyed by the lockfiles' hash.
    static func cache(for recipe: SiteRecipe) -> CacheSection? {
        var prefixes: [String] = []
        var keyFiles: [String] = []
        var paths: [String] = []
        if let node = recipe.node {
            prefixes.append(node.packageManager.rawValue)
            keyFiles.append(node.lockfile ?? ProjectPath.join(node.directory, "package.json"))
            paths.append(ProjectPath.join(node.directory, node.packageManager.cacheDirectory, "**/*"))
        }
        if let ruby = recipe.ruby {
            prefixes.append(ruby.bundler ? "bundler" : "gems")
            if let file = ruby.keyFile { keyFiles.append(file) }
            paths.append(ProjectPath.join(recipe.appDirectory, ruby.installPath, "**/*"))
        }
        if let python = recipe.python {
            prefixes.append("pip")
            if let requirements = python.requirements { keyFiles.append(requirements) }
            paths.append(ProjectPath.join(recipe.appDirectory, ".pip-cache/**/*"))
        }
        paths += recipe.framework.buildCachePaths.map { ProjectPath.join(recipe.appDirectory, $0) }
        guard !paths.isEmpty else { return nil }
        let prefix = prefixes.joined(separator: "-") + "-"
        let key = keyFiles.isEmpty ? prefix + recipe.framework.rawValue : prefix + "$(codebuild-hash-files \(keyFiles.map(shellWord).joined(separator: " ")))"
        return CacheSection(key: key, fallback: prefix, paths: paths)
    }

    // MARK: - sitebuild.yml

    static func siteConfig(for recipe: SiteRecipe) -> String {
        let framework = recipe.framework
        var lines = [
            "# sitebuild.yml for this \(recipe.displayName) site: routing and headers. Written by `sitebuild init`.",
            "# Without target/pointer, `sitebuild run` deploys to the local target .sitebuild/. For AWS:",
            "# target: s3://my-site-bucket/site",
            "# pointer: cloudfront-kvs://arn:aws:cloudfront::123456789012:key-value-store/<id>#path",
            "# distribution: E2QWRUHAPOMQZL",
            "",
        ]
        switch recipe.routingMode {
        case .spa:
            lines.append("# A single-page app: paths without a file extension serve index.html.")
        case .static:
            lines.append("# One HTML file per page: /a/ serves a/index.html, /a serves a.html.")
        }
        lines += ["mode: \(recipe.routingMode.rawValue)"]
        let globs = recipe.immutableAssetGlobs
        if !globs.isEmpty {
            lines += ["", "# \(framework.displayName) puts only fingerprinted files here: browsers may keep them for a year.", "headers:"]
            for glob in globs {
                lines += ["  - match: '\(glob)'", "    cache-control: \(immutableCacheControl)"]
            }
            for glob in recipe.revalidatedInAssetGlobs {
                lines += ["  # Same name in every build: browsers check it each time (a later rule wins).",
                          "  - match: '\(glob)'", "    cache-control: \(HeaderPolicy.entryPointCache)"]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - YAML

    /// One `- command` list item: a plain scalar when YAML reads it back unchanged, else a
    /// literal block.
    static func commandItem(_ command: String) -> String {
        if isPlainScalar(command) { return "      - \(command)" }
        let body = command.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "          \($0)" }
        return (["      - |"] + body).joined(separator: "\n")
    }

    static func isPlainScalar(_ text: String) -> Bool {
        guard let first = text.first, !text.contains("\n"), !text.contains(": "), !text.contains(" #"),
              !text.hasSuffix(":"), !text.hasSuffix(" ") else { return false }
        return !"-?:,[]{}#&*!|>'\"%@`".contains(first)
    }

    /// `text` as a YAML scalar: plain when YAML reads it back as that same string (not a
    /// comment, a mapping, a number or a boolean), else single-quoted. Folder names such as
    /// `web #2` or `a: b` need the quotes.
    static func yamlScalar(_ text: String) -> String {
        let typed = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"].contains(text.lowercased())
            || Double(text) != nil || text.lowercased().hasPrefix("0x") || text.lowercased().hasPrefix("0o")
        return isPlainScalar(text) && !typed ? text : singleQuoted(text)
    }

    /// `text` single-quoted for YAML (a quote inside is doubled).
    static func singleQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    // MARK: - Shell

    /// `text` for use inside a double-quoted shell string: `\`, `"`, `$` and backquotes escaped.
    static func inDoubleQuotes(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\\"$`".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    private static func relative(_ path: String, to directory: String) -> String {
        directory.isEmpty ? path : String(path.dropFirst(directory.count + 1))
    }
}

/// Tracks the shell's working directory across buildspec commands (`cd` carries over
/// between commands and phases) and writes a `cd` only when it changes.
struct ShellDirectory {
    private(set) var current = ""

    mutating func cd(_ directory: String, into commands: inout [String], always: Bool = false) {
        guard directory != current || always else { return }
        commands.append(directory.isEmpty ? "cd \"$CODEBUILD_SRC_DIR\"" : "cd \"$CODEBUILD_SRC_DIR/\(SiteTemplate.inDoubleQuotes(directory))\"")
        current = directory
    }
}
