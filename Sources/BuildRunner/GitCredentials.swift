import Foundation

/// The environment git runs with, and the URL it is given: credentials never go on a
/// command line. For HTTPS, a password or token (from the URL's user info,
/// `SITEBUILD_GIT_TOKEN` or `GITHUB_TOKEN`) is handed to git by a small askpass script that
/// reads it from git's environment and answers only for the URL's host. SSH uses the
/// agent and keys as they are, in batch mode (never a prompt); `GIT_ASKPASS` set by the
/// caller is kept when sitebuild has no password or token of its own to give (a user name
/// in the URL is then passed on to it).
struct GitCredentials {
    /// The URL for git, without a password (and for HTTPS without any user info when
    /// sitebuild answers for the credentials).
    var url: String
    var environment: [String: String]
    private var askpassDirectory: String?

    static let askpassScript = """
        #!/bin/sh
        # sitebuild: answers git's credential prompts from the environment, for one host only.
        case "$1" in
          *"//$SITEBUILD_ASKPASS_HOST'"*|*"@$SITEBUILD_ASKPASS_HOST'"*) ;;
          *) exit 1 ;;
        esac
        case "$1" in
          Username*) printf '%s\\n' "$SITEBUILD_ASKPASS_USERNAME" ;;
          *) printf '%s\\n' "$SITEBUILD_ASKPASS_PASSWORD" ;;
        esac

        """

