//! Names for what a run sets aside instead of deleting: `<name>.superseded-<unix seconds>`, with
//! `-1`, `-2`, ... appended when that name is taken (runs started within the same second: a
//! rename onto an existing file would replace it, onto a non-empty directory it fails).

use std::path::{Path, PathBuf};

/// A name beside `path` for setting it aside, not taken by anything yet.
pub fn name(path: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let base = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    (0..)
        .map(|i| {
            let suffix = if i == 0 { String::new() } else { format!("-{i}") };
            path.with_file_name(format!("{base}.superseded-{stamp}{suffix}"))
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_taken_name_gets_a_suffix() {
        let dir = std::env::temp_dir().join(format!("simrun_aside_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("diagnostics.csv");
        let a = super::name(&f);
        assert!(a.file_name().unwrap().to_string_lossy().starts_with("diagnostics.csv.superseded-"));
        std::fs::write(&a, b"x").unwrap();
        let b = super::name(&f);
        assert_ne!(a, b);
        assert!(std::fs::symlink_metadata(&b).is_err(), "{b:?} is free");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
