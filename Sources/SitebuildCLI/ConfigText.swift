import Foundation

/// Small readers for configuration text, tolerant of TOML, YAML and JSON spellings.
enum ConfigText {
    /// The value of a top-level-looking `key = value`, `key: value` or `"key": value` line,
    /// matched case-insensitively (Hugo's keys are), without quotes; nil when absent.
    static func value(of key: String, in text: String) -> String? {
        let wanted = key.lowercased()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            guard !line.hasPrefix("#"), !line.hasPrefix("//") else { continue }
            if line.first == "\"" || line.first == "'" { line = line.dropFirst() }
            guard line.lowercased().hasPrefix(wanted) else { continue }
            var rest = line.dropFirst(wanted.count)
            if rest.first == "\"" || rest.first == "'" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let separator = rest.first, separator == "=" || separator == ":" else { continue }
            var value = rest.dropFirst().trimmingCharacters(in: .whitespaces)
            if let first = value.first, first != "\"", first != "'", first != "`" { value = withoutComment(value) }
            return unquote(value.hasSuffix(",") ? String(value.dropLast()) : value)
        }
        return nil
    }

    /// `text` up to a ` #` comment (YAML and TOML: `destination: public # built`), trimmed.
    static func withoutComment(_ text: String) -> String {
        guard let comment = text.range(of: " #") ?? text.range(of: "\t#") else { return text.trimmingCharacters(in: .whitespaces) }
        return String(text[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces)
    }

    static func unquote(_ text: String) -> String {
        var value = text.trimmingCharacters(in: .whitespaces)
        if let quote = value.first, quote == "\"" || quote == "'" || quote == "`",
           let end = value.dropFirst().firstIndex(of: quote) {
            value = String(value[value.index(after: value.startIndex)..<end])
        }
        return value
    }

    /// The gem names a Gemfile declares (`gem "jekyll", "~> 4.3"`), comments skipped.
    static func gemfileGems(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { rawLine in
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            guard line.hasPrefix("gem ") || line.hasPrefix("gem\t") else { return nil }
            let name = unquote(String(line.dropFirst(4)))
            return name.isEmpty ? nil : name
        }
    }

    /// JavaScript or TypeScript source without its comment lines, so a commented-out
    /// setting does not count.
    static func withoutComments(_ source: String) -> String {
        var inBlock = false
        var kept: [Substring] = []
        for line in source.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if inBlock {
                if trimmed.contains("*/") { inBlock = false }
                continue
            }
            if trimmed.hasPrefix("//") { continue }
            if trimmed.hasPrefix("/*") {
                inBlock = !trimmed.contains("*/")
                continue
            }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    /// The source between the parentheses of the first call of `function`, a method call too
    /// (`adapter({ pages: 'out' })` → `{ pages: 'out' }`), comments left out; nil when there is
    /// no such call.
    static func callArguments(of function: String, in source: String) -> String? {
        let code = withoutComments(source)
        var searchStart = code.startIndex
        while let range = code.range(of: function + "(", range: searchStart..<code.endIndex) {
            searchStart = range.upperBound
            guard startsWord(range, in: code) else { continue }
            var depth = 1
            var quote: Character?
            var index = range.upperBound
            while index < code.endIndex {
                let character = code[index]
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == "'" || character == "\"" || character == "`" {
                    quote = character
                } else if character == "(" {
                    depth += 1
                } else if character == ")" {
                    depth -= 1
                    if depth == 0 { return String(code[range.upperBound..<index]) }
                }
                index = code.index(after: index)
            }
            return nil
        }
        return nil
    }

    /// The string literal a call of `function` starts with (`config.setOutputDirectory("dist")`
    /// → `dist`); nil when there is no such call or its first argument is not a literal.
    static func jsStringArgument(of function: String, in source: String) -> String? {
        guard let arguments = callArguments(of: function, in: source) else { return nil }
        let rest = arguments.drop { $0.isWhitespace }
        guard let quote = rest.first, quote == "\"" || quote == "'" || quote == "`" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    /// The value of a command-line option in a shell command (`--output=dist`, `--output dist`,
    /// `--output='my site'`), looked for only in the words after the program named `program`
    /// (the last path component counts: `node_modules/.bin/eleventy`); nil when absent.
    static func commandOption(_ option: String, of program: (String) -> Bool, in command: String) -> String? {
        let words = shellWords(command)
        var inProgram = false
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            if ["&&", "||", ";", "|", "&"].contains(word) {
                inProgram = false
            } else if !inProgram {
                inProgram = program(word.split(separator: "/").last.map(String.init) ?? word)
            } else if word == option, index + 1 < words.endIndex {
                return words[index + 1]
            } else if word.hasPrefix(option + "=") {
                return String(word.dropFirst(option.count + 1))
            }
            index += 1
        }
        return nil
    }

    /// A command line split into words as a shell would (quotes removed), with `&&`, `||`,
    /// `;`, `|` and `&` as words of their own. Variables and globs are left as they are.
    static func shellWords(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var hasWord = false
        var quote: Character?
        var characters = command.makeIterator()
        func flush() {
            if hasWord { words.append(current) }
            current = ""
            hasWord = false
        }
        while let character = characters.next() {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                hasWord = true
            } else if character == "\\" {
                if let next = characters.next() { current.append(next); hasWord = true }
            } else if character.isWhitespace {
                flush()
            } else if ";|&".contains(character) {
                let joinsPrevious = !hasWord && character != ";" && words.last == String(character)
                flush()
                if joinsPrevious { words[words.count - 1] += String(character) } else { words.append(String(character)) }
            } else {
                current.append(character)
                hasWord = true
            }
        }
        flush()
        return words
    }

    /// A path setting in JavaScript source, as far as it can be read without running it.
    enum JSPath: Equatable {
        /// A string literal, relative to whatever the setting is relative to.
        case literal(String)
        /// `resolve(__dirname, 'a', 'b')`, `path.join(__dirname, …)` or
        /// `fileURLToPath(new URL('./a', import.meta.url))`: relative to the config file's folder.
        case fromConfigFolder(String)
        /// Any other expression.
        case unreadable
    }

    /// The value of the first `key:` in JavaScript source as a path; nil when there is no `key:`.
    static func jsPath(after key: String, in source: String) -> JSPath? {
        let code = withoutComments(source)
        var searchStart = code.startIndex
        while let range = code.range(of: key, range: searchStart..<code.endIndex) {
            searchStart = range.upperBound
            guard startsWord(range, in: code, orMember: true) else { continue }
            var rest = code[range.upperBound...]
            if rest.first == "\"" || rest.first == "'" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == ":" else { continue }
            let value = rest.dropFirst().drop { $0.isWhitespace }
            if let quote = value.first, quote == "\"" || quote == "'" || quote == "`" {
                let body = value.dropFirst()
                guard let end = body.firstIndex(of: quote) else { return .unreadable }
                return .literal(String(body[..<end]))
            }
            let call = value.prefix { $0 != "\n" && $0 != "}" }
            let dirnameCall = #/(?:path\.)?(?:resolve|join)\(\s*__dirname\s*((?:,\s*(?:'[^']*'|"[^"]*")\s*)*)\)/#
            let importMetaURL = #/fileURLToPath\(\s*new URL\(\s*(['"])([^'"]*)\1\s*,\s*import\.meta\.url\s*\)\s*\)/#
            if let match = call.prefixMatch(of: dirnameCall) {
                let parts = match.output.1.split(separator: ",").map { unquote(String($0)) }
                return .fromConfigFolder(parts.joined(separator: "/"))
            }
            if let match = call.prefixMatch(of: importMetaURL) { return .fromConfigFolder(String(match.output.2)) }
            return .unreadable
        }
        return nil
    }

    /// The object literal, braces included, that `name` holds in JavaScript source: a key
    /// (`test: { … }`) or a variable (`const options = { … }`); nil when `name` holds no
    /// object literal. Comments are left out.
    static func objectLiteral(of name: String, in source: String) -> String? {
        let code = withoutComments(source)
        var searchStart = code.startIndex
        while let range = code.range(of: name, range: searchStart..<code.endIndex) {
            searchStart = range.upperBound
            guard startsWord(range, in: code, orMember: true) else { continue }
            var rest = code[range.upperBound...]
            if rest.first == "\"" || rest.first == "'" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            // `name: Type = {` (TypeScript) too.
            guard let separator = rest.first, separator == ":" || separator == "=" else { continue }
            rest = rest.dropFirst()
            if separator == ":", let equals = rest.firstIndex(where: { $0 == "=" || $0 == "{" || $0 == "," || $0 == "\n" }), rest[equals] == "=" {
                rest = rest[rest.index(after: equals)...]
            }
            rest = rest.drop { $0.isWhitespace }
            guard rest.first == "{", let end = matchingBrace(from: rest.startIndex, in: code) else { continue }
            return String(code[rest.startIndex...end])
        }
        return nil
    }

    /// Whether the match at `range` starts a word: it does not continue a longer identifier
    /// (nor, with `orMember`, follow a `.`: `x.name` is another object's key).
    private static func startsWord(_ range: Range<String.Index>, in code: String, orMember: Bool = false) -> Bool {
        guard range.lowerBound > code.startIndex else { return true }
        let before = code[code.index(before: range.lowerBound)]
        return !(before.isLetter || before.isNumber || before == "_" || before == "$" || (orMember && before == "."))
    }

    /// The index of the `}` closing the `{` at `start`, quoted text skipped.
    private static func matchingBrace(from start: String.Index, in code: String) -> String.Index? {
        var depth = 0
        var quote: Character?
        var index = start
        while index < code.endIndex {
            let character = code[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" || character == "`" {
                quote = character
            } else if character == "{" {
                depth += 1
            } else if character == "}" {
                depth -= 1
                if depth == 0 { return index }
            }
            index = code.index(after: index)
        }
        return nil
    }

    /// The first quoted string after `key:` in JavaScript source (`outDir: 'build'`).
    static func jsString(after key: String, in source: String) -> String? {
        let code = withoutComments(source)
        var searchStart = code.startIndex
        while let range = code.range(of: key, range: searchStart..<code.endIndex) {
            searchStart = range.upperBound
            guard startsWord(range, in: code) else { continue }
            var rest = code[range.upperBound...].drop { $0 == " " || $0 == "\t" }
            if rest.first == "\"" || rest.first == "'" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == ":" else { continue }
            rest = rest.dropFirst().drop { $0.isWhitespace }
            guard let quote = rest.first, quote == "\"" || quote == "'" || quote == "`" else { continue }
            let body = rest.dropFirst()
            guard let end = body.firstIndex(of: quote) else { continue }
            return String(body[..<end])
        }
        return nil
    }
}
