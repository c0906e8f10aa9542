import SiteContent

/// A build's final status, with CodeBuild's names.
public enum BuildStatus: String, Sendable {
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    case fault = "FAULT"
    case timedOut = "TIMED_OUT"
    case stopped = "STOPPED"
}

/// How one phase (or one attempt of a retried phase) ended.
public struct PhaseRecord: Sendable, Equatable {
    /// `DOWNLOAD_SOURCE`, `INSTALL`, …, `UPLOAD_ARTIFACTS`.
    public var name: String
    public var status: String
    public var durationMilliseconds: Int64
    public var contextCode: String
    public var contextMessage: String
    public var attempt: Int

    public var json: JSONValue {
        .object([("name", .string(name)), ("status", .string(status)), ("durationMs", .int(durationMilliseconds)),
                 ("attempt", .int(Int64(attempt))), ("contextCode", .string(contextCode)), ("contextMessage", .string(contextMessage))])
    }
}

/// Where one artifact (primary or secondary) was written.
public struct ArtifactOutput: Sendable, Equatable {
    /// nil for the primary artifact.
    public var identifier: String?
    public var name: String?
    public var files: [String]
    public var directory: String?
    public var zip: String?

    public var json: JSONValue {
        .object([("identifier", identifier.map(JSONValue.string) ?? .null), ("name", name.map(JSONValue.string) ?? .null),
                 ("directory", directory.map(JSONValue.string) ?? .null), ("zip", zip.map(JSONValue.string) ?? .null),
                 ("files", .array(files.map(JSONValue.string)))])
    }
}

/// Everything a build produced, for the CLI's exit code, JSON result and dotenv file.
public struct BuildResult: Sendable {
    public var status: BuildStatus
    /// The build's id, ARN and number: CodeBuild's when sitebuild runs inside a CodeBuild
    /// build, else sitebuild's own (a local build has an ARN in CodeBuild's shape).
    public var buildId: String
    public var buildArn: String?
    public var buildNumber: Int
    public var phases: [PhaseRecord]
    /// `env.exported-variables` with secrets masked: for the log and the JSON result.
    public var exportedVariables: [(name: String, value: String)]
    /// The same with their real values, for `--exported-variables-file` only (as CodeBuild hands
    /// the real values to CodePipeline); never logged.
    public var exportedValues: [(name: String, value: String)] = []
    public var artifacts: [ArtifactOutput]
    public var reports: [(group: String, files: [String])]
    public var durationMilliseconds: Int64
    /// Why the build ended early (fault, timeout, interrupt), if it did.
    public var message: String?
    /// For a FAULT: whether the user's input was wrong (exit 2) or a remote failed (exit 3).
    public var failureKind: FailureKind?

    public enum FailureKind: Sendable { case invalidInput, remote }

    /// Masks the build's secrets (its parameter-store and secrets-manager values) in a string:
    /// for what a later stage prints about the build's output (`run`'s deploy names paths and
    /// says why it failed).
    public var mask: @Sendable (String) -> String = { $0 }
    /// Whether showing a string would uncover one of the build's secrets (``SecretMasker/wouldReveal(_:)``):
    /// such a name is never kept readable beside them.
    public var wouldReveal: @Sendable (String) -> Bool = { _ in false }

    public var json: JSONValue {
        .object([
            ("status", .string(status.rawValue)),
            ("buildId", .string(buildId)),
            ("buildArn", buildArn.map(JSONValue.string) ?? .null),
            ("buildNumber", .int(Int64(buildNumber))),
            ("durationMs", .int(durationMilliseconds)),
            ("message", message.map(JSONValue.string) ?? .null),
            ("phases", .array(phases.map(\.json))),
            ("exportedVariables", .object(exportedVariables.map { ($0.name, .string($0.value)) })),
            ("artifacts", .array(artifacts.map(\.json))),
            ("reports", .object(reports.map { ($0.group, .array($0.files.map(JSONValue.string))) })),
        ])
    }
}
