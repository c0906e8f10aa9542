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
}
