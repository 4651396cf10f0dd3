//! Orchestration of one direction's RK stage over the local block: halo refresh plus boundary
//! conditions, then the kernels of [`super::kernel`] over planes, in parallel bands of rows.
//! Every cell is computed by the same expressions whatever the band or block it falls in, so the
//! result is bitwise the same for any split over threads and ranks.

use super::background::{Background, HS};
use super::boundary;
use super::kernel::{self, Stage, WForce, NV};
use crate::decomp::Decomp;
use crate::field::Field;
use crate::par::{Comm, Exec};
use rayon::prelude::*;

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
}

/// Work arrays of the z stages: the twelfths of the forcing field and the interface fluxes.
#[derive(Debug, Default)]
pub struct Scratch {
    pub za: Vec<f64>,
    pub zb: Vec<f64>,
    /// (nz + 1) x 4 x nx.
    pub zflux: Vec<f64>,
}

/// Run `f(k, a_chunk, b_chunk)` over matching `plane`-long chunks of `a` and `b` on `exec`.
pub fn planes2<F>(exec: &Exec, a: &mut [f64], b: &mut [f64], plane: usize, f: F)
where
    F: Fn(usize, &mut [f64], &mut [f64]) + Sync + Send,
{
    if exec.threads() == 1 {
        for (k, (x, y)) in a.chunks_mut(plane).zip(b.chunks_mut(plane)).enumerate() {
            f(k, x, y);
        }
    } else {
        exec.install(|| {
            a.par_chunks_mut(plane).zip(b.par_chunks_mut(plane)).enumerate().for_each(|(k, (x, y))| f(k, x, y))
        });
    }
}

/// Run `f(scratch, k, chunk)` over the `plane`-long chunks of `data`, on the threads of `exec`.
pub fn planes<S, I, F>(exec: &Exec, data: &mut [f64], plane: usize, init: I, f: F)
where
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, usize, &mut [f64]) + Sync + Send,
{
    let n = data.len() / plane;
    if exec.threads() == 1 || n < 2 {
        let mut s = init();
        for (k, c) in data.chunks_mut(plane).enumerate() {
            f(&mut s, k, c);
        }
    } else {
        let min = (n / (exec.threads() * 4)).max(1);
        exec.install(|| {
            data.par_chunks_mut(plane).with_min_len(min).enumerate().for_each_init(&init, |s, (k, c)| f(s, k, c))
        });
    }
}

/// Planes k..k + 4 of `x` (the z stencil of interface k, in padded plane numbering).
fn four_planes(x: &[f64], k: usize, plane: usize) -> [&[f64]; 4] {
    [0, 1, 2, 3].map(|j| &x[(k + j) * plane..(k + j + 1) * plane])
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

    /// out = init + dt_s R_dir(forcing) on the interior (`init = None`: out is also init).
    /// `forcing`'s halos must be refreshed.
    #[allow(clippy::too_many_arguments)]
    pub fn stage(&self, exec: &Exec, dir: Dir, dt_s: f64, out: &mut Field, init: Option<&Field>, forcing: &Field, scratch: &mut Scratch) {
        let (w, plane) = self.widths();
        let (nx, nz) = (self.nx, self.nz);
        let f = &forcing.data[..];
        let idata = init.map(|d| &d.data[..]);
        let out_int = &mut out.data[HS * plane..(HS + nz) * plane];
        match dir {
            Dir::X => {
                let st = Stage::new(dt_s, self.dx, self.beta);
                let scratch = || (vec![0.0; NV * (nx + 1)], vec![0.0; plane], vec![0.0; plane]);
                planes(exec, out_int, plane, scratch, |(flux, ta, tb), k, o| {
                    let p = (k + HS) * plane;
                    let (hr, hrt) = (self.bg.rho_c[k + HS], self.bg.rt_c[k + HS]);
                    kernel::x_fluxes(&f[p..p + plane], ta, tb, w, nx, hr, hrt, st.hv, flux);
                    let init = idata.map(|d| &d[p..p + plane]);
                    kernel::apply(o, init, w, nx, flux, nx + 1, &flux[1..], nx + 1, &st, None, self.force_row(k));
                });
            }
            Dir::Z => {
                let st = Stage::new(dt_s, self.dz, self.beta);
                let bg = &self.bg;
                let (za, zb) = (&mut scratch.za, &mut scratch.zb);
                za.resize(f.len(), 0.0);
                zb.resize(f.len(), 0.0);
                planes2(exec, za, zb, plane, |k, a, b| kernel::twelfths(&f[k * plane..(k + 1) * plane], a, b));
                let (za, zb) = (&*za, &*zb);
                planes(exec, &mut scratch.zflux[..(nz + 1) * NV * nx], NV * nx, || (), |_, k, fl| {
                    let four = |x| four_planes(x, k, plane);
                    let kg = self.k0 + k;
                    let wall = kg == 0 || kg == self.nz_glob;
                    kernel::z_fluxes(four(f), four(za), four(zb), w, nx, bg.rho_i[k], bg.rt_i[k], bg.p_i[k], st.hv, wall, fl);
                });
                let zf = &scratch.zflux[..];
                planes(exec, out_int, plane, || (), |_, k, o| {
                    let p = (k + HS) * plane;
                    let (lo, hi) = (&zf[k * NV * nx..], &zf[(k + 1) * NV * nx..]);
                    let rho = &f[p + HS..p + HS + nx];
                    let init = idata.map(|d| &d[p..p + plane]);
                    kernel::apply(o, init, w, nx, lo, nx, hi, nx, &st, Some(rho), self.force_row(k));
                });
            }
        }
    }
}
