//! `simrun compare A B [C ...] [--baseline DIR] [--out DIR]`: any number of studies side by side.
//!
//! Every configuration (ranks x threads) of any study is a row; a study that lacks it says
//! "missing" there (and the configuration is listed among those not in every study), one without
//! a time says "failed", "interrupted" (its run stopped with the study) or "not run" (a partial
//! study). Studies are compared per cell update: throughput is cell
//! updates per second, so studies on different grids compare fairly. Against the baseline study
//! (the first, or `--baseline`), each configuration gets:
//! - the throughput ratio X / baseline with its noise band, from `min_X / max_base` to
//!   `max_X / min_base` (the repeats' min-max ranges), and a verdict: "within noise" when the
//!   two ranges overlap, else "faster" or "slower" (with fewer than two successful repeats on a
//!   side there is no range, and the verdict says so);
//! - per-phase ratios (compute, halo, reduce, io, and any other phase): seconds per cell update of
//!   the phase (max over ranks, median over repeats, over steps x cells) in X over the baseline.
//!
//! Each study's own speedup and efficiency (against its own baseline configuration) are shown
//! with ranges from its min-max times. The "what differs" block ([`super::differs`]) names every
//! difference in how the studies were made and where they ran.
//!
//! Printed as Markdown; with `--out` also `compare.md`, `compare.csv` (one row per configuration
//! and study), `compare.json`, and overlaid `speedup`, `efficiency`, `throughput` and `ratio`
//! charts (PNG and SVG: one labelled series per study, min-max error bars). `--out` may not be,
//! or lie inside, a compared study, nor be another study's directory ([`super::compare_out`]).

use super::compare_text::{csv, markdown};
use super::differs::{what_differs, Difference};
use super::overlay::{self, Band, CatSeries, CategoryFigure};
use super::write::{grid_text, put};
use super::{ConfigSummary, Study};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A study read from its directory, with the label it goes by.
pub struct Loaded {
    pub label: String,
    pub dir: PathBuf,
    pub study: Study,
}

/// Read `DIR/study.json`.
pub fn load_study(dir: &Path) -> Result<Study> {
    let p = dir.join("study.json");
    let text =
        std::fs::read_to_string(&p).map_err(|e| Error::config(format!("cannot read study {}: {e}", p.display())))?;
    serde_json::from_str(&text).map_err(|e| Error::config(format!("{}: not a simrun study: {e}", p.display())))
}

/// Read every study; labels are the directory names (the whole path where two names clash).
pub fn load_all(dirs: &[PathBuf]) -> Result<Vec<Loaded>> {
    let name = |d: &Path| {
        let d = if d.file_name().is_none() { d.canonicalize().unwrap_or(d.to_path_buf()) } else { d.to_path_buf() };
        d.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| d.display().to_string())
    };
    let names: Vec<String> = dirs.iter().map(|d| name(d)).collect();
    dirs.iter()
        .zip(&names)
        .map(|(d, n)| {
            let clash = names.iter().filter(|m| *m == n).count() > 1;
            let label = if clash { d.display().to_string() } else { n.clone() };
            Ok(Loaded { label, dir: d.clone(), study: load_study(d)? })
        })
        .collect()
}

/// Against the baseline: the ratio X / baseline of a quantity, its band and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Relative {
    pub ratio: f64,
    pub lo: f64,
    pub hi: f64,
    pub verdict: String,
}

/// One study's numbers for one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub grid: String,
    pub cells: u64,
    pub steps: u64,
    pub steps_per_sweep: usize,
    pub runs_ok: usize,
    pub runs_failed: usize,
    pub runs_interrupted: usize,
    /// Seconds per step: median, min, max (NaN when no run succeeded).
    pub time: [f64; 3],
    /// Cell updates per second: median, min (slowest repeat), max (fastest).
    pub throughput: [f64; 3],
    /// The study's own speedup and efficiency: value, low, high (from the min-max times).
    pub speedup: Option<[f64; 3]>,
    pub efficiency: Option<[f64; 3]>,
    pub percent_of_bound: Option<f64>,
    /// Seconds per cell update of each phase.
    pub phase_per_update: BTreeMap<String, f64>,
    /// Throughput against the baseline study (absent for the baseline and without times).
    pub vs_baseline: Option<Relative>,
    /// Phase seconds per cell update, X / baseline.
    pub phase_ratio: BTreeMap<String, f64>,
}

