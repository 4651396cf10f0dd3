//! The study loop: check everything that can be checked before the first run, launch every
//! configuration `repeat` times (interleaved), show progress and ETA on stderr, and after every
//! run summarise, fit, write and plot what finished so far. A stop signal (SIGTERM, SIGINT,
//! SIGUSR1, SIGUSR2) stops the run under way ([`super::child`]) and ends the study there: its
//! files are written once more, status "interrupted", and `simrun scale` exits 75.

use super::runner::{self, Launcher, RunPlan};
use super::{
    bandwidth, fit, plot, summary, weak, write, ConfigSummary, Mode, RunRecord, Study, StudyMeta, StudySpec,
    StudyStatus,
};
use crate::config;
use crate::error::{Error, Result};
use crate::host::{loadavg, Host};
use crate::sim::signals::{StopFlag, EXIT_INTERRUPTED};
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `simrun scale`: run the study, write DIR, print the summary. The exit code: 75 if a signal
/// stopped the study (its finished runs written, status "interrupted"), else 0; an error if any
/// run failed (after everything is written).
pub fn scale_command(spec: &StudySpec) -> Result<i32> {
    let study = run_study(spec)?;
    print!("{}", write::summary_markdown(&study));
    let finished = study.runs.iter().filter(|r| !r.interrupted).count();
    eprintln!("scale: wrote {}/{{study.csv, summary.csv, study.json, summary.md, *.png, *.svg}}", spec.out.display());
    if study.meta.status == StudyStatus::Interrupted {
        eprintln!(
            "scale: stopped by {} after {finished} of {} runs: {} holds a partial study of the finished runs (status \"interrupted\"); rerun the study to measure the rest",
            study.meta.stopped_by.as_deref().unwrap_or("a signal"),
            study.meta.runs_planned,
            spec.out.display()
        );
        return Ok(EXIT_INTERRUPTED);
    }
    let failed = study.runs.iter().filter(|r| !r.ok).count();
    if failed > 0 {
        return Err(Error::other(format!(
            "{failed} of {} runs failed (errors in {}/study.json)",
            study.runs.len(),
            spec.out.display()
        )));
    }
    Ok(0)
}

