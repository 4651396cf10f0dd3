//! Geometric multigrid for the pressure Poisson equation A phi = f (5-point Laplacian, walls =
//! homogeneous Neumann, periodic wrap): V-cycles with red-black Gauss-Seidel smoothing,
//! volume-weighted restriction and bilinear prolongation (see [`super::mg_level`]), down to a
//! coarsest level solved directly (see [`super::coarse`]). Briggs, Henson & McCormick, "A
//! Multigrid Tutorial".
//!
//! The hierarchy (cell counts, widths, operators, transfers; [`super::mg_geom`]) depends only on the
//! global grid: both axes coarsen by two, odd counts with an uneven last cell, while both have at
//! least 4 cells. Where each level lives is the level plan ([`super::mg_plan`]): levels stay spread
//! like the fine grid while the blocks are thick, and are agglomerated onto fewer ranks (groups of
//! about 2 x 2 blocks onto one of their ranks, recursively) when they get thin; the coarsest level
//! is solved on rank 0 and the corrections travel back down the same way
//! ([`super::mg_agglomerate`]). A level's halo exchanges go through a communicator of the ranks
//! holding it ([`Comm::split`], made at the first solve). Every cell value is computed by the same
//! expression wherever it lives, and the global mean (the null space of the pure-Neumann problem) is
//! removed with the exact accumulator, so the iterates are bitwise identical for every ranks x
//! threads split.

use super::coarse::CoarseSolver;
use super::mg_agglomerate::Moves;
use super::mg_level::{prolong, restrict, Level, Prolong};
use super::mg_plan::{CoarseKind, Layout, Plan, Transfer};
use crate::par::team::{Shared, Team};
use crate::decomp::Decomp;
use crate::field::{Field, Region};
use crate::par::{Comm, ExactSum, Exec, SingleComm};

pub struct Multigrid {
    plan: Plan,
    /// This rank's block of each level (None where it holds none; it always holds level 0).
    levels: Vec<Option<Level>>,
    /// For each level but the coarsest: how this rank takes part in the transfer to the next.
    links: Vec<Link>,
    comms: LevelComms,
    /// On the rank holding the coarsest level.
    coarse: Option<CoarseSolver>,
    pub smooth: u32,
    /// The threads of the solve's loops ([`crate::par::team`]), made at the first solve with the
    /// Exec's thread count.
    team: Option<Team>,
}

/// This rank's part in the transfer between level k and k + 1.
struct Link {
    /// Agglomeration: this rank's block of level k on the source layout (where it restricts and
    /// prolongs) with its first global cell, and the messages to and from there.
    merged: Option<(Field, [usize; 2])>,
    moves: Option<Moves>,
    /// Prolongation from this rank's block of level k + 1 (into level k, or into `merged`).
    prolong: Option<Prolong>,
}

/// Which communicator each level's halo exchanges use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CommOf {
    /// The solve's own (the level is spread over all ranks like the fine grid).
    Solve,
    /// The level is on one rank.
    Single,
    /// `subs[i]`.
    Sub(usize),
}

struct LevelComms {
    of: Vec<CommOf>,
    /// The sub-communicators (None on ranks outside); made at the first solve.
    subs: Vec<Option<Box<dyn Comm>>>,
    made: bool,
}

impl LevelComms {
    fn new(plan: &Plan) -> LevelComms {
        let fine = &plan.levels[0].layout;
        let mut of = Vec::with_capacity(plan.levels.len());
        let mut subs = 0;
        for (k, l) in plan.levels.iter().enumerate() {
            of.push(if l.layout.ranks() == 1 {
                CommOf::Single
            } else if l.layout.same_ranks(fine) {
                CommOf::Solve
            } else if k > 0 && l.layout.same_ranks(&plan.levels[k - 1].layout) {
                of[k - 1]
            } else {
                subs += 1;
                CommOf::Sub(subs - 1)
            });
        }
        LevelComms { of, subs: Vec::new(), made: false }
    }

