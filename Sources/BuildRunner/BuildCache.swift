import Foundation
import SiteContent

/// The local build cache for `cache.paths`: one tar per key under
/// `<cache dir>/build-cache/`. A keyed entry is immutable once written (CodeBuild's
/// rule); without a key each source directory has one slot, replaced on every save.
/// Fallback keys match by prefix, newest entry first. An entry not used (saved or restored)
/// for ``unusedLifetime`` is removed when a build saves the cache, so the folder holds what
/// builds use and does not grow with every new key.
struct BuildCache {
    /// How long an entry is kept without a build saving or restoring it: 30 days.
    static let unusedLifetime: Double = 30 * 86_400

    let root: String
    let sourceDirectory: String

    init(cacheDirectory: String, sourceDirectory: String) {
        root = cacheDirectory + "/build-cache"
        self.sourceDirectory = sourceDirectory
    }

    struct Entry {
        var key: String
        var archive: String
        var created: Double
    }

    /// The key used when the buildspec gives none: one slot per `slot` (the source directory,
    /// where archives are uploaded, or a remote cache's location).
    static func defaultKey(slot: String) -> String { "sitebuild-default-" + ContentHash(of: slot).hex }

    func archivePath(for key: String) -> String { root + "/" + ContentHash(of: key).hex + ".tar" }

