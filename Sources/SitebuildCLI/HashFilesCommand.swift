import AWSCore
import Foundation
import SiteContent

/// `codebuild-hash-files <glob>…`: the SHA-256 of the files the globs match in the
/// source directory, as CodeBuild's helper for `cache.key`. The files are taken in
/// byte-wise path order and their contents fed to one SHA-256; the hex digest is printed.
enum HashFilesCommand {
    static let programName = "codebuild-hash-files"

    static func run(_ arguments: [String]) -> Int32 {
        guard !arguments.isEmpty, !arguments.contains("--help") else {
            writeAll(2, Array("usage: codebuild-hash-files <glob-pattern>...\n".utf8))
            return arguments.isEmpty ? 2 : 0
        }
        let environment = ProcessInfo.processInfo.environment
        let root = environment["CODEBUILD_SRC_DIR"] ?? FileManager.default.currentDirectoryPath
        let patterns = arguments.map(GlobPattern.init)
        let files = FileWalker().walk(root)
            .filter { entry in entry.kind == .file && patterns.contains { $0.matches(entry.path) } }
            .map(\.path)
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if files.isEmpty {
            // The hash is still printed (a key must be made), but it is that of no file: the same
            // whatever changes, so a cache keyed by it is never updated.
            writeAll(2, Array(("codebuild-hash-files: no file in \(root) matches \(arguments.joined(separator: " ")); "
                + "the hash printed is that of no file, the same in every build (patterns are relative to the source directory)\n").utf8))
        }
        let hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for file in files {
            let fd = open(root + "/" + file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        }
        writeAll(1, Array((hasher.finalize().hexString + "\n").utf8))
        return 0
    }
}
