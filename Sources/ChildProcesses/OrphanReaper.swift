import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reaps the orphans a build leaves when sitebuild is PID 1 (a container's entrypoint, as in
/// `docker run sitebuild run`): a command's background process whose shell exited first (`(cmd &)`,
/// `nohup cmd &`) is re-parented to PID 1, and when it exits it stays a zombie until PID 1
/// waits for it. tini or `docker run --init` would do this; sitebuild does it itself.
///
/// A thread looks once a second whether a child of this process is a zombie (one `waitid`
/// that reaps nothing) and reaps those that ``OwnChildren`` does not know, by pid, never with
/// `waitpid(-1)`: a child sitebuild started itself keeps its exit status for its starter.
public enum OrphanReaper {
    private static let started = Mutex(false)

    /// Starts the reaping thread (once); sitebuild does when it is PID 1 of its PID namespace.
    public static func start() {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        Thread.detachNewThread {
            while true {
                reapOrphans()
                sleep(1)
            }
        }
    }

    /// Linux's __WALL: children of any kind, whatever signal they report their exit with.
    private static let allChildren: Int32 = 0x4000_0000

    /// Reaps each zombie child that ``OwnChildren`` does not know; returns how many.
    @discardableResult
    static func reapOrphans() -> Int {
        // The idle case costs one call: is any child a zombie? (WNOWAIT: it stays one.)
        var info = siginfo_t()
        guard waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | allChildren) == 0,
              info._sifields._sigchld.si_pid != 0 else { return 0 }
        let zombies = zombieChildren()
        guard !zombies.isEmpty else { return 0 }
        // Under the registry's lock: a child started meanwhile is recorded before it can be
        // a zombie here, and a zombie orphan's pid cannot be reused until it is reaped.
        return OwnChildren.withRegistry { isOwn in
            var reaped = 0
            for pid in zombies where !isOwn(pid) {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG | allChildren) == pid { reaped += 1 }
            }
            return reaped
        }
    }

    /// The pids of this process's children that are zombies, from /proc.
    private static func zombieChildren() -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let me = getpid()
        return entries.compactMap { entry in
            guard let pid = pid_t(entry), let (state, parent) = stateAndParent(pid), state == UInt8(ascii: "Z"), parent == me else { return nil }
            return pid
        }
    }

    /// The state letter and parent pid of `pid` from /proc/PID/stat.
    private static func stateAndParent(_ pid: pid_t) -> (UInt8, pid_t)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let bytes = buffer[0..<count]
        // "pid (comm) state ppid …": comm may itself hold spaces and parentheses, hence the last ")".
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard fields.count >= 2, let state = fields[0].first,
              let parent = pid_t(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return (state, parent)
    }
}
