import Foundation
import Testing

/// `sitebuild --version`: the version and the C libraries the binary runs on.
@Suite struct VersionOutputTests {
    @Test func versionNamesTheLinkedLibraries() throws {
        let run = try CLIHarness().run(["--version"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("sitebuild ") == true, "\(run.stdout)")
        for prefix in ["libcurl: libcurl/", "libcrypto: OpenSSL ", "libarchive: libarchive ", "hashing: xxHash 0."] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "no '\(prefix)' line in:\n\(run.stdout)")
        }
    }
}
