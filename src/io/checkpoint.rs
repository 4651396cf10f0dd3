//! Checkpoint files on disk, and the crash-safe commit.
//!
//! Layout under `<output.dir>/checkpoints/`:
//! ```text
//! ckpt_0000000100/            one directory per checkpoint, named by step
//!     rank_00000.h5 ...       each rank's block: /fields/<name> (local shape, fletcher32)
//!     checkpoint.h5           the commit: /fields/<name> as virtual datasets of the global
//!                             shape stitched from the rank files, plus step, time, dt, config
//! latest                      text: the directory name of the newest committed checkpoint
//! ```
//! Every file is written under a `.tmp` name, flushed to disk and renamed. A rank file exists only
//! when complete; `checkpoint.h5` is written by rank 0 only after every rank confirmed its file,
//! so a checkpoint is committed exactly when its `checkpoint.h5` exists. Killing the job at any
//! instant leaves every earlier committed checkpoint intact. Why per-rank files and a virtual
//! dataset rather than parallel HDF5: the I/O threads stay independent (no collective HDF5 calls
//! that would tie the I/O thread of one rank to the others, or need MPI from a non-main thread),
//! the serial HDF5 library suffices, and any reader still sees one global array.

use crate::error::{Error, Result};
use hdf5::types::VarLenUnicode;
use hdf5::{Hyperslab, Selection, SliceOrIndex};
use std::path::{Path, PathBuf};

pub const MASTER: &str = "checkpoint.h5";
pub const LATEST: &str = "latest";

pub fn root(out_dir: &Path) -> PathBuf {
    out_dir.join("checkpoints")
}

pub fn dir_name(step: u64) -> String {
    format!("ckpt_{step:010}")
}

pub fn dir_for(out_dir: &Path, step: u64) -> PathBuf {
    root(out_dir).join(dir_name(step))
}

pub fn rank_file_name(rank: usize) -> String {
    format!("rank_{rank:05}.h5")
}

/// Step, time and dt of a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    pub step: u64,
    pub time: f64,
    pub dt: f64,
}

/// What the commit records about the run and the split that wrote the checkpoint.
#[derive(Debug, Clone)]
pub struct MasterMeta {
    pub stamp: Stamp,
    pub model: String,
    pub config_toml: String,
    pub state_signature: String,
    pub dims: usize,
    /// Global cells (z, y, x).
    pub global: [usize; 3],
    pub spacing: [f64; 3],
    pub layout: Vec<usize>,
    pub threads: usize,
    /// Every rank's block: (offset, size), (z, y, x).
    pub blocks: Vec<([usize; 3], [usize; 3])>,
    pub fields: Vec<String>,
    pub state_fields: Vec<String>,
}

fn h5<'a>(path: &'a Path, what: &str) -> impl Fn(hdf5::Error) -> Error + 'a {
    let what = what.to_string();
    move |e| Error::io(format!("{what} {}: {e}", path.display()))
}

/// The axes that exist, as a vector in array order: (y, x) in 2-D, (z, y, x) in 3-D.
pub fn used(v: [usize; 3], dims: usize) -> Vec<usize> {
    v[3 - dims..].to_vec()
}

