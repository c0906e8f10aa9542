import AWSCore
import Deploy
import Foundation
@testable import Preview
import SiteContent
import Testing

@Suite("PreviewSite over real HTTP")
struct PreviewServerTests {
    static func bytes(_ path: String) -> [UInt8] { ServedSite.files.first { $0.0 == path }!.1 }

    @Test func rootServesIndexWithManifestHeaders() async throws {
        let site = try await ServedSite()
        let manifest = try site.manifest()
        let entry = try #require(manifest.entry(at: "index.html"))
        let r = try request(site.port, "GET", "/")
        #expect(r.status == 200)
        #expect(r.body == Self.bytes("index.html"))
        #expect(r.trailing.isEmpty)
        #expect(r.header("Content-Type") == "text/html; charset=utf-8")
        #expect(r.header("Cache-Control") == entry.headers.cacheControl)
        #expect(r.header("Cache-Control") == HeaderPolicy.entryPointCache)
        #expect(r.header("ETag") == "\"\(ContentHash(of: Self.bytes("index.html")).hex)\"")
        #expect(r.header("Content-Length") == String(Self.bytes("index.html").count))
        #expect(r.header("Accept-Ranges") == "bytes")
        #expect(r.header("X-Sitebuild-Version") == manifest.version)
        #expect(r.header("Connection") == "close")
        #expect(r.headers(named: "Content-Length").count == 1)

        let css = try request(site.port, "GET", "/assets/app.css")
        #expect(css.status == 200)
        #expect(css.header("Content-Type") == "text/css; charset=utf-8")
        #expect(css.header("Cache-Control") == HeaderPolicy.assetCache)
        #expect(css.body == Self.bytes("assets/app.css"))

        let blob = try request(site.port, "GET", "/data/blob.bin")
        #expect(blob.status == 200)
        #expect(blob.header("Content-Type") == "application/octet-stream")
        #expect(blob.body.count == 100 * 1024)
        #expect(blob.body == ServedSite.blob)

        // A query string does not change what is served.
        #expect(try request(site.port, "GET", "/about?utm=x&y").body == Self.bytes("about.html"))
    }

    @Test func conditionalGet() async throws {
        let site = try await ServedSite()
        let first = try request(site.port, "GET", "/")
        let etag = try #require(first.header("ETag"))
        for value in [etag, "W/" + etag, "\"0000\", " + etag, "*"] {
            let r = try request(site.port, "GET", "/", headers: [("If-None-Match", value)])
            #expect(r.status == 304, "If-None-Match: \(value)")
            #expect(r.body.isEmpty && r.trailing.isEmpty, "a 304 has no body")
            #expect(r.header("ETag") == etag)
            #expect(r.header("Cache-Control") == HeaderPolicy.entryPointCache)
        }
        let other = try request(site.port, "GET", "/", headers: [("If-None-Match", "\"0123\"")])
        #expect(other.status == 200)
        #expect(other.body == Self.bytes("index.html"))
        // Another file's ETag does not match.
        let about = try request(site.port, "GET", "/about", headers: [("If-None-Match", etag)])
        #expect(about.status == 200)
        #expect(about.body == Self.bytes("about.html"))
    }

