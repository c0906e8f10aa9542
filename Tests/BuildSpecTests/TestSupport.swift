import BuildSpec
import Testing

let specFile = "buildspec.yml"

/// Parses `yaml` and fails the test if it is rejected.
func parseSpec(_ yaml: String, file: String = specFile) throws -> (spec: BuildSpec, warnings: [Diagnostic]) {
    try BuildSpecParser.parse(yaml, file: file)
}

/// Parses `yaml`, requires that it is rejected, and returns the diagnostics of the error.
func rejectSpec(_ yaml: String, file: String = specFile,
                sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> BuildSpecError {
    try #require(throws: BuildSpecError.self, sourceLocation: sourceLocation) {
        try BuildSpecParser.parse(yaml, file: file)
    }
}

/// The single diagnostic of `diagnostics` with `keyPath`, failing if there is not exactly one.
func diagnostic(_ diagnostics: [Diagnostic], keyPath: String, severity: Diagnostic.Severity = .error,
                sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Diagnostic {
    let found = diagnostics.filter { $0.keyPath == keyPath && $0.severity == severity }
    #expect(found.count == 1, "expected one \(severity) at \(keyPath), got \(diagnostics)", sourceLocation: sourceLocation)
    return try #require(found.first, sourceLocation: sourceLocation)
}

/// Line and column of a diagnostic, for compact comparisons.
func lineColumn(_ d: Diagnostic) -> [Int]? {
    d.location.map { [$0.line, $0.column] }
}
