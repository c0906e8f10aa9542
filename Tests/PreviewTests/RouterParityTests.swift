import Deploy
import Foundation
import Preview
import SiteContent
import Testing

@Suite("Router parity with the CloudFront Function")
struct RouterParityTests {
    struct Table: Decodable {
        var version: String
        var cases: [Case]
    }

    struct Case: Codable {
        var name: String
        var mode: String
        var trailingSlash: String
        var method: String
        var uri: String
        var querystring: String
        var expect: Expect?
    }

    struct Expect: Codable {
        var uri: String?
        var redirect: String?
        var status: Int?
    }

    /// The answer in the table's shape: a (possibly unchanged) uri, or a redirect.
    enum Answer: Equatable, CustomStringConvertible {
        case uri(String)
        case redirect(String, Int)

        var description: String {
            switch self {
            case .uri(let u): return "uri \(u)"
            case .redirect(let l, let s): return "\(s) → \(l)"
            }
        }

        init?(_ expect: Expect) {
            if let uri = expect.uri, expect.redirect == nil { self = .uri(uri) }
            else if let location = expect.redirect, let status = expect.status, expect.uri == nil { self = .redirect(location, status) }
            else { return nil }
        }
    }

    static var casesPath: String { get throws { try repositoryRoot() + "/cloudfront/routing-cases.json" } }