    /// Split the sub-communicators off `comm` (collective: every rank calls this at once).
    fn make(&mut self, plan: &Plan, comm: &dyn Comm) {
        if self.made {
            return;
        }
        for (k, l) in plan.levels.iter().enumerate() {
            if let CommOf::Sub(i) = self.of[k] {
                if i == self.subs.len() {
                    let b = l.layout.block_of_rank(comm.rank());
                    let key = b.map_or(0, |b| b[0] * l.layout.grid()[1] + b[1]);
                    self.subs.push(comm.split(b.map(|_| 0), key));
                }
            }
        }
        self.made = true;
    }

    fn get<'a>(&'a self, k: usize, solve: &'a dyn Comm) -> &'a dyn Comm {
        match self.of[k] {
            CommOf::Solve => solve,
            CommOf::Single => &SingleComm,
            CommOf::Sub(i) => self.subs[i].as_deref().expect("a rank holding a level has its communicator"),
        }
    }
}

/// Result of one solve.
#[derive(Debug, Clone, Copy, Default)]
pub struct SolveStats {
    pub cycles: u32,
    /// Max-norm residual at the start and at the end.
    pub initial_residual: f64,
    pub residual: f64,
}

impl SolveStats {
    /// The mean residual reduction per V-cycle, if the solve took cycles from a nonzero residual.
    pub fn reduction(&self) -> Option<f64> {
        (self.cycles > 0 && self.initial_residual > 0.0)
            .then(|| (self.residual / self.initial_residual).powf(1.0 / self.cycles as f64))
    }
}

/// This rank's view of block `b` of a level laid out by `layout`: a decomposition within the
/// process grid of the level's blocks.
fn block_decomp(layout: &Layout, b: [usize; 2], global: [usize; 2], periodic: [bool; 2]) -> Decomp {
    let (o, s) = layout.bounds(b);
    let g = layout.grid();
    Decomp {
        dims: 2,
        global: [1, global[0], global[1]],
        procs: [1, g[0], g[1]],
        rank: b[0] * g[1] + b[1],
        coords: [0, b[0], b[1]],
        offset: [0, o[0], o[1]],
        size: [1, s[0], s[1]],
        periodic: [false, periodic[0], periodic[1]],
    }
}

impl Multigrid {
    /// The hierarchy for the fine decomposition `fine` with spacing (dy, dx), seen from
    /// `fine.rank`.
    pub fn new(fine: &Decomp, spacing: [f64; 2], smooth: u32) -> Multigrid {
        let plan = Plan::new(fine, spacing);
        let rank = fine.rank;
        let levels: Vec<Option<Level>> = plan
            .levels
            .iter()
            .map(|l| {
                let b = l.layout.block_of_rank(rank)?;
                let ax = l.axes;
                let d = block_decomp(&l.layout, b, [ax[0].n, ax[1].n], [ax[0].periodic, ax[1].periodic]);
                Some(Level::new(d, ax))
            })
            .collect();
        debug_assert_eq!(levels[0].as_ref().map(|l| (l.d.offset, l.d.size)), Some((fine.offset, fine.size)));
        let mut links = Vec::new();
        for (k, l) in plan.levels.iter().enumerate().skip(1) {
            let (prev, fine_level) = (&plan.levels[k - 1], &levels[k - 1]);
            let agglomerated = prev.transfer == Transfer::Agglomerate;
            // The fine block the correction is prolonged into, and the coarse block it comes from.
            let merged = if agglomerated {
                prev.source.block_of_rank(rank).map(|b| {
                    let (o, s) = prev.source.bounds(b);
                    (Field::new([1, s[0], s[1]], [0, 1, 1]), o)
                })
            } else {
                None
            };
            let target = match (&merged, fine_level) {
                (Some((f, o)), _) => Some((*o, [f.n[1], f.n[2]])),
                (None, Some(fl)) if !agglomerated => Some((fl.offset(), [fl.d.size[1], fl.d.size[2]])),
                _ => None,
            };
            let prolong = match (&levels[k], target) {
                (Some(c), Some((o, s))) => Some(Prolong::new(&prev.axes, o, s, c.offset())),
                _ => None,
            };
            let moves = agglomerated.then(|| Moves::new(&prev.layout, &prev.source, rank));
            debug_assert!(l.layout.block_of_rank(rank).is_some() == prolong.is_some());
            links.push(Link { merged, moves, prolong });
        }
        let last = plan.levels.len() - 1;
        let coarse = levels[last].as_ref().and_then(|l| match plan.coarse {
            CoarseKind::None => None,
            CoarseKind::Dense => Some(CoarseSolver::dense(l)),
            CoarseKind::Sweeps => Some(CoarseSolver::sweeps(l)),
        });
        Multigrid { comms: LevelComms::new(&plan), plan, levels, links, coarse, smooth, team: None }
    }

