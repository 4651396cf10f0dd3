#!/usr/bin/env python3
"""Markdown tables from scripts/bench-peers.sh's measurements (one JSON object per line):
medians over rounds (min-max), and ratios as medians of the per-round ratios.

usage: summarize.py RESULTS.jsonl      (HEAT_N, HEAT_STEPS from the environment for the titles)
"""
import json
import os
import statistics
import sys
from collections import defaultdict


def med(v):
    return statistics.median(v) if v else float("nan")


def rng(v, f="{:.0f}"):
    return f"{f.format(med(v))} ({f.format(min(v))}-{f.format(max(v))})" if len(v) > 1 else f.format(med(v))


def ratio(num, den):
    """Median of per-round ratios num[r] / den[r] over the rounds both have."""
    rs = [num[r] / den[r] for r in num if r in den and den[r] > 0]
    return med(rs)


def heat(rows):
    n = rows[0].get("n", os.environ.get("HEAT_N", "?"))
    s = rows[0].get("steps", os.environ.get("HEAT_STEPS", "?"))
    by = defaultdict(dict)  # (cores, code) -> round -> mlups
    for x in rows:
        by[(x["cores"], x["code"])][x["round"]] = x["mlups"]
    print(f"## Heat 2-D {n}^2 x {s} steps (MLUPS = million cell updates per second, wall time)\n")
    print("| cores | code | MLUPS | % of copy bound | simrun (threads) / this |")
    print("|---|---|---|---|---|")
    for c in (1, 2):
        bound = by.get((c, "bound"), {})
        ref = by.get((c, f"simrun, {c} thread(s)"), {})
        codes = [k[1] for k in by if k[0] == c and k[1] != "bound"]
        order = sorted(codes, key=lambda k: (not k.startswith("simrun"), "ranks" in k, k))
        for code in order:
            v = by[(c, code)]
            pct = med([100 * v[r] / bound[r] for r in v if r in bound])
            rel = "1" if code == f"simrun, {c} thread(s)" else f"{ratio(ref, v):.2f}x"
            print(f"| {c} | {code} | {rng(list(v.values()))} | {pct:.0f} % | {rel} |")
    b = {c: med(list(by.get((c, "bound"), {}).values())) for c in (1, 2)}
    print(f"\nCopy bound (copy GB/s / 16 B per update, measured each round): {b[1]:.0f} MLUPS on 1 thread, "
          f"{b[2]:.0f} on 2.\n")


def weather(rows):
    by = defaultdict(dict)
    meta = {}
    for x in rows:
        key = (x["problem"], x["cores"], x["code"])
        by[key][x["round"]] = x["seconds"]
        if "steps" in x:
            meta[x["problem"]] = (x["cells"], x["steps"])
    print("## Weather, thermal case (miniWeather C++ MPI vs simrun, output off; time-loop wall seconds)\n")
    print("| problem | cores | code | loop s | M cell-steps/s | speed-up over miniWeather |")
    print("|---|---|---|---|---|---|")
    problems = list(dict.fromkeys(k[0] for k in by))
    for p in problems:
        for c in sorted({k[1] for k in by if k[0] == p}):
            ref = by.get((p, c, f"miniWeather, {c} rank(s)"), {})
            codes = sorted((k[2] for k in by if k[0] == p and k[1] == c),
                           key=lambda k: (k.startswith("simrun"), "ranks" in k, k))
            for code in codes:
                v = by[(p, c, code)]
                cells, steps = meta.get(p, (0, 0))
                rate = med([cells * steps / t / 1e6 for t in v.values()]) if steps else float("nan")
                rel = "1" if code.startswith("miniWeather") else f"{ratio(ref, v):.2f}x"
                print(f"| {p} | {c} | {code} | {rng(list(v.values()), '{:.3f}')} | {rate:.2f} | {rel} |")
    print("\nM cell-steps/s from simrun's step count (both use dt = 1.5 min(dx, dz) / 450 m/s and shorten the last step).\n")


def cavity(rows):
    by = defaultdict(list)
    for x in rows:
        by[(x["re"], x["code"])].append(x)
    print("## Lid-driven cavity from rest to steady state, 1 core (process wall and CPU seconds)\n")
    print("| Re | grid | code | wall s | CPU s | steps / iterations | max dev. from Ghia "
          "| max dev. from Botella & Peyret extrema | wall / simrun's | CPU / simrun's |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    # Time-accurate codes against simrun's time steps, steady solvers against its pseudo-time.
    pairs = (("simrun", "simrun"), ("icoFoam", "simrun"),
             ("simrun pseudo-time", "simrun pseudo-time"), ("simpleFoam", "simrun pseudo-time"))
    for re in sorted({k[0] for k in by}):
        for code, base in pairs:
            xs = by.get((re, code))
            if not xs:
                continue
            ref = {x["round"]: x["seconds"] for x in by.get((re, base), [])}
            ref_cpu = {x["round"]: x["cpu"] for x in by.get((re, base), [])}
            secs = {x["round"]: x["seconds"] for x in xs}
            cpu = {x["round"]: x["cpu"] for x in xs}
            rel = "1 | 1" if code == base else f"{ratio(secs, ref):.2f}x | {ratio(cpu, ref_cpu):.2f}x"
            bot = med([x["botella"] for x in xs])
            bot = "-" if bot != bot else f"{bot:.4f}"
            n = xs[0]["n"]
            print(f"| {re} | {n}^2 | {code} | {rng(list(secs.values()), '{:.1f}')} | {med([x['cpu'] for x in xs]):.1f} | "
                  f"{med([x['steps'] for x in xs]):.0f} | {med([x['ghia'] for x in xs]):.4f} | {bot} | {rel} |")
    ico, simple = os.environ.get("ICO_STEADY", "1e-6"), os.environ.get("SIMPLE_TOL", "1e-7")
    print("\nsimrun runs configs/cavity-reRE.toml (time steps) and configs/cavity-reRE-steady.toml (pseudo-time)")
    print("as the files say (stopping rules included); icoFoam's ratios are to simrun's time steps, simpleFoam's")
    print(f"to its pseudo-time. icoFoam stops when the initial residuals of U and p fall below {ico}")
    print(f"(runTimeControl), simpleFoam when they fall below {simple} (residualControl). Deviations: max")
    print("|model - reference| at Ghia's centreline points (u and v), and the largest error of the three")
    print("centreline extrema at Re 1000 (scripts/peers/cavity_metrics.py).\n")


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    parts = defaultdict(list)
    for x in rows:
        parts[x["part"]].append(x)
    for name, f in (("heat", heat), ("weather", weather), ("cavity", cavity)):
        if parts.get(name):
            f(parts[name])


if __name__ == "__main__":
    main()
