import AWSCore
import Foundation

/// A loopback HTTP proxy in front of another server (moto_server) that injects faults into
/// a steady share of the traffic, for end-to-end convergence tests: every `slowDownEvery`-th
/// request gets `503 SlowDown` without reaching the upstream, every `resetEvery`-th is read
/// and then answered by closing the connection with an RST. Other requests are forwarded
/// as they are (method, path, headers, body) and their answers relayed. No request (method and
/// path) is faulted more than twice, so a client that retries five times always gets through:
/// the test is of convergence, not of luck.
/// With `holdUploadsAfter` N, the object uploads (PUTs outside `_sitebuild/`) after the N-th are
/// held unanswered until the proxy stops: a deploy that is certain to be mid-upload when the
/// test kills it.
/// With `flipPointer`, the first conditional write (`If-Match` or `If-None-Match`) to a path
/// ending in its suffix is preceded by an unconditional write of its value to the same object
/// upstream: another runner's flip landing between a deploy's read of the pointer and its
/// compare-and-swap, on cue.
/// With `holdAnswerOf`, the first request of that method whose path (query included) contains
/// the text is forwarded, and its answer held until `GET /_proxy/release`: the upstream has
/// done it (a lock stored, a pointer flipped), the client is still waiting for the answer when
/// the test signals it.
/// With `loseAnswerOf`, the first `times` requests of that method whose path (query included)
/// contains the text are forwarded, and the connection then reset instead of answering: the
/// upstream has done it (a lock stored, a pointer flipped), the client never learns so.
/// With `clockOffset`, it plays S3 with a clock that far from this machine's: a request whose
/// `X-Amz-Date` is more than 15 minutes from that time gets `403 RequestTimeTooSkewed` (with
/// the time in `Date` and `<ServerTime>`), as S3 answers a machine whose clock is off.
/// With `bucketRegion`, it plays S3 for buckets in that region: a request signed for any other
/// region gets `301 PermanentRedirect` with `x-amz-bucket-region` (and `<Region>` in the body).
/// With `refuse`, every request of that method whose path contains the text is answered with
/// that status and error code (an S3/CloudFront-style XML error) without reaching the upstream:
/// a permission the identity lacks, say. With `refuseOnceAnswerLost` too, only once a
/// `loseAnswerOf` answer was lost: a store that goes unreachable right after a write.
/// With `denyDelete`, a DeleteObjects request (`POST ?delete`) is answered by the proxy as S3
/// answers one a bucket policy or a fault refuses in part: `200` with a per-key `<Error>` of
/// that code for each key matching the regular expression, the other keys deleted upstream one
/// by one (and listed as `<Deleted>`).
/// With `bodyAfterHead`, every forwarded HEAD answer owes a body of its Content-Length (as a
/// broken proxy or server sends one): the connection's next answer is preceded by it (the
/// bytes wait for the next request, so they always come after it, as late ones do).
/// With `answerDelete`, the first `times` DeleteObjects requests (`POST ?delete`) are answered
/// `200` with that body, without reaching the upstream: S3's "200 with an error", or a page
/// of something else that answered.
/// With `archiveTier`, the objects whose path matches the regular expression play
/// Intelligent-Tiering objects in that archive tier (`ARCHIVE_ACCESS`, `DEEP_ARCHIVE_ACCESS`),
/// which moto does not know: their HEAD answers carry `x-amz-archive-status`, and a GET of
/// one or a copy from one (`x-amz-copy-source`) is refused `403 InvalidObjectState`.
/// `GET /_proxy/stats` answers `{"requests": n, "slowdowns": n, "resets": n, "pointerFlips": n,
/// "redirects": n, "held": n, "forwarding": n, "answersHeld": n, "refused": n, "deniedDeletes": n, "answersLost": n, "skewed": n,
/// "headBodies": n, "deletesAnswered": n}` (forwarding: requests sent
/// upstream and not yet answered; answersHeld: 1 once the `holdAnswerOf` answer is held).
public final class FaultInjectingProxy: @unchecked Sendable {
    // @unchecked: the properties are set in `init` and never change.
    private let server: PythonScriptServer

    public var baseURL: String { server.baseURL }

