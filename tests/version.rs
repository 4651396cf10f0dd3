//! `simrun --version` names the git commit the binary was built from (the commit checked out
//! here, when this is a git checkout), the build profile, the features and the linked MPI and
//! HDF5 libraries; `-V` says the same on one line.

mod common;
use common::*;
use std::process::Command;

#[test]
fn version_prints_the_git_commit_and_libraries() {
    let o = simrun(&["--version"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let line = |key: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no `{key}` line in {text}"))
            .split_once(':')
            .unwrap()
            .1
            .trim()
            .to_string()
    };
    let commit = line("git commit").split_whitespace().next().unwrap().to_string();
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(h) => assert_eq!(commit, h, "the commit checked out here"),
        None => assert_eq!(commit, "unknown", "outside a git checkout"),
    }
    assert!(["release", "debug"].contains(&line("build profile").split_whitespace().next().unwrap()), "{text}");
    assert_eq!(line("features").contains("mpi"), cfg!(feature = "mpi"), "{text}");
    if cfg!(feature = "mpi") {
        assert!(line("MPI library").contains("MPI"), "{text}");
    }
    assert!(line("HDF5 library").starts_with("1."), "{text}");
    let short = simrun(&["-V"]);
    let short = String::from_utf8_lossy(&short.stdout);
    assert_eq!(short.lines().count(), 1, "{short}");
    assert!(short.contains(&commit[..12.min(commit.len())]), "{short}");
}
