@testable import Deploy
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

    @Test func identicalVersionsChangeNothing() {
        let manifest = Manifest(entries: [entry("index.html", "home"), entry("docs/index.html", "docs")])
        #expect(ManifestDiff.changedKeys(from: manifest, to: manifest).isEmpty)
    }
}
