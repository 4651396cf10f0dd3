//! Temporal blocking of the 3-D heat stencil: k explicit steps of the 7-point update in one sweep
//! over memory, the 3-D counterpart of [`super::fused`].
//!
//! The wavefront runs along z: level j (1 <= j < k) keeps its last three z-planes in a ring
//! buffer and computes plane t right after level j-1 has computed plane t+1; level k writes the
//! output. A whole plane of a large grid does not fit a cache, so the planes are cut into bands of
//! y-rows, one band per task: a band's ring holds only its rows (grown by k - j rows on each side
//! for level j) and is sized to a ring budget ([`super::sweep_trial::ring_budgets`]: half the L2
//! cache, or more). Inside a band the levels also advance as a wavefront along y: in each z step
//! level 1 computes a few rows, then level j computes its rows up to one behind level j-1, so the
//! rows a level reads from the plane just computed are still in L1. The rings are each thread's own buffers, kept from sweep to sweep.
//! The field is read once and written once per k steps; the price is the rows a band recomputes
//! that its neighbours also compute, about (k - 1) / band height per level. Level 1 is the only
//! one reading memory (the field's plane t + 1), in short runs of rows the hardware prefetchers
//! barely see; so it prefetches the rows of plane t + 2 into L2 a tick ahead (measured on a Zen 5
//! core: 1.21x / 1.17x at 256^3 on 1 / 2 threads, 1.12x at 512^3). Row by row, each level asks
//! for the one row of the next row not in L1 yet: level 1 its input row of plane t + 1, level k
//! its output row, before it is stored to (1.16x / 1.11x at 256^3, 1.14x / 1.08x at 512^3; 5 and
//! 3 interleaved rounds). Asking for the rings' rows too made it 8 % slower.
//!
//! Same bits as k single steps: every cell of every level is computed by the single-step
//! expression ([`super::kernel::Row3d`]) with its own step's coefficients, ghost cells of every
//! level by the same formulas ([`super::boundary::Ghost`]). Needs from the source field: halos k
//! deep (edges and corners included) where a face is shared with a neighbour or periodic, and the
//! one-deep ghosts of physical faces, next to halo cells too (see
//! [`crate::par::Comm::fill_halos_overlapped`]).

use super::boundary::{Ghost, Sides};
use super::fused::{grow, MAX_STEPS};
use super::kernel::{prefetch_l1, prefetch_l2, Coef, Row3d};
use crate::field::{Field, Region};
use crate::par::Exec;

/// Steps per sweep for a ring budget of `ring_bytes` in 3-D: the most k, up to 4, whose ring
/// buffers for a band of 12 rows (of `width` values and a halo of k on each side) fit it, at
/// least 2.
/// Measured at 128^3, 256^3 and 384^3 on a 2 MiB L2 with half of it for the rings
/// (scripts/bench-heat.sh): 4 beats 2, 3 and 6 (more steps per sweep cost more rows computed
/// twice at band edges than they save). At 512^3 on a 1 MiB L2, 3 steps in bands of 15 rows beat
/// 2 steps in bands of 37 by 1.10x / 1.20x on 1 / 2 threads (5 interleaved rounds; a band of 16
/// rows, the rule before, just missed 3 steps).
pub fn auto_steps(width: usize, ring_bytes: usize) -> usize {
    (2..=4).rev().find(|&k| (12 + 2 * k) * ring_bytes_per_row(k, width + 2 * k) <= ring_bytes).unwrap_or(2)
}

/// Bytes of the ring buffers of k - 1 levels (three planes each) per row of `px` values in a plane.
fn ring_bytes_per_row(k: usize, px: usize) -> usize {
    (k.max(2) - 1) * 3 * px * size_of::<f64>()
}

/// Advance `region` of the 3-D field `src` by `coefs.len()` steps into `dst`, in bands of rows
/// whose ring buffers fit `ring_bytes` ([`super::sweep_trial::ring_budgets`]).
#[allow(clippy::too_many_arguments)]
pub fn advance_3d(
    exec: &Exec,
    src: &Field,
    dst: &mut Field,
    coefs: &[Coef],
    region: Region,
    sides: &Sides,
    ring_bytes: usize,
) {
    advance_3d_with(exec, src, dst, coefs, region, sides, ring_bytes, Row3d::pick())
}

