import Deploy
import Foundation
import SiteContent
import Testing

@Suite("Manifest, ManifestBuilder, PathValidation")
struct ManifestTests {
    static let files: [(String, String)] = [
        ("index.html", "<h1>home</h1>\n"),
        ("about.html", "<h1>about</h1>\n"),
        ("docs/index.html", "<h1>docs</h1>\n"),
        ("docs/guide/index.html", "<h1>guide</h1>\n"),
        ("assets/app.3f9a8b7c.js", "console.log(1)\n"),
        ("assets/site.css", "body{}\n"),
    ]

    @Test func sameTreeGivesSameVersionRegardlessOfOrderAndMtimes() throws {
        let a = try TempDir("manifest-a")
        let b = try TempDir("manifest-b")
        for (path, text) in Self.files { try a.write(path, text) }
        for (i, (path, text)) in Self.files.reversed().enumerated() {
            try b.write(path, text)
            try setModificationTime(b.url(path), seconds: 1_000_000_000 + i * 12_345, nanoseconds: i * 7)
        }
        let (ma, _) = try buildManifest(a.path)
        let (mb, _) = try buildManifest(b.path)
        #expect(ma.version == mb.version)
        #expect(ma.version.count == Manifest.contentIdLength)
        #expect(ma.version.allSatisfy { $0.isHexDigit })
        #expect(ma == mb)
        #expect(ma.canonicalEntries == mb.canonicalEntries)
        // Metadata is not part of the id.
        let withMetadata = Manifest(entries: ma.entries, metadata: [("createdAt", "2020-01-01T00:00:00.000Z")])
        #expect(withMetadata.version == ma.version)
    }

    @Test func oneChangedByteChangesTheVersion() throws {
        let a = try TempDir("manifest-byte")
        for (path, text) in Self.files { try a.write(path, text) }
        let (before, _) = try buildManifest(a.path)
        try a.write("assets/site.css", "bodz{}\n")  // same length, one byte differs
        let (after, _) = try buildManifest(a.path)
        #expect(before.version != after.version)
        #expect(before.entries.count == after.entries.count)
    }

    @Test func headerRulesArePartOfTheVersion() throws {
        let a = try TempDir("manifest-headers")
        for (path, text) in Self.files { try a.write(path, text) }
        let (plain, _) = try buildManifest(a.path)
        let cacheRule = ManifestBuilder(policy: HeaderPolicy(rules: [HeaderRule(pattern: "**/*.css", cacheControl: "no-cache")]))
        let (withCache, _) = try buildManifest(a.path, builder: cacheRule)
        #expect(withCache.entry(at: "assets/site.css")?.headers.cacheControl == "no-cache")
        #expect(withCache.version != plain.version)

        let extraRule = ManifestBuilder(policy: HeaderPolicy(rules: [HeaderRule(pattern: "about.html", extra: [("X-Frame-Options", "DENY")])]))
        let (withExtra, _) = try buildManifest(a.path, builder: extraRule)
        #expect(withExtra.entry(at: "about.html")?.headers.extra.map(\.value) == ["DENY"])
        #expect(withExtra.version != plain.version)
        #expect(withExtra.version != withCache.version)

        // A rule that matches nothing changes nothing: the id depends on effective headers.
        let unused = ManifestBuilder(policy: HeaderPolicy(rules: [HeaderRule(pattern: "**/*.woff2", cacheControl: "no-cache")]))
        #expect(try buildManifest(a.path, builder: unused).0.version == plain.version)
    }

