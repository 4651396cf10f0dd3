//! An exact accumulator for sums of f64 values (a "superaccumulator").
//!
//! Every finite f64 is m * 2^e with a 53-bit integer m and -1074 <= e <= 971, so it is an exact
//! fixed-point number with 2098 bits. We keep the running sum in 32-bit digits stored in i64
//! limbs (the spare high bits absorb carries), so adding is exact and the result does not depend
//! on the order of the additions. Partial sums from threads or ranks merge by adding limbs, which
//! is exact too. The final conversion to f64 is a fixed function of the exact value, so the same
//! set of numbers gives the same bits whatever the split. (Cf. Kulisch's long accumulator;
//! Demmel & Nguyen, "Parallel reproducible summation", IEEE TC 2015.)

use crate::simd::Isa;

const EMIN: i32 = -1074;
const LIMBS: usize = 70; // 70 * 32 = 2240 bits >= 2098 + 53 + headroom
const RENORM_EVERY: u32 = 1 << 30;

#[derive(Clone, Debug)]
pub struct ExactSum {
    limbs: [i64; LIMBS],
    pending: u32,
    /// Non-finite inputs: NaN if any NaN or +Inf and -Inf met, otherwise the infinity.
    special: Option<f64>,
}

impl Default for ExactSum {
    fn default() -> Self {
        Self::new()
    }
}

impl ExactSum {
    pub fn new() -> Self {
        ExactSum { limbs: [0; LIMBS], pending: 0, special: None }
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let exp_bits = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        if exp_bits == 0x7ff {
            self.add_special(x);
            return;
        }
        let (m, e) = if exp_bits == 0 { (frac, EMIN) } else { (frac | (1u64 << 52), exp_bits - 1075) };
        if m == 0 {
            return;
        }
        let p = (e - EMIN) as u32;
        let j = (p / 32) as usize;
        // +-m << (p % 32) as a signed 85-bit number, without a branch on the sign (random signs
        // would mispredict half the time): two unsigned 32-bit digits and a signed top one.
        let neg = -((bits >> 63) as i128);
        let v = (((m as i128) << (p % 32)) ^ neg) - neg;
        self.limbs[j] += (v as i64) & 0xffff_ffff;
        self.limbs[j + 1] += ((v >> 32) as i64) & 0xffff_ffff;
        self.limbs[j + 2] += (v >> 64) as i64;
        self.pending += 1;
        if self.pending >= RENORM_EVERY {
            self.normalize();
        }
    }

    /// Add every value of `xs`: the same accumulator value as calling [`add`](Self::add) on each
    /// element (in any order), only faster.
    ///
    /// The slice is taken in chunks of [`CHUNK`] values. A first pass over a chunk finds the
    /// largest and smallest nonzero magnitude and whether there is an Inf or NaN (vectorised). From the exponent range [L, H) (every value is a multiple of 2^L and
    /// below 2^H in magnitude) follows a split into a few "levels": with M = 1.5 * 2^(q + 52),
    /// `(r + M) - M` rounds r exactly to a multiple of 2^q, and r minus that is exact too. Each
    /// level's parts are multiples of its 2^q and small enough that summing a chunk of them in
    /// f64, in any order, never rounds; the last level sums the residuals, which are multiples of
    /// 2^L. So the f64 lane sums are exact, and they go into the limbs with [`add`](Self::add), a
    /// handful per chunk. Chunks whose range would need more than [`MAX_LEVELS`] levels (or that
    /// hold values too close to overflow) go through exponent bins (two integer adds per value);
    /// chunks with an Inf or NaN go value by value. Measured on 2^24 values, one thread (this
    /// machine, `examples/bench_exact_sum.rs`): about 1.1 ns per value for smooth or noisy data
    /// (reading the data once costs about 0.9) against 3.5-9 ns for `add` value by value.
    pub fn add_slice(&mut self, xs: &[f64]) {
        self.add_slice_with(xs, Isa::current())
    }

