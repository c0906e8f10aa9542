import Foundation

/// Reads `--env-file` files (CodeBuild local agent format: `NAME=value` lines, `#`
/// comments, no quote processing) and `--env NAME=VALUE` flags.
enum EnvironmentOptions {
    static func parseEnvFile(_ path: String) throws -> [(name: String, value: String)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("--env-file \(path): the file does not exist or cannot be read")
        }
        var result: [(String, String)] = []
        for (index, rawLine) in String(decoding: data, as: UTF8.self)
            .split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            // ("\r\n" is one Character in Swift: a split on "\n" alone never splits a CRLF file.)
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw UsageError("\(path):\(index + 1):1: expected NAME=value, found '\(trimmed)'")
            }
            var name = String(line[..<eq]).trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("export ") { name = String(name.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard isValidName(name) else {
                throw UsageError("\(path):\(index + 1):1: '\(name)' is not a valid variable name (letters, digits and _, not starting with a digit)")
            }
            result.append((name, unquoted(String(line[line.index(after: eq)...]))))
        }
        return result
    }

    /// A value written whole in double quotes (with \\ \" \n \$ \` escapes, as
    /// `--exported-variables-file` writes them) or single quotes (literal), as dotenv files
    /// have it; anything else as it is.
    static func unquoted(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") { return String(value.dropFirst().dropLast()) }
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var result = ""
        var escaping = false
        for c in value.dropFirst().dropLast() {
            if escaping {
                switch c {
                case "n": result.append("\n")
                case "r": result.append("\r")
                case "\\", "\"", "$", "`": result.append(c)
                default: result.append("\\"); result.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                result.append(c)
            }
        }
        if escaping { result.append("\\") }
        return result
    }

    static func parseEnvFlag(_ text: String, environment: [String: String]) throws -> (name: String, value: String) {
        if let eq = text.firstIndex(of: "=") {
            let name = String(text[..<eq])
            guard isValidName(name) else {
                throw UsageError("--env \(text): '\(name)' is not a valid variable name; write --env NAME=VALUE")
            }
            return (name, String(text[text.index(after: eq)...]))
        }
        guard isValidName(text) else { throw UsageError("--env \(text): write --env NAME=VALUE (or --env NAME to pass on this shell's value)") }
        guard let value = environment[text] else {
            throw UsageError("--env \(text): \(text) is not set in this shell; write --env \(text)=VALUE")
        }
        return (text, value)
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// `90s`, `15m`, `2h`, `1h30m`, or a bare number of minutes (CodeBuild's unit).
    static func parseTimeout(_ text: String) throws -> Duration {
        guard let seconds = parseDurationText(text, bareNumberUnit: 60), seconds > 0 else {
            throw UsageError("--timeout \(text): write a duration such as 90s, 15m, 2h or 1h30m (a bare number is minutes)")
        }
        return .seconds(seconds)
    }
}

/// Seconds in `text` written as numbers with units d, h, m, s (`1d12h`, `90s`); a bare
/// number counts in `bareNumberUnit` seconds when given. Nil when malformed.
func parseDurationText(_ text: String, bareNumberUnit: Double?) -> Double? {
    // Ten years: beyond any build or grace period, and far from Duration's limits.
    let longest = 10 * 365 * 86400.0
    if let unit = bareNumberUnit, !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
       let value = Double(text) {
        return value * unit <= longest ? value * unit : nil
    }
    var total = 0.0
    var number = ""
    for c in text {
        if c.isASCII && c.isNumber { number.append(c); continue }
        guard let value = Double(number) else { return nil }
        switch c {
        case "d": total += value * 86400
        case "h": total += value * 3600
        case "m": total += value * 60
        case "s": total += value
        default: return nil
        }
        number = ""
    }
    return number.isEmpty && !text.isEmpty && total <= longest ? total : nil
}
