//! Global diagnostics of the flow: kinetic energy, errors against an exact solution, maxima.
//! Every sum uses the exact accumulator and every maximum a min/max reduction, so the values are
//! the same for any split.

use super::cases::Reference;
use crate::field::Field;
use crate::grid::Grid;
use crate::par::{Comm, ExactSum};

/// Kinetic energy 1/2 sum over faces of (u^2 + v^2) dx dy.
pub fn kinetic_energy(u: &Field, v: &Field, grid: &Grid, comm: &dyn Comm) -> f64 {
    let mut ke = ExactSum::new();
    for f in [u, v] {
        for y in 0..f.n[1] {
            f.row(0, y).iter().for_each(|&x| ke.add(x * x));
        }
    }
    0.5 * comm.sum_exact(&mut ke) * grid.d[1] * grid.d[2]
}

/// Error against the exact solution at `time` (Taylor-Green, Poiseuille): (RMS over all u and v
/// faces, max over faces); `None` without an exact solution. `off` is the block's global offset
/// (y, x).
pub fn reference_errors(
    reference: &Reference,
    grid: &Grid,
    off: [usize; 2],
    u: &Field,
    v: &Field,
    time: f64,
    comm: &dyn Comm,
) -> Option<(f64, f64)> {
    reference.velocity(0.0, 0.0, time)?;
    let (oy, ox) = (off[0], off[1]);
    let g = grid;
    let mut e2 = ExactSum::new();
    let mut emax = 0.0f64;
    for j in 0..u.n[1] {
        for i in 0..u.n[2] {
            let (xc, yc) = (g.centre(2, ox + i), g.centre(1, oy + j));
            let (xf, yf) = ((ox + i + 1) as f64 * g.d[2], (oy + j + 1) as f64 * g.d[1]);
            let eu = u.get(0, j as isize, i as isize) - reference.velocity(xf, yc, time)?.0;
            let ev = v.get(0, j as isize, i as isize) - reference.velocity(xc, yf, time)?.1;
            e2.add(eu * eu);
            e2.add(ev * ev);
            emax = emax.max(eu.abs()).max(ev.abs());
        }
    }
    let rms = (comm.sum_exact(&mut e2) / (2 * g.cells()) as f64).sqrt();
    let mut m = [emax];
    comm.max_f64(&mut m);
    Some((rms, m[0]))
}

/// Max |f| over the local interior.
pub fn max_abs(f: &Field) -> f64 {
    let mut m = 0.0f64;
    for y in 0..f.n[1] {
        for &x in f.row(0, y) {
            m = m.max(x.abs());
        }
    }
    m
}

/// Max |x| over the local interior, in the team's bands (the same value as [`max_abs`]).
pub fn max_abs_on(team: &crate::par::team::Team, f: &Field) -> f64 {
    let [_, ny, nx] = f.n;
    team.fold(ny, ny * nx, |rows| rows.flat_map(|y| f.row(0, y)).fold(0.0f64, |m, x| m.max(x.abs())), f64::max)
}

/// Max |a - b| over the local interior.
pub fn max_abs_diff(a: &Field, b: &Field) -> f64 {
    let mut m = 0.0f64;
    for y in 0..a.n[1] {
        for (x, z) in a.row(0, y).iter().zip(b.row(0, y)) {
            m = m.max((x - z).abs());
        }
    }
    m
}
