import Foundation

/// Read-only access to a project's files by path relative to its root (`""` is the root),
/// so framework detection is a function of file contents that tests can feed from memory.
protocol ProjectFiles: Sendable {
    /// The text of a regular file, or nil when there is none (or it is too large to be a config file).
    func read(_ path: String) -> String?
    /// Whether `path` is a regular file, however large (a lockfile may be megabytes).
    func isFile(_ path: String) -> Bool
    /// The first `count` bytes of a regular file however large it is, as text; nil when there is none.
    func readStart(_ path: String, count: Int) -> String?
    /// Whether `path` is a directory.
    func isDirectory(_ path: String) -> Bool
    /// The names in a directory, sorted; empty when it is not one.
    func list(_ path: String) -> [String]
}

extension ProjectFiles {
    func isFile(_ path: String) -> Bool { read(path) != nil }

    func readStart(_ path: String, count: Int) -> String? {
        read(path).map { String(decoding: $0.utf8.prefix(count), as: UTF8.self) }
    }

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

    /// A relative path with `.` and inner `..` parts removed, leading `..` parts kept
    /// (`src/../dist` → `dist`, `src/../../dist` → `../dist`); nil when it is absolute.
    static func collapse(_ path: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else {
                parts.append(part)
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

/// The project on disk, below `root`. Symbolic links are followed while they stay inside
/// the project (a package.json linked from a shared folder counts); one pointing outside
/// reads as nothing there.
struct DiskProjectFiles: ProjectFiles {
    let root: String
    /// `root` with its own symbolic links resolved, what a followed link must stay below.
    private let realRoot: String
    /// Config files are small; anything larger is not read (but still exists: see `isFile`).
    static let maximumFileSize = 4 << 20

    init(root: String) {
        self.root = root
        realRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    }

    func absolute(_ path: String) -> String { path.isEmpty ? root : root + "/" + path }

    /// The path with every symbolic link followed, when it exists and stays inside the project.
    private func resolved(_ path: String) -> String? {
        let full = absolute(path)
        guard FileManager.default.fileExists(atPath: full) else { return nil }
        let real = URL(fileURLWithPath: full).resolvingSymlinksInPath().path
        let prefix = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
        return real == realRoot || real.hasPrefix(prefix) ? real : nil
    }

    /// The size of a regular file (after following links inside the project), nil for anything else.
    private func regularFileSize(_ real: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: real),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return attributes[.size] as? Int ?? 0
    }

    func read(_ path: String) -> String? {
        guard let real = resolved(path), let size = regularFileSize(real), size <= Self.maximumFileSize,
              let data = FileManager.default.contents(atPath: real) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func isFile(_ path: String) -> Bool {
        resolved(path).flatMap(regularFileSize) != nil
    }

    func readStart(_ path: String, count: Int) -> String? {
        guard let real = resolved(path), regularFileSize(real) != nil, let handle = FileHandle(forReadingAtPath: real) else { return nil }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: count)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func isDirectory(_ path: String) -> Bool {
        guard let real = resolved(path) else { return false }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    func list(_ path: String) -> [String] {
        guard let real = resolved(path) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: real)) ?? []).sorted()
    }
}
