import Foundation

/// Keeps the credentials of another provider and fetches new ones only when the cached ones
/// expire within ``refreshWindow``. Concurrent callers share one refresh.
public actor CachingCredentialProvider: CredentialProvider {
    private let provider: any CredentialProvider
    private let now: @Sendable () -> Date
    /// How long before expiry credentials are refreshed.
    public let refreshWindow: TimeInterval
    private var cached: ResolvedCredentials?
    private var refresh: Task<ResolvedCredentials, any Error>?

    /// - Parameters:
    ///   - refreshWindow: seconds before expiry at which to refresh (five minutes by default).
    ///   - now: the clock; tests pass one they control.
    public init(_ provider: any CredentialProvider, refreshWindow: TimeInterval = 300,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.provider = provider
        self.refreshWindow = refreshWindow
        self.now = now
    }

    public func credentials() async throws -> ResolvedCredentials {
        if let cached, !needsRefresh(cached) { return cached }
        if let refresh { return try await refresh.value }

        let provider = self.provider
        let task = Task { try await provider.credentials() }
        refresh = task
        defer { refresh = nil }
        do {
            let fresh = try await task.value
            cached = fresh
            return fresh
        } catch {
            // A failed early refresh leaves still-valid credentials usable.
            if let cached, let expiration = cached.expiration, expiration > now() { return cached }
            cached = nil
            throw error
        }
    }

    /// Forgets the cached credentials, so the next call fetches new ones (after the service
    /// rejected them, say).
    public func invalidate() {
        cached = nil
    }

    private func needsRefresh(_ credentials: ResolvedCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(now()) <= refreshWindow
    }
}
