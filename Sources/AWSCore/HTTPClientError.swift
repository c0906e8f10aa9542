import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// A request that could not be completed, with a sentence naming the URL, what failed and what
/// to do. A non-2xx response is not an error; see ``HTTPResponse``.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case connectFailed(detail: String)
        case timedOut(detail: String)
        case connectionReset(detail: String)
        /// What came back on a kept-alive connection was not HTTP: bytes an earlier answer
        /// left behind (a HEAD answer with a body, from a proxy or server that sends one).
        case garbledByEarlierAnswer(detail: String)
        case caBundleUnreadable(caFile: String, detail: String)
        case peerNotTrusted(caFile: String, detail: String)
        case tlsFailed(detail: String)
        case responseBodyTooLarge(limit: Int)
        case fileIO(operation: String, path: String, errno: Int32)
        case fileTooShort(path: String, offset: Int64, length: Int64, size: Int64)
        case invalidRequest(reason: String)
        case transferFailed(CurlError)
        case clientShutDown
        /// The proxy answered the CONNECT for an https:// URL with this status instead of a tunnel.
        case proxyRefused(status: Int, detail: String)
    }

    private let code: Code
    /// The URL of the request that failed.
    public let url: String
    /// The libcurl result code behind the failure, when there is one.
    public let curlCode: UInt32?
    /// The environment variable whose proxy the request went through (`HTTPS_PROXY`,
    /// `http_proxy`, `ALL_PROXY`, …), when one did: the messages name it.
    public let proxyVariable: String?

    private init(_ code: Code, url: String, curlCode: UInt32? = nil, proxyVariable: String? = nil) {
        self.code = code
        self.url = url
        self.curlCode = curlCode
        self.proxyVariable = proxyVariable
    }

    /// The TCP connection could not be established (refused, unreachable, name not resolved).
    public var isConnectFailure: Bool { if case .connectFailed = code { return true } else { return false } }

    /// A connect, low-speed or total timeout expired.
    public var isTimeout: Bool { if case .timedOut = code { return true } else { return false } }

    /// The connection broke or closed before a complete response arrived.
    public var isConnectionReset: Bool { if case .connectionReset = code { return true } else { return false } }

    /// The answer read on a kept-alive connection was not HTTP, most likely the rest of an
    /// earlier answer on it (a HEAD answer followed by a body): the same request on a new
    /// connection gets its own answer.
    public var isGarbledByEarlierAnswer: Bool {
        if case .garbledByEarlierAnswer = code { return true } else { return false }
    }

    /// The TLS handshake or certificate verification failed.
    public var isTLSFailure: Bool {
        switch code {
        case .caBundleUnreadable, .peerNotTrusted, .tlsFailed: return true
        default: return false
        }
    }

    /// A `.collect(limit:)` response body was longer than its limit.
    public var isResponseBodyTooLarge: Bool {
        if case .responseBodyTooLarge = code { return true } else { return false }
    }

    /// Reading the request body file or writing the response body file failed.
    public var isFileIO: Bool {
        switch code {
        case .fileIO, .fileTooShort: return true
        default: return false
        }
    }

    /// Whether sending the same request again may succeed: the failure was in the network,
    /// not in the request, the files or the TLS setup.
    public var isRetryable: Bool {
        if let status = proxyRefusal { return [502, 503, 504].contains(status) }
        return isConnectFailure || isTimeout || isConnectionReset || isGarbledByEarlierAnswer
    }

    /// The status the proxy answered the tunnel with instead of opening it, if it did.
    public var proxyRefusal: Int? { if case .proxyRefused(let status, _) = code { return status } else { return nil } }

    public var description: String {
        switch code {
        case .connectFailed(let detail):
            return "could not connect to \(url): \(detail); check the endpoint URL and that the service is reachable from here "
                + "(\(proxyVariable ?? "HTTPS_PROXY") and NO_PROXY apply)"
        case .timedOut(let detail):
            return "request to \(url) timed out: \(detail); the server or the network is too slow, retry later or raise the timeout"
        case .connectionReset(let detail):
            return "the connection to \(url) was reset before a complete response arrived: \(detail); the request can be retried"
        case .garbledByEarlierAnswer(let detail):
            return "the answer from \(url) on a kept-alive connection was not HTTP: \(detail); an earlier answer on that connection "
                + "carried more bytes than it should (a HEAD answer with a body, from a proxy or server in between); "
                + "the request can be retried on a new connection"
        case .caBundleUnreadable(let caFile, let detail):
            return "TLS verification for \(url) failed: the CA certificate bundle \(caFile) is missing or unreadable (\(detail)); install the ca-certificates package or set AWS_CA_BUNDLE (or SSL_CERT_FILE) to a PEM bundle"
        case .peerNotTrusted(let caFile, let detail):
            return "TLS verification for \(url) failed: the server certificate is not trusted by the CA bundle \(caFile) (\(detail)); check the endpoint URL and the system clock, or set AWS_CA_BUNDLE (or SSL_CERT_FILE) to a bundle that holds the issuing CA"
        case .tlsFailed(let detail):
            return "TLS handshake with \(url) failed: \(detail); check that the endpoint speaks HTTPS on that port"
        case .responseBodyTooLarge(let limit):
            return "the response body from \(url) is longer than the \(limit)-byte limit; stream it to a file instead of collecting it"
        case .fileIO(let operation, let path, let errno):
            return "could not \(operation) \(path) for the request to \(url): \(String(cString: strerror(errno))); check that the file exists and is accessible"
        case .fileTooShort(let path, let offset, let length, let size):
            return "\(path) holds \(size) bytes, fewer than the \(length) bytes at offset \(offset) to send to \(url); the file changed or the range is wrong"
        case .invalidRequest(let reason):
            return "cannot send the request to \(url): \(reason)"
        case .transferFailed(let curlError):
            return "request to \(url) failed: \(curlError.description)"
        case .clientShutDown:
            return "the HTTP client was shut down before the request to \(url) completed; keep the client alive until its requests finish"
        case .proxyRefused(let status, let detail):
            if status == 407 {
                return "the proxy (\(proxyVariable ?? "HTTPS_PROXY")) asks for credentials to reach \(url) (\(detail)): put them in its URL "
                    + "(http://user:password@proxy:port), or list the host in NO_PROXY"
            }
            return "the proxy (\(proxyVariable ?? "HTTPS_PROXY")) refused a tunnel to \(url) (\(detail))"
                + ([502, 503, 504].contains(status) ? "; it or the network may be failing, retry later"
                    : "; check the proxy's rules for this host, or list it in NO_PROXY")
        }
    }

    static func responseBodyTooLarge(limit: Int, url: String) -> HTTPClientError {
        HTTPClientError(.responseBodyTooLarge(limit: limit), url: url)
    }

    static func fileIO(_ operation: String, path: String, errno: Int32, url: String) -> HTTPClientError {
        HTTPClientError(.fileIO(operation: operation, path: path, errno: errno), url: url)
    }

    static func fileTooShort(path: String, offset: Int64, length: Int64, size: Int64, url: String) -> HTTPClientError {
        HTTPClientError(.fileTooShort(path: path, offset: offset, length: length, size: size), url: url)
    }

    static func invalidRequest(_ reason: String, url: String) -> HTTPClientError {
        HTTPClientError(.invalidRequest(reason: reason), url: url)
    }

    static func clientShutDown(url: String) -> HTTPClientError {
        HTTPClientError(.clientShutDown, url: url)
    }

    /// ``transfer(_:url:detail:caFile:proxyVariable:)`` for a raw CURLcode value; for modules
    /// (tests) that do not import CCurl.
    static func transfer(curlCode: UInt32, url: String, detail: String, caFile: String, proxyVariable: String? = nil,
                         reusedConnection: Bool = false) -> HTTPClientError {
        transfer(CURLcode(rawValue: curlCode), url: url, detail: detail, caFile: caFile, proxyVariable: proxyVariable,
                 reusedConnection: reusedConnection)
    }

    /// Classifies a failed transfer. `detail` is curl's error-buffer sentence (or its generic
    /// one); `caFile` is the CA bundle the transfer used, for the TLS sentences; `proxyVariable`
    /// the variable naming the proxy it went through, if any; `reusedConnection` whether it went
    /// over a connection kept alive from an earlier transfer.
    static func transfer(_ result: CURLcode, url: String, detail: String, caFile: String, proxyVariable: String? = nil,
                         reusedConnection: Bool = false) -> HTTPClientError {
        let kind: Code
        // curl: "CONNECT tunnel failed, response 407" (the proxy's answer, not the server's).
        if let range = detail.range(of: "CONNECT tunnel failed, response "),
           let status = Int(detail[range.upperBound...].prefix { $0.isNumber }) {
            return HTTPClientError(.proxyRefused(status: status, detail: detail), url: url, curlCode: result.rawValue, proxyVariable: proxyVariable)
        }
        switch result {
        case CURLE_UNSUPPORTED_PROTOCOL where reusedConnection, CURLE_WEIRD_SERVER_REPLY where reusedConnection:
            // curl: "Received HTTP/0.9 when not allowed", "Invalid status line": the rest of an
            // earlier answer read as this one's start.
            kind = .garbledByEarlierAnswer(detail: detail)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .connectFailed(detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timedOut(detail: detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_SEND_FAIL_REWIND, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            kind = .connectionReset(detail: detail)
        case CURLE_SSL_CACERT_BADFILE:
            kind = .caBundleUnreadable(caFile: caFile, detail: detail)
        case CURLE_PEER_FAILED_VERIFICATION:
            kind = .peerNotTrusted(caFile: caFile, detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED:
            kind = .tlsFailed(detail: detail)
        case CURLE_URL_MALFORMAT:
            kind = .invalidRequest(reason: detail)
        default:
            kind = .transferFailed(CurlError(code: result, context: detail))
        }
        return HTTPClientError(kind, url: url, curlCode: result.rawValue, proxyVariable: proxyVariable)
    }
}
