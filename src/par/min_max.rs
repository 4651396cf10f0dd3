//! Minimum and maximum of a row by the total order of f64 (so -0.0 < 0.0 and the result never
//! depends on the order of the values), vectorised: the numeric min and max agree with the total
//! order except for signed zeros and NaNs, so only rows holding those go value by value.

use super::{max_total, min_total};
use crate::simd::Isa;

/// `min_total` and `max_total` folded over `row`, starting from `init`, from a vectorised numeric
/// min and max: the numeric order is the total order but for -0.0 < 0.0 and NaNs, so a row with
/// an Inf or NaN, or whose min or max is a zero, goes value by value instead.
pub fn min_max_total(row: &[f64], init: (f64, f64)) -> (f64, f64) {
    min_max_total_with(row, init, Isa::current())
}

/// [`min_max_total`] with the kernels of `isa` (tests run every variant).
fn min_max_total_with(row: &[f64], init: (f64, f64), isa: Isa) -> (f64, f64) {
    let (mn, mx, finite) = numeric_min_max(row, isa);
    if row.is_empty() || !finite || mn == 0.0 || mx == 0.0 {
        return row.iter().fold(init, |(a, b), &v| (min_total(a, v), max_total(b, v)));
    }
    (min_total(init.0, mn), max_total(init.1, mx))
}

/// The least and greatest value of `row` (NaNs skipped) and whether all are finite: lanes of
/// numeric min and max, and of sums of x * 0 (NaN once there is an Inf or NaN).
fn numeric_min_max(row: &[f64], isa: Isa) -> (f64, f64, bool) {
    match isa.avx2() {
        // SAFETY: the AVX2 token exists only when the CPU has AVX2.
        #[cfg(target_arch = "x86_64")]
        Some(_token) => unsafe { numeric_min_max_avx2(row) },
        _ => numeric_min_max_lanes(row, [f64::INFINITY; 4], [f64::NEG_INFINITY; 4], [0.0; 4]),
    }
}

/// The portable lanes of [`numeric_min_max`], starting from accumulators `lo`, `hi`, `bad`.
fn numeric_min_max_lanes(row: &[f64], mut lo: [f64; 4], mut hi: [f64; 4], mut bad: [f64; 4]) -> (f64, f64, bool) {
    let mut one = |k: usize, x: f64| {
        lo[k] = if x < lo[k] { x } else { lo[k] };
        hi[k] = if x > hi[k] { x } else { hi[k] };
        bad[k] += x * 0.0;
    };
    let mut it = row.chunks_exact(4);
    for c in &mut it {
        (0..4).for_each(|k| one(k, c[k]));
    }
    it.remainder().iter().enumerate().for_each(|(k, &x)| one(k, x));
    let mn = lo.iter().fold(f64::INFINITY, |a, &b| if b < a { b } else { a });
    let mx = hi.iter().fold(f64::NEG_INFINITY, |a, &b| if b > a { b } else { a });
    (mn, mx, !bad.iter().any(|b| b.is_nan()))
}

/// [`numeric_min_max`] in AVX2 intrinsics (the compiler's vectorisation of the lanes is poor).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn numeric_min_max_avx2(row: &[f64]) -> (f64, f64, bool) {
    use std::arch::x86_64::*;
    let mut lo = [_mm256_set1_pd(f64::INFINITY); 2];
    let mut hi = [_mm256_set1_pd(f64::NEG_INFINITY); 2];
    let mut bad = [_mm256_setzero_pd(); 2];
    let mut it = row.chunks_exact(8);
    for c in &mut it {
        for u in 0..2 {
            // SAFETY: c holds 8 values.
            let x = unsafe { _mm256_loadu_pd(c.as_ptr().add(4 * u)) };
            // min_pd(x, m) = x < m ? x : m (a NaN x leaves m), max_pd likewise.
            lo[u] = _mm256_min_pd(x, lo[u]);
            hi[u] = _mm256_max_pd(x, hi[u]);
            bad[u] = _mm256_add_pd(bad[u], _mm256_mul_pd(x, _mm256_setzero_pd()));
        }
    }
    let (mut l, mut h, mut b) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    // SAFETY: l, h and b hold 4 values each.
    unsafe {
        _mm256_storeu_pd(l.as_mut_ptr(), _mm256_min_pd(lo[0], lo[1]));
        _mm256_storeu_pd(h.as_mut_ptr(), _mm256_max_pd(hi[0], hi[1]));
        _mm256_storeu_pd(b.as_mut_ptr(), _mm256_add_pd(bad[0], bad[1]));
    }
    numeric_min_max_lanes(it.remainder(), l, h, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorised fold gives the bits of `min_total` / `max_total` value by value: zeros of
    /// both signs (alone, as extremes, among others), infinities, NaNs of both signs, every
    /// remainder length.
    #[test]
    fn min_max_total_matches_value_by_value() {
        let mut s = 9u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let pool =
            [0.0, -0.0, 1.0, -1.0, 2.5e-310, -3.0e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN, 0.5];
        for n in 0..40 {
            for trial in 0..300 {
                // Draw from the first few pool entries only in some trials (all zeros, zeros and
                // ones, ... without the specials), from all of it in others.
                let k = 1 + trial % pool.len();
                let row: Vec<f64> = (0..n)
                    .map(|_| pool[(next() % k as u64) as usize] * if next() % 3 == 0 { 0.25 } else { 1.0 })
                    .collect();
                for init in
                    [(f64::INFINITY, f64::NEG_INFINITY), (0.0, -0.0), (-0.0, 0.0), (f64::NAN, -f64::NAN), (0.75, 0.75)]
                {
                    let want = row.iter().fold(init, |(a, b), &v| (min_total(a, v), max_total(b, v)));
                    let bits = |p: (f64, f64)| (p.0.to_bits(), p.1.to_bits());
                    for isa in Isa::available() {
                        let got = min_max_total_with(&row, init, isa);
                        assert_eq!(bits(got), bits(want), "{row:?} from {init:?}, {isa:?}");
                    }
                    let lanes = numeric_min_max_lanes(&row, [f64::INFINITY; 4], [f64::NEG_INFINITY; 4], [0.0; 4]);
                    if row.iter().all(|x| x.is_finite()) && !row.is_empty() {
                        let lo = row.iter().fold(f64::INFINITY, |a, &v| a.min(v));
                        let hi = row.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v));
                        assert!(lanes.2 && lanes.0 == lo && lanes.1 == hi, "{row:?}");
                    } else if !row.is_empty() {
                        assert!(!lanes.2, "{row:?}");
                    }
                }
            }
        }
    }
}
