import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The live pointer as a file holding the version id. A compare-and-swap takes an
/// exclusive lock (flock on `<file>.lock`), checks the value, writes a temporary file
/// and renames it over the pointer, so readers always see a whole value.
public struct LocalPointerStore: PointerStore {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `file://` and the path, with `%` written `%25` so the URL reads back as this path.
    public var url: String { "file://" + path.replacingOccurrences(of: "%", with: "%25") }

    public func read() async throws -> PointerState {
        let value = try Self.readValue(path)
        return PointerState(version: try value.map { try VersionId.pointerValue($0, pointer: url) }, token: value ?? "")
    }

    /// The version the file holds: nil when there is no such file (nothing live yet), an
    /// error when it cannot be read (permissions, a folder in its place): "nothing is live"
    /// would be wrong then.
    static func readValue(_ path: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw DeployError("cannot read the pointer \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw DeployError("cannot read the pointer \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            data += buffer[0..<n]
            if data.count > 1 << 20 { throw DeployError("the pointer \(path) is not a pointer file (over 1 MiB)") }
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    public func compareAndSwap(expected: PointerState, to version: String) async throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else { throw DeployError("cannot open the pointer lock \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lockFD) }
        while flock(lockFD, LOCK_EX) != 0 {
            guard errno == EINTR else { throw DeployError("cannot lock \(path).lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(lockFD, LOCK_UN) }
        let current = try Self.readValue(path)
        guard (current ?? "") == (expected.token ?? "") else {
            throw PointerConflict(expected: expected.version, found: current, wanted: version)
        }
        Self.removeStaleTemporaries(of: path)
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DeployError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array((version + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw DeployError("cannot update the pointer \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes `<pointer>.<pid>.tmp` files that flips of processes no longer running left
    /// (killed between writing and renaming); called under the pointer's lock.
    static func removeStaleTemporaries(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + "."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            guard let pid = Int32(name.dropFirst(prefix.count).dropLast(4)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory + "/" + name) }
        }
    }
}
