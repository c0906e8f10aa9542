import AWSCore
import Foundation
import Testing

/// The botocore-generated vectors for the requests sitebuild sends (S3, CloudFront, DynamoDB,
/// CloudFront KeyValueStore), and S3's chunked-upload example.
@Suite struct GeneratedVectorTests {
    /// `context.json` of a botocore SigV4 capture.
    struct Capture: Decodable {
        var method: String
        var url: String
        var requestHeadersBeforeSigning: [String: String]
        var body: String
        var signedHeadersSent: [String: String]
    }

    /// The SigV4 captures; `cloudfront-kvs-sigv4a-putkey` is SigV4A and tested on its own.
    static let sigV4Cases = SigningVectors.generatedCaseNames().filter { !$0.contains("sigv4a") }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    @Test func generatedVectorsArePresent() throws {
        let root = try SigningVectors.require()
        #expect(Self.sigV4Cases.count == 6)
        #expect(SigningVectors.generatedCaseNames().contains("cloudfront-kvs-sigv4a-putkey"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/generated/s3-streaming-aws4-hmac-sha256-payload.json"))
    }

    @Test(arguments: sigV4Cases)
    func botocoreSigV4(_ name: String) throws {
        let vector = try SigningVector("generated/\(name)")
        let capture = try Self.decoder().decode(Capture.self, from: Data(vector.bytes("context.json")))
        let url = try #require(URLComponents(string: capture.url))
        let host = try #require(url.host)
        // botocore sent UNSIGNED-PAYLOAD for this request where it says so; otherwise it hashed the body.
        let payload: SigningRequest.Payload = capture.signedHeadersSent["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
            ? .unsigned : .bytes(Array(capture.body.utf8))
        let request = SigningRequest(
            method: capture.method, path: url.percentEncodedPath,
            query: SigningRequest.queryItems(fromEncoded: url.percentEncodedQuery ?? ""),
            headers: [.init("Host", host)] + capture.requestHeadersBeforeSigning.map { .init($0.key, $0.value) },
            payload: payload)
        // The service's own defaults: S3 signs the path as sent, the others encode it again.
        let signer = SigV4Signer(credentials: vector.credentials, region: try #require(vector.context.region),
                                 service: vector.context.service)
        let signed = signer.sign(request, date: try vector.date)

        #expect(signed.canonicalRequest == (try vector.text("canonical-request.txt")))
        #expect(signed.stringToSign == (try vector.text("string-to-sign.txt")))
        #expect(signed.signature == (try vector.text("signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(signed.authorization == (try vector.text("authorization.txt")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(normalizedHeaders(signed.request.headers, excluding: ["host"])
            == normalizedHeaders(capture.signedHeadersSent.map { .init($0.key, $0.value) }))
    }

    @Test func cloudFrontKeyValueStoreSigV4A() throws {
        struct Capture: Decodable {
            var regionSet: String
            var body: String
            var publicKey: [String: String]
        }
        let vector = try SigningVector("generated/cloudfront-kvs-sigv4a-putkey")
        let capture = try Self.decoder().decode(Capture.self, from: Data(vector.bytes("context.json")))
        let sent = try vector.request("signed-request.txt")
        #expect(sent.body == Array(capture.body.utf8))
        // The signer adds Authorization, X-Amz-Date and X-Amz-Region-Set; the transport added
        // Content-Length after signing (it is not in SignedHeaders).
        let added: Set = ["authorization", "x-amz-date", "x-amz-region-set", "content-length"]
        var request = sent.signingRequest(payload: .bytes(sent.body))
        request.headers.removeAll { added.contains($0.name.lowercased()) }

        let signer = SigV4ASigner(credentials: vector.credentials, service: vector.context.service,
                                  regionSet: [capture.regionSet])
        let signed = try signer.sign(request, date: try vector.date)
        let publicKey = try SigV4APublicKey(xHex: try #require(capture.publicKey["X"]), yHex: try #require(capture.publicKey["Y"]))
        let expectedStringToSign = try vector.text("string-to-sign.txt")

        #expect(try signer.publicKey() == publicKey)
        #expect(signed.canonicalRequest == (try vector.text("canonical-request.txt")))
        #expect(signed.stringToSign == expectedStringToSign)
        #expect(try SigV4ASigner.verify(signature: signed.signature, publicKey: publicKey, stringToSign: signed.stringToSign))
        let capturedSignature = try vector.text("signature.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try SigV4ASigner.verify(signature: capturedSignature, publicKey: publicKey, stringToSign: expectedStringToSign))
        #expect(normalizedHeaders(signed.request.headers, excluding: ["authorization"])
            == normalizedHeaders(sent.headers, excluding: ["authorization", "content-length"]))
        // A signature of something else does not verify.
        #expect(try !SigV4ASigner.verify(signature: capturedSignature, publicKey: publicKey, stringToSign: expectedStringToSign + "x"))
    }

    @Test func s3ChunkedUploadSignatures() throws {
        struct Example: Decodable {
            struct Credentials: Decodable { var accessKeyId: String; var secretAccessKey: String }
            struct Chunk: Decodable { var size: Int; var signature: String }
            var credentials: Credentials
            var region: String
            var service: String
            var xAmzDate: String
            var canonicalRequest: String
            var stringToSign: String
            var seedSignature: String
            var chunks: [Chunk]
        }
        let root = try SigningVectors.require()
        let data = try #require(FileManager.default.contents(atPath: "\(root)/generated/s3-streaming-aws4-hmac-sha256-payload.json"))
        let example = try Self.decoder().decode(Example.self, from: data)

        // The request is the one the canonical request describes: method, path, empty query,
        // then its header lines, then the payload marker.
        let lines = example.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headerLines = lines[3...].prefix { !$0.isEmpty }
        let request = SigningRequest(
            method: lines[0], path: lines[1], query: SigningRequest.queryItems(fromEncoded: lines[2]),
            headers: headerLines.map { line in
                let colon = line.firstIndex(of: ":")!
                return .init(String(line[..<colon]), String(line[line.index(after: colon)...]))
            },
            payload: .precomputed(try #require(lines.last)))
        let credentials = AWSCredentials(accessKeyId: example.credentials.accessKeyId,
                                         secretAccessKey: example.credentials.secretAccessKey)
        let signer = SigV4Signer(credentials: credentials, region: example.region, service: example.service)
        let date = try parseAMZTimestamp(example.xAmzDate)
        let signed = signer.sign(request, date: date)

        #expect(signed.canonicalRequest == example.canonicalRequest)
        #expect(signed.stringToSign == example.stringToSign)
        #expect(signed.signature == example.seedSignature)

        var chunkSigner = SigV4ChunkSigner(signer: signer, date: date, seedSignature: signed.signature)
        for chunk in example.chunks {
            #expect(chunkSigner.sign(chunk: [UInt8](repeating: UInt8(ascii: "a"), count: chunk.size)) == chunk.signature)
        }
    }
}

/// `20130524T000000Z` as a date.
func parseAMZTimestamp(_ text: String) throws -> Date {
    let digits = Array(text)
    guard digits.count == 16 else { throw VectorError("bad X-Amz-Date '\(text)'") }
    let iso = "\(String(digits[0..<4]))-\(String(digits[4..<6]))-\(String(digits[6..<8]))T"
        + "\(String(digits[9..<11])):\(String(digits[11..<13])):\(String(digits[13..<15]))Z"
    return try parseISO8601(iso)
}
