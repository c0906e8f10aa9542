import BuildSpec
import Foundation
import SiteContent
import Testing
import TestSupport

@Suite struct BuildCommandTests {
    /// CodeBuild checks each build out to a new folder (…/src123456789/src): inside CodeBuild
    /// the keyless cache slot is the project's (CODEBUILD_BUILD_ID before its last `:`), so the
    /// next build restores it and the cache folder keeps one entry, not one per build.
    @Test func insideCodeBuildTheKeylessCacheSlotIsTheProjects() throws {
        let h = try CLIHarness()
        let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p deps && echo x > deps/a\ncache:\n  paths: ['deps/**/*']\n"
        func build(_ folder: String, id: String) throws -> CLIHarness.Output {
            try h.write(folder + "/buildspec.yml", spec)
            return try h.run(["build", "--source", folder], environment: ["CODEBUILD_BUILD_ID": id, "CODEBUILD_SRC_DIR": h.root + "/" + folder])
        }
        let first = try build("cb/src111/src", id: "site:1")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let second = try build("cb/src222/src", id: "site:2")
        #expect(second.status == 0)
        #expect(second.stdout.contains("Restored 1 cached file(s)"), "\(second.stdout)")
        let archives = { (try? FileManager.default.contentsOfDirectory(atPath: h.root + "/.cache/build-cache"))?.filter { $0.hasSuffix(".tar") } ?? [] }
        #expect(archives().count == 1)
        let other = try build("cb/src333/src", id: "other-site:3")
        #expect(other.stdout.contains("Cache miss"), "another project has a slot of its own: \(other.stdout)")
        #expect(archives().count == 2)
    }

    @Test func aSuccessfulBuildExitsZeroAndWritesArtifactsAndExports() throws {
        let h = try CLIHarness()
        try h.write("site/buildspec.yml", """
            version: 0.2
            env:
              exported-variables: [RESULT, QUOTED]
            phases:
              build:
                commands:
                  - mkdir -p public && echo hello > public/index.html
                  - RESULT=done
                  - QUOTED='a "b" $c'
            artifacts:
              base-directory: public
              files: ['**/*']
            """)
        let run = try h.run(["build", "--source", "site", "--out", "out", "--zip", "site.zip", "--exported-variables-file", "exports.env"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("[Container] "))
        #expect(run.stdout.contains("Phase complete: BUILD State: SUCCEEDED"))
        #expect(h.read("out/index.html") == "hello\n")
        #expect(h.exists("site.zip"))
        #expect(h.read("exports.env") == "RESULT=done\nQUOTED=\"a \\\"b\\\" \\$c\"\n")
        var info = stat()
        #expect(stat(h.root + "/exports.env", &info) == 0 && info.st_mode & 0o777 == 0o600)
        // The file reads back through --env-file: the values round-trip.
        try h.write("echo.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - printf '%s|%s\\n' \"$RESULT\" \"$QUOTED\"\n")
        let again = try h.run(["build", "--buildspec", "echo.yml", "--env-file", "exports.env"])
        #expect(again.stdout.contains("done|a \"b\" $c"), "\(again.stdout)")
        // A file it could not write is refused before the build.
        let unwritable = try h.run(["build", "--source", "site", "--out", "out2", "--exported-variables-file", "no/such/dir/x.env"])
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.contains("--exported-variables-file no/such/dir/x.env: cannot write in"), "\(unwritable.stderr)")
        // A file where a folder of the output, the ZIP or the variables file should be: refused
        // before the build (not a Foundation error after it).
        try h.write("afile", "x")
        for (flag, value) in [("--out", "afile/site"), ("--zip", "afile/site.zip"), ("--exported-variables-file", "afile/x.env")] {
            let bad = try h.run(["build", "--source", "site", flag, value])
            #expect(bad.status == 2 && bad.stderr.contains("\(flag) \(value): \(h.root)/afile is a file, not a directory"), "\(flag): \(bad.stderr)")
            #expect(!bad.stdout.contains("Entering phase BUILD"), "\(flag): \(bad.stdout)")
        }
        // An empty --cache or git ref (unset variables) does not fall back to another cache or branch.
        try h.write("site/sitebuild.yml", "cache: s3://prod-cache/site\n")
        let emptyCache = try h.run(["build", "--source", "site", "--cache", ""])
        #expect(emptyCache.status == 2 && emptyCache.stderr.contains("--cache is empty (an unset variable?)"), "\(emptyCache.stderr)")
        for source in ["file://\(h.root)/site#", "site#", "https://example.com/repo.git#"] {
            let emptyRef = try h.run(["build", "--source", source])
            #expect(emptyRef.status == 2 && emptyRef.stderr.contains("the ref after '#' is empty (an unset variable?)"), "\(source): \(emptyRef.stderr)")
        }
    }

    /// With --json, a build or run that never starts still ends stdout with a result event
    /// (CI recipes read the last line).
    @Test func invalidInputEndsTheJSONStreamWithAResult() throws {
        let h = try CLIHarness()
        for arguments in [["build", "--buildspec", "nope.yml", "--json"], ["build", "--source", "nope.zip", "--json"],
                          ["run", "--source", "nope.zip", "--json"], ["run", "--mode", "spaa", "--json"]] {
            if arguments.contains("spaa") {
                try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo\nartifacts:\n  files: ['**/*']\n")
            }
            let run = try h.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            let last = try #require(run.stdout.split(separator: "\n").last, "\(arguments): no JSON on stdout")
            let value = try JSONValue.parse(Data(last.utf8))
            #expect(value["event"] == .string("result") && value["status"] == .string("FAILED"), "\(arguments): \(last)")
        }
    }

    @Test func aFailedBuildExitsOne() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - exit 5\n")
        let run = try h.run(["build"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("Reason: exit status 5"))
    }

