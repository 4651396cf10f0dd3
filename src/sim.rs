//! The driver: owns the time loop and every schedule (diagnostics, images, progress, output).
//! Models only step; the driver decides when to look at them and what to write.

use crate::config::{Config, Progress};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::io::{hdf5_out, png_out};
use crate::models::{self, Clock, Diagnostics, Model, StepCtx};
use crate::par::{Comm, Exec};
use crate::report::{PhaseStat, Phases, Report};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the caller asks of one run besides the config.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write the JSON run report here (rank 0).
    pub report: Option<PathBuf>,
}

/// What a finished run tells its caller.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub steps: u64,
    pub sim_time: f64,
    pub wall_seconds: f64,
    pub diagnostics: Diagnostics,
    pub report: Report,
}

struct Progressor {
    bar: Option<ProgressBar>,
    log: bool,
    start: Instant,
    total_steps: Option<u64>,
    end_time: Option<f64>,
}

impl Progressor {
    fn new(mode: Progress, is_root: bool, total_steps: Option<u64>, end_time: Option<f64>) -> Progressor {
        let terminal = std::io::stderr().is_terminal();
        let (bar, log) = match (is_root, mode) {
            (false, _) | (_, Progress::Off) => (false, false),
            (true, Progress::Bar) => (true, false),
            (true, Progress::Log) => (false, true),
            (true, Progress::Auto) => (terminal, !terminal),
        };
        let bar = bar.then(|| {
            let len = total_steps.unwrap_or(0);
            let pb = ProgressBar::new(len);
            pb.set_style(
                ProgressStyle::with_template("{bar:30} step {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]")
                    .expect("valid template"),
            );
            pb
        });
        Progressor { bar, log, start: Instant::now(), total_steps, end_time }
    }

    fn fraction(&self, step: u64, time: f64) -> f64 {
        match (self.total_steps, self.end_time) {
            (Some(n), _) if n > 0 => step as f64 / n as f64,
            (_, Some(e)) if e > 0.0 => time / e,
            _ => 1.0,
        }
    }

    fn update(&self, step: u64, time: f64, every: u64) {
        if let Some(pb) = &self.bar {
            if self.total_steps.is_none() {
                // Unknown step count: drive the bar by simulated time, in permille.
                pb.set_length(1000);
                pb.set_position((self.fraction(step, time) * 1000.0) as u64);
            } else {
                pb.set_position(step);
            }
            if step % every.max(1) == 0 {
                let rate = step as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
                pb.set_message(format!("t={time:.4e} {rate:.1} steps/s"));
            }
        }
    }

