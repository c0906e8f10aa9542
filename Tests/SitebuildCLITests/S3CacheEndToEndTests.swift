import AWSCore
import AWSServices
import Foundation
import SiteContent
import Testing
import TestSupport

/// `--cache s3://bucket/prefix` with the built binary against moto_server: each run uses
/// a fresh working directory and local cache directory, as a fresh CI runner would.
@Suite(.serialized) struct S3CacheEndToEndTests {
    /// install reports whether deps/lib.txt came back from the cache (before anything
    /// could make it); build makes it when it did not.
    static let buildspec = """
        version: 0.2
        phases:
          install:
            commands:
              - if [ -f deps/lib.txt ]; then echo "cached=$(cat deps/lib.txt)"; else echo "cached=none"; fi
          build:
            commands:
              - mkdir -p deps dist
              - '[ -f deps/lib.txt ] || echo "made-by-$RUN" > deps/lib.txt'
              - echo page > dist/index.html
        cache:
          key: deps-$KEYPART
          fallback-keys:
            - deps-
          paths:
            - 'deps/**/*'
        artifacts:
          base-directory: dist
          files: ['**/*']
        """

    func runner() throws -> CLIHarness {
        let h = try CLIHarness()
        try h.write("site/buildspec.yml", Self.buildspec)
        return h
    }

    func build(_ h: CLIHarness, _ moto: MotoServer, key: String, run: String) async throws -> CLIHarness.Output {
        try await h.run(["build", "--source", "site", "--cache", "s3://cache/team", "--env", "KEYPART=\(key)", "--env", "RUN=\(run)"],
                  environment: moto.environment)
    }

    func client(_ moto: MotoServer) -> S3Client {
        S3Client(region: "us-east-1", credentials: moto.credentials, environment: moto.environment)
    }

