//! A branch-free, vectorisable x^y for the default mode's pressure p = C0 (rho theta)^gamma.
//!
//! libm's `pow` is a scalar call (about 45 % of a weather step's time on one core); this one is
//! straight-line IEEE arithmetic the compiler vectorises in a loop over a row. It is not libm's
//! bits (compat mode keeps libm's `pow`), but nearly correctly rounded: at most 1 ulp from libm's
//! result (tests below), and the same bits on every instruction set, since it uses only +, -, *,
//! / (no FMA; products are made exact by Dekker's splitting instead).
//!
//! # Algorithm
//! x^y = exp(y ln x) with ln x and y ln x carried in double-double:
//! - x = 2^k m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = f / (2 + f), f = m - 1
//!   (exact), |s| <= 0.1716. s is rounded, its remainder f - s (2 + f) recovered exactly
//!   (Dekker's product, T. J. Dekker, "A floating-point technique for extending the available
//!   precision", Numer. Math. 18, 1971) into a correction s_lo. The series 2 s + 2 s^3/3 + ... +
//!   2 s^25/25 (Taylor; truncation < 1e-20) gives ln m = 2 s + (2 s_lo + s^3 P(s^2)).
//! - ln x = k ln2_hi + 2 s (Knuth's two-sum) + the low parts, ln2 = ln2_hi + ln2_lo (Cody-Waite,
//!   ln2_hi with 21 trailing zero bits so k ln2_hi is exact).
//! - z = y ln x = z_hi + z_lo (Dekker's product); n = round(z / ln2), r = z - n ln2 (exact
//!   high part, |r| <= 0.347), exp(r) = 1 + r + r^2 Q(r), Q the Taylor series to r^12/14!
//!   (truncation < 1e-19); 1 + r recovered exactly, so the only large rounding is the final sum.
//! - x^y = 2^n exp(r). Error about 0.55 ulp (log part ~1e-18 absolute); the tests measure it
//!   against libm over the physical range and over many binades.
//!
//! Inputs outside [2^-500, 2^500] (and NaN, zero, negative, infinite x) and |y| > 4 go to libm's
//! `powf` in a second pass ([`pow_row`]), so every special case is libm's.

const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149292705877e-10
const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// 1.5 * 2^52: adding it rounds to an integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// The bits of sqrt(1/2): x's significand is compared with it.
const OFF: u64 = 0x3fe6_a09e_667f_3bcd;
/// The range of x handled inline.
const LO: f64 = 3.054936363499605e-151; // 2^-500
const HI: f64 = 3.273390607896142e150; // 2^500

/// Dekker's split of a (|a| < 2^995) into a_hi + a_lo, 26 significant bits each.
#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

/// a * b = p + e exactly.
#[inline(always)]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let ((ah, al), (bh, bl)) = (split(a), split(b));
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// a + b = s + e exactly (Knuth).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// 2 / (2 j + 1) for j = 1..=12: the atanh series' coefficients beyond 2 s.
const ATANH: [f64; 12] = [
    2.0 / 3.0,
    2.0 / 5.0,
    2.0 / 7.0,
    2.0 / 9.0,
    2.0 / 11.0,
    2.0 / 13.0,
    2.0 / 15.0,
    2.0 / 17.0,
    2.0 / 19.0,
    2.0 / 21.0,
    2.0 / 23.0,
    2.0 / 25.0,
];

/// 1 / j! for j = 2..=14.
const EXP: [f64; 13] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362880.0,
    1.0 / 3628800.0,
    1.0 / 39916800.0,
    1.0 / 479001600.0,
    1.0 / 6227020800.0,
    1.0 / 87178291200.0,
];

/// x^y for x in [2^-500, 2^500] and |y| <= 4 (otherwise garbage: see [`pow_row`]).
#[inline(always)]
pub fn pow_core(x: f64, y: f64) -> f64 {
    // x = 2^k m, m in [sqrt(1/2), sqrt(2)); kb = k + 1023.
    let ix = x.to_bits();
    let kb = ix.wrapping_sub(OFF).wrapping_add(1023 << 52) >> 52;
    let m = f64::from_bits(ix.wrapping_sub(kb << 52).wrapping_add(1023 << 52));
    let k = f64::from_bits(0x4330_0000_0000_0000 | kb) - (4_503_599_627_370_496.0 + 1023.0);
    // ln m = 2 atanh(s), s = f / u, u = 2 + f = u + ulo exactly.
    let f = m - 1.0;
    let u = 2.0 + f;
    let ulo = (2.0 - u) + f;
    let iu = 1.0 / u;
    let s = f * iu;
    let (ph, pl) = two_prod(s, u);
    let slo = (((f - ph) - pl) - s * ulo) * iu;
    let t = s * s;
    let mut poly = ATANH[11];
    let mut i = 11;
    while i > 0 {
        i -= 1;
        poly = poly * t + ATANH[i];
    }
    // ln x = big + lo.
    let (big, e) = two_sum(k * LN2_HI, s + s);
    let lo = e + (k * LN2_LO + ((slo + slo) + s * t * poly));
    // z = y ln x = zh + zl.
    let (zh, ze) = two_prod(y, big);
    let zl = ze + y * lo;
    // exp(z) = 2^n exp(rh + rl).
    let nt = zh * INV_LN2 + SHIFT;
    let n = nt - SHIFT;
    let rh = zh - n * LN2_HI;
    let (r, re) = two_sum(rh, zl - n * LN2_LO);
    let mut q = EXP[12];
    let mut i = 12;
    while i > 0 {
        i -= 1;
        q = q * r + EXP[i];
    }
    let c = r * r * q;
    let (a, ae) = two_sum(1.0, r);
    let tail = ae + (c + re * (1.0 + r));
    let scale = f64::from_bits(nt.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(1023) << 52);
    (a + tail) * scale
}

