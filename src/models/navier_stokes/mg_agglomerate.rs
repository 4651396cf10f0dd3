//! Moving a multigrid level between two layouts of the plan ([`super::mg_plan`]): the residual
//! from the ranks that smooth it to the fewer ranks that restrict it (agglomeration), the
//! correction back. Every block of one layout overlaps a few blocks of the other; each overlap is
//! one point-to-point message ([`Comm::exchange_f64`]: all posted at once), or a copy when both
//! blocks are this rank's. Values are copied, never combined, so where they land changes no bit.

use super::mg_plan::Layout;
use crate::field::Field;
use crate::par::Comm;

/// A box of global cells (y, x).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rect {
    lo: [usize; 2],
    n: [usize; 2],
}

impl Rect {
    fn of(layout: &Layout, b: [usize; 2]) -> Rect {
        let (lo, n) = layout.bounds(b);
        Rect { lo, n }
    }

    fn cells(&self) -> usize {
        self.n[0] * self.n[1]
    }

    fn intersect(&self, o: &Rect) -> Option<Rect> {
        let mut r = Rect { lo: [0; 2], n: [0; 2] };
        for a in 0..2 {
            let lo = self.lo[a].max(o.lo[a]);
            let hi = (self.lo[a] + self.n[a]).min(o.lo[a] + o.n[a]);
            if hi <= lo {
                return None;
            }
            (r.lo[a], r.n[a]) = (lo, hi - lo);
        }
        Some(r)
    }

    /// Copy the cells of this box out of `f` (block starting at global cell `off`), C order.
    fn pack(&self, f: &Field, off: [usize; 2], out: &mut Vec<f64>) {
        out.clear();
        for y in 0..self.n[0] {
            let i = f.idx(0, (self.lo[0] - off[0] + y) as isize, (self.lo[1] - off[1]) as isize);
            out.extend_from_slice(&f.data[i..i + self.n[1]]);
        }
    }

    /// Store (or add) `data` into the cells of this box in `f`.
    fn unpack(&self, data: &[f64], f: &mut Field, off: [usize; 2], add: bool) {
        for (y, src) in data.chunks_exact(self.n[1]).enumerate() {
            let i = f.idx(0, (self.lo[0] - off[0] + y) as isize, (self.lo[1] - off[1]) as isize);
            let dst = &mut f.data[i..i + self.n[1]];
            if add {
                dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
            } else {
                dst.copy_from_slice(src);
            }
        }
    }
}

/// This rank's messages for moving a level from layout `from` to layout `to` (and back).
pub struct Moves {
    /// Where this rank's block is in `from` and in `to`, if it has one.
    mine_from: Option<Rect>,
    mine_to: Option<Rect>,
    /// Parts of this rank's `from` block that go to other ranks' `to` blocks.
    out: Vec<(usize, Rect)>,
    /// Parts of this rank's `to` block that come from other ranks' `from` blocks.
    inc: Vec<(usize, Rect)>,
    /// Message buffers, kept between V-cycles.
    out_bufs: Vec<Vec<f64>>,
    in_bufs: Vec<Vec<f64>>,
}

impl Moves {
    pub fn new(from: &Layout, to: &Layout, rank: usize) -> Moves {
        let mine_from = from.block_of_rank(rank).map(|b| Rect::of(from, b));
        let mine_to = to.block_of_rank(rank).map(|b| Rect::of(to, b));
        // The blocks of `other` overlapping `mine`, with their owners (not this rank).
        let overlaps = |mine: Option<Rect>, other: &Layout| -> Vec<(usize, Rect)> {
            let Some(m) = mine else { return Vec::new() };
            let ys = other.axes[0].overlapping(m.lo[0], m.lo[0] + m.n[0]);
            let xs = other.axes[1].overlapping(m.lo[1], m.lo[1] + m.n[1]);
            let mut v = Vec::new();
            for by in ys {
                for bx in xs.clone() {
                    let owner = other.rank_of([by, bx]);
                    if owner != rank {
                        if let Some(r) = m.intersect(&Rect::of(other, [by, bx])) {
                            v.push((owner, r));
                        }
                    }
                }
            }
            v
        };
        let out = overlaps(mine_from, to);
        let inc = overlaps(mine_to, from);
        let out_bufs = out.iter().map(|(_, r)| Vec::with_capacity(r.cells())).collect();
        let in_bufs = inc.iter().map(|(_, r)| vec![0.0; r.cells()]).collect();
        Moves { mine_from, mine_to, out, inc, out_bufs, in_bufs }
    }

