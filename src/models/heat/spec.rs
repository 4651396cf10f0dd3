//! The heat model in the registry: what the generic code asks of it.

use super::config::{self, HeatConfig};
use super::{fused, Heat};
use crate::config::{Config, Given, SectionType};
use crate::decomp::Decomp;
use crate::error::Result;
use crate::grid::Grid;
use crate::models::{f64_fields, Footprint, Model, ModelSpec};
use crate::par::{Comm, Exec, SingleComm};

pub struct Spec;

impl ModelSpec for Spec {
    fn name(&self) -> &'static str {
        "heat"
    }
    fn fields(&self) -> &'static crate::models::FieldTable {
        &super::fields::TABLE
    }
    fn section(&self) -> SectionType {
        SectionType::of::<HeatConfig>()
    }
    fn validate(&self, cfg: &Config, given: &Given) -> Result<()> {
        config::validate(cfg, given)
    }
    fn view_fields(&self) -> &'static [&'static str] {
        &super::FIELDS
    }
    fn state_fields(&self) -> &'static [&'static str] {
        &super::FIELDS
    }
    fn periodic_axes(&self, cfg: &Config) -> [bool; 3] {
        super::periodic_axes(cfg)
    }
    fn plan_dt(&self, cfg: &Config) -> (f64, f64) {
        super::plan_dt(cfg)
    }
    fn footprint(&self, cfg: &Config, block: [usize; 3]) -> Option<Footprint> {
        // The state and the next state, with halos as deep as the steps per sweep (at most
        // MAX_STEPS when chosen automatically).
        let k = match cfg.parallel.time_block {
            0 => fused::MAX_STEPS,
            k => k,
        };
        let halo = if cfg.dims() == 3 { [k; 3] } else { [0, k, k] };
        Some(Footprint { bytes: f64_fields(2, block, halo)?, output_fields: 1 })
    }
    fn build(
        &self,
        cfg: &Config,
        grid: &Grid,
        decomp: &Decomp,
        exec: &Exec,
        comm: &dyn Comm,
    ) -> Result<Box<dyn Model>> {
        Ok(Box::new(Heat::new(cfg, grid, decomp, exec, comm)?))
    }
    fn start_warnings(&self, cfg: &Config) -> Vec<String> {
        let h = cfg.section::<HeatConfig>();
        config::sine_not_exact(h, cfg.dims())
            .map(|why| format!("heat.initial.sine: no l2_error diagnostic: {why}, so the analytic sine mode is not the solution"))
            .into_iter()
            .collect()
    }
    fn check_lines(&self, cfg: &Config, _ranks: usize) -> Vec<String> {
        // What one process on this machine would take (ranks may cut it to their thinnest block).
        let (grid, periodic) = (Grid::from_config(&cfg.grid), super::periodic_axes(cfg));
        match Decomp::new(grid.n, grid.dims, 1, 0, periodic, None) {
            Ok(d) => {
                let plans = super::sweep_plans(cfg, &d, &SingleComm, 1);
                let mut steps: Vec<String> = plans.iter().map(|p| p.steps.to_string()).collect();
                steps.dedup();
                let how = if plans.len() > 1 {
                    "two plans, the faster timed in the first sweeps"
                } else {
                    "temporal blocking"
                };
                vec![format!(
                    "steps/sweep   = {}  ({how}, one process on this machine; parallel.time_block)",
                    steps.join(" or ")
                )]
            }
            Err(_) => Vec::new(),
        }
    }
}
