//! The driver: owns the time loop and every schedule (diagnostics, images, checkpoints, progress,
//! signals, wall-clock limit) and the restart. Models only step; the driver decides when to look
//! at them and what to write. Only the I/O thread ([`crate::io::thread`]) touches HDF5.
//!
//! Order of a run, so that a run that fails early changes nothing on disk: check the report path
//! and lock the output directory, allocate the model, read and verify a restart checkpoint, check
//! the initial state is finite, take the first model call; only then take the output directory
//! over ([`output_dir::take_over`]: set aside an earlier history, remove a crash's leftovers).

mod checkpoints;
mod diag_log;
mod field_outputs;
mod finish;
mod finite;
pub mod output_dir;
mod progress;
mod restart;
pub mod schedule;
pub mod signals;
mod wall;

use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::{Error, ErrorKind, Result};
use crate::io::checkpoint::{MasterMeta, Stamp};
use crate::models::{self, Clock, Diagnostics, Model, StepCtx};
use crate::par::{Comm, Exec};
use crate::report::{PhaseSample, Phases, Report, SteadyState};
use checkpoints::Checkpointer;
use diag_log::DiagLog;
use field_outputs::FieldOutputs;
use finite::check_finite;
use progress::Progressor;
use schedule::Stepping;
use signals::StopFlag;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// What the caller asks of one run besides the config.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write the JSON run report here (rank 0).
    pub report: Option<PathBuf>,
    /// Continue from a checkpoint: a checkpoint directory (or its checkpoint.h5), "latest", or
    /// "auto" (the newest of the committed checkpoints and final.h5, else start fresh).
    pub restart: Option<String>,
    /// React to SIGINT/SIGTERM/SIGUSR1/SIGUSR2 through these handlers (the command line
    /// installs them first thing, before MPI starts, so that a signal during start-up is not
    /// lost or fatal; library callers usually pass none).
    pub stop: Option<StopFlag>,
    /// A line rank 0 prints once the run is known to start (after the checks that can refuse it).
    pub banner: Option<String>,
}

/// What a finished run tells its caller.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The step reached (counted from the start of the simulation, restarts included).
    pub steps: u64,
    /// The step this run started from (0, or the restored state's).
    pub start_step: u64,
    pub sim_time: f64,
    pub wall_seconds: f64,
    pub diagnostics: Diagnostics,
    pub report: Report,
    /// This rank's phases with their calls, for the end-of-run profile over ranks.
    pub samples: BTreeMap<String, PhaseSample>,
    /// Why the run stopped early after its final checkpoint (signal, wall limit), if it did.
    pub interrupted: Option<String>,
    /// The restart checkpoint was already at the end: nothing was computed or written.
    pub already_done: bool,
}

/// Agree on the outcome of a check rank 0 made: every rank returns the same error.
fn agree_root(r: Result<()>, comm: &dyn Comm) -> Result<()> {
    let mut bytes = match &r {
        Ok(()) => Vec::new(),
        Err(e) => {
            let mut b = vec![e.exit_code() as u8];
            b.extend(e.message.as_bytes());
            b
        }
    };
    comm.broadcast_bytes(&mut bytes);
    match bytes.split_first() {
        None => Ok(()),
        Some((&code, msg)) => {
            let kind = match code {
                2 => ErrorKind::Config,
                3 => ErrorKind::Numerical,
                4 => ErrorKind::Io,
                _ => ErrorKind::Other,
            };
            Err(Error { kind, message: String::from_utf8_lossy(msg).to_string() })
        }
    }
}

/// A random id for this run (rank 0's, shared): every data file it writes carries it.
fn run_id(comm: &dyn Comm) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    let mut bytes = h.finish().to_le_bytes().to_vec();
    comm.broadcast_bytes(&mut bytes);
    u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]))
}

/// How far a run got: kept up to date as it goes, so a run that fails still tells its step,
/// time and phases (the front end puts them in the report of a failed run).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub step: u64,
    pub sim_time: f64,
    /// Seconds of the time loop so far.
    pub loop_seconds: f64,
    /// This rank's phases (seconds and calls).
    pub phases: Phases,
}

