//! Initial conditions and the analytic solutions the diagnostics compare against.
//!
//! - Taylor-Green vortex on a doubly periodic box (Taylor & Green 1937): with k_x = 2 pi / L_x,
//!   k_y = 2 pi / L_y, u = sin(k_x x) cos(k_y y) E(t), v = -(k_x / k_y) cos(k_x x) sin(k_y y) E(t),
//!   E(t) = exp(-nu (k_x^2 + k_y^2) t), an exact Navier-Stokes solution; the kinetic energy decays
//!   as E(t)^2 (exp(-4 nu t) on the 2 pi-periodic square).
//! - Plane Poiseuille flow between walls y = 0 and y = L_y driven by a body force g along x:
//!   u = g / (2 nu) y (L_y - y), v = 0 (steady).

use super::config::{NavierStokesConfig, NsFaceKind, NsInitial};
use crate::grid::Grid;
use std::f64::consts::PI;

/// An exact solution the run can be measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    None,
    TaylorGreen { k: [f64; 2], nu: f64 },
    Poiseuille { g: f64, nu: f64, ly: f64 },
}

impl Reference {
    pub fn detect(cfg: &NavierStokesConfig, grid: &Grid) -> Reference {
        let b = &cfg.boundary;
        let nu = 1.0 / cfg.re;
        let periodic_x = b.x_lo.kind == NsFaceKind::Periodic;
        let periodic_y = b.y_lo.kind == NsFaceKind::Periodic;
        let force = (cfg.body_force[0], cfg.body_force[1]);
        match cfg.initial {
            NsInitial::TaylorGreen if periodic_x && periodic_y && force == (0.0, 0.0) => {
                Reference::TaylorGreen { k: [2.0 * PI / grid.len[1], 2.0 * PI / grid.len[2]], nu }
            }
            NsInitial::Rest
                if periodic_x
                    && !periodic_y
                    && force.0 != 0.0
                    && force.1 == 0.0
                    && b.y_lo.velocity == 0.0
                    && b.y_hi.velocity == 0.0 =>
            {
                Reference::Poiseuille { g: force.0, nu, ly: grid.len[1] }
            }
            _ => Reference::None,
        }
    }

    /// Exact (u, v) at (x, y) and time t, if any.
    pub fn velocity(&self, x: f64, y: f64, t: f64) -> Option<(f64, f64)> {
        match *self {
            Reference::None => None,
            Reference::TaylorGreen { k: [ky, kx], nu } => {
                let e = (-nu * (kx * kx + ky * ky) * t).exp();
                Some(((kx * x).sin() * (ky * y).cos() * e, -(kx / ky) * (kx * x).cos() * (ky * y).sin() * e))
            }
            Reference::Poiseuille { g, nu, ly } => Some((g / (2.0 * nu) * y * (ly - y), 0.0)),
        }
    }

    /// Exact kinetic energy 1/2 int |u|^2 over the domain (Taylor-Green only).
    pub fn kinetic_energy(&self, grid: &Grid, t: f64) -> Option<f64> {
        match *self {
            Reference::TaylorGreen { k: [ky, kx], nu } => {
                let area = grid.len[1] * grid.len[2];
                let e = (-nu * (kx * kx + ky * ky) * t).exp();
                Some(0.5 * area / 4.0 * (1.0 + (kx / ky) * (kx / ky)) * e * e)
            }
            _ => None,
        }
    }
}

/// Initial (u, v) at (x, y).
pub fn initial_velocity(cfg: &NavierStokesConfig, grid: &Grid, x: f64, y: f64) -> (f64, f64) {
    match cfg.initial {
        NsInitial::Rest => (0.0, 0.0),
        NsInitial::TaylorGreen => {
            let (kx, ky) = (2.0 * PI / grid.len[2], 2.0 * PI / grid.len[1]);
            ((kx * x).sin() * (ky * y).cos(), -(kx / ky) * (kx * x).cos() * (ky * y).sin())
        }
    }
}

/// A speed scale for the stability estimate before the run: wall speeds, the initial field's
/// amplitude, the Poiseuille centre-line speed.
pub fn speed_scale(cfg: &NavierStokesConfig, grid: &Grid) -> (f64, f64) {
    let walls = cfg.boundary.named().iter().map(|(_, f)| f.velocity.abs()).fold(0.0, f64::max);
    let (mut su, mut sv) = (walls, walls);
    if cfg.initial == NsInitial::TaylorGreen {
        su = su.max(1.0);
        sv = sv.max(grid.len[1] / grid.len[2]);
    }
    if let Reference::Poiseuille { g, nu, ly } = Reference::detect(cfg, grid) {
        su = su.max(g.abs() / (8.0 * nu) * ly * ly);
    }
    (su, sv)
}
