//! `[navier_stokes]`: the 2-D incompressible Navier-Stokes model (see
//! [`crate::models::navier_stokes`]).

use serde::{Deserialize, Serialize};

/// `[navier_stokes]`: Reynolds number, initial condition, boundaries, forcing, pressure solver.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NavierStokesConfig {
    /// Reynolds number; the kinematic viscosity is nu = 1 / re (density 1, unit length/velocity).
    #[serde(default = "default_re")]
    pub re: f64,
    /// Initial velocity field.
    #[serde(default)]
    pub initial: NsInitial,
    /// Body force (fx, fy) per unit mass, e.g. a driving pressure gradient -dp/dx in a channel.
    #[serde(default = "zero2")]
    pub body_force: Vec<f64>,
    #[serde(default)]
    pub boundary: NsBoundary,
    #[serde(default)]
    pub multigrid: MultigridConfig,
}

impl Default for NavierStokesConfig {
    fn default() -> Self {
        NavierStokesConfig {
            re: default_re(),
            initial: NsInitial::Rest,
            body_force: zero2(),
            boundary: NsBoundary::default(),
            multigrid: MultigridConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NsInitial {
    /// u = v = 0.
    #[default]
    Rest,
    /// u = sin(kx x) cos(ky y), v = -(kx/ky) cos(kx x) sin(ky y), k = 2 pi / L (one period).
    TaylorGreen,
}

/// `[navier_stokes.boundary]`: one condition per face (2-D: x_lo, x_hi, y_lo, y_hi).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NsBoundary {
    #[serde(default)]
    pub x_lo: NsFace,
    #[serde(default)]
    pub x_hi: NsFace,
    #[serde(default)]
    pub y_lo: NsFace,
    #[serde(default)]
    pub y_hi: NsFace,
}

impl NsBoundary {
    /// Faces as [x_lo, x_hi, y_lo, y_hi] with their key names.
    pub fn named(&self) -> [(&'static str, NsFace); 4] {
        [("x_lo", self.x_lo), ("x_hi", self.x_hi), ("y_lo", self.y_lo), ("y_hi", self.y_hi)]
    }
}

/// One face: a no-slip wall (moving tangentially at `velocity`: a lid) or periodic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NsFace {
    pub kind: NsFaceKind,
    /// Wall only: tangential wall velocity (u on a y-face, v on an x-face); 0 = fixed wall.
    #[serde(default)]
    pub velocity: f64,
}

impl Default for NsFace {
    fn default() -> Self {
        NsFace { kind: NsFaceKind::Wall, velocity: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NsFaceKind {
    Wall,
    Periodic,
}

/// `[navier_stokes.multigrid]`: the pressure Poisson solver.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultigridConfig {
    /// Stop V-cycles when the max-norm residual (= the max divergence left after projection,
    /// in 1/time units) is at most this.
    #[serde(default = "default_tol")]
    pub tolerance: f64,
    /// At most this many V-cycles per solve (a solve that does not reach the tolerance goes on
    /// with its best iterate and is reported in the diagnostics).
    #[serde(default = "default_cycles")]
    pub max_cycles: u32,
    /// Red-black Gauss-Seidel sweeps before and after the coarse-grid correction.
    #[serde(default = "default_smooth")]
    pub smooth: u32,
}

impl Default for MultigridConfig {
    fn default() -> Self {
        MultigridConfig { tolerance: default_tol(), max_cycles: default_cycles(), smooth: default_smooth() }
    }
}

fn default_re() -> f64 {
    100.0
}
fn zero2() -> Vec<f64> {
    vec![0.0, 0.0]
}
fn default_tol() -> f64 {
    1e-8
}
fn default_cycles() -> u32 {
    30
}
fn default_smooth() -> u32 {
    3
}
