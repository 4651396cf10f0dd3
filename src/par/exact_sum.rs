//! An exact accumulator for sums of f64 values (a "superaccumulator").
//!
//! Every finite f64 is m * 2^e with a 53-bit integer m and -1074 <= e <= 971, so it is an exact
//! fixed-point number with 2098 bits. We keep the running sum in 32-bit digits stored in i64
//! limbs (the spare high bits absorb carries), so adding is exact and the result does not depend
//! on the order of the additions. Partial sums from threads or ranks merge by adding limbs, which
//! is exact too. The final conversion to f64 is a fixed function of the exact value, so the same
//! set of numbers gives the same bits whatever the split. (Cf. Kulisch's long accumulator;
//! Demmel & Nguyen, "Parallel reproducible summation", IEEE TC 2015.)

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
        let v = (m as u128) << (p % 32);
        let d0 = (v & 0xffff_ffff) as i64;
        let d1 = ((v >> 32) & 0xffff_ffff) as i64;
        let d2 = (v >> 64) as i64;
        if bits >> 63 == 0 {
            self.limbs[j] += d0;
            self.limbs[j + 1] += d1;
            self.limbs[j + 2] += d2;
        } else {
            self.limbs[j] -= d0;
            self.limbs[j + 1] -= d1;
            self.limbs[j + 2] -= d2;
        }
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
