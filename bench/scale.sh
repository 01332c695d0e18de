#!/usr/bin/env bash
# How `pmsite build` scales with the archive (time per stage, peak memory) and how stable
# its output is when the archive grows by one postmortem or one sentence changes.
#
# Usage: bench/scale.sh [N...] [--seed S] [--dir DIR] [--no-stable] [--keep]
# See bench/README.md for what it measures and how to read the report.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/scale.sh [N...] [--seed S] [--dir DIR] [--no-stable] [--keep]

Build pmsite in release mode; for each N (default: 10000 30000 100000), generate a corpus
of N postmortems (../shared/bench/gen_corpus.py DIR N --seed S) and time one
`pmsite build --verbose` of it under /usr/bin/time -v, dated the day after its newest
postmortem (so that, as in an archive CI builds on every merge, some are recent). Print the stage times, total and
peak of each N, and the ratios of the largest N to the smallest against the targets
(total <= 1.1x and each stage <= 1.2x the growth of N: 11x and 12x from 10k to 100k;
peak <= 2 GiB), and the output's size (target <= 300 MB at 10k, in proportion at
other sizes) with the bytes of each top-level folder and file.

Then the stable-output measure, at the smallest N: build an archive, build it again
with one more postmortem dated after all others (generated like the others), and again
with one sentence of an old postmortem's body edited, and the first archive a day later
(--today); count the output files that changed (added, removed or different) against the
targets (2%, 1% and 1% of the files), and the incident pages whose similar-incidents list
changed.

Arguments:
  N            corpus sizes, smallest first (default 10000 30000 100000)
  --seed S     corpus generator seed (default 1)
  --dir DIR    where corpora and outputs go (default /dev/shm/pmsite-scale-PID; a 100k
               corpus is 0.9 GB and its output about 5 GB)
  --no-stable  skip the stable-output measure
  --keep       keep DIR afterwards
  -h, --help   show this help

Exit status: 0 when every build succeeded (even if a target is missed), non-zero if
setup or a build fails.
EOF
}

die() {
    printf 'bench/scale.sh: error: %s\n' "$*" >&2
    exit 2
}

note() {
    printf '==> %s\n' "$*" >&2
}

