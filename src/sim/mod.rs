//! The driver: owns the time loop and every schedule (diagnostics, images, checkpoints, progress,
//! signals, wall-clock limit) and the restart. Models only step; the driver decides when to look
//! at them and what to write. Only the I/O thread ([`crate::io::thread`]) touches HDF5.

mod checkpoints;
mod progress;
mod restart;
pub mod signals;

use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::io::checkpoint::{self, MasterMeta, Stamp};
use crate::io::png_out;
use crate::io::thread::{FinalMeta, Job};
use crate::models::{self, Clock, Diagnostics, Model, StepCtx};
use crate::par::{Comm, Exec};
use crate::report::{PhaseStat, Phases, Report};
use checkpoints::Checkpointer;
use progress::Progressor;
use signals::StopFlag;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the caller asks of one run besides the config.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write the JSON run report here (rank 0).
    pub report: Option<PathBuf>,
    /// Continue from a checkpoint: a checkpoint directory (or its checkpoint.h5), or "latest".
    pub restart: Option<String>,
    /// React to SIGINT/SIGTERM (the command line sets this; library callers usually do not).
    pub handle_signals: bool,
}

/// What a finished run tells its caller.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub steps: u64,
    pub sim_time: f64,
    pub wall_seconds: f64,
    pub diagnostics: Diagnostics,
    pub report: Report,
    /// Why the run stopped early after its final checkpoint (signal, wall limit), if it did.
    pub interrupted: Option<String>,
}

