import SiteContent

/// Content that complete versions already hold, found by hash: what a new version can copy
/// server-side (or hard-link) instead of uploading. An index of each manifest's entries
/// sorted by hash (4 bytes per entry) and a binary search, instead of a dictionary of keys.
struct ReusableContent: Sendable {
    private struct Source: Sendable {
        var manifest: Manifest
        /// Entry indices sorted by hash.
        var byHash: [Int32]
    }

    private let sources: [Source]

    /// The manifests' content, leaving out the version being deployed.
    init(_ manifests: [Manifest], excluding version: String) {
        sources = manifests.filter { $0.version != version }.map { manifest in
            let entries = manifest.entries
            let order = (0..<Int32(entries.count)).sorted { entries.hash(at: Int($0)) < entries.hash(at: Int($1)) }
            return Source(manifest: manifest, byHash: order)
        }
    }

    /// A version and path holding `hash` with `size` bytes, the first manifest first.
    func find(_ hash: ContentHash, size: Int64) -> (version: String, path: String)? {
        for source in sources {
            let entries = source.manifest.entries
            var position = Self.firstPosition(of: hash, in: source)
            while position < source.byHash.count, entries.hash(at: Int(source.byHash[position])) == hash {
                let index = Int(source.byHash[position])
                if entries.size(at: index) == size { return (source.manifest.version, entries.path(at: index)) }
                position += 1
            }
        }
        return nil
    }

    /// Whether any reusable version holds `hash`.
    func contains(_ hash: ContentHash) -> Bool {
        sources.contains { source in
            let position = Self.firstPosition(of: hash, in: source)
            return position < source.byHash.count && source.manifest.entries.hash(at: Int(source.byHash[position])) == hash
        }
    }

    /// The first position in `byHash` whose hash is not below `hash`.
    private static func firstPosition(of hash: ContentHash, in source: Source) -> Int {
        let entries = source.manifest.entries
        var low = 0, high = source.byHash.count
        while low < high {
            let mid = (low + high) / 2
            if entries.hash(at: Int(source.byHash[mid])) < hash { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
