import Deploy
import Foundation
import SiteContent
@testable import SitebuildCLI
import Testing

/// The local target end to end: `run`, `serve`, `rollback`, `prune`, kills and races,
/// through the built binary.
@Suite struct DeployCommandTests {
    static let buildspec = """
        version: 0.2
        phases:
          build:
            commands:
              - rm -rf dist && mkdir -p dist/assets && cp -R pages/. dist/ && echo "body{}" > dist/assets/site.css
        artifacts:
          base-directory: dist
          files: ['**/*']
        """

    func makeSite(_ h: CLIHarness, title: String) throws {
        try h.write("site/buildspec.yml", Self.buildspec)
        try h.write("site/pages/index.html", "<h1>\(title)</h1>\n")
        try h.write("site/pages/about.html", "<p>about</p>\n")
        try h.write("site/pages/docs/index.html", "<p>docs</p>\n")
    }

    func live(_ h: CLIHarness) -> String? {
        h.read(".sitebuild/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func runDeploysThenSkipsAnUnchangedTreeThenMakesANewVersion() throws {
        let h = try CLIHarness()
        try makeSite(h, title: "one")
        let first = try h.run(["run", "--source", "site"])
        #expect(first.status == 0, "\(first.stderr)")
        let v1 = try #require(live(h))
        #expect(h.read(".sitebuild/\(v1)/index.html") == "<h1>one</h1>\n")
        #expect(h.exists(".sitebuild/_sitebuild/manifests/\(v1).json"))
        // The static-mode alias: /docs resolves to docs.html.
        #expect(h.read(".sitebuild/\(v1)/docs.html") == "<p>docs</p>\n")

        let again = try h.run(["run", "--source", "site"])
        #expect(again.status == 0)
        #expect(again.stderr.contains("nothing to deploy: version \(v1)"))

        try h.write("site/pages/index.html", "<h1>two</h1>\n")
        let second = try h.run(["run", "--source", "site", "--json"])
        #expect(second.status == 0)
        let v2 = try #require(live(h))
        #expect(v2 != v1)
        let result = try #require(second.stdout.split(separator: "\n").last { $0.contains("\"event\":\"result\"") && $0.contains("\"action\"") })
        let value = try JSONValue.parse(Data(result.utf8))
        #expect(value["version"] == .string(v2))
        #expect(value["previous"] == .string(v1))
        #expect(value["uploaded"] == .int(1))
        // about.html, docs/index.html, its docs.html alias and the stylesheet are reused.
        #expect(value["reused"] == .int(4))
        #expect(value["time"]?.stringValue?.hasSuffix("Z") == true, "deploy events carry a time, as build events do")
    }

    /// A file URL is percent-decoded (RFC 8089): `my%20target` is the folder `my target`; a
    /// target whose path holds a `%` is shown with it as `%25`, so the URL reads back as it.
    @Test func fileURLsArePercentDecoded() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<p>one</p>")
        let spaced = try h.run(["deploy", "site", "--target", "file://\(h.root)/my%20target"])
        #expect(spaced.status == 0, "\(spaced.stderr)")
        #expect(h.exists("my target/_sitebuild/live") && !h.exists("my%20target"))
        let percent = try h.run(["deploy", "site", "--target", "\(h.root)/a%b"])
        #expect(percent.status == 0, "\(percent.stderr)")
        #expect(percent.stderr.contains("file://\(h.root)/a%25b"), "\(percent.stderr)")
        let again = try h.run(["versions", "--target", "file://\(h.root)/a%25b"])
        #expect(again.status == 0 && again.stdout.contains("live"), "\(again.stdout)\(again.stderr)")
        let bad = try h.run(["deploy", "site", "--target", "file://\(h.root)/100%zz"])
        #expect(bad.status == 2 && bad.stderr.contains("write a literal '%' as %25"), "\(bad.stderr)")
    }

