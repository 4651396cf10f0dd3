//! One colour of one row of the pseudo-time Gauss-Seidel sweep ([`super::pseudo`]): for the faces
//! i = first, first + 2, ... < cols of a row of u or v unknowns, with the upwind weights of the
//! face velocities averaged to the control volume's faces (here for u; v alike, with the axes'
//! roles swapped),
//!
//!   u_e = (u_c + u_{c+1}) / 2,  u_w = (u_{c-1} + u_c) / 2,  v_n, v_s likewise,
//!   a_e = tx max(-u_e, 0) + nx2,  a_w = tx max(u_w, 0) + nx2,  a_n = ty max(-v_n, 0) + ny2,
//!   a_s = ty max(v_s, 0) + ny2,   d0 = 1 + a_e + a_w + a_n + a_s,
//!   d = d0 (+ 2 a_s, + 2 a_n next to a wall whose ghost is extrapolated),
//!   r = b - d0 x + a_e x_e + a_w x_w + a_n x_n + a_s x_s,   x <- x + r / d.
//!
//! The AVX2 and AVX-512 versions compute 4 / 8 adjacent faces at once, both colours, with the same
//! operations in the same order (no FMA; one body for both widths over [`super::lanes`]), and
//! keep only the lanes of the colour: the same bits as the scalar loop, which spends a division
//! and a dozen dependent operations per face. The row is read one block ahead and the west and
//! east neighbours come from the blocks in registers, so no load overlaps the previous block's
//! store. The blocks cover the faces 1 ..= cols - 2 (no wall term of a v row there); the first
//! and last face and what is left at the end run the scalar loop.
//!
//! The wide version reads the faces of the colour being relaxed in the rows y -+ 1 (into lanes it
//! then discards) and writes back the other colour's faces of row y unchanged; a caller must use
//! it only where no other thread touches the rows y -+ 1 and y meanwhile.

use crate::simd::Isa;

/// A row's constants: dtau / dx, dtau / dy, dtau nu / dx^2, dtau nu / dy^2; its unknowns; for a
/// u row, whether its south / north wall adds to every diagonal (`lo` / `hi`), for a v row,
/// whether the west / east wall adds to the first / last face's.
#[derive(Clone, Copy, Debug)]
pub struct RowK {
    pub tx: f64,
    pub ty: f64,
    pub nx2: f64,
    pub ny2: f64,
    pub cols: usize,
    pub lo: bool,
    pub hi: bool,
}

/// Relax the faces first, first + 2, ... < cols of row y of u (`is_u`) or v (see the module docs).
///
/// # Safety
/// `x` is the correction field's data, `c0` the index of face 0 of row y in it (and in `ud`, `vd`
/// and `b`, fields of one shape with row stride `st`); the faces (y, -1 ..= cols) and
/// (y -+ 1, -1 ..= cols) lie inside all four. No other thread writes the faces read or reads the
/// faces written meanwhile; with `wide`, no other thread touches the rows y and y -+ 1 at all.
#[allow(clippy::too_many_arguments)]
#[inline]
pub unsafe fn relax_row(
    isa: Isa,
    wide: bool,
    is_u: bool,
    x: *mut f64,
    (c0, st): (usize, usize),
    (ud, vd, b): (&[f64], &[f64], &[f64]),
    k: &RowK,
    first: usize,
) {
    let (from, to) = (1, k.cols.saturating_sub(1));
    let mut done = from;
    if wide && isa != Isa::Portable && to > from {
        let keep_even = from % 2 == first % 2;
        let args = (x, c0, st, ud, vd, b, k, from, to, keep_even);
        // SAFETY: the caller's promise; the tokens in the ISA variants prove the features.
        done = unsafe {
            match (isa, is_u) {
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx512(_), true) => x86::blocks_512::<true>(args),
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx512(_), false) => x86::blocks_512::<false>(args),
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx2(_), true) => x86::blocks_256::<true>(args),
                #[cfg(target_arch = "x86_64")]
                (Isa::Avx2(_), false) => x86::blocks_256::<false>(args),
                _ => from,
            }
        };
    }
    // The faces of the colour before the blocks and from where they stopped (the first face of
    // the colour at or after `done`).
    let rest = done + ((done ^ first) & 1);
    for i in (first..from.min(k.cols)).step_by(2).chain((rest..k.cols).step_by(2)) {
        // SAFETY: the caller's promise.
        unsafe {
            if is_u {
                relax_face::<true>(x, c0 + i, i, st, ud, vd, b, k)
            } else {
                relax_face::<false>(x, c0 + i, i, st, ud, vd, b, k)
            }
        }
    }
}

