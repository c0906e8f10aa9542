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
        var before: [String: ManifestEntry] = [:]
        for entry in old.entries { before[entry.path] = entry }
        var changed: [String] = []
        for entry in new.entries {
            if let previous = before.removeValue(forKey: entry.path) {
                if previous.hash != entry.hash || previous.headers != entry.headers { changed.append(entry.path) }
            } else {
                changed.append(entry.path)
            }
        }
        changed += before.keys
        return changed.sorted()
    }
}
