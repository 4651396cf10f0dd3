//! The typed configuration: one TOML file, every key a documented field of a serde struct.
//!
//! This module holds the keys every model shares (`model`, `[grid]`, `[time]`, `[parallel]`,
//! `[output]`, `[checkpoint]`); each model's own section (`[heat]`, `[weather]`, ...) is a type in
//! its folder under `src/models/<model>/config.rs`, found through the model registry
//! ([`crate::models::MODELS`]). A config carries exactly one model section, of its own model;
//! the section of another model is an error.
//!
//! Unknown keys are errors; `--set a.b=value` overrides any key before the file is typed; every
//! error is one line naming the file and the key ([`load`]). Ranges are declared once on the
//! fields (schemars attributes) and serve both the checks ([`validate`]) and the key reference
//! printed by `simrun check --explain` and the README table ([`explain`]).

pub mod explain;
pub mod field_writer;
mod given;
mod load;
mod schema;
mod section;
mod validate;

pub use field_writer::{FieldWriterConfig, Precision};
pub use given::Given;
pub use load::{apply_override, load, load_str};
pub use schema::Row;
pub use section::{Section, SectionData, SectionType};

use crate::models::{self, ModelSpec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole configuration: the shared sections plus the model's own section.
#[derive(Debug, Clone)]
pub struct Config {
    /// The model's name (`model = "heat"`), as registered in [`crate::models::MODELS`].
    pub model: &'static str,
    pub grid: GridConfig,
    pub time: TimeConfig,
    pub parallel: ParallelConfig,
    pub output: OutputConfig,
    pub checkpoint: CheckpointConfig,
    /// The model's section (`[<model>]`), typed by the model: see [`Config::section`].
    section: Section,
}

/// The shared part of the file as it is typed and documented (the model section is typed by
/// the model itself).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Shared {
    /// Physics to run; the section of the same name (e.g. `[heat]`) configures it, a section of
    /// another model is refused.
    pub model: String,
    pub grid: GridConfig,
    #[serde(default)]
    pub time: TimeConfig,
    #[serde(default)]
    pub parallel: ParallelConfig,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub checkpoint: CheckpointConfig,
}

/// `[grid]`: the global grid. Cell-centred; the domain is [0, lx] x [0, ly] (x [0, lz]).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    /// Cells along x.
    #[schemars(range(min = 1))]
    pub nx: usize,
    /// Cells along y.
    #[schemars(range(min = 1))]
    pub ny: usize,
    /// Cells along z; present = a 3-D grid, absent = 2-D.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub nz: Option<usize>,
    /// Domain length along x.
    #[serde(default = "one")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub lx: f64,
    /// Domain length along y.
    #[serde(default = "one")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub ly: f64,
    /// Domain length along z (3-D grids; unused in 2-D, so `--set grid.nz=N` makes a config 3-D).
    #[serde(default = "one")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub lz: f64,
}

