//! Which instruction set the kernels run, decided in one place.
//!
//! Every vectorised kernel has a portable version and, on x86-64, a version compiled for AVX2
//! (`#[target_feature(enable = "avx2")]`: wider vectors, chiefly for divisions and loads); the
//! heat row kernels and the multigrid's red-black row also one for AVX-512F (measured: the
//! temporally blocked heat sweep 9 % faster at 1024^2 on one thread, 5-11 % at 4096^2, on the
//! development machine; the weather kernels ran 11-18 % slower with 512-bit vectors, so they stay
//! at AVX2). They give the same bits: no FMA is
//! used (Rust never contracts `a * b + c`, even where the target feature would allow an FMA),
//! IEEE addition, subtraction, multiplication, division and square root round the same at any
//! vector width, and every kernel keeps the operation order of its portable version. (A NaN
//! result is a NaN in every variant, but its sign and payload are not specified by Rust and do
//! differ between variants; a run stops at the first NaN anyway.)
//!
//! Sound by construction: [`Avx2`] and [`Avx512`] are tokens with a private field, made only by
//! [`Avx2::detect`] and [`Avx512::detect`] after the CPU said it has the instructions (an AVX-512
//! token also vouches for AVX2). An [`Isa`] holds such a token in its AVX2 or AVX-512 variant. Every function compiled for AVX2 is private and `#[target_feature]` (the compiler
//! makes calling it `unsafe` from code without the feature); the safe functions that reach one
//! take an [`Isa`] or an [`Avx2`] token, and the `unsafe` call cites the token. So no safe
//! function can run an instruction the CPU lacks.
//!
//! `SIMRUN_SIMD=portable` (environment, read once per process) makes [`Isa::current`] the
//! portable kernels everywhere; `avx2` caps them at AVX2; `auto` (or unset) takes the best the
//! CPU offers.
//!
//! Dispatch points (every choice between kernels goes through one of these):
//! - [`crate::models::heat::kernel::Row2d`], [`crate::models::heat::kernel::Row3d`]: the heat row
//!   kernels (2-D with or without streaming stores, 3-D), used by the one-step and temporally
//!   blocked sweeps: portable, AVX2, AVX-512 (streaming stores: AVX2 intrinsics).
//! - [`crate::par::ExactSum::add_slice`]: the exact sum's range and level-sum passes.
//! - [`crate::par::min_max_total`]: the vectorised numeric min and max of a row.
//! - `crate::models::weather::kernel`: `twelfths`, `x_fluxes`, `z_fluxes`, `apply` (through
//!   [`dispatch!`](crate::simd::dispatch)).
//! - `crate::models::navier_stokes::mg_relax::relax_row`, `viscous_row::relax_row`,
//!   `pseudo_row::relax_row`: the red-black Gauss-Seidel rows of the multigrid, the implicit
//!   viscous step and the pseudo-time correction (portable, AVX2, AVX-512 intrinsics).
//!
//! Only the heat rows and the red-black rows have an AVX-512 version; elsewhere an AVX-512 [`Isa`]
//! runs the AVX2 kernels ([`Isa::avx2`]).

use std::sync::OnceLock;

/// Proof that this CPU executes AVX2 instructions. Only [`Avx2::detect`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Avx2 {
    _private: (),
}

impl Avx2 {
    /// A token if the CPU has AVX2 (whatever `SIMRUN_SIMD` says: tests compare every variant).
    pub fn detect() -> Option<Avx2> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Avx2 { _private: () });
        }
        None
    }
}

/// Proof that this CPU executes AVX-512F and AVX2 instructions. Only [`Avx512::detect`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Avx512 {
    _private: (),
}

impl Avx512 {
    /// A token if the CPU has AVX-512F and AVX2.
    pub fn detect() -> Option<Avx512> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx2") {
            return Some(Avx512 { _private: () });
        }
        None
    }

    /// The AVX2 token this one vouches for.
    pub fn avx2(self) -> Avx2 {
        Avx2 { _private: () }
    }
}

/// The kernels to run: portable, or compiled for AVX2 or AVX-512 (with the token that allows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Portable,
    Avx2(Avx2),
    Avx512(Avx512),
}

