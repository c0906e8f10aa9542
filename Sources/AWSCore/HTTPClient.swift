/// Sends HTTP requests to a remote service. AWS service clients depend on this protocol, not on
/// libcurl, so tests can substitute a fake that fails on cue.
public protocol HTTPClient: Sendable {
    /// Sends `request` with `body`, delivers the response body to `responseBody`, and returns
    /// the status and headers once the whole response has arrived.
    ///
    /// A non-2xx status is a response, not an error; errors are failures to complete the
    /// exchange (``HTTPClientError``), or `CancellationError` when the calling task is cancelled.
    func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse
}

extension HTTPClient {
    /// Sends `request` with no body and collects up to `limit` bytes of response body.
    public func execute(_ request: HTTPRequest, limit: Int = HTTPResponseSink.defaultCollectLimit) async throws -> HTTPResponse {
        try await execute(request, body: .none, responseBody: .collect(limit: limit))
    }
}
