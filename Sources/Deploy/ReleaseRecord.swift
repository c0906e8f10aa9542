import AWSCore
import Foundation
import SiteContent

/// One flip of the live pointer: who moved it, when, from which version to which.
public struct ReleaseRecord: Sendable, Equatable {
    public var at: Date
    public var from: String?
    public var to: String
    public var action: String
    public var by: String
    /// The pointer the flip moved (``Deployer/pointerIdentity``); nil in records written before
    /// records named it, which count as any pointer's.
    public var pointer: String?
    /// The region of the pointer when its URL leaves it out (``PointerStore/region``).
    public var pointerRegion: String?
    /// The routing a deploy made the version live with (`static`, `spa`); nil for a rollback or
    /// an older record. What the CDN cached of the version is shaped by it.
    public var routing: String?
    /// The trailing-slash setting of that deploy (`none`, `always`, `never`); nil as `routing`,
    /// and in records written before sitebuild kept it.
    public var trailingSlash: String?

    public init(at: Date = Date(), from: String?, to: String, action: String, by: String = ReleaseRecord.defaultActor(),
                pointer: String? = nil, pointerRegion: String? = nil, routing: String? = nil, trailingSlash: String? = nil) {
        self.at = at
        self.from = from
        self.to = to
        self.action = action
        self.by = by
        self.pointer = pointer
        self.pointerRegion = pointerRegion
        self.routing = routing
        self.trailingSlash = trailingSlash
    }

    /// The file name of `pointer`'s head (its last flip) under `_sitebuild/pointers/`: the
    /// first 16 hex digits of the SHA-256 of its identity (an identity can hold any character).
    public static func pointerHeadName(_ pointer: String) -> String {
        String(SHA256.hash(Array(pointer.utf8)).hexString.prefix(16)) + ".json"
    }

    /// " through <pointer>" when the record names its pointer, for messages.
    public var through: String { pointer.map { " through \($0)" } ?? "" }

    /// Whether this flip moved the pointer known by `names` (``Deployer/pointerNames``): a
    /// record that names no pointer may have been any pointer's.
    public func moved(_ names: Set<String>) -> Bool { pointer.map(names.contains) ?? true }

    /// The `by` of a pointer head put back for a flip that won over `loser`'s (whose own details
    /// are not known: the winner writes its own record).
    static func unknownActor(over loser: String) -> String { "unknown (the flip that won over \(loser)'s)" }

    /// Whether this is a head put back for another runner's flip (``unknownActor(over:)``), not
    /// the record of a flip of its own.
    var standsInForAnotherFlip: Bool { by.hasPrefix("unknown (the flip that won over ") }

    /// `20261126T220501.123Z-<version>.json`: sorts by time.
    public var fileName: String { "\(Self.compactTime(at))-\(to).json" }

    public var json: JSONValue {
        .object([("at", .string(Self.isoTime(at))), ("from", from.map(JSONValue.string) ?? .null), ("to", .string(to)),
                 ("action", .string(action)), ("by", .string(by))] + (pointer.map { [("pointer", JSONValue.string($0))] } ?? [])
                 + (pointerRegion.map { [("pointerRegion", JSONValue.string($0))] } ?? [])
                 + (routing.map { [("routing", JSONValue.string($0))] } ?? [])
                 + (trailingSlash.map { [("trailingSlash", JSONValue.string($0))] } ?? []))
    }

    public static func parse(_ data: Data) -> ReleaseRecord? {
        guard let value = try? JSONValue.parse(data), let to = value["to"]?.stringValue,
              let atText = value["at"]?.stringValue, let at = parseISOTime(atText) else { return nil }
        return ReleaseRecord(at: at, from: value["from"]?.stringValue, to: to, action: value["action"]?.stringValue ?? "deploy",
                             by: value["by"]?.stringValue ?? "", pointer: value["pointer"]?.stringValue,
                             pointerRegion: value["pointerRegion"]?.stringValue, routing: value["routing"]?.stringValue,
                             trailingSlash: value["trailingSlash"]?.stringValue)
    }

    /// Who a release record (and a manifest's `createdBy`) says deployed: in a CI job, the
    /// job's (``ciActor(_:)``), as its container's `root@<hostname>` names nothing anyone can
    /// look up; else `<user>@<host>`.
    public static func defaultActor() -> String {
        let env = ProcessInfo.processInfo.environment
        if let actor = ciActor(env) { return actor }
        // CI containers often set no USER: the account the process runs as then.
        var user = ["USER", "LOGNAME"].compactMap { env[$0] }.first { !$0.isEmpty }
        if user == nil, let entry = getpwuid(getuid()) { user = String(cString: entry.pointee.pw_name) }
        let name: String = user ?? "uid \(getuid())"
        return "\(name)@\(hostName())"
    }

