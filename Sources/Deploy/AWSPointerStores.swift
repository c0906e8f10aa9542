import AWSCore
import AWSServices
import Foundation

/// The pointer as a small S3 object holding the version id; the compare-and-swap is a
/// PutObject with `If-Match: <etag>` (or `If-None-Match: *` for the first flip).
public struct S3PointerStore: PointerStore {
    public let client: S3Client
    public let bucket: String
    public let key: String
    /// The target's own pointer (`<prefix>_sitebuild/live`, no pointer given): a missing
    /// bucket is then the target's, and the message says to fix the target.
    public var isTargetDefault = false

    public init(client: S3Client, bucket: String, key: String, isTargetDefault: Bool = false) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.isTargetDefault = isTargetDefault
    }

    public var url: String { "s3://\(bucket)/\(key)" }

    public func read() async throws -> PointerState {
        do {
            let (info, body) = try await client.getObject(bucket: bucket, key: key, limit: 64 << 10)
            let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return PointerState(version: text.isEmpty ? nil : try VersionId.pointerValue(text, pointer: url), token: info.etag)
        } catch let error as AWSServiceError where error.status == 404 {
            // No object: nothing is live yet. No bucket is a mistake, not an empty pointer.
            if error.errorCode == "NoSuchBucket" {
                if isTargetDefault {
                    // The target's own prefix, not only its bucket: the default pointer sits at
                    // <prefix>_sitebuild/live.
                    let prefix = key.hasSuffix("_sitebuild/live") ? String(key.dropLast("_sitebuild/live".count)) : ""
                    throw PointerResourceMissing("the target s3://\(bucket)/\(prefix): the bucket '\(bucket)' does not exist",
                                                 advice: "create it, or fix the target (--target, SITEBUILD_TARGET, sitebuild.yml)")
                }
                throw PointerResourceMissing("the pointer \(url): the bucket '\(bucket)' does not exist",
                                             advice: "create it, or fix the pointer (--pointer, SITEBUILD_POINTER, sitebuild.yml)")
            }
            return PointerState(version: nil, token: nil)
        }
    }

    public func compareAndSwap(expected: PointerState, to version: String) async throws {
        let body = HTTPRequestBody.bytes(Array(version.utf8))
        let attributes = S3Client.ObjectAttributes(contentType: "text/plain; charset=utf-8", cacheControl: "no-store")
        let outcome: S3Client.WriteOutcome
        if let token = expected.token {
            outcome = try await client.putObject(bucket: bucket, key: key, body: body, attributes: attributes, condition: .etag(token))
        } else {
            outcome = try await client.putObject(bucket: bucket, key: key, body: body, attributes: attributes, condition: .absent)
        }
        if case .stored = outcome { return }
        let now = try await read()
        throw PointerConflict(expected: expected.version, found: now.version, wanted: version)
    }
}

/// The bucket or table a pointer lives in does not exist: named, for deploy's message;
/// `sitebuild doctor` counts it as missing.
public struct PointerResourceMissing: Error, Sendable, CustomStringConvertible {
    /// What is missing, without the advice (for a pointer that is not the command's own).
    public let problem: String
    public let advice: String
    public var description: String { problem + "; " + advice }
    public init(_ problem: String, advice: String) {
        self.problem = problem
        self.advice = advice
    }
}

/// The pointer as a DynamoDB item `{<partitionKey>: <key>, version: <id>}`; the
/// compare-and-swap is an UpdateItem conditioned on the version read before.
public struct DynamoDBPointerStore: PointerStore {
    public let client: DynamoDBClient
    public let table: String
    public let key: String
    /// The table's partition key attribute (a string).
    public let partitionKey: String
    public static let versionAttribute = "version"

    public init(client: DynamoDBClient, table: String, key: String, partitionKey: String = "id") {
        self.client = client
        self.table = table
        self.key = key
        self.partitionKey = partitionKey
    }

    public var url: String { "dynamodb://\(table)#\(key)" }
    public var region: String? { client.region }

