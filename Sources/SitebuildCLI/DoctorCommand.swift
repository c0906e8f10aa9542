import ArgumentParser
import Deploy
import Foundation
import SiteContent

/// `sitebuild doctor`: checks that what the site needs exists and fits together (the bucket,
/// the pointer, the live version, the distribution and its viewer-request function and
/// KeyValueStore, and for each domain the alias, certificate and DNS), and says precisely
/// what is wrong. Reads only; changes nothing. The logic is ``Preflight`` in Deploy.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the bucket, pointer, distribution, certificate and DNS the site needs; change nothing.",
        discussion: "Prints one line per check (ok, FAIL or skip). Exit status 0 when nothing failed, 3 otherwise.")

    @OptionGroup var target: TargetOptions

    @Option(name: .customLong("domain"), help: "A domain the site is served on (repeatable); added to sitebuild.yml's domains.")
    var domains: [String] = []

    func run() async throws {
        let reporter = Reporter(json: target.json)
        let resolved: TargetOptions.Resolved
        let domains: [String]
        do {
            resolved = try target.resolve(configDirectory: FileManager.default.currentDirectoryPath)
            domains = try Self.normalize(resolved.config.placedDomains + self.domains.map { ($0, "--domain") })
        } catch {
            reporter.fail("\(error)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let aws = resolved.aws
        let cloud = resolved.distribution != nil
        let probe = PreflightProbe(target: resolved.target, pointer: resolved.pointer, distributionId: resolved.distribution,
                                   domains: domains, cloudFront: cloud ? try aws.cloudFront() : nil, acm: cloud ? try aws.acm() : nil,
                                   route53: cloud ? try aws.route53() : nil)
        let checks = Preflight.evaluate(await probe.gather())
        for check in checks {
            if target.json {
                var fields: [(String, JSONValue)] = [("name", .string(check.name))]
                if let domain = check.domain { fields.append(("domain", .string(domain))) }
                fields += [("status", .string(check.status.rawValue)), ("message", .string(check.message))]
                reporter.event("check", fields)
                reporter.say(check.line)
            } else {
                writeAll(1, Array((check.line + "\n").utf8))
            }
        }
        let failed = checks.filter { $0.status == .fail }.count
        let passed = checks.filter { $0.status == .ok }.count
        let skipped = checks.filter { $0.status == .skip }.count
        let summary = "\(passed) ok, \(failed) failed, \(skipped) skipped"
        reporter.event("result", [("status", .string(failed == 0 ? "SUCCEEDED" : "FAILED")), ("ok", .int(Int64(passed))),
                                  ("failed", .int(Int64(failed))), ("skipped", .int(Int64(skipped)))])
        if target.json {
            reporter.say("doctor: \(summary)")
        } else {
            writeAll(1, Array("doctor: \(summary)\n".utf8))
        }
        if failed > 0 { throw ExitCode(ExitStatus.deployFailed) }
    }

    /// Lower case, no trailing dot, no duplicates; a usage error names a value that is not a
    /// host name (letters, digits and '-' in dot-separated labels, optionally `*.` first).
    static func normalize(_ values: [(String, String)]) throws -> [String] {
        var result: [String] = []
        for (value, source) in values {
            let domain = Preflight.normalizeDomain(value.trimmingCharacters(in: .whitespaces))
            let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
            let valid = labels.count >= 2 && domain.count <= 253 && labels.enumerated().allSatisfy { index, label in
                if index == 0 && label == "*" { return true }
                return (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
            guard valid else {
                throw UsageError((value.isEmpty ? "\(source) is empty" : "\(source) \(value): not a domain name") + " (such as www.example.com or *.example.com)")
            }
            if !result.contains(domain) { result.append(domain) }
        }
        return result
    }
}
