import Foundation
import SiteContent
import Testing

@Suite("SafeExtractor: good archives")
struct SafeExtractorTests {
    @Test func zipWithDirectoriesLinksAndAnExecutableBit() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let zip = box.archive("site.zip")
        try ArchiveFixtures.write([
            .init("assets/", kind: .dir),
            .init("assets/site.css", "body{}"),
            .init("index.html", "<h1>home</h1>"),
            .init("build.sh", "#!/bin/sh\necho hi\n", mode: 0o755),
            .init("café/naïve.txt", "unicode"),
            .init("home.html", kind: .symlink, target: "index.html"),
            .init("static", kind: .symlink, target: "assets"),
        ], format: .zip, to: zip)
        let summary = try SafeExtractor().extract(zip, to: box.destination)
        #expect(summary.files == 4)
        #expect(summary.symbolicLinks == 2)
        let dest = box.destination
        #expect(try String(contentsOfFile: dest + "/index.html", encoding: .utf8) == "<h1>home</h1>")
        #expect(try String(contentsOfFile: dest + "/café/naïve.txt", encoding: .utf8) == "unicode")
        #expect(fileMode(dest + "/build.sh")?.permissions == 0o755)
        #expect(fileMode(dest + "/index.html")?.permissions == 0o644)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dest + "/home.html") == "index.html")
        #expect(try String(contentsOfFile: dest + "/static/site.css", encoding: .utf8) == "body{}")
        // Only the destination was created in the work directory: no temporary left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.work) == ["src"])
    }

    @Test func tarGzipFromPython() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let tgz = box.archive("site.tar.gz")
        try ArchiveFixtures.write([
            .init("dist", kind: .dir),
            .init("dist/index.html", "tgz"),
            .init("dist/run", "#!/bin/sh\n", mode: 0o700),
            .init("dist/same.html", kind: .hardlink, target: "dist/index.html"),
        ], format: .tgz, to: tgz)
        let summary = try SafeExtractor().extract(tgz, to: box.destination)
        #expect(summary.hardLinks == 1)
        #expect(try String(contentsOfFile: box.destination + "/dist/same.html", encoding: .utf8) == "tgz")
        #expect(fileMode(box.destination + "/dist/run")?.permissions == 0o755)
    }

    @Test func tarZstdFromTheDeterministicWriter() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        try box.directory.write("in/a.txt", "zstd")
        try box.directory.write("in/b/c.txt", "nested")
        var writer = DeterministicArchive(format: .tar, timestamp: 1_700_000_000)
        writer.compression = .zstd
        let archive = box.archive("site.tar.zst")
        try writer.write([ArchiveItem(path: "a.txt", content: .file(sourcePath: box.directory.url("in/a.txt"))),
                          ArchiveItem(path: "b/c.txt", content: .file(sourcePath: box.directory.url("in/b/c.txt")))], to: archive)
        try SafeExtractor().extract(archive, to: box.destination)
        #expect(try String(contentsOfFile: box.destination + "/b/c.txt", encoding: .utf8) == "nested")
        var st = stat()
        #expect(lstat(box.destination + "/a.txt", &st) == 0 && st.st_mtim.tv_sec == 1_700_000_000)
    }

    @Test func dotDotInsideANameAndDotComponentsAreFine() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let tar = box.archive("dots.tar")
        try ArchiveFixtures.write([.init("./a..b/./c..txt", "ok"), .init("./", kind: .dir)], format: .tar, to: tar)
        try SafeExtractor().extract(tar, to: box.destination)
        #expect(FileManager.default.fileExists(atPath: box.destination + "/a..b/c..txt"))
    }

    @Test func theDestinationMustNotExist() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let tar = box.archive("a.tar")
        try ArchiveFixtures.write([.init("a", "a")], format: .tar, to: tar)
        try FileManager.default.createDirectory(atPath: box.destination, withIntermediateDirectories: true)
        let error = try #require(throws: ExtractionError.self) { try SafeExtractor().extract(tar, to: box.destination) }
        #expect(error.description.contains("already exists"))
    }

    @Test func escapingShowsRawBytes() {
        #expect(ExtractionError.escaped(Array("plain/é.txt".utf8)) == "plain/é.txt")
        #expect(ExtractionError.escaped([0x63, 0x61, 0x66, 0xE9, 0x2E, 0x68]) == "caf\\xE9.h")
        #expect(ExtractionError.escaped([0x61, 0x0A, 0x5C, 0xC3, 0xA9, 0xFF]) == "a\\x0A\\\\é\\xFF")
    }
}

