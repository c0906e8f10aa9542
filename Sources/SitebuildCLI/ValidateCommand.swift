import ArgumentParser
import BuildSpec
import Foundation
import SiteContent

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a buildspec without running it: errors and warnings as file:line:column.")

    @Option(help: "The source directory. Default: the current directory.")
    var source: String?

    @Option(help: "The buildspec file. Default: buildspec.yml in the source directory.")
    var buildspec: String?

    @Flag(help: "Print the findings as one JSON object.")
    var json = false

    func run() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let source = absolutePath(self.source ?? ".", relativeTo: cwd)
        let path = buildspec.map { absolutePath($0, relativeTo: cwd) } ?? source + "/buildspec.yml"
        var diagnostics: [Diagnostic]
        var summary: String?
        do {
            let (spec, warnings) = try BuildSpecParser.parse(contentsOf: path)
            diagnostics = warnings
            let commands = spec.phases.values.reduce(0) { $0 + $1.commands.count + $1.finally.count }
            summary = "\(path): valid buildspec \(spec.version.rawValue) (\(spec.phases.count) phase\(spec.phases.count == 1 ? "" : "s"), \(commands) command\(commands == 1 ? "" : "s"))"
        } catch let error as BuildSpecError {
            diagnostics = error.diagnostics
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if json {
            let items = diagnostics.map { d in
                JSONValue.object([("severity", .string(d.severity.rawValue)),
                                  ("file", d.location.map { .string($0.file) } ?? .null),
                                  ("line", d.location.map { .int(Int64($0.line)) } ?? .null),
                                  ("column", d.location.map { .int(Int64($0.column)) } ?? .null),
                                  ("keyPath", .string(d.keyPath)), ("message", .string(d.message))])
            }
            let value = JSONValue.object([("file", .string(path)), ("valid", .bool(errors == 0)), ("diagnostics", .array(items))])
            writeAll(1, Array((value.serialized() + "\n").utf8))
        } else {
            for d in diagnostics { writeAll(2, Array("\(d)\n".utf8)) }
            if let summary, errors == 0 { writeAll(1, Array("\(summary)\n".utf8)) }
        }
        if errors > 0 { throw ExitCode(ExitStatus.invalidInput) }
    }
}