    /// A literal version id names one version for good: deployed again with other files it is
    /// refused as other content, with the same files and another header rule as other headers
    /// (not a difference to look for in the build's output).
    @Test func aLiteralVersionIdTakenBySomethingElseSaysWhatDiffers() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<p>one</p>")
        try h.write("sitebuild.yml", "headers:\n  - match: '**/*.html'\n    cache-control: no-cache\n")
        let deploy = ["deploy", "site", "--target", "t", "--version-id", "rel-a"]
        #expect(try h.run(deploy).status == 0)
        try h.write("sitebuild.yml", "headers:\n  - match: '**/*.html'\n    cache-control: no-store\n")
        let headers = try h.run(deploy)
        #expect(headers.status == 2)
        #expect(headers.stderr.contains("version rel-a already exists on") && headers.stderr.contains("with different headers (the same files"),
                "\(headers.stderr)")
        try h.write("site/index.html", "<p>two</p>")
        let content = try h.run(deploy)
        #expect(content.status == 2)
        #expect(content.stderr.contains("with different content; versions are immutable"), "\(content.stderr)")
    }

    /// The stream of `run --json` ends with the deploy's result, and it has the build's
    /// exported variables (masked), which CI steps read from the last result.
    @Test func theLastResultOfRunHasTheExportedVariables() throws {
        let h = try CLIHarness()
        try h.write("site/buildspec.yml", """
            version: 0.2
            env:
              exported-variables: [RELEASE, LEAKED]
            phases:
              build:
                commands:
                  - mkdir -p dist && echo hi > dist/index.html
                  - RELEASE="r-$(cat dist/index.html)"; LEAKED="$AWS_SECRET_ACCESS_KEY"
            artifacts:
              base-directory: dist
              files: ['**/*']
            """)
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_SECRET_ACCESS_KEY"] = "very-secret-value-42"
        let run = try h.run(["run", "--source", "site", "--json"], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let results = try run.stdout.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }.filter { $0["event"] == .string("result") }
        let last = try #require(results.last)
        #expect(last["action"] == .string("deployed"))
        #expect(last["exportedVariables"]?["RELEASE"] == .string("r-hi"), "\(last)")
        #expect(last["exportedVariables"]?["LEAKED"] == .string("***"))
        #expect(!run.stdout.contains("very-secret-value-42"))
    }

    /// A pointer prune cannot read counts as serving what its head names; a head whose flip
    /// then lost its race names a version the pointer never served (it was written first). The
    /// pointer's newest release record, written only after a flip that happened, is kept too.
    @Test func pruneKeepsWhatAnUnreadablePointersLastReleaseMadeLive() throws {
        let h = try CLIHarness()
        let stage = ["--pointer", "file://\(h.root)/stage/live"]
        var staged: [String] = []
        for title in ["s1", "s2"] {
            try makeSite(h, title: title)
            #expect(try h.run(["run", "--source", "site"] + stage).status == 0)
            staged.append(try #require(h.read("stage/live")?.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        for title in ["p1", "p2", "p3"] {
            try makeSite(h, title: title)
            #expect(try h.run(["run", "--source", "site"]).status == 0)
        }
        // A flip to s1 through the stage pointer that lost its race left its head behind.
        let heads = h.root + "/.sitebuild/_sitebuild/pointers"
        let head = try #require(try FileManager.default.contentsOfDirectory(atPath: heads).first { name in
            h.read(".sitebuild/_sitebuild/pointers/" + name)?.contains("stage/live") == true
        })
        let text = try #require(h.read(".sitebuild/_sitebuild/pointers/" + head))
        try h.write(".sitebuild/_sitebuild/pointers/" + head, text.replacingOccurrences(of: "\"to\":\"\(staged[1])\"", with: "\"to\":\"\(staged[0])\""))
        // The stage pointer's folder is not on this machine: unreadable.
        try FileManager.default.removeItem(atPath: h.root + "/stage")
        let prune = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(h.exists(".sitebuild/\(staged[1])/index.html"), "the version the stage pointer serves was deleted: \(prune.stderr)")
    }

    @Test func versionsRollbackAndPrune() throws {
        let h = try CLIHarness()
        var versions: [String] = []
        for title in ["a", "b", "c", "d"] {
            try makeSite(h, title: title)
            #expect(try h.run(["run", "--source", "site"]).status == 0)
            versions.append(try #require(live(h)))
        }
        let list = try h.run(["versions", "--json"])
        let value = try JSONValue.parse(Data(list.stdout.utf8))
        #expect(value["live"] == .string(versions[3]))
        #expect(value["versions"]?.arrayValue?.count == 4)

        let rollback = try h.run(["rollback"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(live(h) == versions[2])
        #expect(rollback.stderr.contains("live version is now \(versions[2]) (was \(versions[3]))"))
        #expect(try h.run(["rollback", versions[0]]).status == 0)
        #expect(live(h) == versions[0])
        let unknown = try h.run(["rollback", "deadbeefdeadbeef"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("does not exist"))
        // A rollback through a pointer nothing is live on, while the target has releases: the
        // wrong pointer, most likely; nothing is written (no stray pointer, no stray record).
        let releasesBefore = try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases").count
        let stray = try h.run(["rollback", versions[1], "--pointer", h.root + "/other-live"])
        #expect(stray.status == 2, "\(stray.stderr)")
        #expect(stray.stderr.contains("nothing is live on file://\(h.root)/other-live, but the last release on") &&
                stray.stderr.contains("made \(versions[0]) live"), "\(stray.stderr)")
        #expect(!h.exists("other-live"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases").count == releasesBefore)
        #expect(stray.stderr.contains("name the version and pass --force"))
        // `versions` through that pointer says the same, and lists the versions.
        let strayList = try h.run(["versions", "--pointer", h.root + "/other-live"])
        #expect(strayList.status == 0, "\(strayList.stderr)")
        #expect(strayList.stderr.contains("warning: nothing is live on file://\(h.root)/other-live, but the last release on")
                && strayList.stderr.contains("is this the pointer the deploys use?"), "\(strayList.stderr)")
        #expect(strayList.stdout.contains(versions[1]))
        #expect(!h.exists("other-live"))
        // A lost pointer is restored by naming the version, with --force.
        let pointerFile = h.root + "/.sitebuild/_sitebuild/live"
        try FileManager.default.removeItem(atPath: pointerFile)
        #expect(try h.run(["rollback", versions[0]]).status == 2)
        let restored = try h.run(["rollback", versions[0], "--force"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(live(h) == versions[0])

        // Everything was live moments ago: a grace period keeps it all.
        let graceful = try h.run(["prune", "--keep", "0", "--grace", "1h"])
        #expect(graceful.status == 0)
        #expect(graceful.stderr.contains("nothing to prune"))
        let dry = try h.run(["prune", "--keep", "0", "--grace", "0s", "--dry-run"])
        #expect(dry.stderr.contains("would delete"))
        #expect(h.exists(".sitebuild/\(versions[1])"))
        let prune = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(prune.status == 0, "\(prune.stderr)")
        // Live (a) and the previous release (b's successor chain: the version live before a) stay.
        #expect(h.exists(".sitebuild/\(versions[0])/index.html"))
        #expect(h.exists(".sitebuild/_sitebuild/manifests/\(versions[2]).json"))
        #expect(!h.exists(".sitebuild/_sitebuild/manifests/\(versions[1]).json"))
        #expect(!h.exists(".sitebuild/\(versions[1])"))
        #expect(h.read(".sitebuild/\(versions[0])/about.html") == "<p>about</p>\n")
        let badGrace = try h.run(["prune", "--grace", "soon"])
        #expect(badGrace.status == 2)
        #expect(badGrace.stderr.contains("--grace soon"))
        // A damaged manifest does not stop versions or prune: that version is left out, kept,
        // and named.
        try h.write(".sitebuild/_sitebuild/manifests/\(versions[2]).json", "{bad")
        let damaged = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(damaged.status == 0, "\(damaged.stderr)")
        #expect(damaged.stderr.contains("\(versions[2]).json is damaged") && damaged.stderr.contains("is left out (and kept)"), "\(damaged.stderr)")
        #expect(h.exists(".sitebuild/\(versions[2])/index.html"))
        let listed = try h.run(["versions"])
        #expect(listed.status == 0 && listed.stdout.contains(versions[0]) && !listed.stdout.contains(versions[2]), "\(listed.stdout)")
    }

    @Test func serveShowsTheLiveVersionAndFollowsFlipsAtOnce() throws {
        let h = try CLIHarness()
        try makeSite(h, title: "first")
        #expect(try h.run(["run", "--source", "site"]).status == 0)
        let (server, out, _) = try h.start(["serve", "--port", "0"])
        defer { server.terminate(); server.waitUntilExit() }
        let line = String(decoding: out.fileHandleForReading.availableDataLine(), as: UTF8.self)
        #expect(line.contains("Serving file://"))
        let port = try #require(line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            .map { String(line[$0]).split(separator: ":").last.map(String.init) ?? "" })
        let base = "http://127.0.0.1:\(port)"
        #expect(try httpGet(base + "/").body == "<h1>first</h1>\n")
        #expect(try httpGet(base + "/docs").body == "<p>docs</p>\n")
        #expect(try httpGet(base + "/docs/index.html").status == 301)

        try makeSite(h, title: "second")
        #expect(try h.run(["run", "--source", "site"]).status == 0)
        #expect(try httpGet(base + "/").body == "<h1>second</h1>\n")
        let rolledBack = try h.run(["rollback", "--json"])
        #expect(rolledBack.status == 0)
        let result = try JSONValue.parse(Data(try #require(rolledBack.stdout.split(separator: "\n").last).utf8))
        #expect(result["action"]?.stringValue == "rollback" && result["status"]?.stringValue == "SUCCEEDED", "\(rolledBack.stdout)")
        #expect(try httpGet(base + "/").body == "<h1>first</h1>\n")

        // A literal id pruned and deployed again with other bytes: served as it is now, not
        // with the manifest (sizes, ETags) read the first time.
        try h.write("lit/index.html", "short\n")
        #expect(try h.run(["deploy", "lit", "--version-id", "rel-1"]).status == 0)
        #expect(try httpGet(base + "/").body == "short\n")
        for id in ["rel-2", "rel-3"] {
            try h.write("lit/index.html", "\(id)\n")
            #expect(try h.run(["deploy", "lit", "--version-id", id]).status == 0)
        }
        #expect(try h.run(["prune", "--keep", "0", "--grace", "0s"]).status == 0)
        #expect(!h.exists(".sitebuild/rel-1"))
        try h.write("lit/index.html", "a much longer body than before\n")
        #expect(try h.run(["deploy", "lit", "--version-id", "rel-1"]).status == 0)
        let reused = try httpGet(base + "/")
        #expect(reused.body == "a much longer body than before\n")

        // --json: one serving event with the URL.
        let (json, jsonOut, _) = try h.start(["serve", "--port", "0", "--json"])
        defer { json.terminate(); json.waitUntilExit() }
        let event = try JSONValue.parse(jsonOut.fileHandleForReading.availableDataLine())
        #expect(event["event"]?.stringValue == "serving")
        let url = try #require(event["url"]?.stringValue)
        #expect(try httpGet(url).body == "a much longer body than before\n")
        // SIGTERM (a container or CI job stopped) ends it with the contract's 130.
        json.terminate()
        json.waitUntilExit()
        #expect(json.terminationReason == .exit && json.terminationStatus == 130, "\(json.terminationReason) \(json.terminationStatus)")
    }

    /// A SIGTERM sent the moment serve says it is up ends it with 130. The handlers used to be
    /// dispatch signal sources, registered asynchronously: on a loaded machine a signal sent
    /// right after the ready line met the SIG_IGN set for them and was lost (serve ran on).
    @Test func serveEndsOnASignalSentTheMomentItIsUp() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "home")
        #expect(try h.run(["deploy", "site"]).status == 0)
        for _ in 0..<5 {
            let (server, out, _) = try h.start(["serve", "--port", "0", "--json"])
            _ = out.fileHandleForReading.availableDataLine()
            server.terminate()
            let deadline = Date().addingTimeInterval(20)
            while server.isRunning && Date() < deadline { usleep(10_000) }
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
            #expect(server.terminationReason == .exit && server.terminationStatus == 130, "\(server.terminationReason) \(server.terminationStatus)")
        }
    }

    @Test func aKilledDeployLeavesTheLiveVersionAndTheNextRunCompletesIt() throws {
        let h = try CLIHarness()
        try h.write("small/index.html", "small\n")
        #expect(try h.run(["deploy", "small"]).status == 0)
        let before = try #require(live(h))
        // A tree big enough that copying it takes a while.
        let big = h.root + "/big"
        let chunk = String(repeating: "x", count: 16 * 1024)
        for i in 0..<6000 {
            try h.write("big/d\(i % 60)/f\(i).txt", "\(i)\n" + chunk)
        }
        try h.write("big/index.html", "big\n")
        let (process, _, _) = try h.start(["deploy", big])
        // Kill it once part of the new version is in place.
        var newVersion: String?
        while process.isRunning {  // however long hashing the tree takes on a loaded machine
            let names = (try? FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild")) ?? []
            if let candidate = names.first(where: { $0 != before && !$0.hasPrefix("_") && !$0.hasPrefix(".") }) {
                let placed = (try? FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/" + candidate)) ?? []
                if placed.count >= 10 {
                    newVersion = candidate
                    break
                }
            }
            usleep(2000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let version = try #require(newVersion)
        #expect(process.terminationReason == .uncaughtSignal, "the deploy finished before it could be killed")
        #expect(live(h) == before)
        #expect(!h.exists(".sitebuild/_sitebuild/manifests/\(version).json"))
        // A dry run says the real run resumes (its planned uploads count everything).
        let dryRun = try h.run(["deploy", big, "--dry-run", "--json"])
        #expect(dryRun.status == 0 && dryRun.stdout.contains(#""resumes":true"#), "\(dryRun.stdout)")
        #expect(dryRun.stderr.contains("the real run resumes it and skips the objects already in place"), "\(dryRun.stderr)")

        let rerun = try h.run(["deploy", big, "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(live(h) == version)
        let result = try JSONValue.parse(Data(try #require(rerun.stdout.split(separator: "\n").last).utf8))
        #expect((result["skipped"]?.intValue ?? 0) > 0)
        #expect(h.read(".sitebuild/\(version)/index.html") == "big\n")
    }

    @Test func twoConcurrentDeploysNeverLoseAFlip() throws {
        let h = try CLIHarness()
        try h.write("base/index.html", "base\n")
        #expect(try h.run(["deploy", "base"]).status == 0)
        let chunk = String(repeating: "y", count: 8 * 1024)
        for name in ["one", "two"] {
            for i in 0..<1500 { try h.write("\(name)/d\(i % 30)/f\(i).txt", "\(name) \(i)\n" + chunk) }
            try h.write("\(name)/index.html", "\(name)\n")
        }
        let a = try h.start(["deploy", "one"])
        let b = try h.start(["deploy", "two"])
        // Both drained at once (collect reads stdout and stderr while waiting): a pipe left
        // full would stop its deploy.
        let drained = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outputB = CLIHarness.Output(status: -1, stdout: "", stderr: "")
        let processB = b
        Thread.detachNewThread {
            outputB = CLIHarness.collect(processB.0, processB.1, processB.2)
            drained.signal()
        }
        let outputA = CLIHarness.collect(a.0, a.1, a.2)
        drained.wait()
        let errA = outputA.stderr, errB = outputB.stderr
        let statuses = [outputA.status, outputB.status]
        let final = try #require(live(h))
        let content = h.read(".sitebuild/\(final)/index.html")
        if statuses.contains(4) {
            // One lost the race: it says so, naming what it expected, what it found and its own version.
            #expect(statuses.sorted() == [0, 4])
            let loser = statuses[0] == 4 ? errA : errB
            #expect(loser.contains("the live version moved while this deploy ran"))
            #expect(loser.contains(final))
            #expect(content == (statuses[0] == 0 ? "one\n" : "two\n"))
        } else {
            // Serialized by timing: both flipped, one after the other, and the records chain.
            #expect(statuses == [0, 0])
            let releases = try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases").sorted()
            #expect(releases.count == 3)
        }
        #expect(content == "one\n" || content == "two\n")
    }

    /// A lost flip's `--json` result is the same for deploy and rollback: the version it was
    /// to make live, what the pointer was expected to hold and what it held, and the message.
    @Test func aLostFlipsResultNamesTheVersions() {
        let conflict = PointerConflict(expected: "v1", found: "v3", wanted: "v2")
        let fields = Dictionary(uniqueKeysWithValues: conflict.resultFields)
        #expect(fields["status"] == .string("CONFLICT"))
        #expect(fields["version"] == .string("v2") && fields["expected"] == .string("v1") && fields["found"] == .string("v3"))
        #expect(fields["message"]?.stringValue?.contains("expected v1 but found v3") == true)
        let emptied = Dictionary(uniqueKeysWithValues: PointerConflict(expected: "v1", found: nil, wanted: "v2").resultFields)
        #expect(emptied["found"] == .null)
    }

    /// `versions` says when the pointer names a version the target does not have (a
    /// hand-edited pointer, or a pointer and target that do not belong together).
    @Test func versionsWarnsWhenTheLiveVersionIsNotOnTheTarget() throws {
        let h = try CLIHarness()
        try h.write("s/index.html", "hi\n")
        #expect(try h.run(["deploy", "s"]).status == 0)
        try h.write(".sitebuild/_sitebuild/live", "bogus\n")
        let listed = try h.run(["versions"])
        #expect(listed.status == 0)
        #expect(listed.stderr.contains("says bogus is live, but file://\(h.root)/.sitebuild has no complete version bogus"), "\(listed.stderr)")
        // A version another tool uploaded (the Hosting Toolkit's <commit>/ folder): served, said so.
        try h.write(".sitebuild/0123abcd/index.html", "from the toolkit\n")
        try h.write(".sitebuild/_sitebuild/live", "0123abcd\n")
        let toolkit = try h.run(["versions"])
        #expect(toolkit.status == 0)
        #expect(toolkit.stderr.contains("note: 0123abcd is live and its files are on"), "\(toolkit.stderr)")
        #expect(!toolkit.stderr.contains("serves nothing"), "\(toolkit.stderr)")
    }

    /// A damaged manifest of the live version does not block the deploy that replaces it: the
    /// new version is uploaded whole (nothing to copy from), and any invalidation covers
    /// everything, since what changed cannot be known.
    @Test func aDamagedLiveManifestIsReplacedByTheNextDeploy() throws {
        let h = try CLIHarness()
        try h.write("s/index.html", "one\n")
        try h.write("s/logo.svg", "<svg/>\n")
        #expect(try h.run(["deploy", "s"]).status == 0)
        let v1 = try #require(live(h))
        let manifest = h.root + "/.sitebuild/_sitebuild/manifests/\(v1).json"
        chmod(manifest, 0o644)
        try h.write(".sitebuild/_sitebuild/manifests/\(v1).json", "{\"truncated\": ")
        let doctor = try h.run(["doctor"])
        #expect(doctor.status != 0 && (doctor.stdout + doctor.stderr).contains("manifests/\(v1).json is damaged"), "\(doctor.stdout)\(doctor.stderr)")
        try h.write("s/index.html", "two\n")
        let planned = try h.run(["deploy", "s", "--distribution", "E2EXAMPLE", "--invalidate", "always", "--dry-run"],
                                environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("would invalidate 1 path(s) on E2EXAMPLE (the manifest"), "\(planned.stderr)")
        #expect(planned.stderr.contains("is damaged"), "\(planned.stderr)")
        let deployed = try h.run(["deploy", "s", "--json"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stderr.contains("nothing of the live version \(v1) is reused"), "\(deployed.stderr)")
        let v2 = try #require(live(h))
        #expect(v2 != v1)
        #expect(h.read(".sitebuild/\(v2)/index.html") == "two\n")
        #expect(h.read(".sitebuild/\(v2)/logo.svg") == "<svg/>\n")
        let result = try #require(deployed.stdout.split(separator: "\n").last { $0.contains("\"event\":\"result\"") })
        let value = try JSONValue.parse(Data(result.utf8))
        #expect(value["uploaded"] == .int(2))
        #expect(value["reused"] == .int(0))
        // Deploying the first build again makes its version live and writes its manifest again.
        try h.write("s/index.html", "one\n")
        let dryRun = try h.run(["deploy", "s", "--dry-run"])
        #expect(dryRun.status == 0 && dryRun.stderr.contains("the real run would write it again from this deploy's"), "\(dryRun.stderr)")
        #expect(live(h) == v2)
        let again = try h.run(["deploy", "s"])
        #expect(again.status == 0 && again.stderr.contains("writing it again from this deploy's"), "\(again.stderr)")
        #expect(live(h) == v1)
        #expect((try? Manifest.parse(try #require(FileManager.default.contents(atPath: manifest)))) != nil)
        let listed = try h.run(["versions"])
        #expect(listed.status == 0 && !listed.stderr.contains("left out"), "\(listed.stderr)")
    }

    /// A `run` checks its deploy settings before the build: a bad one runs no phase.
    @Test func runChecksDeploySettingsBeforeBuilding() throws {
        let h = try CLIHarness()
        try makeSite(h, title: "one")
        try h.write("site/buildspec.yml", Self.buildspec.replacingOccurrences(of: "- rm -rf dist", with: "- touch ../built && rm -rf dist"))
        for (arguments, named) in [(["--mode", "spaa"], "spaa"), (["--trailing-slash", "yes"], "yes"), (["--invalidate", "x"], "x"),
                                   (["--target", "ftp://x"], "ftp://x"), (["--pointer", "dynamodb://x#k"], "dynamodb://x#k"),
                                   (["--distribution", "e123"], "e123"),
                                   (["--target", "site/pages/index.html"], "is a file, not a directory; choose another --target")] {
            let run = try h.run(["run", "--source", "site"] + arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(named), "\(arguments): \(run.stderr)")
            #expect(!run.stdout.contains("Entering phase"), "\(arguments)")
            #expect(!h.exists("built"), "\(arguments): the build ran")
        }
        try h.write("site/sitebuild.yml", "target: ftp://x\n")
        let fromFile = try h.run(["run", "--source", "site"])
        #expect(fromFile.status == 2)
        #expect(fromFile.stderr.contains("sitebuild.yml:1:9"), "\(fromFile.stderr)")
        #expect(!h.exists("built"))
        // A misspelled key in the deployed artifact (CodeBuild only warns): the whole checkout
        // would be published.
        try FileManager.default.removeItem(atPath: h.root + "/site/sitebuild.yml")
        try h.write("site/buildspec.yml", Self.buildspec.replacingOccurrences(of: "- rm -rf dist", with: "- touch ../built && rm -rf dist")
            .replacingOccurrences(of: "base-directory: dist", with: "base_directory: dist"))
        let typo = try h.run(["run", "--source", "site"])
        #expect(typo.status == 2, "\(typo.stderr)")
        #expect(typo.stderr.contains("buildspec.yml:7:3: warning: artifacts.base_directory: unknown key 'base_directory' is ignored; did you mean 'base-directory'?"),
                "\(typo.stderr)")
        #expect(typo.stderr.contains("run deploys the primary artifact to a public site"), "\(typo.stderr)")
        #expect(!h.exists("built") && !h.exists(".sitebuild/_sitebuild/live"))
    }

    /// On a terminal the progress line redraws itself with escape sequences, unless TERM says
    /// the terminal cannot (`dumb`) or says nothing (unset), as curl and git decide: those got
    /// `ESC[2K` in their output. (The terminal is util-linux `script`'s pseudo-terminal.)
    @Test func theProgressLineNeedsATerminalThatRedraws() throws {
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux script gives the deploy a terminal")
        let h = try CLIHarness()
        try h.write("pages/index.html", "<h1>one</h1>\n")
        func onTerminal(_ term: String?, target: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: script)
            process.arguments = ["-q", "-e", "-c", "'\(CLIHarness.binary)' deploy pages --target \(target)", "/dev/null"]
            process.currentDirectoryURL = URL(fileURLWithPath: h.root)
            var environment = ProcessInfo.processInfo.environment
            environment["SITEBUILD_CACHE_DIR"] = h.root + "/.cache"
            environment["TERM"] = term
            process.environment = environment
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let output = CLIHarness.collect(process, out, err)
            #expect(output.status == 0, "TERM=\(term ?? "unset"): \(output.stdout) \(output.stderr)")
            #expect(output.stdout.contains("live version is now"), "TERM=\(term ?? "unset"): \(output.stdout)")
            return output.stdout
        }
        #expect(try onTerminal("xterm-256color", target: "t1").contains("\u{1B}[2K"), "the terminal shows the progress line")
        #expect(!(try onTerminal("dumb", target: "t2")).contains("\u{1B}"))
        #expect(!(try onTerminal(nil, target: "t3")).contains("\u{1B}"))
    }

    /// `run` takes SITEBUILD_TARGET, SITEBUILD_POINTER and SITEBUILD_DISTRIBUTION from what
    /// the build is given too, in CodeBuild's order: flags, then --env and --env-file, then
    /// the environment, then the buildspec's env.variables (relative to the source, where its
    /// commands run). It had read only its own environment and deployed to the default
    /// .sitebuild, a container's folder in CodeBuild. Bad values stop it before the build.
    @Test func runTakesDeploySettingsFromTheBuildspecAndEnvFlags() throws {
        let h = try CLIHarness()
        try makeSite(h, title: "one")
        let steps = Self.buildspec.replacingOccurrences(of: "- rm -rf dist", with: "- touch ../built && rm -rf dist")
        func buildspec(_ variables: String, extra: String = "") -> String {
            "version: 0.2\nenv:\n  variables:\n" + variables + extra + String(steps.dropFirst("version: 0.2\n".count))
        }
        try h.write("site/buildspec.yml", buildspec("    SITEBUILD_TARGET: versions\n    SITEBUILD_POINTER: pointers/live\n"))
        let fromSpec = try h.run(["run", "--source", "site"])
        #expect(fromSpec.status == 0, "\(fromSpec.stderr)")
        let version = try #require(h.read("site/pointers/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(h.read("site/versions/\(version)/index.html") == "<h1>one</h1>\n")
        #expect(!h.exists(".sitebuild/_sitebuild/live") && !h.exists("site/.sitebuild/_sitebuild/live"))
        // The environment beats the buildspec; --env and --env-file beat the environment; the flag beats all.
        let fromEnvironment = try h.run(["run", "--source", "site"], environment: ["SITEBUILD_TARGET": "env-target"])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(h.exists("env-target/_sitebuild/manifests"))
        try FileManager.default.removeItem(atPath: h.root + "/env-target")
        try h.write("vars.env", "SITEBUILD_TARGET=file-target\n")
        let fromFlag = try h.run(["run", "--source", "site", "--env-file", "vars.env"], environment: ["SITEBUILD_TARGET": "env-target"])
        #expect(fromFlag.status == 0, "\(fromFlag.stderr)")
        #expect(h.exists("file-target/_sitebuild/manifests") && !h.exists("env-target"))
        let fromEnvFlag = try h.run(["run", "--source", "site", "--env-file", "vars.env", "--env", "SITEBUILD_TARGET=flag-target"])
        #expect(fromEnvFlag.status == 0, "\(fromEnvFlag.stderr)")
        #expect(h.exists("flag-target/_sitebuild/manifests"))
        let fromTarget = try h.run(["run", "--source", "site", "--env", "SITEBUILD_TARGET=flag-target", "--target", "own-target"])
        #expect(fromTarget.status == 0, "\(fromTarget.stderr)")
        #expect(h.exists("own-target/_sitebuild/manifests"))
        try FileManager.default.removeItem(atPath: h.root + "/built")
        // Bad values, a variable reference (not expanded) and a value fetched only once the
        // build runs stop the run before its build, naming the key.
        for (variables, extra, named) in [("    SITEBUILD_TARGET: ftp://x\n", "", "SITEBUILD_TARGET (env.variables of \(h.root)/site/buildspec.yml) ftp://x"),
                                          ("    SITEBUILD_DISTRIBUTION: e123\n", "", "SITEBUILD_DISTRIBUTION (env.variables of"),
                                          ("    SITEBUILD_TARGET: s3://$BUCKET/site\n", "",
                                           "site/buildspec.yml:4:23: env.variables.SITEBUILD_TARGET: 's3://$BUCKET/site' refers to the variable BUCKET"),
                                          ("    STAGE: prod\n", "  parameter-store:\n    SITEBUILD_DISTRIBUTION: /site/distribution\n",
                                           "env.parameter-store.SITEBUILD_DISTRIBUTION: run reads its deploy settings before the build starts")] {
            try h.write("site/buildspec.yml", buildspec(variables, extra: extra))
            let bad = try h.run(["run", "--source", "site"])
            #expect(bad.status == 2, "\(variables): \(bad.stderr)")
            #expect(bad.stderr.contains(named), "\(variables): \(bad.stderr)")
            #expect(!h.exists("built"), "\(variables): the build ran")
            // validate reads them as run does (a value from Parameter Store is fine for a
            // `sitebuild deploy` command in the buildspec).
            let validate = try h.run(["validate", "--source", "site"])
            #expect(validate.status == (extra.isEmpty ? 2 : 0), "\(variables): \(validate.stderr)")
            #expect(!extra.isEmpty || validate.stderr.contains("buildspec.yml:4:"), "\(variables): the value's place: \(validate.stderr)")
            #expect(!extra.isEmpty || validate.stderr.contains(": error: env.variables.SITEBUILD_"), "\(variables): \(validate.stderr)")
        }
        let badFlag = try h.run(["run", "--source", "site", "--env", "SITEBUILD_POINTER=dynamodb://x#k"])
        #expect(badFlag.status == 2, "\(badFlag.stderr)")
        #expect(badFlag.stderr.contains("SITEBUILD_POINTER (--env) dynamodb://x#k"), "\(badFlag.stderr)")
        #expect(!h.exists("built"))
        // In CodeBuild, the default local target is in the container: said.
        try h.write("site/buildspec.yml", steps)
        let inCodeBuild = try h.run(["run", "--source", "site", "--dry-run"], environment: ["CODEBUILD_BUILD_ID": "site:1"])
        #expect(inCodeBuild.status == 0, "\(inCodeBuild.stderr)")
        #expect(inCodeBuild.stderr.contains("warning: this is a CodeBuild build (CODEBUILD_BUILD_ID is set) and no target is given"), "\(inCodeBuild.stderr)")
        #expect(inCodeBuild.stderr.components(separatedBy: "this is a CodeBuild build").count == 2, "said before the build, not again: \(inCodeBuild.stderr)")
        let outside = try h.run(["run", "--source", "site", "--dry-run"], environment: ["CODEBUILD_BUILD_ID": ""])
        #expect(!outside.stderr.contains("this is a CodeBuild build"), "\(outside.stderr)")
    }

    /// A relative target or pointer in sitebuild.yml is relative to that file, wherever
    /// sitebuild runs from; on the command line, to the current directory.
    @Test func relativePathsInTheSettingsFileAreRelativeToIt() throws {
        let h = try CLIHarness()
        try h.write("proj/dist/index.html", "<h1>x</h1>\n")
        try h.write("proj/sitebuild.yml", "target: ./versions\npointer: ./live.txt\n")
        try h.write("elsewhere/.keep", "")
        let deploy = try h.run(["deploy", "proj/dist", "--config", "proj/sitebuild.yml"])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let live = try #require(h.read("proj/live.txt")?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(h.read("proj/versions/\(live)/index.html") == "<h1>x</h1>\n")
        #expect(!h.exists("versions"))
        let flag = try h.run(["deploy", "proj/dist", "--config", "proj/sitebuild.yml", "--target", "flagged", "--pointer", "flagged-live"])
        #expect(flag.status == 0, "\(flag.stderr)")
        #expect(h.exists("flagged/\(live)/index.html"))
        #expect(!flag.stderr.contains("check that they belong together"))
        // A --target with the settings file's pointer: allowed, with a warning naming both.
        let mixed = try h.run(["deploy", "proj/dist", "--config", "proj/sitebuild.yml", "--target", "staging"])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(mixed.stderr.contains("warning: the target comes from --target"), "\(mixed.stderr)")
        #expect(mixed.stderr.contains("sitebuild.yml:2:10: pointer"), "\(mixed.stderr)")
    }

    /// Credential files by any of their conventional names, in any case, and their backup
    /// copies are neither planned, uploaded nor counted in the version id (`hash` agrees); the
    /// warning names each one. `.env.example` and a `.crt` certificate stay.
    @Test func credentialFilesOfEveryConventionalNameAreNeverDeployed() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>hi</h1>\n")
        try h.write("site/.env.example", "TOKEN=\n")
        try h.write("site/certs/site.crt", "public\n")
        let secrets = [".env.staging", ".env.prod", ".envrc", ".ENV", ".yarnrc", ".dev.vars", "server.key", "cert.pem", "credentials.json",
                       ".env.bak", ".env~", ".NPMRC", ".AWS/credentials", "id_rsa", ".htpasswd", ".pgpass", ".docker/config.json",
                       "terraform.tfstate", "app/.Env.Local", "keys/Server.KEY", ".npmrc.bak", "#.env#", ".id_rsa.swp", "conf/.htpasswd~"]
        for secret in secrets { try h.write("site/\(secret)", "token=secret\n") }
        let planned = try h.run(["deploy", "site", "--target", "t", "--dry-run"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("upload index.html") && planned.stderr.contains("upload .env.example"), "\(planned.stderr)")
        let deployed = try h.run(["deploy", "site", "--target", "t"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        let version = try #require(h.read("t/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        for secret in secrets {
            #expect(!planned.stderr.contains("upload \(secret)\n"), "\(secret) was planned")
            #expect(!h.exists("t/\(version)/\(secret)"), "\(secret) was published")
        }
        // Named in one warning, sorted, the first 20 of them (a folder by its name).
        #expect(deployed.stderr.contains("warning: #.env#, .AWS, .ENV, .NPMRC, .dev.vars, .docker, .env.bak, .env.prod, .env.staging, "
            + ".envrc, .env~, .htpasswd, .id_rsa.swp, .npmrc.bak, .pgpass, .yarnrc, app/.Env.Local, cert.pem, conf/.htpasswd~, "
            + "credentials.json, … in "), "\(deployed.stderr)")
        #expect(h.exists("t/\(version)/.env.example") && h.exists("t/\(version)/certs/site.crt"))
        #expect(deployed.stderr.contains("files of credentials") && deployed.stderr.contains("no switch to publish"), "\(deployed.stderr)")
        let hashed = try h.run(["hash", "site", "--target", "t", "--json"])
        #expect(try JSONValue.parse(Data(hashed.stdout.utf8))["version"] == .string(version), "\(hashed.stdout)")
    }

    /// A file name's characters that would drive a terminal or hide what the name is (C1
    /// controls such as CSI, bidi overrides) are shown escaped in the error, its --json
    /// message and a dry run's list, never raw; the upload list's JSON keeps the name itself.
    @Test func fileNamesAreShownWithTheirControlAndBidiCharactersEscaped() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>hi</h1>\n")
        try h.write("site/c1\u{9B}31mred.html", "x")
        let failed = try h.run(["deploy", "site", "--target", "t", "--json"])
        #expect(failed.status == 2, "\(failed.stderr)")
        #expect(failed.stderr.contains(#"c1\u{9B}31mred.html' contains a control character"#), "\(failed.stderr)")
        #expect(!failed.stderr.contains("\u{9B}") && !failed.stdout.contains("\u{9B}"), "\(failed.stderr)")
        #expect(failed.stdout.contains(#"c1\\u{9B}31mred.html"#), "\(failed.stdout)")
        try FileManager.default.removeItem(atPath: h.root + "/site/c1\u{9B}31mred.html")
        try h.write("site/invoice\u{202E}lmth.exe.txt", "x")
        try h.write("site/rtl\u{2067}a\u{2069}.txt", "x")
        let planned = try h.run(["deploy", "site", "--target", "t", "--dry-run"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains(#"upload invoice\u{202E}lmth.exe.txt"#) && planned.stderr.contains(#"upload rtl\u{2067}a\u{2069}.txt"#),
                "\(planned.stderr)")
        #expect(!planned.stderr.unicodeScalars.contains { [0x202E, 0x2067, 0x2069].contains($0.value) }, "\(planned.stderr)")
        let json = try h.run(["deploy", "site", "--target", "t", "--dry-run", "--json"])
        #expect(json.stdout.contains("invoice\u{202E}lmth.exe.txt"), "\(json.stdout)")
    }

    /// `hash` and `deploy` agree on the version id when the settings put the local target
    /// inside the deployed directory, and with --config.
    @Test func hashAgreesWithDeployAboutTheTargetAndTheSettingsFile() throws {
        let h = try CLIHarness()
        try h.write("index.html", "<h1>hi</h1>\n")
        try h.write("sitebuild.yml", "target: out-target\n")
        let before = try h.run(["hash", ".", "--json"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(try h.run(["deploy", "."]).status == 0)
        let live = try #require(h.read("out-target/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let after = try h.run(["hash", ".", "--json"])
        #expect(try JSONValue.parse(Data(after.stdout.utf8))["version"] == .string(live), "\(after.stdout)")
        #expect(try JSONValue.parse(Data(before.stdout.utf8))["version"] == .string(live))
        // With --config: the file read is left out by both, and its settings apply to both.
        try h.write("prod.yml", "mode: spa\ntarget: prod-target\n")
        #expect(try h.run(["deploy", ".", "--config", "prod.yml"]).status == 0)
        let prodLive = try #require(h.read("prod-target/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let prodHash = try h.run(["hash", ".", "--config", "prod.yml", "--json"])
        #expect(try JSONValue.parse(Data(prodHash.stdout.utf8))["version"] == .string(prodLive), "\(prodHash.stdout)")
        // A file pointer inside the deployed folder, given as a flag to both.
        try h.write("site/index.html", "<h1>site</h1>\n")
        let flags = ["--target", "site-target", "--pointer", "site/live.txt"]
        #expect(try h.run(["deploy", "site"] + flags).status == 0)
        try h.write("site/b.css", "b{}")
        let planned = try h.run(["deploy", "site", "--dry-run", "--json"] + flags)
        let hashed = try h.run(["hash", "site", "--json"] + flags)
        #expect(hashed.status == 0, "\(hashed.stderr)")
        let plannedVersion = try #require(planned.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            .first { $0["event"] == .string("result") }?["version"])
        #expect(try JSONValue.parse(Data(hashed.stdout.utf8))["version"] == plannedVersion, "\(hashed.stdout)")
    }

    /// An S3 prefix that no CloudFront origin path reaches (`a+b`: S3 reads the `+` the origin
    /// path adds unencoded as a space) is warned about before the deploy, not refused (another
    /// router may serve it); a safe prefix gets no warning.
    @Test func anS3PrefixNoOriginPathCanReachIsWarnedAbout() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "x")
        let env = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
                   "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1"]
        for (prefix, shown) in [("a+b", "'+'"), ("my site", "' '"), ("a&b", "'&'"), ("é/日本", "'U+00E9', 'U+65E5', 'U+672C'"), ("h#x", "'#'")] {
            let run = try h.run(["deploy", "dist", "--target", "s3://bkt/\(prefix)", "--endpoint-url", "http://127.0.0.1:1"], environment: env)
            #expect(run.stderr.contains("warning: --target s3://bkt/\(prefix): the prefix '\(prefix)/' has \(shown), which a CloudFront "
                + "origin path cannot hold"), "\(prefix): \(run.stderr)")
        }
        let safe = try h.run(["deploy", "dist", "--target", "s3://bkt/Site_v1.0-(old)!", "--endpoint-url", "http://127.0.0.1:1"], environment: env)
        #expect(!safe.stderr.contains("origin path"), "\(safe.stderr)")
    }

    /// `--config /dev/null` (no settings, said explicitly) is read like an empty file.
    @Test func aSettingsFileThatIsADeviceIsRead() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "x")
        try h.write("sitebuild.yml", "mode: nonsense\n")
        let hashed = try h.run(["hash", "dist", "--config", "/dev/null"])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        #expect(try h.run(["deploy", "dist", "--config", "/dev/null", "--target", "t"]).status == 0)
    }

    @Test func aRegionThatIsNoRegionNameIsRefusedNamingItsSetting() throws {
        let h = try CLIHarness()
        try makeSite(h, title: "one")
        try h.write("site/buildspec.yml", Self.buildspec.replacingOccurrences(of: "- rm -rf dist", with: "- touch ../built && rm -rf dist"))
        try h.write("dist/index.html", "x")
        try h.write("aws/config", "[profile odd]\nregion = us-east1.\n")
        let base = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
                    "AWS_CONFIG_FILE": h.root + "/aws/config", "AWS_PROFILE": ""]
        // Refused before any request (none could be answered here: the endpoint is unreachable).
        let cases: [([String], [String: String], String)] = [
            (["--region", "x.evil.com#"], [:], "--region: 'x.evil.com#' is not a region name"),
            (["--region", "eu-central-1/"], [:], "--region: 'eu-central-1/'"),
            ([], ["AWS_REGION": "eu-central-1 "], "AWS_REGION: 'eu-central-1 ' is not a region name"),
            ([], ["AWS_DEFAULT_REGION": "eu-central-1\r"], "AWS_DEFAULT_REGION: 'eu-central-1\\r' is not a region name"),
            (["--profile", "odd"], [:], "the region of profile odd in \(h.root)/aws/config: 'us-east1.' is not a region name"),
        ]
        for (flags, environment, said) in cases {
            let env = base.merging(environment) { $1 }
            let deploy = try h.run(["deploy", "dist", "--target", "s3://site-bucket/x"] + flags, environment: env)
            #expect(deploy.status == 2 && deploy.stderr.contains(said), "\(flags) \(environment): \(deploy.stderr)")
            // run stops before its build.
            let run = try h.run(["run", "--source", "site", "--target", "s3://site-bucket/x"] + flags, environment: env)
            #expect(run.status == 2 && run.stderr.contains(said), "run \(flags) \(environment): \(run.stderr)")
            #expect(!run.stdout.contains("Entering phase") && !h.exists("built"), "\(flags) \(environment): the build ran")
        }
        // A region not known to sitebuild but well formed is taken (new regions appear).
        let unknown = try h.run(["deploy", "dist", "--target", "s3://site-bucket/x", "--region", "xx-newplace-7",
                                 "--endpoint-url", "http://127.0.0.1:1"], environment: base)
        #expect(!unknown.stderr.contains("not a region name"), "\(unknown.stderr)")
    }

    /// A FIPS or dual-stack endpoint asked for is refused before any request for a service
    /// whose endpoint is not set explicitly (sitebuild does not choose one); an explicit one wins.
    @Test func fipsAndDualStackSettingsAreRefusedUnlessTheEndpointIsExplicit() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "x")
        try h.write("aws/config", "[profile gov]\nuse_fips_endpoint = true\n")
        let base = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-gov-west-1",
                    "AWS_CONFIG_FILE": h.root + "/aws/config", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
                    "AWS_USE_FIPS_ENDPOINT": "", "AWS_USE_DUALSTACK_ENDPOINT": ""]
        let cases: [([String], [String: String], String)] = [
            ([], ["AWS_USE_FIPS_ENDPOINT": "true"], "AWS_USE_FIPS_ENDPOINT=true asks for FIPS or dual-stack endpoints"),
            ([], ["AWS_USE_DUALSTACK_ENDPOINT": "true"], "AWS_USE_DUALSTACK_ENDPOINT=true asks for"),
            (["--profile", "gov"], [:], "use_fips_endpoint = true of profile gov in \(h.root)/aws/config asks for"),
        ]
        for (flags, environment, said) in cases {
            let env = base.merging(environment) { $1 }
            let deploy = try h.run(["deploy", "dist", "--target", "s3://site-bucket/x"] + flags, environment: env)
            #expect(deploy.status == 2 && deploy.stderr.contains(said) && deploy.stderr.contains("AWS_ENDPOINT_URL_S3"),
                    "\(flags) \(environment): \(deploy.stderr)")
            // The endpoint set explicitly wins: the request is sent (and fails: nothing listens).
            let explicit = try h.run(["deploy", "dist", "--target", "s3://site-bucket/x"] + flags,
                                     environment: env.merging(["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"]) { $1 })
            #expect(explicit.status == 3 && !explicit.stderr.contains("asks for FIPS"), "\(flags) \(environment): \(explicit.stderr)")
        }
    }

    @Test func badTargetsAndSettingsExitTwo() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "x")
        let s3 = try h.run(["deploy", "dist", "--target", "s3://bucket/site"])
        #expect(s3.status == 2)
        #expect(s3.stderr.contains("--target s3://bucket/site"))
        // An empty flag (an unset variable) never falls through to the settings file's pointer
        // or the default target; the same for run (before its build) and rollback.
        try h.write("sitebuild.yml", "target: prod-target\npointer: file://\(h.root)/prod-live\n")
        for (command, flag) in [(["deploy", "dist"], "--pointer"), (["deploy", "dist"], "--target"), (["run"], "--pointer"),
                                (["rollback"], "--pointer"), (["deploy", "dist"], "--distribution")] {
            let empty = try h.run(command + [flag, ""])
            #expect(empty.status == 2, "\(command) \(flag): \(empty.stderr)")
            #expect(empty.stderr.contains("\(flag) is empty (an unset variable?)"), "\(command) \(flag): \(empty.stderr)")
        }
        // The same for --config: an empty one or a directory would drop sitebuild.yml's settings.
        for (value, said) in [("", "--config is empty (an unset variable?)"), ("dist", "--config dist: is a directory")] {
            for command in [["deploy", "dist"], ["validate"]] {
                let bad = try h.run(command + ["--config", value])
                #expect(bad.status == 2, "\(command) --config '\(value)': \(bad.stderr)")
                #expect(bad.stderr.contains(said), "\(command) --config '\(value)': \(bad.stderr)")
            }
        }
        #expect(!h.exists("prod-live") && !h.exists("prod-target") && !h.exists(".sitebuild/_sitebuild"))
        // The same for an empty setting in the file (`target: ${T}` written with T unset).
        for (text, key) in [("target:\n", "target"), ("target: prod-target\npointer: ''\n", "pointer"), ("distribution: ~\n", "distribution")] {
            try h.write("sitebuild.yml", text)
            for command in [["deploy", "dist"], ["validate"]] {
                let empty = try h.run(command)
                #expect(empty.status == 2, "\(command) \(text): \(empty.stderr)")
                #expect(empty.stderr.contains("sitebuild.yml:") && empty.stderr.contains("\(key): is empty (an unset variable where the file was written?)"),
                        "\(command) \(text): \(empty.stderr)")
            }
        }
        #expect(!h.exists("prod-target") && !h.exists(".sitebuild/_sitebuild"))
        // A file where the target's directory should be, a directory where the pointer's file
        // should be: input errors naming them, before anything is copied.
        try FileManager.default.removeItem(atPath: h.root + "/sitebuild.yml")
        try h.write("afile", "x")
        try FileManager.default.createDirectory(atPath: h.root + "/adir", withIntermediateDirectories: true)
        for (arguments, said) in [(["--target", "afile"], "the target file://\(h.root)/afile is a file, not a directory; choose another --target"),
                                  (["--target", "afile/versions"], "the target file://\(h.root)/afile/versions: \(h.root)/afile is a file, not a directory"),
                                  (["--pointer", "adir"], "the pointer file://\(h.root)/adir is a directory; name the pointer file")] {
            let bad = try h.run(["deploy", "dist"] + arguments)
            #expect(bad.status == 2, "\(arguments): \(bad.stderr)")
            #expect(bad.stderr.contains(said), "\(arguments): \(bad.stderr)")
        }
        #expect(!h.exists(".sitebuild/_sitebuild"))
        // A pointer that holds something other than a version id (a page), or sits in a
        // version's folder or sitebuild's records, would be overwritten by the flip: refused.
        try h.write("page.html", "<html>being deployed</html>\n")
        let page = try h.run(["deploy", "dist", "--pointer", "page.html"])
        #expect(page.status == 2 && page.stderr.contains("holds '<html>being deployed</html>', which is not a version id"), "\(page.stderr)")
        #expect(h.read("page.html") == "<html>being deployed</html>\n" && !h.exists(".sitebuild/_sitebuild"))
        #expect(try h.run(["deploy", "dist", "--target", "versions"]).status == 0)
        let live = try #require(h.read("versions/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        for (pointer, said) in [("versions/_sitebuild/manifests/\(live).json", "inside sitebuild's records (_sitebuild/manifests/)"),
                                ("versions/\(live)/index.html", "inside the version folder \(live)/")] {
            let inside = try h.run(["deploy", "dist", "--target", "versions", "--pointer", pointer])
            #expect(inside.status == 2 && inside.stderr.contains(said), "\(pointer): \(inside.stderr)")
        }
        let preview = try h.run(["deploy", "dist", "--target", "versions", "--pointer", "versions/_sitebuild/live-preview", "--json"])
        #expect(preview.status == 0 && preview.stderr.contains("through file://\(h.root)/versions/_sitebuild/live-preview")
                && preview.stdout.contains(#""pointer":"file://\#(h.root)/versions/_sitebuild/live-preview""#), "\(preview.stderr)")
        // A folder of pointers beside the versions, and a value the Hosting Toolkit's S3 mode
        // writes (its ZIP's name), are pointers.
        #expect(try h.run(["deploy", "dist", "--target", "versions", "--pointer", "versions/pointers/live"]).status == 0)
        try h.write("toolkit-live", "release+2 (1)\n")
        try h.write("versions/release+2 (1)/index.html", "<p>the toolkit's</p>\n")
        let toolkit = try h.run(["deploy", "dist", "--target", "versions", "--pointer", "toolkit-live"])
        #expect(toolkit.status == 0 && h.read("toolkit-live")?.trimmingCharacters(in: .whitespacesAndNewlines) == live, "\(toolkit.stderr)")
        #expect(try h.run(["versions", "--target", "versions"]).status == 0)
        // The commands that read a target refuse a file too (it is no target, not "nothing live").
        for command in [["versions"], ["rollback"], ["prune"], ["serve", "--port", "0"]] {
            let bad = try h.run(command + ["--target", "afile"])
            #expect(bad.status == 2 && bad.stderr.contains("is a file, not a directory; check --target"), "\(command): \(bad.stderr)")
        }
        // An empty directory argument (`deploy "$OUT"`) is not the project folder with its .env;
        // `~` (expanded only by a shell) and a blank name are not folders to make.
        try h.write(".env", "API_KEY=secret\n")
        for arguments in [["deploy", ""], ["deploy", "", "--json"], ["hash", ""], ["hash", "", "--json"]] {
            let empty = try h.run(arguments)
            #expect(empty.status == 2 && empty.stderr.contains("the directory argument is empty (an unset variable?)"), "\(arguments): \(empty.stderr)")
            if arguments.contains("--json") { #expect(empty.stdout.contains(#""status":"FAILED""#), "\(arguments): \(empty.stdout)") }
        }
        for (environment, said) in [(["SITEBUILD_TARGET": "~/sites/docs"], "'~' is not expanded here"),
                                    (["SITEBUILD_TARGET": "  "], "is blank (an unset variable?)")] {
            let bad = try h.run(["deploy", "dist"], environment: environment)
            #expect(bad.status == 2 && bad.stderr.contains(said), "\(environment): \(bad.stderr)")
        }
        try h.write("sitebuild.yml", "target: ~/sites/docs\n")
        #expect(try h.run(["deploy", "dist"]).status == 2)
        #expect(!h.exists("~") && !h.exists("  ") && !h.exists(".sitebuild/_sitebuild"))
        // Invalid input of the commands whose --json output is one object or check events ends
        // with a FAILED result too, as a command line the parser refuses does.
        for arguments in [["hash", "dist", "--mode", "x", "--json"], ["doctor", "--target", "s3:/x", "--json"],
                          ["serve", "--mode", "x", "--json"], ["deploy", "dist", "--bogus", "--json"]] {
            let bad = try h.run(arguments)
            #expect(bad.status == 2 && bad.stdout.contains(#""status":"FAILED""#), "\(arguments): \(bad.stdout) \(bad.stderr)")
        }
        // An endpoint variable that is no http(s) URL: invalid input before any request.
        for (name, value) in [("AWS_ENDPOINT_URL", "localhost:4566"), ("AWS_ENDPOINT_URL_S3", "ftp://127.0.0.1:9")] {
            let bad = try h.run(["deploy", "dist", "--target", "s3://bucket/site", "--region", "us-east-1"], environment: [name: value])
            #expect(bad.status == 2 && bad.stderr.contains("\(name) \(value): write an http:// or https:// URL"), "\(name): \(bad.stderr)")
        }
        // validate reads the domains and header values as doctor and deploy do.
        for (text, said) in [("domains: [\"a b\"]\n", "domains[0] a b: not a domain name"),
                             ("headers:\n  - match: '**'\n    cache-control:\n", "headers[0].cache-control: the value is empty"),
                             ("headers:\n  - match: '**'\n    set: { X-Frame-Options: ~ }\n", "the value is empty"),
                             ("headers:\n  - match: '**'\n    content-encoding:\n", "(content-encoding: \"\" sends none)")] {
            try h.write("sitebuild.yml", text)
            // (Only doctor reads the domains.)
            for command in text.hasPrefix("domains") ? [["validate"]] : [["validate"], ["deploy", "dist"]] {
                let bad = try h.run(command)
                #expect(bad.status == 2 && bad.stderr.contains(said), "\(command) \(text): \(bad.stderr)")
            }
        }
        #expect(!h.exists(".sitebuild/_sitebuild"))
        // A quoted "" content-encoding is on purpose: no encoding (a .gz served as a download).
        try h.write("sitebuild.yml", "headers:\n  - match: '**/*.gz'\n    content-encoding: \"\"\n")
        #expect(try h.run(["validate"]).status == 0)
        try h.write("sitebuild.yml", "mode: spa\nheaders:\n  - match: '**/*.html'\n    cache-controll: no-cache\n")
        let config = try h.run(["deploy", "dist"])
        #expect(config.status == 2)
        #expect(config.stderr.contains("sitebuild.yml:4:5: headers[0].cache-controll: unknown key"))
        // A '[' never closed would match only a literal '[': refused where it is written.
        try h.write("sitebuild.yml", "headers:\n  - match: 'assets/[a-z.css'\n    cache-control: no-cache\n")
        let bracket = try h.run(["deploy", "dist"])
        #expect(bracket.status == 2)
        #expect(bracket.stderr.contains("sitebuild.yml:2:12: headers[0].match: 'assets/[a-z.css': the '[' in '[a-z.css' is never closed"),
                "\(bracket.stderr)")
        try h.write("sitebuild.yml", "headers:\n  - match: 'assets/[]a]*.css'\n    cache-control: no-cache\n  - match: 'x\\[1.txt'\n    cache-control: no-cache\n")
        #expect(try h.run(["deploy", "dist", "--dry-run"]).status == 0)
        // A bad target in sitebuild.yml is reported where it is written.
        try h.write("sitebuild.yml", "mode: static\ntarget: s3://BAD/x\n")
        let badTarget = try h.run(["deploy", "dist"])
        #expect(badTarget.status == 2)
        #expect(badTarget.stderr.contains("sitebuild.yml:2:9: target s3://BAD/x: 'BAD' is not a valid bucket name"), "\(badTarget.stderr)")
        // Headers a file cannot carry are refused where they are written.
        for (header, reason) in [("Content-Length", "the server and CloudFront set it"), ("cache-control", "use the rule's `cache-control` key"),
                                 ("x-amz-meta-a", "S3 and CloudFront reserve"), ("Server", "S3 sends its own"),
                                 ("Set-Cookie", "CloudFront Functions carry cookies apart from headers")] {
            try h.write("sitebuild.yml", "headers:\n  - match: '*.html'\n    set:\n      \(header): x\n")
            let refused = try h.run(["deploy", "dist"])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("sitebuild.yml:4:7: headers[0].set: '\(header)' cannot be set per file: \(reason)"), "\(refused.stderr)")
        }
        try h.write("sitebuild.yml", "mode: spa\n")
        let version = try h.run(["deploy", "dist", "--version-id", "../x"])
        #expect(version.status == 2)
        #expect(version.stderr.contains("--version-id ../x"))
        // 16 lower-case hex digits is a content version's name: a literal one could take another build's.
        let contentLike = try h.run(["deploy", "dist", "--version-id", "62ffa74fc740cf7f"])
        #expect(contentLike.status == 2 && contentLike.stderr.contains("--version-id 62ffa74fc740cf7f: 16 lower-case hex digits"),
                "\(contentLike.stderr)")
        #expect(try h.run(["deploy", "dist", "--version-id", "62ffa74fc740cf7", "--dry-run"]).status == 0)
        // --version-id commit outside a git work tree: refused, unless CodeBuild resolved the
        // commit of its source (CodePipeline's CODE_ZIP has no .git), as the toolkit names versions.
        let noGit = try h.run(["deploy", "dist", "--version-id", "commit", "--dry-run"], environment: ["GIT_CEILING_DIRECTORIES": h.root])
        #expect(noGit.status == 2 && noGit.stderr.contains("is not a git work tree with a commit"), "\(noGit.stderr)")
        let commit = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
        let codeBuild = ["GIT_CEILING_DIRECTORIES": h.root, "CODEBUILD_BUILD_ID": "site:1", "CODEBUILD_RESOLVED_SOURCE_VERSION": commit,
                         "CODEBUILD_SRC_DIR": h.root]
        let inCodeBuild = try h.run(["deploy", "dist", "--version-id", "commit", "--dry-run", "--json"], environment: codeBuild)
        #expect(inCodeBuild.status == 0 && inCodeBuild.stdout.contains(#""version":"\#(commit)""#), "\(inCodeBuild.stdout) \(inCodeBuild.stderr)")
        var elsewhere = codeBuild
        elsewhere["CODEBUILD_SRC_DIR"] = "/codebuild/output/src1/src"
        #expect(try h.run(["deploy", "dist", "--version-id", "commit", "--dry-run"], environment: elsewhere).status == 2)
        let missing = try h.run(["deploy", "nowhere"])
        #expect(missing.status == 2)
        #expect(!h.exists(".sitebuild/_sitebuild/live"))
        // Command lines the parser refuses are invalid input too (2, not ArgumentParser's 64).
        for arguments in [["deploy", "dist", "--bogus"], ["deploy"], ["prune", "--keep", "abc"], ["versions", "extra"],
                          ["deploy", "dist", "--endpoint-url", "notaurl"], ["versions", "--endpoint-url", "ftp://127.0.0.1:9"],
                          ["versions", "--target", "s3://bucket/site", "--profile", "no-such-profile-here"],
                          ["serve", "--port", "70000"], ["hash", "no-such-dir"], ["versions", "--target", "no-such-target-dir"],
                          ["prune", "--target", "/no/such/target"]] {
            let refused = try h.run(arguments)
            #expect(refused.status == 2, "\(arguments): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains("Error:") || refused.stderr.contains("not a directory") || refused.stderr.contains("no such directory"),
                    "\(arguments): \(refused.stderr)")
        }
        #expect(try h.run(["deploy", "--help"]).status == 0)
        // --profile with a config file that cannot be parsed names the file and line, not a
        // missing profile.
        try h.write("aws/config", "[profile x]\nregion = eu-west-1\n[profile y\n")
        let unparsed = try h.run(["versions", "--target", "s3://bucket/site", "--profile", "x"],
                                 environment: ["AWS_CONFIG_FILE": h.root + "/aws/config", "AWS_SHARED_CREDENTIALS_FILE": h.root + "/aws/none"])
        #expect(unparsed.status == 2, "\(unparsed.stderr)")
        #expect(unparsed.stderr.contains(h.root + "/aws/config:3: a section header has no closing `]`")
                && !unparsed.stderr.contains("no such profile"), "\(unparsed.stderr)")
        // serve is local-only: an S3 target or an AWS pointer is said so first, not a missing region.
        let regionless = ["AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null"]
        for arguments in [["serve", "--target", "s3://bucket/site"], ["serve", "--pointer", "dynamodb://table#site"]] {
            let refused = try h.run(arguments, environment: regionless)
            #expect(refused.status == 2 && refused.stderr.contains("serve previews a local target with a file pointer"),
                    "\(arguments): \(refused.stderr)")
        }
        // Values that can only be mistakes: no hashing at all, no time to wait.
        try h.write("dist/index.html", "<p>x</p>\n")
        for (arguments, named) in [(["hash", "dist", "--jobs", "0"], "--jobs 0: give 1 or more"),
                                   (["deploy", "dist", "--wait-timeout", "0s"], "--wait-timeout 0s: give a time above zero")] {
            let refused = try h.run(arguments)
            #expect(refused.status == 2 && refused.stderr.contains(named), "\(arguments): \(refused.stderr)")
        }
        // --invalidate always with no distribution to invalidate: said, not silently skipped.
        let always = try h.run(["deploy", "dist", "--invalidate", "always"])
        #expect(always.status == 0)
        #expect(always.stderr.contains("invalidate is 'always' but no distribution is configured"), "\(always.stderr)")
        // A --json rollback that fails still ends with a result event.
        let rollback = try h.run(["rollback", "nope", "--json"])
        #expect(rollback.status == 2)
        #expect(rollback.stdout.contains("\"event\":\"result\"") && rollback.stdout.contains("\"FAILED\""), "\(rollback.stdout)")
    }

    @Test func headerRulesFromSitebuildYmlReachTheManifestAndChangeTheVersion() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "x")
        try h.write("dist/app.js", "y")
        let plain = try h.run(["hash", "dist", "--json"])
        try h.write("sitebuild.yml", "headers:\n  - match: '*.js'\n    cache-control: no-store\n    set:\n      X-Frame-Options: DENY\n")
        let ruled = try h.run(["hash", "dist", "--json"])
        let v1 = try JSONValue.parse(Data(plain.stdout.utf8))["version"]
        let v2 = try JSONValue.parse(Data(ruled.stdout.utf8))["version"]
        #expect(v1 != nil && v1 != v2)
        #expect(try h.run(["deploy", "dist"]).status == 0)
        let current = try #require(live(h))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(current).json")))
        let js = try #require(manifest.entry(at: "app.js"))
        #expect(js.headers.cacheControl == "no-store")
        #expect(js.headers.extra.first?.name == "X-Frame-Options")
    }

    /// `deploy .` from the project folder: the default local target (`.sitebuild`, inside the
    /// deployed directory) and the settings file are not site files, so a second deploy finds
    /// nothing to do instead of nesting the first version into the second.
    /// A CI container without USER or LOGNAME: the release record names the account the
    /// process runs as, not "unknown".
    @Test func aReleaseRecordNamesTheAccountWhenUSERIsUnset() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "home")
        let run = try h.run(["deploy", "site"], environment: ["USER": "", "LOGNAME": ""].merging(Self.outsideCI) { $1 })
        #expect(run.status == 0, "\(run.stderr)")
        let records = try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases").filter { $0.hasSuffix(".json") }
        let record = try #require(records.first.flatMap { h.read(".sitebuild/_sitebuild/releases/" + $0) })
        let account = try #require(getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) })
        #expect(record.contains(#""by":"\#(account)@"#), "\(record)")
    }

    /// `deploy` in a CodeBuild build (a post_build step) with no target warns as `run` does:
    /// the default local target is a folder of the build's container, discarded when the build
    /// ends. It had deployed there silently, a green build that published nothing.
    @Test func deployInCodeBuildWithoutATargetWarnsThatTheContainerIsDiscarded() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "home")
        let warning = "warning: this is a CodeBuild build (CODEBUILD_BUILD_ID is set) and no target is given, so the versions go to the "
            + "default local target file://\(h.root)/.sitebuild, inside the build container, which is discarded when the build ends"
        for dryRun in [true, false] {
            let deploy = try h.run(["deploy", "dist"] + (dryRun ? ["--dry-run"] : []), environment: ["CODEBUILD_BUILD_ID": "site:1"])
            #expect(deploy.status == 0, "\(deploy.stderr)")
            #expect(deploy.stderr.contains(warning), "\(deploy.stderr)")
            #expect(deploy.stderr.components(separatedBy: "this is a CodeBuild build").count == 2, "\(deploy.stderr)")
        }
        let given = try h.run(["deploy", "dist", "--target", "versions"], environment: ["CODEBUILD_BUILD_ID": "site:1"])
        #expect(given.status == 0, "\(given.stderr)")
        #expect(!given.stderr.contains("this is a CodeBuild build"), "\(given.stderr)")
        let outside = try h.run(["deploy", "dist"], environment: ["CODEBUILD_BUILD_ID": ""])
        #expect(!outside.stderr.contains("this is a CodeBuild build"), "\(outside.stderr)")
    }

    /// `rollback` and `prune` in a CodeBuild build with no target warn as `deploy` does: they
    /// acted on the container's default local target, which nothing serves, without a word.
    @Test func rollbackAndPruneInCodeBuildWithoutATargetWarnThatTheContainerIsDiscarded() throws {
        let h = try CLIHarness()
        for n in 1...2 {
            try h.write("dist\(n)/index.html", "\(n)")
            #expect(try h.run(["deploy", "dist\(n)"], environment: ["CODEBUILD_BUILD_ID": ""]).status == 0)
        }
        let place = "the default local target file://\(h.root)/.sitebuild, inside the build container, which is discarded when the build ends"
        for (command, what) in [(["prune", "--dry-run"], "the prune deletes versions of"), (["rollback"], "the rollback makes a version live on"),
                                (["prune", "--keep", "0", "--grace", "0s"], "the prune deletes versions of")] {
            let out = try h.run(command, environment: ["CODEBUILD_BUILD_ID": "site:1"])
            #expect(out.status == 0, "\(command): \(out.stderr)")
            #expect(out.stderr.contains("warning: this is a CodeBuild build (CODEBUILD_BUILD_ID is set) and no target is given, so \(what) \(place)"),
                    "\(command): \(out.stderr)")
            #expect(out.stderr.components(separatedBy: "this is a CodeBuild build").count == 2, "\(command): \(out.stderr)")
            let outside = try h.run(command, environment: ["CODEBUILD_BUILD_ID": ""])
            #expect(!outside.stderr.contains("this is a CodeBuild build"), "\(command): \(outside.stderr)")
            let given = try h.run(command + ["--target", ".sitebuild"], environment: ["CODEBUILD_BUILD_ID": "site:1"])
            #expect(!given.stderr.contains("this is a CodeBuild build"), "\(command): \(given.stderr)")
        }
    }

    /// What makes a deploy a CI job's, emptied: these tests may themselves run in one.
    static let outsideCI = ["GITHUB_ACTIONS": "", "GITLAB_CI": "", "CODEBUILD_BUILD_ID": "", "GITHUB_TRIGGERING_ACTOR": ""]

    /// In a CI job (CodeBuild, GitHub Actions, GitLab CI) the release record and the manifest's
    /// createdBy name the job's actor and the job, as its console shows them; they had said
    /// `root@<container hostname>`, which names nothing once the container is gone.
    @Test func aReleaseRecordInCINamesTheJobAndWhoStartedIt() throws {
        let h = try CLIHarness()
        let codeBuild = ["CODEBUILD_BUILD_ID": "my-site:8a1b2c3d", "CODEBUILD_INITIATOR": "codepipeline/site-pipeline", "USER": "root"]
        let gitHub = ["GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "9121", "GITHUB_REPOSITORY": "octo-org/site",
                      "GITHUB_SERVER_URL": "https://github.com"]
        let gitLab = ["GITLAB_CI": "true", "GITLAB_USER_LOGIN": "jdoe", "CI_JOB_ID": "778", "CI_JOB_URL": "https://gitlab.com/g/site/-/jobs/778"]
        for (index, (environment, by)) in [
            (codeBuild, "codebuild:codepipeline/site-pipeline (my-site:8a1b2c3d)"),
            (["CODEBUILD_BUILD_ID": "my-site:8a1b2c3d", "CODEBUILD_INITIATOR": ""], "codebuild (my-site:8a1b2c3d)"),
            (gitHub, "github:octocat (https://github.com/octo-org/site/actions/runs/9121)"),
            (["GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "9121"], "github:octocat (run 9121)"),
            // A re-run: GITHUB_ACTOR still names who started the first run, GITHUB_TRIGGERING_ACTOR who re-ran it.
            (gitHub.merging(["GITHUB_TRIGGERING_ACTOR": "hubot"]) { $1 }, "github:hubot (https://github.com/octo-org/site/actions/runs/9121)"),
            (gitLab, "gitlab:jdoe (https://gitlab.com/g/site/-/jobs/778)"),
            (["GITLAB_CI": "true", "GITLAB_USER_LOGIN": "jdoe", "CI_JOB_ID": "778"], "gitlab:jdoe (job 778)"),
            // A GitHub Actions runner CodeBuild hosts: the workflow's run.
            (codeBuild.merging(gitHub) { $1 }, "github:octocat (https://github.com/octo-org/site/actions/runs/9121)"),
        ].enumerated() {
            try h.write("site/index.html", "page \(index)")
            let run = try h.run(["deploy", "site"], environment: Self.outsideCI.merging(environment) { $1 })
            #expect(run.status == 0, "\(run.stderr)")
            let version = try #require(live(h))
            let name = try #require(FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases")
                .first { $0.hasSuffix("-\(version).json") })
            let data = try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/releases/" + name))
            let record = try #require(ReleaseRecord.parse(data))
            #expect(record.by == by)
            let manifest = try #require(h.read(".sitebuild/_sitebuild/manifests/\(version).json"))
            #expect(try JSONValue.parse(Data(manifest.utf8))["metadata"]?["createdBy"]?.stringValue == by, "\(manifest.prefix(400))")
        }
    }

    @Test func deployingTheProjectFolderLeavesOutSitebuildsOwnFiles() throws {
        let h = try CLIHarness()
        try h.write("index.html", "home")
        try h.write("sitebuild.yml", "mode: static\n")
        let first = try h.run(["deploy", "."])
        #expect(first.status == 0, "\(first.stderr)")
        let version = try #require(live(h))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(version).json")))
        #expect(manifest.entries.map(\.path) == ["index.html"])
        #expect(try h.run(["hash", ".", "--json"]).stdout.contains("\"\(version)\""))
        let second = try h.run(["deploy", "."])
        #expect(second.status == 0)
        #expect(second.stderr.contains("nothing to deploy"), "\(second.stderr)")
        #expect(live(h) == version)
        // A link to nothing is left out, with a warning naming it; so is one leading out of the
        // directory and the project (this machine's files); one into the project is followed.
        try h.write("links/index.html", "home")
        try h.write("shared/site.css", "body{}")
        symlink("missing.html", h.root + "/links/broken.html")
        symlink("/etc/hostname", h.root + "/links/host.txt")
        symlink("/etc", h.root + "/links/etc")
        symlink("../shared/site.css", h.root + "/links/site.css")
        let linked = try h.run(["deploy", "links"])
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(linked.stderr.contains("point to nothing and are not deployed: broken.html"), "\(linked.stderr)")
        #expect(linked.stderr.contains("2 symbolic link(s) in"), "\(linked.stderr)")
        #expect(linked.stderr.contains("lead outside it and the project and are not deployed (they would publish this machine's files): etc, host.txt"),
                "\(linked.stderr)")
        let linkedVersion = try #require(live(h))
        let linkedManifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(linkedVersion).json")))
        #expect(linkedManifest.entries.map(\.path) == ["index.html", "site.css"])
        // Run from the home folder (or a folder above it, or /), the current directory is no
        // project: a link to the home folder's credentials is left out, not published. (A home
        // folder that is a checkout, a CI job's HOME=$WORKSPACE, is a project: below.)
        try h.write(".aws/credentials", "[default]\naws_secret_access_key = not-for-the-web\n")
        symlink(h.root + "/.aws/credentials", h.root + "/links/creds.txt")
        let settings = h.read("sitebuild.yml")
        unlink(h.root + "/sitebuild.yml")
        for home in [h.root, h.root + "/users/me", "/nonexistent-home"] {
            let fromHome = try h.run(["hash", "links", "--json"], environment: ["HOME": home])
            #expect(fromHome.status == 0 && fromHome.stdout.contains(#""files":1,"#), "\(fromHome.stdout)\n\(fromHome.stderr)")
        }
        // From a project folder (here its settings file marks it), links into it are followed
        // (site.css), also when it is the home folder or holds it (HOME=$WORKSPACE/.home); one
        // into a credentials folder (.aws/) is not, wherever it is.
        try h.write("sitebuild.yml", settings ?? "mode: static\n")
        for home in ["/nonexistent-home", h.root, h.root + "/.home"] {
            let fromProject = try h.run(["hash", "links", "--json"], environment: ["HOME": home])
            #expect(fromProject.stdout.contains(#""files":2,"#), "\(home): \(fromProject.stdout)")
        }
        unlink(h.root + "/links/creds.txt")
        // A sitebuild.yml inside a built directory is a site file, and its settings are not read: said so.
        try h.write("dist/index.html", "home")
        try h.write("dist/sitebuild.yml", "mode: spa\n")
        let misplaced = try h.run(["deploy", "dist"])
        #expect(misplaced.status == 0)
        #expect(misplaced.stderr.contains("dist/sitebuild.yml is deployed as a site file and its settings are not read"), "\(misplaced.stderr)")
        // With no settings file in the current directory, it says none was read (not a file that is not there).
        #expect(misplaced.stderr.contains("no settings file was read (there is no \(h.root)/sitebuild.yml)") == !h.exists("sitebuild.yml"),
                "\(misplaced.stderr)")
        // A copy of the settings file read (an artifact taking `**/*` from the project) is the
        // settings file too: left out, no warning, and `hash` agrees.
        try h.write("sitebuild.yml", "mode: static\n")
        try h.write("dist/sitebuild.yml", "mode: static\n")
        let copied = try h.run(["deploy", "dist", "--json"])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(!copied.stderr.contains("deployed as a site file"), "\(copied.stderr)")
        let copiedVersion = try #require(live(h))
        let copiedManifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(copiedVersion).json")))
        #expect(!copiedManifest.entries.map(\.path).contains("sitebuild.yml"))
        #expect(try h.run(["hash", "dist"]).stdout.contains(copiedVersion))
        // A file pointer inside the deployed folder (and its lock) is not a site file: published,
        // every deploy would make a new version.
        try h.write("e/index.html", "e")
        var versions: [String] = []
        for _ in 0..<3 {
            let run = try h.run(["deploy", "e", "--target", "t2", "--pointer", "e/live", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            versions.append(try #require(h.read("e/live")?.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        #expect(Set(versions).count == 1, "\(versions)")
        let pointerManifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/t2/_sitebuild/manifests/\(versions[0]).json")))
        #expect(pointerManifest.entries.map(\.path) == ["index.html"])
    }

    @Test func aSitebuildStateFolderIsNeverDeployed() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "home")
        #expect(try h.run(["deploy", "dist"]).status == 0)
        // The state folder itself, a local target, a folder inside it or its records: refused
        // (exit 2), naming the argument, and nothing is written.
        try h.write("s2/placeholder", "")
        #expect(try h.run(["deploy", "dist", "--target", "s2"]).status == 0)
        let s2Version = try #require(h.read("s2/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        for (arguments, named) in [(["deploy", ".sitebuild"], ".sitebuild is the local target"),
                                   (["deploy", ".sitebuild", "--target", "elsewhere"], ".sitebuild is sitebuild's state"),
                                   (["deploy", "s2", "--target", "s2"], "s2 is the local target"),
                                   (["deploy", "s2/\(s2Version)", "--target", "s2"], "s2/\(s2Version) lies inside the local target"),
                                   (["deploy", "s2", "--target", "elsewhere"], "s2 is sitebuild's state (a local target"),
                                   (["deploy", "s2/_sitebuild"], "s2/_sitebuild is sitebuild's state")] {
            let refused = try h.run(arguments)
            #expect(refused.status == 2, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains(named), "\(arguments): \(refused.stderr)")
        }
        #expect(!h.exists("elsewhere"))
        // A .sitebuild folder anywhere below the deployed directory (a project deployed from
        // another folder, a nested project's) is left out, said once, and `hash` agrees.
        try h.write("proj/index.html", "home")
        try h.write("proj/sitebuild.yml", "mode: static\n")
        try h.write("proj/.sitebuild/_work/src/.env", "SECRET=1")
        try h.write("proj/nested/.sitebuild/_sitebuild/releases/r.json", "{}")
        try h.write("proj/nested/page.html", "page")
        symlink("../.sitebuild/_work/src/.env", h.root + "/proj/nested/env.txt")
        let deployed = try h.run(["deploy", h.root + "/proj", "--target", "./t"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stderr.contains(".sitebuild, nested/.sitebuild, nested/env.txt in \(h.root)/proj not deployed: sitebuild's state"),
                "\(deployed.stderr)")
        let version = try #require(h.read("t/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/t/_sitebuild/manifests/\(version).json")))
        #expect(manifest.entries.map(\.path).filter { !$0.hasSuffix(".html") || $0.contains("sitebuild") } == ["sitebuild.yml"])
        #expect(try h.run(["hash", h.root + "/proj"]).stdout.contains(version))
        // A build's output below .sitebuild (the default) is deployed whole, links in it too.
        try h.write(".sitebuild/_build/out/index.html", "home")
        try h.write(".sitebuild/_build/out/a/style.css", "body{}")
        symlink("a/style.css", h.root + "/.sitebuild/_build/out/style.css")
        let output = try h.run(["deploy", ".sitebuild/_build/out", "--target", "t3"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(!output.stderr.contains("not deployed"), "\(output.stderr)")
        let outVersion = try #require(h.read("t3/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let outManifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/t3/_sitebuild/manifests/\(outVersion).json")))
        #expect(outManifest.entries.map(\.path) == ["a/style.css", "index.html", "style.css"])
    }

    /// A site deployed into a version of another target (`--target L --version-id blog`, then
    /// `--target L/blog`) would be deleted whole by that target's prune, and served under it
    /// while that version is live: refused (exit 2) naming the outer target and version. One
    /// already there (made before the refusal) keeps its version from prune, which says why.
    @Test func aSiteInsideAnotherTargetsVersionIsRefusedAndPruneKeepsIt() async throws {
        let h = try CLIHarness()
        try h.write("root/index.html", "root")
        try h.write("blogsite/index.html", "blog")
        #expect(try await h.run(["deploy", "root", "--target", "L", "--version-id", "blog"]).status == 0)
        for target in ["L/blog", "L/blog/sub/site"] {
            for extra in [["--dry-run"], []] {
                let refused = try await h.run(["deploy", "blogsite", "--target", target] + extra)
                #expect(refused.status == 2, "\(target): \(refused.stderr)")
                #expect(refused.stderr.contains("file://\(h.root)/\(target) lies inside version blog of the target file://\(h.root)/L "
                    + "(its manifest is \(h.root)/L/_sitebuild/manifests/blog.json)"), "\(refused.stderr)")
                #expect(!h.exists(target + "/_sitebuild"))
            }
        }
        // `run` says so before the build, not after it.
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\nartifacts:\n  base-directory: blogsite\n  files: ['**/*']\n")
        let run = try await h.run(["run", "--target", "L/blog"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("file://\(h.root)/L/blog lies inside version blog of the target file://\(h.root)/L "), "\(run.stderr)")
        #expect(run.stderr.contains("nothing was built"), "\(run.stderr)")
        #expect(!h.exists("ran"), "no phase ran")
        #expect(!h.exists("L/blog/_sitebuild"))
        // Beside the versions (a folder that is none) is fine.
        #expect(try await h.run(["deploy", "blogsite", "--target", "L/sites/blog"]).status == 0)
        // A site an older sitebuild let in: its folder is kept, whatever the keep rules say.
        try h.write("L/blog/_sitebuild/live", "b1")
        try h.write("L/blog/b1/index.html", "blog")
        for page in ["two", "three"] {
            try h.write("root/index.html", page)
            #expect(try await h.run(["deploy", "root", "--target", "L", "--version-id", page]).status == 0)
        }
        let planned = try await h.run(["prune", "--keep", "0", "--grace", "0s", "--target", "L", "--dry-run"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("keep blog: its folder holds another target's (or watcher's) state, \(h.root)/L/blog/_sitebuild"),
                "\(planned.stderr)")
        #expect(!planned.stderr.contains("would delete blog"), "\(planned.stderr)")
        let pruned = try await h.run(["prune", "--keep", "0", "--grace", "0s", "--target", "L"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stderr.contains("keep blog: its folder holds another target's"), "\(pruned.stderr)")
        #expect(h.read("L/blog/b1/index.html") == "blog" && h.exists("L/blog/_sitebuild/live") && h.exists("L/_sitebuild/manifests/blog.json"))
        // The same through the library's prune of one version (a plan made before the site came).
        let kept = try await LocalTarget(root: h.root + "/L").prune("blog", isLive: { false })
        #expect(kept?.contains("its folder holds another target's") == true)
        #expect(h.exists("L/blog/index.html"))
    }

    /// Another site's local target inside the deployed directory (`deploy sb --target
    /// pub/other-site`, then `deploy pub`) is left out whole (its versions, release records and
    /// pointer), said once, and `hash` agrees; a `_sitebuild` folder that is no target stays.
    @Test func anotherSitesLocalTargetInsideTheDirectoryIsNotDeployed() throws {
        let h = try CLIHarness()
        try h.write("pub/index.html", "pub")
        try h.write("sb/index.html", "sb")
        #expect(try h.run(["deploy", "sb", "--target", "pub/other-site"]).status == 0)
        #expect(try h.run(["deploy", "sb", "--target", "pub/nested/third"]).status == 0)
        // A target whose pointer is elsewhere: its manifests mark it.
        unlink(h.root + "/pub/nested/third/_sitebuild/live")
        try h.write("pub/docs/_sitebuild/notes.txt", "notes")
        let deployed = try h.run(["deploy", "pub", "--target", "pubt"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stderr.contains("nested/third, other-site in \(h.root)/pub not deployed: another site's local target"),
                "\(deployed.stderr)")
        let version = try #require(h.read("pubt/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/pubt/_sitebuild/manifests/\(version).json")))
        #expect(manifest.entries.map(\.path) == ["docs/_sitebuild/notes.txt", "index.html"], "\(manifest.entries.map(\.path))")
        #expect(try h.run(["hash", "pub"]).stdout.contains(version))
    }

    /// What a deploy cannot list is never left out unsaid: a folder it cannot read stops it
    /// (its pages would be missing from a version that goes live), a name that is not UTF-8
    /// is an input error naming it, and a FIFO is left out with a warning (opening it would block).
    @Test func unreadableFoldersAndNamesThatAreNotUTF8StopTheDeploy() throws {
        let h = try CLIHarness()
        try h.write("fifo/index.html", "x")
        #expect(mkfifo(h.root + "/fifo/pipe.txt", 0o644) == 0)
        symlink("pipe.txt", h.root + "/fifo/link-to-pipe.txt")
        let fifo = try h.run(["deploy", "fifo", "--json"])
        #expect(fifo.status == 0, "\(fifo.stderr)")
        #expect(fifo.stderr.contains("2 entries in \(h.root)/fifo are not a file and are not deployed: link-to-pipe.txt (a FIFO), pipe.txt (a FIFO)"), "\(fifo.stderr)")

        try h.write("latin/index.html", "x")
        var name = Array((h.root + "/latin/caf").utf8CString.dropLast()) + [CChar(bitPattern: 0xE9)] + Array(".txt".utf8CString)
        let fd = name.withUnsafeMutableBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        for command in [["deploy", "latin"], ["hash", "latin"]] {
            let latin = try h.run(command)
            #expect(latin.status == 2, "\(command): \(latin.stderr)")
            #expect(latin.stderr.contains("1 name(s) are not UTF-8, which URLs and S3 keys need: caf\\xE9.txt; rename them"), "\(command): \(latin.stderr)")
        }

        // A folder this user cannot read (as root, the deploy runs as nobody to see it).
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-unreadable-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: shared) }
        for folder in ["", "/site", "/site/secret", "/cache"] {
            try FileManager.default.createDirectory(atPath: shared + folder, withIntermediateDirectories: true)
            chmod(shared + folder, 0o777)
        }
        try Data("home".utf8).write(to: URL(fileURLWithPath: shared + "/site/index.html"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: shared + "/site/secret/a.html"))
        chmod(shared + "/site/index.html", 0o644)
        chmod(shared + "/site/secret", 0o000)
        defer { chmod(shared + "/site/secret", 0o755) }
        let asRoot = getuid() == 0
        guard !asRoot || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        func deployAsAnotherUser() throws -> (status: Int32, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: asRoot ? "/usr/bin/setpriv" : CLIHarness.binary)
            process.arguments = (asRoot ? ["--reuid=65534", "--regid=65534", "--clear-groups", CLIHarness.binary] : [])
                + ["deploy", "site", "--target", "versions"]
            process.currentDirectoryURL = URL(fileURLWithPath: shared)
            process.environment = ["PATH": "/usr/bin:/bin", "HOME": shared, "SITEBUILD_CACHE_DIR": shared + "/cache"]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, said)
        }
        let folder = try deployAsAnotherUser()
        #expect(folder.status == 2, "\(folder.stderr)")
        #expect(folder.stderr.contains("cannot read 1 folder(s) or file(s) below \(shared)/site: secret (Permission denied)"), "\(folder.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shared + "/versions/_sitebuild/live"))
        // A file it cannot read: the input's state too (exit 2), named.
        chmod(shared + "/site/secret", 0o755)
        chmod(shared + "/site/secret/a.html", 0o600)
        let file = try deployAsAnotherUser()
        #expect(file.status == 2, "\(file.stderr)")
        #expect(file.stderr.contains("cannot read \(shared)/site/secret/a.html (Permission denied); fix its permissions"), "\(file.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shared + "/versions/_sitebuild/live"))
    }

    /// Two different builds deployed at once under one literal id: whatever the interleaving,
    /// no version mixes them. Each deploy succeeds or stops (exit 3, or 4 when the other flipped
    /// first), and the version made live holds exactly one build's bytes.
    /// A local target inside the project (`target: site-versions`) is not collected into the
    /// next build's artifact: otherwise each version would nest all the earlier ones.
    @Test func runLeavesALocalTargetInsideTheProjectOutOfTheSite() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'true'\nartifacts:\n  files: ['**/*']\n"
            + "  exclude-paths: [buildspec.yml, sitebuild.yml]\n")
        try h.write("sitebuild.yml", "target: site-versions\n")
        for page in ["one", "two", "three"] {
            try h.write("index.html", page)
            let run = try h.run(["run"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let version = try #require(h.read("site-versions/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/site-versions/_sitebuild/manifests/\(version).json")))
        #expect(manifest.entries.map(\.path) == ["index.html"], "\(manifest.entries.map(\.path))")
        // A later plain build of the project (a preview to look at, then deploy) leaves it out too.
        let preview = try h.run(["build", "--out", "preview"])
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(h.exists("preview/index.html") && !h.exists("preview/site-versions"), "\(preview.stderr)")
    }

    /// `run` on a project whose cache directory (SITEBUILD_CACHE_DIR; the harness keeps it in
    /// the project, as GitLab's cache:paths needs) lies inside it: the artifact taking `**/*`
    /// from the project root leaves it out (it holds this machine's paths and the build cache).
    @Test func runLeavesTheCacheDirectoryInsideTheProjectOutOfTheSite() throws {
        let h = try CLIHarness()
        try h.write("index.html", "home")
        try h.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'true'\nartifacts:\n  files: ['**/*']\n"
            + "  exclude-paths: [buildspec.yml]\n")
        let run = try h.run(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let version = try #require(live(h))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(version).json")))
        #expect(manifest.entries.map(\.path) == ["index.html"], "\(manifest.entries.map(\.path))")

        // A CI step redirecting the events into the checkout, and an exported-variables file
        // there: neither is published, and a second run of the same tree deploys nothing.
        try h.write("buildspec.yml", "version: 0.2\nenv:\n  exported-variables: [X]\nphases:\n  build:\n    commands:\n      - X=1\n"
            + "artifacts:\n  files: ['**/*']\n  exclude-paths: [buildspec.yml]\n")
        var versions: [String] = []
        for _ in 0..<2 {
            let shell = try h.run(["run", "--json", "--exported-variables-file", "exported.env"])
            #expect(shell.status == 0, "\(shell.stderr)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\"$0\" run --json --exported-variables-file exported.env > events.ndjson 2> errors.log", CLIHarness.binary]
            process.currentDirectoryURL = URL(fileURLWithPath: h.root)
            var environment = ProcessInfo.processInfo.environment
            environment["SITEBUILD_CACHE_DIR"] = h.root + "/.cache"
            process.environment = environment
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(h.read("errors.log") ?? "")")
            versions.append(try #require(live(h)))
        }
        let published = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(versions[1]).json")))
        #expect(published.entries.map(\.path) == ["index.html"], "\(published.entries.map(\.path))")
        #expect(versions[0] == versions[1])
    }

    @Test func twoBuildsDeployedAtOnceUnderOneLiteralIdDoNotMix() throws {
        let h = try CLIHarness()
        for site in ["a", "b"] {
            for n in 0..<300 { try h.write("\(site)/page\(n).html", "<p>build \(site), page \(n)</p>") }
        }
        let started = try ["a", "b"].map { try h.start(["deploy", $0, "--version-id", "rel-1"]) }
        var statuses: [Int32] = []
        for (process, out, err) in started {
            _ = out.fileHandleForReading.readDataToEndOfFile()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            statuses.append(process.terminationStatus)
            // The other may have finished before this one looked: its id is then simply taken
            // (exit 2, as for any reuse of a literal id with other content).
            let taken = process.terminationStatus == 2 && message.contains("already exists on") && message.contains("with different content")
            #expect([0, 3, 4].contains(process.terminationStatus) || taken, "\(message)")
        }
        guard let version = live(h) else { return }
        #expect(version == "rel-1" && statuses.contains(0))
        let served = try (0..<300).map { n in
            String(decoding: try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/rel-1/page\(n).html")), as: UTF8.self)
        }
        let builds = Set(served.map { $0.split(separator: ",")[0] })
        #expect(builds.count == 1, "the live version mixes both builds: \(builds)")
    }

    /// With `always`, `/about` is redirected to `/about/`: a flat page (`about.html`, as Next.js
    /// and SvelteKit export them) is reached there through its `about/index.html` alias, as
    /// `serve` shows, and a directory-style page needs none.
    /// The function's routing is fixed where it is published: a deploy or rollback that makes
    /// live a version deployed with another routing than the one it replaces says so (a warning
    /// and the result's `routingChange`), naming both.
    @Test func aFlipToAVersionWithAnotherRoutingSaysSo() throws {
        let h = try CLIHarness()
        try h.write("site/index.html", "<h1>home</h1>\n")
        try h.write("site/docs/index.html", "<p>docs</p>\n")
        func result(_ output: CLIHarness.Output) throws -> JSONValue {
            let line = try #require(output.stdout.split(separator: "\n").last { $0.contains("\"event\":\"result\"") })
            return try JSONValue.parse(Data(line.utf8))
        }
        /// `previous → live` from a result's `routingChange`: `static/none → spa/none`.
        func change(_ output: CLIHarness.Output) throws -> String? {
            guard let change = try result(output)["routingChange"], change != .null else { return nil }
            func routing(_ side: String) -> String {
                (change[side]?["mode"]?.stringValue ?? "?") + "/" + (change[side]?["trailingSlash"]?.stringValue ?? "?")
            }
            return routing("previous") + " → " + routing("live")
        }
        let first = try h.run(["deploy", "site", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let v1 = try #require(try result(first)["version"]?.stringValue)
        #expect(try change(first) == nil)

        let spa = try h.run(["deploy", "site", "--mode", "spa", "--json"])
        #expect(spa.status == 0, "\(spa.stderr)")
        let v2 = try #require(try result(spa)["version"]?.stringValue)
        #expect(v2 != v1)
        #expect(spa.stderr.contains("warning: \(v2) was deployed with routing spa, trailing slash none, but \(v1), which it replaces, "
            + "with static, trailing slash none: `sitebuild serve` routes as its own settings say: serve \(v2) with --mode spa "
            + "--trailing-slash none"), "\(spa.stderr)")
        #expect(try change(spa) == "static/none → spa/none")

        let back = try h.run(["rollback", "--json"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stderr.contains("warning: \(v1) was deployed with routing static, trailing slash none, but \(v2), which it "
            + "replaces, with spa, trailing slash none"), "\(back.stderr)")
        #expect(try change(back) == "spa/none → static/none")

        // The same routing says nothing; another trailing slash is another routing.
        try h.write("site/index.html", "<h1>home 2</h1>\n")
        let same = try h.run(["deploy", "site", "--json"])
        #expect(same.status == 0 && !same.stderr.contains("was deployed with routing"), "\(same.stderr)")
        #expect(try change(same) == nil)
        try h.write("site/index.html", "<h1>home 3</h1>\n")
        let never = try h.run(["deploy", "site", "--trailing-slash", "never"])
        #expect(never.status == 0, "\(never.stderr)")
        #expect(never.stderr.contains("was deployed with routing static, trailing slash never, but ")
                && never.stderr.contains("with static, trailing slash none"), "\(never.stderr)")
    }

    /// With a KeyValueStore pointer, the router to publish again is `sitebuild function`'s.
    @Test func aRoutingChangeThroughAKeyValueStoreNamesTheFunctionToPublish() {
        let change = RoutingChange(previous: SiteRouting(mode: "static", trailingSlash: "none"), live: SiteRouting(mode: "spa", trailingSlash: "always"))
        let pointer = "cloudfront-kvs://arn:aws:cloudfront::123456789012:key-value-store/abcd#path"
        let warning = DeployInvocation.routingWarning(change, version: "v2", previous: "v1", pointer: pointer)
        #expect(warning.hasPrefix("warning: v2 was deployed with routing spa, trailing slash always, but v1, which it replaces, with "
            + "static, trailing slash none: the CloudFront Function routes as its published code says"), "\(warning)")
        #expect(warning.contains("`sitebuild function --pointer \(shellWord(pointer)) --mode spa --trailing-slash always > function.js`"),
                "\(warning)")
        #expect(warning.contains("aws cloudfront publish-function") && warning.hasSuffix("or roll back to v1 if the change was not meant"))
        let lambda = DeployInvocation.routingWarning(change, version: "v2", previous: "v1", pointer: "dynamodb://pointers#path")
        #expect(lambda.contains("a Lambda@Edge of your own") && lambda.contains("route as spa, trailing slash always"), "\(lambda)")
    }

    @Test func trailingSlashAlwaysServesFlatPagesAtTheirSlashURL() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "home")
        try h.write("dist/about.html", "about page")
        try h.write("dist/docs/index.html", "docs index")
        try h.write("dist/v1.2.html", "a page the function takes for a file")
        #expect(try h.run(["deploy", "dist", "--trailing-slash", "always"]).status == 0)
        let version = try #require(live(h))
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(version).json")))
        #expect(manifest.entries.filter { $0.aliasOf != nil }.map(\.path) == ["about/index.html"])
        #expect(manifest.entry(at: "about/index.html")?.aliasOf == "about.html")
        #expect(try h.run(["hash", "dist", "--trailing-slash", "always"]).stdout.contains("\(version)  4 files (5 objects with 1 routing alias(es))"))

        let (server, out, _) = try h.start(["serve", "--port", "0", "--json", "--trailing-slash", "always"])
        defer { server.terminate(); server.waitUntilExit() }
        let event = try JSONValue.parse(out.fileHandleForReading.availableDataLine())
        let base = try #require(event["url"]?.stringValue).replacingOccurrences(of: "/$", with: "", options: .regularExpression)
        let redirected = try httpGet(base + "/about")
        #expect(redirected.status == 301 && redirected.headers["location"] == "/about/", "\(redirected)")
        let page = try httpGet(base + "/about/")
        #expect(page.status == 200 && page.body == "about page", "\(page)")
        let docs = try httpGet(base + "/docs/")
        #expect(docs.status == 200 && docs.body == "docs index", "\(docs)")
        #expect(try httpGet(base + "/about.html").body == "about page")
    }

    @Test func trailingSlashNeverServesAFolderWhoseNameHasADotAtItsSlashURL() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "home")
        try h.write("dist/about/index.html", "about page")
        try h.write("dist/docs/v1.2/index.html", "v1.2 docs")
        try h.write("dist/.well-known/docs/index.html", "well-known docs")
        #expect(try h.run(["deploy", "dist", "--trailing-slash", "never"]).status == 0)

        let (server, out, _) = try h.start(["serve", "--port", "0", "--json", "--trailing-slash", "never"])
        defer { server.terminate(); server.waitUntilExit() }
        let event = try JSONValue.parse(out.fileHandleForReading.availableDataLine())
        let base = try #require(event["url"]?.stringValue).replacingOccurrences(of: "/$", with: "", options: .regularExpression)
        // A plain folder still loses its slash.
        let redirected = try httpGet(base + "/about/?x=1")
        #expect(redirected.status == 301 && redirected.headers["location"] == "/about?x=1", "\(redirected)")
        #expect(try httpGet(base + "/about").body == "about page")
        // `/docs/v1.2` names the file docs/v1.2, so the folder keeps its slash (it was
        // redirected to `/docs/v1.2`, a 404: the page could not be reached at all).
        let versioned = try httpGet(base + "/docs/v1.2/")
        #expect(versioned.status == 200 && versioned.body == "v1.2 docs", "\(versioned)")
        #expect(try httpGet(base + "/docs/v1.2").status == 404)
        let wellKnown = try httpGet(base + "/.well-known/docs/")
        #expect(wellKnown.status == 200 && wellKnown.body == "well-known docs", "\(wellKnown)")
        // `…/index.html` still goes to the folder's slash URL, which is now served.
        let index = try httpGet(base + "/docs/v1.2/index.html")
        #expect(index.status == 301 && index.headers["location"] == "/docs/v1.2/", "\(index)")
    }

    /// serve routes with its own flags and settings, the function with those the live version
    /// was deployed with: when they differ, serve says so at its start, naming the flags.
    @Test func serveSaysWhenTheLiveVersionWasDeployedWithOtherRouting() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "home")
        try h.write("dist/about/index.html", "about page")
        #expect(try h.run(["deploy", "dist", "--trailing-slash", "never"]).status == 0)
        let version = try #require(live(h))
        for (flags, warned) in [([String](), true), (["--trailing-slash", "never"], false), (["--mode", "spa", "--trailing-slash", "never"], true)] {
            let (server, out, err) = try h.start(["serve", "--port", "0", "--json"] + flags)
            let event = try JSONValue.parse(out.fileHandleForReading.availableDataLine())
            #expect(event["live"] == .string(version))
            server.terminate()
            server.waitUntilExit()
            let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(said.contains("warning: the live version \(version) was deployed with routing static, trailing slash never, but serve "
                + "routes with") == warned, "\(flags): \(said)")
            #expect(said.contains("serve it with --mode static --trailing-slash never") == warned, "\(flags): \(said)")
        }
    }

    @Test func trailingSlashAlwaysStoresNoAliasesAndHashAgreesWithDeploy() throws {
        let h = try CLIHarness()
        try h.write("dist/index.html", "home")
        try h.write("dist/about/index.html", "about")
        func manifest(_ version: String) throws -> Manifest {
            try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(version).json")))
        }
        func hashed(_ extra: [String] = []) throws -> String? {
            let result = try h.run(["hash", "dist", "--json"] + extra)
            return try JSONValue.parse(Data(result.stdout.utf8))["version"]?.stringValue
        }
        // Default static routing: /about reaches about/index.html through the about.html alias.
        #expect(try h.run(["deploy", "dist"]).status == 0)
        let aliased = try #require(live(h))
        #expect(try hashed() == aliased)
        #expect(try manifest(aliased).entry(at: "about.html") != nil)
        #expect(try h.run(["hash", "dist"]).stdout.contains("2 files (3 objects with 1 routing alias(es))"))
        // /about is redirected to /about/: no alias is stored, and `hash` names the same version.
        #expect(try h.run(["deploy", "dist", "--trailing-slash", "always"]).status == 0)
        let plain = try #require(live(h))
        #expect(plain != aliased)
        #expect(try hashed(["--trailing-slash", "always"]) == plain)
        #expect(try manifest(plain).entry(at: "about.html") == nil)
        #expect(try manifest(plain).entry(at: "about/index.html") != nil)
        // The same from sitebuild.yml.
        try h.write("sitebuild.yml", "trailing-slash: always\n")
        #expect(try hashed() == plain)
        try h.write("sitebuild.yml", "trailing-slash: never\n")
        #expect(try hashed() == aliased)
    }
}

