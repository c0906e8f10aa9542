import Foundation
import SiteContent

/// One flip of the live pointer: who moved it, when, from which version to which.
public struct ReleaseRecord: Sendable, Equatable {
    public var at: Date
    public var from: String?
    public var to: String
    public var action: String
    public var by: String

    public init(at: Date = Date(), from: String?, to: String, action: String, by: String = ReleaseRecord.defaultActor()) {
        self.at = at
        self.from = from
        self.to = to
        self.action = action
        self.by = by
    }

    /// `20261126T220501.123Z-<version>.json`: sorts by time.
    public var fileName: String { "\(Self.compactTime(at))-\(to).json" }

    public var json: JSONValue {
        .object([("at", .string(Self.isoTime(at))), ("from", from.map(JSONValue.string) ?? .null), ("to", .string(to)),
                 ("action", .string(action)), ("by", .string(by))])
    }

    public static func parse(_ data: Data) -> ReleaseRecord? {
        guard let value = try? JSONValue.parse(data), let to = value["to"]?.stringValue,
              let atText = value["at"]?.stringValue, let at = parseISOTime(atText) else { return nil }
        return ReleaseRecord(at: at, from: value["from"]?.stringValue, to: to, action: value["action"]?.stringValue ?? "deploy",
                             by: value["by"]?.stringValue ?? "")
    }

    public static func defaultActor() -> String {
        let env = ProcessInfo.processInfo.environment
        let user = env["USER"] ?? env["LOGNAME"] ?? "unknown"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    static func compactTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return f.string(from: date)
    }

    public static func isoTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        return f.string(from: date)
    }

    public static func parseISOTime(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        return f.date(from: text)
    }
}
