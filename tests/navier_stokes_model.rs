//! The navier_stokes model through the `Model` trait: restarts from the state fields continue bit
//! for bit, the projection leaves the velocity divergence-free to the solver tolerance, and bad
//! configurations are one-line errors naming the key.

use simrun::config::{explain, load_str};
use simrun::decomp::Decomp;
use simrun::models::{self, Clock, Model, StepCtx};
use simrun::par::{Exec, SingleComm};
use simrun::report::Phases;

const CAVITY: &str = r#"
model = "navier_stokes"
[grid]
nx = 24
ny = 16
[time]
steps = 30
[navier_stokes]
re = 400.0
[navier_stokes.boundary]
y_hi = { kind = "wall", velocity = 1.0 }
"#;

fn build(text: &str) -> (Box<dyn Model>, Decomp, Exec) {
    let cfg = load_str(text, "test", &[]).unwrap();
    let (grid, periodic) = models::geometry(&cfg);
    let d = Decomp::new(grid.n, 2, 1, 0, periodic, None).unwrap();
    let exec = Exec::new(1).unwrap();
    let m = models::build(&cfg, &grid, &d, &exec, &SingleComm).unwrap();
    (m, d, exec)
}

fn advance(m: &mut dyn Model, d: &Decomp, exec: &Exec, from: u64, steps: u64, time: &mut f64) {
    let mut phases = Phases::default();
    for step in from..from + steps {
        let mut ctx = StepCtx { comm: &SingleComm, exec, decomp: d, phases: &mut phases };
        let dt = m.dt(&mut ctx);
        m.step(Clock { step, time: *time, dt }, &mut ctx).unwrap();
        *time += dt;
    }
}

fn state(m: &dyn Model, d: &Decomp) -> Vec<Vec<f64>> {
    let n: usize = d.size.iter().product();
    m.state_names()
        .iter()
        .map(|name| {
            let mut v = vec![0.0; n];
            m.copy_field(name, &mut v);
            v
        })
        .collect()
}

/// For each viscous scheme: the implicit ones solve from a start made of the state alone (not of
/// the last step's solves, which no checkpoint holds), so they continue bit for bit too.
#[test]
fn restart_from_state_fields_continues_bit_for_bit() {
    for viscous in ["explicit", "crank_nicolson", "backward_euler"] {
        let text = CAVITY.replace("re = 400.0\n", &format!("re = 400.0\nviscous = \"{viscous}\"\n"));
        assert_ne!(text, CAVITY);
        let (mut a, d, exec) = build(&text);
        let mut t = 0.0;
        advance(&mut *a, &d, &exec, 0, 20, &mut t);
        let saved = state(&*a, &d);
        let t_saved = t;
        advance(&mut *a, &d, &exec, 20, 10, &mut t);

        let (mut b, _, _) = build(&text);
        for (name, data) in b.state_names().into_iter().zip(&saved) {
            b.restore_field(name, data).unwrap();
        }
        let mut tb = t_saved;
        advance(&mut *b, &d, &exec, 20, 10, &mut tb);
        assert_eq!(t.to_bits(), tb.to_bits(), "{viscous}");
        let (sa, sb) = (state(&*a, &d), state(&*b, &d));
        for (x, y) in sa.iter().zip(&sb) {
            assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()), "{viscous}: the restart differs");
        }
        assert!(b.restore_field("vorticity", &saved[0]).is_err(), "derived fields are not state");
    }
}

/// CAVITY with pseudo-time iterations to the steady state instead of time steps.
fn pseudo_cavity() -> String {
    let text = CAVITY.replace("steps = 30\n", "steps = 30\nsteady_tolerance = 1e-9\n");
    assert_ne!(text, CAVITY);
    format!("{text}[navier_stokes.pseudo_time]\ncfl = 24.0\nsweeps = 3\n")
}

/// The pseudo-time iteration carries its state in the same fields (the pressure accumulates
/// p += phi / dtau, and dtau follows the speeds): a restart from them continues bit for bit.
#[test]
fn pseudo_time_restart_from_state_fields_continues_bit_for_bit() {
    let text = pseudo_cavity();
    let (mut a, d, exec) = build(&text);
    // The pseudo step is cfl (24) times the explicit stable step: 24 / 0.9 times the
    // time-accurate model's dt (cfl 0.9) at the same state.
    let (mut explicit, _, _) = build(CAVITY);
    let mut phases = Phases::default();
    let mut ctx = StepCtx { comm: &SingleComm, exec: &exec, decomp: &d, phases: &mut phases };
    let (dtau, dt) = (a.dt(&mut ctx), explicit.dt(&mut ctx));
    assert!((dtau / dt - 24.0 / 0.9).abs() < 1e-9, "dtau {dtau}, dt {dt}");
    let mut t = 0.0;
    advance(&mut *a, &d, &exec, 0, 20, &mut t);
    let saved = state(&*a, &d);
    let t_saved = t;
    advance(&mut *a, &d, &exec, 20, 10, &mut t);
    let after = state(&*a, &d);
    assert!(saved.iter().zip(&after).all(|(x, y)| x != y), "every state field moves in the last 10 iterations");

    let (mut b, _, _) = build(&text);
    for (name, data) in b.state_names().into_iter().zip(&saved) {
        b.restore_field(name, data).unwrap();
    }
    let mut tb = t_saved;
    advance(&mut *b, &d, &exec, 20, 10, &mut tb);
    assert_eq!(t.to_bits(), tb.to_bits());
    for ((name, x), y) in b.state_names().into_iter().zip(&after).zip(&state(&*b, &d)) {
        let same = x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(same, "{name} differs after the restart");
    }
    // Not the time-accurate scheme: the same 30 steps of it end elsewhere.
    let mut te = 0.0;
    advance(&mut *explicit, &d, &exec, 0, 30, &mut te);
    assert!(state(&*explicit, &d)[0] != after[0]);
}

