//! Data files: the blocks of one writer, with their unit hashes, and the verified partial read
//! a restart does on them.
//!
//! ```text
//! rank_00003.h5                   written by rank 3's I/O thread
//!   attributes: format, step, time, dt, run_id, writer, simrun_version
//!   /block_00003/                 one group per block held (today: the writer's own)
//!     attributes: rank, offset, size (used axes, array order), chunk_rows
//!     <field>                     the block, one contiguous dataset (chunked in bands of whole
//!                                 rows only with `checkpoint.compression`)
//!     xxh3/<field>                u64 per band (see `record`): checked against the commit
//! ```

use super::record::{
    self, block_group, data_file_name, overlap, BlockRecord, CommitRecord, FileRecord, Hashed, Values,
};
use super::{commit_file, used, Stamp};
use crate::error::{Error, Result};
use crate::io::h5err;
use hdf5::plist::dataset_create::{AllocTime, FillTime};
use hdf5::{Hyperslab, Selection, SliceOrIndex};
use std::path::{Path, PathBuf};

/// The value of the `format` attribute of data files this version writes and reads.
pub const DATA_FORMAT: &str = "simrun-checkpoint-data-2";

/// One block to write: whose, where, and every field's values (C order).
pub struct BlockData<'a> {
    pub rank: usize,
    pub offset: [usize; 3],
    pub size: [usize; 3],
    pub fields: &'a [(String, Values)],
}

/// What writing a data file came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// On disk (renamed into place, flushed): the blocks' records and the file's.
    Ok { blocks: Vec<BlockRecord>, file: FileRecord },
    /// Not written: `field` holds a NaN or Inf at global cell `cell` (z, y, x) of block `rank`.
    NonFinite { rank: usize, field: String, cell: [usize; 3] },
}

fn hyperslab(offset: &[usize], size: &[usize]) -> Selection {
    let s: Vec<SliceOrIndex> = offset
        .iter()
        .zip(size)
        .map(|(&o, &n)| SliceOrIndex::SliceCount { start: o, step: 1, count: n, block: 1 })
        .collect();
    Selection::from(Hyperslab::from(s))
}

fn put_u64(loc: &hdf5::Location, name: &str, v: u64) -> hdf5::Result<()> {
    loc.new_attr::<u64>().create(name)?.write_scalar(&v)
}

fn put_u64s(loc: &hdf5::Location, name: &str, v: &[usize]) -> hdf5::Result<()> {
    let v: Vec<u64> = v.iter().map(|&x| x as u64).collect();
    loc.new_attr::<u64>().shape(v.len()).create(name)?.write(&v)
}

fn get_u64(loc: &hdf5::Location, name: &str) -> hdf5::Result<u64> {
    loc.attr(name)?.read_scalar()
}

fn get_u64s(loc: &hdf5::Location, name: &str) -> hdf5::Result<Vec<usize>> {
    Ok(loc.attr(name)?.read_raw::<u64>()?.into_iter().map(|v| v as usize).collect())
}

/// A data file being written, one block at a time (blocks of a group arrive one after another, so
/// a writer holds at most the blocks queued for it, whatever the group size). Every block is
/// hashed and checked for finiteness before it is written; the file appears under its name only
/// in [`DataFileWriter::finish`]. Dropped unfinished, it removes its temporary file.
pub struct DataFileWriter {
    file: Option<hdf5::File>,
    tmp: PathBuf,
    path: PathBuf,
    writer: usize,
    dims: usize,
    compression: u8,
    records: Vec<BlockRecord>,
    /// Where contiguous fields' values go (past HDF5, at their datasets' offsets).
    raw: Option<RawSink>,
}

/// Alignment of large datasets in data files (and of O_DIRECT writes): a page.
const ALIGN: u64 = 4096;
/// Bytes of the aligned staging buffer of O_DIRECT writes (a few hash units).
const STAGE: usize = 4 << 20;

/// A page-aligned byte buffer for O_DIRECT writes.
struct Stage {
    ptr: std::ptr::NonNull<u8>,
}

