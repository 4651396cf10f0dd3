//! Incompressible Navier-Stokes in 2-D (density 1):
//!
//!   du/dt + (u . grad) u = -grad p + nu lap u + f,    div u = 0,    nu = 1 / Re,
//!
//! on the staggered MAC grid of Harlow & Welch (1965) ([`mac`]), advanced by a projection
//! (fractional-step) method after Chorin (1968): every stage of the two-stage, second-order
//! strong-stability-preserving Runge-Kutta scheme (Shu & Osher 1988) takes an explicit step of
//! advection + diffusion + body force to u*, then projects it onto divergence-free fields,
//! u = u* - grad phi with lap phi = div u*. Because the explicit stages start from discretely
//! divergence-free fields and every stage is projected, the scheme is the method of lines for the
//! discretely divergence-free system: second order in space and time for the velocity. The
//! pressure is p = 2 phi / dt of the final stage (first order in time; written for viewing and
//! used as the next solve's initial guess).
//!
//! The Poisson problem is solved by geometric multigrid ([`multigrid`]); with walls and periodic
//! faces only, it is a pure-Neumann problem whose null space (constants) is removed exactly.
//!
//! Time step: explicit central advection + diffusion, dt = cfl / (|u|max/dx + |v|max/dy +
//! (8/3) nu (1/dx^2 + 1/dy^2)) (the 8/3 instead of 2 covers the quadratic wall ghosts), or a
//! fixed `time.dt` that is checked against the same limit every step. With
//! `navier_stokes.viscous = "crank_nicolson"` or `"backward_euler"` the viscous term is implicit
//! ([`viscous`]: an IMEX Heun / theta scheme with the same stage projections) and the limit is
//! advection's alone, cfl / (|u|max/dx + |v|max/dy).
//!
//! Steady state: [`Model::steady_change`] is max |u^{n+1} - u^n| / dt over the faces (the
//! `max_dudt` diagnostic), which `time.steady_tolerance` compares. With `[navier_stokes.pseudo_time]`
//! the steps are pseudo-time iterations to the same steady state instead ([`pseudo`]: an implicit
//! upwind-preconditioned correction of the same residual, then the same projection), and the
//! measure is the momentum residual max |R(u, p)|.
//!
//! Validation: lid-driven cavity against Ghia, Ghia & Shin (1982), J. Comput. Phys. 48:387-411
//! ([`profiles`]); Taylor-Green vortex ([`cases`]) converging at second order; plane Poiseuille
//! flow reproduced to round-off.

pub mod benchmarks;
pub mod cases;
pub mod coarse;
pub mod config;
pub mod diag;
pub mod fields;
#[cfg(target_arch = "x86_64")]
mod lanes;
pub mod mac;
pub mod mg_agglomerate;
pub mod mg_geom;
pub mod mg_level;
pub mod mg_plan;
mod mg_relax;
pub mod multigrid;
pub mod profiles;
pub mod pseudo;
mod pseudo_row;
mod spec;
pub mod viscous;
mod viscous_row;

pub use spec::Spec;

use super::{Clock, Diagnostics, Model, StepCtx};
use crate::config::Config;
use config::{NavierStokesConfig, NsFaceKind};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::field::Field;
use crate::grid::Grid;
use crate::par::{Comm, Exec};
use cases::Reference;
use diag::max_abs;
use mac::{Mac, PressureUpdate};
use crate::par::team::Team;
use multigrid::{Multigrid, SolveStats};
use std::time::Instant;

/// The fields written for viewing, in order.
pub(crate) const VIEW: [&str; 7] = ["u", "v", "p", "vorticity", "speed", "u_face", "v_face"];
/// The fields that make up the state.
pub(crate) const STATE: [&str; 3] = ["u_face", "v_face", "p"];

/// What the last step measured (reported by the diagnostics).
#[derive(Debug, Clone, Copy, Default)]
struct StepInfo {
    cycles: u32,
    residual: f64,
    reduction: f64,
    max_divergence: f64,
    cfl: f64,
    change: f64,
}

