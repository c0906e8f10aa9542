/// The canonical request of SigV4 and SigV4A: method, canonical URI, canonical query,
/// canonical headers, signed headers and hashed payload, one per line.
struct CanonicalRequest: Equatable {
    /// Headers never signed: set or rewritten by the transport or added after signing.
    static let unsignedHeaderNames: Set<String> = [
        "authorization", "user-agent", "x-amzn-trace-id", "expect", "connection", "transfer-encoding",
    ]

    let text: String
    let signedHeaders: [String]

    var signedHeaderList: String { signedHeaders.joined(separator: ";") }

    init(method: String, path: String, query: [SigningRequest.QueryItem], headers: [SigningRequest.Header],
         hashedPayload: String, options: SigningOptions) {
        let canonicalHeaders = CanonicalRequest.canonicalHeaders(headers)
        signedHeaders = canonicalHeaders.map(\.name)
        var text = ""
        text.reserveCapacity(256 + path.utf8.count + canonicalHeaders.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 })
        text += method
        text += "\n"
        text += CanonicalRequest.canonicalURI(path, options: options)
        text += "\n"
        text += CanonicalRequest.canonicalQuery(query)
        text += "\n"
        for header in canonicalHeaders {
            text += header.name
            text += ":"
            text += header.value
            text += "\n"
        }
        text += "\n"
        for (i, name) in signedHeaders.enumerated() {
            if i > 0 { text += ";" }
            text += name
        }
        text += "\n"
        text += hashedPayload
        self.text = text
    }

    /// The wire path as the signature sees it.
    static func canonicalURI(_ path: String, options: SigningOptions) -> String {
        let path = path.isEmpty ? "/" : path
        switch options.uriEncoding {
        case .single:
            return URIEncoding.encodeKeepingEscapes(options.normalizePath ? URIEncoding.normalizePath(path) : path)
        case .double:
            return URIEncoding.encode(options.normalizePath ? URIEncoding.normalizePath(path) : path,
                                      keepingSlashes: true)
        }
    }

    /// Items encoded, sorted by encoded name then encoded value, joined as `k=v` with `&`.
    static func canonicalQuery(_ items: [SigningRequest.QueryItem]) -> String {
        items
            .map { (name: URIEncoding.encode($0.name), value: URIEncoding.encode($0.value ?? "")) }
            .sorted { lhs, rhs in
                if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
                return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
            }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    /// Lower-case names with trimmed, space-collapsed values; repeated names joined with `,`
    /// in the order sent; sorted by name. Headers in `unsignedHeaderNames` are left out.
    static func canonicalHeaders(_ headers: [SigningRequest.Header]) -> [(name: String, value: String)] {
        // A stable sort by lower-cased name, then equal names merged in the order sent: no
        // dictionary, and no string work for the usual ASCII name and already-clean value.
        var lowered: [(name: String, value: String)] = []
        lowered.reserveCapacity(headers.count)
        for header in headers {
            let name = lowercasedTrimmedName(header.name)
            if unsignedHeaderNames.contains(name) { continue }
            lowered.append((name, isCollapsed(header.value) ? header.value : collapsingWhitespace(header.value)))
        }
        let order = lowered.indices.sorted { a, b in
            lowered[a].name == lowered[b].name ? a < b : lowered[a].name.utf8.lexicographicallyPrecedes(lowered[b].name.utf8)
        }
        var result: [(name: String, value: String)] = []
        result.reserveCapacity(order.count)
        for index in order {
            let header = lowered[index]
            if let last = result.last, last.name == header.name {
                result[result.count - 1].value += "," + header.value
            } else {
                result.append(header)
            }
        }
        return result
    }

    /// `name` lower-cased and trimmed, without building new strings when it already is.
    static func lowercasedTrimmedName(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) { return ASCIICase.lowercased(name) }
        return String(trimmingWhitespace(Substring(name))).lowercased()
    }

    /// Whether `value` has no leading or trailing white space and no run to collapse.
    static func isCollapsed(_ value: String) -> Bool {
        var previousSpace = true  // a leading space is not collapsed
        for byte in value.utf8 {
            switch byte {
            case 0x09, 0x0a, 0x0d: return false
            case 0x20:
                if previousSpace { return false }
                previousSpace = true
            default: previousSpace = false
            }
        }
        return !previousSpace || value.isEmpty
    }

    /// `value` trimmed, with each inner run of spaces, tabs or (folded) line breaks made one space.
    static func collapsingWhitespace(_ value: String) -> String {
        value.split(whereSeparator: isWhitespace).joined(separator: " ")
    }

    private static func trimmingWhitespace(_ value: Substring) -> Substring {
        guard let first = value.firstIndex(where: { !isWhitespace($0) }),
              let last = value.lastIndex(where: { !isWhitespace($0) }) else { return "" }
        return value[first...last]
    }

    private static func isWhitespace(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\n" || character == "\r" || character == "\r\n"
    }
}