/// Run the configured simulation on `comm` (one process or MPI ranks).
pub fn run(cfg: &Config, comm: &dyn Comm, opts: &RunOptions) -> Result<RunSummary> {
    run_tracked(cfg, comm, opts, &mut Progress::default())
}

/// [`run`], recording how far it got in `tracked` (step, time, phases), also when it fails.
pub fn run_tracked(cfg: &Config, comm: &dyn Comm, opts: &RunOptions, tracked: &mut Progress) -> Result<RunSummary> {
    let Progress { step: reached, sim_time: reached_time, loop_seconds: reached_loop, phases } = tracked;
    let wall = Instant::now();
    let (grid, periodic) = models::geometry(cfg);
    let decomp = Decomp::new(grid.n, grid.dims, comm.size(), comm.rank(), periodic, cfg.parallel.layout.as_deref())?;
    let exec = Exec::new(cfg.parallel.threads)?;
    let out_dir = PathBuf::from(&cfg.output.dir);
    let root = comm.is_root();

    // Checks that can refuse the run, before anything is written.
    let mut lock = None;
    let preflight = if root && opts.restart.as_deref() == Some("latest") && !out_dir.is_dir() {
        // Nothing to continue from: refused without creating the directory.
        Err(Error::config(format!(
            "--restart latest: there is no output directory {} (no checkpoint to continue from)",
            out_dir.display()
        )))
    } else if root {
        // The lock first: it creates the output directory, where a report may go.
        output_dir::lock(&out_dir).and_then(|l| {
            lock = Some(l);
            opts.report.as_deref().map_or(Ok(()), output_dir::check_report_path)
        })
    } else {
        Ok(())
    };
    agree_root(preflight, comm)?;
    let stop = opts.stop.clone();

    let mut model = phases.time("setup", || models::build(cfg, &grid, &decomp, &exec, comm))?;
    if model.field_names() != cfg.spec().view_fields() || model.state_names() != cfg.spec().state_fields() {
        return Err(Error::other(format!(
            "model `{}`: its field lists differ from its registry entry's",
            model.name()
        )));
    }
    let outputs = FieldOutputs::new(cfg, &*model);
    let mut fields: Vec<String> = model.state_names().iter().map(|s| s.to_string()).collect();
    for f in model.field_names() {
        if !fields.iter().any(|g| g == f) {
            fields.push(f.to_string());
        }
    }
    let meta = MasterMeta {
        stamp: Stamp::default(),
        model: model.name().to_string(),
        config_toml: cfg.to_toml(),
        state_signature: cfg.state_signature(),
        dims: grid.dims,
        global: grid.n,
        spacing: grid.d,
        layout: decomp.layout_xyz(),
        threads: exec.threads(),
        ranks: comm.size(),
        fields,
        state_fields: model.state_names().iter().map(|s| s.to_string()).collect(),
    };
    let group = checkpoints::file_group(comm, cfg.checkpoint.ranks_per_file);
    let mut ckpt = Checkpointer::new(&cfg.checkpoint, &out_dir, meta, comm.rank(), run_id(comm), group)?;
    if cfg.checkpoint.enabled() {
        phases.time("setup", || ckpt.reserve(&mut *model, &decomp));
    }
    let mut announce = || {
        if let (true, Some(b)) = (root, &opts.banner) {
            eprintln!("{b}");
        }
    };

    let mut step: u64 = 0;
    let mut time = 0.0f64;
    let mut last_dt = 0.0;
    // The steady-state change at `step` as checkpoints and final.h5 record it (finite, measured
    // under time.steady_tolerance).
    let mut change: Option<f64> = None;
    let mut restart_step = None;
    let spec = match opts.restart.as_deref() {
        Some("auto") => {
            // Continue if there is anything to continue from (a committed checkpoint or the
            // final state), else start fresh (batch chains).
            let mut any = [0.0];
            if root {
                let found = crate::io::checkpoint::lifecycle::try_list_committed(&out_dir);
                any[0] = found.as_ref().map_or(1.0, |v| !v.is_empty() as u8 as f64);
                if out_dir.join("final.h5").is_file() {
                    any[0] = 1.0;
                }
            }
            comm.max_f64(&mut any);
            if any[0] > 0.0 {
                Some("auto")
            } else {
                if root {
                    eprintln!(
                        "--restart auto: no committed checkpoint or final.h5 in {}: starting from the initial state",
                        out_dir.display()
                    );
                }
                None
            }
        }
        other => other,
    };
    if let Some(spec) = spec {
        let say = move |m: &str| {
            if root {
                eprintln!("{m}");
            }
        };
        let t = Instant::now();
        let (stamp, dir) = restart::restore(spec, cfg, &mut *model, &decomp, comm, &ckpt.io, &say, &mut announce)?;
        if !matches!(spec, "latest" | "auto") {
            ckpt.protect = Some(dir);
        }
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut *phases };
        model.after_restore(&mut ctx)?;
        phases.add("io", t.elapsed().as_secs_f64());
        (step, time, last_dt, change) = (stamp.step, stamp.time, stamp.dt, stamp.change);
        ckpt.last_step = Some(step);
        restart_step = Some(step);
    } else {
        announce();
        if root {
            for w in cfg.spec().start_warnings(cfg) {
                eprintln!("warning: {w}");
            }
        }
    }
    // The steps land on the end time and on the timed field outputs (time.align_outputs): output
    // k of a schedule every T is at k x T, computed from k, so a restart lands on the same bits.
    let stepping = Stepping::of(cfg);
    // What a blow-up's message advises to lower.
    let cfl_key = cfg.spec().cfl_key();
    if restart_step.is_some() && stepping.done(step, time, last_dt) {
        if root {
            let end = match (cfg.time.steps, cfg.time.end_time) {
                (Some(n), _) => format!("time.steps = {n}"),
                (None, Some(e)) => format!("time.end_time = {e}"),
                _ => "the end".into(),
            };
            eprintln!(
                "nothing to do: the state restored at step {step} (t={time:e}) already reaches {end}; raise it to continue (nothing was written)"
            );
        }
        return Ok(summary_without_steps(cfg, model.as_ref(), &grid, comm, &exec, &decomp, step, time, wall));
    }
    // A run that stopped at its steady state, restarted with the same tolerance: it is there
    // (another step would rewrite final.h5 and add a checkpoint for each restart).
    if let (Some(_), Some(tol), Some(c)) = (restart_step, cfg.time.steady_tolerance, change) {
        if c < tol {
            if root {
                eprintln!(
                    "nothing to do: the state restored at step {step} (t={time:e}) is steady (change {c:e} < time.steady_tolerance = {tol:e}); lower the tolerance to continue (nothing was written)"
                );
            }
            let mut done = summary_without_steps(cfg, model.as_ref(), &grid, comm, &exec, &decomp, step, time, wall);
            done.report.steady_state = Some(Box::new(SteadyState {
                reached: true,
                tolerance: tol,
                step: Some(step),
                time: Some(time),
                change: c,
            }));
            return Ok(done);
        }
    }

    let (budget, note) = if root { wall::budget(cfg) } else { (None, None) };
    if let Some(n) = note {
        eprintln!("{n}");
    }
    let progress = Progressor::new(cfg.output.progress, root, cfg.time.steps, cfg.time.end_time, step)
        .with_steady(cfg.time.steady_tolerance);
    let every = cfg.output.diagnostics_every;
    let mut diags = {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut *phases };
        model.diagnostics(time, &mut ctx)
    };
    // diagnostics.csv: rank 0's compute thread appends a row with each progress line.
    let mut csv = root.then(|| DiagLog::new(&out_dir, &diags, restart_step, every));
    let stamp = Stamp { step, time, dt: last_dt, change };
    diag_log::append(&mut csv, &mut ckpt, phases, stamp, &wall, &diags, true);
    check_finite(&*model, &decomp, &grid, comm, step, &diags, cfl_key)?;
    progress.line(step, time, &diags);
    let loop_start = Instant::now();
    let loop_step0 = step;
    let mut interrupted = None;
    let mut taken_over = false;
    // A model may take several steps per call (temporal blocking; asked before every call, as a
    // model may time plans of different steps in its first calls); a call never straddles a step
    // at which anything is scheduled, so outputs see the same states either way.
    let mut clocks = Vec::new();
    // A fresh run's field outputs of the initial state, handed to the I/O thread once the run
    // has taken the output directory over.
    let mut initial = if restart_step.is_none() {
        outputs.collect(&*model, &decomp, &grid, comm, &mut ckpt.io, Stamp::at(step, time, 0.0), time, time, true)
    } else {
        Vec::new()
    };
    // time.steady_tolerance: the step and time at which the change fell below it, and the last
    // change measured.
    let mut steady: Option<(u64, f64)> = None;
    let mut last_change = change.unwrap_or(f64::NAN);
    // A failure in the loop (the model's, a non-finite state, checkpoint I/O) is the same on every
    // rank: each of them leaves the loop with it.
    let mut failure: Option<Error> = None;
    while !stepping.done(step, time, last_dt) && steady.is_none() {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut *phases };
        let per_call = model.max_steps_per_call().max(1);
        clocks.clear();
        let mut prev_time;
        loop {
            let (dt, reached) = stepping.step(time, model.dt(&mut ctx));
            clocks.push(Clock { step, time, dt });
            prev_time = time;
            step += 1;
            time = reached;
            last_dt = dt;
            if clocks.len() == per_call
                || stepping.done(step, time, last_dt)
                || scheduled(cfg, &ckpt, &outputs, step, prev_time, time)
            {
                break;
            }
        }
        if let Err(e) = model.steps(&clocks, &mut ctx) {
            failure = Some(e);
            break;
        }
        for w in model.take_warnings(false) {
            if root {
                progress.warn(&format!("warning: {w}"));
            }
        }
        (*reached, *reached_time, *reached_loop) = (step, time, loop_start.elapsed().as_secs_f64());
        if !taken_over {
            // The run is under way: now it may change the output directory.
            take_over(root, &out_dir, restart_step, &outputs, &grid, &mut initial, &mut csv, &mut ckpt, phases);
            taken_over = true;
        }
        if let Some(tol) = cfg.time.steady_tolerance {
            // The model's measure is the same on every rank, so all ranks stop together.
            last_change = model.steady_change().unwrap_or(f64::NAN);
            change = Some(last_change).filter(|c| c.is_finite());
            progress.note_change(last_change);
            if last_change < tol {
                // A state gone non-finite can measure no change (NaN is no maximum): not steady.
                let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut *phases };
                let now = model.diagnostics(time, &mut ctx);
                if let Err(e) = check_finite(&*model, &decomp, &grid, comm, step, &now, cfl_key) {
                    failure = Some(e);
                    break;
                }
                steady = Some((step, time));
                if root {
                    progress.finish();
                    eprintln!("steady state at step {step} (t={time:e}): change {last_change:e} < time.steady_tolerance = {tol:e}");
                }
            }
        }
        let at_end = stepping.done(step, time, last_dt);
        let finished = at_end || steady.is_some();
        // Field outputs before anything that may end the loop (a stop request): a checkpoint at
        // this step comes after them on rank 0's I/O thread.
        // The last step reaches the end time for the schedules (the run ends within round-off
        // of it), so an output due at the end time is written without time.align_outputs too.
        let at = stepping.schedule_time(time, at_end);
        if outputs.due(step, prev_time, at) {
            let stamp = Stamp { step, time, dt: last_dt, change };
            let t = Instant::now();
            let jobs = outputs.collect(&*model, &decomp, &grid, comm, &mut ckpt.io, stamp, prev_time, at, false);
            for job in jobs {
                ckpt.io.submit(job);
            }
            phases.add("io", t.elapsed().as_secs_f64());
        }

        // One agreement per model call: stop requests, wall-clock schedule, I/O state.
        let signal = stop.as_ref().is_some_and(|s| s.raised());
        let near_limit = root
            && budget.is_some_and(|limit| {
                let calls = (step - loop_step0).div_ceil(per_call as u64).max(1) as f64;
                wall::near(
                    limit,
                    wall.elapsed().as_secs_f64(),
                    loop_start.elapsed().as_secs_f64() / calls,
                    ckpt.longest_write(),
                )
            });
        let t = Instant::now();
        let agreed = match ckpt.agree(comm, signal, near_limit) {
            Ok(a) => a,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        phases.add("reduce", t.elapsed().as_secs_f64());
        let stamp = Stamp { step, time, dt: last_dt, change };
        // A stop asked for at the run's last step is not an interruption: the run is done, and
        // writes its final state and checkpoint as any finished run (stopping here once left a
        // committed end checkpoint and no final.h5, which no restart would write).
        if (agreed.stop_signal || agreed.stop_wall) && !finished {
            interrupted = Some(if agreed.stop_signal {
                format!("a signal ({})", stop.as_ref().and_then(|s| s.name()).unwrap_or("on another rank"))
            } else {
                "time.wall_limit".to_string()
            });
            progress.finish();
            if root {
                eprintln!(
                    "stopping at step {step} on {}: writing a final checkpoint",
                    interrupted.as_deref().unwrap_or("")
                );
            }
            ckpt.handoff(&mut *model, &decomp, comm, stamp, phases, true);
            break;
        }
        if cfg.checkpoint.enabled() && (ckpt.due(step, prev_time, time, &agreed) || finished) {
            ckpt.handoff(&mut *model, &decomp, comm, stamp, phases, finished);
        }
        if every > 0 && step.is_multiple_of(every) && !finished {
            let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut *phases };
            diags = model.diagnostics(time, &mut ctx);
            diag_log::append(
                &mut csv,
                &mut ckpt,
                phases,
                Stamp { step, time, dt: last_dt, change },
                &wall,
                &diags,
                false,
            );
            if let Err(e) = check_finite(&*model, &decomp, &grid, comm, step, &diags, cfl_key) {
                failure = Some(e);
                break;
            }
            progress.line(step, time, &diags);
        }
        // The last step's frame too (beside final.png): a run continued from final.h5 draws none
        // at the step it starts from, so the series would miss it.
        if cfg.output.images && cfg.output.image_every > 0 && step.is_multiple_of(cfg.output.image_every) {
            let path = out_dir.join("images").join(format!("{}_{step:07}.png", finish::image_field(cfg, &*model)));
            let stamp = Stamp { step, time, dt: last_dt, change };
            phases.time("io", || finish::submit_image(cfg, &*model, &decomp, &grid, comm, &mut ckpt, stamp, path));
        }
        progress.update(step, time);
    }
    if let Some(e) = failure {
        progress.finish();
        // The checkpoints handed over before the failure hold good states (a non-finite one is
        // refused by its I/O thread): finish and commit them, so that the newest committed
        // checkpoint is the last good state. This failure is reported, not the drain's.
        let _ = ckpt.drain(comm, phases);
        return Err(e);
    }
    let loop_seconds = loop_start.elapsed().as_secs_f64();
    for w in model.take_warnings(true) {
        if root {
            progress.warn(&format!("warning: {w}"));
        }
    }
    {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut *phases };
        diags = model.diagnostics(time, &mut ctx);
    }
    // A run that took no step (time.steps = 0) takes the directory and the file over only now.
    if !taken_over {
        take_over(root, &out_dir, restart_step, &outputs, &grid, &mut initial, &mut csv, &mut ckpt, phases);
        taken_over = true;
    }
    diag_log::append(&mut csv, &mut ckpt, phases, Stamp { step, time, dt: last_dt, change }, &wall, &diags, false);
    ckpt.diagnostics_csv = csv.as_ref().and_then(DiagLog::path);
    progress.line(step, time, &diags);
    progress.finish();
    let finite = check_finite(&*model, &decomp, &grid, comm, step, &diags, cfl_key);

    // Final state: one self-contained file gathered on rank 0, written by its I/O thread.
    if finite.is_ok() && interrupted.is_none() {
        let stamp = Stamp { step, time, dt: last_dt, change };
        finish::write_final(cfg, &mut *model, &decomp, &grid, comm, &mut ckpt, stamp, &exec, phases);
    }
    if root && taken_over {
        ckpt.io.submit(crate::io::thread::Job::FieldSeriesFinish);
    }
    ckpt.drain(comm, phases)?;
    finite?;

    let wall_seconds = wall.elapsed().as_secs_f64();
    let cells = grid.cells();
    let report = Report {
        simrun_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.name().to_string(),
        steps: step,
        start_step: restart_step.unwrap_or(0),
        sim_time: time,
        wall_seconds,
        cells,
        grid: grid.shape(),
        grid_xyz: grid.shape_xyz(),
        ranks: comm.size(),
        threads: exec.threads(),
        layout: decomp.layout_xyz(),
        steps_per_sweep: model.max_steps_per_call().max(1),
        cell_updates_per_second: cells as f64 * (step - loop_step0) as f64 / loop_seconds.max(1e-12),
        loop_seconds,
        phases: phases.all(),
        phases_over_ranks: finish::phase_stats(phases, comm),
        diagnostics: diags.iter().cloned().collect::<BTreeMap<_, _>>(),
        output_dir: cfg.output.dir.clone(),
        io_thread: Some(ckpt.io_writes()),
        steady_state: cfg.time.steady_tolerance.map(|tolerance| {
            Box::new(SteadyState {
                reached: steady.is_some(),
                tolerance,
                step: steady.map(|s| s.0),
                time: steady.map(|s| s.1),
                change: last_change,
            })
        }),
        sweep_trial: model.sweep_trial().map(Box::new),
    };
    drop(lock);
    Ok(RunSummary {
        steps: step,
        start_step: restart_step.unwrap_or(0),
        sim_time: time,
        wall_seconds,
        diagnostics: diags,
        report,
        samples: phases.samples(),
        interrupted,
        already_done: false,
    })
}

