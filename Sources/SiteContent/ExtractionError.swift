/// Why an archive was refused or could not be extracted. The description is one sentence
/// naming the archive, the entry (bytes that are not UTF-8 escaped as `\xNN`), what is
/// wrong and what to do; nothing of the archive is left on disk when this is thrown.
public struct ExtractionError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem, for callers that react differently (exit codes, hints).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// An entry name with a `..` component.
        public static let pathTraversal = Code("path-traversal")
        /// An entry name that starts with `/`.
        public static let absolutePath = Code("absolute-path")
        /// A symbolic link whose target is absolute or resolves outside the extraction root.
        public static let symlinkEscape = Code("symlink-escape")
        /// A hard link to something that is not a file extracted earlier inside the root.
        public static let hardLinkEscape = Code("hard-link-escape")
        /// A device, FIFO, socket or unknown entry type.
        public static let specialFile = Code("special-file")
        /// An entry name or link target that is not valid UTF-8.
        public static let nonUTF8Name = Code("non-utf8-name")
        /// One entry expands past the per-file limit.
        public static let fileTooLarge = Code("file-too-large")
        /// The archive expands past the total limit.
        public static let archiveTooLarge = Code("archive-too-large")
        /// The archive has more entries than the limit.
        public static let tooManyEntries = Code("too-many-entries")
        /// Two entries claim one path in incompatible ways (a link and a directory).
        public static let conflictingEntries = Code("conflicting-entries")
        /// An entry name that is empty, or only `.`, for something other than a directory.
        public static let invalidName = Code("invalid-name")
        /// Not a ZIP or tar archive (or compressed tar) at all.
        public static let notAnArchive = Code("not-an-archive")
        /// A damaged or truncated archive (bad CRC, short data, a broken header).
        public static let damaged = Code("damaged")
        /// The archive file is missing or unreadable.
        public static let unreadable = Code("unreadable")
        /// Writing below the extraction root failed (disk full, permissions).
        public static let writeFailed = Code("write-failed")
        /// The caller stopped the extraction (a signal).
        public static let interrupted = Code("interrupted")
    }

    public let code: Code
    /// The archive's path as given.
    public let archive: String
    /// The entry's name (escaped), when one entry is at fault.
    public let entry: String?
    public let description: String

    init(_ code: Code, archive: String, entry: String? = nil, _ message: String) {
        self.code = code
        self.archive = archive
        self.entry = entry
        if let entry {
            description = "\(archive): the entry '\(entry)' \(message)"
        } else {
            description = "\(archive): \(message)"
        }
    }

    /// `bytes` as text: UTF-8 where valid, other bytes and controls as `\xNN`, `\` as `\\`.
    public static func escaped(_ bytes: some Sequence<UInt8>) -> String {
        let array = Array(bytes)
        if let text = String(validating: array, as: UTF8.self),
           !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
            return text
        }
        var result = ""
        var index = 0
        while index < array.count {
            let byte = array[index]
            if byte >= 0x80, let (scalar, length) = decodeScalar(array, at: index) {
                result.unicodeScalars.append(scalar)
                index += length
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"): result += "\\\\"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(byte))
            default: result += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
            index += 1
        }
        return result
    }

    private static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard length > 0, index + length <= bytes.count,
              let text = String(validating: bytes[index..<index + length], as: UTF8.self),
              let scalar = text.unicodeScalars.first else { return nil }
        return (scalar, length)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
