import AWSCore
import AWSServices
import Foundation
import SiteContent
import Testing
import TestSupport

extension WatchEndToEndTests {
    /// A state object that cannot be read holds its archive back: the watch says so with its
    /// key and what to do, and builds the archive once it is deleted.
    @Test func aDamagedStateObjectIsNamedNotSilentlySkipped() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/broken.zip", page: "x", fail: true)
            #expect(try await watch(h, moto).status == 1)
            let state = try #require(try await keys(s3, "uploads", "incoming/_sitebuild/watch/").first)
            _ = try await s3.putObject(bucket: "uploads", key: state, body: .bytes(Array(#"{"source":"s3://uploads/incoming/broken.zip","status":"fai"#.utf8)))
            let run = try await watch(h, moto, ["--retry-failed"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("s3://uploads/\(state)") && run.stdout.contains("is damaged") && run.stdout.contains("delete that object"),
                    "\(run.stdout)")
        }
    }

    /// An attempt count at the largest number is no crash: the next attempt stays there.
    @Test func anAttemptCountAtTheLargestNumberIsNoCrash() async throws {
        try await withMotoServer { moto in
            let s3 = client(moto)
            try await s3.createBucket("uploads")
            try await s3.createBucket("site")
            let h = try CLIHarness()
            try await upload(s3, h, key: "incoming/broken.zip", page: "x", fail: true)
            #expect(try await watch(h, moto).status == 1)
            let state = try #require(try await keys(s3, "uploads", "incoming/_sitebuild/watch/").first)
            let text = String(decoding: try await s3.getObject(bucket: "uploads", key: state).body, as: UTF8.self)
            _ = try await s3.putObject(bucket: "uploads", key: state, body: .bytes(Array(text.replacingOccurrences(
                of: #""attempt":1"#, with: #""attempt":9223372036854775807"#).utf8)))
            let retried = try await watch(h, moto, ["--retry-failed"])
            #expect(retried.status == 1, "\(retried.status) \(retried.stderr)")
            #expect(lines(retried.stdout, containing: "[Watch] building ").count == 1, "\(retried.stdout)")
        }
    }
}