/// The summary of a restart that had nothing left to do.
#[allow(clippy::too_many_arguments)]
fn summary_without_steps(
    cfg: &Config,
    model: &dyn Model,
    grid: &crate::grid::Grid,
    comm: &dyn Comm,
    exec: &Exec,
    decomp: &Decomp,
    step: u64,
    time: f64,
    wall: Instant,
) -> RunSummary {
    let report = Report {
        simrun_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.name().to_string(),
        steps: step,
        start_step: step,
        sim_time: time,
        wall_seconds: wall.elapsed().as_secs_f64(),
        cells: grid.cells(),
        grid: grid.shape(),
        grid_xyz: grid.shape_xyz(),
        ranks: comm.size(),
        threads: exec.threads(),
        layout: decomp.layout_xyz(),
        steps_per_sweep: model.max_steps_per_call().max(1),
        cell_updates_per_second: 0.0,
        loop_seconds: 0.0,
        phases: Phases::default().all(),
        phases_over_ranks: BTreeMap::new(),
        diagnostics: BTreeMap::new(),
        output_dir: cfg.output.dir.clone(),
        io_thread: None,
        steady_state: None,
        sweep_trial: model.sweep_trial().map(Box::new),
    };
    RunSummary {
        steps: step,
        start_step: step,
        sim_time: time,
        wall_seconds: report.wall_seconds,
        diagnostics: Vec::new(),
        report,
        samples: BTreeMap::new(),
        interrupted: None,
        already_done: true,
    }
}

