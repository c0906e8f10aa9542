import Foundation
import SiteContent

/// What the invalidator needs from CloudFront. The adapter over `CloudFrontClient` throws
/// ``InvalidationThrottled`` for `TooManyInvalidationsInProgress` and `Throttling`, and its
/// own errors for anything else.
public protocol InvalidationService: Sendable {
    /// Creates an invalidation of `paths` (URL-encoded, as ``InvalidationPlan/paths``);
    /// returns its id. The same `callerReference` with the same paths must not create a
    /// second invalidation.
    func create(paths: [String], callerReference: String) async throws -> String
    /// The status of invalidation `id`: `InProgress` or `Completed` (any case).
    func status(id: String) async throws -> String
}

/// The service asked to come back later (CloudFront's `TooManyInvalidationsInProgress` or
/// `Throttling`); the invalidator backs off and retries.
public struct InvalidationThrottled: Error, Sendable, CustomStringConvertible {
    /// The service's code or message, for logs.
    public var message: String

    public init(_ message: String = "too many invalidations in progress") {
        self.message = message
    }

    public var description: String { "CloudFront is throttling invalidations: \(message)" }
}

/// The service kept answering ``InvalidationThrottled`` until the backoff gave up.
public struct InvalidationRetriesExhausted: Error, Sendable, CustomStringConvertible {
    public var attempts: Int
    public var last: InvalidationThrottled

    public init(attempts: Int, last: InvalidationThrottled) {
        self.attempts = attempts
        self.last = last
    }

    public var description: String {
        "CloudFront refused the invalidation \(attempts) time\(attempts == 1 ? "" : "s") (\(last.message)) within its backoff (or --wait-timeout): "
            + "other invalidations of this distribution are still running (at most 3,000 paths and 15 wildcards may be in "
            + "progress at once); wait for them to complete"
    }
}

/// Invalidations still in progress when ``Invalidator/wait(for:timeout:)`` gave up.
public struct InvalidationTimeout: Error, Sendable, CustomStringConvertible {
    /// The ids still not completed.
    public var pending: [String]
    public var timeout: Duration

    public init(pending: [String], timeout: Duration) {
        self.pending = pending
        self.timeout = timeout
    }

    public var description: String {
        let noun = pending.count == 1 ? "invalidation" : "invalidations"
        return "CloudFront \(noun) \(pending.joined(separator: ", ")) still in progress after \(Self.format(timeout)); "
            + "the new version is live and the cached copies go when they complete; "
            + "check with `aws cloudfront get-invalidation`, or wait longer"
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        if seconds >= 60 { return seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds) s"
    }
}

/// One invalidation the invalidator created.
public struct SubmittedInvalidation: Sendable, Equatable {
    public var id: String
    public var paths: [String]
    public var callerReference: String

    public init(id: String, paths: [String], callerReference: String) {
        self.id = id
        self.paths = paths
        self.callerReference = callerReference
    }

    var wildcardCount: Int { paths.filter { $0.hasSuffix("*") }.count }
    var individualCount: Int { paths.count - wildcardCount }
}

/// What the invalidator reports while it works.
public enum InvalidationEvent: Sendable, Equatable {
    /// A batch was accepted.
    case submitted(id: String, paths: Int, callerReference: String)
    /// The service throttled; the next attempt (numbered from 2) comes after `retryIn`.
    case throttled(attempt: Int, retryIn: Duration)
    /// The next batch waits for earlier ones to leave the in-progress limits.
    case waitingForRoom(inFlightPaths: Int, inFlightWildcards: Int)
    /// One round of status polls: how many of `total` invalidations are complete.
    case polled(completed: Int, total: Int)
}

/// Time as the invalidator sees it: injectable so tests run without waiting and never
/// depend on the wall clock.
public struct InvalidationClock: Sendable {
    /// A monotonic reading; only differences matter.
    public var now: @Sendable () -> Duration
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// `ContinuousClock` and `Task.sleep`.
    public static var continuous: InvalidationClock {
        let origin = ContinuousClock.now
        return InvalidationClock(now: { ContinuousClock.now - origin }, sleep: { try await Task.sleep(for: $0) })
    }
}

