//! The driver's side of checkpointing: when to checkpoint, handing copies to the I/O thread,
//! and the commit protocol across ranks.
//!
//! Every step all ranks agree, in one small reduction, on: a stop request (signal or wall
//! limit), a wall-clock checkpoint being due (rank 0's clock), an I/O failure on any rank, the
//! fullest queue, and the newest checkpoint every rank has on disk. A checkpoint whose rank files
//! are all on disk is committed by rank 0's I/O thread. Every rank takes the same decisions from
//! the same agreed numbers, so collective calls always match.

use crate::config::{CheckpointConfig, OnFull};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::io::checkpoint::{self, MasterMeta, Stamp};
use crate::io::thread::{Event, IoThread, Job};
use crate::models::Model;
use crate::par::Comm;
use crate::report::Phases;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the ranks agreed on after a step.
#[derive(Debug, Clone, Copy, Default)]
pub struct Agreed {
    pub stop_signal: bool,
    pub stop_wall: bool,
    pub wall_checkpoint_due: bool,
}

pub struct Checkpointer {
    pub io: IoThread,
    cfg: CheckpointConfig,
    out_dir: PathBuf,
    /// Handed over on every rank, not yet committed (identical on all ranks).
    pending: Vec<Stamp>,
    /// Newest checkpoint step this rank has on disk.
    written: Option<u64>,
    /// Jobs handed over minus jobs reported done, on this rank.
    in_flight: usize,
    /// Largest in-flight count over ranks at the last agreement.
    max_in_flight: usize,
    failure: Option<String>,
    last_wall: Instant,
    pub last_step: Option<u64>,
    meta: MasterMeta,
    rank: usize,
}

impl Checkpointer {
    pub fn new(cfg: &CheckpointConfig, out_dir: &Path, meta: MasterMeta, rank: usize) -> Result<Checkpointer> {
        Ok(Checkpointer {
            io: IoThread::spawn(cfg.queue)?,
            cfg: cfg.clone(),
            out_dir: out_dir.to_path_buf(),
            pending: Vec::new(),
            written: None,
            in_flight: 0,
            max_in_flight: 0,
            failure: None,
            last_wall: Instant::now(),
            last_step: None,
            meta,
            rank,
        })
    }

    fn take_events(&mut self) {
        for e in self.io.poll() {
            match e {
                Event::Written(s) => {
                    self.written = Some(self.written.map_or(s, |w| w.max(s)));
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                Event::Committed(_) => self.in_flight = self.in_flight.saturating_sub(1),
                Event::Failed { message, .. } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    self.fail(message);
                }
                Event::FinalFailed(message) => self.fail(message),
            }
        }
    }

    fn fail(&mut self, message: String) {
        eprintln!("error: rank {}: {message}", self.rank);
        self.failure.get_or_insert(message);
    }

    /// The per-step agreement; also commits what every rank has written.
    pub fn agree(&mut self, comm: &dyn Comm, stop_signal: bool, stop_wall: bool) -> Result<Agreed> {
        self.take_events();
        let wall_due = comm.is_root()
            && self.cfg.every_wall > 0.0
            && self.last_wall.elapsed().as_secs_f64() >= self.cfg.every_wall;
        let failed = if self.failure.is_some() { self.rank as f64 + 1.0 } else { 0.0 };
        let written = self.written.map_or(1.0, |w| -(w as f64));
        let mut v = [
            stop_signal as u8 as f64,
            stop_wall as u8 as f64,
            wall_due as u8 as f64,
            failed,
            written,
            self.in_flight as f64,
        ];
        comm.max_f64(&mut v);
        if v[3] > 0.0 {
            let rank = v[3] as usize - 1;
            return Err(Error::io(match (&self.failure, rank == self.rank) {
                (Some(m), true) => m.clone(),
                _ => format!("checkpoint I/O failed on rank {rank} (see its message above); earlier committed checkpoints are intact"),
            }));
        }
        self.max_in_flight = v[5] as usize;
        if v[4] <= 0.0 {
            let confirmed = (-v[4]) as u64;
            let ready: Vec<Stamp> = self.pending.iter().copied().filter(|s| s.step <= confirmed).collect();
            self.pending.retain(|s| s.step > confirmed);
            if comm.is_root() {
                for stamp in ready {
                    let mut meta = self.meta.clone();
                    meta.stamp = stamp;
                    self.io.submit(Job::Commit {
                        out_dir: self.out_dir.clone(),
                        meta: Box::new(meta),
                        keep: self.cfg.keep,
                    });
                    self.in_flight += 1;
                }
            }
        }
        Ok(Agreed { stop_signal: v[0] > 0.0, stop_wall: v[1] > 0.0, wall_checkpoint_due: v[2] > 0.0 })
    }

    /// Is a scheduled checkpoint due after a step from `prev_time` to `time`, now at `step`?
    pub fn due(&self, step: u64, prev_time: f64, time: f64, agreed: &Agreed) -> bool {
        let c = &self.cfg;
        (c.every_steps > 0 && step % c.every_steps == 0)
            || (c.every_time > 0.0 && (time / c.every_time).floor() > (prev_time / c.every_time).floor())
            || agreed.wall_checkpoint_due
    }

    /// Copy the state to the I/O thread. `force` ignores the skip policy (final checkpoints).
    /// Returns false if the checkpoint was skipped because a queue was full.
    pub fn handoff(
        &mut self,
        model: &dyn Model,
        decomp: &Decomp,
        stamp: Stamp,
        phases: &mut Phases,
        force: bool,
    ) -> bool {
        if self.last_step == Some(stamp.step) {
            return true;
        }
        if !force && self.cfg.on_full == OnFull::Skip && self.max_in_flight >= self.cfg.queue {
            if self.rank == 0 {
                eprintln!(
                    "warning: checkpoint at step {} skipped: the I/O queue is full (checkpoint.on_full = \"skip\")",
                    stamp.step
                );
            }
            return false;
        }
        let t = Instant::now();
        let len: usize = decomp.size.iter().product();
        let mut fields = Vec::new();
        for name in &self.meta.fields {
            let mut buf = self.io.buffer(len);
            model.copy_field(name, &mut buf);
            fields.push((name.clone(), buf));
        }
        phases.add("checkpoint", t.elapsed().as_secs_f64());
        let job = Job::Checkpoint {
            dir: checkpoint::dir_for(&self.out_dir, stamp.step),
            rank: self.rank,
            stamp,
            dims: self.meta.dims,
            offset: decomp.offset,
            size: decomp.size,
            fields,
            compression: self.cfg.compression,
        };
        let t = Instant::now();
        if let Err(job) = self.io.try_submit(job) {
            self.io.submit(job);
        }
        if !self.cfg.asynchronous {
            self.io.flush();
        }
        phases.add("io_wait", t.elapsed().as_secs_f64());
        self.in_flight += 1;
        self.pending.push(stamp);
        self.last_step = Some(stamp.step);
        self.last_wall = Instant::now();
        true
    }

    /// Wait for every handed-over checkpoint to be written and committed.
    pub fn drain(&mut self, comm: &dyn Comm, phases: &mut Phases) -> Result<()> {
        let t = Instant::now();
        // Written on every rank -> commit jobs on rank 0 -> committed.
        self.io.flush();
        self.agree(comm, false, false)?;
        self.io.flush();
        self.agree(comm, false, false)?;
        phases.add("io_wait", t.elapsed().as_secs_f64());
        Ok(())
    }
}
