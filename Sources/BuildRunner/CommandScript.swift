import Foundation

/// The script one buildspec command runs as, in CodeBuild's model: restore the previous
/// command's directory and variables, run the command (from line 4, as CodeBuild's
/// `script.sh: line 4:` errors show), save `export -p` and `pwd`, exit with its status.
///
/// Because each command is its own process, `cd` and variables (exported or plainly
/// assigned: `set -a` exports them) carry over, while shell options, functions, aliases,
/// traps and arrays do not, and a command that calls `exit` loses its state changes.
/// The state is written with `>|`, so a command's `set -o noclobber` (`set -C`) does not
/// keep it from being saved.
public struct CommandScript: Sendable, Equatable {
    public var command: String
    /// The directory the command starts in, as the file system's bytes: a name that is not
    /// UTF-8 (Latin-1, from a ZIP or tar source) must be entered as it is.
    public var directory: [UInt8]
    /// Where the variables are kept between commands (`export -p` format).
    public var environmentFile: String
    /// Where the working directory is kept between commands.
    public var directoryFile: String
    /// `CODEBUILD_BUILD_SUCCEEDING` for this command: the runner owns it, so it is set
    /// after the saved variables are restored.
    public var buildSucceeding: Bool
    /// Version 0.1: every command starts fresh; nothing is restored or saved.
    public var isolated: Bool

    public init(command: String, directory: [UInt8], environmentFile: String, directoryFile: String,
                buildSucceeding: Bool, isolated: Bool = false) {
        self.command = command
        self.directory = directory
        self.environmentFile = environmentFile
        self.directoryFile = directoryFile
        self.buildSucceeding = buildSucceeding
        self.isolated = isolated
    }

    /// The script's bytes: its first line enters ``directory`` byte for byte.
    public var bytes: [UInt8] {
        Array("cd -- ".utf8) + shellQuoted(bytes: directory) + Array(" || exit 1\n".utf8) + Array(rest.utf8)
    }

    /// The script after its first line.
    private var rest: String {
        let succeeding = "CODEBUILD_BUILD_SUCCEEDING=\(buildSucceeding ? 1 : 0); export CODEBUILD_BUILD_SUCCEEDING"
        if isolated {
            return """
            :
            \(succeeding)
            \(command)
            """ + "\n"
        }
        // The command is a group of its own, ended by an empty line and `}`: one left hanging
        // (`npm test &&`, `… |`) is a syntax error, as `sh -c` alone makes it, instead of
        // running into the next line and skipping the save of its status (the build then went
        // on with the status of the command before); a trailing `\` continues onto the empty
        // line, as at the end of `sh -c`'s text. The `:` keeps an empty command a valid group.
        return """
        set -a; . \(shellQuoted(environmentFile))
        \(succeeding); { :
        \(command)

        }
        CODEBUILD_LAST_EXIT=$?
        export -p >| \(shellQuoted(environmentFile))
        pwd >| \(shellQuoted(directoryFile))
        exit $CODEBUILD_LAST_EXIT
        """ + "\n"
    }
}

/// Quotes a string for POSIX sh: single quotes, with `'` written as `'\''`.
public func shellQuoted(_ text: String) -> String {
    String(decoding: shellQuoted(bytes: Array(text.utf8)), as: UTF8.self)
}

/// ``shellQuoted(_:)`` for bytes that need not be UTF-8 (a path): other bytes pass as they are.
public func shellQuoted(bytes: [UInt8]) -> [UInt8] {
    var quoted: [UInt8] = [UInt8(ascii: "'")]
    for byte in bytes {
        if byte == UInt8(ascii: "'") { quoted += Array("'\\''".utf8) } else { quoted.append(byte) }
    }
    quoted.append(UInt8(ascii: "'"))
    return quoted
}
