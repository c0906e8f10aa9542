import AWSCore
import AWSServices
import Foundation

extension MotoServer {
    /// Sends one IAM Query-protocol call (`POST /`, form body, SigV4 for `iam` in us-east-1)
    /// with the project's signer and HTTP client; returns the XML answer, throwing on a non-2xx.
    public func iamCall(_ action: String, _ parameters: [(String, String)],
                        credentials: AWSCredentials = AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing")) async throws -> S3XMLElement {
        let form = ([("Action", action), ("Version", "2010-05-08")] + parameters)
            .map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
        let body = Array(form.utf8)
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let unsigned = SigningRequest(method: "POST", path: "/", headers: [
            .init("Host", "127.0.0.1:\(port)"), .init("Content-Type", contentType),
        ], payload: .bytes(body))
        let signed = SigV4Signer(credentials: credentials, region: "us-east-1", service: "iam").sign(unsigned, date: Date())
        let request = HTTPRequest(method: "POST", url: baseURL + "/", headers: signed.request.headers.map { ($0.name, $0.value) },
                                  timeouts: .init(connect: 5, lowSpeedLimit: 0, lowSpeedTime: 0, total: 60))
        let response = try await CurlHTTPClient().execute(request, body: .bytes(body), responseBody: .collect(limit: 1 << 20))
        guard response.isSuccess else {
            throw TestServerSetupError("IAM \(action) failed with HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try S3XML.parse(response.body)
    }

    /// Creates IAM user `userName` with an inline policy allowing everything and returns a new
    /// access key of it: exactly three IAM calls (CreateUser, PutUserPolicy, CreateAccessKey),
    /// the free ones of a server started with `INITIAL_NO_AUTH_ACTION_COUNT=3`, after which moto
    /// checks every signature against this key.
    public func createIAMUserWithAccessKey(userName: String = "sitebuild-test") async throws -> AWSCredentials {
        _ = try await iamCall("CreateUser", [("UserName", userName)])
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await iamCall("PutUserPolicy", [("UserName", userName), ("PolicyName", "allow-all"), ("PolicyDocument", policy)])
        let key = try await iamCall("CreateAccessKey", [("UserName", userName)])
        guard let accessKeyId = key.text("CreateAccessKeyResult", "AccessKey", "AccessKeyId"),
              let secret = key.text("CreateAccessKeyResult", "AccessKey", "SecretAccessKey") else {
            throw TestServerSetupError("IAM CreateAccessKey returned no AccessKey")
        }
        return AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secret)
    }
}
