import ArgumentParser
import BuildRunner
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C, a CI job cancelled, a closed terminal) delivered to
/// `handler` instead of ending the process, while the watch runs; after `stop` they end the
/// process as by default (exit status 128 + the signal).
///
/// The signal sources are made once per process and never cancelled: on Linux, dispatch
/// sources made for a signal after earlier ones for it were cancelled were never fired (the
/// deploy of `sitebuild run`, after its build's watch, ignored every signal). A watch only
/// sets which handler they call.
final class SignalWatch: Sendable {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    private static let handler = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    private static let sources = Mutex<[DispatchSourceSignal]>([])
    private static let queue = DispatchQueue(label: "sitebuild-signals")

    init(handler: @escaping @Sendable (Int32) -> Void) {
        Self.handler.withLock { $0 = handler }
        Self.sources.withLock { sources in
            guard sources.isEmpty else { return }
            for signalNumber in Self.signals {
                signal(signalNumber, SIG_IGN)
                // A queue of their own: a serial queue may start a thread when every thread of
                // the global pool is busy (a local deploy's copy workers fill them), so the
                // handler runs at once, not when a worker happens to finish.
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: Self.queue)
                source.setEventHandler {
                    guard let handler = SignalWatch.handler.withLock({ $0 }) else { _exit(128 + signalNumber) }
                    handler(signalNumber)
                }
                source.resume()
                sources.append(source)
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
