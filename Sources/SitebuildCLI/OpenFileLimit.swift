import Deploy
import Foundation

/// The open-file limit (RLIMIT_NOFILE), which AWS work must stay under: every request in
/// flight holds a socket, an upload often a file too, and curl's event loop, libdispatch and
/// the deploy's own files need some more. Past the limit, libdispatch crashed (SIGILL, no
/// message) and curl's event loop stopped the process.
enum OpenFileLimit {
    /// Descriptors kept for everything but the connections: standard streams, curl's event
    /// loop, libdispatch, the manifest, stat cache, lock and credential files.
    static let reserved = 32
    /// Descriptors per connection: its socket and the file an upload reads.
    static let perConnection = 2
    /// Fewer connections than this and a deploy would crawl: the limit is refused instead.
    static let minimumConnections = 2

    /// Raises the soft limit to `wanted` (at most the hard limit) when it is lower, as many
    /// tools do: `ulimit -Sn` or a service manager's default may be low. Never past what is
    /// wanted: the build's commands, started later, inherit the limit. Returns the soft limit
    /// in force afterwards.
    static func raise(to wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        if limit.rlim_cur < rlim_t(wanted), limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)  // RLIM_INFINITY too
    }

    /// How many connections (and requests in flight) the AWS clients may use under a soft
    /// limit of `limit` descriptors: `maximum`, or fewer under a low limit; an error naming
    /// `ulimit -n` when even ``minimumConnections`` do not fit (exit 2: the user must raise it,
    /// a retry cannot help).
    static func connections(maximum: Int) throws -> Int {
        try connections(maximum: maximum, limit: raise(to: reserved + perConnection * maximum))
    }

    static func connections(maximum: Int, limit: Int) throws -> Int {
        let fitting = (limit - reserved) / perConnection
        guard fitting >= minimumConnections else {
            let needed = reserved + perConnection * minimumConnections
            throw DeployError("the open-file limit is \(limit), too low for AWS requests (at least \(needed) are needed, "
                + "\(reserved + perConnection * maximum) for full speed): raise it, e.g. `ulimit -n 4096`, and run again",
                              invalidInput: true)
        }
        return min(maximum, fitting)
    }
}