impl Isa {
    /// The process's choice: `SIMRUN_SIMD` if set, else the best this CPU has. Decided once.
    pub fn current() -> Isa {
        static CHOICE: OnceLock<Isa> = OnceLock::new();
        *CHOICE.get_or_init(|| {
            let setting = std::env::var("SIMRUN_SIMD").ok();
            Isa::from_setting(setting.as_deref()).unwrap_or_else(|e| {
                eprintln!("simrun: {e}; using the portable kernels");
                Isa::Portable
            })
        })
    }

    /// The kernels a `SIMRUN_SIMD` value asks for: "portable", "avx2" or "avx512" (an error where
    /// the CPU lacks it), "auto", "" or unset (the best available).
    pub fn from_setting(setting: Option<&str>) -> Result<Isa, String> {
        let missing = |what: &str| format!("SIMRUN_SIMD={what} but this CPU does not have it");
        match setting.map(str::trim) {
            None | Some("") | Some("auto") => Ok(Isa::best()),
            Some("portable") => Ok(Isa::Portable),
            Some("avx2") => Avx2::detect().map(Isa::Avx2).ok_or_else(|| missing("avx2")),
            Some("avx512") => Avx512::detect().map(Isa::Avx512).ok_or_else(|| missing("avx512")),
            Some(other) => Err(format!("SIMRUN_SIMD=`{other}` is not one of portable, avx2, avx512, auto")),
        }
    }

    /// The best kernels this CPU runs.
    pub fn best() -> Isa {
        *Isa::available().last().expect("portable at least")
    }

    /// Every variant this CPU runs, portable first (tests compare them bit for bit).
    pub fn available() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        v.extend(Avx2::detect().map(Isa::Avx2));
        v.extend(Avx512::detect().map(Isa::Avx512));
        v
    }

    /// The AVX2 token, where these kernels include AVX2 (AVX-512 does): the kernels that have no
    /// AVX-512 version run their AVX2 one.
    pub fn avx2(self) -> Option<Avx2> {
        match self {
            Isa::Portable => None,
            Isa::Avx2(t) => Some(t),
            Isa::Avx512(t) => Some(t.avx2()),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2(_) => "avx2",
            Isa::Avx512(_) => "avx512",
        }
    }
}

