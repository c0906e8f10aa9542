import BuildSpec
import Testing

@Suite("OnFailure.parse")
struct OnFailureTests {
    @Test(arguments: [
        ("ABORT", OnFailure.abort),
        ("CONTINUE", .continue),
        ("RETRY", .retry(count: 3, pattern: nil)),
        ("RETRY-5", .retry(count: 5, pattern: nil)),
        ("RETRY-0", .retry(count: 0, pattern: nil)),
        ("RETRY-100", .retry(count: 100, pattern: nil)),
        ("RETRY-007", .retry(count: 7, pattern: nil)),
        ("RETRY-timeout", .retry(count: 3, pattern: "timeout")),
        ("RETRY-.*Throttl(ed|ing).*", .retry(count: 3, pattern: ".*Throttl(ed|ing).*")),
        ("RETRY-2-connection reset.*", .retry(count: 2, pattern: "connection reset.*")),
        ("RETRY-0-x", .retry(count: 0, pattern: "x")),
        ("RETRY-2-a-b", .retry(count: 2, pattern: "a-b")),
        // Digits not followed by '-' are the start of a regex, with the default count.
        ("RETRY-5xx", .retry(count: 3, pattern: "5xx")),
    ])
    func valid(_ text: String, _ expected: OnFailure) throws {
        let parsed = try OnFailure.parse(text).get()
        #expect(parsed == expected)
    }

    @Test func retryOutOfRange() throws {
        let result = OnFailure.parse("RETRY-101")
        #expect(throws: OnFailureParseError.self) { try result.get() }
        guard case .failure(let error) = result else { return }
        #expect(error.message.contains("0 to 100"))
        #expect(error.message.contains("RETRY-101"))
    }

    @Test(arguments: ["RETRY-101", "RETRY-1000-x", "RETRY-99999999999999999999999"])
    func countsAboveOneHundredAreRejected(_ text: String) {
        #expect(throws: OnFailureParseError.self) { try OnFailure.parse(text).get() }
    }

    @Test(arguments: ["RETRY-[", "RETRY-2-(unclosed", "RETRY-*"])
    func invalidRegex(_ text: String) throws {
        let result = OnFailure.parse(text)
        guard case .failure(let error) = result else {
            Issue.record("\(text) was accepted as \(result)")
            return
        }
        #expect(error.message.contains("not a valid regular expression"))
    }

    @Test(arguments: ["abort", "continue", "retry", "Retry-2", "Abort", "ABORT ", " CONTINUE", "", "STOP", "RETRY2"])
    func otherSpellingsAreRejected(_ text: String) throws {
        let result = OnFailure.parse(text)
        guard case .failure(let error) = result else {
            Issue.record("'\(text)' was accepted as \(result)")
            return
        }
        #expect(error.message.contains("not a valid on-failure value"))
        #expect(error.message.contains("ABORT, CONTINUE, RETRY"))
    }

    @Test(arguments: ["RETRY-", "RETRY-3-"])
    func emptyPatternIsRejected(_ text: String) throws {
        let result = OnFailure.parse(text)
        guard case .failure(let error) = result else {
            Issue.record("'\(text)' was accepted as \(result)")
            return
        }
        #expect(error.message.contains("empty retry pattern"))
    }
}
