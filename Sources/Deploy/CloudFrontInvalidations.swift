import AWSServices
import Foundation
import SiteContent

/// ``InvalidationService`` over ``CloudFrontClient`` for one distribution.
public struct CloudFrontInvalidations: InvalidationService {
    public let client: CloudFrontClient
    public let distributionId: String

    public init(client: CloudFrontClient, distributionId: String) {
        self.client = client
        self.distributionId = distributionId
    }

    public func create(paths: [String], callerReference: String) async throws -> String {
        do {
            return try await client.createInvalidation(distributionId: distributionId, paths: paths, callerReference: callerReference).id
        } catch let error as AWSServiceError where error.isCloudFrontThrottling {
            throw InvalidationThrottled(error.description)
        }
    }

    public func status(id: String) async throws -> String {
        do {
            return try await client.getInvalidation(distributionId: distributionId, id: id).status
        } catch let error as AWSServiceError where error.isCloudFrontThrottling {
            throw InvalidationThrottled(error.description)
        }
    }
}

/// The object keys whose content or headers differ between two versions, or that exist in
/// only one of them: what a viewer could get stale from a cache keyed by URL alone.
public enum ManifestDiff {
    public static func changedKeys(from old: Manifest, to new: Manifest) -> [String] {
        changes(from: old, to: new).keys
    }

    /// The changed keys (sorted), and how many distinct keys the two versions have together.
    public static func changes(from old: Manifest, to new: Manifest) -> (keys: [String], pathCount: Int) {
        // Both are sorted byte-wise by path: one merge pass, nothing copied but the answer.
        let before = old.entries, after = new.entries
        var changed: [String] = []
        var i = 0, j = 0, paths = 0
        while i < before.count || j < after.count {
            paths += 1
            if i == before.count {
                changed.append(after.path(at: j))
                j += 1
                continue
            }
            if j == after.count {
                changed.append(before.path(at: i))
                i += 1
                continue
            }
            let order = before.comparePath(at: i, with: after, at: j)
            if order < 0 {
                changed.append(before.path(at: i))
                i += 1
            } else if order > 0 {
                changed.append(after.path(at: j))
                j += 1
            } else {
                if before.hash(at: i) != after.hash(at: j) || before.headers(at: i) != after.headers(at: j) {
                    changed.append(after.path(at: j))
                }
                i += 1
                j += 1
            }
        }
        return (changed.sorted(), paths)
    }

    /// `changes(from:to:)` with the old version's manifest streamed from `manifestFile` (one
    /// entry at a time, never held whole): one flag per entry of `new`, and the answer. The
    /// file may list its entries in any order; it must name `version`.
    public static func changes(fromManifestFile manifestFile: String, version: String, to new: Manifest) throws -> (keys: [String], pathCount: Int) {
        let after = new.entries
        var seen = [Bool](repeating: false, count: after.count)
        var modified: [String] = []
        var removed: [String] = []
        let named = try Manifest.forEachEntry(inFile: manifestFile) { old in
            guard let index = new.index(of: old.path) else {
                removed.append(old.path)
                return
            }
            guard !seen[index] else { return }
            seen[index] = true
            if after.hash(at: index) != old.hash || after.headers(at: index) != old.headers {
                modified.append(old.path)
            }
        }
        guard named == version else {
            throw DeployError("the manifest of \(version) names version \(named): it was not written by sitebuild for this version")
        }
        removed.sort()
        var gone: [String] = []
        gone.reserveCapacity(removed.count)
        for path in removed where gone.last != path { gone.append(path) }
        var changed = modified + gone
        for index in after.indices where !seen[index] { changed.append(after.path(at: index)) }
        return (changed.sorted(), after.count + gone.count)
    }
}
