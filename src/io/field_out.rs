//! Field outputs (`[[output.fields]]`) on disk: one self-contained HDF5 file per output, written
//! by the I/O thread, and each writer's XDMF series.
//!
//! ```text
//! <output.dir>/<dir>/step_<step, 10 digits>.h5
//!     attributes: step, time, dt, model, simrun_version, grid_shape, spacing (dz, dy, dx), precision
//!     /fields/<name>   global shape ((ny, nx) or (nz, ny, nx), C order), f32 or f64, fletcher32;
//!                      attributes step, time, dt
//! <output.dir>/<dir>.xdmf   the series (the files present, oldest first), for ParaView
//! ```
//!
//! Why one file per output and not one growing file: each file is written under a temporary name
//! and renamed, so a run killed at any instant leaves only whole files, and the series is exactly
//! the files present (a growing HDF5 file killed mid-write can be unreadable as a whole); a restart
//! continues the series by renaming away the files past its step; and any reader opens any one
//! output alone. Every dataset goes through [`write_field_file`] (one place to add dimension
//! scales and attributes).

use crate::config::Precision;
use crate::error::{Error, Result};
use crate::io::h5err;
use crate::io::xdmf;
use hdf5::types::VarLenUnicode;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a field output file says about itself.
#[derive(Debug, Clone)]
pub struct FieldFileMeta {
    pub model: String,
    pub step: u64,
    pub time: f64,
    pub dt: f64,
    /// Cell sizes (dz, dy, dx).
    pub spacing: [f64; 3],
    pub precision: Precision,
}

/// The file name of the output at `step`.
pub fn file_name(step: u64) -> String {
    format!("step_{step:010}.h5")
}

/// The step of an output file name (`step_0000000100.h5` -> 100).
pub fn step_of(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("step_")?.strip_suffix(".h5")?;
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

/// Write one field output: every field of `fields` (global arrays of `shape`, C order) as
/// `/fields/<name>` in `meta.precision`, with the attributes above, under a temporary name,
/// flushed and renamed to `path`. No temporary file is left on failure.
pub fn write_field_file(
    path: &Path,
    shape: &[usize],
    fields: &[(String, Vec<f64>)],
    meta: &FieldFileMeta,
) -> Result<()> {
    let tmp = path.with_extension("h5.tmp");
    let r = write_to(&tmp, path, shape, fields, meta).and_then(|_| crate::io::checkpoint::commit_file(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

fn write_to(
    tmp: &Path,
    path: &Path,
    shape: &[usize],
    fields: &[(String, Vec<f64>)],
    meta: &FieldFileMeta,
) -> Result<()> {
    let file = hdf5::File::create(tmp).map_err(|e| h5err::io("cannot create", path, &e))?;
    let stamp = |loc: &hdf5::Location| -> hdf5::Result<()> {
        loc.new_attr::<u64>().create("step")?.write_scalar(&meta.step)?;
        loc.new_attr::<f64>().create("time")?.write_scalar(&meta.time)?;
        loc.new_attr::<f64>().create("dt")?.write_scalar(&meta.dt)
    };
    let write = || -> hdf5::Result<()> {
        stamp(&file)?;
        put_str(&file, "model", &meta.model)?;
        put_str(&file, "simrun_version", env!("CARGO_PKG_VERSION"))?;
        put_str(&file, "precision", meta.precision.name())?;
        let shape_u64: Vec<u64> = shape.iter().map(|&v| v as u64).collect();
        file.new_attr::<u64>().shape(shape_u64.len()).create("grid_shape")?.write(&shape_u64)?;
        file.new_attr::<f64>().shape(3).create("spacing")?.write(&meta.spacing)?;
        let group = file.create_group("fields")?;
        for (name, data) in fields {
            let ds = write_dataset(&group, name, shape, data, meta.precision)?;
            stamp(&ds)?;
        }
        let names: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
        put_str(&file, "fields", &names.join(","))?;
        digest(meta, shape, &names).store(&file)?;
        crate::io::describe::describe_model(&group, meta.spacing, &meta.model, &names)?;
        file.flush()
    };
    write().map_err(|e| h5err::io("cannot write", path, &e))
}

/// The digest of a field output's root attributes ([`crate::io::meta_digest`]): a damaged
/// step, time or spacing is found by `simrun inspect` like a damaged value.
pub(crate) fn digest(meta: &FieldFileMeta, shape: &[usize], fields: &[String]) -> crate::io::meta_digest::MetaDigest {
    crate::io::meta_digest::MetaDigest::default()
        .str("model", &meta.model)
        .u64("step", meta.step)
        .f64("time", meta.time)
        .f64("dt", meta.dt)
        .str("precision", meta.precision.name())
        .u64s("grid_shape", shape.iter().copied())
        .f64s("spacing", &meta.spacing)
        .strs("fields", fields)
}

/// One field as a chunked, fletcher32-checked dataset of `shape` in `precision`.
fn write_dataset(
    group: &hdf5::Group,
    name: &str,
    shape: &[usize],
    data: &[f64],
    precision: Precision,
) -> hdf5::Result<hdf5::Dataset> {
    let chunk = crate::io::hdf5_out::chunk_shape(shape);
    let bad = |e: ndarray::ShapeError| hdf5::Error::from(format!("field {name}: {e}"));
    let b = group.new_dataset_builder().chunk(chunk).fletcher32();
    match precision {
        Precision::F64 => {
            let view = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(shape), data).map_err(bad)?;
            b.with_data(&view).create(name)
        }
        Precision::F32 => {
            let narrow: Vec<f32> = data.iter().map(|&v| v as f32).collect();
            let view = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(shape), &narrow).map_err(bad)?;
            b.with_data(&view).create(name)
        }
    }
}

fn put_str(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("attribute {name}: {e:?}")))?;
    loc.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&v)
}

