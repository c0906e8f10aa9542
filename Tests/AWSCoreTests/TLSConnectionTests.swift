import Foundation
import Testing
import TestSupport
@testable import AWSCore
#if canImport(Glibc)
import Glibc
#endif

/// CurlHTTPClient over HTTPS against a Python TLS server on loopback that closes every
/// connection after one answer (as an S3 endpoint may), so each request is a new connection
/// and a full handshake, with the server's certificate trusted through AWS_CA_BUNDLE.
@Suite struct TLSConnectionTests {
    /// Answers 200 "ok" to any GET and closes the connection (HTTP/1.0); /connections says
    /// how many TLS connections it accepted before that one, /resumed how many of those resumed
    /// an earlier TLS session.
    static let script = #"""
import http.server, ssl, sys, threading
cert, key = sys.argv[1], sys.argv[2]
accepted = [0]
resumed = [0]
class Server(http.server.ThreadingHTTPServer):
    def get_request(self):
        sock, address = super().get_request()
        accepted[0] += 1
        if getattr(sock, "session_reused", False):
            resumed[0] += 1
        return sock, address
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        counts = {"/connections": accepted[0] - 1, "/resumed": resumed[0] - (1 if self.connection.session_reused else 0)}
        body = (str(counts[self.path]) if self.path in counts else "ok").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = Server(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
"""#

    /// A self-signed certificate for 127.0.0.1 (its own CA) in `directory`: cert.pem, key.pem.
    static func makeCertificate(in directory: URL) throws {
        let (certificate, key) = try selfSignedCertificate(names: ["127.0.0.1"], days: 2)
        try Data(certificate.utf8).write(to: directory.appendingPathComponent("cert.pem"))
        try Data(key.utf8).write(to: directory.appendingPathComponent("key.pem"))
    }

    /// Runs `body` with a TLS server and a folder holding its certificate (cert.pem, key.pem).
    func withTLSServer(_ body: (PythonScriptServer, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeCertificate(in: directory)
        let script = Self.script.replacingOccurrences(
            of: "cert, key = sys.argv[1], sys.argv[2]",
            with: "cert, key = \(String(reflecting: directory.appendingPathComponent("cert.pem").path)), "
                + "\(String(reflecting: directory.appendingPathComponent("key.pem").path))")
        let server = try PythonScriptServer(script: script, name: "tls-close")
        defer { server.stop() }
        try await body(server, directory)
    }

    /// Opens of `path` while `body` runs, counted with inotify. Closes are watched too: the
    /// kernel merges an event into an identical one still unread, so opens alone would count 1.
    func opens(of path: String, during body: () async throws -> Void) async throws -> Int {
        let watcher = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(watcher >= 0)
        defer { close(watcher) }
        try #require(inotify_add_watch(watcher, path, UInt32(IN_OPEN | IN_CLOSE_NOWRITE)) >= 0)
        try await body()
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(watcher, $0.baseAddress, $0.count) }
            guard got > 0 else { break }
            var offset = 0
            while offset < got {
                let (mask, nameLength) = buffer.withUnsafeBytes { raw in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.mask, Int(event.len))
                }
                if mask & UInt32(IN_OPEN) != 0 { count += 1 }
                offset += MemoryLayout<inotify_event>.size + nameLength
            }
        }
        return count
    }

    /// Every new TLS connection had libcurl parse the whole CA bundle again (for the system
    /// bundle ~40 ms of CPU and its own copy of ~140 certificates per connection): the bundle is
    /// now read once, and each connection is still verified against it.
    @Test func theCABundleIsReadOnceForManyConnections() async throws {
        try await withTLSServer { server, directory in
            // A bundle of its own, so no other test's reads are counted.
            let bundle = directory.appendingPathComponent("bundle.pem").path
            try FileManager.default.copyItem(atPath: directory.appendingPathComponent("cert.pem").path, toPath: bundle)
            let client = CurlHTTPClient(configuration: .init(environment: ["AWS_CA_BUNDLE": bundle]))
            let base = "https://127.0.0.1:\(server.port)"
            let requests = 6
            let count = try await opens(of: bundle) {
                for index in 0..<requests {
                    let response = try await client.execute(HTTPRequest(method: "GET", url: "\(base)/object\(index)"))
                    #expect(response.status == 200 && response.body == Array("ok".utf8))
                }
            }
            let connections = try await client.execute(HTTPRequest(method: "GET", url: "\(base)/connections"))
            #expect(String(decoding: connections.body, as: UTF8.self) == String(requests), "each request had a connection of its own")
            #expect(count == 1, "the CA bundle was opened \(count) times for \(requests) connections")
        }
    }

    /// Each request is a transfer of its own, and libcurl keeps TLS sessions per transfer, so
    /// every new connection (a server closing them, as S3 may) was a full handshake, the
    /// certificate chain sent and verified again. Transfers trusting the same bundle now share
    /// their sessions: a new connection to the host resumes one.
    @Test func aNewConnectionResumesAnEarlierTLSSession() async throws {
        try await withTLSServer { server, directory in
            let bundle = directory.appendingPathComponent("cert.pem").path
            let client = CurlHTTPClient(configuration: .init(environment: ["AWS_CA_BUNDLE": bundle]))
            let base = "https://127.0.0.1:\(server.port)"
            let requests = 5
            for index in 0..<requests {
                let response = try await client.execute(HTTPRequest(method: "GET", url: "\(base)/object\(index)"))
                #expect(response.status == 200)
            }
            let connections = try await client.execute(HTTPRequest(method: "GET", url: "\(base)/connections"))
            #expect(String(decoding: connections.body, as: UTF8.self) == String(requests))
            let resumed = try await client.execute(HTTPRequest(method: "GET", url: "\(base)/resumed"))
            // The first connection has no session to resume; each later one resumes.
            #expect(Int(String(decoding: resumed.body, as: UTF8.self)) ?? 0 >= requests - 1,
                    "\(String(decoding: resumed.body, as: UTF8.self)) of \(requests) connections resumed a TLS session")
        }
    }

    /// A session is resumed only by a transfer that trusts what verified it: a client whose
    /// bundle does not hold the server's certificate is refused even after another client,
    /// trusting it, connected to the same server.
    @Test func aSessionIsNotResumedByATransferTrustingAnotherBundle() async throws {
        try await withTLSServer { server, directory in
            let url = "https://127.0.0.1:\(server.port)/object"
            let trusting = CurlHTTPClient(configuration: .init(environment: ["AWS_CA_BUNDLE": directory.appendingPathComponent("cert.pem").path]))
            #expect(try await trusting.execute(HTTPRequest(method: "GET", url: url)).status == 200)
            let other = directory.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            try Self.makeCertificate(in: other)
            let stranger = CurlHTTPClient(configuration: .init(environment: ["AWS_CA_BUNDLE": other.appendingPathComponent("cert.pem").path]))
            let error = try await #require(throws: HTTPClientError.self) {
                try await stranger.execute(HTTPRequest(method: "GET", url: url))
            }
            #expect(error.isTLSFailure)
        }
    }

    /// A libcurl too old to report its CA file (CURLINFO_CAINFO came with 7.84; CodeBuild's
    /// Ubuntu 22.04 and Amazon Linux 2 images have 7.81 and 7.79) still gets the bundle parsed
    /// once: the system's file its build chose, in the order libcurl's configure looks. A libcurl
    /// that reports its file, or reports having none, is taken at its word.
    @Test func theDefaultCAFileOfALibcurlTooOldToSayIsTheSystemsBundle() {
        let redHat: Set = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        #expect(CABundleCache.defaultCAFile(reported: nil) { redHat.contains($0) } == "/etc/pki/tls/certs/ca-bundle.crt")
        #expect(CABundleCache.defaultCAFile(reported: nil) { $0 == "/etc/ssl/cert.pem" } == "/etc/ssl/cert.pem")
        #expect(CABundleCache.defaultCAFile(reported: nil) { _ in false } == nil)
        #expect(CABundleCache.defaultCAFile(reported: .some("/opt/ca.pem")) { _ in true } == "/opt/ca.pem")
        #expect(CABundleCache.defaultCAFile(reported: .some("/opt/ca.pem")) { redHat.contains($0) } == nil, "unreadable: libcurl's own error")
        #expect(CABundleCache.defaultCAFile(reported: .some(nil)) { _ in true } == nil, "built without one")
        // This machine's libcurl, whatever its age, finds the bundle that is here.
        let here = CABundleCache.systemCAFiles.first { access($0, R_OK) == 0 }
        if here != nil { #expect(CABundleCache.libcurlDefaultCAFile != nil) }
    }

    /// The bundle read once still decides trust: a server whose certificate is not in it is
    /// refused, and the message names the bundle.
    @Test func aServerNotInTheBundleIsStillRefused() async throws {
        try await withTLSServer { server, directory in
            let other = directory.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            try Self.makeCertificate(in: other)
            let bundle = other.appendingPathComponent("cert.pem").path
            let client = CurlHTTPClient(configuration: .init(environment: ["AWS_CA_BUNDLE": bundle]))
            for _ in 0..<2 {
                let error = try await #require(throws: HTTPClientError.self) {
                    try await client.execute(HTTPRequest(method: "GET", url: "https://127.0.0.1:\(server.port)/object"))
                }
                #expect(error.isTLSFailure)
                #expect(error.description.contains(bundle), "\(error.description)")
            }
        }
    }
}
