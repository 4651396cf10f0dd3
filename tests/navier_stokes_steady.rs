//! Pseudo-time iteration to the steady state (`[navier_stokes.pseudo_time]`,
//! configs/cavity-re{100,1000}-steady.toml): its fixed point is the time-accurate scheme's
//! steady state (R(u, p) = 0 and div u = 0 with the same central fluxes, wall ghosts and
//! projection), whatever the preconditioner (`cfl`, `sweeps`), and it gets there in far fewer
//! iterations than time steps.
//!
//! Steady-state comparisons run with max |R| < 1e-9 (`time.steady_tolerance`) and a pressure
//! solve to 1e-11. The pseudo-time velocities converge well ahead of the residual, so the
//! difference is the time-accurate run's own distance from the fixed point, which decays slowly.
//! Measured on 32^2: max |pseudo - time-accurate| over the face velocities 1.8e-9 at Re 100
//! (Crank-Nicolson; 1.8e-10 against a time-accurate run to 1e-10) and 1.6e-8 at Re 1000
//! (explicit); cfl 12 / 2 sweeps against the config's 48 / 8 at Re 1000: 1.2e-8 to 1e-9,
//! 1.3e-10 to 1e-11. Iterations to 1e-9 at Re 1000, 32^2: 588 (48 / 8), 1778 (12 / 2), against
//! 18955 explicit time steps.
//!
//! Accuracy: the steady configs at their own tolerance (1e-6) against Ghia, Ghia & Shin (Re 100,
//! 64^2) and Botella & Peyret (Re 1000, 32^2 and 64^2), the same checks as the time-accurate
//! runs of tests/navier_stokes_cavity.rs.

mod common;
use simrun::io::hdf5_out::read_field;
use simrun::models::navier_stokes::benchmarks::{GHIA_U, GHIA_V};
use simrun::models::navier_stokes::profiles;
use std::sync::OnceLock;
use std::time::Instant;

/// Steady stop and pressure solve tight enough that the two schemes' states can be compared.
const TIGHT: [&str; 2] = ["time.steady_tolerance=1e-9", "navier_stokes.multigrid.tolerance=1e-11"];

/// One cavity run through the binary.
struct Run {
    report: serde_json::Value,
    u: Vec<f64>,
    v: Vec<f64>,
    p: Vec<f64>,
}

impl Run {
    fn steps(&self) -> u64 {
        self.report["steps"].as_u64().unwrap()
    }
}

/// Run `configs/<config>` on n x n with `--set` overrides and `--report`: the report and the
/// final face velocities and pressure.
fn run(config: &str, n: usize, sets: &[&str], tag: &str) -> Run {
    let dir = common::scratch(&format!("nss_{tag}"));
    let report = dir.join("report.json");
    let cfgpath = common::root().join("configs").join(config);
    let mut all = vec![format!("grid.nx={n}"), format!("grid.ny={n}")];
    all.extend(sets.iter().map(|s| s.to_string()));
    all.push(format!("output.dir=\"{}\"", dir.join("out").display()));
    all.push("output.progress=\"off\"".into());
    all.push("output.images=false".into());
    let mut args = vec![cfgpath.display().to_string(), "--report".into(), report.display().to_string()];
    for s in all {
        args.extend(["--set".to_string(), s]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t0 = Instant::now();
    let o = common::simrun(&args);
    assert!(o.status.success(), "{config} {sets:?}: {}", common::stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    println!(
        "{tag}: {} steps in {:.2} s, steady_state {}",
        report["steps"],
        t0.elapsed().as_secs_f64(),
        report["steady_state"]
    );
    let h5 = dir.join("out").join("final.h5");
    let field = |name: &str| read_field(&h5, name).unwrap_or_else(|e| panic!("{tag}: {e}")).1;
    Run { report, u: field("u_face"), v: field("v_face"), p: field("p") }
}

/// The run reached `time.steady_tolerance` and stopped there.
fn assert_steady(r: &Run, tol: f64, what: &str) {
    let ss = &r.report["steady_state"];
    assert_eq!(ss["reached"], serde_json::Value::Bool(true), "{what}: {}", r.report);
    assert_eq!(ss["tolerance"].as_f64(), Some(tol), "{what}");
    assert!(ss["change"].as_f64().unwrap() < tol, "{what}: {ss}");
    assert_eq!(ss["step"].as_u64(), Some(r.steps()), "{what}: stopped at step {} but steady at {ss}", r.steps());
}

/// max |a - b| over the face velocities.
fn velocity_difference(a: &Run, b: &Run) -> f64 {
    assert_eq!((a.u.len(), a.v.len()), (b.u.len(), b.v.len()));
    let pairs = a.u.iter().zip(&b.u).chain(a.v.iter().zip(&b.v));
    pairs.fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

/// max |a - b| over the pressure after removing each one's mean (the pressure is defined up to
/// a constant).
fn pressure_difference(a: &Run, b: &Run) -> f64 {
    let mean = |p: &[f64]| p.iter().sum::<f64>() / p.len() as f64;
    let (ma, mb) = (mean(&a.p), mean(&b.p));
    a.p.iter().zip(&b.p).fold(0.0f64, |m, (x, y)| m.max(((x - ma) - (y - mb)).abs()))
}

/// The time-accurate Re 1000 32^2 run to 1e-9 (explicit viscosity, as configs/cavity-re1000.toml;
/// ~19000 steps, ~3 s), shared by the tests that compare with it.
fn re1000_time_accurate() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let sets = [TIGHT[0], TIGHT[1], "time.end_time=400.0"];
        let r = run("cavity-re1000.toml", 32, &sets, "re1000_time_accurate");
        assert_steady(&r, 1e-9, "time-accurate Re 1000");
        r
    })
}

/// The pseudo-time Re 1000 32^2 run to 1e-9 with the config's (default) cfl 48 and 8 sweeps.
fn re1000_pseudo() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let r = run("cavity-re1000-steady.toml", 32, &TIGHT, "re1000_pseudo");
        assert_steady(&r, 1e-9, "pseudo-time Re 1000");
        r
    })
}

