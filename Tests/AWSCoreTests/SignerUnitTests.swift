@testable import AWSCore
import Foundation
import Testing

/// Pure checks of the signing building blocks, independent of the vector files.
@Suite struct SignerUnitTests {
    static let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE",
                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    @Test(arguments: [
        (0.0, "19700101T000000Z"),
        (1_440_938_160.0, "20150830T123600Z"),
        (951_782_400.0, "20000229T000000Z"),
        (1_440_938_160.999, "20150830T123600Z"),
        (-1.0, "19691231T235959Z"),
        (4_102_444_799.0, "20991231T235959Z"),
    ])
    func amzDate(_ seconds: Double, _ expected: String) {
        let date = AMZDate(Date(timeIntervalSince1970: seconds))
        #expect(date.timestamp == expected)
        #expect(date.dateStamp == String(expected.prefix(8)))
    }

    @Test func uriEncoding() {
        #expect(URIEncoding.encode("a b+c/d=e&f~g*") == "a%20b%2Bc%2Fd%3De%26f~g%2A")
        #expect(URIEncoding.encode("/docs/café menu.html", keepingSlashes: true) == "/docs/caf%C3%A9%20menu.html")
        #expect(URIEncoding.encode("%3A") == "%253A")
        #expect(URIEncoding.decode("caf%C3%A9%20menu+x%2") == "café menu+x%2")
        #expect(URIEncoding.encodeKeepingEscapes("/docs/caf%C3%A9%20menu.html") == "/docs/caf%C3%A9%20menu.html")
        #expect(URIEncoding.encodeKeepingEscapes("/a b/100%") == "/a%20b/100%25")
    }

    @Test(arguments: [
        ("/", "/"), ("", "/"), ("//", "/"), ("/./", "/"), ("/example/..", "/"), ("/example1/example2/../..", "/"),
        ("/./example", "/example"), ("//example//", "/example/"), ("/a/b/../c/", "/a/c/"), ("/../a", "/a"),
    ])
    func pathNormalization(_ path: String, _ expected: String) {
        #expect(URIEncoding.normalizePath(path) == expected)
    }

    @Test func queryItemsRoundTrip() {
        let items = SigningRequest.queryItems(fromEncoded: "delete&prefix=assets%2F&empty=&k%20ey=v+1")
        #expect(items == [.init("delete", nil), .init("prefix", "assets/"), .init("empty", ""), .init("k ey", "v+1")])
        let request = SigningRequest(method: "GET", path: "/", query: items, headers: [])
        #expect(request.encodedQuery == "delete&prefix=assets%2F&empty=&k%20ey=v%2B1")
        #expect(CanonicalRequest.canonicalQuery(items) == "delete=&empty=&k%20ey=v%2B1&prefix=assets%2F")
    }

    @Test func canonicalHeadersJoinTrimAndSort() {
        let headers = CanonicalRequest.canonicalHeaders([
            .init("Host", "example.com"), .init("X-B", "  two   words "), .init("x-a", "1"), .init("X-A", "2"),
            .init("User-Agent", "curl"), .init("Authorization", "old"),
        ])
        #expect(headers.map { "\($0.name):\($0.value)" } == ["host:example.com", "x-a:1,2", "x-b:two words"])
    }

    /// The byte-wise header-name folding answers exactly as the standard library does, ASCII or
    /// not (the Kelvin sign lower-cases to an ASCII "k"; "İ" grows), and finds every line break.
    @Test func asciiCaseAgreesWithTheStandardLibrary() {
        let samples = ["", "Host", "x-amz-date", "X-AMZ-Content-SHA256", "content-type", "@[`{", "AZaz09-_",
                       "Caf\u{E9}", "\u{212A}", "k", "K", "\u{130}", "i\u{307}", "STRASSE", "Stra\u{DF}e", "x\u{2028}y"]
        for a in samples {
            #expect(ASCIICase.lowercased(a) == a.lowercased(), "\(a)")
            for b in samples {
                #expect(ASCIICase.equalIgnoringCase(a, b) == (a.lowercased() == b.lowercased()), "\(a) vs \(b)")
            }
        }
        for text in ["a\nb", "a\rb", "a\u{0B}b", "a\u{0C}b", "a\u{85}b", "a\u{2028}b", "a\u{2029}b", "\r\n"] {
            #expect(ASCIICase.containsNewline(text), "\(text.debugDescription)")
        }
        for text in ["", "plain value", "tab\there", "caf\u{E9}", "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request"] {
            #expect(!ASCIICase.containsNewline(text), "\(text.debugDescription)")
        }
        #expect(HTTPRequest(method: "GET", url: "http://h/", headers: [("Content-Type", "a")]).header("CONTENT-type") == "a")
    }

