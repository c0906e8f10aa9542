import Dispatch
import Foundation
import SiteContent

/// A directory with the same layout as the S3 target. Objects are written under a
/// temporary name and renamed; content a complete version already has is hard-linked,
/// not copied; objects are read-only once in place; a version whose manifest exists is
/// never touched again.
public struct LocalTarget: DeployTarget {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// `file://` and the path, with `%` written `%25` so the URL reads back as this path.
    public var url: String { "file://" + root.replacingOccurrences(of: "%", with: "%25") }
    var manifests: String { root + "/_sitebuild/manifests" }
    var releases: String { root + "/_sitebuild/releases" }
    /// Versions being written (see ``S3Target/pendingKey(_:)``).
    var pending: String { root + "/_sitebuild/pending" }
    func pendingPath(_ version: String) -> String { pending + "/" + version + ".json" }
    /// Versions being deleted (see ``S3Target/deletingKey(_:)``).
    var deleting: String { root + "/_sitebuild/deleting" }
    /// `deleting/<version>/`: one marker per prune deleting the version, named by its token.
    func deletingDirectory(_ version: String) -> String { deleting + "/" + version }
    func deletingPath(_ version: String, token: String) -> String { deletingDirectory(version) + "/" + token + ".json" }

    func manifestPath(_ version: String) -> String { manifests + "/" + version + ".json" }

