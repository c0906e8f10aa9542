#!/usr/bin/env python3
"""s3sink: a minimal S3-compatible endpoint for benchmarking S3 clients. Not a store.

It keeps only what a client can observe cheaply: per key the size, MD5 ETag, content type,
cache control, content encoding/disposition, x-amz-meta-* headers and last-modified time.
Object bytes are dropped once read and hashed, except for objects under --keep-bytes
(1 MiB by default: manifests and pointer objects round-trip); a GET of a larger object is
answered 404 NoSuchKey with a message saying so.

    python3 s3sink.py [--host 127.0.0.1] [--port 9000] [--latency-ms N] [--keep-bytes B] [--verbose]
                      [--close] [--tls-cert PEM --tls-key PEM]

Addressing is path style only: /{bucket}/{key}. There is no authentication: any signature,
or none, is accepted. Request bodies may be plain (Content-Length), HTTP chunked, or
aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER and the
other STREAMING-* forms; chunk signatures and trailer checksums are not verified).

Operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
ListObjects (v1), ListObjectsV2, PutObject (If-None-Match: *, If-Match), GetObject (Range,
If-Match, If-None-Match), HeadObject, CopyObject (metadata COPY/REPLACE), DeleteObject,
DeleteObjects, CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload
(If-None-Match: *), AbortMultipartUpload, ListMultipartUploads, ListParts. Anything else is
501 NotImplemented.

--latency-ms N waits N ms (asyncio.sleep) after reading each request and before answering,
so concurrent requests overlap as real S3 round trips do; --jitter-ms J adds a random 0..J ms
more, so answers arrive spread out instead of in lockstep waves.

--tls-cert PEM --tls-key PEM serve HTTPS instead of HTTP (Python's ssl module, its default
server settings: TLS 1.2 and 1.3, session tickets), keep-alive or --close alike.

Counters: GET /_sink/stats (JSON: requests by operation, by status, bytes received; connections
accepted and, over TLS, how many of them resumed a session rather than a full handshake),
POST /_sink/reset (zero the counters), POST /_sink/reset?data=1 (also forget every bucket).
The counters are printed to stderr on exit (SIGINT / SIGTERM).
Python 3.11 standard library only.
"""
import argparse
import asyncio
import base64
import bisect
import hashlib
import json
import random
import signal
import socket
import ssl
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from email.utils import formatdate
from urllib.parse import parse_qsl, quote, quote_plus, unquote
from xml.sax.saxutils import escape as xml_escape

MIB = 1 << 20
MIN_PART_SIZE = 5 * MIB
MAX_HEADER_BYTES = 64 * 1024
READ_PIECE = 1 << 20
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
S3_NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'

REASONS = {
    100: "Continue", 200: "OK", 204: "No Content", 206: "Partial Content", 304: "Not Modified",
    400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
    411: "Length Required", 412: "Precondition Failed", 416: "Requested Range Not Satisfiable",
    500: "Internal Server Error", 501: "Not Implemented",
}

# Bucket sub-resources this sink does not implement (answered 501 instead of being taken
# for a listing or a CreateBucket).
UNSUPPORTED_BUCKET_SUBRESOURCES = {
    "acl", "accelerate", "analytics", "cors", "encryption", "intelligent-tiering", "inventory", "lifecycle",
    "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
    "publicAccessBlock", "replication", "requestPayment", "tagging", "versioning", "versions", "website",
}
UNSUPPORTED_OBJECT_SUBRESOURCES = {"acl", "tagging", "retention", "legal-hold", "torrent", "restore", "attributes", "select"}

# Request headers stored with an object and returned by HEAD/GET.
STORED_HEADERS = ("content-type", "cache-control", "content-encoding", "content-disposition",
                  "content-language", "expires", "x-amz-website-redirect-location", "x-amz-storage-class")
HEADER_SPELLING = {
    "content-type": "Content-Type", "cache-control": "Cache-Control", "content-encoding": "Content-Encoding",
    "content-disposition": "Content-Disposition", "content-language": "Content-Language", "expires": "Expires",
}


