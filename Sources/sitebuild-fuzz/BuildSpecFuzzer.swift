import BuildSpec
import Foundation

/// Feeds mutated buildspecs to ``BuildSpecParser/parse(_:file:)``: it must return a spec
/// or throw a ``BuildSpecError`` holding at least one error, every diagnostic with a
/// location inside the text, and give the same answer twice.
struct BuildSpecFuzzer {
    private var pool: [[UInt8]]
    private let seedCount: Int
    private let mutator: Mutator
    private(set) var stats = FuzzStats()
    let input: String

    static let seeds = [
        """
        version: 0.2
        run-as: builder
        env:
          shell: bash
          variables:
            NODE_ENV: production
            EMPTY: ""
          parameter-store:
            API_KEY: /site/api-key
          secrets-manager:
            TOKEN: prod/site:token:AWSCURRENT
          exported-variables: [BUILD_ID, NODE_ENV]
          git-credential-helper: yes
        phases:
          install:
            runtime-versions:
              nodejs: 20
            commands:
              - npm ci
          pre_build:
            on-failure: CONTINUE
            commands: [echo pre]
          build:
            on-failure: RETRY-2-.*timeout.*
            commands:
              - npm run build
              - |
                if [ -f dist/index.html ]; then
                  echo ok
                fi
            finally:
              - echo done
          post_build:
            run-as: root
            commands:
              - echo "$CODEBUILD_BUILD_SUCCEEDING"
        artifacts:
          name: site-$(date +%s)
          base-directory: dist
          discard-paths: no
          files:
            - '**/*'
          exclude-paths: ['**/*.map']
          secondary-artifacts:
            docs:
              base-directory: docs
              files: ['**/*']
        cache:
          key: npm-$(codebuild-hash-files package-lock.json)
          fallback-keys: [npm-]
          action: restore
          paths:
            - node_modules/**/*
        reports:
          junit:
            files: ['**/*.xml']
            file-format: JUNITXML
        """,
        """
        version: 0.1
        phases:
          build:
            commands:
              - make
        artifacts:
          files:
            - out/**/*
        """,
        """
        version: 0.2
        batch:
          build-list:
            - identifier: a
        proxy:
          upload-artifacts: yes
          logs: no
        phases:
          build:
            commands:
              - echo &anchor value
              - *anchor
        """,
        "version: 0.2\nphases: {build: {commands: [\"a: b\", 'c', d]}}\nartifacts: {files: ['*'], base-directory: .}\n",
        "%YAML 1.1\n---\nversion: 0.2\nphases:\n  build:\n    commands:\n      - !!str 1\n...\n",
        "",
    ]

    static let dictionary = [
        ": ", "- ", "\n", "\n  ", "\t", "{", "}", "[", "]", ",", "&a ", "*a", "<<: *a\n", "!!binary ", "!!map", "? ", "|\n", ">-\n",
        "'", "\"", "\\u0000", "\u{0}", "\u{FEFF}", "#", "---\n", "...\n", "%TAG ! tag:x:\n", "on-failure: RETRY-", "RETRY-99999999999999999999",
        "version: 0.2\n", "phases:\n", "commands:\n", "finally:\n", "env:\n", "variables:\n", "exported-variables:\n",
        "parameter-store:\n", "secrets-manager:\n", "artifacts:\n", "secondary-artifacts:\n", "cache:\n", "reports:\n",
        "runtime-versions:\n", "run-as: ", "base-directory: ", "files:\n", "1e999", "0x7FFFFFFFFFFFFFFF", "~", "null", "yes", "no",
        "**/*", "../", "\u{202E}", "é", "\u{1F600}",
    ].map { Array($0.utf8) }

    init(directory: String, extraSeeds: [[UInt8]]) {
        pool = Self.seeds.map { Array($0.utf8) } + extraSeeds
        seedCount = pool.count
        mutator = Mutator(dictionary: Self.dictionary)
        input = directory + "/current.yml"
    }

