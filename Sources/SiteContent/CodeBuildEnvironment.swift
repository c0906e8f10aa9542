/// What the environment says about CodeBuild itself: here, below the build (BuildRunner) and
/// the deploy (Deploy), so both read it one way.
public enum CodeBuildEnvironment {
    /// Whether sitebuild runs inside a CodeBuild build: CODEBUILD_BUILD_ID is set and not
    /// empty. An empty variable counts as unset (as CI templates and `env -i … NAME=` leave
    /// them): such a build is a local one, with its own build id, number and ARN.
    public static func isInside(_ environment: [String: String]) -> Bool {
        environment["CODEBUILD_BUILD_ID"]?.isEmpty == false
    }

    /// The CodeBuild build sitebuild runs inside, as its console names it.
    public struct Build: Sendable, Equatable {
        /// CODEBUILD_BUILD_ID: `<project>:<uuid>`.
        public var id: String
        /// CODEBUILD_BUILD_ARN; nil when unset or empty.
        public var arn: String?
        /// CODEBUILD_BUILD_NUMBER; nil when unset or not a number.
        public var number: Int?
        /// CODEBUILD_INITIATOR (`codepipeline/<pipeline>`, an IAM user, `GitHub-Hookshot/…`);
        /// nil when unset or empty.
        public var initiator: String?
    }

    /// The CodeBuild build of `environment` (nil outside CodeBuild, ``isInside(_:)``): what a
    /// build's result, log and release records name instead of sitebuild's own ids, so that
    /// they can be found in the CodeBuild console.
    public static func build(_ environment: [String: String]) -> Build? {
        guard isInside(environment), let id = environment["CODEBUILD_BUILD_ID"] else { return nil }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return Build(id: id, arn: value("CODEBUILD_BUILD_ARN"), number: value("CODEBUILD_BUILD_NUMBER").flatMap { Int($0) },
                     initiator: value("CODEBUILD_INITIATOR"))
    }
}