/// [`advance_3d`] with the row kernel chosen by the caller (tests; the bits are the same).
#[allow(clippy::too_many_arguments)]
pub fn advance_3d_with(
    exec: &Exec,
    src: &Field,
    dst: &mut Field,
    coefs: &[Coef],
    region: Region,
    sides: &Sides,
    ring_bytes: usize,
    row: Row3d,
) {
    let k = coefs.len();
    assert!((1..=MAX_STEPS).contains(&k), "1..={MAX_STEPS} steps per sweep");
    assert!(src.n == dst.n && src.h == dst.h, "fields of one shape");
    for (axis, s) in sides.iter().enumerate() {
        for side in s {
            assert!(side.is_some() || src.h[axis] >= k, "halo of {} < {k} steps on axis {axis}", src.h[axis]);
        }
    }
    if region.is_empty() {
        return;
    }
    let plan = Plan::new(src, coefs, region, sides, row);
    let rows = region.hi[1] - region.lo[1];
    let band = band_rows(k, src.padded()[2], rows, exec.threads(), ring_bytes);
    let bands = rows.div_ceil(band);
    let out = OutPtr(dst.data.as_mut_ptr(), dst.data.len());
    exec.for_each_index(bands, |b| {
        let ya = region.lo[1] + b * band;
        let yb = (ya + band).min(region.hi[1]);
        plan.band(src, &out, ya as isize, yb as isize, CHUNK_ROWS);
    });
}

/// Rows per band: the ring buffers of k - 1 levels (three planes of band + 2k rows of `px` values
/// each) within `ring_bytes`, and as many bands as a multiple of the threads (where there are
/// rows enough), so no thread is left with one band more than the others.
pub fn band_rows(k: usize, px: usize, rows: usize, threads: usize, ring_bytes: usize) -> usize {
    let per_row = ring_bytes_per_row(k, px);
    let fit = (ring_bytes / per_row.max(1)).saturating_sub(2 * k).max(k).max(4);
    let t = threads.clamp(1, rows.max(1));
    let bands = rows.div_ceil(fit).div_ceil(t) * t;
    rows.div_ceil(bands.max(1)).max(1)
}

/// Rows level 1 computes per step of the y pipeline (2 to 8 measured alike at 256^3).
const CHUNK_ROWS: isize = 4;

/// The output field's data, written by bands in disjoint rows.
struct OutPtr(*mut f64, usize);
// SAFETY: every band writes only the output rows (z, y) with y in its own band; bands are disjoint.
unsafe impl Sync for OutPtr {}
// SAFETY: as for Sync: a plain pointer to data that outlives the sweep.
unsafe impl Send for OutPtr {}

struct Plan<'a> {
    coefs: &'a [Coef],
    sides: &'a Sides,
    row: Row3d,
    /// Interior size and halo widths (z, y, x); padded y and x lengths.
    n: [isize; 3],
    h: [isize; 3],
    py: usize,
    px: usize,
    /// Planes and columns computed at level j (index j, 1..=k; level k: the output).
    zs: Vec<(isize, isize)>,
    xs: Vec<(isize, isize)>,
}