fn hyperslab(offset: &[usize], size: &[usize]) -> Selection {
    let s: Vec<SliceOrIndex> = offset
        .iter()
        .zip(size)
        .map(|(&o, &n)| SliceOrIndex::SliceCount { start: o, step: 1, count: n, block: 1 })
        .collect();
    Selection::from(Hyperslab::from(s))
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

fn put_u64s(loc: &hdf5::Location, name: &str, v: &[usize]) -> hdf5::Result<()> {
    let v: Vec<u64> = v.iter().map(|&x| x as u64).collect();
    loc.new_attr::<u64>().shape(v.len()).create(name)?.write(&v)
}

/// Write `tmp`, then flush it to disk and rename it to `path`.
fn commit_file(tmp: &Path, path: &Path) -> Result<()> {
    let f = std::fs::File::open(tmp).map_err(|e| Error::io(format!("cannot reopen {}: {e}", tmp.display())))?;
    f.sync_all().map_err(|e| Error::io(format!("cannot flush {} to disk: {e}", tmp.display())))?;
    std::fs::rename(tmp, path)
        .map_err(|e| Error::io(format!("cannot rename {} to {}: {e}", tmp.display(), path.display())))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Write one rank's block of every field into `dir/rank_NNNNN.h5` (atomically).
#[allow(clippy::too_many_arguments)]
pub fn write_rank_file(
    dir: &Path,
    rank: usize,
    stamp: Stamp,
    dims: usize,
    offset: [usize; 3],
    size: [usize; 3],
    fields: &[(String, Vec<f64>)],
    compression: u8,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create checkpoint directory {}: {e}", dir.display())))?;
    let path = dir.join(rank_file_name(rank));
    let tmp = path.with_extension("h5.tmp");
    let shape = used(size, dims);
    {
        let file = hdf5::File::create(&tmp).map_err(h5(&tmp, "cannot create checkpoint file"))?;
        let write = || -> hdf5::Result<()> {
            put_stamp(&file, stamp)?;
            file.new_attr::<u64>().create("rank")?.write_scalar(&(rank as u64))?;
            put_u64s(&file, "offset", &used(offset, dims))?;
            put_u64s(&file, "size", &shape)?;
            let g = file.create_group("fields")?;
            for (name, data) in fields {
                let view = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(&shape), data)
                    .map_err(|e| hdf5::Error::from(format!("field {name}: {e}")))?;
                let mut b = g.new_dataset_builder();
                if data.len() > 0 {
                    b = b.chunk(chunk_shape(&shape)).fletcher32();
                    if compression > 0 {
                        b = b.deflate(compression);
                    }
                }
                b.with_data(&view).create(name.as_str())?;
            }
            file.flush()
        };
        write().map_err(h5(&tmp, "cannot write checkpoint file"))?;
    }
    commit_file(&tmp, &path)
}

/// Chunks of about 1 MiB made of whole x-rows.
pub fn chunk_shape(shape: &[usize]) -> Vec<usize> {
    let d = shape.len();
    let row = shape[d - 1].max(1);
    let mut c = vec![1; d];
    c[d - 1] = row;
    c[d - 2] = ((1 << 17) / row).clamp(1, shape[d - 2].max(1));
    c
}

/// Commit: write `dir/checkpoint.h5` stitching every rank file into global virtual datasets.
/// Call only when every rank's file exists.
pub fn write_master(dir: &Path, meta: &MasterMeta) -> Result<()> {
    for r in 0..meta.blocks.len() {
        let f = dir.join(rank_file_name(r));
        if !f.exists() {
            return Err(Error::io(format!("cannot commit {}: {} is missing", dir.display(), f.display())));
        }
    }
    let path = dir.join(MASTER);
    let tmp = path.with_extension("h5.tmp");
    let gshape = used(meta.global, meta.dims);
    {
        let file = hdf5::File::create(&tmp).map_err(h5(&tmp, "cannot create checkpoint file"))?;
        let write = || -> hdf5::Result<()> {
            put_stamp(&file, meta.stamp)?;
            put_str(&file, "model", &meta.model)?;
            put_str(&file, "simrun_version", env!("CARGO_PKG_VERSION"))?;
            put_str(&file, "config", &meta.config_toml)?;
            put_str(&file, "state_signature", &meta.state_signature)?;
            put_str(&file, "state_fields", &meta.state_fields.join(","))?;
            put_u64s(&file, "grid_shape", &gshape)?;
            file.new_attr::<f64>().shape(3).create("spacing")?.write(&meta.spacing)?;
            put_u64s(&file, "layout", &meta.layout)?;
            file.new_attr::<u64>().create("ranks")?.write_scalar(&(meta.blocks.len() as u64))?;
            file.new_attr::<u64>().create("threads")?.write_scalar(&(meta.threads as u64))?;
            file.new_attr::<u8>().create("committed")?.write_scalar(&1u8)?;
            let g = file.create_group("fields")?;
            for name in &meta.fields {
                let mut b = g.new_dataset::<f64>().shape(gshape.clone());
                for (r, (o, s)) in meta.blocks.iter().enumerate() {
                    let (o, s) = (used(*o, meta.dims), used(*s, meta.dims));
                    b = b.virtual_map(
                        rank_file_name(r),
                        format!("/fields/{name}"),
                        s.clone(),
                        hyperslab(&vec![0; s.len()], &s),
                        gshape.clone(),
                        hyperslab(&o, &s),
                    );
                }
                let ds = b.create(name.as_str())?;
                put_stamp(&ds, meta.stamp)?;
            }
            file.flush()
        };
        write().map_err(h5(&tmp, "cannot write checkpoint file"))?;
    }
    commit_file(&tmp, &path)
}

/// Point `checkpoints/latest` at the checkpoint of `step` (atomically).
pub fn set_latest(out_dir: &Path, step: u64) -> Result<()> {
    let path = root(out_dir).join(LATEST);
    let tmp = root(out_dir).join("latest.tmp");
    std::fs::write(&tmp, dir_name(step) + "\n")
        .map_err(|e| Error::io(format!("cannot write {}: {e}", tmp.display())))?;
    commit_file(&tmp, &path)
}

/// Committed checkpoints under `out_dir`, newest first: (step, directory).
pub fn list_committed(out_dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(root(out_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let step = name.strip_prefix("ckpt_")?.parse::<u64>().ok()?;
            e.path().join(MASTER).exists().then(|| (step, e.path()))
        })
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0));
    v
}

