import Foundation
import Preview
import Testing

/// `sitebuild function` prints the CloudFront Functions to publish: the shipped copies match
/// cloudfront/*.js (which the node tests check), and the printed router, run under node with
/// the `cloudfront` module stand-in, reads the named store and key and routes as configured.
@Suite struct FunctionCommandTests {
    @Test func theBinaryCarriesTheFunctionsAsTheyAreInTheRepository() throws {
        #expect(CloudFrontFunctionCode.viewerRequest == (try String(contentsOfFile: try repositoryFile("cloudfront/function.js"), encoding: .utf8)),
                "cloudfront/function.js changed: run scripts/embed-cloudfront-functions")
        #expect(CloudFrontFunctionCode.viewerResponse == (try String(contentsOfFile: try repositoryFile("cloudfront/viewer-response.js"), encoding: .utf8)),
                "cloudfront/viewer-response.js changed: run scripts/embed-cloudfront-functions")
    }

    @Test func thePrintedRouterReadsTheStoreAndKeyAndRoutesAsConfigured() throws {
        let h = try CLIHarness()
        let arn = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
        // Routing from sitebuild.yml, the pointer from the flag.
        try h.write("sitebuild.yml", "mode: spa\ntrailing-slash: always\n")
        let printed = try h.run(["function", "--pointer", "cloudfront-kvs://\(arn)#site-live"])
        #expect(printed.status == 0, "\(printed.stderr)")
        for placeholder in ["'__KVS_ID__'", "'__MODE__'", "'__TRAILING_SLASH__'", "'__POINTER_KEY__'"] {
            #expect(!printed.stdout.contains(placeholder), "\(placeholder) is left")
        }

        // Run it under node: the stand-in for the 'cloudfront' module, then three requests.
        let stub = URL(fileURLWithPath: try repositoryFile("cloudfront/test/cloudfront-stub.mjs")).absoluteString
        let module = printed.stdout.replacingOccurrences(of: "import cf from 'cloudfront';", with: "import cf from '\(stub)';")
            + "\nexport { handler };\n"
        try h.write("router.mjs", module)
        try h.write("check.mjs", """
            import { setKvs, openedKvsIds } from '\(stub)';
            const { handler } = await import('./router.mjs');
            setKvs({ 'site-live': 'v42', path: 'wrong' });
            const ask = async (uri) => {
              const r = await handler({ request: { uri, method: 'GET', querystring: {}, headers: {} } });
              return r.statusCode ? `${r.statusCode} ${r.headers.location.value}` : r.uri;
            };
            console.log(JSON.stringify({ ids: openedKvsIds(), about: await ask('/about'), deep: await ask('/app/settings/'),
                                         asset: await ask('/app.3f9a.js') }));
            """)
        let node = try #require(SiteTemplateTests.which("node"), "node is not on PATH: scripts/setup installs it")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: node)
        process.arguments = [h.root + "/check.mjs"]
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let result = CLIHarness.collect(process, out, err)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == #"{"ids":["a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"],"about":"301 /about/","deep":"/v42/index.html","asset":"/v42/app.3f9a.js"}"#,
                "\(result.stdout)")
    }

    @Test func badPointersAndSettingsAreUsageErrors() throws {
        let h = try CLIHarness()
        let none = try h.run(["function"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("not a CloudFront KeyValueStore") && none.stderr.contains("--pointer cloudfront-kvs://ARN#key"), "\(none.stderr)")
        let quote = try h.run(["function", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::1:key-value-store/x1#it's"])
        #expect(quote.status == 2)
        #expect(quote.stderr.contains("pointer key 'it's'"), "\(quote.stderr)")
        // The function reads '__…' as an unset placeholder: it would read 'path' instead.
        let underscored = try h.run(["function", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::1:key-value-store/x1#__live"])
        #expect(underscored.status == 2 && underscored.stderr.contains("starting with '__' as unset"), "\(underscored.stderr)")
        // A key may hold '#' (an ARN never does): the first '#' ends the ARN.
        let hashed = try h.run(["function", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::1:key-value-store/x1#pr#12"])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        #expect(hashed.stdout.contains("const POINTER_KEY = 'pr#12';") && hashed.stdout.contains("cf.kvs('x1')"), "\(hashed.stdout.prefix(2000))")
        try h.write("sitebuild.yml", "mode: sap\n")
        let badMode = try h.run(["function", "--pointer", "cloudfront-kvs://arn:aws:cloudfront::1:key-value-store/x1"])
        #expect(badMode.status == 2)
        #expect(badMode.stderr.contains("sitebuild.yml:1:7"), "\(badMode.stderr)")
        let response = try h.run(["function", "--viewer-response"])
        #expect(response.status == 0 && response.stdout == CloudFrontFunctionCode.viewerResponse)
    }
}
