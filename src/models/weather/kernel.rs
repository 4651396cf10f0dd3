//! The stage kernels: pure functions over one row ("plane") of the local block.
//!
//! The state lives in one [`crate::field::Field`] of interior extent (nz, 4, nx) with halos
//! (2, 0, 2): for every row k of the atmosphere the four variables' x-rows are contiguous, so one
//! plane holds everything a row needs and one halo message carries all four variables.
//!
//! A stage computes out = init + dt_s * R(forcing) along one direction, R the flux divergence of
//! the 4th-order interface values with hyperviscosity (see the module docs of
//! [`super`]). The arithmetic keeps the reference C code's operation order, e.g. the interface
//! value is -s0/12 + 7 s1/12 + 7 s2/12 - s3/12, so compat mode reproduces its bits. No fused
//! multiply-add: Rust does not contract.

use super::physics::{pressure, GRAV};
use crate::simd::dispatch;

/// Number of conserved variables: rho', rho u, rho w, (rho theta)'.
pub const NV: usize = 4;

/// 4th-order interface value from the four cells around the interface.
#[inline(always)]
#[cfg(test)]
fn interp(s0: f64, s1: f64, s2: f64, s3: f64) -> f64 {
    -s0 / 12.0 + 7.0 * s1 / 12.0 + 7.0 * s2 / 12.0 - s3 / 12.0
}

/// The reusable parts of [`interp`] for one value s: (s/12, 7 s/12). Each cell enters four
/// interfaces, so computing these once per cell halves the divisions, and
/// -a0 + b1 + b2 - a3 is bitwise `interp` (negation commutes with division).
#[inline(always)]
fn twelfths_impl(src: &[f64], a: &mut [f64], b: &mut [f64]) {
    let n = src.len();
    let (a, b) = (&mut a[..n], &mut b[..n]);
    for i in 0..n {
        a[i] = src[i] / 12.0;
        b[i] = 7.0 * src[i] / 12.0;
    }
}

/// Third difference (for hyperviscosity).
#[inline(always)]
fn diff3(s0: f64, s1: f64, s2: f64, s3: f64) -> f64 {
    -s0 + 3.0 * s1 - 3.0 * s2 + s3
}

/// Coefficients of one stage along one direction.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// The stage's time step (dt/3, dt/2 or dt).
    pub dt: f64,
    /// Cell size along the direction.
    pub d: f64,
    /// Hyperviscosity coefficient -beta d / (16 dt_stage) of the run's full step (see
    /// [`Stage::filtering`]).
    pub hv: f64,
}

impl Stage {
    /// A stage of a full step: the filter at upstream's strength.
    pub fn new(dt: f64, d: f64, beta: f64) -> Stage {
        Stage::filtering(dt, dt, d, beta)
    }

    /// A stage of `dt` whose hyperviscosity is that of a stage of `hv_dt`: the same stage of the
    /// run's full step, so a step shortened to land on an output or the end time filters in
    /// proportion to its length (upstream's coefficient uses the stage's own dt: every step,
    /// however short, applies the whole filter).
    pub fn filtering(dt: f64, hv_dt: f64, d: f64, beta: f64) -> Stage {
        Stage { dt, d, hv: -beta * d / (16.0 * hv_dt) }
    }
}

/// A per-cell addition to the rho*w tendency (gravity-wave forcing), added `times` times.
#[derive(Debug, Clone, Copy)]
pub struct WForce<'a> {
    pub rate: &'a [f64],
    pub times: u32,
}

/// Interfaces per chunk: the chunk's scratch stays in L1 cache.
const CH: usize = 64;

/// Stencil slices: `[v][j]` is the slice whose element i is cell j (0..4) of variable v's stencil
/// around interface i.
pub type Sten<'a> = [[&'a [f64]; 4]; 4];

/// Elements i0..i0 + m of variable v's four stencil slices.
#[inline(always)]
fn cut<'a>(x: &Sten<'a>, v: usize, i0: usize, m: usize) -> [&'a [f64]; 4] {
    [&x[v][0][i0..i0 + m], &x[v][1][i0..i0 + m], &x[v][2][i0..i0 + m], &x[v][3][i0..i0 + m]]
}

