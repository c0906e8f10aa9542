import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a helper program (git) to completion with stdin on /dev/null, collecting stdout
/// and stderr separately; both pipes are drained together so neither can fill up.
struct CapturedCommand {
    struct Output {
        var termination: Termination
        var stdout: [UInt8]
        var stderr: [UInt8]

        var succeeded: Bool { termination == .exited(0) }
        var stdoutText: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        var stderrText: String { String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Runs `arguments[0]` (an absolute path) with exactly `environment`.
    static func run(_ arguments: [String], environment: [String: String]) throws -> Output {
        var outFDs: [Int32] = [0, 0]
        var errFDs: [Int32] = [0, 0]
        guard pipe(&outFDs) == 0 else { throw ProcessError("cannot create a pipe", errno: errno) }
        guard pipe(&errFDs) == 0 else {
            let code = errno
            close(outFDs[0]); close(outFDs[1])
            throw ProcessError("cannot create a pipe", errno: code)
        }
        for fd in outFDs + errFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(outFDs[0]); close(errFDs[0]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errFDs[1], 2)

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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        close(outFDs[1])
        close(errFDs[1])
        guard spawned == 0 else { throw ProcessError("cannot start \(arguments[0])", errno: spawned) }

        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var open = [outFDs[0], errFDs[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for pfd in fds where pfd.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(pfd.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if pfd.fd == outFDs[0] { stdout += buffer[0..<n] } else { stderr += buffer[0..<n] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == pfd.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw ProcessError("cannot wait for \(arguments[0])", errno: errno) }
        }
        let signal = status & 0x7f
        let termination: Termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        return Output(termination: termination, stdout: stdout, stderr: stderr)
    }

    /// The absolute path of `name` on the environment's PATH (then the usual places).
    static func find(_ name: String, environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/bin"]
        for directory in directories where directory.hasPrefix("/") {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
