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
        #expect(!run.log.contains("runtime-versions asks") && !run.log.contains("runtime-versions: "))
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

    /// A SITEBUILD_RUNTIMES_FILE that cannot be read is bad input.
    @Test func anUnreadableRuntimesFileIsBadInput() throws {
        let h = try BuildHarness()
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_RUNTIMES_FILE"] = h.root + "/missing.yml"
        let missing = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: 20
                commands:
                  - echo installing
            """, environment: env)
        #expect(missing.result.status == .fault)
        #expect(missing.log.contains("SITEBUILD_RUNTIMES_FILE: cannot read"))
    }

    /// Without a catalog nothing is switched and the build runs with the tools on PATH: one
    /// line says which requested versions the installed ones meet (the installed python3's
    /// version, read here), and a warning names each that is not met (nodejs 1, whether or not
    /// this machine has a node).
    @Test func withoutACatalogTheInstalledVersionsAreComparedWithTheRequestedOnes() throws {
        guard !FileManager.default.fileExists(atPath: RuntimeCatalog.imagePath) else { return }
        let h = try BuildHarness()
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_RUNTIMES_FILE"] = nil
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "--version"]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        let said = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        python.waitUntilExit()
        // `Python 3.11.7` → asks `3.11`.
        let installed = try #require(said.split(separator: " ").last.map(String.init), "\(said)")
        let asked = installed.split(separator: ".").prefix(2).joined(separator: ".")
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  python: \(asked)
                  nodejs: 1
                commands:
                  - echo "picked=${PICKED_NODE:-none}"
            """, environment: env)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.contains("picked=none"))
        #expect(run.log.contains("runtime-versions: python \(asked) → \(said) here\n"), "\(run.log)")
        let warning = try #require(run.log.split(separator: "\n").map(String.init).first { $0.contains("Warning: runtime-versions asks nodejs 1") },
                                   "\(run.log)")
        #expect(warning.contains("asks nodejs 1, this machine has "))
        #expect(warning.hasSuffix(" install nodejs 1 or use a CodeBuild image"), "\(warning)")
        #expect(!run.log.contains("asks python"))
        #expect(run.log.count(of: "runtime-versions: ") == 1)
        #expect(!run.log.contains("are not switched"))
    }

    /// Each runtime's tool is asked as the build would run it (first on the build's PATH):
    /// versions met are said on one line, each other case gets a warning of its own: a version
    /// not met, a tool that fails or never answers (stopped), a runtime not installed; a
    /// runtime sitebuild cannot read is said to be unchecked.
    @Test func eachRequestedRuntimeIsMetWarnedOrUnchecked() throws {
        guard !FileManager.default.fileExists(atPath: RuntimeCatalog.imagePath) else { return }
        let h = try BuildHarness()
        let bin = h.root + "/bin"
        try h.write(bin + "/node", "#!/bin/sh\necho v18.20.4\n", executable: true)
        try h.write(bin + "/python3", "#!/bin/sh\necho Python 3.11.7\n", executable: true)
        try h.write(bin + "/java", """
            #!/bin/sh
            echo 'Picked up JAVA_TOOL_OPTIONS: -Xmx2g' >&2
            echo 'openjdk version "1.8.0_392"' >&2
            echo 'OpenJDK Runtime Environment Corretto-8.392.08.1 (build 1.8.0_392-b08)' >&2
            """, executable: true)
        try h.write(bin + "/ruby", "#!/bin/sh\necho 'ruby 3.2.2 (2023-03-30 revision e51014f9c0) [x86_64-linux]'\n", executable: true)
        try h.write(bin + "/go", "#!/bin/sh\necho 'go: cannot find GOROOT directory' >&2\nexit 2\n", executable: true)
        try h.write(bin + "/dotnet", "#!/bin/sh\nexec /bin/sleep 60\n", executable: true)
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_RUNTIMES_FILE"] = nil
        env["PATH"] = bin
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: 20
                  java: corretto8
                  python: 3.x
                  ruby: latest
                  golang: 1.21
                  dotnet: 8.0
                  php: 8.2
                  android: 29
              build:
                commands:
                  - echo built
            """, environment: env)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.contains("built\n"))
        #expect(run.log.contains("runtime-versions: java corretto8 → openjdk version \"1.8.0_392\" here; python 3.x → Python 3.11.7 here; "
            + "ruby latest → ruby 3.2.2 here; android 29 not checked (sitebuild reads the installed version of "
            + "nodejs, python, java, golang, ruby, php, dotnet)\n"), "\(run.log)")
        #expect(run.log.contains("Warning: runtime-versions asks nodejs 20, this machine has node v18.20.4: the build runs with it; "
            + "install nodejs 20 or use a CodeBuild image\n"), "\(run.log)")
        #expect(run.log.contains("Warning: runtime-versions asks golang 1.21; `go version` did not tell which version this machine has "
            + "(exit status 2: go: cannot find GOROOT directory): the build runs with the go on PATH; install golang 1.21 or use a CodeBuild image\n"))
        #expect(run.log.contains("Warning: runtime-versions asks dotnet 8.0; `dotnet --version` did not tell which version this machine has "
            + "(it did not answer in 5 s)"))
        #expect(run.log.contains("Warning: runtime-versions asks php 8.2, this machine has no php on PATH: install php 8.2 or use a CodeBuild image\n"))
        #expect(run.log.count(of: "Warning: runtime-versions") == 4)
    }

    /// The tools are asked in the source directory, where the build's commands start: a version
    /// manager's shim there answers with the version its file in the project chooses
    /// (`.python-version`), the one the build gets.
    @Test func theInstalledVersionIsReadInTheSourceDirectory() throws {
        guard !FileManager.default.fileExists(atPath: RuntimeCatalog.imagePath) else { return }
        let h = try BuildHarness()
        let bin = h.root + "/bin"
        // A shim as pyenv's: the project's file decides, else the global version.
        try h.write(bin + "/python3", "#!/bin/sh\nif [ -f .python-version ]; then read v < .python-version; echo \"Python $v\"; else echo Python 3.9.1; fi\n",
                    executable: true)
        try h.write(".python-version", "3.12.4")
        var env = ProcessInfo.processInfo.environment
        env["SITEBUILD_RUNTIMES_FILE"] = nil
        env["PATH"] = bin
        let run = try h.run("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  python: 3.12
              build:
                commands:
                  - echo built
            """, environment: env)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.contains("runtime-versions: python 3.12 → Python 3.12.4 here\n"), "\(run.log)")
        #expect(!run.log.contains("Warning: runtime-versions"), "\(run.log)")
    }
}
