//! Checks that need more than a type: sizes, ranges, consistency between keys, stability.

use super::{Config, FaceKind, NsFaceKind, Shape};
use crate::error::{Error, Result};
use crate::grid::Grid;

pub(crate) fn validate(cfg: &Config) -> Result<()> {
    let g = &cfg.grid;
    for (key, n) in [("grid.nx", g.nx), ("grid.ny", g.ny), ("grid.nz", g.nz.unwrap_or(1))] {
        if n == 0 {
            return Err(Error::config(format!("key `{key}` must be at least 1, got 0")));
        }
    }
    for (key, l) in [("grid.lx", g.lx), ("grid.ly", g.ly), ("grid.lz", g.lz)] {
        positive(key, l)?;
    }
    let t = &cfg.time;
    match (t.steps, t.end_time) {
        (Some(_), Some(_)) => return Err(Error::config("give `time.steps` or `time.end_time`, not both")),
        (None, None) => return Err(Error::config("missing key `time.steps` (or `time.end_time`)")),
        (None, Some(e)) => positive("time.end_time", e)?,
        (Some(_), None) => {}
    }
    if !(t.cfl > 0.0 && t.cfl <= 1.0) {
        return Err(Error::config(format!("key `time.cfl` must be in (0, 1], got {}", t.cfl)));
    }
    if let Some(dt) = t.dt {
        positive("time.dt", dt)?;
    }
    if let Some(w) = t.wall_limit {
        positive("time.wall_limit", w)?;
    }
    if cfg.parallel.time_block > crate::models::heat::fused::MAX_STEPS {
        return Err(Error::config(format!(
            "key `parallel.time_block` must be 0 (automatic) to {}, got {}",
            crate::models::heat::fused::MAX_STEPS,
            cfg.parallel.time_block
        )));
    }
    let c = &cfg.checkpoint;
    for (key, v) in [("checkpoint.every_time", c.every_time), ("checkpoint.every_wall", c.every_wall)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::config(format!("key `{key}` must be >= 0 (0 = off), got {v}")));
        }
    }
    if c.keep == 0 {
        return Err(Error::config("key `checkpoint.keep` must be at least 1"));
    }
    if c.queue == 0 {
        return Err(Error::config("key `checkpoint.queue` must be at least 1"));
    }
    if c.compression > 9 {
        return Err(Error::config(format!("key `checkpoint.compression` must be 0 (off) to 9, got {}", c.compression)));
    }
    if cfg.output.dir.trim().is_empty() {
        return Err(Error::config("key `output.dir` must not be empty"));
    }
    match cfg.model {
        crate::config::ModelKind::Heat => validate_heat(cfg),
        crate::config::ModelKind::Weather => validate_weather(cfg),
        crate::config::ModelKind::NavierStokes => validate_navier_stokes(cfg),
    }
}

fn positive(key: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::config(format!("key `{key}` must be a positive number, got {v}")))
    }
}

fn validate_weather(cfg: &Config) -> Result<()> {
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
    positive("weather.cfl", cfg.weather.cfl)?;
    let b = cfg.weather.hv_beta;
    if !(b.is_finite() && (0.0..=1.0).contains(&b)) {
        return Err(Error::config(format!("key `weather.hv_beta` must be in [0, 1], got {b}")));
    }
    Ok(())
}

