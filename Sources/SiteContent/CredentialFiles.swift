#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files and folders that hold credentials by convention and are never a site's, wherever they
/// are in a folder that is deployed (or collected by the buildspec `init` writes): environment
/// files, package-registry tokens, HTTP and database passwords, private keys, Terraform state,
/// Cloudflare's `.dev.vars`, service-account `credentials.json`, and the SSH, AWS and Docker
/// configuration folders. The one list: deploy and `hash` leave out what it names (by name, in
/// any ASCII case, and their editors' backup copies), `init`'s buildspec excludes its globs.
public enum CredentialFiles {
    /// Patterns of names (fnmatch, lower case) of files that hold credentials.
    public static let filePatterns = [".env", ".env.*", ".envrc", ".npmrc", ".yarnrc", ".yarnrc.yml", ".pypirc", ".netrc",
                                      ".git-credentials", ".htpasswd", ".pgpass", ".dev.vars", "*.pem", "*.key", "id_rsa*",
                                      "id_ecdsa*", "id_ed25519*", "*.tfstate", "*.tfstate.*", "credentials.json"]
    /// Names (lower case) of folders whose every file holds or configures credentials.
    public static let folderNames = [".ssh", ".aws", ".docker"]
    /// Templates of an environment file, kept by deploy (they hold names, not values). A
    /// buildspec's `exclude-paths` cannot make an exception, so `init`'s leaves them out too.
    public static let templateNames: Set<String> = [".env.example", ".env.sample", ".env.template", ".env.dist"]
    /// Endings of an editor's or a person's backup copy of a file (`.env~`, `.npmrc.bak`, vim's
    /// `.npmrc.swp`), which holds the same secrets.
    static let backupSuffixes = ["~", ".bak", ".backup", ".old", ".orig", ".save", ".swp", ".swo", ".tmp"]

    /// The globs of `init`'s `exclude-paths`, in the list's order: each file pattern anywhere,
    /// and every file below each folder, each letter in either case (`**/.[eE][nN][vV]`):
    /// `exclude-paths` match case-sensitively, as in CodeBuild, and these names hold credentials
    /// in any case (deploy leaves `.ENV` out as it leaves `.env` out).
    public static var buildspecGlobs: [String] {
        filePatterns.map { "**/" + anyCase($0) } + folderNames.map { "**/\(anyCase($0))/**/*" }
    }

    /// `pattern` (no `[…]` of its own) with each ASCII letter as a bracket of its two cases.
    static func anyCase(_ pattern: String) -> String {
        var result = ""
        for character in pattern {
            if character.isASCII && character.isLetter {
                result += "[\(character.lowercased())\(character.uppercased())]"
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Whether a file or folder named `name` (one path component) is one of credentials: it
    /// matches a pattern in any ASCII case (`.ENV`, `.AWS`), itself or as a backup copy
    /// (`.env~`, `#.env#`, `.id_rsa.swp`), and is no template (`.env.example`).
    public static func matches(_ name: String) -> Bool {
        var candidate = asciiLowercased(name)
        if templateNames.contains(candidate) { return false }
        if isCredentialName(candidate) { return true }
        // Emacs's auto-save copy: `#name#`.
        if candidate.count > 2, candidate.hasPrefix("#"), candidate.hasSuffix("#") {
            candidate = String(candidate.dropFirst().dropLast())
            if isCredentialName(candidate) { return true }
        }
        var stripped = true
        while stripped {
            stripped = false
            for suffix in backupSuffixes where candidate.count > suffix.count && candidate.hasSuffix(suffix) {
                candidate.removeLast(suffix.count)
                stripped = true
                // vim's swap file of `name` is `.name.swp`.
                if isCredentialName(candidate) || (candidate.hasPrefix(".") && isCredentialName(String(candidate.dropFirst()))) { return true }
            }
        }
        return false
    }

    static func isCredentialName(_ lowercased: String) -> Bool {
        if exactNames.contains(lowercased) { return true }
        return shapes.contains { shape in
            switch shape {
            case .prefix(let start): lowercased.hasPrefix(start)
            case .suffix(let end): lowercased.hasSuffix(end)
            case .infix(let part): lowercased.contains(part)
            case .glob(let pattern): fnmatch(pattern, lowercased, 0) == 0
            }
        }
    }

    /// The patterns without a wildcard, and the folders.
    static let exactNames = Set(filePatterns.filter { !$0.contains { "*?[".contains($0) } } + folderNames)

    /// The other patterns in the shapes they have (`.env.*`, `*.pem`, `*.tfstate.*`): compared
    /// as strings, since every name of a deployed tree is tested.
    enum Shape { case prefix(String), suffix(String), infix(String), glob(String) }
    static let shapes: [Shape] = filePatterns.compactMap { pattern in
        guard pattern.contains(where: { "*?[".contains($0) }) else { return nil }
        let inner = pattern.dropFirst().dropLast()
        if pattern.hasPrefix("*"), pattern.hasSuffix("*"), pattern.count > 2, !inner.contains(where: { "*?[".contains($0) }) {
            return .infix(String(inner))
        }
        if pattern.hasSuffix("*"), !pattern.dropLast().contains(where: { "*?[".contains($0) }) { return .prefix(String(pattern.dropLast())) }
        if pattern.hasPrefix("*"), !pattern.dropFirst().contains(where: { "*?[".contains($0) }) { return .suffix(String(pattern.dropFirst())) }
        return .glob(pattern)
    }
}