/// Re 100 on 32^2: the pseudo-time fixed point is the steady state the time-accurate
/// Crank-Nicolson run (configs/cavity-re100.toml) settles to.
#[test]
fn re100_pseudo_time_reaches_the_time_accurate_steady_state() {
    let ps = run("cavity-re100-steady.toml", 32, &TIGHT, "re100_pseudo");
    assert_steady(&ps, 1e-9, "pseudo-time Re 100");
    let sets = [TIGHT[0], TIGHT[1], "time.end_time=200.0"];
    let ta = run("cavity-re100.toml", 32, &sets, "re100_time_accurate");
    assert_steady(&ta, 1e-9, "time-accurate Re 100");
    let (du, dp) = (velocity_difference(&ps, &ta), pressure_difference(&ps, &ta));
    let umax = ps.u.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    println!("Re 100 32^2: max |pseudo - time-accurate| velocity {du:.3e} (max |u| {umax:.3}), pressure (less its mean) {dp:.3e}; {} iterations vs {} steps", ps.steps(), ta.steps());
    // Measured 1.8e-9 (velocity) and 5.4e-10 (pressure): the time-accurate run's own distance
    // from the fixed point (~1.8 x its tolerance: 1.8e-10 against a time-accurate run to 1e-10).
    assert!(umax > 0.1, "no flow: max |u| {umax}");
    assert!(du < 1e-8, "steady velocities differ by {du}");
    assert!(dp < 1e-8, "steady pressures differ by {dp}");
}

/// Re 1000 on 32^2: the pseudo-time fixed point is the steady state of the explicit
/// time-accurate run (configs/cavity-re1000.toml).
#[test]
fn re1000_pseudo_time_reaches_the_time_accurate_steady_state() {
    let (ps, ta) = (re1000_pseudo(), re1000_time_accurate());
    let (du, dp) = (velocity_difference(ps, ta), pressure_difference(ps, ta));
    println!("Re 1000 32^2: max |pseudo - time-accurate| velocity {du:.3e}, pressure (less its mean) {dp:.3e}");
    // Measured 1.6e-8 (velocity) and 6.8e-9 (pressure); the time-accurate run decays slowly at
    // Re 1000, so it stops further from the fixed point than at Re 100.
    assert!(du < 1e-7, "steady velocities differ by {du}");
    assert!(dp < 1e-7, "steady pressures differ by {dp}");
}