    /// The entries whose key file names a key and whose archive is there and not empty (even
    /// an entry of no files is a tar's end blocks): an archive without a readable key file (a
    /// run killed between the two writes, a damaged file), or an empty one, is no entry, and
    /// the next save for its key writes it again.
    func entries() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: root + "/" + name),
                  let value = try? JSONValue.parse(data), let key = value["key"]?.stringValue else { return nil }
            let archive = root + "/" + name.dropLast(5) + ".tar"
            guard Self.isArchive(archive) else { return nil }
            let created = value["created"].flatMap { v -> Double? in
                if case .double(let d) = v { return d }
                return v.intValue.map(Double.init)
            } ?? 0
            return Entry(key: key, archive: archive, created: created)
        }
    }

    /// Whether `path` is a file with something in it.
    static func isArchive(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0
    }

    /// Finds the entry for `key`, else the newest whose key starts with a fallback key.
    func find(key: String, fallbacks: [String]) -> Entry? {
        let all = entries()
        if let exact = all.first(where: { $0.key == key }) { return exact }
        for prefix in fallbacks {
            if let match = all.filter({ $0.key.hasPrefix(prefix) }).max(by: { $0.created < $1.created }) { return match }
        }
        return nil
    }

    /// Extracts an entry over the source directory (cached items win over source items, as in
    /// CodeBuild, unless `keepExisting`: then only what is missing is written). Only what
    /// `paths` (the buildspec's `cache.paths`) names is restored: an entry shared through a
    /// remote cache, or planted in a local one, cannot write the buildspec, the site's pages
    /// or any other file. Returns the files restored, the entries left out and, with
    /// `keepExisting`, the files kept because they exist already. Nor is an entry written
    /// through a symbolic link below the directory its cache path names (`node_modules/link`
    /// leading to `..`, or elsewhere): the restore fails as for any unsafe entry.
    /// With an `owner` (the `run-as` user the phases run as), what is restored inside the source
    /// directory, and the folders made on the way to it, belong to that user, as the files the
    /// build itself wrote there do: a later build's commands can replace or remove them.
    func restore(_ entry: Entry, paths: [String], keepExisting: Bool = false,
                 owner: (uid: uid_t, gid: gid_t)? = nil) throws -> (restored: Int, ignored: Int, kept: Int) {
        let matchers = Self.matchers(paths)
        let allowed = matchers.map { ($0, within: Self.linkFreeStart(of: $0, among: matchers)) }
        var ignored = 0
        var kept = 0
        // Held (shared) while the entry is read: a build removing unused entries skips it. Its
        // time is the entry's last use (the save's, a restore's), which removal goes by.
        let held = open(entry.archive, O_RDONLY | O_CLOEXEC)
        guard held >= 0 else { throw ArchiveError("cannot open \(entry.archive): \(String(cString: strerror(errno)))") }
        defer { close(held) }
        flock(held, LOCK_SH)
        futimens(held, nil)
        // The folders inside the source directory that the restore is about to make.
        var made: Set<String> = []
        let written = try ArchiveReader.extract(entry.archive, to: sourceDirectory) { name -> ExtractionTarget? in
            let isSource = name.hasPrefix("src/")
            guard isSource || name.hasPrefix("root/") else { ignored += 1; return nil }
            let path = String(name.dropFirst(isSource ? 4 : 5))
            let matching = allowed.filter { $0.0.absolute != isSource && ($0.0.pattern.matches(path) || $0.0.below.matches(path)) }
            guard let within = matching.map(\.within).max(by: { $0.count < $1.count }) else {
                ignored += 1
                return nil
            }
            if keepExisting {
                var info = stat()
                if lstat(isSource ? sourceDirectory + "/" + path : "/" + path, &info) == 0 {
                    // A directory entry is created if missing and never replaced: not a kept file.
                    if info.st_mode & S_IFMT != S_IFDIR { kept += 1 }
                    return nil
                }
            }
            if isSource, owner != nil {
                var folder = ""
                for part in path.split(separator: "/") {
                    folder += (folder.isEmpty ? "" : "/") + part
                    var info = stat()
                    if lstat(sourceDirectory + "/" + folder, &info) != 0 { made.insert(folder) }
                }
            }
            return isSource ? ExtractionTarget(path: path, within: within.joined(separator: "/"))
                : ExtractionTarget(path: "/" + path, within: "/" + within.joined(separator: "/"))
        }
        if let owner {
            let inSource = written.filter { $0.hasPrefix(sourceDirectory + "/") }
            // lchown: a restored link is the link's own, never what it points to.
            for path in Set(inSource + made.map { sourceDirectory + "/" + $0 }) where lchown(path, owner.uid, owner.gid) != 0 && errno != ENOENT {
                throw ArchiveError("cannot give \(path) to the run-as user (uid \(owner.uid)): \(String(cString: strerror(errno)))")
            }
        }
        return (written.count, ignored, kept)
    }

    /// The directory (as components) below which an entry restored through `matcher` must not
    /// pass a symbolic link: the literal start of its path (`node_modules` for
    /// `node_modules/**/*`, `/home/me/.npm` for `/home/me/.npm/**/*`), cut above the first
    /// directory some cache path matches itself (a restore may have made that one a link).
    /// A literal cache path (`/home/me/.npm`, `node_modules`) is its own start even so: a restore
    /// never makes it a link (``ArchiveReader`` refuses a link entry at its start), so a link
    /// there is the user's (`~/.npm -> /mnt/cache`), as the save followed it.
    /// Links above it are the machine's own (`/tmp` on macOS, a home directory elsewhere).
    static func linkFreeStart(of matcher: (absolute: Bool, pattern: GlobPattern, below: GlobPattern),
                              among all: [(absolute: Bool, pattern: GlobPattern, below: GlobPattern)]) -> [String] {
        var start: [String] = []
        for part in matcher.pattern.literalPrefix {
            let candidate = start + [part]
            let ownRoot = matcher.pattern.isLiteral && candidate == matcher.pattern.literalPrefix
            if all.contains(where: { other in other.absolute == matcher.absolute
                && ((other.pattern.matches(components: candidate) && !(ownRoot && other.pattern.isLiteral && other.pattern.literalPrefix == candidate))
                    || other.below.matches(components: candidate)) }) { break }
            start = candidate
        }
        return start
    }

    /// Removes the entries (but `key`'s) that no build has saved or restored for
    /// ``unusedLifetime`` before `now`; one a build is restoring is left alone. Returns the
    /// number removed.
    func removeUnused(now: Double, keeping key: String) -> Int {
        var removed = 0
        for entry in entries() where entry.key != key {
            let fd = open(entry.archive, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            // A restore holds it (shared) as it reads: not waited for, never removed under it.
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            var info = stat()
            // Checked under the lock: a restore that took it just before has renewed its time,
            // and a save may have put a new archive in its place.
            guard fstat(fd, &info) == 0, info.st_nlink > 0, now - Double(info.st_mtim.tv_sec) > Self.unusedLifetime else { continue }
            discard(entry)
            removed += 1
        }
        return removed
    }

    /// Removes a (damaged) entry: its archive and its key file.
    func discard(_ entry: Entry) {
        unlink(entry.archive)
        unlink(String(entry.archive.dropLast(4)) + ".json")
    }

    /// Each `cache.paths` entry as patterns: absolute or relative to the source, and the same
    /// for what is below a literal directory.
    static func matchers(_ paths: [String]) -> [(absolute: Bool, pattern: GlobPattern, below: GlobPattern)] {
        paths.map { text in
            let absolute = text.hasPrefix("/")
            let pattern = GlobPattern(absolute ? String(text.drop { $0 == "/" }) : text)
            return (absolute, pattern, pattern.isLiteral ? GlobPattern(pattern.globPath + "/") : pattern)
        }
    }

    /// Collects the files `paths` name (relative to the source directory or absolute;
    /// a directory means everything below it).
    func collect(_ paths: [String]) -> [ArchiveItem] {
        var items: [String: ArchiveItem] = [:]
        for (absolute, pattern, below) in Self.matchers(paths) {
            let prefix = pattern.literalPrefix.joined(separator: "/")
            let walkRoot = absolute ? "/" + prefix : (prefix.isEmpty ? sourceDirectory : sourceDirectory + "/" + prefix)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: walkRoot, isDirectory: &isDirectory) else { continue }
            let entries: [WalkedEntry]
            if isDirectory.boolValue {
                entries = FileWalker().walk(walkRoot, prefix: prefix)
            } else {
                entries = FileWalker().walk((walkRoot as NSString).deletingLastPathComponent,
                                            prefix: (prefix as NSString).deletingLastPathComponent)
                    .filter { $0.path == prefix }
            }
            for entry in entries where pattern.matches(entry.path) || below.matches(entry.path) {
                let stored = (absolute ? "root/" : "src/") + entry.path
                let source = (absolute ? "/" : sourceDirectory + "/") + entry.path
                switch entry.kind {
                case .symlink(let target): items[stored] = ArchiveItem(path: stored, content: .symlink(target: target))
                case .file:
                    var item = ArchiveItem(path: stored, content: .file(sourcePath: source), executable: entry.mode & 0o111 != 0)
                    item.identity = entry.identity
                    items[stored] = item
                case .directory: break
                }
            }
        }
        return Array(items.values)
    }

    /// Takes a verified archive downloaded from a remote cache into this cache as the entry
    /// for `key` (the file is moved; libarchive reads the compressed tar as it is).
    func adopt(_ downloaded: String, key: String, now: Double) throws -> Entry {
        let archive = archivePath(for: key)
        let meta = JSONValue.object([("key", .string(key)), ("created", .double(now))])
        try Data(meta.serialized().utf8).write(to: URL(fileURLWithPath: String(archive.dropLast(4)) + ".json"), options: .atomic)
        guard rename(downloaded, archive) == 0 else {
            throw ArchiveError("cannot move \(downloaded) to \(archive): \(String(cString: strerror(errno)))")
        }
        return Entry(key: key, archive: archive, created: now)
    }

    /// A fresh file name in the cache directory for a download or an upload.
    func temporaryPath(_ suffix: String) throws -> String {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root + "/.tmp-\(getpid())-\(UUID().uuidString.lowercased())" + suffix
    }

    /// Writes `paths` as a zstd-compressed tar for a remote cache; returns the file count.
    func writeCompressed(paths: [String], to path: String) throws -> Int {
        let items = collect(paths)
        var writer = DeterministicArchive(format: .tar)
        writer.compression = .zstd
        try writer.write(items, to: path)
        return items.count
    }

    /// Writes the entry for `key`; returns the number of files, or nil when a keyed
    /// entry exists already (``entries()``: one with its key file and a non-empty archive).
    func save(key: String, keyed: Bool, paths: [String], now: Double) throws -> Int? {
        let archive = archivePath(for: key)
        // Only a whole entry counts: an archive whose key file is missing or damaged (or an
        // empty one) is written again, not taken for the entry forever.
        if keyed && entries().contains(where: { $0.key == key && $0.archive == archive }) { return nil }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let items = collect(paths)
        // Written beside it and renamed: runners sharing this directory never see half an archive.
        let partial = try temporaryPath(".tar")
        do {
            try DeterministicArchive(format: .tar).write(items, to: partial)
            guard rename(partial, archive) == 0 else {
                throw ArchiveError("cannot move \(partial) to \(archive): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(partial)
            throw error
        }
        let meta = JSONValue.object([("key", .string(key)), ("created", .double(now)), ("files", .int(Int64(items.count)))])
        try Data(meta.serialized().utf8).write(to: URL(fileURLWithPath: String(archive.dropLast(4)) + ".json"), options: .atomic)
        return items.count
    }
}
