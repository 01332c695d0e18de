#!/usr/bin/env bash
# Benchmark `pmsite build` on a synthetic postmortem corpus, on disk and on /dev/shm.
#
# Usage: bench/build.sh [N] [--seed S] [--runs R] [--keep]
# See bench/README.md for what it measures and how to read the report.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/build.sh [N] [--seed S] [--runs R] [--keep]

Build pmsite in release mode, generate a synthetic corpus of N postmortems
(../shared/bench/gen_corpus.py) on disk and on /dev/shm, run
`pmsite build --root SITE --output OUT --quiet` R times per location and report
wall time, peak RSS, pages written and output size, compared with the targets.

Arguments:
  N           number of postmortems to generate (default 10000)
  --seed S    corpus generator seed (default 1)
  --runs R    builds per location (default 3); run 1 is "cold" (no output dir),
              runs 2..R are "warm" (replace an existing output, the CI steady state)
  --keep      keep the /dev/shm corpus and the output dirs after the run
  -h, --help  show this help

Exit status: 0 when every build succeeded (even if a target is missed),
non-zero if setup or any build fails.
EOF
}

die() {
    printf 'bench/build.sh: error: %s\n' "$*" >&2
    exit 2
}

warn() {
    printf 'bench/build.sh: warning: %s\n' "$*" >&2
}

note() {
    printf '==> %s\n' "$*"
}

# ---------------------------------------------------------------------------
# Reference numbers (Hugo 0.111 on the N=10000, seed=1 corpus) and pmsite goals.
REF_N=10000
HUGO_WALL_S=12
HUGO_RSS_MB=2200
GOAL_WALL_S=12    # faster than Hugo
GOAL_RSS_MB=550   # a quarter of Hugo's peak

# ---------------------------------------------------------------------------
# Arguments.
N=10000
SEED=1
RUNS=3
KEEP=0
n_set=0
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
        --seed=*)
            SEED=${1#--seed=}
            shift
            ;;
        --runs)
            (($# >= 2)) || die "--runs needs a value"
            RUNS=$2
            shift 2
            ;;
        --runs=*)
            RUNS=${1#--runs=}
            shift
            ;;
        --keep)
            KEEP=1
            shift
            ;;
        -*)
            die "unknown option '$1' (see --help)"
            ;;
        *)
            ((n_set == 0)) || die "unexpected argument '$1' (N already set to $N)"
            N=$1
            n_set=1
            shift
            ;;
    esac
