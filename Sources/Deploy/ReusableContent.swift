import SiteContent

/// Where a complete version already holds the bytes of a new manifest's entries: what the
/// new version can copy server-side (or hard-link) instead of uploading.
///
/// Built by streaming the other version's manifest file, so that manifest is never held in
/// memory: one pass finds entries whose path holds the same bytes in both versions (a
/// re-deploy: nearly all of them), a second pass, only for the entries left, finds their
/// bytes at other paths (moved or duplicated content). What is kept is 4 bytes per new
/// entry plus the paths of the second kind.
public struct ReusableContent: Sendable {
    /// The version holding the content, nil when there is nothing to reuse.
    public let version: String?
    /// Per entry of the new manifest: -1 nothing; 0 the same path in `version`;
    /// k > 0 the path `otherPaths[k - 1]`.
    private let sources: [Int32]
    private let otherPaths: [String]

    /// Nothing to reuse (a first deploy).
    public static let empty = ReusableContent(version: nil, sources: [], otherPaths: [])

    private init(version: String?, sources: [Int32], otherPaths: [String]) {
        self.version = version
        self.sources = sources
        self.otherPaths = otherPaths
    }

    /// What the manifest file `manifestFile` (of the complete version `version`) holds of
    /// `manifest`'s content. Nothing when `version` is the manifest's own version.
    public init(for manifest: Manifest, version: String, manifestFile: String) throws {
        guard version != manifest.version else {
            self = .empty
            return
        }
        let entries = manifest.entries
        var sources = [Int32](repeating: -1, count: entries.count)
        // Pass 1: the same bytes at the same path.
        let named = try Manifest.forEachEntry(inFile: manifestFile) { old in
            if let index = manifest.index(of: old.path), entries.hash(at: index) == old.hash, entries.size(at: index) == old.size {
                sources[index] = 0
            }
        }
        guard named == version else {
            throw DeployError("the manifest of \(version) names version \(named): it was not written by sitebuild for this version")
        }
        // Pass 2: entries still without a source, by hash; the first old path holding the
        // bytes serves all of them.
        let wanted = (0..<Int32(entries.count)).filter { sources[Int($0)] < 0 }.sorted { entries.hash(at: Int($0)) < entries.hash(at: Int($1)) }
        var otherPaths: [String] = []
        if !wanted.isEmpty {
            _ = try Manifest.forEachEntry(inFile: manifestFile) { old in
                var position = Self.firstPosition(of: old.hash, in: wanted, entries: entries)
                var added = false
                while position < wanted.count, entries.hash(at: Int(wanted[position])) == old.hash {
                    let index = Int(wanted[position])
                    if sources[index] < 0, entries.size(at: index) == old.size {
                        if !added {
                            otherPaths.append(old.path)
                            added = true
                        }
                        sources[index] = Int32(otherPaths.count)
                    }
                    position += 1
                }
            }
        }
        self.init(version: version, sources: sources, otherPaths: otherPaths)
    }

    /// The version and path already holding the bytes of `manifest`'s entry `index`.
    public func origin(of index: Int, in entries: ManifestEntries) -> (version: String, path: String)? {
        guard let version, index < sources.count else { return nil }
        let source = sources[index]
        if source < 0 { return nil }
        return (version, source == 0 ? entries.path(at: index) : otherPaths[Int(source) - 1])
    }

    /// Whether the entry at `index` can be made from a complete version's object.
    public func canReuse(_ index: Int) -> Bool {
        version != nil && index < sources.count && sources[index] >= 0
    }

    /// How many entries can be reused.
    public var reusableCount: Int { sources.count { $0 >= 0 } }

    /// The first position in `order` whose hash is not below `hash`.
    private static func firstPosition(of hash: ContentHash, in order: [Int32], entries: ManifestEntries) -> Int {
        var low = 0, high = order.count
        while low < high {
            let mid = (low + high) / 2
            if entries.hash(at: Int(order[mid])) < hash { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
