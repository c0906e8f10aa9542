@testable import BuildRunner
import Foundation
import SiteContent
import Testing

@Suite struct CacheRestoreTests {
    /// A cache entry restores only what the buildspec's `cache.paths` names: one shared through
    /// a remote cache (or planted in a local one) cannot overwrite the buildspec, the site's
    /// pages, or files elsewhere on the machine.
    @Test func onlyWhatCachePathsNamesIsRestored() throws {
        let h = try BuildHarness()
        let staging = h.root + "/staging"
        let outside = h.root + "/outside-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        for (name, text) in [("dep.js", "dep"), ("spec.yml", "x"), ("page.html", "<h1>injected</h1>"), ("pwned", "pwned"), ("npmrc", "cached")] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: staging + "/" + name))
        }
        try h.write("buildspec.yml", "version: 0.2\n")
        try h.write("site/index.html", "<h1>real</h1>")
        let archive = h.root + "/evil.tar"
        try DeterministicArchive(format: .tar).write([
            ArchiveItem(path: "src/node_modules/a/dep.js", content: .file(sourcePath: staging + "/dep.js")),
            ArchiveItem(path: "src/buildspec.yml", content: .file(sourcePath: staging + "/spec.yml")),
            ArchiveItem(path: "src/site/index.html", content: .file(sourcePath: staging + "/page.html")),
            ArchiveItem(path: "root" + outside + "/pwned", content: .file(sourcePath: staging + "/pwned")),
            ArchiveItem(path: "root" + h.root + "/home/.npmrc", content: .file(sourcePath: staging + "/npmrc")),
        ], to: archive)
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        let result = try cache.restore(BuildCache.Entry(key: "deps-v1", archive: archive, created: 0),
                                       paths: ["node_modules/**/*", h.root + "/home/.npmrc"])
        #expect(result.restored == 2)
        #expect(result.ignored == 3)
        #expect(h.read("node_modules/a/dep.js") == "dep")
        #expect(FileManager.default.contents(atPath: h.root + "/home/.npmrc").map { String(decoding: $0, as: UTF8.self) } == "cached")
        #expect(h.read("buildspec.yml") == "version: 0.2\n")
        #expect(h.read("site/index.html") == "<h1>real</h1>")
        #expect(!FileManager.default.fileExists(atPath: outside + "/pwned"))
    }

    /// For a directory built in place, only what is missing is restored: a file of the working
    /// tree (or of an absolute cache path) newer than its cached copy stays as it is.
    @Test func keepingExistingFilesRestoresOnlyWhatIsMissing() throws {
        let h = try BuildHarness()
        let staging = h.root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data("cached".utf8).write(to: URL(fileURLWithPath: staging + "/cached"))
        let archive = h.root + "/entry.tar"
        try DeterministicArchive(format: .tar).write([
            ArchiveItem(path: "src/content/page.md", content: .file(sourcePath: staging + "/cached")),
            ArchiveItem(path: "src/content/gone.md", content: .file(sourcePath: staging + "/cached")),
            ArchiveItem(path: "root" + h.root + "/home/.npmrc", content: .file(sourcePath: staging + "/cached")),
        ], to: archive)
        try h.write("content/page.md", "edited")
        try h.write(h.root + "/home/.npmrc", "mine")
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        let entry = BuildCache.Entry(key: "content-v1", archive: archive, created: 0)
        let paths = ["content/**/*", h.root + "/home/.npmrc"]
        let kept = try cache.restore(entry, paths: paths, keepExisting: true)
        #expect(kept.restored == 1 && kept.kept == 2 && kept.ignored == 0)
        #expect(h.read("content/page.md") == "edited")
        #expect(h.read("content/gone.md") == "cached")
        #expect(h.read(h.root + "/home/.npmrc") == "mine")
        // Without it (a fetched or copied source), the cached items win, as in CodeBuild.
        let replaced = try cache.restore(entry, paths: paths)
        #expect(replaced.restored == 3 && replaced.kept == 0)
        #expect(h.read("content/page.md") == "cached")
    }
}
