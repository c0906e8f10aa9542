import Foundation

/// A cache entry found in a shared remote store (``RemoteCacheStore``).
public struct RemoteCacheEntry: Sendable, Equatable {
    /// The cache key the entry was saved under.
    public var key: String
    /// Where it is, for messages (`s3://bucket/prefix/<key>.tar.zst`).
    public var location: String
    public var size: Int64

    public init(key: String, location: String, size: Int64) {
        self.key = key
        self.location = location
        self.size = size
    }
}

/// A build cache shared by runners (`--cache s3://bucket/prefix`): compressed tar archives
/// of `cache.paths`, one per cache key. The engine calls it from its own (non-async)
/// thread, so every method blocks until done.
public protocol RemoteCacheStore: Sendable {
    /// The store's address, for messages (`s3://bucket/prefix/`).
    var description: String { get }
    /// The entry saved under `key`, else the newest whose key starts with the first
    /// fallback that matches anything (fallbacks in order).
    func find(key: String, fallbacks: [String]) throws -> RemoteCacheEntry?
    /// Downloads `entry` to the file `path` (streamed; replaced if present).
    func download(_ entry: RemoteCacheEntry, to path: String) throws
    /// Whether an entry with exactly this key exists.
    func contains(key: String) throws -> Bool
    /// Uploads the archive at `path` as the entry for `key`, replacing any. Returns where it went.
    @discardableResult
    func upload(_ path: String, key: String) throws -> String
}