/// Is x in the range [`pow_core`] handles?
#[inline(always)]
fn inline_range(x: f64) -> bool {
    (LO..=HI).contains(&x)
}

/// `out[i] = c * x[i]^y - sub` for every i (c x^y - sub with x^y from [`pow_core`]; libm's
/// `powf` for x outside [2^-500, 2^500] or |y| > 4). In place: `v` holds x on entry.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
pub fn pow_row(v: &mut [f64], y: f64, c: f64, sub: f64) {
    // Index loops, not iterator adaptors: those need not inline into a caller compiled for a
    // wider instruction set, and this loop must vectorise there.
    let n = v.len();
    if y.abs() > 4.0 {
        for i in 0..n {
            v[i] = c * v[i].powf(y) - sub;
        }
        return;
    }
    let mut all = true;
    for i in 0..n {
        all &= inline_range(v[i]);
    }
    if all {
        for i in 0..n {
            v[i] = c * pow_core(v[i], y) - sub;
        }
    } else {
        for i in 0..n {
            let x = v[i];
            v[i] = c * if inline_range(x) { pow_core(x, y) } else { x.powf(y) } - sub;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::weather::physics::GAMMA;

    /// Distance in ulps between two positive finite numbers.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// xorshift in [0, 1).
    fn rng(seed: u64) -> impl FnMut() -> f64 {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Within 1 ulp of libm everywhere, and libm's bits for most inputs: over rho theta's
    /// physical range, over 1000 binades, and for several exponents.
    #[test]
    fn within_one_ulp_of_libm() {
        let mut next = rng(7);
        for (lo, hi, y) in [(1.0f64, 2000.0f64, GAMMA), (1e-140, 1e140, GAMMA), (1e-100, 1e100, 0.5), (0.3, 3.0, -3.7), (1e-30, 1e30, 1.0 / GAMMA)] {
            let (mut worst, mut same, n) = (0, 0, 200_000);
            for _ in 0..n {
                let x = lo * (hi / lo).powf(next());
                let (got, want) = (pow_core(x, y), x.powf(y));
                let d = ulps(got, want);
                worst = worst.max(d);
                same += (d == 0) as usize;
                assert!(d <= 1, "{x:e}^{y}: {got:e} vs libm {want:e}");
            }
            eprintln!("[{lo:e}, {hi:e}]^{y}: worst {worst} ulp, {same} of {n} equal to libm");
            assert!(same * 10 > n * 8, "only {same} of {n} equal");
        }
        // Exact cases: powers of two, 1, and the boundaries of the significand reduction.
        for x in [1.0, 2.0, 0.5, 1024.0, f64::from_bits(OFF), f64::from_bits(OFF - 1), LO, HI] {
            assert!(ulps(pow_core(x, GAMMA), x.powf(GAMMA)) <= 1, "{x:e}");
            assert!(ulps(pow_core(x, 1.0), x) <= 1, "{x:e}");
        }
    }

    #[test]
    fn rows_fall_back_to_libm_outside_the_range() {
        let special = [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300, 1e300, f64::MIN_POSITIVE / 4.0];
        let mut v: Vec<f64> = special.iter().chain(&[300.0, 12.5]).copied().collect();
        pow_row(&mut v, GAMMA, 2.0, 1.0);
        for (i, x) in special.iter().enumerate() {
            let want = 2.0 * x.powf(GAMMA) - 1.0;
            assert!(v[i].to_bits() == want.to_bits() || (v[i].is_nan() && want.is_nan()), "{x:e}: {} vs {want}", v[i]);
        }
        assert!(ulps(v[special.len()], 2.0 * 300f64.powf(GAMMA) - 1.0) <= 1);
        let mut w = [300.0, 7.0];
        pow_row(&mut w, 5.0, 1.0, 0.0);
        assert_eq!(w, [300f64.powf(5.0), 7f64.powf(5.0)]);
    }
}
