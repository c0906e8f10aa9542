import AWSServices
import BuildSpec
import Deploy
import Foundation
import SiteContent
import Yams

/// `sitebuild.yml`: where to deploy, how to route, which headers to send, how to prune.
/// Every key is optional; flags and `SITEBUILD_*` variables win over it.
struct SiteConfig {
    /// `source:`: what to build (a directory, git URL, archive or s3:// archive), read
    /// when neither `--source` nor SITEBUILD_SOURCE is given.
    var source: String?
    /// `file:line:column` of the `source:` value, for messages.
    var sourcePlace: String?
    var target: String?
    /// `cache:`: a build cache shared through S3 (`s3://bucket/prefix`).
    var cache: String?
    /// `file:line:column` of the `cache:` value, for messages.
    var cachePlace: String?
    /// Where `target`, `pointer` and `distribution` were written (`file:line:column`), for errors.
    var targetPlace: String?
    var pointerPlace: String?
    var distributionPlace: String?
    var pointer: String?
    /// The CloudFront distribution id, for invalidation and doctor.
    var distribution: String?
    /// `invalidate: auto | always | never`.
    var invalidate: String?
    /// Domains the site is served on, for doctor's certificate and DNS checks.
    var domains: [String] = []
    /// `file:line:column: domains[i]` of each of ``domains``, for messages about it.
    var domainPlaces: [String] = []

    /// Each domain with the place it was written (`file:line:column: domains[i]`), for messages.
    var placedDomains: [(String, String)] {
        domains.enumerated().map { ($0.element, domainPlaces.indices.contains($0.offset) ? domainPlaces[$0.offset] : "sitebuild.yml domains") }
    }
    var mode: RoutingMode?
    var trailingSlash: String?
    /// `sse:`, `sse-kms-key-id:` and `acl:`: what every object written to S3 carries, as
    /// `--sse`, `--sse-kms-key-id` and `--acl` (which win, each on its own).
    var objectWrites = S3Client.ObjectWriteSettings()

    /// Why `name` cannot be a per-file header (`headers[].set`), or nil when it can: the server
    /// and CloudFront compute these, S3 keeps them itself, or they have keys of their own.
    /// It refuses at least what `cloudfront/viewer-response.js` would drop at the edge
    /// (`viewerResponseRefusalsAreAllRefusedHere` checks), so nothing is dropped silently.
    static func unsettableHeader(_ name: String) -> String? {
        let lower = name.lowercased()
        switch lower {
        case "cache-control", "content-type", "content-encoding":
            return "use the rule's `\(lower)` key"
        case "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "te", "expect",
             "proxy-authenticate", "proxy-authorization", "proxy-connection", "host", "date", "etag", "last-modified",
             "accept-ranges", "content-range", "age", "via", "warning", "x-cache", "x-forwarded-proto", "x-real-ip":
            return "the server and CloudFront set it for every response"
        case "server":
            return "S3 sends its own (`Server: AmazonS3`), which the viewer-response function keeps, so yours would show only in the preview"
        case "set-cookie", "set-cookie2":
            return "CloudFront Functions carry cookies apart from headers, so it would show only in the preview; set cookies "
                + "from your application, not on static files"
        default:
            if lower.hasPrefix("x-amz-server-side-encryption") || lower == "x-amz-acl" {
                return "S3 keeps it with the object, not as a header to send: use the top-level `sse:`, `sse-kms-key-id:` or `acl:` key "
                    + "(or --sse, --sse-kms-key-id, --acl), which applies to every object written"
            }
            if lower.hasPrefix("x-amz-") || lower.hasPrefix("x-amzn-") || lower.hasPrefix("x-edge-") || lower.hasPrefix("x-accel-") {
                return "S3 and CloudFront reserve x-amz-, x-amzn-, x-edge- and x-accel- names"
            }
            return nil
        }
    }
    /// The bytes of `path` when it is a character device or a pipe, which FileManager does
    /// not read; nil for anything else, or when it cannot be opened.
    static func readStream(_ path: String) -> Data? {
        var info = stat()
        guard stat(path, &info) == 0, [S_IFCHR, S_IFIFO].contains(info.st_mode & S_IFMT),
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.readToEnd() ?? Data()
    }

    var headerRules: [HeaderRule] = []
    var pruneKeep: Int?
    var pruneGrace: String?
    var file: String?

