import Foundation
import SiteContent

/// Downloads an archive from remote storage. The S3 implementation lives with the AWS
/// clients (SitebuildCLI); tests give their own.
public protocol RemoteArchiveFetcher: Sendable {
    /// Streams the object `key` of `bucket` into the file at `path`. Throws
    /// ``SourceError`` (or any error, reported as unavailable).
    func download(bucket: String, key: String, to path: String) async throws
}

/// Turns a ``BuildSource`` into a directory to build: in place, a clean copy, a git
/// checkout or an extracted archive, the last three in a work directory of their own.
public struct SourceResolver: Sendable {
    /// Where work directories go (see ``workRoot(cwd:environment:)``).
    public var workRoot: String
    /// The environment git and the copy run with (credentials are read from it).
    public var environment: [String: String]
    /// `--clean`: build a directory source in a fresh copy.
    public var clean = false
    /// `--submodules`: check out git submodules, recursively.
    public var submodules = false
    public var limits: ExtractionLimits
    public var fetcher: (any RemoteArchiveFetcher)?
    /// Progress lines ("cloning …"), never holding credentials.
    public var log: @Sendable (String) -> Void
    /// Set by a signal: the clone, download, extraction or copy stops, what it started (git
    /// and its helpers) is stopped, the partial tree is removed, and `resolve` throws an
    /// interrupted ``SourceError``.
    public var cancellation: Cancellation?
    /// `--timeout`: the fetch, download, extraction or copy is stopped as by a signal once it
    /// has taken this long, and `resolve` throws an interrupted ``SourceError`` whose
    /// ``SourceError/interruption`` is ``Cancellation/Reason/timedOut`` (CodeBuild's timeout
    /// covers DOWNLOAD_SOURCE; a stalled git server would otherwise hang the build for good).
    public var timeout: Duration?

    public init(workRoot: String, environment: [String: String], limits: ExtractionLimits = .standard,
                fetcher: (any RemoteArchiveFetcher)? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.workRoot = workRoot
        self.environment = environment
        self.limits = limits
        self.fetcher = fetcher
        self.log = log
    }

    /// `$SITEBUILD_WORK_DIR`, else `.sitebuild/_work` in `cwd`.
    public static func workRoot(cwd: String, environment: [String: String]) -> String {
        WorkDirectory.root(cwd: cwd, environment: environment)
    }

    /// The names of the variables that set the extraction limits.
    public enum LimitVariable {
        public static let totalBytes = "SITEBUILD_EXTRACT_MAX_BYTES"
        public static let fileBytes = "SITEBUILD_EXTRACT_MAX_FILE_BYTES"
        public static let entries = "SITEBUILD_EXTRACT_MAX_ENTRIES"
    }