#[allow(clippy::type_complexity)]
fn validate_heat(cfg: &Config) -> Result<()> {
    let h = &cfg.heat;
    positive("heat.alpha", h.alpha)?;
    let dims = cfg.dims();
    let names = [("z_lo", "z_hi"), ("y_lo", "y_hi"), ("x_lo", "x_hi")];
    for (axis, (lo, hi)) in h.boundary.faces_zyx().iter().enumerate() {
        if dims == 2 && axis == 0 {
            continue;
        }
        if (lo.kind == FaceKind::Periodic) != (hi.kind == FaceKind::Periodic) {
            return Err(Error::config(format!(
                "keys `heat.boundary.{}` and `heat.boundary.{}`: periodic must be set on both faces of an axis",
                names[axis].0, names[axis].1
            )));
        }
        for (name, f) in [(names[axis].0, lo), (names[axis].1, hi)] {
            if !f.value.is_finite() {
                return Err(Error::config(format!("key `heat.boundary.{name}.value` must be finite")));
            }
        }
    }
    for (i, s) in h.initial.shapes.iter().enumerate() {
        let key = format!("heat.initial.shapes[{i}]");
        let (points, len): (Vec<(&str, &Vec<f64>)>, Option<(&str, f64)>) = match s {
            Shape::Disc { center, radius, .. } | Shape::Sphere { center, radius, .. } => {
                (vec![("center", center)], Some(("radius", *radius)))
            }
            Shape::Box { lo, hi, .. } => (vec![("lo", lo), ("hi", hi)], None),
            Shape::Gaussian { center, sigma, .. } => (vec![("center", center)], Some(("sigma", *sigma))),
        };
        for (name, p) in points {
            if p.len() != dims {
                return Err(Error::config(format!(
                    "key `{key}.{name}` needs {dims} coordinates (x, y{}), got {}",
                    if dims == 3 { ", z" } else { "" },
                    p.len()
                )));
            }
        }
        if let Some((name, v)) = len {
            positive(&format!("{key}.{name}"), v)?;
        }
    }
    if let Some(s) = &h.initial.sine {
        if s.k.len() != dims {
            return Err(Error::config(format!(
                "key `heat.initial.sine.k` needs {dims} wave numbers, got {}",
                s.k.len()
            )));
        }
    }
    if let Some(n) = &h.initial.noise {
        if !(n.amplitude.is_finite() && n.amplitude >= 0.0) {
            return Err(Error::config("key `heat.initial.noise.amplitude` must be >= 0"));
        }
    }
    let grid = Grid::from_config(&cfg.grid);
    let dt_max = crate::models::heat::max_stable_dt(&grid, h.alpha);
    if let Some(dt) = cfg.time.dt {
        if dt > dt_max {
            return Err(Error::config(format!(
                "key `time.dt` = {dt} is unstable for this grid and alpha: the maximum stable dt is {dt_max:.6e}"
            )));
        }
    }
    Ok(())
}

fn validate_navier_stokes(cfg: &Config) -> Result<()> {
    let ns = &cfg.navier_stokes;
    if cfg.dims() != 2 {
        return Err(Error::config("model `navier_stokes` is 2-D: remove key `grid.nz`"));
    }
    for (key, n) in [("grid.nx", cfg.grid.nx), ("grid.ny", cfg.grid.ny)] {
        if n < 2 {
            return Err(Error::config(format!("key `{key}` must be at least 2 for navier_stokes, got {n}")));
        }
    }
    positive("navier_stokes.re", ns.re)?;
    if ns.body_force.len() != 2 || ns.body_force.iter().any(|f| !f.is_finite()) {
        return Err(Error::config("key `navier_stokes.body_force` needs 2 finite numbers [fx, fy]"));
    }
    let faces = ns.boundary.named();
    for pair in faces.chunks(2) {
        let ((lo, a), (hi, b)) = (pair[0], pair[1]);
        if (a.kind == NsFaceKind::Periodic) != (b.kind == NsFaceKind::Periodic) {
            return Err(Error::config(format!(
                "keys `navier_stokes.boundary.{lo}` and `navier_stokes.boundary.{hi}`: periodic must be set on both faces of an axis"
            )));
        }
    }
    for (name, f) in faces {
        if !f.velocity.is_finite() {
            return Err(Error::config(format!("key `navier_stokes.boundary.{name}.velocity` must be finite")));
        }
        if f.kind == NsFaceKind::Periodic && f.velocity != 0.0 {
            return Err(Error::config(format!(
                "key `navier_stokes.boundary.{name}.velocity` applies to walls only, but the face is periodic"
            )));
        }
    }
    let mg = &ns.multigrid;
    positive("navier_stokes.multigrid.tolerance", mg.tolerance)?;
    if mg.max_cycles == 0 {
        return Err(Error::config("key `navier_stokes.multigrid.max_cycles` must be at least 1"));
    }
    if mg.smooth == 0 {
        return Err(Error::config("key `navier_stokes.multigrid.smooth` must be at least 1"));
    }
    if let Some(dt) = cfg.time.dt {
        let (_, dt_max) = crate::models::navier_stokes::plan_dt(cfg);
        if dt > dt_max {
            return Err(Error::config(format!(
                "key `time.dt` = {dt} is unstable for this grid, Reynolds number and speed scale: the maximum stable dt is {dt_max:.6e}"
            )));
        }
    }
    Ok(())
}
