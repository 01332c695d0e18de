#!/usr/bin/env bash
# Search benchmark on the synthetic corpus: what indexing, similar incidents and the browser
# export add to a build; what a browser downloads and computes per query; how long a whole
# `pmsite search` process takes. Targets from the search issue are printed with PASS/MISS.
# Usage: bench/search.sh [N] [--seed S]      (default N=10000, seed 1; works from any cwd)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=10000 seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --seed=*) seed=${1#*=}; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) n=$1; shift ;;
  esac
done
gen="$repo/../shared/bench/gen_corpus.py"
[ -f "$gen" ] || { echo "missing $gen (the shared folder beside the repo)" >&2; exit 2; }
command -v node >/dev/null || { echo "node is required" >&2; exit 2; }

work=$(mktemp -d /dev/shm/pmsite-search-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && cargo build --release --quiet)
bin="${CARGO_TARGET_DIR:-$repo/target}/release/pmsite"
python3 "$gen" "$work/site" "$n" --seed "$seed" 2>/dev/null

echo "== build with search, N=$n (on /dev/shm; three builds, the median)"
# Stage timings on this machine vary by about a tenth from one build to the next. The
# target is the issue's "indexing and export"; similar incidents, which also read the
# index, are their own stage and reported beside it.
sums=() similar=()
for run in 1 2 3; do
  log=$("$bin" build --root "$work/site" --output "$work/out" --verbose 2>&1)
  grep -E '^ *(search index|search export|similar incidents|render and write): |^Built' <<<"$log" | sed "s/^ */  build $run: /"
  sums+=("$(awk '/^ *(search index|search export): / {sum += $(NF-1)} END {printf "%.2f", sum}' <<<"$log")")
  similar+=("$(awk '/^ *similar incidents: / {printf "%.2f", $(NF-1)}' <<<"$log")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
added=$(median "${sums[@]}")
verdict=$(awk -v a="$added" 'BEGIN { print (a <= 3.0) ? "PASS" : "MISS" }')
echo "  indexing + export: ${sums[*]} s, median ${added} s   target <= 3 s: $verdict"
echo "  similar incidents: ${similar[*]} s, median $(median "${similar[@]}") s (no target of its own)"
peak=$(/usr/bin/time -f '%M' "$bin" build --root "$work/site" --output "$work/out" --quiet 2>&1 | tail -1)
echo "  whole build peak RSS: $((peak / 1024)) MB"

echo "== browser: bytes per query and compute time"
node "$repo/bench/search.mjs" "$work/out" | sed 's/^/  /'

echo "== pmsite search: time to the answer and to the process's end (20 runs)"
# The answer is printed before the note saying the postmortems changed since the index was
# made, whose check stats every postmortem: both times are reported.
python3 - "$bin" "$work" <<'PY'
import subprocess, sys, time
binary, work = sys.argv[1], sys.argv[2]
answered, ended = [], []
for _ in range(20):
    t = time.perf_counter()
    run = subprocess.Popen([binary, "search", "certificate expired", "--root", work + "/site",
                            "--output", work + "/out", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    run.stdout.read(1)
    answered.append((time.perf_counter() - t) * 1000)
    run.stdout.read()
    if run.wait() != 0:
        sys.exit("pmsite search failed")
    ended.append((time.perf_counter() - t) * 1000)
for name, runs in (("answer", answered), ("process end", ended)):
    runs.sort()
    verdict = "PASS" if runs[-1] < 50 else "MISS"
    print(f"  {name}: median {runs[10]:.1f} ms, max {runs[-1]:.1f} ms   target < 50 ms: {verdict}")
PY
