#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SiteContent
import Testing

@Suite("GlobPattern")
struct GlobPatternTests {
    static func check(_ pattern: String, matches: [String], rejects: [String],
                      sourceLocation: SourceLocation = #_sourceLocation) {
        let glob = GlobPattern(pattern)
        for path in matches {
            #expect(glob.matches(path), "\(pattern) should match \(path)", sourceLocation: sourceLocation)
        }
        for path in rejects {
            #expect(!glob.matches(path), "\(pattern) should not match \(path)", sourceLocation: sourceLocation)
        }
    }

    /// A backslash escapes the next character in every component, as fnmatch reads it: a
    /// component without a wildcard means what it would with one (a literal path in `files:`,
    /// `exclude-paths` or a header rule names the same file as a glob would).
    @Test func backslashEscapesTheSameWithOrWithoutAWildcard() {
        Self.check(#"back\\slash.html"#, matches: [#"back\slash.html"#], rejects: ["backslash.html", #"back\\slash.html"#])
        Self.check(#"back\slash.html"#, matches: ["backslash.html"], rejects: [#"back\slash.html"#])
        Self.check(#"\[br\].html"#, matches: ["[br].html"], rejects: ["b.html", #"\[br\].html"#])
        Self.check(#"my\ docs/*.html"#, matches: ["my docs/a.html"], rejects: [#"my\ docs/a.html"#])
        Self.check(#"my\ doc?/*.html"#, matches: ["my docs/a.html"], rejects: [#"my\ docs/a.html"#])
        Self.check(#"a\*b"#, matches: ["a*b"], rejects: ["axb", "ab"])
        #expect(GlobPattern(#"a\*b/c"#).isLiteral && GlobPattern(#"a\*b/c"#).literalPath == "a*b/c")
        #expect(GlobPattern(#"my\ docs/x"#).literalPrefix == ["my docs", "x"] && GlobPattern(#"my\ docs/x"#).globPath == #"my\ docs/x"#)
        // As fnmatch(3) with FNM_PATHNAME reads each pattern, for every name.
        let patterns = [#"back\\slash.html"#, #"back\slash.html"#, #"\[br\].html"#, #"[br].html"#, #"my\ docs/*.html"#, #"my\ docs/a.html"#,
                        #"a\*b"#, #"a\?"#, #"x\"#, #"\x\y"#]
        let names = [#"back\slash.html"#, "backslash.html", "[br].html", "b.html", "my docs/a.html", #"my\ docs/a.html"#, "a*b", "axb",
                     "a?", "ab", #"x\"#, "x", "xy"]
        for pattern in patterns {
            for name in names {
                #expect(GlobPattern(pattern).matches(name) == (fnmatch(pattern, name, FNM_PATHNAME) == 0), "\(pattern) against \(name)")
            }
        }
    }

    @Test func starStaysInOneComponent() {
        Self.check("*.html", matches: ["index.html", "a.b.html", ".html"],
                   rejects: ["docs/index.html", "index.htm", "index.html/x", "a/b/c.html"])
        Self.check("docs/*.md", matches: ["docs/readme.md"], rejects: ["docs/x/readme.md", "readme.md", "other/readme.md"])
        Self.check("a*b", matches: ["ab", "axxb"], rejects: ["a/b", "ax/yb"])
        // Two stars inside one component are still one component.
        Self.check("foo**", matches: ["foo", "foobar"], rejects: ["foo/bar", "foobar/baz"])
    }

    @Test func doubleStarTakesZeroOrMoreComponents() {
        Self.check("a/**/b", matches: ["a/b", "a/x/b", "a/x/y/z/b"], rejects: ["a/x/c", "b", "x/a/b", "a/b/c"])
        Self.check("**/*.js", matches: ["app.js", "lib/app.js", "a/b/c/d.js"], rejects: ["app.ts", "lib/app.jsx"])
        Self.check("**", matches: ["x", "a/b/c"], rejects: [])
        Self.check("src/**", matches: ["src/a", "src/a/b"], rejects: ["lib/a"])
        Self.check("**/node_modules/**/*", matches: ["node_modules/x/index.js", "a/node_modules/y.js"],
                   rejects: ["node_modules", "a/node_modulesx/y.js"])
    }

    @Test func allFilesPatternMatchesTopLevelFiles() {
        Self.check("**/*", matches: ["top.txt", "a/b.txt", "a/b/c/d.txt", ".env"], rejects: [])
    }

    @Test func directoryStarVersusDirectoryDoubleStar() {
        Self.check("dir/*", matches: ["dir/a.txt", "dir/.hidden"], rejects: ["dir/sub/b.txt", "dir", "other/a.txt", "xdir/a.txt"])
        Self.check("dir/**/*", matches: ["dir/a.txt", "dir/sub/b.txt", "dir/sub/deeper/c.txt"],
                   rejects: ["dir", "other/a.txt", "a/dir/b.txt"])
    }

    @Test func questionMarkIsOneCharacter() {
        Self.check("file?.txt", matches: ["file1.txt", "fileA.txt", "file..txt"],
                   rejects: ["file.txt", "file10.txt", "dir/file1.txt"])
        Self.check("a?b", matches: ["a-b"], rejects: ["a/b", "ab"])
    }

    @Test func bracketExpressions() {
        Self.check("[ab].txt", matches: ["a.txt", "b.txt"], rejects: ["c.txt", "ab.txt", "A.txt"])
        Self.check("v[0-9].html", matches: ["v1.html", "v9.html"], rejects: ["vx.html", "v10.html"])
        Self.check("[!a]*.txt", matches: ["b.txt", "zz.txt"], rejects: ["a.txt", "abc.txt"])
    }

    @Test func dotfilesMatchLikeOtherNames() {
        Self.check("*", matches: [".env", ".htaccess", "index.html"], rejects: [".github/workflows/ci.yml"])
        Self.check("**/*", matches: [".github/workflows/ci.yml", "a/.hidden/file"], rejects: [])
        Self.check(".*", matches: [".env"], rejects: ["env"])
        Self.check("**/*.yml", matches: [".github/workflows/ci.yml"], rejects: [])
    }

    @Test func leadingDotSlashIsIgnored() {
        Self.check("./dist/*.js", matches: ["dist/app.js"], rejects: ["app.js", "dist/a/app.js"])
        Self.check("././index.html", matches: ["index.html"], rejects: ["./index.html"])
        #expect(GlobPattern("./dist/*.js").literalPrefix == ["dist"])
        #expect(GlobPattern("./a/b").literalPath == "a/b")
        // The original text is kept for messages.
        #expect(GlobPattern("./dist/*.js").text == "./dist/*.js")
        #expect(GlobPattern("./dist/*.js").description == "./dist/*.js")
    }

    @Test func trailingSlashMeansEverythingBelow() {
        Self.check("dist/", matches: ["dist/a", "dist/x/y/z.txt", "dist/.nojekyll"], rejects: ["dist", "other/a", "distx/a"])
        Self.check("a/b/", matches: ["a/b/c"], rejects: ["a/c", "a/b"])
        #expect(GlobPattern("dist/").literalPrefix == ["dist"])
        #expect(!GlobPattern("dist/").isLiteral)
    }

    @Test func literalPatternsMatchExactly() {
        Self.check("index.html", matches: ["index.html"], rejects: ["a/index.html", "index.htm", "Index.html"])
        Self.check("a/b/c.txt", matches: ["a/b/c.txt"], rejects: ["a/b", "a/b/c.txt/d", "b/c.txt"])
    }

    @Test(arguments: [
        ("assets/css/*.css", ["assets", "css"]),
        ("**/*.js", []),
        ("a/b/c.txt", ["a", "b", "c.txt"]),
        ("a/*/c", ["a"]),
        ("a/b?/c", ["a"]),
        ("a/[xy]/c", ["a"]),
        ("a/**", ["a"]),
        ("*", []),
        ("./build/out/**/*", ["build", "out"]),
    ])
    func literalPrefix(_ pattern: String, _ expected: [String]) {
        #expect(GlobPattern(pattern).literalPrefix == expected)
    }

    @Test(arguments: [
        ("index.html", true), ("a/b/c.txt", true), ("./a/b", true),
        ("*.html", false), ("a/b?", false), ("x[ab]", false), ("a/**/b", false), ("dir/", false),
    ])
    func isLiteral(_ pattern: String, _ expected: Bool) {
        #expect(GlobPattern(pattern).isLiteral == expected)
    }

    @Test func matchesComponents() {
        let glob = GlobPattern("a/**/*.txt")
        #expect(glob.matches(components: ["a", "x", "y.txt"]))
        #expect(glob.matches(components: ["a", "y.txt"]))
        #expect(!glob.matches(components: ["b", "y.txt"]))
    }

    @Test func hashableByText() {
        #expect(GlobPattern("a/*") == GlobPattern("a/*"))
        #expect(Set([GlobPattern("a/*"), GlobPattern("a/*"), GlobPattern("b/*")]).count == 2)
    }
}
