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

    public var format: Format
    /// Seconds since the epoch stamped on every entry.
    public var timestamp: Int64

    /// The fixed time: `SOURCE_DATE_EPOCH` when set (clamped to the ZIP era), else
    /// 1980-01-01T00:00:00Z, the earliest time a ZIP can hold.
    public static func defaultTimestamp(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int64 {
        let zipEpoch: Int64 = 315_532_800
        if let text = environment["SOURCE_DATE_EPOCH"], let value = Int64(text) { return max(value, zipEpoch) }
        return zipEpoch
    }

    public init(format: Format, timestamp: Int64 = DeterministicArchive.defaultTimestamp()) {
        self.format = format
        self.timestamp = timestamp
    }

    /// Writes `items` to `destination` (replaced atomically).
    public func write(_ items: [ArchiveItem], to destination: String) throws {
        let sorted = items.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let temporary = destination + ".partial-\(getpid())"
        guard let archive = archive_write_new() else { throw ArchiveError("cannot create an archive writer") }
        defer { archive_write_free(archive) }
        switch format {
        case .zip:
            archive_write_set_format_zip(archive)
            // The extra fields libarchive adds carry only the fixed time and owner 0.
            archive_write_set_options(archive, "zip:compression=deflate")
        case .tar:
            archive_write_set_format_pax_restricted(archive)
        }
        // ZIP stores local (DOS) time: pin the zone so every machine writes the same bytes.
        let savedTZ = getenv("TZ").map { String(cString: $0) }
        setenv("TZ", "UTC0", 1)
        tzset()
        defer {
            if let savedTZ { setenv("TZ", savedTZ, 1) } else { unsetenv("TZ") }
            tzset()
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
    }

    private func check(_ status: Int32, _ archive: OpaquePointer, _ path: String) throws {
        if status < ARCHIVE_WARN {
            throw ArchiveError("cannot add \(path): \(String(cString: archive_error_string(archive)))")
        }
    }
}

/// Reads archives (ZIP, tar) entry by entry.
public enum ArchiveReader {
    /// Extracts `archive` below `destination`, refusing entries that would land outside
    /// it. `map` may rename or drop (return nil) each entry path. Returns the written paths.
    @discardableResult
    public static func extract(_ archivePath: String, to destination: String,
                               map: (String) -> String? = { $0 }) throws -> [String] {
        guard let archive = archive_read_new() else { throw ArchiveError("cannot create an archive reader") }
        defer { archive_read_free(archive) }
        archive_read_support_format_all(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, archivePath, 1 << 20) == ARCHIVE_OK else {
            throw ArchiveError("cannot open \(archivePath): \(String(cString: archive_error_string(archive)))")
        }
        var written: [String] = []
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
            guard let mapped = map(name) else { continue }
            let target = mapped.hasPrefix("/") ? mapped : destination + "/" + mapped
            let type = archive_entry_filetype(entry)
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            if type == sb_ae_ifdir() {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                continue
            }
            unlink(target)
            if type == sb_ae_iflnk() {
                let linkTarget = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                guard symlink(linkTarget, target) == 0 else {
                    throw ArchiveError("cannot create the link \(target): \(String(cString: strerror(errno)))")
                }
                written.append(target)
                continue
            }
            let mode = mode_t(archive_entry_perm(entry) & 0o777)
            let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode == 0 ? 0o644 : mode)
            guard fd >= 0 else { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            while true {
                let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if n < 0 { throw ArchiveError("cannot read \(name) from \(archivePath): \(String(cString: archive_error_string(archive)))") }
                if n == 0 { break }
                var offset = 0
                while offset < n {
                    let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, n - offset) }
                    if w < 0 { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
                    offset += w
                }
            }
            written.append(target)
        }
        return written
    }
}
