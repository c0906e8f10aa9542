#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry found by `FileWalker`.
public struct WalkedEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case symlink(target: String)
        case directory
    }

    /// Relative to the walked root, `/`-separated.
    public var path: String
    public var kind: Kind
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanoseconds: Int64
    /// Inode change time in nanoseconds: moves on every write, even when mtime is restored.
    public var ctimeNanoseconds: Int64
    public var device: UInt64
    public var inode: UInt64
    public var mode: UInt32
    /// For a link not followed: its target exists but lies outside ``FileWalker/confinedTo``
    /// (false: the target does not exist, or links are not followed).
    public var leadsOutside = false
    /// Left out (not walked into) because of this name of ``FileWalker/skippingNames`` (its
    /// own, or one a link leads into).
    public var skippedName: String?
    /// Left out (not walked into) because of a name in ``FileWalker/skippingNames``.
    public var skippedByName: Bool { skippedName != nil }
    /// A directory left out (not walked into) because it is a local target of sitebuild's
    /// (``FileWalker/skippingTargets``).
    public var skippedTarget = false
    /// With ``FileWalker/reportsProblems``: why this entry could not be listed as it is (a
    /// directory that cannot be read, a name that is not UTF-8, a FIFO, socket or device).
    public var problem: Problem?

    public enum Problem: Sendable, Equatable {
        /// A directory (or entry) that cannot be read: its files would be left out unseen.
        case unreadable(String)
        /// One that could not be read for want of open files or memory (EMFILE, ENFILE,
        /// ENOMEM, ENOBUFS): this process's limits, not the input's state.
        case exhausted(String)
        /// A name whose bytes are not UTF-8 (`path` shows them as `\xNN`).
        case nameNotUTF8
        /// Not a regular file, directory or link: a FIFO, socket or device.
        case special(String)
    }

    /// The device and inode (of the target, for a followed link), as ``FileWalker/identity(_:)``.
    public var identity: [UInt64] { [device, inode] }
}

/// Lists a directory tree depth-first, sorted byte-wise by path, without following
/// symbolic links unless asked (and then with loop protection).
public struct FileWalker: Sendable {
    public var followSymlinks: Bool
    public var includeDirectories: Bool
    /// Files and directories (by device and inode) left out with everything below them.
    public var skipping: Set<[UInt64]>
    /// Names (such as `.git`) left out wherever they are below the root, and links into them:
    /// reported with ``WalkedEntry/skippedName`` and not walked into. The root's own path may
    /// hold them (a build's output below `.sitebuild/_build`).
    public var skippingNames: Set<String> = []
    /// Names left out as those of ``skippingNames`` are, chosen by a test instead of a list
    /// (``CredentialFiles/matches(_:)``: any case, backup copies).
    public var skippingNamesMatching: (@Sendable (String) -> Bool)?
    /// With `followSymlinks`: a link whose target resolves outside all of these directories
    /// (real paths) is not followed but reported as a link, like a broken one. Empty: any.
    public var confinedTo: [String] = []
    /// Report what cannot be walked (``WalkedEntry/problem``) instead of leaving it out unsaid.
    public var reportsProblems = false
    /// Leave out each directory below the root that is a local target of sitebuild's (its
    /// `_sitebuild/` holds `manifests/` or a `live` pointer: another site's versions and
    /// release records), reported with ``WalkedEntry/skippedTarget``. Probed only in a
    /// directory that has an entry named `_sitebuild`.
    public var skippingTargets = false

    public init(followSymlinks: Bool = false, includeDirectories: Bool = false, skipping: Set<[UInt64]> = []) {
        self.followSymlinks = followSymlinks
        self.includeDirectories = includeDirectories
        self.skipping = skipping
    }

    /// The device and inode of each existing path of `paths` (links followed), for `skipping`.
    public static func identities(of paths: [String]) -> Set<[UInt64]> {
        var result = Set<[UInt64]>()
        for path in paths {
            var st = stat()
            if stat(path, &st) == 0 { result.insert(identity(st)) }
        }
        return result
    }

    /// Entries under `root` (files, symlinks, and directories when asked).
    /// A missing root gives no entries. Broken links are reported as symlinks.
    public func walk(_ root: String, prefix: String = "") -> [WalkedEntry] {
        var result: [WalkedEntry] = []
        walk(root, prefix: prefix) { result.append($0) }
        return result
    }

