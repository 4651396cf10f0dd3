//! The weather model: a miniWeather-class 2-D compressible atmosphere (dry, stratified,
//! non-hydrostatic), after M. Norman's mini-app miniWeather (ORNL, <https://github.com/mrnorman/miniWeather>),
//! as stated in `docs/weather-model.md`.
//!
//! # Equations
//! Compressible Euler with gravity in (x, z), z vertical (the grid's y axis), in flux form for
//! the cell averages of q = (rho', rho u, rho w, (rho theta)'), perturbations from a hydrostatic
//! background rho_bar(z), (rho theta)_bar(z):
//!
//! dq/dt + dF/dx + dH/dz = (0, 0, -rho' g, 0),
//! F = (rho u, rho u^2 + p, rho u w, rho u theta), H = (rho w, rho w u, rho w^2 + p', rho w theta),
//! p = C0 (rho theta)^gamma, p' = p - p_bar (z only; the hydrostatic part balances gravity).
//!
//! # Numerics
//! - Finite volume; interface values by 4th-order interpolation of four cell averages,
//!   (-s0 + 7 s1 + 7 s2 - s3)/12, plus hyperviscosity -hv d3, d3 = -s0 + 3 s1 - 3 s2 + s3,
//!   hv = -beta d / (16 dt_stage) (beta = `weather.hv_beta`, 0.05).
//! - Dimensionally split: each step runs x then z (odd steps, counting from 1 as upstream) or z
//!   then x (even steps); each direction is a 3-stage RK, q1 = q + dt/3 R(q),
//!   q2 = q + dt/2 R(q1), q_new = q + dt R(q2). Halos are refreshed before every stage.
//! - dt = cfl * min(dx, dz) / 450 m/s, cfl = `weather.cfl` = 1.5 (or `time.dt`), refused above
//!   the scheme's stability limit ([`stability`]).
//! - Boundaries: x periodic; solid walls at z = 0 and z = zlen (w = 0 and no hyperviscous mass
//!   flux at the wall interfaces, so mass is conserved to round-off).
//! - State: one field of extent (nz, 4, nx) per stage buffer, halo width 2 in x and z, split over
//!   ranks in both x and z and over threads by rows; bitwise the same for every split.
//!
//! # Two modes
//! `weather.compat = "miniweather"` reproduces the upstream C code bit for bit, including three
//! things a careful model would not do; the default (`"none"`) does the intended thing:
//! 1. Cell background: upstream uses the value at the cell centre (as three weighted copies);
//!    the default uses the 3-point Gauss-Legendre average over the cell, consistent with the
//!    cell-averaged initial state (so the discrete background is in balance to 4th order).
//! 2. Gravity-wave forcing: upstream adds it three times per stage (a loop artefact); the
//!    default adds it once.
//! 3. End time: upstream runs `while t < sim_time`, so round-off in t adds a final step of about
//!    2e-11 s, which still applies the full hyperviscous filter (its strength does not depend on
//!    dt); the default stops when t reaches the end time within round-off.
//!
//! Besides, compat mode's kernels ([`kernel`]) copy upstream's operations (divisions by 12 and
//! by rho, libm's `pow`); the default mode's ([`kernel::fast`]) compute the same scheme with
//! cheaper arithmetic (reciprocals, a vectorised `pow` within 1 ulp of libm's, [`fastpow`]), so
//! its results differ from compat mode's also by round-off, and it runs about twice as fast.
//!
//! # Cases and diagnostics
//! thermal (default), collision, gravity_waves, density_current, injection: see [`cases`].
//! Diagnostics d_mass and d_te are the relative changes of mass and total energy (see [`diag`]),
//! computed with exact sums so every split gives the same bits.

pub mod background;
pub mod boundary;
pub mod cases;
pub mod config;
pub mod diag;
pub mod fastpow;
pub mod fields;
pub mod kernel;
pub mod physics;
pub mod stability;
pub mod stages;
mod spec;

pub use spec::Spec;