/// The preconditioner (cfl, sweeps) changes the path, not the fixed point: cfl 12 with 2 sweeps
/// and the config's cfl 48 with 8 sweeps end at the same state, and closer together the tighter
/// the steady tolerance (a difference that is convergence error, not two fixed points). The report
/// records the steady stop, after far fewer iterations than the explicit scheme's time steps.
#[test]
fn fixed_point_does_not_depend_on_the_preconditioner_and_takes_far_fewer_iterations() {
    let other_pc = ["navier_stokes.pseudo_time.cfl=12.0", "navier_stokes.pseudo_time.sweeps=2"];
    let def = re1000_pseudo();
    let sets = [TIGHT[0], TIGHT[1], other_pc[0], other_pc[1]];
    let other = run("cavity-re1000-steady.toml", 32, &sets, "re1000_pseudo_cfl12_sweeps2");
    assert_steady(&other, 1e-9, "pseudo-time Re 1000, cfl 12, 2 sweeps");
    let (d, dp) = (velocity_difference(def, &other), pressure_difference(def, &other));
    // Tighter: max |R| < 1e-11, pressure solve to 1e-13.
    let tighter = ["time.steady_tolerance=1e-11", "navier_stokes.multigrid.tolerance=1e-13"];
    let def11 = run("cavity-re1000-steady.toml", 32, &tighter, "re1000_pseudo_1e-11");
    let sets = [tighter[0], tighter[1], other_pc[0], other_pc[1]];
    let other11 = run("cavity-re1000-steady.toml", 32, &sets, "re1000_pseudo_cfl12_sweeps2_1e-11");
    assert_steady(&def11, 1e-11, "pseudo-time Re 1000 to 1e-11");
    assert_steady(&other11, 1e-11, "pseudo-time Re 1000 to 1e-11, cfl 12, 2 sweeps");
    let d11 = velocity_difference(&def11, &other11);
    println!(
        "Re 1000 32^2, cfl 48 / 8 sweeps vs cfl 12 / 2 sweeps: to 1e-9 {} vs {} iterations, max |difference| velocity {d:.3e}, pressure {dp:.3e}; to 1e-11 {} vs {} iterations, velocity {d11:.3e}",
        def.steps(),
        other.steps(),
        def11.steps(),
        other11.steps()
    );
    // A different path: the runs do not share their iterates.
    assert_ne!(def.steps(), other.steps());
    // Measured 1.2e-8 and 5.0e-9 (pressure) to 1e-9; 1.3e-10 to 1e-11.
    assert!(d < 1e-7, "fixed points differ by {d}");
    assert!(dp < 1e-7, "fixed-point pressures differ by {dp}");
    assert!(d11 < 1e-9 && d11 < d / 20.0, "to 1e-11 the fixed points differ by {d11} (to 1e-9: {d})");
    let ta = re1000_time_accurate();
    println!(
        "time-accurate: {} steps; pseudo-time: {} iterations ({:.1}x fewer)",
        ta.steps(),
        def.steps(),
        ta.steps() as f64 / def.steps() as f64
    );
    // Measured 18955 steps against 588 iterations (32x) and 1778 with cfl 12 / 2 sweeps (11x).
    assert!(
        10 * def.steps() < ta.steps(),
        "pseudo-time {} iterations, time-accurate {} steps",
        def.steps(),
        ta.steps()
    );
    assert!(
        3 * other.steps() < ta.steps(),
        "cfl 12 / 2 sweeps {} iterations, time-accurate {} steps",
        other.steps(),
        ta.steps()
    );
}

/// configs/cavity-re100-steady.toml on 64^2 to its own tolerance: within 0.01 of Ghia, Ghia &
/// Shin, as the time-accurate run (tests/navier_stokes_cavity.rs).
#[test]
fn re100_steady_config_matches_ghia_within_0_01() {
    let (mu, mv, s) = common::cavity::centrelines("cavity-re100-steady.toml", &["grid.nx=64", "grid.ny=64"]);
    let ss = s.report.steady_state.as_ref().expect("steady_state in the report");
    assert!(ss.reached, "not steady after {} iterations: {ss:?}", s.steps);
    let (_, du, _) = profiles::compare(&mu, &GHIA_U.ghia(100).unwrap());
    let (_, dv, _) = profiles::compare(&mv, &GHIA_V.ghia(100).unwrap());
    let (dudt, div) = (common::diag(&s, "max_dudt"), common::diag(&s, "max_divergence"));
    println!("cavity-re100-steady 64^2 ({} iterations): max |u - Ghia| = {du:.5}, max |v - Ghia| = {dv:.5}, max |du/dt| = {dudt:.2e}", s.steps);
    assert!(du < 0.01 && dv < 0.01, "u dev {du}, v dev {dv}");
    assert!(dudt < 1e-6, "max |du/dt| {dudt}");
    assert!(div < 1e-7, "divergence {div}");
}