impl Stage {
    fn layout() -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(STAGE, ALIGN as usize).expect("stage layout")
    }
    fn new() -> Stage {
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc(Self::layout()) };
        Stage { ptr: std::ptr::NonNull::new(p).unwrap_or_else(|| std::alloc::handle_alloc_error(Self::layout())) }
    }
    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: STAGE bytes allocated in `new`, owned by self (u8: any bit pattern is valid;
        // the allocation is not zeroed, but only bytes written first are ever read).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), STAGE) }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::layout()) };
    }
}

// SAFETY: Stage owns its allocation exclusively (like a Box<[u8]>).
unsafe impl Send for Stage {}

thread_local! {
    /// The I/O thread's staging buffer, kept between data files.
    static STAGED: std::cell::RefCell<Option<Stage>> = const { std::cell::RefCell::new(None) };
}

/// The values of contiguous datasets, written by plain `pwrite` at each dataset's file offset
/// (HDF5 allocates the dataset at creation, writes no fill values, and only its metadata). Where
/// the file system allows O_DIRECT, page-aligned runs go through an aligned staging buffer
/// straight to the device (no page-cache copy: the least CPU per byte); the unaligned tail, and
/// everything on file systems without O_DIRECT, is written buffered. `commit_file`'s fsync then
/// makes both durable.
struct RawSink {
    buffered: std::fs::File,
    direct: Option<std::fs::File>,
    stage: Option<Stage>,
    /// Bytes in the stage.
    fill: usize,
    /// File offset of the stage's first byte (staged) or of the next byte (buffered).
    at: u64,
    /// This dataset goes through the stage.
    staged: bool,
}

impl RawSink {
    fn open(path: &Path) -> std::io::Result<RawSink> {
        use std::os::unix::fs::OpenOptionsExt;
        let buffered = std::fs::OpenOptions::new().write(true).open(path)?;
        let direct = if std::env::var_os("SIMRUN_CHECKPOINT_NO_DIRECT").is_some() {
            None
        } else {
            std::fs::OpenOptions::new().write(true).custom_flags(libc::O_DIRECT).open(path).ok()
        };
        let stage = direct.as_ref().map(|_| STAGED.with(|s| s.borrow_mut().take()).unwrap_or_else(Stage::new));
        Ok(RawSink { buffered, direct, stage, fill: 0, at: 0, staged: false })
    }

    /// The next bytes written belong at file offset `at`.
    fn start(&mut self, at: u64) {
        debug_assert_eq!(self.fill, 0);
        self.at = at;
        self.staged = self.direct.is_some() && at.is_multiple_of(ALIGN);
    }

    fn push(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        if !self.staged {
            self.buffered.write_all_at(bytes, self.at)?;
            self.at += bytes.len() as u64;
            return Ok(());
        }
        while !bytes.is_empty() {
            let fill = self.fill;
            let n = (STAGE - fill).min(bytes.len());
            self.stage.as_mut().expect("stage").bytes()[fill..fill + n].copy_from_slice(&bytes[..n]);
            self.fill += n;
            bytes = &bytes[n..];
            if self.fill == STAGE {
                self.write_stage(STAGE)?;
            }
        }
        Ok(())
    }

    /// Room in the stage for the next `n` values, written in place (then [`RawSink::keep`]):
    /// the aligned part staged so far goes to the device first if they would not fit. None
    /// where the values do not go through the stage, or are more than it holds past an
    /// unaligned tail: [`RawSink::push`] them.
    fn slot(&mut self, n: usize) -> std::io::Result<Option<&mut [f64]>> {
        let bytes = n * size_of::<f64>();
        if !self.staged {
            return Ok(None);
        }
        if self.fill + bytes > STAGE {
            let aligned = self.fill & !(ALIGN as usize - 1);
            if aligned > 0 {
                self.write_stage(aligned)?;
            }
            if !self.staged || self.fill + bytes > STAGE {
                return Ok(None);
            }
        }
        let fill = self.fill;
        let room = &mut self.stage.as_mut().expect("stage").bytes()[fill..fill + bytes];
        // The stage is page-aligned and holds whole f64 values (every push is of f64s), so this
        // view is aligned; None (push instead) if it ever were not.
        Ok(bytemuck::try_cast_slice_mut(room).ok())
    }