/// Stencils along x of the four variable rows of a plane: [v][j] = row v shifted by j.
fn x_sten(x: &[f64], w: usize, n: usize) -> Sten<'_> {
    [0, 1, 2, 3].map(|v| [0, 1, 2, 3].map(|j| &x[v * w + j..v * w + j + n]))
}

/// Stencils along z: [v][j] = the interior of row v of plane j.
fn z_sten(p: [&[f64]; 4], w: usize, nx: usize) -> Sten<'_> {
    [0, 1, 2, 3].map(|v| {
        [
            &p[0][v * w + 2..v * w + 2 + nx],
            &p[1][v * w + 2..v * w + 2 + nx],
            &p[2][v * w + 2..v * w + 2 + nx],
            &p[3][v * w + 2..v * w + 2 + nx],
        ]
    })
}

/// Fluxes through `n` interfaces, normal to x (`z = false`) or z. `s`: the cell values, `a`, `b`:
/// their [`twelfths`]. `hr`, `hrt`, `hp`:
/// background rho, rho theta and pressure at the interfaces (`hp = 0` for x). `wall`: solid wall
/// (w = 0 and no hyperviscous mass flux). Writes 4 rows of `stride` values into `flux`.
/// Three sweeps per chunk (interface values, pressure, fluxes) so the two without the `pow`
/// call vectorise.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fluxes<'a>(
    s: &Sten<'a>,
    a: &Sten<'a>,
    b: &Sten<'a>,
    n: usize,
    hr: f64,
    hrt: f64,
    hp: f64,
    hv: f64,
    z: bool,
    wall: bool,
    flux: &mut [f64],
    stride: usize,
) {
    let (f0, rest) = flux.split_at_mut(stride);
    let (f1, rest) = rest.split_at_mut(stride);
    let (f2, f3) = rest.split_at_mut(stride);
    let (mut r, mut u, mut w, mut t, mut p) = ([0.0; CH], [0.0; CH], [0.0; CH], [0.0; CH], [0.0; CH]);
    let mut i0 = 0;
    while i0 < n {
        let m = (n - i0).min(CH);
        let cut = |x: &Sten<'a>, v: usize| cut(x, v, i0, m);
        let (qa, qb) = ([0, 1, 2, 3].map(|v| cut(a, v)), [0, 1, 2, 3].map(|v| cut(b, v)));
        let val = |v: usize, j: usize| -qa[v][0][j] + qb[v][1][j] + qb[v][2][j] - qa[v][3][j];
        for j in 0..m {
            let rr = val(0, j) + hr;
            r[j] = rr;
            u[j] = val(1, j) / rr;
            w[j] = val(2, j) / rr;
            let tt = (val(3, j) + hrt) / rr;
            t[j] = tt;
            p[j] = rr * tt;
        }
        for pj in p[..m].iter_mut() {
            *pj = pressure(*pj) - hp;
        }
        if wall {
            w[..m].iter_mut().for_each(|x| *x = 0.0);
        }
        let (f0, f1, f2, f3) = (&mut f0[i0..i0 + m], &mut f1[i0..i0 + m], &mut f2[i0..i0 + m], &mut f3[i0..i0 + m]);
        let (a, b, c, e) = (cut(s, 0), cut(s, 1), cut(s, 2), cut(s, 3));
        for j in 0..m {
            let d0 = if wall { 0.0 } else { diff3(a[0][j], a[1][j], a[2][j], a[3][j]) };
            let d1 = diff3(b[0][j], b[1][j], b[2][j], b[3][j]);
            let d2 = diff3(c[0][j], c[1][j], c[2][j], c[3][j]);
            let d3 = diff3(e[0][j], e[1][j], e[2][j], e[3][j]);
            let (rr, uu, ww, tt, pp) = (r[j], u[j], w[j], t[j], p[j]);
            if z {
                f0[j] = rr * ww - hv * d0;
                f1[j] = rr * ww * uu - hv * d1;
                f2[j] = rr * ww * ww + pp - hv * d2;
                f3[j] = rr * ww * tt - hv * d3;
            } else {
                f0[j] = rr * uu - hv * d0;
                f1[j] = rr * uu * uu + pp - hv * d1;
                f2[j] = rr * uu * ww - hv * d2;
                f3[j] = rr * uu * tt - hv * d3;
            }
        }
        i0 += m;
    }
}