    /// [`add_slice`](Self::add_slice) with the kernels of `isa` (tests run every variant; AVX-512
    /// runs the AVX2 kernels).
    fn add_slice_with(&mut self, xs: &[f64], isa: Isa) {
        for c in xs.chunks(CHUNK) {
            if c.len() < 16 {
                c.iter().for_each(|&x| self.add(x));
                continue;
            }
            match isa.avx2() {
                #[cfg(target_arch = "x86_64")]
                Some(token) => avx2::add_chunk(self, c, token),
                _ => self.add_chunk(c, Isa::Portable),
            }
        }
    }

    /// One chunk (at most [`CHUNK`] values) of [`add_slice`](Self::add_slice) with the range and
    /// level-sum kernels of `isa`. Every variant computes the same exact sums.
    #[inline(always)]
    fn add_chunk(&mut self, xs: &[f64], isa: Isa) {
        let (max_abs, min_nz) = match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2(token) => avx2::abs_range(token, xs),
            _ => abs_range(xs),
        };
        if max_abs >= f64::INFINITY.to_bits() {
            xs.iter().for_each(|&x| self.add(x));
            return;
        }
        if max_abs == 0 {
            return; // only zeros
        }
        // Effective biased exponents (subnormals count as 1, like the smallest normal binade).
        let eb_max = ((max_abs >> 52) as i32).max(1);
        let eb_min = ((min_nz >> 52) as i32).max(1); // min_nz > 0 here
        let h = eb_max - 1022; // every |x| < 2^h
        let l = eb_min - 1075; // every x is a multiple of 2^l
                               // 2^w >= number of values: a sum of them at most 2^w times the largest.
        let w = (usize::BITS - (xs.len() - 1).leading_zeros()).max(2) as i32;
        // The sums stay below 2^(h + w): finite, and every M finite.
        if h + w > 1023 {
            self.add_binned(xs, eb_min as usize, eb_max as usize);
            return;
        }
        let mut ms = [0.0f64; MAX_LEVELS];
        let mut levels = 0;
        let mut hi = h; // the parts still to split are at most 2^hi in magnitude
        while hi - l > 53 - w {
            if levels == MAX_LEVELS {
                self.add_binned(xs, eb_min as usize, eb_max as usize);
                return;
            }
            let q = hi + w - 53; // this level takes the multiples of 2^q
            ms[levels] = 1.5 * pow2(q + 52);
            levels += 1;
            hi = q - 1; // what is left is at most half a quantum
        }
        // (At least one level: h - l >= 53 as the significands have 53 bits.)
        let sums = match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2(token) => match levels {
                1 => avx2::level_sums::<1>(token, xs, &ms),
                2 => avx2::level_sums::<2>(token, xs, &ms),
                3 => avx2::level_sums::<3>(token, xs, &ms),
                _ => avx2::level_sums::<4>(token, xs, &ms),
            },
            _ => match levels {
                1 => level_sums::<1>(xs, &ms),
                2 => level_sums::<2>(xs, &ms),
                3 => level_sums::<3>(xs, &ms),
                _ => level_sums::<4>(xs, &ms),
            },
        };
        // The lanes of one level add up exactly in f64 too (same bound as any partial sum).
        for lanes in &sums[..=levels] {
            self.add(lanes.iter().sum());
        }
    }

    /// Wide exponent range: per value, the signed 53-bit significand split into its low 32 bits
    /// and the rest, each added into a bin per exponent (2^31 values fit either i64 bin), then
    /// each nonzero bin into the limbs. `lo..=hi`: the effective biased exponents (at least 1) of
    /// the nonzero values. Zeros and -0.0 add 0 (into bin 1, maybe outside lo..=hi).
    #[inline(always)]
    fn add_binned(&mut self, xs: &[f64], lo: usize, hi: usize) {
        // [low, high] side by side (two arrays 16 KiB apart would alias in the store buffer).
        let mut bins = [[0i64; 2]; 2048];
        for &x in xs {
            let bits = x.to_bits();
            let eb = ((bits >> 52) & 0x7ff) as usize;
            let frac = (bits & ((1u64 << 52) - 1)) as i64;
            let m = if eb == 0 { frac } else { frac | (1i64 << 52) };
            let neg = (bits >> 63) as i64; // 0 or 1
            let v = (m ^ -neg) + neg; // +-m
            let eb = eb.max(1);
            bins[eb][0] += v & 0xffff_ffff;
            bins[eb][1] += v >> 32;
        }
        // The bin eb holds multiples of 2^(eb - 1075): bit position p = eb - 1 from EMIN. Each
        // bin is below 2^66 in magnitude, so the 32 bins of one limb (p / 32) shifted by p % 32
        // sum in an i128, which then goes into the limbs at once.
        let mut group = usize::MAX;
        let mut acc = 0i128;
        for (eb, bin) in bins.iter().enumerate().take(hi + 1).skip(lo) {
            let p = eb - 1;
            if p / 32 != group {
                if acc != 0 {
                    self.add_i128_at(acc, 32 * group as u32);
                }
                (group, acc) = (p / 32, 0);
            }
            acc += (((bin[1] as i128) << 32) + bin[0] as i128) << (p % 32);
        }
        if acc != 0 {
            self.add_i128_at(acc, 32 * group as u32);
        }
    }

    /// Add v * 2^(EMIN + p), |v| < 2^126, p / 32 + 4 < LIMBS (five limbs; counts as one pending
    /// add: each limb moves by less than 2^32).
    #[inline]
    fn add_i128_at(&mut self, v: i128, p: u32) {
        let j = (p / 32) as usize;
        let s = p % 32;
        // v << s as 160 bits: 32-bit digits 0..3 unsigned, digit 4 signed.
        let lo = (v as u128) << s;
        let top = if s == 0 { v >> 127 } else { v >> (128 - s) };
        for k in 0..4 {
            self.limbs[j + k] += ((lo >> (32 * k)) & 0xffff_ffff) as i64;
        }
        self.limbs[j + 4] += top as i64;
        self.pending += 1;
        if self.pending >= RENORM_EVERY {
            self.normalize();
        }
    }

    #[cold]
    fn add_special(&mut self, x: f64) {
        self.special = Some(match self.special {
            None => x,
            Some(s) if s.is_nan() || x.is_nan() || s != x => f64::NAN,
            Some(s) => s,
        });
    }

    /// Merge another accumulator into this one (exact).
    pub fn merge(&mut self, other: &ExactSum) {
        let mut o = other.clone();
        o.normalize();
        self.normalize();
        for (a, b) in self.limbs.iter_mut().zip(o.limbs.iter()) {
            *a += *b;
        }
        self.pending = 1;
        if let Some(s) = other.special {
            self.add_special(s);
        }
    }

    /// Carry-propagate so limbs 0..LIMBS-1 lie in [0, 2^32) and the top limb holds the sign.
    pub fn normalize(&mut self) {
        for j in 0..LIMBS - 1 {
            let c = self.limbs[j] >> 32;
            self.limbs[j] -= c << 32;
            self.limbs[j + 1] += c;
        }
        self.pending = 0;
    }

    /// The limbs, normalised, for reduction across ranks (sum them limb by limb).
    pub fn limbs_normalized(&mut self) -> &mut [i64] {
        self.normalize();
        &mut self.limbs
    }

    /// Special value flag encoded for reductions: 0 none, 1 +Inf, 2 -Inf, 3 NaN.
    pub fn special_code(&self) -> i64 {
        match self.special {
            None => 0,
            Some(s) if s.is_nan() => 3,
            Some(s) if s > 0.0 => 1,
            Some(_) => 2,
        }
    }

    pub fn set_special_code(&mut self, code: i64) {
        self.special = match code {
            0 => None,
            1 => Some(f64::INFINITY),
            2 => Some(f64::NEG_INFINITY),
            _ => Some(f64::NAN),
        };
    }

    /// The sum as f64: a fixed function of the exact value (accurate to about one ulp).
    pub fn value(&self) -> f64 {
        if let Some(s) = self.special {
            return s;
        }
        let mut a = self.clone();
        a.normalize();
        let negative = a.limbs[LIMBS - 1] < 0;
        if negative {
            // Two's-complement negate the multi-limb number, then renormalise: all limbs >= 0.
            for l in a.limbs.iter_mut() {
                *l = -*l;
            }
            a.normalize();
        }
        // Sum from the most significant limb down; exact limbs scaled by powers of two.
        let mut r = 0.0f64;
        for j in (0..LIMBS).rev() {
            if a.limbs[j] != 0 {
                r += a.limbs[j] as f64 * pow2(EMIN + 32 * j as i32);
            }
        }
        if negative {
            -r
        } else {
            r
        }
    }
}