/// `[time]`: how long and with which step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeConfig {
    /// Number of steps (give `steps` or `end_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// Simulated end time (give `steps` or `end_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub end_time: Option<f64>,
    /// Time step, refused above the model's stability limit (`simrun check` prints it); absent =
    /// `cfl` x that limit. Give `dt` or a cfl, not both. Heat with `end_time` takes the largest
    /// step not above it whose whole number of equal steps reaches `end_time` (`simrun check`
    /// prints the dt used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub dt: Option<f64>,
    /// Fraction of the maximum stable dt used when `dt` is absent (heat, navier_stokes; weather
    /// has `weather.cfl`).
    #[serde(default = "default_cfl")]
    #[schemars(extend("exclusiveMinimum" = 0), range(max = 1))]
    pub cfl: f64,
    /// Wall-clock budget in seconds, or the word "auto" (the batch job's end time: Slurm's
    /// SLURM_JOB_END_TIME or squeue; ignored with a note outside a Slurm job): before it runs out
    /// (with room for two more model calls and the final checkpoint, as measured), write a final
    /// checkpoint and stop with exit code 75, as for SIGTERM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_limit: Option<WallLimit>,
    /// Shorten the step before a timed field output (`output.fields[].every_time`; not
    /// checkpoints, which never change the steps) so that it lands exactly on the output time
    /// k x T; absent = true, except for weather (its steps are the scheme's: a shortened step
    /// changes the solution, see the weather model; outputs then come at the first step at or
    /// after each output time, with that step's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub align_outputs: Option<bool>,
    /// Stop at steady state: once the model's largest change per unit time of the state (for
    /// navier_stokes max |u^{n+1} - u^n| / dt over the face velocities, the `max_dudt`
    /// diagnostic; with `navier_stokes.pseudo_time` the momentum residual max |R(u, p)|, the
    /// du/dt the time-accurate equations would have at that state) falls below this, the run ends there as at its end (final outputs and
    /// checkpoint written) and the report records `steady_state`; `end_time`/`steps` stay the
    /// upper bound. A restart of a run that stopped there, with the same tolerance, has nothing
    /// to do (a lower one goes on). Only models with a steady-state measure (navier_stokes)
    /// accept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub steady_tolerance: Option<f64>,
}

impl Default for TimeConfig {
    fn default() -> Self {
        TimeConfig {
            steps: None,
            end_time: None,
            dt: None,
            cfl: default_cfl(),
            wall_limit: None,
            align_outputs: None,
            steady_tolerance: None,
        }
    }
}

/// `time.wall_limit`: seconds, or "auto" (the batch job's end time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WallLimit {
    Seconds(f64),
    Auto,
}

