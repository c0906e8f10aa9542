import Foundation

/// A manifest's entries in columns: every path in one byte buffer, sizes, hashes, and an
/// index into a handful of distinct header sets. About 80 bytes per entry where an array of
/// `ManifestEntry` values costs several hundred (a `String` per path and per header), so a
/// 50,000-file version and its live predecessor fit in a few megabytes. Immutable once built.
final class ManifestTable: Sendable {
    /// Every path's UTF-8 bytes, one after the other, sorted byte-wise.
    let pathBytes: [UInt8]
    /// `pathEnds[i]` is where path `i` ends in `pathBytes` (it starts where `i - 1` ends).
    let pathEnds: [UInt32]
    let sizes: [Int64]
    let hashes: [ContentHash]
    /// Index into `headerSets`.
    let headerIndex: [UInt32]
    let headerSets: [FileHeaders]
    /// For an alias, the entry index of the path it serves (`-1`: not an alias; below `-1`:
    /// `unresolvedAliases[-2 - value]`, a path not in this manifest).
    let aliasTargets: [Int32]
    let unresolvedAliases: [String]
    let totalBytes: Int64

    init(pathBytes: [UInt8], pathEnds: [UInt32], sizes: [Int64], hashes: [ContentHash], headerIndex: [UInt32],
         headerSets: [FileHeaders], aliasTargets: [Int32], unresolvedAliases: [String]) {
        self.pathBytes = pathBytes
        self.pathEnds = pathEnds
        self.sizes = sizes
        self.hashes = hashes
        self.headerIndex = headerIndex
        self.headerSets = headerSets
        self.aliasTargets = aliasTargets
        self.unresolvedAliases = unresolvedAliases
        self.totalBytes = sizes.reduce(0, +)
    }

    var count: Int { pathEnds.count }

    /// How many entries are aliases (a second object serving another entry's bytes).
    var aliasCount: Int { aliasTargets.reduce(0) { $0 + ($1 == -1 ? 0 : 1) } }

    /// The bytes of the alias entries.
    var aliasBytes: Int64 { zip(aliasTargets, sizes).reduce(0) { $0 + ($1.0 == -1 ? 0 : $1.1) } }

    @inline(__always) func pathRange(_ index: Int) -> Range<Int> { packedRange(pathEnds, index) }