    @Test func savesThenRestoresOnAFreshRunnerAndMatchesFallbackKeys() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("cache")
            let first = try await build(try runner(), moto, key: "a", run: "one")
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("cached=none"), "\(first.stdout)")
            #expect(first.stdout.contains("Uploaded 1 file(s) to the cache with key deps-a at s3://cache/team/deps-a.tar.zst"), "\(first.stdout)")
            #expect(try await s3.headObject(bucket: "cache", key: "team/deps-a.tar.zst") != nil)

            // A fresh runner: its own work dir and (empty) local cache dir.
            let second = try await build(try runner(), moto, key: "a", run: "two")
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("Downloading cache for key deps-a from s3://cache/team/deps-a.tar.zst"), "\(second.stdout)")
            #expect(second.stdout.contains("cached=made-by-one"), "\(second.stdout)")
            #expect(second.stdout.contains("exists already in s3://cache/team/; a keyed cache is not updated"), "\(second.stdout)")

            // Another key: the fallback prefix deps- finds deps-a, and deps-b is saved.
            let third = try await build(try runner(), moto, key: "b", run: "three")
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.stdout.contains("cached=made-by-one"), "\(third.stdout)")
            #expect(third.stdout.contains("from key deps-a (fallback)"), "\(third.stdout)")
            #expect(try await s3.headObject(bucket: "cache", key: "team/deps-b.tar.zst") != nil)

            // A key with '/' and spaces is encoded; fallback matching still works on it.
            let odd = try await build(try runner(), moto, key: "x/y z", run: "four")
            #expect(odd.status == 0, "\(odd.stderr)")
            #expect(try await s3.headObject(bucket: "cache", key: "team/deps-x%2Fy%20z.tar.zst") != nil)
        }
    }

    /// The cache's entries are written with `--sse`, `--sse-kms-key-id` and `--acl` (`build`'s,
    /// `run`'s) or sitebuild.yml's keys, as a deploy writes its objects: a bucket whose policy
    /// requires SSE-KMS refused them before. A KMS key without aws:kms is refused (exit 2).
    @Test func entriesAreWrittenWithTheGivenEncryption() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("cache")
            let flags = ["--sse", "aws:kms", "--sse-kms-key-id", "alias/cache", "--acl", "bucket-owner-full-control"]
            let flagged = try await runner().run(["build", "--source", "site", "--cache", "s3://cache/team", "--env", "KEYPART=a",
                                                      "--env", "RUN=one"] + flags, environment: moto.environment)
            #expect(flagged.status == 0, "\(flagged.stderr)")
            let configured = try runner()
            try configured.write("site/sitebuild.yml", "sse: aws:kms\nsse-kms-key-id: alias/cache\n")
            let second = try await build(configured, moto, key: "b", run: "two")
            #expect(second.status == 0, "\(second.stderr)")
            for key in ["team/deps-a.tar.zst", "team/deps-b.tar.zst"] {
                let head = try await s3.headObject(bucket: "cache", key: key)
                #expect(head?.serverSideEncryption == "aws:kms", "\(key): \(String(describing: head))")
            }
            let refused = try await runner().run(["build", "--source", "site", "--cache", "s3://cache/team", "--env", "KEYPART=c",
                                                      "--sse-kms-key-id", "k"], environment: moto.environment)
            #expect(refused.status == 2 && refused.stderr.contains("the KMS key k (--sse-kms-key-id"), "\(refused.stderr)")
            #expect(try await s3.headObject(bucket: "cache", key: "team/deps-c.tar.zst") == nil)
        }
    }

    /// Without cache.key the runners sharing the prefix share one slot, rewritten by each
    /// build: a runner's own older copy must not hide what another runner saved since.
    @Test func theSharedDefaultSlotComesFromS3BeforeARunnersOwnOlderCopy() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("cache")
            let spec = """
                version: 0.2
                phases:
                  build:
                    commands:
                      - mkdir -p deps dist
                      - echo "seen=$(cat deps/log.txt 2>/dev/null | tr '\\n' ,)"
                      - echo "$RUN" >> deps/log.txt
                      - echo page > dist/index.html
                cache:
                  paths: ['deps/**/*']
                artifacts:
                  base-directory: dist
                  files: ['**/*']
                """
            let runnerA = try CLIHarness(), runnerB = try CLIHarness()
            for h in [runnerA, runnerB] { try h.write("site/buildspec.yml", spec) }
            func build(_ h: CLIHarness, _ run: String) async throws -> CLIHarness.Output {
                try await h.run(["build", "--source", "site", "--clean", "--cache", "s3://cache/shared", "--env", "RUN=\(run)"],
                                environment: moto.environment)
            }
            let a1 = try await build(runnerA, "a1")
            #expect(a1.status == 0, "\(a1.stderr)")
            #expect(a1.stdout.contains("seen=\n"), "\(a1.stdout)")
            let b1 = try await build(runnerB, "b1")
            #expect(b1.stdout.contains("seen=a1,"), "\(b1.stdout)")
            // Runner A's local cache still holds its own save (a1); S3 holds b1's.
            let a2 = try await build(runnerA, "a2")
            #expect(a2.status == 0, "\(a2.stderr)")
            #expect(a2.stdout.contains("seen=a1,b1,"), "\(a2.stdout)")
        }
    }

    @Test func aGarbageRemoteEntryIsSurvivedAndReplaced() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("cache")
            #expect(try await build(try runner(), moto, key: "a", run: "one").status == 0)
            _ = try await s3.putObject(bucket: "cache", key: "team/deps-a.tar.zst", body: .bytes(Array("not an archive at all\n".utf8)))

            let damaged = try await build(try runner(), moto, key: "a", run: "two")
            #expect(damaged.status == 0, "\(damaged.stderr)")
            #expect(damaged.stdout.contains("Warning: cache entry s3://cache/team/deps-a.tar.zst is damaged; going on without it"),
                    "\(damaged.stdout)\n\(damaged.stderr)")
            #expect(damaged.stdout.contains("cached=none"))
            #expect(damaged.stdout.contains("Replaced the damaged cache entry for key deps-a"), "\(damaged.stdout)")

            let repaired = try await build(try runner(), moto, key: "a", run: "three")
            #expect(repaired.status == 0, "\(repaired.stderr)")
            #expect(repaired.stdout.contains("cached=made-by-two"), "\(repaired.stdout)")
        }
    }

    @Test func aTruncatedRemoteEntryIsSurvived() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("cache")
            let h = try runner()
            // Enough incompressible content that a cut lands inside the data.
            try h.write("site/deps/random.bin", "")
            var random = SystemRandomNumberGenerator()
            let bytes = (0..<(256 << 10)).map { _ in UInt8.random(in: 0...255, using: &random) }
            try Data(bytes).write(to: URL(fileURLWithPath: h.root + "/site/deps/random.bin"))
            #expect(try await build(h, moto, key: "a", run: "one").status == 0)
            let whole = try await s3.getObject(bucket: "cache", key: "team/deps-a.tar.zst").body
            #expect(whole.count > 100_000)
            _ = try await s3.putObject(bucket: "cache", key: "team/deps-a.tar.zst", body: .bytes(Array(whole.prefix(whole.count / 2))))

            let truncated = try await build(try runner(), moto, key: "a", run: "two")
            #expect(truncated.status == 0, "\(truncated.stderr)")
            #expect(truncated.stdout.contains("Warning: cache entry s3://cache/team/deps-a.tar.zst is damaged; going on without it"),
                    "\(truncated.stdout)\n\(truncated.stderr)")
            #expect(truncated.stdout.contains("cached=none"))
        }
    }

    @Test func twoRunnersSharingOnePrefixAtOnceBothSucceed() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("cache")
            let runners = [try runner(), try runner()]
            let outputs = try runners.enumerated().map { index, h in
                try h.start(["build", "--source", "site", "--cache", "s3://cache/team", "--env", "KEYPART=shared", "--env", "RUN=r\(index)"],
                            environment: moto.environment)
            }
            for (process, out, err) in outputs {
                let output = await CLIHarness.collectOffPool(process, out, err)
                #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
            }
            // Whichever upload landed, the entry is whole: a third runner restores it.
            let third = try await build(try runner(), moto, key: "shared", run: "three")
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.stdout.contains("cached=made-by-r"), "\(third.stdout)")
            #expect(!third.stdout.contains("damaged"))
        }
    }
}