/// What a writer's series describes (the same for all its files).
#[derive(Debug, Clone)]
pub struct SeriesSpec {
    /// The writer's directory.
    pub dir: PathBuf,
    pub dims: usize,
    /// Global cells (z, y, x).
    pub global: [usize; 3],
    pub spacing: [f64; 3],
    pub fields: Vec<String>,
    pub precision: Precision,
}

impl SeriesSpec {
    /// The XDMF file beside the directory: `<dir>.xdmf`.
    pub fn xdmf_path(&self) -> PathBuf {
        let mut p = self.dir.clone().into_os_string();
        p.push(".xdmf");
        PathBuf::from(p)
    }
}

/// A writer's series as the I/O thread keeps it: the files present, oldest first. The XDMF
/// file is rewritten at most every [`Series::REWRITE_SECONDS`] once it lists more than
/// [`Series::EAGER`] files (a long series would otherwise cost its length at every output), and
/// always by [`Series::finish`]; it never names a file that is not there.
pub struct Series {
    pub spec: SeriesSpec,
    levels: Vec<xdmf::Level>,
    written: Option<Instant>,
    dirty: bool,
}

impl Series {
    const EAGER: usize = 100;
    const REWRITE_SECONDS: f64 = 2.0;

    /// Take the writer's directory over: for a fresh run (`restart_step` None) an earlier run's
    /// directory is set aside (renamed `<dir>.superseded-<unix seconds>`); for a restart, files
    /// after `restart_step` (another history's) are renamed `<name>.superseded-<unix seconds>`
    /// and the files up to it are read (their `time`) to continue the series. Temporary files of
    /// a killed run are removed. Returns the series and a warning, if anything was set aside.
    pub fn open(spec: SeriesSpec, restart_step: Option<u64>) -> Result<(Series, Option<String>)> {
        let dir = &spec.dir;
        let mut note = None;
        let entries = |d: &Path| -> Vec<(String, PathBuf)> {
            std::fs::read_dir(d)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| (e.file_name().to_string_lossy().to_string(), e.path()))
                .collect()
        };
        let mut levels = Vec::new();
        match restart_step {
            None => {
                let earlier = entries(dir).iter().filter(|(n, _)| step_of(n).is_some()).count();
                if earlier > 0 {
                    let to = crate::io::aside::name(dir);
                    std::fs::rename(dir, &to)
                        .map_err(|e| Error::io(format!("cannot set aside an earlier run's {}: {e}", dir.display())))?;
                    note = Some(format!(
                        "warning: {earlier} field output(s) of an earlier run set aside (renamed, not deleted): {}",
                        to.display()
                    ));
                }
            }
            Some(s) => {
                let mut moved = 0;
                for (name, path) in entries(dir) {
                    if name.ends_with(".h5.tmp") {
                        let _ = std::fs::remove_file(&path);
                    }
                    match step_of(&name) {
                        Some(k) if k > s => {
                            let to = crate::io::aside::name(&path);
                            std::fs::rename(&path, &to)
                                .map_err(|e| Error::io(format!("cannot set aside {}: {e}", path.display())))?;
                            moved += 1;
                        }
                        Some(k) => levels.push(xdmf::Level { time: read_time(&path)?, step: k, file: name }),
                        None => {}
                    }
                }
                if moved > 0 {
                    note = Some(format!(
                        "warning: {moved} field output(s) in {} after step {s} set aside (renamed `*.superseded-<unix seconds>`, not deleted)",
                        dir.display()
                    ));
                }
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
        levels.sort_by_key(|l| l.step);
        let mut s = Series { spec, levels, written: None, dirty: true };
        s.write()?;
        Ok((s, note))
    }

    /// The output at `step`, `time` is on disk.
    pub fn add(&mut self, step: u64, time: f64) -> Result<()> {
        self.levels.retain(|l| l.step != step);
        self.levels.push(xdmf::Level { time, step, file: file_name(step) });
        self.dirty = true;
        let stale = self.written.is_none_or(|w| w.elapsed().as_secs_f64() >= Self::REWRITE_SECONDS);
        if self.levels.len() <= Self::EAGER || stale {
            self.write()?;
        }
        Ok(())
    }

    /// Bring the XDMF file up to date.
    pub fn finish(&mut self) -> Result<()> {
        if self.dirty {
            self.write()?;
        }
        Ok(())
    }

    fn write(&mut self) -> Result<()> {
        let path = self.spec.xdmf_path();
        let rel = self.spec.dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let levels: Vec<xdmf::Level> = self
            .levels
            .iter()
            .map(|l| xdmf::Level { time: l.time, step: l.step, file: format!("{rel}/{}", l.file) })
            .collect();
        let s = &self.spec;
        if levels.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else {
            let bytes = s.precision.bytes() as usize;
            let mesh = xdmf::Mesh { dims: s.dims, cells: s.global, spacing: s.spacing };
            let content = xdmf::Content { group: "/fields", fields: &s.fields, precision: bytes };
            xdmf::write_series(&path, &mesh, &content, &levels)?;
        }
        self.written = Some(Instant::now());
        self.dirty = false;
        Ok(())
    }
}

/// The `time` attribute of an output file.
fn read_time(path: &Path) -> Result<f64> {
    let f = hdf5::File::open(path).map_err(|e| h5err::io("cannot open field output", path, &e))?;
    f.attr("time").and_then(|a| a.read_scalar()).map_err(|e| h5err::io("cannot read the time of", path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(step_of(&file_name(120)), Some(120));
        assert_eq!(step_of("step_0000000100.h5.superseded-5"), None);
        assert_eq!(step_of("step_12.h5"), None);
        assert_eq!(step_of("step_0000000100.h5.tmp"), None);
    }
}
