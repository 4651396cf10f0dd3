//! The time-step limit of the weather scheme, from a von Neumann analysis of what it does to the
//! fastest wave.
//!
//! Along one direction (the split takes x and z in turn, each with the full dt) a stage computes
//! q_s = q_0 + dt_s R(q_{s-1}), dt_s = dt/3, dt/2, dt, with R the divergence of the 4th-order
//! interface fluxes (-q_{i-1} + 7 q_i + 7 q_{i+1} - q_{i+2})/12 plus hyperviscosity; the
//! hyperviscous flux is scaled by 1/dt_s, so each stage applies the filter
//! -(beta/16) (third difference)' at full strength whatever dt. Linearised, each acoustic
//! characteristic is advected at speed c = |u| + c_s, so a Fourier mode e^{i k x} of Courant
//! number nu = c dt / d is multiplied per step by g = 1 + (z + h) (1 + (z/2 + h) (1 + z/3 + h)),
//! z = nu mu(theta), h = h(theta), theta = k d. The scheme is stable while |g| <= 1 for every
//! theta: [`max_courant`] finds the largest such nu (1.2622 without hyperviscosity, the value
//! Wicker & Skamarock 2002, Mon. Wea. Rev. 130:2088, give for RK3 with 4th-order centred fluxes;
//! 1.3455 at the default beta = 0.05).
//!
//! The fastest wave at the start is the background's largest sound speed sqrt(gamma p / rho)
//! over the column plus the case's prescribed wind (gravity_waves 15 m/s, the injection jet
//! 50 m/s), so dt_max = nu_max min(dx, dz) / (c_s + U). On the 100 x 50 reference grid this is
//! 0.775 s for thermal, collision and density_current (runs to their end times: stable at
//! 0.78 s, NaN at 0.80 s), 0.709 s for gravity_waves (stable at 0.70 s, NaN at 0.74 s) and 0.677
//! s for injection (stable at 0.74 s, NaN at 0.76 s); miniWeather's dt = 1.5 min(dx, dz) / 450
//! = 0.667 s is below all of them. Winds that grow during a run lower the limit a little; a run
//! that goes unstable anyway stops at the next NaN check (exit 3).

use super::cases::{self, JET_U};
use super::config::{WeatherCase, WeatherConfig};
use super::physics::{pressure, MAX_SPEED};
use crate::grid::Grid;
use nalgebra::Complex;
use std::f64::consts::PI;

