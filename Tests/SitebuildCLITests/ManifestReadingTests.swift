import Deploy
import Foundation
import Preview
import SiteContent
import Testing

/// What a manifest read from a target may say: paths that stay inside the version's folder,
/// sizes that are sizes, a format this sitebuild knows.
@Suite struct ManifestReadingTests {
    func live(_ h: CLIHarness) -> String? {
        h.read(".sitebuild/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The live manifest's text with `old` replaced by `new` (it is written read-only).
    func edit(_ h: CLIHarness, _ version: String, _ old: String, _ new: String) throws {
        let path = ".sitebuild/_sitebuild/manifests/\(version).json"
        chmod(h.root + "/" + path, 0o644)
        let text = try #require(h.read(path))
        #expect(text.contains(old))
        try h.write(path, text.replacingOccurrences(of: old, with: new))
    }

    @Test func aManifestPathLeadingOutOfTheVersionIsRefusedAndNeverPlacedOrServed() throws {
        let h = try CLIHarness()
        try h.write("secret.txt", "the secret\n")
        try h.write("s1/index.html", "shared\n")
        #expect(try h.run(["deploy", "s1"]).status == 0)
        let v1 = try #require(live(h))
        try edit(h, v1, "\"path\":\"index.html\"", "\"path\":\"../../secret.txt\"")
        // The next deploy has a file with the content the altered entry names.
        try h.write("s2/page.html", "shared\n")
        let deployed = try h.run(["deploy", "s2"])
        #expect(deployed.stderr.contains("manifests/\(v1).json") && deployed.stderr.contains("../../secret.txt"), "\(deployed.stderr)")
        let v2 = try #require(live(h))
        #expect(h.read(".sitebuild/\(v2)/page.html") == "shared\n")
        // Served: never the file outside the folder.
        try h.write(".sitebuild/_sitebuild/live", v1 + "\n")
        let site = PreviewSite(root: h.root + "/.sitebuild", pointerPath: h.root + "/.sitebuild/_sitebuild/live", router: Router())
        for target in ["/../../secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/..%2f..%2fsecret.txt"] {
            let response = site.respond(method: "GET", target: target, headers: [:])
            if case .file(let path, _, _) = response.body { Issue.record("\(target) served \(path)") }
            #expect(response.status == 503, "\(target): \(response.status)")
        }
        // `versions` reads heads only (the entries of a large site are megabytes); doctor reads
        // the live version's entries.
        for command in [["doctor"]] {
            let out = try h.run(command)
            let text = out.stdout + out.stderr
            #expect(text.contains("manifests/\(v1).json is damaged") && text.contains("'../../secret.txt'"), "\(command): \(text)")
        }
    }

    /// `versions` shows the counts a manifest's head declares (its entries are not read), in a
    /// files column as wide as the largest count.
    @Test func versionsShowsTheHeadsCountsInAColumnAsWideAsTheLargest() throws {
        let h = try CLIHarness()
        try h.write("s1/index.html", "one\n")
        #expect(try h.run(["deploy", "s1"]).status == 0)
        let big = "big0000000000001"
        try h.write(".sitebuild/_sitebuild/manifests/\(big).json", #"{"sitebuild":1,"version":"big0000000000001","contentId":"x","fileCount":1234567,"#
            + #""totalBytes":5000000000,"aliasCount":34567,"aliasBytes":1000,"metadata":{"createdAt":"2026-01-01T00:00:00.000Z"},"entries":[]}"#)
        let out = try h.run(["versions"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("VERSION") })
        let row = try #require(lines.first { $0.hasPrefix(big) })
        let filesEnd = try #require(header.range(of: "FILES")).upperBound.utf16Offset(in: header)
        let countEnd = try #require(row.range(of: " 1200000 ")).upperBound.utf16Offset(in: row) - 1
        #expect(filesEnd == countEnd, "\(out.stdout)")
        #expect(row.contains(" GiB "), "the head's bytes, aliases left out: \(row)")
    }

    @Test func sizesThatAreNoInt64OrNegativeAreDamageNotACrash() throws {
        let h = try CLIHarness()
        try h.write("s1/index.html", "one\n")
        #expect(try h.run(["deploy", "s1"]).status == 0)
        let v1 = try #require(live(h))
        try edit(h, v1, "\"size\":4", "\"size\":1e30")
        for command in [["doctor"]] {
            let out = try h.run(command)
            #expect(out.status != 132 && (out.stdout + out.stderr).contains("manifests/\(v1).json is damaged"), "\(command): \(out.status) \(out.stdout)\(out.stderr)")
        }
        // versions and prune read the head, which is whole: no crash, the live version kept.
        let listed = try h.run(["versions"])
        #expect(listed.status == 0 && listed.stdout.contains(v1), "\(listed.stdout)\(listed.stderr)")
        let pruned = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(pruned.status == 0 && pruned.stderr.contains("keep \(v1): live"), "\(pruned.stdout)\(pruned.stderr)")
        try edit(h, v1, "\"size\":1e30", "\"size\":99999999999999999999")
        let big = try h.run(["doctor"])
        #expect(big.stdout.contains("manifests/\(v1).json is damaged"), "\(big.status) \(big.stderr)")
        try edit(h, v1, "\"size\":99999999999999999999", "\"size\":-4")
        let negative = try h.run(["doctor"])
        #expect(negative.stdout.contains("negative size"), "\(negative.stdout)")
        let site = PreviewSite(root: h.root + "/.sitebuild", pointerPath: h.root + "/.sitebuild/_sitebuild/live", router: Router())
        #expect(site.respond(method: "GET", target: "/", headers: [:]).status == 503)
    }

    @Test func aManifestOfANewerFormatSaysToUpgrade() throws {
        let h = try CLIHarness()
        try h.write("s1/index.html", "one\n")
        #expect(try h.run(["deploy", "s1"]).status == 0)
        let v1 = try #require(live(h))
        try edit(h, v1, "\"sitebuild\":1", "\"sitebuild\":99")
        let message = "manifests/\(v1).json was written by a newer sitebuild (format 99; this one reads 1): upgrade sitebuild"
        for command in [["versions"], ["doctor"], ["prune", "--keep", "0", "--grace", "0s"]] {
            let out = try h.run(command)
            #expect((out.stdout + out.stderr).contains(message), "\(command): \(out.stdout)\(out.stderr)")
            if command != ["doctor"] {
                // Left out and kept; never the damaged-manifest advice to delete the file.
                #expect(out.stderr.contains("version \(v1) is left out (and kept) until then: the file is not damaged, keep it"), "\(command): \(out.stderr)")
                #expect(!out.stderr.contains("delete that file"), "\(command): \(out.stderr)")
            }
        }
        #expect(h.exists(".sitebuild/_sitebuild/manifests/\(v1).json") && h.exists(".sitebuild/\(v1)"))
        let site = PreviewSite(root: h.root + "/.sitebuild", pointerPath: h.root + "/.sitebuild/_sitebuild/live", router: Router())
        let served = site.respond(method: "GET", target: "/", headers: [:])
        #expect(served.status == 503)
        if case .bytes(let body) = served.body { #expect(String(decoding: body, as: UTF8.self).contains("upgrade sitebuild")) }
    }

    /// A deploy of the content of a version that is not live, whose manifest a newer sitebuild
    /// wrote, leaves that manifest alone and stops (exit 2, upgrade sitebuild) before anything
    /// is written or made live; it had written the manifest again in this sitebuild's older
    /// format, as if it were damaged. A rollback to it refuses alike.
    @Test func aFlipToAVersionOfANewerFormatRefusesAndLeavesItsManifestAlone() throws {
        let h = try CLIHarness()
        try h.write("s1/index.html", "one\n")
        try h.write("s2/index.html", "two\n")
        #expect(try h.run(["deploy", "s1"]).status == 0)
        let v1 = try #require(live(h))
        #expect(try h.run(["deploy", "s2"]).status == 0)
        let v2 = try #require(live(h))
        try edit(h, v1, "\"sitebuild\":1", "\"sitebuild\":99")
        let newer = try #require(h.read(".sitebuild/_sitebuild/manifests/\(v1).json"))
        let releases = try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases").count
        let message = "manifests/\(v1).json was written by a newer sitebuild (format 99; this one reads 1): upgrade sitebuild"
        for command in [["deploy", "s1", "--dry-run"], ["deploy", "s1"], ["deploy", "s1", "--json"], ["rollback", v1]] {
            let out = try h.run(command)
            #expect(out.status == 2, "\(command): \(out.status) \(out.stderr)")
            #expect(out.stderr.contains(message), "\(command): \(out.stderr)")
            #expect(!out.stderr.contains("writing it again") && !out.stderr.contains("would write it again"), "\(command): \(out.stderr)")
            #expect(h.read(".sitebuild/_sitebuild/manifests/\(v1).json") == newer, "\(command)")
            #expect(live(h) == v2, "\(command)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.root + "/.sitebuild/_sitebuild/releases").count == releases)
        }
    }

    /// `versions` on a target whose every manifest a newer sitebuild wrote says how many
    /// versions it cannot read and to upgrade (it had said "No versions … yet"), and `--json`
    /// lists them under `unreadable` beside an empty `versions`.
    @Test func versionsOfOnlyNewerFormatsCountsThemAndSaysToUpgrade() throws {
        let h = try CLIHarness()
        var versions: [String] = []
        for n in 1...2 {
            try h.write("s\(n)/index.html", "\(n)\n")
            #expect(try h.run(["deploy", "s\(n)"]).status == 0)
            versions.append(try #require(live(h)))
        }
        let fresh = try h.run(["versions", "--json"])
        let empty = try JSONValue.parse(Data(fresh.stdout.utf8))
        #expect(empty["unreadable"] == .array([]), "\(fresh.stdout)")
        for version in versions { try edit(h, version, "\"sitebuild\":1", "\"sitebuild\":99") }
        let listed = try h.run(["versions"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(!listed.stdout.contains("yet"), "\(listed.stdout)")
        #expect(listed.stdout.contains("that this sitebuild can read: it has 2 versions written by a newer sitebuild"), "\(listed.stdout)")
        #expect(listed.stdout.contains("upgrade sitebuild to list them"), "\(listed.stdout)")
        let json = try h.run(["versions", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let value = try JSONValue.parse(Data(json.stdout.utf8))
        #expect(value["versions"] == .array([]), "\(json.stdout)")
        guard case .array(let unreadable)? = value["unreadable"] else {
            Issue.record("no unreadable array: \(json.stdout)")
            return
        }
        #expect(Set(unreadable.compactMap { $0["version"]?.stringValue }) == Set(versions), "\(json.stdout)")
        #expect(unreadable.allSatisfy { $0["reason"] == .string("newerFormat") }, "\(json.stdout)")
        #expect(unreadable.allSatisfy { $0["manifest"]?.stringValue?.hasSuffix("/.sitebuild/_sitebuild/manifests/\($0["version"]?.stringValue ?? "").json") == true },
                "\(json.stdout)")
        // One damaged besides: both counted, each with its advice.
        try h.write(".sitebuild/_sitebuild/manifests/\(versions[0]).json", "{\"truncated\": ")
        let mixed = try h.run(["versions"])
        #expect(mixed.stdout.contains("it has 1 version written by a newer sitebuild") && mixed.stdout.contains("upgrade sitebuild to list it")
                && mixed.stdout.contains("and 1 version whose manifest is damaged"), "\(mixed.stdout)")
    }

    @Test func aCopyAmongTheManifestsIsNoVersionAndIsNamedEscaped() throws {
        let h = try CLIHarness()
        var versions: [String] = []
        for n in 1...3 {
            try h.write("s\(n)/index.html", "\(n)\n")
            #expect(try h.run(["deploy", "s\(n)"]).status == 0)
            versions.append(try #require(live(h)))
        }
        let manifests = h.root + "/.sitebuild/_sitebuild/manifests/"
        try FileManager.default.copyItem(atPath: manifests + versions[0] + ".json", toPath: manifests + versions[0] + " copy.json")
        try FileManager.default.copyItem(atPath: manifests + versions[0] + ".json", toPath: manifests + "\u{1b}[31mred.json")
        let listed = try h.run(["versions"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(!listed.stdout.contains("copy") && listed.stderr.contains(versions[0] + " copy.json"), "\(listed.stdout)\(listed.stderr)")
        #expect(!(listed.stdout + listed.stderr).contains("\u{1b}") && listed.stderr.contains("\\x1B[31mred.json"), "\(listed.stderr)")
        let prune = try h.run(["prune", "--keep", "0", "--grace", "0s"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stderr.contains(versions[0] + " copy.json") && !h.exists(".sitebuild/\(versions[0])"), "\(prune.stderr)")
    }
}
