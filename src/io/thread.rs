//! The I/O thread: one per process, owner of every HDF5 call. The compute thread hands it owned
//! buffers through a bounded channel and goes on; buffers come back through a return channel
//! into a pool, so in steady state nothing is allocated and memory stays bounded by
//! (queue + 2) checkpoints.

use super::checkpoint::commit::{self, Header, MasterMeta};
use super::checkpoint::data_file::{self, BlockData, ReadFault, Written};
use super::checkpoint::record::{BlockRecord, CommitRecord, FileRecord, Values};
use super::checkpoint::{self, lifecycle, Stamp};
use super::field_out::{self, FieldFileMeta, Series, SeriesSpec};
use super::whole_file::{self, WholeHeader};
use super::{hdf5_out, xdmf};
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Work for the I/O thread.
pub enum Job {
    /// Write this writer's data file of a checkpoint: the next `blocks` jobs are its
    /// [`Job::Block`]s (its own and those of its group, each checked for finiteness and hashed
    /// before it is written), so the writer never holds its whole group at once.
    /// `seq` is the hand-over's sequence number, reported back with the result.
    Checkpoint {
        dir: PathBuf,
        writer: usize,
        seq: u64,
        stamp: Stamp,
        run_id: u64,
        dims: usize,
        blocks: usize,
        compression: u8,
    },
    /// One block of the data file begun by the preceding [`Job::Checkpoint`].
    Block(BlockJob),
    /// Rank 0, after every rank confirmed its data file and sent its record: write the commit,
    /// point `latest` at it, remove old checkpoints, rewrite the XDMF series.
    /// `protect`: a checkpoint pruning must not remove (an explicit restart's input).
    Commit { out_dir: PathBuf, meta: Box<MasterMeta>, record: Box<CommitRecord>, keep: usize, protect: Option<PathBuf> },
    /// Rank 0: commit a distributed final output: `out_dir/final.h5` naming the data files in
    /// `out_dir/final/` (and remove data files there that it does not name), with the table of
    /// `diagnostics` (a `diagnostics.csv`) as `/diagnostics`; then `final.xdmf`.
    CommitFinal { out_dir: PathBuf, meta: Box<MasterMeta>, record: Box<CommitRecord>, diagnostics: Option<PathBuf> },
    /// Rank 0: draw a sampled field as a PNG (see [`super::png_out::write_sampled_png`]).
    /// `samples` = (rows, columns) of `data`; `info`: title, units, colour range, axes.
    Image { path: PathBuf, data: Vec<f64>, samples: [usize; 2], info: Box<super::png_out::ImageInfo> },
    /// Rewrite the XDMF series of `out_dir`'s committed checkpoints (after some were set aside).
    Series { out_dir: PathBuf },
    /// Rank 0: write the gathered final state as one self-contained file, with the table of
    /// `diagnostics` (a `diagnostics.csv`) as `/diagnostics`; then `final.xdmf`.
    Final {
        path: PathBuf,
        shape: Vec<usize>,
        fields: Vec<(String, Vec<f64>)>,
        meta: Box<hdf5_out::FinalMeta>,
        diagnostics: Option<PathBuf>,
    },
    /// Rank 0: take a field writer's directory over and start its series (see
    /// [`Series::open`]; `restart_step` None for a fresh run).
    FieldSeries { spec: Box<SeriesSpec>, restart_step: Option<u64> },
    /// Rank 0: write one field output (the gathered global fields) and add it to its series.
    FieldOutput { path: PathBuf, shape: Vec<usize>, fields: Vec<(String, Vec<f64>)>, meta: Box<FieldFileMeta> },
    /// Bring every field writer's XDMF series up to date (the end of a run).
    FieldSeriesFinish,
    /// Read a self-contained file's header, or None if it is a commit file.
    ReadWholeHeader { path: PathBuf, reply: Sender<Result<Option<WholeHeader>>> },
    /// Read the box (offset, size) of fields `names` of a self-contained file of global `shape`.
    ReadWholeBox {
        path: PathBuf,
        shape: Vec<usize>,
        names: Vec<String>,
        offset: [usize; 3],
        size: [usize; 3],
        reply: Sender<Result<Vec<Vec<f64>>>>,
    },
    /// Read a commit file's header and record.
    ReadCommit { dir: PathBuf, reply: Sender<Result<(Header, CommitRecord)>> },
    /// Read and verify the box (offset, size) of fields `names` of a committed checkpoint.
    ReadBox {
        dir: PathBuf,
        record: Arc<CommitRecord>,
        dims: usize,
        names: Vec<String>,
        offset: [usize; 3],
        size: [usize; 3],
        reply: Sender<std::result::Result<Vec<Vec<f64>>, ReadFault>>,
    },
    /// Reply when every earlier job is done.
    Flush(Sender<()>),
}

