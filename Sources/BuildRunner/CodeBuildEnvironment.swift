/// What the environment says about CodeBuild itself.
public enum CodeBuildEnvironment {
    /// Whether sitebuild runs inside a CodeBuild build: CODEBUILD_BUILD_ID is set and not
    /// empty. An empty variable counts as unset (as CI templates and `env -i … NAME=` leave
    /// them): such a build is a local one, with its own build id, number and ARN.
    public static func isInside(_ environment: [String: String]) -> Bool {
        environment["CODEBUILD_BUILD_ID"]?.isEmpty == false
    }
}
