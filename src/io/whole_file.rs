//! Self-contained files of whole fields read back: `final.h5` as one process (or rank 0's
//! gather) writes it, and field outputs. `--restart final.h5` reads the box of each state field a
//! rank owns; `simrun inspect` reads every dataset once. Every dataset simrun writes carries a
//! fletcher32 checksum per chunk, which HDF5 verifies on every read: a dataset without one is
//! refused for a restart (its integrity cannot be checked), a failed checksum is a corrupted
//! file. (A distributed `final.h5`, a commit file over `final/`, is read like a checkpoint.)

use crate::error::{Error, Result};
use crate::io::h5err;
use crate::io::hdf5_out::{digest, FinalMeta};
use crate::io::meta_digest;
use hdf5::types::VarLenUnicode;
use hdf5::{Hyperslab, Selection, SliceOrIndex};
use std::path::Path;

/// What a self-contained file says about itself.
#[derive(Debug, Clone)]
pub struct WholeHeader {
    pub model: String,
    pub step: u64,
    pub time: f64,
    pub dt: f64,
    /// The steady-state change at its step, if the run measured one (final.h5 only).
    pub change: Option<f64>,
    /// The resolved configuration of the run that wrote it (final.h5 only).
    pub config_toml: Option<String>,
    /// Its state signature (final.h5 only; written since field outputs exist).
    pub state_signature: Option<String>,
    /// Global shape, array order ((ny, nx) or (nz, ny, nx)).
    pub grid_shape: Vec<usize>,
    /// The datasets under `/fields`.
    pub fields: Vec<String>,
}

/// Is `path` an HDF5 commit file (a checkpoint's `checkpoint.h5` or a distributed `final.h5`),
/// rather than a self-contained file? Commit files carry a `format` attribute.
pub fn is_commit_file(path: &Path) -> Result<bool> {
    let f = hdf5::File::open(path).map_err(|e| h5err::io("cannot open", path, &e))?;
    Ok(f.attr("format").is_ok())
}

fn get_str(loc: &hdf5::Location, name: &str) -> hdf5::Result<String> {
    Ok(loc.attr(name)?.read_scalar::<VarLenUnicode>()?.as_str().to_string())
}

/// Read the header of a self-contained file.
pub fn read_header(path: &Path) -> Result<WholeHeader> {
    let f = hdf5::File::open(path).map_err(|e| h5err::io("cannot open", path, &e))?;
    let read = || -> hdf5::Result<WholeHeader> {
        let g = f.group("fields")?;
        let mut fields: Vec<String> = crate::io::describe::field_datasets(&g)?;
        fields.sort();
        let h = WholeHeader {
            model: get_str(&f, "model")?,
            step: f.attr("step")?.read_scalar()?,
            time: f.attr("time")?.read_scalar()?,
            dt: f.attr("dt")?.read_scalar()?,
            change: crate::io::checkpoint::get_change(&f)?,
            config_toml: get_str(&f, "config").ok(),
            state_signature: get_str(&f, "state_signature").ok(),
            grid_shape: f.attr("grid_shape")?.read_raw::<u64>()?.into_iter().map(|v| v as usize).collect(),
            fields,
        };
        if f.attr(meta_digest::ATTR).is_ok() && h.config_toml.is_none() {
            // A field output.
            let spacing: Vec<f64> = f.attr("spacing")?.read_raw()?;
            let precision = get_str(&f, "precision")?;
            let meta = crate::io::field_out::FieldFileMeta {
                model: h.model.clone(),
                step: h.step,
                time: h.time,
                dt: h.dt,
                spacing: [0, 1, 2].map(|i| spacing.get(i).copied().unwrap_or(f64::NAN)),
                precision: crate::config::Precision::from_name(&precision)
                    .ok_or_else(|| hdf5::Error::from(format!("attribute precision is `{precision}`")))?,
            };
            let names: Vec<String> =
                get_str(&f, "fields")?.split(',').filter(|s| !s.is_empty()).map(String::from).collect();
            if let Some(why) = crate::io::field_out::digest(&meta, &h.grid_shape, &names).verify(&f) {
                return Err(hdf5::Error::from(why));
            }
        } else if f.attr(meta_digest::ATTR).is_ok() {
            let u = |name: &str| -> hdf5::Result<Vec<usize>> {
                Ok(f.attr(name)?.read_raw::<u64>()?.into_iter().map(|v| v as usize).collect())
            };
            let spacing: Vec<f64> = f.attr("spacing")?.read_raw()?;
            let meta = FinalMeta {
                model: h.model.clone(),
                step: h.step,
                time: h.time,
                dt: h.dt,
                change: h.change,
                config_toml: h.config_toml.clone().unwrap_or_default(),
                state_signature: h.state_signature.clone().unwrap_or_default(),
                spacing: [0, 1, 2].map(|i| spacing.get(i).copied().unwrap_or(f64::NAN)),
                layout: u("layout")?,
                threads: f.attr("threads")?.read_scalar::<u64>()? as usize,
            };
            let names: Vec<String> =
                get_str(&f, "fields")?.split(',').filter(|s| !s.is_empty()).map(String::from).collect();
            if let Some(why) = digest(&meta, &h.grid_shape, &names).verify(&f) {
                return Err(hdf5::Error::from(why));
            }
        }
        Ok(h)
    };
    read().map_err(|e| h5err::io("not a simrun output file (or damaged):", path, &e))
}

