#!/usr/bin/env python3
"""Accuracy of a lid-driven cavity solution (unit square, lid u = 1 at y = 1) against Ghia, Ghia &
Shin (1982) and, at Re = 1000, Botella & Peyret (1998), computed the same way for every solver:

  cavity_metrics.py openfoam CASE_DIR RE      # last time directory's cell-centred U (ascii), n x n
  cavity_metrics.py simrun PREFIX RE          # PREFIX-u.csv / PREFIX-v.csv of src/bin/cavity-profiles

Profiles: u on x = 0.5 and v on y = 0.5 with the wall values (0 at the walls, 1 at the lid).
OpenFOAM's cells straddle the centrelines on an even grid: the two neighbouring cell centres are
averaged (second order, as the MAC grid's face value is for simrun). The metrics mirror
src/models/navier_stokes/profiles.rs: the model profile at each of Ghia's points by cubic Lagrange
interpolation over the 4 nearest nodes, max |deviation| over u and v; the extrema (u_min, v_max,
v_min) of that cubic interpolant, and their largest absolute difference from Botella & Peyret's
spectral values (Re = 1000 only). The reference tables are the repository's assets/reference/*.csv.

Prints one line: "cavity-metrics re=R ghia_max=X botella_max=Y u_min=.. v_max=.. v_min=.."
(botella_max and the extrema are "nan" away from Re = 1000).
"""
import math
import os
import re as regex
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "reference")


def ghia(name, re):
    rows = [l.strip() for l in open(os.path.join(ROOT, name)) if l.strip() and not l.lstrip().startswith("#")]
    head = [h.strip() for h in rows[0].split(",")]
    col = head.index(f"re{re}")
    pts = sorted((float(r.split(",")[1]), float(r.split(",")[col])) for r in rows[1:])
    return pts


def botella():
    out = {}
    for l in open(os.path.join(ROOT, "botella_peyret1998_re1000_extrema.csv")):
        f = l.strip().split(",")
        if f[0] in ("u_min", "v_max", "v_min"):
            out[f[0]] = float(f[1])
    return out


def interpolate(p, x):
    n = len(p)
    k = next((i for i, q in enumerate(p) if q[0] >= x), n)
    start = min(max(k - 2, 0), max(n - 4, 0))
    nodes = p[start:start + 4]
    s = 0.0
    for a, (xa, ya) in enumerate(nodes):
        w = 1.0
        for b, (xb, _) in enumerate(nodes):
            if a != b:
                w *= (x - xb) / (xa - xb)
        s += w * ya
    return s


def extremum(p, want_max):
    sign = 1.0 if want_max else -1.0
    k = max(range(len(p)), key=lambda i: sign * p[i][1])
    lo, hi = p[max(k - 1, 0)][0], p[min(k + 1, len(p) - 1)][0]
    best = p[k][1]
    for i in range(2001):
        v = interpolate(p, lo + (hi - lo) * i / 2000)
        if sign * v > sign * best:
            best = v
    return best


def read_openfoam(case):
    times = [d for d in os.listdir(case) if regex.fullmatch(r"[0-9.eE+-]+", d) and d != "0"]
    if not times:
        sys.exit(f"cavity_metrics: no time directory in {case}")
    last = max(times, key=float)
    text = open(os.path.join(case, last, "U")).read()
    m = regex.search(r"internalField\s+nonuniform\s+List<vector>\s*(\d+)\s*\(", text)
    if not m:
        sys.exit(f"cavity_metrics: {case}/{last}/U has no nonuniform ascii internalField")
    count = int(m.group(1))
    vecs = regex.findall(r"\(([^()]+)\)", text[m.end():])[:count]
    u = [float(v.split()[0]) for v in vecs]
    v = [float(v.split()[1]) for v in vecs]
    n = int(round(math.sqrt(count)))
    if n * n != count or n % 2:
        sys.exit(f"cavity_metrics: expected an even n x n mesh, got {count} cells")
    h = 1.0 / n
    # blockMesh numbers cells x fastest: cell (i, j) = j * n + i.
    pu = [(0.0, 0.0)] + [((j + 0.5) * h, 0.5 * (u[j * n + n // 2 - 1] + u[j * n + n // 2])) for j in range(n)] + [(1.0, 1.0)]
    pv = [(0.0, 0.0)] + [((i + 0.5) * h, 0.5 * (v[(n // 2 - 1) * n + i] + v[(n // 2) * n + i])) for i in range(n)] + [(1.0, 0.0)]
    return pu, pv


def read_simrun_csv(path):
    # cavity-profiles writes Ghia's points first, a blank line, then "coord,model_q" and the nodes.
    blocks = open(path).read().split("\n\n")
    lines = [l for l in blocks[-1].splitlines() if l and not l.startswith("#")][1:]
    return sorted((float(a), float(b)) for a, b in (l.split(",")[:2] for l in lines))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("openfoam", "simrun"):
        sys.exit(__doc__)
    kind, src, re = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "openfoam":
        pu, pv = read_openfoam(src)
    else:
        pu, pv = read_simrun_csv(src + "-u.csv"), read_simrun_csv(src + "-v.csv")
    gu = ghia("ghia1982_u_vertical_centreline.csv", re)
    gv = ghia("ghia1982_v_horizontal_centreline.csv", re)
    dev = max(abs(interpolate(p, x) - r) for p, g in ((pu, gu), (pv, gv)) for x, r in g)
    ext = {"u_min": extremum(pu, False), "v_max": extremum(pv, True), "v_min": extremum(pv, False)}
    bmax = max(abs(ext[k] - b) for k, b in botella().items()) if re == 1000 else float("nan")
    print(f"cavity-metrics re={re} ghia_max={dev:.5f} botella_max={bmax:.5f} "
          + " ".join(f"{k}={v:.5f}" for k, v in ext.items()))


if __name__ == "__main__":
    main()
