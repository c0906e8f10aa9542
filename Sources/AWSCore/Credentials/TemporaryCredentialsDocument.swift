import Foundation

/// The JSON the container endpoint and instance metadata return:
/// `{"AccessKeyId","SecretAccessKey","Token","Expiration"[,"Code"]}`, or an error
/// `{"code","message"}`.
struct TemporaryCredentialsDocument: Decodable {
    var AccessKeyId: String?
    var SecretAccessKey: String?
    var Token: String?
    var Expiration: String?
    var Code: String?
    var code: String?
    var message: String?

    /// Decodes `body` of a 2xx response into credentials from `source`.
    static func credentials(from body: [UInt8], url: String, source: String) throws -> ResolvedCredentials {
        guard let document = try? JSONDecoder().decode(TemporaryCredentialsDocument.self, from: Data(body)) else {
            throw CredentialError.failed(source, "\(url) returned \(body.count) bytes that are not a credentials JSON object")
        }
        if let code = document.Code, code != "Success" {
            throw CredentialError.failed(source, "\(url) returned Code \(code) instead of Success")
        }
        guard let accessKeyId = document.AccessKeyId, !accessKeyId.isEmpty,
              let secret = document.SecretAccessKey, !secret.isEmpty else {
            throw CredentialError.failed(source, "\(url) returned JSON without AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.Expiration {
            guard let date = CredentialTimestamp.parse(text) else {
                throw CredentialError.failed(source, "\(url) returned Expiration \(text), which is not an ISO 8601 timestamp")
            }
            expiration = date
        }
        return ResolvedCredentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: document.Token,
                                   expiration: expiration, source: source)
    }

    /// A sentence for a non-2xx response, using the `{"code","message"}` error when present.
    static func failure(_ response: HTTPResponse, url: String) -> String {
        let document = try? JSONDecoder().decode(TemporaryCredentialsDocument.self, from: Data(response.body))
        if let code = document?.code ?? document?.Code {
            return "\(url) returned HTTP \(response.status) \(code)" + (document?.message.map { ": \($0)" } ?? "")
        }
        return "\(url) returned HTTP \(response.status)"
    }
}
