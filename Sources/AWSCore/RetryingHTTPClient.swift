import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An ``HTTPClient`` that sends each request through another one, retrying transient failures
/// under a ``RetryPolicy`` and keeping the number of requests in flight under an
/// ``AdaptiveConcurrency`` limit.
///
/// - Each attempt sends the body again from its start (a file range is reopened and reread).
/// - A `.file` response sink is written to a temporary file beside the destination, renamed
///   over it only when an attempt succeeds, so a failed or retried download never leaves a
///   partial file where the caller looks.
/// - A 2xx body is checked for an S3 `<Error>` document only for PUT and POST requests with a
///   `.collect` sink (CopyObject, UploadPartCopy, CompleteMultipartUpload): a downloaded
///   object may itself be XML.
/// - An answer garbled by bytes an earlier answer left on its kept-alive connection (a proxy
///   that sends a body after a HEAD answer) is retried on a new connection.
/// - Waits use `Task.sleep`, so cancelling the task stops the retries at once.
/// - Unlike the underlying client, a response that is still retryable after the last attempt
///   (503 SlowDown five times) is thrown as a ``RetryExhaustedError`` that carries it, so a
///   200 with an `<Error>` document can never pass for a success.
public struct RetryingHTTPClient: HTTPClient {
    public let base: any HTTPClient
    public let policy: RetryPolicy
    /// The shared in-flight limit, or nil to leave concurrency to the caller.
    public let concurrency: AdaptiveConcurrency?

    public init(wrapping base: any HTTPClient, policy: RetryPolicy = RetryPolicy(),
                concurrency: AdaptiveConcurrency? = AdaptiveConcurrency()) {
        self.base = base
        self.policy = policy
        self.concurrency = concurrency
    }

    public func execute(_ request: HTTPRequest, body: HTTPRequestBody, responseBody: HTTPResponseSink) async throws -> HTTPResponse {
        var reasons: [RetryReason] = []
        var request = request
        let inspectsSuccessBody: Bool = {
            guard case .collect = responseBody else { return false }
            let method = request.method.uppercased()
            return method == "PUT" || method == "POST"
        }()
        while true {
            try Task.checkCancellation()
            let attemptSink: HTTPResponseSink
            var temporaryPath: String?
            if case .file(let path) = responseBody {
                let temporary = Self.temporaryPath(beside: path)
                temporaryPath = temporary
                attemptSink = .file(path: temporary)
            } else {
                attemptSink = responseBody
            }
            defer { if let temporaryPath { unlink(temporaryPath) } }

            let permit = try await concurrency?.acquire()
            let result: Result<HTTPResponse, any Error>
            do {
                result = .success(try await base.execute(request, body: body, responseBody: attemptSink))
            } catch {
                result = .failure(error)
            }
            let inspected: [UInt8]? = if inspectsSuccessBody, case .success(let response) = result { response.body } else { nil }
            let decision = RetryPolicy.decision(for: result, responseBody: inspected)
            if let permit { concurrency?.release(permit, outcome: Self.outcome(of: decision)) }

            switch decision {
            case .success:
                let response = try result.get()
                if case .file(let path) = responseBody, let temporaryPath, rename(temporaryPath, path) != 0 {
                    throw HTTPClientError.fileIO("rename the downloaded temporary file to", path: path, errno: errno, url: request.url)
                }
                return response
            case .fail:
                return try result.get()
            case .retry(let reason):
                if reason.isThrottling && !policy.retriesThrottling, case .success(let response) = result { return response }
                reasons.append(reason)
                // The connection held an earlier answer's leftovers; curl closed it, but others
                // kept alive may hold some too.
                if reason == .garbledByEarlierAnswer { request.opensNewConnection = true }
                if reasons.count >= policy.maxAttempts {
                    throw RetryExhaustedError(method: request.method, url: request.url, reasons: reasons,
                                              lastResponse: try? result.get(), lastError: Self.error(of: result))
                }
                try await Task.sleep(for: policy.delay(beforeRetry: reasons.count - 1, reason: reason))
            }
        }
    }

    private static func outcome(of decision: RetryDecision) -> AdaptiveConcurrency.Outcome {
        switch decision {
        case .success: return .success
        case .retry(let reason): return reason.isThrottling ? .throttled : .neutral
        case .fail: return .neutral
        }
    }

    private static func error(of result: Result<HTTPResponse, any Error>) -> (any Error)? {
        if case .failure(let error) = result { return error } else { return nil }
    }

    /// A unique name in the destination's directory, so the final rename stays on one
    /// file system and is atomic.
    private static func temporaryPath(beside path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).partial-\(UUID().uuidString.prefix(8))"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// A request that still failed after every attempt the ``RetryPolicy`` allows: the sentence
/// says how many attempts were made and why each failed.
public struct RetryExhaustedError: Error, Sendable, CustomStringConvertible {
    public let method: String
    public let url: String
    /// Why each attempt failed, in order; its count is the number of attempts.
    public let reasons: [RetryReason]
    /// The response of the last attempt, when it got one.
    public let lastResponse: HTTPResponse?
    /// The error of the last attempt, when it got no response (an ``HTTPClientError``).
    public let lastError: (any Error)?

    public var attempts: Int { reasons.count }

    /// Whether the service was throttling on the last attempt.
    public var wasThrottled: Bool { reasons.last?.isThrottling ?? false }

    public var description: String {
        let history = reasons.enumerated().map { "attempt \($0.offset + 1): \($0.element)" }.joined(separator: "; ")
        let advice = wasThrottled
            ? "the service is throttling; lower the concurrency or retry later"
            : "the service or the network is failing; retry later"
        var sentence = "\(method) \(url) failed after \(attempts) attempt\(attempts == 1 ? "" : "s") (\(history)); \(advice)"
        if let lastError { sentence += "; last error: \(lastError)" }
        return sentence
    }
}