    static func loadTable(_ path: String) throws -> Table {
        try JSONDecoder().decode(Table.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func swiftAnswer(_ c: Case, version: String?) throws -> Answer {
        let mode = try unwrap(RoutingMode(rawValue: c.mode), "mode \(c.mode) of case \(c.name)")
        let slash = try unwrap(TrailingSlash(rawValue: c.trailingSlash), "trailingSlash \(c.trailingSlash) of case \(c.name)")
        switch Router(mode: mode, trailingSlash: slash).route(uri: c.uri, querystring: c.querystring, version: version) {
        case .rewrite(let uri): return .uri(uri)
        case .redirect(let location, let status): return .redirect(location, status)
        case .unchanged: return .uri(c.uri)  // the function returns the request as it came
        }
    }

    /// Runs `node cloudfront/test/route-cli.mjs <cases>` and returns one answer per line, by name.
    static func nodeAnswers(casesFile: String) throws -> [(name: String, answer: Answer)] {
        guard let node = findExecutable("node") else {
            throw PreviewError("node is not installed (looked in /usr/bin, /usr/local/bin and PATH): the Swift/JS router parity cannot be checked; install Node 20+")
        }
        let root = try repositoryRoot()
        let result = try runProcess(node, [root + "/cloudfront/test/route-cli.mjs", casesFile], currentDirectory: root)
        guard result.status == 0 else { throw PreviewError("route-cli.mjs exited with \(result.status): \(result.stderr)") }
        return try result.stdout.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let name = try unwrap(object?["name"] as? String, "name in \(line)")
            if let uri = object?["uri"] as? String { return (name, .uri(uri)) }
            let location = try unwrap(object?["redirect"] as? String, "uri or redirect in \(line)")
            let status = try unwrap(object?["status"] as? Int, "status in \(line)")
            return (name, .redirect(location, status))
        }
    }

    @Test func swiftRouterMatchesTheTable() throws {
        let table = try Self.loadTable(try Self.casesPath)
        #expect(table.cases.count >= 80)
        #expect(Set(table.cases.map(\.name)).count == table.cases.count, "case names must be unique")
        var checked = 0
        for c in table.cases {
            let expected = try #require(c.expect.flatMap(Answer.init), "case \(c.name) has no valid expect")
            let actual = try Self.swiftAnswer(c, version: table.version)
            #expect(actual == expected, "case '\(c.name)': \(c.mode)/\(c.trailingSlash) \(c.method) \(c.uri)?\(c.querystring)")
            checked += 1
        }
        #expect(checked == table.cases.count)
    }

    @Test func javaScriptFunctionAgreesWithSwiftOnEveryCase() throws {
        let path = try Self.casesPath
        let table = try Self.loadTable(path)
        let js = try Self.nodeAnswers(casesFile: path)
        #expect(js.count == table.cases.count)
        #expect(js.map(\.name) == table.cases.map(\.name))
        for (c, answer) in zip(table.cases, js) {
            let swift = try Self.swiftAnswer(c, version: table.version)
            #expect(answer.answer == swift, "case '\(c.name)': JS \(answer.answer) vs Swift \(swift)")
            if let expected = c.expect.flatMap(Answer.init) {
                #expect(answer.answer == expected, "case '\(c.name)': JS disagrees with the table")
            }
        }
    }

    /// Beyond the table: many generated combinations (URIs, both modes, all trailing-slash
    /// settings, query strings), run through both implementations.
    static func generatedCases(uris: [String]) -> [Case] {
        let queries = ["", "a=1&b=2&a=3", "k&k=&k=v", "x=%20&&y=", "=v&w", "q=caf%C3%A9&r=a%26b", "t=a==b&t"]
        var cases: [Case] = []
        for mode in ["static", "spa"] {
            for slash in ["none", "always", "never"] {
                for (u, uri) in uris.enumerated() {
                    for (q, query) in queries.enumerated() where q == 0 || (u + q) % 3 == 0 || uri.hasSuffix("index.html") {
                        cases.append(Case(name: "gen-\(cases.count)", mode: mode, trailingSlash: slash, method: q % 2 == 0 ? "GET" : "HEAD",
                                          uri: uri, querystring: query, expect: nil))
                    }
                }
            }
        }
        return cases
    }

    static let asciiURIs = [
        "/", "//", "///", "/a", "/a/", "/a//", "/a//b", "/a/b/c", "/a.b", "/a.b/", "/a.b/c", "/.x", "/.", "/..", "/a/.",
        "/a/..", "/x.", "/file..", "/..a", "/a/.b", "/v1.2", "/v1.2/guide", "/.well-known", "/.well-known/", "/%2e",
        "/notes%2Etxt", "/caf%C3%A9", "/a%2Fb", "/index.html", "/INDEX.HTML", "/aindex.html", "/a/index.html",
        "/a/index.html/", "/a/index.htm", "//index.html", "///x/index.html", "/\\evil/index.html", "/\\\\x", "//evil",
        "//evil/", "/\\/a/", "", "a/b", "index.html", "/a b", "/~user/", "/a;b", "/a.b.c.d", "/-", "/_", "/a/b.",
    ]

    @Test func javaScriptFunctionAgreesWithSwiftOnGeneratedCases() throws {
        let dir = try TempDir("router-parity")
        let version = "v9f8e7d6"
        let cases = Self.generatedCases(uris: Self.asciiURIs)
        #expect(cases.count > 500)
        struct File: Encodable { var version: String; var cases: [Case] }
        let file = dir.url("cases.json")
        try JSONEncoder().encode(File(version: version, cases: cases)).write(to: URL(fileURLWithPath: file))
        let js = try Self.nodeAnswers(casesFile: file)
        try #require(js.count == cases.count)
        var mismatches: [String] = []
        for (c, answer) in zip(cases, js) {
            let swift = try Self.swiftAnswer(c, version: version)
            if answer.answer != swift {
                mismatches.append("\(c.mode)/\(c.trailingSlash) \(c.uri.debugDescription)?\(c.querystring): JS \(answer.answer), Swift \(swift)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    /// Raw (not percent-encoded) non-ASCII in the path: `sitebuild serve` passes whatever a
    /// client sends. The JS function works on UTF-16 code units; the Swift router must find
    /// the same `/` and `.` positions.
    @Test func javaScriptFunctionAgreesWithSwiftOnRawUnicodePaths() throws {
        let dir = try TempDir("router-parity-unicode")
        let version = "v9f8e7d6"
        let uris = ["/caf\u{E9}", "/caf\u{E9}/", "/\u{1F600}.", "/a.\u{1F600}", "/x.\u{301}", "/.\u{301}abc", "/\u{301}index.html",
                    "/docs/\u{301}", "/a/\u{301}b"]
        let cases = Self.generatedCases(uris: uris)
        struct File: Encodable { var version: String; var cases: [Case] }
        let file = dir.url("cases.json")
        try JSONEncoder().encode(File(version: version, cases: cases)).write(to: URL(fileURLWithPath: file))
        let js = try Self.nodeAnswers(casesFile: file)
        try #require(js.count == cases.count)
        var mismatches: [String] = []
        for (c, answer) in zip(cases, js) {
            let swift = try Self.swiftAnswer(c, version: version)
            if answer.answer != swift {
                mismatches.append("\(c.mode)/\(c.trailingSlash) \(c.uri.unicodeScalars.map { String($0.value, radix: 16) })?\(c.querystring): JS \(answer.answer), Swift \(swift)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    /// Every folder page is served, under every trailing-slash setting, at a URL the
    /// invalidation planner names for it (directly or through its `x.html` alias): a deploy
    /// that changes the page then refreshes the URL viewers reach it by.
    @Test func everyFolderPageIsServedAtAURLThePlannerInvalidates() {
        let keys = ["about/index.html", "docs/guide/index.html", "docs/v1.2/index.html", "v1.2/index.html", ".well-known/index.html",
                    ".well-known/docs/index.html", "app.js/index.html"]
        let planner = InvalidationPlanner(mode: .static)
        for slash in TrailingSlash.allCases {
            let router = Router(mode: .static, trailingSlash: slash)
            for key in keys {
                let alias = "/v1/" + key.dropLast("/index.html".count) + ".html"
                let served = planner.viewerForms(ofKey: key).filter { form in
                    let decision = router.route(uri: form, version: "v1")
                    return decision == .rewrite("/v1/" + key) || decision == .rewrite(alias)
                }
                #expect(!served.isEmpty, "\(key) under \(slash): no URL the planner names serves it")
            }
        }
    }

    @Test func routerPassesThroughWithoutAVersion() {
        let router = Router()
        #expect(router.route(uri: "/index.html", version: nil) == .unchanged)
        #expect(router.route(uri: "/about", version: "") == .unchanged)
        #expect(router.route(uri: "about", version: "v1") == .unchanged)
        #expect(router.route(uri: "/about", version: "v1") == .rewrite("/v1/about.html"))
        #expect(Router.hasExtension("app.js") && Router.hasExtension(".htaccess") && Router.hasExtension("a.b."))
        #expect(!Router.hasExtension("file.") && !Router.hasExtension(".") && !Router.hasExtension("guide") && !Router.hasExtension(""))
    }
}