use super::{Clock, Diagnostics, Model, StepCtx};
use crate::config::Config;
use config::{Compat, WeatherCase, WeatherConfig};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::field::Field;
use crate::grid::Grid;
use crate::par::team::Team;
use crate::par::{Comm, Exec};
use background::{Background, HS};
use diag::{Totals, STATE, VIEW};
use kernel::NV;
use rayon::prelude::*;
use stages::{Block, Dir};
use std::sync::OnceLock;
use std::time::Instant;

/// x is periodic; z (grid y) has walls.
pub fn periodic_axes() -> [bool; 3] {
    [false, false, true]
}

/// (dt, the maximum stable dt): `time.dt` if given, else cfl * min(dx, dz) / 450; the limit of
/// [`stability::Limit`].
pub fn plan_dt(cfg: &Config) -> (f64, f64) {
    let grid = Grid::from_config(&cfg.grid);
    let w = cfg.section::<WeatherConfig>();
    let limit = stability::Limit::of(&grid, w);
    (cfg.time.dt.unwrap_or(limit.dt_of_cfl(w.cfl)), limit.dt())
}

pub struct Weather {
    case: WeatherCase,
    dt: f64,
    block: Block,
    /// The state and the two stage buffers, each (nz, 4, nx) with halos (2, 0, 2).
    q: Field,
    a: Field,
    b: Field,
    /// This block's share of the initial mass and energy, and the global values once reduced.
    init_totals: Totals,
    totals0: OnceLock<(f64, f64)>,
    /// The threads of the stages' loops: one team entry per step ([`crate::par::team`]), so the
    /// six stages' loops of a small grid do not each wake a pool's threads.
    team: Team,
}

impl Weather {
    pub fn new(cfg: &Config, grid: &Grid, decomp: &Decomp, exec: &Exec) -> Result<Weather> {
        let (nz, nx) = (decomp.size[1], decomp.size[2]);
        let w = cfg.section::<WeatherConfig>();
        let compat = w.compat == Compat::Miniweather;
        let (k0, i0) = (decomp.offset[1], decomp.offset[2]);
        let (dz, dx) = (grid.d[1], grid.d[2]);
        let (xlen, zlen) = (grid.len[2], grid.len[1]);
        let bg = Background::new(cases::profile(w.case), k0, nz, dz, !compat);
        let force = (w.case == WeatherCase::GravityWaves).then(|| {
            let mut rate = Vec::with_capacity(nz * nx);
            for k in 0..nz {
                for i in 0..nx {
                    let x = ((i0 + i) as f64 + 0.5) * dx;
                    let z = ((k0 + k) as f64 + 0.5) * dz;
                    rate.push(cases::gravity_wave_forcing(xlen, x, z) * bg.rho_c[k + HS]);
                }
            }
            (rate, if compat { 3 } else { 1 })
        });
        let jet = (w.case == WeatherCase::Injection && decomp.coords[2] == 0)
            .then(|| (0..nz).map(|k| cases::in_jet(zlen, ((k0 + k) as f64 + 0.5) * dz)).collect());
        let sdecomp = Decomp {
            dims: 3,
            global: [decomp.global[1], NV, decomp.global[2]],
            procs: [decomp.procs[1], 1, decomp.procs[2]],
            rank: decomp.rank,
            coords: [decomp.coords[1], 0, decomp.coords[2]],
            offset: [k0, 0, i0],
            size: [nz, NV, nx],
            periodic: [false, false, true],
        };
        let block = Block {
            nx,
            nz,
            k0,
            nz_glob: decomp.global[1],
            dx,
            dz,
            beta: w.hv_beta,
            bg,
            force,
            jet,
            bottom: decomp.on_global_boundary(1, -1),
            top: decomp.on_global_boundary(1, 1),
            sdecomp,
            isa: crate::simd::Isa::current(),
            fast: !compat,
        };
        let mut q = Field::new([nz, NV, nx], [HS, 0, HS]);
        let (_, plane) = block.widths();
        let wrow = nx + 2 * HS;
        let case = w.case;
        let team = Team::new(exec.threads());
        stages::planes(
            &team,
            &mut q.data[HS * plane..(HS + nz) * plane],
            plane,
            || (),
            |_, k, p| {
                for i in 0..nx {
                    let s = cases::cell_state(case, xlen, dx, dz, (k0 + k) as i64, (i0 + i) as i64);
                    for v in 0..NV {
                        p[v * wrow + HS + i] = s[v];
                    }
                }
            },
        );
        let mut m = Weather {
            case,
            dt: plan_dt(cfg).0,
            a: q.clone(),
            b: q.clone(),
            q,
            block,
            init_totals: Totals::default(),
            totals0: OnceLock::new(),
            team,
        };
        m.init_totals = m.local_totals(exec);
        Ok(m)
    }

