@testable import BuildRunner
import Foundation
import SiteContent
import Testing

@Suite("BuildSource.parse")
struct BuildSourceTests {
    let base: String

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("source-location-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base + "/site", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: base + "/release.tar.gz"))
        try Data().write(to: URL(fileURLWithPath: base + "/notes.txt"))
    }

    func parse(_ text: String) throws -> BuildSource {
        try BuildSource.parse(text, what: "--source", relativeTo: base)
    }

    func message(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "parsed"
        } catch {
            return "\(error)"
        }
    }

    @Test func directoriesArchivesAndLocalRepositories() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(try parse("site") == .directory(base + "/site"))
        #expect(try parse(".") == .directory(base))
        #expect(try parse("release.tar.gz") == .archive(path: base + "/release.tar.gz"))
        #expect(try parse("file://\(base)/release.tar.gz") == .archive(path: base + "/release.tar.gz"))
        #expect(try parse("site#v1.2") == .git(url: "file://\(base)/site", ref: "v1.2"))
        // A '%' (or a space, a '#') in a folder's name is the folder's: encoded for the file URL.
        try FileManager.default.createDirectory(atPath: base + "/pct%41 dir", withIntermediateDirectories: true)
        #expect(try parse("pct%41 dir#main") == .git(url: "file://\(base)/pct%2541%20dir", ref: "main"))
        #expect(message("notes.txt").contains("not a .zip, .tar.gz, .tgz or .tar.zst archive"))
        #expect(message("missing.zip") == "--source missing.zip: no such file")
        #expect(message("missing").hasPrefix("--source missing: no such directory"))
    }

    @Test func gitURLs() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(try parse("https://github.com/org/site.git#main") == .git(url: "https://github.com/org/site.git", ref: "main"))
        #expect(try parse("https://github.com/org/site") == .git(url: "https://github.com/org/site", ref: String?.none))
        #expect(try parse("git@github.com:org/site.git#v2") == .git(url: "git@github.com:org/site.git", ref: "v2"))
        #expect(try parse("git+ssh://git@host/org/site#abc1234") == .git(url: "ssh://git@host/org/site", ref: "abc1234"))
        #expect(try parse("file:///srv/site.git#refs/pull/7/head") == .git(url: "file:///srv/site.git", ref: "refs/pull/7/head"))
        #expect(message("ftp://host/site").contains("unknown URL scheme 'ftp'"))
        #expect(message("https://example.com/site.zip").contains("not downloaded over HTTP"))
        // A password in the URL never reaches a message.
        #expect(message("gopher://me:pw@host/x").hasPrefix("--source gopher://***@host/x: unknown URL scheme"))
    }

    /// A password with a raw `/`, `#` or `?` ends the authority early for git: refused, saying
    /// how to encode it, and never shown (it was printed whole, and its start taken for the host).
    @Test func aRawSlashHashOrQuestionMarkInTheUserinfoIsRefusedUnshown() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        for url in ["http://alice:Sec/Ret123@127.0.0.1:5921/site.git#main", "http://alice:Sec#Ret123@127.0.0.1/site.git",
                    "https://alice:Sec?Ret123@host/site.git", "git+https://alice:S/e#c@host/org/site.git#main",
                    "https://alice:S/e#Ret123@host/org/site.git"] {
            let text = message(url)
            #expect(text.contains("percent-encode them in the URL (%2F for /, %23 for #, %3F for ?)"), "\(url): \(text)")
            #expect(!text.contains("Ret123") && !text.contains("Sec") && !text.contains("alice"), "\(url): \(text)")
        }
        #expect(message("http://alice:Sec/Ret123@127.0.0.1:5921/site.git#main").hasPrefix("--source http://***@127.0.0.1:5921/site.git#main: "))
        // Encoded, or an '@' only in the ref: taken as they are.
        #expect(try parse("https://alice:Sec%2FRet%23123@host/site.git#main") == .git(url: "https://alice:Sec%2FRet%23123@host/site.git", ref: "main"))
        #expect(try parse("https://host/org/site.git#renovate/@types-node") == .git(url: "https://host/org/site.git", ref: "renovate/@types-node"))
        #expect(try parse("https://tok@host/org/site.git#a@b") == .git(url: "https://tok@host/org/site.git", ref: "a@b"))
        // Changesets' and Lerna's tags hold '@' and '/': a ref, after a host (and port) without user info.
        #expect(try parse("https://github.com/changesets/changesets.git#@changesets/cli@2.27.1")
                == .git(url: "https://github.com/changesets/changesets.git", ref: "@changesets/cli@2.27.1"))
        #expect(try parse("git://127.0.0.1:59161/site#@myorg/ui@1.2.0") == .git(url: "git://127.0.0.1:59161/site", ref: "@myorg/ui@1.2.0"))
        #expect(try parse("https://host/site.git#ui@1.2.0/x") == .git(url: "https://host/site.git", ref: "ui@1.2.0/x"))
    }

    @Test func s3Archives() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(try parse("s3://uploads/releases/site-v7.zip") == .s3Archive(bucket: "uploads", key: "releases/site-v7.zip"))
        #expect(try parse("s3://uploads/site.tgz") == .s3Archive(bucket: "uploads", key: "site.tgz"))
        #expect(message("s3://uploads/site").contains("must be a .zip, .tar.gz, .tgz or .tar.zst object"))
        #expect(message("s3://uploads").contains("name an object"))
        #expect(message("s3://uploads/").contains("name an object"))
    }

    @Test func archiveNames() {
        #expect(BuildSource.archiveStem(of: "/x/site-v1.tar.gz") == "site-v1")
        #expect(BuildSource.archiveStem(of: "releases/A.ZIP") == "A")
        #expect(BuildSource.archiveStem(of: "b.tar.zst") == "b")
        #expect(BuildSource.archiveExtension(of: ".zip") == nil)
    }

    @Test func redaction() {
        #expect(BuildSource.redacted("https://user:pw@github.com/o/r.git") == "https://***@github.com/o/r.git")
        #expect(BuildSource.redacted("https://github.com/o/r.git") == "https://github.com/o/r.git")
        #expect(BuildSource.withoutUserinfo("https://ghp_token@github.com/o/r") == "https://github.com/o/r")
        #expect(BuildSource.redactingURLs(in: "fatal: unable to access 'https://tok@github.com/o/r/': 403\nand http://a:b@c:8/x")
                == "fatal: unable to access 'https://***@github.com/o/r/': 403\nand http://***@c:8/x")
        // A raw '/' or '#' in the password does not end what is hidden.
        #expect(BuildSource.redacted("http://alice:Sec/Ret123@127.0.0.1:5921/site.git#main") == "http://***@127.0.0.1:5921/site.git#main")
        #expect(BuildSource.redacted("http://alice:Sec#Ret123@host/site.git") == "http://***@host/site.git")
        #expect(BuildSource.redacted("https://host/site.git#feature@x") == "https://host/site.git#feature@x")
        #expect(BuildSource.redactingURLs(in: "fatal: 'http://alice:Sec/Ret123@h/site.git' failed") == "fatal: 'http://***@h/site.git' failed")
        #expect(SourceResolver.repositoryName("git@github.com:org/my-site.git") == "my-site")
        #expect(SourceResolver.repositoryName("https://tok@host/org/site") == "site")
        #expect(SourceResolver.repositoryName("file:///srv/repos/site.git") == "site")
    }
}

