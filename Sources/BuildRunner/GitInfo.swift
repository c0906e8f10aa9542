import Foundation

/// The commit and remote of a source directory that is a git work tree.
public struct GitInfo {
    var commit: String?
    var remoteURL: String?

    /// Options for git commands that only read the source being built: a checkout owned by
    /// another user (a container job running as root, a bind mount) is read all the same,
    /// where git would refuse it ("dubious ownership") and sitebuild would take it for no
    /// repository (its ignored files copied by --clean, its commit unknown). The build runs
    /// the repository's buildspec anyway: reading its git data trusts nothing more.
    public static let readingAnyOwner = ["-c", "safe.directory=*"]

    static func read(_ directory: String, environment: [String: String]) -> GitInfo {
        let candidates: [String] = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"]
        guard let git = candidates.first(where: { access($0, X_OK) == 0 }) else {
            return GitInfo()
        }
        func run(_ arguments: [String]) -> String? {
            var output: [UInt8] = []
            guard let termination = try? ProcessRunner().run([git] + readingAnyOwner + ["-C", directory] + arguments, environment: environment,
                                                             output: { output.append(contentsOf: $0) }),
                  termination == .exited(0) else { return nil }
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        guard let commit = run(["rev-parse", "--verify", "-q", "HEAD"]), commit.count >= 40 else { return GitInfo() }
        // A remote URL may hold a token: the build sees it without one.
        return GitInfo(commit: commit, remoteURL: run(["config", "--get", "remote.origin.url"]).map(BuildSource.withoutUserinfo))
    }
}
