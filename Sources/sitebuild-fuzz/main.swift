import Foundation
import SiteContent
import Synchronization

// sitebuild-fuzz: a randomized fuzzer for the archive extractor and the buildspec parser.
//
//   sitebuild-fuzz [extractor|buildspec|all] [--seconds N] [--iterations N] [--seed N]
//                  [--corpus DIR]... [--work DIR] [--hang-seconds N] [--verbose] [--stack-kib N]
//   sitebuild-fuzz --replay FILE...   (run inputs once, unmutated: to reproduce a finding)
//
// Runs for --seconds (default: $SITEBUILD_FUZZ_SECONDS, else 5) or --iterations, whichever
// ends first. Exit status: 0 nothing found; 1 an invariant broke (the input is saved and
// named); 2 bad usage; 3 an input hung (no progress for --hang-seconds, default 60). A crash
// leaves the input that caused it in <work>/current.input (or current.yml). See docs/fuzzing.md.

/// Outcome counts, for the summary.
struct FuzzStats {
    private(set) var counts: [String: Int] = [:]
    private var seen = Set<String>()

    mutating func count(_ outcome: String) { counts[outcome, default: 0] += 1 }

    /// Whether `key` was seen before (and remembers it).
    mutating func seenBefore(_ key: String) -> Bool { !seen.insert(key).inserted }

    var total: Int { counts.values.reduce(0, +) }
}

/// What the fuzzer is doing now, for the watchdog.
final class FuzzProgress: Sendable {
    private let state = Mutex<(beat: UInt64, stage: String, since: ContinuousClock.Instant)>((0, "starting", .now))

    func enter(_ stage: String) {
        state.withLock { $0 = ($0.beat + 1, stage, .now) }
    }

    var current: (stage: String, since: ContinuousClock.Instant) { state.withLock { ($0.stage, $0.since) } }
}

struct Options {
    var targets: Set<String> = ["extractor", "buildspec"]
    var seconds: Double = Double(ProcessInfo.processInfo.environment["SITEBUILD_FUZZ_SECONDS"] ?? "") ?? 5
    var iterations = Int.max
    var seed = UInt64.random(in: 1...UInt64.max)
    var corpus: [String] = []
    var work: String?
    var hangSeconds: Double = 60
    var verbose = false
    /// Inputs to run once each, unmutated (to reproduce a finding).
    var replay: [String] = []
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sitebuild-fuzz: \(message)\nusage: sitebuild-fuzz [extractor|buildspec|all] [--seconds N] [--iterations N] [--seed N] [--corpus DIR]... [--work DIR] [--hang-seconds N] [--verbose] [--stack-kib N] [--replay FILE]...\n".utf8))
    exit(2)
}

func parseOptions(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments[...]
    func value(_ flag: String) -> String {
        guard let next = rest.popFirst() else { usage("\(flag) needs a value") }
        return next
    }
    func number<T: LosslessStringConvertible>(_ flag: String, _ what: String) -> T {
        guard let parsed = T(value(flag)) else { usage("\(flag): \(what)") }
        return parsed
    }
    while let argument = rest.popFirst() {
        switch argument {
        case "extractor", "buildspec": options.targets = [argument]
        case "all": options.targets = ["extractor", "buildspec"]
        case "--seconds": options.seconds = number(argument, "a number of seconds")
        case "--iterations": options.iterations = number(argument, "a whole number")
        case "--seed": options.seed = number(argument, "a whole number")
        case "--corpus": options.corpus.append(value(argument))
        case "--work": options.work = value(argument)
        case "--hang-seconds": options.hangSeconds = number(argument, "a number of seconds")
        case "--verbose": options.verbose = true
        case "--replay": options.replay.append(value(argument))
        case "--stack-kib": _ = value(argument)   // read before the fuzzing thread starts
        case "-h", "--help": usage("fuzzes the archive extractor and the buildspec parser")
        default: usage("unknown argument '\(argument)'")
        }
    }
    return options
}

/// Archives and buildspecs from the --corpus directories, by file name.
func corpusSeeds(_ directories: [String]) -> (archives: [ArchiveSeed], buildspecs: [[UInt8]]) {
    var archives: [ArchiveSeed] = []
    var buildspecs: [[UInt8]] = []
    for directory in directories {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { usage("--corpus \(directory): no such directory") }
        while let relative = walker.nextObject() as? String {
            let path = directory + "/" + relative
            guard let data = FileManager.default.contents(atPath: path), data.count <= 8 << 20 else { continue }
            let lower = relative.lowercased()
            if lower.hasSuffix(".yml") || lower.hasSuffix(".yaml") {
                buildspecs.append(Array(data))
            } else if lower.hasSuffix(".zip") {
                archives.append(ArchiveSeed(name: relative, kind: .zip, bytes: Array(data)))
            } else if lower.hasSuffix(".tar") {
                archives.append(ArchiveSeed(name: relative, kind: .tar, bytes: Array(data)))
            } else if [".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.bz2", ".tar.xz"].contains(where: lower.hasSuffix) {
                archives.append(ArchiveSeed(name: relative, kind: .compressed, bytes: Array(data)))
            }
        }
    }
    return (archives, buildspecs)
}