/// Run the configured simulation on `comm` (one process or MPI ranks).
pub fn run(cfg: &Config, comm: &dyn Comm, opts: &RunOptions) -> Result<RunSummary> {
    let wall = Instant::now();
    let mut phases = Phases::default();
    let (grid, periodic) = models::geometry(cfg);
    let decomp = Decomp::new(grid.n, grid.dims, comm.size(), comm.rank(), periodic, cfg.parallel.layout.as_deref())?;
    let exec = Exec::new(cfg.parallel.threads)?;
    let out_dir = PathBuf::from(&cfg.output.dir);
    prepare_output_dir(&out_dir, comm, opts.restart.is_none())?;
    let stop = opts.handle_signals.then(StopFlag::install);

    let mut model = phases.time("setup", || models::build(cfg, &grid, &decomp, &exec, comm))?;
    let config_toml = cfg.to_toml();
    let mut fields: Vec<String> = model.state_names().iter().map(|s| s.to_string()).collect();
    for f in model.field_names() {
        if !fields.iter().any(|g| g == f) {
            fields.push(f.to_string());
        }
    }
    let meta = MasterMeta {
        stamp: Stamp { step: 0, time: 0.0, dt: 0.0 },
        model: model.name().to_string(),
        config_toml: config_toml.clone(),
        state_signature: cfg.state_signature(),
        dims: grid.dims,
        global: grid.n,
        spacing: grid.d,
        layout: decomp.layout_xyz(),
        threads: exec.threads(),
        blocks: (0..comm.size()).map(|r| decomp.block_of(r)).collect(),
        fields,
        state_fields: model.state_names().iter().map(|s| s.to_string()).collect(),
    };
    let mut ckpt = Checkpointer::new(&cfg.checkpoint, &out_dir, meta, comm.rank())?;

    let mut step: u64 = 0;
    let mut time = 0.0f64;
    let mut last_dt = 0.0;
    if let Some(spec) = &opts.restart {
        let root = comm.is_root();
        let say = move |m: &str| {
            if root {
                eprintln!("{m}");
            }
        };
        let t = Instant::now();
        let stamp = restart::restore(spec, cfg, &mut *model, &decomp, comm, &ckpt.io, &say)?;
        phases.add("io", t.elapsed().as_secs_f64());
        (step, time, last_dt) = (stamp.step, stamp.time, stamp.dt);
        ckpt.last_step = Some(step);
        if comm.is_root() {
            say_set_aside(&checkpoint::set_aside(&out_dir, Some(step)), &format!("steps after {step}"));
        }
    }

    let progress = Progressor::new(cfg.output.progress, comm.is_root(), cfg.time.steps, cfg.time.end_time, step);
    let every = cfg.output.diagnostics_every;
    let mut diags = {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
        model.diagnostics(time, &mut ctx)
    };
    check_finite(&*model, &decomp, &grid, comm, step, &diags)?;
    progress.line(step, time, &diags);
    let strict = model.strict_end_time();
    let loop_start = Instant::now();
    let loop_step0 = step;
    let mut interrupted = None;
    // A model may take several steps per call (temporal blocking); a call never straddles a
    // step at which anything is scheduled, so outputs see the same states either way.
    let per_call = model.max_steps_per_call().max(1);
    let mut clocks = Vec::with_capacity(per_call);
    while !done(cfg, step, time, last_dt, strict) {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
        clocks.clear();
        let mut prev_time;
        loop {
            let mut dt = model.dt(&mut ctx);
            if let (None, Some(end)) = (cfg.time.steps, cfg.time.end_time) {
                // Shorten the last step to land on the end time; an overshoot of round-off size
                // is not a reason to change dt (unless the model asks for the strict rule), so a
                // run extended later by a restart continues exactly as an uninterrupted one.
                let slack = if strict { 0.0 } else { 1e-9 * dt };
                if time + dt > end + slack {
                    dt = end - time;
                }
            }
            clocks.push(Clock { step, time, dt });
            prev_time = time;
            step += 1;
            time += dt;
            last_dt = dt;
            if clocks.len() == per_call
                || done(cfg, step, time, last_dt, strict)
                || scheduled(cfg, &ckpt, step, prev_time, time)
            {
                break;
            }
        }
        model.steps(&clocks, &mut ctx)?;
        let finished = done(cfg, step, time, last_dt, strict);

        // One agreement per model call: stop requests, wall-clock schedule, I/O state.
        let signal = stop.as_ref().is_some_and(|s| s.raised());
        let near_limit = comm.is_root()
            && near_wall_limit(cfg, wall.elapsed().as_secs_f64(), &loop_start, step - loop_step0, per_call);
        let t = Instant::now();
        let agreed = ckpt.agree(comm, signal, near_limit)?;
        phases.add("reduce", t.elapsed().as_secs_f64());
        let stamp = Stamp { step, time, dt: last_dt };
        if agreed.stop_signal || agreed.stop_wall {
            interrupted =
                Some(if agreed.stop_signal { "a signal (SIGINT/SIGTERM)" } else { "time.wall_limit" }.to_string());
            let msg = format!(
                "stopping at step {step} on {}: writing a final checkpoint",
                interrupted.as_deref().unwrap_or("")
            );
            progress.finish();
            if comm.is_root() {
                eprintln!("{msg}");
            }
            ckpt.handoff(&*model, &decomp, stamp, &mut phases, true);
            break;
        }
        if cfg.checkpoint.enabled() && (ckpt.due(step, prev_time, time, &agreed) || finished) {
            ckpt.handoff(&*model, &decomp, stamp, &mut phases, finished);
        }
        if every > 0 && step % every == 0 && !finished {
            let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
            diags = model.diagnostics(time, &mut ctx);
            check_finite(&*model, &decomp, &grid, comm, step, &diags)?;
            progress.line(step, time, &diags);
        }
        if cfg.output.images && cfg.output.image_every > 0 && step % cfg.output.image_every == 0 && !finished {
            let path = out_dir.join("images").join(format!("{}_{step:07}.png", model.image_field()));
            phases.time("io", || write_image(&*model, &decomp, &grid, comm, step, time, &path))?;
        }
        progress.update(step, time);
    }
    let loop_seconds = loop_start.elapsed().as_secs_f64();
    {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
        diags = model.diagnostics(time, &mut ctx);
    }
    progress.line(step, time, &diags);
    progress.finish();
    let finite = check_finite(&*model, &decomp, &grid, comm, step, &diags);

    // Final state: one self-contained file gathered on rank 0, written by its I/O thread.
    if finite.is_ok() && interrupted.is_none() {
        let t_io = Instant::now();
        write_final(cfg, &*model, &decomp, &grid, comm, &mut ckpt, Stamp { step, time, dt: last_dt }, &exec)?;
        phases.add("io", t_io.elapsed().as_secs_f64());
    }
    ckpt.drain(comm, &mut phases)?;
    finite?;

    let wall_seconds = wall.elapsed().as_secs_f64();
    let cells = grid.cells();
    let report = Report {
        simrun_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.name().to_string(),
        steps: step,
        sim_time: time,
        wall_seconds,
        cells,
        grid: grid.shape(),
        ranks: comm.size(),
        threads: exec.threads(),
        layout: decomp.layout_xyz(),
        steps_per_sweep: per_call,
        cell_updates_per_second: cells as f64 * (step - loop_step0) as f64 / loop_seconds.max(1e-12),
        loop_seconds,
        phases: phases.all(),
        phases_over_ranks: phase_stats(&phases, comm),
        diagnostics: diags.iter().cloned().collect::<BTreeMap<_, _>>(),
        output_dir: cfg.output.dir.clone(),
    };
    if comm.is_root() {
        if let Some(path) = &opts.report {
            let text = serde_json::to_string_pretty(&report).expect("report serialises");
            std::fs::write(path, text + "\n")
                .map_err(|e| Error::io(format!("cannot write report {}: {e}", path.display())))?;
        }
    }
    Ok(RunSummary { steps: step, sim_time: time, wall_seconds, diagnostics: diags, report, interrupted })
}

