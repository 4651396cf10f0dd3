//! Heat diffusion in 2-D and 3-D: dT/dt = alpha * laplacian(T) on a cell-centred grid.
//!
//! Discretisation: explicit Euler, second-order central differences (see [`kernel`]); stable for
//! dt <= 1 / (2 alpha sum_a 1/d_a^2). Boundary conditions per face: Dirichlet, Neumann (default:
//! zero flux) or periodic. With zero-flux walls the total heat sum_cells T dV is conserved to
//! round-off. Validation: a single sine mode with Dirichlet walls at the background value decays as
//! exp(-alpha pi^2 sum_a (k_a/L_a)^2 t) (e.g. LeVeque, "Finite Difference Methods for Ordinary and
//! Partial Differential Equations", SIAM 2007, ch. 9); the scheme converges at second order in space.
//!
//! Sweeps: the driver hands the model up to `parallel.time_block` steps at once (by default as
//! many as suit the L2 cache) and [`fused`] (2-D) or [`fused_3d`] takes them in one pass over
//! memory (temporal blocking), with halos as deep as the steps; the bits are those of one step at
//! a time ([`kernel`]). The run times two plans (steps per sweep and, in 3-D, bands sized for a
//! ring budget) in its first sweeps and keeps the faster ([`sweep_trial`]).
//! Boundary conditions are ghost cells ([`boundary`]).

pub mod boundary;
pub mod config;
pub mod fields;
pub mod fused;
pub mod fused_3d;
pub mod initial;
pub mod kernel;
mod spec;
pub mod sweep_trial;

pub use spec::Spec;

use super::{Clock, Diagnostics, Model, StepCtx};
use crate::config::Config;
use config::{FaceKind, HeatConfig};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::field::{Field, Region};
use crate::grid::Grid;
use crate::lease::{Lent, Rotation};
use crate::par::{max_total, min_max_total, min_total, Comm, ExactSum, Exec};
use boundary::Sides;
use kernel::Coef;
use std::time::Instant;
use sweep_trial::{Plan, SweepTrial};

/// The one field: written for viewing and the whole state.
pub(crate) const FIELDS: [&str; 1] = ["temperature"];

pub struct Heat {
    cfg: HeatConfig,
    grid: Grid,
    /// The physical faces of this block and their ghost formulas.
    sides: Sides,
    dt: f64,
    /// Steps fused into one sweep (temporal blocking) and the 3-D bands' ring budget: the plans
    /// tried in the first sweeps and the one kept.
    trial: SweepTrial,
    /// Current state (with halos as deep as the most steps of a plan) and the buffer the next
    /// state is written into.
    t: Field,
    next: Field,
    /// Which of the two is lent to the I/O thread (checkpoint hand-over without a copy), and the
    /// spare buffers rotated in while one is.
    rotation: Rotation,
    /// Global offset of the local block (z, y, x).
    offset: [usize; 3],
    /// The compute threads (for the copies handed to outputs).
    exec: Exec,
}

/// Maximum stable dt of the explicit scheme.
pub fn max_stable_dt(grid: &Grid, alpha: f64) -> f64 {
    let s: f64 = grid.axes().map(|a| 1.0 / (grid.d[a] * grid.d[a])).sum();
    1.0 / (2.0 * alpha * s)
}

/// (chosen dt, maximum stable dt): the user's dt, or cfl * maximum; with `end_time`, shortened so
/// a whole number of equal steps lands on it.
pub fn plan_dt(cfg: &Config) -> (f64, f64) {
    let grid = Grid::from_config(&cfg.grid);
    let dt_max = max_stable_dt(&grid, cfg.section::<HeatConfig>().alpha);
    let mut dt = cfg.time.dt.unwrap_or(cfg.time.cfl * dt_max);
    if let (Some(end), None) = (cfg.time.end_time, cfg.time.steps) {
        let steps = (end / dt).ceil().max(1.0);
        dt = end / steps;
    }
    (dt, dt_max)
}

/// Periodic axes (z, y, x) from the boundary config.
pub fn periodic_axes(cfg: &Config) -> [bool; 3] {
    let f = cfg.section::<HeatConfig>().boundary.faces_zyx();
    let mut p =
        [f[0].0.kind == FaceKind::Periodic, f[1].0.kind == FaceKind::Periodic, f[2].0.kind == FaceKind::Periodic];
    if cfg.dims() == 2 {
        p[0] = false;
    }
    p
}

