//! The weather model in the registry: what the generic code asks of it.

use super::background::HS;
use super::config::{self, WeatherCase, WeatherConfig};
use super::diag::{STATE, VIEW};
use super::kernel::NV;
use super::Weather;
use crate::config::{Config, Given, SectionType};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::models::{f64_fields, Footprint, Model, ModelSpec};
use crate::par::{Comm, Exec};

pub struct Spec;

impl ModelSpec for Spec {
    fn name(&self) -> &'static str {
        "weather"
    }
    fn fields(&self) -> &'static crate::models::FieldTable {
        &super::fields::TABLE
    }
    fn section(&self) -> SectionType {
        SectionType::of::<WeatherConfig>()
    }
    fn validate(&self, cfg: &Config, given: &Given) -> Result<()> {
        config::validate(cfg, given)
    }
    fn view_fields(&self) -> &'static [&'static str] {
        &VIEW
    }
    fn state_fields(&self) -> &'static [&'static str] {
        &STATE
    }
    fn periodic_axes(&self, _cfg: &Config) -> [bool; 3] {
        super::periodic_axes()
    }
    fn plan_dt(&self, cfg: &Config) -> (f64, f64) {
        super::plan_dt(cfg)
    }
    fn strict_end_time(&self, cfg: &Config) -> bool {
        // Upstream's loop runs while etime < sim_time.
        cfg.section::<WeatherConfig>().compat == config::Compat::Miniweather
    }
    fn cfl_key(&self) -> &'static str {
        "weather.cfl"
    }
    fn unused_keys(&self, _cfg: &Config) -> Vec<&'static str> {
        vec!["time.cfl", "parallel.time_block", "parallel.sweep_trial"]
    }
    fn start_warnings(&self, cfg: &Config) -> Vec<String> {
        let case = cfg.section::<WeatherConfig>().case;
        let (lx, ly) = (cfg.grid.lx, cfg.grid.ly);
        super::cases::features(case)
            .iter()
            .filter_map(|f| {
                let (zc, rz, rx) = (f.z, f.rz, f.rx);
                let what = format!("the {} ({} m across, centred {zc} m up)", f.name, 2.0 * rx);
                if zc - rz >= ly {
                    Some(format!("{what} lies above the domain top grid.ly = {ly} m: the initial state leaves it out"))
                } else if zc + rz > ly || rx > lx / 2.0 {
                    Some(format!("{what} is cut by the domain (grid.lx = {lx} m, grid.ly = {ly} m): only part of it is in the initial state"))
                } else {
                    None
                }
            })
            .collect()
    }
    fn align_outputs(&self, _cfg: &Config) -> bool {
        // The scheme's dt is fixed and its steps alternate the x and z passes: a shortened step
        // changes the solution everywhere after it (thermal, 1000 s, outputs every 7 s: 0.44 K),
        // so outputs come at the steps the run takes anyway.
        false
    }
    fn check_split(&self, _cfg: &Config, decomp: &Decomp) -> Result<()> {
        // The thinnest block of any rank (the remainder goes to the first ranks).
        let (nz, nx) = (decomp.global[1] / decomp.procs[1], decomp.global[2] / decomp.procs[2]);
        if nz < HS || nx < HS {
            return Err(Error::config(format!(
                "the weather model needs at least {HS} cells per rank along x and z (halo width {HS}); this split gives {nx} x {nz}: use fewer ranks or set `parallel.layout`"
            )));
        }
        Ok(())
    }
    fn footprint(&self, cfg: &Config, block: [usize; 3]) -> Option<Footprint> {
        let (nz, nx) = (block[1], block[2]);
        // The state and two stage buffers of (nz, 4, nx) with halos (2, 0, 2), the gravity-wave
        // forcing per cell, the background per row.
        let state = f64_fields(3, [nz, NV, nx], [HS, 0, HS])?;
        let force = if cfg.section::<WeatherConfig>().case == WeatherCase::GravityWaves {
            f64_fields(1, [1, nz, nx], [0; 3])?
        } else {
            0
        };
        let background = f64_fields(8, [1, 1, nz], [0, 0, HS])?;
        let bytes = state.checked_add(force)?.checked_add(background)?;
        Some(Footprint { bytes, output_fields: (VIEW.len() + STATE.len()) as u64 })
    }
    fn build(
        &self,
        cfg: &Config,
        grid: &Grid,
        decomp: &Decomp,
        exec: &Exec,
        _comm: &dyn Comm,
    ) -> Result<Box<dyn Model>> {
        Ok(Box::new(Weather::new(cfg, grid, decomp, exec)?))
    }
}
