//! `simrun inspect PATH`: what simrun wrote at PATH, verified as a restart would read it.
//!
//! - A checkpoint (its directory, `checkpoint.h5`, one data file) or a distributed `final.h5`:
//!   [`super::checkpoint::inspect`], every data file checked against the commit's record.
//! - A self-contained file (`final.h5` of one process, a field output): [`super::whole_file`],
//!   every dataset read once with its checksums.
//! - `checkpoints/` or its `latest`: the newest committed checkpoint in full (what
//!   `--restart latest` reads), then every other one verified, one line each.
//! - An output directory: its checkpoints as above, `final.h5`, and every field output file.
//! - A directory of field outputs: every file, one line each.
//!
//! Uncommitted checkpoints (a crash's leftovers) and a `latest` pointer that names no committed
//! checkpoint are reported but are not damage: a restart ignores the one and does not follow the
//! other. Anything that a restart would refuse is damage (exit 4).

use super::checkpoint::{self, lifecycle, LATEST, MASTER};
use super::{field_out, whole_file};
use crate::error::{Error, Result};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The report of `path` and whether everything in it is intact.
pub fn describe(path: &Path) -> Result<(String, bool)> {
    if !path.exists() {
        return Err(Error::config(format!("{}: no such file or directory", path.display())));
    }
    if path.is_file() {
        if path.file_name().is_some_and(|n| n == LATEST) {
            let dir = path.parent().unwrap_or(Path::new("."));
            return checkpoints(dir);
        }
        return one_file(path);
    }
    let has = |name: &str| path.join(name).exists();
    let rank_files = || {
        std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("rank_"))
    };
    if has(MASTER) || rank_files() {
        return checkpoint::inspect::describe(path);
    }
    if has(LATEST) || is_checkpoints(path) {
        return checkpoints(path);
    }
    if has("checkpoints") || has("final.h5") || has("diagnostics.csv") {
        return output_dir(path);
    }
    let files = field_files(path);
    if !files.is_empty() {
        let mut s = String::new();
        let ok = field_lines(&mut s, path, &files);
        return Ok((s, ok));
    }
    Err(Error::config(format!(
        "{}: holds no checkpoint, final.h5 or field output (nothing simrun wrote)",
        path.display()
    )))
}

/// A file: a commit (checkpoint.h5, a distributed final.h5), a data file, or self-contained.
fn one_file(path: &Path) -> Result<(String, bool)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name == MASTER || name.starts_with("rank_") || whole_file::is_commit_file(path)? {
        checkpoint::inspect::describe(path)
    } else {
        whole_file::describe(path)
    }
}

/// Is `dir` a `checkpoints` directory (named so, or holding `ckpt_*` directories)?
fn is_checkpoints(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "checkpoints")
        || std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("ckpt_"))
}

/// `checkpoints/`: the newest committed checkpoint in full, the others one line each, the
/// uncommitted ones and a stale `latest` noted.
fn checkpoints(dir: &Path) -> Result<(String, bool)> {
    let committed = lifecycle::try_list_committed_in(dir)?;
    let mut s = String::new();
    let mut ok = true;
    let Some((_, newest)) = committed.first() else {
        let _ = writeln!(s, "checkpoints {}: none committed", dir.display());
        note_uncommitted(&mut s, dir, &committed);
        return Ok((s, true));
    };
    let (text, good) = checkpoint::inspect::describe(newest)?;
    s.push_str(&text);
    ok &= good;
    let pointed = std::fs::read_to_string(dir.join(LATEST)).ok().map(|n| n.trim().to_string());
    if let Some(name) =
        pointed.filter(|n| !committed.iter().any(|(_, d)| d.file_name().is_some_and(|f| f == n.as_str())))
    {
        let _ = writeln!(
            s,
            "  note: `latest` names {name}, which is not a committed checkpoint; --restart latest reads the newest committed one, {}",
            file_name(newest)
        );
    }
    let others = &committed[1..];
    if !others.is_empty() {
        let _ = writeln!(s, "  {} checkpoint(s) besides:", others.len());
    }
    for (_, d) in others {
        let (text, good) = match checkpoint::inspect::describe(d) {
            Ok(r) => r,
            Err(e) => (e.message.clone(), false),
        };
        ok &= good;
        if good {
            let _ = writeln!(s, "    {}  verified", file_name(d));
        } else {
            let _ = writeln!(s, "    {}  DAMAGED:", file_name(d));
            for line in text.lines() {
                let _ = writeln!(s, "      {line}");
            }
        }
    }
    note_uncommitted(&mut s, dir, &committed);
    Ok((s, ok))
}

/// Checkpoint directories without a commit (a crash's or a stop's leftovers: ignored by restart).
fn note_uncommitted(s: &mut String, dir: &Path, committed: &[(u64, PathBuf)]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir() && !committed.iter().any(|(_, d)| *d == e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ckpt_") && !n.contains(".superseded-"))
        .collect();
    names.sort();
    if !names.is_empty() {
        let _ = writeln!(s, "  not committed (a restart ignores them): {}", names.join(", "));
    }
}

/// An output directory: checkpoints, final.h5, field outputs.
fn output_dir(dir: &Path) -> Result<(String, bool)> {
    let mut s = format!("output directory {}\n", dir.display());
    let mut ok = true;
    let ck = lifecycle::root(dir);
    if ck.is_dir() {
        let (text, good) = checkpoints(&ck)?;
        s.push_str(&text);
        ok &= good;
    } else {
        s.push_str("no checkpoints\n");
    }
    let fin = dir.join("final.h5");
    if fin.is_file() {
        let (text, good) = match one_file(&fin) {
            Ok(r) => r,
            Err(e) => (format!("final.h5: {}\n", e.message), false),
        };
        s.push_str(&text);
        ok &= good;
    } else {
        s.push_str("no final.h5 (the run has not finished)\n");
    }
    let mut subdirs: Vec<PathBuf> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    subdirs.sort();
    for sub in subdirs {
        let files = field_files(&sub);
        if !files.is_empty() {
            ok &= field_lines(&mut s, &sub, &files);
        }
    }
    Ok((s, ok))
}

/// The field output files (`step_<step>.h5`) in `dir`, in step order.
fn field_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| field_out::step_of(&e.file_name().to_string_lossy()).map(|s| (s, e.path())))
        .collect();
    v.sort();
    v.into_iter().map(|(_, p)| p).collect()
}

/// One line for the intact files of a field output directory, the damaged ones in full.
fn field_lines(s: &mut String, dir: &Path, files: &[PathBuf]) -> bool {
    let mut damaged = Vec::new();
    for f in files {
        let good = match whole_file::describe(f) {
            Ok((_, true)) => None,
            Ok((text, false)) => Some(text),
            Err(e) => Some(format!("{}\n", e.message)),
        };
        if let Some(text) = good {
            damaged.push((f, text));
        }
    }
    let _ = writeln!(
        s,
        "field outputs {}: {} file(s), {}",
        dir.display(),
        files.len(),
        if damaged.is_empty() { "all verified".to_string() } else { format!("{} DAMAGED:", damaged.len()) }
    );
    for (f, text) in &damaged {
        let _ = writeln!(s, "  {}:", file_name(f));
        for line in text.lines() {
            let _ = writeln!(s, "    {line}");
        }
    }
    damaged.is_empty()
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
