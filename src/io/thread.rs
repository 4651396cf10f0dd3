//! The I/O thread: one per process, owner of every HDF5 call. The compute thread hands it owned
//! buffers through a bounded channel and goes on; buffers come back through a return channel
//! into a pool, so in steady state nothing is allocated and memory stays bounded by
//! (queue + 2) checkpoints.

use super::checkpoint::{self, MasterMeta, Stamp};
use super::{hdf5_out, xdmf};
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Work for the I/O thread.
pub enum Job {
    /// Write this rank's block of a checkpoint.
    Checkpoint {
        dir: PathBuf,
        rank: usize,
        stamp: Stamp,
        dims: usize,
        offset: [usize; 3],
        size: [usize; 3],
        fields: Vec<(String, Vec<f64>)>,
        compression: u8,
    },
    /// Rank 0, after every rank confirmed: write the commit, point `latest` at it, rewrite the
    /// XDMF series and remove old checkpoints.
    Commit { out_dir: PathBuf, meta: Box<MasterMeta>, keep: usize },
    /// Rank 0: write the gathered final state as one self-contained file.
    Final { path: PathBuf, shape: Vec<usize>, fields: Vec<(String, Vec<f64>)>, meta: Box<FinalMeta> },
    /// Read the header of a committed checkpoint and this rank's block of fields `names`.
    Read {
        dir: PathBuf,
        names: Vec<String>,
        dims: usize,
        offset: [usize; 3],
        size: [usize; 3],
        reply: Sender<Result<ReadBack>>,
    },
    /// Reply when every earlier job is done.
    Flush(Sender<()>),
}

/// Owned copy of [`hdf5_out::Meta`] for the final file.
pub struct FinalMeta {
    pub model: String,
    pub step: u64,
    pub time: f64,
    pub dt: f64,
    pub config_toml: String,
    pub spacing: [f64; 3],
    pub layout: Vec<usize>,
    pub threads: usize,
}

/// A checkpoint read back for a restart: its header and the requested blocks.
pub type ReadBack = (checkpoint::Header, Vec<Vec<f64>>);

/// What the I/O thread reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// This rank's file of the checkpoint at `step` is on disk.
    Written(u64),
    Committed(u64),
    Failed {
        step: u64,
        message: String,
    },
    /// Writing the final file failed (that job is not counted as in flight).
    FinalFailed(String),
}

pub struct IoThread {
    jobs: Option<SyncSender<Job>>,
    events: Receiver<Event>,
    returns: Receiver<Vec<f64>>,
    free: Vec<Vec<f64>>,
    handle: Option<JoinHandle<()>>,
}

impl IoThread {
    /// Start the thread; `queue` jobs may wait in the channel.
    pub fn spawn(queue: usize) -> Result<IoThread> {
        let (jobs, job_rx) = mpsc::sync_channel::<Job>(queue);
        let (ev_tx, events) = mpsc::channel();
        let (ret_tx, returns) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("simrun-io".into())
            .spawn(move || serve(job_rx, ev_tx, ret_tx))
            .map_err(|e| Error::other(format!("cannot start the I/O thread: {e}")))?;
        Ok(IoThread { jobs: Some(jobs), events, returns, free: Vec::new(), handle: Some(handle) })
    }

    /// A buffer of `len` values from the pool (allocated only when the pool is empty).
    pub fn buffer(&mut self, len: usize) -> Vec<f64> {
        self.free.extend(self.returns.try_iter());
        match self.free.iter().position(|b| b.capacity() >= len) {
            Some(i) => {
                let mut b = self.free.swap_remove(i);
                b.resize(len, 0.0);
                b
            }
            None => vec![0.0; len],
        }
    }

    /// Hand a job over without waiting; gives it back if the queue is full.
    pub fn try_submit(&self, job: Job) -> std::result::Result<(), Job> {
        match self.jobs.as_ref().expect("I/O thread running").try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(j)) | Err(TrySendError::Disconnected(j)) => Err(j),
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

    /// Read a committed checkpoint's header and blocks (on the I/O thread) and wait for them.
    pub fn read(
        &self,
        dir: PathBuf,
        names: Vec<String>,
        dims: usize,
        offset: [usize; 3],
        size: [usize; 3],
    ) -> Result<ReadBack> {
        let (reply, rx) = mpsc::channel();
        self.submit(Job::Read { dir, names, dims, offset, size, reply });
        rx.recv().unwrap_or_else(|_| Err(Error::other("the I/O thread stopped")))
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
    for job in jobs {
        match job {
            Job::Checkpoint { dir, rank, stamp, dims, offset, size, fields, compression } => {
                let r = checkpoint::write_rank_file(&dir, rank, stamp, dims, offset, size, &fields, compression);
                let _ = events.send(match r {
                    Ok(()) => Event::Written(stamp.step),
                    Err(e) => Event::Failed { step: stamp.step, message: e.to_string() },
                });
                for (_, b) in fields {
                    let _ = returns.send(b);
                }
            }
            Job::Commit { out_dir, meta, keep } => {
                let step = meta.stamp.step;
                let r = commit(&out_dir, &meta, keep);
                let _ = events.send(match r {
                    Ok(()) => Event::Committed(step),
                    Err(e) => Event::Failed { step, message: e.to_string() },
                });
            }
            Job::Final { path, shape, fields, meta } => {
                let m = hdf5_out::Meta {
                    model: &meta.model,
                    step: meta.step,
                    time: meta.time,
                    dt: meta.dt,
                    config_toml: &meta.config_toml,
                    spacing: meta.spacing,
                    layout: &meta.layout,
                    threads: meta.threads,
                };
                let views: Vec<(&str, &[f64])> = fields.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
                if let Err(e) = hdf5_out::write_fields(&path, &shape, &views, &m) {
                    let _ = events.send(Event::FinalFailed(e.to_string()));
                }
            }
            Job::Read { dir, names, dims, offset, size, reply } => {
                let r = checkpoint::read_header(&dir).and_then(|h| {
                    let blocks = names
                        .iter()
                        .map(|n| checkpoint::read_block(&h.dir, n, dims, offset, size))
                        .collect::<Result<Vec<_>>>()?;
                    Ok((h, blocks))
                });
                let _ = reply.send(r);
            }
            Job::Flush(reply) => {
                let _ = reply.send(());
            }
        }
    }
}

fn commit(out_dir: &std::path::Path, meta: &MasterMeta, keep: usize) -> Result<()> {
    let dir = checkpoint::dir_for(out_dir, meta.stamp.step);
    checkpoint::write_master(&dir, meta)?;
    checkpoint::set_latest(out_dir, meta.stamp.step)?;
    checkpoint::prune(out_dir, keep);
    // The series of what is left, oldest first.
    let mut levels = Vec::new();
    for (step, d) in checkpoint::list_committed(out_dir).into_iter().rev() {
        let time = checkpoint::read_header(&d).map(|h| h.stamp.time).unwrap_or(f64::NAN);
        levels.push(xdmf::Level {
            time,
            step,
            file: format!("checkpoints/{}/{}", checkpoint::dir_name(step), checkpoint::MASTER),
        });
    }
    xdmf::write(&out_dir.join("checkpoints.xdmf"), meta.dims, meta.global, meta.spacing, &meta.fields, &levels)
}