    /// Reads `path` if it exists; errors name file:line:column and the key.
    static func load(_ path: String) throws -> SiteConfig {
        // A device or a pipe (`--config /dev/null`, `--config <(…)`) is read as it comes.
        guard let data = FileManager.default.contents(atPath: path) ?? Self.readStream(path) else {
            // Missing: no settings. There but unreadable (permissions, a directory): an error,
            // not silently the defaults (a deploy to the default target instead of production).
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return SiteConfig() }
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            let reason = descriptor < 0 ? String(cString: strerror(errno)) : "it cannot be read"
            if descriptor >= 0 { close(descriptor) }
            throw UsageError(isDirectory.boolValue ? "\(path): is a directory, not a settings file"
                                                   : "\(path): cannot be read (\(reason)); check its permissions")
        }
        var config = SiteConfig()
        config.file = path
        let text = String(decoding: data, as: UTF8.self)
        func fail(_ node: Node?, _ key: String, _ message: String) -> UsageError {
            let place = node?.mark.map { "\(path):\($0.line):\($0.column): " } ?? "\(path): "
            return UsageError("\(place)\(key): \(message)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            if case .scanner(_, let problem, let mark, _) = error { throw UsageError("\(path):\(mark.line):\(mark.column): YAML syntax error: \(problem)") }
            if case .parser(_, let problem, let mark, _) = error { throw UsageError("\(path):\(mark.line):\(mark.column): YAML syntax error: \(problem)") }
            if case .duplicatedKeysInMapping(let duplicates, let context) = error {
                let key = duplicates.first ?? ""
                let at = YAMLDuplicateKey.report(key, firstAt: (context.mark.line, context.mark.column), in: text)
                throw UsageError("\(path):\(at.line):\(at.column): \(key): \(at.message)")
            }
            throw UsageError("\(path): YAML error: \(error)")
        }
        guard let root else { return config }
        guard case .mapping(let map) = root else { throw fail(root, "sitebuild.yml", "must be a mapping of settings") }
        /// `file:line:column` of a value, for messages about it later.
        func place(_ node: Node) -> String { node.mark.map { "\(path):\($0.line):\($0.column)" } ?? path }
        func scalar(_ node: Node, _ key: String) throws -> String {
            guard case .scalar(let s) = node else { throw fail(node, key, "must be a single value") }
            return s.string
        }
        /// A place setting: empty (`target:`, or `target: ${T}` after an envsubst of an unset
        /// variable) would silently mean the default (a deploy to the local target, a flip of
        /// the default pointer) with exit 0.
        func placeSetting(_ node: Node, _ key: String) throws -> String {
            let text = try scalar(node, key)
            let isNull = node.scalar?.style == .plain && ["~", "null", "Null", "NULL"].contains(text)
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty, !isNull else {
                throw fail(node, key, "is empty (an unset variable where the file was written?); give a value, or remove the line to use the default")
            }
            return text
        }
        let known = ["source", "cache", "target", "pointer", "distribution", "invalidate", "domains", "mode", "trailing-slash", "headers", "prune",
                     "sse", "sse-kms-key-id", "acl"]
        for (keyNode, value) in map {
            let key = keyNode.string ?? ""
            switch key {
            case "source":
                config.source = try placeSetting(value, key)
                config.sourcePlace = place(value)
            case "cache":
                config.cache = try placeSetting(value, key)
                config.cachePlace = place(value)
            case "target":
                config.target = try placeSetting(value, key)
                config.targetPlace = place(value)
            case "pointer":
                config.pointer = try placeSetting(value, key)
                config.pointerPlace = place(value)
            case "distribution":
                config.distribution = try placeSetting(value, key)
                config.distributionPlace = place(value)
            case "sse":
                let text = try placeSetting(value, key)
                let encryptions = S3Client.ObjectWriteSettings.encryptions
                guard encryptions.contains(text) else { throw fail(value, key, "'\(text)' is not valid; use \(encryptions.joined(separator: ", "))") }
                config.objectWrites.serverSideEncryption = text
            case "sse-kms-key-id":
                config.objectWrites.kmsKeyId = try placeSetting(value, key)
            case "acl":
                let text = try placeSetting(value, key)
                let acls = S3Client.ObjectWriteSettings.cannedACLs
                guard acls.contains(text) else { throw fail(value, key, "'\(text)' is not a canned ACL; use one of \(acls.joined(separator: ", "))") }
                config.objectWrites.acl = text
            case "invalidate":
                let text = try scalar(value, key)
                guard ["auto", "always", "never"].contains(text) else { throw fail(value, key, "'\(text)' is not valid; use auto, always or never") }
                config.invalidate = text
            case "domains":
                switch value {
                case .scalar:
                    config.domains = [try scalar(value, key)]
                    config.domainPlaces = ["\(place(value)): domains"]
                case .sequence(let items):
                    config.domains = try items.enumerated().map { try scalar($0.element, "domains[\($0.offset)]") }
                    config.domainPlaces = items.enumerated().map { "\(place($0.element)): domains[\($0.offset)]" }
                default: throw fail(value, key, "must be a domain or a list of domains")
                }
            case "mode":
                let text = try scalar(value, key)
                guard let mode = RoutingMode(rawValue: text) else { throw fail(value, key, "'\(text)' is not a mode; use static or spa") }
                config.mode = mode
            case "trailing-slash":
                let text = try scalar(value, key)
                guard ["none", "always", "never"].contains(text) else { throw fail(value, key, "'\(text)' is not valid; use none, always or never") }
                config.trailingSlash = text
            case "headers":
                guard case .sequence(let rules) = value else { throw fail(value, key, "must be a list of rules, each with `match:` and headers") }
                for (i, ruleNode) in rules.enumerated() {
                    let path = "headers[\(i)]"
                    guard case .mapping(let rule) = ruleNode else { throw fail(ruleNode, path, "must be a mapping with `match:`") }
                    var match: String?
                    var matchPlace = place(ruleNode)
                    var built = HeaderRule(pattern: "**")
                    // A header value goes into S3 requests and serve's responses as it is: one with a
                    // line break would add headers of its own; non-ASCII is not sent reliably.
                    func headerValue(_ node: Node, _ key: String) throws -> String {
                        let text = try scalar(node, key)
                        // Empty (`cache-control:` with its value left out, an unset template
                        // variable) would send the header blank: HTML would lose its revalidation.
                        // A quoted "" is written on purpose: for content-encoding it removes the
                        // encoding inferred from a .gz/.br name.
                        let written = node.scalar?.style != .plain
                        if (text.allSatisfy(\.isWhitespace) && !(written && text.isEmpty && key.hasSuffix(".content-encoding")))
                            || (!written && ["~", "null", "Null", "NULL"].contains(text)) {
                            throw fail(node, key, "the value is empty (an unset variable?); write the header's value, or leave the key out for the default"
                                + (key.hasSuffix(".content-encoding") ? " (content-encoding: \"\" sends none)" : ""))
                        }
                        if let bad = text.unicodeScalars.first(where: { !(($0.value >= 0x20 && $0.value < 0x7F) || $0 == "\t") }) {
                            let shown = bad.value < 0x20 || bad.value == 0x7F ? String(format: "U+%04X (a control character)", bad.value)
                                : "'\(bad)' (not ASCII)"
                            throw fail(node, key, "header values are printable ASCII; this one has \(shown)")
                        }
                        return text
                    }
                    for (k, v) in rule {
                        let name = k.string ?? ""
                        switch name {
                        case "match":
                            let text = try scalar(v, "\(path).match")
                            if let problem = GlobPattern.bracketProblem(text) { throw fail(v, "\(path).match", problem) }
                            match = text
                            matchPlace = place(v)
                        case "cache-control": built.cacheControl = try headerValue(v, "\(path).cache-control")
                        case "content-type": built.contentType = try headerValue(v, "\(path).content-type")
                        case "content-encoding": built.contentEncoding = try headerValue(v, "\(path).content-encoding")
                        case "set":
                            guard case .mapping(let extra) = v else { throw fail(v, "\(path).set", "must map header names to values") }
                            for (hk, hv) in extra {
                                let header = hk.string ?? ""
                                guard !header.isEmpty, header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                                    throw fail(hk, "\(path).set", "'\(header)' is not a valid header name (ASCII letters, digits and '-')")
                                }
                                if let reason = Self.unsettableHeader(header) {
                                    throw fail(hk, "\(path).set", "'\(header)' cannot be set per file: \(reason)")
                                }
                                built.extra.append((header, try headerValue(hv, "\(path).set.\(header)")))
                            }
                            let bytes = S3Target.metadataBytes(extra: built.extra)
                            if bytes > S3Target.maximumMetadataBytes {
                                throw fail(v, "\(path).set", "these headers travel as S3 object metadata (x-amz-meta-header-<name>), which "
                                    + "S3 limits to \(S3Target.maximumMetadataBytes) bytes per object; they take \(bytes): shorten them, or send "
                                    + "the long ones from a CloudFront response headers policy")
                            }
                        default:
                            throw fail(k, "\(path).\(name)", "unknown key; use match, cache-control, content-type, content-encoding or set")
                        }
                    }
                    guard let match else { throw fail(ruleNode, path, "a header rule needs `match:` (a glob such as '**/*.html')") }
                    built.pattern = GlobPattern(match)
                    built.place = "\(matchPlace): \(path).match"
                    config.headerRules.append(built)
                }
            case "prune":
                guard case .mapping(let prune) = value else { throw fail(value, key, "must be a mapping with keep and grace") }
                for (k, v) in prune {
                    switch k.string ?? "" {
                    case "keep":
                        let text = try scalar(v, "prune.keep")
                        guard let n = Int(text), n >= 0 else { throw fail(v, "prune.keep", "must be a whole number of versions") }
                        config.pruneKeep = n
                    case "grace":
                        let text = try scalar(v, "prune.grace")
                        guard Double(text) == nil, parseDurationText(text, bareNumberUnit: nil) != nil else {
                            throw fail(v, "prune.grace", "'\(text)' is not a duration; write one with a unit, such as 30m, 24h or 7d")
                        }
                        config.pruneGrace = text
                    default: throw fail(k, "prune.\(k.string ?? "")", "unknown key; use keep or grace")
                    }
                }
            default:
                let hint = known.min { editDistance($0, key) < editDistance($1, key) }.flatMap { editDistance($0, key) <= 2 ? "; did you mean '\($0)'?" : nil } ?? ""
                throw fail(keyNode, key, "unknown setting\(hint) (known: \(known.joined(separator: ", ")))")
            }
        }
        return config
    }
}