/// Has the run reached its end (step count, or end time: exactly if `strict`, else up to
/// round-off)?
fn done(cfg: &Config, step: u64, time: f64, last_dt: f64, strict: bool) -> bool {
    match (cfg.time.steps, cfg.time.end_time) {
        (Some(n), _) => step >= n,
        (None, Some(end)) if strict => time >= end,
        (None, Some(end)) => time >= end - 1e-9 * last_dt.max(f64::MIN_POSITIVE),
        (None, None) => true,
    }
}

/// Stop before `time.wall_limit` with room for two more model calls (of `per_call` steps) and a
/// final checkpoint: the margin is the larger of their mean time and 5 % of the limit.
fn near_wall_limit(cfg: &Config, elapsed: f64, loop_start: &Instant, steps: u64, per_call: usize) -> bool {
    let Some(limit) = cfg.time.wall_limit else { return false };
    let per_step = loop_start.elapsed().as_secs_f64() / steps.max(1) as f64;
    elapsed + (2.0 * per_call as f64 * per_step).max(0.05 * limit) >= limit
}

/// Is anything scheduled by step count or simulated time due after the step that reached `step`
/// (from `prev_time` to `time`): diagnostics, an image, a checkpoint? Wall-clock schedules and
/// signals are agreed between model calls instead.
fn scheduled(cfg: &Config, ckpt: &Checkpointer, step: u64, prev_time: f64, time: f64) -> bool {
    let every = cfg.output.diagnostics_every;
    (every > 0 && step.is_multiple_of(every))
        || (cfg.output.images && cfg.output.image_every > 0 && step.is_multiple_of(cfg.output.image_every))
        || (cfg.checkpoint.enabled() && ckpt.due(step, prev_time, time, &checkpoints::Agreed::default()))
}

/// Create the output directory and check it is writable; remove uncommitted checkpoint leftovers;
/// for a fresh run, set aside the committed checkpoints of an earlier run there.
fn prepare_output_dir(dir: &Path, comm: &dyn Comm, fresh: bool) -> Result<()> {
    let mut status = vec![0u8];
    if comm.is_root() {
        let r = std::fs::create_dir_all(dir.join("images")).and_then(|_| {
            std::fs::create_dir_all(checkpoint::root(dir))?;
            let probe = dir.join(".simrun-write-test");
            std::fs::write(&probe, b"ok")?;
            std::fs::remove_file(probe)
        });
        match r {
            Err(e) => status = format!("output directory {} is not writable: {e}", dir.display()).into_bytes(),
            Ok(()) => {
                checkpoint::remove_uncommitted(dir);
                if fresh {
                    say_set_aside(&checkpoint::set_aside(dir, None), "an earlier run");
                }
            }
        }
    }
    comm.broadcast_bytes(&mut status);
    if status != [0u8] {
        return Err(Error::io(String::from_utf8_lossy(&status).to_string()));
    }
    Ok(())
}

