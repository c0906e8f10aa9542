import Foundation

/// Remembers each file's hash by (device, inode, size, mtime and ctime in ns), so an
/// unchanged tree re-hashes in a stat walk. ctime catches a rewrite whose mtime was put
/// back (`cp -p`, builds that pin mtimes). On file systems with whole-second times, a file
/// changed within the last two seconds is not cached, since a second change in the same
/// second would look the same (git's "racy" rule). Stored as text lines under the cache directory, one file per tree
/// root, the last line a checksum of the others: a cache file that does not match it (damaged,
/// cut off, edited) is ignored whole, since one wrong hash read from it would give a wrong
/// version id.
public final class StatCache: @unchecked Sendable {
    // @unchecked: `records` is only read while hashing; `pending` is set by the one hasher
    // run and read by `save()` under `lock`.
    public struct Key: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: Int64
        var ctime: Int64
    }

    /// A file's identity and its hash. The key alone identifies the bytes (the same device
    /// and inode is the same file; size, mtime and ctime move when it is written), so the
    /// records are looked up by key, sorted by (device, inode), with no path kept in memory.
    struct Record {
        var key: Key
        var hash: ContentHash
    }

    private var records: [Record] = []
    private var pending: (files: HashedFiles, keys: [Key], changed: Bool)?
    private let lock = NSLock()
    let file: String?

    /// An empty in-memory cache.
    public init() {
        file = nil
    }

    /// The file of the cache for the tree at `root` kept in `directory`.
    public static func file(directory: String, root: String) -> String {
        directory + "/" + ContentHash(of: root).hex + ".v2.tsv"
    }

    /// The cache for the tree at `root`, kept in `directory`.
    public init(directory: String, root: String) {
        let file = Self.file(directory: directory, root: root)
        self.file = file
        load()
        // Marked as used (a no-change deploy writes nothing), so that age alone evicts it.
        utimensat(AT_FDCWD, file, nil, 0)
    }

    /// How long a tree's cache is kept unused: one per folder ever deployed, and CI runners
    /// deploy from a new temporary folder each time.
    static let unusedLifetime: TimeInterval = 30 * 86_400

    /// Removes the caches in `directory` not used for ``unusedLifetime`` (and temporary files
    /// a killed save left over a day ago), except `keeping`.
    static func evictUnused(in directory: String, keeping: String, now: Date = Date()) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasSuffix(".tsv") || name.hasSuffix(".tmp") {
            let path = directory + "/" + name
            guard path != keeping else { continue }
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let age = now.timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
            if age > (name.hasSuffix(".tmp") ? 86_400 : unusedLifetime) { unlink(path) }
        }
    }

    func lookup(_ key: Key) -> ContentHash? {
        var low = 0, high = records.count
        while low < high {
            let mid = (low + high) / 2
            let probe = records[mid].key
            if probe.device < key.device || (probe.device == key.device && probe.inode < key.inode) { low = mid + 1 } else { high = mid }
        }
        guard low < records.count, records[low].key == key else { return nil }
        return records[low].hash
    }

    /// What the last hashing of the tree found, for `save()`.
    func remember(files: HashedFiles, keys: [Key], changed: Bool) {
        lock.lock()
        pending = (files, keys, changed || keys.count != records.count)
        lock.unlock()
    }

    /// Whether a file with this key may be cached: on a file system with whole-second
    /// times, a change in the same second as the cache entry would look unchanged.
    static func isCacheable(_ key: Key, now: Date = Date()) -> Bool {
        let coarse = key.mtime % 1_000_000_000 == 0 && key.ctime % 1_000_000_000 == 0
        guard coarse else { return true }
        let racyAfter = (Int64(now.timeIntervalSince1970) - 2) * 1_000_000_000
        return key.mtime < racyAfter && key.ctime < racyAfter
    }

    /// Writes what the last hashing found back to the cache file (streamed to a temporary
    /// file, then renamed), and frees the loaded table: call it once, after hashing.
    /// Nothing is written when nothing changed.
    public func save() {
        lock.lock()
        let taken = pending
        pending = nil
        // The lookups are done: free the table before the manifest is built.
        records = []
        lock.unlock()
        guard let file, let (files, keys, changed) = taken, changed else { return }
        let directory = (file as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = file + ".\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        var failed = false
        let checksum = ContentHasher()
        let writer = ByteWriter { bytes in
            checksum.update(UnsafeRawBufferPointer(bytes))
            if !writeFully(descriptor, UnsafeRawBufferPointer(bytes)) { failed = true }
        }
        let now = Date()
        files.pathBytes.withUnsafeBufferPointer { bytes in
            for index in 0..<keys.count {
                let key = keys[index]
                let path = UnsafeBufferPointer(rebasing: bytes[files.pathRange(index)])
                guard Self.isCacheable(key, now: now), !path.contains(9), !path.contains(10) else { continue }
                for number in [key.device, key.inode] {
                    var text = String(number)
                    text.withUTF8 { writer.append($0) }
                    writer.append(9)
                }
                for number in [key.size, key.mtime, key.ctime] {
                    writer.appendDecimal(number)
                    writer.append(9)
                }
                writer.appendHex(files.hashes[index])
                writer.append(9)
                writer.append(path)
                writer.append(10)
            }
        }
        writer.flush()
        var trailer = Self.checksumPrefix + checksum.finalize().hex + "\n"
        if !trailer.withUTF8({ writeFully(descriptor, UnsafeRawBufferPointer($0)) }) { failed = true }
        close(descriptor)
        if failed || writer.failure != nil || rename(temporary, file) != 0 { unlink(temporary) }
        Self.evictUnused(in: directory, keeping: file)
    }

    /// The start of the cache file's last line, followed by the checksum (XXH3-128, hex) of
    /// every byte before it.
    static let checksumPrefix = "#checksum\t"

    private func load() {
        guard let file else { return }
        var carry: [UInt8] = []
        let checksum = ContentHasher()
        let prefix = Array(Self.checksumPrefix.utf8)
        // nil while reading entries; then whether the checksum line matched with nothing after it.
        var verified: Bool?
        // One line, its newline included (the checksum covers it).
        let readLine = { (line: UnsafeBufferPointer<UInt8>) in
            let text = UnsafeBufferPointer(rebasing: line.dropLast())
            if verified != nil {
                verified = false
            } else if text.starts(with: prefix) {
                verified = String(decoding: text.dropFirst(prefix.count), as: UTF8.self) == checksum.finalize().hex
            } else {
                checksum.update(UnsafeRawBufferPointer(line))
                self.parseLine(text)
            }
        }
        do {
            try forEachChunk(ofFile: file) { bytes in
                var lineStart = 0
                for i in 0..<bytes.count where bytes[i] == 10 {
                    if carry.isEmpty {
                        readLine(UnsafeBufferPointer(rebasing: bytes[lineStart...i]))
                    } else {
                        carry.append(contentsOf: bytes[lineStart...i])
                        carry.withUnsafeBufferPointer { readLine($0) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    lineStart = i + 1
                }
                carry.append(contentsOf: bytes[lineStart...])
            }
        } catch {
            verified = false
        }
        // Without its checksum line (damaged, cut off, or written before there was one), or
        // with anything after it: not one hash of it is trusted.
        guard verified == true, carry.isEmpty else {
            records = []
            return
        }
        records.sort { $0.key.device != $1.key.device ? $0.key.device < $1.key.device : $0.key.inode < $1.key.inode }
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
            // Wrapping: a number past Int64 (a damaged line) must not trap; such a key matches no file.
            numbers.append(negative ? 0 &- value : value)
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
        records.append(Record(key: Key(device: numbers[0], inode: numbers[1], size: Int64(bitPattern: numbers[2]),
                                       mtime: Int64(bitPattern: numbers[3]), ctime: Int64(bitPattern: numbers[4])),
                              hash: ContentHash(high: high, low: low)))
    }
}
