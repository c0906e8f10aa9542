import AWSServices
import BuildRunner
import Deploy
import Foundation

/// `--cache s3://bucket/prefix`: the build cache shared through S3, one object per key at
/// `<prefix><percent-encoded key>.tar.zst`. The encoding maps each byte on its own, so a
/// fallback key's encoding is a prefix of every matching key's: fallbacks are one
/// ListObjectsV2 with that prefix, the newest object winning.
struct S3CacheStore: RemoteCacheStore {
    let client: S3Client
    let location: S3Location
    static let suffix = ".tar.zst"

    var description: String { location.description }

    static func objectName(for key: String) -> String {
        var encoded = ""
        for byte in key.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber || "-_.~".contains(c)) {
                encoded.append(c)
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    static func key(fromObjectName name: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(name.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    func objectKey(for key: String) -> String { location.prefix + Self.objectName(for: key) + Self.suffix }

    func url(_ objectKey: String) -> String { "s3://\(location.bucket)/\(objectKey)" }

    func find(key: String, fallbacks: [String]) throws -> RemoteCacheEntry? {
        let client = client, bucket = location.bucket, exactKey = objectKey(for: key)
        if let info = try AWSSecretSource.wait({ try await client.headObject(bucket: bucket, key: exactKey) }) {
            return RemoteCacheEntry(key: key, location: url(exactKey), size: info.size)
        }
        for fallback in fallbacks {
            let prefix = location.prefix + Self.objectName(for: fallback)
            let listed = try AWSSecretSource.wait { try await client.listObjects(bucket: bucket, prefix: prefix).objects }
            let candidates = listed.filter { $0.key.hasSuffix(Self.suffix) && !$0.key.dropFirst(location.prefix.count).contains("/") }
            // ISO 8601 times in one format compare as text; the key breaks ties.
            guard let newest = candidates.max(by: { ($0.lastModified ?? "", $0.key) < ($1.lastModified ?? "", $1.key) }),
                  let found = Self.key(fromObjectName: String(newest.key.dropFirst(location.prefix.count).dropLast(Self.suffix.count)))
            else { continue }
            return RemoteCacheEntry(key: found, location: url(newest.key), size: newest.size)
        }
        return nil
    }

    func download(_ entry: RemoteCacheEntry, to path: String) throws {
        let client = client, bucket = location.bucket, objectKey = objectKey(for: entry.key)
        _ = try AWSSecretSource.wait { try await client.getObject(bucket: bucket, key: objectKey, toFile: path) }
    }

    func contains(key: String) throws -> Bool {
        let client = client, bucket = location.bucket, objectKey = objectKey(for: key)
        return try AWSSecretSource.wait { try await client.headObject(bucket: bucket, key: objectKey) } != nil
    }

    func upload(_ path: String, key: String) throws -> String {
        let target = S3Target(client: client, location: location)
        let objectKey = objectKey(for: key)
        try AWSSecretSource.wait {
            try await target.uploadFile(path, toKey: objectKey,
                                        attributes: S3Client.ObjectAttributes(contentType: "application/zstd", metadata: ["sitebuild-cache-key": Self.metadataValue(key)]))
        }
        return url(objectKey)
    }

    /// Metadata values travel as HTTP headers: printable ASCII only.
    static func metadataValue(_ key: String) -> String {
        key.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } ? key : objectName(for: key)
    }

    /// A cache setting's S3 location (`what` names where it was set), or a usage error.
    static func location(_ text: String, what: String) throws -> S3Location {
        do {
            return try S3Location.parse(text, what: what)
        } catch {
            throw UsageError("\(error) (the build cache is shared through S3: s3://bucket/prefix)")
        }
    }

    /// The store `--cache`, `SITEBUILD_CACHE` or sitebuild.yml's `cache:` names, or nil. Its
    /// entries are written with `writes` over the `sse:`, `sse-kms-key-id:` and `acl:` of the
    /// first of `configFiles` that sets any, as a deploy writes its objects: a bucket whose
    /// policy requires SSE-KMS refuses them otherwise.
    static func configured(option: String?, environment: [String: String], configFiles: [String],
                           aws: AWSOptions, writes: S3WriteOptions = S3WriteOptions()) throws -> S3CacheStore? {
        var setting: (text: String, what: String)?
        var configured: S3Client.ObjectWriteSettings?
        for file in configFiles {
            let config = try SiteConfig.load(file)
            if configured == nil, config.objectWrites != S3Client.ObjectWriteSettings() { configured = config.objectWrites }
            if setting == nil, let given = config.cache, !given.isEmpty { setting = (given, "\(config.cachePlace ?? file): cache") }
        }
        if let option, !option.isEmpty { setting = (option, "--cache") }
        else if let given = environment["SITEBUILD_CACHE"], !given.isEmpty { setting = (given, "SITEBUILD_CACHE") }
        guard let setting else { return nil }
        let location = try Self.location(setting.text, what: setting.what)
        let objectWrites = try writes.settings(over: configured ?? S3Client.ObjectWriteSettings())
        let client = try AWSContext(options: aws, environment: environment, objectWrites: objectWrites)
            .s3(for: "\(setting.what) \(setting.text)")
        return S3CacheStore(client: client, location: location)
    }
}
