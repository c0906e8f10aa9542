/// Where the bytes of a request body come from.
public enum HTTPRequestBody: Sendable, Equatable {
    /// No body. PUT and POST still send `Content-Length: 0`.
    case none
    /// A body held in memory: small documents (XML, JSON).
    case bytes([UInt8])
    /// `length` bytes of the file at `path` starting at `offset`, read while sending, so a
    /// multi-gigabyte multipart part never sits in memory.
    case file(path: String, offset: Int64, length: Int64)

    /// The number of bytes sent, which becomes the `Content-Length`.
    public var length: Int64 {
        switch self {
        case .none: return 0
        case .bytes(let bytes): return Int64(bytes.count)
        case .file(_, _, let length): return length
        }
    }
}
