import Foundation
@testable import SiteContent
import Testing

@Suite("FileWalker")
struct FileWalkerTests {
    /// root/
    ///   .hidden, A.txt, b.txt (5 bytes)
    ///   a/z.txt, a/y/deep.txt
    ///   link-to-a -> a, link-to-file -> b.txt, broken -> nowhere
    static func makeTree() throws -> TemporaryDirectory {
        let tmp = try TemporaryDirectory("filewalker")
        try tmp.write(".hidden", "h")
        try tmp.write("A.txt", "upper")
        try tmp.write("b.txt", "bbbbb")
        try tmp.write("a/z.txt", "z")
        try tmp.write("a/y/deep.txt", "deep")
        try tmp.symlink("link-to-a", to: "a")
        try tmp.symlink("link-to-file", to: "b.txt")
        try tmp.symlink("broken", to: "nowhere")
        return tmp
    }

    /// A folder unread for want of open files or memory is this process's limit, not the
    /// input's state: it is told apart (deploy and hash then exit 3 and say to raise ulimit -n,
    /// not to fix permissions).
    @Test func runningOutOfDescriptorsIsNotUnreadable() {
        for code in [EMFILE, ENFILE, ENOMEM, ENOBUFS] {
            guard case .exhausted = FileWalker.readProblem(code) else { Issue.record("\(code)"); continue }
        }
        for code in [EACCES, EPERM, ENAMETOOLONG, EIO] {
            guard case .unreadable = FileWalker.readProblem(code) else { Issue.record("\(code)"); continue }
        }
    }

