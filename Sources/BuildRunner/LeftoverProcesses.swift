import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The processes a build left running when it ends, found in /proc: those still in one of
/// the process groups its commands ran in (`cmd &`), and those that left the groups
/// (`setsid`, daemons such as `ssh-agent` or a Gradle daemon) but still carry the build's
/// marker variable in the environment they were started with. CodeBuild ends them all when it
/// tears the container down; a local build stops them itself.
struct LeftoverProcesses {
    /// The marker variable; its value is the build's UUID.
    static let variable = "SITEBUILD_BUILD_ID"
    /// The source directory the build ran in, and the sitebuild process that ran it
    /// (`pid:start time`): what ``stopOrphans(source:grace:)`` tells an earlier build's
    /// leftovers by, once that sitebuild is gone.
    static let sourceVariable = "SITEBUILD_BUILD_SOURCE"
    static let ownerVariable = "SITEBUILD_BUILD_OWNER"

    /// The value of ``ownerVariable`` for this process.
    static var owner: String { "\(getpid()):\(stat(getpid())?.started ?? 0)" }

    /// Stops the processes an earlier build of `source` left running when its sitebuild was
    /// killed (SIGKILL, the OOM killer): a command still writing into the source would
    /// otherwise mix its files into this build's artifact. Only processes whose sitebuild is
    /// gone are touched (a running build of the same source keeps its own); called once the
    /// source's lock is held. Returns how many were stopped.
    static func stopOrphans(source: String, grace: Double) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        let me = getpid()
        let sourcePrefix = Array((sourceVariable + "=").utf8), ownerPrefix = Array((ownerVariable + "=").utf8)
        var found: [(pid: pid_t, started: UInt64, inGroup: Bool)] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != me, let process = Self.stat(pid), process.state != "Z", process.state != "X",
                  let bytes = read("/proc/\(pid)/environ", limit: 1 << 22) else { continue }
            var marked: String?, owner: String?
            for variable in bytes.split(separator: 0) {
                if variable.starts(with: sourcePrefix) { marked = String(decoding: variable.dropFirst(sourcePrefix.count), as: UTF8.self) }
                if variable.starts(with: ownerPrefix) { owner = String(decoding: variable.dropFirst(ownerPrefix.count), as: UTF8.self) }
            }
            guard marked == source, let owner, !isAlive(owner: owner) else { continue }
            found.append((pid, process.started, false))
        }
        return terminate(found, grace: grace)
    }

    /// Whether the sitebuild process `owner` (`pid:start time`) is still running.
    private static func isAlive(owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 2, let pid = pid_t(parts[0]), let started = UInt64(parts[1]) else { return false }
        guard let process = stat(pid) else { return false }
        return process.started == started && process.state != "Z" && process.state != "X"
    }

    /// The process groups the build's commands ran in.
    var groups: Set<pid_t>
    /// `NAME=value`, the variable every command of this build (and what it starts) inherits.
    var marker: String

    /// The live processes (zombies excluded) of this build, other than the caller, with their
    /// start times. A process counts when it started after sitebuild and carries the build's
    /// marker, or is in one of the build's process groups and its environment cannot be read
    /// (a setgid program such as ssh-agent, run by a non-root sitebuild). A process whose
    /// group id was reused by something unrelated lacks the marker and is left alone.
    func find() -> [(pid: pid_t, started: UInt64, inGroup: Bool)] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let me = getpid()
        // A build's processes started after this one: older ones need no environment read.
        let since = Self.stat(me)?.started ?? 0
        let needle = Array(marker.utf8)
        var found: [(pid: pid_t, started: UInt64, inGroup: Bool)] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != me, let process = Self.stat(pid),
                  process.state != "Z", process.state != "X", process.started >= since else { continue }
            let inGroup = groups.contains(process.group)
            switch Self.environment(of: pid, contains: needle) {
            case true?: found.append((pid, process.started, inGroup))
            case nil where inGroup: found.append((pid, process.started, true))
            default: continue
            }
        }
        return found
    }

    /// Stops what `find` reports: SIGTERM (and SIGCONT, for stopped ones), then SIGKILL to
    /// whatever is still alive after `grace` seconds. Returns the counts stopped.
    func stop(grace: Double) -> (inGroups: Int, escaped: Int) {
        let first = find()
        _ = Self.terminate(first, grace: grace)
        return (first.count { $0.inGroup }, first.count { !$0.inGroup })
    }

    /// SIGTERM (and SIGCONT) to each of `first`, SIGKILL to those alive after `grace`
    /// seconds; returns how many there were.
    private static func terminate(_ first: [(pid: pid_t, started: UInt64, inGroup: Bool)], grace: Double) -> Int {
        guard !first.isEmpty else { return 0 }
        for process in first {
            kill(process.pid, SIGTERM)
            kill(process.pid, SIGCONT)
        }
        // Only those are watched (by pid and start time, so a reused pid is not touched).
        func alive(_ process: (pid: pid_t, started: UInt64, inGroup: Bool)) -> Bool {
            guard let now = Self.stat(process.pid) else { return false }
            return now.started == process.started && now.state != "Z" && now.state != "X"
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        var left = first
        while !left.isEmpty, ContinuousClock.now < deadline {
            usleep(20_000)
            left = left.filter(alive)
        }
        for process in left where alive(process) { kill(process.pid, SIGKILL) }
        return first.count
    }

    /// The state letter, process group and start time (clock ticks after boot) of `pid` from
    /// /proc/PID/stat, nil when it is gone.
    static func stat(_ pid: pid_t) -> (state: Character, group: pid_t, started: UInt64)? {
        guard let bytes = read("/proc/\(pid)/stat", limit: 4096),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After "pid (comm) ": state ppid pgrp … starttime (the 22nd field); comm may itself
        // contain spaces and parentheses, hence the last ")".
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count >= 20, let state = fields[0].first,
              let group = pid_t(String(decoding: fields[2], as: UTF8.self)),
              let started = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        return (Character(UnicodeScalar(state)), group, started)
    }

    /// Whether the environment `pid` was started with holds exactly `needle` (`NAME=value`);
    /// nil when it cannot be read (another user's process, a setgid program).
    static func environment(of pid: pid_t, contains needle: [UInt8]) -> Bool? {
        guard let bytes = read("/proc/\(pid)/environ", limit: 1 << 22) else { return nil }
        return bytes.split(separator: 0).contains { $0.elementsEqual(needle) }
    }

    private static func read(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while result.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }
}
