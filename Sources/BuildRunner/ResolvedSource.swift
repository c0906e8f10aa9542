/// A source made ready to build: the directory, and what the build should know about
/// where it came from.
public struct ResolvedSource: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A directory built in place.
        case directory
        /// A fresh copy of a directory (`--clean`).
        case cleanCopy
        /// A checkout of a git repository.
        case git
        /// An extracted ZIP or tar archive (local or from S3).
        case archive
    }

    public var kind: Kind
    /// The tree to build (`CODEBUILD_SRC_DIR`).
    public var directory: String
    /// A short name for the source: the repository, archive or directory name. Used for
    /// the work directory and as the default project name.
    public var name: String
    /// `.sitebuild/_work/<name>` when the source was fetched or copied; nil in place.
    public var workDirectory: String?
    /// The commit built, when known (git sources, and clean copies of a git work tree).
    public var commit: String?
    /// The archive's file name without its ending (`site-v12` for `site-v12.zip`), for
    /// `--version-id zip-name`.
    public var archiveStem: String?
    /// Variables for the build's environment: CODEBUILD_RESOLVED_SOURCE_VERSION,
    /// CODEBUILD_SOURCE_VERSION, CODEBUILD_SOURCE_REPO_URL, SOURCE_DATE_EPOCH, and
    /// GIT_CEILING_DIRECTORIES so a fetched tree never sees an enclosing repository.
    public var variables: [(name: String, value: String)]
    /// How the source is described in messages (credentials redacted).
    public var label: String
    /// How long fetching, copying or extracting it took: counted in the build's `--timeout`.
    public var fetchDuration: Duration = .zero

    public init(kind: Kind, directory: String, name: String, workDirectory: String? = nil, commit: String? = nil,
                archiveStem: String? = nil, variables: [(name: String, value: String)] = [], label: String) {
        self.kind = kind
        self.directory = directory
        self.name = name
        self.workDirectory = workDirectory
        self.commit = commit
        self.archiveStem = archiveStem
        self.variables = variables
        self.label = label
    }

    /// Fetched by sitebuild (a git checkout, an extracted archive) rather than a folder of this
    /// machine (built in place or copied): replaced by the next fetch, and not what the calling
    /// CI job checked out.
    public var isFetched: Bool { kind == .git || kind == .archive }

    /// The user's project folder the build stands for: the folder copied for a clean copy
    /// (its label is that path), else the tree built.
    public var projectDirectory: String { kind == .cleanCopy ? label : directory }

    /// The value of one of ``variables``.
    public func variable(_ name: String) -> String? {
        variables.last { $0.name == name }?.value
    }
}