/// Exits with status 3 when one input runs longer than `limit`.
func startWatchdog(_ progress: FuzzProgress, limit: Double, inputs: String) {
    Thread.detachNewThread {
        while true {
            sleep(1)
            let (stage, since) = progress.current
            if ContinuousClock.now - since > .seconds(limit) {
                FileHandle.standardError.write(Data("sitebuild-fuzz: HANG: no progress for \(Int(limit)) s while \(stage); the input is in \(inputs)\n".utf8))
                exit(3)
            }
        }
    }
}

func runFuzzer() -> Int32 {
    let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
    let fm = FileManager.default
    let directory = options.work ?? fm.temporaryDirectory.appendingPathComponent("sitebuild-fuzz-\(getpid())").path
    do {
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        usage("cannot create \(directory): \(error)")
    }
    if !options.replay.isEmpty { return replay(options.replay, directory: directory) }
    let corpus = corpusSeeds(options.corpus)
    print("sitebuild-fuzz: seed \(options.seed), \(options.seconds) s, targets \(options.targets.sorted().joined(separator: ", ")), work \(directory)")
    var random = SeededRandom(seed: options.seed)
    let progress = FuzzProgress()
    startWatchdog(progress, limit: options.hangSeconds, inputs: directory + "/current.*")

    var extractor: ExtractorFuzzer?
    if options.targets.contains("extractor") {
        do {
            extractor = try ExtractorFuzzer(directory: directory, extraSeeds: corpus.archives)
            extractor?.verbose = options.verbose
        } catch {
            FileHandle.standardError.write(Data("sitebuild-fuzz: cannot prepare the extractor seeds: \(error)\n".utf8))
            return 2
        }
    }
    var buildspec = options.targets.contains("buildspec") ? BuildSpecFuzzer(directory: directory, extraSeeds: corpus.buildspecs) : nil

    let deadline = ContinuousClock.now + .milliseconds(Int64(options.seconds * 1000))
    var iteration = 0
    while iteration < options.iterations && ContinuousClock.now < deadline {
        iteration += 1
        let useExtractor = extractor != nil && (buildspec == nil || iteration % 2 == 0)
        let violation: String?
        let inputPath: String
        if useExtractor {
            violation = extractor!.iterate(&random, progress: progress)
            inputPath = extractor!.input
        } else {
            violation = buildspec!.iterate(&random, progress: progress)
            inputPath = buildspec!.input
        }
        if let violation {
            let saved = directory + "/finding-\(iteration)" + (useExtractor ? ".input" : ".yml")
            try? fm.removeItem(atPath: saved)
            try? fm.copyItem(atPath: inputPath, toPath: saved)
            print("sitebuild-fuzz: FOUND after \(iteration) iterations (seed \(options.seed)): \(violation)\n  input saved as \(saved)")
            return 1
        }
    }
    progress.enter("finished")
    if let stats = extractor?.stats {
        print("extractor: \(stats.total) archives; " + stats.counts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
    if let stats = buildspec?.stats {
        let top = stats.counts.sorted { $0.value > $1.value }.prefix(12)
        print("buildspec: \(stats.total) texts; " + top.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
    print("sitebuild-fuzz: nothing found in \(iteration) iterations (seed \(options.seed))")
    if options.work == nil { try? fm.removeItem(atPath: directory) }
    return 0
}

/// Runs each input once through the extractor (archives) or the parser (.yml, .yaml).
func replay(_ inputs: [String], directory: String) -> Int32 {
    for input in inputs {
        guard let data = FileManager.default.contents(atPath: input) else { usage("--replay \(input): cannot read it") }
        if input.hasSuffix(".yml") || input.hasSuffix(".yaml") {
            let outcome = BuildSpecFuzzer.outcome(String(decoding: data, as: UTF8.self))
            print("\(input): \(outcome.kind)" + (outcome.problem.map { "; FOUND: \($0)" } ?? ""))
        } else {
            let destination = directory + "/replay"
            try? FileManager.default.removeItem(atPath: destination)
            do {
                let summary = try SafeExtractor().extract(input, to: destination)
                print("\(input): extracted \(summary.files) files, \(summary.directories) directories, \(summary.symbolicLinks) links into \(destination)")
            } catch {
                print("\(input): \(error)")
            }
        }
    }
    return 0
}

// The fuzzers run on a thread whose stack size is chosen (--stack-kib, default 8 MiB: the
// main thread's and Linux's default thread stack, on which sitebuild parses buildspecs), so
// recursion in the parsers can be tested against smaller stacks too.
let stackKiB = CommandLine.arguments.firstIndex(of: "--stack-kib").flatMap { index in
    CommandLine.arguments.indices.contains(index + 1) ? Int(CommandLine.arguments[index + 1]) : nil
} ?? 8192
let fuzzThread = Thread {
    exit(runFuzzer())
}
fuzzThread.stackSize = stackKiB << 10
fuzzThread.start()
while true { sleep(60) }
