/// The sections of an AWS shared credentials or config file: `[name]` headers, `key = value`
/// (or `key: value`) lines, `#` and `;` comment lines, and indented continuation lines
/// (sub-properties), which are appended to the previous value on a new line, as botocore does.
/// Keys are lowercased, as configparser (the aws CLI's reader) lowercases them:
/// `AWS_SECRET_ACCESS_KEY = …` is `aws_secret_access_key`, for every reader of the files.
/// Section names keep their case, as there.
public struct INIFile: Sendable, Equatable {
    /// Keys and values of each section; a repeated section merges into the first.
    public private(set) var sections: [String: [String: String]] = [:]
    /// Section names in the order they first appear.
    public private(set) var sectionNames: [String] = []

    public init() {}

    /// Parses `text`; `path` only names the file in errors.
    public init(parsing text: String, path: String) throws(INIParseError) {
        var current: String?
        var lastKey: String?
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }

            if line.first == " " || line.first == "\t" {
                guard let section = current, let key = lastKey else {
                    throw INIParseError(path: path, line: lineNumber,
                                        message: "an indented line continues no `key = value` line; remove the indentation (the line is not shown: it may hold a key)")
                }
                sections[section]![key]! += "\n" + trimmed
                continue
            }

            if trimmed.hasPrefix("[") {
                guard let close = trimmed.lastIndex(of: "]") else {
                    throw INIParseError(path: path, line: lineNumber, message: "a section header has no closing `]`")
                }
                let after = trimmed[trimmed.index(after: close)...].trimmingWhitespace()
                guard after.isEmpty || after.hasPrefix("#") || after.hasPrefix(";") else {
                    throw INIParseError(path: path, line: lineNumber, message: "unexpected text after the section header")
                }
                let name = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close].trimmingWhitespace())
                guard !name.isEmpty else {
                    throw INIParseError(path: path, line: lineNumber, message: "empty section name `[]`")
                }
                if sections[name] == nil {
                    sections[name] = [:]
                    sectionNames.append(name)
                }
                current = name
                lastKey = nil
                continue
            }

            // `=` or `:`, whichever comes first, as Python's configparser (the aws CLI's) reads it.
            guard let equals = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw INIParseError(path: path, line: lineNumber,
                                    message: "expected `key = value` or `[section]` (the line is not shown: it may hold a key)")
            }
            let key = String(trimmed[..<equals].trimmingWhitespace()).lowercased()
            let value = String(trimmed[trimmed.index(after: equals)...].trimmingWhitespace())
            guard !key.isEmpty else {
                throw INIParseError(path: path, line: lineNumber, message: "missing key before `=`")
            }
            guard let section = current else {
                throw INIParseError(path: path, line: lineNumber, message: "`\(key)` appears before any `[section]` header")
            }
            sections[section]![key] = value
            lastKey = key
        }
    }
}

/// A line of an INI file that could not be read, as `path:line: message`; the message never
/// quotes the line, which may hold a secret key.
public struct INIParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String

    public var description: String { "\(path):\(line): \(message)" }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }
}
