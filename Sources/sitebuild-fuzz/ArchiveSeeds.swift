import Foundation
import SiteContent

/// A ustar/GNU/pax tar written byte by byte, so seeds can hold what no careful writer
/// would: traversal, absolute names, devices, raw bytes, lying sizes.
struct RawTar {
    private(set) var bytes: [UInt8] = []

    mutating func add(_ name: [UInt8], type: UInt8 = UInt8(ascii: "0"), data: [UInt8] = [], link: [UInt8] = [],
                      mode: Int = 0o644, declaredSize: Int? = nil) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], _ offset: Int, _ width: Int) {
            for (i, b) in field.prefix(width).enumerated() { header[offset + i] = b }
        }
        func octal(_ value: Int, _ width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name, 0, 100)
        put(octal(mode, 8), 100, 8)
        put(octal(0, 8), 108, 8)
        put(octal(0, 8), 116, 8)
        put(octal(declaredSize ?? data.count, 12), 124, 12)
        put(octal(1_700_000_000, 12), 136, 12)
        header[156] = type
        put(link, 157, 100)
        put(Array("ustar\u{0}00".utf8), 257, 8)
        if type == UInt8(ascii: "3") || type == UInt8(ascii: "4") {
            put(octal(1, 8), 329, 8)
            put(octal(3, 8), 337, 8)
        }
        RawTar.fixChecksum(&header, at: 0)
        bytes += header
        bytes += data
        bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// A pax extended header (`x`) setting `path` (or other keys) for the next entry.
    mutating func addPax(_ records: [(String, [UInt8])]) {
        var body: [UInt8] = []
        for (key, value) in records {
            let content = Array(" \(key)=".utf8) + value + [0x0A]
            var length = content.count + 1
            while String(length).count + content.count != length { length = String(length).count + content.count }
            body += Array(String(length).utf8) + content
        }
        add(Array("PaxHeaders/x".utf8), type: UInt8(ascii: "x"), data: body)
    }

    func finished() -> [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    /// Recomputes the checksum of the header at `offset` (so mutated headers still parse).
    static func fixChecksum(_ bytes: inout [UInt8], at offset: Int) {
        guard offset + 512 <= bytes.count else { return }
        for i in 148..<156 { bytes[offset + i] = 0x20 }
        let sum = bytes[offset..<offset + 512].reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        let field = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits + [0, 0x20]
        for (i, b) in field.prefix(8).enumerated() { bytes[offset + 148 + i] = b }
    }

    /// Offsets of blocks that look like ustar headers.
    static func headerOffsets(_ bytes: [UInt8]) -> [Int] {
        stride(from: 0, to: bytes.count - 511, by: 512).filter {
            bytes[$0 + 257] == UInt8(ascii: "u") && bytes[$0 + 258] == UInt8(ascii: "s") && bytes[$0 + 259] == UInt8(ascii: "t")
        }
    }
}

/// One seed archive and how to mutate it.
struct ArchiveSeed {
    enum Kind { case tar, zip, compressed }
    var name: String
    var kind: Kind
    var bytes: [UInt8]
}