@Suite("SafeExtractor: hostile archives are refused and leave nothing behind")
struct SafeExtractorHostileTests {
    /// Extracts, expecting a refusal with `code` whose message names the archive and has `fragments`.
    func expectRefused(_ archive: String, in box: ExtractionSandbox, limits: ExtractionLimits = .standard,
                       _ code: ExtractionError.Code, _ fragments: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let error = try #require(throws: ExtractionError.self, sourceLocation: sourceLocation) {
            try SafeExtractor(limits: limits).extract(archive, to: box.destination)
        }
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(archive + ": "), "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(fragment)' not in: \(error)", sourceLocation: sourceLocation)
        }
        box.expectNothingWritten(sourceLocation: sourceLocation)
    }

    @Test(arguments: [ArchiveFixtures.Format.zip, .tar, .tgz])
    func pathTraversal(_ format: ArchiveFixtures.Format) throws {
        for name in ["../escaped", "../../escaped", "../../sentinel/escaped", "fine/../../../escaped", "a\\..\\..\\escaped"] {
            let box = try ExtractionSandbox()
            defer { box.remove() }
            let archive = box.archive("evil.\(format.rawValue)")
            try ArchiveFixtures.write([.init("first.txt", "written first"), .init(name, "owned")], format: format, to: archive)
            // libarchive reads backslashes in ZIP names as the separators Windows tools meant.
            let shown = format == .zip ? name.replacingOccurrences(of: "\\", with: "/") : ExtractionError.escaped(Array(name.utf8))
            try expectRefused(archive, in: box, .pathTraversal, ["the entry '\(shown)'", "'..'", "outside the extraction directory"])
        }
    }

    @Test(arguments: [ArchiveFixtures.Format.zip, .tar])
    func absolutePaths(_ format: ArchiveFixtures.Format) throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("evil.\(format.rawValue)")
        let name = box.sentinel + "/owned"
        try ArchiveFixtures.write([.init("ok.txt", "ok"), .init(name, "owned")], format: format, to: archive)
        try expectRefused(archive, in: box, .absolutePath, ["the entry '\(name)'", "absolute"])
    }

    /// A link pointing out, then a file written "through" it.
    @Test(arguments: [ArchiveFixtures.Format.zip, .tar])
    func symlinkEscapingThenAFileThroughIt(_ format: ArchiveFixtures.Format) throws {
        for target in ["../../sentinel", "ABSOLUTE", "sub/../../..", "../src/../../sentinel"] {
            let box = try ExtractionSandbox()
            defer { box.remove() }
            let linkTarget = target == "ABSOLUTE" ? box.sentinel : target
            let archive = box.archive("evil.\(format.rawValue)")
            try ArchiveFixtures.write([.init("escape", kind: .symlink, target: linkTarget), .init("escape/payload", "owned")],
                                      format: format, to: archive)
            try expectRefused(archive, in: box, .symlinkEscape, ["the entry 'escape'", "symbolic link to '\(linkTarget)'", "outside"])
        }
    }

    /// `a -> .` is harmless alone; `b -> a/..` then leads out of the root. Either order.
    @Test func symlinkChainsThatEscapeOnlyTogether() throws {
        for entries: [ArchiveFixtures.Entry] in [
            [.init("a", kind: .symlink, target: "."), .init("b", kind: .symlink, target: "a/..")],
            [.init("b", kind: .symlink, target: "a/.."), .init("a", kind: .symlink, target: ".")],
            [.init("d/a", kind: .symlink, target: ".."), .init("d/b", kind: .symlink, target: "a/../..")],
            [.init("d/b", kind: .symlink, target: "a/../.."), .init("d/a", kind: .symlink, target: "..")],
        ] {
            let box = try ExtractionSandbox()
            defer { box.remove() }
            let archive = box.archive("chain.tar")
            try ArchiveFixtures.write(entries, format: .tar, to: archive)
            try expectRefused(archive, in: box, .symlinkEscape, ["symbolic link", "outside"])
        }
    }

    @Test func aFileBelowAnInsideLinkIsRefusedByLibarchive() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("through.tar")
        try ArchiveFixtures.write([.init("real", kind: .dir), .init("alias", kind: .symlink, target: "real"),
                                   .init("alias/file", "x")], format: .tar, to: archive)
        try expectRefused(archive, in: box, .symlinkEscape, ["the entry 'alias/file'", "would be written through a symbolic link",
                                                            "Cannot extract through symlink alias/file"])
    }

    @Test func hardLinksOutside() throws {
        for (target, fragment) in [("../../secret.txt", "outside the extraction directory"), ("ABSOLUTE", "outside the extraction directory"),
                                   ("not-extracted.txt", "not a file extracted earlier")] {
            let box = try ExtractionSandbox()
            defer { box.remove() }
            let linkTarget = target == "ABSOLUTE" ? box.secret : target
            let archive = box.archive("hard.tar")
            try ArchiveFixtures.write([.init("ok.txt", "ok"), .init("stolen", kind: .hardlink, target: linkTarget)], format: .tar, to: archive)
            try expectRefused(archive, in: box, .hardLinkEscape, ["the entry 'stolen'", "hard link", fragment])
        }
    }

    @Test func zipBombPassesTheTotalLimit() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("bomb.zip")
        // Eight entries of 4 MiB of zeros: about 40 KiB compressed, 32 MiB expanded.
        let entries = (0..<8).map { ArchiveFixtures.Entry("zeros-\($0).bin", "\u{0}", repeatCount: 4 << 20) }
        try ArchiveFixtures.write(entries, format: .zip, to: archive)
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int ?? 0
        #expect(size < 1 << 20)
        let limits = ExtractionLimits(totalBytes: 10 << 20, fileBytes: 8 << 20, entries: 100)
        try expectRefused(archive, in: box, limits: limits, .archiveTooLarge, ["the entry 'zeros-2.bin'", "limit of 10 MiB", "zip bomb"])
    }

    @Test func oneHugeEntryPassesThePerFileLimit() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("big.tar.gz")
        try ArchiveFixtures.write([.init("small.txt", "s"), .init("huge.bin", "\u{0}", repeatCount: 3 << 20)], format: .tgz, to: archive)
        let limits = ExtractionLimits(totalBytes: 100 << 20, fileBytes: 1 << 20, entries: 100)
        try expectRefused(archive, in: box, limits: limits, .fileTooLarge, ["the entry 'huge.bin'", "per-file limit of 1 MiB"])
    }

    /// Two entries of one name (a listing, or a review, shows one and the extraction would keep
    /// the other) and an entry below a file are refused, in either format; a directory named
    /// twice is no clash.
    @Test(arguments: [ArchiveFixtures.Format.zip, .tgz])
    func entriesThatClashAreRefused(format: ArchiveFixtures.Format) throws {
        let cases: [([ArchiveFixtures.Entry], [String])] = [
            ([.init("index.html", "reviewed"), .init("index.html", "deployed")], ["the entry 'index.html'", "appears twice in the archive"]),
            ([.init("x", "a file"), .init("x/y", "below it")], ["the entry 'x/y'", "is below 'x', which the archive has as a file"]),
            ([.init("d/f", "in d"), .init("d", "d again, as a file")], ["the entry 'd'", "appears twice", "as a directory"]),
            ([.init("link", kind: .symlink, target: "index.html"), .init("index.html", "i"), .init("link", "now a file")],
             ["the entry 'link'", "appears twice", "as a symbolic link"]),
        ]
        for (entries, fragments) in cases {
            let box = try ExtractionSandbox()
            defer { box.remove() }
            let archive = box.archive(format == .zip ? "clash.zip" : "clash.tar.gz")
            try ArchiveFixtures.write(entries, format: format, to: archive)
            try expectRefused(archive, in: box, .conflictingEntries, fragments)
        }
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive(format == .zip ? "dirs.zip" : "dirs.tar.gz")
        try ArchiveFixtures.write([.init("d/", kind: .dir), .init("d/f", "f"), .init("d/", kind: .dir)], format: format, to: archive)
        #expect(try SafeExtractor().extract(archive, to: box.destination).files == 1)
    }

    @Test func tooManyEntries() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("many.zip")
        try ArchiveFixtures.write((0..<11).map { .init("f\($0)", "x") }, format: .zip, to: archive)
        let limits = ExtractionLimits(totalBytes: 1 << 20, fileBytes: 1 << 20, entries: 10)
        try expectRefused(archive, in: box, limits: limits, .tooManyEntries, ["more than 10 entries"])
    }

    @Test(arguments: [ArchiveFixtures.Format.zip, .tgz])
    func truncatedArchive(_ format: ArchiveFixtures.Format) throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let whole = box.archive("whole.\(format.rawValue)")
        // Incompressible content, so cutting the archive cuts file data.
        var generator = SystemRandomNumberGenerator()
        let noise = String((0..<200_000).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &generator))) })
        try ArchiveFixtures.write([.init("a.txt", noise), .init("b.txt", noise)], format: format, to: whole)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = box.archive("cut.\(format.rawValue)")
        try bytes.prefix(bytes.count * 3 / 4).write(to: URL(fileURLWithPath: cut))
        let error = try #require(throws: ExtractionError.self) { try SafeExtractor().extract(cut, to: box.destination) }
        #expect(error.code == .damaged || error.code == .notAnArchive, "\(error)")
        #expect(error.description.hasPrefix(cut + ": "))
        #expect(error.description.contains("damaged or truncated") || error.description.contains("not a ZIP or tar archive"), "\(error)")
        box.expectNothingWritten()
        // Cut before its first entry's header: still damaged, not "not an archive".
        if format == .tgz {
            let head = box.archive("head.tar.gz")
            try bytes.prefix(200).write(to: URL(fileURLWithPath: head))
            let early = try #require(throws: ExtractionError.self) { try SafeExtractor().extract(head, to: box.destination) }
            #expect(early.code == .damaged && early.description.contains("it is damaged or truncated"), "\(early)")
            box.expectNothingWritten()
        }
    }

    @Test(arguments: [ArchiveFixtures.Format.zip, .tar])
    func nonUTF8Names(_ format: ArchiveFixtures.Format) throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("latin1.\(format.rawValue)")
        // "caf\xE9.html": Latin-1, not UTF-8.
        try ArchiveFixtures.write([.init("ok.txt", "ok"), .init("cafX.html", "x", rawNameHex: "636166e92e68746d6c")], format: format, to: archive)
        try expectRefused(archive, in: box, .nonUTF8Name, ["caf\\xE9.html", "not valid UTF-8", "UTF-8 file names"])
    }

    @Test func deviceFifoEntries() throws {
        for (kind, words) in [(ArchiveFixtures.Entry.Kind.chr, "a character device"), (.blk, "a block device"), (.fifo, "a FIFO")] {
            let box = try ExtractionSandbox()
            defer { box.remove() }
            let archive = box.archive("dev.tar")
            try ArchiveFixtures.write([.init("ok.txt", "ok"), .init("dev/thing", kind: kind)], format: .tar, to: archive)
            try expectRefused(archive, in: box, .specialFile, ["the entry 'dev/thing'", words, "only files, directories and symbolic links"])
        }
    }

    @Test func notAnArchiveOrMissing() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let junk = box.archive("junk.zip")
        try Data(String(repeating: "not an archive ", count: 100).utf8).write(to: URL(fileURLWithPath: junk))
        try expectRefused(junk, in: box, .notAnArchive, ["not a ZIP or tar archive"])
        try expectRefused(box.archive("missing.zip"), in: box, .unreadable, ["cannot read the archive"])
    }

    @Test func errorsNameTheArchiveAsGiven() throws {
        let box = try ExtractionSandbox()
        defer { box.remove() }
        let archive = box.archive("evil.zip")
        try ArchiveFixtures.write([.init("../x", "x")], format: .zip, to: archive)
        let error = try #require(throws: ExtractionError.self) {
            try SafeExtractor().extract(archive, to: box.destination, named: "s3://bucket/evil.zip")
        }
        #expect(error.description.hasPrefix("s3://bucket/evil.zip: the entry '../x' "))
        #expect(error.entry == "../x")
    }
}
