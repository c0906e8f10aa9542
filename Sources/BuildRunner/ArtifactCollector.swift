import BuildSpec
import Foundation
import SiteContent

/// One file chosen for an artifact: where it is stored in the artifact, and where it is.
public struct ArtifactFile: Sendable, Equatable {
    public var path: String
    public var source: String
    public var symlinkTarget: String?
    public var executable: Bool
    /// The device and inode of the file chosen (links followed): the copy checks it still is.
    public var identity: [UInt64]?
}

/// The files of one artifact block, and what the collector had to say about them.
public struct ArtifactSelection: Sendable {
    public var files: [ArtifactFile]
    /// CodeBuild-shaped log lines (`Expanding …`, `Found N file(s)`, `Skipping invalid file path …`).
    public var log: [String]
    public var warnings: [String]
    /// What the artifact would take but cannot: a folder that cannot be read, a name that is
    /// not UTF-8. Each stops the build (its files would be missing from what is deployed).
    public var problems: [String] = []
}

/// Resolves an artifact block's globs against the source directory, CodeBuild's way:
/// base-directory (itself possibly a glob) stripped, `files` patterns relative to it,
/// `exclude-paths` applied, then `discard-paths`. Files only.
///
/// Choices where CodeBuild's behaviour is not documented (see docs/buildspec-behaviour.md):
/// - a pattern naming a directory without a glob (`dist`) takes everything below it,
///   with a warning suggesting `dist/**/*`; in `exclude-paths`, one whose last component
///   names directories (`node_modules`, `**/node_modules`) leaves out everything below them;
/// - dotfiles match `*` and `**`;
/// - with `discard-paths: yes`, when two files get the same name the one whose full
///   path sorts first wins and a warning names both;
/// - without `enable-symlinks`, links are followed (the artifact holds the content);
///   a broken link is skipped with a warning.
public struct ArtifactCollector: Sendable {
    public var sourceDirectory: String
    /// Directories (relative to the source) whose files are never taken.
    public var excludedDirectories: [String] = []
    /// Files, relative to the source, that artifacts never take (what sitebuild itself is
    /// writing there: its redirected output, its exported-variables file).
    public var excludedFiles: [String] = []
    /// Absolute folders besides the source (`$CODEBUILD_SRC_DIR_source1`): the build's
    /// secondary sources. Links are followed within the source directory and these (and an
    /// absolute base directory outside them, within it), never elsewhere.
    public var secondarySourceDirectories: [String] = []

    public init(sourceDirectory: String) {
        self.sourceDirectory = sourceDirectory
    }

