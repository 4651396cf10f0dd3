#!/usr/bin/env python3
"""Collect simrun --report JSON files and print medians. Used by the scripts/bench-*.sh.

usage: bench_stats.py LABEL=GLOB [LABEL=GLOB ...]
"""
import glob
import json
import statistics
import sys


def load(pattern):
    runs = []
    for f in sorted(glob.glob(pattern)):
        with open(f) as fh:
            runs.append(json.load(fh))
    return runs


def main():
    rows = []
    for arg in sys.argv[1:]:
        label, pattern = arg.split("=", 1)
        runs = load(pattern)
        if not runs:
            print(f"{label}: no reports match {pattern}", file=sys.stderr)
            continue
        mlups = [r["cell_updates_per_second"] / 1e6 for r in runs]
        loop = [r["loop_seconds"] for r in runs]
        wall = [r["wall_seconds"] for r in runs]
        ph = runs[0]["phases_over_ranks"]
        def share(name):
            vals = []
            for r in runs:
                p = r["phases_over_ranks"]
                step_time = p.get("compute", {}).get("max", 0) + p.get("halo", {}).get("max", 0)
                vals.append(p.get(name, {}).get("max", 0) / step_time if step_time > 0 else 0)
            return statistics.median(vals)
        io_wait = statistics.median([r["phases_over_ranks"].get("io_wait", {}).get("max", 0) for r in runs])
        handoff = statistics.median([r["phases_over_ranks"].get("checkpoint", {}).get("max", 0) for r in runs])
        rows.append((label, len(runs), statistics.median(mlups), min(mlups), max(mlups), statistics.median(loop),
                     statistics.median(wall), share("halo"), handoff, io_wait))
    print(f"{'run':32} {'n':>2} {'MLUPS med':>10} {'min':>8} {'max':>8} {'loop s':>8} {'wall s':>8} {'halo%':>6} {'handoff s':>9} {'io_wait s':>9}")
    for r in rows:
        print(f"{r[0]:32} {r[1]:>2} {r[2]:>10.1f} {r[3]:>8.1f} {r[4]:>8.1f} {r[5]:>8.3f} {r[6]:>8.3f} {100*r[7]:>6.1f} {r[8]:>9.3f} {r[9]:>9.3f}")


if __name__ == "__main__":
    main()
