//! Helpers shared by the integration tests: run a config in-process into a temporary directory.
#![allow(dead_code)]

use simrun::config::load_str;
use simrun::par::SingleComm;
use simrun::sim::{run, RunOptions, RunSummary};
use std::path::PathBuf;

/// The repository root (configs/, scripts/ live there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run config file `configs/<name>` with `--set` overrides on one process; output goes to a
/// fresh temporary directory (returned, kept alive by the TempDir).
pub fn run_config(name: &str, overrides: &[&str]) -> (RunSummary, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(root().join("configs").join(name)).expect("config file");
    let mut sets: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    sets.push(format!("output.dir=\"{}\"", dir.path().display()));
    sets.push("output.progress=\"off\"".into());
    sets.push("output.images=false".into());
    let cfg = load_str(&text, name, &sets).unwrap_or_else(|e| panic!("{name}: {e}"));
    let summary = run(&cfg, &SingleComm, &RunOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (summary, dir)
}

/// A diagnostic's final value.
pub fn diag(s: &RunSummary, name: &str) -> f64 {
    s.diagnostics.iter().find(|(k, _)| k == name).unwrap_or_else(|| panic!("no diagnostic {name}")).1
}
