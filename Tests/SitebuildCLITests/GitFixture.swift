import Foundation

/// Runs the git CLI for tests, isolated from the machine's git configuration, with
/// fixed author and committer dates so commits (and SOURCE_DATE_EPOCH) are predictable.
enum GitFixture {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
        env["GIT_AUTHOR_NAME"] = "Test"
        env["GIT_AUTHOR_EMAIL"] = "test@example.com"
        env["GIT_COMMITTER_NAME"] = "Test"
        env["GIT_COMMITTER_EMAIL"] = "test@example.com"
        return env
    }

    /// Runs `git arguments` in `directory`; returns stdout without the final newline.
    @discardableResult
    static func git(_ arguments: [String], in directory: String, date: Int? = nil, extraEnvironment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = environment
        if let date {
            env["GIT_AUTHOR_DATE"] = "@\(date) +0000"
            env["GIT_COMMITTER_DATE"] = "@\(date) +0000"
        }
        for (key, value) in extraEnvironment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = CLIHarness.collect(process, out, err)
        guard output.status == 0 else {
            throw Failure(description: "git \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes `files` in `directory` (a work tree), then commits them at `date`; returns the commit.
    @discardableResult
    static func commit(_ files: [String: String], in directory: String, date: Int, message: String) throws -> String {
        for (path, content) in files {
            let full = directory + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
        }
        try git(["add", "-A"], in: directory)
        try git(["-c", "commit.gpgsign=false", "commit", "-q", "-m", message], in: directory, date: date)
        return try git(["rev-parse", "HEAD"], in: directory)
    }
}
