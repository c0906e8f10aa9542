import AWSCore
import AWSServices
import Foundation
import SiteContent
import Testing
import TestSupport

/// `--source` with the built binary: git repositories (a local bare repository made here),
/// clean copies, local ZIPs and S3 ZIPs on moto_server, and hostile archives.
@Suite(.serialized) struct SourceEndToEndTests {
    static let reportingBuildspec = """
        version: 0.2
        phases:
          build:
            commands:
              - echo "resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION"
              - echo "version=$CODEBUILD_SOURCE_VERSION"
              - echo "repo=$CODEBUILD_SOURCE_REPO_URL"
              - echo "epoch=$SOURCE_DATE_EPOCH"
              - echo "release=$(cat release.txt)"
              - mkdir -p dist && cp release.txt dist/index.html
        artifacts:
          base-directory: dist
          files: ['**/*']
        """

    struct Repository {
        var bare: String
        var first: String
        var second: String
        var feature: String
    }

    /// `repo.git` in the harness root: main has two commits (the first tagged v1),
    /// `feature` a third, each at a fixed time.
    func makeRepository(_ h: CLIHarness) throws -> Repository {
        let work = h.root + "/repo-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try GitFixture.git(["init", "-q", "-b", "main"], in: work)
        let first = try GitFixture.commit(["buildspec.yml": Self.reportingBuildspec, "release.txt": "one"], in: work,
                                          date: 1_700_000_000, message: "one")
        try GitFixture.git(["tag", "-a", "v1", "-m", "release 1"], in: work, date: 1_700_000_001)
        let second = try GitFixture.commit(["release.txt": "two"], in: work, date: 1_700_000_500, message: "two")
        try GitFixture.git(["checkout", "-q", "-b", "feature"], in: work)
        let feature = try GitFixture.commit(["release.txt": "three"], in: work, date: 1_700_001_000, message: "three")
        try GitFixture.git(["checkout", "-q", "main"], in: work)
        try GitFixture.git(["clone", "-q", "--bare", work, h.root + "/repo.git"], in: h.root)
        return Repository(bare: h.root + "/repo.git", first: first, second: second, feature: feature)
    }

    @Test func gitSourceAtABranchATagAndACommit() throws {
        let h = try CLIHarness()
        let repo = try makeRepository(h)
        let fileURL = "file://" + repo.bare
        let cases: [(source: String, commit: String, version: String, epoch: Int, release: String)] = [
            ("repo.git#main", repo.second, "main", 1_700_000_500, "two"),
            (fileURL + "#feature", repo.feature, "feature", 1_700_001_000, "three"),
            (fileURL + "#v1", repo.first, "v1", 1_700_000_000, "one"),
            (fileURL + "#" + repo.feature, repo.feature, repo.feature, 1_700_001_000, "three"),
            ("repo.git#" + String(repo.first.prefix(9)), repo.first, String(repo.first.prefix(9)), 1_700_000_000, "one"),
            (fileURL, repo.second, "main", 1_700_000_500, "two"),
        ]
        for item in cases {
            let run = try h.run(["build", "--source", item.source, "--out", "out"])
            #expect(run.status == 0, "\(item.source): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("resolved=\(item.commit)\n"), "\(item.source): \(run.stdout)")
            #expect(run.stdout.contains("version=\(item.version)\n"), "\(item.source): \(run.stdout)")
            #expect(run.stdout.contains("epoch=\(item.epoch)\n"), "\(item.source)")
            #expect(run.stdout.contains("repo=\(fileURL)\n"), "\(item.source)")
            #expect(run.stdout.contains("release=\(item.release)\n"), "\(item.source)")
            #expect(h.read("out/index.html") == item.release)
            // The checkout lives in the work directory, named after the repository.
            #expect(run.stdout.contains("CODEBUILD_SRC_DIR=\(h.root)/.sitebuild/_work/repo/src"))
        }
    }

    /// A branch and a tag with one name: the full name builds what it names (`clone --branch`
    /// took the branch for `refs/tags/v1`); the short name stays git's choice.
    @Test func aFullRefNameBuildsTheTagOrBranchItNames() throws {
        let h = try CLIHarness()
        let repo = try makeRepository(h)
        try GitFixture.git(["push", "-q", repo.bare, "\(repo.feature):refs/heads/v1"], in: h.root + "/repo-work")
        let fileURL = "file://" + repo.bare
        for (ref, commit, release) in [("refs/tags/v1", repo.first, "one"), ("refs/heads/v1", repo.feature, "three")] {
            let run = try h.run(["build", "--source", fileURL + "#" + ref, "--out", "out"])
            #expect(run.status == 0, "\(ref): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("resolved=\(commit)\n"), "\(ref): \(run.stdout)")
            #expect(run.stdout.contains("version=\(ref)\n"), "\(ref): \(run.stdout)")
            #expect(run.stdout.contains("release=\(release)\n"), "\(ref): \(run.stdout)")
        }
    }

