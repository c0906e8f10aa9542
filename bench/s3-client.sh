#!/usr/bin/env bash
# The S3 client's raw rates, beside the aws CLI on the same files in the same run:
#   small  PutObject of FILES small files (1-40 KiB, deterministic), CONCURRENCY in flight:
#          `sitebuild-s3bench put-many` vs `aws s3 cp --recursive`;
#   big    one BIG_MIB file as a multipart upload in PART_MIB parts, MP_CONCURRENCY in flight:
#          `sitebuild-s3bench multipart` vs `aws s3 cp`.
# The aws CLI gets the same concurrency and part size through a temporary config file.
# Servers: moto_server (which answers ~100-300 PUT/s and closes every connection, so it caps
# both tools) and bench/s3sink (keeps no bytes, keep-alive) with 0 ms and LATENCY_MS ms per
# request. Wall, user+sys CPU and peak RSS of both tools come from /usr/bin/time; request
# counts from the sink's counters (moto: the expected count).
# Prints: server, workload, tool, wall s, req/s or MiB/s, CPU s per 1,000 requests, peak RSS,
# the server's CPU, and the ratios sitebuild/aws.
#
# Usage: bench/s3-client.sh [path/to/sitebuild-s3bench]      (default: release build)
#   FILES=5000 BIG_MIB=1024 PART_MIB=8 CONCURRENCY=32 MP_CONCURRENCY=10 LATENCY_MS=20
#   SERVERS="moto sink sink-latency"      quick run: FILES=500 BIG_MIB=64 bench/s3-client.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-5000}
BIG_MIB=${BIG_MIB:-1024}
PART_MIB=${PART_MIB:-8}
CONCURRENCY=${CONCURRENCY:-32}
MP_CONCURRENCY=${MP_CONCURRENCY:-10}
LATENCY_MS=${LATENCY_MS:-20}
SERVERS=${SERVERS:-"moto sink sink-latency"}

for tool in aws python3 curl; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
case " $SERVERS " in *" moto "*) command -v moto_server >/dev/null || { echo "needs moto_server (pip install 'moto[server]')" >&2; exit 1; } ;; esac

bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release --product sitebuild-s3bench >/dev/null
  bin="$(swift build -c release --show-bin-path)/sitebuild-s3bench"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating $FILES small files and a $BIG_MIB MiB file in $work ..." >&2
python3 - "$work" "$FILES" "$BIG_MIB" <<'PY'
import os, random, sys
root, files, big_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(5000)
for i in range(files):
    directory = os.path.join(root, "small", f"section{i % 50:02d}", f"page{i % 400:03d}")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"file{i:05d}.bin"), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 40 * 1024)))
with open(os.path.join(root, "big.bin"), "wb") as f:
    for _ in range(big_mib):
        f.write(rng.randbytes(1 << 20))
PY
small_bytes=$(find "$work/small" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
big_bytes=$((BIG_MIB << 20))
parts=$(( (big_bytes + (PART_MIB << 20) - 1) / (PART_MIB << 20) ))

# The aws CLI with the same concurrency and part size as sitebuild-s3bench (a private config).
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
: > "$work/aws-credentials"
aws_config() {  # aws_config FILE CONCURRENCY
  printf '[default]\nregion = us-east-1\ns3 =\n    max_concurrent_requests = %s\n    multipart_threshold = 8MB\n    multipart_chunksize = %sMB\n' \
    "$2" "$PART_MIB" > "$1"
}
aws_config "$work/aws-small.cfg" "$CONCURRENCY"
aws_config "$work/aws-big.cfg" "$MP_CONCURRENCY"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for URL SECONDS
  for _ in $(seq 1 $(($2 * 10))); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1 after $2 s" >&2; exit 1
}
server_cpu() { awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$1/stat"; }

declare -A endpoint server_pid
start_servers() {
  for server in $SERVERS; do
    local port; port=$(free_port)
    case $server in
      moto)
        moto_server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
        server_pid[$server]=$!; pids+=($!)
        wait_for "http://127.0.0.1:$port/moto-api/" 120 ;;
      sink)
        python3 bench/s3sink/s3sink.py --port "$port" --keep-bytes 0 > "$work/$server.log" 2>&1 &
        server_pid[$server]=$!; pids+=($!)
        wait_for "http://127.0.0.1:$port/_sink/stats" 30 ;;
      sink-latency)
        python3 bench/s3sink/s3sink.py --port "$port" --keep-bytes 0 --latency-ms "$LATENCY_MS" > "$work/$server.log" 2>&1 &
        server_pid[$server]=$!; pids+=($!)
        wait_for "http://127.0.0.1:$port/_sink/stats" 30 ;;
      *) echo "unknown server $server (moto, sink, sink-latency)" >&2; exit 1 ;;
    esac
    endpoint[$server]="http://127.0.0.1:$port"
  done
}

fresh_bucket() {  # fresh_bucket SERVER: empty the server and create the bucket `bench`
  local url=${endpoint[$1]}
  case $1 in
    moto) curl -sf -X POST "$url/moto-api/reset" >/dev/null ;;
    *) curl -sf -X POST "$url/_sink/reset?data=1" >/dev/null ;;
  esac
  AWS_ENDPOINT_URL=$url aws s3api create-bucket --bucket bench >/dev/null
}

