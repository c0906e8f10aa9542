/// The status, headers and (when collected) body of a completed exchange.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPResponseHeaders
    /// The body with ``HTTPResponseSink/collect(limit:)``, the error document of a non-2xx
    /// response with the other sinks, and empty otherwise.
    public var body: [UInt8]

    public init(status: Int, headers: HTTPResponseHeaders = HTTPResponseHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
