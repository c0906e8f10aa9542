@testable import Deploy
import Foundation
import SiteContent
import Testing

/// `ReusableContent`: the live version's manifest streamed from its file to find, for each
/// entry of a new manifest, where a complete version already holds its bytes.
@Suite("ReusableContent: reuse planned from a streamed manifest")
struct ReusableContentTests {
    static func entry(_ path: String, _ content: String, size: Int64? = nil, aliasOf: String? = nil) -> ManifestEntry {
        ManifestEntry(path: path, size: size ?? Int64(content.utf8.count), hash: ContentHash(of: content),
                      headers: HeaderPolicy().headers(for: path), aliasOf: aliasOf)
    }

    /// Writes `manifest` where a target keeps it, returning the file's path.
    static func file(_ manifest: Manifest, in dir: TempDir) throws -> String {
        let path = dir.url("\(manifest.version).json")
        try manifest.write(toFile: path)
        return path
    }

    @Test func samePathMovedDuplicatedAndNew() throws {
        let dir = try TempDir("reusable")
        let old = Manifest(entries: [
            Self.entry("a.html", "A"), Self.entry("b.css", "B"), Self.entry("docs/index.html", "D"),
            Self.entry("docs.html", "D", aliasOf: "docs/index.html"), Self.entry("old.js", "J"),
            Self.entry("z.txt", "A"), Self.entry("sized.bin", "S", size: 10),
        ], version: "v-old")
        let new = Manifest(entries: [
            Self.entry("a.html", "A"),          // same path, same bytes
            Self.entry("b.css", "B2"),          // changed: upload
            Self.entry("docs/index.html", "D"), // same path
            Self.entry("docs.html", "D", aliasOf: "docs/index.html"),
            Self.entry("c.txt", "A"),           // duplicate of a.html's bytes at a new path
            Self.entry("moved.js", "J"),        // old.js moved
            Self.entry("sized.bin", "S", size: 11),  // same hash, other size: not the same bytes
        ], version: "v-new")
        let reusable = try ReusableContent(for: new, version: "v-old", manifestFile: Self.file(old, in: dir))
        let entries = new.entries
        func origin(_ path: String) -> String? {
            guard let index = new.index(of: path), let found = reusable.origin(of: index, in: entries) else { return nil }
            #expect(found.version == "v-old")
            return found.path
        }
        #expect(origin("a.html") == "a.html")
        #expect(origin("b.css") == nil)
        #expect(origin("docs/index.html") == "docs/index.html")
        #expect(origin("docs.html") == "docs.html")
        #expect(origin("c.txt") == "a.html")  // the first old path (in path order) with the bytes
        #expect(origin("moved.js") == "old.js")
        #expect(origin("sized.bin") == nil)
        #expect(reusable.reusableCount == 5)
    }

    /// Against a naive search over the whole old manifest: an origin exactly when some old
    /// entry has the same hash and size, and the origin holds them; the same path when it can.
    @Test func agreesWithANaiveSearch() throws {
        let dir = try TempDir("reusable-random")
        var generator = SystemRandomNumberGenerator()
        for round in 0..<5 {
            let contents = (0..<40).map { "content \($0)" }
            // 300 distinct paths each (a manifest never repeats one), overlapping in part.
            let oldPaths = (0..<500).shuffled(using: &generator).prefix(300)
            let newPaths = (0..<500).shuffled(using: &generator).prefix(300)
            let old = Manifest(entries: oldPaths.map { k in
                Self.entry("p\(k)/\(k % 7).html", contents.randomElement(using: &generator)!)
            }, version: "old-\(round)")
            let new = Manifest(entries: newPaths.map { k in
                Self.entry("p\(k)/\(k % 7).html", contents.randomElement(using: &generator)! + (k % 5 == 0 ? " changed" : ""))
            }, version: "new-\(round)")
            let reusable = try ReusableContent(for: new, version: old.version, manifestFile: Self.file(old, in: dir))
            let entries = new.entries
            for index in entries.indices {
                let wanted = entries[index]
                let found = reusable.origin(of: index, in: entries)
                let holders = old.entries.filter { $0.hash == wanted.hash && $0.size == wanted.size }
                #expect((found != nil) == !holders.isEmpty, "\(wanted.path)")
                if let found {
                    #expect(holders.contains { $0.path == found.path }, "\(wanted.path) from \(found.path)")
                    if holders.contains(where: { $0.path == wanted.path }) { #expect(found.path == wanted.path) }
                }
            }
        }
    }

    @Test func ownVersionAndEmptyReuseNothing() throws {
        let dir = try TempDir("reusable-own")
        let manifest = Manifest(entries: [Self.entry("a.html", "A")], version: "same")
        let own = try ReusableContent(for: manifest, version: "same", manifestFile: Self.file(manifest, in: dir))
        #expect(own.origin(of: 0, in: manifest.entries) == nil)
        #expect(own.version == nil)
        #expect(ReusableContent.empty.origin(of: 0, in: manifest.entries) == nil)
    }

    @Test func damagedOrForeignManifestFilesAreRefused() throws {
        let dir = try TempDir("reusable-damaged")
        let new = Manifest(entries: [Self.entry("a.html", "A")], version: "new")
        let old = Manifest(entries: [Self.entry("a.html", "A"), Self.entry("b.html", "B")], version: "old")
        let text = old.serialized()
        let truncated = try dir.write("truncated.json", String(text.prefix(text.count / 2)))
        #expect(throws: (any Error).self) { try ReusableContent(for: new, version: "old", manifestFile: truncated) }
        let incomplete = try dir.write("incomplete.json", #"{"version":"old","entries":[{"path":"a.html"}]}"#)
        #expect(throws: (any Error).self) { try ReusableContent(for: new, version: "old", manifestFile: incomplete) }
        // A file that names another version is not that version's manifest.
        #expect(throws: (any Error).self) { try ReusableContent(for: new, version: "other", manifestFile: Self.file(old, in: dir)) }
        #expect(throws: (any Error).self) { try ReusableContent(for: new, version: "old", manifestFile: dir.url("missing.json")) }
    }

    @Test func forEachEntryVisitsWhatReadReads() throws {
        let dir = try TempDir("manifest-visit")
        let manifest = Manifest(entries: ManifestStorageTests.sampleEntries(count: 120), version: "visited")
        let path = try Self.file(manifest, in: dir)
        var visited: [ManifestEntry] = []
        let version = try Manifest.forEachEntry(inFile: path) { visited.append($0) }
        #expect(version == "visited")
        #expect(visited == Array(try Manifest.read(contentsOfFile: path).entries))
        #expect(visited == Array(manifest.entries))
    }
}
