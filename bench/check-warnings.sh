#!/usr/bin/env bash
# Check time against the number of findings in one file (issue 17, item 7): one postmortem
# with N overdue action items (N warnings in the front matter), then one whose body has N
# lines of blaming language (2N findings in the body, each located in a packed body), for
# each N given (default 5000 20000 100000), through `pmsite check` (human report, then
# JSON). Time per 1,000 findings should stay flat; the script fails when the largest N
# costs more than twice as much per finding as the smallest.
#
#   bench/check-warnings.sh                  # release build, N = 5000 20000 100000
#   PMSITE=target/debug/pmsite bench/check-warnings.sh 2000 8000
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(5000 20000 100000)
if [ -z "${PMSITE:-}" ]; then
    (cd "$repo" && cargo build --release --quiet)
    PMSITE="${CARGO_TARGET_DIR:-$repo/target}/release/pmsite"
fi
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
mkdir -p "$site/postmortems"
echo 'title = "bench"' > "$site/pmsite.toml"
for kind in front-matter body; do
echo "== findings in the $kind"
printf '%8s %10s %10s %14s\n' N human_s json_s human_ms_per_1k
first_rate=""
for n in "${sizes[@]}"; do
    python3 - "$n" "$site/postmortems/a.md" "$kind" <<'PY'
import sys
n, path, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3]
front = '+++\ntitle = "t"\nseverity = "SEV2"\nstarted_at = 2024-01-01\nsummary = "s"\n'
if kind == "body":
    body = "".join(f"Line {i}: this was caused by human error and carelessness.\n" for i in range(n))
    open(path, "w").write(front + "+++\n## Summary\n" + body)
else:
    items = "".join(f'[[action_items]]\ntitle = "fix {i}"\nowner = "o"\ndue = 2024-02-01\n' for i in range(n))
    open(path, "w").write(front + items + "+++\n## Summary\n")
PY
    /usr/bin/time -o "$site/human" -f %e "$PMSITE" check --root "$site" --today 2025-01-01 >/dev/null 2>&1 || true
    /usr/bin/time -o "$site/json" -f %e "$PMSITE" check --root "$site" --today 2025-01-01 --format json >/dev/null 2>&1 || true
    human=$(tail -1 "$site/human")
    json=$(tail -1 "$site/json")
    rate=$(python3 -c "print(f'{$human * 1e6 / $n:.1f}')")
    printf '%8s %10s %10s %14s\n' "$n" "$human" "$json" "$rate"
    first_rate=${first_rate:-$rate}
    last_rate=$rate
done
python3 -c "import sys; sys.exit(0 if $last_rate <= 2 * max($first_rate, 1) else 'time per finding grew more than twice: not linear')"
done