    /// The slot's first `n` values are written: they follow in the file.
    fn keep(&mut self, n: usize) {
        self.fill += n * size_of::<f64>();
        debug_assert!(self.fill <= STAGE);
    }

    /// Write the stage's first `n` bytes (a multiple of ALIGN, or all at the end) at `at`.
    fn write_stage(&mut self, n: usize) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let at = self.at;
        let stage = self.stage.as_mut().expect("stage").bytes();
        let aligned = n & !(ALIGN as usize - 1);
        if aligned > 0 {
            let r = self.direct.as_ref().expect("direct").write_all_at(&stage[..aligned], at);
            if let Err(e) = r {
                if e.raw_os_error() != Some(libc::EINVAL) {
                    return Err(e);
                }
                // O_DIRECT refused after all: buffered from now on.
                self.buffered.write_all_at(&stage[..aligned], at)?;
                self.direct = None;
            }
        }
        self.buffered.write_all_at(&stage[aligned..n], at + aligned as u64)?;
        stage.copy_within(n..self.fill, 0);
        self.fill -= n;
        self.at += n as u64;
        if self.direct.is_none() {
            self.staged = false;
            let rest = self.fill;
            self.buffered.write_all_at(&stage[..rest], self.at)?;
            self.at += rest as u64;
            self.fill = 0;
        }
        Ok(())
    }

    /// The dataset is complete: write what is staged.
    fn end(&mut self) -> std::io::Result<()> {
        if self.staged && self.fill > 0 {
            self.write_stage(self.fill)?;
        }
        self.fill = 0;
        Ok(())
    }
}

/// A dataset's units staged in place ([`RawSink::slot`]), or pushed from a scratch copy.
struct StagedUnits<'a>(&'a mut RawSink);

impl record::UnitSink for StagedUnits<'_> {
    type Error = hdf5::Error;
    fn slot(&mut self, n: usize) -> hdf5::Result<Option<&mut [f64]>> {
        // The OS error alone: the one-line report names the file.
        self.0.slot(n).map_err(|e| hdf5::Error::from(e.to_string()))
    }
    fn keep(&mut self, n: usize) -> hdf5::Result<()> {
        self.0.keep(n);
        Ok(())
    }
    fn write(&mut self, unit: &[f64], _: usize, _: usize) -> hdf5::Result<()> {
        self.0.push(bytemuck::cast_slice(unit)).map_err(|e| hdf5::Error::from(e.to_string()))
    }
}

impl Drop for RawSink {
    fn drop(&mut self) {
        if let Some(s) = self.stage.take() {
            STAGED.with(|c| *c.borrow_mut() = Some(s));
        }
    }
}

