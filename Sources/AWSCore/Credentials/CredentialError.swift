/// Why a credential source yielded no credentials, as a sentence that names the source, what
/// was wrong and what to do. Never contains secret values.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case notConfigured(reason: String)
        case failed(reason: String)
        case misconfigured(reason: String)
        case chainExhausted(attempts: [(source: String, reason: String)])
        case regionMissing(profile: String)
        case regionInvalid(name: String, setting: String)
    }

    private let code: Code
    /// Said after the reason: why a chain stopped at this source.
    private var note: String?
    /// The source that failed: `environment`, `container endpoint`, ….
    public let source: String

    private init(_ code: Code, source: String) {
        self.code = code
        self.source = source
    }

    /// The source is not set up here (no variables, no file, no profile); the next one may be.
    public static func notConfigured(_ source: String, _ reason: String) -> CredentialError {
        CredentialError(.notConfigured(reason: reason), source: source)
    }

    /// The source is set up but did not produce credentials.
    public static func failed(_ source: String, _ reason: String) -> CredentialError {
        CredentialError(.failed(reason: reason), source: source)
    }

    /// The source is set up, but wrongly (half of a key pair, a role without a source, a
    /// profile that is not there): the user must fix the configuration, a retry cannot help.
    public static func misconfigured(_ source: String, _ reason: String) -> CredentialError {
        CredentialError(.misconfigured(reason: reason), source: source)
    }

    /// No provider of a chain produced credentials; `attempts` gives each one's reason.
    static func chainExhausted(_ attempts: [(source: String, reason: String)]) -> CredentialError {
        CredentialError(.chainExhausted(attempts: attempts), source: "credential chain")
    }

    /// No region is configured anywhere ``RegionResolver`` looks.
    static func regionMissing(profile: String) -> CredentialError {
        CredentialError(.regionMissing(profile: profile), source: "region")
    }

    /// A region that is not a host label (`eu-central-1 `, `x.evil.com#`): it would become part
    /// of every endpoint's host name. `setting` names where it was set.
    static func regionInvalid(name: String, setting: String) -> CredentialError {
        CredentialError(.regionInvalid(name: name, setting: setting), source: "region")
    }

    /// This error as a chain reports it when it stops at this source: later sources are not
    /// tried, since a source that is set up but fails must not be replaced by another identity
    /// (a container's or an instance's role) without a word.
    func stoppingTheChain() -> CredentialError {
        var stopped = self
        stopped.note = "this source is configured, so sitebuild stops here, as the AWS CLI does, instead of using a later one "
            + "(a profile, the container's or the instance's role); fix it, or unset what configures it"
        return stopped
    }

    public var isNotConfigured: Bool { if case .notConfigured = code { return true } else { return false } }

    /// The local configuration is wrong (``misconfigured(_:_:)``, or no region): exit 2, where a
    /// source that was refused or did not answer is a remote failure.
    public var isMisconfiguration: Bool {
        switch code {
        case .misconfigured, .regionMissing, .regionInvalid: return true
        case .notConfigured, .failed, .chainExhausted: return false
        }
    }

    /// The region is set, but is not a region name.
    public var isInvalidRegion: Bool { if case .regionInvalid = code { return true } else { return false } }

    /// The reason alone, without the source name.
    public var reason: String {
        switch code {
        case .notConfigured(let reason), .failed(let reason), .misconfigured(let reason): return reason
        case .chainExhausted, .regionMissing, .regionInvalid: return description
        }
    }

    public var description: String {
        switch code {
        case .notConfigured(let reason):
            return "\(source): not configured: \(reason)"
        case .failed(let reason), .misconfigured(let reason):
            return "\(source): \(reason)" + (note.map { "; \($0)" } ?? "")
        case .chainExhausted(let attempts):
            let lines = attempts.map { "  - \($0.source): \($0.reason)" }
            return "no AWS credentials found; tried, in order:\n" + lines.joined(separator: "\n")
                + "\nset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with --profile or AWS_PROFILE, or run where a container or instance role is available"
        case .regionMissing(let profile):
            return "no AWS region configured; pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or add `region = …` to profile \(profile) in the AWS config file"
        case .regionInvalid(let name, let setting):
            let shown = name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : $0.escaped(asASCII: true) }.joined()
            return "\(setting): '\(shown)' is not a region name: write lower-case letters, digits and single hyphens, "
                + "such as eu-central-1 (no spaces, dots or other characters)"
        }
    }
}
