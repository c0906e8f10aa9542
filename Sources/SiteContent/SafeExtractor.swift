import CArchive
import Foundation

/// How much one archive may expand to. Checked while extracting, so a zip bomb is stopped
/// as soon as it passes a limit, whatever its headers claim.
public struct ExtractionLimits: Sendable, Equatable {
    /// All entries' expanded bytes together.
    public var totalBytes: Int64
    /// One entry's expanded bytes (its logical size, holes included).
    public var fileBytes: Int64
    /// Entries of any kind (files, directories, links).
    public var entries: Int

    /// 4 GiB in all, 2 GiB per file, 200,000 entries.
    public static let standard = ExtractionLimits(totalBytes: 4 << 30, fileBytes: 2 << 30, entries: 200_000)

    public init(totalBytes: Int64, fileBytes: Int64, entries: Int) {
        self.totalBytes = totalBytes
        self.fileBytes = fileBytes
        self.entries = entries
    }
}

/// What one extraction wrote.
public struct ExtractionSummary: Sendable, Equatable {
    public var files = 0
    public var directories = 0
    public var symbolicLinks = 0
    public var hardLinks = 0
    /// Expanded bytes of all files.
    public var bytes: Int64 = 0
}

/// Extracts an untrusted ZIP or tar archive (plain, gzip, bzip2, xz or zstd) into a new
/// directory, and writes nothing anywhere else.
///
/// Every entry is checked before anything is written for it: names must be UTF-8,
/// relative and free of `..`; symbolic links must resolve inside the extracted tree; hard
/// links must name a file extracted earlier; devices, FIFOs and sockets are refused; and
/// the entry count, each file's size and the total size are bounded. libarchive's disk
/// writer then writes each entry with `ARCHIVE_EXTRACT_SECURE_SYMLINKS` and
/// `ARCHIVE_EXTRACT_SECURE_NODOTDOT` as a second line of defence. Everything goes into a
/// fresh temporary directory beside the destination, renamed into place only when the
/// whole archive was good; on any refusal that directory is deleted.
///
/// Owners are ignored; a file is 0755 when the archive gives it any execute bit, else
/// 0644; directories are 0755; modification times are kept.
public struct SafeExtractor: Sendable {
    public var limits: ExtractionLimits
    /// Asked between entries: once true, the extraction stops (``ExtractionError/Code/interrupted``)
    /// and the partial tree is deleted.
    public var isCancelled: @Sendable () -> Bool = { false }

    public init(limits: ExtractionLimits = .standard) {
        self.limits = limits
    }

    /// Extracts `archivePath` to `destination`, which must not exist yet (its parent must).
    /// `named` is how errors name the archive (its S3 URL, say); default: its path.
    @discardableResult
    public func extract(_ archivePath: String, to destination: String, named: String? = nil) throws -> ExtractionSummary {
        let shownArchive = named ?? archivePath
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        guard let realParent = realPath(parent.isEmpty ? "." : parent) else {
            throw ExtractionError(.writeFailed, archive: shownArchive, "cannot extract into \(destination): \(parent) does not exist")
        }
        var existing = stat()
        if lstat(destination, &existing) == 0 {
            throw ExtractionError(.writeFailed, archive: shownArchive, "cannot extract into \(destination): it already exists; remove it first")
        }
        var template = Array((realParent + "/.extracting-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ExtractionError(.writeFailed, archive: shownArchive,
                                  "cannot create a temporary directory in \(realParent): \(String(cString: strerror(errno)))")
        }
        let root = String(cString: made)
        var finished = false
        defer { if !finished { removeTree(root) } }
        chmod(root, 0o755)

        var run = ExtractionRun(archive: archivePath, shown: shownArchive, root: root, limits: limits)
        run.isCancelled = isCancelled
        try run.extractAll()
        try run.verifyLinks()
        guard rename(root, realParent + "/" + name) == 0 else {
            throw ExtractionError(.writeFailed, archive: shownArchive,
                                  "cannot move the extracted tree to \(destination): \(String(cString: strerror(errno)))")
        }
        finished = true
        return run.summary
    }
}

/// The state of one extraction: the root, the running totals, the links to re-check.
private struct ExtractionRun {
    let archive: String
    /// How messages name the archive.
    let archiveName: String
    /// The temporary root: absolute, free of symbolic links.
    let root: String
    let limits: ExtractionLimits
    var summary = ExtractionSummary()
    var entryCount = 0
    /// Symbolic links written, relative to the root, checked again once all entries exist.
    var links: [String] = []
    /// What each path written so far is (relative to the root): two entries of one name, or
    /// an entry below one written as a file, are refused (``ExtractionError/Code/conflictingEntries``).
    var written: [String: WrittenKind] = [:]
    enum WrittenKind { case directory, file, symbolicLink }
    var isCancelled: @Sendable () -> Bool = { false }

