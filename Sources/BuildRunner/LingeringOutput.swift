import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads the output of background processes a build's commands left running (`server &`,
/// `nohup dockerd … &`) after their command has ended, and logs it line by line, as
/// CodeBuild's log keeps showing it. Without a reader, the pipe would be closed at the end of
/// the command, and the process killed by SIGPIPE at its next write.
///
/// One thread polls every pipe handed over (``ProcessRunner/run(_:environment:cancellation:deadline:onStart:lingering:output:)``)
/// until it ends (every writer gone) or the build finishes (``finish()``).
final class LingeringOutput: Sendable {
    private struct State {
        /// Pipe → the bytes of its line not yet ended.
        var pipes: [Int32: [UInt8]] = [:]
        var finishing = false
        var thread: Thread?
    }

    private let state = Mutex(State())
    private let wake: (read: Int32, write: Int32)
    private let line: @Sendable ([UInt8]) -> Void
    private let done = DispatchSemaphore(value: 0)
    /// A line longer than this is logged in pieces (a process printing without newlines).
    static let maxLine = 64 << 10

    /// - Parameter line: gets each whole line (without its newline), from the reading thread.
    init(line: @escaping @Sendable ([UInt8]) -> Void) {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
        self.line = line
    }

    /// Takes `fd` (a pipe's read end) over: read and closed from now on.
    func adopt(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let start = state.withLock { state -> Bool in
            state.pipes[fd] = []
            guard state.thread == nil else { return false }
            let thread = Thread { [self] in run() }
            thread.name = "sitebuild-background-output"
            state.thread = thread
            return true
        }
        if start { state.withLock { $0.thread }?.start() }
        signal()
    }

    /// Logs what the pipes hold now, closes them and stops the thread: at the end of the
    /// build, once its background processes are stopped (one that escaped may hold its pipe
    /// for ever, so there is no waiting for the end of each).
    func finish() {
        let running = state.withLock { state -> Bool in
            state.finishing = true
            return state.thread != nil
        }
        if running {
            signal()
            done.wait()
        }
        if wake.read >= 0 { close(wake.read) }
        if wake.write >= 0 { close(wake.write) }
    }

    private func signal() {
        guard wake.write >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let (fds, finishing) = state.withLock { (Array($0.pipes.keys), $0.finishing) }
            if finishing {
                for fd in fds { read(fd, into: &buffer) }
                for fd in fds { end(fd) }
                done.signal()
                return
            }
            var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            polled.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            let ready = poll(&polled, nfds_t(polled.count), 1000)
            guard ready > 0 else { continue }
            if polled.last!.revents != 0 {
                var sink = [UInt8](repeating: 0, count: 64)
                while Glibc.read(wake.read, &sink, sink.count) > 0 {}
            }
            for entry in polled.dropLast() where entry.revents != 0 {
                if !read(entry.fd, into: &buffer) { end(entry.fd) }
            }
        }
    }

    /// Reads what `fd` holds and logs its whole lines; false once the pipe has ended.
    @discardableResult
    private func read(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return n < 0 && errno == EAGAIN }
            var lines: [[UInt8]] = []
            state.withLock { state in
                var pending = state.pipes[fd] ?? []
                for byte in buffer[0..<n] {
                    if byte == 10 {
                        lines.append(pending)
                        pending = []
                    } else {
                        pending.append(byte)
                        if pending.count >= Self.maxLine {
                            lines.append(pending)
                            pending = []
                        }
                    }
                }
                state.pipes[fd] = pending
            }
            for text in lines { line(text) }
        }
    }

    /// Logs `fd`'s unfinished line and closes it.
    private func end(_ fd: Int32) {
        let rest = state.withLock { $0.pipes.removeValue(forKey: fd) } ?? []
        if !rest.isEmpty { line(rest) }
        close(fd)
    }
}
