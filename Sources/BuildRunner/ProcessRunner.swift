import ChildProcesses
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child process ended. A non-zero status is data, not an error.
public enum Termination: Sendable, Equatable {
    case exited(Int32)
    case signalled(Int32)

    /// The shell's convention: the exit status, or 128 + signal number.
    public var status: Int32 {
        switch self {
        case .exited(let code): return code
        case .signalled(let signal): return 128 + signal
        }
    }
}

/// A failure to start or watch a process (not a non-zero exit).
public struct ProcessError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ what: String, errno code: Int32) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}

/// glibc's POSIX_SPAWN_SETSID (since 2.26), which Swift does not see without _GNU_SOURCE.
let posixSpawnSetsid: Int32 = 0x80

/// Starts `arguments[0]` (an absolute path) with exactly `environment`: stdin on /dev/null,
/// stdout and stderr on the given descriptors, the signals a shell resets back to their
/// defaults and none blocked, and, with `newProcessGroup`, in a session (and so a process
/// group) of its own. Shared by ``ProcessRunner`` (build commands) and ``CapturedCommand``
/// (helper programs), which wait for it and then release it from ``OwnChildren``.
func spawnChild(_ arguments: [String], environment: [String: String], stdout: Int32, stderr: Int32,
                newProcessGroup: Bool) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
    if newProcessGroup {
        // A session of its own (and so a process group of its own, led by the child): no
        // controlling terminal, as in CodeBuild's container. In the caller's session, a
        // command reading the terminal (a git or ssh prompt, `read </dev/tty`) from a
        // background group would be stopped (SIGTTIN) until the build's timeout.
        flags |= posixSpawnSetsid
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    // Recorded as sitebuild's own child from its start: when sitebuild is PID 1, the orphan
    // reaper leaves it to its caller's waitpid.
    return try OwnChildren.start {
        var pid: pid_t = 0
        var result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        // ETXTBSY: a script this process just wrote (the git askpass helper) is still open for
        // writing in a child another thread forked in that moment, until that child's exec
        // closes it. The window is a fork-to-exec; a few short waits outlast it.
        var waits = 0
        while result == ETXTBSY && waits < 50 {
            usleep(10_000)
            waits += 1
            result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        }
        guard result == 0 else { throw ProcessError("cannot start \(arguments[0])", errno: result) }
        return pid
    }
}

/// Runs one program in its own process group with stdin on /dev/null and stdout and
/// stderr on one pipe, so output arrives interleaved exactly as produced. Returns when
/// the program exits, even if background children still hold the pipe open.
public struct ProcessRunner: Sendable {
    /// Seconds between SIGTERM and SIGKILL when a command is stopped.
    public var killGrace: Double = 3

    public init() {}

    /// Runs `arguments[0]` (an absolute path) with `environment`, in the current directory
    /// (build scripts `cd` themselves).
    /// - Parameters:
    ///   - output: called with each chunk of output as it arrives.
    ///   - cancellation: polled; once set the process group is terminated.
    ///   - deadline: when passed, `cancellation` is set to `.timedOut` and the group stopped.
    ///   - onStart: called with the process group id right after the spawn.
    ///   - lingering: when set, takes the read end of the output pipe if a background child
    ///     still holds the pipe once the program has exited (it keeps writing to it: closed,
    ///     its next write would kill it with SIGPIPE); without it the pipe is closed.
    public func run(_ arguments: [String], environment: [String: String],
                    cancellation: Cancellation? = nil, deadline: ContinuousClock.Instant? = nil,
                    onStart: (pid_t) -> Void = { _ in }, lingering: ((Int32) -> Void)? = nil,
                    output: (UnsafeRawBufferPointer) -> Void) throws -> Termination {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProcessError("cannot create a pipe", errno: errno) }
        let readFD = fds[0], writeFD = fds[1]
        // Neither end may leak into other children; the child gets the write end as 1 and 2.
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
        var handedOver = false
        defer { if !handedOver { close(readFD) } }

        let pid: pid_t
        do {
            pid = try spawnChild(arguments, environment: environment, stdout: writeFD, stderr: writeFD, newProcessGroup: true)
        } catch {
            close(writeFD)
            throw error
        }
        close(writeFD)
        defer { OwnChildren.release(pid) }
        onStart(pid)

        var watch = ChildWatch(pid: pid, killGrace: killGrace)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pipeOpen = true
        while true {
            if let cancellation {
                if let deadline, ContinuousClock.now >= deadline { cancellation.cancel(.timedOut) }
                if cancellation.isCancelled { watch.stop() }
            }
            if let ended = watch.poll() {
                // The shell is gone; take what is already in the pipe and stop reading:
                // a background child may keep the pipe open for ever. Its later output is
                // `lingering`'s to read.
                if pipeOpen, !drain(readFD, &buffer, output), let lingering {
                    handedOver = true
                    lingering(readFD)
                }
                return ended
            }
            if !pipeOpen {
                watch.pause()
                continue
            }
            var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 50)
            if ready < 0 && errno != EINTR { throw ProcessError("cannot poll command output", errno: errno) }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                pipeOpen = false
            }
        }
    }

    /// Reads what `fd` holds now; returns whether it reached the end (no writer is left).
    @discardableResult
    private func drain(_ fd: Int32, _ buffer: inout [UInt8], _ output: (UnsafeRawBufferPointer) -> Void) -> Bool {
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0 else { return false }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return true }
            if n < 0 {
                if errno == EINTR { continue }
                return errno != EAGAIN
            }
            buffer.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }
}

/// Waits for one child without blocking, and stops its process group on request:
/// SIGTERM first, SIGKILL after the grace period.
struct ChildWatch {
    let pid: pid_t
    let killGrace: Double
    var termSentAt: ContinuousClock.Instant?
    var killed = false
    var idleSleep: UInt32 = 50

    init(pid: pid_t, killGrace: Double) {
        self.pid = pid
        self.killGrace = killGrace
    }

    mutating func stop() {
        if termSentAt == nil {
            termSentAt = .now
            kill(-pid, SIGTERM)
            kill(-pid, SIGCONT)
        } else if !killed, let sent = termSentAt, ContinuousClock.now - sent > .milliseconds(Int(killGrace * 1000)) {
            killed = true
            kill(-pid, SIGKILL)
        }
    }

    /// The termination once the child has exited, else nil.
    mutating func poll() -> Termination? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        if let sent = termSentAt {
            // Stopping a command also stops what it left running in its group, with the same
            // grace the shell had: a child cleaning up on SIGTERM (a state lock released, a
            // container stopped) finishes unless it outlasts the grace.
            let grace = Duration.milliseconds(Int(killGrace * 1000))
            while !killed, Self.groupHasLiveMembers(pid), ContinuousClock.now - sent < grace { usleep(20_000) }
            kill(-pid, SIGKILL)
        }
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signalled(signal)
    }

    /// Whether process group `group` has a member that is not a zombie (an orphan that died
    /// stays one until its new parent, PID 1, reaps it: sitebuild itself in a container, which
    /// does within a second, see ``OrphanReaper``).
    static func groupHasLiveMembers(_ group: pid_t) -> Bool {
        guard kill(-group, 0) == 0 else { return false }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return true }
        return entries.contains { entry in
            guard let pid = pid_t(entry), let process = LeftoverProcesses.stat(pid) else { return false }
            return process.group == group && process.state != "Z" && process.state != "X"
        }
    }

    /// Sleeps a little while the child has closed its output but not exited yet.
    mutating func pause() {
        usleep(idleSleep)
        idleSleep = min(idleSleep * 2, 20_000)
    }
}
