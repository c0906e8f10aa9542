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

/// Runs synchronous `body` (worker threads, which cannot see the task) with a flag it polls
/// between pieces of work: true once the calling task is cancelled (a deploy interrupted by a
/// signal), so hashing and local copies stop between files.
func withCancellationFlag<T>(_ body: (_ cancelled: @escaping @Sendable () -> Bool) throws -> T) async rethrows -> T {
    let cancelled = Locked(false)
    return try await withTaskCancellationHandler {
        try body { cancelled.withLock { $0 } }
    } onCancel: {
        cancelled.withLock { $0 = true }
    }
}
