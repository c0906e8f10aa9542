/// Finds the AWS region: `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the
/// profile's `region` in the config file.
public enum RegionResolver {
    /// A region and the setting it came from, for messages.
    public struct ResolvedRegion: Sendable, Equatable {
        public var name: String
        public var source: String
    }

    /// The region, or nil when none is configured. Throws when the config file is malformed
    /// or the region is not a region name (``isRegionName(_:)``), naming the setting.
    public static func resolve(option: String?, profile: String? = nil,
                               environment: [String: String]) throws -> ResolvedRegion? {
        guard let region = try find(option: option, profile: profile, environment: environment) else { return nil }
        guard isRegionName(region.name) else { throw CredentialError.regionInvalid(name: region.name, setting: region.source) }
        return region
    }

    /// Whether `name` can be a region: a DNS host label of `a-z`, `0-9` and single inner
    /// hyphens (`^[a-z0-9](-?[a-z0-9])*$`), as the SDKs require before building a host name
    /// from it. Regions not known here pass: new ones appear.
    public static func isRegionName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last), bytes.count <= 63 else { return false }
        for (index, byte) in bytes.enumerated() where !alnum(byte) {
            guard byte == UInt8(ascii: "-"), bytes[index - 1] != UInt8(ascii: "-") else { return false }
        }
        return true
    }

    private static func find(option: String?, profile: String?, environment: [String: String]) throws -> ResolvedRegion? {
        if let option, !option.isEmpty { return ResolvedRegion(name: option, source: "--region") }
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[name], !value.isEmpty { return ResolvedRegion(name: value, source: name) }
        }
        let profileName = SharedConfigFiles.profileName(option: profile, environment: environment)
        let files: SharedConfigFiles
        do {
            files = try SharedConfigFiles(environment: environment)
        } catch let error as INIParseError {
            throw CredentialError.misconfigured("region", "cannot parse \(error); fix the file")
        }
        if let region = files.profile(profileName)?["region"], !region.isEmpty {
            return ResolvedRegion(name: region, source: "the region of profile \(profileName) in \(files.configPath)")
        }
        return nil
    }

    /// The region, or an error naming every place a region can be set.
    public static func require(option: String?, profile: String? = nil,
                               environment: [String: String]) throws -> ResolvedRegion {
        guard let region = try resolve(option: option, profile: profile, environment: environment) else {
            throw CredentialError.regionMissing(profile: SharedConfigFiles.profileName(option: profile, environment: environment))
        }
        return region
    }
}
