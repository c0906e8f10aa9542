import AWSCore
import Foundation
#if canImport(Glibc)
import Glibc
import Synchronization
#endif

/// Amazon S3 over REST-XML, signed with SigV4 (single URI encoding, `x-amz-content-sha256`).
///
/// Addressing:
/// - A custom endpoint (`AWS_ENDPOINT_URL_S3`, `--endpoint-url`, `AWS_ENDPOINT_URL`: moto,
///   MinIO, …) is always addressed path style: `{endpoint}/{bucket}/{key}`.
/// - The public AWS endpoint uses virtual-hosted style, `https://{bucket}.s3.{region}.amazonaws.com/{key}`,
///   when the bucket name is a valid DNS label that also matches the TLS wildcard certificate:
///   3–63 characters of `a–z 0–9 -`, starting and ending with a letter or digit, no dots (a
///   dot would need a second wildcard level) and not shaped like an IP address. Any other
///   name, or `forcePathStyle`, uses path style `https://s3.{region}.amazonaws.com/{bucket}/{key}`.
public struct S3Client: Sendable {
    /// How the body is represented in `x-amz-content-sha256`.
    public enum PayloadSigning: Sendable, Equatable {
        /// The hex SHA-256 of the body (files are hashed by streaming the range first).
        case sha256
        /// `UNSIGNED-PAYLOAD`: only sensible over HTTPS.
        case unsigned
    }

    public static let serviceName = "S3"
    public let endpoint: AWSEndpoint
    public let region: String
    public let credentials: any CredentialProvider
    public let httpClient: any HTTPClient
    public let forcePathStyle: Bool
    public let payloadSigning: PayloadSigning
    /// Encryption and ACL headers every object this client writes carries.
    public var objectWrites: ObjectWriteSettings = ObjectWriteSettings()
    public let clock: @Sendable () -> Date
    /// The endpoint URL's parts, parsed once (URLComponents per request was ~3 % of the CPU
    /// of small PUTs); nil when it is not an absolute URL with a host.
    private let endpointParts: EndpointParts?
    /// Buckets S3 said are in another region (its 301/400 answers name it in
    /// `x-amz-bucket-region`), by endpoint and bucket, for every client of the process: the
    /// target, pointer and cache clients of one deploy learn it once.
    private static let bucketRegions = Mutex<[String: String]>([:])

    private func knownRegion(of bucket: String) -> String? {
        Self.bucketRegions.withLock { $0[endpoint.url + " " + bucket] }
    }

    /// The region of `bucket` when S3 redirected a request of this process there (another
    /// region than ``region``); nil when none was redirected.
    public func redirectedRegion(of bucket: String) -> String? {
        knownRegion(of: bucket).flatMap { $0 == region ? nil : $0 }
    }

    private func remember(region: String, of bucket: String) {
        Self.bucketRegions.withLock { $0[endpoint.url + " " + bucket] = region }
    }

    private struct EndpointParts: Sendable {
        var scheme: String
        var host: String
        /// `:port` or empty.
        var port: String
        /// The path below which buckets sit, without a trailing `/`.
        var root: String
    }

    public init(endpoint: AWSEndpoint, region: String, credentials: any CredentialProvider,
                httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(), forcePathStyle: Bool = false,
                payloadSigning: PayloadSigning = .sha256, clock: @escaping @Sendable () -> Date = { Date() }) {
        if let components = URLComponents(string: endpoint.url), let scheme = components.scheme,
           let host = components.host, !host.isEmpty {
            var root = components.percentEncodedPath
            if root.hasSuffix("/") { root.removeLast() }
            endpointParts = EndpointParts(scheme: scheme, host: host, port: components.port.map { ":\($0)" } ?? "", root: root)
        } else {
            endpointParts = nil
        }
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.httpClient = httpClient
        self.forcePathStyle = forcePathStyle
        self.payloadSigning = payloadSigning
        self.clock = clock
    }

    /// A client for `region` with the endpoint from `AWS_ENDPOINT_URL_S3`, `endpointURL`,
    /// `AWS_ENDPOINT_URL` or the public regional one.
    public init(region: String, credentials: any CredentialProvider, environment: [String: String],
                endpointURL: String? = nil, httpClient: any HTTPClient = AWSJSONClient.defaultHTTPClient(),
                forcePathStyle: Bool = false, payloadSigning: PayloadSigning = .sha256) {
        let endpoint = AWSEndpoint.resolve(endpointPrefix: "s3", environmentSuffix: "S3", region: region,
                                           option: endpointURL, environment: environment)
        self.init(endpoint: endpoint, region: region, credentials: credentials, httpClient: httpClient,
                  forcePathStyle: forcePathStyle, payloadSigning: payloadSigning)
    }

    // MARK: - Types

    /// Headers stored with an object.
    public struct ObjectAttributes: Sendable, Equatable {
        public var contentType: String?
        public var cacheControl: String?
        public var contentEncoding: String?
        public var contentDisposition: String?
        public var contentLanguage: String?
        public var expires: String?
        /// `x-amz-meta-*` values by their name without the prefix (S3 lower-cases names).
        public var metadata: [String: String]