    /// Calls `visit` with each entry, in the same order as `walk(_:prefix:)`, without
    /// collecting them.
    public func walk(_ root: String, prefix: String = "", visit: (WalkedEntry) -> Void) {
        var visited = Set<[UInt64]>()
        var st = stat()
        if stat(root, &st) == 0 { visited.insert(Self.identity(st)) }
        // Only the part of a link's real path below the folder it shares with the root counts
        // for `skippingNames`: the root may itself lie in a skipped name's folder.
        let rootComponents = !skipsNames || !followSymlinks ? [] : Self.realPath(root).split(separator: "/").map(String.init)
        withoutActuallyEscaping(visit) { visit in
            var sink = Sink(visit: visit)
            walk(root, relative: prefix, rootComponents: rootComponents, into: &sink, visited: &visited, isRoot: true)
        }
    }

    /// Whether `directory` is a local target: `_sitebuild/manifests/` is a directory, or
    /// `_sitebuild/live` exists.
    public static func isLocalTarget(_ directory: String) -> Bool {
        var st = stat()
        if stat(directory + "/_sitebuild/manifests", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return true }
        return lstat(directory + "/_sitebuild/live", &st) == 0
    }

    /// What an entry that failed with `code` is: a limit of this process, or unreadable.
    static func readProblem(_ code: Int32) -> WalkedEntry.Problem {
        let reason = String(cString: strerror(code))
        return [EMFILE, ENFILE, ENOMEM, ENOBUFS].contains(code) ? .exhausted(reason) : .unreadable(reason)
    }

    private struct Sink {
        let visit: (WalkedEntry) -> Void
        func append(_ entry: WalkedEntry) { visit(entry) }
    }

