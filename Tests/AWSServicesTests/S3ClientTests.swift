import AWSCore
@testable import AWSServices
import Foundation
import Testing
import TestSupport

/// Counts the requests passing through, so tests can check batching.
final class S3RequestLog: HTTPClient, @unchecked Sendable {
    // @unchecked: `requests` is only touched under `lock`.
    private let base: any HTTPClient
    private let lock = NSLock()
    private var requests: [HTTPRequest] = []

    init(wrapping base: any HTTPClient) { self.base = base }

    var all: [HTTPRequest] { lock.withLock { requests } }

    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        lock.withLock { requests.append(request) }
        return try await base.execute(request, body: body, responseBody: responseBody)
    }
}

extension MotoServer {
    func s3(httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) -> S3Client {
        S3Client(region: "us-east-1", credentials: credentials, environment: environment, httpClient: httpClient)
    }

    /// A client with a fresh bucket.
    func s3Bucket(_ bucket: String = "site-bucket", httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient()) async throws -> S3Client {
        let client = s3(httpClient: httpClient)
        try await client.createBucket(bucket)
        return client
    }
}

/// A temporary file filled with `size` deterministic pseudo-random bytes.
func s3TemporaryFile(size: Int, seed: UInt64 = 42) throws -> String {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: size)
    for index in bytes.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("s3test-\(UUID().uuidString)").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct S3AddressingTests {
    let credentials = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])

    @Test func realAWSUsesVirtualHostsWhenTheBucketNameAllowsIt() throws {
        let client = S3Client(region: "eu-west-1", credentials: credentials, environment: [:])
        let virtual = try client.address(bucket: "my-site", key: "a b/c+d.html")
        #expect(virtual.base == "https://my-site.s3.eu-west-1.amazonaws.com")
        #expect(virtual.host == "my-site.s3.eu-west-1.amazonaws.com")
        #expect(virtual.path == "/a%20b/c%2Bd.html")
        let dotted = try client.address(bucket: "my.dotted.bucket", key: "k")
        #expect(dotted.base == "https://s3.eu-west-1.amazonaws.com")
        #expect(dotted.path == "/my.dotted.bucket/k")
        #expect(!S3Client.isVirtualHostCompatible("Upper"))
        #expect(!S3Client.isVirtualHostCompatible("ab"))
        #expect(!S3Client.isVirtualHostCompatible("-dash"))
        #expect(S3Client.isVirtualHostCompatible("abc-123"))
    }

    @Test func aRedirectedBucketIsAddressedInItsRegion() throws {
        let client = S3Client(region: "us-east-1", credentials: credentials, environment: [:])
        let other = try client.address(bucket: "my-site", key: "k", region: "eu-west-1")
        #expect(other.base == "https://my-site.s3.eu-west-1.amazonaws.com")
        #expect(try client.address(bucket: "my-site", key: "k", region: "cn-north-1").host == "my-site.s3.cn-north-1.amazonaws.com.cn")
        // A configured endpoint is kept: only the signature's region changes.
        let custom = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"])
        #expect(try custom.address(bucket: "my-site", key: "k", region: "eu-west-1").base == "http://127.0.0.1:9000")
    }

    @Test func customEndpointsArePathStyle() throws {
        let client = S3Client(region: "us-east-1", credentials: credentials,
                              environment: ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000/base/"])
        let address = try client.address(bucket: "my-site", key: "x/y.txt")
        #expect(address.base == "http://127.0.0.1:9000")
        #expect(address.host == "127.0.0.1:9000")
        #expect(address.path == "/base/my-site/x/y.txt")
        #expect(try client.address(bucket: "my-site", key: nil).path == "/base/my-site")
    }

    @Test func xmlHelperReadsPathsAndRepeatedElements() throws {
        let xml = #"<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>true</IsTruncated>"#
            + "<Contents><Key>a&amp;b</Key><Size>3</Size></Contents><Contents><Key>c</Key><Size>4</Size></Contents>"
            + "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListBucketResult>"
        let root = try S3XML.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.text("IsTruncated") == "true")
        #expect(root.elements("Contents").compactMap { $0.text("Key") } == ["a&b", "c"])
        #expect(root.text("CommonPrefixes", "Prefix") == "d/")
        #expect(throws: S3XML.ParseError.self) { try S3XML.parse(Array("<a><b></a>".utf8)) }
        #expect(S3XML.escape("<a & 'b'>") == "&lt;a &amp; &apos;b&apos;&gt;")
        #expect(S3Client.decodeListKey("sp%20ace/%C3%BC+x%2B.txt") == "sp ace/ü x+.txt")
        #expect(S3MD5.contentMD5(Array("hello\n".utf8)) == "sZRqySSS0jR8YjW00mERhA==")
    }
}

