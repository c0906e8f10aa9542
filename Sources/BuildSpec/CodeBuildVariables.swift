/// The CodeBuild variables a build provides itself. A buildspec's `env.variables` cannot set
/// these (the build's own value holds, with a warning); any other name starting with
/// `CODEBUILD_` (`CODEBUILD_CACHE_BUCKET`, which real projects define) is the project's own and
/// is passed through, with a warning that CodeBuild reserves the prefix.
public enum CodeBuildVariables {
    /// What sitebuild sets in every build (see BuildEngine's environment; a test runs a build
    /// and checks that each CODEBUILD_ name it sees is here).
    public static let provided: Set<String> = [
        "CODEBUILD_SRC_DIR", "CODEBUILD_BUILD_SUCCEEDING", "CODEBUILD_START_TIME", "CODEBUILD_BUILD_ID",
        "CODEBUILD_BUILD_ARN", "CODEBUILD_BUILD_NUMBER", "CODEBUILD_BUILD_IMAGE", "CODEBUILD_INITIATOR",
        "CODEBUILD_LOG_PATH", "CODEBUILD_LOCAL_BUILD", "CODEBUILD_CI", "CODEBUILD_PROJECT_ARN",
        "CODEBUILD_RESOLVED_SOURCE_VERSION", "CODEBUILD_SOURCE_VERSION", "CODEBUILD_SOURCE_REPO_URL",
        // Set by the command script after each command (its status).
        "CODEBUILD_LAST_EXIT",
    ]

    /// The variables CodeBuild sets for each secondary source (`CODEBUILD_SRC_DIR_source1`),
    /// which sitebuild reads as the build's secondary sources.
    public static let perSourcePrefixes = ["CODEBUILD_SRC_DIR_", "CODEBUILD_SOURCE_VERSION_", "CODEBUILD_SOURCE_REPO_URL_"]

    /// Whether the build sets `name` itself: one of ``provided`` or a secondary source's.
    public static func isProvided(_ name: String) -> Bool {
        provided.contains(name) || perSourcePrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }
}
