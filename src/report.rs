//! Phase timers, the end-of-run profile over ranks, and the run report (`--report FILE`, JSON).
//!
//! - [`Phases`]: seconds and calls per phase on one rank (the driver and models charge them).
//! - [`Profile`]: per phase, calls and min / avg / max seconds over ranks, the share of the time
//!   loop and the load imbalance (max / avg), in the manner of AMReX's TinyProfiler and PETSc's
//!   `-log_view`; [`Profile::over_ranks`] builds it collectively, [`Profile::table`] prints it.
//! - [`Report`]: what the driver measured of a run that got to its end (or stopped early).
//! - [`RunReport`]: the JSON file: [`Status`] (finished / stopped with the reason / failed with
//!   the exit code and message), the [`Target`], the build ([`crate::build_info()`]), the resolved
//!   config, the [`Report`] (or, for a run that failed before it had one, what it was asked to
//!   do), and the [`Profile`].

use crate::build_info::BuildInfo;
use crate::par::Comm;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// Wall seconds and calls per phase of the run (compute, halo, reduce, io, ...) on one rank.
#[derive(Debug, Clone, Default)]
pub struct Phases {
    seconds: BTreeMap<&'static str, f64>,
    calls: BTreeMap<&'static str, u64>,
}

/// Phases every report lists, zero when unused.
const ALWAYS: [&str; 4] = ["compute", "halo", "reduce", "io"];

impl Phases {
    /// Charge `seconds` to `phase` as one call.
    pub fn add(&mut self, phase: &'static str, seconds: f64) {
        *self.seconds.entry(phase).or_insert(0.0) += seconds;
        *self.calls.entry(phase).or_insert(0) += 1;
    }

    /// Time `f` and charge it to `phase` (one call).
    pub fn time<R>(&mut self, phase: &'static str, f: impl FnOnce() -> R) -> R {
        let t = Instant::now();
        let r = f();
        self.add(phase, t.elapsed().as_secs_f64());
        r
    }

    pub fn get(&self, phase: &str) -> f64 {
        self.seconds.get(phase).copied().unwrap_or(0.0)
    }

    /// How many times `phase` was charged.
    pub fn calls(&self, phase: &str) -> u64 {
        self.calls.get(phase).copied().unwrap_or(0)
    }

    /// Every phase's seconds, including the ones always reported (zero when unused).
    pub fn all(&self) -> BTreeMap<String, f64> {
        let mut m: BTreeMap<String, f64> = self.seconds.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        for k in ALWAYS {
            m.entry(k.to_string()).or_insert(0.0);
        }
        m
    }

    /// Every phase's calls and seconds (the always-reported ones too), for [`Profile::over_ranks`].
    pub fn samples(&self) -> BTreeMap<String, PhaseSample> {
        self.all()
            .into_iter()
            .map(|(k, seconds)| {
                let calls = self.calls(&k);
                (k, PhaseSample { calls, seconds })
            })
            .collect()
    }
}

/// One phase on one rank.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseSample {
    pub calls: u64,
    pub seconds: f64,
}

/// Samples from a map of seconds alone (calls not counted: 0).
pub fn samples_from_seconds(seconds: &BTreeMap<String, f64>) -> BTreeMap<String, PhaseSample> {
    seconds.iter().map(|(k, &s)| (k.clone(), PhaseSample { calls: 0, seconds: s })).collect()
}

/// Statistics of one phase over ranks.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseStat {
    pub max: f64,
    pub mean: f64,
}

/// One row of the end-of-run profile: a phase over ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub phase: String,
    /// Calls on the rank with the most (0 when calls were not counted).
    pub calls: u64,
    /// Seconds over ranks.
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    /// avg / loop seconds, in percent.
    pub percent_of_loop: f64,
    /// max / avg (1 = balanced); absent when avg is 0.
    pub imbalance: Option<f64>,
}

/// The end-of-run profile: every phase over ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub ranks: usize,
    /// Wall seconds of the time loop (the longest over ranks).
    pub loop_seconds: f64,
    /// Whether calls were counted (false: the calls column is unknown).
    pub calls_counted: bool,
    /// Rows, largest average first.
    pub phases: Vec<ProfileRow>,
}