impl DataFileWriter {
    /// Create `dir/rank_<writer>.h5` (as a temporary file) with the file's attributes.
    pub fn begin(dir: &Path, writer: usize, stamp: Stamp, run_id: u64, dims: usize, compression: u8) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create checkpoint directory {}: {e}", dir.display())))?;
        let path = dir.join(data_file_name(writer));
        let tmp = path.with_extension("h5.tmp");
        let mut w = DataFileWriter { file: None, tmp, path, writer, dims, compression, records: Vec::new(), raw: None };
        // Datasets of 64 KiB and more start on a page (aligned O_DIRECT writes of their values).
        let file = hdf5::File::with_options()
            .with_fapl(|p| p.alignment(64 << 10, ALIGN))
            .create(&w.tmp)
            .map_err(|e| h5err::io("cannot create checkpoint file", &w.path, &e))?;
        let head = || -> hdf5::Result<()> {
            super::put_str(&file, "format", DATA_FORMAT)?;
            super::put_stamp(&file, stamp)?;
            put_u64(&file, "run_id", run_id)?;
            put_u64(&file, "writer", writer as u64)?;
            super::put_str(&file, "simrun_version", env!("CARGO_PKG_VERSION"))
        };
        head().map_err(|e| h5err::io("cannot write checkpoint file", &w.path, &e))?;
        w.file = Some(file);
        if compression == 0 {
            // Descriptors of its own; without them (a tight RLIMIT_NOFILE), HDF5 writes the values.
            w.raw = RawSink::open(&w.tmp).ok();
        }
        Ok(w)
    }

    /// Check, hash and write one block, band by band. `Ok(Some(..))`: a non-finite value was
    /// found (the block is written only up to it; the file must be abandoned).
    pub fn add(&mut self, b: &BlockData) -> Result<Option<Written>> {
        let rows = record::chunk_rows(b.size);
        let (dims, compression) = (self.dims, self.compression);
        let file = self.file.as_ref().expect("data file open");
        let mut raw = self.raw.as_mut();
        let shape = used(b.size, dims);
        let nx = b.size[2];
        let mut roots = Vec::with_capacity(b.fields.len());
        // Each band of rows is checked, hashed and written while it is in cache (one pass over
        // memory). A non-finite value stops the block half-written: the file is abandoned.
        let mut write = || -> hdf5::Result<Option<(String, usize)>> {
            let g = file.create_group(&block_group(b.rank))?;
            put_u64(&g, "rank", b.rank as u64)?;
            put_u64s(&g, "offset", &used(b.offset, dims))?;
            put_u64s(&g, "size", &used(b.size, dims))?;
            put_u64(&g, "chunk_rows", rows as u64)?;
            let hg = g.create_group("xxh3")?;
            for (name, data) in b.fields {
                // Contiguous (large writes at the floor's cost): the unit hashes, checked against
                // the commit's roots, find any changed byte. Deflate needs chunks: then bands of
                // `rows` rows, as the hash units.
                let mut db = g.new_dataset::<f64>();
                let contiguous = !data.is_empty() && compression == 0;
                if !data.is_empty() && compression > 0 {
                    let mut chunk = vec![1; dims];
                    chunk[dims - 1] = nx;
                    chunk[dims - 2] = rows;
                    db = db.chunk(chunk).deflate(compression);
                }
                if contiguous {
                    // Space at creation, no fill values: the values are written past HDF5.
                    db = db.alloc_time(Some(AllocTime::Early)).fill_time(FillTime::Never);
                }
                let ds = db.shape(shape.clone()).create(name.as_str())?;
                let sink = match (contiguous, raw.as_deref_mut(), ds.offset()) {
                    (true, Some(sink), Some(at)) => {
                        sink.start(at);
                        Some(sink)
                    }
                    _ => None,
                };
                let hashed = match sink {
                    // The band's values copied once, into the O_DIRECT stage at their place in
                    // the dataset (C order: bands follow each other), then checked and hashed
                    // there while in cache.
                    Some(sink) => {
                        let h = record::hash_block_into(data.source(), b.size, rows, &mut StagedUnits(&mut *sink))?;
                        sink.end().map_err(|e| hdf5::Error::from(e.to_string()))?;
                        h
                    }
                    None => {
                        let put = |unit: &[f64], z: usize, y: usize| -> hdf5::Result<()> {
                            let n = unit.len() / nx.max(1);
                            let s = used([1, n, nx], dims);
                            let view = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(&s), unit)
                                .map_err(|e| hdf5::Error::from(format!("field {name}: {e}")))?;
                            ds.write_slice(&view, hyperslab(&used([z, y, 0], dims), &s))
                        };
                        record::hash_block_with(data.source(), b.size, rows, put)?
                    }
                };
                match hashed {
                    Hashed::Finite { units, root } => {
                        roots.push(root);
                        hg.new_dataset_builder().with_data(units.as_slice()).create(name.as_str())?;
                    }
                    Hashed::NonFinite(i) => return Ok(Some((name.clone(), i))),
                }
            }
            Ok(None)
        };
        if let Some((field, i)) = write().map_err(|e| h5err::io("cannot write checkpoint file", &self.path, &e))? {
            let ny = b.size[1];
            let local = [i / (nx * ny), (i / nx) % ny, i % nx];
            let cell = [0, 1, 2].map(|a| b.offset[a] + local[a]);
            return Ok(Some(Written::NonFinite { rank: b.rank, field, cell }));
        }
        self.records.push(BlockRecord {
            rank: b.rank,
            writer: self.writer,
            offset: b.offset,
            size: b.size,
            chunk_rows: rows,
            roots,
        });
        Ok(None)
    }

    /// Close the file, flush it to disk and rename it into place.
    pub fn finish(mut self) -> Result<Written> {
        let file = self.file.take().expect("data file open");
        drop(self.raw.take());
        let r = (|| {
            file.flush().map_err(|e| h5err::io("cannot write checkpoint file", &self.path, &e))?;
            drop(file);
            let bytes = std::fs::metadata(&self.tmp)
                .map_err(|e| Error::io(format!("cannot stat {}: {e}", self.tmp.display())))?
                .len();
            commit_file(&self.tmp, &self.path)?;
            Ok(bytes)
        })();
        match r {
            Ok(bytes) => {
                let blocks = std::mem::take(&mut self.records);
                Ok(Written::Ok { blocks, file: FileRecord { writer: self.writer, bytes } })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&self.tmp);
                Err(e)
            }
        }
    }
}

