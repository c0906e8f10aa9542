import AWSServices
import ArgumentParser
import BuildRunner
import Deploy
import Foundation
import Preview
import SiteContent
import Synchronization

/// Where to deploy and how to route: flags, then `SITEBUILD_*` variables, then
/// `sitebuild.yml`, then the defaults (the local target `.sitebuild/` in the working
/// directory, its pointer `_sitebuild/live`).
struct TargetOptions: ParsableArguments {
    @Option(help: "Where versions live: s3://bucket/prefix, file:///dir or a directory path. Default: .sitebuild")
    var target: String?

    @Option(help: "The live-version pointer: cloudfront-kvs://<kvs-arn>#key, dynamodb://table#key, s3://bucket/key or file:///path. Default: <target>/_sitebuild/live")
    var pointer: String?

    @Option(help: "Settings file. Default: sitebuild.yml in the source (or current) directory.")
    var config: String?

    @Flag(help: "JSON on stdout: newline-delimited events ending with a result event (deploy, rollback, prune), one object (versions), check events then a result event (doctor), a serving event (serve).")
    var json = false

    @Option(help: "The CloudFront distribution id serving the target: deploy and rollback invalidate it, doctor checks it; other commands ignore it. Default: SITEBUILD_DISTRIBUTION, sitebuild.yml's distribution.")
    var distribution: String?

    @OptionGroup(title: "AWS") var aws: AWSOptions

    @OptionGroup(title: "S3 writes") var writes: S3WriteOptions

    /// The pointer key when a KVS or DynamoDB URL names none: the Hosting Toolkit's.
    static let defaultPointerKey = "path"

    /// The variables that give deploy settings (after the flags, before sitebuild.yml).
    static let settingVariables = ["SITEBUILD_TARGET", "SITEBUILD_POINTER", "SITEBUILD_DISTRIBUTION"]

    /// A ``settingVariables`` value given to `run` elsewhere than in its environment (`--env`,
    /// `--env-file`, the buildspec's `env.variables`), taken as the variable's.
    struct GivenVariable: Equatable {
        var value: String
        /// Where it was given, as errors name it; starts with the variable's name, so that
        /// ``settingPlace(_:)`` counts it as the environment.
        var place: String
        /// What a relative path in it is relative to: the current directory for a flag's,
        /// the source directory (where the buildspec's commands run) for the buildspec's.
        var base: String
    }

    struct Resolved {
        var target: any DeployTarget
        var pointer: any PointerStore
        var config: SiteConfig
        var environment: [String: String]
        var aws: AWSContext
        /// The CloudFront distribution id, when one is configured.
        var distribution: String?
        /// The settings file read (which may not exist).
        var configPath: String
        /// No target was given (flag, SITEBUILD_TARGET, sitebuild.yml): the default `.sitebuild`.
        var targetIsDefault = false
        /// Where the pointer and the distribution were given (`--pointer`, `SITEBUILD_POINTER`,
        /// `sitebuild.yml`), when given: a preview's `--pointer` with production's distribution
        /// from the settings or a repository variable would invalidate production.
        var pointerSource: String?
        var distributionSource: String?

        /// The pointer's URL when one was given (not the target's own), for the lines that say
        /// what went live where.
        var givenPointer: String? { pointerSource == nil ? nil : pointer.url }
        /// Set when the target and the pointer come from different places (one from a flag or
        /// the environment, the other from sitebuild.yml): a staging --target with the
        /// settings file's production pointer would flip production to a version it cannot serve.
        var mixedSourcesWarning: String?
        /// Set when the target is an S3 prefix that no CloudFront origin path can reach
        /// (``S3Location/originPathProblem(_:)``): said, not refused, since another router may serve it.
        var targetPrefixWarning: String?

        /// Set inside a CodeBuild build (``CodeBuildEnvironment/isInside(_:)``) when no target
        /// was given: the default local target is a folder of the build's container, thrown
        /// away with it, so a green build would have published nothing (and a rollback or prune
        /// would act on nothing the site serves). `deploy` and `run` say it with the default
        /// `what`; `rollback` and `prune` say what they do there.
        func containerTargetWarning(_ what: String = "the versions go to") -> String? {
            guard targetIsDefault, CodeBuildEnvironment.isInside(environment) else { return nil }
            return "warning: this is a CodeBuild build (CODEBUILD_BUILD_ID is set) and no target is given, so \(what) the "
                + "default local target \(target.url), inside the build container, which is discarded when the build ends; give "
                + "the S3 target (--target, SITEBUILD_TARGET in the project's variables or the buildspec's env.variables, or sitebuild.yml)"
        }