/// Answers every request with one canned response.
struct S3CannedHTTPClient: HTTPClient {
    var response: HTTPResponse
    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        response
    }
}

@Suite struct S3OfflineTests {
    let credentials = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])

    @Test func anErrorDocumentInsideA200IsAnError() async throws {
        let body = Array("<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>try again</Message></Error>".utf8)
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: S3CannedHTTPClient(response: HTTPResponse(status: 200, body: body)))
        let error = await #expect(throws: AWSServiceError.self) {
            _ = try await s3.copyObject(bucket: "b", sourceKey: "a", destinationKey: "c", replacing: .init(cacheControl: "x"))
        }
        #expect(error?.errorCode == "InternalError")
        #expect(error.map { "\($0)" }?.contains("S3 CopyObject failed with InternalError (HTTP 200): try again") == true)
    }

    /// Throttled on every attempt: the message keeps the attempts and says what to do, not to
    /// read the documentation.
    @Test func throttlingToTheEndSaysTheAttemptsAndWhatToDo() async throws {
        let slowDown = Array("<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".utf8)
        let retrying = RetryingHTTPClient(wrapping: S3CannedHTTPClient(response: HTTPResponse(status: 503, body: slowDown)),
                                          policy: RetryPolicy(maxAttempts: 3, baseDelay: .zero, throttlingBaseDelay: .zero))
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: retrying)
        let error = await #expect(throws: AWSServiceError.self) { _ = try await s3.putObject(bucket: "b", key: "k", body: .bytes([1])) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("S3 PutObject failed with SlowDown (HTTP 503) after 3 attempts: Please reduce your request rate.; "
            + "S3 is throttling: lower the concurrency"), "\(text)")
        #expect(!text.contains("documentation"), "\(text)")
        #expect(error?.attempts == 3)
    }

    /// Refused as signed at the wrong time even with S3's time (what answers says the same
    /// thing twice): one retry only, and the message says by how much this clock is off.
    @Test func aClockSkewThatCannotBeCorrectedIsMeasured() async throws {
        let body = Array(("<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the "
            + "request time and the current time is too large.</Message></Error>").utf8)
        let headers = HTTPResponseHeaders([("Date", UTCTime.httpDate(Date().addingTimeInterval(-47 * 60)))])
        let log = S3RequestLog(wrapping: S3CannedHTTPClient(response: HTTPResponse(status: 403, headers: headers, body: body)))
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:7"], httpClient: log)
        let error = await #expect(throws: AWSServiceError.self) { _ = try await s3.getObject(bucket: "b", key: "k") }
        #expect(log.all.count == 2)
        #expect(error.map { "\($0)" }?.contains("this machine's clock is 47 minutes ahead (S3's time was ") == true,
                "\(String(describing: error))")
    }

    /// A 200 whose document is not a listing (a filtering proxy's sign-in page) is refused by
    /// name, not read as a listing of nothing (which made `versions` say the site serves nothing).
    @Test func aListingAnsweredByAnotherDocumentIsRefused() async throws {
        let page = Array("<html><head><title>Sign in</title></head><body><p>Please sign in to continue</p></body></html>".utf8)
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: S3CannedHTTPClient(response: HTTPResponse(status: 200, body: page)))
        let listing = await #expect(throws: AWSServiceError.self) { _ = try await s3.listObjects(bucket: "b", prefix: "site/") }
        #expect(listing.map { "\($0)" }?.contains("S3 ListObjectsV2 returned a response sitebuild cannot read (its root element is <html>, "
            + "not <ListBucketResult>") == true, "\(String(describing: listing))")
        await #expect(throws: AWSServiceError.self) { _ = try await s3.listMultipartUploads(bucket: "b", prefix: "site/") }
    }

    @Test func aBodylessHeadErrorGetsACodeFromItsStatus() async throws {
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: S3CannedHTTPClient(response: HTTPResponse(status: 403)))
        let error = await #expect(throws: AWSServiceError.self) { _ = try await s3.headObject(bucket: "b", key: "k") }
        #expect(error?.errorCode == "AccessDenied")
    }

    @Test func aFileRangeIsSignedWithItsRealSHA256() async throws {
        let path = try s3TemporaryFile(size: 3 * 1024 * 1024 + 17)
        defer { unlink(path) }
        let log = S3RequestLog(wrapping: S3CannedHTTPClient(response: HTTPResponse(status: 200)))
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: log)
        _ = try await s3.putObject(bucket: "b", key: "k", body: .file(path: path, offset: 5, length: 2 * 1024 * 1024 + 3))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let expected = SHA256.hash(Array(bytes[5..<(5 + 2 * 1024 * 1024 + 3)])).hexString
        #expect(log.all.first?.header("x-amz-content-sha256") == expected)
        #expect(log.all.first?.header("Authorization")?.contains("x-amz-content-sha256") == true)
        #expect(log.all.first?.url == "http://127.0.0.1:1/b/k")
    }

    /// Encryption and ACL go on every write that makes an object (copies too: S3 does not
    /// copy them), not on the parts of a multipart upload (S3 refuses them there).
    @Test func objectWriteSettingsGoOnPutsCreatesAndCopies() async throws {
        let upload = Array("<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>".utf8)
        let log = S3RequestLog(wrapping: S3CannedHTTPClient(response: HTTPResponse(status: 200, headers: HTTPResponseHeaders([("ETag", "\"e\"")]),
                                                                                  body: upload)))
        var s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: log)
        s3.objectWrites = .init(serverSideEncryption: "aws:kms", kmsKeyId: "alias/k", acl: "bucket-owner-full-control")
        _ = try await s3.putObject(bucket: "b", key: "k", body: .bytes([1]))
        _ = try await s3.createMultipartUpload(bucket: "b", key: "k")
        _ = try await s3.uploadPart(bucket: "b", key: "k", uploadId: "u", partNumber: 1, body: .bytes([1]))
        _ = try? await s3.copyObject(bucket: "b", sourceKey: "a", destinationKey: "c")
        let requests = log.all
        #expect(requests.count == 4)
        for (index, request) in requests.enumerated() where index != 2 {
            #expect(request.header("x-amz-server-side-encryption") == "aws:kms", "\(request.url)")
            #expect(request.header("x-amz-server-side-encryption-aws-kms-key-id") == "alias/k")
            #expect(request.header("x-amz-acl") == "bucket-owner-full-control")
        }
        #expect(requests[2].header("x-amz-server-side-encryption") == nil && requests[2].header("x-amz-acl") == nil)
    }

    /// Object Lock default retention makes S3 refuse uploads without an integrity header:
    /// PutObject carries the SHA-256 it signs as `x-amz-checksum-sha256`, UploadPart a
    /// Content-MD5 of its range, signed or not.
    @Test(arguments: [S3Client.PayloadSigning.sha256, .unsigned])
    func uploadsCarryAnIntegrityHeader(signing: S3Client.PayloadSigning) async throws {
        let path = try s3TemporaryFile(size: 200 * 1024 + 5)
        defer { unlink(path) }
        let log = S3RequestLog(wrapping: S3CannedHTTPClient(response: HTTPResponse(status: 200, headers: HTTPResponseHeaders([("ETag", "\"e\"")]))))
        let s3 = S3Client(region: "us-east-1", credentials: credentials, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"],
                          httpClient: log, payloadSigning: signing)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let range = Array(bytes[7..<(7 + 100 * 1024)])
        _ = try await s3.putObject(bucket: "b", key: "k", body: .file(path: path, offset: 7, length: Int64(range.count)))
        _ = try await s3.putObject(bucket: "b", key: "small", body: .bytes(Array("small".utf8)))
        _ = try await s3.uploadPart(bucket: "b", key: "k", uploadId: "u", partNumber: 1,
                                    body: .file(path: path, offset: 7, length: Int64(range.count)))
        let (put, small, part) = (log.all[0], log.all[1], log.all[2])
        #expect(put.header("x-amz-checksum-sha256") == Data(SHA256.hash(range)).base64EncodedString())
        #expect(put.header("x-amz-sdk-checksum-algorithm") == "SHA256")
        #expect(small.header("x-amz-checksum-sha256") == Data(SHA256.hash(Array("small".utf8))).base64EncodedString())
        #expect(part.header("Content-MD5") == Data(S3MD5.digest(range)).base64EncodedString())
        #expect(part.header("x-amz-content-sha256") == (signing == .sha256 ? SHA256.hash(range).hexString : "UNSIGNED-PAYLOAD"))
        #expect(put.header("x-amz-content-sha256") == (signing == .sha256 ? SHA256.hash(range).hexString : "UNSIGNED-PAYLOAD"))
    }
}

