import Foundation
@testable import SitebuildCLI
import Testing

/// `sitebuild.yml` must refuse every header that `cloudfront/viewer-response.js` drops at the
/// edge: otherwise a `headers[].set` entry deploys and then silently never reaches a viewer.
@Suite struct SiteConfigHeaderParityTests {
    static func functionSource() throws -> String {
        try String(contentsOfFile: try repositoryFile("cloudfront/viewer-response.js"), encoding: .utf8)
    }

    /// The quoted names inside `var NAME = … ;` of the function's source.
    static func quotedNames(in source: String, variable: String) throws -> [String] {
        let start = try #require(source.range(of: "var \(variable) = "))
        let end = try #require(source.range(of: ";", range: start.upperBound..<source.endIndex))
        let body = source[start.upperBound..<end.lowerBound]
        return body.split(separator: "'", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    @Test func viewerResponseRefusalsAreAllRefusedHere() throws {
        let source = try Self.functionSource()
        let names = try Self.quotedNames(in: source, variable: "REFUSED")
        let prefixes = try Self.quotedNames(in: source, variable: "REFUSED_PREFIXES")
        // The parse found the lists (a renamed variable must not make this test pass vacuously).
        #expect(names.count >= 10 && names.contains("content-length"))
        #expect(prefixes.contains("x-edge-"))
        for name in names {
            #expect(SiteConfig.unsettableHeader(name) != nil, "viewer-response.js drops '\(name)' but sitebuild.yml accepts it")
            #expect(SiteConfig.unsettableHeader(name.uppercased()) != nil)
        }
        for prefix in prefixes {
            #expect(SiteConfig.unsettableHeader(prefix + "anything") != nil, "viewer-response.js drops '\(prefix)*' but sitebuild.yml accepts it")
        }
        // And ordinary headers pass both.
        #expect(SiteConfig.unsettableHeader("x-frame-options") == nil)
        #expect(!names.contains("x-frame-options"))
    }
}
