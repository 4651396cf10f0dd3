//! The end of a run: the final state (`final.h5` through rank 0's I/O thread, `final.png`),
//! images during the run, phase statistics over ranks, and the JSON report (written atomically).

use super::checkpoints::Checkpointer;
use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::Result;
use crate::grid::Grid;
use crate::io::checkpoint::{write_atomically, Stamp};
use crate::io::hdf5_out::FinalMeta;
use crate::io::png_out;
use crate::io::thread::Job;
use crate::models::Model;
use crate::par::{Comm, Exec};
use crate::report::{PhaseStat, Phases, Report};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The final state: every view and state field gathered to rank 0, `final.png` drawn there and
/// `final.h5` handed to its I/O thread.
#[allow(clippy::too_many_arguments)]
pub fn write_final(
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

/// A 2-D picture of the field: the field itself in 2-D, the middle z-slice in 3-D.
fn slice_for_image<'a>(grid: &Grid, data: &'a [f64]) -> (usize, usize, &'a [f64]) {
    let (ny, nx) = (grid.n[1], grid.n[2]);
    let k = if grid.dims == 3 { grid.n[0] / 2 } else { 0 };
    (ny, nx, &data[k * ny * nx..(k + 1) * ny * nx])
}

/// Write an image of the model's image field at `step` to `path` (rank 0), creating its directory.
pub fn write_image(
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
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                crate::error::Error::io(format!("cannot create image directory {}: {e}", dir.display()))
            })?;
        }
        let (ny, nx, slice) = slice_for_image(grid, &g);
        let title = format!("{} step {step} t={time:.4e}", model.image_field());
        png_out::write_field_png(path, slice, ny, nx, &title)?;
    }
    Ok(())
}

/// Max and mean of every phase over ranks (rank 0's phase list, the same on every rank).
pub fn phase_stats(phases: &Phases, comm: &dyn Comm) -> BTreeMap<String, PhaseStat> {
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

/// Write the JSON report to `path` (rank 0), atomically.
pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    let text = serde_json::to_string_pretty(report).expect("report serialises") + "\n";
    write_atomically(path, text.as_bytes())
}
