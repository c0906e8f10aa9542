/// The headers a file is served with: Content-Type, Cache-Control, Content-Encoding and
/// any others. Part of the manifest, so changing only a header changes the version id.
public struct FileHeaders: Sendable, Equatable {
    public var contentType: String
    public var cacheControl: String
    public var contentEncoding: String?
    /// Other headers, sorted by lower-cased name.
    public var extra: [(name: String, value: String)]

    public init(contentType: String, cacheControl: String, contentEncoding: String? = nil, extra: [(name: String, value: String)] = []) {
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentEncoding = contentEncoding
        self.extra = extra
    }

    public static func == (lhs: FileHeaders, rhs: FileHeaders) -> Bool {
        lhs.contentType == rhs.contentType && lhs.cacheControl == rhs.cacheControl && lhs.contentEncoding == rhs.contentEncoding
            && lhs.extra.map(\.name) == rhs.extra.map(\.name) && lhs.extra.map(\.value) == rhs.extra.map(\.value)
    }
}

/// One rule of `sitebuild.yml`'s `headers:` list: a glob and the headers it sets. Later
/// rules override earlier ones, header by header.
public struct HeaderRule: Sendable, Equatable {
    public var pattern: GlobPattern
    public var contentType: String?
    public var cacheControl: String?
    public var contentEncoding: String?
    public var extra: [(name: String, value: String)]

    public init(pattern: String, contentType: String? = nil, cacheControl: String? = nil, contentEncoding: String? = nil,
                extra: [(name: String, value: String)] = []) {
        self.pattern = GlobPattern(pattern)
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentEncoding = contentEncoding
        self.extra = extra
    }

    public static func == (lhs: HeaderRule, rhs: HeaderRule) -> Bool {
        lhs.pattern == rhs.pattern && lhs.contentType == rhs.contentType && lhs.cacheControl == rhs.cacheControl
            && lhs.contentEncoding == rhs.contentEncoding && lhs.extra.map(\.name) == rhs.extra.map(\.name)
            && lhs.extra.map(\.value) == rhs.extra.map(\.value)
    }
}

/// Decides each file's headers: defaults that fit immutable versions, then the user's rules.
///
/// Defaults (the objects under a version prefix never change, so shared caches may keep
/// everything for a year; browsers see the un-versioned URL and must not):
/// - entry points (HTML, `robots.txt`, `sitemap*.xml`, `*.webmanifest`, service workers
///   `sw.js`/`service-worker.js`, `.well-known/*`): `public, max-age=0, s-maxage=31536000, must-revalidate`;
/// - fingerprinted assets (a name with a hash part, like `app.3f9a8b7c.js` or
///   `index-BXk2_3aF.js`): `public, max-age=31536000, immutable`;
/// - anything else: `public, max-age=300, s-maxage=31536000`.
/// A pre-compressed web asset (`app.js.gz`, `game.wasm.br`, Unity's `Build/x.data.gz`,
/// requested by that name and decoded by the browser) gets Content-Encoding and the type of
/// the name without `.gz`/`.br`; `.svgz` is gzip-encoded SVG. Any other `.gz`/`.br` file is a
/// download (`data.csv.gz`, `dump.sql.gz`) and is served as the compressed file it is: with
/// Content-Encoding a browser would save the decoded bytes under the `.gz` name.
public struct HeaderPolicy: Sendable {
    public static let entryPointCache = "public, max-age=0, s-maxage=31536000, must-revalidate"
    public static let immutableCache = "public, max-age=31536000, immutable"
    public static let assetCache = "public, max-age=300, s-maxage=31536000"

    public var rules: [HeaderRule]

    public init(rules: [HeaderRule] = []) {
        self.rules = rules
    }

    public func headers(for path: String) -> FileHeaders {
        var typePath = path
        var encoding: String?
        var compressedType: String?
        if path.hasSuffix(".gz") || path.hasSuffix(".br") {
            let inner = String(path.dropLast(3))
            if Self.decodedInPlace.contains(Self.extensionOf(inner)) {
                encoding = path.hasSuffix(".gz") ? "gzip" : "br"
                typePath = inner
            } else {
                compressedType = path.hasSuffix(".gz") ? "application/gzip" : "application/octet-stream"
            }
        } else if path.lowercased().hasSuffix(".svgz") {
            encoding = "gzip"
        }
        var headers = FileHeaders(contentType: compressedType ?? MimeTypes.type(for: typePath),
                                  cacheControl: Self.defaultCacheControl(for: typePath), contentEncoding: encoding)
        var extra: [String: (String, String)] = [:]
        for rule in rules where rule.pattern.matches(path) {
            if let v = rule.contentType { headers.contentType = v }
            if let v = rule.cacheControl { headers.cacheControl = v }
            if let v = rule.contentEncoding { headers.contentEncoding = v.isEmpty ? nil : v }
            for (name, value) in rule.extra { extra[name.lowercased()] = (name, value) }
        }
        headers.extra = extra.keys.sorted().map { extra[$0]! }
        return headers
    }

    /// The endings of web assets a page or loader requests pre-compressed (`.gz`/`.br` added).
    static let decodedInPlace: Set<String> = ["html", "htm", "css", "js", "mjs", "cjs", "json", "map", "wasm", "svg", "xml",
                                              "data", "unityweb", "webmanifest"]

    static func extensionOf(_ path: String) -> String {
        let name = lastSegment(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }

    static func defaultCacheControl(for path: String) -> String {
        let name = lastSegment(path).lowercased()
        if name.hasSuffix(".html") || name.hasSuffix(".htm") || name == "robots.txt" || name.hasSuffix(".webmanifest")
            || (name.hasPrefix("sitemap") && name.hasSuffix(".xml")) || name == "sw.js" || name == "service-worker.js"
            || path.hasPrefix(".well-known/") || name == "manifest.json" || name.hasSuffix(".rss") || name.hasSuffix(".atom")
            || name == "feed.xml" || name == "index.xml" {
            return entryPointCache
        }
        return isFingerprinted(name) ? immutableCache : assetCache
    }

    /// A name with a part between separators that looks like a content hash: 8 or more
    /// hex digits, or 8 base64url characters mixing letters and digits (Vite, esbuild).
    static func isFingerprinted(_ name: String) -> Bool {
        // Cheap rejection: a hash part needs at least 8 characters besides the extension.
        guard name.utf8.count >= 10, name.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        let parts = name.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" || $0 == "~" }).dropLast()
        for part in parts.dropFirst(name.hasPrefix(".") ? 0 : 1) where part.count >= 8 {
            let hex = part.allSatisfy { $0.isHexDigit }
            let hasDigit = part.contains { $0.isNumber }
            let hasLetter = part.contains { $0.isLetter }
            if hex && hasDigit { return true }
            if part.count >= 8 && part.count <= 12 && hasDigit && hasLetter && part.allSatisfy({ $0.isLetter || $0.isNumber }) {
                return true
            }
        }
        // Vite: `index-BXk2_3aF.js` (the hash may contain `_` or `-`).
        if let dash = name.lastIndex(of: "-"), let dot = name.lastIndex(of: "."), dash < dot {
            let candidate = name[name.index(after: dash)..<dot]
            // A digit and a letter both, so words like `team-Overview.png` never count.
            if candidate.count == 8, candidate.contains(where: { $0.isNumber }), candidate.contains(where: { $0.isLetter }),
               candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                return true
            }
        }
        return false
    }
}
