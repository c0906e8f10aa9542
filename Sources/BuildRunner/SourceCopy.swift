import Foundation
import SiteContent

/// A fresh copy of a source directory for `--clean`: what git would check out plus new
/// files it does not ignore (`git ls-files -co --exclude-standard`) in a git work tree,
/// everything otherwise; never `.git` or `.sitebuild/`. Symbolic links are copied as
/// links; a file keeps only its execute bit.
struct SourceCopy {
    /// The git executable, when installed.
    let git: String?
    let environment: [String: String]
    /// Absolute paths never copied (the work directory, when it lies inside the source).
    let excluded: [String]
    /// Set by a signal: the copy stops between files (and its git calls are stopped).
    var cancellation: Cancellation? = nil
    /// Files whose names are not UTF-8, not copied (relative to the source, bytes past ASCII
    /// as `\xNN`): URLs and S3 keys need UTF-8, and a build in place refuses them in an
    /// artifact. The caller says which.
    let skipped = SkippedNames()

    final class SkippedNames: @unchecked Sendable {
        // @unchecked: one copy runs on one thread.
        var names: [String] = []
    }

    /// Copies `source` to `destination` (created); returns the number of files copied.
    @discardableResult
    func copy(from source: String, to destination: String) throws -> Int {
        try makeDirectory(destination)
        var count = 0
        if let paths = try gitListedPaths(source) {
            for path in paths where !isSkipped(path) {
                count += try copyItem(source + "/" + path, to: destination + "/" + path, recursive: true, relative: path + "/")
            }
        } else {
            count += try copyTree(source, to: destination)
        }
        return count
    }

    /// The paths git would keep, relative to `source`; nil when it is not a work tree.
    private func gitListedPaths(_ source: String) throws -> [String]? {
        guard let git else { return nil }
        let probe = try? CapturedCommand.run([git] + GitInfo.readingAnyOwner + ["-C", source, "rev-parse", "--is-inside-work-tree"],
                                             environment: environment, cancellation: cancellation)
        try checkCancellation()
        guard let probe, probe.succeeded, probe.stdoutText == "true" else {
            // A repository git cannot read would otherwise be copied whole, ignored files
            // (`.env`, node_modules) included.
            if FileManager.default.fileExists(atPath: source + "/.git") {
                let reason = probe.map { $0.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "git did not run"
                throw SourceError(.invalidInput, "--clean: \(source) has a .git that git cannot read (\(reason)), so which files it "
                    + "ignores is unknown; repair the repository, or build without --clean")
            }
            return nil
        }
        let listing = try CapturedCommand.run([git] + GitInfo.readingAnyOwner + ["-C", source, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                              environment: environment, cancellation: cancellation)
        try checkCancellation()
        guard listing.succeeded else {
            throw SourceError(.invalidInput, "--clean: git could not list the files of \(source): \(listing.stderrText)")
        }
        var seen = Set<String>()
        var paths: [String] = []
        for bytes in listing.stdout.split(separator: 0) {
            // Decoded with replacement characters, such a name named no file, and the file
            // was taken for one deleted since and left out unsaid: now left out and said.
            guard var path = String(validating: bytes, as: UTF8.self) else {
                skipped.names.append(FileWalker.shownName(bytes))
                continue
            }
            if path.hasSuffix("/") { path.removeLast() }
            if seen.insert(path).inserted { paths.append(path) }
        }
        return paths
    }

    private func isSkipped(_ relative: String) -> Bool {
        relative.split(separator: "/").contains { $0 == ".git" || $0 == ".sitebuild" }
    }

    /// Copies one file, link or (for a submodule or nested repository) directory tree.
    private func copyItem(_ from: String, to: String, recursive: Bool, relative: String = "") throws -> Int {
        try checkCancellation()
        if excluded.contains(from) { return 0 }
        var st = stat()
        guard lstat(from, &st) == 0 else { return 0 }   // listed by git but deleted
        try makeDirectory((to as NSString).deletingLastPathComponent)
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            do {
                try FileCopy.copyContents(of: from, to: to, executable: st.st_mode & 0o111 != 0)
            } catch {
                throw SourceError(.invalidInput, "--clean: \(error)")
            }
            return 1
        case S_IFLNK:
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: from), symlink(target, to) == 0 else {
                throw SourceError(.invalidInput, "--clean: cannot copy the link \(from): \(String(cString: strerror(errno)))")
            }
            return 1
        case S_IFDIR:
            return recursive ? try copyTree(from, to: to, relative: relative) : 0
        default:
            return 0
        }
    }

    private func copyTree(_ from: String, to: String, relative: String = "") throws -> Int {
        try makeDirectory(to)
        var count = 0
        let (names, notUTF8) = FileWalker.directoryNames(from) ?? ([], [])
        skipped.names += notUTF8.map { relative + $0 }
        for name in names.sorted() where name != ".git" && name != ".sitebuild" {
            count += try copyItem(from + "/" + name, to: to + "/" + name, recursive: true, relative: relative + name + "/")
        }
        return count
    }

    private func checkCancellation() throws {
        if let reason = cancellation?.reason { throw SourceError.interrupted(reason, "while the source was copied (--clean)") }
    }

    private func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SourceError(.invalidInput, "--clean: cannot create \(path): \(error.localizedDescription)")
        }
    }
}
