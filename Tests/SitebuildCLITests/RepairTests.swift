import Deploy
import Foundation
import Preview
import SiteContent
import Testing

@Suite struct RepairTests {
    func live(_ h: CLIHarness) -> String? {
        h.read(".sitebuild/_sitebuild/live")?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A damaged live manifest is written again by `deploy --repair` of the build it came from
    /// (a content id's manifest is its content's); serve says it is damaged meanwhile.
    @Test func repairWritesADamagedLiveManifestAgain() throws {
        let h = try CLIHarness()
        try h.write("s/index.html", "one\n")
        #expect(try h.run(["deploy", "s"]).status == 0)
        let v1 = try #require(live(h))
        let manifest = h.root + "/.sitebuild/_sitebuild/manifests/\(v1).json"
        chmod(manifest, 0o644)
        try h.write(".sitebuild/_sitebuild/manifests/\(v1).json", "")
        let site = PreviewSite(root: h.root + "/.sitebuild", pointerPath: h.root + "/.sitebuild/_sitebuild/live", router: Router())
        let served = site.respond(method: "GET", target: "/", headers: [:])
        #expect(served.status == 503)
        if case .bytes(let body) = served.body {
            let text = String(decoding: body, as: UTF8.self)
            #expect(text.contains("is damaged") && text.contains("--repair") && !text.contains("has no manifest"), "\(text)")
        }
        let planned = try h.run(["deploy", "s", "--repair", "--dry-run"])
        #expect(planned.status == 0 && planned.stderr.contains("its manifest is damaged"), "\(planned.stderr)")
        #expect(h.read(".sitebuild/_sitebuild/manifests/\(v1).json") == "")
        let repaired = try h.run(["deploy", "s", "--repair"])
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(repaired.stderr.contains("writing it again") && repaired.stderr.contains("its damaged manifest written again"), "\(repaired.stderr)")
        #expect((try? Manifest.parse(try #require(FileManager.default.contents(atPath: manifest)))) != nil)
        #expect(site.respond(method: "GET", target: "/", headers: [:]).status == 200)
        let listed = try h.run(["versions"])
        #expect(listed.status == 0 && !listed.stderr.contains("damaged"), "\(listed.stderr)")
    }

    /// A plain deploy of the build a damaged live manifest came from (nothing to flip) writes it
    /// again, as --repair does, and says so; a dry run says it would. A deploy of other
    /// content flips past it.
    @Test func aDeployOfTheLiveContentWritesItsDamagedManifestAgain() throws {
        let h = try CLIHarness()
        try h.write("s/index.html", "one\n")
        try h.write("s/about.html", "about\n")
        #expect(try h.run(["deploy", "s"]).status == 0)
        let v1 = try #require(live(h))
        let path = ".sitebuild/_sitebuild/manifests/\(v1).json"
        let manifest = h.root + "/" + path
        for damage in ["", "{\"sitebuild\":1,\"vers"] {
            chmod(manifest, 0o644)
            try h.write(path, damage)
            let planned = try h.run(["deploy", "s", "--dry-run"])
            #expect(planned.status == 0 && planned.stderr.contains("its manifest is damaged: the real run writes it again"), "\(planned.stderr)")
            #expect(h.read(path) == damage)
            let deployed = try h.run(["deploy", "s", "--json"])
            #expect(deployed.status == 0, "\(deployed.stderr)")
            #expect(deployed.stderr.contains("\(v1).json is damaged") && deployed.stderr.contains("its damaged manifest written again"),
                    "\(deployed.stderr)")
            #expect(!deployed.stderr.contains("nothing to deploy"), "\(deployed.stderr)")
            #expect(deployed.stdout.contains(#""action":"repaired""#), "\(deployed.stdout)")
            #expect((try? Manifest.parse(try #require(FileManager.default.contents(atPath: manifest))))?.version == v1)
            #expect(live(h) == v1)
            let again = try h.run(["deploy", "s"])
            #expect(again.status == 0 && again.stderr.contains("nothing to deploy") && !again.stderr.contains("damaged"), "\(again.stderr)")
        }
        let listed = try h.run(["versions"])
        #expect(listed.status == 0 && listed.stdout.contains(v1) && !listed.stderr.contains("damaged"), "\(listed.stderr)")
    }