    @Test func serializeParseRoundTrip() throws {
        let headers = FileHeaders(contentType: "text/javascript; charset=utf-8", cacheControl: HeaderPolicy.immutableCache,
                                  contentEncoding: "gzip", extra: [(name: "X-A", value: "1"), (name: "x-b", value: "quote \" and \\ slash")])
        let entries = [
            ManifestEntry(path: "z/last.js.gz", size: 12, hash: ContentHash(of: "z"), headers: headers),
            ManifestEntry(path: "docs/index.html", size: 3, hash: ContentHash(of: "d"),
                          headers: HeaderPolicy().headers(for: "docs/index.html")),
            ManifestEntry(path: "docs.html", size: 3, hash: ContentHash(of: "d"), headers: HeaderPolicy().headers(for: "docs.html"),
                          aliasOf: "docs/index.html"),
            ManifestEntry(path: "café/naïve \"q\".txt", size: 0, hash: ContentHash(of: ""), headers: HeaderPolicy().headers(for: "x.txt")),
            ManifestEntry(path: "Zebra.png", size: 1 << 40, hash: ContentHash(high: 0, low: 1), headers: HeaderPolicy().headers(for: "Zebra.png")),
        ]
        let manifest = Manifest(entries: entries, metadata: [("createdAt", "2026-01-02T03:04:05.678Z"), ("createdBy", "ci@host")])
        // Sorted byte-wise: upper case before lower case, "docs.html" before "docs/index.html".
        #expect(manifest.entries.map(\.path) == ["Zebra.png", "café/naïve \"q\".txt", "docs.html", "docs/index.html", "z/last.js.gz"])
        let text = manifest.serialized()
        let parsed = try Manifest.parse(Data(text.utf8))
        #expect(parsed == manifest)
        #expect(parsed.entries == manifest.entries)
        #expect(parsed.version == manifest.contentId)
        #expect(parsed.contentId == manifest.contentId)
        #expect(parsed.metadata.map(\.0) == ["createdAt", "createdBy"])
        #expect(parsed.metadata.map(\.1) == ["2026-01-02T03:04:05.678Z", "ci@host"])
        #expect(parsed.serialized() == text)
        #expect(parsed.entry(at: "docs.html")?.aliasOf == "docs/index.html")
        #expect(parsed.entry(at: "z/last.js.gz")?.headers.contentEncoding == "gzip")
        #expect(parsed.entry(at: "missing") == nil)

        // A literal version survives too, and its content id stays the content's.
        let literal = Manifest(entries: entries, version: "release-42")
        let parsedLiteral = try Manifest.parse(Data(literal.serialized().utf8))
        #expect(parsedLiteral.version == "release-42")
        #expect(parsedLiteral.contentId == manifest.contentId)

        #expect(throws: (any Error).self) { try Manifest.parse(Data("{\"entries\":[]}".utf8)) }
        #expect(throws: (any Error).self) { try Manifest.parse(Data("{\"version\":\"v\",\"entries\":[{\"path\":\"a\"}]}".utf8)) }
    }