sink_requests() {  # the requests the sink counted since the last reset, minus CreateBucket
  curl -sf "${endpoint[$1]}/_sink/stats" | python3 -c \
    'import json,sys; s=json.load(sys.stdin); print(s["requests"] - s["operations"].get("CreateBucket", 0))'
}

results="$work/results.tsv"
: > "$results"
run() {  # run SERVER WORKLOAD TOOL EXPECTED_REQUESTS BYTES COMMAND...
  local server=$1 workload=$2 tool=$3 expected=$4 bytes=$5; shift 5
  fresh_bucket "$server"
  local before; before=$(server_cpu "${server_pid[$server]}")
  echo "  $server / $workload / $tool ..." >&2
  if ! AWS_ENDPOINT_URL=${endpoint[$server]} /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" > "$work/out.txt" 2> "$work/err.txt"; then
    echo "failed: $*" >&2; tail -20 "$work/err.txt" >&2; exit 1
  fi
  local after; after=$(server_cpu "${server_pid[$server]}")
  [ "$tool" = sitebuild ] && sed 's/^/    /' "$work/out.txt" >&2
  local requests=$expected
  if [ "$server" != moto ]; then
    requests=$(sink_requests "$server")
    [ "$requests" -eq "$expected" ] || echo "    note: the sink counted $requests requests, $expected expected" >&2
  fi
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$workload" "$tool" "$requests" "$bytes" "$wall" "$user" "$sys" "$rss" \
    "$(python3 -c "print(round($after - $before, 2))")" >> "$results"
}

start_servers
echo "servers up: $SERVERS; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for server in $SERVERS; do
  run "$server" small sitebuild "$FILES" "$small_bytes" "$bin" put-many "$work/small" s3://bench/small --concurrency "$CONCURRENCY"
  run "$server" small aws "$FILES" "$small_bytes" env AWS_CONFIG_FILE="$work/aws-small.cfg" \
    aws s3 cp --recursive --only-show-errors "$work/small" s3://bench/small
  run "$server" big sitebuild $((parts + 2)) "$big_bytes" "$bin" multipart "$work/big.bin" s3://bench/big.bin \
    --part-size "$PART_MIB" --concurrency "$MP_CONCURRENCY"
  run "$server" big aws $((parts + 2)) "$big_bytes" env AWS_CONFIG_FILE="$work/aws-big.cfg" \
    aws s3 cp --only-show-errors "$work/big.bin" s3://bench/big.bin
done

python3 - "$results" "$FILES" "$BIG_MIB" "$PART_MIB" "$CONCURRENCY" "$MP_CONCURRENCY" "$LATENCY_MS" "$(aws --version 2>&1)" <<'PY'
import sys
path, files, big, part, conc, mpconc, latency, awsversion = sys.argv[1:]
rows = []
for line in open(path):
    server, workload, tool, requests, size, wall, user, sys_, rss, server_cpu = line.rstrip("\n").split("\t")
    rows.append(dict(server=server, workload=workload, tool=tool, requests=int(requests), bytes=int(size), wall=float(wall),
                     cpu=float(user) + float(sys_), rss=int(rss) / 1024, server_cpu=float(server_cpu)))
names = {"moto": "moto_server", "sink": "s3sink 0 ms", "sink-latency": f"s3sink {latency} ms"}
print(f"small: {files} PutObject of 1-40 KiB, {conc} in flight | big: {big} MiB multipart, {part} MiB parts, {mpconc} in flight")
print(f"sitebuild-s3bench vs {awsversion.split()[0]} ({awsversion.split()[-1]}); wall, CPU and RSS from /usr/bin/time, "
      "whole process (start-up and directory walk included)")
header = f"{'server':14s} {'workload':8s} {'tool':10s} {'wall s':>8s} {'rate':>14s} {'CPU s/1k req':>13s} {'peak RSS':>10s} {'server CPU s':>13s}"
print(header)
print("-" * len(header))
def rate(r):
    if r["workload"] == "small":
        return r["requests"] / r["wall"], f"{r['requests'] / r['wall']:8.0f} req/s"
    return r["bytes"] / 2**20 / r["wall"], f"{r['bytes'] / 2**20 / r['wall']:8.1f} MiB/s"
ratios = []
for server in dict.fromkeys(r["server"] for r in rows):
    for workload in ("small", "big"):
        pair = {r["tool"]: r for r in rows if r["server"] == server and r["workload"] == workload}
        for tool in ("sitebuild", "aws"):
            r = pair.get(tool)
            if r is None:
                continue
            per1k = r["cpu"] * 1000 / max(r["requests"], 1)
            print(f"{names.get(server, server):14s} {workload:8s} {tool:10s} {r['wall']:8.2f} {rate(r)[1]:>14s} {per1k:13.3f} "
                  f"{r['rss']:7.0f} MiB {r['server_cpu']:13.2f}")
        if "sitebuild" in pair and "aws" in pair:
            s, a = pair["sitebuild"], pair["aws"]
            ratios.append((names.get(server, server), workload, rate(s)[0] / rate(a)[0], (s["cpu"] / s["requests"]) / (a["cpu"] / a["requests"]),
                           s["rss"] / a["rss"]))
print()
print("sitebuild / aws CLI (rate: higher is better; CPU per request and RSS: lower is better)")
for server, workload, r, c, m in ratios:
    print(f"{server:14s} {workload:8s} rate {r:6.2f}x   CPU per request {c:6.3f}x   peak RSS {m:5.2f}x")
PY
