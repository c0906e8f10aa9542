/// Replaces every occurrence of a secret in a byte stream with `***`, even when a secret
/// is split across chunks or spans lines. Holds back only the tail that could still be
/// the start of a secret, so output stays live.
public struct SecretMasker: Sendable {
    public static let replacement: [UInt8] = Array("***".utf8)

    private var secrets: [[UInt8]] = []
    private var firstBytes = Set<UInt8>()
    private var pending: [UInt8] = []

    /// - Parameter secrets: values to hide. A multi-line value is also hidden line by line
    ///   (lines of 4 or more characters), so a command that prints one line of a key
    ///   does not leak it.
    public init(secrets: [String] = []) {
        for secret in secrets { add(secret) }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// Whether showing `text` as it is would uncover a secret, so it must not be kept readable
    /// beside masked values: it is part of a secret (the rest of that secret would show around
    /// it), or it holds a whole secret of ``wholeSecretMinimum`` bytes or more (a version id
    /// made from a token). A shorter secret inside a name (a user name `deploy`, a digit) leaves
    /// the name readable.
    public func wouldReveal(_ text: String) -> Bool {
        let name = Array(text.utf8)
        guard !name.isEmpty else { return false }
        return secrets.contains { secret in
            Self.contains(secret, name) || (secret.count >= Self.wholeSecretMinimum && Self.contains(name, secret))
        }
    }

    /// Below this length a secret inside a reported name is taken for a coincidence.
    public static let wholeSecretMinimum = 8

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.count >= needle.count && (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Takes what is held back (it could be the start of a secret), unmasked: for a stream
    /// that goes on elsewhere (``BuildLog/continueInBackground(_:)``).
    public mutating func takePending() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// The same secrets, nothing held back: a masker for another stream.
    public var fresh: SecretMasker {
        var copy = self
        copy.pending = []
        return copy
    }

    public mutating func add(_ secret: String) {
        var candidates = [secret]
        if secret.contains(where: \.isNewline) {
            candidates += secret.split(whereSeparator: \.isNewline).map(String.init).filter { $0.count >= 4 }
            candidates.append(secret.replacingOccurrences(of: "\n", with: "\r\n"))
        }
        for candidate in candidates {
            let bytes = Array(candidate.utf8)
            guard !bytes.isEmpty, !secrets.contains(bytes) else { continue }
            secrets.append(bytes)
            firstBytes.insert(bytes[0])
        }
        // Longest first, so a secret that contains another is hidden whole.
        secrets.sort { $0.count > $1.count }
    }

    /// Masks a whole string at once (log lines, JSON values, error messages).
    public func mask(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var copy = self
        copy.pending = []
        var out = copy.feed(Array(text.utf8))
        out += copy.flush()
        return String(decoding: out, as: UTF8.self)
    }

    /// Takes the next chunk of a stream and returns what can be shown now.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [UInt8] {
        guard !secrets.isEmpty else { return Array(chunk) }
        pending.append(contentsOf: chunk)
        return process(final: false)
    }

    /// Returns what is held back, masked: the end of the stream.
    public mutating func flush() -> [UInt8] {
        guard !secrets.isEmpty else { return [] }
        return process(final: true)
    }

    private mutating func process(final: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(pending.count)
        var i = 0
        let n = pending.count
        scan: while i < n {
            let byte = pending[i]
            if firstBytes.contains(byte) {
                for secret in secrets where secret[0] == byte {
                    let available = n - i
                    if available >= secret.count {
                        if pending[i..<(i + secret.count)].elementsEqual(secret) {
                            out += Self.replacement
                            i += secret.count
                            continue scan
                        }
                    } else if !final && pending[i..<n].elementsEqual(secret[0..<available]) {
                        // A longer secret may be starting here: wait for more bytes.
                        pending.removeFirst(i)
                        return out
                    }
                }
            }
            out.append(byte)
            i += 1
        }
        pending.removeAll(keepingCapacity: true)
        return out
    }
}
