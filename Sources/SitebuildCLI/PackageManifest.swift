import Foundation

/// The parts of a package.json that framework detection reads.
struct PackageManifest: Sendable {
    enum DependencyKind: String, Sendable {
        case dependency, devDependency
    }

    var dependencies: [String: String] = [:]
    var devDependencies: [String: String] = [:]
    var scripts: [String: String] = [:]
    /// `workspaces` (an array, or `{packages: [...]}`); nil when the key is absent.
    var workspaces: [String]?
    /// Corepack's `packageManager` field, e.g. `pnpm@9.1.0`.
    var packageManager: String?
    /// `homepage`, which Create React App takes for the URL the site is served from.
    var homepage: String?

    /// Parses package.json text; the error names `file` and leaves the advice to the caller
    /// (detection can be skipped with --framework; a Node build cannot do without the file).
    init(json text: String, file: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw UsageError("\(file) is not valid JSON (\(Self.reason(error)))")
        }
        guard let root = object as? [String: Any] else {
            throw UsageError("\(file) must hold a JSON object")
        }
        func strings(_ key: String) -> [String: String] {
            (root[key] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        }
        dependencies = strings("dependencies")
        devDependencies = strings("devDependencies")
        scripts = strings("scripts")
        packageManager = root["packageManager"] as? String
        homepage = root["homepage"] as? String
        if let list = root["workspaces"] as? [Any] {
            workspaces = list.compactMap { $0 as? String }
        } else if let map = root["workspaces"] as? [String: Any] {
            workspaces = (map["packages"] as? [Any] ?? []).compactMap { $0 as? String }
        }
    }

    /// The exact package `name` in dependencies or devDependencies, with its declared version.
    func dependency(_ name: String) -> (kind: DependencyKind, version: String)? {
        if let version = dependencies[name] { return (.dependency, version) }
        if let version = devDependencies[name] { return (.devDependency, version) }
        return nil
    }

    var hasDependencies: Bool { !dependencies.isEmpty || !devDependencies.isEmpty }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
    }
}