impl Drop for DataFileWriter {
    fn drop(&mut self) {
        // Unfinished (an error, a non-finite block): no temporary file stays behind.
        if let Some(f) = self.file.take() {
            drop(f);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write every block to `dir/rank_<writer>.h5` (see [`DataFileWriter`]).
#[allow(clippy::too_many_arguments)]
pub fn write(
    dir: &Path,
    writer: usize,
    stamp: Stamp,
    run_id: u64,
    dims: usize,
    blocks: &[BlockData],
    compression: u8,
) -> Result<Written> {
    let mut w = DataFileWriter::begin(dir, writer, stamp, run_id, dims, compression)?;
    for b in blocks {
        if let Some(non_finite) = w.add(b)? {
            return Ok(non_finite);
        }
    }
    w.finish()
}

/// Why a data file cannot be trusted. The code orders causes for the one-line report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Missing = 1,
    Unreadable = 2,
    Truncated = 3,
    Mismatched = 4,
    Corrupted = 5,
    TooManyOpenFiles = 6,
}

impl Fault {
    pub fn code(self) -> u64 {
        self as u64
    }
    pub fn from_code(c: u64) -> Option<Fault> {
        [
            Fault::Missing,
            Fault::Unreadable,
            Fault::Truncated,
            Fault::Mismatched,
            Fault::Corrupted,
            Fault::TooManyOpenFiles,
        ]
        .into_iter()
        .find(|f| f.code() == c)
    }
    /// One word for `simrun inspect`.
    pub fn word(self) -> &'static str {
        match self {
            Fault::Missing => "missing",
            Fault::Unreadable => "unreadable",
            Fault::Truncated => "truncated",
            Fault::Mismatched => "mismatched",
            Fault::Corrupted => "corrupted",
            Fault::TooManyOpenFiles => "unopened",
        }
    }
}

/// A data file that failed verification: which, why, and the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFault {
    pub fault: Fault,
    pub writer: usize,
    pub detail: String,
}

impl ReadFault {
    fn new(fault: Fault, writer: usize, detail: impl Into<String>) -> ReadFault {
        ReadFault { fault, writer, detail: detail.into() }
    }
    /// `rank_00001.h5 is truncated (...)`: one line.
    pub fn line(&self) -> String {
        format!("{} {}", data_file_name(self.writer), self.detail)
    }
}

