import Deploy
import SiteContent

extension CloudFrontFunctionCode {
    /// The viewer-request router with its placeholders filled in, ready to publish: the
    /// KeyValueStore's id (the last part of its ARN), the routing mode, the trailing-slash rule
    /// and the pointer key. Throws on an id or a key the function could not hold in a
    /// JavaScript string.
    public static func viewerRequest(keyValueStoreId id: String, pointerKey: String, mode: RoutingMode,
                                     trailingSlash: TrailingSlash) throws -> String {
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw DeployError("the KeyValueStore id '\(id)' is not letters, digits and dashes", invalidInput: true)
        }
        if let problem = pointerKeyProblem(pointerKey) { throw DeployError("pointer key '\(pointerKey)': \(problem)", invalidInput: true) }
        var code = viewerRequest
        for (placeholder, value) in [("__KVS_ID__", id), ("__MODE__", mode.rawValue), ("__TRAILING_SLASH__", trailingSlash.rawValue),
                                     ("__POINTER_KEY__", pointerKey)] {
            let quoted = "'\(placeholder)'"
            guard code.contains(quoted) else { throw DeployError("the built-in function has no \(quoted) placeholder") }
            code = code.replacingOccurrences(of: quoted, with: "'\(value)'")
        }
        return code
    }

    /// Why the function could not read `key` from the KeyValueStore, or nil: it takes a value
    /// starting with two underscores for a placeholder left unset, and holds the key in a
    /// single-quoted JavaScript string. `deploy` refuses such a key too, before any flip.
    public static func pointerKeyProblem(_ key: String) -> String? {
        if key.hasPrefix("__") { return "the function reads a key starting with '__' as unset (and would read 'path'); use another key" }
        guard !key.isEmpty, key.utf8.count <= 512,
              key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "'" && $0 != "\\" && $0.value != 0x2028 && $0.value != 0x2029 })
        else { return "use 1 to 512 bytes without single quotes ('), backslashes or control characters" }
        return nil
    }
}
