import AWSCore
import ArgumentParser
import ChildProcesses
import Foundation
import SiteContent

/// Entry point shared by the `sitebuild` executable: dispatches on the program name
/// (`codebuild-hash-files` is the same binary under another name), then on the
/// subcommand.
public enum SitebuildMain {
    public static func main() async {
        let arguments = CommandLine.arguments
        let program = (arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "sitebuild"
        if program == HashFilesCommand.programName {
            exit(HashFilesCommand.run(Array(arguments.dropFirst())))
        }
        // The libraries' versions are asked for only here: curl_version() initialises libldap,
        // which loads the SASL plugins and reads ldap.conf (a few milliseconds and ~1 MB of
        // mapped libraries on every run, when it was part of the command configuration).
        if arguments.dropFirst().elementsEqual(["--version"]) {
            print(SitebuildVersion.description)
            exit(ExitStatus.success)
        }
        // A run started by `watch` inherits the watch's ignored SIGINT/SIGTERM/SIGHUP (the
        // watch takes them to pass them on): it takes them back, so the one the watch passes
        // on stops it (cleanly wherever it watches for them, at once elsewhere).
        if ProcessInfo.processInfo.environment[WatchGuard.variable] != nil {
            for signalNumber in [SIGINT, SIGTERM, SIGHUP] { signal(signalNumber, SIG_DFL) }
            // A watch killed outright (kill -9) cannot pass a signal on: the run notices its
            // parent is gone and stops as if it had been sent SIGTERM, so it neither deploys for
            // a watch that will not record it nor holds the archive from the watch restarted
            // in its place.
            let parent = getppid()
            Thread.detachNewThread {
                while getppid() == parent { sleep(1) }
                kill(getpid(), SIGTERM)
            }
        }
        // A broken pipe is seen as EPIPE by writeAll, which stops sitebuild cleanly. A handler
        // that does nothing rather than SIG_IGN: an ignored signal would be inherited by every
        // program started (a credential_process pipeline would never end), a caught one is
        // reset to the default by exec.
        signal(SIGPIPE) { _ in }
        // As PID 1 (`docker run sitebuild …` without --init), sitebuild does what an init would:
        // it reaps the orphans its commands leave (each would stay a zombie for the whole
        // build), and it stops on SIGTERM, SIGINT and SIGHUP whatever it is doing (PID 1 never
        // gets a signal it has no handler for).
        if getpid() == 1 {
            OrphanReaper.start()
            SignalWatch.install()
        }
        await run(Array(arguments.dropFirst()))
    }

    /// ArgumentParser's own `main`, but a command line it cannot parse (an unknown flag, a
    /// missing argument, a value of the wrong type) exits 2 like every other invalid input of
    /// the contract, not with its EX_USAGE 64; help and `--version` keep their behaviour.
    static func run(_ arguments: [String]) async {
        let command: any ParsableCommand
        do {
            command = try Sitebuild.parseAsRoot(arguments)
        } catch {
            // A CI step reading `--json` output gets a result event for a command line refused
            // too (the flags before `--`: after it they are another command's, as watch's).
            if Sitebuild.exitCode(for: error) == .validationFailure, arguments.prefix(while: { $0 != "--" }).contains("--json") {
                Reporter(json: true).event("result", [("status", .string("FAILED")), ("message", .string(Sitebuild.message(for: error)))])
            }
            exitForError(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var plain = command
                try plain.run()
            }
        } catch {
            exitForError(error)
        }
        exit(ExitStatus.success)
    }

    static func exitForError(_ error: any Error) -> Never {
        if Sitebuild.exitCode(for: error) == .validationFailure {
            writeAll(2, Array((Sitebuild.fullMessage(for: error) + "\n").utf8))
            exit(ExitStatus.invalidInput)
        }
        Sitebuild.exit(withError: error)
    }
}

/// Exit codes of the command-line contract.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let buildFailed: Int32 = 1
    public static let invalidInput: Int32 = 2
    public static let deployFailed: Int32 = 3
    public static let conflict: Int32 = 4
    public static let interrupted: Int32 = 130
}

struct Sitebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sitebuild",
        abstract: "Build a static site from a CodeBuild buildspec and deploy it.",
        version: "sitebuild \(SitebuildVersion.current)",
        subcommands: [RunCommand.self, BuildCommand.self, DeployCommand.self, VersionsCommand.self, RollbackCommand.self,
                      PruneCommand.self, ServeCommand.self, InitCommand.self, ValidateCommand.self, HashCommand.self, DoctorCommand.self, WatchCommand.self, FunctionCommand.self])
}

enum SitebuildVersion {
    static let current = "0.1.0"

    /// What `--version` prints: the version, then the C libraries this binary runs on (they
    /// are the runtime dependencies a container or another distribution must provide).
    static var description: String {
        """
        sitebuild \(current)
        libcurl: \(AWSCoreLibraries.curl)
        libcrypto: \(AWSCoreLibraries.openSSL)
        libarchive: \(SiteContentLibraries.libarchive)
        hashing: \(SiteContentLibraries.xxhash)
        """
    }
}