impl Cell {
    pub fn timed(&self) -> bool {
        self.time[0].is_finite()
    }
}

/// A configuration over the studies (`cells[i]` is study i's; None where it is missing).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub ranks: usize,
    pub threads: usize,
    pub cores: usize,
    pub cells: Vec<Option<Cell>>,
}

impl Row {
    pub fn label(&self) -> String {
        format!("{}x{}", self.ranks, self.threads)
    }
}

/// A configuration that some studies lack.
#[derive(Debug, Clone, Serialize)]
pub struct Partial {
    pub config: String,
    pub missing_from: Vec<String>,
}

/// Everything `simrun compare` says.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Study labels and directories, in the order given.
    pub studies: Vec<(String, String)>,
    /// Index of the baseline study.
    pub baseline: usize,
    pub rows: Vec<Row>,
    pub partial: Vec<Partial>,
    pub differs: Vec<Difference>,
    pub same: Vec<Difference>,
    /// Each study's fits and warnings, by label.
    pub fits: Vec<(String, Vec<super::Fit>)>,
    pub warnings: Vec<(String, Vec<String>)>,
}

impl Comparison {
    pub fn labels(&self) -> Vec<String> {
        self.studies.iter().map(|s| s.0.clone()).collect()
    }
}

/// The verdict from two (median, min, max) ranges of a quantity where higher is better.
pub fn verdict(x: [f64; 3], base: [f64; 3], runs_x: usize, runs_base: usize) -> String {
    if runs_x < 2 || runs_base < 2 {
        return "no noise estimate (needs 2+ repeats each)".to_string();
    }
    if x[1] <= base[2] && base[1] <= x[2] {
        "within noise".to_string()
    } else if x[1] > base[2] {
        "faster".to_string()
    } else {
        "slower".to_string()
    }
}

fn cell(c: &ConfigSummary, steps_fallback: u64) -> Cell {
    let t = [c.time_per_step_median, c.time_per_step_min, c.time_per_step_max];
    let n = c.cells as f64;
    let throughput = [n / t[0], n / t[2], n / t[1]];
    // A value scaling as 1/time: its range from the min-max times.
    let scaled = |v: Option<f64>| v.filter(|v| v.is_finite()).map(|v| [v, v * t[0] / t[2], v * t[0] / t[1]]);
    let steps = if c.steps > 0 { c.steps } else { steps_fallback };
    let per = (steps as f64) * n;
    Cell {
        grid: grid_text(&c.grid),
        cells: c.cells,
        steps,
        steps_per_sweep: c.steps_per_sweep,
        runs_ok: c.runs_ok,
        runs_failed: c.runs_failed,
        runs_interrupted: c.runs_interrupted,
        time: t,
        throughput,
        speedup: scaled(c.speedup),
        efficiency: scaled(c.efficiency),
        percent_of_bound: c.percent_of_bound,
        phase_per_update: if per > 0.0 && c.runs_ok > 0 {
            c.phases_max.iter().map(|(k, v)| (k.clone(), v / per)).collect()
        } else {
            BTreeMap::new()
        },
        vs_baseline: None,
        phase_ratio: BTreeMap::new(),
    }
}

/// Steps of a study's successful runs (older studies do not record them per configuration).
fn study_steps(s: &Study) -> u64 {
    s.runs.iter().find(|r| r.ok).map(|r| r.steps).unwrap_or(0)
}

