/// Why an exchange is worth sending again.
public enum RetryReason: Sendable, Equatable, CustomStringConvertible {
    /// The service asked the client to slow down: 429, or a throttling code such as `SlowDown`,
    /// `ThrottlingException` or `RequestLimitExceeded`.
    case throttled(status: Int, code: String?)
    /// 500, 502, 503 or 504, or a transient code (`InternalError`, `ServiceUnavailable`,
    /// `RequestTimeout`) on another status.
    case serviceError(status: Int, code: String?)
    /// A 2xx response whose body is an S3 `<Error>` document.
    case errorInSuccessResponse(status: Int, code: String)
    /// The connection broke before the whole response arrived.
    case connectionReset
    /// The answer on a kept-alive connection was not HTTP (an earlier answer's leftover
    /// bytes); the retry opens a new connection.
    case garbledByEarlierAnswer
    /// A connect, low-speed or total timeout expired.
    case timedOut
    /// The connection could not be established.
    case connectFailed
    /// The proxy answered the tunnel with 502, 503 or 504 (it or the network failing).
    case proxyFailed(status: Int)

    /// Whether the service is shedding load, which should lower the request rate as well as
    /// delay the retry.
    public var isThrottling: Bool { if case .throttled = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .throttled(let status, let code): return "throttled (HTTP \(status)\(code.map { " \($0)" } ?? ""))"
        case .serviceError(let status, let code): return "HTTP \(status)\(code.map { " \($0)" } ?? "")"
        case .errorInSuccessResponse(let status, let code): return "HTTP \(status) with an \(code) error document"
        case .connectionReset: return "connection reset"
        case .garbledByEarlierAnswer: return "answer garbled by an earlier one on the connection"
        case .timedOut: return "timed out"
        case .connectFailed: return "could not connect"
        case .proxyFailed(let status): return "the proxy refused the tunnel (HTTP \(status))"
        }
    }
}

/// What to do with the outcome of one attempt.
public enum RetryDecision: Sendable, Equatable {
    /// The exchange succeeded; hand the response to the caller.
    case success
    /// A transient failure; send the request again after a delay.
    case retry(RetryReason)
    /// A final outcome that sending again cannot change (4xx, TLS, file, cancellation): hand
    /// the response or error to the caller as it is.
    case fail
}

