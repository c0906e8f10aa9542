import BuildRunner
import Foundation
import Testing

/// The phase-transition table run with real commands (see docs/buildspec-behaviour.md).
@Suite struct PhaseTransitionRunTests {
    static let artifacts = """
        artifacts:
          files:
            - out.txt
        """

    @Test func installFailureSkipsLaterPhasesAndArtifacts() throws {
        let h = try BuildHarness()
        try h.write("out.txt", "x")
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - exit 1
                  - echo skipped-in-phase
                finally:
                  - echo install-finally
              pre_build:
                commands:
                  - echo pre_build-ran
              build:
                commands:
                  - echo build-ran
              post_build:
                commands:
                  - echo post_build-ran
            \(Self.artifacts)
            """)
        #expect(run.result.status == .failed)
        #expect(run.log.outputLines == ["install-finally"])
        #expect(run.phase("INSTALL")?.status == "FAILED")
        #expect(!run.ran("PRE_BUILD") && !run.ran("BUILD") && !run.ran("POST_BUILD") && !run.ran("UPLOAD_ARTIFACTS"))
    }

    @Test func preBuildFailureSkipsBuildAndPostBuild() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              pre_build:
                commands:
                  - false
              build:
                commands:
                  - echo build-ran
              post_build:
                commands:
                  - echo post_build-ran
            """)
        #expect(run.result.status == .failed)
        #expect(run.log.outputLines.isEmpty)
        #expect(!run.ran("BUILD"))
    }

    @Test func buildFailureStillRunsPostBuildWithSucceedingZeroAndUploadsArtifacts() throws {
        let h = try BuildHarness()
        try h.write("out.txt", "x")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "in build $CODEBUILD_BUILD_SUCCEEDING"
                  - false
                finally:
                  - echo "finally sees $CODEBUILD_BUILD_SUCCEEDING"
              post_build:
                commands:
                  - echo "post_build sees $CODEBUILD_BUILD_SUCCEEDING"
            \(Self.artifacts)
            """, out: out)
        #expect(run.result.status == .failed)
        #expect(run.log.outputLines == ["in build 1", "finally sees 0", "post_build sees 0"])
        #expect(run.phase("UPLOAD_ARTIFACTS")?.status == "SUCCEEDED")
        #expect(FileManager.default.fileExists(atPath: out + "/out.txt"))
    }

    @Test func postBuildFailureStillUploadsArtifacts() throws {
        let h = try BuildHarness()
        try h.write("out.txt", "x")
        let run = try h.run("""
            version: 0.2
            phases:
              post_build:
                commands:
                  - exit 2
            \(Self.artifacts)
            """, out: h.root + "/out")
        #expect(run.result.status == .failed)
        #expect(run.phase("POST_BUILD")?.status == "FAILED")
        #expect(run.phase("UPLOAD_ARTIFACTS")?.status == "SUCCEEDED")
    }

    @Test func abortStopsEverythingIncludingPostBuildAndArtifacts() throws {
        let h = try BuildHarness()
        try h.write("out.txt", "x")
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: ABORT
                commands:
                  - false
                finally:
                  - echo finally-still-runs
              post_build:
                commands:
                  - echo post_build-ran
            \(Self.artifacts)
            """)
        #expect(run.result.status == .failed)
        #expect(run.log.outputLines == ["finally-still-runs"])
        #expect(!run.ran("POST_BUILD") && !run.ran("UPLOAD_ARTIFACTS"))
    }

    @Test func continueGoesOnAfterAnInstallFailureAndTheBuildEndsFailed() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                on-failure: CONTINUE
                commands:
                  - false
              pre_build:
                commands:
                  - echo "pre_build runs with $CODEBUILD_BUILD_SUCCEEDING"
            """)
        #expect(run.log.outputLines == ["pre_build runs with 0"])
        #expect(run.phase("INSTALL")?.status == "FAILED")
        #expect(run.phase("PRE_BUILD")?.status == "SUCCEEDED")
        #expect(run.result.status == .failed)
    }

    @Test func aFailingFinallyCommandStopsTheRestOfFinally() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo ok
                finally:
                  - echo f1
                  - exit 4
                  - echo f3
            """)
        #expect(run.log.outputLines == ["ok", "f1"])
        #expect(run.phase("BUILD")?.status == "FAILED")
        #expect(run.phase("BUILD")?.contextMessage == "Error while executing command: exit 4. Reason: exit status 4")
    }

    @Test func retryRerunsTheWholePhaseUntilItSucceeds() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: RETRY-2
                commands:
                  - echo attempt
                  - n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test $n -ge 3
            """, json: true)
        #expect(run.result.status == .succeeded)
        #expect(run.log.outputLines.filter { $0 == "attempt" }.count == 3)
        #expect(run.result.phases.filter { $0.name == "BUILD" }.map(\.status) == ["FAILED", "FAILED", "SUCCEEDED"])
        // The build succeeded: its result carries no failure message (scripts read `.message`).
        let result = try #require(run.events.last { $0.contains("\"event\":\"result\"") })
        #expect(result.contains("\"status\":\"SUCCEEDED\",\"message\":null"), "\(result)")
    }

    @Test func retryGivesUpAfterItsCountAndWhenThePatternDoesNotMatch() throws {
        let h = try BuildHarness()
        let exhausted = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: RETRY-1
                commands:
                  - echo attempt; test -f tried && exit 1; touch tried; exit 3
              post_build:
                commands:
                  - echo post
            """, json: true)
        #expect(exhausted.log.outputLines == ["attempt", "attempt", "post"])
        #expect(exhausted.result.status == .failed)
        // The result tells the last attempt's failure.
        let result = try #require(exhausted.events.last { $0.contains("\"event\":\"result\"") })
        #expect(result.contains("\"status\":\"FAILED\",\"message\":\"Error while executing command: echo attempt; test -f tried && exit 1; touch tried; exit 3. Reason: exit status 1\""), "\(result)")

        let patterned = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: RETRY-3-connection reset
                commands:
                  - echo "disk full"; false
            """)
        #expect(patterned.log.outputLines == ["disk full"])

        let matching = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: RETRY-1-connection (reset|refused)
                commands:
                  - 'echo "error: connection refused"; false'
            """)
        #expect(matching.log.outputLines.count == 2)
    }

    /// AWS documents `RETRY-<regex>` as matched against the error message: the phase's context
    /// message (`… Reason: exit status 1`), which the command's output need not contain.
    @Test func retryPatternMatchesThePhasesErrorMessage() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: 'RETRY-2-exit status 1'
                commands:
                  - echo hi; false
            """, json: true)
        #expect(run.log.outputLines == ["hi", "hi", "hi"])
        #expect(run.result.phases.filter { $0.name == "BUILD" }.map(\.attempt) == [1, 2, 3])

        // The command's text is part of the message too; a status the pattern does not name is not retried.
        let other = try h.run("""
            version: 0.2
            phases:
              build:
                on-failure: 'RETRY-2-exit status 1$'
                commands:
                  - echo hi; exit 3
            """)
        #expect(other.log.outputLines == ["hi"])
    }

    @Test func phasesNotInTheBuildspecAreStillEnteredAndSucceed() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo only-build
            """)
        #expect(run.result.phases.map(\.name) == ["DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS"])
        #expect(run.log.contains("Phases found in YAML: 1\n"))
        #expect(run.log.contains(" BUILD: 1 commands\n"))
    }

    /// A phase with no commands (install with only runtime-versions) is named as CodeBuild
    /// names it, right after the YAML location, and still counted with 0 commands.
    @Test func aPhaseWithoutCommandsIsLoggedAsCodeBuildLogsIt() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: 18
              build:
                commands:
                  - echo built
            """, environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "SITEBUILD_RUNTIMES_FILE": ""])
        #expect(run.result.status == .succeeded, "\(run.log)")
        let lines = run.log.split(separator: "\n").map(String.init)
        let yaml = try #require(lines.firstIndex { $0.hasPrefix("[Container] ") && $0.contains("YAML location is") })
        #expect(lines[yaml + 1].hasSuffix(" No commands found for phase name: install"), "\(run.log)")
        #expect(run.log.count(of: "No commands found for phase name") == 1, "\(run.log)")
        #expect(run.log.contains(" INSTALL: 0 commands\n"))
        #expect(run.log.contains(" BUILD: 1 commands\n"))
    }
}
