//! The weather model through the library: restart continues bit for bit, the config rejects bad
//! input with one-line errors naming the key, and every weather key is documented.

use simrun::config::{self, explain, Config};
use simrun::decomp::Decomp;
use simrun::models::{self, Clock, Model, StepCtx};
use simrun::par::{Exec, SingleComm};
use simrun::report::Phases;

const BASE: &str = r#"
model = "weather"
[grid]
nx = 40
ny = 20
lx = 20000.0
ly = 10000.0
[time]
steps = 10
[weather]
"#;

/// The base config plus `extra` lines in `[weather]` (case gravity_waves unless given).
fn cfg(extra: &str) -> simrun::Result<Config> {
    let case = if extra.contains("case") { "" } else { "case = \"gravity_waves\"\n" };
    config::load_str(&format!("{BASE}{case}{extra}"), "test.toml", &[])
}

/// Build the model on one process and take `steps` steps from clock `start`.
fn advance(m: &mut dyn Model, cfg: &Config, start: u64, steps: u64) -> u64 {
    let (grid, periodic) = models::geometry(cfg);
    let decomp = Decomp::single(grid.n, grid.dims, periodic);
    let exec = Exec::new(1).unwrap();
    let mut phases = Phases::default();
    let mut ctx = StepCtx { comm: &SingleComm, exec: &exec, decomp: &decomp, phases: &mut phases };
    let dt = m.dt(&mut ctx);
    for s in start..start + steps {
        m.step(Clock { step: s, time: s as f64 * dt, dt }, &mut ctx).unwrap();
    }
    start + steps
}

fn build(cfg: &Config) -> Box<dyn Model> {
    let (grid, periodic) = models::geometry(cfg);
    let decomp = Decomp::single(grid.n, grid.dims, periodic);
    models::build(cfg, &grid, &decomp, &Exec::new(1).unwrap(), &SingleComm).unwrap()
}

fn state(m: &dyn Model) -> Vec<Vec<f64>> {
    m.state_names()
        .iter()
        .map(|n| {
            let mut v = vec![0.0; 40 * 20];
            m.copy_field(n, &mut v);
            v
        })
        .collect()
}

#[test]
fn restart_from_state_fields_continues_bit_for_bit() {
    for compat in ["none", "miniweather"] {
        let c = cfg(&format!("compat = \"{compat}\"\n")).unwrap();
        let mut whole = build(&c);
        advance(&mut *whole, &c, 0, 7);
        let mut first = build(&c);
        let at = advance(&mut *first, &c, 0, 3);
        let saved = state(&*first);
        let mut second = build(&c);
        for (name, data) in second.state_names().iter().zip(&saved) {
            second.restore_field(name, data).unwrap();
        }
        advance(&mut *second, &c, at, 4);
        assert_eq!(state(&*whole), state(&*second), "{compat}: restart differs");
    }
}

#[test]
fn viewing_fields_are_perturbations() {
    let c = cfg("").unwrap();
    let mut m = build(&c);
    let mut u = vec![0.0; 800];
    m.copy_field("uwnd", &mut u);
    assert!(u.iter().all(|&v| (v - 15.0).abs() < 1e-9), "gravity_waves starts with u = 15");
    let mut th = vec![0.0; 800];
    m.copy_field("theta", &mut th);
    assert!(th.iter().all(|v| v.abs() < 1e-9), "no initial theta perturbation");
    assert!(m.restore_field("theta", &th).is_err(), "theta is not a state field");
}

#[test]
fn bad_input_gives_one_line_errors_naming_the_key() {
    for (extra, key) in [
        ("case = \"tornado\"\n", "weather.case"),
        ("compat = \"fortran\"\n", "weather.compat"),
        ("cfl = -1.0\n", "weather.cfl"),
        ("hv_beta = 2.0\n", "weather.hv_beta"),
        ("wind = 3\n", "weather.wind"),
    ] {
        let e = cfg(extra).unwrap_err();
        assert!(e.message.contains(key), "{extra}: {}", e.message);
        assert!(!e.to_string().contains('\n'));
        assert_eq!(e.exit_code(), 2);
    }
    let e = config::load_str(&BASE.replace("ny = 20", "ny = 20\nnz = 4"), "t", &[]).unwrap_err();
    assert!(e.message.contains("grid.nz"), "{}", e.message);
    let e = config::load_str(&BASE.replace("ny = 20", "ny = 1"), "t", &[]).unwrap_err();
    assert!(e.message.contains("grid.ny"), "{}", e.message);
    // A split that leaves a rank fewer cells than the halo width is refused, not a panic.
    let c = cfg("").unwrap();
    let (grid, periodic) = models::geometry(&c);
    let d = Decomp::new(grid.n, grid.dims, 40, 0, periodic, Some(&[40, 1])).unwrap();
    let e = models::build(&c, &grid, &d, &Exec::new(1).unwrap(), &SingleComm).err().expect("refused");
    assert!(e.message.contains("parallel.layout"), "{}", e.message);
}

