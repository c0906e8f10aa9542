import Foundation
import Testing

/// The CI examples in docs/ci-and-containers.md keep everything of sitebuild out of the
/// site's checkout: a plain site publishes its whole folder (`base-directory: .`), so a
/// sitebuild clone or an events file written there would be deployed with the site.
@Suite struct CIDocsTests {
    /// The fenced block of `docs/ci-and-containers.md` whose first line is `firstLine`.
    static func example(startingWith firstLine: String) throws -> [String] {
        let text = try String(contentsOfFile: try repositoryFile("docs/ci-and-containers.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: firstLine), "no example starts with \(firstLine)")
        let end = try #require(lines[start...].firstIndex { $0.hasPrefix("```") })
        return Array(lines[start..<end])
    }

    /// Where a command line writes (redirections and `git clone`'s destination), as written.
    static func destinations(in line: String) -> [String] {
        var found: [String] = []
        let words = line.split(separator: " ").map(String.init)
        for (index, word) in words.enumerated() {
            if word == ">" || word == ">>", index + 1 < words.count { found.append(words[index + 1]) }
            else if word.hasPrefix(">") && !word.hasPrefix(">&") && word.count > 2 { found.append(String(word.drop { $0 == ">" })) }
        }
        if let clone = words.firstIndex(of: "clone"), clone > 0, words[clone - 1] == "git", let last = words.last { found.append(last) }
        return found
    }

    /// Whether a destination as written lands outside the checkout. The checkout is the job's
    /// working directory, named only through its variables: a relative path, or one below
    /// `$GITHUB_WORKSPACE`/`$CODEBUILD_SRC_DIR`, is inside it; an absolute path, or one below
    /// a variable naming another place (the runner's temporary folder, the job's files, home),
    /// is not.
    static func isOutsideTheWorkspace(_ path: String) -> Bool {
        let unquoted = path.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let inside = ["$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}", "$CODEBUILD_SRC_DIR", "${CODEBUILD_SRC_DIR}"]
        let elsewhere = ["$RUNNER_TEMP", "${RUNNER_TEMP}", "$GITHUB_OUTPUT", "$GITHUB_PATH", "$GITHUB_ENV", "$GITHUB_STEP_SUMMARY", "~/", "$HOME/"]
        if inside.contains(where: { unquoted.hasPrefix($0) }) { return false }
        return unquoted.hasPrefix("/") || elsewhere.contains { unquoted.hasPrefix($0) }
    }

    @Test func destinationsInsideAndOutsideTheCheckout() {
        for path in ["dist/events.ndjson", "./x", "\"$GITHUB_WORKSPACE/x\"", "$CODEBUILD_SRC_DIR/events", "events.ndjson"] {
            #expect(!Self.isOutsideTheWorkspace(path), "\(path)")
        }
        for path in ["\"$RUNNER_TEMP/sitebuild\"", "$HOME/.local/bin/x", "~/x", "/var/log/x", "$GITHUB_STEP_SUMMARY"] {
            #expect(Self.isOutsideTheWorkspace(path), "\(path)")
        }
    }

    @Test func theGitHubActionsWorkflowWritesNothingIntoTheSitesCheckout() throws {
        let workflow = try Self.example(startingWith: "# .github/workflows/deploy-site.yml")
        // One checkout: the site's own, at the workspace root.
        #expect(workflow.filter { $0.contains("uses: actions/checkout") }.count == 1)
        #expect(!workflow.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("path: .") })
        #expect(!workflow.contains { $0.contains("repository:") }, "a second checkout lands inside the site's workspace")
        let destinations = workflow.flatMap(Self.destinations)
        #expect(destinations.contains("\"$RUNNER_TEMP/sitebuild\""))
        for destination in destinations {
            #expect(Self.isOutsideTheWorkspace(destination), "the workflow writes \(destination) into the site's checkout")
        }
    }

    @Test func theCodeBuildPostBuildExampleWritesItsEventsOutsideTheSource() throws {
        let buildspec = try Self.example(startingWith: "version: 0.2")
        let destinations = buildspec.flatMap(Self.destinations)
        #expect(!destinations.isEmpty)
        for destination in destinations {
            #expect(Self.isOutsideTheWorkspace(destination), "the buildspec writes \(destination) into the source folder")
        }
    }
}