    /// A bare repository given as a folder is named as one, with the git source to write; a
    /// fetched tree without a buildspec asks for one in the repository, not in the work tree.
    @Test func aBareRepositoryOrAFetchedTreeWithoutABuildspecSaysWhatToDo() throws {
        let h = try CLIHarness()
        let repo = try makeRepository(h)
        let bare = try h.run(["build", "--source", "repo.git"])
        #expect(bare.status == 2, "\(bare.stderr)")
        #expect(bare.stderr.contains("\(repo.bare) is a bare git repository, not a work tree; give it as a git source with the ref to build: "
            + "--source 'file://\(repo.bare)#main'"), "\(bare.stderr)")
        try h.write("content/page.html", "x")
        try DeterministicArchive(format: .zip).write([ArchiveItem(path: "page.html", content: .file(sourcePath: h.root + "/content/page.html"))],
                                                     to: h.root + "/nobuildspec.zip")
        let zip = try h.run(["build", "--source", "nobuildspec.zip"])
        #expect(zip.status == 2, "\(zip.stderr)")
        #expect(zip.stderr.contains("no buildspec.yml in \(h.root)/nobuildspec.zip (fetched to "), "\(zip.stderr)")
        #expect(zip.stderr.contains("add one at the archive's root (`sitebuild init` in the unpacked folder writes one) and make the archive again"),
                "\(zip.stderr)")
    }

    /// A relative --buildspec of a fetched source is the checkout's file, as CodeBuild takes it
    /// from CODEBUILD_SRC_DIR: a file of that name in the current directory (an uncommitted
    /// edit) does not replace the tag's own.
    @Test func aFetchedSourcesRelativeBuildspecIsTheCheckoutsFile() throws {
        let h = try CLIHarness()
        let repo = try makeRepository(h)
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo LOCAL-UNCOMMITTED-EDIT\n")
        let run = try h.run(["build", "--source", "file://\(repo.bare)#v1", "--buildspec", "buildspec.yml", "--out", "out"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("release=one\n") && !run.stdout.contains("LOCAL-UNCOMMITTED-EDIT\n"), "\(run.stdout)")
    }

    /// A relative target in a fetched source's sitebuild.yml is relative to the current
    /// directory: the checkout it came with is replaced on every fetch, and the versions with it.
    @Test func aRelativeTargetInAFetchedSourcesSettingsIsKeptAcrossFetches() throws {
        let h = try CLIHarness()
        let work = h.root + "/settings-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try GitFixture.git(["init", "-q", "-b", "main"], in: work)
        _ = try GitFixture.commit(["buildspec.yml": Self.reportingBuildspec, "release.txt": "one", "sitebuild.yml": "target: deployed-site\n"],
                                  in: work, date: 1_700_000_000, message: "one")
        let first = try h.run(["run", "--source", "file://\(work)#main"])
        #expect(first.status == 0, "\(first.stderr)")
        let live = try #require(h.read("deployed-site/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        _ = try GitFixture.commit(["release.txt": "two"], in: work, date: 1_700_000_100, message: "two")
        let second = try h.run(["run", "--source", "file://\(work)#main"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("(was \(live))") || second.stderr.contains("(was \(live))"), "\(second.stdout)\n\(second.stderr)")
        #expect(h.exists("deployed-site/\(live)/index.html"))
    }

    /// A signal while the source is fetched (a CI job cancelled during a slow clone) stops it as
    /// one in a phase does: exit 130, a STOPPED result, and git stopped with what it started
    /// (git-remote-http, index-pack), which would otherwise write on into the work directory
    /// after its lock was released. The clone here is a stand-in `git` whose clone starts a
    /// helper that writes a file late.
    @Test(arguments: ["build", "run"]) func aSignalWhileTheSourceIsFetchedStopsGitAndEndsWith130(command: String) throws {
        let h = try CLIHarness()
        let repo = try makeRepository(h)
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let realGit = try #require(searchPath.split(separator: ":").map { String($0) + "/git" }.first { (path: String) in access(path, X_OK) == 0 })
        let bin = h.root + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try h.write("bin/git", """
            #!/bin/sh
            for a in "$@"; do
              if [ "$a" = clone ]; then
                touch "\(h.root)/clone-started"
                (sleep 3; touch "\(h.root)/late-write") &
                wait
                exit 1
              fi
            done
            exec \(realGit) "$@"
            """)
        chmod(bin + "/git", 0o755)
        let path = bin + ":" + searchPath
        var arguments = [command, "--json", "--source", "file://\(repo.bare)#main"]
        if command == "run" { arguments += ["--target", h.root + "/site-versions"] }
        let (process, out, err) = try h.start(arguments, environment: ["PATH": path])
        for _ in 0..<1_500 where !h.exists("clone-started") { usleep(20_000) }
        #expect(h.exists("clone-started"))
        usleep(200_000)
        kill(process.processIdentifier, SIGTERM)
        let stopped = CLIHarness.collect(process, out, err)
        #expect(stopped.status == 130, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("interrupted by SIGTERM while git was to clone"), "\(stopped.stderr)")
        let last = stopped.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("\"event\":\"result\"") && last.contains("\"status\":\"STOPPED\""), "\(stopped.stdout)")
        // The stand-in's helper was stopped with it: its late write never comes, and no
        // partial checkout is left.
        usleep(3_500_000)
        #expect(!h.exists("late-write"))
        #expect(!h.exists(".sitebuild/_work/repo/src"))
    }

    /// A git server that takes the connection and never answers: --timeout stops the fetch
    /// (git and its helpers with it) and the command ends as a timed-out build does, rather
    /// than hang for good.
    @Test func theTimeoutStopsAStalledFetch() throws {
        let h = try CLIHarness()
        let stalled = try SilentLoopbackPort()
        let run = try h.run(["build", "--json", "--timeout", "2s", "--source", "http://127.0.0.1:\(stalled.port)/org/site.git#main"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("the build timed out while git was to list the refs of http://127.0.0.1:\(stalled.port)/org/site.git"),
                "\(run.stderr)")
        let last = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("\"event\":\"result\"") && last.contains("\"status\":\"TIMED_OUT\""), "\(run.stdout)")
        #expect(!h.exists(".sitebuild/_work/site/src"))
        withExtendedLifetime(stalled) {}
    }

    /// A local repository whose folder name holds a `%`: that repository is cloned (git decoded
    /// `pct%41dir` in the file URL, and cloned `pctAdir`).
    @Test func aLocalRepositoryWithAPercentInItsNameIsTheOneCloned() throws {
        let h = try CLIHarness()
        let repo = try makeRepository(h)
        try FileManager.default.moveItem(atPath: repo.bare, toPath: h.root + "/pct%41dir")
        let run = try h.run(["build", "--source", "pct%41dir#main", "--out", "out"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("resolved=\(repo.second)\n"), "\(run.stdout)")
        #expect(run.stdout.contains("repo=file://\(h.root)/pct%2541dir\n"), "\(run.stdout)")
    }

    @Test func gitSourceWithAnUnknownRefIsInvalidInput() throws {
        let h = try CLIHarness()
        _ = try makeRepository(h)
        let run = try h.run(["build", "--source", "repo.git#no-such-branch"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("no branch, tag or commit named 'no-such-branch'"), "\(run.stderr)")
    }

    @Test func gitSubmodulesOnRequest() throws {
        let h = try CLIHarness()
        let library = h.root + "/library-work"
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        try GitFixture.git(["init", "-q", "-b", "main"], in: library)
        try GitFixture.commit(["lib.txt": "from the submodule"], in: library, date: 1_700_000_000, message: "lib")
        try GitFixture.git(["clone", "-q", "--bare", library, h.root + "/library.git"], in: h.root)
        let app = h.root + "/app-work"
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        try GitFixture.git(["init", "-q", "-b", "main"], in: app)
        let allowFile = ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow", "GIT_CONFIG_VALUE_0": "always"]
        try GitFixture.git(["submodule", "add", "-q", "file://\(h.root)/library.git", "vendor/library"], in: app, extraEnvironment: allowFile)
        try GitFixture.commit(["buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - cat vendor/library/lib.txt\n"],
                              in: app, date: 1_700_000_100, message: "app")
        try GitFixture.git(["clone", "-q", "--bare", app, h.root + "/app.git"], in: h.root)

        let with = try h.run(["build", "--source", "app.git#main", "--submodules"], environment: allowFile)
        #expect(with.status == 0, "\(with.stdout)\(with.stderr)")
        #expect(with.stdout.contains("from the submodule"))
        let without = try h.run(["build", "--source", "app.git#main"], environment: allowFile)
        #expect(without.status == 1, "the submodule is not checked out without --submodules")

        let notGit = try h.run(["build", "--submodules"])
        #expect(notGit.status == 2)
        #expect(notGit.stderr.contains("--submodules: applies to a git source"))
    }

    @Test func credentialsInTheURLOrEnvironmentAreNeverPrinted() throws {
        let h = try CLIHarness()
        // A closed port: git fails to connect; the error names the URL without its password.
        let refusing = try RefusingLoopbackPort()
        let closed = refusing.port
        let run = try h.run(["build", "--source", "https://builder:hunter2-secret@127.0.0.1:\(closed)/org/site.git#main"],
                            environment: ["SITEBUILD_GIT_TOKEN": "env-token-secret"])
        #expect(run.status == 3, "a connection failure is not the user's input: \(run.stderr)")
        #expect(run.stderr.contains("https://***@127.0.0.1:\(closed)/org/site.git"), "\(run.stderr)")
        for secret in ["hunter2-secret", "env-token-secret", "builder"] {
            #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret), "\(secret) printed")
        }
        withExtendedLifetime(refusing) {}
    }

    /// A deploy key set in core.sshCommand is what git connects with (sitebuild's own
    /// GIT_SSH_COMMAND took its place), in batch mode.
    @Test func aDeployKeyInCoreSSHCommandIsUsed() throws {
        let h = try CLIHarness()
        try h.write("bin/ssh", "#!/bin/sh\necho \"$@\" > \"\(h.root)/ssh-arguments\"\nexit 255\n")
        chmod(h.root + "/bin/ssh", 0o755)
        let run = try h.run(["build", "--source", "ssh://git@127.0.0.1/org/site.git#main"],
                            environment: ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.sshCommand",
                                          "GIT_CONFIG_VALUE_0": "\(h.root)/bin/ssh -i deploy-key"])
        #expect(run.status != 0)
        let arguments = h.read("ssh-arguments") ?? ""
        #expect(arguments.hasPrefix("-i deploy-key -o BatchMode=yes "), "\(arguments) \(run.stderr)")
        #expect(arguments.contains("git@127.0.0.1"), "\(arguments)")
    }

    /// An HTTP server that asks for Basic credentials and records what git sends: the
    /// token reaches the server through the askpass helper, and nowhere else.
    @Test func aTokenReachesTheGitServerThroughAskpass() throws {
        let h = try CLIHarness()
        let record = h.root + "/authorization.txt"
        let server = try PythonScriptServer(script: #"""
            import http.server, os, sys, threading
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    auth = self.headers.get("Authorization")
                    if not auth:
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    else:
                        with open("\#(record)", "a") as f:
                            f.write(auth + "\n")
                        self.send_response(403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                def log_message(self, *args):
                    pass
            def exit_when_stdin_closes():
                sys.stdin.buffer.read()
                os._exit(0)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """#, name: "git-auth")
        defer { server.stop() }
        let run = try h.run(["build", "--source", "\(server.baseURL)/org/site.git#main"],
                            environment: ["SITEBUILD_GIT_TOKEN": "tok-123-secret"])
        #expect(run.status == 2, "\(run.stderr)")
        let sent = h.read("authorization.txt") ?? ""
        let expected = "Basic " + Data("x-access-token:tok-123-secret".utf8).base64EncodedString()
        #expect(sent.contains(expected), "the server saw: \(sent)")
        #expect(!run.stderr.contains("tok-123-secret") && !run.stdout.contains("tok-123-secret"))
        // The askpass helper is gone after the clone.
        let work = (try? FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_work/site")) ?? []
        #expect(!work.contains { $0.hasPrefix("askpass") }, "\(work)")
        // Over plain http to a host that is not this machine's loopback name, the token is not
        // sent, and the failure says so instead of asking to set it.
        let elsewhere = server.baseURL.replacingOccurrences(of: "127.0.0.1", with: "0.0.0.0")
        let withheld = try h.run(["build", "--source", "\(elsewhere)/org/site.git#main"], environment: ["SITEBUILD_GIT_TOKEN": "tok-456-secret"])
        #expect(withheld.status == 2, "\(withheld.stderr)")
        #expect(withheld.stderr.contains("SITEBUILD_GIT_TOKEN is set but not sent to this host"), "\(withheld.stderr)")
        #expect(!(h.read("authorization.txt") ?? "").contains(Data("x-access-token:tok-456-secret".utf8).base64EncodedString()))
    }

    @Test func cleanCopyLeavesOutGitSitebuildAndIgnoredFiles() throws {
        let h = try CLIHarness()
        let site = h.root + "/site"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try GitFixture.git(["init", "-q", "-b", "main"], in: site)
        let commit = try GitFixture.commit([
            ".gitignore": "secret.env\nnode_modules/\n",
            "index.html": "home",
            "buildspec.yml": """
                version: 0.2
                phases:
                  build:
                    commands:
                      - find . -path ./dist -prune -o -print | sort | sed 's/^/listed /'
                      - echo "resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION"
                      - touch built-here
                      - mkdir -p dist && cp index.html dist/
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                """,
        ], in: site, date: 1_700_000_000, message: "site")
        try h.write("site/secret.env", "TOKEN=1")
        try h.write("site/node_modules/big/index.js", "x")
        try h.write("site/new-page.html", "untracked but not ignored")
        try h.write("site/.sitebuild/_build/old", "old output")

        let run = try h.run(["build", "--source", "site", "--clean", "--out", "out"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for kept in ["./index.html", "./new-page.html", "./buildspec.yml", "./.gitignore"] {
            #expect(run.stdout.contains("listed \(kept)\n"), "\(kept) missing: \(run.stdout)")
        }
        for dropped in ["./.git\n", "./.git/", "./secret.env", "./node_modules", "./.sitebuild"] {
            #expect(!run.stdout.contains("listed \(dropped)"), "\(dropped) copied")
        }
        #expect(run.stdout.contains("resolved=\(commit)\n"))
        #expect(!h.exists("site/built-here"), "the build ran in the copy, not the original")
        #expect(h.exists(".sitebuild/_work/site/src/built-here"))
        #expect(h.read("out/index.html") == "home")

        // A checkout owned by another user (a container job running as root, a bind mount):
        // git's "dubious ownership" refusal made it no repository, and its ignored files were
        // copied. It is read all the same (the build runs its buildspec anyway).
        if getuid() == 0 {
            let chown = Process()
            chown.executableURL = URL(fileURLWithPath: "/bin/chown")
            chown.arguments = ["-R", "nobody", h.root + "/site"]
            try chown.run()
            chown.waitUntilExit()
            #expect(chown.terminationStatus == 0)
            let other = try h.run(["build", "--source", "site", "--clean", "--out", "out2"])
            #expect(other.status == 0, "\(other.stdout)\(other.stderr)")
            for dropped in ["./secret.env", "./node_modules"] {
                #expect(!other.stdout.contains("listed \(dropped)"), "\(dropped) copied")
            }
            #expect(other.stdout.contains("resolved=\(commit)\n"), "\(other.stdout)")
        }
    }

    /// A file whose name is not UTF-8 is left out of a --clean copy and named (in a git work
    /// tree and outside one), rather than left out without a word; the build goes on, as one in
    /// place does with such a file that no artifact takes (a test fixture).
    @Test func cleanCopyNamesWhatItLeavesOutForANameThatIsNotUTF8() throws {
        let h = try CLIHarness()
        for repository in [true, false] {
            let site = h.root + "/site-\(repository)"
            try FileManager.default.createDirectory(atPath: site + "/fixtures", withIntermediateDirectories: true)
            let buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - ls fixtures\n"
            if repository {
                try GitFixture.git(["init", "-q", "-b", "main"], in: site)
                try GitFixture.commit(["buildspec.yml": buildspec, "fixtures/ok.txt": "ok"], in: site, date: 1_700_000_000, message: "site")
            } else {
                try buildspec.write(toFile: site + "/buildspec.yml", atomically: true, encoding: .utf8)
                try "ok".write(toFile: site + "/fixtures/ok.txt", atomically: true, encoding: .utf8)
            }
            let name = Array((site + "/fixtures/bad").utf8) + [0xFF] + Array(".txt".utf8) + [0]
            let fd = name.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            #expect(fd >= 0)
            close(fd)
            let run = try h.run(["build", "--source", "site-\(repository)", "--clean"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let said = run.stdout + run.stderr
            #expect(said.contains("1 file(s) of \(site) whose names are not UTF-8 were not copied"), "\(said)")
            #expect(said.contains("fixtures/bad\\xFF.txt; rename them"), "\(said)")
            #expect(said.contains("ok.txt"), "\(said)")
        }
    }

    /// Archives uploaded to one place (site-1.zip, site-2.zip, as watch builds them) share the
    /// keyless cache slot: each is extracted to its own work directory, so a slot per directory
    /// would never be used twice.
    @Test func archivesFromOnePlaceShareTheKeylessCacheSlot() throws {
        let h = try CLIHarness()
        try h.write("content/buildspec.yml", """
            version: 0.2
            phases:
              install:
                commands:
                  - if [ -f deps/marker ]; then echo "deps-restored"; else mkdir -p deps && echo x > deps/marker && echo "deps-fetched"; fi
              build:
                commands:
                  - mkdir -p dist && cp page.html dist/index.html
            artifacts:
              base-directory: dist
              files: ['**/*']
            cache:
              paths: ['deps/**/*']
            """)
        try h.write("content/page.html", "<h1>zipped</h1>")
        let items = ["buildspec.yml", "page.html"].map { ArchiveItem(path: $0, content: .file(sourcePath: h.root + "/content/" + $0)) }
        try FileManager.default.createDirectory(atPath: h.root + "/uploads", withIntermediateDirectories: true)
        for name in ["site-1", "site-2"] { try DeterministicArchive(format: .zip).write(items, to: h.root + "/uploads/\(name).zip") }
        let first = try h.run(["build", "--source", "uploads/site-1.zip"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("deps-fetched"))
        let second = try h.run(["build", "--source", "uploads/site-2.zip"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("deps-restored"), "\(second.stdout)")
    }

    /// Two repositories with one name (a project and someone's fork) land in the same work
    /// directory, but never share the keyless cache or the build numbers: what the fork's
    /// build leaves is not restored into the project's build.
    @Test func sameNamedRepositoriesDoNotShareTheKeylessCache() throws {
        let h = try CLIHarness()
        var bares: [String] = []
        for owner in ["acme", "someone"] {
            let work = h.root + "/\(owner)-work"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try GitFixture.git(["init", "-q", "-b", "main"], in: work)
            _ = try GitFixture.commit(["buildspec.yml": """
                version: 0.2
                phases:
                  install:
                    commands:
                      - if [ -f deps/who ]; then echo "restored from $(cat deps/who)"; else mkdir -p deps && echo \(owner) > deps/who && echo "fetched"; fi
                      - echo "number=$CODEBUILD_BUILD_NUMBER"
                  build:
                    commands:
                      - mkdir -p dist && echo \(owner) > dist/index.html
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                cache:
                  paths: ['deps/**/*']
                """], in: work, date: 1_700_000_000, message: "one")
            try FileManager.default.createDirectory(atPath: h.root + "/\(owner)", withIntermediateDirectories: true)
            try GitFixture.git(["clone", "-q", "--bare", work, h.root + "/\(owner)/site.git"], in: h.root)
            bares.append("file://" + h.root + "/\(owner)/site.git")
        }
        let fork = try h.run(["build", "--source", bares[1] + "#main"])
        #expect(fork.status == 0, "\(fork.stdout)\(fork.stderr)")
        #expect(fork.stdout.contains("fetched\n") && fork.stdout.contains("number=1\n"), "\(fork.stdout)")
        let project = try h.run(["build", "--source", bares[0] + "#main"])
        #expect(project.status == 0, "\(project.stdout)\(project.stderr)")
        #expect(project.stdout.contains("fetched\n") && !project.stdout.contains("restored from someone\n"), "\(project.stdout)")
        #expect(project.stdout.contains("number=1\n"), "\(project.stdout)")
        // The same repository again: its own cache and the next number.
        let again = try h.run(["build", "--source", bares[0] + "#main"])
        #expect(again.stdout.contains("restored from acme\n") && again.stdout.contains("number=2\n"), "\(again.stdout)")
    }

    /// Inside CodeBuild, a source sitebuild fetches is not the project's: the project's own
    /// source variables (its commit, its PR's webhook) are not passed on to the build.
    @Test func aFetchedSourceInsideCodeBuildDoesNotInheritTheProjectsSourceVariables() throws {
        let h = try CLIHarness()
        try h.write("content/buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - echo "resolved=${CODEBUILD_RESOLVED_SOURCE_VERSION-unset} version=${CODEBUILD_SOURCE_VERSION-unset} trigger=${CODEBUILD_WEBHOOK_TRIGGER-unset} id=$CODEBUILD_BUILD_ID"
            """)
        let items = [ArchiveItem(path: "buildspec.yml", content: .file(sourcePath: h.root + "/content/buildspec.yml"))]
        try DeterministicArchive(format: .zip).write(items, to: h.root + "/site-42.zip")
        let outer = ["CODEBUILD_BUILD_ID": "pipeline:1", "CODEBUILD_RESOLVED_SOURCE_VERSION": String(repeating: "ab", count: 20),
                     "CODEBUILD_SOURCE_VERSION": "pr/5", "CODEBUILD_WEBHOOK_TRIGGER": "pr/5",
                     "CODEBUILD_SOURCE_REPO_URL": "https://github.com/org/pipeline"]
        let archive = try h.run(["build", "--source", "site-42.zip"], environment: outer)
        #expect(archive.status == 0, "\(archive.stdout)\(archive.stderr)")
        #expect(archive.stdout.contains("resolved=unset version=unset trigger=unset id=pipeline:1\n"), "\(archive.stdout)")
        // Built in place, the tree is the project's own checkout: its variables stay.
        let inPlace = try h.run(["build", "--source", "content"], environment: outer)
        #expect(inPlace.stdout.contains("resolved=\(String(repeating: "ab", count: 20)) version=pr/5 trigger=pr/5 id=pipeline:1\n"), "\(inPlace.stdout)")
    }

    /// Inside CodeBuild, a --clean copy is of the project's own checkout: CodeBuild's source
    /// version (`pr/9`) and repository URL stay, as they do in place (the copy put its commit
    /// and origin in their place).
    @Test func aCleanCopyInsideCodeBuildKeepsCodeBuildsSourceVersion() throws {
        let h = try CLIHarness()
        let site = h.root + "/site"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try GitFixture.git(["init", "-q", "-b", "main"], in: site)
        try GitFixture.git(["remote", "add", "origin", "https://github.com/org/elsewhere.git"], in: site)
        let commit = try GitFixture.commit(["buildspec.yml": """
            version: 0.2
            phases:
              build:
                commands:
                  - echo "resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION version=$CODEBUILD_SOURCE_VERSION repo=$CODEBUILD_SOURCE_REPO_URL"
            """], in: site, date: 1_700_000_000, message: "site")
        let outer = ["CODEBUILD_BUILD_ID": "pipeline:1", "CODEBUILD_SOURCE_VERSION": "pr/9", "CODEBUILD_SOURCE_REPO_URL": "https://github.com/org/site"]
        for flags in [["--clean"], []] {
            let run = try h.run(["build", "--source", "site"] + flags, environment: outer)
            #expect(run.status == 0, "\(flags): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("resolved=\(commit) version=pr/9 repo=https://github.com/org/site\n"), "\(flags): \(run.stdout)")
        }
        // Outside CodeBuild the copy says what the original is.
        let local = try h.run(["build", "--source", "site", "--clean"])
        #expect(local.stdout.contains("resolved=\(commit) version=\(commit) repo=https://github.com/org/elsewhere.git\n"), "\(local.stdout)")
    }

    /// The local ZIP and the Hosting Toolkit's convention of naming the version after it.
    @Test func zipSourceRunWithZipNameVersion() throws {
        let h = try CLIHarness()
        try h.write("content/buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p dist && cp page.html dist/index.html
            artifacts:
              base-directory: dist
              files: ['**/*']
            """)
        try h.write("content/page.html", "<h1>zipped</h1>")
        let items = ["buildspec.yml", "page.html"].map { ArchiveItem(path: "site/\($0)", content: .file(sourcePath: h.root + "/content/" + $0)) }
        try DeterministicArchive(format: .zip).write(items, to: h.root + "/release 2024.06+1.zip")

        let run = try h.run(["run", "--source", "release 2024.06+1.zip", "--version-id", "zip-name", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"version\":\"release-2024.06-1\""), "\(run.stdout)")
        #expect(h.read(".sitebuild/release-2024.06-1/index.html") == "<h1>zipped</h1>")
        #expect(h.read(".sitebuild/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines) == "release-2024.06-1")

        let notAnArchive = try h.run(["run", "--source", "content", "--version-id", "zip-name"])
        #expect(notAnArchive.status == 2)
        #expect(notAnArchive.stderr.contains("--version-id zip-name names the version after the source archive"))
        // Known from the source's name: refused before a clone, and commit before an extraction.
        let gitSource = try h.run(["run", "--source", "file://\(h.root)/nowhere.git#main", "--version-id", "zip-name"])
        #expect(gitSource.status == 2 && gitSource.stderr.contains("--version-id zip-name names the version after the source archive"), "\(gitSource.stderr)")
        #expect(!gitSource.stdout.contains("cloning") && !gitSource.stderr.contains("cloning"), "\(gitSource.stdout)")
        let commitOfZip = try h.run(["run", "--source", "release 2024.06+1.zip", "--version-id", "commit"])
        #expect(commitOfZip.status == 2 && commitOfZip.stderr.contains("is an archive, not a git checkout"), "\(commitOfZip.stderr)")
        #expect(!commitOfZip.stdout.contains("extracting") && !commitOfZip.stderr.contains("extracting"), "\(commitOfZip.stdout)")
        // An archive named like a content version could take another build's version.
        try DeterministicArchive(format: .zip).write(items, to: h.root + "/c2cd642eb4a0a748.zip")
        let contentLike = try h.run(["run", "--source", "c2cd642eb4a0a748.zip", "--version-id", "zip-name"])
        #expect(contentLike.status == 2, "\(contentLike.stderr)")
        #expect(contentLike.stderr.contains("the archive name 'c2cd642eb4a0a748' is 16 lower-case hex digits"), "\(contentLike.stderr)")
        #expect(!h.exists(".sitebuild/c2cd642eb4a0a748"))
        // Flags that do not depend on the source are refused before it is fetched: the work
        // tree of the last build (kept to look at a failure) is not replaced for nothing.
        let workTree = try #require(try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_work").first { $0.hasPrefix("release") && !$0.hasSuffix(".lock") })
        try h.write(".sitebuild/_work/\(workTree)/src/build-debug.log", "kept")
        for (flags, named) in [(["--cache", "local-cache"], "--cache local-cache"), (["--target", "ftp://x/y"], "ftp://x/y"),
                               (["--version-id", "0123456789abcdef"], "--version-id 0123456789abcdef"),
                               (["--env", "=x"], "--env")] {
            let bad = try h.run(["run", "--source", "release 2024.06+1.zip"] + flags)
            #expect(bad.status == 2, "\(flags): \(bad.stderr)")
            #expect(bad.stderr.contains(named), "\(flags): \(bad.stderr)")
            #expect(!bad.stdout.contains("extracting") && !bad.stderr.contains("extracting"), "\(flags): fetched first")
        }
        #expect(h.read(".sitebuild/_work/\(workTree)/src/build-debug.log") == "kept")
    }

    /// Also: the extracted tree lies inside the current directory's repository, yet the
    /// build does not see that repository.
    @Test func sourceFromSitebuildYml() throws {
        let h = try CLIHarness()
        try h.write("content/buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - echo from-the-archive
                  - echo "resolved=[$CODEBUILD_RESOLVED_SOURCE_VERSION]"
                  - git rev-parse --show-toplevel 2>/dev/null || echo no-enclosing-repository
            """)
        try DeterministicArchive(format: .zip).write([ArchiveItem(path: "buildspec.yml", content: .file(sourcePath: h.root + "/content/buildspec.yml"))],
                                                     to: h.root + "/site.zip")
        try h.write("sitebuild.yml", "source: site.zip\n")
        try GitFixture.git(["init", "-q", "-b", "main"], in: h.root)
        try GitFixture.commit([".gitignore": ".sitebuild/\n"], in: h.root, date: 1_700_000_000, message: "outer")
        let run = try h.run(["build"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("from-the-archive"))
        #expect(run.stdout.contains("resolved=[]\n"), "\(run.stdout)")
        #expect(run.stdout.contains("no-enclosing-repository"), "\(run.stdout)")

        try h.write("sitebuild.yml", "target: .sitebuild\nsource: missing.zip\n")
        let missing = try h.run(["build"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("sitebuild.yml:2:9: source missing.zip: no such file"), "\(missing.stderr)")
    }

    /// `run --source apps/web` from a project's root: a source folder without a sitebuild.yml
    /// of its own takes the current directory's (its target, mode), as a fetched source does;
    /// one with its own keeps it.
    @Test func aSourceFolderWithoutSettingsTakesTheCurrentDirectorys() throws {
        let h = try CLIHarness()
        try h.write("apps/web/buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\nartifacts:\n  files: ['index.html']\n")
        try h.write("apps/web/index.html", "<p>web</p>")
        try h.write("sitebuild.yml", "target: project-target\n")
        let run = try h.run(["run", "--source", "apps/web"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(h.exists("project-target/_sitebuild/live") && !h.exists(".sitebuild/_sitebuild/live") && !h.exists("apps/web/.sitebuild/_sitebuild/live"),
                "\(run.stderr)")
        // validate reads the same file: a bad setting there is found for that source.
        try h.write("sitebuild.yml", "target: project-target\nmode: spaa\n")
        let validate = try h.run(["validate", "--source", "apps/web"])
        #expect(validate.status == 2 && validate.stderr.contains("sitebuild.yml:2"), "\(validate.stderr)")
        // A current sitebuild.yml that names another source is that source's: not used for this one.
        try h.write("apps/docs/index.html", "<p>docs</p>")
        try h.write("sitebuild.yml", "source: apps/docs\ntarget: docs-live\n")
        #expect(try h.run(["run", "--source", "apps/web"]).status == 0)
        #expect(!h.exists("docs-live") && h.exists(".sitebuild/_sitebuild/live"))
        try h.write("apps/web/sitebuild.yml", "target: own-target\n")
        #expect(try h.run(["run", "--source", "apps/web"]).status == 0)
        #expect(h.exists("apps/web/own-target/_sitebuild/live"))
    }

    /// A password-protected ZIP (made by `zip -P pw`, embedded) is named as encrypted, not as
    /// damaged: uploading it again would not help.
    @Test func anEncryptedZipIsNamedAsEncrypted() throws {
        let h = try CLIHarness()
        let zip = "UEsDBAoACQAAABYBfF3VqoygHAAAABAAAAAKAAAAaW5kZXguaHRtbDCEOpDmXCNoU/gyD1WG5PQiQ4XXifNgN1lCJBFQSwcI1aqMoBwAAAAQAAAAUEsBAh4DCgAJAAAAFgF8XdWqjKAcAAAAEAAAAAoAAAAAAAAAAQAAAKSBAAAAAGluZGV4Lmh0bWxQSwUGAAAAAAEAAQA4AAAAVAAAAAAA"
        try Data(base64Encoded: zip)!.write(to: URL(fileURLWithPath: h.root + "/locked.zip"))
        let run = try h.run(["build", "--source", "locked.zip"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("the archive is encrypted (Passphrase required for this entry); sitebuild reads archives without a password"),
                "\(run.stderr)")
    }

    @Test func hostileZipIsRefusedWithExitTwoAndNothingOutsideTheWorkDirectory() throws {
        let h = try CLIHarness()
        try h.write("content/ok.txt", "ok")
        try FileManager.default.createDirectory(atPath: h.root + "/sentinel", withIntermediateDirectories: true)
        // From the extraction's temporary directory in .sitebuild/_work/evil, four levels up is the harness root.
        let items = [ArchiveItem(path: "ok.txt", content: .file(sourcePath: h.root + "/content/ok.txt")),
                     ArchiveItem(path: "../../../../sentinel/owned", content: .file(sourcePath: h.root + "/content/ok.txt"))]
        try DeterministicArchive(format: .zip).write(items, to: h.root + "/evil.zip")
        let run = try h.run(["build", "--source", "evil.zip"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(h.root)/evil.zip: the entry '../../../../sentinel/owned' has a '..' component"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.root + "/sentinel").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_work/evil") == [".sitebuild-work"])

        let bomb = try h.run(["build", "--source", "evil.zip"], environment: ["SITEBUILD_EXTRACT_MAX_BYTES": "lots"])
        #expect(bomb.status == 2)
        #expect(bomb.stderr.contains("SITEBUILD_EXTRACT_MAX_BYTES=lots: not a size"))
    }

    @Test func zipBombThroughTheCLINamesTheLimitToRaise() throws {
        let h = try CLIHarness()
        let zeros = h.root + "/zeros.bin"
        try Data(count: 3 << 20).write(to: URL(fileURLWithPath: zeros))
        try DeterministicArchive(format: .zip).write([ArchiveItem(path: "zeros.bin", content: .file(sourcePath: zeros))], to: h.root + "/bomb.zip")
        let run = try h.run(["build", "--source", "bomb.zip"], environment: ["SITEBUILD_EXTRACT_MAX_FILE_BYTES": "1M"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("the entry 'zeros.bin' expands past the per-file limit of 1 MiB"), "\(run.stderr)")
        #expect(run.stderr.contains("(SITEBUILD_EXTRACT_MAX_FILE_BYTES sets the per-file limit)"))
    }

    @Test func s3ZipSourceOnMoto() async throws {
        try await withMotoServer { moto in
            let client = S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
            try await client.createBucket("uploads")
            try await client.createBucket("site")
            let h = try CLIHarness()
            try h.write("content/buildspec.yml", """
                version: 0.2
                phases:
                  build:
                    commands:
                      - echo "repo=$CODEBUILD_SOURCE_REPO_URL"
                      - mkdir -p dist && cp page.html dist/index.html
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                """)
            try h.write("content/page.html", "<h1>from s3</h1>")
            let items = ["buildspec.yml", "page.html"].map { ArchiveItem(path: $0, content: .file(sourcePath: h.root + "/content/" + $0)) }
            try DeterministicArchive(format: .zip).write(items, to: h.root + "/site-v7.zip")
            let body = try Data(contentsOf: URL(fileURLWithPath: h.root + "/site-v7.zip"))
            _ = try await client.putObject(bucket: "uploads", key: "releases/site-v7.zip", body: .bytes(Array(body)))

            let run = try await h.run(["run", "--source", "s3://uploads/releases/site-v7.zip", "--version-id", "zip-name",
                                 "--target", "s3://site/www", "--json"], environment: moto.environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("\"version\":\"site-v7\""))
            #expect(run.stderr.contains("repo=s3://uploads/releases/site-v7.zip"), "the build log goes to stderr with --json")
            let page = try await client.getObject(bucket: "site", key: "www/site-v7/index.html")
            #expect(String(decoding: page.body, as: UTF8.self) == "<h1>from s3</h1>")
            // The download is removed once extracted.
            let work = try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_work/site-v7")
            #expect(Set(work) == [".sitebuild-work", "src"])

            let missing = try await h.run(["build", "--source", "s3://uploads/releases/nope.zip"], environment: moto.environment)
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("s3://uploads/releases/nope.zip: no such object"), "\(missing.stderr)")
            let noBucket = try await h.run(["build", "--source", "s3://no-such-bucket-here/x.zip"], environment: moto.environment)
            #expect(noBucket.status == 2)
            #expect(noBucket.stderr.contains("s3://no-such-bucket-here/x.zip: there is no bucket no-such-bucket-here"), "\(noBucket.stderr)")
        }
    }
}