impl Serialize for WallLimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            WallLimit::Seconds(x) => s.serialize_f64(*x),
            WallLimit::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for WallLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = WallLimit;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of seconds > 0 or \"auto\"")
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<WallLimit, E> {
                Ok(WallLimit::Seconds(x))
            }
            fn visit_i64<E: serde::de::Error>(self, x: i64) -> Result<WallLimit, E> {
                Ok(WallLimit::Seconds(x as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> Result<WallLimit, E> {
                Ok(WallLimit::Seconds(x as f64))
            }
            fn visit_str<E: serde::de::Error>(self, x: &str) -> Result<WallLimit, E> {
                match x {
                    "auto" => Ok(WallLimit::Auto),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(x), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for WallLimit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WallLimit".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // The range applies to the number; the key reference's type reads "number > 0", and the
        // field's docs say "or \"auto\"".
        schemars::json_schema!({ "type": "number", "exclusiveMinimum": 0 })
    }
}

/// The most rayon threads per process a config may ask for.
pub const MAX_THREADS: usize = 4096;

/// `[parallel]`: how the work is spread.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelConfig {
    /// threads per process (a rayon pool; the weather and Navier-Stokes steps' own thread team); 0 = all cores the process may use.
    #[serde(default)]
    #[schemars(range(max = MAX_THREADS))]
    pub threads: usize,
    /// MPI process grid [px, py(, pz)], each at least 1; must multiply to the number of ranks.
    /// Absent = chosen automatically to minimise the halo surface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Vec<usize>>,
    /// Steps fused into one sweep over memory (temporal blocking; model heat only, 2-D and 3-D;
    /// the other models take one step per sweep); 0 = automatic (as many as fit half the L2
    /// cache, 2-8, the same on every rank; where that differs from what rings of four times the
    /// L2 allow, the faster of the two, timed in the run's first sweeps), 1 = off; the same bits
    /// for any value.
    #[serde(default)]
    #[schemars(range(max = crate::models::heat::fused::MAX_STEPS))]
    pub time_block: usize,
    /// Heat: time the two sweep plans (ring buffers in half the L2 cache or in four times it) in
    /// the run's first sweeps and keep the faster (the report's `sweep_trial`); false = always the
    /// first (half the L2), e.g. for scaling studies that must run one code path on every split.
    /// The bits are the same either way.
    #[serde(default = "yes")]
    pub sweep_trial: bool,
}

impl Default for ParallelConfig {
    fn default() -> Self {
        ParallelConfig { threads: 0, layout: None, time_block: 0, sweep_trial: true }
    }
}

/// `[output]`: where and how often results are written.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Directory for final.h5, final.png, images/ and checkpoints/.
    #[serde(default = "default_dir")]
    pub dir: String,
    /// Diagnostics, the NaN/Inf check and a progress line every N steps; 0 = at the start and
    /// the end only.
    #[serde(default = "default_diag_every")]
    pub diagnostics_every: u64,
    /// A PNG image to images/ every N steps; 0 = the final image only.
    #[serde(default)]
    pub image_every: u64,
    /// Write PNG images at all.
    #[serde(default = "yes")]
    pub images: bool,
    /// The field images show: any of the model's view fields (heat: temperature; weather: dens,
    /// uwnd, wwnd, theta; navier_stokes: u, v, p, vorticity, speed, u_face, v_face). Absent = the
    /// model's default: temperature, theta, speed (the vorticity's range is set by the lid
    /// corners' singularity, which leaves a linear colour scale flat elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_field: Option<String>,
    /// A fixed colour range [lo, hi] (lo < hi) for every image, so frames compare and animate;
    /// values outside take the end colours. lo < 0 < hi: the diverging red-blue map with white
    /// at 0. Absent = each image's own range (diverging over [-m, m] when the field has both
    /// signs, else inferno over [min, max]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_range: Option<[f64; 2]>,
    /// Progress display.
    #[serde(default = "default_progress")]
    pub progress: Progress,
    /// Under MPI, write final.h5 as one self-contained file (every field gathered on rank 0) when
    /// all its fields together take at most this many MiB; larger outputs (and 0, the default)
    /// are written like a checkpoint: each group's writer puts its blocks in final/ and final.h5
    /// holds the global arrays as virtual datasets over them (keep the two together). One
    /// process always writes one self-contained final.h5.
    #[serde(default)]
    pub single_file_max_mib: u64,
    /// Field output writers (`[[output.fields]]`), each a series of files on its own schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldWriterConfig>,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: default_dir(),
            diagnostics_every: default_diag_every(),
            image_every: 0,
            images: true,
            image_field: None,
            image_range: None,
            progress: default_progress(),
            single_file_max_mib: 0,
            fields: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// A bar on a terminal, log lines otherwise.
    Auto,
    /// Always the bar.
    Bar,
    /// Plain log lines.
    Log,
    /// Nothing.
    Off,
}

/// The most checkpoints that may wait for the I/O thread.
pub const MAX_QUEUE: usize = 64;

/// `[checkpoint]`: asynchronous, crash-safe checkpoints written by the I/O thread.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// A checkpoint every N steps; 0 = off.
    #[serde(default)]
    pub every_steps: u64,
    /// A checkpoint every T of simulated time; 0 = off.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub every_time: f64,
    /// A checkpoint every W wall-clock seconds (rank 0's clock); 0 = off.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub every_wall: f64,
    /// Keep the last K committed checkpoints, remove older ones.
    #[serde(default = "default_keep")]
    #[schemars(range(min = 1))]
    pub keep: usize,
    /// Checkpoints that may wait for the I/O thread (each holds a copy of the state, or for heat
    /// the state's own buffer while a spare takes its place).
    #[serde(default = "default_queue")]
    #[schemars(range(min = 1, max = MAX_QUEUE))]
    pub queue: usize,
    /// What to do when the queue is full.
    #[serde(default = "default_on_full")]
    pub on_full: OnFull,
    /// false = compute waits for every write (for comparison only).
    #[serde(default = "yes")]
    pub asynchronous: bool,
    /// Deflate level for checkpoint data; 0 = off.
    #[serde(default)]
    #[schemars(range(max = 9))]
    pub compression: u8,
    /// Ranks whose blocks share one data file per checkpoint: consecutive ranks of a node send
    /// their blocks to the first of them, whose I/O thread writes them all (N-to-M files, fewer
    /// files for the file system); 0 = all the ranks of a node (from MPI's shared-memory split),
    /// 1 = a file per rank.
    #[serde(default)]
    pub ranks_per_file: usize,
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
            ranks_per_file: 0,
        }
    }
}

