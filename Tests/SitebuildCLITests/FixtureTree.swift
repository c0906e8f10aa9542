@testable import SitebuildCLI

/// A project tree in memory for detection tests: paths to file contents; a path ending in
/// `/` is an (empty) folder.
struct FixtureTree: ProjectFiles {
    let files: [String: String]

    init(_ files: [String: String]) { self.files = files }

    func read(_ path: String) -> String? { path.hasSuffix("/") ? nil : files[path] }

    func isDirectory(_ path: String) -> Bool {
        path.isEmpty || files.keys.contains { $0.hasPrefix(path + "/") }
    }

    func list(_ path: String) -> [String] {
        let prefix = path.isEmpty ? "" : path + "/"
        let names = files.keys.filter { $0.hasPrefix(prefix) && $0.count > prefix.count }
            .map { String($0.dropFirst(prefix.count).split(separator: "/")[0]) }
        return Array(Set(names)).sorted()
    }

    /// What `init` would conclude, with its error when it would stop.
    func recipe(app: String = "", framework: String? = nil, packageManager: String? = nil) throws -> SiteRecipe {
        try InitCommand.recipe(files: self, app: app, framework: framework, packageManager: packageManager)
    }

    func detect(app: String = "") throws -> DetectionOutcome {
        try FrameworkDetector(files: self).detect(app: app)
    }
}

/// package.json text from dependency maps.
func packageJSON(dependencies: [String: String] = [:], devDependencies: [String: String] = [:], scripts: [String: String] = [:],
                 extra: String = "") -> String {
    func object(_ map: [String: String]) -> String {
        "{" + map.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ") + "}"
    }
    return """
        {"name": "fixture", \(extra.isEmpty ? "" : extra + ", ")"dependencies": \(object(dependencies)), \
        "devDependencies": \(object(devDependencies)), "scripts": \(object(scripts))}
        """
}