    init(archive: String, shown: String, root: String, limits: ExtractionLimits) {
        self.archive = archive
        self.archiveName = shown
        self.root = root
        self.limits = limits
    }

    func fail(_ code: ExtractionError.Code, _ message: String) -> ExtractionError {
        ExtractionError(code, archive: archiveName, message)
    }

    func fail(_ code: ExtractionError.Code, _ entry: String, _ message: String) -> ExtractionError {
        ExtractionError(code, archive: archiveName, entry: entry, message)
    }

    mutating func extractAll() throws {
        // libarchive converts names through the thread's locale: serialize and use UTF-8.
        archiveLock.lock()
        defer { archiveLock.unlock() }
        let utf8 = UTF8Locale()
        defer { utf8.restore() }

        guard let reader = archive_read_new() else { throw fail(.writeFailed, "cannot create an archive reader (out of memory)") }
        defer { archive_read_free(reader) }
        archive_read_support_format_zip(reader)
        archive_read_support_format_tar(reader)
        // Built-in decompressors only: never an external program.
        archive_read_support_filter_gzip(reader)
        archive_read_support_filter_bzip2(reader)
        archive_read_support_filter_xz(reader)
        archive_read_support_filter_zstd(reader)

        var st = stat()
        guard stat(archive, &st) == 0 else {
            throw fail(.unreadable, "cannot read the archive: \(String(cString: strerror(errno))); check the path")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw fail(.unreadable, "is not a regular file; give the path of a .zip, .tar.gz, .tgz or .tar.zst file")
        }
        guard archive_read_open_filename(reader, archive, 1 << 16) == ARCHIVE_OK else {
            let reason = libarchiveMessage(reader)
            // A compressed archive cut off before its first entry's header is an archive still.
            if reason.localizedCaseInsensitiveContains("truncated") {
                throw fail(.damaged, "cannot be read: it is damaged or truncated (\(reason)); make or upload the archive again")
            }
            throw fail(.notAnArchive, "is not a ZIP or tar archive libarchive can read (\(reason)); give a .zip, .tar.gz, .tgz or .tar.zst file")
        }
        guard let writer = archive_write_disk_new() else { throw fail(.writeFailed, "cannot create a disk writer (out of memory)") }
        defer { archive_write_free(writer) }
        archive_write_disk_set_options(writer, sb_extract_secure_flags())

        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            if isCancelled() { throw fail(.interrupted, "was not extracted: the extraction was stopped") }
            guard status >= ARCHIVE_WARN, let entry else {
                let message = libarchiveMessage(reader)
                if message.localizedCaseInsensitiveContains("passphrase") || message.localizedCaseInsensitiveContains("encrypt") {
                    throw fail(.damaged, "cannot be read: the archive is encrypted (\(message)); sitebuild reads archives without a password: make it again without one")
                }
                throw fail(.damaged, "cannot be read after \(entryCount) entr\(entryCount == 1 ? "y" : "ies"): it is damaged or truncated (\(libarchiveMessage(reader))); make or upload the archive again")
            }
            entryCount += 1
            if entryCount > limits.entries {
                throw fail(.tooManyEntries, "has more than \(limits.entries) entries, the limit; refusing it (if the archive is genuine, raise the entry limit)")
            }
            try extractEntry(entry, reader: reader, writer: writer)
        }
        guard archive_write_close(writer) == ARCHIVE_OK else {
            throw fail(.writeFailed, "cannot finish writing below \(root): \(libarchiveMessage(writer))")
        }
    }

    private mutating func extractEntry(_ entry: OpaquePointer, reader: OpaquePointer, writer: OpaquePointer) throws {
        guard let rawName = archive_entry_pathname(entry) else {
            let reason = libarchiveMessage(reader)
            if reason.lowercased().contains("convert") {
                throw fail(.nonUTF8Name, "has an entry whose name cannot be read as UTF-8 (\(reason)); re-create the archive with UTF-8 file names")
            }
            throw fail(.damaged, "has an entry without a name after \(entryCount - 1) good entries: it is damaged (\(reason)); make or upload the archive again")
        }
        let nameBytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(rawName).assumingMemoryBound(to: UInt8.self), count: strlen(rawName)))
        let shown = ExtractionError.escaped(nameBytes)
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw fail(.nonUTF8Name, shown, "has a name that is not valid UTF-8; re-create the archive with UTF-8 file names (zip -UN=UTF8, or tar in a UTF-8 locale)")
        }
        if name.isEmpty {
            throw fail(.invalidName, "has an entry with an empty name after \(entryCount - 1) good entries; the archive is damaged or hostile, so it is refused")
        }
        let type = archive_entry_filetype(entry) & sb_ae_ifmt()
        let hardLinkTarget = archive_entry_hardlink(entry)
        let relative = try safeRelativePath(name, shown: shown, what: "name")

        guard let relative else {
            // The root itself ("." or "./"): nothing to write.
            if type == sb_ae_ifdir() && hardLinkTarget == nil { return }
            throw fail(.invalidName, shown, "names the extraction root itself but is not a directory; refusing the archive")
        }

        var isRegular = false
        var kind = WrittenKind.file
        if let hardLinkTarget {
            try checkHardLink(hardLinkTarget, entry: shown)
            let target = try safeRelativePath(cString(hardLinkTarget), shown: shown, what: "hard link target")!
            archive_entry_set_hardlink(entry, root + "/" + target)
            summary.hardLinks += 1
        } else {
            switch type {
            case sb_ae_ifreg():
                isRegular = true
                let executable = archive_entry_perm(entry) & 0o111 != 0
                archive_entry_set_perm(entry, executable ? 0o755 : 0o644)
                if archive_entry_size_is_set(entry) != 0 {
                    let declared = archive_entry_size(entry)
                    if declared > limits.fileBytes { throw tooLargeFile(shown) }
                    if summary.bytes + declared > limits.totalBytes { throw tooLargeArchive(shown) }
                }
                summary.files += 1
            case sb_ae_ifdir():
                archive_entry_set_perm(entry, 0o755)
                summary.directories += 1
                kind = .directory
            case sb_ae_iflnk():
                kind = .symbolicLink
                try checkSymbolicLink(entry, relative: relative, shown: shown)
                links.append(relative)
                summary.symbolicLinks += 1
            default:
                throw fail(.specialFile, shown, "is \(describe(type)); archives may hold only files, directories and symbolic links, so the archive is refused")
            }
        }
        try checkNoClash(relative, kind: kind, shown: shown)
        archive_entry_set_pathname(entry, root + "/" + relative)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)

        let header = archive_write_header(writer, entry)
        if header < ARCHIVE_WARN {
            let reason = writerMessage(writer)
            // SECURE_SYMLINKS: an entry below a symbolic link the archive made earlier.
            if reason.contains("symlink") {
                throw fail(.symlinkEscape, shown, "would be written through a symbolic link from the archive (\(reason)); refusing the archive")
            }
            throw fail(.writeFailed, shown, "could not be written: \(reason); the archive is refused")
        }
        if isRegular {
            try copyData(reader: reader, writer: writer, shown: shown)
        }
        if archive_write_finish_entry(writer) < ARCHIVE_WARN {
            throw fail(.writeFailed, shown, "could not be written: \(writerMessage(writer)); the archive is refused")
        }
    }

    /// Refuses an entry whose name an earlier entry took (a listing, `unzip -l` or a review,
    /// shows one of them and extraction would keep the other), but for a directory named again,
    /// and one below an entry written as a file (which the disk writer could only fail on).
    private mutating func checkNoClash(_ relative: String, kind: WrittenKind, shown: String) throws {
        if let earlier = written[relative], earlier != .directory || kind != .directory {
            throw fail(.conflictingEntries, shown, "appears twice in the archive (an earlier entry has the same name"
                + (earlier == kind ? "" : ", as a \(Self.word(earlier))") + "): a listing shows one and the extraction would keep the "
                + "other, so the archive is refused; re-create it with each name once")
        }
        var parent = Substring(relative)
        while let slash = parent.lastIndex(of: "/") {
            parent = parent[..<slash]
            switch written[String(parent)] {
            case .file?:
                throw fail(.conflictingEntries, shown, "is below '\(ExtractionError.escaped(Array(parent.utf8)))', which the archive has as a "
                    + "file, so the archive is refused; re-create it with that file or that folder renamed")
            case nil:
                // A folder the entry makes (a later file of that name clashes with it).
                written[String(parent)] = .directory
            case .directory?, .symbolicLink?:
                break
            }
        }
        written[relative] = kind
    }

    private static func word(_ kind: WrittenKind) -> String {
        switch kind {
        case .directory: "directory"
        case .file: "file"
        case .symbolicLink: "symbolic link"
        }
    }

    /// Streams one file's data, counting its logical size against both limits as it grows.
    private mutating func copyData(reader: OpaquePointer, writer: OpaquePointer, shown: String) throws {
        var size = 0
        var offset: Int64 = 0
        var block: UnsafeRawPointer?
        var logicalEnd: Int64 = 0
        let before = summary.bytes
        while true {
            let status = archive_read_data_block(reader, &block, &size, &offset)
            if status == ARCHIVE_EOF { break }
            if isCancelled() { throw fail(.interrupted, "was not extracted: the extraction was stopped") }
            if status < ARCHIVE_WARN {
                let message = libarchiveMessage(reader)
                if message.localizedCaseInsensitiveContains("passphrase") || message.localizedCaseInsensitiveContains("encrypt") {
                    throw fail(.damaged, shown, "cannot be read: the archive is encrypted (\(message)); sitebuild reads archives without a password: make it again without one")
                }
                throw fail(.damaged, shown, "cannot be read: the archive is damaged or truncated (\(message)); make or upload the archive again")
            }
            let end = offset + Int64(size)
            if end > logicalEnd { logicalEnd = end }
            if logicalEnd > limits.fileBytes { throw tooLargeFile(shown) }
            summary.bytes = before + logicalEnd
            if summary.bytes > limits.totalBytes { throw tooLargeArchive(shown) }
            if size > 0 {
                let written = archive_write_data_block(writer, block, size, offset)
                if written == Int(ARCHIVE_WARN) {
                    throw fail(.damaged, shown, "holds more data than its header declares (\(writerMessage(writer))); the archive is damaged or hostile, so it is refused")
                }
                if written < 0 {
                    throw fail(.writeFailed, shown, "could not be written: \(writerMessage(writer)); the archive is refused")
                }
            }
        }
    }

    /// The disk writer's message, with the temporary root left out of the paths it names.
    private func writerMessage(_ writer: OpaquePointer) -> String {
        libarchiveMessage(writer).replacingOccurrences(of: root + "/", with: "")
    }

    private func tooLargeFile(_ shown: String) -> ExtractionError {
        fail(.fileTooLarge, shown, "expands past the per-file limit of \(byteCount(limits.fileBytes)); refusing the archive (a zip bomb, or raise the per-file limit if the file is genuine)")
    }

    private func tooLargeArchive(_ shown: String) -> ExtractionError {
        fail(.archiveTooLarge, shown, "takes the expanded size past the limit of \(byteCount(limits.totalBytes)) for the whole archive; refusing it (a zip bomb, or raise the total limit if the archive is genuine)")
    }

    /// `name` as a clean relative path (no `.` or empty components), or nil for the root.
    /// Refuses absolute paths and any `..` component (also between backslashes, which
    /// Windows tools write as separators).
    private func safeRelativePath(_ name: String, shown: String, what: String) throws -> String? {
        if name.hasPrefix("/") {
            throw fail(.absolutePath, shown, "has an absolute \(what) and would be written outside the extraction directory; refusing the archive (re-create it with paths relative to its root)")
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: true)
        if components.contains(where: { $0 == ".." || $0.split(separator: "\\").contains("..") }) {
            throw fail(.pathTraversal, shown, "has a '..' component in its \(what) and could be written outside the extraction directory; refusing the archive (re-create it with paths below its root)")
        }
        let kept = components.filter { $0 != "." }
        return kept.isEmpty ? nil : kept.joined(separator: "/")
    }

    /// A hard link must name, without `..` or a leading `/`, a regular file already extracted.
    private func checkHardLink(_ target: UnsafePointer<CChar>, entry shown: String) throws {
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(target).assumingMemoryBound(to: UInt8.self), count: strlen(target)))
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw fail(.nonUTF8Name, shown, "is a hard link to '\(ExtractionError.escaped(bytes))', which is not valid UTF-8; re-create the archive with UTF-8 file names")
        }
        if text.hasPrefix("/") || text.split(separator: "/").contains(where: { $0 == ".." || $0.split(separator: "\\").contains("..") }) {
            throw fail(.hardLinkEscape, shown, "is a hard link to '\(ExtractionError.escaped(bytes))', outside the extraction directory; refusing the archive")
        }
        guard let relative = try? safeRelativePath(text, shown: shown, what: "hard link target") else {
            throw fail(.hardLinkEscape, shown, "is a hard link to the extraction root; refusing the archive")
        }
        var st = stat()
        guard lstat(root + "/" + relative, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, realPath(root + "/" + relative) == root + "/" + relative else {
            throw fail(.hardLinkEscape, shown, "is a hard link to '\(text)', which is not a file extracted earlier from the archive; refusing the archive")
        }
    }

    private func checkSymbolicLink(_ entry: OpaquePointer, relative: String, shown: String) throws {
        guard let rawTarget = archive_entry_symlink(entry) else {
            throw fail(.nonUTF8Name, shown, "is a symbolic link whose target cannot be read as UTF-8; re-create the archive with UTF-8 file names")
        }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(rawTarget).assumingMemoryBound(to: UInt8.self), count: strlen(rawTarget)))
        guard let target = String(validating: bytes, as: UTF8.self) else {
            throw fail(.nonUTF8Name, shown, "is a symbolic link to '\(ExtractionError.escaped(bytes))', which is not valid UTF-8; re-create the archive with UTF-8 file names")
        }
        if target.isEmpty {
            throw fail(.symlinkEscape, shown, "is a symbolic link with an empty target; refusing the archive")
        }
        let parent = relative.split(separator: "/").dropLast().map(String.init)
        switch LinkResolution.resolve(target, from: parent, root: root) {
        case .inside: return
        case .outside:
            throw fail(.symlinkEscape, shown, "is a symbolic link to '\(ExtractionError.escaped(bytes))', which points outside the extracted tree; refusing the archive (links must be relative and stay inside the site)")
        case .loop:
            throw fail(.symlinkEscape, shown, "is a symbolic link to '\(ExtractionError.escaped(bytes))' that loops through other links; refusing the archive")
        }
    }

    /// Once every entry exists, each link is resolved again: a later link can change where
    /// an earlier one leads (`a -> .` then `b -> a/..`).
    func verifyLinks() throws {
        for relative in links {
            let path = root + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { continue }
            let components = relative.split(separator: "/").map(String.init)
            let parent = Array(components.dropLast())
            let parentPath = parent.isEmpty ? root : root + "/" + parent.joined(separator: "/")
            guard realPath(parentPath) == parentPath, let target = readLink(path) else {
                throw fail(.symlinkEscape, ExtractionError.escaped(relative.utf8), "lies below another symbolic link; refusing the archive")
            }
            if LinkResolution.resolve(target, from: parent, root: root) != .inside {
                throw fail(.symlinkEscape, ExtractionError.escaped(relative.utf8), "is a symbolic link to '\(ExtractionError.escaped(target.utf8))', which (through other links in the archive) points outside the extracted tree; refusing the archive")
            }
        }
    }

    private func describe(_ type: UInt32) -> String {
        switch type {
        case sb_ae_ifchr(): return "a character device"
        case sb_ae_ifblk(): return "a block device"
        case sb_ae_ififo(): return "a FIFO (named pipe)"
        case sb_ae_ifsock(): return "a socket"
        default: return "an entry of unknown type (mode \(String(type, radix: 8)))"
        }
    }
}

