@testable import AWSCore
import Foundation
import Testing

/// The aws-c-auth SigV4A suite. Canonical requests and strings to sign must match byte for
/// byte and the derived key must equal `public-key.json`; ECDSA signatures are randomized, so
/// they are verified with that key, never compared.
@Suite struct SigV4AVectorTests {
    static let cases = SigningVectors.caseNames("v4a")

    /// Canonical queries for the two cases that ship only `request.txt` and `context.json`:
    /// repeated names sort by encoded value, byte-wise (`V` before `v`).
    static let expectedCanonicalQueries = [
        "get-vanilla-query-order-key": "Param1=Value1&Param1=value2",
        "get-vanilla-query-order-value": "Param1=value1&Param1=value2",
    ]

    @Test func suiteIsPresent() throws {
        _ = try SigningVectors.require()
        #expect(Self.cases.count == 40)
    }

    func signer(for vector: SigningVector) throws -> SigV4ASigner {
        SigV4ASigner(credentials: vector.credentials, service: vector.context.service,
                     regionSet: [try #require(vector.context.region)], options: vector.suiteOptions)
    }

    @Test(arguments: cases)
    func headerSigning(_ name: String) throws {
        let vector = try SigningVector("\(SigningVectors.suitePath)/v4a/\(name)")
        let request = try vector.request()
        let signer = try signer(for: vector)
        let signed = try signer.sign(request.signingRequest(payload: .bytes(request.body)), date: try vector.date)
        let derivedKey = try signer.publicKey()
        #expect(try SigV4ASigner.verify(signature: signed.signature, publicKey: derivedKey, stringToSign: signed.stringToSign))
        #expect(signed.authorization?.hasPrefix("AWS4-ECDSA-P256-SHA256 Credential=\(vector.credentials.accessKeyId)/") == true)
        #expect(signed.signedHeaders.contains("x-amz-region-set"))

        guard vector.has("header-canonical-request.txt") else {
            let expectedQuery = try #require(Self.expectedCanonicalQueries[name], "no expectations for \(name)")
            #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == Substring(expectedQuery))
            return
        }
        let publicKey = try vector.publicKey()
        #expect(derivedKey == publicKey)

        let expectedStringToSign = try vector.text("header-string-to-sign.txt")
        #expect(signed.canonicalRequest == (try vector.text("header-canonical-request.txt")))
        #expect(signed.stringToSign == expectedStringToSign)
        #expect(try SigV4ASigner.verify(signature: signed.signature, publicKey: publicKey, stringToSign: signed.stringToSign))
        if vector.has("canonical-request.txt") {
            #expect(signed.canonicalRequest == (try vector.text("canonical-request.txt")))
            #expect(signed.stringToSign == (try vector.text("string-to-sign.txt")))
        }

        // The suite's own signatures (one in header-signature.txt, another in the signed
        // request) both verify against the expected string to sign.
        let suiteSignature = try vector.text("header-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try SigV4ASigner.verify(signature: suiteSignature, publicKey: publicKey, stringToSign: expectedStringToSign))
        let expected = try vector.request("header-signed-request.txt")
        let expectedAuthorization = try #require(expected.headers.first { $0.name.lowercased() == "authorization" }?.value)
        let signedRequestSignature = try #require(signatureField(expectedAuthorization))
        #expect(try SigV4ASigner.verify(signature: signedRequestSignature, publicKey: publicKey, stringToSign: expectedStringToSign))

        // Same headers as the suite sends; Authorization equal up to the signature.
        #expect(normalizedHeaders(signed.request.headers, excluding: ["authorization"])
            == normalizedHeaders(expected.headers, excluding: ["authorization"]))
        let authorization = try #require(signed.authorization)
        #expect(authorization.range(of: ", Signature=").map { authorization[..<$0.lowerBound] }
            == expectedAuthorization.range(of: ", Signature=").map { expectedAuthorization[..<$0.lowerBound] })
    }

    @Test(arguments: cases)
    func queryPresigning(_ name: String) throws {
        let vector = try SigningVector("\(SigningVectors.suitePath)/v4a/\(name)")
        let request = try vector.request()
        let signer = try signer(for: vector)
        let signed = try signer.presign(request.signingRequest(payload: .bytes(request.body)), date: try vector.date,
                                        expires: try #require(vector.context.expirationInSeconds))
        #expect(try SigV4ASigner.verify(signature: signed.signature, publicKey: try signer.publicKey(),
                                        stringToSign: signed.stringToSign))
        #expect(signed.request.query.contains(.init("X-Amz-Region-Set", vector.context.region)))

        guard vector.has("query-canonical-request.txt") else {
            let expectedQuery = try #require(Self.expectedCanonicalQueries[name], "no expectations for \(name)")
            let canonicalQuery = signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2]
            #expect(canonicalQuery.hasPrefix(expectedQuery + "&X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&"))
            return
        }
        let publicKey = try vector.publicKey()
        let expectedStringToSign = try vector.text("query-string-to-sign.txt")
        #expect(signed.canonicalRequest == (try vector.text("query-canonical-request.txt")))
        #expect(signed.stringToSign == expectedStringToSign)
        #expect(try SigV4ASigner.verify(signature: signed.signature, publicKey: publicKey, stringToSign: signed.stringToSign))

        let suiteSignature = try vector.text("query-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try SigV4ASigner.verify(signature: suiteSignature, publicKey: publicKey, stringToSign: expectedStringToSign))
        let expected = try vector.request("query-signed-request.txt")
        let expectedQuery = SigningRequest.queryItems(fromEncoded: expected.rawQuery ?? "")
        let signedRequestSignature = try #require(expectedQuery.first { $0.name == "X-Amz-Signature" }?.value)
        #expect(try SigV4ASigner.verify(signature: signedRequestSignature, publicKey: publicKey, stringToSign: expectedStringToSign))

        #expect(normalizedQuery(signed.request.query, excluding: ["X-Amz-Signature"])
            == normalizedQuery(expectedQuery, excluding: ["X-Amz-Signature"]))
        #expect(normalizedHeaders(signed.request.headers) == normalizedHeaders(expected.headers))
    }

    @Test func keyDerivationMatchesWorkedExample() throws {
        let root = try SigningVectors.require()
        let data = try #require(FileManager.default.contents(atPath: "\(root)/sigv4a-key-derivation.json"))
        let example = try JSONDecoder().decode([String: AnyCodableScalar].self, from: data)
        let accessKeyId = try #require(example["access_key_id"]?.string)
        let secret = try #require(example["secret_access_key"]?.string)

        let key = try SigV4APrivateKey.derive(accessKeyId: accessKeyId, secretAccessKey: secret)
        #expect(Int(key.counter) == example["counter_used"]?.int)
        #expect(key.scalar.hexString == example["private_key_d_hex"]?.string)
        #expect(key.publicKey.xHex == example["public_key_x_hex"]?.string)
        #expect(key.publicKey.yHex == example["public_key_y_hex"]?.string)
        #expect(SigV4APrivateKey.fixedInput(accessKeyId: accessKeyId, counter: 1).hexString
            == example["fixed_input_counter_1_hex"]?.string)
        #expect(Array("AWS4A\(secret)".utf8) == Array((example["hmac_key_utf8"]?.string ?? "").utf8))
    }
}

/// A JSON string or integer, for the flat worked-example file.
enum AnyCodableScalar: Decodable {
    case string(String)
    case int(Int)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var int: Int? { if case .int(let value) = self { value } else { nil } }
}
