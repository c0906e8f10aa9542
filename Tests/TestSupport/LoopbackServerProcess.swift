import AWSCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test-server setup failure with its reason.
public struct TestServerSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Helpers for servers that tests start as subprocesses on 127.0.0.1.
public enum LoopbackServerProcess {
    /// A port nothing listens on now: bind to port 0, read the port, close.
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestServerSetupError("socket() failed: errno \(errno)") }
        defer { close(descriptor) }
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
        guard bound else { throw TestServerSetupError("could not bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until `GET http://127.0.0.1:<port><path>` answers at all (any status), for up to
    /// 120 s: a loaded CI machine starts Python servers slowly. Stops `process` and throws
    /// `failure` when it exits or the time is up.
    public static func waitUntilAnswering(port: Int, path: String, process: Process, failure: String) async throws {
        let client = CurlHTTPClient()
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let probe = HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)\(path)",
                                    timeouts: .init(connect: 1, lowSpeedLimit: 0, lowSpeedTime: 0, total: 2))
            if (try? await client.execute(probe)) != nil { return }
            guard process.isRunning, ContinuousClock.now < deadline else {
                terminate(process)
                throw TestServerSetupError(failure)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
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
