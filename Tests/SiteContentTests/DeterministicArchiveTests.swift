import Foundation
import SiteContent
import Testing

@Suite("DeterministicArchive and ArchiveReader")
struct DeterministicArchiveTests {
    static let fixedTime: Int64 = 315_532_800 // 1980-01-01T00:00:00Z

    /// Source files for an archive: several directories, an executable, an empty file.
    static func makeSources(in tmp: TemporaryDirectory, under dir: String = "src") throws -> [ArchiveItem] {
        let files: [(String, String, Bool)] = [
            ("index.html", "<h1>hello</h1>\n", false),
            ("assets/site.css", String(repeating: "body { margin: 0 }\n", count: 200), false),
            ("bin/deploy.sh", "#!/bin/sh\necho deploy\n", true),
            ("empty.txt", "", false),
            ("B.txt", "upper", false),
            ("a-b.txt", "dash", false),
        ]
        var items: [ArchiveItem] = []
        for (path, contents, executable) in files {
            let full = try tmp.write("\(dir)/\(path)", contents, permissions: executable ? 0o755 : 0o644)
            items.append(ArchiveItem(path: path, content: .file(sourcePath: full), executable: executable))
        }
        return items
    }

    static func read(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test func zipIsByteIdenticalAcrossMtimesOrderAndSourceLocation() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        for (i, item) in items.enumerated() {
            try tmp.setModificationDate("src/\(item.path)", secondsSince1970: 1_000_000_000 + Double(i) * 7)
        }
        let archive = DeterministicArchive(format: .zip, timestamp: Self.fixedTime)
        try archive.write(items, to: tmp.url("first.zip"))

        // Same bytes, other mtimes (and other permissions on disk), other order.
        for (i, item) in items.enumerated() {
            try tmp.setModificationDate("src/\(item.path)", secondsSince1970: 1_600_000_000 + Double(i) * 13)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp.url("src/index.html"))
        try archive.write(items.reversed(), to: tmp.url("second.zip"))

        // A copy of the tree elsewhere, with yet other mtimes.
        let copies = try Self.makeSources(in: tmp, under: "copy")
        for item in copies {
            if case .file(let source) = item.content {
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_234_567_890)], ofItemAtPath: source)
            }
        }
        try archive.write(copies.shuffled(), to: tmp.url("third.zip"))

        let first = try Self.read(tmp.url("first.zip"))
        #expect(first.count > 100)
        #expect(Array(first.prefix(4)) == [0x50, 0x4B, 0x03, 0x04]) // "PK\3\4"
        #expect(first == (try Self.read(tmp.url("second.zip"))))
        #expect(first == (try Self.read(tmp.url("third.zip"))))
    }

    @Test func zipStoresTheFixedTimeAsUTCDOSTime() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let file = try tmp.write("x.txt", "x")
        // 2001-02-03 04:05:06 UTC
        try DeterministicArchive(format: .zip, timestamp: 981_173_106)
            .write([ArchiveItem(path: "x.txt", content: .file(sourcePath: file))], to: tmp.url("x.zip"))
        let bytes = Array(try Self.read(tmp.url("x.zip")))
        let dosTime = UInt16(bytes[10]) | UInt16(bytes[11]) << 8
        let dosDate = UInt16(bytes[12]) | UInt16(bytes[13]) << 8
        #expect(dosTime == (4 << 11) | (5 << 5) | (6 / 2))
        #expect(dosDate == ((2001 - 1980) << 9) | (2 << 5) | 3)
    }

    @Test func timestampOptionChangesTheBytes() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        try DeterministicArchive(format: .zip, timestamp: Self.fixedTime).write(items, to: tmp.url("a.zip"))
        try DeterministicArchive(format: .zip, timestamp: 1_700_000_000).write(items, to: tmp.url("b.zip"))
        try DeterministicArchive(format: .zip, timestamp: 1_700_000_000).write(items, to: tmp.url("c.zip"))
        let a = try Self.read(tmp.url("a.zip")), b = try Self.read(tmp.url("b.zip"))
        #expect(a != b)
        #expect(a.count == b.count)
        #expect(b == (try Self.read(tmp.url("c.zip"))))
        try DeterministicArchive(format: .tar, timestamp: Self.fixedTime).write(items, to: tmp.url("a.tar"))
        try DeterministicArchive(format: .tar, timestamp: 1_700_000_000).write(items, to: tmp.url("b.tar"))
        #expect(try Self.read(tmp.url("a.tar")) != (try Self.read(tmp.url("b.tar"))))
    }

    @Test(arguments: [DeterministicArchive.Format.zip, .tar])
    func entriesAreSortedBytewise(_ format: DeterministicArchive.Format) throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        try DeterministicArchive(format: format, timestamp: Self.fixedTime).write(items.shuffled(), to: tmp.url("out.archive"))
        let written = try ArchiveReader.extract(tmp.url("out.archive"), to: tmp.url("x"))
        let prefix = tmp.url("x") + "/"
        #expect(written.map { String($0.dropFirst(prefix.count)) } ==
            ["B.txt", "a-b.txt", "assets/site.css", "bin/deploy.sh", "empty.txt", "index.html"])
    }

    @Test(arguments: [DeterministicArchive.Format.zip, .tar])
    func roundTripKeepsContentsAndExecutableBit(_ format: DeterministicArchive.Format) throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        // On disk the script is 0755 and index.html 0644; flip index.html's disk mode to show
        // that only the `executable` flag decides.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: tmp.url("src/index.html"))
        try DeterministicArchive(format: format, timestamp: Self.fixedTime).write(items, to: tmp.url("out.archive"))
        try ArchiveReader.extract(tmp.url("out.archive"), to: tmp.url("out"))
        let umask = currentUmask()
        for item in items {
            guard case .file(let source) = item.content else { continue }
            let extracted = tmp.url("out/\(item.path)")
            #expect(try Self.read(extracted) == (try Self.read(source)), "\(item.path)")
            let mode = try #require(fileMode(extracted))
            #expect(mode.type == S_IFREG)
            let expected: mode_t = (item.executable ? 0o755 : 0o644) & ~umask
            #expect(mode.permissions == expected, "\(item.path): \(String(mode.permissions, radix: 8))")
        }
        if umask == 0o022 {
            #expect(fileMode(tmp.url("out/bin/deploy.sh"))?.permissions == 0o755)
            #expect(fileMode(tmp.url("out/index.html"))?.permissions == 0o644)
        }
    }

    @Test(arguments: [DeterministicArchive.Format.zip, .tar])
    func symlinkEntries(_ format: DeterministicArchive.Format) throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let page = try tmp.write("src/page.html", "page")
        let items = [
            ArchiveItem(path: "docs/page.html", content: .file(sourcePath: page)),
            ArchiveItem(path: "latest", content: .symlink(target: "docs")),
            ArchiveItem(path: "docs/index.html", content: .symlink(target: "page.html")),
        ]
        try DeterministicArchive(format: format, timestamp: Self.fixedTime).write(items, to: tmp.url("links.archive"))
        let written = try ArchiveReader.extract(tmp.url("links.archive"), to: tmp.url("out"))
        #expect(written.map { ($0 as NSString).lastPathComponent } == ["index.html", "page.html", "latest"])
        let fm = FileManager.default
        #expect(try fm.destinationOfSymbolicLink(atPath: tmp.url("out/latest")) == "docs")
        #expect(try fm.destinationOfSymbolicLink(atPath: tmp.url("out/docs/index.html")) == "page.html")
        #expect(fileMode(tmp.url("out/latest"))?.type == S_IFLNK)
        #expect(try String(contentsOfFile: tmp.url("out/latest/index.html"), encoding: .utf8) == "page")
    }

    @Test func tarRoundTripAndHeaderFields() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        try DeterministicArchive(format: .tar, timestamp: 981_173_106).write(items, to: tmp.url("site.tar"))
        let bytes = Array(try Self.read(tmp.url("site.tar")))
        #expect(bytes.count % 512 == 0)
        #expect(Array(bytes[257..<262]) == Array("ustar".utf8))
        // The first entry is B.txt, with the fixed time, owner 0 and mode 0644.
        func field(_ range: Range<Int>) -> String {
            String(decoding: bytes[range].prefix { $0 != 0 }, as: UTF8.self)
        }
        func octal(_ range: Range<Int>) -> Int? {
            Int(field(range).trimmingCharacters(in: .whitespaces), radix: 8)
        }
        #expect(field(0..<100) == "B.txt")
        #expect(octal(136..<148) == 981_173_106)
        #expect(octal(108..<116) == 0)
        #expect(octal(116..<124) == 0)
        #expect(octal(100..<108).map { $0 & 0o7777 } == 0o644)
        #expect(octal(124..<136) == 5)

        let written = try ArchiveReader.extract(tmp.url("site.tar"), to: tmp.url("out"))
        #expect(written.count == items.count)
        for item in items {
            guard case .file(let source) = item.content else { continue }
            #expect(try Self.read(tmp.url("out/\(item.path)")) == (try Self.read(source)))
        }
    }

    @Test func tarIsByteIdenticalAcrossMtimes() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        try DeterministicArchive(format: .tar, timestamp: Self.fixedTime).write(items, to: tmp.url("1.tar"))
        for item in items { try tmp.setModificationDate("src/\(item.path)", secondsSince1970: 1_500_000_000) }
        try DeterministicArchive(format: .tar, timestamp: Self.fixedTime).write(items.reversed(), to: tmp.url("2.tar"))
        #expect(try Self.read(tmp.url("1.tar")) == (try Self.read(tmp.url("2.tar"))))
    }

    @Test func writeReplacesTheDestinationAndLeavesNoTemporaryFile() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        try tmp.write("out/site.zip", "old contents")
        try DeterministicArchive(format: .zip, timestamp: Self.fixedTime).write(items, to: tmp.url("out/site.zip"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url("out")) == ["site.zip"])
        #expect(Array(try Self.read(tmp.url("out/site.zip")).prefix(2)) == [0x50, 0x4B])
    }

    @Test func missingSourceFileIsAnError() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        try tmp.mkdir("out")
        let items = [ArchiveItem(path: "gone.txt", content: .file(sourcePath: tmp.url("gone.txt")))]
        let error = try #require(throws: ArchiveError.self) {
            try DeterministicArchive(format: .zip, timestamp: Self.fixedTime).write(items, to: tmp.url("out/site.zip"))
        }
        #expect(error.description.contains("gone.txt"))
        #expect(!FileManager.default.fileExists(atPath: tmp.url("out/site.zip")))
        // Regression: the `.partial-<pid>` file the writer had opened is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.url("out"))
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
    }

    @Test func unwritableDestinationIsAnError() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let items = try Self.makeSources(in: tmp)
        #expect(throws: ArchiveError.self) {
            try DeterministicArchive(format: .tar).write(items, to: tmp.url("no/such/dir/site.tar"))
        }
    }

    @Test func defaultTimestamp() {
        #expect(DeterministicArchive.defaultTimestamp(environment: [:]) == 315_532_800)
        #expect(DeterministicArchive.defaultTimestamp(environment: ["SOURCE_DATE_EPOCH": "1700000000"]) == 1_700_000_000)
        #expect(DeterministicArchive.defaultTimestamp(environment: ["SOURCE_DATE_EPOCH": "100"]) == 315_532_800)
        #expect(DeterministicArchive.defaultTimestamp(environment: ["SOURCE_DATE_EPOCH": "soon"]) == 315_532_800)
        #expect(DeterministicArchive.defaultTimestamp(environment: ["SOURCE_DATE_EPOCH": "99999999999"]) == 4_294_967_295, "kept within 32 bits")
        #expect(DeterministicArchive(format: .tar, timestamp: 42).timestamp == 42)
    }

    @Test func nonASCIINamesRoundTripInZip() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let source = try tmp.write("src/file", "ü")
        let items = [
            ArchiveItem(path: "café/naïve.txt", content: .file(sourcePath: source)),
            ArchiveItem(path: "plain.txt", content: .file(sourcePath: source)),
        ]
        try DeterministicArchive(format: .zip, timestamp: Self.fixedTime).write(items, to: tmp.url("u.zip"))
        let written = try ArchiveReader.extract(tmp.url("u.zip"), to: tmp.url("out"))
        #expect(written == [tmp.url("out/café/naïve.txt"), tmp.url("out/plain.txt")])
        #expect(try String(contentsOfFile: tmp.url("out/café/naïve.txt"), encoding: .utf8) == "ü")
    }

    @Test func nonASCIINamesInAHandBuiltTarAreExtracted() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        var tar = TarBuilder()
        tar.add("café/naïve.txt", "ü")
        try tar.finished().write(to: URL(fileURLWithPath: tmp.url("u.tar")))
        #expect(try ArchiveReader.extract(tmp.url("u.tar"), to: tmp.url("out")) == [tmp.url("out/café/naïve.txt")])
    }

    static let childVariable = "SITECONTENT_TESTS_CHILD"

    /// Runs only inside the child process started by `nonASCIINamesInTarDoNotCrash`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[DeterministicArchiveTests.childVariable] != nil))
    func nonASCIITarChild() throws {
        let dir = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let source = dir + "/source.txt"
        try Data("ü".utf8).write(to: URL(fileURLWithPath: source))
        try DeterministicArchive(format: .tar, timestamp: Self.fixedTime)
            .write([ArchiveItem(path: "café/naïve.txt", content: .file(sourcePath: source))], to: dir + "/u.tar")
        let written = try ArchiveReader.extract(dir + "/u.tar", to: dir + "/out")
        #expect(written == [dir + "/out/café/naïve.txt"])
    }

    /// Regression: writing a tar entry whose name is not ASCII crashes the process (SIGSEGV
    /// inside libarchive's pax writer): the process runs in the "C" locale, libarchive cannot
    /// convert the UTF-8 name for the ustar header, and its error path formats a NULL name.
    /// The crash is run in a child copy of this test binary so that it cannot take the
    /// whole test run down.
    @Test func nonASCIINamesInTarDoNotCrash() throws {
        let tmp = try TemporaryDirectory("archive")
        defer { tmp.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--testing-library", "swift-testing", "--filter", "nonASCIITarChild"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = tmp.path
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["LC_ALL"] = nil
        environment["LANG"] = nil
        process.environment = environment
        let log = try mergedOutput(of: process)
        // The child really ran the child test (and was not filtered to nothing).
        #expect(log.contains("nonASCIITarChild"), "child output: \(log)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "child ended by \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
    }
}

