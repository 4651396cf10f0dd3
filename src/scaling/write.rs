//! Study outputs as text: `study.json`, `study.csv` (every run), `summary.csv` (per
//! configuration) and `summary.md` (a Markdown table with the fits). Numbers in the CSV files are
//! written in Rust's shortest round-trip form, so a reader recomputes exactly what simrun did; a
//! missing value (a configuration whose runs all failed) is an empty field. Every file is
//! written by temporary name and rename ([`put`]; the plots likewise, through
//! [`crate::io::drawing`]).

use super::{ConfigSummary, RunRecord, Study};
use crate::error::{Error, Result};
use crate::io::checkpoint::write_atomically;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Write every text output of `study` into `dir`.
pub fn all(study: &Study, dir: &Path) -> Result<()> {
    let json = serde_json::to_string_pretty(study).map_err(|e| Error::other(format!("study.json: {e}")))?;
    put(dir, "study.json", &(json + "\n"))?;
    put(dir, "study.csv", &runs_csv(&study.runs))?;
    put(dir, "summary.csv", &summary_csv(&study.summary))?;
    put(dir, "summary.md", &summary_markdown(study))
}

/// Write `dir/name` by temporary name and rename ([`write_atomically`]): a reader (`simrun
/// compare`, a study read while the next run goes on) sees the old file or the new one, whole,
/// and an interrupted write leaves the old one.
pub(crate) fn put(dir: &Path, name: &str, text: &str) -> Result<()> {
    write_atomically(&dir.join(name), text.as_bytes())
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn grid_text(g: &[usize]) -> String {
    g.iter().rev().map(|v| v.to_string()).collect::<Vec<_>>().join("x")
}

/// Every phase name over a set of phase maps, sorted.
pub fn phase_names<'a>(maps: impl Iterator<Item = &'a BTreeMap<String, f64>>) -> Vec<String> {
    let mut names: Vec<String> = maps.flat_map(|m| m.keys().cloned()).collect();
    names.sort();
    names.dedup();
    names
}

fn phase_header(s: &mut String, phases: &[String]) {
    for p in phases {
        let _ = write!(s, ",phase_{p}_max_s");
    }
}

fn phase_cells(s: &mut String, phases: &[String], values: &BTreeMap<String, f64>) {
    for p in phases {
        let _ = write!(s, ",{}", values.get(p).map(|v| num(*v)).unwrap_or_default());
    }
}

fn runs_csv(runs: &[RunRecord]) -> String {
    let phases = phase_names(runs.iter().map(|r| &r.phases_max));
    let mut s = String::from(
        "ranks,threads,cores,repeat,ok,interrupted,grid,cells,steps,steps_per_sweep,time_per_step_s,cell_updates_per_second,wall_seconds",
    );
    phase_header(&mut s, &phases);
    s.push_str(",error\n");
    for r in runs {
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.ranks,
            r.threads,
            r.cores(),
            r.repeat,
            r.ok,
            r.interrupted,
            grid_text(&r.grid),
            r.cells,
            r.steps,
            r.steps_per_sweep,
            num(r.time_per_step),
            num(r.cell_updates_per_second),
            num(r.wall_seconds)
        );
        phase_cells(&mut s, &phases, &r.phases_max);
        let _ = writeln!(s, ",{}", quote(r.error.as_deref().unwrap_or("")));
    }
    s
}

