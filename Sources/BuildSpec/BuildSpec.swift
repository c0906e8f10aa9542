/// A parsed CodeBuild buildspec (versions 0.1 and 0.2), with every key of the reference.
///
/// Values are kept as the YAML scalar text (`NO` stays `"NO"`, `0.2` stays `"0.2"`),
/// because CodeBuild stores them literally and never expands them recursively.
public struct BuildSpec: Sendable, Equatable {
    public enum Version: String, Sendable, Equatable {
        case v0_1 = "0.1"
        case v0_2 = "0.2"
    }

    public var version: Version
    public var runAs: String?
    /// Where `run-as` is written (for errors about its user).
    public var runAsLocation: SourceLocation?
    public var env: Environment
    public var proxy: Proxy?
    public var batch: Batch?
    public var phases: [PhaseName: Phase]
    public var reports: [Report]
    public var artifacts: Artifacts?
    public var cache: Cache?
    /// The file the spec was read from (for log lines such as `YAML location is …`).
    public var file: String

    /// Every `run-as` written (top level, then each phase in order): the user, where it is
    /// written and its key path, for messages about that user.
    public var runAsPlaces: [(name: String, location: SourceLocation?, keyPath: String)] {
        ([(runAs, runAsLocation, "run-as")] + PhaseName.allCases.map { (phases[$0]?.runAs, phases[$0]?.runAsLocation, "phases.\($0.rawValue).run-as") })
            .compactMap { name, location, key in name.map { ($0, location, key) } }
    }

    public init(version: Version, file: String = "buildspec.yml") {
        self.version = version
        self.runAs = nil
        self.runAsLocation = nil
        self.env = Environment()
        self.proxy = nil
        self.batch = nil
        self.phases = [:]
        self.reports = []
        self.artifacts = nil
        self.cache = nil
        self.file = file
    }
}

/// The four build phases, in the order CodeBuild runs them.
public enum PhaseName: String, Sendable, CaseIterable, Comparable, Hashable {
    case install
    case preBuild = "pre_build"
    case build
    case postBuild = "post_build"

    /// The upper-case name CodeBuild logs (`PRE_BUILD`).
    public var logName: String { rawValue.uppercased() }

