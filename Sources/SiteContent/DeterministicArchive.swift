import CArchive
import Foundation

/// One entry to put in an archive: where it goes, and where its bytes come from.
public struct ArchiveItem: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case file(sourcePath: String)
        case symlink(target: String)
    }

    public var path: String
    public var content: Content
    public var executable: Bool
    /// The device and inode the file had when it was chosen: the writer refuses a path that
    /// now leads to another file (a link swapped in meanwhile). Nil: not checked.
    public var identity: [UInt64]?

    public init(path: String, content: Content, executable: Bool = false) {
        self.path = path
        self.content = content
        self.executable = executable
    }
}

/// Writes ZIP or tar archives that are byte-identical for the same input: entries sorted
/// by path, one fixed timestamp (SOURCE_DATE_EPOCH or 1980-01-01), modes 0644/0755,
/// no owners.
public struct DeterministicArchive: Sendable {
    public enum Format: Sendable { case zip, tar }
    /// A compression filter over a tar (a ZIP compresses each entry itself).
    public enum Compression: Sendable { case none, gzip, zstd }

    public var format: Format
    /// For `.tar`: `.gzip` writes a .tar.gz, `.zstd` a .tar.zst.
    public var compression: Compression = .none
    /// Seconds since the epoch stamped on every entry.
    public var timestamp: Int64

    /// The fixed time: `SOURCE_DATE_EPOCH` when set (clamped to the ZIP era), else
    /// 1980-01-01T00:00:00Z, the earliest time a ZIP can hold.
    public static func defaultTimestamp(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int64 {
        let zipEpoch: Int64 = 315_532_800
        // ZIP's extended timestamps are 32-bit: later times would wrap around to 1970.
        if let text = environment["SOURCE_DATE_EPOCH"], let value = Int64(text) { return min(max(value, zipEpoch), Int64(UInt32.max)) }
        return zipEpoch
    }

    public init(format: Format, timestamp: Int64 = DeterministicArchive.defaultTimestamp()) {
        self.format = format
        self.timestamp = timestamp
    }

    /// Writes `items` to `destination` (replaced atomically).
    public func write(_ items: [ArchiveItem], to destination: String) throws {
        // libarchive converts names through the C locale and ZIP stores local time: both
        // are process-wide, so writes are serialized and run in UTF-8 and UTC.
        archiveLock.lock()
        defer { archiveLock.unlock() }
        let utf8 = UTF8Locale()
        defer { utf8.restore() }
        let sorted = items.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let temporary = destination + ".partial-\(getpid())"
        var finished = false
        defer { if !finished { unlink(temporary) } }
        guard let archive = archive_write_new() else { throw ArchiveError("cannot create an archive writer") }
        defer { archive_write_free(archive) }
        switch format {
        case .zip:
            archive_write_set_format_zip(archive)
            // The extra fields libarchive adds carry only the fixed time and owner 0.
            archive_write_set_options(archive, "zip:compression=deflate")
        case .tar:
            archive_write_set_format_pax_restricted(archive)
            switch compression {
            case .none: break
            case .gzip: archive_write_add_filter_gzip(archive)
            case .zstd: archive_write_add_filter_zstd(archive)
            }
        }
        guard archive_write_open_filename(archive, temporary) == ARCHIVE_OK else {
            throw ArchiveError("cannot write \(destination): \(String(cString: archive_error_string(archive)))")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for item in sorted {
            guard let entry = archive_entry_new() else { throw ArchiveError("out of memory") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname_utf8(entry, item.path)
            archive_entry_set_mtime(entry, time_t(timestamp), 0)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            switch item.content {
            case .symlink(let target):
                archive_entry_set_filetype(entry, sb_ae_iflnk())
                archive_entry_set_perm(entry, 0o777)
                archive_entry_set_symlink_utf8(entry, target)
                archive_entry_set_size(entry, 0)
                try check(archive_write_header(archive, entry), archive, item.path)
            case .file(let source):
                let fd = open(source, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                var st = stat()
                fstat(fd, &st)
                try FileCopy.check(st, is: item.identity, source)
                archive_entry_set_filetype(entry, sb_ae_ifreg())
                archive_entry_set_perm(entry, item.executable ? 0o755 : 0o644)
                archive_entry_set_size(entry, Int64(st.st_size))
                try check(archive_write_header(archive, entry), archive, item.path)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 { throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))") }
                    if n == 0 { break }
                    let written = buffer.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, n) }
                    if written < 0 { throw ArchiveError("cannot write \(item.path) to \(destination): \(String(cString: archive_error_string(archive)))") }
                }
            }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw ArchiveError("cannot finish \(destination): \(String(cString: archive_error_string(archive)))")
        }
        guard rename(temporary, destination) == 0 else {
            throw ArchiveError("cannot move the archive into place at \(destination): \(String(cString: strerror(errno)))")
        }
        finished = true
    }

