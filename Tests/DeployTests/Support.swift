import Deploy
import Foundation
import SiteContent
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory, removed when released.
/// Objects written by the local target are read-only, but their directories are not,
/// so removal works.
final class TempDir: @unchecked Sendable {
    let path: String

    init(_ label: String = "deploy-tests") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

    /// Creates (or replaces, with a new inode) `relative` with `contents`.
    @discardableResult
    func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, Array(contents.utf8))
    }

    @discardableResult
    func write(_ relative: String, _ contents: [UInt8]) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents).write(to: URL(fileURLWithPath: full))
        return full
    }

    func read(_ relative: String) -> [UInt8]? {
        FileManager.default.contents(atPath: url(relative)).map { Array($0) }
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }
}

/// Deterministic, non-repeating bytes (a small LCG).
func pseudoRandomBytes(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}

/// Runs a program and returns its exit status and output.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

struct FileStat: Equatable {
    var inode: UInt64
    var device: UInt64
    var links: UInt64
    var permissions: UInt32
    var size: Int64
    var mtimeNanoseconds: Int64
}

func fileStat(_ path: String) -> FileStat? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return FileStat(inode: UInt64(st.st_ino), device: UInt64(st.st_dev), links: UInt64(st.st_nlink),
                    permissions: UInt32(st.st_mode) & 0o7777, size: Int64(st.st_size),
                    mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
}

/// Sets a file's modification time to an exact value (seconds + nanoseconds).
func setModificationTime(_ path: String, seconds: Int, nanoseconds: Int = 0) throws {
    var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
    guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw DeployError("utimensat \(path): \(errno)") }
}

/// Every entry below `root` (files, directories, links) with its inode, size, mode and
/// mtime: two equal snapshots mean nothing was created, removed or rewritten.
func snapshot(_ root: String) -> [String: FileStat] {
    var result: [String: FileStat] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return result }
    while let relative = enumerator.nextObject() as? String {
        if let st = fileStat(root + "/" + relative) { result[relative] = st }
    }
    return result
}

/// Hashes a directory and builds its manifest (no deploy).
func buildManifest(_ root: String, builder: ManifestBuilder = ManifestBuilder(), version: String? = nil) throws -> (Manifest, [String]) {
    let hashed = try TreeHasher().hash(root: root)
    return try builder.build(hashed.files, version: version)
}

/// A source tree, a local target and its pointer, all in one temporary directory.
final class DeployFixture: @unchecked Sendable {
    let dir: TempDir
    let source: String
    let targetRoot: String
    let pointerPath: String
    let target: LocalTarget
    let pointer: LocalPointerStore
    let statCache: String

    init() throws {
        dir = try TempDir("deploy-fixture")
        source = dir.url("src")
        targetRoot = dir.url("target")
        pointerPath = targetRoot + "/_sitebuild/live"
        statCache = dir.url("statcache")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: targetRoot, withIntermediateDirectories: true)
        target = LocalTarget(root: targetRoot)
        pointer = LocalPointerStore(path: pointerPath)
    }

    func deployer(pointer: PointerStore? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) -> Deployer {
        Deployer(target: target, pointer: pointer ?? self.pointer, statCacheDirectory: statCache, log: log)
    }

    @discardableResult
    func writeSource(_ relative: String, _ contents: String) throws -> String {
        try dir.write("src/" + relative, contents)
    }

    @discardableResult
    func writeSource(_ relative: String, _ contents: [UInt8]) throws -> String {
        try dir.write("src/" + relative, contents)
    }

    func removeSource(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: source + "/" + relative)
    }

    /// The standard small site.
    func writeSite(variant: String = "one") throws {
        try writeSource("index.html", "<h1>home \(variant)</h1>\n")
        try writeSource("about.html", "<h1>about</h1>\n")
        try writeSource("docs/index.html", "<h1>docs</h1>\n")
        try writeSource("assets/app.css", "body { color: black }\n")
        try writeSource("assets/logo.png", pseudoRandomBytes(5000, seed: 3))
        try writeSource("404.html", "<h1>not found</h1>\n")
    }

    /// The value of the pointer file, trimmed.
    var live: String? {
        guard let data = FileManager.default.contents(atPath: pointerPath) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    func object(_ version: String, _ path: String) -> String { targetRoot + "/" + version + "/" + path }
    func manifestPath(_ version: String) -> String { targetRoot + "/_sitebuild/manifests/" + version + ".json" }
    var releasesDirectory: String { targetRoot + "/_sitebuild/releases" }

    func releaseFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: releasesDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }
}
