import AWSCore
@testable import AWSServices
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test-setup failure with its reason.
struct MotoSetupError: Error, CustomStringConvertible {
    var description: String
}

/// `moto_server` on a free loopback port, started and stopped by the test (the same pattern
/// as AWSCoreTests' `MotoServer`).
final class MotoServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    let port: Int
    private let process: Process

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// What a client of this server needs: the endpoint, dummy keys and a region.
    var environment: [String: String] {
        ["AWS_ENDPOINT_URL": baseURL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1"]
    }

    init() async throws {
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let client = CurlHTTPClient()
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let probe = HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/moto-api/",
                                    timeouts: .init(connect: 1, lowSpeedLimit: 0, lowSpeedTime: 0, total: 2))
            if (try? await client.execute(probe)) != nil { break }
            guard process.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw MotoSetupError(description: "moto_server did not start listening on port \(port) within 120 s (is it installed?)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    // MARK: - Clients and seeding

    var credentials: any CredentialProvider { EnvironmentCredentialProvider(environment: environment) }

    func ssm() -> SSMClient {
        SSMClient(region: "us-east-1", credentials: credentials, environment: environment)
    }

    func secretsManager() -> SecretsManagerClient {
        SecretsManagerClient(region: "us-east-1", credentials: credentials, environment: environment)
    }

    private struct PutParameterInput: Encodable {
        var Name: String
        var Value: String
        var `Type`: String
        var Overwrite = true
    }

    private struct CreateSecretInput: Encodable {
        var Name: String
        var SecretString: String?
        var SecretBinary: Data?
    }

    private struct Ignored: Decodable {}

    /// Stores a parameter with the project's own JSON client (`Type` String or SecureString).
    func putParameter(_ name: String, _ value: String, type: String = "String") async throws {
        let _: Ignored = try await ssm().client.call("PutParameter", PutParameterInput(Name: name, Value: value, Type: type))
    }

    func createSecret(_ name: String, string: String? = nil, binary: [UInt8]? = nil) async throws {
        let _: Ignored = try await secretsManager().client.call(
            "CreateSecret", CreateSecretInput(Name: name, SecretString: string, SecretBinary: binary.map { Data($0) }))
    }

    /// A port nothing listens on now: bind to port 0, read the port, close.
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw MotoSetupError(description: "socket() failed: errno \(errno)") }
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
        guard bound else { throw MotoSetupError(description: "could not bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs `body` with a fresh moto_server and stops it afterwards.
func withMotoServer<T>(_ body: (MotoServer) async throws -> T) async throws -> T {
    let server = try await MotoServer()
    defer { server.stop() }
    return try await body(server)
}