fn say_set_aside(moved: &[PathBuf], whose: &str) {
    if let Some(first) = moved.first() {
        eprintln!(
            "warning: {} committed checkpoint(s) of {whose} set aside (renamed, not deleted), e.g. {}",
            moved.len(),
            first.display()
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn write_final(
    cfg: &Config,
    model: &dyn Model,
    decomp: &Decomp,
    grid: &Grid,
    comm: &dyn Comm,
    ckpt: &mut Checkpointer,
    stamp: Stamp,
    exec: &Exec,
) -> Result<()> {
    let out_dir = PathBuf::from(&cfg.output.dir);
    let mut globals: Vec<(String, Vec<f64>)> = Vec::new();
    let mut local = ckpt.io.buffer(decomp.size.iter().product());
    // The viewing fields, then any state fields not among them (so final.h5 can seed a restart).
    let mut names = model.field_names();
    for n in model.state_names() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    for name in names {
        model.copy_field(name, &mut local);
        if let Some(g) = comm.gather_to_root(decomp, &local) {
            globals.push((name.to_string(), g));
        }
    }
    if !comm.is_root() {
        return Ok(());
    }
    if cfg.output.images {
        if let Some((_, data)) = globals.iter().find(|(n, _)| n == model.image_field()) {
            let title = format!("{} step {} t={:.4e}", model.image_field(), stamp.step, stamp.time);
            let (ny, nx, slice) = slice_for_image(grid, data);
            png_out::write_field_png(&out_dir.join("final.png"), slice, ny, nx, &title)?;
        }
    }
    let meta = FinalMeta {
        model: model.name().to_string(),
        step: stamp.step,
        time: stamp.time,
        dt: stamp.dt,
        config_toml: cfg.to_toml(),
        spacing: grid.d,
        layout: decomp.layout_xyz(),
        threads: exec.threads(),
    };
    ckpt.io.submit(Job::Final {
        path: out_dir.join("final.h5"),
        shape: grid.shape(),
        fields: globals,
        meta: Box::new(meta),
    });
    Ok(())
}

/// NaN/Inf anywhere stops the run: name the step, the field and the first bad cell.
fn check_finite(
    model: &dyn Model,
    decomp: &Decomp,
    grid: &Grid,
    comm: &dyn Comm,
    step: u64,
    diags: &Diagnostics,
) -> Result<()> {
    if diags.iter().all(|(_, v)| v.is_finite()) {
        return Ok(());
    }
    // Lowest global index of a bad cell over ranks (field index major).
    let names = model.field_names();
    let cells = grid.cells() as f64;
    let mut key = [f64::INFINITY];
    if let Some((name, c)) = model.first_non_finite() {
        let fi = names.iter().position(|n| *n == name).unwrap_or(0) as f64;
        let g = [decomp.offset[0] + c[0], decomp.offset[1] + c[1], decomp.offset[2] + c[2]];
        let lin = ((g[0] * grid.n[1] + g[1]) * grid.n[2] + g[2]) as f64;
        key[0] = fi * cells + lin;
    }
    comm.min_f64(&mut key);
    if !key[0].is_finite() {
        let bad: Vec<&str> = diags.iter().filter(|(_, v)| !v.is_finite()).map(|(k, _)| k.as_str()).collect();
        return Err(Error::numerical(format!("non-finite diagnostics at step {step}: {}", bad.join(", "))));
    }
    let fi = (key[0] / cells).floor();
    let lin = (key[0] - fi * cells) as usize;
    let (x, y, z) = (lin % grid.n[2], (lin / grid.n[2]) % grid.n[1], lin / (grid.n[1] * grid.n[2]));
    let at = if grid.dims == 3 { format!("cell (x={x}, y={y}, z={z})") } else { format!("cell (x={x}, y={y})") };
    Err(Error::numerical(format!(
        "non-finite value (NaN or Inf) in field `{}` at step {step}, {at}: the run is unstable; reduce time.dt or time.cfl",
        names[fi as usize]
    )))
}

/// A 2-D picture of the field: the field itself in 2-D, the middle z-slice in 3-D.
fn slice_for_image<'a>(grid: &Grid, data: &'a [f64]) -> (usize, usize, &'a [f64]) {
    let (ny, nx) = (grid.n[1], grid.n[2]);
    let k = if grid.dims == 3 { grid.n[0] / 2 } else { 0 };
    (ny, nx, &data[k * ny * nx..(k + 1) * ny * nx])
}

fn write_image(
    model: &dyn Model,
    decomp: &Decomp,
    grid: &Grid,
    comm: &dyn Comm,
    step: u64,
    time: f64,
    path: &Path,
) -> Result<()> {
    let mut local = vec![0.0; decomp.size.iter().product()];
    model.copy_field(model.image_field(), &mut local);
    if let Some(g) = comm.gather_to_root(decomp, &local) {
        let (ny, nx, slice) = slice_for_image(grid, &g);
        let title = format!("{} step {step} t={time:.4e}", model.image_field());
        png_out::write_field_png(path, slice, ny, nx, &title)?;
    }
    Ok(())
}

/// Max and mean of every phase over ranks (rank 0's phase list, the same on every rank).
fn phase_stats(phases: &Phases, comm: &dyn Comm) -> BTreeMap<String, PhaseStat> {
    let all = phases.all();
    let mut names = all.keys().cloned().collect::<Vec<_>>().join("\n").into_bytes();
    comm.broadcast_bytes(&mut names);
    let names: Vec<String> = String::from_utf8_lossy(&names).split('\n').map(str::to_string).collect();
    let vals: Vec<f64> = names.iter().map(|n| all.get(n).copied().unwrap_or(0.0)).collect();
    let mut max = vals.clone();
    comm.max_f64(&mut max);
    let mut out = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        let mut acc = crate::par::ExactSum::new();
        acc.add(vals[i]);
        let mean = comm.sum_exact(&mut acc) / comm.size() as f64;
        out.insert(n.clone(), PhaseStat { max: max[i], mean });
    }
    out
}