    public func select(_ artifacts: Artifacts) -> ArtifactSelection {
        var log: [String] = []
        var warnings: [String] = []
        let baseText = (artifacts.baseDirectory ?? ".").trimmingSlashes
        let ownIdentities = ownIdentities
        // An absolute base directory outside the sources (`/opt/out`, checked by the engine) is
        // where this artifact's files are: links are followed within it too.
        var roots = self.roots
        if baseText.hasPrefix("/"), !FileWalker.isInside(baseText, roots), FileWalker.realPath(baseText) != "/" {
            roots.append(FileWalker.realPath(baseText))
        }
        let outside = roots.count > self.roots.count ? "the source directory and the base directory" : "the source directory"
        let bases: [String]
        if let written = artifacts.baseDirectory, BuildSpecParser.isBlank(written) {
            // An empty base-directory names no folder (the parser refuses it): never the source
            // directory, whose every file (`.env` included) it would take.
            bases = []
        } else if baseText == "." || baseText.isEmpty {
            bases = ["."]
        } else if baseText.hasPrefix("/") {
            // A secondary source's folder, or another absolute one (the engine expands and
            // checks it): taken as written.
            bases = [baseText]
        } else if GlobPattern(baseText).isLiteral {
            bases = [GlobPattern(baseText).literalPath]
        } else {
            let pattern = GlobPattern(baseText)
            bases = FileWalker(followSymlinks: true, includeDirectories: true, skipping: ownIdentities)
                .walk(absolute(pattern.literalPrefix.joined(separator: "/")), prefix: pattern.literalPrefix.joined(separator: "/"))
                .filter { $0.kind == .directory && pattern.matches($0.path) }
                .map(\.path)
        }
        log.append("Expanding base directory path: \(artifacts.baseDirectory ?? ".")")
        log.append("Assembling file list")
        if bases.isEmpty {
            log.append("Skipping invalid base directory path \(baseText)")
        }

        var chosen: [(path: String, file: ArtifactFile)] = []
        var problems: [String] = []
        var excludes = artifacts.excludePaths.map(GlobPattern.init)
        // A bare directory name (`node_modules`, or `**/node_modules` wherever it is) leaves
        // out the files below it, as a bare directory in `files` takes them: a file pattern
        // would match no file, and what the user asked to leave out would be deployed.
        let directoryExcludes = artifacts.excludePaths.filter { GlobPattern($0).lastComponentIsLiteral }
            .map { text in
                let pattern = GlobPattern(text)
                return (text: text, pattern: GlobPattern(pattern.isLiteral ? pattern.globPath + "/" : text + "/"))
            }
        excludes += directoryExcludes.map(\.pattern)
        var warnedExcludes: Set<String> = []
        for base in bases {
            log.append("Expanding \(base)")
            let baseDir = absolute(base)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: baseDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                log.append("Skipping invalid base directory path \(base)")
                continue
            }
            guard FileWalker.isInside(baseDir, roots) else {
                warnings.append(base.hasPrefix("/") && !secondarySourceDirectories.isEmpty
                    ? "skipping base directory '\(base)': it leads outside the source directory and the secondary sources (a symbolic link, or a folder of neither)"
                    : "skipping base directory '\(base)': it leads outside the source directory (a symbolic link)")
                continue
            }
            // A base directory leading into sitebuild's own folders through a link holds
            // nothing to take, as one named inside them holds nothing.
            let intoOwn = !ownDirectories.isEmpty
                && FileWalker.isInside(baseDir, ownDirectories.map { FileWalker.realPath(absolute($0)) })
            log.append("Expanding file paths for base directory \(base)")
            log.append("Assembling file list")
            // Links are followed only within the source directory: one to /etc or a home
            // directory would copy this machine's files into the site.
            var walker = FileWalker(followSymlinks: !artifacts.enableSymlinks)
            walker.confinedTo = roots
            walker.reportsProblems = true
            // By device and inode too: a followed link (`dist/root -> ..`) leads to them under
            // another path.
            walker.skipping = ownIdentities
            let walked = walker.walk(baseDir).filter { entry in
                guard !intoOwn else { return false }
                let fromSource = base == "." ? entry.path : base + "/" + entry.path
                // Byte for byte: Swift's String comparison takes `café` spelled NFC and NFD as
                // equal, and would leave out a user's file that only resembles sitebuild's own.
                return !excludedDirectories.contains { fromSource.utf8.starts(with: ($0 + "/").utf8) }
                    && !excludedFiles.contains { fromSource.utf8.elementsEqual($0.utf8) }
            }
            let entries = walked.filter { $0.problem == nil }
            // What cannot be walked, where a `files` pattern would take it (a folder: what is
            // below it) and no exclude leaves it out: said, never dropped unseen.
            for entry in walked {
                guard let problem = entry.problem else { continue }
                let probes = entry.kind == .directory ? [entry.path + "/x", entry.path + "/x/y"] : [entry.path]
                let taken = artifacts.files.map(GlobPattern.init).contains { pattern in probes.contains { pattern.matches($0) } }
                guard taken, !probes.allSatisfy({ probe in excludes.contains { $0.matches(probe) } }) else { continue }
                let shown = base == "." ? entry.path : base + "/" + entry.path
                switch problem {
                case .unreadable(let reason): problems.append("cannot read \(shown) (\(reason)); fix its permissions or leave it out with exclude-paths")
                case .exhausted(let reason): problems.append("cannot read \(shown) (\(reason)); the process ran out of open files or memory: "
                    + "raise the open-file limit (ulimit -n)")
                case .nameNotUTF8: problems.append("\(shown): the name is not UTF-8, which URLs and S3 keys need; rename it")
                case .special(let what): warnings.append("skipping '\(shown)': it is \(what), not a file")
                }
            }
            for exclude in directoryExcludes where !warnedExcludes.contains(exclude.text)
                && entries.contains(where: { exclude.pattern.matches($0.path) }) {
                warnedExcludes.insert(exclude.text)
                let pattern = GlobPattern(exclude.text)
                warnings.append(pattern.isLiteral
                    ? "exclude-paths '\(exclude.text)' names a directory; sitebuild leaves out the files below it. "
                        + "Write '\(Self.filesBelow(pattern.globPath))' to say so explicitly"
                    : "exclude-paths '\(exclude.text)' names directories; sitebuild leaves out the files below them. "
                        + "Write '\(exclude.text)/**/*' to say so explicitly")
            }
            for patternText in artifacts.files {
                log.append("Expanding \(patternText)")
                let pattern = GlobPattern(patternText)
                var matched = entries.filter { pattern.matches($0.path) }
                // An empty pattern (`""`, `./`) names no directory: as one it would take every file.
                if matched.isEmpty, pattern.isLiteral, !pattern.literalPath.isEmpty {
                    let directoryPattern = GlobPattern(pattern.globPath + "/")
                    let below = entries.filter { directoryPattern.matches($0.path) }
                    if !below.isEmpty {
                        warnings.append("'\(patternText)' names a directory; sitebuild takes the files below it. Write '\(Self.filesBelow(pattern.globPath))' to say so explicitly")
                        matched = below
                    }
                }
                matched = matched.filter { entry in !excludes.contains { $0.matches(entry.path) } }
                if matched.isEmpty {
                    log.append("Skipping invalid file path \(patternText)")
                    continue
                }
                log.append("Found \(matched.count) file(s)")
                for entry in matched {
                    let source = baseDir + "/" + entry.path
                    var file = ArtifactFile(path: entry.path, source: source, symlinkTarget: nil,
                                            executable: entry.mode & 0o111 != 0, identity: entry.identity)
                    if case .symlink(let target) = entry.kind {
                        if artifacts.enableSymlinks {
                            file.symlinkTarget = target
                            file.executable = false
                        } else if entry.leadsOutside {
                            warnings.append("skipping '\(entry.path)': the symbolic link leads outside \(outside) (to '\(target)'); "
                                + "copy what it points to into the build output, or set enable-symlinks: yes to keep the link itself")
                            continue
                        } else {
                            warnings.append("skipping '\(entry.path)': the symbolic link points to '\(target)', which does not exist")
                            continue
                        }
                    }
                    chosen.append((entry.path, file))
                }
            }
        }

