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

/// The files of a hashed tree, in walk order, kept in columns (every path in one byte
/// buffer): a few dozen bytes per file instead of a `String` and a struct each.
public struct HashedFiles: RandomAccessCollection, Sendable, Equatable {
    let pathBytes: [UInt8]
    let pathEnds: [UInt32]
    let sizes: [Int64]
    let hashes: [ContentHash]
    let executable: [Bool]

    public var startIndex: Int { 0 }
    public var endIndex: Int { pathEnds.count }

    func pathRange(_ index: Int) -> Range<Int> { packedRange(pathEnds, index) }

    public func path(at index: Int) -> String {
        pathBytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[pathRange(index)]), as: UTF8.self) }
    }

    public subscript(position: Int) -> HashedFile {
        HashedFile(path: path(at: position), size: sizes[position], hash: hashes[position], executable: executable[position])
    }

    public var totalBytes: Int64 { sizes.reduce(0, +) }

    init(pathBytes: [UInt8], pathEnds: [UInt32], sizes: [Int64], hashes: [ContentHash], executable: [Bool]) {
        self.pathBytes = pathBytes
        self.pathEnds = pathEnds
        self.sizes = sizes
        self.hashes = hashes
        self.executable = executable
    }

    /// No files.
    init() { self.init(pathBytes: [], pathEnds: [], sizes: [], hashes: [], executable: []) }
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
    /// Paths below the root that are not part of the tree (sitebuild's own state directory,
    /// a local target inside the deployed directory, its settings file), with what is below them.
    public var excluding: [String] = []
    /// Links are followed only to these directories (real paths) and below; empty: anywhere.
    public var confinedTo: [String] = []
    /// Names never part of a site, wherever they are below the root: a `.git` directory (or a
    /// worktree's `.git` file) holds the repository's history and its remote URLs, tokens
    /// included; a `.sitebuild` folder is sitebuild's state (a local target's release records
    /// and every version, fetched sources, build outputs).
    public var excludingNames: Set<String> = [".git", ".sitebuild"]
    /// Leave out the files and folders of credentials (``CredentialFiles``: `.env`, `.npmrc`,
    /// `*.pem`, `.aws/`…, in any case and their backup copies), wherever they are: a deploy of
    /// a project folder would publish them. Reported in ``Result/excludedByName`` by their names.
    public var excludingCredentialFiles = true
    /// Leave out folders below the root that are local targets (``FileWalker/skippingTargets``):
    /// another site's versions and release records (`sitebuild deploy sb --target pub/other-site`).
    public var excludingTargets = true

    /// Polled between files: when it answers true (a deploy interrupted by a signal), the
    /// workers stop and `hash` throws CancellationError.
    public var stopRequested: (@Sendable () -> Bool)?

    public init() {}

    public struct Result: Sendable {
        public var files: HashedFiles
        /// Files whose bytes were read (the rest came from the stat cache).
        public var hashedCount: Int
        public var hashedBytes: Int64
        /// Symbolic links whose target does not exist (left out), relative to the root.
        public var brokenLinks: [String] = []
        /// Symbolic links leading outside ``TreeHasher/confinedTo`` (left out).
        public var outsideLinks: [String] = []
        /// Paths left out for a name of ``TreeHasher/excludingNames`` or of credentials
        /// (``TreeHasher/excludingCredentialFiles``), by that name.
        public var excludedByName: [String: [String]] = [:]
        /// FIFOs, sockets and devices (left out), each with what it is.
        public var specialFiles: [String] = []
        /// Folders left out as local targets (``TreeHasher/excludingTargets``).
        public var localTargets: [String] = []
    }

    /// Hashes the regular files below `root` (links are followed; a link to a directory
    /// is walked with loop protection). Paths are `/`-separated and relative to `root`.
    /// What was found is remembered by `cache` for its `save()`.
    public func hash(root: String, cache: StatCache = StatCache()) throws -> Result {
        var pathBytes: [UInt8] = []
        var pathEnds: [UInt32] = []
        var keys: [StatCache.Key] = []
        var executable: [Bool] = []
        var brokenLinks: [String] = []
        var outsideLinks: [String] = []
        var excludedByName: [String: [String]] = [:]
        var walker = FileWalker(followSymlinks: true, skipping: FileWalker.identities(of: excluding))
        walker.confinedTo = confinedTo
        walker.skippingNames = excludingNames
        if excludingCredentialFiles { walker.skippingNamesMatching = CredentialFiles.matches }
        walker.skippingTargets = excludingTargets
        walker.reportsProblems = true
        var localTargets: [String] = []
        var unreadable: [String] = []
        var exhausted: [String] = []
        var notUTF8: [String] = []
        var specialFiles: [String] = []
        walker.walk(root) { entry in
            if let name = entry.skippedName {
                excludedByName[name, default: []].append(entry.path)
                return
            }
            if entry.skippedTarget {
                localTargets.append(entry.path)
                return
            }
            switch entry.problem {
            case .unreadable(let reason)?:
                unreadable.append("\(entry.path) (\(reason))")
                return
            case .exhausted(let reason)?:
                exhausted.append("\(entry.path) (\(reason))")
                return
            case .nameNotUTF8?:
                notUTF8.append(entry.path)
                return
            case .special(let what)?:
                specialFiles.append("\(entry.path) (\(what))")
                return
            case nil:
                break
            }
            if case .symlink = entry.kind {
                if entry.leadsOutside { outsideLinks.append(entry.path) } else { brokenLinks.append(entry.path) }
            }
            guard entry.kind == .file else { return }
            pathBytes.append(contentsOf: entry.path.utf8)
            pathEnds.append(UInt32(pathBytes.count))
            keys.append(StatCache.Key(device: entry.device, inode: entry.inode, size: entry.size, mtime: entry.mtimeNanoseconds,
                                      ctime: entry.ctimeNanoseconds))
            executable.append(entry.mode & 0o111 != 0)
        }
        // A folder that cannot be read would leave all its pages out of a version that then
        // goes live; an unreadable file already stops the hash below. Both are this machine's
        // state (permissions), as `aws s3 sync` reports them.
        // Out of open files or memory: this process's limits (not the input's state, exit 2).
        if !exhausted.isEmpty {
            throw ArchiveError("cannot read \(exhausted.count) folder(s) or file(s) below \(root): " + listSample(exhausted)
                + "; the process ran out of open files or memory: raise the open-file limit (ulimit -n) or lower --jobs")
        }
        if !unreadable.isEmpty {
            throw PathValidation.Failure(description: "cannot read \(unreadable.count) folder(s) or file(s) below \(root): "
                + listSample(unreadable) + "; fix their permissions (or leave them out of the site)")
        }
        if !notUTF8.isEmpty {
            throw PathValidation.Failure(description: "\(notUTF8.count) name(s) are not UTF-8, which URLs and S3 keys need: "
                + listSample(notUTF8) + "; rename them (convmv -f latin1 -t utf8)")
        }
        let count = keys.count
        var hashes = [ContentHash](repeating: ContentHash(high: 0, low: 0), count: count)
        var failures = [(any Error)?](repeating: nil, count: count)
        var readFlags = [Bool](repeating: false, count: count)

        // Biggest first, so one large file does not finish alone at the end.
        let order = (0..<Int32(count)).sorted { keys[Int($0)].size > keys[Int($1)].size }
        let workers = max(1, min(concurrency, order.count))
        let next = WorkCounter()
        let blockSize = self.blockSize
        let stopRequested = self.stopRequested
        let paths = pathBytes, ends = pathEnds, statKeys = keys
        hashes.withUnsafeMutableBufferPointer { hashBuffer in
            failures.withUnsafeMutableBufferPointer { failureBuffer in
                readFlags.withUnsafeMutableBufferPointer { readBuffer in
                    nonisolated(unsafe) let hashes = hashBuffer
                    nonisolated(unsafe) let failures = failureBuffer
                    nonisolated(unsafe) let reads = readBuffer
                    DispatchQueue.concurrentPerform(iterations: workers) { _ in
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
                        defer { buffer.deallocate() }
                        let state = sb_xxh3_new()
                        defer { sb_xxh3_free(state) }
                        while stopRequested?() != true {
                            let n = next.take()
                            guard n < order.count else { return }
                            let index = Int(order[n])
                            let key = statKeys[index]
                            if let cached = cache.lookup(key) {
                                hashes[index] = cached
                                continue
                            }
                            let range = packedRange(ends, index)
                            let path = root + "/" + paths.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
                            do {
                                hashes[index] = try Self.hashFile(path, state: state, buffer: buffer)
                                reads[index] = true
                            } catch {
                                failures[index] = error
                            }
                        }
                    }
                }
            }
        }
        if stopRequested?() == true { throw CancellationError() }
        if let failure = failures.first(where: { $0 != nil }) ?? nil { throw failure }
        let files = HashedFiles(pathBytes: pathBytes, pathEnds: pathEnds, sizes: keys.map(\.size), hashes: hashes, executable: executable)
        var hashedBytes: Int64 = 0
        var hashedCount = 0
        for (i, read) in readFlags.enumerated() where read {
            hashedBytes += keys[i].size
            hashedCount += 1
        }
        cache.remember(files: files, keys: keys, changed: hashedCount > 0)
        return Result(files: files, hashedCount: hashedCount, hashedBytes: hashedBytes, brokenLinks: brokenLinks, outsideLinks: outsideLinks,
                      excludedByName: excludedByName, specialFiles: specialFiles, localTargets: localTargets)
    }

    static func hashFile(_ path: String, state: OpaquePointer?, buffer: UnsafeMutableRawBufferPointer) throws -> ContentHash {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            // A file this user may not read is the input's state, as an unreadable folder is.
            if errno == EACCES || errno == EPERM {
                throw PathValidation.Failure(description: "cannot read \(path) (\(reason)); fix its permissions (or leave it out of the site)")
            }
            throw ArchiveError("cannot read \(path): \(reason)")
        }
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