fn summary_csv(summary: &[ConfigSummary]) -> String {
    let phases = phase_names(summary.iter().map(|c| &c.phases_max));
    let mut s = String::from(
        "ranks,threads,cores,grid,cells,steps,steps_per_sweep,runs_ok,runs_failed,runs_interrupted,time_per_step_median_s,time_per_step_min_s,time_per_step_max_s,cell_updates_per_second,bound_cell_updates_per_second,percent_of_bound,speedup,efficiency",
    );
    phase_header(&mut s, &phases);
    s.push('\n');
    for c in summary {
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.ranks,
            c.threads,
            c.cores,
            grid_text(&c.grid),
            c.cells,
            c.steps,
            c.steps_per_sweep,
            c.runs_ok,
            c.runs_failed,
            c.runs_interrupted,
            num(c.time_per_step_median),
            num(c.time_per_step_min),
            num(c.time_per_step_max),
            num(c.cell_updates_per_second),
            opt(c.bound_cell_updates_per_second),
            opt(c.percent_of_bound),
            opt(c.speedup),
            opt(c.efficiency)
        );
        phase_cells(&mut s, &phases, &c.phases_max);
        s.push('\n');
    }
    s
}

fn ms(v: f64) -> String {
    if v.is_finite() {
        format!("{:.3}", v * 1e3)
    } else {
        "-".to_string()
    }
}

fn fixed(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite()).map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "-".to_string())
}

/// The Markdown summary: how and where the study ran, warnings, the table, the fits, the failed
/// runs.
pub fn summary_markdown(study: &Study) -> String {
    let m = &study.meta;
    let mut s = String::new();
    let grids: Vec<String> = study.summary.iter().map(|c| grid_text(&c.grid)).collect();
    let title_grid = if study.meta.mode == super::Mode::Strong {
        grids.first().cloned().unwrap_or_default()
    } else {
        format!("{} per core", grid_text(&m.base_grid))
    };
    let _ = writeln!(s, "# {} scaling: {} ({title_grid})\n", capital(m.mode.name()), m.config);
    if m.status != super::StudyStatus::Complete {
        let _ = writeln!(
            s,
            "**Partial study** ({}): only the runs below finished; see the warnings.\n",
            m.status_text(study.runs.iter().filter(|r| !r.interrupted).count())
        );
    }
    let _ = writeln!(s, "Command: `{}`  ", m.command);
    let load =
        |l: Option<[f64; 3]>| l.map(|v| format!("{:.2} {:.2} {:.2}", v[0], v[1], v[2])).unwrap_or_else(|| "n/a".into());
    let _ = writeln!(s, "Build: {}  ", build_line(&m.build));
    let machine = if m.machine.cpu_model.is_empty() { format!("{} CPUs", m.cpus) } else { m.machine.one_line() };
    let _ = writeln!(s, "Host `{}`: {machine}  ", m.host);
    if let Some(bw) = &m.bandwidth {
        let bytes = m.bytes_per_update.map(|b| format!("; the {} sweep moves {b} bytes per cell update", m.model));
        let _ = writeln!(
            s,
            "STREAM-style copy bandwidth, measured before the runs: {}{}  ",
            bw.one_line(),
            bytes.unwrap_or_else(|| format!("; no bandwidth bound for the {} model", m.model))
        );
    }
    let _ = writeln!(
        s,
        "Load average (1/5/15 min) {} before, {} after; {} repeat(s), interleaved; {:.0} s in all.  \n{}\n",
        load(m.loadavg_before),
        load(m.loadavg_after),
        m.repeat,
        m.seconds,
        super::basis::sentence(study)
    );
    let unfit: Vec<String> = study
        .fits
        .iter()
        .filter(|f| !f.meaningful)
        .map(|f| format!("the {} fit over {} is not meaningful: {}", capital(&f.law), f.points, f.note))
        .collect();
    if !study.warnings.is_empty() || !unfit.is_empty() {
        s.push_str("**Warnings**\n\n");
        for w in study.warnings.iter().chain(&unfit) {
            let _ = writeln!(s, "- {w}");
        }
        s.push('\n');
    }
    let phases = phase_names(study.summary.iter().map(|c| &c.phases_max));
    let _ = write!(s, "| ranks | threads | cores | grid | steps/sweep | time/step median (ms) | min - max (ms) | M cell updates/s | % of copy bound | speedup | efficiency |");
    for p in &phases {
        let _ = write!(s, " {p} (s) |");
    }
    s.push('\n');
    s.push_str(&"|---".repeat(11 + phases.len()));
    s.push_str("|\n");
    for c in &study.summary {
        let _ = write!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} - {} | {} | {} | {} | {} |",
            c.ranks,
            c.threads,
            c.cores,
            grid_text(&c.grid),
            if c.steps_per_sweep > 0 { c.steps_per_sweep.to_string() } else { "-".into() },
            ms(c.time_per_step_median),
            ms(c.time_per_step_min),
            ms(c.time_per_step_max),
            fixed(Some(c.cell_updates_per_second / 1e6), 1),
            fixed(c.percent_of_bound, 0),
            fixed(c.speedup, 2),
            fixed(c.efficiency, 2)
        );
        for p in &phases {
            let _ = write!(s, " {} |", fixed(c.phases_max.get(p).copied(), 3));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "\nPhase seconds are per run (median over repeats of the max over ranks); `setup`, the first and last diagnostics (part of `reduce`) and the final write (part of `io`) fall outside the timed loop. The copy bound is the copy bandwidth for that many cores over the bytes per cell update (one pass over memory per step; temporal blocking passes it).\n");
    for f in &study.fits {
        let flag = if f.meaningful { String::new() } else { " — **not meaningful**".to_string() };
        let note = if f.note.is_empty() { String::new() } else { format!(" ({})", f.note) };
        let _ = writeln!(
            s,
            "- {} serial fraction ({}, {} points): {:.4}, RMS residual {:.4} (speedup units){flag}{note}",
            capital(&f.law),
            f.points,
            f.n_points,
            f.serial_fraction,
            f.rms_residual
        );
    }
    for (heading, interrupted) in [("Failed runs", false), ("Interrupted run", true)] {
        let runs: Vec<&RunRecord> = study.runs.iter().filter(|r| !r.ok && r.interrupted == interrupted).collect();
        if runs.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n## {heading}\n");
        for r in runs {
            let _ = writeln!(
                s,
                "- ranks {} x threads {} (repeat {}): {}",
                r.ranks,
                r.threads,
                r.repeat,
                r.error.as_deref().unwrap_or("")
            );
        }
    }
    s
}

