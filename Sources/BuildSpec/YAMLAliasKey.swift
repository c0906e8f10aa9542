/// Finds an alias of a collection used in a mapping key (`*big: x`, `[*big, 1]: x`, `? *big`),
/// before YAML reads the text: Yams compares a mapping's keys by hashing them whole, and a key
/// that is an alias of nested aliases (`&a1 [*a0, *a0, …]`, `&a2 [*a1, *a1, …]`) is hashed once
/// per path through them: exponential time on a few hundred bytes (found by the fuzzer). A
/// buildspec's keys are plain names, so such a key is refused with its line and column.
///
/// A scan of the text, not a YAML parser: quoted scalars, comments and block scalars (`|`, `>`)
/// are skipped, so a command that reads like one (`- echo *x: y`, a `|` block line `*x: y`) is
/// never taken for a key. Only aliases of anchors set on a collection count (`&name [`,
/// `&name {`, or `&name` ending its line, a block collection below): an alias of a scalar costs
/// nothing to hash.
public enum YAMLAliasKey {
    public struct Found: Equatable, Sendable {
        public var line: Int
        public var column: Int
        public var alias: String
    }

    /// The first alias of a collection used in a mapping key, if any (1-based line and column,
    /// in characters).
    public static func collectionAliasInKey(_ text: String) -> Found? {
        guard text.contains("*") else { return nil }
        let lines: [[Character]] = YAMLDuplicateKey.lines(of: text).map { line in
            let text = String(line)
            return Array(text.hasSuffix("\r") ? String(text.dropLast()) : text)
        }
        let collections = collectionAnchors(lines)
        guard !collections.isEmpty else { return nil }
        var explicitKey = false
        var firstAlias: Found?
        var blockIndent: Int?  // inside a block scalar whose parent line has this indentation
        // Flow collections open at this point (they may span lines), each with the first alias
        // of a collection inside it.
        var flow: [Found?] = []
        var quote: Character?
        for (index, line) in lines.enumerated() {
            let indent = line.prefix { $0 == " " }.count
            if let parent = blockIndent {
                if line.allSatisfy({ $0 == " " || $0 == "\t" }) || indent > parent { continue }
                blockIndent = nil
            }
            var position = 0
            while position < line.count {
                let character = line[position]
                if let open = quote {
                    if character == open {
                        // '' inside single quotes is a quote, not the end.
                        if open == "'", position + 1 < line.count, line[position + 1] == "'" { position += 2; continue }
                        quote = nil
                    } else if open == "\"", character == "\\" {
                        position += 1
                    }
                    position += 1
                    continue
                }
                let atTokenStart = position == 0 || " \t[{,".contains(line[position - 1])
                switch character {
                case "#" where atTokenStart:
                    position = line.count
                    continue
                case "'", "\"":
                    if atTokenStart || !flow.isEmpty { quote = character }
                case "[", "{":
                    flow.append(nil)
                case "]", "}":
                    if let inside = flow.popLast() {
                        if let inside, isKeyIndicator(line, after: position + 1) { return inside }
                        if let inside, !flow.isEmpty, flow[flow.count - 1] == nil { flow[flow.count - 1] = inside }
                    }
                case "?" where atTokenStart && (position + 1 == line.count || line[position + 1] == " "):
                    explicitKey = true
                case "*" where startsNode(line, at: position):
                    let name = String(line[(position + 1)...].prefix { isAnchorCharacter($0) })
                    if !name.isEmpty, collections.contains(name) {
                        let found = Found(line: index + 1, column: position + 1, alias: "*" + name)
                        if firstAlias == nil { firstAlias = found }
                        if isKeyIndicator(line, after: position + 1 + name.count) { return found }
                        if !flow.isEmpty, flow[flow.count - 1] == nil { flow[flow.count - 1] = found }
                    }
                    position += 1 + name.count
                    continue
                case "|", ">":
                    // A block scalar header ends its line (after indicators and a comment): the
                    // lines below, indented deeper than this one, are its text.
                    let rest = String(line[(position + 1)...]).split(separator: "#", maxSplits: 1).first ?? ""
                    if atTokenStart, flow.isEmpty, rest.allSatisfy({ "+-0123456789 \t".contains($0) }) {
                        blockIndent = indent
                        position = line.count
                        continue
                    }
                default:
                    break
                }
                position += 1
            }
        }
        // An explicit key (`? …`) may be any node over several lines: with an alias of a
        // collection in the file, it is not worth telling which.
        return explicitKey ? firstAlias : nil
    }

    /// Whether a node may start at `position`: after the line's indentation, or after an
    /// indicator (`- `, `? `, `: `, `[`, `{`, `,`) and spaces; not inside a plain scalar
    /// (`echo *x`), where `*` is text.
    static func startsNode(_ line: [Character], at position: Int) -> Bool {
        var before = position - 1
        while before >= 0, line[before] == " " || line[before] == "\t" { before -= 1 }
        guard before >= 0 else { return true }
        let indicator = line[before]
        if "[{,".contains(indicator) { return true }
        guard "-?:".contains(indicator), before < position - 1 else { return false }
        return before == 0 || line[before - 1] == " " || line[before - 1] == "\t" || (indicator == ":" && line[before - 1] != ":")
    }

    /// Whether `line` has, from `start`, optional spaces and then a `:` that ends a key (followed
    /// by a space, the end of the line, or a flow indicator).
    static func isKeyIndicator(_ line: [Character], after start: Int) -> Bool {
        var position = start
        while position < line.count, line[position] == " " || line[position] == "\t" { position += 1 }
        guard position < line.count, line[position] == ":" else { return false }
        return position + 1 == line.count || " \t,]}".contains(line[position + 1])
    }

    /// libyaml's anchor names: letters, digits, `-` and `_`.
    static func isAnchorCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }

    /// The anchors set on a collection: `&name [`, `&name {`, or `&name` ending its line (a
    /// comment aside), where a block collection follows.
    static func collectionAnchors(_ lines: [[Character]]) -> Set<String> {
        var names: Set<String> = []
        for line in lines {
            var position = 0
            while position < line.count {
                defer { position += 1 }
                guard line[position] == "&", position == 0 || " \t[{,".contains(line[position - 1]) else { continue }
                let name = String(line[(position + 1)...].prefix { isAnchorCharacter($0) })
                guard !name.isEmpty else { continue }
                let rest = line[(position + 1 + name.count)...].drop { $0 == " " || $0 == "\t" }
                if rest.isEmpty || rest.first == "#" || rest.first == "[" || rest.first == "{" { names.insert(name) }
            }
        }
        return names
    }
}
