@testable import Deploy
import Foundation
import Testing

/// A lock object whose numbers are out of range (an edit, another tool) is unreadable, which
/// counts as alive: never a crash.
@Suite struct WritingLockParseTests {
    @Test func numbersOutOfRangeMakeTheLockUnreadableNotACrash() {
        let base = #"{"version":"v1","token":"t","host":"h","started":"2026-01-01T00:00:00Z""#
        #expect(WritingLock.parse(Array((base + #","pid":12}"#).utf8))?.pid == 12)
        #expect(WritingLock.parse(Array((base + #","pid":1e30}"#).utf8)) == nil)
        #expect(WritingLock.parse(Array((base + #","pid":4294967296}"#).utf8)) == nil)
        #expect(WritingLock.parse(Array((base + #","pid":12,"startTicks":99999999999999999999}"#).utf8))?.startTicks == nil)
    }
}
