import BuildSpec
import Testing

/// Aliases of collections in mapping keys are refused before YAML reads the text (Yams hashes
/// a mapping's keys whole: nested aliases made that exponential), and nothing else is.
@Suite struct YAMLAliasKeyTests {
    /// A finding of the fuzzer: ten levels of lists of aliases, the last used as a key inside a
    /// flow list. Hashed whole it took minutes; now it is refused at once, naming the place.
    @Test func nestedAliasesUsedAsAKeyAreRefused() throws {
        var yaml = "version: 0.2\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...10 {
            yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "a11: [*a10, *a10: yes]\nphases:\n  build:\n    commands:\n      - echo hi\n"
        let error = try rejectSpec(yaml)
        let found = try #require(error.diagnostics.first)
        #expect(lineColumn(found) == [13, 13], "\(found)")
        #expect(found.message.hasPrefix("*a10 is an alias of a list or mapping used in a mapping key; buildspec keys are plain names"))
    }

    @Test func eachKeyFormIsFound() {
        let anchors = "base: &list [a, b]\nmore: &map\n  k: v\n"
        #expect(YAMLAliasKey.collectionAliasInKey(anchors + "*list: x\n")?.alias == "*list")
        #expect(YAMLAliasKey.collectionAliasInKey(anchors + "other:\n  *map : x\n")?.line == 5)
        #expect(YAMLAliasKey.collectionAliasInKey(anchors + "[*list, 1]: x\n")?.column == 2)
        #expect(YAMLAliasKey.collectionAliasInKey(anchors + "{a: [*map]}: x\n")?.alias == "*map")
        #expect(YAMLAliasKey.collectionAliasInKey(anchors + "? *list\n: x\n")?.alias == "*list")
        #expect(YAMLAliasKey.collectionAliasInKey(anchors + "x: {*list: 1}\n")?.alias == "*list")
    }

    /// Aliases as values, aliases of scalars, and text that only looks like an alias key
    /// (commands, quotes, comments, block scalars) are left to YAML.
    @Test func valuesScalarsAndTextAreLeftAlone() throws {
        let anchors = "base: &list [a, b]\nname: &name value\n"
        for text in [
            "x: *list\n", "x: [*list, *list]\n", "- *list\n", "<<: *list\n",
            "*name: x\n",                                   // an alias of a scalar
            "cmd: echo *list: x\n", "- echo a *list: x\n",  // inside plain scalars
            "cmd: '*list: x'\n", "cmd: \"[*list]: x\"\n",   // quoted
            "x: 1 # *list: y\n",                            // a comment
            "script: |\n  *list: x\n  [*list]: y\nafter: 1\n", "script: >-\n  *list: x\n",  // block scalars
        ] {
            #expect(YAMLAliasKey.collectionAliasInKey(anchors + text) == nil, "\(text)")
        }
        // A real buildspec with anchors for values still parses.
        let (spec, _) = try parseSpec("""
            version: 0.2
            env:
              variables:
                STAGE: &stage prod
            phases:
              build:
                commands: &build
                  - echo $STAGE
                  - |
                    *build: not a key
              post_build:
                commands: *build
            """)
        #expect(spec.phases.count == 2)
    }
}