pub struct NavierStokes {
    cfg: NavierStokesConfig,
    grid: Grid,
    mac: Mac,
    decomp: Decomp,
    u: Field,
    v: Field,
    p: Field,
    /// Stage buffers.
    u1: Field,
    v1: Field,
    u2: Field,
    v2: Field,
    mg: Multigrid,
    fixed_dt: Option<f64>,
    cfl: f64,
    reference: Reference,
    last: StepInfo,
    /// The viscosity in the dt limit: nu, or 0 with an implicit viscous term.
    dt_nu: f64,
    /// The implicit viscous stages' buffers (None: explicit).
    visc: Option<viscous::Implicit>,
    /// Pseudo-time iterations to the steady state instead of time steps.
    pseudo: Option<pseudo::Pseudo>,
    /// The threads of a step's loops: one team entry per step ([`crate::par::team`]), shared with the
    /// pressure solve; made at the first step with the Exec's thread count.
    team: Option<Team>,
    /// Global (max |u|, max |v|) of the current state (with the wall speeds), from the end of
    /// the last step; None after a restore.
    speeds: Option<(f64, f64)>,
    /// Pressure solves of this run that stopped at `max_cycles` above the tolerance.
    stalls: Stalls,
}

/// Pressure solves that stopped at `max_cycles` above the tolerance: how many of how many, and the
/// first (step, residual, reduction per cycle) until it is warned about.
#[derive(Debug, Default)]
struct Stalls {
    count: u64,
    solves: u64,
    first: Option<(u64, f64, f64)>,
}

impl Stalls {
    fn note(&mut self, step: u64, s: &SolveStats, tol: f64) {
        if s.cycles == 0 && s.initial_residual == 0.0 {
            return;
        }
        self.solves += 1;
        if s.residual > tol {
            self.count += 1;
            if self.count == 1 {
                self.first = Some((step, s.residual, s.reduction().unwrap_or(1.0)));
            }
        }
    }
}

/// Periodic axes (z, y, x) from the boundary config.
pub fn periodic_axes(cfg: &Config) -> [bool; 3] {
    let b = &cfg.section::<NavierStokesConfig>().boundary;
    [false, b.y_lo.kind == NsFaceKind::Periodic, b.x_lo.kind == NsFaceKind::Periodic]
}

/// The inverse of the stable dt for speed maxima (su, sv): |u|/dx + |v|/dy + (8/3) nu (1/dx^2 + 1/dy^2).
pub fn inverse_dt_limit(grid: &Grid, nu: f64, su: f64, sv: f64) -> f64 {
    let (dy, dx) = (grid.d[1], grid.d[2]);
    su / dx + sv / dy + 8.0 / 3.0 * nu * (1.0 / (dx * dx) + 1.0 / (dy * dy))
}

/// (chosen dt, maximum stable dt) at the start of the run, for `simrun check` and validation:
/// the speed scale is the walls', the initial field's or the Poiseuille centre-line speed.
pub fn plan_dt(cfg: &Config) -> (f64, f64) {
    let grid = Grid::from_config(&cfg.grid);
    let ns = cfg.section::<NavierStokesConfig>();
    let (su, sv) = cases::speed_scale(ns, &grid);
    let nu = if ns.viscous.theta().is_some() { 0.0 } else { 1.0 / ns.re };
    let dt_max = 1.0 / inverse_dt_limit(&grid, nu, su, sv);
    let cfl = ns.pseudo_time.map_or(cfg.time.cfl, |pt| pt.cfl);
    (cfg.time.dt.unwrap_or(cfl * dt_max), dt_max)
}

