import BuildSpec
import Foundation
import SiteContent

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
    /// Set when commands run as other users (`run-as`): the state files must be readable
    /// and writable by them.
    var shared = false {
        didSet {
            chmod(directory, shared ? 0o777 : 0o700)
            chmod(environmentFile, shared ? 0o666 : 0o600)
        }
    }
    private let sourceDirectory: String

    init(shell: Environment.Shell, isolated: Bool, sourceDirectory: String) throws {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("sitebuild-XXXXXX")).utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ProcessError("cannot create a temporary directory in \(NSTemporaryDirectory())", errno: errno)
        }
        directory = String(cString: made)
        scriptPath = directory + "/script.sh"
        environmentFile = directory + "/env.sh"
        directoryFile = directory + "/dir.txt"
        _ = FileManager.default.createFile(atPath: environmentFile, contents: Data())
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
        try writeFile(scriptPath, script.text)
        return [shellPath, scriptPath]
    }

    /// Reads where the last command left the shell.
    func commandFinished() {
        guard !isolated else { return }
        let fd = open(directoryFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer {
            close(fd)
            unlink(directoryFile)
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        if bytes.last == 10 { bytes.removeLast() }
        if !bytes.isEmpty { currentDirectory = String(decoding: bytes, as: UTF8.self) }
    }

    /// Writes a small file in one call: no temporary file and no fsync (the state
    /// files live only as long as the build).
    private func writeFile(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, shared ? 0o644 : 0o600)
        guard fd >= 0 else { throw ProcessError("cannot write \(path)", errno: errno) }
        defer { close(fd) }
        var text = text
        guard text.withUTF8({ writeFully(fd, UnsafeRawBufferPointer($0)) }) else {
            throw ProcessError("cannot write \(path)", errno: errno)
        }
    }

    /// A helper script run with the build's current variables (not logged as a command).
    func helperArguments(_ body: String) throws -> [String] {
        let path = directory + "/helper.sh"
        let restore = isolated ? ":" : "set -a; . \(shellQuoted(environmentFile)); set +a"
        try writeFile(path, "cd -- \(shellQuoted(isolated ? sourceDirectory : currentDirectory)) || exit 1\n\(restore)\n\(body)\n")
        return [shellPath, path]
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