/// x-fluxes of one plane into `flux` (4 rows of nx + 1 interfaces). `f`: the forcing plane,
/// `w` its padded row length (nx + 4); `ta`, `tb`: scratch for its twelfths (4 w each); `hr`,
/// `hrt`: background rho and rho theta of the row.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn x_fluxes_impl(
    f: &[f64],
    ta: &mut [f64],
    tb: &mut [f64],
    w: usize,
    nx: usize,
    hr: f64,
    hrt: f64,
    hv: f64,
    flux: &mut [f64],
) {
    twelfths_impl(&f[..NV * w], ta, tb);
    let (ta, tb) = (&*ta, &*tb);
    fluxes(
        &x_sten(f, w, nx + 1),
        &x_sten(ta, w, nx + 1),
        &x_sten(tb, w, nx + 1),
        nx + 1,
        hr,
        hrt,
        0.0,
        hv,
        false,
        false,
        flux,
        nx + 1,
    );
}

/// z-fluxes of interface row k into `flux` (4 rows of nx). `planes`: the forcing planes k-2,
/// k-1, k, k+1, `pa`, `pb` their twelfths; `w` their padded row length. `wall`: the interface is
/// a solid wall.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn z_fluxes_impl(
    planes: [&[f64]; 4],
    pa: [&[f64]; 4],
    pb: [&[f64]; 4],
    w: usize,
    nx: usize,
    hr: f64,
    hrt: f64,
    hp: f64,
    hv: f64,
    wall: bool,
    flux: &mut [f64],
) {
    fluxes(&z_sten(planes, w, nx), &z_sten(pa, w, nx), &z_sten(pb, w, nx), nx, hr, hrt, hp, hv, true, wall, flux, nx);
}

/// Apply one plane's tendencies: out = init + dt * tend, tend = -(F[i+1] - F[i]) / d for x
/// (`lo`, `hi` the same flux rows shifted by one) or -(H[k+1] - H[k]) / d for z. For rho w the
/// tendency also gets `-rho' g` (z only, `rho_g` = the forcing plane's rho' row) and the forcing.
/// `init = None` updates `out` in place.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn apply_impl(
    out: &mut [f64],
    init: Option<&[f64]>,
    w: usize,
    nx: usize,
    lo: &[f64],
    lo_stride: usize,
    hi: &[f64],
    hi_stride: usize,
    st: &Stage,
    rho_g: Option<&[f64]>,
    force: Option<WForce>,
) {
    for v in 0..NV {
        let fl = &lo[v * lo_stride..v * lo_stride + nx];
        let fh = &hi[v * hi_stride..v * hi_stride + nx];
        let o = &mut out[v * w + 2..v * w + 2 + nx];
        let base = init.map(|s| &s[v * w + 2..v * w + 2 + nx]);
        let (d, dt) = (st.d, st.dt);
        if v == 2 && (rho_g.is_some() || force.is_some()) {
            // rho w: tendency, then - rho' g, then the forcing, in that order.
            let mut tend = [0.0; CH];
            let mut i0 = 0;
            while i0 < nx {
                let m = (nx - i0).min(CH);
                for j in 0..m {
                    tend[j] = -(fh[i0 + j] - fl[i0 + j]) / d;
                }
                if let Some(rg) = rho_g {
                    for j in 0..m {
                        tend[j] -= rg[i0 + j] * GRAV;
                    }
                }
                if let Some(fc) = force {
                    for _ in 0..fc.times {
                        tend[..m].iter_mut().zip(&fc.rate[i0..i0 + m]).for_each(|(t, r)| *t += r);
                    }
                }
                let o = &mut o[i0..i0 + m];
                match base {
                    Some(b) => o.iter_mut().zip(&b[i0..i0 + m]).zip(&tend[..m]).for_each(|((o, b), t)| *o = b + dt * t),
                    None => o.iter_mut().zip(&tend[..m]).for_each(|(o, t)| *o += dt * t),
                }
                i0 += m;
            }
        } else {
            match base {
                Some(b) => {
                    for i in 0..nx {
                        o[i] = b[i] + dt * (-(fh[i] - fl[i]) / d);
                    }
                }
                None => {
                    for i in 0..nx {
                        o[i] += dt * (-(fh[i] - fl[i]) / d);
                    }
                }
            }
        }
    }
}