done
if [[ ! $N =~ ^[0-9]+$ ]] || ((10#$N < 1)); then
    die "N must be a positive integer, got '$N'"
fi
if [[ ! $SEED =~ ^[0-9]+$ ]]; then
    die "--seed must be a non-negative integer, got '$SEED'"
fi
if [[ ! $RUNS =~ ^[0-9]+$ ]] || ((10#$RUNS < 1)); then
    die "--runs must be a positive integer, got '$RUNS'"
fi
N=$((10#$N))
SEED=$((10#$SEED))
RUNS=$((10#$RUNS))

# ---------------------------------------------------------------------------
# Locations (independent of the caller's cwd).
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
[[ -f $REPO/Cargo.toml ]] || die "no Cargo.toml in $REPO (the script must live in REPO/bench/)"
SHARED=$REPO/../shared
GEN=$SHARED/bench/gen_corpus.py
[[ -d $SHARED ]] || die "shared folder not found: $SHARED (expected beside the repo, holding bench/gen_corpus.py)"
[[ -f $GEN ]] || die "corpus generator not found: $GEN"
SHARED=$(cd -- "$SHARED" && pwd -P)
GEN=$SHARED/bench/gen_corpus.py

TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO/$TARGET_DIR   # cargo runs from $REPO
PMSITE=$TARGET_DIR/release/pmsite
BENCH_DIR=$REPO/target/bench
SHM_DIR=/dev/shm/pmsite-bench-$$

# ---------------------------------------------------------------------------
# Tools.
TIME=/usr/bin/time
if [[ ! -x $TIME ]]; then
    die "$TIME not found; install GNU time: apt-get install -y time"
fi
if ! "$TIME" -f '%e %M' -o /dev/null true 2>/dev/null; then
    die "$TIME does not support -f/-o (need GNU time): apt-get install -y time"
fi
for tool in cargo python3 find du sort awk sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool not found: $tool"
done

# ---------------------------------------------------------------------------
# Cleanup.
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    if ((KEEP)); then
        [[ -d $SHM_DIR ]] && printf '==> kept %s\n' "$SHM_DIR"
        [[ -d $BENCH_DIR/out-$$ ]] && printf '==> kept %s\n' "$BENCH_DIR/out-$$"
    else
        rm -rf -- "${SHM_DIR:?}" "${BENCH_DIR:?}/out-$$"
    fi
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Corpus generation with a marker-file cache.
GEN_SHA=$(sha256sum -- "$GEN" | awk '{print $1}')
MARKER_NAME=.pmsite-bench-corpus
MARKER_TEXT=$(printf 'n=%s\nseed=%s\ngenerator_sha256=%s' "$N" "$SEED" "$GEN_SHA")

# ensure_corpus DIR: reuse DIR if its marker matches (N, seed, generator), else regenerate.
ensure_corpus() {
    local dir=$1 marker=$1/$MARKER_NAME
    if [[ -f $marker ]] && [[ $(<"$marker") == "$MARKER_TEXT" ]]; then
        note "reusing corpus $dir (N=$N, seed=$SEED)"
        return 0
    fi
    note "generating corpus in $dir (N=$N, seed=$SEED)"
    rm -rf -- "${dir:?}"
    mkdir -p -- "$dir"
    python3 "$GEN" "$dir" "$N" --seed "$SEED" || die "corpus generation failed in $dir"
    # Written last: a dir without a valid marker is incomplete and gets regenerated.
    printf '%s\n' "$MARKER_TEXT" >"$marker"
}

# ---------------------------------------------------------------------------
# Stats helpers (numbers on stdin, one per line).
stat_min() { sort -g | head -n 1; }
stat_max() { sort -g | tail -n 1; }
stat_median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit 1
              if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
              else        printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
kib_to_mb() { awk -v k="$1" 'BEGIN { printf "%.0f\n", k / 1024 }'; }

# Results per location, filled by bench_location.
declare -A R_COLD R_WMIN R_WMED R_RSS R_PAGES R_SIZE
LOCATIONS=()

# bench_location NAME SITE OUT
bench_location() {
    local name=$1 site=$2 out=$3
    local log=$out.log tfile=$out.time
    local i wall rss status
    local walls=() warm=() rsss=()

    note "[$name] $RUNS build(s): $site -> $out"
    rm -rf -- "${out:?}"
    mkdir -p -- "$(dirname -- "$out")"
    for ((i = 1; i <= RUNS; i++)); do
        status=0
        "$TIME" -f '%e %M' -o "$tfile" -- \
            "$PMSITE" build --root "$site" --output "$out" --quiet >"$log" 2>&1 || status=$?
        if ((status != 0)); then
            printf 'bench/build.sh: error: [%s] run %d: pmsite build exited with status %d; last output:\n' \
                "$name" "$i" "$status" >&2
            tail -n 30 -- "$log" >&2 || true
            exit 1
        fi
        # GNU time may prepend a "Command exited/terminated ..." line: use the last one.
        read -r wall rss < <(tail -n 1 -- "$tfile")
        if [[ ! $rss =~ ^[0-9]+$ || ! $wall =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
            die "[$name] could not parse $TIME output: $(tr '\n' ' ' <"$tfile")"
        fi
        walls+=("$wall")
        rsss+=("$rss")
        ((i == 1)) || warm+=("$wall")
        printf '    run %d/%d (%s): %6.2f s  %6s MB\n' "$i" "$RUNS" \
            "$([[ $i == 1 ]] && echo cold || echo warm)" "$wall" "$(kib_to_mb "$rss")"
    done
    rm -f -- "$tfile" "$log"

    R_COLD[$name]=${walls[0]}
    if ((${#warm[@]} > 0)); then
        R_WMIN[$name]=$(printf '%s\n' "${warm[@]}" | stat_min)
        R_WMED[$name]=$(printf '%s\n' "${warm[@]}" | stat_median)
    else
        R_WMIN[$name]=-
        R_WMED[$name]=-
    fi
    R_RSS[$name]=$(kib_to_mb "$(printf '%s\n' "${rsss[@]}" | stat_max)")
    if [[ -d $out ]]; then
        R_PAGES[$name]=$(find "$out" -type f -name index.html | wc -l | tr -d ' ')
        R_SIZE[$name]=$(du -sh -- "$out" | cut -f1)
    else
        R_PAGES[$name]=0
        R_SIZE[$name]=-
        warn "[$name] pmsite exited 0 but $out does not exist"
    fi
    ((${R_PAGES[$name]} > 0)) || warn "[$name] no index.html pages were written"
    LOCATIONS+=("$name")
}

# ---------------------------------------------------------------------------
# 1. Build pmsite.
note "cargo build --release (in $REPO)"
(cd -- "$REPO" && cargo build --release) || die "cargo build --release failed"
[[ -x $PMSITE ]] || die "binary not found after build: $PMSITE"

# 2. Corpora.
mkdir -p -- "$BENCH_DIR"
DISK_SITE=$BENCH_DIR/corpus-n$N-s$SEED
ensure_corpus "$DISK_SITE"
HAVE_SHM=0
if [[ -d /dev/shm && -w /dev/shm ]]; then
    ensure_corpus "$SHM_DIR/site"
    HAVE_SHM=1
else
    warn "/dev/shm is not available or not writable: skipping the shm location"
fi

# 3. Builds.
bench_location disk "$DISK_SITE" "$BENCH_DIR/out-$$/public"
if ((HAVE_SHM)); then
    bench_location shm "$SHM_DIR/site" "$SHM_DIR/public"
fi

# 4. Report.
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
printf '\n'
printf 'pmsite build benchmark: N=%s seed=%s runs=%s  (%s CPUs%s)\n' \
    "$N" "$SEED" "$RUNS" "$(nproc 2>/dev/null || echo '?')" "${cpu:+, $cpu}"
printf 'binary: %s\n\n' "$PMSITE"
fmt='%-8s %8s %10s %10s %12s %8s %8s\n'
# shellcheck disable=SC2059  # the format is a constant
printf "$fmt" location cold_s warm_min_s warm_med_s peak_rss_mb pages size
for loc in "${LOCATIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$fmt" "$loc" "${R_COLD[$loc]}" "${R_WMIN[$loc]}" "${R_WMED[$loc]}" \
        "${R_RSS[$loc]}" "${R_PAGES[$loc]}" "${R_SIZE[$loc]}"
done

printf '\nreference: Hugo 0.111 on this corpus (N=%s): ~%s s wall, %s MB peak RSS\n' \
    "$REF_N" "$HUGO_WALL_S" "$HUGO_RSS_MB"
printf 'goal:      wall < %s s, peak RSS < %s MB (a quarter of Hugo)\n' "$GOAL_WALL_S" "$GOAL_RSS_MB"
if ((N != REF_N)); then
    printf 'note:      N=%s but the reference is for N=%s; PASS/MISS below is indicative only\n' \
        "$N" "$REF_N"
fi
printf '\n'

# check LABEL VALUE LIMIT UNIT [NA_REASON]: PASS if VALUE < LIMIT; n/a if NA_REASON is set.
check() {
    local label=$1 value=$2 limit=$3 unit=$4 na=${5:-} verdict
    [[ $value == - ]] && na=${na:-runs=1}
    if [[ -n $na ]]; then
        printf '  %-22s %10s %-4s < %-6s  n/a (%s)\n' "$label" "$value" "$unit" "$limit" "$na"
        return 0
    fi
    if awk -v v="$value" -v l="$limit" 'BEGIN { exit !(v < l) }'; then
        verdict=PASS
    else
        verdict=MISS
    fi
    printf '  %-22s %10s %-4s < %-6s  %s\n' "$label" "$value" "$unit" "$limit" "$verdict"
}
for loc in "${LOCATIONS[@]}"; do
    # A build that wrote no pages measured nothing: do not call it a PASS.
    na=
    [[ ${R_PAGES[$loc]} == 0 ]] && na="no pages written"
    check "$loc wall (cold)" "${R_COLD[$loc]}" "$GOAL_WALL_S" s "$na"
    check "$loc wall (warm med)" "${R_WMED[$loc]}" "$GOAL_WALL_S" s "$na"
    check "$loc peak RSS" "${R_RSS[$loc]}" "$GOAL_RSS_MB" MB "$na"
done
exit 0