/// One rank's block of every field, owned, for a [`Job::Checkpoint`].
pub struct BlockJob {
    pub rank: usize,
    pub offset: [usize; 3],
    pub size: [usize; 3],
    pub fields: Vec<(String, Values)>,
}

/// What the I/O thread reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// This rank's data file of hand-over `seq` (at `step`) is on disk, with its part of the
    /// record.
    Written {
        seq: u64,
        step: u64,
        /// Wall seconds the I/O thread spent on the file.
        seconds: f64,
        /// CPU seconds (user + system) of the I/O thread on the file.
        cpu: f64,
        blocks: Vec<BlockRecord>,
        file: FileRecord,
    },
    /// The checkpoint at `step` was not written: `field` is not finite at global cell (z, y, x).
    NonFinite {
        step: u64,
        field: String,
        cell: [usize; 3],
    },
    Committed(u64),
    Failed {
        step: u64,
        message: String,
    },
    /// Writing the self-contained final file or an image failed (not counted as in flight).
    OutputFailed(String),
}

pub struct IoThread {
    jobs: Option<SyncSender<Job>>,
    events: Receiver<Event>,
    returns: Receiver<Vec<f64>>,
    free: Vec<Vec<f64>>,
    /// Buffers handed out by [`IoThread::buffer`] and not yet back in the pool.
    outstanding: usize,
    handle: Option<JoinHandle<()>>,
    /// The I/O thread's CPU-time clock (pthread_getcpuclockid), if the system gave one.
    clock: Option<libc::clockid_t>,
}

/// CPU seconds (user + system) of the calling thread so far.
pub fn thread_cpu_seconds() -> f64 {
    clock_seconds(libc::CLOCK_THREAD_CPUTIME_ID).unwrap_or(0.0)
}

fn clock_seconds(clock: libc::clockid_t) -> Option<f64> {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(clock, &mut t) };
    (rc == 0).then_some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
}

