import Foundation

/// A signing time in the two UTC forms SigV4 uses: `20150830T123600Z` for `X-Amz-Date` and
/// `20150830` for the credential scope. Built from a date the caller supplies, so signing
/// stays a pure function of its inputs.
public struct AMZDate: Sendable, Equatable {
    /// `YYYYMMDDTHHMMSSZ`, as sent in `X-Amz-Date`.
    public let timestamp: String
    /// `YYYYMMDD`, as used in the credential scope.
    public var dateStamp: String { String(timestamp.prefix(8)) }

    /// The UTC calendar form of `date`, truncated to whole seconds.
    public init(_ date: Date) {
        let (year, month, day, hour, minute, second) = AMZDate.calendar(ofSecond: Int64(date.timeIntervalSince1970.rounded(.down)))
        let pad = AMZDate.pad
        timestamp = pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(hour, 2) + pad(minute, 2) + pad(second, 2) + "Z"
    }

    /// UTC year, month, day, hour, minute and second of a second since 1970-01-01.
    static func calendar(ofSecond seconds: Int64) -> (Int64, Int64, Int64, Int64, Int64, Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
    }

    /// `value` in decimal, zero-padded to `width` digits.
    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Proleptic Gregorian year, month and day for a count of days since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// UTC timestamps as release records, manifests and S3 listings write them
/// (`2026-11-27T06:40:00.123Z`), formatted and parsed by arithmetic: no DateFormatter, whose
/// first use loads ICU's calendar and locale data (megabytes of a static binary paged in).
public enum UTCTime {
    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` (milliseconds truncated), or without `.SSS` when
    /// `milliseconds` is false.
    public static func iso(_ date: Date, milliseconds: Bool = true) -> String {
        let (year, month, day, hour, minute, second, millisecond) = fields(date)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":"
            + pad(second, 2) + (milliseconds ? "." + pad(millisecond, 3) : "") + "Z"
    }

    /// `yyyyMMddTHHmmss.SSSZ`: sorts as the time does, and is safe in a key or file name.
    public static func compact(_ date: Date) -> String {
        let (year, month, day, hour, minute, second, millisecond) = fields(date)
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(hour, 2) + pad(minute, 2) + pad(second, 2)
            + "." + pad(millisecond, 3) + "Z"
    }

    /// `yyyy-MM-ddTHH:mm:ss[.fraction]` then `Z` or an offset `±HH:MM` / `±HHMM` (any number
    /// of fraction digits; a lower-case `t`/`z` too); nil for anything else, such as an
    /// impossible date.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for index in start..<(start + count) {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == 0x2d, let month = number(5, 2), bytes[7] == 0x2d, let day = number(8, 2),
              bytes[10] == 0x54 || bytes[10] == 0x74, let hour = number(11, 2), bytes[13] == 0x3a, let minute = number(14, 2),
              bytes[16] == 0x3a, let second = number(17, 2) else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == 0x2e {
            index += 1
            var digits: Int64 = 0, scale: Int64 = 1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if scale < 1_000_000_000 {  // nanoseconds at most
                    digits = digits * 10 + Int64(bytes[index] - 0x30)
                    scale *= 10
                }
                index += 1
            }
            guard index > start else { return nil }
            fraction = Double(digits) / Double(scale)
        }
        var offset: Int64 = 0
        if index == bytes.count - 1, bytes[index] == 0x5a || bytes[index] == 0x7a {
            offset = 0
        } else if bytes[index] == 0x2b || bytes[index] == 0x2d {
            let sign: Int64 = bytes[index] == 0x2b ? 1 : -1
            let colon = bytes.count - index == 6
            guard colon || bytes.count - index == 5, let hours = number(index + 1, 2), !colon || bytes[index + 3] == 0x3a,
                  let minutes = number(index + (colon ? 4 : 3), 2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month, of: year), hour < 24, minute < 60, second < 61 else { return nil }
        let days = AMZDate.days(fromCivil: year, month, day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction)
    }

    /// `date` as an HTTP date (IMF-fixdate, `Fri, 27 Nov 2026 14:50:37 GMT`), for `Date` and
    /// `Last-Modified` headers; the fraction of a second is dropped.
    public static func httpDate(_ date: Date) -> String {
        let (year, month, day, hour, minute, second, _) = fields(date)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let days = AMZDate.days(fromCivil: year, month, day)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        return weekday + ", " + pad(day, 2) + " " + months[Int(month - 1)] + " " + pad(year, 4) + " " + pad(hour, 2) + ":"
            + pad(minute, 2) + ":" + pad(second, 2) + " GMT"
    }

    /// An HTTP `Date` header (RFC 7231's IMF-fixdate, `Fri, 27 Nov 2026 14:50:37 GMT`), as S3
    /// sends it: the server's clock, to measure the age of what it stores without trusting
    /// this machine's. Nil for anything else.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int64(parts[1]), parts[1].count == 2, let monthIndex = months.firstIndex(of: String(parts[2])),
              let year = Int64(parts[3]), parts[3].count == 4 else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }), let hour = Int64(clock[0]), let minute = Int64(clock[1]),
              let second = Int64(clock[2]) else { return nil }
        let month = Int64(monthIndex + 1)
        guard day >= 1, day <= daysIn(month, of: year), hour < 24, minute < 60, second < 61 else { return nil }
        let days = AMZDate.days(fromCivil: year, month, day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    private static func daysIn(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func fields(_ date: Date) -> (Int64, Int64, Int64, Int64, Int64, Int64, Int64) {
        // Truncated to the millisecond, but a value a rounding error below a whole millisecond
        // (x.706 stored as x.70599999…; a Date keeps seconds since 2001 in a Double, so one
        // made from seconds since 1970 is off by up to a microsecond) is that millisecond.
        let scaled = date.timeIntervalSince1970 * 1000
        let milliseconds = Int64(abs(scaled - scaled.rounded()) < 1e-2 ? scaled.rounded() : scaled.rounded(.down))
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let (year, month, day, hour, minute, second) = AMZDate.calendar(ofSecond: seconds)
        return (year, month, day, hour, minute, second, milliseconds - seconds * 1000)
    }

    private static let pad = AMZDate.pad
}
