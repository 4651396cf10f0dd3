//! What a model gives the generic code ([`ModelSpec`]), and the macro that lists the models once
//! ([`crate::models::MODELS`]). Everything that differs between models (the config section, its
//! checks, the periodic axes, the time-step plan and its stability limit, the memory footprint,
//! building the model) is asked through this trait; nothing else matches on the model.

use crate::config::{Config, Given, SectionType};
use crate::decomp::Decomp;
use crate::error::Result;
use crate::grid::Grid;
use crate::par::{Comm, Exec};

/// A registered model. Implemented by a unit struct `Spec` in each model's folder.
pub trait ModelSpec: Sync {
    /// `model = "<name>"`, and the name of the model's config section `[<name>]`.
    fn name(&self) -> &'static str;
    /// Units, long names and centring of every field the model can write, and its axes
    /// (a static table in the model's `fields.rs`).
    fn fields(&self) -> &'static super::FieldTable;
    /// The config section's type (its keys, defaults, docs and ranges).
    fn section(&self) -> SectionType;
    /// The model's checks beyond the declared ranges: its section, the shared keys as it reads
    /// them (grid dimensions and sizes, its dt limit), and the given shared keys it does not use
    /// (refused, naming the key).
    fn validate(&self, cfg: &Config, given: &Given) -> Result<()>;
    /// The fields written for viewing, in order (as [`super::Model::field_names`]; known before
    /// the model is built, for the checks of `output.fields`).
    fn view_fields(&self) -> &'static [&'static str];
    /// The fields that make up the state (as [`super::Model::state_names`]).
    fn state_fields(&self) -> &'static [&'static str];
    /// Periodic axes (z, y, x), needed before the grid is split.
    fn periodic_axes(&self, cfg: &Config) -> [bool; 3];
    /// (the dt of the first step, the maximum stable dt), for `simrun check` and validation.
    fn plan_dt(&self, cfg: &Config) -> (f64, f64);
    /// With `time.end_time`, does the loop run while `time < end_time` exactly (true, as some
    /// reference codes do, possibly taking a round-off-sized last step), or stop within round-off
    /// of the end (false, the default)?
    fn strict_end_time(&self, _cfg: &Config) -> bool {
        false
    }
    /// The key of the time step's fraction of the stability limit (what to lower when a run
    /// blows up or takes too many steps).
    fn cfl_key(&self) -> &'static str {
        "time.cfl"
    }
    /// Keys of the shared sections (and of its own) this model refuses when given, which the
    /// resolved configuration ([`Config::to_toml`]) leaves out so that it loads again.
    fn unused_keys(&self, _cfg: &Config) -> Vec<&'static str> {
        Vec::new()
    }
    /// `time.align_outputs` when the configuration does not say: do timed field outputs shorten
    /// the step before them (true), or come at the first step that reaches them (false)?
    fn align_outputs(&self, _cfg: &Config) -> bool {
        true
    }
    /// Does the model ask for the dt of [`ModelSpec::plan_dt`] at every step (true), or adapt it
    /// to the state (false: the steps `simrun check` counts are then an estimate)?
    fn fixed_dt(&self, _cfg: &Config) -> bool {
        true
    }
    /// Does the model measure its change per unit time ([`super::Model::steady_change`]), so
    /// that `time.steady_tolerance` applies?
    fn steady_state(&self) -> bool {
        false
    }
    /// Can the model run on this split (e.g. enough cells per rank for its halos)?
    fn check_split(&self, _cfg: &Config, _decomp: &Decomp) -> Result<()> {
        Ok(())
    }
    /// Memory of the model's own arrays for one rank's block of `block` cells (z, y, x): fields
    /// with halos, stage buffers, solver levels. `None` when the arithmetic overflows.
    fn footprint(&self, cfg: &Config, block: [usize; 3]) -> Option<Footprint>;
    /// The model on this rank's block (`comm`: for choices every rank must share).
    fn build(
        &self,
        cfg: &Config,
        grid: &Grid,
        decomp: &Decomp,
        exec: &Exec,
        comm: &dyn Comm,
    ) -> Result<Box<dyn super::Model>>;
    /// Extra lines for `simrun check` on `ranks` processes (e.g. heat's steps per sweep, the
    /// navier_stokes multigrid plan); lines starting with `warning:` are warnings.
    fn check_lines(&self, _cfg: &Config, _ranks: usize) -> Vec<String> {
        Vec::new()
    }
    /// Warnings about the initial state a fresh run starts from (printed by rank 0 before it
    /// starts, and by `simrun check`), without the `warning: ` prefix.
    fn start_warnings(&self, _cfg: &Config) -> Vec<String> {
        Vec::new()
    }
}

/// A model's memory on one rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Bytes of the model's arrays on the rank.
    pub bytes: u64,
    /// Fields written to final.h5 and checkpoints (viewing and state fields, each counted once):
    /// rank 0 gathers each of them over the whole grid, a checkpoint copies each of them.
    pub output_fields: u64,
}

/// Bytes of `count` f64 arrays of `shape` cells each plus `halo` cells on both sides of every
/// axis (`None` on overflow).
pub fn f64_fields(count: u64, shape: [usize; 3], halo: [usize; 3]) -> Option<u64> {
    let mut cells = 1u64;
    for a in 0..3 {
        let n = (shape[a] as u64).checked_add(2 * halo[a] as u64)?;
        cells = cells.checked_mul(n)?;
    }
    cells.checked_mul(8)?.checked_mul(count)
}

/// The list of models: `registry! { heat, weather, navier_stokes }` declares each folder as a
/// module and registers its `Spec` in [`crate::models::MODELS`], in that order (the order of
/// `simrun check --explain`).
macro_rules! registry {
    ($($model:ident),* $(,)?) => {
        $(pub mod $model;)*
        /// Every model, once: `model = "<name>"` selects one by [`ModelSpec::name`].
        pub static MODELS: &[&dyn ModelSpec] = &[$(&$model::Spec),*];
    };
}
pub(crate) use registry;
