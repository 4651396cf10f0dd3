//! Checks that need more than a type: the ranges declared on the fields (for the shared sections
//! and the model's), consistency between shared keys, sizes that must fit the arithmetic, then
//! the model's own checks through the registry (its section, its dt limit, the shared keys it
//! does not use).

use super::{schema, Config, Given, Shared, SharedRef, TimeOut};
use crate::error::{Error, Result};

pub(crate) fn validate(cfg: &Config, given: &Given) -> Result<()> {
    let shared = SharedRef {
        model: cfg.model,
        grid: &cfg.grid,
        time: TimeOut(&cfg.time),
        parallel: &cfg.parallel,
        output: &cfg.output,
        checkpoint: &cfg.checkpoint,
    };
    let value = toml::Value::try_from(&shared).map_err(|e| Error::other(format!("config: {e}")))?;
    schema::check_ranges(&schemars::schema_for!(Shared), &value, "")?;
    let spec = cfg.spec();
    let section = cfg.section.to_value().map_err(|e| Error::other(format!("config: {e}")))?;
    schema::check_ranges(&(spec.section().schema)(), &section, spec.name())?;

    let t = &cfg.time;
    match (t.steps, t.end_time) {
        (Some(_), Some(_)) => return Err(Error::config("give `time.steps` or `time.end_time`, not both")),
        (None, None) => return Err(Error::config("missing key `time.steps` (or `time.end_time`)")),
        _ => {}
    }
    if let Some(tol) = t.steady_tolerance {
        if !(tol.is_finite() && tol > 0.0) {
            return Err(Error::config(format!(
                "key `time.steady_tolerance` must be a positive finite number (a change per unit time), got {tol}"
            )));
        }
        if !cfg.spec().steady_state() {
            return Err(Error::config(format!(
                "key `time.steady_tolerance` is not supported by model `{}` (it has no steady-state measure): remove it",
                cfg.model
            )));
        }
    }
    if given.has("time.dt") && given.has("time.cfl") {
        return Err(Error::config(
            "give `time.dt` (a fixed step) or `time.cfl` (a fraction of the stability limit), not both: with time.dt the cfl is not used",
        ));
    }
    // `grid.lz` (and heat's z faces) on a 2-D grid are kept for `--set grid.nz=N`: one config
    // serves a problem in 2-D and 3-D, as the tests' do.
    if cfg.output.dir.trim().is_empty() {
        return Err(Error::config("key `output.dir` must not be empty"));
    }
    check_image_keys(cfg, spec)?;
    if let Some(l) = &cfg.parallel.layout {
        let dims = cfg.dims();
        if l.len() != dims {
            return Err(Error::config(format!(
                "key `parallel.layout` needs {dims} entries (px, py{}), got {}",
                if dims == 3 { ", pz" } else { "" },
                l.len()
            )));
        }
        let n = [cfg.grid.nx, cfg.grid.ny, cfg.grid.nz.unwrap_or(1)];
        for (a, (&p, name)) in l.iter().zip(["x", "y", "z"]).enumerate() {
            if p == 0 || p > n[a] {
                return Err(Error::config(format!(
                    "key `parallel.layout` puts {p} ranks along {name}, which has {} cells: each entry must be 1 to the cells along its axis",
                    n[a]
                )));
            }
        }
    }
    check_cell_count(cfg)?;
    super::field_writer::validate(cfg, spec.view_fields(), spec.state_fields())?;
    spec.validate(cfg, given)?;
    let (dt, dt_max) = spec.plan_dt(cfg);
    for (what, v) in [("time step", dt), ("stability limit", dt_max)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::config(format!(
                "the {what} of this grid and model is {v:e}, not a positive finite number: check the lengths `grid.lx`, `grid.ly`, `grid.lz` against the cell counts, and the coefficients in `[{}]`",
                cfg.model
            )));
        }
    }
    // A run that cannot end: more steps to the end time than any run takes.
    if let Some(end) = cfg.time.end_time {
        let steps = end / dt;
        if steps > MAX_STEPS {
            let key = spec.cfl_key();
            return Err(Error::config(format!(
                "key `time.end_time` = {end} at dt = {dt:e} takes about {steps:.1e} steps (more than {MAX_STEPS:e}): raise the time step (`time.dt` or `{key}`) or lower the end time"
            )));
        }
    }
    // Every size the run will compute (fields with halos, buffers, the output gather) fits.
    crate::memory::memory_estimate(cfg, crate::memory::check_ranks(cfg))?;
    Ok(())
}

/// The most steps a run to `time.end_time` may take (about 11 days at a microsecond a step).
const MAX_STEPS: f64 = 1e12;

/// The cell count must fit 64 bits (with room for halos): name the keys that make it.
/// `output.image_field` names a view field of the model; `output.image_range` is lo < hi.
fn check_image_keys(cfg: &Config, spec: &dyn crate::models::ModelSpec) -> Result<()> {
    if let Some(f) = &cfg.output.image_field {
        let fields = spec.view_fields();
        if !fields.contains(&f.as_str()) {
            return Err(Error::config(format!(
                "key `output.image_field`: model {} has no view field `{f}` (it has: {})",
                spec.name(),
                fields.join(", ")
            )));
        }
    }
    if let Some([lo, hi]) = cfg.output.image_range {
        if lo >= hi {
            return Err(Error::config(format!("key `output.image_range` = [{lo}, {hi}]: give [lo, hi] with lo < hi")));
        }
    }
    Ok(())
}

fn check_cell_count(cfg: &Config) -> Result<u64> {
    let g = &cfg.grid;
    let n = [g.nx as u64, g.ny as u64, g.nz.unwrap_or(1) as u64];
    let total = n.iter().try_fold(1u64, |acc, &v| acc.checked_mul(v)).filter(|&c| c <= u64::MAX >> 8);
    total.ok_or_else(|| {
        let keys = if g.nz.is_some() { "`grid.nx` x `grid.ny` x `grid.nz`" } else { "`grid.nx` x `grid.ny`" };
        Error::config(format!(
            "keys {keys} = {}: too many cells to count in 64 bits",
            n[..cfg.dims()].iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" x ")
        ))
    })
}
