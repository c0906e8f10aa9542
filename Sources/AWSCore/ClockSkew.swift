import Foundation
import Synchronization

/// The offset between a service's clock and this machine's, learned when the service refused
/// a request as signed at the wrong time (S3's `RequestTimeTooSkewed`: more than 15 minutes
/// apart), as the AWS SDKs do: the requests signed after that, by every client of the process
/// that talks to that endpoint, carry this machine's time plus the offset.
public enum ClockSkew {
    private static let offsets = Mutex<[String: TimeInterval]>([:])

    /// The time to sign a request to `endpoint` with: `now` (this machine's clock) corrected by
    /// the offset learned for it, if any.
    public static func signingTime(_ now: Date, endpoint: String) -> Date {
        now.addingTimeInterval(offsets.withLock { $0[endpoint] } ?? 0)
    }

    /// Learns the offset of `endpoint` from `serverTime` (the refusal's `Date` header or the
    /// time its error document gives) against `now`, this machine's clock. True when it moved
    /// by a minute or more, so that a request signed again may pass; false when nothing new was
    /// learned (sending it again would be refused again).
    public static func learn(serverTime: Date?, endpoint: String, now: Date) -> Bool {
        guard let serverTime else { return false }
        let offset = serverTime.timeIntervalSince(now)
        return offsets.withLock { offsets in
            guard abs(offset - (offsets[endpoint] ?? 0)) >= 60 else { return false }
            offsets[endpoint] = offset
            return true
        }
    }
}
