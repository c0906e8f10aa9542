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
    bytes.withUnsafeBytes { _ = writeFully(fd, $0) }
}

func printError(_ message: String) {
    writeAll(2, Array("sitebuild: \(message)\n".utf8))
}
