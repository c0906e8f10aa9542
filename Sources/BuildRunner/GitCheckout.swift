import Foundation

/// Checks out one commit of a git repository with the git CLI, as shallow as the server
/// allows: `git clone --depth 1 --branch` for a branch or tag; `git init` and
/// `git fetch --depth 1 origin <sha>` for a commit or a full ref name (`refs/tags/v2`), with
/// a full fetch when the server refuses single commits or the commit is abbreviated.
///
/// Credentials come only from the environment (see ``GitCredentials``): they are never
/// on a command line and never in a message.
struct GitCheckout {
    let git: String
    /// The URL as given (it may hold credentials).
    let url: String
    let ref: String?
    let submodules: Bool
    let environment: [String: String]
    /// A private directory for the askpass helper.
    let scratch: String
    let log: (String) -> Void
    /// Set by a signal: the running git command is stopped with its helpers, and the fetch
    /// throws an interrupted ``SourceError``.
    var cancellation: Cancellation? = nil

    struct Result {
        var commit: String
        /// Committer time, seconds since the epoch.
        var commitTime: Int64
        /// The ref as given, or the default branch's name when none was.
        var version: String
    }

    var shownURL: String { BuildSource.redacted(url) }

    func fetch(into checkout: String) throws -> Result {
        if let ref {
            guard !ref.hasPrefix("-"), !ref.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }),
                  !ref.contains("..") else {
                throw SourceError(.invalidInput, "\(shownURL)#\(ref): '\(ref)' is not a valid branch, tag or commit name")
            }
        }
        let credentials = try GitCredentials(url: url, environment: environment, scratch: scratch, git: git)
        defer { credentials.remove() }
        var session = Session(git: git, environment: credentials.environment, shownURL: shownURL, ref: ref)
        session.cancellation = cancellation
        let withheld = ["SITEBUILD_GIT_TOKEN", "GITHUB_TOKEN"].filter { environment[$0]?.isEmpty == false }
        if !withheld.isEmpty, credentials.environment["SITEBUILD_ASKPASS_PASSWORD"] == nil {
            // A token is set but was not given to this host: say so, rather than to set it.
            session.credentialsHint = "\(withheld.joined(separator: " and ")) \(withheld.count == 1 ? "is" : "are") set but not sent to this host "
                + "(a token from the environment goes over https only, to this machine over http too, and GITHUB_TOKEN only to GitHub): "
                + "use an https:// URL (SITEBUILD_GIT_TOKEN for other hosts), or put user:password@ in the URL"
        }

        if let ref, Self.isFullCommit(ref) {
            log("fetching commit \(ref) of \(shownURL)")
            try fetchCommit(ref, url: credentials.url, into: checkout, session)
        } else if let ref {
            let refs = try session.run(["ls-remote", "--", credentials.url, ref], what: "list the refs of").stdoutText
                .split(separator: "\n").compactMap { line -> String? in
                    let fields = line.split(separator: "\t")
                    return fields.count == 2 ? String(fields[1]) : nil
                }
            // A full name (refs/tags/v2) is fetched by that name: `clone --branch` takes a short
            // one, and where a branch and a tag share it, it takes the branch.
            if !ref.hasPrefix("refs/"), refs.contains("refs/heads/\(ref)") || refs.contains("refs/tags/\(ref)") {
                log("cloning \(shownURL) at \(ref) (depth 1)")
                try clone(credentials.url, branch: ref, into: checkout, session)
            } else if refs.contains(ref) {
                log("fetching \(ref) of \(shownURL) (depth 1)")
                try fetchCommit(ref, url: credentials.url, into: checkout, session)
            } else if Self.isAbbreviatedCommit(ref) {
                log("fetching \(shownURL) to find commit \(ref)")
                try fetchCommit(ref, url: credentials.url, into: checkout, session)
            } else {
                throw SourceError(.invalidInput, "\(shownURL): no branch, tag or commit named '\(ref)'; check the ref after '#'")
            }
        } else {
            log("cloning \(shownURL) at its default branch (depth 1)")
            try clone(credentials.url, branch: nil, into: checkout, session)
        }

        let inside = Session(git: git, environment: credentials.environment, shownURL: shownURL, ref: ref, directory: checkout,
                             credentialsHint: session.credentialsHint, cancellation: cancellation)
        // The work tree's remote keeps no credentials, whatever the URL held.
        _ = try? inside.run(["remote", "set-url", "origin", BuildSource.withoutUserinfo(credentials.url)], what: "configure")
        let commit = try inside.run(["rev-parse", "--verify", "HEAD^{commit}"], what: "read the commit of").stdoutText
        let time = Int64(try inside.run(["log", "-1", "--format=%ct", "HEAD"], what: "read the commit time of").stdoutText) ?? 0
        var version = ref
        if version == nil {
            let branch = try? inside.run(["symbolic-ref", "--short", "-q", "HEAD"], what: "read the branch of").stdoutText
            version = branch.flatMap { $0.isEmpty ? nil : $0 } ?? commit
        }
        return Result(commit: commit, commitTime: time, version: version ?? commit)
    }

    private func clone(_ cloneURL: String, branch: String?, into checkout: String, _ session: Session) throws {
        var arguments = ["clone", "--quiet", "--depth", "1"]
        if let branch { arguments += ["--branch", branch] }
        if submodules { arguments += ["--recurse-submodules", "--shallow-submodules"] }
        arguments += ["--", cloneURL, checkout]
        try session.run(arguments, what: "clone")
    }

    /// A commit (full or abbreviated) or a ref that `clone --branch` cannot take.
    private func fetchCommit(_ wanted: String, url cloneURL: String, into checkout: String, _ session: Session) throws {
        try session.run(["init", "--quiet", checkout], what: "create a repository for")
        let inside = Session(git: git, environment: session.environment, shownURL: shownURL, ref: ref, directory: checkout,
                             credentialsHint: session.credentialsHint, cancellation: cancellation)
        try inside.run(["remote", "add", "origin", cloneURL], what: "configure")
        var target = "FETCH_HEAD"
        let abbreviated = Self.isAbbreviatedCommit(wanted) && !Self.isFullCommit(wanted)
        if !abbreviated {
            do {
                try inside.run(["fetch", "--quiet", "--depth", "1", "origin", wanted], what: "fetch")
            } catch let error as SourceError where Self.isFullCommit(wanted) && error.kind == .invalidInput {
                log("the server does not serve single commits; fetching the history of \(shownURL)")
                target = ""
            }
        }
        if abbreviated || target.isEmpty {
            try inside.run(["fetch", "--quiet", "--tags", "origin"], what: "fetch")
            guard let full = try? inside.run(["rev-parse", "--verify", "-q", "\(wanted)^{commit}"], what: "find").stdoutText,
                  Self.isFullCommit(full) else {
                throw SourceError(.invalidInput, "\(shownURL): no commit '\(wanted)' on any branch or tag; check the commit after '#'")
            }
            target = full
        }
        try inside.run(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", target], what: "check out")
        if submodules {
            try inside.run(["submodule", "update", "--init", "--recursive", "--depth", "1"], what: "fetch the submodules of")
        }
    }

    static func isFullCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
    }

    static func isAbbreviatedCommit(_ text: String) -> Bool {
        (4...64).contains(text.count) && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// Runs git commands with one environment, turning failures into ``SourceError``s.
    struct Session {
        let git: String
        let environment: [String: String]
        let shownURL: String
        let ref: String?
        var directory: String?
        /// The advice on credentials a failure ends with.
        var credentialsHint = "for a private repository set SITEBUILD_GIT_TOKEN (HTTPS) or GIT_ASKPASS, or load an SSH key into ssh-agent"
        var cancellation: Cancellation? = nil

        @discardableResult
        func run(_ arguments: [String], what: String) throws -> CapturedCommand.Output {
            let full = [git] + (directory.map { ["-C", $0] } ?? []) + arguments
            let output: CapturedCommand.Output
            try checkCancellation(what)
            do {
                output = try CapturedCommand.run(full, environment: environment, cancellation: cancellation)
            } catch {
                throw SourceError(.unavailable, "cannot run git to \(what) \(shownURL): \(error)")
            }
            try checkCancellation(what)
            guard output.succeeded else {
                let detail = BuildSource.redactingURLs(in: output.stderrText)
                    .split(separator: "\n").suffix(6).joined(separator: "\n  ")
                let at = ref.map { " at '\($0)'" } ?? ""
                let network = ["Could not resolve host", "Could not resolve hostname", "Connection refused", "Connection timed out", "timed out",
                               "Couldn't connect to server", "Failed to connect",
                               "Network is unreachable", "The requested URL returned error: 5", "early EOF"]
                let kind: SourceError.Kind = network.contains { detail.contains($0) } ? .unavailable : .invalidInput
                throw SourceError(kind, "git could not \(what) \(shownURL)\(at) (exit \(output.termination.status))"
                    + (detail.isEmpty ? "" : ":\n  \(detail)\n")
                    + "check the URL and the ref; " + credentialsHint)
            }
            return output
        }

        private func checkCancellation(_ what: String) throws {
            guard let reason = cancellation?.reason else { return }
            throw SourceError.interrupted(reason, "while git was to \(what) \(shownURL)")
        }
    }
}
