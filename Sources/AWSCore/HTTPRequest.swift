/// One HTTP request as the client sends it: the signer has already produced every header.
public struct HTTPRequest: Sendable, Equatable {
    /// How long the client waits before giving up on a slow or silent server.
    public struct Timeouts: Sendable, Equatable {
        /// Seconds allowed for the TCP (and TLS) connection to be established.
        public var connect: Double
        /// Below this many bytes per second for `lowSpeedTime` seconds, the transfer is
        /// abandoned as stalled. Zero disables the check.
        public var lowSpeedLimit: Int
        /// Seconds the transfer may stay below `lowSpeedLimit`.
        public var lowSpeedTime: Int
        /// Seconds allowed for the whole exchange, or nil for no limit (large uploads are
        /// bounded by the low-speed check instead).
        public var total: Double?

        public init(connect: Double = 10, lowSpeedLimit: Int = 1, lowSpeedTime: Int = 60, total: Double? = nil) {
            self.connect = connect
            self.lowSpeedLimit = lowSpeedLimit
            self.lowSpeedTime = lowSpeedTime
            self.total = total
        }
    }

    /// The method token, upper case: `GET`, `PUT`, `POST`, `HEAD`, `DELETE`, ….
    public var method: String
    /// The absolute URL, already percent-encoded (as signed).
    public var url: String
    /// Whether ``url`` is `https:` (any case): sent over TLS.
    public var isHTTPS: Bool { url.utf8.prefix(6).map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }.elementsEqual("https:".utf8) }
    /// Header fields in the order they are sent; names keep the caller's spelling.
    public var headers: [(name: String, value: String)]
    public var timeouts: Timeouts
    /// Whether the server's TLS certificate and host name are checked against the CA bundle.
    /// Only tests against self-signed local endpoints should turn this off.
    public var verifyTLS: Bool
    /// Sent straight to the host, never through a proxy of the environment (`HTTPS_PROXY`,
    /// `http_proxy`, `ALL_PROXY`): the container credential endpoint and instance metadata,
    /// whose tokens and keys a proxy must not see (the AWS SDKs and CLI do the same).
    public var bypassesProxy: Bool
    /// Sent on a connection opened for it, not one kept alive from an earlier request: the
    /// retry of a request whose answer was garbled by bytes an earlier answer left on its
    /// connection (see ``HTTPClientError/isGarbledByEarlierAnswer``).
    public var opensNewConnection: Bool

    public init(method: String, url: String, headers: [(name: String, value: String)] = [],
                timeouts: Timeouts = Timeouts(), verifyTLS: Bool = true, bypassesProxy: Bool = false,
                opensNewConnection: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.timeouts = timeouts
        self.verifyTLS = verifyTLS
        self.bypassesProxy = bypassesProxy
        self.opensNewConnection = opensNewConnection
    }

    /// The value of the first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { ASCIICase.equalIgnoringCase($0.name, name) }?.value
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.timeouts == rhs.timeouts
            && lhs.verifyTLS == rhs.verifyTLS && lhs.bypassesProxy == rhs.bypassesProxy
            && lhs.opensNewConnection == rhs.opensNewConnection
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}