    public func manifestExists(_ version: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: manifestPath(version))
    }

    public func readManifest(_ version: String) async throws -> Manifest? {
        try withManifestFile(version) { try Manifest.read(contentsOfFile: $0) }
    }

    public func readManifestHead(_ version: String) async throws -> ManifestHead? {
        try withManifestFile(version) { try Manifest.readHead(contentsOfFile: $0) }
    }

    public func reusableContent(for manifest: Manifest, from version: String) async throws -> ReusableContent {
        try withManifestFile(version) { try ReusableContent(for: manifest, version: version, manifestFile: $0) } ?? .empty
    }

    public func changes(from version: String, to manifest: Manifest) async throws -> (keys: [String], pathCount: Int)? {
        try withManifestFile(version) { try ManifestDiff.changes(fromManifestFile: $0, version: version, to: manifest) }
    }

    /// `read` of the version's manifest file; nil when there is none.
    private func withManifestFile<T>(_ version: String, _ read: (String) throws -> T) throws -> T? {
        let path = manifestPath(version)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try read(path)
        } catch {
            throw DamagedManifest(version: version, location: path, reason: "\(error)", tooNew: error is ManifestFormatTooNew)
        }
    }

    public func listVersions() async throws -> [String] {
        manifestNames().filter(VersionId.isValid).sorted()
    }

    public func listStrayManifests() async throws -> [String] {
        manifestNames().filter { !VersionId.isValid($0) }.sorted().map { manifests + "/" + $0 + ".json" }
    }

    /// The names of the manifest files, without `.json` (temporary files of atomic writes left out).
    private func manifestNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: manifests)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }
    }

    /// An `flock` on `_sitebuild/locks/<version>.lock`, held until released or the process
    /// ends (a killed deploy's ends with it). The file goes on release: a lock taken on a name
    /// that no longer leads to the locked file (released and removed meanwhile) is taken again.
    public func claimWriting(_ version: String) async throws -> WritingClaim {
        try VersionId.validate(version)
        let directory = root + "/_sitebuild/locks"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + version + ".lock"
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw DeployError("cannot open \(path): \(String(cString: strerror(errno)))") }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let error = errno
                close(descriptor)
                if error == EWOULDBLOCK { throw WritingClaimHeld(version: version, url: url, holder: "it holds \(path)") }
                throw DeployError("cannot lock \(path): \(String(cString: strerror(error)))")
            }
            var locked = stat(), named = stat()
            guard fstat(descriptor, &locked) == 0, stat(path, &named) == 0,
                  locked.st_dev == named.st_dev, locked.st_ino == named.st_ino else {
                close(descriptor)
                continue
            }
            let open = Locked(true)
            return WritingClaim(renew: nil) {
                guard open.withLock({ was in defer { was = false }; return was }) else { return }
                unlink(path)  // before the lock ends, so no one locks this file after us
                close(descriptor)
            }
        }
    }

    public func firstObjects(of version: String, limit: Int) async throws -> [String] {
        let versionRoot = root + "/" + version
        var found: [String] = []
        Self.forEachFile(in: versionRoot) { relative in
            found.append(versionRoot + "/" + relative)
            return found.count < limit
        }
        return found
    }

    public func nestedState(in version: String) async throws -> String? {
        let state = root + "/" + version + "/_sitebuild"
        var status = stat()
        guard lstat(state, &status) == 0 else { return nil }
        return state
    }

    /// How many folders up ``enclosingVersion()`` looks for a target.
    public static let enclosingLevels = 8

    public func enclosingVersion() async throws -> (target: String, version: String, manifest: String)? {
        var folder = root
        for _ in 0..<Self.enclosingLevels {
            let parent = (folder as NSString).deletingLastPathComponent
            let name = (folder as NSString).lastPathComponent
            guard parent != folder, !name.isEmpty, name != "/" else { return nil }
            let manifest = parent + (parent.hasSuffix("/") ? "" : "/") + "_sitebuild/manifests/" + name + ".json"
            if FileManager.default.fileExists(atPath: manifest) { return (LocalTarget(root: parent).url, name, manifest) }
            folder = parent
        }
        return nil
    }

    /// Calls `body` with the path, relative to `directory`, of each file below it (directories
    /// left out) until it returns false.
    private static func forEachFile(in directory: String, _ body: (String) -> Bool) {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return }
        while let relative = walker.nextObject() as? String {
            var status = stat()
            guard lstat(directory + "/" + relative, &status) == 0, (status.st_mode & S_IFMT) != S_IFDIR else { continue }
            if !body(relative) { return }
        }
    }

    /// Removes what a killed deploy left under the version's directory: files the manifest does
    /// not list (they would be served by anything serving the directory) and temporary files of
    /// processes that no longer run.
    func removeLeftovers(in versionRoot: String, of manifest: Manifest) {
        Self.forEachFile(in: versionRoot) { relative in
            let path = versionRoot + "/" + relative
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(Self.temporaryPrefix) {
                if !Self.isStaleTemporary(name) { return true }
                unlink(path)
            } else if manifest.index(of: relative) == nil {
                unlink(path)
            }
            return true
        }
    }

    /// Temporary files are named `.sitebuild-tmp-<pid>-…` beside their final name.
    static let temporaryPrefix = ".sitebuild-tmp-"
    private static let temporaryCount = Locked(0)

    /// A fresh temporary name of this process in `directory`.
    static func temporaryPath(in directory: String) -> String {
        let n = temporaryCount.withLock { count in
            count += 1
            return count
        }
        return directory + "/" + temporaryPrefix + "\(getpid())-w\(n)"
    }

    /// Whether `name` is a temporary file of a process that no longer runs (killed before it
    /// could rename or remove it), or one earlier releases left when killed: a manifest's
    /// `.<version>.<pid>.tmp`, or Foundation's atomic-write file (`.dat.nosync…`) over an hour old.
    static func isStaleTemporary(_ name: String, in directory: String? = nil) -> Bool {
        func gone(_ pid: Int32?) -> Bool {
            guard let pid, pid > 0 else { return true }
            return !(pid == getpid() || kill(pid, 0) == 0 || errno == EPERM)
        }
        if name.hasPrefix(temporaryPrefix) {
            return gone(name.dropFirst(temporaryPrefix.count).split(separator: "-").first.flatMap { Int32($0) })
        }
        if name.hasPrefix("."), name.hasSuffix(".tmp"), let pid = name.dropLast(4).split(separator: ".").last.flatMap({ Int32($0) }) {
            return gone(pid)
        }
        if name.hasPrefix(".dat.nosync"), let directory {
            var status = stat()
            return stat(directory + "/" + name, &status) == 0 && Double(status.st_mtim.tv_sec) < Date().timeIntervalSince1970 - 3600
        }
        return false
    }

    /// `bytes` written to a temporary file beside `path`, then renamed over it.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = temporaryPath(in: (path as NSString).deletingLastPathComponent)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DeployError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DeployError("cannot write \(path): \(reason)")
        }
    }

    /// Removes the temporary files killed runs left in `_sitebuild/`'s record folders (never
    /// read as records, but never cleaned either).
    public func removeStaleTemporaries() async {
        var directories = [manifests, releases, pending, pointerHeads, owedInvalidations]
        directories += ((try? FileManager.default.contentsOfDirectory(atPath: deleting)) ?? []).map { deleting + "/" + $0 }
        for directory in directories {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where Self.isStaleTemporary(name, in: directory) {
                unlink(directory + "/" + name)
            }
        }
    }

    public func upload(_ manifest: Manifest, from sourceRoot: String, reusable known: ReusableContent,
                       progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        let versionRoot = root + "/" + manifest.version
        try await markPending(manifest.version)
        removeLeftovers(in: versionRoot, of: manifest)
        await removeStaleTemporaries()
        return try await place(Array(manifest.entries.indices), of: manifest, from: sourceRoot, reusable: known, progress: progress)
    }

    public func missingObjects(of manifest: Manifest) async throws -> MissingRows {
        let versionRoot = root + "/" + manifest.version
        let entries = manifest.entries
        return MissingRows(rows: entries.indices.filter { row in
            var status = stat()
            return lstat(versionRoot + "/" + entries.path(at: row), &status) != 0 || (status.st_mode & S_IFMT) != S_IFREG
        })
    }

    public func restoreObjects(_ rows: [Int], of manifest: Manifest, from sourceRoot: String, reusable known: ReusableContent,
                               progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        try await markPending(manifest.version)
        return try await place(rows, of: manifest, from: sourceRoot, reusable: known, progress: progress)
    }

    /// Puts the objects at `rows` of `manifest` in place: one a killed run left with the right
    /// bytes stays, the rest are linked from a version that has their bytes (`known`) or copied
    /// from `sourceRoot`, each through a temporary name.
    private func place(_ rows: [Int], of manifest: Manifest, from sourceRoot: String, reusable known: ReusableContent,
                       progress: @escaping @Sendable (UploadStats) -> Void) async throws -> UploadStats {
        let versionRoot = root + "/" + manifest.version
        try FileManager.default.createDirectory(atPath: versionRoot, withIntermediateDirectories: true)
        let entries = manifest.entries
        var initial = UploadStats()
        initial.plannedFiles = rows.count
        initial.plannedBytes = rows.count == entries.count ? manifest.totalBytes : rows.reduce(0) { $0 + entries.size(at: $1) }
        let stats = Locked(initial)
        let failure = Locked<(any Error)?>(nil)
        let next = WorkCounter()
        let workers = min(4, max(1, rows.count))
        // Interrupted (the deploy's task cancelled by a signal), the workers stop between files.
        await withCancellationFlag { interrupted in
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while failure.withLock({ $0 }) == nil, !interrupted() {
                    let taken = next.take()
                    guard taken < rows.count else { return }
                    let i = rows[taken]
                    let entry = entries[i]
                    let target = versionRoot + "/" + entry.path
                    do {
                        var st = stat()
                        // An object left by an interrupted deploy is kept only if its bytes are
                        // the ones this manifest names (a rebuild may differ at the same size).
                        if lstat(target, &st) == 0, Int64(st.st_size) == entry.size,
                           (try? ContentHash(ofFile: target)) == entry.hash {
                            stats.withLock { $0.skipped += 1 }
                            continue
                        }
                        if lstat(target, &st) == 0 { unlink(target) }
                        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                                withIntermediateDirectories: true)
                        let temporary = (target as NSString).deletingLastPathComponent + "/" + Self.temporaryPrefix + "\(getpid())-\(i)"
                        unlink(temporary)
                        if let origin = known.origin(of: i, in: entries), link(root + "/" + origin.version + "/" + origin.path, temporary) == 0 {
                            stats.withLock { $0.reused += 1 }
                        } else {
                            let source = sourceRoot + "/" + (entry.aliasOf ?? entry.path)
                            // The bytes copied must be the ones the manifest names (hashed as they
                            // are copied): a file rewritten at the same size since it was hashed
                            // would be published under the old hash, and every later version that
                            // has that hash would link these bytes.
                            let hasher = ContentHasher()
                            let copied: Int64
                            do {
                                copied = try FileCopy.copyContents(of: source, to: temporary, hashing: hasher)
                            } catch {
                                unlink(temporary)
                                throw error
                            }
                            guard copied == entry.size else {
                                unlink(temporary)
                                throw DeployError("\(source) changed while deploying (its size is no longer \(entry.size) bytes); build again")
                            }
                            guard hasher.finalize() == entry.hash else {
                                unlink(temporary)
                                throw PlannedHashMismatch(source: source)
                            }
                            chmod(temporary, 0o444)
                            stats.withLock {
                                $0.uploaded += 1
                                $0.uploadedBytes += entry.size
                            }
                        }
                        guard rename(temporary, target) == 0 else {
                            throw DeployError("cannot move \(target) into place: \(String(cString: strerror(errno)))")
                        }
                        // rename() between two links of one file (another deploy of the same
                        // content linked the same origin there first) succeeds and does nothing:
                        // the temporary name would stay in the version for good.
                        unlink(temporary)
                        let current = stats.withLock { $0 }
                        if (current.uploaded + current.reused) % 500 == 0 { progress(current) }
                    } catch {
                        failure.withLock { first in
                            if first == nil { first = error }
                        }
                    }
                }
            }
        }
        if let error = failure.withLock({ $0 }) {
            // A planned hash found wrong stays what it is: the deploy may hash the tree again.
            throw error as? PlannedHashMismatch ?? DeployError("\(error)")
        }
        try Task.checkCancellation()
        return stats.withLock { $0 }
    }

    /// Records that `version` is being written (see ``S3Target/pendingKey(_:)``), then checks
    /// that no prune is deleting it.
    func markPending(_ version: String) async throws {
        try writeMarker(pendingPath(version), version: version)
        try await claimFromPrune(version)
    }

    /// A pending or deleting marker: a small JSON file saying which version, when and where.
    private func writeMarker(_ path: String, version: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Self.writeAtomically(Array(ReleaseRecord.pendingMarker(version: version)), to: path)
    }

    public func markerAge(_ kind: VersionMarker, of version: String) async throws -> TimeInterval? {
        func modified(_ path: String) -> TimeInterval? {
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            return TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9
        }
        let newest: TimeInterval?
        switch kind {
        case .pending:
            newest = modified(pendingPath(version))
        case .deleting:
            let directory = deletingDirectory(version)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
            newest = names.compactMap { modified(directory + "/" + $0) }.max()
        }
        return newest.map { Date().timeIntervalSince1970 - $0 }
    }

    public func pendingMarkerStarted(_ version: String) async throws -> Date? {
        FileManager.default.contents(atPath: pendingPath(version)).flatMap(ReleaseRecord.markerStarted)
    }

    public func removePending(_ version: String) async throws {
        try Self.removeMarker(pendingPath(version))
    }

    /// Removes a marker file; one that cannot be removed (other than gone already) throws, naming it.
    private static func removeMarker(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw DeployError("cannot delete \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func markDeleting(_ version: String, token: String) async throws {
        // Another prune may remove the (empty) folder between its two steps (and again, with
        // several at once): a few more tries then.
        let path = deletingPath(version, token: token)
        for _ in 0..<4 {
            do { return try writeMarker(path, version: version) } catch { continue }
        }
        try writeMarker(path, version: version)
    }

    public func unmarkDeleting(_ version: String, token: String?) async throws {
        if let token {
            try Self.removeMarker(deletingPath(version, token: token))
            rmdir(deletingDirectory(version))  // only once it is empty
        } else {
            let directory = deletingDirectory(version)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                try Self.removeMarker(directory + "/" + name)
            }
            rmdir(directory)
        }
    }

    public func writeManifest(_ manifest: Manifest) async throws -> Bool {
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        let final = manifestPath(manifest.version)
        let temporary = Self.temporaryPath(in: manifests)
        try manifest.write(toFile: temporary)
        defer { unlink(temporary) }
        // No pending marker: a prune deleted this unfinished version, or another deploy of the
        // same content completed it.
        if !FileManager.default.fileExists(atPath: pendingPath(manifest.version)) {
            if FileManager.default.fileExists(atPath: final) { return false }
            throw DeployError("the files of version \(manifest.version) were deleted while this deploy ran (a prune took it for "
                + "an abandoned deploy); nothing was made live: deploy again")
        }
        // link() fails if the name exists: a create-only write, like If-None-Match: *.
        if link(temporary, final) == 0 { return true }
        if errno == EEXIST { return false }
        throw DeployError("cannot write the manifest \(final): \(String(cString: strerror(errno)))")
    }

    public func replaceDamagedManifest(_ manifest: Manifest) async throws {
        let temporary = Self.temporaryPath(in: manifests)
        try manifest.write(toFile: temporary)
        defer { unlink(temporary) }
        guard rename(temporary, manifestPath(manifest.version)) == 0 else {
            throw DeployError("cannot write the manifest \(manifestPath(manifest.version)): \(String(cString: strerror(errno)))")
        }
    }

    public func writeRelease(_ record: ReleaseRecord) async throws {
        try Self.write(record, to: releases, named: record.fileName)
    }

    public func listReleaseNames() async throws -> [String] {
        Self.recordNames(in: releases)
    }

    public func listReleaseNames(from first: String) async throws -> [String] {
        Self.recordNames(in: releases).filter { $0 > first }
    }

    public func readReleases(named names: [String]) async throws -> [ReleaseRecord] {
        try Self.readRecords(in: releases, named: names)
    }

    /// A record (release or pointer head) as one JSON line, replaced atomically.
    private static func write(_ record: ReleaseRecord, to directory: String, named name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeAtomically(Array((record.json.serialized() + "\n").utf8), to: directory + "/" + name)
    }

    /// The record files of `directory`, sorted (temporary files of atomic writes left out).
    private static func recordNames(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
    }

    /// The records named, in that order; missing ones left out. Throws ``DamagedRecords`` when
    /// any cannot be read: never taken for one that is not there.
    private static func readRecords(in directory: String, named names: [String]) throws -> [ReleaseRecord] {
        var records: [ReleaseRecord] = []
        var damaged: [String] = []
        for name in names {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            if let record = ReleaseRecord.parse(data) { records.append(record) } else { damaged.append(directory + "/" + name) }
        }
        if !damaged.isEmpty { throw DamagedRecords(locations: damaged, readable: records) }
        return records
    }

    var pointerHeads: String { root + "/_sitebuild/pointers" }

    public func name(of pointer: any PointerStore) -> String {
        if let file = pointer as? LocalPointerStore, let inside = pathInside(file.path) { return inside }
        return pointer.url
    }

    /// `path` relative to the target's folder when it lies inside it, else nil. Compared as
    /// real paths (links of the folders that exist resolved): `$PWD/.sitebuild/_sitebuild/pr-1`
    /// in a linked folder and `.sitebuild/_sitebuild/pr-1` (the real one, as getcwd names it)
    /// are one file, and must be one pointer in the release records.
    public func pathInside(_ path: String) -> String? {
        let realRoot = Self.resolvingLinks(root)
        // The pointer file itself is kept as it is: it is replaced by a rename, never followed.
        let folder = Self.resolvingLinks((path as NSString).deletingLastPathComponent)
        let realPath = (folder == "/" ? "" : folder) + "/" + (path as NSString).lastPathComponent
        let prefix = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
        // Byte for byte: String's hasPrefix takes names in another Unicode normalisation as equal.
        guard realPath.utf8.count > prefix.utf8.count, realPath.utf8.starts(with: prefix.utf8) else { return nil }
        return String(decoding: realPath.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    /// `path` with its links resolved as far as it exists (a pointer's folder, or the target's,
    /// may not exist before the first flip): the real path of its longest existing ancestor,
    /// then the rest as written.
    static func resolvingLinks(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                return rest.reversed().reduce(String(cString: resolved)) { ($0 == "/" ? "" : $0) + "/" + $1 }
            }
            if existing == "/" { break }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return path
    }

    public func writePointerHead(_ record: ReleaseRecord) async throws {
        guard let pointer = record.pointer else { return }
        try Self.write(record, to: pointerHeads, named: ReleaseRecord.pointerHeadName(pointer))
    }

    public func removePointerHead(_ record: ReleaseRecord) async throws {
        guard let pointer = record.pointer else { return }
        let path = pointerHeads + "/" + ReleaseRecord.pointerHeadName(pointer)
        if unlink(path) != 0 && errno != ENOENT {
            throw DeployError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func readPointerHeads() async throws -> [ReleaseRecord] {
        do {
            return try Self.readRecords(in: pointerHeads, named: Self.recordNames(in: pointerHeads)).filter { $0.pointer != nil }
        } catch var damaged as DamagedRecords {
            damaged.readable = damaged.readable.filter { $0.pointer != nil }
            throw damaged
        }
    }

    public func readPointerHead(pointer: String) async throws -> ReleaseRecord? {
        try Self.readRecords(in: pointerHeads, named: [ReleaseRecord.pointerHeadName(pointer)]).first { $0.pointer == pointer }
    }

    var owedInvalidations: String { root + "/_sitebuild/invalidations" }

    func owedInvalidationPath(pointer: String, distribution: String) -> String {
        owedInvalidations + "/" + OwedInvalidation.fileName(pointer: pointer, distribution: distribution)
    }

    public func readOwedInvalidation(pointer: String, distribution: String) async throws -> OwedInvalidation? {
        let path = owedInvalidationPath(pointer: pointer, distribution: distribution)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return OwedInvalidation.parse(data) ?? .damaged(pointer: pointer, distribution: distribution, location: path)
    }

    public func writeOwedInvalidation(_ owed: OwedInvalidation) async throws {
        try FileManager.default.createDirectory(atPath: owedInvalidations, withIntermediateDirectories: true)
        try Self.writeAtomically(Array((owed.json.serialized() + "\n").utf8), to: owedInvalidationPath(pointer: owed.pointer, distribution: owed.distribution))
    }

    public func removeOwedInvalidation(pointer: String, distribution: String) async throws {
        let path = owedInvalidationPath(pointer: pointer, distribution: distribution)
        if unlink(path) != 0 && errno != ENOENT {
            throw DeployError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func removeMarkedVersion(_ version: String) async throws {
        try VersionId.validate(version)
        // The manifest goes first: a version without one is never offered to readers again.
        if unlink(manifestPath(version)) != 0 && errno != ENOENT {
            throw DeployError("cannot delete \(manifestPath(version)): \(String(cString: strerror(errno))); nothing of version "
                + "\(version) was deleted", nothingDeleted: true)
        }
        unlink(pendingPath(version))
        unlink(root + "/_sitebuild/locks/" + version + ".lock")
        let dir = root + "/" + version
        // Files are read-only; their directories are not, so removal works. Another prune may
        // be removing the same tree: what it removed first is not an error (FileManager's
        // removeItem gives up on the first entry that vanished under it).
        for _ in 0..<3 where FileManager.default.fileExists(atPath: dir) { removeTree(dir) }
        if FileManager.default.fileExists(atPath: dir) {
            throw DeployError("cannot delete \(dir) completely (check its permissions); run prune again")
        }
        // Gone: every prune's marker goes (another prune deleting it too finds nothing left).
        try await unmarkDeleting(version, token: nil)
    }

    /// Versions a deploy started (their pending marker) that have no manifest, with the time
    /// the deploy started; nothing else in the directory is taken for a version.
    public func incompleteVersions() async throws -> [(version: String, modified: Date)] {
        var result: [String: Date] = [:]
        for (directory, interrupted) in [(pending, false), (deleting, true)] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            // Pending markers are `<version>.json`, deleting ones `<version>/<token>.json`.
            for name in names where interrupted ? !name.hasPrefix(".") : name.hasSuffix(".json") && !name.hasPrefix(".") {
                let version = interrupted ? name : String(name.dropLast(5))
                // A complete version goes through prune's keep rules, whatever marker a killed
                // prune left.
                guard (try? VersionId.validate(version)) != nil, !FileManager.default.fileExists(atPath: manifestPath(version)) else { continue }
                let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
                // An interrupted deletion is finished at once.
                result[version] = interrupted ? .distantPast : attributes?[.modificationDate] as? Date ?? Date()
            }
        }
        return result.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }
}
