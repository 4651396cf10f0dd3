//! The typed configuration: one TOML file, every key a documented field of a serde struct.
//!
//! Unknown keys are errors; `--set a.b=value` overrides any key before the file is typed; every
//! error is one line naming the file and the key. The key reference lives in [`explain`] and is
//! printed by `simrun check --explain` (a test keeps it complete).

pub mod explain;
mod load;
mod navier_stokes;
mod validate;

pub use load::{apply_override, load, load_str};
pub use navier_stokes::{MultigridConfig, NavierStokesConfig, NsBoundary, NsFace, NsFaceKind, NsInitial};

use serde::{Deserialize, Serialize};

/// Which physics to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Heat,
    Weather,
    NavierStokes,
}

impl ModelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Heat => "heat",
            ModelKind::Weather => "weather",
            ModelKind::NavierStokes => "navier_stokes",
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub model: ModelKind,
    pub grid: GridConfig,
    #[serde(default)]
    pub time: TimeConfig,
    #[serde(default)]
    pub parallel: ParallelConfig,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub checkpoint: CheckpointConfig,
    #[serde(default)]
    pub heat: HeatConfig,
    #[serde(default)]
    pub weather: WeatherConfig,
    #[serde(default)]
    pub navier_stokes: NavierStokesConfig,
}

/// `[checkpoint]`: asynchronous, crash-safe checkpoints written by the I/O thread.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// A checkpoint every this many steps; 0 = off.
    #[serde(default)]
    pub every_steps: u64,
    /// A checkpoint every this much simulated time; 0 = off.
    #[serde(default)]
    pub every_time: f64,
    /// A checkpoint every this many wall-clock seconds (rank 0's clock); 0 = off.
    #[serde(default)]
    pub every_wall: f64,
    /// Keep the last this many committed checkpoints; older ones are removed.
    #[serde(default = "default_keep")]
    pub keep: usize,
    /// Checkpoints that may wait in the queue to the I/O thread.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// When the queue is full: "wait" (timed, reported as io_wait) or "skip" this checkpoint.
    #[serde(default = "default_on_full")]
    pub on_full: OnFull,
    /// false = the compute thread waits for each checkpoint to be written (for comparison).
    #[serde(default = "yes")]
    pub asynchronous: bool,
    /// Deflate level 1-9 for checkpoint data; 0 = off.
    #[serde(default)]
    pub compression: u8,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            every_steps: 0,
            every_time: 0.0,
            every_wall: 0.0,
            keep: default_keep(),
            queue: default_queue(),
            on_full: default_on_full(),
            asynchronous: true,
            compression: 0,
        }
    }
}

impl CheckpointConfig {
    /// Is any checkpoint schedule set?
    pub fn enabled(&self) -> bool {
        self.every_steps > 0 || self.every_time > 0.0 || self.every_wall > 0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFull {
    Wait,
    Skip,
}

/// `[grid]`: the global grid. Cell-centred; the domain is [0, lx] x [0, ly] (x [0, lz]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    pub nx: usize,
    pub ny: usize,
    /// Absent for a 2-D problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nz: Option<usize>,
    #[serde(default = "one")]
    pub lx: f64,
    #[serde(default = "one")]
    pub ly: f64,
    #[serde(default = "one")]
    pub lz: f64,
}

/// `[time]`: how long and with which step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeConfig {
    /// Number of steps (give `steps` or `end_time`, not both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// Simulated end time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    /// A fixed time step; checked against the stability limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dt: Option<f64>,
    /// Fraction of the maximum stable dt used when `dt` is not given.
    #[serde(default = "default_cfl")]
    pub cfl: f64,
    /// Wall-clock budget in seconds: before it runs out, write a final checkpoint and stop
    /// (exit code 75), as for SIGTERM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_limit: Option<f64>,
}

impl Default for TimeConfig {
    fn default() -> Self {
        TimeConfig { steps: None, end_time: None, dt: None, cfl: default_cfl(), wall_limit: None }
    }
}

/// `[parallel]`: how the work is spread.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParallelConfig {
    /// rayon threads per process; 0 = all cores the process may use.
    #[serde(default)]
    pub threads: usize,
    /// MPI process grid (px, py[, pz]); absent = chosen automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Vec<usize>>,
    /// Steps fused into one sweep over memory (temporal blocking; heat 2-D); 0 = automatic,
    /// 1 = one step per sweep. The same bits for any value.
    #[serde(default)]
    pub time_block: usize,
}

/// `[output]`: where and how often results are written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    #[serde(default = "default_dir")]
    pub dir: String,
    /// Diagnostics (and the NaN/Inf check) every this many steps; 0 = only at the start and end.
    #[serde(default = "default_diag_every")]
    pub diagnostics_every: u64,
    /// A PNG image every this many steps; 0 = only the final one.
    #[serde(default)]
    pub image_every: u64,
    /// Write PNG images at all.
    #[serde(default = "yes")]
    pub images: bool,
    /// Progress display: "auto" (a bar on a terminal, log lines otherwise), "bar", "log" or "off".
    #[serde(default = "default_progress")]
    pub progress: Progress,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: default_dir(),
            diagnostics_every: default_diag_every(),
            image_every: 0,
            images: true,
            progress: default_progress(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    Auto,
    Bar,
    Log,
    Off,
}

