import Foundation
import SiteContent

/// What a build needs besides the buildspec: where, with which environment, for how long.
public struct BuildConfiguration: Sendable {
    /// Absolute path of the source directory (`CODEBUILD_SRC_DIR`).
    public var sourceDirectory: String
    /// The buildspec's path, for the `YAML location is …` line.
    public var buildspecPath: String
    /// Where the primary artifact's files go as a tree (a secondary one beside it, at `<this>-<identifier>`).
    public var outputDirectory: String?
    /// Where the primary artifact's deterministic ZIP goes (secondary ones beside it).
    public var zipPath: String?
    /// `--env-file` then `--env` values, in order: they beat the buildspec.
    public var overrides: [(name: String, value: String)]
    public var timeout: Duration
    /// Spent on the build's source before the build started (``ResolvedSource/fetchDuration``):
    /// the timeout counts it, as CodeBuild's counts DOWNLOAD_SOURCE.
    public var timeUsedBeforeBuild: Duration = .zero
    /// `~/.cache/sitebuild` or `$SITEBUILD_CACHE_DIR`: build cache and build numbers.
    public var cacheDirectory: String
    /// Used in CODEBUILD_BUILD_ID and the ARN; defaults to the source directory's name.
    public var projectName: String
    /// The environment commands start from (the process environment).
    public var baseEnvironment: [String: String]
    /// A directory put first on PATH during the build (holds `codebuild-hash-files`).
    public var helperDirectory: String?
    /// Seconds since the epoch for deterministic ZIP entries.
    public var archiveTimestamp: Int64
    /// Directories, relative to the source, that artifacts never take files from
    /// (sitebuild's own output when it lies inside the source).
    public var excludedDirectories: [String] = [".sitebuild"]
    /// Files, relative to the source, that artifacts never take (``ArtifactCollector/excludedFiles``).
    public var excludedFiles: [String] = []
    /// What the source resolver learned (``ResolvedSource/variables``): set in the build's
    /// environment after sitebuild's own CODEBUILD_* values, before the buildspec's.
    public var sourceVariables: [(name: String, value: String)] = []
    /// The source was fetched by sitebuild (a git checkout or an archive), not the tree the
    /// calling CI job checked out: the caller's source variables (CodeBuild's
    /// CODEBUILD_RESOLVED_SOURCE_VERSION, CODEBUILD_SOURCE_VERSION, CODEBUILD_SOURCE_REPO_URL,
    /// CODEBUILD_WEBHOOK_*) describe another tree and are not passed on.
    public var sourceIsFetched = false
    /// The source is the user's own directory, built in place (not a checkout, an extracted
    /// archive or a `--clean` copy): its files may be newer than the cache's (an edited
    /// page), so a cache restore adds only what is missing instead of replacing them.
    public var sourceIsInPlace = false
    /// A build cache shared with other runners (`--cache s3://bucket/prefix`): restored
    /// from when the local cache lacks the exact key, saved to after a successful build.
    public var remoteCache: (any RemoteCacheStore)?
    /// What the local cache's keyless slot (and the build numbers) are named after, when not
    /// the source directory: a git source's URL, a clean copy's original folder; for
    /// an archive source, where archives are uploaded (each archive is extracted to its own
    /// work directory, so a slot per directory would never be used twice).
    public var cacheSlot: String?
    /// Credentials the build's commands can reach besides the environment's (the static keys
    /// of the AWS profile in effect, from the shared files): masked in the log as they are.
    public var credentialValues: [String] = []

    /// Inside CodeBuild (CODEBUILD_BUILD_ID set), what a source built where CodeBuild put it
    /// names its keyless cache slot after: the project (CODEBUILD_BUILD_ARN up to the build's
    /// own id, else CODEBUILD_BUILD_ID's part before its last `:`) and its repository
    /// (CODEBUILD_SOURCE_REPO_URL). CODEBUILD_SRC_DIR changes with every build, so a slot per
    /// source directory would never be used twice. Nil outside CodeBuild.
    public static func codeBuildCacheSlot(environment: [String: String]) -> String? {
        guard CodeBuildEnvironment.isInside(environment), let id = environment["CODEBUILD_BUILD_ID"] else { return nil }
        func project(_ text: String) -> String { text.lastIndex(of: ":").map { String(text[..<$0]) } ?? text }
        let arn = environment["CODEBUILD_BUILD_ARN"].flatMap { $0.contains(":build/") ? $0 : nil }
        var slot = "codebuild " + project(arn ?? id)
        if let url = environment["CODEBUILD_SOURCE_REPO_URL"], !url.isEmpty { slot += " " + url }
        return slot
    }

    /// Where the secondary artifact `identifier`'s ZIP goes: beside the primary ZIP `zipPath`,
    /// as `<identifier>.zip`.
    public static func secondaryZipPath(beside zipPath: String, identifier: String) -> String {
        ((zipPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(identifier + ".zip")
    }

    public init(sourceDirectory: String, buildspecPath: String, outputDirectory: String? = nil, zipPath: String? = nil,
                overrides: [(name: String, value: String)] = [], timeout: Duration = .seconds(3600),
                cacheDirectory: String, projectName: String? = nil,
                baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                helperDirectory: String? = nil, archiveTimestamp: Int64? = nil) {
        self.sourceDirectory = sourceDirectory
        self.buildspecPath = buildspecPath
        self.outputDirectory = outputDirectory
        self.zipPath = zipPath
        self.overrides = overrides
        self.timeout = timeout
        self.cacheDirectory = cacheDirectory
        self.projectName = projectName ?? (sourceDirectory as NSString).lastPathComponent
        self.baseEnvironment = baseEnvironment
        self.helperDirectory = helperDirectory
        self.archiveTimestamp = archiveTimestamp ?? 315_532_800
    }
}
