import Foundation
import Testing

/// Builds archives no well-behaved tool would write (traversal, devices, raw bytes in
/// names, bombs) with Python's zipfile and tarfile, from a list of entries.
enum ArchiveFixtures {
    struct Entry: Encodable {
        enum Kind: String, Encodable { case file, dir, symlink, hardlink, chr, blk, fifo }
        var name: String
        var kind: Kind = .file
        var data: String = ""
        /// `data` repeated this many times (for bombs).
        var repeatCount: Int = 1
        var mode: Int = 0o644
        var target: String = ""
        /// The name's real bytes, hex, patched over `name` (same length) after writing:
        /// names that are not UTF-8.
        var rawNameHex: String?

        init(_ name: String, _ data: String = "", kind: Kind = .file, mode: Int = 0o644, target: String = "",
             repeatCount: Int = 1, rawNameHex: String? = nil) {
            self.name = name
            self.data = data
            self.kind = kind
            self.mode = mode
            self.target = target
            self.repeatCount = repeatCount
            self.rawNameHex = rawNameHex
        }
    }

    enum Format: String, Encodable { case zip, tar, tgz = "tar.gz" }

    private struct Spec: Encodable {
        var format: Format
        var output: String
        var entries: [Entry]
    }

    static let script = #"""
        import json, sys, tarfile, zipfile, io, stat
        spec = json.load(open(sys.argv[1]))
        fmt, out, entries = spec["format"], spec["output"], spec["entries"]
        def payload(e):
            return (e["data"] * e["repeatCount"]).encode("utf-8", "surrogateescape")
        patches = []
        if fmt == "zip":
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
                for e in entries:
                    name = e["name"]
                    if e.get("rawNameHex"):
                        patches.append((name.encode(), bytes.fromhex(e["rawNameHex"])))
                    info = zipfile.ZipInfo(name + ("/" if e["kind"] == "dir" and not name.endswith("/") else ""))
                    info.create_system = 3
                    info.compress_type = zipfile.ZIP_DEFLATED
                    kind = e["kind"]
                    if kind == "dir":
                        info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10
                        z.writestr(info, b"")
                    elif kind == "symlink":
                        info.external_attr = (stat.S_IFLNK | 0o777) << 16
                        z.writestr(info, e["target"].encode("utf-8", "surrogateescape"))
                    elif kind == "file":
                        info.external_attr = (stat.S_IFREG | e["mode"]) << 16
                        z.writestr(info, payload(e))
                    else:
                        sys.exit("zip cannot hold " + kind)
        else:
            mode = "w:gz" if fmt == "tar.gz" else "w"
            with tarfile.open(out, mode, format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape") as t:
                for e in entries:
                    name = e["name"]
                    if e.get("rawNameHex"):
                        name = bytes.fromhex(e["rawNameHex"]).decode("utf-8", "surrogateescape")
                    info = tarfile.TarInfo(name)
                    info.mode = e["mode"]
                    info.mtime = 1700000000
                    kind = e["kind"]
                    data = None
                    if kind == "file":
                        data = payload(e)
                        info.size = len(data)
                    elif kind == "dir":
                        info.type = tarfile.DIRTYPE
                        info.mode = 0o755
                    elif kind == "symlink":
                        info.type = tarfile.SYMTYPE
                        info.linkname = e["target"]
                    elif kind == "hardlink":
                        info.type = tarfile.LNKTYPE
                        info.linkname = e["target"]
                    elif kind == "chr":
                        info.type = tarfile.CHRTYPE
                        info.devmajor, info.devminor = 1, 3
                    elif kind == "blk":
                        info.type = tarfile.BLKTYPE
                        info.devmajor, info.devminor = 7, 0
                    elif kind == "fifo":
                        info.type = tarfile.FIFOTYPE
                    t.addfile(info, io.BytesIO(data) if data is not None else None)
        if patches:
            raw = open(out, "rb").read()
            for placeholder, real in patches:
                assert len(placeholder) == len(real) and placeholder in raw
                raw = raw.replace(placeholder, real)
            open(out, "wb").write(raw)
        """#

    /// Writes `entries` as a `format` archive at `path`.
    static func write(_ entries: [Entry], format: Format, to path: String) throws {
        let specPath = path + ".spec.json"
        let data = try JSONEncoder().encode(Spec(format: format, output: path, entries: entries))
        try data.write(to: URL(fileURLWithPath: specPath))
        defer { try? FileManager.default.removeItem(atPath: specPath) }
        let result = try run("/usr/bin/env", ["python3", "-c", script, specPath])
        guard result.status == 0 else {
            throw FixtureError(description: "python3 could not write \(path): \(result.stderr)")
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }
}

/// A test directory laid out as the source resolver uses it: `work/` receives the
/// extraction (`work/src`), `sentinel/` beside it must stay empty, `secret.txt` is a file
/// outside that links must not reach, and the archives live in `archives/`.
struct ExtractionSandbox {
    let directory: TemporaryDirectory
    var work: String { directory.url("work") }
    var destination: String { directory.url("work/src") }
    var sentinel: String { directory.url("sentinel") }
    var secret: String { directory.url("secret.txt") }

    init() throws {
        directory = try TemporaryDirectory("extractor")
        try directory.mkdir("work")
        try directory.mkdir("sentinel")
        try directory.write("secret.txt", "do not touch")
        try directory.mkdir("archives")
    }

    func archive(_ name: String) -> String { directory.url("archives/" + name) }

    func remove() { directory.remove() }

    /// Nothing was written outside `work/`, and nothing is left in `work/` after a refusal.
    func expectNothingWritten(sourceLocation: SourceLocation = #_sourceLocation) {
        let fm = FileManager.default
        #expect((try? fm.contentsOfDirectory(atPath: sentinel)) == [], "the sentinel directory was written to", sourceLocation: sourceLocation)
        #expect((try? fm.contentsOfDirectory(atPath: work)) == [], "the work directory holds leftovers", sourceLocation: sourceLocation)
        #expect((try? String(contentsOfFile: secret, encoding: .utf8)) == "do not touch", sourceLocation: sourceLocation)
        let top = Set((try? fm.contentsOfDirectory(atPath: directory.path)) ?? [])
        #expect(top == ["work", "sentinel", "secret.txt", "archives"], "written beside the work directory: \(top.sorted())",
                sourceLocation: sourceLocation)
    }
}
