import Deploy
import Foundation
@testable import SiteContent
import Testing

@Suite("TreeHasher and StatCache")
struct TreeHasherTests {
    static let xxhsum = "/usr/bin/xxhsum"

    /// A tree with an empty file, small text, a nested binary, a file larger than 3 MiB
    /// (not a multiple of the block size) and an executable.
    static func makeTree(_ dir: TempDir) throws -> [String] {
        try dir.write("empty.txt", [])
        try dir.write("index.html", "<!doctype html><title>héllo</title>\n")
        try dir.write("assets/img/photo.bin", pseudoRandomBytes(100_003, seed: 9))
        try dir.write("big/blob.bin", pseudoRandomBytes(3 * 1024 * 1024 + 4_099, seed: 11))
        let script = try dir.write("bin/run.sh", "#!/bin/sh\necho hi\n")
        chmod(script, 0o755)
        return ["assets/img/photo.bin", "big/blob.bin", "bin/run.sh", "empty.txt", "index.html"]
    }

    /// `xxhsum -H2` of each file, run as one real subprocess.
    static func referenceHashes(root: String, paths: [String]) throws -> [String: String] {
        let result = try runProcess(xxhsum, ["-H2"] + paths.map { root + "/" + $0 })
        try #require(result.status == 0, "xxhsum failed: \(result.stderr)")
        var hashes: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            try #require(fields.count == 2, "unexpected xxhsum line: \(line)")
            let file = fields[1].trimmingCharacters(in: .whitespaces)
            hashes[String(file.dropFirst(root.count + 1))] = String(fields[0])
        }
        return hashes
    }

    @Test func hashesMatchXxhsumCommandLine() throws {
        let dir = try TempDir("treehash")
        let paths = try Self.makeTree(dir)
        let result = try TreeHasher().hash(root: dir.path)
        let expected = try Self.referenceHashes(root: dir.path, paths: paths)
        #expect(expected.count == paths.count)
        #expect(result.files.map(\.path).sorted() == paths)
        for file in result.files {
            #expect(file.hash.hex == expected[file.path], "\(file.path)")
        }
        // The empty file's digest is XXH3-128 of nothing.
        #expect(result.files.first { $0.path == "empty.txt" }?.hash.hex == "99aa06d3014798d86001c324468d497f")
        let big = try #require(result.files.first { $0.path == "big/blob.bin" })
        #expect(big.size == Int64(3 * 1024 * 1024 + 4_099))
        #expect(result.files.first { $0.path == "bin/run.sh" }?.executable == true)
        #expect(result.files.first { $0.path == "index.html" }?.executable == false)
        #expect(result.hashedCount == paths.count)
        #expect(result.hashedBytes == result.files.reduce(0) { $0 + $1.size })
    }

    @Test func concurrencyAndBlockSizeDoNotChangeTheResult() throws {
        let dir = try TempDir("treehash-conc")
        _ = try Self.makeTree(dir)
        for i in 0..<20 { try dir.write("many/f\(i).txt", "file \(i)\n" + String(repeating: "x", count: i * 37)) }
        var serial = TreeHasher()
        serial.concurrency = 1
        var parallel = TreeHasher()
        parallel.concurrency = 8
        var smallBlocks = TreeHasher()
        smallBlocks.concurrency = 3
        smallBlocks.blockSize = 4093  // odd size: many partial updates
        let a = try serial.hash(root: dir.path)
        let b = try parallel.hash(root: dir.path)
        let c = try smallBlocks.hash(root: dir.path)
        #expect(a.files.count == 25)
        #expect(a.files == b.files)
        #expect(a.files == c.files)
        #expect(a.hashedCount == b.hashedCount && a.hashedBytes == b.hashedBytes)
    }

    /// One cache per folder ever deployed (a CI runner deploys from a new temporary folder each
    /// time): a save evicts those unused for 30 days and a killed save's leftovers; one in use
    /// (even by no-change deploys, which write nothing) is kept.
    @Test func statCachesUnusedFor30DaysAreEvicted() throws {
        let cacheDir = try TempDir("statcache-evict")
        let dir = try TempDir("treehash-evict")
        _ = try Self.makeTree(dir)
        let old = Date().timeIntervalSince1970 - 40 * 86_400
        for name in ["0123.v2.tsv", "4567.v2.tsv.99.tmp"] {
            try cacheDir.write(name, "x")
            try setModificationTime(cacheDir.url(name), seconds: Int(old), nanoseconds: 0)
        }
        try cacheDir.write("89ab.v2.tsv", "recent")
        // A cache last written long ago but read by this run is marked as used.
        let other = try TempDir("treehash-evict-other")
        _ = try Self.makeTree(other)
        let reused = StatCache(directory: cacheDir.path, root: other.path)
        _ = try TreeHasher().hash(root: other.path, cache: reused)
        reused.save()
        let reusedFile = try #require(reused.file)
        try setModificationTime(reusedFile, seconds: Int(old), nanoseconds: 0)
        _ = StatCache(directory: cacheDir.path, root: other.path)

        let cache = StatCache(directory: cacheDir.path, root: dir.path)
        _ = try TreeHasher().hash(root: dir.path, cache: cache)
        cache.save()
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: cacheDir.path))
        #expect(!left.contains("0123.v2.tsv") && !left.contains("4567.v2.tsv.99.tmp"), "\(left)")
        #expect(left.contains("89ab.v2.tsv") && left.contains((reusedFile as NSString).lastPathComponent), "\(left)")
        #expect(left.contains((try #require(cache.file) as NSString).lastPathComponent))
    }

    @Test func statCacheSkipsUnchangedFilesAndRereadsChangedOnes() throws {
        let dir = try TempDir("treehash-cache")
        let cacheDir = try TempDir("statcache")
        let paths = try Self.makeTree(dir)

        let first = try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path))
        #expect(first.hashedCount == paths.count)
        // Not saved yet: a new cache from disk knows nothing.
        #expect(try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path)).hashedCount == paths.count)

        let cache1 = StatCache(directory: cacheDir.path, root: dir.path)
        _ = try TreeHasher().hash(root: dir.path, cache: cache1)
        cache1.save()

        // Second run from the cache on disk: nothing read, same hashes.
        let cache2 = StatCache(directory: cacheDir.path, root: dir.path)
        let second = try TreeHasher().hash(root: dir.path, cache: cache2)
        #expect(second.hashedCount == 0)
        #expect(second.hashedBytes == 0)
        #expect(second.files == first.files)

        // Touch one file (same bytes, new mtime): only it is read again.
        let touched = dir.url("index.html")
        try setModificationTime(touched, seconds: 1_600_000_000, nanoseconds: 123)
        let cache3 = StatCache(directory: cacheDir.path, root: dir.path)
        let third = try TreeHasher().hash(root: dir.path, cache: cache3)
        #expect(third.hashedCount == 1)
        #expect(third.hashedBytes == fileStat(touched)!.size)
        #expect(third.files == first.files)
        cache3.save()

        // Modify one file: only it is read, and its new hash is the real one.
        try dir.write("assets/img/photo.bin", pseudoRandomBytes(100_010, seed: 99))
        let cache4 = StatCache(directory: cacheDir.path, root: dir.path)
        let fourth = try TreeHasher().hash(root: dir.path, cache: cache4)
        #expect(fourth.hashedCount == 1)
        #expect(fourth.hashedBytes == 100_010)
        let reference = try Self.referenceHashes(root: dir.path, paths: ["assets/img/photo.bin"])
        #expect(fourth.files.first { $0.path == "assets/img/photo.bin" }?.hash.hex == reference["assets/img/photo.bin"])
        cache4.save()
        #expect(try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path)).hashedCount == 0)
    }

    @Test func damagedStatCacheIsIgnored() throws {
        let dir = try TempDir("treehash-damaged")
        let cacheDir = try TempDir("statcache-damaged")
        let paths = try Self.makeTree(dir)
        let cache = StatCache(directory: cacheDir.path, root: dir.path)
        let first = try TreeHasher().hash(root: dir.path, cache: cache)
        cache.save()
        let files = try FileManager.default.contentsOfDirectory(atPath: cacheDir.path)
        try #require(files.count == 1)
        // Garbage, a truncated line and a line with a wrong hash length.
        try Data("not\ta\tcache\nline\n1\t2\t3\t4\tabc\tindex.html\n".utf8).write(to: URL(fileURLWithPath: cacheDir.path + "/" + files[0]))
        let again = try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path))
        #expect(again.hashedCount == paths.count)
        #expect(again.files == first.files)
    }

    /// Lines that parse but whose hash is wrong (a flipped digit), a file cut off, or one
    /// without its checksum line: the whole cache file is ignored, never a wrong hash taken.
    @Test func aStatCacheThatDoesNotMatchItsChecksumIsIgnoredWhole() throws {
        let dir = try TempDir("treehash-checksum")
        let cacheDir = try TempDir("statcache-checksum")
        let paths = try Self.makeTree(dir)
        let cache = StatCache(directory: cacheDir.path, root: dir.path)
        let first = try TreeHasher().hash(root: dir.path, cache: cache)
        cache.save()
        let file = try #require(cache.file)
        let saved = try #require(FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) })
        #expect(try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path)).hashedCount == 0)
        let lines = saved.split(separator: "\n").map(String.init)
        let entry = try #require(lines.firstIndex { $0.hasSuffix("\tindex.html") })
        var fields = lines[entry].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        fields[5] = String(fields[5].reversed())
        var wrong = lines
        wrong[entry] = fields.joined(separator: "\t")
        let checksumLine = try #require(lines.last)
        for damaged in [wrong.joined(separator: "\n") + "\n", String(saved.dropLast(1)), lines.dropLast().joined(separator: "\n") + "\n",
                        saved + lines[0] + "\n", checksumLine + "\n"] {
            try Data(damaged.utf8).write(to: URL(fileURLWithPath: file))
            let again = try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path))
            #expect(again.hashedCount == paths.count, "\(damaged)")
            #expect(again.files == first.files)
        }
    }

    /// A file rewritten in place (same inode, same size) whose mtime is then set back to
    /// the old value (`cp -p`, `touch -r`, `SOURCE_DATE_EPOCH`-normalising build tools)
    /// must not be taken from the cache: its ctime changed.
    @Test func inPlaceRewriteWithRestoredMtimeIsDetected() throws {
        let dir = try TempDir("treehash-ctime")
        let cacheDir = try TempDir("statcache-ctime")
        let file = try dir.write("app.js", "console.log('version 1.2.3')\n")
        try setModificationTime(file, seconds: 315_532_800)
        let before = try #require(fileStat(file))
        let cache = StatCache(directory: cacheDir.path, root: dir.path)
        _ = try TreeHasher().hash(root: dir.path, cache: cache)
        cache.save()

        // Rewrite in place: same inode, same size, then restore the mtime.
        let fd = open(file, O_WRONLY | O_TRUNC)
        try #require(fd >= 0)
        let bytes = Array("console.log('version 1.2.4')\n".utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        close(fd)
        try setModificationTime(file, seconds: 315_532_800)
        let after = try #require(fileStat(file))
        try #require(before.inode == after.inode && before.size == after.size && before.mtimeNanoseconds == after.mtimeNanoseconds)

        let second = try TreeHasher().hash(root: dir.path, cache: StatCache(directory: cacheDir.path, root: dir.path))
        let reference = try Self.referenceHashes(root: dir.path, paths: ["app.js"])
        #expect(second.files.first?.hash.hex == reference["app.js"])
        #expect(second.hashedCount == 1)
    }
}
