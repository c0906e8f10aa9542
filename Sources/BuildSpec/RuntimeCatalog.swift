import Foundation
import Yams

/// The runtimes a CodeBuild image offers, as its `runtimes.yml` lists them
/// (`/codebuild/image/config/runtimes.yml` in AWS's standard images): for each runtime, its
/// versions and the commands that select one (`n $NODE_20_VERSION`, `pyenv global …`). A
/// buildspec's `runtime-versions` are chosen from it as CodeBuild chooses them.
public struct RuntimeCatalog: Sendable, Equatable {
    /// Where AWS's CodeBuild images keep the catalog.
    public static let imagePath = "/codebuild/image/config/runtimes.yml"

    public struct Version: Sendable, Equatable {
        public var name: String
        public var commands: [String]
    }

    /// Runtime names in file order, each with its versions in file order.
    public var runtimes: [(name: String, versions: [Version])]

    public static func == (lhs: RuntimeCatalog, rhs: RuntimeCatalog) -> Bool {
        lhs.runtimes.map(\.name) == rhs.runtimes.map(\.name) && lhs.runtimes.map(\.versions) == rhs.runtimes.map(\.versions)
    }

    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Reads a catalog. Version keys are taken as written (`1.20` stays `1.20`, not the number 1.2).
    public init(yaml: String) throws {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw FormatError(description: "not YAML: \(error)") }
        guard let runtimes = root?.mapping?["runtimes"]?.mapping else {
            throw FormatError(description: "it has no 'runtimes' mapping")
        }
        self.runtimes = try runtimes.map { key, value in
            guard let name = key.scalar?.string else { throw FormatError(description: "a runtime name is not a plain value") }
            guard let versions = value.mapping?["versions"]?.mapping else {
                throw FormatError(description: "runtimes.\(name) has no 'versions' mapping")
            }
            return (name, try versions.map { key, value in
                guard let version = key.scalar?.string else {
                    throw FormatError(description: "a version of runtimes.\(name) is not a plain value")
                }
                let commands = value.mapping?["commands"]?.sequence?.compactMap { $0.scalar?.string } ?? []
                return Version(name: version, commands: commands)
            })
        }
    }

    /// What a `runtime-versions` entry selects.
    public enum Selection: Equatable, Sendable {
        case version(Version)
        /// The image has no runtime of that name (the names it has).
        case unknownRuntime(available: [String])
        /// The runtime has no such version (the versions it has).
        case unknownVersion(available: [String])
    }

    /// The version `requested` selects for runtime `name`, as CodeBuild matches it: as written
    /// (`18`, `3.11`, `corretto17`), `<prefix>.x` for the highest version starting with it
    /// (`3.x` → `3.12`, `18.x` → `18`), or `latest` for the highest of all.
    public func select(_ name: String, _ requested: String) -> Selection {
        guard let versions = runtimes.first(where: { $0.name == name })?.versions else {
            return .unknownRuntime(available: runtimes.map(\.name))
        }
        let wanted = requested.trimmingCharacters(in: .whitespaces)
        if let exact = versions.first(where: { $0.name == wanted }) { return .version(exact) }
        let candidates: [Version]
        if wanted == "latest" {
            candidates = versions
        } else if wanted.hasSuffix(".x") {
            let prefix = String(wanted.dropLast(2))
            candidates = versions.filter { $0.name == prefix || $0.name.hasPrefix(prefix + ".") }
        } else {
            candidates = []
        }
        guard let highest = candidates.max(by: { Self.precedes($0.name, $1.name) }) else {
            return .unknownVersion(available: versions.map(\.name))
        }
        return .version(highest)
    }

    /// The runtime names CodeBuild's runtime selection knows: those of the runtimes.yml of AWS's
    /// Linux standard images (Ubuntu standard 2.0 to 8.0, Amazon Linux 2 and 2023) and of its
    /// runtime-versions reference. A closed set: any other name fails a build in a CodeBuild
    /// image ("Unknown runtime named …").
    public static let codeBuildNames = ["android", "docker", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby", "rust"]

    /// The CodeBuild runtime name `name` (not one of them) may mean: a common other spelling
    /// (`node`, `go`, `jdk`, `python3`, `node18`), or one at most two edits away.
    public static func suggestion(for name: String) -> String? {
        let lower = name.lowercased()
        var stem = Substring(lower)
        while let last = stem.last, last.isNumber || ".-_".contains(last) { stem.removeLast() }
        let aliases = ["node": "nodejs", "node.js": "nodejs", "go": "golang", "jdk": "java", "openjdk": "java", "corretto": "java",
                       "jre": "java", "py": "python", "dotnetcore": "dotnet", "dotnet-core": "dotnet", ".net": "dotnet", "net": "dotnet",
                       "rb": "ruby", "rustc": "rust", "cargo": "rust"]
        for candidate in [lower, String(stem)] {
            if codeBuildNames.contains(candidate) { return candidate }
            if let alias = aliases[candidate] { return alias }
        }
        let nearest = codeBuildNames.min { editDistance($0, lower) < editDistance($1, lower) }
        return nearest.flatMap { editDistance($0, lower) <= 2 ? $0 : nil }
    }

    /// Version order by the numbers in the names (`corretto8` < `corretto17`, `3.9` < `3.11`),
    /// then by the text.
    static func precedes(_ a: String, _ b: String) -> Bool {
        func numbers(_ s: String) -> [Int] {
            s.split { !$0.isASCII || !$0.isNumber }.compactMap { Int($0) }
        }
        let (x, y) = (numbers(a), numbers(b))
        return x == y ? a < b : x.lexicographicallyPrecedes(y)
    }
}

