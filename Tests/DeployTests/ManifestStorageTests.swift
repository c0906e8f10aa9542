import Foundation
@testable import SiteContent
import Testing

/// The columnar manifest: its canonical text must stay byte-for-byte what the JSON tree
/// gave (version ids of existing deployments depend on it), and the streaming reader must
/// read what the writer writes, in any chunking, and refuse damaged files.
@Suite("Manifest storage: canonical text, streaming reader and writer")
struct ManifestStorageTests {
    /// Entries with every field and every kind of character the escaping handles.
    static func sampleEntries(count: Int) -> [ManifestEntry] {
        let policy = HeaderPolicy(rules: [HeaderRule(pattern: "**/*.css", cacheControl: "no-cache", extra: [("X-Frame-Options", "DENY")])])
        let odd = ["tab\there", "quote\"and\\back", "new\nline", "ctl\u{01}\u{1f}", "café/naïve", "日本語/ページ", "emoji 🙂", "plain"]
        var entries: [ManifestEntry] = []
        for i in 0..<count {
            let name = odd[i % odd.count] + "-\(i)"
            let path = i % 3 == 0 ? "dir\(i % 7)/\(name).css" : "dir\(i % 5)/\(name)/index.html"
            var headers = policy.headers(for: path)
            if i % 11 == 0 { headers.contentEncoding = "gzip" }
            let hash = ContentHash(of: "content \(i % 50)")
            entries.append(ManifestEntry(path: path, size: Int64(i * 37), hash: hash, headers: headers,
                                         aliasOf: i % 13 == 0 ? "dir0/plain-0/index.html" : nil))
        }
        return entries
    }

    @Test func canonicalTextIsTheJSONTreeSerialization() {
        let entries = Self.sampleEntries(count: 400)
        let manifest = Manifest(entries: entries)
        let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let reference = JSONValue.array(sorted.map(\.canonicalJSON)).serialized()
        #expect(manifest.canonicalEntries == reference)
        #expect(manifest.contentId == String(ContentHash(of: reference).hex.prefix(Manifest.contentIdLength)))
        #expect(Array(manifest.entries) == sorted)
    }

    @Test func streamingReaderReadsAnyChunking() throws {
        let manifest = Manifest(entries: Self.sampleEntries(count: 300), metadata: [("createdAt", "2026-11-27T00:00:00.000Z")])
        let bytes = Array(manifest.serialized().utf8)
        for chunk in [1, 7, 4096, bytes.count] {
            var reader = ManifestReader()
            var start = 0
            while start < bytes.count {
                let end = min(start + chunk, bytes.count)
                try bytes.withUnsafeBufferPointer { try reader.feed(UnsafeBufferPointer(rebasing: $0[start..<end])) }
                start = end
            }
            let parsed = try reader.finish()
            #expect(parsed == manifest, "chunk \(chunk)")
            #expect(parsed.contentId == manifest.contentId)
            #expect(parsed.metadata.map(\.1) == ["2026-11-27T00:00:00.000Z"])
        }
    }

    @Test func fileRoundTripOfALargeManifest() throws {
        let dir = try TempDir("manifest-file")
        let manifest = Manifest(entries: Self.sampleEntries(count: 20_000), version: "big-1")
        let path = dir.url("m.json")
        try manifest.write(toFile: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == manifest.serialized())
        let read = try Manifest.read(contentsOfFile: path)
        #expect(read == manifest)
        #expect(read.version == "big-1")
        #expect(read.contentId == manifest.contentId)
        let probe = manifest.entries[12_345]
        #expect(read.entry(at: probe.path) == probe)
        // An alias whose source is not in the manifest keeps its path.
        let alias = try #require(read.entries.first { $0.aliasOf != nil })
        #expect(alias.aliasOf == "dir0/plain-0/index.html")
    }

    @Test func readerAcceptsOtherLayoutsOfTheSameJSON() throws {
        // Pretty-printed, keys in another order, entries not last: still the same manifest.
        let text = """
        {
          "entries" : [
            { "size" : 3, "path" : "b.txt", "hash" : "\(ContentHash(of: "b").hex)",
              "contentType" : "text/plain", "cacheControl" : "no-cache" } ,
            {"path":"a.txt","size":1,"hash":"\(ContentHash(of: "a").hex.uppercased())","contentType":"text/plain","cacheControl":"no-cache",
             "headers":{"X-A":"[1,2]"}}
          ],
          "version" : "v1",
          "metadata" : {"note" : "entries: [ not here ]"}
        }
        """
        let manifest = try Manifest.parse(Data(text.utf8))
        #expect(manifest.version == "v1")
        #expect(manifest.entries.map(\.path) == ["a.txt", "b.txt"])
        #expect(manifest.entry(at: "a.txt")?.hash == ContentHash(of: "a"))
        #expect(manifest.entry(at: "a.txt")?.headers.extra.map(\.value) == ["[1,2]"])
        #expect(manifest.metadata.map(\.1) == ["entries: [ not here ]"])
    }

