import Foundation
import SiteContent
import Testing

@Suite struct FileCopyTests {
    /// A path chosen as one file and swapped for a link to another (a race by a build's own
    /// process) is not copied: the copy checks the device and inode it was chosen with.
    @Test func aFileSwappedForALinkAfterItWasChosenIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("filecopy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("site page".utf8).write(to: URL(fileURLWithPath: dir + "/x"))
        try Data("root only".utf8).write(to: URL(fileURLWithPath: dir + "/secret"))
        var chosen = stat()
        #expect(stat(dir + "/x", &chosen) == 0)
        let identity = FileWalker.identity(chosen)
        try FileCopy.copyContents(of: dir + "/x", to: dir + "/copy1", identity: identity)
        #expect(FileManager.default.contents(atPath: dir + "/copy1") == Data("site page".utf8))
        unlink(dir + "/x")
        symlink(dir + "/secret", dir + "/x")
        #expect(throws: ArchiveError.self) { try FileCopy.copyContents(of: dir + "/x", to: dir + "/copy2", identity: identity) }
        #expect(!FileManager.default.fileExists(atPath: dir + "/copy2"))
        // The archive writer checks the same way.
        var item = ArchiveItem(path: "x", content: .file(sourcePath: dir + "/x"))
        item.identity = identity
        #expect(throws: ArchiveError.self) { try DeterministicArchive(format: .zip).write([item], to: dir + "/a.zip") }
        item.identity = nil
        try DeterministicArchive(format: .zip).write([item], to: dir + "/b.zip")
    }

    /// The buffer is sized to the file: a fresh zero-filled 1 MiB per file made a 10,000-file
    /// copy fault in 2.5 million pages (25 s, most of it in the kernel, where cp took 1.4 s).
    @Test func theBufferFitsTheFile() {
        #expect(FileCopy.bufferSize(forFileOf: 0) == 4096)
        #expect(FileCopy.bufferSize(forFileOf: 11) == 4096)
        #expect(FileCopy.bufferSize(forFileOf: 100_000) == 100_000)
        #expect(FileCopy.bufferSize(forFileOf: 50 << 20) == 1 << 20)
    }

    /// Files around the buffer's sizes are copied whole, and the hash fed while copying is
    /// the file's.
    @Test func filesOfEverySizeAreCopiedWholeAndHashed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("filecopy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for size in [0, 1, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20, (1 << 20) + 3, 3 << 20] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in"))
            let hasher = ContentHasher()
            let copied = try FileCopy.copyContents(of: dir + "/in", to: dir + "/out", hashing: hasher)
            #expect(copied == Int64(size))
            #expect(FileManager.default.contents(atPath: dir + "/out") == Data(bytes), "\(size)")
            #expect(hasher.finalize() == ContentHash(of: bytes), "\(size)")
        }
    }
}