    /// Last-Modified, If-Match, If-Unmodified-Since and If-Modified-Since as S3 answers them
    /// (RFC 9110's order): the preview agrees with the deployed site on 412 and 304.
    @Test func datesAndTheOtherConditionalHeaders() async throws {
        let site = try await ServedSite()
        let first = try request(site.port, "GET", "/")
        let etag = try #require(first.header("ETag"))
        let modifiedText = try #require(first.header("Last-Modified"))
        let modified = try #require(UTCTime.parseHTTPDate(modifiedText))
        let dateHeader = try #require(first.header("Date"))
        #expect(try #require(UTCTime.parseHTTPDate(dateHeader)) >= modified)
        let before = UTCTime.httpDate(modified.addingTimeInterval(-3600))
        let after = UTCTime.httpDate(modified.addingTimeInterval(3600))

        func status(_ headers: [(String, String)]) throws -> Int { try request(site.port, "GET", "/", headers: headers).status }
        #expect(try status([("If-Match", etag)]) == 200)
        #expect(try status([("If-Match", "*")]) == 200)
        #expect(try status([("If-Match", "\"0123\", " + etag)]) == 200)
        #expect(try status([("If-Match", "\"0123\"")]) == 412)
        #expect(try status([("If-Match", "W/" + etag)]) == 412, "If-Match compares strongly")
        #expect(try status([("If-Unmodified-Since", before)]) == 412)
        #expect(try status([("If-Unmodified-Since", modifiedText)]) == 200)
        #expect(try status([("If-Match", etag), ("If-Unmodified-Since", before)]) == 200, "If-Match wins over the date")
        #expect(try status([("If-Modified-Since", modifiedText)]) == 304)
        #expect(try status([("If-Modified-Since", after)]) == 304)
        #expect(try status([("If-Modified-Since", before)]) == 200)
        #expect(try status([("If-Modified-Since", "yesterday")]) == 200, "not a date: ignored")
        #expect(try status([("If-None-Match", "\"0123\""), ("If-Modified-Since", after)]) == 200, "If-None-Match wins over the date")
        #expect(try status([("If-Match", "\"0123\""), ("If-None-Match", etag)]) == 412)
        let notModified = try request(site.port, "GET", "/", headers: [("If-Modified-Since", modifiedText)])
        #expect(notModified.header("Last-Modified") == modifiedText)
        #expect(notModified.body.isEmpty && notModified.trailing.isEmpty)
        let failed = try request(site.port, "HEAD", "/", headers: [("If-Match", "\"0123\"")])
        #expect(failed.status == 412 && failed.trailing.isEmpty)
    }

    /// A `%` that is not an escape, or escapes that are not UTF-8: S3 cannot decode the key
    /// (400), so the preview does not serve the file there either; `%25` reaches it.
    @Test func malformedEscapesAreBadRequests() async throws {
        let site = try await ServedSite()
        #expect(try request(site.port, "GET", "/100%25.html").body == Self.bytes("100%.html"))
        for target in ["/100%.html", "/100%", "/x%AB.txt", "/caf%E9.html", "/%zz"] {
            let r = try request(site.port, "GET", target)
            #expect(r.status == 400, "\(target)")
            #expect(r.text.contains("malformed %-escape"), "\(target)")
        }
    }

    /// CloudFront answers a URL over 8,192 bytes with 414; a header block too big is 431.
    @Test func tooLongURIsAndHeaders() async throws {
        let site = try await ServedSite()
        #expect(try request(site.port, "GET", "/?" + String(repeating: "a", count: 8000)).status == 200)
        #expect(try request(site.port, "GET", "/?" + String(repeating: "a", count: 9000)).status == 414)
        #expect(try request(site.port, "GET", "/" + String(repeating: "a", count: 70000)).status == 414)
        #expect(try request(site.port, "GET", "/", headers: [("X-Big", String(repeating: "b", count: 70000))]).status == 431)
    }

    @Test func headHasHeadersButNoBody() async throws {
        let site = try await ServedSite()
        let r = try request(site.port, "HEAD", "/")
        #expect(r.status == 200)
        #expect(r.header("Content-Length") == String(Self.bytes("index.html").count))
        #expect(r.header("Content-Type") == "text/html; charset=utf-8")
        #expect(r.header("ETag") != nil)
        #expect(r.body.isEmpty)
        #expect(r.trailing.isEmpty, "HEAD must not send a body; got \(r.trailing.count) bytes")

        let blob = try request(site.port, "HEAD", "/data/blob.bin")
        #expect(blob.header("Content-Length") == "102400")
        #expect(blob.trailing.isEmpty)
    }

