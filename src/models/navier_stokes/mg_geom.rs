//! The geometry of the multigrid hierarchy, one axis at a time: cell counts, cell widths, the
//! 5-point operator's face coefficients and the weights of the grid transfers. It depends only on
//! the global grid, never on the split over ranks, which is what makes every split compute the
//! same numbers.
//!
//! Coarsening is cell-centred: coarse cell I has the fine children 2I and 2I + 1. An odd count n
//! coarsens to (n + 1) / 2 cells whose last one has the single child n - 1 ("uneven children"), so
//! any grid coarsens down to a few cells instead of stopping at its first odd size. Every cell of a
//! level has the regular width h except possibly the last one (by induction: only the last coarse
//! cell can have an irregular child), so an axis is described by (n, h, width of the last cell).
//!
//! The operator on a level is the cell-centred finite-volume Laplacian on those widths (Trottenberg,
//! Oosterlee & Schuller, "Multigrid", 2001, sec. 2.8 and 5.7 on cell-centred grids): the face
//! between cells i and j contributes 2 / (w_i (w_i + w_j)) (phi_j - phi_i) to cell i, zero across a
//! wall; on a uniform axis that is exactly 1 / h^2 (same bits). The restriction is the
//! volume-weighted mean of the children (the plain mean when they are equal, the identity for a
//! single child), the prolongation is linear interpolation in each axis between the parent's centre
//! and its neighbour's, at the child's centre (weights 3/4, 1/4 on uniform axes: the bilinear
//! 9/16, 3/16, 3/16, 1/16, same bits as before).

/// One axis of one level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    /// Cells.
    pub n: usize,
    /// Width of every cell but the last.
    pub h: f64,
    /// Width of the last cell (`h` unless an odd count was coarsened on the way).
    pub last: f64,
    pub periodic: bool,
}

/// How a coarse cell is made of fine cells (restriction).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Children {
    /// Two children of equal width: the plain mean.
    Even,
    /// Two children of unequal widths: the weights (w0, w1) / (w0 + w1).
    Weighted([f64; 2]),
    /// One child (the last cell of an odd count): copied.
    Single,
}

/// How a fine cell interpolates from the coarse level (prolongation): from its parent and the
/// parent's neighbour on the side of the child, weights 1 - t and t.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interp {
    pub parent: usize,
    /// -1 or +1: where the neighbour is.
    pub side: isize,
    pub t: f64,
}

impl Axis {
    pub fn uniform(n: usize, h: f64, periodic: bool) -> Axis {
        Axis { n, h, last: h, periodic }
    }

    pub fn width(&self, i: usize) -> f64 {
        if i + 1 == self.n {
            self.last
        } else {
            self.h
        }
    }

    /// Is every cell of the axis of width h?
    pub fn is_uniform(&self) -> bool {
        self.last == self.h
    }

    /// The next coarser axis: (n + 1) / 2 cells of width 2h, the last one made of what is left.
    pub fn coarsen(&self) -> Axis {
        let last = if self.n.is_multiple_of(2) { self.h + self.last } else { self.last };
        Axis { n: self.n.div_ceil(2), h: 2.0 * self.h, last, periodic: self.periodic }
    }

    /// Width of the neighbour of cell i on `side` (-1 or +1): None across a wall.
    fn neighbour_width(&self, i: usize, side: isize) -> Option<f64> {
        let j = i as isize + side;
        if j < 0 || j >= self.n as isize {
            if !self.periodic {
                return None;
            }
            return Some(self.width(j.rem_euclid(self.n as isize) as usize));
        }
        Some(self.width(j as usize))
    }

    /// Face coefficients (low face, high face) of cell i: 2 / (w_i (w_i + w_nb)), 0 at walls.
    pub fn coef(&self, i: usize) -> [f64; 2] {
        let w = self.width(i);
        [-1, 1].map(|side| self.neighbour_width(i, side).map_or(0.0, |wn| 2.0 / (w * (w + wn))))
    }

    /// The children of coarse cell `c` of `self.coarsen()` (self is the fine axis).
    pub fn children(&self, c: usize) -> Children {
        let i = 2 * c;
        if i + 1 >= self.n {
            return Children::Single;
        }
        let (a, b) = (self.width(i), self.width(i + 1));
        if a == b {
            Children::Even
        } else {
            Children::Weighted([a / (a + b), b / (a + b)])
        }
    }