@Suite("ArchiveReader.extract safety")
struct ArchiveReaderSafetyTests {
    @Test func mapRenamesAndDropsEntries() throws {
        let tmp = try TemporaryDirectory("extract")
        defer { tmp.remove() }
        var tar = TarBuilder()
        tar.add("site/index.html", "home")
        tar.add("site/skip.txt", "skip")
        tar.add("site/css/", kind: .directory)
        tar.add("site/css/a.css", "a{}")
        try tar.finished().write(to: URL(fileURLWithPath: tmp.url("in.tar")))
        let written = try ArchiveReader.extract(tmp.url("in.tar"), to: tmp.url("out")) { name in
            name.hasSuffix("skip.txt") ? nil : String(name.dropFirst("site/".count))
        }
        #expect(written == [tmp.url("out/index.html"), tmp.url("out/css/a.css")])
        #expect(try String(contentsOfFile: tmp.url("out/css/a.css"), encoding: .utf8) == "a{}")
        #expect(!FileManager.default.fileExists(atPath: tmp.url("out/skip.txt")))
    }

    @Test func handBuiltTarIsReadable() throws {
        let tmp = try TemporaryDirectory("extract")
        defer { tmp.remove() }
        var tar = TarBuilder()
        tar.add("ok.txt", "fine", mode: 0o600)
        try tar.finished().write(to: URL(fileURLWithPath: tmp.url("in.tar")))
        #expect(try ArchiveReader.extract(tmp.url("in.tar"), to: tmp.url("out")) == [tmp.url("out/ok.txt")])
        #expect(fileMode(tmp.url("out/ok.txt"))?.permissions == 0o600 & ~currentUmask())
    }