/// Why dataset `ds` cannot seed a bitwise restart, if it cannot: not f64, no checksums, or not
/// of the global shape.
fn unusable(ds: &hdf5::Dataset, shape: &[usize]) -> Option<String> {
    let f64_type = ds.dtype().ok().is_some_and(|t| t.is::<f64>());
    if !f64_type {
        return Some("is not stored as f64 (a restart needs the state bit for bit)".into());
    }
    if !ds.filters().contains(&hdf5::filters::Filter::Fletcher32) {
        return Some("has no fletcher32 checksums, so its integrity cannot be verified".into());
    }
    if ds.shape() != shape {
        return Some(format!("has shape {:?}, the file's grid {shape:?}", ds.shape()));
    }
    None
}

/// Read the box (offset, size; (z, y, x), z ignored in 2-D) of fields `names` of a
/// self-contained file of global shape `shape`; every chunk read is verified by its checksum.
pub fn read_box(
    path: &Path,
    shape: &[usize],
    names: &[String],
    offset: [usize; 3],
    size: [usize; 3],
) -> Result<Vec<Vec<f64>>> {
    let f = hdf5::File::open(path).map_err(|e| h5err::io("cannot open", path, &e))?;
    let dims = shape.len();
    let slab: Vec<SliceOrIndex> = (3 - dims..3)
        .map(|a| SliceOrIndex::SliceCount { start: offset[a], step: 1, count: size[a], block: 1 })
        .collect();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let ds = f
            .dataset(&format!("fields/{name}"))
            .map_err(|e| h5err::io(&format!("no state field `{name}` in"), path, &e))?;
        if let Some(why) = unusable(&ds, shape) {
            return Err(Error::io(format!("{}: field `{name}` {why}", path.display())));
        }
        let a = ds
            .read_slice::<f64, _, ndarray::IxDyn>(Selection::from(Hyperslab::from(slab.clone())))
            .map_err(|e| h5err::io(&format!("cannot read field `{name}` of"), path, &e))?;
        out.push(a.iter().copied().collect());
    }
    Ok(out)
}

/// `simrun inspect` of a self-contained file: what it holds, every dataset read once (its
/// checksums verified). Returns the report and whether everything read back intact.
pub fn describe(path: &Path) -> Result<(String, bool)> {
    let h = read_header(path)?;
    let f = hdf5::File::open(path).map_err(|e| h5err::io("cannot open", path, &e))?;
    let kind = if h.config_toml.is_some() { "final state (self-contained)" } else { "field output" };
    let mut s = format!(
        "{kind} {}\n  model: {}\n  step: {}\n  time: {:e}\n  dt: {:e}\n  grid: {:?} (array order, {})\n",
        path.display(),
        h.model,
        h.step,
        h.time,
        h.dt,
        h.grid_shape,
        if h.grid_shape.len() == 3 { "nz, ny, nx" } else { "ny, nx" },
    );
    if let Some(c) = h.change {
        s.push_str(&format!("  steady change: {c:e} (per unit time, at this step)\n"));
    }
    s.push_str("  fields:\n");
    let mut bad = 0;
    let mut restartable = true;
    for name in &h.fields {
        let status = match f.dataset(&format!("fields/{name}")) {
            Err(e) => {
                bad += 1;
                format!("unreadable: {}", h5err::cause(&e))
            }
            Ok(ds) => {
                let ty = match ds.dtype() {
                    Ok(t) if t.is::<f64>() => "f64",
                    Ok(t) if t.is::<f32>() => "f32",
                    _ => "?",
                };
                restartable &= unusable(&ds, &h.grid_shape).is_none();
                let sums = if ds.filters().contains(&hdf5::filters::Filter::Fletcher32) {
                    "checksums ok"
                } else {
                    "read (no checksums)"
                };
                match ds.read_raw::<f64>() {
                    Ok(_) => format!("{:?} {ty}, {sums}", ds.shape()),
                    Err(e) => {
                        bad += 1;
                        format!("{:?} {ty}, corrupted: {}", ds.shape(), h5err::cause(&e))
                    }
                }
            }
        };
        s.push_str(&format!("    /fields/{name}  {status}\n"));
    }
    // A restart reads the fields only.
    let state_bad = bad;
    // The rest: coordinates and the diagnostics table, read once each (their checksums
    // verified; files of an older simrun have none there).
    let mut unchecked = Vec::new();
    for group in ["fields", "diagnostics"] {
        let Ok(g) = f.group(group) else { continue };
        let mut names = g.member_names().unwrap_or_default();
        names.sort();
        for n in names.into_iter().filter(|n| group != "fields" || !h.fields.contains(n)) {
            let Ok(ds) = g.dataset(&n) else { continue };
            let read = match ds.dtype() {
                Ok(t) if t.is::<u64>() => ds.read_raw::<u64>().map(|_| ()),
                _ => ds.read_raw::<f64>().map(|_| ()),
            };
            if let Err(e) = read {
                bad += 1;
                s.push_str(&format!("    /{group}/{n}  corrupted: {}\n", h5err::cause(&e)));
            } else if !ds.filters().contains(&hdf5::filters::Filter::Fletcher32) && ds.size() > 0 {
                unchecked.push(format!("/{group}/{n}"));
            }
        }
    }
    if !unchecked.is_empty() {
        s.push_str(&format!("  read without checksums (written by an older simrun): {}\n", unchecked.join(", ")));
    }
    if h.config_toml.is_some() {
        s.push_str(&format!(
            "  restart: {}\n",
            if state_bad == 0 && restartable {
                "yes (--restart this file continues the run)"
            } else {
                "no (see above)"
            }
        ));
    }
    s.push_str(&format!(
        "  intact: {}\n",
        if bad == 0 { "yes, verified".to_string() } else { format!("no, {bad} problem(s)") }
    ));
    Ok((s, bad == 0))
}
