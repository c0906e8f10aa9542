import SiteContent

/// A site generator or bundler `sitebuild init` has a template for: how it builds, where
/// it writes the site, how the site routes and which of its folders hold fingerprinted
/// (immutable) files.
enum Framework: String, CaseIterable, Sendable {
    case plain
    case vite
    case createReactApp = "cra"
    case angular
    case nextjs
    case nuxt
    case astro
    case gatsby
    case docusaurus
    case sveltekit
    case eleventy
    case hugo
    case jekyll
    case mkdocs

    /// The name users see in messages and template headers.
    var displayName: String {
        switch self {
        case .plain: "plain HTML"
        case .vite: "Vite"
        case .createReactApp: "Create React App"
        case .angular: "Angular"
        case .nextjs: "Next.js (static export)"
        case .nuxt: "Nuxt (generate)"
        case .astro: "Astro"
        case .gatsby: "Gatsby"
        case .docusaurus: "Docusaurus"
        case .sveltekit: "SvelteKit"
        case .eleventy: "Eleventy"
        case .hugo: "Hugo"
        case .jekyll: "Jekyll"
        case .mkdocs: "MkDocs"
        }
    }

    /// Other spellings accepted by `--framework`.
    var aliases: [String] {
        switch self {
        case .plain: ["html"]
        case .createReactApp: ["create-react-app", "react-scripts"]
        case .nextjs: ["next"]
        case .eleventy: ["11ty"]
        default: []
        }
    }

    /// The framework `--framework NAME` names (case-insensitive, name or alias).
    init?(named name: String) {
        let wanted = name.lowercased()
        guard let match = Framework.allCases.first(where: { $0.rawValue == wanted || $0.aliases.contains(wanted) }) else { return nil }
        self = match
    }

    /// Whether the site is built from npm packages (installed with the lockfile's package manager).
    var usesNode: Bool {
        switch self {
        case .plain, .hugo, .jekyll, .mkdocs: false
        default: true
        }
    }

    /// Where the build writes the site, relative to the app directory. Angular's folder is
    /// read from angular.json at build time and copied here.
    var defaultOutputDirectory: String {
        switch self {
        case .plain: "."
        case .vite, .astro: "dist"
        case .createReactApp, .docusaurus, .sveltekit: "build"
        case .angular: Framework.angularOutputDirectory
        case .nextjs: "out"
        case .nuxt: ".output/public"
        case .gatsby, .hugo: "public"
        case .eleventy, .jekyll: "_site"
        case .mkdocs: "site"
        }
    }

    /// The fixed folder the Angular template copies the build output to.
    static let angularOutputDirectory = "sitebuild-output"

    /// `spa` for client-side routed apps (unknown paths serve index.html), `static` for
    /// generators that write one HTML file per page.
    var routingMode: RoutingMode {
        switch self {
        case .vite, .createReactApp, .angular: .spa
        default: .static
        }
    }

    /// Folders (globs relative to the site root) whose files all carry a content hash in
    /// their name, so browsers may keep them for a year.
    var immutableAssetGlobs: [String] {
        switch self {
        case .vite, .docusaurus: ["assets/**"]
        case .createReactApp, .gatsby: ["static/**"]
        case .angular: ["media/**"]
        case .nextjs: ["_next/static/**"]
        case .nuxt: ["_nuxt/**"]
        case .astro: ["_astro/**"]
        case .sveltekit: ["_app/immutable/**"]
        case .plain, .eleventy, .hugo, .jekyll, .mkdocs: []
        }
    }

    /// Files inside those folders that keep their name from build to build (globs relative to
    /// the site root): browsers must revalidate them. Nuxt fetches `builds/latest.json` every
    /// hour to tell an open page a new build is out; kept for a year, it would never tell.
    var revalidatedInAssetGlobs: [String] {
        switch self {
        case .nuxt: ["_nuxt/builds/latest.json"]
        default: []
        }
    }

    /// The folder (relative to the app) whose files the framework copies into the site as
    /// they are, unhashed: a folder there with the name of an immutable asset folder would
    /// put unhashed files under an immutable rule.
    var publicFolder: String? {
        switch self {
        case .vite, .createReactApp, .angular, .nextjs, .nuxt, .astro: "public"
        case .gatsby, .docusaurus, .sveltekit: "static"
        case .plain, .eleventy, .hugo, .jekyll, .mkdocs: nil
        }
    }

    /// The package.json script the template runs when the project has it.
    var buildScript: String? {
        switch self {
        case .nuxt: "generate"
        case .plain, .hugo, .jekyll, .mkdocs: nil
        default: "build"
        }
    }

    /// The framework's own command (run through the package manager's exec) when
    /// package.json has no such script.
    var cliBuildCommand: String? {
        switch self {
        case .vite, .sveltekit: "vite build"
        case .createReactApp: "react-scripts build"
        case .angular: "ng build"
        case .nextjs: "next build"
        case .nuxt: "nuxt generate"
        case .astro: "astro build"
        case .gatsby: "gatsby build"
        case .docusaurus: "docusaurus build"
        case .eleventy: "eleventy"
        case .plain, .hugo, .jekyll, .mkdocs: nil
        }
    }

    /// Environment variables every build of this framework gets (telemetry off in CI).
    var environment: [(String, String)] {
        switch self {
        case .nextjs: [("NEXT_TELEMETRY_DISABLED", "1")]
        case .nuxt: [("NUXT_TELEMETRY_DISABLED", "1")]
        case .astro: [("ASTRO_TELEMETRY_DISABLED", "1")]
        case .gatsby: [("GATSBY_TELEMETRY_DISABLED", "1")]
        case .jekyll: [("JEKYLL_ENV", "production")]
        case .hugo: [("HUGO_VERSION", Framework.hugoVersion)]
        default: []
        }
    }

    /// The Hugo release the template downloads when `hugo` is not on PATH.
    static let hugoVersion = "0.139.0"

    /// Build caches of the framework itself, relative to the app directory.
    var buildCachePaths: [String] {
        switch self {
        case .nextjs: [".next/cache/**/*"]
        default: []
        }
    }

    /// One line per framework for `init`'s "supported" list.
    static var supportedList: String {
        allCases.map { "  \($0.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \($0.displayName)\($0.requirement.map { " (\($0))" } ?? "")" }
            .joined(separator: "\n")
    }

    /// What the project must use for the template to produce a static site, for the supported list.
    var requirement: String? {
        switch self {
        case .sveltekit: "with adapter-static"
        default: nil
        }
    }

    /// SvelteKit's adapter for static sites; every other adapter builds for a server platform.
    static let svelteKitStaticAdapter = "@sveltejs/adapter-static"
}
