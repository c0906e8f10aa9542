import Synchronization

/// The additive-increase, multiplicative-decrease rule behind ``AdaptiveConcurrency``, as a
/// value: tests drive it outcome by outcome.
///
/// - Every `limit` successes in a row (one window of requests) raise the limit by 1, up to
///   `maximum`.
/// - A throttling response halves it, down to `minimum`; but only once per window: a throttle
///   from a request admitted before the last decrease (an older `epoch`) was sent at the old
///   rate and says nothing new, so a burst of throttles halves the limit once, not to 1.
public struct AIMDLimit: Sendable, Equatable {
    public private(set) var limit: Int
    public let minimum: Int
    public let maximum: Int
    /// Counts decreases; a request remembers the epoch it was admitted in.
    public private(set) var epoch: Int = 0
    /// Successes since the last change of the limit.
    public private(set) var successes: Int = 0

    public init(initial: Int, minimum: Int = 1, maximum: Int) {
        self.minimum = max(1, minimum)
        self.maximum = max(self.minimum, maximum)
        self.limit = min(self.maximum, max(self.minimum, initial))
    }

    /// Applies the outcome of a request admitted in `admittedEpoch`.
    public mutating func record(_ outcome: AdaptiveConcurrency.Outcome, admittedEpoch: Int) {
        switch outcome {
        case .success:
            successes += 1
            if successes >= limit {
                successes = 0
                limit = min(maximum, limit + 1)
            }
        case .throttled:
            guard admittedEpoch >= epoch else { return }
            limit = max(minimum, limit / 2)
            successes = 0
            epoch += 1
        case .neutral:
            break
        }
    }
}

/// Limits how many requests are in flight at once and adapts the limit to the service: it
/// grows while requests succeed and halves when the service throttles (AIMD, as TCP does), so
/// a deploy backs off from S3's 503 SlowDown instead of retrying at full rate.
///
/// Lock-based rather than an actor so ``release(_:outcome:)`` is synchronous and can run in a
/// `defer`. Waiters are served in arrival order.
public final class AdaptiveConcurrency: Sendable {
    /// How a request ended, as far as the limit is concerned.
    public enum Outcome: Sendable, Equatable {
        case success
        /// The service asked to slow down (429, SlowDown, Throttling…).
        case throttled
        /// Neither: a client error, a reset, a cancellation. The limit does not change.
        case neutral
    }

    /// Proof of a slot, returned to ``release(_:outcome:)`` exactly once.
    public struct Permit: Sendable {
        fileprivate let epoch: Int
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Permit, any Error>
    }

    private struct State {
        var rule: AIMDLimit
        var inFlight = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Starts at `initial` requests in flight, between `minimum` and `maximum`. The default 16
    /// matches the client's connections per host and the 8–16 per host S3 handles well.
    public init(initial: Int = 16, minimum: Int = 1, maximum: Int = 64) {
        state = Mutex(State(rule: AIMDLimit(initial: initial, minimum: minimum, maximum: maximum)))
    }

    /// The current limit.
    public var limit: Int { state.withLock { $0.rule.limit } }
    /// Requests holding a permit now.
    public var inFlight: Int { state.withLock { $0.inFlight } }
    /// The limit rule's full state, for tests and diagnostics.
    public var rule: AIMDLimit { state.withLock { $0.rule } }

    /// Waits until fewer than `limit` requests are in flight and takes a slot; throws
    /// `CancellationError` if the task is cancelled while waiting.
    public func acquire() async throws -> Permit {
        try Task.checkCancellation()
        let id = self.state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Permit, any Error>) in
                // Checked under the lock: cancellation sets the flag before running the handler
                // below, so either this sees it or the handler sees the waiter.
                let immediate: Result<Permit, any Error>? = self.state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.waiters.isEmpty && state.inFlight < state.rule.limit {
                        state.inFlight += 1
                        return .success(Permit(epoch: state.rule.epoch))
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns the slot of `permit`, records how its request ended, and admits waiters while
    /// there is room under the (possibly changed) limit.
    public func release(_ permit: Permit, outcome: Outcome) {
        let admitted = self.state.withLock { state -> [(Waiter, Permit)] in
            state.inFlight -= 1
            state.rule.record(outcome, admittedEpoch: permit.epoch)
            var admitted: [(Waiter, Permit)] = []
            while !state.waiters.isEmpty && state.inFlight < state.rule.limit {
                state.inFlight += 1
                admitted.append((state.waiters.removeFirst(), Permit(epoch: state.rule.epoch)))
            }
            return admitted
        }
        for (waiter, permit) in admitted { waiter.continuation.resume(returning: permit) }
    }
}
