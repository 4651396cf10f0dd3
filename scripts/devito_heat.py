#!/usr/bin/env python3
"""Devito's explicit 5-point heat update on an N x N f64 grid: the problem of simrun's
examples/bench_heat.rs, for a side-by-side comparison (scripts/bench-devito.sh runs both).

The update is u.forward = u + c * laplace(u) (explicit Euler, second-order centred space, c chosen
so that alpha*dt/dx^2 = 0.2 per axis, as simrun's Coef { c: [0, 0.2, 0.2] }). The Operator is
built once (DEVITO_LANGUAGE=openmp, opt='advanced' with Devito's default options; no time tiling),
warmed up with one apply, then `op.apply(time_M=STEPS-1)` is timed with a wall clock, REPEATS
times. The thread count is OMP_NUM_THREADS (Devito's default `nthreads`), set by the caller.

Prints one machine-readable line (the primary number, wall time around apply):
  devito threads=T mlups_median=X mlups_min=X mlups_max=X repeats=R steps=S n=N version=V
and, on stderr, the same from Devito's own section timers (its performance summary) as a
cross-check.

Devito 4.8.23 generates one OpenMP loop over rows (schedule(dynamic,1)) with a SIMD inner loop for
this 2-D update and no cache blocking, so there are no block sizes to autotune; --show-code prints
the generated C.

usage: devito_heat.py [--n N] [--steps S] [--repeats R] [--show-code]
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("DEVITO_LANGUAGE", "openmp")
os.environ.setdefault("DEVITO_LOGGING", "WARNING")

import numpy as np  # noqa: E402
from devito import Eq, Grid, Operator, TimeFunction, __version__ as devito_version  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=20, help="time steps per timed apply")
    ap.add_argument("--repeats", type=int, default=5, help="timed applies after one warm-up apply")
    ap.add_argument("--show-code", action="store_true", help="print the generated C to stderr")
    a = ap.parse_args()
    n, steps = a.n, a.steps

    grid = Grid(shape=(n, n), dtype=np.float64)
    u = TimeFunction(name="u", grid=grid, space_order=2)
    h = grid.spacing[0]
    # alpha*dt = 0.2*h^2, so the update is u + 0.2 * (5-point sum - 4u) per cell, as simrun's kernel.
    c = 0.2 * h * h
    op = Operator([Eq(u.forward, u + c * u.laplace)], opt=("advanced", {}))
    if a.show_code:
        print(op.ccode, file=sys.stderr)

    # Same initial pattern as bench_heat.rs (values in [0, 0.96]); the values don't affect speed.
    init = (np.arange(n * n, dtype=np.int64) % 97).astype(np.float64).reshape(n, n) * 0.01
    u.data[0, :, :] = init
    u.data[1, :, :] = init

    threads = int(os.environ.get("OMP_NUM_THREADS", "0")) or None
    # Warm-up: JIT compile (cached across processes by Devito) and first touch of the buffers.
    op.apply(time_M=steps - 1)
    rates, own = [], []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        summary = op.apply(time_M=steps - 1)
        dt = time.perf_counter() - t0
        rates.append(n * n * steps / dt / 1e6)
        # Devito's own timers (C-level, around the compute sections only): cross-check.
        try:
            own.append(n * n * steps / sum(v.time for v in summary.values()) / 1e6)
        except Exception:
            pass
    if not np.isfinite(u.data[0, n // 2, n // 2]):
        sys.exit("devito_heat: non-finite result")
    print(f"devito threads={threads or 'default'} mlups_median={statistics.median(rates):.1f} "
          f"mlups_min={min(rates):.1f} mlups_max={max(rates):.1f} repeats={a.repeats} steps={steps} "
          f"n={n} version={devito_version}", flush=True)
    if own:
        print(f"devito-own-report threads={threads or 'default'} mlups_median={statistics.median(own):.1f} "
              f"(from Devito's own section timers; cross-check)", file=sys.stderr)


if __name__ == "__main__":
    main()