        /// Self, or a usage error when the target is a local directory that does not exist:
        /// for the commands that read a target (versions, rollback, prune, serve), a mistyped
        /// path should not read as "no versions yet". (The first deploy makes the directory.)
        func requiringTarget() throws -> Resolved {
            if let local = target as? LocalTarget {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: local.root, isDirectory: &isDirectory)
                if !targetIsDefault && !exists {
                    throw UsageError("\(local.url): no such directory; check --target (a local target is made by its first deploy)")
                }
                if exists && !isDirectory.boolValue {
                    throw UsageError("the target \(local.url) is a file, not a directory; check --target")
                }
            }
            return self
        }

        /// The target's other pointers (``OtherPointer/find(on:besides:open:)``), opened with
        /// this command's AWS settings; a file pointer inside a local target is named by its
        /// path there. Damaged heads throw, unless `damaged` is given (see ``OtherPointer/find(on:besides:damaged:open:)``).
        func otherPointers(damaged: ((DamagedRecords) -> Void)? = nil) async throws -> [OtherPointer] {
            let target = self.target, aws = self.aws
            return try await OtherPointer.find(on: target, besides: Deployer(target: target, pointer: pointer).pointerNames,
                                               damaged: damaged) { name, region in
                let store: any PointerStore
                if !name.contains("://") {
                    guard let local = target as? LocalTarget else { return nil }
                    store = LocalPointerStore(path: local.root + "/" + name)
                } else {
                    // Read where it lives (a DynamoDB table in its region), whatever this command's region.
                    store = try TargetOptions.pointerStore(name, what: "the pointer", cwd: "/", context: region.map { aws.inRegion($0) } ?? aws)
                }
                // A file pointer whose folder is not here (a project folder moved, another
                // machine's path) cannot be read: "it holds nothing" would be a guess.
                if let file = store as? LocalPointerStore {
                    let folder = (file.path as NSString).deletingLastPathComponent
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                        throw DeployError("its folder \(folder) is not on this machine (moved, or another machine's path)")
                    }
                }
                return store
            }
        }

        /// The local target and pointer file, for `serve`.
        var local: (target: LocalTarget, pointer: LocalPointerStore)? {
            guard let target = target as? LocalTarget, let pointer = pointer as? LocalPointerStore else { return nil }
            return (target, pointer)
        }
    }

    /// Options read from `--config`/`--target` only, with a region so that S3 and DynamoDB URLs
    /// resolve offline (nothing is sent): for commands that check or hash as deploy would.
    static func offline(config: String?, target: String? = nil, pointer: String? = nil) throws -> TargetOptions {
        // AWS_REGION is read (and checked) as the deploy reads it, under its own name.
        let region = ProcessInfo.processInfo.environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 } == nil ? ["--region", "us-east-1"] : []
        return try parse(region + (config.map { ["--config", $0] } ?? []) + (target.map { ["--target", $0] } ?? [])
            + (pointer.map { ["--pointer", $0] } ?? []))
    }

    /// `relativeBase`: what a relative target or pointer in the settings file is relative to
    /// (nil: the settings file's folder).
    /// `localOnly`: a command that works only on a local target and file pointer (serve),
    /// named in the error for any other, given before an AWS setting (a region) is asked for.
    /// `given`: ``settingVariables`` given elsewhere than in `environment`, which they beat
    /// (`run` leaves out those the environment beats).
    func resolve(configDirectory: String, relativeBase: String? = nil, localOnly: String? = nil,
                 environment: [String: String] = ProcessInfo.processInfo.environment,
                 given: [String: GivenVariable] = [:]) throws -> Resolved {
        let env = environment
        /// A setting variable's value and the place it is named by.
        func variable(_ name: String) -> (String?, String) { given[name].map { ($0.value, $0.place) } ?? (env[name], name) }
        let cwd = FileManager.default.currentDirectoryPath
        if config?.isEmpty == true {
            throw UsageError("--config is empty (an unset variable?): name the settings file, or leave the flag out to read sitebuild.yml")
        }
        let configPath = config.map { absolutePath($0, relativeTo: cwd) } ?? configDirectory + "/sitebuild.yml"
        var isDirectory: ObjCBool = false
        if config != nil && !FileManager.default.fileExists(atPath: configPath, isDirectory: &isDirectory) {
            throw UsageError("--config \(config!): no such file")
        }
        if config != nil && isDirectory.boolValue {
            throw UsageError("--config \(config!): is a directory; name the settings file, such as \(config!)/sitebuild.yml")
        }
        let settings = try SiteConfig.load(configPath)
        let objectWrites = try writes.settings(over: settings.objectWrites)
        let context = AWSContext(options: aws, environment: env, objectWrites: objectWrites)
        // An empty flag is a mistake (an unset variable in `--pointer "$PREVIEW_POINTER"`), not a
        // request for the next setting: that would be sitebuild.yml's production pointer, or the
        // local default target for a job meant to deploy to S3. (An empty SITEBUILD_* variable
        // counts as unset, as CI templates leave them.)
        for (value, flag, what) in [(target, "--target", "where versions live"), (pointer, "--pointer", "the live-version pointer"),
                                    (distribution, "--distribution", "the distribution id")] where value?.isEmpty == true {
            throw UsageError("\(flag) is empty (an unset variable?): give \(what), or leave the flag out to use "
                + "SITEBUILD_\(flag.dropFirst(2).uppercased()), sitebuild.yml or the default")
        }
        let (targetText, targetSource) = first([(target, "--target"), variable("SITEBUILD_TARGET"),
                                                (settings.target, "\(settings.targetPlace ?? configPath): target")]) ?? (".sitebuild", "default")
        let pointerSetting = first([(pointer, "--pointer"), variable("SITEBUILD_POINTER"),
                                    (settings.pointer, "\(settings.pointerPlace ?? configPath): pointer")])
        // A relative path written in the settings file is relative to that file, wherever
        // sitebuild runs from (as a relative `source:` is); on the command line and in the
        // environment, to the current directory.
        if let localOnly {
            for (text, source) in [(targetText, targetSource), pointerSetting].compactMap({ $0 })
            where ["s3://", "dynamodb://", "cloudfront-kvs://"].contains(where: { text.hasPrefix($0) }) {
                throw UsageError("\(localOnly) previews a local target with a file pointer; \(source) \(text) is not one. "
                    + "Deploy the same build to a local target (sitebuild deploy DIR --target .sitebuild) and serve that")
            }
        }
        let settingsDirectory = relativeBase ?? (configPath as NSString).deletingLastPathComponent
        /// Whether a setting's source (as `first` names it) is the settings file.
        func fromFile(_ source: String) -> Bool { Self.settingPlace(source) == "file" }
        func base(_ source: String) -> String {
            given.values.first { $0.place == source }?.base ?? (fromFile(source) ? settingsDirectory : cwd)
        }
        let resolvedTarget: any DeployTarget
        let defaultPointer: any PointerStore
        var targetPrefixWarning: String?
        if targetText.hasPrefix("s3://") {
            let location = try usage { try S3Location.parse(targetText, what: targetSource) }
            let what = "\(targetSource) \(targetText)"
            if let problem = S3Location.originPathProblem(location.prefix) { targetPrefixWarning = "warning: \(what): \(problem)" }
            let reporter = Reporter(json: json)
            resolvedTarget = S3Target(client: try context.s3(for: what), location: location, log: { reporter.say($0) })
            defaultPointer = S3PointerStore(client: try context.s3(for: what), bucket: location.bucket,
                                            key: location.prefix + "_sitebuild/live", isTargetDefault: true)
        } else {
            let root = try Self.localPath(targetText, what: targetSource, cwd: base(targetSource), kind: "target")
            resolvedTarget = LocalTarget(root: root)
            defaultPointer = LocalPointerStore(path: root + "/_sitebuild/live")
        }
        let resolvedPointer = try pointerSetting.map { try Self.pointerStore($0.0, what: $0.1, cwd: base($0.1), context: context) } ?? defaultPointer
        if let (text, source) = pointerSetting, let problem = Self.pointerInsideTarget(resolvedPointer, target: resolvedTarget) {
            throw UsageError("\(source) \(text): \(problem)")
        }
        let distributionId = first([(distribution, "--distribution"), variable("SITEBUILD_DISTRIBUTION"),
                                    (settings.distribution, "\(settings.distributionPlace ?? configPath): distribution")])
        if let (id, source) = distributionId, !id.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) || id.count > 32 {
            throw UsageError("\(source) \(id): not a CloudFront distribution id (upper-case letters and digits, such as E2QWRUHAPOMQZL)")
        }
        var resolved = Resolved(target: resolvedTarget, pointer: resolvedPointer, config: settings, environment: env, aws: context,
                                distribution: distributionId?.0, configPath: configPath, targetIsDefault: targetSource == "default")
        resolved.pointerSource = pointerSetting?.1
        resolved.distributionSource = distributionId?.1
        resolved.targetPrefixWarning = targetPrefixWarning
        if let (_, pointerSource) = pointerSetting {
            if targetSource != "default" && fromFile(targetSource) != fromFile(pointerSource) {
                resolved.mixedSourcesWarning = "warning: the target comes from \(targetSource) (\(resolvedTarget.url)) but the pointer from "
                    + "\(pointerSource) (\(resolvedPointer.url)): check that they belong together"
            }
        }
        return resolved
    }

    /// The kind of place a setting came from, as ``first(_:)`` names its source: `flag`,
    /// `environment` (a SITEBUILD_ variable), `default`, or `file` (sitebuild.yml, its line).
    static func settingPlace(_ source: String) -> String {
        source.hasPrefix("--") ? "flag" : source.hasPrefix("SITEBUILD_") ? "environment" : source == "default" ? "default" : "file"
    }

    /// What is wrong with a pointer object or file inside the target: in one of sitebuild's
    /// record folders (`_sitebuild/manifests/`…), where a flip would overwrite a record.
    /// Directly in `_sitebuild/` (the default `_sitebuild/live`, a preview's
    /// `_sitebuild/live-pr-7`) or in a folder of its own beside the versions is fine.
    static func pointerInsideTarget(_ pointer: any PointerStore, target: any DeployTarget) -> String? {
        let relative: Substring
        if let s3 = pointer as? S3PointerStore, let s3Target = target as? S3Target, s3.bucket == s3Target.location.bucket,
           s3.key.hasPrefix(s3Target.location.prefix) {
            relative = s3.key.dropFirst(s3Target.location.prefix.count)
        } else if let file = pointer as? LocalPointerStore, let local = target as? LocalTarget, let inside = local.pathInside(file.path) {
            relative = Substring(inside)
        } else {
            return nil
        }
        // A folder named as sitebuild names versions by content is a version's: a flip would
        // overwrite one of its files. (A literal id's folder cannot be told from a folder of
        // pointers offline; what a page holds is refused when the pointer is read.)
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count > 1, DeployInvocation.looksLikeContentId(String(parts[0])) {
            return "the pointer is inside the version folder \(parts[0])/, where a flip would overwrite one of its files; leave "
                + "--pointer out for the target's own (_sitebuild/live), or put it directly in _sitebuild/ or outside the versions"
        }
        guard parts.count > 2, parts[0] == "_sitebuild" else { return nil }
        return "the pointer is inside sitebuild's records (\(parts[0])/\(parts[1])/), where a flip would overwrite a record; leave "
            + "--pointer out for the target's own (_sitebuild/live), or put it directly in _sitebuild/ or outside it"
    }

    /// A pointer URL: `cloudfront-kvs://<arn>#key`, `dynamodb://table#key`, `s3://bucket/key`,
    /// `file:///path` or a path.
    static func pointerStore(_ text: String, what: String, cwd: String, context: AWSContext) throws -> any PointerStore {
        let label = "\(what) \(text)"
        func split(_ rest: Substring) throws -> (String, String) {
            // The first '#': neither an ARN nor a table name holds one, a key may.
            guard let hash = rest.firstIndex(of: "#") else { return (String(rest), defaultPointerKey) }
            let key = String(rest[rest.index(after: hash)...])
            // An empty key is most likely a variable that was not set (`…#$SITE`): taking the
            // default would move whichever site's pointer uses it.
            guard !key.isEmpty else {
                throw UsageError("\(label): the key after '#' is empty; name it (#\(defaultPointerKey) is the Hosting Toolkit's), or leave out "
                    + "the '#' for the default")
            }
            return (String(rest[..<hash]), key)
        }
        if text.hasPrefix("cloudfront-kvs://") {
            let (arn, key) = try split(text.dropFirst("cloudfront-kvs://".count))
            // A key the viewer-request function cannot read would make a version live that no
            // viewer ever gets.
            if let problem = CloudFrontFunctionCode.pointerKeyProblem(key) { throw UsageError("\(label): pointer key '\(key)': \(problem)") }
            let id = arn.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            guard arn.hasPrefix("arn:"), arn.contains(":key-value-store/"), !id.isEmpty,
                  id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw UsageError("\(label): '\(arn)' is not a CloudFront KeyValueStore ARN (arn:aws:cloudfront::<account>:key-value-store/<id>)")
            }
            return KeyValueStorePointerStore(client: try context.keyValueStore(arn: arn, what: label), key: key)
        }
        if text.hasPrefix("dynamodb://") {
            let (table, key) = try split(text.dropFirst("dynamodb://".count))
            let validTable = (3...255).contains(table.count)
                && table.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
            guard validTable else {
                throw UsageError("\(label): '\(table)' is not a DynamoDB table name (3 to 255 letters, digits, '_', '-' or '.'); write dynamodb://table#key")
            }
            return DynamoDBPointerStore(client: try context.dynamoDB(for: label), table: table, key: key)
        }
        if text.hasPrefix("s3://") {
            let location = try usage { try S3Location.parse(text, what: what) }
            let key = String(location.prefix.dropLast())
            guard !key.isEmpty else { throw UsageError("\(label): name the pointer object, such as s3://\(location.bucket)/_sitebuild/live") }
            return S3PointerStore(client: try context.s3(for: label), bucket: location.bucket, key: key)
        }
        return LocalPointerStore(path: try localPath(text, what: what, cwd: cwd, kind: "pointer"))
    }

    func first(_ candidates: [(String?, String)]) -> (String, String)? {
        for (value, source) in candidates { if let value, !value.isEmpty { return (value, source) } }
        return nil
    }

    /// The schemes a target or pointer URL may have: a local path starting with one of them
    /// and a colon is a mistyped URL.
    static let urlSchemes: Set<String> = ["s3", "file", "dynamodb", "cloudfront-kvs", "kvs", "http", "https"]

    static func localPath(_ text: String, what: String, cwd: String, kind: String) throws -> String {
        if text.hasPrefix("file://") {
            // Percent-decoded (RFC 8089): `file:///srv/my%20site` is the folder `my site`, as
            // `pathlib`'s as_uri() and browsers write it.
            guard let path = String(text.dropFirst("file://".count)).removingPercentEncoding else {
                throw UsageError("\(what) \(text): a '%' in a file URL starts an escape such as %20; write a literal '%' as %25")
            }
            guard path.hasPrefix("/") else { throw UsageError("\(what) \(text): a file URL needs an absolute path, such as file:///srv/site") }
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        let schemes = kind == "target" ? "s3://bucket/prefix, file:///dir or a directory"
            : "cloudfront-kvs://<kvs-arn>#key, dynamodb://table#key, s3://bucket/key, file:///path or a path"
        if text.contains("://") {
            throw UsageError("\(what) \(text): unknown URL scheme; use \(schemes)")
        }
        // `s3:/bucket/x` or `dynamodb:table#key` (a slash short) would be a local folder named
        // `s3:`: a green deploy that never reached AWS.
        if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/"), Self.urlSchemes.contains(text[..<colon].lowercased()) {
            let head = text[...colon]
            throw UsageError("\(what) \(text): \(head) is a URL scheme but '//' is missing; write \(head)//… (use \(schemes)), or ./\(text) for a local folder of that name")
        }
        // Only a shell expands `~` (not sitebuild.yml, nor a CI's variables): a folder named
        // `~` in the project is never what was meant. Likewise a name of nothing but spaces.
        if text == "~" || text.hasPrefix("~/") {
            throw UsageError("\(what) \(text): '~' is not expanded here (only a shell does that); write the full path, such as "
                + "\(ProcessInfo.processInfo.environment["HOME"] ?? "$HOME")\(text.dropFirst()), or ./\(text) for a folder named '~'")
        }
        if text.allSatisfy(\.isWhitespace) {
            throw UsageError("\(what) '\(text)' is blank (an unset variable?): give a directory or URL")
        }
        return absolutePath(text, relativeTo: cwd)
    }
}