    /// The extraction limits: the defaults, changed by `SITEBUILD_EXTRACT_MAX_BYTES`,
    /// `SITEBUILD_EXTRACT_MAX_FILE_BYTES` (sizes such as 512M or 4G) and
    /// `SITEBUILD_EXTRACT_MAX_ENTRIES`.
    public static func limits(environment: [String: String]) throws -> ExtractionLimits {
        var limits = ExtractionLimits.standard
        func size(_ name: String) throws -> Int64? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = parseSize(text), value > 0 else {
                throw SourceError(.invalidInput, "\(name)=\(text): not a size; use bytes or a size such as 512M or 4G")
            }
            return value
        }
        if let value = try size(LimitVariable.totalBytes) { limits.totalBytes = value }
        if let value = try size(LimitVariable.fileBytes) { limits.fileBytes = value }
        if let text = environment[LimitVariable.entries], !text.isEmpty {
            guard let value = Int(text), value > 0 else {
                throw SourceError(.invalidInput, "\(LimitVariable.entries)=\(text): not a whole number of entries")
            }
            limits.entries = value
        }
        return limits
    }

    /// `1234`, `512K`, `512M`, `4G`, `1T` (binary multiples; `KiB`/`MB` spellings accepted).
    static func parseSize(_ text: String) -> Int64? {
        let upper = text.uppercased()
        let digits = upper.prefix { $0.isNumber }
        guard let number = Int64(digits) else { return nil }
        let unit = upper.dropFirst(digits.count).replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        let shift: Int64
        switch unit {
        case "": shift = 0
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: return nil
        }
        let (value, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : value
    }

    /// The source, ready to build; its ``ResolvedSource/fetchDuration`` is the time taken.
    public func resolve(_ location: BuildSource) async throws -> ResolvedSource {
        let started = ContinuousClock.now
        var timed = self
        var timer: DispatchWorkItem?
        if let timeout {
            // A timer, not a task: the fetch blocks the thread it runs on.
            let cancellation = self.cancellation ?? Cancellation()
            timed.cancellation = cancellation
            let fire = DispatchWorkItem { cancellation.cancel(.timedOut) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: timeout.milliseconds)), execute: fire)
            timer = fire
        }
        defer { timer?.cancel() }
        var resolved = try await timed.resolveCancellable(location)
        resolved.fetchDuration = ContinuousClock.now - started
        return resolved
    }

    private func resolveCancellable(_ location: BuildSource) async throws -> ResolvedSource {
        do {
            let resolved = try await resolveUnchecked(location)
            try checkCancellation("after the source was fetched")
            return resolved
        } catch let error as SourceError where error.kind == .interrupted {
            throw error
        } catch {
            // A download or a copy that failed because it was stopped is an interruption.
            try checkCancellation("while the source was fetched")
            throw error
        }
    }

    private func checkCancellation(_ during: String) throws {
        if let reason = cancellation?.reason { throw SourceError.interrupted(reason, during) }
    }

    private func resolveUnchecked(_ location: BuildSource) async throws -> ResolvedSource {
        switch location {
        case .directory(let path):
            let name = WorkDirectory.sanitizedName((path as NSString).lastPathComponent)
            guard clean else { return ResolvedSource(kind: .directory, directory: path, name: name, label: path) }
            return try cleanCopy(path, name: name)
        case .git(let url, let ref):
            return try checkout(url, ref: ref)
        case .archive(let path):
            let stem = BuildSource.archiveStem(of: path)
            let work = try WorkDirectory.prepare(root: workRoot, name: stem)
            log("extracting \(path)")
            let directory = try extract(path, shown: path, into: work)
            return ResolvedSource(kind: .archive, directory: directory, name: WorkDirectory.sanitizedName(stem), workDirectory: work.path,
                                  archiveStem: stem, variables: [("GIT_CEILING_DIRECTORIES", work.path)], label: path)
        case .s3Archive(let bucket, let key):
            let url = "s3://\(bucket)/\(key)"
            guard let fetcher else {
                throw SourceError(.invalidInput, "\(url): S3 sources are not available here")
            }
            let stem = BuildSource.archiveStem(of: key)
            let work = try WorkDirectory.prepare(root: workRoot, name: stem)
            let download = work.path + "/download" + (BuildSource.archiveExtension(of: key) ?? ".zip")
            log("downloading \(url)")
            do {
                try await downloadUnlessCancelled(fetcher, bucket: bucket, key: key, to: download)
            } catch let error as SourceError {
                throw error
            } catch {
                throw SourceError(.unavailable, "\(url): the download failed: \(error)")
            }
            log("extracting \(url)")
            let directory = try extract(download, shown: url, into: work)
            try? FileManager.default.removeItem(atPath: download)
            return ResolvedSource(kind: .archive, directory: directory, name: WorkDirectory.sanitizedName(stem), workDirectory: work.path,
                                  archiveStem: stem,
                                  variables: [("GIT_CEILING_DIRECTORIES", work.path), ("CODEBUILD_SOURCE_REPO_URL", url)], label: url)
        }
    }

    /// The download, cancelled (its requests stopped) once ``cancellation`` is set.
    private func downloadUnlessCancelled(_ fetcher: any RemoteArchiveFetcher, bucket: String, key: String, to path: String) async throws {
        guard let cancellation else { return try await fetcher.download(bucket: bucket, key: key, to: path) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fetcher.download(bucket: bucket, key: key, to: path) }
            group.addTask {
                while !cancellation.isCancelled { try await Task.sleep(for: .milliseconds(50)) }
                throw SourceError.interrupted(cancellation.reason ?? .interrupted(signal: SIGTERM), "while the source was downloaded")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func cleanCopy(_ path: String, name: String) throws -> ResolvedSource {
        let work = try WorkDirectory.prepare(root: workRoot, name: name)
        let git = CapturedCommand.find("git", environment: environment)
        log("copying \(path) without .git, .sitebuild and ignored files")
        var copy = SourceCopy(git: git, environment: environment, excluded: [workRoot, work.path])
        copy.cancellation = cancellation
        let destination = work.path + "/src"
        do {
            try copy.copy(from: path, to: destination)
            let skipped = copy.skipped.names
            if !skipped.isEmpty {
                log("warning: \(skipped.count) file(s) of \(path) whose names are not UTF-8 were not copied (URLs and S3 keys need UTF-8, "
                    + "and a build in place refuses them in an artifact): " + skipped.prefix(5).joined(separator: ", ")
                    + (skipped.count > 5 ? ", …" : "") + "; rename them")
            }
        } catch {
            // A half copy is not left to look like a source.
            if cancellation?.isCancelled == true { try? FileManager.default.removeItem(atPath: destination) }
            throw error
        }
        var variables: [(name: String, value: String)] = [("GIT_CEILING_DIRECTORIES", work.path)]
        let info = GitInfo.read(path, environment: environment)
        // Inside CodeBuild the copy is of the project's own checkout: CodeBuild's
        // CODEBUILD_SOURCE_VERSION (`pr/9`) and CODEBUILD_SOURCE_REPO_URL stay, as in place.
        let inCodeBuild = CodeBuildEnvironment.isInside(environment)
        if let commit = info.commit {
            variables.append(("CODEBUILD_RESOLVED_SOURCE_VERSION", commit))
            if !inCodeBuild { variables.append(("CODEBUILD_SOURCE_VERSION", commit)) }
        }
        if let remote = info.remoteURL, !inCodeBuild { variables.append(("CODEBUILD_SOURCE_REPO_URL", remote)) }
        return ResolvedSource(kind: .cleanCopy, directory: destination, name: name, workDirectory: work.path, commit: info.commit,
                              variables: variables, label: path)
    }

    private func checkout(_ url: String, ref: String?) throws -> ResolvedSource {
        guard let git = CapturedCommand.find("git", environment: environment) else {
            throw SourceError(.invalidInput, "\(BuildSource.redacted(url)): a git source needs the git command; install git")
        }
        let name = Self.repositoryName(url)
        let work = try WorkDirectory.prepare(root: workRoot, name: name)
        let checkout = GitCheckout(git: git, url: url, ref: ref, submodules: submodules, environment: environment,
                                   scratch: work.path, log: log, cancellation: cancellation)
        let result: GitCheckout.Result
        do {
            result = try checkout.fetch(into: work.path + "/src")
        } catch {
            // git is stopped by then: its partial clone is not left to look like a checkout.
            if cancellation?.isCancelled == true { try? FileManager.default.removeItem(atPath: work.path + "/src") }
            throw error
        }
        let shown = BuildSource.withoutUserinfo(url)
        log("checked out \(result.commit) (\(result.version))")
        let pointers = Self.lfsPointers(in: work.path + "/src")
        if !pointers.isEmpty {
            log("warning: \(pointers.count) file(s) are Git LFS pointers, not their content (git-lfs is not installed here, or could not "
                + "fetch them), and would be built and published as pointer text: \(listSample(pointers)); install git-lfs "
                + "(apt-get install git-lfs) before the build")
        }
        return ResolvedSource(
            kind: .git, directory: work.path + "/src", name: name, workDirectory: work.path, commit: result.commit,
            variables: [("CODEBUILD_RESOLVED_SOURCE_VERSION", result.commit), ("CODEBUILD_SOURCE_VERSION", result.version),
                        ("CODEBUILD_SOURCE_REPO_URL", shown), ("SOURCE_DATE_EPOCH", String(result.commitTime))],
            label: BuildSource.redacted(url) + (ref.map { "#\($0)" } ?? ""))
    }

    /// Files of a checkout that are still Git LFS pointer files (`version https://git-lfs…`),
    /// looked for only when the repository's .gitattributes uses the LFS filter.
    static func lfsPointers(in directory: String) -> [String] {
        guard let attributes = FileManager.default.contents(atPath: directory + "/.gitattributes"),
              String(decoding: attributes, as: UTF8.self).contains("filter=lfs") else { return [] }
        let header = Array("version https://git-lfs.github.com/spec/v1".utf8)
        var walker = FileWalker()
        walker.skippingNames = [".git"]
        return walker.walk(directory).filter { entry in
            guard entry.kind == .file, !entry.skippedByName, (100...1024).contains(entry.size),
                  let handle = FileHandle(forReadingAtPath: directory + "/" + entry.path) else { return false }
            defer { try? handle.close() }
            return (try? handle.read(upToCount: header.count)).map { Array($0) == header } ?? false
        }.map(\.path)
    }

    /// `repo` for `https://host/org/repo.git`, `git@host:org/repo` or `file:///srv/repo.git`.
    static func repositoryName(_ url: String) -> String {
        var path = Substring(url)
        if let range = url.range(of: "://") { path = url[range.upperBound...] } else if let colon = url.firstIndex(of: ":") { path = url[url.index(after: colon)...] }
        let last = path.split(separator: "/").last.map(String.init) ?? "repository"
        let trimmed = last.hasSuffix(".git") ? String(last.dropLast(4)) : last
        return WorkDirectory.sanitizedName(trimmed.isEmpty ? "repository" : trimmed)
    }

    /// Extracts into `<work>/src`; a lone top-level directory (as in GitHub's ZIP
    /// downloads) becomes the source.
    private func extract(_ archive: String, shown: String, into work: WorkDirectory) throws -> String {
        let destination = work.path + "/src"
        var extractor = SafeExtractor(limits: limits)
        if let cancellation { extractor.isCancelled = { cancellation.isCancelled } }
        do {
            try extractor.extract(archive, to: destination, named: shown)
        } catch let error as ExtractionError {
            if let reason = cancellation?.reason { throw SourceError.interrupted(reason, "while \(shown) was extracted") }
            let hints: [ExtractionError.Code: String] = [
                .fileTooLarge: "\(LimitVariable.fileBytes) sets the per-file limit",
                .archiveTooLarge: "\(LimitVariable.totalBytes) sets the total limit",
                .tooManyEntries: "\(LimitVariable.entries) sets the entry limit",
            ]
            throw SourceError(.invalidInput, error.description + (hints[error.code].map { " (\($0))" } ?? ""))
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []).filter { $0 != "__MACOSX" }
        if names.count == 1 {
            let only = destination + "/" + names[0]
            var st = stat()
            if lstat(only, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return only }
        }
        return destination
    }
}
