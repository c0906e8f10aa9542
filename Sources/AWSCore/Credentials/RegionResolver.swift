/// Finds the AWS region: `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the
/// profile's `region` in the config file.
public enum RegionResolver {
    /// A region and the setting it came from, for messages.
    public struct ResolvedRegion: Sendable, Equatable {
        public var name: String
        public var source: String
    }

    /// The region, or nil when none is configured. Throws when the config file is malformed.
    public static func resolve(option: String?, profile: String? = nil,
                               environment: [String: String]) throws -> ResolvedRegion? {
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
            return ResolvedRegion(name: region, source: "profile \(profileName) in \(files.configPath)")
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
