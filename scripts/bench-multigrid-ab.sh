#!/usr/bin/env bash
# Two builds of examples/bench_multigrid side by side: V-cycle time at 256^2 and 512^2 on 1 and 2
# ranks (1 thread each), the variants interleaved in every round; prints medians, minima and the
# median of the per-round ratios B/A.
# Usage: scripts/bench-multigrid-ab.sh BENCH_A BENCH_B [ROUNDS]
#   e.g. build the example on two commits and copy target/release/examples/bench_multigrid away.
set -euo pipefail
a="$1"; b="$2"; rounds="${3:-9}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
csv=$(mktemp)
echo "round,ranks,variant,n,seconds" > "$csv"
for round in $(seq "$rounds"); do
    for ranks in 1 2; do
        for v in A B; do
            bin=$a; [ "$v" = B ] && bin=$b
            launch=(); [ "$ranks" -gt 1 ] && launch=(mpirun --oversubscribe --bind-to none -n "$ranks")
            "${launch[@]}" "$bin" 1 256 512 | awk -F, -v r="$round" -v k="$ranks" -v v="$v" 'NR > 1 { print r "," k "," v "," $1 "," $4 }' >> "$csv"
        done
    done
done
python3 - "$csv" <<'PY'
import csv, statistics as st, sys
from collections import defaultdict
t = defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    t[(int(r["ranks"]), int(r["n"]))].setdefault(r["variant"], {})[r["round"]] = float(r["seconds"])
for (ranks, n), v in sorted(t.items()):
    a, b = v["A"], v["B"]
    ratios = [b[k] / a[k] for k in a if k in b]
    print(f"{ranks} rank(s), {n}^2: A median {st.median(a.values()) * 1e3:.3f} ms (min {min(a.values()) * 1e3:.3f}), "
          f"B median {st.median(b.values()) * 1e3:.3f} ms (min {min(b.values()) * 1e3:.3f}); "
          f"B/A per round: median {st.median(ratios):.3f}, range {min(ratios):.2f}-{max(ratios):.2f} ({len(ratios)} rounds)")
PY
rm -f "$csv"
