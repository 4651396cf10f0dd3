#!/usr/bin/env python3
"""Summarise a scripts/bench-checkpoint.sh run: medians of per-round ratios and the goals.

usage: bench_checkpoint_stats.py DIR REPEATS SIDE [SIDE ...]
Files in DIR: <side>_<none|async|sync>_t<threads>_<round>.json (simrun --report) and .time
(/usr/bin/time user/sys), floor_<round>.json (bench_write_floor's JSON line).
"""
import json
import os
import statistics
import sys

d, reps, sides = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median


def load(name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None


floors = [load(f"floor_{r}.json") for r in range(1, reps + 1)]
floors = [f for f in floors if f]
raw_cpu = med(f["raw"]["cpu"] for f in floors)
raw_wall = med(f["raw"]["wall"] for f in floors)
print(f"write floor (128 MiB write + fsync + rename, {len(floors)} rounds): cpu {raw_cpu:.4f} s  wall {raw_wall:.4f} s")
for k in floors[0]:
    print(f"  {k:>14}: cpu {med(f[k]['cpu'] for f in floors):.4f}  wall {med(f[k]['wall'] for f in floors):.4f}")

for side in sides:
    for t in (1, 2):
        rows = []
        for r in range(1, reps + 1):
            runs = {k: load(f"{side}_{k}_t{t}_{r}.json") for k in ("none", "async", "sync")}
            times = {k: load(f"{side}_{k}_t{t}_{r}.time") for k in ("none", "async", "sync")}
            if not all(runs.values()):
                continue
            row = {k: runs[k]["loop_seconds"] for k in runs}
            row.update({f"cpu_{k}": times[k]["user"] + times[k]["sys"] for k in times if times[k]})
            a = runs["async"]
            io = a.get("io_thread")
            n = io["data_files"] if io else 0
            if n:
                row["io_cpu"] = io["data_file_cpu_seconds"] / n
                row["io_wall"] = io["data_file_wall_seconds"] / n
                row["handover"] = a["phases"].get("checkpoint", 0.0) / n
            rows.append(row)
        if not rows:
            continue
        m = lambda k: med(r[k] for r in rows) if all(k in r for r in rows) else None
        ratio = lambda a, b: med(r[a] / r[b] for r in rows)
        asy, syn = 100 * (ratio("async", "none") - 1), 100 * (ratio("sync", "none") - 1)
        goal = 5 if t == 1 else 15
        print(f"== {side}, {t} compute thread(s), {len(rows)} rounds ==")
        print(f"  loop s: none {m('none'):.3f}  async {m('async'):.3f}  sync {m('sync'):.3f}")
        print(f"  async overhead {asy:+.1f} % (goal <= {goal} %: {'met' if asy <= goal else 'NOT met'})"
              f"   sync overhead {syn:+.1f} %")
        beside = [load(f"{side}_beside_t{t}_{r}.json") for r in range(1, reps + 1)]
        nones = [load(f"{side}_none_t{t}_{r}.json") for r in range(1, reps + 1)]
        pairs = [(b["loop_seconds"], n["loop_seconds"]) for b, n in zip(beside, nones) if b and n]
        if pairs:
            print(f"  bare O_DIRECT writes beside the none run (another process, same cadence): loop"
                  f" {med(b for b, _ in pairs):.3f} s, {100 * (med(b / n for b, n in pairs) - 1):+.1f} %"
                  f" (the floor of async overhead here)")
        if m("cpu_none") is not None:
            extra = (m("cpu_async") - m("cpu_none")) / 10
            print(f"  process CPU s: none {m('cpu_none'):.2f}  async {m('cpu_async'):.2f}  sync {m('cpu_sync'):.2f}"
                  f"  (async extra per checkpoint {extra:.3f} s)")
        if m("io_cpu") is not None:
            print(f"  per checkpoint: I/O thread cpu {m('io_cpu'):.4f} s wall {m('io_wall'):.4f} s;"
                  f" compute-thread hand-over {m('handover'):.4f} s")
            q = m("io_cpu") / raw_cpu
            print(f"  I/O-path cpu / floor cpu = {q:.2f} (goal <= 1.5: {'met' if q <= 1.5 else 'NOT met'});"
                  f" with the hand-over {(m('io_cpu') + m('handover')) / raw_cpu:.2f}")

if len(sides) == 2:
    a, b = sides
    print(f"== A/B: {a} / {b}, medians of per-round ratios ==")
    for t in (1, 2):
        for k in ("none", "async", "sync"):
            rs, cs = [], []
            for r in range(1, reps + 1):
                x, y = load(f"{a}_{k}_t{t}_{r}.json"), load(f"{b}_{k}_t{t}_{r}.json")
                if x and y:
                    rs.append(x["loop_seconds"] / y["loop_seconds"])
                tx, ty = load(f"{a}_{k}_t{t}_{r}.time"), load(f"{b}_{k}_t{t}_{r}.time")
                if tx and ty:
                    cs.append((tx["user"] + tx["sys"]) / (ty["user"] + ty["sys"]))
            if rs:
                cpu = f"  process CPU {med(cs):.3f}" if cs else ""
                print(f"  {t} thread(s) {k:>5}: loop time {med(rs):.3f}{cpu}")