impl NavierStokes {
    pub fn new(cfg: &Config, grid: &Grid, decomp: &Decomp, _exec: &Exec) -> Result<NavierStokes> {
        let ns = cfg.section::<NavierStokesConfig>().clone();
        let b = &ns.boundary;
        let speeds = [b.x_lo.velocity, b.x_hi.velocity, b.y_lo.velocity, b.y_hi.velocity];
        let mac = Mac::new(decomp, [grid.d[1], grid.d[2]], speeds, 1.0 / ns.re, [ns.body_force[1], ns.body_force[0]]);
        let h = [0, 1, 1];
        let mut u = Field::new(decomp.size, h);
        let mut v = Field::new(decomp.size, h);
        let (oy, ox) = (decomp.offset[1], decomp.offset[2]);
        for j in 0..mac.n[0] {
            for i in 0..mac.n[1] {
                let (xc, yc) = (grid.centre(2, ox + i), grid.centre(1, oy + j));
                let (xf, yf) = ((ox + i + 1) as f64 * grid.d[2], (oy + j + 1) as f64 * grid.d[1]);
                u.set(0, j as isize, i as isize, cases::initial_velocity(&ns, grid, xf, yc).0);
                v.set(0, j as isize, i as isize, cases::initial_velocity(&ns, grid, xc, yf).1);
            }
        }
        // Walls hold zero normal velocity.
        for j in 0..mac.n[0] {
            if mac.u_cols() < mac.n[1] {
                u.set(0, j as isize, mac.n[1] as isize - 1, 0.0);
            }
            if j >= mac.v_rows() {
                for i in 0..mac.n[1] {
                    v.set(0, j as isize, i as isize, 0.0);
                }
            }
        }
        let mg = Multigrid::new(decomp, [grid.d[1], grid.d[2]], ns.multigrid.smooth);
        tracing::debug!("multigrid levels: {}", mg.describe());
        // Validation refuses `viscous` with `pseudo_time`: at most one of the two is Some.
        let visc = ns.viscous.theta().map(|theta| viscous::Implicit::new(theta, ns.viscous_tolerance, &u));
        let pseudo = ns.pseudo_time.map(|pt| pseudo::Pseudo::new(pt.sweeps, &mac, &u));
        Ok(NavierStokes {
            dt_nu: if visc.is_some() { 0.0 } else { 1.0 / ns.re },
            cfl: ns.pseudo_time.map_or(cfg.time.cfl, |pt| pt.cfl),
            visc,
            pseudo,
            reference: Reference::detect(&ns, grid),
            cfg: ns,
            grid: grid.clone(),
            mac,
            decomp: decomp.clone(),
            p: Field::new(decomp.size, h),
            u1: u.clone(),
            v1: v.clone(),
            u2: u.clone(),
            v2: v.clone(),
            u,
            v,
            mg,
            fixed_dt: cfg.time.dt,
            last: StepInfo::default(),
            stalls: Stalls::default(),
            team: None,
            speeds: None,
        })
    }

    /// Global (max |u|, max |v|) over the faces and the wall speeds.
    fn speed_maxima(&self, comm: &dyn Comm) -> (f64, f64) {
        if let Some(s) = self.speeds {
            return s;
        }
        let walls = self.mac.wall_speed.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        let mut m = [max_abs(&self.u).max(walls), max_abs(&self.v).max(walls)];
        comm.max_f64(&mut m);
        (m[0], m[1])
    }

    /// The step's team (the caller's thread plus `exec.threads() - 1` helpers).
    fn take_team(&mut self, exec: &Exec) -> Team {
        match self.team.take() {
            Some(t) if t.threads() == exec.threads() => t,
            _ => Team::new(exec.threads()),
        }
    }

