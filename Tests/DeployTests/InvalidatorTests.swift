import Deploy
import Foundation
import Testing

/// An in-memory CloudFront for fault injection: throttles on cue, remembers CallerReferences
/// the way CloudFront does (same reference and paths → the same invalidation), and moves
/// each invalidation to `Completed` after a set number of status polls.
actor FakeInvalidationService: InvalidationService {
    struct Created: Equatable {
        var id: String
        var paths: [String]
        var callerReference: String
    }

    private(set) var created: [Created] = []
    private(set) var createCalls = 0
    private(set) var statusCalls: [String] = []
    /// The next this-many creates answer throttled.
    private var throttleNext: Int
    /// Status polls an invalidation answers `InProgress` before `Completed`.
    private let pollsUntilComplete: Int
    private var polls: [String: Int] = [:]
    /// Status calls that answer throttled, by index of the call.
    private let throttledStatusCalls: Set<Int>
    private let failure: (any Error)?

    init(throttleNext: Int = 0, pollsUntilComplete: Int = 0, throttledStatusCalls: Set<Int> = [], failure: (any Error)? = nil) {
        self.throttleNext = throttleNext
        self.pollsUntilComplete = pollsUntilComplete
        self.throttledStatusCalls = throttledStatusCalls
        self.failure = failure
    }

    func create(paths: [String], callerReference: String) async throws -> String {
        createCalls += 1
        if let failure { throw failure }
        if throttleNext > 0 {
            throttleNext -= 1
            throw InvalidationThrottled("TooManyInvalidationsInProgress")
        }
        if let existing = created.first(where: { $0.callerReference == callerReference }) {
            guard existing.paths == paths else { throw FakeError.batchAlreadyExists }
            return existing.id
        }
        let id = "I\(created.count + 1)"
        created.append(Created(id: id, paths: paths, callerReference: callerReference))
        return id
    }

    func status(id: String) async throws -> String {
        let index = statusCalls.count
        statusCalls.append(id)
        if throttledStatusCalls.contains(index) { throw InvalidationThrottled("Throttling") }
        guard created.contains(where: { $0.id == id }) else { throw FakeError.noSuchInvalidation }
        let count = polls[id, default: 0]
        polls[id] = count + 1
        return count >= pollsUntilComplete ? "Completed" : "InProgress"
    }

    enum FakeError: Error { case batchAlreadyExists, noSuchInvalidation, accessDenied }
}

/// Virtual time: `sleep` only moves `now` forward and records the request.
final class VirtualClock: @unchecked Sendable {
    // @unchecked: the state is only touched under `lock`.
    private let lock = NSLock()
    private var elapsed: Duration = .zero
    private var slept: [Duration] = []

    var sleeps: [Duration] { lock.withLock { slept } }

    var clock: InvalidationClock {
        InvalidationClock(now: { [self] in lock.withLock { elapsed } },
                          sleep: { [self] duration in lock.withLock { elapsed += duration; slept.append(duration) } })
    }
}

/// Collects progress events.
final class EventLog: @unchecked Sendable {
    // @unchecked: `events` is only touched under `lock`.
    private let lock = NSLock()
    private var events: [InvalidationEvent] = []

    var all: [InvalidationEvent] { lock.withLock { events } }
    func record(_ event: InvalidationEvent) { lock.withLock { events.append(event) } }
}

@Suite struct InvalidatorTests {
    let noJitter = InvalidationBackoff(initial: .seconds(5), maximum: .seconds(60), maxAttempts: 8, jitter: false)

    func invalidator(_ service: FakeInvalidationService, _ time: VirtualClock, _ events: EventLog,
                     limits: InvalidationPlanner.Limits = .init(), backoff: InvalidationBackoff? = nil) -> Invalidator {
        Invalidator(service: service, limits: limits, backoff: backoff ?? noJitter, clock: time.clock,
                    pollInterval: .seconds(10), roomTimeout: .seconds(600), progress: { events.record($0) })
    }

    @Test func anEmptyPlanCreatesNothing() async throws {
        let service = FakeInvalidationService()
        let invalidator = invalidator(service, VirtualClock(), EventLog())
        let submitted = try await invalidator.submit(InvalidationPlan(paths: [], reason: "none"), version: "v1")
        #expect(submitted.isEmpty)
        try await invalidator.wait(for: submitted, timeout: .seconds(60))
        #expect(await service.createCalls == 0)
        #expect(await service.statusCalls.isEmpty)
    }

    @Test func aPlanIsSubmittedOnceWithADeterministicCallerReference() async throws {
        let service = FakeInvalidationService()
        let events = EventLog()
        let invalidator = invalidator(service, VirtualClock(), events)
        let plan = InvalidationPlanner().plan(changed: ["index.html", "a b.css"])
        let submitted = try await invalidator.submit(plan, version: "abc123")
        let reference = Invalidator.callerReference(version: "abc123", paths: plan.paths)
        #expect(submitted == [SubmittedInvalidation(id: "I1", paths: ["/", "/a%20b.css", "/index.html"], callerReference: reference)])
        #expect(reference.hasPrefix("sitebuild-abc123-"))
        #expect(reference.count == "sitebuild-abc123-".count + 16)
        #expect(events.all == [.submitted(id: "I1", paths: 3, callerReference: reference)])

        // A retried deploy sends the same reference and gets the same invalidation back.
        let again = try await invalidator.submit(plan, version: "abc123")
        #expect(again == submitted)
        #expect(await service.created.count == 1)
    }

