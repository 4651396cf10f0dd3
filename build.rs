//! Build facts compiled into the binary (read by `src/build_info.rs`): the git commit and whether
//! the tracked files differed from it, the rustc version, the profile, optimisation level, target
//! and its compile-time target features. Outside a git checkout (or without git) the commit is
//! "unknown".

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let commit = git(&["rev-parse", "HEAD"]).filter(|c| c.len() >= 7).unwrap_or_else(|| "unknown".to_string());
    let dirty = if commit == "unknown" {
        "unknown".to_string()
    } else {
        // Tracked files only: build outputs and scratch files do not make a build "dirty".
        // --no-optional-locks: do not refresh the index (that would rerun this script).
        git(&["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"])
            .map(|s| if s.is_empty() { "false" } else { "true" }.to_string())
            .unwrap_or_else(|| "unknown".to_string())
    };
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=SIMRUN_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=SIMRUN_GIT_DIRTY={dirty}");
    println!("cargo:rustc-env=SIMRUN_RUSTC={rustc}");
    println!("cargo:rustc-env=SIMRUN_PROFILE={}", env("PROFILE"));
    println!("cargo:rustc-env=SIMRUN_OPT_LEVEL={}", env("OPT_LEVEL"));
    println!("cargo:rustc-env=SIMRUN_TARGET={}", env("TARGET"));
    println!("cargo:rustc-env=SIMRUN_TARGET_FEATURES={}", env("CARGO_CFG_TARGET_FEATURE"));

    // Rerun when the commit or the tracked files change (HEAD, the branch it names, the index
    // and packed refs; in a worktree these live under different git directories).
    // A path that does not exist would rerun the script on every build: only existing ones.
    let mut watch: Vec<String> = ["src", "Cargo.toml", "build.rs"].map(String::from).to_vec();
    for p in ["HEAD", "index", "packed-refs"] {
        watch.extend(git(&["rev-parse", "--git-path", p]));
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    for p in watch.iter().filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-env-changed=RUSTC");
}