impl IoThread {
    /// Start the thread; `queue` jobs may wait in the channel.
    pub fn spawn(queue: usize) -> Result<IoThread> {
        let (jobs, job_rx) = mpsc::sync_channel::<Job>(queue);
        let (ev_tx, events) = mpsc::channel();
        let (ret_tx, returns) = mpsc::channel();
        let (clock_tx, clock_rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("simrun-io".into())
            .spawn(move || {
                let mut id: libc::clockid_t = 0;
                // SAFETY: pthread_self is this thread; the call writes `id`.
                let ok = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) } == 0;
                let _ = clock_tx.send(ok.then_some(id));
                serve(job_rx, ev_tx, ret_tx)
            })
            .map_err(|e| Error::other(format!("cannot start the I/O thread: {e}")))?;
        let clock = clock_rx.recv().ok().flatten();
        Ok(IoThread {
            jobs: Some(jobs),
            events,
            returns,
            free: Vec::new(),
            outstanding: 0,
            handle: Some(handle),
            clock,
        })
    }

    /// CPU seconds (user + system) the I/O thread has used so far (0 if unknown).
    pub fn cpu_seconds(&self) -> f64 {
        self.clock.and_then(clock_seconds).unwrap_or(0.0)
    }

    /// A buffer of `len` values from the pool (allocated only when the pool is empty).
    pub fn buffer(&mut self, len: usize) -> Vec<f64> {
        self.collect_returns();
        self.outstanding += 1;
        match self.free.iter().position(|b| b.capacity() >= len) {
            Some(i) => {
                let mut b = self.free.swap_remove(i);
                b.resize(len, 0.0);
                b
            }
            None => vec![0.0; len],
        }
    }

    /// Put `count` buffers of `len` values, their pages faulted in, into the pool (memory the
    /// hand-overs will need, taken before the loop: see [`crate::field::touch_pages`]).
    pub fn reserve(&mut self, count: usize, len: usize) {
        for _ in 0..count {
            let mut b = vec![0.0; len];
            crate::field::touch_pages(&mut b);
            self.free.push(b);
        }
    }

    /// Put a buffer back into the pool (one that did not go to the I/O thread).
    pub fn give_back(&mut self, b: Vec<f64>) {
        self.outstanding = self.outstanding.saturating_sub(1);
        self.free.push(b);
    }

    fn collect_returns(&mut self) {
        for b in self.returns.try_iter() {
            self.outstanding = self.outstanding.saturating_sub(1);
            self.free.push(b);
        }
    }

    /// Wait until at most `n` buffers are out of the pool (the I/O thread returns them as it
    /// writes): bounds what a group's writer holds while it receives its members' blocks.
    pub fn wait_for_buffers(&mut self, n: usize) {
        self.collect_returns();
        while self.outstanding > n {
            match self.returns.recv() {
                Ok(b) => {
                    self.outstanding -= 1;
                    self.free.push(b);
                }
                Err(_) => break,
            }
        }
    }

    /// Hand a job over, waiting for room in the queue.
    pub fn submit(&self, job: Job) {
        // A disconnected channel means the thread died; the next poll/flush reports it.
        let _ = self.jobs.as_ref().expect("I/O thread running").send(job);
    }

    /// Events since the last poll.
    pub fn poll(&mut self) -> Vec<Event> {
        self.events.try_iter().collect()
    }

    /// Wait until every job handed over so far is done.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        self.submit(Job::Flush(tx));
        let _ = rx.recv();
    }

    /// Read a commit file's header and record (on the I/O thread) and wait for them.
    pub fn read_commit(&self, dir: PathBuf) -> Result<(Header, CommitRecord)> {
        let (reply, rx) = mpsc::channel();
        self.submit(Job::ReadCommit { dir, reply });
        rx.recv().unwrap_or_else(|_| Err(Error::other("the I/O thread stopped")))
    }

    /// Read a self-contained file's header (on the I/O thread): None for a commit file.
    pub fn read_whole_header(&self, path: PathBuf) -> Result<Option<WholeHeader>> {
        let (reply, rx) = mpsc::channel();
        self.submit(Job::ReadWholeHeader { path, reply });
        rx.recv().unwrap_or_else(|_| Err(Error::other("the I/O thread stopped")))
    }

    /// Read a box of fields of a self-contained file (on the I/O thread) and wait for it.
    pub fn read_whole_box(
        &self,
        path: PathBuf,
        shape: Vec<usize>,
        names: Vec<String>,
        offset: [usize; 3],
        size: [usize; 3],
    ) -> Result<Vec<Vec<f64>>> {
        let (reply, rx) = mpsc::channel();
        self.submit(Job::ReadWholeBox { path, shape, names, offset, size, reply });
        rx.recv().unwrap_or_else(|_| Err(Error::other("the I/O thread stopped")))
    }

    /// Read and verify a box of a committed checkpoint (on the I/O thread) and wait for it.
    pub fn read_box(
        &self,
        dir: PathBuf,
        record: Arc<CommitRecord>,
        dims: usize,
        names: Vec<String>,
        offset: [usize; 3],
        size: [usize; 3],
    ) -> std::result::Result<Vec<Vec<f64>>, ReadFault> {
        let (reply, rx) = mpsc::channel();
        self.submit(Job::ReadBox { dir, record, dims, names, offset, size, reply });
        rx.recv().unwrap_or_else(|_| {
            Err(ReadFault { fault: data_file::Fault::Unreadable, writer: 0, detail: "(the I/O thread stopped)".into() })
        })
    }
}

