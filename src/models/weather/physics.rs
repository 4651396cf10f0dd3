//! Physical constants, the two hydrostatic background profiles and the cosine-squared ellipse that
//! shapes every perturbation. Expressions keep the operation order of the reference C code
//! (miniWeather, M. Norman, ORNL) so compat mode reproduces its bits.

/// Gravitational acceleration (m/s^2).
pub const GRAV: f64 = 9.8;
/// Specific heat of dry air at constant pressure and volume (J/kg/K).
pub const CP: f64 = 1004.0;
pub const CV: f64 = 717.0;
/// Gas constant of dry air (J/kg/K).
pub const RD: f64 = 287.0;
/// Surface reference pressure (Pa).
pub const P0: f64 = 1.0e5;
/// gamma = cp / cv, as the reference writes it (equal to `CP / CV` in f64; a test checks).
pub const GAMMA: f64 = 1.400_278_940_027_894;
/// C0 = Rd^gamma p0^(-Rd/cv), so p = C0 (rho theta)^gamma (the reference's literal value; a test
/// checks it against the formula).
pub const C0: f64 = 27.562_941_092_972_594;
/// Assumed maximum wave speed (sound + wind) for the time step (m/s).
pub const MAX_SPEED: f64 = 450.0;
/// Background potential temperature (K) and Brunt-Vaisala frequency (1/s) of the stratified case.
pub const THETA0: f64 = 300.0;
pub const BV_FREQ: f64 = 0.02;

/// 3-point Gauss-Legendre points on [0, 1] and their weights.
pub const QPOINTS: [f64; 3] = [0.112_701_665_379_258_31, 0.5, 0.887_298_334_620_741_7];
pub const QWEIGHTS: [f64; 3] = [0.277_777_777_777_777_8, 0.444_444_444_444_444_4, 0.277_777_777_777_777_8];

/// Hydrostatic background at height z: (rho, theta).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// theta = theta0 everywhere, surface Exner pressure 1.
    ConstTheta,
    /// Constant Brunt-Vaisala frequency N: theta = theta0 exp(N^2 z / g).
    ConstBv,
}

impl Profile {
    /// (rho, theta) of the hydrostatic background at height `z` (m).
    pub fn at(self, z: f64) -> (f64, f64) {
        let (t, exner) = match self {
            Profile::ConstTheta => (THETA0, 1.0 - GRAV * z / (CP * THETA0)),
            Profile::ConstBv => {
                let t = THETA0 * (BV_FREQ * BV_FREQ / GRAV * z).exp();
                (t, 1.0 - GRAV * GRAV / (CP * BV_FREQ * BV_FREQ) * (t - THETA0) / (t * THETA0))
            }
        };
        let p = P0 * exner.powf(CP / RD);
        let rt = (p / C0).powf(1.0 / GAMMA);
        (rt / t, t)
    }
}

/// amp cos(d)^2 inside the ellipse centred at (x0, z0) with radii (xr, zr), d the scaled distance
/// times pi/2; zero outside.
#[inline]
pub fn ellipse(x: f64, z: f64, amp: f64, x0: f64, z0: f64, xr: f64, zr: f64) -> f64 {
    let pi = std::f64::consts::PI;
    let dist = (((x - x0) / xr) * ((x - x0) / xr) + ((z - z0) / zr) * ((z - z0) / zr)).sqrt() * pi / 2.0;
    if dist <= pi / 2.0 {
        let c = dist.cos();
        amp * (c * c)
    } else {
        0.0
    }
}

/// Pressure from rho*theta: p = C0 (rho theta)^gamma.
#[inline(always)]
pub fn pressure(rt: f64) -> f64 {
    C0 * rt.powf(GAMMA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_their_formulas() {
        assert_eq!(GAMMA, CP / CV);
        let c0 = RD.powf(GAMMA) * P0.powf(-RD / CV);
        assert!(((c0 - C0) / C0).abs() < 1e-14, "{c0} vs {C0}");
        let wsum: f64 = QWEIGHTS.iter().sum();
        assert!((wsum - 1.0).abs() < 1e-15);
        assert!((QPOINTS[0] + QPOINTS[2] - 1.0).abs() < 1e-16);
    }

    #[test]
    fn backgrounds_are_hydrostatic() {
        // dp/dz = -rho g, checked by central differences of p = C0 (rho theta)^gamma.
        for prof in [Profile::ConstTheta, Profile::ConstBv] {
            for z in [100.0, 2500.0, 9000.0] {
                let h = 1.0;
                let p = |z: f64| {
                    let (r, t) = prof.at(z);
                    pressure(r * t)
                };
                let dpdz = (p(z + h) - p(z - h)) / (2.0 * h);
                let (r, _) = prof.at(z);
                assert!(((dpdz + r * GRAV) / (r * GRAV)).abs() < 1e-6, "{prof:?} z={z}");
            }
        }
        let (r0, t0) = Profile::ConstTheta.at(0.0);
        assert_eq!(t0, THETA0);
        assert!((pressure(r0 * t0) - P0).abs() < 1e-6 * P0);
    }

    #[test]
    fn ellipse_is_cos_squared_bump() {
        assert_eq!(ellipse(10.0, 20.0, 3.0, 10.0, 20.0, 5.0, 5.0), 3.0);
        assert_eq!(ellipse(16.0, 20.0, 3.0, 10.0, 20.0, 5.0, 5.0), 0.0);
        let half = ellipse(12.5, 20.0, 2.0, 10.0, 20.0, 5.0, 5.0);
        assert!((half - 1.0).abs() < 1e-15);
    }
}