/// Exponential backoff for throttled creates.
public struct InvalidationBackoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Wait a random 50–100 % of each delay, so runners throttled together spread out.
    public var jitter: Bool

    /// 5 s doubling to 60 s, 8 attempts (about 5 minutes): in-progress invalidations usually
    /// finish within minutes.
    public init(initial: Duration = .seconds(5), maximum: Duration = .seconds(60), maxAttempts: Int = 8, jitter: Bool = true) {
        self.initial = initial
        self.maximum = maximum
        self.maxAttempts = maxAttempts
        self.jitter = jitter
    }

    /// The delay after failed attempt `attempt` (1-based), before jitter.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initial
        for _ in 1..<max(attempt, 1) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}

/// Submits an ``InvalidationPlan`` and waits for it, within CloudFront's in-progress limits.
///
/// - The plan is cut into batches of at most `maxPaths` individual paths and `maxWildcards`
///   wildcards (one batch for any plan ``InvalidationPlanner`` makes with the same limits).
///   A later batch is sent only when it fits beside the earlier ones still in progress.
/// - Each batch's CallerReference is ``callerReference(version:paths:flip:)``, so a
///   retried deploy resends the same reference and CloudFront answers with the existing
///   invalidation instead of creating a second one.
/// - ``InvalidationThrottled`` is retried with exponential backoff; other errors propagate.
public struct Invalidator: Sendable {
    public var service: any InvalidationService
    public var limits: InvalidationPlanner.Limits
    public var backoff: InvalidationBackoff
    public var clock: InvalidationClock
    /// Time between status polls.
    public var pollInterval: Duration
    /// How long a later batch may wait for room before ``InvalidationTimeout``.
    public var roomTimeout: Duration
    public var progress: @Sendable (InvalidationEvent) -> Void

    public init(service: any InvalidationService, limits: InvalidationPlanner.Limits = .init(),
                backoff: InvalidationBackoff = .init(), clock: InvalidationClock = .continuous,
                pollInterval: Duration = .seconds(15), roomTimeout: Duration = .seconds(30 * 60),
                progress: @escaping @Sendable (InvalidationEvent) -> Void = { _ in }) {
        self.service = service
        self.limits = limits
        self.backoff = backoff
        self.clock = clock
        self.pollInterval = pollInterval
        self.roomTimeout = roomTimeout
        self.progress = progress
    }

    /// `sitebuild-<version>-<hash>`: the hash is the first 16 hex digits of the XXH3-128 of
    /// the paths (one per line, in order) and of `flip` when given. Pass the flip's release
    /// record name as `flip`: without it, flipping to the same version with the same paths
    /// again later (after a rollback) would reuse the reference, and CloudFront would answer
    /// with the old invalidation instead of invalidating again.
    public static func callerReference(version: String, paths: [String], flip: String? = nil) -> String {
        var text = paths.joined(separator: "\n")
        if let flip { text = "flip:" + flip + "\n" + text }
        return "sitebuild-\(version)-\(ContentHash(of: text).hex.prefix(16))"
    }