    private func walk(_ directory: String, relative: String, rootComponents: [String], into result: inout Sink, visited: inout Set<[UInt64]>,
                      isRoot: Bool = false) {
        guard let listed = Self.directoryNames(directory) else {
            if reportsProblems, errno != ENOENT {
                result.append(Self.problemEntry(relative.isEmpty ? "." : relative, .directory, Self.readProblem(errno)))
            }
            return
        }
        // Another site's local target: none of it is walked.
        if skippingTargets, !isRoot, listed.names.contains("_sitebuild"), Self.isLocalTarget(directory) {
            var st = stat()
            _ = stat(directory, &st)
            var skipped = Self.entry(relative, st)
            skipped.skippedTarget = true
            result.append(skipped)
            return
        }
        // Not UTF-8: no String names it, so it cannot be opened through one (and S3 keys are
        // UTF-8). Reported with its bytes escaped; never silently dropped.
        if reportsProblems {
            for shown in listed.notUTF8 { result.append(Self.problemEntry(relative.isEmpty ? shown : relative + "/" + shown, .file, .nameNotUTF8)) }
        }
        let names = listed.names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            let full = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(full, &st) == 0 else {
                if reportsProblems, errno != ENOENT {
                    result.append(Self.problemEntry(rel, .file, Self.readProblem(errno)))
                }
                continue
            }
            let isLink = (st.st_mode & S_IFMT) == S_IFLNK
            // A followed link's target, stat'ed once: for `skipping` and for the walk.
            var resolved = st
            let resolves = isLink && followSymlinks && stat(full, &resolved) == 0
            // Left out unsaid (checked first: a skipped name among them is not reported).
            if !skipping.isEmpty, skipping.contains(Self.identity(resolves ? resolved : st)) { continue }
            // A name skipped wherever it is, and a link under another name to it or into it
            // (`g -> ../.git`, `cfg -> ../.git/config`).
            if skipsNames, let skippedName = skips(name) ? name
                : resolves ? skippedName(in: Self.realPath(full), below: rootComponents) : nil {
                var skipped = Self.entry(rel, st)
                skipped.skippedName = skippedName
                result.append(skipped)
                continue
            }
            var entry = Self.entry(rel, st)
            if isLink {
                var target = [CChar](repeating: 0, count: 4097)
                let n = readlink(full, &target, 4096)
                let targetText = n >= 0 ? String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
                if resolves && Self.isInside(full, confinedTo) {
                    entry = Self.entry(rel, resolved)
                    if (resolved.st_mode & S_IFMT) == S_IFDIR {
                        let key = Self.identity(resolved)
                        guard !visited.contains(key) else { continue }
                        visited.insert(key)
                        if includeDirectories { result.append(entry) }
                        walk(full, relative: rel, rootComponents: rootComponents, into: &result, visited: &visited)
                        visited.remove(key)
                        continue
                    }
                    // A link to a FIFO or device is not a file either (opening a FIFO blocks).
                    if (resolved.st_mode & S_IFMT) != S_IFREG {
                        guard reportsProblems else { continue }
                        entry.problem = .special(Self.specialKind(resolved.st_mode))
                    }
                    result.append(entry)
                } else {
                    entry.kind = .symlink(target: targetText)
                    entry.leadsOutside = resolves
                    result.append(entry)
                }
            } else if (st.st_mode & S_IFMT) == S_IFDIR {
                let key = Self.identity(st)
                visited.insert(key)
                if includeDirectories { result.append(entry) }
                walk(full, relative: rel, rootComponents: rootComponents, into: &result, visited: &visited)
                visited.remove(key)
            } else if (st.st_mode & S_IFMT) == S_IFREG {
                result.append(entry)
            } else if reportsProblems {
                entry.problem = .special(Self.specialKind(st.st_mode))
                result.append(entry)
            }
        }
    }

    /// Whether `path` resolves (links followed) to one of `roots` or below; true without roots.
    public static func isInside(_ path: String, _ roots: [String]) -> Bool {
        guard !roots.isEmpty else { return true }
        guard let resolved = realpath(path, nil) else { return true }  // broken: stat says so
        defer { free(resolved) }
        let real = String(cString: resolved)
        return roots.contains { root in real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/") }
    }

    /// The first of `skippingNames` among the folders of `realPath` below those it shares with
    /// the root (`rootComponents`, the root's real path split at `/`); among all of them when
    /// `realPath` is the root or a folder above it (`.sitebuild` from `.sitebuild/_build/out`).
    func skippedName(in realPath: String, below rootComponents: [String]) -> String? {
        let components = realPath.split(separator: "/").map(String.init)
        var shared = 0
        while shared < min(components.count, rootComponents.count), components[shared] == rootComponents[shared] { shared += 1 }
        return components[(shared == components.count ? 0 : shared)...].first { skips($0) }
    }

    /// Whether any name is left out wherever it is (``skippingNames``, ``skippingNamesMatching``).
    var skipsNames: Bool { !skippingNames.isEmpty || skippingNamesMatching != nil }

    /// Whether `name` is one of ``skippingNames`` or passes ``skippingNamesMatching``.
    func skips(_ name: String) -> Bool {
        skippingNames.contains(name) || skippingNamesMatching?(name) == true
    }

    /// The real path of `path` (links resolved), or `path` when it cannot be resolved.
    public static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!

    /// The names in `directory` but `.` and `..`, in the order read, and those that are not
    /// UTF-8 apart, shown as ``shownName(_:)`` does; nil when it cannot be opened (`errno` says
    /// why).
    public static func directoryNames(_ directory: String) -> (names: [String], notUTF8: [String])? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = [], notUTF8: [String] = []
        while let entry = readdir(dir) {
            // Read the name in place: copying `d_name` (a 256-byte tuple) would read past a
            // short record at the end of readdir's buffer, and fault when that is a page end.
            let raw = (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
            guard let name = String(validatingCString: raw) else {
                notUTF8.append(shownName(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))))
                continue
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return (names, notUTF8)
    }

    /// A name that is not UTF-8, shown: printable ASCII as it is, other bytes as `\xNN`.
    public static func shownName(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { $0 < 0x80 && $0 >= 0x20 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }.joined()
    }

    /// A file's device and inode, as ``skipping`` and ``WalkedEntry/identity`` hold them.
    public static func identity(_ st: stat) -> [UInt64] { [UInt64(st.st_dev), UInt64(st.st_ino)] }

    /// An entry for what could not be walked: its path and problem, no metadata.
    static func problemEntry(_ path: String, _ kind: WalkedEntry.Kind, _ problem: WalkedEntry.Problem) -> WalkedEntry {
        var entry = WalkedEntry(path: path, kind: kind, size: 0, mtimeNanoseconds: 0, ctimeNanoseconds: 0, device: 0, inode: 0, mode: 0)
        entry.problem = problem
        return entry
    }

    /// What a file that is neither regular, a directory nor a link is, for messages.
    static func specialKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "a device"
        }
    }

    static func entry(_ path: String, _ st: stat) -> WalkedEntry {
        let kind: WalkedEntry.Kind = (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        return WalkedEntry(path: path, kind: kind, size: Int64(st.st_size), mtimeNanoseconds: mtime, ctimeNanoseconds: ctime,
                           device: UInt64(st.st_dev), inode: UInt64(st.st_ino), mode: UInt32(st.st_mode))
    }
}
