import SiteContent

/// How a version was routed when it was made live: the routing mode and the trailing-slash
/// setting, as its release records (and, before them, its manifest) keep them. The CloudFront
/// Function has both fixed in its published code, so a version made live with another routing
/// than the one it replaces is served with the function's, not its own.
public struct SiteRouting: Sendable, Equatable, CustomStringConvertible {
    /// `static` or `spa`.
    public var mode: String
    /// `none`, `always` or `never`; nil when not recorded (records and manifests written before
    /// sitebuild kept it).
    public var trailingSlash: String?

    public init(mode: String, trailingSlash: String?) {
        self.mode = mode
        self.trailingSlash = trailingSlash
    }

    /// `spa, trailing slash none`.
    public var description: String { mode + (trailingSlash.map { ", trailing slash \($0)" } ?? "") }

    /// Whether a function published for one routes the other differently: another mode, or
    /// another trailing-slash setting when both are known.
    public func differs(from other: SiteRouting) -> Bool {
        if mode != other.mode { return true }
        guard let trailingSlash, let other = other.trailingSlash else { return false }
        return trailingSlash != other
    }
}

/// A flip between versions recorded with different routings (``SiteRouting/differs(from:)``).
public struct RoutingChange: Sendable, Equatable {
    /// The routing of the version that was live.
    public var previous: SiteRouting
    /// The routing of the version made live.
    public var live: SiteRouting

    public init(previous: SiteRouting, live: SiteRouting) {
        self.previous = previous
        self.live = live
    }
}
