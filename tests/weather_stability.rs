//! The weather model's time-step limit (models/weather/stability.rs) is where the scheme really
//! goes unstable: the thermal case on the reference grid stays finite a little below it and
//! blows up a little above it. The config refuses a dt above the limit, so the steps are taken
//! through the model directly.

use simrun::config;
use simrun::decomp::Decomp;
use simrun::models::{self, Clock, StepCtx};
use simrun::par::{Exec, SingleComm};
use simrun::report::Phases;

/// Steps of the thermal case at `factor` times the stability limit; the first step whose state
/// is not finite (checked every 25 steps), if any.
fn blow_up_step(factor: f64, steps: u64) -> Option<u64> {
    let text = "model = \"weather\"\n[grid]\nnx = 100\nny = 50\nlx = 20000.0\nly = 10000.0\n[time]\nsteps = 1\n";
    let cfg = config::load_str(text, "t", &[]).unwrap();
    let (_, limit) = models::stability(&cfg);
    assert!((limit - 0.775).abs() < 0.001, "{limit}");
    let (grid, periodic) = models::geometry(&cfg);
    let decomp = Decomp::single(grid.n, grid.dims, periodic);
    let exec = Exec::new(1).unwrap();
    let mut m = models::build(&cfg, &grid, &decomp, &exec, &SingleComm).unwrap();
    let mut phases = Phases::default();
    let mut ctx = StepCtx { comm: &SingleComm, exec: &exec, decomp: &decomp, phases: &mut phases };
    let dt = factor * limit;
    for s in 0..steps {
        m.step(Clock { step: s, time: s as f64 * dt, dt }, &mut ctx).unwrap();
        if s % 25 == 24 && m.first_non_finite().is_some() {
            return Some(s + 1);
        }
    }
    None
}

#[test]
fn thermal_is_stable_below_the_limit_and_not_above() {
    // 1000 s of the thermal bubble, as upstream runs it.
    assert_eq!(blow_up_step(0.97, 1330), None, "unstable at 0.97 x the limit");
    let s = blow_up_step(1.06, 1330);
    assert!(s.is_some(), "still finite at 1.06 x the limit after 1000 s");
}