    /// `git`: the git executable, to read `core.sshCommand` with (nil: none is configured).
    init(url: String, environment base: [String: String], scratch: String, git: String? = nil) throws {
        var env = base
        // A repository discovered from the caller's hook or shell must not leak in.
        for name in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                     "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE"] {
            env[name] = nil
        }
        env["GIT_TERMINAL_PROMPT"] = "0"
        if env["GIT_SSH_COMMAND"] == nil && env["GIT_SSH"] == nil {
            // GIT_SSH_COMMAND beats core.sshCommand (a deploy key's `ssh -i …`): that one is
            // kept, in batch mode too when it runs ssh itself.
            env["GIT_SSH_COMMAND"] = Self.batchSSHCommand(configured: git.flatMap { Self.configuredSSHCommand(git: $0, environment: env) })
        }
        self.url = url
        let lower = url.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://"), let parts = Self.userinfo(of: url) {
            // A user name alone (`https://alice@host/…`, as Azure DevOps and Bitbucket give them)
            // is left to the caller's GIT_ASKPASS, core.askPass or credential helper, asked for
            // that user: answering with no password would keep them from being asked.
            if let token = parts.password ?? Self.environmentToken(for: url, host: parts.host, environment: base) {
                self.url = BuildSource.withoutUserinfo(url)
                let directory = scratch + "/askpass-\(getpid())"
                try? FileManager.default.removeItem(atPath: directory)
                guard mkdir(directory, 0o700) == 0 else {
                    throw SourceError(.invalidInput, "cannot create \(directory) for git credentials: \(String(cString: strerror(errno)))")
                }
                let script = directory + "/askpass"
                guard FileManager.default.createFile(atPath: script, contents: Data(Self.askpassScript.utf8),
                                                     attributes: [.posixPermissions: 0o700]) else {
                    throw SourceError(.invalidInput, "cannot write the git askpass helper in \(directory)")
                }
                askpassDirectory = directory
                env["GIT_ASKPASS"] = script
                env["SSH_ASKPASS"] = nil
                env["SITEBUILD_ASKPASS_HOST"] = parts.host
                env["SITEBUILD_ASKPASS_USERNAME"] = parts.user ?? "x-access-token"
                env["SITEBUILD_ASKPASS_PASSWORD"] = token
            }
        } else if let parts = Self.userinfo(of: url), parts.password != nil {
            // ssh:// and git:// cannot take a password from git; drop it rather than pass it on.
            let user = parts.user.map { $0 + "@" } ?? ""
            self.url = BuildSource.withoutUserinfo(url).replacingOccurrences(of: "://", with: "://" + user)
        }
        environment = env
    }

    /// The token from the environment that may go to this URL: none over plain http
    /// (except to this machine), and `GITHUB_TOKEN` only to GitHub (github.com, or the
    /// `GITHUB_SERVER_URL` host of GitHub Enterprise): a CI job's token must not reach
    /// whatever host a source URL names.
    static func environmentToken(for url: String, host: String, environment: [String: String]) -> String? {
        let name = hostName(host)
        guard url.lowercased().hasPrefix("https://") || isLoopback(name) else { return nil }
        if let token = environment["SITEBUILD_GIT_TOKEN"], !token.isEmpty { return token }
        guard let token = environment["GITHUB_TOKEN"], !token.isEmpty else { return nil }
        var github: Set<String> = ["github.com", "www.github.com"]
        if let server = environment["GITHUB_SERVER_URL"], let parts = userinfo(of: server) { github.insert(hostName(parts.host)) }
        return github.contains(name) ? token : nil
    }

    /// `core.sshCommand` as git run with `environment` reads it, if set.
    static func configuredSSHCommand(git: String, environment: [String: String]) -> String? {
        guard let output = try? CapturedCommand.run([git, "config", "--get", "core.sshCommand"], environment: environment),
              output.succeeded, !output.stdoutText.isEmpty else { return nil }
        return output.stdoutText
    }

    /// The GIT_SSH_COMMAND for a `configured` core.sshCommand (nil: none): plain ssh, or the
    /// configured command, in batch mode (never a prompt) when it is ssh (`ssh -i key`); nil,
    /// leaving core.sshCommand to git, for a program of the user's own, whose options are its own.
    static func batchSSHCommand(configured: String?) -> String? {
        guard let configured else { return "ssh -o BatchMode=yes" }
        let program = configured.split(whereSeparator: \.isWhitespace).first.map { ($0 as NSString).lastPathComponent } ?? ""
        return program == "ssh" ? configured + " -o BatchMode=yes" : nil
    }

    /// Whether `name` (a host without its port) is this machine: `localhost`, `::1` or an IPv4
    /// address in 127.0.0.0/8, read as an address (`127.attacker.example` is a name like any other).
    static func isLoopback(_ name: String) -> Bool {
        if name == "localhost" || name == "::1" { return true }
        var address = in_addr()
        guard inet_pton(AF_INET, name, &address) == 1 else { return false }
        return UInt32(bigEndian: address.s_addr) >> 24 == 127
    }

    /// `host[:port]` (or `[v6]:port`) without its port, lowercased.
    static func hostName(_ host: String) -> String {
        let lower = host.lowercased()
        if lower.hasPrefix("["), let close = lower.firstIndex(of: "]") {
            return String(lower[lower.index(after: lower.startIndex)..<close])
        }
        return lower.split(separator: ":", maxSplits: 1).first.map(String.init) ?? lower
    }

    /// Removes the askpass helper.
    func remove() {
        if let askpassDirectory { try? FileManager.default.removeItem(atPath: askpassDirectory) }
    }

    /// The user, password (percent-decoded) and host[:port] of `url`; nil without a host.
    static func userinfo(of url: String) -> (user: String?, password: String?, host: String)? {
        guard let range = url.range(of: "://") else { return nil }
        let authorityAndPath = url[range.upperBound...]
        let authority = authorityAndPath[..<(authorityAndPath.firstIndex(of: "/") ?? authorityAndPath.endIndex)]
        guard let at = authority.lastIndex(of: "@") else { return (nil, nil, String(authority)) }
        let info = authority[..<at]
        let host = String(authority[authority.index(after: at)...])
        if let colon = info.firstIndex(of: ":") {
            let user = String(info[..<colon]).removingPercentEncoding ?? String(info[..<colon])
            let password = String(info[info.index(after: colon)...])
            return (user.isEmpty ? nil : user, password.removingPercentEncoding ?? password, host)
        }
        let user = String(info).removingPercentEncoding ?? String(info)
        return (user.isEmpty ? nil : user, nil, host)
    }
}
