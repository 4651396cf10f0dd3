//! Lid-driven cavity at Re = 100 against Ghia, Ghia & Shin (1982), Tables I and II.
//!
//! The acceptance grid is 128^2 (deviation reported in the README); this test runs 64^2 to keep
//! the suite fast. The tolerance stays the acceptance one, 0.01 max abs deviation: at 64^2 the
//! measured deviations are about 0.004 (u) and 0.009 (v), and they fall at 128^2 (second-order
//! scheme), so 0.01 at 64^2 is the stricter check. By t = 25 the flow is steady (the largest |du/dt| is
//! below 1e-6 from t = 23 on in the 64^2 run).

mod common;
use simrun::io::hdf5_out::read_field;
use simrun::models::navier_stokes::profiles;

#[test]
fn cavity_re100_matches_ghia_within_0_01() {
    let (s, dir) = common::run_config("cavity-re100.toml", &["grid.nx=64", "grid.ny=64", "time.end_time=25.0"]);
    let h5 = dir.path().join("final.h5");
    let (shape, u) = read_field(&h5, "u_face").unwrap();
    let (_, v) = read_field(&h5, "v_face").unwrap();
    let reference = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    let reference = if reference.exists() { reference } else { std::path::PathBuf::from("/work/shared/reference") };
    let gu = profiles::read_ghia(&reference.join("ghia1982_u_vertical_centreline.csv"), 100).unwrap();
    let gv = profiles::read_ghia(&reference.join("ghia1982_v_horizontal_centreline.csv"), 100).unwrap();
    let mu = profiles::u_on_vertical_centreline(&u, shape[0], shape[1], 1.0, 1.0);
    let mv = profiles::v_on_horizontal_centreline(&v, shape[0], shape[1], 1.0);
    let (_, du, _) = profiles::compare(&mu, &gu);
    let (_, dv, _) = profiles::compare(&mv, &gv);
    let dudt = common::diag(&s, "max_dudt");
    println!("cavity Re=100 64^2: max |u - Ghia| = {du:.5}, max |v - Ghia| = {dv:.5}, max |du/dt| = {dudt:.2e}");
    assert!(du < 0.01 && dv < 0.01, "u dev {du}, v dev {dv}");
    assert!(common::diag(&s, "max_divergence") < 1e-7);
}
