import BuildSpec
import Testing

/// Errors: the spec is rejected, and each error names file:line:column and key path.
@Suite("BuildSpecParser: errors and their locations")
struct BuildSpecDiagnosticsTests {
    @Test func tabIndentationIsASyntaxError() throws {
        let error = try rejectSpec("version: 0.2\nphases:\n\tbuild:\n    commands: [make]\n", file: "spec/tab.yml")
        #expect(error.errors.count == 1)
        let d = try #require(error.errors.first)
        #expect(d.location?.file == "spec/tab.yml")
        #expect(lineColumn(d) == [3, 1])
        #expect(d.keyPath == "")
        #expect(d.message.hasPrefix("YAML syntax error: "))
        #expect(d.message.contains("tabs"))
        #expect(!d.message.contains("must be quoted"), "a tab is the whole problem: \(d.message)")
        #expect(d.description.hasPrefix("spec/tab.yml:3:1: error: YAML syntax error: "))
        // The same YAML error for a value starting with `@`: there the quoting is the advice.
        let at = try rejectSpec("version: 0.2\nenv:\n  variables:\n    HOME_DIR: @home\nphases:\n  build:\n    commands: [make]\n")
        let special = try #require(at.errors.first)
        #expect(special.message.contains("a value starting with a special character (such as @ or `) must be quoted"), "\(special.message)")
        #expect(!special.message.contains("tabs"), "\(special.message)")
    }

