import Foundation
import Testing
import TestSupport
@testable import AWSCore
#if canImport(Glibc)
import Glibc
#endif

/// CurlHTTPClient against a real HTTP/1.1 server on loopback (see HTTPTestServer).
/// Serialized: the memory test reads the process's resident set size, and the proxy test sets
/// proxy variables in the process environment.
@Suite(.serialized)
struct HTTPClientTests {
    struct Echo: Decodable {
        var method: String
        var path: String
        var headers: [[String]]
        var length: Int
        var sha256: String
        var body: String?

        func values(_ name: String) -> [String] {
            headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
        }

        var bodyBytes: [UInt8] { [UInt8](Data(base64Encoded: body ?? "") ?? Data()) }
    }

    func echo(_ response: HTTPResponse) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }

    // MARK: - Methods and headers

    /// A header with a line break would end and start another header on the wire: refused.
    @Test func headersWithLineBreaksAreRefused() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            await #expect(throws: HTTPClientError.self) {
                _ = try await client.execute(HTTPRequest(method: "GET", url: server.url("/echo"),
                                                         headers: [("Cache-Control", "no-cache\r\nX-Injected: 1")]))
            }
            // The client goes on serving other requests.
            let next = try await client.execute(HTTPRequest(method: "GET", url: server.url("/echo")))
            #expect(next.status == 200)
        }
    }

    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/echo?a=1"),
                                                                headers: [("X-Amz-Date", "20240101T000000Z")]))
            #expect(response.status == 200)
            #expect(response.headers.first("content-type") == "application/json")
            #expect(response.headers["Content-Type"] == ["application/json"])
            #expect(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
            let echoed = try echo(response)
            #expect(echoed.method == "GET")
            #expect(echoed.path == "/echo?a=1")
            #expect(echoed.values("x-amz-date") == ["20240101T000000Z"])
            #expect(echoed.length == 0)
            #expect(echoed.values("expect").isEmpty)
        }
    }

    @Test func putAndPostSendTheBodyWithContentLength() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            let payload = Array("hello, bucket".utf8)
            for method in ["PUT", "POST"] {
                let response = try await client.execute(
                    HTTPRequest(method: method, url: server.url("/echo"), headers: [("Content-Type", "text/plain")]),
                    body: .bytes(payload), responseBody: .collect(limit: 1 << 20))
                let echoed = try echo(response)
                #expect(echoed.method == method)
                #expect(echoed.bodyBytes == payload)
                #expect(echoed.values("content-length") == ["\(payload.count)"])
                #expect(echoed.values("transfer-encoding").isEmpty)
                #expect(echoed.values("expect").isEmpty, "no 100-continue round trip")
            }
        }
    }

    @Test func headAndDeleteUseTheirMethods() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            let head = try await client.execute(HTTPRequest(method: "HEAD", url: server.url("/bytes/5000")))
            #expect(head.status == 200)
            #expect(head.headers.first("content-length") == "5000")
            #expect(head.body.isEmpty)

            let delete = try await client.execute(HTTPRequest(method: "DELETE", url: server.url("/echo")))
            #expect(try echo(delete).method == "DELETE")

            let patch = try await client.execute(HTTPRequest(method: "PATCH", url: server.url("/echo")),
                                                 body: .bytes([1, 2, 3]), responseBody: .collect(limit: 1 << 20))
            #expect(try echo(patch).method == "PATCH")
            #expect(try echo(patch).bodyBytes == [1, 2, 3])
        }
    }

    @Test func emptyPutSendsContentLengthZero() async throws {
        try await withHTTPTestServer { server in
            let response = try await CurlHTTPClient().execute(HTTPRequest(method: "PUT", url: server.url("/echo"),
                                                                          headers: [("x-amz-copy-source", "/b/k")]))
            let echoed = try echo(response)
            #expect(echoed.method == "PUT")
            #expect(echoed.values("content-length") == ["0"])
            #expect(echoed.values("content-type").isEmpty)
        }
    }

    @Test func contentTypePassesThroughAndIsNeverFormEncoded() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            let cases: [(method: String, contentType: String?, body: HTTPRequestBody, expected: [String])] = [
                ("PUT", "text/html; charset=utf-8", .bytes(Array("<p>".utf8)), ["text/html; charset=utf-8"]),
                ("POST", "application/x-amz-json-1.0", .bytes(Array("{}".utf8)), ["application/x-amz-json-1.0"]),
                ("POST", "application/xml", .bytes(Array("<Delete/>".utf8)), ["application/xml"]),
                ("POST", nil, .bytes(Array("raw".utf8)), ["application/octet-stream"]),
                ("PUT", nil, .bytes([0, 1]), ["application/octet-stream"]),
                ("POST", nil, .none, []),
            ]
            for item in cases {
                var headers: [(name: String, value: String)] = []
                if let contentType = item.contentType { headers.append(("Content-Type", contentType)) }
                let response = try await client.execute(HTTPRequest(method: item.method, url: server.url("/echo"), headers: headers),
                                                        body: item.body, responseBody: .collect(limit: 1 << 20))
                let echoed = try echo(response)
                #expect(echoed.values("content-type") == item.expected, "\(item.method) \(item.contentType ?? "none")")
                #expect(!echoed.headers.contains { $0[1].contains("x-www-form-urlencoded") })
                #expect(echoed.values("content-length") == ["\(item.body.length)"])
            }
        }
    }

    @Test func headerWithEmptyValueIsSentEmpty() async throws {
        try await withHTTPTestServer { server in
            let response = try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: server.url("/echo"),
                                                                          headers: [("X-Empty", ""), ("X-Order", "1")]))
            let echoed = try echo(response)
            #expect(echoed.values("x-empty") == [""])
            let names = echoed.headers.map { $0[0].lowercased() }
            #expect(names.firstIndex(of: "x-empty")! < names.firstIndex(of: "x-order")!)
        }
    }

    // MARK: - Streaming

    @Test func fileRangeUploadIsStreamedNotBuffered() async throws {
        try await withHTTPTestServer { server in
            let file = try TemporaryFile(megabytes: 60)
            defer { file.remove() }
            let offset: Int64 = 5 * 1024 * 1024 + 3
            let length: Int64 = 50 * 1024 * 1024
            let expected = try sha256OfFileRange(file.path, offset: offset, length: length)

            let client = CurlHTTPClient()
            // Warm up the client (thread, TLS library, connection) so only the transfer is measured.
            _ = try await client.execute(HTTPRequest(method: "GET", url: server.url("/echo")))
            let before = try residentMemoryBytes()
            let response = try await client.execute(
                HTTPRequest(method: "PUT", url: server.url("/echo"), headers: [("Content-Type", "application/zip")]),
                body: .file(path: file.path, offset: offset, length: length), responseBody: .collect(limit: 1 << 20))
            let after = try residentMemoryBytes()

            let echoed = try echo(response)
            #expect(echoed.length == Int(length))
            #expect(echoed.sha256 == expected)
            #expect(echoed.values("content-type") == ["application/zip"])
            #expect(after - before < 30 * 1024 * 1024, "resident memory grew by \((after - before) / 1024) KiB")
        }
    }

    @Test func fileRangeBeyondTheEndFailsBeforeSending() async throws {
        let file = try TemporaryFile(megabytes: 1)
        defer { file.remove() }
        let request = HTTPRequest(method: "PUT", url: "http://127.0.0.1:9/upload")
        let error = try await #require(throws: HTTPClientError.self) {
            try await CurlHTTPClient().execute(request, body: .file(path: file.path, offset: 1024, length: 1024 * 1024),
                                               responseBody: .discard)
        }
        #expect(error.isFileIO)
        #expect(error.description.contains(file.path))

        let missing = try await #require(throws: HTTPClientError.self) {
            try await CurlHTTPClient().execute(request, body: .file(path: "/nonexistent/part", offset: 0, length: 1),
                                               responseBody: .discard)
        }
        #expect(missing.isFileIO)
        #expect(missing.description.contains("/nonexistent/part"))
    }

    @Test func responseIsStreamedToAFile() async throws {
        try await withHTTPTestServer { server in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let count = 8 * 1024 * 1024 + 17
            let client = CurlHTTPClient()
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/bytes/\(count)")),
                                                    body: .none, responseBody: .file(path: path))
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(data.count == count)
            let matches = data.withUnsafeBytes { bytes in
                bytes.enumerated().allSatisfy { index, byte in byte == UInt8((index * 31 + 7) % 251) }
            }
            #expect(matches)

            // An error status keeps the error document for the caller and leaves no file.
            let errorPath = path + ".error"
            let failed = try await client.execute(HTTPRequest(method: "GET", url: server.url("/status/404")),
                                                  body: .none, responseBody: .file(path: errorPath))
            #expect(failed.status == 404)
            #expect(String(decoding: failed.body, as: UTF8.self) == "<Error>status 404</Error>")
            #expect(!FileManager.default.fileExists(atPath: errorPath))
        }
    }

    @Test func unwritableResponseFileFailsNamingIt() async throws {
        try await withHTTPTestServer { server in
            let error = try await #require(throws: HTTPClientError.self) {
                try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: server.url("/bytes/10")),
                                                   body: .none, responseBody: .file(path: "/nonexistent/dir/out"))
            }
            #expect(error.isFileIO)
            #expect(error.description.contains("/nonexistent/dir/out"))
        }
    }

    @Test func statusCodesAreResponsesNotErrors() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            for status in [204, 301, 403, 404, 500, 503] {
                let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/status/\(status)")),
                                                        body: .none, responseBody: .discard)
                #expect(response.status == status)
                #expect(response.isSuccess == (status < 300))
            }
        }
    }

    @Test func collectLimitExceededIsAnError() async throws {
        try await withHTTPTestServer { server in
            let url = server.url("/bytes/100000")
            let error = try await #require(throws: HTTPClientError.self) {
                try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: url), limit: 1000)
            }
            #expect(error.isResponseBodyTooLarge)
            #expect(!error.isRetryable)
            #expect(error.description.contains(url))
            #expect(error.description.contains("1000-byte limit"))

            let exact = try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: server.url("/bytes/1000")), limit: 1000)
            #expect(exact.body.count == 1000)
        }
    }

    // MARK: - Concurrency and connection reuse

    @Test func concurrentRequestsShareFewConnections() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: 6, maxTotalConnections: 12))
            let connections: @Sendable () async throws -> Int = {
                let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/count-connections")))
                let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Int]
                return object?["connections"] ?? -1
            }
            let before = try await connections()
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/bytes/\(1000 + index)")))
                        return (response.status, response.body.count - index)
                    }
                }
                return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
            }
            let after = try await connections()

            #expect(statuses.count == 100)
            #expect(statuses.allSatisfy { $0 == (200, 1000) })
            #expect(after - before <= 6, "\(after - before) connections for 100 requests")
        }
    }

    // MARK: - Failures

    @Test func stalledTransferTimesOut() async throws {
        try await withHTTPTestServer { server in
            let url = server.url("/slow?seconds=6")
            let request = HTTPRequest(method: "GET", url: url,
                                      timeouts: .init(connect: 5, lowSpeedLimit: 1, lowSpeedTime: 1))
            let error = try await #require(throws: HTTPClientError.self) {
                try await CurlHTTPClient().execute(request)
            }
            #expect(error.isTimeout)
            #expect(error.isRetryable)
            // The server would have answered after 6 s: a timeout error shows the stall was cut short.
            #expect(error.description.contains(url))
        }
    }

    @Test func connectionClosedWithoutResponseIsAResetAndRetryable() async throws {
        try await withHTTPTestServer { server in
            let error = try await #require(throws: HTTPClientError.self) {
                try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: server.url("/reset")))
            }
            #expect(error.isConnectionReset)
            #expect(error.isRetryable)
            #expect(error.description.contains(server.url("/reset")))
        }
    }

    @Test func refusedConnectionNamesTheURL() async throws {
        let refusing = try RefusingLoopbackPort()
        let url = "http://127.0.0.1:\(refusing.port)/object"
        let error = try await #require(throws: HTTPClientError.self) {
            try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: url))
        }
        #expect(error.isConnectFailure)
        #expect(error.isRetryable)
        #expect(error.description.contains("could not connect to \(url)"))
        withExtendedLifetime(refusing) {}
    }

    @Test func missingCABundleIsNamed() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient(configuration: .init(environment: ["SSL_CERT_FILE": "/nonexistent/ca-bundle.pem"]))
            let url = "https://127.0.0.1:\(server.port)/echo"
            let error = try await #require(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(method: "GET", url: url))
            }
            #expect(error.isTLSFailure)
            #expect(!error.isRetryable)
            #expect(error.description.contains("/nonexistent/ca-bundle.pem"))
            #expect(error.description.contains("SSL_CERT_FILE"))
        }
    }

    /// A proxy that answers the tunnel with 407 wants credentials: not retried, and said what
    /// to do; a 502 from it may pass.
    @Test func aProxyRefusingTheTunnelIsNamed() {
        let denied = HTTPClientError.transfer(curlCode: 56, url: "https://bucket.s3.amazonaws.com/x",
                                              detail: "CONNECT tunnel failed, response 407", caFile: "")
        #expect(!denied.isRetryable)
        #expect(denied.description.contains("the proxy (HTTPS_PROXY) asks for credentials") && denied.description.contains("NO_PROXY"),
                "\(denied.description)")
        let failing = HTTPClientError.transfer(curlCode: 56, url: "https://bucket.s3.amazonaws.com/x",
                                               detail: "CONNECT tunnel failed, response 502", caFile: "")
        #expect(failing.isRetryable && failing.description.contains("refused a tunnel"))
        #expect(HTTPClientError.transfer(curlCode: 56, url: "https://x/", detail: "Connection reset by peer", caFile: "").isConnectionReset)
    }

    /// AWS_CA_BUNDLE, as the AWS SDKs and CLI read it, comes before SSL_CERT_FILE.
    @Test func awsCABundleIsUsedFirst() {
        let both = CurlHTTPClient.Configuration(environment: ["AWS_CA_BUNDLE": "/corp/aws-ca.pem", "SSL_CERT_FILE": "/etc/ssl/other.pem"])
        #expect(both.caBundlePath == "/corp/aws-ca.pem")
        #expect(CurlHTTPClient.Configuration(environment: ["SSL_CERT_FILE": "/etc/ssl/other.pem"]).caBundlePath == "/etc/ssl/other.pem")
        #expect(CurlHTTPClient.Configuration(environment: ["AWS_CA_BUNDLE": ""]).caBundlePath == nil)
    }

    /// The server answers after an hour: if cancelling did not stop the transfer, the test
    /// would hang until its time limit instead of finishing.
    @Test(.timeLimit(.minutes(10))) func cancellationStopsASlowTransferPromptly() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            let request = HTTPRequest(method: "GET", url: server.url("/slow?seconds=3600"),
                                      timeouts: .init(lowSpeedLimit: 0, lowSpeedTime: 0))
            let task = Task { try await client.execute(request) }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }

            // The client keeps working after a cancellation.
            let next = try await client.execute(HTTPRequest(method: "GET", url: server.url("/bytes/10")))
            #expect(next.body.count == 10)
        }
    }

    @Test func alreadyCancelledTaskDoesNotSend() async throws {
        try await withHTTPTestServer { server in
            let client = CurlHTTPClient()
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPRequest(method: "GET", url: server.url("/slow?seconds=5")))
            }
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    /// HTTPS_PROXY and NO_PROXY, as read from an environment, decide the route. The test
    /// server stands in as the proxy and records the CONNECT it refuses.
    @Test func httpsProxyAndNoProxyComeFromTheEnvironment() async throws {
        try await withHTTPTestServer { server in
            let plain = CurlHTTPClient(configuration: .init(environment: [:]))
            let tunnels: @Sendable () async throws -> [String] = {
                let response = try await plain.execute(HTTPRequest(method: "GET", url: server.url("/tunnels")))
                let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String]]
                return object?["tunnels"] ?? []
            }
            let request = HTTPRequest(method: "GET", url: "https://proxied.example.invalid/object",
                                      timeouts: .init(connect: 3))
            let proxied = CurlHTTPClient(configuration: .init(environment: ["HTTPS_PROXY": server.baseURL]))
            await #expect(throws: HTTPClientError.self) { try await proxied.execute(request) }
            let first = try await tunnels()
            #expect(first == ["proxied.example.invalid:443"])

            let bypassed = CurlHTTPClient(configuration: .init(environment: ["HTTPS_PROXY": server.baseURL, "NO_PROXY": "example.invalid"]))
            await #expect(throws: HTTPClientError.self) { try await bypassed.execute(request) }
            let second = try await tunnels()
            #expect(second == ["proxied.example.invalid:443"], "the NO_PROXY host went through the proxy")
        }
    }

    /// A proxy that cannot be reached is named by the variable that set it: http_proxy or
    /// ALL_PROXY for an http:// endpoint, not HTTPS_PROXY. Nothing listens on port 9.
    @Test func anUnreachableProxyIsNamedByItsVariable() async throws {
        for (environment, named) in [(["http_proxy": "http://127.0.0.1:9"], "http_proxy"),
                                     (["ALL_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"], "ALL_PROXY")] {
            let client = CurlHTTPClient(configuration: .init(environment: environment))
            let error = try await #require(throws: HTTPClientError.self) {
                try await client.execute(HTTPRequest(method: "GET", url: "http://endpoint.example.invalid/x", timeouts: .init(connect: 5)))
            }
            #expect(error.isConnectFailure, "\(error)")
            #expect(error.description.contains("(\(named) and NO_PROXY apply)"), "\(error.description)")
        }
        let tunnel = HTTPClientError.transfer(curlCode: 56, url: "https://h/", detail: "CONNECT tunnel failed, response 503", caFile: "",
                                              proxyVariable: "ALL_PROXY")
        #expect(tunnel.description.contains("the proxy (ALL_PROXY) refused a tunnel"), "\(tunnel.description)")
    }

    @Test func proxySettingsAreReadFromTheEnvironmentLikeCurl() {
        let config = CurlHTTPClient.Configuration(environment: ["https_proxy": "http://a:1", "HTTP_PROXY": "http://ignored:2",
                                                                "ALL_PROXY": "http://all:3", "no_proxy": "localhost,.internal"])
        #expect(config.httpsProxy == "http://a:1")
        #expect(config.httpProxy == "http://all:3")
        #expect(config.noProxy == "localhost,.internal")
        #expect(CurlHTTPClient.Configuration(environment: [:]).httpsProxy == nil)
    }

    @Test func curlFailuresAreClassified() {
        let url = "https://b.s3.amazonaws.com/k"
        let caFile = "/etc/ssl/certs/ca-certificates.crt"
        // CURLE_RECV_ERROR 56, CURLE_SEND_ERROR 55, CURLE_GOT_NOTHING 52, CURLE_PARTIAL_FILE 18
        for code: UInt32 in [56, 55, 52, 18] {
            let error = HTTPClientError.transfer(curlCode: code, url: url, detail: "d", caFile: caFile)
            #expect(error.isConnectionReset && error.isRetryable, "curl error \(code)")
            #expect(error.curlCode == code)
        }
        // CURLE_SSL_CACERT_BADFILE 77
        let badCA = HTTPClientError.transfer(curlCode: 77, url: url, detail: "error setting certificate file", caFile: caFile)
        #expect(badCA.isTLSFailure && !badCA.isRetryable)
        #expect(badCA.description.contains(caFile) && badCA.description.contains("ca-certificates package"))
        // CURLE_PEER_FAILED_VERIFICATION 60
        let untrusted = HTTPClientError.transfer(curlCode: 60, url: url, detail: "unable to get local issuer certificate", caFile: caFile)
        #expect(untrusted.isTLSFailure)
        #expect(untrusted.description.contains("not trusted by the CA bundle \(caFile)"))
        // CURLE_OPERATION_TIMEDOUT 28, CURLE_COULDNT_CONNECT 7
        #expect(HTTPClientError.transfer(curlCode: 28, url: url, detail: "d", caFile: caFile).isTimeout)
        #expect(HTTPClientError.transfer(curlCode: 7, url: url, detail: "d", caFile: caFile).isConnectFailure)
        // CURLE_WRITE_ERROR 23 is not a network failure
        #expect(!HTTPClientError.transfer(curlCode: 23, url: url, detail: "d", caFile: caFile).isRetryable)
    }
}

