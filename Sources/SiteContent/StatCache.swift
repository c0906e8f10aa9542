import Foundation

/// Remembers each file's hash by (device, inode, size, mtime and ctime in ns), so an
/// unchanged tree re-hashes in a stat walk. ctime catches a rewrite whose mtime was put
/// back (`cp -p`, builds that pin mtimes). On file systems with whole-second times, a file
/// changed within the last two seconds is not cached, since a second change in the same
/// second would look the same (git's "racy" rule). Stored as text lines under the cache directory, one file per tree
/// root; a damaged cache file is ignored.
public final class StatCache: @unchecked Sendable {
    // @unchecked: `entries` is only read during hashing and replaced under `lock`.
    struct Key: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: Int64
        var ctime: Int64
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
        file = directory + "/" + ContentHash(of: root).hex + ".v2.tsv"
        load()
    }

    func lookup(_ path: String, _ key: Key) -> ContentHash? {
        guard let (cachedKey, hash) = entries[path], cachedKey == key else { return nil }
        return hash
    }

    func store(_ path: String, _ key: Key, _ hash: ContentHash) {
        // On a file system with whole-second times, a change in the same second as the
        // cache entry would look unchanged: do not cache files that recent there.
        let coarse = key.mtime % 1_000_000_000 == 0 && key.ctime % 1_000_000_000 == 0
        if coarse {
            let racyAfter = (Int64(Date().timeIntervalSince1970) - 2) * 1_000_000_000
            guard key.mtime < racyAfter, key.ctime < racyAfter else { return }
        }
        lock.lock()
        updates[path] = (key, hash)
        lock.unlock()
    }

    /// Writes the cache back, keeping only the paths seen in this walk. Nothing is
    /// written when nothing changed.
    public func save(keeping paths: [String]) {
        guard let file else { return }
        if updates.isEmpty && paths.count == entries.count && paths.allSatisfy({ entries[$0] != nil }) { return }
        lock.lock()
        let merged = entries.merging(updates) { $1 }
        lock.unlock()
        var text = ""
        text.reserveCapacity(paths.count * 100)
        for path in paths {
            guard let (key, hash) = merged[path], !path.contains("\t"), !path.contains("\n") else { continue }
            text += "\(key.device)\t\(key.inode)\t\(key.size)\t\(key.mtime)\t\(key.ctime)\t\(hash.hex)\t\(path)\n"
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

    /// `device \t inode \t size \t mtime \t ctime \t hash \t path`, parsed without building strings
    /// for the numbers.
    private func parseLine(_ line: UnsafeBufferPointer<UInt8>) {
        var numbers: [UInt64] = []
        var position = 0
        while numbers.count < 5 {
            var value: UInt64 = 0
            var digits = 0
            var negative = false
            if position < line.count && line[position] == 0x2d { negative = true; position += 1 }
            while position < line.count, line[position] >= 0x30, line[position] <= 0x39 {
                value = value &* 10 &+ UInt64(line[position] - 0x30)
                position += 1
                digits += 1
            }
            guard digits > 0, position < line.count, line[position] == 9 else { return }
            numbers.append(negative ? UInt64(bitPattern: -Int64(value)) : value)
            position += 1
        }
        guard position + 33 < line.count, line[position + 32] == 9 else { return }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<32 {
            let c = line[position + i]
            let nibble: UInt64
            switch c {
            case 0x30...0x39: nibble = UInt64(c - 0x30)
            case 0x61...0x66: nibble = UInt64(c - 0x61 + 10)
            default: return
            }
            if i < 16 { high = high << 4 | nibble } else { low = low << 4 | nibble }
        }
        let path = String(decoding: UnsafeBufferPointer(rebasing: line[(position + 33)...]), as: UTF8.self)
        entries[path] = (Key(device: numbers[0], inode: numbers[1], size: Int64(bitPattern: numbers[2]), mtime: Int64(bitPattern: numbers[3]),
                                 ctime: Int64(bitPattern: numbers[4])),
                         ContentHash(high: high, low: low))
    }
}