/// The sweep plans a run chooses from ([`sweep_trial`]): one per ring budget of
/// [`sweep_trial::ring_budgets`]. Steps per sweep: `parallel.time_block`, or chosen for the
/// budget ([`fused::auto_steps`] in 2-D, [`fused_3d::auto_steps`] in 3-D), the smallest choice over
/// ranks, and never more than the thinnest block of any rank along an axis whose halo comes from a
/// neighbour or the periodic wrap (a halo is taken from the next block only). Two plans, or one
/// where both would sweep alike on every rank (the same steps and, in 3-D, the same bands of the
/// tallest block) or `parallel.sweep_trial` is false. The same on every rank (collective on
/// `comm`).
pub fn sweep_plans(cfg: &Config, decomp: &Decomp, comm: &dyn Comm, threads: usize) -> Vec<Plan> {
    let three_d = cfg.dims() == 3;
    let blocks: Vec<[usize; 3]> = (0..decomp.procs.iter().product()).map(|r| decomp.block_of(r).1).collect();
    let widest = blocks.iter().map(|b| b[2]).max().unwrap_or(1);
    let tallest = blocks.iter().map(|b| b[1]).max().unwrap_or(1);
    let periodic = periodic_axes(cfg);
    let first_axis = if three_d { 0 } else { 1 };
    let mut thinnest = usize::MAX;
    for size in &blocks {
        for a in first_axis..3 {
            if decomp.procs[a] > 1 || periodic[a] {
                thinnest = thinnest.min(size[a]);
            }
        }
    }
    let budgets = sweep_trial::ring_budgets(crate::machine::l2_cache_bytes());
    let mut steps: Vec<f64> = budgets
        .iter()
        .map(|&ring_bytes| match cfg.parallel.time_block {
            0 if three_d => fused_3d::auto_steps(widest, ring_bytes) as f64,
            0 => fused::auto_steps(widest, ring_bytes) as f64,
            k => k as f64,
        })
        .collect();
    comm.min_f64(&mut steps);
    let mut plans: Vec<Plan> = budgets
        .iter()
        .zip(&steps)
        .map(|(&ring_bytes, &k)| Plan { steps: (k as usize).min(thinnest).max(1), ring_bytes })
        .collect();
    if !cfg.parallel.sweep_trial {
        plans.truncate(1);
    }
    if let [a, b] = plans[..] {
        // Compared only when the steps are equal: then the field's halo is that deep on both.
        let bands = |p: Plan| fused_3d::band_rows(p.steps, widest + 2 * p.steps, tallest, threads, p.ring_bytes);
        let mut differ = [if a.steps != b.steps || (three_d && bands(a) != bands(b)) { 1.0 } else { 0.0 }];
        comm.max_f64(&mut differ);
        if differ[0] == 0.0 {
            plans.truncate(1);
        }
    }
    plans
}

impl Heat {
    pub fn new(cfg: &Config, grid: &Grid, decomp: &Decomp, exec: &Exec, comm: &dyn Comm) -> Result<Heat> {
        let trial = SweepTrial::new(sweep_plans(cfg, decomp, comm, exec.threads()));
        let deepest = trial.deepest();
        let h = if grid.dims == 3 { [deepest; 3] } else { [0, deepest, deepest] };
        let mut t = Field::new(decomp.size, h);
        let offset = decomp.offset;
        let ic = &cfg.section::<HeatConfig>().initial;
        exec.for_each_row(&mut t, Region::whole(decomp.size), |z, y, row| {
            for (x, v) in row.iter_mut().enumerate() {
                *v = initial::value(ic, grid, [offset[0] + z, offset[1] + y, offset[2] + x]);
            }
        });
        let next = Field::copy_of(&t);
        Ok(Heat {
            cfg: cfg.section::<HeatConfig>().clone(),
            grid: grid.clone(),
            sides: boundary::sides(decomp, &cfg.section::<HeatConfig>().boundary.faces_zyx(), grid.d),
            dt: plan_dt(cfg).0,
            trial,
            t,
            next,
            rotation: Rotation::default(),
            offset,
            exec: exec.clone(),
        })
    }

