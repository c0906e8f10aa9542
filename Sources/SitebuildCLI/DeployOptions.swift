import ArgumentParser
import Deploy
import Foundation
import Preview
import SiteContent

/// Where to deploy and how to route: flags, then `SITEBUILD_*` variables, then
/// `sitebuild.yml`, then the defaults (the local target `.sitebuild/` in the working
/// directory, its pointer `_sitebuild/live`).
struct TargetOptions: ParsableArguments {
    @Option(help: "Where versions live: file:///dir or a directory path (s3://bucket/prefix with the AWS client). Default: .sitebuild")
    var target: String?

    @Option(help: "The live-version pointer: file:///path. Default: <target>/_sitebuild/live")
    var pointer: String?

    @Option(help: "Settings file. Default: sitebuild.yml in the source (or current) directory.")
    var config: String?

    @Flag(help: "Newline-delimited JSON events on stdout.")
    var json = false

    struct Resolved {
        var target: LocalTarget
        var pointer: LocalPointerStore
        var config: SiteConfig
        var environment: [String: String]
    }

    func resolve(configDirectory: String) throws -> Resolved {
        let env = ProcessInfo.processInfo.environment
        let cwd = FileManager.default.currentDirectoryPath
        let configPath = config.map { absolutePath($0, relativeTo: cwd) } ?? configDirectory + "/sitebuild.yml"
        if config != nil && !FileManager.default.fileExists(atPath: configPath) {
            throw UsageError("--config \(config!): no such file")
        }
        let settings = try SiteConfig.load(configPath)
        let (targetText, targetSource) = first([(target, "--target"), (env["SITEBUILD_TARGET"], "SITEBUILD_TARGET"),
                                                (settings.target, "\(configPath): target")]) ?? (".sitebuild", "default")
        let root = try Self.localPath(targetText, what: targetSource, cwd: cwd, kind: "target")
        let pointerText = first([(pointer, "--pointer"), (env["SITEBUILD_POINTER"], "SITEBUILD_POINTER"), (settings.pointer, "\(configPath): pointer")])
        let pointerPath = try pointerText.map { try Self.localPath($0.0, what: $0.1, cwd: cwd, kind: "pointer") } ?? root + "/_sitebuild/live"
        return Resolved(target: LocalTarget(root: root), pointer: LocalPointerStore(path: pointerPath), config: settings, environment: env)
    }

    func first(_ candidates: [(String?, String)]) -> (String, String)? {
        for (value, source) in candidates { if let value, !value.isEmpty { return (value, source) } }
        return nil
    }

    static func localPath(_ text: String, what: String, cwd: String, kind: String) throws -> String {
        for scheme in ["s3://", "cloudfront-kvs://", "dynamodb://", "http://", "https://"] where text.hasPrefix(scheme) {
            throw UsageError("\(what) \(text): \(scheme) \(kind)s need the AWS client, which this build of sitebuild does not have yet; use file:///dir or a directory")
        }
        if text.hasPrefix("file://") {
            let path = String(text.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw UsageError("\(what) \(text): a file URL needs an absolute path, such as file:///srv/site") }
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        if text.contains("://") { throw UsageError("\(what) \(text): unknown URL scheme; use file:///dir or a directory") }
        return absolutePath(text, relativeTo: cwd)
    }
}

/// Routing and headers, shared by deploy and serve.
struct RoutingOptions: ParsableArguments {
    @Option(help: "Routing mode: static (/a → a.html, /a/ → a/index.html) or spa (paths without an extension → index.html).")
    var mode: String?

    @Option(help: "Trailing-slash redirects: none, always (/a → /a/) or never (/a/ → /a).")
    var trailingSlash: String?

    func router(_ config: SiteConfig) throws -> Router {
        Router(mode: try routingMode(config), trailingSlash: try trailing(config))
    }

    func routingMode(_ config: SiteConfig) throws -> RoutingMode {
        if let mode {
            guard let value = RoutingMode(rawValue: mode) else { throw UsageError("--mode \(mode): use static or spa") }
            return value
        }
        return config.mode ?? .static
    }

    func trailing(_ config: SiteConfig) throws -> TrailingSlash {
        let text = trailingSlash ?? config.trailingSlash ?? "none"
        guard let value = TrailingSlash(rawValue: text) else { throw UsageError("--trailing-slash \(text): use none, always or never") }
        return value
    }
}

/// Durations for prune's grace period: `90s`, `15m`, `2h`, `7d`, `1d12h`.
func parseDuration(_ text: String, flag: String) throws -> TimeInterval {
    if Double(text) != nil {
        throw UsageError("\(flag) \(text): add a unit (s, m, h or d), such as \(text)h")
    }
    guard let seconds = parseDurationText(text, bareNumberUnit: nil) else {
        throw UsageError("\(flag) \(text): write a duration such as 30m, 24h or 7d")
    }
    return seconds
}

func humanBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// Human messages to stderr, JSON events to stdout.
struct Reporter: Sendable {
    var json: Bool

    func say(_ message: String) {
        writeAll(2, Array("sitebuild: \(message)\n".utf8))
    }

    func event(_ name: String, _ fields: [(String, JSONValue)]) {
        guard json else { return }
        let value = JSONValue.object([("event", .string(name))] + fields)
        writeAll(1, Array((value.serialized() + "\n").utf8))
    }
}
