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

    /// `components` as matching reads them, made once: a site's every path is tested against
    /// every header rule.
    let segments: [Segment]
    /// How many segments are not `**`: a path with fewer components never matches.
    let fixedCount: Int

    public init(_ text: String) {
        self.text = text
        var cleaned = text
        while cleaned.hasPrefix("./") { cleaned.removeFirst(2) }
        var parts = cleaned.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if cleaned.hasSuffix("/") { parts += ["**", "*"] }
        components = parts
        segments = parts.map(Segment.init)
        fixedCount = segments.filter { $0 != .anyComponents }.count
    }

    public static func == (lhs: GlobPattern, rhs: GlobPattern) -> Bool {
        lhs.text == rhs.text && lhs.components == rhs.components
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(text)
        hasher.combine(components)
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
        matches(GlobPath(path))
    }

    public func matches(components path: [String]) -> Bool {
        matches(GlobPath(components: path))
    }

    /// Matches a path split once (``GlobPath``), to test it against many patterns.
    public func matches(_ path: GlobPath) -> Bool {
        let count = path.count
        guard count >= fixedCount else { return false }
        return path.bytes.withUnsafeBufferPointer { bytes in
            // The last segment, unless it is `**`, takes the last component: most paths fail there.
            if let last = segments.last, last != .anyComponents {
                guard count > 0, last.matches(bytes, path.range(count - 1)) else { return false }
            }
            return Self.match(segments[...], path, 0, bytes)
        }
    }

    static func match(_ pattern: ArraySlice<Segment>, _ path: GlobPath, _ start: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let head = pattern.first else { return start == path.count }
        if head == .anyComponents {
            let rest = pattern.dropFirst()
            // `**` takes zero or more whole components.
            for candidate in start...path.count where match(rest, path, candidate, bytes) { return true }
            return false
        }
        guard start < path.count, head.matches(bytes, path.range(start)) else { return false }
        return match(pattern.dropFirst(), path, start + 1, bytes)
    }

    /// One component of a pattern, in the form that matches it cheaply.
    enum Segment: Sendable, Equatable {
        /// `**`: zero or more whole components.
        case anyComponents
        /// No wildcard and no backslash: the name itself (compared as Swift compares strings,
        /// so a name in another Unicode normalisation is the same name).
        case literal(String, bytes: [UInt8], ascii: Bool)
        /// Only `*` wildcards, no `?`, `[` or backslash (`*`, `*.html`, `chunk-*.js`): the
        /// parts between the stars, in order, the first at the start and the last at the end.
        case stars([[UInt8]])
        /// Anything else (`?`, `[…]`, a backslash), as fnmatch reads it (NUL-terminated).
        case wildcards([CChar])

        init(_ component: String) {
            if component == "**" {
                self = .anyComponents
            } else if !GlobPattern.hasWildcard(component) && !component.contains("\\") {
                self = .literal(component, bytes: Array(component.utf8), ascii: component.utf8.allSatisfy { $0 < 0x80 })
            } else if !component.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "\\") }) {
                self = .stars(component.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init))
            } else {
                self = .wildcards(component.utf8CString.map { $0 })
            }
        }

        /// Whether the component `bytes[range]` (NUL-terminated in `bytes`) matches.
        func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
            switch self {
            case .anyComponents:
                return true
            case .literal(let text, let literal, let ascii):
                if literal.count == range.count && literal.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress! + range.lowerBound, range.count) == 0 }) {
                    return true
                }
                // Different bytes can still be one name to Swift (canonical equivalence) unless both are ASCII.
                if ascii && !bytes[range].contains(where: { $0 >= 0x80 }) { return false }
                return text == String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            case .stars(let parts):
                return Self.starsMatch(parts, UnsafeBufferPointer(rebasing: bytes[range]))
            case .wildcards(let pattern):
                return pattern.withUnsafeBufferPointer { pattern in
                    fnmatch(pattern.baseAddress!, UnsafeRawPointer(bytes.baseAddress! + range.lowerBound).assumingMemoryBound(to: CChar.self), 0) == 0
                }
            }
        }

        /// `*` matches any run of bytes (fnmatch without flags in one component; a run of
        /// whole UTF-8 characters, as both ends of each part are whole characters): the first
        /// part is a prefix, the last a suffix, the middle ones found leftmost in order.
        static func starsMatch(_ parts: [[UInt8]], _ name: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let first = parts.first, let last = parts.last, parts.count >= 2 else { return false }
            guard name.count >= first.count + last.count, name.starts(with: first),
                  name[(name.count - last.count)...].elementsEqual(last) else { return false }
            var position = first.count
            let end = name.count - last.count
            for part in parts.dropFirst().dropLast() where !part.isEmpty {
                guard let found = find(part, in: name, from: position, to: end) else { return false }
                position = found + part.count
            }
            return true
        }

        static func find(_ part: [UInt8], in name: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
            guard end - start >= part.count else { return nil }
            for offset in start...(end - part.count) where name[offset] == part[0] {
                if name[offset..<(offset + part.count)].elementsEqual(part) { return offset }
            }
            return nil
        }
    }
}

/// A relative path split into its components once (on `/`, empty components left out), to be
/// matched against many patterns; each component is NUL-terminated for fnmatch.
public struct GlobPath: Sendable {
    /// The path's bytes, each `/` replaced by NUL and one NUL after the last component.
    let bytes: [UInt8]
    /// Where each component starts and ends in `bytes`.
    let bounds: [Int]

    public init(_ path: String) {
        var bytes = Array(path.utf8)
        bytes.append(0)
        var bounds: [Int] = []
        var start = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "/") || index == bytes.count - 1 {
            if index > start { bounds += [start, index] }
            bytes[index] = 0
            start = index + 1
        }
        self.bytes = bytes
        self.bounds = bounds
    }

    /// A path given as its components, each taken as it is.
    public init(components: [String]) {
        var bytes: [UInt8] = []
        var bounds: [Int] = []
        for component in components {
            bounds.append(bytes.count)
            bytes += component.utf8
            bounds.append(bytes.count)
            bytes.append(0)
        }
        if bytes.isEmpty { bytes.append(0) }
        self.bytes = bytes
        self.bounds = bounds
    }

    public var count: Int { bounds.count / 2 }

    func range(_ component: Int) -> Range<Int> { bounds[2 * component]..<bounds[2 * component + 1] }
}
