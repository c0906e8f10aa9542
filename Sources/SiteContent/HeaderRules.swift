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
    /// Where the rule is written (`file:line:column: headers[i].match`), for warnings about it.
    public var place: String?

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
        var matched: [Bool] = []
        return headers(for: path, marking: &matched)
    }

    /// The headers of `path`; each rule that matches it is marked `true` in `matched` (by its
    /// index, when `matched` has a place for every rule), for ``unmatchedRuleWarning(_:folders:)``.
    public func headers(for path: String, marking matched: inout [Bool]) -> FileHeaders {
        var typePath = path
        var encoding: String?
        var compressedType: String?
        let ending = Self.extensionOf(path)
        if ending == "gz" || ending == "br" {
            let inner = String(path.dropLast(3))
            if Self.decodedInPlace.contains(Self.extensionOf(inner)) {
                encoding = ending == "gz" ? "gzip" : "br"
                typePath = inner
            } else {
                compressedType = ending == "gz" ? "application/gzip" : "application/octet-stream"
            }
        } else if ending == "svgz" {
            encoding = "gzip"
        }
        var headers = FileHeaders(contentType: compressedType ?? MimeTypes.type(for: typePath),
                                  cacheControl: Self.defaultCacheControl(for: typePath), contentEncoding: encoding)
        var extra: [String: (String, String)] = [:]
        var typeSet = false
        let components = GlobPath(path)
        let marking = matched.count == rules.count
        for (index, rule) in rules.enumerated() where rule.pattern.matches(components) {
            if marking { matched[index] = true }
            if let v = rule.contentType {
                headers.contentType = v
                typeSet = true
            }
            if let v = rule.cacheControl { headers.cacheControl = v }
            if let v = rule.contentEncoding { headers.contentEncoding = v.isEmpty ? nil : v }
            for (name, value) in rule.extra { extra[name.lowercased()] = (name, value) }
        }
        // A rule that removes the encoding (`content-encoding: ""`) serves the compressed bytes
        // as they are: their type is then the compressed file's, not the page's inside it.
        if encoding != nil, headers.contentEncoding == nil, !typeSet {
            headers.contentType = ending == "br" ? "application/octet-stream" : "application/gzip"
        }
        headers.extra = extra.keys.sorted().map { extra[$0]! }
        return headers
    }

    /// A warning about a rule (by its index) that matched none of the site's paths: a
    /// misspelt glob, braces (`*.{js,css}`, not expanded) or a folder named without `/**`
    /// would otherwise leave its headers (a Content-Security-Policy, a cache rule) off every
    /// file without a word. `folders`: the folders the site's files are in (`""` for its
    /// root), each once (``folders(of:)``): a folder pattern that matches a file matches the
    /// folder it is in, so these stand for every path.
    public func unmatchedRuleWarning(_ index: Int, folders: some Sequence<String>) -> String {
        let rule = rules[index]
        let text = rule.pattern.text
        let folder = GlobPattern(text + "/**")
        let hint: String
        if text.contains("{") && text.contains(",") && text.contains("}") {
            hint = "braces are not expanded: write one rule per pattern ('**/*.js', then '**/*.css')"
        } else if !text.hasSuffix("/") && !text.hasSuffix("**"), folders.contains(where: { folder.matches($0) }) {
            hint = "it names a folder: write '\(text)/**' for the files below it"
        } else {
            hint = "globs match paths from the site's root, case-sensitively ('**/*.html', 'assets/**')"
        }
        return "\(rule.place ?? "headers[\(index)].match") '\(text)' matches no file of the site, so its headers go on none; \(hint)"
    }

    /// The folders `paths` are in (`""` for the root), each once.
    public static func folders(of paths: some Sequence<String>) -> Set<String> {
        var folders: Set<String> = []
        var previous: Substring?
        for path in paths {
            let folder = path.lastIndex(of: "/").map { path[..<$0] } ?? ""
            // Paths in order come folder by folder.
            if folder != previous { folders.insert(String(folder)) }
            previous = folder
        }
        return folders
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
        return isFingerprinted(String(lastSegment(path))) ? immutableCache : assetCache
    }

    /// A name with a part that looks like a content hash. A false match keeps a replaced file
    /// stale in browsers for a year (`immutable` cannot be purged), a missed one costs a
    /// revalidation after 5 minutes, so only the shapes bundlers make count:
    /// - 8 or more hex digits that mix digits and letters as a hash does (``looksRandom(hex:)``:
    ///   webpack, Parcel, Gatsby, Next.js: `app.3f9a8b7c.js`; 16 or more for a name that is all
    ///   hash, `3f9a8b7c1e2d4f5a.png`); dates and counters are all digits
    ///   (`IMG_20240115_123456.jpg`, `photo-20240115.jpg`), and `minutes-20240115b.pdf`,
    ///   `banner-cafe2023.png` are names;
    /// - the 8 characters just before the extension, after a `-` or `.`, with a letter after a
    ///   digit somewhere (a word's number comes last: `iPhone15`, `MacBook2`): capitals and
    ///   the digits 2 to 7 (esbuild's base32, Angular: `main-K7PQZ2XA.js`; `report-Q3FY2024.pdf`
    ///   is a name), or base64url with both cases that
    ///   switches between capitals, small letters, digits and `_`/`-` at least three times
    ///   (Vite, Rollup, Astro: `index-BXk2_3aF.js`). Words do not count (`team-Member01.png`,
    ///   `hero-banner2x.png`, `team-Jane-Doe.jpg`, `icon-LinkedIn.svg`); about a third of
    ///   Vite's hashes and a quarter of esbuild's (those without such a digit) are missed and
    ///   revalidate after 5 minutes (`init`'s templates mark the frameworks' asset folders).
    static func isFingerprinted(_ name: String) -> Bool {
        guard name.utf8.count >= 10 else { return false }
        let parts = name.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" || $0 == "~" }).dropLast()
        // The first part is the name itself, unless it is a whole hash of 16 or more digits
        // (webpack's `[hash][ext]` assets, Next.js fonts: `a34f9d1faa5f3315-s.woff2`).
        for (index, part) in parts.enumerated() where part.count >= (index == 0 && !name.hasPrefix(".") ? 16 : 8) {
            if part.allSatisfy(\.isHexDigit) && Self.looksRandom(hex: part) { return true }
        }
        guard let dot = name.lastIndex(of: "."), name.distance(from: name.startIndex, to: dot) >= 10 else { return false }
        let stem = name[..<dot]
        let candidate = stem.suffix(8)
        guard "-.".contains(stem[stem.index(stem.endIndex, offsetBy: -9)]),
              candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { return false }
        // A letter after a digit.
        guard let digit = candidate.firstIndex(where: \.isNumber), candidate[digit...].contains(where: \.isLetter) else { return false }
        // esbuild's base32 has no 0, 1, 8 or 9: `Q3FY2024`, `RTX4090T`, `INV2024A` are names.
        if candidate.allSatisfy({ $0.isUppercase || ("2"..."7").contains($0) }) { return true }
        guard candidate.contains(where: \.isUppercase), candidate.contains(where: \.isLowercase) else { return false }
        let kinds = candidate.map { $0.isUppercase ? 0 : $0.isLowercase ? 1 : $0.isNumber ? 2 : 3 }
        return zip(kinds, kinds.dropFirst()).filter { $0 != $1 }.count >= 3
    }

    /// Whether hex digits look like a hash rather than words and numbers: at least two digits
    /// and at least two switches between digits and letters. A date with a letter
    /// (`20240115b`), a hex word with a year (`cafe2023`, `decade2024`) or one digit between
    /// words (`face2face`) is a name; about one 8-digit hash in ten is missed (it revalidates
    /// after 5 minutes), one 20-digit hash in a thousand.
    static func looksRandom(hex part: Substring) -> Bool {
        let digits = part.map(\.isNumber)
        let switches = zip(digits, digits.dropFirst()).filter { $0 != $1 }.count
        return digits.filter { $0 }.count >= 2 && switches >= 2
    }
}
