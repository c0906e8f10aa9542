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
        text = [
            method,
            CanonicalRequest.canonicalURI(path, options: options),
            CanonicalRequest.canonicalQuery(query),
            canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders.joined(separator: ";"),
            hashedPayload,
        ].joined(separator: "\n")
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
        var valuesByName: [String: [String]] = [:]
        for header in headers {
            let name = String(trimmingWhitespace(Substring(header.name))).lowercased()
            if unsignedHeaderNames.contains(name) { continue }
            valuesByName[name, default: []].append(collapsingWhitespace(header.value))
        }
        return valuesByName
            .map { (name: $0.key, value: $0.value.joined(separator: ",")) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
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
