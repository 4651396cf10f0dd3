//! Orchestration of one direction's RK stage over the local block: halo refresh plus boundary
//! conditions, then the kernels of [`super::kernel`] over planes, in parallel bands of rows.
//! Every cell is computed by the same expressions whatever the band or block it falls in, so the
//! result is bitwise the same for any split over threads and ranks.

use super::background::{Background, HS};
use super::boundary;
use super::kernel::{self, Stage, WForce, NV};
use crate::decomp::{split, Decomp};
use crate::field::Field;
use crate::par::team::{Shared, Team};
use crate::par::Comm;
use crate::simd::Isa;

/// The two directions of the dimensional split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    X,
    Z,
}

/// Everything about the block that stays fixed during the run.
pub struct Block {
    /// Local interior cells along x and z.
    pub nx: usize,
    pub nz: usize,
    /// Global index of the first local row, and the global number of rows.
    pub k0: usize,
    pub nz_glob: usize,
    pub dx: f64,
    pub dz: f64,
    pub beta: f64,
    pub bg: Background,
    /// Gravity-wave forcing rate per interior cell (nz x nx) and how often it is added per stage.
    pub force: Option<(Vec<f64>, u32)>,
    /// Injection: which local rows get the jet (only on blocks at the left edge).
    pub jet: Option<Vec<bool>>,
    /// Does the block touch the bottom / top wall?
    pub bottom: bool,
    pub top: bool,
    /// The state's decomposition: axes (z, variable, x) of the (nz, 4, nx) state field.
    pub sdecomp: Decomp,
    /// The kernels' instruction set ([`Isa::current`]; tests compare the variants).
    pub isa: Isa,
    /// Default mode: the cheaper kernels of [`kernel::fast`] (compat mode: the reference's
    /// operations, [`kernel`]).
    pub fast: bool,
}

/// Run `f(scratch, k, chunk)` over the `plane`-long chunks of `data`, in bands of chunks on the
/// threads of `team` (one scratch per band).
pub fn planes<S, I, F>(team: &Team, data: &mut [f64], plane: usize, init: I, f: F)
where
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize, &mut [f64]) + Sync,
{
    let n = data.len() / plane;
    let base = Shared(data.as_mut_ptr());
    team.bands(n, n * plane, |_, ks| {
        let mut s = init();
        for k in ks {
            // SAFETY: chunk k lies inside `data` (k < n = len / plane); the bands' chunks are
            // disjoint and `data` is borrowed mutably for the whole call.
            f(&mut s, k, unsafe { std::slice::from_raw_parts_mut(base.get().add(k * plane), plane) });
        }
    });
}

/// Planes k..k + 4 of `x` (the z stencil of interface k, in padded plane numbering).
fn four_planes(x: &[f64], k: usize, plane: usize) -> [&[f64]; 4] {
    [0, 1, 2, 3].map(|j| &x[(k + j) * plane..(k + j + 1) * plane])
}

/// Padded planes k..k + 4 from a ring of four planes (plane j in slot j % 4).
fn ring(x: &[f64], k: usize, plane: usize) -> [&[f64]; 4] {
    [0, 1, 2, 3].map(|j| &x[((k + j) % 4) * plane..((k + j) % 4 + 1) * plane])
}

impl Block {
    /// Padded row length and plane length of the state field.
    pub fn widths(&self) -> (usize, usize) {
        let w = self.nx + 2 * HS;
        (w, NV * w)
    }

    /// Make the halos of `s` that a `dir` stage reads valid: exchange, then walls or the jet.
    pub fn refresh(&self, comm: &dyn Comm, s: &mut Field, dir: Dir) {
        match dir {
            Dir::X => {
                comm.exchange_halos(&self.sdecomp, s, [0, 0, HS]);
                if let Some(jet) = &self.jet {
                    boundary::inject(s, &self.bg, jet);
                }
            }
            Dir::Z => {
                comm.exchange_halos(&self.sdecomp, s, [HS, 0, 0]);
                if self.bottom {
                    boundary::wall(s, &self.bg, false);
                }
                if self.top {
                    boundary::wall(s, &self.bg, true);
                }
            }
        }
    }

