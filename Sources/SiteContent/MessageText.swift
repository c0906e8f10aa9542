/// Pieces of the messages and commands sitebuild writes for people to read and paste.

/// The first `limit` of `items` joined with commas, with `, …` when there are more: a sample
/// for a message that gives the count beside it.
public func listSample(_ items: [String], limit: Int = 5) -> String {
    items.prefix(limit).joined(separator: ", ") + (items.count > limit ? ", …" : "")
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