SIZES=()
SEED=1
DIR=
STABLE=1
KEEP=0
while (($# > 0)); do
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --seed)
            (($# >= 2)) || die "--seed needs a value"
            SEED=$2
            shift 2
            ;;
        --dir)
            (($# >= 2)) || die "--dir needs a value"
            DIR=$2
            shift 2
            ;;
        --no-stable)
            STABLE=0
            shift
            ;;
        --keep)
            KEEP=1
            shift
            ;;
        [0-9]*)
            SIZES+=("$1")
            shift
            ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
((${#SIZES[@]} > 0)) || SIZES=(10000 30000 100000)
for n in "${SIZES[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"
done
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a number, got '$SEED'"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GEN="$REPO/../shared/bench/gen_corpus.py"
[[ -f $GEN ]] || die "corpus generator not found at $GEN"
[[ -x /usr/bin/time ]] || die "GNU time not found at /usr/bin/time (apt-get install -y time)"
command -v python3 >/dev/null || die "python3 not found"

DIR=${DIR:-/dev/shm/pmsite-scale-$$}
mkdir -p "$DIR" || die "cannot create $DIR"
cleanup() {
    if ((KEEP == 0)); then
        rm -rf "$DIR"
    else
        note "kept $DIR"
    fi
}
trap cleanup EXIT

note "cargo build --release"
(cd "$REPO" && cargo build --release --quiet) || die "cargo build failed"
PMSITE="${CARGO_TARGET_DIR:-$REPO/target}/release/pmsite"
[[ -x $PMSITE ]] || die "no binary at $PMSITE"

# build SITE OUT LOG [ARG...]: one verbose build under GNU time; the log holds both.
build() {
    rm -rf "$2"
    /usr/bin/time -v "$PMSITE" build --root "$1" --output "$2" --verbose "${@:4}" >"$3" 2>&1 ||
        die "build of $1 failed, see $3"
}

# ---------------------------------------------------------------------------
# Scaling: one build per size, its stage times and peak.
LOGS=()
for n in "${SIZES[@]}"; do
    note "corpus of $n postmortems (seed $SEED)"
    python3 "$GEN" "$DIR/site-$n" "$n" --seed "$SEED" >/dev/null || die "gen_corpus.py failed"
    # Dated the day after the newest postmortem, as CI builds an archive on every merge:
    # the checks then have recent postmortems to look for recurrences of.
    newest=$(grep -rhom1 '^started_at = [0-9-]*' "$DIR/site-$n/postmortems" | sort | tail -n1)
    day_after=$(date -u -d "${newest#started_at = } + 1 day" +%F)
    note "building $n (--today $day_after)"
    build "$DIR/site-$n" "$DIR/out-$n" "$DIR/build-$n.log" --today "$day_after"
    # The output's bytes, whole and per top-level entry (apparent sizes, as a host stores them).
    # (Two calls: du counts a folder once, so `du . *` would list nothing after ".".)
    (cd "$DIR/out-$n" && du -sb . && du -sb -- * | sort -rn) >"$DIR/size-$n.txt"
    LOGS+=("$n=$DIR/build-$n.log=$DIR/size-$n.txt")
    rm -rf "$DIR/out-$n" "$DIR/site-$n"
done

python3 - "${LOGS[@]}" <<'EOF'
import re, sys

runs = []
sizes = {}
for arg in sys.argv[1:]:
    n, path, size_path = arg.split("=", 2)
    sizes[int(n)] = [line.split("\t") for line in open(size_path, encoding="utf-8").read().splitlines()]
    text = open(path, encoding="utf-8", errors="replace").read()
    stages = {m.group(1).strip(): float(m.group(2))
              for m in re.finditer(r"^\s*([a-z][a-z +]*): ([0-9.]+) s$", text, re.M)}
    # The build prints its own total and remainder; they are computed here alike.
    stages.pop("total", None)
    stages.pop("in no stage", None)
    total = float(re.search(r"^Built .* in ([0-9.]+) s$", text, re.M).group(1))
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    runs.append((int(n), total, stages, peak_kb * 1024))

names = []
for _, _, stages, _ in runs:
    names += [s for s in stages if s not in names]
unnamed = "in no stage"
print()
print("| postmortems | total | " + " | ".join(names) + f" | {unnamed} | peak |")
print("|---" * (len(names) + 4) + "|")
for n, total, stages, peak in runs:
    cells = [f"{stages[s]:.2f}" if s in stages else "-" for s in names]
    rest = total - sum(stages.values())
    print(f"| {n:,} | {total:.2f} s | " + " | ".join(cells) + f" | {rest:.2f} | {peak / 2**30:.2f} GiB |")

GIB2 = 2 * 2**30
print()
for n, entries in sizes.items():
    total = int(next(b for b, name in entries if name == "."))
    # The target is the issue's: <= 300 MB at 10,000 postmortems, and in proportion.
    target = 300e6 * n / 10_000
    largest = ", ".join(f"{name} {int(b) / 1e6:.0f}" for b, name in entries if name != ".")
    print(f"output at {n:,}: {total / 1e6:.1f} MB (target <= {target / 1e6:.0f} MB): "
          f"{'PASS' if total <= target else 'MISS'}; MB per entry: {largest}")
print()
for n, _, _, peak in runs:
    print(f"peak at {n:,}: {peak / 2**30:.2f} GiB (target <= 2 GiB): {'PASS' if peak <= GIB2 else 'MISS'}")
if len(runs) >= 2:
    (n0, t0, s0, _), (n1, t1, s1, _) = runs[0], runs[-1]
    growth = n1 / n0
    print()
    print(f"ratios {n1:,} / {n0:,} (N grows {growth:.1f}x; targets: total <= {1.1 * growth:.1f}x, "
          f"each stage <= {1.2 * growth:.1f}x)")
    ratio = t1 / t0
    print(f"  {'total':>20}: {ratio:6.1f}x  {'PASS' if ratio <= 1.1 * growth else 'MISS'}")
    for s in names:
        if s in s0 and s in s1 and s0[s] > 0:
            ratio = s1[s] / s0[s]
            # A stage under 50 ms is noise at the smaller size: its ratio says nothing.
            verdict = "PASS" if ratio <= 1.2 * growth else ("(too short to judge)" if s0[s] < 0.05 else "MISS")
            print(f"  {s:>20}: {ratio:6.1f}x  {s0[s]:.3f} -> {s1[s]:.3f} s  {verdict}")
EOF

((STABLE == 1)) || exit 0

# ---------------------------------------------------------------------------
# Stable output: the smallest N with one more postmortem, and with one sentence edited.
n=${SIZES[0]}
note "stable output at $n: corpus of $((n + 1)), the newest held out"
python3 "$GEN" "$DIR/grown" $((n + 1)) --seed "$SEED" >/dev/null || die "gen_corpus.py failed"
python3 - "$DIR/grown/postmortems" "$DIR/newest.md" <<'EOF' || die "cannot hold out the newest postmortem"
import os, re, shutil, sys
folder, aside = sys.argv[1:]
def started(name):
    text = open(os.path.join(folder, name), encoding="utf-8").read()
    return re.search(r"^started_at = (\S+)", text, re.M).group(1)
names = sorted(os.listdir(folder), key=lambda name: (started(name), name))
newest, before = names[-1], names[-2]
if started(newest) <= started(before):
    sys.exit(f"the newest postmortem {newest} is not after {before}")
shutil.move(os.path.join(folder, newest), aside)
print(newest)
EOF
cp -r "$DIR/grown" "$DIR/base"
mv "$DIR/newest.md" "$DIR/grown/postmortems/"
cp -r "$DIR/base" "$DIR/edited"
python3 - "$DIR/edited/postmortems" <<'EOF' || die "cannot edit a sentence"
import os, sys
folder = sys.argv[1]
oldest = sorted(os.listdir(folder))[0]
path = os.path.join(folder, oldest)
text = open(path, encoding="utf-8").read()
body = text.index("+++", 3) + 3
# The first prose line of the body: not a heading, list, table, quote or code.
at = body
for line in text[body:].splitlines(keepends=True):
    if line.strip() and line[0].isalpha():
        end = line.index(".") + 1 if "." in line else len(line.rstrip("\n"))
        edited = line[:end].rstrip(".") + ", as the on-call engineer later confirmed." + line[end:]
        text = text[:at] + edited + text[at + len(line):]
        break
    at += len(line)
else:
    sys.exit(f"no prose line in {oldest}")
open(path, "w", encoding="utf-8").write(text)
EOF
# Every build of the measure is dated the same day, but the last: the base again a day
# later, as CI builds the next merge (what changes is what says "today").
TODAY=$(date -u +%F)
for variant in base grown edited; do
    note "building $variant"
    build "$DIR/$variant" "$DIR/out-$variant" "$DIR/build-$variant.log" --today "$TODAY"
done
note "building base, a day later"
build "$DIR/base" "$DIR/out-next-day" "$DIR/build-next-day.log" --today "$(date -u -d tomorrow +%F)"

python3 - "$DIR/out-base" "$DIR/out-grown" "$DIR/out-edited" "$DIR/out-next-day" <<'EOF'
import hashlib, os, re, sys

def files(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).digest()
    return out

def similar_lists(root):
    lists = {}
    incidents = os.path.join(root, "incidents")
    for slug in os.listdir(incidents):
        page = os.path.join(incidents, slug, "index.html")
        if os.path.isfile(page):
            html = open(page, encoding="utf-8").read()
            start = html.find('class="link-list similar"')
            end = html.find("</ul>", start)
            lists[slug] = re.findall(r'href="([^"]+)"', html[start:end]) if start >= 0 else []
    return lists

base, base_lists = files(sys.argv[1]), similar_lists(sys.argv[1])
print()
for label, root, target in [("one newest postmortem added", sys.argv[2], 2.0),
                            ("one sentence of an old body edited", sys.argv[3], 1.0),
                            ("the same archive built a day later", sys.argv[4], 1.0)]:
    other = files(root)
    differing = [path for path in base.keys() | other.keys() if base.get(path) != other.get(path)]
    changed = len(differing)
    areas = {}
    for path in differing:
        # search/ is most of the files: say which kind (t, p, w, ...) changed.
        parts = path.split(os.sep)
        area = os.sep.join(parts[:2]) if parts[0] == "search" and len(parts) > 2 else parts[0]
        areas[area] = areas.get(area, 0) + 1
    share = 100 * changed / len(base.keys() | other.keys())
    lists = similar_lists(root)
    moved = sum(1 for slug in base_lists if slug in lists and base_lists[slug] != lists[slug])
    print(f"{label}: {changed:,} of {len(base.keys() | other.keys()):,} files changed ({share:.2f}%, "
          f"target <= {target:g}%): {'PASS' if share <= target else 'MISS'}; "
          f"similar-incidents lists changed on {moved:,} of {len(base_lists):,} incident pages")
    print("  by folder: " + ", ".join(f"{area} {n:,}" for area, n in sorted(areas.items(), key=lambda a: -a[1])))
EOF
