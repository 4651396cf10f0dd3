//! The commit file `checkpoint.h5`: the run's metadata, the commit record (`/record`), and for
//! readers such as h5py and ParaView one global virtual dataset per field stitched from the data
//! files. Restarts never read through the virtual datasets (HDF5 fills a source it cannot open
//! with zeros, silently); they read the data files and verify them against `/record`.
//!
//! ```text
//! checkpoint.h5
//!   attributes: format, step, time, dt, model, simrun_version, config, state_signature,
//!               state_fields, fields, grid_shape, spacing, layout, ranks, threads, run_id,
//!               data_dir, meta_xxh3 (the checksum of the others but simrun_version:
//!               crate::io::meta_digest)
//!   /fields/<name>            virtual dataset of the global shape (viewers only), with units,
//!                             long_name, centring and its coordinates attached (io::describe)
//!   /fields/x, y[, z], x_face  coordinates (dimension scales) of the fields' axes
//!   /record/block             u64 [blocks, 9]: rank, writer, offset z y x, size z y x, chunk rows
//!   /record/root              u64 [blocks, fields]: content roots, fields in `fields` order
//!   /record/file              u64 [files, 2]: writer, length in bytes
//!   /diagnostics/<column>     a distributed final.h5 only: the run's diagnostics.csv, 1-D each
//! ```

use super::record::{block_group, data_file_name, BlockRecord, CommitRecord, FileRecord};
use super::{commit_file, get_str, put_stamp, put_str, used, Stamp, MASTER};
use crate::error::{Error, Result};
use crate::io::h5err;
use crate::io::meta_digest::MetaDigest;
use hdf5::{Hyperslab, Selection, SliceOrIndex};
use std::path::{Path, PathBuf};

/// The value of the `format` attribute of commit files this version writes and reads.
pub const COMMIT_FORMAT: &str = "simrun-checkpoint-2";

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
    pub ranks: usize,
    /// Every field written, state fields first.
    pub fields: Vec<String>,
    pub state_fields: Vec<String>,
}

/// What a committed checkpoint says about itself.
#[derive(Debug, Clone)]
pub struct Header {
    /// The directory of the data files (the checkpoint directory, or `final/` beside a
    /// distributed `final.h5`).
    pub dir: PathBuf,
    pub format: String,
    pub stamp: Stamp,
    pub model: String,
    pub config_toml: String,
    pub state_signature: String,
    /// Global shape of the used axes, array order ((ny, nx) or (nz, ny, nx)).
    pub grid_shape: Vec<usize>,
    /// Cell spacing (dz, dy, dx).
    pub spacing: [f64; 3],
    pub layout: Vec<usize>,
    pub ranks: usize,
    pub threads: usize,
    pub fields: Vec<String>,
    pub state_fields: Vec<String>,
}

impl Header {
    /// Dimensions (2 or 3).
    pub fn dims(&self) -> usize {
        self.grid_shape.len()
    }
    /// Global cells (z, y, x).
    pub fn global(&self) -> [usize; 3] {
        match self.grid_shape[..] {
            [ny, nx] => [1, ny, nx],
            [nz, ny, nx] => [nz, ny, nx],
            _ => [0, 0, 0],
        }
    }
}

fn hyperslab(offset: &[usize], size: &[usize]) -> Selection {
    let s: Vec<SliceOrIndex> = offset
        .iter()
        .zip(size)
        .map(|(&o, &n)| SliceOrIndex::SliceCount { start: o, step: 1, count: n, block: 1 })
        .collect();
    Selection::from(Hyperslab::from(s))
}

fn put_u64s(loc: &hdf5::Location, name: &str, v: &[usize]) -> hdf5::Result<()> {
    let v: Vec<u64> = v.iter().map(|&x| x as u64).collect();
    loc.new_attr::<u64>().shape(v.len()).create(name)?.write(&v)
}

