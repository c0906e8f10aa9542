import AWSCore
@testable import AWSServices
import Foundation
import Testing
import TestSupport

/// The SigV4 signer end to end against moto_server in its signature-checking mode
/// (`INITIAL_NO_AUTH_ACTION_COUNT=3`): after the three free IAM calls that make a user and its
/// key, moto recomputes every S3 and DynamoDB signature. (moto's CloudFront rejects every
/// request in this mode, so it is not tested here.)
@Suite(.serialized) struct SignatureVerificationTests {
    /// Credentials as the environment provider reads them, so messages name `environment`.
    private func credentials(_ key: AWSCredentials) -> EnvironmentCredentialProvider {
        EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": key.accessKeyId, "AWS_SECRET_ACCESS_KEY": key.secretAccessKey])
    }

    private func s3(_ moto: MotoServer, _ key: AWSCredentials) -> S3Client {
        S3Client(region: "us-east-1", credentials: credentials(key), environment: ["AWS_ENDPOINT_URL": moto.baseURL])
    }

    private func dynamo(_ moto: MotoServer, _ key: AWSCredentials) -> DynamoDBClient {
        DynamoDBClient(region: "us-east-1", credentials: credentials(key), environment: ["AWS_ENDPOINT_URL": moto.baseURL])
    }

    @Test func theRightKeyIsAcceptedAWrongSecretOrAnUnknownKeyIsRejected() async throws {
        try await withMotoServer(extraEnvironment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"]) { moto in
            let key = try await moto.createIAMUserWithAccessKey()
            let wrongSecret = AWSCredentials(accessKeyId: key.accessKeyId, secretAccessKey: "not-the-secret-" + key.secretAccessKey.prefix(4))
            let unknownKey = AWSCredentials(accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: key.secretAccessKey)

            // S3 with the right key: create, put, get (hashed payload, x-amz-content-sha256).
            let good = s3(moto, key)
            try await good.createBucket("signed-bucket")
            let body: [UInt8] = Array("<h1>signed</h1>".utf8)
            guard case .stored = try await good.putObject(bucket: "signed-bucket", key: "dir/index page.html", body: .bytes(body),
                                                          attributes: .init(contentType: "text/html", metadata: ["build": "7"])) else {
                Issue.record("PutObject did not store")
                return
            }
            let fetched = try await good.getObject(bucket: "signed-bucket", key: "dir/index page.html")
            #expect(fetched.body == body)
            #expect(fetched.info.attributes.metadata["build"] == "7")
            // moto rebuilds the query with `%2F` decoded before checking, so even botocore's own
            // signature of `prefix=dir/` fails there; a prefix without `/` checks the query signing.
            #expect(try await good.listObjects(bucket: "signed-bucket", prefix: "dir").objects.map(\.key) == ["dir/index page.html"])

            // DynamoDB with the right key.
            let table = dynamo(moto, key)
            try await table.createTable("pointers", partitionKey: "pk")
            #expect(try await table.putItem(table: "pointers", item: ["pk": .string("site"), "v": .string("abc")]) == .written)
            #expect(try await table.getItem(table: "pointers", key: ["pk": .string("site")])?["v"] == .string("abc"))

            // A wrong secret: the signature does not match, and the message says what to check.
            let s3Rejected = await #expect(throws: AWSServiceError.self) {
                _ = try await s3(moto, wrongSecret).getObject(bucket: "signed-bucket", key: "dir/index page.html")
            }
            #expect(s3Rejected?.errorCode == "SignatureDoesNotMatch")
            #expect(s3Rejected?.status == 403)
            let s3Text = s3Rejected.map { "\($0)" } ?? ""
            #expect(s3Text.hasPrefix("S3 GetObject failed with SignatureDoesNotMatch (HTTP 403)"), "\(s3Text)")
            #expect(s3Text.contains("the request signature did not match: check the AWS credentials"), "\(s3Text)")
            #expect(s3Text.contains("secret access key"))
            #expect(!s3Text.contains(wrongSecret.secretAccessKey))

            let dynamoRejected = await #expect(throws: AWSServiceError.self) {
                _ = try await dynamo(moto, wrongSecret).getItem(table: "pointers", key: ["pk": .string("site")])
            }
            #expect(dynamoRejected?.errorCode == "SignatureDoesNotMatch")
            #expect(dynamoRejected?.status == 403)
            let dynamoText = dynamoRejected.map { "\($0)" } ?? ""
            #expect(dynamoText.hasPrefix("DynamoDB GetItem failed with SignatureDoesNotMatch (HTTP 403)"), "\(dynamoText)")
            #expect(dynamoText.contains("the request signature did not match: check the AWS credentials from environment; "
                                        + "the secret access key must be the one of that access key ID"), "\(dynamoText)")
            #expect(dynamoRejected?.credentialSource == "environment")

            // An access key moto has never issued.
            let s3Unknown = await #expect(throws: AWSServiceError.self) {
                try await s3(moto, unknownKey).createBucket("other-bucket")
            }
            #expect(s3Unknown?.errorCode == "InvalidAccessKeyId")
            #expect(s3Unknown.map { "\($0)" }?.contains("the access key ID is not known to S3: check the AWS credentials") == true)

            let dynamoUnknown = await #expect(throws: AWSServiceError.self) {
                _ = try await dynamo(moto, unknownKey).getItem(table: "pointers", key: ["pk": .string("site")])
            }
            #expect(["InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId"].contains(dynamoUnknown?.errorCode ?? ""),
                    "\(String(describing: dynamoUnknown))")
            #expect(dynamoUnknown.map { "\($0)" }?.contains("the access key ID is not known to DynamoDB: check the AWS credentials from environment") == true)

            // Nothing the rejected requests tried was stored.
            #expect(try await good.headObject(bucket: "signed-bucket", key: "dir/index page.html") != nil)
            await #expect(throws: AWSServiceError.self) { _ = try await good.listObjects(bucket: "other-bucket") }
        }
    }

    @Test func theAdviceForCredentialErrorsNamesTheSourceWhenKnown() {
        let mismatch = AWSServiceError.service("S3", "PutObject", code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match", status: 403)
        #expect("\(mismatch)".contains("check the AWS credentials; the secret access key must be the one of that access key ID"))
        let attributed = mismatch.attributing(credentialsTo: "profile ci")
        #expect(attributed.credentialSource == "profile ci")
        #expect("\(attributed)" == "S3 PutObject failed with SignatureDoesNotMatch (HTTP 403): The request signature we calculated does not match; "
                + "the request signature did not match: check the AWS credentials from profile ci; the secret access key must be "
                + "the one of that access key ID (also check the region and the system clock)")
        let expired = AWSServiceError.service("DynamoDB", "GetItem", code: "ExpiredTokenException", message: nil, status: 400)
            .attributing(credentialsTo: "web identity")
        #expect("\(expired)".hasSuffix("the session token of the AWS credentials from web identity has expired; get fresh temporary credentials"))
    }
}
