import Synchronization

/// Set from a signal handler or a deadline; the process runner polls it and stops the
/// running command's process group.
public final class Cancellation: Sendable {
    public enum Reason: Sendable, Equatable {
        case interrupted(signal: Int32)
        case timedOut
    }

    private let state = Mutex<Reason?>(nil)
    /// One whose reason is this one's too (the build's, for a step with a timeout of its own).
    private let parent: Cancellation?

    public init() { parent = nil }

    /// Set by its own ``cancel(_:)`` or by `parent`'s: a step's own timeout within a build that
    /// a signal may stop.
    public init(following parent: Cancellation) { self.parent = parent }

    public func cancel(_ reason: Reason) {
        state.withLock { current in
            if current == nil { current = reason }
        }
    }

    public var reason: Reason? { state.withLock { $0 } ?? parent?.reason }
    public var isCancelled: Bool { reason != nil }
}