/// S3 against a real moto_server on loopback.
@Suite(.serialized) struct S3ClientTests {
    @Test func putHeadGetRoundTripKeepsHeadersAndMetadata() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket()
            let attributes = S3Client.ObjectAttributes(contentType: "text/html; charset=utf-8", cacheControl: "max-age=60",
                                                       contentEncoding: "gzip", metadata: ["Sha256": "abc123", "build": "7"])
            let body = Array("<h1>hello</h1>".utf8)
            let outcome = try await s3.putObject(bucket: "site-bucket", key: "index.html", body: .bytes(body), attributes: attributes)
            guard case .stored(let etag) = outcome else { Issue.record("not stored: \(outcome)"); return }
            #expect(etag == S3MD5.digest(body).hexString)

            let info = try #require(try await s3.headObject(bucket: "site-bucket", key: "index.html"))
            #expect(info.size == Int64(body.count))
            #expect(info.etag == etag)
            #expect(info.attributes.contentType == "text/html; charset=utf-8")
            #expect(info.attributes.cacheControl == "max-age=60")
            #expect(info.attributes.contentEncoding == "gzip")
            #expect(info.attributes.metadata == ["sha256": "abc123", "build": "7"])

            let (getInfo, bytes) = try await s3.getObject(bucket: "site-bucket", key: "index.html")
            #expect(bytes == body)
            #expect(getInfo.attributes.cacheControl == "max-age=60")

