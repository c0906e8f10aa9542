import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test-server setup failure with its reason.
public struct TestServerSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A loopback port that refuses connections for as long as this value lives: a socket bound to
/// it and not listening, so no server another test starts meanwhile can take the port (a port
/// bound, read and closed can be handed out again at once).
public final class RefusingLoopbackPort: @unchecked Sendable {
    // @unchecked: both properties are set in `init` and never change.
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try boundLoopbackSocket()
    }

    deinit { close(descriptor) }
}

/// A loopback port that takes connections and never answers, for as long as this value lives:
/// a socket listening and never accepting (the kernel completes the handshake), as a stalled
/// server looks to a client.
public final class SilentLoopbackPort: @unchecked Sendable {
    // @unchecked: both properties are set in `init` and never change.
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try boundLoopbackSocket()
        guard listen(descriptor, 64) == 0 else {
            let code = errno
            close(descriptor)
            throw TestServerSetupError("could not listen on a loopback port: errno \(code)")
        }
    }

    deinit { close(descriptor) }
}

/// A TCP socket bound to a free port of 127.0.0.1, and the port.
private func boundLoopbackSocket() throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw TestServerSetupError("socket() failed: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
        }
    }
    guard bound else {
        let code = errno
        close(descriptor)
        throw TestServerSetupError("could not bind a loopback port: errno \(code)")
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// Helpers for servers that tests start as subprocesses on 127.0.0.1.
public enum LoopbackServerProcess {
    /// Starts `arguments` (the first looked up on PATH) with stdin and stderr closed, and reads
    /// the port the server bound from its first line of stdout; the rest of its stdout is
    /// drained and dropped. A server that binds port 0 itself and says which port it got
    /// cannot lose that port to another test's server, as one handed the number of a port
    /// bound, read and closed can between that choice and its own bind (a DynamoDB test once
    /// talked to another test's KeyValueStore server that way). Stops the process and throws
    /// `failure` when it exits first or says nothing within 120 s (a loaded CI machine imports
    /// Python packages slowly).
    public static func startReportingPort(_ arguments: [String], environment: [String: String]? = nil,
                                          failure: String) async throws -> (process: Process, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let watchdog = Task {
            try await Task.sleep(for: .seconds(120))
            terminate(process)
        }
        defer { watchdog.cancel() }
        let reader = stdout.fileHandleForReading
        let (port, text): (Int?, String) = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: readPort(from: reader))
                while !reader.availableData.isEmpty {}  // the rest is drained, so the server never blocks on it
            }
        }
        guard let port else {
            terminate(process)
            throw TestServerSetupError(text.isEmpty ? failure : "\(failure); it printed: \(text)")
        }
        return (process, port)
    }

    /// Reads up to the first line break (or the end) and parses that line as a port number;
    /// returns the line too, for the error message.
    public static func readPort(from reader: FileHandle) -> (port: Int?, line: String) {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let port = Int(text.trimmingCharacters(in: .whitespaces)).flatMap { (1...65535).contains($0) ? $0 : nil }
        return (port, text)
    }

    /// SIGTERM, then SIGKILL after 2 s; waits for the exit.
    public static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
