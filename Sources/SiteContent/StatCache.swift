import Foundation

/// Remembers each file's hash by (device, inode, size, mtime in ns), so an unchanged
/// tree re-hashes in a stat walk. Stored as text lines under the cache directory, one
/// file per tree root; a damaged cache file is ignored.
public final class StatCache: @unchecked Sendable {
    // @unchecked: `entries` is only read during hashing and replaced under `lock`.
    struct Key: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: Int64
    }

    private var entries: [String: (Key, ContentHash)] = [:]
    private var updates: [String: (Key, ContentHash)] = [:]
    private let lock = NSLock()
    let file: String?

    /// An empty in-memory cache.
    public init() {
        file = nil
    }

    /// The cache for the tree at `root`, kept in `directory`.
    public init(directory: String, root: String) {
        file = directory + "/" + ContentHash(of: root).hex + ".tsv"
        load()
    }

    func lookup(_ path: String, _ key: Key) -> ContentHash? {
        guard let (cachedKey, hash) = entries[path], cachedKey == key else { return nil }
        return hash
    }

    func store(_ path: String, _ key: Key, _ hash: ContentHash) {
        lock.lock()
        updates[path] = (key, hash)
        lock.unlock()
    }

    /// Writes the cache back, keeping only the paths seen in this walk.
    public func save(keeping paths: [String]) {
        guard let file else { return }
        lock.lock()
        let merged = entries.merging(updates) { $1 }
        lock.unlock()
        var text = ""
        text.reserveCapacity(paths.count * 100)
        for path in paths {
            guard let (key, hash) = merged[path], !path.contains("\t"), !path.contains("\n") else { continue }
            text += "\(key.device)\t\(key.inode)\t\(key.size)\t\(key.mtime)\t\(hash.hex)\t\(path)\n"
        }
        try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        entries = merged
        updates = [:]
    }

    private func load() {
        guard let file, let data = FileManager.default.contents(atPath: file) else { return }
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            for i in 0..<bytes.count where bytes[i] == 10 {
                parseLine(UnsafeBufferPointer(rebasing: bytes[lineStart..<i]))
                lineStart = i + 1
            }
        }
    }

    private func parseLine(_ line: UnsafeBufferPointer<UInt8>) {
        var fields: [Substring] = []
        let text = String(decoding: line, as: UTF8.self)
        fields = text.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, let device = UInt64(fields[0]), let inode = UInt64(fields[1]), let size = Int64(fields[2]),
              let mtime = Int64(fields[3]), fields[4].count == 32,
              let high = UInt64(fields[4].prefix(16), radix: 16), let low = UInt64(fields[4].suffix(16), radix: 16) else { return }
        entries[String(fields[5])] = (Key(device: device, inode: inode, size: size, mtime: mtime), ContentHash(high: high, low: low))
    }
}
