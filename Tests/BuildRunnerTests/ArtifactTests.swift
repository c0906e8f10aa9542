import BuildRunner
import BuildSpec
import Foundation
import Testing

@Suite struct ArtifactTests {
    func files(under dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? [])
            .filter { path in
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: dir + "/" + path, isDirectory: &isDir)
                return !isDir.boolValue
            }.sorted()
    }

    @Test func globsBaseDirectoryAndExcludes() throws {
        let h = try BuildHarness()
        for path in ["dist/index.html", "dist/.well-known/security.txt", "dist/assets/app.js", "dist/assets/app.js.map",
                     "dist/assets/img/logo.svg", "other.txt"] {
            try h.write(path, path)
        }
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - cd dist
            artifacts:
              base-directory: dist
              files:
                - '**/*'
              exclude-paths:
                - '**/*.map'
            """, out: out)
        // `cd dist` in a command does not move the artifact base: paths resolve against the source.
        #expect(run.result.status == .succeeded)
        #expect(files(under: out) == [".well-known/security.txt", "assets/app.js", "assets/img/logo.svg", "index.html"])
        #expect(run.log.contains("Expanding base directory path: dist"))
        #expect(run.log.contains("Found 4 file(s)"))
        // As CodeBuild logs it: the post_build context line, then the artifact lines, with no
        // "Entering phase" line for UPLOAD_ARTIFACTS.
        #expect(!run.log.contains("Entering phase UPLOAD_ARTIFACTS"))
        #expect(run.log.contains("Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED"))
    }

    /// Variables in base-directory are expanded as the build's shell sees them after
    /// post_build (AWS's multi-source samples write `base-directory: $CODEBUILD_SRC_DIR`); an
    /// absolute result inside the source is taken relative to it, one outside it fails the build.
    @Test func baseDirectoryVariablesAreExpanded() throws {
        let h = try BuildHarness()
        for path in ["web/dist/index.html", "web/dist/app.js", "top.txt"] { try h.write(path, path) }
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                APP: web
            phases:
              build:
                commands:
                  - export BUILD_DIR=$APP/dist
            artifacts:
              base-directory: $BUILD_DIR
              files:
                - '**/*'
              secondary-artifacts:
                whole:
                  base-directory: $CODEBUILD_SRC_DIR
                  files:
                    - top.txt
            """, out: out)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(files(under: out) == ["app.js", "index.html"])
        #expect(files(under: out + "-whole") == ["top.txt"])
        // A folder outside the source is taken from where it is, as CodeBuild takes it.
        try h.write(h.root + "/home/profile.txt", "profile")
        let outside = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: $HOME
              files: ['**/*']
            """, environment: ["PATH": "/usr/bin:/bin", "HOME": h.root + "/home"], out: out)
        #expect(outside.result.status == .succeeded, "\(outside.log)")
        #expect(files(under: out) == ["profile.txt"])
        let empty = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: $NOT_SET_HERE
              files: ['**/*']
            """, out: out)
        #expect(empty.result.status == .failed)
        #expect(empty.log.contains("artifacts.base-directory '$NOT_SET_HERE' expands to nothing"), "\(empty.log)")
    }

    /// AWS's multi-source sample (sample-multi-in-out) takes a secondary artifact from a
    /// secondary source: `base-directory: $CODEBUILD_SRC_DIR_source1`, a folder CodeBuild puts
    /// beside the primary source. A folder the given environment's CODEBUILD_SRC_DIR_<id> names
    /// is taken (for the primary artifact too); links in it still lead nowhere else, and a
    /// CODEBUILD_SRC_DIR_<id> the buildspec sets opens no folder.
    @Test func aSecondarySourcesFolderIsABaseDirectory() throws {
        let h = try BuildHarness()
        let secondary = h.root + "/src2"
        try h.write("index.html", "primary")
        try h.write(secondary + "/docs/guide.html", "guide")
        try h.write(secondary + "/notes.txt", "notes")
        try h.write(h.root + "/private/key", "secret")
        try FileManager.default.createSymbolicLink(atPath: secondary + "/key", withDestinationPath: h.root + "/private/key")
        try FileManager.default.createSymbolicLink(atPath: secondary + "/home.html", withDestinationPath: h.source + "/index.html")
        var environment = ProcessInfo.processInfo.environment
        environment["CODEBUILD_SRC_DIR_source1"] = secondary
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: $CODEBUILD_SRC_DIR_source1/docs
              files: ['**/*']
              secondary-artifacts:
                artifact1:
                  base-directory: $CODEBUILD_SRC_DIR
                  files: [index.html]
                artifact2:
                  base-directory: $CODEBUILD_SRC_DIR_source1
                  files: ['**/*']
            """, environment: environment, out: out)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(files(under: out) == ["guide.html"])
        #expect(files(under: out + "-artifact1") == ["index.html"])
        #expect(files(under: out + "-artifact2") == ["docs/guide.html", "home.html", "notes.txt"], "a link to the primary source is followed")
        #expect(run.log.contains("skipping 'key': the symbolic link leads outside the source directory"), "\(run.log)")
        let planted = try h.run("""
            version: 0.2
            env:
              variables:
                CODEBUILD_SRC_DIR_evil: \(h.root)/private
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: $CODEBUILD_SRC_DIR_evil
              files: ['**/*']
            """, out: out)
        #expect(planted.result.status == .failed, "\(planted.log)")
        #expect(files(under: out) == ["guide.html"], "nothing of \(h.root)/private is taken")
    }

    /// An absolute base-directory outside the source (`/opt/out`, literal or from a variable, as
    /// AWS's multiple-sources example and templates that build into /opt write it) is taken
    /// from where it is, by the same rules: globs, exclude-paths, discard-paths, and links
    /// followed only within it and the source. The root, '..' and the output tree are refused.
    @Test func anAbsoluteBaseDirectoryOutsideTheSourceIsTakenFromThere() throws {
        let h = try BuildHarness()
        let opt = h.root + "/opt/out"
        try h.write(h.root + "/private/key", "secret")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                OPTDIR: \(h.root)/opt/docs/
            phases:
              build:
                commands:
                  - mkdir -p \(opt)/sub $OPTDIR/deep
                  - echo a > \(opt)/index.html && echo b > \(opt)/sub/page.html && echo m > \(opt)/app.js.map
                  - ln -s sub/page.html \(opt)/alias.html && ln -s \(h.root)/private/key \(opt)/key
                  - echo g > $OPTDIR/deep/guide.html
            artifacts:
              base-directory: \(opt)
              files: ['**/*']
              exclude-paths: ['**/*.map']
              secondary-artifacts:
                docs:
                  base-directory: $OPTDIR
                  files: ['**/*.html']
                  discard-paths: yes
            """, out: out)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(files(under: out) == ["alias.html", "index.html", "sub/page.html"])
        #expect(h.read(out + "/alias.html") == "b\n", "a link within the base directory is followed")
        #expect(files(under: out + "-docs") == ["guide.html"])
        #expect(run.log.contains("skipping 'key': the symbolic link leads outside the source directory and the base directory"), "\(run.log)")
        for (folder, message) in [("/", "the root of the file system"), (h.root + "/opt/../private", "which has '..'"),
                                  (out, "the output directory, which is replaced")] {
            let refused = try h.run("""
                version: 0.2
                env:
                  variables:
                    DIR: \(folder)
                phases:
                  build:
                    commands: [true]
                artifacts:
                  base-directory: $DIR
                  files: ['**/*']
                """, out: out)
            #expect(refused.result.status == .failed, "\(refused.log)")
            #expect(refused.log.contains(message), "\(folder): \(refused.log)")
        }
    }

    /// Variables in `files` and `exclude-paths` are expanded as base-directory's are (AWS's
    /// BankDemo tutorial writes `files: - $CODEBUILD_SRC_DIR/target/**`): an absolute result
    /// inside the base directory is taken relative to it, one outside it fails naming the key.
    @Test func filesAndExcludePathsVariablesAreExpanded() throws {
        let h = try BuildHarness()
        for path in ["target/BANK.so", "target/BANK.map", "site/public/index.html", "site/public/app.js", "site/public/app.js.map"] {
            try h.write(path, path)
        }
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                MAPS: '**/*.map'
            phases:
              build:
                commands:
                  - export OUTPUT_DIR=public
            artifacts:
              files:
                - $CODEBUILD_SRC_DIR/target/**
              exclude-paths:
                - $MAPS
              secondary-artifacts:
                web:
                  base-directory: site
                  files:
                    - $OUTPUT_DIR/**/*
                    - $CODEBUILD_SRC_DIR/site/public/app.js
                  exclude-paths: ${CODEBUILD_SRC_DIR}/site/public/*.map
            """, out: out)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(files(under: out) == ["target/BANK.so"])
        #expect(files(under: out + "-web") == ["public/app.js", "public/index.html"])
        #expect(run.log.contains("Expanding target/**"), "\(run.log)")
        let outside = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: target
              files:
                - $CODEBUILD_SRC_DIR/site/**/*
            """, out: out)
        #expect(outside.result.status == .failed)
        #expect(outside.log.contains("artifacts.files[0] '$CODEBUILD_SRC_DIR/site/**/*' is \(h.source)/site/**/*, outside the base directory target"),
                "\(outside.log)")
        let empty = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files:
                - $NOT_SET_HERE
            """, out: out)
        #expect(empty.result.status == .failed)
        #expect(empty.log.contains("artifacts.files[0] '$NOT_SET_HERE' expands to nothing"), "\(empty.log)")
    }

    /// What the artifact would take but cannot is never dropped unseen: a name that is not
    /// UTF-8 fails the build, a FIFO is skipped with a warning, and one the patterns do not
    /// take is not mentioned.
    @Test func namesThatAreNotUTF8FailTheBuildAndFIFOsAreSkippedWithAWarning() throws {
        let h = try BuildHarness()
        try h.write("dist/index.html", "x")
        try h.write("other/keep.txt", "x")
        #expect(mkfifo(h.source + "/dist/pipe", 0o644) == 0)
        let out = h.root + "/out"
        let fifo = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: dist
              files: ['**/*']
            """, out: out)
        #expect(fifo.result.status == .succeeded, "\(fifo.log)")
        #expect(fifo.log.contains("skipping 'dist/pipe': it is a FIFO, not a file"), "\(fifo.log)")
        #expect(files(under: out) == ["index.html"])
        var name = Array((h.source + "/dist/caf").utf8CString.dropLast()) + [CChar(bitPattern: 0xE9)] + Array(".html".utf8CString)
        let fd = name.withUnsafeMutableBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        let latin = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: dist
              files: ['**/*']
            """, out: out)
        #expect(latin.result.status == .failed)
        #expect(latin.log.contains("dist/caf\\xE9.html: the name is not UTF-8, which URLs and S3 keys need; rename it"), "\(latin.log)")
        // Not taken by the patterns: not a problem of this artifact.
        let other = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files: ['other/**/*']
            """, out: out)
        #expect(other.result.status == .succeeded, "\(other.log)")
    }

    @Test func starStaysInOneDirectoryAndDoubleStarCrosses() throws {
        let h = try BuildHarness()
        for path in ["a.txt", "dir/b.txt", "dir/sub/c.txt"] { try h.write(path, path) }
        let out = h.root + "/out"
        _ = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files:
                - '*.txt'
                - 'dir/*'
            """, out: out)
        #expect(files(under: out) == ["a.txt", "dir/b.txt"])
        _ = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files:
                - 'dir/**/*'
            """, out: out)
        #expect(files(under: out) == ["dir/b.txt", "dir/sub/c.txt"])
    }

    @Test func noMatchingPathsFailsWithClientError() throws {
        let h = try BuildHarness()
        try h.write("x/file.txt", "x")
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p ../elsewhere && echo hi > ../elsewhere/out.txt
            artifacts:
              files:
                - out.txt
                - missing/**/*
            """, out: h.root + "/out")
        #expect(run.result.status == .failed)
        #expect(run.phase("BUILD")?.status == "SUCCEEDED")
        #expect(run.phase("UPLOAD_ARTIFACTS")?.contextCode == "CLIENT_ERROR")
        #expect(run.log.contains("Skipping invalid file path out.txt"))
        #expect(run.log.contains("Phase context status code: CLIENT_ERROR Message: no matching artifact paths found"))
        #expect(!FileManager.default.fileExists(atPath: h.root + "/out"))
    }

    @Test func discardPathsKeepsTheFirstOfDuplicateNamesAndWarns() throws {
        let h = try BuildHarness()
        try h.write("a/x.txt", "from a")
        try h.write("b/x.txt", "from b")
        try h.write("b/y.txt", "y")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              discard-paths: yes
              files:
                - '**/*.txt'
            """, out: out)
        #expect(files(under: out) == ["x.txt", "y.txt"])
        #expect(h.read(out + "/x.txt") == "from a")
        #expect(run.log.contains("discard-paths: 'b/x.txt' and 'a/x.txt' both become 'x.txt'"))
    }

    /// Two names that differ only in Unicode normalisation (`café` precomposed and
    /// decomposed) fail the build, naming both, as deploy refuses them: keyed by Swift String
    /// they were one path, and one file was dropped while the build succeeded.
    @Test func namesDifferingOnlyInNormalisationFailTheBuild() throws {
        let h = try BuildHarness()
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p site; echo a > "site/$(printf 'caf\\303\\251').txt"; echo b > "site/$(printf 'cafe\\314\\201').txt"
            artifacts:
              base-directory: site
              files: ['**/*']
            """, out: out)
        #expect(run.result.status == .failed, "\(run.log)")
        #expect(run.log.contains("Found 2 file(s)"), "\(run.log)")
        #expect(run.log.contains("'site/cafe\u{301}.txt' (NFD) and 'site/caf\u{E9}.txt' (NFC) differ only in Unicode normalisation"), "\(run.log)")
        #expect(!FileManager.default.fileExists(atPath: out))

        // Also when discard-paths brings them together from two folders; a name repeated
        // byte for byte is still the documented warning.
        let flattened = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - rm -rf site; mkdir -p site/a site/b; echo a > "site/a/$(printf 'caf\\303\\251').txt"; echo b > "site/b/$(printf 'cafe\\314\\201').txt"
            artifacts:
              discard-paths: yes
              files: ['site/**/*']
            """, out: out)
        #expect(flattened.result.status == .failed, "\(flattened.log)")
        #expect(flattened.log.contains("'site/b/cafe\u{301}.txt' (NFD) and 'site/a/caf\u{E9}.txt' (NFC) differ only in Unicode normalisation"), "\(flattened.log)")
        #expect(!flattened.log.contains("both become"), "\(flattened.log)")
    }

    @Test func aBareDirectoryNameTakesItsFilesWithAWarning() throws {
        let h = try BuildHarness()
        try h.write("public/index.html", "i")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files:
                - public
            """, out: out)
        #expect(files(under: out) == ["public/index.html"])
        #expect(run.log.contains("'public' names a directory"))
        #expect(run.log.contains("Write 'public/**/*' to say so explicitly"))
    }

    /// Regression: an empty pattern (`""`, `./`) was taken as a directory named by its literal
    /// path, `''`, whose "files below" were every file of the source (`.env` included), with a
    /// hint to write the absolute '/**/*'; an empty base-directory was the source directory. The
    /// parser refuses both; the collector itself takes nothing from them.
    @Test func anEmptyPatternOrBaseDirectoryTakesNothing() throws {
        let h = try BuildHarness()
        try h.write(".env", "SECRET=1")
        try h.write("dist/index.html", "i")
        var collector = ArtifactCollector(sourceDirectory: h.source)
        collector.excludedDirectories = [".sitebuild"]
        for patterns in [[""], ["./"], ["."], ["  "]] {
            let selection = collector.select(Artifacts(files: patterns))
            #expect(selection.files.isEmpty, "\(patterns): \(selection.files.map(\.path))")
            #expect(!selection.warnings.contains { $0.contains("names a directory") }, "\(selection.warnings)")
        }
        #expect(collector.select(Artifacts(files: ["**/*"], baseDirectory: "")).files.isEmpty)
        let root = collector.select(Artifacts(files: ["**/*"], baseDirectory: "./"))
        #expect(root.files.map(\.path) == [".env", "dist/index.html"], "\(root.log) \(root.warnings) \(root.problems)")
    }

    /// Regression: a collector with no excluded folders of its own (the library's default) took
    /// every base directory as one of them (`isInside` of no roots is true) and collected nothing.
    @Test func aCollectorWithoutOwnFoldersCollectsTheFiles() throws {
        let h = try BuildHarness()
        try h.write("dist/index.html", "i")
        try h.write("dist/a/b.css", "b")
        let collector = ArtifactCollector(sourceDirectory: h.source)
        let selection = collector.select(Artifacts(files: ["**/*"], baseDirectory: "dist"))
        #expect(selection.files.map(\.path) == ["a/b.css", "index.html"], "\(selection.log) \(selection.warnings)")
    }

    /// `exclude-paths: [node_modules]` leaves the directory's files out (a file pattern would
    /// match none of them and deploy what was meant to stay out); a file of that name elsewhere
    /// and a path that only starts with the name stay in.
    @Test func aBareDirectoryInExcludePathsLeavesItsFilesOutWithAWarning() throws {
        let h = try BuildHarness()
        try h.write("index.html", "i")
        try h.write("node_modules/leftpad/index.js", "m")
        try h.write("node_modules_notes.txt", "n")
        try h.write("docs/node_modules", "a file")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files:
                - '**/*'
              exclude-paths:
                - node_modules
                - buildspec.yml
            """, out: out)
        #expect(files(under: out) == ["docs/node_modules", "index.html", "node_modules_notes.txt"])
        #expect(run.log.contains("exclude-paths 'node_modules' names a directory"))
        #expect(!run.log.contains("exclude-paths 'buildspec.yml'"))
    }

    /// Regression: `exclude-paths: ['**/node_modules']` (a glob whose last component names
    /// directories) left nothing out and said nothing; now, as for a bare name, the files below
    /// every directory it matches are left out, with the same warning. A file of that name
    /// stays out as before, and a wildcard last component (`docs/*`) still matches files only.
    @Test func aGlobNamingDirectoriesInExcludePathsLeavesTheirFilesOut() throws {
        let h = try BuildHarness()
        try h.write("index.html", "i")
        try h.write("node_modules/leftpad/index.js", "m")
        try h.write("packages/a/node_modules/b/index.js", "m")
        try h.write("packages/a/index.js", "a")
        try h.write("lib/node_modules", "a file")
        try h.write("docs/intro.md", "d")
        try h.write("docs/guide/setup.md", "g")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              files:
                - '**/*'
              exclude-paths:
                - '**/node_modules'
                - 'docs/*'
                - buildspec.yml
            """, out: out)
        #expect(files(under: out) == ["docs/guide/setup.md", "index.html", "packages/a/index.js"])
        #expect(run.log.contains("exclude-paths '**/node_modules' names directories; sitebuild leaves out the files below them. "
            + "Write '**/node_modules/**/*' to say so explicitly"), "\(run.log)")
        #expect(!run.log.contains("exclude-paths 'docs/*'"))
    }

    @Test func baseDirectoryGlobAndSecondaryArtifacts() throws {
        let h = try BuildHarness()
        try h.write("build-web/index.html", "w")
        try h.write("build-docs/guide.html", "d")
        try h.write("reports/junit.xml", "<testsuite/>")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            reports:
              unit:
                files:
                  - '**/*.xml'
                base-directory: reports
            artifacts:
              base-directory: 'build-*'
              files:
                - '**/*'
              secondary-artifacts:
                docs:
                  base-directory: build-docs
                  files:
                    - '*.html'
                  name: docs-$CODEBUILD_BUILD_NUMBER
            """, out: out)
        #expect(run.result.status == .succeeded)
        // The secondary artifact's tree is beside the primary's, never inside it.
        #expect(files(under: out) == ["guide.html", "index.html"])
        #expect(files(under: out + "-docs") == ["guide.html"])
        #expect(run.result.artifacts.map(\.directory) == [out, out + "-docs"])
        #expect(run.result.artifacts.map(\.identifier) == [nil, "docs"])
        #expect(run.result.artifacts.last?.name == "docs-1")
        #expect(run.result.reports.first?.files == ["junit.xml"])
    }

    /// Report group names with variables (`$REPORT_GROUP_NAME:`, which AWS allows) are expanded
    /// as CodeBuild expands them, with the build's variables after post_build; an ARN stays as
    /// it is, and a name that expands to nothing is kept as written with a warning.
    @Test func reportGroupNamesWithVariablesAreExpanded() throws {
        let h = try BuildHarness()
        try h.write("surefire/TEST-a.xml", "<testsuite/>")
        let run = try h.run("""
            version: 0.2
            env:
              variables:
                REPORT_GROUP_NAME: new-report-group
            phases:
              build:
                commands:
                  - export STAGE=beta
            reports:
              arn:aws:codebuild:us-east-1:123456789012:report-group/report-group-name-1:
                files: ['**/*']
                base-directory: surefire
              $REPORT_GROUP_NAME:
                files: ['**/*']
                base-directory: surefire
              unit-${STAGE}:
                files: ['**/*']
                base-directory: surefire
              $NOT_SET_HERE:
                files: ['**/*']
                base-directory: surefire
            """)
        #expect(run.result.status == .succeeded, "\(run.log)")
        #expect(run.result.reports.map(\.group) == ["arn:aws:codebuild:us-east-1:123456789012:report-group/report-group-name-1",
                                                     "new-report-group", "unit-beta", "$NOT_SET_HERE"])
        #expect(run.log.contains("Found 1 report file(s) for report group new-report-group (JUNITXML)"), "\(run.log)")
        #expect(run.log.contains("Warning: report group '$NOT_SET_HERE' expands to nothing"), "\(run.log)")
    }

    /// A secondary artifact named like a folder of the primary one leaves the primary's files
    /// as they are (it was written into the primary's tree, over its files).
    @Test func aSecondaryArtifactNeverChangesThePrimaryTree() throws {
        let h = try BuildHarness()
        try h.write("public/index.html", "site")
        try h.write("public/reports/index.html", "primary-report")
        try h.write("testout/index.html", "junit")
        let out = h.root + "/out"
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: public
              files: ['**/*']
              secondary-artifacts:
                reports:
                  base-directory: testout
                  files: ['**/*']
            """, out: out)
        #expect(run.result.status == .succeeded)
        #expect(files(under: out) == ["index.html", "reports/index.html"])
        #expect(h.read(out + "/reports/index.html") == "primary-report")
        #expect(h.read(out + "-reports/index.html") == "junit")
        #expect(!FileManager.default.fileExists(atPath: out + ".partial-\(getpid())"))
    }

    /// A collection that fails or is interrupted part way leaves no `<out>.partial-<pid>`
    /// behind: the staging tree was registered for removal only once it was complete, so a
    /// full disk, a file gone meanwhile or a signal left it for good.
    @Test func aFailedOrInterruptedCollectionLeavesNoStagingTree() throws {
        let spec = """
            version: 0.2
            phases:
              build:
                commands: [true]
            artifacts:
              base-directory: public
              files: ['**/*']
            """
        // A file removed after it was selected: copying it fails after the others were written.
        let h = try BuildHarness()
        for name in ["a.html", "b.html", "c.html"] { try h.write("public/" + name, name) }
        let out = h.root + "/out"
        let removed = h.source + "/public/c.html"
        let failed = try h.run(spec, out: out, onText: { bytes in
            if String(decoding: bytes, as: UTF8.self).contains("Found 3 file(s)") { unlink(removed) }
        })
        #expect(failed.result.status != .succeeded, "\(failed.log)")
        #expect(failed.log.contains("c.html"), "\(failed.log)")
        #expect(!FileManager.default.fileExists(atPath: out + ".partial-\(getpid())"))
        #expect(!FileManager.default.fileExists(atPath: out))

        // A signal while the files are copied.
        let cancellation = Cancellation()
        let stopped = try h.run(spec, out: out, cancellation: cancellation, onText: { bytes in
            if String(decoding: bytes, as: UTF8.self).contains("Found 2 file(s)") { cancellation.cancel(.interrupted(signal: SIGINT)) }
        })
        #expect(stopped.result.status == .stopped, "\(stopped.log)")
        #expect(!FileManager.default.fileExists(atPath: out + ".partial-\(getpid())"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func symlinksAreFollowedUnlessEnabled() throws {
        let h = try BuildHarness()
        try h.write("site/real.txt", "content")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/site/link.txt", withDestinationPath: "real.txt")
        let out = h.root + "/out"
        _ = try h.run("version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  base-directory: site\n  files: ['**/*']\n", out: out)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/link.txt")) == nil)
        #expect(h.read(out + "/link.txt") == "content")
        _ = try h.run("version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  base-directory: site\n  enable-symlinks: yes\n  files: ['**/*']\n", out: out)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/link.txt")) == "real.txt")
    }

    /// A kept link whose text was relative to its place in the source is re-aimed in the
    /// output tree, so `run` deploys what `deploy` of the source folder would: at the file the
    /// tree holds too, else at the source's file; the ZIP keeps the text as written.
    @Test func keptLinksStillReachTheirFilesInTheOutputTree() throws {
        let h = try BuildHarness()
        try h.write("dist/css/site.css", "css")
        try h.write("shared/x.css", "shared")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/dist/site.css", withDestinationPath: "../dist/css/site.css")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/dist/css/again.css", withDestinationPath: "./site.css")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/dist/x.css", withDestinationPath: "../shared/x.css")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/dist/gone.css", withDestinationPath: "../nowhere.css")
        let out = h.root + "/out"
        _ = try h.run("version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  base-directory: dist\n  enable-symlinks: yes\n  files: ['**/*']\n", out: out)
        let fm = FileManager.default
        #expect((try? fm.destinationOfSymbolicLink(atPath: out + "/site.css")) == "css/site.css")
        #expect(h.read(out + "/site.css") == "css")
        #expect((try? fm.destinationOfSymbolicLink(atPath: out + "/css/again.css")) == "site.css")
        #expect(h.read(out + "/x.css") == "shared")
        #expect((try? fm.destinationOfSymbolicLink(atPath: out + "/gone.css")) == "../nowhere.css", "pointing nowhere, it stays as written")
    }

    /// Links are followed only inside the source directory: a link to a directory or file
    /// elsewhere on the machine is left out with a warning, as is a base directory that is one.
    @Test func linksLeadingOutsideTheSourceAreNotFollowed() throws {
        let h = try BuildHarness()
        // Beside the source directory (h.root/src), not in it.
        let outside = h.root + "/outside"
        try FileManager.default.createDirectory(atPath: outside + "/dir", withIntermediateDirectories: true)
        try Data("private".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try Data("private".utf8).write(to: URL(fileURLWithPath: outside + "/dir/key.pem"))
        try h.write("site/index.html", "home")
        try h.write("shared/logo.svg", "<svg/>")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/site/etc", withDestinationPath: outside + "/dir")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/site/secret.txt", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/site/logo.svg", withDestinationPath: "../shared/logo.svg")
        try FileManager.default.createSymbolicLink(atPath: h.source + "/elsewhere", withDestinationPath: outside)
        let out = h.root + "/out"
        let run = try h.run("version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  base-directory: site\n  files: ['**/*']\n", out: out)
        #expect(run.result.status == .succeeded)
        // A link within the source (../shared) is followed; the two leading out are not.
        #expect(files(under: out) == ["index.html", "logo.svg"])
        #expect(run.log.contains("skipping 'etc': the symbolic link leads outside the source directory"), "\(run.log)")
        #expect(run.log.contains("skipping 'secret.txt': the symbolic link leads outside the source directory"))
        let based = try h.run("version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  base-directory: elsewhere\n  files: ['**/*']\n", out: out)
        #expect(based.result.status != .succeeded)
        #expect(based.log.contains("skipping base directory 'elsewhere': it leads outside the source directory"), "\(based.log)")
    }

    @Test func twoBuildsOfTheSameInputGiveByteIdenticalZips() throws {
        let h = try BuildHarness()
        let spec = """
            version: 0.2
            phases:
              build:
                commands:
                  - rm -rf dist && mkdir -p dist/sub && echo one > dist/a.txt && echo two > dist/sub/b.txt && printf '#!/bin/sh\\n' > dist/run.sh && chmod +x dist/run.sh
            artifacts:
              base-directory: dist
              files: ['**/*']
            """
        let first = h.root + "/first.zip", second = h.root + "/second.zip"
        _ = try h.run(spec, zip: first)
        sleep(1)
        _ = try h.run(spec, zip: second)
        let a = try #require(FileManager.default.contents(atPath: first))
        let b = try #require(FileManager.default.contents(atPath: second))
        #expect(a == b)
        #expect(!a.isEmpty)
    }

    @Test func theOutputDirectoryIsReplacedWhole() throws {
        let h = try BuildHarness()
        let out = h.root + "/out"
        try h.write(out + "/stale.txt", "old")
        try h.write("fresh.txt", "new")
        _ = try h.run("version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  files: [fresh.txt]\n", out: out)
        #expect(files(under: out) == ["fresh.txt"])
    }
}

