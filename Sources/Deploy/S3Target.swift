import AWSCore
import AWSServices
import Foundation
import SiteContent

/// `s3://bucket/prefix`, parsed.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// Empty, or ending in `/`.
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        var cleaned = prefix
        while cleaned.hasPrefix("/") { cleaned.removeFirst() }
        if !cleaned.isEmpty && !cleaned.hasSuffix("/") { cleaned += "/" }
        self.prefix = cleaned
    }

    /// Parses `s3://bucket[/prefix]`; `what` names the flag or setting for the message.
    public static func parse(_ text: String, what: String) throws -> S3Location {
        guard text.hasPrefix("s3://") else { throw DeployError("\(what) \(text): an S3 location starts with s3://") }
        let rest = text.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        if bucket.hasSuffix("--x-s3") {
            throw DeployError("\(what) \(text): '\(bucket)' is an S3 Express One Zone directory bucket (it ends in --x-s3), which "
                + "sitebuild does not support; use a general purpose bucket")
        }
        if let broken = bucketNameProblem(bucket) {
            throw DeployError("\(what) \(text): '\(bucket)' is not a valid bucket name: \(broken); write s3://bucket/prefix")
        }
        let prefix = String(rest.dropFirst(bucket.count))
        if prefix.contains("//") || prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
            throw DeployError("\(what) \(text): the prefix may not contain '//', '.' or '..' segments")
        }
        return S3Location(bucket: bucket, prefix: prefix)
    }

    public var description: String { "s3://\(bucket)/\(prefix)" }

    /// What keeps `prefix` from being a CloudFront origin path that reaches it, or nil: a
    /// character outside S3's safe characters for keys (ASCII letters and digits, `! - _ . * ' ( )`,
    /// and `/`). CloudFront puts the origin path in front of the request's path as it is
    /// written, after the viewer-request function ran, so nothing encodes it: S3 reads a `+` as
    /// a space, and a space, `#`, `%`, `&` or a non-ASCII letter is no path S3 is sent intact.
    /// A distribution in front of such a prefix answers 403/404 for every page.
    public static func originPathProblem(_ prefix: String) -> String? {
        var unsafe: [String] = []
        for scalar in prefix.unicodeScalars where !isOriginPathSafe(scalar) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let shown = scalar.value < 0x20 || scalar.value == 0x7F || !scalar.isASCII
                ? "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex : String(scalar)
            if !unsafe.contains(shown) { unsafe.append(shown) }
        }
        guard !unsafe.isEmpty else { return nil }
        return "the prefix '\(terminalText(prefix))' has \(unsafe.map { "'\($0)'" }.joined(separator: ", ")), which a CloudFront origin path "
            + "cannot hold: CloudFront adds the origin path to each request as written (after the viewer-request function, which "
            + "encodes the rest), and S3 reads '+' as a space and gets no other such character intact, so a distribution in front of "
            + "it answers 403 or 404; choose a prefix of letters, digits and ! - _ . * ' ( ) only"
    }

    /// Whether `scalar` is one of S3's safe characters for keys, or `/`.
    static func isOriginPathSafe(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        let value = UInt8(scalar.value)
        return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(value) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(value)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(value) || "!-_.*'()/".utf8.contains(value)
    }

    /// The rule of S3's general purpose bucket names that `bucket` breaks, or nil: S3 (and
    /// the TLS names of its endpoints) take nothing else, so a name that breaks one is refused
    /// here, before it reaches AWS as a failed request.
    public static func bucketNameProblem(_ bucket: String) -> String? {
        let bytes = Array(bucket.utf8)
        func alnum(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        if let other = bucket.unicodeScalars.first(where: { !$0.isASCII || !(alnum(UInt8($0.value)) || $0 == "." || $0 == "-") }) {
            return "it has '\(other.value >= 0x20 && other.value != 0x7F ? String(other) : other.escaped(asASCII: true))'; only lower-case "
                + "letters a-z, digits 0-9, '.' and '-' are allowed"
        }
        guard (3...63).contains(bytes.count) else { return "it has \(bytes.count) characters; a name has 3 to 63" }
        guard alnum(bytes[0]), alnum(bytes[bytes.count - 1]) else { return "it must start and end with a letter or digit" }
        for pair in ["..", ".-", "-."] where bucket.contains(pair) { return "it may not contain '\(pair)'" }
        let labels = bucket.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
            return "it is shaped like an IP address"
        }
        for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] where bucket.hasPrefix(reserved) {
            return "the prefix '\(reserved)' is reserved"
        }
        for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where bucket.hasSuffix(reserved) {
            return "the suffix '\(reserved)' is reserved (access point aliases, directory and table buckets)"
        }
        return nil
    }
}

/// Versions in an S3 bucket, with the layout of ``LocalTarget``.
///
/// A deploy plans from manifests, not listings: content whose hash a reusable (live) version
/// already has is copied server-side (CopyObject with the entry's headers; UploadPartCopy
/// above 5 GiB); the rest streams from disk, as one PutObject up to
/// ``multipartThreshold`` and as a multipart upload with parallel parts above it. A rerun
/// after a kill lists the version prefix, keeps objects whose ETag (or recorded content
/// hash) matches, and aborts the multipart uploads the killed run left behind.
public struct S3Target: DeployTarget {
    public let client: S3Client
    public let location: S3Location
    /// Objects up to this size go in one PutObject.
    public var multipartThreshold: Int64 = 16 << 20
    /// The smallest part of a multipart upload (grown so 10,000 parts are never exceeded).
    public var minimumPartSize: Int64 = 8 << 20
    /// Objects transferred at once (requests in flight are further limited by the client's
    /// adaptive concurrency).
    public var workers: Int = 32
    /// Parts of one multipart upload in flight at once.
    public var partWorkers: Int = 8
    /// Server-side copies (and checks of objects a killed run left) at once, besides the
    /// `workers` uploads: no bytes pass through this machine, so a copy costs a round trip and
    /// little else, and a one-file change is mostly copies.
    public var copyWorkers: Int = 96
    /// How old an unfinished multipart upload under a version must be before a deploy aborts
    /// it as left by a killed one (an S3 lifecycle rule that aborts incomplete multipart
    /// uploads after a day catches the rest).
    public var orphanedUploadAge: TimeInterval = 3600
    /// How long a literal version's lock (``claimWriting(_:)``) lasts without renewal before
    /// another deploy takes it for a killed one's.
    public var writingLease: TimeInterval = 300
    /// How often a deploy writing a literal version renews its lock.
    public var writingRenewal: Duration = .seconds(30)
    /// Where messages about resumed work go.
    public var log: @Sendable (String) -> Void

    /// The largest single CopyObject S3 accepts.
    public static let maximumCopySize: Int64 = 5 << 30
    /// The metadata key recording an object's content hash (`x-amz-meta-sitebuild-hash`).
    public static let hashMetadataKey = "sitebuild-hash"

