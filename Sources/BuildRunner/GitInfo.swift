import Foundation

/// The commit and remote of a source directory that is a git work tree.
struct GitInfo {
    var commit: String?
    var remoteURL: String?

    static func read(_ directory: String, environment: [String: String]) -> GitInfo {
        let candidates: [String] = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"]
        guard let git = candidates.first(where: { access($0, X_OK) == 0 }) else {
            return GitInfo()
        }
        func run(_ arguments: [String]) -> String? {
            var output: [UInt8] = []
            guard let termination = try? ProcessRunner().run([git, "-C", directory] + arguments, environment: environment,
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
