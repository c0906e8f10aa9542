/// A reason `sitebuild init` wrote nothing: exit status 2, one message that says what to do.
struct InitError: Error, CustomStringConvertible {
    enum Code: Sendable {
        case badInput, unknownFramework, workspaceRoot, fileExists
    }

    let code: Code
    let description: String
    var candidates: [WorkspaceCandidate] = []
    var listsFrameworks = false

    init(_ code: Code, _ description: String, candidates: [WorkspaceCandidate] = [], listsFrameworks: Bool = false) {
        self.code = code
        self.description = description
        self.candidates = candidates
        self.listsFrameworks = listsFrameworks
    }
}
