//! The output volume of a configured run, for `simrun check`: for each output (every field
//! writer, the images, the checkpoints, the final state) the files and bytes it writes over the
//! run, and a warning above [`WARN_FILES`] files or [`WARN_BYTES`] bytes in all. The steps are
//! counted by taking them with the driver's own rule ([`Stepping`]: the shortened steps that land
//! on timed outputs and on the end time included), and the field outputs and checkpoints at them
//! by the driver's rule for when one is due ([`schedule::due`]: one file at a step both of its
//! schedules reach); exact for a model whose dt is fixed; for a model that adapts its dt
//! (navier_stokes without `time.dt`) from the first step's dt, an estimate.

use crate::config::Config;
use crate::io::png_out::samples_for;
use crate::memory::human;
use crate::models;
use crate::sim::schedule::{self, Stepping, Taken};

/// Warn above this many files written by one run.
pub const WARN_FILES: u64 = 10_000;
/// Warn above this many bytes written by one run (100 GiB).
pub const WARN_BYTES: u64 = 100 << 30;

/// HDF5's own bytes per file and per dataset (headers, chunk index, attributes), roughly.
const FILE_OVERHEAD: u64 = 8 << 10;
const DATASET_OVERHEAD: u64 = 2 << 10;

/// One output's share.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// What writes it, e.g. `output.fields[0] (fields/)`.
    pub what: String,
    pub files: u64,
    pub bytes: u64,
    /// How the numbers come about.
    pub note: String,
}

/// Above this many steps [`extent`] estimates instead of counting (counting takes ~20 ns a step).
const COUNT_LIMIT: u64 = 20_000_000;

/// The steps a configured run takes and the simulated time it ends at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub steps: u64,
    pub end: f64,
    /// The time the last step starts at.
    pub last_start: f64,
    /// Counted with a dt the model keeps (else estimated from the first step's dt).
    pub exact: bool,
}

/// The steps and end time of a fresh run of `cfg`: counted step by step as the driver takes
/// them, from the first step's dt.
pub fn extent(cfg: &Config) -> Extent {
    walk(cfg, |_| {}).0
}

/// Take the steps of a fresh run of `cfg` as the driver does ([`Stepping::walk`]), calling `each`
/// after every step: the run's extent, and whether every step was taken (false above
/// [`COUNT_LIMIT`]: the extent is estimated and `each` has seen only some of the steps).
fn walk(cfg: &Config, each: impl FnMut(Taken)) -> (Extent, bool) {
    let (dt, _) = models::stability(cfg);
    let exact = cfg.spec().fixed_dt(cfg);
    match Stepping::of(cfg).walk(dt, COUNT_LIMIT, each) {
        Some((steps, end, last_start)) => (Extent { steps, end, last_start, exact }, true),
        None => {
            let (steps, end) = match (cfg.time.steps, cfg.time.end_time) {
                (Some(n), _) => (n, n as f64 * dt),
                (None, Some(e)) => ((e / dt).ceil().max(1.0) as u64, e),
                _ => (0, 0.0),
            };
            // Beyond the counting limit: estimated, also for a dt the model keeps.
            (Extent { steps, end, last_start: end - dt, exact: false }, false)
        }
    }
}

