// sitebuild-s3bench: raw benchmarks of the project's S3 client (AWSServices.S3Client over
// AWSCore's libcurl client), without the deploy engine around it.
//
//   sitebuild-s3bench put-many DIR s3://bucket/prefix [--concurrency N] [options]
//       one PutObject per file of DIR (streamed from the file), N in flight (default 32)
//   sitebuild-s3bench multipart FILE s3://bucket/key [--part-size MiB] [--concurrency N] [options]
//       one multipart upload, parts sent in parallel from file ranges (default 8 MiB, 8 in flight)
//
// Options: --payload sha256|unsigned (x-amz-content-sha256; default sha256, the client's
// default), --create-bucket (CreateBucket first; "already owned" is fine).
// Endpoint, credentials and region come from the environment (AWS_ENDPOINT_URL[_S3],
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; the SDK credential chain).
// Prints one JSON line: requests, bytes, wall seconds, user/sys CPU seconds and peak RSS.

import AWSCore
import AWSServices
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let status = await S3Bench.main(Array(CommandLine.arguments.dropFirst()))
exit(status)

enum S3Bench {
    static let usage = """
        usage: sitebuild-s3bench put-many DIR s3://bucket/prefix [--concurrency N] [--payload sha256|unsigned] [--create-bucket]
               sitebuild-s3bench multipart FILE s3://bucket/key [--part-size MiB] [--concurrency N] [--payload sha256|unsigned] [--create-bucket]
        Endpoint, credentials and region come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
        """

    static func main(_ arguments: [String]) async -> Int32 {
        let options: Options
        do {
            options = try Options(arguments)
        } catch {
            FileHandle.standardError.write(Data("sitebuild-s3bench: \(error)\n\(usage)\n".utf8))
            return 2
        }
        do {
            let started = ContinuousClock.now
            let result = try await run(options)
            let wall = ContinuousClock.now - started
            print(report(options, result, wall: wall))
            return 0
        } catch {
            FileHandle.standardError.write(Data("sitebuild-s3bench: \(error)\n".utf8))
            return 1
        }
    }

    // MARK: - Options

    enum Command: String, Sendable {
        case putMany = "put-many"
        case multipart
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct Options: Sendable {
        var command: Command
        var source: String
        var bucket: String
        var key: String
        var concurrency: Int
        var partSize: Int64
        var payload: S3Client.PayloadSigning
        var createBucket: Bool

        init(_ arguments: [String]) throws {
            var positional: [String] = []
            var concurrency: Int?
            var partMiB = 8
            var payload = S3Client.PayloadSigning.sha256
            var createBucket = false
            var index = 0
            func value(_ name: String) throws -> String {
                index += 1
                guard index < arguments.count else { throw UsageError("\(name) needs a value") }
                return arguments[index]
            }
            while index < arguments.count {
                let argument = arguments[index]
                switch argument {
                case "--concurrency", "-j":
                    guard let number = Int(try value(argument)), number > 0 else { throw UsageError("--concurrency needs a positive integer") }
                    concurrency = number
                case "--part-size":
                    guard let number = Int(try value(argument)), number >= 5, number <= 5 * 1024 else {
                        throw UsageError("--part-size is in MiB, from 5 to 5120")
                    }
                    partMiB = number
                case "--payload":
                    switch try value(argument) {
                    case "sha256": payload = .sha256
                    case "unsigned": payload = .unsigned
                    default: throw UsageError("--payload is sha256 or unsigned")
                    }
                case "--create-bucket":
                    createBucket = true
                case "-h", "--help":
                    throw UsageError("help")
                default:
                    if argument.hasPrefix("-") { throw UsageError("unknown option \(argument)") }
                    positional.append(argument)
                }
                index += 1
            }
            guard positional.count == 3, let command = Command(rawValue: positional[0]) else {
                throw UsageError("expected a command (put-many or multipart), a local path and an s3:// URL")
            }
            let url = positional[2]
            guard url.hasPrefix("s3://") else { throw UsageError("'\(url)' is not an s3://bucket/key URL") }
            let rest = url.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            var key = String(rest.dropFirst(bucket.count + 1))
            while key.hasSuffix("/") { key.removeLast() }
            guard !bucket.isEmpty else { throw UsageError("'\(url)' names no bucket") }
            if command == .multipart && key.isEmpty { throw UsageError("multipart needs an object key: s3://bucket/key") }
            self.command = command
            self.source = positional[1]
            self.bucket = bucket
            self.key = key
            self.concurrency = concurrency ?? (command == .putMany ? 32 : 8)
            self.partSize = Int64(partMiB) << 20
            self.payload = payload
            self.createBucket = createBucket
        }
    }

    // MARK: - Running

    struct Outcome: Sendable {
        var requests: Int
        var objects: Int
        var bytes: Int64
        /// Seconds of the upload itself (after walking the directory and making the client).
        var uploadSeconds: Double
    }

