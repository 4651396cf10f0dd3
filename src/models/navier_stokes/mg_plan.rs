//! Where every multigrid level lives: the level plan. Pure logic over the global grid and the
//! process grid, no MPI, so `simrun check --ranks N` and unit tests can compute it for any N.
//!
//! A level's *layout* is a tensor product of two axis splits: along each axis, blocks of
//! consecutive cells, each owned by one coordinate of the fine process grid; the rank owning block
//! (by, bx) is the fine rank (owner_y[by], owner_x[bx]). The fine level uses the run's
//! decomposition. Going from level k to k + 1, along each axis:
//!
//! 1. if the coarse blocks would be thinner than [`MIN_SIDE`] cells, the axis is *agglomerated*:
//!    re-split over half as many blocks (balanced), owned by every other owner, and again until
//!    the coarse blocks are thick enough or one block is left. The same idea as HPGMG-FV (boxes
//!    are halved while larger than `MG_AGGLOMERATION_START` = 8 cells a side, then merged 8 to 1
//!    onto fewer ranks, Adams et al., hpgmg.org), AMReX MLMG's `agglomeration` and
//!    `consolidation` (coarse grids merged and moved onto fewer ranks when they get small) and
//!    PETSc's `PCTELESCOPE` (a coarse problem moved onto a sub-communicator);
//! 2. odd block boundaries move down by one cell, so every block starts on an even cell and
//!    restricts to whole coarse cells (a restriction then reads one halo row or column).
//!
//! The coarse layout is the result halved. When step 1 changed anything the residual of level k is
//! sent to the new owners before restricting, and the correction comes back the same way
//! ([`Transfer::Agglomerate`]); otherwise restriction and prolongation stay on each rank
//! ([`Transfer::Local`], or [`Transfer::Shifted`] after step 2). The coarsest level, when small
//! enough for a dense solve, is agglomerated onto one rank (rank 0). Agglomeration keeps the
//! blocks of the levels it produces between MIN_SIDE and about 2 MIN_SIDE cells thick (the merged
//! blocks they are restricted from twice that), so what one rank receives per V-cycle is bounded
//! independently of the rank count.
//!
//! The hierarchy itself (cell counts, widths, operators: [`super::mg_geom`]) depends only on the
//! global grid, so every layout computes the same numbers; the layouts decide only who computes
//! them.

use super::coarse::DENSE_MAX_CELLS;
use super::mg_geom::{hierarchy, Axis};
use crate::decomp::{split, Decomp};
use std::fmt::Write as _;
use std::ops::Range;

/// Agglomerate along an axis when a coarse block would have fewer cells than this along it (the
/// blocks of distributed levels keep at least MIN_SIDE^2 = 256 cells, as before).
pub const MIN_SIDE: usize = 16;

/// `simrun check` warns when one rank receives more than this per V-cycle in one coarse gather.
pub const GATHER_WARN_BYTES: usize = 16 << 20;

/// One axis of a layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisSplit {
    /// Block b covers cells cuts[b]..cuts[b + 1].
    pub cuts: Vec<usize>,
    /// The fine process-grid coordinate (along this axis) of the rank owning block b; increasing.
    pub owners: Vec<usize>,
}

impl AxisSplit {
    /// `n` cells over `p` ranks as the decomposition splits them.
    pub fn even_split(n: usize, p: usize) -> AxisSplit {
        let mut cuts: Vec<usize> = (0..p).map(|c| split(n, p, c).0).collect();
        cuts.push(n);
        AxisSplit { cuts, owners: (0..p).collect() }
    }

    pub fn blocks(&self) -> usize {
        self.owners.len()
    }

    pub fn n(&self) -> usize {
        self.cuts[self.blocks()]
    }

    /// (first cell, cells) of block b.
    pub fn block(&self, b: usize) -> (usize, usize) {
        (self.cuts[b], self.cuts[b + 1] - self.cuts[b])
    }

    fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.cuts.windows(2).map(|w| w[1] - w[0])
    }

    /// The block owned by process-grid coordinate `coord`, if any.
    pub fn block_of_owner(&self, coord: usize) -> Option<usize> {
        self.owners.binary_search(&coord).ok()
    }

    /// The blocks overlapping cells lo..hi.
    pub fn overlapping(&self, lo: usize, hi: usize) -> Range<usize> {
        let b = self.blocks();
        self.cuts[1..].partition_point(|&c| c <= lo)..self.cuts[..b].partition_point(|&c| c < hi)
    }

    /// Odd inner boundaries moved down one cell: every block starts on an even cell.
    fn even_cuts(&self) -> AxisSplit {
        let b = self.blocks();
        let cuts = self.cuts.iter().enumerate().map(|(i, &c)| if i == 0 || i == b { c } else { c & !1 }).collect();
        AxisSplit { cuts, owners: self.owners.clone() }
    }

    /// Half as many blocks (rounded up), balanced, owned by every other owner.
    fn agglomerate(&self) -> AxisSplit {
        let (n, q) = (self.n(), self.blocks().div_ceil(2));
        let mut cuts: Vec<usize> = (0..q).map(|c| split(n, q, c).0).collect();
        cuts.push(n);
        AxisSplit { cuts, owners: (0..q).map(|c| self.owners[2 * c]).collect() }
    }

    /// The coarse split of an axis whose inner boundaries are even, onto `coarse_n` cells.
    fn halve(&self, coarse_n: usize) -> AxisSplit {
        let b = self.blocks();
        let cuts = self.cuts.iter().enumerate().map(|(i, &c)| if i == b { coarse_n } else { c / 2 }).collect();
        AxisSplit { cuts, owners: self.owners.clone() }
    }
}

/// Where a level lives: blocks (y, x) and their owners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Splits along y and x.
    pub axes: [AxisSplit; 2],
    /// Ranks along x in the fine process grid: the rank at coordinates (cy, cx) is cy * px + cx.
    pub px: usize,
}

impl Layout {
    pub fn of_decomp(d: &Decomp) -> Layout {
        Layout {
            axes: [AxisSplit::even_split(d.global[1], d.procs[1]), AxisSplit::even_split(d.global[2], d.procs[2])],
            px: d.procs[2],
        }
    }

    /// Blocks along (y, x).
    pub fn grid(&self) -> [usize; 2] {
        [self.axes[0].blocks(), self.axes[1].blocks()]
    }

    pub fn ranks(&self) -> usize {
        self.axes[0].blocks() * self.axes[1].blocks()
    }

    /// The rank owning block (by, bx).
    pub fn rank_of(&self, b: [usize; 2]) -> usize {
        self.axes[0].owners[b[0]] * self.px + self.axes[1].owners[b[1]]
    }

    /// The block (by, bx) of `rank`, if it holds one.
    pub fn block_of_rank(&self, rank: usize) -> Option<[usize; 2]> {
        Some([self.axes[0].block_of_owner(rank / self.px)?, self.axes[1].block_of_owner(rank % self.px)?])
    }

    /// (first cell (y, x), cells (y, x)) of block b.
    pub fn bounds(&self, b: [usize; 2]) -> ([usize; 2], [usize; 2]) {
        let (oy, sy) = self.axes[0].block(b[0]);
        let (ox, sx) = self.axes[1].block(b[1]);
        ([oy, ox], [sy, sx])
    }

    /// The largest block (cells).
    pub fn max_cells(&self) -> usize {
        self.axes[0].sizes().max().unwrap_or(0) * self.axes[1].sizes().max().unwrap_or(0)
    }

    /// Has every owner of `self` a block in `other` and vice versa (same ranks)?
    pub fn same_ranks(&self, other: &Layout) -> bool {
        self.axes[0].owners == other.axes[0].owners && self.axes[1].owners == other.axes[1].owners
    }
}

/// How the residual of a level reaches the next coarser level (and the correction comes back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// Each rank restricts its own block.
    Local,
    /// Each rank restricts its own block with odd boundaries moved down one cell: it reads one
    /// halo row or column of the residual (exchanged first).
    Shifted,
    /// The residual is sent to fewer ranks (the `source` layout) which restrict; the correction
    /// is prolonged there and sent back.
    Agglomerate,
}