impl Drop for IoThread {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(jobs: Receiver<Job>, events: Sender<Event>, returns: Sender<Vec<f64>>) {
    // The field writers' series (rank 0), by directory.
    let mut series: Vec<Series> = Vec::new();
    // Fault injection for tests: a slow disk (each data file starts this many ms late, while the
    // compute thread runs on with the state it handed over).
    let delay = std::env::var("SIMRUN_TEST_IO_DELAY_MS").ok().and_then(|v| v.parse::<u64>().ok());
    while let Ok(job) = jobs.recv() {
        match job {
            Job::FieldSeries { spec, restart_step } => {
                series.retain(|s| s.spec.dir != spec.dir);
                match Series::open(*spec, restart_step) {
                    Ok((s, note)) => {
                        if let Some(n) = note {
                            eprintln!("{n}");
                        }
                        series.push(s);
                    }
                    Err(e) => {
                        let _ = events.send(Event::OutputFailed(e.to_string()));
                    }
                }
            }
            Job::FieldOutput { path, shape, fields, meta } => {
                let r = field_out::write_field_file(&path, &shape, &fields, &meta).and_then(|_| {
                    match series.iter_mut().find(|s| Some(s.spec.dir.as_path()) == path.parent()) {
                        Some(s) => s.add(meta.step, meta.time),
                        None => Ok(()),
                    }
                });
                if let Err(e) = r {
                    let _ = events.send(Event::OutputFailed(e.to_string()));
                }
            }
            Job::FieldSeriesFinish => {
                for s in &mut series {
                    if let Err(e) = s.finish() {
                        let _ = events.send(Event::OutputFailed(e.to_string()));
                    }
                }
            }
            Job::ReadWholeHeader { path, reply } => {
                let r = whole_file::is_commit_file(&path).and_then(|commit| {
                    if commit {
                        Ok(None)
                    } else {
                        whole_file::read_header(&path).map(Some)
                    }
                });
                let _ = reply.send(r);
            }
            Job::ReadWholeBox { path, shape, names, offset, size, reply } => {
                let _ = reply.send(whole_file::read_box(&path, &shape, &names, offset, size));
            }
            Job::Checkpoint { dir, writer, seq, stamp, run_id, dims, blocks, compression } => {
                if let Some(ms) = delay {
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                }
                let started = std::time::Instant::now();
                let cpu0 = thread_cpu_seconds();
                let mut w = Some(data_file::DataFileWriter::begin(&dir, writer, stamp, run_id, dims, compression));
                let mut outcome: Option<Result<Written>> = None;
                for _ in 0..blocks {
                    let Ok(Job::Block(b)) = jobs.recv() else {
                        outcome.get_or_insert(Err(Error::other("a checkpoint's blocks did not follow it")));
                        break;
                    };
                    if outcome.is_none() {
                        let view = BlockData { rank: b.rank, offset: b.offset, size: b.size, fields: &b.fields };
                        match w.as_mut().expect("writer").as_mut().map_err(|e| e.clone()).and_then(|w| w.add(&view)) {
                            Ok(None) => {}
                            Ok(Some(non_finite)) => outcome = Some(Ok(non_finite)),
                            Err(e) => outcome = Some(Err(e)),
                        }
                    }
                    give_back(&returns, b.fields);
                }
                let r = match outcome {
                    Some(r) => r,
                    None => w.take().expect("writer").and_then(|w| w.finish()),
                };
                drop(w);
                let _ = events.send(match r {
                    Ok(Written::Ok { blocks, file }) => {
                        let (seconds, cpu) = (started.elapsed().as_secs_f64(), thread_cpu_seconds() - cpu0);
                        Event::Written { seq, step: stamp.step, seconds, cpu, blocks, file }
                    }
                    Ok(Written::NonFinite { field, cell, .. }) => Event::NonFinite { step: stamp.step, field, cell },
                    Err(e) => Event::Failed { step: stamp.step, message: e.to_string() },
                });
            }
            Job::Block(b) => {
                // Only after a failed header hand-over; give the buffers back.
                give_back(&returns, b.fields);
            }
            Job::Commit { out_dir, meta, record, keep, protect } => {
                let step = meta.stamp.step;
                let r = commit_checkpoint(&out_dir, &meta, &record, keep, protect.as_deref());
                let _ = events.send(match r {
                    Ok(()) => Event::Committed(step),
                    Err(e) => Event::Failed { step, message: e.to_string() },
                });
            }
            Job::CommitFinal { out_dir, meta, record, diagnostics } => {
                let step = meta.stamp.step;
                let table = read_table(diagnostics.as_deref());
                let r = commit::write_at(&out_dir.join("final.h5"), "final", &meta, &record, table.as_ref());
                let r = r.and_then(|_| {
                    let keep: Vec<String> =
                        record.files.iter().map(|f| checkpoint::record::data_file_name(f.writer)).collect();
                    remove_final_data(&out_dir.join("final"), &keep);
                    let mesh = xdmf::Mesh { dims: meta.dims, cells: meta.global, spacing: meta.spacing };
                    write_final_xdmf(&out_dir.join("final.h5"), &mesh, &record.fields, meta.stamp)
                });
                let _ = events.send(match r {
                    Ok(()) => Event::Committed(step),
                    Err(e) => Event::Failed { step, message: e.to_string() },
                });
            }
            Job::Image { path, data, samples, info } => {
                let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
                let r = std::fs::create_dir_all(&dir)
                    .map_err(|e| Error::io(format!("cannot create image directory {}: {e}", dir.display())))
                    .and_then(|_| super::png_out::write_sampled_png(&path, &data, samples, &info));
                if let Err(e) = r {
                    let _ = events.send(Event::OutputFailed(e.to_string()));
                }
            }
            Job::Series { out_dir } => {
                if let Err(e) = lifecycle::write_series(&out_dir) {
                    eprintln!("warning: {e}");
                }
            }
            Job::Final { path, shape, fields, meta, diagnostics } => {
                let views: Vec<(&str, &[f64])> = fields.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
                let names: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
                let mesh = xdmf::Mesh { dims: shape.len(), cells: cells_of(&shape), spacing: meta.spacing };
                let stamp = Stamp { step: meta.step, time: meta.time, dt: meta.dt, change: meta.change };
                let table = read_table(diagnostics.as_deref());
                let r = hdf5_out::write_fields(&path, &shape, &views, &meta, table.as_ref()).and_then(|_| {
                    // A distributed final output of an earlier run would be stale now.
                    remove_final_data(&path.with_file_name("final"), &[]);
                    write_final_xdmf(&path, &mesh, &names, stamp)
                });
                if let Err(e) = r {
                    let _ = events.send(Event::OutputFailed(e.to_string()));
                }
            }
            Job::ReadCommit { dir, reply } => {
                let _ = reply.send(commit::read(&dir, true));
            }
            Job::ReadBox { dir, record, dims, names, offset, size, reply } => {
                let _ = reply.send(data_file::read_box(&dir, &record, dims, &names, offset, size));
            }
            Job::Flush(reply) => {
                let _ = reply.send(());
            }
        }
    }
}

/// The diagnostics table for a final output (`None` with a warning if the file cannot be read:
/// the final state is worth more than its table).
fn read_table(csv: Option<&std::path::Path>) -> Option<super::diag_csv::Table> {
    let r = super::diag_csv::read(csv?);
    if let Err(e) = &r {
        eprintln!("warning: final.h5 has no /diagnostics: {e}");
    }
    r.ok()
}

fn commit_checkpoint(
    out_dir: &std::path::Path,
    meta: &MasterMeta,
    record: &CommitRecord,
    keep: usize,
    protect: Option<&std::path::Path>,
) -> Result<()> {
    let dir = checkpoint::dir_for(out_dir, meta.stamp.step);
    commit::write(&dir, meta, record)?;
    checkpoint::set_latest(out_dir, meta.stamp.step)?;
    checkpoint::prune(out_dir, keep, protect);
    lifecycle::write_series(out_dir)
}

/// Write `final.xdmf` beside the final output `h5` (self-contained or a distributed commit) once
/// it is on disk: ParaView opens the final state through it.
fn write_final_xdmf(h5: &std::path::Path, mesh: &xdmf::Mesh, fields: &[String], stamp: Stamp) -> Result<()> {
    let file = h5.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let level = xdmf::Level { time: stamp.time, step: stamp.step, file };
    xdmf::write_file(&h5.with_extension("xdmf"), mesh, &xdmf::Content::fields_f64(fields), &level)
}

/// Cells (z, y, x) of an array shape ((ny, nx) or (nz, ny, nx)).
fn cells_of(shape: &[usize]) -> [usize; 3] {
    match *shape {
        [ny, nx] => [1, ny, nx],
        [nz, ny, nx] => [nz, ny, nx],
        _ => [0; 3],
    }
}

/// Remove the data files in a distributed final output's directory that `keep` does not name
/// (an earlier run's with more writers, or all of them when final.h5 is self-contained now).
fn remove_final_data(dir: &std::path::Path, keep: &[String]) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("rank_") && name.ends_with(".h5") && !keep.contains(&name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    if keep.is_empty() {
        let _ = std::fs::remove_dir(dir);
    }
}

/// Return a block's copies to the compute thread's pool; a lent buffer goes back to its model by
/// dropping the view.
fn give_back(returns: &Sender<Vec<f64>>, fields: Vec<(String, Values)>) {
    for (_, v) in fields {
        if let Values::Owned(buf) = v {
            let _ = returns.send(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reserved buffers are the ones the hand-overs take: nothing is allocated in the loop.
    #[test]
    fn reserved_buffers_are_handed_out_first() {
        let mut io = IoThread::spawn(2).unwrap();
        io.reserve(2, 1000);
        let reserved: Vec<*const f64> = io.free.iter().map(|b| b.as_ptr()).collect();
        assert_eq!(reserved.len(), 2);
        let (x, y) = (io.buffer(1000), io.buffer(640));
        assert!(reserved.contains(&x.as_ptr()) && reserved.contains(&y.as_ptr()) && x.as_ptr() != y.as_ptr());
        assert_eq!(y.len(), 640);
        assert!(x.iter().chain(&y).all(|&v| v == 0.0), "reserved buffers hold zeros");
        io.give_back(x);
        io.give_back(y);
    }
}
