//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod cavity;
pub mod describe_runs;

use simrun::config::{self, Config};
use simrun::par::SingleComm;
use simrun::sim::{self, RunOptions, RunSummary};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_simrun")
}

/// A fresh scratch directory under the target dir (kept for inspection after failures).
pub fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Load a config from TOML text plus overrides.
pub fn cfg(text: &str, overrides: &[&str]) -> Config {
    let ov: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    config::load_str(text, "test", &ov).unwrap_or_else(|e| panic!("config: {e}"))
}

/// Run in this process (one rank).
pub fn run(cfg: &Config) -> RunSummary {
    sim::run(cfg, &SingleComm, &RunOptions::default()).unwrap_or_else(|e| panic!("run: {e}"))
}

pub fn diag(s: &RunSummary, name: &str) -> f64 {
    s.diagnostics.iter().find(|(k, _)| k == name).map(|(_, v)| *v).unwrap_or_else(|| panic!("no diagnostic {name}"))
}

/// Read `/fields/<name>` of `<dir>/final.h5`.
pub fn final_field(dir: &Path, name: &str) -> Vec<f64> {
    simrun::io::hdf5_out::read_field(&dir.join("final.h5"), name).unwrap_or_else(|e| panic!("{e}")).1
}

/// Bitwise equality of two f64 arrays, with the first difference in the message.
pub fn assert_bits_eq(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    if let Some(i) = a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits()) {
        panic!("{what}: first difference at {i}: {} vs {}", a[i], b[i]);
    }
}

/// Run the simrun binary with arguments.
pub fn simrun(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("simrun runs")
}

/// Run the simrun binary under `mpirun -n ranks` (oversubscribed, unbound, allowed as root).
pub fn mpirun(ranks: usize, args: &[&str]) -> Output {
    Command::new("mpirun")
        .args(["-n", &ranks.to_string(), "--oversubscribe", "--bind-to", "none"])
        .arg(bin())
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        // Oversubscribed ranks must not spin while they wait for each other.
        .env("OMPI_MCA_mpi_yield_when_idle", "1")
        .output()
        .expect("mpirun runs (install openmpi-bin: ./scripts/test.sh does)")
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

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
    let cfg = config::load_str(&text, name, &sets).unwrap_or_else(|e| panic!("{name}: {e}"));
    let summary = sim::run(&cfg, &SingleComm, &RunOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (summary, dir)
}

/// A 2-D heat run with every kind of face (periodic x, Dirichlet and Neumann y), a box and noise:
/// the bitwise tests' standard case.
pub const NOISY: &str = r#"
model = "heat"
[grid]
nx = 67
ny = 45
[time]
steps = 150
[output]
dir = "unused"
images = false
progress = "off"
diagnostics_every = 50
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "dirichlet", value = 1.0 }
y_hi = { kind = "neumann", value = 0.5 }
[heat.initial]
background = 0.25
[[heat.initial.shapes]]
kind = "box"
lo = [0.1, 0.2]
hi = [0.5, 0.6]
value = 3.0
[heat.initial.noise]
amplitude = 0.5
seed = 7
"#;

/// A run that passes every config check and still goes non-finite (an unstable time step, e.g.
/// weather collision at time.dt = 0.8, is refused by the config check before it can run): heat
/// flows in through a wall at dT/dn = 1.7e308, slowly (cfl 0.002), until the wall's ghost value
/// overflows f64 at step 116. The cells and the total heat are finite before that, so a restart
/// from the last committed checkpoint (step 112) runs on.
#[allow(dead_code)]
pub const BLOW_UP: &str = r#"
model = "heat"
[grid]
nx = 8
ny = 8
lx = 8.0
ly = 8.0
[time]
steps = 400
cfl = 0.002
[output]
dir = "OUT"
images = false
progress = "off"
diagnostics_every = 1000
[checkpoint]
every_steps = 7
keep = 3
[heat.boundary]
x_lo = { kind = "neumann", value = 1.7e308 }
"#;

/// Flip bit 0 of byte `at` of `file` (fault injection).
pub fn flip_byte(file: &Path, at: u64) {
    let mut b = std::fs::read(file).unwrap();
    b[at as usize] ^= 1;
    std::fs::write(file, b).unwrap();
}
