import Foundation
import SiteContent
import Synchronization

/// Where a build's output goes: CodeBuild-shaped text lines and live command output to
/// one stream, and (with `--json`) newline-delimited events to another. Every byte
/// passes through the secret masker first.
public final class BuildLog: Sendable {
    public typealias Sink = @Sendable ([UInt8]) -> Void

    private struct State {
        var masker: SecretMasker
        var atLineStart = true
        /// Background processes' streams (``LingeringOutput``): each its own masker (a secret
        /// split between two reads is still found) and the masked bytes of its unfinished line.
        var streams: [Int32: (masker: SecretMasker, line: [UInt8])] = [:]
    }

    /// A background stream's unfinished line longer than this is logged as it is (already
    /// masked), so a process printing without newlines is not held in memory.
    static let maxBackgroundLine = 64 << 10

    private let text: Sink
    private let events: Sink?
    private let state: Mutex<State>
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - text: receives the human log (CodeBuild's shape).
    ///   - events: receives one JSON object per line, when set.
    ///   - clock: the time stamped on lines and events (tests inject a fixed one).
    public init(text: @escaping Sink, events: Sink? = nil, secrets: [String] = [],
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.text = text
        self.events = events
        self.state = Mutex(State(masker: SecretMasker(secrets: secrets)))
        self.clock = clock
    }

    /// Adds values to hide from now on (secrets fetched during the build).
    public func addSecrets(_ secrets: [String]) {
        state.withLock { state in
            for secret in secrets {
                state.masker.add(secret)
                for key in state.streams.keys { state.streams[key]!.masker.add(secret) }
            }
        }
    }

    /// Whether showing `text` would uncover one of the current secrets (``SecretMasker/wouldReveal(_:)``).
    public func wouldReveal(_ text: String) -> Bool {
        state.withLock { $0.masker.wouldReveal(text) }
    }

    /// Masks a string with the current secrets (for values put in results and files).
    public func mask(_ string: String) -> String {
        state.withLock { $0.masker.mask(string) }
    }

    /// `[Container] 2026/11/26 21:45:33.123456 <message>`
    /// Only the message is masked: the prefix and the time stay readable (and parseable) even
    /// when a secret is a single character.
    public func container(_ message: String) {
        let prefix = "[Container] \(Self.timestamp(clock())) "
        // Written under the lock: background output comes from another thread, and lines
        // must not be spliced into each other.
        state.withLock { state in
            var out: [UInt8] = state.atLineStart ? [] : [10]
            out += (prefix + state.masker.mask(message) + "\n").utf8
            state.atLineStart = true
            text(out)
        }
    }

    /// A warning line in the same stream (`[Container] … Warning: …`).
    public func warning(_ message: String) {
        container("Warning: \(message)")
    }

    /// Raw command output, streamed as it arrives (masked, possibly held back a little
    /// while it could be the start of a secret).
    public func output(_ chunk: UnsafeRawBufferPointer) {
        state.withLock { state in
            let out = state.masker.feed(chunk)
            if let last = out.last { state.atLineStart = last == 10 }
            if !out.isEmpty { text(out) }
        }
    }

    /// Output of a background process whose command has ended (``LingeringOutput``), from
    /// pipe `stream`: masked as a stream of its own, and logged a whole line at a time, on a
    /// line of its own (never spliced into the current command's line).
    public func backgroundOutput(_ stream: Int32, _ chunk: some Collection<UInt8>) {
        state.withLock { state in
            var entry = state.streams[stream] ?? (state.masker.fresh, [])
            entry.line += entry.masker.feed(chunk)
            var lines: [UInt8] = []
            if let end = entry.line.lastIndex(of: 10) {
                lines = Array(entry.line[...end])
                entry.line.removeSubrange(...end)
            }
            if entry.line.count >= Self.maxBackgroundLine {
                lines += entry.line + [10]
                entry.line = []
            }
            state.streams[stream] = entry
            Self.writeLines(lines, &state, text)
        }
    }

    /// The current command's pipe goes on as background stream `stream` (its shell ended while
    /// a background process holds the pipe): what the masker holds back, which may be the
    /// start of a secret the next bytes end, goes on with it instead of being flushed.
    public func continueInBackground(_ stream: Int32) {
        state.withLock { state in
            var masker = state.masker.fresh
            let held = state.masker.takePending()
            let out = masker.feed(held)
            state.streams[stream] = (masker, out)
        }
    }

    /// The end of background stream `stream`: what its masker held back and its last line.
    public func endBackground(_ stream: Int32) {
        state.withLock { state in
            guard var entry = state.streams.removeValue(forKey: stream) else { return }
            entry.line += entry.masker.flush()
            Self.writeLines(entry.line.isEmpty ? [] : entry.line + [10], &state, text)
        }
    }

    private static func writeLines(_ lines: [UInt8], _ state: inout State, _ text: Sink) {
        guard !lines.isEmpty else { return }
        text((state.atLineStart ? [] : [10]) + lines)
        state.atLineStart = true
    }

    /// Ends a command's output: releases anything held back and adds the blank line
    /// CodeBuild prints after each command.
    public func endOutput() {
        state.withLock { state in
            var out = state.masker.flush()
            if let last = out.last { state.atLineStart = last == 10 }
            if !state.atLineStart { out.append(10) }
            out.append(10)
            state.atLineStart = true
            text(out)
        }
    }

    /// One JSON event (`{"event":"…","time":"…",…}`): the fields' string values are masked,
    /// not the keys, the event's name or its time, so the line stays well-formed and readable.
    public func event(_ name: String, _ fields: [(String, JSONValue)] = []) {
        guard let events else { return }
        let masked = state.withLock { state in fields.map { ($0.0, Self.maskStrings($0.1, with: &state.masker)) } }
        let value = JSONValue.object([("event", .string(name)), ("time", .string(Self.isoTimestamp(clock())))] + masked)
        events(Array((value.serialized() + "\n").utf8))
    }

    static func maskStrings(_ value: JSONValue, with masker: inout SecretMasker) -> JSONValue {
        switch value {
        case .string(let text): return .string(masker.mask(text))
        case .array(let items): return .array(items.map { maskStrings($0, with: &masker) })
        case .object(let pairs): return .object(pairs.map { ($0.0, maskStrings($0.1, with: &masker)) })
        default: return value
        }
    }

    public var emitsEvents: Bool { events != nil }

    static func timestamp(_ date: Date) -> String {
        let (seconds, micros) = split(date)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d/%02d/%02d %02d:%02d:%02d.%06d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, micros)
    }

    static func isoTimestamp(_ date: Date) -> String {
        let (seconds, micros) = split(date)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, micros / 1000)
    }

    static func split(_ date: Date) -> (Int, Int32) {
        let t = date.timeIntervalSince1970
        let seconds = Int(t.rounded(.down))
        return (seconds, Int32(((t - Double(seconds)) * 1_000_000).rounded(.down)))
    }
}