/// Runs `body`, turning a ``DeployError`` about the input into a usage error (exit 2).
func usage<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as DeployError { throw UsageError(error.description) }
}

/// When and how to invalidate CloudFront after a flip.
struct InvalidationOptions: ParsableArguments {
    @Option(help: "auto (default: only when the pointer is not a KeyValueStore, since KVS routing gives every version new cache keys), always, or never.")
    var invalidate: String?

    @Flag(help: "Wait until the invalidation has completed.")
    var wait = false

    @Option(help: "Give up waiting after this long (30s, 10m, 1h). Default: 15m.")
    var waitTimeout: String = "15m"

    enum Mode: String {
        case auto, always, never
    }

    func mode(_ config: SiteConfig) throws -> Mode {
        let text = invalidate ?? config.invalidate ?? "auto"
        guard let mode = Mode(rawValue: text) else { throw UsageError("--invalidate \(text): use auto, always or never") }
        return mode
    }

    func timeout() throws -> Duration {
        let seconds = try parseDuration(waitTimeout, flag: "--wait-timeout")
        guard seconds > 0 else { throw UsageError("--wait-timeout \(waitTimeout): give a time above zero, such as 15m") }
        return .seconds(seconds)
    }
}

/// Routing and headers, shared by deploy and serve.
struct RoutingOptions: ParsableArguments {
    @Option(help: "Routing mode: static (/a → a.html, /a/ → a/index.html) or spa (paths without an extension → index.html).")
    var mode: String?

