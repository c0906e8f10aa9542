import Foundation

/// Where a build's source comes from, as given to `--source` or `source:` in sitebuild.yml.
public enum BuildSource: Sendable, Equatable {
    /// A directory on this machine (absolute).
    case directory(String)
    /// A git repository URL (as given, credentials included) and an optional ref:
    /// a branch, a tag, a full ref name or a full or abbreviated commit.
    case git(url: String, ref: String?)
    /// A ZIP or (compressed) tar file on this machine (absolute).
    case archive(path: String)
    /// A ZIP or tar object in S3: `s3://bucket/key`.
    case s3Archive(bucket: String, key: String)

    /// Whether this is a git repository (``git(url:ref:)``).
    public var isGit: Bool {
        if case .git = self { return true }
        return false
    }

    /// Whether sitebuild fetches it (a repository, a local or S3 archive) rather than building
    /// a folder of this machine.
    public var isFetched: Bool {
        if case .directory = self { return false }
        return true
    }

    /// File name endings read as archives, longest first.
    public static let archiveExtensions = [".tar.gz", ".tar.zst", ".tar.bz2", ".tar.xz", ".tgz", ".tzst", ".zip", ".tar"]

    /// Reads `text`. `what` names where it came from (`--source`, `sitebuild.yml: source`)
    /// for errors; relative paths are taken from `base`.
    public static func parse(_ text: String, what: String, relativeTo base: String) throws -> BuildSource {
        let label = "\(what) \(redacted(text))"
        guard !text.isEmpty else { throw SourceError(.invalidInput, "\(what): empty; give a directory, a git URL, a .zip or .tar.gz file, or s3://bucket/key.zip") }
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst("s3://".count)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                throw SourceError(.invalidInput, "\(label): name an object, such as s3://bucket/releases/site.zip")
            }
            let key = String(rest[rest.index(after: slash)...])
            guard archiveExtension(of: key) != nil else {
                throw SourceError(.invalidInput, "\(label): an S3 source must be a .zip, .tar.gz, .tgz or .tar.zst object")
            }
            return .s3Archive(bucket: String(rest[..<slash]), key: key)
        }
        if let scheme = urlScheme(text) {
            switch scheme {
            case "https", "http", "ssh", "git", "git+ssh", "git+https", "git+http", "file", "git+file":
                let plain = scheme.hasPrefix("git+") ? String(text.dropFirst(4)) : text
                if scheme == "file" || scheme == "git+file" {
                    let path = String(plain.dropFirst("file://".count))
                    if scheme == "file", archiveExtension(of: path) != nil, !path.contains("#") {
                        return .archive(path: URL(fileURLWithPath: path).standardizedFileURL.path)
                    }
                }
                if scheme != "file" && scheme != "git+file", hasRawDelimiterInUserinfo(plain) {
                    // git would take the authority to end at that character: the rest of the
                    // password would become the path or the ref, and its start the host.
                    throw SourceError(.invalidInput, "\(label): the user name or password holds a '/', '#' or '?' as it is; "
                        + "percent-encode them in the URL (%2F for /, %23 for #, %3F for ?), and an '@' in the path as %40")
                }
                if (scheme == "https" || scheme == "http"), archiveExtension(of: splitRef(plain).url) != nil {
                    throw SourceError(.invalidInput, "\(label): archives are read from a file or from S3, not downloaded over HTTP; download it first, or give a git URL")
                }
                let (url, ref) = splitRef(plain)
                return try git(url, ref: ref, label: label)
            default:
                throw SourceError(.invalidInput, "\(label): unknown URL scheme '\(scheme)'; use a directory, a git URL (https://, ssh://, git@host:repo, file://), a .zip or .tar.gz file, or s3://bucket/key.zip")
            }
        }
        if isSCPLike(text) {
            let (url, ref) = splitRef(text)
            return try git(url, ref: ref, label: label)
        }
        let fm = FileManager.default
        let full = absolute(text, base)
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: full, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return .directory(full) }
            if archiveExtension(of: full) != nil { return .archive(path: full) }
            throw SourceError(.invalidInput, "\(label): a file, but not a .zip, .tar.gz, .tgz or .tar.zst archive; give a directory or an archive")
        }
        // `path#ref`: a local repository at a branch, tag or commit.
        if let hash = text.lastIndex(of: "#") {
            let repository = absolute(String(text[..<hash]), base)
            if fm.fileExists(atPath: repository, isDirectory: &isDirectory), isDirectory.boolValue {
                return try git(fileURL(repository), ref: String(text[text.index(after: hash)...]), label: label)
            }
        }
        if archiveExtension(of: full) != nil {
            throw SourceError(.invalidInput, "\(label): no such file")
        }
        throw SourceError(.invalidInput, "\(label): no such directory (give a directory, a git URL with #ref, a .zip or .tar.gz file, or s3://bucket/key.zip)")
    }

    /// The archive ending of `path` (lower-cased match), or nil.
    public static func archiveExtension(of path: String) -> String? {
        let lower = path.lowercased()
        return archiveExtensions.first { lower.hasSuffix($0) && lower.count > $0.count }
    }

    /// The file name of an archive without its archive ending: `site-v12` for `…/site-v12.tar.gz`.
    public static func archiveStem(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let ending = archiveExtension(of: name) else { return name }
        return String(name.dropLast(ending.count))
    }

    /// `url` with any user name and password replaced by `***`, for messages.
    public static func redacted(_ url: String) -> String {
        replacingUserinfo(in: url, with: "***@")
    }

    /// `url` without user name and password, for CODEBUILD_SOURCE_REPO_URL.
    public static func withoutUserinfo(_ url: String) -> String {
        replacingUserinfo(in: url, with: "")
    }

    /// Every `scheme://userinfo@` in `text` (a URL or a git message quoting one) redacted.
    public static func redactingURLs(in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "://") {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let urlEnd = rest.firstIndex { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\n" } ?? rest.endIndex
            if let at = userinfoEnd(in: rest[..<urlEnd]) {
                result += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }

    private static func replacingUserinfo(in url: String, with replacement: String) -> String {
        guard let range = url.range(of: "://") else { return url }
        let authority = url[range.upperBound...]
        guard let at = userinfoEnd(in: authority) else { return url }
        return String(url[..<range.upperBound]) + replacement + String(authority[authority.index(after: at)...])
    }

    /// The `@` that ends the user info of `rest` (a URL after its `://`), for redaction: the
    /// last one before the ref, so a password holding a raw `/` or `#` is hidden whole. An `@`
    /// in the path may be taken too: more is hidden, never less.
    private static func userinfoEnd(in rest: Substring) -> String.Index? {
        rest[..<(refHash(in: rest) ?? rest.endIndex)].lastIndex(of: "@")
    }

    /// The `#` that starts the ref of `rest` (a URL after its `://`): the last one, when a `/`
    /// comes before it and what follows it does not read as the rest of a password and a host
    /// (`wd@host/org/site.git` after `alice:pa/ss#`). A ref may hold `@` and `/` too (Changesets'
    /// and Lerna's tags: `#@scope/pkg@1.2.0`): it is a password's rest only when what comes
    /// before the first `/` reads as `user:password`, not as a host (and port).
    private static func refHash(in rest: Substring) -> String.Index? {
        guard let hash = rest.lastIndex(of: "#"), rest[..<hash].contains("/") else { return nil }
        let tail = rest[rest.index(after: hash)...]
        if let at = tail.firstIndex(of: "@"), !tail[..<at].contains("/"), tail[at...].contains("/") {
            let authority = rest[..<(rest.firstIndex(of: "/") ?? hash)]
            if let colon = authority.firstIndex(of: ":"), !authority[authority.index(after: colon)...].allSatisfy(\.isNumber) { return nil }
        }
        return hash
    }

    /// Whether `url`'s user info would hold a raw `/`, `#` or `?`: no `@` before the first of
    /// them, one after it (before the ref). git and curl end the authority at that character,
    /// so the password's start would be taken for the host and its rest for the path or the ref.
    static func hasRawDelimiterInUserinfo(_ url: String) -> Bool {
        guard let range = url.range(of: "://") else { return false }
        let rest = url[range.upperBound...]
        guard let first = rest.firstIndex(where: { "/#?".contains($0) }), !rest[..<first].contains("@") else { return false }
        return rest[first..<(refHash(in: rest) ?? rest.endIndex)].contains("@")
    }

    private static func urlScheme(_ text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return nil }
        return scheme.lowercased()
    }

    /// `user@host:path`, git's scp-like syntax (not a local path with a colon in it).
    private static func isSCPLike(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), let at = text.firstIndex(of: "@"), at < colon else { return false }
        let host = text[text.index(after: at)..<colon]
        return !text[..<at].contains("/") && !host.isEmpty && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.".contains($0)) }
    }

    /// The URL before the last `#` and the ref after it (empty when nothing follows the `#`).
    private static func splitRef(_ text: String) -> (url: String, ref: String?) {
        guard let hash = text.lastIndex(of: "#") else { return (text, nil) }
        return (String(text[..<hash]), String(text[text.index(after: hash)...]))
    }

    /// A git source; an empty ref after `#` is refused: most likely a variable that was not set
    /// (`repo#$BRANCH`), and building the default branch instead would deploy it in its place.
    private static func git(_ url: String, ref: String?, label: String) throws -> BuildSource {
        if ref?.isEmpty == true {
            throw SourceError(.invalidInput, "\(label): the ref after '#' is empty (an unset variable?); name a branch, tag or commit, "
                + "or leave out the '#' for the default branch")
        }
        return .git(url: url, ref: ref)
    }

    /// `file://` and `path` percent-encoded: git decodes a file URL's path, so a `%41` in a
    /// folder's name would name another folder (`A`).
    static func fileURL(_ path: String) -> String {
        "file://" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
    }

    private static func absolute(_ path: String, _ base: String) -> String {
        URL(fileURLWithPath: path.hasPrefix("/") ? path : base + "/" + path).standardizedFileURL.path
    }
}
