//! The lid-driven cavity's centreline checks, shared by the time-accurate runs
//! (tests/navier_stokes_cavity.rs) and the pseudo-time runs (tests/navier_stokes_steady.rs).

use simrun::io::hdf5_out::read_field;
use simrun::models::navier_stokes::benchmarks::{botella_peyret_re1000, Extremum};
use simrun::models::navier_stokes::profiles::{self, Profile};
use simrun::sim::RunSummary;

/// Run the cavity config `configs/<name>` with `--set` overrides on one process: the centreline
/// profiles (u on x = 0.5, v on y = 0.5) and the run's summary.
pub fn centrelines(name: &str, sets: &[&str]) -> (Profile, Profile, RunSummary) {
    let (s, dir) = super::run_config(name, sets);
    let h5 = dir.path().join("final.h5");
    let (shape, u) = read_field(&h5, "u_face").unwrap();
    let (_, v) = read_field(&h5, "v_face").unwrap();
    let mu = profiles::u_on_vertical_centreline(&u, shape[0], shape[1], 1.0, 1.0);
    let mv = profiles::v_on_horizontal_centreline(&v, shape[0], shape[1], 1.0);
    (mu, mv, s)
}

/// (location, value) of the three Re = 1000 centreline extrema Botella & Peyret tabulate:
/// u_min on x = 0.5, v_max and v_min on y = 0.5.
pub fn re1000_extrema(mu: &Profile, mv: &Profile) -> [(f64, f64); 3] {
    [profiles::extremum(mu, false), profiles::extremum(mv, true), profiles::extremum(mv, false)]
}

/// Botella & Peyret (1998)'s Re = 1000 extrema against those of a 32^2 (`coarse`) and a 64^2
/// (`fine`) run of the second-order scheme: the error falls at least 3x per halving of h, the
/// Richardson extrapolation of the two grids (order 2) lies within 1.5 % of B&P, and the 64^2
/// extrema lie within one cell of B&P's locations. `label` heads the printed comparison.
pub fn assert_converges_to_botella_peyret(label: &str, coarse: [(f64, f64); 3], fine: [(f64, f64); 3]) {
    let bp = botella_peyret_re1000();
    for (k, (name, r)) in [("u_min", bp.u_min), ("v_max", bp.v_max), ("v_min", bp.v_min)].into_iter().enumerate() {
        let Extremum { value, at } = r;
        let err = |v: f64| (v - value).abs() / value.abs();
        let (c, f) = (coarse[k].1, fine[k].1);
        let extrapolated = f + (f - c) / 3.0;
        println!(
            "{label} {name}: 32^2 {c:.5} ({:.2} %), 64^2 {f:.5} at {:.4} ({:.2} %), extrapolated {extrapolated:.5} ({:.2} %); Botella & Peyret {value} at {at}",
            100.0 * err(c),
            fine[k].0,
            100.0 * err(f),
            100.0 * err(extrapolated)
        );
        assert!(err(f) < err(c) / 3.0, "{label} {name}: error {} on 64^2 vs {} on 32^2", err(f), err(c));
        assert!(err(extrapolated) < 0.015, "{label} {name}: extrapolated {extrapolated} vs {value}");
        assert!((fine[k].0 - at).abs() < 1.0 / 64.0, "{label} {name} at {} vs {at}", fine[k].0);
    }
}