    @Test func sortedDepthFirstWithoutFollowing() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        let entries = FileWalker().walk(tmp.path)
        #expect(entries.map(\.path) == [".hidden", "A.txt", "a/y/deep.txt", "a/z.txt", "b.txt", "broken", "link-to-a", "link-to-file"])
        #expect(entries.map(\.kind) == [
            .file, .file, .file, .file, .file,
            .symlink(target: "nowhere"), .symlink(target: "a"), .symlink(target: "b.txt"),
        ])
    }

    @Test func outputIsByteWiseSortedAndStable() throws {
        let tmp = try TemporaryDirectory("filewalker")
        defer { tmp.remove() }
        // Created in an order unlike the sorted one; upper case sorts before lower case.
        for name in ["zeta", "Alpha", "beta", "_under", "10", "9", "été", "Zeta"] {
            try tmp.write(name, name)
        }
        let paths = FileWalker().walk(tmp.path).map(\.path)
        #expect(paths == ["10", "9", "Alpha", "Zeta", "_under", "beta", "zeta", "été"])
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(FileWalker().walk(tmp.path) == FileWalker().walk(tmp.path))
    }

    @Test func childrenFollowTheirDirectory() throws {
        let tmp = try TemporaryDirectory("filewalker")
        defer { tmp.remove() }
        try tmp.write("a-c", "")
        try tmp.write("a/b", "")
        // Depth-first: the directory `a` (name sorts before `a-c`) is listed with its contents first.
        #expect(FileWalker().walk(tmp.path).map(\.path) == ["a/b", "a-c"])
    }

    @Test func entryMetadata() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        try tmp.setModificationDate("b.txt", secondsSince1970: 981_173_106)
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: tmp.url("b.txt"))
        let entry = try #require(FileWalker().walk(tmp.path).first { $0.path == "b.txt" })
        #expect(entry.size == 5)
        #expect(entry.mtimeNanoseconds == 981_173_106 * 1_000_000_000)
        #expect(entry.mode & 0o7777 == 0o750)
        #expect(entry.mode & UInt32(S_IFMT) == UInt32(S_IFREG))
        var st = stat()
        #expect(lstat(tmp.url("b.txt"), &st) == 0)
        #expect(entry.inode == UInt64(st.st_ino))
        #expect(entry.device == UInt64(st.st_dev))
    }

    @Test func symlinkEntriesDescribeTheLinkItself() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        let link = try #require(FileWalker().walk(tmp.path).first { $0.path == "link-to-file" })
        #expect(link.kind == .symlink(target: "b.txt"))
        #expect(link.mode & UInt32(S_IFMT) == UInt32(S_IFLNK))
        #expect(link.size == Int64("b.txt".utf8.count))
    }

    @Test func followingSymlinks() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        let entries = FileWalker(followSymlinks: true).walk(tmp.path)
        #expect(entries.map(\.path) == [
            ".hidden", "A.txt", "a/y/deep.txt", "a/z.txt", "b.txt", "broken",
            "link-to-a/y/deep.txt", "link-to-a/z.txt", "link-to-file",
        ])
        let byPath = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
        // A followed link is reported as what it points at.
        #expect(byPath["link-to-file"]?.kind == .file)
        #expect(byPath["link-to-file"]?.size == 5)
        #expect(byPath["link-to-file"]?.inode == byPath["b.txt"]?.inode)
        #expect(byPath["link-to-a/z.txt"]?.inode == byPath["a/z.txt"]?.inode)
        // A broken link stays a symlink.
        #expect(byPath["broken"]?.kind == .symlink(target: "nowhere"))
    }

    @Test func includeDirectories() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        let entries = FileWalker(includeDirectories: true).walk(tmp.path)
        #expect(entries.filter { $0.kind == .directory }.map(\.path) == ["a", "a/y"])
        #expect(entries.map(\.path).prefix(5) == [".hidden", "A.txt", "a", "a/y", "a/y/deep.txt"])
        let followed = FileWalker(followSymlinks: true, includeDirectories: true).walk(tmp.path)
        #expect(followed.filter { $0.kind == .directory }.map(\.path) == ["a", "a/y", "link-to-a", "link-to-a/y"])
    }

    @Test(.timeLimit(.minutes(1)))
    func symlinkLoopsTerminateWhenFollowing() throws {
        let tmp = try TemporaryDirectory("filewalker")
        defer { tmp.remove() }
        try tmp.write("top.txt", "t")
        try tmp.write("p/file.txt", "p")
        try tmp.write("q/file.txt", "q")
        try tmp.symlink("self", to: ".")          // the root itself
        try tmp.symlink("p/up", to: "..")         // an ancestor
        try tmp.symlink("p/to-q", to: "../q")     // p and q point at each other
        try tmp.symlink("q/to-p", to: "../p")
        let entries = FileWalker(followSymlinks: true).walk(tmp.path)
        #expect(entries.map(\.path) == [
            "p/file.txt", "p/to-q/file.txt",
            "q/file.txt", "q/to-p/file.txt",
            "top.txt",
        ])
        // Without following, the links are just links.
        #expect(FileWalker().walk(tmp.path).map(\.path) == ["p/file.txt", "p/to-q", "p/up", "q/file.txt", "q/to-p", "self", "top.txt"])
    }

    @Test func linkToASiblingDirectoryIsNotALoop() throws {
        let tmp = try TemporaryDirectory("filewalker")
        defer { tmp.remove() }
        try tmp.write("shared/x.txt", "x")
        try tmp.symlink("one", to: "shared")
        try tmp.symlink("two", to: "shared")
        let paths = FileWalker(followSymlinks: true).walk(tmp.path).map(\.path)
        #expect(paths == ["one/x.txt", "shared/x.txt", "two/x.txt"])
    }

    @Test func prefixIsPrependedToPaths() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        let paths = FileWalker().walk(tmp.url("a"), prefix: "site/a").map(\.path)
        #expect(paths == ["site/a/y/deep.txt", "site/a/z.txt"])
        // A trailing slash on the root changes nothing.
        #expect(FileWalker().walk(tmp.url("a") + "/").map(\.path) == ["y/deep.txt", "z.txt"])
    }

    @Test func missingRootAndEmptyDirectory() throws {
        let tmp = try TemporaryDirectory("filewalker")
        defer { tmp.remove() }
        #expect(FileWalker().walk(tmp.url("does-not-exist")).isEmpty)
        try tmp.mkdir("empty/inner")
        #expect(FileWalker().walk(tmp.path).isEmpty)
        #expect(FileWalker(includeDirectories: true).walk(tmp.path).map(\.path) == ["empty", "empty/inner"])
    }

    @Test func rootThatIsASymlinkIsWalked() throws {
        let tmp = try Self.makeTree()
        defer { tmp.remove() }
        #expect(FileWalker().walk(tmp.url("link-to-a")).map(\.path) == ["y/deep.txt", "z.txt"])
    }

    /// Names of every length up to the 255-byte limit, many to a directory, so records end
    /// at every offset of readdir's buffer: each name comes back whole and exact.
    @Test func longNamesAtEveryRecordOffset() throws {
        let tmp = try TemporaryDirectory("filewalker-names")
        defer { tmp.remove() }
        var expected: [String] = []
        for length in 1...255 {
            let name = String(repeating: Character(UnicodeScalar(UInt8(97 + length % 26))), count: length - 1) + "\(length % 10)"
            try tmp.write("d/" + name, "x")
            expected.append("d/" + name)
        }
        try tmp.write("d/" + String(repeating: "é", count: 127), "two-byte letters: 254 bytes")
        expected.append("d/" + String(repeating: "é", count: 127))
        let walked = FileWalker().walk(tmp.path).map(\.path)
        #expect(walked == expected.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        var visited: [String] = []
        FileWalker().walk(tmp.path) { visited.append($0.path) }
        #expect(visited == walked)
    }
}