            // A file-range body with its streamed SHA-256, downloaded to a file.
            let path = try s3TemporaryFile(size: 100_000)
            defer { unlink(path) }
            _ = try await s3.putObject(bucket: "site-bucket", key: "range.bin", body: .file(path: path, offset: 1000, length: 50_000))
            let target = path + ".download"
            defer { unlink(target) }
            let downloaded = try await s3.getObject(bucket: "site-bucket", key: "range.bin", toFile: target)
            #expect(downloaded.size == 50_000)
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == original[1000..<51_000])

            #expect(try await s3.headObject(bucket: "site-bucket", key: "missing.html") == nil)
            let error = await #expect(throws: AWSServiceError.self) {
                _ = try await s3.getObject(bucket: "site-bucket", key: "missing.html")
            }
            #expect(error?.errorCode == "NoSuchKey")
            #expect(error?.status == 404)
        }
    }

    /// A machine whose clock is two hours behind S3's: the first request is refused with
    /// RequestTimeTooSkewed, signed again with S3's time (its Date header), and passes; the
    /// requests after it, of this client and of another one to the same endpoint, are signed
    /// with the corrected time from the start. Moto does not check the time: the proxy plays S3's clock.
    @Test func aSkewedClockIsCorrectedFromS3sTime() async throws {
        try await withMotoServer { moto in
            _ = try await moto.s3Bucket("skewed")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, clockOffset: 2 * 3600)
            defer { proxy.stop() }
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL
            let s3 = S3Client(region: "us-east-1", credentials: moto.credentials, environment: environment)
            _ = try await s3.putObject(bucket: "skewed", key: "a.txt", body: .bytes(Array("one".utf8)))
            #expect(try await proxy.stats().skewed == 1)
            let other = S3Client(region: "us-east-1", credentials: moto.credentials, environment: environment)
            #expect(try await other.getObject(bucket: "skewed", key: "a.txt").body == Array("one".utf8))
            #expect(try await s3.listObjects(bucket: "skewed").objects.map(\.key) == ["a.txt"])
            #expect(try await proxy.stats().skewed == 1)
        }
    }

    /// DeleteObjects answered 200 with something other than a DeleteResult (played by the
    /// proxy) was taken for "everything deleted". Now S3's "200 with an error" is retried like
    /// the other ones and the request goes through; an `<Error>` without a code, another
    /// document, or a result's `<Error>` naming no key is an error; per-key errors are reported.
    @Test func aDeleteObjectsAnswerThatIsNoDeleteResultIsNotTakenForDeletion() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket("deletes")
            func delete(answering body: String, times: Int = 100) async throws -> [S3Client.DeleteError] {
                _ = try await s3.putObject(bucket: "deletes", key: "a.txt", body: .bytes(Array("a".utf8)))
                let proxy = try FaultInjectingProxy(upstream: moto.baseURL, answerDelete: (body: body, times: times))
                defer { proxy.stop() }
                var environment = moto.environment
                environment["AWS_ENDPOINT_URL"] = proxy.baseURL
                let proxied = S3Client(region: "us-east-1", credentials: moto.credentials, environment: environment)
                return try await proxied.deleteObjects(bucket: "deletes", keys: ["a.txt"])
            }
            let transient = #"<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"#
            #expect(try await delete(answering: transient, times: 2).isEmpty)
            #expect(try await s3.headObject(bucket: "deletes", key: "a.txt") == nil)

            let cases: [(body: String, says: String)] = [
                ("<html><body>Welcome to the hotel network</body></html>", "its root element is <html>, not <DeleteResult>"),
                ("<Error><Message>Try again</Message></Error>", "an <Error> document that has no <Code> (Try again)"),
                ("<DeleteResult><Error><Code>AccessDenied</Code><Message>denied</Message></Error></DeleteResult>", "AccessDenied"),
            ]
            for (body, says) in cases {
                let error = await #expect(throws: AWSServiceError.self, "\(body)") { _ = try await delete(answering: body) }
                #expect(error.map { "\($0)".contains(says) } == true, "\(String(describing: error))")
                #expect(try await s3.headObject(bucket: "deletes", key: "a.txt") != nil)
            }
            let denied = "<DeleteResult><Error><Key>a.txt</Key><Code>AccessDenied</Code><Message>denied</Message></Error></DeleteResult>"
            #expect(try await delete(answering: denied) == [S3Client.DeleteError(key: "a.txt", code: "AccessDenied", message: "denied")])
        }
    }

    @Test func unsignedPayloadIsAccepted() async throws {
        try await withMotoServer { moto in
            _ = try await moto.s3Bucket()
            let s3 = S3Client(endpoint: moto.s3().endpoint, region: "us-east-1", credentials: moto.credentials, payloadSigning: .unsigned)
            let log = S3RequestLog(wrapping: CurlHTTPClient())
            let logged = S3Client(endpoint: s3.endpoint, region: "us-east-1", credentials: moto.credentials, httpClient: log,
                                  payloadSigning: .unsigned)
            _ = try await logged.putObject(bucket: "site-bucket", key: "u.txt", body: .bytes(Array("u".utf8)))
            #expect(log.all.first?.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
            #expect(try await s3.getObject(bucket: "site-bucket", key: "u.txt").body == Array("u".utf8))
        }
    }

    @Test func ifNoneMatchStarOnAnExistingKeyIsAlreadyExists() async throws {
        try await withMotoServer { moto in
            let log = S3RequestLog(wrapping: CurlHTTPClient())
            let s3 = try await moto.s3Bucket(httpClient: log)
            let first = try await s3.putObject(bucket: "site-bucket", key: "lock", body: .bytes([1]), condition: .absent)
            #expect(first != .alreadyExists)
            let second = try await s3.putObject(bucket: "site-bucket", key: "lock", body: .bytes([2]), condition: .absent)
            #expect(second == .alreadyExists)
            #expect(log.all.filter { $0.method == "PUT" }.last?.header("If-None-Match") == "*")
            #expect(try await s3.getObject(bucket: "site-bucket", key: "lock").body == [1])
        }
    }

    @Test func ifMatchWritesOnlyOverTheETagItWasGiven() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket(httpClient: CurlHTTPClient())
            guard case .stored(let etag?) = try await s3.putObject(bucket: "site-bucket", key: "live", body: .bytes(Array("v1".utf8))) else {
                Issue.record("no ETag"); return
            }
            #expect(try await s3.putObject(bucket: "site-bucket", key: "live", body: .bytes(Array("v2".utf8)), condition: .etag(etag)) != .etagMismatch)
            // The ETag moved: a second write presenting the old one is refused.
            #expect(try await s3.putObject(bucket: "site-bucket", key: "live", body: .bytes(Array("v3".utf8)), condition: .etag(etag)) == .etagMismatch)
            #expect(try await s3.getObject(bucket: "site-bucket", key: "live").body == Array("v2".utf8))
            // If-Match on a key that does not exist is refused too.
            #expect(try await s3.putObject(bucket: "site-bucket", key: "absent", body: .bytes([1]), condition: .etag(etag)) == .etagMismatch)
        }
    }

    @Test func uploadPartCopyAssemblesAnObjectFromRangesOfAnother() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket(httpClient: CurlHTTPClient())
            var bytes = [UInt8](repeating: 0, count: 11 << 20)
            for i in 0..<bytes.count where i % 1000 == 0 { bytes[i] = UInt8(truncatingIfNeeded: i / 1000) }
            _ = try await s3.putObject(bucket: "site-bucket", key: "source.bin", body: .bytes(bytes))
            let upload = try await s3.createMultipartUpload(bucket: "site-bucket", key: "copy.bin")
            let part = Int64(5 << 20)
            var parts: [S3Client.CompletedPart] = []
            var start: Int64 = 0
            var number = 1
            while start < Int64(bytes.count) {
                let end = min(start + part, Int64(bytes.count)) - 1
                parts.append(try await s3.uploadPartCopy(bucket: "site-bucket", key: "copy.bin", uploadId: upload, partNumber: number,
                                                         sourceKey: "source.bin", range: start...end))
                start = end + 1
                number += 1
            }
            _ = try await s3.completeMultipartUpload(bucket: "site-bucket", key: "copy.bin", uploadId: upload, parts: parts)
            #expect(parts.count == 3)
            #expect(try await s3.getObject(bucket: "site-bucket", key: "copy.bin").body == bytes)
        }
    }

    @Test func listingPagesThroughThousandsOfKeysAndDeleteBatchesByAThousand() async throws {
        try await withMotoServer { moto in
            let log = S3RequestLog(wrapping: AWSJSONClient.defaultHTTPClient())
            let s3 = try await moto.s3Bucket(httpClient: log)
            let keys = (0..<2500).map { String(format: "assets/%04d.txt", $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                func add() {
                    let key = keys[next]
                    next += 1
                    group.addTask { _ = try await s3.putObject(bucket: "site-bucket", key: key, body: .bytes(Array(key.utf8))) }
                }
                for _ in 0..<16 where next < keys.count { add() }
                while try await group.next() != nil { if next < keys.count { add() } }
            }
            _ = try await s3.putObject(bucket: "site-bucket", key: "other/x.txt", body: .bytes([1]))

            let listing = try await s3.listObjects(bucket: "site-bucket", prefix: "assets/", maxKeys: 1000)
            #expect(listing.pages == 3)
            #expect(listing.objects.map(\.key) == keys)
            #expect(listing.objects.first?.size == Int64("assets/0000.txt".utf8.count))
            #expect(listing.objects.first?.etag == S3MD5.digest(Array("assets/0000.txt".utf8)).hexString)

            let top = try await s3.listObjects(bucket: "site-bucket", delimiter: "/")
            #expect(top.objects.isEmpty)
            #expect(top.commonPrefixes == ["assets/", "other/"])

            let before = log.all.count
            let errors = try await s3.deleteObjects(bucket: "site-bucket", keys: Array(keys.prefix(1500)))
            #expect(errors.isEmpty)
            let deletes = log.all.dropFirst(before).filter { $0.method == "POST" && $0.url.hasSuffix("?delete") }
            #expect(deletes.count == 2)
            #expect(deletes.allSatisfy { $0.header("Content-MD5") != nil })
            let remaining = try await s3.listObjects(bucket: "site-bucket", prefix: "assets/")
            #expect(remaining.objects.map(\.key) == Array(keys.dropFirst(1500)))
        }
    }

    @Test func copyWithReplaceChangesCacheControl() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket()
            _ = try await s3.putObject(bucket: "site-bucket", key: "app.js", body: .bytes(Array("js".utf8)),
                                       attributes: .init(contentType: "text/javascript", cacheControl: "no-cache"))
            let replaced = S3Client.ObjectAttributes(contentType: "text/javascript", cacheControl: "max-age=31536000, immutable",
                                                     metadata: ["rev": "2"])
            let etag = try await s3.copyObject(bucket: "site-bucket", sourceKey: "app.js", destinationKey: "app.js", replacing: replaced)
            #expect(etag == S3MD5.digest(Array("js".utf8)).hexString)
            let info = try #require(try await s3.headObject(bucket: "site-bucket", key: "app.js"))
            #expect(info.attributes.cacheControl == "max-age=31536000, immutable")
            #expect(info.attributes.metadata == ["rev": "2"])

            // A plain copy keeps the attributes; a self-copy without changes is refused.
            _ = try await s3.copyObject(bucket: "site-bucket", sourceKey: "app.js", destinationKey: "copy.js")
            #expect(try await s3.headObject(bucket: "site-bucket", key: "copy.js")?.attributes.cacheControl == "max-age=31536000, immutable")
            let error = await #expect(throws: AWSServiceError.self) {
                _ = try await s3.copyObject(bucket: "site-bucket", sourceKey: "app.js", destinationKey: "app.js")
            }
            #expect(error?.errorCode == "InvalidRequest")
        }
    }

    @Test func keysWithSpacesUnicodeAndPlusRoundTrip() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket()
            let key = "docs/with space/ünïcödé+plus&amp;=%20.txt"
            let body = Array("odd".utf8)
            _ = try await s3.putObject(bucket: "site-bucket", key: key, body: .bytes(body))
            #expect(try await s3.headObject(bucket: "site-bucket", key: key)?.size == 3)
            #expect(try await s3.getObject(bucket: "site-bucket", key: key).body == body)
            #expect(try await s3.listObjects(bucket: "site-bucket", prefix: "docs/with space/").objects.map(\.key) == [key])
            _ = try await s3.copyObject(bucket: "site-bucket", sourceKey: key, destinationKey: key + ".copy")
            #expect(try await s3.getObject(bucket: "site-bucket", key: key + ".copy").body == body)
            #expect(try await s3.deleteObjects(bucket: "site-bucket", keys: [key, key + ".copy"]).isEmpty)
            #expect(try await s3.headObject(bucket: "site-bucket", key: key) == nil)
        }
    }

    @Test func multipartUploadOfTwelveMiBInThreePartsMatchesItsSHA256() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket()
            let size = 12 * 1024 * 1024
            let path = try s3TemporaryFile(size: size, seed: 7)
            defer { unlink(path) }
            let partSize = 5 * 1024 * 1024  // the minimum for every part but the last
            let uploadId = try await s3.createMultipartUpload(bucket: "site-bucket", key: "big.bin",
                                                              attributes: .init(contentType: "application/octet-stream", cacheControl: "max-age=5"))
            let parts = try await withThrowingTaskGroup(of: S3Client.CompletedPart.self) { group in
                for index in 0..<3 {
                    let offset = index * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        try await s3.uploadPart(bucket: "site-bucket", key: "big.bin", uploadId: uploadId, partNumber: index + 1,
                                                body: .file(path: path, offset: Int64(offset), length: Int64(length)))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let outcome = try await s3.completeMultipartUpload(bucket: "site-bucket", key: "big.bin", uploadId: uploadId, parts: parts)
            guard case .stored(let etag) = outcome else { Issue.record("not stored"); return }
            #expect(etag?.hasSuffix("-3") == true)

            let target = path + ".download"
            defer { unlink(target) }
            let info = try await s3.getObject(bucket: "site-bucket", key: "big.bin", toFile: target)
            #expect(info.size == Int64(size))
            #expect(info.attributes.cacheControl == "max-age=5")
            #expect(try S3Client.sha256Hex(path: target, offset: 0, length: Int64(size))
                == S3Client.sha256Hex(path: path, offset: 0, length: Int64(size)))
            #expect(try await s3.listMultipartUploads(bucket: "site-bucket").isEmpty)
        }
    }

    @Test func abortRemovesTheUploadFromTheList() async throws {
        try await withMotoServer { moto in
            let s3 = try await moto.s3Bucket()
            let keep = try await s3.createMultipartUpload(bucket: "site-bucket", key: "keep.bin")
            let drop = try await s3.createMultipartUpload(bucket: "site-bucket", key: "drop.bin")
            _ = try await s3.uploadPart(bucket: "site-bucket", key: "drop.bin", uploadId: drop, partNumber: 1, body: .bytes([1, 2, 3]))
            let before = try await s3.listMultipartUploads(bucket: "site-bucket")
            #expect(Set(before.map(\.uploadId)) == [keep, drop])
            try await s3.abortMultipartUpload(bucket: "site-bucket", key: "drop.bin", uploadId: drop)
            let after = try await s3.listMultipartUploads(bucket: "site-bucket")
            #expect(after.map(\.uploadId) == [keep])
            #expect(after.first?.key == "keep.bin")
        }
    }
}

