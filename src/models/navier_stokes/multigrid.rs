//! Geometric multigrid for the pressure Poisson equation A phi = f (5-point Laplacian, walls =
//! homogeneous Neumann, periodic wrap): V-cycles with red-black Gauss-Seidel smoothing, averaging
//! restriction and bilinear prolongation (see [`super::mg_level`]), down to a coarsest level
//! solved directly (see [`super::coarse`]). Briggs, Henson & McCormick, "A Multigrid Tutorial".
//!
//! The hierarchy of global grid sizes depends only on the global grid (halve while both sides are
//! even and at least 4), never on the split. Levels are distributed over the ranks like the fine
//! grid while every rank's block can be halved (even offsets and sizes) and keeps at least
//! [`MIN_BLOCK_CELLS`] cells; from the first level where that fails the level is gathered to every
//! rank (`Comm::all_gather_f64`) and the rest of the hierarchy is solved redundantly (small coarse
//! levels cost less redundantly than in a dozen latency-bound halo exchanges per V-cycle). Every cell value
//! is computed by the same expression wherever it lives, and the global mean (the null space of
//! the pure-Neumann problem) is removed with the exact accumulator, so the iterates are bitwise
//! identical for every ranks x threads split.

use super::coarse::CoarseSolver;
use super::mg_level::{prolong_add, restrict, Level};
use crate::decomp::Decomp;
use crate::field::{Field, Region};
use crate::par::{Comm, ExactSum, Exec};

/// Smallest rank block (cells) of a distributed coarse level.
pub const MIN_BLOCK_CELLS: usize = 256;

pub struct Multigrid {
    pub levels: Vec<Level>,
    coarse: CoarseSolver,
    pub smooth: u32,
    /// Scratch for the local part of a level that is gathered.
    gather_buf: Field,
}

/// Result of one solve.
#[derive(Debug, Clone, Copy, Default)]
pub struct SolveStats {
    pub cycles: u32,
    /// Max-norm residual at the start and at the end.
    pub initial_residual: f64,
    pub residual: f64,
}

impl Multigrid {
    /// The hierarchy for the fine decomposition `fine` with spacing (dy, dx).
    pub fn new(fine: &Decomp, spacing: [f64; 2], smooth: u32) -> Multigrid {
        let nr = fine.nranks();
        let mut levels = vec![Level::new(fine.clone(), false, (0..nr).map(|r| fine.block_of(r)).collect(), spacing)];
        let mut g = [fine.global[1], fine.global[2]];
        let mut h = spacing;
        while g[0].is_multiple_of(2) && g[1].is_multiple_of(2) && g[0] >= 4 && g[1] >= 4 {
            g = [g[0] / 2, g[1] / 2];
            h = [h[0] * 2.0, h[1] * 2.0];
            let prev = levels.last().expect("at least the fine level");
            let coarsest = !(g[0].is_multiple_of(2) && g[1].is_multiple_of(2) && g[0] >= 4 && g[1] >= 4);
            let halvable = !prev.replicated
                && prev.blocks.iter().all(|(o, s)| {
                    o[1] % 2 == 0
                        && o[2] % 2 == 0
                        && s[1] % 2 == 0
                        && s[2] % 2 == 0
                        && (s[1] / 2) * (s[2] / 2) >= MIN_BLOCK_CELLS
                });
            let global = [1, g[0], g[1]];
            let level = if halvable && !coarsest {
                let blocks: Vec<_> =
                    prev.blocks.iter().map(|(o, s)| ([0, o[1] / 2, o[2] / 2], [1, s[1] / 2, s[2] / 2])).collect();
                let mut d = prev.d.clone();
                d.global = global;
                (d.offset, d.size) = blocks[d.rank];
                Level::new(d, false, blocks, h)
            } else {
                Level::new(Decomp::single(global, 2, fine.periodic), true, Vec::new(), h)
            };
            levels.push(level);
        }
        let coarse = CoarseSolver::new(levels.last().expect("non-empty"));
        Multigrid { levels, coarse, smooth, gather_buf: Field::new([1, 1, 1], [0, 0, 0]) }
    }