/// Set the studies side by side against `studies[baseline]`.
pub fn compare(studies: &[Loaded], baseline: usize) -> Comparison {
    let mut keys: Vec<(usize, usize)> =
        studies.iter().flat_map(|l| l.study.summary.iter().map(|c| (c.ranks, c.threads))).collect();
    keys.sort_by_key(|&(r, t)| (r * t, r, t));
    keys.dedup();
    let labels: Vec<String> = studies.iter().map(|l| l.label.clone()).collect();
    let mut rows: Vec<Row> = keys
        .iter()
        .map(|&(ranks, threads)| Row {
            ranks,
            threads,
            cores: ranks * threads,
            cells: studies
                .iter()
                .map(|l| {
                    let steps = study_steps(&l.study);
                    l.study.summary.iter().find(|c| c.ranks == ranks && c.threads == threads).map(|c| cell(c, steps))
                })
                .collect(),
        })
        .collect();
    for row in &mut rows {
        let Some(base) = row.cells[baseline].clone().filter(Cell::timed) else { continue };
        for (i, c) in row.cells.iter_mut().enumerate() {
            let Some(c) = c.as_mut().filter(|c| i != baseline && c.timed()) else { continue };
            let (x, b) = (c.throughput, base.throughput);
            c.vs_baseline = Some(Relative {
                ratio: x[0] / b[0],
                lo: x[1] / b[2],
                hi: x[2] / b[1],
                verdict: verdict(x, b, c.runs_ok, base.runs_ok),
            });
            c.phase_ratio = c
                .phase_per_update
                .iter()
                .filter_map(|(k, v)| base.phase_per_update.get(k).filter(|b| **b > 0.0).map(|b| (k.clone(), v / b)))
                .collect();
        }
    }
    let partial = rows
        .iter()
        .filter(|r| r.cells.iter().any(Option::is_none))
        .map(|r| Partial {
            config: r.label(),
            missing_from: r.cells.iter().zip(&labels).filter(|(c, _)| c.is_none()).map(|(_, l)| l.clone()).collect(),
        })
        .collect();
    let refs: Vec<&Study> = studies.iter().map(|l| &l.study).collect();
    let (differs, same) = what_differs(&refs);
    Comparison {
        studies: studies.iter().map(|l| (l.label.clone(), l.dir.display().to_string())).collect(),
        baseline,
        rows,
        partial,
        differs,
        same,
        fits: studies.iter().map(|l| (l.label.clone(), l.study.fits.clone())).collect(),
        warnings: studies.iter().map(|l| (l.label.clone(), l.study.warnings.clone())).collect(),
    }
}

/// Which study `--baseline` names: one of the directories given (the same path, or the same
/// directory) or a study's label.
pub fn baseline_index(studies: &[Loaded], baseline: Option<&Path>) -> Result<usize> {
    let Some(b) = baseline else { return Ok(0) };
    let canon = |p: &Path| p.canonicalize().ok();
    studies
        .iter()
        .position(|l| l.dir == b || (canon(&l.dir).is_some() && canon(&l.dir) == canon(b)))
        .or_else(|| studies.iter().position(|l| Path::new(&l.label) == b))
        .ok_or_else(|| {
            let names: Vec<String> = studies.iter().map(|l| l.label.clone()).collect();
            Error::config(format!("--baseline {}: not one of the studies compared ({})", b.display(), names.join(", ")))
        })
}

