/// Where a YAML key appears the second time. Yams reports a duplicated key at its first
/// occurrence; the one to delete or rename is usually the later one, so messages name both.
public enum YAMLDuplicateKey {
    /// The line and column of the next occurrence of `key` as a key of the same block mapping
    /// as the one at `firstAt` (1-based), found in `text`; nil when it cannot be found that way
    /// (flow mappings such as `{a: 1, a: 2}`, keys written differently).
    /// The lines of a YAML file, LF or CRLF. ("\r\n" is one Character in Swift: a split on "\n"
    /// alone never splits a CRLF file.)
    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    public static func repeated(_ key: String, firstAt: (line: Int, column: Int), in text: String) -> (line: Int, column: Int)? {
        let lines = Self.lines(of: text)
        guard firstAt.line >= 1, firstAt.line <= lines.count else { return nil }
        let indent = firstAt.column - 1
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        for index in firstAt.line..<lines.count {
            let line = lines[index].hasSuffix("\r") ? lines[index].dropLast() : lines[index]
            let body = line.drop { $0 == " " }
            if body.isEmpty || body.hasPrefix("#") { continue }
            let column = line.count - body.count
            // A line less indented than the mapping ends it.
            if column < indent { return nil }
            guard column == indent else { continue }
            for spelling in spellings where body.hasPrefix(spelling) {
                let after = body.dropFirst(spelling.count).drop { $0 == " " }
                if after.hasPrefix(":") { return (index + 1, indent + 1) }
            }
        }
        return nil
    }

    /// Where to report a duplicated `key` that Yams found first at `firstAt` (the repeat when it
    /// can be found, else the first), and the message.
    public static func report(_ key: String, firstAt: (line: Int, column: Int), in text: String)
        -> (line: Int, column: Int, message: String) {
        let repeatedAt = repeated(key, firstAt: firstAt, in: text)
        let at = repeatedAt ?? firstAt
        return (at.line, at.column, message(key, firstLine: firstAt.line, repeatedAt: repeatedAt))
    }

    /// `text` with the entry of `key` that Yams found first at `firstAt` (1-based) taken out, so
    /// the later one is the mapping's value, as go-yaml's non-strict decoding (CodeBuild's
    /// agent) keeps the last: the key and its value's lines are blanked, every other line and
    /// column stays where it was. Also where the repeat is. Nil when the entry cannot be cut out
    /// that way (a flow mapping, a key written differently, text before the key on its line
    /// other than indentation and `- `).
    public static func droppingEarlier(_ key: String, firstAt: (line: Int, column: Int), in text: String)
        -> (text: String, repeatedAt: (line: Int, column: Int))? {
        guard let repeatedAt = repeated(key, firstAt: firstAt, in: text), repeatedAt.line > firstAt.line else { return nil }
        var lines = Self.lines(of: text)
        let indent = firstAt.column - 1
        let keyLine = lines[firstAt.line - 1]
        let prefix = keyLine.prefix(indent)
        guard prefix.count == indent, prefix.allSatisfy({ $0 == " " || $0 == "-" }) else { return nil }
        lines[firstAt.line - 1] = prefix
        // The value's lines: those indented deeper than the key, and a block sequence written at
        // the key's own indentation (`commands:` then `- make`), up to the next key.
        var index = firstAt.line
        while index < repeatedAt.line - 1 {
            let line = lines[index].hasSuffix("\r") ? lines[index].dropLast() : lines[index]
            let body = line.drop { $0 == " " }
            let column = line.count - body.count
            if !body.isEmpty && !body.hasPrefix("#") {
                let item = column == indent && (body == "-" || body.hasPrefix("- "))
                guard column > indent || item else { break }
            }
            lines[index] = ""
            index += 1
        }
        return (lines.joined(separator: "\n"), repeatedAt)
    }

    /// The message for a duplicated key.
    public static func message(_ key: String, firstLine: Int, repeatedAt: (line: Int, column: Int)?) -> String {
        if let repeatedAt, repeatedAt.line != firstLine {
            return "duplicate key '\(key)' (first at line \(firstLine)); each key may appear once in a mapping"
        }
        return "duplicate key '\(key)' in a mapping; each key may appear once"
    }
}
