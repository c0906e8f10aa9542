import BuildSpec
import Foundation
import Testing

/// A version 0.2 buildspec that uses every key of the reference (§1.2–§1.4, §4, §5).
private let fullSpec = """
version: 0.2
run-as: builder
env:
  shell: bash
  variables:
    JAVA_HOME: "/usr/lib/jvm/java-17"
    PUSH_TO_ARTIFACTORY: NO
    PATH: $PATH:/x
    ENABLED: true
    COUNT: 010
    EMPTY:
  parameter-store:
    DB_PASSWORD: /prod/db/password
    API_KEY: api-key
  secrets-manager:
    TOKEN: my-secret:token:AWSPREVIOUS:v1
    WHOLE: plain-secret
    ARN_SECRET: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app-AbCdEf:password
  exported-variables:
    - BUILD_TAG
    - IMAGE_URI
  git-credential-helper: yes
proxy:
  upload-artifacts: yes
  logs: no
batch:
  fast-fail: false
  build-list:
    - identifier: linux
      env:
        variables:
          X: 1
phases:
  install:
    run-as: root
    on-failure: RETRY-2
    runtime-versions:
      nodejs: 18
      python: latest
      ruby: "$MY_RUBY_VAR"
    commands:
      - npm ci
    finally:
      - echo install done
  pre_build:
    on-failure: CONTINUE
    commands:
      - echo pre
  build:
    on-failure: ABORT
    commands:
      - make
      - |
        set -e
        make test
      - >
        docker build
        -t app .
    finally:
      - echo cleanup
  post_build:
    on-failure: RETRY-1-connection reset.*
    commands:
      - echo post
reports:
  unit:
    files:
      - "**/*.xml"
    base-directory: build/test-results
    discard-paths: yes
    file-format: JUNITXML
  arn:aws:codebuild:us-east-1:123456789012:report-group/cov:
    files: [coverage.xml]
    file-format: COBERTURAXML
artifacts:
  name: site-$(date +%Y)
  files:
    - '**/*'
  base-directory: dist
  exclude-paths:
    - "**/*.map"
    - tmp/**/*
  discard-paths: no
  enable-symlinks: yes
  s3-prefix: builds
  secondary-artifacts:
    zeta:
      files: [z.txt]
    alpha:
      files:
        - a/**/*
      name: alpha-art
      discard-paths: yes
      base-directory: out
      exclude-paths: "*.log"
      enable-symlinks: no
      s3-prefix: second
cache:
  paths:
    - /root/.npm/**/*
    - node_modules/**/*
  key: npm-$(codebuild-hash-files package-lock.json)
  fallback-keys:
    - npm-
    - npm
  action: restore
"""

@Suite("BuildSpecParser: every key of a version 0.2 buildspec")
struct FullSpecTests {
    let spec: BuildSpec
    let warnings: [Diagnostic]

    init() throws {
        (spec, warnings) = try parseSpec(fullSpec, file: "ci/buildspec.yml")
    }

    @Test func versionRunAsAndFile() {
        #expect(spec.version == .v0_2)
        #expect(spec.runAs == "builder")
        #expect(spec.file == "ci/buildspec.yml")
        #expect(warnings.isEmpty, "unexpected warnings: \(warnings)")
    }

    @Test func envShellAndVariablesAreLiteralText() {
        #expect(spec.env.shell == .bash)
        #expect(spec.env.variables.map(\.name) == ["JAVA_HOME", "PUSH_TO_ARTIFACTORY", "PATH", "ENABLED", "COUNT", "EMPTY"])
        #expect(spec.env.variables.map(\.value) == ["/usr/lib/jvm/java-17", "NO", "$PATH:/x", "true", "010", ""])
    }

    @Test func parameterStore() {
        #expect(spec.env.parameterStore.map(\.name) == ["DB_PASSWORD", "API_KEY"])
        #expect(spec.env.parameterStore.map(\.parameter) == ["/prod/db/password", "api-key"])
    }