impl<'a> Plan<'a> {
    fn new(src: &Field, coefs: &'a [Coef], region: Region, sides: &'a Sides, row: Row3d) -> Plan<'a> {
        let k = coefs.len();
        let n = src.n.map(|v| v as isize);
        let levels = |axis: usize| -> Vec<(isize, isize)> {
            let r = (region.lo[axis] as isize, region.hi[axis] as isize);
            (0..=k).map(|j| grow(r, (k - j.max(1)) as isize, n[axis], sides[axis])).collect()
        };
        let p = src.padded();
        Plan { coefs, sides, row, n, h: src.h.map(|v| v as isize), py: p[1], px: p[2], zs: levels(0), xs: levels(2) }
    }

    /// Output rows ya..yb (all planes and columns of the region).
    fn band(&self, src: &Field, out: &OutPtr, ya: isize, yb: isize, chunk: isize) {
        let k = self.coefs.len();
        let ys: Vec<(isize, isize)> =
            (0..=k).map(|j| grow((ya, yb), (k - j.max(1)) as isize, self.n[1], self.sides[1])).collect();
        // A ring plane holds rows y0..y0 + rows (every level's rows and its ghost rows).
        let y0 = ya - k as isize;
        let plane = ((yb - ya) as usize + 2 * k) * self.px;
        RINGS.with(|cell| {
            let mut rings = cell.borrow_mut();
            let want = (k - 1) * 3 * plane;
            if rings.len() < want {
                // Every cell a level reads is written first (in this sweep), so stale values from
                // an earlier sweep are never read: the buffer is only grown, not cleared.
                rings.resize(want, 0.0);
            }
            let rings = &mut rings[..want];
            let ring = Ring { y0, plane, hx: self.h[2], px: self.px };
            let first = self.zs[1].0 + 1;
            let last = self.zs[k].1 - 1 + k as isize;
            // Next row to compute at each level (index j) in this tick.
            let mut next = vec![0isize; k + 1];
            for tick in first..=last {
                let live = |j: usize| {
                    let t = tick - j as isize;
                    t >= self.zs[j].0 && t < self.zs[j].1
                };
                for j in 1..=k {
                    next[j] = if live(j) { ys[j].0 } else { ys[j].1 };
                    if live(j) && j >= 2 {
                        let (yl, yr) = ys[j];
                        let prev = &mut rings[(j - 2) * 3 * plane..(j - 1) * 3 * plane];
                        self.ghost_planes(prev, tick - j as isize, (yl, yr), self.xs[j], &ring);
                    }
                }
                // Level j computes row y once level j-1 has computed row y + 1 of this tick (and
                // its ghost rows): the rows it reads from the plane ahead are still in L1.
                while (1..=k).any(|j| next[j] < ys[j].1) {
                    for j in 1..=k {
                        let (yl, yr) = ys[j];
                        let upto = if j == 1 {
                            (next[1] + chunk).min(yr)
                        } else if next[j - 1] >= ys[j - 1].1 {
                            yr
                        } else {
                            (next[j - 1] - 1).min(yr)
                        };
                        if upto > next[j] {
                            self.rows(src, out, rings, &ring, j, tick - j as isize, (next[j], upto), (yl, yr));
                            next[j] = upto;
                        }
                    }
                }
            }
        });
    }

    #[inline]
    fn src_at(&self, z: isize, y: isize, x: isize) -> usize {
        let [hz, hy, hx] = self.h;
        (((z + hz) as usize) * self.py + (y + hy) as usize) * self.px + (x + hx) as usize
    }

    /// Level j, plane t: rows y range `rows` (of the level's rows `all`).
    #[allow(clippy::too_many_arguments)]
    fn rows(
        &self,
        src: &Field,
        out: &OutPtr,
        rings: &mut [f64],
        ring: &Ring,
        j: usize,
        t: isize,
        rows: (isize, isize),
        all: (isize, isize),
    ) {
        let k = self.coefs.len();
        let [_, ny, nx] = self.n;
        let plane = ring.plane;
        let src_at = |z: isize, y: isize, x: isize| self.src_at(z, y, x);
        let (xl, xr) = self.xs[j];
        let len = (xr - xl) as usize;
        let coef = self.coefs[j - 1].c;
        let (before, rest) = rings.split_at_mut((j - 1).min(k - 1) * 3 * plane);
        // Level j-1 as (data, index of (plane, row, column)).
        let prev: &[f64] = if j == 1 { &src.data } else { &before[(j - 2) * 3 * plane..] };
        let idx = |z: isize, y: isize, x: isize| if j == 1 { src_at(z, y, x) } else { ring.at(z, y, x) };
        if j == 1 {
            // Level 1 reads plane t + 1 of the field from memory while the other levels work in
            // the cache; ask for the rows of plane t + 2 now, into L2, so the next tick finds them
            // there.
            for y in rows.0..rows.1 {
                let at = src_at(t + 2, y, xl - 1);
                if let Some(row) = src.data.get(at..at + len + 2) {
                    prefetch_l2(row);
                }
            }
        }
        for y in rows.0..rows.1 {
            // The rows of the next row's inputs and output not in L1 yet: level 1's row
            // (t + 1, y + 1) of the field (in L2 by now) and level k's output row (t, y + 1), to be
            // written. The rings' rows are left to the hardware (asking for them too was slower).
            if j == k {
                let o = src_at(t, y + 1, xl);
                if o + len <= out.1 {
                    prefetch_l1(out.0.cast_const().wrapping_add(o), len);
                }
            }
            if j == 1 {
                let at = src_at(t + 1, y + 1, xl);
                if at + len <= src.data.len() {
                    prefetch_l1(src.data.as_ptr().wrapping_add(at), len);
                }
            }
            let ic = idx(t, y, xl);
            let c = &prev[ic - 1..ic + len + 1];
            let s = &prev[idx(t, y - 1, xl)..][..len];
            let nn = &prev[idx(t, y + 1, xl)..][..len];
            let d = &prev[idx(t - 1, y, xl)..][..len];
            let u = &prev[idx(t + 1, y, xl)..][..len];
            if j == k {
                let o = src_at(t, y, xl);
                assert!(o + len <= out.1);
                // SAFETY: in bounds (checked); row (t, y) belongs to this band only.
                let row = unsafe { std::slice::from_raw_parts_mut(out.0.add(o), len) };
                self.row.run(row, c, s, nn, d, u, coef);
            } else {
                let cur = &mut rest[..3 * plane];
                self.row.run(&mut cur[ring.at(t, y, xl)..ring.at(t, y, xr)], c, s, nn, d, u, coef);
                if let (Some(g), 0) = (self.sides[2][0], xl) {
                    cur[ring.at(t, y, -1)] = g.value(cur[ring.at(t, y, 0)]);
                }
                if let (Some(g), true) = (self.sides[2][1], xr == nx) {
                    cur[ring.at(t, y, nx)] = g.value(cur[ring.at(t, y, nx - 1)]);
                }
                // The physical y ghost rows of this plane, for the next level's y neighbours,
                // as soon as the row inside is done.
                for (g, ghost, inner, on) in
                    [(self.sides[1][0], -1, 0, all.0 == 0), (self.sides[1][1], ny, ny - 1, all.1 == ny)]
                {
                    if let (Some(g), true, true) = (g, on, inner == y) {
                        for x in xl..xr {
                            cur[ring.at(t, ghost, x)] = g.value(cur[ring.at(t, inner, x)]);
                        }
                    }
                }
            }
        }
    }

    /// Before level j computes plane t from ring `prev` (level j-1): if plane t-1 or t+1 is the
    /// ghost plane of a physical z face, fill it (rows `ys`, columns `xs`) from the plane inside.
    /// Its slot holds no live plane: level j-1 is exactly one plane ahead of level j.
    fn ghost_planes(&self, prev: &mut [f64], t: isize, ys: (isize, isize), xs: (isize, isize), ring: &Ring) {
        let nz = self.n[0];
        for (ghost, inner, g) in [(-1, 0, self.sides[0][0]), (nz, nz - 1, self.sides[0][1])] {
            let Some(g): Option<Ghost> = g else { continue };
            if t - 1 != ghost && t + 1 != ghost {
                continue;
            }
            for y in ys.0..ys.1 {
                for x in xs.0..xs.1 {
                    prev[ring.at(ghost, y, x)] = g.value(prev[ring.at(inner, y, x)]);
                }
            }
        }
    }
}