/// Where a relative symbolic link leads, resolved against the tree on disk below `root`:
/// links met on the way are followed (they are inside the root, since each was checked
/// when written), components that do not exist yet are taken as directories to come.
enum LinkResolution: Equatable {
    case inside, outside, loop

    static func resolve(_ target: String, from parent: [String], root: String) -> LinkResolution {
        if target.hasPrefix("/") { return .outside }
        var stack = parent
        var pending = ArraySlice(target.split(separator: "/", omittingEmptySubsequences: true).map(String.init))
        var hops = 0
        while let component = pending.popFirst() {
            if component == "." { continue }
            if component == ".." {
                if stack.isEmpty { return .outside }
                stack.removeLast()
                continue
            }
            stack.append(component)
            let path = root + "/" + stack.joined(separator: "/")
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { continue }
            hops += 1
            if hops > 40 { return .loop }
            guard let next = readLink(path) else { return .outside }
            if next.hasPrefix("/") { return .outside }
            stack.removeLast()
            pending = ArraySlice(next.split(separator: "/", omittingEmptySubsequences: true).map(String.init)) + pending
        }
        return .inside
    }
}

func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func cString(_ pointer: UnsafePointer<CChar>) -> String {
    String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)), as: UTF8.self)
}

private func libarchiveMessage(_ archive: OpaquePointer) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? "no detail from libarchive"
}

private func byteCount(_ bytes: Int64) -> String {
    if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
    if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
    return "\(bytes) bytes"
}

/// Deletes a tree without following symbolic links, making directories writable first.
/// Entries that vanish meanwhile (another process removing the same tree) are no error: the
/// caller checks whether `path` is gone.
public func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        chmod(path, 0o755)
        if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
            for name in names { removeTree(path + "/" + name) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}
