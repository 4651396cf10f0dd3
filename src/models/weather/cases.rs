//! The five test cases of miniWeather: background profile, pointwise initial perturbation, and the
//! per-cell initial state (3 x 3 Gauss-Legendre average of the pointwise state). Upstream's
//! sim_time per case (s): collision 700, thermal 1000, gravity_waves 1500, density_current 600,
//! injection 1200 (the `time.end_time` of configs/weather-*.toml).

use super::physics::{ellipse, Profile, QPOINTS, QWEIGHTS};
use super::config::WeatherCase;

/// Domain size of the reference (m); the configs use grid.lx = 20000, grid.ly = 10000.
pub const XLEN: f64 = 2.0e4;
pub const ZLEN: f64 = 1.0e4;

/// The background profile of a case.
pub fn profile(case: WeatherCase) -> Profile {
    match case {
        WeatherCase::GravityWaves => Profile::ConstBv,
        _ => Profile::ConstTheta,
    }
}

/// Pointwise state at (x, z): perturbations (r, u, w, t) and background (hr, ht).
pub fn point(case: WeatherCase, xlen: f64, x: f64, z: f64) -> [f64; 6] {
    let (hr, ht) = profile(case).at(z);
    let u = if case == WeatherCase::GravityWaves { GRAVITY_WAVES_U } else { 0.0 };
    let mut t = 0.0;
    for f in features(case) {
        t += ellipse(x, z, f.amp, xlen / 2.0, f.z, f.rx, f.rz);
    }
    [0.0, u, 0.0, t, hr, ht]
}

/// The cell average of the conserved perturbation variables (rho', rho u, rho w, (rho theta)') of
/// the cell with global indices (kg, ig) (halo cells may have negative indices).
pub fn cell_state(case: WeatherCase, xlen: f64, dx: f64, dz: f64, kg: i64, ig: i64) -> [f64; 4] {
    let mut s = [0.0; 4];
    for (kq, wk) in QPOINTS.iter().zip(QWEIGHTS) {
        for (iq, wi) in QPOINTS.iter().zip(QWEIGHTS) {
            let x = (ig as f64 + 0.5) * dx + (iq - 0.5) * dx;
            let z = (kg as f64 + 0.5) * dz + (kq - 0.5) * dz;
            let [r, u, w, t, hr, ht] = point(case, xlen, x, z);
            s[0] += r * wi * wk;
            s[1] += (r + hr) * u * wi * wk;
            s[2] += (r + hr) * w * wi * wk;
            s[3] += ((r + hr) * (t + ht) - hr * ht) * wi * wk;
        }
    }
    s
}

/// The gravity-wave forcing shape: w-perturbation rate at the cell centre (x, z).
pub fn gravity_wave_forcing(xlen: f64, x: f64, z: f64) -> f64 {
    ellipse(x, z, 0.01, xlen / 8.0, 1000.0, 500.0, 500.0)
}

/// Injection: is the cell centre at height z inside the inflow jet (|z - 3/4 zlen| <= zlen/16)?
pub fn in_jet(zlen: f64, z: f64) -> bool {
    (z - 3.0 * zlen / 4.0).abs() <= zlen / 16.0
}

/// The uniform wind of the gravity_waves case (m/s).
pub const GRAVITY_WAVES_U: f64 = 15.0;

/// Injection jet speed (m/s) and potential temperature (K).
pub const JET_U: f64 = 50.0;
pub const JET_THETA: f64 = 298.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thermal_bubble_sits_where_stated() {
        let [_, _, _, t, _, _] = point(WeatherCase::Thermal, XLEN, 10000.0, 2000.0);
        assert_eq!(t, 3.0);
        let [_, _, _, t, _, _] = point(WeatherCase::Thermal, XLEN, 10000.0, 4500.0);
        assert_eq!(t, 0.0);
        let [_, u, ..] = point(WeatherCase::GravityWaves, XLEN, 1.0, 1.0);
        assert_eq!(u, 15.0);
    }

    #[test]
    fn unperturbed_cells_are_zero() {
        let s = cell_state(WeatherCase::Injection, XLEN, 200.0, 200.0, 10, 3);
        assert_eq!(s, [0.0; 4]);
    }
}

/// A bubble a case puts in its initial potential temperature: an ellipse of amplitude `amp` (K)
/// and radii (rx, rz) centred at height z (m) and at half the domain's width.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    pub name: &'static str,
    pub amp: f64,
    pub z: f64,
    pub rx: f64,
    pub rz: f64,
}

/// The case's bubbles, in the order [`point`] adds them (also what `start_warnings` checks the
/// domain against).
pub fn features(case: WeatherCase) -> &'static [Feature] {
    const fn f(name: &'static str, amp: f64, z: f64, rx: f64, rz: f64) -> Feature {
        Feature { name, amp, z, rx, rz }
    }
    const WARM: Feature = f("warm bubble", 20.0, 2000.0, 2000.0, 2000.0);
    const COLD: Feature = f("cold bubble", -20.0, 8000.0, 2000.0, 2000.0);
    const THERMAL: Feature = f("warm bubble", 3.0, 2000.0, 2000.0, 2000.0);
    const DENSITY: Feature = f("cold bubble", -20.0, 5000.0, 4000.0, 2000.0);
    match case {
        WeatherCase::Collision => &[WARM, COLD],
        WeatherCase::Thermal => &[THERMAL],
        WeatherCase::DensityCurrent => &[DENSITY],
        WeatherCase::GravityWaves | WeatherCase::Injection => &[],
    }
}
