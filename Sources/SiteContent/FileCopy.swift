import Foundation

/// Copies file contents (following links), with a fixed mode, in large blocks.
public enum FileCopy {
    /// `identity`: the device and inode `source` had when it was chosen (links followed); the
    /// copy is refused when the path now leads to another file (a link swapped in meanwhile).
    public static func copyContents(of source: String, to target: String, executable: Bool = false,
                                    identity: (device: UInt64, inode: UInt64)? = nil) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        if let identity {
            var opened = stat()
            guard fstat(input, &opened) == 0, UInt64(opened.st_dev) == identity.device, UInt64(opened.st_ino) == identity.inode else {
                throw ArchiveError("\(source) changed while it was being copied (it now leads to another file); build again")
            }
        }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw ArchiveError("cannot read \(source): \(String(cString: strerror(errno)))") }
            if n == 0 { return }
            guard buffer.withUnsafeBytes({ writeFully(output, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) else {
                throw ArchiveError("cannot write \(target): \(String(cString: strerror(errno)))")
            }
        }
    }
}
