import Foundation

/// Copies file contents (following links), with a fixed mode, in blocks of up to 1 MiB.
public enum FileCopy {
    /// Throws when the file opened (`opened`, from fstat) is not the one chosen (`identity`, its
    /// device and inode then; nil: not checked): the path was swapped for a link meanwhile.
    public static func check(_ opened: stat, is identity: [UInt64]?, _ source: String) throws {
        if let identity, FileWalker.identity(opened) != identity {
            throw ArchiveError("\(source) changed while it was being read (it now leads to another file); build again")
        }
    }

    /// `identity`: the device and inode `source` had when it was chosen (links followed); the
    /// copy is refused when the path now leads to another file (a link swapped in meanwhile).
    /// `hasher`, when given, is fed the bytes copied, so a caller can check them against a
    /// planned hash without reading the file again. Returns the number of bytes copied.
    @discardableResult
    public static func copyContents(of source: String, to target: String, executable: Bool = false,
                                    identity: [UInt64]? = nil, hashing hasher: ContentHasher? = nil) throws -> Int64 {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        var opened = stat()
        fstat(input, &opened)
        try check(opened, is: identity, source)
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        // Sized to the file and left uninitialised: a zero-filled 1 MiB block per file was
        // mapped, faulted in page by page and unmapped again for every small file of a site.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize(forFileOf: Int64(opened.st_size)), alignment: 64)
        defer { buffer.deallocate() }
        var copied: Int64 = 0
        while true {
            let n = read(input, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return copied }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher?.update(chunk)
            guard writeFully(output, chunk) else {
                throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))")
            }
            copied += Int64(n)
        }
    }

    /// The copy buffer for a file of `size` bytes (as fstat gave it when opened): the whole
    /// file, at least 4 KiB (one that grows meanwhile is still copied, in more reads), at most
    /// 1 MiB.
    public static func bufferSize(forFileOf size: Int64) -> Int {
        Int(min(1 << 20, max(4096, size)))
    }
}
