//! Taylor-Green vortex on the 2 pi-periodic square: the velocity error against the exact decaying
//! solution converges at second order in space (dt ~ dx with a fixed CFL number, and the
//! time scheme is second order too), and the kinetic energy follows exp(-4 nu t) within the
//! discretisation error.

mod common;

#[test]
fn taylor_green_converges_at_second_order_and_energy_decays_as_exp_minus_4_nu_t() {
    let mut errs = Vec::new();
    for n in [16, 32, 64] {
        let (s, _dir) = common::run_config(
            "taylor-green.toml",
            &[
                &format!("grid.nx={n}"),
                &format!("grid.ny={n}"),
                "time.end_time=1.0",
                "navier_stokes.multigrid.tolerance=1e-11",
            ],
        );
        let e = common::diag(&s, "velocity_error_rms");
        let ke = common::diag(&s, "kinetic_energy");
        let ke_exact = common::diag(&s, "kinetic_energy_exact");
        // exp(-4 nu t) with nu = 0.01, t = 1, of the initial energy pi^2.
        let analytic = std::f64::consts::PI.powi(2) * (-4.0 * 0.01 * 1.0f64).exp();
        assert!((ke_exact - analytic).abs() < 1e-12 * analytic);
        let rel = (ke - ke_exact).abs() / ke_exact;
        println!("Taylor-Green {n}^2: velocity rms error {e:.4e}, kinetic energy {ke:.8} vs exact {ke_exact:.8} (rel {rel:.2e})");
        // Within the discretisation error: O(h^2), a few times the velocity error.
        assert!(rel < 10.0 * e, "energy off by {rel:e} at {n}^2");
        errs.push((n, e, rel));
    }
    for w in errs.windows(2) {
        let order = (w[0].1 / w[1].1).log2();
        let ke_order = (w[0].2 / w[1].2).log2();
        println!("order {}->{}: velocity {order:.3}, energy {ke_order:.3}", w[0].0, w[1].0);
        assert!((1.9..2.2).contains(&order), "velocity error order {order}");
        assert!((1.8..2.3).contains(&ke_order), "energy error order {ke_order}");
    }
}
