//! The coarsest-level solve of the multigrid hierarchy, done redundantly on every rank (the level
//! is replicated): a dense LU factorisation of A + e e^T / N (e = ones), computed once. For a
//! right-hand side with zero mean this gives the zero-mean solution of the singular pure-Neumann
//! / periodic problem A phi = f (the added rank-one term only acts on the null space).
//! Levels too large for a dense matrix fall back to many red-black Gauss-Seidel sweeps.

use super::mg_level::Level;
use crate::par::{Comm, Exec};
use nalgebra::{DMatrix, DVector};

/// Largest coarsest level (cells) solved by dense LU.
pub const DENSE_MAX_CELLS: usize = 1024;

pub enum CoarseSolver {
    Dense(nalgebra::LU<f64, nalgebra::Dyn, nalgebra::Dyn>),
    Sweeps(usize),
}

impl CoarseSolver {
    pub fn new(level: &Level) -> CoarseSolver {
        let (ny, nx) = (level.d.size[1], level.d.size[2]);
        let n = ny * nx;
        if !level.replicated || n > DENSE_MAX_CELLS {
            return CoarseSolver::Sweeps(4 * (nx + ny));
        }
        let [ay, ax] = level.ih2;
        let (py, px) = (level.d.periodic[1], level.d.periodic[2]);
        let mut a = DMatrix::<f64>::from_element(n, n, 1.0 / n as f64);
        let id = |y: usize, x: usize| y * nx + x;
        for y in 0..ny {
            for x in 0..nx {
                let k = id(y, x);
                let mut nbs: Vec<(usize, f64)> = Vec::with_capacity(4);
                if x > 0 || px {
                    nbs.push((id(y, (x + nx - 1) % nx), ax));
                }
                if x + 1 < nx || px {
                    nbs.push((id(y, (x + 1) % nx), ax));
                }
                if y > 0 || py {
                    nbs.push((id((y + ny - 1) % ny, x), ay));
                }
                if y + 1 < ny || py {
                    nbs.push((id((y + 1) % ny, x), ay));
                }
                for (j, c) in nbs {
                    a[(k, j)] += c;
                    a[(k, k)] -= c;
                }
            }
        }
        CoarseSolver::Dense(a.lu())
    }

    /// Solve on `level` (right-hand side in `level.f`) into `level.phi`.
    pub fn solve(&self, level: &mut Level, comm: &dyn Comm, exec: &Exec) {
        match self {
            CoarseSolver::Dense(lu) => {
                let (ny, nx) = (level.d.size[1], level.d.size[2]);
                let mut b = DVector::<f64>::zeros(ny * nx);
                for y in 0..ny {
                    for (x, &v) in level.f.row(0, y).iter().enumerate() {
                        b[y * nx + x] = v;
                    }
                }
                // The right-hand side of a compatible problem has zero mean; take it out exactly
                // so the rank-one term leaves the solution's mean at zero.
                let mut acc = crate::par::ExactSum::new();
                acc.add_slice(b.as_slice());
                let mean = acc.value() / (ny * nx) as f64;
                b.iter_mut().for_each(|v| *v -= mean);
                let x = lu.solve(&b).unwrap_or_else(|| DVector::zeros(ny * nx));
                for y in 0..ny {
                    for xx in 0..nx {
                        level.phi.set(0, y as isize, xx as isize, x[y * nx + xx]);
                    }
                }
            }
            CoarseSolver::Sweeps(n) => {
                for _ in 0..*n {
                    level.smooth(comm, exec);
                }
            }
        }
    }
}
