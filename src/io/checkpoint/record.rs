//! The commit record: what a committed checkpoint promises about every data file it names, and
//! the content checksums that let a restart prove it reads exactly what was written.
//!
//! Each block (one rank's part of the grid) of each field is hashed in *units*: bands of whole
//! x-rows (`chunk_rows` rows of one z-plane, about 256 KiB). A unit's hash is
//! XXH3-64 of its values as little-endian f64 in C order; the data file stores the list of unit
//! hashes per field, and the record stores the XXH3-64 of that list (the block's *root*). A reader
//! of part of a block reads the whole units it overlaps, checks each against the list and the list
//! against the root: any byte of content that differs from what the writer hashed is found, and no
//! reader has to read more than the units it needs. The datasets are contiguous and carry no
//! HDF5 checksum filter: fletcher32 on every chunk tripled the data file's write CPU
//! (examples/bench_write_floor.rs) and found nothing these hashes do not.
//!
//! The record travels between ranks as a flat list of u64 ([`CommitRecord::encode`]), and is
//! stored in `checkpoint.h5` under `/record` ([`super::commit`]).

use std::hash::Hasher;
use twox_hash::XxHash3_64;

/// One block of the grid as written: where it lies, in which file, and its content roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRecord {
    /// The rank that owned the block.
    pub rank: usize,
    /// The writer whose data file holds it (`rank_<writer>.h5`).
    pub writer: usize,
    /// Global offset and size, (z, y, x); z is 0 / 1 in 2-D.
    pub offset: [usize; 3],
    pub size: [usize; 3],
    /// Rows (along y) per hash unit.
    pub chunk_rows: usize,
    /// Root hash per field, in the order of the commit's field list.
    pub roots: Vec<u64>,
}

/// One data file: its writer and its exact length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRecord {
    pub writer: usize,
    pub bytes: u64,
}

/// Everything a commit promises, besides the run metadata in its header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitRecord {
    /// Random per run: every data file of the checkpoint carries it.
    pub run_id: u64,
    pub step: u64,
    pub fields: Vec<String>,
    pub blocks: Vec<BlockRecord>,
    pub files: Vec<FileRecord>,
}

/// The name of the data file written by `writer`.
pub fn data_file_name(writer: usize) -> String {
    format!("rank_{writer:05}.h5")
}

/// The group of one block inside a data file.
pub fn block_group(rank: usize) -> String {
    format!("block_{rank:05}")
}

impl BlockRecord {
    /// The flat form one rank contributes to the commit: rank, writer, offset, size, chunk
    /// rows, then the roots.
    pub fn encode(&self, out: &mut Vec<u64>) {
        out.extend([self.rank, self.writer].map(|v| v as u64));
        out.extend(self.offset.map(|v| v as u64));
        out.extend(self.size.map(|v| v as u64));
        out.push(self.chunk_rows as u64);
        out.extend(&self.roots);
    }

    /// Inverse of [`BlockRecord::encode`]: the record and the number of values it took.
    pub fn decode(v: &[u64], nfields: usize) -> Option<(BlockRecord, usize)> {
        let n = 9 + nfields;
        if v.len() < n {
            return None;
        }
        let u = |i: usize| usize::try_from(v[i]).ok();
        Some((
            BlockRecord {
                rank: u(0)?,
                writer: u(1)?,
                offset: [u(2)?, u(3)?, u(4)?],
                size: [u(5)?, u(6)?, u(7)?],
                chunk_rows: u(8)?,
                roots: v[9..n].to_vec(),
            },
            n,
        ))
    }

    /// Cells in the block (checked).
    pub fn cells(&self) -> Option<usize> {
        self.size[0].checked_mul(self.size[1])?.checked_mul(self.size[2])
    }
}