impl Profile {
    /// The profile from every rank's samples (`per_rank[r]` = rank r's phases; a phase missing
    /// on a rank counts as 0 there) and the time loop's seconds.
    pub fn from_ranks(per_rank: &[BTreeMap<String, PhaseSample>], loop_seconds: f64) -> Profile {
        let mut names: Vec<&String> = per_rank.iter().flat_map(|m| m.keys()).collect();
        names.sort();
        names.dedup();
        let n = per_rank.len().max(1) as f64;
        let mut phases: Vec<ProfileRow> = names
            .into_iter()
            .map(|name| {
                let s: Vec<PhaseSample> = per_rank.iter().map(|m| m.get(name).copied().unwrap_or_default()).collect();
                let secs = s.iter().map(|x| x.seconds);
                let min = secs.clone().fold(f64::INFINITY, f64::min);
                let max = secs.clone().fold(0.0, f64::max);
                // The mean may not round above the max or below the min.
                let avg = (secs.sum::<f64>() / n).clamp(min.min(max), max);
                ProfileRow {
                    phase: name.clone(),
                    calls: s.iter().map(|x| x.calls).max().unwrap_or(0),
                    min: if min.is_finite() { min } else { 0.0 },
                    avg,
                    max,
                    percent_of_loop: if loop_seconds > 0.0 { 100.0 * avg / loop_seconds } else { 0.0 },
                    imbalance: (avg > 0.0).then(|| max / avg),
                }
            })
            .collect();
        phases.sort_by(|a, b| b.avg.total_cmp(&a.avg).then_with(|| a.phase.cmp(&b.phase)));
        let calls_counted = per_rank.iter().any(|m| m.values().any(|s| s.calls > 0));
        Profile { ranks: per_rank.len(), loop_seconds, calls_counted, phases }
    }

    /// Collective: every rank passes its own samples and loop seconds and gets the same profile.
    /// The phase names are rank 0's (the driver charges the same phases everywhere).
    pub fn over_ranks(local: &BTreeMap<String, PhaseSample>, loop_seconds: f64, comm: &dyn Comm) -> Profile {
        let mut names = local.keys().cloned().collect::<Vec<_>>().join("\n").into_bytes();
        comm.broadcast_bytes(&mut names);
        let text = String::from_utf8_lossy(&names).to_string();
        let names: Vec<&str> = text.split('\n').filter(|n| !n.is_empty()).collect();
        // Per rank: loop seconds, then (calls, seconds) of each phase.
        let mut mine = vec![loop_seconds];
        for n in &names {
            let s = local.get(*n).copied().unwrap_or_default();
            mine.extend([s.calls as f64, s.seconds]);
        }
        let all = comm.all_gather_f64(&mine);
        let width = mine.len();
        let per_rank: Vec<BTreeMap<String, PhaseSample>> = all
            .chunks(width)
            .map(|r| {
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.to_string(), PhaseSample { calls: r[1 + 2 * i] as u64, seconds: r[2 + 2 * i] }))
                    .collect()
            })
            .collect();
        let loop_max = all.chunks(width).map(|r| r[0]).fold(0.0, f64::max);
        Profile::from_ranks(&per_rank, loop_max)
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut s = format!(
            "profile over {} rank(s), time loop {:.3} s (seconds per rank: min / avg / max; imbalance = max/avg)\n",
            self.ranks, self.loop_seconds
        );
        let _ = writeln!(
            s,
            "{:<12} {:>9} {:>10} {:>10} {:>10} {:>7} {:>9}",
            "phase", "calls", "min s", "avg s", "max s", "% loop", "max/avg"
        );
        for r in &self.phases {
            let calls = if self.calls_counted { r.calls.to_string() } else { "-".to_string() };
            let imb = r.imbalance.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".to_string());
            let _ = writeln!(
                s,
                "{:<12} {:>9} {:>10.4} {:>10.4} {:>10.4} {:>6.1}% {:>9}",
                r.phase, calls, r.min, r.avg, r.max, r.percent_of_loop, imb
            );
        }
        s.push_str("(setup, the first and last diagnostics and the final write fall outside the time loop: shares can pass 100 %)\n");
        s
    }

    pub fn row(&self, phase: &str) -> Option<&ProfileRow> {
        self.phases.iter().find(|r| r.phase == phase)
    }
}

