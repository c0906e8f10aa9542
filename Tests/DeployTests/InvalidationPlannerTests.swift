import Deploy
import SiteContent
import Testing

@Suite struct InvalidationPlannerTests {
    let planner = InvalidationPlanner()

    @Test func anEmptyChangeSetInvalidatesNothing() {
        let plan = planner.plan(changed: [String]())
        #expect(plan.paths.isEmpty)
        #expect(plan.isEmpty)
        #expect(plan.wildcardCount == 0)
        #expect(plan.reason.contains("nothing to invalidate"))
        // Empty keys and bare slashes are not files.
        #expect(planner.plan(changed: ["", "/"]).isEmpty)
    }

    @Test func theRootIndexIsServedForTheRoot() {
        let plan = planner.plan(changed: ["index.html"])
        #expect(plan.paths == ["/", "/index.html"])
        #expect(plan.individualCount == 2)
        #expect(plan.reason == "1 changed file: 2 paths")
    }

    @Test func aNestedIndexHasThreeViewerForms() {
        #expect(planner.plan(changed: ["docs/guide/index.html"]).paths
            == ["/docs/guide", "/docs/guide/", "/docs/guide/index.html"])
    }

    @Test func aStaticPageIsAlsoReachedWithoutItsExtension() {
        #expect(planner.plan(changed: ["about.html"]).paths == ["/about", "/about.html"])
        #expect(planner.plan(changed: ["blog/post-1.html"]).paths == ["/blog/post-1", "/blog/post-1.html"])
        // The alias the manifest adds for a directory index shares the extension-less form.
        #expect(planner.plan(changed: ["a/index.html", "a.html"]).paths == ["/a", "/a.html", "/a/", "/a/index.html"])
        // The router serves a last segment with a dot as a file, so no `.html` form reaches it.
        #expect(planner.plan(changed: ["v1.2/index.html"]).paths == ["/v1.2/", "/v1.2/index.html"])
        // Below /.well-known/ every path is served as named: `/.well-known/x` is the file x.
        #expect(planner.plan(changed: ["a.b.html", ".well-known/x.html"]).paths == ["/.well-known/x.html", "/a.b.html"])
        #expect(planner.plan(changed: [".well-known/apple-app-site-association"]).paths == ["/.well-known/apple-app-site-association"])
        #expect(planner.plan(changed: ["docs/.hidden.html"]).paths == ["/docs/.hidden.html"])
    }

    @Test func otherFilesAreInvalidatedAsTheyAre() {
        #expect(planner.plan(changed: ["css/site.css", "img/logo.png", "robots.txt"]).paths
            == ["/css/site.css", "/img/logo.png", "/robots.txt"])
        // A leading slash on a key is tolerated, duplicates are merged.
        #expect(planner.plan(changed: ["/robots.txt", "robots.txt"]).paths == ["/robots.txt"])
    }

    @Test func spaModeHasNoExtensionlessAliases() {
        let spa = InvalidationPlanner(mode: .spa)
        #expect(spa.plan(changed: ["about.html", "docs/index.html", "app.js"]).paths
            == ["/about.html", "/app.js", "/docs/index.html"])
    }

    @Test func spaModeInvalidatesEverythingWhenTheShellChanges() {
        let plan = InvalidationPlanner(mode: .spa).plan(changed: ["index.html", "app.js"])
        #expect(plan.paths == ["/*"])
        #expect(plan.invalidatesEverything)
        #expect(plan.wildcardCount == 1)
        #expect(plan.reason.contains("spa mode"))
    }

    @Test func nonASCIINamesArePercentEncodedAsUTF8() {
        #expect(planner.plan(changed: ["ü.css"]).paths == ["/%C3%BC.css"])
        #expect(planner.plan(changed: ["日本/index.html"]).paths
            == ["/%E6%97%A5%E6%9C%AC", "/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC/index.html"])
        // Decomposed and precomposed forms are different bytes, so different paths.
        #expect(planner.plan(changed: ["e\u{301}.txt"]).paths == ["/e%CC%81.txt"])
    }

    @Test func spacesAndUnsafeCharactersAreEncodedButSlashesAndSafeOnesAreNot() {
        #expect(planner.plan(changed: ["my docs/a b.pdf"]).paths == ["/my%20docs/a%20b.pdf"])
        #expect(InvalidationPlanner.encode("/a\"#%<>?[\\]^`{|}b") == "/a%22%23%25%3C%3E%3F%5B%5C%5D%5E%60%7B%7C%7Db")
        #expect(InvalidationPlanner.encode("/a-b_c.d~e+f!$&'(),;=:@g") == "/a-b_c.d~e+f!$&'(),;=:@g")
        #expect(InvalidationPlanner.encode("/tab\there") == "/tab%09here")
        #expect(InvalidationPlanner.encode("/100%.txt") == "/100%25.txt")
    }

    @Test func anAsteriskInANameBecomesAWildcardThatCoversIt() {
        let plan = planner.plan(changed: ["img/a*b.png", "img/a1.png", "img/c.png"])
        #expect(plan.paths == ["/img/a*", "/img/c.png"])
        #expect(plan.wildcardCount == 1)
    }

    @Test func aCrowdedDirectoryCollapsesToAWildcard() {
        let changed = (1...21).map { "assets/chunk-\($0).js" } + ["index.html", "css/a.css"]
        let plan = planner.plan(changed: changed)
        #expect(plan.paths == ["/", "/assets/*", "/css/a.css", "/index.html"])
        #expect(plan.wildcardCount == 1)
        #expect(plan.individualCount == 3)
        #expect(plan.reason.contains("/assets/"))
        // Exactly the threshold stays individual.
        let twenty = planner.plan(changed: (1...20).map { "assets/chunk-\($0).js" })
        #expect(twenty.wildcardCount == 0)
        #expect(twenty.paths.count == 20)
    }

    @Test func theThresholdCountsViewerPathsAndIsConfigurable() {
        // 7 index pages are 21 viewer paths under /blog/ (the `/blog/pN` forms are inside it too).
        let pages = (1...7).map { "blog/p\($0)/index.html" }
        #expect(planner.plan(changed: pages).paths == ["/blog/*"])
        let strict = InvalidationPlanner(limits: .init(directoryThreshold: 2))
        #expect(strict.plan(changed: ["a/1.css", "a/2.css", "b/1.css"]).paths == ["/a/1.css", "/a/2.css", "/b/1.css"])
        #expect(strict.plan(changed: ["a/1.css", "a/2.css", "a/3.css", "b/1.css"]).paths == ["/a/*", "/b/1.css"])
    }

    @Test func collapsedSubdirectoriesCountAsOneInTheirParent() {
        let strict = InvalidationPlanner(limits: .init(directoryThreshold: 3))
        // /a/x/ (4 paths) collapses; /a/ then holds 2 files + 1 wildcard = 3: not more than 3.
        let changed = ["a/x/1", "a/x/2", "a/x/3", "a/x/4", "a/1", "a/2"]
        #expect(strict.plan(changed: changed).paths == ["/a/1", "/a/2", "/a/x/*"])
        // One more file in /a/ makes 4: /a/* then covers /a/x/* as well.
        #expect(strict.plan(changed: changed + ["a/3"]).paths == ["/a/*"])
        // The root never collapses by the threshold.
        #expect(strict.plan(changed: ["1", "2", "3", "4", "5"]).paths == ["/1", "/2", "/3", "/4", "/5"])
    }

    @Test func theExtensionlessFormOfACollapsedDirectoryStaysOutside() {
        let changed = (1...25).map { "docs/page-\($0).css" } + ["docs/index.html"]
        // `/docs` is not under `/docs/*`, so it is still listed.
        #expect(planner.plan(changed: changed).paths == ["/docs", "/docs/*"])
    }

    @Test func moreThanFifteenWildcardsFallsBackToEverything() {
        let fifteen = (1...15).flatMap { dir in (1...21).map { "d\(dir)/f\($0).js" } }
        let ok = planner.plan(changed: fifteen)
        #expect(ok.wildcardCount == 15)
        #expect(ok.individualCount == 0)
        let sixteen = fifteen + (1...21).map { "d16/f\($0).js" }
        let plan = planner.plan(changed: sixteen)
        #expect(plan.paths == ["/*"])
        #expect(plan.reason.contains("16 wildcards"))
        #expect(plan.reason.contains("over the limits"))
    }

    @Test func moreThanThreeThousandPathsFallsBackToEverything() {
        // 3,000 files spread so that no directory passes the threshold: 150 directories of 20.
        let exactly = (1...150).flatMap { dir in (1...20).map { "d\(dir)/f\($0).js" } }
        let ok = planner.plan(changed: exactly)
        #expect(ok.individualCount == 3000)
        #expect(ok.wildcardCount == 0)
        let plan = planner.plan(changed: exactly + ["one-more.js"])
        #expect(plan.paths == ["/*"])
        #expect(plan.reason.contains("3001 paths"))
        // Lower limits are honoured too.
        let small = InvalidationPlanner(limits: .init(maxPaths: 3, maxWildcards: 1))
        #expect(small.plan(changed: ["a.css", "b.css", "c.css"]).paths.count == 3)
        #expect(small.plan(changed: ["a.css", "b.css", "c.css", "d.css"]).paths == ["/*"])
    }

    @Test func everyFileChangedIsEverything() {
        let site: Set<String> = ["index.html", "a.css", "b/index.html"]
        let plan = planner.plan(changed: ["index.html", "a.css", "b/index.html", "gone.html"], siteKeys: site)
        #expect(plan.paths == ["/*"])
        #expect(plan.reason.contains("all 3 files changed"))
        #expect(planner.plan(changed: ["a.css"], siteKeys: site).paths == ["/a.css"])
        #expect(planner.plan(changed: ["a.css"], siteKeys: []).paths == ["/a.css"])
    }

    @Test func thePlanIsDeterministicWhateverTheInputOrder() {
        let changed = (1...40).map { "x/\($0).css" } + ["ü/index.html", "b c.html", "index.html", "z.js"]
        let first = planner.plan(changed: changed)
        for seed in 1...5 {
            var generator = SeededGenerator(seed: UInt64(seed))
            #expect(planner.plan(changed: changed.shuffled(using: &generator)) == first)
        }
        #expect(first.paths == first.paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(first.paths == ["/", "/%C3%BC", "/%C3%BC/", "/%C3%BC/index.html", "/b%20c", "/b%20c.html", "/index.html", "/x/*", "/z.js"])
    }
}

/// A small deterministic generator for shuffles.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state ^ (state >> 29)
    }
}
