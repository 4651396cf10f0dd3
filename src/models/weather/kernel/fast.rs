//! The default mode's stage kernels: the same scheme as the compat kernels of [`super`], with
//! cheaper arithmetic where compat mode must copy the reference C code's operations:
//! - interface value (7 (s1 + s2) - (s0 + s3)) / 12 as one multiplication by 1/12, straight from
//!   the cell values (no twelfths pass, no scratch);
//! - one reciprocal 1/rho per interface instead of three divisions; the momentum flux uses the
//!   interface momentum itself (rho u = the interpolated rho u, not rho * (rho u / rho)), and p
//!   the interpolated rho theta itself (not rho * theta);
//! - p = C0 (rho theta)^gamma by [`fastpow`](crate::models::weather::fastpow) (vectorised, within
//!   1 ulp of libm) instead of libm's scalar `pow`;
//! - hyperviscosity's third difference as (s3 - s0) + 3 (s1 - s2);
//! - the update out = init + (F_lo - F_hi) dt/d with dt/d computed once per stage.
//!
//! Results differ from the compat kernels by round-off only (a test compares them); every
//! instruction set gives the same bits (no FMA; the variants test compares them).

use super::{cut, x_sten, z_sten, Sten, Stage, WForce, CH, NV};
use crate::models::weather::fastpow::pow_row;
use crate::models::weather::physics::{C0, GAMMA, GRAV};
use crate::simd::dispatch;

const C12: f64 = 1.0 / 12.0;

/// Fluxes through `n` interfaces normal to x (`z = false`) or z, as [`super::fluxes`] without
/// the twelfths (`s` the cell values' stencils).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fluxes(s: &Sten, n: usize, hr: f64, hrt: f64, hp: f64, hv: f64, z: bool, wall: bool, flux: &mut [f64], stride: usize) {
    let (f0, rest) = flux.split_at_mut(stride);
    let (f1, rest) = rest.split_at_mut(stride);
    let (f2, f3) = rest.split_at_mut(stride);
    let (mut mom, mut u, mut w, mut t, mut p) = ([0.0; CH], [0.0; CH], [0.0; CH], [0.0; CH], [0.0; CH]);
    let mut i0 = 0;
    while i0 < n {
        let m = (n - i0).min(CH);
        let (a, b, c, e) = (cut(s, 0, i0, m), cut(s, 1, i0, m), cut(s, 2, i0, m), cut(s, 3, i0, m));
        let val = |q: &[&[f64]; 4], j: usize| (7.0 * (q[1][j] + q[2][j]) - (q[0][j] + q[3][j])) * C12;
        for j in 0..m {
            let rr = val(&a, j) + hr;
            let ir = 1.0 / rr;
            let (mu, mw, rt) = (val(&b, j), val(&c, j), val(&e, j) + hrt);
            u[j] = mu * ir;
            w[j] = mw * ir;
            t[j] = rt * ir;
            p[j] = rt;
            mom[j] = if z { mw } else { mu };
        }
        pow_row(&mut p[..m], GAMMA, C0, hp);
        if wall {
            for x in mom[..m].iter_mut() {
                *x = 0.0;
            }
        }
        let (f0, f1, f2, f3) = (&mut f0[i0..i0 + m], &mut f1[i0..i0 + m], &mut f2[i0..i0 + m], &mut f3[i0..i0 + m]);
        let d3 = |q: &[&[f64]; 4], j: usize| (q[3][j] - q[0][j]) + 3.0 * (q[1][j] - q[2][j]);
        for j in 0..m {
            let d0 = if wall { 0.0 } else { d3(&a, j) };
            let (d1, d2, dt) = (d3(&b, j), d3(&c, j), d3(&e, j));
            let mo = mom[j];
            f0[j] = mo - hv * d0;
            if z {
                f1[j] = mo * u[j] - hv * d1;
                f2[j] = mo * w[j] + p[j] - hv * d2;
            } else {
                f1[j] = mo * u[j] + p[j] - hv * d1;
                f2[j] = mo * w[j] - hv * d2;
            }
            f3[j] = mo * t[j] - hv * dt;
        }
        i0 += m;
    }
}