    public init(client: S3Client, location: S3Location, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.location = location
        self.log = log
    }

    public var url: String { location.description }
    var bucket: String { location.bucket }
    var manifestsPrefix: String { location.prefix + "_sitebuild/manifests/" }
    var releasesPrefix: String { location.prefix + "_sitebuild/releases/" }
    var pendingPrefix: String { location.prefix + "_sitebuild/pending/" }
    func manifestKey(_ version: String) -> String { manifestsPrefix + version + ".json" }
    /// Written before a version's first object and removed once its manifest is: the versions
    /// a deploy started and did not finish, the only prefixes `prune` deletes without a manifest.
    func pendingKey(_ version: String) -> String { pendingPrefix + version + ".json" }
    /// `_sitebuild/deleting/<version>/<token>.json`: written by each prune deleting the version
    /// before anything else (see ``DeployTarget/prune(_:releasesKnown:isLive:)``), so that
    /// deploys and rollbacks keep away and a prune killed half-way is finished by the next one.
    var deletingPrefix: String { location.prefix + "_sitebuild/deleting/" }
    func deletingPrefix(of version: String) -> String { deletingPrefix + version + "/" }
    func deletingKey(_ version: String, token: String) -> String { deletingPrefix(of: version) + token + ".json" }

    // MARK: - Manifests and releases

    public func manifestExists(_ version: String) async throws -> Bool {
        try await client.headObject(bucket: bucket, key: manifestKey(version)) != nil
    }

    public func readManifest(_ version: String) async throws -> Manifest? {
        try await withManifestFile(version) { try Manifest.read(contentsOfFile: $0) }
    }

    /// The first 64 KiB of the manifest hold its head (the metadata is small); a head that does
    /// not fit is read from the whole file.
    public func readManifestHead(_ version: String) async throws -> ManifestHead? {
        let key = manifestKey(version)
        let damaged = { (error: any Error) in
            DamagedManifest(version: version, location: "s3://\(bucket)/\(key)", reason: "\(error)", tooNew: error is ManifestFormatTooNew)
        }
        let start: [UInt8]
        do {
            guard let bytes = try await client.getObject(bucket: bucket, key: key, range: 0...(Int64(Self.manifestHeadRange) - 1)) else {
                return nil
            }
            start = bytes.body
        } catch let error as AWSServiceError where error.status == 404 {
            return nil
        }
        var reader = Manifest.HeadReader()
        do {
            if try start.withUnsafeBufferPointer({ try reader.feed($0) }) { return try reader.finish() }
            // Ended within the range: the whole file was read, and it has no whole head.
            guard start.count >= Self.manifestHeadRange else { return try reader.finish() }
        } catch {
            throw damaged(error)
        }
        return try await withManifestFile(version) { try Manifest.readHead(contentsOfFile: $0) }
    }

    static let manifestHeadRange = 64 << 10

    public func reusableContent(for manifest: Manifest, from version: String) async throws -> ReusableContent {
        guard version != manifest.version else { return .empty }
        return try await withManifestFile(version) { try ReusableContent(for: manifest, version: version, manifestFile: $0) } ?? .empty
    }

    public func changes(from version: String, to manifest: Manifest) async throws -> (keys: [String], pathCount: Int)? {
        try await withManifestFile(version) { try ManifestDiff.changes(fromManifestFile: $0, version: version, to: manifest) }
    }

    /// `read` of the version's manifest, downloaded to a temporary file (a large site's
    /// manifest is never held in memory as text); nil when there is none.
    private func withManifestFile<T>(_ version: String, _ read: (String) throws -> T) async throws -> T? {
        let file = try TemporaryFile(prefix: "manifest")
        defer { file.remove() }
        do {
            _ = try await client.getObject(bucket: bucket, key: manifestKey(version), toFile: file.path)
        } catch let error as AWSServiceError where error.status == 404 {
            return nil
        }
        do {
            return try read(file.path)
        } catch {
            throw DamagedManifest(version: version, location: "s3://\(bucket)/\(manifestKey(version))", reason: "\(error)", tooNew: error is ManifestFormatTooNew)
        }
    }

    func getIfPresent(_ key: String) async throws -> [UInt8]? {
        do {
            return try await client.getObject(bucket: bucket, key: key, limit: 512 << 20).body
        } catch let error as AWSServiceError where error.status == 404 {
            return nil
        }
    }

    public func listVersions() async throws -> [String] {
        try await manifestNames().filter(VersionId.isValid).sorted()
    }

    public func listStrayManifests() async throws -> [String] {
        try await manifestNames().filter { !VersionId.isValid($0) }.sorted().map { "s3://\(bucket)/\(manifestsPrefix)\($0).json" }
    }

    /// The names of the objects directly under the manifests' prefix that end in `.json`, without it.
    private func manifestNames() async throws -> [String] {
        try await client.listObjects(bucket: bucket, prefix: manifestsPrefix).objects
            .map { String($0.key.dropFirst(manifestsPrefix.count)) }
            .filter { $0.hasSuffix(".json") && !$0.contains("/") }
            .map { String($0.dropLast(5)) }
    }

    public func writeManifest(_ manifest: Manifest) async throws -> Bool {
        // The pending marker is gone when a prune took this unfinished version for an abandoned
        // one and deleted its objects, or when another deploy of the same content completed it.
        if try await client.headObject(bucket: bucket, key: pendingKey(manifest.version)) == nil {
            if try await manifestExists(manifest.version) { return false }
            throw DeployError("the objects of version \(manifest.version) were deleted while this deploy ran (a prune took it for "
                + "an abandoned deploy); nothing was made live: deploy again")
        }
        return try await putManifest(manifest, condition: .absent) != .alreadyExists
    }

    public func replaceDamagedManifest(_ manifest: Manifest) async throws {
        _ = try await putManifest(manifest, condition: .none)
    }

    /// Uploads `manifest`, streamed to a file and uploaded from it like any object.
    private func putManifest(_ manifest: Manifest, condition: S3Client.WriteCondition) async throws -> S3Client.WriteOutcome {
        let file = try TemporaryFile(prefix: "manifest")
        defer { file.remove() }
        try manifest.write(toFile: file.path)
        var status = stat()
        guard stat(file.path, &status) == 0 else { throw DeployError("cannot read \(file.path): \(String(cString: strerror(errno)))") }
        return try await client.putObject(bucket: bucket, key: manifestKey(manifest.version),
                                          body: .file(path: file.path, offset: 0, length: Int64(status.st_size)),
                                          attributes: .init(contentType: "application/json", cacheControl: "no-store"),
                                          condition: condition)
    }

    public func writeRelease(_ record: ReleaseRecord) async throws {
        try await putJSONLine(record.json, key: releasesPrefix + record.fileName)
    }

