import ArgumentParser
import BuildRunner
import Foundation
import Synchronization

/// The write end of the pipe the signal handler writes each signal's number to (a handler
/// may only do async-signal-safe work; the watch's thread does the rest).
nonisolated(unsafe) private var signalPipeWriter: Int32 = -1

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C, a CI job cancelled, a closed terminal) delivered to
/// `handler` instead of ending the process, while the watch runs; after `stop` they end the
/// process as by default (exit status 128 + the signal).
///
/// The handlers are installed once per process, at once (`sigaction`), and write the signal
/// to a pipe that one thread reads; a watch only sets which handler that thread calls.
/// Dispatch signal sources were used before: they register asynchronously, so a signal sent
/// just after a command said it was ready (`serve`'s URL on a loaded machine) met the
/// SIG_IGN set for them and was lost, and the process ran on; and on Linux, sources made for
/// a signal after earlier ones were cancelled never fired.
final class SignalWatch: Sendable {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    private static let handler = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    private static let installed = Mutex(false)

    init(handler: @escaping @Sendable (Int32) -> Void) {
        Self.handler.withLock { $0 = handler }
        Self.install()
    }

    /// Installs the handlers (once); with no watch running, a signal ends the process with
    /// exit status 128 + the signal, as by default. As PID 1 (a container's entrypoint) this
    /// is what makes SIGTERM and SIGINT stop sitebuild at all: the kernel drops the signals
    /// PID 1 has no handler for, so `docker stop` would wait its 10 s and SIGKILL it.
    static func install() {
        Self.installed.withLock { installed in
            guard !installed else { return }
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { return }
            installed = true
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
            signalPipeWriter = fds[1]
            let reader = fds[0]
            Thread.detachNewThread {
                var byte: UInt8 = 0
                while true {
                    let count = read(reader, &byte, 1)
                    if count == 1 {
                        let signalNumber = Int32(byte)
                        guard let handler = SignalWatch.handler.withLock({ $0 }) else { _exit(128 + signalNumber) }
                        handler(signalNumber)
                    } else if count < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
            for signalNumber in Self.signals {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { received in
                    var byte = UInt8(truncatingIfNeeded: received)
                    let saved = errno
                    _ = write(signalPipeWriter, &byte, 1)
                    errno = saved
                }
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                sigaction(signalNumber, &action, nil)
            }
        }
    }

    /// The build's: the running command's process group is stopped, nothing further runs,
    /// and the exit status is 130.
    convenience init(cancellation: Cancellation) {
        self.init { signalNumber in cancellation.cancel(.interrupted(signal: signalNumber)) }
    }

    func stop() {
        Self.handler.withLock { $0 = nil }
    }
}

/// Work that a signal interrupts cleanly: the first SIGINT, SIGTERM or SIGHUP cancels its
/// task (a deploy then stops its requests, releases what it holds and changes nothing live;
/// see ``Deployer``); a second one ends the process at once with exit status 130.
enum Interruptible {
    /// The signal that interrupted the work, if one did (0: none).
    private static let received = Atomic<Int32>(0)

    static var signalName: String {
        // The SIGTERM writeAll sends itself when the output's reader went away.
        if OutputGone.reported.load(ordering: .relaxed) { return "a closed output (its reader went away)" }
        return switch received.load(ordering: .relaxed) {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "a signal"
        }
    }

    static func run(_ work: @escaping @Sendable () async -> Int32) async -> Int32 {
        let task = Task { await work() }
        let watch = SignalWatch { signalNumber in
            if received.exchange(signalNumber, ordering: .sequentiallyConsistent) != 0 {
                // A second signal: the user does not want to wait for the cleanup.
                printError("a second signal: stopping at once, without the cleanup; as after a kill, a lock, a multipart upload or "
                    + "a flip without its release record may be left (the next deploy resumes; a lock lapses after 5 minutes)")
                _exit(ExitStatus.interrupted)
            }
            task.cancel()
        }
        let status = await task.value
        watch.stop()
        return status
    }

    /// The exit status of a command body that throws ExitCode (or another error: 3).
    static func status(_ body: @Sendable () async throws -> Void) async -> Int32 {
        do {
            try await body()
            return ExitStatus.success
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            printError("\(error)")
            return ExitStatus.deployFailed
        }
    }
}