    /// How fine cell i (of self) interpolates from `self.coarsen()`.
    pub fn interp(&self, i: usize) -> Interp {
        let coarse = self.coarsen();
        let parent = i / 2;
        let side = if i.is_multiple_of(2) { -1 } else { 1 };
        // Offset of the child's centre from its parent's: half the width of its sibling.
        let offset = match self.children(parent) {
            Children::Single => 0.0,
            _ => 0.5 * self.width(if side < 0 { i + 1 } else { i - 1 }),
        };
        let wp = coarse.width(parent);
        // Distance between the centres of the parent and its neighbour (a wall mirrors the
        // parent, whose ghost then equals the parent's value, so any weight gives that value).
        let wn = coarse.neighbour_width(parent, side).unwrap_or(wp);
        Interp { parent, side, t: offset / (0.5 * (wp + wn)) }
    }
}

/// The global hierarchy: level 0 is `fine` (y, x); each next level coarsens both axes, while
/// both have at least 4 cells.
pub fn hierarchy(fine: [Axis; 2]) -> Vec<[Axis; 2]> {
    let mut levels = vec![fine];
    loop {
        let l = levels[levels.len() - 1];
        if l[0].n < 4 || l[1].n < 4 {
            return levels;
        }
        levels.push([l[0].coarsen(), l[1].coarsen()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_axes_give_the_plain_operator_and_transfers() {
        let a = Axis::uniform(8, 0.125, false);
        let ih2 = 1.0 / (0.125 * 0.125);
        assert_eq!(a.coef(0), [0.0, ih2]);
        assert_eq!(a.coef(3), [ih2, ih2]);
        assert_eq!(a.coef(7), [ih2, 0.0]);
        let c = a.coarsen();
        assert_eq!((c.n, c.h, c.last), (4, 0.25, 0.25));
        assert_eq!(c.coef(1), [1.0 / (0.25 * 0.25); 2]);
        assert!((0..4).all(|k| a.children(k) == Children::Even));
        for i in 0..8 {
            let t = a.interp(i);
            assert_eq!((t.parent, t.t), (i / 2, 0.25));
        }
        let p = Axis::uniform(6, 0.5, true);
        assert_eq!(p.coef(0), [4.0, 4.0]);
    }

    #[test]
    fn odd_counts_coarsen_with_uneven_children_and_keep_the_length() {
        let mut a = Axis::uniform(125, 1.0, false);
        let mut sizes = vec![a.n];
        while a.n > 2 {
            let c = a.coarsen();
            let len = |x: &Axis| x.h * (x.n - 1) as f64 + x.last;
            assert_eq!(len(&c), 125.0);
            // Only the last coarse cell may be irregular; its children's weights sum to one.
            for k in 0..c.n {
                match a.children(k) {
                    Children::Even => {}
                    Children::Weighted([p, q]) => {
                        assert_eq!(k, c.n - 1);
                        assert!((p + q - 1.0).abs() < 1e-15);
                    }
                    Children::Single => assert_eq!(k, c.n - 1),
                }
            }
            // Interpolation weights lie in [0, 1/2): a child is nearer its parent than the neighbour.
            for i in 0..a.n {
                let t = a.interp(i).t;
                assert!((0.0..0.5).contains(&t), "t = {t} at {i} of {}", a.n);
            }
            a = c;
            sizes.push(a.n);
        }
        assert_eq!(sizes, [125, 63, 32, 16, 8, 4, 2]);
        // The non-uniform operator still sums to zero against constants (and is symmetric in the
        // volume-weighted sense): w_i a_hi(i) = w_j a_lo(j) for neighbours i, j.
        let a = Axis::uniform(125, 1.0, true).coarsen().coarsen();
        for i in 0..a.n {
            let j = (i + 1) % a.n;
            let (l, r) = (a.width(i) * a.coef(i)[1], a.width(j) * a.coef(j)[0]);
            assert!((l - r).abs() <= 1e-15 * l.abs());
        }
    }

    #[test]
    fn hierarchy_stops_below_four_cells() {
        let h = hierarchy([Axis::uniform(16, 1.0, false), Axis::uniform(4, 1.0, false)]);
        assert_eq!(h.iter().map(|l| (l[0].n, l[1].n)).collect::<Vec<_>>(), [(16, 4), (8, 2)]);
        let h = hierarchy([Axis::uniform(500, 1.0, false), Axis::uniform(500, 1.0, false)]);
        assert_eq!(h.last().unwrap()[0].n, 2);
        assert_eq!(h.len(), 9);
    }
}