    /// Project (u, v) (interior set) onto discretely divergence-free fields; `guess` scales p
    /// into the initial phi. Stage 2 also returns max |u2 - u| over u and v (else 0).
    fn project(&mut self, which: usize, guess: f64, comm: &dyn Comm, team: &Team) -> (SolveStats, f64) {
        let (u, v) = if which == 1 { (&mut self.u1, &mut self.v1) } else { (&mut self.u2, &mut self.v2) };
        self.mac.fill_ghosts_on(team, comm, &self.decomp, u, v);
        let (f, phi) = self.mg.fine_mut();
        self.mac.divergence(team, u, v, f, Some((&self.p, guess, phi)));
        let mgc = &self.cfg.multigrid;
        let stats = self.mg.solve_with(comm, team, mgc.tolerance, mgc.max_cycles);
        let phi = &mut self.mg.fine_mut().1;
        comm.exchange_halos(&self.decomp, phi, [0, 1, 1]);
        let base = (which == 2).then_some((&self.u, &self.v));
        let change = self.mac.subtract_gradient(team, self.mg.fine_phi(), u, v, base);
        (stats, change)
    }
}

/// What a step's two stages leave: the two pressure solves' statistics, the seconds spent in them,
/// max |u^{n+1} - u^n| over the faces (this rank) and how p follows from the last phi.
struct Stages {
    s1: SolveStats,
    s2: SolveStats,
    solve: f64,
    change: f64,
    pressure: PressureUpdate,
}

impl NavierStokes {
    /// SSP-RK2 with explicit viscosity into (u2, v2).
    fn explicit_stages(&mut self, dt: f64, comm: &dyn Comm, exec: &Team) -> Stages {
        // Stage 1: u1 = P(u + dt F(u)).
        self.mac.fill_ghosts_on(exec, comm, &self.decomp, &mut self.u, &mut self.v);
        let mut solve = 0.0;
        self.mac.stage(exec, (&self.u, &self.v), (&self.u, &self.v), (&mut self.u1, &mut self.v1), dt, 0.0, 1.0);
        let ts = Instant::now();
        let (s1, _) = self.project(1, dt, comm, exec);
        solve += ts.elapsed().as_secs_f64();
        // Stage 2: u2 = P(u / 2 + (u1 + dt F(u1)) / 2).
        self.mac.fill_ghosts_on(exec, comm, &self.decomp, &mut self.u1, &mut self.v1);
        self.mac.stage(exec, (&self.u1, &self.v1), (&self.u, &self.v), (&mut self.u2, &mut self.v2), dt, 0.5, 0.5);
        let ts = Instant::now();
        let (s2, change) = self.project(2, 0.5 * dt, comm, exec);
        solve += ts.elapsed().as_secs_f64();
        // p = 2 phi / dt.
        Stages { s1, s2, solve, change, pressure: PressureUpdate::Set(2.0 / dt) }
    }