    @Test func byteRanges() async throws {
        let site = try await ServedSite()
        let size = ServedSite.blob.count
        let r = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=10-19")])
        #expect(r.status == 206)
        #expect(r.header("Content-Range") == "bytes 10-19/\(size)")
        #expect(r.header("Content-Length") == "10")
        #expect(r.body == Array(ServedSite.blob[10..<20]))
        #expect(r.trailing.isEmpty)

        let suffix = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=-5")])
        #expect(suffix.status == 206)
        #expect(suffix.header("Content-Range") == "bytes \(size - 5)-\(size - 1)/\(size)")
        #expect(suffix.body == Array(ServedSite.blob[(size - 5)...]))

        let open = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=102000-")])
        #expect(open.status == 206)
        #expect(open.body == Array(ServedSite.blob[102_000...]))

        let past = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=999999-")])
        #expect(past.status == 416)
        #expect(past.header("Content-Range") == "bytes */\(size)")
        #expect(past.body.isEmpty && past.trailing.isEmpty)

        let onPage = try request(site.port, "GET", "/", headers: [("Range", "bytes=999999-")])
        #expect(onPage.status == 416)

        // If-Range: the range only when the client's part is of this very file (its ETag);
        // after a flip to other content, the whole file (a resumed download never mixes two).
        let etag = try #require(r.header("ETag"))
        let same = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=10-19"), ("If-Range", etag)])
        #expect(same.status == 206)
        #expect(same.body == Array(ServedSite.blob[10..<20]))
        for validator in ["\"0000000000000000\"", "W/\(etag)", "Sat, 28 Nov 2026 00:00:00 GMT"] {
            let other = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=10-19"), ("If-Range", validator)])
            #expect(other.status == 200, "\(validator)")
            #expect(other.body.count == size, "\(validator)")
        }

        // Several ranges: the whole file (allowed by RFC 9110).
        let multi = try request(site.port, "GET", "/data/blob.bin", headers: [("Range", "bytes=0-1,5-6")])
        #expect(multi.status == 200)
        #expect(multi.body.count == size)

        // A range on HEAD: headers of the part, no body.
        let head = try request(site.port, "HEAD", "/data/blob.bin", headers: [("Range", "bytes=0-99")])
        #expect(head.status == 206)
        #expect(head.header("Content-Length") == "100")
        #expect(head.trailing.isEmpty)
    }

    @Test func routing() async throws {
        let site = try await ServedSite()
        let about = try request(site.port, "GET", "/about")
        #expect(about.status == 200)
        #expect(about.body == Self.bytes("about.html"))

        // /docs is served from the docs.html alias the manifest added for docs/index.html.
        let docs = try request(site.port, "GET", "/docs")
        #expect(docs.status == 200)
        #expect(docs.body == Self.bytes("docs/index.html"))
        #expect(docs.header("Content-Type") == "text/html; charset=utf-8")
        #expect(try site.manifest().entry(at: "docs.html")?.aliasOf == "docs/index.html")
        let docsSlash = try request(site.port, "GET", "/docs/")
        #expect(docsSlash.status == 200)
        #expect(docsSlash.body == Self.bytes("docs/index.html"))

        let redirect = try request(site.port, "GET", "/docs/index.html")
        #expect(redirect.status == 301)
        #expect(redirect.header("Location") == "/docs/")
        #expect(redirect.body.isEmpty && redirect.trailing.isEmpty)
        let rootRedirect = try request(site.port, "GET", "/index.html?a=1&b=2&a=3")
        #expect(rootRedirect.status == 301)
        #expect(rootRedirect.header("Location") == "/?a=1&a=3&b=2")
        let evil = try request(site.port, "GET", "//evil.example/index.html")
        #expect(evil.header("Location") == "/evil.example/")

        let missing = try request(site.port, "GET", "/missing")
        #expect(missing.status == 404)
        #expect(missing.body == Self.bytes("404.html"))
        #expect(missing.header("Content-Type") == "text/html; charset=utf-8")
        #expect(missing.header("ETag") == nil)
        let missingFile = try request(site.port, "GET", "/nope/thing.png", headers: [("If-None-Match", "*"), ("Range", "bytes=0-1")])
        #expect(missingFile.status == 404)
        #expect(missingFile.body == Self.bytes("404.html"))
        let missingHead = try request(site.port, "HEAD", "/missing")
        #expect(missingHead.status == 404)
        #expect(missingHead.trailing.isEmpty)

        // Percent-encoded paths are decoded to find the object.
        let cafe = try request(site.port, "GET", "/caf%C3%A9")
        #expect(cafe.status == 200)
        #expect(cafe.body == Self.bytes("caf\u{E9}.html"))
        // A `+` is a plus (the function sends it to S3 as %2B, which S3 would read as a space).
        for (target, file) in [("/c++", "c++.html"), ("/c%2B%2B", "c++.html"), ("/c%20%20", "c  .html")] {
            let page = try request(site.port, "GET", target)
            #expect(page.status == 200 && page.body == Self.bytes(file), "\(target)")
        }

        // Nothing outside the version is reachable.
        for target in ["/../_sitebuild/live", "/%2e%2e/_sitebuild/live", "/_sitebuild/live", "/..%2f_sitebuild%2flive"] {
            let r = try request(site.port, "GET", target)
            #expect(r.status == 404, "\(target)")
            #expect(r.body == Self.bytes("404.html"), "\(target)")
        }
    }