/// One level of the plan.
#[derive(Clone, Debug)]
pub struct PlanLevel {
    /// The level's global geometry (y, x).
    pub axes: [Axis; 2],
    /// Where the level is smoothed.
    pub layout: Layout,
    /// Where the next level is restricted from and prolonged into (= `layout` unless agglomerated
    /// or shifted). Meaningless on the coarsest level.
    pub source: Layout,
    pub transfer: Transfer,
    /// Most cells one rank receives from the others when this level is agglomerated (the same
    /// number goes back as corrections), 0 otherwise.
    pub gather_cells: usize,
}

/// How the coarsest level is solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoarseKind {
    /// Only one level: smoothing.
    None,
    /// Dense LU on one rank (rank 0).
    Dense,
    /// Too large for a dense matrix: many red-black sweeps where the level lives.
    Sweeps,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub levels: Vec<PlanLevel>,
    pub coarse: CoarseKind,
}

impl Plan {
    /// The plan for the fine decomposition `d` with cell spacing (dy, dx).
    pub fn new(d: &Decomp, spacing: [f64; 2]) -> Plan {
        let fine = [
            Axis::uniform(d.global[1], spacing[0], d.periodic[1]),
            Axis::uniform(d.global[2], spacing[1], d.periodic[2]),
        ];
        let geo = hierarchy(fine);
        let coarse = match geo.len() {
            1 => CoarseKind::None,
            _ if geo[geo.len() - 1][0].n * geo[geo.len() - 1][1].n <= DENSE_MAX_CELLS => CoarseKind::Dense,
            _ => CoarseKind::Sweeps,
        };
        let mut levels = Vec::with_capacity(geo.len());
        let mut layout = Layout::of_decomp(d);
        for (k, axes) in geo.iter().enumerate() {
            let Some(next) = geo.get(k + 1) else {
                let source = layout.clone();
                levels.push(PlanLevel { axes: *axes, layout, source, transfer: Transfer::Local, gather_cells: 0 });
                break;
            };
            // The coarsest level of a dense solve lives on one rank.
            let to_one = k + 2 == geo.len() && coarse == CoarseKind::Dense;
            let mut source = layout.clone();
            let mut agglomerated = false;
            for (s, coarse_axis) in source.axes.iter_mut().zip(next) {
                loop {
                    let thick = || s.even_cuts().halve(coarse_axis.n).sizes().min().unwrap_or(0) >= MIN_SIDE;
                    if s.blocks() == 1 || (!to_one && thick()) {
                        break;
                    }
                    *s = s.agglomerate();
                    agglomerated = true;
                }
                *s = s.even_cuts();
            }
            let transfer = if agglomerated {
                Transfer::Agglomerate
            } else if source != layout {
                Transfer::Shifted
            } else {
                Transfer::Local
            };
            let gather_cells = if agglomerated { most_received(&layout, &source) } else { 0 };
            let coarse_layout =
                Layout { axes: [0, 1].map(|a| source.axes[a].halve(next[a].n)), px: layout.px };
            levels.push(PlanLevel { axes: *axes, layout, source, transfer, gather_cells });
            layout = coarse_layout;
        }
        Plan { levels, coarse }
    }

    /// Most cells one rank receives from the others in any coarse gather of a V-cycle.
    pub fn max_gather_cells(&self) -> usize {
        self.levels.iter().map(|l| l.gather_cells).max().unwrap_or(0)
    }

    /// Cells on the critical path of one V-cycle relative to the fine block: the sum over levels
    /// of the largest block (4/3 when every level is spread like the fine one).
    pub fn work_ratio(&self) -> f64 {
        let fine = self.levels[0].layout.max_cells() as f64;
        self.levels.iter().map(|l| l.layout.max_cells() as f64).sum::<f64>() / fine
    }