    public func read() async throws -> PointerState {
        let item: DynamoDBClient.Item?
        do {
            item = try await client.getItem(table: table, key: [partitionKey: .string(key)])
        } catch let error as AWSServiceError where error.errorCode?.hasSuffix("ResourceNotFoundException") == true {
            throw PointerResourceMissing("the pointer \(url): the DynamoDB table '\(table)' does not exist in \(client.region)",
                                         advice: "create it (partition key '\(partitionKey)', a string), or fix the pointer (--pointer, "
                                             + "SITEBUILD_POINTER, sitebuild.yml)")
        } catch let error as AWSServiceError where error.errorCode?.hasSuffix("ValidationException") == true
                    && "\(error)".contains("key element does not match the schema") {
            // A table made for something else: its partition key is not sitebuild's.
            throw DeployError("the pointer \(url): the DynamoDB table '\(table)' does not have the key sitebuild uses: a string "
                + "partition key named '\(partitionKey)' and no sort key. Use a table made for the pointer (aws dynamodb create-table "
                + "--table-name NAME --attribute-definitions AttributeName=\(partitionKey),AttributeType=S --key-schema "
                + "AttributeName=\(partitionKey),KeyType=HASH --billing-mode PAY_PER_REQUEST), or fix the pointer (--pointer, "
                + "SITEBUILD_POINTER, sitebuild.yml)", invalidInput: true)
        }
        guard let item else { return PointerState(version: nil, token: nil) }
        guard case .string(let version)? = item[Self.versionAttribute] else {
            // Not sitebuild's item (or a hand-edited one): a write would replace it whole, and a
            // compare-and-swap "from nothing" could never pass.
            let has = item.keys.sorted().joined(separator: ", ")
            let kind: String
            switch item[Self.versionAttribute] {
            case .number?: kind = ", only a number"
            case .bool?: kind = ", only a boolean"
            case .null?: kind = ", only a null"
            case .unsupported(let type)?: kind = ", only one of type \(type)"
            case .string?, nil: kind = ""
            }
            throw DeployError("the pointer \(url): the item with \(partitionKey) '\(key)' in table '\(table)' has no string attribute "
                + "'\(Self.versionAttribute)'\(kind) (it has: \(has)); sitebuild keeps the live version id there: set it to a version id "
                + "(see `sitebuild versions`) or delete the item, or use another key (--pointer dynamodb://\(table)#KEY)", invalidInput: true)
        }
        // The token is the value as stored (an emptied pointer's "" too): the compare-and-swap
        // must match it exactly.
        return PointerState(version: try VersionId.livePointerValue(version, pointer: url), token: version)
    }

    public func compareAndSwap(expected: PointerState, to version: String) async throws {
        let condition: DynamoDBClient.Condition
        if let current = expected.token ?? expected.version {
            condition = .init("#v = :expected", names: ["#v": Self.versionAttribute], values: [":expected": .string(current)])
        } else {
            condition = .init("attribute_not_exists(#pk)", names: ["#pk": partitionKey])
        }
        // An update, not a put: the item's other attributes (a team's own: owner, TTL, notes)
        // stay as they are.
        if try await client.updateItem(table: table, key: [partitionKey: .string(key)],
                                       set: [(Self.versionAttribute, .string(version)), ("updatedAt", .string(ReleaseRecord.isoTime(Date())))],
                                       condition: condition) == .written { return }
        let now = try await read()
        throw PointerConflict(expected: expected.version, found: now.version, wanted: version)
    }
}

/// The pointer as a CloudFront KeyValueStore key (the Hosting Toolkit's `path`), read by the
/// viewer-request function. The store has one ETag for all keys: when a write is refused
/// because *another* key changed, the store is re-read and the write retried; when our key
/// holds something other than what this deploy read, it stops with a conflict.
public struct KeyValueStorePointerStore: PointerStore {
    public let client: KeyValueStoreClient
    public let key: String
    /// Writes refused because other keys changed, retried this many times.
    public var maximumRetries = 8

    public init(client: KeyValueStoreClient, key: String) {
        self.client = client
        self.key = key
    }

    public var url: String { "cloudfront-kvs://\(client.kvsARN)#\(key)" }

    public func read() async throws -> PointerState {
        // The ETag first: a change to our key after it makes the write fail, never pass.
        let etag = try await client.describe().etag
        do {
            return PointerState(version: try VersionId.livePointerValue(try await client.getKey(key), pointer: url), token: etag)
        } catch let error as AWSServiceError where error.status == 404 {
            return PointerState(version: nil, token: etag)
        }
    }

    public func compareAndSwap(expected: PointerState, to version: String) async throws {
        var etag: String
        if let token = expected.token { etag = token } else { etag = try await client.describe().etag }
        for attempt in 0...maximumRetries {
            switch try await client.putKey(key, value: version, ifMatch: etag) {
            case .written:
                return
            case .conflict:
                let now = try await read()
                guard now.version == expected.version, let token = now.token else {
                    throw PointerConflict(expected: expected.version, found: now.version, wanted: version)
                }
                etag = token
                // Other keys are being written (other sites' deploys on the same store): a
                // jittered wait, 50 ms doubling to 1 s, lets them finish rather than racing them.
                if attempt < maximumRetries {
                    let base = min(1_000.0, 50.0 * Double(1 << min(attempt, 10)))
                    try await Task.sleep(for: .milliseconds(Int(base * Double.random(in: 0.5...1.0))))
                }
            }
        }
        throw DeployError("\(url): the KeyValueStore kept changing under this flip (\(maximumRetries + 1) writes refused "
            + "because other keys changed, over a few seconds); \(version) is uploaded but not live: run the command again")
    }
}
