import AWSCore

/// An HTTP/1.1 request as the signing suites write it in `request.txt` and
/// `*-signed-request.txt`: a request line, header lines (names may repeat, and a line
/// starting with a space or tab continues the previous value), a blank line, then the body.
struct RawHTTPRequest: Equatable {
    var method: String
    /// The request target exactly as written: path, then `?` and the raw query if any.
    var target: String
    var headers: [SigningRequest.Header]
    var body: [UInt8]

    /// The path part of the target, as on the wire.
    var path: String { String(target.prefix { $0 != "?" }) }

    /// The raw query after `?`, or `nil`.
    var rawQuery: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...])
    }

    init(parsing bytes: [UInt8]) throws {
        let (head, body) = RawHTTPRequest.splitHead(bytes)
        self.body = body
        // Split on the bytes: in a Swift String "\r\n" is one Character, not "\r" then "\n".
        var lines = head
            .split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { Substring(String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)) }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { throw VectorError("empty request") }
        // The target may contain spaces (`GET /example space/ HTTP/1.1`): the method ends at the
        // first space and the version starts after the last.
        guard let firstSpace = requestLine.firstIndex(of: " "),
              let lastSpace = requestLine.lastIndex(of: " "), firstSpace < lastSpace,
              requestLine[requestLine.index(after: lastSpace)...].hasPrefix("HTTP/") else {
            throw VectorError("malformed request line '\(requestLine)'")
        }
        method = String(requestLine[..<firstSpace])
        target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])

        var headers: [SigningRequest.Header] = []
        for line in lines.dropFirst() {
            if let first = line.first, first == " " || first == "\t" {
                guard !headers.isEmpty else { throw VectorError("continuation line before any header: '\(line)'") }
                // Obsolete line folding: the line break and indentation become one space.
                headers[headers.count - 1].value += " " + line.drop { $0 == " " || $0 == "\t" }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw VectorError("header line without ':': '\(line)'") }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append(.init(String(line[..<colon]), String(value)))
        }
        self.headers = headers
    }

    /// The bytes before the first empty line, and the bytes after it.
    private static func splitHead(_ bytes: [UInt8]) -> (head: ArraySlice<UInt8>, body: [UInt8]) {
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var index = 0
        while index < bytes.count {
            if bytes[index] == newline {
                var next = index + 1
                if next < bytes.count, bytes[next] == carriageReturn { next += 1 }
                if next < bytes.count, bytes[next] == newline {
                    return (bytes[..<index], Array(bytes[(next + 1)...]))
                }
            }
            index += 1
        }
        return (bytes[...], [])
    }

    /// The request for a signer: headers as given, query decoded.
    func signingRequest(payload: SigningRequest.Payload) -> SigningRequest {
        SigningRequest(method: method, path: path,
                       query: rawQuery.map(SigningRequest.queryItems(fromEncoded:)) ?? [],
                       headers: headers, payload: payload)
    }
}

/// A malformed vector file, with what was wrong.
struct VectorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
