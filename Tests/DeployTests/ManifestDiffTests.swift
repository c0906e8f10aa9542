@testable import Deploy
import Foundation
import SiteContent
import Testing

/// What changed between two versions, for invalidation.
@Suite struct ManifestDiffTests {
    func entry(_ path: String, _ content: String, cacheControl: String? = nil) -> ManifestEntry {
        var headers = HeaderPolicy().headers(for: path)
        if let cacheControl { headers.cacheControl = cacheControl }
        return ManifestEntry(path: path, size: Int64(content.utf8.count), hash: ContentHash(of: content), headers: headers)
    }

    @Test func addedRemovedChangedContentAndChangedHeadersCountUnchangedDoNot() {
        let old = Manifest(entries: [entry("index.html", "home"), entry("a.css", "a"), entry("gone.html", "g"), entry("b.js", "b")])
        let new = Manifest(entries: [entry("index.html", "home"), entry("a.css", "a2"), entry("new.html", "n"),
                                     entry("b.js", "b", cacheControl: "no-store")])
        #expect(ManifestDiff.changedKeys(from: old, to: new) == ["a.css", "b.js", "gone.html", "new.html"])
        // index.html, a.css, b.js, gone.html, new.html: five distinct keys between them.
        #expect(ManifestDiff.changes(from: old, to: new).pathCount == 5)
    }

    /// The invalidation plan from a manifest diff: "everything changed" from the merge's key
    /// count, the same answer as from the set of every key.
    @Test func everythingChangedFromTheKeyCount() {
        let planner = InvalidationPlanner()
        let old = Manifest(entries: [entry("index.html", "home"), entry("a.css", "a")])
        let all = Manifest(entries: [entry("index.html", "home2"), entry("b.css", "b")])
        let some = Manifest(entries: [entry("index.html", "home"), entry("a.css", "a2"), entry("c.css", "c")])
        for new in [all, some] {
            let (keys, count) = ManifestDiff.changes(from: old, to: new)
            let site = Set(old.entries.map(\.path)).union(new.entries.map(\.path))
            #expect(count == site.count)
            #expect(planner.plan(changed: keys, siteKeyCount: count) == planner.plan(changed: keys, siteKeys: site))
        }
        #expect(planner.plan(changed: ManifestDiff.changes(from: old, to: all).keys, siteKeyCount: 3).paths == ["/*"])
        #expect(planner.plan(changed: ManifestDiff.changes(from: old, to: some).keys, siteKeyCount: 3).paths != ["/*"])
        #expect(planner.plan(changed: [], siteKeyCount: 0).paths.isEmpty)
    }

    /// The streamed diff (the earlier manifest read from its file one entry at a time) gives
    /// the merge's answer: random pairs of versions sharing, changing, adding and dropping paths.
    @Test func streamedFromTheFileMatchesTheMerge() throws {
        let dir = try TempDir("diff-streamed")
        var random = SystemRandomNumberGenerator()
        let paths = (0..<60).map { i in i % 4 == 0 ? "d\(i % 3)/p\(i)/index.html" : "d\(i % 5)/f\(i).css" }
        func version(_ name: String) -> Manifest {
            var entries: [ManifestEntry] = []
            for path in paths where Int.random(in: 0..<4, using: &random) != 0 {
                entries.append(entry(path, "c\(Int.random(in: 0..<3, using: &random))",
                                     cacheControl: Bool.random(using: &random) ? "no-store" : nil))
            }
            return Manifest(entries: entries, version: name)
        }
        for round in 0..<40 {
            let old = version("old\(round)"), new = version("new\(round)")
            let path = dir.url("\(old.version).json")
            try old.write(toFile: path)
            let streamed = try ManifestDiff.changes(fromManifestFile: path, version: old.version, to: new)
            let merged = ManifestDiff.changes(from: old, to: new)
            #expect(streamed.keys == merged.keys)
            #expect(streamed.pathCount == merged.pathCount)
        }
        // Entries in any order, one listed twice: the same answer.
        let old = Manifest(entries: [entry("a.css", "a"), entry("b.css", "b"), entry("gone.html", "g"), entry("z.js", "z")], version: "v1")
        let new = Manifest(entries: [entry("a.css", "a2"), entry("b.css", "b"), entry("new.html", "n"), entry("z.js", "z")], version: "v2")
        guard case .object(var fields) = try JSONValue.parse(Data(old.serialized().utf8)),
              let at = fields.firstIndex(where: { $0.0 == "entries" }), case .array(let items) = fields[at].1 else {
            Issue.record("a manifest is an object with an entries array")
            return
        }
        fields[at].1 = .array(items.reversed() + [items[2], items[0]])
        let shuffled = try dir.write("v1.json", JSONValue.object(fields).serialized())
        let streamed = try ManifestDiff.changes(fromManifestFile: shuffled, version: "v1", to: new)
        #expect(streamed.keys == ["a.css", "gone.html", "new.html"])
        #expect(streamed.pathCount == 5)
        #expect(streamed.keys == ManifestDiff.changes(from: old, to: new).keys)
        // A file naming another version is not that version's manifest.
        #expect(throws: DeployError.self) { try ManifestDiff.changes(fromManifestFile: shuffled, version: "v0", to: new) }
    }

    @Test func identicalVersionsChangeNothing() {
        let manifest = Manifest(entries: [entry("index.html", "home"), entry("docs/index.html", "docs")])
        #expect(ManifestDiff.changedKeys(from: manifest, to: manifest).isEmpty)
    }
}