/// The upwind weights (a_e, a_w, a_n, a_s) of face c.
#[inline(always)]
fn weights<const U: bool>(ud: &[f64], vd: &[f64], c: usize, st: usize, k: &RowK) -> [f64; 4] {
    let (ue, uw, vn, vs) = if U {
        (0.5 * (ud[c] + ud[c + 1]), 0.5 * (ud[c - 1] + ud[c]), 0.5 * (vd[c] + vd[c + 1]), 0.5 * (vd[c - st] + vd[c - st + 1]))
    } else {
        (0.5 * (ud[c] + ud[c + st]), 0.5 * (ud[c - 1] + ud[c - 1 + st]), 0.5 * (vd[c] + vd[c + st]), 0.5 * (vd[c - st] + vd[c]))
    };
    [k.tx * (-ue).max(0.0) + k.nx2, k.tx * uw.max(0.0) + k.nx2, k.ty * (-vn).max(0.0) + k.ny2, k.ty * vs.max(0.0) + k.ny2]
}

/// The new value of a face: its value xc, neighbours [e, w, n, s], right-hand side, weights, and
/// whether the walls' terms apply to it (south / north for u, west / east for v).
#[inline(always)]
fn relaxed<const U: bool>(xc: f64, nb: [f64; 4], b: f64, [ae, aw, an, as_]: [f64; 4], lo: bool, hi: bool) -> f64 {
    let d0 = 1.0 + ae + aw + an + as_;
    // A ghost across a wall is (-6 x0 + x1) / 3 for a correction: -2 x0 on the diagonal.
    let mut d = d0;
    if lo {
        d += 2.0 * if U { as_ } else { aw };
    }
    if hi {
        d += 2.0 * if U { an } else { ae };
    }
    let res = b - d0 * xc + ae * nb[0] + aw * nb[1] + an * nb[2] + as_ * nb[3];
    xc + res / d
}

/// The scalar loop's face i (index c).
///
/// # Safety
/// As [`relax_row`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn relax_face<const U: bool>(x: *mut f64, c: usize, i: usize, st: usize, ud: &[f64], vd: &[f64], b: &[f64], k: &RowK) {
    // SAFETY: c and its four neighbours are inside the field (the caller's promise).
    let at = |o: usize| unsafe { *x.add(o) };
    let w = weights::<U>(ud, vd, c, st, k);
    let (lo, hi) = if U { (k.lo, k.hi) } else { (k.lo && i == 0, k.hi && i + 1 == k.cols) };
    let v = relaxed::<U>(at(c), [at(c + 1), at(c - 1), at(c + st), at(c - st)], b[c], w, lo, hi);
    // SAFETY: as above.
    unsafe { *x.add(c) = v };
}

