import BuildSpec
import Testing

/// The table in the doc comment of PhaseTransition:
///
/// | phase fails in | default (no on-failure)           | ABORT | CONTINUE |
/// |----------------|-----------------------------------|-------|----------|
/// | install        | stop; no artifact upload          | stop  | next     |
/// | pre_build      | stop; no artifact upload          | stop  | next     |
/// | build          | post_build runs, SUCCEEDING=0     | stop  | next     |
/// | post_build     | artifact upload still attempted   | stop  | next     |
@Suite("PhaseTransition.after")
struct PhaseTransitionTests {
    static let defaultRow: [(PhaseName, PhaseTransition)] = [
        (.install, .stop(uploadArtifacts: false)),
        (.preBuild, .stop(uploadArtifacts: false)),
        (.build, .proceed),
        (.postBuild, .proceed),
    ]

    static let allSettings: [OnFailure] = [
        .default, .abort, .continue, .retry(count: 3, pattern: nil), .retry(count: 0, pattern: nil),
        .retry(count: 2, pattern: "timeout"),
    ]

    @Test(arguments: PhaseName.allCases, allSettings)
    func successAlwaysProceeds(_ phase: PhaseName, _ onFailure: OnFailure) {
        #expect(PhaseTransition.after(phase, failed: false, onFailure: onFailure) == .proceed)
        #expect(PhaseTransition.after(phase, failed: false, onFailure: onFailure, attempt: 9, output: "timeout") == .proceed)
    }