    /// Without a 404.html the answer is sitebuild's own text; HEAD of it has its headers and
    /// no body, so a kept-alive connection's next response parses.
    @Test func headOfTheBuiltInNotFoundHasNoBody() async throws {
        let site = try await ServedSite()
        try FileManager.default.removeItem(atPath: site.source + "/404.html")
        _ = try await site.deployer.deploy(directory: site.source)
        let get = try request(site.port, "GET", "/missing")
        #expect(get.status == 404 && get.text == "Not Found: /missing\n")
        let connection = try HTTPConnection(port: site.port)
        try connection.send("HEAD", "/missing")
        let head = try connection.readResponse(method: "HEAD")
        #expect(head.status == 404 && head.header("Content-Length") == String(get.body.count))
        try connection.send("GET", "/about")
        let next = try connection.readResponse()
        #expect(next.status == 200 && next.body == Self.bytes("about.html"))
    }

    /// --verbose logs a request line with its control characters escaped: from any client,
    /// written raw they would drive the terminal.
    @Test func controlCharactersAreEscapedInTheLog() {
        #expect(PreviewServer.escapingControls("/a\u{1B}[2J\u{7F}\u{9B}31m\\b\u{E9}") == "/a\\x1B[2J\\x7F\\u{009B}31m\\\\b\u{E9}")
        #expect(PreviewServer.escapingControls("GET") == "GET")
    }

