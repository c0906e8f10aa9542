import CCurl
import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One request on its way through the curl multi handle: the easy handle, the body source,
/// the response being assembled, and the continuation of the task awaiting it.
///
/// Curl's callbacks reach this object through an `Unmanaged` pointer set as their user data;
/// the event loop's table of active transfers holds the strong reference meanwhile.
final class CurlTransfer: @unchecked Sendable {
    // @unchecked: the submitting task sets everything up in `init` and in `start`, then hands
    // the transfer to the event loop through the loop's Mutex (which orders those writes before
    // the loop's reads). From then on only the event-loop thread touches the mutable state: the
    // curl callbacks run inside curl_multi_perform on that thread. `cancelRequested` is atomic
    // because the cancelling task sets it from anywhere.

    let request: HTTPRequest
    /// The variable that named the proxy the transfer goes through, for its errors.
    let proxyVariable: String?
    let easy: UnsafeMutableRawPointer
    /// Set by a cancelled task; the event loop checks it when it picks the transfer up.
    let cancelRequested = Atomic<Bool>(false)

    private let body: HTTPRequestBody
    private let sink: HTTPResponseSink
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?

    // Request body source.
    private var bodyFile: Int32 = -1
    private var bodySent: Int64 = 0

    // Response being assembled.
    private var status = 0
    private var headers = HTTPResponseHeaders()
    private var collected: [UInt8] = []
    private var sinkFile: Int32 = -1
    /// A failure found inside a callback; it takes precedence over the CURLcode it causes.
    private var callbackFailure: HTTPClientError?
    /// The CA file the transfer trusts, when it is not libcurl's default, for the messages
    /// (CURLINFO_CAINFO names libcurl's built-in file whatever CURLOPT_CAINFO says).
    private var caBundleFile: String?

    /// Opens the body file and configures an easy handle for `request`; throws
    /// ``HTTPClientError`` when the file cannot be read or curl rejects an option.
    init(request: HTTPRequest, body: HTTPRequestBody, sink: HTTPResponseSink, caBundlePath: String?,
         proxy: String? = nil, proxyVariable: String? = nil, noProxy: String? = nil) throws {
        guard let easy = curl_easy_init() else {
            throw HTTPClientError.invalidRequest("libcurl could not create a transfer handle (out of memory?)", url: request.url)
        }
        self.request = request
        self.proxyVariable = proxy.map { _ in proxyVariable ?? "the proxy setting" }
        self.body = body
        self.sink = sink
        self.easy = easy
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        do {
            try openBodyFile()
            try configure(caBundlePath: caBundlePath, proxy: proxy, noProxy: noProxy)
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    /// Stores the continuation to resume when the transfer ends; called before submission.
    func start(_ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.continuation = continuation
    }

    /// Resumes the waiting task with `result` (exactly once) and frees the curl resources.
    /// The easy handle must no longer be in the multi handle.
    func finish(_ result: Result<HTTPResponse, any Error>) {
        release()
        continuation?.resume(with: result)
        continuation = nil
    }

    /// The outcome of a transfer curl reports as done with `code`.
    func outcome(of code: CURLcode) -> Result<HTTPResponse, any Error> {
        if let callbackFailure { return .failure(callbackFailure) }
        guard code == CURLE_OK else {
            let buffered = String(cString: errorBuffer)
            let detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
            return .failure(HTTPClientError.transfer(code, url: request.url, detail: detail, caFile: caFile(),
                                                              proxyVariable: proxyVariable, reusedConnection: reusedConnection()))
        }
        var responseCode = 0
        _ = sb_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &responseCode)
        if case .file(let path) = sink, (200..<300).contains(responseCode), sinkFile < 0 {
            // An empty 2xx body still leaves the file the caller asked for.
            if let failure = openSinkFile(path) { return .failure(failure) }
        }
        return .success(HTTPResponse(status: responseCode, headers: headers, body: collected))
    }

    /// Whether the transfer went over a connection kept alive from an earlier one (curl made
    /// no new connection for it, yet it reached a peer).
    private func reusedConnection() -> Bool {
        var connects = 0
        var address: UnsafePointer<CChar>?
        guard sb_curl_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK, connects == 0,
              sb_curl_getinfo_string(easy, CURLINFO_PRIMARY_IP, &address) == CURLE_OK, let address else { return false }
        return address.pointee != 0
    }

    private func caFile() -> String {
        if let caBundleFile { return caBundleFile }
        var path: UnsafePointer<CChar>?
        if sb_curl_getinfo_string(easy, CURLINFO_CAINFO, &path) == CURLE_OK, let path {
            return String(cString: path)
        }
        return "(libcurl's built-in default)"
    }

    private func release() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        if bodyFile >= 0 { close(bodyFile) }
        bodyFile = -1
        if sinkFile >= 0 { close(sinkFile) }
        sinkFile = -1
        if !released {
            curl_easy_cleanup(easy)
            errorBuffer.deallocate()
            released = true
        }
    }

