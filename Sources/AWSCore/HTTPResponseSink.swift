/// Where the body of a response goes.
///
/// With `.file` and `.discard`, the body of a response whose status is not 2xx is collected
/// into ``HTTPResponse/body`` instead (up to ``HTTPResponseSink/errorBodyLimit`` bytes), so
/// callers can read the service's error document and the file never holds one.
public enum HTTPResponseSink: Sendable, Equatable {
    /// Keep the body in memory; a body longer than `limit` bytes fails the request with
    /// ``HTTPClientError/responseBodyTooLarge``.
    case collect(limit: Int)
    /// Stream the body into the file at `path`, created or truncated when the first byte of a
    /// 2xx body arrives. If the transfer then fails, the file holds what arrived so far.
    case file(path: String)
    /// Read and drop the body.
    case discard

    /// The collect limit of the convenience `execute(_:limit:)`.
    public static let defaultCollectLimit = 16 * 1024 * 1024
    /// How much of a non-2xx body `.file` and `.discard` keep for the caller.
    public static let errorBodyLimit = 1024 * 1024
}
