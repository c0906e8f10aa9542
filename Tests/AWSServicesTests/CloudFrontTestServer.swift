import AWSCore
@testable import AWSServices
import Foundation
import TestSupport

/// A loopback stand-in for what moto's CloudFront lacks: DescribeFunction, the
/// `TooManyInvalidationsInProgress` and `Throttling` errors, and a strict CreateInvalidation.
/// Python in a subprocess (``PythonScriptServer``).
///
/// - Every request must carry a SigV4 `Authorization` scoped to `us-east-1/cloudfront`, else 403.
/// - `GET /2020-05-31/function/sitebuild-router/describe?Stage=LIVE`: a DescribeFunction answer
///   with one KeyValueStore association and an `ETag`; any other function is `404 NoSuchFunctionExists`.
/// - `POST /2020-05-31/distribution/E1/invalidation`: needs `Content-Type: application/xml`, parses
///   the body with ElementTree, checks `Quantity` against the items and that every path starts
///   with `/` and holds only printable ASCII without spaces, then echoes the batch as `201`.
/// - `POST …/EBUSY/invalidation` is `400 TooManyInvalidationsInProgress`, `…/ESLOW/…` is `400 Throttling`,
///   any other distribution `404 NoSuchDistribution`.
final class CloudFrontTestServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    private let server: PythonScriptServer
    var baseURL: String { server.baseURL }

    static let kvsARN = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    static let functionARN = "arn:aws:cloudfront::123456789012:function/sitebuild-router"

    init() throws {
        server = try PythonScriptServer(script: Self.script, name: "cloudfront_test_server")
    }

    func stop() { server.stop() }

    /// A client of this server; plain libcurl by default, so throttling answers are not retried.
    func client(httpClient: any HTTPClient = CurlHTTPClient()) -> CloudFrontClient {
        let environment = ["AWS_ACCESS_KEY_ID": "AKIDCFTEST", "AWS_SECRET_ACCESS_KEY": "cf-test-secret",
                           "AWS_ENDPOINT_URL_CLOUDFRONT": baseURL]
        return CloudFrontClient(credentials: EnvironmentCredentialProvider(environment: environment), environment: environment,
                                httpClient: httpClient)
    }

    static let script = #"""
"""CloudFront control-plane stand-in for sitebuild's CloudFrontClient tests."""
import os, signal, sys, threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
KVS = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
FUNCTION = f"""<?xml version="1.0" encoding="UTF-8"?>
<FunctionSummary xmlns="{NS}">
  <Name>sitebuild-router</Name>
  <Status>DEPLOYED</Status>
  <FunctionConfig>
    <Comment>sitebuild router</Comment>
    <Runtime>cloudfront-js-2.0</Runtime>
    <KeyValueStoreAssociations>
      <Quantity>1</Quantity>
      <Items>
        <KeyValueStoreAssociation>
          <KeyValueStoreARN>{KVS}</KeyValueStoreARN>
        </KeyValueStoreAssociation>
      </Items>
    </KeyValueStoreAssociations>
  </FunctionConfig>
  <FunctionMetadata>
    <FunctionARN>arn:aws:cloudfront::123456789012:function/sitebuild-router</FunctionARN>
    <Stage>LIVE</Stage>
    <CreatedTime>2025-01-02T03:04:05.678Z</CreatedTime>
    <LastModifiedTime>2025-01-03T03:04:05.678Z</LastModifiedTime>
  </FunctionMetadata>
</FunctionSummary>
"""


def error(code, message):
    return (f'<?xml version="1.0"?><ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f'<Message>{escape(message)}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def signed(self):
        auth = self.headers.get("Authorization", "")
        return auth.startswith("AWS4-HMAC-SHA256 ") and "/us-east-1/cloudfront/aws4_request" in auth \
            and self.headers.get("X-Amz-Date") is not None

    def do_GET(self):
        url = urlsplit(self.path)
        if not self.signed():
            return self.reply(403, error("InvalidSignature", "not signed for cloudfront in us-east-1"))
        if url.path == "/2020-05-31/function/sitebuild-router/describe":
            if parse_qs(url.query).get("Stage") != ["LIVE"]:
                return self.reply(400, error("InvalidArgument", "Stage must be LIVE"))
            return self.reply(200, FUNCTION, [("ETag", "E2QWRUHEXAMPLE")])
        return self.reply(404, error("NoSuchFunctionExists", "The specified function does not exist."))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        url = urlsplit(self.path)
        if not self.signed():
            return self.reply(403, error("InvalidSignature", "not signed for cloudfront in us-east-1"))
        if self.headers.get("Content-Type") != "application/xml":
            return self.reply(400, error("InvalidArgument", "Content-Type must be application/xml"))
        if url.path == "/2020-05-31/distribution/EBUSY/invalidation":
            return self.reply(400, error("TooManyInvalidationsInProgress",
                                         "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations."))
        if url.path == "/2020-05-31/distribution/ESLOW/invalidation":
            return self.reply(400, error("Throttling", "Rate exceeded"))
        if url.path != "/2020-05-31/distribution/E1/invalidation":
            return self.reply(404, error("NoSuchDistribution", "The specified distribution does not exist."))
        try:
            root = ET.fromstring(body)
        except ET.ParseError as failure:
            return self.reply(400, error("MalformedInput", str(failure)))
        paths = [p.text or "" for p in root.findall(f"{{{NS}}}Paths/{{{NS}}}Items/{{{NS}}}Path")]
        quantity = int(root.findtext(f"{{{NS}}}Paths/{{{NS}}}Quantity", "-1"))
        if quantity != len(paths):
            return self.reply(400, error("InconsistentQuantities", f"Quantity {quantity} for {len(paths)} paths"))
        for path in paths:
            if not path.startswith("/") or any(ord(c) <= 32 or ord(c) >= 127 for c in path):
                return self.reply(400, error("InvalidArgument", "Your request contains one or more invalid invalidation paths."))
        reference = root.findtext(f"{{{NS}}}CallerReference", "")
        items = "".join(f"<Path>{escape(p)}</Path>" for p in paths)
        answer = (f'<?xml version="1.0"?><Invalidation xmlns="{NS}"><Id>I2J0I21PCUYOIK</Id><Status>InProgress</Status>'
                  f'<CreateTime>2025-01-02T03:04:05.678Z</CreateTime><InvalidationBatch><Paths><Quantity>{len(paths)}</Quantity>'
                  f'<Items>{items}</Items></Paths><CallerReference>{escape(reference)}</CallerReference></InvalidationBatch>'
                  f'</Invalidation>')
        self.reply(201, answer, [("Location", f"https://cloudfront.amazonaws.com{url.path}/I2J0I21PCUYOIK")])


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
server = Server(("127.0.0.1", 0), Handler)
threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}

/// Runs `body` with a fresh CloudFront test server and stops it afterwards.
func withCloudFrontTestServer<T>(_ body: (CloudFrontTestServer) async throws -> T) async throws -> T {
    let server = try CloudFrontTestServer()
    defer { server.stop() }
    return try await body(server)
}