/// Values per chunk of [`ExactSum::add_slice`] (the exponent range is taken per chunk).
const CHUNK: usize = 4096;
/// Most split levels in [`ExactSum::add_slice`]; each covers about 53 - 12 bits of range. (Four
/// levels cost about 1 ns per value in cache here, the exponent bins 2.3-3.5 ns, sixteen levels
/// about 4 ns.)
const MAX_LEVELS: usize = 4;
/// Independent f64 accumulators per level (vector lanes, and latency hiding).
const LANES: usize = 8;

/// The largest magnitude's bits (at least Inf's bits if there is a NaN or Inf), and the smallest
/// nonzero magnitude's bits (0 if none).
///
/// The portable version (x86-64 runs `avx2::abs_range`); both rest on this: magnitudes of finite
/// values order as f64 the way their bits order as integers. The maximum keeps its accumulator on a NaN (`a > m ? a : m`), so NaNs are
/// flagged apart. For the minimum, a magnitude's bits minus one is used as an f64: zero becomes
/// all ones, a NaN, which `k < m ? k : m` skips; the others keep their order.
#[inline(always)]
fn abs_range(xs: &[f64]) -> (u64, u64) {
    const ABS: u64 = !(1u64 << 63);
    let mut mx = [0.0f64; LANES];
    let mut mn = [f64::INFINITY; LANES];
    let mut nan = [0u64; LANES];
    let mut one = |k: usize, x: f64| {
        let a = f64::from_bits(x.to_bits() & ABS);
        let key = f64::from_bits((x.to_bits() & ABS).wrapping_sub(1));
        mx[k] = if a > mx[k] { a } else { mx[k] };
        mn[k] = if key < mn[k] { key } else { mn[k] };
        nan[k] |= x.is_nan() as u64;
    };
    let mut it = xs.chunks_exact(LANES);
    for c in &mut it {
        for (k, &x) in c.iter().enumerate() {
            one(k, x);
        }
    }
    for (k, &x) in it.remainder().iter().enumerate() {
        one(k, x);
    }
    let mx = mx.iter().map(|m| m.to_bits()).max().unwrap_or(0);
    let mn = mn.iter().map(|m| m.to_bits()).min().unwrap_or(u64::MAX);
    let mx = if nan.iter().any(|&b| b != 0) { u64::MAX } else { mx };
    (mx, if mn == f64::INFINITY.to_bits() { 0 } else { mn + 1 })
}