    @Test func secretsManagerReferences() {
        #expect(spec.env.secretsManager.map(\.name) == ["TOKEN", "WHOLE", "ARN_SECRET"])
        #expect(spec.env.secretsManager.map(\.reference) == [
            SecretReference(secretId: "my-secret", jsonKey: "token", versionStage: "AWSPREVIOUS", versionId: "v1"),
            SecretReference(secretId: "plain-secret"),
            SecretReference(secretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app-AbCdEf",
                            jsonKey: "password"),
        ])
    }

    @Test func exportedVariablesAndCredentialHelper() {
        #expect(spec.env.exportedVariables == ["BUILD_TAG", "IMAGE_URI"])
        #expect(spec.env.gitCredentialHelper == true)
    }

    @Test func proxy() throws {
        let proxy = try #require(spec.proxy)
        #expect(proxy.uploadArtifacts == true)
        #expect(proxy.logs == false)
    }

    @Test func batch() throws {
        let batch = try #require(spec.batch)
        #expect(batch.fastFail == false)
        #expect(batch.kinds == ["build-list"])
    }

    @Test func allFourPhases() {
        #expect(Set(spec.phases.keys) == Set(PhaseName.allCases))
    }

    @Test func installPhase() throws {
        let install = try #require(spec.phases[.install])
        #expect(install.runAs == "root")
        #expect(install.onFailure == .retry(count: 2, pattern: nil))
        #expect(install.runtimeVersions.map(\.name) == ["nodejs", "python", "ruby"])
        #expect(install.runtimeVersions.map(\.version) == ["18", "latest", "$MY_RUBY_VAR"])
        #expect(install.commands.map(\.text) == ["npm ci"])
        #expect(install.finally.map(\.text) == ["echo install done"])
    }

    @Test func onFailureOfEachPhase() {
        #expect(spec.phases[.preBuild]?.onFailure == .continue)
        #expect(spec.phases[.build]?.onFailure == .abort)
        #expect(spec.phases[.postBuild]?.onFailure == .retry(count: 1, pattern: "connection reset.*"))
        #expect(spec.phases[.preBuild]?.runAs == nil)
    }

    @Test func buildPhaseBlockScalars() throws {
        let build = try #require(spec.phases[.build])
        // `- |` is one command that keeps its newlines; `- >` folds into one line.
        #expect(build.commands.map(\.text) == ["make", "set -e\nmake test\n", "docker build -t app .\n"])
        #expect(build.finally.map(\.text) == ["echo cleanup"])
    }

    @Test func commandLocations() throws {
        let build = try #require(spec.phases[.build])
        let lines = fullSpec.split(separator: "\n", omittingEmptySubsequences: false)
        let makeLine = try #require(lines.firstIndex(of: "      - make")) + 1
        let locations = build.commands.map { $0.location }
        #expect(locations.map { $0?.file } == Array(repeating: "ci/buildspec.yml", count: 3))
        #expect(locations.map { $0?.line } == [makeLine, makeLine + 1, makeLine + 4])
        #expect(locations.map { $0?.column } == [9, 9, 9])
    }

    @Test func reports() throws {
        #expect(spec.reports.count == 2)
        let unit = try #require(spec.reports.first)
        #expect(unit.name == "unit")
        #expect(unit.files == ["**/*.xml"])
        #expect(unit.baseDirectory == "build/test-results")
        #expect(unit.discardPaths == true)
        #expect(unit.fileFormat == "JUNITXML")
        let coverage = try #require(spec.reports.last)
        #expect(coverage.name == "arn:aws:codebuild:us-east-1:123456789012:report-group/cov")
        #expect(coverage.files == ["coverage.xml"])
        #expect(coverage.baseDirectory == nil)
        #expect(coverage.discardPaths == false)
        #expect(coverage.fileFormat == "COBERTURAXML")
    }

    @Test func primaryArtifacts() throws {
        let artifacts = try #require(spec.artifacts)
        #expect(artifacts.name == "site-$(date +%Y)")
        #expect(artifacts.files == ["**/*"])
        #expect(artifacts.baseDirectory == "dist")
        #expect(artifacts.excludePaths == ["**/*.map", "tmp/**/*"])
        #expect(artifacts.discardPaths == false)
        #expect(artifacts.enableSymlinks == true)
        #expect(artifacts.s3Prefix == "builds")
    }

    @Test func secondaryArtifactsSortedByIdentifier() throws {
        let artifacts = try #require(spec.artifacts)
        #expect(artifacts.secondary.map(\.identifier) == ["alpha", "zeta"])
        let alpha = artifacts.secondary[0].artifacts
        #expect(alpha == Artifacts(files: ["a/**/*"], name: "alpha-art", discardPaths: true, baseDirectory: "out",
                                   excludePaths: ["*.log"], enableSymlinks: false, s3Prefix: "second"))
        #expect(artifacts.secondary[1].artifacts == Artifacts(files: ["z.txt"]))
    }

    @Test func cache() throws {
        let cache = try #require(spec.cache)
        #expect(cache.paths == ["/root/.npm/**/*", "node_modules/**/*"])
        #expect(cache.key == "npm-$(codebuild-hash-files package-lock.json)")
        #expect(cache.fallbackKeys == ["npm-", "npm"])
        #expect(cache.action == .restore)
    }
}