    @Test func unclosedBracketIsASyntaxError() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [echo a, echo b
        artifacts:
          files: ['**/*']
        """)
        let d = try #require(error.errors.first)
        #expect(error.errors.count == 1)
        #expect(d.message.contains("did not find expected ',' or ']'"))
        // libyaml reads `echo b` on into the next line and stops at the ':' of `artifacts:`;
        // the context names the '[' that was never closed.
        #expect(lineColumn(d) == [5, 10])
        #expect(d.message.contains("line 4, column 15"))
    }

    /// Regression: an unquoted ARN ending in `::` (a secrets-manager reference with a JSON key)
    /// or a value with ': ' was only "mapping values are not allowed in this context"; now the
    /// error says to quote the whole value, and shows the line quoted.
    @Test func aValueWithAColonSaysToQuoteIt() throws {
        let arn = try rejectSpec("""
        version: 0.2
        env:
          secrets-manager:
            TOKEN: arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf:KEY::
        phases:
          build:
            commands: [make]
        """)
        let d = try #require(arn.errors.first)
        #expect(arn.errors.count == 1)
        #expect(lineColumn(d) == [4, 80])
        #expect(d.message.hasPrefix("YAML syntax error: mapping values are not allowed in this context; "), "\(d)")
        #expect(d.message.contains("quote the whole value ('…' or \"…\")"), "\(d)")
        #expect(d.message.hasSuffix(", as in TOKEN: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf:KEY::'"), "\(d)")
        let command = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - echo "Deploying to: $STAGE: done"
        """)
        let c = try #require(command.errors.first)
        #expect(c.location?.line == 5)
        #expect(c.message.hasSuffix(", as in - 'echo \"Deploying to: $STAGE: done\"'"), "\(c)")
    }

    /// Regression: a buildspec left with git conflict markers was a bare YAML error ("could not
    /// find expected ':'") at a line after the markers; now it names the first marker's line.
    @Test func conflictMarkersAreNamed() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files:
        <<<<<<< HEAD
            - 'dist/**/*'
        =======
            - 'public/**/*'
        >>>>>>> feature/site
        """)
        let d = try #require(error.errors.first)
        #expect(error.errors.count == 1)
        #expect(lineColumn(d) == [7, 1])
        #expect(d.message == "the file has unresolved merge conflict markers (<<<<<<<, =======, >>>>>>>) at line 7: resolve the conflict "
            + "(keep the lines you want and remove the markers) and commit the result", "\(d)")
    }

    /// Regression: `"**\*"` was "found unknown escape character"; now the error says that a
    /// backslash in double quotes starts an escape and shows the value in single quotes.
    @Test func anUnknownEscapeSaysToUseSingleQuotes() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        reports:
          unit:
            files:
              - "**\\*.xml"
        """)
        let d = try #require(error.errors.first)
        #expect(lineColumn(d) == [8, 12])
        #expect(d.message.contains("in double quotes a backslash starts an escape"), "\(d)")
        #expect(d.message.hasSuffix("and \\* is not one: write the value in single quotes, where a backslash is an ordinary character "
            + "('**\\*.xml' for \"**\\*.xml\"), or double the backslash"), "\(d)")
    }

    /// Regression: too deep a nesting said "Maximum nesting level reached, set with
    /// yaml_set_max_nest_level())" and quoted the whole item back; now a plain sentence.
    @Test func tooDeepANestingIsSaidPlainly() throws {
        let error = try rejectSpec("version: 0.2\nphases:\n  build:\n    commands:\n      - " + String(repeating: "[", count: 1_200) + "\n")
        let d = try #require(error.errors.first)
        #expect(d.location?.line == 5)
        #expect(d.message == "YAML syntax error: lists and mappings are nested too deeply here (more than 1,000 levels, "
            + "such as a value starting with many '['); if it is text, quote it", "\(d)")
    }

    /// A single string is a list of one command; a mapping is not a list.
    @Test func mappingInsteadOfCommandList() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: {echo: hi}
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "phases.build.commands")
        #expect(lineColumn(d) == [4, 15])
        #expect(d.message.contains("must be a list of strings"))
        #expect(d.description == "buildspec.yml:4:15: error: phases.build.commands: phases.build.commands must be a list of strings (or a single string), not a mapping")
    }

    @Test func unquotedColonMakesAMappingInsteadOfACommand() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - echo ok
              - echo a: b
        """)
        #expect(error.errors.count == 1)
        let d = try diagnostic(error.diagnostics, keyPath: "phases.build.commands[1]")
        #expect(lineColumn(d) == [6, 9])
        #expect(d.message.contains("a mapping"))
        #expect(d.message.contains("must be quoted"))
    }

    /// Regression: `- { echo a; echo b; }` was said to contain ': ', `- [ -f package.json ]` was
    /// "not a list" with no hint, and `- [ -f package.json ] && npm ci` a bare YAML error about
    /// an anchor; each now says the command must be quoted, and how.
    @Test func aCommandStartingWithASyntaxCharacterMustBeQuoted() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - { echo a; echo b; }
              - [ -f package.json ]
        """)
        let group = try diagnostic(error.diagnostics, keyPath: "phases.build.commands[0]")
        #expect(group.message.hasSuffix("not a mapping (a command starting with '{' must be quoted: - '{ echo a; echo b; }')"), "\(group)")
        let test = try diagnostic(error.diagnostics, keyPath: "phases.build.commands[1]")
        #expect(test.message.hasSuffix("not a list (a command starting with '[' must be quoted: - '[ -f package.json ]')"), "\(test)")
        let syntax = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - [ -f package.json ] && npm ci
        """)
        let d = try #require(syntax.errors.first)
        #expect(lineColumn(d) == [5, 30])
        #expect(d.message.hasPrefix("YAML syntax error: "))
        #expect(d.message.hasSuffix("a command or other list item starting with '[' must be quoted: - '[ -f package.json ] && npm ci'"), "\(d)")
        #expect(!d.message.contains("tabs"))
        let alias = try rejectSpec("version: 0.2\nphases:\n  build:\n    commands:\n      - @echo it's done\n")
        #expect(try #require(alias.errors.first).message.hasSuffix("starting with '@' must be quoted: - '@echo it''s done'"), "\(alias)")
    }

    @Test func mappingInFinally() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          post_build:
            commands: [make]
            finally:
              - - nested
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "phases.post_build.finally[0]")
        #expect(lineColumn(d) == [6, 9])
        #expect(d.message.contains("a list"))
        #expect(!d.message.contains("must be quoted"))
    }

    @Test(arguments: [
        ("prebuild", "pre_build"), ("pre-build", "pre_build"), ("PostBuild", "post_build"),
        ("Build", "build"), ("INSTALL", "install"),
    ])
    /// Regression: an unknown phase was an error (exit 2), while CodeBuild's agent reports a key
    /// it cannot identify as a possible syntax error and runs the rest: now a warning saying the
    /// phase will not run, and the other phases are read as usual.
    func unknownPhaseWithHint(_ written: String, _ hint: String) throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
          \(written):
            commands: [make]
        """)
        let d = try diagnostic(warnings, keyPath: "phases.\(written)", severity: .warning)
        #expect(lineColumn(d) == [5, 3])
        #expect(d.message.contains("unknown phase '\(written)' will NOT run"))
        #expect(d.message.hasSuffix("did you mean '\(hint)'?"))
        #expect(Array(spec.phases.keys) == [.build])
    }

    @Test func unknownPhaseWithoutHint() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          test:
            commands: [make]
        """)
        let d = try diagnostic(warnings, keyPath: "phases.test", severity: .warning)
        #expect(spec.phases.isEmpty)
        #expect(lineColumn(d) == [3, 3])
        #expect(!d.message.contains("did you mean"))
        #expect(d.message.contains("install, pre_build, build and post_build"))
    }

    @Test func missingVersion() throws {
        let error = try rejectSpec("""
        phases:
          build:
            commands: [make]
        """)
        #expect(error.errors.count == 1)
        let d = try diagnostic(error.diagnostics, keyPath: "version")
        #expect(lineColumn(d) == [1, 1])
        #expect(d.message.contains("no 'version'"))
    }

    /// A command item with no value (`-`, `- # TODO`, `- ~`, `- null`) is an empty command, as
    /// CodeBuild runs it (never `~` or `null` as text), with a warning where it is written. A
    /// quoted empty string is a command without one. In other lists such an item is left out.
    @Test func anEmptyOrNullCommandIsAnEmptyCommandWithAWarning() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands:
              - echo one
              - ~
              -
              - null
              - ""
              - # TODO: scan with cfn-nag
            finally:
              -
        artifacts:
          files:
            - ~
            - '**/*'
        """)
        #expect(spec.phases[.build]?.commands.map(\.text) == ["echo one", "", "", "", "", ""])
        #expect(spec.phases[.build]?.finally.map(\.text) == [""])
        #expect(spec.artifacts?.files == ["**/*"])
        #expect(warnings.count == 6, "\(warnings)")
        for (path, at) in [("phases.build.commands[1]", [6, 9]), ("phases.build.commands[2]", [7, 8]),
                           ("phases.build.commands[3]", [8, 9]), ("phases.build.commands[5]", [10, 8]),
                           ("phases.build.finally[0]", [12, 8])] {
            let d = try diagnostic(warnings, keyPath: path, severity: .warning)
            #expect(lineColumn(d) == at, "\(path)")
            #expect(d.message.contains("has no value") && d.message.contains("runs as an empty command"), "\(d.message)")
        }
        let file = try diagnostic(warnings, keyPath: "artifacts.files[0]", severity: .warning)
        #expect(lineColumn(file) == [15, 7])
        #expect(file.message.contains("is left out"))
    }

    /// A command left hanging (`npm test &&`, `… |`, a trailing `\`) is not joined to the next
    /// item: a warning says so where it is written. An escaped backslash and an operator inside
    /// the text are not.
    @Test func aCommandEndingInAnOperatorIsWarnedAbout() throws {
        let (_, warnings) = try parseSpec(#"""
        version: 0.2
        phases:
          build:
            commands:
              - npm test &&
              - npm run lint ||
              - cat log |
              - 'make \'
              - echo done
              - echo 'a && b' && echo c
              - printf '%s\n' x \\
              - |
                npm ci &&
                npm run build &&
        """#)
        let byPath = Dictionary(uniqueKeysWithValues: warnings.map { ($0.keyPath, $0) })
        #expect(Set(byPath.keys) == ["phases.build.commands[0]", "phases.build.commands[1]", "phases.build.commands[2]",
                                     "phases.build.commands[3]", "phases.build.commands[7]"], "\(warnings)")
        #expect(try #require(byPath["phases.build.commands[0]"]).message.contains("ends with '&&'"))
        #expect(try #require(byPath["phases.build.commands[0]"]).message.contains("syntax error"))
        #expect(lineColumn(try #require(byPath["phases.build.commands[0]"])) == [5, 9])
        #expect(try #require(byPath["phases.build.commands[2]"]).message.contains("ends with '|'"))
        #expect(try #require(byPath["phases.build.commands[3]"]).message.contains("ends with '\\'"))
        #expect(try #require(byPath["phases.build.commands[7]"]).message.contains("ends with '&&'"))
    }

    /// A ` #` inside a shell quote of a plain command starts a YAML comment (as in CodeBuild):
    /// `- echo "total # of files"` runs `echo "total` and fails on the open quote. A warning says
    /// so at the item, with the command quoted whole; a real comment after a whole command, a
    /// quoted command, a block scalar and an open quote the comment does not close are not warned about.
    @Test func aCommentCuttingACommandInsideAQuoteIsWarnedAbout() throws {
        let (spec, warnings) = try parseSpec(#"""
        version: 0.2
        phases:
          build:
            commands:
              - echo "total # of files"
              - make # build it
              - echo "a # b" # count
              - 'echo "quoted # kept"'
              - |
                echo "block # kept"
              - grep -c '#' list.txt  # comments
              - echo it's # a comment with no quote
              - echo 'a # b'   # and a comment
              - echo "a \" # b"
              - echo \" # of files"
            finally:
              - echo "n # done"
          post_build:
            commands: printf "%s # %s\n" a b
        """#)
        // (The single-value commands is also warned about for not being a list.)
        let byPath = Dictionary(uniqueKeysWithValues: warnings.filter { !$0.message.contains("is a single value, not a list") }.map { ($0.keyPath, $0) })
        #expect(Set(byPath.keys) == ["phases.build.commands[0]", "phases.build.commands[2]", "phases.build.commands[7]",
                                     "phases.build.commands[8]", "phases.build.finally[0]", "phases.post_build.commands"], "\(warnings)")
        let first = try #require(byPath["phases.build.commands[0]"])
        #expect(lineColumn(first) == [5, 9])
        #expect(first.message.contains("what runs is `echo \"total`"), "\(first.message)")
        #expect(first.message.contains(#"(- 'echo "total # of files"')"#) && first.message.contains("block scalar"), "\(first.message)")
        #expect(try #require(byPath["phases.build.commands[7]"]).message.contains("single-quoted"))
        #expect(try #require(byPath["phases.build.commands[7]"]).message.contains("(- 'echo ''a # b''   # and a comment')"))
        #expect(spec.phases[.build]?.commands.first?.text == #"echo "total"#)
    }

    /// `version:` with no value (or `~`, `null`) is no version, not 0.2: the same error as a
    /// missing one, at the key.
    @Test(arguments: ["", " ~", " null", "   # none yet"])
    func anEmptyVersionIsAMissingVersion(_ written: String) throws {
        let error = try rejectSpec("# comment\nversion:\(written)\nphases:\n  build:\n    commands: [make]\n")
        #expect(error.errors.count == 1)
        let d = try diagnostic(error.diagnostics, keyPath: "version")
        #expect(lineColumn(d) == [2, 1])
        #expect(d.message.contains("no 'version'"))
    }

    @Test(arguments: ["0.20", "1.0", "0.3", "2", "\"0.2 \"", "v0.2"])
    func unsupportedVersion(_ written: String) throws {
        let error = try rejectSpec("# comment\nversion: \(written)\nphases:\n  build:\n    commands: [make]\n")
        let d = try diagnostic(error.diagnostics, keyPath: "version")
        #expect(lineColumn(d) == [2, 10])
        #expect(d.message.contains("unsupported buildspec version"))
    }

    @Test func missingPhases() throws {
        let error = try rejectSpec("""
        version: 0.2
        artifacts:
          files: ['**/*']
        """)
        #expect(error.errors.count == 1)
        let d = try diagnostic(error.diagnostics, keyPath: "phases")
        #expect(lineColumn(d) == [1, 1])
        #expect(d.message.contains("no 'phases'"))
    }

    @Test func missingVersionAndPhasesAreBothReported() throws {
        let error = try rejectSpec("run-as: root\n")
        #expect(Set(error.errors.map(\.keyPath)) == ["version", "phases"])
    }

    @Test func emptyDocument() throws {
        let error = try rejectSpec("# only a comment\n")
        #expect(error.errors.count == 1)
        #expect(lineColumn(error.errors[0]) == [1, 1])
        #expect(error.errors[0].message.contains("empty"))
    }

    @Test func rootMustBeAMapping() throws {
        let error = try rejectSpec("- version: 0.2\n")
        let d = try diagnostic(error.diagnostics, keyPath: "")
        #expect(lineColumn(d) == [1, 1])
        #expect(d.message.contains("must be a mapping"))
    }

    /// Regression: a key repeated in a mapping was an error, while CodeBuild's agent (Go,
    /// go-yaml's lenient decoding) keeps the last value and runs the build; a real project's
    /// working CI has one. Now a warning naming both lines, and the later value is used.
    @Test func duplicatePhaseKey() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [a]
          build:
            commands: [b]
        """)
        #expect(warnings.count == 1)
        let d = try #require(warnings.first)
        #expect(d.severity == .warning)
        #expect(d.message == "duplicate key 'build' (first at line 3): the value here (line 5) is used and the one at line 3 is ignored, "
            + "as CodeBuild's YAML reader keeps the last; remove the one you do not mean", "\(d)")
        // The repeated key is the one reported (Yams itself names the first occurrence).
        #expect(lineColumn(d) == [5, 3])
        #expect(spec.phases[.build]?.commands.map(\.text) == ["b"])
        #expect(spec.phases[.build]?.commands.first?.location == SourceLocation(file: specFile, line: 6, column: 16))
    }

    @Test func duplicateKeyIsReportedWhereItIsRepeated() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env:
          variables:
            A: 1
            B: 2
            C: 3
            # a comment
            C: 4
        phases:
          build:
            commands: [a]
        """)
        let d = try #require(warnings.first)
        #expect(d.message.contains("duplicate key 'C' (first at line 6): the value here (line 8) is used"), "\(d)")
        #expect(lineColumn(d) == [8, 5])
        #expect(spec.env.variables.map { "\($0.name)=\($0.value)" } == ["A=1", "B=2", "C=4"])
        // A key of the same name in a nested mapping is not the repeat.
        #expect(YAMLDuplicateKey.repeated("a", firstAt: (1, 1), in: "a:\n  a: 1\nb: 2\n'a': 3\n")! == (4, 1))
        // Flow mappings are not searched: the first occurrence is reported.
        #expect(YAMLDuplicateKey.repeated("a", firstAt: (1, 2), in: "{a: 1, a: 2}") == nil)
    }

    /// Regression: in a file with CRLF line ends the duplicate was reported at its first
    /// occurrence (`3:3`), as if the file were one line; sitebuild.yml's the same.
    @Test func duplicateKeyInACRLFFileIsReportedWhereItIsRepeated() throws {
        let (spec, warnings) = try parseSpec("version: 0.2\r\nphases:\r\n  build:\r\n    commands: [a]\r\n  build:\r\n    commands: [b]\r\n")
        let d = try #require(warnings.first)
        #expect(d.message.contains("duplicate key 'build' (first at line 3)"), "\(d)")
        #expect(lineColumn(d) == [5, 3])
        #expect(spec.phases[.build]?.commands.map(\.text) == ["b"])
        #expect(YAMLDuplicateKey.repeated("a", firstAt: (1, 1), in: "a: 1\r\nb: 2\r\n\r\na: 3\r\n")! == (4, 1))
    }

    @Test func duplicateTopLevelKey() throws {
        let (spec, warnings) = try parseSpec("version: 0.2\nversion: 0.1\nphases:\n  build:\n    commands: [a]\n")
        let d = try #require(warnings.first)
        #expect(d.message.contains("duplicate key 'version' (first at line 1)"))
        #expect(lineColumn(d) == [2, 1])
        #expect(spec.version == .v0_1)
    }

    /// The later value is the one used in every section, whatever its shape: a whole section,
    /// a phase's list (written at the key's indentation too), a list item's mapping, a key
    /// written three times; every other line and column stays where it was.
    @Test func theLaterOfDuplicateKeysIsUsedEverywhere() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env:
          variables:
            STAGE: dev
            STAGE: prod
          exported-variables: [OLD]
          exported-variables:
          - NEW
        phases:
          install:
            runtime-versions:
              nodejs: 18
              nodejs: 20
          build:
            commands:
            - echo first
            - echo second
            on-failure: CONTINUE
            commands:
              - echo third
            commands:
              - echo fourth
          post_build:
            commands: [echo post]
        artifacts:
          files: ['old/**/*']
          base-directory: old
          name: kept
        artifacts:
          files:
            - 'dist/**/*'
          discard-paths: yes
        cache:
          paths: [a]
          paths: [b]
        batch:
          build-list:
            - identifier: one
              buildspec: one.yml
              identifier: two
        """)
        #expect(warnings.allSatisfy { $0.severity == .warning && $0.message.hasPrefix("duplicate key '") }, "\(warnings)")
        // Each at the repeat, in the order the mappings end (the top level's last).
        #expect(warnings.map { lineColumn($0) ?? [] } == [[5, 5], [7, 3], [13, 7], [19, 5], [21, 5], [35, 3], [40, 7], [29, 1]], "\(warnings)")
        #expect(warnings[3].message.contains("(first at line 15): the value here (line 19) is used and the one at line 15 is ignored"))
        #expect(warnings[4].message.contains("(first at line 19): the value here (line 21)"))
        #expect(spec.env.variables.map { "\($0.name)=\($0.value)" } == ["STAGE=prod"])
        #expect(spec.env.exportedVariables == ["NEW"])
        #expect(spec.phases[.install]?.runtimeVersions.map { "\($0.name)=\($0.version)" } == ["nodejs=20"])
        let build = try #require(spec.phases[.build])
        #expect(build.commands.map(\.text) == ["echo fourth"])
        #expect(build.commands.first?.location == SourceLocation(file: specFile, line: 22, column: 9))
        #expect(build.onFailure == .continue)
        #expect(spec.phases[.postBuild]?.commands.map(\.text) == ["echo post"])
        let artifacts = try #require(spec.artifacts)
        #expect(artifacts.files == ["dist/**/*"])
        #expect(artifacts.baseDirectory == nil && artifacts.name == nil && artifacts.discardPaths)
        #expect(spec.cache?.paths == ["b"])
        #expect(spec.batch?.children.map(\.identifier) == ["two"])
    }

    /// Regression: a key repeated in a flow mapping (`variables: {A: "1", A: "2"}`) was an error
    /// while the same repeat in a block mapping is a warning and the later value wins, as
    /// CodeBuild's YAML reader does; and a flow mapping written over several lines had its
    /// whole line blanked, so `B` beside the first `A` was silently lost.
    @Test func theLaterOfDuplicateKeysInAFlowMappingIsUsed() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env: {variables: {A: "1", A: "2"}}
        phases:
          build:
            commands: [echo a]
        """)
        #expect(warnings.map { lineColumn($0) ?? [] } == [[2, 27]], "\(warnings)")
        #expect(warnings.first?.message == "duplicate key 'A' (first at line 2, column 19): the value here (column 27) is used and the "
            + "one at column 19 is ignored, as CodeBuild's YAML reader keeps the last; remove the one you do not mean", "\(warnings)")
        #expect(spec.env.variables.map { "\($0.name)=\($0.value)" } == ["A=2"])

        let (several, found) = try parseSpec("""
        version: 0.2
        env:
          variables: {A: x, B: y, A: z, 'B': "w, v", C: "{x, y}"}
          parameter-store: {
            P: /one, Q: /q,   # a comment, with a comma
            P: /two
          }
        phases:
          build:
            commands: [echo a]
        """)
        #expect(found.map { lineColumn($0) ?? [] } == [[3, 27], [3, 33], [6, 5]], "\(found)")
        #expect(found.allSatisfy { $0.severity == .warning && $0.message.hasPrefix("duplicate key '") }, "\(found)")
        #expect(found[2].message.contains("duplicate key 'P' (first at line 5): the value here (line 6) is used"), "\(found)")
        #expect(several.env.variables.map { "\($0.name)=\($0.value)" } == ["A=z", "B=w, v", "C={x, y}"] , "\(several.env.variables)")
        #expect(several.env.parameterStore.map { "\($0.name)=\($0.parameter)" } == ["Q=/q", "P=/two"], "\(several.env.parameterStore)")
        // Every other line and column stays where it was.
        let (_, crlf) = try parseSpec("version: 0.2\r\nenv:\r\n  variables: {A: 1,\r\n    A: 2}\r\nphases:\r\n  build:\r\n    commands: [echo a]\r\n")
        #expect(crlf.map { lineColumn($0) ?? [] } == [[4, 5]], "\(crlf)")
    }

    /// Where the earlier entry cannot be left out, the duplicate is still an error: when its
    /// value defines an anchor a later alias uses (in a block or a flow mapping), and when the
    /// key is written with an anchor.
    @Test func aDuplicateKeyThatCannotBeLeftOutIsAnError() throws {
        let flow = try rejectSpec("version: 0.2\nenv:\n  variables: {A: &v 1,\n    A: *v}\nphases:\n  build:\n    commands: [a]\n")
        let f = try #require(flow.errors.first)
        #expect(f.message == "duplicate key 'A' (first at line 3); each key may appear once in a mapping: remove the one at line 3 "
            + "or the one at line 4", "\(flow)")
        #expect(lineColumn(f) == [4, 5])
        let anchoredKey = try rejectSpec("version: 0.2\nenv:\n  variables: {&k A: 1, A: 2}\nphases:\n  build:\n    commands: [a]\n")
        #expect(anchoredKey.errors.first?.message == "duplicate key 'A' (first at line 3, column 15); each key may appear once in a "
            + "mapping: remove one of the two", "\(anchoredKey)")
        let anchored = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: &cmds [make]
          build:
            commands: *cmds
        """)
        let d = try #require(anchored.errors.first)
        #expect(anchored.errors.count == 1)
        #expect(d.message.contains("duplicate key 'build' (first at line 3)"), "\(d)")
        #expect(lineColumn(d) == [5, 3])
    }

    @Test(arguments: ["abort", "Continue", "RETRY-101", "RETRY-[", "STOP", "RETRY-"])
    func invalidOnFailure(_ written: String) throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            on-failure: \(written)
            commands: [make]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "phases.build.on-failure")
        #expect(lineColumn(d) == [4, 17])
        #expect(error.errors.count == 1)
    }

    /// CodeBuild cannot export names starting with AWS_; its reference does not say the
    /// buildspec is refused, so the name is left out with a warning at its item and the rest
    /// are exported (the build runs).
    @Test func exportedAWSNamesAreLeftOutWithAWarning() throws {
        let (spec, diagnostics) = try parseSpec("""
        version: 0.2
        env:
          exported-variables:
            - IMAGE
            - AWS_REGION
            - TAG
        phases:
          build:
            commands: [make]
        """)
        #expect(spec.env.exportedVariables == ["IMAGE", "TAG"])
        let d = try diagnostic(diagnostics, keyPath: "env.exported-variables[1]", severity: .warning)
        #expect(d.location?.file == specFile)
        #expect(lineColumn(d) == [5, 7])
        #expect(d.message.contains("'AWS_REGION' is not exported: names starting with AWS_ cannot be exported"), "\(d.message)")
    }

    /// Regression: like exported-variables, each artifacts.files[i] error is placed at the
    /// start of the list instead of item i.
    @Test func artifactPatternErrorPointsAtTheItem() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files:
            - dist/**/*
            - ../secret
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "artifacts.files[1]")
        #expect(d.message.contains("'..'"))
        #expect(lineColumn(d) == [8, 7])
    }

    /// Regression: an invalid name in parameter-store (or secrets-manager) is located at
    /// the start of the mapping (the first, valid, name) instead of at the bad name.
    @Test(arguments: ["parameter-store", "secrets-manager"])
    func invalidSecretVariableNamePointsAtTheName(_ section: String) throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          \(section):
            GOOD: good
            1BAD: bad
        phases:
          build:
            commands: [make]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "env.\(section).1BAD")
        #expect(d.message.contains("not a valid environment variable name"))
        #expect(lineColumn(d) == [5, 5])
    }

    /// Regression: `parameter-store: {TOKEN: }` and a blank secret id passed validate, and the
    /// build failed later asking SSM for the parameter ''.
    @Test func anEmptyParameterNameOrSecretIdIsAnError() throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          parameter-store:
            TOKEN:
            BLANK: "  "
            GOOD: /app/good
          secrets-manager:
            S: "  "
            J: " :key"
        phases:
          build:
            commands: [make]
        """)
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "env.parameter-store.TOKEN")) == [4, 5])
        let blank = try diagnostic(error.diagnostics, keyPath: "env.parameter-store.BLANK")
        #expect(lineColumn(blank) == [5, 12])
        #expect(blank.message.contains("the parameter name is empty"))
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "env.secrets-manager.S")) == [8, 8])
        _ = try diagnostic(error.diagnostics, keyPath: "env.secrets-manager.J")
        #expect(error.errors.count == 4)
    }

    @Test func exportedSecretsAreRejected() throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          parameter-store:
            DB_PASS: /db/pass
          secrets-manager:
            TOKEN: tok
          exported-variables: [DB_PASS, TOKEN, OK]
        phases:
          build:
            commands: [make]
        """)
        let messages = error.errors.filter { $0.keyPath == "env.exported-variables" }.map(\.message)
        #expect(messages.count == 2)
        #expect(messages.contains { $0.contains("'DB_PASS'") })
        #expect(messages.contains { $0.contains("'TOKEN'") })
        #expect(error.errors.compactMap(lineColumn).sorted { $0[1] < $1[1] } == [[7, 24], [7, 33]])
    }

    @Test func artifactsWithOnlySecondaryArtifacts() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          secondary-artifacts:
            site:
              files: ['**/*']
        """)
        #expect(error.errors.count == 1)
        let d = try diagnostic(error.diagnostics, keyPath: "artifacts.files")
        #expect(lineColumn(d) == [6, 3])
        #expect(d.message.contains("required even when only secondary-artifacts"))
    }

    @Test func secondaryArtifactWithoutFiles() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files: ['**/*']
          secondary-artifacts:
            site:
              name: x
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "artifacts.secondary-artifacts.site.files")
        #expect(lineColumn(d) == [9, 7])
    }

    /// Cache paths are globs: `~` and `$HOME` in one are not expanded and would cache nothing.
    @Test func cachePathsWithATildeOrAVariableAreWarnedAbout() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          paths:
            - '~/.npm/**/*'
            - '$HOME/.cache/**/*'
            - '/root/.m2/**/*'
        """)
        #expect(spec.cache?.paths.count == 3)
        #expect(lineColumn(try diagnostic(warnings, keyPath: "cache.paths[0]", severity: .warning)) == [7, 7])
        _ = try diagnostic(warnings, keyPath: "cache.paths[1]", severity: .warning)
        #expect(!warnings.contains { $0.keyPath == "cache.paths[2]" })
    }

    @Test func secondaryArtifactsInsideASecondaryArtifactAreUnknown() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files: ['**/*']
          secondary-artifacts:
            site:
              files: [a]
              secondary-artifacts: {}
        """)
        #expect(spec.artifacts?.secondary.first?.artifacts.secondary.isEmpty == true)
        _ = try diagnostic(warnings, keyPath: "artifacts.secondary-artifacts.site.secondary-artifacts", severity: .warning)
    }

    @Test(arguments: ["a/b", "..", "."])
    func invalidSecondaryIdentifier(_ id: String) throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files: ['**/*']
          secondary-artifacts:
            "\(id)":
              files: [a]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "artifacts.secondary-artifacts.\(id)")
        #expect(lineColumn(d) == [8, 5])
    }

    @Test func absoluteAndParentArtifactPaths() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files:
            - /etc/passwd
            - dist/../../secret
          base-directory: ../out
        """)
        #expect(try diagnostic(error.diagnostics, keyPath: "artifacts.files[0]").message.contains("absolute"))
        #expect(try diagnostic(error.diagnostics, keyPath: "artifacts.files[1]").message.contains("'..'"))
        let base = try diagnostic(error.diagnostics, keyPath: "artifacts.base-directory")
        #expect(lineColumn(base) == [9, 19])
    }

    /// Regression: `files: [""]` (a templated buildspec whose variable was unset) and
    /// `files: ["./"]` passed and published the whole source folder, `.env` included; an empty
    /// `base-directory` was silently the source directory. Each is refused where it is written,
    /// with what to write instead, in secondary artifacts too.
    @Test func emptyArtifactPathsAreRefused() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          files:
            - ""
            - "  "
            - ./
            - .
            - dist/**/*
          exclude-paths: ["", "*.map"]
          base-directory: ""
          secondary-artifacts:
            docs:
              files: [""]
              base-directory:
        """)
        for (index, line) in [(0, 7), (1, 8), (2, 9), (3, 10)] {
            let d = try diagnostic(error.diagnostics, keyPath: "artifacts.files[\(index)]")
            #expect(lineColumn(d) == [line, 7])
            #expect(d.message.contains("'**/*'"), "\(d)")
        }
        #expect(try diagnostic(error.diagnostics, keyPath: "artifacts.files[0]").message.hasPrefix("the path is empty"))
        #expect(try diagnostic(error.diagnostics, keyPath: "artifacts.files[2]").message.hasPrefix("'./' names the source directory itself"))
        let exclude = try diagnostic(error.diagnostics, keyPath: "artifacts.exclude-paths[0]")
        #expect(lineColumn(exclude) == [12, 19])
        let base = try diagnostic(error.diagnostics, keyPath: "artifacts.base-directory")
        #expect(lineColumn(base) == [13, 19])
        #expect(base.message.contains("leave the key out"))
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "artifacts.secondary-artifacts.docs.files[0]")) == [16, 15])
        _ = try diagnostic(error.diagnostics, keyPath: "artifacts.secondary-artifacts.docs.base-directory")
        #expect(error.errors.count == 8)
        // `./dist` and `dist/` name a folder, and `.` is a base directory like any other.
        _ = try parseSpec("version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [./dist, dist/]\n  base-directory: .\n")
    }

    /// Regression: `cache.paths: ['../shared/**/*']` passed, was saved by every build and
    /// failed every restore (a cache entry never holds '..'); now it is refused where it is
    /// written, as artifact paths with '..' are.
    @Test func cachePathsWithParentComponentsAreRefused() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          paths:
            - 'node_modules/**/*'
            - '../shared/**/*'
            - /srv/site/../shared
            - 'a..b/**/*'
        """)
        let parent = try diagnostic(error.diagnostics, keyPath: "cache.paths[1]")
        #expect(lineColumn(parent) == [8, 7])
        #expect(parent.message.contains("leaves the source directory with '..'"))
        _ = try diagnostic(error.diagnostics, keyPath: "cache.paths[2]")
        #expect(error.errors.count == 2)
    }

    /// An absolute base-directory names the folder to take the files from (AWS's
    /// multiple-sources example writes one); '..' in a relative one, the root, an absolute glob
    /// and absolute `files` are refused, each saying what to write.
    @Test func anAbsoluteBaseDirectoryIsAccepted() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          base-directory: /opt/out
          files: ['**/*']
          secondary-artifacts:
            extra:
              base-directory: /opt/extra/
              files: ['**/*']
        """)
        #expect(spec.artifacts?.baseDirectory == "/opt/out")
        #expect(spec.artifacts?.secondary.first?.artifacts.baseDirectory == "/opt/extra/")
        #expect(warnings.isEmpty, "\(warnings)")
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        artifacts:
          base-directory: ../build
          files: ['/opt/out/**/*']
          secondary-artifacts:
            root:
              base-directory: /
              files: ['**/*']
            glob:
              base-directory: /opt/build*
              files: ['**/*']
        """)
        let parent = try diagnostic(error.diagnostics, keyPath: "artifacts.base-directory")
        #expect(parent.message.contains("leaves the source directory with '..'; to take the artifacts from a folder outside it, write that folder's absolute path"),
                "\(parent.message)")
        let files = try diagnostic(error.diagnostics, keyPath: "artifacts.files[0]")
        #expect(files.message.contains("write base-directory: /opt/out and the files relative to it ('**/*')"), "\(files.message)")
        #expect(try diagnostic(error.diagnostics, keyPath: "artifacts.secondary-artifacts.root.base-directory").message.contains("root of the file system"))
        #expect(try diagnostic(error.diagnostics, keyPath: "artifacts.secondary-artifacts.glob.base-directory").message.contains("absolute glob"))
        #expect(error.errors.count == 4)
    }

    @Test func wrongTypesForSections() throws {
        let error = try rejectSpec("""
        version: 0.2
        env: bash
        phases:
          - build
        artifacts: dist
        cache:
          key: k
        proxy: [yes]
        """)
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "env")) == [2, 6])
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "phases")) == [4, 3])
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "artifacts")) == [5, 12])
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "cache.paths", severity: .warning)) == [7, 3])
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "proxy")) == [8, 8])
        #expect(error.errors.count == 4)
    }

    /// Regression: `env:` whose keys are all commented out (and `artifacts:`, `cache:`,
    /// `reports:`, `proxy:` with no value) was an error naming "the value ''", which is not in
    /// the file; such a section is empty, as `phases.build:` with no value is.
    @Test func aSectionWithNoValueIsAbsent() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        env:
        #  variables:
        #    TOKEN: abc
        proxy:
        batch: ~
        phases:
          build:
            commands: [make]
        reports:
        artifacts:
        #  files: ['**/*']
        cache:
        """)
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(spec.env.variables.isEmpty)
        #expect(spec.proxy == nil && spec.batch == nil && spec.artifacts == nil && spec.cache == nil && spec.reports.isEmpty)
        _ = try parseSpec("version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: ['**/*']\n  secondary-artifacts:\n")
        // Where a value is needed, the message says there is none.
        let error = try rejectSpec("version: 0.2\nphases:\n  build:\n    commands: [make]\nreports:\n  unit:\n")
        let d = try diagnostic(error.diagnostics, keyPath: "reports.unit")
        #expect(d.message == "reports.unit has no value; it must be a mapping of keys to values", "\(d)")
        #expect(!error.description.contains("''"))
    }

    /// Regression: a key that is a list or a mapping (`? [TOKEN]`) was dropped without a word,
    /// and the variable or phase it held was missing from the build.
    @Test func aKeyThatIsNotAPlainNameIsAnError() throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          variables:
            ? [TOKEN]
            : abc
        phases:
          ? [post_build]
          : {commands: [x]}
          build:
            commands: [make]
        reports:
          ? {unit: x}
          : {files: [a.xml]}
        artifacts:
          files: ['**/*']
          ? [name]
          : site
          secondary-artifacts:
            ? [docs]
            : {files: [a]}
        """)
        for (path, place) in [("env.variables", [4, 7]), ("phases", [7, 5]), ("reports", [12, 5]), ("artifacts", [16, 5]),
                              ("artifacts.secondary-artifacts", [19, 7])] {
            let d = try diagnostic(error.diagnostics, keyPath: path)
            #expect(lineColumn(d) == place, "\(d)")
            #expect(d.message.hasPrefix("a key must be a plain name"), "\(d)")
        }
        #expect(error.errors.count == 5)
    }

    @Test func variableValueMustBeAScalar() throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          variables:
            LIST: [a, b]
            OK: fine
        phases:
          build:
            commands: [make]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "env.variables.LIST")
        #expect(lineColumn(d) == [4, 11])
        #expect(d.message.contains("quote it"))
    }

    @Test(arguments: ["1ABC", "MY-VAR", "A B", "ÄRGER"])
    func invalidVariableNames(_ name: String) throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          variables:
            "\(name)": x
        phases:
          build:
            commands: [make]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "env.variables.\(name)")
        #expect(lineColumn(d) == [4, 5])
    }

    @Test(arguments: ["powershell.exe", "cmd.exe", "zsh"])
    func unsupportedShells(_ shell: String) throws {
        let error = try rejectSpec("version: 0.2\nenv:\n  shell: \(shell)\nphases:\n  build:\n    commands: [make]\n")
        let d = try diagnostic(error.diagnostics, keyPath: "env.shell")
        #expect(lineColumn(d) == [3, 10])
    }

    @Test func invalidBoolean() throws {
        let error = try rejectSpec("""
        version: 0.2
        env:
          git-credential-helper: maybe
        phases:
          build:
            commands: [make]
        """)
        let d = try diagnostic(error.diagnostics, keyPath: "env.git-credential-helper")
        #expect(lineColumn(d) == [3, 26])
        #expect(d.message.contains("yes or no"))
    }

    @Test func reportErrors() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        reports:
          nofiles:
            base-directory: x
          badformat:
            files: [a.xml]
            file-format: XUNIT
        """)
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "reports.nofiles.files")) == [7, 5])
        let format = try diagnostic(error.diagnostics, keyPath: "reports.badformat.file-format")
        #expect(lineColumn(format) == [10, 18])
        #expect(format.message.contains("XUNIT"))
    }

    /// Regression: a cache block without `paths` (`cache: directories: [node_modules]`) was an
    /// error, while CodeBuild skips such a cache ("no paths specified to be cached") and runs
    /// the build: now a warning saying the cache is not used, and the spec has no cache.
    @Test func aCacheWithoutPathsIsAWarningAndNoCache() throws {
        let (spec, warnings) = try parseSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          directories:
            - node_modules
        """)
        #expect(spec.cache == nil)
        let d = try diagnostic(warnings, keyPath: "cache.paths", severity: .warning)
        #expect(lineColumn(d) == [6, 3])
        #expect(d.message.contains("the cache is not used: nothing is restored or saved"), "\(d)")
        _ = try diagnostic(warnings, keyPath: "cache.directories", severity: .warning)
    }

    @Test func cacheErrors() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            commands: [make]
        cache:
          paths: [a/**/*]
          key: k
          fallback-keys: [a, b, c, d, e, f]
          action: both
        """)
        let keys = try diagnostic(error.diagnostics, keyPath: "cache.fallback-keys")
        #expect(lineColumn(keys) == [8, 18])
        #expect(keys.message.contains("at most 5"))
        #expect(lineColumn(try diagnostic(error.diagnostics, keyPath: "cache.action")) == [9, 11])
    }

    /// A batch build's root buildspec with only `batch` (its children name their own
    /// buildspecs) is not run locally: the error says so and how to run each child, with the
    /// variables CodeBuild would set for it.
    @Test func aBatchRootWithoutPhasesNamesEachChildsBuildspec() throws {
        let error = try rejectSpec("""
        version: 0.2
        batch:
          fast-fail: false
          build-graph:
            - identifier: build_test_flavor
              env:
                variables:
                  FLAVOR: test-flavor
                  NOTE: two words
              buildspec: flavors/test-flavor/build_buildspec.yaml
            - identifier: same_file
          build-matrix:
            dynamic:
              buildspec: [matrix1.yml, matrix2.yml]
              env:
                variables:
                  OS: [linux, windows]
        """)
        #expect(error.errors.count == 1, "\(error.diagnostics)")
        let d = try diagnostic(error.diagnostics, keyPath: "phases")
        #expect(lineColumn(d) == [2, 1])
        #expect(d.message.contains("batch build (batch.build-matrix, batch.build-graph) with no 'phases' of its own, and sitebuild does not run batch builds locally"),
                "\(d.message)")
        #expect(d.message.contains("build_test_flavor: `sitebuild build --buildspec flavors/test-flavor/build_buildspec.yaml "
            + "--env CODEBUILD_BATCH_BUILD_IDENTIFIER=build_test_flavor --env FLAVOR=test-flavor --env 'NOTE=two words'`"), "\(d.message)")
        #expect(d.message.contains("same_file uses this buildspec, which has no phases"))
        #expect(d.message.contains("`sitebuild build --buildspec matrix1.yml with --env for each combination of OS`"))
        #expect(d.message.contains("`sitebuild build --buildspec matrix2.yml with --env for each combination of OS`"))
        // With phases of its own, the root is run as one ordinary build (with a warning when built).
        let (spec, _) = try parseSpec("version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n      buildspec: a.yml\nphases:\n  build:\n    commands: [make]\n")
        #expect(spec.batch?.children == [BatchChild(identifier: "a", buildspec: "a.yml", variables: [])])
    }

    @Test func allErrorsAreCollected() throws {
        let error = try rejectSpec("""
        version: 0.2
        phases:
          build:
            on-failure: sometimes
            commands: {make: all}
          testing:
            commands: [x]
        artifacts:
          name: x
        """)
        #expect(Set(error.errors.map(\.keyPath)) == ["phases.build.on-failure", "phases.build.commands", "artifacts.files"])
        #expect(error.diagnostics.contains { $0.keyPath == "phases.testing" && $0.severity == .warning })
        // Locations follow the document, and the description prints one line per finding.
        #expect(error.description.split(separator: "\n").count == error.diagnostics.count)
    }

    @Test func warningsAreReportedWithErrors() throws {
        let error = try rejectSpec("""
        version: 0.2
        bogus: 1
        phases:
          build:
            commands: {make: all}
        """)
        #expect(error.errors.count == 1)
        #expect(error.diagnostics.contains { $0.severity == .warning && $0.keyPath == "bogus" })
    }
}