#[test]
fn projection_leaves_the_velocity_divergence_free_to_the_tolerance() {
    let (mut m, d, exec) = build(CAVITY);
    let mut t = 0.0;
    advance(&mut *m, &d, &exec, 0, 5, &mut t);
    let mut phases = Phases::default();
    let mut ctx = StepCtx { comm: &SingleComm, exec: &exec, decomp: &d, phases: &mut phases };
    let diags = m.diagnostics(t, &mut ctx);
    let get = |k: &str| diags.iter().find(|(n, _)| n == k).unwrap().1;
    assert!(get("max_divergence") <= 1e-8 * 1.0001, "{}", get("max_divergence"));
    assert!(get("mg_cycles") >= 1.0);
    assert!(get("kinetic_energy") > 0.0);
    assert!(get("cfl") > 0.0 && get("cfl") < 1.0);
}

#[test]
fn bad_navier_stokes_configs_name_the_key() {
    let cases = [
        ("[navier_stokes]\nre = -1.0", "navier_stokes.re"),
        ("[navier_stokes]\nbody_force = [1.0]", "navier_stokes.body_force"),
        ("[navier_stokes.boundary]\nx_lo = { kind = \"periodic\" }", "navier_stokes.boundary.x_lo"),
        (
            "[navier_stokes.boundary]\nx_lo = { kind = \"periodic\", velocity = 1.0 }\nx_hi = { kind = \"periodic\" }",
            "navier_stokes.boundary.x_lo.velocity",
        ),
        ("[navier_stokes.multigrid]\ntolerance = 0.0", "navier_stokes.multigrid.tolerance"),
        ("[navier_stokes.multigrid]\nmax_cycles = 0", "navier_stokes.multigrid.max_cycles"),
        ("[navier_stokes]\nviscosity = 1.0", "navier_stokes.viscosity"),
        ("[navier_stokes]\ninitial = \"vortex\"", "navier_stokes.initial"),
    ];
    let base = "model = \"navier_stokes\"\n[grid]\nnx = 8\nny = 8\n[time]\nsteps = 1\n";
    for (extra, key) in cases {
        let e = load_str(&format!("{base}{extra}\n"), "t.toml", &[]).unwrap_err();
        assert!(e.message.contains(key), "`{extra}` gave: {}", e.message);
        assert!(!e.to_string().contains('\n'));
    }
    let e = load_str(&format!("{base}[navier_stokes]\nre = 100.0\n"), "t.toml", &["time.dt=1.0".into()]).unwrap_err();
    assert!(e.message.contains("time.dt"), "{}", e.message);
    let e = load_str("model = \"navier_stokes\"\n[grid]\nnx = 8\nny = 8\nnz = 8\n[time]\nsteps = 1\n", "t.toml", &[])
        .unwrap_err();
    assert!(e.message.contains("grid.nz"), "{}", e.message);
    // [navier_stokes.pseudo_time]: needs the steady stop, refuses the time-accurate scheme's
    // keys, and checks its own ranges.
    let pt = "[navier_stokes.pseudo_time]\n";
    let e = load_str(&format!("{base}{pt}"), "t.toml", &[]).unwrap_err();
    assert!(e.message.contains("`navier_stokes.pseudo_time`"), "{}", e.message);
    assert!(e.message.contains("time.steady_tolerance"), "{}", e.message);
    let steady = "model = \"navier_stokes\"\n[grid]\nnx = 8\nny = 8\n[time]\nsteps = 1\nsteady_tolerance = 1e-6\n";
    load_str(&format!("{steady}{pt}"), "t.toml", &[]).expect("pseudo_time with time.steady_tolerance");
    let cases = [
        ("time.dt=1e-4", "time.dt"),
        ("time.cfl=0.5", "time.cfl"),
        ("navier_stokes.viscous=\"crank_nicolson\"", "navier_stokes.viscous"),
        ("navier_stokes.viscous=\"explicit\"", "navier_stokes.viscous"),
        ("navier_stokes.viscous_tolerance=1e-6", "navier_stokes.viscous_tolerance"),
        ("navier_stokes.pseudo_time.sweeps=0", "navier_stokes.pseudo_time.sweeps"),
        ("navier_stokes.pseudo_time.cfl=0.0", "navier_stokes.pseudo_time.cfl"),
        ("navier_stokes.pseudo_time.cfl=-2.0", "navier_stokes.pseudo_time.cfl"),
    ];
    for (set, key) in cases {
        let e = load_str(&format!("{steady}{pt}"), "t.toml", &[set.into()]).unwrap_err();
        assert!(e.message.contains(&format!("`{key}`")), "`{set}` gave: {}", e.message);
        assert!(!e.to_string().contains('\n'));
    }
}