    public static func < (lhs: PhaseName, rhs: PhaseName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One command of a phase: the text exactly as written (a block scalar is one command).
public struct Command: Sendable, Equatable {
    public var text: String
    public var location: SourceLocation?

    public init(_ text: String, location: SourceLocation? = nil) {
        self.text = text
        self.location = location
    }
}

public struct Phase: Sendable, Equatable {
    public var runAs: String?
    /// Where the phase's `run-as` is written.
    public var runAsLocation: SourceLocation?
    public var onFailure: OnFailure
    /// `runtime-versions` in document order (install only).
    public var runtimeVersions: [(name: String, version: String)]
    public var commands: [Command]
    public var finally: [Command]

    public init(runAs: String? = nil, onFailure: OnFailure = .default,
                runtimeVersions: [(name: String, version: String)] = [],
                commands: [Command] = [], finally: [Command] = []) {
        self.runAs = runAs
        self.onFailure = onFailure
        self.runtimeVersions = runtimeVersions
        self.commands = commands
        self.finally = finally
    }

    public static func == (lhs: Phase, rhs: Phase) -> Bool {
        lhs.runAs == rhs.runAs && lhs.onFailure == rhs.onFailure
            && lhs.runtimeVersions.map(\.name) == rhs.runtimeVersions.map(\.name)
            && lhs.runtimeVersions.map(\.version) == rhs.runtimeVersions.map(\.version)
            && lhs.commands == rhs.commands && lhs.finally == rhs.finally
    }
}

/// `env`: the shell, variables (literal text), secrets references and exports.
public struct Environment: Sendable, Equatable {
    public enum Shell: String, Sendable, Equatable {
        case sh = "/bin/sh"
        case bash = "bash"
    }

    public var shell: Shell = .sh
    /// `variables` in document order; values are literal text.
    public var variables: [(name: String, value: String)] = []
    /// Where each variable's (last) value is written, for messages about it.
    public var variableLocations: [String: SourceLocation] = [:]
    /// `parameter-store`: env name → SSM parameter name.
    public var parameterStore: [(name: String, parameter: String)] = []
    /// `secrets-manager`: env name → reference.
    public var secretsManager: [(name: String, reference: SecretReference)] = []
    public var exportedVariables: [String] = []
    public var gitCredentialHelper: Bool = false

    public init() {}

    public static func == (lhs: Environment, rhs: Environment) -> Bool {
        lhs.shell == rhs.shell
            && lhs.variables.map(\.name) == rhs.variables.map(\.name)
            && lhs.variables.map(\.value) == rhs.variables.map(\.value)
            && lhs.parameterStore.map(\.name) == rhs.parameterStore.map(\.name)
            && lhs.parameterStore.map(\.parameter) == rhs.parameterStore.map(\.parameter)
            && lhs.secretsManager.map(\.name) == rhs.secretsManager.map(\.name)
            && lhs.secretsManager.map(\.reference) == rhs.secretsManager.map(\.reference)
            && lhs.exportedVariables == rhs.exportedVariables
            && lhs.gitCredentialHelper == rhs.gitCredentialHelper
    }
}

/// `secret-id:json-key:version-stage:version-id`; every part but the id is optional.
/// A secret id that is an ARN contains colons itself, so the last three fields are
/// taken from the right.
public struct SecretReference: Sendable, Equatable {
    public var secretId: String
    public var jsonKey: String?
    public var versionStage: String?
    public var versionId: String?

    public init(secretId: String, jsonKey: String? = nil, versionStage: String? = nil, versionId: String? = nil) {
        self.secretId = secretId
        self.jsonKey = jsonKey
        self.versionStage = versionStage
        self.versionId = versionId
    }

    /// Parses the reference text; an ARN secret id (`arn:aws:secretsmanager:…:secret:name-AbCdEf`)
    /// keeps its own seven colon-separated fields.
    public init(parsing text: String) {
        var fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var idFieldCount = 1
        if fields.first == "arn" { idFieldCount = min(7, fields.count) }
        let id = fields.prefix(idFieldCount).joined(separator: ":")
        fields.removeFirst(idFieldCount)
        func field(_ i: Int) -> String? { i < fields.count && !fields[i].isEmpty ? fields[i] : nil }
        self.init(secretId: id, jsonKey: field(0), versionStage: field(1), versionId: field(2))
    }
}

public struct Proxy: Sendable, Equatable {
    public var uploadArtifacts: Bool
    public var logs: Bool
}

/// `batch`: parsed so a spec that has it validates; batch builds do not run locally.
public struct Batch: Sendable, Equatable {
    public var fastFail: Bool?
    /// Which of build-list, build-matrix, build-graph, build-fanout are present.
    public var kinds: [String]
    /// The child builds of build-graph and build-list, and build-matrix's buildspecs, in
    /// document order: what to run one by one instead.
    public var children: [BatchChild] = []
}

/// One child build of a batch build, as far as running it locally goes.
public struct BatchChild: Sendable, Equatable {
    /// `identifier` (CodeBuild's CODEBUILD_BATCH_BUILD_IDENTIFIER for the child).
    public var identifier: String?
    /// `buildspec`, relative to the source; nil when the child uses the batch's own buildspec.
    public var buildspec: String?
    /// `env.variables` as `NAME=value`, in document order.
    public var variables: [String]
    /// build-matrix's `dynamic.env.variables` names: one child per combination of their values.
    public var matrixVariables: [String]

    public init(identifier: String?, buildspec: String?, variables: [String], matrixVariables: [String] = []) {
        self.identifier = identifier
        self.buildspec = buildspec
        self.variables = variables
        self.matrixVariables = matrixVariables
    }
}

public struct Report: Sendable, Equatable {
    public var name: String
    public var files: [String]
    public var baseDirectory: String?
    public var discardPaths: Bool
    public var fileFormat: String
}

/// `artifacts` (and each of its `secondary-artifacts`).
public struct Artifacts: Sendable, Equatable {
    public var files: [String]
    public var name: String?
    public var discardPaths: Bool
    public var baseDirectory: String?
    public var excludePaths: [String]
    public var enableSymlinks: Bool
    public var s3Prefix: String?
    /// Identifier → artifact block, sorted by identifier.
    public var secondary: [(identifier: String, artifacts: Artifacts)]

    public init(files: [String] = [], name: String? = nil, discardPaths: Bool = false,
                baseDirectory: String? = nil, excludePaths: [String] = [], enableSymlinks: Bool = false,
                s3Prefix: String? = nil, secondary: [(identifier: String, artifacts: Artifacts)] = []) {
        self.files = files
        self.name = name
        self.discardPaths = discardPaths
        self.baseDirectory = baseDirectory
        self.excludePaths = excludePaths
        self.enableSymlinks = enableSymlinks
        self.s3Prefix = s3Prefix
        self.secondary = secondary
    }

    public static func == (lhs: Artifacts, rhs: Artifacts) -> Bool {
        lhs.files == rhs.files && lhs.name == rhs.name && lhs.discardPaths == rhs.discardPaths
            && lhs.baseDirectory == rhs.baseDirectory && lhs.excludePaths == rhs.excludePaths
            && lhs.enableSymlinks == rhs.enableSymlinks && lhs.s3Prefix == rhs.s3Prefix
            && lhs.secondary.map(\.identifier) == rhs.secondary.map(\.identifier)
            && lhs.secondary.map(\.artifacts) == rhs.secondary.map(\.artifacts)
    }
}

public struct Cache: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable {
        case restore, save, both
    }

    public var paths: [String]
    public var key: String?
    public var fallbackKeys: [String]
    public var action: Action

    public init(paths: [String], key: String? = nil, fallbackKeys: [String] = [], action: Action = .both) {
        self.paths = paths
        self.key = key
        self.fallbackKeys = fallbackKeys
        self.action = action
    }
}