#[test]
fn every_weather_key_is_documented() {
    for key in ["model", "weather.case", "weather.compat", "weather.cfl", "weather.hv_beta"] {
        assert!(explain::documented(key), "{key}");
    }
    let c = cfg("").unwrap();
    let table: toml::Table = c.to_toml().parse().unwrap();
    let weather = table["weather"].as_table().unwrap();
    for k in weather.keys() {
        assert!(explain::documented(&format!("weather.{k}")), "weather.{k} undocumented");
    }
}

/// Largest |a - b| over the state fields, relative to the largest |b|, field by field.
fn relative_change(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
            x.iter().zip(y).fold(0.0f64, |m, (p, q)| m.max((p - q).abs())) / scale
        })
        .fold(0.0, f64::max)
}

/// A step shortened to a millionth of dt (to land on an output or the end time) changes the state
/// by about a millionth of what a full step changes (default mode: the hyperviscous filter of
/// the run's full step, in proportion to the step's length); compat mode keeps upstream's
/// whole filter on every step, however short. (The default applied the whole filter too: a run's
/// field outputs changed its solution by up to 0.39 K at 1000 s.)
#[test]
fn a_shortened_step_filters_in_proportion_to_its_length() {
    for (compat, lo, hi) in [("none", 0.0, 1e-4), ("miniweather", 1e-3, f64::INFINITY)] {
        let c = cfg(&format!("case = \"collision\"\ncompat = \"{compat}\"")).unwrap();
        let mut m = build(&c);
        advance(&mut *m, &c, 0, 3);
        let before = state(&*m);
        let (grid, periodic) = models::geometry(&c);
        let decomp = Decomp::single(grid.n, grid.dims, periodic);
        let exec = Exec::new(1).unwrap();
        let mut phases = Phases::default();
        let mut ctx = StepCtx { comm: &SingleComm, exec: &exec, decomp: &decomp, phases: &mut phases };
        let dt = m.dt(&mut ctx);
        let mut full = build(&c);
        advance(&mut *full, &c, 0, 4);
        let full_change = relative_change(&state(&*full), &before);
        m.step(Clock { step: 3, time: 3.0 * dt, dt: dt * 1e-6 }, &mut ctx).unwrap();
        let ratio = relative_change(&state(&*m), &before) / full_change;
        assert!(
            ratio > lo && ratio < hi,
            "compat {compat}: a step of 1e-6 dt changes {ratio:e} of a full step's change"
        );
    }
}

/// A domain that leaves out or cuts a case's bubble says so when the run starts and in `simrun
/// check` (the collision case on a 5 km high domain ran without its cold bubble, silently); the
/// shipped configs' domains hold their cases whole.
#[test]
fn a_domain_that_cuts_the_case_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let low =
        BASE.replace("ny = 20", "ny = 10").replace("ly = 10000.0", "ly = 5000.0").replace("steps = 10", "steps = 1")
            + "case = \"collision\"\n[output]\nimages = false\nprogress = \"off\"\n";
    let path = dir.path().join("low.toml");
    std::fs::write(&path, low + &format!("dir = \"{}\"\n", dir.path().join("out").display())).unwrap();
    let bin = env!("CARGO_BIN_EXE_simrun");
    let o = std::process::Command::new(bin).arg(&path).env("HDF5_USE_FILE_LOCKING", "FALSE").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("warning: the cold bubble") && err.contains("leaves it out"), "{err}");
    assert!(!err.contains("warm bubble"), "the warm bubble fits: {err}");
    for case in ["thermal", "collision", "density-current", "gravity-waves", "injection"] {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("configs/weather-{case}.toml"));
        let o = std::process::Command::new(bin).arg("check").arg(&shipped).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && !out.contains("bubble"), "{case}: {out}");
    }
}
