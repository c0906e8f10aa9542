import Foundation

/// Reads the error code out of an AWS error response: the `x-amzn-ErrorType` header, an XML
/// error document (`<Error><Code>` of S3 and the REST-XML services, `<ErrorResponse><Error><Code>`
/// of the query services), or a JSON one (`__type` or `code`). A pure function of the bytes,
/// so the retry classifier can be tested without a server.
public enum ServiceErrorCode {
    /// The error code of a response, or nil when it carries none. JSON types are shortened to
    /// the part after `#` and before `:` (`com.amazonaws.dynamodb.v20120810#ThrottlingException`
    /// is `ThrottlingException`).
    public static func parse(headers: HTTPResponseHeaders = HTTPResponseHeaders(), body: [UInt8]) -> String? {
        if let type = headers.first("x-amzn-errortype"), let code = shorten(type) {
            return code
        }
        switch firstSignificantByte(of: body) {
        case UInt8(ascii: "<"): return xmlCode(body, requireErrorRoot: false)
        case UInt8(ascii: "{"): return jsonCode(body)
        default: return nil
        }
    }

    /// The `<Code>` of a body whose root element is `<Error>`: the error document S3 sends with
    /// status 200 when CopyObject, UploadPartCopy or CompleteMultipartUpload fail after the
    /// response has started. Nil for any other body, including XML with another root.
    public static func errorDocumentCode(in body: [UInt8]) -> String? {
        guard firstSignificantByte(of: body) == UInt8(ascii: "<") else { return nil }
        return xmlCode(body, requireErrorRoot: true)
    }

    // MARK: - XML

    /// Finds the root element by skipping the XML declaration, processing instructions,
    /// comments and whitespace, then takes the text of the first `<Code>` element. Error
    /// documents are small and flat, so a scan is enough; no entity in a code needs decoding.
    private static func xmlCode(_ body: [UInt8], requireErrorRoot: Bool) -> String? {
        // Only the head matters; an error document is a few hundred bytes.
        let text = String(decoding: body.prefix(64 * 1024), as: UTF8.self)
        guard let root = rootElementName(text) else { return nil }
        if requireErrorRoot {
            guard root == "Error" else { return nil }
        } else {
            guard root == "Error" || root == "ErrorResponse" else { return nil }
        }
        guard let open = text.range(of: "<Code>"),
              let close = text.range(of: "</Code>", range: open.upperBound..<text.endIndex) else { return nil }
        let code = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return code.isEmpty ? nil : code
    }

    private static func rootElementName(_ text: String) -> String? {
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
            if rest.hasPrefix("<?") {
                guard let end = rest.range(of: "?>") else { return nil }
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("<!--") {
                guard let end = rest.range(of: "-->") else { return nil }
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("<!") {
                guard let end = rest.firstIndex(of: ">") else { return nil }
                rest = rest[rest.index(after: end)...]
            } else {
                break
            }
        }
        guard rest.hasPrefix("<") else { return nil }
        let name = rest.dropFirst().prefix { !$0.isWhitespace && $0 != ">" && $0 != "/" }
        return name.isEmpty ? nil : String(name)
    }

    // MARK: - JSON

    private static func jsonCode(_ body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        for key in ["__type", "code", "Code"] {
            if let value = object[key] as? String, let code = shorten(value) { return code }
        }
        return nil
    }

    /// `prefix#Name:suffix` → `Name`.
    private static func shorten(_ type: String) -> String? {
        var code = Substring(type)
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    private static func firstSignificantByte(of body: [UInt8]) -> UInt8? {
        var bytes = body[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        return bytes.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
    }
}