    public init(upstream: String, slowDownEvery: Int = 0, resetEvery: Int = 0,
                flipPointer: (pathSuffix: String, value: String)? = nil, bucketRegion: String? = nil,
                holdUploadsAfter: Int = 0, holdAnswerOf: (method: String, pathContains: String)? = nil,
                refuse: (method: String, pathContains: String, status: Int, code: String)? = nil,
                denyDelete: (keyPattern: String, code: String)? = nil,
                loseAnswerOf: (method: String, pathContains: String, times: Int)? = nil, clockOffset: Int = 0,
                bodyAfterHead: Bool = false, answerDelete: (body: String, times: Int)? = nil,
                archiveTier: (keyPattern: String, status: String)? = nil, refuseOnceAnswerLost: Bool = false) throws {
        let values: [(String, String)] = [
            ("@UPSTREAM@", upstream),
            ("@SLOWDOWN@", String(slowDownEvery)),
            ("@RESET@", String(resetEvery)),
            ("@FLIP_SUFFIX@", flipPointer?.pathSuffix ?? ""),
            ("@FLIP_VALUE@", flipPointer?.value ?? ""),
            ("@BUCKET_REGION@", bucketRegion ?? ""),
            ("@HOLD_AFTER@", String(holdUploadsAfter)),
            ("@HOLD_ANSWER_METHOD@", holdAnswerOf?.method ?? ""),
            ("@HOLD_ANSWER_PATH@", holdAnswerOf?.pathContains ?? ""),
            ("@REFUSE_METHOD@", refuse?.method ?? ""),
            ("@REFUSE_PATH@", refuse?.pathContains ?? ""),
            ("@REFUSE_STATUS@", String(refuse?.status ?? 0)),
            ("@REFUSE_CODE@", refuse?.code ?? ""),
            ("@REFUSE_ONCE_LOST@", refuseOnceAnswerLost ? "True" : "False"),
            ("@DENY_DELETE@", denyDelete?.keyPattern ?? ""),
            ("@DENY_DELETE_CODE@", denyDelete?.code ?? ""),
            ("@LOSE_METHOD@", loseAnswerOf?.method ?? ""),
            ("@LOSE_PATH@", loseAnswerOf?.pathContains ?? ""),
            ("@LOSE_TIMES@", String(loseAnswerOf?.times ?? 0)),
            ("@CLOCK_OFFSET@", String(clockOffset)),
            ("@BODY_AFTER_HEAD@", bodyAfterHead ? "True" : "False"),
            ("@ANSWER_DELETE_TIMES@", String(answerDelete?.times ?? 0)),
            // Base64: the body may hold quotes and line breaks.
            ("@ANSWER_DELETE_BODY@", Data((answerDelete?.body ?? "").utf8).base64EncodedString()),
            ("@ARCHIVE_PATTERN@", archiveTier?.keyPattern ?? ""),
            ("@ARCHIVE_STATUS@", archiveTier?.status ?? ""),
        ]
        // One replacement at a time: a chain of twenty-five is more than the type checker allows itself.
        var script = Self.script
        for (placeholder, value) in values { script = script.replacingOccurrences(of: placeholder, with: value) }
        server = try PythonScriptServer(script: script, name: "fault_proxy")
    }

    public func stop() { server.stop() }

    public struct Stats: Decodable, Sendable {
        public var requests: Int
        public var slowdowns: Int
        public var resets: Int
        public var pointerFlips: Int
        public var redirects: Int
        public var held: Int
        public var forwarding: Int
        public var answersHeld: Int
        /// Requests answered with the `refuse` error.
        public var refused: Int
        /// Keys of DeleteObjects requests answered with the `denyDelete` error.
        public var deniedDeletes: Int
        /// Requests done upstream whose answers the `loseAnswerOf` rule dropped.
        public var answersLost: Int
        /// Requests refused with `RequestTimeTooSkewed` (`clockOffset`).
        public var skewed: Int
        /// HEAD answers whose body (`bodyAfterHead`) was sent before a later answer.
        public var headBodies: Int
        /// DeleteObjects requests answered with the `answerDelete` body.
        public var deletesAnswered: Int
    }

    /// Lets the held `holdAnswerOf` answer go to the client.
    public func releaseAnswer() async throws {
        _ = try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: baseURL + "/_proxy/release"))
    }

    public func stats() async throws -> Stats {
        let response = try await CurlHTTPClient().execute(HTTPRequest(method: "GET", url: baseURL + "/_proxy/stats"))
        return try JSONDecoder().decode(Stats.self, from: Data(response.body))
    }

    static let script = #"""
