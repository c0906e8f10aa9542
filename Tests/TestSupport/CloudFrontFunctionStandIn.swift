import Foundation

/// moto's CloudFront plus the two things it lacks: it keeps no `FunctionAssociations` (a
/// distribution always comes back with none) and has no CloudFront Functions. A Python proxy
/// (``PythonScriptServer``) in front of a moto_server:
///
/// - `GET /2020-05-31/distribution/{id}` goes to moto; a 200 answer gets the default cache
///   behavior's `FunctionAssociations` replaced by one `viewer-request` association of
///   `viewerRequestFunctionARN` (none when it is empty), and its `LambdaFunctionAssociations`
///   by `lambdaFunctions` (event type → Lambda version ARN), in CloudFront's XML shape (moto
///   drops both).
/// - `GET /2020-05-31/function/{name}/describe?Stage=LIVE` answers from `functions` (name →
///   the ARNs of its KeyValueStores), `404 NoSuchFunctionExists` for any other name.
/// - Everything else is passed to moto as it is (moto does not check signatures).
public final class CloudFrontFunctionStandIn: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    private let server: PythonScriptServer
    public var baseURL: String { server.baseURL }

    public init(upstream: String, viewerRequestFunctionARN: String, functions: [String: [String]],
                lambdaFunctions: [String: String] = [:]) throws {
        let config: [String: Any] = ["upstream": upstream, "function": viewerRequestFunctionARN, "functions": functions,
                                     "lambdas": lambdaFunctions]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        let script = "CONFIG_BASE64 = \"\(json.base64EncodedString())\"\n" + Self.script
        server = try PythonScriptServer(script: script, name: "cloudfront_function_stand_in")
    }

    public func stop() { server.stop() }

    static let script = #"""
import base64, http.client, json, os, re, signal, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

CONFIG = json.loads(base64.b64decode(CONFIG_BASE64))
UPSTREAM = urlsplit(CONFIG["upstream"])
NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"


def error(code, message):
    return (f'<?xml version="1.0"?><ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f'<Message>{escape(message)}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>')


def describe(name, stores):
    items = "".join(f"<KeyValueStoreAssociation><KeyValueStoreARN>{escape(arn)}</KeyValueStoreARN></KeyValueStoreAssociation>"
                    for arn in stores)
    return (f'<?xml version="1.0" encoding="UTF-8"?><FunctionSummary xmlns="{NS}"><Name>{escape(name)}</Name>'
            f'<Status>DEPLOYED</Status><FunctionConfig><Comment>router</Comment><Runtime>cloudfront-js-2.0</Runtime>'
            f'<KeyValueStoreAssociations><Quantity>{len(stores)}</Quantity><Items>{items}</Items></KeyValueStoreAssociations>'
            f'</FunctionConfig><FunctionMetadata><FunctionARN>arn:aws:cloudfront::123456789012:function/{escape(name)}</FunctionARN>'
            f'<Stage>LIVE</Stage></FunctionMetadata></FunctionSummary>')


ASSOCIATION = ("<FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation>"
               f"<FunctionARN>{escape(CONFIG['function'])}</FunctionARN><EventType>viewer-request</EventType>"
               "</FunctionAssociation></Items></FunctionAssociations>") if CONFIG["function"] else \
    "<FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>"
LAMBDAS = (f"<LambdaFunctionAssociations><Quantity>{len(CONFIG['lambdas'])}</Quantity>"
           + ("<Items>" + "".join(f"<LambdaFunctionAssociation><LambdaFunctionARN>{escape(arn)}</LambdaFunctionARN>"
                                  f"<EventType>{escape(event)}</EventType><IncludeBody>false</IncludeBody></LambdaFunctionAssociation>"
                                  for event, arn in sorted(CONFIG["lambdas"].items())) + "</Items>" if CONFIG["lambdas"] else "")
           + "</LambdaFunctionAssociations>")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or "0"))
        connection = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in ("host", "connection")}
        headers["Host"] = UPSTREAM.netloc
        connection.request(self.command, self.path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data, response.getheaders()

    def do_GET(self):
        url = urlsplit(self.path)
        match = re.fullmatch(r"/2020-05-31/function/([^/]+)/describe", url.path)
        if match:
            name = match.group(1)
            if parse_qs(url.query).get("Stage", ["LIVE"]) != ["LIVE"] or name not in CONFIG["functions"]:
                body = error("NoSuchFunctionExists", "The specified function does not exist.").encode()
                return self.reply(404, body, [("Content-Type", "text/xml")])
            return self.reply(200, describe(name, CONFIG["functions"][name]).encode(),
                              [("Content-Type", "text/xml"), ("ETag", "ETVPDKIKX0DER")])
        status, data, headers = self.forward()
        if status == 200 and re.fullmatch(r"/2020-05-31/distribution/[^/]+", url.path):
            text = data.decode()
            start = text.find("<DefaultCacheBehavior>")
            if start >= 0:
                head, tail = text[:start], text[start:]
                tail = re.sub(r"<FunctionAssociations>.*?</FunctionAssociations>", ASSOCIATION, tail, count=1, flags=re.S)
                end = tail.find("</DefaultCacheBehavior>")
                behavior = re.sub(r"<LambdaFunctionAssociations>.*?</LambdaFunctionAssociations>", "", tail[:end], flags=re.S)
                behavior = behavior.replace("<DefaultCacheBehavior>", "<DefaultCacheBehavior>" + LAMBDAS, 1)
                tail = behavior + tail[end:]
                data = (head + tail).encode()
        self.reply(status, data, headers)

    def do_HEAD(self):
        status, data, headers = self.forward()
        self.reply(status, data, headers)

    def do_POST(self):
        status, data, headers = self.forward()
        self.reply(status, data, headers)

    do_PUT = do_POST
    do_DELETE = do_POST


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

/// Runs `body` with a fresh ``CloudFrontFunctionStandIn`` in front of `upstream` and stops it
/// afterwards.
public func withCloudFrontFunctionStandIn<T>(upstream: String, viewerRequestFunctionARN: String, functions: [String: [String]],
                                            lambdaFunctions: [String: String] = [:],
                                            _ body: (CloudFrontFunctionStandIn) async throws -> T) async throws -> T {
    let server = try CloudFrontFunctionStandIn(upstream: upstream, viewerRequestFunctionARN: viewerRequestFunctionARN,
                                               functions: functions, lambdaFunctions: lambdaFunctions)
    defer { server.stop() }
    return try await body(server)
}
