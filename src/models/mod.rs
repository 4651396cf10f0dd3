//! The physics. Each model is a state plus pure kernels over rank-local blocks; the driver
//! ([`crate::sim`]) owns the loop and calls [`Model::step`]. Models never touch files or threads
//! directly: they get the communicator and the execution policy in a [`StepCtx`].
//!
//! The models are listed once, in the registry below: each line declares a folder
//! `src/models/<name>/` whose `Spec` ([`ModelSpec`]) gives the generic code the model's config
//! section, checks, dt plan, memory footprint and constructor. Adding a model: see
//! docs/architecture.md ("Adding a model").

pub mod field_info;
pub mod registry;

pub use field_info::{Centring, FieldInfo, FieldTable};

pub use registry::{f64_fields, Footprint, ModelSpec};

registry::registry! {
    heat,
    weather,
    navier_stokes,
}

use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::Result;
use crate::grid::Grid;
use crate::par::{Comm, Exec};
use crate::report::Phases;

/// What a model gets to do its work: how to talk to other ranks, how to use threads, where its
/// block lies, and the phase timers to charge.
pub struct StepCtx<'a> {
    pub comm: &'a dyn Comm,
    pub exec: &'a Exec,
    pub decomp: &'a Decomp,
    pub phases: &'a mut Phases,
}

/// Where the run is: `step` steps done so far, at simulated `time`; the step about to be taken has
/// size `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub step: u64,
    pub time: f64,
    pub dt: f64,
}

/// A diagnostic value with its name, e.g. ("total_heat", 1.0).
pub type Diagnostics = Vec<(String, f64)>;

pub trait Model {
    fn name(&self) -> &'static str;
    /// The time step the model wants for the next step (the same on every rank).
    fn dt(&mut self, ctx: &mut StepCtx) -> f64;
    /// Advance the state by `clock.dt` from `clock.time` (the `clock.step`-th step, from 0).
    fn step(&mut self, clock: Clock, ctx: &mut StepCtx) -> Result<()>;
    /// The most consecutive steps one call of [`Model::steps`] may take (temporal blocking); 1 =
    /// one at a time. A model that answers more than 1 must give a `dt` that does not depend on
    /// its state (the driver plans the steps of a call before taking them).
    fn max_steps_per_call(&self) -> usize {
        1
    }
    /// A model that times sweep plans in its first calls: what it measured and kept (the driver
    /// asks [`Model::max_steps_per_call`] before every call, so the answer may change then).
    fn sweep_trial(&self) -> Option<crate::report::SweepTrialReport> {
        None
    }
    /// Take the consecutive steps `clocks` (clocks[i].step = clocks[0].step + i). Only the state
    /// after the last one is observable; the result is the same as one [`Model::step`] each.
    fn steps(&mut self, clocks: &[Clock], ctx: &mut StepCtx) -> Result<()> {
        for c in clocks {
            self.step(*c, ctx)?;
        }
        Ok(())
    }
    /// Global diagnostics at simulated time `time` (deterministic for any split).
    fn diagnostics(&self, time: f64, ctx: &mut StepCtx) -> Diagnostics;
    /// The largest change per unit time of the state over the last step (the same on every
    /// rank), for `time.steady_tolerance`; None: the model does not measure it (its spec's
    /// `steady_state` is false and the key is refused).
    fn steady_change(&self) -> Option<f64> {
        None
    }
    /// What the model has to warn about since the last call (the same on every rank; rank 0
    /// prints it), asked after every model call and, with `at_end`, once when the run ends.
    fn take_warnings(&mut self, _at_end: bool) -> Vec<String> {
        Vec::new()
    }
    /// Names of the fields written to outputs for viewing, in order.
    fn field_names(&self) -> Vec<&'static str>;
    /// Names of the fields that make up the full state: restoring them (and the clock) continues
    /// the run bit for bit. May overlap with `field_names`.
    fn state_names(&self) -> Vec<&'static str>;
    /// Copy field `name`'s local interior (C order) into `out` (any name of either list).
    fn copy_field(&self, name: &str, out: &mut [f64]);
    /// Lend state field `name`'s interior to the I/O thread without a copy, if this model can
    /// (its steps never write a lent buffer's interior: [`crate::lease`]); None: copy it with
    /// [`Model::copy_field`].
    fn lend_field(&mut self, _name: &str) -> Option<crate::lease::Lent> {
        None
    }
    /// Checkpoints are on: take now the memory [`Model::lend_field`] will need (a spare state
    /// buffer, its pages faulted in). Returns whether this model lends its state (false: the
    /// driver copies it into buffers of its own, which it reserves instead).
    fn reserve_lending(&mut self) -> bool {
        false
    }
    /// Overwrite state field `name`'s local interior from `data` (C order), for restarts.
    fn restore_field(&mut self, name: &str, data: &[f64]) -> Result<()>;
    /// After every state field was restored (on every rank): recompute whatever derives from
    /// the state (ghost cells, cached values behind the view fields), so that outputs written
    /// before the next step are right.
    fn after_restore(&mut self, _ctx: &mut StepCtx) -> Result<()> {
        Ok(())
    }
    /// The field drawn in images.
    fn image_field(&self) -> &'static str;
    /// The first non-finite local cell: (field, local (z, y, x)).
    fn first_non_finite(&self) -> Option<(&'static str, [usize; 3])>;
}

/// The registered model called `name`.
pub fn find(name: &str) -> Option<&'static dyn ModelSpec> {
    MODELS.iter().copied().find(|m| m.name() == name)
}

/// The global geometry and the periodic axes the config asks for (needed before the split).
pub fn geometry(cfg: &Config) -> (Grid, [bool; 3]) {
    (Grid::from_config(&cfg.grid), cfg.spec().periodic_axes(cfg))
}

/// Build the configured model on this rank's block (`comm`: for choices every rank must share).
pub fn build(cfg: &Config, grid: &Grid, decomp: &Decomp, exec: &Exec, comm: &dyn Comm) -> Result<Box<dyn Model>> {
    let spec = cfg.spec();
    spec.check_split(cfg, decomp)?;
    let model = spec.build(cfg, grid, decomp, exec, comm)?;
    if model.field_names() != spec.view_fields() {
        return Err(crate::error::Error::other(format!(
            "model {}: its view fields {:?} differ from its spec's {:?}",
            spec.name(),
            model.field_names(),
            spec.view_fields()
        )));
    }
    Ok(model)
}

/// Stability numbers for `simrun check`: (chosen dt, maximum stable dt).
pub fn stability(cfg: &Config) -> (f64, f64) {
    cfg.spec().plan_dt(cfg)
}
