//! Temporal blocking of the 2-D heat stencil: k explicit steps in one sweep over memory.
//!
//! At sizes far beyond the caches, one step of the 5-point update reads and writes the whole field
//! (16 bytes per cell update) and runs at the memory bandwidth, not at the core's arithmetic
//! speed. Here a band of rows is advanced through k time levels as a wavefront: level j
//! (1 <= j < k) keeps only its last three rows, in a ring buffer small enough for the L2 cache,
//! and computes row t right after level j-1 has computed row t+1. Level k (the result) goes to the
//! output field. The field is read once and written once per k steps: 16/k bytes per update.
//! (Wellein, Hager, Zeiser, Wittmann, Fehske, "Efficient temporal blocking for stencil
//! computations by multicore-aware wavefront parallelization", COMPSAC 2009; Datta et al.,
//! "Stencil computation optimization and auto-tuning on state-of-the-art multicore
//! architectures", SC 2008.)
//!
//! The same bits as k single steps: every cell of every level is computed by the single-step
//! expression ([`super::kernel::Row2d`]) with the coefficients of its own step, and the ghost
//! cells of every intermediate level by the same boundary formulas ([`Ghost::value`]).
//!
//! What it needs from the source field: halos k deep, corners included, on faces shared with
//! another rank or periodic; the one-deep ghosts of physical faces (next to halo cells too).
//! Level j is computed over the output region grown by k - j cells towards every face that is not
//! a physical boundary (into the halo where the region touches one), so neighbouring bands and
//! ranks compute a few rows twice: about 2 (k - 1) rows per band and level, well under 1 % for
//! bands of a few hundred rows.
//!
//! Level 1 is the only one reading memory (the field's row t + 1); it prefetches row t + 2 into L2
//! a tick ahead, so no row starts by waiting for memory (measured on a Zen 5 core at 4096^2:
//! 1.09x / 1.13x on 1 / 2 threads).

use super::boundary::{Ghost, Sides};
use super::kernel::{prefetch_l2, Coef, Row2d, STREAMING_THRESHOLD_BYTES};
use crate::field::{Field, Region};
use crate::par::Exec;

/// The most steps one sweep may fuse (halo depth and ring buffers grow with it).
pub const MAX_STEPS: usize = 8;

/// Steps per sweep for a ring budget of `ring_bytes` ([`super::sweep_trial::ring_budgets`]): the
/// most k (2 to [`MAX_STEPS`]) whose ring buffers, three rows of the padded row (`width` values
/// and a halo of k on each side) for each of the k - 1 intermediate levels, fit it. Measured at
/// 4096^2 on a 2 MiB L2 with half of it for the rings: 8 steps per sweep; at 8192^2 the choice (6)
/// beat 8, whose rings no longer fit there.
pub fn auto_steps(width: usize, ring_bytes: usize) -> usize {
    let rings = |k: usize| (k - 1) * 3 * (width + 2 * k) * size_of::<f64>();
    (2..=MAX_STEPS).rev().find(|&k| rings(k) <= ring_bytes).unwrap_or(2)
}

/// Advance `region` of the 2-D field `src` by `coefs.len()` steps (the i-th with `coefs[i]`) into
/// `dst`. See the module docs for what `src` must hold; `sides` names the physical faces.
pub fn advance_2d(exec: &Exec, src: &Field, dst: &mut Field, coefs: &[Coef], region: Region, sides: &Sides) {
    let streaming = src.data.len() * 8 > STREAMING_THRESHOLD_BYTES;
    advance_2d_with(exec, src, dst, coefs, region, sides, Row2d::pick(streaming));
}

/// [`advance_2d`] with the row kernel chosen by the caller (benchmarks; the bits are the same).
pub fn advance_2d_with(
    exec: &Exec,
    src: &Field,
    dst: &mut Field,
    coefs: &[Coef],
    region: Region,
    sides: &Sides,
    row: Row2d,
) {
    let k = coefs.len();
    assert!((1..=MAX_STEPS).contains(&k), "1..={MAX_STEPS} steps per sweep");
    assert!(src.n[0] == 1 && src.h[0] == 0 && src.n == dst.n && src.h == dst.h, "2-D fields of one shape");
    for (axis, s) in sides.iter().enumerate().skip(1) {
        for side in s {
            assert!(side.is_some() || src.h[axis] >= k, "halo of {} < {k} steps on axis {axis}", src.h[axis]);
        }
    }
    let rows = region.hi[1].saturating_sub(region.lo[1]);
    // Enough bands to balance the threads, tall enough that the rows computed twice stay few.
    let band = if exec.threads() == 1 { rows } else { (rows / (4 * exec.threads())).max(16 * k) };
    let plan = Plan::new(src, coefs, region, sides, row);
    exec.for_each_band(dst, region, band, |y0, y1, out| plan.band(src, y0, y1, out));
}

