//! The red-black Gauss-Seidel update of the cells of one colour in one row of a multigrid level:
//!
//!   phi(y, x) = (a_w phi(y, x-1) + a_e phi(y, x+1) + a_s phi(y-1, x) + a_n phi(y+1, x) - f(y, x))
//!               * d(y, x),   d = 1 / (a_w + a_e + a_s + a_n)
//!
//! for x = x0, x0 + 2, ... < end (Briggs, Henson & McCormick, "A Multigrid Tutorial", 2nd ed.,
//! SIAM 2000, sec. 2.1 and 3; the coefficients are [`super::mg_level`]'s face coefficients, d is
//! computed once per level). Multiplying by the stored reciprocal instead of dividing (within one
//! rounding of the quotient) is what makes the sweep fast: a division per cell bounded the scalar
//! loop at ~4 cycles per cell, and costs as much per lane in a vector.
//!
//! The scalar loop is the portable version. The AVX2 and AVX-512 versions compute 4 / 8 adjacent
//! cells at once, both colours, with the same operations in the same order (no FMA), and keep
//! only the lanes of the colour being relaxed: same bits as the scalar loop for every cell (one
//! body for both widths over [`super::lanes`]).
//!
//! The wide versions read the cells of the colour being relaxed in the rows y -+ 1 (into lanes they
//! then discard) and write the other colour's cells of row y back unchanged; a caller must use
//! them only where no other thread touches the rows y and y -+ 1 meanwhile.

use crate::simd::Isa;

/// One colour of one row: see the module docs. `wide` allows the vector versions (see there).
///
/// # Safety
/// `q` points at phi(y, 0) of a field with row stride `s` whose cells (y, x0 - 1 ..= end) and
/// (y -+ 1, x0 ..= end) lie in its allocation; `f`, `w`, `e` and `d` hold at least `end` values
/// (the row's right-hand side, west and east coefficients and reciprocal diagonal, indexed by x).
/// No other thread writes the cells read, nor reads the cells written, while this runs (and with
/// `wide`, no other thread touches the rows y and y -+ 1 at all).
#[allow(clippy::too_many_arguments)]
#[inline]
pub unsafe fn relax_row(isa: Isa, wide: bool, q: *mut f64, s: usize, f: &[f64], w: &[f64], e: &[f64], d: &[f64], a_sn: [f64; 2], x0: usize, end: usize) {
    let end = end.min(f.len()).min(w.len()).min(e.len()).min(d.len());
    let x = match (wide, isa) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token in `Isa::Avx512` proves AVX-512F; the caller's promises above.
        (true, Isa::Avx512(_)) => unsafe { x86::relax_512(q, s, f, w, e, d, a_sn, x0, end) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token in `Isa::Avx2` proves AVX2; the caller's promises above.
        (true, Isa::Avx2(_)) => unsafe { x86::relax_256(q, s, f, w, e, d, a_sn, x0, end) },
        _ => x0,
    };
    // SAFETY: the caller's promises above.
    unsafe { relax_scalar(q, s, f, w, e, d, a_sn, x, end) }
}