@Suite struct CacheTests {
    @Test func aKeyedCacheIsSavedAfterSuccessAndRestoredBeforeInstall() throws {
        let h = try BuildHarness()
        let spec = """
            version: 0.2
            phases:
              install:
                commands:
                  - if [ -f deps/lib.txt ]; then echo "restored $(cat deps/lib.txt)"; else mkdir -p deps && echo v1 > deps/lib.txt && echo fetched; fi
            cache:
              key: deps-$(echo v1)
              paths:
                - 'deps/**/*'
            """
        let first = try h.run(spec)
        #expect(first.log.outputLines == ["fetched"])
        #expect(first.log.contains("Cache miss for key deps-v1"))
        #expect(first.log.contains("Saved 1 file(s) to the cache with key deps-v1"))
        try FileManager.default.removeItem(atPath: h.source + "/deps")
        let second = try h.run(spec)
        #expect(second.log.outputLines == ["restored v1"])
        #expect(second.log.contains("Cache for key deps-v1 exists already"))
    }

    @Test func fallbackKeysMatchByPrefix() throws {
        let h = try BuildHarness()
        let save = """
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p deps && echo old > deps/x
            cache:
              key: npm-aaa
              paths: [deps]
            """
        _ = try h.run(save)
        try FileManager.default.removeItem(atPath: h.source + "/deps")
        let restore = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - cat deps/x
            cache:
              key: npm-bbb
              fallback-keys:
                - npm-
              paths: [deps]
              action: restore
            """)
        #expect(restore.log.outputLines == ["old"])
        #expect(restore.log.contains("(fallback)"))
    }

    /// A fallback key that expands to nothing matches nothing (it was a prefix of every key).
    @Test func anEmptyFallbackKeyMatchesNothing() throws {
        let h = try BuildHarness()
        _ = try h.run("version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p deps && echo theirs > deps/x\ncache:\n  key: other-project-1\n  paths: [deps]\n")
        try FileManager.default.removeItem(atPath: h.source + "/deps")
        let mine = try h.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - test -f deps/x && echo restored || echo fresh
            cache:
              key: mine-1
              fallback-keys:
                - ${BASE_BRANCH}
              paths: [deps]
              action: restore
            """)
        #expect(mine.log.outputLines == ["fresh"], "\(mine.log)")
    }

    /// A cache key is the standard output of its expansion: an error message is not part of
    /// it, but is shown as a warning with the key.
    @Test func aCacheKeyIgnoresStandardError() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p deps && echo x > deps/x
            cache:
              key: npm/$(ls no-such-lockfile)-v1
              paths: [deps]
            """)
        #expect(run.log.contains("Saved 1 file(s) to the cache with key npm/-v1"), "\(run.log)")
        let warning = run.log.split(separator: "\n").first { $0.contains("Warning: cache.key") } ?? ""
        #expect(warning.hasSuffix("Warning: cache.key 'npm/$(ls no-such-lockfile)-v1' expands to npm/-v1, and its expansion reported: "
            + "ls: cannot access 'no-such-lockfile': No such file or directory"), "\(run.log)")
    }

    /// A damaged local entry is dropped when its restore fails, so the build's save replaces it.
    @Test func aDamagedCacheEntryIsReplaced() throws {
        let h = try BuildHarness()
        let spec = """
            version: 0.2
            phases:
              install:
                commands:
                  - if [ -s deps/lib.txt ]; then echo "restored $(cat deps/lib.txt)"; else mkdir -p deps && echo v1 > deps/lib.txt && echo fetched; fi
            cache:
              key: deps-v1
              paths: ['deps/**/*']
            """
        _ = try h.run(spec)
        let entries = try FileManager.default.contentsOfDirectory(atPath: h.cache + "/build-cache").filter { $0.hasSuffix(".tar") }
        let archive = h.cache + "/build-cache/" + (try #require(entries.first))
        let fd = open(archive, O_WRONLY)
        ftruncate(fd, 700)
        close(fd)
        try FileManager.default.removeItem(atPath: h.source + "/deps")
        let damaged = try h.run(spec)
        #expect(damaged.log.contains("the damaged entry was removed from the local cache"), "\(damaged.log)")
        #expect(damaged.log.contains("Saved 1 file(s) to the cache with key deps-v1"), "\(damaged.log)")
        try FileManager.default.removeItem(atPath: h.source + "/deps")
        let third = try h.run(spec)
        #expect(third.log.outputLines == ["restored v1"], "\(third.log)")
    }

    /// A cache block without `paths` is no cache, as CodeBuild skips it: an entry saved under
    /// its key by an earlier build is not restored, and nothing is saved.
    @Test func aCacheWithoutPathsNeitherRestoresNorSaves() throws {
        let h = try BuildHarness()
        let command = "if [ -e deps/x ]; then echo restored; else mkdir -p deps && echo x > deps/x && echo fresh; fi"
        let seeded = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - \(command)
            cache:
              key: deps-v1
              paths: ['deps/**/*']
            """)
        #expect(seeded.log.contains("Saved 1 file(s) to the cache with key deps-v1"), "\(seeded.log)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: h.cache + "/build-cache").sorted()
        try FileManager.default.removeItem(atPath: h.source + "/deps")
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - \(command)
            cache:
              key: deps-v1
            """)
        #expect(run.result.status == .succeeded)
        #expect(run.log.outputLines == ["fresh"], "\(run.log)")
        #expect(run.log.contains("Skip cache due to: no paths specified to be cached"), "\(run.log)")
        #expect(!run.log.contains("Saved") && !run.log.contains("Restored"), "\(run.log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.cache + "/build-cache").sorted() == entries)
    }

    @Test func aFailedBuildDoesNotSaveTheCache() throws {
        let h = try BuildHarness()
        let run = try h.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - mkdir -p deps && echo x > deps/x && false
            cache:
              key: k1
              paths: [deps]
            """)
        #expect(!run.log.contains("Saved"))
    }
}

