import Foundation
import SiteContent

/// The exclusive right to write a literal version's objects (`--version-id commit`, or a
/// name). Two builds deployed at once under one id would otherwise mix their objects: each
/// takes the other's objects for ones a killed run left, and replaces them. (A content id
/// needs no claim: the same id is the same bytes.) The local target holds an `flock` for it,
/// which ends with the process; S3 holds a lock object under a lease that the holder renews
/// while it writes, and that another deploy takes over once it has not been renewed for a
/// while (its holder was killed).
public final class WritingClaim: Sendable {
    private let renew: (@Sendable () async throws -> Void)?
    private let renewEvery: Duration
    private let end: @Sendable () async -> Void

    /// `renew` (nil: nothing to renew) runs every `renewEvery` while the claim is held and
    /// throws when the claim was taken over; `release` ends it.
    public init(renew: (@Sendable () async throws -> Void)?, every renewEvery: Duration = .seconds(60),
                release: @escaping @Sendable () async -> Void) {
        self.renew = renew
        self.renewEvery = renewEvery
        self.end = release
    }

    /// Runs `body` with the claim renewed beside it. When a renewal fails (the claim was taken
    /// over, or cannot be renewed), `body` is cancelled and the renewal's error is thrown.
    public func holding<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let renew else { return try await body() }
        let every = renewEvery
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: every)
                    try await renew()
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }

    /// Gives the claim up (idempotent enough: a second release finds nothing of its own).
    public func release() async {
        await end()
    }

    /// The message for a version another deploy is writing now.
    static func heldMessage(_ version: String, at url: String, by holder: String) -> String {
        "another deploy (\(holder)) is writing version \(version) on \(url) now; nothing was made live by this deploy: "
            + "wait for it to finish, or give each build its own --version-id"
    }
}

/// Who holds a claim: the JSON body of an S3 lock object.
struct WritingLock: Sendable, Equatable {
    var version: String
    var token: String
    var host: String
    var pid: Int32
    var started: String

    static func mine(version: String) -> WritingLock {
        WritingLock(version: version, token: UUID().uuidString.lowercased(), host: ReleaseRecord.hostName(),
                    pid: getpid(), started: ReleaseRecord.isoTime(Date()))
    }

    var json: [UInt8] {
        let value = JSONValue.object([("version", .string(version)), ("token", .string(token)), ("host", .string(host)),
                                      ("pid", .int(Int64(pid))), ("started", .string(started))])
        return Array((value.serialized() + "\n").utf8)
    }

    static func parse(_ bytes: [UInt8]) -> WritingLock? {
        guard let value = try? JSONValue.parse(Data(bytes)),
              let version = value["version"]?.stringValue, let token = value["token"]?.stringValue,
              let host = value["host"]?.stringValue, let pid = value["pid"]?.intValue,
              let started = value["started"]?.stringValue else { return nil }
        return WritingLock(version: version, token: token, host: host, pid: Int32(truncatingIfNeeded: pid), started: started)
    }

    /// Whether the holder is a process of this machine that no longer runs (killed): its claim
    /// can be taken over at once, without waiting out the lease.
    var isDeadHere: Bool {
        guard host == ReleaseRecord.hostName(), pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    var description: String { "pid \(pid) on \(host), started \(started)" }
}