/// x-fluxes of one plane `f` (4 rows of padded length `w`) into `flux` (4 rows of nx + 1).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn x_fluxes_impl(f: &[f64], w: usize, nx: usize, hr: f64, hrt: f64, hv: f64, flux: &mut [f64]) {
    fluxes(&x_sten(f, w, nx + 1), nx + 1, hr, hrt, 0.0, hv, false, false, flux, nx + 1);
}

/// z-fluxes of interface row k from the planes k-2..k+1 into `flux` (4 rows of nx).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn z_fluxes_impl(planes: [&[f64]; 4], w: usize, nx: usize, hr: f64, hrt: f64, hp: f64, hv: f64, wall: bool, flux: &mut [f64]) {
    fluxes(&z_sten(planes, w, nx), nx, hr, hrt, hp, hv, true, wall, flux, nx);
}

/// As [`super::apply`]: out = init + (F_lo - F_hi) dt/d (rho w: init + dt (tend - rho' g +
/// forcing)). Index loops throughout: iterator adaptors need not inline into the AVX2 copy.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
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
    let (c, id, dt) = (st.dt / st.d, 1.0 / st.d, st.dt);
    for v in 0..NV {
        let fl = &lo[v * lo_stride..v * lo_stride + nx];
        let fh = &hi[v * hi_stride..v * hi_stride + nx];
        let o = &mut out[v * w + 2..v * w + 2 + nx];
        let base = init.map(|s| &s[v * w + 2..v * w + 2 + nx]);
        if v == 2 && (rho_g.is_some() || force.is_some()) {
            let mut tend = [0.0; CH];
            let mut i0 = 0;
            while i0 < nx {
                let m = (nx - i0).min(CH);
                for j in 0..m {
                    tend[j] = (fl[i0 + j] - fh[i0 + j]) * id;
                }
                if let Some(rg) = rho_g {
                    for j in 0..m {
                        tend[j] -= rg[i0 + j] * GRAV;
                    }
                }
                if let Some(fc) = force {
                    for _ in 0..fc.times {
                        for j in 0..m {
                            tend[j] += fc.rate[i0 + j];
                        }
                    }
                }
                let o = &mut o[i0..i0 + m];
                match base {
                    Some(b) => {
                        for j in 0..m {
                            o[j] = b[i0 + j] + dt * tend[j];
                        }
                    }
                    None => {
                        for j in 0..m {
                            o[j] += dt * tend[j];
                        }
                    }
                }
                i0 += m;
            }
        } else {
            match base {
                Some(b) => {
                    for i in 0..nx {
                        o[i] = b[i] + (fl[i] - fh[i]) * c;
                    }
                }
                None => {
                    for i in 0..nx {
                        o[i] += (fl[i] - fh[i]) * c;
                    }
                }
            }
        }
    }
}

dispatch! {
    /// See [`x_fluxes_impl`].
    pub fn x_fluxes(f: &[f64], w: usize, nx: usize, hr: f64, hrt: f64, hv: f64, flux: &mut [f64]) = x_fluxes_impl
}
dispatch! {
    /// See [`z_fluxes_impl`].
    pub fn z_fluxes(planes: [&[f64]; 4], w: usize, nx: usize, hr: f64, hrt: f64, hp: f64, hv: f64, wall: bool, flux: &mut [f64]) = z_fluxes_impl
}
dispatch! {
    /// See [`apply_impl`].
    pub fn apply(out: &mut [f64], init: Option<&[f64]>, w: usize, nx: usize, lo: &[f64], lo_stride: usize, hi: &[f64], hi_stride: usize, st: &Stage, rho_g: Option<&[f64]>, force: Option<WForce>) = apply_impl
}
