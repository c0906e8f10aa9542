import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Python HTTP server a test starts from script text: the script is written to a temporary
/// directory, run with `python3`, prints its port on its first line of stdout, and exits when
/// its stdin closes (so it also ends with the test process).
public final class PythonScriptServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change; `stop` is idempotent
    // through Process itself.
    public let port: Int
    private let process: Process
    private let stdin: Pipe
    private let directory: URL

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func url(_ path: String) -> String { baseURL + path }

    /// - Parameter name: a short name for the temporary folder and error messages.
    public init(script: String, name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scriptURL = directory.appendingPathComponent("\(name).py")
        try Data(script.utf8).write(to: scriptURL)

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptURL.path]
        let stdout = Pipe()
        stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.standardError
        try process.run()

        let (port, line) = LoopbackServerProcess.readPort(from: stdout.fileHandleForReading)
        guard let port else {
            process.terminate()
            throw TestServerSetupError("the \(name) server did not print its port (python3 missing?); got \(line)")
        }
        self.port = port
    }

    /// Closes the server's stdin, which makes it exit, and kills it if it has not within a
    /// second. (Not SIGTERM: a child started from a dispatch thread inherits a signal mask
    /// that blocks it.)
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(1)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}
