import Foundation
import SiteContent
import Synchronization

/// `<work root>/<name>`: where a fetched or copied source lives for one run. It is
/// emptied at the start of each run (never at the end, so a failed build can be looked
/// at), locked against a second sitebuild process using the same name, and only ever
/// deleted when sitebuild made it (it holds a marker file).
struct WorkDirectory {
    static let marker = ".sitebuild-work"

    let path: String

    /// The root for work directories: `$SITEBUILD_WORK_DIR`, else `.sitebuild/_work` in `cwd`.
    static func root(cwd: String, environment: [String: String]) -> String {
        if let dir = environment["SITEBUILD_WORK_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir.hasPrefix("/") ? dir : cwd + "/" + dir).standardizedFileURL.path
        }
        return cwd + "/.sitebuild/_work"
    }

    /// A file-name-safe form of `name`: letters, digits, `.`, `_` and `-`.
    static func sanitizedName(_ name: String) -> String {
        var result = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(64))
        while result.hasPrefix(".") { result.removeFirst() }
        return result.isEmpty ? "source" : result
    }

    /// Creates (or empties) `<root>/<name>` and takes its lock for the life of the process.
    static func prepare(root: String, name: String) throws -> WorkDirectory {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw SourceError(.invalidInput, "cannot create the work directory \(root): \(error.localizedDescription); set SITEBUILD_WORK_DIR to a writable directory")
        }
        let path = root + "/" + sanitizedName(name)
        try WorkDirectoryLock.acquire(path + ".lock")
        var st = stat()
        if lstat(path, &st) == 0 {
            let isOurs = (st.st_mode & S_IFMT) == S_IFDIR
                && (fm.fileExists(atPath: path + "/" + marker) || ((try? fm.contentsOfDirectory(atPath: path)) ?? ["?"]).isEmpty)
            guard isOurs else {
                throw SourceError(.invalidInput, "the work directory \(path) exists and was not made by sitebuild; move it away or set SITEBUILD_WORK_DIR to another directory")
            }
            do {
                try fm.removeItem(atPath: path)
            } catch {
                throw SourceError(.invalidInput, "cannot empty the work directory \(path): \(error.localizedDescription); remove it by hand")
            }
        }
        guard mkdir(path, 0o755) == 0, fm.createFile(atPath: path + "/" + marker, contents: Data()) else {
            throw SourceError(.invalidInput, "cannot create the work directory \(path): \(String(cString: strerror(errno)))")
        }
        return WorkDirectory(path: path)
    }
}

/// Exclusive `flock`s on work directories, held until the process exits. A second
/// sitebuild process wanting the same work directory is told so instead of deleting the
/// tree under the first one's build.
enum WorkDirectoryLock {
    private static let held = Mutex<[String: Int32]>([:])

    static func acquire(_ path: String) throws {
        try acquire(path, busy: "another sitebuild process is using the work directory \((path as NSString).deletingPathExtension); wait for it to finish, or set SITEBUILD_WORK_DIR to build elsewhere")
    }

    /// Takes the lock file `path` for the life of the process, or fails with `busy` when
    /// another process holds it.
    static func acquire(_ path: String, busy: @autoclosure () -> String, optional: Bool = false) throws {
        try held.withLock { held in
            if held[path] != nil { return }
            let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                if optional { return }
                throw SourceError(.invalidInput, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
            }
            // A run that a watch started waits its turn: the run of a killed watch may still be
            // stopping in that directory when a restarted watch builds the same archive.
            let waits = ProcessInfo.processInfo.environment["SITEBUILD_WATCH_GUARD"] != nil
            guard flock(fd, waits ? LOCK_EX : LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw SourceError(.invalidInput, busy())
            }
            held[path] = fd
        }
    }
}

/// The build output directory, locked for the life of the process by a build that writes it
/// (one with artifacts): a second build or run writing the same directory (two runs started
/// from one folder) would replace the files the first one is deploying. The lock file lives in the cache directory, named by the path;
/// where the cache directory cannot be written (HOME=/ in a container), builds go unlocked, as
/// they did before, rather than fail.
public enum OutputDirectoryLock {
    public static func acquire(_ output: String, cacheDirectory: String, flag: String?) throws {
        let directory = cacheDirectory + "/locks"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/output-" + ContentHash(of: output).hex.prefix(16) + ".lock"
        try WorkDirectoryLock.acquire(path, busy: "another sitebuild process is building into \(output); wait for it to finish, or "
            + (flag == nil ? "pass --out DIR to build elsewhere" : "give each build its own \(flag!)"), optional: true)
    }
}
