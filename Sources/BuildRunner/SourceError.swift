/// A source that could not be resolved: one sentence naming the source (credentials
/// redacted), what went wrong and what to do.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The user's input is wrong or hostile: a bad path or URL, an unknown ref, a
        /// refused archive (exit code 2).
        case invalidInput
        /// Something remote failed: the network, S3, the git server (exit code 3).
        case unavailable
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