    func path(_ index: Int) -> String {
        pathBytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[pathRange(index)]), as: UTF8.self) }
    }

    func aliasOf(_ index: Int) -> String? {
        let target = aliasTargets[index]
        if target == -1 { return nil }
        if target >= 0 { return path(Int(target)) }
        return unresolvedAliases[Int(-2 - target)]
    }

    func entry(_ index: Int) -> ManifestEntry {
        ManifestEntry(path: path(index), size: sizes[index], hash: hashes[index], headers: headerSets[Int(headerIndex[index])],
                      aliasOf: aliasOf(index))
    }

    /// The index of `path`, by binary search.
    func index(of path: String) -> Int? {
        var query = path
        return query.withUTF8 { index(of: $0) }
    }

    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        pathBytes.withUnsafeBufferPointer { bytes in
            var low = 0, high = count - 1
            while low <= high {
                let mid = (low + high) / 2
                let order = Self.compare(UnsafeBufferPointer(rebasing: bytes[pathRange(mid)]), key)
                if order == 0 { return mid }
                if order < 0 { low = mid + 1 } else { high = mid - 1 }
            }
            return nil
        }
    }

    /// Byte-wise three-way comparison (`memcmp`, then length).
    @inline(__always) static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        if common > 0 {
            let order = memcmp(a.baseAddress!, b.baseAddress!, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    // MARK: - Canonical text

    /// Writes the canonical entries array (`[{"path":…,"size":…,"hash":…,…},…]`), byte for
    /// byte what `JSONValue.array(entries.map(\.canonicalJSON)).serialized()` gives.
    func writeCanonicalEntries(to out: ByteWriter) {
        // Each header set's fields, serialized once.
        let headerTexts: [[UInt8]] = headerSets.map { headers in
            var text: [UInt8] = []
            text += Array(",\"contentType\":".utf8)
            JSONText.appendString(headers.contentType, to: &text)
            text += Array(",\"cacheControl\":".utf8)
            JSONText.appendString(headers.cacheControl, to: &text)
            if let encoding = headers.contentEncoding {
                text += Array(",\"contentEncoding\":".utf8)
                JSONText.appendString(encoding, to: &text)
            }
            if !headers.extra.isEmpty {
                text += Array(",\"headers\":{".utf8)
                for (i, pair) in headers.extra.enumerated() {
                    if i > 0 { text.append(UInt8(ascii: ",")) }
                    JSONText.appendString(pair.name, to: &text)
                    text.append(UInt8(ascii: ":"))
                    JSONText.appendString(pair.value, to: &text)
                }
                text.append(UInt8(ascii: "}"))
            }
            return text
        }
        out.append(UInt8(ascii: "["))
        pathBytes.withUnsafeBufferPointer { bytes in
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(literal: "{\"path\":")
                out.appendJSONString(UnsafeBufferPointer(rebasing: bytes[pathRange(index)]))
                out.append(literal: ",\"size\":")
                out.appendDecimal(sizes[index])
                out.append(literal: ",\"hash\":\"")
                out.appendHex(hashes[index])
                out.append(UInt8(ascii: "\""))
                out.append(headerTexts[Int(headerIndex[index])])
                if let alias = aliasOf(index) {
                    out.append(literal: ",\"aliasOf\":")
                    var text = alias
                    text.withUTF8 { out.appendJSONString($0) }
                }
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(UInt8(ascii: "]"))
    }
}

/// Builds a ``ManifestTable`` from entries given in any order.
struct ManifestTableBuilder {
    private var pathBytes: [UInt8] = []
    private var pathEnds: [UInt32] = []
    private var sizes: [Int64] = []
    private var hashes: [ContentHash] = []
    private var headerIndex: [UInt32] = []
    private var headerSets: [FileHeaders] = []
    private var headerLookup: [FileHeaders: UInt32] = [:]
    /// Per row: -1; or ≥ 0, the slot of the path it is an alias of in `aliasBytes`/`aliasEnds`;
    /// or ≤ -2, `-2 - row` for an alias of an earlier row (no path bytes kept for it).
    private var aliasSlot: [Int32] = []
    private var aliasBytes: [UInt8] = []
    private var aliasEnds: [UInt32] = []
    /// Rows added as aliases a real file of the same path overrides (static routing).
    private var weakAliases = false

    init(capacity: Int = 0, pathBytes byteCapacity: Int? = nil) {
        pathEnds.reserveCapacity(capacity)
        sizes.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
        headerIndex.reserveCapacity(capacity)
        aliasSlot.reserveCapacity(capacity)
        pathBytes.reserveCapacity(byteCapacity ?? capacity * 40)
    }

    var count: Int { pathEnds.count }

    /// Room for `entries` more rows in the fixed-size columns (when the count is known ahead,
    /// as a manifest file's `fileCount`), so they never grow by doubling.
    mutating func reserve(entries: Int) {
        let total = count + entries
        pathEnds.reserveCapacity(total)
        sizes.reserveCapacity(total)
        hashes.reserveCapacity(total)
        headerIndex.reserveCapacity(total)
        aliasSlot.reserveCapacity(total)
    }

    /// Grows a byte column by a quarter rather than doubling it: the slack of a large path
    /// buffer is what would otherwise decide the peak.
    @inline(__always) private static func makeRoom(_ bytes: inout [UInt8], for extra: Int) {
        let needed = bytes.count + extra
        if needed > bytes.capacity { bytes.reserveCapacity(max(needed, bytes.capacity + bytes.capacity / 4 + 4096)) }
    }

    mutating func append(path: UnsafeBufferPointer<UInt8>, size: Int64, hash: ContentHash, headers: FileHeaders,
                         aliasOf: UnsafeBufferPointer<UInt8>? = nil) {
        Self.makeRoom(&pathBytes, for: path.count)
        pathBytes.append(contentsOf: path)
        pathEnds.append(UInt32(pathBytes.count))
        sizes.append(size)
        hashes.append(hash)
        headerIndex.append(intern(headers))
        if let aliasOf {
            Self.makeRoom(&aliasBytes, for: aliasOf.count)
            aliasBytes.append(contentsOf: aliasOf)
            aliasEnds.append(UInt32(aliasBytes.count))
            aliasSlot.append(Int32(aliasEnds.count - 1))
        } else {
            aliasSlot.append(-1)
        }
    }

    mutating func append(path: String, size: Int64, hash: ContentHash, headers: FileHeaders, aliasOf: String? = nil) {
        var path = path
        path.withUTF8 { pathBuffer in
            if var alias = aliasOf {
                alias.withUTF8 { append(path: pathBuffer, size: size, hash: hash, headers: headers, aliasOf: $0) }
            } else {
                append(path: pathBuffer, size: size, hash: hash, headers: headers)
            }
        }
    }

    mutating func append(_ entry: ManifestEntry) {
        append(path: entry.path, size: entry.size, hash: entry.hash, headers: entry.headers, aliasOf: entry.aliasOf)
    }

    /// Adds an alias of the (non-alias) row `target`, dropped if a non-alias entry has the
    /// same path. Its size and hash are the target's.
    mutating func appendWeakAlias(path: UnsafeBufferPointer<UInt8>, headers: FileHeaders, aliasOfRow target: Int) {
        precondition(target < count && aliasSlot[target] == -1, "a weak alias names an earlier non-alias row")
        weakAliases = true
        Self.makeRoom(&pathBytes, for: path.count)
        pathBytes.append(contentsOf: path)
        pathEnds.append(UInt32(pathBytes.count))
        sizes.append(sizes[target])
        hashes.append(hashes[target])
        headerIndex.append(intern(headers))
        aliasSlot.append(Int32(-2 - target))
    }

    private mutating func intern(_ headers: FileHeaders) -> UInt32 {
        if let index = headerLookup[headers] { return index }
        let index = UInt32(headerSets.count)
        headerSets.append(headers)
        headerLookup[headers] = index
        return index
    }

    private func range(_ index: Int) -> Range<Int> { packedRange(pathEnds, index) }

    /// The table, sorted byte-wise by path (stable: of two equal paths the first stays
    /// first; a weak alias after a real entry of its path is dropped).
    mutating func finish() -> ManifestTable {
        let n = count
        let needsWork: Bool = pathBytes.withUnsafeBufferPointer { bytes in
            if weakAliases { return true }
            for i in 1..<max(1, n) where ManifestTable.compare(UnsafeBufferPointer(rebasing: bytes[range(i - 1)]),
                                                              UnsafeBufferPointer(rebasing: bytes[range(i)])) > 0 {
                return true
            }
            return false
        }
        var order: [Int32] = []
        if needsWork {
            // The row order (dropping weak aliases a real entry shadows), then each column
            // rebuilt in that order one at a time, so only one column is ever doubled.
            order = pathBytes.withUnsafeBufferPointer { bytes in
                (0..<Int32(n)).sorted { a, b in
                    let order = ManifestTable.compare(UnsafeBufferPointer(rebasing: bytes[range(Int(a))]),
                                                      UnsafeBufferPointer(rebasing: bytes[range(Int(b))]))
                    return order < 0 || (order == 0 && a < b)
                }
            }
            if weakAliases {
                order = pathBytes.withUnsafeBufferPointer { bytes in
                    var kept: [Int32] = []
                    kept.reserveCapacity(order.count)
                    for row in order {
                        if aliasSlot[Int(row)] <= -2, let previous = kept.last,
                           ManifestTable.compare(UnsafeBufferPointer(rebasing: bytes[range(Int(previous))]),
                                                 UnsafeBufferPointer(rebasing: bytes[range(Int(row))])) == 0 {
                            continue
                        }
                        kept.append(row)
                    }
                    return kept
                }
            }
            var sortedBytes: [UInt8] = []
            sortedBytes.reserveCapacity(pathBytes.count)
            var sortedEnds: [UInt32] = []
            sortedEnds.reserveCapacity(order.count)
            pathBytes.withUnsafeBufferPointer { bytes in
                for row in order {
                    sortedBytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range(Int(row))]))
                    sortedEnds.append(UInt32(sortedBytes.count))
                }
            }
            pathBytes = sortedBytes
            sortedBytes = []
            pathEnds = sortedEnds
            sortedEnds = []
            sizes = order.map { sizes[Int($0)] }
            hashes = order.map { hashes[Int($0)] }
            headerIndex = order.map { headerIndex[Int($0)] }
            aliasSlot = order.map { aliasSlot[Int($0)] }
        }
        if pathBytes.capacity > pathBytes.count + pathBytes.count / 8 + 4096 {
            // Already sorted (a parsed manifest): give back the growth slack before keeping it.
            pathBytes = pathBytes.withUnsafeBufferPointer { Array($0) }
        }
        var aliasTargets = [Int32](repeating: -1, count: pathEnds.count)
        if let first = aliasSlot.firstIndex(where: { $0 <= -2 }) {
            // Aliases of rows: the target's position after the sort (rows are never dropped
            // as targets: only weak aliases are).
            var position = [Int32](repeating: -1, count: n)
            for (index, row) in order.enumerated() { position[Int(row)] = Int32(index) }  // weak aliases: always sorted
            for row in first..<aliasSlot.count where aliasSlot[row] <= -2 {
                aliasTargets[row] = position[Int(-2 - aliasSlot[row])]
            }
        }
        var unresolved: [String] = []
        if !aliasEnds.isEmpty {
            let partial = ManifestTable(pathBytes: pathBytes, pathEnds: pathEnds, sizes: [], hashes: [], headerIndex: [], headerSets: [],
                                        aliasTargets: [], unresolvedAliases: [])
            aliasBytes.withUnsafeBufferPointer { bytes in
                for row in 0..<pathEnds.count where aliasSlot[row] >= 0 {
                    let slot = Int(aliasSlot[row])
                    let target = UnsafeBufferPointer(rebasing: bytes[packedRange(aliasEnds, slot)])
                    if let index = partial.index(of: target) {
                        aliasTargets[row] = Int32(index)
                    } else {
                        aliasTargets[row] = Int32(-2 - unresolved.count)
                        unresolved.append(String(decoding: target, as: UTF8.self))
                    }
                }
            }
        }
        return ManifestTable(pathBytes: pathBytes, pathEnds: pathEnds, sizes: sizes, hashes: hashes, headerIndex: headerIndex,
                             headerSets: headerSets, aliasTargets: aliasTargets, unresolvedAliases: unresolved)
    }
}

