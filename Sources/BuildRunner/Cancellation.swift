import Synchronization

/// Set from a signal handler or a deadline; the process runner polls it and stops the
/// running command's process group.
public final class Cancellation: Sendable {
    public enum Reason: Sendable, Equatable {
        case interrupted(signal: Int32)
        case timedOut
    }

    private let state = Mutex<Reason?>(nil)

    public init() {}

    public func cancel(_ reason: Reason) {
        state.withLock { current in
            if current == nil { current = reason }
        }
    }

    public var reason: Reason? { state.withLock { $0 } }
    public var isCancelled: Bool { reason != nil }
}