/// `[heat]`: the heat-diffusion model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeatConfig {
    /// Thermal diffusivity alpha in dT/dt = alpha * laplacian(T).
    #[serde(default = "one")]
    pub alpha: f64,
    #[serde(default)]
    pub boundary: BoundaryConfig,
    #[serde(default)]
    pub initial: InitialConfig,
}

impl Default for HeatConfig {
    fn default() -> Self {
        HeatConfig { alpha: 1.0, boundary: BoundaryConfig::default(), initial: InitialConfig::default() }
    }
}

/// `[weather]`: the miniWeather-class compressible atmosphere (see [`crate::models::weather`]).
/// The weather model's vertical z is the grid's y axis.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherConfig {
    /// The test case (initial state, background, forcing).
    #[serde(default = "default_weather_case")]
    pub case: WeatherCase,
    /// "none": the physically intended scheme; "miniweather": reproduce the upstream C code.
    #[serde(default = "default_compat")]
    pub compat: Compat,
    /// dt = cfl * min(dx, dz) / 450 m/s when `time.dt` is absent.
    #[serde(default = "default_weather_cfl")]
    pub cfl: f64,
    /// Hyperviscosity strength beta in [0, 1].
    #[serde(default = "default_hv_beta")]
    pub hv_beta: f64,
}

impl Default for WeatherConfig {
    fn default() -> Self {
        WeatherConfig {
            case: default_weather_case(),
            compat: default_compat(),
            cfl: default_weather_cfl(),
            hv_beta: default_hv_beta(),
        }
    }
}

/// The five test cases of miniWeather.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeatherCase {
    Thermal,
    Collision,
    GravityWaves,
    DensityCurrent,
    Injection,
}

/// Compatibility mode of the weather model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compat {
    None,
    Miniweather,
}

/// `[heat.boundary]`: one condition per face.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Face {
    pub kind: FaceKind,
    /// Dirichlet: the wall value. Neumann: the outward normal derivative dT/dn (0 = insulated).
    #[serde(default)]
    pub value: f64,
}

impl Default for Face {
    fn default() -> Self {
        Face { kind: FaceKind::Neumann, value: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceKind {
    Dirichlet,
    Neumann,
    Periodic,
}

/// `[heat.initial]`: background + shapes + optional sine mode + optional noise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialConfig {
    #[serde(default)]
    pub background: f64,
    #[serde(default)]
    pub shapes: Vec<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sine: Option<Sine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Noise>,
}

/// One shape of `[[heat.initial.shapes]]`, applied in order over the background.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// Sets `value` inside a disc (2-D) or sphere (3-D).
    Disc { center: Vec<f64>, radius: f64, value: f64 },
    /// Same as disc; reads better in 3-D.
    Sphere { center: Vec<f64>, radius: f64, value: f64 },
    /// Sets `value` inside the axis-aligned box lo..hi.
    Box { lo: Vec<f64>, hi: Vec<f64>, value: f64 },
    /// Adds amplitude * exp(-|x - center|^2 / (2 sigma^2)).
    Gaussian { center: Vec<f64>, sigma: f64, amplitude: f64 },
}

/// `[heat.initial.sine]`: adds amplitude * prod_d sin(k_d pi x_d / L_d); enables the L2 error
/// against the analytic solution (exact with Dirichlet walls at the background value).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sine {
    #[serde(default = "one")]
    pub amplitude: f64,
    /// Integer wave numbers (x, y[, z]).
    pub k: Vec<u32>,
}

/// `[heat.initial.noise]`: uniform noise in [-amplitude, amplitude], keyed by global cell index.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    pub amplitude: f64,
    #[serde(default)]
    pub seed: u64,
}

impl Config {
    /// Number of space dimensions (2 or 3).
    pub fn dims(&self) -> usize {
        if self.grid.nz.is_some() {
            3
        } else {
            2
        }
    }

    /// The part of the configuration that defines the state: model, grid and the model's own
    /// section. A checkpoint restarts only into a config with the same signature.
    pub fn state_signature(&self) -> String {
        let section = match self.model {
            ModelKind::Heat => toml::to_string(&self.heat),
            ModelKind::Weather => toml::to_string(&self.weather),
            ModelKind::NavierStokes => toml::to_string(&self.navier_stokes),
        };
        format!(
            "model = {:?}\n[grid]\n{}\n[{}]\n{}",
            self.model.name(),
            toml::to_string(&self.grid).unwrap_or_default(),
            self.model.name(),
            section.unwrap_or_default()
        )
    }

    /// The resolved configuration as TOML text (stored in outputs, printed by `check`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# could not serialise: {e}\n"))
    }
}

fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_cfl() -> f64 {
    0.9
}
fn default_weather_case() -> WeatherCase {
    WeatherCase::Thermal
}
fn default_compat() -> Compat {
    Compat::None
}
fn default_weather_cfl() -> f64 {
    1.5
}
fn default_hv_beta() -> f64 {
    0.05
}
fn default_dir() -> String {
    "out".to_string()
}
fn default_diag_every() -> u64 {
    100
}
fn default_keep() -> usize {
    3
}
fn default_queue() -> usize {
    2
}
fn default_on_full() -> OnFull {
    OnFull::Wait
}
fn default_progress() -> Progress {
    Progress::Auto
}