    /// `to_field` (this rank's `to` block, first cell `to_off`) = the values of `from_field` (its
    /// `from` block at `from_off`) on every rank.
    pub fn forward(
        &mut self,
        comm: &dyn Comm,
        from_field: Option<(&Field, [usize; 2])>,
        to_field: Option<(&mut Field, [usize; 2])>,
    ) {
        if let Some((f, off)) = from_field {
            for ((_, r), buf) in self.out.iter().zip(&mut self.out_bufs) {
                r.pack(f, off, buf);
            }
        }
        exchange(comm, &self.out, &self.out_bufs, &self.inc, &mut self.in_bufs);
        if let Some((t, t_off)) = to_field {
            for ((_, r), buf) in self.inc.iter().zip(&self.in_bufs) {
                r.unpack(buf, t, t_off, false);
            }
            if let (Some(mf), Some(mt), Some((f, f_off))) = (self.mine_from, self.mine_to, from_field) {
                if let Some(r) = mf.intersect(&mt) {
                    let mut buf = Vec::with_capacity(r.cells());
                    r.pack(f, f_off, &mut buf);
                    r.unpack(&buf, t, t_off, false);
                }
            }
        }
    }

    /// The way back, adding: `from_field` += the values of `to_field` on every rank.
    pub fn backward_add(
        &mut self,
        comm: &dyn Comm,
        to_field: Option<(&Field, [usize; 2])>,
        from_field: Option<(&mut Field, [usize; 2])>,
    ) {
        if let Some((t, off)) = to_field {
            for ((_, r), buf) in self.inc.iter().zip(&mut self.in_bufs) {
                r.pack(t, off, buf);
            }
        }
        for ((_, r), buf) in self.out.iter().zip(&mut self.out_bufs) {
            buf.resize(r.cells(), 0.0);
        }
        exchange(comm, &self.inc, &self.in_bufs, &self.out, &mut self.out_bufs);
        if let Some((f, f_off)) = from_field {
            for ((_, r), buf) in self.out.iter().zip(&self.out_bufs) {
                r.unpack(buf, f, f_off, true);
            }
            if let (Some(mf), Some(mt), Some((t, t_off))) = (self.mine_from, self.mine_to, to_field) {
                if let Some(r) = mf.intersect(&mt) {
                    let mut buf = Vec::with_capacity(r.cells());
                    r.pack(t, t_off, &mut buf);
                    r.unpack(&buf, f, f_off, true);
                }
            }
        }
    }
}

fn exchange(comm: &dyn Comm, sends: &[(usize, Rect)], send_bufs: &[Vec<f64>], recvs: &[(usize, Rect)], recv_bufs: &mut [Vec<f64>]) {
    let s: Vec<(usize, &[f64])> = sends.iter().zip(send_bufs).map(|((to, _), b)| (*to, &b[..])).collect();
    let mut r: Vec<(usize, &mut [f64])> =
        recvs.iter().zip(recv_bufs.iter_mut()).map(|((from, _), b)| (*from, &mut b[..])).collect();
    comm.exchange_f64(&s, &mut r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decomp::Decomp;
    use crate::models::navier_stokes::mg_plan::{Plan, Transfer};

    /// For every agglomerated level of some plans: what rank a sends to rank b is what b expects
    /// from a (same boxes, so the same sizes), and every block of the target layout is covered
    /// exactly once by what it receives and what it keeps.
    #[test]
    fn messages_pair_up_and_cover_every_target_block() {
        for (global, p) in [([134, 134], 4), ([250, 256], 9), ([64, 64], 3), ([90, 90], 16), ([301, 77], 6)] {
            let d = Decomp::new([1, global[0], global[1]], 2, p, 0, [false; 3], None).unwrap();
            let plan = Plan::new(&d, [1.0, 1.0]);
            assert!(plan.levels.iter().any(|l| l.transfer == Transfer::Agglomerate));
            for l in plan.levels.iter().filter(|l| l.transfer == Transfer::Agglomerate) {
                let moves: Vec<Moves> = (0..p).map(|r| Moves::new(&l.layout, &l.source, r)).collect();
                for (a, m) in moves.iter().enumerate() {
                    for &(b, rect) in &m.out {
                        let back: Vec<_> = moves[b].inc.iter().filter(|(from, _)| *from == a).collect();
                        assert_eq!(back, [&(a, rect)], "{global:?} on {p}: {a} -> {b}");
                    }
                    let kept = m.mine_from.and_then(|f| m.mine_to.and_then(|t| f.intersect(&t)));
                    // The target block from what arrives, the source block from what leaves (the
                    // corrections come back the same way).
                    for (block, parts) in [(m.mine_to, &m.inc), (m.mine_from, &m.out)] {
                        let Some(t) = block else { continue };
                        let mut count = vec![0u8; t.cells()];
                        for r in parts.iter().map(|(_, r)| *r).chain(kept) {
                            for y in r.lo[0]..r.lo[0] + r.n[0] {
                                for x in r.lo[1]..r.lo[1] + r.n[1] {
                                    count[(y - t.lo[0]) * t.n[1] + x - t.lo[1]] += 1;
                                }
                            }
                        }
                        assert!(count.iter().all(|&c| c == 1), "{global:?} on {p}: rank {a}'s block not covered once");
                    }
                }
            }
        }
    }
}
