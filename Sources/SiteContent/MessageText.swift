/// Pieces of the messages and commands sitebuild writes for people to read and paste.

/// The first `limit` of `items` joined with commas, with `, …` when there are more: a sample
/// for a message that gives the count beside it. Each is shown as ``terminalText(_:)`` shows
/// it (the items are names of files, mostly).
public func listSample(_ items: [String], limit: Int = 5) -> String {
    items.prefix(limit).map(terminalText).joined(separator: ", ") + (items.count > limit ? ", …" : "")
}

/// `text` as one shell word: as it is when it holds only characters a POSIX shell leaves
/// alone (ASCII letters and digits, `_ . / : @ % + = , -`), else single-quoted.
public func shellWord(_ text: String) -> String {
    let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "_./:@%+=,-".unicodeScalars.contains(scalar))
    }
    return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// `name` (a file's path, a key) for a terminal: each character that would drive it or hide
/// what the name is, written as `\u{9B}`: C0 controls, DEL, C1 controls (U+0080–U+009F: CSI
/// starts an escape sequence), U+FFFE and U+FFFF, and the invisible marks that reorder or
/// break the line (U+061C, U+200E, U+200F, U+2028, U+2029, U+202A–U+202E, U+2066–U+2069), which
/// make a name show as another. For messages and listings only, never for the name's value in
/// JSON or on a target.
public func terminalText(_ name: String) -> String {
    guard name.unicodeScalars.contains(where: hidesOnATerminal) else { return name }
    var shown = ""
    for scalar in name.unicodeScalars {
        if hidesOnATerminal(scalar) {
            shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            shown.unicodeScalars.append(scalar)
        }
    }
    return shown
}

/// Whether ``terminalText(_:)`` escapes `scalar`.
func hidesOnATerminal(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0..<0x20, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFFFE, 0xFFFF: true
    default: false
    }
}
