//! The driver's side of checkpointing: when to checkpoint, handing copies to the I/O thread,
//! and the commit protocol across ranks.
//!
//! After every model call all ranks agree, in one small reduction, on: a stop request (signal or
//! wall limit), a wall-clock checkpoint being due (rank 0's clock), an I/O failure or a
//! non-finite value found by any rank's I/O thread, the fullest queue, and the newest checkpoint
//! every rank has on disk. For each checkpoint now on disk everywhere, the ranks gather their part
//! of the commit record (file length, content checksums) to rank 0, whose I/O thread commits it.
//! Every rank takes the same decisions from the same agreed numbers, so collective calls match.
//! A rank whose I/O thread failed or refused a non-finite state never confirms that checkpoint
//! or any later one, so neither is ever committed.

use crate::config::{CheckpointConfig, OnFull};
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::io::checkpoint::record::{BlockRecord, CommitRecord, FileRecord, Values};
use crate::io::checkpoint::{self, MasterMeta, Stamp};
use crate::io::thread::{BlockJob, Event, IoThread, Job};
use crate::models::Model;
use crate::par::Comm;
use crate::report::Phases;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The directory of a distributed final output's data files, beside `final.h5`.
pub const FINAL_DIR: &str = "final";

/// What the ranks agreed on after a model call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Agreed {
    pub stop_signal: bool,
    pub stop_wall: bool,
    pub wall_checkpoint_due: bool,
}

/// Where a hand-over goes: a checkpoint, or the distributed final output (`final.h5` + `final/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Checkpoint,
    Final,
}

/// One hand-over waiting for its commit: its sequence number (the same on every rank), what it
/// holds and where it goes.
#[derive(Debug, Clone, Copy)]
struct Pending {
    seq: u64,
    stamp: Stamp,
    target: Target,
}

/// A non-finite value the I/O thread found in a checkpoint's buffers.
#[derive(Debug, Clone)]
struct NonFinite {
    step: u64,
    field: String,
    cell: [usize; 3],
}

pub struct Checkpointer {
    pub io: IoThread,
    cfg: CheckpointConfig,
    out_dir: PathBuf,
    run_id: u64,
    /// Handed over on every rank, not yet committed (identical on all ranks).
    pending: Vec<Pending>,
    /// Hand-overs so far (the sequence number of the next one).
    seq: u64,
    /// Newest hand-over (sequence number) this rank has on disk or handed to its writer; frozen
    /// after a failure.
    written: Option<u64>,
    /// This rank's part of the record of each checkpoint written and not yet committed: the
    /// blocks and the file it wrote (none on a rank that handed its block to its writer).
    records: BTreeMap<u64, (Vec<BlockRecord>, Option<FileRecord>)>,
    /// The ranks whose blocks share one data file with this rank's, the writer first.
    group: Vec<usize>,
    /// Jobs handed over minus jobs reported done, on this rank.
    in_flight: usize,
    /// Largest in-flight count over ranks at the last agreement.
    max_in_flight: usize,
    failure: Option<String>,
    /// This rank has printed its own cause of a failure (once, also when the run drains after it).
    failure_said: bool,
    non_finite: Option<NonFinite>,
    /// The longest data-file write so far on this rank (seconds).
    longest_write: f64,
    /// Data files this rank's I/O thread wrote, and their wall and CPU seconds on it.
    writes: crate::report::IoWrites,
    last_wall: Instant,
    pub last_step: Option<u64>,
    /// The checkpoint an explicit `--restart DIR` read: an input, never pruned.
    pub protect: Option<PathBuf>,
    /// Rank 0: the `diagnostics.csv` to copy into the final output's `/diagnostics`.
    pub diagnostics_csv: Option<PathBuf>,
    meta: MasterMeta,
    rank: usize,
}