@Suite("BuildSpecParser: valid specs")
struct BuildSpecParserTests {
    @Test func minimalSpecHasDefaults() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - echo hi
        """)
        #expect(warnings.isEmpty)
        #expect(spec.version == .v0_2)
        #expect(spec.runAs == nil)
        #expect(spec.env == Environment())
        #expect(spec.env.shell == .sh)
        #expect(spec.env.gitCredentialHelper == false)
        #expect(spec.proxy == nil)
        #expect(spec.batch == nil)
        #expect(spec.reports.isEmpty)
        #expect(spec.artifacts == nil)
        #expect(spec.cache == nil)
        #expect(spec.file == "buildspec.yml")
        #expect(Array(spec.phases.keys) == [.build])
        #expect(spec.phases[.build]?.commands.map(\.text) == ["echo hi"])
        #expect(spec.phases[.build]?.onFailure == .default)
    }

    @Test(arguments: ["0.2", "\"0.2\"", "'0.2'"])
    func version02AsText(_ written: String) throws {
        let (spec, _) = try parseSpec("version: \(written)\nphases:\n  build:\n    commands: [make]\n")
        #expect(spec.version == .v0_2)
    }

    @Test func version01WithEnvironmentVariablesPlaintext() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.1
        environment_variables:
          plaintext:
            JAVA_HOME: /usr/lib/jvm
            FLAG: NO
        phases:
          build:
            commands:
              - echo $JAVA_HOME
        """)
        #expect(spec.version == .v0_1)
        #expect(spec.env.variables.map(\.name) == ["JAVA_HOME", "FLAG"])
        #expect(spec.env.variables.map(\.value) == ["/usr/lib/jvm", "NO"])
        #expect(warnings.isEmpty)
        #expect(spec.phases[.build]?.commands.map(\.text) == ["echo $JAVA_HOME"])
    }

    @Test func version01CodebuildPlaintextIsDroppedWithWarning() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.1
        environment_variables:
          plaintext:
            CODEBUILD_SRC_DIR: /elsewhere
            KEEP: x
          secret: nope
        phases:
          build:
            commands: [make]
        """)
        #expect(spec.env.variables.map(\.name) == ["KEEP"])
        #expect(warnings.count == 2)
        let reserved = try #require(warnings.first { $0.keyPath.hasSuffix("CODEBUILD_SRC_DIR") })
        #expect(reserved.message.contains("reserved"))
        #expect(lineColumn(reserved) == [4, 5])
        // Regression: the key path leaves out `plaintext` (errors from the same map say
        // `environment_variables.plaintext.NAME`).
        #expect(reserved.keyPath == "environment_variables.plaintext.CODEBUILD_SRC_DIR")
        let unknown = try diagnostic(warnings, keyPath: "environment_variables.secret", severity: .warning)
        #expect(lineColumn(unknown) == [6, 3])
    }

    @Test func environmentVariablesKeyIsOnlyKnownIn01() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        environment_variables:
          plaintext:
            A: b
        phases:
          build:
            commands: [make]
        """)
        #expect(spec.env.variables.isEmpty)
        let w = try diagnostic(warnings, keyPath: "environment_variables", severity: .warning)
        #expect(lineColumn(w) == [2, 1])
        #expect(w.message.contains("unknown key"))
    }

    @Test func codebuildVariablesInEnvAreWarnedAndDropped() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env:
          variables:
            A: "1"
            CODEBUILD_BUILD_ID: fake
            B: "2"
        phases:
          build:
            commands: [make]
        """)
        #expect(spec.env.variables.map(\.name) == ["A", "B"])
        #expect(spec.env.variables.map(\.value) == ["1", "2"])
        let w = try diagnostic(warnings, keyPath: "env.variables.CODEBUILD_BUILD_ID", severity: .warning)
        #expect(lineColumn(w) == [5, 5])
        #expect(w.location?.file == specFile)
        #expect(w.message.contains("CODEBUILD_"))
    }

    /// A CODEBUILD_ name CodeBuild and sitebuild do not set (`CODEBUILD_CACHE_BUCKET`, which
    /// real projects define and use) is passed through, with a short warning that the prefix is
    /// reserved; only the names sitebuild sets itself are ignored.
    @Test func ownCodebuildPrefixedVariablesArePassedThroughWithAWarning() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env:
          variables:
            CODEBUILD_CACHE_BUCKET: my-cache
            CODEBUILD_SRC_DIR_extra: /elsewhere
            CODEBUILD_RESOLVED_SOURCE_VERSION: abc
        phases:
          build:
            commands: [make]
        """)
        #expect(spec.env.variables.map(\.name) == ["CODEBUILD_CACHE_BUCKET"])
        #expect(spec.env.variables.map(\.value) == ["my-cache"])
        let kept = try diagnostic(warnings, keyPath: "env.variables.CODEBUILD_CACHE_BUCKET", severity: .warning)
        #expect(lineColumn(kept) == [4, 5])
        #expect(kept.message.contains("reserved"), "\(kept.message)")
        #expect(!kept.message.contains("ignored"), "\(kept.message)")
        for name in ["CODEBUILD_SRC_DIR_extra", "CODEBUILD_RESOLVED_SOURCE_VERSION"] {
            let dropped = try diagnostic(warnings, keyPath: "env.variables.\(name)", severity: .warning)
            #expect(dropped.message.contains("this value is ignored"), "\(dropped.message)")
        }
    }

    @Test(arguments: [
        ("NO", "NO"), ("yes", "yes"), ("off", "off"), ("~", ""), ("null", ""), ("0x1F", "0x1F"),
        ("1e3", "1e3"), ("'$HOME/bin'", "$HOME/bin"), ("\"a: b\"", "a: b"), ("$PATH:/x", "$PATH:/x"),
        ("1.10", "1.10"), ("\"\"", ""), ("'NO'", "NO"),
    ])
    func variableValuesStayLiteral(_ written: String, _ expected: String) throws {
        let (spec, _) = try parseSpec("version: 0.2\nenv:\n  variables:\n    V: \(written)\nphases:\n  build:\n    commands: [make]\n")
        #expect(spec.env.variables.map(\.value) == [expected])
    }

    @Test(arguments: [("bash", Environment.Shell.bash), ("/bin/bash", .bash), ("sh", .sh), ("/bin/sh", .sh)])
    func linuxShells(_ written: String, _ expected: Environment.Shell) throws {
        let (spec, _) = try parseSpec("version: 0.2\nenv:\n  shell: \(written)\nphases:\n  build:\n    commands: [make]\n")
        #expect(spec.env.shell == expected)
    }

    @Test func commandsKeepTheirTextLiterally() throws {
        let (spec, _) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - "echo \\"a: b\\" # not a comment"
              - 'echo x: y'
              - echo $HOME && ls -la | grep foo
              - NO
              - 1.0
              - |2
                  indented
                second
              - |-
                no trailing newline
              - >-
                folded
                stripped

                paragraph
        """)
        #expect(spec.phases[.build]?.commands.map(\.text) == [
            "echo \"a: b\" # not a comment",
            "echo x: y",
            "echo $HOME && ls -la | grep foo",
            "NO",
            "1.0",
            "  indented\nsecond\n",
            "no trailing newline",
            "folded stripped\nparagraph",
        ])
    }

    @Test func anchorsAndAliasesAreResolved() throws {
        let (spec, _) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: &steps
              - make
              - make test
          post_build:
            commands: *steps
        """)
        #expect(spec.phases[.postBuild]?.commands.map(\.text) == ["make", "make test"])
    }

    /// YAML merge keys, as YAML 1.1 loaders read them: the mapping's own keys win, then the
    /// merged mappings' in the order listed.
    @Test func mergeKeysAreApplied() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        x-defaults: &defaults
          on-failure: CONTINUE
          commands: [echo default]
        x-more: &more
          finally: [echo finally]
          on-failure: ABORT
        phases:
          build:
            <<: *defaults
          post_build:
            <<: [*more, *defaults]
            commands: [echo own]
        """)
        #expect(spec.phases[.build]?.commands.map(\.text) == ["echo default"])
        #expect(spec.phases[.build]?.onFailure == .continue)
        #expect(spec.phases[.postBuild]?.commands.map(\.text) == ["echo own"])
        #expect(spec.phases[.postBuild]?.finally.map(\.text) == ["echo finally"])
        #expect(spec.phases[.postBuild]?.onFailure == .abort)
        #expect(!warnings.contains { $0.message.contains("'<<'") }, "\(warnings)")
        // A merge key naming something other than mappings is an error at its place.
        #expect(throws: BuildSpecError.self) { try parseSpec("version: 0.2\nphases:\n  build:\n    <<: [a, b]\n    commands: [x]\n") }
    }

    @Test func installMayHaveNoCommandsWithoutWarning() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          install:
            runtime-versions:
              java: corretto17
          build:
            commands: [make]
        """)
        #expect(warnings.isEmpty)
        #expect(spec.phases[.install]?.commands.isEmpty == true)
        #expect(spec.phases[.install]?.runtimeVersions.map(\.name) == ["java"])
    }

    @Test func emptyPhaseParses() throws {
        let (spec, _) = try parseSpec("version: 0.2\nphases:\n  install:\n  build:\n    commands: [make]\n")
        #expect(spec.phases[.install] == Phase())
    }

    @Test func phaseWithoutCommandsIsAWarning() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            run-as: nobody
        """)
        #expect(spec.phases[.build]?.runAs == "nobody")
        let w = try diagnostic(warnings, keyPath: "phases.build.commands", severity: .warning)
        #expect(w.message.contains("no commands"))
    }

    /// Regression: `node: 18` (CodeBuild's name is `nodejs`) passed validate without a word, and
    /// CodeBuild fails such a build ("Unknown runtime named 'node'"). Its runtime names are a
    /// closed set: any other is warned about at its key, with the name it may mean.
    @Test func anUnknownRuntimeNameIsWarnedAboutWithTheNameItMayMean() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          install:
            runtime-versions:
              node: 18
              nodejs: 20
              python3: 3.12
              go: 1.22
              dotnetcore: 8.0
              cobol: 85
          build:
            commands: [make]
        """)
        #expect(spec.phases[.install]?.runtimeVersions.map(\.name) == ["node", "nodejs", "python3", "go", "dotnetcore", "cobol"])
        let node = try diagnostic(warnings, keyPath: "phases.install.runtime-versions.node", severity: .warning)
        #expect(lineColumn(node) == [5, 7])
        #expect(node.message == "'node' is not a runtime name CodeBuild knows (android, docker, dotnet, golang, java, nodejs, php, python, "
            + "ruby and rust): CodeBuild fails the build (\"Unknown runtime named 'node'\"); did you mean 'nodejs'?", "\(node)")
        #expect(!warnings.contains { $0.keyPath == "phases.install.runtime-versions.nodejs" })
        for (name, meant) in [("python3", "python"), ("go", "golang"), ("dotnetcore", "dotnet")] {
            let d = try diagnostic(warnings, keyPath: "phases.install.runtime-versions.\(name)", severity: .warning)
            #expect(d.message.hasSuffix("did you mean '\(meant)'?"), "\(d)")
        }
        let cobol = try diagnostic(warnings, keyPath: "phases.install.runtime-versions.cobol", severity: .warning)
        #expect(!cobol.message.contains("did you mean"))
        #expect(warnings.count == 5)
        #expect(RuntimeCatalog.suggestion(for: "NodeJS") == "nodejs")
        #expect(RuntimeCatalog.suggestion(for: "node18") == "nodejs")
        #expect(RuntimeCatalog.suggestion(for: "pyhton") == "python")
    }

    @Test func runtimeVersionsOutsideInstallAreIgnoredWithWarning() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            runtime-versions:
              nodejs: 18
            commands: [make]
        """)
        #expect(spec.phases[.build]?.runtimeVersions.isEmpty == true)
        let w = try diagnostic(warnings, keyPath: "phases.build.runtime-versions", severity: .warning)
        #expect(lineColumn(w) == [5, 7])
    }

    @Test func unknownKeysAreWarningsWithHints() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        envv:
          variables:
            A: b
        phases:
          build:
            command:
              - make
            commands:
              - make all
        artifacts:
          files: ['**/*']
          discard-path: yes
        cache:
          paths: [x/**/*]
          keys: k
        proxy:
          log: yes
        """)
        #expect(warnings.allSatisfy { $0.severity == .warning })
        #expect(spec.phases[.build]?.commands.map(\.text) == ["make all"])
        #expect(spec.artifacts?.discardPaths == false)
        #expect(spec.cache?.key == nil)
        let top = try diagnostic(warnings, keyPath: "envv", severity: .warning)
        #expect(lineColumn(top) == [2, 1])
        #expect(top.message.contains("did you mean 'env'?"))
        let phaseKey = try diagnostic(warnings, keyPath: "phases.build.command", severity: .warning)
        #expect(lineColumn(phaseKey) == [7, 5])
        #expect(phaseKey.message.contains("did you mean 'commands'?"))
        let artifactKey = try diagnostic(warnings, keyPath: "artifacts.discard-path", severity: .warning)
        #expect(artifactKey.message.contains("did you mean 'discard-paths'?"))
        let cacheKey = try diagnostic(warnings, keyPath: "cache.keys", severity: .warning)
        #expect(cacheKey.message.contains("did you mean 'key'?"))
        _ = try diagnostic(warnings, keyPath: "proxy.log", severity: .warning)
        #expect(warnings.count == 5)
    }

    @Test func unknownKeyFarFromAnyKnownKeyHasNoHint() throws {
        let (_, warnings) = try parseSpec("version: 0.2\nsomething-else: 1\nphases:\n  build:\n    commands: [make]\n")
        let w = try diagnostic(warnings, keyPath: "something-else", severity: .warning)
        #expect(!w.message.contains("did you mean"))
        #expect(w.description == "buildspec.yml:2:1: warning: something-else: unknown key 'something-else' is ignored")
    }

    @Test func artifactsDefaultsAndScalarExcludePaths() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files:
            - ./dist/index.html
          exclude-paths: "**/*.tmp"
        """)
        let artifacts = try #require(spec.artifacts)
        #expect(artifacts.files == ["./dist/index.html"])
        #expect(artifacts.excludePaths == ["**/*.tmp"])
        #expect(artifacts.name == nil)
        #expect(artifacts.baseDirectory == nil)
        #expect(artifacts.discardPaths == false)
        #expect(artifacts.enableSymlinks == false)
        #expect(artifacts.s3Prefix == nil)
        #expect(artifacts.secondary.isEmpty)
        let w = try diagnostic(warnings, keyPath: "artifacts.files[0]", severity: .warning)
        #expect(w.message.contains("./"))
    }

    /// A single value where a list is expected is a list of one item, as CodeBuild reads it:
    /// AWS's ECS CodePipeline tutorial writes `files: imagedefinitions.json`.
    @Test func aSingleValueIsAListOfOneItem() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env:
          exported-variables: IMAGE_TAG
        phases:
          build:
            commands: npm ci
            finally: echo done
          post_build:
            commands: |
              set -e
              make test
        reports:
          unit:
            files: junit.xml
        artifacts:
          files: imagedefinitions.json
          secondary-artifacts:
            docs:
              files: docs/**/*
        cache:
          paths: node_modules/**/*
          key: deps
          fallback-keys: deps-
        """)
        // A command list given as one value is warned about (CodeBuild expects a list); others are not.
        #expect(warnings.map(\.keyPath) == ["phases.build.commands", "phases.build.finally", "phases.post_build.commands"], "\(warnings)")
        #expect(spec.env.exportedVariables == ["IMAGE_TAG"])
        #expect(spec.phases[.build]?.commands.map(\.text) == ["npm ci"])
        #expect(spec.phases[.build]?.commands.first?.location == SourceLocation(file: specFile, line: 6, column: 15))
        #expect(spec.phases[.build]?.finally.map(\.text) == ["echo done"])
        #expect(spec.phases[.postBuild]?.commands.map(\.text) == ["set -e\nmake test\n"])
        #expect(spec.reports.first?.files == ["junit.xml"])
        #expect(spec.artifacts?.files == ["imagedefinitions.json"])
        #expect(spec.artifacts?.secondary.first?.artifacts.files == ["docs/**/*"])
        #expect(spec.cache?.paths == ["node_modules/**/*"])
        #expect(spec.cache?.fallbackKeys == ["deps-"])
    }

    /// Regression: `commands: npm run build` ran as one command without a word, and
    /// `commands:` followed by `-echo install` (no space after the dash) ran `-echo install` as
    /// one command, which fails; CodeBuild's reference expects a list. Now both are warned about
    /// where they are written, the second saying the space is missing.
    @Test func aSingleCommandValueIsWarnedAbout() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          install:
            commands:
              -echo install
              -npm ci
          build:
            commands: npm run build
          post_build:
            commands:
              -echo done
        """)
        #expect(spec.phases[.install]?.commands.map(\.text) == ["-echo install -npm ci"])
        #expect(spec.phases[.build]?.commands.map(\.text) == ["npm run build"])
        let build = try diagnostic(warnings, keyPath: "phases.build.commands", severity: .warning)
        #expect(lineColumn(build) == [8, 15])
        #expect(build.description == "buildspec.yml:8:15: warning: phases.build.commands: phases.build.commands is a single value, not a list: "
            + "it runs as one command, `npm run build`; CodeBuild expects a list of commands, one item each (`- npm run build`)")
        let install = try diagnostic(warnings, keyPath: "phases.install.commands", severity: .warning)
        #expect(lineColumn(install) == [5, 7])
        #expect(install.message == "phases.install.commands is not a list: '-echo install' is missing the space after '-' that makes it "
            + "a list item (write `- echo install`). As written it is one value, run as one command, `-echo install -npm ci` "
            + "(YAML joins the lines), which fails", "\(install)")
        let post = try diagnostic(warnings, keyPath: "phases.post_build.commands", severity: .warning)
        #expect(post.message.contains("'-echo done' is missing the space after '-'"), "\(post)")
        #expect(post.message.contains("run as one command, `-echo done`, which fails"), "\(post)")
        // A list, and no value at all, are not warned about.
        let (_, clean) = try parseSpec("version: 0.2\nphases:\n  build:\n    commands:\n      - npm run build\n  post_build:\n    commands:\n")
        #expect(clean.isEmpty, "\(clean)")
    }

    @Test(arguments: [("yes", true), ("no", false), ("true", true), ("false", false), ("YES", true), ("No", false), ("on", true), ("off", false)])
    func booleans(_ written: String, _ expected: Bool) throws {
        let (spec, _) = try parseSpec("""
        version: 0.2
        env:
          git-credential-helper: \(written)
        proxy:
          logs: \(written)
        phases:
          build:
            commands: [make]
        artifacts:
          files: ['**/*']
          discard-paths: \(written)
          enable-symlinks: \(written)
        """)
        #expect(spec.env.gitCredentialHelper == expected)
        #expect(spec.proxy?.logs == expected)
        #expect(spec.proxy?.uploadArtifacts == false)
        #expect(spec.artifacts?.discardPaths == expected)
        #expect(spec.artifacts?.enableSymlinks == expected)
    }

    @Test func reportDefaultsToJUnit() throws {
        let (spec, _) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        reports:
          tests:
            files: ['reports/*.xml']
        """)
        let report = try #require(spec.reports.first)
        #expect(spec.reports.count == 1)
        #expect(report.name == "tests")
        #expect(report.files == ["reports/*.xml"])
        #expect(report.baseDirectory == nil)
        #expect(report.discardPaths == false)
        #expect(report.fileFormat == "JUNITXML")
    }

    /// Report formats are matched in any case, as CodeBuild matches them: the AWS console's
    /// default template writes `JunitXml`.
    @Test(arguments: [("JunitXml", "JUNITXML"), ("junitxml", "JUNITXML"), ("CoberturaXml", "COBERTURAXML"), ("SimpleCov", "SIMPLECOV")])
    func reportFormatsAreMatchedInAnyCase(_ written: String, _ expected: String) throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        reports:
          tests:
            files: ['reports/*.xml']
            file-format: \(written)
        """)
        #expect(warnings.isEmpty)
        #expect(spec.reports.first?.fileFormat == expected)
    }

    @Test func cacheDefaults() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          paths:
            - '/root/.m2/**/*'
        """)
        #expect(warnings.isEmpty)
        #expect(spec.cache == Cache(paths: ["/root/.m2/**/*"]))
        #expect(spec.cache?.action == .both)
        #expect(spec.cache?.fallbackKeys == [])
    }

    @Test(arguments: [("save", Cache.Action.save), ("restore", .restore), ("SAVE", .save)])
    func cacheActions(_ written: String, _ expected: Cache.Action) throws {
        let (spec, _) = try parseSpec("version: 0.2\nphases:\n  build:\n    commands: [make]\ncache:\n  paths: [a/**/*]\n  action: \(written)\n")
        #expect(spec.cache?.action == expected)
    }

    @Test func fallbackKeysWithoutKeyWarn() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          paths: [a/**/*]
          fallback-keys: [npm-]
        """)
        #expect(spec.cache?.fallbackKeys == ["npm-"])
        let w = try diagnostic(warnings, keyPath: "cache.fallback-keys", severity: .warning)
        #expect(lineColumn(w) == [7, 18])
    }

    @Test func batchKinds() throws {
        let (spec, _) = try parseSpec("""
        version: 0.2
        batch:
          build-graph:
            - identifier: a
          build-matrix:
            static: {}
          build-fanout:
            parallelism: 2
        phases:
          build:
            commands: [make]
        """)
        #expect(spec.batch?.fastFail == nil)
        #expect(spec.batch?.kinds == ["build-matrix", "build-graph", "build-fanout"])
    }

    @Test func parseContentsOfFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("buildspec-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("buildspec.yml").path
        try "version: 0.2\nphases:\n  build:\n    commands: [make]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (spec, _) = try BuildSpecParser.parse(contentsOf: path)
        #expect(spec.file == path)
        #expect(spec.phases[.build]?.commands.first?.location?.file == path)

        let missing = dir.appendingPathComponent("nope.yml").path
        let error = try #require(throws: BuildSpecError.self) { try BuildSpecParser.parse(contentsOf: missing) }
        #expect(error.errors.count == 1)
        #expect(error.errors[0].message.contains(missing))
        #expect(error.errors[0].message.contains("does not exist"))

        let binary = dir.appendingPathComponent("binary.yml").path
        #expect(FileManager.default.createFile(atPath: binary, contents: Data([0x76, 0xFF, 0xFE, 0x00])))
        let notText = try #require(throws: BuildSpecError.self) { try BuildSpecParser.parse(contentsOf: binary) }
        #expect(notText.errors.first?.message.contains("UTF-8") == true)
    }

    /// Bytes that are not UTF-8 (a file saved as Latin-1) are reported where the first one
    /// is, not at 1:1; so is a character YAML does not allow.
    @Test func invalidBytesAreReportedWhereTheyAre() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("buildspec-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("buildspec.yml").path
        let head = Array("version: 0.2\nphases:\n  build:\n    commands:\n      - echo café ".utf8)
        for (bytes, at) in [(head + [0xFF] + Array(" ok\n".utf8), [5, 19]),          // not UTF-8 at all
                            (head + [0xC3, 0x28] + Array("\n".utf8), [5, 19]),       // a lead byte without its continuation
                            (head + [0xED, 0xA0, 0x80] + Array("\n".utf8), [5, 19]), // an encoded surrogate
                            (Array("version: 0.2\r\nphases:\r\n".utf8) + [0xE9], [3, 1]),
                            (head + Array("a\u{7}b\n".utf8), [5, 20])] {                // BEL: a character YAML refuses
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let error = try #require(throws: BuildSpecError.self) { try BuildSpecParser.parse(contentsOf: path) }
            #expect(error.errors.count == 1)
            let d = try #require(error.errors.first)
            #expect(d.location.map { [$0.line, $0.column] } == at, "\(d)")
        }
    }
}

@Suite("SecretReference parsing")
struct SecretReferenceTests {
    @Test(arguments: [
        ("my-secret", SecretReference(secretId: "my-secret")),
        ("my-secret:password", SecretReference(secretId: "my-secret", jsonKey: "password")),
        ("my-secret::AWSPREVIOUS", SecretReference(secretId: "my-secret", versionStage: "AWSPREVIOUS")),
        ("my-secret:::1234-abcd", SecretReference(secretId: "my-secret", versionId: "1234-abcd")),
        ("my-secret:key:AWSCURRENT:v9", SecretReference(secretId: "my-secret", jsonKey: "key", versionStage: "AWSCURRENT", versionId: "v9")),
        ("prod/db:user", SecretReference(secretId: "prod/db", jsonKey: "user")),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
         SecretReference(secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf")),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf:password",
         SecretReference(secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", jsonKey: "password")),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf:password:AWSPENDING:v2",
         SecretReference(secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
                         jsonKey: "password", versionStage: "AWSPENDING", versionId: "v2")),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf:::v3",
         SecretReference(secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", versionId: "v3")),
    ])
    func parsing(_ text: String, _ expected: SecretReference) {
        #expect(SecretReference(parsing: text) == expected)
    }

    @Test func emptySecretIdIsAnError() throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          secrets-manager:
            TOKEN: ":key"
        phases:
          build:
            commands: [make]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "env.secrets-manager.TOKEN")
        #expect(lineColumn(d) == [4, 12])
        #expect(d.message.contains("secret id"))
    }
}

/// The image's runtime catalog read and matched as CodeBuild matches `runtime-versions`.
@Suite struct RuntimeCatalogTests {
    let catalog = try! RuntimeCatalog(yaml: """
        version: 0.1
        runtimes:
          golang:
            versions:
              1.20:
                commands: [goenv global 1.20.14]
              1.9:
                commands: [goenv global 1.9.7]
          java:
            versions:
              corretto8: {commands: [echo 8]}
              corretto17: {commands: [echo 17]}
              corretto11: {commands: [echo 11]}
          nodejs:
            versions:
              18: {commands: [n 18]}
              20: {commands: [n 20]}
        """)

    func picked(_ name: String, _ version: String) -> String? {
        if case .version(let v) = catalog.select(name, version) { return v.name }
        return nil
    }

    @Test func versionsAreMatchedAsWrittenByPrefixOrAsTheLatest() {
        // Keys stay as written: `1.20` is not the number 1.2.
        #expect(catalog.runtimes.first?.versions.map(\.name) == ["1.20", "1.9"])
        #expect(picked("golang", "1.20") == "1.20")
        #expect(picked("golang", "1.x") == "1.20", "1.20 is above 1.9")
        #expect(picked("golang", "latest") == "1.20")
        #expect(picked("java", "latest") == "corretto17")
        #expect(picked("java", "corretto11.x") == "corretto11")
        #expect(picked("nodejs", "18.x") == "18")
        #expect(picked("nodejs", " 20 ") == "20")
        #expect(catalog.select("nodejs", "16") == .unknownVersion(available: ["18", "20"]))
        #expect(catalog.select("nodejs", "1.x") == .unknownVersion(available: ["18", "20"]))
        #expect(catalog.select("ruby", "3.2") == .unknownRuntime(available: ["golang", "java", "nodejs"]))
    }

    @Test func aCatalogWithoutRuntimesIsRefused() {
        #expect(throws: RuntimeCatalog.FormatError.self) { try RuntimeCatalog(yaml: "version: 0.1\n") }
        #expect(throws: RuntimeCatalog.FormatError.self) { try RuntimeCatalog(yaml: "runtimes:\n  nodejs: 18\n") }
    }
}
