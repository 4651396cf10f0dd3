//! The end of a run: the final state (`final.h5` through rank 0's I/O thread, `final.png`),
//! images during the run, phase statistics over ranks, and the JSON report (written atomically).

use super::checkpoints::Checkpointer;
use crate::config::Config;
use crate::decomp::Decomp;
use crate::grid::Grid;
use crate::io::checkpoint::Stamp;
use crate::io::hdf5_out::FinalMeta;
use crate::io::thread::Job;
use crate::io::{labels, png_out};
use crate::models::Model;
use crate::par::{Comm, Exec};
use crate::report::{PhaseStat, Phases};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The final state and picture. `final.png` is drawn from a sampled field on rank 0's I/O thread.
/// `final.h5`: one process writes one self-contained file; under MPI, every field is gathered to
/// rank 0 for one self-contained file only when all of them fit `output.single_file_max_mib`,
/// otherwise the state is handed over like a checkpoint into `final/` and committed as
/// `final.h5` (virtual datasets over the data files), and no rank holds the global fields.
#[allow(clippy::too_many_arguments)]
pub fn write_final(
    cfg: &Config,
    model: &mut dyn Model,
    decomp: &Decomp,
    grid: &Grid,
    comm: &dyn Comm,
    ckpt: &mut Checkpointer,
    stamp: Stamp,
    exec: &Exec,
    phases: &mut Phases,
) {
    // Timed as `io`, except the hand-over of a distributed final state, which times its own
    // phases (`checkpoint`, `io_wait`) as any checkpoint's: counted once, the phases add up to
    // no more than the run's wall time.
    let t = std::time::Instant::now();
    let out_dir = PathBuf::from(&cfg.output.dir);
    if cfg.output.images {
        submit_image(cfg, model, decomp, grid, comm, ckpt, stamp, out_dir.join("final.png"));
    }
    // The viewing fields, then any state fields not among them (so final.h5 can seed a restart).
    let mut names = model.field_names();
    for n in model.state_names() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let bytes = (grid.cells() as u128) * 8 * names.len() as u128;
    let gather = comm.size() == 1 || bytes <= (cfg.output.single_file_max_mib as u128) << 20;
    if !gather {
        phases.add("io", t.elapsed().as_secs_f64());
        ckpt.handoff_final(model, decomp, comm, stamp, phases);
        return;
    }
    let mut globals: Vec<(String, Vec<f64>)> = Vec::new();
    let mut local = ckpt.io.buffer(decomp.size.iter().product());
    for name in names {
        model.copy_field(name, &mut local);
        if let Some(g) = comm.gather_to_root(decomp, &local) {
            globals.push((name.to_string(), g));
        }
    }
    ckpt.io.give_back(local);
    if !comm.is_root() {
        phases.add("io", t.elapsed().as_secs_f64());
        return;
    }
    let meta = FinalMeta {
        model: model.name().to_string(),
        step: stamp.step,
        time: stamp.time,
        dt: stamp.dt,
        change: stamp.change,
        config_toml: cfg.to_toml(),
        state_signature: cfg.state_signature(),
        spacing: grid.d,
        layout: decomp.layout_xyz(),
        threads: exec.threads(),
    };
    ckpt.io.submit(Job::Final {
        path: out_dir.join("final.h5"),
        shape: grid.shape(),
        fields: globals,
        meta: Box::new(meta),
        diagnostics: ckpt.diagnostics_csv.clone(),
    });
    phases.add("io", t.elapsed().as_secs_f64());
}

/// The samples (a, b) along one axis that fall in the block [o, o + n) of `cells` cells when
/// `m` samples are taken (see [`png_out::sample_index`]): a contiguous range.
fn sample_range(o: usize, n: usize, m: usize, cells: usize) -> std::ops::Range<usize> {
    let inside = |a: &usize| (o..o + n).contains(&png_out::sample_index(*a, m, cells));
    let lo = (0..m).find(inside).unwrap_or(m);
    let hi = (lo..m).take_while(inside).last().map_or(lo, |a| a + 1);
    lo..hi
}

/// The field images show: `output.image_field`, else the model's default.
pub fn image_field<'a>(cfg: &'a Config, model: &'a dyn Model) -> &'a str {
    cfg.output.image_field.as_deref().unwrap_or(model.image_field())
}

/// Draw the image field ([`image_field`]) at `stamp` to `path`: every rank samples its block
/// (the middle z-plane in 3-D) at the picture's resolution, rank 0 gathers only those samples
/// and hands them to its I/O thread, which draws and writes the PNG off the compute path (the
/// driver's part, timed as `io`, is a copy of the block, the sampling and the gather).
#[allow(clippy::too_many_arguments)]
pub fn submit_image(
    cfg: &Config,
    model: &dyn Model,
    decomp: &Decomp,
    grid: &Grid,
    comm: &dyn Comm,
    ckpt: &mut Checkpointer,
    stamp: Stamp,
    path: PathBuf,
) {
    let field = image_field(cfg, model);
    let (ny, nx) = (grid.n[1], grid.n[2]);
    let (my, mx) = (png_out::samples_for(ny), png_out::samples_for(nx));
    let k = if grid.dims == 3 { grid.n[0] / 2 } else { 0 };
    let ranges = |o: [usize; 3], s: [usize; 3]| {
        let in_z = (o[0]..o[0] + s[0]).contains(&k);
        let rows = if in_z { sample_range(o[1], s[1], my, ny) } else { 0..0 };
        (rows, sample_range(o[2], s[2], mx, nx))
    };
    let (rows, cols) = ranges(decomp.offset, decomp.size);
    let mut mine = Vec::with_capacity(rows.len() * cols.len());
    if !rows.is_empty() && !cols.is_empty() {
        let mut local = ckpt.io.buffer(decomp.size.iter().product());
        model.copy_field(field, &mut local);
        let [o, s] = [decomp.offset, decomp.size];
        for a in rows.clone() {
            let j = png_out::sample_index(a, my, ny) - o[1];
            let row = ((k - o[0]) * s[1] + j) * s[2];
            for b in cols.clone() {
                mine.push(local[row + png_out::sample_index(b, mx, nx) - o[2]].to_bits());
            }
        }
        ckpt.io.give_back(local);
    }
    let Some(all) = comm.gather_u64(&mine) else { return };
    let mut data = vec![0.0; my * mx];
    let mut at = 0;
    for r in 0..comm.size() {
        let (o, s) = decomp.block_of(r);
        let (rows, cols) = ranges(o, s);
        if cols.is_empty() {
            continue;
        }
        for a in rows {
            for (b, bits) in cols.clone().zip(&all[at..at + cols.len()]) {
                data[a * mx + b] = f64::from_bits(*bits);
            }
            at += cols.len();
        }
    }
    let name = model.name();
    let units = labels::field_units(name, field).to_string();
    let [ax, ay, az] = labels::axes(name);
    let slice = if grid.dims == 3 {
        format!(", {az} = {} (middle plane)", png_out::format_number(grid.centre(0, k)))
    } else {
        String::new()
    };
    let what = if units.is_empty() { field.to_string() } else { format!("{field} ({units})") };
    let t = labels::with_units(&png_out::format_number(stamp.time), labels::time_units(name));
    let info = png_out::ImageInfo {
        field: field.to_string(),
        title: format!("{what}, step {}, t = {t}{slice}", stamp.step),
        units,
        range: cfg.output.image_range,
        extent: [grid.len[2], grid.len[1]],
        axes: [ax.to_string(), ay.to_string()],
    };
    ckpt.io.submit(Job::Image { path, data, samples: [my, mx], info: Box::new(info) });
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
