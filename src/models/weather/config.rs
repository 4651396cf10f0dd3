//! `[weather]`: the weather model's config section (types with their docs and ranges) and its
//! checks, including the time-step limit of [`super::stability`].

use super::stability;
use crate::config::{Config, Given};
use crate::error::{Error, Result};
use crate::grid::Grid;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[weather]`: the miniWeather-class compressible atmosphere (see [`crate::models::weather`]).
/// The weather model's vertical z is the grid's y axis.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeatherConfig {
    /// The test case: initial state, background, forcing (grid y is the vertical z).
    #[serde(default = "default_case")]
    pub case: WeatherCase,
    /// Compatibility mode.
    #[serde(default = "default_compat")]
    pub compat: Compat,
    /// dt = cfl * min(dx, dz) / 450 m/s when `time.dt` is absent (miniWeather's rule); refused
    /// above the stability limit (about 1.74 for the cases at rest, `simrun check` prints it).
    #[serde(default = "default_cfl")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cfl: f64,
    /// Hyperviscosity strength beta.
    #[serde(default = "default_hv_beta")]
    #[schemars(range(min = 0, max = 1))]
    pub hv_beta: f64,
}

impl Default for WeatherConfig {
    fn default() -> Self {
        WeatherConfig { case: default_case(), compat: default_compat(), cfl: default_cfl(), hv_beta: default_hv_beta() }
    }
}

/// The five test cases of miniWeather.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeatherCase {
    Thermal,
    Collision,
    GravityWaves,
    DensityCurrent,
    Injection,
}

impl WeatherCase {
    pub fn name(self) -> &'static str {
        match self {
            WeatherCase::Thermal => "thermal",
            WeatherCase::Collision => "collision",
            WeatherCase::GravityWaves => "gravity_waves",
            WeatherCase::DensityCurrent => "density_current",
            WeatherCase::Injection => "injection",
        }
    }
}

/// Compatibility mode of the weather model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compat {
    /// The physically intended scheme.
    None,
    /// Reproduce the upstream C code and its quirks.
    Miniweather,
}

fn default_case() -> WeatherCase {
    WeatherCase::Thermal
}
fn default_compat() -> Compat {
    Compat::None
}
fn default_cfl() -> f64 {
    1.5
}
fn default_hv_beta() -> f64 {
    0.05
}

/// The weather model's checks beyond the declared ranges.
pub fn validate(cfg: &Config, given: &Given) -> Result<()> {
    let w = cfg.section::<WeatherConfig>();
    if cfg.grid.nz.is_some() {
        return Err(Error::config("key `grid.nz`: the weather model is 2-D (x and vertical = grid y); remove grid.nz"));
    }
    for (key, n) in [("grid.nx", cfg.grid.nx), ("grid.ny", cfg.grid.ny)] {
        if n < 2 {
            return Err(Error::config(format!(
                "key `{key}` must be at least 2 for the weather model (halo width 2), got {n}"
            )));
        }
    }
    // The cases are laid out in metres (a bubble 2 km above the ground): the generic 1 m domain
    // would hold none of them.
    if let Some(key) = ["grid.lx", "grid.ly"].into_iter().find(|k| !given.has(k)) {
        return Err(Error::config(format!(
            "key `{key}` must be given for the weather model: the domain in metres (the cases are laid out for 20000 x 10000, lx x ly)"
        )));
    }
    if given.has("time.cfl") {
        return Err(Error::config(
            "key `time.cfl` is not used by the weather model: its dt comes from `weather.cfl` (or `time.dt`)",
        ));
    }
    if given.has("parallel.time_block") {
        return Err(Error::config(
            "key `parallel.time_block` is not used by the weather model (one step per sweep): remove it",
        ));
    }
    if given.has("parallel.sweep_trial") {
        return Err(Error::config(
            "key `parallel.sweep_trial` is not used by the weather model (no sweep plans to time): remove it",
        ));
    }
    if given.has("time.dt") && given.has("weather.cfl") {
        return Err(Error::config(
            "give `time.dt` (a fixed step) or `weather.cfl`, not both: with time.dt the cfl is not used",
        ));
    }
    let grid = Grid::from_config(&cfg.grid);
    let zlen = grid.len[1];
    if let Some(top) = stability::atmosphere_top(w.case, zlen) {
        return Err(Error::config(format!(
            "key `grid.ly` = {zlen} m is taller than the \"{}\" case's hydrostatic atmosphere, whose pressure reaches zero below {top:.0} m",
            w.case.name()
        )));
    }
    let limit = stability::Limit::of(&grid, w);
    let dt_max = limit.dt();
    match cfg.time.dt {
        Some(dt) if dt > dt_max => Err(Error::config(format!(
            "key `time.dt` = {dt} is above the weather scheme's stability limit {dt_max:.6e} s for this grid and case ({})",
            limit.why()
        ))),
        Some(_) => Ok(()),
        None => {
            let dt = limit.dt_of_cfl(w.cfl);
            if dt > dt_max {
                Err(Error::config(format!(
                    "key `weather.cfl` = {} gives dt = {dt:.6e} s, above the stability limit {dt_max:.6e} s: weather.cfl may be at most {:.4} here ({})",
                    w.cfl,
                    limit.max_cfl(),
                    limit.why()
                )))
            } else {
                Ok(())
            }
        }
    }
}
