import Foundation
import Synchronization
import Testing
@testable import AWSCore

/// RetryPolicy's classifier and backoff, the AIMD concurrency limit, and RetryingHTTPClient
/// over the real CurlHTTPClient against a server that fails on cue (FaultInjectionServer).
@Suite struct RetryTests {
    // MARK: - Classifier

    func response(_ status: Int, _ body: String = "", headers: [(String, String)] = []) -> Result<HTTPResponse, any Error> {
        .success(HTTPResponse(status: status, headers: HTTPResponseHeaders(headers), body: Array(body.utf8)))
    }

    func s3Error(_ code: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>m</Message><RequestId>r</RequestId></Error>"
    }

    @Test(arguments: [500, 502, 503, 504])
    func serverErrorStatusesAreRetried(status: Int) {
        #expect(RetryPolicy.decision(for: response(status), responseBody: nil) == .retry(.serviceError(status: status, code: nil)))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 412, 501])
    func otherErrorStatusesAreNotRetried(status: Int) {
        #expect(RetryPolicy.decision(for: response(status, s3Error("AccessDenied")), responseBody: nil) == .fail)
        #expect(RetryPolicy.decision(for: response(status), responseBody: nil) == .fail)
    }

    @Test func status429IsThrottling() {
        let decision = RetryPolicy.decision(for: response(429), responseBody: nil)
        #expect(decision == .retry(.throttled(status: 429, code: nil)))
    }

    @Test(arguments: ["Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                      "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestThrottled",
                      "SlowDown", "TooManyInvalidationsInProgress"])
    func throttlingCodesOn400AreRetriedAsThrottling(code: String) {
        let xml = RetryPolicy.decision(for: response(400, s3Error(code)), responseBody: nil)
        #expect(xml == .retry(.throttled(status: 400, code: code)))
        let queryXML = "<ErrorResponse xmlns=\"https://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>\(code)</Code></Error></ErrorResponse>"
        #expect(RetryPolicy.decision(for: response(400, queryXML), responseBody: nil) == .retry(.throttled(status: 400, code: code)))
        let json = "{\"__type\":\"com.amazonaws.service#\(code)\",\"message\":\"slow down\"}"
        #expect(RetryPolicy.decision(for: response(400, json), responseBody: nil) == .retry(.throttled(status: 400, code: code)))
    }

    @Test(arguments: ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"])
    func s3TransientCodesAreRetriedOnAnyStatus(code: String) {
        guard case .retry = RetryPolicy.decision(for: response(400, s3Error(code)), responseBody: nil) else {
            Issue.record("\(code) on 400 was not retried")
            return
        }
        #expect(RetryPolicy.decision(for: response(503, s3Error(code)), responseBody: nil) != .fail)
    }

    /// S3 answers a conditional write that met a concurrent one with 409 ConditionalRequestConflict
    /// and asks for a retry; a failed precondition (412) is an answer, not retried.
    @Test func aConditionalRequestConflictIsRetriedAndAFailedPreconditionIsNot() {
        #expect(RetryPolicy.decision(for: response(409, s3Error("ConditionalRequestConflict")), responseBody: nil)
                == .retry(.serviceError(status: 409, code: "ConditionalRequestConflict")))
        #expect(RetryPolicy.decision(for: response(412, s3Error("PreconditionFailed")), responseBody: nil) == .fail)
        #expect(RetryPolicy.decision(for: response(409, s3Error("BucketAlreadyExists")), responseBody: nil) == .fail)
    }

    @Test func slowDown503IsThrottling() {
        #expect(RetryPolicy.decision(for: response(503, s3Error("SlowDown")), responseBody: nil)
                == .retry(.throttled(status: 503, code: "SlowDown")))
    }

