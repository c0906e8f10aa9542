/// The Node package manager a project's lockfile names: how a template installs with it
/// (frozen to the lockfile), runs scripts and binaries, and which folder it caches.
enum PackageManager: String, CaseIterable, Sendable {
    case npm
    case pnpm
    /// Yarn 1 (`yarn.lock` without `__metadata`, no `.yarnrc.yml`).
    case yarn
    /// Yarn 2+ ("berry").
    case yarnBerry = "yarn-berry"
    case bun

    /// The lockfile names that select this package manager, most specific first.
    var lockfiles: [String] {
        switch self {
        case .npm: ["package-lock.json", "npm-shrinkwrap.json"]
        case .pnpm: ["pnpm-lock.yaml"]
        case .yarn, .yarnBerry: ["yarn.lock"]
        case .bun: ["bun.lock", "bun.lockb"]
        }
    }

    /// The program users type.
    var program: String {
        switch self {
        case .npm: "npm"
        case .pnpm: "pnpm"
        case .yarn, .yarnBerry: "yarn"
        case .bun: "bun"
        }
    }

    /// The package manager `--package-manager NAME` names.
    init?(named name: String) {
        switch name.lowercased() {
        case "npm": self = .npm
        case "pnpm": self = .pnpm
        case "yarn", "yarn1", "yarn-classic": self = .yarn
        case "yarn-berry", "berry", "yarn2", "yarn3", "yarn4": self = .yarnBerry
        case "bun": self = .bun
        default: return nil
        }
    }

    /// The folder (relative to the install directory) the package manager downloads into;
    /// kept between builds by `cache.paths`.
    var cacheDirectory: String {
        switch self {
        case .npm: ".npm-cache"
        case .pnpm: ".pnpm-store"
        case .yarn: ".yarn-cache"
        case .yarnBerry: ".yarn/cache"
        case .bun: ".bun-cache"
        }
    }

    /// The prefix of the cache key (the lockfile's hash follows).
    var cacheKeyPrefix: String { rawValue + "-" }

    /// Variables the install needs.
    var environment: [(String, String)] {
        switch self {
        // Yarn 4 keeps its cache in the home folder unless told otherwise.
        case .yarnBerry: [("YARN_ENABLE_GLOBAL_CACHE", "false")]
        default: []
        }
    }

    /// Makes the program available when the image lacks it (corepack ships with Node).
    var setupCommand: String? {
        switch self {
        case .npm: nil
        case .pnpm: "command -v pnpm >/dev/null || corepack enable"
        case .yarn: "command -v yarn >/dev/null || corepack enable"
        case .yarnBerry: "yarn --version 2>/dev/null | grep -qv '^1\\.' || corepack enable"
        case .bun: "command -v bun >/dev/null || npm install -g bun"
        }
    }

    /// Installs exactly what the lockfile says (or, without one, resolves afresh).
    func installCommand(hasLockfile: Bool) -> String {
        switch self {
        case .npm: hasLockfile ? "npm ci --cache .npm-cache --prefer-offline --no-audit --no-fund"
                               : "npm install --cache .npm-cache --no-audit --no-fund"
        case .pnpm: hasLockfile ? "pnpm install --frozen-lockfile --store-dir .pnpm-store"
                                : "pnpm install --no-frozen-lockfile --store-dir .pnpm-store"
        case .yarn: hasLockfile ? "yarn install --frozen-lockfile --cache-folder .yarn-cache"
                                : "yarn install --cache-folder .yarn-cache"
        case .yarnBerry: hasLockfile ? "yarn install --immutable" : "yarn install --no-immutable"
        case .bun: hasLockfile ? "bun install --frozen-lockfile --cache-dir .bun-cache"
                               : "bun install --cache-dir .bun-cache"
        }
    }

    /// Runs a package.json script.
    func runScript(_ name: String) -> String { "\(program) run \(name)" }

    /// Runs a binary of an installed package.
    func exec(_ command: String) -> String {
        switch self {
        case .npm: "npx \(command)"
        case .pnpm: "pnpm exec \(command)"
        case .yarn, .yarnBerry: "yarn \(command)"
        case .bun: "bunx \(command)"
        }
    }
}