/// configs/cavity-re1000-steady.toml on 32^2 and 64^2: the Botella & Peyret convergence checks of
/// the time-accurate runs (tests/navier_stokes_cavity.rs).
#[test]
fn re1000_steady_config_converges_to_botella_peyret() {
    let extrema = |n: usize| {
        let sets = [format!("grid.nx={n}"), format!("grid.ny={n}")];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let (mu, mv, s) = common::cavity::centrelines("cavity-re1000-steady.toml", &sets);
        let ss = s.report.steady_state.as_ref().expect("steady_state in the report");
        assert!(ss.reached, "{n}^2 not steady after {} iterations: {ss:?}", s.steps);
        let div = common::diag(&s, "max_divergence");
        assert!(div < 1e-7, "{n}^2: divergence {div}");
        common::cavity::re1000_extrema(&mu, &mv)
    };
    let (coarse, fine) = (extrema(32), extrema(64));
    common::cavity::assert_converges_to_botella_peyret("Re=1000 pseudo-time", coarse, fine);
}

/// Restarting a time-accurate run's state with a pseudo-time configuration names the section
/// that differs (it named `viscous`, a key a pseudo-time configuration may not even give).
#[test]
fn a_restart_across_time_accurate_and_pseudo_time_names_the_section() {
    let dir = common::scratch("nss_across");
    let out = dir.join("out");
    let set_dir = format!("output.dir=\"{}\"", out.display());
    let cfg = |name: &str| common::root().join("configs").join(name).display().to_string();
    let accurate = cfg("cavity-re100.toml");
    let base = ["grid.nx=16", "grid.ny=16", "time.end_time=0.05", "output.progress=\"off\"", "output.images=false"];
    let mut args = vec![accurate.as_str()];
    for s in base.iter().chain([&set_dir.as_str()]) {
        args.extend(["--set", s]);
    }
    let o = common::simrun(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let steady = cfg("cavity-re100-steady.toml");
    let fin = out.join("final.h5").display().to_string();
    let o2 = dir.join("out2");
    let set_dir2 = format!("output.dir=\"{}\"", o2.display());
    let mut args = vec![steady.as_str(), "--restart", fin.as_str()];
    for s in ["grid.nx=16", "grid.ny=16", "output.progress=\"off\"", set_dir2.as_str()] {
        args.extend(["--set", s]);
    }
    let o = common::simrun(&args);
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("the configuration has section `[navier_stokes.pseudo_time]`"), "{err}");
}

/// A run that stopped at its steady state, restarted with the same tolerance, is there: nothing
/// is stepped or written (it took one more step and rewrote final.h5 and a checkpoint at each
/// restart, as the change was not stored with the state). With a lower tolerance it goes on, to
/// the bits of a run that had the lower one from the start.
#[test]
fn a_restart_of_a_steady_run_takes_no_step_and_a_lower_tolerance_goes_on() {
    let dir = common::scratch("nss_restart_steady");
    let cfg = common::root().join("configs").join("cavity-re100-steady.toml").display().to_string();
    let go = |out: &str, extra: &[&str]| {
        let set_dir = format!("output.dir=\"{}\"", dir.join(out).display());
        let mut args = vec![cfg.as_str()];
        for s in
            ["grid.nx=16", "grid.ny=16", "checkpoint.every_steps=20", "output.progress=\"off\"", "output.images=false"]
                .iter()
                .chain([&set_dir.as_str()])
        {
            args.extend(["--set", s]);
        }
        args.extend(extra);
        let o = common::simrun(&args);
        assert!(o.status.success(), "{extra:?}: {}", common::stderr(&o));
        common::stderr(&o)
    };
    let files = |out: &str| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = walkdir(&dir.join(out))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "h5"))
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .collect();
        v.sort();
        v
    };
    go("a", &["--set", "time.steady_tolerance=1e-4"]);
    let before = files("a");
    assert!(before.iter().any(|(p, _)| p.contains("ckpt_")), "the run checkpoints");
    for spec in ["auto", "latest"] {
        let err = go("a", &["--set", "time.steady_tolerance=1e-4", "--restart", spec]);
        assert!(err.contains("is steady") && err.contains("nothing was written"), "{spec}: {err}");
        assert!(files("a") == before, "--restart {spec} of a steady run changed its files");
    }
    let fin = dir.join("a").join("final.h5").display().to_string();
    let err = go("a", &["--set", "time.steady_tolerance=1e-4", "--restart", &fin]);
    assert!(err.contains("is steady"), "{err}");
    assert!(files("a") == before, "--restart final.h5 of a steady run changed its files");

    // A lower tolerance goes on from the steady state of the higher one.
    go("a", &["--set", "time.steady_tolerance=1e-6", "--restart", "auto"]);
    go("b", &["--set", "time.steady_tolerance=1e-6"]);
    for f in ["u_face", "v_face", "p"] {
        let (a, b) = (dir.join("a").join("final.h5"), dir.join("b").join("final.h5"));
        common::assert_bits_eq(&read_field(&a, f).unwrap().1, &read_field(&b, f).unwrap().1, f);
    }
}

/// Every file under `dir`.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}
