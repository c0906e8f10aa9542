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
/// output gives the same version on every machine.
public struct Manifest: Sendable, Equatable {
    public var entries: [ManifestEntry]
    /// The version id: the content id by default, or one given with `--version-id`.
    public var version: String
    /// When and how the manifest was made; not part of the content id.
    public var metadata: [(String, String)]

    public static let contentIdLength = 16

    public init(entries: [ManifestEntry], version: String? = nil, metadata: [(String, String)] = []) {
        self.entries = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.metadata = metadata
        self.version = ""
        self.canonicalEntries = JSONValue.array(self.entries.map(\.canonicalJSON)).serialized()
        self.contentId = String(ContentHash(of: canonicalEntries).hex.prefix(Self.contentIdLength))
        self.version = version ?? contentId
    }

    public static func == (lhs: Manifest, rhs: Manifest) -> Bool {
        lhs.version == rhs.version && lhs.entries == rhs.entries
    }

    /// The canonical text of the entries (what the content id is computed from).
    public private(set) var canonicalEntries: String

    /// The first 16 hex digits of the XXH3-128 of the canonical entries.
    public private(set) var contentId: String

    public var totalBytes: Int64 { entries.reduce(0) { $0 + $1.size } }

    /// The manifest file: `{"sitebuild":1,"version":…,"contentId":…,"metadata":{…},"entries":[…]}`.
    public func serialized() -> String {
        let body = canonicalEntries
        let head = JSONValue.object([("sitebuild", .int(1)), ("version", .string(version)), ("contentId", .string(contentId)),
                                     ("fileCount", .int(Int64(entries.count))), ("totalBytes", .int(totalBytes)),
                                     ("metadata", .object(metadata.map { ($0.0, .string($0.1)) }))]).serialized()
        return String(head.dropLast()) + ",\"entries\":" + body + "}\n"
    }

    /// Reads a manifest file written by `serialized()`.
    public static func parse(_ data: Data) throws -> Manifest {
        let value = try JSONValue.parse(data)
        guard let version = value["version"]?.stringValue, let items = value["entries"]?.arrayValue else {
            throw ArchiveError("not a sitebuild manifest (no version or entries)")
        }
        var entries: [ManifestEntry] = []
        entries.reserveCapacity(items.count)
        for item in items {
            guard let path = item["path"]?.stringValue, let size = item["size"]?.intValue, let hex = item["hash"]?.stringValue,
                  hex.count == 32, let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16),
                  let type = item["contentType"]?.stringValue, let cache = item["cacheControl"]?.stringValue else {
                throw ArchiveError("a manifest entry is incomplete: \(item.serialized().prefix(200))")
            }
            var extra: [(String, String)] = []
            if case .object(let pairs)? = item["headers"] {
                extra = pairs.compactMap { pair in pair.1.stringValue.map { (pair.0, $0) } }
            }
            entries.append(ManifestEntry(path: path, size: size, hash: ContentHash(high: high, low: low),
                                         headers: FileHeaders(contentType: type, cacheControl: cache,
                                                              contentEncoding: item["contentEncoding"]?.stringValue, extra: extra),
                                         aliasOf: item["aliasOf"]?.stringValue))
        }
        var metadata: [(String, String)] = []
        if case .object(let pairs)? = value["metadata"] {
            metadata = pairs.compactMap { pair in pair.1.stringValue.map { (pair.0, $0) } }
        }
        return Manifest(entries: entries, version: version, metadata: metadata)
    }

    /// The entry served at `path`, if any.
    public func entry(at path: String) -> ManifestEntry? {
        var low = 0, high = entries.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let candidate = entries[mid].path
            if candidate == path { return entries[mid] }
            if candidate.utf8.lexicographicallyPrecedes(path.utf8) { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }
}

/// Routing modes; `static` also adds `a.html` aliases for directories with an index.
public enum RoutingMode: String, Sendable, CaseIterable {
    case `static`
    case spa
}

/// Builds a manifest from a hashed tree: validates paths, applies the header policy and,
/// in static mode, adds `x.html` for every `x/index.html` that has no `x.html`, so the
/// CloudFront Function can send `/x` to `/x.html` without knowing the files.
public struct ManifestBuilder: Sendable {
    public var policy: HeaderPolicy
    public var mode: RoutingMode

    public init(policy: HeaderPolicy = HeaderPolicy(), mode: RoutingMode = .static) {
        self.policy = policy
        self.mode = mode
    }

    public func build(_ files: [HashedFile], version: String? = nil, metadata: [(String, String)] = []) throws -> (Manifest, [String]) {
        let warnings = try PathValidation.check(files.map(\.path))
        var entries = files.map { ManifestEntry(path: $0.path, size: $0.size, hash: $0.hash, headers: policy.headers(for: $0.path)) }
        if mode == .static {
            let present = Set(entries.map(\.path))
            for entry in entries where entry.path.hasSuffix("/index.html") {
                let alias = String(entry.path.dropLast("/index.html".count)) + ".html"
                if !present.contains(alias) {
                    entries.append(ManifestEntry(path: alias, size: entry.size, hash: entry.hash,
                                                 headers: policy.headers(for: alias), aliasOf: entry.path))
                }
            }
        }
        return (Manifest(entries: entries, version: version, metadata: metadata), warnings)
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

    public static func check(_ paths: [String]) throws -> [String] {
        var warnings: [String] = []
        var normalized: [String: String] = [:]
        var folded: [String: String] = [:]
        for path in paths {
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
                    throw Failure(description: "'\(path.debugDescription)' contains a control character; rename the file")
                }
                segmentStart = false
                segmentLength += 1
                if byte == 0x2e { dots += 1 }
            }
            if segmentStart || segmentLength == 0 || (dots == segmentLength && dots <= 2) {
                throw Failure(description: "'\(path)' has an empty, '.' or '..' segment; rename it")
            }
            if !ascii, path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || (0x80...0x9f).contains($0.value) }) {
                throw Failure(description: "'\(path.debugDescription)' contains a control character; rename the file")
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
            if let other = folded[lower], !other.utf8.elementsEqual(path.utf8) {
                if !ascii || other.utf8.contains(where: { $0 >= 0x80 }),
                   other.precomposedStringWithCanonicalMapping == nfc {
                    throw Failure(description: "'\(path)' and '\(other)' differ only in Unicode normalisation; they would collide: rename one")
                }
                warnings.append("'\(path)' and '\(other)' differ only in case: both are kept, but they clash on case-insensitive file systems")
            }
            folded[lower] = path
        }
        return warnings
    }
}
