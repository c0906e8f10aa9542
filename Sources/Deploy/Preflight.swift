import AWSCore
import AWSServices
import Foundation
import SiteContent

/// The pre-flight check (`sitebuild doctor`) as a pure function: ``Preflight/evaluate(_:)``
/// turns what was fetched (``PreflightFacts``, gathered by ``PreflightProbe``) into one
/// ``PreflightCheck`` per thing checked, each failure saying precisely what is wrong and what
/// to do. Nothing here talks to a server, so every message is testable.
public enum Preflight {
    /// A certificate expiring within this many days fails the check.
    public static let certificateWarningDays = 30

    /// The checks, in the order they are printed: target, pointer, live version,
    /// distribution, origin, viewer-request function, the function's KeyValueStore, then
    /// alias, certificate and DNS for each domain.
    public static func evaluate(_ facts: PreflightFacts) -> [PreflightCheck] {
        var checks = [targetCheck(facts), pointerCheck(facts), liveVersionCheck(facts)]
        guard let id = facts.distributionId else {
            checks.append(.init(name: "distribution", status: .skip, subject: "distribution",
                                detail: "none configured (--distribution, SITEBUILD_DISTRIBUTION or distribution: in sitebuild.yml), "
                                    + "so CloudFront, certificate and DNS are not checked"))
            if !facts.domains.isEmpty {
                checks.append(.init(name: "domains", status: .skip, subject: "domains " + facts.domains.joined(separator: ", "),
                                    detail: "need a distribution to check the alias, certificate and DNS against"))
            }
            return checks
        }
        let distributionCheck = self.distributionCheck(id: id, facts.distribution)
        checks.append(distributionCheck)
        guard case .found(let distribution)? = facts.distribution else {
            let why = "distribution \(id) could not be read (see above)"
            checks.append(.init(name: "origin", status: .skip, subject: "origin", detail: why))
            checks.append(.init(name: "viewer-request-function", status: .skip, subject: "viewer-request function", detail: why))
            for domain in facts.domains {
                checks.append(.init(name: "domain", domain: domain, status: .skip, subject: "domain \(domain)", detail: why))
            }
            return checks
        }
        checks.append(originCheck(distribution, target: facts.target))
        checks.append(functionCheck(distribution, pointer: facts.pointer))
        if let check = functionStoreCheck(distribution, pointer: facts.pointer, function: facts.function) { checks.append(check) }
        if facts.domains.isEmpty {
            checks.append(.init(name: "domains", status: .skip, subject: "domains",
                                detail: "none configured (--domain or domains: in sitebuild.yml), so certificate and DNS are not checked"))
        }
        for domain in facts.domains {
            // The distribution's own *.cloudfront.net name needs no alias, certificate or record of yours.
            if let own = distribution.domainName, Self.sameName(domain, own) {
                checks.append(.init(name: "domain", domain: domain, status: .ok, subject: "domain \(domain)",
                                    detail: "the distribution's own domain name: CloudFront serves it with its own certificate and DNS"))
                continue
            }
            checks.append(aliasCheck(domain, distribution))
            checks.append(certificateCheck(domain, distribution, facts.certificate, now: facts.now, region: facts.targetRegion))
            checks.append(dnsCheck(domain, distribution, facts.dns[domain]))
        }
        return checks
    }