enum ArchiveSeeds {
    /// Seeds covering the formats and every hostile shape the extractor must refuse.
    /// `sentinel` is an absolute directory outside the extraction root: absolute names and
    /// link targets point into it, so a wrongly accepted entry would be seen there.
    static func make(sentinel: String, scratch: String) throws -> [ArchiveSeed] {
        let s = Array(sentinel.utf8)
        var seeds: [ArchiveSeed] = []
        func tar(_ name: String, _ build: (inout RawTar) -> Void) {
            var t = RawTar()
            build(&t)
            seeds.append(ArchiveSeed(name: name, kind: .tar, bytes: t.finished()))
        }
        let hard = UInt8(ascii: "1"), sym = UInt8(ascii: "2"), chr = UInt8(ascii: "3"),
            dir = UInt8(ascii: "5"), fifo = UInt8(ascii: "6")
        tar("benign.tar") { t in
            t.add(Array("site/".utf8), type: dir, mode: 0o755)
            t.add(Array("site/index.html".utf8), data: Array("<h1>home</h1>".utf8))
            t.add(Array("site/run.sh".utf8), data: Array("#!/bin/sh\n".utf8), mode: 0o755)
            t.add(Array("site/home.html".utf8), type: sym, link: Array("index.html".utf8))
            t.add(Array("site/same.html".utf8), type: hard, link: Array("site/index.html".utf8))
        }
        tar("traversal.tar") { t in
            t.add(Array("ok".utf8), data: [0x61])
            t.add(Array("../../sentinel/owned".utf8), data: [0x62])
        }
        tar("absolute.tar") { t in t.add(s + Array("/owned".utf8), data: [0x61]) }
        tar("symlink-escape.tar") { t in
            t.add(Array("escape".utf8), type: sym, link: s)
            t.add(Array("escape/owned".utf8), data: [0x61])
        }
        tar("symlink-chain.tar") { t in
            t.add(Array("d/b".utf8), type: sym, link: Array("a/../..".utf8))
            t.add(Array("d/a".utf8), type: sym, link: Array("..".utf8))
            t.add(Array("d/b/owned".utf8), data: [0x61])
        }
        tar("hardlink-outside.tar") { t in
            t.add(Array("ok".utf8), data: [0x61])
            t.add(Array("stolen".utf8), type: hard, link: s + Array("/../secret.txt".utf8))
            t.add(Array("stolen2".utf8), type: hard, link: Array("../../secret.txt".utf8))
        }
        tar("devices.tar") { t in
            t.add(Array("null".utf8), type: chr)
            t.add(Array("pipe".utf8), type: fifo)
        }
        tar("latin1.tar") { t in t.add([0x63, 0x61, 0x66, 0xE9], data: [0x61]) }
        tar("pax-path.tar") { t in
            t.addPax([("path", Array("../pax-owned".utf8)), ("linkpath", s)])
            t.add(Array("placeholder".utf8), type: sym, link: Array("x".utf8))
        }
        tar("gnu-longname.tar") { t in
            let long = Array((String(repeating: "d/", count: 60) + "../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../owned").utf8)
            t.add(Array("././@LongLink".utf8), type: UInt8(ascii: "L"), data: long + [0])
            t.add(Array("short".utf8), data: [0x61])
        }
        tar("lying-size.tar") { t in
            t.add(Array("big".utf8), data: [UInt8](repeating: 0x41, count: 600), declaredSize: 600)
            t.add(Array("claims-huge".utf8), data: [0x41], declaredSize: 0o77777777777)
        }

        // Through the project's own writer: ZIP (benign, traversal, escaping link, a bomb)
        // and compressed tars.
        let fm = FileManager.default
        let content = scratch + "/seed-content"
        try fm.createDirectory(atPath: content, withIntermediateDirectories: true)
        try Data("<h1>home</h1>".utf8).write(to: URL(fileURLWithPath: content + "/index.html"))
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: content + "/zeros"))
        let index = ArchiveItem.Content.file(sourcePath: content + "/index.html")
        func written(_ name: String, _ kind: ArchiveSeed.Kind, _ writer: DeterministicArchive, _ items: [ArchiveItem]) throws {
            let path = scratch + "/" + name
            try writer.write(items, to: path)
            seeds.append(ArchiveSeed(name: name, kind: kind, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
            try fm.removeItem(atPath: path)
        }
        let zip = DeterministicArchive(format: .zip, timestamp: 1_700_000_000)
        try written("benign.zip", .zip, zip, [
            ArchiveItem(path: "site/index.html", content: index),
            ArchiveItem(path: "site/run.sh", content: index, executable: true),
            ArchiveItem(path: "site/home.html", content: .symlink(target: "index.html")),
        ])
        try written("traversal.zip", .zip, zip, [ArchiveItem(path: "../../sentinel/owned", content: index)])
        try written("absolute.zip", .zip, zip, [ArchiveItem(path: sentinel + "/owned", content: index)])
        try written("symlink-escape.zip", .zip, zip, [ArchiveItem(path: "escape", content: .symlink(target: "../../sentinel")),
                                                      ArchiveItem(path: "escape/owned", content: index)])
        try written("bomb.zip", .zip, zip, (0..<12).map { ArchiveItem(path: "zeros-\($0)", content: .file(sourcePath: content + "/zeros")) })
        var gzip = DeterministicArchive(format: .tar, timestamp: 1_700_000_000)
        gzip.compression = .gzip
        try written("benign.tar.gz", .compressed, gzip, [ArchiveItem(path: "index.html", content: index),
                                                        ArchiveItem(path: "zeros", content: .file(sourcePath: content + "/zeros"))])
        var zstd = gzip
        zstd.compression = .zstd
        try written("benign.tar.zst", .compressed, zstd, [ArchiveItem(path: "index.html", content: index),
                                                         ArchiveItem(path: "link", content: .symlink(target: "index.html"))])
        try fm.removeItem(atPath: content)
        return seeds
    }

    /// Tokens for the byte mutator: names, link targets and magic numbers.
    static func dictionary(sentinel: String) -> [[UInt8]] {
        ["../", "..", "/", "./", "//", "\\..\\", "a/../../", sentinel, sentinel + "/x", "\u{0}", "ustar\u{0}00", "ustar  \u{0}",
         "PK\u{3}\u{4}", "PK\u{1}\u{2}", "PK\u{5}\u{6}", "././@LongLink", "path=", "linkpath=", "size=", "GNU.sparse.",
         "77777777777", "\u{1F}\u{8B}\u{8}", "(\u{B5}/\u{FD}"].map { Array($0.utf8) }
            + [[0xFF, 0xFE], [0xC3, 0x28], [0xE9], [0x80, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]]
    }

    /// A structure-aware mutation: rewrites one field of one tar header (and fixes its
    /// checksum so libarchive reads it), or one field of a ZIP header.
    static func mutateStructure(_ input: [UInt8], kind: ArchiveSeed.Kind, sentinel: String, random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        let names: [[UInt8]] = ["../x", "/x", "a/../../x", "..", ".", "", sentinel, sentinel + "/owned", "x/../../../owned",
                                String(repeating: "a", count: 100), "a/b/c", "site/index.html", "escape", "escape/owned"]
            .map { Array($0.utf8) } + [[0xE9, 0x2F, 0x41], [0x2E, 0x2E, 0x5C, 0x41]]
        switch kind {
        case .tar:
            let headers = RawTar.headerOffsets(bytes)
            guard let header = headers.isEmpty ? nil : random.pick(headers) else { return bytes }
            func put(_ field: [UInt8], _ offset: Int, _ width: Int) {
                for i in 0..<width { bytes[header + offset + i] = i < field.count ? field[i] : 0 }
            }
            switch Int.random(in: 0..<6, using: &random) {
            case 0: put(random.pick(names), 0, 100)
            case 1: put(random.pick(names), 157, 100)
            case 2: bytes[header + 156] = random.pick(Array("0123456789gxLKSAD\u{0}".utf8))
            case 3:
                let sizes = ["00000000000", "77777777777", "00000001000", "00000000001", "-1", "99999999999"]
                put(Array(random.pick(sizes).utf8), 124, 12)
            case 4:
                // Base-256 size: a huge or negative value.
                put([0x80, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], 124, 12)
                if random.chance(50) { bytes[header + 124] = 0xFF }
            default: put(Array(random.pick(["0000755", "0007777", "0120777", "0020644", "0000000"]).utf8), 100, 8)
            }
            RawTar.fixChecksum(&bytes, at: header)
        case .zip:
            // Local (PK\3\4) and central (PK\1\2) headers.
            var offsets: [(Int, Bool)] = []
            var i = 0
            while i + 46 < bytes.count {
                if bytes[i] == 0x50 && bytes[i + 1] == 0x4B {
                    if bytes[i + 2] == 3 && bytes[i + 3] == 4 { offsets.append((i, false)) }
                    if bytes[i + 2] == 1 && bytes[i + 3] == 2 { offsets.append((i, true)) }
                }
                i += 1
            }
            guard !offsets.isEmpty else { return bytes }
            let (at, central) = random.pick(offsets)
            func le32(_ value: UInt32, _ offset: Int) {
                for k in 0..<4 where at + offset + k < bytes.count { bytes[at + offset + k] = UInt8((value >> (8 * UInt32(k))) & 0xFF) }
            }
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                // The name, kept at its length.
                let nameLength = Int(bytes[at + (central ? 28 : 26)]) | Int(bytes[at + (central ? 29 : 27)]) << 8
                let start = at + (central ? 46 : 30)
                let name = random.pick(names)
                for k in 0..<nameLength where start + k < bytes.count { bytes[start + k] = k < name.count ? name[k] : 0x2F }
            case 1 where central:
                // External attributes: the Unix mode in the high half.
                let modes: [UInt32] = [0o120777, 0o020644, 0o060644, 0o010644, 0o140755, 0o100755, 0o040755]
                le32(random.pick(modes) << 16, 38)
            case 2:
                le32(random.pick([0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 1 << 30]), central ? 24 : 22)
            default:
                bytes[at + (central ? 10 : 8)] = random.pick([0, 8, 9, 12, 14, 93, 99])
            }
        case .compressed:
            break
        }
        return bytes
    }
}
