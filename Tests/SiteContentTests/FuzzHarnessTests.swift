import Foundation
import Testing

/// Runs `sitebuild-fuzz` (the extractor and buildspec-parser fuzzer) for
/// `SITEBUILD_FUZZ_SECONDS` (default 5) in its own process, so a crash is reported as a
/// failure with the input that caused it rather than ending the test run. See docs/fuzzing.md.
@Suite struct FuzzHarnessTests {
    /// The fuzzer next to the test bundle (`swift build` puts executables there), or
    /// `$SITEBUILD_FUZZ_BIN`.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SITEBUILD_FUZZ_BIN"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (me as NSString).deletingLastPathComponent
        while !FileManager.default.isExecutableFile(atPath: dir + "/sitebuild-fuzz") && dir.count > 1 {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir + "/sitebuild-fuzz"
    }

    @Test func extractorAndBuildspecParserSurviveRandomInput() throws {
        let binary = Self.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: build it with `swift build --build-tests`")
        let seconds = ProcessInfo.processInfo.environment["SITEBUILD_FUZZ_SECONDS"] ?? "5"
        let work = try TemporaryDirectory("fuzz")
        var passed = false
        // A failed run keeps its directory: the input that crashed or broke an invariant is there.
        defer { if passed { work.remove() } }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["all", "--seconds", seconds, "--work", work.path]
        process.standardInput = FileHandle.nullDevice
        // The fuzzer stops itself on a hung input (its watchdog); this only guards against
        // the fuzzer itself never ending.
        var backstop: DispatchWorkItem?
        let text = try mergedOutput(of: process) { pid in
            let kill = DispatchWorkItem { _ = Glibc.kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + (Double(seconds) ?? 5) * 3 + 300, execute: kill)
            backstop = kill
        }
        backstop?.cancel()

        passed = process.terminationReason == .exit && process.terminationStatus == 0 && text.contains("nothing found")
        #expect(passed, """
            sitebuild-fuzz ended with \(process.terminationReason == .exit ? "status" : "signal") \(process.terminationStatus); \
            its inputs are in \(work.path) (current.input / current.yml is the last one; replay it with sitebuild-fuzz --replay FILE):
            \(text)
            """)
        #expect(text.contains("extractor: ") && text.contains("buildspec: "), "both fuzzers ran: \(text)")
    }

    /// A finding of a CI run: a lone CR is a line break to YAML, so a syntax error at the end
    /// of such a text is reported one line further than a count of "\n" alone; the fuzzer's
    /// "diagnostic inside the text" check counts lines as YAML does.
    @Test func loneCarriageReturnFindingReplaysClean() throws {
        let binary = Self.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: build it with `swift build --build-tests`")
        let work = try TemporaryDirectory("fuzz-replay")
        defer { work.remove() }
        let input: [UInt8] = Array("secrets-manager:\nversion: 0.\rM".utf8) + [0xE6] + Array("Bk>".utf8) + [0xE7]
            + Array("5 variabl: {a: {a: {a: {a:".utf8)
        let file = try work.write("finding.yml", Data(input))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--replay", file]
        let text = try mergedOutput(of: process)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("refused at YAML syntax error"), "\(text)")
        #expect(!text.contains("FOUND"), "\(text)")
    }
}
