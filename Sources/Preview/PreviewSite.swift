import AWSCore
import Deploy
import Foundation
import SiteContent

/// An HTTP response to write: status, headers and a body from memory or a file range.
public struct PreviewResponse: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        case file(path: String, offset: Int64, length: Int64)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public var contentLength: Int64 {
        switch body {
        case .none: return 0
        case .bytes(let b): return Int64(b.count)
        case .file(_, _, let length): return length
        }
    }
}

/// Answers preview requests for a local target: reads the live pointer on every request
/// (a flip or rollback shows at once), routes the URI like the CloudFront Function, and
/// serves the object with the manifest's headers, ETag and Last-Modified, the four
/// conditional headers (304/412, as S3 answers them), HEAD and single byte ranges.
public final class PreviewSite: @unchecked Sendable {
    // @unchecked: the manifest cache is only touched under `lock`.
    public let root: String
    public let pointerPath: String
    public let router: Router
    /// Parsed manifests by version, with the identity of the file they were read from: a
    /// literal version id may be pruned and deployed again with other content.
    private var manifests: [String: (identity: [Int], manifest: Manifest)] = [:]
    private let lock = NSLock()

    public init(root: String, pointerPath: String, router: Router) {
        self.root = root
        self.pointerPath = pointerPath
        self.router = router
    }

