@testable import BuildRunner
import Foundation
import SiteContent
import Testing

/// A keyed cache entry that lost its key file (a run killed between the two writes) or has a
/// damaged or empty one is no entry: the next save writes it again, instead of a miss forever.
@Suite struct CacheEntryDamageTests {
    @Test func anEntryWithoutItsKeyFileIsWrittenAgain() throws {
        let h = try BuildHarness()
        try h.write("deps/a.js", "a")
        let cache = BuildCache(cacheDirectory: h.cache, sourceDirectory: h.source)
        #expect(try cache.save(key: "k1", keyed: true, paths: ["deps"], now: 1) == 1)
        #expect(try cache.save(key: "k1", keyed: true, paths: ["deps"], now: 2) == nil, "a whole keyed entry is not updated")
        let archive = cache.archivePath(for: "k1")
        let keyFile = String(archive.dropLast(4)) + ".json"
        for damage in [nil, "{\"key\":5}", "{\"ke"] as [String?] {
            if let damage { try Data(damage.utf8).write(to: URL(fileURLWithPath: keyFile)) } else { unlink(keyFile) }
            #expect(cache.find(key: "k1", fallbacks: []) == nil)
            #expect(try cache.save(key: "k1", keyed: true, paths: ["deps"], now: 3) == 1, "\(damage ?? "no key file")")
            #expect(cache.find(key: "k1", fallbacks: [])?.key == "k1")
        }
        // An empty archive (not even a tar's end blocks) is damage too.
        try Data().write(to: URL(fileURLWithPath: archive))
        #expect(cache.find(key: "k1", fallbacks: []) == nil)
        #expect(try cache.save(key: "k1", keyed: true, paths: ["deps"], now: 4) == 1)
        #expect(try cache.restore(#require(cache.find(key: "k1", fallbacks: [])), paths: ["deps"]).restored == 1)
        // An entry of no files (cache paths that name nothing yet) is one, and is kept.
        #expect(try cache.save(key: "none", keyed: true, paths: ["missing"], now: 5) == 0)
        #expect(cache.find(key: "none", fallbacks: []) != nil)
        #expect(try cache.save(key: "none", keyed: true, paths: ["missing"], now: 6) == nil)
    }

    @Test func aBuildNumberNoRunWroteIsSaidAndCountedAgain() throws {
        let h = try BuildHarness()
        let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo number=$CODEBUILD_BUILD_NUMBER\n"
        #expect(try h.run(spec).log.contains("number=1"))
        let numbers = h.cache + "/build-numbers"
        for bad in ["9223372036854775807", "-5", "garbage"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: numbers) where !name.hasPrefix(".") {
                try h.write(numbers + "/" + name, bad + "\n")
            }
            let run = try h.run(spec)
            #expect(run.log.contains("number=1"), "\(bad): \(run.log)")
            #expect(run.log.contains("build-numbers/") && run.log.contains("is not one sitebuild writes"), "\(bad): \(run.log)")
        }
        #expect(try h.run(spec).log.contains("number=2"))
    }
}
