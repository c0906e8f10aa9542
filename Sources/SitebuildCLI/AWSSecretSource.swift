import AWSCore
import AWSServices
import BuildRunner
import BuildSpec
import Dispatch
import Foundation
import Synchronization

/// `env.parameter-store` and `env.secrets-manager` through SSM and Secrets Manager.
///
/// The build engine asks from a plain thread, so each call runs the async client in a
/// detached task and waits for it. Credentials and region are resolved on the first call
/// only: a buildspec without secrets never needs AWS to be configured.
final class AWSSecretSource: SecretSource {
    private let environment: [String: String]
    private let profile: String?
    private let regionOption: String?
    private let endpointURL: String?
    /// The clients, made on first use.
    private let clients = Mutex<Clients?>(nil)

    private struct Clients: Sendable {
        var region: String
        var ssm: SSMClient
        var secretsManager: SecretsManagerClient
    }

    init(environment: [String: String], profile: String? = nil, region: String? = nil, endpointURL: String? = nil) {
        self.environment = environment
        self.profile = profile
        self.regionOption = region
        self.endpointURL = endpointURL
    }

    func parameters(named names: [String]) throws -> [String: String] {
        let clients = try resolveClients()
        try checkEndpointVariants("SSM", what: "env.parameter-store")
        let found = try Self.wait { try await clients.ssm.getParameters(names: names, withDecryption: true) }
        let missing = names.filter { found.values[$0] == nil }
        if !missing.isEmpty {
            throw SecretSourceError("env.parameter-store: SSM has no parameter\(missing.count == 1 ? "" : "s") "
                + missing.map { "'\($0)'" }.joined(separator: ", ")
                + " in \(clients.region); create \(missing.count == 1 ? "it" : "them") (aws ssm put-parameter) or fix the name in the buildspec")
        }
        return found.values
    }

    func secret(_ reference: SecretReference) throws -> String {
        let clients = try resolveClients()
        try checkEndpointVariants("SECRETS_MANAGER", what: "env.secrets-manager")
        let stage = reference.versionId == nil ? (reference.versionStage ?? "AWSCURRENT") : reference.versionStage
        let value: SecretsManagerClient.SecretValue
        do {
            value = try Self.wait {
                try await clients.secretsManager.getSecretValue(secretId: reference.secretId, versionStage: stage,
                                                                versionId: reference.versionId)
            }
        } catch {
            let version = reference.versionId.map { " version id \($0)" } ?? stage.map { " (\($0))" } ?? ""
            throw SecretSourceError("env.secrets-manager: cannot read the secret '\(reference.secretId)'\(version) in \(clients.region): \(error)")
        }
        let text: String
        switch value {
        case .string(let string):
            text = string
        case .binary(let bytes):
            guard reference.jsonKey == nil, let string = String(validating: bytes, as: UTF8.self) else {
                throw SecretSourceError("env.secrets-manager: the secret '\(reference.secretId)' is binary"
                    + (reference.jsonKey == nil ? " and not UTF-8 text" : ", so its json-key '\(reference.jsonKey!)' cannot be read")
                    + "; store the value as a SecretString")
            }
            text = string
        }
        guard let key = reference.jsonKey else { return text }
        return try Self.value(of: key, in: text, secretId: reference.secretId)
    }

    /// The value of `key` in the JSON object `text`: strings as they are, other values as JSON.
    static func value(of key: String, in text: String, secretId: String) throws -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [String: Any] else {
            throw SecretSourceError("env.secrets-manager: the secret '\(secretId)' is not a JSON object, so its json-key '\(key)' "
                + "cannot be read; drop the json-key from the reference or store the secret as JSON")
        }
        if object[key] is NSNull {
            throw SecretSourceError("env.secrets-manager: the JSON key '\(key)' of the secret '\(secretId)' is null; give it a value "
                + "in the secret or drop the variable from the buildspec")
        }
        guard let value = object[key] else {
            throw SecretSourceError("env.secrets-manager: the secret '\(secretId)' has no JSON key '\(key)' "
                + "(keys: \(object.keys.sorted().joined(separator: ", "))); fix the json-key in the buildspec or add the key to the secret")
        }
        if let string = value as? String { return string }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else {
            throw SecretSourceError("env.secrets-manager: the value of JSON key '\(key)' in the secret '\(secretId)' cannot be turned into text")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Refuses a service whose endpoint is not set explicitly while a FIPS or dual-stack
    /// endpoint is asked for (``EndpointVariants``).
    private func checkEndpointVariants(_ service: String, what: String) throws {
        let explicit = [environment["AWS_ENDPOINT_URL_" + service], endpointURL, environment["AWS_ENDPOINT_URL"]]
            .contains { !($0 ?? "").isEmpty }
        guard !explicit, let refusal = EndpointVariants.refusal(service: service, profile: profile, environment: environment) else {
            return
        }
        throw BuildInputError("\(what): \(refusal)")
    }

    private func resolveClients() throws -> Clients {
        try clients.withLock { cached in
            if let cached { return cached }
            let region: RegionResolver.ResolvedRegion
            do {
                region = try RegionResolver.require(option: regionOption, profile: profile, environment: environment)
            } catch let error as CredentialError where error.isInvalidRegion {
                throw BuildInputError("env.parameter-store and env.secrets-manager: \(error)")
            } catch {
                throw BuildInputError("env.parameter-store and env.secrets-manager need an AWS region: \(error)")
            }
            let credentials = CredentialChain.standard(environment: environment, profile: profile, region: region.name,
                                                       httpClient: CurlHTTPClient())
            let http = AWSJSONClient.defaultHTTPClient()
            let made = Clients(
                region: region.name,
                ssm: SSMClient(region: region.name, credentials: credentials, environment: environment, endpointURL: endpointURL,
                               httpClient: http),
                secretsManager: SecretsManagerClient(region: region.name, credentials: credentials, environment: environment,
                                                     endpointURL: endpointURL, httpClient: http))
            cached = made
            return made
        }
    }

    /// Runs `operation` in a detached task and blocks this (non-async) thread until it ends.
    static func wait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let outcome = Outcome<T>()
        Task.detached {
            let result: Result<T, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            outcome.result.withLock { $0 = result }
            semaphore.signal()
        }
        semaphore.wait()
        return try outcome.result.withLock { $0! }.get()
    }

    /// The detached task's result, shared with the waiting thread.
    private final class Outcome<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
    }
}
