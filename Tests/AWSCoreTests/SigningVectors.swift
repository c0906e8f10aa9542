import AWSCore
import Foundation
import Testing

/// Where the signing vectors live: `$SITEBUILD_VECTORS`, else `../shared/vectors` beside the
/// repository root. They are read in place, never copied into the project.
enum SigningVectors {
    static let suitePath = "aws-c-auth/tests/aws-signing-test-suite"

    /// The vectors folder, or `nil` when this checkout has none.
    static let root: String? = locate()

    /// Where the vectors were looked for, for the skip message.
    static var searchedLocation: String {
        if let variable = ProcessInfo.processInfo.environment["SITEBUILD_VECTORS"], !variable.isEmpty {
            return "$SITEBUILD_VECTORS (\(variable))"
        }
        return (try? repositoryRoot()).map { "\($0)/../shared/vectors" } ?? "../shared/vectors"
    }

    /// The vectors folder. Skips the test when it is absent, except under `CI=true`, where
    /// its absence is a failure.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        if let root { return root }
        let message = "signing vectors not found at \(searchedLocation)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            throw VectorError(message + "; they are required under CI=true")
        }
        try Test.cancel(Comment(rawValue: message + "; skipping"), sourceLocation: sourceLocation)
    }

    /// The case folders of `v4` or `v4a`, sorted; empty when the vectors are absent.
    static func caseNames(_ suite: String) -> [String] {
        folders(in: "\(suitePath)/\(suite)")
    }

    /// The folders of `generated/` (one case each), sorted.
    static func generatedCaseNames() -> [String] {
        folders(in: "generated")
    }

    static func folders(in relative: String) -> [String] {
        guard let root else { return [] }
        let directory = "\(root)/\(relative)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(directory)/\(name)", isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    private static func locate() -> String? {
        let candidate: String
        if let variable = ProcessInfo.processInfo.environment["SITEBUILD_VECTORS"], !variable.isEmpty {
            candidate = variable
        } else if let repository = try? repositoryRoot() {
            candidate = URL(fileURLWithPath: repository).deletingLastPathComponent()
                .appendingPathComponent("shared/vectors").standardizedFileURL.path
        } else {
            return nil
        }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) && isDirectory.boolValue
            ? candidate : nil
    }

    /// The nearest directory above this file that holds Package.swift.
    static func repositoryRoot(_ file: String = #filePath) throws -> String {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.path
            }
            directory = directory.deletingLastPathComponent()
        }
        throw VectorError("no Package.swift above \(file)")
    }
}

/// One case folder: its files, its `context.json` and its `request.txt`.
struct SigningVector {
    /// `context.json` of the aws-c-auth suite and of `generated/`.
    struct Context: Decodable {
        struct Credentials: Decodable {
            var accessKeyId: String
            var secretAccessKey: String
            var token: String?
        }

        var credentials: Credentials
        var region: String?
        var service: String
        var timestamp: String
        var expirationInSeconds: Int?
        var normalize: Bool?
        var signBody: Bool?
        var omitSessionToken: Bool?
    }

    let directory: String
    let context: Context

    init(_ relative: String) throws {
        let root = try SigningVectors.require()
        directory = "\(root)/\(relative)"
        guard let data = FileManager.default.contents(atPath: "\(directory)/context.json") else {
            throw VectorError("cannot read \(directory)/context.json")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        context = try decoder.decode(Context.self, from: data)
    }

    func has(_ file: String) -> Bool { FileManager.default.fileExists(atPath: "\(directory)/\(file)") }

    func bytes(_ file: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(file)") else {
            throw VectorError("cannot read \(directory)/\(file)")
        }
        return [UInt8](data)
    }

    func text(_ file: String) throws -> String { String(decoding: try bytes(file), as: UTF8.self) }

    func request(_ file: String = "request.txt") throws -> RawHTTPRequest {
        try RawHTTPRequest(parsing: bytes(file))
    }

    var credentials: AWSCredentials {
        AWSCredentials(accessKeyId: context.credentials.accessKeyId,
                       secretAccessKey: context.credentials.secretAccessKey,
                       sessionToken: context.credentials.token)
    }

    var date: Date {
        get throws { try parseISO8601(context.timestamp) }
    }

    /// The aws-c-auth suite's flags as signing options; its service ("service") is not S3, so
    /// paths are double-encoded.
    var suiteOptions: SigningOptions {
        SigningOptions(uriEncoding: .double, normalizePath: context.normalize ?? true,
                       addsContentHashHeader: context.signBody ?? false,
                       omitsSessionTokenFromSignature: context.omitSessionToken ?? false)
    }

    /// `public-key.json`.
    func publicKey(_ file: String = "public-key.json") throws -> SigV4APublicKey {
        let json = try JSONDecoder().decode([String: String].self, from: Data(bytes(file)))
        guard let x = json["X"], let y = json["Y"] else { throw VectorError("\(file) lacks X or Y") }
        return try SigV4APublicKey(xHex: x, yHex: y)
    }
}

/// `2015-08-30T12:36:00Z` as a date.
func parseISO8601(_ text: String) throws -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { throw VectorError("bad timestamp '\(text)'") }
    return date
}

/// Headers as a sorted list of lower-case name and space-collapsed value, to compare
/// requests regardless of header order and spelling.
func normalizedHeaders(_ headers: [SigningRequest.Header], excluding excluded: Set<String> = []) -> [String] {
    headers
        .filter { !excluded.contains($0.name.lowercased()) }
        .map { "\($0.name.lowercased()):\($0.value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))" }
        .sorted()
}

/// Query items as a sorted list of `name=value` (decoded), to compare regardless of order.
func normalizedQuery(_ items: [SigningRequest.QueryItem], excluding excluded: Set<String> = []) -> [String] {
    items.filter { !excluded.contains($0.name) }.map { "\($0.name)=\($0.value ?? "")" }.sorted()
}

/// The `Signature=` value of an `Authorization` header or of a presigned target.
func signatureField(_ text: String) -> String? {
    for marker in ["Signature=", "X-Amz-Signature="] {
        if let range = text.range(of: marker) {
            return String(text[range.upperBound...].prefix { $0.isHexDigit })
        }
    }
    return nil
}
