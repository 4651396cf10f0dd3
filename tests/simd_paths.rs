//! The whole engine gives the same bits on the portable kernels (`SIMRUN_SIMD=portable`) as on
//! AVX2 (`avx2`) and the best ones this CPU runs (`auto`: AVX-512 where present; on a CPU without
//! a level the binary says so and runs the portable kernels): every field of final.h5 and every final
//! diagnostic, for heat 2-D (one step per sweep and temporally blocked, both above the
//! streaming-store threshold), heat 3-D, weather (a case with forcing, in compat mode too) and
//! Navier-Stokes (the lid-driven cavity, in time and in pseudo-time, and the periodic Taylor-Green
//! vortex).
//! Each case runs the simrun binary twice with the variable set explicitly, so it checks the same
//! thing whatever the environment of the test run.

mod common;
use common::*;
use std::process::Command;

/// Run `configs/<config>` with overrides under `SIMRUN_SIMD=<simd>`: the final fields (name,
/// values) and the report's diagnostics.
fn run(config: &str, sets: &[&str], simd: &str, dir: &std::path::Path) -> (Vec<(String, Vec<f64>)>, serde_json::Value) {
    let out = dir.join(simd);
    let report = dir.join(format!("{simd}.json"));
    let mut cmd = Command::new(bin());
    cmd.arg(root().join("configs").join(config)).env("SIMRUN_SIMD", simd);
    for s in sets.iter().map(|s| s.to_string()).chain([
        format!("output.dir=\"{}\"", out.display()),
        "output.images=false".into(),
        "output.progress=\"off\"".into(),
        "parallel.threads=2".into(),
    ]) {
        cmd.args(["--set", &s]);
    }
    let o = cmd.arg("--report").arg(&report).output().expect("simrun runs");
    assert!(o.status.success(), "{config} {sets:?} ({simd}): {}", stderr(&o));
    let h5 = hdf5::File::open(out.join("final.h5")).unwrap();
    let fields = h5.group("fields").unwrap();
    let mut names = simrun::io::describe::field_datasets(&fields).unwrap();
    names.sort();
    let values = names.into_iter().map(|n| (n.clone(), final_field(&out, &n))).collect();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert!(report["steps"].as_u64().unwrap() >= 4, "{config}: {report}");
    (values, report["diagnostics"].clone())
}

fn check(name: &str, config: &str, sets: &[&str]) {
    let dir = scratch(&format!("simd_paths_{name}"));
    let (fa, da) = run(config, sets, "portable", &dir);
    let bits = |d: &serde_json::Value| -> Vec<(String, u64)> {
        d.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap().to_bits())).collect()
    };
    assert!(!bits(&da).is_empty());
    for simd in ["avx2", "auto"] {
        let (fb, db) = run(config, sets, simd, &dir);
        assert_eq!(fa.iter().map(|f| &f.0).collect::<Vec<_>>(), fb.iter().map(|f| &f.0).collect::<Vec<_>>());
        for ((n, a), (_, b)) in fa.iter().zip(&fb) {
            assert_bits_eq(a, b, &format!("{name}: field {n}, portable vs {simd}"));
        }
        assert_eq!(bits(&da), bits(&db), "{name}: diagnostics, portable vs {simd}");
    }
}

#[test]
fn heat_2d_streaming_one_step_per_sweep() {
    check(
        "heat2d_k1",
        "heat2d.toml",
        &["grid.nx=2048", "grid.ny=2048", "time.end_time=3.2e-7", "parallel.time_block=1"],
    );
}

#[test]
fn heat_2d_streaming_blocked() {
    check(
        "heat2d_k4",
        "heat2d.toml",
        &["grid.nx=2048", "grid.ny=2048", "time.end_time=4.3e-7", "parallel.time_block=4"],
    );
}

#[test]
fn heat_3d_blocked() {
    check(
        "heat3d",
        "heat3d.toml",
        &["grid.nx=40", "grid.ny=36", "grid.nz=30", "time.end_time=0.0015", "parallel.time_block=3"],
    );
}

#[test]
fn weather_gravity_waves_both_modes() {
    for compat in ["none", "miniweather"] {
        let mode = format!("weather.compat=\"{compat}\"");
        check(&format!("weather_{compat}"), "weather-gravity-waves.toml", &["time.end_time=60.0", &mode]);
    }
}

#[test]
fn navier_stokes_cavity_and_periodic() {
    // Walls with a lid (Crank-Nicolson viscosity: the multigrid also solves the viscous step),
    // and the periodic Taylor-Green vortex (the smoother's edge columns wrap).
    check("cavity", "cavity-re100.toml", &["grid.nx=96", "grid.ny=80", "time.end_time=0.3"]);
    check("taylor_green", "taylor-green.toml", &["grid.nx=96", "grid.ny=96", "time.end_time=0.1"]);
}

#[test]
fn navier_stokes_pseudo_time() {
    // The pseudo-time correction's red-black rows (vector blocks of u and v rows, wall terms in
    // every corner), 40 iterations from rest.
    check("cavity_pseudo", "cavity-re1000-steady.toml", &["grid.nx=90", "grid.ny=70", "time.steps=40"]);
}