/// What the driver measured of a run that reached its end or stopped after a final checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub simrun_version: String,
    pub model: String,
    /// The step reached (counted from the start of the simulation, restarts included).
    pub steps: u64,
    /// The step this run started from (0, or the restored state's): `cell_updates_per_second`
    /// counts the `steps - start_step` steps this run took.
    pub start_step: u64,
    pub sim_time: f64,
    pub wall_seconds: f64,
    pub cells: u64,
    /// Global cells in array order, (ny, nx) or (nz, ny, nx): the HDF5 datasets' shape.
    pub grid: Vec<usize>,
    /// The same cells as [nx, ny(, nz)], the order sizes are printed in (README "Axes").
    pub grid_xyz: Vec<usize>,
    pub ranks: usize,
    pub threads: usize,
    /// Ranks along x, y(, z), as `parallel.layout`.
    pub layout: Vec<usize>,
    /// Steps the model takes per sweep over memory (temporal blocking; 1 = one at a time).
    pub steps_per_sweep: usize,
    pub cell_updates_per_second: f64,
    /// Wall seconds of the time loop alone (no setup, final output or draining of the I/O queue).
    pub loop_seconds: f64,
    /// Seconds per phase on rank 0 (compute, halo, reduce, io, ...).
    pub phases: BTreeMap<String, f64>,
    /// The same phases, max and mean over ranks.
    pub phases_over_ranks: BTreeMap<String, PhaseStat>,
    /// Final diagnostics.
    pub diagnostics: BTreeMap<String, f64>,
    pub output_dir: String,
    /// Rank 0's I/O thread: the checkpoint data files it wrote and its CPU time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_thread: Option<IoWrites>,
    /// With `time.steady_tolerance`: whether the run stopped at steady state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steady_state: Option<Box<SteadyState>>,
    /// Where the model timed two sweep plans in its first sweeps (3-D heat): each plan's seconds
    /// per step (the slowest rank's) and the one it kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_trial: Option<Box<SweepTrialReport>>,
}

/// `sweep_trial` in the report: the plans tried and the index of the one kept (None if the run
/// ended before the trial did).
#[derive(Debug, Clone, Serialize)]
pub struct SweepTrialReport {
    pub plans: Vec<SweepPlan>,
    pub chosen: Option<usize>,
}

/// One plan of a sweep trial: steps per sweep, the bytes of ring buffers a band may use, and the
/// best seconds per step measured (None if it was not timed).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SweepPlan {
    pub steps_per_sweep: usize,
    pub ring_bytes: usize,
    pub seconds_per_step: Option<f64>,
}

/// `steady_state` in the report: reached (the change per unit time fell below the tolerance, and
/// the run stopped there), the step and time of that, and the last change measured.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SteadyState {
    pub reached: bool,
    pub tolerance: f64,
    pub step: Option<u64>,
    pub time: Option<f64>,
    pub change: f64,
}

/// The data files one I/O thread wrote (checkpoints and a distributed final output), the wall and
/// CPU seconds (user + system, CLOCK_THREAD_CPUTIME_ID) it spent on them, and its CPU seconds in
/// all (commits, images and final files included) until the report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct IoWrites {
    pub data_files: u64,
    pub data_file_wall_seconds: f64,
    pub data_file_cpu_seconds: f64,
    pub thread_cpu_seconds: f64,
}

/// Why a run stopped before its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// SIGTERM, SIGUSR1, SIGUSR2 or SIGINT.
    Signal,
    /// `time.wall_limit`.
    WallLimit,
}

