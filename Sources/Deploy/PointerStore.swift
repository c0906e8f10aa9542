/// What a pointer store holds now, with the token a compare-and-swap must present
/// (an ETag, a DynamoDB condition value, or the value itself for a file).
public struct PointerState: Sendable, Equatable {
    public var version: String?
    public var token: String?

    public init(version: String?, token: String?) {
        self.version = version
        self.token = token
    }
}

/// Another deploy moved the pointer between our read and our write (exit code 4).
public struct PointerConflict: Error, Sendable, CustomStringConvertible {
    public var expected: String?
    public var found: String?
    public var wanted: String
    /// Why the flip was not made, when not because the pointer moved (a later upload is live).
    public var reason: String?
    /// `--target … --pointer …` for the rollback command the message suggests (a bare
    /// `sitebuild rollback` would act on the default local target).
    public var place = ""

    public init(expected: String?, found: String?, wanted: String, reason: String? = nil) {
        self.expected = expected
        self.found = found
        self.wanted = wanted
        self.reason = reason
    }

    public var description: String {
        if let reason { return reason }
        if found == nil, expected != nil {
            // Deleted under the deploy (a preview closed): a plain rollback refuses an empty
            // pointer of a target with releases, so the advice carries --force.
            return "the pointer was emptied while this deploy ran (expected \(expected!), found nothing): someone removed it, "
                + "such as a preview being closed, and this deploy did not put it back. \(wanted) is uploaded and complete but not "
                + "live; to make it live anyway: `sitebuild rollback \(wanted)\(place) --force`."
        }
        return "the live version moved while this deploy ran: expected \(expected ?? "none") but found \(found ?? "none"); "
            + "\(wanted) is uploaded and complete but not live. Run the command again to make it live (or `sitebuild rollback \(wanted)\(place)`)."
    }
}

/// The live-version pointer. Implementations: a local file, CloudFront KeyValueStore,
/// DynamoDB, an S3 object. The flip is the only mutation of what is live.
public protocol PointerStore: Sendable {
    var url: String { get }
    /// The region the URL leaves out and the pointer lives in (a DynamoDB table's), if any:
    /// release records keep it, so that the pointer is read there from another region.
    var region: String? { get }
    func read() async throws -> PointerState
    /// Sets the pointer to `version` only if it still holds what `expected` says;
    /// otherwise throws `PointerConflict`.
    func compareAndSwap(expected: PointerState, to version: String) async throws
}

extension PointerStore {
    public var region: String? { nil }
}
