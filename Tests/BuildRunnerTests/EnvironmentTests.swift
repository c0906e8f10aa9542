@testable import BuildRunner
import BuildSpec
import Foundation
import SiteContent
import Testing

@Suite struct EnvironmentTests {
    @Test func referencesInParameterNamesAreExpanded() {
        let env = ["A": "/app", "B_2": "x"]
        #expect(BuildEngine.expandReferences("$A/user", in: env) == ("/app/user", []))
        #expect(BuildEngine.expandReferences("${A}-${B_2}", in: env) == ("/app-x", []))
        #expect(BuildEngine.expandReferences("/plain/name", in: env) == ("/plain/name", []))
        #expect(BuildEngine.expandReferences("cost$ $5 ${", in: env) == ("cost$ $5 ${", []))
        #expect(BuildEngine.expandReferences("$MISSING/x", in: env) == ("/x", ["MISSING"]))
    }

    @Test func codeBuildVariablesArePresent() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "src=$CODEBUILD_SRC_DIR"
                  - echo "id=$CODEBUILD_BUILD_ID"
                  - echo "arn=$CODEBUILD_BUILD_ARN"
                  - echo "number=$CODEBUILD_BUILD_NUMBER"
                  - echo "start=$CODEBUILD_START_TIME"
                  - echo "local=$CODEBUILD_LOCAL_BUILD succeeding=$CODEBUILD_BUILD_SUCCEEDING initiator=${CODEBUILD_INITIATOR:+set}"
                  - echo "pwd=$PWD"
            """, environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "USER": "tester"])
        let lines = run.log.outputLines
        #expect(lines.contains("src=\(h.source)"))
        #expect(lines.contains("pwd=\(h.source)"))
        let id = try #require(lines.first { $0.hasPrefix("id=") })
        #expect(id.range(of: #"^id=test:[0-9a-f-]{36}$"#, options: .regularExpression) != nil)
        #expect(lines.contains { $0.hasPrefix("arn=arn:aws:codebuild:us-east-1:000000000000:build/test:") })
        #expect(lines.contains("number=1"))
        let start = try #require(lines.first { $0.hasPrefix("start=") })
        #expect(start.range(of: #"^start=\d{13}$"#, options: .regularExpression) != nil)
        #expect(lines.contains("local=true succeeding=1 initiator=set"))
        #expect(run.result.buildId.hasPrefix("test:"))
        #expect(lines.contains("arn=\(run.result.buildArn ?? "nil")"))
        #expect(run.log.contains("Running on sitebuild (local build)"))

        let second = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - echo number=$CODEBUILD_BUILD_NUMBER\n")
        #expect(second.log.outputLines.contains("number=2"))
    }

    /// A buildspec's own CODEBUILD_ variable (alltheplaces' `CODEBUILD_CACHE_BUCKET`) reaches
    /// the commands; one sitebuild sets itself keeps sitebuild's value. Every CODEBUILD_ name a
    /// local build sets is one the parser ignores in env.variables.
    @Test func ownCodebuildPrefixedVariablesReachTheCommands() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                CODEBUILD_CACHE_BUCKET: my-cache
                CODEBUILD_BUILD_NUMBER: "999"
            phases:
              build:
                commands:
                  - echo "bucket=$CODEBUILD_CACHE_BUCKET number=$CODEBUILD_BUILD_NUMBER"
                  - env | sed -n 's/^\\(CODEBUILD_[A-Z_]*\\)=.*/name=\\1/p'
            """, environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "USER": "tester"])
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.log.outputLines.contains("bucket=my-cache number=1"), "\(run.log)")
        let names = run.log.outputLines.filter { $0.hasPrefix("name=") }.map { String($0.dropFirst(5)) }
        #expect(names.contains("CODEBUILD_SRC_DIR"))
        for name in names where name != "CODEBUILD_CACHE_BUCKET" {
            let (spec, _) = try BuildSpecParser.parse("version: 0.2\nenv:\n  variables:\n    \(name): x\nphases:\n  build:\n    commands: [make]\n",
                                                      file: "buildspec.yml")
            #expect(spec.env.variables.isEmpty, "\(name) is set by sitebuild, but the parser lets a buildspec set it")
        }
    }

    /// A git, ZIP or S3 source is fetched before the engine runs: as in CodeBuild, the fetch is
    /// part of DOWNLOAD_SOURCE, of the build's duration and of its start time.
    @Test func sourceFetchTimeCountsInTheBuild() throws {
        let h = try BuildHarness()
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let run = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"start=$CODEBUILD_START_TIME\"\n",
                            environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"], timeUsedBeforeBuild: .seconds(90))
        #expect(run.result.status == .succeeded)
        #expect(run.result.durationMilliseconds >= 90_000)
        #expect(try #require(run.phase("DOWNLOAD_SOURCE")).durationMilliseconds >= 90_000)
        let start = try #require(run.log.outputLines.first { $0.hasPrefix("start=") }.flatMap { Int64($0.dropFirst(6)) })
        #expect(start <= before - 90_000 + 1_000)
    }

    /// Inside a real CodeBuild build, its identity and its start time are kept; the source
    /// directory and the build's success flag are this build's.
    @Test func insideCodeBuildItsIdentityAndStartTimeAreKept() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "id=$CODEBUILD_BUILD_ID number=$CODEBUILD_BUILD_NUMBER start=$CODEBUILD_START_TIME"
                  - echo "src=$CODEBUILD_SRC_DIR local=${CODEBUILD_LOCAL_BUILD-unset}"
            """, environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "CODEBUILD_BUILD_ID": "site:7f0c", "CODEBUILD_BUILD_NUMBER": "41",
                               "CODEBUILD_START_TIME": "1764320000000", "CODEBUILD_SRC_DIR": "/codebuild/output/src1/src"])
        let lines = run.log.outputLines
        #expect(lines.contains("id=site:7f0c number=41 start=1764320000000"), "\(lines)")
        #expect(lines.contains("src=\(h.source) local=unset"), "\(lines)")
    }

    /// Inside CodeBuild the build's result and log name CodeBuild's build (id, ARN, number,
    /// initiator), which users look up in the CodeBuild console; they had named sitebuild's own
    /// id (`<project>:<uuid>`) and said "Running on sitebuild (local build)".
    @Test func insideCodeBuildTheResultAndLogNameCodeBuildsBuild() throws {
        let h = try BuildHarness()
        let id = "my-site:8a1b2c3d-1111-2222-3333-444455556666"
        let arn = "arn:aws:codebuild:eu-west-1:123456789012:build/" + id
        let run = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"arn=$CODEBUILD_BUILD_ARN\"\n",
                            environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "CODEBUILD_BUILD_ID": id, "CODEBUILD_BUILD_ARN": arn,
                                          "CODEBUILD_BUILD_NUMBER": "57", "CODEBUILD_INITIATOR": "codepipeline/site-pipeline"], json: true)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.result.buildId == id)
        #expect(run.result.buildArn == arn)
        #expect(run.result.buildNumber == 57)
        #expect(run.log.outputLines.contains("arn=\(arn)"))
        #expect(run.log.contains("Running on sitebuild inside CodeBuild build \(id) (build number 57, started by codepipeline/site-pipeline)"), "\(run.log)")
        #expect(!run.log.contains("local build"), "\(run.log)")
        let started = try #require(run.events.first { $0.contains("\"build_started\"") })
        #expect(started.contains("\"buildId\":\"\(id)\""), "\(started)")
        let result = try #require(run.events.last)
        #expect(result.contains("\"buildId\":\"\(id)\",\"buildArn\":\"\(arn)\",\"buildNumber\":57"), "\(result)")
        // Without an ARN or a number in the environment: none made up.
        let bare = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n",
                             environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "CODEBUILD_BUILD_ID": id], json: true)
        #expect(bare.result.buildId == id && bare.result.buildArn == nil)
        #expect(bare.log.contains("Running on sitebuild inside CodeBuild build \(id)\n"), "\(bare.log)")
        #expect(try #require(bare.events.last).contains("\"buildArn\":null"))
    }

    /// An empty CODEBUILD_BUILD_ID (a CI template's, `env -i … CODEBUILD_BUILD_ID=`) counts as
    /// unset, as every empty variable does: the build is a local one, with its own id, number,
    /// ARN, initiator and log path (it had kept the empty id and number and had none of the rest).
    @Test func anEmptyCodeBuildIdIsALocalBuild() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "id=$CODEBUILD_BUILD_ID number=$CODEBUILD_BUILD_NUMBER local=${CODEBUILD_LOCAL_BUILD-unset}"
                  - echo "arn=${CODEBUILD_BUILD_ARN:+set} initiator=${CODEBUILD_INITIATOR:+set} log=${CODEBUILD_LOG_PATH:+set}"
            """, environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "USER": "tester",
                               "CODEBUILD_BUILD_ID": "", "CODEBUILD_BUILD_NUMBER": ""])
        let lines = run.log.outputLines
        #expect(lines.contains("id=\(run.result.buildId) number=1 local=true"), "\(lines)")
        #expect(run.result.buildId.hasPrefix("test:"))
        #expect(lines.contains("arn=set initiator=set log=set"), "\(lines)")
    }

    /// Inside CodeBuild a project variable the buildspec also sets loses to the buildspec (the
    /// order is sitebuild's everywhere), and the build says so with the flag that keeps it.
    @Test func insideCodeBuildAVariableTheBuildspecShadowsIsNamed() throws {
        let h = try BuildHarness()
        let yaml = """
            version: 0.2
            env:
              variables:
                STAGE: dev
                SAME: one
                PATH: /opt/tools/bin:/usr/bin:/bin
            phases:
              build:
                commands:
                  - echo "stage=$STAGE"
            """
        let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "CODEBUILD_BUILD_ID": "site:7f0c", "STAGE": "prod", "SAME": "one"]
        let shadowed = try h.run(yaml, environment: environment)
        #expect(shadowed.log.outputLines.contains("stage=dev"))
        #expect(shadowed.log.contains("STAGE is set in this CodeBuild build's environment and in the buildspec's env.variables"), "\(shadowed.log)")
        #expect(shadowed.log.contains("pass --env STAGE to sitebuild to keep them"), "\(shadowed.log)")
        #expect(!shadowed.log.contains("prod"), "values are never shown: they may be secrets")
        #expect(!shadowed.log.contains("SAME"), "a variable set alike in both is no difference")
        #expect(!shadowed.log.contains("PATH"), "PATH is the image's, which the buildspec beats in CodeBuild too")
        let kept = try h.run(yaml, overrides: [("STAGE", "prod")], environment: environment)
        #expect(kept.log.outputLines.contains("stage=prod"))
        #expect(!kept.log.contains("CodeBuild build's environment"), "\(kept.log)")
        var outside = environment
        outside["CODEBUILD_BUILD_ID"] = nil
        #expect(!(try h.run(yaml, environment: outside)).log.contains("CodeBuild build's environment"), "outside CodeBuild a shell's leftovers are no project's")
    }

    /// CodeBuild's precedence (start-build override > project > buildspec) covers all of the
    /// buildspec's env sections: a project variable a parameter-store or secrets-manager name
    /// shadows is named as one in env.variables is, values never shown. The region CodeBuild sets
    /// itself is no project's variable: not named. With --env the value is kept and the secret
    /// is not even fetched.
    @Test func insideCodeBuildParametersAndSecretsTheBuildspecShadowsAreNamed() throws {
        let h = try BuildHarness()
        let yaml = """
            version: 0.2
            env:
              variables:
                STAGE: dev
                AWS_REGION: eu-west-1
              parameter-store:
                API_URL: /site/plain
              secrets-manager:
                DB_PASS: site/db
            phases:
              build:
                commands:
                  - echo "stage=$STAGE api=$API_URL region=$AWS_REGION db=${#DB_PASS}"
            """
        let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "CODEBUILD_BUILD_ID": "site:1", "AWS_REGION": "us-east-1",
                           "STAGE": "prod", "API_URL": "https://prod.example", "DB_PASS": "prod-password-123"]
        let secrets = FixedSecrets(parameters: ["/site/plain": "https://dev.example"], secrets: ["site/db": "dev-password-456"])
        let shadowed = try h.run(yaml, secrets: secrets, environment: environment)
        #expect(shadowed.result.status == .succeeded, "\(shadowed.log)")
        #expect(shadowed.log.contains("STAGE (env.variables), API_URL (env.parameter-store), DB_PASS (env.secrets-manager) are set in this "
            + "CodeBuild build's environment and in the buildspec's env.variables, env.parameter-store, env.secrets-manager"), "\(shadowed.log)")
        #expect(shadowed.log.contains("pass --env STAGE --env API_URL --env DB_PASS to sitebuild to keep them"), "\(shadowed.log)")
        #expect(!shadowed.log.contains("--env AWS_REGION") && !shadowed.log.contains("AWS_REGION (env.variables)"),
                "CodeBuild sets the region itself: \(shadowed.log)")
        #expect(!shadowed.log.contains("password") && !shadowed.log.contains("prod.example"), "values are never shown")
        let noSecrets = FixedSecrets(parameters: ["/site/plain": "https://dev.example"])
        let kept = try h.run(yaml, overrides: [("DB_PASS", "prod-password-123")], secrets: noSecrets, environment: environment)
        #expect(kept.result.status == .succeeded, "the secret --env replaces is not fetched: \(kept.log)")
        #expect(kept.log.outputLines.contains("stage=dev api=*** region=eu-west-1 db=17"), "\(kept.log)")
        #expect(kept.log.contains("STAGE (env.variables), API_URL (env.parameter-store) are set"), "\(kept.log)")
    }

    @Test func resolvedSourceVersionComesFromGit() throws {
        let h = try BuildHarness()
        try h.write("README", "x")
        let git = "git -c user.name=t -c user.email=t@example.com"
        let setup = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - git init -q . && \(git) add README && \(git) commit -qm init && git rev-parse HEAD
            """)
        let commit = try #require(setup.log.outputLines.last)
        let run = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - echo resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION\n")
        #expect(run.log.outputLines.contains("resolved=\(commit)"))
    }

    @Test func resolvedSourceVersionIsUnsetOutsideARepository() throws {
        let h = try BuildHarness()
        let run = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"resolved=${CODEBUILD_RESOLVED_SOURCE_VERSION-unset}\"\n",
                            environment: ["PATH": "/usr/bin:/bin", "GIT_CEILING_DIRECTORIES": (FileManager.default.temporaryDirectory.path)])
        #expect(run.log.outputLines.contains("resolved=unset"))
    }

    @Test func precedenceIsBuildspecThenEnvFileThenFlagsAndValuesAreLiteral() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                A: from-buildspec
                B: from-buildspec
                C: from-buildspec
                D: "$A-and-more"
                PATH: "$PATH:/extra"
            phases:
              build:
                commands:
                  - echo "A=$A B=$B C=$C"
                  - echo "D=$D"
            """, overrides: [("B", "from-env-file"), ("C", "from-env-file"), ("C", "from-flag")],
                 environment: ["PATH": "/usr/bin:/bin", "A": "from-process"])
        #expect(run.log.outputLines.contains("A=from-buildspec B=from-env-file C=from-flag"))
        // No recursive expansion: D holds the literal text "$A-and-more".
        #expect(run.log.outputLines.contains("D=$A-and-more"))
    }

    @Test func exportedVariablesAreTheValuesAtTheEndOfPostBuild() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                STAGE: initial
              exported-variables:
                - STAGE
                - COMMIT_LABEL
                - NEVER_SET
            phases:
              build:
                commands:
                  - STAGE=built
                  - COMMIT_LABEL="label with spaces"
              post_build:
                commands:
                  - STAGE=final
            """)
        #expect(run.result.exportedVariables.map(\.name) == ["STAGE", "COMMIT_LABEL"])
        #expect(run.result.exportedVariables.map(\.value) == ["final", "label with spaces"])
        // One never set is left out, and said.
        #expect(run.log.contains("env.exported-variables: NEVER_SET is not set at the end of the build, so it is not exported"), "\(run.log)")
    }
}

@Suite struct MaskingTests {
    @Test func parameterStoreAndSecretsManagerValuesAreMaskedEverywhere() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              parameter-store:
                DB_PASSWORD: /prod/db/password
              secrets-manager:
                API_KEY: prod/api:key
              exported-variables:
                - LEAK
            phases:
              build:
                commands:
                  - echo "password is $DB_PASSWORD and key is $API_KEY"
                  - echo "s3cr3t-P4ss" >&2
                  - LEAK="copy-$DB_PASSWORD"
                  - echo s3cr3t-P4ss; exit 3
            """, secrets: FixedSecrets(parameters: ["/prod/db/password": "s3cr3t-P4ss"], secrets: ["prod/api": "k3y-V4lue-123"]),
                 json: true)
        #expect(!run.log.contains("s3cr3t-P4ss"))
        #expect(!run.log.contains("k3y-V4lue-123"))
        #expect(run.log.outputLines.contains("password is *** and key is ***"))
        #expect(!run.events.joined().contains("s3cr3t-P4ss"))
        #expect(run.result.exportedVariables.first?.value == "copy-***")
        // The real value is kept apart, for --exported-variables-file only.
        #expect(run.result.exportedValues.first?.value == "copy-s3cr3t-P4ss")
    }

    @Test func aMultiLineSecretIsMaskedWholeAndLineByLine() throws {
        let h = try BuildHarness()
        let key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END KEY-----"
        let run = try h.run("""
            version: 0.2
            env:
              secrets-manager:
                PRIVATE_KEY: deploy-key
            phases:
              build:
                commands:
                  - printf '%s\\n' "$PRIVATE_KEY"
                  - printf '%s\\n' "$PRIVATE_KEY" | sed -n 2p
                  - printf 'start %s end\\n' "$PRIVATE_KEY" | tr '\\n' ' '
            """, secrets: FixedSecrets(secrets: ["deploy-key": key]))
        #expect(!run.log.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"))
        #expect(!run.log.contains("BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"))
        #expect(run.log.contains("***"))
    }

    @Test func aSecretSplitAcrossWritesIsStillMasked() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - printf 'AKIA'; sleep 0.2; printf 'SPLITSECRET99'; sleep 0.2; printf '\\n'
            """, environment: ["PATH": "/usr/bin:/bin", "AWS_SECRET_ACCESS_KEY": "AKIASPLITSECRET99"])
        #expect(!run.log.contains("AKIASPLITSECRET99"))
        #expect(run.log.outputLines.contains("***"))
    }

    /// The git tokens sitebuild reads for sources are masked like AWS keys (and stay set).
    @Test func gitTokensAreMasked() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "tokens $SITEBUILD_GIT_TOKEN $GITHUB_TOKEN"
            """, environment: ["PATH": "/usr/bin:/bin", "SITEBUILD_GIT_TOKEN": "ENVTOKENxyz987", "GITHUB_TOKEN": "ghp_abcdefgh1234"])
        #expect(run.log.outputLines.contains("tokens *** ***"), "\(run.log)")
        #expect(!run.log.contains("ENVTOKENxyz987") && !run.log.contains("ghp_abcdefgh1234"))
    }

    /// A password written in a URL in the environment (`SITEBUILD_SOURCE=https://user:pass@…`)
    /// is masked wherever a command prints it; the rest of the URL stays readable.
    @Test func passwordsInURLsOfTheEnvironmentAreMasked() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "source $SITEBUILD_SOURCE"
                  - echo "proxy $HTTPS_PROXY"
            """, environment: ["PATH": "/usr/bin:/bin", "SITEBUILD_SOURCE": "https://alice:s3cr3t-Passw0rd@git.example/org/site.git#main",
                                 "HTTPS_PROXY": "http://proxy:p%40ss-word@10.0.0.1:3128"])
        #expect(run.log.outputLines.contains("source https://alice:***@git.example/org/site.git#main"), "\(run.log)")
        #expect(run.log.outputLines.contains("proxy http://proxy:***@10.0.0.1:3128"), "\(run.log)")
        #expect(!run.log.contains("s3cr3t-Passw0rd") && !run.log.contains("p%40ss-word"))
        #expect(BuildEngine.urlPasswords(in: "a https://u:pw1@h/x and ssh://git@h/y http://v:p%40w@h") == ["pw1", "p%40w", "p@w"])
        // A token as the user of an https URL (GitHub's, GitLab's form) is one; a short user
        // name, or ssh's `git@`, is not.
        #expect(BuildEngine.urlPasswords(in: "https://ghp_Tok3nAsUser1234567890@github.com/a/b.git https://me@h/x "
            + "ssh://ghp_Tok3nAsUser1234567890xyz@h/y") == ["ghp_Tok3nAsUser1234567890"])
    }

    @Test func secretsInCommandTextAreMaskedInTheLog() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo literal-token-abcdef123 > /dev/null
            """, overrides: [], environment: ["PATH": "/usr/bin:/bin", "AWS_SESSION_TOKEN": "literal-token-abcdef123"])
        #expect(!run.log.contains("literal-token-abcdef123"))
        #expect(run.log.contains("Running command echo *** > /dev/null"))
    }

    /// A one-character secret masks its occurrences in what commands print and in messages,
    /// never the log's own `[Container]` prefix and time, nor the JSON events' keys.
    @Test func aShortSecretLeavesTheLogsOwnPrefixAndEventKeysAlone() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              secrets-manager:
                ONE: short
            phases:
              build:
                commands:
                  - echo "a $ONE b"
            """, secrets: FixedSecrets(secrets: ["short": "5"]), json: true)
        #expect(run.log.outputLines.contains("a *** b"), "\(run.log)")
        let containerLines = run.log.split(separator: "\n").filter { $0.hasPrefix("[Container] ") }
        #expect(!containerLines.isEmpty)
        for line in containerLines {
            // `[Container] 2026/11/27 09:50:49.154060 …`: the time is intact.
            let time = line.dropFirst("[Container] ".count).prefix(26)
            #expect(time.count == 26 && !time.contains("*"), "\(line)")
        }
        #expect(!run.events.isEmpty)
        for line in run.events {
            let value = try JSONValue.parse(Data(line.utf8))
            #expect(value["event"]?.stringValue?.contains("*") == false, "\(line)")
            #expect(value["time"]?.stringValue?.contains("*") == false, "\(line)")
        }
    }

    @Test func withoutAnAWSClientSecretsFailWithAClearMessage() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            env:
              parameter-store:
                TOKEN: /x/token
            phases:
              build:
                commands:
                  - echo should-not-run
            """)
        #expect(run.result.status == .fault)
        #expect(run.result.message?.contains("--env NAME=VALUE") == true)
        #expect(!run.log.outputLines.contains("should-not-run"))
    }
}

