import ChildProcesses
import Foundation

/// A profile's `credential_process`: a command run through `/bin/sh -c` that prints
/// `{"Version":1,"AccessKeyId":…,"SecretAccessKey":…,"SessionToken":…,"Expiration":…}`.
struct CredentialProcess: Sendable {
    var command: String
    var profile: String

    private struct Output: Decodable {
        var Version: Int?
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var SessionToken: String?
        var Expiration: String?
    }

    func run() async throws -> ResolvedCredentials {
        let source = "profile \(profile) (credential_process)"
        let result: ProcessResult
        do {
            result = try await Self.execute(command)
        } catch {
            throw CredentialError.failed(source, "could not start the credential_process of profile \(profile): \(error)")
        }
        guard result.status == 0 else {
            let stderr = String(decoding: result.stderr.prefix(1000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CredentialError.failed(source, "the credential_process of profile \(profile) exited with status \(result.status)"
                                         + (stderr.isEmpty ? "" : ": \(stderr)") + "; run it by hand to see why")
        }
        let output: Output
        do {
            output = try JSONDecoder().decode(Output.self, from: result.stdout)
        } catch {
            throw CredentialError.failed(source, "the credential_process of profile \(profile) did not print a JSON object (\(result.stdout.count) bytes of output); it must print {\"Version\": 1, \"AccessKeyId\": …, \"SecretAccessKey\": …}")
        }
        guard output.Version == 1 else {
            throw CredentialError.failed(source, "the credential_process of profile \(profile) printed Version \(output.Version.map(String.init) ?? "(missing)"); only Version 1 is supported")
        }
        guard let accessKeyId = output.AccessKeyId, !accessKeyId.isEmpty,
              let secret = output.SecretAccessKey, !secret.isEmpty else {
            throw CredentialError.failed(source, "the credential_process of profile \(profile) printed JSON without AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = output.Expiration {
            guard let date = CredentialTimestamp.parse(text) else {
                throw CredentialError.failed(source, "the credential_process of profile \(profile) printed Expiration \(text), which is not an ISO 8601 timestamp")
            }
            expiration = date
        }
        return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: output.SessionToken,
                                   expiration: expiration, source: source)
    }

    struct ProcessResult: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: Data
    }

    /// Runs `command` on a dispatch thread (it blocks), draining stdout and stderr together.
    static func execute(_ command: String) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                let stdout = Pipe()
                let stderr = Pipe()
                process.standardOutput = stdout
                process.standardError = stderr
                process.standardInput = FileHandle.nullDevice
                let pid: pid_t
                do {
                    // sitebuild's own child (its exit status is waited for below), not an orphan to reap.
                    pid = try OwnChildren.run(process)
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let collected = StderrBuffer()
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    collected.data = stderr.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                OwnChildren.release(pid)
                continuation.resume(returning: ProcessResult(status: process.terminationStatus, stdout: output, stderr: collected.data))
            }
        }
    }

    /// @unchecked: written by one thread before `group.leave()` and read by another only after
    /// `group.wait()`, which orders the two.
    private final class StderrBuffer: @unchecked Sendable {
        var data = Data()
    }
}