/// A bucket in another region than the client's: S3 answers 301 naming the bucket's region
/// (a proxy in front of moto plays that part); the client sends the request again signed for
/// that region and remembers it for the bucket.
@Suite struct S3RegionRedirectTests {
    @Test func requestsFollowTheBucketsRegionAndRememberIt() async throws {
        try await withMotoServer { moto in
            try await moto.s3().createBucket("far-bucket")
            let proxy = try FaultInjectingProxy(upstream: moto.baseURL, bucketRegion: "eu-west-1")
            defer { proxy.stop() }
            var environment = moto.environment
            environment["AWS_ENDPOINT_URL"] = proxy.baseURL
            let log = S3RequestLog(wrapping: AWSJSONClient.defaultHTTPClient())
            let client = S3Client(region: "us-east-1", credentials: moto.credentials, environment: environment, httpClient: log)
            let file = try s3TemporaryFile(size: 70_000)
            defer { try? FileManager.default.removeItem(atPath: file) }
            _ = try await client.putObject(bucket: "far-bucket", key: "a.bin", body: .file(path: file, offset: 0, length: 70_000))
            #expect(try await proxy.stats().redirects == 1)
            // Later requests go to the bucket's region at once.
            let (_, body) = try await client.getObject(bucket: "far-bucket", key: "a.bin")
            #expect(body == Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            #expect(try await client.headObject(bucket: "far-bucket", key: "a.bin") != nil)
            #expect(try await proxy.stats().redirects == 1)
            let scopes = log.all.compactMap { request in
                request.headers.first { $0.0.lowercased() == "authorization" }?.1.components(separatedBy: "/").dropFirst(2).first
            }
            #expect(scopes == ["us-east-1", "eu-west-1", "eu-west-1", "eu-west-1"], "\(scopes)")
        }
    }

    @Test func aRedirectWithoutARegionIsAnError() async throws {
        // A 301 that names no region (or the region already used) is reported, not followed.
        let body = Array("<Error><Code>PermanentRedirect</Code><Message>elsewhere</Message></Error>".utf8)
        let log = S3RequestLog(wrapping: S3CannedHTTPClient(response: HTTPResponse(status: 301, body: body)))
        let client = S3Client(region: "us-east-1", credentials: EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]),
                              environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"], httpClient: log)
        let error = await #expect(throws: AWSServiceError.self) { _ = try await client.getObject(bucket: "b", key: "k") }
        #expect(error?.errorCode == "PermanentRedirect")
        #expect(log.all.count == 1)
    }
}