    fn coef(&self, dt: f64) -> Coef {
        let mut c = [0.0; 3];
        for a in self.grid.axes() {
            c[a] = self.cfg.alpha * dt / (self.grid.d[a] * self.grid.d[a]);
        }
        Coef { c }
    }

    /// The analytic solution of the sine-mode problem at time `time`, as a function of the global
    /// cell (z, y, x), if it is the solution of this run: a pure sine mode with walls where it
    /// holds ([`config::sine_not_exact`]).
    fn analytic(&self, time: f64) -> Option<impl Fn([usize; 3]) -> f64 + Sync + '_> {
        let ic = &self.cfg.initial;
        let sine = ic.sine.as_ref()?;
        if config::sine_not_exact(&self.cfg, self.grid.dims).is_some() {
            return None;
        }
        let scale = sine.amplitude * (-initial::sine_decay_rate(&sine.k, &self.grid, self.cfg.alpha) * time).exp();
        let dims = self.grid.dims;
        Some(move |g: [usize; 3]| {
            // Cell centre in user order (x, y[, z]).
            let mut p = [0.0; 3];
            for (k, a) in self.grid.axes().rev().enumerate() {
                p[k] = self.grid.centre(a, g[a]);
            }
            ic.background + scale * initial::sine_shape(&sine.k, &self.grid, &p[..dims])
        })
    }
}

/// `coefs.len()` steps of `region` from `src` into `dst`: the one-step kernel, or a temporally
/// blocked sweep (3-D: in bands whose ring buffers fit `ring_bytes`).
#[allow(clippy::too_many_arguments)]
fn sweep(
    exec: &Exec,
    src: &Field,
    dst: &mut Field,
    coefs: &[Coef],
    region: Region,
    sides: &Sides,
    dims: usize,
    ring_bytes: usize,
) {
    match (coefs.len(), dims) {
        (1, _) => kernel::update(exec, src, dst, coefs[0], region),
        (_, 3) => fused_3d::advance_3d(exec, src, dst, coefs, region, sides, ring_bytes),
        _ => fused::advance_2d(exec, src, dst, coefs, region, sides),
    }
}

#[derive(Clone)]
struct Acc {
    sum: ExactSum,
    err2: ExactSum,
    min: f64,
    max: f64,
    /// Scratch: one row's squared errors.
    row: Vec<f64>,
}