/// The volume of every output the configuration writes.
pub fn volumes(cfg: &Config) -> Vec<Volume> {
    // The files of the field writers and the checkpoints, counted at the steps the run takes by
    // the driver's own rules: an output due on both of its schedules at one step is one file.
    let stepping = Stepping::of(cfg);
    let c = &cfg.checkpoint;
    // A fresh run writes every field writer's step 0.
    let mut field_files = vec![1u64; cfg.output.fields.len()];
    let mut checkpoints = 0u64;
    let (Extent { steps, end, .. }, counted) = walk(cfg, |s| {
        let at = stepping.schedule_time(s.time, s.at_end);
        for (n, w) in field_files.iter_mut().zip(&cfg.output.fields) {
            *n += u64::from(schedule::due(w.every_steps, w.every_time, s.step, s.prev, at));
        }
        // A scheduled checkpoint, or the one at the end of the run.
        checkpoints += u64::from(schedule::due(c.every_steps, c.every_time, s.step, s.prev, s.time) || s.at_end);
    });
    if !counted {
        // Too many steps to take: at most each schedule's outputs, and a checkpoint at the end.
        for (n, w) in field_files.iter_mut().zip(&cfg.output.fields) {
            *n = 1 + steps.checked_div(w.every_steps).unwrap_or(0) + schedule::reached(w.every_time, end);
        }
        checkpoints =
            steps.checked_div(c.every_steps).unwrap_or(0) + schedule::reached(c.every_time, end) + u64::from(steps > 0);
    }
    let (grid, _) = models::geometry(cfg);
    let cells = grid.cells();
    let spec = cfg.spec();
    let view: Vec<&str> = spec.view_fields().to_vec();
    let mut out = Vec::new();
    for (i, w) in cfg.output.fields.iter().enumerate() {
        let names = w.field_names(&view).len() as u64;
        let files = field_files[i];
        let per_file = FILE_OVERHEAD + names * (cells * w.precision.bytes() + DATASET_OVERHEAD);
        out.push(Volume {
            what: format!("output.fields[{i}] ({}/)", w.dir_name(i)),
            files,
            bytes: files.saturating_mul(per_file),
            note: format!("{names} field(s) x {} per file", human(cells * w.precision.bytes())),
        });
    }
    let state_only = spec.state_fields().iter().filter(|s| !view.contains(s)).count() as u64;
    let output_fields = view.len() as u64 + state_only;
    if cfg.output.images {
        // Every image_every steps (the last step's too), and final.png.
        let files = 1 + steps.checked_div(cfg.output.image_every).unwrap_or(0);
        // At most the RGB pixels of the sampled field plus the frame (PNG compresses).
        let pixels = ((samples_for(grid.n[2]) + 200) * (samples_for(grid.n[1]) + 120)) as u64;
        out.push(Volume {
            what: "images (images/, final.png)".into(),
            files,
            bytes: files.saturating_mul(3 * pixels),
            note: "at most, uncompressed".into(),
        });
    }
    if c.every_steps > 0 || c.every_time > 0.0 {
        let written = checkpoints;
        let per = FILE_OVERHEAD * 2 + output_fields * (cells * 8 + DATASET_OVERHEAD);
        out.push(Volume {
            what: "checkpoints (checkpoints/)".into(),
            files: written,
            bytes: written.saturating_mul(per),
            note: format!(
                "{} kept on disk ({}); plus every_wall if set",
                written.min(c.keep as u64),
                human(written.min(c.keep as u64).saturating_mul(per))
            ),
        });
    }
    out.push(Volume {
        what: "final.h5".into(),
        files: 1,
        bytes: FILE_OVERHEAD + output_fields * (cells * 8 + DATASET_OVERHEAD),
        note: format!("{output_fields} field(s), f64"),
    });
    out
}

/// The lines `simrun check` prints: one per output, the total, and warnings.
pub fn lines(cfg: &Config) -> Vec<String> {
    let v = volumes(cfg);
    let mut s: Vec<String> = v
        .iter()
        .map(|x| format!("output        {:<34} {:>8} file(s) {:>10}  ({})", x.what, x.files, human(x.bytes), x.note))
        .collect();
    let files: u64 = v.iter().map(|x| x.files).fold(0, u64::saturating_add);
    let bytes: u64 = v.iter().map(|x| x.bytes).fold(0, u64::saturating_add);
    s.push(format!("output total  {files} file(s), {} written over the run", human(bytes)));
    for x in &v {
        if x.files > WARN_FILES {
            s.push(format!(
                "warning: {} writes {} files (more than {WARN_FILES}): raise its interval",
                x.what, x.files
            ));
        }
    }
    if bytes > WARN_BYTES {
        s.push(format!(
            "warning: the outputs add up to {} (more than {}): fewer fields, f32, or longer intervals",
            human(bytes),
            human(WARN_BYTES)
        ));
    }
    s
}
