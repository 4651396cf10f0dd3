//! Semi-implicit viscous term (`navier_stokes.viscous`) and the steady-state stop
//! (`time.steady_tolerance`).
//!
//! Temporal order: Taylor-Green at Re = 1 (viscosity dominates, so the time error is
//! measurable) on a fixed 32^2 grid with a fixed dt halved three times; the observed order is
//! log2 of the ratio of successive differences |u(dt) - u(dt/2)| (the spatial error cancels).
//! Crank-Nicolson must show 2, backward Euler 1. All those steps are ~10x the explicit viscous
//! limit, which the explicit scheme refuses.

mod common;
use simrun::io::hdf5_out::read_field;

fn tg_final(viscous: &str, dt: f64, dir_tag: &str) -> Vec<f64> {
    let sets = [
        "grid.nx=32".to_string(),
        "grid.ny=32".to_string(),
        "navier_stokes.re=1.0".to_string(),
        format!("navier_stokes.viscous=\"{viscous}\""),
        "navier_stokes.viscous_tolerance=1e-13".to_string(),
        "navier_stokes.multigrid.tolerance=1e-12".to_string(),
        "time.end_time=0.64".to_string(),
        format!("time.dt={dt}"),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let text = std::fs::read_to_string(common::root().join("configs/taylor-green.toml")).unwrap();
    let text = text.replace("cfl = 0.5\n", "");
    let dir = common::scratch(&format!("nsi_tg_{dir_tag}"));
    let mut all = sets.clone();
    let out = format!("output.dir=\"{}\"", dir.display());
    all.extend(["output.progress=\"off\"", "output.images=false", out.as_str()]);
    let cfg = common::cfg(&text, &all);
    common::run(&cfg);
    let mut f = common::final_field(&dir, "u_face");
    f.extend(common::final_field(&dir, "v_face"));
    f
}

fn observed_orders(viscous: &str) -> Vec<f64> {
    let dts = [0.08, 0.04, 0.02, 0.01];
    let runs: Vec<Vec<f64>> = dts.iter().map(|&dt| tg_final(viscous, dt, &format!("{viscous}_{dt}"))).collect();
    let diffs: Vec<f64> =
        runs.windows(2).map(|w| w[0].iter().zip(&w[1]).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))).collect();
    let orders: Vec<f64> = diffs.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    println!("{viscous}: max |u(dt) - u(dt/2)| = {diffs:?}, observed orders {orders:.3?}");
    orders
}

#[test]
fn crank_nicolson_is_second_order_in_time() {
    for p in observed_orders("crank_nicolson") {
        assert!((1.85..2.2).contains(&p), "Crank-Nicolson observed order {p}");
    }
}

#[test]
fn backward_euler_is_first_order_in_time() {
    for p in observed_orders("backward_euler") {
        assert!((0.85..1.2).contains(&p), "backward Euler observed order {p}");
    }
}

/// dt = 0.08 at Re = 1 on 32^2 is ~11x the explicit limit: the explicit scheme refuses it, and
/// Crank-Nicolson stays stable and accurate (velocity error against the exact decay).
#[test]
fn crank_nicolson_is_stable_beyond_the_explicit_viscous_limit() {
    let text = std::fs::read_to_string(common::root().join("configs/taylor-green.toml")).unwrap();
    let text = text.replace("cfl = 0.5\n", "");
    let base = ["grid.nx=32", "grid.ny=32", "navier_stokes.re=1.0", "time.end_time=2.0", "time.dt=0.08"];
    let dir = common::scratch("nsi_tg_explicit_refused");
    let path = common::write(&dir, "c.toml", &text);
    let mut args = vec![path.to_str().unwrap(), "check"];
    args.rotate_left(1);
    for s in base {
        args.extend(["--set", s]);
    }
    let o = common::simrun(&args);
    assert_eq!(o.status.code(), Some(2), "explicit dt=0.08 accepted: {}", common::stderr(&o));
    assert!(common::stderr(&o).contains("time.dt"));

    let dir = common::scratch("nsi_tg_cn_large_dt");
    let out = format!("output.dir=\"{}\"", dir.display());
    let mut sets = base.to_vec();
    sets.extend(["navier_stokes.viscous=\"crank_nicolson\"", "output.progress=\"off\"", "output.images=false", &out]);
    let s = common::run(&common::cfg(&text, &sets));
    let e = common::diag(&s, "velocity_error_max");
    let ke = common::diag(&s, "kinetic_energy");
    let ke0 = std::f64::consts::PI.powi(2) * (-4.0f64 * 2.0).exp();
    println!("CN dt=0.08 (explicit limit ~0.007): velocity error max {e:.3e}, energy {ke:.4e} vs exact {ke0:.4e}");
    // u decays to exp(-4) = 0.018 of its start; the error must be far below that.
    assert!(e < 2e-3, "velocity error {e}");
    assert!((ke - ke0).abs() < 0.05 * ke0);
}

