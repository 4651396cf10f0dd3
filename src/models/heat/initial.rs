//! Initial temperature: background, then shapes in order, then an optional sine mode and noise.
//! Every value is a function of the global cell index only, so it does not depend on the split.

use super::config::{InitialConfig, Shape};
use crate::grid::Grid;
use std::f64::consts::PI;

/// Initial temperature of global cell `g` = (z, y, x).
pub fn value(ic: &InitialConfig, grid: &Grid, g: [usize; 3]) -> f64 {
    // Coordinates in user order (x, y[, z]).
    let p: Vec<f64> = grid.axes().rev().map(|a| grid.centre(a, g[a])).collect();
    let mut t = ic.background;
    for s in &ic.shapes {
        match s {
            Shape::Disc { center, radius, value } | Shape::Sphere { center, radius, value } => {
                if dist2(&p, center) <= radius * radius {
                    t = *value;
                }
            }
            Shape::Box { lo, hi, value } => {
                if p.iter().zip(lo.iter().zip(hi)).all(|(x, (l, h))| x >= l && x <= h) {
                    t = *value;
                }
            }
            Shape::Gaussian { center, sigma, amplitude } => {
                t += amplitude * (-dist2(&p, center) / (2.0 * sigma * sigma)).exp();
            }
        }
    }
    if let Some(sine) = &ic.sine {
        t += sine.amplitude * sine_shape(&sine.k, grid, &p);
    }
    if let Some(n) = &ic.noise {
        let index = (g[0] as u64 * grid.n[1] as u64 + g[1] as u64) * grid.n[2] as u64 + g[2] as u64;
        t += n.amplitude * (2.0 * unit(n.seed, index) - 1.0);
    }
    t
}

/// prod_d sin(k_d pi x_d / L_d), with `p` and `k` in user order (x, y[, z]).
pub fn sine_shape(k: &[u32], grid: &Grid, p: &[f64]) -> f64 {
    p.iter().zip(k).zip(grid.axes().rev()).map(|((x, &k), a)| (k as f64 * PI * x / grid.len[a]).sin()).product()
}

/// Decay rate of the sine mode: alpha pi^2 sum_d (k_d / L_d)^2.
pub fn sine_decay_rate(k: &[u32], grid: &Grid, alpha: f64) -> f64 {
    alpha * PI * PI * k.iter().zip(grid.axes().rev()).map(|(&k, a)| (k as f64 / grid.len[a]).powi(2)).sum::<f64>()
}

fn dist2(p: &[f64], c: &[f64]) -> f64 {
    p.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum()
}

/// A uniform number in [0, 1) keyed by (seed, global cell index): SplitMix64 (Steele, Lea &
/// Flood, OOPSLA 2014) of the key, 53 bits.
pub fn unit(seed: u64, index: u64) -> f64 {
    let z = splitmix64(splitmix64(seed) ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
