//! The Navier-Stokes model in the registry: what the generic code asks of it.

use super::config::{self, NavierStokesConfig};
use super::mg_plan::Plan;
use super::NavierStokes;
use crate::config::{Config, Given, SectionType};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::models::{f64_fields, Footprint, Model, ModelSpec};
use crate::par::{Comm, Exec};

pub struct Spec;

/// Fields of the model's block: u, v, p and two stages of (u, v); the multigrid levels (phi, f,
/// r on the fine level, a quarter of that per coarser level: at most 4 fields in all).
const FIELDS: u64 = 7 + 4;

/// Fields written: u, v, p, vorticity, speed, u_face, v_face (the state fields among them).
const OUTPUT_FIELDS: u64 = 7;

impl ModelSpec for Spec {
    fn name(&self) -> &'static str {
        "navier_stokes"
    }
    fn fields(&self) -> &'static crate::models::FieldTable {
        &super::fields::TABLE
    }
    fn section(&self) -> SectionType {
        SectionType::of::<NavierStokesConfig>()
    }
    fn validate(&self, cfg: &Config, given: &Given) -> Result<()> {
        config::validate(cfg, given)
    }
    fn unused_keys(&self, cfg: &Config) -> Vec<&'static str> {
        let mut keys = vec!["parallel.time_block", "parallel.sweep_trial"];
        if cfg.section::<NavierStokesConfig>().pseudo_time.is_some() {
            keys.extend(config::PSEUDO_TIME_REFUSES);
        }
        keys
    }
    fn view_fields(&self) -> &'static [&'static str] {
        &super::VIEW
    }
    fn state_fields(&self) -> &'static [&'static str] {
        &super::STATE
    }
    fn periodic_axes(&self, cfg: &Config) -> [bool; 3] {
        super::periodic_axes(cfg)
    }
    fn steady_state(&self) -> bool {
        true
    }
    fn plan_dt(&self, cfg: &Config) -> (f64, f64) {
        super::plan_dt(cfg)
    }
    fn fixed_dt(&self, cfg: &Config) -> bool {
        // Else each step's dt follows the largest speed.
        cfg.time.dt.is_some()
    }
    fn check_split(&self, _cfg: &Config, decomp: &Decomp) -> Result<()> {
        // The thinnest block of any rank (the remainder goes to the first ranks).
        let (ny, nx) = (decomp.global[1] / decomp.procs[1], decomp.global[2] / decomp.procs[2]);
        if ny < 2 || nx < 2 {
            return Err(Error::config(format!(
                "grid {}x{} is too small for {} ranks: navier_stokes needs at least 2 cells per rank along each axis (key `parallel.layout` or fewer ranks)",
                decomp.global[2],
                decomp.global[1],
                decomp.nranks()
            )));
        }
        Ok(())
    }
    fn footprint(&self, cfg: &Config, block: [usize; 3]) -> Option<Footprint> {
        // Implicit viscosity: R, b and scratch, each for u and v; pseudo-time: the right-hand
        // side, the correction and scratch, each for u and v.
        let ns = cfg.section::<NavierStokesConfig>();
        let extra = if ns.pseudo_time.is_some() || ns.viscous.theta().is_some() {
            6
        } else {
            0
        };
        let fields = FIELDS + extra;
        Some(Footprint { bytes: f64_fields(fields, block, [0, 1, 1])?, output_fields: OUTPUT_FIELDS })
    }
    fn build(
        &self,
        cfg: &Config,
        grid: &Grid,
        decomp: &Decomp,
        exec: &Exec,
        _comm: &dyn Comm,
    ) -> Result<Box<dyn Model>> {
        Ok(Box::new(NavierStokes::new(cfg, grid, decomp, exec)?))
    }
    /// The multigrid level plan on `ranks` processes, and its warnings.
    fn check_lines(&self, cfg: &Config, ranks: usize) -> Vec<String> {
        let grid = Grid::from_config(&cfg.grid);
        let layout = cfg.parallel.layout.as_deref();
        let Ok(d) = Decomp::new(grid.n, grid.dims, ranks, 0, super::periodic_axes(cfg), layout) else {
            return Vec::new();
        };
        let plan = Plan::new(&d, [grid.d[1], grid.d[2]]);
        let mut lines: Vec<String> = plan.table().lines().map(String::from).collect();
        lines.extend(plan.warnings().into_iter().map(|w| format!("warning: {w}")));
        lines
    }
}