    /// Local state variable `v` at interior cell (k, i).
    #[inline]
    fn cell(&self, k: usize, i: usize) -> [f64; 4] {
        let w = self.block.nx + 2 * HS;
        let p = (k + HS) * NV * w + HS + i;
        [self.q.data[p], self.q.data[p + w], self.q.data[p + 2 * w], self.q.data[p + 3 * w]]
    }

    /// Exact mass and energy sums of this block.
    fn local_totals(&self, exec: &Exec) -> Totals {
        let b = &self.block;
        // A row's cell masses and energies into scratch rows, then each row into its sum at once.
        type Acc = (Totals, Vec<f64>, Vec<f64>);
        let init = || -> Acc { (Totals::default(), Vec::with_capacity(b.nx), Vec::with_capacity(b.nx)) };
        let row = |(mut acc, mut ms, mut es): Acc, k: usize| {
            let (hr, hrt) = (b.bg.rho_c[k + HS], b.bg.rt_c[k + HS]);
            ms.clear();
            es.clear();
            for i in 0..b.nx {
                let (m, e) = diag::cell_mass_te(self.cell(k, i), hr, hrt, b.dx, b.dz);
                ms.push(m);
                es.push(e);
            }
            acc.mass.add_slice(&ms);
            acc.te.add_slice(&es);
            (acc, ms, es)
        };
        if exec.threads() == 1 {
            (0..b.nz).fold(init(), row).0
        } else {
            exec.install(|| {
                (0..b.nz).into_par_iter().fold(init, row).map(|a| a.0).reduce(Totals::default, Totals::merge)
            })
        }
    }

    /// One direction's 3-stage RK; returns the seconds spent refreshing halos and in total.
    fn pass(&mut self, dir: Dir, dt: f64, comm: &dyn Comm) -> (f64, f64) {
        let b = &self.block;
        // The filter of the run's full step (default mode: a shortened step filters in
        // proportion); compat mode filters whole every step, as upstream.
        let h = if b.fast { self.dt } else { dt };
        let (mut halo, t0) = (0.0, Instant::now());
        let th = Instant::now();
        b.refresh(comm, &mut self.q, dir);
        halo += th.elapsed().as_secs_f64();
        b.stage(&self.team, dir, (dt / 3.0, h / 3.0), &mut self.a, Some(&self.q), &self.q);
        let th = Instant::now();
        b.refresh(comm, &mut self.a, dir);
        halo += th.elapsed().as_secs_f64();
        b.stage(&self.team, dir, (dt / 2.0, h / 2.0), &mut self.b, Some(&self.q), &self.a);
        let th = Instant::now();
        b.refresh(comm, &mut self.b, dir);
        halo += th.elapsed().as_secs_f64();
        b.stage(&self.team, dir, (dt, h), &mut self.q, None, &self.b);
        (halo, t0.elapsed().as_secs_f64())
    }

    /// The test case.
    pub fn case(&self) -> WeatherCase {
        self.case
    }
}