    private var released = false

    // MARK: - Setup

    private func openBodyFile() throws {
        guard case .file(let path, let offset, let length) = body else { return }
        guard offset >= 0, length >= 0 else {
            throw HTTPClientError.invalidRequest("the body range of \(path) has a negative offset or length", url: request.url)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPClientError.fileIO("open", path: path, errno: errno, url: request.url) }
        bodyFile = fd
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HTTPClientError.fileIO("stat", path: path, errno: errno, url: request.url) }
        if Int64(info.st_size) < offset + length {
            throw HTTPClientError.fileTooShort(path: path, offset: offset, length: length, size: Int64(info.st_size), url: request.url)
        }
    }

    private func configure(caBundlePath: String?, proxy: String?, noProxy: String?) throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var codes: [CURLcode] = []
        func set(_ option: CURLoption, _ value: Int) { codes.append(sb_curl_setopt_long(easy, option, value)) }

        codes.append(sb_curl_setopt_string(easy, CURLOPT_URL, request.url))
        codes.append(sb_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        // S3 keys may hold "./" and "../" segments; they are signed as sent.
        set(CURLOPT_PATH_AS_IS, 1)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        if request.opensNewConnection { set(CURLOPT_FRESH_CONNECT, 1) }
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect * 1000))
        set(CURLOPT_LOW_SPEED_LIMIT, request.timeouts.lowSpeedLimit)
        set(CURLOPT_LOW_SPEED_TIME, request.timeouts.lowSpeedTime)
        if let total = request.timeouts.total { set(CURLOPT_TIMEOUT_MS, Int(total * 1000)) }
        set(CURLOPT_SSL_VERIFYPEER, request.verifyTLS ? 1 : 0)
        set(CURLOPT_SSL_VERIFYHOST, request.verifyTLS ? 2 : 0)
        // The CA file (the configured bundle, else libcurl's own) is parsed once per process
        // and its certificates added to each new connection's store, where libcurl would parse
        // the whole file again for every connection (CABundleCache).
        if request.verifyTLS, request.isHTTPS,
           let file = caBundlePath ?? CABundleCache.libcurlDefaultCAFile, let bundle = CABundleCache.bundle(at: file) {
            codes.append(sb_curl_setopt_string(easy, CURLOPT_CAINFO, nil))
            codes.append(sb_curl_setopt_ssl_ctx(easy) { _, sslContext, bundle in
                guard let sslContext, let bundle else { return CURLE_SSL_CERTPROBLEM }
                return sb_ca_bundle_add_to(OpaquePointer(bundle), sslContext) == 1 ? CURLE_OK : CURLE_OUT_OF_MEMORY
            })
            codes.append(sb_curl_setopt_pointer(easy, CURLOPT_SSL_CTX_DATA, UnsafeMutableRawPointer(bundle.store)))
            caBundleFile = file
        } else if let caBundlePath {
            codes.append(sb_curl_setopt_string(easy, CURLOPT_CAINFO, caBundlePath))
            caBundleFile = caBundlePath
        }
        // A new connection resumes the TLS session an earlier one to the same host got, whichever
        // transfer made it (libcurl keeps sessions per handle, and each request has its own).
        // Only transfers that trust the same CA file share sessions: a resumed session is not
        // verified again, and libcurl cannot tell bundles added by the callback apart.
        if request.isHTTPS, request.verifyTLS, let share = TLSSessionShares.share(trusting: caBundleFile ?? "") {
            codes.append(sb_curl_setopt_pointer(easy, CURLOPT_SHARE, share))
        }
        // The proxy comes from the client's configuration (read from the environment once);
        // an empty CURLOPT_PROXY stops libcurl from reading the environment again itself.
        codes.append(sb_curl_setopt_string(easy, CURLOPT_PROXY, proxy ?? ""))
        if let noProxy { codes.append(sb_curl_setopt_string(easy, CURLOPT_NOPROXY, noProxy)) }

        codes.append(sb_curl_setopt_header(easy, curlHeaderCallback))
        codes.append(sb_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        codes.append(sb_curl_setopt_write(easy, curlWriteCallback))
        codes.append(sb_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, context))

        let method = request.method.uppercased()
        let sendsBody: Bool
        switch method {
        case "HEAD":
            set(CURLOPT_NOBODY, 1)
            sendsBody = false
        case "POST":
            // The read callback supplies the body; POSTFIELDSIZE gives the Content-Length.
            set(CURLOPT_POST, 1)
            codes.append(sb_curl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.length)))
            sendsBody = true
        case "PUT":
            sendsBody = true
        default:
            sendsBody = body != .none
        }
        if sendsBody && method != "POST" {
            // UPLOAD sends PUT with Content-Length from INFILESIZE; other methods override the verb.
            set(CURLOPT_UPLOAD, 1)
            codes.append(sb_curl_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.length)))
        }
        if sendsBody {
            codes.append(sb_curl_setopt_read(easy, curlReadCallback))
            codes.append(sb_curl_setopt_pointer(easy, CURLOPT_READDATA, context))
            codes.append(sb_curl_setopt_seek(easy, curlSeekCallback))
            codes.append(sb_curl_setopt_pointer(easy, CURLOPT_SEEKDATA, context))
        }
        switch method {
        case "GET" where !sendsBody:
            set(CURLOPT_HTTPGET, 1)
        case "HEAD", "POST", "PUT":
            break
        default:
            codes.append(sb_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
        }

        // A line break in a header would end it and start another (curl sends lines as given).
        if let (name, _) = request.headers.first(where: { ASCIICase.containsNewline($0.0) || ASCIICase.containsNewline($0.1) }) {
            throw HTTPClientError.invalidRequest("the header \(name.filter { !$0.isNewline }) has a line break in its name or value", url: request.url)
        }
        headerList = buildHeaderList(sendsBody: sendsBody)
        codes.append(sb_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            throw HTTPClientError.invalidRequest(
                "libcurl rejected an option: \(String(cString: curl_easy_strerror(failed))) (curl error \(failed.rawValue))",
                url: request.url)
        }
    }

    /// The request's headers in order, plus `Expect:` (no 100-continue round trip) and a
    /// Content-Type for bodies that have none, so curl never adds a form-urlencoded one.
    private func buildHeaderList(sendsBody: Bool) -> UnsafeMutablePointer<curl_slist>? {
        var lines: [String] = []
        for (name, value) in request.headers {
            // "Name:" would tell curl to remove the header; "Name;" sends it with no value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        let hasContentType = request.header("Content-Type") != nil
        if !hasContentType {
            if sendsBody && body.length > 0 {
                lines.append("Content-Type: application/octet-stream")
            } else if request.method.uppercased() == "POST" {
                lines.append("Content-Type:")
            }
        }
        if request.header("Expect") == nil { lines.append("Expect:") }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            list = curl_slist_append(list, line)
        }
        return list
    }

    // MARK: - Callbacks (event-loop thread)

    /// Copies up to `capacity` body bytes into `buffer`; returns the count, 0 at the end, or
    /// CURL_READFUNC_ABORT after recording a file error.
    fileprivate func readBody(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        switch body {
        case .none:
            return 0
        case .bytes(let bytes):
            let count = min(capacity, bytes.count - Int(bodySent))
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + Int(bodySent), byteCount: count)
            }
            bodySent += Int64(count)
            return count
        case .file(let path, let offset, let length):
            let wanted = Int(min(Int64(capacity), length - bodySent))
            guard wanted > 0 else { return 0 }
            while true {
                let got = pread(bodyFile, buffer, wanted, off_t(offset + bodySent))
                if got > 0 {
                    bodySent += Int64(got)
                    return got
                }
                if got < 0 && errno == EINTR { continue }
                if got == 0 {
                    callbackFailure = .fileTooShort(path: path, offset: offset, length: length,
                                                    size: offset + bodySent, url: request.url)
                } else {
                    callbackFailure = .fileIO("read", path: path, errno: errno, url: request.url)
                }
                return sb_curl_readfunc_abort()
            }
        }
    }

    /// Rewinds the body to `position`, for curl resending on a fresh connection.
    fileprivate func seekBody(to position: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, position >= 0, position <= body.length else { return CURL_SEEKFUNC_FAIL }
        bodySent = position
        return CURL_SEEKFUNC_OK
    }

    fileprivate func receiveHeader(_ line: UnsafeRawBufferPointer) {
        // Bytes, not Characters: this runs for every header line of every response.
        var end = line.count
        while end > 0, line[end - 1] == 0x0a || line[end - 1] == 0x0d { end -= 1 }
        let bytes = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if bytes.starts(with: "HTTP/".utf8) {
            // A new response (after a 100 Continue, say) starts its header block afresh.
            var index = 0
            while index < bytes.count, bytes[index] != 0x20 { index += 1 }
            while index < bytes.count, bytes[index] == 0x20 { index += 1 }
            var code = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 4 {
                code = code * 10 + Int(bytes[index] - 0x30)
                index += 1
                digits += 1
            }
            status = digits == 3 ? code : 0
            headers = HTTPResponseHeaders()
            return
        }
        guard let colon = bytes.firstIndex(of: 0x3a) else { return }
        var valueStart = colon + 1
        while valueStart < bytes.count, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
        var valueEnd = bytes.count
        while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        let name = String(unsafeUninitializedCapacity: colon) { buffer in
            for i in 0..<colon {
                let byte = bytes[i]
                buffer[i] = byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte
            }
            return colon
        }
        headers.append(lowercasedName: name, value: String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self))
    }

    /// Delivers `count` body bytes to the sink; returns `count`, or 0 (which makes curl stop
    /// with CURLE_WRITE_ERROR) after recording the failure.
    fileprivate func receiveBody(_ data: UnsafeRawBufferPointer) -> Int {
        let success = (200..<300).contains(status)
        switch sink {
        case .collect(let limit):
            guard collected.count + data.count <= limit else {
                callbackFailure = .responseBodyTooLarge(limit: limit, url: request.url)
                return 0
            }
            collected.append(contentsOf: data)
        case .file(let path) where success:
            if sinkFile < 0, let failure = openSinkFile(path) {
                callbackFailure = failure
                return 0
            }
            var written = 0
            while written < data.count {
                let result = write(sinkFile, data.baseAddress! + written, data.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    callbackFailure = .fileIO("write", path: path, errno: errno, url: request.url)
                    return 0
                }
                written += result
            }
        case .discard where success:
            break
        case .file, .discard:
            let room = HTTPResponseSink.errorBodyLimit - collected.count
            if room > 0 { collected.append(contentsOf: data.prefix(room)) }
        }
        return data.count
    }

    private func openSinkFile(_ path: String) -> HTTPClientError? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return .fileIO("create", path: path, errno: errno, url: request.url) }
        sinkFile = fd
        return nil
    }
}