    @Option(help: "Trailing-slash redirects: none, always (/a → /a/) or never (/a/ → /a).")
    var trailingSlash: String?

    func router(_ config: SiteConfig) throws -> Router {
        Router(mode: try routingMode(config), trailingSlash: try trailing(config))
    }

    func routingMode(_ config: SiteConfig) throws -> RoutingMode {
        if let mode {
            guard let value = RoutingMode(rawValue: mode) else { throw UsageError("--mode \(mode): use static or spa") }
            return value
        }
        return config.mode ?? .static
    }

    /// The manifest builder for these routing settings: static mode adds `x.html` aliases, or
    /// `x/index.html` ones when every `/x` is redirected to `/x/`. `deploy` and `hash` must
    /// agree (the version id is the manifest's hash).
    func manifestBuilder(_ config: SiteConfig) throws -> ManifestBuilder {
        let mode = try routingMode(config)
        let aliases: PageAliases = mode == .spa ? .none : try trailing(config) == .always ? .directoryIndex : .html
        return ManifestBuilder(policy: HeaderPolicy(rules: config.headerRules), mode: mode, aliases: aliases)
    }

    func trailing(_ config: SiteConfig) throws -> TrailingSlash {
        let text = trailingSlash ?? config.trailingSlash ?? "none"
        guard let value = TrailingSlash(rawValue: text) else { throw UsageError("--trailing-slash \(text): use none, always or never") }
        return value
    }
}

