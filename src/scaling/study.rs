//! The study loop: check everything that can be checked before the first run, launch every
//! configuration `repeat` times (interleaved), show progress and ETA on stderr, then summarise,
//! fit, write and plot.

use super::runner::{self, Launcher, RunPlan};
use super::{bandwidth, fit, plot, summary, weak, write, ConfigSummary, Mode, RunRecord, Study, StudyMeta, StudySpec};
use crate::config;
use crate::error::{Error, Result};
use crate::host::{loadavg, Host};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `simrun scale`: run the study, write DIR, print the summary; an error if any run failed
/// (after everything is written).
pub fn scale_command(spec: &StudySpec) -> Result<()> {
    let study = run_study(spec)?;
    print!("{}", write::summary_markdown(&study));
    let failed = study.runs.iter().filter(|r| !r.ok).count();
    eprintln!("scale: wrote {}/{{study.csv, summary.csv, study.json, summary.md, *.png, *.svg}}", spec.out.display());
    if failed > 0 {
        return Err(Error::other(format!(
            "{failed} of {} runs failed (errors in {}/study.json)",
            study.runs.len(),
            spec.out.display()
        )));
    }
    Ok(())
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

/// What makes the study's timings less trustworthy, one sentence each: a loaded host,
/// oversubscribed configurations. (Fits that mean nothing are flagged on the fits.)
pub fn warnings(meta: &StudyMeta, summary: &[ConfigSummary]) -> Vec<String> {
    let mut w = Vec::new();
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
    for repeat in 1..=spec.repeat {
        for (i, &(r, t)) in configs.iter().enumerate() {
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
            };
            let rec = runner::run(&plan);
            progress(&rec, runs.len() + 1, total, start);
            runs.push(rec);
        }
    }
    let (mut summary, baseline) = summary::summarise(spec.mode, &configs, &runs);
    let bytes_per_update = bandwidth::bytes_per_update(cfg.model);
    summary::apply_bound(&mut summary, Some(&bw), bytes_per_update);
    let fits = fit::fits(spec.mode, &summary, machine.cpus);
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
        loadavg_after: loadavg(),
        started: meta_start,
        seconds: start.elapsed().as_secs_f64(),
        model: cfg.model.to_string(),
        resolved_config: cfg.to_toml(),
        build: crate::build_info().clone(),
        machine,
        bandwidth: Some(bw),
        bytes_per_update,
    };
    let warnings = warnings(&meta, &summary);
    for w in &warnings {
        eprintln!("scale: warning: {w}");
    }
    let study = Study { meta, baseline, runs, summary, fits, warnings };
    write::all(&study, &spec.out)?;
    plot::study_plots(&study, &spec.out)?;
    Ok(study)
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
            "scale: [{done}/{total}] {what}: FAILED: {} | elapsed {elapsed:.0} s, ETA {eta:.0} s",
            rec.error.as_deref().unwrap_or("unknown error")
        );
    }
}