    fn force_row(&self, k: usize) -> Option<WForce<'_>> {
        self.force.as_ref().map(|(r, times)| WForce { rate: &r[k * self.nx..(k + 1) * self.nx], times: *times })
    }

    /// [`Self::z_band`] with the default mode's kernels (no twelfths ring).
    fn z_band_fast(&self, k0: usize, o: &mut [f64], f: &[f64], init: Option<&[f64]>, st: &Stage) {
        let (w, plane) = self.widths();
        let (nx, bg) = (self.nx, &self.bg);
        let rows = o.len() / plane;
        let (mut lo, mut hi) = (vec![0.0; NV * nx], vec![0.0; NV * nx]);
        for k in k0..=k0 + rows {
            let kg = self.k0 + k;
            let wall = kg == 0 || kg == self.nz_glob;
            let (hr, hrt, hp) = (bg.rho_i[k], bg.rt_i[k], bg.p_i[k]);
            kernel::fast::z_fluxes(self.isa, four_planes(f, k, plane), w, nx, hr, hrt, hp, st.hv, wall, &mut hi);
            if k > k0 {
                let r = k - 1;
                let p = (r + HS) * plane;
                let out = &mut o[(r - k0) * plane..(r - k0 + 1) * plane];
                let init = init.map(|d| &d[p..p + plane]);
                let rho_g = Some(&f[p + HS..p + HS + nx]);
                kernel::fast::apply(self.isa, out, init, w, nx, &lo, nx, &hi, nx, st, rho_g, self.force_row(r));
            }
            std::mem::swap(&mut lo, &mut hi);
        }
    }

    /// The z stage for the rows k0.. of the band whose output planes are `o`.
    fn z_band(&self, k0: usize, o: &mut [f64], f: &[f64], init: Option<&[f64]>, st: &Stage) {
        let (w, plane) = self.widths();
        let (nx, bg) = (self.nx, &self.bg);
        let rows = o.len() / plane;
        // Ring slot j % 4 holds the twelfths of padded plane j.
        let (mut ta, mut tb) = (vec![0.0; 4 * plane], vec![0.0; 4 * plane]);
        let twelfths = |j: usize, ta: &mut [f64], tb: &mut [f64]| {
            let slot = (j % 4) * plane..(j % 4 + 1) * plane;
            kernel::twelfths(self.isa, &f[j * plane..(j + 1) * plane], &mut ta[slot.clone()], &mut tb[slot]);
        };
        for j in k0..k0 + 3 {
            twelfths(j, &mut ta, &mut tb);
        }
        let (mut lo, mut hi) = (vec![0.0; NV * nx], vec![0.0; NV * nx]);
        for k in k0..=k0 + rows {
            // Interface k (bottom of row k) uses padded planes k..k + 4.
            twelfths(k + 3, &mut ta, &mut tb);
            let kg = self.k0 + k;
            let wall = kg == 0 || kg == self.nz_glob;
            kernel::z_fluxes(
                self.isa,
                four_planes(f, k, plane),
                ring(&ta, k, plane),
                ring(&tb, k, plane),
                w,
                nx,
                bg.rho_i[k],
                bg.rt_i[k],
                bg.p_i[k],
                st.hv,
                wall,
                &mut hi,
            );
            if k > k0 {
                let r = k - 1;
                let p = (r + HS) * plane;
                let out = &mut o[(r - k0) * plane..(r - k0 + 1) * plane];
                let init = init.map(|d| &d[p..p + plane]);
                kernel::apply(
                    self.isa,
                    out,
                    init,
                    w,
                    nx,
                    &lo,
                    nx,
                    &hi,
                    nx,
                    st,
                    Some(&f[p + HS..p + HS + nx]),
                    self.force_row(r),
                );
            }
            std::mem::swap(&mut lo, &mut hi);
        }
    }

    /// out = init + dt_s R_dir(forcing) on the interior (`init = None`: out is also init), with
    /// the hyperviscosity of a stage of `hv_dt_s` ([`Stage::filtering`]).
    /// `forcing`'s halos must be refreshed.
    #[allow(clippy::too_many_arguments)]
    pub fn stage(
        &self,
        team: &Team,
        dir: Dir,
        (dt_s, hv_dt_s): (f64, f64),
        out: &mut Field,
        init: Option<&Field>,
        forcing: &Field,
    ) {
        let (w, plane) = self.widths();
        let (nx, nz) = (self.nx, self.nz);
        let f = &forcing.data[..];
        let idata = init.map(|d| &d.data[..]);
        let out_int = &mut out.data[HS * plane..(HS + nz) * plane];
        match dir {
            Dir::X => {
                let st = Stage::filtering(dt_s, hv_dt_s, self.dx, self.beta);
                let tw = if self.fast { 0 } else { plane };
                let scratch = || (vec![0.0; NV * (nx + 1)], vec![0.0; tw], vec![0.0; tw]);
                planes(team, out_int, plane, scratch, |(flux, ta, tb), k, o| {
                    let p = (k + HS) * plane;
                    let (hr, hrt) = (self.bg.rho_c[k + HS], self.bg.rt_c[k + HS]);
                    let init = idata.map(|d| &d[p..p + plane]);
                    if self.fast {
                        kernel::fast::x_fluxes(self.isa, &f[p..p + plane], w, nx, hr, hrt, st.hv, flux);
                        let (lo, hi) = (&flux[..], &flux[1..]);
                        kernel::fast::apply(self.isa, o, init, w, nx, lo, nx + 1, hi, nx + 1, &st, None, self.force_row(k));
                        return;
                    }
                    kernel::x_fluxes(self.isa, &f[p..p + plane], ta, tb, w, nx, hr, hrt, st.hv, flux);
                    kernel::apply(
                        self.isa,
                        o,
                        init,
                        w,
                        nx,
                        flux,
                        nx + 1,
                        &flux[1..],
                        nx + 1,
                        &st,
                        None,
                        self.force_row(k),
                    );
                });
            }
            Dir::Z => {
                let st = Stage::filtering(dt_s, hv_dt_s, self.dz, self.beta);
                // Bands of rows, each swept bottom to top with a ring of the twelfths of the last
                // four planes and the fluxes of the interfaces below and above the current row,
                // so the forcing field is read once and nothing field-sized is written but `out`.
                // Each band recomputes the fluxes of its bottom interface: up to 4 bands a
                // thread (balance on a shared machine) but at least 16 rows a band.
                let t = team.threads();
                let bands = if t == 1 { 1 } else { (t * (nz / (16 * t)).clamp(1, 4)).min(nz) };
                let base = Shared(out_int.as_mut_ptr());
                team.each(bands, |b| {
                    let (k0, n) = split(nz, bands, b);
                    // SAFETY: rows k0..k0 + n of the interior, inside `out_int` (the bands of
                    // `split` tile 0..nz); the bands are disjoint and `out` is borrowed mutably
                    // for the whole call.
                    let o = unsafe { std::slice::from_raw_parts_mut(base.get().add(k0 * plane), n * plane) };
                    if self.fast {
                        self.z_band_fast(k0, o, f, idata, &st)
                    } else {
                        self.z_band(k0, o, f, idata, &st)
                    }
                });
            }
        }
    }
}