/// "simrun 0.1.0, commit 1514d26f0c62, release (opt-level 3), features mpi; rustc ...; Open MPI
/// v4.1.4; HDF5 1.10.8", or the version alone for a study of an older build.
pub fn build_line(b: &crate::build_info::BuildInfo) -> String {
    if b.git_commit.is_empty() {
        return "not recorded (a study of an older simrun)".to_string();
    }
    format!(
        "simrun {}, commit {}, {} (opt-level {}), features [{}], simd {}; {}; MPI: {}; HDF5 {}",
        b.version,
        b.short_commit(),
        b.profile,
        b.opt_level,
        b.features.join(","),
        b.simd,
        b.rustc,
        b.mpi_library,
        b.hdf5_library
    )
}

pub(crate) fn capital(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_study_file_is_replaced_whole_never_rewritten_in_place() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "study.json", "{\"old\": true}\n").unwrap();
        // A reader that opened the file before the rewrite (compare reading a study while the
        // next run finishes) keeps reading the whole old file: the new one came in under
        // another name and was renamed over it, so the old one was never truncated.
        let mut held = std::fs::File::open(dir.path().join("study.json")).unwrap();
        put(dir.path(), "study.json", "{\"new\": 1}\n").unwrap();
        let mut old = String::new();
        held.read_to_string(&mut old).unwrap();
        assert_eq!(old, "{\"old\": true}\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("study.json")).unwrap(), "{\"new\": 1}\n");
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
        assert_eq!(names, ["study.json"], "no temporary file is left behind");
        // A directory that cannot take the file: one line naming it, nothing left behind.
        let e = put(&dir.path().join("missing"), "study.csv", "x").unwrap_err();
        assert!(e.message.contains("missing/study.csv"), "{}", e.message);
    }
}