extension FileHandle {
    /// Reads until the first newline.
    func availableDataLine() -> Data {
        var data = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data([10]) { return data }
            data.append(byte)
        }
    }
}

/// A plain HTTP GET over a real socket to 127.0.0.1.
func httpGet(_ url: String, headers: [String: String] = [:]) throws -> (status: Int, headers: [String: String], body: String) {
    guard let parsed = URL(string: url), let port = parsed.port else { throw CLIError("bad URL \(url)") }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw CLIError("cannot connect to \(url)") }
    // The path as written: URL.path would drop a trailing slash and decode escapes.
    let components = URLComponents(string: url)
    let path = (components?.percentEncodedPath).flatMap { $0.isEmpty ? nil : $0 } ?? "/"
    let target = path + (components?.percentEncodedQuery.map { "?" + $0 } ?? "")
    var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (k, v) in headers { request += "\(k): \(v)\r\n" }
    request += "\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var response = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        response.append(contentsOf: buffer[0..<n])
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { throw CLIError("no HTTP response from \(url)") }
    let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
    let status = Int(lines[0].split(separator: " ")[1]) ?? 0
    var fields: [String: String] = [:]
    for line in lines.dropFirst() {
        if let colon = line.firstIndex(of: ":") { fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
    }
    return (status, fields, String(text[split.upperBound...]))
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What an invalidation plans from (``InvalidationStep/staleVersions(old:also:owed:toVersion:)``).
@Suite struct StaleVersionsTests {
    /// A deploy that flips past a flip killed before it invalidated: the version before that
    /// flip may still be cached too, beside the one it replaces.
    @Test func aKilledFlipsPreviousVersionIsStaleToo() {
        #expect(InvalidationStep.staleVersions(old: "v2", owed: nil, toVersion: "v3") == ["v2"])
        #expect(InvalidationStep.staleVersions(old: "v2", also: ["v1"], owed: nil, toVersion: "v3") == ["v2", "v1"])
        #expect(InvalidationStep.staleVersions(old: "v2", also: ["v2", "v3"], owed: nil, toVersion: "v3") == ["v2"])
        #expect(InvalidationStep.staleVersions(old: nil, also: ["v1"], owed: nil, toVersion: "v3") == nil, "no version before: everything")
        let owed = OwedInvalidation(pointer: "p", distribution: "D", live: "v2", stale: ["v0"])
        #expect(InvalidationStep.staleVersions(old: "v2", also: ["v1"], owed: owed, toVersion: "v3") == ["v2", "v1", "v0"])
    }
}
