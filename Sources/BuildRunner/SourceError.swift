import Foundation

/// A source that could not be resolved: one sentence naming the source (credentials
/// redacted), what went wrong and what to do.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The user's input is wrong or hostile: a bad path or URL, an unknown ref, a
        /// refused archive (exit code 2).
        case invalidInput
        /// Something remote failed: the network, S3, the git server (exit code 3).
        case unavailable
        /// A signal (or the timeout) stopped the fetch, the copy or the extraction; what it
        /// started was stopped and its partial tree removed (exit code 130).
        case interrupted
    }

    public let kind: Kind
    public let description: String
    /// What stopped an ``Kind/interrupted`` fetch: a signal, or the timeout (which ends the
    /// command as a build that timed out does).
    public internal(set) var interruption: Cancellation.Reason? = nil

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

extension SourceError {
    /// The fetch, copy or extraction `during` ("while git was to clone …") was cut off by `reason`.
    public static func interrupted(_ reason: Cancellation.Reason, _ during: String) -> SourceError {
        let cause: String
        switch reason {
        case .timedOut:
            var error = SourceError(.interrupted, "the build timed out \(during) (--timeout covers fetching the source, as CodeBuild's "
                + "timeout covers DOWNLOAD_SOURCE): what it started was stopped and nothing was built; set --timeout to allow longer")
            error.interruption = reason
            return error
        case .interrupted(let signal): cause = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "signal \(signal)"
        }
        var error = SourceError(.interrupted, "interrupted by \(cause) \(during): what it started was stopped and nothing was built "
            + "(the next run fetches the source afresh)")
        error.interruption = reason
        return error
    }
}