    public func listReleaseNames() async throws -> [String] {
        try await recordNames(under: releasesPrefix)
    }

    var pointerHeadsPrefix: String { location.prefix + "_sitebuild/pointers/" }

    public func writePointerHead(_ record: ReleaseRecord) async throws {
        guard let pointer = record.pointer else { return }
        try await putJSONLine(record.json, key: pointerHeadsPrefix + ReleaseRecord.pointerHeadName(pointer))
    }

    public func removePointerHead(_ record: ReleaseRecord) async throws {
        guard let pointer = record.pointer else { return }
        let key = pointerHeadsPrefix + ReleaseRecord.pointerHeadName(pointer)
        if let failure = try await client.deleteObjects(bucket: bucket, keys: [key]).first {
            throw DeployError("cannot delete s3://\(bucket)/\(failure.key): \(failure.code) \(failure.message ?? "")")
        }
    }

    public func readPointerHeads() async throws -> [ReleaseRecord] {
        let names = try await recordNames(under: pointerHeadsPrefix)
        do {
            return try await readRecords(keys: names.map { pointerHeadsPrefix + $0 }).filter { $0.pointer != nil }
        } catch var damaged as DamagedRecords {
            damaged.readable = damaged.readable.filter { $0.pointer != nil }
            throw damaged
        }
    }

    public func readPointerHead(pointer: String) async throws -> ReleaseRecord? {
        try await readRecords(keys: [pointerHeadsPrefix + ReleaseRecord.pointerHeadName(pointer)]).first { $0.pointer == pointer }
    }

    func owedInvalidationKey(pointer: String, distribution: String) -> String {
        location.prefix + "_sitebuild/invalidations/" + OwedInvalidation.fileName(pointer: pointer, distribution: distribution)
    }

    public func readOwedInvalidation(pointer: String, distribution: String) async throws -> OwedInvalidation? {
        let key = owedInvalidationKey(pointer: pointer, distribution: distribution)
        guard let body = try await getIfPresent(key) else { return nil }
        return OwedInvalidation.parse(Data(body)) ?? .damaged(pointer: pointer, distribution: distribution, location: "s3://\(bucket)/\(key)")
    }

    public func writeOwedInvalidation(_ owed: OwedInvalidation) async throws {
        try await putJSONLine(owed.json, key: owedInvalidationKey(pointer: owed.pointer, distribution: owed.distribution))
    }

    public func removeOwedInvalidation(pointer: String, distribution: String) async throws {
        if let failure = try await client.deleteObjects(bucket: bucket, keys: [owedInvalidationKey(pointer: pointer, distribution: distribution)]).first {
            throw DeployError("cannot delete s3://\(bucket)/\(failure.key): \(failure.code) \(failure.message ?? "")")
        }
    }

    /// A record (release, pointer head, owed invalidation) as one JSON line.
    private func putJSONLine(_ json: JSONValue, key: String) async throws {
        _ = try await client.putObject(bucket: bucket, key: key, body: .bytes(Array((json.serialized() + "\n").utf8)),
                                       attributes: .init(contentType: "application/json", cacheControl: "no-store"))
    }

    /// The names of the records directly under `prefix`, sorted.
    public func listReleaseNames(from first: String) async throws -> [String] {
        // Names are `<time>-<version>.json`: every one at or after `first` (a time) sorts after it.
        try await recordNames(under: releasesPrefix, after: first)
    }

    private func recordNames(under prefix: String, after: String? = nil) async throws -> [String] {
        try await client.listObjects(bucket: bucket, prefix: prefix, startAfter: after.map { prefix + $0 }).objects
            .map { String($0.key.dropFirst(prefix.count)) }
            .filter { $0.hasSuffix(".json") && !$0.contains("/") }.sorted()
    }

    public func readReleases(named names: [String]) async throws -> [ReleaseRecord] {
        try await readRecords(keys: names.map { releasesPrefix + $0 })
    }

    /// The records at `keys`, in that order; missing ones left out. Throws ``DamagedRecords``
    /// when any cannot be read: never taken for one that is not there.
    private func readRecords(keys: [String]) async throws -> [ReleaseRecord] {
        // Fetched 16 at a time; the order is the names'.
        var records = [ReleaseRecord?](repeating: nil, count: keys.count)
        var damaged = [Bool](repeating: false, count: keys.count)
        var start = 0
        while start < keys.count {
            let batch = start..<min(start + 16, keys.count)
            try await withThrowingTaskGroup(of: (Int, ReleaseRecord?, Bool).self) { group in
                for index in batch {
                    group.addTask {
                        guard let body = try await getIfPresent(keys[index]) else { return (index, nil, false) }
                        let record = ReleaseRecord.parse(Data(body))
                        return (index, record, record == nil)
                    }
                }
                for try await (index, record, unreadable) in group {
                    records[index] = record
                    damaged[index] = unreadable
                }
            }
            start = batch.upperBound
        }
        let unreadable = keys.indices.filter { damaged[$0] }.map { "s3://\(bucket)/\(keys[$0])" }
        if !unreadable.isEmpty { throw DamagedRecords(locations: unreadable, readable: records.compactMap { $0 }) }
        return records.compactMap { $0 }
    }

    public func removeMarkedVersion(_ version: String) async throws {
        try VersionId.validate(version)
        // The manifest goes first: a version without one is never offered to readers again.
        let manifestErrors = try await client.deleteObjects(bucket: bucket, keys: [manifestKey(version)])
        if let failure = manifestErrors.first {
            throw DeployError("cannot delete s3://\(bucket)/\(failure.key): \(failure.code) \(failure.message ?? ""); nothing of version "
                + "\(version) was deleted", nothingDeleted: true)
        }
        let keys = try await client.listObjects(bucket: bucket, prefix: location.prefix + version + "/").objects.map(\.key)
        let errors = try await client.deleteObjects(bucket: bucket, keys: keys + [pendingKey(version), lockKey(version)])
        if !errors.isEmpty {
            let sample = errors.prefix(3).map { "\($0.key): \($0.code)" }.joined(separator: ", ")
            throw DeployError("\(errors.count) object(s) of version \(version) could not be deleted (\(sample)); run prune again")
        }
        // Gone: every prune's marker goes (another prune deleting it too finds nothing left).
        try await unmarkDeleting(version, token: nil)
    }

