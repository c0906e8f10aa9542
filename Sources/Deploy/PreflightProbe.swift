import AWSCore
import AWSServices
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Gathers the ``PreflightFacts`` of a site: reads only (HeadBucket, the pointer, the live
/// manifest, GetDistribution, DescribeFunction, DescribeCertificate, Route 53 listings); it
/// never changes anything. Every failure is kept as a fact for ``Preflight/evaluate(_:)``
/// to explain, so ``gather()`` does not throw.
public struct PreflightProbe: Sendable {
    public var target: any DeployTarget
    public var pointer: any PointerStore
    /// The distribution id; nil skips every CloudFront, ACM and Route 53 look-up.
    public var distributionId: String?
    /// Normalized domains (see ``Preflight/normalizeDomain(_:)``).
    public var domains: [String]
    public var cloudFront: CloudFrontClient?
    public var acm: ACMClient?
    public var route53: Route53Client?
    public var now: Date
    /// Whether the target's last release record is read when the pointer holds nothing (a
    /// failure then: the pointer is not the one the deploys use). Off for the pre-flight of a
    /// first flip, which is a new pointer's first deploy.
    public var readsLastRelease = true

    public init(target: any DeployTarget, pointer: any PointerStore, distributionId: String?, domains: [String],
                cloudFront: CloudFrontClient?, acm: ACMClient?, route53: Route53Client?, now: Date = Date()) {
        self.target = target
        self.pointer = pointer
        self.distributionId = distributionId
        self.domains = domains
        self.cloudFront = cloudFront
        self.acm = acm
        self.route53 = route53
        self.now = now
    }

    public func gather() async -> PreflightFacts {
        let targetFacts = await probeTarget()
        var facts = PreflightFacts(target: targetFacts, pointer: .other, pointerURL: pointer.url, live: .found(nil),
                                   distributionId: distributionId, domains: domains, now: now)
        switch pointer {
        case let store as KeyValueStorePointerStore:
            facts.pointer = .keyValueStore(arn: store.client.kvsARN, key: store.key)
        case let store as DynamoDBPointerStore:
            facts.pointer = .dynamoDB(table: store.table, key: store.key, region: store.client.region, partitionKey: store.partitionKey)
        case let store as S3PointerStore:
            facts.pointer = .s3(bucket: store.bucket, key: store.key)
            if (target as? S3Target)?.location.bucket != store.bucket {
                facts.pointerBucket = await Self.probeBucket(store.bucket, client: store.client)
            }
        case let store as LocalPointerStore:
            facts.pointer = .local(path: store.path)
            facts.pointerAccess = Self.localAccess((store.path as NSString).deletingLastPathComponent)
        default:
            break
        }
        let pointerUsable = facts.pointerBucket.map(\.isReachable) ?? true
        if pointerUsable {
            do {
                facts.live = .found(try await pointer.read().version)
            } catch {
                facts.live = Self.failure(error)
            }
        }
        if pointerUsable, case .found(nil) = facts.live, readsLastRelease, Self.isUsable(targetFacts) {
            facts.lastRelease = try? await Deployer(target: target, pointer: pointer).lastRelease()
        }
        if case .found(let version?) = facts.live, Self.isUsable(targetFacts) {
            do {
                let complete = try await target.manifestExists(version)
                facts.liveManifest = .found(complete)
                // Without a manifest: files under the version's folder are another tool's
                // upload (the Hosting Toolkit's), served as they are; none is a broken site.
                // With one, no files is a version emptied behind sitebuild's back.
                facts.liveHasFiles = try? await !target.firstObjects(of: version, limit: 1).isEmpty
                // Nothing of it, ever: the pointer most likely serves another site.
                if !complete, facts.liveHasFiles == false {
                    facts.liveIsStranger = try? await Deployer(target: target, pointer: pointer).hasNoRecord(of: version)
                }
                // With one, its objects are listed against it: some may have been deleted.
                if complete {
                    do {
                        if let manifest = try await target.readManifest(version), let missing = try? await target.missingObjects(of: manifest) {
                            facts.liveMissing = MissingObjects(missing, of: manifest)
                        }
                    } catch let damaged as DamagedManifest {
                        facts.liveDamaged = damaged.reason
                        facts.liveTooNew = damaged.tooNew
                    } catch {}
                }
            } catch {
                facts.liveManifest = Self.failure(error)
            }
        }
        guard let distributionId, let cloudFront else { return facts }
        let distribution: CloudFrontClient.Distribution
        do {
            distribution = try await cloudFront.getDistribution(id: distributionId)
            facts.distribution = .found(distribution)
        } catch {
            facts.distribution = Self.failure(error)
            return facts
        }
        if case .keyValueStore = facts.pointer, let association = Preflight.viewerRequestFunction(distribution) {
            do {
                facts.function = .found(try await cloudFront.describeFunction(name: Preflight.functionName(ofARN: association.functionARN)))
            } catch {
                facts.function = Self.failure(error)
            }
        }
        guard !domains.isEmpty else { return facts }
        if let arn = distribution.acmCertificateArn, let acm {
            do {
                facts.certificate = .found(try await acm.describeCertificate(arn: arn))
            } catch {
                facts.certificate = Self.failure(error)
            }
        }
        if let route53 {
            for domain in domains where facts.dns[domain] == nil {
                facts.dns[domain] = await Self.records(of: domain, route53: route53)
            }
        }
        return facts
    }

    // MARK: - Look-ups

    func probeTarget() async -> PreflightFacts.Target {
        switch target {
        case let s3 as S3Target:
            return .s3(bucket: s3.location.bucket, prefix: s3.location.prefix, region: s3.client.region,
                       probe: await Self.probeBucket(s3.location.bucket, client: s3.client))
        case let local as LocalTarget:
            return .local(root: local.root, access: Self.localAccess(local.root))
        default:
            return .local(root: target.url, access: .writable)
        }
    }

    static func isUsable(_ target: PreflightFacts.Target) -> Bool {
        switch target {
        case .s3(_, _, _, let probe): probe.isReachable
        case .local: true
        }
    }

    /// HeadBucket, as a fact.
    static func probeBucket(_ bucket: String, client: S3Client) async -> PreflightFacts.BucketProbe {
        do {
            let head = try await client.headBucket(bucket)
            switch head.status {
            case 404:
                return .missing
            case 403:
                return .denied(credentials: try? await client.credentials.credentials().source)
            default:
                // A bucket in another region: S3's redirect was followed, as a deploy follows it.
                if let redirected = client.redirectedRegion(of: bucket) { return .reachable(region: redirected) }
                // S3-compatible servers (a custom endpoint) name regions their own way.
                return .reachable(region: client.endpoint.source == "default" ? head.region : nil)
            }
        } catch {
            return failureProbe(error)
        }
    }

    static func failureProbe(_ error: any Error) -> PreflightFacts.BucketProbe {
        let lookup: PreflightLookup<Bool> = failure(error)
        switch lookup {
        case .missing: return .missing
        case .denied(let credentials): return .denied(credentials: credentials)
        case .failed(let text): return .failed(text)
        case .found: return .failed("\(error)")
        }
    }

    /// The error codes that mean "it does not exist".
    static let missingCodes: Set<String> = ["NoSuchDistribution", "NoSuchFunctionExists", "ResourceNotFoundException",
                                             "NoSuchHostedZone", "NoSuchBucket", "EntityNotFoundException"]

    /// An error as a look-up answer: missing, denied or failed.
    public static func failure<Value>(_ error: any Error) -> PreflightLookup<Value> {
        if error is PointerResourceMissing { return .missing }
        if let error = error as? AWSServiceError, let code = error.errorCode {
            if missingCodes.contains(code) { return .missing }
            if code.hasPrefix("AccessDenied") || code == "UnauthorizedOperation" { return .denied(credentials: error.credentialSource) }
        }
        return .failed("\(error)")
    }

    /// Whether `path` (or, when it does not exist, its nearest existing ancestor) is a
    /// writable directory.
    public static func localAccess(_ path: String) -> PreflightFacts.LocalAccess {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return .notDirectory(path) }
            return access(path, W_OK) == 0 ? .writable : .notWritable(path)
        }
        var parent = path
        repeat {
            parent = (parent as NSString).deletingLastPathComponent
        } while !parent.isEmpty && parent != "/" && !FileManager.default.fileExists(atPath: parent)
        if parent.isEmpty { parent = "/" }
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .notDirectory(parent)
        }
        return access(parent, W_OK) == 0 ? .creatable(parent: parent) : .notWritable(parent)
    }

    /// The hosted zone holding `domain` (the most specific public one) and its records named
    /// `domain`; `.missing` when no zone holds it.
    static func records(of domain: String, route53: Route53Client) async -> PreflightLookup<PreflightFacts.DNSRecords> {
        do {
            for candidate in Preflight.zoneCandidates(domain) {
                let zones = try await route53.listHostedZonesByName(dnsName: candidate)
                guard let zone = zones.first(where: { Preflight.normalizeDomain($0.name) == candidate && !$0.privateZone }) else {
                    continue
                }
                let sets = try await route53.listResourceRecordSets(hostedZoneId: zone.id, startName: domain)
                let named = sets.filter { Preflight.normalizeDomain($0.name) == domain }
                // A name that does not exist in the zone (no records at it or below it) is answered
                // by the wildcard of its closest encloser (RFC 4592): `*.example.com` for
                // www.example.com. A name that exists only through records below it (an ACM
                // validation record `_x.www.example.com`) is not, nor is one below such a name.
                func exists(_ name: String, in sets: [Route53Client.ResourceRecordSet]) -> Bool {
                    sets.contains { let other = Preflight.normalizeDomain($0.name); return other == name || other.hasSuffix("." + name) }
                }
                if named.isEmpty && !exists(domain, in: sets) {
                    var labels = domain.split(separator: ".").map(String.init)
                    while labels.count > 1 {
                        labels.removeFirst()
                        let parent = labels.joined(separator: ".")
                        guard parent.count >= candidate.count else { break }
                        let wildcard = "*." + parent
                        let wildcardSets = try await route53.listResourceRecordSets(hostedZoneId: zone.id, startName: wildcard)
                            .filter { Preflight.normalizeDomain($0.name) == wildcard }
                        if !wildcardSets.isEmpty {
                            return .found(try await followed(.init(zoneName: zone.name, zoneId: zone.id, records: wildcardSets, wildcard: wildcard),
                                                             route53: route53))
                        }
                        // The closest encloser is the first name up that exists: its wildcard
                        // (none, here) is the only one that could answer.
                        if parent == candidate { break }
                        if exists(parent, in: try await route53.listResourceRecordSets(hostedZoneId: zone.id, startName: parent)) { break }
                    }
                }
                return .found(try await followed(.init(zoneName: zone.name, zoneId: zone.id, records: named), route53: route53))
            }
            return .missing
        } catch {
            return failure(error)
        }
    }

    /// `records` with the record sets of the names in its zone that they alias or CNAME to.
    static func followed(_ records: PreflightFacts.DNSRecords, route53: Route53Client) async throws -> PreflightFacts.DNSRecords {
        var records = records
        let zone = Preflight.normalizeDomain(records.zoneName)
        let targets = Set(records.records.flatMap(Preflight.pointedNames)).filter { $0 == zone || $0.hasSuffix("." + zone) }
        for name in targets.sorted() {
            records.followed[name] = try await route53.listResourceRecordSets(hostedZoneId: records.zoneId, startName: name)
                .filter { Preflight.normalizeDomain($0.name) == name }
        }
        return records
    }
}
