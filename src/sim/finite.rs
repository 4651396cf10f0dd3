//! The NaN/Inf check of the driver: a non-finite diagnostic stops the run (exit 3) naming the
//! step, the field and the first bad cell over all ranks.

use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::models::{Diagnostics, Model};
use crate::par::Comm;

/// NaN/Inf anywhere stops the run: name the step, the field and the first bad cell.
pub fn check_finite(
    model: &dyn Model,
    decomp: &Decomp,
    grid: &Grid,
    comm: &dyn Comm,
    step: u64,
    diags: &Diagnostics,
    cfl_key: &str,
) -> Result<()> {
    if diags.iter().all(|(_, v)| v.is_finite()) {
        return Ok(());
    }
    // Lowest global index of a bad cell over ranks (field index major).
    let names = model.field_names();
    let cells = grid.cells() as f64;
    let mut key = [f64::INFINITY];
    if let Some((name, c)) = model.first_non_finite() {
        let fi = names.iter().position(|n| *n == name).unwrap_or(0) as f64;
        let g = [decomp.offset[0] + c[0], decomp.offset[1] + c[1], decomp.offset[2] + c[2]];
        let lin = ((g[0] * grid.n[1] + g[1]) * grid.n[2] + g[2]) as f64;
        key[0] = fi * cells + lin;
    }
    comm.min_f64(&mut key);
    if !key[0].is_finite() {
        let bad: Vec<&str> = diags.iter().filter(|(_, v)| !v.is_finite()).map(|(k, _)| k.as_str()).collect();
        return Err(Error::numerical(format!("non-finite diagnostics at step {step}: {}", bad.join(", "))));
    }
    let fi = (key[0] / cells).floor();
    let lin = (key[0] - fi * cells) as usize;
    let (x, y, z) = (lin % grid.n[2], (lin / grid.n[2]) % grid.n[1], lin / (grid.n[1] * grid.n[2]));
    let at = if grid.dims == 3 { format!("cell (x={x}, y={y}, z={z})") } else { format!("cell (x={x}, y={y})") };
    Err(Error::numerical(format!(
        "non-finite value (NaN or Inf) in field `{}` at step {step}, {at}: the run is unstable; reduce time.dt or {}",
        names[fi as usize], cfl_key
    )))
}
