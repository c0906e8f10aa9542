import Foundation

/// Read-only access to a project's files by path relative to its root (`""` is the root),
/// so framework detection is a function of file contents that tests can feed from memory.
protocol ProjectFiles: Sendable {
    /// The text of a regular file, or nil when there is none (or it is too large to be a config file).
    func read(_ path: String) -> String?
    /// Whether `path` is a directory.
    func isDirectory(_ path: String) -> Bool
    /// The names in a directory, sorted; empty when it is not one.
    func list(_ path: String) -> [String]
}

extension ProjectFiles {
    func isFile(_ path: String) -> Bool { read(path) != nil }

    /// Directories below `path` (relative paths, sorted), `depth` levels down at most,
    /// skipping node_modules and hidden folders.
    func directories(under path: String, depth: Int) -> [String] {
        guard depth > 0 else { return [] }
        var found: [String] = []
        for name in list(path) where !name.hasPrefix(".") && name != "node_modules" {
            let child = ProjectPath.join(path, name)
            guard isDirectory(child) else { continue }
            found.append(child)
            found += directories(under: child, depth: depth - 1)
        }
        return found
    }
}

/// Joining and cleaning the relative paths detection and templates use.
enum ProjectPath {
    /// `a/b` from `a` and `b`; an empty or `.` part disappears.
    static func join(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty && $0 != "." }.joined(separator: "/")
    }

    /// A user-typed relative directory without `./`, repeated or trailing slashes; nil when it
    /// leaves the root (`..`) or is absolute.
    static func normalize(_ text: String) -> String? {
        guard !text.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in text.split(separator: "/") where part != "." {
            if part == ".." { return nil }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    /// `path` (relative to the folder `base`, itself relative to the root) as a path relative
    /// to the root, `..` resolved; nil when it is absolute or leaves the root.
    static func resolve(_ path: String, from base: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        var parts = base.split(separator: "/").map(String.init)
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(String(part))
            }
        }
        return parts.joined(separator: "/")
    }

    /// The folders from `path` up to the root, nearest first (`a/b`, `a`, ``).
    static func ancestry(_ path: String) -> [String] {
        var parts = path.split(separator: "/").map(String.init)
        var chain: [String] = []
        while !parts.isEmpty {
            chain.append(parts.joined(separator: "/"))
            parts.removeLast()
        }
        return chain + [""]
    }
}

/// The project on disk, below `root`.
struct DiskProjectFiles: ProjectFiles {
    let root: String
    /// Config files are small; anything larger is not read.
    static let maximumFileSize = 4 << 20

    func absolute(_ path: String) -> String { path.isEmpty ? root : root + "/" + path }

    func read(_ path: String) -> String? {
        let full = absolute(path)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: full),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, size <= Self.maximumFileSize,
              let data = FileManager.default.contents(atPath: full) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: absolute(path), isDirectory: &isDirectory) && isDirectory.boolValue
    }

    func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: absolute(path))) ?? []).sorted()
    }
}