impl CommitRecord {
    /// Flat u64 form (for a broadcast): header counts, blocks, files. Field names are not
    /// included (every rank knows them from the header it was sent with).
    pub fn encode(&self) -> Vec<u64> {
        let mut v =
            vec![self.run_id, self.step, self.fields.len() as u64, self.blocks.len() as u64, self.files.len() as u64];
        for b in &self.blocks {
            b.encode(&mut v);
        }
        for f in &self.files {
            v.extend([f.writer as u64, f.bytes]);
        }
        v
    }

    /// Inverse of [`CommitRecord::encode`], given the field names; `None` if malformed.
    pub fn decode(v: &[u64], fields: Vec<String>) -> Option<CommitRecord> {
        if v.len() < 5 || v[2] as usize != fields.len() {
            return None;
        }
        let (nb, nf) = (usize::try_from(v[3]).ok()?, usize::try_from(v[4]).ok()?);
        let mut at = 5;
        let mut blocks = Vec::with_capacity(nb.min(v.len()));
        for _ in 0..nb {
            let (b, n) = BlockRecord::decode(&v[at..], fields.len())?;
            blocks.push(b);
            at += n;
        }
        let mut files = Vec::with_capacity(nf.min(v.len()));
        for _ in 0..nf {
            let w = v.get(at..at + 2)?;
            files.push(FileRecord { writer: usize::try_from(w[0]).ok()?, bytes: w[1] });
            at += 2;
        }
        (at == v.len()).then_some(CommitRecord { run_id: v[0], step: v[1], fields, blocks, files })
    }

    /// The blocks overlapping the box (offset, size), in record order.
    pub fn overlapping(&self, offset: [usize; 3], size: [usize; 3]) -> impl Iterator<Item = &BlockRecord> {
        self.blocks.iter().filter(move |b| overlap(b.offset, b.size, offset, size).is_some())
    }

    /// The file record of `writer`.
    pub fn file_of(&self, writer: usize) -> Option<&FileRecord> {
        self.files.iter().find(|f| f.writer == writer)
    }

    /// XXH3-64 of what the record promises (its counts, every block with its roots, every
    /// file), as the flat form without the run id and step (both in the commit's attributes).
    /// Stored beside `/record` (`record_xxh3`, in the meta digest), so a damaged record is found
    /// as the commit's damage before any reader trusts its sizes or blames a data file.
    pub fn checksum(&self) -> u64 {
        let v = self.encode();
        let mut h = XxHash3_64::default();
        for x in &v[2..] {
            h.write(&x.to_le_bytes());
        }
        h.finish()
    }

    /// Why the record cannot be trusted for a grid of `global` cells whose state is
    /// `state_fields`, or None: its blocks must tile the grid, hold a root of every state field,
    /// each lie in a recorded file, and every recorded file must hold a block. Checked by a
    /// restart and by `simrun inspect` before either reads a data file through it.
    pub fn fault(&self, global: [usize; 3], state_fields: &[String]) -> Option<String> {
        if !self.tiles(global) {
            return Some("its commit record's blocks do not tile the grid".into());
        }
        if let Some(f) = state_fields.iter().find(|f| !self.fields.contains(f)) {
            return Some(format!("its commit record has no checksums of state field `{f}`"));
        }
        let unique = self.files.iter().enumerate().all(|(i, f)| self.files[..i].iter().all(|g| g.writer != f.writer));
        if !unique
            || self.files.iter().any(|f| !self.blocks.iter().any(|b| b.writer == f.writer))
            || self.blocks.iter().any(|b| self.file_of(b.writer).is_none() || b.roots.len() != self.fields.len())
        {
            return Some("its commit record is incomplete".into());
        }
        None
    }

