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
        var pipes: Set<Int32> = []
        var finishing = false
        var thread: Thread?
    }

    private let state = Mutex(State())
    private let wake: (read: Int32, write: Int32)
    private let output: @Sendable (Int32, ArraySlice<UInt8>) -> Void
    private let ended: @Sendable (Int32) -> Void
    private let done = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - output: gets each chunk read from a pipe, from the reading thread.
    ///   - ended: called once a pipe is done with (its end, or the build's).
    init(output: @escaping @Sendable (Int32, ArraySlice<UInt8>) -> Void, ended: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
        self.output = output
        self.ended = ended
    }

    /// Takes `fd` (a pipe's read end) over: read and closed from now on.
    func adopt(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let thread = state.withLock { state -> Thread? in
            state.pipes.insert(fd)
            guard state.thread == nil else { return nil }
            let thread = Thread { [self] in run() }
            thread.name = "sitebuild-background-output"
            state.thread = thread
            return thread
        }
        thread?.start()
        signal()
    }

    /// Logs what the pipes hold now, closes them and stops the thread: at the end of the
    /// build, once its background processes are stopped. There is no waiting for the end of
    /// each pipe, and at most one buffer more is read from each: a process that escaped the
    /// stop may hold its pipe and write for ever.
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
            let (fds, finishing) = state.withLock { (Array($0.pipes), $0.finishing) }
            if finishing {
                for fd in fds {
                    _ = read(fd, into: &buffer, atMost: 1)
                    end(fd)
                }
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
                // A few buffers at a time, so that one busy pipe does not starve the others.
                if !read(entry.fd, into: &buffer, atMost: 4) { end(entry.fd) }
            }
        }
    }

    /// Reads up to `atMost` buffers of what `fd` holds and passes them on; false once the
    /// pipe has ended.
    private func read(_ fd: Int32, into buffer: inout [UInt8], atMost: Int) -> Bool {
        var reads = 0
        while reads < atMost {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return n < 0 && errno == EAGAIN }
            output(fd, buffer[0..<n])
            reads += 1
        }
        return true
    }

    private func end(_ fd: Int32) {
        state.withLock { _ = $0.pipes.remove(fd) }
        ended(fd)
        close(fd)
    }
}