@Suite struct LocalOnlyKeysTests {
    /// s3-prefix was parsed and dropped without a word: a user expecting the prefix is now told
    /// it has no effect locally and where a prefix goes instead.
    @Test func batchProxyRuntimeVersionsAndCredentialHelperAreLoggedAndTheBuildRuns() throws {
        let h = try BuildHarness()
        try h.write("site/index.html", "i")
        try h.write("docs/guide.html", "g")
        let run = try h.run("""
            version: 0.2
            env:
              git-credential-helper: yes
              variables:
                MY_RUBY_VAR: "3.2"
            proxy:
              upload-artifacts: yes
              logs: no
            batch:
              fast-fail: true
              build-list:
                - identifier: one
            phases:
              install:
                runtime-versions:
                  nodejs: 18
                  python: 3.11
                  ruby: $MY_RUBY_VAR
                commands:
                  - echo installed
            artifacts:
              base-directory: site
              files: ['**/*']
              s3-prefix: builds
              secondary-artifacts:
                docs:
                  base-directory: docs
                  files: ['*.html']
                  s3-prefix: docs
            """, zip: h.root + "/zips/site.zip")
        #expect(run.result.status == .succeeded)
        #expect(run.log.contains("Warning: batch (build-list) is not supported locally; running one ordinary build"))
        #expect(run.log.contains("proxy settings (upload-artifacts: yes, logs: no) have no effect in a local build"))
        #expect(run.log.contains("Selecting 'nodejs' runtime version '18' based on manual selections..."))
        #expect(run.log.contains("Selecting 'python' runtime version '3.11' based on manual selections..."))
        #expect(run.log.contains("Selecting 'ruby' runtime version '3.2' based on manual selections..."), "a variable is logged resolved")
        #expect(run.log.contains("git-credential-helper: git uses this machine's own credential configuration"))
        #expect(run.log.contains("Warning: artifacts.s3-prefix 'builds' has no effect in a local build"))
        #expect(run.log.contains("(--target s3://bucket/builds)"))
        #expect(run.log.contains("Warning: artifacts.secondary-artifacts.docs.s3-prefix 'docs' has no effect in a local build"))
        #expect(run.log.outputLines == ["installed"])
        // The secondary artifact's ZIP goes beside the primary one, named by its identifier.
        #expect(run.result.artifacts.map(\.zip) == [h.root + "/zips/site.zip", h.root + "/zips/docs.zip"])
        #expect(FileManager.default.fileExists(atPath: h.root + "/zips/docs.zip"))
    }
}
