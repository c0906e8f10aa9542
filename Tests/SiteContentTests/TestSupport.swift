import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory; call `remove()` when done.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "sitecontent-tests") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func url(_ relative: String) -> String {
        relative.isEmpty ? path : path + "/" + relative
    }

    /// Writes `contents` to `relative`, creating parent directories.
    @discardableResult
    func write(_ relative: String, _ contents: String, permissions: Int = 0o644) throws -> String {
        try write(relative, Data(contents.utf8), permissions: permissions)
    }

    @discardableResult
    func write(_ relative: String, _ contents: Data, permissions: Int = 0o644) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: contents) else {
            throw CocoaError(.fileWriteUnknown)
        }
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: full)
        return full
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: url(relative), withIntermediateDirectories: true)
    }

    /// Creates the symbolic link `relative` whose text is `target`.
    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: url(relative), withDestinationPath: target)
    }

    func setModificationDate(_ relative: String, secondsSince1970: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: secondsSince1970)],
                                              ofItemAtPath: url(relative))
    }
}

/// The process umask, read without changing it (`umask(2)` would race with other tests).
func currentUmask() -> mode_t {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
       let value = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) {
        return value
    }
    return 0o022
}

/// `lstat` permission bits (the low 12 bits of st_mode) and file type.
func fileMode(_ path: String) -> (type: mode_t, permissions: mode_t)? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return (st.st_mode & S_IFMT, st.st_mode & 0o7777)
}

/// Runs a program and returns its exit status and standard output.
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
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

/// Builds a ustar archive by hand, so tests can make entries no well-behaved writer would.
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    enum Kind: UInt8 {
        case file = 0x30      // '0'
        case symlink = 0x32   // '2'
        case directory = 0x35 // '5'
    }

    mutating func add(_ name: String, _ contents: String = "", kind: Kind = .file, linkName: String = "", mode: Int = 0o644) {
        let body = Array(contents.utf8)
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) {
            for (i, b) in field.enumerated() { header[offset + i] = b }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
        }
        precondition(name.utf8.count <= 100 && linkName.utf8.count <= 100)
        put(Array(name.utf8), at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(kind == .file ? body.count : 0, width: 12), at: 124)
        put(octal(315_532_800, width: 12), at: 136)
        put(Array(repeating: 0x20, count: 8), at: 148)
        header[156] = kind.rawValue
        put(Array(linkName.utf8), at: 157)
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0x20], at: 148)
        bytes += header
        if kind == .file {
            bytes += body
            bytes += [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
        }
    }

    func finished() -> Data {
        Data(bytes + [UInt8](repeating: 0, count: 1024))
    }
}

/// Runs `process` with stdout and stderr on one pipe and returns what it wrote, once it has
/// exited. `started` runs between the start and the reading (to arm a watchdog, say).
func mergedOutput(of process: Process, started: (pid_t) -> Void = { _ in }) throws -> String {
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    started(process.processIdentifier)
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text
}
