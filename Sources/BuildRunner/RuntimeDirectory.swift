import Foundation
import SiteContent

/// Where a build keeps the files its commands use but must never clean away: the shell state
/// (``ShellSession``'s `env.sh`, `script.sh`) and the folder of `codebuild-hash-files`.
///
/// CodeBuild keeps its agent's state outside the temporary directory, and buildspecs do empty
/// it (a classic Hugo recipe removes everything in it with `rm -rf` and a `*` glob). So these
/// folders are made in `<cache directory>/run`, sitebuild's own per-user folder. When commands
/// run as other users (`run-as`) and that folder cannot be entered by them (root's home folder
/// is usually 0700), they are made in the temporary directory instead, under a name starting
/// with a dot, which a `*` glob does not match.
public enum RuntimeDirectory {
    /// Makes a new private folder (`mode`) for `kind` (`shell`, `bin`) and returns its path.
    /// `reachableByOtherUsers`: commands of other users (`run-as`) must be able to enter it.
    public static func make(_ kind: String, cacheDirectory: String, reachableByOtherUsers: Bool, mode: mode_t = 0o700) throws -> String {
        let name = "\(kind)-\(hostKey)-\(getpid())-XXXXXX"
        let parent = ownFolder(cacheDirectory: cacheDirectory, reachableByOtherUsers: reachableByOtherUsers)
        let template = parent.map { $0 + "/" + name } ?? (NSTemporaryDirectory() as NSString).appendingPathComponent(".sitebuild-" + name)
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw ProcessError("cannot create a folder in \((template as NSString).deletingLastPathComponent)", errno: errno)
        }
        let path = String(cString: made)
        guard chmod(path, mode) == 0 else { throw ProcessError("cannot set the permissions of \(path)", errno: errno) }
        return path
    }

    /// `<cache directory>/run` when it is usable: a folder of this user's that no one else can
    /// write in, and, with `reachableByOtherUsers`, one every user can enter. Folders that
    /// builds killed on this machine left there (their process is gone) are removed: they hold
    /// the build's variables, secrets among them.
    static func ownFolder(cacheDirectory: String, reachableByOtherUsers: Bool) -> String? {
        let run = (cacheDirectory.hasPrefix("/") ? cacheDirectory : FileManager.default.currentDirectoryPath + "/" + cacheDirectory) + "/run"
        try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        // Others may pass through (a run-as user to its state), never list or change it.
        if mkdir(run, 0o711) != 0 && errno != EEXIST { return nil }
        var info = stat()
        guard lstat(run, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else { return nil }
        if reachableByOtherUsers && !enterableByEveryone(run) { return nil }
        removeLeftovers(in: run)
        return run
    }

    /// Whether every folder from `/` down to `path` can be entered by any user.
    static func enterableByEveryone(_ path: String) -> Bool {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            guard stat(prefix, &info) == 0, info.st_mode & 0o001 != 0 else { return false }
        }
        return true
    }

    /// Removes the folders of builds of this machine (the same host and process namespace)
    /// whose process no longer runs.
    static func removeLeftovers(in run: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: run) else { return }
        for entry in entries {
            let parts = entry.split(separator: "-")
            guard parts.count == 4, parts[1] == hostKey, let pid = pid_t(parts[2]), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: run + "/" + entry) }
        }
    }

    /// Names this machine and process namespace: a cache directory shared by several machines
    /// (a home folder on NFS) or containers never has another's live folders taken for leftovers.
    static let hostKey: String = {
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? ""
        let host = HostName.current() ?? ""
        return String(ContentHash(of: host + "\n" + namespace).hex.prefix(12))
    }()
}
