import Foundation

/// One file of a version: where it is served, its content and its headers.
public struct ManifestEntry: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var hash: ContentHash
    public var headers: FileHeaders
    /// For an alias (`a.html` made from `a/index.html`): the path whose bytes it serves.
    public var aliasOf: String?

    public init(path: String, size: Int64, hash: ContentHash, headers: FileHeaders, aliasOf: String? = nil) {
        self.path = path
        self.size = size
        self.hash = hash
        self.headers = headers
        self.aliasOf = aliasOf
    }

    /// The entry as a JSON tree: the reference the streaming canonical writer
    /// (``ManifestTable/writeCanonicalEntries(to:)``) is tested against.
    var canonicalJSON: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("path", .string(path)), ("size", .int(size)), ("hash", .string(hash.hex)),
            ("contentType", .string(headers.contentType)), ("cacheControl", .string(headers.cacheControl)),
        ]
        if let encoding = headers.contentEncoding { pairs.append(("contentEncoding", .string(encoding))) }
        if !headers.extra.isEmpty { pairs.append(("headers", .object(headers.extra.map { ($0.name, .string($0.value)) }))) }
        if let aliasOf { pairs.append(("aliasOf", .string(aliasOf))) }
        return .object(pairs)
    }
}

/// The list of a version's files. Its canonical serialization (entries sorted by path
/// byte-wise, fixed key order, no white space) is hashed into the version id, so the same
/// output gives the same version on every machine. The entries are kept in columns
/// (``ManifestTable``) and the canonical text is streamed into the hash, never kept.
public struct Manifest: Sendable, Equatable {
    let table: ManifestTable
    /// The version id: the content id by default, or one given with `--version-id`.
    public var version: String
    /// When and how the manifest was made; not part of the content id.
    public var metadata: [(String, String)]
    /// The first 16 hex digits of the XXH3-128 of the canonical entries.
    public let contentId: String

    public static let contentIdLength = 16

    public init(entries: some Sequence<ManifestEntry>, version: String? = nil, metadata: [(String, String)] = []) {
        var builder = ManifestTableBuilder(capacity: entries.underestimatedCount)
        for entry in entries { builder.append(entry) }
        self.init(table: builder.finish(), version: version, metadata: metadata)
    }

    init(table: ManifestTable, version: String?, metadata: [(String, String)]) {
        self.table = table
        self.metadata = metadata
        let hasher = ContentHasher()
        let writer = ByteWriter { hasher.update(UnsafeRawBufferPointer($0)) }
        table.writeCanonicalEntries(to: writer)
        writer.flush()
        let id = String(hasher.finalize().hex.prefix(Self.contentIdLength))
        self.contentId = id
        self.version = version ?? id
    }

    public static func == (lhs: Manifest, rhs: Manifest) -> Bool {
        lhs.version == rhs.version && lhs.entries == rhs.entries
    }

    /// The entries, sorted byte-wise by path.
    public var entries: ManifestEntries { ManifestEntries(table: table) }
    /// How many entries are page aliases (``PageAliases``), not files of the site.
    public var aliasCount: Int { table.aliasCount }
    /// The site's files and their bytes, page aliases left out (as `hash` counts them).
    public var siteFileCount: Int { table.count - table.aliasCount }
    public var siteBytes: Int64 { totalBytes - table.aliasBytes }