/// Read the box (offset, size) of the fields `names` from a committed checkpoint in `dir`,
/// trusting nothing the commit record does not vouch for: every data file overlapping the box is
/// checked for its recorded length, step, run, writer and block geometry, and every band of
/// values read is checked against its hash, the hash list against the record's root. One file is
/// open at a time. The record must tile the global grid (checked by the caller).
pub fn read_box(
    dir: &Path,
    rec: &CommitRecord,
    dims: usize,
    names: &[String],
    offset: [usize; 3],
    size: [usize; 3],
) -> std::result::Result<Vec<Vec<f64>>, ReadFault> {
    let cells = size.iter().product::<usize>();
    let mut out: Vec<Vec<f64>> = names.iter().map(|_| vec![0.0; cells]).collect();
    let field_index: Vec<usize> =
        names
            .iter()
            .map(|n| rec.fields.iter().position(|f| f == n))
            .collect::<Option<_>>()
            .ok_or_else(|| ReadFault::new(Fault::Mismatched, 0, "(the commit does not list every state field)"))?;
    let mut writers: Vec<usize> = rec.overlapping(offset, size).map(|b| b.writer).collect();
    writers.sort_unstable();
    writers.dedup();
    for w in writers {
        let blocks: Vec<&BlockRecord> = rec.overlapping(offset, size).filter(|b| b.writer == w).collect();
        read_file(dir, rec, dims, w, &blocks, &field_index, offset, size, &mut out)?;
    }
    Ok(out)
}

