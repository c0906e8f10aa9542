import AWSCore
import AWSServices
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The project's CloudFront KeyValueStore stand-in (moto has no KeyValueStore backend): a
/// Python server on a free loopback port that implements DescribeKeyValueStore, GetKey,
/// PutKey and UpdateKeys with store-wide ETags (every write changes it; a stale `If-Match` is
/// `409 ConflictException`; a missing key is `404 ResourceNotFoundException`) and answers
/// `403 InvalidSignatureException` to any request whose SigV4A signature does not verify.
///
/// The verification is independent of the Swift signer: the script derives the P-256 key from
/// the secret with the SigV4A counter-mode KDF (checked against the published AKIDEXAMPLE
/// vector at start-up), rebuilds the canonical request from what it received (the wire path
/// encoded a second time) and verifies the DER ECDSA signature with `cryptography`.
public final class KeyValueStoreTestServer: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    public static let accessKeyId = "AKIDKVSTEST"
    public static let secretAccessKey = "kvs-test-secret/+example"
    public static let storeARN = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"

    public let port: Int
    private let process: Process
    private let scriptPath: String

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public init() async throws {
        scriptPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("sitebuild-kvs-\(UUID().uuidString).py").path
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        (process, port) = try await LoopbackServerProcess.startReportingPort(
            ["python3", scriptPath, Self.accessKeyId, Self.secretAccessKey, Self.storeARN],
            failure: "the KeyValueStore test server did not start within 120 s (python3 with cryptography installed?)")
    }

    public func stop() {
        LoopbackServerProcess.terminate(process)
        try? FileManager.default.removeItem(atPath: scriptPath)
    }

    /// A client of this server's store signing with `secret` (the right one by default).
    public func client(secret: String = KeyValueStoreTestServer.secretAccessKey) throws -> KeyValueStoreClient {
        let environment = ["AWS_ACCESS_KEY_ID": Self.accessKeyId, "AWS_SECRET_ACCESS_KEY": secret,
                           "AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE": baseURL]
        return try KeyValueStoreClient(kvsARN: Self.storeARN, credentials: EnvironmentCredentialProvider(environment: environment),
                                       environment: environment)
    }

    static let script = #"""
# CloudFront KeyValueStore stub for sitebuild's tests: four operations with store-wide ETag
# semantics, and every request's SigV4A signature verified independently of the Swift code.
import hashlib, hmac, json, sys, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "AWS4-ECDSA-P256-SHA256"
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

def derive_private_scalar(akid, secret):
    key = ("AWS4A" + secret).encode()
    for counter in range(1, 255):
        fixed = b"\x00\x00\x00\x01" + ALGORITHM.encode() + b"\x00" + akid.encode() + bytes([counter]) + b"\x00\x00\x01\x00"
        k0 = int.from_bytes(hmac.new(key, fixed, hashlib.sha256).digest(), "big")
        if k0 <= N - 2:
            return k0 + 1
    raise ValueError("no key")