/// Index of (plane z, row y, column x) in a level's ring of three planes.
struct Ring {
    y0: isize,
    plane: usize,
    hx: isize,
    px: usize,
}

impl Ring {
    #[inline]
    fn at(&self, z: isize, y: isize, x: isize) -> usize {
        z.rem_euclid(3) as usize * self.plane + ((y - self.y0) as usize) * self.px + (x + self.hx) as usize
    }
}

thread_local! {
    /// Each thread's ring buffers, kept from sweep to sweep (no allocation and page faults per band).
    static RINGS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::super::boundary::{fill_ghosts, Ghost, Sides};
    use super::super::kernel::{update_with, Coef};
    use super::*;
    use crate::decomp::Decomp;
    use crate::par::{Comm, SingleComm};
    use crate::simd::Isa;

    /// A small ring budget (bands of a few rows: many bands even on these small grids).
    const RINGS: usize = 8 << 10;

    fn fill(d: &Decomp, sides: &Sides, f: &mut Field, w: usize) {
        let mut ghosts = |f: &mut Field, axis: usize, wh: [bool; 3]| fill_ghosts(f, sides, axis, wh);
        SingleComm.fill_halos_overlapped(d, f, [w; 3], &mut ghosts, &mut |_| {});
    }

    #[test]
    fn fused_3d_sweeps_give_the_bits_of_single_steps() {
        let dir = Ghost::Dirichlet(0.75);
        let neu = Ghost::Neumann(-0.5, 0.01);
        let cases: [Sides; 4] = [
            [[None, None], [None, None], [None, None]],
            [[Some(dir), Some(neu)], [None, None], [Some(neu), Some(dir)]],
            [[None, None], [Some(neu), Some(dir)], [None, None]],
            [[Some(neu), Some(dir)], [Some(dir), Some(neu)], [Some(dir), Some(neu)]],
        ];
        for n in [[7, 9, 11], [3, 5, 4], [2, 3, 2], [5, 1, 6]] {
            for sides in cases {
                let periodic = [sides[0][0].is_none(), sides[1][0].is_none(), sides[2][0].is_none()];
                let d = Decomp::new(n, 3, 1, 0, periodic, None).unwrap();
                for k in 1..=4usize {
                    if (0..3).any(|a| periodic[a] && k > n[a]) {
                        continue;
                    }
                    let coefs: Vec<Coef> = (0..k)
                        .map(|i| Coef { c: [0.05 + 0.01 * i as f64, 0.11 + 0.01 * i as f64, 0.15 - 0.02 * i as f64] })
                        .collect();
                    let f = Field::noisy(n, [k; 3], (n[0] * n[1] * n[2] + k) as u64);
                    // k single steps.
                    let exec = Exec::new(1).unwrap();
                    let mut want = f.clone();
                    let mut next = f.clone();
                    for &c in &coefs {
                        fill(&d, &sides, &mut want, 1);
                        update_with(&exec, &want, &mut next, c, Region::whole(n), false);
                        std::mem::swap(&mut want, &mut next);
                    }
                    for threads in [1, 3] {
                        let exec = Exec::new(threads).unwrap();
                        for cut in [[0, 0, 0], [k, k, k], [1, 2, 1]] {
                            let mut src = f.clone();
                            fill(&d, &sides, &mut src, k);
                            let mut got = f.clone();
                            let (inner, strips) = Region::split_inner(n, cut);
                            let isa = Isa::available()[(threads + cut[1]) % Isa::available().len()];
                            for r in std::iter::once(inner).chain(strips) {
                                advance_3d_with(&exec, &src, &mut got, &coefs, r, &sides, RINGS, Row3d::new(isa));
                            }
                            for z in 0..n[0] {
                                for y in 0..n[1] {
                                    let same = got
                                        .row(z, y)
                                        .iter()
                                        .zip(want.row(z, y))
                                        .all(|(a, b)| a.to_bits() == b.to_bits());
                                    assert!(
                                        same,
                                        "{n:?}, sides {sides:?}, k {k}, {threads} threads, cut {cut:?}, {isa:?}: z {z} y {y}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn auto_steps_leave_bands_of_twelve_rows() {
        // The steps chosen for a budget leave bands of at least 12 rows in it (the field padded
        // by a halo of those steps), and one step more would not.
        for width in [16, 100, 256, 512, 1000, 4096] {
            for budget in [64 << 10, 512 << 10, 1 << 20, 4 << 20, 16 << 20] {
                let k = auto_steps(width, budget);
                let band = |k: usize| band_rows(k, width + 2 * k, 10_000, 1, budget);
                assert!((2..=4).contains(&k));
                assert!(k == 2 || band(k) >= 12, "width {width} budget {budget}: k {k} band {}", band(k));
                assert!(k == 4 || band(k + 1) < 12, "width {width} budget {budget}: k {k}, k + 1 fits too");
            }
        }
    }

    #[test]
    fn bands_fit_the_cache_and_feed_every_thread() {
        let cases = [(4, 264, 256, 2), (2, 4100, 4096, 1), (8, 70, 3, 4), (1, 10, 1, 1), (4, 264, 256, 3), (4, 264, 100, 2)];
        for (k, px, rows, threads) in cases {
            let b = band_rows(k, px, rows, threads, 1 << 20);
            assert!(b >= 1 && b <= rows);
            let bands = rows.div_ceil(b);
            assert!(bands >= threads.min(rows), "k {k} px {px} rows {rows}: band {b}");
            // Balanced: the bands go round the threads evenly wherever rows allow it.
            assert!(bands % threads == 0 || rows < 2 * threads, "k {k} px {px} rows {rows} threads {threads}: {bands} bands");
        }
    }
}
