import Deploy
import Foundation
import SiteContent
import Testing

/// Release records and pointer heads that exist but cannot be read: prune, which keeps what
/// they name, refuses; the commands that only read them say so, naming the file.
@Suite struct DamagedRecordTests {
    func pointed(_ h: CLIHarness, _ file: String) -> String? {
        h.read(file)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Cuts the file at `path` (under the harness) in half, as a write cut off leaves it.
    func truncate(_ h: CLIHarness, _ path: String) throws {
        let text = try #require(h.read(path))
        try h.write(path, String(text.prefix(text.count / 2)))
    }

    @Test func aDamagedPointerHeadStopsPruneNamingIt() throws {
        let h = try CLIHarness()
        try h.write("s1/index.html", "staging\n")
        #expect(try h.run(["deploy", "s1", "--pointer", "file://\(h.root)/.sitebuild/_sitebuild/staging"]).status == 0)
        let staged = try #require(pointed(h, ".sitebuild/_sitebuild/staging"))
        for n in 2...4 {
            try h.write("s\(n)/index.html", "\(n)\n")
            #expect(try h.run(["deploy", "s\(n)"]).status == 0)
        }
        let heads = ".sitebuild/_sitebuild/pointers/"
        let head = try #require(try FileManager.default.contentsOfDirectory(atPath: h.root + "/" + heads).first {
            h.read(heads + $0)?.contains("staging") == true
        })
        try truncate(h, heads + head)
        let prune = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(prune.status == 3, "\(prune.stderr)")
        #expect(prune.stderr.contains(heads + head) && prune.stderr.contains("damaged") && prune.stderr.contains("nothing was deleted"),
                "\(prune.stderr)")
        #expect(h.exists(".sitebuild/\(staged)/index.html"), "the version the staging pointer serves was deleted: \(prune.stderr)")
        #expect(!prune.stderr.contains("delete \(staged)"), "\(prune.stderr)")
        // versions only reads it: said, and listed without it.
        let versions = try h.run(["versions"])
        #expect(versions.status == 0 && versions.stderr.contains(heads + head) && versions.stderr.contains("damaged"), "\(versions.stderr)")
        // The next flip through the staging pointer writes its head again: prune goes on.
        try h.write("s5/index.html", "staging again\n")
        #expect(try h.run(["deploy", "s5", "--pointer", "file://\(h.root)/.sitebuild/_sitebuild/staging"]).status == 0)
        let restaged = try #require(pointed(h, ".sitebuild/_sitebuild/staging"))
        let again = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(again.status == 0 && again.stderr.contains("keep \(restaged): live through _sitebuild/staging"), "\(again.stderr)")
    }

    /// Regression: a deploy killed while writing its release record leaves a temporary file in
    /// `_sitebuild/releases/` that only a deploy uploading a new version swept; deploys of what
    /// is live already left it for good. Now those sweep it too (a running process's stays), and
    /// `versions` and `prune` never list it or trip on it meanwhile.
    @Test func aKilledRecordWritesTemporaryGoesWithADeployOfWhatIsLive() throws {
        let h = try CLIHarness()
        for n in 1...3 {
            try h.write("s\(n)/index.html", "\(n)\n")
            #expect(try h.run(["deploy", "s\(n)"]).status == 0)
        }
        let live = try #require(pointed(h, ".sitebuild/_sitebuild/live"))
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let releases = ".sitebuild/_sitebuild/releases/"
        let stale = releases + ".sitebuild-tmp-\(finished.processIdentifier)-w1"
        let running = releases + ".sitebuild-tmp-\(getpid())-w2"
        for name in [stale, running] { try h.write(name, "{\"version\":\"\(live)\",\"pre") }
        let versions = try h.run(["versions"])
        #expect(versions.status == 0 && !(versions.stdout + versions.stderr).contains(".sitebuild-tmp"), "\(versions.stdout)\(versions.stderr)")
        let prune = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(prune.status == 0 && !(prune.stdout + prune.stderr).contains(".sitebuild-tmp"), "\(prune.stdout)\(prune.stderr)")
        let again = try h.run(["deploy", "s3"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(pointed(h, ".sitebuild/_sitebuild/live") == live)
        #expect(!h.exists(stale))
        #expect(h.exists(running))
    }

    @Test func aDamagedLastReleaseRecordIsNamedAndStopsPrune() throws {
        let h = try CLIHarness()
        var versions: [String] = []
        for n in 1...3 {
            try h.write("s\(n)/index.html", "\(n)\n")
            #expect(try h.run(["deploy", "s\(n)"]).status == 0)
            versions.append(try #require(pointed(h, ".sitebuild/_sitebuild/live")))
        }
        let releases = ".sitebuild/_sitebuild/releases/"
        let last = try #require(try FileManager.default.contentsOfDirectory(atPath: h.root + "/" + releases).sorted().last)
        try truncate(h, releases + last)
        // Alone, the pointer's head still says what was live before: rollback works, and says it.
        let prune = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(prune.status == 3 && prune.stderr.contains(releases + last) && prune.stderr.contains("damaged"), "\(prune.stderr)")
        #expect(!prune.stderr.contains("is this the pointer"), "\(prune.stderr)")
        #expect(h.exists(".sitebuild/\(versions[0])/index.html") && h.exists(".sitebuild/\(versions[1])/index.html"))
        // With the head damaged too, rollback cannot know the previous release, and says why.
        let heads = ".sitebuild/_sitebuild/pointers/"
        for head in try FileManager.default.contentsOfDirectory(atPath: h.root + "/" + heads) { try truncate(h, heads + head) }
        let rollback = try h.run(["rollback"])
        #expect(rollback.stderr.contains(releases + last) && rollback.stderr.contains("damaged"), "\(rollback.stderr)")
        #expect(try h.run(["prune", "--keep", "0", "--grace", "0s"]).status == 3)
        #expect(h.exists(".sitebuild/\(versions[1])/index.html"), "the previous release was deleted")
        // Rolling back to a named version works, with the warning.
        let named = try h.run(["rollback", versions[1]])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(pointed(h, ".sitebuild/_sitebuild/live") == versions[1])
    }

    /// The same through a target's library calls: a damaged record throws, carrying the rest.
    @Test func theTargetThrowsForADamagedRecordWithTheReadableOnes() async throws {
        let h = try CLIHarness()
        let target = LocalTarget(root: h.root + "/t")
        let one = ReleaseRecord(from: nil, to: "a", action: "deploy", pointer: "_sitebuild/live")
        let two = ReleaseRecord(from: "a", to: "b", action: "deploy", pointer: "_sitebuild/live")
        try await target.writeRelease(one)
        try await target.writeRelease(two)
        try h.write("t/_sitebuild/releases/" + two.fileName, "{\"at\":\"20")
        let names = try await target.listReleaseNames()
        await #expect(throws: DamagedRecords.self) { try await target.readReleases(named: names) }
        do {
            _ = try await target.readReleases(named: names)
        } catch let damaged as DamagedRecords {
            #expect(damaged.readable.map(\.to) == ["a"])
            #expect(damaged.locations == [h.root + "/t/_sitebuild/releases/" + two.fileName])
        }
    }
}