    @Test(arguments: defaultRow)
    func defaultColumn(_ phase: PhaseName, _ expected: PhaseTransition) {
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .default) == expected)
    }

    @Test func installFailureStopsWithoutUpload() {
        #expect(PhaseTransition.after(.install, failed: true, onFailure: .default) == .stop(uploadArtifacts: false))
        #expect(PhaseTransition.after(.install, failed: true, onFailure: .default) != .stop(uploadArtifacts: true))
    }

    @Test func buildFailureStillRunsPostBuild() {
        #expect(PhaseTransition.after(.build, failed: true, onFailure: .default) == .proceed)
    }

    @Test func postBuildFailureStillAttemptsUpload() {
        #expect(PhaseTransition.after(.postBuild, failed: true, onFailure: .default) == .proceed)
    }

    @Test(arguments: PhaseName.allCases)
    func abortColumn(_ phase: PhaseName) {
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .abort) == .stop(uploadArtifacts: false))
    }

    @Test(arguments: PhaseName.allCases)
    func continueColumn(_ phase: PhaseName) {
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .continue) == .proceed)
    }

    @Test(arguments: PhaseName.allCases, 1...3)
    func retryWhileAttemptsRemain(_ phase: PhaseName, _ attempt: Int) {
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .retry(count: 3, pattern: nil), attempt: attempt) == .retry)
    }

    @Test(arguments: defaultRow)
    func retryExhaustedFallsBackToDefault(_ phase: PhaseName, _ expected: PhaseTransition) {
        // RETRY (count 3): the first run and three retries, then the default row applies.
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .retry(count: 3, pattern: nil), attempt: 4) == expected)
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .retry(count: 3, pattern: nil), attempt: 10) == expected)
    }

    @Test(arguments: defaultRow)
    func retryZeroNeverRetries(_ phase: PhaseName, _ expected: PhaseTransition) {
        #expect(PhaseTransition.after(phase, failed: true, onFailure: .retry(count: 0, pattern: nil), attempt: 1) == expected)
    }

    @Test func retryCountIsExact() {
        let retry1 = OnFailure.retry(count: 1, pattern: nil)
        #expect(PhaseTransition.after(.build, failed: true, onFailure: retry1, attempt: 1) == .retry)
        #expect(PhaseTransition.after(.build, failed: true, onFailure: retry1, attempt: 2) == .proceed)
        #expect(PhaseTransition.after(.install, failed: true, onFailure: retry1, attempt: 2) == .stop(uploadArtifacts: false))
    }

    @Test(arguments: PhaseName.allCases)
    func retryWithMatchingPattern(_ phase: PhaseName) {
        let onFailure = OnFailure.retry(count: 2, pattern: "connection reset.*")
        let output = "curl: (56) Recv failure: connection reset by peer\n"
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 1, output: output) == .retry)
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 2, output: output) == .retry)
    }

    @Test(arguments: defaultRow)
    func retryWithPatternThatDoesNotMatch(_ phase: PhaseName, _ expected: PhaseTransition) {
        let onFailure = OnFailure.retry(count: 2, pattern: "connection reset.*")
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 1, output: "permission denied") == expected)
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 1, output: "") == expected)
    }

    @Test(arguments: defaultRow)
    func retryWithMatchingPatternButNoAttemptsLeft(_ phase: PhaseName, _ expected: PhaseTransition) {
        let onFailure = OnFailure.retry(count: 2, pattern: "timeout")
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 3, output: "read timeout") == expected)
    }

    @Test(arguments: PhaseName.allCases)
    func retryPatternMatchingTheErrorMessageRetries(_ phase: PhaseName) {
        let onFailure = OnFailure.retry(count: 2, pattern: "exit status (1|2)$")
        let message = "Error while executing command: npm ci. Reason: exit status 1"
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 1, output: "npm ERR!", message: message) == .retry)
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 2, output: "", message: message) == .retry)
        // Either one matching is enough: the output still counts.
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 1, output: "exit status 2",
                                      message: "Error while executing command: x. Reason: exit status 9") == .retry)
    }

    @Test(arguments: defaultRow)
    func retryPatternMatchingNeitherTheMessageNorTheOutputGivesUp(_ phase: PhaseName, _ expected: PhaseTransition) {
        let onFailure = OnFailure.retry(count: 2, pattern: "exit status 1$")
        #expect(PhaseTransition.after(phase, failed: true, onFailure: onFailure, attempt: 1, output: "npm ERR!",
                                      message: "Error while executing command: npm ci. Reason: exit status 127") == expected)
    }

    @Test func retryPatternIsARegularExpression() {
        let onFailure = OnFailure.retry(count: 3, pattern: "^HTTP 5[0-9]{2}$")
        #expect(PhaseTransition.after(.build, failed: true, onFailure: onFailure, output: "HTTP 503") == .retry)
        #expect(PhaseTransition.after(.build, failed: true, onFailure: onFailure, output: "HTTP 5xx") == .proceed)
        #expect(PhaseTransition.after(.build, failed: true, onFailure: onFailure, output: "HTTP 404") == .proceed)
    }

    @Test func parsedRetryDrivesTransitions() throws {
        let onFailure = try OnFailure.parse("RETRY-1-Throttl(ed|ing)").get()
        #expect(PhaseTransition.after(.preBuild, failed: true, onFailure: onFailure, attempt: 1, output: "Rate exceeded: Throttling") == .retry)
        #expect(PhaseTransition.after(.preBuild, failed: true, onFailure: onFailure, attempt: 2, output: "Throttled") == .stop(uploadArtifacts: false))
        #expect(PhaseTransition.after(.preBuild, failed: true, onFailure: onFailure, attempt: 1, output: "AccessDenied") == .stop(uploadArtifacts: false))
    }
}

@Suite("PhaseName")
struct PhaseNameTests {
    @Test func orderAndNames() {
        #expect(PhaseName.allCases == [.install, .preBuild, .build, .postBuild])
        #expect(PhaseName.allCases.map(\.rawValue) == ["install", "pre_build", "build", "post_build"])
        #expect(PhaseName.allCases.map(\.logName) == ["INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"])
        #expect(PhaseName.allCases.shuffled().sorted() == PhaseName.allCases)
        #expect(PhaseName.preBuild < .build)
        #expect(!(PhaseName.postBuild < .install))
    }
}
