import CXXHash
import Dispatch
import Foundation

/// One file of a built tree with its content hash.
public struct HashedFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var hash: ContentHash
    public var executable: Bool
}

/// Hashes every file of a tree with XXH3-128: streaming in large blocks (no whole file in
/// memory), in parallel across cores, skipping files the stat cache already knows.
public struct TreeHasher: Sendable {
    /// Read size per call; large files are read in blocks of this size. Small enough to
    /// stay in the L2 cache between the kernel's copy and the hash (measured: 128 KiB
    /// beats 1 MiB by about a tenth on this machine's 1 GiB benchmark).
    public var blockSize: Int = 128 << 10
    /// How many files are hashed at once (default: the number of cores).
    public var concurrency: Int = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    public struct Result: Sendable {
        public var files: [HashedFile]
        /// Files whose bytes were read (the rest came from the stat cache).
        public var hashedCount: Int
        public var hashedBytes: Int64
    }

    /// Hashes the regular files below `root` (links are followed; a link to a directory
    /// is walked with loop protection). Paths are `/`-separated and relative to `root`.
    public func hash(root: String, cache: StatCache = StatCache()) throws -> Result {
        let entries = FileWalker(followSymlinks: true).walk(root).filter { $0.kind == .file }
        var results = [HashedFile?](repeating: nil, count: entries.count)
        var failures = [String?](repeating: nil, count: entries.count)
        var readFlags = [Bool](repeating: false, count: entries.count)

        // Biggest first, so one large file does not finish alone at the end.
        let order = entries.indices.sorted { entries[$0].size > entries[$1].size }
        let workers = max(1, min(concurrency, order.count))
        let next = WorkCounter()
        let blockSize = self.blockSize
        results.withUnsafeMutableBufferPointer { resultBuffer in
            failures.withUnsafeMutableBufferPointer { failureBuffer in
                readFlags.withUnsafeMutableBufferPointer { readBuffer in
                    nonisolated(unsafe) let results = resultBuffer
                    nonisolated(unsafe) let failures = failureBuffer
                    nonisolated(unsafe) let reads = readBuffer
                    DispatchQueue.concurrentPerform(iterations: workers) { _ in
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
                        defer { buffer.deallocate() }
                        let state = sb_xxh3_new()
                        defer { sb_xxh3_free(state) }
                        while true {
                            let n = next.take()
                            guard n < order.count else { return }
                            let index = order[n]
                            let entry = entries[index]
                            let key = StatCache.Key(device: entry.device, inode: entry.inode, size: entry.size, mtime: entry.mtimeNanoseconds,
                                                   ctime: entry.ctimeNanoseconds)
                            if let cached = cache.lookup(entry.path, key) {
                                results[index] = HashedFile(path: entry.path, size: entry.size, hash: cached, executable: entry.mode & 0o111 != 0)
                                continue
                            }
                            do {
                                let hash = try Self.hashFile(root + "/" + entry.path, state: state, buffer: buffer)
                                cache.store(entry.path, key, hash)
                                results[index] = HashedFile(path: entry.path, size: entry.size, hash: hash, executable: entry.mode & 0o111 != 0)
                                reads[index] = true
                            } catch {
                                failures[index] = "\(error)"
                            }
                        }
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw ArchiveError(failure) }
        let files = results.compactMap { $0 }
        var hashedBytes: Int64 = 0
        for (i, read) in readFlags.enumerated() where read { hashedBytes += entries[i].size }
        return Result(files: files, hashedCount: readFlags.filter { $0 }.count, hashedBytes: hashedBytes)
    }

    static func hashFile(_ path: String, state: OpaquePointer?, buffer: UnsafeMutableRawBufferPointer) throws -> ContentHash {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = sb_xxh3_reset(state)
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            _ = sb_xxh3_update(state, buffer.baseAddress, n)
        }
        var high: UInt64 = 0, low: UInt64 = 0
        sb_xxh3_digest(state, &high, &low)
        return ContentHash(high: high, low: low)
    }
}

extension ContentHash {
    /// The XXH3-128 of a file's bytes, read in blocks.
    public init(ofFile path: String) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 << 10, alignment: 64)
        defer { buffer.deallocate() }
        let state = sb_xxh3_new()
        defer { sb_xxh3_free(state) }
        self = try TreeHasher.hashFile(path, state: state, buffer: buffer)
    }
}
