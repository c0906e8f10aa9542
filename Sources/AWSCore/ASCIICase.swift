/// Case folding and checks for header names and values, which are ASCII: done on the bytes, with
/// no new string when nothing changes and no Unicode tables when something does. Anything else
/// takes the standard library's way, so each answer is the Unicode-aware one.
enum ASCIICase {
    /// `text.lowercased()`.
    static func lowercased(_ text: String) -> String {
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            var hasUpper = false
            for byte in bytes {
                if byte >= 0x80 { return nil }
                if byte &- 0x41 < 26 { hasUpper = true }
            }
            return hasUpper
        }
        switch plain {
        case .some(.some(false)): return text
        case .some(.some(true)):
            return String(unsafeUninitializedCapacity: text.utf8.count) { buffer in
                var count = 0
                for byte in text.utf8 {
                    buffer[count] = byte &- 0x41 < 26 ? byte | 0x20 : byte
                    count += 1
                }
                return count
            }
        default: return text.lowercased()
        }
    }

    /// Whether `a.lowercased() == b.lowercased()`, without building either when both are ASCII.
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        let answer = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool? in
                guard x.count == y.count else {
                    // Lower-casing can change the length of a string that is not ASCII.
                    return x.contains { $0 >= 0x80 } || y.contains { $0 >= 0x80 } ? nil : false
                }
                for i in 0..<x.count {
                    let p = x[i], q = y[i]
                    if p >= 0x80 || q >= 0x80 { return nil }
                    if p != q && (p &- 0x41 < 26 ? p | 0x20 : p) != (q &- 0x41 < 26 ? q | 0x20 : q) { return false }
                }
                return true
            }
        }
        if case .some(.some(.some(let equal))) = answer { return equal }
        return a.lowercased() == b.lowercased()
    }

    /// Whether `text` has a line break of any kind (`Character.isNewline`: LF, VT, FF, CR, NEL,
    /// U+2028, U+2029), checked on the bytes when it is printable ASCII and tabs.
    static func containsNewline(_ text: String) -> Bool {
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { ($0 >= 0x20 && $0 < 0x7f) || $0 == 0x09 }
        }
        if plain == true { return false }
        return text.contains(where: \.isNewline)
    }
}
