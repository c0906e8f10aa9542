import Synchronization
import Foundation
import SiteContent

/// A problem with what the user typed or wrote (a flag, a config or env file): printed
/// as one sentence naming the flag or file, exit code 2, nothing run.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes all of `bytes` to a file descriptor (stdout or stderr), unbuffered.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    let written = bytes.withUnsafeBytes { writeFully(fd, $0) }
    // SIGPIPE is caught and does nothing (SitebuildMain): a reader of the output that went
    // away (`| head`, a CI log collector that died) stops sitebuild as SIGTERM would, cleanly
    // (a build's commands and their children stopped, a deploy's live version untouched),
    // instead of killing it outright and leaving the running command behind.
    if !written, errno == EPIPE, fd == 1 || fd == 2, !OutputGone.reported.exchange(true, ordering: .sequentiallyConsistent) {
        kill(getpid(), SIGTERM)
    }
}

/// Whether a broken pipe on stdout or stderr was already acted on.
enum OutputGone {
    static let reported = Atomic<Bool>(false)
}

func printError(_ message: String) {
    writeAll(2, Array("sitebuild: \(message)\n".utf8))
}
