import Foundation

/// The AWS shared credentials file and config file, read once, with profile lookup.
///
/// Paths: `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`) and `AWS_CONFIG_FILE`
/// (default `~/.aws/config`). A missing file counts as empty; an unreadable or malformed one is
/// an error naming the file and line.
public struct SharedConfigFiles: Sendable {
    public let credentialsPath: String
    public let configPath: String
    /// Nil when the file does not exist.
    public let credentialsFile: INIFile?
    public let configFile: INIFile?

    /// Reads both files from the paths `environment` selects.
    public init(environment: [String: String]) throws {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            if path == "~" { return home }
            if path.hasPrefix("~/") { return home + path.dropFirst(1) }
            return path
        }
        credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "~/.aws/credentials")
        configPath = expand(environment["AWS_CONFIG_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "~/.aws/config")
        credentialsFile = try Self.read(credentialsPath)
        configFile = try Self.read(configPath)
    }

    /// The profile from `--profile`, else `AWS_PROFILE`, else `default`.
    public static func profileName(option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let name = environment["AWS_PROFILE"], !name.isEmpty { return name }
        return "default"
    }

    /// The profile's settings: the config file's `[profile name]` (or `[default]`) section,
    /// overridden key by key by the credentials file's `[name]` section. Nil if neither has it.
    public func profile(_ name: String) -> [String: String]? {
        var settings: [String: String]?
        if let config = configFile {
            let section = name == "default" ? (config.sections["default"] ?? config.sections["profile default"])
                                            : config.sections["profile \(name)"]
            settings = section
        }
        if let credentials = credentialsFile?.sections[name] {
            settings = (settings ?? [:]).merging(credentials) { _, fromCredentials in fromCredentials }
        }
        return settings
    }

    private static func read(_ path: String) throws -> INIFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // (FileManager reads no device: /dev/null, which the aws CLI takes as empty, gives nil.)
        guard let data = FileManager.default.contents(atPath: path) ?? (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() ?? Data()) else {
            throw CredentialError.misconfigured("shared files", "cannot read \(path); check its permissions")
        }
        return try INIFile(parsing: String(decoding: data, as: UTF8.self), path: path)
    }
}