impl CheckpointConfig {
    /// Is any checkpoint schedule set?
    pub fn enabled(&self) -> bool {
        self.every_steps > 0 || self.every_time > 0.0 || self.every_wall > 0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFull {
    /// Wait (timed, reported as io_wait).
    Wait,
    /// Skip the checkpoint with a warning.
    Skip,
}

impl Config {
    /// The registered model this config runs.
    pub fn spec(&self) -> &'static dyn ModelSpec {
        models::find(self.model).unwrap_or_else(|| panic!("model `{}` is not registered", self.model))
    }

    /// The model's section, as the model's own type `T` (e.g. `HeatConfig`). A model asks only
    /// for its own section; asking for another model's is a bug and panics.
    pub fn section<T: 'static>(&self) -> &T {
        self.section.as_any().downcast_ref::<T>().unwrap_or_else(|| {
            panic!("config of model `{}` has no section of type {}", self.model, std::any::type_name::<T>())
        })
    }

    /// Number of space dimensions (2 or 3).
    pub fn dims(&self) -> usize {
        if self.grid.nz.is_some() {
            3
        } else {
            2
        }
    }

    /// The part of the configuration that defines the state: model, grid and the model's own
    /// section. A checkpoint restarts only into a config with the same signature (the text is
    /// stored in checkpoints: keep its form).
    pub fn state_signature(&self) -> String {
        format!(
            "model = {:?}\n[grid]\n{}\n[{}]\n{}",
            self.model,
            toml::to_string(&self.grid).unwrap_or_default(),
            self.model,
            self.section.to_toml(false).unwrap_or_default()
        )
    }

    /// The resolved configuration as TOML text (stored in outputs, printed by `check`): the
    /// shared sections, then the model's.
    pub fn to_toml(&self) -> String {
        let shared = SharedRef {
            model: self.model,
            grid: &self.grid,
            time: TimeOut(&self.time),
            parallel: &self.parallel,
            output: &self.output,
            checkpoint: &self.checkpoint,
        };
        let text = toml::to_string_pretty(&shared).and_then(|s| {
            let section = self.section.to_toml_under(self.model)?;
            Ok(format!("{s}\n{section}"))
        });
        match text {
            Ok(t) => without_keys(&t, &self.spec().unused_keys(self)),
            Err(e) => format!("# could not serialise: {e}\n"),
        }
    }
}

/// `text` (TOML as [`Config::to_toml`] writes it: one line per scalar key) without the lines of
/// the dotted `keys` (`section.key`).
fn without_keys(text: &str, keys: &[&str]) -> String {
    let mut section = String::new();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && !t.starts_with("[[") {
            section = t.trim_matches(|c| c == '[' || c == ']').to_string();
        }
        let key = t.split('=').next().unwrap_or("").trim();
        if !key.is_empty() && t.contains('=') && keys.contains(&format!("{section}.{key}").as_str()) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// [`Shared`] by reference, for serialising a [`Config`].
#[derive(Serialize)]
struct SharedRef<'a> {
    model: &'a str,
    grid: &'a GridConfig,
    time: TimeOut<'a>,
    parallel: &'a ParallelConfig,
    output: &'a OutputConfig,
    checkpoint: &'a CheckpointConfig,
}

/// [`TimeConfig`] as the resolved configuration shows it: without `cfl` when `dt` is given (the
/// cfl is not used then, and a file giving both is refused), so the resolved configuration in
/// reports, final.h5 and checkpoints runs as it is.
pub(super) struct TimeOut<'a>(&'a TimeConfig);

impl Serialize for TimeOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = toml::Value::try_from(self.0).map_err(serde::ser::Error::custom)?;
        if let Some(t) = v.as_table_mut().filter(|t| t.contains_key("dt")) {
            t.remove("cfl");
        }
        v.serialize(s)
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