impl Checkpointer {
    /// `group`: the ranks whose blocks go into one data file with this rank's, the writer
    /// (which writes it) first; `[rank]` for a file per rank.
    pub fn new(
        cfg: &CheckpointConfig,
        out_dir: &Path,
        meta: MasterMeta,
        rank: usize,
        run_id: u64,
        group: Vec<usize>,
    ) -> Result<Checkpointer> {
        Ok(Checkpointer {
            io: IoThread::spawn(cfg.queue)?,
            cfg: cfg.clone(),
            out_dir: out_dir.to_path_buf(),
            run_id,
            pending: Vec::new(),
            seq: 0,
            written: None,
            records: BTreeMap::new(),
            group,
            in_flight: 0,
            max_in_flight: 0,
            failure: None,
            failure_said: false,
            non_finite: None,
            longest_write: 0.0,
            writes: Default::default(),
            last_wall: Instant::now(),
            last_step: None,
            protect: None,
            diagnostics_csv: None,
            meta,
            rank,
        })
    }

    /// Take before the loop the memory the first hand-over will need, its pages faulted in: the
    /// model's spare state buffer if it lends its state, else this rank's copy buffers, and the
    /// buffers a writer receives its members' blocks into. Without this the step after the first
    /// checkpoint pays the page faults of a state-sized buffer (on a virtual machine with free
    /// page reporting, seconds for 128 MiB: scripts/bench-checkpoint.sh).
    pub fn reserve(&mut self, model: &mut dyn Model, decomp: &Decomp) {
        let n = self.meta.fields.len();
        let (count, len) = if self.group[0] != self.rank {
            // A member copies, sends and returns one field at a time (`hand_over`); it never
            // lends, so its model reserves nothing.
            (1, decomp.size.iter().product())
        } else {
            let own = if model.reserve_lending() { 0 } else { n };
            // At most one member's block more than the one being written (`hand_over`): from
            // the second member on, the buffers come back before the next block is received.
            let count = match self.group.len() - 1 {
                0 => own,
                1 => own + n,
                _ => 2 * n,
            };
            (count, self.group.iter().map(|&r| decomp.block_of(r).1.iter().product::<usize>()).max().unwrap_or(0))
        };
        self.io.reserve(count, len);
    }

    /// An output written outside the I/O thread failed (`diagnostics.csv`): the next agreement
    /// stops the run on every rank, as a failed checkpoint or image does.
    pub fn fail(&mut self, message: String) {
        self.failure.get_or_insert(message);
    }

    /// The longest data-file write so far on this rank (seconds): what a final checkpoint costs.
    pub fn longest_write(&self) -> f64 {
        self.longest_write
    }

    /// What this rank's I/O thread wrote so far, and its CPU seconds in all.
    pub fn io_writes(&self) -> crate::report::IoWrites {
        crate::report::IoWrites { thread_cpu_seconds: self.io.cpu_seconds(), ..self.writes }
    }

    fn broken(&self) -> bool {
        self.failure.is_some() || self.non_finite.is_some()
    }

