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

    /// An entry no build has saved or restored for 30 days is removed when a build saves:
    /// the cache folder holds what builds use, not a copy per key ever written. A restore
    /// renews an entry's time, and one a build is reading (it holds the archive's lock) stays.
    @Test func entriesUnusedFor30DaysAreRemovedOnSave() throws {
        let h = try BuildHarness()
        try h.write("deps/a.js", "a")
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        let now = Date().timeIntervalSince1970
        for key in ["stale", "recent", "busy", "restored", "current"] {
            _ = try cache.save(key: key, keyed: true, paths: ["deps/**/*"], now: now)
        }
        func age(_ key: String, days: Double) throws {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: now - days * 86_400)],
                                                  ofItemAtPath: cache.archivePath(for: key))
        }
        try age("stale", days: 31)
        try age("recent", days: 29)
        try age("busy", days: 40)
        try age("restored", days: 40)
        try age("current", days: 40)
        let restored = try #require(cache.find(key: "restored", fallbacks: []))
        _ = try cache.restore(restored, paths: ["deps/**/*"])
        let reading = open(cache.archivePath(for: "busy"), O_RDONLY)
        defer { close(reading) }
        #expect(flock(reading, LOCK_SH) == 0)
        #expect(cache.removeUnused(now: now, keeping: "current") == 1)
        #expect(Set(cache.entries().map(\.key)) == ["recent", "busy", "restored", "current"])
        #expect(!FileManager.default.fileExists(atPath: cache.archivePath(for: "stale")))
        flock(reading, LOCK_UN)
        #expect(cache.removeUnused(now: now, keeping: "current") == 1)
        #expect(Set(cache.entries().map(\.key)) == ["recent", "restored", "current"])
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

    /// Regression: a symbolic link an entry writes (or one on disk) carried later entries out
    /// of what cache.paths names: `node_modules/link` -> `..` then `node_modules/link/page.html`
    /// replaced the site's page, and an absolute cache path's link wrote anywhere on the
    /// machine. Links themselves (node_modules/.bin) are still restored as links.
    @Test(arguments: ["relative link to ..", "absolute link elsewhere", "relative link on disk", "absolute link on disk",
                      "literal path made a link"])
    func noEntryIsWrittenThroughASymbolicLink(_ variant: String) throws {
        let h = try BuildHarness()
        let staging = h.root + "/staging"
        let victim = h.root + "/victim"
        let npm = h.root + "/home/.npm"
        for dir in [staging, victim, npm] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Data("owned".utf8).write(to: URL(fileURLWithPath: staging + "/owned"))
        try h.write("page.html", "<h1>real</h1>")
        var items: [ArchiveItem] = [
            ArchiveItem(path: "src/node_modules/pkg/bin.js", content: .file(sourcePath: staging + "/owned")),
            ArchiveItem(path: "src/node_modules/.bin/pkg", content: .symlink(target: "../pkg/bin.js")),
        ]
        var paths = ["node_modules/**/*", npm + "/**/*"]
        switch variant {
        case "relative link to ..":
            items += [ArchiveItem(path: "src/node_modules/link", content: .symlink(target: "..")),
                      ArchiveItem(path: "src/node_modules/link/page.html", content: .file(sourcePath: staging + "/owned"))]
        case "absolute link elsewhere":
            items += [ArchiveItem(path: "root" + npm + "/link", content: .symlink(target: victim)),
                      ArchiveItem(path: "root" + npm + "/link/pwned", content: .file(sourcePath: staging + "/owned"))]
        case "relative link on disk":
            try FileManager.default.createDirectory(atPath: h.source + "/node_modules", withIntermediateDirectories: true)
            symlink("..", h.source + "/node_modules/link")
            items += [ArchiveItem(path: "src/node_modules/link/page.html", content: .file(sourcePath: staging + "/owned"))]
        case "absolute link on disk":
            symlink(victim, npm + "/link")
            items += [ArchiveItem(path: "root" + npm + "/link/pwned", content: .file(sourcePath: staging + "/owned"))]
        default:
            // A literal cache path may itself be restored as a link (a cached file that is
            // one), but nothing is written below it.
            paths = ["node_modules/**/*", "vendor"]
            items += [ArchiveItem(path: "src/vendor", content: .symlink(target: victim)),
                      ArchiveItem(path: "src/vendor/pwned", content: .file(sourcePath: staging + "/owned"))]
        }
        let archive = h.root + "/evil.tar"
        try DeterministicArchive(format: .tar).write(items, to: archive)
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        let error = try #require(throws: ArchiveError.self) {
            try cache.restore(BuildCache.Entry(key: "deps-v1", archive: archive, created: 0), paths: paths)
        }
        #expect(error.description.contains("unsafe entry"))
        #expect(error.description.contains("symbolic link"))
        #expect(h.read("page.html") == "<h1>real</h1>")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty)
    }

    /// Links inside what cache.paths names are restored as links, absolute paths below a
    /// linked directory of the machine too (a home directory or /tmp behind a link).
    @Test func linksAreRestoredAsLinks() throws {
        let h = try BuildHarness()
        let staging = h.root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: h.root + "/real-home/.npm", withIntermediateDirectories: true)
        symlink(h.root + "/real-home", h.root + "/home")
        try Data("bin".utf8).write(to: URL(fileURLWithPath: staging + "/bin.js"))
        let archive = h.root + "/entry.tar"
        try DeterministicArchive(format: .tar).write([
            ArchiveItem(path: "src/node_modules/pkg/bin.js", content: .file(sourcePath: staging + "/bin.js")),
            ArchiveItem(path: "src/node_modules/.bin/pkg", content: .symlink(target: "../pkg/bin.js")),
            ArchiveItem(path: "root" + h.root + "/home/.npm/_cacache/index", content: .file(sourcePath: staging + "/bin.js")),
        ], to: archive)
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        let result = try cache.restore(BuildCache.Entry(key: "deps-v1", archive: archive, created: 0),
                                       paths: ["node_modules/**/*", h.root + "/home/.npm/**/*"])
        #expect(result.restored == 3)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: h.source + "/node_modules/.bin/pkg") == "../pkg/bin.js")
        #expect(h.read("node_modules/.bin/pkg") == "bin")
        #expect(h.read(h.root + "/real-home/.npm/_cacache/index") == "bin")
    }

    /// A literal cache path that is itself the user's link (`~/.npm -> /mnt/cache/npm`,
    /// `node_modules -> store/nm`) is restored through it, as the save followed it; an entry
    /// that would put a link there instead is refused.
    @Test func aLiteralCachePathThatIsTheUsersLinkIsRestoredThroughIt() throws {
        let h = try BuildHarness()
        let staging = h.root + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: staging + "/x"))
        try FileManager.default.createDirectory(atPath: h.root + "/volume/npm", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: h.root + "/home", withIntermediateDirectories: true)
        symlink(h.root + "/volume/npm", h.root + "/home/.npm")
        try FileManager.default.createDirectory(atPath: h.source + "/store/nm", withIntermediateDirectories: true)
        symlink("store/nm", h.source + "/node_modules")
        let archive = h.root + "/entry.tar"
        try DeterministicArchive(format: .tar).write([
            ArchiveItem(path: "src/node_modules/a.js", content: .file(sourcePath: staging + "/x")),
            ArchiveItem(path: "root" + h.root + "/home/.npm/index", content: .file(sourcePath: staging + "/x")),
        ], to: archive)
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        let paths = ["node_modules", h.root + "/home/.npm"]
        let result = try cache.restore(BuildCache.Entry(key: "k1", archive: archive, created: 0), paths: paths)
        #expect(result.restored == 2)
        #expect(h.read("store/nm/a.js") == "x")
        #expect(h.read(h.root + "/volume/npm/index") == "x")

        let planted = h.root + "/planted.tar"
        try FileManager.default.createDirectory(atPath: h.root + "/victim", withIntermediateDirectories: true)
        try DeterministicArchive(format: .tar).write([
            ArchiveItem(path: "root" + h.root + "/home/.npm", content: .symlink(target: h.root + "/victim")),
        ], to: planted)
        #expect(throws: ArchiveError.self) {
            try cache.restore(BuildCache.Entry(key: "k2", archive: planted, created: 0), paths: paths)
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: h.root + "/home/.npm") == h.root + "/volume/npm", "the user's link stays")
    }
}