    /// Do the blocks tile the global box exactly once (no gap, no overlap)? Checked before a
    /// restart trusts the record.
    pub fn tiles(&self, global: [usize; 3]) -> bool {
        let mut cells: u128 = 0;
        for b in &self.blocks {
            for ((o, s), g) in b.offset.iter().zip(&b.size).zip(&global) {
                if o.checked_add(*s).is_none_or(|end| end > *g) {
                    return false;
                }
            }
            cells += b.size.iter().map(|&s| s as u128).product::<u128>();
        }
        let total: u128 = global.iter().map(|&s| s as u128).product();
        if cells != total {
            return false;
        }
        // Same total and all inside: tiling iff no two overlap. Blocks of a decomposition are few
        // per row of blocks; a sort by offset keeps this near-linear for the usual grid layouts.
        let mut sorted: Vec<&BlockRecord> = self.blocks.iter().collect();
        sorted.sort_by_key(|b| b.offset);
        for (i, a) in sorted.iter().enumerate() {
            for b in &sorted[i + 1..] {
                if b.offset[0] >= a.offset[0] + a.size[0] {
                    break;
                }
                if overlap(a.offset, a.size, b.offset, b.size).is_some() {
                    return false;
                }
            }
        }
        true
    }
}

/// The intersection of two boxes, as (offset, size), if not empty.
pub fn overlap(ao: [usize; 3], asz: [usize; 3], bo: [usize; 3], bsz: [usize; 3]) -> Option<([usize; 3], [usize; 3])> {
    let mut o = [0; 3];
    let mut s = [0; 3];
    for a in 0..3 {
        let lo = ao[a].max(bo[a]);
        let hi = (ao[a] + asz[a]).min(bo[a] + bsz[a]);
        if hi <= lo {
            return None;
        }
        o[a] = lo;
        s[a] = hi - lo;
    }
    Some((o, s))
}

/// Rows per hash unit (and HDF5 chunk, when compressed) for a block of `size` (z, y, x): about
/// 256 KiB of whole rows, so a unit copied into the writer's stage is still in L2 when it is
/// checked and hashed there (the I/O thread's CPU per 128 MiB checkpoint, heat 2-D 4096^2 on a
/// Zen 5 core with a 1 MiB L2, 5 interleaved rounds: 0.020 / 0.022 s on 1 / 2 compute threads
/// against 0.023 / 0.023 with units of 1 MiB). A restart reads the size from the record, so
/// files written with other units read the same.
pub fn chunk_rows(size: [usize; 3]) -> usize {
    ((1usize << 15) / size[2].max(1)).clamp(1, size[1].max(1))
}

/// The hashes of one field's block, and where it first holds a non-finite value.
pub enum Hashed {
    /// The unit hashes (z-plane major, then bands along y) and their root.
    Finite { units: Vec<u64>, root: u64 },
    /// Index (C order, in the block) of the first NaN or Inf.
    NonFinite(usize),
}

/// A block's values as handed to the I/O thread: a C-order copy of the interior, or the model's
/// own padded buffer, lent ([`crate::lease`]).
pub enum Values {
    Owned(Vec<f64>),
    Lent(crate::lease::Lent),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Owned(v) => v.len(),
            Values::Lent(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Borrowed, for hashing and writing.
    pub fn source(&self) -> Source<'_> {
        match self {
            Values::Owned(v) => Source::Slice(v),
            Values::Lent(l) => Source::Lent(l),
        }
    }
}

/// A block's values to hash: contiguous, or lent (copied a unit at a time into the writer's
/// buffer or a scratch buffer that stays in cache, then checked, hashed and written from there).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Slice(&'a [f64]),
    Lent(&'a crate::lease::Lent),
}

impl Source<'_> {
    /// Copy the values from C-order position `at` (whole x-rows) into `out` (whole rows).
    fn copy_to(&self, at: usize, out: &mut [f64]) {
        match self {
            Source::Slice(d) => out.copy_from_slice(&d[at..at + out.len()]),
            Source::Lent(l) => l.copy_rows(at, out),
        }
    }
}