private extension String {
    func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var result = Substring(self)
        while let last = result.last, predicate(last) { result = result.dropLast() }
        return String(result)
    }
}

private func transfer(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
}

private let curlReadCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, context in
    transfer(context).readBody(into: buffer!, capacity: size * count)
}

private let curlSeekCallback: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, Int32) -> Int32 = {
    context, offset, origin in
    transfer(context).seekBody(to: Int64(offset), origin: origin)
}

private let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, context in
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    transfer(context).receiveHeader(bytes)
    return length
}

private let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, context in
    transfer(context).receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

/// The TLS sessions HTTPS transfers share, one share per CA file they trust ("" for libcurl's
/// own): kept for the process, as few as the bundles it uses.
enum TLSSessionShares {
    /// A curl share handle; libcurl locks what it shares through the share's own mutexes.
    private struct Share: @unchecked Sendable { let handle: UnsafeMutableRawPointer? }
    private static let shares = Mutex<[String: Share]>([:])

    /// The share of the transfers trusting `caFile`; nil when libcurl cannot make one (each
    /// transfer then keeps its own sessions, as before).
    static func share(trusting caFile: String) -> UnsafeMutableRawPointer? {
        shares.withLock { shares in
            if let known = shares[caFile] { return known.handle }
            let made = Share(handle: sb_curl_share_tls_sessions())
            shares[caFile] = made
            return made.handle
        }
    }
}
