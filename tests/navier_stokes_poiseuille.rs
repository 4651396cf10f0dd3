//! Plane Poiseuille flow: from rest, driven by a body force between no-slip walls, the channel
//! must reach u = g / (2 nu) y (L - y) to round-off (the quadratic wall ghosts and the
//! second differences are exact for a parabola, so the discrete steady state IS the parabola).

mod common;

#[test]
fn poiseuille_steady_profile_matches_the_parabola_to_round_off() {
    // Re = 10, g = 0.8: centre-line speed g / (8 nu) = 1; the slowest mode decays as
    // exp(-pi^2 nu t / L^2), so t = 60 is 1e-26 of the start: only round-off is left.
    let (s, dir) = common::run_config(
        "poiseuille.toml",
        &[
            "grid.nx=4",
            "grid.ny=16",
            "grid.lx=0.25",
            "navier_stokes.re=10.0",
            "navier_stokes.body_force=[0.8, 0.0]",
            "time.end_time=60.0",
        ],
    );
    let max = common::diag(&s, "velocity_error_max");
    let rms = common::diag(&s, "velocity_error_rms");
    println!("Poiseuille 4x16: max |u - exact| = {max:.3e}, rms {rms:.3e} (centre-line speed 1)");
    assert!(max < 1e-13, "max error {max:e} is not round-off");
    assert_eq!(common::diag(&s, "max_divergence"), 0.0, "a parallel flow is exactly divergence-free");
    // The written face field has the parabola too, and v = 0.
    let (shape, u) = simrun::io::hdf5_out::read_field(&dir.path().join("final.h5"), "u_face").unwrap();
    let (_, v) = simrun::io::hdf5_out::read_field(&dir.path().join("final.h5"), "v_face").unwrap();
    let ny = shape[0];
    for j in 0..ny {
        let y = (j as f64 + 0.5) / ny as f64;
        let exact = 0.8 / (2.0 * 0.1) * y * (1.0 - y);
        for i in 0..shape[1] {
            assert!((u[j * shape[1] + i] - exact).abs() < 1e-13, "row {j}");
        }
    }
    assert!(v.iter().all(|&x| x == 0.0));
}
