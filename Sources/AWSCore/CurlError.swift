import CCurl

/// A libcurl failure, with curl's own sentence for the code.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public var code: UInt32
    public var description: String

    public init(code: CURLcode, context: String) {
        self.code = code.rawValue
        self.description = "\(context): \(String(cString: curl_easy_strerror(code))) (curl error \(code.rawValue))"
    }
}