/// Check every block of `writer`'s data file completely (for `simrun inspect`).
pub fn verify_file(dir: &Path, rec: &CommitRecord, dims: usize, writer: usize) -> std::result::Result<(), ReadFault> {
    let all: Vec<usize> = (0..rec.fields.len()).collect();
    for b in rec.blocks.iter().filter(|b| b.writer == writer) {
        let mut out: Vec<Vec<f64>> = all.iter().map(|_| vec![0.0; b.cells().unwrap_or(0)]).collect();
        read_file(dir, rec, dims, writer, &[b], &all, b.offset, b.size, &mut out)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read_file(
    dir: &Path,
    rec: &CommitRecord,
    dims: usize,
    writer: usize,
    blocks: &[&BlockRecord],
    field_index: &[usize],
    offset: [usize; 3],
    size: [usize; 3],
    out: &mut [Vec<f64>],
) -> std::result::Result<(), ReadFault> {
    let fault = |f: Fault, d: String| ReadFault::new(f, writer, d);
    let path: PathBuf = dir.join(data_file_name(writer));
    let expected =
        rec.file_of(writer).ok_or_else(|| fault(Fault::Mismatched, "is not in the commit record".into()))?.bytes;
    let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fault(Fault::Missing, "is missing".into()),
        _ => fault(Fault::Unreadable, format!("cannot be read: {e}")),
    })?;
    if meta.len() != expected {
        return Err(fault(
            Fault::Truncated,
            format!("is truncated or overwritten: {} bytes, the commit recorded {expected}", meta.len()),
        ));
    }
    let file = hdf5::File::open(&path).map_err(|e| {
        let cause = h5err::cause(&e);
        if cause.contains("os error 24") {
            fault(Fault::TooManyOpenFiles, format!("cannot be opened: {cause}"))
        } else {
            fault(Fault::Unreadable, format!("cannot be opened: {cause}"))
        }
    })?;
    let bad = |what: String| fault(Fault::Mismatched, what);
    let h5 = |e: hdf5::Error| fault(Fault::Corrupted, format!("cannot be read: {}", h5err::cause(&e)));
    let format = super::get_str(&file, "format").unwrap_or_default();
    if format != DATA_FORMAT {
        return Err(bad(format!("has format `{format}`, expected `{DATA_FORMAT}`")));
    }
    let step = get_u64(&file, "step").map_err(h5)?;
    if step != rec.step {
        return Err(bad(format!("is from step {step}, not {} (a stale file)", rec.step)));
    }
    if get_u64(&file, "run_id").map_err(h5)? != rec.run_id {
        return Err(bad("is from another run (run id differs)".into()));
    }
    let w = get_u64(&file, "writer").map_err(h5)?;
    if w != writer as u64 {
        return Err(bad(format!("was written by rank {w} (files swapped or renamed)")));
    }
    for b in blocks {
        let g = file.group(&block_group(b.rank)).map_err(|_| bad(format!("has no block of rank {}", b.rank)))?;
        let geometry = (
            get_u64(&g, "rank").map_err(h5)? as usize,
            get_u64s(&g, "offset").map_err(h5)?,
            get_u64s(&g, "size").map_err(h5)?,
            get_u64(&g, "chunk_rows").map_err(h5)? as usize,
        );
        if geometry != (b.rank, used(b.offset, dims), used(b.size, dims), b.chunk_rows) {
            return Err(bad(format!("holds a block of another geometry than the commit records for rank {}", b.rank)));
        }
        let Some((ov, os)) = overlap(b.offset, b.size, offset, size) else { continue };
        let r = b.chunk_rows.max(1);
        let bands = b.size[1].div_ceil(r);
        // Whole bands of rows covering the overlap, full x-rows, planes of the overlap.
        let (z0, y0) = (ov[0] - b.offset[0], ov[1] - b.offset[1]);
        let (yb0, yb1) = ((y0 / r) * r, ((y0 + os[1]).div_ceil(r) * r).min(b.size[1]));
        let nx = b.size[2];
        let slab_o = [z0, yb0, 0];
        let slab_s = [os[0], yb1 - yb0, nx];
        for (k, &fi) in field_index.iter().enumerate() {
            let name = &rec.fields[fi];
            let list: Vec<u64> = g.dataset(&format!("xxh3/{name}")).and_then(|d| d.read_raw()).map_err(h5)?;
            if list.len() != b.size[0] * bands || record::hash_units(&list) != b.roots[fi] {
                return Err(fault(
                    Fault::Corrupted,
                    format!("does not match the commit's checksum of `{name}` (rank {})", b.rank),
                ));
            }
            let ds = g.dataset(name).map_err(h5)?;
            if ds.shape() != used(b.size, dims) {
                return Err(bad(format!("holds `{name}` of shape {:?}", ds.shape())));
            }
            let a = ds
                .read_slice::<f64, _, ndarray::IxDyn>(hyperslab(&used(slab_o, dims), &used(slab_s, dims)))
                .map_err(h5)?;
            let slab = a.as_standard_layout();
            let slab = slab.as_slice().expect("standard layout");
            let plane = slab_s[1] * nx;
            for z in 0..slab_s[0] {
                let mut y = yb0;
                while y < yb1 {
                    let n = r.min(b.size[1] - y);
                    let at = z * plane + (y - yb0) * nx;
                    let unit = (z0 + z) * bands + y / r;
                    if record::hash_values(&slab[at..at + n * nx]) != list[unit] {
                        return Err(fault(
                            Fault::Corrupted,
                            format!(
                                "does not match its checksum: `{name}` of rank {} differs from what was written",
                                b.rank
                            ),
                        ));
                    }
                    y += r;
                }
            }
            // Copy the overlap into the box.
            let dst = &mut out[k];
            for z in 0..os[0] {
                for y in 0..os[1] {
                    let src_at = z * plane + (y0 + y - yb0) * nx + (ov[2] - b.offset[2]);
                    let dz = ov[0] - offset[0] + z;
                    let dy = ov[1] - offset[1] + y;
                    let dst_at = (dz * size[1] + dy) * size[2] + (ov[2] - offset[2]);
                    dst[dst_at..dst_at + os[2]].copy_from_slice(&slab[src_at..src_at + os[2]]);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data file's field lies in the file verbatim (one contiguous dataset, no filter), and one
    /// flipped bit anywhere in it is refused as corrupted by the verified read (the unit hashes
    /// against the commit's roots: no HDF5 checksum needed).
    #[test]
    fn contiguous_blocks_and_a_flipped_bit_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let size = [1, 70, 2048];
        let data: Vec<f64> = (0..size[1] * size[2]).map(|i| 1.0 + (i as f64 * 0.01).sin()).collect();
        let fields = vec![("temperature".to_string(), Values::Owned(data.clone()))];
        let stamp = Stamp::at(7, 0.5, 0.1);
        let block = BlockData { rank: 0, offset: [0; 3], size, fields: &fields };
        let Written::Ok { blocks, file } = write(dir.path(), 0, stamp, 42, 2, &[block], 0).unwrap() else {
            panic!("finite data is written")
        };
        assert!(blocks[0].chunk_rows < size[1], "several hash units");
        let rec = CommitRecord { run_id: 42, step: 7, fields: vec!["temperature".into()], blocks, files: vec![file] };
        let read = || read_box(dir.path(), &rec, 2, &rec.fields, [0; 3], size);
        assert_eq!(read().unwrap()[0], data, "reads back bit for bit");
        let path = dir.path().join(data_file_name(0));
        let mut bytes = std::fs::read(&path).unwrap();
        let raw: &[u8] = bytemuck::cast_slice(&data);
        let at = bytes.windows(raw.len()).position(|w| w == raw).expect("the field is one contiguous run of bytes");
        for k in [0, raw.len() / 2 + 3, raw.len() - 1] {
            bytes[at + k] ^= 0x10;
            std::fs::write(&path, &bytes).unwrap();
            let e = read().expect_err("a flipped bit is found");
            assert_eq!(e.fault, Fault::Corrupted, "byte {k}: {}", e.line());
            bytes[at + k] ^= 0x10;
        }
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read().unwrap()[0], data);
    }

    /// Blocks whose bytes are not whole pages (the O_DIRECT writes' buffered tail), several
    /// blocks and fields in one file, larger than the staging buffer, hash units that do not
    /// fill it (staged in place up to an unaligned tail, which moves to the stage's front), owned
    /// and lent values (a model's padded buffer): read back bit for bit.
    #[test]
    fn odd_sizes_and_several_blocks_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ([1, 37, 1001], [1, 1100, 1003]);
        let vals = |n: usize, k: f64| (0..n).map(|i| k + (i as f64 * 0.37).cos()).collect::<Vec<f64>>();
        let owned = |v: Vec<f64>| Values::Owned(v);
        let (ua, va) = (vals(37 * 1001, 1.0), vals(37 * 1001, 2.0));
        let (ub, vb) = (vals(1100 * 1003, 3.0), vals(1100 * 1003, 4.0));
        let units = record::chunk_rows(b) * b[2] * size_of::<f64>();
        assert!(
            !units.is_multiple_of(ALIGN as usize)
                && !STAGE.is_multiple_of(units)
                && b[1] * b[2] * size_of::<f64>() > 2 * STAGE,
            "units straddle the stage"
        );
        let mut padded = crate::field::Field::new(b, [0, 2, 3]);
        padded.data.fill(f64::NAN);
        padded.set_interior_from(&vb);
        let mut lease = crate::lease::Lease::default();
        let fa = vec![("u".to_string(), owned(ua.clone())), ("v".to_string(), owned(va.clone()))];
        let fb = vec![("u".to_string(), owned(ub.clone())), ("v".to_string(), Values::Lent(lease.lend(&padded)))];
        let stamp = Stamp::at(3, 0.25, 0.05);
        let blocks = [
            BlockData { rank: 0, offset: [0; 3], size: a, fields: &fa },
            BlockData { rank: 1, offset: [0, 37, 0], size: b, fields: &fb },
        ];
        let Written::Ok { blocks, file } = write(dir.path(), 0, stamp, 9, 2, &blocks, 0).unwrap() else {
            panic!("finite data is written")
        };
        let rec = CommitRecord { run_id: 9, step: 3, fields: vec!["u".into(), "v".into()], blocks, files: vec![file] };
        let got = read_box(dir.path(), &rec, 2, &rec.fields, [0; 3], a).unwrap();
        assert_eq!((&got[0], &got[1]), (&ua, &va));
        let got = read_box(dir.path(), &rec, 2, &rec.fields, [0, 37, 0], b).unwrap();
        assert!(got[0] == ub && got[1] == vb, "the second block reads back bit for bit");
    }
}
