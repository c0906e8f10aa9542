import Foundation

/// A file of our own in the temporary directory (`TMPDIR`), made with `mkstemp`.
struct TemporaryFile: Sendable {
    let path: String

    init(prefix: String) throws {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("sitebuild-\(prefix)-XXXXXX")).utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw DeployError("cannot create a temporary file in \(NSTemporaryDirectory()): \(String(cString: strerror(errno))); set TMPDIR to a writable directory")
        }
        close(descriptor)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func remove() {
        unlink(path)
    }
}