    @Test func otherMethodsAreRefused() async throws {
        let site = try await ServedSite()
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            let r = try request(site.port, method, "/", body: method == "POST" ? Array("a=1".utf8) : [])
            #expect(r.status == 405, "\(method)")
            #expect(r.header("Allow") == "GET, HEAD", "\(method)")
        }
    }

    @Test func noLiveVersionIsServiceUnavailable() async throws {
        let site = try await ServedSite(deploy: false)
        let r = try request(site.port, "GET", "/")
        #expect(r.status == 503)
        #expect(r.header("Cache-Control") == "no-store")
        // HEAD of sitebuild's own answer: the GET answer's headers, no body (a kept-alive
        // connection's next response would start with it).
        let head = try request(site.port, "HEAD", "/")
        #expect(head.status == 503 && head.header("Content-Length") == String(r.body.count))
        #expect(head.trailing.isEmpty, "HEAD must not send a body; got \(String(decoding: head.trailing, as: UTF8.self))")
        _ = try await site.deployer.deploy(directory: site.source)
        #expect(try request(site.port, "GET", "/").status == 200)
    }

    @Test func flipAndRollbackShowWithoutRestart() async throws {
        let site = try await ServedSite()
        let v1 = try #require(site.live)
        // A kept-alive connection opened before the flip sees it too.
        let connection = try HTTPConnection(port: site.port)
        try connection.send("GET", "/")
        let before = try connection.readResponse()
        #expect(before.body == Self.bytes("index.html"))
        #expect(before.header("X-Sitebuild-Version") == v1)

        try site.writeSource("index.html", "<!doctype html><h1>home, version two</h1>\n")
        let outcome = try await site.deployer.deploy(directory: site.source)
        let v2 = outcome.version
        #expect(outcome.kind == .deployed)
        #expect(v2 != v1)
        try connection.send("GET", "/")
        let after = try connection.readResponse()
        #expect(after.text == "<!doctype html><h1>home, version two</h1>\n")
        #expect(after.header("X-Sitebuild-Version") == v2)
        #expect(after.header("ETag") != before.header("ETag"))
        let fresh = try request(site.port, "GET", "/")
        #expect(fresh.text == "<!doctype html><h1>home, version two</h1>\n")
        // The unchanged page is the same object and keeps its ETag.
        #expect(try request(site.port, "GET", "/about").header("X-Sitebuild-Version") == v2)

        let back = try await site.deployer.rollback(to: nil)
        #expect(back.to == v1)
        try connection.send("GET", "/")
        let rolledBack = try connection.readResponse()
        #expect(rolledBack.body == Self.bytes("index.html"))
        #expect(rolledBack.header("X-Sitebuild-Version") == v1)
        #expect(try request(site.port, "GET", "/").body == Self.bytes("index.html"))
    }

    @Test func keepAliveAndPipelining() async throws {
        let site = try await ServedSite()
        let connection = try HTTPConnection(port: site.port)
        try connection.send("GET", "/")
        let one = try connection.readResponse()
        #expect(one.status == 200)
        #expect(one.header("Connection") == "keep-alive")
        #expect(one.body == Self.bytes("index.html"))
        try connection.send("GET", "/about")
        let two = try connection.readResponse()
        #expect(two.body == Self.bytes("about.html"))

        // HEAD and 304 on the same connection: had a body been sent, the next response would not parse.
        try connection.send("HEAD", "/data/blob.bin")
        #expect(try connection.readResponse(method: "HEAD").status == 200)
        try connection.send("GET", "/", headers: [("If-None-Match", try #require(one.header("ETag")))])
        #expect(try connection.readResponse().status == 304)

        // Three requests in one write, answered in order.
        let pipelined = HTTPConnection.requestBytes("GET", "/assets/app.css") + HTTPConnection.requestBytes("GET", "/docs")
            + HTTPConnection.requestBytes("GET", "/data/blob.bin", headers: [("Range", "bytes=0-3")])
        try connection.send(pipelined)
        #expect(try connection.readResponse().body == Self.bytes("assets/app.css"))
        #expect(try connection.readResponse().body == Self.bytes("docs/index.html"))
        let ranged = try connection.readResponse()
        #expect(ranged.status == 206)
        #expect(ranged.body == Array(ServedSite.blob[0..<4]))

        // A request body is skipped, and the connection goes on.
        try connection.send("POST", "/form", body: Array(String(repeating: "x", count: 40_000).utf8))
        #expect(try connection.readResponse().status == 405)
        try connection.send("GET", "/about")
        #expect(try connection.readResponse().body == Self.bytes("about.html"))

        // Connection: close ends it after the response.
        try connection.send("GET", "/", headers: [("Connection", "close")])
        let last = try connection.readResponse()
        #expect(last.header("Connection") == "close")
        #expect(try connection.readToEnd().isEmpty)
    }

    /// A request body sent with `Transfer-Encoding: chunked` has no Content-Length. The
    /// server must either skip it or close the connection after answering; it must not
    /// read the chunk data as the next request.
    @Test func chunkedRequestBodyDoesNotDesynchronizeTheConnection() async throws {
        let site = try await ServedSite()
        let connection = try HTTPConnection(port: site.port)
        try connection.send(Array("POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8))
        let refused = try connection.readResponse()
        #expect(refused.status == 405)
        if refused.header("Connection") == "close" {
            #expect(try connection.readToEnd().isEmpty)
        } else {
            // The server may already have closed (after answering the chunk data with 400).
            try? connection.send("GET", "/about")
            let next = try? connection.readResponse()
            #expect(next?.status == 200)
            #expect(next?.body == Self.bytes("about.html"))
        }
    }

    /// `--host localhost` (a name, not only an IPv4 literal) and IPv6 addresses are accepted.
    @Test func serveListensOnANameOrAnIPv6Address() async throws {
        let site = try await ServedSite()
        let named = PreviewServer(site: site.server.site, host: "localhost", port: 0)
        try named.start()
        #expect(named.port > 0)
        Thread.detachNewThread { named.run() }
        let connection = try HTTPConnection(port: named.port)
        try connection.send("GET", "/about")
        #expect(try connection.readResponse().body == Self.bytes("about.html"))
        let six = PreviewServer(site: site.server.site, host: "::1", port: 0)
        // Machines without IPv6 loopback cannot bind ::1; where they can, the port is real.
        if (try? six.start()) != nil { #expect(six.port > 0) }
        #expect(throws: PreviewError.self) { try PreviewServer(site: site.server.site, host: "no-such-host.invalid", port: 0).start() }
        // An address this machine does not have is named as the problem, not the port.
        let foreign = #expect(throws: PreviewError.self) { try PreviewServer(site: site.server.site, host: "192.0.2.1", port: 0).start() }
        #expect("\(foreign.map { "\($0)" } ?? "")".contains("--host 192.0.2.1: not an address of this machine"))
    }

    /// RFC 9112 §3.2.2: a server must accept the absolute form of the request target.
    @Test func absoluteFormRequestTargetsAreServed() async throws {
        let site = try await ServedSite()
        let connection = try HTTPConnection(port: site.port)
        try connection.send("GET", "http://127.0.0.1:\(site.port)/about")
        #expect(try connection.readResponse().body == Self.bytes("about.html"))
        try connection.send("GET", "HTTP://example.com")
        #expect(try connection.readResponse().body == Self.bytes("index.html"))
        try connection.send("GET", "https://example.com?x=1")
        #expect(try connection.readResponse().body == Self.bytes("index.html"))
        #expect(PreviewServer.originForm("/a/b?c") == "/a/b?c")
        #expect(PreviewServer.originForm("http://h:1/a/b?c") == "/a/b?c")
    }

    @Test func http10ClosesUnlessKeepAlive() async throws {
        let site = try await ServedSite()
        let connection = try HTTPConnection(port: site.port)
        try connection.send(Array("GET /about HTTP/1.0\r\n\r\n".utf8))
        let r = try connection.readResponse()
        #expect(r.body == Self.bytes("about.html"))
        #expect(r.header("Connection") == "close")
        #expect(try connection.readToEnd().isEmpty)

        let bad = try HTTPConnection(port: site.port)
        try bad.send(Array("NONSENSE\r\n\r\n".utf8))
        #expect(try bad.readResponse().status == 400)
    }

    @Test func spaModeServesIndexForRoutes() async throws {
        let site = try await ServedSite(mode: .spa)
        let route = try request(site.port, "GET", "/users/42")
        #expect(route.status == 200)
        #expect(route.body == Self.bytes("index.html"))
        #expect(try request(site.port, "GET", "/assets/app.css").body == Self.bytes("assets/app.css"))
        // No alias in spa mode: /docs is a route, so index.html.
        #expect(try request(site.port, "GET", "/docs").body == Self.bytes("index.html"))
        #expect(try site.manifest().entry(at: "docs.html") == nil)
    }

    @Test func trailingSlashAlways() async throws {
        let site = try await ServedSite(trailingSlash: .always)
        let r = try request(site.port, "GET", "/about?x=1")
        #expect(r.status == 301)
        #expect(r.header("Location") == "/about/?x=1")
        #expect(try request(site.port, "GET", "/docs/").body == Self.bytes("docs/index.html"))
    }
}

@Suite("PreviewSite.parseRange")
struct ParseRangeTests {
    typealias R = PreviewSite.RangeResult

    @Test(arguments: [
        ("bytes=0-0", 10, R.range(0, 0)),
        ("bytes=10-19", 100, R.range(10, 19)),
        ("bytes=90-200", 100, R.range(90, 99)),
        ("bytes=0-", 100, R.range(0, 99)),
        ("bytes=99-", 100, R.range(99, 99)),
        ("bytes=100-", 100, R.unsatisfiable),
        ("bytes=999999-", 100, R.unsatisfiable),
        ("bytes=-5", 100, R.range(95, 99)),
        ("bytes=-100", 100, R.range(0, 99)),
        ("bytes=-500", 100, R.range(0, 99)),
        ("bytes=-0", 100, R.unsatisfiable),
        ("bytes=0-", 0, R.unsatisfiable),
        ("bytes=-5", 0, R.unsatisfiable),
        ("bytes=5-2", 100, R.full),
        ("bytes=0-1,5-6", 100, R.full),
        ("items=0-5", 100, R.full),
        ("bytes=abc-", 100, R.full),
        ("bytes=5", 100, R.full),
        ("bytes=", 100, R.full),
        (" bytes=1-2 ", 100, R.range(1, 2)),
        ("bytes= 1 - 2", 100, R.range(1, 2)),
    ])
    func parse(_ header: String, _ size: Int, _ expected: R) {
        #expect(PreviewSite.parseRange(header, size: Int64(size)) == expected, "\(header) of \(size)")
    }
}