/// The arguments of the block loop: x, c0, st, ud, vd, b, the row's constants, the faces
/// from .. to the blocks may cover, whether the colour's lanes are the even ones.
type Args<'a> = (*mut f64, usize, usize, &'a [f64], &'a [f64], &'a [f64], &'a RowK, usize, usize, bool);

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Args;

    super::super::lanes::per_width! {
        /// Whole blocks of `L` faces from `from` while they end before `to`; returns where they
        /// stopped. The row y is read once, a block ahead (`next`; after the last block the one face
        /// after it): the west and east neighbours are its vectors shifted by one lane, and the block
        /// is stored whole, its other colour's faces unchanged.
        ///
        /// # Safety
        /// As [`super::relax_row`] with `wide`; 1 <= from, to <= cols - 1; a CPU with the feature.
        [blocks_512, blocks_256]
        pub(super) unsafe fn <const U: bool>((x, c0, st, ud, vd, b, k, from, to, keep_even): Args) -> usize {
            let nb = (to - from) / L;
            if nb == 0 {
                return from;
            }
            let (tx, ty, nx2, ny2) = (splat(k.tx), splat(k.ty), splat(k.nx2), splat(k.ny2));
            let (half, one, two) = (splat(0.5), splat(1.0), splat(2.0));
            let (up, vp, bp) = (ud.as_ptr(), vd.as_ptr(), b.as_ptr());
            // SAFETY: here and below, faces from - 1 ..= from + L nb <= cols - 1
            // of row y and from - 1 ..= from + L nb of rows y -+ 1 are inside the fields by
            // the caller's promise.
            let mut row = unsafe { Ahead::start(x.add(c0 + from)) };
            for blk in 0..nb {
                let c = c0 + from + blk * L;
                // SAFETY: as above.
                unsafe {
                    let (west, cur, east) = row.step(x.add(c), blk + 1 < nb);
                    let mean = |p: *const f64, a: usize, b: usize| mul(half, add(load(p.add(a)), load(p.add(b))));
                    let (ue, uw, vn, vs) = if U {
                        (mean(up, c, c + 1), mean(up, c - 1, c), mean(vp, c, c + 1), mean(vp, c - st, c - st + 1))
                    } else {
                        (mean(up, c, c + st), mean(up, c - 1, c - 1 + st), mean(vp, c, c + st), mean(vp, c - st, c))
                    };
                    let ae = add(mul(tx, max0(neg(ue))), nx2);
                    let aw = add(mul(tx, max0(uw)), nx2);
                    let an = add(mul(ty, max0(neg(vn))), ny2);
                    let as_ = add(mul(ty, max0(vs)), ny2);
                    let d0 = add(add(add(add(one, ae), aw), an), as_);
                    // A v row's wall terms apply to its first and last face only, never here.
                    let mut d = d0;
                    if U && k.lo {
                        d = add(d, mul(two, as_));
                    }
                    if U && k.hi {
                        d = add(d, mul(two, an));
                    }
                    let res = sub(load(bp.add(c)), mul(d0, cur));
                    let res = add(add(add(add(res, mul(ae, east)), mul(aw, west)), mul(an, load(x.add(c + st)))), mul(as_, load(x.add(c - st))));
                    store(x.add(c), keep(keep_even, cur, add(cur, div(res, d))));
                }
            }
            from + nb * L
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::{adversarial, assert_only_colour_written, row_cases, same_bits, smooth};

    /// Every variant writes exactly the faces of the colour, with the scalar loop's bits: u and v
    /// rows, both start parities, every wall case, every row length up to 44 (the ends of the
    /// vector blocks) and long rows of many data sets. Velocities, corrections and right-hand
    /// sides mix signs and magnitudes (both sides of every upwind choice; between nearby values
    /// most subtractions are exact and would hide a change of operation order), or the
    /// corrections are adversarial (NaNs, infinities, subnormals).
    #[test]
    fn every_variant_relaxes_the_same_faces_to_the_same_bits() {
        let s = 200usize;
        for (seed, cols) in row_cases(2..30) {
            let (ud, vd) = (smooth(seed + 10, 5 * s, 1.0, 6.0), smooth(seed + 20, 5 * s, 1.0, 6.0));
            let b = smooth(seed + 30, 5 * s, 1.0, 3.0);
            for wild in [false, true] {
                let x_0 = if wild { adversarial(seed, 5 * s) } else { smooth(seed, 5 * s, 1.0, 6.0) };
                for (is_u, first, lo, hi) in (0..16).map(|m| (m & 1 == 1, (m >> 1) & 1, m & 4 != 0, m & 8 != 0)) {
                    let k = RowK { tx: 0.8, ty: 1.3, nx2: 0.21, ny2: 0.37, cols, lo, hi };
                    // Row y = 2 of a field with stride s; face 0 at column 1.
                    let c0 = 2 * s + 1;
                    let run = |isa: Isa, wide: bool| {
                        let mut x = x_0.clone();
                        // SAFETY: faces -1 ..= cols of rows 1 ..= 3 lie inside all four vectors,
                        // and nothing else runs.
                        unsafe { relax_row(isa, wide, is_u, x.as_mut_ptr(), (c0, s), (&ud, &vd, &b), &k, first) };
                        x
                    };
                    let want = run(Isa::Portable, false);
                    assert_only_colour_written(&want, &x_0, c0, first, cols);
                    for isa in Isa::available() {
                        for wide in [false, true] {
                            let what = format!("{} wide {wide}, seed {seed}, cols {cols}, u {is_u}, first {first}, walls {lo} {hi}", isa.name());
                            assert!(same_bits(&run(isa, wide), &want), "{what}");
                        }
                    }
                }
            }
        }
    }
}