extension FileHeaders: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(contentType)
        hasher.combine(cacheControl)
        hasher.combine(contentEncoding)
        hasher.combine(extra.count)
        for pair in extra {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}

/// A manifest's entries, read from its columns on access.
public struct ManifestEntries: RandomAccessCollection, Sendable, Equatable {
    let table: ManifestTable

    public var startIndex: Int { 0 }
    public var endIndex: Int { table.count }
    public subscript(position: Int) -> ManifestEntry { table.entry(position) }

    /// The path of entry `index`, without building the whole entry.
    public func path(at index: Int) -> String { table.path(index) }
    /// The UTF-8 length of entry `index`'s path.
    public func pathLength(at index: Int) -> Int { table.pathRange(index).count }
    public func hash(at index: Int) -> ContentHash { table.hashes[index] }
    public func size(at index: Int) -> Int64 { table.sizes[index] }
    public func headers(at index: Int) -> FileHeaders { table.headerSets[Int(table.headerIndex[index])] }

    /// Byte-wise order of this collection's path `index` and `other`'s path `otherIndex`
    /// (negative, zero or positive).
    public func comparePath(at index: Int, with other: ManifestEntries, at otherIndex: Int) -> Int {
        table.pathBytes.withUnsafeBufferPointer { a in
            other.table.pathBytes.withUnsafeBufferPointer { b in
                ManifestTable.compare(UnsafeBufferPointer(rebasing: a[table.pathRange(index)]),
                                      UnsafeBufferPointer(rebasing: b[other.table.pathRange(otherIndex)]))
            }
        }
    }