    @Test(arguments: ["../evil.txt", "a/../../evil.txt", "ok/../../evil.txt", "ABSOLUTE"])
    func refusesEntriesOutsideTheDestination(_ written: String) throws {
        let tmp = try TemporaryDirectory("extract")
        defer { tmp.remove() }
        // An absolute entry names a place inside this test's directory, outside the destination.
        let name = written == "ABSOLUTE" ? tmp.url("box/evil.txt") : written
        var tar = TarBuilder()
        tar.add("fine.txt", "fine")
        tar.add(name, "owned")
        try tar.finished().write(to: URL(fileURLWithPath: tmp.url("evil.tar")))
        try tmp.mkdir("box/dest")
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveReader.extract(tmp.url("evil.tar"), to: tmp.url("box/dest"))
        }
        #expect(error.description.contains("unsafe entry"))
        #expect(error.description.contains(name))
        #expect(!FileManager.default.fileExists(atPath: tmp.url("box/evil.txt")))
        #expect(!FileManager.default.fileExists(atPath: tmp.url("evil.txt")))
        // Entries before the bad one may have been written, but only inside the destination.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url("box")) == ["dest"])
    }

    @Test func dotDotInsideANameIsAllowed() throws {
        let tmp = try TemporaryDirectory("extract")
        defer { tmp.remove() }
        var tar = TarBuilder()
        tar.add("a..b/c..txt", "ok")
        try tar.finished().write(to: URL(fileURLWithPath: tmp.url("in.tar")))
        try ArchiveReader.extract(tmp.url("in.tar"), to: tmp.url("out"))
        #expect(FileManager.default.fileExists(atPath: tmp.url("out/a..b/c..txt")))
    }

    /// Regression: a symlink entry pointing outside the destination, followed by an entry
    /// below that link, writes outside the destination although the names have no '..'.
    @Test(arguments: ["../outside", "ABSOLUTE"])
    func refusesWritingThroughASymlinkEntry(_ linkTarget: String) throws {
        let tmp = try TemporaryDirectory("extract")
        defer { tmp.remove() }
        try tmp.mkdir("outside")
        try tmp.mkdir("dest")
        var tar = TarBuilder()
        tar.add("escape", kind: .symlink, linkName: linkTarget == "ABSOLUTE" ? tmp.url("outside") : linkTarget)
        tar.add("escape/payload.txt", "owned")
        try tar.finished().write(to: URL(fileURLWithPath: tmp.url("evil.tar")))
        _ = try? ArchiveReader.extract(tmp.url("evil.tar"), to: tmp.url("dest"))
        #expect(!FileManager.default.fileExists(atPath: tmp.url("outside/payload.txt")))
    }

    @Test func missingOrInvalidArchive() throws {
        let tmp = try TemporaryDirectory("extract")
        defer { tmp.remove() }
        #expect(throws: ArchiveError.self) { try ArchiveReader.extract(tmp.url("none.zip"), to: tmp.url("out")) }
        try tmp.write("junk.zip", String(repeating: "not an archive ", count: 100))
        #expect(throws: ArchiveError.self) { try ArchiveReader.extract(tmp.url("junk.zip"), to: tmp.url("out")) }
    }
}