    static func run(_ options: Options) async throws -> Outcome {
        let environment = ProcessInfo.processInfo.environment
        let region = try RegionResolver.resolve(option: nil, environment: environment)?.name ?? "us-east-1"
        // The client's own stack, with room for `concurrency` requests: as many connections,
        // and an AIMD limit that starts (and stays, unless throttled) at that number.
        let connections = max(1, options.concurrency)
        let curl = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: connections,
                                                       maxTotalConnections: max(connections, 64),
                                                       environment: environment))
        let http = RetryingHTTPClient(wrapping: curl,
                                      concurrency: AdaptiveConcurrency(initial: connections, minimum: 1, maximum: connections))
        let credentials = CredentialChain.standard(environment: environment, httpClient: curl)
        let client = S3Client(region: region, credentials: credentials, environment: environment, httpClient: http,
                              payloadSigning: options.payload)
        var extraRequests = 0
        if options.createBucket {
            extraRequests += 1
            do {
                try await client.createBucket(options.bucket)
            } catch let error as AWSServiceError where ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].contains(error.errorCode ?? "") {
            }
        }
        var outcome: Outcome
        switch options.command {
        case .putMany: outcome = try await putMany(options, client: client)
        case .multipart: outcome = try await multipart(options, client: client)
        }
        outcome.requests += extraRequests
        return outcome
    }

    /// Every regular file under `root` (following no symbolic links), with its size, sorted.
    static func files(under root: String) throws -> [(relative: String, size: Int64)] {
        var found: [(String, Int64)] = []
        func walk(_ directory: String, _ relative: String) throws {
            guard let handle = opendir(directory) else {
                throw UsageError("cannot read the directory \(directory) (errno \(errno))")
            }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                // In place: copying the 256-byte `d_name` can read past the record's end.
                let name = String(cString: (UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
                    .assumingMemoryBound(to: CChar.self))
                if name == "." || name == ".." { continue }
                let path = directory + "/" + name
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { throw UsageError("cannot stat \(path) (errno \(errno))") }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: try walk(path, child)
                case S_IFREG: found.append((child, Int64(info.st_size)))
                default: continue
                }
            }
        }
        var base = root
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        try walk(base, "")
        return found.sorted { $0.0 < $1.0 }.map { (relative: $0.0, size: $0.1) }
    }

    static func putMany(_ options: Options, client: S3Client) async throws -> Outcome {
        var trimmed = options.source
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let root = trimmed
        let list = try files(under: root)
        let bytes = list.reduce(Int64(0)) { $0 + $1.size }
        let prefix = options.key.isEmpty ? "" : options.key + "/"
        let bucket = options.bucket
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                let file = list[next]
                next += 1
                group.addTask {
                    _ = try await client.putObject(bucket: bucket, key: prefix + file.relative,
                                                   body: .file(path: root + "/" + file.relative, offset: 0, length: file.size))
                }
            }
            while next < list.count && next < options.concurrency { startNext() }
            while try await group.next() != nil {
                if next < list.count { startNext() }
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        return Outcome(requests: list.count, objects: list.count, bytes: bytes, uploadSeconds: seconds)
    }

    static func multipart(_ options: Options, client: S3Client) async throws -> Outcome {
        var info = stat()
        guard stat(options.source, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw UsageError("\(options.source) is not a readable regular file")
        }
        let size = Int64(info.st_size)
        let partSize = options.partSize
        let count = max(1, Int((size + partSize - 1) / partSize))
        guard count <= 10_000 else { throw UsageError("\(count) parts is over S3's 10,000; raise --part-size") }
        let bucket = options.bucket
        let key = options.key
        let path = options.source
        let started = ContinuousClock.now
        let uploadId = try await client.createMultipartUpload(bucket: bucket, key: key)
        do {
            let parts = try await withThrowingTaskGroup(of: S3Client.CompletedPart.self) { group in
                var next = 1
                var done: [S3Client.CompletedPart] = []
                func startNext() {
                    let number = next
                    next += 1
                    let offset = Int64(number - 1) * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        try await client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                                                    body: .file(path: path, offset: offset, length: length))
                    }
                }
                while next <= count && next <= options.concurrency { startNext() }
                while let part = try await group.next() {
                    done.append(part)
                    if next <= count { startNext() }
                }
                return done
            }
            _ = try await client.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts)
        } catch {
            try? await client.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId)
            throw error
        }
        let seconds = (ContinuousClock.now - started).seconds
        return Outcome(requests: count + 2, objects: 1, bytes: size, uploadSeconds: seconds)
    }

    // MARK: - Report

    static func report(_ options: Options, _ outcome: Outcome, wall: Duration) -> String {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let wallSeconds = wall.seconds
        let upload = outcome.uploadSeconds
        func rounded(_ value: Double, _ digits: Int = 3) -> Double {
            let scale = pow(10, Double(digits))
            return (value * scale).rounded() / scale
        }
        let fields: [(String, String)] = [
            ("tool", "\"sitebuild-s3bench\""),
            ("command", "\"\(options.command.rawValue)\""),
            ("concurrency", String(options.concurrency)),
            ("part_size_mib", options.command == .multipart ? String(options.partSize >> 20) : "null"),
            ("payload", options.payload == .sha256 ? "\"sha256\"" : "\"unsigned\""),
            ("requests", String(outcome.requests)),
            ("objects", String(outcome.objects)),
            ("bytes", String(outcome.bytes)),
            ("wall_s", String(rounded(wallSeconds))),
            ("upload_s", String(rounded(upload))),
            ("requests_per_s", String(rounded(Double(outcome.requests) / max(upload, 1e-9), 1))),
            ("mib_per_s", String(rounded(Double(outcome.bytes) / 1_048_576 / max(upload, 1e-9), 1))),
            ("user_s", String(rounded(user))),
            ("sys_s", String(rounded(system))),
            ("cpu_s", String(rounded(user + system))),
            ("cpu_s_per_1000_requests", String(rounded((user + system) * 1000 / Double(max(outcome.requests, 1)), 4))),
            ("max_rss_kib", String(usage.ru_maxrss)),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
