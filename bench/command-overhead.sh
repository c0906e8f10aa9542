#!/usr/bin/env bash
# Per-command overhead of sitebuild's buildspec engine.
#
# Runs, side by side on the same 200 trivial commands:
#   plain      one `sh` script holding all 200 commands (no per-command work at all);
#   model-sh   the CodeBuild model done by a shell alone: one `sh` per command that
#              restores the directory and variables, runs the command, saves them;
#   sitebuild  `sitebuild build` on a buildspec with the 200 commands.
# Prints mean times, per-command overhead over `plain`, and ratios.
# Usage: bench/command-overhead.sh [path/to/sitebuild]   (default: release build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release --product sitebuild >/dev/null
  bin="$(swift build -c release --show-bin-path)/sitebuild"
fi
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
{
  echo "version: 0.2"
  echo "phases:"
  echo "  build:"
  echo "    commands:"
  for i in $(seq 1 "$N"); do echo "      - V$((i % 10))=$i"; done
} > "$work/src/buildspec.yml"
{ for i in $(seq 1 "$N"); do echo "V$((i % 10))=$i"; done; } > "$work/plain.sh"
cat > "$work/model.sh" <<'MODEL'
# The per-command model with nothing but sh: state in files, one shell per command.
d=$1; n=$2
: > "$d/env.sh"; pwd > "$d/dir.txt"
i=1
while [ "$i" -le "$n" ]; do
  printf 'cd "%s" || exit 1\nset -a; . "%s"\nCODEBUILD_BUILD_SUCCEEDING=1\nV%s=%s\nCODEBUILD_LAST_EXIT=$?\nexport -p > "%s"\npwd > "%s"\nexit $CODEBUILD_LAST_EXIT\n' \
    "$(cat "$d/dir.txt")" "$d/env.sh" "$((i % 10))" "$i" "$d/env.sh" "$d/dir.txt" > "$d/script.sh"
  sh "$d/script.sh" || exit 1
  i=$((i + 1))
done
MODEL

export SITEBUILD_CACHE_DIR="$work/cache"
hyperfine --warmup 2 --runs "${RUNS:-15}" --export-json "$work/result.json" -N \
  -n plain "sh $work/plain.sh" \
  -n model-sh "sh $work/model.sh $work $N" \
  -n sitebuild "$bin build --source $work/src --out $work/out" >&2

python3 - "$work/result.json" "$N" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
plain, model, sb = (r[k]["mean"] for k in ("plain", "model-sh", "sitebuild"))
print(f"commands: {n}")
for name in ("plain", "model-sh", "sitebuild"):
    print(f"{name:10s} mean {r[name]['mean']*1000:8.1f} ms  (± {r[name]['stddev']*1000:.1f} ms)")
print(f"per-command overhead over plain sh: model-sh {(model-plain)/n*1000:.2f} ms, sitebuild {(sb-plain)/n*1000:.2f} ms (target < 3 ms)")
print(f"ratio sitebuild / model-sh: {sb/model:.2f}x   sitebuild / plain: {sb/plain:.1f}x")
PY