/// Commit: write `dir/checkpoint.h5` from the metadata and the record gathered from the writers.
/// The digest of the header values a restart trusts ([`crate::io::meta_digest`]); the record is
/// checked against the data files instead.
/// `record_sum` is the record's checksum ([`CommitRecord::checksum`]) when the commit carries
/// one (commits written before it existed keep their digest).
fn digest(h: &Header, run_id: u64, data_dir: &str, record_sum: Option<u64>) -> MetaDigest {
    let d = MetaDigest::default()
        .str("format", &h.format)
        .u64("step", h.stamp.step)
        .f64("time", h.stamp.time)
        .f64("dt", h.stamp.dt)
        .str("model", &h.model)
        .str("config", &h.config_toml)
        .str("state_signature", &h.state_signature)
        .strs("state_fields", &h.state_fields)
        .strs("fields", &h.fields)
        .u64s("grid_shape", h.grid_shape.iter().copied())
        .f64s("spacing", &h.spacing)
        .u64s("layout", h.layout.iter().copied())
        .u64("ranks", h.ranks as u64)
        .u64("threads", h.threads as u64)
        .u64("run_id", run_id)
        .str("data_dir", data_dir);
    let d = match record_sum {
        Some(sum) => d.u64(RECORD_SUM, sum),
        None => d,
    };
    super::digest_change(d, h.stamp.change)
}

/// The attribute holding [`CommitRecord::checksum`].
const RECORD_SUM: &str = "record_xxh3";

/// Touches no data file (their lengths and checksums are in the record).
pub fn write(dir: &Path, meta: &MasterMeta, rec: &CommitRecord) -> Result<()> {
    write_at(&dir.join(MASTER), ".", meta, rec, None)
}