    /// The level plan as a table, for `simrun check`.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let l0 = &self.levels[0].layout;
        let _ = writeln!(
            s,
            "multigrid plan: {} levels on {} rank(s) ({} x {}); agglomerate below {MIN_SIDE} cells per block side",
            self.levels.len(),
            l0.ranks(),
            l0.grid()[1],
            l0.grid()[0]
        );
        let _ = writeln!(s, "  level  grid (x*y)     ranks (x*y)          cells/rank  to the next level");
        for (k, l) in self.levels.iter().enumerate() {
            let next = if k + 1 == self.levels.len() {
                match self.coarse {
                    CoarseKind::None => "smoothing only (no coarser level)".to_string(),
                    CoarseKind::Dense => format!("coarsest: dense LU of {} cells on rank 0", l.layout.max_cells()),
                    CoarseKind::Sweeps => format!(
                        "coarsest: {} red-black sweeps (too large for the dense solve)",
                        4 * (l.axes[0].n + l.axes[1].n)
                    ),
                }
            } else {
                match l.transfer {
                    Transfer::Local => "restrict on each rank".to_string(),
                    Transfer::Shifted => "restrict on each rank (odd block boundaries shifted)".to_string(),
                    Transfer::Agglomerate => format!(
                        "agglomerate onto {} rank{}: gather {} cells ({}) per receiving rank",
                        l.source.ranks(),
                        if l.source.ranks() == 1 { "" } else { "s" },
                        l.gather_cells,
                        bytes(8 * l.gather_cells)
                    ),
                }
            };
            let grid = format!("{}x{}", l.axes[1].n, l.axes[0].n);
            let ranks = format!("{} ({}x{})", l.layout.ranks(), l.layout.grid()[1], l.layout.grid()[0]);
            let _ = writeln!(s, "  {k:>5}  {grid:<13}  {ranks:<19}  {:>10}  {next}", l.layout.max_cells());
        }
        let _ = writeln!(
            s,
            "coarse gather per rank and V-cycle: at most {} cells ({}); critical-path work {:.3} x the fine block (4/3 = 1.333 ideal)",
            self.max_gather_cells(),
            bytes(8 * self.max_gather_cells()),
            self.work_ratio()
        );
        s
    }

    /// Warnings for `simrun check`: a coarse gather above [`GATHER_WARN_BYTES`], a coarsest level
    /// solved by sweeps.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        let g = 8 * self.max_gather_cells();
        if g > GATHER_WARN_BYTES {
            w.push(format!(
                "a coarse gather moves {} to one rank per V-cycle (more than {})",
                bytes(g),
                bytes(GATHER_WARN_BYTES)
            ));
        }
        let fine = &self.levels[0];
        if self.coarse == CoarseKind::None && fine.axes[0].n * fine.axes[1].n > DENSE_MAX_CELLS.min(256) {
            w.push(format!(
                "multigrid finds no coarser level for {}x{} cells: the pressure solve is smoothing alone and converges slowly (solves that stop at navier_stokes.multigrid.max_cycles leave the velocity divergent); choose nx and ny that halve",
                fine.axes[1].n, fine.axes[0].n
            ));
        }
        if self.coarse == CoarseKind::Sweeps {
            let l = &self.levels[self.levels.len() - 1];
            w.push(format!(
                "the coarsest multigrid level ({}x{} cells) is too large for the dense solve ({DENSE_MAX_CELLS} cells) and is smoothed instead: a very elongated grid converges slowly",
                l.axes[1].n, l.axes[0].n
            ));
        }
        w
    }
}

/// Most cells a block of `to` receives from other ranks' blocks of `from`.
fn most_received(from: &Layout, to: &Layout) -> usize {
    let mut most = 0;
    for by in 0..to.axes[0].blocks() {
        for bx in 0..to.axes[1].blocks() {
            let ([oy, ox], [sy, sx]) = to.bounds([by, bx]);
            let own = match from.block_of_rank(to.rank_of([by, bx])) {
                Some(b) => {
                    let ([fy, fx], [ty, tx]) = from.bounds(b);
                    overlap(oy, sy, fy, ty) * overlap(ox, sx, fx, tx)
                }
                None => 0,
            };
            most = most.max(sy * sx - own);
        }
    }
    most
}

