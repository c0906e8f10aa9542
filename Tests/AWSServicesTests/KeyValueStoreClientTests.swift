import AWSCore
@testable import AWSServices
import Foundation
import Testing
import TestSupport

/// KeyValueStore client against the project's SigV4A-verifying test server.
@Suite(.serialized) struct KeyValueStoreClientTests {
    @Test func describeThenPutWithTheETagThenGetReturnsTheValue() async throws {
        try await withKeyValueStoreTestServer { server in
            let kvs = try server.client()
            let before = try await kvs.describe()
            #expect(before.itemCount == 0)
            let outcome = try await kvs.putKey("site/current", value: "deploy-42", ifMatch: before.etag)
            guard case .written(let etag) = outcome else { Issue.record("not written: \(outcome)"); return }
            #expect(etag != before.etag)
            #expect(try await kvs.getKey("site/current") == "deploy-42")
            let after = try await kvs.describe()
            #expect(after.etag == etag)
            #expect(after.itemCount == 1)
        }
    }

    @Test func aStaleETagIsATypedConflict() async throws {
        try await withKeyValueStoreTestServer { server in
            let kvs = try server.client()
            let stale = try await kvs.describe().etag
            #expect(try await kvs.putKey("a", value: "1", ifMatch: stale) != .conflict(message: nil))
            let outcome = try await kvs.putKey("a", value: "2", ifMatch: stale)
            guard case .conflict = outcome else { Issue.record("expected a conflict, got \(outcome)"); return }
            #expect(try await kvs.getKey("a") == "1")
        }
    }

    @Test func aMissingKeyIsResourceNotFound() async throws {
        try await withKeyValueStoreTestServer { server in
            let error = await #expect(throws: AWSServiceError.self) { try await server.client().getKey("nope") }
            #expect(error?.errorCode == "ResourceNotFoundException")
            #expect(error?.status == 404)
        }
    }

    @Test func aWrongSecretIsRejectedBecauseTheSignatureDoesNotVerify() async throws {
        try await withKeyValueStoreTestServer { server in
            let error = await #expect(throws: AWSServiceError.self) {
                try await server.client(secret: "not-the-secret").describe()
            }
            #expect(error?.errorCode == "InvalidSignatureException")
            #expect(error?.status == 403)
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("the SigV4A signature did not verify"))
            #expect(text.contains("check the AWS credentials"))
        }
    }

    @Test func updateKeysAppliesSeveralPutsAndDeletesAtOnce() async throws {
        try await withKeyValueStoreTestServer { server in
            let kvs = try server.client()
            let first = try await kvs.updateKeys(puts: ["x": "1", "y/z": "2", "key with space": "3"],
                                                 ifMatch: try await kvs.describe().etag)
            guard case .written(let etag) = first else { Issue.record("not written: \(first)"); return }
            #expect(try await kvs.getKey("x") == "1")
            #expect(try await kvs.getKey("y/z") == "2")
            #expect(try await kvs.getKey("key with space") == "3")
            #expect(try await kvs.describe().itemCount == 3)
            let second = try await kvs.updateKeys(puts: ["x": "10"], deletes: ["y/z"], ifMatch: etag)
            guard case .written = second else { Issue.record("not written: \(second)"); return }
            #expect(try await kvs.getKey("x") == "10")
            #expect(try await kvs.describe().itemCount == 2)
            guard case .conflict = try await kvs.updateKeys(puts: ["x": "stale"], ifMatch: etag) else {
                Issue.record("a stale UpdateKeys was applied"); return
            }
        }
    }

    @Test func theEndpointFollowsTheRules() throws {
        let arn = KeyValueStoreTestServer.storeARN
        #expect(try KeyValueStoreClient.endpoint(forARN: arn, environment: [:]).url
                == "https://123456789012.cloudfront-kvs.global.api.aws")
        // A custom endpoint is used as is: no account prefix.
        #expect(try KeyValueStoreClient.endpoint(forARN: arn, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:5055"]).url
                == "http://127.0.0.1:5055")
        #expect(try KeyValueStoreClient.endpoint(forARN: arn, environment: [
            "AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE": "http://b:2"]).source
                == "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE")
        #expect(throws: AWSServiceError.self) {
            try KeyValueStoreClient.endpoint(forARN: "arn:aws:cloudfront:us-east-1:123456789012:key-value-store/x", environment: [:])
        }
        #expect(KeyValueStoreClient.accountId(ofARN: "arn:aws-cn:cloudfront::123456789012:key-value-store/x") == nil)
        // Full-width (or other non-ASCII) digits are no account id: they would become the host name.
        #expect(KeyValueStoreClient.accountId(ofARN: "arn:aws:cloudfront::１２３456789012:key-value-store/x") == nil)
    }

    @Test func theWirePathIsEncodedOnceAndTheCanonicalURITwice() async throws {
        let environment = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]
        let kvs = try KeyValueStoreClient(kvsARN: KeyValueStoreTestServer.storeARN,
                                          credentials: EnvironmentCredentialProvider(environment: environment), environment: [:])
        let resolved = try await kvs.credentials.credentials()
        let signed = try kvs.signedRequest(method: "PUT", path: kvs.storePath + "/keys/" + URIEncoding.encode("site/current"),
                                           host: "123456789012.cloudfront-kvs.global.api.aws", payload: Array(#"{"Value":"v"}"#.utf8),
                                           ifMatch: "KV1", credentials: resolved)
        #expect(signed.request.path == "/key-value-stores/arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2Fa1b2c3d4-5678-90ab-cdef-EXAMPLE11111/keys/site%2Fcurrent")
        #expect(signed.canonicalRequest.split(separator: "\n")[1]
                == "/key-value-stores/arn%253Aaws%253Acloudfront%253A%253A123456789012%253Akey-value-store%252Fa1b2c3d4-5678-90ab-cdef-EXAMPLE11111/keys/site%252Fcurrent")
        #expect(signed.authorization?.hasPrefix("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/") == true)
        #expect(signed.signedHeaders.contains("x-amz-region-set"))
        #expect(signed.request.headerValues("X-Amz-Region-Set") == ["*"])
        #expect(signed.request.headerValues("x-amz-content-sha256").isEmpty)
    }
}
