//! The driver's side of the field output writers (`[[output.fields]]`): when each is due, and
//! handing its fields to rank 0's I/O thread (see [`crate::io::field_out`] for the files).
//!
//! A writer writes at step 0 of a fresh run, then after every step that is a multiple of
//! `every_steps` or reaches the next output time k x `every_time` ([`schedule::crossed`]); a
//! restart at step s writes nothing at s (the run that reached s wrote it: its field outputs went
//! to rank 0's I/O thread before the checkpoint or final state at s, and that thread works in
//! order). Under MPI every field is gathered to rank 0, one field at a time, and written as one
//! self-contained file (rank 0's memory check counts these gathers).

use super::schedule;
use crate::config::{Config, Precision};
use crate::decomp::Decomp;
use crate::grid::Grid;
use crate::io::checkpoint::Stamp;
use crate::io::field_out::{self, FieldFileMeta, SeriesSpec};
use crate::io::thread::{IoThread, Job};
use crate::models::Model;
use crate::par::Comm;
use std::path::PathBuf;

struct Writer {
    dir: PathBuf,
    names: Vec<String>,
    every_steps: u64,
    every_time: f64,
    precision: Precision,
}

pub struct FieldOutputs {
    writers: Vec<Writer>,
    model: String,
}

impl FieldOutputs {
    pub fn new(cfg: &Config, model: &dyn Model) -> FieldOutputs {
        let out = PathBuf::from(&cfg.output.dir);
        let view = model.field_names();
        let writers = cfg
            .output
            .fields
            .iter()
            .enumerate()
            .map(|(i, w)| Writer {
                dir: out.join(w.dir_name(i)),
                names: w.field_names(&view),
                every_steps: w.every_steps,
                every_time: w.every_time,
                precision: w.precision,
            })
            .collect();
        FieldOutputs { writers, model: model.name().to_string() }
    }

    fn is_due(w: &Writer, step: u64, prev_time: f64, time: f64) -> bool {
        schedule::due(w.every_steps, w.every_time, step, prev_time, time)
    }

    /// Is any writer due after the step that reached `step` (from `prev_time` to `time`)?
    pub fn due(&self, step: u64, prev_time: f64, time: f64) -> bool {
        self.writers.iter().any(|w| Self::is_due(w, step, prev_time, time))
    }

    /// Rank 0: have the I/O thread take each writer's directory over and start its series (after
    /// the first model call, as the rest of the output directory).
    pub fn start(&self, io: &IoThread, grid: &Grid, restart_step: Option<u64>) {
        for w in &self.writers {
            let spec = SeriesSpec {
                dir: w.dir.clone(),
                dims: grid.dims,
                global: grid.n,
                spacing: grid.d,
                fields: w.names.clone(),
                precision: w.precision,
            };
            io.submit(Job::FieldSeries { spec: Box::new(spec), restart_step });
        }
    }

    /// The outputs due at `stamp` (reached from `prev_time`; `at`: the time the schedules see,
    /// the end time at the last step) or every writer if `all` (the start of a fresh run),
    /// gathered to rank 0: its jobs for the I/O thread (none on other ranks). Collective.
    #[allow(clippy::too_many_arguments)]
    pub fn collect(
        &self,
        model: &dyn Model,
        decomp: &Decomp,
        grid: &Grid,
        comm: &dyn Comm,
        io: &mut IoThread,
        stamp: Stamp,
        prev_time: f64,
        at: f64,
        all: bool,
    ) -> Vec<Job> {
        let mut jobs = Vec::new();
        for w in &self.writers {
            if !all && !Self::is_due(w, stamp.step, prev_time, at) {
                continue;
            }
            let mut fields = Vec::with_capacity(w.names.len());
            let mut local = io.buffer(decomp.size.iter().product());
            for name in &w.names {
                model.copy_field(name, &mut local);
                if let Some(g) = comm.gather_to_root(decomp, &local) {
                    fields.push((name.clone(), g));
                }
            }
            io.give_back(local);
            if comm.is_root() {
                let meta = FieldFileMeta {
                    model: self.model.clone(),
                    step: stamp.step,
                    time: stamp.time,
                    dt: stamp.dt,
                    spacing: grid.d,
                    precision: w.precision,
                };
                jobs.push(Job::FieldOutput {
                    path: w.dir.join(field_out::file_name(stamp.step)),
                    shape: grid.shape(),
                    fields,
                    meta: Box::new(meta),
                });
            }
        }
        jobs
    }
}
