//! One colour of one row of the viscous Gauss-Seidel sweep ([`super::viscous`]): for the faces
//! x = x0, x0 + 2, ... < end of the row, with the Helmholtz operator (I - a L) and its
//! reciprocal diagonal `inv`,
//!
//!   r = ((b - x) + ax ((x_e - 2x) + x_w)) + ay ((x_n - 2x) + x_s),   x <- x + r inv,
//!
//! returning the largest |r| (NaN ignored, as `f64::max` does). The AVX2 and AVX-512 versions
//! compute 4 / 8 adjacent faces at once, both colours, with the same operations in the same order
//! (no FMA; one body for both widths over [`super::lanes`]), and keep only the lanes of the
//! colour: the same bits as the scalar loop, whose running maximum and scalar operations bound it
//! at several cycles per face. The vector blocks
//! cover the faces 1 ..= n - 2 of a row of n unknowns (`inv[0]` there); the first and last face
//! take `inv[1]` and `inv[2]` (`inv[3]` if they are one: next to a wall the diagonal is larger).
//!
//! The wide versions read the faces of the colour being relaxed in the rows y -+ 1 (into lanes
//! they then discard) and write back the other colour's faces of row y unchanged; a caller must
//! use them only where no other thread touches the rows y -+ 1 and y meanwhile.

use crate::simd::Isa;

/// The coefficients of a row: (ax, ay), the reciprocal diagonals of the faces in between, of its
/// first face, of its last face and of a face that is both, and its number of unknowns n.
#[derive(Clone, Copy)]
pub struct RowCoef {
    pub a: [f64; 2],
    pub inv: [f64; 4],
    pub n: usize,
}

impl RowCoef {
    #[inline]
    fn inv(&self, x: usize) -> f64 {
        self.inv[usize::from(x == 0) | usize::from(x + 1 == self.n) << 1]
    }
}

/// Relax the faces x0, x0 + 2, ... < n of a row (see the module docs); the largest |residual|.
///
/// # Safety
/// `q` points at face 0 of the row, in a field with row stride `s` whose faces (y, -1 ..= n) and
/// (y -+ 1, 0 .. n) lie in its allocation; `b` holds the row's n right-hand sides. No other
/// thread writes the faces read or reads the faces written meanwhile; with `wide`, no other
/// thread touches the rows y and y -+ 1 at all.
#[inline]
pub unsafe fn relax_row(isa: Isa, wide: bool, q: *mut f64, s: usize, b: &[f64], k: RowCoef, x0: usize) -> f64 {
    let n = k.n.min(b.len());
    let mut worst = 0.0f64;
    let mut x = x0;
    if wide && isa != Isa::Portable {
        // The first face (its own diagonal), then the vector blocks from face 1 or 2.
        if x == 0 {
            // SAFETY: the caller's promise.
            worst = unsafe { relax_scalar(q, s, b, k, 0, n.min(1)) };
            x = 2;
        }
        let (done, w) = match isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the token in `Isa::Avx512` proves AVX-512F; faces x .. n - 1 are in the
            // caller's promise and every one relaxed is < n - 1 (its diagonal is inv[0]).
            Isa::Avx512(_) => unsafe { x86::relax_512(q, s, b, k, x, n.saturating_sub(1)) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, AVX2 by the token.
            Isa::Avx2(_) => unsafe { x86::relax_256(q, s, b, k, x, n.saturating_sub(1)) },
            _ => (x, 0.0),
        };
        x = done;
        worst = worst.max(w);
    }
    // SAFETY: the caller's promise.
    worst.max(unsafe { relax_scalar(q, s, b, k, x, n) })
}