        public init(contentType: String? = nil, cacheControl: String? = nil, contentEncoding: String? = nil,
                    contentDisposition: String? = nil, contentLanguage: String? = nil, expires: String? = nil,
                    metadata: [String: String] = [:]) {
            self.contentType = contentType
            self.contentLanguage = contentLanguage
            self.expires = expires
            self.cacheControl = cacheControl
            self.contentEncoding = contentEncoding
            self.contentDisposition = contentDisposition
            self.metadata = metadata
        }

        var headers: [(String, String)] {
            var headers: [(String, String)] = [("Content-Type", contentType ?? "application/octet-stream")]
            if let cacheControl { headers.append(("Cache-Control", cacheControl)) }
            if let contentEncoding { headers.append(("Content-Encoding", contentEncoding)) }
            if let contentDisposition { headers.append(("Content-Disposition", contentDisposition)) }
            if let contentLanguage { headers.append(("Content-Language", contentLanguage)) }
            if let expires { headers.append(("Expires", expires)) }
            for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
                headers.append(("x-amz-meta-" + name.lowercased(), value))
            }
            return headers
        }
    }

    /// Server-side encryption and a canned ACL for every object written (PutObject,
    /// CreateMultipartUpload, CopyObject), as `aws s3 cp --sse --sse-kms-key-id --acl` send
    /// them: a bucket policy that denies uploads without them refuses every other write.
    public struct ObjectWriteSettings: Sendable, Equatable {
        /// `x-amz-server-side-encryption`: `AES256`, `aws:kms` or `aws:kms:dsse`.
        public var serverSideEncryption: String?
        /// `x-amz-server-side-encryption-aws-kms-key-id`, with `aws:kms` or `aws:kms:dsse`.
        public var kmsKeyId: String?
        /// `x-amz-acl`: a canned ACL such as `bucket-owner-full-control`.
        public var acl: String?

        /// The values `--sse` accepts (S3's).
        public static let encryptions = ["AES256", "aws:kms", "aws:kms:dsse"]
        /// The canned ACLs `--acl` accepts (the aws CLI's).
        public static let cannedACLs = ["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
                                        "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"]

        public init(serverSideEncryption: String? = nil, kmsKeyId: String? = nil, acl: String? = nil) {
            self.serverSideEncryption = serverSideEncryption
            self.kmsKeyId = kmsKeyId
            self.acl = acl
        }

        var headers: [(String, String)] {
            var headers: [(String, String)] = []
            if let serverSideEncryption { headers.append(("x-amz-server-side-encryption", serverSideEncryption)) }
            if let kmsKeyId { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kmsKeyId)) }
            if let acl { headers.append(("x-amz-acl", acl)) }
            return headers
        }
    }

    /// What HeadObject / GetObject report about an object.
    public struct ObjectInfo: Sendable, Equatable {
        public var size: Int64
        /// The ETag with its quotes removed.
        public var etag: String?
        public var lastModified: String?
        public var attributes: ObjectAttributes
        /// `x-amz-server-side-encryption`: how S3 encrypted it (`AES256`, `aws:kms`, …).
        public var serverSideEncryption: String?
        /// `x-amz-storage-class`: its storage class, when not STANDARD (S3 sends none for that).
        public var storageClass: String?
        /// `x-amz-archive-status`: the archive tier an `INTELLIGENT_TIERING` object is in
        /// (`ARCHIVE_ACCESS`, `DEEP_ARCHIVE_ACCESS`), which S3 serves only once restored; nil
        /// in the tiers that serve at once. A listing does not say it.
        public var archiveStatus: String?

        init(headers: HTTPResponseHeaders) {
            serverSideEncryption = headers.first("x-amz-server-side-encryption")
            storageClass = headers.first("x-amz-storage-class")
            archiveStatus = headers.first("x-amz-archive-status")
            size = headers.first("content-length").flatMap { Int64($0) } ?? 0
            etag = headers.first("etag").map(S3Client.unquote)
            lastModified = headers.first("last-modified")
            var metadata: [String: String] = [:]
            for field in headers where field.name.lowercased().hasPrefix("x-amz-meta-") {
                metadata[String(field.name.lowercased().dropFirst("x-amz-meta-".count))] = field.value
            }
            attributes = ObjectAttributes(contentType: headers.first("content-type"), cacheControl: headers.first("cache-control"),
                                          contentEncoding: headers.first("content-encoding"),
                                          contentDisposition: headers.first("content-disposition"),
                                          contentLanguage: headers.first("content-language"), expires: headers.first("expires"),
                                          metadata: metadata)
        }
    }

    /// The result of a conditional write.
    public enum WriteOutcome: Sendable, Equatable {
        /// Stored; the new ETag without quotes.
        case stored(etag: String?)
        /// `If-None-Match: *` and the key already exists (HTTP 412 PreconditionFailed).
        case alreadyExists
        /// `If-Match` and the object's ETag is another one (HTTP 412), or it does not exist
        /// (HTTP 404).
        case etagMismatch
    }

    /// A precondition on the destination of a write.
    public enum WriteCondition: Sendable, Equatable {
        /// None: the write replaces whatever is there.
        case none
        /// `If-None-Match: *`: only if no object has the key (else ``WriteOutcome/alreadyExists``).
        case absent
        /// `If-Match: "<etag>"`: only if the object still has this ETag (else ``WriteOutcome/etagMismatch``).
        case etag(String)

        var headers: [(String, String)] {
            switch self {
            case .none: []
            case .absent: [("If-None-Match", "*")]
            case .etag(let etag): [("If-Match", "\"" + S3Client.unquote(etag) + "\"")]
            }
        }

        /// The statuses that answer a failed precondition of PutObject (412; 404 for `If-Match`
        /// on a key gone).
        var refusals: Set<Int> {
            switch self {
            case .none: []
            case .absent: [412]
            case .etag: [412, 404]
            }
        }

        /// The same for CopyObject and CompleteMultipartUpload, where a 404 means their source
        /// or upload is missing (NoSuchKey, NoSuchUpload): an error, not a refusal.
        var refusalsOfCopies: Set<Int> { refusals.subtracting([404]) }

        func outcome(status: Int) -> WriteOutcome? {
            guard refusals.contains(status) else { return nil }
            if case .absent = self { return .alreadyExists }
            return .etagMismatch
        }
    }

    /// One object of a listing.
    public struct ObjectSummary: Sendable, Equatable {
        public var key: String
        public var size: Int64
        public var etag: String?
        public var lastModified: String?
        /// Its storage class as the listing names it (`STANDARD`, `GLACIER`, …); nil when not given.
        public var storageClass: String? = nil
    }

    /// One page of ListObjectsV2.
    public struct ListPage: Sendable, Equatable {
        public var objects: [ObjectSummary]
        public var commonPrefixes: [String]
        /// The token of the next page, or nil on the last one.
        public var nextContinuationToken: String?
        /// The server's time when it answered (its `Date` header), to age the objects listed
        /// by S3's clock rather than this machine's.
        public var serverDate: Date? = nil
    }

    /// A key DeleteObjects could not delete.
    public struct DeleteError: Sendable, Equatable {
        public var key: String
        public var code: String
        public var message: String?
    }

    /// A multipart upload in progress.
    public struct MultipartUpload: Sendable, Equatable {
        public var key: String
        public var uploadId: String
        public var initiated: String?
    }

    /// One uploaded part, for CompleteMultipartUpload.
    public struct CompletedPart: Sendable, Equatable {
        public var partNumber: Int
        /// The ETag as UploadPart returned it (quotes removed).
        public var etag: String
        public init(partNumber: Int, etag: String) {
            self.partNumber = partNumber
            self.etag = etag
        }
    }

    public static let maxKeysPerDelete = 1000

    // MARK: - Buckets

    /// CreateBucket; a location constraint is sent outside us-east-1.
    public func createBucket(_ bucket: String) async throws {
        var body: [UInt8] = []
        if region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(S3XML.escape(region))</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        _ = try await send("CreateBucket", method: "PUT", bucket: bucket, key: nil,
                           headers: [("Content-Type", "application/xml")], body: .bytes(body))
    }

    /// What HeadBucket said about a bucket.
    public struct BucketHead: Sendable, Equatable {
        /// 200 (it exists and these credentials may list it), 301 or 400 (it lives in
        /// another region; see ``region``), 403 (it exists but these credentials may not use
        /// it, or it belongs to another account) or 404 (no such bucket).
        public var status: Int
        /// The `x-amz-bucket-region` header: the bucket's region, when S3 sent it.
        public var region: String?

        public init(status: Int, region: String?) {
            self.status = status
            self.region = region
        }
    }

    /// HeadBucket (`HEAD /bucket`): answers 200, 301, 400, 403 and 404 as a ``BucketHead``
    /// instead of throwing (a HEAD has no error document to say more); other failures throw.
    /// A bucket in another region is asked again there, as every other request is (its
    /// region is then ``redirectedRegion(of:)``).
    public func headBucket(_ bucket: String) async throws -> BucketHead {
        let response = try await send("HeadBucket", method: "HEAD", bucket: bucket, key: nil, accepting: [403, 404])
        return BucketHead(status: response.status, region: response.headers.first("x-amz-bucket-region"))
    }

    // MARK: - Objects

    /// PutObject from bytes or a file range, under `condition`: with `.absent` (`If-None-Match: *`)
    /// it answers ``WriteOutcome/alreadyExists`` instead of throwing when the key exists; with
    /// `.etag` (`If-Match: "<etag>"`), ``WriteOutcome/etagMismatch`` when the object changed or
    /// vanished (a compare-and-swap of a small object).
    ///
    /// It carries `x-amz-checksum-sha256` (and `x-amz-sdk-checksum-algorithm`, which moto looks
    /// for): S3 refuses an upload without Content-MD5 or a checksum to a bucket whose Object Lock
    /// default retention applies. The SHA-256 is the one `x-amz-content-sha256` signs anyway.
    public func putObject(bucket: String, key: String, body: HTTPRequestBody, attributes: ObjectAttributes = ObjectAttributes(),
                          condition: WriteCondition = .none) async throws -> WriteOutcome {
        let digest = try bodyDigests("PutObject", body, md5: false).sha256
        let checksum = [("x-amz-sdk-checksum-algorithm", "SHA256"), ("x-amz-checksum-sha256", digest.base64)]
        let payload: SigningRequest.Payload = payloadSigning == .unsigned ? .unsigned : .precomputed(digest.hexString)
        let response = try await send("PutObject", method: "PUT", bucket: bucket, key: key,
                                      headers: attributes.headers + objectWrites.headers + condition.headers + checksum,
                                      body: body, payload: payload, accepting: condition.refusals)
        if let refused = condition.outcome(status: response.status) { return refused }
        return .stored(etag: response.headers.first("etag").map(Self.unquote))
    }

    /// HeadObject, or nil when the object does not exist (404).
    public func headObject(bucket: String, key: String) async throws -> ObjectInfo? {
        let response = try await send("HeadObject", method: "HEAD", bucket: bucket, key: key, accepting: [404])
        return response.status == 404 ? nil : ObjectInfo(headers: response.headers)
    }

    /// GetObject into memory (up to `limit` bytes).
    public func getObject(bucket: String, key: String, limit: Int = HTTPResponseSink.defaultCollectLimit) async throws -> (info: ObjectInfo, body: [UInt8]) {
        let response = try await send("GetObject", method: "GET", bucket: bucket, key: key, sink: .collect(limit: limit))
        return (ObjectInfo(headers: response.headers), response.body)
    }

    /// GetObject of the bytes `range` (inclusive bounds) into memory: fewer when the object ends
    /// first (none when it is empty); nil when there is no such object.
    public func getObject(bucket: String, key: String, range: ClosedRange<Int64>) async throws -> (info: ObjectInfo, body: [UInt8])? {
        let response = try await send("GetObject", method: "GET", bucket: bucket, key: key,
                                      headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound)")],
                                      sink: .collect(limit: Int(range.count)), accepting: [404, 416])
        switch response.status {
        case 404: return nil
        // "InvalidRange": the object is shorter than the range's start (empty, for a range from 0).
        case 416: return (ObjectInfo(headers: response.headers), [])
        default: return (ObjectInfo(headers: response.headers), response.body)
        }
    }

    /// GetObject streamed into the file at `path` (replaced atomically by the retrying client).
    public func getObject(bucket: String, key: String, toFile path: String) async throws -> ObjectInfo {
        let response = try await send("GetObject", method: "GET", bucket: bucket, key: key, sink: .file(path: path))
        return ObjectInfo(headers: response.headers)
    }

    /// One page of ListObjectsV2 (keys are requested URL-encoded and decoded here).
    /// With `startAfter`, only keys after it (byte-wise).
    public func listObjectsPage(bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil,
                                startAfter: String? = nil, continuationToken: String? = nil) async throws -> ListPage {
        var query: [SigningRequest.QueryItem] = [.init("list-type", "2"), .init("encoding-type", "url")]
        if let prefix { query.append(.init("prefix", prefix)) }
        if let startAfter, continuationToken == nil { query.append(.init("start-after", startAfter)) }
        if let delimiter { query.append(.init("delimiter", delimiter)) }
        if let maxKeys { query.append(.init("max-keys", String(maxKeys))) }
        if let continuationToken { query.append(.init("continuation-token", continuationToken)) }
        let response = try await send("ListObjectsV2", method: "GET", bucket: bucket, key: nil, query: query)
        let root = try parse("ListObjectsV2", response.body, root: "ListBucketResult")
        let encoded = root.text("EncodingType") == "url"
        let decode: (String) -> String = { encoded ? Self.decodeListKey($0) : $0 }
        let objects = root.elements("Contents").map { item in
            ObjectSummary(key: decode(item.text("Key") ?? ""), size: Int64(item.text("Size") ?? "") ?? 0,
                          etag: item.text("ETag").map(Self.unquote), lastModified: item.text("LastModified"),
                          storageClass: item.text("StorageClass"))
        }
        let prefixes = root.elements("CommonPrefixes").compactMap { $0.text("Prefix").map(decode) }
        let truncated = root.text("IsTruncated") == "true"
        let token = root.text("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        return ListPage(objects: objects, commonPrefixes: prefixes, nextContinuationToken: truncated ? token : nil,
                        serverDate: response.headers.first("date").flatMap(UTCTime.parseHTTPDate))
    }

    /// Every page of ListObjectsV2, concatenated.
    public func listObjects(bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil,
                            startAfter: String? = nil) async throws -> (objects: [ObjectSummary], commonPrefixes: [String], pages: Int) {
        var objects: [ObjectSummary] = []
        var prefixes: [String] = []
        var token: String?
        var pages = 0
        repeat {
            try Task.checkCancellation()
            let page = try await listObjectsPage(bucket: bucket, prefix: prefix, delimiter: delimiter, maxKeys: maxKeys,
                                                 startAfter: startAfter, continuationToken: token)
            pages += 1
            objects += page.objects
            prefixes += page.commonPrefixes
            token = page.nextContinuationToken
        } while token != nil
        return (objects, prefixes, pages)
    }

    /// CopyObject. With `replacing`, the destination gets exactly those attributes
    /// (`x-amz-metadata-directive: REPLACE`); without, they are copied. Returns the new ETag.
    public func copyObject(bucket: String, sourceKey: String, destinationKey: String, sourceBucket: String? = nil,
                           replacing attributes: ObjectAttributes? = nil) async throws -> String? {
        let outcome = try await copyObject(bucket: bucket, sourceKey: sourceKey, destinationKey: destinationKey, sourceBucket: sourceBucket,
                                           replacing: attributes, condition: .none)
        if case .stored(let etag) = outcome { return etag }
        return nil
    }

    /// CopyObject under `condition` on the destination (S3 honours `If-None-Match` and
    /// `If-Match` on a copy's destination; some S3-compatible servers ignore them).
    public func copyObject(bucket: String, sourceKey: String, destinationKey: String, sourceBucket: String? = nil,
                           replacing attributes: ObjectAttributes? = nil, condition: WriteCondition) async throws -> WriteOutcome {
        var headers: [(String, String)] = [
            ("x-amz-copy-source", "/" + URIEncoding.encode(sourceBucket ?? bucket) + "/" + URIEncoding.encode(sourceKey, keepingSlashes: true)),
        ]
        if let attributes {
            headers.append(("x-amz-metadata-directive", "REPLACE"))
            headers += attributes.headers
        } else {
            headers.append(("x-amz-metadata-directive", "COPY"))
        }
        // Encryption and ACL are not copied from the source: they are sent again.
        headers += objectWrites.headers
        // The (empty) body's Content-MD5: moto refuses a copy into a bucket with Object Lock
        // default retention without one, as it does a PutObject; S3 checks it against the body.
        headers.append(("Content-MD5", S3MD5.emptyContentMD5))
        let response = try await send("CopyObject", method: "PUT", bucket: bucket, key: destinationKey, headers: headers + condition.headers,
                                      accepting: condition.refusalsOfCopies)
        if let refused = condition.outcome(status: response.status) { return refused }
        return .stored(etag: try parse("CopyObject", response.body).text("ETag").map(Self.unquote))
    }

    /// DeleteObjects in batches of ``maxKeysPerDelete`` (quiet mode); returns the keys S3
    /// could not delete. A missing key counts as deleted.
    public func deleteObjects(bucket: String, keys: [String]) async throws -> [DeleteError] {
        var errors: [DeleteError] = []
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + Self.maxKeysPerDelete, keys.count)]
            start += batch.count
            var xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            for key in batch { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
            xml += "</Delete>"
            let body = Array(xml.utf8)
            let response = try await send("DeleteObjects", method: "POST", bucket: bucket, key: nil, query: [.init("delete", nil)],
                                          headers: [("Content-Type", "application/xml"), ("Content-MD5", S3MD5.contentMD5(body))],
                                          body: .bytes(body))
            // A 200 is not "all deleted" unless it is a DeleteResult: an <Error> document with a
            // <Code> was thrown by send (and retried when its code is transient); one without, or
            // another document (a proxy's page), says nothing of what was deleted.
            let root = try parse("DeleteObjects", response.body)
            if root.name == "Error" {
                throw AWSServiceError.malformedResponse(Self.serviceName, "DeleteObjects",
                    "S3 answered 200 with an <Error> document that has no <Code>"
                    + (root.text("Message").map { " (\($0))" } ?? "") + "; none of the \(batch.count) keys is known to be deleted, run it again")
            }
            try requireRoot(root, "DeleteResult", "DeleteObjects")
            for entry in root.elements("Error") {
                guard let key = entry.text("Key"), !key.isEmpty else {
                    // An error for no key is one for the request: nothing is known to be deleted.
                    throw AWSServiceError.service(Self.serviceName, "DeleteObjects", code: entry.text("Code") ?? "InternalError",
                                                  message: entry.text("Message"), status: response.status)
                }
                errors.append(DeleteError(key: key, code: entry.text("Code") ?? "Unknown", message: entry.text("Message")))
            }
        }
        return errors
    }

    // MARK: - Multipart

    /// CreateMultipartUpload; returns the upload ID.
    public func createMultipartUpload(bucket: String, key: String, attributes: ObjectAttributes = ObjectAttributes()) async throws -> String {
        let response = try await send("CreateMultipartUpload", method: "POST", bucket: bucket, key: key, query: [.init("uploads", nil)],
                                      headers: attributes.headers + objectWrites.headers)
        guard let id = try parse("CreateMultipartUpload", response.body).text("UploadId"), !id.isEmpty else {
            throw AWSServiceError.malformedResponse(Self.serviceName, "CreateMultipartUpload", "no UploadId")
        }
        return id
    }

    /// UploadPart of `body` (normally a file range); returns the part's ETag.
    ///
    /// It carries `Content-MD5`, which S3 requires of the parts of an object under Object Lock
    /// default retention (a SHA-256 checksum per part would bind the whole upload to that
    /// algorithm, copied parts included). The MD5 is computed in the same read of the range
    /// as the SHA-256 of the signature.
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: HTTPRequestBody) async throws -> CompletedPart {
        let digests = try bodyDigests("UploadPart", body, md5: true, sha256: payloadSigning == .sha256)
        let payload: SigningRequest.Payload = payloadSigning == .unsigned ? .unsigned : .precomputed(digests.sha256.hexString)
        let response = try await send("UploadPart", method: "PUT", bucket: bucket, key: key,
                                      query: [.init("partNumber", String(partNumber)), .init("uploadId", uploadId)],
                                      headers: [("Content-Type", "application/octet-stream"), ("Content-MD5", digests.md5.base64)],
                                      body: body, payload: payload)
        guard let etag = response.headers.first("etag") else {
            throw AWSServiceError.malformedResponse(Self.serviceName, "UploadPart", "no ETag header")
        }
        return CompletedPart(partNumber: partNumber, etag: Self.unquote(etag))
    }

    /// UploadPartCopy: part `partNumber` is the byte range `range` (inclusive bounds) of an
    /// existing object, copied server-side. Returns the part's ETag.
    public func uploadPartCopy(bucket: String, key: String, uploadId: String, partNumber: Int, sourceKey: String,
                               sourceBucket: String? = nil, range: ClosedRange<Int64>) async throws -> CompletedPart {
        let headers: [(String, String)] = [
            ("x-amz-copy-source", "/" + URIEncoding.encode(sourceBucket ?? bucket) + "/" + URIEncoding.encode(sourceKey, keepingSlashes: true)),
            ("x-amz-copy-source-range", "bytes=\(range.lowerBound)-\(range.upperBound)"),
        ]
        let response = try await send("UploadPartCopy", method: "PUT", bucket: bucket, key: key,
                                      query: [.init("partNumber", String(partNumber)), .init("uploadId", uploadId)], headers: headers)
        guard let etag = try parse("UploadPartCopy", response.body).text("ETag") else {
            throw AWSServiceError.malformedResponse(Self.serviceName, "UploadPartCopy", "no ETag in CopyPartResult")
        }
        return CompletedPart(partNumber: partNumber, etag: Self.unquote(etag))
    }

    /// CompleteMultipartUpload with `parts` (sorted here), under `condition` (a 412 is its
    /// ``WriteOutcome``).
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [CompletedPart],
                                        condition: WriteCondition = .none) async throws -> WriteOutcome {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\"\(S3XML.escape(part.etag))\"</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await send("CompleteMultipartUpload", method: "POST", bucket: bucket, key: key,
                                      query: [.init("uploadId", uploadId)], headers: [("Content-Type", "application/xml")] + condition.headers,
                                      body: .bytes(Array(xml.utf8)), accepting: condition.refusalsOfCopies)
        if let refused = condition.outcome(status: response.status) { return refused }
        return .stored(etag: try parse("CompleteMultipartUpload", response.body).text("ETag").map(Self.unquote))
    }

    /// AbortMultipartUpload.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await send("AbortMultipartUpload", method: "DELETE", bucket: bucket, key: key, query: [.init("uploadId", uploadId)])
    }

    /// Every multipart upload in progress under `prefix`, following the markers.
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws -> [MultipartUpload] {
        var uploads: [MultipartUpload] = []
        var keyMarker: String?
        var uploadIdMarker: String?
        while true {
            var query: [SigningRequest.QueryItem] = [.init("uploads", nil)]
            if let keyMarker { query.append(.init("key-marker", keyMarker)) }
            if let prefix { query.append(.init("prefix", prefix)) }
            if let uploadIdMarker { query.append(.init("upload-id-marker", uploadIdMarker)) }
            let response = try await send("ListMultipartUploads", method: "GET", bucket: bucket, key: nil, query: query)
            let root = try parse("ListMultipartUploads", response.body, root: "ListMultipartUploadsResult")
            uploads += root.elements("Upload").map {
                MultipartUpload(key: $0.text("Key") ?? "", uploadId: $0.text("UploadId") ?? "", initiated: $0.text("Initiated"))
            }
            guard root.text("IsTruncated") == "true", let next = root.text("NextKeyMarker"), !next.isEmpty else { break }
            if next == keyMarker && root.text("NextUploadIdMarker") == uploadIdMarker { break }
            keyMarker = next
            uploadIdMarker = root.text("NextUploadIdMarker")
        }
        return uploads
    }

    // MARK: - Addressing

    /// Whether `bucket` can be addressed as `{bucket}.s3.{region}.amazonaws.com` over TLS.
    public static func isVirtualHostCompatible(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard alnum(bytes[0]), alnum(bytes[bytes.count - 1]) else { return false }
        guard bytes.allSatisfy({ alnum($0) || $0 == UInt8(ascii: "-") }) else { return false }
        return !bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The URL prefix (scheme and authority), `Host` header and request path of an object or
    /// bucket request.
    func address(bucket: String, key: String?, region requested: String? = nil) throws -> (base: String, host: String, path: String) {
        guard var parts = endpointParts else {
            throw AWSServiceError.badEndpoint(Self.serviceName, "request", url: endpoint.url, source: endpoint.source)
        }
        if let requested, requested != region, endpoint.source == "default" {
            // The public endpoint of the bucket's region (a configured endpoint is kept as it is).
            parts.host = "s3.\(requested).\(AWSPartition.dnsSuffix(of: requested))"
        }
        let (scheme, host, port) = (parts.scheme, parts.host, parts.port)
        let keyPath = key.map { "/" + URIEncoding.encode($0, keepingSlashes: true) } ?? ""
        if endpoint.source == "default" && !forcePathStyle && Self.isVirtualHostCompatible(bucket) {
            let virtualHost = bucket + "." + host
            return ("\(scheme)://\(virtualHost)\(port)", virtualHost + port, key == nil ? "/" : keyPath)
        }
        return ("\(scheme)://\(host)\(port)", host + port, parts.root + "/" + URIEncoding.encode(bucket) + keyPath)
    }

    // MARK: - Sending

    /// Signs and sends one request; returns the response when it is 2xx or its status is in
    /// `accepting`, and throws ``AWSServiceError`` otherwise.
    func send(_ operation: String, method: String, bucket: String, key: String?, query: [SigningRequest.QueryItem] = [],
              headers: [(String, String)] = [], body: HTTPRequestBody = .none,
              payload precomputed: SigningRequest.Payload? = nil, sink: HTTPResponseSink = .collect(limit: 16 * 1024 * 1024),
              accepting: Set<Int> = []) async throws -> HTTPResponse {
        let payload = try precomputed ?? payloadHash(operation, body)
        let resolved = try await credentials.credentials()
        let bucketRegion = bucket.isEmpty ? region : knownRegion(of: bucket) ?? region
        var response = try await sendSigned(operation, method: method, bucket: bucket, key: key, query: query, headers: headers,
                                            body: body, payload: payload, sink: sink, credentials: resolved, region: bucketRegion)
        // Refused as signed at the wrong time (this machine's clock is off by more than S3's 15
        // minutes): signed again, once, with S3's time, which the later requests keep using.
        if response.status == 403, !accepting.contains(403),
           ServiceErrorCode.parse(headers: response.headers, body: response.body) == "RequestTimeTooSkewed",
           ClockSkew.learn(serverTime: Self.serverTime(response), endpoint: endpoint.url, now: clock()) {
            response = try await sendSigned(operation, method: method, bucket: bucket, key: key, query: query, headers: headers,
                                            body: body, payload: payload, sink: sink, credentials: resolved, region: bucketRegion)
        }
        // A bucket in another region: S3 answers 301 (or 400 to a signature for the wrong
        // region) naming the bucket's region; send it again there, and remember the region.
        if !bucket.isEmpty, [301, 307, 400].contains(response.status), !accepting.contains(response.status),
           let other = Self.redirectRegion(response), other != bucketRegion {
            remember(region: other, of: bucket)
            response = try await sendSigned(operation, method: method, bucket: bucket, key: key, query: query, headers: headers,
                                            body: body, payload: payload, sink: sink, credentials: resolved, region: other)
        }
        if accepting.contains(response.status) { return response }
        guard response.isSuccess else { throw serviceError(operation, response).attributing(credentialsTo: resolved.source) }
        // CopyObject and CompleteMultipartUpload can fail inside a 200.
        if case .collect = sink, method == "PUT" || method == "POST", ServiceErrorCode.errorDocumentCode(in: response.body) != nil {
            throw serviceError(operation, response).attributing(credentialsTo: resolved.source)
        }
        return response
    }

    /// The region a redirect names: `x-amz-bucket-region`, else the error document's `<Region>`.
    static func redirectRegion(_ response: HTTPResponse) -> String? {
        if let region = response.headers.first("x-amz-bucket-region"), !region.isEmpty { return region }
        guard let document = try? S3XML.parse(response.body), let region = document.text("Region"), !region.isEmpty else { return nil }
        return region
    }

    /// One signed request in `region`; the response whatever its status.
    private func sendSigned(_ operation: String, method: String, bucket: String, key: String?, query: [SigningRequest.QueryItem],
                            headers: [(String, String)], body: HTTPRequestBody, payload: SigningRequest.Payload,
                            sink: HTTPResponseSink, credentials resolved: ResolvedCredentials, region: String) async throws -> HTTPResponse {
        let (base, host, path) = try address(bucket: bucket, key: key, region: region)
        var signingHeaders = [SigningRequest.Header("Host", host)]
        signingHeaders += headers.map { SigningRequest.Header($0.0, $0.1) }
        let unsigned = SigningRequest(method: method, path: path, query: query, headers: signingHeaders, payload: payload)
        let signer = SigV4Signer(credentials: resolved.awsCredentials, region: region, service: "s3")
        let signed = signer.sign(unsigned, date: ClockSkew.signingTime(clock(), endpoint: endpoint.url))
        let request = HTTPRequest(method: method, url: base + signed.request.target,
                                  headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 10, lowSpeedLimit: 1, lowSpeedTime: 60, total: nil))
        let response: HTTPResponse
        do {
            response = try await httpClient.execute(request, body: body, responseBody: sink)
        } catch let error as RetryExhaustedError {
            if let last = error.lastResponse {
                throw serviceError(operation, last).after(error).attributing(credentialsTo: resolved.source)
            }
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSServiceError.transport(Self.serviceName, operation, "\(error) (endpoint \(endpoint.url) from \(endpoint.source))")
        }
        return response
    }

    /// `x-amz-content-sha256` for `body`: hashed (streaming a file range) or unsigned.
    func payloadHash(_ operation: String, _ body: HTTPRequestBody) throws -> SigningRequest.Payload {
        switch (payloadSigning, body) {
        case (.unsigned, _): return .unsigned
        case (.sha256, .none): return .empty
        case (.sha256, .bytes(let bytes)): return .bytes(bytes)
        case (.sha256, .file(let path, let offset, let length)):
            return .precomputed(try Self.sha256Hex(path: path, offset: offset, length: length, operation: operation))
        }
    }

    /// The SHA-256 of `body` (empty when `sha256` is false) and, with `md5`, its MD5 (else
    /// empty), from one read of a file range.
    func bodyDigests(_ operation: String, _ body: HTTPRequestBody, md5: Bool,
                     sha256: Bool = true) throws -> (sha256: [UInt8], md5: [UInt8]) {
        switch body {
        case .none:
            return (sha256 ? SHA256.hash([]) : [], md5 ? S3MD5.digest([]) : [])
        case .bytes(let bytes):
            return (sha256 ? SHA256.hash(bytes) : [], md5 ? S3MD5.digest(bytes) : [])
        case .file(let path, let offset, let length):
            return try Self.digests(path: path, offset: offset, length: length, sha256: sha256, md5: md5, operation: operation)
        }
    }

    /// The hex SHA-256 of `length` bytes of `path` from `offset`, read in 64 KiB blocks.
    static func sha256Hex(path: String, offset: Int64, length: Int64, operation: String = "PutObject") throws -> String {
        try digests(path: path, offset: offset, length: length, sha256: true, md5: false, operation: operation).sha256.hexString
    }

    /// The SHA-256 and MD5 (each empty unless asked for) of `length` bytes of `path` from
    /// `offset`, read once in 64 KiB blocks.
    static func digests(path: String, offset: Int64, length: Int64, sha256: Bool, md5: Bool,
                        operation: String) throws -> (sha256: [UInt8], md5: [UInt8]) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw AWSServiceError.transport(serviceName, operation, "cannot open \(path) (errno \(errno))")
        }
        defer { close(descriptor) }
        let hasher = sha256 ? SHA256() : nil
        let md5Hasher = md5 ? S3MD5.Hasher() : nil
        // At most 64 KiB and never zero-filled: a zero-filled 1 MiB buffer per small object was
        // ~10% of the CPU of small PUTs, and a 1 MiB one per part (above the allocator's mmap
        // threshold) was mapped, faulted in page by page and unmapped every time.
        let capacity = Int(max(1, min(length, 64 << 10)))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        var remaining = length
        while remaining > 0 {
            let wanted = Int(min(Int64(capacity), remaining))
            let count = pread(descriptor, buffer, wanted, off_t(position))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw AWSServiceError.transport(serviceName, operation, "cannot read \(path) at \(position) (errno \(errno), file shorter than the range?)")
            }
            let block = UnsafeRawBufferPointer(start: buffer, count: count)
            hasher?.update(block)
            md5Hasher?.update(block)
            position += Int64(count)
            remaining -= Int64(count)
        }
        return (hasher?.finalize() ?? [], md5Hasher?.finalize() ?? [])
    }

    /// With `expected`, a document whose root element is another (a filtering proxy's or a
    /// portal's HTML page answering 200) is refused, not read as a result with nothing in it
    /// (a listing of no objects, which would say the site has no versions).
    func parse(_ operation: String, _ body: [UInt8], root expected: String? = nil) throws -> S3XMLElement {
        let root = try S3XML.parse(body, service: Self.serviceName, operation: operation)
        if let expected { try requireRoot(root, expected, operation) }
        return root
    }

    /// Throws unless `root` is the `expected` element: another document is something other than
    /// S3 answering.
    func requireRoot(_ root: S3XMLElement, _ expected: String, _ operation: String) throws {
        guard root.name != expected else { return }
        throw AWSServiceError.malformedResponse(Self.serviceName, operation, "its root element is <\(root.name)>, not <\(expected)>: "
            + "something other than S3 answered, such as a proxy's or network portal's page; check HTTPS_PROXY and the endpoint")
    }

    /// The error of a failed response: the XML `<Code>`/`<Message>`, or for body-less
    /// answers (HEAD) a code from the status.
    func serviceError(_ operation: String, _ response: HTTPResponse) -> AWSServiceError {
        let document = try? S3XML.parse(response.body)
        let fallback: String = switch response.status {
        case 404: key404(operation)
        case 403: "AccessDenied"
        case 412: "PreconditionFailed"
        case 304: "NotModified"
        case 301: "PermanentRedirect"
        default: "HTTP\(response.status)"
        }
        let code = ServiceErrorCode.parse(headers: response.headers, body: response.body) ?? fallback
        let error = AWSServiceError.service(Self.serviceName, operation, code: code, message: document?.text("Message"), status: response.status)
        if code == "RequestTimeTooSkewed", let server = Self.serverTime(response) { return error.measuring(server: server, local: clock()) }
        return error
    }

    /// S3's time when it answered: the `Date` header, else the `<ServerTime>` of its error document.
    static func serverTime(_ response: HTTPResponse) -> Date? {
        response.headers.first("date").flatMap(UTCTime.parseHTTPDate)
            ?? (try? S3XML.parse(response.body))?.text("ServerTime").flatMap(UTCTime.parse)
    }

    private func key404(_ operation: String) -> String { operation == "HeadObject" ? "NoSuchKey" : "NotFound" }

    static func unquote(_ etag: String) -> String {
        // The usual `"hex"` (or bare hex) without Foundation's character sets.
        let utf8 = etag.utf8
        if utf8.count >= 2, utf8.first == 0x22, utf8.last == 0x22,
           !utf8.dropFirst().dropLast().contains(where: { $0 == 0x22 || $0 == 0x26 || $0 <= 0x20 }) {
            return String(etag.dropFirst().dropLast())
        }
        if !utf8.contains(where: { $0 == 0x22 || $0 == 0x26 || $0 <= 0x20 || $0 == 0x2f }) { return etag }
        var value = etag.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("W/") { value.removeFirst(2) }
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        if value.hasPrefix("&quot;") { value = value.replacingOccurrences(of: "&quot;", with: "") }
        return value
    }

    /// A key from a listing with `encoding-type=url`: `+` is a space, `%XX` a byte.
    static func decodeListKey(_ value: String) -> String {
        URIEncoding.decode(value.replacingOccurrences(of: "+", with: " "))
    }
}
