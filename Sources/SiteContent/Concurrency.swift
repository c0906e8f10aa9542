import Foundation

/// Hands out work item numbers to a group of workers, each number once.
public final class WorkCounter: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private var value = 0
    private let lock = NSLock()

    public init() {}

    /// The next item number (0, 1, 2, …).
    public func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

extension Duration {
    /// Whole milliseconds, for logs and JSON events.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a floating-point number, for human summaries.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Calls `body` with the file's bytes in pieces of at most 64 KiB, in order (EINTR retried).
/// With `until`, stops before the next piece once it returns true.
func forEachChunk(ofFile path: String, until done: () -> Bool = { false }, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw ArchiveError("cannot read \(path): \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while !done() {
        let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ArchiveError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if n == 0 { return }
        try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<n])) }
    }
}

/// The byte range of element `index` of strings packed one after another, where `ends[i]` is
/// where string `i` ends (manifest paths, hashed-file paths, alias targets).
@inline(__always) func packedRange(_ ends: [UInt32], _ index: Int) -> Range<Int> {
    (index == 0 ? 0 : Int(ends[index - 1]))..<Int(ends[index])
}

/// Writes all of `bytes` to a file descriptor, retrying short writes and EINTR.
/// Returns false when the descriptor refuses (errno says why).
@discardableResult
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += n
    }
    return true
}