    private func check(_ status: Int32, _ archive: OpaquePointer, _ path: String) throws {
        if status < ARCHIVE_WARN {
            throw ArchiveError("cannot add \(path): \(String(cString: archive_error_string(archive)))")
        }
    }
}

/// Where `ArchiveReader.extract` writes one entry.
public struct ExtractionTarget: Sendable, Equatable {
    /// Absolute, or relative to the destination.
    public var path: String
    /// A directory above `path` (absolute, or relative to the destination; "" is the
    /// destination): the entry is written only if no directory between the two is a symbolic
    /// link. The caller vouches for `within` and what leads to it.
    public var within: String

    public init(path: String, within: String) {
        self.path = path
        self.within = within
    }
}

/// Reads archives (ZIP, tar) entry by entry.
public enum ArchiveReader {
    /// Extracts `archive` below `destination`, refusing entries that would land outside
    /// it. `map` may rename or drop (return nil) each entry path. Returns the written paths.
    /// No entry is written through a symbolic link (one on disk or one an earlier entry
    /// wrote) below the destination, or below `/` for an absolute path.
    @discardableResult
    public static func extract(_ archivePath: String, to destination: String,
                               map: (String) -> String? = { $0 }) throws -> [String] {
        try extract(archivePath, to: destination) { name in
            map(name).map { ExtractionTarget(path: $0, within: $0.hasPrefix("/") ? "/" : "") }
        }
    }