/// When and how soon to send a failed request again.
///
/// - Up to ``maxAttempts`` attempts (5 by default: the SDKs' "standard" mode uses 3, but a
///   deploy that fails halfway costs more than a few seconds of extra waiting).
/// - "Full jitter" exponential backoff: before retry `n` (0 for the first), wait a uniformly
///   random time in `0 ... min(maxDelay, base * 2^n)`, so clients that failed together do
///   not come back together. Throttling uses the longer ``throttlingBaseDelay``.
/// - Only failures that a later attempt can fix are retried; see ``decision(for:responseBody:)``.
public struct RetryPolicy: Sendable {
    /// Attempts in total, the first included; 1 disables retries.
    public var maxAttempts: Int
    /// The backoff base for server errors, resets and timeouts.
    public var baseDelay: Duration
    /// The backoff base for throttling responses, which need the rate to drop for longer.
    public var throttlingBaseDelay: Duration
    /// The longest single wait.
    public var maxDelay: Duration
    /// Returns a number in `0 ... 1`; tests inject a fixed or seeded source.
    public var random: @Sendable () -> Double
    /// Whether a throttling response is retried here. A caller with its own backoff for it
    /// (CloudFront invalidations, bounded by `--wait-timeout`) sets false: the response is
    /// then returned as it came.
    public var retriesThrottling: Bool

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(100),
                throttlingBaseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(20),
                retriesThrottling: Bool = true,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.throttlingBaseDelay = throttlingBaseDelay
        self.maxDelay = maxDelay
        self.retriesThrottling = retriesThrottling
        self.random = random
    }

    /// The upper bound of the wait before retry `retry` (0 for the first retry):
    /// `min(maxDelay, base * 2^retry)`.
    public func delayCeiling(beforeRetry retry: Int, reason: RetryReason) -> Duration {
        let base = reason.isThrottling ? throttlingBaseDelay : baseDelay
        // 2^30 times any sensible base is past any sensible cap; stop doubling there.
        let doubled = base * (1 << min(max(retry, 0), 30))
        return min(maxDelay, doubled)
    }

    /// The wait before retry `retry`: a uniformly random fraction of ``delayCeiling(beforeRetry:reason:)``.
    public func delay(beforeRetry retry: Int, reason: RetryReason) -> Duration {
        let fraction = min(1, max(0, random()))
        return delayCeiling(beforeRetry: retry, reason: reason) * fraction
    }

    /// Error codes that mean "slow down", on whatever status they come with.
    /// `TooManyInvalidationsInProgress` is CloudFront's 400 for too many open invalidations;
    /// it clears only as invalidations finish, so it gets the throttling backoff.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "RequestLimitExceeded", "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "RequestThrottled", "SlowDown", "TooManyInvalidationsInProgress", "BandwidthLimitExceeded",
        "EC2ThrottledException", "PriorRequestNotComplete", "TransactionInProgressException",
    ]

    /// Error codes of transient server-side failures, retried on whatever status they come with
    /// (S3 sends `RequestTimeout` with 400, and `ConditionalRequestConflict` with 409 when a
    /// conditional write met a concurrent one: "retry the upload").
    public static let transientCodes: Set<String> = [
        "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException",
        "InternalFailure", "ServiceUnavailableException", "ConditionalRequestConflict",
    ]

    /// Statuses retried whatever their body says.
    public static let transientStatuses: Set<Int> = [500, 502, 503, 504]

    /// Classifies the outcome of one attempt. Pure: the same outcome always gets the same decision.
    ///
    /// - `responseBody` is the body of a 2xx response to check for an S3 `<Error>` document,
    ///   or nil when the body must not be read as one (a download whose content may well be
    ///   XML, or a body streamed to a file). Non-2xx responses are classified from
    ///   ``HTTPResponse/body``, which always holds their error document.
    /// - Retried: 500/502/503/504; 429 and throttling codes; transient codes on any status;
    ///   2xx with an `<Error>` document; connection resets, timeouts and connect failures; an
    ///   answer garbled by an earlier one's leftover bytes on a kept-alive connection; a
    ///   proxy's 502/503/504 to the tunnel.
    /// - Never retried: other 4xx (a wrong signature or a missing key stays wrong), TLS and
    ///   file errors, cancellation.
    public static func decision(for result: Result<HTTPResponse, any Error>, responseBody: [UInt8]?) -> RetryDecision {
        switch result {
        case .failure(let error):
            guard let error = error as? HTTPClientError else { return .fail }
            if error.isConnectionReset { return .retry(.connectionReset) }
            if error.isGarbledByEarlierAnswer { return .retry(.garbledByEarlierAnswer) }
            if error.isTimeout { return .retry(.timedOut) }
            if error.isConnectFailure { return .retry(.connectFailed) }
            if let status = error.proxyRefusal, error.isRetryable { return .retry(.proxyFailed(status: status)) }
            return .fail
        case .success(let response):
            if response.isSuccess {
                if let body = responseBody, let code = ServiceErrorCode.errorDocumentCode(in: body) {
                    return .retry(.errorInSuccessResponse(status: response.status, code: code))
                }
                return .success
            }
            let code = ServiceErrorCode.parse(headers: response.headers, body: response.body)
            if response.status == 429 || code.map(throttlingCodes.contains) == true {
                return .retry(.throttled(status: response.status, code: code))
            }
            if transientStatuses.contains(response.status) || code.map(transientCodes.contains) == true {
                return .retry(.serviceError(status: response.status, code: code))
            }
            return .fail
        }
    }
}
