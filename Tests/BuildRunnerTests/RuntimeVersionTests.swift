import BuildRunner
import BuildSpec
import Foundation
import Testing

/// `runtime-versions` switched by the image's runtime catalog, as CodeBuild switches them in
/// its standard images.
@Suite struct RuntimeVersionTests {
    static let catalog = """
        version: 0.1
        runtimes:
          nodejs:
            versions:
              18:
                commands:
                  - echo "Installing Node.js version 18 ..."
                  - export PICKED_NODE=18
              20:
                commands:
                  - echo "Installing Node.js version 20 ..."
                  - export PICKED_NODE=20
          python:
            versions:
              3.9:
                commands:
                  - export PICKED_PYTHON=3.9
              3.11:
                commands:
                  - export PICKED_PYTHON=3.11
          broken:
            versions:
              1:
                commands:
                  - exit 7
        """

    func environment(_ h: BuildHarness) throws -> [String: String] {
        try h.write(h.root + "/runtimes.yml", Self.catalog)
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_RUNTIMES_FILE"] = h.root + "/runtimes.yml"
        return env
    }

    /// The selected versions' commands run in DOWNLOAD_SOURCE, right after the selection, in
    /// the build's shell: what they export holds in every phase.
    @Test func theCatalogsCommandsRunAndTheirVariablesHold() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: latest
                  python: 3.x
              build:
                commands:
                  - echo "node=$PICKED_NODE python=$PICKED_PYTHON"
            """, environment: try environment(h))
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.contains("node=20 python=3.11"), "\(run.log)")
        #expect(run.log.contains("Installing Node.js version 20 ..."))
        #expect(!run.log.contains("are not switched"))
        let selecting = try #require(run.log.range(of: "Selecting 'nodejs' runtime version 'latest' based on manual selections..."))
        let command = try #require(run.log.range(of: "Running command echo \"Installing Node.js version 20 ...\""))
        let sourceDone = try #require(run.log.range(of: "Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED"))
        #expect(selecting.upperBound < command.lowerBound && command.upperBound < sourceDone.lowerBound)
    }

    /// A runtime or version the image does not have fails the build in DOWNLOAD_SOURCE with
    /// CodeBuild's YAML_FILE_ERROR and message; no phase runs.
    @Test func anUnknownVersionOrRuntimeFailsAsCodeBuildFailsIt() throws {
        let h = try BuildHarness()
        let env = try environment(h)
        for (entry, message) in [("nodejs: 16", "Unknown runtime version named '16' of nodejs. This build image has the following versions: 18, 20"),
                                 ("nodejss: 18", "Unknown runtime named 'nodejss'. This build image has the following runtimes: nodejs, python, broken")] {
            let run = try h.run("""
                version: 0.2
                phases:
                  install:
                    runtime-versions:
                      \(entry)
                    commands:
                      - echo installing
                """, environment: env)
            #expect(run.result.status == .fault)
            #expect(run.log.contains("Phase context status code: YAML_FILE_ERROR Message: \(message)"), "\(run.log)")
            #expect(run.phase("DOWNLOAD_SOURCE")?.contextCode == "YAML_FILE_ERROR")
            #expect(!run.ran("INSTALL") && !run.log.contains("installing\n"))
        }
    }

    /// A selection command that fails fails DOWNLOAD_SOURCE as a failed command.
    @Test func aFailingSelectionCommandFailsTheBuild() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  broken: 1
            """, environment: try environment(h))
        #expect(run.result.status == .fault)
        #expect(run.log.contains("Command did not exit successfully exit 7 exit status 7"))
        #expect(run.phase("DOWNLOAD_SOURCE")?.contextCode == "COMMAND_EXECUTION_ERROR")
    }

    /// Without a catalog the selection is logged and the tools on PATH are used, with a warning
    /// that says so; a SITEBUILD_RUNTIMES_FILE that cannot be read is bad input.
    @Test func withoutACatalogTheToolsOnPathAreUsed() throws {
        let h = try BuildHarness()
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_RUNTIMES_FILE"] = nil
        let spec = """
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: 20
                commands:
                  - echo "picked=${PICKED_NODE:-none}"
            """
        if !FileManager.default.fileExists(atPath: RuntimeCatalog.imagePath) {
            let run = try h.run(spec, environment: env)
            #expect(run.result.status == .succeeded)
            #expect(run.log.contains("picked=none"))
            #expect(run.log.contains("runtime-versions are not switched: this machine has no CodeBuild runtime catalog"))
        }
        env["SITEBUILD_RUNTIMES_FILE"] = h.root + "/missing.yml"
        let missing = try h.run(spec, environment: env)
        #expect(missing.result.status == .fault)
        #expect(missing.log.contains("SITEBUILD_RUNTIMES_FILE: cannot read"))
    }
}