    /// The IMEX Heun / theta stages of [`viscous`] into (u2, v2).
    fn implicit_stages(&mut self, dt: f64, comm: &dyn Comm, exec: &Team) -> Stages {
        let vi = self.visc.as_mut().expect("implicit viscous buffers");
        let (theta, tol) = (vi.theta, vi.tol);
        let a = theta * dt * self.mac.nu;
        let mac = &self.mac;
        mac.fill_ghosts_on(exec, comm, &self.decomp, &mut self.u, &mut self.v);
        let (u, v) = (&self.u, &self.v);
        // R = u + (1 - theta) dt D u;  b1 = R + dt N(u).
        viscous::rhs(mac, exec, (u, v), [(1.0, u, v), (0.0, u, v)], 0.0, (1.0 - theta) * dt, (&mut vi.r.0, &mut vi.r.1));
        viscous::rhs(mac, exec, (u, v), [(1.0, &vi.r.0, &vi.r.1), (0.0, u, v)], dt, 0.0, (&mut vi.b.0, &mut vi.b.1));
        // Incremental pressure: b -= dt grad p (p of the last step; (dt p) in the scratch).
        mac.subtract_pressure_gradient(exec, comm, &self.decomp, dt, &self.p, &mut vi.s, (&mut vi.b.0, &mut vi.b.1));
        // From x0 = b1 + a L u.
        let (b, x) = ((&vi.b.0, &vi.b.1), (&mut self.u1, &mut self.v1));
        viscous::start(mac, exec, (u, v), b, a, (&mut *x.0, &mut *x.1));
        let mut sweeps = viscous::solve(mac, comm, &self.decomp, exec, a, tol, b, x);
        let mut solve = 0.0;
        let ts = Instant::now();
        let (s1, _) = self.project(1, 0.0, comm, exec);
        solve += ts.elapsed().as_secs_f64();
        // b2 = (R + b1) / 2 + dt/2 N(u1), formed in (u2, v2) and swapped into b.
        let vi = self.visc.as_mut().expect("implicit viscous buffers");
        let mac = &self.mac;
        mac.fill_ghosts_on(exec, comm, &self.decomp, &mut self.u1, &mut self.v1);
        viscous::rhs(
            mac,
            exec,
            (&self.u1, &self.v1),
            [(0.5, &vi.r.0, &vi.r.1), (0.5, &vi.b.0, &vi.b.1)],
            0.5 * dt,
            0.0,
            (&mut self.u2, &mut self.v2),
        );
        std::mem::swap(&mut vi.b.0, &mut self.u2);
        std::mem::swap(&mut vi.b.1, &mut self.v2);
        // b1 held - dt grad p already, and (R + b1) / 2 + dt/2 N(u1) needs the whole of it:
        // subtract the other half.
        let (pd, d) = (&self.p, &self.decomp);
        mac.subtract_pressure_gradient(exec, comm, d, 0.5 * dt, pd, &mut vi.s, (&mut vi.b.0, &mut vi.b.1));
        // From x0 = b2 + a L u1.
        let (u1, v1) = (&self.u1, &self.v1);
        let (b, x) = ((&vi.b.0, &vi.b.1), (&mut self.u2, &mut self.v2));
        viscous::start(mac, exec, (u1, v1), b, a, (&mut *x.0, &mut *x.1));
        sweeps += viscous::solve(mac, comm, &self.decomp, exec, a, tol, b, x);
        vi.sweeps = sweeps;
        let ts = Instant::now();
        let (s2, change) = self.project(2, 0.0, comm, exec);
        solve += ts.elapsed().as_secs_f64();
        // p^{n+1} = p^n + phi2 / dt.
        Stages { s1, s2, solve, change, pressure: PressureUpdate::Add(1.0 / dt) }
    }
}

impl NavierStokes {
    /// One pseudo-time iteration ([`pseudo`]) into (u2, v2).
    fn pseudo_iteration(&mut self, dtau: f64, comm: &dyn Comm, team: &Team) -> Stages {
        self.mac.fill_ghosts_on(team, comm, &self.decomp, &mut self.u, &mut self.v);
        let ps = self.pseudo.as_mut().expect("pseudo-time buffers");
        let bmax = ps.correction(&self.mac, comm, &self.decomp, team, (&self.u, &self.v), &self.p, dtau);
        let (du, dv) = (&ps.delta.0, &ps.delta.1);
        for (out, base, d) in [(&mut self.u2, &self.u, du), (&mut self.v2, &self.v, dv)] {
            team.rows(out, |j, row| {
                for ((o, &x), &y) in row.iter_mut().zip(base.row(0, j)).zip(d.row(0, j)) {
                    *o = x + y;
                }
            });
        }
        let ts = Instant::now();
        let (s2, _) = self.project(2, 0.0, comm, team);
        let solve = ts.elapsed().as_secs_f64();
        Stages { s1: SolveStats::default(), s2, solve, change: bmax, pressure: PressureUpdate::Add(1.0 / dtau) }
    }
}

