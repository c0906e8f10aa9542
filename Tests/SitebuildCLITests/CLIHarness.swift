import Foundation

/// A file of this repository (`cloudfront/function.js`), found by walking up from this
/// source file.
func repositoryFile(_ relative: String, _ file: String = #filePath) throws -> String {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
    }
    throw CocoaError(.fileNoSuchFile)
}

/// Runs the built `sitebuild` binary end to end in a temporary directory.
final class CLIHarness {
    let root: String

    /// The binary next to the test bundle (`swift build` puts both in one folder), or
    /// `$SITEBUILD_BIN`.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SITEBUILD_BIN"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (me as NSString).deletingLastPathComponent
        // Test bundles may live in a .xctest folder on some layouts.
        while !FileManager.default.isExecutableFile(atPath: dir + "/sitebuild") && dir.count > 1 {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir + "/sitebuild"
    }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func write(_ path: String, _ content: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: full))
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + path) }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: root + "/" + path).map { String(decoding: $0, as: UTF8.self) }
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts the binary; the caller waits. `launcher`: a program and its arguments that run
    /// the binary (`unshare --pid --fork --mount-proc`), the binary's path and `arguments` after them.
    func start(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = []) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? Self.binary)
        process.arguments = launcher.isEmpty ? arguments : launcher.dropFirst() + [Self.binary] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_CACHE_DIR"] = root + "/.cache"
        // The tests' servers are on loopback: a machine's proxy settings must not route them
        // away (a test about proxies passes its own).
        for name in ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
            env[name] = nil
        }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    func run(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = []) throws -> Output {
        let (process, out, err) = try start(arguments, environment: environment, launcher: launcher)
        return Self.collect(process, out, err)
    }

    /// The same from an async test: the wait happens on a thread of its own. Blocking in a
    /// task would hold one of the few threads of Swift's cooperative pool (two on a 2-core
    /// machine) for the whole run of the binary, and every other test's tasks (in-process
    /// servers, clients) would stall behind it.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Output {
        let (process, out, err) = try start(arguments, environment: environment)
        return await Self.collectOffPool(process, out, err)
    }

    /// `collect` on a dedicated thread, for async callers.
    static func collectOffPool(_ process: Process, _ out: Pipe, _ err: Pipe) async -> Output {
        let parts = (process, out, err)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: collect(parts.0, parts.1, parts.2)) }
        }
    }

    /// Waits for a started process, reading its stdout and stderr pipes at once so neither
    /// fills up (any child process: the binary, git).
    static func collect(_ process: Process, _ out: Pipe, _ err: Pipe) -> Output {
        let group = DispatchGroup()
        nonisolated(unsafe) var stdout = Data(), stderr = Data()
        group.enter()
        DispatchQueue.global().async { stdout = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { stderr = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        process.waitUntilExit()
        group.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