/// The one moment a run takes its output directory over: after its first model call, or at its
/// end if it takes none. Rank 0 sets an earlier history aside, starts the field outputs and hands
/// the initial state's over; the diagnostics file is taken over.
#[allow(clippy::too_many_arguments)]
fn take_over(
    root: bool,
    out_dir: &std::path::Path,
    restart_step: Option<u64>,
    outputs: &FieldOutputs,
    grid: &crate::grid::Grid,
    initial: &mut Vec<crate::io::thread::Job>,
    csv: &mut Option<DiagLog>,
    ckpt: &mut Checkpointer,
    phases: &mut Phases,
) {
    if root {
        output_dir::take_over(out_dir, restart_step, &ckpt.io);
        outputs.start(&ckpt.io, grid, restart_step);
        for job in initial.drain(..) {
            ckpt.io.submit(job);
        }
    }
    diag_log::take_over(csv, ckpt, phases);
}

/// Is anything scheduled by step count or simulated time due after the step that reached `step`
/// (from `prev_time` to `time`): diagnostics, an image, a checkpoint, a field output? Wall-clock schedules and
/// signals are agreed between model calls instead.
fn scheduled(cfg: &Config, ckpt: &Checkpointer, outputs: &FieldOutputs, step: u64, prev_time: f64, time: f64) -> bool {
    let every = cfg.output.diagnostics_every;
    (every > 0 && step.is_multiple_of(every))
        || (cfg.output.images && cfg.output.image_every > 0 && step.is_multiple_of(cfg.output.image_every))
        || (cfg.checkpoint.enabled() && ckpt.due(step, prev_time, time, &checkpoints::Agreed::default()))
        || outputs.due(step, prev_time, time)
}
