import AWSCore
import Foundation

/// The base URL a service client sends its requests to, and the setting it came from.
///
/// Follows the SDK convention: the service's own variable (`AWS_ENDPOINT_URL_SSM`), else
/// `--endpoint-url`, else `AWS_ENDPOINT_URL`, else the public regional endpoint.
public struct AWSEndpoint: Sendable, Equatable {
    /// The scheme, host, optional port and optional path, without a trailing `/`.
    public var url: String
    /// Where the URL came from, for messages: `AWS_ENDPOINT_URL_SSM`, `default`, ….
    public var source: String

    public init(url: String, source: String) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.source = source
    }

    /// The endpoint for a service.
    ///
    /// - Parameters:
    ///   - endpointPrefix: the host label of the public endpoint (`ssm`, `secretsmanager`).
    ///   - environmentSuffix: the part after `AWS_ENDPOINT_URL_` (`SSM`, `SECRETS_MANAGER`).
    ///   - region: the resolved region.
    ///   - option: the `--endpoint-url` value, if the command has one.
    ///   - environment: the variables to read (the process environment in the program).
    public static func resolve(endpointPrefix: String, environmentSuffix: String, region: String,
                               option: String? = nil, environment: [String: String]) -> AWSEndpoint {
        let specific = "AWS_ENDPOINT_URL_" + environmentSuffix
        if let value = environment[specific], !value.isEmpty { return AWSEndpoint(url: value, source: specific) }
        if let option, !option.isEmpty { return AWSEndpoint(url: option, source: "--endpoint-url") }
        if let value = environment["AWS_ENDPOINT_URL"], !value.isEmpty { return AWSEndpoint(url: value, source: AWSEndpoint.globalSource(environment)) }
        return AWSEndpoint(url: "https://\(endpointPrefix).\(region).\(AWSPartition.dnsSuffix(of: region))", source: "default")
    }

    /// Where `AWS_ENDPOINT_URL` came from: the variable, or a profile's `endpoint_url` put
    /// there for the clients (named by `SITEBUILD_ENDPOINT_URL_SOURCE`).
    public static func globalSource(_ environment: [String: String]) -> String {
        environment["SITEBUILD_ENDPOINT_URL_SOURCE"].flatMap { $0.isEmpty ? nil : $0 } ?? "AWS_ENDPOINT_URL"
    }

    /// The `Host` header value: the host, with the port when the URL names one.
    var hostHeader: String? {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return nil }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    /// The request path of the service root: the URL's path, or `/`.
    var rootPath: String {
        guard let path = URLComponents(string: url)?.percentEncodedPath, !path.isEmpty else { return "/" }
        return path.hasSuffix("/") ? path : path + "/"
    }
}