#[test]
fn every_navier_stokes_key_is_documented() {
    for key in [
        "navier_stokes.re",
        "navier_stokes.initial",
        "navier_stokes.body_force",
        "navier_stokes.boundary.x_lo.kind",
        "navier_stokes.boundary.y_hi.velocity",
        "navier_stokes.multigrid.tolerance",
        "navier_stokes.multigrid.max_cycles",
        "navier_stokes.multigrid.smooth",
        "navier_stokes.pseudo_time.cfl",
        "navier_stokes.pseudo_time.sweeps",
    ] {
        assert!(explain::documented(key), "{key} missing from explain::KEYS");
    }
    // And every key of the resolved config, as the config serialises it (with and without the
    // optional pseudo_time section).
    for text in [CAVITY.to_string(), pseudo_cavity()] {
        let cfg = load_str(&text, "t", &[]).unwrap();
        let table: toml::Table = cfg.to_toml().parse().unwrap();
        let ns = table["navier_stokes"].as_table().unwrap();
        assert_eq!(ns.contains_key("pseudo_time"), text != CAVITY);
        for (k, v) in ns {
            match v.as_table() {
                Some(t) => {
                    for (k2, v2) in t {
                        match v2.as_table() {
                            Some(t2) => t2.keys().for_each(|k3| {
                                assert!(explain::documented(&format!("navier_stokes.{k}.{k2}.{k3}")), "{k}.{k2}.{k3}")
                            }),
                            None => assert!(explain::documented(&format!("navier_stokes.{k}.{k2}")), "{k}.{k2}"),
                        }
                    }
                }
                None => assert!(explain::documented(&format!("navier_stokes.{k}")), "{k}"),
            }
        }
    }
}

/// Every listed output field can be copied; a name that is not one is refused loudly (it used to
/// come back as vorticity).
#[test]
fn copy_field_knows_its_fields_and_refuses_others() {
    let (m, d, _) = build(CAVITY);
    let n: usize = d.size.iter().product();
    for name in m.field_names().into_iter().chain(m.state_names()) {
        let mut v = vec![f64::NAN; n];
        m.copy_field(name, &mut v);
        assert!(v.iter().all(|x| x.is_finite()), "{name}");
    }
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.copy_field("vort", &mut vec![0.0; n])));
    let msg = refused.expect_err("an unknown field is refused");
    let msg = msg.downcast_ref::<String>().expect("a message");
    assert!(msg.contains("no field `vort`") && msg.contains("vorticity"), "{msg}");
}

/// A grid multigrid cannot coarsen (3 cells across) leaves every pressure solve at max_cycles
/// above the tolerance: the model says so once, at the first such solve, and counts them at the
/// end; `simrun check` warns about the plan beforehand. A cavity that coarsens says nothing.
/// (The run used to go on silently with a divergent velocity and exit 0.)
#[test]
fn pressure_solves_that_stop_short_are_warned_about() {
    let narrow = CAVITY.replace("nx = 24", "nx = 3").replace("ny = 16", "ny = 600");
    let (mut m, d, exec) = build(&narrow);
    let mut time = 0.0;
    advance(&mut *m, &d, &exec, 0, 1, &mut time);
    let first = m.take_warnings(false);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains("step 1") && first[0].contains("navier_stokes.multigrid.max_cycles"), "{first:?}");
    advance(&mut *m, &d, &exec, 1, 2, &mut time);
    assert!(m.take_warnings(false).is_empty(), "said once");
    let end = m.take_warnings(true);
    assert!(end.len() == 1 && end[0].starts_with("6 of this run's 6 pressure solves"), "{end:?}");

    let (mut m, d, exec) = build(CAVITY);
    let mut time = 0.0;
    advance(&mut *m, &d, &exec, 0, 5, &mut time);
    assert!(m.take_warnings(false).is_empty() && m.take_warnings(true).is_empty());

    let dir = tempfile::tempdir().unwrap();
    for (text, warned) in [(&narrow, true), (&CAVITY.to_string(), false)] {
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_simrun")).arg("check").arg(&path).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{out}");
        assert_eq!(out.contains("finds no coarser level"), warned, "{out}");
    }
}
