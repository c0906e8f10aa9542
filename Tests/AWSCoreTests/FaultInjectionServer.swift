import Foundation
import TestSupport
@testable import AWSCore
#if canImport(Glibc)
import Glibc
#endif

/// A loopback HTTP/1.1 server whose endpoints fail on cue, for the retry tests: Python's
/// ThreadingHTTPServer in a subprocess, like ``HTTPTestServer``. Every `/fault/...` request
/// counts against its key; the first `n` requests of a key fail, later ones succeed.
///
/// - `/fault/slowdown/<n>/<key>`: 503 with an S3 `SlowDown` error document.
/// - `/fault/reset/<n>/<key>`: closes the connection with an RST and no response.
/// - `/fault/stall/<n>/<key>?seconds=S`: says nothing for S seconds (default 4).
/// - `/fault/200error/<n>/<key>`: 200 with an S3 `<Error><Code>InternalError` body.
/// - `/fault/throttle/<n>/<key>`: 400 with a JSON `ThrottlingException`.
/// - `/fault/403/<key>`: always 403 `AccessDenied`.
/// - `/fault/inflight/<k>/<key>?hold=S`: 503 `SlowDown` when more than k requests of the key
///   are being served, else holds S seconds (default 0.02) and answers 200.
/// - `/fault/headbody/<n>/<key>`: a HEAD answers 200 with a Content-Length, and the first n
///   then owe its body: the connection's next answer is preceded by it, as from a server or
///   proxy that sends a body after a HEAD answer (the bytes wait for the next request so that
///   they always arrive after it, as they do when they come late).
/// - `/fault/count/<key>`: `{"count": requests, "throttled": 503s sent, "maxInFlight": n}`.
///
/// A success answers 200 with the request body's length and SHA-256 as JSON, so tests can
/// check that a retried upload was sent whole.
final class FaultInjectionServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change; `stop` is idempotent
    // through Process itself.
    private let server: PythonScriptServer
    var port: Int { server.port }

    var baseURL: String { server.baseURL }

    init() throws {
        server = try PythonScriptServer(script: FaultInjectionServer.script, name: "fault_server")
    }

    func url(_ path: String) -> String { baseURL + path }

    struct Counts: Decodable {
        var count: Int
        var throttled: Int
        var maxInFlight: Int
    }

    /// What the server saw for `key`, read with a plain client (no retries).
    func counts(_ key: String) async throws -> Counts {
        let response = try await CurlHTTPClientForCounts.shared.execute(HTTPRequest(method: "GET", url: url("/fault/count/\(key)")))
        return try JSONDecoder().decode(Counts.self, from: Data(response.body))
    }

    /// Closes stdin (the server exits) and kills it if it has not within a second.
    func stop() {
        server.stop()
    }

    static let script = #"""
"""Loopback HTTP/1.1 server that fails on cue, for the retry tests. Prints its port on stdout,
then serves until stdin closes."""
import hashlib, http.server, json, os, signal, socket, struct, sys, threading, time
from urllib.parse import parse_qs, urlsplit

lock = threading.Lock()
counts = {}        # key -> requests seen
throttled = {}     # key -> 503s sent by /fault/inflight
in_flight = {}     # key -> requests being served by /fault/inflight
max_in_flight = {}

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message><RequestId>R1</RequestId></Error>')
INTERNAL = (b'<?xml version="1.0" encoding="UTF-8"?>\n\n<Error><Code>InternalError</Code>'
            b'<Message>We encountered an internal error. Please try again.</Message></Error>')
DENIED = b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
THROTTLE = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        digest, length = hashlib.sha256(), 0
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            digest.update(chunk)
            length += len(chunk)
            remaining -= len(chunk)
        return length, digest.hexdigest()

    def ok(self, length, digest):
        self.reply(200, json.dumps({"length": length, "sha256": digest}).encode(), "application/json")

    def route(self):
        owed = getattr(self, "owed", b"")
        if owed:
            self.owed = b""
            self.wfile.write(owed)
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length, digest = self.read_body()
        parts = url.path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "fault":
            return self.reply(404, b"<Error><Code>NoSuchEndpoint</Code></Error>")
        kind, key = parts[1], parts[-1]
        if kind == "count":
            with lock:
                body = {"count": counts.get(key, 0), "throttled": throttled.get(key, 0),
                        "maxInFlight": max_in_flight.get(key, 0)}
            return self.reply(200, json.dumps(body).encode(), "application/json")
        with lock:
            counts[key] = counts.get(key, 0) + 1
            seen = counts[key]
        if kind == "403":
            return self.reply(403, DENIED)
        limit = int(parts[2])
        if kind == "inflight":
            with lock:
                in_flight[key] = in_flight.get(key, 0) + 1
                now = in_flight[key]
                max_in_flight[key] = max(max_in_flight.get(key, 0), now)
                if now > limit:
                    throttled[key] = throttled.get(key, 0) + 1
            try:
                if now > limit:
                    return self.reply(503, SLOWDOWN)
                time.sleep(float(query.get("hold", ["0.02"])[0]))
                return self.ok(length, digest)
            finally:
                with lock:
                    in_flight[key] -= 1
        if kind == "headbody" and self.command == "HEAD":
            body = b"<html><body>the body of a HEAD answer</body></html>"
            self.reply(200, body, "text/html")
            if seen <= limit:
                self.owed = body
            return
        if seen > limit:
            return self.ok(length, digest)
        if kind == "slowdown":
            self.reply(503, SLOWDOWN)
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif kind == "stall":
            time.sleep(float(query.get("seconds", ["4"])[0]))
            self.close_connection = True
        elif kind == "200error":
            self.reply(200, INTERNAL)
        elif kind == "throttle":
            self.reply(400, THROTTLE, "application/x-amz-json-1.0")
        else:
            self.reply(404, b"<Error><Code>NoSuchFault</Code></Error>")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = route


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request, client_address):
        pass  # resets and abandoned stalls break pipes on purpose


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

/// The plain client the count endpoint is read with, shared so each read does not start an
/// event-loop thread.
enum CurlHTTPClientForCounts {
    static let shared = CurlHTTPClient()
}

/// Runs `body` with a fresh fault-injection server and stops the server afterwards.
func withFaultInjectionServer<T>(_ body: (FaultInjectionServer) async throws -> T) async throws -> T {
    let server = try FaultInjectionServer()
    defer { server.stop() }
    return try await body(server)
}
