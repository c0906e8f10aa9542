import COpenSSL

/// A libcrypto call that failed, with OpenSSL's own reasons drained from its error queue.
public struct OpenSSLError: Error, Sendable, CustomStringConvertible {
    /// What sitebuild was doing, e.g. "ECDSA P-256 signing".
    public var operation: String
    /// OpenSSL's messages, oldest first; empty when it queued none.
    public var reasons: [String]

    /// Captures and clears the calling thread's OpenSSL error queue.
    init(operation: String) {
        self.operation = operation
        var reasons: [String] = []
        while true {
            let code = sb_err_get()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            sb_err_string(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.reasons = reasons
    }

    public var description: String {
        let detail = reasons.isEmpty ? "OpenSSL queued no reason" : reasons.joined(separator: "; ")
        return "\(operation) failed in OpenSSL (\(detail)); check that libcrypto 3 is installed and the key material is valid"
    }
}
