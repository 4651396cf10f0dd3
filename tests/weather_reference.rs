//! The weather model in compat mode against the published upstream numbers (miniWeather C,
//! thermal case, 100 x 50, 400 s, no FMA) stated in docs/weather-model.md.
#![allow(clippy::excessive_precision)] // the reference values as published

use simrun::config;
use simrun::io::hdf5_out::read_field;
use simrun::par::{ExactSum, SingleComm};
use simrun::sim::{self, RunOptions, RunSummary};
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Run the thermal config in compat mode with `[time]` replaced by `time`.
fn run_thermal(dir: &Path, time: &str) -> RunSummary {
    let set: Vec<String> = vec![
        "weather.compat=\"miniweather\"".into(),
        format!("output.dir=\"{}\"", dir.display()),
        "output.progress=\"off\"".into(),
        "output.images=false".into(),
    ];
    let text = std::fs::read_to_string(repo("configs/weather-thermal.toml")).unwrap();
    let text = text.replace("end_time = 1000.0", time);
    let cfg = config::load_str(&text, "weather-thermal.toml", &set).expect("config loads");
    sim::run(&cfg, &SingleComm, &RunOptions::default()).expect("run succeeds")
}

fn exact_sum(v: &[f64]) -> f64 {
    let mut s = ExactSum::new();
    v.iter().for_each(|&x| s.add(x));
    s.value()
}

fn diag(s: &RunSummary, name: &str) -> f64 {
    s.diagnostics.iter().find(|(k, _)| k == name).map(|(_, v)| *v).expect("diagnostic present")
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn compat_thermal_400s_matches_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let s = run_thermal(dir.path(), "end_time = 400.0");
    assert_eq!(s.steps, 600);
    let (d_mass, d_te) = (diag(&s, "d_mass"), diag(&s, "d_te"));
    assert!(d_mass.abs() < 1e-13, "d_mass = {d_mass:e}");
    assert!(d_te < 0.0 && d_te > -4.5e-5, "d_te = {d_te:e}");
    assert!(rel(d_te, -4.141519e-5) < 0.5e-4, "d_te = {d_te:e} vs -4.141519e-5");
    let h5 = dir.path().join("final.h5");
    let (shape, rho_w) = read_field(&h5, "rho_w").unwrap();
    assert_eq!(shape, vec![50, 100]);
    let (_, rho_t) = read_field(&h5, "rho_theta_pert").unwrap();
    let (sw, st) = (exact_sum(&rho_w), exact_sum(&rho_t));
    eprintln!(
        "sum rho_w = {sw:.15} (rel {:.2e}), sum rho_theta' = {st:.15} (rel {:.2e}), d_te = {d_te:.7e}",
        rel(sw, 158.348657595000873),
        rel(st, 275.505706408704270)
    );
    assert!(rel(sw, 158.348657595000873) < 1e-10, "sum rho*w = {sw:.15}");
    assert!(rel(st, 275.505706408704270) < 1e-10, "sum (rho theta)' = {st:.15}");
}

#[test]
fn compat_thermal_initial_state_matches_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let s = run_thermal(dir.path(), "steps = 0");
    assert_eq!(s.steps, 0);
    let (_, rho_t) = read_field(&dir.path().join("final.h5"), "rho_theta_pert").unwrap();
    let st = exact_sum(&rho_t);
    eprintln!("initial sum rho_theta' = {st:.15} (rel {:.2e})", rel(st, 275.422865343688386));
    assert!(rel(st, 275.422865343688386) < 1e-10, "initial sum (rho theta)' = {st:.15}");
}