    /// The CI job `environment` is one of, as a release record names it: who started it and
    /// where to find it, nil outside CI. Each part is left out when its variable is unset or empty.
    /// - GitHub Actions (GITHUB_ACTIONS=true): `github:<GITHUB_TRIGGERING_ACTOR> (<GITHUB_SERVER_URL>/<GITHUB_REPOSITORY>/actions/runs/<GITHUB_RUN_ID>)`,
    ///   or `(run <GITHUB_RUN_ID>)` without the repository; GITHUB_TRIGGERING_ACTOR names who
    ///   started this run or re-run (GITHUB_ACTOR, the fallback, names the first run's starter);
    /// - GitLab CI (GITLAB_CI=true): `gitlab:<GITLAB_USER_LOGIN> (<CI_JOB_URL>)`, or `(job <CI_JOB_ID>)`;
    /// - CodeBuild (``CodeBuildEnvironment/build(_:)``: CODEBUILD_BUILD_ID set and not empty):
    ///   `codebuild:<CODEBUILD_INITIATOR> (<CODEBUILD_BUILD_ID>)`.
    /// A runner CodeBuild hosts for GitHub Actions or GitLab sets both: the workflow's job is
    /// named (its actor is a person; CodeBuild's initiator is then the webhook).
    public static func ciActor(_ environment: [String: String]) -> String? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func actor(_ system: String, _ who: String?, _ job: String?) -> String {
            system + (who.map { ":" + $0 } ?? "") + (job.map { " (\($0))" } ?? "")
        }
        if value("GITHUB_ACTIONS") == "true" {
            let run = value("GITHUB_RUN_ID")
            let url = run.flatMap { run in
                value("GITHUB_REPOSITORY").map { (value("GITHUB_SERVER_URL") ?? "https://github.com") + "/\($0)/actions/runs/\(run)" }
            }
            return actor("github", value("GITHUB_TRIGGERING_ACTOR") ?? value("GITHUB_ACTOR"), url ?? run.map { "run \($0)" })
        }
        if value("GITLAB_CI") == "true" {
            return actor("gitlab", value("GITLAB_USER_LOGIN"), value("CI_JOB_URL") ?? value("CI_JOB_ID").map { "job \($0)" })
        }
        if let build = CodeBuildEnvironment.build(environment) {
            return actor("codebuild", build.initiator, build.id)
        }
        return nil
    }

    /// The record with the latest time: the last flip (nil without records).
    public static func latest(in records: [ReleaseRecord]) -> ReleaseRecord? {
        records.max { $0.at < $1.at }
    }

    /// The body of a version's pending marker (`_sitebuild/pending/<version>.json`, written by
    /// a target before the version's first object): the version, when and where it started.
    static func pendingMarker(version: String) -> [UInt8] {
        let record = JSONValue.object([("version", .string(version)), ("started", .string(UTCTime.iso(Date()))),
                                       ("host", .string(hostName()))])
        return Array((record.serialized() + "\n").utf8)
    }

    /// The `started` time of a pending marker's body (``pendingMarker(version:)``); nil when
    /// it is not one.
    static func markerStarted(_ data: Data) -> Date? {
        (try? JSONValue.parse(data))?["started"]?.stringValue.flatMap(parseISOTime)
    }

    /// This machine's name (``HostName``), `localhost` when it has none.
    public static func hostName() -> String { HostName.current() ?? "localhost" }

    static func compactTime(_ date: Date) -> String { UTCTime.compact(date) }

    /// The time of a record from its file name (`yyyyMMddTHHmmss.SSSZ-<version>.json`); nil
    /// when the name is not of that form.
    public static func time(fromFileName name: String) -> Date? {
        let bytes = Array(name.utf8)
        guard bytes.count > 21, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "."), bytes[19] == UInt8(ascii: "Z"),
              bytes[20] == UInt8(ascii: "-") else { return nil }
        let text = String(decoding: bytes[0..<20], as: UTF8.self)
        func part(_ from: Int, _ count: Int) -> Substring {
            text[text.index(text.startIndex, offsetBy: from)..<text.index(text.startIndex, offsetBy: from + count)]
        }
        return UTCTime.parse("\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(9, 2)):\(part(11, 2)):\(part(13, 2))\(part(15, 5))")
    }

    /// Whether the record named `name` made `version` live (its name ends with the version).
    public static func fileName(_ name: String, isFlipTo version: String) -> Bool {
        name.hasSuffix("-\(version).json") && name.utf8.count == 21 + version.utf8.count + 5
    }

    public static func isoTime(_ date: Date) -> String { UTCTime.iso(date) }

    public static func parseISOTime(_ text: String) -> Date? { UTCTime.parse(text) }
}
