import Foundation

/// A phase's `on-failure` setting.
public enum OnFailure: Sendable, Equatable {
    /// No `on-failure`: CodeBuild's default transitions (install/pre_build failures end the
    /// build; a build failure still runs post_build).
    case `default`
    /// Stop the build at once: no later phase, no artifact upload.
    case abort
    /// Go on to the next phase; the build ends FAILED.
    case `continue`
    /// Re-run the whole phase up to `count` more times, only when `pattern` (if any)
    /// matches the phase's error message or the failed command's output. After the last attempt the default applies.
    case retry(count: Int, pattern: String?)

    /// Parses `ABORT`, `CONTINUE`, `RETRY`, `RETRY-<count>`, `RETRY-<regex>`,
    /// `RETRY-<count>-<regex>`; returns a sentence on failure.
    public static func parse(_ text: String) -> Result<OnFailure, OnFailureParseError> {
        switch text {
        case "ABORT": return .success(.abort)
        case "CONTINUE": return .success(.continue)
        case "RETRY": return .success(.retry(count: 3, pattern: nil))
        default: break
        }
        guard text.hasPrefix("RETRY-") else {
            return .failure(OnFailureParseError(
                "'\(text)' is not a valid on-failure value; use ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex>"))
        }
        let rest = String(text.dropFirst("RETRY-".count))
        var count = 3
        var pattern: String? = rest
        let digits = rest.prefix(while: \.isASCIIDigitCharacter)
        if !digits.isEmpty {
            if digits.count == rest.count {
                pattern = nil
            } else if rest.dropFirst(digits.count).first == "-" {
                pattern = String(rest.dropFirst(digits.count + 1))
            }
            if pattern != rest {
                guard let n = Int(digits), (0...100).contains(n) else {
                    return .failure(OnFailureParseError("the retry count in '\(text)' must be from 0 to 100"))
                }
                count = n
            }
        }
        if let pattern {
            if pattern.isEmpty {
                return .failure(OnFailureParseError("'\(text)' has an empty retry pattern"))
            }
            do {
                _ = try NSRegularExpression(pattern: pattern)
            } catch {
                return .failure(OnFailureParseError("the retry pattern '\(pattern)' in '\(text)' is not a valid regular expression"))
            }
        }
        return .success(.retry(count: count, pattern: pattern))
    }
}

public struct OnFailureParseError: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