/// The portable loop; also the tail of the wide ones.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn relax_scalar(q: *mut f64, s: usize, f: &[f64], w: &[f64], e: &[f64], d: &[f64], a_sn: [f64; 2], mut x: usize, end: usize) {
    let [a_s, a_n] = a_sn;
    while x < end {
        let (a_w, a_e) = (w[x], e[x]);
        // SAFETY: x - 1 >= x0 - 1 and x + 1 <= end, within the caller's promise.
        unsafe {
            let c = q.add(x);
            let sum = a_w * *c.sub(1) + a_e * *c.add(1) + a_s * *c.sub(s) + a_n * *c.add(s);
            *c = (sum - f[x]) * d[x];
        }
        x += 2;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    super::super::lanes::per_width! {
        /// Cells x0 .. in blocks of L (half of them of the colour) while a block lies before `end`;
        /// returns the first cell left for the scalar loop. The row y is read once, a block ahead
        /// (`next`; at the row's end the one cell after the block): the west and east neighbours are
        /// its vectors shifted by one lane, so no load overlaps the store of the block before, and the
        /// block is stored whole, its other colour's cells unchanged. (Masked stores of only the
        /// colour's lanes, with overlapping loads of the neighbours, ran slower than the scalar loop
        /// on the AMD development machine.)
        ///
        /// # Safety
        /// As [`super::relax_row`] with `wide`; a CPU with the feature.
        [relax_512, relax_256]
        pub unsafe fn (q: *mut f64, s: usize, f: &[f64], w: &[f64], e: &[f64], d: &[f64], a_sn: [f64; 2], mut x: usize, end: usize) -> usize {
            if x + L > end {
                return x;
            }
            let (vs, vn) = (splat(a_sn[0]), splat(a_sn[1]));
            // SAFETY: cells x - 1 .. x + L of row y are within the caller's promise (x + L <= end).
            let mut row = unsafe { Ahead::start(q.add(x)) };
            while x + L <= end {
                // SAFETY: cells x .. min(x + 2 L - 1, end) of row y and x .. x + L of rows
                // y -+ 1 are within the caller's promise; f, w, e, d hold end values. At the
                // row's end only the cell after the block is read (the last cell's east
                // neighbour).
                unsafe {
                    let c = q.add(x);
                    let (west, cur, east) = row.step(c, x + 2 * L <= end);
                    let (aw, ae) = (load(w.as_ptr().add(x)), load(e.as_ptr().add(x)));
                    let sum = add(add(add(mul(aw, west), mul(ae, east)), mul(vs, load(c.sub(s)))), mul(vn, load(c.add(s))));
                    let v = mul(sub(sum, load(f.as_ptr().add(x))), load(d.as_ptr().add(x)));
                    // The block's other colour keeps its values. The next block's west
                    // neighbour is one of them: taken from the loaded vector, not the stored
                    // one, so that blocks do not wait for each other.
                    store(c, keep(true, cur, v));
                }
                x += L;
            }
            x
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::{adversarial, assert_only_colour_written, same_bits, smooth};

    /// Every variant writes exactly the cells of the colour, with the scalar loop's bits, for every
    /// start parity, row range and length (tails included), on adversarial and smooth data.
    #[test]
    fn every_variant_relaxes_the_same_cells_to_the_same_bits() {
        let (nx, s) = (41usize, 44usize);
        for (seed, data) in [(1u64, false), (2, true)] {
            // Mixed signs and magnitudes (nearby values would make most subtractions exact).
            let phi0 = if data { adversarial(seed, 3 * s + 2) } else { smooth(seed, 3 * s + 2, 1.0, 6.0) };
            let f = smooth(seed + 10, nx, 0.1, 2.0);
            let w = smooth(seed + 20, nx, 4.0, 0.5);
            let mut e = smooth(seed + 30, nx, 4.0, 0.5);
            e[nx - 1] = 0.0; // a wall
            // An interior row, and one next to a wall.
            for a_sn in [[3.0, 1.7], [0.0, 2.5]] {
            let d: Vec<f64> = (0..nx).map(|x| 1.0 / (w[x] + e[x] + a_sn[0] + a_sn[1])).collect();
            for x0 in 0..5 {
                for end in x0..=nx {
                    let run = |isa: Isa, wide: bool| {
                        let mut phi = phi0.clone();
                        // SAFETY: the row y = 1 starts at s + 1 (one halo cell before x = 0); the
                        // rows y -+ 1 and the cells -1 ..= nx lie inside `phi`.
                        unsafe { relax_row(isa, wide, phi.as_mut_ptr().add(s + 1), s, &f, &w, &e, &d, a_sn, x0, end) };
                        phi
                    };
                    let want = run(Isa::Portable, true);
                    assert_only_colour_written(&want, &phi0, s + 1, x0, end);
                    for isa in Isa::available() {
                        for wide in [false, true] {
                            assert!(same_bits(&run(isa, wide), &want), "{} wide {wide}, x0 {x0}, end {end}", isa.name());
                        }
                    }
                }
            }
            }
        }
    }
}
