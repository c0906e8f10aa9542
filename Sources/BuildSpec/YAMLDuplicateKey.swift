import Foundation
import Yams

/// Where a YAML key appears the second time. Yams reports a duplicated key at its first
/// occurrence; the one to delete or rename is usually the later one, so messages name both.
public enum YAMLDuplicateKey {
    /// The lines of a YAML file, LF or CRLF. ("\r\n" is one Character in Swift: a split on "\n"
    /// alone never splits a CRLF file.)
    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// The line and column of the next occurrence of `key` as a key of the same block mapping
    /// as the one at `firstAt` (1-based), found in `text`; nil when it cannot be found that way
    /// (flow mappings such as `{a: 1, a: 2}`, keys written differently).
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
        return (at.line, at.column, message(key, firstAt: firstAt, repeatedAt: repeatedAt))
    }

    /// A key repeated in a mapping: where it is first and where again (nil when not found).
    public struct Repeat: Sendable {
        public var key: String
        public var first: (line: Int, column: Int)
        public var repeated: (line: Int, column: Int)?
    }

    /// What ``composeKeepingLast(_:limit:)`` made of a text.
    public enum KeptLast {
        /// The text's tree with the earlier entry of each repeated key left out, and the repeats
        /// in the order Yams found them (the order the mappings end).
        case composed(Node?, dropped: [Repeat])
        /// A repeat whose earlier entry cannot be left out (its value defines an anchor a later
        /// alias uses; a key written with an anchor, a tag or escapes; more than `limit`).
        case cannotDrop(Repeat)
    }

    /// The text read by Yams with the earlier entry of each repeated key left out, so the later
    /// one is the mapping's value, as go-yaml's non-strict decoding (CodeBuild's agent) keeps
    /// the last, in block and flow mappings alike (`{A: 1, A: 2}`). Other YAML errors are thrown.
    ///
    /// Each earlier key (where Yams reports it) is first renamed to a unique name of the same
    /// length, so the text can be read whole and the entry's mapping and the key after it are
    /// known. The entry, from its key to the start of the next key (its value, a `,`, comments),
    /// is then blanked in the original text, every line break kept, so every other line and
    /// column stays where it was; the result is read and must be that tree without the left-out
    /// entries, node for node at the same places, or the repeat is ``KeptLast/cannotDrop(_:)``.
    public static func composeKeepingLast(_ text: String, limit: Int = 1_000) throws -> KeptLast {
        let original = Array(text.unicodeScalars)
        let lineStarts = Self.lineStarts(original)
        func offset(_ mark: (line: Int, column: Int)) -> Int? {
            guard mark.line >= 1, mark.line <= lineStarts.count, mark.column >= 1 else { return nil }
            let offset = lineStarts[mark.line - 1] + mark.column - 1
            return offset <= original.count ? offset : nil
        }
        func yaml(_ scalars: [Unicode.Scalar]) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }
        // Rename each earlier key until the text reads.
        struct Renamed { var repeat_: Repeat; var start: Int }
        var renamed: [Renamed] = []
        var scalars = original
        var root: Node?
        while true {
            do {
                root = try Yams.compose(yaml: yaml(scalars))
                break
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let key = duplicates.first ?? ""
                let first = (line: context.mark.line, column: context.mark.column)
                let found = Repeat(key: key, first: first, repeated: repeated(key, firstAt: first, in: text))
                guard renamed.count < limit, let start = offset(first),
                      let length = spellingLength(key, at: start, in: scalars) else { return .cannotDrop(found) }
                let placeholder = Unicode.Scalar(0xE000 + UInt32(renamed.count % 6_400))!
                scalars.replaceSubrange(start..<start + length, with: repeatElement(placeholder, count: length))
                renamed.append(Renamed(repeat_: found, start: start))
            }
        }
        guard !renamed.isEmpty else { return .composed(root, dropped: []) }

        // Each renamed key's mapping: the key after it, and the repeat.
        var entries: [Int: (pairs: [(Node, Node)], index: Int)] = [:]  // by the key's offset
        var seen: Set<NodeAt> = []
        func collect(_ node: Node) {
            guard seen.insert(NodeAt(node)).inserted else { return }
            switch node {
            case .mapping(let mapping):
                let pairs = mapping.map { ($0.key, $0.value) }
                for (index, pair) in pairs.enumerated() {
                    if let mark = pair.0.mark, let start = offset((mark.line, mark.column)) { entries[start] = (pairs, index) }
                    collect(pair.0)
                    collect(pair.1)
                }
            case .sequence(let sequence):
                sequence.forEach(collect)
            case .scalar, .alias:
                break
            }
        }
        if let root { collect(root) }
        let renamedStarts = Dictionary(renamed.map { ($0.start, $0.repeat_.key) }, uniquingKeysWith: { first, _ in first })
        var blanked = original
        var dropped: [Repeat] = []
        var droppedKeys: Set<Int> = []
        var regions: [(range: Range<Int>, repeat_: Repeat)] = []
        for item in renamed {
            var found = item.repeat_
            guard let entry = entries[item.start], entry.index + 1 < entry.pairs.count,
                  let nextMark = entry.pairs[entry.index + 1].0.mark, let end = offset((nextMark.line, nextMark.column)),
                  end > item.start else { return .cannotDrop(found) }
            let later = entry.pairs[(entry.index + 1)...].first { pair in
                guard let mark = pair.0.mark, let start = offset((mark.line, mark.column)) else { return false }
                return (renamedStarts[start] ?? pair.0.string) == found.key
            }
            guard let laterMark = later?.0.mark else { return .cannotDrop(found) }
            found.repeated = (laterMark.line, laterMark.column)
            for index in item.start..<end where !isBreak(blanked[index]) { blanked[index] = " " }
            dropped.append(found)
            droppedKeys.insert(item.start)
            regions.append((item.start..<end, found))
        }

        // The blanked text must read as the renamed one without the dropped entries.
        let kept: Node?
        do {
            kept = try Yams.compose(yaml: yaml(blanked))
        } catch YamlError.composer(_, let problem, let mark, _) where problem.contains("undefined alias") {
            // An earlier value defined an anchor a later alias uses: it cannot be left out.
            let name = offset((mark.line, mark.column)).map { start in
                yaml(Array(original[(start + 1)...].prefix { !isBreak($0) && !" \t,[]{}".unicodeScalars.contains($0) }))
            } ?? ""
            let culprit = regions.first { region in
                let anchor = "&" + name
                return yaml(Array(original[region.range])).components(separatedBy: anchor).dropFirst().contains { after in
                    after.unicodeScalars.first.map { isBreak($0) || " \t,[]{}".unicodeScalars.contains($0) } ?? true
                }
            }
            return .cannotDrop((culprit ?? regions[0]).repeat_)
        } catch {
            return .cannotDrop(dropped[0])
        }
        var compared: Set<NodeAt> = []
        func same(_ expected: Node, _ actual: Node) -> Bool {
            // A block mapping starts at its first key, which may be one left out.
            guard let a = expected.mark, let b = actual.mark,
                  (a.line == b.line && a.column == b.column) || NodeAt(expected).kind == NodeAt.mapping else { return false }
            guard compared.insert(NodeAt(expected)).inserted else { return true }
            switch (expected, actual) {
            case (.scalar(let x), .scalar(let y)):
                return x.string == y.string && x.style == y.style && x.tag == y.tag
            case (.sequence(let x), .sequence(let y)):
                return x.count == y.count && x.style == y.style && zip(x, y).allSatisfy { same($0, $1) }
            case (.mapping(let x), .mapping(let y)):
                let left = Array(x).filter { pair in
                    guard let mark = pair.key.mark, let start = offset((mark.line, mark.column)) else { return true }
                    return !droppedKeys.contains(start)
                }
                let right = Array(y)
                return left.count == right.count && x.style == y.style
                    && zip(left, right).allSatisfy { same($0.key, $1.key) && same($0.value, $1.value) }
            default:
                return false
            }
        }
        switch (root, kept) {
        case (let root?, let kept?) where same(root, kept):
            return .composed(kept, dropped: dropped)
        default:
            return .cannotDrop(dropped[0])
        }
    }

    /// A node by where it starts and its kind: an alias's node is the anchored one, at the
    /// anchor's place, so each is visited once however many aliases repeat it.
    struct NodeAt: Hashable {
        var line: Int
        var column: Int
        var kind: Int
        static let mapping = 1
        init(_ node: Node) {
            line = node.mark?.line ?? 0
            column = node.mark?.column ?? 0
            switch node {
            case .scalar: kind = 0
            case .mapping: kind = Self.mapping
            case .sequence: kind = 2
            case .alias: kind = 3
            }
        }
    }

    /// The offsets where each line starts, with YAML's line breaks (LF, CRLF, CR, NEL, LS, PS)
    /// as libyaml counts them.
    static func lineStarts(_ scalars: [Unicode.Scalar]) -> [Int] {
        var starts = [0]
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard isBreak(scalar) else { continue }
            if scalar == "\r", index < scalars.count, scalars[index] == "\n" { index += 1 }
            starts.append(index)
        }
        return starts
    }

    static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r" || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// How long `key` is as written at `start`: plain, or in single or double quotes with
    /// nothing escaped; nil when it is written otherwise (an anchor or tag before it, escapes).
    static func spellingLength(_ key: String, at start: Int, in scalars: [Unicode.Scalar]) -> Int? {
        let rest = scalars[start...]
        for spelling in [key, "\"\(key)\"", "'\(key)'"] {
            let written = Array(spelling.unicodeScalars)
            guard !written.isEmpty, rest.starts(with: written) else { continue }
            if spelling == key {
                // A plain key is the whole scalar: what follows ends it.
                let after = start + written.count
                guard after == scalars.count || " \t:,]}".unicodeScalars.contains(scalars[after]) || isBreak(scalars[after]) else { continue }
            }
            return written.count
        }
        return nil
    }

    /// The message for a duplicated key, first at `firstAt` and again at `repeatedAt`, when found.
    public static func message(_ key: String, firstAt: (line: Int, column: Int), repeatedAt: (line: Int, column: Int)?) -> String {
        if let repeatedAt, repeatedAt.line != firstAt.line {
            return "duplicate key '\(key)' (first at line \(firstAt.line)); each key may appear once in a mapping: "
                + "remove the one at line \(firstAt.line) or the one at line \(repeatedAt.line)"
        }
        if let repeatedAt {
            return "duplicate key '\(key)' (at line \(firstAt.line), columns \(firstAt.column) and \(repeatedAt.column)); "
                + "each key may appear once in a mapping: remove one of the two"
        }
        return "duplicate key '\(key)' (first at line \(firstAt.line), column \(firstAt.column)); each key may appear once in a mapping: "
            + "remove one of the two"
    }
}