    @Test func staticModeAddsHtmlAliasOnlyWhenMissing() throws {
        let a = try TempDir("manifest-alias")
        try a.write("index.html", "root")
        try a.write("docs/index.html", "docs index")
        try a.write("docs/guide/index.html", "guide index")
        try a.write("blog/index.html", "blog index")
        try a.write("blog.html", "blog page of its own")
        try a.write("assets/index.htm", "not an alias source")
        let (manifest, _) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static))
        let aliases = manifest.entries.filter { $0.aliasOf != nil }
        #expect(aliases.map(\.path) == ["docs.html", "docs/guide.html"])
        let docs = try #require(manifest.entry(at: "docs.html"))
        let docsIndex = try #require(manifest.entry(at: "docs/index.html"))
        #expect(docs.aliasOf == "docs/index.html")
        #expect(docs.hash == docsIndex.hash && docs.size == docsIndex.size)
        #expect(docs.headers == HeaderPolicy().headers(for: "docs.html"))
        // blog.html exists: it keeps its own bytes and is not an alias.
        let blog = try #require(manifest.entry(at: "blog.html"))
        #expect(blog.aliasOf == nil)
        #expect(blog.hash == ContentHash(of: "blog page of its own"))
        // The root index has no ".html" alias.
        #expect(manifest.entry(at: ".html") == nil)
        #expect(manifest.entries.count == 8)

        let (spa, _) = try buildManifest(a.path, builder: ManifestBuilder(mode: .spa))
        #expect(spa.entries.allSatisfy { $0.aliasOf == nil })
        #expect(spa.entries.count == 6)
        #expect(spa.version != manifest.version)
    }

    /// Trailing slash `always`: `/x` is redirected to `/x/`, so a flat page `x.html` gets an
    /// `x/index.html` alias (unless the tree has one) and a directory index needs none.
    @Test func directoryIndexAliasesForFlatPages() throws {
        let a = try TempDir("manifest-dir-alias")
        try a.write("index.html", "root")
        try a.write("about.html", "about")
        try a.write("docs/index.html", "docs index")
        try a.write("docs/setup.html", "setup")
        try a.write("blog.html", "blog page")
        try a.write("blog/index.html", "blog index of its own")
        try a.write("v1.2.html", "/v1.2 is a file to the function: never redirected")
        try a.write(".hidden.html", "/.hidden is a file to the function too")
        try a.write("app.js", "js")
        let (manifest, _) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static, aliases: .directoryIndex))
        let aliases = manifest.entries.filter { $0.aliasOf != nil }
        #expect(aliases.map(\.path) == ["about/index.html", "docs/setup/index.html"])
        #expect(manifest.entry(at: "about/index.html")?.aliasOf == "about.html")
        #expect(manifest.entry(at: "about/index.html")?.hash == ContentHash(of: "about"))
        #expect(manifest.entry(at: "blog/index.html")?.aliasOf == nil)
        #expect(manifest.entry(at: "blog/index.html")?.hash == ContentHash(of: "blog index of its own"))
        #expect(manifest.entry(at: "docs.html") == nil && manifest.entry(at: "index/index.html") == nil)
        // A different alias set: a different version from the default static one.
        let (plain, _) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static))
        #expect(plain.version != manifest.version)
        #expect(plain.entry(at: "docs.html")?.aliasOf == "docs/index.html")
        let parsed = try Manifest.parse(Data(manifest.serialized().utf8))
        #expect(Array(parsed.entries) == Array(manifest.entries))
    }

    /// An alias serves its page with the page's headers: a rule written for the file applies at
    /// every URL the page is served from (`/checkout/` under `always`, `/docs` by default).
    @Test func aliasesCarryTheHeadersOfThePageTheyServe() throws {
        let a = try TempDir("manifest-alias-headers")
        try a.write("index.html", "root")
        try a.write("checkout.html", "checkout")
        try a.write("docs/index.html", "docs")
        let policy = HeaderPolicy(rules: [HeaderRule(pattern: "checkout.html", cacheControl: "private, no-store", extra: [("Content-Security-Policy", "default-src 'self'")]),
                                          HeaderRule(pattern: "docs/**", cacheControl: "no-store", extra: [("X-Robots-Tag", "noindex")])])
        let (always, _) = try buildManifest(a.path, builder: ManifestBuilder(policy: policy, mode: .static, aliases: .directoryIndex))
        let page = try #require(always.entry(at: "checkout.html"))
        #expect(page.headers.cacheControl == "private, no-store")
        #expect(try #require(always.entry(at: "checkout/index.html")).headers == page.headers)
        let (plain, _) = try buildManifest(a.path, builder: ManifestBuilder(policy: policy, mode: .static))
        let docs = try #require(plain.entry(at: "docs/index.html"))
        #expect(docs.headers.cacheControl == "no-store")
        #expect(try #require(plain.entry(at: "docs.html")).headers == docs.headers)
    }

    /// A folder name of 251–255 bytes would give an alias over the 255-byte file name limit (a
    /// local target could not store it): no such alias on any target, with a warning.
    @Test func aliasesWithNamesOverTheFileNameLimitAreLeftOut() throws {
        let a = try TempDir("manifest-alias-long")
        let long = String(repeating: "d", count: 252)
        try a.write("index.html", "root")
        try a.write(long + "/index.html", "deep page")
        try a.write("short/index.html", "short page")
        let (manifest, warnings) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static))
        #expect(manifest.entries.filter { $0.aliasOf != nil }.map(\.path) == ["short.html"])
        #expect(warnings.contains { $0.contains("1 routing alias(es) left out, their names being over 255 bytes") }, "\(warnings)")
    }

    /// U+FFFE and U+FFFF are no characters and not allowed in XML: S3's DeleteObjects could
    /// never name such a key, so the version could never be pruned. Refused up front.
    @Test func nonCharactersInPathsAreRefused() throws {
        let a = try TempDir("manifest-noncharacter")
        try a.write("index.html", "root")
        try a.write("nc\u{FFFE}.txt", "x")
        #expect(throws: PathValidation.Failure.self) { try buildManifest(a.path) }
    }

    /// An alias that a real path would make a file and a folder at once is left out, with a
    /// warning: a local target could not store it, and S3 would then disagree with it.
    /// An alias whose path differs only in case from a file's is warned about as two such
    /// files are (both are kept); an alias dropped for a file at its very path is not.
    @Test func anAliasDifferingOnlyInCaseFromAFileIsNamed() throws {
        let a = try TempDir("manifest-alias-case")
        try a.write("index.html", "root")
        try a.write("Docs/index.html", "docs")
        try a.write("docs.html", "another page")
        try a.write("blog/index.html", "blog")
        try a.write("blog.html", "blog of its own")
        let (manifest, warnings) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static))
        #expect(manifest.entry(at: "Docs.html")?.aliasOf == "Docs/index.html" && manifest.entry(at: "docs.html")?.aliasOf == nil)
        #expect(warnings.contains { $0.contains("the routing alias 'Docs.html' (of Docs/index.html) and 'docs.html' differ only in case") },
                "\(warnings)")
        #expect(!warnings.contains { $0.contains("blog") }, "\(warnings)")
        // `always`: page Guide.html gets Guide/index.html, beside a real guide/index.html.
        let b = try TempDir("manifest-alias-case-always")
        try b.write("Guide.html", "guide")
        try b.write("guide/index.html", "another guide")
        let (_, more) = try buildManifest(b.path, builder: ManifestBuilder(mode: .static, aliases: .directoryIndex))
        #expect(more.contains { $0.contains("'Guide/index.html' (of Guide.html) and 'guide/index.html' differ only in case") }, "\(more)")
    }

    @Test func aliasesInTheWayOfRealPathsAreLeftOut() throws {
        let a = try TempDir("manifest-alias-clash")
        try a.write("index.html", "root")
        try a.write("x", "a file named x")
        try a.write("x.html", "page x")
        try a.write("y.html", "page y")
        let (always, warnings) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static, aliases: .directoryIndex))
        #expect(always.entries.filter { $0.aliasOf != nil }.map(\.path) == ["y/index.html"])
        #expect(warnings.contains { $0.contains("no routing alias x/index.html: the file x is in the way") }, "\(warnings)")

        let b = try TempDir("manifest-alias-clash-dir")
        try b.write("docs/index.html", "docs")
        try b.write("docs.html/notes.txt", "a folder named docs.html")
        try b.write("blog/index.html", "blog")
        let (plain, more) = try buildManifest(b.path, builder: ManifestBuilder(mode: .static))
        #expect(plain.entries.filter { $0.aliasOf != nil }.map(\.path) == ["blog.html"])
        #expect(more.contains { $0.contains("no routing alias docs.html: the folder docs.html/ is in the way") }, "\(more)")
    }

    @Test func routeRulesNameFilesAsTheFunctionDoes() {
        for file in ["app.js", ".htaccess", "a.b.", "v1.2", "x.html", ".."] { #expect(RouteRules.namesFile(segment: Array(file.utf8)), "\(file)") }
        for page in ["about", "", ".", "a.", "index"] { #expect(!RouteRules.namesFile(segment: Array(page.utf8)), "\(page)") }
        #expect(RouteRules.lastSegmentNamesFile("docs/v1.2") && !RouteRules.lastSegmentNamesFile("v1.2/docs"))
        // Below .well-known/ (at the root) every path names a file.
        for file in [".well-known/apple-app-site-association", "/.well-known/acme-challenge/tok", "docs/x.txt"] {
            #expect(RouteRules.pathNamesFile(file), "\(file)")
        }
        for page in [".well-known/", "docs/.well-known/x", "/about", "CNAME"] { #expect(!RouteRules.pathNamesFile(page), "\(page)") }
    }

    /// A file without an extension is never requested as itself (`/x` is x.html or index.html):
    /// the deploy names it; one below .well-known/ is served as named, and is not named.
    @Test func filesNoURLReachesAreNamed() throws {
        let a = try TempDir("manifest-unreachable")
        try a.write("index.html", "root")
        try a.write("CNAME", "example.com")
        try a.write(".well-known/apple-app-site-association", "{}")
        for mode in [RoutingMode.static, .spa] {
            let (_, warnings) = try buildManifest(a.path, builder: ManifestBuilder(mode: mode))
            let named = warnings.filter { $0.contains("without an extension that no URL reaches") }
            #expect(named.count == 1, "\(warnings)")
            #expect(named.first?.contains("named): CNAME; give them an extension") == true, "\(named)")
        }
    }

    /// A page with a dot before .html (`notes-1.2.html`) is reached only with .html: `/notes-1.2`
    /// names a file to the function (and to serve). Static mode names them; spa mode (where
    /// pages are not reached by clean URLs) and plain pages do not.
    @Test func pagesWithADotBeforeHtmlAreNamed() throws {
        let a = try TempDir("manifest-dotted-pages")
        try a.write("index.html", "root")
        try a.write("about.html", "about")
        try a.write("notes-1.2.html", "notes")
        try a.write("blog/post-v2.0.html", "post")
        try a.write("docs/v1.2/index.html", "docs")
        try a.write(".well-known/x.y.html", "well known")
        let (_, warnings) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static))
        let named = warnings.filter { $0.contains("with a dot in the name before .html") }
        #expect(named == ["2 page(s) with a dot in the name before .html have no URL without .html (/blog/post-v2.0 names a file to the "
            + "function, not a page): blog/post-v2.0.html, notes-1.2.html; link to them with .html, or name them without the dot"], "\(warnings)")
        let (_, spa) = try buildManifest(a.path, builder: ManifestBuilder(mode: .spa))
        #expect(!spa.contains { $0.contains("with a dot in the name") }, "\(spa)")
    }

    /// A header rule that matches no file is named where it is written, with what to write
    /// instead (braces are not expanded; a folder wants `/**`); rules that match are not.
    @Test func headerRulesThatMatchNoFileAreNamed() throws {
        let a = try TempDir("manifest-unmatched-rules")
        try a.write("index.html", "root")
        try a.write("assets/app.js", "js")
        try a.write("docs/guide.html", "guide")
        var rules = [HeaderRule(pattern: "**/*.html", cacheControl: "no-cache"), HeaderRule(pattern: "assets/*.{js,css}", cacheControl: "x"),
                     HeaderRule(pattern: "docs", cacheControl: "y"), HeaderRule(pattern: "Assets/**", cacheControl: "z")]
        rules[1].place = "sitebuild.yml:7:12: headers[1].match"
        let (_, warnings) = try buildManifest(a.path, builder: ManifestBuilder(policy: HeaderPolicy(rules: rules), mode: .static))
        let unmatched = warnings.filter { $0.contains("matches no file of the site") }
        #expect(unmatched.count == 3, "\(warnings)")
        #expect(unmatched.contains { $0.hasPrefix("sitebuild.yml:7:12: headers[1].match 'assets/*.{js,css}'") && $0.contains("braces are not expanded") },
                "\(unmatched)")
        #expect(unmatched.contains { $0.hasPrefix("headers[2].match 'docs'") && $0.contains("write 'docs/**'") }, "\(unmatched)")
        #expect(unmatched.contains { $0.hasPrefix("headers[3].match 'Assets/**'") && $0.contains("case-sensitively") }, "\(unmatched)")
        #expect(!warnings.contains { $0.hasPrefix("headers[0]") })
    }

    /// Aliases are added by row and sorted with everything else: names that sort differently
    /// from their `x/index.html` (`a-b`, `a.b`, `a0`, `a`) still point at their own index.
    @Test func staticAliasesPointAtTheirIndexAfterTheSort() throws {
        let a = try TempDir("manifest-alias-order")
        let names = ["a", "a-b", "a.b", "a0", "a_", "b", "ab", "a b", "Z", "é"]
        for name in names {
            try a.write("\(name)/index.html", "index of \(name)")
            try a.write("\(name)/deep/index.html", "deep index of \(name)")
        }
        try a.write("a0.html", "a0's own page")
        let (manifest, _) = try buildManifest(a.path, builder: ManifestBuilder(mode: .static))
        let entries = Array(manifest.entries)
        #expect(entries.map(\.path) == entries.map(\.path).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for entry in entries where entry.aliasOf != nil {
            let target = try #require(manifest.entry(at: entry.aliasOf!))
            #expect(entry.aliasOf == String(entry.path.dropLast(5)) + "/index.html")
            #expect(entry.hash == target.hash && entry.size == target.size)
        }
        #expect(entries.count { $0.aliasOf != nil } == names.count * 2 - 1)
        #expect(manifest.entry(at: "a0.html")?.aliasOf == nil)
        // The same tree read back from its file: aliases by path resolve to the same entries.
        let parsed = try Manifest.parse(Data(manifest.serialized().utf8))
        #expect(Array(parsed.entries) == entries)
    }

    @Test func pathValidation() throws {
        // Unicode normalisation duplicates are an error (both as file names on disk and as paths).
        let nfc = "caf\u{E9}.html"
        let nfd = "cafe\u{301}.html"
        #expect(Array(nfc.utf8) != Array(nfd.utf8))
        #expect(throws: PathValidation.Failure.self) { try PathValidation.check(["docs/" + nfc, "docs/" + nfd]) }
        // Case-only duplicates are a warning naming both.
        let warnings = try PathValidation.check(["README.md", "readme.md", "other.txt"])
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("README.md") == true && warnings.first?.contains("readme.md") == true)
        #expect(try PathValidation.check(["a/b.txt", "a/c.txt", "b/b.txt"]).isEmpty)
        // Control characters, absolute and dot segments are errors.
        for bad in ["a\u{1}b.txt", "tab\there.txt", "new\nline.html", "del\u{7f}.txt", "/abs.txt", "a/../b.txt", "./a.txt", "a//b.txt", ""] {
            #expect(throws: PathValidation.Failure.self, "\(bad.debugDescription)") { try PathValidation.check([bad]) }
        }
        #expect(throws: PathValidation.Failure.self) { try PathValidation.check([String(repeating: "a", count: 1000)]) }
    }

    @Test func pathValidationOnARealTree() throws {
        let a = try TempDir("manifest-paths")
        try a.write("ok.html", "ok")
        try a.write("bad\u{1}name.txt", "x")
        #expect(throws: PathValidation.Failure.self) { try buildManifest(a.path) }

        let b = try TempDir("manifest-case")
        try b.write("Logo.png", "1")
        try b.write("logo.png", "2")
        let (manifest, warnings) = try buildManifest(b.path)
        #expect(manifest.entries.count == 2)
        #expect(warnings.count == 1)

        let c = try TempDir("manifest-nfd")
        try c.write("caf\u{E9}.html", "nfc")
        try c.write("cafe\u{301}.html", "nfd")
        #expect(try FileManager.default.contentsOfDirectory(atPath: c.path).count == 2)
        #expect(throws: PathValidation.Failure.self) { try buildManifest(c.path) }
    }

    @Test func headerPolicyDefaults() {
        let policy = HeaderPolicy()
        for path in ["index.html", "docs/page.htm", "robots.txt", "sitemap.xml", "sitemap-0.xml", "site.webmanifest", "sw.js",
                     ".well-known/security.txt", "app/manifest.json"] {
            #expect(policy.headers(for: path).cacheControl == HeaderPolicy.entryPointCache, "\(path)")
        }
        #expect(HeaderPolicy.entryPointCache == "public, max-age=0, s-maxage=31536000, must-revalidate")
        for path in ["assets/app.3f9a8b7c.js", "assets/index-BXk2_3aF.js", "main.8a9c2e4f.css", "chunk-2f3a4b5c6d.js",
                     "assets/vendor-B-x9_Qa2.js", "_astro/index.C2hPbYxH.css", "main-K7PQZ2XA.js", "static/media/3f9a8b7c1e2d4f5a6b7c.png",
                     "_next/static/media/a34f9d1faa5f3315-s.woff2",
                     "component---src-pages-index-js-3f9a8b7c6d5e4f3a2b1c.js"] {
            #expect(policy.headers(for: path).cacheControl == HeaderPolicy.immutableCache, "\(path)")
        }
        #expect(HeaderPolicy.immutableCache == "public, max-age=31536000, immutable")
        // Ordinary names are not hashes: a false match would keep a replaced file in browsers for a year.
        for path in ["logo.png", "img/team-Overview.png", "assets/site.css", "fonts/inter.woff2", "data.json", "readme.txt",
                     "IMG_20240115_123456.jpg", "photo-20240115.jpg", "hero-banner2x.png", "hero-mobile2x.webp", "user-avatar123.png",
                     "team-Member01.png", "icon-FACEBOOK.svg", "Screenshot_20240115-123456.png", "team-Jane-Doe.jpg", "team-John_Doe.jpg",
                     "icon-LinkedIn.svg", "img-New-York.jpg", "icon-McDonald.png", "device-MacBook2.png", "phone-iPhone15.png", "COVID-19.png", "deadbeef.png", "cafe2024.jpg",
                     // Names that mix capitals or hex letters with a date or a model number.
                     "report-Q3FY2024.pdf", "datasheet-RTX4090T.pdf", "invoice-INV2024A.pdf", "minutes-20240115b.pdf",
                     "banner-cafe2023.png", "photo-decade2024.jpg", "img-face2face.png"] {
            #expect(policy.headers(for: path).cacheControl == HeaderPolicy.assetCache, "\(path)")
        }
        #expect(HeaderPolicy.assetCache == "public, max-age=300, s-maxage=31536000")

        let gz = policy.headers(for: "assets/app.3f9a8b7c.js.gz")
        #expect(gz.contentEncoding == "gzip")
        #expect(gz.contentType == "text/javascript; charset=utf-8")
        #expect(gz.cacheControl == HeaderPolicy.immutableCache)
        let htmlGz = policy.headers(for: "index.html.gz")
        #expect(htmlGz.contentEncoding == "gzip")
        #expect(htmlGz.contentType == "text/html; charset=utf-8")
        #expect(htmlGz.cacheControl == HeaderPolicy.entryPointCache)
        let br = policy.headers(for: "style.css.br")
        #expect(br.contentEncoding == "br")
        #expect(br.contentType == "text/css; charset=utf-8")
        // `content-encoding: ""` serves the compressed bytes as they are, with their own type.
        let asIs = HeaderPolicy(rules: [HeaderRule(pattern: "**/*.gz", contentEncoding: ""), HeaderRule(pattern: "**/*.br", contentEncoding: "")])
        #expect(asIs.headers(for: "sitemap.xml.gz").contentType == "application/gzip" && asIs.headers(for: "sitemap.xml.gz").contentEncoding == nil)
        #expect(asIs.headers(for: "app.js.br").contentType == "application/octet-stream")
        #expect(HeaderPolicy(rules: [HeaderRule(pattern: "*.svgz", contentEncoding: "")]).headers(for: "logo.svgz").contentType == "application/gzip")
        let typed = HeaderPolicy(rules: [HeaderRule(pattern: "*.gz", contentType: "application/x-gzip", contentEncoding: "")])
        #expect(typed.headers(for: "sitemap.xml.gz").contentType == "application/x-gzip")
        let tarball = policy.headers(for: "dist/site.tar.gz")
        #expect(tarball.contentEncoding == nil)
        #expect(tarball.contentType == "application/gzip")
        #expect(policy.headers(for: "logo.png").contentEncoding == nil)
        // Downloads stay the compressed files they are (with Content-Encoding a browser saves
        // the decoded bytes under the .gz name); Unity's pre-compressed build files and .svgz
        // are decoded by the browser.
        for path in ["data/export.csv.gz", "dump.sql.gz", "file.gz", "notes.txt.gz"] {
            #expect(policy.headers(for: path).contentEncoding == nil, "\(path)")
            #expect(policy.headers(for: path).contentType == "application/gzip", "\(path)")
        }
        #expect(policy.headers(for: "release.bin.br").contentEncoding == nil)
        #expect(policy.headers(for: "Build/game.data.gz").contentEncoding == "gzip")
        #expect(policy.headers(for: "Build/game.wasm.br").contentEncoding == "br")
        #expect(policy.headers(for: "Build/game.wasm.br").contentType == "application/wasm")
        #expect(policy.headers(for: "sitemap.xml.gz").contentEncoding == "gzip")
        #expect(policy.headers(for: "logo.svgz").contentEncoding == "gzip")
        #expect(policy.headers(for: "logo.svgz").contentType == "image/svg+xml")
        // Endings in capitals are the same endings (.SVGZ always was).
        #expect(policy.headers(for: "assets/VENDOR2.JS.GZ").contentEncoding == "gzip")
        #expect(policy.headers(for: "assets/VENDOR2.JS.GZ").contentType == "text/javascript; charset=utf-8")
        #expect(policy.headers(for: "STYLE.CSS.BR").contentEncoding == "br")
        #expect(policy.headers(for: "EXPORT.CSV.GZ").contentType == "application/gzip")

        // Later rules override earlier ones, header by header; an empty encoding removes it.
        let ruled = HeaderPolicy(rules: [
            HeaderRule(pattern: "**/*.js.gz", cacheControl: "no-store", extra: [(name: "X-One", value: "1")]),
            HeaderRule(pattern: "**/*.gz", contentEncoding: "", extra: [(name: "x-one", value: "2"), (name: "A-First", value: "a")]),
        ]).headers(for: "assets/app.3f9a8b7c.js.gz")
        #expect(ruled.cacheControl == "no-store")
        #expect(ruled.contentEncoding == nil)
        #expect(ruled.contentType == "application/gzip")
        #expect(ruled.extra.map(\.name) == ["A-First", "x-one"])
        #expect(ruled.extra.map(\.value) == ["a", "2"])
    }

    @Test func mimeTypes() {
        let expected: [(String, String)] = [
            ("fonts/inter.woff2", "font/woff2"), ("img/a.avif", "image/avif"), ("img/a.webp", "image/webp"),
            ("app.wasm", "application/wasm"), ("mod.mjs", "text/javascript; charset=utf-8"),
            ("site.webmanifest", "application/manifest+json"), ("app.js.map", "application/json"),
            ("data.json", "application/json"), ("logo.svg", "image/svg+xml"), ("notes.txt", "text/plain; charset=utf-8"),
            ("index.html", "text/html; charset=utf-8"), ("site.css", "text/css; charset=utf-8"),
            ("PHOTO.JPG", "image/jpeg"), ("noext", "application/octet-stream"), (".hidden", "application/octet-stream"),
            ("weird.unknownext", "application/octet-stream"), (".well-known/apple-app-site-association", "application/json"),
            // Well-known documents without an extension whose readers check the type.
            (".well-known/openid-configuration", "application/json"), (".well-known/matrix/client", "application/json"),
            (".well-known/nodeinfo", "application/json"), (".well-known/host-meta", "application/xrd+xml"),
            ("docs/openid-configuration", "application/octet-stream"),
        ]
        for (path, type) in expected {
            #expect(MimeTypes.type(for: path) == type, "\(path)")
            #expect(HeaderPolicy().headers(for: path).contentType == type, "\(path)")
        }
    }
}
