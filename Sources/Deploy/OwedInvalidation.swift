import AWSCore
import Foundation
import SiteContent

/// An invalidation a flip still owes its distribution: written under the target's
/// `_sitebuild/invalidations/` before the invalidation is sent, removed once CloudFront
/// accepted it. One that stays (the invalidation failed, or the run was interrupted) tells the
/// next deploy or rollback through the same pointer to the same distribution (a rerun of one
/// already live too) to invalidate what it owes as well as what its own flip changes.
public struct OwedInvalidation: Sendable, Equatable {
    /// The pointer the flip moved (``Deployer/pointerIdentity``).
    public var pointer: String
    /// The CloudFront distribution the invalidation was for.
    public var distribution: String
    /// The version the flip made live.
    public var live: String
    /// The versions whose files the distribution may still serve from its cache: the one live
    /// when an invalidation was last sent, and those made live since without one. Nil when
    /// not known (the flip had no version to compare with): every file may be stale.
    public var stale: [String]?
    public var at: Date
    /// Where the record is, when it could not be read (cut off, not sitebuild's): what it owed is
    /// unknown, so it stands for every file (``stale`` nil), and is removed once that is sent.
    public var damaged: String?

    /// The record at `location` that exists but cannot be read: owes everything.
    public static func damaged(pointer: String, distribution: String, location: String) -> OwedInvalidation {
        var owed = OwedInvalidation(pointer: pointer, distribution: distribution, live: "", stale: nil, at: Date(timeIntervalSince1970: 0))
        owed.damaged = location
        return owed
    }

    public init(pointer: String, distribution: String, live: String, stale: [String]?, at: Date = Date()) {
        self.pointer = pointer
        self.distribution = distribution
        self.live = live
        self.stale = stale
        self.at = at
    }

    /// The file name of the invalidation `pointer` owes `distribution`: the first 16 hex digits
    /// of the SHA-256 of both (an identity can hold any character).
    public static func fileName(pointer: String, distribution: String) -> String {
        String(SHA256.hash(Array((pointer + "\n" + distribution).utf8)).hexString.prefix(16)) + ".json"
    }

    /// The versions the distribution may serve stale files of once `version` is live: ``stale``
    /// and ``live``, without `version`; nil when every file may be stale.
    public func staleVersions(once version: String) -> [String]? {
        guard let stale else { return nil }
        var seen: Set<String> = [version]
        return (stale + [live]).filter { seen.insert($0).inserted }
    }

    public var json: JSONValue {
        .object([("pointer", .string(pointer)), ("distribution", .string(distribution)), ("live", .string(live)),
                 ("stale", stale.map { .array($0.map(JSONValue.string)) } ?? .null), ("at", .string(ReleaseRecord.isoTime(at)))])
    }

    /// The marker in `data`; nil when it is not one (the targets then return ``damaged(pointer:distribution:location:)``).
    public static func parse(_ data: Data) -> OwedInvalidation? {
        guard let value = try? JSONValue.parse(data), let pointer = value["pointer"]?.stringValue,
              let distribution = value["distribution"]?.stringValue, let live = value["live"]?.stringValue else { return nil }
        let stale: [String]? = value["stale"]?.arrayValue.map { $0.compactMap(\.stringValue) }
        let at = value["at"]?.stringValue.flatMap(ReleaseRecord.parseISOTime) ?? Date(timeIntervalSince1970: 0)
        return OwedInvalidation(pointer: pointer, distribution: distribution, live: live, stale: stale, at: at)
    }
}
