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
    }

    @Test func identicalVersionsChangeNothing() {
        let manifest = Manifest(entries: [entry("index.html", "home"), entry("docs/index.html", "docs")])
        #expect(ManifestDiff.changedKeys(from: manifest, to: manifest).isEmpty)
    }
}
