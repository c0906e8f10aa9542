#!/usr/bin/env bash
# Cost of `headers:` rules: `sitebuild hash --no-cache` of one generated site (FILES files,
# default 50,000, of a few bytes each in nested folders, so hashing is cheap) with no rules
# and with RULES (default 40) rules of the shapes sites write (`**/*.html`, `assets/**`,
# `**/*.woff2`, `/blog/*/index.html`, a few that match no file and are warned about).
# Prints the median of RUNS runs of each and the cost per rule per 10,000 files.
# Usage: bench/header-rules.sh [path/to/sitebuild]   (default: release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release --product sitebuild >/dev/null
  bin="$(swift build -c release --show-bin-path)/sitebuild"
fi
FILES=${FILES:-50000}
RULES=${RULES:-40}
RUNS=${RUNS:-5}
work=${BENCH_DIR:-$(mktemp -d)}
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$work"' EXIT
python3 - "$work" "$FILES" "$RULES" <<'PY'
import os, random, sys
root, files, rules = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
site = os.path.join(root, "site")
if not os.path.isdir(site):
    kinds = [
        lambda i: f"blog/{2010 + i % 15}/post-{i}/index.html",
        lambda i: f"blog/{2010 + i % 15}/post-{i}/cover-{i % 7}.jpg",
        lambda i: f"docs/{['guide', 'api', 'reference', 'tutorials'][i % 4]}/section-{i % 60}/page-{i}.html",
        lambda i: f"assets/js/chunk-{i:x}.{rng.getrandbits(32):08x}.js",
        lambda i: f"assets/css/{['app', 'print', 'theme'][i % 3]}-{i}.{rng.getrandbits(32):08x}.css",
        lambda i: f"assets/fonts/family-{i % 40}/font-{i}.woff2",
        lambda i: f"assets/img/{['icons', 'photos', 'logos'][i % 3]}/{i % 90}/image-{i}.{['png', 'svg', 'webp'][i % 3]}",
        lambda i: f"products/{['shoes', 'bags', 'hats'][i % 3]}/item-{i}/index.html",
        lambda i: f"api/v1/data-{i}.json",
    ]
    for i in range(files):
        path = os.path.join(site, kinds[i % len(kinds)](i))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"{i}\n")
shapes = ["**/*.html", "assets/**", "**/*.woff2", "/blog/*/index.html", "blog/*/*/index.html", "*.html",
          "assets/js/*.js", "assets/css/**", "docs/**/*.html", "api/v1/*.json", "**/*.json", "**/*.{js,css}",
          "products/*/item-1?/index.html", "assets/img/[il]*/**", "**/cover-[0-3].jpg", "robots.txt",
          "Assets/**", "**/*.map", "docs/api/**", "assets/fonts/family-1/*"]
with open(os.path.join(root, "sitebuild.yml"), "w") as f:
    f.write("headers:\n")
    for n in range(rules):
        f.write(f"  - match: '{shapes[n % len(shapes)]}'\n    set:\n      X-Rule-{n}: r{n}\n")
with open(os.path.join(root, "none.yml"), "w") as f:
    f.write("mode: static\n")
PY
export SITEBUILD_CACHE_DIR="$work/cache"
median() {  # median wall seconds of RUNS runs of "$@"
  for _ in $(seq "$RUNS"); do
    start=$(date +%s.%N); "$@" > /dev/null 2>&1; end=$(date +%s.%N)
    echo "$end - $start" | bc
  done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
none=$(median "$bin" hash --no-cache --config "$work/none.yml" "$work/site")
with=$(median "$bin" hash --no-cache --config "$work/sitebuild.yml" "$work/site")
"$bin" hash --no-cache --config "$work/sitebuild.yml" "$work/site" 2>&1 | sed -n '1,3p' | cut -c1-160 >&2
python3 - "$none" "$with" "$FILES" "$RULES" <<'PY'
import sys
none, with_, files, rules = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"{files} files: no rules {none * 1000:.0f} ms, {rules} rules {with_ * 1000:.0f} ms (median of runs)")
print(f"rules cost {(with_ - none) * 1000:.0f} ms: {(with_ - none) / rules / (files / 10000) * 1000:.2f} ms per rule per 10,000 files")
PY
