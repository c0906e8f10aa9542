import Foundation

/// Copies file contents (following links), with a fixed mode, in large blocks.
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
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var copied: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))") }
            if n == 0 { return copied }
            guard buffer.withUnsafeBytes({ bytes in
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<n])
                hasher?.update(chunk)
                return writeFully(output, chunk)
            }) else {
                throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))")
            }
            copied += Int64(n)
        }
    }
}