fn cavity(viscous: &str, tol: &str, tag: &str) -> (serde_json::Value, Vec<f64>, Vec<f64>) {
    let dir = common::scratch(&format!("nsi_cavity_{tag}"));
    let report = dir.join("report.json");
    let cfgpath = common::root().join("configs/cavity-re100.toml");
    let out = format!("output.dir=\"{}\"", dir.join("out").display());
    let vis = format!("navier_stokes.viscous=\"{viscous}\"");
    let st = format!("time.steady_tolerance={tol}");
    let args = [
        cfgpath.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--set",
        "grid.nx=32",
        "--set",
        "grid.ny=32",
        "--set",
        "time.end_time=200.0",
        "--set",
        &vis,
        "--set",
        &st,
        "--set",
        &out,
        "--set",
        "output.progress=\"off\"",
        "--set",
        "output.images=false",
        "--set",
        "navier_stokes.multigrid.tolerance=1e-10",
    ];
    let o = common::simrun(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let h5 = dir.join("out").join("final.h5");
    (r, read_field(&h5, "u_face").unwrap().1, read_field(&h5, "v_face").unwrap().1)
}

/// The cavity stops at steady state long before end_time, reports it, and the steady state of
/// Crank-Nicolson matches the explicit scheme's (the incremental pressure makes it the same
/// discrete steady problem).
#[test]
fn cavity_stops_at_steady_state_and_matches_the_explicit_steady_state() {
    let (r, u, v) = cavity("crank_nicolson", "1e-6", "cn");
    let ss = &r["steady_state"];
    println!("steady_state: {ss}, steps {}", r["steps"]);
    assert_eq!(ss["reached"], serde_json::Value::Bool(true), "{r}");
    let t = ss["time"].as_f64().unwrap();
    assert!(t < 100.0, "steady at t = {t}");
    assert!(ss["change"].as_f64().unwrap() < 1e-6);
    assert_eq!(ss["step"].as_u64(), r["steps"].as_u64());
    assert!((r["sim_time"].as_f64().unwrap() - t).abs() < 1e-12);
    let (re, ue, ve) = cavity("explicit", "1e-6", "explicit");
    assert_eq!(re["steady_state"]["reached"], serde_json::Value::Bool(true));
    // At 32^2 the viscous limit is ~2x the advective one (measured 3271 explicit steps, 1766 CN).
    let (ne, nc) = (re["steps"].as_u64().unwrap(), r["steps"].as_u64().unwrap());
    assert!(2 * ne > 3 * nc, "CN takes {nc} steps, explicit {ne}");
    let d = u.iter().zip(&ue).chain(v.iter().zip(&ve)).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    println!("max |CN - explicit| steady velocity: {d:.3e}");
    assert!(d < 1e-5, "steady states differ by {d}");
    // A tolerance the run cannot reach by end_time: reached = false, the run ends at end_time.
    let dir = common::scratch("nsi_cavity_unreached");
    let report = dir.join("report.json");
    let cfgpath = common::root().join("configs/cavity-re100.toml");
    let out = format!("output.dir=\"{}\"", dir.join("out").display());
    let o = common::simrun(&[
        cfgpath.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--set",
        "grid.nx=16",
        "--set",
        "grid.ny=16",
        "--set",
        "time.end_time=0.5",
        "--set",
        "time.steady_tolerance=1e-9",
        "--set",
        &out,
        "--set",
        "output.progress=\"off\"",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["steady_state"]["reached"], serde_json::Value::Bool(false), "{r}");
    assert!((r["sim_time"].as_f64().unwrap() - 0.5).abs() < 1e-9);
}
