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

    /// Renews the claim once more, right before the manifest makes the version complete: a
    /// claim taken over since the last renewal is noticed here, not after the manifest.
    public func confirm() async throws {
        try await renew?()
    }

    /// Gives the claim up (idempotent enough: a second release finds nothing of its own), also
    /// from a cancelled task (a deploy interrupted by a signal leaves no lock behind).
    public func release() async {
        let end = self.end
        await uncancelled { await end() }
    }

}

/// Another deploy holds the claim on a version now (a deploy waits for it).
public struct WritingClaimHeld: Error, Sendable, CustomStringConvertible {
    public var version: String
    public var url: String
    public var holder: String

    public var description: String { "another deploy (\(holder)) is writing version \(version) on \(url)" }
}

/// Who holds a claim: the JSON body of an S3 lock object.
public struct WritingLock: Sendable, Equatable {
    var version: String
    var token: String
    var host: String
    var pid: Int32
    var started: String
    /// Which running system and process this is, beyond a host name (which containers and
    /// cloned machines share) and a pid (which each pid namespace numbers anew): the kernel's
    /// boot id, the pid namespace, and the process's start time in clock ticks since boot.
    var boot: String?
    var pidNamespace: String?
    var startTicks: Int64?

    public static func mine(version: String) -> WritingLock {
        WritingLock(version: version, token: UUID().uuidString.lowercased(), host: ReleaseRecord.hostName(),
                    pid: getpid(), started: ReleaseRecord.isoTime(Date()), boot: ProcessIdentity.bootId,
                    pidNamespace: ProcessIdentity.pidNamespace, startTicks: ProcessIdentity.startTicks(of: getpid()))
    }

    public var json: [UInt8] {
        var fields: [(String, JSONValue)] = [("version", .string(version)), ("token", .string(token)), ("host", .string(host)),
                                             ("pid", .int(Int64(pid))), ("started", .string(started))]
        if let boot { fields.append(("boot", .string(boot))) }
        if let pidNamespace { fields.append(("pidNamespace", .string(pidNamespace))) }
        if let startTicks { fields.append(("startTicks", .int(startTicks))) }
        return Array((JSONValue.object(fields).serialized() + "\n").utf8)
    }

    public static func parse(_ bytes: [UInt8]) -> WritingLock? {
        guard let value = try? JSONValue.parse(Data(bytes)),
              let version = value["version"]?.stringValue, let token = value["token"]?.stringValue,
              let host = value["host"]?.stringValue, let pid = value["pid"]?.intValue.flatMap({ Int32(exactly: $0) }),
              let started = value["started"]?.stringValue else { return nil }
        return WritingLock(version: version, token: token, host: host, pid: pid, started: started,
                           boot: value["boot"]?.stringValue, pidNamespace: value["pidNamespace"]?.stringValue,
                           startTicks: value["startTicks"]?.intValue)
    }

    /// Whether the holder is certainly a process of this very system (same boot, same pid
    /// namespace) that no longer runs (killed): its claim can be taken over at once, without
    /// waiting out the lease. Anything unknown counts as alive.
    public var isDeadHere: Bool {
        guard host == ReleaseRecord.hostName(), pid > 0, pid != getpid(),
              let boot, boot == ProcessIdentity.bootId, let pidNamespace, pidNamespace == ProcessIdentity.pidNamespace,
              let startTicks else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        // The pid runs, but as another process (reused) when it started at another tick.
        if let running = ProcessIdentity.startTicks(of: pid) { return running != startTicks }
        return false
    }

    public var description: String { "pid \(pid) on \(host), started \(started)" }
}

/// What tells this process apart from others on other systems and in other pid namespaces.
enum ProcessIdentity {
    /// `/proc/sys/kernel/random/boot_id`: new at every boot, shared by the containers of a host.
    static let bootId: String? = read("/proc/sys/kernel/random/boot_id")

    /// The pid namespace, as `/proc/self/ns/pid` names it (`pid:[4026531836]`).
    static let pidNamespace: String? = {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The start time of process `pid` in clock ticks since boot (field 22 of
    /// `/proc/<pid>/stat`), or nil when it cannot be read.
    static func startTicks(of pid: Int32) -> Int64? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses): field 3 onwards.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return Int64(fields[19])
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