@Suite("Extraction limits")
struct ExtractionLimitTests {
    @Test func sizesAndVariables() throws {
        #expect(SourceResolver.parseSize("4G") == 4 << 30)
        #expect(SourceResolver.parseSize("512M") == 512 << 20)
        #expect(SourceResolver.parseSize("1GiB") == 1 << 30)
        #expect(SourceResolver.parseSize("64kb") == 64 << 10)
        #expect(SourceResolver.parseSize("1000") == 1000)
        #expect(SourceResolver.parseSize("lots") == nil)
        #expect(SourceResolver.parseSize("99999999999T") == nil)
        let limits = try SourceResolver.limits(environment: ["SITEBUILD_EXTRACT_MAX_BYTES": "1G", "SITEBUILD_EXTRACT_MAX_ENTRIES": "50"])
        #expect(limits == ExtractionLimits(totalBytes: 1 << 30, fileBytes: 2 << 30, entries: 50))
        #expect(try SourceResolver.limits(environment: [:]) == .standard)
        #expect(throws: SourceError.self) { try SourceResolver.limits(environment: ["SITEBUILD_EXTRACT_MAX_ENTRIES": "0"]) }
    }
}

@Suite("Git credentials")
struct GitCredentialTests {
    let scratch: String

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("git-credentials-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    @Test func aPasswordInAnHTTPSURLGoesToTheAskpassEnvironment() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let credentials = try GitCredentials(url: "https://ci:p%40ss@git.example.com:8443/org/site.git",
                                             environment: ["GIT_DIR": "/elsewhere", "PATH": "/usr/bin:/bin"], scratch: scratch)
        #expect(credentials.url == "https://git.example.com:8443/org/site.git")
        let env = credentials.environment
        #expect(env["GIT_DIR"] == nil)
        #expect(env["GIT_TERMINAL_PROMPT"] == "0")
        #expect(env["GIT_SSH_COMMAND"] == "ssh -o BatchMode=yes")
        #expect(env["SITEBUILD_ASKPASS_USERNAME"] == "ci")
        #expect(env["SITEBUILD_ASKPASS_PASSWORD"] == "p@ss")
        #expect(env["SITEBUILD_ASKPASS_HOST"] == "git.example.com:8443")
        let script = try #require(env["GIT_ASKPASS"])
        #expect(try FileManager.default.attributesOfItem(atPath: script)[.posixPermissions] as? Int == 0o700)
        // The script answers git's prompts for that host only.
        #expect(try askpass(script, env, "Username for 'https://git.example.com:8443': ") == (0, "ci\n"))
        #expect(try askpass(script, env, "Password for 'https://ci@git.example.com:8443': ") == (0, "p@ss\n"))
        #expect(try askpass(script, env, "Password for 'https://evil.example.com': ").status != 0)
        #expect(try askpass(script, env, "Password for 'https://git.example.com:8443.evil.example': ").status != 0)
        credentials.remove()
        #expect(!FileManager.default.fileExists(atPath: script))
    }

    /// A checkout whose LFS files were not fetched holds pointer text: found (and warned about
    /// by the checkout), never below .git, and only when .gitattributes uses the LFS filter.
    @Test func lfsPointerFilesAreFound() throws {
        let root = scratch + "/lfs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"
        for (path, text) in [("img/logo.png", pointer), ("index.html", "<h1>x</h1>"), (".git/lfs/x.png", pointer)] {
            try FileManager.default.createDirectory(atPath: (root + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + path))
        }
        #expect(SourceResolver.lfsPointers(in: root) == [])
        try Data("*.png filter=lfs diff=lfs merge=lfs -text\n".utf8).write(to: URL(fileURLWithPath: root + "/.gitattributes"))
        #expect(SourceResolver.lfsPointers(in: root) == ["img/logo.png"])
    }

    @Test func tokensFromTheEnvironment() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let github = try GitCredentials(url: "https://github.com/org/site.git", environment: ["GITHUB_TOKEN": "gh"], scratch: scratch)
        #expect(github.environment["SITEBUILD_ASKPASS_USERNAME"] == "x-access-token")
        #expect(github.environment["SITEBUILD_ASKPASS_PASSWORD"] == "gh")
        github.remove()
        let both = try GitCredentials(url: "https://github.com/org/site.git",
                                      environment: ["GITHUB_TOKEN": "gh", "SITEBUILD_GIT_TOKEN": "sb"], scratch: scratch)
        #expect(both.environment["SITEBUILD_ASKPASS_PASSWORD"] == "sb")
        both.remove()
        // GITHUB_TOKEN goes to GitHub only (or GitHub Enterprise's host); no environment
        // token goes over plain http to another machine.
        #expect(GitCredentials.environmentToken(for: "https://gitlab.example/org/site.git", host: "gitlab.example", environment: ["GITHUB_TOKEN": "gh"]) == nil)
        #expect(GitCredentials.environmentToken(for: "https://git.corp:8443/o/s.git", host: "git.corp:8443",
                                                environment: ["GITHUB_TOKEN": "gh", "GITHUB_SERVER_URL": "https://GIT.corp:8443"]) == "gh")
        #expect(GitCredentials.environmentToken(for: "https://gitlab.example/o/s.git", host: "gitlab.example", environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == "sb")
        #expect(GitCredentials.environmentToken(for: "http://gitlab.example/o/s.git", host: "gitlab.example", environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == nil)
        #expect(GitCredentials.environmentToken(for: "http://github.com/o/s.git", host: "github.com", environment: ["GITHUB_TOKEN": "gh"]) == nil)
        #expect(GitCredentials.environmentToken(for: "http://127.0.0.1:9/o/s.git", host: "127.0.0.1:9", environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == "sb")
        #expect(GitCredentials.environmentToken(for: "http://[::1]:9/o/s.git", host: "[::1]:9", environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == "sb")
        #expect(GitCredentials.environmentToken(for: "http://127.9.8.7/o/s.git", host: "127.9.8.7", environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == "sb")
        #expect(GitCredentials.environmentToken(for: "http://localhost:9/o/s.git", host: "LocalHost:9", environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == "sb")
        // A name that merely starts like a loopback address is another machine.
        for host in ["127.attacker.example", "127.0.0.1.attacker.example:80", "127.0.0.1x", "1127.0.0.1"] {
            #expect(GitCredentials.environmentToken(for: "http://\(host)/o/s.git", host: host, environment: ["SITEBUILD_GIT_TOKEN": "sb"]) == nil, "\(host)")
        }
        let elsewhere = try GitCredentials(url: "https://gitlab.example/org/site.git", environment: ["GITHUB_TOKEN": "gh"], scratch: scratch)
        #expect(elsewhere.environment["SITEBUILD_ASKPASS_PASSWORD"] == nil)
        #expect(elsewhere.environment["GIT_ASKPASS"] == nil)
        elsewhere.remove()
        let none = try GitCredentials(url: "https://github.com/org/site.git", environment: ["GIT_ASKPASS": "/usr/bin/mine"], scratch: scratch)
        #expect(none.environment["GIT_ASKPASS"] == "/usr/bin/mine")
        #expect(none.environment["SITEBUILD_ASKPASS_PASSWORD"] == nil)
        none.remove()
        // A user name without a password or token: the caller's helper is asked, for that user.
        let userOnly = try GitCredentials(url: "https://alice@dev.example/org/_git/site", environment: ["GIT_ASKPASS": "/usr/bin/mine"], scratch: scratch)
        #expect(userOnly.environment["GIT_ASKPASS"] == "/usr/bin/mine")
        #expect(userOnly.environment["SITEBUILD_ASKPASS_PASSWORD"] == nil)
        #expect(userOnly.url == "https://alice@dev.example/org/_git/site")
        userOnly.remove()
        let userAndToken = try GitCredentials(url: "https://alice@dev.example/org/_git/site",
                                              environment: ["GIT_ASKPASS": "/usr/bin/mine", "SITEBUILD_GIT_TOKEN": "sb"], scratch: scratch)
        #expect(userAndToken.environment["GIT_ASKPASS"] != "/usr/bin/mine")
        #expect(userAndToken.environment["SITEBUILD_ASKPASS_USERNAME"] == "alice")
        #expect(userAndToken.environment["SITEBUILD_ASKPASS_PASSWORD"] == "sb")
        #expect(userAndToken.url == "https://dev.example/org/_git/site")
        userAndToken.remove()
        // SSH cannot take a password from git: it is dropped, the user name kept.
        let ssh = try GitCredentials(url: "ssh://git:secret@host/org/site.git", environment: [:], scratch: scratch)
        #expect(ssh.url == "ssh://git@host/org/site.git")
        #expect(ssh.environment["GIT_ASKPASS"] == nil)
    }

    /// A deploy key in core.sshCommand is used (GIT_SSH_COMMAND, which git prefers, hid it),
    /// in batch mode when it runs ssh; a program of the user's own is left as configured.
    @Test func coreSSHCommandIsKept() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let git = try #require(CapturedCommand.find("git", environment: ProcessInfo.processInfo.environment))
        func sshCommand(_ configured: String?) throws -> String? {
            var env = ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": scratch, "PATH": "/usr/bin:/bin"]
            if let configured { env.merge(["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.sshCommand", "GIT_CONFIG_VALUE_0": configured]) { $1 } }
            let credentials = try GitCredentials(url: "ssh://git@host/org/site.git", environment: env, scratch: scratch, git: git)
            defer { credentials.remove() }
            return credentials.environment["GIT_SSH_COMMAND"]
        }
        #expect(try sshCommand(nil) == "ssh -o BatchMode=yes")
        #expect(try sshCommand("ssh -i /keys/deploy -o IdentitiesOnly=yes") == "ssh -i /keys/deploy -o IdentitiesOnly=yes -o BatchMode=yes")
        #expect(try sshCommand("/usr/bin/ssh -i /keys/deploy") == "/usr/bin/ssh -i /keys/deploy -o BatchMode=yes")
        #expect(try sshCommand("/opt/bin/ssh-wrapper") == nil)
        // Set by the caller, GIT_SSH_COMMAND is theirs.
        let own = try GitCredentials(url: "ssh://git@host/org/site.git", environment: ["GIT_SSH_COMMAND": "ssh -v"], scratch: scratch, git: git)
        #expect(own.environment["GIT_SSH_COMMAND"] == "ssh -v")
    }

    func askpass(_ script: String, _ env: [String: String], _ prompt: String) throws -> (status: Int32, output: String) {
        let output = try CapturedCommand.run([script, prompt], environment: env)
        return (output.termination.status, String(decoding: output.stdout, as: UTF8.self))
    }
}

