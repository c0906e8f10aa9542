import Foundation

/// A problem with what the user typed or wrote (a flag, a config or env file): printed
/// as one sentence naming the flag or file, exit code 2, nothing run.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes all of `bytes` to a file descriptor (stdout or stderr), unbuffered.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += n
    }
}

func printError(_ message: String) {
    writeAll(2, Array("sitebuild: \(message)\n".utf8))
}