/// How a run ended. In JSON: `"status": "finished"`; `"status": "stopped", "reason": "signal",
/// "signal": "SIGTERM"`; `"status": "failed", "exit_code": 3, "message": "..."`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Finished,
    Stopped {
        reason: StopReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
    },
    Failed {
        exit_code: i32,
        message: String,
    },
}

impl Status {
    /// From the driver's `RunSummary::interrupted` text: "a signal (SIGTERM)" or "time.wall_limit".
    pub fn stopped(interrupted: &str) -> Status {
        if interrupted.contains("wall_limit") {
            return Status::Stopped { reason: StopReason::WallLimit, signal: None };
        }
        let signal = interrupted.split(['(', ')']).nth(1).filter(|s| s.starts_with("SIG")).map(String::from);
        Status::Stopped { reason: StopReason::Signal, signal }
    }

    pub fn failed(e: &crate::Error) -> Status {
        Status::Failed { exit_code: e.exit_code(), message: e.to_string() }
    }
}

/// What the run was asked to reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Steps(u64),
    EndTime(f64),
}

impl Target {
    pub fn of(time: &crate::config::TimeConfig) -> Option<Target> {
        match (time.steps, time.end_time) {
            (Some(n), _) => Some(Target::Steps(n)),
            (None, Some(t)) => Some(Target::EndTime(t)),
            _ => None,
        }
    }
}

/// What a run was asked to do, for a report of a run that failed before the driver had a
/// [`Report`].
#[derive(Debug, Clone, Serialize)]
pub struct RunRequest {
    pub simrun_version: String,
    pub model: String,
    pub cells: u64,
    /// Global cells in array order, (ny, nx) or (nz, ny, nx).
    pub grid: Vec<usize>,
    /// The same cells as [nx, ny(, nz)].
    pub grid_xyz: Vec<usize>,
    pub ranks: usize,
    /// `parallel.threads` as configured (0 = all cores).
    pub threads: usize,
    pub output_dir: String,
    /// How far the run got before it failed (`steps`, `sim_time` at the last completed model
    /// call), if it got under way.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub reached: Option<Reached>,
}

/// The step and simulated time a failed run reached.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Reached {
    pub steps: u64,
    pub sim_time: f64,
}

impl RunRequest {
    pub fn of(cfg: &crate::config::Config, ranks: usize) -> RunRequest {
        let (grid, _) = crate::models::geometry(cfg);
        RunRequest {
            simrun_version: env!("CARGO_PKG_VERSION").to_string(),
            model: cfg.model.to_string(),
            cells: grid.cells(),
            grid: grid.shape(),
            grid_xyz: grid.shape_xyz(),
            ranks,
            threads: cfg.parallel.threads,
            output_dir: cfg.output.dir.clone(),
            reached: None,
        }
    }
}

/// The body of a run report: the driver's measurements, or only what was asked.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RunBody {
    Measured(Report),
    Requested(RunRequest),
}

/// The JSON run report (`--report FILE`): the [`Report`]'s keys plus `status` (and `reason`,
/// `signal`, or `exit_code`, `message`), `target`, `build`, `host`, `config` (the resolved TOML)
/// and `profile`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    #[serde(flatten)]
    pub status: Status,
    pub target: Option<Target>,
    pub build: BuildInfo,
    pub host: crate::host::Host,
    /// The configuration the run used, after `--set`, as TOML.
    pub config: String,
    #[serde(flatten)]
    pub body: RunBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

impl RunReport {
    /// A report with this binary's build facts and this host.
    pub fn new(status: Status, cfg: &crate::config::Config, body: RunBody, profile: Option<Profile>) -> RunReport {
        RunReport {
            status,
            target: Target::of(&cfg.time),
            build: crate::build_info().clone(),
            host: crate::host::Host::probe(),
            config: cfg.to_toml(),
            body,
            profile,
        }
    }

    /// The end-of-run profile table, if the run has a profile.
    pub fn table(&self) -> Option<String> {
        self.profile.as_ref().map(Profile::table)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises") + "\n"
    }

