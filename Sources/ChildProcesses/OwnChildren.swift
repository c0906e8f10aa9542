import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The child processes this process started and waits for itself (build commands, git, a
/// credential_process, `watch`'s runs), so that ``OrphanReaper`` never reaps one of them:
/// their exit status is their starter's to collect with `waitpid(pid)`.
///
/// Every place that starts a child does so inside ``start(_:)``, which holds the registry's
/// lock from before the child exists until its pid is recorded; the reaper checks the
/// registry and reaps under the same lock. A child that exits at once is therefore either
/// recorded when the reaper looks, or did not exist yet.
public enum OwnChildren {
    /// pid → how many starts recorded it and have not released it yet (a count: a pid can be
    /// reused by a new child before the starter of the old one has released it).
    private static let registered = Mutex<[pid_t: Int]>([:])

    /// Runs `body`, which starts one child and returns its pid, with the registry locked, and
    /// records the pid before the lock is released. The caller waits for the child and then
    /// calls ``release(_:)``.
    public static func start(_ body: () throws -> pid_t) throws -> pid_t {
        try registered.withLock { pids in
            let pid = try body()
            pids[pid, default: 0] += 1
            return pid
        }
    }

    /// Forgets `pid` once its starter has waited for it (or given up on it: a zombie left
    /// unwaited is then the reaper's).
    public static func release(_ pid: pid_t) {
        registered.withLock { pids in
            guard let count = pids[pid] else { return }
            pids[pid] = count > 1 ? count - 1 : nil
        }
    }

    /// Runs `body` with the registry locked, telling it whether a pid is recorded.
    static func withRegistry<Result>(_ body: ((pid_t) -> Bool) -> Result) -> Result {
        registered.withLock { pids in
            let snapshot = pids
            return body { snapshot[$0] != nil }
        }
    }
}