    @Test func anInvalidBuildspecExitsTwoWithLocationsAndRunsNothing() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - touch ran-anyway
                  - echo a: b
              biuld:
                commands: []
            """)
        let run = try h.run(["build"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("buildspec.yml:6:9: error: phases.build.commands[1]"))
        #expect(run.stderr.contains("buildspec.yml:7:3: warning: phases.biuld: unknown phase 'biuld' will NOT run"))
        #expect(!h.exists("ran-anyway"))
    }

    /// Regression: `pre-build:` (for pre_build) was an error, so validate and build refused a
    /// buildspec CodeBuild runs: its agent reports keys it cannot identify as possible syntax
    /// errors and carries on. Now a warning says the phase will not run, and it does not.
    @Test func anUnknownPhaseIsSkippedAndTheOthersRun() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              pre-build:
                commands:
                  - touch pre-ran
              build:
                commands:
                  - touch build-ran
            """)
        let validate = try h.run(["validate"])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stderr.contains("buildspec.yml:3:3: warning: phases.pre-build: unknown phase 'pre-build' will NOT run: "
            + "CodeBuild, too, reports a key it cannot identify as a possible syntax error and skips it; did you mean 'pre_build'?"),
            "\(validate.stderr)")
        let run = try h.run(["build"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("unknown phase 'pre-build' will NOT run") || run.stdout.contains("unknown phase 'pre-build' will NOT run"))
        #expect(h.exists("build-ran"))
        #expect(!h.exists("pre-ran"))
    }

    /// Regression: an unknown runtime name (`node: 18`, CodeBuild's is `nodejs`) passed validate
    /// and build without a word; CodeBuild fails such a build. Now both warn at the key.
    @Test func anUnknownRuntimeNameIsWarnedAboutByValidateAndBuild() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              install:
                runtime-versions:
                  node: 18
              build:
                commands:
                  - touch built
            """)
        let warning = "buildspec.yml:5:7: warning: phases.install.runtime-versions.node: 'node' is not a runtime name CodeBuild knows"
        let validate = try h.run(["validate"])
        #expect(validate.status == 0)
        #expect(validate.stderr.contains(warning), "\(validate.stderr)")
        #expect(validate.stderr.contains("did you mean 'nodejs'?"), "\(validate.stderr)")
        let build = try h.run(["build"], environment: ["SITEBUILD_RUNTIMES_FILE": ""])
        #expect(build.status == 0, "\(build.stderr)")
        #expect((build.stdout + build.stderr).contains(warning), "\(build.stdout)\(build.stderr)")
        #expect(h.exists("built"))
    }

    @Test func validateChecksWithoutRunning() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\n    on-failure: STOP\n")
        let bad = try h.run(["validate"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("buildspec.yml:6:17: error: phases.build.on-failure: 'STOP' is not a valid on-failure value"))
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\n    colour: blue\n")
        let ok = try h.run(["validate", "--json"])
        #expect(ok.status == 0)
        let value = try JSONValue.parse(Data(ok.stdout.utf8))
        #expect(value["valid"] == .bool(true))
        #expect(value["settingsFile"] == .null, "no sitebuild.yml")
        #expect(value["diagnostics"]?.arrayValue?.first?["severity"] == .string("warning"))
        // The settings file read beside it is named, whether or not it has errors.
        try h.write("sitebuild.yml", "cache-controll: x\n")
        let settings = try h.run(["validate", "--json"])
        #expect(settings.status == 2)
        let named = try JSONValue.parse(Data(settings.stdout.utf8))
        #expect(named["settingsFile"] == .string(h.root + "/sitebuild.yml"), "\(settings.stdout)")
        #expect(named["diagnostics"]?.arrayValue?.contains { $0["file"] == .string(h.root + "/sitebuild.yml") } == true, "\(settings.stdout)")
        try FileManager.default.removeItem(atPath: h.root + "/sitebuild.yml")
        #expect(!h.exists("ran"))
        // A run-as user this machine does not have: a warning where it is written (the build
        // may run elsewhere), and the build's exit 2 names the same place.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    run-as: no-such-user-here\n    commands:\n      - touch ran\n")
        let unknown = try h.run(["validate"])
        #expect(unknown.status == 0)
        #expect(unknown.stderr.contains("buildspec.yml:4:13: warning: phases.build.run-as: there is no user 'no-such-user-here'"), "\(unknown.stderr)")
        let build = try h.run(["build"])
        #expect(build.status == 2)
        #expect(build.stdout.contains("buildspec.yml:4:13: phases.build.run-as: there is no user 'no-such-user-here'"), "\(build.stdout)")
        #expect(!h.exists("ran"))
        // A directory or a missing file is named as such, with what to do.
        try FileManager.default.createDirectory(atPath: h.root + "/specs", withIntermediateDirectories: true)
        let directory = try h.run(["validate", "--buildspec", "specs"])
        #expect(directory.status == 2 && directory.stderr.contains("specs is a directory; pass the buildspec file itself"), "\(directory.stderr)")
        let missing = try h.run(["validate", "--source", "specs"])
        #expect(missing.status == 2 && missing.stderr.contains("or run `sitebuild init` to write one"), "\(missing.stderr)")
        // A source folder that is not there is named, not a buildspec inside it.
        let nowhere = try h.run(["validate", "--source", "nowhere"])
        #expect(nowhere.status == 2 && nowhere.stderr.contains("error: --source nowhere: no such directory; name the project's folder"), "\(nowhere.stderr)")
        #expect(!nowhere.stderr.contains("buildspec.yml"), "\(nowhere.stderr)")
        let empty = try h.run(["validate", "--source", ""])
        #expect(empty.status == 2 && empty.stderr.contains("--source is empty"), "\(empty.stderr)")
    }

    /// A relative --buildspec names the same file for validate, build and run: the one in the
    /// current directory when there is one, else the source's.
    @Test func aRelativeBuildspecIsTheSameFileForValidateBuildAndRun() throws {
        let h = try CLIHarness()
        try h.write("src/spec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && echo FROM-SOURCE-SPEC > dist/index.html\n"
            + "artifacts:\n  base-directory: dist\n  files: ['**/*']\n")
        let validate = try h.run(["validate", "--source", "src", "--buildspec", "spec.yml"])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.contains("\(h.root)/src/spec.yml: valid buildspec"), "\(validate.stdout)")
        let build = try h.run(["build", "--source", "src", "--buildspec", "spec.yml"])
        #expect(build.status == 0 && build.stdout.contains("YAML location is \(h.root)/src/spec.yml"), "\(build.stdout)")
        let run = try h.run(["run", "--source", "src", "--buildspec", "spec.yml"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let live = try #require(h.read(".sitebuild/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(h.read(".sitebuild/\(live)/index.html") == "FROM-SOURCE-SPEC\n")
        // A clean copy is still this machine's folder: a buildspec beside it is found too.
        try h.write("ci/bs.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo FROM-CI-FOLDER\n")
        let clean = try h.run(["build", "--source", "src", "--clean", "--buildspec", "ci/bs.yml"])
        #expect(clean.status == 0 && clean.stdout.contains("FROM-CI-FOLDER\n"), "\(clean.stdout)\(clean.stderr)")
    }

    /// Run from a terminal, a command that reads it (a git credential or ssh prompt) finds
    /// none, as in CodeBuild's container, instead of being stopped until the timeout.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "util-linux script is not installed"))
    func commandsHaveNoTerminalEvenWhenSitebuildHasOne() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'read x </dev/tty; echo \"read status $?\"'\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(CLIHarness.binary) build --timeout 30s", "/dev/null"]
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("read status "), "\(text)")
        #expect(!text.contains("TIMED_OUT"), "\(text)")
    }

    /// The ZIP a build writes into the project is not collected by the next build (it would
    /// nest, and make every rebuild a new version); one inside the output tree is refused (the
    /// tree is replaced after the ZIP is written).
    @Test func theZipIsNotPartOfTheNextBuildAndNotInsideTheOutput() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['true']\nartifacts:\n  files: ['**/*']\n")
        try h.write("index.html", "x")
        for _ in 0..<2 {
            let run = try h.run(["build", "--zip", "site.zip"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("Found 2 file(s)"), "\(run.stdout)")
        }
        let inside = try h.run(["build", "--out", "build-out", "--zip", "build-out/site.zip"])
        #expect(inside.status == 2, "\(inside.stderr)")
        #expect(inside.stderr.contains("--zip build-out/site.zip: inside the output directory"), "\(inside.stderr)")
        // What earlier builds wrote into the project (a ZIP, a --out folder) is not the site of
        // a later one with other flags: `run` deploys index.html and buildspec.yml only.
        #expect(try h.run(["build", "--out", "preview"]).status == 0)
        #expect(h.exists("preview/index.html") && h.exists("site.zip"))
        let run = try h.run(["run", "--target", "versions"])
        #expect(run.status == 0, "\(run.stderr)")
        let live = try #require(h.read("versions/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let deployed = try FileManager.default.contentsOfDirectory(atPath: h.root + "/versions/" + live).sorted()
        #expect(deployed == ["buildspec.yml", "index.html"], "\(deployed)")
        // So does a clean copy of the project.
        let clean = try h.run(["run", "--clean", "--target", "versions", "--dry-run", "--json"])
        #expect(clean.status == 0 && !clean.stdout.contains("preview/index.html") && !clean.stdout.contains("site.zip"), "\(clean.stdout)")
        // The exported-variables file of an earlier run (the build's values, unmasked) is never a site file.
        try h.write("buildspec.yml", "version: 0.2\nenv:\n  exported-variables: [TOKEN]\nphases:\n  build:\n    commands: ['export TOKEN=t0k3n']\nartifacts:\n  files: ['**/*']\n")
        #expect(try h.run(["build", "--exported-variables-file", "pipeline.env"]).status == 0)
        #expect(h.read("pipeline.env") == "TOKEN=t0k3n\n")
        let next = try h.run(["run", "--target", "versions", "--dry-run", "--json"])
        #expect(next.status == 0 && !next.stdout.contains("pipeline.env"), "\(next.stdout)")
        // Another project's build writing into this one (API docs into site/api) is part of the site.
        try h.write("apidocs/buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['mkdir -p out && echo API > out/index.html']\nartifacts:\n  base-directory: out\n  files: ['**/*']\n")
        #expect(try h.run(["build", "--source", "apidocs", "--out", "api"]).status == 0)
        let composed = try h.run(["run", "--target", "versions", "--dry-run", "--json"])
        #expect(composed.status == 0 && composed.stdout.contains("api/index.html"), "\(composed.stdout)")
        // A build whose artifacts come from that folder itself still collects it.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['true']\nartifacts:\n  base-directory: preview\n  files: ['**/*']\n")
        let fromPreview = try h.run(["build", "--out", "again"])
        #expect(fromPreview.status == 0 && h.exists("again/index.html"), "\(fromPreview.stdout)")
    }

    /// Regression: a link to the project inside the artifact folder (`dist/root -> ..`, links
    /// followed) collected sitebuild's own folders under `root/` (`.sitebuild/`, `run`'s local
    /// target, the output folder, a redirected log), and `run` deployed them.
    @Test func sitebuildsOwnFilesAreNotCollectedThroughALink() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['mkdir -p dist; echo i > dist/index.html; ln -sfn .. dist/root']\n"
            + "artifacts:\n  base-directory: dist\n  files: ['**/*']\n")
        #expect(try h.run(["run", "--target", "versions"]).status == 0)
        // The log redirected into the project, the output folder inside it.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "\"$0\" build --out preview > build.log 2>&1", CLIHarness.binary]
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        var environment = ProcessInfo.processInfo.environment
        environment["SITEBUILD_CACHE_DIR"] = h.root + "/.cache"
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(h.read("build.log") ?? "")")
        // The link is followed: the project's own files are there.
        #expect(h.exists("preview/root/buildspec.yml") && h.exists("preview/index.html"))
        for own in ["root/.sitebuild", "root/preview", "root/build.log", "root/.cache"] {
            #expect(!h.exists("preview/" + own), "\(own)")
        }
        let run = try h.run(["run", "--target", "versions", "--dry-run", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("root/buildspec.yml"), "\(run.stdout)")
        for own in ["root/.sitebuild", "root/versions", "root/preview", "root/.cache"] {
            #expect(!run.stdout.contains(own), "\(own): \(run.stdout)")
        }
    }

    /// A reader of the log that goes away stops the build as SIGTERM does: exit 130, the
    /// running command stopped, nothing after it run (it used to die of SIGPIPE and leave the
    /// command running on its own).
    @Test func aLogReaderThatGoesAwayStopsTheBuildCleanly() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo one; sleep 1; echo two; sleep 2; touch three.txt\n"
            + "  post_build:\n    commands:\n      - touch post.txt\n")
        // A pipe only the reader holds (a shell pipeline), closed once the command has started.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "\"$0\" build | grep -m1 '^one$' >/dev/null; echo \"status ${PIPESTATUS[0]}\"", CLIHarness.binary]
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        var environment = ProcessInfo.processInfo.environment
        environment["SITEBUILD_CACHE_DIR"] = h.root + "/.cache"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(said == "status 130\n", "\(said)")
        sleep(3)
        #expect(!h.exists("three.txt") && !h.exists("post.txt"))
    }

    /// The timeout (and a signal) also stops what DOWNLOAD_SOURCE runs (a cache key's `$(…)`),
    /// and that phase is the one marked.
    @Test func aTimeoutDuringDownloadSourceStopsThere() throws {
        let h = try CLIHarness()
        // A build without a key fills the default slot first.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p deps && echo stale > deps/dep.txt\n"
            + "cache:\n  paths: ['deps/**/*']\n")
        #expect(try h.run(["build"]).status == 0)
        try FileManager.default.removeItem(atPath: h.root + "/deps")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch built.txt\n"
            + "cache:\n  key: k-$(sleep 30; echo x)\n  paths: ['deps/**/*']\n")
        let run = try h.run(["build", "--timeout", "2s"])
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.stdout.contains("Phase complete: DOWNLOAD_SOURCE State: TIMED_OUT"), "\(run.stdout)")
        #expect(!run.stdout.contains("Entering phase"), "\(run.stdout)")
        #expect(!h.exists("built.txt"))
        // The key's expansion was cut off: the default slot is not what it names, and is not restored.
        #expect(!h.exists("deps/dep.txt"), "\(run.stdout)")
    }

    /// Programs sitebuild starts get SIGPIPE as it should be (sitebuild catches it, which exec
    /// resets; an ignored one would be inherited): a credential_process with a pipeline that
    /// relies on it ends. And a shared credentials file of /dev/null reads as empty, as the
    /// aws CLI reads it.
    @Test(.timeLimit(.minutes(1))) func credentialProcessesGetDefaultSigpipeAndDevNullIsAnEmptyFile() throws {
        let h = try CLIHarness()
        try h.write("cp.sh", "#!/bin/bash\nyes 2>/dev/null | head -1 >/dev/null\necho '{\"Version\":1,\"AccessKeyId\":\"AKIDTEST\",\"SecretAccessKey\":\"test\"}'\n")
        chmod(h.root + "/cp.sh", 0o755)
        try h.write("config", "[profile cp]\nregion = us-east-1\ncredential_process = \(h.root)/cp.sh\n")
        let refusing = try RefusingLoopbackPort()
        let run = try h.run(["versions", "--profile", "cp", "--target", "s3://bucket-x/site", "--endpoint-url", "http://127.0.0.1:\(refusing.port)"],
                            environment: ["AWS_CONFIG_FILE": h.root + "/config", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        // Past the credentials (which would hang) and the profile lookup, to the refused connection.
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("could not connect"), "\(run.stderr)")
        withExtendedLifetime(refusing) {}
    }

    @Test func aSecondaryArtifactsZipMayNotOverwriteThePrimaryOne() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - touch ran; mkdir -p a b; echo a > a/x; echo b > b/y
            artifacts:
              base-directory: a
              files: ['**/*']
              secondary-artifacts:
                site:
                  base-directory: b
                  files: ['**/*']
            """)
        let clash = try h.run(["build", "--zip", "o/site.zip"])
        #expect(clash.status == 2)
        #expect(clash.stderr.contains("--zip o/site.zip: the secondary artifact 'site' is written to the same file"), "\(clash.stderr)")
        #expect(!h.exists("ran"))
        // <out>-<identifier> is replaced whole too: never the source (here proj-site, the
        // source, is what --out proj plus the secondary 'site' would name).
        try h.write("proj-site/buildspec.yml", h.read("buildspec.yml")!)
        try h.write("proj-site/precious.txt", "keep me")
        let wipe = try h.run(["build", "--source", "proj-site", "--out", "proj"])
        #expect(wipe.status == 2, "\(wipe.stderr)")
        #expect(wipe.stderr.contains("the secondary artifact 'site', written to"), "\(wipe.stderr)")
        #expect(h.read("proj-site/precious.txt") == "keep me")
        let ok = try h.run(["build", "--zip", "o/primary.zip"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(h.exists("o/primary.zip") && h.exists("o/site.zip"))
    }

    /// Two builds into one output directory at once: the second is told and stops, instead of
    /// replacing the files the first one may be deploying.
    @Test func aSecondBuildIntoTheSameOutputDirectoryWaitsItsTurn() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - touch started; while [ ! -e release ]; do sleep 0.1; done
                  - echo page > index.html
            artifacts:
              files: [index.html]
            """)
        let (first, out, err) = try h.start(["build"])
        var waited = 0
        while !h.exists("started") && waited < 6000 { usleep(100_000); waited += 1 }
        let second = try h.run(["build"])
        #expect(second.status == 2)
        #expect(second.stderr.contains("another sitebuild process is building into"), "\(second.stderr)")
        #expect(second.stderr.contains("pass --out DIR"))
        // Another output directory is fine meanwhile.
        try h.write("release", "")
        let elsewhere = try h.run(["build", "--out", "other"])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        let firstResult = CLIHarness.collect(first, out, err)
        #expect(firstResult.status == 0, "\(firstResult.stderr)")
        #expect(try h.run(["build"]).status == 0)
        // A cache directory that cannot be written (HOME=/ in a container) leaves builds unlocked,
        // not failed.
        let unlocked = try h.run(["build", "--out", "o3"], environment: ["SITEBUILD_CACHE_DIR": "/proc/sitebuild-no-such-dir"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
    }

    /// A build without artifacts writes no output and takes no output lock: its commands may
    /// build the same folder into the default output (a buildspec running `sitebuild run`,
    /// as sitebuild's own CI buildspecs do), which had stopped on "another sitebuild process
    /// is building into" the outer build's unused output.
    @Test func aBuildWithoutArtifactsLetsItsCommandsBuildTheSameFolder() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - echo page > index.html
            artifacts:
              files: [index.html]
            """)
        try h.write("outer.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - '"\(CLIHarness.binary)" build --json > events.ndjson'
            """)
        let outer = try h.run(["build", "--buildspec", "outer.yml"])
        #expect(outer.status == 0, "\(outer.stderr)")
        #expect(h.read(".sitebuild/_build/artifacts/index.html") == "page\n")
        #expect(h.read("events.ndjson")?.contains("\"SUCCEEDED\"") == true)
    }

    @Test func validateChecksTheSettingsFileToo() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\n")
        try h.write("sitebuild.yml", "mode: spa\ntargett: x\n")
        let bad = try h.run(["validate"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("sitebuild.yml:2:1: error: targett: unknown setting"), "\(bad.stderr)")
        let json = try h.run(["validate", "--json"])
        let diagnostics = try #require(try JSONValue.parse(Data(json.stdout.utf8))["diagnostics"]?.arrayValue)
        #expect(diagnostics.contains { $0["line"] == .int(2) && $0["keyPath"] == .string("targett") })
        try h.write("sitebuild.yml", "mode: spa\ntrailing-slash: always\nmode: static\n")
        let duplicate = try h.run(["validate"])
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr.contains("sitebuild.yml:3:1: error: mode: duplicate key 'mode' (first at line 1)"), "\(duplicate.stderr)")
        try h.write("sitebuild.yml", "mode: spa\nheaders:\n  - match: '*.html'\n    set:\n      X-Real-IP: 1\n")
        #expect(try h.run(["validate"]).stderr.contains("sitebuild.yml:5:7: error: headers[0].set: 'X-Real-IP' cannot be set per file"))
        // Header values with line breaks (response splitting, extra request headers) or
        // non-ASCII, and non-ASCII header names, are refused where they are written.
        for (yaml, expected) in [("      X-Test: \"a\\r\\nSet-Cookie: evil=1\"\n", "sitebuild.yml:5:15: error: headers[0].set.X-Test: header values are printable ASCII; this one has U+000D"),
                                 ("      X-T\u{E9}st: a\n", "'X-T\u{E9}st' is not a valid header name"),
                                 ("      X-Test: caf\u{E9}\n", "this one has '\u{E9}' (not ASCII)")] {
            try h.write("sitebuild.yml", "mode: spa\nheaders:\n  - match: '*.html'\n    set:\n" + yaml)
            let refused = try h.run(["validate"])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains(expected), "\(refused.stderr)")
        }
        try h.write("sitebuild.yml", "headers:\n  - match: '*.html'\n    set:\n      Content-Security-Policy: \(String(repeating: "x", count: 2100))\n")
        #expect(try h.run(["validate"]).stderr.contains("sitebuild.yml:4:7: error: headers[0].set: these headers travel as S3 object metadata"))
        // S3 counts keys and values: header-content-security-policy (30) + value + sitebuild-hash (14)
        // + the 32 hex digits of the hash. 1,972 characters fit exactly; one more does not.
        for (length, fits) in [(1972, true), (1973, false)] {
            try h.write("sitebuild.yml", "headers:\n  - match: '*.html'\n    set:\n      Content-Security-Policy: \(String(repeating: "x", count: length))\n")
            #expect(try h.run(["validate"]).status == (fits ? 0 : 2), "\(length)")
        }
        try h.write("sitebuild.yml", "headers:\n  - match: '*.html'\n    cache-control: \"no-cache\\nX-Evil: 1\"\n")
        #expect(try h.run(["validate"]).stderr.contains("headers[0].cache-control: header values are printable ASCII"))
        // Target, pointer and distribution are checked as deploy checks them.
        for (yaml, expected) in [("target: ftp://x/y\n", "sitebuild.yml:1:9"), ("pointer: weird://a\n", "sitebuild.yml:1:10"),
                                 ("distribution: not-an-id\n", "not a CloudFront distribution id"),
                                 ("target: s3://Bad_Bucket/x\n", "'Bad_Bucket' is not a valid bucket name"),
                                 ("prune:\n  grace: banana\n", "sitebuild.yml:2:10: error: prune.grace: 'banana' is not a duration"),
                                 ("prune:\n  grace: 24\n", "sitebuild.yml:2:10: error: prune.grace: '24' is not a duration"),
                                 ("cache: http://x\n", "sitebuild.yml:1:8: error: cache http://x: an S3 location starts with s3://"),
                                 ("source: s3://b\n", "sitebuild.yml:1:9: error: source s3://b: name an object")] {
            try h.write("sitebuild.yml", yaml)
            let refused = try h.run(["validate"])
            #expect(refused.status == 2, "\(yaml): \(refused.stderr)")
            #expect(refused.stderr.contains(expected), "\(yaml): \(refused.stderr)")
        }
        try h.write("sitebuild.yml", "target: s3://good-bucket/site\npointer: dynamodb://pointers#prod\ndistribution: E2QWRUHAPOMQZL\n")
        let aws = try h.run(["validate"], environment: ["AWS_REGION": "", "AWS_DEFAULT_REGION": ""])
        #expect(aws.status == 0, "\(aws.stderr)")
        try h.write("sitebuild.yml", "mode: spa\ntarget: ./out\n")
        let ok = try h.run(["validate"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("sitebuild.yml: valid settings"))
        #expect(try h.run(["validate", "--config", "nope.yml"]).status == 2)
        #expect(!h.exists("ran"))
        // A cache path with '..' (saved by every build, never restorable) is refused by both.
        let spec = h.read("buildspec.yml") ?? ""
        try h.write("buildspec.yml", spec + "\ncache:\n  paths: ['../shared/**/*']\n")
        for command in ["validate", "build"] {
            let parent = try h.run([command])
            #expect(parent.status == 2 && parent.stderr.contains("buildspec.yml:") && parent.stderr.contains("cache.paths[0]")
                    && parent.stderr.contains("leaves the source directory with '..'"), "\(command): \(parent.stderr)")
        }
        #expect(!h.exists("ran"))
        try h.write("buildspec.yml", spec)
        // A deploy-only folder (settings, no buildspec): the settings are checked alone.
        try FileManager.default.removeItem(atPath: h.root + "/buildspec.yml")
        let settingsOnly = try h.run(["validate"])
        #expect(settingsOnly.status == 0, "\(settingsOnly.stderr)")
        #expect(settingsOnly.stdout.contains("checked the settings only") && settingsOnly.stdout.contains("valid settings"))
        try h.write("sitebuild.yml", "mode: sap\n")
        #expect(try h.run(["validate"]).status == 2)
        try FileManager.default.removeItem(atPath: h.root + "/sitebuild.yml")
        #expect(try h.run(["validate"]).stderr.contains("buildspec.yml does not exist"))
    }

    @Test func badFlagsAndEnvFilesExitTwoNamingTheFlagOrLine() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\n")
        try h.write("vars.env", "# comment\nGOOD=1\nnot a line\n")
        let envFile = try h.run(["build", "--env-file", "vars.env"])
        #expect(envFile.status == 2)
        #expect(envFile.stderr.contains("vars.env:3:1: expected NAME=value"))
        let timeout = try h.run(["build", "--timeout", "soon"])
        #expect(timeout.status == 2)
        #expect(timeout.stderr.contains("--timeout soon"))
        // Numbers too large for a duration, and what Double() would read but nobody writes.
        for text in ["inf", "1e30", "9223372036854775807", "0x10", "nan", "99999999999m"] {
            let refused = try h.run(["build", "--timeout", text])
            #expect(refused.status == 2, "\(text): \(refused.stderr)")
            #expect(refused.stderr.contains("--timeout \(text)"))
        }
        let env = try h.run(["build", "--env", "1BAD=x"])
        #expect(env.status == 2)
        #expect(env.stderr.contains("--env 1BAD=x"))
        let out = try h.run(["build", "--out", "."])
        #expect(out.status == 2)
        #expect(out.stderr.contains("--out"))
        let source = try h.run(["build", "--source", "nowhere"])
        #expect(source.status == 2)
        #expect(source.stderr.contains("--source nowhere: no such directory"))
        #expect(!h.exists("ran"))
    }

    @Test func envFileAndFlagsOverrideTheBuildspec() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            env:
              variables:
                A: spec
                B: spec
            phases:
              build:
                commands:
                  - echo "A=$A B=$B"
            """)
        try h.write("vars.env", "A=file\nB=file\n")
        let run = try h.run(["build", "--env-file", "vars.env", "--env", "B=flag"])
        #expect(run.stdout.contains("A=file B=flag\n"))
        // A file saved with Windows line ends reads the same.
        try h.write("crlf.env", "A=crlf\r\nB=crlf\r\n# note\r\n")
        let crlf = try h.run(["build", "--env-file", "crlf.env"])
        #expect(crlf.stdout.contains("A=crlf B=crlf\n"), "\(crlf.stdout)")
    }

    /// An absolute base-directory outside the source may hold the output directory (`--out
    /// /opt/site/out`): what a build wrote there is left out of what the next one collects, as
    /// inside the source; the base directory itself as --out is refused before anything runs.
    @Test func anAbsoluteBaseDirectoryAroundTheOutputLeavesTheOutputOut() throws {
        let h = try CLIHarness()
        let site = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-site-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: site) }
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p \(site) && echo x > \(site)/index.html\n"
            + "artifacts:\n  base-directory: \(site)\n  files: ['**/*']\n")
        for _ in 0..<2 {
            let run = try h.run(["build", "--out", site + "/out"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let taken = (FileManager.default.enumerator(atPath: site + "/out")?.compactMap { $0 as? String } ?? []).sorted()
        #expect(taken == ["index.html"], "the first build's output is not collected into the second's")
        let same = try h.run(["build", "--out", site])
        #expect(same.status == 2 && same.stderr.contains("artifacts.base-directory: \(site)) is that directory"), "\(same.stderr)")
    }

    /// CodeBuild sets both region variables in every build.
    @Test func theRegionVariablesAreSetAsInCodeBuild() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"[$AWS_REGION][$AWS_DEFAULT_REGION]\"\n")
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_REGION"] = nil
        environment["AWS_DEFAULT_REGION"] = nil
        environment["AWS_CONFIG_FILE"] = h.root + "/no-aws-config"
        environment["AWS_PROFILE"] = nil
        #expect(try h.run(["build", "--region", "eu-west-1"], environment: environment).stdout.contains("[eu-west-1][eu-west-1]"))
        environment["AWS_DEFAULT_REGION"] = "ap-south-1"
        #expect(try h.run(["build"], environment: environment).stdout.contains("[ap-south-1][ap-south-1]"))
        environment["AWS_DEFAULT_REGION"] = nil
        #expect(try h.run(["build"], environment: environment).stdout.contains("[][]"), "no region known: none invented")
    }

    /// --out is replaced whole: a directory holding files no build put there (a folder of the
    /// project) is refused before anything runs; one a build made is replaced as before.
    @Test func anOutputDirectoryHoldingOtherFilesIsRefused() throws {
        let h = try CLIHarness()
        try h.write("public/logo.svg", "<svg/>")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\nartifacts:\n  files: [buildspec.yml]\n")
        let refused = try h.run(["build", "--out", "public"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("--out public: the directory holds files no sitebuild build put there (logo.svg)"), "\(refused.stderr)")
        #expect(h.read("public/logo.svg") == "<svg/>")
        #expect(!h.exists("ran"), "nothing ran")
        // A new directory, then the same one again: it is the build's own.
        #expect(try h.run(["build", "--out", "site-out"]).status == 0)
        #expect(h.exists("site-out/buildspec.yml"))
        #expect(try h.run(["build", "--out", "site-out"]).status == 0)
        // A file is not replaced by a directory.
        try h.write("notes.txt", "important")
        let file = try h.run(["build", "--out", "notes.txt"])
        #expect(file.status == 2 && file.stderr.contains("--out notes.txt: is a file"), "\(file.stderr)")
        #expect(h.read("notes.txt") == "important")
        // A build that writes no output (none defined) does not make the directory its own.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - exit 1\n")
        #expect(try h.run(["build", "--out", "assets"]).status == 1)
        try h.write("assets/logo.svg", "<svg/>")
        #expect(try h.run(["build", "--out", "assets"]).status == 2)
        #expect(h.read("assets/logo.svg") == "<svg/>")
        // The artifacts' base directory as --out would be emptied before it is collected from.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && echo x > dist/index.html\n"
            + "artifacts:\n  base-directory: dist\n  files: ['**/*']\n")
        let base = try h.run(["build", "--out", "dist"])
        #expect(base.status == 2, "\(base.stderr)")
        #expect(base.stderr.contains("artifacts.base-directory: dist) is that directory"), "\(base.stderr)")
        // The same written with the variable CodeBuild's samples use, known before the build.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && echo x > dist/index.html\n"
            + "artifacts:\n  base-directory: $CODEBUILD_SRC_DIR/dist\n  files: ['**/*']\n")
        let variable = try h.run(["build", "--out", "dist"])
        #expect(variable.status == 2, "\(variable.stderr)")
        #expect(variable.stderr.contains("artifacts.base-directory: $CODEBUILD_SRC_DIR/dist) is that directory"), "\(variable.stderr)")
        // A secondary artifact's directory, <out>-<identifier>, is checked the same way.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist/docs && echo x > dist/docs/a.html\n"
            + "artifacts:\n  base-directory: dist\n  files: ['**/*']\n  secondary-artifacts:\n    reports:\n      base-directory: dist/docs\n"
            + "      files: ['**/*']\n")
        try h.write("web-reports/KEEP.txt", "precious")
        let secondary = try h.run(["build", "--out", "web"])
        #expect(secondary.status == 2, "\(secondary.stderr)")
        #expect(secondary.stderr.contains("the secondary artifact 'reports'") && secondary.stderr.contains("KEEP.txt"), "\(secondary.stderr)")
        #expect(h.read("web-reports/KEEP.txt") == "precious")
        // Beside the default output, a secondary artifact's folder is sitebuild's own: a build
        // after the cache directory was emptied (a CI cache miss) is not refused.
        let first = try h.run(["run", "--target", "t"], environment: ["SITEBUILD_CACHE_DIR": h.root + "/c1"])
        #expect(first.status == 0, "\(first.stderr)")
        try FileManager.default.removeItem(atPath: h.root + "/c1")
        let afterClear = try h.run(["run", "--target", "t"], environment: ["SITEBUILD_CACHE_DIR": h.root + "/c1"])
        #expect(afterClear.status == 0, "\(afterClear.stderr)")
    }

    /// A secondary artifact's ZIP goes beside --zip as <identifier>.zip, a path the user did
    /// not name: a file there that no build wrote is refused before anything runs (as --out
    /// is); one an earlier build wrote is replaced as before.
    @Test func aSecondaryZipNeverOverwritesAFileNoBuildWrote() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - touch ran && mkdir -p site docs && echo hi > site/index.html && echo d > docs/d.txt
            artifacts:
              base-directory: site
              files: ['**/*']
              secondary-artifacts:
                docs:
                  base-directory: docs
                  files: ['**/*']
            """)
        try h.write("zips/docs.zip", "my own notes")
        let refused = try h.run(["build", "--zip", "zips/site.zip"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("--zip zips/site.zip: the secondary artifact 'docs' is written beside it, to \(h.root)/zips/docs.zip, "
            + "which is a file no sitebuild build wrote"), "\(refused.stderr)")
        #expect(h.read("zips/docs.zip") == "my own notes")
        #expect(!h.exists("ran"), "nothing ran")
        // Once it is moved away, the build writes it; the next build replaces its own ZIP.
        try FileManager.default.removeItem(atPath: h.root + "/zips/docs.zip")
        #expect(try h.run(["build", "--zip", "zips/site.zip"]).status == 0)
        #expect(h.read("zips/docs.zip")?.hasPrefix("PK") == true)
        let again = try h.run(["build", "--zip", "zips/site.zip"])
        #expect(again.status == 0, "\(again.stderr)")
        // So is a ZIP an earlier build wrote as its primary one.
        let secondary = h.read("buildspec.yml")!
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  files: [buildspec.yml]\n")
        #expect(try h.run(["build", "--zip", "other/docs.zip"]).status == 0)
        try h.write("buildspec.yml", secondary)
        let replaced = try h.run(["build", "--zip", "other/site.zip"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
    }

    /// --zip names the ZIP to write: a ZIP archive already there (another tool's, or a build's
    /// remembered by another cache directory) is replaced; any other file, named by a slip, is
    /// refused before anything runs.
    @Test func theZipNeverOverwritesAFileThatIsNotAZipArchive() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran && mkdir -p site && echo hi > site/index.html\n"
            + "artifacts:\n  base-directory: site\n  files: ['**/*']\n")
        let spec = try #require(h.read("buildspec.yml"))
        let refused = try h.run(["build", "--zip", "buildspec.yml"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("--zip buildspec.yml: \(h.root)/buildspec.yml is a file no sitebuild build wrote and not a ZIP archive, "
            + "and the build would overwrite it; give the ZIP a path of its own, such as site.zip"), "\(refused.stderr)")
        #expect(h.read("buildspec.yml") == spec)
        #expect(!h.exists("ran"), "nothing ran")
        try h.write("pages/about.html", "<p>about</p>")
        let page = try h.run(["build", "--zip", "pages/about.html"])
        #expect(page.status == 2 && page.stderr.contains("such as pages/site.zip"), "\(page.stderr)")
        #expect(h.read("pages/about.html") == "<p>about</p>")
        // An empty ZIP archive (its end record alone), written by another tool.
        try h.write("out/old.zip", "PK\u{05}\u{06}" + String(repeating: "\u{0}", count: 18))
        let replaced = try h.run(["build", "--zip", "out/old.zip"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(h.read("out/old.zip")?.hasPrefix("PK\u{03}\u{04}") == true, "the build's ZIP, with its one file")
        #expect(h.exists("ran"))
    }

    @Test func anExportedVariablesFileThatIsADirectoryIsRefusedBeforeTheBuild() throws {
        let h = try CLIHarness()
        try h.write("exports/.keep", "")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\n")
        let run = try h.run(["build", "--exported-variables-file", "exports"])
        #expect(run.status == 2 && run.stderr.contains("--exported-variables-file exports: is a directory"), "\(run.stderr)")
        #expect(!h.exists("ran"))
    }

    /// `--profile` is the identity the build's commands run as too (in CodeBuild, commands and
    /// deploy share the service role): AWS_PROFILE is set, and keys in the environment, which
    /// the aws CLI would take over it, are left out.
    @Test func theProfileIsPassedOnToTheBuildsCommands() throws {
        let h = try CLIHarness()
        try h.write("aws/config", "[profile prod]\nregion = eu-west-1\n")
        try h.write("aws/credentials", "[prod]\naws_access_key_id = AKIAPRODEXAMPLE12345\naws_secret_access_key = prod-secret\n")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n"
            + "      - echo \"p=[$AWS_PROFILE] r=[$AWS_REGION] k=[${AWS_ACCESS_KEY_ID:-none}] s=[${AWS_SESSION_TOKEN:-none}]\"\n")
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_CONFIG_FILE"] = h.root + "/aws/config"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = h.root + "/aws/credentials"
        environment["AWS_REGION"] = nil
        environment["AWS_DEFAULT_REGION"] = nil
        environment["AWS_PROFILE"] = nil
        environment["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT12345"
        environment["AWS_SECRET_ACCESS_KEY"] = "env-secret"
        environment["AWS_SESSION_TOKEN"] = "env-token"
        let withProfile = try h.run(["build", "--profile", "prod"], environment: environment)
        #expect(withProfile.stdout.contains("p=[prod] r=[eu-west-1] k=[none] s=[none]"), "\(withProfile.stdout)")
        // The profile's own keys, which the commands can read from the shared file, are masked too.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - cat \"$AWS_SHARED_CREDENTIALS_FILE\"\n")
        let printed = try h.run(["build", "--profile", "prod"], environment: environment)
        #expect(printed.status == 0 && printed.stdout.contains("aws_access_key_id = ***") && !printed.stdout.contains("AKIAPRODEXAMPLE12345")
                && !printed.stdout.contains("prod-secret"), "\(printed.stdout)")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n"
            + "      - echo \"p=[$AWS_PROFILE] r=[$AWS_REGION] k=[${AWS_ACCESS_KEY_ID:-none}] s=[${AWS_SESSION_TOKEN:-none}]\"\n")
        // Without --profile the environment's keys stay (masked in the log), as the deploy uses them.
        let without = try h.run(["build", "--region", "us-east-2"], environment: environment)
        #expect(without.stdout.contains("p=[] r=[us-east-2] k=[***]"), "\(without.stdout)")
        // A role whose source is the environment's keys (the usual CI profile) keeps them.
        try h.write("aws/config", "[profile prod]\nregion = eu-west-1\n[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n"
            + "source_profile = base\nregion = eu-central-1\n[profile base]\ncredential_source = Environment\n")
        let role = try h.run(["build", "--profile", "ci"], environment: environment)
        #expect(role.stdout.contains("p=[ci] r=[eu-central-1] k=[***] s=[***]"), "\(role.stdout)")
    }

    @Test func jsonModePrintsEventsOnStdoutAndTheLogOnStderr() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nenv:\n  exported-variables: [X]\nphases:\n  build:\n    commands:\n      - echo hi; X=42\n")
        let run = try h.run(["build", "--json"])
        #expect(run.status == 0)
        let events = try run.stdout.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
        #expect(events.first?["event"] == .string("build_started"))
        #expect(events.contains { $0["event"] == .string("command_finished") && $0["exitCode"] == .int(0) })
        #expect(events.last?["status"] == .string("SUCCEEDED"), "the status is at the top, as in every result event")
        let result = try #require(events.last?["result"])
        #expect(result["status"] == .string("SUCCEEDED"))
        #expect(result["exportedVariables"]?["X"] == .string("42"))
        #expect(result["phases"]?.arrayValue?.count == 6)
        // Every phase_started has its attempt, DOWNLOAD_SOURCE and UPLOAD_ARTIFACTS included.
        let started = events.filter { $0["event"] == .string("phase_started") }
        #expect(started.count == 6 && started.allSatisfy { $0["attempt"] == .int(1) }, "\(started.map { $0.serialized() })")
        #expect(run.stderr.contains("hi\n"))
        #expect(!run.stdout.contains("[Container]"))
    }

    @Test func secretKeysInTheEnvironmentNeverReachTheOutput() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"key=$AWS_SECRET_ACCESS_KEY\"; env | grep AWS_SECRET\n")
        let run = try h.run(["build", "--json"], environment: ["AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"])
        #expect(run.status == 0)
        #expect(!(run.stdout + run.stderr).contains("wJalrXUtnFEMI"))
        #expect(run.stderr.contains("key=***"))
    }

    /// The container endpoint's authorization token, given as is or in a file (ECS, EKS Pod
    /// Identity), gets the task role's credentials: it is masked like them.
    @Test func theContainerAuthorizationTokenNeverReachesTheOutput() throws {
        let h = try CLIHarness()
        try h.write("token", "eks-pod-identity-token-0123456789\n")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n"
            + "      - echo \"auth=$AWS_CONTAINER_AUTHORIZATION_TOKEN\"; cat \"$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE\"\n")
        let run = try h.run(["build"], environment: ["AWS_CONTAINER_AUTHORIZATION_TOKEN": "Basic ecs-container-auth-9876543210",
                                                     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": h.root + "/token"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains("ecs-container-auth") && !(run.stdout + run.stderr).contains("eks-pod-identity"),
                "\(run.stdout)")
        #expect(run.stdout.contains("auth=***"), "\(run.stdout)")
    }

    /// Keys written in capitals in the credentials file (the aws CLI reads them: configparser
    /// lowercases keys) are the profile's keys: used, and masked in the log.
    @Test func aProfileWithKeysInCapitalsIsReadAndMasked() throws {
        let h = try CLIHarness()
        try h.write("aws/config", "[profile prod]\nregion = eu-west-1\n")
        try h.write("aws/credentials", "[prod]\nAWS_ACCESS_KEY_ID = AKIAPRODEXAMPLE12345\nAWS_Secret_Access_Key = prod-secret-in-capitals\n")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - cat \"$AWS_SHARED_CREDENTIALS_FILE\"\n")
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_CONFIG_FILE"] = h.root + "/aws/config"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = h.root + "/aws/credentials"
        environment["AWS_PROFILE"] = nil
        let printed = try h.run(["build", "--profile", "prod"], environment: environment)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("AWS_Secret_Access_Key = ***") && !printed.stdout.contains("prod-secret-in-capitals")
                && !printed.stdout.contains("AKIAPRODEXAMPLE12345"), "\(printed.stdout)")
    }

    @Test func interruptingStopsTheBuildWithExit130() throws {
        let h = try CLIHarness()
        let marker = "interrupt-\(UUID().uuidString.prefix(8)).sh"
        try h.write(marker, "sleep 600\n")
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - touch started; sh ./\(marker)
                  - touch second-command-ran
              post_build:
                commands:
                  - touch post-build-ran
            """)
        let (process, out, err) = try h.start(["build"])
        for _ in 0..<30_000 where !h.exists("started") { usleep(20_000) }
        #expect(h.exists("started"))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationStatus == 130)
        #expect(!h.exists("second-command-ran"))
        #expect(!h.exists("post-build-ran"))
        var gone = false
        for _ in 0..<600 where !gone {
            gone = !FileManager.default.fileExists(atPath: "/proc/\(process.processIdentifier)")
                && !processRunning(marker)
            if !gone { usleep(100_000) }
        }
        #expect(gone)
    }

    /// Regression: a stop (SIGTERM, Ctrl-C) while a machine without CodeBuild's runtime catalog
    /// was asked its installed runtime versions (`node --version`, a few seconds each at most)
    /// waited for the tool's time to run out, then asked the next tool. Now the tool is stopped
    /// at once, with what it started, no other is asked, and the build ends stopped (130).
    @Test func aSignalWhileARuntimeVersionIsReadStopsTheTool() throws {
        guard !FileManager.default.fileExists(atPath: RuntimeCatalog.imagePath) else { return }
        let h = try CLIHarness()
        try h.write("bin/node", "#!/bin/sh\nsleep 60 &\necho $! > \"\(h.root)/probe-sleep.pid\"\nwait\n")
        try h.write("bin/python3", "#!/bin/sh\ntouch \"\(h.root)/python-asked\"\necho Python 3.11.7\n")
        chmod(h.root + "/bin/node", 0o755)
        chmod(h.root + "/bin/python3", 0o755)
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: 20
                  python: 3.11
              build:
                commands:
                  - touch built
            """)
        let path = h.root + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let (process, out, err) = try h.start(["build", "--json"], environment: ["PATH": path, "SITEBUILD_RUNTIMES_FILE": ""])
        func sleeper() -> Int32? { h.read("probe-sleep.pid").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        for _ in 0..<3_000 where sleeper() == nil { usleep(20_000) }
        let pid = try #require(sleeper())
        kill(process.processIdentifier, SIGTERM)
        let stopped = CLIHarness.collect(process, out, err)
        #expect(stopped.status == 130, "\(stopped.stderr)")
        let last = stopped.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("\"event\":\"result\"") && last.contains("\"status\":\"STOPPED\""), "\(stopped.stdout)")
        // Not waited for until its time ran out, and no other tool asked.
        #expect(!(stopped.stdout + stopped.stderr).contains("runtime-versions"), "\(stopped.stdout)\(stopped.stderr)")
        #expect(!h.exists("python-asked") && !h.exists("built"))
        // The tool's own child went with it, long before its 60 s sleep would end.
        var gone = false
        for _ in 0..<300 where !gone {
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            gone = stat == nil || stat!.contains(") Z ")
            if !gone { usleep(100_000) }
        }
        #expect(gone)
    }

    /// A build that times out or is stopped still exports the values its last finished command
    /// left, as a failed one does: the --exported-variables-file used to be emptied (a
    /// pipeline's earlier values wiped with nothing) and the result's `exportedVariables` was {}.
    @Test func aTimedOutOrStoppedBuildStillWritesItsExportedVariables() throws {
        let h = try CLIHarness()
        let marker = "exports-\(UUID().uuidString.prefix(8)).sh"
        try h.write(marker, "sleep 600\n")
        try h.write("buildspec.yml", """
            version: 0.2
            env:
              exported-variables: [STAGE, NEVER]
            phases:
              build:
                commands:
                  - STAGE=built
                  - touch started; sh ./\(marker)
                  - STAGE=never-reached
            """)
        try h.write("timed.env", "OLD=1\n")
        let timedOut = try h.run(["build", "--timeout", "2s", "--json", "--exported-variables-file", "timed.env"])
        #expect(timedOut.status == 1, "\(timedOut.stderr)")
        let events = try timedOut.stdout.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
        let result = try #require(events.last?["result"])
        #expect(result["status"] == .string("TIMED_OUT"))
        #expect(result["exportedVariables"]?["STAGE"] == .string("built"), "\(timedOut.stdout)")
        #expect(h.read("timed.env") == "STAGE=built\n")

        try FileManager.default.removeItem(atPath: h.root + "/started")
        try h.write("stopped.env", "OLD=1\n")
        let (process, out, err) = try h.start(["build", "--exported-variables-file", "stopped.env"])
        for _ in 0..<30_000 where !h.exists("started") { usleep(20_000) }
        #expect(h.exists("started"))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationStatus == 130)
        #expect(h.read("stopped.env") == "STAGE=built\n")
    }

    /// sitebuild killed outright (SIGKILL, the OOM killer) cannot stop its build's command,
    /// which runs in a session of its own: the next build of the same source stops it before
    /// its own commands run, so a late write of the old build never lands in the new artifact.
    @Test func theNextBuildStopsWhatAKilledBuildLeftRunning() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - if [ -e first-started ]; then echo second; else touch first-started; sleep 5; touch late-write; fi
            """)
        let (first, out, err) = try h.start(["build"])
        for _ in 0..<1_500 where !h.exists("first-started") { usleep(20_000) }
        #expect(h.exists("first-started"))
        kill(first.processIdentifier, SIGKILL)
        let second = try h.run(["build"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("left running (its sitebuild was killed)"), "\(second.stdout)")
        first.waitUntilExit()
        // Not read to their end: what the killed build left running would hold them open.
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        usleep(6_000_000)
        #expect(!h.exists("late-write"))
    }

    @Test func codebuildHashFilesIsOnThePathForCacheKeys() throws {
        let h = try CLIHarness()
        try h.write("package-lock.json", "{\"lockfileVersion\": 3}\n")
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - codebuild-hash-files package-lock.json
                  - sha256sum package-lock.json | cut -d' ' -f1
                  - mkdir -p deps && echo x > deps/x
            cache:
              key: npm-$(codebuild-hash-files package-lock.json)
              paths: ['deps/**/*']
            """)
        let run = try h.run(["build"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("[Container]") && !$0.isEmpty }
        #expect(lines.count == 2)
        #expect(lines.first == lines.last)
        #expect(run.stdout.contains("with key npm-\(lines[0])"))
    }

    /// A `codebuild-hash-files` pattern that matches nothing would make a key that never
    /// changes (the hash of no file), so the keyed cache would never be updated: the log
    /// says so, naming the pattern and the key.
    @Test func aCacheKeyHashingNoFileIsAWarning() throws {
        let h = try CLIHarness()
        try h.write("package-lock.json", "{}\n")
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p deps && echo x > deps/x
            cache:
              key: npm-$(codebuild-hash-files package-lock.jsn)
              paths: ['deps/**/*']
            """)
        let run = try h.run(["build"])
        #expect(run.status == 0)
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let warning = run.stdout.split(separator: "\n").first { $0.contains("Warning: cache.key") }.map(String.init) ?? ""
        #expect(warning.contains("cache.key 'npm-$(codebuild-hash-files package-lock.jsn)' expands to npm-\(empty)"), "\(run.stdout)")
        #expect(warning.contains("no file in \(h.root) matches package-lock.jsn"), "\(warning)")
        #expect(run.stdout.contains("Saved 1 file(s) to the cache with key npm-\(empty)"))
    }

    /// A directory built in place is the user's working tree: a fallback key's entry (older,
    /// built from other inputs) restores only what is missing there (an edited page is not put
    /// back to its cached copy), and the log says how many files were kept. So does a keyless
    /// cache. A clean copy keeps CodeBuild's "cached items win".
    @Test func anInPlaceBuildsCacheRestoreKeepsTheFilesOfTheWorkingTree() throws {
        let h = try CLIHarness()
        try h.write("site/buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - echo "page=$(cat content/page.md) other=$(cat content/other.md)"
            cache:
              key: content-$(cat version.txt)
              fallback-keys: [content-]
              paths: ['content/**/*']
            """)
        try h.write("site/version.txt", "1")
        try h.write("site/content/page.md", "cached")
        try h.write("site/content/other.md", "other")
        let first = try h.run(["build", "--source", "site"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Saved 2 file(s) to the cache with key content-1"), "\(first.stdout)")
        try h.write("site/version.txt", "2")
        try h.write("site/content/page.md", "edited")
        try FileManager.default.removeItem(atPath: h.root + "/site/content/other.md")
        let inPlace = try h.run(["build", "--source", "site"])
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
        #expect(inPlace.stdout.contains("page=edited other=other"), "\(inPlace.stdout)")
        #expect(inPlace.stdout.contains("Restored 1 cached file(s) from key content-1 (fallback); kept 1 file(s) that exist already in the source directory "
            + "(built in place, a fallback key's entry restores only what is missing)"), "\(inPlace.stdout)")
        #expect(h.read("site/content/page.md") == "edited")
        // A clean copy is a fresh checkout, as CodeBuild's: the cached items win there.
        try h.write("site/version.txt", "1")
        try FileManager.default.removeItem(atPath: h.root + "/site/content/other.md")
        let clean = try h.run(["build", "--source", "site", "--clean"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.contains("page=cached other=other"), "\(clean.stdout)")
        #expect(clean.stdout.contains("Restored 2 cached file(s) from key content-1\n"), "\(clean.stdout)")
        #expect(h.read("site/content/page.md") == "edited")

        // Without a key, the slot holds the last build's save: the working tree's files win.
        try h.write("keyless/buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - echo "page=$(cat content/page.md)"
            cache:
              paths: ['content/**/*']
            """)
        try h.write("keyless/content/page.md", "cached")
        #expect(try h.run(["build", "--source", "keyless"]).status == 0)
        try h.write("keyless/content/page.md", "edited")
        let keyless = try h.run(["build", "--source", "keyless"])
        #expect(keyless.stdout.contains("page=edited"), "\(keyless.stdout)")
        #expect(keyless.stdout.contains("kept 1 file(s) that exist already in the source directory (built in place, a keyless cache restores only what is missing)"),
                "\(keyless.stdout)")
    }

    /// An exact hit of cache.key restores as CodeBuild does, in place too: the key names what
    /// the entry was built from, so its items win over files a build under another key left in
    /// the working tree. Before, switching deps back to v1 kept vendor/ from v2 ("Restored 0 …
    /// kept 1") and the build used the stale files.
    @Test func anExactCacheKeyHitReplacesStaleFilesOfAnInPlaceBuild() throws {
        let h = try CLIHarness()
        try h.write("site/buildspec.yml", """
            version: 0.2
            phases:
              install:
                commands:
                  - mkdir -p vendor; [ -f vendor/lib.txt ] || cp deps.txt vendor/lib.txt
              build:
                commands:
                  - echo "vendor=$(cat vendor/lib.txt)"
            cache:
              key: deps-$(codebuild-hash-files deps.txt)
              paths: ['vendor/**/*']
            """)
        try h.write("site/deps.txt", "v1")
        let v1 = try h.run(["build", "--source", "site"])
        #expect(v1.stdout.contains("vendor=v1"), "\(v1.stdout)")
        try h.write("site/deps.txt", "v2")
        try FileManager.default.removeItem(atPath: h.root + "/site/vendor")
        let v2 = try h.run(["build", "--source", "site"])
        #expect(v2.stdout.contains("vendor=v2"), "\(v2.stdout)")
        try h.write("site/deps.txt", "v1")
        let back = try h.run(["build", "--source", "site"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout.contains("vendor=v1"), "\(back.stdout)")
        #expect(back.stdout.contains("Restored 1 cached file(s) from key deps-"), "\(back.stdout)")
        #expect(!back.stdout.contains("kept"), "\(back.stdout)")
        #expect(h.read("site/vendor/lib.txt") == "v1")
    }

    @Test func deterministicZipsAcrossRunsOfTheBinary() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - rm -rf dist && mkdir -p dist/a && date > /dev/null && echo 1 > dist/a/one.txt && echo 2 > dist/two.txt
            artifacts:
              base-directory: dist
              files: ['**/*']
            """)
        _ = try h.run(["build", "--zip", "first.zip"], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        sleep(1)
        _ = try h.run(["build", "--zip", "second.zip"], environment: ["SOURCE_DATE_EPOCH": "1700000000", "TZ": "America/New_York"])
        let a = FileManager.default.contents(atPath: h.root + "/first.zip")
        let b = FileManager.default.contents(atPath: h.root + "/second.zip")
        #expect(a != nil && a == b)
        // SOURCE_DATE_EPOCH as the build's commands saw it stamps the ZIP: from --env, or
        // exported by a command; not sitebuild's own environment's value under them.
        _ = try h.run(["build", "--zip", "third.zip", "--env", "SOURCE_DATE_EPOCH=1700000000"], environment: ["SOURCE_DATE_EPOCH": "1600000000"])
        #expect(FileManager.default.contents(atPath: h.root + "/third.zip") == a)
        try h.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - export SOURCE_DATE_EPOCH=${STAMP:-1700000000}
                  - rm -rf dist && mkdir -p dist/a && echo 1 > dist/a/one.txt && echo 2 > dist/two.txt
            artifacts:
              base-directory: dist
              files: ['**/*']
            """)
        _ = try h.run(["build", "--zip", "fourth.zip"])
        #expect(FileManager.default.contents(atPath: h.root + "/fourth.zip") == a)
        let odd = try h.run(["build", "--zip", "fifth.zip", "--env", "STAMP=soon"])
        #expect(odd.status == 0 && odd.stdout.contains("SOURCE_DATE_EPOCH 'soon' is not a whole number of seconds"), "\(odd.stdout)")
        #expect(FileManager.default.contents(atPath: h.root + "/fifth.zip") != a)
    }
}

func processRunning(_ text: String) -> Bool {
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
    for pid in pids where pid.allSatisfy(\.isNumber) {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              String(decoding: data, as: UTF8.self).contains(text) else { continue }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), stat.contains(") Z ") { continue }
        return true
    }
    return false
}