    /// Write the report to `path` atomically.
    pub fn write(&self, path: &Path) -> crate::Result<()> {
        crate::io::checkpoint::write_atomically(path, self.to_json().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(calls: u64, seconds: f64) -> PhaseSample {
        PhaseSample { calls, seconds }
    }

    #[test]
    fn phases_count_calls_and_keep_their_seconds() {
        let mut p = Phases::default();
        p.add("compute", 1.5);
        p.add("compute", 0.5);
        let v = p.time("halo", || 7);
        assert_eq!(v, 7);
        assert_eq!((p.get("compute"), p.calls("compute")), (2.0, 2));
        assert_eq!(p.calls("halo"), 1);
        assert_eq!(p.calls("io"), 0);
        let s = p.samples();
        assert_eq!(s["compute"], sample(2, 2.0));
        assert_eq!(s["reduce"], sample(0, 0.0), "always-reported phases are present");
        assert_eq!(p.all().keys().collect::<Vec<_>>(), s.keys().collect::<Vec<_>>());
    }

    #[test]
    fn profile_over_three_ranks() {
        let rank = |c: f64, h: f64| -> BTreeMap<String, PhaseSample> {
            [("compute".to_string(), sample(10, c)), ("halo".to_string(), sample(10, h))].into_iter().collect()
        };
        let mut r2 = rank(3.0, 0.5);
        r2.insert("io".into(), sample(1, 0.3));
        let p = Profile::from_ranks(&[rank(1.0, 0.2), rank(2.0, 0.3), r2], 4.0);
        assert_eq!(p.ranks, 3);
        assert!(p.calls_counted);
        assert_eq!(p.phases[0].phase, "compute", "largest average first");
        let c = p.row("compute").unwrap();
        assert_eq!((c.min, c.avg, c.max, c.calls), (1.0, 2.0, 3.0, 10));
        assert_eq!(c.percent_of_loop, 50.0);
        assert_eq!(c.imbalance, Some(1.5));
        let io = p.row("io").unwrap();
        assert_eq!((io.min, io.max, io.calls), (0.0, 0.3, 1), "missing on a rank = 0 there");
        for r in &p.phases {
            assert!(r.min <= r.avg && r.avg <= r.max, "{r:?}");
        }
        let t = p.table();
        assert!(t.contains("compute") && t.contains("50.0%") && t.contains("1.50"), "{t}");
        // Without counted calls the column says so.
        let q =
            Profile::from_ranks(&[samples_from_seconds(&[("compute".to_string(), 1.0)].into_iter().collect())], 2.0);
        assert!(!q.calls_counted);
        assert!(q.table().lines().nth(2).unwrap().split_whitespace().nth(1) == Some("-"), "{}", q.table());
        // The single-process collective is the identity.
        let one = Profile::over_ranks(&rank(1.0, 0.2), 4.0, &crate::par::SingleComm);
        assert_eq!(one, Profile::from_ranks(&[rank(1.0, 0.2)], 4.0));
    }

    #[test]
    fn status_and_target_serialise_flat() {
        let j = |s: &Status| serde_json::to_value(s).unwrap();
        assert_eq!(j(&Status::Finished), serde_json::json!({"status": "finished"}));
        assert_eq!(
            j(&Status::stopped("a signal (SIGTERM)")),
            serde_json::json!({"status": "stopped", "reason": "signal", "signal": "SIGTERM"})
        );
        assert_eq!(
            j(&Status::stopped("time.wall_limit")),
            serde_json::json!({"status": "stopped", "reason": "wall_limit"})
        );
        let e = crate::Error::numerical("NaN in T at step 4");
        assert_eq!(
            j(&Status::failed(&e)),
            serde_json::json!({"status": "failed", "exit_code": 3, "message": "NaN in T at step 4"})
        );
        assert_eq!(serde_json::to_value(Target::Steps(20)).unwrap(), serde_json::json!({"steps": 20}));
        assert_eq!(serde_json::to_value(Target::EndTime(0.5)).unwrap(), serde_json::json!({"end_time": 0.5}));
    }
}