/// Remove committed checkpoints beyond the newest `keep`, and uncommitted ones older than the
/// newest committed (left by a crash).
pub fn prune(out_dir: &Path, keep: usize) {
    let committed = list_committed(out_dir);
    let newest = committed.first().map(|c| c.0);
    for (_, dir) in committed.iter().skip(keep) {
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Some(newest) = newest {
        for e in std::fs::read_dir(root(out_dir)).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(step) = name.strip_prefix("ckpt_").and_then(|s| s.parse::<u64>().ok()) {
                if step < newest && !e.path().join(MASTER).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Remove checkpoint directories that were never committed (a crashed run's leftovers).
pub fn remove_uncommitted(out_dir: &Path) {
    for e in std::fs::read_dir(root(out_dir)).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("ckpt_") && !e.path().join(MASTER).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// What a committed checkpoint says about itself.
#[derive(Debug, Clone)]
pub struct Header {
    pub dir: PathBuf,
    pub stamp: Stamp,
    pub model: String,
    pub config_toml: String,
    pub state_signature: String,
    pub grid_shape: Vec<usize>,
    pub layout: Vec<usize>,
    pub ranks: usize,
    pub threads: usize,
    pub fields: Vec<(String, Vec<usize>)>,
    pub state_fields: Vec<String>,
}

/// Accept a checkpoint directory or its `checkpoint.h5`.
pub fn master_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(MASTER)
    } else {
        path.to_path_buf()
    }
}

/// Read the header of a committed checkpoint, checking that every rank file it stitches exists
/// (a virtual dataset whose sources are missing would read as zeros).
pub fn read_header(path: &Path) -> Result<Header> {
    let master = master_path(path);
    if !master.exists() {
        return Err(Error::io(format!("{} is not a committed checkpoint (no {MASTER})", path.display())));
    }
    let dir = master.parent().unwrap_or(Path::new(".")).to_path_buf();
    let file = hdf5::File::open(&master).map_err(h5(&master, "cannot open checkpoint"))?;
    let read = || -> hdf5::Result<Header> {
        let stamp = Stamp {
            step: file.attr("step")?.read_scalar()?,
            time: file.attr("time")?.read_scalar()?,
            dt: file.attr("dt")?.read_scalar()?,
        };
        let u = |name: &str| -> hdf5::Result<Vec<usize>> {
            Ok(file.attr(name)?.read_raw::<u64>()?.into_iter().map(|v| v as usize).collect())
        };
        let g = file.group("fields")?;
        let mut fields = Vec::new();
        for name in g.member_names()? {
            let shape = g.dataset(&name)?.shape();
            fields.push((name, shape));
        }
        Ok(Header {
            dir: dir.clone(),
            stamp,
            model: get_str(&file, "model")?,
            config_toml: get_str(&file, "config")?,
            state_signature: get_str(&file, "state_signature")?,
            grid_shape: u("grid_shape")?,
            layout: u("layout")?,
            ranks: file.attr("ranks")?.read_scalar::<u64>()? as usize,
            threads: file.attr("threads")?.read_scalar::<u64>()? as usize,
            fields,
            state_fields: get_str(&file, "state_fields")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        })
    };
    let h = read().map_err(h5(&master, "cannot read checkpoint header of"))?;
    for r in 0..h.ranks {
        let f = dir.join(rank_file_name(r));
        if !f.exists() {
            return Err(Error::io(format!("checkpoint {} is incomplete: {} is missing", dir.display(), f.display())));
        }
    }
    Ok(h)
}

/// Read the block (offset, size) of field `name` from a committed checkpoint, through its
/// global virtual dataset: works for any split of the run that wrote it. A corrupted chunk
/// fails its fletcher32 checksum and gives an error.
pub fn read_block(dir: &Path, name: &str, dims: usize, offset: [usize; 3], size: [usize; 3]) -> Result<Vec<f64>> {
    let master = dir.join(MASTER);
    let file = hdf5::File::open(&master).map_err(h5(&master, "cannot open checkpoint"))?;
    let ds = file.dataset(&format!("fields/{name}")).map_err(h5(&master, &format!("no field `{name}` in")))?;
    let sel = hyperslab(&used(offset, dims), &used(size, dims));
    let a =
        ds.read_slice::<f64, _, ndarray::IxDyn>(sel).map_err(h5(&master, &format!("cannot read field `{name}` of")))?;
    Ok(a.as_standard_layout().iter().copied().collect())
}

/// Describe a checkpoint file (a checkpoint directory, its checkpoint.h5, or one rank file) for
/// `simrun inspect`.
pub fn describe(path: &Path) -> Result<String> {
    let master = master_path(path);
    let is_rank_file = master.file_name().map(|n| n.to_string_lossy().starts_with("rank_")).unwrap_or(false);
    if is_rank_file {
        let file = hdf5::File::open(&master).map_err(h5(&master, "cannot open"))?;
        let dir = master.parent().unwrap_or(Path::new("."));
        let read = || -> hdf5::Result<String> {
            let step: u64 = file.attr("step")?.read_scalar()?;
            let time: f64 = file.attr("time")?.read_scalar()?;
            let rank: u64 = file.attr("rank")?.read_scalar()?;
            let off: Vec<u64> = file.attr("offset")?.read_raw()?;
            let size: Vec<u64> = file.attr("size")?.read_raw()?;
            let names = file.group("fields")?.member_names()?;
            Ok(format!(
                "rank file of checkpoint {}\n  rank: {rank}\n  step: {step}\n  time: {time:e}\n  block offset: {off:?}\n  block size: {size:?}\n  fields: {}\n  committed: {}\n",
                dir.display(),
                names.join(", "),
                if dir.join(MASTER).exists() { "yes" } else { "no (no checkpoint.h5 beside it)" }
            ))
        };
        return read().map_err(h5(&master, "cannot read"));
    }
    if !master.exists() {
        let dir =
            if path.is_dir() { path.to_path_buf() } else { path.parent().unwrap_or(Path::new(".")).to_path_buf() };
        let ranks: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("rank_"))
            .collect();
        return Err(Error::io(format!(
            "{}: not committed (no {MASTER}); {} rank file(s) present",
            dir.display(),
            ranks.len()
        )));
    }
    let h = read_header(&master)?;
    let mut s = format!(
        "checkpoint {}\n  committed: yes\n  model: {}\n  step: {}\n  time: {:e}\n  dt: {:e}\n  grid: {:?}\n  written by: {} rank(s), layout {:?}, {} thread(s) each\n  fields:\n",
        h.dir.display(),
        h.model,
        h.stamp.step,
        h.stamp.time,
        h.stamp.dt,
        h.grid_shape,
        h.ranks,
        h.layout,
        h.threads
    );
    for (n, shape) in &h.fields {
        let role = if h.state_fields.contains(n) { "state" } else { "view" };
        s.push_str(&format!("    /fields/{n} {shape:?} f64 ({role})\n"));
    }
    Ok(s)
}

/// Set aside committed checkpoints that belong to another history than the run about to start:
/// all of them for a fresh run (`after = None`), those after step `after` for a restart (they would
/// otherwise count as newer than what this run writes). They are renamed
/// `<name>.superseded-<unix seconds>`, never deleted, and no longer count as checkpoints. The
/// `latest` pointer is moved to the newest checkpoint left, or removed. Returns the new names.
pub fn set_aside(out_dir: &Path, after: Option<u64>) -> Vec<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut moved = Vec::new();
    for (step, dir) in list_committed(out_dir) {
        if after.is_none_or(|a| step > a) {
            let to = dir.with_file_name(format!("{}.superseded-{stamp}", dir_name(step)));
            if std::fs::rename(&dir, &to).is_ok() {
                moved.push(to);
            }
        }
    }
    if !moved.is_empty() {
        match list_committed(out_dir).first() {
            Some((step, _)) => {
                let _ = set_latest(out_dir, *step);
            }
            None => {
                let _ = std::fs::remove_file(root(out_dir).join(LATEST));
            }
        }
    }
    moved
}
