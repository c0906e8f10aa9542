import Foundation
import SiteContent

/// Feeds mutated archives to ``SafeExtractor`` and checks, after every run, that nothing
/// was written outside the extraction root, that a refusal left nothing behind, and that
/// an accepted archive holds only files, directories and links that stay inside.
struct ExtractorFuzzer {
    /// The fuzzer's own directory: `current.input`, `sandbox/`, findings.
    let directory: String
    let sandbox: String
    let work: String
    let sentinel: String
    let secret: String
    let input: String
    let limits = ExtractionLimits(totalBytes: 16 << 20, fileBytes: 8 << 20, entries: 5000)
    private var pool: [ArchiveSeed]
    private let seedCount: Int
    private let mutator: Mutator
    private(set) var stats = FuzzStats()
    /// Print the first message of each kind.
    var verbose = false
    static let secretText = "the fuzzer's secret: nothing may write here"

    init(directory: String, extraSeeds: [ArchiveSeed]) throws {
        self.directory = directory
        sandbox = directory + "/sandbox"
        work = sandbox + "/work"
        sentinel = sandbox + "/sentinel"
        secret = sandbox + "/secret.txt"
        input = directory + "/current.input"
        let fm = FileManager.default
        try? fm.removeItem(atPath: sandbox)
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: sentinel, withIntermediateDirectories: true)
        try Data(Self.secretText.utf8).write(to: URL(fileURLWithPath: secret))
        pool = try ArchiveSeeds.make(sentinel: sentinel, scratch: directory) + extraSeeds
        seedCount = pool.count
        mutator = Mutator(dictionary: ArchiveSeeds.dictionary(sentinel: sentinel))
    }

    /// One mutated archive through the extractor; returns a violation, or nil.
    mutating func iterate(_ random: inout SeededRandom, progress: FuzzProgress) -> String? {
        let seed = random.pick(pool)
        var bytes = seed.bytes
        if !random.chance(5) {
            if seed.kind != .compressed && random.chance(40) {
                bytes = ArchiveSeeds.mutateStructure(bytes, kind: seed.kind, sentinel: sentinel, random: &random)
            }
            if random.chance(70) {
                bytes = mutator.mutate(bytes, splice: random.pick(pool).bytes, random: &random)
            }
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: input))
        } catch {
            return "cannot write \(input): \(error)"
        }
        progress.enter("extracting a mutation of \(seed.name)")
        let destination = work + "/src"
        var outcome: String
        var accepted = false
        do {
            try SafeExtractor(limits: limits).extract(input, to: destination, named: "fuzz-input")
            outcome = "extracted"
            accepted = true
        } catch let error as ExtractionError {
            outcome = error.code.description
            if verbose && !stats.seenBefore("message " + outcome + (error.entry == nil ? "" : " entry")) {
                print("  \(seed.name): \(error)")
            }
            if !error.description.hasPrefix("fuzz-input: ") || error.description.count < 20 {
                return "an ExtractionError that does not name the archive: \(error)"
            }
        } catch {
            return "an error that is not an ExtractionError: \(type(of: error)): \(error)"
        }
        progress.enter("checking the sandbox after \(seed.name)")
        if let problem = checkSandbox(accepted: accepted) { return problem }
        stats.count(outcome)
        // Keep inputs that were accepted or refused for a new reason: they lead elsewhere.
        if accepted || !stats.seenBefore(seed.name + outcome) {
            // "+" marks a mutated descendant of the named seed.
            let child = ArchiveSeed(name: seed.name.hasSuffix("+") ? seed.name : seed.name + "+", kind: seed.kind, bytes: bytes)
            if pool.count < seedCount + 300 {
                pool.append(child)
            } else {
                pool[seedCount + Int.random(in: 0..<300, using: &random)] = child
            }
        }
        try? FileManager.default.removeItem(atPath: destination)
        return nil
    }

    private func checkSandbox(accepted: Bool) -> String? {
        let fm = FileManager.default
        let top = Set((try? fm.contentsOfDirectory(atPath: sandbox)) ?? [])
        if top != ["work", "sentinel", "secret.txt"] { return "written beside the work directory: \(top.sorted())" }
        let inSentinel = (try? fm.contentsOfDirectory(atPath: sentinel)) ?? ["?"]
        if !inSentinel.isEmpty { return "written to the sentinel directory outside the root: \(inSentinel)" }
        if (try? String(contentsOfFile: secret, encoding: .utf8)) != Self.secretText { return "the file outside the root was changed" }
        let inWork = (try? fm.contentsOfDirectory(atPath: work)) ?? ["?"]
        if accepted {
            if inWork != ["src"] { return "after a success the work directory holds \(inWork)" }
            return checkTree(work + "/src")
        }
        if !inWork.isEmpty { return "after a refusal the work directory still holds \(inWork)" }
        return nil
    }

    /// Every entry is a file, directory or link; links stay inside; the limits held.
    private func checkTree(_ root: String) -> String? {
        guard let realRoot = resolvedPath(root) else { return "cannot resolve \(root)" }
        var total: Int64 = 0
        var pending = [root]
        while let directory = pending.popLast() {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                let path = directory + "/" + name
                var st = stat()
                guard lstat(path, &st) == 0 else { return "cannot stat \(path)" }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: pending.append(path)
                case S_IFREG:
                    total += Int64(st.st_size)
                    if Int64(st.st_size) > limits.fileBytes { return "\(path) is \(st.st_size) bytes, past the per-file limit" }
                    if st.st_mode & 0o7000 != 0 { return "\(path) has set-id or sticky bits" }
                case S_IFLNK:
                    if let escape = linkEscapes(path, root: realRoot) { return escape }
                default:
                    return "\(path) is neither a file, a directory nor a link (mode \(String(st.st_mode, radix: 8)))"
                }
            }
        }
        if total > limits.totalBytes { return "the tree holds \(total) bytes, past the total limit" }
        return nil
    }

    /// Resolves the link as the kernel would, lexically past components that do not exist.
    private func linkEscapes(_ link: String, root: String) -> String? {
        if let resolved = resolvedPath(link) {
            return resolved == root || resolved.hasPrefix(root + "/") ? nil : "the link \(link) resolves to \(resolved), outside the root"
        }
        var components = link.dropFirst(root.count).split(separator: "/").map(String.init).dropLast()
        var target = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? ""
        var hops = 0
        if target.hasPrefix("/") { return "the link \(link) is absolute: \(target)" }
        while true {
            var rest = target.split(separator: "/").map(String.init)[...]
            var followed = false
            while let part = rest.popFirst() {
                if part == "." { continue }
                if part == ".." {
                    if components.isEmpty { return "the dangling link \(link) leads above the root" }
                    components.removeLast()
                    continue
                }
                components.append(part)
                let path = root + "/" + components.joined(separator: "/")
                if let next = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    hops += 1
                    if hops > 40 { return nil }
                    if next.hasPrefix("/") { return "the link chain from \(link) reaches the absolute \(next)" }
                    components.removeLast()
                    target = next + "/" + rest.joined(separator: "/")
                    followed = true
                    break
                }
            }
            if !followed { return nil }
        }
    }
}

/// `realpath(3)`, or nil when the path (or a link on it) does not resolve.
func resolvedPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
