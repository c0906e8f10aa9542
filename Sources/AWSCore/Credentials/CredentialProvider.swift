import Foundation

/// A source of AWS credentials: the environment, the shared files, a container or instance
/// metadata endpoint. Providers are small and composable; ``CredentialChain`` tries them in
/// order and ``CachingCredentialProvider`` keeps temporary ones until shortly before expiry.
public protocol CredentialProvider: Sendable {
    /// Returns credentials, or throws a ``CredentialError`` saying why this source has none
    /// (``CredentialError/isNotConfigured`` when the source is simply absent).
    func credentials() async throws -> ResolvedCredentials
}

/// Credentials together with where they came from and, for temporary ones, when they expire.
public struct ResolvedCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-lived keys.
    public var expiration: Date?
    /// The source, for messages: `environment`, `profile default (credential_process)`, ….
    public var source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil,
                expiration: Date? = nil, source: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    /// The key the signers use.
    public var awsCredentials: AWSCredentials {
        AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }
}

extension ResolvedCredentials: CustomStringConvertible {
    /// Names the key and the source but never prints the secret or the token.
    public var description: String {
        var text = "ResolvedCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>"
        if sessionToken != nil { text += ", sessionToken: <redacted>" }
        if let expiration { text += ", expiration: \(CredentialTimestamp.format(expiration))" }
        return text + ", source: \(source))"
    }
}

/// The ISO 8601 timestamps of credential documents (`2016-02-25T06:03:31Z`, optionally with
/// fractional seconds).
/// Parsed and written by arithmetic (`UTCTime`): ISO8601DateFormatter's first use loads ICU,
/// megabytes of a static binary paged in on every run with expiring (container, instance,
/// STS) credentials.
enum CredentialTimestamp {
    static func parse(_ text: String) -> Date? { UTCTime.parse(text) }

    static func format(_ date: Date) -> String { UTCTime.iso(date, milliseconds: false) }
}
