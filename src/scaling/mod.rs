//! Scaling studies: `simrun scale` and `simrun compare`.
//!
//! `simrun scale CONFIG --ranks 1,2,4 --threads 1,2 --mode strong|weak --repeat 3 --out DIR`
//! launches every ranks x threads combination `repeat` times, each as a separate process of the
//! current executable with `--report FILE`, `--set parallel.threads=T` and its own output
//! directory. More than one rank goes through the launcher template (default
//! `mpirun --oversubscribe --bind-to none -n {ranks}`; `srun --mpi=pmix -n {ranks} -c {threads}`
//! on a cluster); one rank runs the binary directly unless `--launch-one` asks for the launcher
//! there too. A launcher program that is not found is a one-line
//! error (exit 2) before anything runs; a run that fails is recorded with the tail of its stderr
//! and the study goes on (exit 1 at the end, after every output is written). The repeats are interleaved (every configuration once, then again),
//! so a burst of load on a shared machine spreads over configurations instead of spoiling one.
//!
//! Per configuration the study records the time per step (the time loop only, from the report's
//! `cell_updates_per_second`: `cells / cell_updates_per_second`) as median, min and max over the
//! repeats, cell updates per second, every phase in the reports (max and mean over ranks), and the
//! speedup and parallel efficiency against the baseline (the 1 x 1 run; if it has no time, the
//! timed configuration with the fewest cores, assumed to scale perfectly: [`basis`] says so in
//! words). With `p = ranks x threads` cores and `T` the median time per step:
//! - strong (fixed grid): speedup `S = T_base p_base / T_p` (`T_1 / T_p` against 1 x 1),
//!   efficiency `S / p`; Amdahl's serial fraction is fitted by least squares ([`fit`]).
//! - weak (grid grown with p, see [`weak`]): efficiency `T_base / T_p`, scaled speedup `p x
//!   efficiency`; Gustafson's serial fraction is fitted.
//!
//! What a study records of where and how it ran ([`StudyMeta`]): the build ([`BuildInfo`]:
//! version, git commit, profile, features, rustc, MPI and HDF5 libraries), the machine
//! ([`Host`]: CPU model, cores, memory), a STREAM-style copy bandwidth measured before the first
//! run ([`bandwidth`]), the load average before and after, and the resolved configuration (after
//! `--set`); each run records its own resolved configuration (with its output directory and
//! thread count), checked against the one the run reports. Each configuration's throughput is set
//! against the bandwidth bound of the model's sweep (bytes per cell update). Fits are flagged when
//! their serial fraction is outside [0, 1] or their residual is poor, oversubscribed
//! configurations are left out of them, and the study warns when the host was loaded.
//!
//! Outputs in DIR ([`write`], [`plot`]): `study.csv` (every run), `summary.csv` (per
//! configuration), `study.json` (both, the fits and how the study was run), `summary.md`, and
//! `speedup`, `efficiency`, `phases` plots as PNG and SVG, and `config.toml` (the configuration
//! as given); each file written by temporary name and rename, all of them again after every run
//! (status "partial" while runs remain, so a study killed outright leaves the runs it finished).
//! SIGTERM, SIGINT, SIGUSR1 or SIGUSR2 stop the study: the run under way is stopped
//! ([`child`]) and marked interrupted, the study files are written with status "interrupted",
//! and `simrun scale` exits 75. `runs/rR_tT_K/` holds each run's report and stderr, and its output directory `out/`
//! when the run failed or with `--keep-outputs`.
//!
//! [`compare`] sets any number of study directories side by side.

pub mod bandwidth;
pub mod basis;
mod canvas;
mod child;
pub mod compare;
mod compare_out;
mod compare_text;
pub mod differs;
pub mod fit;
mod overlay;
pub mod plot;
mod runner;
mod study;
pub mod summary;
pub mod weak;
pub mod write;

pub use runner::Launcher;
pub use study::{run_study, scale_command};

pub use bandwidth::Bandwidth;

use crate::build_info::BuildInfo;
use crate::host::Host;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Strong scaling (fixed global grid) or weak scaling (grid grows with the cores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Strong,
    Weak,
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Strong => "strong",
            Mode::Weak => "weak",
        }
    }
}