// The public kernels: each body compiled for the instruction set the caller passes (wider
// vectors, above all for the divisions, with AVX2). Same bits either way: IEEE add, multiply and
// divide are correctly rounded at any width, and no FMA is enabled.
dispatch! {
    /// See [`twelfths_impl`]: (s/12, 7 s/12) of every value of `src`.
    pub fn twelfths(src: &[f64], a: &mut [f64], b: &mut [f64]) = twelfths_impl
}
dispatch! {
    /// See [`x_fluxes_impl`].
    pub fn x_fluxes(f: &[f64], ta: &mut [f64], tb: &mut [f64], w: usize, nx: usize, hr: f64, hrt: f64, hv: f64, flux: &mut [f64]) = x_fluxes_impl
}
dispatch! {
    /// See [`z_fluxes_impl`].
    pub fn z_fluxes(planes: [&[f64]; 4], pa: [&[f64]; 4], pb: [&[f64]; 4], w: usize, nx: usize, hr: f64, hrt: f64, hp: f64, hv: f64, wall: bool, flux: &mut [f64]) = z_fluxes_impl
}
dispatch! {
    /// See [`apply_impl`].
    pub fn apply(out: &mut [f64], init: Option<&[f64]>, w: usize, nx: usize, lo: &[f64], lo_stride: usize, hi: &[f64], hi_stride: usize, st: &Stage, rho_g: Option<&[f64]>, force: Option<WForce>) = apply_impl
}

pub mod fast;
#[cfg(test)]
mod variants;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Isa;

    #[test]
    fn twelfths_reproduce_interp_bitwise() {
        let s = [0.3, -1.7e-3, 12.5, 1.0 / 3.0, 7.77e5, -2.0e-9];
        let (mut a, mut b) = ([0.0; 6], [0.0; 6]);
        twelfths(Isa::Portable, &s, &mut a, &mut b);
        for i in 0..3 {
            let v = -a[i] + b[i + 1] + b[i + 2] - a[i + 3];
            assert_eq!(v.to_bits(), interp(s[i], s[i + 1], s[i + 2], s[i + 3]).to_bits());
        }
    }

    #[test]
    fn interpolation_is_exact_for_cubics_in_cell_averages() {
        // Cell averages of x^3 over [j, j+1] for j = -2..1; the interface is x = 0.
        let avg = |j: f64| ((j + 1.0).powi(4) - j.powi(4)) / 4.0;
        let v = interp(avg(-2.0), avg(-1.0), avg(0.0), avg(1.0));
        assert!(v.abs() < 1e-14, "{v}");
        assert_eq!(diff3(1.0, 1.0, 1.0, 1.0), 0.0);
        assert_eq!(diff3(0.0, 1.0, 2.0, 3.0), 0.0);
    }

    #[test]
    fn uniform_rest_state_has_no_x_tendency() {
        let (nx, w) = (6, 10);
        let mut f = vec![0.0; 4 * w];
        for v in f[3 * w..].iter_mut() {
            *v = 0.5;
        }
        let mut flux = vec![0.0; 4 * (nx + 1)];
        let (mut ta, mut tb) = (vec![0.0; 4 * w], vec![0.0; 4 * w]);
        x_fluxes(Isa::current(), &f, &mut ta, &mut tb, w, nx, 1.0, 300.0, -1.0, &mut flux);
        let mut out = vec![7.0; 4 * w];
        let st = Stage::new(0.1, 200.0, 0.05);
        apply(Isa::current(), &mut out, Some(&f), w, nx, &flux, nx + 1, &flux[1..], nx + 1, &st, None, None);
        assert_eq!(&out[2..2 + nx], &f[2..2 + nx]);
        assert_eq!(&out[3 * w + 2..3 * w + 2 + nx], &f[3 * w + 2..3 * w + 2 + nx]);
    }
}
