//! `[heat]`: the heat model's config section (types with their docs and ranges) and its checks.

use crate::config::{Config, Given};
use crate::error::{Error, Result};
use crate::grid::Grid;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[heat]`: the heat-diffusion model.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeatConfig {
    /// Thermal diffusivity alpha in dT/dt = alpha laplacian(T).
    #[serde(default = "one")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub alpha: f64,
    /// One condition per face.
    #[serde(default)]
    pub boundary: BoundaryConfig,
    /// The initial temperature.
    #[serde(default)]
    pub initial: InitialConfig,
}

impl Default for HeatConfig {
    fn default() -> Self {
        HeatConfig { alpha: 1.0, boundary: BoundaryConfig::default(), initial: InitialConfig::default() }
    }
}

/// `[heat.boundary]`: one condition per face (z faces count in 3-D; a 2-D grid leaves them unused,
/// so one config serves 2-D and 3-D through `--set grid.nz=N`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("x-faces" = true))]
pub struct BoundaryConfig {
    #[serde(default)]
    pub x_lo: Face,
    #[serde(default)]
    pub x_hi: Face,
    #[serde(default)]
    pub y_lo: Face,
    #[serde(default)]
    pub y_hi: Face,
    #[serde(default)]
    pub z_lo: Face,
    #[serde(default)]
    pub z_hi: Face,
}

impl BoundaryConfig {
    /// Faces in axis order (z, y, x), each as (lo, hi).
    pub fn faces_zyx(&self) -> [(Face, Face); 3] {
        [(self.z_lo, self.z_hi), (self.y_lo, self.y_hi), (self.x_lo, self.x_hi)]
    }
}

/// A boundary condition on one face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Face {
    /// The condition; periodic must be set on both faces of an axis.
    pub kind: FaceKind,
    /// Dirichlet: the wall temperature; Neumann: the outward normal derivative dT/dn
    /// (0 = insulated).
    #[serde(default)]
    pub value: f64,
}

impl Default for Face {
    fn default() -> Self {
        Face { kind: FaceKind::Neumann, value: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaceKind {
    Dirichlet,
    Neumann,
    Periodic,
}

/// `[heat.initial]`: background + shapes + optional sine mode + optional noise.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitialConfig {
    /// Uniform initial temperature.
    #[serde(default)]
    pub background: f64,
    /// Shapes applied in order over the background (`[[heat.initial.shapes]]`).
    #[serde(default)]
    pub shapes: Vec<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sine: Option<Sine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Noise>,
}

/// One shape of `[[heat.initial.shapes]]`, applied in order over the background.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// Sets `value` inside a disc (2-D) or sphere (3-D).
    Disc {
        /// Centre (x, y[, z]).
        center: Vec<f64>,
        /// Radius.
        #[schemars(extend("exclusiveMinimum" = 0))]
        radius: f64,
        /// Temperature inside.
        value: f64,
    },
    /// Same as disc; reads better in 3-D.
    Sphere {
        /// Centre (x, y[, z]).
        center: Vec<f64>,
        /// Radius.
        #[schemars(extend("exclusiveMinimum" = 0))]
        radius: f64,
        /// Temperature inside.
        value: f64,
    },
    /// Sets `value` inside the axis-aligned box lo..hi (lo <= hi along every axis).
    Box {
        /// Low corner (x, y[, z]).
        lo: Vec<f64>,
        /// High corner (x, y[, z]).
        hi: Vec<f64>,
        /// Temperature inside.
        value: f64,
    },
    /// Adds amplitude * exp(-|x - center|^2 / (2 sigma^2)).
    Gaussian {
        /// Centre (x, y[, z]).
        center: Vec<f64>,
        /// Width.
        #[schemars(extend("exclusiveMinimum" = 0))]
        sigma: f64,
        /// Height.
        amplitude: f64,
    },
}

/// `[heat.initial.sine]`: adds amplitude * prod sin(k pi x / L); the diagnostic l2_error compares
/// against the analytic solution where it holds ([`sine_not_exact`]).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sine {
    /// Adds amplitude * prod sin(k pi x / L). Alone (no shapes, no noise), with every face of
    /// the grid's axes Dirichlet at `heat.initial.background` or periodic, it is the exact
    /// solution's mode (decaying as exp(-alpha pi^2 sum (k/L)^2 t)) and the diagnostics report
    /// `l2_error` against it; otherwise they leave l2_error out and the run and `simrun check`
    /// warn why.
    #[serde(default = "one")]
    pub amplitude: f64,
    /// Integer wave numbers (kx, ky[, kz]); along a periodic axis l2_error needs an even k (the
    /// mode then has the domain's period).
    pub k: Vec<u32>,
}

/// `[heat.initial.noise]`: uniform noise in [-amplitude, amplitude], keyed by global cell index.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// Adds uniform noise in [-amplitude, amplitude], keyed by the global cell index (the same on
    /// any split).
    #[schemars(range(min = 0))]
    pub amplitude: f64,
    /// Noise seed.
    #[serde(default)]
    pub seed: u64,
}

fn one() -> f64 {
    1.0
}

/// Why the initial condition is not the sine mode whose analytic solution the diagnostic
/// `l2_error` compares against; None where it is (and where there is no sine mode). The mode
/// background + a prod sin(k pi x / L) solves the heat equation with its walls where the sines
/// vanish (x = 0 and x = L): exact with both faces of an axis Dirichlet at the background value,
/// or periodic where sin(k pi x / L) has period L (k even); a Neumann face, or a Dirichlet wall at
/// another value, drives the field away from it.
pub fn sine_not_exact(h: &HeatConfig, dims: usize) -> Option<String> {
    let ic = &h.initial;
    ic.sine.as_ref()?;
    if !ic.shapes.is_empty() || ic.noise.is_some() {
        let what = if ic.shapes.is_empty() { "heat.initial.noise" } else { "heat.initial.shapes" };
        return Some(format!("the initial condition is not a pure sine mode ({what} is given)"));
    }
    let sine = ic.sine.as_ref()?;
    let b = &h.boundary;
    let axes = [("x", (b.x_lo, b.x_hi)), ("y", (b.y_lo, b.y_hi)), ("z", (b.z_lo, b.z_hi))];
    for (i, (axis, (lo, hi))) in axes.into_iter().enumerate().take(dims) {
        for (side, face) in [("lo", lo), ("hi", hi)] {
            let key = format!("heat.boundary.{axis}_{side}");
            match face.kind {
                FaceKind::Dirichlet if face.value == ic.background => {}
                FaceKind::Dirichlet => {
                    return Some(format!(
                        "`{key}` is a Dirichlet wall at {}, not at heat.initial.background = {}",
                        face.value, ic.background
                    ))
                }
                FaceKind::Neumann => return Some(format!("`{key}` is a Neumann face")),
                FaceKind::Periodic => {
                    let k = sine.k.get(i).copied().unwrap_or(0);
                    if k % 2 == 1 {
                        return Some(format!(
                            "`{key}` is periodic and the mode's k along {axis} is odd ({k}): not periodic over the domain"
                        ));
                    }
                }
            }
        }
    }
    None
}

/// The heat model's checks beyond the declared ranges.
pub fn validate(cfg: &Config, _given: &Given) -> Result<()> {
    let h = cfg.section::<HeatConfig>();
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
    }
    for (i, s) in h.initial.shapes.iter().enumerate() {
        let key = format!("heat.initial.shapes[{i}]");
        let points: Vec<(&str, &Vec<f64>)> = match s {
            Shape::Disc { center, .. } | Shape::Sphere { center, .. } | Shape::Gaussian { center, .. } => {
                vec![("center", center)]
            }
            Shape::Box { lo, hi, .. } => vec![("lo", lo), ("hi", hi)],
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
        // A box whose low corner is above its high one along an axis holds no point: it would
        // set nothing, silently.
        if let Shape::Box { lo, hi, .. } = s {
            if let Some(a) = (0..dims).find(|&a| lo[a] > hi[a]) {
                let axis = ["x", "y", "z"][a];
                return Err(Error::config(format!(
                    "key `{key}.lo`: its {axis} ({}) is above `{key}.hi`'s ({}): the box holds no point; give lo <= hi along every axis",
                    lo[a], hi[a]
                )));
            }
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
    let grid = Grid::from_config(&cfg.grid);
    let dt_max = super::max_stable_dt(&grid, h.alpha);
    if let Some(dt) = cfg.time.dt {
        if dt > dt_max {
            return Err(Error::config(format!(
                "key `time.dt` = {dt} is unstable for this grid and alpha: the maximum stable dt is {dt_max:.6e}"
            )));
        }
    }
    Ok(())
}
