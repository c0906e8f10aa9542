import Foundation
import SiteContent

/// The CloudFront paths one deploy invalidates, in a deterministic order, and why.
public struct InvalidationPlan: Sendable, Equatable {
    /// URL-encoded paths, each starting with `/`; a path ending in `*` is a wildcard. Sorted
    /// by their UTF-8 bytes.
    public var paths: [String]
    /// How many of ``paths`` end in `*` (CloudFront allows 15 in progress at once).
    public var wildcardCount: Int
    /// One sentence for logs and JSON events.
    public var reason: String

    public init(paths: [String], reason: String) {
        self.paths = paths
        self.wildcardCount = paths.filter { $0.hasSuffix("*") }.count
        self.reason = reason
    }

    /// How many of ``paths`` are individual paths (CloudFront allows 3,000 in progress at once).
    public var individualCount: Int { paths.count - wildcardCount }
    /// Nothing to invalidate.
    public var isEmpty: Bool { paths.isEmpty }
    /// The plan is `/*`.
    public var invalidatesEverything: Bool { paths == ["/*"] }
}

/// Turns the set of changed object keys of a deploy into CloudFront invalidation paths. Pure.
///
/// 1. Each changed key becomes the URLs a viewer can request it by (the router's rules, see
///    `Preview.Router` and `cloudfront/function.js`):
///    - `index.html` → `/` and `/index.html`;
///    - static mode, `d/index.html` → `/d/`, `/d/index.html` and `/d` (served through the
///      `d.html` alias or redirected to `/d/`);
///    - static mode, `x.html` → `/x.html` and `/x`;
///    - (the extension-less forms only when the router would add `.html` to them: not for
///      `v1.2/index.html` or `a.b.html`, whose `/v1.2` and `/a.b` it serves as files);
///    - anything else → `/key`;
///    - spa mode: `index.html` answers every extension-less URL, so a change to it is `/*`.
/// 2. The URLs are percent-encoded (``encode(_:)``). A key containing `*` (which would be a
///    wildcard) is cut after its first `*`, which still covers it.
/// 3. Bottom-up, a directory whose subtree holds more than ``Limits/directoryThreshold``
///    paths (a collapsed subdirectory counting as one) becomes `/dir/*`. The root never
///    collapses this way. Paths covered by a wildcard are dropped.
/// 4. More than ``Limits/maxPaths`` individual paths or ``Limits/maxWildcards`` wildcards, or
///    every file of the site changed: `/*`.
///
/// The default threshold is 20: a wildcard is billed and counted like one path, so above 20
/// paths in one directory it saves at least 20 billable paths and 20 of the 3,000 in-progress
/// slots, at the price of also evicting that directory's unchanged objects (one origin fetch
/// each, at most, on the next request).
public struct InvalidationPlanner: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Most individual paths a plan may hold: CloudFront's in-progress limit per distribution.
        public var maxPaths: Int
        /// Most wildcard paths a plan may hold: CloudFront's in-progress limit per distribution.
        public var maxWildcards: Int
        /// A directory with more than this many changed paths becomes `/dir/*`.
        public var directoryThreshold: Int

        public static let cloudFrontMaxPaths = 3000
        public static let cloudFrontMaxWildcards = 15
        public static let defaultDirectoryThreshold = 20

        public init(maxPaths: Int = Limits.cloudFrontMaxPaths, maxWildcards: Int = Limits.cloudFrontMaxWildcards,
                    directoryThreshold: Int = Limits.defaultDirectoryThreshold) {
            self.maxPaths = maxPaths
            self.maxWildcards = maxWildcards
            self.directoryThreshold = directoryThreshold
        }
    }

    public var mode: RoutingMode
    public var limits: Limits

    public init(mode: RoutingMode = .static, limits: Limits = Limits()) {
        self.mode = mode
        self.limits = limits
    }

    /// The plan for `changed` object keys (`a/index.html`, `css/x.css`; added, modified and
    /// removed ones alike). With `siteKeys` (every key of the old and new versions), a change
    /// to all of them is `/*` without listing paths.
    public func plan(changed: some Sequence<String>, siteKeys: Set<String>? = nil) -> InvalidationPlan {
        let keys = Set(changed.compactMap(Self.normalizeKey))
        var everything: Int?
        if let siteKeys {
            let all = Set(siteKeys.compactMap(Self.normalizeKey))
            if !all.isEmpty, all.isSubset(of: keys) { everything = all.count }
        }
        return plan(keys: keys, everything: everything)
    }

    /// The plan for `changed` keys out of `siteKeyCount` distinct keys of the two versions
    /// (the keys are among them): all of them changed is `/*`. For manifests, whose key sets
    /// are counted in the merge that finds the changes, without a set of every key.
    public func plan(changed: some Sequence<String>, siteKeyCount: Int) -> InvalidationPlan {
        let keys = Set(changed.compactMap(Self.normalizeKey))
        return plan(keys: keys, everything: siteKeyCount > 0 && keys.count == siteKeyCount ? siteKeyCount : nil)
    }

    /// `everything`: when every key of the site changed, how many there are.
    private func plan(keys: Set<String>, everything: Int?) -> InvalidationPlan {
        guard !keys.isEmpty else { return InvalidationPlan(paths: [], reason: "no file changed: nothing to invalidate") }
        if let everything {
            return InvalidationPlan(paths: ["/*"], reason: "all \(everything) files changed: invalidating everything (/*)")
        }
        if mode == .spa, keys.contains("index.html") {
            return InvalidationPlan(paths: ["/*"], reason: "index.html changed and answers every route in spa mode: invalidating everything (/*)")
        }

        var viewer = Set<String>()
        for key in keys {
            for form in viewerForms(ofKey: key) { viewer.insert(Self.encode(form)) }
        }
        let (paths, collapsed) = collapse(viewer)
        let plan = InvalidationPlan(paths: paths, reason: "")
        let fileWord = keys.count == 1 ? "file" : "files"
        if plan.individualCount > limits.maxPaths || plan.wildcardCount > limits.maxWildcards {
            return InvalidationPlan(paths: ["/*"], reason: "\(keys.count) changed \(fileWord) need \(plan.individualCount) paths and "
                + "\(plan.wildcardCount) wildcards, over the limits (\(limits.maxPaths) paths, \(limits.maxWildcards) wildcards): "
                + "invalidating everything (/*)")
        }
        var reason = "\(keys.count) changed \(fileWord): \(plan.individualCount) \(plan.individualCount == 1 ? "path" : "paths")"
        if plan.wildcardCount > 0 {
            reason += " and \(plan.wildcardCount) \(plan.wildcardCount == 1 ? "wildcard" : "wildcards")"
        }
        if !collapsed.isEmpty {
            reason += " (more than \(limits.directoryThreshold) changed in \(collapsed.joined(separator: ", ")))"
        }
        return InvalidationPlan(paths: paths, reason: reason)
    }

    /// The unencoded URL paths a viewer reaches `key` by.
    public func viewerForms(ofKey key: String) -> [String] {
        if key == "index.html" { return ["/", "/index.html"] }
        if mode == .static {
            if key.hasSuffix("/index.html") {
                let directory = String(key.dropLast("index.html".count))
                let bare = String(directory.dropLast())
                // `/d` reaches `d/index.html` (through the `d.html` alias or a redirect to `/d/`)
                // only when the router does not take `d` for a file name.
                return Self.looksLikeFile(bare) ? ["/" + directory, "/" + key] : ["/" + directory, "/" + key, "/" + bare]
            }
            if key.hasSuffix(".html"), !key.hasSuffix("/.html"), key != ".html" {
                let stem = String(key.dropLast(".html".count))
                return Self.looksLikeFile(stem) ? ["/" + key] : ["/" + key, "/" + stem]
            }
        }
        return ["/" + key]
    }

    /// Whether the router serves a path ending in `path`'s last segment as a file rather than
    /// adding `.html` (``RouteRules/namesFile(segment:)``).
    static func looksLikeFile(_ path: String) -> Bool {
        RouteRules.pathNamesFile(path)
    }

    /// `path` percent-encoded for an invalidation: non-ASCII bytes, control characters, space,
    /// `%` and the RFC 1738 unsafe characters (`"` `#` `<` `>` `?` `[` `\` `]` `^` `` ` ``
    /// `{` `|` `}`) become `%XX` with upper-case hex; `/`, `*` and the other printable ASCII
    /// characters (`~`, `+`, `'`, `&`, … which browsers send as they are) stay. A `*` inside
    /// a name is a wildcard to CloudFront, so everything after the first one is dropped.
    public static func encode(_ path: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(path.utf8.count)
        for byte in path.utf8 {
            if byte > 0x20, byte < 0x7f, !unsafe.contains(byte) {
                out.append(byte)
                if byte == UInt8(ascii: "*") { break }
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let unsafe: Set<UInt8> = Set("\"#%<>?[\\]^`{|}".utf8)

    /// A key without leading `/`, or nil for an empty one.
    private static func normalizeKey(_ key: String) -> String? {
        let trimmed = String(key.drop { $0 == "/" })
        return trimmed.isEmpty ? nil : trimmed
    }

    // MARK: - Collapsing

    /// The directory part of an encoded path, up to and including its last `/`.
    private static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "/" }
        return String(path[...slash])
    }

    /// The parent directory of a directory (`/a/b/` → `/a/`), nil for the root.
    private static func parent(of directory: String) -> String? {
        guard directory != "/" else { return nil }
        return Self.directory(of: String(directory.dropLast()))
    }

    /// The sorted paths after collapsing crowded directories, and the directories collapsed.
    private func collapse(_ viewer: Set<String>) -> (paths: [String], collapsed: [String]) {
        // Direct entries per directory, and every directory with all its ancestors.
        var direct: [String: Int] = [:]
        var children: [String: Set<String>] = [:]
        var directories: Set<String> = ["/"]
        for path in viewer {
            var current = Self.directory(of: path)
            direct[current, default: 0] += 1
            while let parent = Self.parent(of: current) {
                children[parent, default: []].insert(current)
                guard directories.insert(current).inserted else { break }
                current = parent
            }
        }
        // Deepest first: a directory's weight is its own entries plus its children's weights,
        // a collapsed child counting as the one wildcard it becomes.
        let byDepth = directories.sorted { lhs, rhs in
            let left = lhs.utf8.count(where: { $0 == UInt8(ascii: "/") }), right = rhs.utf8.count(where: { $0 == UInt8(ascii: "/") })
            return left != right ? left > right : lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
        }
        var weight: [String: Int] = [:]
        var collapsed: Set<String> = []
        for directory in byDepth {
            var total = direct[directory] ?? 0
            for child in children[directory] ?? [] {
                total += collapsed.contains(child) ? 1 : weight[child] ?? 0
            }
            weight[directory] = total
            if directory != "/", total > limits.directoryThreshold { collapsed.insert(directory) }
        }
        // The topmost collapsed directory of each path wins.
        func topmostCollapsed(_ directory: String) -> String? {
            var found: String?
            var current: String? = directory
            while let candidate = current {
                if collapsed.contains(candidate) { found = candidate }
                current = Self.parent(of: candidate)
            }
            return found
        }
        var result = Set<String>()
        var used = Set<String>()
        for path in viewer {
            if let wildcard = topmostCollapsed(Self.directory(of: path)) {
                result.insert(wildcard + "*")
                used.insert(wildcard)
            } else {
                result.insert(path)
            }
        }
        // Drop what a wildcard (from a collapse or a `*` in a name) already covers.
        let prefixes = result.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        if !prefixes.isEmpty {
            result = result.filter { path in
                !prefixes.contains { prefix in path != prefix + "*" && path.hasPrefix(prefix) }
            }
        }
        let sorted = result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let usedSorted = used.filter { result.contains($0 + "*") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return (sorted, usedSorted)
    }
}
