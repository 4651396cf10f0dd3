//! The heat-equation kernels: pure functions over a local block with a one-cell halo.
//!
//! Explicit Euler in time, second-order central differences in space (5-point in 2-D, 7-point in
//! 3-D):  T' = T + cx (T_w - 2T + T_e) + cy (T_s - 2T + T_n) [+ cz (T_d - 2T + T_u)],
//! c_a = alpha dt / d_a^2. Stable for sum_a c_a <= 1/2 (von Neumann).
//! Every cell is evaluated by the same expression in the same order, so any split of the rows over
//! threads or ranks gives the same bits.

use crate::field::{Field, Region};
use crate::par::Exec;
use crate::simd::{dispatch, Isa};

/// Coefficients c_a = alpha dt / d_a^2, (z, y, x); cz = 0 in 2-D.
#[derive(Debug, Clone, Copy)]
pub struct Coef {
    pub c: [f64; 3],
}

/// Fields larger than this (bytes) are written with non-temporal (streaming) stores where the CPU
/// has AVX2: they do not fit in cache anyway, and streaming saves the read-for-ownership of the
/// destination, so an update moves 16 bytes (one read, one write) instead of 24.
pub const STREAMING_THRESHOLD_BYTES: usize = 32 << 20;

/// Update the cells of `region` from `src` into `dst`. `src` halos next to `region` must be valid.
pub fn update(exec: &Exec, src: &Field, dst: &mut Field, coef: Coef, region: Region) {
    let streaming = src.data.len() * 8 > STREAMING_THRESHOLD_BYTES;
    update_with(exec, src, dst, coef, region, streaming);
}

/// [`update`] with the store kind chosen by the caller (benchmarks compare both; the bits are the
/// same either way).
pub fn update_with(exec: &Exec, src: &Field, dst: &mut Field, coef: Coef, region: Region, streaming: bool) {
    let s = src.strides();
    let three_d = src.n[0] > 1 || src.h[0] > 0;
    let [cz, cy, cx] = coef.c;
    let data = &src.data[..];
    let row2d = Row2d::pick(streaming);
    let row3d = Row3d::pick();
    exec.for_each_row(dst, region, |z, y, out| {
        let i = src.idx(z as isize, y as isize, region.lo[2] as isize);
        let len = out.len();
        let c = &data[i - 1..i + len + 1];
        let south = &data[i - s[1]..i - s[1] + len];
        let north = &data[i + s[1]..i + s[1] + len];
        if three_d {
            let down = &data[i - s[0]..i - s[0] + len];
            let up = &data[i + s[0]..i + s[0] + len];
            row3d.run(out, c, south, north, down, up, [cz, cy, cx]);
        } else {
            row2d.run(out, c, south, north, cx, cy);
        }
    });
}

/// The 2-D row kernel a sweep runs: portable, AVX2 or AVX-512 (from [`Isa`], so only where the CPU
/// has it), with ordinary or streaming stores (those in AVX2 intrinsics, also under AVX-512). Every variant computes the same expression in the same
/// order: the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row2d {
    isa: Isa,
    /// Non-temporal stores (AVX2 only), for outputs far larger than the caches.
    streaming: bool,
}

impl Row2d {
    /// The process's kernels ([`Isa::current`]), streaming stores if asked for.
    pub fn pick(streaming: bool) -> Row2d {
        Row2d::new(Isa::current(), streaming)
    }

    /// The kernel for `isa`; `streaming` is ignored without AVX2.
    pub fn new(isa: Isa, streaming: bool) -> Row2d {
        Row2d { isa, streaming: streaming && isa.avx2().is_some() }
    }

    /// out[i] = c[i+1] + cx (c[i] + c[i+2] - 2 c[i+1]) + cy (s[i] + n[i] - 2 c[i+1]);
    /// `c` has two more values than `out` (the west and east neighbours).
    #[inline]
    pub fn run(self, out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
        match self.isa.avx2() {
            #[cfg(target_arch = "x86_64")]
            Some(token) if self.streaming => avx2::row_2d_streaming(token, out, c, s, n, cx, cy),
            _ => row_2d_isa(self.isa, out, c, s, n, cx, cy),
        }
    }
}

/// The 3-D row kernel a sweep runs: portable, AVX2 or AVX-512 (see [`Row2d`]). No streaming stores:
/// measured at 256^3 and 384^3 they halve the throughput of the 3-D sweep (whose rows are short
/// and whose five input rows compete for the same line buffers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row3d {
    isa: Isa,
}

impl Row3d {
    /// The process's kernels ([`Isa::current`]).
    pub fn pick() -> Row3d {
        Row3d::new(Isa::current())
    }