/// Where [`hash_block_into`] puts each unit.
pub trait UnitSink {
    type Error;
    /// Room for the next `n` values, to be filled in place (the data file's O_DIRECT stage: the
    /// values are then copied once, not into a scratch buffer and again into the stage), or None:
    /// [`UnitSink::write`] gets them instead.
    fn slot(&mut self, n: usize) -> Result<Option<&mut [f64]>, Self::Error>;
    /// The slot's first `n` values (filled, checked and hashed) are the next unit's: keep them.
    fn keep(&mut self, n: usize) -> Result<(), Self::Error>;
    /// The next unit, rows from (z, y) on, from a scratch copy.
    fn write(&mut self, unit: &[f64], z: usize, y: usize) -> Result<(), Self::Error>;
}

/// A sink without slots: every unit goes to `each(values, z, y)`.
struct EachUnit<F>(F);

impl<E, F: FnMut(&[f64], usize, usize) -> Result<(), E>> UnitSink for EachUnit<F> {
    type Error = E;
    fn slot(&mut self, _: usize) -> Result<Option<&mut [f64]>, E> {
        Ok(None)
    }
    fn keep(&mut self, _: usize) -> Result<(), E> {
        Ok(())
    }
    fn write(&mut self, unit: &[f64], z: usize, y: usize) -> Result<(), E> {
        (self.0)(unit, z, y)
    }
}

/// Hash `data` (a block of `size`, C order) in units of `rows` rows, checking every value is
/// finite on the way (one pass over memory; the finiteness test vectorises).
pub fn hash_block(data: &[f64], size: [usize; 3], rows: usize) -> Hashed {
    hash_block_with(Source::Slice(data), size, rows, |_, _, _| Ok::<(), std::convert::Infallible>(()))
        .unwrap_or_else(|e| match e {})
}

/// [`hash_block`], handing each unit to `each(values, z, y)` right after it is hashed (while it
/// is in cache: the data file writes it there). Stops at the first error of `each`.
pub fn hash_block_with<E>(
    data: Source,
    size: [usize; 3],
    rows: usize,
    each: impl FnMut(&[f64], usize, usize) -> Result<(), E>,
) -> Result<Hashed, E> {
    hash_block_into(data, size, rows, &mut EachUnit(each))
}

/// [`hash_block`], each unit copied into `sink`'s slot (or a scratch buffer), checked and hashed
/// there while in cache, and kept (or written) only if finite. Stops at the first error of `sink`.
pub fn hash_block_into<S: UnitSink>(
    data: Source,
    size: [usize; 3],
    rows: usize,
    sink: &mut S,
) -> Result<Hashed, S::Error> {
    let nx = size[2];
    let mut scratch = Vec::new();
    let mut units = Vec::with_capacity(size[0] * size[1].div_ceil(rows.max(1)));
    let mut at = 0;
    for z in 0..size[0] {
        let mut y = 0;
        while y < size[1] {
            let n = rows.min(size[1] - y) * nx;
            let checked = |unit: &[f64]| {
                if all_finite(unit) {
                    Ok(hash_values(unit))
                } else {
                    Err(at + unit.iter().position(|v| !v.is_finite()).unwrap_or(0))
                }
            };
            let hashed = if let Some(slot) = sink.slot(n)? {
                let slot = &mut slot[..n];
                data.copy_to(at, slot);
                let h = checked(slot);
                if h.is_ok() {
                    sink.keep(n)?;
                }
                h
            } else {
                let unit: &[f64] = match data {
                    Source::Slice(d) => &d[at..at + n],
                    Source::Lent(l) => {
                        scratch.resize(n, 0.0);
                        l.copy_rows(at, &mut scratch);
                        &scratch
                    }
                };
                let h = checked(unit);
                if h.is_ok() {
                    sink.write(unit, z, y)?;
                }
                h
            };
            match hashed {
                Ok(h) => units.push(h),
                Err(i) => return Ok(Hashed::NonFinite(i)),
            }
            at += n;
            y += rows;
        }
    }
    let root = hash_units(&units);
    Ok(Hashed::Finite { units, root })
}

/// Are all values finite? Branch-free over lanes so the compiler vectorises it.
pub fn all_finite(v: &[f64]) -> bool {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    v.chunks(64).all(|c| c.iter().fold(true, |ok, x| ok & (x.to_bits() & EXP != EXP)))
}