/// Split every value into `L` rounded parts and a residual with the constants `ms` (see
/// [`ExactSum::add_slice`]) and sum each part over the slice in `LANES` f64 lanes: row i of the
/// result (i < L) holds level i's sums, row L the residuals'. Exact under the caller's conditions.
#[inline(always)]
fn level_sums<const L: usize>(xs: &[f64], ms: &[f64; MAX_LEVELS]) -> [[f64; LANES]; MAX_LEVELS + 1] {
    let mut acc = [[0.0f64; LANES]; MAX_LEVELS + 1];
    let mut it = xs.chunks_exact(LANES);
    for c in &mut it {
        for k in 0..LANES {
            let mut r = c[k];
            for i in 0..L {
                let p = (r + ms[i]) - ms[i];
                acc[i][k] += p;
                r -= p;
            }
            acc[L][k] += r;
        }
    }
    for (k, &x) in it.remainder().iter().enumerate() {
        let mut r = x;
        for i in 0..L {
            let p = (r + ms[i]) - ms[i];
            acc[i][k] += p;
            r -= p;
        }
        acc[L][k] += r;
    }
    acc
}

/// The two passes of [`ExactSum::add_slice`] in AVX2 intrinsics (the compiler's own
/// vectorisation of the portable loops shuffles a lot). Same results as the portable versions.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{ExactSum, LANES, MAX_LEVELS};
    use crate::simd::{Avx2, Isa};
    use std::arch::x86_64::*;

    /// [`ExactSum::add_chunk`] compiled for AVX2 with the AVX2 kernels; `token` proves the CPU has
    /// AVX2.
    pub fn add_chunk(acc: &mut ExactSum, xs: &[f64], token: Avx2) {
        #[target_feature(enable = "avx2")]
        fn compiled(acc: &mut ExactSum, xs: &[f64], token: Avx2) {
            acc.add_chunk(xs, Isa::Avx2(token))
        }
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { compiled(acc, xs, token) }
    }

    /// See [`super::abs_range`]; `_token` proves the CPU has AVX2.
    #[inline(always)]
    pub fn abs_range(_token: Avx2, xs: &[f64]) -> (u64, u64) {
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { abs_range_avx2(xs) }
    }

    /// See [`super::level_sums`]; `_token` proves the CPU has AVX2.
    #[inline(always)]
    pub fn level_sums<const L: usize>(
        _token: Avx2,
        xs: &[f64],
        ms: &[f64; MAX_LEVELS],
    ) -> [[f64; LANES]; MAX_LEVELS + 1] {
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { level_sums_avx2::<L>(xs, ms) }
    }

    /// See [`super::abs_range`]: 16 values a step in four accumulators of each kind.
    #[target_feature(enable = "avx2")]
    fn abs_range_avx2(xs: &[f64]) -> (u64, u64) {
        let abs = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let minus1 = _mm256_set1_epi64x(-1);
        let mut mx = [_mm256_setzero_pd(); 4];
        let mut mn = [_mm256_set1_pd(f64::INFINITY); 4];
        let mut nan = [_mm256_setzero_pd(); 4];
        let mut it = xs.chunks_exact(16);
        for c in &mut it {
            for u in 0..4 {
                // SAFETY: c holds 16 values.
                let x = unsafe { _mm256_loadu_pd(c.as_ptr().add(4 * u)) };
                let a = _mm256_and_pd(x, abs);
                // max_pd(a, m) = a > m ? a : m and min_pd(k, m) = k < m ? k : m: a NaN in the
                // first operand leaves the accumulator alone.
                mx[u] = _mm256_max_pd(a, mx[u]);
                let key = _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(a), minus1));
                mn[u] = _mm256_min_pd(key, mn[u]);
                nan[u] = _mm256_or_pd(nan[u], _mm256_cmp_pd::<_CMP_UNORD_Q>(x, x));
            }
        }
        let mx = _mm256_max_pd(_mm256_max_pd(mx[0], mx[1]), _mm256_max_pd(mx[2], mx[3]));
        let mn = _mm256_min_pd(_mm256_min_pd(mn[0], mn[1]), _mm256_min_pd(mn[2], mn[3]));
        let nan = _mm256_or_pd(_mm256_or_pd(nan[0], nan[1]), _mm256_or_pd(nan[2], nan[3]));
        let (mut a, mut b) = ([0.0f64; 4], [0.0f64; 4]);
        // SAFETY: a and b hold 4 values each.
        unsafe {
            _mm256_storeu_pd(a.as_mut_ptr(), mx);
            _mm256_storeu_pd(b.as_mut_ptr(), mn);
        }
        let (tmx, tmn) = super::abs_range(it.remainder());
        let mut max = a.iter().map(|v| v.to_bits()).max().unwrap().max(tmx);
        if _mm256_movemask_pd(nan) != 0 {
            max = u64::MAX;
        }
        // b holds magnitude bits minus one (Inf: none); the remainder's answer is plain.
        let m = b.iter().map(|v| v.to_bits()).min().unwrap();
        let min = if m == f64::INFINITY.to_bits() { 0 } else { m + 1 };
        let min = match (min, tmn) {
            (0, t) => t,
            (m, 0) => m,
            (m, t) => m.min(t),
        };
        (max, min)
    }

    /// See [`super::level_sums`]: 8 values a step, two vectors per level.
    #[allow(clippy::needless_range_loop)]
    #[target_feature(enable = "avx2")]
    fn level_sums_avx2<const L: usize>(xs: &[f64], ms: &[f64; MAX_LEVELS]) -> [[f64; LANES]; MAX_LEVELS + 1] {
        let mut m = [_mm256_setzero_pd(); MAX_LEVELS];
        for i in 0..L {
            m[i] = _mm256_set1_pd(ms[i]);
        }
        let mut acc = [[_mm256_setzero_pd(); 2]; MAX_LEVELS + 1];
        let mut it = xs.chunks_exact(8);
        // The data was read from memory by the first pass and is in L1 now, so the memory
        // system would idle here: prefetch what follows the slice (the next chunk, or whatever
        // a caller walking through memory passes next) into L2, a cache line per step.
        // Prefetches never fault, whatever the address.
        let mut ahead = xs.as_ptr().wrapping_add(xs.len()) as *const i8;
        for c in &mut it {
            _mm_prefetch::<_MM_HINT_T1>(ahead);
            ahead = ahead.wrapping_add(64);
            for u in 0..2 {
                // SAFETY: c holds 8 values.
                let mut r = unsafe { _mm256_loadu_pd(c.as_ptr().add(4 * u)) };
                for i in 0..L {
                    let p = _mm256_sub_pd(_mm256_add_pd(r, m[i]), m[i]);
                    acc[i][u] = _mm256_add_pd(acc[i][u], p);
                    r = _mm256_sub_pd(r, p);
                }
                acc[L][u] = _mm256_add_pd(acc[L][u], r);
            }
        }
        let mut out = super::level_sums::<L>(it.remainder(), ms);
        for i in 0..=L {
            let (mut a, mut b) = ([0.0f64; 4], [0.0f64; 4]);
            // SAFETY: a and b hold 4 values each.
            unsafe {
                _mm256_storeu_pd(a.as_mut_ptr(), acc[i][0]);
                _mm256_storeu_pd(b.as_mut_ptr(), acc[i][1]);
            }
            // The remainder's sums sit in lanes 0..7 (fewer than 8 values): add each lane's
            // three partial sums in f64, exact like every sum here.
            for k in 0..4 {
                out[i][k] += a[k];
                out[i][k + 4] += b[k];
            }
        }
        out
    }
}

