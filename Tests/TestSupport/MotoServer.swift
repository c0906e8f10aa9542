import AWSCore
import AWSServices
import Foundation

/// `moto_server` on a free loopback port, started and stopped by the test. Shared by every
/// test target that talks to moto.
public final class MotoServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    public let port: Int
    private let process: Process

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// What a client of this server needs: the endpoint, dummy keys and a region.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL": baseURL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1"]
    }

    /// Starts moto_server.
    ///
    /// - Parameter extraEnvironment: variables added to the server's environment, e.g.
    ///   `["INITIAL_NO_AUTH_ACTION_COUNT": "3"]` to make moto check signatures after three
    ///   calls (see ``createIAMUserWithAccessKey(userName:)``).
    public init(extraEnvironment: [String: String] = [:]) async throws {
        let environment = extraEnvironment.isEmpty ? nil
            : ProcessInfo.processInfo.environment.merging(extraEnvironment) { _, extra in extra }
        (process, port) = try await LoopbackServerProcess.startReportingPort(
            ["python3", "-c", Self.script], environment: environment,
            failure: "moto_server did not start within 120 s (is moto[server] installed for python3? scripts/setup installs it)")
    }

    /// What `moto_server -H 127.0.0.1` runs, on a port the kernel picks when it binds, which
    /// it prints (and sets as MOTO_PORT, which moto reads to build URLs pointing at itself).
    static let script = """
        import os, sys
        from werkzeug.serving import make_server
        from moto.server import DomainDispatcherApplication, create_backend_app
        app = DomainDispatcherApplication(create_backend_app)
        app.debug = True
        server = make_server("127.0.0.1", 0, app, threaded=True)
        os.environ["MOTO_PORT"] = str(server.server_port)
        print(server.server_port, flush=True)
        server.serve_forever()
        """

    public func stop() {
        LoopbackServerProcess.terminate(process)
    }

    // MARK: - Clients and seeding

    public var credentials: any CredentialProvider { EnvironmentCredentialProvider(environment: environment) }

    public func ssm() -> SSMClient {
        SSMClient(region: "us-east-1", credentials: credentials, environment: environment)
    }

    public func secretsManager() -> SecretsManagerClient {
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
    public func putParameter(_ name: String, _ value: String, type: String = "String") async throws {
        let _: Ignored = try await ssm().client.call("PutParameter", PutParameterInput(Name: name, Value: value, Type: type))
    }

    public func createSecret(_ name: String, string: String? = nil, binary: [UInt8]? = nil) async throws {
        let _: Ignored = try await secretsManager().client.call(
            "CreateSecret", CreateSecretInput(Name: name, SecretString: string, SecretBinary: binary.map { Data($0) }))
    }
}

/// Runs `body` with a fresh moto_server (with `extraEnvironment` added to its environment)
/// and stops it afterwards.
public func withMotoServer<T>(extraEnvironment: [String: String] = [:],
                              _ body: (MotoServer) async throws -> T) async throws -> T {
    let server = try await MotoServer(extraEnvironment: extraEnvironment)
    defer { server.stop() }
    return try await body(server)
}