class S3Error(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class BadRequest(Exception):
    """Malformed HTTP: answered 400 and the connection is closed."""


# ---------------------------------------------------------------------------------------
# Time formatting (cached per second: it is on every response)

_date_cache = [0, ""]


def http_date_now():
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, formatdate(now, usegmt=True)
    return _date_cache[1]


def http_date(ts):
    return formatdate(int(ts), usegmt=True)


def iso_date(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % int((ts % 1) * 1000)


# ---------------------------------------------------------------------------------------
# Model

class StoredObject:
    __slots__ = ("size", "etag", "headers", "meta", "modified", "data")

    def __init__(self, size, etag, headers, meta, data):
        self.size = size
        self.etag = etag            # hex, no quotes ("...-N" for multipart)
        self.headers = headers      # lower-case name -> value, from STORED_HEADERS
        self.meta = meta            # list of (lower-case x-amz-meta-* name, value)
        self.modified = time.time()
        self.data = data            # bytes when size < --keep-bytes, else None


class Upload:
    __slots__ = ("key", "upload_id", "initiated", "headers", "meta", "parts")

    def __init__(self, key, headers, meta):
        self.key = key
        self.upload_id = uuid.uuid4().hex + uuid.uuid4().hex
        self.initiated = time.time()
        self.headers, self.meta = headers, meta
        self.parts = {}             # part number -> (size, etag hex, data or None, modified)


class Bucket:
    __slots__ = ("name", "created", "objects", "keys", "uploads")

    def __init__(self, name):
        self.name = name
        self.created = time.time()
        self.objects = {}
        self.keys = []              # sorted (code point order == UTF-8 byte order)
        self.uploads = {}           # upload id -> Upload

    def put(self, key, obj):
        if key not in self.objects:
            bisect.insort(self.keys, key)
        self.objects[key] = obj

    def delete(self, key):
        if self.objects.pop(key, None) is not None:
            index = bisect.bisect_left(self.keys, key)
            del self.keys[index]


class Request:
    __slots__ = ("method", "target", "version", "headers", "path", "query", "bucket", "key", "keep_alive", "body_state", "framing")


# ---------------------------------------------------------------------------------------
# Body decoding

class ChunkDecoder:
    """Push parser for chunk framing `hex[;ext]\\r\\n data \\r\\n ... 0[;ext]\\r\\n trailers \\r\\n`,
    which is both aws-chunked (extensions: chunk-signature) and HTTP chunked."""

    __slots__ = ("sink", "buf", "remaining", "state", "trailers")

    def __init__(self, sink):
        self.sink = sink
        self.buf = b""
        self.remaining = 0
        self.state = 0              # 0 size line, 1 data, 2 CRLF after data, 3 trailers, 4 done
        self.trailers = {}

    @property
    def done(self):
        return self.state == 4

    def feed(self, data):
        buf = self.buf + data if self.buf else data
        view = memoryview(buf)
        pos, end = 0, len(buf)
        while pos < end:
            state = self.state
            if state == 1:
                n = min(self.remaining, end - pos)
                self.sink(view[pos:pos + n])
                pos += n
                self.remaining -= n
                if self.remaining == 0:
                    self.state = 2
            elif state == 2:
                if end - pos < 2:
                    break
                if buf[pos:pos + 2] != b"\r\n":
                    raise S3Error(400, "IncompleteBody", "chunk data is not followed by CRLF")
                pos += 2
                self.state = 0
            elif state == 0 or state == 3:
                i = buf.find(b"\r\n", pos)
                if i < 0:
                    if end - pos > 4096:
                        raise S3Error(400, "IncompleteBody", "chunk header line too long")
                    break
                line = bytes(buf[pos:i])
                pos = i + 2
                if state == 0:
                    try:
                        size = int(line.split(b";", 1)[0].strip(), 16)
                    except ValueError:
                        raise S3Error(400, "IncompleteBody", "bad chunk size line %r" % line[:80]) from None
                    if size == 0:
                        self.state = 3
                    else:
                        self.remaining = size
                        self.state = 1
                elif not line:
                    self.state = 4
                else:
                    name, _, value = line.partition(b":")
                    self.trailers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
            else:
                break               # done: anything after the terminator is ignored
        view.release()
        self.buf = buf[pos:] if pos < end else b""


class Body:
    """The decoded request body as the sink saw it."""
    __slots__ = ("size", "md5", "data", "trailers")


# ---------------------------------------------------------------------------------------
# Server

class Sink:
    def __init__(self, latency_ms=0.0, jitter_ms=0.0, keep_bytes=MIB, verbose=False, close=False):
        self.close = close
        self.latency = latency_ms / 1000.0
        self.jitter = jitter_ms / 1000.0
        self.random = random.Random(1)
        self.keep_bytes = keep_bytes
        self.verbose = verbose
        self.buckets = {}
        self.started = time.time()
        self.reset_counters()

    def reset_counters(self):
        self.operations = {}
        self.statuses = {}
        self.requests = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.connections = 0
        self.tls_resumed = 0
        self.counting_since = time.time()

    def stats(self):
        return {
            "requests": self.requests,
            "operations": dict(sorted(self.operations.items())),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "connections": self.connections,
            "tls_resumed": self.tls_resumed,
            "seconds": round(time.time() - self.counting_since, 3),
            "buckets": len(self.buckets),
            "objects": sum(len(b.objects) for b in self.buckets.values()),
            "uploads_in_progress": sum(len(b.uploads) for b in self.buckets.values()),
            "latency_ms": self.latency * 1000,
            "jitter_ms": self.jitter * 1000,
        }

    # -- connection -----------------------------------------------------------------------

    async def connection(self, reader, writer):
        self.connections += 1
        tls = writer.get_extra_info("ssl_object")
        if tls is not None and tls.session_reused:
            self.tls_resumed += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                except asyncio.LimitOverrunError:
                    self.write_error(writer, None, S3Error(400, "RequestHeaderSectionTooLarge", "headers over 64 KiB"))
                    break
                try:
                    request = self.parse_head(head)
                    if self.close:
                        request.keep_alive = False
                except BadRequest as error:
                    self.write_error(writer, None, S3Error(400, "BadRequest", str(error)))
                    break
                if not await self.serve(request, reader, writer):
                    break
                if writer.transport.get_write_buffer_size() > READ_PIECE:
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass                    # the client went away, or broke the framing: drop the connection
        finally:
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    def parse_head(head):
        text = head.decode("latin-1").lstrip("\r\n")
        lines = text.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest("bad request line %r" % lines[0][:100])
        request = Request()
        request.body_state = 0      # 0 unread, 1 being read, 2 read
        request.framing = ""
        request.method, request.target, request.version = parts
        headers = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest("bad header line %r" % line[:100])
            name = name.strip().lower()
            value = value.strip()
            headers[name] = headers[name] + ", " + value if name in headers else value
        request.headers = headers
        raw_path, _, raw_query = request.target.partition("?")
        if raw_path.startswith("http://") or raw_path.startswith("https://"):
            raw_path = "/" + raw_path.split("/", 3)[3] if raw_path.count("/") >= 3 else "/"
        request.path = raw_path
        request.query = dict(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else {}
        connection = headers.get("connection", "").lower()
        if request.version == "HTTP/1.0":
            request.keep_alive = "keep-alive" in connection
        else:
            request.keep_alive = "close" not in connection
        bucket, _, key = raw_path[1:].partition("/")
        request.bucket = unquote(bucket)
        request.key = unquote(key) if key else None
        return request

    async def serve(self, request, reader, writer):
        """Reads the body, answers; returns whether the connection stays open."""
        if request.path.startswith("/_sink/"):
            await self.read_body(request, reader, writer, keep=0)
            return self.serve_control(request, writer)
        operation = "Unknown"
        self.requests += 1
        try:
            operation, handler = self.route(request)
            if handler is None:
                raise S3Error(501, "NotImplemented", "s3sink does not implement %s %s" % (request.method, request.target[:200]))
            try:
                status, headers, body, head_length = await handler(request, reader, writer)
            except (S3Error, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
                raise
            except Exception as error:
                import traceback
                traceback.print_exc()
                request.keep_alive = False
                raise S3Error(500, "InternalError", "s3sink failed: %r" % error) from None
        except S3Error as error:
            await self.discard_body(request, reader, writer)
            status = error.status
            await self.delay()
            self.count(operation, status)
            self.write_error(writer, request, error)
            if self.verbose:
                print("%s %s -> %d %s (%s)%s" % (request.method, request.target[:200], status, error.code, operation, request.framing),
                      file=sys.stderr)
            return request.keep_alive
        await self.delay()
        self.count(operation, status)
        self.write_response(writer, request, status, headers, body, head_length)
        if self.verbose:
            print("%s %s -> %d (%s)%s" % (request.method, request.target[:200], status, operation, request.framing), file=sys.stderr)
        return request.keep_alive

    async def delay(self):
        if self.jitter:
            await asyncio.sleep(self.latency + self.random.random() * self.jitter)
        elif self.latency:
            await asyncio.sleep(self.latency)

    def count(self, operation, status):
        self.operations[operation] = self.operations.get(operation, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def serve_control(self, request, writer):
        if request.path == "/_sink/stats" and request.method in ("GET", "HEAD"):
            body = (json.dumps(self.stats(), indent=1) + "\n").encode()
        elif request.path == "/_sink/reset" and request.method == "POST":
            if request.query.get("data") in ("1", "true", "yes"):
                self.buckets = {}
            self.reset_counters()
            body = b'{"reset": true}\n'
        else:
            self.write_error(writer, request, S3Error(404, "NotFound", "control paths: GET /_sink/stats, POST /_sink/reset[?data=1]"))
            return request.keep_alive
        self.write_response(writer, request, 200, [("Content-Type", "application/json")], body, None)
        return request.keep_alive

    # -- responses ------------------------------------------------------------------------

    def write_response(self, writer, request, status, headers, body, head_length):
        lines = ["HTTP/1.1 %d %s\r\nDate: %s\r\nServer: s3sink\r\nx-amz-request-id: %08X\r\n"
                 % (status, REASONS.get(status, "OK"), http_date_now(), self.requests)]
        for name, value in headers:
            lines.append("%s: %s\r\n" % (name, value))
        length = head_length if head_length is not None else len(body)
        if status != 304 and status != 204:
            lines.append("Content-Length: %d\r\n" % length)
        if request is None or not request.keep_alive:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        data = "".join(lines).encode("latin-1")
        if body and (request is None or request.method != "HEAD"):
            self.bytes_out += len(body)
            if len(body) < 65536:
                writer.write(data + body)
            else:
                writer.write(data)
                writer.write(body)
        else:
            writer.write(data)

    def write_error(self, writer, request, error):
        resource = request.path if request is not None else ""
        body = XML_DECL + "<Error><Code>%s</Code><Message>%s</Message>" % (error.code, xml_escape(error.message))
        for name, value in error.extra.items():
            body += "<%s>%s</%s>" % (name, xml_escape(str(value)), name)
        body += "<Resource>%s</Resource><RequestId>%08X</RequestId></Error>" % (xml_escape(resource), self.requests)
        headers = [("Content-Type", "application/xml")]
        if request is not None and request.method == "HEAD":
            headers.append(("x-amz-error-code", error.code))
        self.write_response(writer, request, error.status, headers, body.encode(), None)

    @staticmethod
    def xml(root, inner):
        return (XML_DECL + "<%s%s>%s</%s>" % (root, S3_NS, inner, root)).encode()

    # -- bodies ---------------------------------------------------------------------------

    async def read_body(self, request, reader, writer, keep):
        """Reads and decodes the request body: MD5, size, and the bytes when smaller than `keep`."""
        headers = request.headers
        if request.body_state != 0:
            raise S3Error(500, "InternalError", "s3sink read a request body twice")
        request.body_state = 1
        md5 = hashlib.md5()
        result = Body()
        result.size = 0
        result.trailers = {}
        kept = [bytearray() if keep > 0 else None]

        def sink(piece):
            md5.update(piece)
            result.size += len(piece)
            if kept[0] is not None:
                if result.size < keep:
                    kept[0] += piece
                else:
                    kept[0] = None

        encoding = headers.get("content-encoding", "")
        sha = headers.get("x-amz-content-sha256", "")
        aws_chunked = "aws-chunked" in encoding or sha.startswith("STREAMING-")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length_text = headers.get("content-length")
        if not chunked and not length_text:
            length = 0
        elif not chunked:
            try:
                length = int(length_text)
            except ValueError:
                raise S3Error(400, "BadRequest", "bad Content-Length") from None
        if (chunked or length > 0) and headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")

        decoder = ChunkDecoder(sink) if aws_chunked else None
        if self.verbose and (chunked or length):
            request.framing = " [%s%s]" % ("http-chunked" if chunked else "content-length",
                                           " + aws-chunked " + sha if aws_chunked else "")
        consume = decoder.feed if decoder else sink
        received = 0
        if chunked:
            while True:
                line = await reader.readuntil(b"\r\n")
                received += len(line)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BadRequestBody("bad chunk size line") from None
                if size == 0:
                    while True:
                        line = await reader.readuntil(b"\r\n")
                        if line == b"\r\n":
                            break
                        name, _, value = line.partition(b":")
                        result.trailers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
                    break
                while size:
                    piece = await reader.read(min(size, READ_PIECE))
                    if not piece:
                        raise asyncio.IncompleteReadError(b"", size)
                    size -= len(piece)
                    received += len(piece)
                    consume(piece)
                await reader.readexactly(2)
        elif length <= READ_PIECE:
            if length:
                piece = await reader.readexactly(length)
                received = length
                consume(piece)
        else:
            remaining = length
            while remaining:
                piece = await reader.read(min(remaining, READ_PIECE))
                if not piece:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(piece)
                consume(piece)
            received = length
        self.bytes_in += received
        if decoder is not None:
            if not decoder.done:
                raise S3Error(400, "IncompleteBody", "the aws-chunked body ended before its final chunk")
            result.trailers.update(decoder.trailers)
            decoded = headers.get("x-amz-decoded-content-length")
            if decoded is not None and decoded.isdigit() and int(decoded) != result.size:
                raise S3Error(400, "IncompleteBody", "x-amz-decoded-content-length %s but %d bytes decoded" % (decoded, result.size))
        result.md5 = md5
        result.data = bytes(kept[0]) if kept[0] is not None else None
        request.body_state = 2
        return result

    async def discard_body(self, request, reader, writer):
        """Reads what is left of a body after an early error, so the connection stays usable."""
        if request.body_state == 0:
            try:
                await self.read_body(request, reader, writer, keep=0)
            except S3Error:
                request.keep_alive = False
        elif request.body_state == 1:
            request.keep_alive = False  # failed in the middle of the body: the framing is lost

    # -- routing --------------------------------------------------------------------------

    def route(self, request):
        method, query = request.method, request.query
        if request.path == "/" or not request.bucket:
            if method == "GET":
                return "ListBuckets", self.list_buckets
            return "Unknown", None
        if request.key is None:
            if method == "PUT":
                if any(name in UNSUPPORTED_BUCKET_SUBRESOURCES for name in query):
                    return "PutBucketSubresource", None
                return "CreateBucket", self.create_bucket
            if method == "HEAD":
                return "HeadBucket", self.head_bucket
            if method == "DELETE":
                if query:
                    return "DeleteBucketSubresource", None
                return "DeleteBucket", self.delete_bucket
            if method == "GET":
                if "location" in query:
                    return "GetBucketLocation", self.get_bucket_location
                if "uploads" in query:
                    return "ListMultipartUploads", self.list_multipart_uploads
                if any(name in UNSUPPORTED_BUCKET_SUBRESOURCES for name in query):
                    return "GetBucketSubresource", None
                if query.get("list-type") == "2":
                    return "ListObjectsV2", self.list_objects_v2
                return "ListObjects", self.list_objects_v1
            if method == "POST" and "delete" in query:
                return "DeleteObjects", self.delete_objects
            return "Unknown", None
        if any(name in UNSUPPORTED_OBJECT_SUBRESOURCES for name in query):
            return "ObjectSubresource", None
        if method == "PUT":
            if "uploadId" in query:
                if "x-amz-copy-source" in request.headers:
                    return "UploadPartCopy", self.upload_part_copy
                return "UploadPart", self.upload_part
            if "x-amz-copy-source" in request.headers:
                return "CopyObject", self.copy_object
            return "PutObject", self.put_object
        if method == "GET":
            if "uploadId" in query:
                return "ListParts", self.list_parts
            return "GetObject", self.get_object
        if method == "HEAD":
            return "HeadObject", self.head_object
        if method == "DELETE":
            if "uploadId" in query:
                return "AbortMultipartUpload", self.abort_multipart_upload
            return "DeleteObject", self.delete_object
        if method == "POST":
            if "uploads" in query:
                return "CreateMultipartUpload", self.create_multipart_upload
            if "uploadId" in query:
                return "CompleteMultipartUpload", self.complete_multipart_upload
        return "Unknown", None

    def bucket(self, request):
        bucket = self.buckets.get(request.bucket)
        if bucket is None:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=request.bucket)
        return bucket

    # -- buckets --------------------------------------------------------------------------

    async def list_buckets(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        inner = "<Owner><ID>s3sink</ID><DisplayName>s3sink</DisplayName></Owner><Buckets>"
        for name in sorted(self.buckets):
            inner += "<Bucket><Name>%s</Name><CreationDate>%s</CreationDate></Bucket>" % (
                xml_escape(name), iso_date(self.buckets[name].created))
        inner += "</Buckets>"
        return 200, [("Content-Type", "application/xml")], self.xml("ListAllMyBucketsResult", inner), None

    async def create_bucket(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        name = request.bucket
        if not (3 <= len(name) <= 63) or name.startswith("_"):
            raise S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=name)
        if name in self.buckets:
            raise S3Error(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.",
                          BucketName=name)
        self.buckets[name] = Bucket(name)
        return 200, [("Location", "/" + quote(name))], b"", None

    async def head_bucket(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        self.bucket(request)
        return 200, [("x-amz-bucket-region", "us-east-1")], b"", None

    async def delete_bucket(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket = self.bucket(request)
        if bucket.objects or bucket.uploads:
            raise S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=bucket.name)
        del self.buckets[bucket.name]
        return 204, [], b"", None

    async def get_bucket_location(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        self.bucket(request)
        return 200, [("Content-Type", "application/xml")], (XML_DECL + '<LocationConstraint%s/>' % S3_NS).encode(), None

    # -- listings -------------------------------------------------------------------------

    def collect(self, bucket, prefix, delimiter, max_keys, after, after_is_prefix):
        """Keys and common prefixes after `after` in order: (items, truncated, last item)."""
        keys = bucket.keys
        index = bisect.bisect_right(keys, after) if after else bisect.bisect_left(keys, prefix)
        if after and after_is_prefix:
            index = bisect.bisect_left(keys, after[:-1] + chr(ord(after[-1]) + 1))
        items = []
        count = len(keys)
        plen = len(prefix)
        while index < count:
            key = keys[index]
            if not key.startswith(prefix):
                if key > prefix:
                    break
                index += 1
                continue
            if len(items) >= max_keys:
                return items, True
            if delimiter:
                cut = key.find(delimiter, plen)
                if cut >= 0:
                    common = key[:cut + len(delimiter)]
                    items.append((common, None))
                    index = bisect.bisect_left(keys, common[:-1] + chr(ord(common[-1]) + 1), index)
                    continue
            items.append((key, bucket.objects[key]))
            index += 1
        return items, False

    @staticmethod
    def max_keys(query, name="max-keys"):
        try:
            value = int(query.get(name, "1000"))
        except ValueError:
            raise S3Error(400, "InvalidArgument", "%s is not an integer" % name) from None
        if value < 0:
            raise S3Error(400, "InvalidArgument", "%s must be >= 0" % name)
        return min(value, 1000)

    @staticmethod
    def contents_xml(items, encode):
        parts = []
        for name, obj in items:
            if obj is None:
                parts.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % encode(name))
            else:
                parts.append("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag>"
                             "<Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
                             % (encode(name), iso_date(obj.modified), obj.etag, obj.size))
        return "".join(parts)

    @staticmethod
    def encoder(query):
        if query.get("encoding-type") == "url":
            return lambda value: xml_escape(quote_plus(value, safe="/"))
        return xml_escape

    async def list_objects_v2(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket = self.bucket(request)
        query = request.query
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        max_keys = self.max_keys(query)
        token = query.get("continuation-token")
        start_after = query.get("start-after", "")
        after, after_is_prefix = start_after, False
        if token is not None:
            try:
                marker = json.loads(base64.urlsafe_b64decode(token.encode()))
                after, after_is_prefix = marker["m"], marker["p"]
            except Exception:
                raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect") from None
        items, truncated = self.collect(bucket, prefix, delimiter, max_keys, after, after_is_prefix)
        encode = self.encoder(query)
        inner = "<Name>%s</Name><Prefix>%s</Prefix>" % (xml_escape(bucket.name), encode(prefix))
        if delimiter:
            inner += "<Delimiter>%s</Delimiter>" % encode(delimiter)
        inner += "<MaxKeys>%d</MaxKeys><KeyCount>%d</KeyCount><IsTruncated>%s</IsTruncated>" % (
            max_keys, len(items), "true" if truncated else "false")
        if query.get("encoding-type") == "url":
            inner += "<EncodingType>url</EncodingType>"
        if token is not None:
            inner += "<ContinuationToken>%s</ContinuationToken>" % xml_escape(token)
        if start_after:
            inner += "<StartAfter>%s</StartAfter>" % encode(start_after)
        if truncated:
            last, obj = items[-1]
            next_token = base64.urlsafe_b64encode(json.dumps({"m": last, "p": obj is None}).encode()).decode()
            inner += "<NextContinuationToken>%s</NextContinuationToken>" % next_token
        inner += self.contents_xml(items, encode)
        return 200, [("Content-Type", "application/xml")], self.xml("ListBucketResult", inner), None

    async def list_objects_v1(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket = self.bucket(request)
        query = request.query
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        max_keys = self.max_keys(query)
        marker = query.get("marker", "")
        # A marker that is a common prefix skips every key under it (S3 does the same).
        after_is_prefix = bool(delimiter and marker.endswith(delimiter) and marker.startswith(prefix)
                               and marker.find(delimiter, len(prefix)) == len(marker) - len(delimiter))
        items, truncated = self.collect(bucket, prefix, delimiter, max_keys, marker, after_is_prefix)
        encode = self.encoder(query)
        inner = "<Name>%s</Name><Prefix>%s</Prefix><Marker>%s</Marker>" % (xml_escape(bucket.name), encode(prefix), encode(marker))
        if delimiter:
            inner += "<Delimiter>%s</Delimiter>" % encode(delimiter)
        inner += "<MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>" % (max_keys, "true" if truncated else "false")
        if query.get("encoding-type") == "url":
            inner += "<EncodingType>url</EncodingType>"
        if truncated and delimiter:
            inner += "<NextMarker>%s</NextMarker>" % encode(items[-1][0])
        inner += self.contents_xml(items, encode)
        return 200, [("Content-Type", "application/xml")], self.xml("ListBucketResult", inner), None

    # -- objects --------------------------------------------------------------------------

    @staticmethod
    def attributes(headers):
        stored = {name: headers[name] for name in STORED_HEADERS if name in headers}
        encoding = stored.get("content-encoding")
        if encoding is not None:
            tokens = [t.strip() for t in encoding.split(",") if t.strip() and t.strip() != "aws-chunked"]
            if tokens:
                stored["content-encoding"] = ", ".join(tokens)
            else:
                del stored["content-encoding"]
        stored.setdefault("content-type", "binary/octet-stream")
        meta = sorted((name, value) for name, value in headers.items() if name.startswith("x-amz-meta-"))
        return stored, meta

    @staticmethod
    def check_write_conditions(bucket, key, headers):
        existing = bucket.objects.get(key)
        if headers.get("if-none-match", "").strip() == "*" and existing is not None:
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          Condition="If-None-Match")
        wanted = headers.get("if-match")
        if wanted is not None:
            if existing is None:
                raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
            if wanted.strip().strip('"') not in ("*", existing.etag):
                raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                              Condition="If-Match")

    @staticmethod
    def checksum_headers(headers, trailers):
        echoed = []
        for source in (headers, trailers):
            for name, value in source.items():
                if name.startswith("x-amz-checksum-") and name not in ("x-amz-checksum-algorithm", "x-amz-checksum-type"):
                    echoed.append((name, value))
        return echoed

    async def put_object(self, request, reader, writer):
        bucket = self.bucket(request)
        body = await self.read_body(request, reader, writer, keep=self.keep_bytes)
        headers = request.headers
        etag = body.md5.hexdigest()
        expected = headers.get("content-md5")
        if expected is not None and base64.b64encode(body.md5.digest()).decode() != expected.strip():
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
        self.check_write_conditions(bucket, request.key, headers)
        stored, meta = self.attributes(headers)
        bucket.put(request.key, StoredObject(body.size, etag, stored, meta, body.data))
        return 200, [("ETag", '"%s"' % etag)] + self.checksum_headers(headers, body.trailers), b"", None

    def object_headers(self, obj):
        headers = [("ETag", '"%s"' % obj.etag), ("Last-Modified", http_date(obj.modified)), ("Accept-Ranges", "bytes")]
        for name, value in obj.headers.items():
            headers.append((HEADER_SPELLING.get(name, name), value))
        headers.extend(obj.meta)
        return headers

    def find_object(self, request):
        bucket = self.bucket(request)
        obj = bucket.objects.get(request.key)
        if obj is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=request.key)
        return obj

    @staticmethod
    def check_read_conditions(obj, headers):
        wanted = headers.get("if-match")
        if wanted is not None and wanted.strip().strip('"') not in ("*", obj.etag):
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          Condition="If-Match")
        unwanted = headers.get("if-none-match")
        return unwanted is not None and unwanted.strip().strip('"') in ("*", obj.etag)

    @staticmethod
    def parse_range(value, size):
        if not value.startswith("bytes=") or "," in value:
            return None
        first, _, last = value[6:].strip().partition("-")
        try:
            if first == "":
                length = int(last)
                start, end = max(0, size - length), size - 1
            else:
                start = int(first)
                end = int(last) if last else size - 1
        except ValueError:
            return None
        end = min(end, size - 1)
        if start > end or start >= size:
            raise S3Error(416, "InvalidRange", "The requested range is not satisfiable", RangeRequested=value)
        return start, end

    async def head_object(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        obj = self.find_object(request)
        if self.check_read_conditions(obj, request.headers):
            return 304, [("ETag", '"%s"' % obj.etag)], b"", None
        return 200, self.object_headers(obj), b"", obj.size

    async def get_object(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        obj = self.find_object(request)
        if self.check_read_conditions(obj, request.headers):
            return 304, [("ETag", '"%s"' % obj.etag)], b"", None
        if obj.data is None and obj.size > 0:
            raise S3Error(404, "NoSuchKey", "s3sink dropped the bytes of this %d-byte object (it keeps objects under %d bytes; "
                          "see --keep-bytes)" % (obj.size, self.keep_bytes), Key=request.key)
        data = obj.data or b""
        headers = self.object_headers(obj)
        range_header = request.headers.get("range")
        if range_header:
            span = self.parse_range(range_header, obj.size)
            if span is not None:
                start, end = span
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, obj.size)))
                return 206, headers, data[start:end + 1], None
        return 200, headers, data, None

    async def delete_object(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket = self.bucket(request)
        bucket.delete(request.key)
        return 204, [], b"", None

    async def delete_objects(self, request, reader, writer):
        bucket = self.bucket(request)
        body = await self.read_body(request, reader, writer, keep=16 * MIB)
        root = self.parse_xml(body.data)
        quiet = False
        deleted = []
        for element in root:
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "Quiet":
                quiet = (element.text or "").strip().lower() == "true"
            elif tag == "Object":
                key = None
                for child in element:
                    if child.tag.rsplit("}", 1)[-1] == "Key":
                        key = child.text or ""
                if key is not None:
                    bucket.delete(key)
                    deleted.append(key)
        if len(deleted) > 1000:
            raise S3Error(400, "MalformedXML", "at most 1000 keys per DeleteObjects")
        inner = "" if quiet else "".join("<Deleted><Key>%s</Key></Deleted>" % xml_escape(key) for key in deleted)
        return 200, [("Content-Type", "application/xml")], self.xml("DeleteResult", inner), None

    @staticmethod
    def parse_xml(data):
        if data is None:
            raise S3Error(400, "MalformedXML", "the XML body is too large")
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed: %s" % error) from None

    def copy_source(self, request):
        value = request.headers["x-amz-copy-source"]
        path = value.split("?", 1)[0]
        path = unquote(path).lstrip("/")
        bucket_name, _, key = path.partition("/")
        if not bucket_name or not key:
            raise S3Error(400, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
        bucket = self.buckets.get(bucket_name)
        if bucket is None:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket_name)
        obj = bucket.objects.get(key)
        if obj is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        wanted = request.headers.get("x-amz-copy-source-if-match")
        if wanted is not None and wanted.strip().strip('"') != obj.etag:
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          Condition="x-amz-copy-source-If-Match")
        return bucket, key, obj

    async def copy_object(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        destination = self.bucket(request)
        source_bucket, source_key, source = self.copy_source(request)
        directive = request.headers.get("x-amz-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise S3Error(400, "InvalidArgument", "Unknown metadata directive.")
        if directive == "COPY" and source_bucket is destination and source_key == request.key:
            raise S3Error(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself "
                          "without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        self.check_write_conditions(destination, request.key, request.headers)
        if directive == "REPLACE":
            stored, meta = self.attributes(request.headers)
        else:
            stored, meta = dict(source.headers), list(source.meta)
        copy = StoredObject(source.size, source.etag, stored, meta, source.data)
        destination.put(request.key, copy)
        inner = "<LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag>" % (iso_date(copy.modified), copy.etag)
        return 200, [("Content-Type", "application/xml")], self.xml("CopyObjectResult", inner), None

    # -- multipart ------------------------------------------------------------------------

    def find_upload(self, request):
        bucket = self.bucket(request)
        upload = bucket.uploads.get(request.query.get("uploadId", ""))
        if upload is None or upload.key != request.key:
            raise S3Error(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload "
                          "may have been aborted or completed.", UploadId=request.query.get("uploadId", ""))
        return bucket, upload

    @staticmethod
    def part_number(request):
        try:
            number = int(request.query.get("partNumber", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= 10000:
            raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
        return number

    async def create_multipart_upload(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket = self.bucket(request)
        stored, meta = self.attributes(request.headers)
        upload = Upload(request.key, stored, meta)
        bucket.uploads[upload.upload_id] = upload
        inner = "<Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId>" % (
            xml_escape(bucket.name), xml_escape(request.key), upload.upload_id)
        headers = [("Content-Type", "application/xml")]
        algorithm = request.headers.get("x-amz-checksum-algorithm")
        if algorithm:
            headers.append(("x-amz-checksum-algorithm", algorithm))
        return 200, headers, self.xml("InitiateMultipartUploadResult", inner), None

    async def upload_part(self, request, reader, writer):
        bucket, upload = self.find_upload(request)
        number = self.part_number(request)
        body = await self.read_body(request, reader, writer, keep=self.keep_bytes)
        expected = request.headers.get("content-md5")
        if expected is not None and base64.b64encode(body.md5.digest()).decode() != expected.strip():
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
        etag = body.md5.hexdigest()
        upload.parts[number] = (body.size, etag, body.data, time.time())
        return 200, [("ETag", '"%s"' % etag)] + self.checksum_headers(request.headers, body.trailers), b"", None

    async def upload_part_copy(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket, upload = self.find_upload(request)
        number = self.part_number(request)
        _, source_key, source = self.copy_source(request)
        start, end = 0, source.size - 1
        range_header = request.headers.get("x-amz-copy-source-range")
        if range_header:
            span = self.parse_range(range_header, source.size)
            if span is None:
                raise S3Error(400, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last")
            start, end = span
        size = max(0, end - start + 1)
        if source.data is not None:
            data = source.data[start:end + 1]
            etag = hashlib.md5(data).hexdigest()
            kept = data if size < self.keep_bytes else None
        else:
            # The bytes are gone; a deterministic stand-in for their MD5.
            etag = hashlib.md5(("%s:%d-%d" % (source.etag, start, end)).encode()).hexdigest()
            kept = None
        now = time.time()
        upload.parts[number] = (size, etag, kept, now)
        inner = "<LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag>" % (iso_date(now), etag)
        return 200, [("Content-Type", "application/xml")], self.xml("CopyPartResult", inner), None

    async def complete_multipart_upload(self, request, reader, writer):
        bucket, upload = self.find_upload(request)
        body = await self.read_body(request, reader, writer, keep=16 * MIB)
        root = self.parse_xml(body.data)
        listed = []
        for element in root:
            if element.tag.rsplit("}", 1)[-1] != "Part":
                continue
            number, etag = None, None
            for child in element:
                tag = child.tag.rsplit("}", 1)[-1]
                if tag == "PartNumber":
                    number = int((child.text or "0").strip())
                elif tag == "ETag":
                    etag = (child.text or "").strip().strip('"').replace("&quot;", "")
            listed.append((number, etag))
        if not listed:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        previous = 0
        digests = []
        total = 0
        datas = []
        for number, _ in listed:
            if number is None or number <= previous:
                raise S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
            previous = number
        for index, (number, etag) in enumerate(listed):
            part = upload.parts.get(number)
            if part is None or (etag and etag != part[1]):
                raise S3Error(400, "InvalidPart", "One or more of the specified parts could not be found. The part may not have been "
                              "uploaded, or the specified entity tag may not match the part's entity tag.", PartNumber=number, ETag=etag or "")
            size, part_etag, data, _ = part
            if index < len(listed) - 1 and size < MIN_PART_SIZE:
                raise S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.",
                              ProposedSize=size, MinSizeAllowed=MIN_PART_SIZE, PartNumber=number)
            digests.append(bytes.fromhex(part_etag))
            total += size
            datas.append(data)
        self.check_write_conditions(bucket, upload.key, request.headers)
        etag = "%s-%d" % (hashlib.md5(b"".join(digests)).hexdigest(), len(listed))
        data = None
        if total < self.keep_bytes and all(d is not None for d in datas):
            data = b"".join(datas)
        bucket.put(upload.key, StoredObject(total, etag, upload.headers, upload.meta, data))
        del bucket.uploads[upload.upload_id]
        host = request.headers.get("host", "localhost")
        inner = "<Location>http://%s/%s/%s</Location><Bucket>%s</Bucket><Key>%s</Key><ETag>&quot;%s&quot;</ETag>" % (
            xml_escape(host), xml_escape(quote(bucket.name)), xml_escape(quote(upload.key)), xml_escape(bucket.name),
            xml_escape(upload.key), etag)
        return 200, [("Content-Type", "application/xml")], self.xml("CompleteMultipartUploadResult", inner), None

    async def abort_multipart_upload(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket, upload = self.find_upload(request)
        del bucket.uploads[upload.upload_id]
        return 204, [], b"", None

    async def list_multipart_uploads(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket = self.bucket(request)
        query = request.query
        prefix = query.get("prefix", "")
        key_marker = query.get("key-marker", "")
        id_marker = query.get("upload-id-marker", "")
        max_uploads = self.max_keys(query, "max-uploads")
        ordered = sorted(((u.key, u.initiated, u.upload_id, u) for u in bucket.uploads.values() if u.key.startswith(prefix)))
        selected = []
        for key, _, upload_id, upload in ordered:
            if key_marker and (key < key_marker or (key == key_marker and (not id_marker or upload_id <= id_marker))):
                continue
            selected.append(upload)
        truncated = len(selected) > max_uploads
        selected = selected[:max_uploads]
        encode = self.encoder(query)
        inner = "<Bucket>%s</Bucket><KeyMarker>%s</KeyMarker><UploadIdMarker>%s</UploadIdMarker>" % (
            xml_escape(bucket.name), encode(key_marker), xml_escape(id_marker))
        if truncated:
            inner += "<NextKeyMarker>%s</NextKeyMarker><NextUploadIdMarker>%s</NextUploadIdMarker>" % (
                encode(selected[-1].key), selected[-1].upload_id)
        inner += "<Prefix>%s</Prefix><MaxUploads>%d</MaxUploads><IsTruncated>%s</IsTruncated>" % (
            encode(prefix), max_uploads, "true" if truncated else "false")
        for upload in selected:
            inner += ("<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiator><ID>s3sink</ID><DisplayName>s3sink</DisplayName></Initiator>"
                      "<Owner><ID>s3sink</ID><DisplayName>s3sink</DisplayName></Owner><StorageClass>STANDARD</StorageClass>"
                      "<Initiated>%s</Initiated></Upload>") % (encode(upload.key), upload.upload_id, iso_date(upload.initiated))
        return 200, [("Content-Type", "application/xml")], self.xml("ListMultipartUploadsResult", inner), None

    async def list_parts(self, request, reader, writer):
        await self.read_body(request, reader, writer, keep=0)
        bucket, upload = self.find_upload(request)
        query = request.query
        try:
            marker = int(query.get("part-number-marker", "0") or 0)
        except ValueError:
            marker = 0
        max_parts = self.max_keys(query, "max-parts")
        numbers = sorted(n for n in upload.parts if n > marker)
        truncated = len(numbers) > max_parts
        numbers = numbers[:max_parts]
        inner = "<Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId><PartNumberMarker>%d</PartNumberMarker>" % (
            xml_escape(bucket.name), xml_escape(upload.key), upload.upload_id, marker)
        if numbers:
            inner += "<NextPartNumberMarker>%d</NextPartNumberMarker>" % numbers[-1]
        inner += "<MaxParts>%d</MaxParts><IsTruncated>%s</IsTruncated><StorageClass>STANDARD</StorageClass>" % (
            max_parts, "true" if truncated else "false")
        for number in numbers:
            size, etag, _, modified = upload.parts[number]
            inner += "<Part><PartNumber>%d</PartNumber><LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag><Size>%d</Size></Part>" % (
                number, iso_date(modified), etag, size)
        return 200, [("Content-Type", "application/xml")], self.xml("ListPartsResult", inner), None


class BadRequestBody(S3Error):
    def __init__(self, message):
        super().__init__(400, "IncompleteBody", message)


# ---------------------------------------------------------------------------------------

async def main_async(args):
    sink = Sink(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, keep_bytes=args.keep_bytes, verbose=args.verbose,
                close=args.close)
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = await asyncio.start_server(sink.connection, args.host, args.port, limit=MAX_HEADER_BYTES,
                                        backlog=1024, reuse_address=True, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    print("s3sink listening on %s://%s:%d (latency %g ms, jitter %g ms)"
          % ("https" if tls else "http", args.host, port, args.latency_ms, args.jitter_ms), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()
    print(json.dumps(sink.stats()), file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description="A minimal S3-compatible sink for benchmarking clients.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every request, overlapping across connections")
    parser.add_argument("--jitter-ms", type=float, default=0.0,
                        help="adds a uniformly random 0..J ms on top of --latency-ms (seeded), so answers arrive spread out as on S3")
    parser.add_argument("--keep-bytes", type=int, default=MIB, help="objects smaller than this keep their bytes (default 1 MiB)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--close", action="store_true",
                        help="answer every request with Connection: close, as moto_server (werkzeug) does")
    parser.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (chain) file; needs --tls-key")
    parser.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
