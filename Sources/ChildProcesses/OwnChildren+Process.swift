import Foundation

extension OwnChildren {
    /// Starts Foundation's `process` as one of this process's own children and returns its pid;
    /// the caller waits for it and then calls ``release(_:)``.
    public static func run(_ process: Process) throws -> pid_t {
        try start {
            try process.run()
            return process.processIdentifier
        }
    }
}