    public func liveVersion() -> String? {
        guard let data = FileManager.default.contents(atPath: pointerPath) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// The manifest of `version`: nil when it has none; throws when it cannot be read (damaged,
    /// or a newer sitebuild's).
    func manifest(_ version: String) throws -> Manifest? {
        lock.lock()
        defer { lock.unlock() }
        guard (try? VersionId.validate(version)) != nil else { return nil }
        let path = root + "/_sitebuild/manifests/\(version).json"
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let identity = [Int(st.st_dev), Int(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec), Int(st.st_ctim.tv_nsec)]
        if let cached = manifests[version], cached.identity == identity { return cached.manifest }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let manifest: Manifest
        do {
            manifest = try Manifest.parse(data)
        } catch {
            throw DamagedManifest(version: version, location: path, reason: "\(error)", tooNew: error is ManifestFormatTooNew)
        }
        manifests[version] = (identity, manifest)
        return manifest
    }

    /// The answer to one request. A HEAD request's has the GET answer's headers (its
    /// Content-Length too) and no body, whatever the answer: a body after them would be read
    /// as the start of the next response on a kept-alive connection.
    public func respond(method: String, target: String, headers: [String: String]) -> PreviewResponse {
        var response = answer(method: method, target: target, headers: headers)
        if method == "HEAD" { response.body = .none }
        return response
    }

    func answer(method: String, target: String, headers: [String: String]) -> PreviewResponse {
        guard method == "GET" || method == "HEAD" else {
            return text(405, "Method Not Allowed\n", extra: [("Allow", "GET, HEAD")])
        }
        let (uri, query) = Self.split(target)
        guard let version = liveVersion() else {
            return text(503, "No version is live yet: run `sitebuild run` or `sitebuild deploy DIR` first.\n")
        }
        let manifest: Manifest
        do {
            guard let found = try self.manifest(version) else {
                return text(503, "The live version \(version) has no manifest in \(root).\n")
            }
            manifest = found
        } catch {
            let advice = (error as? DamagedManifest)?.tooNew == true ? "" : " Deploy its build again with --repair to write it again."
            return text(503, "The live version \(version) cannot be served: \(error).\(advice)\n")
        }
        switch router.route(uri: uri, querystring: query, version: version) {
        case .unchanged:
            return text(404, "Not Found\n")
        case .redirect(let location, let status):
            return PreviewResponse(status: status, headers: [("Location", location), ("Cache-Control", "max-age=3600"),
                                                             ("Content-Length", "0")], body: .none)
        case .rewrite(let originPath):
            // A `%` not followed by two hex digits, or escapes that are not UTF-8: S3 cannot
            // decode the key (400 InvalidURI), so the deployed site serves nothing there either.
            guard let decoded = originPath.removingPercentEncoding else {
                return text(400, "Bad Request: \(uri) has a malformed %-escape (write a literal % as %25)\n")
            }
            let key = String(decoded.dropFirst(version.count + 2))
            if let entry = manifest.entry(at: key) {
                return serve(entry, version: version, headers: headers, method: method, status: 200)
            }
            if let notFound = manifest.entry(at: "404.html") {
                var response = serve(notFound, version: version, headers: [:], method: method, status: 404)
                response.headers.removeAll { $0.0 == "ETag" || $0.0 == "Accept-Ranges" }
                return response
            }
            return text(404, "Not Found: \(uri)\n")
        }
    }

    func serve(_ entry: ManifestEntry, version: String, headers: [String: String], method: String, status: Int) -> PreviewResponse {
        // Never a file outside the version's folder, whatever the manifest says (reading one
        // refuses such paths; this holds however the entry was made).
        guard (try? PathValidation.checkSegments(entry.path, controlCharacters: false)) != nil, entry.size >= 0 else {
            return text(500, "The manifest of \(version) names a path outside its folder or a negative size; it is not served.\n")
        }
        let path = root + "/" + version + "/" + entry.path
        let etag = "\"\(entry.hash.hex)\""
        var out: [(String, String)] = [("Content-Type", entry.headers.contentType), ("Cache-Control", entry.headers.cacheControl)]
        if let encoding = entry.headers.contentEncoding { out.append(("Content-Encoding", encoding)) }
        out += entry.headers.extra.map { ($0.name, $0.value) }
        out += [("ETag", etag), ("Accept-Ranges", "bytes"), ("X-Sitebuild-Version", version)]
        // S3's Last-Modified is when the object was written to the version; here, the file's
        // time in the version folder.
        var st = stat()
        let modified = stat(path, &st) == 0 ? Int64(st.st_mtim.tv_sec) : nil
        if let modified { out.append(("Last-Modified", UTCTime.httpDate(Date(timeIntervalSince1970: Double(modified))))) }
        if status == 200 {
            switch Self.precondition(headers, etag: etag, modified: modified) {
            case .proceed: break
            case .notModified:
                return PreviewResponse(status: 304, headers: out.filter { $0.0 != "Content-Type" }, body: .none)
            case .failed:
                return PreviewResponse(status: 412, headers: [("ETag", etag), ("Content-Length", "0")], body: .none)
            }
        }
        var offset: Int64 = 0
        var length = entry.size
        var code = status
        // If-Range (RFC 9110 13.1.5): a range of the file the client already has part of; when
        // the file has changed since (another version went live), the whole new file, or the
        // client would join parts of two versions. A date validator never matches (our
        // validator is the ETag; strong comparison, so a weak tag never matches either).
        let rangeApplies = headers["if-range"].map { $0.trimmingCharacters(in: .whitespaces) == etag } ?? true
        if status == 200, rangeApplies, let range = headers["range"] {
            switch Self.parseRange(range, size: entry.size) {
            case .full: break
            case .unsatisfiable:
                return PreviewResponse(status: 416, headers: [("Content-Range", "bytes */\(entry.size)"), ("Content-Length", "0")], body: .none)
            case .range(let start, let end):
                offset = start
                length = end - start + 1
                code = 206
                out.append(("Content-Range", "bytes \(start)-\(end)/\(entry.size)"))
            }
        }
        out.append(("Content-Length", String(length)))
        return PreviewResponse(status: code, headers: out, body: method == "HEAD" ? .none : .file(path: path, offset: offset, length: length))
    }

    enum Precondition: Equatable {
        case proceed
        case notModified
        case failed
    }

    /// The conditional headers of a GET or HEAD, evaluated in RFC 9110's order (13.2.2), as
    /// S3 does: If-Match (else If-Unmodified-Since) failing is 412; then If-None-Match (else
    /// If-Modified-Since) matching is 304. If-Match compares strongly (a weak tag never
    /// matches), If-None-Match weakly; a date that is not an HTTP date is ignored.
    static func precondition(_ headers: [String: String], etag: String, modified: Int64?) -> Precondition {
        func tags(_ value: String) -> [String] {
            value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        func seconds(_ name: String) -> Int64? {
            headers[name].flatMap { UTCTime.parseHTTPDate($0.trimmingCharacters(in: .whitespaces)) }.map { Int64($0.timeIntervalSince1970) }
        }
        if let match = headers["if-match"] {
            guard match.trimmingCharacters(in: .whitespaces) == "*" || tags(match).contains(etag) else { return .failed }
        } else if let since = seconds("if-unmodified-since"), let modified, modified > since {
            return .failed
        }
        if let match = headers["if-none-match"] {
            if match.trimmingCharacters(in: .whitespaces) == "*"
                || tags(match).contains(where: { ($0.hasPrefix("W/") ? String($0.dropFirst(2)) : $0) == etag }) {
                return .notModified
            }
        } else if let since = seconds("if-modified-since"), let modified, modified <= since {
            return .notModified
        }
        return .proceed
    }

    func text(_ status: Int, _ message: String, extra: [(String, String)] = []) -> PreviewResponse {
        let bytes = Array(message.utf8)
        return PreviewResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(bytes.count)),
                                                         ("Cache-Control", "no-store")] + extra, body: .bytes(bytes))
    }

    enum RangeResult: Equatable {
        case full
        case unsatisfiable
        case range(Int64, Int64)
    }

    /// One `bytes=` range (`a-b`, `a-`, `-n`). Several ranges are answered with the whole
    /// file (allowed by RFC 9110); a range past the end is unsatisfiable.
    static func parseRange(_ header: String, size: Int64) -> RangeResult {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.hasPrefix("bytes=") else { return .full }
        let spec = value.dropFirst(6)
        guard !spec.contains(",") else { return .full }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return .full }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0 else { return .unsatisfiable }
            guard size > 0 else { return .unsatisfiable }
            return .range(max(0, size - suffix), size - 1)
        }
        guard let start = Int64(parts[0]) else { return .full }
        guard start < size else { return .unsatisfiable }
        if parts[1].isEmpty { return .range(start, size - 1) }
        guard let end = Int64(parts[1]), end >= start else { return .full }
        return .range(start, min(end, size - 1))
    }

    static func split(_ target: String) -> (String, String) {
        guard let q = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

}