    /// Number of levels and whether each is replicated (for logs and tests).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .levels
            .iter()
            .map(|l| format!("{}x{}{}", l.d.global[2], l.d.global[1], if l.replicated { "(r)" } else { "" }))
            .collect();
        parts.join(" > ")
    }

    /// The fine right-hand side (interior) and initial guess, to fill before [`solve`].
    pub fn fine_mut(&mut self) -> (&mut Field, &mut Field) {
        let l = &mut self.levels[0];
        (&mut l.f, &mut l.phi)
    }

    pub fn fine_phi(&self) -> &Field {
        &self.levels[0].phi
    }

    /// Solve A phi = f on the fine level to max |f - A phi| <= tol (or `max_cycles` V-cycles).
    /// The mean of f is removed first (compatibility), and the mean of phi after every cycle.
    pub fn solve(&mut self, comm: &dyn Comm, exec: &Exec, tol: f64, max_cycles: u32) -> SolveStats {
        let cells = (self.levels[0].d.global[1] * self.levels[0].d.global[2]) as f64;
        let fm = global_mean(&self.levels[0].f, comm, exec, cells);
        subtract(&mut self.levels[0].f, exec, fm);
        let pm = global_mean(&self.levels[0].phi, comm, exec, cells);
        subtract(&mut self.levels[0].phi, exec, pm);
        let mut res = self.fine_residual(comm, exec);
        let mut stats = SolveStats { cycles: 0, initial_residual: res, residual: res };
        while res > tol && stats.cycles < max_cycles {
            self.vcycle(0, comm, exec);
            let m = global_mean(&self.levels[0].phi, comm, exec, cells);
            subtract(&mut self.levels[0].phi, exec, m);
            res = self.fine_residual(comm, exec);
            stats.cycles += 1;
        }
        stats.residual = res;
        stats
    }

    fn fine_residual(&mut self, comm: &dyn Comm, exec: &Exec) -> f64 {
        let l = &mut self.levels[0];
        l.exchange_phi(comm);
        l.residual(exec);
        let mut m = [l.local_max_residual()];
        comm.max_f64(&mut m);
        m[0]
    }

    /// One V-cycle from level `k` (its f and initial phi set).
    pub fn vcycle(&mut self, k: usize, comm: &dyn Comm, exec: &Exec) {
        if k + 1 == self.levels.len() {
            let l = &mut self.levels[k];
            if k == 0 {
                // No coarser level: plain smoothing.
                for _ in 0..2 * self.smooth.max(1) {
                    l.smooth(comm, exec);
                }
            } else {
                self.coarse.solve(l, comm, exec);
            }
            return;
        }
        for _ in 0..self.smooth {
            self.levels[k].smooth(comm, exec);
        }
        self.levels[k].exchange_phi(comm);
        self.levels[k].residual(exec);
        self.restrict_to(k, comm, exec);
        self.levels[k + 1].phi.data.fill(0.0);
        self.vcycle(k + 1, comm, exec);
        self.prolong_from(k + 1, comm, exec);
        for _ in 0..self.smooth {
            self.levels[k].smooth(comm, exec);
        }
    }

    /// Coarse f of level k+1 from the residual of level k. Distributed to replicated: if every
    /// block of level k is even, restrict locally and gather the coarse blocks; otherwise gather
    /// the fine residual and restrict the whole level on every rank.
    fn restrict_to(&mut self, k: usize, comm: &dyn Comm, exec: &Exec) {
        let (fine, coarse) = self.levels.split_at_mut(k + 1);
        let (fine, coarse) = (&fine[k], &mut coarse[0]);
        if fine.replicated || !coarse.replicated {
            restrict(exec, &fine.r, &mut coarse.f);
            return;
        }
        let even = fine.blocks.iter().all(|(o, s)| o[1] % 2 == 0 && o[2] % 2 == 0 && s[1] % 2 == 0 && s[2] % 2 == 0);
        if even {
            let s = fine.d.size;
            let local = [1, s[1] / 2, s[2] / 2];
            if self.gather_buf.n != local {
                self.gather_buf = Field::new(local, [0, 0, 0]);
            }
            restrict(exec, &fine.r, &mut self.gather_buf);
            let halves: Vec<_> =
                fine.blocks.iter().map(|(o, s)| ([0, o[1] / 2, o[2] / 2], [1, s[1] / 2, s[2] / 2])).collect();
            let all = comm.all_gather_f64(&self.gather_buf.data);
            place_blocks(&all, &halves, &mut coarse.f);
        } else {
            let g = fine.d.global;
            if self.gather_buf.n != g {
                self.gather_buf = Field::new(g, [0, 0, 0]);
            }
            let all = comm.all_gather_f64(&fine.r.interior_vec());
            place_blocks(&all, &fine.blocks, &mut self.gather_buf);
            restrict(exec, &self.gather_buf, &mut coarse.f);
        }
    }

    fn prolong_from(&mut self, k: usize, comm: &dyn Comm, exec: &Exec) {
        let (fine, coarse) = self.levels.split_at_mut(k);
        let (fine, coarse) = (&mut fine[k - 1], &mut coarse[0]);
        coarse.exchange_phi_with_ghosts(comm);
        let c_off = [coarse.d.offset[1], coarse.d.offset[2]];
        let f_off = [fine.d.offset[1], fine.d.offset[2]];
        prolong_add(exec, &coarse.phi, c_off, &mut fine.phi, f_off);
    }
}

/// Copy the concatenated rank blocks `all` (rank order, each C order) into `out` at their
/// offsets.
fn place_blocks(all: &[f64], blocks: &[([usize; 3], [usize; 3])], out: &mut Field) {
    let mut k = 0;
    for (o, s) in blocks {
        for y in 0..s[1] {
            let i = out.idx(0, (o[1] + y) as isize, o[2] as isize);
            out.data[i..i + s[2]].copy_from_slice(&all[k..k + s[2]]);
            k += s[2];
        }
    }
}

/// Exact global mean of a field's interior.
pub fn global_mean(f: &Field, comm: &dyn Comm, exec: &Exec, cells: f64) -> f64 {
    let mut acc = exec.fold_rows(
        f,
        Region::whole(f.n),
        ExactSum::new,
        |a, _, _, row| row.iter().for_each(|&v| a.add(v)),
        |mut a, b| {
            a.merge(&b);
            a
        },
    );
    comm.sum_exact(&mut acc) / cells
}

fn subtract(f: &mut Field, exec: &Exec, m: f64) {
    if m == 0.0 {
        return;
    }
    let n = f.n;
    exec.for_each_row(f, Region::whole(n), |_, _, row| row.iter_mut().for_each(|v| *v -= m));
}
