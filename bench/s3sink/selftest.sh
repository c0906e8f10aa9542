#!/usr/bin/env bash
# Self-test of bench/s3sink/s3sink.py with the clients it must serve: the aws CLI (s3 cp,
# multipart cp above 8 MiB, s3 sync twice), rclone (sync with multipart, check, no-change
# sync), boto3 (upload_file through the TransferManager, conditional writes, copies,
# listings, DeleteObjects) and raw HTTP for the body framings the SDKs use over HTTPS
# (aws-chunked signed and unsigned-with-trailer, HTTP chunked, Expect: 100-continue,
# pipelining). Prints one line per check; exits 1 if any fails.
# Usage: bench/s3sink/selftest.sh        (needs python3, aws, rclone, boto3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in python3 aws rclone; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
python3 -c "import boto3" 2>/dev/null || { echo "needs boto3 (pip install boto3)" >&2; exit 1; }

work=$(mktemp -d)
sink_pid=""
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$here/s3sink.py" --port "$port" > "$work/sink.out" 2> "$work/sink.err" &
sink_pid=$!
for _ in $(seq 1 50); do grep -q listening "$work/sink.out" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$work/sink.out" || { echo "s3sink did not start:"; cat "$work/sink.err"; exit 1; }
endpoint="http://127.0.0.1:$port"

export AWS_ACCESS_KEY_ID=sink AWS_SECRET_ACCESS_KEY=sink AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="$endpoint" AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export RCLONE_CONFIG="$work/rclone.conf"
export RCLONE_CONFIG_SINK_TYPE=s3 RCLONE_CONFIG_SINK_PROVIDER=Other RCLONE_CONFIG_SINK_ENDPOINT="$endpoint"
export RCLONE_CONFIG_SINK_ACCESS_KEY_ID=sink RCLONE_CONFIG_SINK_SECRET_ACCESS_KEY=sink
export RCLONE_CONFIG_SINK_FORCE_PATH_STYLE=true RCLONE_CONFIG_SINK_REGION=us-east-1
: > "$work/aws-config"; : > "$work/aws-credentials"; : > "$work/rclone.conf"

failures=0
check() {  # check NAME COMMAND...: runs the command, prints ok/FAIL
  local name=$1; shift
  if out=$("$@" 2>&1); then
    echo "ok   - $name"
  else
    echo "FAIL - $name"; echo "$out" | tail -15 | sed 's/^/       /'
    failures=$((failures + 1))
  fi
}
stat_of() {  # stat_of OPERATION: its request count so far
  curl -s "$endpoint/_sink/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['operations'].get('$1', 0))"
}

# Files: a small site tree and a 20 MiB file (3 parts of 8 MiB for the aws CLI and boto3).
python3 - "$work" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(11)
for i in range(120):
    d = os.path.join(root, "tree", f"dir{i % 7}", f"sub{i % 3}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file {i}+x.txt" if i % 10 == 0 else f"file{i}.bin"), "wb") as f:
        f.write(rng.randbytes(rng.randint(0, 30000)))
with open(os.path.join(root, "big.bin"), "wb") as f:
    for _ in range(20):
        f.write(rng.randbytes(1 << 20))
with open(os.path.join(root, "small.txt"), "wb") as f:
    f.write(b"hello, sink\n")
PY
multipart_etag() {  # multipart_etag FILE PART_MIB: the S3 ETag of FILE uploaded in PART_MIB parts
  python3 - "$1" "$2" <<'PY'
import hashlib, sys
size = int(sys.argv[2]) << 20
digests = []
with open(sys.argv[1], "rb") as f:
    while True:
        block = f.read(size)
        if not block: break
        digests.append(hashlib.md5(block).digest())
print("%s-%d" % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests)))
PY
}
big_etag=$(multipart_etag "$work/big.bin" 8)

# --- aws CLI ---------------------------------------------------------------------------
check "aws s3 mb" aws s3 mb s3://selftest
check "aws s3 cp (small)" aws s3 cp --only-show-errors "$work/small.txt" s3://selftest/cli/small.txt
check "aws s3 cp (small) round-trips" bash -c "aws s3 cp --only-show-errors s3://selftest/cli/small.txt - | cmp - '$work/small.txt'"
check "aws s3 cp (20 MiB, multipart)" aws s3 cp --only-show-errors "$work/big.bin" s3://selftest/cli/big.bin
check "aws multipart ETag is md5-of-md5s-3 and size is right" bash -c "
  aws s3api head-object --bucket selftest --key cli/big.bin | python3 -c '