/// The portable loop over faces x, x + 2, ... < end; also the ends of the wide ones.
#[inline(always)]
unsafe fn relax_scalar(q: *mut f64, s: usize, b: &[f64], k: RowCoef, mut x: usize, end: usize) -> f64 {
    let [ax, ay] = k.a;
    // Four running maxima (faces in turn): one would chain every face to the one before.
    let mut worst = [0.0f64; 4];
    while x < end {
        // SAFETY: faces x -+ 1 and x -+ s lie in the caller's promise.
        unsafe {
            let c = q.add(x);
            let xx = *c;
            let lx = *c.add(1) - 2.0 * xx + *c.sub(1);
            let ly = *c.add(s) - 2.0 * xx + *c.sub(s);
            let res = b[x] - xx + ax * lx + ay * ly;
            let w = &mut worst[(x >> 1) & 3];
            *w = w.max(res.abs());
            *c = xx + res * k.inv(x);
        }
        x += 2;
    }
    worst.into_iter().fold(0.0, f64::max)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::RowCoef;

    super::super::lanes::per_width! {
        /// Faces x .. in blocks of L (half of them of the colour) while a block lies before `end`
        /// (all with the diagonal `inv[0]`); returns the first face left and the largest |residual|.
        /// As in [`super::super::mg_relax`]: the row is read a block ahead and the west and east
        /// neighbours are its vectors shifted by one lane; the block is stored whole.
        ///
        /// # Safety
        /// As [`super::relax_row`] with `wide`; a CPU with the feature.
        [relax_512, relax_256]
        pub unsafe fn (q: *mut f64, s: usize, b: &[f64], k: RowCoef, mut x: usize, end: usize) -> (usize, f64) {
            if x + L > end {
                return (x, 0.0);
            }
            let (ax, ay, inv) = (splat(k.a[0]), splat(k.a[1]), splat(k.inv[0]));
            let two = splat(2.0);
            let mut worst = zero();
            // SAFETY: faces x - 1 .. x + L of the row are within the caller's promise.
            let mut row = unsafe { Ahead::start(q.add(x)) };
            while x + L <= end {
                // SAFETY: faces x .. min(x + 2 L - 1, end) of row y, x .. x + L of rows y -+ 1
                // and b[x .. x + L] are within the caller's promise. At the row's end only
                // the face after the block is read (the last face's east neighbour).
                unsafe {
                    let c = q.add(x);
                    let (west, cur, east) = row.step(c, x + 2 * L <= end);
                    let x2 = mul(two, cur);
                    let lx = add(sub(east, x2), west);
                    let ly = add(sub(load(c.add(s)), x2), load(c.sub(s)));
                    let res = add(add(sub(load(b.as_ptr().add(x)), cur), mul(ax, lx)), mul(ay, ly));
                    // |res| on the colour's lanes (0 elsewhere); max keeps its second operand
                    // when the first is a NaN, as f64::max ignores one.
                    worst = max(abs_even(res), worst);
                    store(c, keep(true, cur, add(cur, mul(res, inv))));
                }
                x += L;
            }
            (x, max_lane(worst))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::{adversarial, assert_only_colour_written, row_cases, same_bits, smooth};

    /// Every variant writes exactly the faces of the colour, with the scalar loop's bits, and
    /// finds the same largest residual: every start parity, every row length up to 44 (the ends
    /// of the vector blocks), and long rows of many data sets. The data mix signs and magnitudes
    /// (between nearby values most subtractions are exact and would hide a change of operation
    /// order), or are adversarial (NaNs, infinities, subnormals).
    #[test]
    fn every_variant_relaxes_the_same_faces_to_the_same_bits() {
        let s = 200usize;
        for (seed, n) in row_cases(2..40) {
            for wild in [false, true] {
                let x_0 = if wild { adversarial(seed, 3 * s + 2) } else { smooth(seed, 3 * s + 2, 1.0, 6.0) };
                let b = smooth(seed + 1000, s, 1.0, 3.0);
                for x0 in 0..2 {
                    let k = RowCoef { a: [0.3, 0.7], inv: [1.0 / 3.0, 1.0 / 3.7, 1.0 / 4.1, 1.0 / 4.8], n };
                    let run = |isa: Isa, wide: bool| {
                        let mut x = x_0.clone();
                        // SAFETY: row y = 1 starts at s + 1 (one halo face before face 0); faces
                        // -1 ..= n of it and 0 .. n of rows 0 and 2 lie inside `x`.
                        let w = unsafe { relax_row(isa, wide, x.as_mut_ptr().add(s + 1), s, &b, k, x0) };
                        (x, w)
                    };
                    let (want, w0) = run(Isa::Portable, false);
                    assert_only_colour_written(&want, &x_0, s + 1, x0, n);
                    for isa in Isa::available() {
                        for wide in [false, true] {
                            let (got, w) = run(isa, wide);
                            let what = format!("{} wide {wide}, seed {seed}, n {n}, x0 {x0}", isa.name());
                            assert!(same_bits(&got, &want), "{what}");
                            assert!(w.to_bits() == w0.to_bits(), "{what}: max {w} vs {w0}");
                        }
                    }
                }
            }
        }
    }
}
