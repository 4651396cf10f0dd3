//! Boundary conditions applied after a halo refresh: solid walls at the bottom and top of the
//! domain, and the injection jet at the left edge. (x is periodic: the communicator's job.)

use super::background::{Background, HS};
use super::cases::{JET_THETA, JET_U};
use super::kernel::NV;
use crate::field::Field;

/// Fill the two halo planes below (`top = false`) or above the block, which lies on that wall:
/// rho w = 0; rho u = interior rho u / rho_bar(interior) * rho_bar(halo); rho' and (rho theta)'
/// copy the adjacent interior row. Covers the padded x extent.
pub fn wall(s: &mut Field, bg: &Background, top: bool) {
    let w = s.padded()[2];
    let plane = NV * w;
    let nz = s.n[0];
    // Padded plane indices: interior row and the two halo rows.
    let (inner, halos) = if top { (nz + HS - 1, [nz + HS, nz + HS + 1]) } else { (HS, [0, 1]) };
    let (src, hrow) = (inner * plane, |h: usize| h * plane);
    for h in halos {
        for v in 0..NV {
            for i in 0..w {
                let value = match v {
                    2 => 0.0,
                    1 => s.data[src + w + i] / bg.rho_c[inner] * bg.rho_c[h],
                    _ => s.data[src + v * w + i],
                };
                s.data[hrow(h) + v * w + i] = value;
            }
        }
    }
}

/// Injection: overwrite the two left halo columns of the rows in the jet (`jet[k]` for local row
/// k) with the inflow: rho u = (rho' + rho_bar) * 50, (rho theta)' = (rho' + rho_bar) * 298 -
/// (rho theta)_bar.
pub fn inject(s: &mut Field, bg: &Background, jet: &[bool]) {
    let w = s.padded()[2];
    let plane = NV * w;
    for (k, _) in jet.iter().enumerate().filter(|(_, &j)| j) {
        let p = (k + HS) * plane;
        let (hr, hrt) = (bg.rho_c[k + HS], bg.rt_c[k + HS]);
        for i in 0..HS {
            let r = s.data[p + i];
            s.data[p + w + i] = (r + hr) * JET_U;
            s.data[p + 3 * w + i] = (r + hr) * JET_THETA - hrt;
        }
    }
}
