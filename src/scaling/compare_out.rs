//! Where `simrun compare --out` may write: never into a study. A comparison writes `speedup`,
//! `efficiency` (PNG, SVG) under the names of a study's own plots, so `--out` that is, or is
//! inside, one of the compared studies (or is any other study's directory) is refused before
//! anything is read or written. Paths are compared canonicalised (symlinks, `..`, a trailing
//! `/`), the part of `--out` that does not exist yet taken as written below its nearest existing
//! ancestor.

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// `path` made absolute with its symlinks resolved as far as it exists; the rest appended with
/// `.` dropped and `..` applied.
pub fn canonical_lenient(path: &Path) -> PathBuf {
    let mut rest: Vec<Component> = Vec::new();
    let mut existing = path;
    let base = loop {
        if let Ok(c) = existing.canonicalize() {
            break c;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            }
            _ => break std::env::current_dir().unwrap_or_default(),
        }
    };
    let mut out = base;
    for c in rest.into_iter().rev() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Refuse `out` when it is, or is inside, one of the compared studies `dirs`, or when it is
/// another study's directory (holds `study.json`).
pub fn check_out(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let target = canonical_lenient(out);
    for d in dirs {
        let study = canonical_lenient(d);
        if target.starts_with(&study) {
            let where_ = if target == study { "is" } else { "is inside" };
            return Err(Error::config(format!(
                "--out {} {where_} the compared study {}: the comparison's charts would replace the study's own speedup and efficiency plots; write it elsewhere",
                out.display(),
                d.display()
            )));
        }
    }
    if target.join("study.json").exists() {
        return Err(Error::config(format!(
            "--out {} holds a study (study.json): the comparison's charts would replace its own speedup and efficiency plots; write it elsewhere",
            out.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_does_not_exist_yet_resolves_below_its_existing_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("a")).unwrap();
        std::os::unix::fs::symlink(real.join("a"), real.join("link")).unwrap();
        assert_eq!(canonical_lenient(&real.join("link/new/x")), real.join("a/new/x"));
        assert_eq!(canonical_lenient(&real.join("new/../a/./y")), real.join("a/y"));
        assert_eq!(canonical_lenient(&real.join("link/")), real.join("a"));
    }
}
