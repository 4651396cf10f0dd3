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

/// Number of conserved variables: rho', rho u, rho w, (rho theta)'.
pub const NV: usize = 4;

/// 4th-order interface value from the four cells around the interface.
#[inline(always)]
fn interp(s0: f64, s1: f64, s2: f64, s3: f64) -> f64 {
    -s0 / 12.0 + 7.0 * s1 / 12.0 + 7.0 * s2 / 12.0 - s3 / 12.0
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
    /// Hyperviscosity coefficient -beta d / (16 dt_stage).
    pub hv: f64,
}

impl Stage {
    pub fn new(dt: f64, d: f64, beta: f64) -> Stage {
        Stage { dt, d, hv: -beta * d / (16.0 * dt) }
    }
}

/// A per-cell addition to the rho*w tendency (gravity-wave forcing), added `times` times.
#[derive(Debug, Clone, Copy)]
pub struct WForce<'a> {
    pub rate: &'a [f64],
    pub times: u32,
}

/// x-fluxes of one plane into `flux` (4 rows of nx + 1 interfaces). `f`: the forcing plane,
/// `w` its padded row length (nx + 4); `hr`, `hrt`: background rho and rho theta of the row.
pub fn x_fluxes(f: &[f64], w: usize, nx: usize, hr: f64, hrt: f64, hv: f64, flux: &mut [f64]) {
    let n = nx + 1;
    let (q0, rest) = f.split_at(w);
    let (q1, rest) = rest.split_at(w);
    let (q2, q3) = rest.split_at(w);
    let (q0, q1, q2, q3) = (&q0[..nx + 4], &q1[..nx + 4], &q2[..nx + 4], &q3[..nx + 4]);
    let (f0, rest) = flux.split_at_mut(n);
    let (f1, rest) = rest.split_at_mut(n);
    let (f2, f3) = rest.split_at_mut(n);
    let (f2, f3) = (&mut f2[..n], &mut f3[..n]);
    for i in 0..n {
        let v0 = interp(q0[i], q0[i + 1], q0[i + 2], q0[i + 3]);
        let v1 = interp(q1[i], q1[i + 1], q1[i + 2], q1[i + 3]);
        let v2 = interp(q2[i], q2[i + 1], q2[i + 2], q2[i + 3]);
        let v3 = interp(q3[i], q3[i + 1], q3[i + 2], q3[i + 3]);
        let d0 = diff3(q0[i], q0[i + 1], q0[i + 2], q0[i + 3]);
        let d1 = diff3(q1[i], q1[i + 1], q1[i + 2], q1[i + 3]);
        let d2 = diff3(q2[i], q2[i + 1], q2[i + 2], q2[i + 3]);
        let d3 = diff3(q3[i], q3[i + 1], q3[i + 2], q3[i + 3]);
        let r = v0 + hr;
        let u = v1 / r;
        let ww = v2 / r;
        let t = (v3 + hrt) / r;
        let p = pressure(r * t);
        f0[i] = r * u - hv * d0;
        f1[i] = r * u * u + p - hv * d1;
        f2[i] = r * u * ww - hv * d2;
        f3[i] = r * u * t - hv * d3;
    }
}

/// z-fluxes of interface row k into `flux` (4 rows of nx). `below2..above`: the forcing planes
/// k-2, k-1, k, k+1; `w` their padded row length. `wall`: the interface is a solid wall (w = 0
/// and no hyperviscous mass flux).
#[allow(clippy::too_many_arguments)]
pub fn z_fluxes(planes: [&[f64]; 4], w: usize, nx: usize, hr: f64, hrt: f64, hp: f64, hv: f64, wall: bool, flux: &mut [f64]) {
    let (f0, rest) = flux.split_at_mut(nx);
    let (f1, rest) = rest.split_at_mut(nx);
    let (f2, f3) = rest.split_at_mut(nx);
    let (f2, f3) = (&mut f2[..nx], &mut f3[..nx]);
    let s = |v: usize, j: usize| &planes[j][v * w + 2..v * w + 2 + nx];
    let (a0, a1, a2, a3) = (s(0, 0), s(0, 1), s(0, 2), s(0, 3));
    let (b0, b1, b2, b3) = (s(1, 0), s(1, 1), s(1, 2), s(1, 3));
    let (c0, c1, c2, c3) = (s(2, 0), s(2, 1), s(2, 2), s(2, 3));
    let (e0, e1, e2, e3) = (s(3, 0), s(3, 1), s(3, 2), s(3, 3));
    for i in 0..nx {
        let v0 = interp(a0[i], a1[i], a2[i], a3[i]);
        let v1 = interp(b0[i], b1[i], b2[i], b3[i]);
        let v2 = interp(c0[i], c1[i], c2[i], c3[i]);
        let v3 = interp(e0[i], e1[i], e2[i], e3[i]);
        let mut d0 = diff3(a0[i], a1[i], a2[i], a3[i]);
        let d1 = diff3(b0[i], b1[i], b2[i], b3[i]);
        let d2 = diff3(c0[i], c1[i], c2[i], c3[i]);
        let d3 = diff3(e0[i], e1[i], e2[i], e3[i]);
        let r = v0 + hr;
        let u = v1 / r;
        let mut ww = v2 / r;
        let t = (v3 + hrt) / r;
        let p = pressure(r * t) - hp;
        if wall {
            ww = 0.0;
            d0 = 0.0;
        }
        f0[i] = r * ww - hv * d0;
        f1[i] = r * ww * u - hv * d1;
        f2[i] = r * ww * ww + p - hv * d2;
        f3[i] = r * ww * t - hv * d3;
    }
}

/// Apply one plane's tendencies: out = init + dt * tend, tend = -(F[i+1] - F[i]) / d for x
/// (`lo`, `hi` the same flux rows shifted by one) or -(H[k+1] - H[k]) / d for z. For rho w the
/// tendency also gets `-rho' g` (z only, `rho_g` = the forcing plane's rho' row) and the forcing.
/// `init = None` updates `out` in place.
#[allow(clippy::too_many_arguments)]
pub fn apply(
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
        let gravity = if v == 2 { rho_g.map(|r| &r[..nx]) } else { None };
        let force = if v == 2 { force } else { None };
        let base = init.map(|s| &s[v * w + 2..v * w + 2 + nx]);
        for i in 0..nx {
            let mut tend = -(fh[i] - fl[i]) / st.d;
            if let Some(rg) = gravity {
                tend = tend - rg[i] * GRAV;
            }
            if let Some(fc) = force {
                for _ in 0..fc.times {
                    tend += fc.rate[i];
                }
            }
            let b = match base {
                Some(b) => b[i],
                None => o[i],
            };
            o[i] = b + st.dt * tend;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        x_fluxes(&f, w, nx, 1.0, 300.0, -1.0, &mut flux);
        let mut out = vec![7.0; 4 * w];
        let st = Stage::new(0.1, 200.0, 0.05);
        apply(&mut out, Some(&f), w, nx, &flux, nx + 1, &flux[1..], nx + 1, &st, None, None);
        assert_eq!(&out[2..2 + nx], &f[2..2 + nx]);
        assert_eq!(&out[3 * w + 2..3 * w + 2 + nx], &f[3 * w + 2..3 * w + 2 + nx]);
    }
}
