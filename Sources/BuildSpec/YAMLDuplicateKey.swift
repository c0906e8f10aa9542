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
    /// Each earlier key (where Yams reports it; a block mapping's all at once, so a thousand
    /// repeats take a few readings, not a thousand) is first renamed to a unique name of the same
    /// length, so the text can be read whole and the entry's mapping and the key after it are
    /// known. The entry, from its key to the start of the next key (its value, a `,`, comments),
    /// is then blanked in the original text, every line break kept, so every other line and
    /// column stays where it was; the result is read and must be that tree without the left-out
    /// entries, node for node at the same places, or the repeat is ``KeptLast/cannotDrop(_:)``.
    public static func composeKeepingLast(_ text: String, limit: Int = 1_000) throws -> KeptLast {
        let original = Array(text.unicodeScalars)
        let lineStarts = Self.lineStarts(original)
        func offset(_ mark: (line: Int, column: Int)) -> Int? { Self.offset(mark, lineStarts, original.count) }
        func yaml(_ scalars: [Unicode.Scalar]) -> String { string(scalars) }
        // Rename each earlier key until the text reads: a mapping's at once where its lines show
        // them, else one per reading (as Yams reports them).
        let renaming = try renameByMapping(original, lineStarts: lineStarts, text: text, limit: limit)
            ?? renameOneByOne(original, lineStarts: lineStarts, text: text, limit: limit)
        let renamed: [Renamed], root: Node?
        switch renaming {
        case .renamed(let keys, let node): (renamed, root) = (keys, node)
        case .cannotDrop(let found): return .cannotDrop(found)
        }
        guard !renamed.isEmpty else { return .composed(root, dropped: []) }

        // Each renamed key's mapping: the key after it, and the next key of the same name.
        let renamedStarts = Dictionary(renamed.map { ($0.start, $0.repeat_.key) }, uniquingKeysWith: { first, _ in first })
        var entries: [Int: (next: Mark?, later: Mark?)] = [:]  // by the key's offset
        for pairs in mappings(in: root) {
            let starts = pairs.map { pair in pair.0.mark.flatMap { offset(($0.line, $0.column)) } }
            var laterOfName: [String: Mark] = [:]
            for index in pairs.indices.reversed() {
                let name = starts[index].flatMap { renamedStarts[$0] } ?? pairs[index].0.string
                if let start = starts[index], renamedStarts[start] != nil {
                    entries[start] = (index + 1 < pairs.count ? pairs[index + 1].0.mark : nil, name.flatMap { laterOfName[$0] })
                }
                if let name, let mark = pairs[index].0.mark { laterOfName[name] = mark }
            }
        }
        var blanked = original
        var dropped: [Repeat] = []
        var droppedKeys: Set<Int> = []
        var regions: [(range: Range<Int>, repeat_: Repeat)] = []
        for item in renamed {
            var found = item.repeat_
            guard let entry = entries[item.start], let nextMark = entry.next, let end = offset((nextMark.line, nextMark.column)),
                  end > item.start else { return .cannotDrop(located(found, in: text)) }
            guard let laterMark = entry.later else { return .cannotDrop(located(found, in: text)) }
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

    /// A key renamed so the text reads: the repeat, and where its spelling starts (an offset in
    /// the text's Unicode scalars).
    struct Renamed {
        var repeat_: Repeat
        var start: Int
    }

    /// The earlier keys renamed, and the renamed text's tree; or the repeat that cannot be left out.
    enum Renaming {
        case renamed([Renamed], Node?)
        case cannotDrop(Repeat)
    }

    /// The repeat with where its key is repeated, when the lines show it (``repeated(_:firstAt:in:)``).
    static func located(_ found: Repeat, in text: String) -> Repeat {
        var found = found
        if found.repeated == nil { found.repeated = repeated(found.key, firstAt: found.first, in: text) }
        return found
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// The renaming as Yams reports the repeats: one key per reading of the whole text, the
    /// earlier occurrence of the first repeated key (in sorted order) of the first mapping to end.
    /// A reading per repeat: slow with many (seconds for a thousand), and the reference for
    /// ``renameByMapping(_:lineStarts:text:limit:)``.
    static func renameOneByOne(_ original: [Unicode.Scalar], lineStarts: [Int], text: String, limit: Int) throws -> Renaming {
        var renamed: [Renamed] = []
        var scalars = original
        while true {
            do {
                return .renamed(renamed, try Yams.compose(yaml: string(scalars)))
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let found = Repeat(key: duplicates.first ?? "", first: (context.mark.line, context.mark.column), repeated: nil)
                guard renamed.count < limit, let start = offset(found.first, lineStarts, scalars.count),
                      let length = spellingLength(found.key, at: start, in: scalars) else { return .cannotDrop(located(found, in: text)) }
                let placeholder = Unicode.Scalar(0xE000 + UInt32(renamed.count % 6_400))!
                scalars.replaceSubrange(start..<start + length, with: repeatElement(placeholder, count: length))
                renamed.append(Renamed(repeat_: found, start: start))
            }
        }
    }

    /// The same renaming as ``renameOneByOne(_:lineStarts:text:limit:)`` in a reading per mapping
    /// that repeats keys, not per repeat: where Yams reports a repeated key of a block mapping,
    /// that mapping's lines give every occurrence of its repeated keys, and each but the last is
    /// renamed. The lines are a guess (a quoted value spanning lines may look like a key), so the
    /// renamed text's tree is checked: in each mapping, exactly the earlier keys of each group of
    /// equal keys (as Yams compares them) were renamed. The repeats are then ordered as Yams
    /// would have reported them. nil when the check fails or the text has another error and more
    /// than `limit` repeats before it: the caller renames one by one instead.
    static func renameByMapping(_ original: [Unicode.Scalar], lineStarts: [Int], text: String, limit: Int) throws -> Renaming? {
        var scalars = original
        var renamed: [Int: String] = [:]  // the key's offset: its name
        var guessed = false  // whether a line taken for a key may be part of a value
        var root: Node?
        while true {
            do {
                root = try Yams.compose(yaml: string(scalars))
                break
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let key = duplicates.first ?? ""
                guard let start = offset((context.mark.line, context.mark.column), lineStarts, scalars.count),
                      renamed[start] == nil else { return nil }
                let found = blockMappingKeys(at: start, line: context.mark.line, names: Set(duplicates), in: scalars, lineStarts: lineStarts)
                var occurrences: [String: [Int]] = [:]
                for key in found.keys { occurrences[key.name, default: []].append(key.start) }
                var earlier = occurrences.flatMap { name, starts in starts.dropLast().map { (start: $0, name: name) } }
                if earlier.contains(where: { $0.start == start }) {
                    guessed = guessed || found.unclosed
                } else {
                    earlier = [(start, key)]
                }
                for (at, name) in earlier {
                    guard let length = spellingLength(name, at: at, in: scalars), let placeholder = placeholder(renamed.count) else { return nil }
                    scalars.replaceSubrange(at..<at + length, with: repeatElement(placeholder, count: length))
                    renamed[at] = name
                }
            } catch {
                // One by one, the same error would be met once the repeats before it are renamed,
                // unless there are more than `limit` of them. Without a tree to check against, only
                // when no line taken for a key may have been part of a value.
                if renamed.isEmpty || (!guessed && renamed.count <= limit) { throw error }
                return nil
            }
        }

        var ordered: [Renamed] = []
        for pairs in mappings(in: root) {
            let starts = pairs.map { pair in pair.0.mark.flatMap { offset(($0.line, $0.column), lineStarts, original.count) } }
            guard starts.contains(where: { $0.map { renamed[$0] != nil } ?? false }) else { continue }
            // The keys as written, compared as Yams compares them (text and resolved tag).
            var groups: [Node: [Int]] = [:]
            for (index, pair) in pairs.enumerated() {
                var key = pair.0
                if let start = starts[index], let name = renamed[start], case .scalar(let scalar) = key {
                    let quoted = original[start] == "\"" || original[start] == "'"
                    key = .scalar(.init(name, Tag(quoted ? .str : .implicit), scalar.style, scalar.mark))
                }
                groups[key, default: []].append(index)
            }
            var repeats: [(key: String, indices: [Int])] = []
            var count = 0
            for (key, indices) in groups {
                let isRenamed = indices.map { starts[$0].map { renamed[$0] != nil } ?? false }
                count += isRenamed.count { $0 }
                guard indices.count > 1 else { continue }
                guard case .scalar(let scalar) = key, isRenamed.dropLast().allSatisfy({ $0 }), isRenamed.last == false else { return nil }
                repeats.append((scalar.string, indices))
            }
            guard count == repeats.reduce(0, { $0 + $1.indices.count - 1 }) else { return nil }
            for item in repeats.sorted(by: { ($0.key, $0.indices[0]) < ($1.key, $1.indices[0]) }) {
                for index in item.indices.dropLast() {
                    guard let mark = pairs[index].0.mark, let start = starts[index] else { return nil }
                    ordered.append(Renamed(repeat_: Repeat(key: item.key, first: (mark.line, mark.column), repeated: nil), start: start))
                }
            }
        }
        guard ordered.count == renamed.count else { return nil }
        if ordered.count > limit { return .cannotDrop(located(ordered[limit].repeat_, in: text)) }
        return .renamed(ordered, root)
    }

    /// Every mapping under `root` once (a node reached again through an alias is not walked
    /// again), each after the mappings in its keys and values: the order Yams ends them.
    static func mappings(in root: Node?) -> [[(Node, Node)]] {
        var mappings: [[(Node, Node)]] = []
        var seen: Set<NodeAt> = []
        func collect(_ node: Node) {
            guard seen.insert(NodeAt(node)).inserted else { return }
            switch node {
            case .mapping(let mapping):
                let pairs = mapping.map { ($0.key, $0.value) }
                for pair in pairs {
                    collect(pair.0)
                    collect(pair.1)
                }
                mappings.append(pairs)
            case .sequence(let sequence):
                sequence.forEach(collect)
            case .scalar, .alias:
                break
            }
        }
        if let root { collect(root) }
        return mappings
    }

    /// A different placeholder scalar for each renamed key (private-use characters).
    static func placeholder(_ index: Int) -> Unicode.Scalar? {
        if index < 6_400 { return Unicode.Scalar(0xE000 + UInt32(index)) }
        if index < 6_400 + 65_534 { return Unicode.Scalar(0xF0000 + UInt32(index - 6_400)) }
        return nil
    }

    /// The offset of a line:column mark (1-based) in a text of `count` scalars.
    static func offset(_ mark: (line: Int, column: Int), _ lineStarts: [Int], _ count: Int) -> Int? {
        guard mark.line >= 1, mark.line <= lineStarts.count, mark.column >= 1 else { return nil }
        let offset = lineStarts[mark.line - 1] + mark.column - 1
        return offset <= count ? offset : nil
    }

    /// The keys among `names` of the block mapping whose key starts at `start` (on `line`), as its
    /// lines show them, in order: lines at that key's indentation (the mapping's first line may
    /// start with `- `) that start with a name, plain or in quotes with nothing escaped, then
    /// `:`. None when the key is not at the start of its line (a flow mapping). `unclosed`: a line
    /// of the mapping leaves a quote or a `[`/`{` open, so a later line may only look like a key.
    static func blockMappingKeys(at start: Int, line: Int, names: Set<String>, in scalars: [Unicode.Scalar],
                                 lineStarts: [Int]) -> (keys: [(start: Int, name: String)], unclosed: Bool) {
        let indent = start - lineStarts[line - 1]
        func end(ofLine index: Int) -> Int { index + 1 < lineStarts.count ? lineStarts[index + 1] : scalars.count }
        // Where the line's text starts; nil for a blank or comment line.
        func text(ofLine index: Int) -> Int? {
            var at = lineStarts[index]
            while at < end(ofLine: index), scalars[at] == " " { at += 1 }
            guard at < end(ofLine: index), !isBreak(scalars[at]), scalars[at] != "#" else { return nil }
            return at
        }
        // Only spaces and `- ` (list items) before `at` on its line.
        func onlyDashes(from lineStart: Int, to at: Int) -> Bool {
            var index = lineStart
            while index < at {
                if scalars[index] == "-", index + 1 < scalars.count, scalars[index + 1] == " " || scalars[index + 1] == "\t" {
                    index += 2
                } else if scalars[index] == " " || scalars[index] == "\t" {
                    index += 1
                } else {
                    return false
                }
            }
            return index == at
        }
        func isDocumentMarker(_ at: Int) -> Bool {
            guard at + 3 <= scalars.count, Array(scalars[at..<at + 3]) == ["-", "-", "-"] || Array(scalars[at..<at + 3]) == [".", ".", "."] else { return false }
            return at + 3 == scalars.count || scalars[at + 3] == " " || scalars[at + 3] == "\t" || isBreak(scalars[at + 3])
        }
        // Whether the line ends inside a quoted scalar or a flow collection.
        func leavesOpen(_ index: Int) -> Bool {
            var quote: Unicode.Scalar?
            var depth = 0
            var at = lineStarts[index]
            var previous: Unicode.Scalar = " "
            while at < end(ofLine: index), !isBreak(scalars[at]) {
                let scalar = scalars[at]
                if let open = quote {
                    if open == "\"", scalar == "\\" {
                        at += 2
                        previous = "\\"
                        continue
                    }
                    if scalar == open {
                        if open == "'", at + 1 < scalars.count, scalars[at + 1] == "'" {
                            at += 2
                            continue
                        }
                        quote = nil
                    }
                } else if scalar == "#", previous == " " || previous == "\t" {
                    break
                } else if scalar == "\"" || scalar == "'" {
                    quote = scalar
                } else if scalar == "[" || scalar == "{" {
                    depth += 1
                } else if scalar == "]" || scalar == "}" {
                    depth = max(0, depth - 1)
                }
                previous = scalar
                at += 1
            }
            return quote != nil || depth > 0
        }
        guard onlyDashes(from: lineStarts[line - 1], to: start) else { return ([], false) }
        let firstLine = text(ofLine: line - 1) != start  // `- key:`: the mapping starts here
        var starts: [Int] = []
        var lines = (line - 1)...(line - 1)
        if !firstLine {
            var index = line - 2
            while index >= 0 {
                defer { index -= 1 }
                guard let at = text(ofLine: index) else { continue }
                let column = at - lineStarts[index]
                if column > indent {
                    lines = index...lines.upperBound
                    continue
                }
                if column == indent {
                    if isDocumentMarker(at) { break }
                    starts.append(at)
                    lines = index...lines.upperBound
                    continue
                }
                if lineStarts[index] + indent < end(ofLine: index), onlyDashes(from: lineStarts[index], to: lineStarts[index] + indent) {
                    starts.append(lineStarts[index] + indent)
                    lines = index...lines.upperBound
                }
                break
            }
            starts.reverse()
        }
        starts.append(start)
        var index = line
        while index < lineStarts.count {
            defer { index += 1 }
            guard let at = text(ofLine: index) else { continue }
            let column = at - lineStarts[index]
            if column < indent || (column == indent && isDocumentMarker(at)) { break }
            if column == indent { starts.append(at) }
            lines = lines.lowerBound...index
        }
        let keys = starts.compactMap { at in keyName(at: at, names: names, in: scalars).map { (start: at, name: $0) } }
        return (keys, lines.contains(where: leavesOpen))
    }

    /// The name among `names` of the key written at `at` and followed by `:`, nil if none is.
    static func keyName(at start: Int, names: Set<String>, in scalars: [Unicode.Scalar]) -> String? {
        guard start < scalars.count else { return nil }
        var index = start
        let name: [Unicode.Scalar]
        let first = scalars[start]
        if first == "\"" || first == "'" {
            index += 1
            while index < scalars.count, scalars[index] != first, !isBreak(scalars[index]) { index += 1 }
            guard index < scalars.count, scalars[index] == first else { return nil }
            name = Array(scalars[(start + 1)..<index])
            index += 1
        } else {
            // A plain key: up to the `:` and space that end it.
            while index < scalars.count, !isBreak(scalars[index]) {
                if scalars[index] == ":", index + 1 == scalars.count || " \t".unicodeScalars.contains(scalars[index + 1]) || isBreak(scalars[index + 1]) { break }
                if scalars[index] == "#", index > start, scalars[index - 1] == " " { return nil }
                index += 1
            }
            var last = index
            while last > start, scalars[last - 1] == " " { last -= 1 }
            name = Array(scalars[start..<last])
            index = last
        }
        let text = string(name)
        guard names.contains(text), spellingLength(text, at: start, in: scalars) == index - start else { return nil }
        while index < scalars.count, scalars[index] == " " { index += 1 }
        guard index < scalars.count, scalars[index] == ":" else { return nil }
        let after = index + 1
        guard after == scalars.count || " \t".unicodeScalars.contains(scalars[after]) || isBreak(scalars[after]) else { return nil }
        return text
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