fn overlap(a: usize, na: usize, b: usize, nb: usize) -> usize {
    (a + na).min(b + nb).saturating_sub(a.max(b))
}

fn bytes(b: usize) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fine decomposition of `p` ranks with blocks of `block` (y, x) cells each (weak scaling):
    /// the process grid is as square as `p` allows, more ranks along y.
    fn weak(block: [usize; 2], p: usize, periodic: bool) -> Decomp {
        let py = (1..=p).filter(|d| p.is_multiple_of(*d) && d * d >= p).min().unwrap();
        let px = p / py;
        Decomp::new([1, block[0] * py, block[1] * px], 2, p, 0, [false, periodic, periodic], Some(&[px, py])).unwrap()
    }

    /// The old plan's coarse gather (cells every rank received per V-cycle): levels stayed
    /// distributed while every block could be halved into >= 256 cells, then the next level was
    /// gathered to every rank (its global size).
    fn old_gather(d: &Decomp) -> usize {
        let (mut l, mut g) = (Layout::of_decomp(d), [d.global[1], d.global[2]]);
        while g.iter().all(|&n| n.is_multiple_of(2) && n >= 4) {
            let even = l.axes.iter().all(|a| a.cuts.iter().all(|c| c.is_multiple_of(2)));
            let halves = [0, 1].map(|a| l.axes[a].halve(g[a] / 2));
            let thick = halves[0].sizes().min().unwrap() * halves[1].sizes().min().unwrap() >= 256;
            if !(even && thick) {
                return if even { g[0] * g[1] / 4 } else { g[0] * g[1] };
            }
            g = [g[0] / 2, g[1] / 2];
            l = Layout { axes: halves, px: l.px };
        }
        0
    }

    /// Every layout tiles its level, every coarse layout is the halved source layout (even
    /// boundaries), and ranks only ever drop out.
    fn check_layouts(plan: &Plan) {
        for (k, l) in plan.levels.iter().enumerate() {
            for (a, s) in l.layout.axes.iter().enumerate() {
                assert_eq!((s.cuts[0], s.n()), (0, l.axes[a].n));
                assert!(s.cuts.windows(2).all(|w| w[0] < w[1]), "empty block at level {k}");
                assert!(s.owners.windows(2).all(|w| w[0] < w[1]));
            }
            let Some(next) = plan.levels.get(k + 1) else { break };
            for a in 0..2 {
                let src = &l.source.axes[a];
                assert!(src.cuts[..src.blocks()].iter().all(|c| c.is_multiple_of(2)), "odd boundary at level {k}");
                assert_eq!(next.layout.axes[a], src.halve(next.axes[a].n));
                assert!(src.owners.iter().all(|o| l.layout.axes[a].block_of_owner(*o).is_some()));
            }
        }
        if plan.coarse == CoarseKind::Dense {
            let last = &plan.levels[plan.levels.len() - 1].layout;
            assert_eq!((last.ranks(), last.rank_of([0, 0])), (1, 0));
        }
    }

    #[test]
    fn coarse_gather_per_rank_stays_bounded_up_to_65536_ranks() {
        let mut ps: Vec<usize> = (0..=16).map(|e| 1 << e).collect();
        ps.extend([3, 6, 12, 48, 96, 384, 1000, 3000, 10_000, 40_000]);
        // Blocks (y, x) per rank: powers of two, an odd factor (500 = 4 x 125), odd, elongated.
        for block in [[512, 512], [500, 500], [125, 125], [384, 200], [64, 64], [30, 1000]] {
            let (mut worst, mut work) = ((0, 0), 0.0f64);
            for &p in &ps {
                for periodic in [false, true] {
                    let d = weak(block, p, periodic);
                    let plan = Plan::new(&d, [1.0, 1.0]);
                    check_layouts(&plan);
                    let g = plan.max_gather_cells();
                    // An agglomerated axis keeps blocks thinner than about 4 MIN_SIDE (they were
                    // thinner than 2 MIN_SIDE before merging two), the other axis keeps at most
                    // its fine thickness: what one rank receives does not grow with P.
                    let side = |a: usize| (4 * MIN_SIDE + 4).max(block[a]);
                    assert!(
                        g <= side(0).min(4 * MIN_SIDE + 4) * side(1) + side(0) * side(1).min(4 * MIN_SIDE + 4),
                        "{block:?} on {p} ranks: a rank receives {g} cells\n{}",
                        plan.table()
                    );
                    // No rank ever holds more of a coarse level than the fine block or a
                    // 4 MIN_SIDE square; with large fine blocks the critical path stays near 4/3
                    // of the fine work (each agglomerated level adds at most a 4 MIN_SIDE square).
                    let most = plan.levels.iter().map(|l| l.layout.max_cells()).max().unwrap();
                    assert!(most <= (block[0] * block[1]).max(16 * MIN_SIDE * MIN_SIDE), "{block:?} on {p}: {most}");
                    if block[0] * block[1] >= 1 << 16 {
                        let w = plan.work_ratio();
                        assert!(w < 1.4, "{block:?} on {p}: work {w}\n{}", plan.table());
                    }
                    assert!(plan.warnings().is_empty(), "{block:?} on {p}: {:?}", plan.warnings());
                    worst = worst.max((g, p));
                    work = work.max(plan.work_ratio());
                    if !periodic {
                        println!(
                            "{block:?} P={p}: {} levels, ranks per level {:?}, most received {g} cells, work {:.3}; old plan: {} cells to every rank",
                            plan.levels.len(),
                            plan.levels.iter().map(|l| l.layout.ranks()).collect::<Vec<_>>(),
                            plan.work_ratio(),
                            old_gather(&d)
                        );
                    }
                }
            }
            let d = weak(block, 65536, false);
            println!(
                "{block:?}: most received {} cells (on {} ranks), work at most {work:.3}; at 65536 ranks: {} levels, old plan {} cells to every rank",
                worst.0,
                worst.1,
                Plan::new(&d, [1.0, 1.0]).levels.len(),
                old_gather(&d)
            );
        }
    }

    #[test]
    fn one_rank_plans_keep_every_level_local() {
        let d = Decomp::single([1, 500, 300], 2, [false; 3]);
        let plan = Plan::new(&d, [1.0, 1.0]);
        check_layouts(&plan);
        assert!(plan.levels.iter().all(|l| l.transfer == Transfer::Local && l.layout.ranks() == 1));
        assert_eq!(plan.max_gather_cells(), 0);
        assert_eq!(plan.coarse, CoarseKind::Dense);
    }

    #[test]
    fn odd_boundaries_shift_and_thin_blocks_agglomerate() {
        // 3 ranks along y on 134 rows: boundaries 45 and 90 -> 44 and 90 (shifted), then the
        // 67-row level's blocks (22, 23, 22) would halve below 16 rows: two ranks, then one.
        let d = Decomp::new([1, 134, 150], 2, 3, 0, [false; 3], Some(&[1, 3])).unwrap();
        let plan = Plan::new(&d, [1.0, 1.0]);
        check_layouts(&plan);
        let t: Vec<Transfer> = plan.levels.iter().map(|l| l.transfer).collect();
        assert_eq!(&t[..3], [Transfer::Shifted, Transfer::Agglomerate, Transfer::Agglomerate]);
        assert_eq!(plan.levels[0].source.axes[0].cuts, [0, 44, 90, 134]);
        assert_eq!(plan.levels[1].source.axes[0].owners, [0, 2]);
        assert_eq!(plan.levels[2].layout.ranks(), 2);
        assert_eq!(plan.levels[3].layout.ranks(), 1);
    }

    #[test]
    fn check_warns_about_a_coarsest_level_too_large_for_the_dense_solve() {
        let d = Decomp::single([1, 8, 4096], 2, [false; 3]);
        let plan = Plan::new(&d, [1.0, 1.0]);
        assert_eq!(plan.coarse, CoarseKind::Sweeps);
        assert_eq!(plan.warnings().len(), 1);
        assert!(plan.table().contains("red-black sweeps"));
    }
}
