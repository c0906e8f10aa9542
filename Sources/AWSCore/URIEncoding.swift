/// RFC 3986 percent-encoding as SigV4 defines it: only `A–Z a–z 0–9 - _ . ~` stay as they
/// are, every other UTF-8 byte becomes `%XX` with upper-case hex, and a space is `%20`, never
/// `+`. Use it to build S3 object paths and query strings that sign the way they are sent.
public enum URIEncoding {
    /// `value` percent-encoded; with `keepingSlashes`, `/` stays as the path separator.
    public static func encode(_ value: String, keepingSlashes: Bool = false) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                appendEscape(byte, to: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` with each valid `%XX` turned back into its byte; `+` stays `+`, and a `%` not
    /// followed by two hex digits is kept literally. Bytes that are not UTF-8 become U+FFFD.
    public static func decode(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A wire path encoded once more, leaving existing `%XX` escapes as they are: for a
    /// well-formed path (S3's single encoding) this returns the path unchanged, and any raw
    /// byte that should have been escaped is escaped.
    static func encodeKeepingEscapes(_ path: String) -> String {
        let bytes = Array(path.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isUnreserved(byte) || byte == UInt8(ascii: "/") {
                out.append(byte)
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                      hexValue(bytes[index + 1]) != nil, hexValue(bytes[index + 2]) != nil {
                out.append(contentsOf: bytes[index...index + 2])
                index += 3
                continue
            } else {
                appendEscape(byte, to: &out)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `path` with `.` and `..` segments resolved and runs of `/` collapsed; a trailing `/`
    /// is kept, and the result always starts with `/`.
    static func normalizePath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/"), normalized != "/" { normalized += "/" }
        return normalized
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        let digits = Array("0123456789ABCDEF".utf8)
        out.append(UInt8(ascii: "%"))
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