@Suite struct TimeoutAndInterruptTests {
    @Test func aTimeoutKillsTheProcessGroupAndRunsNothingFurther() throws {
        let h = try BuildHarness()
        let marker = "timeout-\(UUID().uuidString.prefix(8)).sh"
        try h.write(marker, "sleep 600\n")
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo before; sh ./\(marker); echo after
                finally:
                  - echo finally-after-timeout
              post_build:
                commands:
                  - echo post
            """, timeout: .seconds(20))  // the build's whole time, set-up included: room for a loaded machine
        #expect(run.result.status == .timedOut)
        #expect(run.log.outputLines == ["before"])
        #expect(run.phase("BUILD")?.status == "TIMED_OUT")
        #expect(!run.ran("POST_BUILD"))
        var gone = false
        for _ in 0..<600 where !gone {
            gone = !processExists(named: marker)
            if !gone { usleep(100_000) }
        }
        #expect(gone)
    }

    /// A stopped build gives what a command started the same grace as the command's shell:
    /// a child that cleans up on SIGTERM (a lock released) finishes, even after the shell,
    /// which has no trap, is gone.
    @Test func aChildCleaningUpOnSigtermGetsTheGraceToo() throws {
        let h = try BuildHarness()
        try h.write("child.sh", "trap 'sleep 1; echo cleaned > done.txt; exit 0' TERM\necho up > started.txt\nwhile :; do sleep 0.1; done\n")
        let cancellation = Cancellation()
        let started = h.source + "/started.txt"
        Thread.detachNewThread {
            for _ in 0..<600 where !FileManager.default.fileExists(atPath: started) { usleep(50_000) }
            usleep(200_000)
            cancellation.cancel(.interrupted(signal: SIGTERM))
        }
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - sh child.sh
            """, timeout: .seconds(60), cancellation: cancellation)
        #expect(run.result.status == .stopped, "\(run.log)")
        #expect(FileManager.default.contents(atPath: h.source + "/done.txt").map { String(decoding: $0, as: UTF8.self) } == "cleaned\n")
    }

    /// A signal that comes after the last command, while the artifacts are collected (seconds
    /// for a large site): the build still ends STOPPED, so `run` deploys nothing it made.
    @Test func anInterruptionDuringArtifactCollectionStillStopsTheBuild() throws {
        let h = try BuildHarness()
        let cancellation = Cancellation()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p dist && echo page > dist/index.html
            artifacts:
              base-directory: dist
              files: ['**/*']
            """, out: h.root + "/out", cancellation: cancellation, onText: { bytes in
                if String(decoding: bytes, as: UTF8.self).contains("Expanding base directory path") {
                    cancellation.cancel(.interrupted(signal: SIGTERM))
                }
            })
        #expect(run.result.status == .stopped, "\(run.log)")
        #expect(run.result.message == "the build was interrupted")
    }

    /// A signal while the cache is saved (a large node_modules takes a while) after every
    /// phase succeeded: the build still ends STOPPED, so `run` deploys nothing it made.
    @Test func anInterruptionWhileTheCacheIsSavedStillStopsTheBuild() throws {
        let h = try BuildHarness()
        let cancellation = Cancellation()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p deps dist && echo v1 > deps/lib.txt && echo page > dist/index.html
            artifacts:
              base-directory: dist
              files: ['**/*']
            cache:
              key: deps-v1
              paths:
                - 'deps/**/*'
            """, out: h.root + "/out", cancellation: cancellation, onText: { bytes in
                if String(decoding: bytes, as: UTF8.self).contains("to the cache with key") {
                    cancellation.cancel(.interrupted(signal: SIGTERM))
                }
            })
        #expect(run.log.contains("Saved 1 file(s) to the cache with key deps-v1"), "\(run.log)")
        #expect(run.result.status == .stopped, "\(run.log)")
        #expect(run.result.message == "the build was interrupted")
    }

    @Test func cancellationStopsTheBuildCleanly() throws {
        let h = try BuildHarness()
        let cancellation = Cancellation()
        let trigger = h.source + "/started"
        Thread.detachNewThread {
            for _ in 0..<30_000 where !FileManager.default.fileExists(atPath: trigger) { usleep(20_000) }
            cancellation.cancel(.interrupted(signal: SIGINT))
        }
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - touch started; sleep 600
                  - echo never
              post_build:
                commands:
                  - echo never-post
            """, cancellation: cancellation)
        #expect(run.result.status == .stopped)
        #expect(run.phase("BUILD")?.status == "STOPPED")
        #expect(!run.log.contains("never"))
    }
}