fn pow2(e: i32) -> f64 {
    if e < -1022 {
        // Subnormal range: build in two steps to stay exact.
        2f64.powi(e + 600) * 2f64.powi(-600)
    } else {
        2f64.powi(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(s: &mut u64) -> f64 {
        *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2f64.powi(((*s >> 3) % 60) as i32 - 30)
    }

    #[test]
    fn order_does_not_matter() {
        let mut s = 7u64;
        let v: Vec<f64> = (0..10_000).map(|_| lcg(&mut s)).collect();
        let mut a = ExactSum::new();
        v.iter().for_each(|&x| a.add(x));
        let mut b = ExactSum::new();
        v.iter().rev().for_each(|&x| b.add(x));
        let mut c = ExactSum::new();
        let mut d = ExactSum::new();
        v[..3333].iter().for_each(|&x| c.add(x));
        v[3333..].iter().for_each(|&x| d.add(x));
        d.merge(&c);
        assert_eq!(a.value().to_bits(), b.value().to_bits());
        assert_eq!(a.value().to_bits(), d.value().to_bits());
    }

    #[test]
    fn exact_on_cancellation() {
        let mut a = ExactSum::new();
        for x in [1e100, 1.0, -1e100, 1e-300, -3.5, 2.5] {
            a.add(x);
        }
        assert_eq!(a.value(), 1e-300);
        let mut b = ExactSum::new();
        for x in [-0.5, -0.25, 0.125, -1e-20, 1e-20] {
            b.add(x);
        }
        assert_eq!(b.value(), -0.625);
        let mut c = ExactSum::new();
        c.add(f64::MIN_POSITIVE / 4.0);
        c.add(f64::MAX);
        c.add(-f64::MAX);
        assert_eq!(c.value(), f64::MIN_POSITIVE / 4.0);
    }

    /// xorshift64
    fn next(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    /// A value with random sign and significand, biased exponent in `eb` (0: subnormal or 0).
    fn with_exp(s: &mut u64, eb: u64) -> f64 {
        f64::from_bits((next(s) & (1 << 63)) | (eb << 52) | (next(s) & ((1 << 52) - 1)))
    }

    /// [`with_exp`] with the biased exponent uniform in base..base + count.
    fn in_window(s: &mut u64, base: u64, count: u64) -> f64 {
        let eb = base + next(s) % count;
        with_exp(s, eb)
    }

    fn shuffle(s: &mut u64, v: &mut [f64]) {
        for i in (1..v.len()).rev() {
            v.swap(i, (next(s) % (i as u64 + 1)) as usize);
        }
    }

    /// add_slice (AVX2 and portable kernels) against add value by value: same value bits and
    /// same normalised limbs; also over random splits of the slice, merged.
    fn check(xs: &[f64], what: &str) {
        let mut a = ExactSum::new();
        xs.iter().for_each(|&x| a.add(x));
        let (va, la) = (a.value(), a.limbs_normalized().to_vec());
        for isa in Isa::available() {
            let mut b = ExactSum::new();
            b.add_slice_with(xs, isa);
            assert_eq!(b.value().to_bits(), va.to_bits(), "{what} ({isa:?}): {} vs {va}", b.value());
            assert_eq!(b.limbs_normalized(), &la[..], "{what} ({isa:?}): limbs");
            assert_eq!(b.special_code(), a.special_code(), "{what}");
        }
        // Reversed order, one add_slice per piece at random split points, merged in random order.
        let mut s = xs.len() as u64 * 2654435761 + 1;
        let mut cuts: Vec<usize> =
            (0..(next(&mut s) % 6)).map(|_| (next(&mut s) % (xs.len() as u64 + 1)) as usize).collect();
        cuts.extend([0, xs.len()]);
        cuts.sort();
        let mut parts: Vec<ExactSum> = cuts
            .windows(2)
            .map(|w| {
                let mut p = ExactSum::new();
                p.add_slice(&xs[w[0]..w[1]]);
                p
            })
            .collect();
        parts.reverse();
        let mut m = ExactSum::new();
        for p in &parts {
            m.merge(p);
        }
        assert_eq!(m.value().to_bits(), va.to_bits(), "{what}: split at {cuts:?}");
        assert_eq!(m.limbs_normalized(), &la[..], "{what}: split limbs");
    }

    const LENS: [usize; 12] = [0, 1, 2, 15, 16, 17, 100, 4095, 4096, 4097, 3 * 4096 + 5, 100_000];

    #[test]
    fn add_slice_full_range() {
        let mut s = 1u64;
        for &n in &LENS {
            // Random sign, exponent and significand over all finite values (subnormals too).
            let v: Vec<f64> = (0..n).map(|_| in_window(&mut s, 0, 2047)).collect();
            check(&v, &format!("full range n={n}"));
            // Mostly huge with some tiny ones: overflow guard and wide range.
            let v: Vec<f64> = (0..n)
                .map(|i| if i % 3 == 0 { in_window(&mut s, 2027, 20) } else { in_window(&mut s, 0, 40) })
                .collect();
            check(&v, &format!("huge and tiny n={n}"));
        }
        check(&[f64::MAX; 5000], "MAX");
        check(&[f64::MAX, -f64::MAX, f64::MIN_POSITIVE, 5e-324, -5e-324, 1.0].repeat(1000), "extremes");
    }

    #[test]
    fn add_slice_exponent_windows() {
        // Every width of exponent window (so every number of levels, their limits, and the
        // binned path), at several heights including next to overflow and in the subnormals.
        let mut s = 2u64;
        for &n in &[20usize, 300, 4096, 5000] {
            for width in (0..260).step_by(7).chain([41, 42, 82, 83, 123, 124, 164, 165, 205, 206]) {
                let below = |top: u64| top - width.min(top);
                for base in [0u64, 1, 30, 500, 1023 - width / 2, below(2046), below(2035), below(2020)] {
                    let v: Vec<f64> = (0..n).map(|_| in_window(&mut s, base, width + 1)).collect();
                    check(&v, &format!("window n={n} width={width} base={base}"));
                }
            }
        }
    }

    #[test]
    fn add_slice_bounds() {
        // Worst cases for the level bounds: many values of one sign at the top exponent (the
        // level sums as large as they get: all-ones significands, halfway patterns, random)
        // and one odd significand `width` binades lower fixing the lowest bit.
        let mut s = 6u64;
        for &n in &[17usize, 2048, 4095, 4096] {
            for width in 0..260u64 {
                for pattern in 0..4 {
                    let top = 1500;
                    let mut v: Vec<f64> = (0..n)
                        .map(|_| {
                            let frac = match pattern {
                                0 => (1 << 52) - 1,
                                1 => (1 << 51) | ((1 << 20) - 1),
                                2 => 0x000a_aaaa_aaaa_aaab,
                                _ => next(&mut s) & ((1 << 52) - 1),
                            };
                            f64::from_bits((top << 52) | frac)
                        })
                        .collect();
                    v[n / 2] = f64::from_bits(((top - width) << 52) | 1);
                    check(&v, &format!("bounds n={n} width={width} pattern={pattern}"));
                }
            }
        }
    }

    #[test]
    fn add_slice_smooth_zeros_subnormals() {
        let mut s = 3u64;
        for &n in &LENS {
            let smooth: Vec<f64> = (0..n).map(|i| 1.0 + 0.2 * (i as f64 * 1e-3).sin()).collect();
            check(&smooth, &format!("smooth n={n}"));
            let noisy: Vec<f64> = (0..n).map(|_| (next(&mut s) >> 11) as f64 / (1u64 << 52) as f64 - 1.0).collect();
            check(&noisy, &format!("noisy n={n}"));
            // Zeros of both signs among values, and all zeros.
            let z: Vec<f64> =
                (0..n).map(|i| [0.0, -0.0, 1.5, -2.25e-3][(next(&mut s) % 4) as usize] * (i % 7) as f64).collect();
            check(&z, &format!("zeros n={n}"));
            check(&vec![-0.0; n], &format!("-0.0 n={n}"));
            check(&vec![0.0; n], &format!("0.0 n={n}"));
            // Subnormals only, and subnormals with the smallest normals.
            let v: Vec<f64> = (0..n).map(|_| with_exp(&mut s, 0)).collect();
            check(&v, &format!("subnormal n={n}"));
            let v: Vec<f64> = (0..n).map(|_| in_window(&mut s, 0, 60)).collect();
            check(&v, &format!("low exponents n={n}"));
        }
    }

    #[test]
    fn add_slice_cancellation() {
        let mut s = 4u64;
        for &n in &LENS {
            for width in [2u64, 50, 300, 2000] {
                let half: Vec<f64> = (0..n / 2).map(|_| in_window(&mut s, (2047 - width) / 2, width)).collect();
                let mut v: Vec<f64> = half.iter().flat_map(|&x| [x, -x]).collect();
                check(&v, &format!("x, -x n={n} width={width}"));
                shuffle(&mut s, &mut v);
                if n % 2 == 1 {
                    v.push(3.0);
                }
                check(&v, &format!("shuffled cancellation n={n} width={width}"));
                let mut b = ExactSum::new();
                b.add_slice(&v);
                assert_eq!(b.value(), if n % 2 == 1 { 3.0 } else { 0.0 });
            }
        }
    }

    #[test]
    fn add_slice_specials() {
        let mut s = 5u64;
        for &n in &LENS[1..] {
            for special in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN] {
                for count in [1, 2] {
                    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * 1e-3).collect();
                    for _ in 0..count {
                        v[(next(&mut s) % n as u64) as usize] = special;
                    }
                    check(&v, &format!("{special} x{count} n={n}"));
                }
            }
            let mut v: Vec<f64> = (0..n).map(|_| in_window(&mut s, 900, 200)).collect();
            v[n / 2] = f64::INFINITY;
            v[n - 1] = f64::NEG_INFINITY;
            check(&v, &format!("+Inf and -Inf n={n}"));
        }
    }

    #[test]
    fn specials_propagate() {
        let mut a = ExactSum::new();
        a.add(1.0);
        a.add(f64::INFINITY);
        assert_eq!(a.value(), f64::INFINITY);
        a.add(f64::NEG_INFINITY);
        assert!(a.value().is_nan());
    }
}