    /// Versions a deploy started (their pending marker) that have no manifest, with the time
    /// the deploy started. Nothing else under the prefix is ever taken for a version: other
    /// sites and folders in the bucket are not sitebuild's to delete.
    /// A version whose deletion was interrupted counts as started in the distant past: it is
    /// deleted at once.
    public func incompleteVersions() async throws -> [(version: String, modified: Date)] {
        let complete = Set(try await listVersions())
        var result: [String: Date] = [:]
        for (prefix, interrupted) in [(pendingPrefix, false), (deletingPrefix, true)] {
            for marker in try await client.listObjects(bucket: bucket, prefix: prefix).objects {
                // Pending markers are `<version>.json`, deleting ones `<version>/<token>.json`.
                let name = String(marker.key.dropFirst(prefix.count))
                let parts = name.split(separator: "/", omittingEmptySubsequences: false)
                guard name.hasSuffix(".json"), parts.count == (interrupted ? 2 : 1) else { continue }
                let version = interrupted ? String(parts[0]) : String(name.dropLast(5))
                // A complete version goes through prune's keep rules, whatever marker a killed
                // prune left (that marker goes when the version is deleted or deployed again).
                guard (try? VersionId.validate(version)) != nil, !complete.contains(version) else { continue }
                result[version] = interrupted ? .distantPast : marker.lastModified.flatMap(Self.parseTime) ?? Date()
            }
        }
        return result.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }

    static func parseTime(_ text: String) -> Date? { UTCTime.parse(text) }

    /// The multipart uploads started before `cutoff` (or at an unknown time).
    static func orphans(_ uploads: [S3Client.MultipartUpload], startedBefore cutoff: Date) -> [S3Client.MultipartUpload] {
        uploads.filter { ($0.initiated.flatMap(parseTime) ?? .distantPast) < cutoff }
    }

    // MARK: - Upload

    /// The part size for an object of `size`: at least ``minimumPartSize``, a whole number of
    /// MiB, and large enough that the object has at most 10,000 parts.
    public func partSize(for size: Int64) -> Int64 {
        let mebibyte: Int64 = 1 << 20
        let needed = (size + 9_999) / 10_000
        let rounded = (needed + mebibyte - 1) / mebibyte * mebibyte
        return max(minimumPartSize, rounded)
    }

    /// Whether an extra header of a file is stored as object metadata (`x-amz-meta-header-<name>`):
    /// S3 keeps only a few standard headers (Content-Disposition, Content-Language and Expires
    /// besides type, cache and encoding); the others travel as metadata for
    /// `cloudfront/viewer-response.js` (or a response-headers policy) to send.
    static func travelsAsMetadata(_ name: String) -> Bool {
        !storedNatively.contains(name.lowercased())
    }

    static let storedNatively: Set<String> = ["content-disposition", "content-language", "expires"]

    /// The extra headers of `manifest` that are stored as metadata, in first-seen order and
    /// spelling (header names are case-insensitive: rules may spell one name two ways).
    public static func metadataHeaderNames(in manifest: Manifest) -> [String] {
        let entries = manifest.entries
        var names: [String] = []
        var seen: Set<String> = []
        for index in entries.indices {
            for (name, _) in entries.headers(at: index).extra where travelsAsMetadata(name) && seen.insert(name.lowercased()).inserted {
                names.append(name)
            }
        }
        return names
    }

    func attributes(_ entry: ManifestEntry) -> S3Client.ObjectAttributes {
        var metadata = [Self.hashMetadataKey: entry.hash.hex]
        var native: [String: String] = [:]
        for (name, value) in entry.headers.extra {
            if Self.travelsAsMetadata(name) {
                metadata["header-" + name.lowercased()] = value
            } else {
                native[name.lowercased()] = value
            }
        }
        return S3Client.ObjectAttributes(contentType: entry.headers.contentType, cacheControl: entry.headers.cacheControl,
                                         contentEncoding: entry.headers.contentEncoding, contentDisposition: native["content-disposition"],
                                         contentLanguage: native["content-language"], expires: native["expires"], metadata: metadata)
    }