    fn line(&self, step: u64, time: f64, diags: &Diagnostics) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let rate = step as f64 / elapsed.max(1e-9);
        let frac = self.fraction(step, time);
        let eta = if frac > 0.0 { elapsed * (1.0 - frac) / frac } else { 0.0 };
        let d: Vec<String> = diags.iter().map(|(k, v)| format!("{k}={v:.6e}")).collect();
        let text = format!(
            "step {step} t={time:.6e} {:.0}% {rate:.1} steps/s eta {eta:.1}s | {}",
            frac * 100.0,
            d.join(" ")
        );
        if let Some(pb) = &self.bar {
            pb.println(text);
        } else if self.log {
            eprintln!("{text}");
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// Run the configured simulation on `comm` (one process or MPI ranks).
pub fn run(cfg: &Config, comm: &dyn Comm, opts: &RunOptions) -> Result<RunSummary> {
    let wall = Instant::now();
    let mut phases = Phases::default();
    let (grid, periodic) = models::geometry(cfg);
    let decomp = Decomp::new(grid.n, grid.dims, comm.size(), comm.rank(), periodic, cfg.parallel.layout.as_deref())?;
    let exec = Exec::new(cfg.parallel.threads)?;
    let out_dir = PathBuf::from(&cfg.output.dir);
    prepare_output_dir(&out_dir, comm)?;

    let mut model = phases.time("setup", || models::build(cfg, &grid, &decomp, &exec))?;
    let config_toml = cfg.to_toml();
    let progress = Progressor::new(cfg.output.progress, comm.is_root(), cfg.time.steps, cfg.time.end_time);
    let every = cfg.output.diagnostics_every;

    let mut step: u64 = 0;
    let mut time = 0.0f64;
    let mut last_dt = 0.0;
    let mut diags = {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
        model.diagnostics(time, &mut ctx)
    };
    check_finite(&*model, &decomp, &grid, comm, step, &diags)?;
    progress.line(step, time, &diags);
    let loop_start = Instant::now();
    loop {
        if done(cfg, step, time, last_dt, model.strict_end_time()) {
            break;
        }
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
        let mut dt = model.dt(&mut ctx);
        if let (None, Some(end)) = (cfg.time.steps, cfg.time.end_time) {
            if time + dt > end {
                dt = end - time;
            }
        }
        model.step(Clock { step, time, dt }, &mut ctx)?;
        step += 1;
        time += dt;
        last_dt = dt;
        let finished = done(cfg, step, time, last_dt, model.strict_end_time());
        if every > 0 && step % every == 0 && !finished {
            diags = model.diagnostics(time, &mut ctx);
            check_finite(&*model, &decomp, &grid, comm, step, &diags)?;
            progress.line(step, time, &diags);
        }
        if cfg.output.images && cfg.output.image_every > 0 && step % cfg.output.image_every == 0 && !finished {
            let path = out_dir.join("images").join(format!("{}_{step:07}.png", model.image_field()));
            phases.time("io", || write_image(&*model, &decomp, &grid, comm, step, time, &path))?;
        }
        progress.update(step, time, every.max(1));
    }
    let loop_seconds = loop_start.elapsed().as_secs_f64();
    {
        let mut ctx = StepCtx { comm, exec: &exec, decomp: &decomp, phases: &mut phases };
        diags = model.diagnostics(time, &mut ctx);
    }
    check_finite(&*model, &decomp, &grid, comm, step, &diags)?;
    progress.line(step, time, &diags);
    progress.finish();

    // Final state: HDF5 and an image.
    let layout = decomp.layout_xyz();
    let t_io = Instant::now();
    // The viewing fields, then any state fields not among them (so final.h5 can seed a restart).
    let mut names = model.field_names();
    for n in model.state_names() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut globals: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut local = vec![0.0; decomp.size.iter().product()];
    for name in &names {
        model.copy_field(name, &mut local);
        if let Some(g) = comm.gather_to_root(&decomp, &local) {
            globals.push((name, g));
        }
    }
    if comm.is_root() {
        let meta = hdf5_out::Meta {
            model: model.name(),
            step,
            time,
            dt: last_dt,
            config_toml: &config_toml,
            spacing: grid.d,
            layout: &layout,
            threads: exec.threads(),
        };
        let fields: Vec<(&str, &[f64])> = globals.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        hdf5_out::write_fields(&out_dir.join("final.h5"), &grid.shape(), &fields, &meta)?;
        if cfg.output.images {
            let img = globals.iter().find(|(n, _)| *n == model.image_field()).map(|(_, d)| d.as_slice());
            if let Some(data) = img {
                let title = format!("{} step {step} t={time:.4e}", model.image_field());
                let (ny, nx, slice) = slice_for_image(&grid, data);
                png_out::write_field_png(&out_dir.join("final.png"), slice, ny, nx, &title)?;
            }
        }
    }
    phases.add("io", t_io.elapsed().as_secs_f64());
    drop(globals);

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
        layout,
        cell_updates_per_second: cells as f64 * step as f64 / loop_seconds.max(1e-12),
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
    Ok(RunSummary { steps: step, sim_time: time, wall_seconds, diagnostics: diags, report })
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

fn prepare_output_dir(dir: &Path, comm: &dyn Comm) -> Result<()> {
    let mut status = vec![0u8];
    if comm.is_root() {
        let r = std::fs::create_dir_all(dir.join("images")).and_then(|_| {
            let probe = dir.join(".simrun-write-test");
            std::fs::write(&probe, b"ok")?;
            std::fs::remove_file(probe)
        });
        if let Err(e) = r {
            status = format!("output directory {} is not writable: {e}", dir.display()).into_bytes();
        }
    }
    comm.broadcast_bytes(&mut status);
    if status != [0u8] {
        return Err(Error::io(String::from_utf8_lossy(&status).to_string()));
    }
    Ok(())
}

/// NaN/Inf anywhere stops the run: name the step, the field and the first bad cell.
fn check_finite(model: &dyn Model, decomp: &Decomp, grid: &Grid, comm: &dyn Comm, step: u64, diags: &Diagnostics) -> Result<()> {
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

fn write_image(model: &dyn Model, decomp: &Decomp, grid: &Grid, comm: &dyn Comm, step: u64, time: f64, path: &Path) -> Result<()> {
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
