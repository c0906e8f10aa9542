import Foundation

/// The SDK settings that ask for FIPS or dual-stack endpoints: `AWS_USE_FIPS_ENDPOINT`,
/// `AWS_USE_DUALSTACK_ENDPOINT`, else the profile's `use_fips_endpoint` /
/// `use_dualstack_endpoint`.
///
/// sitebuild does not build such endpoints (their names differ by service, and CloudFront and
/// its KeyValueStore have none in the commercial partition), and sending to the ordinary ones
/// instead would break a FIPS requirement without a word: a service whose endpoint is not set
/// explicitly is refused while one of them is true.
public enum EndpointVariants {
    /// The settings that are `true`, each as `NAME=true` or `use_…_endpoint = true of profile P
    /// in FILE`; empty when none is (a config file that cannot be read is left to what reads it).
    public static func requested(profile: String?, environment: [String: String]) -> [String] {
        let files = try? SharedConfigFiles(environment: environment)
        let name = SharedConfigFiles.profileName(option: profile, environment: environment)
        var settings: [String] = []
        for (variable, key) in [("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"), ("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")] {
            if let value = environment[variable], !value.isEmpty {
                if isTrue(value) { settings.append("\(variable)=\(value)") }
            } else if let files, let value = files.profile(name)?[key], isTrue(value) {
                settings.append("\(key) = \(value) of profile \(name) in \(files.configPath)")
            }
        }
        return settings
    }

    /// Why `service` (its `AWS_ENDPOINT_URL_` suffix, `S3`) cannot be used while a FIPS or
    /// dual-stack endpoint is asked for, or nil when none is.
    public static func refusal(service: String, profile: String?, environment: [String: String]) -> String? {
        let settings = requested(profile: profile, environment: environment)
        guard !settings.isEmpty else { return nil }
        let example = self.example(service).map { " (such as https://\($0))" } ?? ""
        return "\(settings.joined(separator: " and ")) asks for FIPS or dual-stack endpoints, which sitebuild does not choose by "
            + "itself: set the \(service) endpoint explicitly with AWS_ENDPOINT_URL_\(service)\(example) or --endpoint-url, "
            + "or set it to false"
    }

    private static func isTrue(_ value: String) -> Bool {
        value.trimmingCharacters(in: .whitespaces).lowercased() == "true"
    }

    /// A documented FIPS endpoint of the service, for the message (nil: none is simple to name).
    private static func example(_ service: String) -> String? {
        switch service {
        case "S3": "s3-fips.us-gov-west-1.amazonaws.com"
        case "DYNAMODB": "dynamodb-fips.us-gov-west-1.amazonaws.com"
        case "STS": "sts-fips.us-east-1.amazonaws.com"
        default: nil
        }
    }
}