    @Test func s3SignsThePathAsSentAndAddsTheContentHash() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        let request = SigningRequest(method: "PUT", path: "/a/./b//c%2Fd", headers: [.init("Host", "bucket.s3.amazonaws.com")],
                                     payload: .unsigned)
        let signed = signer.sign(request, date: Date(timeIntervalSince1970: 0))
        #expect(signed.canonicalRequest.split(separator: "\n")[1] == "/a/./b//c%2Fd")
        #expect(signed.request.headerValues("x-amz-content-sha256") == ["UNSIGNED-PAYLOAD"])
        #expect(signed.signedHeaders == ["host", "x-amz-content-sha256", "x-amz-date"])
        #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
    }

    @Test func signingReplacesEarlierSignatureHeaders() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let request = SigningRequest(method: "GET", path: "/", headers: [
            .init("Host", "example.amazonaws.com"), .init("Authorization", "stale"), .init("X-Amz-Date", "19990101T000000Z"),
        ])
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let resigned = signer.sign(request, date: date)
        let fresh = signer.sign(SigningRequest(method: "GET", path: "/", headers: [.init("Host", "example.amazonaws.com")]), date: date)
        #expect(resigned.signature == fresh.signature)
        #expect(resigned.request.headerValues("authorization").count == 1)
        #expect(resigned.request.headerValues("x-amz-date") == ["20150830T123600Z"])
    }

    @Test func presignRejectsExpiryBeyondSevenDays() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        let request = SigningRequest(method: "GET", path: "/k", headers: [.init("Host", "b.s3.amazonaws.com")], payload: .unsigned)
        #expect(throws: SigningError.invalidExpiry(604_801)) {
            try signer.presign(request, date: Date(timeIntervalSince1970: 0), expires: 604_801)
        }
        #expect(throws: SigningError.invalidExpiry(0)) {
            try signer.presign(request, date: Date(timeIntervalSince1970: 0), expires: 0)
        }
        #expect(SigningError.invalidExpiry(0).description.contains("604800"))
    }

    @Test func sigV4ASignaturesAreRandomizedAndVerify() throws {
        let cache = SigV4AKeyCache()
        let signer = SigV4ASigner(credentials: Self.credentials, service: "service", regionSet: ["*"], keyCache: cache)
        let request = SigningRequest(method: "GET", path: "/", headers: [.init("Host", "example.amazonaws.com")])
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let first = try signer.sign(request, date: date)
        let second = try signer.sign(request, date: date)
        #expect(cache.count == 1)
        #expect(first.stringToSign == second.stringToSign)
        #expect(first.signature != second.signature)
        let publicKey = try signer.publicKey()
        #expect(try SigV4ASigner.verify(signature: first.signature, publicKey: publicKey, stringToSign: first.stringToSign))
        #expect(try SigV4ASigner.verify(signature: second.signature, publicKey: publicKey, stringToSign: second.stringToSign))
        #expect(try !SigV4ASigner.verify(signature: first.signature, publicKey: publicKey, stringToSign: first.stringToSign + " "))
        #expect(first.request.headerValues("x-amz-region-set") == ["*"])
        #expect(first.credentialScope == "20150830/service/aws4_request")
    }

    @Test func sigV4AKeyCacheDerivesOncePerKeyPair() throws {
        let cache = SigV4AKeyCache()
        let a = try cache.key(for: Self.credentials)
        let b = try cache.key(for: Self.credentials)
        #expect(a.scalar == b.scalar)
        #expect(cache.count == 1)
        let other = try cache.key(for: AWSCredentials(accessKeyId: "AKIDOTHER", secretAccessKey: "secret"))
        #expect(other.publicKey != a.publicKey)
        #expect(cache.count == 2)
        #expect(!a.description.contains(a.scalar.hexString))
    }

    @Test func verifyRejectsBadInput() throws {
        let key = try SigV4APrivateKey.derive(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        #expect(throws: SigningError.invalidHex(what: "SigV4A signature")) {
            try SigV4ASigner.verify(signature: "zz", publicKey: key.publicKey, stringToSign: "x")
        }
        let offCurve = try SigV4APublicKey(x: [UInt8](repeating: 1, count: 32), y: [UInt8](repeating: 2, count: 32))
        let signature = try key.sign(Array("x".utf8)).hexString
        #expect(throws: SigningError.self) {
            try SigV4ASigner.verify(signature: signature, publicKey: offCurve, stringToSign: "x")
        }
        #expect(try !SigV4ASigner.verify(signature: "3006020101020101", publicKey: key.publicKey, stringToSign: "x"))
    }

    @Test func credentialsDescriptionHidesSecrets() {
        let credentials = AWSCredentials(accessKeyId: "AKID", secretAccessKey: "s3cr3t", sessionToken: "t0k3n")
        #expect(!credentials.description.contains("s3cr3t"))
        #expect(!credentials.description.contains("t0k3n"))
    }
}

/// The request.txt parser of the test support code.
@Suite struct RawHTTPRequestTests {
    @Test func parsesFoldedAndRepeatedHeadersAndBody() throws {
        let text = "POST /a b/c?x=%2F&y HTTP/1.1\r\nHost:example.com\r\nMy-Header:one\r\n  two\r\n\tthree\r\nMy-Header: again\r\n\r\nbody\n\nmore"
        let request = try RawHTTPRequest(parsing: Array(text.utf8))
        #expect(request.method == "POST")
        #expect(request.path == "/a b/c")
        #expect(request.rawQuery == "x=%2F&y")
        #expect(request.headers == [.init("Host", "example.com"), .init("My-Header", "one two three"), .init("My-Header", "again")])
        #expect(request.body == Array("body\n\nmore".utf8))
    }

    @Test func requestWithoutBlankLineHasEmptyBody() throws {
        let request = try RawHTTPRequest(parsing: Array("GET / HTTP/1.1\nHost:example.com".utf8))
        #expect(request.headers == [.init("Host", "example.com")])
        #expect(request.body.isEmpty)
    }

    @Test func rejectsMalformedRequestLine() {
        #expect(throws: VectorError.self) { try RawHTTPRequest(parsing: Array("GET\nHost:x\n".utf8)) }
    }
}
