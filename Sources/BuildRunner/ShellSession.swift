import BuildSpec
import Foundation
import SiteContent

/// The state files one build's commands share (CodeBuild's `env.sh`, `dir.txt` and
/// `script.sh`), in a private folder removed at the end. The folder is not in /tmp, which
/// builds clean (``RuntimeDirectory``).
final class ShellSession {
    /// The private folder (root's, or the invoking user's): never handed over, so no `run-as`
    /// user can rename or replace what is inside it.
    let container: String
    /// `<container>/state`: the state files; handed to each `run-as` command's user.
    let directory: String
    let scriptPath: String
    let environmentFile: String
    let directoryFile: String
    let shellPath: String
    let isolated: Bool
    /// Where the last command ended, as `pwd` wrote it: bytes, since a directory name need not
    /// be UTF-8 (Latin-1 names from ZIP or tar sources), and one decoded to a String could not
    /// be entered again.
    var currentDirectory: [UInt8]
    /// Set when commands run as other users (`run-as`). The state then belongs, before each
    /// command, to the user who runs it (`prepare`'s `owner`): the directory stays 0700 and
    /// the files 0600, so no one outside the build can read the variables (secrets among
    /// them) or change what the next command runs. Every file is created afresh
    /// (O_EXCL|O_NOFOLLOW), so a link left in its place by a `run-as` user is never written
    /// through by root.
    var shared = false
    private let sourceDirectory: String

    /// `cacheDirectory`: sitebuild's, where the state is kept (``RuntimeDirectory``);
    /// `sharedWithOtherUsers`: commands run as other users (`run-as`).
    init(shell: Environment.Shell, isolated: Bool, sourceDirectory: String, cacheDirectory: String, sharedWithOtherUsers: Bool = false) throws {
        container = try RuntimeDirectory.make("shell", cacheDirectory: cacheDirectory, reachableByOtherUsers: sharedWithOtherUsers)
        directory = container + "/state"
        guard mkdir(directory, 0o700) == 0 else { throw ProcessError("cannot create \(directory)", errno: errno) }
        scriptPath = directory + "/script.sh"
        environmentFile = directory + "/env.sh"
        directoryFile = directory + "/dir.txt"
        _ = FileManager.default.createFile(atPath: environmentFile, contents: Data())
        self.isolated = isolated
        self.sourceDirectory = sourceDirectory
        currentDirectory = Array(sourceDirectory.utf8)
        switch shell {
        case .sh: shellPath = "/bin/sh"
        case .bash: shellPath = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"].first { access($0, X_OK) == 0 } ?? "/bin/bash"
        }
    }

    /// Writes the script for one command and returns the argument list that runs it.
    /// `owner`: the user the command runs as when it is not sitebuild's own (`run-as`).
    func prepare(_ command: String, buildSucceeding: Bool, owner: (uid: UInt32, gid: UInt32)? = nil) throws -> [String] {
        let script = CommandScript(command: command, directory: isolated ? Array(sourceDirectory.utf8) : currentDirectory,
                                   environmentFile: environmentFile, directoryFile: directoryFile,
                                   buildSucceeding: buildSucceeding, isolated: isolated)
        if shared {
            let (uid, gid) = owner ?? (geteuid(), getegid())
            try handOver(to: (uid, gid))
            try writeFile(scriptPath, script.bytes, owner: (uid, gid))
        } else {
            try writeFile(scriptPath, script.bytes)
        }
        return [shellPath, scriptPath]
    }

    /// Reads where the last command left the shell.
    func commandFinished() {
        if !stateGoneReported, access(directory, F_OK) != 0, errno == ENOENT {
            stateGoneReported = true
            stateGone(directory)
        }
        guard !isolated else { return }
        defer { unlink(directoryFile) }
        guard var bytes = readFile(directoryFile) else { return }
        if bytes.last == 10 { bytes.removeLast() }
        if !bytes.isEmpty { currentDirectory = bytes }
    }

