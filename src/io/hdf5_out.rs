//! HDF5 files of whole fields. Layout: `/fields/<name>` of the global shape ((ny, nx) or
//! (nz, ny, nx), C order, f64, fletcher32 checksum); attributes `step`, `time`, `dt` on the root
//! and on each dataset; on the root also `model`, `simrun_version`, `config` (the resolved TOML),
//! `state_signature` (what a restart from the file must match), `grid_shape` (array order), `spacing` (dz, dy, dx), `layout` (ranks along x, y[, z]), `threads`
//! and `fields` (the field names, comma-separated), and `meta_xxh3`, the checksum of those a restart
//! trusts ([`crate::io::meta_digest`]). Beside the fields in `/fields`, their
//! coordinates as dimension scales (`x`, `y`[, `z`], `x_face` ...) and on each field `units`,
//! `long_name`, `centring` ([`crate::io::describe`]). `/diagnostics`: the run's `diagnostics.csv`
//! as one 1-D dataset per column ([`crate::io::diag_csv::Table::write_h5`]).
//! Files are written under a temporary name and renamed, so a reader never sees half a file.

use crate::error::{Error, Result};
use crate::io::diag_csv::Table;
use crate::io::meta_digest::MetaDigest;
use hdf5::types::VarLenUnicode;
use std::path::Path;

/// What a file says about the run that wrote it.
#[derive(Debug, Clone)]
pub struct FinalMeta {
    pub model: String,
    pub step: u64,
    pub time: f64,
    pub dt: f64,
    /// The steady-state change at this step ([`crate::io::checkpoint::Stamp::change`]).
    pub change: Option<f64>,
    pub config_toml: String,
    /// The configuration's state signature (what a restart from this file must match).
    pub state_signature: String,
    pub spacing: [f64; 3],
    pub layout: Vec<usize>,
    pub threads: usize,
}

fn h5err(path: &Path, what: &str, e: hdf5::Error) -> Error {
    crate::io::h5err::io(what, path, &e)
}

/// Write whole global fields to `path` atomically (temporary file flushed to disk, then
/// renamed), with the run's `diagnostics` table as `/diagnostics` if given; a failed write
/// leaves no temporary file.
pub fn write_fields(
    path: &Path,
    shape: &[usize],
    fields: &[(&str, &[f64])],
    meta: &FinalMeta,
    diagnostics: Option<&Table>,
) -> Result<()> {
    let tmp = path.with_extension("h5.tmp");
    let r = write_to(&tmp, path, shape, fields, meta, diagnostics)
        .and_then(|_| crate::io::checkpoint::commit_file(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

fn write_to(
    tmp: &Path,
    path: &Path,
    shape: &[usize],
    fields: &[(&str, &[f64])],
    meta: &FinalMeta,
    diagnostics: Option<&Table>,
) -> Result<()> {
    let file = hdf5::File::create(tmp).map_err(|e| h5err(path, "cannot create", e))?;
    let step = meta.step;
    let put_scalars = |loc: &hdf5::Location| -> hdf5::Result<()> {
        loc.new_attr::<u64>().create("step")?.write_scalar(&step)?;
        loc.new_attr::<f64>().create("time")?.write_scalar(&meta.time)?;
        loc.new_attr::<f64>().create("dt")?.write_scalar(&meta.dt)?;
        Ok(())
    };
    let write = || -> hdf5::Result<()> {
        put_scalars(&file)?;
        crate::io::checkpoint::put_change(&file, meta.change)?;
        put_string(&file, "model", &meta.model)?;
        put_string(&file, "simrun_version", env!("CARGO_PKG_VERSION"))?;
        put_string(&file, "config", &meta.config_toml)?;
        put_string(&file, "state_signature", &meta.state_signature)?;
        let shape_u64: Vec<u64> = shape.iter().map(|&v| v as u64).collect();
        file.new_attr::<u64>().shape(shape_u64.len()).create("grid_shape")?.write(&shape_u64)?;
        file.new_attr::<f64>().shape(3).create("spacing")?.write(&meta.spacing)?;
        let layout: Vec<u64> = meta.layout.iter().map(|&v| v as u64).collect();
        file.new_attr::<u64>().shape(layout.len()).create("layout")?.write(&layout)?;
        file.new_attr::<u64>().create("threads")?.write_scalar(&(meta.threads as u64))?;
        let group = file.create_group("fields")?;
        for (name, data) in fields {
            let view = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(shape), data)
                .map_err(|e| hdf5::Error::from(format!("field {name}: {e}")))?;
            let chunk: Vec<usize> = chunk_shape(shape);
            let ds = group.new_dataset_builder().chunk(chunk).fletcher32().with_data(&view).create(*name)?;
            put_scalars(&ds)?;
        }
        let names: Vec<String> = fields.iter().map(|(n, _)| n.to_string()).collect();
        put_string(&file, "fields", &names.join(","))?;
        digest(meta, shape, &names).store(&file)?;
        crate::io::describe::describe_model(&group, meta.spacing, &meta.model, &names)?;
        if let Some(t) = diagnostics {
            t.write_h5(&file)?;
        }
        file.flush()?;
        Ok(())
    };
    write().map_err(|e| h5err(path, "cannot write", e))
}

/// The digest of the root attributes a restart from the file trusts ([`crate::io::meta_digest`]).
pub(crate) fn digest(meta: &FinalMeta, shape: &[usize], fields: &[String]) -> MetaDigest {
    let d = MetaDigest::default()
        .str("model", &meta.model)
        .u64("step", meta.step)
        .f64("time", meta.time)
        .f64("dt", meta.dt)
        .str("config", &meta.config_toml)
        .str("state_signature", &meta.state_signature)
        .u64s("grid_shape", shape.iter().copied())
        .f64s("spacing", &meta.spacing)
        .u64s("layout", meta.layout.iter().copied())
        .u64("threads", meta.threads as u64)
        .strs("fields", fields);
    crate::io::checkpoint::digest_change(d, meta.change)
}

fn put_string(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("attribute {name}: {e:?}")))?;
    loc.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&v)
}

/// Chunks of about 1 MiB, whole rows.
pub(crate) fn chunk_shape(shape: &[usize]) -> Vec<usize> {
    let row = *shape.last().unwrap_or(&1);
    let rows_per_chunk = ((1 << 17) / row.max(1)).max(1);
    let mut c: Vec<usize> = shape.iter().map(|_| 1).collect();
    let d = c.len();
    c[d - 1] = row.max(1);
    if d >= 2 {
        c[d - 2] = rows_per_chunk.min(shape[d - 2]).max(1);
    }
    c
}

/// Read a whole field back: (shape, data).
pub fn read_field(path: &Path, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
    let file = hdf5::File::open(path).map_err(|e| h5err(path, "cannot open", e))?;
    let ds = file.dataset(&format!("fields/{name}")).map_err(|e| h5err(path, &format!("no field `{name}` in"), e))?;
    let shape = ds.shape();
    let data: Vec<f64> = ds.read_raw().map_err(|e| h5err(path, "cannot read", e))?;
    Ok((shape, data))
}
