import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 for the HTTPClient tests: Python's ThreadingHTTPServer
/// in a subprocess, with keep-alive. It exits when the test stops it or when the test process
/// ends (its stdin closes).
///
/// Endpoints: `/echo` (method, headers in order, body length, SHA-256 and, up to 64 KiB, the
/// body in base64, as JSON), `/bytes/N` (N bytes where byte i is (i*31+7) % 251),
/// `/status/N`, `/slow?seconds=S`, `/reset` (closes without a response), `/count-connections`
/// (TCP connections accepted so far), `/tunnels` (CONNECT targets seen, when used as a proxy).
final class HTTPTestServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change; `stop` is idempotent
    // through Process itself.
    private let server: PythonScriptServer
    var port: Int { server.port }

    var baseURL: String { server.baseURL }

    /// Writes the script to a temporary directory, starts `python3` on it and reads the port.
    init() throws {
        server = try PythonScriptServer(script: HTTPTestServer.script, name: "http_test_server")
    }

    func url(_ path: String) -> String { baseURL + path }

    /// Closes the server's stdin, which makes it exit, and kills it if it has not within a
    /// second. (Not SIGTERM: a child started from a dispatch thread inherits a signal mask
    /// that blocks it.)
    func stop() {
        server.stop()
    }

    struct TestServerError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static let script = #"""
"""Loopback HTTP/1.1 server for the HTTPClient tests. Prints its port on stdout, then serves
until stdin closes (the test process ended) or it is terminated."""
import base64, hashlib, http.server, json, os, signal, socket, struct, sys, threading, time
from urllib.parse import parse_qs, urlsplit

PATTERN = bytes((i * 31 + 7) % 251 for i in range(251)) * 4096  # byte i is (i*31+7) % 251
lock = threading.Lock()
connections = 0
tunnels = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        with lock:
            connections += 1
        super().setup()

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        digest, length, kept = hashlib.sha256(), 0, bytearray()
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            digest.update(chunk)
            length += len(chunk)
            remaining -= len(chunk)
            if len(kept) < 65536:
                kept += chunk[: 65536 - len(kept)]
        return length, digest.hexdigest(), bytes(kept)

    def route(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length, digest, kept = self.read_body()
        parts = url.path.strip("/").split("/")
        if parts[0] == "echo":
            self.reply(200, json.dumps({
                "method": self.command, "path": self.path,
                "headers": [[name, value] for name, value in self.headers.items()],
                "length": length, "sha256": digest,
                "body": base64.b64encode(kept).decode() if length <= 65536 else None,
            }).encode(), "application/json")
        elif parts[0] == "bytes":
            count = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(count))
            self.end_headers()
            if self.command != "HEAD":
                sent = 0
                while sent < count:
                    # PATTERN's length is a multiple of 251, so every chunk starts at phase 0.
                    chunk = PATTERN[: min(len(PATTERN), count - sent)]
                    self.wfile.write(chunk)
                    sent += len(chunk)
        elif parts[0] == "status":
            status = int(parts[1])
            if status in (204, 304):
                self.send_response(status)
                self.end_headers()
            else:
                self.reply(status, f"<Error>status {status}</Error>".encode(), "application/xml")
        elif parts[0] == "slow":
            time.sleep(float(query.get("seconds", ["5"])[0]))
            self.reply(200, b"slow")
        elif parts[0] == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif parts[0] == "count-connections":
            with lock:
                self.reply(200, json.dumps({"connections": connections}).encode(), "application/json")
        elif parts[0] == "tunnels":
            with lock:
                self.reply(200, json.dumps({"tunnels": tunnels}).encode(), "application/json")
        else:
            self.reply(404, b"<Error>no such endpoint</Error>", "application/xml")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = route

    def do_CONNECT(self):
        with lock:
            tunnels.append(self.path)
        self.close_connection = True
        self.reply(403, b"no tunnels here", "text/plain")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # clients that abort on purpose (limits, cancellation) break pipes; not news


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

/// Runs `body` with a fresh test server and stops the server afterwards.
func withHTTPTestServer<T>(_ body: (HTTPTestServer) async throws -> T) async throws -> T {
    let server = try HTTPTestServer()
    defer { server.stop() }
    return try await body(server)
}