impl Model for NavierStokes {
    fn name(&self) -> &'static str {
        "navier_stokes"
    }

    fn dt(&mut self, ctx: &mut StepCtx) -> f64 {
        if let Some(dt) = self.fixed_dt {
            return dt;
        }
        let (su, sv) = self.speed_maxima(ctx.comm);
        self.cfl / inverse_dt_limit(&self.grid, self.dt_nu, su, sv)
    }

    fn steady_change(&self) -> Option<f64> {
        Some(self.last.change)
    }

    fn take_warnings(&mut self, at_end: bool) -> Vec<String> {
        let mg = &self.cfg.multigrid;
        let s = &mut self.stalls;
        let said = if at_end {
            (s.count > 1).then(|| {
                format!(
                    "{} of this run's {} pressure solves stopped at navier_stokes.multigrid.max_cycles = {} above its tolerance",
                    s.count, s.solves, mg.max_cycles
                )
            })
        } else {
            // The first solve that stopped short, once (the end of the run gives the count).
            s.first.take().map(|(step, residual, reduction)| {
                format!(
                    "the pressure solve of step {step} stopped at navier_stokes.multigrid.max_cycles = {} with max |residual| {residual:.3e} above navier_stokes.multigrid.tolerance = {:e} ({reduction:.4} per V-cycle): the velocity is not divergence-free to the tolerance (diagnostic max_divergence); raise max_cycles, or use a grid that multigrid coarsens further (see `simrun check`)",
                    mg.max_cycles, mg.tolerance
                )
            })
        };
        said.into_iter().collect()
    }

    fn step(&mut self, clock: Clock, ctx: &mut StepCtx) -> Result<()> {
        let t0 = Instant::now();
        let (comm, exec) = (ctx.comm, ctx.exec);
        let dt = clock.dt;
        let (su, sv) = self.speed_maxima(comm);
        let limit = 1.0 / inverse_dt_limit(&self.grid, self.dt_nu, su, sv);
        if self.fixed_dt.is_some() && dt > limit {
            return Err(Error::numerical(format!(
                "key `time.dt` = {dt:e} exceeds the stability limit {limit:.4e} at step {} (t = {:.4e}); reduce time.dt or remove it to use the adaptive dt",
                clock.step, clock.time
            )));
        }
        // One team entry per step: every loop below runs on the team, whose helpers spin between.
        let team = self.take_team(exec);
        team.wake();
        let Stages { s1, s2, solve, change, pressure } = if self.pseudo.is_some() {
            self.pseudo_iteration(dt, comm, &team)
        } else if self.visc.is_some() {
            self.implicit_stages(dt, comm, &team)
        } else {
            self.explicit_stages(dt, comm, &team)
        };
        let exec = &team;
        let mut change = [change / dt];
        comm.max_f64(&mut change);
        std::mem::swap(&mut self.u, &mut self.u2);
        std::mem::swap(&mut self.v, &mut self.v2);
        self.mac.fill_ghosts_on(exec, comm, &self.decomp, &mut self.u, &mut self.v);
        // The pressure update, the divergence actually left after projection and the speed maxima.
        let (div, phi) = self.mg.fine_mut();
        let m = self.mac.finish(exec, phi, pressure, &mut self.p, (&self.u, &self.v), div);
        team.rest();
        self.team = Some(team);
        let walls = self.mac.wall_speed.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        let mut m = [m[0], m[1].max(walls), m[2].max(walls)];
        comm.max_f64(&mut m);
        let (dmax, su, sv) = ([m[0]], m[1], m[2]);
        self.speeds = Some((su, sv));
        let tol = self.cfg.multigrid.tolerance;
        self.stalls.note(clock.step + 1, &s1, tol);
        self.stalls.note(clock.step + 1, &s2, tol);
        let reduction = s2.reduction().unwrap_or(0.0);
        self.last = StepInfo {
            cycles: s1.cycles + s2.cycles,
            residual: s2.residual,
            reduction,
            max_divergence: dmax[0],
            cfl: dt * (su / self.grid.d[2] + sv / self.grid.d[1]),
            change: change[0],
        };
        ctx.phases.add("pressure", solve);
        ctx.phases.add("compute", t0.elapsed().as_secs_f64() - solve);
        Ok(())
    }

    fn diagnostics(&self, time: f64, ctx: &mut StepCtx) -> Diagnostics {
        let t0 = Instant::now();
        let ke = diag::kinetic_energy(&self.u, &self.v, &self.grid, ctx.comm);
        let l = self.last;
        let mut d = vec![
            ("kinetic_energy".to_string(), ke),
            ("max_divergence".to_string(), l.max_divergence),
            ("mg_cycles".to_string(), l.cycles as f64),
            ("mg_residual".to_string(), l.residual),
            ("mg_reduction".to_string(), l.reduction),
            ("cfl".to_string(), l.cfl),
            ("max_dudt".to_string(), l.change),
        ];
        if let Some(vi) = &self.visc {
            d.push(("visc_sweeps".to_string(), vi.sweeps as f64));
        }
        if let Some(e) = self.reference.kinetic_energy(&self.grid, time) {
            d.push(("kinetic_energy_exact".to_string(), e));
        }
        let off = [self.decomp.offset[1], self.decomp.offset[2]];
        if let Some((rms, max)) =
            diag::reference_errors(&self.reference, &self.grid, off, &self.u, &self.v, time, ctx.comm)
        {
            d.push(("velocity_error_rms".to_string(), rms));
            d.push(("velocity_error_max".to_string(), max));
        }
        ctx.phases.add("reduce", t0.elapsed().as_secs_f64());
        d
    }

    fn field_names(&self) -> Vec<&'static str> {
        VIEW.to_vec()
    }

    fn state_names(&self) -> Vec<&'static str> {
        STATE.to_vec()
    }

    fn copy_field(&self, name: &str, out: &mut [f64]) {
        match name {
            "u_face" => self.u.copy_interior_into(out),
            "v_face" => self.v.copy_interior_into(out),
            "p" => self.p.copy_interior_into(out),
            _ => {
                let view = mac::Centred::from_name(name);
                let view = view.unwrap_or_else(|| {
                    panic!("navier_stokes has no field `{name}` (fields: {:?})", self.field_names())
                });
                self.mac.centred(view, &self.u, &self.v, out)
            }
        }
    }

    fn restore_field(&mut self, name: &str, data: &[f64]) -> Result<()> {
        let f = match name {
            "u_face" => &mut self.u,
            "v_face" => &mut self.v,
            "p" => &mut self.p,
            _ => return Err(Error::io(format!("navier_stokes has no state field `{name}`"))),
        };
        if data.len() != f.interior_len() {
            return Err(Error::io(format!(
                "field `{name}`: {} values for a block of {}",
                data.len(),
                f.interior_len()
            )));
        }
        f.set_interior_from(data);
        self.speeds = None;
        Ok(())
    }

    /// The cell-centred views (u, v, vorticity, speed) read the face velocities' ghost cells,
    /// which a restore does not set: fill them, and the divergence left in the state.
    fn after_restore(&mut self, ctx: &mut StepCtx) -> Result<()> {
        self.speeds = None;
        self.mac.fill_ghosts(ctx.comm, &self.decomp, &mut self.u, &mut self.v);
        let team = self.take_team(ctx.exec);
        let (div, _) = self.mg.fine_mut();
        self.mac.divergence(&team, &self.u, &self.v, div, None);
        self.team = Some(team);
        let mut dmax = [max_abs(div)];
        ctx.comm.max_f64(&mut dmax);
        self.last.max_divergence = dmax[0];
        Ok(())
    }

    /// Speed: the vorticity's range is set by the lid corners' singularity, which leaves the
    /// rest of a linear colour scale flat.
    fn image_field(&self) -> &'static str {
        "speed"
    }

    fn first_non_finite(&self) -> Option<(&'static str, [usize; 3])> {
        for (name, f) in [("u", &self.u), ("v", &self.v), ("p", &self.p)] {
            if let Some(c) = f.first_non_finite() {
                return Some((name, c));
            }
        }
        None
    }
}