    pub fn new(isa: Isa) -> Row3d {
        Row3d { isa }
    }

    /// The 7-point update of one row: `c` with the west and east neighbours, `s`/`n` the rows
    /// y -+ 1, `d`/`u` the rows z -+ 1; coefficients (cz, cy, cx).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn run(self, out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], d: &[f64], u: &[f64], coef: [f64; 3]) {
        let [cz, cy, cx] = coef;
        row_3d_isa(self.isa, out, c, s, n, d, u, cx, cy, cz)
    }
}

dispatch! { avx512
    /// [`row_2d`] compiled for `isa`.
    fn row_2d_isa(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) = row_2d
}
dispatch! { avx512
    /// [`row_3d`] compiled for `isa`.
    fn row_3d_isa(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], d: &[f64], u: &[f64], cx: f64, cy: f64, cz: f64) = row_3d
}

/// The 2-D row kernel with streaming stores, in AVX2 intrinsics. No FMA: the operations and
/// their order are those of [`row_2d`], so the bits are the same.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use crate::simd::Avx2;
    use std::arch::x86_64::*;

    /// See [`super::row_2d`]; `_token` proves the CPU has AVX2.
    pub fn row_2d_streaming(_token: Avx2, out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { streaming(out, c, s, n, cx, cy) }
    }

    /// Four cells at a time with streaming stores once the output is 32-byte aligned.
    #[target_feature(enable = "avx2")]
    fn streaming(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
        let len = out.len();
        let (c, s, n) = (&c[..len + 2], &s[..len], &n[..len]);
        let misalign = (out.as_ptr() as usize % 32) / 8;
        let head = (if misalign == 0 { 0 } else { 4 - misalign }).min(len);
        super::row_2d(&mut out[..head], &c[..head + 2], &s[..head], &n[..head], cx, cy);
        let quads = (len - head) / 4;
        let vcx = _mm256_set1_pd(cx);
        let vcy = _mm256_set1_pd(cy);
        let two = _mm256_set1_pd(2.0);
        let (cp, sp, np, op) = (c.as_ptr(), s.as_ptr(), n.as_ptr(), out.as_mut_ptr());
        for k in 0..quads {
            let i = head + 4 * k;
            // SAFETY: i + 3 < len, so c[i..i + 6] and s, n[i..i + 4] exist; out + i is 32-byte
            // aligned by construction of `head` and out[i..i + 4] exists.
            let (t, w, e, so, no) = unsafe {
                (
                    _mm256_loadu_pd(cp.add(i + 1)),
                    _mm256_loadu_pd(cp.add(i)),
                    _mm256_loadu_pd(cp.add(i + 2)),
                    _mm256_loadu_pd(sp.add(i)),
                    _mm256_loadu_pd(np.add(i)),
                )
            };
            let t2 = _mm256_mul_pd(two, t);
            let xs = _mm256_mul_pd(vcx, _mm256_sub_pd(_mm256_add_pd(w, e), t2));
            let ys = _mm256_mul_pd(vcy, _mm256_sub_pd(_mm256_add_pd(so, no), t2));
            // SAFETY: as above.
            unsafe { _mm256_stream_pd(op.add(i), _mm256_add_pd(_mm256_add_pd(t, xs), ys)) };
        }
        _mm_sfence();
        let done = head + 4 * quads;
        super::row_2d(&mut out[done..], &c[done..], &s[done..], &n[done..], cx, cy);
    }
}