/// The cell range `r` of an axis of `n` cells grown by `g` on each side, except beyond a physical
/// face (whose ghosts come from its formula).
pub(super) fn grow(r: (isize, isize), g: isize, n: isize, sides: [Option<Ghost>; 2]) -> (isize, isize) {
    let lo = if sides[0].is_some() { (r.0 - g).max(0) } else { r.0 - g };
    let hi = if sides[1].is_some() { (r.1 + g).min(n) } else { r.1 + g };
    (lo, hi)
}

/// What every band shares: geometry, the row ranges of the levels, coefficients.
struct Plan<'a> {
    coefs: &'a [Coef],
    sides: &'a Sides,
    /// Row kernels for the output (maybe with streaming stores) and for the ring buffers (never:
    /// those rows are read again at once, from cache).
    row: Row2d,
    ring_row: Row2d,
    /// Interior size (ny, nx), padded row length, halo offset of x = 0 in a row.
    ny: isize,
    nx: isize,
    w: usize,
    hx: isize,
    hy: isize,
    /// Columns computed at level j (index j, 1..=k; level k: the output columns).
    xs: Vec<(isize, isize)>,
}

impl<'a> Plan<'a> {
    fn new(src: &Field, coefs: &'a [Coef], region: Region, sides: &'a Sides, row: Row2d) -> Plan<'a> {
        let k = coefs.len();
        let (ny, nx) = (src.n[1] as isize, src.n[2] as isize);
        let (x0, x1) = (region.lo[2] as isize, region.hi[2] as isize);
        let xs = (0..=k)
            .map(|j| {
                let g = (k - j.max(1)) as isize;
                grow((x0, x1), g, nx, sides[2])
            })
            .collect();
        let ring_row = Row2d::pick(false);
        Plan {
            coefs,
            sides,
            row,
            ring_row,
            ny,
            nx,
            w: src.padded()[2],
            hx: src.h[2] as isize,
            hy: src.h[1] as isize,
            xs,
        }
    }

    /// Compute output rows y0..y1 into `out` (the padded rows y0..y1 of the output field).
    fn band(&self, src: &Field, y0: usize, y1: usize, out: &mut [f64]) {
        let k = self.coefs.len();
        let w = self.w;
        let (y0, y1) = (y0 as isize, y1 as isize);
        // Rows computed at level j: the band grown by k - j, within physical faces.
        let ys: Vec<(isize, isize)> =
            (0..=k).map(|j| grow((y0, y1), (k - j.max(1)) as isize, self.ny, self.sides[1])).collect();
        // Ring buffers of levels 1..k-1: three padded rows each; row t of level j in slot t mod 3.
        let mut rings = vec![0.0f64; (k - 1) * 3 * w];
        let slot = |t: isize| t.rem_euclid(3) as usize * w;
        // Level j computes row t at tick t + j: level j-1 has just computed row t + 1.
        let first = ys[1].0 + 1;
        let last = ys[k].1 - 1 + k as isize;
        for tick in first..=last {
            for j in 1..=k {
                let t = tick - j as isize;
                if t < ys[j].0 || t >= ys[j].1 {
                    continue;
                }
                let (xl, xr) = self.xs[j];
                let len = (xr - xl) as usize;
                let (before, rest) = rings.split_at_mut((j - 1).min(k - 1) * 3 * w);
                // Inputs: rows t-1, t, t+1 of level j-1 (the source field at level 0).
                let (prev, prev_off): (&[f64], [usize; 3]) = if j == 1 {
                    let at = |r: isize| ((r + self.hy) as usize) * w;
                    // The row of the field level 1 reads in the next tick, into L2 now (it comes
                    // from memory, and a row's start would wait for it).
                    if let Some(row) = src.data.get(at(t + 2)..at(t + 2) + w) {
                        prefetch_l2(row);
                    }
                    (&src.data[..], [at(t - 1), at(t), at(t + 1)])
                } else {
                    let prev = &mut before[(j - 2) * 3 * w..];
                    self.ghost_rows(prev, t, (xl, xr), &slot);
                    (&*prev, [slot(t - 1), slot(t), slot(t + 1)])
                };
                let ix = |x: isize| (x + self.hx) as usize;
                let c = &prev[prev_off[1] + ix(xl) - 1..prev_off[1] + ix(xr) + 1];
                let s = &prev[prev_off[0] + ix(xl)..prev_off[0] + ix(xr)];
                let n = &prev[prev_off[2] + ix(xl)..prev_off[2] + ix(xr)];
                let [_, cy, cx] = self.coefs[j - 1].c;
                if j == k {
                    let o = ((t - y0) as usize) * w;
                    self.row.run(&mut out[o + ix(xl)..o + ix(xl) + len], c, s, n, cx, cy);
                } else {
                    let cur = &mut rest[slot(t)..slot(t) + w];
                    self.ring_row.run(&mut cur[ix(xl)..ix(xr)], c, s, n, cx, cy);
                    // The physical x ghosts of this level's row, for the next level.
                    if let (Some(g), 0) = (self.sides[2][0], xl) {
                        cur[ix(-1)] = g.value(cur[ix(0)]);
                    }
                    if let (Some(g), true) = (self.sides[2][1], xr == self.nx) {
                        cur[ix(self.nx)] = g.value(cur[ix(self.nx - 1)]);
                    }
                }
            }
        }
    }

    /// Before level j computes row t from ring `prev` (level j-1): if row t-1 or t+1 is the ghost
    /// row of a physical y face, fill it from the row inside (columns `xs`). Its slot holds no
    /// live row: level j-1 is exactly one row ahead of level j.
    fn ghost_rows(&self, prev: &mut [f64], t: isize, xs: (isize, isize), slot: &impl Fn(isize) -> usize) {
        let ix = |x: isize| (x + self.hx) as usize;
        for (ghost, inner, g) in [(-1, 0, self.sides[1][0]), (self.ny, self.ny - 1, self.sides[1][1])] {
            let Some(g) = g else { continue };
            if t - 1 != ghost && t + 1 != ghost {
                continue;
            }
            let (go, io) = (slot(ghost), slot(inner));
            for x in xs.0..xs.1 {
                prev[go + ix(x)] = g.value(prev[io + ix(x)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::boundary::{fill_ghosts, Ghost, Sides};
    use super::super::kernel::{update_with, Coef, Row2d};
    use super::*;
    use crate::decomp::Decomp;
    use crate::par::{Comm, SingleComm};
    use crate::simd::Isa;

    /// `steps` single steps of the one-step kernel, halos and ghosts filled before each.
    fn single_steps(d: &Decomp, sides: &Sides, mut f: Field, coefs: &[Coef], threads: usize) -> Field {
        let exec = Exec::new(threads).unwrap();
        let mut next = f.clone();
        for &c in coefs {
            let region = Region::whole(f.n);
            let mut ghosts = |f: &mut Field, axis: usize, wh: [bool; 3]| fill_ghosts(f, sides, axis, wh);
            SingleComm.fill_halos_overlapped(d, &mut f, [0, 1, 1], &mut ghosts, &mut |_| {});
            update_with(&exec, &f, &mut next, c, region, false);
            std::mem::swap(&mut f, &mut next);
        }
        f
    }

    /// The same steps in one temporally blocked sweep, the region cut into an inner part and
    /// strips (as on a rank with neighbours) and computed in pieces.
    fn fused_steps(
        d: &Decomp,
        sides: &Sides,
        mut f: Field,
        coefs: &[Coef],
        threads: usize,
        cut: [usize; 3],
        row: Row2d,
    ) -> Field {
        let exec = Exec::new(threads).unwrap();
        let mut next = f.clone();
        let k = coefs.len();
        let mut ghosts = |f: &mut Field, axis: usize, wh: [bool; 3]| fill_ghosts(f, sides, axis, wh);
        SingleComm.fill_halos_overlapped(d, &mut f, [0, k, k], &mut ghosts, &mut |_| {});
        let (inner, strips) = Region::split_inner(f.n, cut);
        for r in std::iter::once(inner).chain(strips) {
            advance_2d_with(&exec, &f, &mut next, coefs, r, sides, row);
        }
        next
    }

    #[test]
    fn fused_sweeps_give_the_bits_of_single_steps() {
        let dir = Ghost::Dirichlet(0.75);
        let neu = Ghost::Neumann(-0.5, 0.01);
        // (y faces, x faces): None = periodic.
        type Faces = [Option<Ghost>; 2];
        let cases: [(Faces, Faces); 4] = [
            ([None, None], [None, None]),
            ([Some(dir), Some(neu)], [None, None]),
            ([None, None], [Some(neu), Some(dir)]),
            ([Some(neu), Some(dir)], [Some(dir), Some(neu)]),
        ];
        for (ny, nx) in [(37, 53), (5, 9), (2, 3), (1, 7)] {
            for (yc, xc) in cases {
                let periodic = [false, yc[0].is_none(), xc[0].is_none()];
                let d = Decomp::new([1, ny, nx], 2, 1, 0, periodic, None).unwrap();
                let sides: Sides = [[None, None], yc, xc];
                for k in 1..=5usize {
                    if (periodic[1] && k > ny) || (periodic[2] && k > nx) {
                        continue;
                    }
                    let coefs: Vec<Coef> =
                        (0..k).map(|i| Coef { c: [0.0, 0.11 + 0.01 * i as f64, 0.2 - 0.02 * i as f64] }).collect();
                    let f = Field::noisy([1, ny, nx], [0, k, k], (ny * nx + k) as u64);
                    let want = single_steps(&d, &sides, f.clone(), &coefs, 1);
                    for threads in [1, 3] {
                        for cut in [[0, 0, 0], [0, k, k], [0, 1, 2]] {
                            for row in
                                Isa::available().into_iter().flat_map(|i| [Row2d::new(i, false), Row2d::new(i, true)])
                            {
                                let got = fused_steps(&d, &sides, f.clone(), &coefs, threads, cut, row);
                                let same = (0..ny).all(|y| {
                                    got.row(0, y).iter().zip(want.row(0, y)).all(|(a, b)| a.to_bits() == b.to_bits())
                                });
                                assert!(
                                    same,
                                    "{ny}x{nx}, sides {sides:?}, k {k}, {threads} threads, cut {cut:?}, {row:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
