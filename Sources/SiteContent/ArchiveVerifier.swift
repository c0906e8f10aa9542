import CArchive
import Foundation

extension ArchiveReader {
    /// Reads every entry of the tar (plain, gzip or zstd) at `archivePath` to its end
    /// without writing anything, so a truncated or corrupt archive is found before it is
    /// extracted over a tree. Returns the number of entries.
    @discardableResult
    public static func verifyTar(_ archivePath: String) throws -> Int {
        archiveLock.lock()
        defer { archiveLock.unlock() }
        guard let archive = archive_read_new() else { throw ArchiveError("cannot create an archive reader") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, archivePath, 1 << 20) == ARCHIVE_OK else {
            throw ArchiveError("cannot open \(archivePath): \(String(cString: archive_error_string(archive)))")
        }
        var entry: OpaquePointer?
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var count = 0
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN else {
                throw ArchiveError("cannot read \(archivePath): \(String(cString: archive_error_string(archive)))")
            }
            while true {
                let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if n < 0 { throw ArchiveError("cannot read \(archivePath): \(String(cString: archive_error_string(archive)))") }
                if n == 0 { break }
            }
            count += 1
        }
        return count
    }
}