    /// A state file's bytes; nil when it is missing or not a regular file (never through a link).
    private func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }

    /// Writes a small file in one call: no temporary file and no fsync (the state files live
    /// only as long as the build). The file is created afresh, 0600, never through a link,
    /// and handed to `owner` when given.
    private func writeFile(_ path: String, _ bytes: [UInt8], owner: (uid: UInt32, gid: UInt32)? = nil) throws {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ProcessError("cannot write \(path)", errno: errno) }
        defer { close(fd) }
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw ProcessError("cannot hand \(path) to uid \(owner.uid)", errno: errno)
        }
        guard bytes.withUnsafeBytes({ writeFully(fd, $0) }) else {
            throw ProcessError("cannot write \(path)", errno: errno)
        }
    }

    /// Gives the state directory and the variables file to `owner` for the next command. The
    /// container above it stays sitebuild's, so the path cannot be swapped for a link; the
    /// variables are read without following links and written afresh.
    private func handOver(to owner: (uid: UInt32, gid: UInt32)) throws {
        // Others may pass through the container (to reach state/), not list or change it.
        chmod(container, 0o711)
        // Read while the directory is still its last user's (they may have to read it).
        let variables = trustedVariables(for: owner.uid)
        guard chown(directory, owner.uid, owner.gid) == 0, chmod(directory, 0o700) == 0 else {
            throw ProcessError("cannot hand \(directory) to uid \(owner.uid)", errno: errno)
        }
        try writeFile(environmentFile, variables, owner: owner)
        unlink(directoryFile)
    }

    /// The variables file's text, safe for `reader`'s shell to source. A file that another
    /// user's processes could write (a `run-as` user's: its owner is not `reader`) may hold any
    /// shell code, not only the `export -p` of its last command: a background process of that
    /// user can append to it after the command ends. Sourced by root (or another user), that
    /// code would run with their rights. So such a file is read by its owner's shell, which can
    /// run nothing its owner could not run anyway, and only its variables are kept, written
    /// back by sitebuild as quoted `export` lines. Values pass between users; code does not.
    private func trustedVariables(for reader: UInt32) -> [UInt8] {
        let fd = open(environmentFile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return [] }
        var info = stat()
        let owned = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        close(fd)
        guard owned else { return [] }
        if info.st_uid == reader || info.st_uid == geteuid() { return readFile(environmentFile) ?? [] }
        guard let pairs = variables(readAs: (info.st_uid, info.st_gid)) else {
            warn("the variables the last command (run as uid \(info.st_uid)) left could not be read: the next command starts without them")
            return []
        }
        return Array(Self.exportLines(pairs).utf8)
    }

    /// Called with a message when variables are lost between users (for the build log).
    var warn: (String) -> Void = { _ in }

    /// The variables of the file as its owner's shell sees them after sourcing it, read with
    /// `env -0` (NUL-separated, so any value survives); nil when that shell fails or takes
    /// longer than 10 s.
    private func variables(readAs owner: (uid: UInt32, gid: UInt32)) -> [(String, String)]? {
        let arguments = BuildEngine.runAsArguments(uid: owner.uid, gid: owner.gid)
            + [shellPath, "-c", "cd / && set -a && . \"$1\" >/dev/null 2>&1; exec /usr/bin/env -0", "sh", environmentFile]
        var output: [UInt8] = []
        var tooLarge = false
        let cancellation = Cancellation()
        guard let ended = try? ProcessRunner().run(arguments, environment: [:], cancellation: cancellation,
                                                  deadline: .now + .seconds(10), output: { chunk in
            if output.count + chunk.count > Self.maximumVariablesSize { tooLarge = true } else { output.append(contentsOf: chunk) }
        }), ended.status == 0, !cancellation.isCancelled, !tooLarge else { return nil }
        return output.split(separator: 0, omittingEmptySubsequences: true).compactMap { item in
            guard let eq = item.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let name = String(decoding: item[item.startIndex..<eq], as: UTF8.self)
            guard Self.isVariableName(name), name != "_" else { return nil }
            return (name, String(decoding: item[(eq + 1)...], as: UTF8.self))
        }
    }

    /// The largest variables text read back from another user (the Linux limit on one
    /// process's environment and arguments is of this order).
    static let maximumVariablesSize = 32 << 20

    /// `export NAME='value'` lines, values quoted for any POSIX shell.
    static func exportLines(_ pairs: [(String, String)]) -> String {
        pairs.map { "export \($0.0)=\(shellQuoted($0.1))\n" }.joined()
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= UInt8(ascii: "a") && first | 0x20 <= UInt8(ascii: "z"))
        else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z"))
            || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    /// A helper script run with the build's current variables (not logged as a command).
    /// It starts where the last command ended, as a command would; when that directory is
    /// gone (the last command removed it), in the source directory instead (`/` if that is
    /// gone too): a helper reads variables, which must not be lost to a missing directory.
    func helperArguments(_ body: String) throws -> [String] {
        // Helpers run as sitebuild's user: the state is taken back first, so a run-as user's
        // leftover process cannot change the helper between its write and its run.
        if shared { try handOver(to: (geteuid(), getegid())) }
        let path = directory + "/helper.sh"
        let restore = isolated ? ":" : "set -a; . \(shellQuoted(environmentFile)); set +a"
        // Created afresh by sitebuild (never through a link a run-as user left in its place).
        try writeFile(helperErrorFile, [])
        let start = helperDirectory()
        let cd = Array("cd -- ".utf8) + shellQuoted(bytes: start)
            + Array(" 2>/dev/null || cd -- \(shellQuoted(sourceDirectory)) 2>/dev/null || cd /".utf8)
        try writeFile(path, cd + Array("\n\(restore)\n\(body)\n".utf8))
        return [shellPath, path]
    }

    /// Where a helper may send its standard error to be read back (``helperErrors()``):
    /// emptied before each helper.
    var helperErrorFile: String { directory + "/helper.err" }

    /// What the last helper wrote to ``helperErrorFile`` (at most 64 KiB of it).
    func helperErrors() -> String {
        guard let bytes = readFile(helperErrorFile) else { return "" }
        return String(decoding: bytes.prefix(65536), as: UTF8.self)
    }

    /// Called once, with the state folder, when a command removed it (the variables and
    /// directory it held are lost; the next command cannot run).
    var stateGone: (String) -> Void = { _ in }
    private var stateGoneReported = false

    /// Called once, with the missing directory, when helpers start in the source directory
    /// because the one the last command ended in no longer exists (for the build log).
    var directoryGone: (String) -> Void = { _ in }
    private var reportedGoneDirectory: [UInt8]?

    /// Where helpers start: the last command's directory, or the source directory when that
    /// one is gone.
    private func helperDirectory() -> [UInt8] {
        guard !isolated else { return Array(sourceDirectory.utf8) }
        var info = stat()
        let exists = (currentDirectory + [0]).withUnsafeBufferPointer { path in
            path.baseAddress!.withMemoryRebound(to: CChar.self, capacity: path.count) { stat($0, &info) == 0 }
        }
        if exists, info.st_mode & S_IFMT == S_IFDIR { return currentDirectory }
        if reportedGoneDirectory != currentDirectory {
            reportedGoneDirectory = currentDirectory
            directoryGone(Self.shownPath(currentDirectory))
        }
        return Array(sourceDirectory.utf8)
    }

    /// A path for messages: as it is when UTF-8, else with its other bytes as `\xNN`.
    static func shownPath(_ bytes: [UInt8]) -> String {
        String(validating: bytes, as: UTF8.self) ?? FileWalker.shownName(bytes)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: container)
    }
}
