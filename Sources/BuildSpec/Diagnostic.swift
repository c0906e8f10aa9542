/// A place in a source file, 1-based, as editors and compilers print it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One finding about a buildspec: an error stops the build before anything runs,
/// a warning is printed and the build goes on.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation?
    /// The key path the finding is about, such as `phases.build.commands[2]`.
    public var keyPath: String
    public var message: String

    public init(_ severity: Severity, at location: SourceLocation?, keyPath: String, _ message: String) {
        self.severity = severity
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    /// `buildspec.yml:12:7: error: phases.build.commands must be a list of strings`
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let subject = keyPath.isEmpty ? "" : "\(keyPath): "
        return "\(place)\(severity.rawValue): \(subject)\(message)"
    }
}

/// Thrown when a buildspec cannot be used: every error found, with locations.
public struct BuildSpecError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