/// `dispatch! { /// docs
/// pub fn name(a: A, b: B) -> R = body }` defines `pub fn name(isa: Isa, a: A, b: B) -> R` that
/// runs `body` (an `#[inline(always)]` function) compiled for the instruction set `isa` names:
/// a private `#[target_feature(enable = "avx2")]` copy for [`Isa::Avx2`] and [`Isa::Avx512`],
/// `body` itself otherwise. `dispatch! { avx512 ... }` adds an `avx512f` copy for
/// [`Isa::Avx512`].
macro_rules! dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? = $body:ident) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        #[inline]
        $vis fn $name(isa: $crate::simd::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            #[allow(clippy::too_many_arguments)]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            match isa {
                $crate::simd::Isa::Portable => $body($($arg),*),
                #[cfg(target_arch = "x86_64")]
                // SAFETY: an `Isa::Avx2` or `Isa::Avx512` holds a token, made only when the CPU
                // has AVX2.
                $crate::simd::Isa::Avx2(_) | $crate::simd::Isa::Avx512(_) => unsafe { avx2($($arg),*) },
                #[cfg(not(target_arch = "x86_64"))]
                _ => $body($($arg),*),
            }
        }
    };
    (avx512 $(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? = $body:ident) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        #[inline]
        $vis fn $name(isa: $crate::simd::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            #[allow(clippy::too_many_arguments)]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::too_many_arguments)]
            fn avx512($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            match isa {
                $crate::simd::Isa::Portable => $body($($arg),*),
                #[cfg(target_arch = "x86_64")]
                // SAFETY: an `Isa::Avx2` holds a token, made only when the CPU has AVX2.
                $crate::simd::Isa::Avx2(_) => unsafe { avx2($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: an `Isa::Avx512` holds a token, made only when the CPU has AVX-512F.
                $crate::simd::Isa::Avx512(_) => unsafe { avx512($($arg),*) },
                #[cfg(not(target_arch = "x86_64"))]
                _ => $body($($arg),*),
            }
        }
    };
}
pub(crate) use dispatch;

/// Test data for comparing kernel variants bit for bit.
#[cfg(test)]
pub(crate) mod testing {
    /// Adversarial values: random bit patterns (every exponent, NaNs with payloads), subnormals,
    /// signed zeros, infinities, the largest finite values (sums overflow), and smooth data.
    pub fn adversarial(seed: u64, len: usize) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        (0..len)
            .map(|i| match next() % 8 {
                0 => f64::from_bits(next()),
                1 => f64::from_bits(next() & !(0x7ffu64 << 52)),
                2 => [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN, f64::MAX, -f64::MAX]
                    [(next() % 8) as usize],
                3 => f64::from_bits(0x7ff0_0000_0000_0000 | (next() & ((1 << 52) - 1)) | 1),
                _ => 1.0 + 0.25 * (i as f64 * 0.1).sin() + (next() >> 11) as f64 * 1e-16,
            })
            .collect()
    }

    /// Plausible values around `centre` with relative noise `spread` (kernels whose branches or
    /// divisions need physical data).
    pub fn smooth(seed: u64, len: usize, centre: f64, spread: f64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let u = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                centre * (1.0 + spread * (u + 0.3 * (i as f64 * 0.37).sin()))
            })
            .collect()
    }

    /// (seed, row length) cases for a row kernel: every length up to 44 with seed 1 (the ends of
    /// vector blocks of 4 and 8, both parities, with and without a tail), then rows of 190 for
    /// each of `long_seeds`.
    pub fn row_cases(long_seeds: std::ops::Range<u64>) -> impl Iterator<Item = (u64, usize)> {
        (0..=44).map(|n| (1u64, n)).chain(long_seeds.map(|seed| (seed, 190)))
    }

    /// `after` equals `before` bit for bit everywhere but at the cells of one colour of a row:
    /// indices origin + f for f = first, first + 2, ... < end (a red-black row kernel writes
    /// nothing else).
    pub fn assert_only_colour_written(after: &[f64], before: &[f64], origin: usize, first: usize, end: usize) {
        for (i, (a, b)) in after.iter().zip(before).enumerate() {
            let f = i as isize - origin as isize;
            if !(f >= first as isize && f < end as isize && (f - first as isize) % 2 == 0) {
                assert_eq!(a.to_bits(), b.to_bits(), "cell {i} not of the colour was changed");
            }
        }
    }

    /// Bitwise equality (signed zeros and infinities included), except that any NaN matches any
    /// NaN: Rust leaves the sign and payload of a NaN result unspecified (RFC 3514), and LLVM may
    /// swap the operands of an addition differently in two compilations of the same code.
    pub fn same_bits(a: &[f64], b: &[f64]) -> bool {
        let same = |x: &f64, y: &f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
        if let Some(i) = a.iter().zip(b).position(|(x, y)| !same(x, y)) {
            eprintln!(
                "first difference at {i}: {:e} ({:#018x}) vs {:e} ({:#018x})",
                a[i],
                a[i].to_bits(),
                b[i],
                b[i].to_bits()
            );
        }
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        assert_eq!(Isa::from_setting(Some("portable")), Ok(Isa::Portable));
        assert_eq!(Isa::from_setting(None), Ok(Isa::best()));
        assert_eq!(Isa::from_setting(Some("auto")), Ok(Isa::best()));
        assert!(Isa::from_setting(Some("avx3")).is_err());
        assert_eq!(Isa::from_setting(Some("avx2")).is_ok(), Avx2::detect().is_some());
        assert_eq!(Isa::from_setting(Some("avx512")).is_ok(), Avx512::detect().is_some());
        for isa in Isa::available() {
            assert_eq!(isa.avx2().is_some(), isa != Isa::Portable);
        }
        assert_eq!(Isa::available()[0], Isa::Portable);
    }

    /// The process follows `SIMRUN_SIMD` (./scripts/test.sh runs the suite once with "portable").
    #[test]
    fn current_follows_the_environment() {
        let want = Isa::from_setting(std::env::var("SIMRUN_SIMD").ok().as_deref()).unwrap_or(Isa::Portable);
        assert_eq!(Isa::current(), want);
        eprintln!("kernels: {}", Isa::current().name());
    }
}
