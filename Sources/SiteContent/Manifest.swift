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

    /// The canonical text of the entries (what the content id is computed from).
    public var canonicalEntries: String {
        var bytes: [UInt8] = []
        let writer = ByteWriter { bytes.append(contentsOf: $0) }
        table.writeCanonicalEntries(to: writer)
        writer.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    public var totalBytes: Int64 { table.totalBytes }

    /// The manifest file: `{"sitebuild":1,"version":…,"contentId":…,"metadata":{…},"entries":[…]}`.
    public func serialized() -> String {
        var bytes: [UInt8] = []
        write { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Streams the manifest file's bytes to `sink` in pieces of at most 64 KiB.
    public func write(to sink: @escaping (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        let head = JSONValue.object([("sitebuild", .int(1)), ("version", .string(version)), ("contentId", .string(contentId)),
                                     ("fileCount", .int(Int64(table.count))), ("totalBytes", .int(totalBytes)),
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
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
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

/// Routing modes; `static` also adds `a.html` aliases for directories with an index.
public enum RoutingMode: String, Sendable, CaseIterable {
    case `static`
    case spa
}

/// Builds a manifest from a hashed tree: validates paths, applies the header policy and,
/// with `aliases` (static mode unless `/x` is redirected to `/x/`), adds `x.html` for every
/// `x/index.html` that has no `x.html`, so the CloudFront Function can send `/x` to `/x.html`
/// without knowing the files.
public struct ManifestBuilder: Sendable {
    public var policy: HeaderPolicy
    public var mode: RoutingMode
    /// Whether `x.html` aliases are added: by default in static mode. Off when every `/x` is
    /// redirected to `/x/` (trailing slash `always`), where no request reaches an alias.
    public var aliases: Bool

    public init(policy: HeaderPolicy = HeaderPolicy(), mode: RoutingMode = .static, aliases: Bool? = nil) {
        self.policy = policy
        self.mode = mode
        self.aliases = aliases ?? (mode == .static)
    }

    /// The manifest of `files`. Pass the files with `consume` to have their columns freed
    /// before the table is sorted (a lower peak for large trees).
    public func build(_ files: consuming HashedFiles, version: String? = nil, metadata: [(String, String)] = []) throws -> (Manifest, [String]) {
        let warnings = try PathValidation.check(files.indices.lazy.map { files.path(at: $0) })
        let suffix = Array("/index.html".utf8)
        let aliasCount = aliases ? files.indices.count { files.pathBytes[files.pathRange($0)].reversed().starts(with: suffix.reversed()) } : 0
        var builder = ManifestTableBuilder(capacity: files.count + aliasCount, pathBytes: files.pathBytes.count * 2)
        files.pathBytes.withUnsafeBufferPointer { bytes in
            for index in files.indices {
                let path = UnsafeBufferPointer(rebasing: bytes[files.pathRange(index)])
                let text = String(decoding: path, as: UTF8.self)
                builder.append(path: path, size: files.sizes[index], hash: files.hashes[index], headers: policy.headers(for: text))
            }
            guard aliases else { return }
            // `x.html` for every `x/index.html` (row `index` above), dropped when the tree has its own `x.html`.
            for index in files.indices {
                let path = UnsafeBufferPointer(rebasing: bytes[files.pathRange(index)])
                guard path.count > suffix.count, path.suffix(suffix.count).elementsEqual(suffix) else { continue }
                var alias = String(decoding: path.prefix(path.count - suffix.count), as: UTF8.self) + ".html"
                let headers = policy.headers(for: alias)
                alias.withUTF8 { builder.appendWeakAlias(path: $0, headers: headers, aliasOfRow: index) }
            }
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
            if path.isEmpty || path.hasPrefix("/") {
                throw Failure(description: "'\(path)' is not a relative path")
            }
            var segmentStart = true
            var segmentLength = 0
            var dots = 0
            for byte in path.utf8 {
                if byte == 0x2f {
                    if segmentLength == 0 || (dots == segmentLength && dots <= 2) {
                        throw Failure(description: "'\(path)' has an empty, '.' or '..' segment; rename it")
                    }
                    segmentStart = true
                    segmentLength = 0
                    dots = 0
                    continue
                }
                if byte < 0x20 || byte == 0x7f {
                    throw Failure(description: "\(path.debugDescription) contains a control character; rename the file")
                }
                segmentStart = false
                segmentLength += 1
                if byte == 0x2e { dots += 1 }
            }
            if segmentStart || segmentLength == 0 || (dots == segmentLength && dots <= 2) {
                throw Failure(description: "'\(path)' has an empty, '.' or '..' segment; rename it")
            }
            if !ascii, path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || (0x80...0x9f).contains($0.value) }) {
                throw Failure(description: "\(path.debugDescription) contains a control character; rename the file")
            }
            if path.utf8.count > 1024 - 40 {
                throw Failure(description: "'\(path.prefix(80))…' is longer than an S3 key allows (984 bytes with the version prefix)")
            }
            // An ASCII path is its own normal form.
            let nfc = ascii ? path : path.precomposedStringWithCanonicalMapping
            if !ascii {
                if let other = normalized[nfc], !other.utf8.elementsEqual(path.utf8) {
                    throw Failure(description: "'\(path)' and '\(other)' differ only in Unicode normalisation; they would collide: rename one")
                }
                normalized[nfc] = path
            }
            let lower = ascii ? asciiLowercased(path) : nfc.lowercased()
            let key = ContentHash(of: lower)
            if let otherIndex = folded[key], case let other = paths[otherIndex], !other.utf8.elementsEqual(path.utf8) {
                if !ascii || other.utf8.contains(where: { $0 >= 0x80 }),
                   other.precomposedStringWithCanonicalMapping == nfc {
                    throw Failure(description: "'\(path)' and '\(other)' differ only in Unicode normalisation; they would collide: rename one")
                }
                warnings.append("'\(path)' and '\(other)' differ only in case: both are kept, but they clash on case-insensitive file systems")
            }
            folded[key] = position
        }
        return warnings
    }
}
