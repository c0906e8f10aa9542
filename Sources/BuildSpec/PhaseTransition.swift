import Foundation

/// What the build does after a phase ends: CodeBuild's phase-transition table as a pure
/// function, so each rule has its own test.
///
/// | phase fails in | default (no on-failure)           | ABORT | CONTINUE |
/// |----------------|-----------------------------------|-------|----------|
/// | install        | stop; no artifact upload          | stop  | next     |
/// | pre_build      | stop; no artifact upload          | stop  | next     |
/// | build          | post_build runs, SUCCEEDING=0     | stop  | next     |
/// | post_build     | artifact upload still attempted   | stop  | next     |
///
/// `RETRY…` re-runs the phase while attempts remain (and the pattern matches the phase's
/// error message or the failed command's output); after that the default row applies. Any failure makes the build FAILED.
public enum PhaseTransition: Sendable, Equatable {
    /// Go on with the next phase (or the artifact upload after post_build).
    case proceed
    /// Run the same phase again (attempt numbers start at 1).
    case retry
    /// End the build now; `uploadArtifacts` says whether UPLOAD_ARTIFACTS is still attempted.
    case stop(uploadArtifacts: Bool)

    /// Decides what follows `phase`.
    /// - Parameters:
    ///   - failed: whether any command of the phase (commands or finally) failed.
    ///   - attempt: how many times the phase has run so far, this run included.
    ///   - output: the failed command's output, for `RETRY-<regex>`.
    ///   - message: the phase's error message (its context message, `Error while executing
    ///     command: … Reason: exit status 1`), which AWS documents `RETRY-<regex>` as matched
    ///     against; a pattern matching either this or `output` retries.
    public static func after(_ phase: PhaseName, failed: Bool, onFailure: OnFailure,
                             attempt: Int = 1, output: String = "", message: String = "") -> PhaseTransition {
        guard failed else { return .proceed }
        switch onFailure {
        case .abort:
            return .stop(uploadArtifacts: false)
        case .continue:
            return .proceed
        case .retry(let count, let pattern):
            if attempt <= count && (matches(pattern, message) || matches(pattern, output)) { return .retry }
            return defaultTransition(phase)
        case .default:
            return defaultTransition(phase)
        }
    }

    static func defaultTransition(_ phase: PhaseName) -> PhaseTransition {
        switch phase {
        case .install, .preBuild: return .stop(uploadArtifacts: false)
        case .build, .postBuild: return .proceed
        }
    }

    static func matches(_ pattern: String?, _ output: String) -> Bool {
        guard let pattern else { return true }
        return output.range(of: pattern, options: .regularExpression) != nil
    }
}
