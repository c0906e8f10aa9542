import AWSCore
import Foundation
import Testing

/// `UTCTime` formats and parses by arithmetic; Foundation's formatters are the reference.
@Suite("UTCTime: ISO 8601 UTC timestamps without DateFormatter")
struct UTCTimeTests {
    static func reference(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    @Test func formatsAsDateFormatterDoes() {
        let iso = Self.reference("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
        let compact = Self.reference("yyyyMMdd'T'HHmmss.SSS'Z'")
        var generator = SystemRandomNumberGenerator()
        // Whole milliseconds (the fraction DateFormatter rounds is not in question here),
        // across leap years and century boundaries.
        var dates = [0, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 1_795_759_721_895].map { Date(timeIntervalSince1970: Double($0) / 1000) }
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: 0..<8_000_000_000_000, using: &generator)) / 1000)) }
        for date in dates {
            #expect(UTCTime.iso(date) == iso.string(from: date))
            #expect(UTCTime.compact(date) == compact.string(from: date))
        }
        #expect(UTCTime.iso(Date(timeIntervalSince1970: 1_795_759_721.895), milliseconds: false) == "2026-11-27T06:08:41Z")
    }

    @Test func parsesWhatItWritesAndS3Listings() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0..<8_000_000_000_000, using: &generator)) / 1000)
            let parsed = try #require(UTCTime.parse(UTCTime.iso(date)))
            #expect(abs(parsed.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.0005)
            #expect(UTCTime.iso(parsed) == UTCTime.iso(date))
        }
        #expect(UTCTime.parse("2026-11-27T06:08:41Z")?.timeIntervalSince1970 == 1_795_759_721)
        #expect(UTCTime.parse("2026-11-27T06:08:41.5Z")?.timeIntervalSince1970 == 1_795_759_721.5)
        #expect(UTCTime.parse("2024-02-29T00:00:00.000Z") != nil)
        // Offsets, as credential_process output may carry them.
        #expect(UTCTime.parse("2026-11-27T07:08:41+01:00")?.timeIntervalSince1970 == 1_795_759_721)
        #expect(UTCTime.parse("2026-11-27T01:38:41.5-0430")?.timeIntervalSince1970 == 1_795_759_721.5)
        #expect(UTCTime.parse("2026-11-27T06:08:41+00:00") == UTCTime.parse("2026-11-27T06:08:41Z"))
        // What ISO8601DateFormatter reads, this reads the same.
        let reference = ISO8601DateFormatter()
        for text in ["2016-02-25T06:03:31Z", "2026-11-27T07:08:41+01:00", "1999-12-31T23:59:59-08:00"] {
            #expect(UTCTime.parse(text) == reference.date(from: text), "\(text)")
        }
        for bad in ["", "2026-11-27", "2026-11-27T06:08:41", "2026-11-27T06:08:41+1", "2026-11-27T06:08:41+01:0", "2026-11-27T06:08:41+25:00",
                    "2026-13-01T00:00:00Z",
                    "2023-02-29T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T06:08:41.Z", "2026-11-27 06:08:41Z",
                    "2026-11-27T06:08:41.000Zjunk", "２026-11-27T06:08:41Z"] {
            #expect(UTCTime.parse(bad) == nil, "\(bad)")
        }
    }

    /// HTTP `Date` headers (IMF-fixdate), as S3 sends them: DateFormatter is the reference.
    @Test func parsesHTTPDates() {
        let http = Self.reference("EEE, dd MMM yyyy HH:mm:ss 'GMT'")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0..<8_000_000_000, using: &generator)))
            #expect(UTCTime.parseHTTPDate(http.string(from: date)) == date, "\(http.string(from: date))")
        }
        #expect(UTCTime.parseHTTPDate("Fri, 27 Nov 2026 14:50:37 GMT")?.timeIntervalSince1970 == 1_795_791_037)
        // And writes them as DateFormatter does, the day of the week too (before 1970 as well).
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000..<8_000_000_000, using: &generator)) + 0.75)
            #expect(UTCTime.httpDate(date) == http.string(from: date), "\(date)")
        }
        #expect(UTCTime.httpDate(Date(timeIntervalSince1970: 1_795_791_037.9)) == "Fri, 27 Nov 2026 14:50:37 GMT")
        for bad in ["", "Fri, 27 Nov 2026 14:50:37", "Fri, 27 Nov 2026 14:50:37 UTC", "Friday, 27-Nov-26 14:50:37 GMT",
                    "Fri, 31 Nov 2026 14:50:37 GMT", "Fri, 27 Foo 2026 14:50:37 GMT", "Fri, 27 Nov 2026 24:00:00 GMT", "Fri, 7 Nov 2026 14:50:37 GMT"] {
            #expect(UTCTime.parseHTTPDate(bad) == nil, "\(bad)")
        }
    }
}