# Self-check against the published vector before trusting the derivation.
_d = "%064x" % derive_private_scalar("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
assert _d.startswith("7efc8c0e") and _d.endswith("5be9259c"), _d

akid, secret, arn = sys.argv[1], sys.argv[2], sys.argv[3]
PUBLIC_KEY = ec.derive_private_key(derive_private_scalar(akid, secret), ec.SECP256R1()).public_key()
STATE = {"version": 1, "items": {}}
LOCK = threading.Lock()

def etag():
    return "KV%012X" % STATE["version"]

def enc(value):
    return urllib.parse.quote(value, safe="~")

class SignatureError(Exception):
    pass

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, document, extra=None, error=None):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if error:
            self.send_header("x-amzn-ErrorType", error)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def fail(self, status, code, message):
        self.reply(status, {"__type": code, "Message": message}, error=code)

    def verify(self, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith(ALGORITHM + " "):
            raise SignatureError("the Authorization header is not " + ALGORITHM)
        fields = dict(part.strip().split("=", 1) for part in auth[len(ALGORITHM) + 1:].split(","))
        credential = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        if credential[0] != akid:
            raise SignatureError("unknown access key")
        amz_date = self.headers.get("X-Amz-Date", "")
        if len(credential) != 4 or credential[1] != amz_date[:8] or credential[2] != "cloudfront-keyvaluestore" or credential[3] != "aws4_request":
            raise SignatureError("bad credential scope " + "/".join(credential[1:]))
        if "host" not in signed or "x-amz-region-set" not in signed or self.headers.get("X-Amz-Region-Set") != "*":
            raise SignatureError("host and x-amz-region-set: * must be signed")
        raw_path, _, raw_query = self.path.partition("?")
        canonical_uri = urllib.parse.quote(raw_path, safe="/~")  # the wire path encoded again
        pairs = [p.split("=", 1) + [""] for p in raw_query.split("&") if p]
        canonical_query = "&".join(sorted(enc(urllib.parse.unquote(k)) + "=" + enc(urllib.parse.unquote(v))
                                          for k, v, *_ in pairs))
        lines = []
        for name in signed:
            values = self.headers.get_all(name) or []
            lines.append(name + ":" + ",".join(" ".join(v.split()) for v in values) + "\n")
        canonical_request = "\n".join([self.command, canonical_uri, canonical_query, "".join(lines),
                                       ";".join(signed), hashlib.sha256(body).hexdigest()])
        string_to_sign = "\n".join([ALGORITHM, amz_date, "/".join(credential[1:]),
                                    hashlib.sha256(canonical_request.encode()).hexdigest()])
        try:
            PUBLIC_KEY.verify(bytes.fromhex(fields["Signature"]), string_to_sign.encode(), ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            raise SignatureError("the SigV4A signature did not verify")

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            self.verify(body)
        except (SignatureError, KeyError, IndexError, ValueError) as error:
            message = str(error) if isinstance(error, SignatureError) else "malformed Authorization header"
            return self.fail(403, "InvalidSignatureException", message)
        with LOCK:
            self.dispatch(body)

    def dispatch(self, body):
        segments = [urllib.parse.unquote(s) for s in self.path.partition("?")[0].split("/")]
        if len(segments) < 3 or segments[1] != "key-value-stores" or segments[2] != arn:
            return self.fail(404, "ResourceNotFoundException", "no such key value store")
        rest = segments[3:]
        items = STATE["items"]
        size = lambda: sum(len(k) + len(v) for k, v in items.items())
        if self.command == "GET" and rest == []:
            return self.reply(200, {"KvsARN": arn, "ItemCount": len(items), "TotalSizeInBytes": size(),
                                    "Status": "READY"}, {"ETag": etag()})
        if self.command == "GET" and len(rest) == 2 and rest[0] == "keys":
            if rest[1] not in items:
                return self.fail(404, "ResourceNotFoundException", "key not found")
            return self.reply(200, {"Key": rest[1], "Value": items[rest[1]], "ItemCount": len(items),
                                    "TotalSizeInBytes": size()})
        is_put = self.command == "PUT" and len(rest) == 2 and rest[0] == "keys"
        is_update = self.command == "POST" and rest == ["keys"]
        if not (is_put or is_update):
            return self.fail(400, "ValidationException", "unsupported operation")
        if self.headers.get("If-Match") is None:
            return self.fail(400, "ValidationException", "If-Match is required")
        if self.headers.get("If-Match") != etag():
            return self.fail(409, "ConflictException", "the ETag in If-Match is not the store's current ETag")
        try:
            document = json.loads(body or b"{}")
            if is_put:
                changes = [(rest[1], document["Value"])], []
            else:
                changes = [(p["Key"], p["Value"]) for p in document.get("Puts", [])], [d["Key"] for d in document.get("Deletes", [])]
        except (ValueError, KeyError, TypeError):
            return self.fail(400, "ValidationException", "malformed body")
        for key, value in changes[0]:
            items[key] = value
        for key in changes[1]:
            items.pop(key, None)
        STATE["version"] += 1
        self.reply(200, {"ItemCount": len(items), "TotalSizeInBytes": size()}, {"ETag": etag()})

    do_GET = do_PUT = do_POST = do_DELETE = handle_any

ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""#
}

/// Runs `body` with a fresh KeyValueStore test server and stops it afterwards.
public func withKeyValueStoreTestServer<T>(_ body: (KeyValueStoreTestServer) async throws -> T) async throws -> T {
    let server = try await KeyValueStoreTestServer()
    defer { server.stop() }
    return try await body(server)
}