/// XXH3-64 (seed 0) of values as little-endian f64; twox-hash picks AVX2 at run time where the
/// CPU has it (same hash on every path).
pub fn hash_values(v: &[f64]) -> u64 {
    if cfg!(target_endian = "little") {
        XxHash3_64::oneshot(bytemuck::cast_slice(v))
    } else {
        let mut h = XxHash3_64::default();
        for x in v {
            h.write(&x.to_le_bytes());
        }
        h.finish()
    }
}

/// The root: XXH3-64 of the unit hashes as little-endian u64.
pub fn hash_units(units: &[u64]) -> u64 {
    let mut h = XxHash3_64::default();
    for u in units {
        h.write(&u.to_le_bytes());
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hashes are XXH3-64 with seed 0 (files written by any earlier build still verify):
    /// the reference implementation's value for no input, and one-shot = streaming.
    #[test]
    fn hashes_are_xxh3_64() {
        assert_eq!(hash_values(&[]), 0x2D06_8005_38D3_94C2);
        let v: Vec<f64> = (0..5000).map(|i| (i as f64).sqrt()).collect();
        let mut h = XxHash3_64::default();
        for c in bytemuck::cast_slice::<f64, u8>(&v).chunks(7) {
            h.write(c);
        }
        assert_eq!(hash_values(&v), h.finish());
    }

    fn block(rank: usize, offset: [usize; 3], size: [usize; 3]) -> BlockRecord {
        BlockRecord { rank, writer: rank, offset, size, chunk_rows: 2, roots: vec![rank as u64 * 7, 3] }
    }

    #[test]
    fn record_round_trips_and_rejects_garbage() {
        let r = CommitRecord {
            run_id: 0xdead_beef,
            step: 40,
            fields: vec!["a".into(), "b".into()],
            blocks: vec![block(0, [0, 0, 0], [1, 4, 5]), block(1, [0, 4, 0], [1, 3, 5])],
            files: vec![FileRecord { writer: 0, bytes: 100 }, FileRecord { writer: 1, bytes: 90 }],
        };
        let v = r.encode();
        assert_eq!(CommitRecord::decode(&v, r.fields.clone()), Some(r.clone()));
        assert_eq!(CommitRecord::decode(&v[..v.len() - 1], r.fields.clone()), None);
        assert_eq!(CommitRecord::decode(&v, vec!["a".into()]), None);
        assert!(r.tiles([1, 7, 5]));
        assert!(!r.tiles([1, 8, 5]), "a gap");
        let mut twice = r.clone();
        twice.blocks[1].offset = [0, 3, 0];
        twice.blocks[0].size = [1, 4, 5];
        assert!(!twice.tiles([1, 7, 5]), "an overlap and a hole");
        assert_eq!(r.overlapping([0, 3, 1], [1, 2, 2]).count(), 2);
        assert_eq!(r.overlapping([0, 5, 0], [1, 1, 1]).map(|b| b.rank).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn hashes_find_every_changed_value_and_non_finite_ones() {
        let size = [2, 5, 3];
        let data: Vec<f64> = (0..30).map(|i| i as f64 * 0.5 - 3.0).collect();
        let Hashed::Finite { units, root } = hash_block(&data, size, 2) else { panic!("finite") };
        assert_eq!(units.len(), 2 * 3, "bands of 2, 2, 1 rows per plane");
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] = f64::from_bits(d[i].to_bits() ^ 1);
            let Hashed::Finite { root: r2, .. } = hash_block(&d, size, 2) else { panic!() };
            assert_ne!(root, r2, "a one-bit change at {i} is seen");
        }
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut d = data.clone();
            d[17] = bad;
            assert!(matches!(hash_block(&d, size, 2), Hashed::NonFinite(17)));
        }
        assert!(all_finite(&[f64::MAX, -0.0, f64::MIN_POSITIVE, 5e-324]));
    }
}
