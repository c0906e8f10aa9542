import BuildSpec
import Foundation
@testable import SitebuildCLI
import Testing
import TestSupport

/// `env.parameter-store` and `env.secrets-manager` through the built binary and the
/// `AWSSecretSource` adapter, against a real moto_server on loopback.
@Suite(.serialized) struct SecretsEndToEnd {
    static let password = "pw-Db-9f8e7d6c"
    static let token = "tok-Api-1a2b3c4d"
    static let plain = "plain-Secret-5e6f"

    private func seed(_ moto: MotoServer) async throws {
        try await moto.putParameter("/app/db-password", Self.password, type: "SecureString")
        try await moto.putParameter("/app/user", "deploy")
        try await moto.createSecret("app/json", string: #"{"token":"\#(Self.token)","port":5432}"#)
        try await moto.createSecret("app/plain", string: Self.plain)
    }

    @Test func aBuildSeesParameterAndSecretValuesAndTheLogMasksThem() async throws {
        try await withMotoServer { moto in
            try await seed(moto)
            let h = try CLIHarness()
            try h.write("buildspec.yml", """
                version: 0.2
                env:
                  parameter-store:
                    DB_PASSWORD: /app/db-password
                    DB_USER: /app/user
                  secrets-manager:
                    API_TOKEN: app/json:token
                    DB_PORT: app/json:port
                    PLAIN: app/plain::AWSCURRENT
                phases:
                  build:
                    commands:
                      - test "$DB_PASSWORD" = "\(Self.password)" && echo parameter-ok
                      - test "$DB_USER" = deploy && echo user-ok
                      - test "$API_TOKEN" = "\(Self.token)" && echo json-key-ok
                      - test "$DB_PORT" = 5432 && echo number-ok
                      - test "$PLAIN" = "\(Self.plain)" && echo plain-ok
                      - echo "leak $DB_PASSWORD $API_TOKEN $PLAIN"
                """)
            let run = try await h.run(["build"], environment: moto.environment)
            #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
            for marker in ["parameter-ok", "user-ok", "json-key-ok", "number-ok", "plain-ok", "leak *** *** ***"] {
                #expect(run.stdout.contains(marker), "missing \(marker) in:\n\(run.stdout)")
            }
            for secret in [Self.password, Self.token, Self.plain] {
                #expect(!run.stdout.contains(secret))
                #expect(!run.stderr.contains(secret))
            }
        }
    }

    /// A one-digit secret (`1`) masks that digit in what the deploy says, but the version id
    /// and the pointer's URL stay readable as they are (scripts and `watch` read them back):
    /// the kept names are set aside under placeholders no digit can match.
    @Test func aOneDigitSecretLeavesKeptNamesReadable() {
        let before = (Reporter.secretMask.withLock { $0 }, Reporter.revealsASecret.withLock { $0 })
        defer {
            Reporter.secretMask.withLock { $0 = before.0 }
            Reporter.revealsASecret.withLock { $0 = before.1 }
        }
        Reporter.secretMask.withLock { $0 = { $0.replacingOccurrences(of: "1", with: "***") } }
        Reporter.revealsASecret.withLock { $0 = { $0 == "1" } }
        let names = (0..<12).map { "v\($0)-e9a135e5a436c110" }
        Reporter.keepVisible(names + ["dynamodb://ptr#flag1"])
        let line = "live version is now \(names[11]) (was \(names[10])) on dynamodb://ptr#flag1, 1 file"
        #expect(Reporter(json: false).mask(line) == "live version is now \(names[11]) (was \(names[10])) on dynamodb://ptr#flag1, *** file")
    }

    /// A secret in the names of the files the build makes: `run`'s deploy (its lines, its
    /// events, the dry run's plan, its warnings) masks it as the build's log does.
    @Test func runsDeployMasksTheBuildsSecretsInWhatItSays() async throws {
        try await withMotoServer { moto in
            try await seed(moto)
            let h = try CLIHarness()
            try h.write("buildspec.yml", """
                version: 0.2
                env:
                  secrets-manager:
                    API_TOKEN: app/json:token
                phases:
                  build:
                    commands:
                      - mkdir -p dist && echo a > "dist/preview-$API_TOKEN.html" && echo b > "dist/Preview-$API_TOKEN.html"
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                """)
            for extra in [["--dry-run"], []] {
                let run = try await h.run(["run", "--json"] + extra, environment: moto.environment)
                #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
                #expect(run.stdout.contains("preview-***.html"), "\(run.stdout)")
                #expect(!run.stdout.contains(Self.token) && !run.stderr.contains(Self.token), "\(extra):\n\(run.stdout)\n\(run.stderr)")
            }
            // A short secret ("deploy") inside names sitebuild reports (a literal version id, the
            // target's path): those stay as they are, since scripts and watch read them back.
            try h.write("buildspec.yml", """
                version: 0.2
                env:
                  parameter-store:
                    DB_USER: /app/user
                phases:
                  build:
                    commands:
                      - mkdir -p dist && echo "$DB_USER" > dist/index.html
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                """)
            let named = try await h.run(["run", "--json", "--version-id", "deploy-42", "--target", h.root + "/deploy-site"],
                                        environment: moto.environment)
            #expect(named.status == 0, "\(named.stderr)")
            #expect(named.stdout.contains(#""version":"deploy-42""#), "\(named.stdout)")
            #expect(named.stderr.contains("live version is now deploy-42 (was none) on file://\(h.root)/deploy-site"), "\(named.stderr)")
            // But a kept name inside a secret never uncovers the rest of it.
            try h.write("buildspec.yml", """
                version: 0.2
                env:
                  secrets-manager:
                    PLAIN: app/plain::AWSCURRENT
                phases:
                  build:
                    commands:
                      - mkdir -p dist && echo hi > dist/index.html && echo x > "dist/$PLAIN"
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                """)
            let inside = try await h.run(["run", "--json", "--version-id", "5e6f", "--target", h.root + "/inside-site"], environment: moto.environment)
            #expect(inside.status == 0, "\(inside.stderr)")
            #expect(inside.stderr.contains("without an extension that no URL reaches"), "\(inside.stderr)")
            #expect(!inside.stdout.contains(Self.plain) && !inside.stderr.contains(Self.plain), "\(inside.stdout)\n\(inside.stderr)")
            // Nor does a kept name holding a whole (long) secret: `--version-id "rel-$TOKEN"`.
            let holding = try await h.run(["run", "--json", "--version-id", "rel-\(Self.plain)", "--target", h.root + "/holding-site"],
                                          environment: moto.environment)
            #expect(holding.status == 0, "\(holding.stderr)")
            #expect(holding.stderr.contains("live version is now rel-*** (was none)"), "\(holding.stderr)")
            #expect(!holding.stdout.contains(Self.plain) && !holding.stderr.contains(Self.plain), "\(holding.stdout)\n\(holding.stderr)")
        }
    }

    /// The Hosting Toolkit's S3-mode buildspec names its parameters through project variables
    /// (`COMMITID: $SSM_PARAM_COMMITID`): the reference is expanded before the lookup.
    @Test func parameterNamesAndSecretIdsMayNameVariables() async throws {
        try await withMotoServer { moto in
            try await seed(moto)
            let h = try CLIHarness()
            try h.write("buildspec.yml", """
                version: 0.2
                env:
                  parameter-store:
                    DB_PASSWORD: $SSM_PARAM_PASSWORD
                    DB_USER: /app/${WHO}
                  secrets-manager:
                    PLAIN: ${SECRET_NAME}
                phases:
                  build:
                    commands:
                      - test "$DB_PASSWORD" = "\(Self.password)" && echo parameter-ok
                      - test "$DB_USER" = deploy && echo user-ok
                      - test "$PLAIN" = "\(Self.plain)" && echo secret-ok
                """)
            var environment = moto.environment
            environment["SSM_PARAM_PASSWORD"] = "/app/db-password"
            let run = try await h.run(["build", "--env", "WHO=user", "--env", "SECRET_NAME=app/plain"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
            for marker in ["parameter-ok", "user-ok", "secret-ok"] { #expect(run.stdout.contains(marker), "\(run.stdout)") }
            // A variable that is not set is named, before any command.
            let unset = try await h.run(["build", "--env", "WHO=user"], environment: moto.environment)
            #expect(unset.status == 2, "\(unset.stdout)")
            #expect((unset.stdout + unset.stderr).contains("env.parameter-store.DB_PASSWORD: '$SSM_PARAM_PASSWORD' refers to the variable SSM_PARAM_PASSWORD, which is not set"))
            #expect(!unset.stdout.contains("parameter-ok"))
        }
    }

    @Test func missingParametersAndJSONKeysStopTheBuildBeforeAnyCommandWithExitThree() async throws {
        try await withMotoServer { moto in
            try await seed(moto)
            let h = try CLIHarness()
            try h.write("params.yml", """
                version: 0.2
                env:
                  parameter-store:
                    DB_PASSWORD: /app/db-password
                    GONE: /app/gone
                phases:
                  build:
                    commands:
                      - echo command-ran
                """)
            let missingParameter = try await h.run(["build", "--buildspec", "params.yml"], environment: moto.environment)
            #expect(missingParameter.status == 3)
            #expect(missingParameter.stdout.contains("SSM has no parameter '/app/gone'"), "\(missingParameter.stdout)")
            #expect(!missingParameter.stdout.contains("command-ran"))

            try h.write("key.yml", """
                version: 0.2
                env:
                  secrets-manager:
                    API_TOKEN: app/json:nokey
                phases:
                  build:
                    commands:
                      - echo command-ran
                """)
            let missingKey = try await h.run(["build", "--buildspec", "key.yml"], environment: moto.environment)
            #expect(missingKey.status == 3)
            #expect(missingKey.stdout.contains("has no JSON key 'nokey'"), "\(missingKey.stdout)")
            #expect(!missingKey.stdout.contains("command-ran"))
            #expect(!missingKey.stdout.contains(Self.token) && !missingKey.stderr.contains(Self.token))

            try h.write("secret.yml", """
                version: 0.2
                env:
                  secrets-manager:
                    API_TOKEN: app/nope
                phases:
                  build:
                    commands:
                      - echo command-ran
                """)
            let missingSecret = try await h.run(["build", "--buildspec", "secret.yml"], environment: moto.environment)
            #expect(missingSecret.status == 3)
            #expect(missingSecret.stdout.contains("Secrets Manager GetSecretValue failed with ResourceNotFoundException"), "\(missingSecret.stdout)")
            #expect(missingSecret.stdout.contains("cannot read the secret 'app/nope' (AWSCURRENT) in us-east-1"), "\(missingSecret.stdout)")
        }
    }

    @Test func withoutARegionTheBuildSaysWhatToSet() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            env:
              parameter-store:
                DB_PASSWORD: /app/db-password
            phases:
              build:
                commands:
                  - echo command-ran
            """)
        let run = try h.run(["build"], environment: [
            "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "HOME": h.root,
            "AWS_CONFIG_FILE": h.root + "/no-config", "AWS_SHARED_CREDENTIALS_FILE": h.root + "/no-credentials",
        ])
        #expect(run.status == 2)
        #expect(run.stdout.contains("need an AWS region"), "\(run.stdout)")
        #expect(run.stdout.contains("AWS_REGION"))
        #expect(!run.stdout.contains("command-ran"))
    }

    @Test func theRegionFlagStandsInForTheEnvironment() throws {
        let h = try CLIHarness()
        try h.write("buildspec.yml", """
            version: 0.2
            env:
              parameter-store:
                DB_PASSWORD: /app/db-password
            phases:
              build:
                commands:
                  - echo command-ran
            """)
        // A closed loopback port as the endpoint: the region is accepted, the call then fails (exit 3).
        let refusing = try RefusingLoopbackPort()
        defer { withExtendedLifetime(refusing) {} }
        let run = try h.run(["build", "--region", "eu-west-1"], environment: [
            "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "HOME": h.root,
            "AWS_CONFIG_FILE": h.root + "/no-config", "AWS_SHARED_CREDENTIALS_FILE": h.root + "/no-credentials",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": "http://127.0.0.1:\(refusing.port)",
        ])
        #expect(run.status == 3, "\(run.stdout)")
        #expect(!run.stdout.contains("need an AWS region"))
        #expect(!run.stdout.contains("command-ran"))
    }

    @Test func aJSONKeyIsReadAsTextWithoutRevealingTheSecret() throws {
        #expect(try AWSSecretSource.value(of: "user", in: #"{"user":"u1","n":3,"ok":true}"#, secretId: "s") == "u1")
        #expect(try AWSSecretSource.value(of: "n", in: #"{"user":"u1","n":3}"#, secretId: "s") == "3")
        let notJSON = #expect(throws: (any Error).self) { try AWSSecretSource.value(of: "k", in: "hunter2-secret", secretId: "s") }
        #expect(notJSON.map { "\($0)" }?.contains("hunter2") == false)
        let missing = #expect(throws: (any Error).self) { try AWSSecretSource.value(of: "k", in: #"{"a":"hunter2"}"#, secretId: "s") }
        let text = missing.map { "\($0)" } ?? ""
        #expect(text.contains("no JSON key 'k'") && !text.contains("hunter2"))
        let null = #expect(throws: (any Error).self) { try AWSSecretSource.value(of: "k", in: #"{"k":null,"a":"hunter2"}"#, secretId: "s") }
        let nullText = null.map { "\($0)" } ?? ""
        #expect(nullText.contains("JSON key 'k' of the secret 's' is null") && !nullText.contains("no JSON key"), "\(nullText)")
    }
}