    /// Extracts `archive` below `destination`, refusing entries that would land outside
    /// it. `map` places or drops (returns nil) each entry; an entry whose way from its
    /// `within` directory passes a symbolic link (on disk, or written by an earlier entry),
    /// or whose way there passes a link an earlier entry wrote, is refused as unsafe.
    /// Returns the written paths.
    @discardableResult
    public static func extract(_ archivePath: String, to destination: String,
                               map: (String) -> ExtractionTarget?) throws -> [String] {
        archiveLock.lock()
        defer { archiveLock.unlock() }
        let utf8 = UTF8Locale()
        defer { utf8.restore() }
        guard let archive = archive_read_new() else { throw ArchiveError("cannot create an archive reader") }
        defer { archive_read_free(archive) }
        let realDestination = realPath(destination) ?? destination
        archive_read_support_format_all(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, archivePath, 1 << 20) == ARCHIVE_OK else {
            throw ArchiveError("cannot open \(archivePath): \(String(cString: archive_error_string(archive)))")
        }
        var written: [String] = []
        // The links this extraction wrote: no later entry goes through one.
        var linksWritten: Set<String> = []
        var entry: OpaquePointer?
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else {
                throw ArchiveError("cannot read \(archivePath): \(String(cString: archive_error_string(archive)))")
            }
            guard let rawName = archive_entry_pathname(entry) else { continue }
            let name = String(cString: rawName)
            let parts = name.split(separator: "/")
            if name.hasPrefix("/") || parts.contains("..") {
                throw ArchiveError("\(archivePath) has an unsafe entry '\(name)' (absolute or with '..'); refusing to extract it")
            }
            guard let placed = map(name) else { continue }
            let mapped = placed.path
            let target = mapped.hasPrefix("/") ? mapped : destination + "/" + mapped
            let within = placed.within.hasPrefix("/") ? placed.within : destination + (placed.within.isEmpty ? "" : "/" + placed.within)
            let type = archive_entry_filetype(entry)
            let parent = (target as NSString).deletingLastPathComponent
            try makeParents(of: target, within: within, linksWritten: linksWritten, entry: name, archivePath: archivePath)
            if !mapped.hasPrefix("/") {
                // A link written earlier must not carry later entries out of the destination.
                guard let realParent = realPath(parent), realParent == realDestination || realParent.hasPrefix(realDestination + "/") else {
                    throw ArchiveError("\(archivePath): the entry '\(name)' would be written outside \(destination) through a symbolic link; refusing it")
                }
            }
            if type == sb_ae_ifdir() {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                continue
            }
            if type == sb_ae_iflnk(), canonical(target) == canonical(within) {
                // A link where a cache path names its folder would carry the next restore's
                // entries wherever it points: that folder is a restore's start, never its link.
                throw ArchiveError("\(archivePath) has an unsafe entry '\(name)' (a symbolic link at \(within), which the cache path names as "
                    + "a folder); refusing to extract it")
            }
            unlink(target)
            if type == sb_ae_iflnk() {
                let linkTarget = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                guard symlink(linkTarget, target) == 0 else {
                    throw ArchiveError("cannot create the link \(target): \(String(cString: strerror(errno)))")
                }
                linksWritten.insert(canonical(target))
                written.append(target)
                continue
            }
            let mode = mode_t(archive_entry_perm(entry) & 0o777)
            let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode == 0 ? 0o644 : mode)
            guard fd >= 0 else { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            while true {
                let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if n < 0 { throw ArchiveError("cannot read \(name) from \(archivePath): \(String(cString: archive_error_string(archive)))") }
                if n == 0 { break }
                guard buffer.withUnsafeBytes({ writeFully(fd, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) else {
                    throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))")
                }
            }
            written.append(target)
        }
        return written
    }

    /// Creates the directories that lead to `target`, refusing (as an unsafe entry) a way that
    /// passes a symbolic link below `within`, or a link this extraction wrote anywhere.
    private static func makeParents(of target: String, within: String, linksWritten: Set<String>,
                                    entry name: String, archivePath: String) throws {
        let unsafe = { (link: String) in
            ArchiveError("\(archivePath) has an unsafe entry '\(name)' (it would be written through the symbolic link \(link)); refusing to extract it")
        }
        let targetParts = canonical(target).split(separator: "/").map(String.init)
        let withinParts = canonical(within).split(separator: "/").map(String.init)
        guard targetParts.count >= withinParts.count, targetParts.starts(with: withinParts) else {
            throw ArchiveError("\(archivePath) has an unsafe entry '\(name)' (\(target) is not below \(within)); refusing to extract it")
        }
        var path = ""
        for part in withinParts {
            path += "/" + part
            if linksWritten.contains(path) { throw unsafe(path) }
        }
        if targetParts.count == withinParts.count {
            // The entry is `within` itself (a literal cache path): only its folder is made.
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            return
        }
        try FileManager.default.createDirectory(atPath: path.isEmpty ? "/" : path, withIntermediateDirectories: true)
        for part in targetParts[withinParts.count..<(targetParts.count - 1)] {
            path += "/" + part
            var info = stat()
            if lstat(path, &info) != 0 {
                guard errno == ENOENT, mkdir(path, 0o777) == 0 || errno == EEXIST else {
                    throw ArchiveError("cannot create the directory \(path): \(String(cString: strerror(errno)))")
                }
                guard lstat(path, &info) == 0 else {
                    throw ArchiveError("cannot create the directory \(path): \(String(cString: strerror(errno)))")
                }
            }
            if info.st_mode & S_IFMT == S_IFLNK { throw unsafe(path) }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw ArchiveError("cannot write \(target): \(path) is not a directory")
            }
        }
    }

    /// `path` made absolute, with empty and `.` components dropped: the form `linksWritten` holds.
    private static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return "/" + absolute.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}

/// Serializes libarchive use (it depends on process-wide locale and time zone).
let archiveLock = NSLock()

/// Switches this thread to a UTF-8 character locale (libarchive converts names with it)
/// until `restore()`, and the process to UTC for good (ZIP stores local time). Commands a
/// build runs get the environment captured before, so their time zone is unchanged.
struct UTF8Locale {
    let previousLocale: locale_t?
    let created: locale_t?

    init() {
        created = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)
        previousLocale = created.map { uselocale($0) } ?? nil
        // TZ is set once and left set: changing the environment while other threads read
        // it is unsafe, so it happens at most once per process.
        if getenv("TZ").map({ String(cString: $0) }) != "UTC0" {
            setenv("TZ", "UTC0", 1)
            tzset()
        }
    }

    func restore() {
        if let previousLocale { uselocale(previousLocale) }
        if let created { freelocale(created) }
    }
}

func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