/// What a `runtime-versions` entry asks, set beside what a machine without a runtime catalog
/// has installed (its tool's `--version`): the requested value's leading numbers must equal
/// the installed version's first numbers (`18` and `18.x` ask major 18, `3.11` asks 3.11,
/// `corretto17` asks 17); `latest` is met by any installed version.
public enum InstalledRuntime {
    /// The program that tells a runtime's installed version, and its arguments, for the
    /// runtimes whose version is cheap to read; nil for the others (`android`).
    public static func probe(for runtime: String) -> (tool: String, arguments: [String])? {
        probes.first { $0.runtime == runtime }.map { ($0.tool, $0.arguments) }
    }

    /// The runtimes ``probe(for:)`` knows.
    public static var probed: [String] { probes.map(\.runtime) }

    static let probes: [(runtime: String, tool: String, arguments: [String])] = [
        ("nodejs", "node", ["--version"]), ("python", "python3", ["--version"]), ("java", "java", ["-version"]),
        ("golang", "go", ["version"]), ("ruby", "ruby", ["--version"]), ("php", "php", ["--version"]),
        ("dotnet", "dotnet", ["--version"]),
    ]

    /// The numbers a requested version asks for: its leading numeric components after any
    /// name (`corretto17` → [17], `3.11` → [3, 11], `18.x` → [18]); [] for `latest`; nil when
    /// it has no number to compare (`lts`).
    public static func requestedNumbers(_ requested: String) -> [Int]? {
        let wanted = requested.trimmingCharacters(in: .whitespaces)
        if wanted == "latest" { return [] }
        guard let start = wanted.firstIndex(where: { $0.isASCII && $0.isNumber }) else { return nil }
        let numbers = leadingNumbers(wanted[start...])
        return numbers.isEmpty ? nil : numbers
    }

    /// The installed version in a tool's output: its numbers, and the text to show for it
    /// (the output's line up to the end of the version: `v18.20.4`, `Python 3.11.7`,
    /// `openjdk version "17.0.9"`). Java's `1.8.0_392` is version 8, as Java names it.
    public static func installedVersion(runtime: String, output: String) -> (numbers: [Int], shown: String)? {
        for line in output.split(whereSeparator: \.isNewline) {
            // `java -version` may first say `Picked up JAVA_TOOL_OPTIONS: -Xmx2g`.
            if runtime == "java", !line.contains("version \"") { continue }
            let searched = runtime == "java" ? line[line.range(of: "version \"")!.upperBound...] : line[...]
            guard let start = searched.firstIndex(where: { $0.isASCII && $0.isNumber }) else { continue }
            var numbers = leadingNumbers(searched[start...])
            if runtime == "java", numbers.first == 1, numbers.count > 1 { numbers.removeFirst() }
            var end = searched[start...].firstIndex(where: { $0 == " " || $0 == "\"" || $0 == "\t" }) ?? searched.endIndex
            if end < searched.endIndex, searched[end] == "\"" { end = searched.index(after: end) }
            let shown = line[line.startIndex..<end].trimmingCharacters(in: .whitespaces)
            return (numbers, shown)
        }
        return nil
    }

    /// Whether an installed version meets a requested one (``requestedNumbers(_:)``).
    public static func meets(installed: [Int], requested: [Int]) -> Bool {
        installed.count >= requested.count && Array(installed.prefix(requested.count)) == requested
    }

    /// `3.11.7rc1` → [3, 11, 7]: numbers joined by dots, up to anything else.
    static func leadingNumbers(_ text: Substring) -> [Int] {
        var numbers: [Int] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            let digits = part.prefix { $0.isASCII && $0.isNumber }
            guard let number = Int(digits) else { break }
            numbers.append(number)
            if digits.count < part.count { break }
        }
        return numbers
    }
}