    fn take_events(&mut self) {
        for e in self.io.poll() {
            match e {
                Event::Written { seq, blocks, file, seconds, cpu, .. } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    self.longest_write = self.longest_write.max(seconds);
                    self.writes.data_files += 1;
                    self.writes.data_file_wall_seconds += seconds;
                    self.writes.data_file_cpu_seconds += cpu;
                    if !self.broken() {
                        self.written = Some(self.written.map_or(seq, |w| w.max(seq)));
                        self.records.insert(seq, (blocks, Some(file)));
                    }
                }
                Event::NonFinite { step, field, cell } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    self.non_finite.get_or_insert(NonFinite { step, field, cell });
                }
                Event::Committed(_) => self.in_flight = self.in_flight.saturating_sub(1),
                Event::Failed { message, .. } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    self.failure.get_or_insert(message);
                }
                Event::OutputFailed(message) => {
                    self.failure.get_or_insert(message);
                }
            }
        }
    }

    /// The agreement after a model call; also commits what every rank has written.
    pub fn agree(&mut self, comm: &dyn Comm, stop_signal: bool, stop_wall: bool) -> Result<Agreed> {
        self.take_events();
        let wall_due = comm.is_root()
            && self.cfg.every_wall > 0.0
            && self.last_wall.elapsed().as_secs_f64() >= self.cfg.every_wall;
        let failed = if self.failure.is_some() { self.rank as f64 + 1.0 } else { 0.0 };
        let non_finite = if self.non_finite.is_some() { 1.0 } else { 0.0 };
        let written = self.written.map_or(1.0, |w| -(w as f64));
        let mut v = [
            stop_signal as u8 as f64,
            stop_wall as u8 as f64,
            wall_due as u8 as f64,
            failed,
            written,
            self.in_flight as f64,
            non_finite,
        ];
        comm.max_f64(&mut v);
        self.max_in_flight = v[5] as usize;
        // Commit what is on disk everywhere (before reporting any failure: those are good).
        if v[4] <= 0.0 {
            let confirmed = (-v[4]) as u64;
            let ready: Vec<Pending> = self.pending.iter().copied().filter(|p| p.seq <= confirmed).collect();
            self.pending.retain(|p| p.seq > confirmed);
            for p in ready {
                self.commit(comm, p);
            }
        }
        if v[6] > 0.0 {
            return Err(self.non_finite_error(comm));
        }
        if v[3] > 0.0 {
            let rank = v[3] as usize - 1;
            if let (Some(m), false, false) = (&self.failure, self.rank == 0, self.failure_said) {
                // Only rank 0 prints the run's error; a failing rank says its own cause here.
                eprintln!("error: rank {}: {m}", self.rank);
                self.failure_said = true;
            }
            return Err(Error::io(match (&self.failure, rank == self.rank) {
                (Some(m), true) => m.clone(),
                _ => format!(
                    "checkpoint I/O failed on rank {rank} (its message is above); earlier committed checkpoints are intact"
                ),
            }));
        }
        Ok(Agreed { stop_signal: v[0] > 0.0, stop_wall: v[1] > 0.0, wall_checkpoint_due: v[2] > 0.0 })
    }

    /// Gather every rank's record of hand-over `p` to rank 0 and hand the commit to its I/O thread.
    fn commit(&mut self, comm: &dyn Comm, p: Pending) {
        let stamp = p.stamp;
        // [1, blocks, block records..., files (0 or 1), (writer, bytes)], or [0] if this rank
        // has none (never expected: a rank confirms only what it wrote or handed over).
        let mut local = vec![0u64];
        if let Some((blocks, file)) = self.records.remove(&p.seq) {
            local = vec![1, blocks.len() as u64];
            for b in &blocks {
                b.encode(&mut local);
            }
            match file {
                Some(f) => local.extend([1, f.writer as u64, f.bytes]),
                None => local.push(0),
            }
        }
        let Some(all) = comm.gather_u64(&local) else { return };
        match self.assemble(stamp, &all) {
            Some(rec) => {
                let mut meta = self.meta.clone();
                meta.stamp = stamp;
                self.io.submit(match p.target {
                    Target::Checkpoint => Job::Commit {
                        out_dir: self.out_dir.clone(),
                        meta: Box::new(meta),
                        record: Box::new(rec),
                        keep: self.cfg.keep,
                        protect: self.protect.clone(),
                    },
                    Target::Final => Job::CommitFinal {
                        out_dir: self.out_dir.clone(),
                        meta: Box::new(meta),
                        record: Box::new(rec),
                        diagnostics: self.diagnostics_csv.clone(),
                    },
                });
                self.in_flight += 1;
            }
            None => eprintln!("warning: checkpoint at step {} not committed: a rank sent no record of it", stamp.step),
        }
    }

    /// The commit record from the gathered parts (rank order).
    fn assemble(&self, stamp: Stamp, all: &[u64]) -> Option<CommitRecord> {
        let nfields = self.meta.fields.len();
        let mut rec = CommitRecord {
            run_id: self.run_id,
            step: stamp.step,
            fields: self.meta.fields.clone(),
            ..Default::default()
        };
        let mut at = 0;
        while at < all.len() {
            if all[at] != 1 {
                return None;
            }
            let nb = *all.get(at + 1)? as usize;
            at += 2;
            for _ in 0..nb {
                let (b, n) = BlockRecord::decode(all.get(at..)?, nfields)?;
                rec.blocks.push(b);
                at += n;
            }
            if *all.get(at)? == 1 {
                let f = all.get(at + 1..at + 3)?;
                rec.files.push(FileRecord { writer: f[0] as usize, bytes: f[1] });
                at += 2;
            }
            at += 1;
        }
        Some(rec)
    }

    /// Every rank found or not a non-finite value: name the lowest (step, field, global cell).
    fn non_finite_error(&self, comm: &dyn Comm) -> Error {
        let g = self.meta.global;
        let cells = (g[0] * g[1] * g[2]) as f64;
        let mut key = [f64::INFINITY, f64::INFINITY];
        if let Some(nf) = &self.non_finite {
            let fi = self.meta.fields.iter().position(|f| *f == nf.field).unwrap_or(0) as f64;
            let lin = ((nf.cell[0] * g[1] + nf.cell[1]) * g[2] + nf.cell[2]) as f64;
            key = [nf.step as f64, fi * cells + lin];
        }
        let mut step = [key[0]];
        comm.min_f64(&mut step);
        let mut k = [if key[0] == step[0] { key[1] } else { f64::INFINITY }];
        comm.min_f64(&mut k);
        let fi = (k[0] / cells).floor();
        let lin = (k[0] - fi * cells) as usize;
        let (x, y, z) = (lin % g[2], (lin / g[2]) % g[1], lin / (g[1] * g[2]));
        let at =
            if self.meta.dims == 3 { format!("cell (x={x}, y={y}, z={z})") } else { format!("cell (x={x}, y={y})") };
        Error::numerical(format!(
            "non-finite value (NaN or Inf) in field `{}` at step {}, {at}, found while checkpointing: that checkpoint and later ones are not committed; the run is unstable: reduce time.dt or the CFL number",
            self.meta.fields.get(fi as usize).map_or("?", |s| s.as_str()),
            step[0] as u64
        ))
    }

    /// Is a scheduled checkpoint due after a step from `prev_time` to `time`, now at `step`?
    pub fn due(&self, step: u64, prev_time: f64, time: f64, agreed: &Agreed) -> bool {
        let c = &self.cfg;
        super::schedule::due(c.every_steps, c.every_time, step, prev_time, time) || agreed.wall_checkpoint_due
    }

    /// Copy the state to the I/O thread (this rank's, and on a writer those of its group, received
    /// from them; a rank of a group sends its block to the writer instead). `force` ignores the
    /// skip policy (final checkpoints). Returns false if the checkpoint was skipped because a
    /// queue was full. Collective over each group.
    pub fn handoff(
        &mut self,
        model: &mut dyn Model,
        decomp: &Decomp,
        comm: &dyn Comm,
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
        let dir = checkpoint::dir_for(&self.out_dir, stamp.step);
        self.hand_over(model, decomp, comm, stamp, Target::Checkpoint, dir, phases);
        self.last_step = Some(stamp.step);
        self.last_wall = Instant::now();
        true
    }

    /// Hand the final state over to be written like a checkpoint, into `<output.dir>/final/`,
    /// and committed as `<output.dir>/final.h5` (no rank gathers the global fields).
    pub fn handoff_final(
        &mut self,
        model: &mut dyn Model,
        decomp: &Decomp,
        comm: &dyn Comm,
        stamp: Stamp,
        phases: &mut Phases,
    ) {
        let dir = self.out_dir.join(FINAL_DIR);
        self.hand_over(model, decomp, comm, stamp, Target::Final, dir, phases);
    }

    #[allow(clippy::too_many_arguments)]
    fn hand_over(
        &mut self,
        model: &mut dyn Model,
        decomp: &Decomp,
        comm: &dyn Comm,
        stamp: Stamp,
        target: Target,
        dir: PathBuf,
        phases: &mut Phases,
    ) {
        let t = Instant::now();
        let seq = self.seq;
        self.seq += 1;
        self.pending.push(Pending { seq, stamp, target });
        let len: usize = decomp.size.iter().product();
        let writer = self.group[0];
        if writer != self.rank {
            // A member: its block travels to the writer (memory speed within a node).
            for name in &self.meta.fields {
                let mut b = self.io.buffer(len);
                model.copy_field(name, &mut b);
                comm.send_f64(writer, &b);
                self.io.give_back(b);
            }
            phases.add("checkpoint", t.elapsed().as_secs_f64());
            if !self.broken() {
                self.written = Some(self.written.map_or(seq, |w| w.max(seq)));
                self.records.insert(seq, (Vec::new(), None));
            }
            return;
        }
        // The writer: its own block lent to the I/O thread where the model can (no copy), else
        // copied; then the file's header, its block, and each member's as it arrives.
        let mut fields = Vec::new();
        for name in &self.meta.fields {
            let values = match model.lend_field(name) {
                Some(lent) => Values::Lent(lent),
                None => {
                    let mut buf = self.io.buffer(len);
                    model.copy_field(name, &mut buf);
                    Values::Owned(buf)
                }
            };
            fields.push((name.clone(), values));
        }
        let t_io = Instant::now();
        self.io.submit(Job::Checkpoint {
            dir,
            writer: self.rank,
            seq,
            stamp,
            run_id: self.run_id,
            dims: self.meta.dims,
            blocks: self.group.len(),
            compression: self.cfg.compression,
        });
        self.io.submit(Job::Block(BlockJob { rank: self.rank, offset: decomp.offset, size: decomp.size, fields }));
        let mut waited = t_io.elapsed().as_secs_f64();
        for &m in &self.group[1..] {
            let (offset, size) = decomp.block_of(m);
            // At most one more block in memory than the one being written: wait for the I/O
            // thread to give buffers back before receiving the next block.
            let t = Instant::now();
            self.io.wait_for_buffers(self.meta.fields.len());
            waited += t.elapsed().as_secs_f64();
            let mut f = Vec::with_capacity(self.meta.fields.len());
            for name in &self.meta.fields {
                let mut b = self.io.buffer(size.iter().product());
                comm.recv_f64(m, &mut b);
                f.push((name.clone(), Values::Owned(b)));
            }
            let t = Instant::now();
            self.io.submit(Job::Block(BlockJob { rank: m, offset, size, fields: f }));
            waited += t.elapsed().as_secs_f64();
        }
        phases.add("checkpoint", t.elapsed().as_secs_f64() - waited);
        let t = Instant::now();
        if !self.cfg.asynchronous {
            self.io.flush();
        }
        phases.add("io_wait", waited + t.elapsed().as_secs_f64());
        self.in_flight += 1;
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

/// The ranks whose checkpoint blocks share one data file with this rank's, the writer first:
/// consecutive ranks of this rank's node, `ranks_per_file` at a time (0 = the whole node).
/// Collective.
pub fn file_group(comm: &dyn Comm, ranks_per_file: usize) -> Vec<usize> {
    let node = comm.node_ranks();
    let k = if ranks_per_file == 0 { node.len() } else { ranks_per_file }.max(1);
    let pos = node.iter().position(|&r| r == comm.rank()).unwrap_or(0);
    let start = pos / k * k;
    node[start..(start + k).min(node.len())].to_vec()
}