    @Test func damagedManifestsAreRefused() {
        let good = Manifest(entries: Self.sampleEntries(count: 3)).serialized()
        let damaged = [
            String(good.dropLast(10)),                                       // truncated
            good.replacingOccurrences(of: "},{", with: "}{"),                // missing comma between entries
            good.replacingOccurrences(of: "}]}", with: "},]}"),              // trailing comma
            good.replacingOccurrences(of: "\"entries\":[", with: "\"entries\":[1,"),  // an entry that is not an object
            good.replacingOccurrences(of: "\"version\"", with: "\"versio\""),  // no version
            good.replacingOccurrences(of: "\"hash\":\"", with: "\"hash\":\"zz"),  // bad hash
            "{\"version\":\"v\"}",                                             // no entries
            "[]",
        ]
        for text in damaged {
            #expect(throws: (any Error).self, "\(text.prefix(80))") { try Manifest.parse(Data(text.utf8)) }
        }
    }

    /// The head alone, as `versions` and prune read it: nothing after the entries' start is
    /// looked at, and its counts leave the page aliases out as the manifest's own do.
    @Test func theHeadIsReadWithoutTheEntries() throws {
        let manifest = Manifest(entries: Self.sampleEntries(count: 200), metadata: [("createdAt", "2026-11-28T10:00:00.000Z")])
        #expect(manifest.aliasCount > 0)
        let text = manifest.serialized()
        let entriesStart = try #require(text.range(of: ",\"entries\":[")).upperBound
        func head(_ sample: String, byteByByte: Bool = false) throws -> ManifestHead {
            var reader = Manifest.HeadReader()
            var complete = false
            for piece in byteByByte ? sample.utf8.map({ [$0] }) : [Array(sample.utf8)] where !complete {
                complete = try piece.withUnsafeBufferPointer { try reader.feed($0) }
            }
            return try reader.finish()
        }
        // The whole text, byte by byte, and a text whose entries are garbage: the same head.
        for sample in [try head(text), try head(text, byteByByte: true), try head(String(text[..<entriesStart]) + "no JSON {{{")] {
            #expect(sample.version == manifest.version && sample.createdAt == "2026-11-28T10:00:00.000Z")
            #expect(sample.fileCount == 200 && sample.siteFileCount == manifest.siteFileCount && sample.siteBytes == manifest.siteBytes)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("head-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data((String(text[..<entriesStart]) + String(repeating: "x", count: 200_000)).utf8).write(to: URL(fileURLWithPath: file))
        #expect(try Manifest.readHead(contentsOfFile: file).siteFileCount == manifest.siteFileCount)
        // A manifest written before heads counted aliases: no site counts (its entries tell).
        let older = text.replacingOccurrences(of: #","aliasCount":\d+,"aliasBytes":\d+"#, with: "", options: .regularExpression)
        #expect(older != text)
        let olderHead = try head(older)
        #expect(olderHead.version == manifest.version && olderHead.siteFileCount == nil && olderHead.siteBytes == nil)
        // A head that ends before the entries, names no version, or is of a newer format: refused.
        #expect(throws: (any Error).self) { try head(String(text.prefix(40))) }
        #expect(throws: (any Error).self) { try head(text.replacingOccurrences(of: "\"version\"", with: "\"versio\"")) }
        #expect(throws: ManifestFormatTooNew.self) { try head(text.replacingOccurrences(of: "\"sitebuild\":1", with: "\"sitebuild\":2")) }
        #expect(throws: (any Error).self) { try head("[]") }
    }

    @Test func weakAliasesGiveWayToRealFiles() {
        var builder = ManifestTableBuilder()
        let headers = HeaderPolicy().headers(for: "x.html")
        builder.append(path: "b/index.html", size: 1, hash: ContentHash(of: "b"), headers: headers)
        builder.append(path: "b.html", size: 2, hash: ContentHash(of: "own"), headers: headers)
        builder.append(path: "a/index.html", size: 1, hash: ContentHash(of: "a"), headers: headers)
        for (alias, row) in [("b.html", 0), ("a.html", 2)] {
            var aliasText = alias
            aliasText.withUTF8 { builder.appendWeakAlias(path: $0, headers: headers, aliasOfRow: row) }
        }
        let manifest = Manifest(table: builder.finish(), version: nil, metadata: [])
        #expect(manifest.entries.map(\.path) == ["a.html", "a/index.html", "b.html", "b/index.html"])
        #expect(manifest.entry(at: "a.html")?.aliasOf == "a/index.html")
        #expect(manifest.entry(at: "a.html")?.hash == ContentHash(of: "a"))
        #expect(manifest.entry(at: "b.html")?.aliasOf == nil)
        #expect(manifest.entry(at: "b.html")?.hash == ContentHash(of: "own"))
    }
}