    /// The stat cache file's lines with `index.html`'s hash replaced by a wrong one; with
    /// `sealed`, its checksum line made to match (as if sitebuild had cached a wrong hash).
    func cacheWithAWrongHash(_ text: String, sealed: Bool) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { line -> String in
            guard line.hasSuffix("\tindex.html") else { return String(line) }
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            fields[5] = String(repeating: "0", count: 31) + "1"
            return fields.joined(separator: "\t")
        }
        guard sealed else { return lines.joined(separator: "\n") + "\n" }
        lines.removeAll { $0.hasPrefix("#") }
        let body = lines.map { $0 + "\n" }.joined()
        return body + "#checksum\t" + ContentHash(of: Array(body.utf8)).hex + "\n"
    }

    /// A wrong hash in the stat cache that its checksum does not catch (one sitebuild cached)
    /// is not a failure of every deploy: the cache is removed and the tree hashed again, and
    /// the version holds the right bytes.
    @Test func aWrongHashFromTheStatCacheIsHashedAgain() throws {
        let h = try CLIHarness()
        try h.write("s5/index.html", "<h1>home</h1>\n")
        try h.write("s5/about.html", "about\n")
        #expect(try h.run(["deploy", "s5"]).status == 0)
        let caches = h.root + "/.cache/stat-cache"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: caches).first { $0.hasSuffix(".tsv") })
        let text = try #require(FileManager.default.contents(atPath: caches + "/" + name).map { String(decoding: $0, as: UTF8.self) })
        let wrong = cacheWithAWrongHash(text, sealed: true)
        #expect(wrong != text, "no line for index.html in \(text)")
        try Data(wrong.utf8).write(to: URL(fileURLWithPath: caches + "/" + name))
        try h.write("s5/about.html", "about 2\n")
        let deployed = try h.run(["deploy", "s5"])
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(deployed.stderr.contains("stat cache") && deployed.stderr.contains(name), "\(deployed.stderr)")
        let v2 = try #require(live(h))
        #expect(h.read(".sitebuild/\(v2)/index.html") == "<h1>home</h1>\n")
        let manifest = try Manifest.parse(try #require(FileManager.default.contents(atPath: h.root + "/.sitebuild/_sitebuild/manifests/\(v2).json")))
        #expect(manifest.entry(at: "index.html")?.hash == ContentHash(of: Array("<h1>home</h1>\n".utf8)))
        #expect(try h.run(["deploy", "s5"]).stderr.contains("nothing to deploy"))
    }

    /// `hash` trusts the stat cache (it streams nothing, so it never meets the file again): a
    /// damaged cache file, a wrong hash in a line, is not read, and the version id is the
    /// tree's, as deploy finds it.
    @Test func hashIgnoresADamagedStatCache() throws {
        let h = try CLIHarness()
        try h.write("s6/index.html", "<h1>home</h1>\n")
        try h.write("s6/about.html", "about\n")
        let first = try h.run(["hash", "s6"])
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(first.stdout.split(separator: " ").first.map(String.init))
        let caches = h.root + "/.cache/stat-cache"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: caches).first { $0.hasSuffix(".tsv") })
        let text = try #require(FileManager.default.contents(atPath: caches + "/" + name).map { String(decoding: $0, as: UTF8.self) })
        #expect(text.contains("\tindex.html\n") && text.hasSuffix("\n") && text.contains("\n#checksum\t"), "\(text)")
        #expect(try h.run(["hash", "s6"]).stdout.hasPrefix(id + " "))
        try Data(cacheWithAWrongHash(text, sealed: false).utf8).write(to: URL(fileURLWithPath: caches + "/" + name))
        let again = try h.run(["hash", "s6"])
        #expect(again.status == 0 && again.stdout.hasPrefix(id + " "), "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("2 read"), "\(again.stdout)")
        // Written again whole: the next run reads nothing.
        #expect(try h.run(["hash", "s6"]).stdout.contains("0 read"))
    }
}