    @Test func successWithAnErrorDocumentIsRetriedOnlyWhenTheBodyIsInspected() {
        let body = s3Error("InternalError")
        let result = response(200, body)
        #expect(RetryPolicy.decision(for: result, responseBody: Array(body.utf8))
                == .retry(.errorInSuccessResponse(status: 200, code: "InternalError")))
        #expect(RetryPolicy.decision(for: result, responseBody: nil) == .success, "a download may be XML")
        let copyResult = "<?xml version=\"1.0\"?><CopyObjectResult><ETag>\"e\"</ETag><LastModified>t</LastModified></CopyObjectResult>"
        #expect(RetryPolicy.decision(for: response(200, copyResult), responseBody: Array(copyResult.utf8)) == .success)
        let nested = "<Result><Error><Code>InternalError</Code></Error></Result>"
        #expect(RetryPolicy.decision(for: response(200, nested), responseBody: Array(nested.utf8)) == .success,
                "only an <Error> root counts")
        #expect(RetryPolicy.decision(for: response(204), responseBody: []) == .success)
    }

    @Test func transportFailuresAreClassified() {
        func transfer(_ code: UInt32) -> Result<HTTPResponse, any Error> {
            .failure(HTTPClientError.transfer(curlCode: code, url: "http://h/", detail: "d", caFile: "ca"))
        }
        #expect(RetryPolicy.decision(for: transfer(56), responseBody: nil) == .retry(.connectionReset))   // RECV_ERROR
        #expect(RetryPolicy.decision(for: transfer(52), responseBody: nil) == .retry(.connectionReset))   // GOT_NOTHING
        #expect(RetryPolicy.decision(for: transfer(28), responseBody: nil) == .retry(.timedOut))          // OPERATION_TIMEDOUT
        #expect(RetryPolicy.decision(for: transfer(7), responseBody: nil) == .retry(.connectFailed))      // COULDNT_CONNECT
        #expect(RetryPolicy.decision(for: transfer(60), responseBody: nil) == .fail)                      // PEER_FAILED_VERIFICATION
        // Not HTTP (HTTP/0.9, a bad status line): an earlier answer's leftovers on a reused
        // connection are retried; on a new connection the server itself speaks no HTTP.
        for code: UInt32 in [1, 8] {
            let reused = HTTPClientError.transfer(curlCode: code, url: "http://h/", detail: "d", caFile: "ca", reusedConnection: true)
            #expect(RetryPolicy.decision(for: .failure(reused), responseBody: nil) == .retry(.garbledByEarlierAnswer))
            #expect(RetryPolicy.decision(for: transfer(code), responseBody: nil) == .fail)
        }
        #expect(RetryPolicy.decision(for: .failure(CancellationError()), responseBody: nil) == .fail)
        #expect(RetryPolicy.decision(for: .failure(HTTPClientError.responseBodyTooLarge(limit: 1, url: "u")), responseBody: nil) == .fail)
    }

    /// A proxy's 502/503/504 to the tunnel is its or the network's failure ("retry later"):
    /// retried; its 403 or 407 is a rule or a missing password: not.
    @Test func aProxyFailingTheTunnelIsRetriedAndOneRefusingItIsNot() {
        func tunnel(_ status: Int) -> Result<HTTPResponse, any Error> {
            .failure(HTTPClientError.transfer(curlCode: 56, url: "https://h/", detail: "CONNECT tunnel failed, response \(status)", caFile: "ca"))
        }
        for status in [502, 503, 504] {
            #expect(RetryPolicy.decision(for: tunnel(status), responseBody: nil) == .retry(.proxyFailed(status: status)))
        }
        #expect(RetryPolicy.decision(for: tunnel(407), responseBody: nil) == .fail)
        #expect(RetryPolicy.decision(for: tunnel(403), responseBody: nil) == .fail)
    }

    @Test func errorCodesAreParsedFromHeadersXMLAndJSON() {
        #expect(ServiceErrorCode.parse(body: Array(s3Error("NoSuchKey").utf8)) == "NoSuchKey")
        #expect(ServiceErrorCode.parse(body: Array("{\"code\":\"ThrottlingException\"}".utf8)) == "ThrottlingException")
        #expect(ServiceErrorCode.parse(body: Array("{\"__type\":\"ThrottlingException:http://internal.amazon.com/coral/\"}".utf8))
                == "ThrottlingException")
        #expect(ServiceErrorCode.parse(headers: HTTPResponseHeaders([("x-amzn-ErrorType", "TooManyRequestsException:http://x/")]),
                                       body: []) == "TooManyRequestsException")
        #expect(ServiceErrorCode.parse(body: Array("<!-- c --><Error>\n <Code> SlowDown </Code></Error>".utf8)) == "SlowDown")
        #expect(ServiceErrorCode.parse(body: Array("<ListBucketResult><Code>x</Code></ListBucketResult>".utf8)) == nil)
        #expect(ServiceErrorCode.parse(body: Array("not an error".utf8)) == nil)
        #expect(ServiceErrorCode.parse(body: []) == nil)
    }

    // MARK: - Backoff

    @Test func backoffCeilingDoublesUpToTheCap() {
        let policy = RetryPolicy(random: { 1 })
        let reason = RetryReason.connectionReset
        let ceilings = (0..<10).map { policy.delayCeiling(beforeRetry: $0, reason: reason) }
        #expect(ceilings.prefix(5) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600)])
        #expect(policy.delayCeiling(beforeRetry: 8, reason: reason) == .seconds(20), "25.6 s is capped")
        #expect(policy.delayCeiling(beforeRetry: 1000, reason: reason) == .seconds(20))
        #expect(policy.delay(beforeRetry: 3, reason: reason) == .milliseconds(800), "random 1 waits the full ceiling")
        #expect(RetryPolicy(random: { 0 }).delay(beforeRetry: 3, reason: reason) == .zero, "full jitter reaches 0")
        #expect(policy.delayCeiling(beforeRetry: 0, reason: .throttled(status: 503, code: "SlowDown")) == .seconds(1))
        #expect(policy.maxAttempts == 5)
    }

    @Test func jitteredDelaysStayWithinTheirBoundsAndSpread() {
        // A seeded generator (SplitMix64), so the test is deterministic.
        let seed = Mutex<UInt64>(42)
        let policy = RetryPolicy(random: {
            seed.withLock { state in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
            }
        })
        for retry in 0..<12 {
            let ceiling = policy.delayCeiling(beforeRetry: retry, reason: .timedOut)
            let delays = (0..<200).map { _ in policy.delay(beforeRetry: retry, reason: .timedOut) }
            #expect(delays.allSatisfy { $0 >= .zero && $0 <= ceiling })
            #expect(delays.contains { $0 < ceiling / 4 } && delays.contains { $0 > ceiling * 3 / 4 }, "spread over 0...ceiling")
        }
    }

    // MARK: - AIMD

    @Test func aimdRuleHalvesOncePerWindowAndGrowsByOnePerWindow() {
        var rule = AIMDLimit(initial: 32, maximum: 40)
        rule.record(.throttled, admittedEpoch: 0)
        #expect(rule.limit == 16)
        rule.record(.throttled, admittedEpoch: 0)
        #expect(rule.limit == 16, "a throttle sent under the old limit does not halve again")
        rule.record(.throttled, admittedEpoch: rule.epoch)
        #expect(rule.limit == 8)
        for _ in 0..<7 { rule.record(.success, admittedEpoch: rule.epoch) }
        #expect(rule.limit == 8)
        rule.record(.success, admittedEpoch: rule.epoch)
        #expect(rule.limit == 9, "one window of successes adds one")
        rule.record(.neutral, admittedEpoch: rule.epoch)
        #expect(rule.limit == 9)
        for _ in 0..<10 { rule.record(.throttled, admittedEpoch: rule.epoch) }
        #expect(rule.limit == 1, "never below the minimum")
        for _ in 0..<10_000 { rule.record(.success, admittedEpoch: rule.epoch) }
        #expect(rule.limit == 40, "never above the maximum")
    }

    @Test func aBurstOfThrottlesLowersTheLimitAndSuccessesRaiseIt() async throws {
        let concurrency = AdaptiveConcurrency(initial: 8, maximum: 16)
        var permits: [AdaptiveConcurrency.Permit] = []
        for _ in 0..<8 { permits.append(try await concurrency.acquire()) }
        #expect(concurrency.inFlight == 8)
        for permit in permits { concurrency.release(permit, outcome: .throttled) }
        #expect(concurrency.limit == 4, "a burst from one window halves once")
        for _ in 0..<3 {
            concurrency.release(try await concurrency.acquire(), outcome: .throttled)
        }
        #expect(concurrency.limit == 1, "throttles in later windows keep halving down to 1")
        for _ in 0..<(1 + 2 + 3) {
            concurrency.release(try await concurrency.acquire(), outcome: .success)
        }
        #expect(concurrency.limit == 4)
        #expect(concurrency.inFlight == 0)
    }

    @Test func acquireWaitsForASlotAndHonoursCancellation() async throws {
        let concurrency = AdaptiveConcurrency(initial: 1, maximum: 1)
        let held = try await concurrency.acquire()
        let waiter = Task { try await concurrency.acquire() }
        let cancelled = Task { try await concurrency.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        concurrency.release(held, outcome: .neutral)
        let next = try await waiter.value
        #expect(concurrency.inFlight == 1)
        concurrency.release(next, outcome: .success)
        #expect(concurrency.inFlight == 0)
    }

    // MARK: - Against the fault-injection server

    static func fastPolicy(maxAttempts: Int = 5) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(2), throttlingBaseDelay: .milliseconds(5))
    }

    func key() -> String { UUID().uuidString }

    @Test func slowDownIsRetriedUntilItSucceeds() async throws {
        try await withFaultInjectionServer { server in
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy())
            let key = key()
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/slowdown/2/\(key)")))
            #expect(response.status == 200)
            #expect(try await server.counts(key).count == 3)
        }
    }

    @Test func connectionResetsAreRetriedAndFileBodiesResentWhole() async throws {
        try await withFaultInjectionServer { server in
            let file = try TemporaryFile(megabytes: 1)
            defer { file.remove() }
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy())
            let key = key()
            let response = try await client.execute(HTTPRequest(method: "PUT", url: server.url("/fault/reset/2/\(key)")),
                                                    body: .file(path: file.path, offset: 1000, length: 200_000),
                                                    responseBody: .collect(limit: 1 << 20))
            #expect(response.status == 200)
            let echoed = try JSONDecoder().decode([String: AnyCodableValue].self, from: Data(response.body))
            #expect(echoed["length"] == .int(200_000))
            #expect(echoed["sha256"] == .string(try sha256OfFileRange(file.path, offset: 1000, length: 200_000)))
            #expect(try await server.counts(key).count == 3)
        }
    }

    @Test func stallsPastTheLowSpeedTimeoutAreRetried() async throws {
        try await withFaultInjectionServer { server in
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy())
            let key = key()
            let request = HTTPRequest(method: "GET", url: server.url("/fault/stall/1/\(key)?seconds=5"),
                                      timeouts: .init(connect: 5, lowSpeedLimit: 1, lowSpeedTime: 1))
            let response = try await client.execute(request)
            #expect(response.status == 200)
            #expect(try await server.counts(key).count == 2)
        }
    }

    /// A server or proxy that sends a body after a HEAD answer leaves it on the kept-alive
    /// connection, where the next request reads it as the start of its own answer (curl:
    /// "Received HTTP/0.9 when not allowed"). That request is retried on a new connection.
    @Test func anAnswerGarbledByAHeadAnswersBodyIsRetriedOnANewConnection() async throws {
        try await withFaultInjectionServer { server in
            // One connection, so every request after the HEAD goes over the one it garbled.
            let base = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: 1, maxTotalConnections: 1, environment: [:]))
            // (A few tries: on a loaded machine curl may have let the connection go between the
            // two, and the next request then goes over a new one, ungarbled.)
            var garbled: HTTPClientError?
            for _ in 0..<5 where garbled == nil {
                let plainKey = key()
                #expect(try await base.execute(HTTPRequest(method: "HEAD", url: server.url("/fault/headbody/1/\(plainKey)"))).status == 200)
                do {
                    _ = try await base.execute(HTTPRequest(method: "GET", url: server.url("/fault/slowdown/0/\(plainKey)")))
                } catch let error as HTTPClientError {
                    garbled = error
                }
            }
            let error = try #require(garbled, "the answer after a HEAD answer with a body was taken as valid, five times")
            #expect(error.isGarbledByEarlierAnswer, "\(error)")
            #expect(error.description.contains("HEAD answer with a body"), "\(error)")

            let client = RetryingHTTPClient(wrapping: base, policy: Self.fastPolicy())
            for round in 0..<3 {
                let key = key()
                let head = try await client.execute(HTTPRequest(method: "HEAD", url: server.url("/fault/headbody/5/\(key)")))
                #expect(head.status == 200)
                let put = try await client.execute(HTTPRequest(method: "PUT", url: server.url("/fault/slowdown/0/\(key)-put")),
                                                   body: .bytes(Array("round \(round)".utf8)), responseBody: .collect(limit: 1 << 16))
                #expect(put.status == 200 && String(decoding: put.body, as: UTF8.self).contains(#""length": 7"#), "\(put)")
            }
        }
    }

    @Test func successWithAnErrorDocumentIsRetriedForPutAndPost() async throws {
        try await withFaultInjectionServer { server in
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy())
            let key = key()
            let response = try await client.execute(HTTPRequest(method: "PUT", url: server.url("/fault/200error/2/\(key)")),
                                                    body: .bytes(Array("copy".utf8)), responseBody: .collect(limit: 1 << 20))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self).contains("\"length\": 4"))
            #expect(try await server.counts(key).count == 3)

            let getKey = self.key()
            let download = try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/200error/2/\(getKey)")))
            #expect(String(decoding: download.body, as: UTF8.self).contains("<Code>InternalError</Code>"),
                    "a GET body is content, not an error document")
            #expect(try await server.counts(getKey).count == 1)
        }
    }

    @Test func accessDeniedIsNotRetried() async throws {
        try await withFaultInjectionServer { server in
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy())
            let key = key()
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/403/\(key)")))
            #expect(response.status == 403)
            #expect(ServiceErrorCode.parse(body: response.body) == "AccessDenied")
            #expect(try await server.counts(key).count == 1)
        }
    }

    @Test func jsonThrottlingIsRetriedAndLowersTheLimit() async throws {
        try await withFaultInjectionServer { server in
            let concurrency = AdaptiveConcurrency(initial: 16, maximum: 64)
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy(), concurrency: concurrency)
            let key = key()
            let response = try await client.execute(HTTPRequest(method: "POST", url: server.url("/fault/throttle/2/\(key)")),
                                                    body: .bytes(Array("{}".utf8)), responseBody: .collect(limit: 1 << 20))
            #expect(response.status == 200)
            #expect(try await server.counts(key).count == 3)
            #expect(concurrency.limit == 4)
        }
    }

    /// A caller with its own backoff for throttling (invalidations under --wait-timeout) gets
    /// the throttling answer at once; other failures are still retried.
    @Test func throttlingIsLeftToTheCallerWhenThePolicySaysSo() async throws {
        try await withFaultInjectionServer { server in
            var policy = Self.fastPolicy()
            policy.retriesThrottling = false
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: policy)
            let throttled = key()
            let response = try await client.execute(HTTPRequest(method: "POST", url: server.url("/fault/throttle/2/\(throttled)")),
                                                    body: .bytes(Array("{}".utf8)), responseBody: .collect(limit: 1 << 20))
            #expect(response.status != 200)
            #expect(try await server.counts(throttled).count == 1)
            let failing = key()
            let recovered = try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/reset/2/\(failing)")))
            #expect(recovered.status == 200)
            #expect(try await server.counts(failing).count == 3)
        }
    }

    @Test func exhaustedRetriesSayHowManyAttemptsAndWhy() async throws {
        try await withFaultInjectionServer { server in
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy(maxAttempts: 3))
            let key = key()
            let url = server.url("/fault/slowdown/100/\(key)")
            let error = try await #require(throws: RetryExhaustedError.self) {
                try await client.execute(HTTPRequest(method: "GET", url: url))
            }
            #expect(error.attempts == 3)
            #expect(error.lastResponse?.status == 503)
            #expect(error.wasThrottled)
            #expect(error.description.contains("after 3 attempts"))
            #expect(error.description.contains("SlowDown"))
            #expect(error.description.contains(url))
            #expect(try await server.counts(key).count == 3)

            let resetKey = self.key()
            let reset = try await #require(throws: RetryExhaustedError.self) {
                try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/reset/100/\(resetKey)")))
            }
            #expect(reset.reasons == [.connectionReset, .connectionReset, .connectionReset])
            #expect((reset.lastError as? HTTPClientError)?.isConnectionReset == true)
            #expect(reset.description.contains("connection reset"))
        }
    }

    @Test func fileDownloadsAppearOnlyWhenAnAttemptSucceeds() async throws {
        try await withFaultInjectionServer { server in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retry-download-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy(maxAttempts: 3))

            let path = directory.appendingPathComponent("object").path
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/reset/1/\(key())")),
                                                    body: .none, responseBody: .file(path: path))
            #expect(response.status == 200)
            #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self).contains("\"length\": 0"))

            let failedPath = directory.appendingPathComponent("never").path
            await #expect(throws: RetryExhaustedError.self) {
                try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/slowdown/100/\(self.key())")),
                                         body: .none, responseBody: .file(path: failedPath))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["object"],
                    "no partial or temporary files")
        }
    }

    /// The backoff is an hour: if cancelling did not end the sleep, the test would hang until
    /// its time limit instead of finishing.
    @Test(.timeLimit(.minutes(10))) func cancellationStopsTheBackoff() async throws {
        try await withFaultInjectionServer { server in
            let policy = RetryPolicy(baseDelay: .seconds(3600), throttlingBaseDelay: .seconds(3600), maxDelay: .seconds(3600), random: { 1 })
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: policy)
            let key = key()
            let task = Task { try await client.execute(HTTPRequest(method: "GET", url: server.url("/fault/slowdown/100/\(key)"))) }
            // Wait until the first attempt has been answered and the client is backing off
            // (however long a loaded machine takes: the time limit bounds it).
            while try await server.counts(key).count < 1 {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try await server.counts(key).count == 1)
        }
    }

    @Test func manyConcurrentRequestsConvergeUnderAnInFlightCeiling() async throws {
        try await withFaultInjectionServer { server in
            let concurrency = AdaptiveConcurrency(initial: 32, maximum: 64)
            let client = RetryingHTTPClient(wrapping: CurlHTTPClient(), policy: Self.fastPolicy(maxAttempts: 12),
                                            concurrency: concurrency)
            let key = key()
            let url = server.url("/fault/inflight/4/\(key)?hold=0.01")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await client.execute(HTTPRequest(method: "GET", url: url)).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
            let counts = try await server.counts(key)
            #expect(counts.throttled > 0, "the ceiling was hit, so the limit had something to adapt to")
            #expect(counts.count == 200 + counts.throttled)
            #expect(concurrency.limit < 32, "throttling lowered the limit (now \(concurrency.limit))")
            #expect(concurrency.inFlight == 0)
        }
    }
}

/// Just enough JSON value to compare the fault server's echo fields.
enum AnyCodableValue: Decodable, Equatable {
    case int(Int)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int.self) { self = .int(int) } else { self = .string(try container.decode(String.self)) }
    }
}
