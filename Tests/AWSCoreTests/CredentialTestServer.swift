import Foundation
import TestSupport
@testable import AWSCore
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 that plays the ECS/CodeBuild container credentials
/// endpoint and EC2 IMDSv2, for the credential provider tests. Python in a subprocess; it exits
/// when the test stops it or the test process ends (its stdin closes).
///
/// - `GET /v2/credentials/<id>`: the relative-URI container endpoint (no Authorization).
/// - `GET /full/credentials`: the full-URI endpoint; 401 `{"code","message"}` unless
///   `Authorization` equals the configured token.
/// - `PUT /latest/api/token` (needs `X-aws-ec2-metadata-token-ttl-seconds`), then
///   `GET /latest/meta-data/iam/security-credentials/` and `…/sitebuild-role` (need a token it
///   issued in `X-aws-ec2-metadata-token`, else 401).
/// - `POST /control` with JSON `{"authorization": …, "expires_in": seconds}` changes the
///   behaviour; `GET /stats` returns request counts.
///
/// Each credentials response carries a new key, `ASIACONTAINER<n>` or `ASIAIMDS<n>`.
final class CredentialTestServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    private let server: PythonScriptServer
    var port: Int { server.port }

    static let authorizationToken = "Bearer container-auth-token"

    var baseURL: String { server.baseURL }

    init() throws {
        server = try PythonScriptServer(script: CredentialTestServer.script, name: "credential_test_server")
    }

    func url(_ path: String) -> String { baseURL + path }

    struct Stats: Decodable {
        var container: Int
        var imds_token: Int
        var imds_roles: Int
        var imds_credentials: Int
    }

    func stats() async throws -> Stats {
        let response = try await CurlHTTPClientForTests.shared.execute(HTTPRequest(method: "GET", url: url("/stats")))
        return try JSONDecoder().decode(Stats.self, from: Data(response.body))
    }

    /// Sets how many seconds from now the credentials it hands out expire.
    func setExpiresIn(_ seconds: Int) async throws {
        let body = Array(#"{"expires_in": \#(seconds)}"#.utf8)
        let response = try await CurlHTTPClientForTests.shared.execute(
            HTTPRequest(method: "POST", url: url("/control"), headers: [("Content-Type", "application/json")]),
            body: .bytes(body), responseBody: .collect(limit: 1024))
        guard response.status == 200 else {
            throw HTTPTestServer.TestServerError(message: "POST /control returned \(response.status)")
        }
    }

    func stop() {
        server.stop()
    }

    static let script = #"""
"""Container credentials endpoint and EC2 IMDSv2 on loopback for the credential tests."""
import http.server, json, os, signal, sys, threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

lock = threading.Lock()
state = {"authorization": "Bearer container-auth-token", "expires_in": 3600}
counts = {"container": 0, "imds_token": 0, "imds_roles": 0, "imds_credentials": 0}
tokens = set()
ROLE = "sitebuild-role"


def credentials(prefix, number):
    expiration = datetime.now(timezone.utc) + timedelta(seconds=state["expires_in"])
    return {"AccessKeyId": f"{prefix}{number}", "SecretAccessKey": f"secret-{prefix}{number}",
            "Token": f"session-{prefix}{number}", "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def has_token(self):
        with lock:
            return self.headers.get("X-aws-ec2-metadata-token") in tokens

    def do_GET(self):
        path = urlsplit(self.path).path
        if path.startswith("/v2/credentials/") or path == "/full/credentials":
            if path == "/full/credentials" and self.headers.get("Authorization") != state["authorization"]:
                return self.reply(401, {"code": "AccessDenied", "message": "the Authorization header is wrong or missing"})
            with lock:
                counts["container"] += 1
                number = counts["container"]
            self.reply(200, credentials("ASIACONTAINER", number))
        elif path == "/latest/meta-data/iam/security-credentials/":
            if not self.has_token():
                return self.reply(401, b"", "text/plain")
            with lock:
                counts["imds_roles"] += 1
            self.reply(200, ROLE.encode(), "text/plain")
        elif path == "/latest/meta-data/iam/security-credentials/" + ROLE:
            if not self.has_token():
                return self.reply(401, b"", "text/plain")
            with lock:
                counts["imds_credentials"] += 1
                number = counts["imds_credentials"]
            document = credentials("ASIAIMDS", number)
            document.update({"Code": "Success", "Type": "AWS-HMAC",
                             "LastUpdated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
            self.reply(200, document)
        elif path == "/stats":
            with lock:
                self.reply(200, dict(counts))
        else:
            self.reply(404, {"code": "NotFound", "message": path})

    def do_PUT(self):
        path = urlsplit(self.path).path
        self.body()
        if path != "/latest/api/token":
            return self.reply(404, b"", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, b"", "text/plain")
        with lock:
            counts["imds_token"] += 1
            token = f"imds-token-{counts['imds_token']}"
            tokens.add(token)
        self.reply(200, token.encode(), "text/plain")

    def do_POST(self):
        if urlsplit(self.path).path != "/control":
            return self.reply(404, b"", "text/plain")
        update = json.loads(self.body() or b"{}")
        with lock:
            state.update(update)
        self.reply(200, {})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
server = Server(("127.0.0.1", 0), Handler)
threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}

/// One curl client shared by the credential tests' control requests.
enum CurlHTTPClientForTests {
    static let shared = CurlHTTPClient()
}

/// Runs `body` with a fresh credential test server and stops it afterwards.
func withCredentialTestServer<T>(_ body: (CredentialTestServer) async throws -> T) async throws -> T {
    let server = try CredentialTestServer()
    defer { server.stop() }
    return try await body(server)
}

/// A temporary directory standing in for `$HOME`, with helpers to write the AWS files.
struct TemporaryHome: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("aws-home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
    }

    var credentialsPath: String { path + "/.aws/credentials" }
    var configPath: String { path + "/.aws/config" }

    func write(_ text: String, to file: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    }

    /// An environment whose `HOME` is this directory; `extra` adds or overrides variables.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": path].merging(extra) { _, new in new }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
