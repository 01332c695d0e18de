#!/usr/bin/env bash
# pmsite's full build against Hugo's pages-only build of the same corpus, side by side.
#
# Usage: bench/hugo.sh [N] [--runs R] [--seed S] [--keep]
#
# Generates N postmortems (default 10000, seed 1) twice, in pmsite's layout
# (../shared/bench/gen_corpus.py) and in Hugo's (../shared/bench/gen_hugo_corpus.py, with
# the comparable Hugo site ../shared/bench/hugo-site), on /dev/shm. Then hyperfine runs the
# two builds alternately (a warm-up each, R runs each, default 5), output on /dev/shm, and
# prints both medians and pmsite's share of Hugo's time against the issue's target (<= 0.5),
# and each one's peak memory (/usr/bin/time -v). Hugo 0.111 and hyperfine come from Debian
# (installed here with apt-get when missing); never run in CI.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$REPO/../shared/bench" && pwd)
N=10000 RUNS=5 SEED=1 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) N=$1; shift ;;
    esac
done

note() { printf '==> %s\n' "$*" >&2; }
need() {
    command -v "$1" >/dev/null && return
    note "installing $2 (Debian)"
    apt-get install -y "$2" >/dev/null || { echo "cannot install $2: install it and run again" >&2; exit 1; }
}
need hugo hugo
need hyperfine hyperfine
[ -x /usr/bin/time ] || need time time

DIR=/dev/shm/pmsite-hugo-$$
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$DIR"; }
trap cleanup EXIT
mkdir -p "$DIR"

note "cargo build --release"
(cd "$REPO" && cargo build --release --quiet)
PMSITE=${CARGO_TARGET_DIR:-$REPO/target}/release/pmsite

note "corpora of $N postmortems (seed $SEED)"
python3 "$SHARED/gen_corpus.py" "$DIR/pm" "$N" --seed "$SEED" >&2
python3 "$SHARED/gen_hugo_corpus.py" "$DIR/hugo" "$N" --seed "$SEED" >&2
cp -r "$SHARED/hugo-site" "$DIR/hugo-site"

HUGO="rm -rf $DIR/out-hugo && hugo --quiet -s $DIR/hugo-site --contentDir $DIR/hugo/content -d $DIR/out-hugo"
PM="rm -rf $DIR/out-pm && $PMSITE build --root $DIR/pm --output $DIR/out-pm --quiet"

note "hyperfine: $RUNS runs each, alternating"
hyperfine --style basic -w 1 -r "$RUNS" --export-json "$DIR/runs.json" -n hugo "$HUGO" -n pmsite "$PM" >&2

peak() { /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
HUGO_PEAK=$(peak "$HUGO")
PM_PEAK=$(peak "$PM")

python3 - "$DIR/runs.json" "$HUGO_PEAK" "$PM_PEAK" "$N" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, statistics, sys
runs = {r["command"]: r["times"] for r in json.load(open(sys.argv[1]))["results"]}
hugo, pm = statistics.median(runs["hugo"]), statistics.median(runs["pmsite"])
n, cores, load = int(sys.argv[4]), sys.argv[5], sys.argv[6]
print(f"\n{n:,} postmortems, output on /dev/shm, {cores} cores, load {load}:")
print(f"  Hugo (pages only): median {hugo:.2f} s over {len(runs['hugo'])} runs, peak {int(sys.argv[2]) / 1024:.0f} MiB")
print(f"  pmsite (full build, search included): median {pm:.2f} s over {len(runs['pmsite'])} runs, peak {int(sys.argv[3]) / 1024:.0f} MiB")
ratio = pm / hugo
print(f"  pmsite / Hugo: {ratio:.2f}x (target <= 0.5x): {'PASS' if ratio <= 0.5 else 'MISS'}")
EOF
