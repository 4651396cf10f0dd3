//! Phase timers and the run report (`--report FILE`, JSON).

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Wall seconds spent per phase of the run (compute, halo, reduce, io, ...).
#[derive(Debug, Clone, Default)]
pub struct Phases {
    seconds: BTreeMap<&'static str, f64>,
}

impl Phases {
    pub fn add(&mut self, phase: &'static str, seconds: f64) {
        *self.seconds.entry(phase).or_insert(0.0) += seconds;
    }

    /// Time `f` and charge it to `phase`.
    pub fn time<R>(&mut self, phase: &'static str, f: impl FnOnce() -> R) -> R {
        let t = Instant::now();
        let r = f();
        self.add(phase, t.elapsed().as_secs_f64());
        r
    }

    pub fn get(&self, phase: &str) -> f64 {
        self.seconds.get(phase).copied().unwrap_or(0.0)
    }

    /// Every phase, including the ones always reported (zero when unused).
    pub fn all(&self) -> BTreeMap<String, f64> {
        let mut m: BTreeMap<String, f64> = self.seconds.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        for k in ["compute", "halo", "reduce", "io"] {
            m.entry(k.to_string()).or_insert(0.0);
        }
        m
    }
}

/// Statistics of one phase over ranks.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseStat {
    pub max: f64,
    pub mean: f64,
}

/// The JSON run report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub simrun_version: String,
    pub model: String,
    pub steps: u64,
    pub sim_time: f64,
    pub wall_seconds: f64,
    pub cells: u64,
    pub grid: Vec<usize>,
    pub ranks: usize,
    pub threads: usize,
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
}
