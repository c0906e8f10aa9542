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

    /// The message for a duplicated key.
    public static func message(_ key: String, firstLine: Int, repeatedAt: (line: Int, column: Int)?) -> String {
        if let repeatedAt, repeatedAt.line != firstLine {
            return "duplicate key '\(key)' (first at line \(firstLine)); each key may appear once in a mapping"
        }
        return "duplicate key '\(key)' in a mapping; each key may appear once"
    }
}
