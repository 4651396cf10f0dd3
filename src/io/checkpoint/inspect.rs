//! `simrun inspect`: what a checkpoint holds, and whether every data file it names is intact —
//! verified exactly as a restart would verify it (length, step, run, writer, geometry, content
//! checksums), file by file: ok / missing / truncated / mismatched / corrupted / unreadable.

use super::commit::{self, master_path};
use super::data_file::{self, DATA_FORMAT};
use super::record::data_file_name;
use super::{get_str, MASTER};
use crate::error::{Error, Result};
use crate::io::h5err;
use std::path::Path;

/// Describe a checkpoint (a checkpoint directory, its checkpoint.h5, or one data file). Returns
/// the report and whether everything checked is intact.
pub fn describe(path: &Path) -> Result<(String, bool)> {
    let master = master_path(path);
    let is_data_file = master.file_name().map(|n| n.to_string_lossy().starts_with("rank_")).unwrap_or(false);
    if is_data_file {
        return describe_data_file(&master);
    }
    let dir = if path.is_dir() { path.to_path_buf() } else { path.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let master = if master.exists() { master } else { commit_of(&dir) };
    if !master.exists() {
        let files = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("rank_"))
            .count();
        return Err(Error::io(format!("{}: not committed (no {MASTER}); {files} data file(s) present", dir.display())));
    }
    let (h, rec) = commit::read(&master, true)?;
    let what = if master.file_name().is_some_and(|n| n == MASTER) {
        format!("checkpoint {}", h.dir.display())
    } else {
        format!("final state {} (distributed: its data files in {})", master.display(), h.dir.display())
    };
    let mut s = format!(
        "{what}\n  format: {}\n  model: {}\n  step: {}\n  time: {:e}\n  dt: {:e}\n  grid: {:?} (array order, {})\n  written by: {} rank(s), layout {:?} (x, y[, z]), {} thread(s) each\n",
        h.format,
        h.model,
        h.stamp.step,
        h.stamp.time,
        h.stamp.dt,
        h.grid_shape,
        if h.dims() == 3 { "nz, ny, nx" } else { "ny, nx" },
        h.ranks,
        h.layout,
        h.threads
    );
    if let Some(c) = h.stamp.change {
        s.push_str(&format!("  steady change: {c:e} (per unit time, at this step)\n"));
    }
    s.push_str("  fields:\n");
    for n in &h.fields {
        let role = if h.state_fields.contains(n) { "state" } else { "view" };
        s.push_str(&format!("    /fields/{n} {:?} f64 ({role})\n", h.grid_shape));
    }
    let mut bad = 0;
    if let Some(why) = rec.fault(h.global(), &h.state_fields) {
        // Nothing is read through a record that cannot be trusted (its sizes may be anything).
        s.push_str(&format!(
            "  commit record: {why}\n  committed: yes, but its record is damaged: a restart refuses it\n"
        ));
        return Ok((s, false));
    }
    s.push_str(&format!("  data files ({}):\n", rec.files.len()));
    for f in &rec.files {
        let status = match data_file::verify_file(&h.dir, &rec, h.dims(), f.writer) {
            Ok(()) => "ok".to_string(),
            Err(fault) if fault.fault == data_file::Fault::Missing => {
                bad += 1;
                "missing".to_string()
            }
            Err(fault) => {
                bad += 1;
                format!("{}: {}", fault.fault.word(), fault.detail)
            }
        };
        s.push_str(&format!("    {}  {}\n", data_file_name(f.writer), status));
    }
    s.push_str(&format!(
        "  committed: {}\n",
        if bad == 0 { "yes, verified".to_string() } else { format!("yes, but {bad} problem(s): a restart refuses it") }
    ));
    Ok((s, bad == 0))
}

/// The commit of the data files in `dir`: a checkpoint's is beside them, a distributed
/// final.h5 beside `final/`.
pub fn commit_of(dir: &Path) -> std::path::PathBuf {
    match dir.file_name() {
        Some(n) if n == "final" && !dir.join(MASTER).exists() => dir.with_file_name("final.h5"),
        _ => dir.join(MASTER),
    }
}

/// One data file: what it says about itself, and, when a commit sits beside it, the file
/// verified against that commit's record as a restart would.
fn describe_data_file(path: &Path) -> Result<(String, bool)> {
    let mut s = describe_data_header(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let master = commit_of(dir);
    if !master.exists() {
        s.push_str("  committed: no (no checkpoint.h5 beside it)\n");
        return Ok((s, true));
    }
    let (h, rec) = commit::read(&master, true)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let writer = rec.files.iter().map(|f| f.writer).find(|&w| data_file_name(w) == name);
    let status = match (rec.fault(h.global(), &h.state_fields), writer) {
        (Some(why), _) => Err(format!("the commit beside it cannot be trusted: {why}")),
        (None, None) => Err("the commit beside it does not name this file".to_string()),
        (None, Some(w)) => data_file::verify_file(&h.dir, &rec, h.dims(), w)
            .map_err(|fault| format!("{}: {}", fault.fault.word(), fault.detail)),
    };
    match status {
        Ok(()) => {
            s.push_str("  committed: yes, verified against the commit's record\n");
            Ok((s, true))
        }
        Err(why) => {
            s.push_str(&format!("  committed: yes, but {why}: a restart refuses the checkpoint\n"));
            Ok((s, false))
        }
    }
}

fn describe_data_header(path: &Path) -> Result<String> {
    let file = hdf5::File::open(path).map_err(|e| h5err::io("cannot open", path, &e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let read = || -> hdf5::Result<String> {
        let format = get_str(&file, "format").unwrap_or_default();
        let step: u64 = file.attr("step")?.read_scalar()?;
        let time: f64 = file.attr("time")?.read_scalar()?;
        let writer: u64 = file.attr("writer")?.read_scalar()?;
        let mut s = format!(
            "data file of checkpoint {}\n  format: {format}{}\n  writer: rank {writer}\n  step: {step}\n  time: {time:e}\n",
            dir.display(),
            if format == DATA_FORMAT { "" } else { " (not readable by this simrun)" }
        );
        for g in file.groups()? {
            let off: Vec<u64> = g.attr("offset")?.read_raw()?;
            let size: Vec<u64> = g.attr("size")?.read_raw()?;
            let names: Vec<String> =
                g.datasets()?.iter().map(|d| d.name().rsplit('/').next().unwrap_or("").to_string()).collect();
            s.push_str(&format!("  {}: offset {off:?}, size {size:?}, fields {}\n", g.name(), names.join(", ")));
        }
        Ok(s)
    };
    read().map_err(|e| h5err::io("cannot read", path, &e))
}