fn dedup(v: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for &x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn check_spec(spec: &StudySpec) -> Result<()> {
    for (name, v) in [("--ranks", &spec.ranks), ("--threads", &spec.threads)] {
        if v.is_empty() || v.contains(&0) {
            return Err(Error::config(format!("{name} needs a list of positive counts, e.g. {name} 1,2,4")));
        }
    }
    if spec.repeat == 0 {
        return Err(Error::config("--repeat must be at least 1"));
    }
    Ok(())
}

/// What makes the study's timings less trustworthy, one sentence each: a study that lacks runs
/// (partial, interrupted), a loaded host, oversubscribed configurations. (Fits that mean nothing
/// are flagged on the fits.)
pub fn warnings(meta: &StudyMeta, summary: &[ConfigSummary], runs: &[RunRecord]) -> Vec<String> {
    let mut w = Vec::new();
    if meta.status != StudyStatus::Complete {
        let finished = runs.iter().filter(|r| !r.interrupted).count();
        let short: Vec<String> = summary
            .iter()
            .filter(|c| c.runs_ok + c.runs_failed < meta.repeat)
            .map(|c| format!("{} ({} of {})", c.label(), c.runs_ok + c.runs_failed, meta.repeat))
            .collect();
        let how = match meta.status {
            StudyStatus::Interrupted => format!(
                "stopped by {} after {finished} of {} runs (a run under way was stopped and is not counted)",
                meta.stopped_by.as_deref().unwrap_or("a signal"),
                meta.runs_planned
            ),
            _ => format!(
                "{finished} of {} runs written; if no simrun scale is writing into this directory, it was killed before the rest ran",
                meta.runs_planned
            ),
        };
        w.push(format!(
            "partial study: {how}; configurations with fewer repeats than asked: {}",
            if short.is_empty() { "none".to_string() } else { short.join(", ") }
        ));
    }
    let cpus = meta.cpus as f64;
    if let Some(l) = meta.loadavg_before.filter(|l| l[0] > cpus) {
        w.push(format!(
            "the host was loaded before the study: 1-minute load {:.2} on {} CPUs; other work shared the cores, so times are high and noisy",
            l[0], meta.cpus
        ));
    }
    let own = summary.iter().map(|c| c.cores).max().unwrap_or(0) as f64;
    if let Some(l) = meta.loadavg_after.filter(|l| l[0] > cpus + own) {
        w.push(format!(
            "the host was loaded during the study: 1-minute load {:.2} after it, more than its {} CPUs plus the study's own {own} threads",
            l[0], meta.cpus
        ));
    }
    let over: Vec<String> = summary.iter().filter(|c| c.cores > meta.cpus).map(|c| c.label()).collect();
    if !over.is_empty() {
        w.push(format!(
            "oversubscribed: {} run more threads than the {} CPUs (time slicing; left out of the fits)",
            over.join(", "),
            meta.cpus
        ));
    }
    w
}

/// Run the whole study and write its outputs into `spec.out`.
pub fn run_study(spec: &StudySpec) -> Result<Study> {
    check_spec(spec)?;
    // From here a stop signal ends the study cleanly instead of killing it (and orphaning its run).
    let stop = StopFlag::install();
    let cfg = config::load(&spec.config, &spec.set)?;
    if let Some(l) = &cfg.parallel.layout {
        return Err(Error::config(format!(
            "{}: key `parallel.layout` = {l:?} pins the process grid; remove it (or --set it away) to scale over ranks",
            spec.config.display()
        )));
    }
    let launcher = Launcher::parse(&spec.launcher)?;
    let (ranks, threads) = (dedup(&spec.ranks), dedup(&spec.threads));
    if spec.launch_one || ranks.iter().any(|&r| r > 1) {
        launcher.check_program()?;
        if let Some(w) = launcher.warning() {
            eprintln!("scale: warning: {w}");
        }
    }
    let exe = std::env::current_exe().map_err(|e| Error::other(format!("cannot find the simrun executable: {e}")))?;
    // An earlier study in --out is set aside whole, never mixed with this one's runs (a study
    // rerun from its own config.toml reads it from where it moved).
    let mut config_path = spec.config.clone();
    if spec.out.join("study.json").exists() || spec.out.join("runs").is_dir() {
        let aside = crate::io::aside::name(&spec.out);
        let inside =
            spec.out.canonicalize().ok().and_then(|o| {
                spec.config.canonicalize().ok().and_then(|c| c.strip_prefix(&o).ok().map(|r| aside.join(r)))
            });
        std::fs::rename(&spec.out, &aside)
            .map_err(|e| Error::io(format!("cannot set aside the earlier study in {}: {e}", spec.out.display())))?;
        eprintln!(
            "scale: warning: {} held an earlier study: set aside (renamed, not deleted) as {}",
            spec.out.display(),
            aside.display()
        );
        config_path = inside.unwrap_or(config_path);
    }
    std::fs::create_dir_all(spec.out.join("runs"))
        .map_err(|e| Error::io(format!("cannot create study directory {}: {e}", spec.out.display())))?;

    // The configuration as given, beside the results, so the study can be rerun as it was.
    let given =
        std::fs::read(&config_path).map_err(|e| Error::io(format!("cannot read {}: {e}", config_path.display())))?;
    crate::io::checkpoint::write_atomically(&spec.out.join("config.toml"), &given)?;
    let configs: Vec<(usize, usize)> = ranks.iter().flat_map(|&r| threads.iter().map(move |&t| (r, t))).collect();
    // Grid per configuration, decided (and refused) before anything runs.
    let mut grown = Vec::new();
    for &(r, t) in &configs {
        grown.push(match spec.mode {
            Mode::Strong => None,
            Mode::Weak => Some(weak::grow(&cfg, r * t)?),
        });
    }
    let meta_start = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let load_before = loadavg();
    let machine = Host::probe();
    let bw = bandwidth::measure(machine.cpus, bandwidth::study_array_bytes(&machine), 5)?;
    eprintln!("scale: {}; STREAM-style copy {}", machine.one_line(), bw.one_line());
    let total = configs.len() * spec.repeat;
    let start = Instant::now();
    let mut runs: Vec<RunRecord> = Vec::with_capacity(total);
    eprintln!(
        "scale: {} study of {} over ranks {ranks:?} x threads {threads:?}, {} repeat(s): {total} runs into {}",
        spec.mode.name(),
        spec.config.display(),
        spec.repeat,
        spec.out.display()
    );
    let meta = StudyMeta {
        simrun_version: env!("CARGO_PKG_VERSION").to_string(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        config: spec.config.display().to_string(),
        mode: spec.mode,
        ranks,
        threads,
        repeat: spec.repeat,
        launcher: spec.launcher.clone(),
        launch_one: spec.launch_one,
        set: spec.set.clone(),
        base_grid: crate::grid::Grid::from_config(&cfg.grid).shape(),
        host: machine.hostname.clone(),
        cpus: machine.cpus,
        loadavg_before: load_before,
        loadavg_after: None,
        started: meta_start,
        seconds: 0.0,
        model: cfg.model.to_string(),
        resolved_config: cfg.to_toml(),
        build: crate::build_info().clone(),
        machine,
        bandwidth: Some(bw),
        bytes_per_update: bandwidth::bytes_per_update(cfg.model),
        status: StudyStatus::Partial,
        stopped_by: None,
        runs_planned: total,
    };
    let mut study = assemble(&meta, &configs, &runs, start);
    'runs: for repeat in 1..=spec.repeat {
        for (i, &(r, t)) in configs.iter().enumerate() {
            if stop.raised() {
                break 'runs;
            }
            let mut overrides = spec.set.clone();
            if let Some(g) = &grown[i] {
                overrides.extend(g.overrides.iter().cloned());
            }
            let plan = RunPlan {
                exe: &exe,
                launcher: &launcher,
                launch_one: spec.launch_one,
                config: &config_path,
                ranks: r,
                threads: t,
                repeat,
                overrides,
                expect_grid: grown[i].as_ref().map(|g| g.shape.clone()),
                study_dir: &spec.out,
                keep_outputs: spec.keep_outputs,
                stop: &stop,
                stop_grace: spec.stop_grace,
            };
            let rec = runner::run(&plan);
            progress(&rec, runs.len() + 1, total, start);
            runs.push(rec);
            // After every run: what finished so far is a study of its own (status "partial"
            // while runs remain), so even a study killed outright leaves its results.
            study = assemble(&meta, &configs, &runs, start);
            if runs.len() < total {
                write_study(&study, &spec.out)?;
            }
        }
    }
    study.meta.stopped_by = stop.name().map(str::to_string);
    study.meta.status = if study.meta.stopped_by.is_some() { StudyStatus::Interrupted } else { StudyStatus::Complete };
    study.warnings = warnings(&study.meta, &study.summary, &study.runs);
    for w in &study.warnings {
        eprintln!("scale: warning: {w}");
    }
    write_study(&study, &spec.out)?;
    Ok(study)
}

/// The study as far as `runs` go: summaries, fits, the load after and the seconds so far, the
/// warnings (status as in `meta`).
fn assemble(meta: &StudyMeta, configs: &[(usize, usize)], runs: &[RunRecord], start: Instant) -> Study {
    let (mut summary, baseline) = summary::summarise(meta.mode, configs, runs);
    summary::apply_bound(&mut summary, meta.bandwidth.as_ref(), meta.bytes_per_update);
    let fits = fit::fits(meta.mode, &summary, meta.cpus);
    let mut meta = meta.clone();
    meta.loadavg_after = loadavg();
    meta.seconds = start.elapsed().as_secs_f64();
    let warnings = warnings(&meta, &summary, runs);
    Study { meta, baseline, runs: runs.to_vec(), summary, fits, warnings }
}

/// Every study file into `dir`: the text outputs, then the plots.
fn write_study(study: &Study, dir: &Path) -> Result<()> {
    write::all(study, dir)?;
    plot::study_plots(study, dir)
}

/// One line per finished run: count, configuration, result, elapsed and ETA.
fn progress(rec: &RunRecord, done: usize, total: usize, start: Instant) {
    let elapsed = start.elapsed().as_secs_f64();
    let eta = elapsed / done as f64 * (total - done) as f64;
    let what = format!("ranks {} x threads {} (repeat {})", rec.ranks, rec.threads, rec.repeat);
    if rec.ok {
        eprintln!(
            "scale: [{done}/{total}] {what}: {:.4} ms/step, {:.1} M cell updates/s | elapsed {elapsed:.0} s, ETA {eta:.0} s",
            rec.time_per_step * 1e3,
            rec.cell_updates_per_second / 1e6
        );
    } else {
        eprintln!(
            "scale: [{done}/{total}] {what}: {}: {} | elapsed {elapsed:.0} s, ETA {eta:.0} s",
            if rec.interrupted { "INTERRUPTED" } else { "FAILED" },
            rec.error.as_deref().unwrap_or("unknown error")
        );
    }
}