/// Write a commit file at `path` whose data files are in `data_dir`, relative to the commit
/// file's directory ("." for checkpoints; "final" for a distributed `final.h5`, which also holds
/// the run's `diagnostics` table as `/diagnostics`).
pub fn write_at(
    path: &Path,
    data_dir: &str,
    meta: &MasterMeta,
    rec: &CommitRecord,
    diagnostics: Option<&crate::io::diag_csv::Table>,
) -> Result<()> {
    let path = path.to_path_buf();
    let tmp = path.with_extension("h5.tmp");
    let source = |writer: usize| {
        if data_dir == "." {
            data_file_name(writer)
        } else {
            format!("{data_dir}/{}", data_file_name(writer))
        }
    };
    let gshape = used(meta.global, meta.dims);
    let result = (|| -> Result<()> {
        let file = hdf5::File::create(&tmp).map_err(|e| h5err::io("cannot create commit file", &path, &e))?;
        let write = || -> hdf5::Result<()> {
            put_str(&file, "format", COMMIT_FORMAT)?;
            put_stamp(&file, meta.stamp)?;
            super::put_change(&file, meta.stamp.change)?;
            put_str(&file, "model", &meta.model)?;
            put_str(&file, "simrun_version", env!("CARGO_PKG_VERSION"))?;
            put_str(&file, "config", &meta.config_toml)?;
            put_str(&file, "state_signature", &meta.state_signature)?;
            put_str(&file, "state_fields", &meta.state_fields.join(","))?;
            put_str(&file, "fields", &rec.fields.join(","))?;
            put_u64s(&file, "grid_shape", &gshape)?;
            file.new_attr::<f64>().shape(3).create("spacing")?.write(&meta.spacing)?;
            put_u64s(&file, "layout", &meta.layout)?;
            file.new_attr::<u64>().create("ranks")?.write_scalar(&(meta.ranks as u64))?;
            file.new_attr::<u64>().create("threads")?.write_scalar(&(meta.threads as u64))?;
            file.new_attr::<u64>().create("run_id")?.write_scalar(&rec.run_id)?;
            put_str(&file, "data_dir", data_dir)?;
            let h = Header {
                dir: PathBuf::new(),
                format: COMMIT_FORMAT.into(),
                stamp: meta.stamp,
                model: meta.model.clone(),
                config_toml: meta.config_toml.clone(),
                state_signature: meta.state_signature.clone(),
                grid_shape: gshape.clone(),
                spacing: meta.spacing,
                layout: meta.layout.clone(),
                ranks: meta.ranks,
                threads: meta.threads,
                fields: rec.fields.clone(),
                state_fields: meta.state_fields.clone(),
            };
            let sum = rec.checksum();
            file.new_attr::<u64>().create(RECORD_SUM)?.write_scalar(&sum)?;
            digest(&h, rec.run_id, data_dir, Some(sum)).store(&file)?;
            let g = file.create_group("fields")?;
            for name in &rec.fields {
                let mut b = g.new_dataset::<f64>().shape(gshape.clone());
                for blk in &rec.blocks {
                    let (o, s) = (used(blk.offset, meta.dims), used(blk.size, meta.dims));
                    b = b.virtual_map(
                        source(blk.writer),
                        format!("/{}/{name}", block_group(blk.rank)),
                        s.clone(),
                        hyperslab(&vec![0; s.len()], &s),
                        gshape.clone(),
                        hyperslab(&o, &s),
                    );
                }
                let ds = b.create(name.as_str())?;
                put_stamp(&ds, meta.stamp)?;
            }
            crate::io::describe::describe_model(&g, meta.spacing, &meta.model, &rec.fields)?;
            let r = file.create_group("record")?;
            let nb = rec.blocks.len();
            let mut block = Vec::with_capacity(nb * 9);
            let mut roots: Vec<u64> = Vec::with_capacity(nb * rec.fields.len());
            for b in &rec.blocks {
                block.extend([b.rank, b.writer].map(|v| v as u64));
                block.extend(b.offset.map(|v| v as u64));
                block.extend(b.size.map(|v| v as u64));
                block.push(b.chunk_rows as u64);
                roots.extend(&b.roots);
            }
            let block =
                ndarray::Array2::from_shape_vec((nb, 9), block).map_err(|e| hdf5::Error::from(e.to_string()))?;
            r.new_dataset_builder().with_data(&block).create("block")?;
            let roots = ndarray::Array2::from_shape_vec((nb, rec.fields.len()), roots)
                .map_err(|e| hdf5::Error::from(e.to_string()))?;
            r.new_dataset_builder().with_data(&roots).create("root")?;
            let files: Vec<u64> = rec.files.iter().flat_map(|f| [f.writer as u64, f.bytes]).collect();
            let files = ndarray::Array2::from_shape_vec((rec.files.len(), 2), files)
                .map_err(|e| hdf5::Error::from(e.to_string()))?;
            r.new_dataset_builder().with_data(&files).create("file")?;
            if let Some(t) = diagnostics {
                t.write_h5(&file)?;
            }
            file.flush()
        };
        write().map_err(|e| h5err::io("cannot write commit file", &path, &e))?;
        drop(file);
        commit_file(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Accept a checkpoint directory or its `checkpoint.h5`.
pub fn master_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(MASTER)
    } else {
        path.to_path_buf()
    }
}

/// Read a commit file's header (without the record). Opens only `checkpoint.h5`.
pub fn read_header(path: &Path) -> Result<Header> {
    Ok(read(path, false)?.0)
}

/// Read a commit file: its header and its record. Opens only `checkpoint.h5`.
pub fn read(path: &Path, with_record: bool) -> Result<(Header, CommitRecord)> {
    let master = master_path(path);
    if !master.is_file() {
        return Err(Error::io(format!("{} is not a committed checkpoint (no {MASTER})", path.display())));
    }
    let file = hdf5::File::open(&master).map_err(|e| h5err::io("cannot open checkpoint", &master, &e))?;
    let data_dir = get_str(&file, "data_dir").unwrap_or_else(|_| ".".into());
    if data_dir.contains("..") || Path::new(&data_dir).is_absolute() {
        return Err(Error::io(format!("{}: data_dir `{data_dir}` leaves its directory", master.display())));
    }
    let parent = master.parent().unwrap_or(Path::new("."));
    let dir = if data_dir == "." { parent.to_path_buf() } else { parent.join(&data_dir) };
    let format = get_str(&file, "format").unwrap_or_else(|_| "simrun-checkpoint-1".into());
    if format != COMMIT_FORMAT {
        return Err(Error::io(format!(
            "checkpoint {} has format `{format}`; this simrun reads `{COMMIT_FORMAT}` (written by simrun >= 0.2)",
            dir.display()
        )));
    }
    let read = || -> hdf5::Result<(Header, CommitRecord)> {
        let stamp = Stamp {
            step: file.attr("step")?.read_scalar()?,
            time: file.attr("time")?.read_scalar()?,
            dt: file.attr("dt")?.read_scalar()?,
            change: super::get_change(&file)?,
        };
        let u = |name: &str| -> hdf5::Result<Vec<usize>> {
            Ok(file.attr(name)?.read_raw::<u64>()?.into_iter().map(|v| v as usize).collect())
        };
        let list = |s: String| -> Vec<String> { s.split(',').filter(|s| !s.is_empty()).map(String::from).collect() };
        let fields = list(get_str(&file, "fields")?);
        let h = Header {
            dir: dir.clone(),
            format: format.clone(),
            stamp,
            model: get_str(&file, "model")?,
            config_toml: get_str(&file, "config")?,
            state_signature: get_str(&file, "state_signature")?,
            grid_shape: u("grid_shape")?,
            spacing: {
                let v: Vec<f64> = file.attr("spacing")?.read_raw()?;
                [0, 1, 2].map(|i| v.get(i).copied().unwrap_or(1.0))
            },
            layout: u("layout")?,
            ranks: file.attr("ranks")?.read_scalar::<u64>()? as usize,
            threads: file.attr("threads")?.read_scalar::<u64>()? as usize,
            fields: fields.clone(),
            state_fields: list(get_str(&file, "state_fields")?),
        };
        let run_id: u64 = file.attr("run_id")?.read_scalar()?;
        let record_sum: Option<u64> = match file.attr(RECORD_SUM) {
            Ok(a) => Some(a.read_scalar()?),
            Err(_) => None,
        };
        if let Some(why) = digest(&h, run_id, &data_dir, record_sum).verify(&file) {
            return Err(hdf5::Error::from(why));
        }
        let mut rec = CommitRecord { run_id, step: stamp.step, fields, ..Default::default() };
        if with_record {
            let r = file.group("record")?;
            let block: Vec<u64> = r.dataset("block")?.read_raw()?;
            let roots: Vec<u64> = r.dataset("root")?.read_raw()?;
            let files: Vec<u64> = r.dataset("file")?.read_raw()?;
            let nf = rec.fields.len();
            let nb = block.len() / 9;
            if block.len() != nb * 9 || roots.len() != nb * nf || !files.len().is_multiple_of(2) {
                return Err(hdf5::Error::from("the commit record's tables disagree in size".to_string()));
            }
            for (i, b) in block.chunks(9).enumerate() {
                let v: Vec<usize> = b.iter().map(|&x| x as usize).collect();
                rec.blocks.push(BlockRecord {
                    rank: v[0],
                    writer: v[1],
                    offset: [v[2], v[3], v[4]],
                    size: [v[5], v[6], v[7]],
                    chunk_rows: v[8],
                    roots: roots[i * nf..(i + 1) * nf].to_vec(),
                });
            }
            rec.files = files.chunks(2).map(|f| FileRecord { writer: f[0] as usize, bytes: f[1] }).collect();
            if record_sum.is_some_and(|sum| sum != rec.checksum()) {
                return Err(hdf5::Error::from(
                    "its commit record (/record) does not match its checksum: the commit file is damaged".to_string(),
                ));
            }
        }
        Ok((h, rec))
    };
    read().map_err(|e| h5err::io("cannot read the commit record of", &master, &e))
}
