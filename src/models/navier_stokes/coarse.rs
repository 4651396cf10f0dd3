//! The coarsest-level solve of the multigrid hierarchy. When the level is small (at most
//! [`DENSE_MAX_CELLS`]) the plan puts it on one rank (rank 0), which factorises A + e e^T / N
//! (e = ones) once, densely (LU). For a compatible right-hand side (volume-weighted mean zero, which
//! is taken out exactly first) this gives the solution of the singular pure-Neumann / periodic
//! problem A phi = f with zero mean (the added rank-one term only acts on the null space). Larger
//! coarsest levels (very elongated grids) are smoothed by many red-black Gauss-Seidel sweeps where
//! they live.

use super::mg_level::Level;
use crate::par::team::Team;
use crate::par::{Comm, ExactSum};
use nalgebra::{DMatrix, DVector};

/// Largest coarsest level (cells) solved by dense LU.
pub const DENSE_MAX_CELLS: usize = 1024;

pub enum CoarseSolver {
    Dense {
        lu: nalgebra::LU<f64, nalgebra::Dyn, nalgebra::Dyn>,
        /// Cell volumes relative to a regular cell (1 on uniform axes), row-major.
        volume: Vec<f64>,
    },
    Sweeps(usize),
}

impl CoarseSolver {
    /// The dense solver of a whole level held by this rank.
    pub fn dense(level: &Level) -> CoarseSolver {
        let (ny, nx) = (level.d.size[1], level.d.size[2]);
        assert_eq!([ny, nx], [level.axes[0].n, level.axes[1].n], "the dense coarse solve needs the whole level");
        let n = ny * nx;
        let [ay, ax] = level.axes;
        let mut a = DMatrix::<f64>::from_element(n, n, 1.0 / n as f64);
        let id = |y: usize, x: usize| y * nx + x;
        for y in 0..ny {
            let [cs, cn] = ay.coef(y);
            for x in 0..nx {
                let [cw, ce] = ax.coef(x);
                let k = id(y, x);
                // West, east, south, north; wall faces have no coefficient.
                let nbs = [
                    (id(y, (x + nx - 1) % nx), cw),
                    (id(y, (x + 1) % nx), ce),
                    (id((y + ny - 1) % ny, x), cs),
                    (id((y + 1) % ny, x), cn),
                ];
                for (j, c) in nbs {
                    if c != 0.0 {
                        a[(k, j)] += c;
                        a[(k, k)] -= c;
                    }
                }
            }
        }
        let volume =
            (0..n).map(|k| (ay.width(k / nx) / ay.h) * (ax.width(k % nx) / ax.h)).collect::<Vec<f64>>();
        CoarseSolver::Dense { lu: a.lu(), volume }
    }

    /// Sweeps for a level too large for the dense solve.
    pub fn sweeps(level: &Level) -> CoarseSolver {
        CoarseSolver::Sweeps(4 * (level.axes[0].n + level.axes[1].n))
    }

    /// Solve on `level` (right-hand side in `level.f`) into `level.phi`; `comm` holds the level's
    /// ranks.
    pub fn solve(&self, level: &mut Level, comm: &dyn Comm, team: &Team) {
        match self {
            CoarseSolver::Dense { lu, volume } => {
                let (ny, nx) = (level.d.size[1], level.d.size[2]);
                let mut b = DVector::<f64>::zeros(ny * nx);
                for y in 0..ny {
                    for (x, &v) in level.f.row(0, y).iter().enumerate() {
                        b[y * nx + x] = v;
                    }
                }
                // The right-hand side of a compatible problem has zero volume-weighted mean; take
                // it out exactly so the rank-one term leaves the solution's mean at zero.
                let (mut bv, mut v) = (ExactSum::new(), ExactSum::new());
                for (&x, &w) in b.iter().zip(volume) {
                    bv.add(w * x);
                    v.add(w);
                }
                let mean = bv.value() / v.value();
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
                    level.smooth(comm, team);
                }
            }
        }
    }
}
