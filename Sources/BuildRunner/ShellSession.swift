import BuildSpec
import Foundation

/// The state files one build's commands share (CodeBuild's `env.sh`, `dir.txt` and
/// `script.sh`), in a private temporary directory removed at the end.
final class ShellSession {
    let directory: String
    let scriptPath: String
    let environmentFile: String
    let directoryFile: String
    let shellPath: String
    let isolated: Bool
    var currentDirectory: String
    private let sourceDirectory: String

    init(shell: Environment.Shell, isolated: Bool, sourceDirectory: String) throws {
        var template = Array((NSTemporaryDirectory() + "/sitebuild-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ProcessError("cannot create a temporary directory in \(NSTemporaryDirectory())", errno: errno)
        }
        directory = String(cString: made)
        scriptPath = directory + "/script.sh"
        environmentFile = directory + "/env.sh"
        directoryFile = directory + "/dir.txt"
        FileManager.default.createFile(atPath: environmentFile, contents: Data())
        self.isolated = isolated
        self.sourceDirectory = sourceDirectory
        currentDirectory = sourceDirectory
        switch shell {
        case .sh: shellPath = "/bin/sh"
        case .bash: shellPath = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"].first { access($0, X_OK) == 0 } ?? "/bin/bash"
        }
    }

    /// Writes the script for one command and returns the argument list that runs it.
    func prepare(_ command: String, buildSucceeding: Bool) throws -> [String] {
        let script = CommandScript(command: command, directory: isolated ? sourceDirectory : currentDirectory,
                                   environmentFile: environmentFile, directoryFile: directoryFile,
                                   buildSucceeding: buildSucceeding, isolated: isolated)
        try Data(script.text.utf8).write(to: URL(fileURLWithPath: scriptPath))
        return [shellPath, scriptPath]
    }

    /// Reads where the last command left the shell.
    func commandFinished() {
        guard !isolated, let data = FileManager.default.contents(atPath: directoryFile) else { return }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        if !text.isEmpty { currentDirectory = text }
        unlink(directoryFile)
    }

    /// A helper script run with the build's current variables (not logged as a command).
    func helperArguments(_ body: String) throws -> [String] {
        let path = directory + "/helper.sh"
        let restore = isolated ? ":" : "set -a; . \(shellQuoted(environmentFile)); set +a"
        try Data("cd -- \(shellQuoted(isolated ? sourceDirectory : currentDirectory)) || exit 1\n\(restore)\n\(body)\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        return [shellPath, path]
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
