#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SiteContent
import Testing

/// The matcher that splits each path once and compiles each pattern (header rules are tested
/// against every file of a site) answers as the plain one did: each path split into `String`
/// components, `**` taking zero or more, a component without wildcard or backslash compared
/// as Swift compares strings, any other through fnmatch. Many generated paths and patterns,
/// the same answer each time; and the folder hint of an unmatched header rule, found from
/// the site's folders, is the one a scan of every path gives.
@Suite("Glob matching equivalence")
struct GlobMatchingEquivalenceTests {
    /// The matching as it was, kept as the reference.
    enum Reference {
        static func components(_ text: String) -> [String] {
            var cleaned = text
            while cleaned.hasPrefix("./") { cleaned.removeFirst(2) }
            var parts = cleaned.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if cleaned.hasSuffix("/") { parts += ["**", "*"] }
            return parts
        }

        static func matches(_ pattern: String, _ path: String) -> Bool {
            match(components(pattern)[...], path.split(separator: "/").map(String.init)[...])
        }

        static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
            guard let head = pattern.first else { return path.isEmpty }
            if head == "**" {
                let rest = pattern.dropFirst()
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
            let wildcard = pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
            if !wildcard && !pattern.contains("\\") { return pattern == name }
            return fnmatch(pattern, name, 0) == 0
        }
    }

    /// SplitMix64: the same cases on every run.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        mutating func count(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    }

    static let names = ["a", "b", "ab", "abc", "index.html", "a.b.html", ".html", ".env", "app.3f9a8b7c.js", "chunk-1.js", "x.woff2",
                        "blog", "2024", "post-1", "docs", "assets", "Assets", "é", "e\u{301}", "K", "\u{212A}", "a*b", "[br].html",
                        "back\\slash.html", "my docs", "aXbXc", "abab", "ba", "x\\", "日本.html", "node_modules", "-", "a.b"]
    static let patternComponents = ["**", "**", "*", "*.html", "*.js", "a*", "*a*", "a*b", "*a*b*", "a*b*c", "ab*ab", "*ab*ab*", "x**",
                                    "?", "??", "a?", "[ab]", "[ab]*", "[!a]*", "\\*", "a\\*b", "back\\\\slash.html", "back\\slash.html",
                                    "\\[br\\].html", "a", "ab", "index.html", "blog", "é", "e\u{301}", "K", "\u{212A}", "*.{js,css}",
                                    "my\\ docs", "*.", ".*", "*.b.*", "**.js", "日本.*", "*本*", "x\\", "[", "a[", "post-?", "*-*"]

    static func path(_ generator: inout Generator) -> String {
        (0..<generator.count(1...5)).map { _ in generator.pick(names) }.joined(separator: "/")
    }

    static func pattern(_ generator: inout Generator) -> String {
        var text = (0..<generator.count(1...4)).map { _ in generator.pick(patternComponents) }.joined(separator: "/")
        switch generator.next() % 8 {
        case 0: text = "./" + text
        case 1: text = "/" + text
        case 2: text += "/"
        case 3: text = text.replacingOccurrences(of: "/", with: "//")
        default: break
        }
        return text
    }

    @Test func compiledPatternsMatchAsThePlainMatcherDid() {
        var generator = Generator(state: 26)
        let paths = (0..<400).map { _ in Self.path(&generator) } + ["", "a//b", "/a/b", "a/b/", "é/e\u{301}", "K/\u{212A}"]
        var checked = 0
        var matched = 0
        for _ in 0..<600 {
            let text = Self.pattern(&generator)
            let glob = GlobPattern(text)
            for path in paths {
                let expected = Reference.matches(text, path)
                #expect(glob.matches(path) == expected, "'\(text)' against '\(path)'")
                #expect(glob.matches(components: path.split(separator: "/").map(String.init)) == expected, "'\(text)' against '\(path)'")
                checked += 1
                if expected { matched += 1 }
            }
        }
        // Both answers are common enough to mean something.
        #expect(matched > checked / 50 && matched < checked / 2, "\(matched) of \(checked)")
    }

    @Test func handWrittenShapes() {
        let cases: [(String, String)] = [("**/*.html", "a/b/index.html"), ("**/*.html", "index.htm"), ("assets/**", "assets/a/b.js"),
                                         ("/blog/*/index.html", "blog/2024/index.html"), ("/blog/*/index.html", "blog/2024/x/index.html"),
                                         ("**/*.woff2", "fonts/x.woff2"), ("*ab*ab*", "abab"), ("*ab*ab*", "aba"), ("ab*ab", "ab"),
                                         ("ab*ab", "abab"), ("a*b*c", "aXbXc"), ("a*b*c", "acb"), ("é", "e\u{301}"), ("\u{212A}", "K"),
                                         ("e\u{301}/*", "é/x"), ("*.html", ".html"), ("**", ""), ("a/**", "a"), ("", "")]
        for (pattern, path) in cases {
            #expect(GlobPattern(pattern).matches(path) == Reference.matches(pattern, path), "'\(pattern)' against '\(path)'")
        }
    }

    /// The folder hint of an unmatched rule, found from the folders the files are in, is what
    /// testing `<match>/**` against every path gave.
    @Test func folderHintFromFoldersIsTheOneFromEveryPath() {
        var generator = Generator(state: 2026)
        for _ in 0..<60 {
            let paths = Set((0..<generator.count(1...40)).map { _ in Self.path(&generator) }).sorted()
            let texts = (0..<20).map { _ in Self.pattern(&generator) } + [".", "./.", "", "a", "blog", "docs/*", "*"]
            let policy = HeaderPolicy(rules: texts.map { HeaderRule(pattern: $0) })
            let folders = HeaderPolicy.folders(of: paths)
            for (index, text) in texts.enumerated() where !paths.contains(where: { Reference.matches(text, $0) }) {
                let folderHint = !text.hasSuffix("/") && !text.hasSuffix("**") && !(text.contains("{") && text.contains(",") && text.contains("}"))
                    && paths.contains { Reference.matches(text + "/**", $0) }
                let warning = policy.unmatchedRuleWarning(index, folders: folders)
                #expect(warning.contains("it names a folder") == folderHint, "'\(text)' among \(paths): \(warning)")
            }
        }
    }

    /// Building a manifest marks the rules each file matches, and names the others, as
    /// matching each rule against each path does.
    @Test func headersMarkTheRulesThatMatch() {
        var generator = Generator(state: 7)
        let paths = (0..<300).map { _ in Self.path(&generator) }
        let texts = (0..<40).map { _ in Self.pattern(&generator) }
        let policy = HeaderPolicy(rules: texts.enumerated().map { HeaderRule(pattern: $1, extra: [("X-Rule-\($0)", "\($0)")]) })
        var matched = [Bool](repeating: false, count: texts.count)
        for path in paths {
            let headers = policy.headers(for: path, marking: &matched)
            #expect(headers == policy.headers(for: path))
            let expected = texts.indices.filter { Reference.matches(texts[$0], path) }.map { "X-Rule-\($0)".lowercased() }.sorted()
            #expect(headers.extra.map { $0.name.lowercased() } == expected, "\(path)")
        }
        #expect(matched == texts.map { text in paths.contains { Reference.matches(text, $0) } })
    }
}
