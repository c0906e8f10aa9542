import ChildProcesses
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
    ///
    /// With `cancellation`, the program runs in a session (and process group) of its own, and
    /// once the cancellation is set that group is stopped (SIGTERM, SIGKILL after `killGrace`)
    /// and waited for: git's helpers (git-remote-http, ssh, index-pack) go with it, rather
    /// than write on into a work directory whose lock the stopped sitebuild gave up. It is
    /// then the caller's to check the cancellation; the output is what the program wrote.
    static func run(_ arguments: [String], environment: [String: String], cancellation: Cancellation? = nil,
                    killGrace: Double = 3) throws -> Output {
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

        let pid: pid_t
        do {
            // A group of its own only when it may have to be stopped: git never prompts here
            // (GIT_TERMINAL_PROMPT=0, ssh in batch mode), so no terminal is needed.
            pid = try spawnChild(arguments, environment: environment, stdout: outFDs[1], stderr: errFDs[1],
                                 newProcessGroup: cancellation != nil)
        } catch {
            close(outFDs[1])
            close(errFDs[1])
            throw error
        }
        close(outFDs[1])
        close(errFDs[1])
        defer { OwnChildren.release(pid) }

        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var open = [outFDs[0], errFDs[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        var watch = ChildWatch(pid: pid, killGrace: killGrace)
        while !open.isEmpty {
            if cancellation?.isCancelled == true { watch.stop() }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), cancellation == nil ? -1 : 50)
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
        if let cancellation {
            // Stopped, the group is waited for as a build command's is (``ChildWatch``).
            while true {
                if cancellation.isCancelled { watch.stop() }
                if let termination = watch.poll() { return Output(termination: termination, stdout: stdout, stderr: stderr) }
                usleep(20_000)
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

    /// The absolute path of the program `name` on the environment's PATH (absolute directories;
    /// a directory of that name is passed over, as a shell does), then, with `usualPlaces`, in
    /// /usr/bin, /usr/local/bin and /bin.
    static func find(_ name: String, environment: [String: String], usualPlaces: Bool = true) -> String? {
        let path = environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + (usualPlaces ? ["/usr/bin", "/usr/local/bin", "/bin"] : [])
        for directory in directories where directory.hasPrefix("/") {
            let candidate = directory + "/" + name
            var isDirectory: ObjCBool = false
            if access(candidate, X_OK) == 0, FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                return candidate
            }
        }
        return nil
    }
}
