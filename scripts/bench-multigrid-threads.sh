#!/usr/bin/env bash
# Pressure multigrid on 1 and 2 threads, and against the memory-bandwidth bound (issue 16).
# Usage: scripts/bench-multigrid-threads.sh [--quick] [BASE_SIMRUN BASE_BENCH]
#   Rounds interleave every variant: examples/bench_multigrid on 1 and 2 threads (ns per cell per
#   V-cycle, and its multiple of the bound measured in the same process: model in the example's
#   docs), and the lid-driven cavity 128^2 (configs/cavity-re100.toml with a fixed step count) on
#   1 and 2 threads, wall and CPU (user + sys) from /usr/bin/time. With BASE_SIMRUN and BASE_BENCH
#   (copies of target/release/simrun and target/release/examples/bench_multigrid built from the
#   old commit) the old binaries run in the same rounds (A) next to the new ones (B).
#   Prints medians and the median of the per-round ratios: speed-up of 2 threads over 1 (goal
#   >= 1.6 at 128^2 and 512^2), x_bound (goal <= 2), B/A.
#   --quick: 3 rounds, 128^2 and 512^2, 100 cavity steps (about a minute); else 7 rounds,
#   128^2..1024^2, 300 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=7; sizes="128 256 512 1024"; steps=300
if [ "${1:-}" = "--quick" ]; then rounds=3; sizes="128 512"; steps=100; shift; fi
base_simrun="${1:-}"; base_bench="${2:-}"
if [ -z "${SKIP_BUILD:-}" ]; then
    CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --bin simrun --example bench_multigrid >&2
fi
export HDF5_USE_FILE_LOCKING=FALSE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^end_time = .*/steps = '"$steps"'/' configs/cavity-re100.toml > "$tmp/cavity.toml"
variants=(B); [ -n "$base_simrun" ] && variants=(A B)
csv="$tmp/runs.csv"
echo "round,variant,what,threads,n,value,cpu,x_bound" > "$csv"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
for round in $(seq "$rounds"); do
    for v in "${variants[@]}"; do
        sim=./target/release/simrun; bench=./target/release/examples/bench_multigrid
        [ "$v" = A ] && sim=$base_simrun && bench=$base_bench
        for t in 1 2; do
            "$bench" "$t" $sizes | awk -F, -v r="$round" -v v="$v" -v t="$t" \
                'NR > 1 { print r "," v ",vcycle," t "," $1 "," $5 ",," ($11 == "" ? "" : $11) }' >> "$csv"
            /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$sim" "$tmp/cavity.toml" --set parallel.threads="$t" \
                --set output.dir="$tmp/out" > /dev/null 2>&1
            read -r wall user sys < "$tmp/time"
            echo "$round,$v,cavity,$t,128,$wall,$(echo "$user + $sys" | bc)," >> "$csv"
        done
    done
    echo "round $round/$rounds done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$csv" "$steps" <<'PY'
import csv, statistics as st, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1])))
steps = sys.argv[2]
val = defaultdict(dict)   # (variant, what, n, threads) -> round -> (value, cpu, x_bound)
for r in rows:
    val[(r["variant"], r["what"], int(r["n"]), int(r["threads"]))][r["round"]] = (
        float(r["value"]), float(r["cpu"]) if r["cpu"] else None, float(r["x_bound"]) if r["x_bound"] else None)
def med(xs): return st.median(xs) if xs else float("nan")
def ratio(a, b, i=0):
    return med([a[k][i] / b[k][i] for k in a if k in b and b[k][i]])
variants = sorted({k[0] for k in val})
for v in variants:
    name = {"A": "A (base)", "B": "B (new)"}[v]
    print(f"== {name} ==")
    for (vv, what, n, t) in sorted(k for k in val if k[0] == v and k[3] == 1):
        one, two = val[(v, what, n, 1)], val[(v, what, n, 2)]
        if what == "vcycle":
            xb1 = med([x[2] for x in one.values() if x[2] is not None])
            xb2 = med([x[2] for x in two.values() if x[2] is not None])
            print(f"V-cycle {n:>4}^2: 1 thread {med([x[0] for x in one.values()]):7.2f} ns/cell ({xb1:.2f}x bound), "
                  f"2 threads {med([x[0] for x in two.values()]):7.2f} ns/cell ({xb2:.2f}x bound); "
                  f"2-thread speed-up {ratio(one, two):.2f}")
        else:
            print(f"cavity  {n:>4}^2 x {steps} steps: 1 thread {med([x[0] for x in one.values()]):.2f} s wall "
                  f"{med([x[1] for x in one.values()]):.2f} s CPU, 2 threads {med([x[0] for x in two.values()]):.2f} s wall "
                  f"{med([x[1] for x in two.values()]):.2f} s CPU; 2-thread speed-up (wall) {ratio(one, two):.2f}")
if len(variants) == 2:
    print("== B/A (median of per-round ratios; < 1: new is faster) ==")
    for k in sorted(k for k in val if k[0] == "B"):
        a = val.get(("A",) + k[1:])
        if not a: continue
        b = val[k]
        extra = f", CPU {ratio(b, a, 1):.3f}" if k[1] == "cavity" else ""
        print(f"{k[1]:<7} {k[2]:>4}^2 {k[3]} thread(s): time {ratio(b, a):.3f}{extra}")
PY
