#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CodeBuild-style path pattern: `*`, `?` and `[…]` within one path component,
/// `**` across any number of components (zero included). Dotfiles match like any
/// other name. A pattern ending in `/` means everything below that directory. A backslash
/// makes the next character literal (`\*`, `\[`, `\\` for a backslash), as fnmatch reads it, in
/// every component, with a wildcard or without: `back\\slash.html` names `back\slash.html`,
/// `my\ docs/` the folder `my docs`, and `back\slash.html` the file `backslash.html`.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    let components: [String]

    /// What is wrong with a `[…]` of `text`, if anything: a `[` never closed matches only a
    /// literal `[` (fnmatch), which is almost certainly not what was meant.
    public static func bracketProblem(_ text: String) -> String? {
        for component in text.split(separator: "/") {
            let chars = Array(component)
            var i = 0
            while i < chars.count {
                if chars[i] == "\\" { i += 2; continue }
                if chars[i] == "[" {
                    // A ']' right after '[' or '[!' is a member, not the end.
                    var j = i + 1
                    if j < chars.count && (chars[j] == "!" || chars[j] == "^") { j += 1 }
                    if j < chars.count && chars[j] == "]" { j += 1 }
                    while j < chars.count && chars[j] != "]" { j += 1 }
                    guard j < chars.count else {
                        return "'\(text)': the '[' in '\(component)' is never closed by ']' within the path component; close it, or write \\[ "
                            + "for a literal bracket"
                    }
                    i = j + 1
                    continue
                }
                i += 1
            }
        }
        return nil
    }

    public init(_ text: String) {
        self.text = text
        var cleaned = text
        while cleaned.hasPrefix("./") { cleaned.removeFirst(2) }
        var parts = cleaned.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if cleaned.hasSuffix("/") { parts += ["**", "*"] }
        components = parts
    }

    public var description: String { text }

    /// Whether the pattern has no wildcard at all (an escaped `\*` is none).
    public var isLiteral: Bool { components.allSatisfy { !Self.hasWildcard($0) } }

    /// Whether the last component has no wildcard (`node_modules`, `**/node_modules`): the
    /// pattern names something by its name, which may be a directory.
    public var lastComponentIsLiteral: Bool {
        components.last.map { !Self.hasWildcard($0) } ?? false
    }

    /// The leading components without wildcards, as the names they match (escapes removed):
    /// the only directory worth walking.
    public var literalPrefix: [String] {
        components.prefix { !Self.hasWildcard($0) }.map(Self.unescaped)
    }

    /// The path the literal components name (escapes removed), for a pattern without wildcards.
    public var literalPath: String { components.map(Self.unescaped).joined(separator: "/") }

    /// The components as a pattern again (escapes kept, `./` and empty segments gone): what to
    /// extend into another pattern (`globPath + "/"`) or show as one.
    public var globPath: String { components.joined(separator: "/") }

    /// Whether `component` has an unescaped `*`, `?` or `[`.
    static func hasWildcard(_ component: String) -> Bool {
        var escaped = false
        for character in component {
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "*" || character == "?" || character == "[" { return true }
        }
        return false
    }

    /// `component` with each backslash escape replaced by the character it escapes, as fnmatch
    /// reads it (a trailing lone backslash, which fnmatch matches to nothing, stays a backslash).
    static func unescaped(_ component: String) -> String {
        guard component.contains("\\") else { return component }
        var result = ""
        var escaped = false
        for character in component {
            if escaped { result.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            result.append(character)
        }
        if escaped { result.append("\\") }
        return result
    }

    /// Matches a relative path such as `assets/css/site.css`.
    public func matches(_ path: String) -> Bool {
        matches(components: path.split(separator: "/").map(String.init))
    }

    public func matches(components path: [String]) -> Bool {
        Self.match(components[...], path[...])
    }

    static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            // `**` takes zero or more whole components.
            var candidate = path
            while true {
                if match(rest, candidate) { return true }
                guard !candidate.isEmpty else { return false }
                candidate = candidate.dropFirst()
            }
        }
        guard let name = path.first, componentMatches(head, name) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    static func componentMatches(_ pattern: String, _ name: String) -> Bool {
        // A backslash escapes in a component without a wildcard too: fnmatch reads it (and a
        // trailing lone backslash, which matches nothing there).
        if !hasWildcard(pattern) && !pattern.contains("\\") { return pattern == name }
        return fnmatch(pattern, name, 0) == 0
    }
}