impl Model for Heat {
    fn name(&self) -> &'static str {
        "heat"
    }

    fn dt(&mut self, _ctx: &mut StepCtx) -> f64 {
        self.dt
    }

    fn max_steps_per_call(&self) -> usize {
        self.trial.current().steps
    }

    fn sweep_trial(&self) -> Option<crate::report::SweepTrialReport> {
        self.trial.report()
    }

    /// Fill the halos (as deep as the steps) and ghosts, overlapping the inner region's sweep
    /// with the messages, then sweep the strips along rank faces.
    fn steps(&mut self, clocks: &[Clock], ctx: &mut StepCtx) -> Result<()> {
        let k = clocks.len();
        let coefs: Vec<Coef> = clocks.iter().map(|c| self.coef(c.dt)).collect();
        let t0 = Instant::now();
        let mut compute = 0.0;
        let mut w = [k; 3];
        let mut split = [0; 3];
        for a in 0..3 {
            if a == 0 && self.grid.dims == 2 {
                w[a] = 0;
            }
            split[a] = if ctx.decomp.procs[a] > 1 { k } else { 0 };
        }
        let (inner, strips) = Region::split_inner(self.t.n, split);
        // A lent `next` (the state of the call before a checkpoint) is never written: a spare
        // takes its place. The lent state `t` gets only its halos written below.
        self.rotation.free_next(&mut self.next);
        let rings = self.trial.current().ring_bytes;
        let (exec, sides, next, dims) = (ctx.exec, &self.sides, &mut self.next, self.grid.dims);
        let mut ghosts =
            |f: &mut Field, axis: usize, with_halo: [bool; 3]| boundary::fill_ghosts(f, sides, axis, with_halo);
        ctx.comm.fill_halos_overlapped(ctx.decomp, &mut self.t, w, &mut ghosts, &mut |src: &Field| {
            let tc = Instant::now();
            sweep(exec, src, next, &coefs, inner, sides, dims, rings);
            compute += tc.elapsed().as_secs_f64();
        });
        let t2 = Instant::now();
        for r in &strips {
            sweep(exec, &self.t, &mut self.next, &coefs, *r, &self.sides, dims, rings);
        }
        compute += t2.elapsed().as_secs_f64();
        std::mem::swap(&mut self.t, &mut self.next);
        self.rotation.swapped();
        let total = t0.elapsed().as_secs_f64();
        // Whatever of the call was not spent computing was spent on (or waiting for) halos.
        self.trial.record(k, compute, ctx.comm);
        ctx.phases.add("compute", compute);
        ctx.phases.add("halo", (total - compute).max(0.0));
        Ok(())
    }

    fn step(&mut self, clock: Clock, ctx: &mut StepCtx) -> Result<()> {
        self.steps(&[clock], ctx)
    }

    fn diagnostics(&self, time: f64, ctx: &mut StepCtx) -> Diagnostics {
        let t0 = Instant::now();
        let exact = self.analytic(time);
        let off = self.offset;
        let acc = ctx.exec.fold_rows(
            &self.t,
            Region::whole(self.t.n),
            || Acc {
                sum: ExactSum::new(),
                err2: ExactSum::new(),
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                row: Vec::new(),
            },
            |a, z, y, row| {
                a.sum.add_slice(row);
                (a.min, a.max) = min_max_total(row, (a.min, a.max));
                if let Some(exact) = &exact {
                    a.row.clear();
                    a.row.extend(row.iter().enumerate().map(|(x, &v)| {
                        let e = v - exact([off[0] + z, off[1] + y, off[2] + x]);
                        e * e
                    }));
                    a.err2.add_slice(&a.row);
                }
            },
            |mut a, b| {
                a.sum.merge(&b.sum);
                a.err2.merge(&b.err2);
                a.min = min_total(a.min, b.min);
                a.max = max_total(a.max, b.max);
                a
            },
        );
        let mut acc = acc;
        let dv: f64 = self.grid.axes().map(|a| self.grid.d[a]).product();
        let total = ctx.comm.sum_exact(&mut acc.sum) * dv;
        let mut mm = [acc.min, -acc.max];
        ctx.comm.min_f64(&mut mm);
        let mut d = vec![("total_heat".to_string(), total), ("min".to_string(), mm[0]), ("max".to_string(), -mm[1])];
        if exact.is_some() {
            let e2 = ctx.comm.sum_exact(&mut acc.err2);
            d.push(("l2_error".to_string(), (e2 / self.grid.cells() as f64).sqrt()));
        }
        ctx.phases.add("reduce", t0.elapsed().as_secs_f64());
        d
    }

    fn field_names(&self) -> Vec<&'static str> {
        FIELDS.to_vec()
    }

    fn state_names(&self) -> Vec<&'static str> {
        FIELDS.to_vec()
    }

    fn copy_field(&self, name: &str, out: &mut [f64]) {
        assert_eq!(name, "temperature", "heat has one field");
        self.exec.copy_interior(&self.t, out);
    }

    fn lend_field(&mut self, name: &str) -> Option<Lent> {
        (name == "temperature").then(|| self.rotation.lend(&self.t))
    }

    fn reserve_lending(&mut self) -> bool {
        self.rotation.reserve(&self.next);
        true
    }

    fn restore_field(&mut self, name: &str, data: &[f64]) -> Result<()> {
        if self.rotation.busy() {
            return Err(Error::io("heat cannot restore its state while it is lent for a checkpoint"));
        }
        if name != "temperature" || data.len() != self.t.interior_len() {
            return Err(Error::io(format!("heat cannot restore field `{name}` of {} values", data.len())));
        }
        self.t.set_interior_from(data);
        Ok(())
    }

    fn image_field(&self) -> &'static str {
        "temperature"
    }

    fn first_non_finite(&self) -> Option<(&'static str, [usize; 3])> {
        self.t.first_non_finite().map(|c| ("temperature", c))
    }
}

impl Drop for Heat {
    fn drop(&mut self) {
        // A buffer the I/O thread may still be reading is leaked, not freed.
        self.rotation.release(&mut self.t, &mut self.next);
    }
}
