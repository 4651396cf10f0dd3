//! The hydrostatic background of the local block: cell values for every row of the block and its
//! halos, and interface values for every z-interface of the block. Everything is a function of
//! the global row index, so any split gives the same numbers.

use super::fastpow::pow_row;
use super::physics::{pressure, Profile, C0, GAMMA, QPOINTS, QWEIGHTS};

/// The default mode's pressure (see [`super::kernel::fast`]).
fn pressure_fast(rt: f64) -> f64 {
    let mut v = [rt];
    pow_row(&mut v, GAMMA, C0, 0.0);
    v[0]
}

/// Background arrays of one block. Cell arrays hold rows -2..nz+2 (index k + 2); interface arrays
/// hold the interfaces 0..=nz of the block (interface k lies at the bottom of row k).
#[derive(Debug, Clone)]
pub struct Background {
    pub rho_c: Vec<f64>,
    pub rt_c: Vec<f64>,
    pub rho_i: Vec<f64>,
    pub rt_i: Vec<f64>,
    pub p_i: Vec<f64>,
}

/// Halo width of the weather model.
pub const HS: usize = 2;

impl Background {
    /// `k0`: global index of the first local row; `nz`: local rows; `dz`: row height.
    /// `gauss`: default mode: cell values are Gauss-Legendre averages over the cell, and the
    /// interface pressure is the default kernels' [`pow_row`]; otherwise (compat) the cell-centre
    /// value, accumulated as three weighted copies (upstream quirk 1), and libm's pressure.
    pub fn new(profile: Profile, k0: usize, nz: usize, dz: f64, gauss: bool) -> Background {
        let mut rho_c = Vec::with_capacity(nz + 2 * HS);
        let mut rt_c = Vec::with_capacity(nz + 2 * HS);
        for k in 0..nz + 2 * HS {
            let kg = (k0 + k) as i64 - HS as i64;
            let centre = (kg as f64 + 0.5) * dz;
            let (mut r, mut rt) = (0.0, 0.0);
            for q in 0..3 {
                let z = if gauss { centre + (QPOINTS[q] - 0.5) * dz } else { centre };
                let (hr, ht) = profile.at(z);
                r += hr * QWEIGHTS[q];
                rt += hr * ht * QWEIGHTS[q];
            }
            rho_c.push(r);
            rt_c.push(rt);
        }
        let (mut rho_i, mut rt_i, mut p_i) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..=nz {
            let (hr, ht) = profile.at((k0 + k) as f64 * dz);
            rho_i.push(hr);
            rt_i.push(hr * ht);
            // The default mode's kernels take p with the same function, so p - p_bar is exactly
            // zero in the background state.
            p_i.push(if gauss { pressure_fast(hr * ht) } else { pressure(hr * ht) });
        }
        Background { rho_c, rt_c, rho_i, rt_i, p_i }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_agree_with_the_whole_column() {
        let whole = Background::new(Profile::ConstBv, 0, 50, 200.0, true);
        let part = Background::new(Profile::ConstBv, 20, 13, 200.0, true);
        assert_eq!(&whole.rho_c[20..20 + 17], &part.rho_c[..]);
        assert_eq!(&whole.p_i[20..34], &part.p_i[..]);
    }

    #[test]
    fn gauss_average_differs_from_centre_at_second_order() {
        let dz = 200.0;
        let g = Background::new(Profile::ConstTheta, 0, 4, dz, true);
        let c = Background::new(Profile::ConstTheta, 0, 4, dz, false);
        let rel = (g.rho_c[3] - c.rho_c[3]).abs() / c.rho_c[3];
        assert!(rel > 1e-9 && rel < 1e-5, "{rel}");
    }
}