/// Ask the memory system to bring `data` into L2, one prefetch per cache line (a hint: no effect
/// on any value; where the target has no such instruction, nothing).
#[inline]
pub(super) fn prefetch_l2(data: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    prefetch_lines::<{ std::arch::x86_64::_MM_HINT_T1 }>(data.as_ptr(), data.len());
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// As [`prefetch_l2`], into L1, for the `len` values from `at` (any address: a prefetch never
/// faults and reads nothing the program sees, so the values may be another thread's to write; a
/// line about to be stored to is then owned when written).
#[inline]
pub(super) fn prefetch_l1(at: *const f64, len: usize) {
    #[cfg(target_arch = "x86_64")]
    prefetch_lines::<{ std::arch::x86_64::_MM_HINT_T0 }>(at, len);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (at, len);
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn prefetch_lines<const HINT: i32>(at: *const f64, len: usize) {
    // One prefetch per line in a loop the compiler does not unroll: bursts of them measured
    // slower (fused_3d's L1 prefetches at 256^3: 1.16x with this loop, no gain unrolled by 8).
    let (mut p, mut rest) = (at, len);
    while rest > 0 {
        // SAFETY: a prefetch never faults, whatever the address (wrapping_add: no provenance needed).
        unsafe { std::arch::x86_64::_mm_prefetch::<HINT>(p.cast()) };
        let step = rest.min(8);
        p = p.wrapping_add(step);
        rest -= step;
    }
}

#[inline(always)]
fn row_2d(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
    let len = out.len();
    let (c, s, n) = (&c[..len + 2], &s[..len], &n[..len]);
    for i in 0..len {
        let t = c[i + 1];
        out[i] = t + cx * (c[i] + c[i + 2] - 2.0 * t) + cy * (s[i] + n[i] - 2.0 * t);
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn row_3d(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], d: &[f64], u: &[f64], cx: f64, cy: f64, cz: f64) {
    let len = out.len();
    let (c, s, n, d, u) = (&c[..len + 2], &s[..len], &n[..len], &d[..len], &u[..len]);
    for i in 0..len {
        let t = c[i + 1];
        out[i] = t + cx * (c[i] + c[i + 2] - 2.0 * t) + cy * (s[i] + n[i] - 2.0 * t) + cz * (d[i] + u[i] - 2.0 * t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::{adversarial, same_bits};

    /// Every 2-D row variant this CPU runs (portable, AVX2, AVX2 with streaming stores) gives the
    /// bits of the portable loop on adversarial data, for every length up to 40 and every
    /// alignment of the output (the streaming head and tail), with ordinary and odd coefficients.
    #[test]
    fn every_2d_row_variant_gives_the_portable_bits() {
        for len in (0..40).chain([203, 1000]) {
            for seed in 1..4u64 {
                let c = adversarial(seed, len + 2);
                let (s, n) = (adversarial(seed + 10, len), adversarial(seed + 20, len));
                for (cx, cy) in [(0.17, 0.21), (0.25, 0.25), (1e300, -3.5e-310), (-0.0, f64::MIN_POSITIVE)] {
                    let mut want = vec![0.0; len];
                    row_2d(&mut want, &c, &s, &n, cx, cy);
                    for isa in Isa::available() {
                        for streaming in [false, true] {
                            let row = Row2d::new(isa, streaming);
                            for off in 0..4 {
                                let mut got = vec![7.0; len + 4];
                                row.run(&mut got[off..off + len], &c, &s, &n, cx, cy);
                                assert!(same_bits(&got[off..off + len], &want), "{row:?} len {len} offset {off}");
                                assert!(got[..off].iter().chain(&got[off + len..]).all(|&v| v == 7.0));
                            }
                        }
                    }
                }
            }
        }
    }

    /// The same for the 3-D row kernel.
    #[test]
    fn every_3d_row_variant_gives_the_portable_bits() {
        for len in (0..40).chain([203]) {
            for seed in 1..4u64 {
                let c = adversarial(seed, len + 2);
                let rows: Vec<Vec<f64>> = (1..5).map(|k| adversarial(seed + 10 * k, len)).collect();
                for coef in [[0.07, 0.21, 0.17], [1e-300, 2.0, -1e308]] {
                    let mut want = vec![0.0; len];
                    row_3d(&mut want, &c, &rows[0], &rows[1], &rows[2], &rows[3], coef[2], coef[1], coef[0]);
                    for isa in Isa::available() {
                        let mut got = vec![0.0; len];
                        Row3d::new(isa).run(&mut got, &c, &rows[0], &rows[1], &rows[2], &rows[3], coef);
                        assert!(same_bits(&got, &want), "{isa:?} len {len}");
                    }
                }
            }
        }
    }

    /// The whole sweep: streaming and ordinary stores and the portable scalar loop, row by row.
    #[test]
    fn every_store_path_gives_the_same_bits() {
        let n = [1, 37, 203];
        let src = Field::noisy(n, [0, 1, 1], 12345);
        let exec = Exec::new(2).unwrap();
        let coef = Coef { c: [0.0, 0.21, 0.17] };
        let mut a = src.clone();
        let mut b = src.clone();
        update_with(&exec, &src, &mut a, coef, Region::whole(n), true);
        update_with(&exec, &src, &mut b, coef, Region::whole(n), false);
        let mut scalar = src.clone();
        let st = src.strides();
        for y in 0..n[1] {
            let i = src.idx(0, y as isize, 0);
            let (lo, hi) = (scalar.idx(0, y as isize, 0), scalar.idx(0, y as isize, 0) + n[2]);
            row_2d(
                &mut scalar.data[lo..hi],
                &src.data[i - 1..i + n[2] + 1],
                &src.data[i - st[1]..],
                &src.data[i + st[1]..],
                0.17,
                0.21,
            );
        }
        assert!(same_bits(&a.data, &b.data));
        assert!(same_bits(&a.data, &scalar.data));
    }
}
