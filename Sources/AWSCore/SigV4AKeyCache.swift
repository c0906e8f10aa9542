import Synchronization

/// Derived SigV4A keys per (access key id, secret), so each key pair pays for the KDF and the
/// EC point multiplication once. Safe to share between tasks.
public final class SigV4AKeyCache: Sendable {
    /// The process-wide cache signers use unless given another.
    public static let shared = SigV4AKeyCache()

    /// Credentials rotate (STS, hourly); past this many entries the cache starts over.
    private static let capacity = 32

    /// Keyed by SHA-256 of the id and secret, so the cache holds no secret of its own.
    private let keys = Mutex<[String: SigV4APrivateKey]>([:])

    public init() {}

    /// The key for `credentials`, derived on first use.
    public func key(for credentials: AWSCredentials) throws -> SigV4APrivateKey {
        let id = SHA256.hash(Array(credentials.accessKeyId.utf8) + [0] + Array(credentials.secretAccessKey.utf8)).hexString
        if let cached = keys.withLock({ $0[id] }) { return cached }
        let derived = try SigV4APrivateKey.derive(accessKeyId: credentials.accessKeyId,
                                                  secretAccessKey: credentials.secretAccessKey)
        keys.withLock { keys in
            if keys.count >= SigV4AKeyCache.capacity { keys.removeAll() }
            keys[id] = derived
        }
        return derived
    }

    /// How many keys are held; for tests.
    public var count: Int { keys.withLock { $0.count } }
}
