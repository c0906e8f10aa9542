@testable import BuildSpec
import Testing

@Suite struct YAMLDuplicateKeyTests {
    /// Regression: each repeat of a key made Yams read the whole file again (and the repeat was
    /// looked for in a fresh split of the text), so `validate` of a buildspec with ~900 repeats
    /// took ~20 s (its 1,000-repeat limit is still the limit). A block mapping's repeats are now renamed in one reading; the warnings are the
    /// same, at the same places, in the same order, and the last value is still the one used.
    @Test func aThousandRepeatsOfAKeyAreEachWarnedAboutAndTheLastWins() throws {
        let repeats = (0..<998).map { "    A: \"\($0)\"" }.joined(separator: "\n")
        let (spec, warnings) = try parseSpec("""
            version: 0.2
            env:
              variables:
            \(repeats)
              parameter-store:
                C: /c1
                B: /b1
                C: /c2
                B: /b2
            phases:
              build:
                commands: [echo a]
            """)
        #expect(warnings.count == 999)
        #expect(warnings.allSatisfy { $0.severity == .warning && $0.message.hasPrefix("duplicate key '") })
        // In the order the mappings end; within one, by key.
        #expect(warnings.prefix(2).map { lineColumn($0) ?? [] } == [[5, 5], [6, 5]], "\(warnings.prefix(2))")
        #expect(warnings[0].message.contains("duplicate key 'A' (first at line 4): the value here (line 5) is used"), "\(warnings[0])")
        #expect(lineColumn(warnings[996]) == [1001, 5])
        #expect(warnings[996].message.contains("duplicate key 'A' (first at line 1000): the value here (line 1001) is used"), "\(warnings[996])")
        #expect(warnings.suffix(2).map { lineColumn($0) ?? [] } == [[1006, 5], [1005, 5]], "\(warnings.suffix(2))")
        #expect(warnings[997].message.contains("duplicate key 'B' (first at line 1004)"), "\(warnings[997])")
        #expect(spec.env.variables.map { "\($0.name)=\($0.value)" } == ["A=997"])
        #expect(spec.env.parameterStore.map { "\($0.name)=\($0.parameter)" } == ["C=/c2", "B=/b2"])
    }

    /// The renaming by mapping is the one Yams's reports give one key at a time, or nil (and the
    /// slow way is taken) where the lines mislead.
    @Test(arguments: [
        // Interleaved keys, three times each, and nested mappings ending before their parent.
        (0..<3).flatMap { round in (0..<12).map { "K\($0): \(round)" } }.joined(separator: "\n")
            + "\nN:\n  x: 1\n  y: 2\n  x: 3\nK0: last\n",
        // Quoted and plain spellings of one key; `1` and `"1"` are different keys.
        "a: 1\n\"a\": 2\n'a': 3\n1: x\n\"1\": y\nb: [1, 2]\nb: {c: 1, c: 2}\n",
        // Mappings in list items, comments, blank lines and a block scalar at the key's indentation.
        "- a: 1\n  # a: comment\n\n  b: |\n    a: text\n  a: 2\n- a: 3\n  a: 4\n  a: 5\n",
        // A document marker and a mapping after a less indented line.
        "---\ntop:\n  k: 1\n  k: 2\nother:\n  k: 3\n",
    ])
    func byMappingIsOneByOne(_ text: String) throws {
        let (byMapping, oneByOne) = try renamings(text)
        #expect(byMapping == oneByOne)
    }

    @Test func whereALineOnlyLooksLikeAKeyTheSlowWayIsTaken() throws {
        // Line 5 is inside the quoted value.
        let text = "env:\n  variables:\n    A: \"one\n    A: two\"\n    A: three\n    A: four\n"
        let (byMapping, oneByOne) = try renamings(text)
        #expect(byMapping == nil)
        #expect(oneByOne == "A@3:5 A@5:5")
        #expect(try renamings("v: {a: 1, b: 2, a: 3, a: 4}\n").byMapping == "a@1:5 a@1:17")
    }

    @Test func pastTheLimitTheSameRepeatCannotBeLeftOut() throws {
        let text = (0..<8).map { "A: \($0)" }.joined(separator: "\n") + "\n"
        let (byMapping, oneByOne) = try renamings(text, limit: 5)
        #expect(byMapping == oneByOne)
        #expect(oneByOne == "cannot drop A@6:1, again at 7:1")
    }

    /// A YAML error after the repeats is thrown by both, as it is met once they are renamed; where
    /// a line taken for a key may be part of a quoted value, there is no tree to check the guess
    /// against, and the slow way is taken.
    @Test func anotherYAMLErrorIsThrownByBoth() throws {
        for broken in ["m:\n  a: 1\n  a: 2\n  a: 3\nb: [\n", "m:\n  a: \"x\n  a: y\"\n  a: 2\n  a: 3\nb: [\n"] {
            let scalars = Array(broken.unicodeScalars), starts = YAMLDuplicateKey.lineStarts(scalars)
            #expect(throws: (any Error).self) { try YAMLDuplicateKey.renameOneByOne(scalars, lineStarts: starts, text: broken, limit: 1_000) }
            if broken.contains("\"") {
                #expect(try YAMLDuplicateKey.renameByMapping(scalars, lineStarts: starts, text: broken, limit: 1_000) == nil)
            } else {
                #expect(throws: (any Error).self) { try YAMLDuplicateKey.renameByMapping(scalars, lineStarts: starts, text: broken, limit: 1_000) }
            }
        }
    }

    /// The renamings of `text` by mapping (nil when it gave up) and one by one, as
    /// `key@line:column` of each renamed key.
    func renamings(_ text: String, limit: Int = 1_000) throws -> (byMapping: String?, oneByOne: String) {
        let scalars = Array(text.unicodeScalars), starts = YAMLDuplicateKey.lineStarts(scalars)
        func described(_ renaming: YAMLDuplicateKey.Renaming) -> String {
            switch renaming {
            case .renamed(let keys, _):
                return keys.map { "\($0.repeat_.key)@\($0.repeat_.first.line):\($0.repeat_.first.column)" }.joined(separator: " ")
            case .cannotDrop(let found):
                return "cannot drop \(found.key)@\(found.first.line):\(found.first.column), again at "
                    + (found.repeated.map { "\($0.line):\($0.column)" } ?? "-")
            }
        }
        let byMapping = try YAMLDuplicateKey.renameByMapping(scalars, lineStarts: starts, text: text, limit: limit).map(described)
        let oneByOne = described(try YAMLDuplicateKey.renameOneByOne(scalars, lineStarts: starts, text: text, limit: limit))
        return (byMapping, oneByOne)
    }
}