import base64, calendar, email.utils, html, http.client, json, re, socket, struct, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = urllib.parse.urlsplit("@UPSTREAM@")
SLOWDOWN_EVERY = @SLOWDOWN@
RESET_EVERY = @RESET@
lock = threading.Lock()
FLIP_SUFFIX = "@FLIP_SUFFIX@"
FLIP_VALUE = "@FLIP_VALUE@".encode()
BUCKET_REGION = "@BUCKET_REGION@"
HOLD_AFTER = @HOLD_AFTER@
HOLD_ANSWER_METHOD = "@HOLD_ANSWER_METHOD@"
HOLD_ANSWER_PATH = "@HOLD_ANSWER_PATH@"
REFUSE_METHOD = "@REFUSE_METHOD@"
REFUSE_PATH = "@REFUSE_PATH@"
REFUSE_STATUS = @REFUSE_STATUS@
REFUSE_CODE = "@REFUSE_CODE@"
REFUSE_ONCE_LOST = @REFUSE_ONCE_LOST@
DENY_DELETE = r"@DENY_DELETE@"
DENY_DELETE_CODE = "@DENY_DELETE_CODE@"
LOSE_METHOD = "@LOSE_METHOD@"
LOSE_PATH = "@LOSE_PATH@"
LOSE_TIMES = @LOSE_TIMES@
CLOCK_OFFSET = @CLOCK_OFFSET@
BODY_AFTER_HEAD = @BODY_AFTER_HEAD@
ANSWER_DELETE_TIMES = @ANSWER_DELETE_TIMES@
ANSWER_DELETE_BODY = base64.b64decode("@ANSWER_DELETE_BODY@")
ARCHIVE_PATTERN = r"@ARCHIVE_PATTERN@"
ARCHIVE_STATUS = "@ARCHIVE_STATUS@"
answer_gate = threading.Event()
stats = {"requests": 0, "slowdowns": 0, "resets": 0, "pointerFlips": 0, "redirects": 0, "held": 0, "forwarding": 0, "answersHeld": 0, "refused": 0, "deniedDeletes": 0, "answersLost": 0, "skewed": 0, "headBodies": 0, "deletesAnswered": 0}
faulted = {}
uploads = [0]
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass

    def handle_any(self):
        owed = getattr(self, "owed", b"")
        if owed:
            self.owed = b""
            with lock: stats["headBodies"] += 1
            self.wfile.write(owed)
        if self.path == "/_proxy/stats":
            body = json.dumps(stats).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        if self.path == "/_proxy/release":
            answer_gate.set()
            self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers(); return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            stats["requests"] += 1
            n = stats["requests"]
            fault = None
            key = (self.command, self.path)
            if faulted.get(key, 0) < 2:
                if RESET_EVERY and n % RESET_EVERY == 0: fault = "reset"; stats["resets"] += 1
                elif SLOWDOWN_EVERY and n % SLOWDOWN_EVERY == 0: fault = "slowdown"; stats["slowdowns"] += 1
                if fault: faulted[key] = faulted.get(key, 0) + 1
            hold = False
            if HOLD_AFTER and self.command == "PUT" and "/_sitebuild/" not in self.path.split("?")[0]:
                uploads[0] += 1
                hold = uploads[0] > HOLD_AFTER
                if hold: stats["held"] += 1
        if hold:
            threading.Event().wait()
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close(); self.close_connection = True; return
        if BUCKET_REGION:
            scope = (self.headers.get("Authorization") or "").split("Credential=")[-1].split(",")[0].split("/")
            if len(scope) < 3 or scope[2] != BUCKET_REGION:
                with lock: stats["redirects"] += 1
                err = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are "
                       "attempting to access must be addressed using the specified endpoint.</Message><Region>%s</Region></Error>" % BUCKET_REGION).encode()
                self.send_response(301); self.send_header("x-amz-bucket-region", BUCKET_REGION)
                self.send_header("Content-Type", "application/xml"); self.send_header("Content-Length", str(len(err))); self.end_headers()
                if self.command != "HEAD": self.wfile.write(err)
                return
        amz_date = self.headers.get("X-Amz-Date")
        if CLOCK_OFFSET and amz_date:
            now = time.time() + CLOCK_OFFSET
            signed = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
            if abs(now - signed) > 15 * 60:
                with lock: stats["skewed"] += 1
                server = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
                err = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
                       "between the request time and the current time is too large.</Message><RequestTime>%s</RequestTime>"
                       "<ServerTime>%s</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>" % (amz_date, server)).encode()
                # send_response_only: send_response would add this machine's Date before S3's.
                self.send_response_only(403); self.send_header("Date", email.utils.formatdate(now, usegmt=True))
                self.send_header("Content-Type", "application/xml"); self.send_header("Content-Length", str(len(err))); self.end_headers()
                if self.command != "HEAD": self.wfile.write(err)
                return
        if REFUSE_PATH and self.command == REFUSE_METHOD and REFUSE_PATH in self.path and (not REFUSE_ONCE_LOST or stats["answersLost"] > 0):
            with lock: stats["refused"] += 1
            err = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
                   "<Message>refused by the test proxy</Message></Error></ErrorResponse>" % REFUSE_CODE).encode()
            self.send_response(REFUSE_STATUS); self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(err))); self.end_headers()
            if self.command != "HEAD": self.wfile.write(err)
            return
        path = urllib.parse.unquote(self.path.split("?")[0])
        source = urllib.parse.unquote(self.headers.get("x-amz-copy-source") or "")
        if ARCHIVE_PATTERN and ((self.command == "GET" and re.search(ARCHIVE_PATTERN, path)) or (source and re.search(ARCHIVE_PATTERN, source))):
            err = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidObjectState</Code><Message>The operation is not "
                   b"valid for the object's access tier</Message></Error>")
            self.send_response(403); self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(err))); self.end_headers(); self.wfile.write(err)
            return
        answer_delete = False
        if ANSWER_DELETE_TIMES and self.command == "POST" and re.search(r"[?&]delete(=|&|$)", self.path):
            with lock:
                answer_delete = stats["deletesAnswered"] < ANSWER_DELETE_TIMES
                if answer_delete: stats["deletesAnswered"] += 1
        if answer_delete:
            self.send_response(200); self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(ANSWER_DELETE_BODY))); self.end_headers(); self.wfile.write(ANSWER_DELETE_BODY)
            return
        if DENY_DELETE and self.command == "POST" and re.search(r"[?&]delete(=|&|$)", self.path):
            bucket = self.path.split("?")[0].strip("/").split("/")[0]
            answer = ""
            for key in [html.unescape(k) for k in re.findall(r"<Key>(.*?)</Key>", body.decode())]:
                if re.search(DENY_DELETE, key):
                    with lock: stats["deniedDeletes"] += 1
                    answer += "<Error><Key>%s</Key><Code>%s</Code><Message>denied by the test proxy</Message></Error>" % (html.escape(key), DENY_DELETE_CODE)
                    continue
                other = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
                # moto refuses (403) a request without credentials; it does not check signatures,
                # so the DeleteObjects request's own do.
                forwarded = {"Host": self.headers.get("Host", ""), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
                for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
                    if self.headers.get(name): forwarded[name] = self.headers.get(name)
                other.request("DELETE", "/" + bucket + "/" + urllib.parse.quote(key), headers=forwarded)
                upstream = other.getresponse(); upstream.read(); other.close()
                if upstream.status // 100 != 2:
                    answer += "<Error><Key>%s</Key><Code>Upstream%d</Code><Message>the test proxy's delete failed upstream</Message></Error>" % (html.escape(key), upstream.status)
                    continue
                answer += "<Deleted><Key>%s</Key></Deleted>" % html.escape(key)
            data = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">%s"
                    "</DeleteResult>" % answer).encode()
            self.send_response(200); self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
            return
        if fault == "slowdown":
            err = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503); self.send_header("Content-Type", "application/xml")
            # A HEAD response has no body (S3 sends none); one would be read as the next response.
            self.send_header("Content-Length", str(len(err))); self.end_headers()
            if self.command != "HEAD": self.wfile.write(err)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        flip = False
        if FLIP_SUFFIX and self.command == "PUT" and self.path.split("?")[0].endswith(FLIP_SUFFIX) and (self.headers.get("If-Match") or self.headers.get("If-None-Match")):
            with lock:
                flip = stats["pointerFlips"] == 0
                if flip: stats["pointerFlips"] += 1
        if flip:
            other = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
            other.request("PUT", self.path.split("?")[0], body=FLIP_VALUE,
                          headers={"Host": self.headers.get("Host", ""), "Content-Type": "text/plain"})
            other.getresponse().read(); other.close()
        with lock: stats["forwarding"] += 1
        try:
            conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            with lock: stats["forwarding"] -= 1
        hold_answer = False
        if HOLD_ANSWER_PATH and self.command == HOLD_ANSWER_METHOD and HOLD_ANSWER_PATH in self.path:
            with lock:
                hold_answer = stats["answersHeld"] == 0
                if hold_answer: stats["answersHeld"] = 1
        if hold_answer:
            answer_gate.wait()
        lose = False
        if LOSE_PATH and self.command == LOSE_METHOD and LOSE_PATH in self.path:
            with lock:
                lose = stats["answersLost"] < LOSE_TIMES
                if lose: stats["answersLost"] += 1
        if lose:
            conn.close()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close(); self.close_connection = True; return
        self.send_response(resp.status)
        head = self.command == "HEAD"
        for k, v in resp.getheaders():
            if k.lower() not in HOP and (head or k.lower() != "content-length"): self.send_header(k, v)
        if head and ARCHIVE_PATTERN and re.search(ARCHIVE_PATTERN, urllib.parse.unquote(self.path.split("?")[0])):
            self.send_header("x-amz-archive-status", ARCHIVE_STATUS)
        if not head: self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(data)
        elif BODY_AFTER_HEAD: self.owed = b"x" * min(int(resp.getheader("Content-Length") or 0), 1 << 16)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
# A client killed mid-request (the tests do that) is expected: no traceback on stderr.
server.handle_error = lambda request, client_address: None
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
"""#
}
