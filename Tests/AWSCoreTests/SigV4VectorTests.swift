import AWSCore
import Foundation
import Testing

/// The aws-c-auth SigV4 suite: every case, signed in the header and as a presigned URL, must
/// reproduce the canonical request, string to sign and signature byte for byte.
@Suite struct SigV4VectorTests {
    static let cases = SigningVectors.caseNames("v4")

    @Test func suiteIsPresent() throws {
        _ = try SigningVectors.require()
        #expect(Self.cases.count == 38)
    }

    @Test(arguments: cases)
    func headerSigning(_ name: String) throws {
        let vector = try SigningVector("\(SigningVectors.suitePath)/v4/\(name)")
        let request = try vector.request()
        let signer = SigV4Signer(credentials: vector.credentials, region: try #require(vector.context.region),
                                 service: vector.context.service, options: vector.suiteOptions)
        let signed = signer.sign(request.signingRequest(payload: .bytes(request.body)), date: try vector.date)

        #expect(signed.canonicalRequest == (try vector.text("header-canonical-request.txt")))
        #expect(signed.stringToSign == (try vector.text("header-string-to-sign.txt")))
        #expect(signed.signature == (try vector.text("header-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines))

        // The request to send carries exactly the headers of header-signed-request.txt,
        // Authorization included (and the token, even when it was left out of the signature).
        let expected = try vector.request("header-signed-request.txt")
        #expect(normalizedHeaders(signed.request.headers) == normalizedHeaders(expected.headers))
        #expect(signed.request.path == expected.path)
        #expect(normalizedQuery(signed.request.query)
            == normalizedQuery(SigningRequest.queryItems(fromEncoded: expected.rawQuery ?? "")))
    }

    @Test(arguments: cases)
    func queryPresigning(_ name: String) throws {
        let vector = try SigningVector("\(SigningVectors.suitePath)/v4/\(name)")
        let request = try vector.request()
        let signer = SigV4Signer(credentials: vector.credentials, region: try #require(vector.context.region),
                                 service: vector.context.service, options: vector.suiteOptions)
        let signed = try signer.presign(request.signingRequest(payload: .bytes(request.body)), date: try vector.date,
                                        expires: try #require(vector.context.expirationInSeconds))

        #expect(signed.canonicalRequest == (try vector.text("query-canonical-request.txt")))
        #expect(signed.stringToSign == (try vector.text("query-string-to-sign.txt")))
        #expect(signed.signature == (try vector.text("query-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(signed.authorization == nil)

        let expected = try vector.request("query-signed-request.txt")
        let expectedQuery = SigningRequest.queryItems(fromEncoded: expected.rawQuery ?? "")
        #expect(normalizedQuery(signed.request.query) == normalizedQuery(expectedQuery))
        #expect(normalizedHeaders(signed.request.headers) == normalizedHeaders(expected.headers))
        #expect(signed.request.path == expected.path)
    }
}