    /// The canonical text of the entries (what the content id is computed from).
    public var canonicalEntries: String {
        var bytes: [UInt8] = []
        let writer = ByteWriter { bytes.append(contentsOf: $0) }
        table.writeCanonicalEntries(to: writer)
        writer.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    public var totalBytes: Int64 { table.totalBytes }

    /// The manifest format this sitebuild writes and reads (the file's `sitebuild` field);
    /// a manifest with a higher one is refused (``ManifestFormatTooNew``).
    public static let format: Int64 = 1

    /// The manifest file: `{"sitebuild":1,"version":…,"contentId":…,"fileCount":…,"totalBytes":…,"aliasCount":…,
    /// "aliasBytes":…,"metadata":{…},"entries":[…]}`. Everything before the entries is the head
    /// (``ManifestHead``): what `versions` and `prune` read, without the entries.
    public func serialized() -> String {
        var bytes: [UInt8] = []
        write { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Streams the manifest file's bytes to `sink` in pieces of at most 64 KiB.
    public func write(to sink: @escaping (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        let head = JSONValue.object([("sitebuild", .int(Self.format)), ("version", .string(version)), ("contentId", .string(contentId)),
                                     ("fileCount", .int(Int64(table.count))), ("totalBytes", .int(totalBytes)),
                                     ("aliasCount", .int(Int64(table.aliasCount))), ("aliasBytes", .int(table.aliasBytes)),
                                     ("metadata", .object(metadata.map { ($0.0, .string($0.1)) }))]).serialized()
        let writer = ByteWriter(sink: sink)
        writer.append(Array(head.utf8.dropLast()))
        writer.append(literal: ",\"entries\":")
        table.writeCanonicalEntries(to: writer)
        writer.append(literal: "}\n")
        writer.flush()
        if let failure = writer.failure { try { throw failure }() }
    }

    /// Writes the manifest file to `path` (created or truncated), streaming.
    public func write(toFile path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ArchiveError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try write { bytes in
            guard writeFully(descriptor, UnsafeRawBufferPointer(bytes)) else {
                throw ArchiveError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads a manifest file written by `serialized()`.
    public static func parse(_ data: Data) throws -> Manifest {
        var reader = ManifestReader()
        try data.withUnsafeBytes { try reader.feed($0.bindMemory(to: UInt8.self)) }
        return try reader.finish()
    }

    /// Reads a manifest file from disk in 64 KiB pieces (never the whole text in memory).
    public static func read(contentsOfFile path: String) throws -> Manifest {
        var reader = ManifestReader()
        try forEachChunk(ofFile: path) { try reader.feed($0) }
        return try reader.finish()
    }

    /// The head of a manifest file's text, fed in pieces until the entries begin: `feed` returns
    /// true once the head is whole (the rest need not be read), then ``finish()`` gives it.
    public struct HeadReader {
        private var reader = ManifestReader(headOnly: true)

        public init() {}

        public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Bool {
            try reader.feed(bytes)
            return reader.headComplete
        }

        /// The head; throws when the text read is no manifest's head (or ended before the entries).
        public func finish() throws -> ManifestHead { try reader.finishHeadOnly() }
    }

    /// The head of the manifest file at `path`, reading no further than the entries' start.
    public static func readHead(contentsOfFile path: String) throws -> ManifestHead {
        var reader = HeadReader()
        var complete = false
        try forEachChunk(ofFile: path, until: { complete }) { complete = try reader.feed($0) }
        return try reader.finish()
    }

    /// Hands every entry of the manifest file at `path` to `visit`, one at a time, keeping
    /// none (64 KiB pieces of text and one entry in memory); returns the manifest's version.
    /// Throws for a damaged file, possibly after some entries were visited.
    public static func forEachEntry(inFile path: String, _ visit: @escaping (ManifestEntry) throws -> Void) throws -> String {
        var reader = ManifestReader(visiting: visit)
        try forEachChunk(ofFile: path) { try reader.feed($0) }
        return try reader.finishVisiting()
    }

    /// The index of the entry at `path`, if any (a binary search).
    public func index(of path: String) -> Int? {
        table.index(of: path)
    }

    /// The entry served at `path`, if any.
    public func entry(at path: String) -> ManifestEntry? {
        table.index(of: path).map { table.entry($0) }
    }
}

/// The routing rules the CloudFront Function (`cloudfront/function.js`), `serve`'s router, the
/// manifest's aliases and the invalidation planner must share.
public enum RouteRules {
    /// Whether a URL's last segment names a file, served as it is (`app.js`, `.htaccess`,
    /// `a.b.`): a `.` that is neither its first nor its last character, or a leading `.` on a
    /// longer name. Other segments are pages: `/x` gets `.html` or is redirected to `/x/`.
    public static func namesFile<Segment: Collection<UInt8>>(segment: Segment) -> Bool {
        guard segment.count > 1 else { return false }
        if segment.first == UInt8(ascii: ".") { return true }
        return segment.dropFirst().dropLast().contains(UInt8(ascii: "."))
    }

    /// ``namesFile(segment:)`` for the last segment of `path`.
    public static func lastSegmentNamesFile(_ path: String) -> Bool {
        namesFile(segment: path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last ?? Substring().utf8)
    }

    /// Whether the URL path (`/a/b`) or site path (`a/b`) is served as the file it names:
    /// its last segment names a file, or it lies below `/.well-known/` (RFC 8615: ACME
    /// challenges, `apple-app-site-association`, `assetlinks.json` are files whatever their
    /// name) and does not end in `/`.
    public static func pathNamesFile(_ path: String) -> Bool {
        pathNamesFile(bytes: Array(path.utf8))
    }

    /// ``pathNamesFile(_:)`` on the path's bytes (the router's form).
    public static func pathNamesFile<Path: BidirectionalCollection<UInt8>>(bytes path: Path) -> Bool {
        let last = path.lastIndex(of: UInt8(ascii: "/")).map { path[path.index(after: $0)...] } ?? path[...]
        return namesFile(segment: last) || (!last.isEmpty && isWellKnown(path))
    }

    /// Whether `path` (with or without its leading `/`) lies below `.well-known/`.
    public static func isWellKnown<Path: Collection<UInt8>>(_ path: Path) -> Bool {
        let rest = path.first == UInt8(ascii: "/") ? path.dropFirst() : path[...]
        return rest.starts(with: ".well-known/".utf8)
    }
}

/// Routing modes; `static` also adds aliases (see ``PageAliases``).
public enum RoutingMode: String, Sendable, CaseIterable {
    case `static`
    case spa
}

/// The aliases static routing stores so that every page is reachable however `/x` is
/// routed, without the CloudFront Function knowing the files. Each alias is a second object
/// with the bytes of its page, dropped when the tree has a file of its own at that path.
public enum PageAliases: Sendable, Equatable {
    /// None (spa mode: every path without an extension is `index.html`).
    case none
    /// `x.html` for every `x/index.html`: `/x` is served from `x.html` (trailing slash `none`
    /// or `never`), so a directory-style page is reached at `/x` too.
    case html
    /// `x/index.html` for every page `x.html`: every `/x` is redirected to `/x/`, served from
    /// `x/index.html` (trailing slash `always`), so a flat page is reached at `/x/`. Not for
    /// `index.html` itself, nor for a page the function would take for a file at `/x`
    /// (`v1.2.html`: `/v1.2` is not redirected).
    case directoryIndex
}

/// Builds a manifest from a hashed tree: validates paths, applies the header policy and adds
/// the routing's ``PageAliases``.
public struct ManifestBuilder: Sendable {
    public var policy: HeaderPolicy
    public var mode: RoutingMode
    /// Which aliases are added: by default `x.html` ones in static mode, none in spa mode.
    public var aliases: PageAliases

    /// The longest file name (one path segment, in bytes) an alias may have.
    static let fileNameLimit = 255

    public init(policy: HeaderPolicy = HeaderPolicy(), mode: RoutingMode = .static, aliases: PageAliases? = nil) {
        self.policy = policy
        self.mode = mode
        self.aliases = aliases ?? (mode == .static ? .html : .none)
    }

    /// The aliases (by the hash of their path) that a real path would make a file and a folder
    /// at once, with what is in the way: a folder of the alias's name (`x.html/a.txt` beside
    /// `x/index.html`), or a file where the alias needs a folder (a file `x` beside `x.html`
    /// under `directoryIndex`). A local target cannot store them, and on S3 the two would
    /// disagree with it. Sets of hashes, and only of the aliases' paths and folders.
    static func blockedAliases(_ aliasRows: [(row: Int, path: String)], among files: borrowing HashedFiles)
        -> [ContentHash: (alias: String, obstacle: String)] {
        var byPath: [ContentHash: String] = [:]
        var byFolder: [ContentHash: [String]] = [:]
        for (_, alias) in aliasRows {
            byPath[ContentHash(of: alias)] = alias
            if let slash = alias.utf8.lastIndex(of: UInt8(ascii: "/")) {
                byFolder[ContentHash(of: alias.utf8[..<slash]), default: []].append(alias)
            }
        }
        var blocked: [ContentHash: (alias: String, obstacle: String)] = [:]
        files.pathBytes.withUnsafeBufferPointer { bytes in
            for index in files.indices {
                let path = UnsafeBufferPointer(rebasing: bytes[files.pathRange(index)])
                // A real file where an alias needs its folder.
                if let needing = byFolder[ContentHash(of: path)] {
                    for alias in needing { blocked[ContentHash(of: alias)] = (alias, "the file " + String(decoding: path, as: UTF8.self)) }
                }
                // A real folder (a prefix of this path) named like an alias.
                for (offset, byte) in path.enumerated() where byte == UInt8(ascii: "/") {
                    let folder = ContentHash(of: UnsafeBufferPointer(rebasing: path[..<offset]))
                    if let alias = byPath[folder] { blocked[folder] = (alias, "the folder " + alias + "/") }
                }
            }
        }
        return blocked
    }

    /// A warning for each alias (up to 5) whose path differs only in case from a file's
    /// (`Docs.html` from `Docs/index.html` beside `docs.html`), as two files that do get one:
    /// both are stored, but they clash on a case-insensitive file system (a local target or a
    /// copy of the version on macOS or Windows).
    static func caseClashes(_ aliasRows: [(row: Int, path: String)], among files: borrowing HashedFiles) -> [String] {
        guard !aliasRows.isEmpty else { return [] }
        var byFolded: [ContentHash: Int] = [:]
        byFolded.reserveCapacity(files.count)
        for index in files.indices { byFolded[ContentHash(of: PathValidation.caseFolded(files.path(at: index)))] = index }
        var warnings: [String] = []
        var count = 0
        for (row, alias) in aliasRows {
            guard let other = byFolded[ContentHash(of: PathValidation.caseFolded(alias))] else { continue }
            let file = files.path(at: other)
            guard file != alias else { continue }
            count += 1
            if count <= 5 {
                warnings.append("the routing alias '\(terminalText(alias))' (of \(terminalText(files.path(at: row)))) and "
                    + "'\(terminalText(file))' differ only in case: both are kept, but they clash on case-insensitive file systems; rename one")
            }
        }
        if count > 5 { warnings.append("\(count - 5) more routing aliases differ only in case from a file") }
        return warnings
    }

    /// The path of the alias the file `path` gets, if any.
    static func aliasPath(of path: UnsafeBufferPointer<UInt8>, _ aliases: PageAliases) -> String? {
        let index = Array("/index.html".utf8)
        let html = Array(".html".utf8)
        switch aliases {
        case .none:
            return nil
        case .html:
            // `x/index.html` → `x.html` (the root `index.html` has none).
            guard path.count > index.count, path.suffix(index.count).elementsEqual(index) else { return nil }
            return String(decoding: path.prefix(path.count - index.count), as: UTF8.self) + ".html"
        case .directoryIndex:
            // `x.html` → `x/index.html`, when `/x` is what the function redirects to `/x/`.
            guard path.count > html.count, path.suffix(html.count).elementsEqual(html) else { return nil }
            let stem = path.prefix(path.count - html.count)
            let last = stem.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last ?? stem[...]
            guard !last.isEmpty, !last.elementsEqual("index".utf8), !RouteRules.namesFile(segment: last) else { return nil }
            return String(decoding: stem, as: UTF8.self) + "/index.html"
        }
    }

    /// The manifest of `files`. Pass the files with `consume` to have their columns freed
    /// before the table is sorted (a lower peak for large trees).
    public func build(_ files: consuming HashedFiles, version: String? = nil, metadata: [(String, String)] = []) throws -> (Manifest, [String]) {
        var warnings = try PathValidation.check(files.indices.lazy.map { files.path(at: $0) })
        // Each alias with the row it serves, found once for the count, the clash check and the rows.
        let aliases = self.aliases
        var aliasRows: [(row: Int, path: String)] = aliases == .none ? [] : files.pathBytes.withUnsafeBufferPointer { bytes in
            files.indices.compactMap { row in Self.aliasPath(of: UnsafeBufferPointer(rebasing: bytes[files.pathRange(row)]), aliases).map { (row, $0) } }
        }
        // A name over 255 bytes cannot be a file on most file systems (a local target, `serve`):
        // no alias of that name, on any target, so that the version id is the same everywhere.
        let tooLong = aliasRows.filter { ($0.path.utf8.split(separator: UInt8(ascii: "/")).last?.count ?? 0) > Self.fileNameLimit }
        if !tooLong.isEmpty {
            aliasRows.removeAll { ($0.path.utf8.split(separator: UInt8(ascii: "/")).last?.count ?? 0) > Self.fileNameLimit }
            warnings.append("\(tooLong.count) routing alias(es) left out, their names being over \(Self.fileNameLimit) bytes (the file name "
                + "limit of most file systems): \(tooLong.prefix(3).map { terminalText($0.path) }.joined(separator: ", "))\(tooLong.count > 3 ? ", …" : ""); "
                + "the page each would serve is not reachable at that URL: shorten the folder's name")
        }
        let blocked = aliasRows.isEmpty ? [:] : Self.blockedAliases(aliasRows, among: files)
        for (alias, obstacle) in blocked.values.sorted(by: { $0.alias < $1.alias }).prefix(5) {
            warnings.append("no routing alias \(terminalText(alias)): \(terminalText(obstacle)) is in the way (a path cannot be a file "
                + "and a folder), so the "
                + "page it would serve is not reachable at that URL; rename one of them")
        }
        if blocked.count > 5 { warnings.append("\(blocked.count - 5) more routing aliases left out for the same reason") }
        warnings += Self.caseClashes(aliasRows.filter { blocked[ContentHash(of: $0.path)] == nil }, among: files)
        // A file whose name has no extension is never requested as itself: `/x` is served from
        // x.html (static) or index.html (spa). Only paths below .well-known/ are served as named.
        // And a page whose name has a dot before `.html` (`notes-1.2.html`, a versioned slug of a
        // Next.js or SvelteKit export) has no clean URL: `/notes-1.2` names a file to the
        // function, so only `/notes-1.2.html` reaches it, in production as in `serve`. One pass.
        var unreachableCount = 0
        var unreachable: [String] = []
        var dottedCount = 0
        var dotted: [String] = []
        var example = ""
        for index in files.indices {
            let path = files.path(at: index)
            if !RouteRules.pathNamesFile(path) {
                unreachableCount += 1
                if unreachable.count < 5 { unreachable.append(terminalText(path)) }
                continue
            }
            guard mode == .static, path.hasSuffix(".html"), !RouteRules.isWellKnown(path.utf8) else { continue }
            let stem = path.utf8.dropLast(5)
            let last = stem.lastIndex(of: UInt8(ascii: "/")).map { stem[stem.index(after: $0)...] } ?? stem
            guard RouteRules.namesFile(segment: last) else { continue }
            if dottedCount == 0 { example = String(decoding: stem, as: UTF8.self) }
            dottedCount += 1
            if dotted.count < 5 { dotted.append(terminalText(path)) }
        }
        if unreachableCount > 0 {
            let sample = unreachable.joined(separator: ", ") + (unreachableCount > 5 ? ", …" : "")
            warnings.append("\(unreachableCount) file(s) without an extension that no URL reaches (a URL without one is a page: "
                + (mode == .spa ? "index.html answers it" : "/x is served from x.html or x/index.html")
                + "; only paths below /.well-known/ are served as named): \(sample); give them an extension, or leave them out of the site")
        }
        if dottedCount > 0 {
            warnings.append("\(dottedCount) page(s) with a dot in the name before .html have no URL without .html (/\(terminalText(example)) "
                + "names a file to the function, not a page): \(dotted.joined(separator: ", "))\(dottedCount > 5 ? ", …" : ""); "
                + "link to them with .html, or name them without the dot")
        }
        var builder = ManifestTableBuilder(capacity: files.count + aliasRows.count, pathBytes: files.pathBytes.count * 2)
        // The header rules that match some file, marked as the headers are found: the others are said.
        var matched = [Bool](repeating: false, count: policy.rules.count)
        files.pathBytes.withUnsafeBufferPointer { bytes in
            for index in files.indices {
                let path = UnsafeBufferPointer(rebasing: bytes[files.pathRange(index)])
                let text = String(decoding: path, as: UTF8.self)
                builder.append(path: path, size: files.sizes[index], hash: files.hashes[index], headers: policy.headers(for: text, marking: &matched))
            }
        }
        if matched.contains(false) {
            let folders = HeaderPolicy.folders(of: files.indices.lazy.map { files.path(at: $0) })
            for rule in matched.indices where !matched[rule] {
                warnings.append(policy.unmatchedRuleWarning(rule, folders: folders))
            }
        }
        // An alias of its row above, dropped when the tree has a file of its own at its path. It
        // serves its page, with the page's headers (a rule for `checkout.html` is the rule of
        // the `/checkout/` it serves under `always`).
        for (row, path) in aliasRows where blocked[ContentHash(of: path)] == nil {
            var alias = path
            let headers = policy.headers(for: files.path(at: row))
            alias.withUTF8 { builder.appendWeakAlias(path: $0, headers: headers, aliasOfRow: row) }
        }
        files = HashedFiles()
        return (Manifest(table: builder.finish(), version: version, metadata: metadata), warnings)
    }
}

/// Paths a version may hold: relative, `/`-separated, no `.`/`..` segments, no control
/// characters, and no two paths that differ only in Unicode normalisation (an error:
/// they would be one file on some systems and two on S3) or only in case (a warning:
/// fine on S3 and Linux, a clash on macOS and Windows checkouts).
func asciiLowercased(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5a }) else { return text }
    return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 32 : $0 }, as: UTF8.self)
}

public enum PathValidation {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// `path` as the case check compares it: ASCII letters in lower case, or any path in NFC
    /// and lower case when it is not ASCII.
    static func caseFolded(_ path: String) -> String {
        path.utf8.allSatisfy { $0 < 0x80 } ? asciiLowercased(path) : path.precomposedStringWithCanonicalMapping.lowercased()
    }

    /// Throws unless `path` is a relative path of non-empty segments, none `.` or `..`, with no
    /// control character (nor U+FFFE, U+FFFF): what a manifest may name, both when one is
    /// written and when one is read (a path read from a manifest is joined to a version's
    /// folder: `..` would lead out of it). `rename` ends the message (the advice).
    /// `controlCharacters: false` (a manifest read back) lets control characters other than NUL
    /// through: harmless in a path joined to a folder, and older manifests and tests hold them.
    public static func checkSegments(_ path: String, rename: String = "; rename it", controlCharacters: Bool = true) throws {
        let ascii = path.utf8.allSatisfy { $0 < 0x80 }
        if path.isEmpty || path.hasPrefix("/") {
            throw Failure(description: "'\(terminalText(path))' is not a relative path" + rename)
        }
        var segmentStart = true
        var segmentLength = 0
        var dots = 0
        for byte in path.utf8 {
            if byte == 0x2f {
                if segmentLength == 0 || (dots == segmentLength && dots <= 2) {
                    throw Failure(description: "'\(terminalText(path))' has an empty, '.' or '..' segment" + rename)
                }
                segmentStart = true
                segmentLength = 0
                dots = 0
                continue
            }
            if byte == 0 || (controlCharacters && (byte < 0x20 || byte == 0x7f)) {
                throw Failure(description: "'\(terminalText(path))' contains a control character" + rename)
            }
            segmentStart = false
            segmentLength += 1
            if byte == 0x2e { dots += 1 }
        }
        if segmentStart || segmentLength == 0 || (dots == segmentLength && dots <= 2) {
            throw Failure(description: "'\(terminalText(path))' has an empty, '.' or '..' segment" + rename)
        }
        if controlCharacters, !ascii, path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || (0x80...0x9f).contains($0.value) }) {
            throw Failure(description: "'\(terminalText(path))' contains a control character" + rename)
        }
        // Not characters at all, and not allowed in XML: S3's DeleteObjects (prune) could
        // never name such a key, so the version could never be deleted.
        if !ascii, path.unicodeScalars.contains(where: { $0.value == 0xFFFE || $0.value == 0xFFFF }) {
            throw Failure(description: "'\(terminalText(path))' contains U+FFFE or U+FFFF (not characters: S3 cannot list or delete "
                + "such a key in its XML requests)" + rename)
        }
    }

    public static func check<Paths: RandomAccessCollection<String>>(_ paths: Paths) throws -> [String] where Paths.Index == Int {
        var warnings: [String] = []
        var normalized: [String: String] = [:]
        // Case-folded path → index of the path, keyed by the XXH3-128 of the folded text so
        // the table holds no strings (a large tree's paths would double in memory).
        var folded: [ContentHash: Int] = [:]
        folded.reserveCapacity(paths.count)
        for position in paths.indices {
            let path = paths[position]
            let ascii = path.utf8.allSatisfy { $0 < 0x80 }
            try checkSegments(path)
            if path.utf8.count > 1024 - 40 {
                throw Failure(description: "'\(terminalText(String(path.prefix(80))))…' is longer than an S3 key allows (984 bytes with "
                    + "the version prefix)")
            }
            // An ASCII path is its own normal form.
            let nfc = ascii ? path : path.precomposedStringWithCanonicalMapping
            if !ascii {
                if let other = normalized[nfc], !other.utf8.elementsEqual(path.utf8) {
                    throw Failure(description: "'\(terminalText(path))' and '\(terminalText(other))' differ only in Unicode normalisation; "
                        + "they would collide: rename one")
                }
                normalized[nfc] = path
            }
            let lower = ascii ? asciiLowercased(path) : nfc.lowercased()
            let key = ContentHash(of: lower)
            if let otherIndex = folded[key], case let other = paths[otherIndex], !other.utf8.elementsEqual(path.utf8) {
                if !ascii || other.utf8.contains(where: { $0 >= 0x80 }),
                   other.precomposedStringWithCanonicalMapping == nfc {
                    throw Failure(description: "'\(terminalText(path))' and '\(terminalText(other))' differ only in Unicode normalisation; "
                        + "they would collide: rename one")
                }
                warnings.append("'\(terminalText(path))' and '\(terminalText(other))' differ only in case: both are kept, but they clash "
                    + "on case-insensitive file systems")
            }
            folded[key] = position
        }
        return warnings
    }
}

/// What a manifest says of itself before its entries: enough for `versions` and `prune`, which
/// need not read a large site's entries (``Manifest/HeadReader``).
public struct ManifestHead: Sendable, Equatable {
    public var version: String
    public var metadata: [String: String]
    /// All entries and their bytes, page aliases included, as the head declares them.
    public var fileCount: Int?
    public var totalBytes: Int64?
    /// The page aliases among them; nil in manifests written before the head carried them.
    public var aliasCount: Int?
    public var aliasBytes: Int64?

    public init(version: String, metadata: [(String, String)], fileCount: Int?, totalBytes: Int64?, aliasCount: Int?, aliasBytes: Int64?) {
        self.version = version
        self.metadata = Dictionary(metadata, uniquingKeysWith: { first, _ in first })
        self.fileCount = fileCount
        self.totalBytes = totalBytes
        self.aliasCount = aliasCount
        self.aliasBytes = aliasBytes
    }

    /// The site's files and bytes (aliases left out, as ``Manifest/siteFileCount`` counts), when
    /// the head says: nil for an older manifest, whose entries must be read to tell.
    public var siteFileCount: Int? {
        guard let fileCount, let aliasCount, aliasCount <= fileCount else { return nil }
        return fileCount - aliasCount
    }

    public var siteBytes: Int64? {
        guard let totalBytes, let aliasBytes, aliasBytes <= totalBytes else { return nil }
        return totalBytes - aliasBytes
    }

    /// When the version was made (its `createdAt`), if the head says.
    public var createdAt: String? { metadata["createdAt"] }
}
