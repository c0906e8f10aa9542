import AWSCore
@testable import AWSServices
import Testing
import TestSupport

/// DynamoDB JSON 1.0 against a real moto_server on loopback.
@Suite(.serialized) struct DynamoDBClientTests {
    private func client(_ moto: MotoServer) -> DynamoDBClient {
        DynamoDBClient(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
    }

    @Test func putThenConsistentGetRoundTrips() async throws {
        try await withMotoServer { moto in
            let dynamo = client(moto)
            try await dynamo.createTable("deploys", partitionKey: "pk")
            #expect(try await dynamo.getItem(table: "deploys", key: ["pk": .string("site#prod")]) == nil)
            let item: DynamoDBClient.Item = ["pk": .string("site#prod"), "version": .number("1"),
                                             "manifest": .string("abc"), "live": .bool(true)]
            #expect(try await dynamo.putItem(table: "deploys", item: item) == .written)
            #expect(try await dynamo.getItem(table: "deploys", key: ["pk": .string("site#prod")]) == item)
        }
    }

    @Test func conditionalPutIsACompareAndSwap() async throws {
        try await withMotoServer { moto in
            let dynamo = client(moto)
            try await dynamo.createTable("deploys", partitionKey: "pk")
            let key: DynamoDBClient.Item = ["pk": .string("site#prod")]
            func item(_ version: String, _ manifest: String) -> DynamoDBClient.Item {
                ["pk": .string("site#prod"), "version": .number(version), "manifest": .string(manifest)]
            }
            func cas(_ new: DynamoDBClient.Item, expected: String) async throws -> DynamoDBClient.PutOutcome {
                try await dynamo.putItem(table: "deploys", item: new, condition: .init(
                    "attribute_not_exists(pk) OR #v = :expected", names: ["#v": "version"],
                    values: [":expected": .number(expected)]))
            }
            // Absent: the first branch of the condition holds.
            #expect(try await cas(item("1", "abc"), expected: "0") == .written)
            // Stored version 1 differs from the expected 7: refused, nothing changes.
            #expect(try await cas(item("8", "zzz"), expected: "7") == .conditionFailed)
            #expect(try await dynamo.getItem(table: "deploys", key: key) == item("1", "abc"))
            // Matches: written.
            #expect(try await cas(item("2", "def"), expected: "1") == .written)
            #expect(try await dynamo.getItem(table: "deploys", key: key) == item("2", "def"))
            // The convenience form does the same.
            #expect(try await dynamo.putItem(table: "deploys", item: item("3", "ghi"), partitionKey: "pk",
                                             versionAttribute: "version", expected: .number("1")) == .conditionFailed)
            #expect(try await dynamo.putItem(table: "deploys", item: item("3", "ghi"), partitionKey: "pk",
                                             versionAttribute: "version", expected: .number("2")) == .written)
            #expect(try await dynamo.putItem(table: "deploys", item: item("9", "new"), partitionKey: "pk",
                                             versionAttribute: "version", expected: nil) == .conditionFailed)
        }
    }

    @Test func aMissingTableIsAServiceError() async throws {
        try await withMotoServer { moto in
            let error = await #expect(throws: AWSServiceError.self) {
                try await client(moto).getItem(table: "nope", key: ["pk": .string("x")])
            }
            #expect(error?.errorCode == "ResourceNotFoundException")
            #expect(error.map { "\($0)" }?.hasPrefix("DynamoDB GetItem failed with ResourceNotFoundException") == true)
        }
    }
}