    public func upload(_ manifest: Manifest, from sourceRoot: String, reusable known: ReusableContent,
                       progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        let versionPrefix = location.prefix + manifest.version + "/"
        try await markPending(manifest.version)
        // What a killed run left under the version: its objects and its unfinished multipart
        // uploads, two listings made at once (neither changes what the other finds). The uploads
        // cost storage until aborted. Only those started over an hour ago: a younger one may
        // belong to a deploy of the same content running now, which would fail if its upload
        // were aborted under it.
        async let unfinishedUploads = client.listMultipartUploads(bucket: bucket, prefix: versionPrefix)
        let listed = try await client.listObjects(bucket: bucket, prefix: versionPrefix).objects
        let unfinished = try await unfinishedUploads
        for orphan in Self.orphans(unfinished, startedBefore: Date().addingTimeInterval(-orphanedUploadAge)) {
            try await client.abortMultipartUpload(bucket: bucket, key: orphan.key, uploadId: orphan.uploadId)
            log("aborted an unfinished multipart upload of s3://\(bucket)/\(orphan.key) left by an interrupted deploy")
        }
        var existing: [String: S3Client.ObjectSummary] = [:]
        var strays: [String] = []
        for object in listed {
            // An object the manifest does not list (a killed run of other content under the same
            // version id, or put there by hand) would be served from the version: removed.
            if manifest.index(of: String(object.key.dropFirst(versionPrefix.count))) == nil {
                strays.append(object.key)
            } else {
                existing[object.key] = object
            }
        }
        if !existing.isEmpty { log("resuming: \(existing.count) object(s) of \(manifest.version) are already on \(url)") }
        if !strays.isEmpty {
            let failures = try await client.deleteObjects(bucket: bucket, keys: strays)
            if let failure = failures.first {
                throw DeployError("cannot delete s3://\(bucket)/\(failure.key), which version \(manifest.version) does not list: \(failure.code)")
            }
            log("removed \(strays.count) object(s) under s3://\(bucket)/\(versionPrefix) that version \(manifest.version) does not list")
        }

        let present = existing
        // With a content id the headers are part of the id, so an object of the right bytes has
        // the right headers. A literal id (--version-id commit, a name) may be resumed with
        // other headers (sitebuild.yml changed in between): then they are compared too.
        let literalId = manifest.version != manifest.contentId
        // The largest first: a big file started last would finish alone after the rest.
        // Uploads and copies are two queues with their own workers, so the copies of a
        // one-file change are not held to the upload concurrency.
        let all = manifest.entries
        let sorted = (0..<Int32(all.count)).sorted { all.size(at: Int($0)) > all.size(at: Int($1)) }
        let uploads = sorted.filter { !known.canReuse(Int($0)) }
        let copies = sorted.filter { known.canReuse(Int($0)) }
        var initial = UploadStats()
        initial.plannedFiles = sorted.count
        initial.plannedBytes = manifest.totalBytes
        let stats = Locked(initial)
        let lastReport = Locked(ContinuousClock.now)
        let report: @Sendable () -> UploadStats? = {
            let now = ContinuousClock.now
            let due = lastReport.withLock { last -> Bool in
                guard now - last >= .milliseconds(250) else { return false }
                last = now
                return true
            }
            return due ? stats.withLock { $0 } : nil
        }
        // One object: skipped when a killed run left it in place, else copied or uploaded. Under
        // a literal id, two deploys of other content may write the same keys at once: each write
        // is then conditional on what the listing saw (no object, or that object), so neither
        // overwrites the other's, and one that finds another's object there stops.
        let place: @Sendable (Int) async throws -> Void = { row in
            let entry = all[row]
            let key = versionPrefix + entry.path
            let source = sourceRoot + "/" + (entry.aliasOf ?? entry.path)
            let condition: S3Client.WriteCondition = !literalId ? .none : present[key].map { $0.etag.map { .etag($0) } ?? .none } ?? .absent
            if let object = present[key], try await isInPlace(object, entry: entry, source: source, checkHeaders: literalId) {
                stats.withLock { $0.skipped += 1 }
            } else if let origin = known.origin(of: row, in: all),
                      let outcome = try await copyIfPresent(from: location.prefix + origin.version + "/" + origin.path, to: key, entry: entry,
                                                            condition: condition) {
                try await settle(outcome, key: key, entry: entry, version: manifest.version)
                stats.withLock { if case .stored = outcome { $0.reused += 1 } else { $0.skipped += 1 } }
            } else {
                let outcome = try await put(source, to: key, entry: entry, condition: condition)
                try await settle(outcome, key: key, entry: entry, version: manifest.version)
                stats.withLock {
                    guard case .stored = outcome else { return $0.skipped += 1 }
                    $0.uploaded += 1
                    $0.uploadedBytes += entry.size
                }
            }
            if let snapshot = report() { progress(snapshot) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (queue, workerCount) in [(uploads, workers), (copies, copyWorkers)] where !queue.isEmpty {
                let next = WorkCounter()
                for _ in 0..<min(max(1, workerCount), queue.count) {
                    group.addTask {
                        while true {
                            try Task.checkCancellation()
                            let index = next.take()
                            guard index < queue.count else { return }
                            try await place(Int(queue[index]))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = stats.withLock { $0 }
        progress(final)
        return final
    }

    public func missingObjects(of manifest: Manifest) async throws -> MissingRows {
        let versionPrefix = location.prefix + manifest.version + "/"
        var present = [Bool](repeating: false, count: manifest.entries.count)
        var archived: [Int: String] = [:]
        var tiered: [(row: Int, key: String)] = []
        // One listing (1,000 keys a request): a HEAD per object would cost a request per file.
        // The listing names each object's storage class: one a lifecycle rule moved to an
        // archive class is there, and serves 403 InvalidObjectState until restored.
        for object in try await client.listObjects(bucket: bucket, prefix: versionPrefix).objects {
            guard let row = manifest.index(of: String(object.key.dropFirst(versionPrefix.count))) else { continue }
            if let storageClass = object.storageClass, MissingRows.archiveClasses.contains(storageClass) {
                archived[row] = storageClass
            } else {
                present[row] = true
                if object.storageClass == Self.intelligentTiering { tiered.append((row, object.key)) }
            }
        }
        // An Intelligent-Tiering object may sit in an archive tier (the bucket's archive
        // configuration moved it there), served only once restored; the listing does not say
        // so, its HEAD does. Only those objects are asked, these callers (rollback, --repair,
        // doctor) look at one version; a deploy's copies find out from CopyObject's refusal.
        for (row, tier) in try await archiveTiers(of: tiered) {
            present[row] = false
            archived[row] = "\(Self.intelligentTiering) (\(tier) tier)"
        }
        return MissingRows(rows: present.indices.filter { !present[$0] }, archived: archived)
    }

    static let intelligentTiering = "INTELLIGENT_TIERING"

    /// The archive tiers S3 serves an Intelligent-Tiering object from only once it is restored.
    static let archiveTiers: Set<String> = ["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"]

    /// The rows of `objects` whose HEAD names an archive tier (row → tier), 16 HEADs at a time.
    /// An object gone since the listing is left out (the next look finds it missing).
    func archiveTiers(of objects: [(row: Int, key: String)]) async throws -> [Int: String] {
        let client = client, bucket = bucket
        return try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            var tiers: [Int: String] = [:]
            var next = 0
            var running = 0
            while next < objects.count || running > 0 {
                while next < objects.count, running < 16 {
                    let (row, key) = objects[next]
                    next += 1
                    running += 1
                    group.addTask { (row, try await client.headObject(bucket: bucket, key: key)?.archiveStatus) }
                }
                guard let (row, status) = try await group.next() else { break }
                running -= 1
                if let status, Self.archiveTiers.contains(status) { tiers[row] = status }
            }
            return tiers
        }
    }

    public func restoreObjects(_ rows: [Int], of manifest: Manifest, from sourceRoot: String, reusable known: ReusableContent,
                               progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        let versionPrefix = location.prefix + manifest.version + "/"
        try await markPending(manifest.version)
        let all = manifest.entries
        var initial = UploadStats()
        initial.plannedFiles = rows.count
        initial.plannedBytes = rows.reduce(0) { $0 + all.size(at: $1) }
        let stats = Locked(initial)
        // The largest first, as in ``upload(_:from:reusable:progress:)``.
        let queue = rows.sorted { all.size(at: $0) > all.size(at: $1) }
        let next = WorkCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(max(1, workers), queue.count) {
                group.addTask {
                    while true {
                        try Task.checkCancellation()
                        let index = next.take()
                        guard index < queue.count else { return }
                        let row = queue[index]
                        let entry = all[row]
                        let key = versionPrefix + entry.path
                        // The same bytes and headers as the missing object had (the manifest is
                        // the version's): copied from a version that has them, or from the tree.
                        if let origin = known.origin(of: row, in: all),
                           try await copyIfPresent(from: location.prefix + origin.version + "/" + origin.path, to: key, entry: entry,
                                                   condition: .none) != nil {
                            stats.withLock { $0.reused += 1 }
                        } else {
                            _ = try await put(sourceRoot + "/" + (entry.aliasOf ?? entry.path), to: key, entry: entry)
                            stats.withLock {
                                $0.uploaded += 1
                                $0.uploadedBytes += entry.size
                            }
                        }
                        progress(stats.withLock { $0 })
                    }
                }
            }
            try await group.waitForAll()
        }
        return stats.withLock { $0 }
    }

    public func firstObjects(of version: String, limit: Int) async throws -> [String] {
        try await client.listObjectsPage(bucket: bucket, prefix: location.prefix + version + "/", maxKeys: limit).objects
            .prefix(limit).map { "s3://\(bucket)/\($0.key)" }
    }

    public func nestedState(in version: String) async throws -> String? {
        let prefix = location.prefix + version + "/_sitebuild/"
        let found = try await client.listObjectsPage(bucket: bucket, prefix: prefix, maxKeys: 1).objects
        return found.isEmpty ? nil : "s3://\(bucket)/\(prefix)"
    }

    public func enclosingVersion() async throws -> (target: String, version: String, manifest: String)? {
        let folders = location.prefix.split(separator: "/").map(String.init)
        // The nearest target above first: `a/b/_sitebuild/manifests/c.json`, then `a/_sitebuild/manifests/b.json`, …
        for depth in stride(from: folders.count - 1, through: 0, by: -1) {
            let parent = folders[..<depth].map { $0 + "/" }.joined()
            let key = parent + "_sitebuild/manifests/" + folders[depth] + ".json"
            do {
                guard try await client.headObject(bucket: bucket, key: key) != nil else { continue }
            } catch let error as AWSServiceError where error.status == 403 {
                // Credentials for this prefix only: what lies above it is not this deploy's to read.
                continue
            }
            return (S3Location(bucket: bucket, prefix: parent).description, folders[depth], "s3://\(bucket)/\(key)")
        }
        return nil
    }

    /// What S3 allows of user-defined metadata per object: the UTF-8 bytes of every key and
    /// value together (a PutObject with more is refused with MetadataTooLarge).
    public static let maximumMetadataBytes = 2048

    /// The user-defined metadata bytes of an object with the extra headers `extra`: the content
    /// hash, and `header-<name>` with its value for each header that travels as metadata.
    public static func metadataBytes(extra: some Sequence<(String, String)>) -> Int {
        // The hash is stored as its 32 hex digits (``attributes(_:)``).
        extra.reduce(hashMetadataKey.utf8.count + ContentHash(of: "").hex.utf8.count) { total, header in
            travelsAsMetadata(header.0) ? total + "header-".utf8.count + header.0.utf8.count + header.1.utf8.count : total
        }
    }

    /// S3 keys are at most 1,024 bytes: `<prefix><version>/<path>` for the longest path. An
    /// object's metadata (its extra headers) is at most ``maximumMetadataBytes``.
    public func checkKeys(_ manifest: Manifest) throws {
        let entries = manifest.entries
        for index in entries.indices {
            let extra = entries.headers(at: index).extra
            guard !extra.isEmpty else { continue }
            let bytes = Self.metadataBytes(extra: extra)
            guard bytes > Self.maximumMetadataBytes else { continue }
            throw DeployError("\(entries.path(at: index)): its headers from sitebuild.yml (\(extra.map(\.0).joined(separator: ", "))) travel "
                + "as S3 object metadata, \(bytes) bytes of it where S3 allows \(Self.maximumMetadataBytes): shorten them, or send the "
                + "long ones from a CloudFront response headers policy", invalidInput: true)
        }
        let base = location.prefix.utf8.count + manifest.version.utf8.count + 1
        guard let longest = entries.indices.max(by: { entries.pathLength(at: $0) < entries.pathLength(at: $1) }),
              base + entries.pathLength(at: longest) > 1024 else { return }
        let path = entries.path(at: longest)
        throw DeployError("'\(path.prefix(80))…' would be an S3 key of \(base + path.utf8.count) bytes below s3://\(bucket)/\(location.prefix)"
            + "\(manifest.version)/ (S3 allows 1,024): shorten the path or the target prefix", invalidInput: true)
    }

    /// `_sitebuild/locks/<version>.json`: which deploy is writing a literal version
    /// (``WritingClaim``), renewed while it writes.
    func lockKey(_ version: String) -> String { location.prefix + "_sitebuild/locks/" + version + ".json" }

    /// A lock object created with `If-None-Match: *` and renewed with `If-Match` every
    /// ``writingRenewal``; one not renewed for ``writingLease`` (by S3's clock), or whose holder
    /// is a process of this machine that no longer runs, was left by a killed deploy and is
    /// taken over (again with `If-Match`, so of two deploys taking it over one wins).
    public func claimWriting(_ version: String) async throws -> WritingClaim {
        try VersionId.validate(version)
        let key = lockKey(version)
        let mine = WritingLock.mine(version: version)
        let attributes = S3Client.ObjectAttributes(contentType: "application/json", cacheControl: "no-store")
        let write: @Sendable (S3Client.WriteCondition) async throws -> String? = { condition in
            guard case .stored(let etag) = try await client.putObject(bucket: bucket, key: key, body: .bytes(mine.json),
                                                                         attributes: attributes, condition: condition) else { return nil }
            if let etag { return etag }
            return try await client.headObject(bucket: bucket, key: key)?.etag ?? ""
        }
        var etag = try await write(.absent)
        if etag == nil {
            let page = try await client.listObjectsPage(bucket: bucket, prefix: key, maxKeys: 1)
            if let object = page.objects.first(where: { $0.key == key }) {
                let age = (page.serverDate ?? Date()).timeIntervalSince(object.lastModified.flatMap(Self.parseTime) ?? .distantPast)
                let holder = (try? await client.getObject(bucket: bucket, key: key)).flatMap { WritingLock.parse($0.body) }
                if holder?.token == mine.token {
                    // This deploy's own lock: its write landed with the answer lost, and the
                    // retry found it there.
                    if let listed = object.etag { etag = listed } else { etag = try await client.headObject(bucket: bucket, key: key)?.etag ?? "" }
                } else {
                    guard age >= writingLease || holder?.isDeadHere == true else {
                        throw WritingClaimHeld(version: version, url: url, holder: (holder?.description ?? "unknown")
                            + "; its lock was written \(Int(max(0, age))) s ago, and one not renewed for \(Int(writingLease)) s is taken over")
                    }
                    etag = try await write(.etag(object.etag ?? ""))
                    if etag != nil {
                        log("took over writing version \(version) from a deploy that stopped (\(holder?.description ?? "unknown"))")
                    }
                }
            } else {
                etag = try await write(.absent)  // released meanwhile
            }
            guard etag != nil else {
                throw WritingClaimHeld(version: version, url: url, holder: "it took the lock at the same moment")
            }
        }
        let current = Locked(etag ?? "")
        let renew: @Sendable () async throws -> Void = {
            guard let renewed = try await write(.etag(current.withLock { $0 })) else {
                throw DeployError("another deploy took over writing version \(version) on \(url) (this one's lock was replaced: "
                    + "it went \(Int(writingLease)) s without renewing it); nothing was made live by this deploy: deploy again")
            }
            current.withLock { $0 = renewed }
        }
        return WritingClaim(renew: renew, every: writingRenewal) {
            // Only a lock that is still this deploy's (its ETag unchanged) is deleted.
            guard let info = try? await client.headObject(bucket: bucket, key: key), info.etag == current.withLock({ $0 }) else { return }
            _ = try? await client.deleteObjects(bucket: bucket, keys: [key])
        }
    }

    /// Records that `version` is being written (see ``pendingKey(_:)``), then checks that no
    /// prune is deleting it.
    func markPending(_ version: String) async throws {
        try await putMarker(pendingKey(version), version: version)
        try await claimFromPrune(version)
    }

    /// A pending or deleting marker: a small JSON object saying which version, when and where.
    private func putMarker(_ key: String, version: String) async throws {
        _ = try await client.putObject(bucket: bucket, key: key, body: .bytes(ReleaseRecord.pendingMarker(version: version)),
                                       attributes: .init(contentType: "application/json", cacheControl: "no-store"))
    }

    /// From a listing: the marker's LastModified against the listing's own `Date`, both S3's
    /// clock, so a machine whose clock is off by an hour neither ignores a running prune nor
    /// waits on a dead one. (A time S3 did not give readably counts as old.)
    public func markerAge(_ kind: VersionMarker, of version: String) async throws -> TimeInterval? {
        let prefix = kind == .pending ? pendingKey(version) : deletingPrefix(of: version)
        let page = try await client.listObjectsPage(bucket: bucket, prefix: prefix, maxKeys: 1000)
        let markers = page.objects.filter { kind == .pending ? $0.key == prefix : $0.key.hasSuffix(".json") }
        guard !markers.isEmpty else { return nil }
        let now = page.serverDate ?? Date()
        let newest = markers.map { $0.lastModified.flatMap(Self.parseTime) ?? .distantPast }.max()!
        return now.timeIntervalSince(newest)
    }

    public func pendingMarkerStarted(_ version: String) async throws -> Date? {
        try await getIfPresent(pendingKey(version)).flatMap { ReleaseRecord.markerStarted(Data($0)) }
    }

    public func removePending(_ version: String) async throws {
        try await deleteMarkers([pendingKey(version)])
    }

    /// Deletes marker objects; a key S3 would not delete (a per-key error in DeleteObjects'
    /// answer, such as AccessDenied from a bucket policy) throws, naming it.
    private func deleteMarkers(_ keys: [String]) async throws {
        let failures = try await client.deleteObjects(bucket: bucket, keys: keys)
        guard let failure = failures.first else { return }
        throw DeployError("cannot delete s3://\(bucket)/\(failure.key)\(failures.count > 1 ? " (and \(failures.count - 1) more)" : ""): "
            + "\(failure.code) \(failure.message ?? "")")
    }

    public func markDeleting(_ version: String, token: String) async throws {
        try await putMarker(deletingKey(version, token: token), version: version)
    }

    public func unmarkDeleting(_ version: String, token: String?) async throws {
        let keys = if let token { [deletingKey(version, token: token)] } else {
            try await client.listObjects(bucket: bucket, prefix: deletingPrefix(of: version)).objects.map(\.key)
        }
        guard !keys.isEmpty else { return }
        try await deleteMarkers(keys)
    }

    /// Whether an object a previous run left holds this entry's bytes: its ETag is the MD5 (or
    /// multipart MD5) of the local file, or its recorded content hash is the entry's.
    func isInPlace(_ object: S3Client.ObjectSummary, entry: ManifestEntry, source: String, checkHeaders: Bool = false) async throws -> Bool {
        guard object.size == entry.size else { return false }
        if checkHeaders {
            // The headers and metadata (the content hash among them) as this entry would store them.
            return try await client.headObject(bucket: bucket, key: object.key)?.attributes == attributes(entry)
        }
        if let etag = object.etag {
            let multipart = etag.contains("-")
            let expected = S3MD5.expectedETag(path: source, size: entry.size, partSize: multipart ? partSize(for: entry.size) : nil)
            if expected == etag { return true }
        }
        let info = try await client.headObject(bucket: bucket, key: object.key)
        return info?.attributes.metadata[Self.hashMetadataKey] == entry.hash.hex
    }

    /// After a conditional write of `entry` was refused: another deploy wrote the key since the
    /// listing. Its object will do when it is this entry's (same bytes and headers, as a deploy
    /// of the same build writes); otherwise the version would mix two builds, and this deploy stops.
    func settle(_ outcome: S3Client.WriteOutcome, key: String, entry: ManifestEntry, version: String) async throws {
        if case .stored = outcome { return }
        if let info = try await client.headObject(bucket: bucket, key: key), info.attributes == attributes(entry) { return }
        throw DeployError("another deploy is writing version \(version) on \(url) with other content (s3://\(bucket)/\(key) changed "
            + "under this one); nothing was made live by this deploy: give each build its own --version-id, or deploy again once "
            + "the other has finished")
    }

    func copy(from sourceKey: String, to key: String, entry: ManifestEntry, condition: S3Client.WriteCondition = .none) async throws -> S3Client.WriteOutcome {
        if entry.size <= Self.maximumCopySize {
            return try await client.copyObject(bucket: bucket, sourceKey: sourceKey, destinationKey: key, replacing: attributes(entry),
                                               condition: condition)
        }
        let size = entry.size
        let part = max(partSize(for: size), 512 << 20)
        return try await multipart(key: key, attributes: attributes(entry), size: size, partSize: part, condition: condition) { uploadId, number, range in
            try await client.uploadPartCopy(bucket: bucket, key: key, uploadId: uploadId, partNumber: number, sourceKey: sourceKey, range: range)
        }
    }

    /// ``copy(from:to:entry:condition:)``, or nil when the object to copy is gone from its
    /// version (a lifecycle rule, a hand, a purge deleted it): the file is then uploaded from
    /// disk instead, and every later deploy does not fail on it.
    func copyIfPresent(from sourceKey: String, to key: String, entry: ManifestEntry,
                       condition: S3Client.WriteCondition) async throws -> S3Client.WriteOutcome? {
        do {
            return try await copy(from: sourceKey, to: key, entry: entry, condition: condition)
        } catch let error as AWSServiceError where error.errorCode == "NoSuchKey" {
            log("s3://\(bucket)/\(sourceKey) is missing (deleted outside sitebuild): uploading \(entry.path) instead of copying it")
            return nil
        } catch let error as AWSServiceError where Self.archivedErrorCodes.contains(error.errorCode ?? "") {
            // A lifecycle rule moved it to an archive storage class (GLACIER, DEEP_ARCHIVE, an
            // Intelligent-Tiering archive tier): S3 copies it only once restored.
            log("s3://\(bucket)/\(sourceKey) is in an archive storage class (\(error.errorCode ?? "")): uploading \(entry.path) "
                + "instead of copying it")
            return nil
        }
    }

    /// What CopyObject answers for a source object in an archive storage class that is not
    /// restored: InvalidObjectState (S3), ObjectNotInActiveTierError (moto, older S3 answers).
    static let archivedErrorCodes: Set<String> = ["InvalidObjectState", "ObjectNotInActiveTierError"]

    /// Objects up to this size are read once into memory, hashed for the signature and sent
    /// from the same bytes (a file body is read twice: for its SHA-256, then to send it).
    /// Bounded: workers × this size.
    public static let inMemoryPutLimit: Int64 = 64 << 10

    func put(_ source: String, to key: String, entry: ManifestEntry, condition: S3Client.WriteCondition = .none) async throws -> S3Client.WriteOutcome {
        if entry.size <= Self.inMemoryPutLimit {
            let bytes = try Self.readPlanned(source, entry: entry)
            return try await client.putObject(bucket: bucket, key: key, body: .bytes(bytes), attributes: attributes(entry), condition: condition)
        }
        // A larger file is streamed from disk, so its bytes are checked around the upload: it
        // still has the planned hash before (read once more: a file rewritten at the same size
        // by another build would be published under the old hash, and every later version would
        // copy it), and its times have not moved after (rewritten while it was being sent).
        var before = stat()
        guard stat(source, &before) == 0 else {
            throw DeployError("\(source) vanished while deploying: build again")
        }
        guard Int64(before.st_size) == entry.size else {
            throw DeployError("\(source) changed while deploying (its size is no longer \(entry.size) bytes); build again")
        }
        guard (try? ContentHash(ofFile: source)) == entry.hash else {
            throw PlannedHashMismatch(source: source)
        }
        let outcome: S3Client.WriteOutcome
        if entry.size <= multipartThreshold {
            outcome = try await client.putObject(bucket: bucket, key: key, body: .file(path: source, offset: 0, length: entry.size),
                                                 attributes: attributes(entry), condition: condition)
        } else {
            outcome = try await multipart(key: key, attributes: attributes(entry), size: entry.size, partSize: partSize(for: entry.size),
                                          condition: condition) { uploadId, number, range in
                try await client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                                            body: .file(path: source, offset: range.lowerBound, length: range.count))
            }
        }
        var after = stat()
        let unchanged = stat(source, &after) == 0 && after.st_size == before.st_size && after.st_ino == before.st_ino
            && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec
            && after.st_ctim.tv_sec == before.st_ctim.tv_sec && after.st_ctim.tv_nsec == before.st_ctim.tv_nsec
        if !unchanged {
            // The object carries the planned hash in its metadata, which a resumed deploy
            // trusts: it must not stay.
            _ = try? await client.deleteObjects(bucket: bucket, keys: [key])
            throw DeployError("\(source) changed while it was being uploaded; build again (nothing was made live)")
        }
        return outcome
    }

    /// The bytes of a small file, which must still be what the plan hashed: the bytes are at
    /// hand, so checking them costs next to nothing, and a file rewritten with the same size
    /// (another build into the same directory) is not published under the old hash.
    static func readPlanned(_ source: String, entry: ManifestEntry) throws -> [UInt8] {
        let bytes = try readWhole(source, expectedSize: entry.size)
        guard ContentHash(of: bytes) == entry.hash else {
            throw PlannedHashMismatch(source: source)
        }
        return bytes
    }

    /// The bytes of a small file, which must still be `expectedSize` long.
    static func readWhole(_ source: String, expectedSize: Int64) throws -> [UInt8] {
        let descriptor = open(source, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DeployError("\(source) vanished while deploying: build again") }
        defer { close(descriptor) }
        // One byte more than expected: a file that grew is noticed without another stat.
        var bytes = [UInt8](repeating: 0, count: Int(expectedSize) + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DeployError("cannot read \(source): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            filled += n
        }
        guard filled == Int(expectedSize) else {
            throw DeployError("\(source) changed while deploying (its size is no longer \(expectedSize) bytes); build again")
        }
        bytes.removeLast()
        return bytes
    }

    /// Uploads the local file `source` to `key` in this target's bucket (the key as given,
    /// not below the prefix): one PutObject up to ``multipartThreshold``, else a multipart
    /// upload with ``partWorkers`` parts in flight. For files outside a version (build
    /// cache archives).
    public func uploadFile(_ source: String, toKey key: String, attributes: S3Client.ObjectAttributes = S3Client.ObjectAttributes()) async throws {
        var status = stat()
        guard stat(source, &status) == 0 else { throw DeployError("cannot read \(source): \(String(cString: strerror(errno)))") }
        let size = Int64(status.st_size)
        if size <= multipartThreshold {
            _ = try await client.putObject(bucket: bucket, key: key, body: .file(path: source, offset: 0, length: size), attributes: attributes)
            return
        }
        try await multipart(key: key, attributes: attributes, size: size, partSize: partSize(for: size)) { uploadId, number, range in
            try await client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                                        body: .file(path: source, offset: range.lowerBound, length: range.count))
        }
    }

    /// Aborts a multipart upload this deploy started and will not complete, so its parts are
    /// not kept (and billed): also when the deploy was interrupted (its task cancelled).
    private func abandon(key: String, uploadId: String) async throws {
        let client = self.client, bucket = self.bucket
        try await uncancelled { try await client.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId) }
    }

    /// A multipart upload of `size` bytes in parts of `partSize`, ``partWorkers`` at a time;
    /// aborted if any part fails, or the deploy is interrupted.
    @discardableResult
    func multipart(key: String, attributes: S3Client.ObjectAttributes, size: Int64, partSize: Int64, condition: S3Client.WriteCondition = .none,
                   part: @escaping @Sendable (String, Int, ClosedRange<Int64>) async throws -> S3Client.CompletedPart) async throws -> S3Client.WriteOutcome {
        // Not cut off by an interruption: an upload S3 created while its answer was awaited
        // would be left unknown, and its parts unaborted. Interrupted by now, it is aborted.
        let client = self.client, bucket = self.bucket
        let uploadId = try await uncancelled { try await client.createMultipartUpload(bucket: bucket, key: key, attributes: attributes) }
        let count = Int((size + partSize - 1) / partSize)
        do {
            try Task.checkCancellation()
            let next = WorkCounter()
            let parts = Locked<[S3Client.CompletedPart]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<min(partWorkers, count) {
                    group.addTask {
                        while true {
                            try Task.checkCancellation()
                            let index = next.take()
                            guard index < count else { return }
                            let start = Int64(index) * partSize
                            let end = min(start + partSize, size) - 1
                            let done = try await part(uploadId, index + 1, start...end)
                            parts.withLock { $0.append(done) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let outcome = try await client.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts.withLock { $0 },
                                                                   condition: condition)
            if case .stored = outcome { return outcome }
            // Refused: the parts go, as they would with a failure.
            try? await abandon(key: key, uploadId: uploadId)
            return outcome
        } catch {
            try? await abandon(key: key, uploadId: uploadId)
            throw error
        }
    }
}

extension ClosedRange where Bound == Int64 {
    fileprivate var count: Int64 { upperBound - lowerBound + 1 }
}