/// Durations for prune's grace period: `90s`, `15m`, `2h`, `7d`, `1d12h`.
func parseDuration(_ text: String, flag: String) throws -> TimeInterval {
    if Double(text) != nil {
        throw UsageError("\(flag) \(text): add a unit (s, m, h or d), such as \(text)h")
    }
    guard let seconds = parseDurationText(text, bareNumberUnit: nil) else {
        throw UsageError("\(flag) \(text): write a duration such as 30m, 24h or 7d")
    }
    return seconds
}

func humanBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// Human messages to stderr, JSON events to stdout.
struct Reporter: Sendable {
    var json: Bool
    /// Added to the `result` event (`run` adds the build's exported variables, so that the
    /// last result of its stream has them, as the build's own result does).
    var resultFields: [(String, JSONValue)] = []

    init(json: Bool, resultFields: [(String, JSONValue)] = []) {
        self.json = json
        self.resultFields = resultFields
    }

    /// Masks secrets in every line and event of every reporter of this process: `run` sets
    /// it to its build's masker (the build's parameter-store and secrets-manager values may be
    /// in the names of the files it made, or in an error), before its deploy says anything.
    static let secretMask = Mutex<(@Sendable (String) -> String)?>(nil)
    /// Whether showing a name would uncover one of those secrets (it is part of one, or holds a
    /// long one whole: ``SecretMasker/wouldReveal(_:)``): such a name is never kept readable
    /// (``keptVisible``).
    static let revealsASecret = Mutex<(@Sendable (String) -> Bool)?>(nil)