/// The largest stable Courant number of one direction's 3-stage RK with the 4th-order interface
/// values and hyperviscosity strength `beta` (von Neumann analysis over 2048 wave numbers).
pub fn max_courant(beta: f64) -> f64 {
    const MODES: usize = 2048;
    let one = Complex::new(1.0, 0.0);
    let symbols: Vec<(Complex<f64>, Complex<f64>)> = (1..=MODES)
        .map(|k| {
            let e = Complex::from_polar(1.0, PI * k as f64 / MODES as f64);
            let em = e.conj();
            let interp = (-em + 7.0 + e * 7.0 - e * e) / 12.0;
            let d3 = -em + 3.0 - e * 3.0 + e * e;
            let diff = one - em;
            (-interp * diff, -(d3 * diff) * (beta / 16.0))
        })
        .collect();
    let stable = |nu: f64| {
        symbols.iter().all(|&(mu, h)| {
            let z = mu * nu;
            let g = one + (z + h) * (one + (z / 2.0 + h) * (one + z / 3.0 + h));
            g.norm() <= 1.0 + 1e-12
        })
    };
    // Scan up to the first unstable Courant number, then bisect.
    let mut lo = 0.0;
    let mut hi = 0.05;
    while stable(hi) && hi < 8.0 {
        lo = hi;
        hi += 0.05;
    }
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if stable(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Samples of the column for the background checks.
const SAMPLES: usize = 256;

/// The case's largest initial wind speed (m/s).
fn wind(case: WeatherCase) -> f64 {
    match case {
        WeatherCase::GravityWaves => cases::GRAVITY_WAVES_U,
        WeatherCase::Injection => JET_U,
        _ => 0.0,
    }
}

/// The largest sound speed sqrt(gamma p / rho) of the case's hydrostatic background over [0, zlen].
fn max_sound_speed(case: WeatherCase, zlen: f64) -> f64 {
    (0..=SAMPLES)
        .map(|i| {
            let (r, t) = cases::profile(case).at(zlen * i as f64 / SAMPLES as f64);
            (super::physics::GAMMA * pressure(r * t) / r).sqrt()
        })
        .fold(0.0, f64::max)
}

/// If the case's background atmosphere is not physical up to `zlen` (its pressure reaches zero),
/// the height (m) below which it ends.
pub fn atmosphere_top(case: WeatherCase, zlen: f64) -> Option<f64> {
    (0..=SAMPLES).map(|i| zlen * i as f64 / SAMPLES as f64).find(|&z| {
        let (r, t) = cases::profile(case).at(z);
        !(r.is_finite() && r > 0.0 && t.is_finite() && t > 0.0 && pressure(r * t).is_finite())
    })
}

/// The stability limit of a weather run, with what it is made of.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Largest stable Courant number at the configured hyperviscosity.
    pub courant: f64,
    pub beta: f64,
    /// Fastest wave at the start (m/s): sound + wind.
    pub speed: f64,
    /// min(dx, dz) (m).
    pub d: f64,
}

impl Limit {
    pub fn of(grid: &Grid, w: &WeatherConfig) -> Limit {
        Limit {
            courant: max_courant(w.hv_beta),
            beta: w.hv_beta,
            speed: max_sound_speed(w.case, grid.len[1]) + wind(w.case),
            d: grid.d[1].min(grid.d[2]),
        }
    }

    /// The maximum stable dt (s).
    pub fn dt(&self) -> f64 {
        self.courant * self.d / self.speed
    }

    /// The dt that `weather.cfl` = cfl gives (miniWeather's rule with its assumed 450 m/s).
    pub fn dt_of_cfl(&self, cfl: f64) -> f64 {
        self.d / MAX_SPEED * cfl
    }

    /// The largest stable `weather.cfl`.
    pub fn max_cfl(&self) -> f64 {
        self.courant * MAX_SPEED / self.speed
    }

    /// One clause saying where the limit comes from.
    pub fn why(&self) -> String {
        format!(
            "acoustic Courant number at most {:.4} for its RK3 + 4th-order scheme at hv_beta = {}, fastest wave {:.1} m/s (sound + wind), min(dx, dz) = {} m",
            self.courant, self.beta, self.speed, self.d
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn courant_limits_match_the_literature_and_the_analysis() {
        // Wicker & Skamarock (2002): RK3 with 4th-order centred fluxes is stable to 1.26.
        let c0 = max_courant(0.0);
        assert!((c0 - 1.2622).abs() < 5e-4, "{c0}");
        // Hyperviscosity damps the marginal modes: a little more room at the default 0.05.
        let c = max_courant(0.05);
        assert!((c - 1.3455).abs() < 5e-4, "{c}");
        assert!(max_courant(0.2) > c);
    }

    #[test]
    fn reference_grid_limits_are_above_the_upstream_dt() {
        let grid = Grid { dims: 2, n: [1, 50, 100], len: [1.0, 1.0e4, 2.0e4], d: [1.0, 200.0, 200.0] };
        for (case, lo, hi) in [
            (WeatherCase::Thermal, 0.77, 0.78),
            (WeatherCase::GravityWaves, 0.70, 0.72),
            (WeatherCase::Injection, 0.67, 0.68),
        ] {
            let w = WeatherConfig { case, ..WeatherConfig::default() };
            let l = Limit::of(&grid, &w);
            assert!(l.dt() > lo && l.dt() < hi, "{case:?}: {}", l.dt());
            assert!(l.dt_of_cfl(1.5) < l.dt(), "{case:?}: the upstream cfl 1.5 must be stable");
        }
        assert_eq!(atmosphere_top(WeatherCase::Thermal, 1.0e4), None);
        let top = atmosphere_top(WeatherCase::Thermal, 4.0e4).expect("constant theta ends near 30.7 km");
        assert!(top > 30_000.0 && top < 31_000.0, "{top}");
    }
}