        // One entry per stored path: patterns may overlap, and several base directories
        // may hold the same relative path (the first base in path order wins). Paths are keyed
        // by their bytes: a String key takes `café` spelled NFC and NFD as one path, and the
        // second file would be dropped unseen.
        var byPath: [[UInt8]: ArtifactFile] = [:]
        for item in chosen {
            let key = Array(item.path.utf8)
            if let existing = byPath[key] {
                if existing.source != item.file.source {
                    warnings.append("'\(item.path)' is found in two base directories; keeping \(relative(existing.source)), skipping \(relative(item.file.source))")
                }
                continue
            }
            byPath[key] = item.file
        }
        var files = byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }

        if artifacts.discardPaths {
            var firstPath: [[UInt8]: String] = [:]
            var flattened: [ArtifactFile] = []
            for var file in files {
                let name = (file.path as NSString).lastPathComponent
                if let first = firstPath[Array(name.utf8)] {
                    warnings.append("discard-paths: '\(file.path)' and '\(first)' both become '\(name)'; keeping '\(first)' (the first in path order)")
                    continue
                }
                firstPath[Array(name.utf8)] = file.path
                file.path = name
                flattened.append(file)
            }
            files = flattened.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        }
        problems += normalisationClashes(files)
        return ArtifactSelection(files: files, log: log, warnings: warnings, problems: problems)
    }

    /// Stored paths that differ only in Unicode normalisation (`café` written precomposed and
    /// decomposed): one file on macOS and some file systems, two keys on S3, so deploy refuses
    /// them; the build says so first, naming both files.
    func normalisationClashes(_ files: [ArtifactFile]) -> [String] {
        var problems: [String] = []
        var byNormalForm: [String: ArtifactFile] = [:]
        for file in files where file.path.utf8.contains(where: { $0 >= 0x80 }) {
            let nfc = file.path.precomposedStringWithCanonicalMapping
            if let other = byNormalForm[nfc] {
                problems.append("'\(relative(other.source))'\(Self.normalForm(of: other.path)) and '\(relative(file.source))'\(Self.normalForm(of: file.path)) "
                    + "differ only in Unicode normalisation; in the artifact they would collide (one file on some file systems, two keys on S3), and deploy refuses them: rename one")
                continue
            }
            byNormalForm[nfc] = file
        }
        return problems
    }

    /// ` (NFC)` or ` (NFD)`: which spelling a path is, since both print alike.
    static func normalForm(of path: String) -> String {
        if path.utf8.elementsEqual(path.precomposedStringWithCanonicalMapping.utf8) { return " (NFC)" }
        if path.utf8.elementsEqual(path.decomposedStringWithCanonicalMapping.utf8) { return " (NFD)" }
        return ""
    }

    /// The relative glob for the files below `directory` (`dist/**/*`; `**/*` for the source
    /// directory itself), as a hint names it: never an absolute pattern, which artifacts refuse.
    static func filesBelow(_ directory: String) -> String {
        directory.isEmpty || directory == "." ? "**/*" : directory + "/**/*"
    }

    /// The excluded directories that are not the source directory itself.
    var ownDirectories: [String] {
        excludedDirectories.filter { !$0.isEmpty && $0 != "." }
    }

    /// The device and inode of each excluded directory and file that exists.
    var ownIdentities: Set<[UInt64]> {
        FileWalker.identities(of: (ownDirectories + excludedFiles.filter { !$0.isEmpty }).map(absolute))
    }

    /// The source directory and the secondary sources, links resolved: where files are taken from.
    var roots: [String] {
        ([sourceDirectory] + secondarySourceDirectories).map(FileWalker.realPath)
    }

    func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.isEmpty || path == "." { return sourceDirectory }
        return sourceDirectory + "/" + path
    }

    func relative(_ path: String) -> String {
        path.hasPrefix(sourceDirectory + "/") ? String(path.dropFirst(sourceDirectory.count + 1)) : path
    }
}

extension String {
    var trimmingSlashes: String {
        var s = self
        while s.hasPrefix("./") { s.removeFirst(2) }
        while s.hasSuffix("/") && s.count > 1 { s.removeLast() }
        return s
    }
}