    @Test func theCallerReferenceDependsOnVersionPathsAndFlip() {
        let base = Invalidator.callerReference(version: "v1", paths: ["/a", "/b"])
        #expect(base == Invalidator.callerReference(version: "v1", paths: ["/a", "/b"]))
        #expect(base != Invalidator.callerReference(version: "v2", paths: ["/a", "/b"]))
        #expect(base != Invalidator.callerReference(version: "v1", paths: ["/a", "/c"]))
        #expect(base != Invalidator.callerReference(version: "v1", paths: ["/a/b"]))
        #expect(base != Invalidator.callerReference(version: "v1", paths: ["/a", "/b"], flip: "20250101T000000Z-v1"))
        #expect(Invalidator.callerReference(version: "v1", paths: ["/a"], flip: "x")
            == Invalidator.callerReference(version: "v1", paths: ["/a"], flip: "x"))
    }

    @Test func throttlingIsRetriedWithExponentialBackoffAndTheSameReference() async throws {
        let service = FakeInvalidationService(throttleNext: 5)
        let time = VirtualClock()
        let events = EventLog()
        let plan = InvalidationPlan(paths: ["/a.css"], reason: "test")
        let submitted = try await invalidator(service, time, events).submit(plan, version: "v1")
        #expect(submitted.map(\.id) == ["I1"])
        #expect(await service.createCalls == 6)
        #expect(await service.created.count == 1)
        #expect(time.sleeps == [.seconds(5), .seconds(10), .seconds(20), .seconds(40), .seconds(60)])
        let throttles = events.all.filter { if case .throttled = $0 { true } else { false } }
        #expect(throttles == [.throttled(attempt: 2, retryIn: .seconds(5)), .throttled(attempt: 3, retryIn: .seconds(10)),
                              .throttled(attempt: 4, retryIn: .seconds(20)), .throttled(attempt: 5, retryIn: .seconds(40)),
                              .throttled(attempt: 6, retryIn: .seconds(60))])
    }

    @Test func jitteredDelaysStayWithinHalfToAllOfTheBackoff() async throws {
        let service = FakeInvalidationService(throttleNext: 3)
        let time = VirtualClock()
        let jittered = InvalidationBackoff(initial: .seconds(4), maximum: .seconds(60), maxAttempts: 8, jitter: true)
        _ = try await invalidator(service, time, EventLog(), backoff: jittered).submit(InvalidationPlan(paths: ["/a"], reason: ""), version: "v")
        let expected: [Duration] = [.seconds(4), .seconds(8), .seconds(16)]
        #expect(time.sleeps.count == 3)
        for (slept, full) in zip(time.sleeps, expected) {
            #expect(slept >= full / 2 && slept <= full)
        }
    }

    @Test func throttlingPastTheLastAttemptIsAClearError() async throws {
        let service = FakeInvalidationService(throttleNext: 100)
        let time = VirtualClock()
        let backoff = InvalidationBackoff(initial: .seconds(1), maximum: .seconds(4), maxAttempts: 4, jitter: false)
        let error = await #expect(throws: InvalidationRetriesExhausted.self) {
            _ = try await invalidator(service, time, EventLog(), backoff: backoff).submit(InvalidationPlan(paths: ["/a"], reason: ""), version: "v")
        }
        #expect(error?.attempts == 4)
        #expect(error.map { "\($0)" }?.contains("refused the invalidation 4 times (TooManyInvalidationsInProgress)") == true)
        #expect(await service.createCalls == 4)
        #expect(time.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
    }

    /// Under --wait, --wait-timeout bounds the submission too: no retry is slept past it.
    @Test func throttledRetriesStopAtTheTimeLimit() async throws {
        let service = FakeInvalidationService(throttleNext: 100)
        let time = VirtualClock()
        let error = await #expect(throws: InvalidationRetriesExhausted.self) {
            _ = try await invalidator(service, time, EventLog()).submit(InvalidationPlan(paths: ["/a"], reason: ""), version: "v",
                                                                     within: .seconds(20))
        }
        // 5 s, then 10 s (15 s in all); the next, 20 s, would pass the limit.
        #expect(time.sleeps == [.seconds(5), .seconds(10)])
        #expect(await service.createCalls == 3)
        #expect(error.map { "\($0)" }?.contains("are still running (at most 3,000 paths and 15 wildcards may be in progress at once); wait for them to complete") == true)
    }

    @Test func otherErrorsAreNotRetried() async throws {
        let service = FakeInvalidationService(failure: FakeInvalidationService.FakeError.accessDenied)
        let time = VirtualClock()
        await #expect(throws: FakeInvalidationService.FakeError.self) {
            _ = try await invalidator(service, time, EventLog()).submit(InvalidationPlan(paths: ["/a"], reason: ""), version: "v")
        }
        #expect(await service.createCalls == 1)
        #expect(time.sleeps.isEmpty)
    }

    @Test func waitPollsUntilEveryInvalidationCompletes() async throws {
        let service = FakeInvalidationService(pollsUntilComplete: 3)
        let time = VirtualClock()
        let events = EventLog()
        let invalidator = invalidator(service, time, events)
        let submitted = try await invalidator.submit(InvalidationPlan(paths: ["/a", "/b"], reason: ""), version: "v")
        try await invalidator.wait(for: submitted, timeout: .seconds(600))
        #expect(await service.statusCalls == ["I1", "I1", "I1", "I1"])
        #expect(time.sleeps == [.seconds(10), .seconds(10), .seconds(10)])
        let polled = events.all.filter { if case .polled = $0 { true } else { false } }
        #expect(polled == [.polled(completed: 0, total: 1), .polled(completed: 0, total: 1), .polled(completed: 0, total: 1),
                           .polled(completed: 1, total: 1)])
    }

    @Test func aThrottledStatusCallCountsAsStillInProgress() async throws {
        let service = FakeInvalidationService(pollsUntilComplete: 0, throttledStatusCalls: [0])
        let time = VirtualClock()
        let invalidator = invalidator(service, time, EventLog())
        let submitted = try await invalidator.submit(InvalidationPlan(paths: ["/a"], reason: ""), version: "v")
        try await invalidator.wait(for: submitted, timeout: .seconds(600))
        #expect(await service.statusCalls.count == 2)
        #expect(time.sleeps == [.seconds(10)])
    }

    @Test func waitGivesUpWithATimeoutNamingWhatIsPending() async throws {
        let service = FakeInvalidationService(pollsUntilComplete: 1000)
        let time = VirtualClock()
        let invalidator = invalidator(service, time, EventLog())
        let submitted = try await invalidator.submit(InvalidationPlan(paths: ["/a"], reason: ""), version: "v")
        let error = await #expect(throws: InvalidationTimeout.self) {
            try await invalidator.wait(for: submitted, timeout: .seconds(25))
        }
        #expect(error?.pending == ["I1"])
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("CloudFront invalidation I1 still in progress after 25 s"))
        #expect(text.contains("the new version is live"))
        // 10 + 10 + the 5 left before the deadline, then one last poll.
        #expect(time.sleeps == [.seconds(10), .seconds(10), .seconds(5)])
        #expect(await service.statusCalls.count == 4)
        #expect(InvalidationTimeout(pending: ["A", "B"], timeout: .seconds(900)).description
            .hasPrefix("CloudFront invalidations A, B still in progress after 15 min;"))
    }

    @Test func batchesRespectThePathAndWildcardLimits() {
        let limits = InvalidationPlanner.Limits(maxPaths: 3, maxWildcards: 2)
        let paths = ["/a", "/b*", "/c", "/d", "/e*", "/f*", "/g", "/h"]
        #expect(Invalidator.batches(paths, limits: limits) == [["/a", "/b*", "/c", "/d", "/e*"], ["/f*", "/g", "/h"]])
        #expect(Invalidator.batches([], limits: limits).isEmpty)
        let many = (1...7000).map { "/f\($0)" }
        #expect(Invalidator.batches(many, limits: .init()).map(\.count) == [3000, 3000, 1000])
    }

    @Test func aLaterBatchWaitsUntilTheEarlierOnesLeaveRoom() async throws {
        let service = FakeInvalidationService(pollsUntilComplete: 2)
        let time = VirtualClock()
        let events = EventLog()
        let limits = InvalidationPlanner.Limits(maxPaths: 2, maxWildcards: 15)
        let invalidator = invalidator(service, time, events, limits: limits)
        let plan = InvalidationPlan(paths: ["/a", "/b", "/c", "/d", "/e"], reason: "")
        let submitted = try await invalidator.submit(plan, version: "v")
        #expect(submitted.map(\.paths) == [["/a", "/b"], ["/c", "/d"], ["/e"]])
        #expect(submitted.map(\.id) == ["I1", "I2", "I3"])
        #expect(Set(submitted.map(\.callerReference)).count == 3)
        // Each later batch polled the one before it until it completed.
        #expect(await service.statusCalls == ["I1", "I1", "I1", "I2", "I2", "I2"])
        #expect(time.sleeps == [.seconds(10), .seconds(10), .seconds(10), .seconds(10)])
        #expect(events.all.contains(.waitingForRoom(inFlightPaths: 2, inFlightWildcards: 0)))
        try await invalidator.wait(for: submitted, timeout: .seconds(600))
    }

    @Test func backoffDelaysDoubleUpToTheMaximum() {
        let backoff = InvalidationBackoff(initial: .seconds(3), maximum: .seconds(20), maxAttempts: 10, jitter: false)
        #expect((1...6).map { backoff.delay(afterAttempt: $0) } == [.seconds(3), .seconds(6), .seconds(12), .seconds(20), .seconds(20), .seconds(20)])
    }
}
