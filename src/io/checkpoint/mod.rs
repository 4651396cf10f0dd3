//! Checkpoints on disk: data files, the commit, the directory lifecycle, and `simrun inspect`.
//!
//! Layout under `<output.dir>/checkpoints/`:
//! ```text
//! ckpt_0000000100/            one directory per checkpoint, named by step
//!     rank_00000.h5 ...       data files: each writer's blocks with their checksums (data_file)
//!     checkpoint.h5           the commit: metadata, the commit record, virtual datasets (commit)
//! latest                      text: the directory name of the newest committed checkpoint
//! ```
//! Every file is written under a `.tmp` name, flushed to disk and renamed; a failed write removes
//! its temporary file. A data file exists only when complete; `checkpoint.h5` is written by rank
//! 0 only after every rank confirmed its file and sent its part of the record (lengths, content
//! checksums), so a checkpoint is committed exactly when its `checkpoint.h5` exists, and a restart
//! verifies every byte it reads against it. Killing the job at any instant leaves every earlier
//! committed checkpoint intact. Why per-writer files rather than parallel HDF5: the I/O threads
//! stay independent (no collective HDF5 calls that would tie the I/O thread of one rank to the
//! others, or need MPI from a non-main thread), and the serial HDF5 library suffices.

pub mod commit;
pub mod data_file;
pub mod inspect;
pub mod lifecycle;
pub mod record;

pub use commit::{master_path, Header, MasterMeta};
pub use lifecycle::{dir_for, dir_name, list_committed, prune, remove_uncommitted, root, set_aside, set_latest};

use crate::error::{Error, Result};
use hdf5::types::VarLenUnicode;
use std::path::Path;

pub const MASTER: &str = "checkpoint.h5";
pub const LATEST: &str = "latest";

/// Step, time and dt of a checkpoint, and the steady-state change measured at that step.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub step: u64,
    pub time: f64,
    pub dt: f64,
    /// The model's change per unit time at this step ([`crate::models::Model::steady_change`])
    /// when the run measures it (`time.steady_tolerance`): stored as the attribute
    /// [`STEADY_CHANGE`], so a restart of a run that stopped at its steady state knows it is
    /// there without taking a step.
    pub change: Option<f64>,
}

/// The attribute that holds [`Stamp::change`] (absent when the run measured none).
pub const STEADY_CHANGE: &str = "steady_change";

impl Stamp {
    pub fn at(step: u64, time: f64, dt: f64) -> Stamp {
        Stamp { step, time, dt, change: None }
    }
}

/// Add the steady change to a digest when there is one (a file without it keeps the digest it
/// had before the attribute existed).
pub fn digest_change(d: crate::io::meta_digest::MetaDigest, change: Option<f64>) -> crate::io::meta_digest::MetaDigest {
    match change {
        Some(c) => d.f64(STEADY_CHANGE, c),
        None => d,
    }
}

/// Write [`Stamp::change`] as [`STEADY_CHANGE`] when there is one.
pub fn put_change(loc: &hdf5::Location, change: Option<f64>) -> hdf5::Result<()> {
    match change {
        Some(c) => loc.new_attr::<f64>().create(STEADY_CHANGE)?.write_scalar(&c),
        None => Ok(()),
    }
}

/// Read [`STEADY_CHANGE`] if the file has it.
pub fn get_change(loc: &hdf5::Location) -> hdf5::Result<Option<f64>> {
    match loc.attr(STEADY_CHANGE) {
        Ok(a) => Ok(Some(a.read_scalar()?)),
        Err(_) => Ok(None),
    }
}

/// The axes that exist, as a vector in array order: (y, x) in 2-D, (z, y, x) in 3-D.
pub fn used(v: [usize; 3], dims: usize) -> Vec<usize> {
    v[3 - dims..].to_vec()
}

fn put_str(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("attribute {name}: {e:?}")))?;
    loc.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&v)
}

fn get_str(loc: &hdf5::Location, name: &str) -> hdf5::Result<String> {
    Ok(loc.attr(name)?.read_scalar::<VarLenUnicode>()?.as_str().to_string())
}

fn put_stamp(loc: &hdf5::Location, s: Stamp) -> hdf5::Result<()> {
    loc.new_attr::<u64>().create("step")?.write_scalar(&s.step)?;
    loc.new_attr::<f64>().create("time")?.write_scalar(&s.time)?;
    loc.new_attr::<f64>().create("dt")?.write_scalar(&s.dt)
}

/// Flush the finished temporary file `tmp` to disk, rename it to `path`, flush the directory.
pub fn commit_file(tmp: &Path, path: &Path) -> Result<()> {
    let f = std::fs::File::open(tmp).map_err(|e| Error::io(format!("cannot reopen {}: {e}", tmp.display())))?;
    f.sync_all().map_err(|e| Error::io(format!("cannot flush {} to disk: {e}", tmp.display())))?;
    std::fs::rename(tmp, path)
        .map_err(|e| Error::io(format!("cannot rename {} to {}: {e}", tmp.display(), path.display())))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Write `bytes` to `path` by temporary name, flush and rename; no temporary file is left on
/// failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let r = std::fs::write(&tmp, bytes)
        .map_err(|e| Error::io(format!("cannot write {}: {e}", path.display())))
        .and_then(|_| commit_file(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