/// Overlaid charts: one series per study over the configurations, with min-max error bars.
fn charts(cmp: &Comparison, dir: &Path) -> Result<()> {
    let categories: Vec<String> = cmp.rows.iter().map(Row::label).collect();
    let labels = cmp.labels();
    let series = |pick: &dyn Fn(&Cell) -> Option<[f64; 3]>, skip_baseline: bool| -> Vec<CatSeries> {
        labels
            .iter()
            .enumerate()
            .filter(|(i, _)| !(skip_baseline && *i == cmp.baseline))
            .map(|(i, name)| CatSeries {
                name: if i == cmp.baseline { format!("{name} (baseline)") } else { name.clone() },
                color_index: i,
                points: cmp
                    .rows
                    .iter()
                    .map(|r| r.cells[i].as_ref().and_then(pick).map(|v| Band { mid: v[0], lo: v[1], hi: v[2] }))
                    .collect(),
            })
            .collect()
    };
    let cores: Vec<f64> = cmp.rows.iter().map(|r| r.cores as f64).collect();
    let figs = [
        (
            "speedup",
            CategoryFigure {
                title: "Speedup, each study against its own baseline configuration".into(),
                y_label: "speedup (bar: min-max of the repeats)".into(),
                categories: categories.clone(),
                series: series(&|c| c.speedup, false),
                ideal: Some(("ideal (S = p)".into(), cores.clone())),
                reference: None,
            },
        ),
        (
            "efficiency",
            CategoryFigure {
                title: "Parallel efficiency".into(),
                y_label: "efficiency (bar: min-max of the repeats)".into(),
                categories: categories.clone(),
                series: series(&|c| c.efficiency, false),
                ideal: Some(("ideal (1)".into(), vec![1.0; cores.len()])),
                reference: None,
            },
        ),
        (
            "throughput",
            CategoryFigure {
                title: "Throughput (per cell update: fair across grids)".into(),
                y_label: "M cell updates/s (bar: min-max of the repeats)".into(),
                categories: categories.clone(),
                series: series(&|c| c.timed().then(|| c.throughput.map(|v| v / 1e6)), false),
                ideal: None,
                reference: None,
            },
        ),
        (
            "ratio",
            CategoryFigure {
                title: format!("Throughput against the baseline ({})", labels[cmp.baseline]),
                y_label: "throughput X / baseline (bar: noise band)".into(),
                categories,
                series: series(&|c| c.vs_baseline.as_ref().map(|r| [r.ratio, r.lo, r.hi]), true),
                ideal: None,
                reference: Some(("baseline (1)".into(), 1.0)),
            },
        ),
    ];
    for (name, fig) in &figs {
        overlay::render(fig, dir, name)?;
    }
    Ok(())
}

/// `simrun compare`: print the comparison; with `out`, write it and the charts there.
pub fn compare_command(dirs: &[PathBuf], baseline: Option<&Path>, out: Option<&Path>) -> Result<()> {
    if dirs.len() < 2 {
        return Err(Error::config("simrun compare needs at least two study directories"));
    }
    for (i, a) in dirs.iter().enumerate() {
        for b in &dirs[..i] {
            if a.canonicalize().ok().is_some_and(|c| b.canonicalize().ok() == Some(c)) {
                return Err(Error::config(format!(
                    "{} and {} are the same study: compare different studies",
                    b.display(),
                    a.display()
                )));
            }
        }
    }
    if let Some(out) = out {
        super::compare_out::check_out(dirs, out)?;
    }
    let studies = load_all(dirs)?;
    let base = baseline_index(&studies, baseline)?;
    let cmp = compare(&studies, base);
    if !cmp.rows.iter().any(|r| r.cells.iter().flatten().any(|c| c.vs_baseline.is_some())) {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::config(format!(
            "no configuration (ranks x threads) has a time both in the baseline and in another study ({})",
            names.join(", ")
        )));
    }
    let md = markdown(&cmp);
    print!("{md}");
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
        put(dir, "compare.md", &md)?;
        put(dir, "compare.csv", &csv(&cmp))?;
        let json = serde_json::to_string_pretty(&cmp).map_err(|e| Error::other(e.to_string()))?;
        put(dir, "compare.json", &(json + "\n"))?;
        charts(&cmp, dir)?;
        eprintln!(
            "compare: wrote {}/{{compare.md, compare.csv, compare.json, speedup, efficiency, throughput, ratio (.png, .svg)}}",
            dir.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_are_noise_and_separate_ones_are_not() {
        // (median, min, max) of throughput: higher is faster.
        assert_eq!(verdict([1.05, 1.0, 1.2], [1.0, 0.9, 1.1], 3, 3), "within noise");
        assert_eq!(verdict([1.5, 1.2, 1.6], [1.0, 0.9, 1.1], 3, 3), "faster");
        assert_eq!(verdict([0.5, 0.4, 0.6], [1.0, 0.9, 1.1], 3, 3), "slower");
        assert!(verdict([2.0, 2.0, 2.0], [1.0, 1.0, 1.0], 3, 1).starts_with("no noise estimate"));
    }
}