    public static func == (lhs: ManifestEntries, rhs: ManifestEntries) -> Bool {
        if lhs.table === rhs.table { return true }
        return lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

// MARK: - Writing

/// Bytes written through a fixed buffer, flushed to `sink` whenever it fills.
final class ByteWriter {
    private var buffer: [UInt8] = []
    private let capacity: Int
    private let sink: (UnsafeBufferPointer<UInt8>) throws -> Void
    private(set) var failure: (any Error)?

    init(capacity: Int = 64 << 10, sink: @escaping (UnsafeBufferPointer<UInt8>) throws -> Void) {
        self.capacity = capacity
        self.sink = sink
        buffer.reserveCapacity(capacity)
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        if failure == nil {
            do { try buffer.withUnsafeBufferPointer { try sink($0) } } catch { failure = error }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    @inline(__always) func append(_ byte: UInt8) {
        if buffer.count >= capacity { flush() }
        buffer.append(byte)
    }

    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if buffer.count + bytes.count > capacity { flush() }
        if bytes.count > capacity {
            if failure == nil { do { try sink(bytes) } catch { failure = error } }
            return
        }
        buffer.append(contentsOf: bytes)
    }

    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    func append(literal: StaticString) {
        append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    func appendDecimal(_ value: Int64) {
        var text = String(value)
        text.withUTF8 { append($0) }
    }

    func appendHex(_ hash: ContentHash) {
        let digits: StaticString = "0123456789abcdef"
        let table = UnsafeBufferPointer(start: digits.utf8Start, count: 16)
        for word in [hash.high, hash.low] {
            for i in 0..<16 { append(table[Int((word >> (60 - 4 * UInt64(i))) & 0xf)]) }
        }
    }

    /// A JSON string of UTF-8 bytes, escaped as ``JSONValue`` does.
    func appendJSONString(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        if !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) {
            append(bytes)
        } else {
            var escaped: [UInt8] = []
            JSONText.appendEscaped(bytes, to: &escaped)
            append(escaped)
        }
        append(UInt8(ascii: "\""))
    }
}

/// JSON string escaping on bytes, the same as ``JSONValue``'s: `\"`, `\\`, `\n`, `\r`, `\t`,
/// `\u00XX` for other control characters; everything else as it is. (UTF-8 multi-byte
/// sequences never contain these bytes, so escaping bytes equals escaping scalars.)
enum JSONText {
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var copy = text
        copy.withUTF8 { appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        for byte in bytes {
            switch byte {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
    }
}

// MARK: - Reading

/// A manifest written in a format newer than this sitebuild reads (its `sitebuild` field):
/// upgrading sitebuild is the way on, not repairing the file.
public struct ManifestFormatTooNew: Error, Sendable, CustomStringConvertible {
    public var found: String
    public var description: String {
        "written by a newer sitebuild (format \(found); this one reads \(Manifest.format)): upgrade sitebuild"
    }
}

/// Reads a manifest file in pieces: the entries array is cut into one small JSON text per
/// entry (each parsed on its own and added to the table), and everything else is kept as
/// the small "head" object. Memory stays at one entry plus the table, whatever the file's
/// size, so the live manifest of a large site never sits in memory as text or as a tree.
struct ManifestReader {
    private var head: [UInt8] = []
    private var element: [UInt8] = []
    private var builder = ManifestTableBuilder()
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// The last string completed at depth 1 (a key, when a `[` follows).
    private var lastString: [UInt8] = []
    private var collectingString = false
    private var inEntries = false
    private var sawEntries = false
    /// Between entries: one just ended (a ',' or ']' must follow), or a ',' was read.
    private var afterElement = false
    private var afterComma = false
    private var offset = 0
    private(set) var entryCount = 0
    /// The sizes of the entries read so far.
    private var sizeTotal: Int64 = 0
    /// When set, each entry goes here instead of into a table.
    private var visit: ((ManifestEntry) throws -> Void)?
    /// Reads only the head: once the entries begin, the rest is ignored (``headComplete``).
    private var headOnly = false
    /// Whether the head has been read whole (the entries have begun).
    private(set) var headComplete = false

    init() {}

    /// A reader of the head alone (``ManifestHead``): it stops where the entries begin.
    init(headOnly: Bool) {
        self.headOnly = headOnly
    }

    /// A reader that hands each entry to `visit` and keeps none of them.
    init(visiting visit: @escaping (ManifestEntry) throws -> Void) {
        self.visit = visit
    }

    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        for byte in bytes {
            try consume(byte)
            offset += 1
            if headComplete { return }
        }
    }

    private mutating func consume(_ byte: UInt8) throws {
        if inEntries && depth >= 2 {
            // Inside the entries array: elements (depth ≥ 3 inside each) go to `element`.
            if inString {
                element.append(byte)
                if escaped { escaped = false } else if byte == 0x5c { escaped = true } else if byte == 0x22 { inString = false }
                return
            }
            switch byte {
            case 0x22:
                guard depth >= 3 else { throw failure("an entry that is not an object") }
                inString = true
                element.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 2 {
                    guard byte == UInt8(ascii: "{") else { throw failure("an entry that is not an object") }
                    guard !afterElement else { throw failure("expected ',' between entries") }
                    afterComma = false
                }
                depth += 1
                element.append(byte)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 2 {
                    guard byte == UInt8(ascii: "]"), !afterComma else { throw failure("expected an entry or ']'") }
                    depth = 1
                    inEntries = false
                    head += Array("[]".utf8)
                    return
                }
                depth -= 1
                element.append(byte)
                if depth == 2 {
                    try finishElement()
                    afterElement = true
                }
            case UInt8(ascii: ","):
                if depth > 2 {
                    element.append(byte)
                } else {
                    guard afterElement else { throw failure("expected an entry before ','") }
                    afterElement = false
                    afterComma = true
                }
            case 0x20, 0x0a, 0x0d, 0x09:
                if depth > 2 { element.append(byte) }
            default:
                guard depth >= 3 else { throw failure("an entry that is not an object") }
                element.append(byte)
            }
            return
        }
        head.append(byte)
        if inString {
            if escaped {
                escaped = false
            } else if byte == 0x5c {
                escaped = true
            } else if byte == 0x22 {
                inString = false
                collectingString = false
                return
            }
            if collectingString { lastString.append(byte) }
            return
        }
        switch byte {
        case 0x22:
            inString = true
            if depth == 1 {
                collectingString = true
                lastString.removeAll(keepingCapacity: true)
            }
        case UInt8(ascii: "{"):
            depth += 1
        case UInt8(ascii: "["):
            depth += 1
            if depth == 2 && lastString.elementsEqual("entries".utf8) && !sawEntries {
                head.removeLast()
                inEntries = true
                sawEntries = true
                if headOnly {
                    headComplete = true
                    return
                }
                if visit == nil, let count = Self.declaredFileCount(in: head) { builder.reserve(entries: min(count, 50_000_000)) }
            }
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth < 0 { throw failure("unbalanced brackets") }
        default:
            break
        }
    }

    /// The `"fileCount":N` written before the entries, if the head has it (a size hint only:
    /// the entries themselves are what is read).
    static func declaredFileCount(in head: [UInt8]) -> Int? {
        let key = Array("\"fileCount\":".utf8)
        guard head.count > key.count else { return nil }
        var start = 0
        while start + key.count <= head.count {
            if head[start] == key[0], head[start..<(start + key.count)].elementsEqual(key) { break }
            start += 1
        }
        var index = start + key.count
        guard index < head.count else { return nil }
        var value = 0
        var digits = 0
        while index < head.count, head[index] >= 0x30, head[index] <= 0x39, digits < 12 {
            value = value * 10 + Int(head[index] - 0x30)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private mutating func finishElement() throws {
        let value = try element.withUnsafeBufferPointer { bytes in
            var parser = JSONByteParser(bytes: bytes)
            return try parser.value(depth: 0)
        }
        element.removeAll(keepingCapacity: true)
        entryCount += 1
        guard let path = value["path"]?.stringValue, let size = value["size"]?.intValue, let hex = value["hash"]?.stringValue,
              let hash = ContentHash(hex: hex), let type = value["contentType"]?.stringValue,
              let cache = value["cacheControl"]?.stringValue else {
            throw ArchiveError("a manifest entry is incomplete: \(value.serialized().prefix(200))")
        }
        // Paths are joined to a version's folder (placing, serving, deleting): one that is not
        // what a manifest is written with (`..`, absolute, empty segments) would lead outside it.
        let advice = " (not a path sitebuild writes: the manifest was altered)"
        do {
            try PathValidation.checkSegments(path, rename: advice, controlCharacters: false)
            if let alias = value["aliasOf"]?.stringValue { try PathValidation.checkSegments(alias, rename: advice, controlCharacters: false) }
        } catch let failure as PathValidation.Failure {
            throw ArchiveError("a manifest entry's path \(failure.description)")
        }
        guard size >= 0 else { throw ArchiveError("the manifest entry '\(path)' has a negative size (\(size))") }
        // The sizes are added up (the version's bytes): a total past Int64 would trap there.
        let (total, overflow) = sizeTotal.addingReportingOverflow(size)
        guard !overflow else { throw ArchiveError("the manifest's sizes add up past \(Int64.max) bytes at the entry '\(path)' (\(size) bytes)") }
        sizeTotal = total
        var extra: [(String, String)] = []
        if case .object(let pairs)? = value["headers"] {
            extra = pairs.compactMap { pair in pair.1.stringValue.map { (pair.0, $0) } }
        }
        let headers = FileHeaders(contentType: type, cacheControl: cache, contentEncoding: value["contentEncoding"]?.stringValue, extra: extra)
        if let visit {
            try visit(ManifestEntry(path: path, size: size, hash: hash, headers: headers, aliasOf: value["aliasOf"]?.stringValue))
        } else {
            builder.append(path: path, size: size, hash: hash, headers: headers, aliasOf: value["aliasOf"]?.stringValue)
        }
    }

    private func failure(_ reason: String) -> JSONParseError { JSONParseError(offset: offset, reason: reason) }

    /// The manifest's version, metadata and the rest of its head, once every byte was fed (or,
    /// read with `init(headOnly:)`, once ``headComplete``: the entries are taken for empty).
    private func finishHead() throws -> (version: String, head: JSONValue, metadata: [(String, String)]) {
        if headOnly {
            guard headComplete, depth == 2 else { throw JSONParseError(offset: offset, reason: "unexpected end before the entries") }
        } else {
            guard depth == 0, !inString else { throw JSONParseError(offset: offset, reason: "unexpected end") }
        }
        let value = try JSONValue.parse(Data(headOnly ? head + Array("[]}".utf8) : head))
        guard let version = value["version"]?.stringValue, sawEntries, case .array? = value["entries"] else {
            throw ArchiveError("not a sitebuild manifest (no version or entries)")
        }
        // A format this sitebuild does not know may mean anything its fields say (or leave out).
        if let format = value["sitebuild"], format.intValue.map({ $0 > Manifest.format }) ?? true {
            throw ManifestFormatTooNew(found: format.serialized())
        }
        var metadata: [(String, String)] = []
        if case .object(let pairs)? = value["metadata"] {
            metadata = pairs.compactMap { pair in pair.1.stringValue.map { (pair.0, $0) } }
        }
        return (version, value, metadata)
    }

    /// The head of a manifest read with `init(headOnly:)`, once ``headComplete``.
    func finishHeadOnly() throws -> ManifestHead {
        let (version, value, metadata) = try finishHead()
        let count: (String) -> Int64? = { key in value[key]?.intValue.flatMap { $0 >= 0 ? $0 : nil } }
        return ManifestHead(version: version, metadata: metadata, fileCount: count("fileCount").map(Int.init), totalBytes: count("totalBytes"),
                            aliasCount: count("aliasCount").map(Int.init), aliasBytes: count("aliasBytes"))
    }

    /// The version named by a manifest read with `init(visiting:)`, once every byte was fed.
    func finishVisiting() throws -> String {
        try finishHead().version
    }

    /// The manifest, once every byte was fed.
    consuming func finish() throws -> Manifest {
        let (version, _, metadata) = try finishHead()
        return Manifest(table: builder.finish(), version: version, metadata: metadata)
    }
}
