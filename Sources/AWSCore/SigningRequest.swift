/// The parts of an HTTP request that SigV4 and SigV4A sign, as they will be sent.
///
/// Headers keep their order and may repeat; the signer joins repeated values with `,`.
/// `host` must be among them. Query items are held decoded and encoded at signing time.
public struct SigningRequest: Sendable, Equatable {
    /// One header line; names compare case-insensitively when signed.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One decoded query parameter; a `nil` value is a bare key such as `?delete`.
    public struct QueryItem: Sendable, Equatable {
        public var name: String
        public var value: String?

        public init(_ name: String, _ value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// What the canonical request says about the body.
    public enum Payload: Sendable, Equatable {
        /// The body itself; the signer hashes it.
        case bytes([UInt8])
        /// A value used verbatim as the hashed payload: a hex SHA-256 computed elsewhere
        /// (e.g. while streaming a file) or a marker such as
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
        case precomputed(String)
        /// `UNSIGNED-PAYLOAD`: S3 over TLS and presigned URLs.
        case unsigned

        /// The empty body.
        public static let empty = Payload.bytes([])

        /// The string that ends the canonical request and goes in `x-amz-content-sha256`.
        public var hashedValue: String {
            switch self {
            case .bytes(let body): return SHA256.hash(body).hexString
            case .precomputed(let value): return value
            case .unsigned: return "UNSIGNED-PAYLOAD"
            }
        }
    }

    /// The HTTP method, e.g. `PUT`.
    public var method: String
    /// The path exactly as it appears on the request line, without the query.
    public var path: String
    public var query: [QueryItem]
    public var headers: [Header]
    public var payload: Payload

    public init(method: String, path: String, query: [QueryItem] = [], headers: [Header],
                payload: Payload = .empty) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payload = payload
    }

    /// The query items of a wire query string (`a=1&b=%2F`), decoded, in order.
    public static func queryItems(fromEncoded query: String) -> [QueryItem] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return QueryItem(URIEncoding.decode(String(pair[..<equals])),
                                 URIEncoding.decode(String(pair[pair.index(after: equals)...])))
            }
            return QueryItem(URIEncoding.decode(String(pair)), nil)
        }
    }

    /// The query as it goes on the wire, in the items' order, encoded the way it was signed.
    public var encodedQuery: String {
        query.map { item in
            URIEncoding.encode(item.name) + (item.value.map { "=" + URIEncoding.encode($0) } ?? "")
        }.joined(separator: "&")
    }

    /// The request target for the request line: the path, then `?` and the query if any.
    public var target: String {
        query.isEmpty ? path : path + "?" + encodedQuery
    }

    /// The values of every header named `name` (any case), in order.
    public func headerValues(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }
}
