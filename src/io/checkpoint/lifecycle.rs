//! The checkpoint directory's lifecycle: naming, `latest`, listing what is committed, pruning by
//! `keep`, setting aside another history's checkpoints, removing a crash's leftovers, and the
//! XDMF series of what is left. Only committed directories (with `checkpoint.h5`) count.

use super::{commit, write_atomically, LATEST, MASTER};
use crate::error::{Error, Result};
use crate::io::xdmf;
use std::path::{Path, PathBuf};

pub fn root(out_dir: &Path) -> PathBuf {
    out_dir.join("checkpoints")
}

pub fn dir_name(step: u64) -> String {
    format!("ckpt_{step:010}")
}

pub fn dir_for(out_dir: &Path, step: u64) -> PathBuf {
    root(out_dir).join(dir_name(step))
}

/// The step of a checkpoint directory name (`ckpt_0000000100` -> 100).
fn step_of(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("ckpt_")?;
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

/// Point `checkpoints/latest` at the checkpoint of `step` (atomically).
pub fn set_latest(out_dir: &Path, step: u64) -> Result<()> {
    write_atomically(&root(out_dir).join(LATEST), (dir_name(step) + "\n").as_bytes())
}

/// Committed checkpoints under `out_dir`, newest first: (step, directory). One listing of the
/// directory plus one existence check per checkpoint directory. Unreadable = none.
pub fn list_committed(out_dir: &Path) -> Vec<(u64, PathBuf)> {
    try_list_committed(out_dir).unwrap_or_default()
}

/// As [`list_committed`], but a directory that exists and cannot be listed is an error (a
/// missing one is an empty list).
pub fn try_list_committed(out_dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    try_list_committed_in(&root(out_dir))
}

/// As [`try_list_committed`], of the checkpoints directory `dir` itself.
pub fn try_list_committed_in(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("cannot list {}: {e}", dir.display()))),
    };
    let mut v = Vec::new();
    for e in entries {
        let e = e.map_err(|e| Error::io(format!("cannot list {}: {e}", dir.display())))?;
        if let Some(step) = step_of(&e.file_name().to_string_lossy()) {
            if e.path().join(MASTER).is_file() {
                v.push((step, e.path()));
            }
        }
    }
    v.sort_by_key(|c| std::cmp::Reverse(c.0));
    Ok(v)
}

/// Remove committed checkpoints beyond the newest `keep` (except `protect`: the checkpoint an
/// explicit `--restart DIR` started from is an input, never deleted), and uncommitted ones older
/// than the newest committed (left by a crash). Only finite states are ever committed, so the
/// newest committed checkpoint, kept always, is a finite one.
pub fn prune(out_dir: &Path, keep: usize, protect: Option<&Path>) {
    let committed = list_committed(out_dir);
    let newest = committed.first().map(|c| c.0);
    let protected = |d: &Path| protect.is_some_and(|p| same_dir(p, d));
    for (_, dir) in committed.iter().skip(keep.max(1)) {
        if !protected(dir) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    if let Some(newest) = newest {
        for e in std::fs::read_dir(root(out_dir)).into_iter().flatten().flatten() {
            if let Some(step) = step_of(&e.file_name().to_string_lossy()) {
                if step < newest && !e.path().join(MASTER).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Remove checkpoint directories that were never committed (a crashed run's leftovers).
pub fn remove_uncommitted(out_dir: &Path) {
    for e in std::fs::read_dir(root(out_dir)).into_iter().flatten().flatten() {
        if step_of(&e.file_name().to_string_lossy()).is_some() && !e.path().join(MASTER).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Set aside committed checkpoints that belong to another history than the run under way: all of
/// them for a fresh run (`after = None`), those after step `after` for a restart (they would
/// otherwise count as newer than what this run writes). They are renamed
/// `<name>.superseded-<unix seconds>`, never deleted, and no longer count as checkpoints. The
/// `latest` pointer is moved to the newest checkpoint left, or removed. Returns the new names.
pub fn set_aside(out_dir: &Path, after: Option<u64>) -> Vec<PathBuf> {
    let mut moved = Vec::new();
    for (step, dir) in list_committed(out_dir) {
        if after.is_none_or(|a| step > a) {
            let to = crate::io::aside::name(&dir);
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

/// The XDMF series file of an output directory's checkpoints.
pub fn series_path(out_dir: &Path) -> PathBuf {
    out_dir.join("checkpoints.xdmf")
}

/// Rewrite `checkpoints.xdmf` to list exactly the committed checkpoints (oldest first); remove it
/// when none is left. Reads each commit file's header (HDF5: I/O thread only).
pub fn write_series(out_dir: &Path) -> Result<()> {
    let mut levels = Vec::new();
    let mut grid = None;
    for (step, d) in list_committed(out_dir).into_iter().rev() {
        let Ok(h) = commit::read_header(&d) else { continue };
        let rel = format!("checkpoints/{}/{MASTER}", dir_name(step));
        levels.push(xdmf::Level { time: h.stamp.time, step, file: rel });
        grid = Some(h);
    }
    let path = series_path(out_dir);
    match grid {
        None => {
            let _ = std::fs::remove_file(&path);
            Ok(())
        }
        Some(h) => {
            let mesh = xdmf::Mesh { dims: h.dims(), cells: h.global(), spacing: h.spacing };
            xdmf::write_series(&path, &mesh, &xdmf::Content::fields_f64(&h.fields), &levels)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_names_are_checkpoints() {
        assert_eq!(step_of("ckpt_0000000100"), Some(100));
        assert_eq!(step_of("ckpt_0000000100.superseded-17"), None);
        assert_eq!(step_of("ckpt_12"), None);
        assert_eq!(step_of("latest"), None);
    }
}
