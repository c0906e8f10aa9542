import Foundation

/// The ``HTTPClient`` of the real program: libcurl's multi interface on one event-loop
/// thread, HTTP/1.1 with keep-alive connections shared by all requests of the client.
///
/// - TLS peers are verified against the system CA bundle (or `caBundlePath`); a missing
///   bundle fails with an error naming the file.
/// - Proxies come from the environment as libcurl reads it: `http_proxy` (lower case only),
///   `HTTPS_PROXY`/`https_proxy`, `ALL_PROXY`, and `NO_PROXY` for hosts to reach directly;
///   a request that ``HTTPRequest/bypassesProxy`` goes direct whatever they say.
/// - Bodies are streamed: a file range is read while it is sent, and a response can be
///   written to a file as it arrives.
/// - File reads and writes happen on the event-loop thread; they are page-cache speed, so
///   they do not stall other transfers noticeably.
public final class CurlHTTPClient: HTTPClient {
    public struct Configuration: Sendable {
        /// Connections open at once to one host; further requests wait for a free one.
        public var maxConnectionsPerHost: Int
        /// Connections open at once overall.
        public var maxTotalConnections: Int
        /// The PEM CA bundle used to verify servers (`AWS_CA_BUNDLE`, else `SSL_CERT_FILE`), or nil for libcurl's default (the system
        /// bundle, /etc/ssl/certs/ca-certificates.crt on Debian and Ubuntu).
        public var caBundlePath: String?
        /// The proxy for https:// URLs (`HTTPS_PROXY`/`https_proxy`, else `ALL_PROXY`).
        public var httpsProxy: String?
        /// The proxy for http:// URLs (`http_proxy`, else `ALL_PROXY`; curl ignores
        /// upper-case `HTTP_PROXY` for CGI safety, and so does this).
        public var httpProxy: String?
        /// Hosts reached directly (`NO_PROXY`/`no_proxy`: comma-separated names, `*` for all).
        public var noProxy: String?
        /// The variables `httpsProxy` and `httpProxy` came from, for the messages.
        public var httpsProxyVariable: String?
        public var httpProxyVariable: String?

        /// Settings read from `environment` (the process environment by default), so a
        /// client's proxy use is decided once and can be tested without changing the process.
        public init(maxConnectionsPerHost: Int = 16, maxTotalConnections: Int = 64,
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            func variable(_ names: String...) -> (name: String, value: String)? {
                names.lazy.compactMap { name in environment[name].map { (name: name, value: $0) } }.first { !$0.value.isEmpty }
            }
            func first(_ names: String...) -> String? {
                names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
            }
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            // AWS_CA_BUNDLE first, as the AWS SDKs and CLI read it (a CI runner behind a
            // TLS-inspecting proxy sets it for the AWS tools), then OpenSSL's SSL_CERT_FILE.
            self.caBundlePath = first("AWS_CA_BUNDLE", "SSL_CERT_FILE")
            let https = variable("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
            let http = variable("http_proxy", "all_proxy", "ALL_PROXY")
            self.httpsProxy = https?.value
            self.httpsProxyVariable = https?.name
            self.httpProxy = http?.value
            self.httpProxyVariable = http?.name
            self.noProxy = first("no_proxy", "NO_PROXY")
        }
    }

    public let configuration: Configuration
    private let loop: CurlEventLoop

    /// Starts the client's event-loop thread.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.loop = CurlEventLoop(maxConnectionsPerHost: max(1, configuration.maxConnectionsPerHost),
                                  maxTotalConnections: max(1, configuration.maxTotalConnections))
    }

    deinit { loop.shutdown() }

    public func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        try Task.checkCancellation()
        // No proxy for a request that bypasses it: an empty CURLOPT_PROXY, and libcurl does not
        // read the environment's either.
        let https = request.isHTTPS
        let proxy = request.bypassesProxy ? nil : https ? configuration.httpsProxy : configuration.httpProxy
        let transfer = try CurlTransfer(request: request, body: body, sink: responseBody, caBundlePath: configuration.caBundlePath,
                                        proxy: proxy, proxyVariable: https ? configuration.httpsProxyVariable : configuration.httpProxyVariable,
                                        noProxy: request.bypassesProxy ? nil : configuration.noProxy)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.start(continuation)
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}