// MARK: - Support

/// A file of `megabytes` MiB where byte i is i % 253, written 1 MiB at a time.
struct TemporaryFile {
    let path: String

    init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw HTTPTestServer.TestServerError(message: "could not create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let chunkSize = 1024 * 1024
        let pattern = Data((0..<(chunkSize + 253)).map { UInt8($0 % 253) })
        for chunk in 0..<megabytes {
            let phase = (chunk * chunkSize) % 253
            try handle.write(contentsOf: pattern[phase..<(phase + chunkSize)])
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The SHA-256 of a file range, computed by Python's hashlib so the test does not depend on
/// the code under test.
func sha256OfFileRange(_ path: String, offset: Int64, length: Int64) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import hashlib, sys
        h = hashlib.sha256()
        with open(sys.argv[1], 'rb') as f:
            f.seek(int(sys.argv[2])); left = int(sys.argv[3])
            while left > 0:
                chunk = f.read(min(left, 1 << 20)); h.update(chunk); left -= len(chunk)
        print(h.hexdigest())
        """, path, "\(offset)", "\(length)"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// VmRSS of this process, from /proc/self/status.
func residentMemoryBytes() throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else {
        throw HTTPTestServer.TestServerError(message: "no VmRSS line in /proc/self/status")
    }
    return kilobytes * 1024
}
