#!/usr/bin/env bash
# A no-change re-deploy of a 20,000-file site to the local target: after a first deploy,
# `sitebuild deploy` on the same tree must notice that nothing changed (stat cache + the
# content id) and do nothing. rsync and rclone (when installed) do the same no-change sync
# between two local folders, for comparison.
# Usage: bench/redeploy-nochange.sh [path/to/sitebuild]   (N=20000 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release --product sitebuild >/dev/null
  bin="$(swift build -c release --show-bin-path)/sitebuild"
fi
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/make-tree.py "$work/site" small "$N"
export SITEBUILD_CACHE_DIR="$work/cache"
first_start=$(date +%s.%N)
"$bin" deploy "$work/site" --target "$work/target" >/dev/null 2>&1
first_end=$(date +%s.%N)
echo "first deploy of $N files: $(python3 -c "print(round($first_end - $first_start, 2))") s" >&2
commands=(-n "sitebuild deploy (no change)" "$bin deploy $work/site --target $work/target")
if command -v rsync >/dev/null; then
  rsync -a "$work/site/" "$work/rsync-copy/"
  commands+=(-n "rsync -a (no change)" "rsync -a $work/site/ $work/rsync-copy/")
fi
if command -v rclone >/dev/null; then
  rclone sync "$work/site" "$work/rclone-copy" 2>/dev/null
  commands+=(-n "rclone sync (no change)" "rclone sync $work/site $work/rclone-copy")
fi
hyperfine --warmup 1 --runs "${RUNS:-10}" --export-json "$work/result.json" "${commands[@]}" >&2
python3 - "$work/result.json" "$N" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
sb = r["sitebuild deploy (no change)"]
print(f"files: {sys.argv[2]}")
for name, t in r.items():
    print(f"{name:30s} {t*1000:8.1f} ms  ({t/sb:5.2f}x sitebuild's time)")
print(f"target: under 1000 ms -> {'met' if sb < 1.0 else 'NOT met'}")
PY