    mutating func iterate(_ random: inout SeededRandom, progress: FuzzProgress) -> String? {
        var bytes = random.pick(pool)
        if random.chance(3) {
            bytes = Self.deeplyNested(depth: Int.random(in: 10...2000, using: &random), random: &random)
        } else {
            bytes = mutator.mutate(bytes, splice: random.pick(pool), random: &random)
        }
        try? Data(bytes).write(to: URL(fileURLWithPath: input))
        let text = String(decoding: bytes, as: UTF8.self)
        progress.enter("parsing a buildspec of \(bytes.count) bytes")
        let first = Self.outcome(text)
        if let problem = first.problem { return problem }
        if random.chance(10) {
            let second = Self.outcome(text)
            if second.summary != first.summary { return "two parses of one text disagree:\n\(first.summary)\n---\n\(second.summary)" }
        }
        stats.count(first.kind)
        if first.kind == "parsed" || !stats.seenBefore(first.summary.prefix(80).description) {
            if pool.count < seedCount + 300 { pool.append(bytes) } else { pool[seedCount + Int.random(in: 0..<300, using: &random)] = bytes }
        }
        return nil
    }

    /// Nested flow or block collections, anchors and aliases: stack depth and expansion.
    static func deeplyNested(depth: Int, random: inout SeededRandom) -> [UInt8] {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return Array(("version: 0.2\nphases: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        case 1: return Array(("version: 0.2\nenv:\n  variables: " + String(repeating: "{a: ", count: depth) + "b" + String(repeating: "}", count: depth)).utf8)
        case 2:
            var text = "version: 0.2\nphases:\n"
            for level in 0..<min(depth, 400) { text += String(repeating: " ", count: level + 2) + "- \n" }
            return Array(text.utf8)
        default:
            // A "billion laughs" of aliases: the composer must not expand it into memory.
            var text = "version: 0.2\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            for level in 1..<min(depth, 12) { text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
            text += "phases:\n  build:\n    commands: *a\(min(depth, 12) - 1)\n"
            return Array(text.utf8)
        }
    }

    struct Outcome {
        var kind: String
        var summary: String
        var problem: String?
    }

    static func outcome(_ text: String) -> Outcome {
        let lines = yamlLineCount(text)
        do {
            let (spec, warnings) = try BuildSpecParser.parse(text, file: "fuzz.yml")
            let summary = "parsed \(spec.phases.count) phases, warnings: " + warnings.map(\.description).joined(separator: "|")
            return Outcome(kind: "parsed", summary: summary, problem: check(warnings, lines: lines))
        } catch let error as BuildSpecError {
            if error.errors.isEmpty { return Outcome(kind: "?", summary: "", problem: "a BuildSpecError without an error: \(error)") }
            let first = error.errors[0]
            let subject = first.keyPath.isEmpty ? first.message.split(separator: " ").prefix(3).joined(separator: " ")
                : first.keyPath.filter { !$0.isNumber }
            let kind = "refused at " + String(subject.prefix(50))
            return Outcome(kind: kind, summary: error.description, problem: check(error.diagnostics, lines: lines))
        } catch {
            return Outcome(kind: "?", summary: "", problem: "an error that is not a BuildSpecError: \(type(of: error)): \(error)")
        }
    }

    /// Lines as YAML (libyaml) counts them, which is what diagnostics report: CR, LF and CR LF
    /// each end a line, and so do NEL, LS and PS. (Counting "\n" alone put a diagnostic after
    /// a lone CR "outside the text".)
    static func yamlLineCount(_ text: String) -> Int {
        var lines = 1
        var previousCR = false
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: if !previousCR { lines += 1 }
            case 0x0D, 0x85, 0x2028, 0x2029: lines += 1
            default: break
            }
            previousCR = scalar.value == 0x0D
        }
        return lines
    }

    private static func check(_ diagnostics: [Diagnostic], lines: Int) -> String? {
        for diagnostic in diagnostics {
            if diagnostic.message.isEmpty { return "a diagnostic without a message: \(diagnostic)" }
            guard let location = diagnostic.location else { continue }
            if location.file != "fuzz.yml" { return "a diagnostic naming another file: \(diagnostic)" }
            if location.line < 1 || location.column < 1 || location.line > lines + 1 {
                return "a diagnostic outside the text (\(lines) lines): \(diagnostic)"
            }
        }
        return nil
    }
}
