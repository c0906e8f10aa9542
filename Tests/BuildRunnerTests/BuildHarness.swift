import BuildRunner
import BuildSpec
import Foundation
import Synchronization

/// A real source directory in a temporary folder, and a way to run a buildspec in it
/// with real shells, capturing the log.
final class BuildHarness {
    let root: String
    let source: String
    let cache: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sitebuild-test-\(UUID().uuidString)").path
        source = root + "/src"
        cache = root + "/cache"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func write(_ path: String, _ content: String, executable: Bool = false) throws {
        let full = path.hasPrefix("/") ? path : source + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: full))
        if executable { chmod(full, 0o755) }
    }

    func read(_ path: String) -> String? {
        let full = path.hasPrefix("/") ? path : source + "/" + path
        return FileManager.default.contents(atPath: full).map { String(decoding: $0, as: UTF8.self) }
    }

    struct Run {
        var result: BuildResult
        var log: String
        var events: [String]
        var logBytes: [UInt8] = []

        func phase(_ name: String) -> PhaseRecord? { result.phases.last { $0.name == name } }
        func ran(_ name: String) -> Bool { result.phases.contains { $0.name == name } }
    }

    func run(_ yaml: String, overrides: [(name: String, value: String)] = [], secrets: SecretSource = UnavailableSecretSource(),
             environment: [String: String]? = nil, timeout: Duration = .seconds(120), out: String? = nil, zip: String? = nil,
             cancellation: Cancellation = Cancellation(), json: Bool = false, timeUsedBeforeBuild: Duration = .zero,
             onText: (@Sendable ([UInt8]) -> Void)? = nil) throws -> Run {
        let specPath = source + "/buildspec.yml"
        try write("buildspec.yml", yaml)
        let (spec, _) = try BuildSpecParser.parse(contentsOf: specPath)
        let text = Mutex<[UInt8]>([])
        let events = Mutex<[UInt8]>([])
        let eventSink: BuildLog.Sink? = json ? { @Sendable bytes in events.withLock { $0 += bytes } } : nil
        let log = BuildLog(text: { bytes in
            text.withLock { $0 += bytes }
            onText?(bytes)
        }, events: eventSink)
        var env = environment ?? ProcessInfo.processInfo.environment
        env["SITEBUILD_TEST"] = "1"
        var configuration = BuildConfiguration(sourceDirectory: source, buildspecPath: specPath, outputDirectory: out, zipPath: zip,
                                               overrides: overrides, timeout: timeout, cacheDirectory: cache, projectName: "test",
                                               baseEnvironment: env)
        configuration.timeUsedBeforeBuild = timeUsedBeforeBuild
        let engine = BuildEngine(spec: spec, configuration: configuration, log: log, cancellation: cancellation, secrets: secrets)
        let result = engine.run()
        var run = Run(result: result,
                   log: text.withLock { String(decoding: $0, as: UTF8.self) },
                   events: events.withLock { String(decoding: $0, as: UTF8.self) }.split(separator: "\n").map(String.init))
        run.logBytes = text.withLock { $0 }
        return run
    }
}

/// A secret store for tests: the values a real Parameter Store or Secrets Manager would return.
struct FixedSecrets: SecretSource {
    var parameters: [String: String] = [:]
    var secrets: [String: String] = [:]

    func parameters(named names: [String]) throws -> [String: String] {
        parameters.filter { names.contains($0.key) }
    }

    func secret(_ reference: SecretReference) throws -> String {
        guard let value = secrets[reference.secretId] else { throw SecretSourceError("no secret \(reference.secretId)") }
        return value
    }
}

extension String {
    /// The command output lines (not `[Container]` lines, not blank).
    var outputLines: [String] {
        split(separator: "\n").map(String.init).filter { !$0.hasPrefix("[Container]") && !$0.isEmpty }
    }

    func count(of needle: String) -> Int {
        components(separatedBy: needle).count - 1
    }
}
