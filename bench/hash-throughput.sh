#!/usr/bin/env bash
# Hashing throughput: sitebuild (XXH3-128, one core and all cores) against
# `xxhsum -H2` (the reference XXH3-128 tool, single-threaded) on the same ~1 GiB tree of
# mixed file sizes, files in the page cache. Prints times, throughput and ratios.
# Usage: bench/hash-throughput.sh [path/to/sitebuild]   (default: release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release --product sitebuild >/dev/null
  bin="$(swift build -c release --show-bin-path)/sitebuild"
fi
for tool in hyperfine xxhsum; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install $tool xxhash)" >&2; exit 1; }; done
work=${BENCH_DIR:-$(mktemp -d)}
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$work"' EXIT
[ -d "$work/tree" ] || python3 bench/make-tree.py "$work/tree" mixed-1g
(cd "$work/tree" && find . -type f | sort > "$work/files.txt")
bytes=$(du -sb "$work/tree" | cut -f1)
files=$(wc -l < "$work/files.txt")
echo "tree: $files files, $((bytes / 1048576)) MiB, $(nproc) cores" >&2

hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$work/result.json" \
  -n "xxhsum -H2" "cd $work/tree && xargs -d '\n' xxhsum -H2 < $work/files.txt > /dev/null" \
  -n "sitebuild 1 core" "$bin hash --no-cache --jobs 1 $work/tree" \
  -n "sitebuild all cores" "$bin hash --no-cache $work/tree" >&2

python3 - "$work/result.json" "$bytes" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
size = int(sys.argv[2]) / 2**30
base = r["xxhsum -H2"]
for name, t in r.items():
    print(f"{name:20s} {t*1000:8.1f} ms  {size/t:6.2f} GiB/s  {base/t:5.2f}x xxhsum")
PY