    /// Whether two DNS names are the same (case and a trailing dot aside).
    static func sameName(_ a: String, _ b: String) -> Bool {
        func plain(_ name: String) -> String { (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased() }
        return plain(a) == plain(b)
    }

    // MARK: - Target, pointer, live version

    static func targetCheck(_ facts: PreflightFacts) -> PreflightCheck {
        switch facts.target {
        case .s3(let bucket, let prefix, let region, let probe):
            let subject = "bucket \(bucket)"
            let target = "s3://\(bucket)/\(prefix)"
            switch probe {
            case .reachable(let found?) where found != region:
                return .ok("target", subject, "exists and is reachable with these credentials; the bucket is in \(found), "
                    + "and requests (signed for \(region)) are redirected there")
            case .reachable:
                return .ok("target", subject, "exists and is reachable with these credentials (\(region))")
            case .missing:
                return .fail("target", subject, "no such bucket (target \(target), region \(region)): create it "
                    + "(aws s3 mb s3://\(bucket) --region \(region)) or fix the target (--target, SITEBUILD_TARGET or target: in sitebuild.yml)")
            case .denied(let credentials):
                return .fail("target", subject, "access denied (HeadBucket answered 403) with \(credentialsText(credentials)): "
                    + "allow s3:ListBucket on arn:aws:s3:::\(bucket) and s3:GetObject, s3:PutObject and s3:DeleteObject on "
                    + "arn:aws:s3:::\(bucket)/\(prefix)*, or check that the bucket belongs to this account (bucket names are global)")
            case .failed(let text):
                return .fail("target", subject, "cannot be reached: \(text)")
            }
        case .local(let root, let access):
            let subject = "directory \(root)"
            switch access {
            case .writable:
                return .ok("target", subject, "exists and is writable")
            case .creatable(let parent):
                return .ok("target", subject, "does not exist yet; the first deploy creates it (\(parent) is writable)")
            case .notWritable(let path):
                return .fail("target", subject, "\(path) is not writable by this user: fix its permissions or choose another --target")
            case .notDirectory(let path):
                return .fail("target", subject, "\(path) is a file, not a directory: move it away or choose another --target")
            }
        }
    }

    static func credentialsText(_ source: String?) -> String {
        "the AWS credentials" + (source.map { " from \($0)" } ?? "")
    }

    static func pointerCheck(_ facts: PreflightFacts) -> PreflightCheck {
        let subject = "pointer \(facts.pointerURL)"
        let read = facts.live
        switch facts.pointer {
        case .keyValueStore(let arn, _):
            switch read {
            case .found: return .ok("pointer", subject, "the KeyValueStore is reachable")
            case .missing:
                return .fail("pointer", subject, "no KeyValueStore \(arn): create one (aws cloudfront create-key-value-store --name NAME) "
                    + "and put its ARN in --pointer, or fix the ARN (aws cloudfront list-key-value-stores)")
            case .denied(let credentials):
                return .fail("pointer", subject, "access denied with \(credentialsText(credentials)): allow "
                    + "cloudfront-keyvaluestore:DescribeKeyValueStore, GetKey and PutKey on \(arn)")
            case .failed(let text):
                return .fail("pointer", subject, "cannot be read: \(text)")
            }
        case .dynamoDB(let table, _, let region, let partitionKey):
            switch read {
            case .found: return .ok("pointer", subject, "the DynamoDB table is reachable (\(region))")
            case .missing:
                return .fail("pointer", subject, "no DynamoDB table \(table) in \(region): create it with the string partition key "
                    + "'\(partitionKey)' (aws dynamodb create-table --region \(region) --table-name \(table) "
                    + "--attribute-definitions AttributeName=\(partitionKey),AttributeType=S "
                    + "--key-schema AttributeName=\(partitionKey),KeyType=HASH --billing-mode PAY_PER_REQUEST) or fix --pointer")
            case .denied(let credentials):
                return .fail("pointer", subject, "access denied with \(credentialsText(credentials)): allow dynamodb:GetItem and "
                    + "dynamodb:UpdateItem on table \(table) in \(region) (a flip is a conditional UpdateItem)")
            case .failed(let text):
                return .fail("pointer", subject, "cannot be read: \(text)")
            }
        case .s3(let bucket, let key):
            if case .s3(let targetBucket, _, _, let probe) = facts.target, targetBucket == bucket {
                guard probe.isReachable else {
                    return .skip("pointer", subject, "it lives in bucket \(bucket), which is not reachable (see above)")
                }
            } else if let probe = facts.pointerBucket {
                switch probe {
                case .reachable: break
                case .missing:
                    return .fail("pointer", subject, "no bucket \(bucket) for the pointer: create it (aws s3 mb s3://\(bucket)) or fix --pointer")
                case .denied(let credentials):
                    return .fail("pointer", subject, "access denied to bucket \(bucket) (HeadBucket answered 403) with "
                        + "\(credentialsText(credentials)): allow s3:ListBucket on arn:aws:s3:::\(bucket)")
                case .failed(let text):
                    return .fail("pointer", subject, "bucket \(bucket) cannot be reached: \(text)")
                }
            }
            switch read {
            case .found(nil): return .ok("pointer", subject, "reachable; not written yet (the first deploy writes it)")
            case .found: return .ok("pointer", subject, "readable")
            case .missing: return .fail("pointer", subject, "no bucket \(bucket): create it or fix --pointer")
            case .denied(let credentials):
                return .fail("pointer", subject, "access denied with \(credentialsText(credentials)): allow s3:GetObject and "
                    + "s3:PutObject on arn:aws:s3:::\(bucket)/\(key)")
            case .failed(let text):
                return .fail("pointer", subject, "cannot be read: \(text)")
            }
        case .local(let path):
            switch facts.pointerAccess ?? .writable {
            case .notWritable(let directory):
                return .fail("pointer", subject, "\(directory) is not writable by this user, so a deploy cannot flip \(path): "
                    + "fix its permissions or choose another --pointer")
            case .notDirectory(let file):
                return .fail("pointer", subject, "\(file) is a file where the pointer's directory should be: move it away or choose another --pointer")
            case .writable, .creatable:
                break
            }
            switch read {
            case .found(nil): return .ok("pointer", subject, "not written yet; the first deploy can create it")
            case .found: return .ok("pointer", subject, "readable, and its directory is writable")
            case .missing, .denied: return .fail("pointer", subject, "\(path) cannot be read: fix its permissions")
            case .failed(let text): return .fail("pointer", subject, "cannot be read: \(text)")
            }
        case .other:
            switch read {
            case .found: return .ok("pointer", subject, "readable")
            case .missing: return .fail("pointer", subject, "does not exist")
            case .denied(let credentials): return .fail("pointer", subject, "access denied with \(credentialsText(credentials))")
            case .failed(let text): return .fail("pointer", subject, "cannot be read: \(text)")
            }
        }
    }

    /// The target's URL, for messages.
    static func targetURL(_ target: PreflightFacts.Target) -> String {
        switch target {
        case .s3(let bucket, let prefix, _, _): "s3://\(bucket)/\(prefix)"
        case .local(let root, _): root
        }
    }

    /// Where a version's manifest lives on the target.
    public static func manifestLocation(_ target: PreflightFacts.Target, version: String) -> String {
        switch target {
        case .s3(let bucket, let prefix, _, _): "s3://\(bucket)/\(prefix)_sitebuild/manifests/\(version).json"
        case .local(let root, _): root + "/_sitebuild/manifests/\(version).json"
        }
    }

    static func liveVersionCheck(_ facts: PreflightFacts) -> PreflightCheck {
        let subject = "live version"
        guard case .found(let value) = facts.live else {
            return .skip("live-version", subject, "the pointer could not be read (see above)")
        }
        if case .s3(let bucket, _, _, let probe) = facts.target, !probe.isReachable,
           case .s3(let pointerBucket, _) = facts.pointer, pointerBucket == bucket {
            return .skip("live-version", subject, "bucket \(bucket) is not reachable (see above)")
        }
        if let probe = facts.pointerBucket, !probe.isReachable, case .s3(let pointerBucket, _) = facts.pointer {
            return .skip("live-version", subject, "the pointer's bucket \(pointerBucket) is not reachable (see above)")
        }
        guard let version = value else {
            if let last = facts.lastRelease {
                // As rollback refuses: most likely not the pointer the deploys use, or one lost.
                return .fail("live-version", subject, "nothing is live on \(facts.pointerURL), but the last release on "
                    + "\(targetURL(facts.target)) made \(last.to) live\(last.through) (\(last.action), \(ReleaseRecord.isoTime(last.at))): "
                    + "is this the pointer the deploys use? Pass it with --pointer (or SITEBUILD_POINTER, sitebuild.yml's pointer); "
                    + "to restore a pointer that was lost, `sitebuild rollback \(last.to) --force` through it (a new pointer, "
                    + "such as a preview's, holds nothing until its first deploy)")
            }
            return .skip("live-version", subject, "nothing is live yet: deploy with `sitebuild run` or `sitebuild deploy DIR`")
        }
        let subjectWithVersion = "live version \(version)"
        let manifest = manifestLocation(facts.target, version: version)
        switch facts.liveManifest {
        case nil:
            return .skip("live-version", subjectWithVersion, "the target is not reachable (see above)")
        case .found(true)? where facts.liveDamaged != nil && facts.liveTooNew:
            return .fail("live-version", subjectWithVersion, "\(manifest) was \(facts.liveDamaged!)")
        case .found(true)? where facts.liveDamaged != nil:
            return .fail("live-version", subjectWithVersion, "\(manifest) is damaged (\(facts.liveDamaged!)), so a deploy cannot tell "
                + "what the version holds. Deploy the build \(version) was made from again "
                + "(`sitebuild deploy DIR` or `sitebuild run` while another version is live writes a good manifest), or deploy a new version")
        case .found(true)? where facts.liveMissing.map({ $0.count > 0 }) ?? (facts.liveHasFiles == false):
            let what = facts.liveMissing.map { "\($0.text) are missing" } ?? "the version's files are gone"
            let cause = facts.liveMissing.flatMap { $0.archived.isEmpty ? nil : $0.cause }
                ?? "deleted outside sitebuild: a lifecycle rule, another tool's clean-up"
            return .fail("live-version", subjectWithVersion, "\(manifest) exists, but \(what) on the target (\(cause)), so the site "
                + "serves errors for them. Put them back with "
                + "`sitebuild deploy DIR --repair` (or `sitebuild run --repair`) from the build \(version) was made from; without that "
                + "build, make another complete version live (`sitebuild rollback VERSION`; `sitebuild versions` lists them)")
        case .found(true)?:
            let all = facts.liveMissing.map { " and all \($0.total) of its objects are there" } ?? ""
            return .ok("live-version", subjectWithVersion, "complete (\(manifest) exists\(all))")
        case .found(false)? where facts.liveHasFiles == true:
            return .ok("live-version", subjectWithVersion, "its files are there, without a sitebuild manifest (\(manifest)): uploaded by "
                + "another tool, such as the Hosting Toolkit's pipeline, and served as they are; `versions` lists sitebuild's "
                + "versions from its first deploy on, and `rollback` can go back to this one after it")
        case .found(false)? where facts.liveIsStranger == true:
            return .fail("live-version", subjectWithVersion, "the pointer names \(version), which this target never had (no manifest, no "
                + "files, no release record): the pointer most likely serves another site (two sites on one KeyValueStore or table with "
                + "the default key `path`, a pointer from another site's settings), and a flip through it would take that site down. "
                + "Give this site its own pointer (--pointer …#<key>, SITEBUILD_POINTER, sitebuild.yml's pointer), or deploy with "
                + "--take-over-pointer if this target should now own it")
        case .found(false)?:
            return .fail("live-version", subjectWithVersion, "the pointer names \(version), but \(manifest) does not exist: "
                + "that version was deleted or never finished uploading, so the site serves errors; deploy again, or "
                + "`sitebuild rollback VERSION` to a complete one (`sitebuild versions` lists them)")
        case .missing?:
            return .fail("live-version", subjectWithVersion, "\(manifest) cannot be read: the target is missing")
        case .denied(let credentials)?:
            return .fail("live-version", subjectWithVersion, "\(manifest) cannot be read with \(credentialsText(credentials)): "
                + "allow s3:GetObject on the target")
        case .failed(let text)?:
            return .fail("live-version", subjectWithVersion, "\(manifest) cannot be read: \(text)")
        }
    }

    // MARK: - Distribution

    static func distributionCheck(id: String, _ lookup: PreflightLookup<CloudFrontClient.Distribution>?) -> PreflightCheck {
        let subject = "distribution \(id)"
        switch lookup {
        case nil:
            return .skip("distribution", subject, "not looked up")
        case .missing?:
            return .fail("distribution", subject, "no such distribution in this account: check the id "
                + "(aws cloudfront list-distributions --query 'DistributionList.Items[].[Id,DomainName,Aliases.Items]') "
                + "and that the credentials belong to the distribution's account")
        case .denied(let credentials)?:
            return .fail("distribution", subject, "access denied with \(credentialsText(credentials)): allow cloudfront:GetDistribution "
                + "and cloudfront:DescribeFunction (and cloudfront:CreateInvalidation for deploys)")
        case .failed(let text)?:
            return .fail("distribution", subject, "cannot be read: \(text)")
        case .found(let distribution)?:
            let domain = distribution.domainName ?? "(no domain name)"
            guard distribution.enabled else {
                return .fail("distribution", subject, "\(domain) is disabled, so it serves nothing: enable it "
                    + "(the console, or aws cloudfront get-distribution-config then update-distribution with Enabled true)")
            }
            let status = distribution.status ?? "unknown"
            if status.caseInsensitiveCompare("Deployed") == .orderedSame {
                return .ok("distribution", subject, "\(domain), enabled, Deployed")
            }
            if status.caseInsensitiveCompare("InProgress") == .orderedSame {
                return .ok("distribution", subject, "\(domain), enabled, still InProgress: its last change is reaching the edge "
                    + "locations (usually minutes); until it is Deployed some requests see the previous configuration")
            }
            return .ok("distribution", subject, "\(domain), enabled, status \(status)")
        }
    }

    static func originCheck(_ distribution: CloudFrontClient.Distribution, target: PreflightFacts.Target) -> PreflightCheck {
        guard case .s3(let bucket, let targetPrefix, let region, _) = target else {
            return .skip("origin", "origin", "the target is a local directory, which CloudFront cannot read")
        }
        let subject = "origin of \(distribution.id)"
        let prefix = bucket.lowercased() + "."
        let names = distribution.originDomainNames
        // The bucket's S3 endpoint (REST, dual-stack, accelerated or website), not a custom
        // origin that merely starts with its name (new-site.example.org).
        // Whatever kind of origin it is: an S3 origin named `site1.example.s3…` is bucket
        // site1.example, not site1.
        func isBucket(_ index: Int) -> Bool {
            var name = names[index].lowercased()
            if name.hasSuffix(".") { name.removeLast() }
            guard name.hasPrefix(prefix) else { return false }
            let rest = name.dropFirst(prefix.count)
            return (rest.hasPrefix("s3.") || rest.hasPrefix("s3-")) && (rest.hasSuffix(".amazonaws.com") || rest.hasSuffix(".amazonaws.com.cn"))
        }
        // Pages are served by the default cache behavior: its origin is the one that counts.
        let defaultIndex = distribution.defaultOriginId.flatMap { id in distribution.originIds.firstIndex(of: id) }
        if let defaultIndex, defaultIndex < names.count, !isBucket(defaultIndex), let other = names.indices.first(where: isBucket) {
            return .fail("origin", subject, "the default cache behavior reads origin '\(distribution.defaultOriginId ?? "")' ("
                + "\(names[defaultIndex])), not bucket \(bucket) (\(names[other]) is only another origin)"
                + ": the pages would be served from elsewhere than where sitebuild deploys; make the default cache behavior's "
                + "origin \(bucket).s3.\(region).\(AWSPartition.dnsSuffix(of: region)), or fix the target")
        }
        if let index = defaultIndex.flatMap({ isBucket($0) ? $0 : nil }) ?? names.indices.first(where: isBucket) {
            let origin = names[index]
            // The function rewrites a request to /<version>/…, so the origin must start at the
            // target's prefix: OriginPath /<prefix> (none when the versions sit at the root).
            let wanted = targetPrefix.isEmpty ? "" : "/" + targetPrefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let path = index < distribution.originPaths.count ? distribution.originPaths[index] : ""
            let normalized = path == "/" ? "" : (path.hasSuffix("/") ? String(path.dropLast()) : path)
            // No origin path reaches a prefix with characters CloudFront passes on unencoded
            // (`a+b` is read by S3 as `a b`): the prefix must change, whatever the origin path is.
            if let problem = S3Location.originPathProblem(targetPrefix) {
                return .fail("origin", subject, "the versions are under s3://\(bucket)/\(terminalText(targetPrefix)), but \(problem); "
                    + "deploy the site to such a prefix and set \(origin)'s origin path to it")
            }
            guard normalized == wanted else {
                // An origin path that is no safe prefix is not offered as a target to deploy to.
                let deployThere = S3Location.originPathProblem(normalized) == nil
                    ? ", or deploy to s3://\(bucket)\(normalized.isEmpty ? "" : normalized)" : ""
                return .fail("origin", subject, "\(origin) has origin path '\(terminalText(path))', but the versions are under "
                    + "s3://\(bucket)/\(targetPrefix): requests for /<version>/… would miss them; set the origin path to "
                    + (wanted.isEmpty ? "nothing" : "'\(wanted)'") + deployThere)
            }
            return .ok("origin", subject, "\(origin) is bucket \(bucket)" + (wanted.isEmpty ? "" : ", origin path \(wanted)"))
        }
        let origins = distribution.originDomainNames.isEmpty ? "it has none" : "its origins: " + distribution.originDomainNames.joined(separator: ", ")
        return .fail("origin", subject, "no origin is bucket \(bucket) (\(origins)): CloudFront reads from somewhere other than "
            + "where sitebuild deploys; point the origin at \(bucket).s3.\(region).\(AWSPartition.dnsSuffix(of: region)), or fix the target")
    }

    /// The viewer-request function of the default cache behavior, if any.
    static func viewerRequestFunction(_ distribution: CloudFrontClient.Distribution) -> CloudFrontClient.FunctionAssociation? {
        distribution.functionAssociations.first { $0.eventType.caseInsensitiveCompare("viewer-request") == .orderedSame }
    }

    /// The function name of a function ARN (`arn:aws:cloudfront::123:function/router` → `router`).
    public static func functionName(ofARN arn: String) -> String {
        arn.split(separator: "/").last.map(String.init) ?? arn
    }

    /// The Lambda@Edge function of the default cache behavior that can route requests to the
    /// live version: a viewer-request one, else an origin-request one.
    static func routingLambda(_ distribution: CloudFrontClient.Distribution) -> CloudFrontClient.LambdaFunctionAssociation? {
        let associations = distribution.lambdaFunctionAssociations
        return ["viewer-request", "origin-request"].lazy.compactMap { event in
            associations.first { $0.eventType.caseInsensitiveCompare(event) == .orderedSame }
        }.first
    }

    /// The function (and version) of a Lambda ARN (`arn:aws:lambda:us-east-1:123:function:router:3`
    /// → `router:3`).
    public static func lambdaName(ofARN arn: String) -> String {
        arn.range(of: ":function:").map { String(arn[$0.upperBound...]) } ?? arn
    }

    static func functionCheck(_ distribution: CloudFrontClient.Distribution, pointer: PreflightFacts.Pointer = .other) -> PreflightCheck {
        let subject = "viewer-request function"
        let isKeyValueStore = switch pointer {
        case .keyValueStore, .other: true
        default: false
        }
        // Only with a KeyValueStore pointer: a CloudFront Function reads nothing else.
        if isKeyValueStore, let association = viewerRequestFunction(distribution) {
            return .ok("viewer-request-function", subject, "\(functionName(ofARN: association.functionARN)) is associated with "
                + "the default cache behavior of \(distribution.id)")
        }
        // A DynamoDB or S3 pointer is read by a Lambda@Edge function (a CloudFront Function reads
        // only a KeyValueStore): at the viewer request, or at the origin request (behind the cache).
        if !isKeyValueStore, let lambda = routingLambda(distribution) {
            return .ok("viewer-request-function", "request router", "Lambda@Edge \(lambdaName(ofARN: lambda.lambdaFunctionARN)) is "
                + "associated with the default cache behavior of \(distribution.id) as its \(lambda.eventType) function (it must read "
                + "the pointer and route to the live version's files; sitebuild cannot check its code)")
        }
        let others = distribution.functionAssociations.map { "\($0.eventType) \(functionName(ofARN: $0.functionARN))" }
            + distribution.lambdaFunctionAssociations.map { "\($0.eventType) Lambda@Edge \(lambdaName(ofARN: $0.lambdaFunctionARN))" }
        let has = others.isEmpty ? "" : " (it has only " + others.joined(separator: ", ") + ")"
        if isKeyValueStore {
            let missing = "the default cache behavior of \(distribution.id) has no viewer-request function\(has): nothing "
                + "maps a request to the live version's files"
                + (distribution.lambdaFunctionAssociations.isEmpty ? "; " : " (a Lambda@Edge function cannot read a KeyValueStore); ")
            return .fail("viewer-request-function", subject, missing + "publish the code `sitebuild function` prints "
                + "(for this pointer and routing) as a CloudFront Function (runtime cloudfront-js-2.0, with the pointer's KeyValueStore "
                + "associated) and associate it with the default cache behavior's viewer-request event")
        }
        // A CloudFront Function reads only a KeyValueStore: `sitebuild function` cannot serve this pointer.
        if let association = viewerRequestFunction(distribution) {
            return .fail("viewer-request-function", subject, "\(functionName(ofARN: association.functionARN)), the viewer-request "
                + "function of \(distribution.id), is a CloudFront Function, which can read only a KeyValueStore, not this pointer, "
                + "and there is no viewer-request or origin-request Lambda@Edge function\(has): nothing maps a request to the live "
                + "version's files; route with a Lambda@Edge function of your own that reads the pointer, or use a "
                + "cloudfront-kvs:// pointer and the code `sitebuild function` prints")
        }
        return .fail("viewer-request-function", subject, "the default cache behavior of \(distribution.id) has no viewer-request function "
            + "and no viewer-request or origin-request Lambda@Edge function\(has): nothing maps a request to the live version's files; "
            + "a CloudFront Function can read only a KeyValueStore, so with this pointer a Lambda@Edge function of your own reading it "
            + "must route requests (associated with the viewer-request or origin-request event); or use a cloudfront-kvs:// pointer "
            + "and the code `sitebuild function` prints")
    }

    static func functionStoreCheck(_ distribution: CloudFrontClient.Distribution, pointer: PreflightFacts.Pointer,
                                   function: PreflightLookup<CloudFrontClient.FunctionDescription>?) -> PreflightCheck? {
        let subject = "function KeyValueStore"
        guard case .keyValueStore(let arn, _) = pointer else {
            return nil
        }
        guard let association = viewerRequestFunction(distribution) else {
            return .skip("function-key-value-store", subject, "no viewer-request function (see above)")
        }
        let name = functionName(ofARN: association.functionARN)
        let subjectWithName = "function \(name) KeyValueStore"
        switch function {
        case nil:
            return .skip("function-key-value-store", subjectWithName, "not looked up")
        case .missing?:
            return .fail("function-key-value-store", subjectWithName, "DescribeFunction found no LIVE stage of \(name): publish it "
                + "(aws cloudfront publish-function --name \(name) --if-match ETAG)")
        case .denied(let credentials)?:
            return .fail("function-key-value-store", subjectWithName, "access denied with \(credentialsText(credentials)): "
                + "allow cloudfront:DescribeFunction")
        case .failed(let text)?:
            return .fail("function-key-value-store", subjectWithName, "cannot be described: \(text)")
        case .found(let description)?:
            if description.keyValueStoreARNs.contains(arn) {
                return .ok("function-key-value-store", subjectWithName, "reads the pointer's KeyValueStore \(arn)")
            }
            let has = description.keyValueStoreARNs.isEmpty ? "is associated with no KeyValueStore"
                : "is associated with " + description.keyValueStoreARNs.joined(separator: ", ")
            let config = "'{\"Comment\":\"sitebuild router\",\"Runtime\":\"cloudfront-js-2.0\",\"KeyValueStoreAssociations\":"
                + "{\"Quantity\":1,\"Items\":[{\"KeyValueStoreARN\":\"\(arn)\"}]}}'"
            return .fail("function-key-value-store", subjectWithName, "the LIVE function \(has), not the pointer's KeyValueStore "
                + "\(arn): deploys write a store the function does not read, so a flip changes nothing; associate the store with the "
                + "function (aws cloudfront update-function --name \(name) --if-match ETAG --function-config \(config) "
                + "--function-code fileb://function.js, with function.js from `sitebuild function`, then aws cloudfront "
                + "publish-function --name \(name) --if-match NEW_ETAG), "
                + "or point --pointer at the function's store")
        }
    }

    // MARK: - Domains

    /// `Example.COM.` → `example.com`; Route 53's `\052` → `*`.
    public static func normalizeDomain(_ name: String) -> String {
        var text = name.lowercased().replacingOccurrences(of: "\\052", with: "*")
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Whether a distribution alias (`www.example.com` or `*.example.com`) serves `domain`.
    static func alias(_ alias: String, serves domain: String) -> Bool {
        let alias = normalizeDomain(alias)
        if alias == domain { return true }
        guard alias.hasPrefix("*.") else { return false }
        let suffix = alias.dropFirst(1)
        guard domain.hasSuffix(suffix) else { return false }
        let label = domain.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }

    /// The zones that could hold `domain`'s records, most specific first
    /// (`www.example.com` → `www.example.com`, `example.com`).
    public static func zoneCandidates(_ domain: String) -> [String] {
        var labels = normalizeDomain(domain).split(separator: ".").map(String.init)
        if labels.first == "*" { labels.removeFirst() }
        guard labels.count >= 2 else { return labels.isEmpty ? [] : [labels.joined(separator: ".")] }
        return (0...(labels.count - 2)).map { labels[$0...].joined(separator: ".") }
    }

    /// `2026-11-27`, in UTC.
    static func date(_ date: Date) -> String {
        String(UTCTime.iso(date, milliseconds: false).prefix(10))
    }

    static func aliasCheck(_ domain: String, _ distribution: CloudFrontClient.Distribution) -> PreflightCheck {
        let subject = "alias \(domain)"
        if distribution.aliases.contains(where: { alias($0, serves: domain) }) {
            return PreflightCheck(name: "domain-alias", domain: domain, status: .ok, subject: subject,
                                  detail: "an alternate domain name of \(distribution.id)")
        }
        let aliases = distribution.aliases.isEmpty ? "it has none" : "its aliases: " + distribution.aliases.joined(separator: ", ")
        return PreflightCheck(name: "domain-alias", domain: domain, status: .fail, subject: subject,
                              detail: "not an alternate domain name of distribution \(distribution.id) (\(aliases)): CloudFront "
                                + "refuses requests for \(domain); add it to the distribution's alternate domain names (Aliases)")
    }

    static func certificateCheck(_ domain: String, _ distribution: CloudFrontClient.Distribution,
                                 _ lookup: PreflightLookup<ACMClient.Certificate>?, now: Date, region: String? = nil) -> PreflightCheck {
        let subject = "certificate for \(domain)"
        func result(_ status: PreflightCheck.Status, _ detail: String) -> PreflightCheck {
            PreflightCheck(name: "certificate", domain: domain, status: status, subject: subject, detail: detail)
        }
        // CloudFront in China takes IAM server certificates only (there is no ACM for it).
        let request = region.map(AWSPartition.isChina) == true
            ? "upload one to IAM (aws iam upload-server-certificate --path /cloudfront/ --server-certificate-name NAME "
                + "--certificate-body file://cert.pem --private-key file://key.pem --certificate-chain file://chain.pem; CloudFront "
                + "in the China regions uses IAM server certificates, not ACM) and attach it to distribution \(distribution.id)"
            : "request one in us-east-1 (aws acm request-certificate --region us-east-1 --domain-name \(domain) "
                + "--validation-method DNS), validate it and attach it to distribution \(distribution.id)"
        if distribution.acmCertificateArn == nil, let iam = distribution.iamCertificateId {
            return result(.skip, "distribution \(distribution.id) uses the IAM server certificate \(iam), which sitebuild does not read: "
                + "check that it covers \(domain) and is not near expiry (aws iam list-server-certificates)")
        }
        guard let arn = distribution.acmCertificateArn else {
            return result(.fail, "distribution \(distribution.id) has no ACM certificate (it uses the default *.cloudfront.net one, "
                + "which cannot cover \(domain)): \(request)")
        }
        switch lookup {
        case nil:
            return result(.skip, "\(arn) was not looked up")
        case .missing?:
            return result(.fail, "\(arn), the distribution's certificate, does not exist in ACM in us-east-1 (CloudFront "
                + "only uses certificates from us-east-1): \(request)")
        case .denied(let credentials)?:
            return result(.fail, "access denied with \(credentialsText(credentials)): allow acm:DescribeCertificate on \(arn)")
        case .failed(let text)?:
            return result(.fail, "\(arn) cannot be described: \(text)")
        case .found(let certificate)?:
            var problems: [String] = []
            if !certificate.covers(domain) {
                var names = certificate.subjectAlternativeNames
                if !names.contains(certificate.domainName) { names.insert(certificate.domainName, at: 0) }
                problems.append("\(arn) covers \(names.joined(separator: ", ")), not \(domain): \(request) with every name the site uses")
            }
            let issued = certificate.status == "ISSUED"
            if !issued && certificate.status != "EXPIRED" {
                problems.append("\(arn) is \(certificate.status), not ISSUED: "
                    + (certificate.status == "PENDING_VALIDATION"
                        ? "create the DNS validation records ACM lists (aws acm describe-certificate --region us-east-1 "
                            + "--certificate-arn \(arn)) and wait until it is issued"
                        : "request a new certificate and attach it"))
            }
            if let notAfter = certificate.notAfter {
                let renew = certificate.type == "IMPORTED"
                    ? "import a renewed certificate (aws acm import-certificate --region us-east-1 --certificate-arn \(arn) …)"
                    : "renew it (ACM renews Amazon-issued certificates only while their DNS validation records resolve) or attach a new one"
                if notAfter <= now || certificate.status == "EXPIRED" {
                    problems.append("\(arn) expired on \(date(notAfter)): \(renew)")
                } else if notAfter < now.addingTimeInterval(Double(certificateWarningDays) * 86_400) {
                    let days = Int(notAfter.timeIntervalSince(now) / 86_400)
                    problems.append("\(arn) expires on \(date(notAfter)), in \(days) day\(days == 1 ? "" : "s") "
                        + "(less than \(certificateWarningDays)): \(renew)")
                }
            } else if certificate.status == "EXPIRED" {
                problems.append("\(arn) has expired: request a new certificate and attach it")
            }
            if problems.isEmpty {
                let until = certificate.notAfter.map { ", valid until \(date($0))" } ?? ""
                return result(.ok, "\(certificate.domainName) (\(arn)) covers it\(until)")
            }
            return result(.fail, problems.joined(separator: "; also "))
        }
    }

    static func dnsCheck(_ domain: String, _ distribution: CloudFrontClient.Distribution,
                         _ lookup: PreflightLookup<PreflightFacts.DNSRecords>?) -> PreflightCheck {
        let subject = "DNS \(domain)"
        func result(_ status: PreflightCheck.Status, _ detail: String) -> PreflightCheck {
            PreflightCheck(name: "dns", domain: domain, status: status, subject: subject, detail: detail)
        }
        guard let target = distribution.domainName.map(normalizeDomain) else {
            return result(.skip, "distribution \(distribution.id) has no domain name yet")
        }
        switch lookup {
        case nil:
            return result(.skip, "Route 53 was not looked up")
        case .missing?:
            let zones = zoneCandidates(domain).map { $0 + "." }.joined(separator: ", ")
            return result(.fail, "no Route 53 hosted zone for \(domain) (looked for \(zones)): create the zone and delegate the "
                + "domain to its name servers, then add an alias A record for \(domain) to \(target)")
        case .denied(let credentials)?:
            return result(.fail, "access denied with \(credentialsText(credentials)): allow route53:ListHostedZonesByName and "
                + "route53:ListResourceRecordSets")
        case .failed(let text)?:
            return result(.fail, "cannot be read from Route 53: \(text)")
        case .found(let zone)?:
            let addressRecords = zone.records.filter { $0.type == "A" || $0.type == "AAAA" }
            let through = zone.wildcard.map { " (the wildcard \($0) answers for \(domain))" } ?? ""
            // Every address record must lead to the distribution (directly, or through a record
            // of the same zone that does): one elsewhere sends IPv6 clients, or a weighted share,
            // to another site.
            let matching = addressRecords.filter { dnsRecordReaches($0, target, zone) }
            if !matching.isEmpty {
                let types = matching.map(\.type).joined(separator: ", ")
                if let stray = addressRecords.first(where: { !dnsRecordReaches($0, target, zone) }) {
                    let named = stray.setIdentifier.map { " (set '\($0)')" } ?? ""
                    let holds = stray.aliasTarget.map { "points at \(normalizeDomain($0.dnsName))" }
                        ?? "holds \(stray.values.joined(separator: ", "))"
                    return result(.fail, "alias \(types) in zone \(zone.zoneName) points at \(target), but the \(stray.type) record"
                        + "\(named) \(holds), not distribution \(distribution.id): "
                        + (stray.setIdentifier != nil ? "part of the traffic goes elsewhere" : stray.type == "AAAA" ? "IPv6 clients go elsewhere"
                            : "IPv4 clients go elsewhere") + "; point it at \(target) or delete it")
                }
                if !matching.contains(where: { $0.type == "A" }) {
                    return result(.fail, "only an alias AAAA record in zone \(zone.zoneName) points at \(target): clients without IPv6 "
                        + "get no address; add an alias A record to it")
                }
                return result(.ok, "alias \(types) in zone \(zone.zoneName) points at \(target)\(through)")
            }
            let cname = zone.records.first { $0.type == "CNAME" }
            if let cname, dnsRecordReaches(cname, target, zone) {
                return result(.ok, "CNAME in zone \(zone.zoneName) points at \(target)\(through)")
            }
            let batch = "'{\"Changes\":[{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"\(domain)\",\"Type\":\"A\","
                + "\"AliasTarget\":{\"HostedZoneId\":\"\(Route53Client.cloudFrontHostedZoneId)\",\"DNSName\":\"\(target)\","
                + "\"EvaluateTargetHealth\":false}}}]}'"
            let fix = "aws route53 change-resource-record-sets --hosted-zone-id \(zone.zoneId) --change-batch \(batch)"
            if let alias = addressRecords.first(where: { $0.aliasTarget != nil }), let aliasTarget = alias.aliasTarget {
                return result(.fail, "the alias \(alias.type) record in zone \(zone.zoneName) points at "
                    + "\(normalizeDomain(aliasTarget.dnsName)), not distribution \(distribution.id) (\(target)): point it at the "
                    + "distribution (\(fix))")
            }
            if let plain = addressRecords.first {
                return result(.fail, "the \(plain.type) record in zone \(zone.zoneName) holds \(plain.values.joined(separator: ", ")), "
                    + "not an alias to distribution \(distribution.id) (\(target)): replace it with an alias record (\(fix))")
            }
            if let cname {
                return result(.fail, "the CNAME in zone \(zone.zoneName) points at \(cname.values.map(normalizeDomain).joined(separator: ", ")), "
                    + "not distribution \(distribution.id) (\(target)): delete it and create an alias A record (\(fix))")
            }
            return result(.fail, "zone \(zone.zoneName) has no A or AAAA record for \(domain): create an alias A record to "
                + "\(target) (\(fix))")
        }
    }

    /// The names `record` sends clients to, normalized: its alias target, or a CNAME's values.
    static func pointedNames(_ record: Route53Client.ResourceRecordSet) -> [String] {
        record.aliasTarget.map { [aliasTarget($0.dnsName)] } ?? (record.type == "CNAME" ? record.values.map(normalizeDomain) : [])
    }

    /// Whether `record` leads to the distribution's domain `target`: an alias or CNAME to it,
    /// or to a name of the same zone whose records do (followed one step).
    static func dnsRecordReaches(_ record: Route53Client.ResourceRecordSet, _ target: String, _ zone: PreflightFacts.DNSRecords,
                                 followed: Bool = false) -> Bool {
        return pointedNames(record).contains { name in
            if name == target { return true }
            guard !followed, let next = zone.followed[name] else { return false }
            // An alias A reaches the A records of its name; a CNAME, whatever its name holds.
            let types: Set<String> = record.type == "CNAME" ? ["A", "AAAA", "CNAME"] : [record.type, "CNAME"]
            return next.contains { types.contains($0.type) && dnsRecordReaches($0, target, zone, followed: true) }
        }
    }

    /// An alias target's DNS name compared with a distribution domain: lower case, no
    /// trailing dot, no `dualstack.` prefix.
    static func aliasTarget(_ name: String) -> String {
        let name = normalizeDomain(name)
        return name.hasPrefix("dualstack.") ? String(name.dropFirst("dualstack.".count)) : name
    }
}

/// The outcome of one pre-flight check.
public struct PreflightCheck: Sendable, Equatable {
    public enum Status: String, Sendable {
        case ok, fail, skip
    }

    /// A stable identifier for scripts: `target`, `pointer`, `live-version`, `distribution`,
    /// `origin`, `viewer-request-function`, `function-key-value-store`, `domains`,
    /// `domain-alias`, `certificate`, `dns`, `domain`.
    public var name: String
    /// The domain of a per-domain check.
    public var domain: String?
    public var status: Status
    /// What was checked: `bucket site`, `distribution E2QWRUHAPOMQZL`.
    public var subject: String
    /// What was found; for a failure, what is wrong and what to do.
    public var detail: String?

    public init(name: String, domain: String? = nil, status: Status, subject: String, detail: String?) {
        self.name = name
        self.domain = domain
        self.status = status
        self.subject = subject
        self.detail = detail
    }

    static func ok(_ name: String, _ subject: String, _ detail: String) -> PreflightCheck {
        PreflightCheck(name: name, status: .ok, subject: subject, detail: detail)
    }

    static func fail(_ name: String, _ subject: String, _ detail: String) -> PreflightCheck {
        PreflightCheck(name: name, status: .fail, subject: subject, detail: detail)
    }

    static func skip(_ name: String, _ subject: String, _ detail: String) -> PreflightCheck {
        PreflightCheck(name: name, status: .skip, subject: subject, detail: detail)
    }

    /// `subject: detail`.
    public var message: String { detail.map { "\(subject): \($0)" } ?? subject }

    /// The printed line: `ok   …`, `FAIL …` or `skip …`.
    public var line: String {
        switch status {
        case .ok: "ok   " + message
        case .fail: "FAIL " + message
        case .skip: "skip " + message
        }
    }
}

/// The answer to one look-up.
public enum PreflightLookup<Value: Sendable>: Sendable {
    case found(Value)
    /// The service said the thing does not exist (`NoSuchDistribution`, `ResourceNotFoundException`, …).
    case missing
    /// 403 access denied; `credentials` names where the credentials came from, when known.
    case denied(credentials: String?)
    /// Anything else, described.
    case failed(String)
}

extension PreflightLookup: Equatable where Value: Equatable {}

/// Everything the pre-flight check looked up. Optional look-ups are nil when they were not
/// made (no distribution configured, an earlier look-up failed, …).
public struct PreflightFacts: Sendable {
    /// The region requests for an S3 target are signed for; nil for a local target.
    var targetRegion: String? {
        if case .s3(_, _, let region, _) = target { return region }
        return nil
    }

    public enum Target: Sendable, Equatable {
        /// `region` is the one requests are signed for.
        case s3(bucket: String, prefix: String, region: String, probe: BucketProbe)
        case local(root: String, access: LocalAccess)
    }

    /// What HeadBucket said.
    public enum BucketProbe: Sendable, Equatable {
        /// It exists and these credentials may use it; `region` from `x-amz-bucket-region`, or
        /// the one S3 redirected the requests to.
        case reachable(region: String?)
        case missing
        case denied(credentials: String?)
        case failed(String)

        public var isReachable: Bool {
            if case .reachable = self { return true }
            return false
        }
    }

    /// Whether a local directory can be written.
    public enum LocalAccess: Sendable, Equatable {
        /// An existing, writable directory.
        case writable
        /// It does not exist; `parent`, its nearest existing ancestor, is a writable directory.
        case creatable(parent: String)
        /// This directory (the path itself or its nearest existing ancestor) is not writable.
        case notWritable(String)
        /// This path is a file where a directory is needed.
        case notDirectory(String)
    }

    public enum Pointer: Sendable, Equatable {
        case keyValueStore(arn: String, key: String)
        case dynamoDB(table: String, key: String, region: String, partitionKey: String)
        case s3(bucket: String, key: String)
        case local(path: String)
        case other
    }

    /// Route 53's records for one domain.
    public struct DNSRecords: Sendable, Equatable {
        /// With its trailing dot: `example.com.`.
        public var zoneName: String
        public var zoneId: String
        /// The zone's record sets named exactly as the domain, or else those of the wildcard
        /// that answers for it (`wildcard`).
        public var records: [Route53Client.ResourceRecordSet]
        /// `*.example.com` when the domain has no records of its own and that wildcard's answer.
        public var wildcard: String?
        /// The record sets of the names of this zone that `records` alias or CNAME to (one step,
        /// by normalized name): `al.example.com` aliased to `www.example.com`, itself an alias.
        public var followed: [String: [Route53Client.ResourceRecordSet]] = [:]

        public init(zoneName: String, zoneId: String, records: [Route53Client.ResourceRecordSet], wildcard: String? = nil) {
            self.zoneName = zoneName
            self.zoneId = zoneId
            self.records = records
            self.wildcard = wildcard
        }
    }

    public var target: Target
    public var pointer: Pointer
    public var pointerURL: String
    /// The pointer's value: `.found(nil)` when nothing is live yet.
    public var live: PreflightLookup<String?>
    /// HeadBucket of an S3 pointer's bucket when it is not the target's.
    public var pointerBucket: BucketProbe?
    /// Whether a local pointer's directory can be written.
    public var pointerAccess: LocalAccess?
    /// Whether the live version's manifest exists; nil when not looked up.
    public var liveManifest: PreflightLookup<Bool>?
    /// The target's newest release record, looked up when the pointer holds nothing: then
    /// most likely the pointer is not the one the deploys use (or it was lost).
    public var lastRelease: ReleaseRecord?
    /// The live version's objects missing from the target (its manifest's paths against a
    /// listing of its folder); nil when it has no manifest or they were not listed.
    public var liveMissing: MissingObjects?
    /// Why the live version's manifest cannot be read, when it exists but is damaged.
    public var liveDamaged: String?
    /// The live manifest is not damaged but of a newer format (``DamagedManifest/tooNew``).
    public var liveTooNew = false
    /// Whether files are under the live version's folder: without a manifest, another tool's
    /// upload (the Hosting Toolkit's); with one, none means its files were deleted.
    public var liveHasFiles: Bool?
    /// The live version is one the target never had (no manifest, files or release record).
    public var liveIsStranger: Bool?
    /// The configured distribution id; nil when none is.
    public var distributionId: String?
    public var distribution: PreflightLookup<CloudFrontClient.Distribution>?
    /// DescribeFunction (LIVE) of the viewer-request function, with a KeyValueStore pointer.
    public var function: PreflightLookup<CloudFrontClient.FunctionDescription>?
    /// The configured domains, normalized (lower case, no trailing dot).
    public var domains: [String]
    /// DescribeCertificate of the distribution's ACM certificate, when domains are configured.
    public var certificate: PreflightLookup<ACMClient.Certificate>?
    /// Route 53 per domain: `.missing` when no hosted zone holds it.
    public var dns: [String: PreflightLookup<DNSRecords>]
    /// The time certificates are checked against.
    public var now: Date

    public init(target: Target, pointer: Pointer, pointerURL: String, live: PreflightLookup<String?>,
                pointerBucket: BucketProbe? = nil, pointerAccess: LocalAccess? = nil, liveManifest: PreflightLookup<Bool>? = nil,
                distributionId: String? = nil, distribution: PreflightLookup<CloudFrontClient.Distribution>? = nil,
                function: PreflightLookup<CloudFrontClient.FunctionDescription>? = nil, domains: [String] = [],
                certificate: PreflightLookup<ACMClient.Certificate>? = nil, dns: [String: PreflightLookup<DNSRecords>] = [:],
                now: Date) {
        self.target = target
        self.pointer = pointer
        self.pointerURL = pointerURL
        self.live = live
        self.pointerBucket = pointerBucket
        self.pointerAccess = pointerAccess
        self.liveManifest = liveManifest
        self.distributionId = distributionId
        self.distribution = distribution
        self.function = function
        self.domains = domains
        self.certificate = certificate
        self.dns = dns
        self.now = now
    }
}