impl Model for Weather {
    fn name(&self) -> &'static str {
        "weather"
    }

    fn dt(&mut self, _ctx: &mut StepCtx) -> f64 {
        self.dt
    }

    fn step(&mut self, clock: Clock, ctx: &mut StepCtx) -> Result<()> {
        // Upstream counts steps from 1: odd steps go x then z.
        let order = if clock.step.is_multiple_of(2) { [Dir::X, Dir::Z] } else { [Dir::Z, Dir::X] };
        let (mut halo, mut total) = (0.0, 0.0);
        // The whole step on the team: its helpers spin between the six stages' loops instead of
        // sleeping (on a 100 x 50 grid a stage is shorter than a thread wake-up). The halo
        // refreshes (MPI calls) stay on this thread. They are not parked at the end of the step:
        // the next step follows within microseconds (a 100 x 50 step takes ~0.2 ms, and parking
        // and waking the helper every step cost 9 %); idle, they park by themselves after
        // `par::team`'s spin and yield periods.
        self.team.wake();
        for dir in order {
            let (h, a) = self.pass(dir, clock.dt, ctx.comm);
            halo += h;
            total += a;
        }
        ctx.phases.add("halo", halo);
        ctx.phases.add("compute", (total - halo).max(0.0));
        Ok(())
    }

    fn diagnostics(&self, _time: f64, ctx: &mut StepCtx) -> Diagnostics {
        let t0 = Instant::now();
        let (m0, e0) = match self.totals0.get() {
            Some(v) => *v,
            None => {
                let mut t = self.init_totals.clone();
                let v = (ctx.comm.sum_exact(&mut t.mass), ctx.comm.sum_exact(&mut t.te));
                let _ = self.totals0.set(v);
                v
            }
        };
        let mut t = self.local_totals(ctx.exec);
        let mass = ctx.comm.sum_exact(&mut t.mass);
        let te = ctx.comm.sum_exact(&mut t.te);
        ctx.phases.add("reduce", t0.elapsed().as_secs_f64());
        vec![
            ("d_mass".to_string(), (mass - m0) / m0),
            ("d_te".to_string(), (te - e0) / e0),
            ("mass".to_string(), mass),
            ("te".to_string(), te),
        ]
    }

    fn field_names(&self) -> Vec<&'static str> {
        VIEW.to_vec()
    }

    fn state_names(&self) -> Vec<&'static str> {
        STATE.to_vec()
    }

    fn copy_field(&self, name: &str, out: &mut [f64]) {
        let b = &self.block;
        assert_eq!(out.len(), b.nx * b.nz, "copy_field `{name}`: wrong length");
        let state = STATE.iter().position(|n| *n == name);
        let view = VIEW.iter().position(|n| *n == name);
        assert!(state.is_some() || view.is_some(), "weather has no field `{name}`");
        for k in 0..b.nz {
            let (hr, hrt) = (b.bg.rho_c[k + HS], b.bg.rt_c[k + HS]);
            for i in 0..b.nx {
                let s = self.cell(k, i);
                out[k * b.nx + i] = match (state, view) {
                    (Some(v), _) => s[v],
                    (_, Some(v)) => diag::view(v, s, hr, hrt),
                    _ => unreachable!(),
                };
            }
        }
    }

    fn restore_field(&mut self, name: &str, data: &[f64]) -> Result<()> {
        let b = &self.block;
        let Some(v) = STATE.iter().position(|n| *n == name) else {
            return Err(Error::io(format!("weather cannot restore field `{name}`: not a state field")));
        };
        if data.len() != b.nx * b.nz {
            return Err(Error::io(format!("weather cannot restore field `{name}` of {} values", data.len())));
        }
        let w = b.nx + 2 * HS;
        for k in 0..b.nz {
            let p = (k + HS) * NV * w + v * w + HS;
            self.q.data[p..p + b.nx].copy_from_slice(&data[k * b.nx..(k + 1) * b.nx]);
        }
        Ok(())
    }

    fn image_field(&self) -> &'static str {
        "theta"
    }

    fn first_non_finite(&self) -> Option<(&'static str, [usize; 3])> {
        let b = &self.block;
        for k in 0..b.nz {
            for i in 0..b.nx {
                if let Some(v) = self.cell(k, i).iter().position(|x| !x.is_finite()) {
                    return Some((VIEW[v], [0, k, i]));
                }
            }
        }
        None
    }
}