    /// The level plan (global: the same on every rank).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn level_count(&self) -> usize {
        self.plan.levels.len()
    }

    /// The levels as `NXxNY[ranks holding it]`, for logs and tests.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .plan
            .levels
            .iter()
            .map(|l| format!("{}x{}[{}]", l.axes[1].n, l.axes[0].n, l.layout.ranks()))
            .collect();
        parts.join(" > ")
    }

    fn fine(&mut self) -> &mut Level {
        self.levels[0].as_mut().expect("every rank holds a fine block")
    }

    /// The fine right-hand side (interior) and initial guess, to fill before [`solve`].
    pub fn fine_mut(&mut self) -> (&mut Field, &mut Field) {
        let l = self.fine();
        (&mut l.f, &mut l.phi)
    }

    pub fn fine_phi(&self) -> &Field {
        &self.levels[0].as_ref().expect("every rank holds a fine block").phi
    }

    /// Solve A phi = f on the fine level to max |f - A phi| <= tol (or `max_cycles` V-cycles).
    /// The mean of f is removed first (compatibility), and the mean of phi after every cycle.
    /// The loops run on `exec.threads()` threads of the multigrid's own team.
    pub fn solve(&mut self, comm: &dyn Comm, exec: &Exec, tol: f64, max_cycles: u32) -> SolveStats {
        self.comms.make(&self.plan, comm);
        let team = match self.team.take() {
            Some(t) if t.threads() == exec.threads() => t,
            _ => Team::new(exec.threads()),
        };
        team.wake();
        let stats = self.solve_on(comm, &team, tol, max_cycles);
        team.rest();
        self.team = Some(team);
        stats
    }

    /// [`Multigrid::solve`] on the caller's team (woken by the caller: a time step that runs all
    /// its loops on one team keeps the helpers spinning from its first loop to its last).
    pub fn solve_with(&mut self, comm: &dyn Comm, team: &Team, tol: f64, max_cycles: u32) -> SolveStats {
        self.comms.make(&self.plan, comm);
        self.solve_on(comm, team, tol, max_cycles)
    }

    fn solve_on(&mut self, comm: &dyn Comm, team: &Team, tol: f64, max_cycles: u32) -> SolveStats {
        let g = self.plan.levels[0].axes;
        let cells = (g[0].n * g[1].n) as f64;
        let fm = team_mean(&self.fine().f, comm, team, cells);
        subtract(&mut self.fine().f, team, fm);
        let pm = team_mean(&self.fine().phi, comm, team, cells);
        subtract(&mut self.fine().phi, team, pm);
        let mut res = self.fine_residual(comm, team);
        let mut stats = SolveStats { cycles: 0, initial_residual: res, residual: res };
        while res > tol && stats.cycles < max_cycles {
            self.vcycle(0, comm, team);
            let m = team_mean(&self.fine().phi, comm, team, cells);
            subtract(&mut self.fine().phi, team, m);
            res = self.fine_residual(comm, team);
            stats.cycles += 1;
        }
        stats.residual = res;
        stats
    }

    fn fine_residual(&mut self, comm: &dyn Comm, team: &Team) -> f64 {
        let l = self.fine();
        l.exchange_phi(comm);
        let mut m = [l.max_residual(team)];
        comm.max_f64(&mut m);
        m[0]
    }

    /// One V-cycle from level `k` (its f and initial phi set), on a rank holding level k; `comm`
    /// is the solve's communicator.
    fn vcycle(&mut self, k: usize, comm: &dyn Comm, exec: &Team) {
        let lc = self.comms.get(k, comm);
        let (upper, lower) = self.levels.split_at_mut(k + 1);
        let level = upper[k].as_mut().expect("vcycle on a rank holding the level");
        let Some(next) = lower.first_mut() else {
            match &self.coarse {
                Some(c) => c.solve(level, lc, exec),
                // No coarser level: plain smoothing.
                None => (0..2 * self.smooth.max(1)).for_each(|_| level.smooth(lc, exec)),
            }
            return;
        };
        for _ in 0..self.smooth {
            level.smooth(lc, exec);
        }
        level.exchange_phi(lc);
        let transfer = self.plan.levels[k].transfer;
        if transfer != Transfer::Local {
            level.residual(exec);
        }
        let link = &mut self.links[k];
        let (axes, off) = (level.axes, level.offset());
        match transfer {
            Transfer::Local => {
                let c = next.as_mut().expect("a local transfer keeps the ranks");
                let co = c.offset();
                level.restrict_residual(exec, &mut c.f, co);
            }
            Transfer::Shifted => {
                // Blocks start one cell lower: the first children are the neighbour's.
                lc.exchange_halos(&level.d, &mut level.r, [0, 1, 1]);
                let c = next.as_mut().expect("a shifted transfer keeps the ranks");
                let co = c.offset();
                restrict(exec, &level.r, off, &axes, &mut c.f, co);
            }
            Transfer::Agglomerate => {
                let moves = link.moves.as_mut().expect("agglomeration has messages");
                let merged = link.merged.as_mut().map(|(f, o)| (f, *o));
                moves.forward(comm, Some((&level.r, off)), merged);
                if let (Some((m, mo)), Some(c)) = (&link.merged, next.as_mut()) {
                    let co = c.offset();
                    restrict(exec, m, *mo, &axes, &mut c.f, co);
                }
            }
        }
        if let Some(c) = next.as_mut() {
            exec.zero(&mut c.phi);
        }
        if next.is_some() {
            self.vcycle(k + 1, comm, exec);
        }
        let (upper, lower) = self.levels.split_at_mut(k + 1);
        let level = upper[k].as_mut().expect("vcycle on a rank holding the level");
        let link = &mut self.links[k];
        if let Some(c) = lower[0].as_mut() {
            c.exchange_phi_with_ghosts(self.comms.get(k + 1, comm));
            let map = link.prolong.as_ref().expect("a rank holding the coarse level prolongs");
            match link.merged.as_mut() {
                Some((m, _)) => prolong(exec, &c.phi, map, m, false),
                None => prolong(exec, &c.phi, map, &mut level.phi, true),
            }
        }
        if let Some(moves) = link.moves.as_mut() {
            let merged = link.merged.as_ref().map(|(f, o)| (f, *o));
            let off = level.offset();
            moves.backward_add(comm, merged, Some((&mut level.phi, off)));
        }
        let lc = self.comms.get(k, comm);
        for _ in 0..self.smooth {
            level.smooth(lc, exec);
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

/// [`global_mean`] of a 2-D field on the team's threads.
fn team_mean(f: &Field, comm: &dyn Comm, team: &Team, cells: f64) -> f64 {
    let ny = f.n[1];
    let mut acc = team.fold(
        ny,
        ny * f.n[2],
        |rows| {
            let mut a = ExactSum::new();
            rows.for_each(|y| a.add_slice(f.row(0, y)));
            a
        },
        |mut a, b| {
            a.merge(&b);
            a
        },
    );
    comm.sum_exact(&mut acc) / cells
}

fn subtract(f: &mut Field, team: &Team, m: f64) {
    if m == 0.0 {
        return;
    }
    let (ny, nx, s, base) = (f.n[1], f.n[2], f.strides()[1], f.idx(0, 0, 0));
    let p = Shared(f.data.as_mut_ptr());
    team.bands(ny, ny * nx, |_, rows| {
        for y in rows {
            // SAFETY: each band writes its own rows.
            let row = unsafe { std::slice::from_raw_parts_mut(p.get().add(base + y * s), nx) };
            row.iter_mut().for_each(|v| *v -= m);
        }
    });
}
