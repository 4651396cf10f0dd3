//! The heat-equation kernels: pure functions over a local block with a one-cell halo.
//!
//! Explicit Euler in time, second-order central differences in space (5-point in 2-D, 7-point in
//! 3-D):  T' = T + cx (T_w - 2T + T_e) + cy (T_s - 2T + T_n) [+ cz (T_d - 2T + T_u)],
//! c_a = alpha dt / d_a^2. Stable for sum_a c_a <= 1/2 (von Neumann).
//! Every cell is evaluated by the same expression in the same order, so any split of the rows over
//! threads or ranks gives the same bits.

use crate::field::{Field, Region};
use crate::par::Exec;

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

/// The compiled variant of the 2-D row kernel a sweep runs, chosen once per sweep from what the
/// CPU offers. Every variant computes the same expression in the same order: the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row2d {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX2 with non-temporal stores (for outputs far larger than the caches).
    #[cfg(target_arch = "x86_64")]
    Avx2Streaming,
}

impl Row2d {
    pub fn pick(streaming: bool) -> Row2d {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return if streaming { Row2d::Avx2Streaming } else { Row2d::Avx2 };
        }
        let _ = streaming;
        Row2d::Portable
    }

    /// out[i] = c[i+1] + cx (c[i] + c[i+2] - 2 c[i+1]) + cy (s[i] + n[i] - 2 c[i+1]);
    /// `c` has two more values than `out` (the west and east neighbours).
    #[inline]
    pub fn run(self, out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
        match self {
            Row2d::Portable => row_2d(out, c, s, n, cx, cy),
            // SAFETY: these variants are only picked when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Row2d::Avx2 => unsafe { avx2::row_2d(out, c, s, n, cx, cy) },
            #[cfg(target_arch = "x86_64")]
            Row2d::Avx2Streaming => unsafe { avx2::row_2d_streaming(out, c, s, n, cx, cy) },
        }
    }
}

/// The compiled variant of the 3-D row kernel (see [`Row2d`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// No streaming-store variant: measured at 256^3 and 384^3 it halves the throughput of the 3-D
/// sweep (whose rows are short and whose five input rows compete for the same line buffers).
pub enum Row3d {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Row3d {
    pub fn pick() -> Row3d {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Row3d::Avx2;
        }
        Row3d::Portable
    }

    /// The 7-point update of one row: `c` with the west and east neighbours, `s`/`n` the rows
    /// y -+ 1, `d`/`u` the rows z -+ 1; coefficients (cz, cy, cx).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn run(self, out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], d: &[f64], u: &[f64], coef: [f64; 3]) {
        let [cz, cy, cx] = coef;
        match self {
            Row3d::Portable => row_3d(out, c, s, n, d, u, cx, cy, cz),
            // SAFETY: only picked when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Row3d::Avx2 => unsafe { avx2::row_3d(out, c, s, n, d, u, cx, cy, cz) },
        }
    }
}

/// The same row kernels compiled for AVX2 (chosen at run time when the CPU has it). No FMA: the
/// operations and their order are those of the portable kernels, so the bits are the same.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub unsafe fn row_2d(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
        super::row_2d(out, c, s, n, cx, cy)
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2")]
    pub unsafe fn row_3d(
        out: &mut [f64],
        c: &[f64],
        s: &[f64],
        n: &[f64],
        d: &[f64],
        u: &[f64],
        cx: f64,
        cy: f64,
        cz: f64,
    ) {
        super::row_3d(out, c, s, n, d, u, cx, cy, cz)
    }

    /// Four cells at a time with streaming stores once the output is 32-byte aligned.
    #[target_feature(enable = "avx2")]
    pub unsafe fn row_2d_streaming(out: &mut [f64], c: &[f64], s: &[f64], n: &[f64], cx: f64, cy: f64) {
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
            // In bounds: i + 3 < len, so c[i..i + 6] and s, n[i..i + 4] exist; out + i is
            // 32-byte aligned by construction of `head`.
            let t = _mm256_loadu_pd(cp.add(i + 1));
            let w = _mm256_loadu_pd(cp.add(i));
            let e = _mm256_loadu_pd(cp.add(i + 2));
            let so = _mm256_loadu_pd(sp.add(i));
            let no = _mm256_loadu_pd(np.add(i));
            let t2 = _mm256_mul_pd(two, t);
            let xs = _mm256_mul_pd(vcx, _mm256_sub_pd(_mm256_add_pd(w, e), t2));
            let ys = _mm256_mul_pd(vcy, _mm256_sub_pd(_mm256_add_pd(so, no), t2));
            _mm256_stream_pd(op.add(i), _mm256_add_pd(_mm256_add_pd(t, xs), ys));
        }
        _mm_sfence();
        let done = head + 4 * quads;
        super::row_2d(&mut out[done..], &c[done..], &s[done..], &n[done..], cx, cy);
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

    /// Streaming stores, AVX2 and the portable scalar loop compute the same bits.
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
        assert!(a.data.iter().zip(&b.data).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert!(a.data.iter().zip(&scalar.data).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    /// The same for the 3-D row kernel: the variant this CPU runs against the portable loop.
    #[test]
    fn every_3d_row_variant_gives_the_same_bits() {
        let len = 203;
        let mut s = 777u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.3
        };
        let rows: Vec<Vec<f64>> = (0..5).map(|i| (0..len + 2 + i).map(|_| next()).collect()).collect();
        let coef = [0.07, 0.21, 0.17];
        // Offsets 0..3 move the output across 32-byte boundaries (the streaming head and tail).
        for off in 0..4 {
            let mut want = vec![0.0; len + 4];
            Row3d::Portable.run(
                &mut want[off..off + len - off],
                &rows[0][..len - off + 2],
                &rows[1],
                &rows[2],
                &rows[3],
                &rows[4],
                coef,
            );
            let v = Row3d::pick();
            let mut got = vec![0.0; len + 4];
            v.run(
                &mut got[off..off + len - off],
                &rows[0][..len - off + 2],
                &rows[1],
                &rows[2],
                &rows[3],
                &rows[4],
                coef,
            );
            assert!(got.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "{v:?} offset {off}");
        }
    }
}
