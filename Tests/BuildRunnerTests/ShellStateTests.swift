@testable import BuildRunner
import Foundation
import Testing

/// CodeBuild 0.2's execution model: each command is its own script; directory and
/// variables carry over, shell options and functions do not.
@Suite struct ShellStateTests {
    @Test func directoryCarriesAcrossCommandsAndPhases() throws {
        let h = try BuildHarness()
        try FileManager.default.createDirectory(atPath: h.source + "/a/b", withIntermediateDirectories: true)
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - cd a
                  - cd b
              build:
                commands:
                  - pwd
            """)
        #expect(run.result.status == .succeeded)
        #expect(run.log.outputLines.contains(h.source + "/a/b"))
    }

    @Test func assignedAndExportedVariablesCarryOver() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              pre_build:
                commands:
                  - PLAIN=one
                  - export EXPORTED=two
                  - VERSION=$(echo 1.2.3)
              build:
                commands:
                  - echo "plain=$PLAIN exported=$EXPORTED version=$VERSION"
                  - sh -c 'echo child sees $PLAIN'
            """)
        #expect(run.log.outputLines.contains("plain=one exported=two version=1.2.3"))
        #expect(run.log.outputLines.contains("child sees one"))
    }

    @Test func shellOptionsFunctionsAndAliasesDoNotCarryOver() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - set -e
                  - false; echo "after false"
                  - greet() { echo hi; }
                  - greet || echo "no function"
                  - set -u
                  - echo "unset is ${NOT_SET_ANYWHERE}empty"
            """)
        #expect(run.result.status == .succeeded)
        #expect(run.log.outputLines.contains("after false"))
        #expect(run.log.outputLines.contains("no function"))
        #expect(run.log.outputLines.contains("unset is empty"))
    }

    @Test func exitInsideACommandLosesItsStateAndSetsTheStatus() throws {
        let h = try BuildHarness()
        try FileManager.default.createDirectory(atPath: h.source + "/sub", withIntermediateDirectories: true)
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - LOST=yes; cd sub; exit 0
                  - echo "lost=${LOST:-unset} dir=$(basename "$PWD")"
                  - exit 7
                  - echo never
            """)
        #expect(run.log.outputLines.contains("lost=unset dir=src"))
        #expect(!run.log.outputLines.contains("never"))
        #expect(run.log.contains("Command did not exit successfully exit 7 exit status 7"))
        #expect(run.log.contains("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: exit 7. Reason: exit status 7"))
        #expect(run.result.status == .failed)
    }

    /// A directory whose name is not UTF-8 (Latin-1, as ZIP and tar sources bring them) is
    /// entered by the next command byte for byte, as on CodeBuild; read as a String it became
    /// `caf\u{FFFD}` and the next command failed on its `cd`. Helpers (exported variables) start
    /// there too, with no warning that it is gone.
    @Test func aDirectoryWhoseNameIsNotUTF8CarriesToTheNextCommand() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              exported-variables: [WHERE]
            phases:
              install:
                commands:
                  - d=$(printf 'caf\\351'); mkdir -p "$d"; cd "$d"
                  - echo "$PWD" | tail -c 5 | od -An -tx1 | tr -d ' \\n'; echo
              build:
                commands:
                  - WHERE=$(printf %s "${PWD##*/}" | od -An -tx1 | tr -d ' \\n')
            """, json: true)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.outputLines.contains("636166e90a"), "\(run.log)")
        #expect(run.result.exportedVariables.first?.value == "636166e9")
        #expect(!run.log.contains("no longer exists"), "\(run.log)")
    }

    /// A last command that removes the directory it ended in (a scratch folder it worked in)
    /// loses nothing: exported variables, artifacts.name and base-directory variables are read
    /// from the source directory, with a warning naming the missing one.
    @Test func aLastCommandThatRemovesItsOwnDirectoryLosesNoVariables() throws {
        let h = try BuildHarness()
        let scratch = h.root + "/scratch"
        let out = h.root + "/out"
        try h.write("VERSION", "1.4")
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                OUT: site
              exported-variables: [OUT, MINE]
            phases:
              build:
                commands:
                  - mkdir -p site && echo hi > site/index.html
                  - export MINE=yes
                  - mkdir -p \(scratch) && cd \(scratch) && rm -rf \(scratch)
            artifacts:
              name: site-$OUT-$(cat VERSION)
              base-directory: $OUT
              files: ['**/*']
            """, out: out)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.result.exportedVariables.map(\.name) == ["OUT", "MINE"])
        #expect(run.result.exportedVariables.map(\.value) == ["site", "yes"])
        #expect(run.result.artifacts.first?.name == "site-site-1.4")
        #expect(FileManager.default.fileExists(atPath: out + "/index.html"))
        #expect(run.log.count(of: "Warning: the directory the last command ended in (\(scratch)) no longer exists") == 1, "\(run.log)")
    }

    /// A build that cleans the temporary directory (a classic Hugo recipe empties it with
    /// `rm -rf` of everything in it) keeps its variables and directory: the shell state is in
    /// sitebuild's cache directory, as CodeBuild keeps its agent's state outside the temporary
    /// directory. (The command removes its state's folder only when sitebuild made it in the
    /// temporary directory, as that recipe would: the harness and other tests' builds are there
    /// too, so it is not emptied whole.) Folders killed builds left there are removed, and so is
    /// the build's own at the end.
    @Test func cleaningTheTemporaryDirectoryKeepsTheShellState() throws {
        let h = try BuildHarness()
        // The temporary directory sitebuild would fall back to (NSTemporaryDirectory, $TMPDIR).
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.path
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - export BEFORE=kept && mkdir -p sub && cd sub
                  - C=$(dirname "$(dirname "$0")"); if [ "$(dirname "$C")" = '\(temporary)' ]; then rm -rf "$C"; fi; echo "state in $(dirname "$C")"
              build:
                commands:
                  - echo "BEFORE=$BEFORE in $(basename "$PWD")"
            """)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.outputLines == ["state in \(h.cache)/run", "BEFORE=kept in sub"], "\(run.log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.cache + "/run") == [])

        // A killed build's folder (its process is gone) goes with the next build; a live one stays.
        let dead = h.cache + "/run/shell-\(RuntimeDirectory.hostKey)-999999999-abcdef"
        let live = h.cache + "/run/shell-\(RuntimeDirectory.hostKey)-\(getppid())-abcdef"
        for folder in [dead, live] { try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true) }
        let again = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - rm -rf \"$(dirname \"$0\")\"\n      - echo never\n")
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
        // A command that removes the state itself is told so.
        #expect(again.result.status == .failed)
        #expect(again.log.count(of: "Warning: the command removed sitebuild's shell state") == 1, "\(again.log)")
        #expect(!again.log.outputLines.contains("never"))
    }

    /// A command item with no value (`- # TODO`, `- ~`) runs as an empty command, as CodeBuild
    /// runs it: logged as `Running command ` and nothing, it succeeds and keeps the state.
    @Test func aCommandWithNoValueRunsAsAnEmptyCommand() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - # install terraform, tfsec
                  - export KEPT=yes
              build:
                commands:
                  - ~
                  - echo "KEPT=$KEPT"
                finally:
                  -
            """)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.count(of: "Running command \n") == 3, "\(run.log)")
        #expect(run.log.outputLines == ["KEPT=yes"])
        #expect(run.phase("BUILD")?.status == "SUCCEEDED")
    }

    /// `set -o noclobber` (`set -C`) in a command is the command's own option: the wrapper's
    /// state writes overwrite regardless, under sh and bash.
    @Test func noclobberInACommandKeepsItsStateAndStatus() throws {
        for shell in ["/bin/sh", "bash"] {
            let h = try BuildHarness()
            let run = try h.run("""
                version: 0.2
                env:
                  shell: \(shell)
                  exported-variables: [A]
                phases:
                  build:
                    commands:
                      - set -o noclobber; export A=one; mkdir -p sub; cd sub
                      - set -C; A="$A two"
                      - echo "A=$A in $(basename "$PWD")"
                """)
            #expect(run.result.status == .succeeded, "\(shell): \(run.log)")
            #expect(run.log.outputLines.contains("A=one two in sub"), "\(shell): \(run.log)")
            #expect(run.result.exportedVariables.map(\.value) == ["one two"], "\(shell)")
        }
    }

    @Test func aMultiLineBlockIsOneCommandWhoseLastStatusCounts() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - |
                    echo first
                    false
                    echo last
                  - |
                    echo second block
                    false
            """)
        #expect(run.log.contains("Running command echo first\nfalse\necho last\n"))
        #expect(run.log.outputLines.contains("last"))
        #expect(run.log.contains("Command did not exit successfully echo second block\nfalse"))
        #expect(run.phase("BUILD")?.status == "FAILED")
    }

    /// A command left hanging is not joined to what sitebuild runs after it (where it skipped
    /// the save of its status, and the build went on with the status of the command before):
    /// it fails, as `sh -c` alone fails it. A trailing `\` continues onto nothing, as there.
    @Test(arguments: ["sh", "bash"])
    func aCommandLeftHangingFails(_ shell: String) throws {
        let h = try BuildHarness()
        for hanging in ["sh -c 'exit 1' &&", "true &&", "false |", "true ||"] {
            let run = try h.run("""
                version: 0.2
                env:
                  shell: \(shell)
                phases:
                  build:
                    commands:
                      - echo before
                      - \(hanging)
                      - echo after
                """)
            #expect(run.phase("BUILD")?.status == "FAILED", "\(hanging): \(run.log)")
            #expect(!run.log.outputLines.contains("after"), "\(hanging)")
            #expect(run.result.status == .failed)
        }
        let continued = try h.run("""
            version: 0.2
            env:
              shell: \(shell)
            phases:
              build:
                commands:
                  - 'echo one \\'
                  - echo two
            """)
        #expect(continued.result.status == .succeeded, "\(continued.log)")
        #expect(continued.log.outputLines.contains("one") && continued.log.outputLines.contains("two"))
    }

    @Test func defaultShellIsShAndBashIsHonoured() throws {
        let h = try BuildHarness()
        let sh = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - if [[ 1 == 1 ]]; then echo double-bracket; fi
            """)
        // dash has no [[: the error names the script and line 4, as CodeBuild's logs do.
        #expect(!sh.log.outputLines.contains("double-bracket"))
        #expect(sh.log.contains("script.sh: 4:"))
        let bash = try h.run("""
            version: 0.2
            env:
              shell: bash
            phases:
              build:
                commands:
                  - if [[ 1 == 1 ]]; then echo double-bracket; fi
                  - set -o pipefail; echo "bash $BASH_VERSION" | cut -c1-4
                  - declare -A map; map[a]=1; echo "array ${map[a]}"
                  - echo "array later ${map[a]:-gone}"
            """)
        #expect(bash.result.status == .succeeded)
        #expect(bash.log.outputLines.contains("double-bracket"))
        #expect(bash.log.outputLines.contains("array 1"))
        #expect(bash.log.outputLines.contains("array later gone"))
    }

    @Test func valuesWithSpacesQuotesAndNewlinesSurviveTheRoundTrip() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                LITERAL: 'it''s "quoted" $HOME and `ticks`'
            phases:
              install:
                commands:
                  - TRICKY="a 'b' \\"c\\" $(printf 'x\\ny')"
              build:
                commands:
                  - printf '[%s]\\n' "$LITERAL"
                  - printf '<%s>\\n' "$TRICKY"
            """)
        #expect(run.log.outputLines.contains("[it's \"quoted\" $HOME and `ticks`]"))
        #expect(run.log.contains("<a 'b' \"c\" x\ny>"))
    }

    @Test func version01RunsEveryCommandInAFreshShell() throws {
        let h = try BuildHarness()
        try FileManager.default.createDirectory(atPath: h.source + "/sub", withIntermediateDirectories: true)
        let run = try h.run("""
            version: 0.1
            environment_variables:
              plaintext:
                OLD_STYLE: yes-it-works
            phases:
              build:
                commands:
                  - cd sub; KEPT=no
                  - echo "dir=$(basename "$PWD") kept=${KEPT:-unset} old=$OLD_STYLE"
            """)
        #expect(run.log.outputLines.contains("dir=src kept=unset old=yes-it-works"))
    }

    @Test func backgroundProcessesDoNotBlockAndAreStoppedAtTheEnd() throws {
        let h = try BuildHarness()
        let marker = "bg-\(UUID().uuidString.prefix(8)).sh"
        try h.write(marker, "sleep 60\n")
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - sh ./\(marker) &
                  - echo next
            """)
        // The command returned although its background child held the output pipe, and
        // the child was still alive at the end of the build, when sitebuild stopped it.
        #expect(run.log.outputLines.contains("next"))
        #expect(run.log.contains("background process(es) the build left running"))
        var gone = false
        for _ in 0..<50 where !gone {
            gone = !processExists(named: marker)
            if !gone { usleep(100_000) }
        }
        #expect(gone)
    }

    /// A background process keeps running and logging after its command has ended, as in
    /// CodeBuild (`nohup dockerd … &`, a test server started before the tests): its output goes
    /// on being read and logged, masked, instead of its next write killing it with SIGPIPE.
    @Test func backgroundProcessesKeepWritingToTheLogAfterTheirCommand() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              parameter-store:
                TOKEN: /ci/token
            phases:
              build:
                commands:
                  - nohup sh -c 'sleep 1; echo "started with $TOKEN"; echo -n "no newline"; touch alive' &
                  - for i in 1 2 3 4 5 6 7 8 9 10; do test -e alive && break; sleep 0.5; done; test -e alive
                  - echo next
                  - (sleep 0.2; head -c 65530 /dev/zero | tr '\\0' x; printf '%s\\n' "$TOKEN"; printf 'caf\\351\\n'; touch long) &
                  - for i in 1 2 3 4 5 6 7 8 9 10; do test -e long && break; sleep 0.5; done; sleep 0.5
                  - (printf 'bg %s' "${TOKEN%??????}"; sleep 1; printf '%s end\\n' "${TOKEN#????}"; touch split) &
                  - for i in 1 2 3 4 5 6 7 8 9 10; do test -e split && break; sleep 0.5; done; sleep 0.3
            """, secrets: FixedSecrets(parameters: ["/ci/token": "tok-9f8e7d"]))
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(h.read("alive") != nil, "the background process was killed before it could finish")
        #expect(run.log.outputLines.contains("started with ***"), "\(run.log)")
        #expect(run.log.outputLines.contains("no newline"), "\(run.log)")
        #expect(run.log.outputLines.contains("next"))
        // The status is the log's last line, after what background processes wrote.
        #expect(run.log.split(separator: "\n").last?.contains("Build succeeded with status SUCCEEDED") == true)
        // A secret that falls across the 64 KiB a long line is logged in pieces of, or across
        // two reads of the pipe, is still masked; bytes that are not UTF-8 pass as they are.
        #expect(!run.log.contains("tok-9f8e7d") && !run.log.contains("9f8e7d"), "unmasked")
        #expect(run.log.contains("***"))
        // Begun before its command ended and ended after: masked across the handover too.
        #expect(run.log.outputLines.contains { $0.hasSuffix("*** end") } && !run.log.contains("tok-"), "\(run.log.outputLines.suffix(4))")
        #expect(run.logBytes.split(separator: 10).contains { Array($0) == [99, 97, 102, 0xE9] }, "caf\\351 rewritten")
    }

    /// A background process that left the build's process groups with an emptied environment
    /// (which the end-of-build stop cannot find) and writes without pause does not hold the
    /// build's end: its pipe is closed, and its next write ends it.
    @Test func anEscapedWriterDoesNotHoldTheEndOfTheBuild() throws {
        let h = try BuildHarness()
        let marker = "escaped-\(UUID().uuidString.prefix(8))"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - env -i setsid /usr/bin/timeout 60 /bin/sh -c 'while :; do echo \(marker); done' &
                  - sleep 0.5
            """)
        #expect(run.result.status == .succeeded)
        #expect(run.log.contains(marker))
        var gone = false
        for _ in 0..<50 where !gone {
            gone = !processExists(named: marker)
            if !gone { usleep(100_000) }
        }
        #expect(gone, "the escaped writer outlived its closed pipe")
    }

    /// A process that leaves the build's process groups (setsid, as daemons such as ssh-agent
    /// do) is still found through the marker variable it inherited, and stopped: with SIGTERM,
    /// or SIGKILL when it ignores SIGTERM. CodeBuild's container teardown would end it too.
    @Test func processesThatLeftTheProcessGroupAreStoppedAtTheEnd() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - setsid -f sh -c 'echo $$ > polite.pid; exec sleep 300' < /dev/null > /dev/null 2>&1
                  - setsid -f sh -c 'trap "" TERM; echo $$ > stubborn.pid; while :; do sleep 1; done' < /dev/null > /dev/null 2>&1
                  - i=0; until [ -s polite.pid ] && [ -s stubborn.pid ] || [ $i -ge 3000 ]; do sleep 0.1; i=$((i+1)); done
                  - echo "marker=${SITEBUILD_BUILD_ID:+set}"
            """)
        #expect(run.result.status == .succeeded)
        #expect(run.log.outputLines.contains("marker=set"))
        #expect(run.log.contains("process(es) the build started outside its process groups"))
        for file in ["polite.pid", "stubborn.pid"] {
            let pid = try #require(h.read(file).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            var alive = true
            for _ in 0..<600 where alive {  // a loaded machine may take a while to reap them
                alive = LeftoverProcesses.stat(pid).map { $0.state != "Z" } ?? false
                if alive { usleep(100_000) }
            }
            #expect(!alive, "\(file): process \(pid) outlived the build")
        }
    }

    @Test func leftoverScanReadsMarkersFromTheEnvironmentBlock() throws {
        // The marker must match a whole NAME=value entry, not a prefix of a longer value.
        let me = getpid()
        let stat = try #require(LeftoverProcesses.stat(me))
        #expect(stat.state == "R" || stat.state == "S")
        #expect(stat.group == getpgrp())
        let path = try #require(ProcessInfo.processInfo.environment["PATH"])
        #expect(LeftoverProcesses.environment(of: me, contains: Array("PATH=\(path)".utf8)) == true)
        #expect(LeftoverProcesses.environment(of: me, contains: Array("PATH=\(path.dropLast())".utf8)) == false)
        #expect(LeftoverProcesses.environment(of: 999_999_999, contains: Array("PATH=x".utf8)) == nil)
    }
}

func processExists(named text: String) -> Bool {
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
    for pid in pids where pid.allSatisfy(\.isNumber) {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
        if String(decoding: data, as: UTF8.self).contains(text) {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains(") Z ") { continue }
            return true
        }
    }
    return false
}

@Suite struct RunAsTests {
    @Test func runAsRunsCommandsAsThatUserWhenSitebuildIsRoot() throws {
        let h = try BuildHarness()
        // Every part of the source path must be reachable by the other user.
        chmod(h.root, 0o755)
        chmod(h.source, 0o777)
        guard geteuid() == 0, getpwnam("nobody") != nil else {
            // Not root: run-as another user is refused with a clear message (exit 2 in the CLI).
            let run = try h.run("version: 0.2\nrun-as: nobody\nphases:\n  build:\n    commands:\n      - id -un\n")
            #expect(run.result.status == .fault)
            #expect(run.result.message?.contains("run-as") == true)
            return
        }
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - id -un
                  - SHARED=from-root
              build:
                run-as: nobody
                commands:
                  - id -un
                  - echo "sees $SHARED"
                  - LATER=from-nobody
              post_build:
                commands:
                  - id -un; echo "root sees $LATER"
            """)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.outputLines == ["root", "nobody", "sees from-root", "root", "root sees from-nobody"])
    }

    /// With run-as, a restored cache belongs to the run-as user, folders made on the way
    /// included, as the files its commands wrote did: the next build's install can remove it
    /// (`rm -rf node_modules` failed with "Permission denied" when root owned what was restored).
    @Test func runAsOwnsWhatTheCacheRestores() throws {
        let h = try BuildHarness()
        guard geteuid() == 0, let nobody = getpwnam("nobody") else { return }
        let (uid, gid) = (nobody.pointee.pw_uid, nobody.pointee.pw_gid)
        chmod(h.root, 0o755)
        chown(h.source, uid, gid)
        let yaml = """
            version: 0.2
            run-as: nobody
            phases:
              install:
                commands:
                  - rm -rf node_modules && mkdir -p node_modules/pkg && echo x > node_modules/pkg/a.js
            cache:
              key: deps-v1
              paths: ['node_modules/**/*']
            """
        try h.write("buildspec.yml", yaml)
        chown(h.source + "/buildspec.yml", uid, gid)
        let first = try h.run(yaml)
        #expect(first.result.status == .succeeded, "\(first.log)")
        #expect(first.log.contains("Saved 1 file(s) to the cache with key deps-v1"), "\(first.log)")
        // A fresh checkout of the same source: the cache restores node_modules.
        try FileManager.default.removeItem(atPath: h.source + "/node_modules")
        let second = try h.run(yaml)
        #expect(second.log.contains("Restored 1 cached file(s) from key deps-v1"), "\(second.log)")
        #expect(second.result.status == .succeeded, "\(second.log)")
        // Restored without the build touching them: owned by nobody too.
        try FileManager.default.removeItem(atPath: h.source + "/node_modules")
        let restoreOnly = try h.run(yaml.replacingOccurrences(of: "rm -rf node_modules && mkdir -p node_modules/pkg && echo x > node_modules/pkg/a.js", with: "true"))
        #expect(restoreOnly.result.status == .succeeded, "\(restoreOnly.log)")
        for path in ["node_modules", "node_modules/pkg", "node_modules/pkg/a.js"] {
            var info = stat()
            #expect(lstat(h.source + "/" + path, &info) == 0 && info.st_uid == uid && info.st_gid == gid, "\(path) is uid \(info.st_uid)")
        }
    }

    /// With run-as, the state files (variables, secrets among them, and the next script) are
    /// the running user's alone: 0700/0600, never world-writable. A link a run-as user leaves
    /// in place of env.sh is not written through by root's next command.
    @Test func runAsStateIsPrivateToTheUserRunningTheCommand() throws {
        let h = try BuildHarness()
        chmod(h.root, 0o755)
        chmod(h.source, 0o777)
        // Needs root (CI runs as root); elsewhere run-as is refused, which RunAsTests checks.
        guard geteuid() == 0, getpwnam("nobody") != nil else { return }
        let victim = h.root + "/victim.txt"
        try Data("untouched\n".utf8).write(to: URL(fileURLWithPath: victim))
        chmod(victim, 0o644)
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - stat -c 'root dir %a %U' "$(dirname "$0")"; stat -c 'root env %a %U' "$(dirname "$0")/env.sh"; stat -c 'container %a %U' "$(dirname "$(dirname "$0")")"
                  - SECRET_ISH=kept
              build:
                run-as: nobody
                commands:
                  - stat -c 'nobody dir %a %U' "$(dirname "$0")"; stat -c 'nobody env %a %U' "$(dirname "$0")/env.sh"; stat -c 'nobody script %a %U' "$0"
                  - echo "nobody sees $SECRET_ISH"
                  - mv "$(dirname "$0")" "$(dirname "$0").moved" 2>/dev/null && echo renamed || echo cannot-rename
                  - rm -f "$(dirname "$0")/env.sh"; ln -s \(victim) "$(dirname "$0")/env.sh"
              post_build:
                commands:
                  - stat -c 'root again %a %U' "$(dirname "$0")"; test -L "$(dirname "$0")/env.sh" && echo link || echo file
            """)
        #expect(run.log.outputLines.contains("root dir 700 root"), "\(run.log)")
        // The container stays root's: the run-as user cannot swap the state directory for a link.
        #expect(run.log.outputLines.contains("container 711 root"))
        #expect(run.log.outputLines.contains("cannot-rename"))
        #expect(run.log.outputLines.contains("root env 600 root"))
        #expect(run.log.outputLines.contains("nobody dir 700 nobody"))
        #expect(run.log.outputLines.contains("nobody env 600 nobody"))
        #expect(run.log.outputLines.contains("nobody script 600 nobody"))
        #expect(run.log.outputLines.contains("nobody sees kept"))
        #expect(run.log.outputLines.contains("root again 700 root"))
        #expect(run.log.outputLines.contains("file"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
    }

    /// A run-as user's processes can write anything into the variables file (here the command
    /// appends code and exits before the file is rewritten; a background process could do it
    /// any time). Root's next command gets the values, never runs that code.
    @Test func codeARunAsUserLeavesInTheVariablesNeverRunsAsRoot() throws {
        let h = try BuildHarness()
        chmod(h.root, 0o755)
        chmod(h.source, 0o777)
        guard geteuid() == 0, getpwnam("nobody") != nil else { return }
        let marker = h.source + "/ran-as.txt"
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - BEFORE=from-root
              build:
                run-as: nobody
                commands:
                  - |
                    TRICKY="it's \\$HOME \\"q\\"
                    second line"
                  - printf 'id -un >> \(marker)\\n' >> "$(dirname "$0")/env.sh"; exit 0
              post_build:
                commands:
                  - id -un; echo "root sees $BEFORE"; printf '%s\\n' "$TRICKY"
            """)
        #expect(run.result.status == .succeeded, "\(run.log)")
        let ran = (try? String(contentsOfFile: marker, encoding: .utf8)) ?? ""
        #expect(!ran.contains("root"), "code written by nobody ran as root: \(ran)")
        // (The log shows the two-line command's second line too.)
        #expect(run.log.outputLines.suffix(4) == ["root", "root sees from-root", "it's $HOME \"q\"", "second line"], "\(run.log)")
    }

    @Test func anUnknownRunAsUserStopsBeforeAnyCommand() throws {
        let h = try BuildHarness()
        let run = try h.run("version: 0.2\nrun-as: no-such-user-here\nphases:\n  build:\n    commands:\n      - echo ran\n")
        #expect(run.result.status == .fault)
        #expect(run.result.failureKind == .invalidInput)
        // Where it is written, as the buildspec's other errors say it.
        #expect(run.result.message?.contains(":2:9: run-as: there is no user 'no-such-user-here'") == true, "\(run.result.message ?? "")")
        #expect(run.log.outputLines.isEmpty)
    }
}
