import SiteContent

/// What to do with a viewer request: the same rules as the CloudFront Function in
/// `cloudfront/function.js`, checked against `cloudfront/routing-cases.json`.
public enum RouteDecision: Sendable, Equatable {
    /// Serve the object at this origin path (`/<version>/…`).
    case rewrite(String)
    /// Answer with a redirect to this location.
    case redirect(String, status: Int)
    /// No live version: the request goes on unchanged.
    case unchanged
}

/// What to do about trailing slashes on extension-less paths.
public enum TrailingSlash: String, Sendable, CaseIterable {
    /// Serve `/a` and `/a/` both, without redirecting.
    case none
    /// Redirect `/a` to `/a/`.
    case always
    /// Redirect `/a/` to `/a`, but not `/v1.2/` (`/v1.2` would be a file).
    case never
}

/// The URI router shared by `sitebuild serve` and the CloudFront Function.
///
/// Redirects first (both modes): `…/index.html` → `…/`; with `always`, an extension-less
/// last segment → add `/`; with `never`, a trailing `/` (not the root) → remove it, unless
/// the URI without it would be a file (`/docs/v1.2/`, `/.well-known/`: the slash stays).
/// Redirects keep the query string. Then rewrites under `/<version>`:
/// - static: `/` and `…/` → `…/index.html`; a last segment with an extension → as is;
///   else `…` → `….html` (the manifest adds `x.html` for every `x/index.html` lacking it);
/// - spa: a last segment with an extension → as is; everything else → `/index.html`.
public struct Router: Sendable {
    public var mode: RoutingMode
    public var trailingSlash: TrailingSlash

    public init(mode: RoutingMode = .static, trailingSlash: TrailingSlash = .none) {
        self.mode = mode
        self.trailingSlash = trailingSlash
    }

    public func route(uri: String, querystring: String = "", version: String?) -> RouteDecision {
        guard let version, !version.isEmpty, uri.utf8.first == 0x2f else { return .unchanged }
        // Byte-wise, as the JavaScript function works on UTF-16 code units: `/` and `.` are
        // ASCII, so a combining mark after them must not hide them.
        let bytes = Array(uri.utf8)
        let lastStart = (bytes.lastIndex(of: 0x2f) ?? -1) + 1
        let last = Array(bytes[lastStart...])
        // Below /.well-known/ (RFC 8615) every path names a file, extension or not.
        let hasExtension = RouteRules.pathNamesFile(bytes: bytes)

        let endsWithSlash = bytes.last == 0x2f
        if bytes.count >= 11 && bytes.suffix(11).elementsEqual("/index.html".utf8) {
            return .redirect(Self.location(String(decoding: bytes.dropLast(10), as: UTF8.self)) + Self.query(querystring), status: 301)
        }
        if trailingSlash == .always && !last.isEmpty && !hasExtension {
            return .redirect(Self.location(uri + "/") + Self.query(querystring), status: 301)
        }
        // Not when the URI without its slash would be a file (`/docs/v1.2/`, `/.well-known/`):
        // the redirect would lose the folder, so the slash stays and the folder is served.
        if trailingSlash == .never && bytes != [0x2f] && endsWithSlash && !RouteRules.pathNamesFile(bytes: bytes.dropLast()) {
            return .redirect(Self.location(String(decoding: bytes.dropLast(), as: UTF8.self)) + Self.query(querystring), status: 301)
        }

        switch mode {
        case .static:
            if endsWithSlash { return Self.rewrite("/\(version)\(uri)index.html") }
            if hasExtension { return Self.rewrite("/\(version)\(uri)") }
            return Self.rewrite("/\(version)\(uri).html")
        case .spa:
            if hasExtension { return Self.rewrite("/\(version)\(uri)") }
            return Self.rewrite("/\(version)/index.html")
        }
    }

    /// The origin path, with `+` sent as `%2B`: S3's REST endpoint (CloudFront's S3 origin)
    /// reads a `+` in a path as a space.
    static func rewrite(_ origin: String) -> RouteDecision {
        .rewrite(origin.contains("+") ? origin.replacingOccurrences(of: "+", with: "%2B") : origin)
    }

    /// A last segment names a file when it has a dot that is neither its first nor its
    /// last character (`app.js`), or starts with a dot and has more after it (`.htaccess`).
    public static func hasExtension(_ segment: String) -> Bool {
        hasExtension(bytes: Array(segment.utf8))
    }

    static func hasExtension(bytes: [UInt8]) -> Bool {
        RouteRules.namesFile(segment: bytes)
    }

    /// A redirect target is always a path on this site: leading `/` and `\` collapse to
    /// one `/`, so `//evil.example/index.html` cannot send a browser elsewhere.
    static func location(_ path: String) -> String {
        "/" + String(decoding: path.utf8.drop { $0 == 0x2f || $0 == 0x5c }, as: UTF8.self)
    }

    /// Rebuilds the query string the way the CloudFront Function sees it: keys in order
    /// of first appearance, repeated keys grouped, `k` alone for an empty value.
    static func query(_ raw: String) -> String {
        guard !raw.isEmpty else { return "" }
        var order: [String] = []
        var values: [String: [String]] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            if values[key] == nil { order.append(key) }
            values[key, default: []].append(value)
        }
        let items = order.flatMap { key in values[key]!.map { $0.isEmpty ? key : "\(key)=\($0)" } }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }
}