/// What the user asked for on the command line.
#[derive(Debug, Clone)]
pub struct StudySpec {
    pub config: PathBuf,
    pub ranks: Vec<usize>,
    pub threads: Vec<usize>,
    pub mode: Mode,
    pub repeat: usize,
    pub out: PathBuf,
    /// The launcher template for more than one rank; `{ranks}` is replaced by the rank count.
    pub launcher: String,
    /// Start 1-rank configurations through the launcher too.
    pub launch_one: bool,
    /// `--set key=value` overrides applied to every run.
    pub set: Vec<String>,
    /// Keep each successful run's output directory (final.h5, images); by default it is removed
    /// once the report is read, since a study of big grids would otherwise fill the disk.
    pub keep_outputs: bool,
    /// How long a run has to stop after SIGUSR1 when the study is stopped, before SIGTERM.
    pub stop_grace: std::time::Duration,
}

/// One finished (or failed) run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub ranks: usize,
    pub threads: usize,
    /// Repeat index, 1-based.
    pub repeat: usize,
    pub ok: bool,
    /// One line: why the run failed, with the tail of its stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub grid: Vec<usize>,
    pub cells: u64,
    pub steps: u64,
    /// Seconds per step of the time loop.
    #[serde(deserialize_with = "nan_if_null")]
    pub time_per_step: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub cell_updates_per_second: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub wall_seconds: f64,
    /// Seconds per phase on rank 0.
    pub phases: BTreeMap<String, f64>,
    /// Seconds per phase, max over ranks.
    pub phases_max: BTreeMap<String, f64>,
    /// Seconds per phase, mean over ranks.
    pub phases_mean: BTreeMap<String, f64>,
    /// The run's report file, relative to the study directory.
    pub report: String,
    /// The configuration this run was given, resolved (after every `--set`, including its output
    /// directory and thread count), as TOML.
    #[serde(default)]
    pub config: String,
    /// Steps per sweep over memory the run reported (temporal blocking); 0 if unknown.
    #[serde(default)]
    pub steps_per_sweep: usize,
    /// The study was stopped (a signal) while this run went on: the run was stopped too and
    /// counts neither as a result nor as a failure (`ok` is false, `error` says how it ended).
    #[serde(default)]
    pub interrupted: bool,
}

impl RunRecord {
    pub fn cores(&self) -> usize {
        self.ranks * self.threads
    }
}

/// A ranks x threads configuration summarised over its repeats.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub ranks: usize,
    pub threads: usize,
    /// ranks x threads.
    pub cores: usize,
    pub grid: Vec<usize>,
    pub cells: u64,
    pub runs_ok: usize,
    pub runs_failed: usize,
    /// Runs stopped with the study (see [`RunRecord::interrupted`]).
    #[serde(default)]
    pub runs_interrupted: usize,
    /// Median, min and max over the successful repeats (seconds per step); NaN if none succeeded.
    #[serde(deserialize_with = "nan_if_null")]
    pub time_per_step_median: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub time_per_step_min: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub time_per_step_max: f64,
    /// cells / median time per step.
    #[serde(deserialize_with = "nan_if_null")]
    pub cell_updates_per_second: f64,
    /// Strong: T_base p_base / T; weak: p x efficiency. None without a baseline time.
    pub speedup: Option<f64>,
    /// Strong: speedup / p; weak: T_base / T.
    pub efficiency: Option<f64>,
    /// Median over repeats of each phase's seconds (max over ranks).
    pub phases_max: BTreeMap<String, f64>,
    /// Median over repeats of each phase's seconds (mean over ranks).
    pub phases_mean: BTreeMap<String, f64>,
    /// Steps of the runs (0 if none succeeded).
    #[serde(default)]
    pub steps: u64,
    /// Steps per sweep the runs reported (the first successful run's; 0 if unknown).
    #[serde(default)]
    pub steps_per_sweep: usize,
    /// The bandwidth bound (cell updates per second) for this many cores, and the median
    /// throughput as a percentage of it (see [`bandwidth`]); None where the model has no bound or
    /// no bandwidth was measured.
    #[serde(default)]
    pub bound_cell_updates_per_second: Option<f64>,
    #[serde(default)]
    pub percent_of_bound: Option<f64>,
}

impl ConfigSummary {
    /// "RxT", e.g. "2x1": ranks x threads.
    pub fn label(&self) -> String {
        format!("{}x{}", self.ranks, self.threads)
    }
}

