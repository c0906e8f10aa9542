import AWSCore
@testable import AWSServices
import Testing
import TestSupport

/// SSM and Secrets Manager against a real moto_server on loopback.
@Suite(.serialized) struct MotoServiceTests {
    @Test func getParametersReturnsValuesDecryptsSecureStringsAndReportsMissingNames() async throws {
        try await withMotoServer { moto in
            try await moto.putParameter("/app/user", "deploy")
            try await moto.putParameter("/app/db-password", "pw-Secure-123", type: "SecureString")
            let result = try await moto.ssm().getParameters(names: ["/app/user", "/app/db-password", "/app/missing", "/app/user"])
            #expect(result.values == ["/app/user": "deploy", "/app/db-password": "pw-Secure-123"])
            #expect(result.invalidParameters == ["/app/missing"])
        }
    }

    /// `/app/x:1`, `/app/x:label` and `/app/x` asked together: every answer is named `/app/x`,
    /// yet each value goes to the name asked (they are asked in separate calls).
    @Test func aVersionAndTheLatestOfOneParameterAreToldApart() async throws {
        try await withMotoServer { moto in
            try await moto.putParameter("/app/plain", "first")
            struct Put: Encodable { var Name: String; var Value: String; var Overwrite: Bool }
            struct Ignored: Decodable {}
            let _: Ignored = try await moto.ssm().client.call("PutParameter", Put(Name: "/app/plain", Value: "second", Overwrite: true))
            let _: Ignored = try await moto.ssm().client.call("PutParameter", Put(Name: "/app/plain", Value: "third", Overwrite: true))
            struct Label: Encodable { var Name: String; var ParameterVersion: Int; var Labels: [String] }
            let _: Ignored = try await moto.ssm().client.call("LabelParameterVersion", Label(Name: "/app/plain", ParameterVersion: 1, Labels: ["prod"]))
            for names in [["/app/plain:1", "/app/plain"], ["/app/plain", "/app/plain:1"], ["/app/plain:prod", "/app/plain:2", "/app/plain"]] {
                let result = try await moto.ssm().getParameters(names: names)
                let expected = ["/app/plain:1": "first", "/app/plain:prod": "first", "/app/plain:2": "second", "/app/plain": "third"]
                #expect(result.values == expected.filter { names.contains($0.key) }, "\(names)")
            }
            #expect(SSMClient.withoutSelector("arn:aws:ssm:us-east-1:123456789012:parameter/app/x:3") == "arn:aws:ssm:us-east-1:123456789012:parameter/app/x")
            #expect(SSMClient.withoutSelector("arn:aws:ssm:us-east-1:123456789012:parameter/app/x") == "arn:aws:ssm:us-east-1:123456789012:parameter/app/x")
            #expect(SSMClient.withoutSelector("plain-name:prod") == "plain-name")
        }
    }

    @Test func moreThanTenNamesAreAskedForInBatches() async throws {
        try await withMotoServer { moto in
            let names = (1...23).map { "/batch/p\($0)" }
            for name in names.dropLast(2) { try await moto.putParameter(name, "value of \(name)") }
            let result = try await moto.ssm().getParameters(names: names)
            #expect(result.values.count == 21)
            #expect(result.values["/batch/p21"] == "value of /batch/p21")
            #expect(Set(result.invalidParameters) == ["/batch/p22", "/batch/p23"])
            // One call with more than ten names is refused, so the batching above is what made it work.
            struct Input: Encodable { var Names: [String] }
            struct Output: Decodable {}
            await #expect(throws: AWSServiceError.self) {
                let _: Output = try await moto.ssm().client.call("GetParameters", Input(Names: Array(names.prefix(11))))
            }
        }
    }

    @Test func getSecretValueReturnsTheStringOrTheBytes() async throws {
        try await withMotoServer { moto in
            try await moto.createSecret("app/plain", string: "s3cr3t-plain")
            try await moto.createSecret("app/json", string: #"{"token":"tok-1","port":5432}"#)
            try await moto.createSecret("app/binary", binary: [0, 1, 2, 255])
            let client = moto.secretsManager()
            #expect(try await client.getSecretValue(secretId: "app/plain") == .string("s3cr3t-plain"))
            #expect(try await client.getSecretValue(secretId: "app/plain", versionStage: "AWSCURRENT") == .string("s3cr3t-plain"))
            #expect(try await client.getSecretValue(secretId: "app/json") == .string(#"{"token":"tok-1","port":5432}"#))
            #expect(try await client.getSecretValue(secretId: "app/binary") == .binary([0, 1, 2, 255]))
        }
    }

    @Test func aMissingSecretIsAServiceErrorNamingTheCode() async throws {
        try await withMotoServer { moto in
            let error = await #expect(throws: AWSServiceError.self) {
                try await moto.secretsManager().getSecretValue(secretId: "app/nope")
            }
            #expect(error?.errorCode == "ResourceNotFoundException")
            #expect(error?.status != nil)  // AWS answers 400, moto 404
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("Secrets Manager GetSecretValue failed with ResourceNotFoundException"))
            #expect(text.contains("check the name, the region and the account"))
        }
    }

    @Test func anUnreachableEndpointIsATransportErrorNamingTheService() async throws {
        let client = SSMClient(region: "us-east-1",
                               credentials: EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]),
                               environment: ["AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:9"],
                               httpClient: RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: RetryPolicy(maxAttempts: 1)))
        let error = await #expect(throws: AWSServiceError.self) { try await client.getParameters(names: ["/x"]) }
        #expect(error.map { "\($0)" }?.hasPrefix("SSM GetParameters failed") == true)
    }
}