@Suite("Work directories")
struct WorkDirectoryTests {
    @Test func namesAreSanitizedAndForeignDirectoriesKept() throws {
        #expect(WorkDirectory.sanitizedName("..site v2/x") == "site-v2-x")
        #expect(WorkDirectory.sanitizedName("") == "source")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("work-root-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A directory sitebuild did not make is never emptied.
        try FileManager.default.createDirectory(atPath: root + "/precious", withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: root + "/precious/data"))
        let error = try #require(throws: SourceError.self) { try WorkDirectory.prepare(root: root, name: "precious") }
        #expect(error.description.contains("was not made by sitebuild"))
        #expect(FileManager.default.fileExists(atPath: root + "/precious/data"))
        // One sitebuild made is emptied on the next run.
        let work = try WorkDirectory.prepare(root: root, name: "site")
        try Data().write(to: URL(fileURLWithPath: work.path + "/old"))
        let again = try WorkDirectory.prepare(root: root, name: "site")
        #expect(try FileManager.default.contentsOfDirectory(atPath: again.path) == [WorkDirectory.marker])
    }

    @Test func aSecondProcessIsToldTheWorkDirectoryIsBusy() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("work-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try WorkDirectory.prepare(root: root, name: "busy")
        // flock(1) from util-linux stands in for a second sitebuild process.
        let flock = try #require(CapturedCommand.find("flock", environment: ProcessInfo.processInfo.environment), "flock(1) from util-linux")
        let other = try CapturedCommand.run([flock, "-n", root + "/busy.lock", "true"], environment: [:])
        #expect(other.termination != .exited(0), "the lock is held while this process lives")
    }
}