import json, sys; h = json.load(sys.stdin)
assert h[\"ETag\"] == \"\\\"$big_etag\\\"\", h[\"ETag\"]
assert h[\"ContentLength\"] == 20 << 20, h[\"ContentLength\"]'"
check "aws s3 sync (120 files)" aws s3 sync --only-show-errors "$work/tree" s3://selftest/sync
check "aws s3 ls lists 120 keys" bash -c "[ \$(aws s3 ls --recursive s3://selftest/sync/ | wc -l) -eq 120 ]"
puts_before=$(stat_of PutObject)
check "aws s3 sync again uploads nothing" bash -c "aws s3 sync --only-show-errors '$work/tree' s3://selftest/sync && [ \$(curl -s $endpoint/_sink/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"operations\"].get(\"PutObject\", 0))') -eq $puts_before ]"
check "aws s3 rm --recursive" bash -c "aws s3 rm --only-show-errors --recursive s3://selftest/sync && [ \$(aws s3 ls --recursive s3://selftest/sync/ | wc -l) -eq 0 ]"

# --- rclone ----------------------------------------------------------------------------
# rclone refuses a custom CA bundle with its own transport; the sink is plain HTTP anyway.
rc() { env -u AWS_CA_BUNDLE rclone "$@"; }
cp "$work/big.bin" "$work/tree/big.bin"
check "rclone sync (with a 5 MiB-part multipart upload)" rc sync "$work/tree" sink:selftest/rclone --s3-upload-cutoff 5M --s3-chunk-size 5M --transfers 8
check "rclone check (sizes and MD5s)" rc check "$work/tree" sink:selftest/rclone
puts_before=$(stat_of PutObject)
check "rclone sync again uploads nothing" bash -c "env -u AWS_CA_BUNDLE rclone sync '$work/tree' sink:selftest/rclone && [ \$(curl -s $endpoint/_sink/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"operations\"].get(\"PutObject\", 0))') -eq $puts_before ]"
rm "$work/tree/big.bin"

# --- boto3 -----------------------------------------------------------------------------
check "boto3 upload_file, conditional writes, copies, listings, deletes" python3 - "$work" "$big_etag" <<'PY'
import sys
import boto3
from botocore.exceptions import ClientError
work, big_etag = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3")
def code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None
s3.upload_file(f"{work}/big.bin", "selftest", "boto/big.bin")        # TransferManager: multipart, threads
assert s3.head_object(Bucket="selftest", Key="boto/big.bin")["ETag"] == f'"{big_etag}"'
s3.upload_file(f"{work}/small.txt", "selftest", "boto/small.txt")
assert s3.get_object(Bucket="selftest", Key="boto/small.txt")["Body"].read() == b"hello, sink\n"
assert code(lambda: s3.get_object(Bucket="selftest", Key="boto/big.bin"))[1] == 404      # bytes dropped
assert s3.get_object(Bucket="selftest", Key="boto/small.txt", Range="bytes=7-10")["Body"].read() == b"sink"
# Conditional writes.
s3.put_object(Bucket="selftest", Key="boto/p", Body=b"one", ContentType="text/plain", CacheControl="max-age=60",
              Metadata={"Build": "42"})
assert code(lambda: s3.put_object(Bucket="selftest", Key="boto/p", Body=b"two", IfNoneMatch="*")) == ("PreconditionFailed", 412)
assert code(lambda: s3.put_object(Bucket="selftest", Key="boto/p", Body=b"two", IfMatch='"0000"')) == ("PreconditionFailed", 412)
etag = s3.head_object(Bucket="selftest", Key="boto/p")["ETag"]
s3.put_object(Bucket="selftest", Key="boto/p", Body=b"two", IfMatch=etag, ContentType="text/plain", Metadata={"build": "43"})
assert s3.get_object(Bucket="selftest", Key="boto/p")["Body"].read() == b"two"
s3.put_object(Bucket="selftest", Key="boto/new", Body=b"x", IfNoneMatch="*")
# Copies keep or replace the headers.
s3.copy_object(Bucket="selftest", Key="boto/c1", CopySource={"Bucket": "selftest", "Key": "boto/p"})
h = s3.head_object(Bucket="selftest", Key="boto/c1")
assert (h["ContentType"], h["Metadata"]) == ("text/plain", {"build": "43"}), h
s3.copy_object(Bucket="selftest", Key="boto/c2", CopySource="selftest/boto/p", MetadataDirective="REPLACE",
               ContentType="text/html", CacheControl="no-cache")
h = s3.head_object(Bucket="selftest", Key="boto/c2")
assert (h["ContentType"], h["CacheControl"], h["Metadata"]) == ("text/html", "no-cache", {}), h
assert code(lambda: s3.copy_object(Bucket="selftest", Key="boto/p", CopySource="selftest/boto/p"))[0] == "InvalidRequest"
# UploadPartCopy from a dropped-bytes object and a small one; Complete checks order and ETags.
up = s3.create_multipart_upload(Bucket="selftest", Key="boto/mpc")["UploadId"]
p1 = s3.upload_part_copy(Bucket="selftest", Key="boto/mpc", UploadId=up, PartNumber=1, CopySource="selftest/boto/big.bin",
                         CopySourceRange="bytes=0-5242879")["CopyPartResult"]["ETag"]
p2 = s3.upload_part_copy(Bucket="selftest", Key="boto/mpc", UploadId=up, PartNumber=2, CopySource="selftest/boto/small.txt")["CopyPartResult"]["ETag"]
assert code(lambda: s3.complete_multipart_upload(Bucket="selftest", Key="boto/mpc", UploadId=up, MultipartUpload={
    "Parts": [{"PartNumber": 2, "ETag": p2}, {"PartNumber": 1, "ETag": p1}]}))[0] == "InvalidPartOrder"
assert len(s3.list_parts(Bucket="selftest", Key="boto/mpc", UploadId=up)["Parts"]) == 2
assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="selftest")["Uploads"]] == [up]
s3.complete_multipart_upload(Bucket="selftest", Key="boto/mpc", UploadId=up, MultipartUpload={
    "Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]})
h = s3.head_object(Bucket="selftest", Key="boto/mpc")
assert h["ContentLength"] == (5 << 20) + 12 and h["ETag"].endswith('-2"'), h
up = s3.create_multipart_upload(Bucket="selftest", Key="boto/abort")["UploadId"]
s3.abort_multipart_upload(Bucket="selftest", Key="boto/abort", UploadId=up)
assert "Uploads" not in s3.list_multipart_uploads(Bucket="selftest")
assert code(lambda: s3.upload_part(Bucket="selftest", Key="boto/abort", UploadId=up, PartNumber=1, Body=b"x"))[0] == "NoSuchUpload"
# Listings: V2 and V1, pages, delimiters, start-after, URL encoding of odd keys.
keys = [f"list/{d}/k{i:03d}" for i in range(30) for d in ("a", "b b", "c+c")[i % 3:i % 3 + 1]]
for k in keys:
    s3.put_object(Bucket="selftest", Key=k, Body=b"")
v2 = s3.get_paginator("list_objects_v2")
got = [o["Key"] for page in v2.paginate(Bucket="selftest", Prefix="list/", PaginationConfig={"PageSize": 7}) for o in page["Contents"]]
assert got == sorted(keys), got
prefixes = [p["Prefix"] for page in v2.paginate(Bucket="selftest", Prefix="list/", Delimiter="/", PaginationConfig={"PageSize": 1})
            for p in page.get("CommonPrefixes", [])]
assert prefixes == ["list/a/", "list/b b/", "list/c+c/"], prefixes
after = s3.list_objects_v2(Bucket="selftest", Prefix="list/", StartAfter="list/b b/k028")
assert [o["Key"] for o in after["Contents"]][:1] == ["list/c+c/k002"], after["Contents"][:1]
v1 = s3.get_paginator("list_objects")
got1 = [o["Key"] for page in v1.paginate(Bucket="selftest", Prefix="list/", PaginationConfig={"PageSize": 4}) for o in page["Contents"]]
assert got1 == sorted(keys)
prefixes1 = [p["Prefix"] for page in v1.paginate(Bucket="selftest", Delimiter="/", PaginationConfig={"PageSize": 1})
             for p in page.get("CommonPrefixes", [])]
assert prefixes1 == ["boto/", "cli/", "list/", "rclone/"], prefixes1
deleted = s3.delete_objects(Bucket="selftest", Delete={"Objects": [{"Key": k} for k in keys] + [{"Key": "list/missing"}]})
assert len(deleted["Deleted"]) == len(keys) + 1
assert s3.list_objects_v2(Bucket="selftest", Prefix="list/")["KeyCount"] == 0
s3.delete_object(Bucket="selftest", Key="boto/new")
assert code(lambda: s3.head_object(Bucket="selftest", Key="boto/new")) == ("404", 404)
assert code(lambda: s3.head_bucket(Bucket="nosuchbucket")) == ("404", 404)
assert code(lambda: s3.get_object(Bucket="nosuchbucket", Key="x"))[0] == "NoSuchBucket"
assert code(lambda: s3.get_bucket_versioning(Bucket="selftest"))[0] == "NotImplemented"
assert code(lambda: s3.create_bucket(Bucket="selftest"))[0] == "BucketAlreadyOwnedByYou"
PY

# --- raw HTTP: the body framings SDKs use over HTTPS, keep-alive and pipelining ---------
check "raw framings: aws-chunked (signed, unsigned+trailer), HTTP chunked, 100-continue, pipelining" python3 - "$port" <<'PY'
import base64, hashlib, socket, sys, zlib
port = int(sys.argv[1])
payload = bytes(range(256)) * 1000 + b"tail"          # 256,004 bytes
md5 = hashlib.md5(payload).hexdigest()

def aws_chunked(data, chunk, signed, trailer=None):
    out = b""
    for i in range(0, len(data), chunk):
        piece = data[i:i + chunk]
        ext = b";chunk-signature=" + b"0" * 64 if signed else b""
        out += b"%x" % len(piece) + ext + b"\r\n" + piece + b"\r\n"
    out += b"0" + (b";chunk-signature=" + b"0" * 64 if signed else b"") + b"\r\n"
    if trailer:
        out += trailer + b"\r\n"
        if signed:
            out += b"x-amz-trailer-signature:" + b"0" * 64 + b"\r\n"
    return out + b"\r\n"

def http_chunked(data, chunk):
    out = b""
    for i in range(0, len(data), chunk):
        out += b"%x\r\n" % len(data[i:i + chunk]) + data[i:i + chunk] + b"\r\n"
    return out + b"0\r\n\r\n"

def read_response(f):
    status = f.readline()
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = f.read(int(headers.get("content-length", "0")))
    return int(status.split()[1]), headers, body

def request(sock, f, method, path, headers=(), body=b"", expect_continue=False):
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
    if expect_continue:
        sock.sendall(head.encode())
        status, _, _ = read_response(f)
        assert status == 100, status
        sock.sendall(body)
    else:
        sock.sendall(head.encode() + body)
    return read_response(f)

sock = socket.create_connection(("127.0.0.1", port))
f = sock.makefile("rb")
assert request(sock, f, "PUT", "/rawtest")[0] == 200
crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
cases = {
    "signed": ([("Content-Encoding", "aws-chunked"), ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")],
               aws_chunked(payload, 65536, True)),
    "signed-trailer": ([("Content-Encoding", "aws-chunked"), ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
                        ("x-amz-trailer", "x-amz-checksum-crc32")],
                       aws_chunked(payload, 8192, True, b"x-amz-checksum-crc32:" + crc.encode())),
    "unsigned-trailer": ([("Content-Encoding", "aws-chunked"), ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                          ("x-amz-trailer", "x-amz-checksum-crc32")],
                         aws_chunked(payload, 65536, False, b"x-amz-checksum-crc32:" + crc.encode())),
}
for name, (headers, body) in cases.items():
    status, h, _ = request(sock, f, "PUT", "/rawtest/" + name, headers + [
        ("Content-Length", str(len(body))), ("x-amz-decoded-content-length", str(len(payload)))], body)
    assert status == 200 and h["etag"] == '"%s"' % md5, (name, status, h)
    if "trailer" in name:
        assert h.get("x-amz-checksum-crc32") == crc, (name, h)
# HTTP chunked, alone and around aws-chunked (no Content-Length at all).
status, h, _ = request(sock, f, "PUT", "/rawtest/te", [("Transfer-Encoding", "chunked")], http_chunked(payload, 10000))
assert status == 200 and h["etag"] == '"%s"' % md5, (status, h)
inner = aws_chunked(payload, 65536, False, b"x-amz-checksum-crc32:" + crc.encode())
status, h, _ = request(sock, f, "PUT", "/rawtest/te-aws", [("Transfer-Encoding", "chunked"), ("Content-Encoding", "aws-chunked"),
                       ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")], http_chunked(inner, 30000))
assert status == 200 and h["etag"] == '"%s"' % md5, (status, h)
# Expect: 100-continue.
status, h, _ = request(sock, f, "PUT", "/rawtest/continue", [("Content-Length", str(len(payload))), ("Expect", "100-continue")],
                       payload, expect_continue=True)
assert status == 200 and h["etag"] == '"%s"' % md5, (status, h)
# A Content-MD5 that does not match is refused, and the connection stays usable.
status, h, body = request(sock, f, "PUT", "/rawtest/bad-md5", [("Content-Length", "3"), ("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA==")], b"abc")
assert status == 400 and b"<Code>BadDigest</Code>" in body, (status, body)
# An error before the body is read (no such bucket) still drains it: the next request works.
status, _, body = request(sock, f, "PUT", "/nosuchbucket/x", [("Content-Length", str(len(payload)))], payload)
assert status == 404 and b"NoSuchBucket" in body, (status, body)
# Pipelining: three requests in one write, three answers in order.
pipelined = b"".join(b"PUT /rawtest/pipe%d HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n%d" % (i, i) for i in range(3))
sock.sendall(pipelined + b"HEAD /rawtest/pipe2 HTTP/1.1\r\nHost: x\r\n\r\n")
etags = [read_response(f)[1]["etag"] for _ in range(3)]
assert etags == ['"%s"' % hashlib.md5(b"%d" % i).hexdigest() for i in range(3)], etags
status, h = f.readline(), {}
while (line := f.readline()) != b"\r\n":
    name, _, value = line.decode().partition(":"); h[name.strip().lower()] = value.strip()
assert b" 200 " in status and h["content-length"] == "1", (status, h)     # HEAD: a length, no body
status, h, body = request(sock, f, "GET", "/rawtest/continue")
assert status == 200 and body == payload
status, h, body = request(sock, f, "GET", "/rawtest/continue", [("Range", "bytes=-4")])
assert status == 206 and body == b"tail" and h["content-range"] == "bytes 256000-256003/256004", (status, h)
PY

# --- counters --------------------------------------------------------------------------
check "GET /_sink/stats counts operations" bash -c "curl -sf $endpoint/_sink/stats | python3 -c '
import json, sys; s = json.load(sys.stdin)
for op in (\"PutObject\", \"UploadPart\", \"CompleteMultipartUpload\", \"ListObjectsV2\", \"ListObjects\", \"DeleteObjects\", \"CopyObject\", \"UploadPartCopy\"):
    assert s[\"operations\"].get(op, 0) > 0, op'"
check "POST /_sink/reset zeroes them" bash -c "curl -sf -X POST $endpoint/_sink/reset >/dev/null && curl -sf $endpoint/_sink/stats | python3 -c '
import json, sys; s = json.load(sys.stdin); assert s[\"requests\"] == 0 and s[\"objects\"] > 0, s'"
check "POST /_sink/reset?data=1 forgets the buckets" bash -c "curl -sf -X POST '$endpoint/_sink/reset?data=1' >/dev/null && curl -sf $endpoint/_sink/stats | python3 -c '
import json, sys; s = json.load(sys.stdin); assert s[\"buckets\"] == 0, s'"

if grep -q Traceback "$work/sink.err"; then
  echo "FAIL - the sink logged an exception:"; sed 's/^/       /' "$work/sink.err" | tail -20
  failures=$((failures + 1))
fi
if [ "$failures" -eq 0 ]; then echo "all checks passed"; else echo "$failures check(s) failed"; exit 1; fi
