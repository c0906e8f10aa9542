/// Runs `body` to its end even when the calling task is cancelled: in a detached task, which
/// the caller's cancellation does not reach. A deploy interrupted by a signal (its task
/// cancelled) still releases its claim, aborts its multipart uploads, and finishes a flip it
/// had begun, so the interruption leaves no lock, no stored parts and no half-recorded release.
public func uncancelled<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task.detached(operation: body).value
}

/// ``uncancelled(_:)`` for work that does not throw.
public func uncancelled<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
    await Task.detached(operation: body).value
}