    /// `paths` cut in order into batches of at most `maxPaths` individual paths and
    /// `maxWildcards` wildcards.
    public static func batches(_ paths: [String], limits: InvalidationPlanner.Limits) -> [[String]] {
        var batches: [[String]] = []
        var current: [String] = []
        var individual = 0, wildcards = 0
        for path in paths {
            let isWildcard = path.hasSuffix("*")
            if isWildcard ? wildcards >= max(limits.maxWildcards, 1) : individual >= max(limits.maxPaths, 1) {
                batches.append(current)
                current = []
                individual = 0
                wildcards = 0
            }
            current.append(path)
            if isWildcard { wildcards += 1 } else { individual += 1 }
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// Creates the plan's invalidations; an empty plan creates none.
    ///
    /// - Parameters:
    ///   - version: the version that went live, for the CallerReference.
    ///   - flip: what identifies this flip (the release record name), for the CallerReference.
    /// `within`: how long the submission may take (`--wait-timeout` under `--wait`): a throttled
    /// create is not retried past it.
    public func submit(_ plan: InvalidationPlan, version: String, flip: String? = nil,
                       within limit: Duration? = nil) async throws -> [SubmittedInvalidation] {
        let deadline = limit.map { clock.now() + $0 }
        var submitted: [SubmittedInvalidation] = []
        var inFlight: [SubmittedInvalidation] = []
        for batch in Self.batches(plan.paths, limits: limits) {
            let wildcards = batch.filter { $0.hasSuffix("*") }.count
            let individual = batch.count - wildcards
            if !inFlight.isEmpty {
                inFlight = try await waitForRoom(inFlight, individual: individual, wildcards: wildcards)
            }
            let reference = Self.callerReference(version: version, paths: batch, flip: flip)
            let id = try await create(batch, reference: reference, deadline: deadline)
            let invalidation = SubmittedInvalidation(id: id, paths: batch, callerReference: reference)
            progress(.submitted(id: id, paths: batch.count, callerReference: reference))
            submitted.append(invalidation)
            inFlight.append(invalidation)
        }
        return submitted
    }

    /// Polls every `pollInterval` until all of `invalidations` are complete, reporting
    /// ``InvalidationEvent/polled(completed:total:)`` after each round; throws
    /// ``InvalidationTimeout`` naming those still in progress after `timeout`.
    /// `total`: the time limit to name when it runs out (this wait may have only its rest).
    public func wait(for invalidations: [SubmittedInvalidation], timeout: Duration, total: Duration? = nil) async throws {
        guard !invalidations.isEmpty else { return }
        let deadline = clock.now() + timeout
        var pending = invalidations.map(\.id)
        while true {
            pending = try await stillInProgress(pending)
            progress(.polled(completed: invalidations.count - pending.count, total: invalidations.count))
            if pending.isEmpty { return }
            let now = clock.now()
            guard now < deadline else { throw InvalidationTimeout(pending: pending, timeout: total ?? timeout) }
            try await clock.sleep(min(pollInterval, deadline - now))
        }
    }

    // MARK: - Internals

    /// `create` with backoff on ``InvalidationThrottled``; the reference stays the same.
    private func create(_ paths: [String], reference: String, deadline: Duration? = nil) async throws -> String {
        var attempt = 1
        while true {
            do {
                return try await service.create(paths: paths, callerReference: reference)
            } catch let throttled as InvalidationThrottled {
                guard attempt < backoff.maxAttempts else {
                    throw InvalidationRetriesExhausted(attempts: attempt, last: throttled)
                }
                var delay = backoff.delay(afterAttempt: attempt)
                if backoff.jitter {
                    delay = delay * Double.random(in: 0.5...1.0)
                }
                if let deadline, clock.now() + delay > deadline {
                    throw InvalidationRetriesExhausted(attempts: attempt, last: throttled)
                }
                attempt += 1
                progress(.throttled(attempt: attempt, retryIn: delay))
                try await clock.sleep(delay)
            }
        }
    }

    /// The ids of `ids` not yet completed. A throttled status call counts as still in progress.
    private func stillInProgress(_ ids: [String]) async throws -> [String] {
        var pending: [String] = []
        for id in ids {
            do {
                let status = try await service.status(id: id)
                if status.caseInsensitiveCompare("Completed") != .orderedSame { pending.append(id) }
            } catch is InvalidationThrottled {
                pending.append(id)
            }
        }
        return pending
    }

    /// Polls `inFlight` until a batch of `individual` paths and `wildcards` wildcards fits
    /// beside those still in progress; returns them.
    private func waitForRoom(_ inFlight: [SubmittedInvalidation], individual: Int,
                             wildcards: Int) async throws -> [SubmittedInvalidation] {
        let deadline = clock.now() + roomTimeout
        var remaining = inFlight
        while true {
            let pending = Set(try await stillInProgress(remaining.map(\.id)))
            remaining = remaining.filter { pending.contains($0.id) }
            let busyPaths = remaining.reduce(0) { $0 + $1.individualCount }
            let busyWildcards = remaining.reduce(0) { $0 + $1.wildcardCount }
            if busyPaths + individual <= limits.maxPaths && busyWildcards + wildcards <= limits.maxWildcards {
                return remaining
            }
            progress(.waitingForRoom(inFlightPaths: busyPaths, inFlightWildcards: busyWildcards))
            let now = clock.now()
            guard now < deadline else { throw InvalidationTimeout(pending: remaining.map(\.id), timeout: roomTimeout) }
            try await clock.sleep(min(pollInterval, deadline - now))
        }
    }
}
