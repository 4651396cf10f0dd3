//! Diagnostics and viewing fields computed from the state, cell by cell.
//!
//! mass = sum rho dx dz and te = sum (ke + ie) dx dz with ke = rho (u^2 + w^2) (no 1/2, as
//! upstream) and ie = rho cv T, T = theta / (p0/p)^(Rd/cp). Sums use [`ExactSum`], so they are
//! exact and the same for any split; per-cell values keep upstream's operation order.

use super::physics::{pressure, CP, CV, P0, RD};
use crate::par::ExactSum;

/// Mass and total energy of one cell: (rho dx dz, (ke + ie) dx dz).
#[inline]
pub fn cell_mass_te(s: [f64; 4], hr: f64, hrt: f64, dx: f64, dz: f64) -> (f64, f64) {
    let r = s[0] + hr;
    let u = s[1] / r;
    let w = s[2] / r;
    let th = (s[3] + hrt) / r;
    let p = pressure(r * th);
    let t = th / (P0 / p).powf(RD / CP);
    let ke = r * (u * u + w * w);
    let ie = r * CV * t;
    (r * dx * dz, (ke + ie) * dx * dz)
}

/// Exact accumulators of mass and total energy.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    pub mass: ExactSum,
    pub te: ExactSum,
}

impl Totals {
    pub fn merge(mut self, o: Totals) -> Totals {
        self.mass.merge(&o.mass);
        self.te.merge(&o.te);
        self
    }
}

/// The viewing fields as upstream writes them: density perturbation, u, w, theta perturbation.
pub const VIEW: [&str; 4] = ["dens", "uwnd", "wwnd", "theta"];
/// The conserved state variables (perturbations from the background), in storage order.
pub const STATE: [&str; 4] = ["rho_pert", "rho_u", "rho_w", "rho_theta_pert"];

/// Viewing field `which` (index into [`VIEW`]) of one cell.
#[inline]
pub fn view(which: usize, s: [f64; 4], hr: f64, hrt: f64) -> f64 {
    match which {
        0 => s[0],
        1 => s[1] / (hr + s[0]),
        2 => s[2] / (hr + s[0]),
        _ => (s[3] + hrt) / (hr + s[0]) - hrt / hr,
    }
}
