//! `[navier_stokes]`: the 2-D incompressible Navier-Stokes model's config section (types with
//! their docs and ranges) and its checks (see [`crate::models::navier_stokes`]).

use crate::config::{Config, Given};
use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[navier_stokes]`: Reynolds number, initial condition, boundaries, forcing, pressure solver.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NavierStokesConfig {
    /// Reynolds number; the kinematic viscosity is nu = 1 / re (density 1).
    #[serde(default = "default_re")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub re: f64,
    /// Initial velocity field.
    #[serde(default)]
    pub initial: NsInitial,
    /// Body force [fx, fy] per unit mass, e.g. a driving pressure gradient -dp/dx for a channel.
    #[serde(default = "zero2")]
    pub body_force: Vec<f64>,
    /// One condition per face.
    #[serde(default)]
    pub boundary: NsBoundary,
    /// The pressure Poisson solver.
    #[serde(default)]
    pub multigrid: MultigridConfig,
    /// Time integration of the viscous term: "explicit" (SSP-RK2 with advection; dt limited by
    /// advection and diffusion), "crank_nicolson" (implicit trapezoidal, second order) or
    /// "backward_euler" (first order); both implicit schemes limit dt by advection alone
    /// (see the module doc of `navier_stokes::viscous`).
    #[serde(default)]
    pub viscous: Viscous,
    /// Implicit viscous schemes: stop the red-black Gauss-Seidel sweeps of each Helmholtz solve
    /// when max |residual| <= this x max |right-hand side| (over u and v).
    #[serde(default = "default_viscous_tol")]
    #[schemars(extend("exclusiveMinimum" = 0), extend("exclusiveMaximum" = 1))]
    pub viscous_tolerance: f64,
    /// Go straight to the steady state by pseudo-time iterations instead of time steps (not
    /// time-accurate: `time` then counts pseudo-time; needs `time.steady_tolerance`; see the
    /// module doc of `navier_stokes::pseudo`). Absent: time-accurate steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_time: Option<PseudoTime>,
}

/// `[navier_stokes.pseudo_time]`: the pseudo-time iteration to the steady state.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PseudoTime {
    /// The pseudo step as a multiple of the explicit scheme's stable step: dtau = cfl /
    /// (|u|max/dx + |v|max/dy + (8/3) nu (1/dx^2 + 1/dy^2)). Not a stability limit (the
    /// correction is implicit): larger relaxes the velocity less and the pressure more; 20-100
    /// converge fastest on the lid-driven cavity at Re 100 and 1000.
    #[serde(default = "default_pseudo_cfl")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cfl: f64,
    /// Red-black Gauss-Seidel sweeps of the implicit correction per iteration.
    #[serde(default = "default_pseudo_sweeps")]
    #[schemars(range(min = 1))]
    pub sweeps: u32,
}

impl Default for PseudoTime {
    fn default() -> Self {
        PseudoTime { cfl: default_pseudo_cfl(), sweeps: default_pseudo_sweeps() }
    }
}

fn default_pseudo_cfl() -> f64 {
    48.0
}
fn default_pseudo_sweeps() -> u32 {
    8
}

/// `navier_stokes.viscous`: how the viscous term is integrated in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Viscous {
    /// Explicit, in the SSP-RK2 stages with advection.
    #[default]
    Explicit,
    /// Implicit trapezoidal (theta = 1/2): second order in time.
    CrankNicolson,
    /// Implicit Euler (theta = 1): first order in time, strongly damping.
    BackwardEuler,
}

impl Viscous {
    /// The implicit weight theta, None for explicit.
    pub fn theta(self) -> Option<f64> {
        match self {
            Viscous::Explicit => None,
            Viscous::CrankNicolson => Some(0.5),
            Viscous::BackwardEuler => Some(1.0),
        }
    }
}

impl Default for NavierStokesConfig {
    fn default() -> Self {
        NavierStokesConfig {
            re: default_re(),
            initial: NsInitial::Rest,
            body_force: zero2(),
            boundary: NsBoundary::default(),
            multigrid: MultigridConfig::default(),
            viscous: Viscous::Explicit,
            viscous_tolerance: default_viscous_tol(),
            pseudo_time: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NsInitial {
    /// u = v = 0.
    #[default]
    Rest,
    /// One period of the Taylor-Green vortex over the domain: u = sin(kx x) cos(ky y),
    /// v = -(kx/ky) cos(kx x) sin(ky y), k = 2 pi / L.
    TaylorGreen,
}

/// `[navier_stokes.boundary]`: one condition per face (2-D: x_lo, x_hi, y_lo, y_hi).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("x-faces" = true))]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NsFace {
    /// The condition; periodic must be set on both faces of an axis.
    pub kind: NsFaceKind,
    /// Wall only: tangential wall speed (u on y faces, v on x faces), e.g. 1.0 on y_hi for a lid;
    /// 0 = a fixed wall.
    #[serde(default)]
    pub velocity: f64,
}

impl Default for NsFace {
    fn default() -> Self {
        NsFace { kind: NsFaceKind::Wall, velocity: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NsFaceKind {
    /// No-slip wall.
    Wall,
    /// Periodic (both faces of an axis).
    Periodic,
}

/// Keys a configuration with `navier_stokes.pseudo_time` may not give (its step is the pseudo
/// step; no viscous scheme).
pub const PSEUDO_TIME_REFUSES: [&str; 4] =
    ["navier_stokes.viscous", "navier_stokes.viscous_tolerance", "time.dt", "time.cfl"];

/// `[navier_stokes.multigrid]`: the pressure Poisson solver.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultigridConfig {
    /// Stop V-cycles when max |residual| (= the max divergence left after projection, 1/time) is
    /// at most this.
    #[serde(default = "default_tol")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub tolerance: f64,
    /// At most this many V-cycles per pressure solve (a solve that does not reach the tolerance
    /// goes on with its best iterate, is reported in the diagnostics and warned about: the first
    /// such solve, and their count at the end of the run).
    #[serde(default = "default_cycles")]
    #[schemars(range(min = 1))]
    pub max_cycles: u32,
    /// Red-black Gauss-Seidel sweeps before and after each coarse-grid correction.
    #[serde(default = "default_smooth")]
    #[schemars(range(min = 1))]
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
fn default_viscous_tol() -> f64 {
    1e-8
}
fn default_cycles() -> u32 {
    30
}
fn default_smooth() -> u32 {
    3
}

/// The Navier-Stokes model's checks beyond the declared ranges.
pub fn validate(cfg: &Config, given: &Given) -> Result<()> {
    let ns = cfg.section::<NavierStokesConfig>();
    if cfg.dims() != 2 {
        return Err(Error::config("model `navier_stokes` is 2-D: remove key `grid.nz`"));
    }
    for (key, n) in [("grid.nx", cfg.grid.nx), ("grid.ny", cfg.grid.ny)] {
        if n < 2 {
            return Err(Error::config(format!("key `{key}` must be at least 2 for navier_stokes, got {n}")));
        }
    }
    if given.has("parallel.time_block") {
        return Err(Error::config(
            "key `parallel.time_block` is not used by the navier_stokes model (one step per sweep): remove it",
        ));
    }
    if given.has("parallel.sweep_trial") {
        return Err(Error::config(
            "key `parallel.sweep_trial` is not used by the navier_stokes model (no sweep plans to time): remove it",
        ));
    }
    if ns.body_force.len() != 2 {
        return Err(Error::config("key `navier_stokes.body_force` needs 2 numbers [fx, fy]"));
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
        if f.kind == NsFaceKind::Periodic && f.velocity != 0.0 {
            return Err(Error::config(format!(
                "key `navier_stokes.boundary.{name}.velocity` applies to walls only, but the face is periodic"
            )));
        }
    }
    for (key, x) in [("navier_stokes.viscous_tolerance", ns.viscous_tolerance), ("navier_stokes.re", ns.re)] {
        if !x.is_finite() {
            return Err(Error::config(format!("key `{key}` must be a finite number, got {x}")));
        }
    }
    if let Some(pt) = ns.pseudo_time {
        if cfg.time.steady_tolerance.is_none() {
            return Err(Error::config(
                "key `navier_stokes.pseudo_time` needs `time.steady_tolerance`: pseudo-time iterations run to the steady state (add the tolerance, or remove the section for time-accurate steps)",
            ));
        }
        if !pt.cfl.is_finite() {
            return Err(Error::config(format!("key `navier_stokes.pseudo_time.cfl` must be a finite number, got {}", pt.cfl)));
        }
        if let Some(key) = given.first_of(&PSEUDO_TIME_REFUSES) {
            return Err(Error::config(format!(
                "key `{key}` is not used with `navier_stokes.pseudo_time` (its pseudo step is `navier_stokes.pseudo_time.cfl` times the explicit stable step): remove it"
            )));
        }
    }
    if let Some(dt) = cfg.time.dt {
        let (_, dt_max) = super::plan_dt(cfg);
        if dt > dt_max {
            return Err(Error::config(format!(
                "key `time.dt` = {dt} is unstable for this grid, Reynolds number and speed scale: the maximum stable dt is {dt_max:.6e}"
            )));
        }
    }
    Ok(())
}