    /// Names sitebuild itself uses that stay readable even when a short secret's value is part
    /// of them: the version ids and the target's and pointer's URLs it reports, which scripts
    /// (and `watch`) read back and the pointer holds as they are.
    static let keptVisible = Mutex<Set<String>>([])

    static func keepVisible(_ names: [String?]) {
        keptVisible.withLock { kept in for case let name? in names where !name.isEmpty { kept.insert(name) } }
    }

    func mask(_ text: String) -> String {
        guard let mask = Self.secretMask.withLock({ $0 }) else { return text }
        // Each kept name is set aside (longest first), the rest masked, then the names put back.
        let inSecret = Self.revealsASecret.withLock { $0 } ?? { _ in true }
        let kept = Self.keptVisible.withLock { $0 }.filter { text.contains($0) && !inSecret($0) }.sorted { $0.count > $1.count }
        var text = text
        // Placeholders of private-use characters only: one with a digit in it would be masked
        // itself by a secret `1`, and the name never put back.
        func placeholder(_ index: Int) -> String {
            "\u{E000}" + String(index, radix: 16).unicodeScalars.map { String(UnicodeScalar(0xE001 + Int($0.value))!) }.joined() + "\u{E000}"
        }
        for (index, name) in kept.enumerated() { text = text.replacingOccurrences(of: name, with: placeholder(index)) }
        text = mask(text)
        for (index, name) in kept.enumerated() { text = text.replacingOccurrences(of: placeholder(index), with: name) }
        return text
    }