/// A least-squares fit of a scaling law.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fit {
    /// Which points: "all", "threads only (1 rank)", "ranks only (1 thread)".
    pub points: String,
    /// "amdahl" (strong) or "gustafson" (weak).
    pub law: String,
    /// The fitted serial fraction.
    #[serde(deserialize_with = "nan_if_null")]
    pub serial_fraction: f64,
    /// Root-mean-square of measured minus fitted speedup over the points used.
    #[serde(deserialize_with = "nan_if_null")]
    pub rms_residual: f64,
    pub n_points: usize,
    /// False when the fraction is outside [0, 1] or the residual is poor: the law does not
    /// describe these measurements, and the fraction means nothing.
    #[serde(default = "yes")]
    pub meaningful: bool,
    /// Why not, or what to keep in mind (e.g. oversubscribed configurations left out).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// JSON has no NaN: serde_json writes it as null; read null back as NaN (a configuration whose
/// runs all failed has no time).
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Whether a study holds every run it planned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyStatus {
    /// Every planned run ran (studies of older builds, written only at the end, are complete).
    #[default]
    Complete,
    /// Written after a run while others remained: a study that still says so when no `simrun
    /// scale` writes into it was killed (SIGKILL, a crash) before its last run.
    Partial,
    /// Stopped by a signal: the finished runs, the one under way marked interrupted.
    Interrupted,
}

impl StudyStatus {
    pub fn name(&self) -> &'static str {
        match self {
            StudyStatus::Complete => "complete",
            StudyStatus::Partial => "partial",
            StudyStatus::Interrupted => "interrupted",
        }
    }
}

/// How and where the study ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyMeta {
    pub simrun_version: String,
    pub command: String,
    pub config: String,
    pub mode: Mode,
    pub ranks: Vec<usize>,
    pub threads: Vec<usize>,
    pub repeat: usize,
    pub launcher: String,
    /// 1-rank runs went through the launcher too (`--launch-one`).
    #[serde(default)]
    pub launch_one: bool,
    pub set: Vec<String>,
    /// The 1-core grid (the configured one).
    pub base_grid: Vec<usize>,
    pub host: String,
    pub cpus: usize,
    /// /proc/loadavg (1, 5, 15 min) before and after the study, if readable.
    pub loadavg_before: Option<[f64; 3]>,
    pub loadavg_after: Option<[f64; 3]>,
    /// Unix seconds.
    pub started: u64,
    pub seconds: f64,
    /// The model ("heat", ...).
    #[serde(default)]
    pub model: String,
    /// The configuration of the study, resolved with its `--set` overrides (not the per-run
    /// output directory, thread count or weak-scaling grid), as TOML.
    #[serde(default)]
    pub resolved_config: String,
    #[serde(default)]
    pub build: BuildInfo,
    #[serde(default)]
    pub machine: Host,
    /// Copy bandwidth measured before the first run.
    #[serde(default)]
    pub bandwidth: Option<Bandwidth>,
    /// Bytes per cell update of the model's sweep, for the bandwidth bound.
    #[serde(default)]
    pub bytes_per_update: Option<f64>,
    /// Complete, partial (written while runs remained) or interrupted (stopped by a signal).
    #[serde(default)]
    pub status: StudyStatus,
    /// The signal that stopped the study ("SIGTERM"), when interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// Runs planned: configurations x repeats (0 in studies of older builds).
    #[serde(default)]
    pub runs_planned: usize,
}

impl StudyMeta {
    /// "complete", "partial: 3 of 8 runs", "interrupted by SIGTERM: 3 of 8 runs".
    pub fn status_text(&self, runs_done: usize) -> String {
        match self.status {
            StudyStatus::Complete => "complete".to_string(),
            StudyStatus::Partial => format!("partial: {runs_done} of {} runs", self.runs_planned),
            StudyStatus::Interrupted => format!(
                "interrupted by {}: {runs_done} of {} runs",
                self.stopped_by.as_deref().unwrap_or("a signal"),
                self.runs_planned
            ),
        }
    }
}

/// Everything a study produced (`study.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Study {
    pub meta: StudyMeta,
    pub baseline: Option<String>,
    pub runs: Vec<RunRecord>,
    pub summary: Vec<ConfigSummary>,
    pub fits: Vec<Fit>,
    /// What makes the timings less trustworthy: a loaded host, oversubscribed configurations,
    /// fits that mean nothing.
    #[serde(default)]
    pub warnings: Vec<String>,
}