    func say(_ message: String) {
        writeAll(2, Array("sitebuild: \(mask(message))\n".utf8))
    }

    /// `value` with every string in it masked.
    func masked(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(mask(text))
        case .array(let items): return .array(items.map(masked))
        case .object(let pairs): return .object(pairs.map { ($0.0, masked($0.1)) })
        default: return value
        }
    }

    /// `{"event":name,…,"time":…}`: a time as the build's events have (last, so that the
    /// event's first fields stay where they were).
    /// Says `message` and, with --json, ends the stream with a FAILED result carrying it.
    func fail(_ message: String) {
        say(message)
        event("result", [("status", .string("FAILED")), ("message", .string(message))])
    }

    func event(_ name: String, _ fields: [(String, JSONValue)]) {
        guard json else { return }
        let value = JSONValue.object([("event", .string(name))] + fields.map { ($0.0, masked($0.1)) } + (name == "result" ? resultFields : [])
            + [("time", .string(ReleaseRecord.isoTime(Date())))])
        writeAll(1, Array((value.serialized() + "\n").utf8))
    }
}

/// The upload progress line on a terminal: files, bytes, rate and time left, redrawn in
/// place on stderr (never with `--json`, never when stderr is a file or pipe, nor on a
/// terminal that cannot redraw: ``redraws(environment:)``).
final class ProgressLine: Sendable {
    let enabled: Bool
    let started = ContinuousClock.now

    init(json: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) {
        enabled = !json && isatty(2) == 1 && Self.redraws(environment: environment)
    }

    /// Whether the terminal understands the escape sequences that redraw a line: not when
    /// TERM is `dumb` (Emacs' shell buffers, CI log viewers that allocate a pseudo-terminal)
    /// or unset (cron, `env -i`), as curl and git decide. Every ANSI sequence sitebuild writes
    /// goes through this rule.
    static func redraws(environment: [String: String]) -> Bool {
        guard let term = environment["TERM"], !term.isEmpty else { return false }
        return term != "dumb"
    }

    func show(_ stats: UploadStats) {
        guard enabled, stats.plannedFiles > 0 else { return }
        let elapsed = (ContinuousClock.now - started).seconds
        let rate = elapsed > 0 ? Double(stats.uploadedBytes) / elapsed : 0
        var line = "\u{1B}[2K\r  \(stats.done)/\(stats.plannedFiles) objects, \(humanBytes(stats.uploadedBytes)) uploaded"
        if rate > 0 { line += ", \(humanBytes(Int64(rate)))/s" }
        if stats.done > 0 && stats.done < stats.plannedFiles && elapsed > 1 {
            let left = elapsed / Double(stats.done) * Double(stats.plannedFiles - stats.done)
            line += ", about \(Int(left.rounded(.up))) s left"
        }
        writeAll(2, Array(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        writeAll(2, Array("\u{1B}[2K\r".utf8))
    }
}
