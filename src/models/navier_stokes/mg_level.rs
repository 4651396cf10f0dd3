//! One level of the cell-centred multigrid hierarchy on one rank, and its pure kernels:
//! red-black Gauss-Seidel, residual, restriction (volume-weighted mean of the children),
//! prolongation (bilinear: weights 9/16, 3/16, 3/16, 1/16 on uniform axes). Briggs, Henson &
//! McCormick, "A Multigrid Tutorial" (2nd ed., SIAM 2000), ch. 3-4; Trottenberg, Oosterlee &
//! Schuller, "Multigrid" (2001), sec. 2.8 on cell-centred transfers (orders 2 + 1 > 2, as a
//! Poisson V-cycle needs). Widths, coefficients and transfer weights: [`super::mg_geom`].
//!
//! The operator is A phi = sum over faces a_f (phi_nb - phi), a_f = 1/h^2 on uniform axes, zero on
//! wall faces (homogeneous Neumann), periodic wrap elsewhere. Every cell is updated by one fixed
//! expression of global quantities from the values of the other colour, so the result is the same
//! for any split of the cells over ranks and threads.

use super::mg_geom::{Axis, Children, Interp};
use crate::decomp::Decomp;
use crate::field::{Field, Region};
use crate::par::{Comm, Exec};
use rayon::prelude::*;

pub struct Level {
    /// This rank's block of the level, within the process grid of the ranks holding the level
    /// (the halo exchanges go through those ranks' communicator).
    pub d: Decomp,
    /// The level's global geometry (y, x).
    pub axes: [Axis; 2],
    /// Face coefficients of the block's cells.
    st: Stencil,
    pub phi: Field,
    pub f: Field,
    pub r: Field,
}

/// Raw pointer that may be shared by the threads of one colour sweep: each thread writes cells of
/// one colour in its own rows and reads only cells of the other colour.
#[derive(Clone, Copy)]
struct Shared(*mut f64);
// SAFETY: the pointed-to level outlives the sweep, and the colour discipline above keeps the
// threads' writes disjoint from every read and write of the others.
unsafe impl Send for Shared {}
// SAFETY: as for Send.
unsafe impl Sync for Shared {}

impl Level {
    pub fn new(d: Decomp, axes: [Axis; 2]) -> Level {
        let n = d.size;
        let h = [0, 1, 1];
        Level {
            st: Stencil::new(&axes, [d.offset[1], d.offset[2]], [n[1], n[2]]),
            phi: Field::new(n, h),
            f: Field::new(n, h),
            r: Field::new(n, h),
            d,
            axes,
        }
    }

    /// First global cell (y, x) of the block.
    pub fn offset(&self) -> [usize; 2] {
        [self.d.offset[1], self.d.offset[2]]
    }

    pub fn cells(&self) -> usize {
        self.d.size[1] * self.d.size[2]
    }

    /// Fill the face halos of `phi` (neighbours, periodic wrap) through `comm`, the level's ranks.
    pub fn exchange_phi(&mut self, comm: &dyn Comm) {
        comm.exchange_faces_overlapped(&self.d, &mut self.phi, [0, 1, 1], &mut |_| {});
    }

    /// Fill all halos of `phi` including corners, with mirrored ghosts on walls (homogeneous
    /// Neumann), as the prolongation reads them.
    pub fn exchange_phi_with_ghosts(&mut self, comm: &dyn Comm) {
        comm.exchange_halos(&self.d, &mut self.phi, [0, 1, 1]);
        let (ny, nx) = (self.d.size[1] as isize, self.d.size[2] as isize);
        let p = &mut self.phi;
        if !self.d.periodic[2] {
            for j in -1..=ny {
                if self.d.on_global_boundary(2, -1) {
                    p.set(0, j, -1, p.get(0, j, 0));
                }
                if self.d.on_global_boundary(2, 1) {
                    p.set(0, j, nx, p.get(0, j, nx - 1));
                }
            }
        }
        if !self.d.periodic[1] {
            for i in -1..=nx {
                if self.d.on_global_boundary(1, -1) {
                    p.set(0, -1, i, p.get(0, 0, i));
                }
                if self.d.on_global_boundary(1, 1) {
                    p.set(0, ny, i, p.get(0, ny - 1, i));
                }
            }
        }
    }

    /// One red-black Gauss-Seidel sweep: red cells ((gx + gy) even), halo exchange, black cells,
    /// halo exchange.
    pub fn smooth(&mut self, comm: &dyn Comm, exec: &Exec) {
        for colour in 0..2 {
            self.exchange_phi(comm);
            self.relax_colour(exec, colour);
        }
    }

    fn relax_colour(&mut self, exec: &Exec, colour: usize) {
        let (ny, nx) = (self.d.size[1], self.d.size[2]);
        let s = self.phi.strides()[1];
        let base = self.phi.idx(0, 0, 0);
        let st = &self.st;
        let parity0 = self.d.offset[1] + self.d.offset[2];
        let f = &self.f;
        let ptr = Shared(self.phi.data.as_mut_ptr());
        let row = |y: usize| {
            let p = ptr;
            // Red cells have (gx + gy) even: the first cell of this colour in row y.
            let first = (colour + parity0 + y) % 2;
            let fr = f.row(0, y);
            let (a_s, a_n) = (st.s[y], st.n[y]);
            let mut x = first;
            while x < nx {
                let (a_w, a_e) = (st.w[x], st.e[x]);
                let c = base + y * s + x;
                // SAFETY: cells of this colour are written only by the task of their row; the
                // neighbours read are of the other colour, which no task writes in this sweep.
                unsafe {
                    let q = p.0;
                    let sum = a_w * *q.add(c - 1) + a_e * *q.add(c + 1) + a_s * *q.add(c - s) + a_n * *q.add(c + s);
                    let diag = a_w + a_e + a_s + a_n;
                    *q.add(c) = (sum - fr[x]) / diag;
                }
                x += 2;
            }
        };
        if exec.threads() > 1 && ny * nx >= 1 << 14 {
            exec.install(|| (0..ny).into_par_iter().with_min_len(8).for_each(row));
        } else {
            (0..ny).for_each(row);
        }
    }

    /// r = f - A phi (phi face halos must be filled).
    pub fn residual(&mut self, exec: &Exec) {
        let s = self.phi.strides()[1];
        let (phi, f) = (&self.phi, &self.f);
        let st = &self.st;
        let n = self.d.size;
        exec.for_each_row(&mut self.r, Region::whole(n), |_, y, row| {
            let r0 = phi.idx(0, y as isize, 0);
            let fr = f.row(0, y);
            let pd = &phi.data;
            let (a_s, a_n) = (st.s[y], st.n[y]);
            for (x, o) in row.iter_mut().enumerate() {
                let (a_w, a_e) = (st.w[x], st.e[x]);
                let c = r0 + x;
                let p = pd[c];
                let ap = a_w * (pd[c - 1] - p) + a_e * (pd[c + 1] - p) + a_s * (pd[c - s] - p) + a_n * (pd[c + s] - p);
                *o = fr[x] - ap;
            }
        });
    }

    /// Max |r| over this rank's cells.
    pub fn local_max_residual(&self) -> f64 {
        let mut m = 0.0f64;
        for y in 0..self.d.size[1] {
            for &v in self.r.row(0, y) {
                m = m.max(v.abs());
            }
        }
        m
    }
}

/// The 5-point operator's face coefficients of a block's cells: south and north per row, west
/// and east per column (zero across walls).
struct Stencil {
    s: Vec<f64>,
    n: Vec<f64>,
    w: Vec<f64>,
    e: Vec<f64>,
}

impl Stencil {
    fn new(axes: &[Axis; 2], off: [usize; 2], size: [usize; 2]) -> Stencil {
        let (ys, xs): (Vec<[f64; 2]>, Vec<[f64; 2]>) = (
            (off[0]..off[0] + size[0]).map(|j| axes[0].coef(j)).collect(),
            (off[1]..off[1] + size[1]).map(|i| axes[1].coef(i)).collect(),
        );
        Stencil {
            s: ys.iter().map(|c| c[0]).collect(),
            n: ys.iter().map(|c| c[1]).collect(),
            w: xs.iter().map(|c| c[0]).collect(),
            e: xs.iter().map(|c| c[1]).collect(),
        }
    }
}

/// Restrict the fine residual `fine` (a block starting at global fine cell `fine_off` (y, x), its
/// halo filled where a coarse cell's children lie outside the block) into the coarse right-hand
/// side `out` (a block starting at global coarse cell `coarse_off`): every coarse cell gets the
/// volume-weighted mean of its children, 0.25 ((a0 + a1) + (b0 + b1)) for four equal ones.
pub fn restrict(exec: &Exec, fine: &Field, fine_off: [usize; 2], axes: &[Axis; 2], out: &mut Field, coarse_off: [usize; 2]) {
    let n = out.n;
    let nc = [axes[0].n.div_ceil(2), axes[1].n.div_ceil(2)];
    // Only the last coarse cell of an axis can have other children than two equal ones.
    let last_x = axes[1].children(nc[1] - 1);
    let irregular_x = coarse_off[1] + n[2] == nc[1] && last_x != Children::Even;
    let regular_cols = n[2] - usize::from(irregular_x);
    exec.for_each_row(out, Region::whole(n), |_, y, row| {
        let gy = coarse_off[0] + y;
        let ly = (2 * gy) as isize - fine_off[0] as isize;
        let a0 = fine.idx(0, ly, 0) as isize - fine_off[1] as isize;
        let cy = axes[0].children(gy);
        // Index of fine cell (2 gx) of the first child row, for coarse cell gx.
        let at = |gx: usize| (a0 + 2 * gx as isize) as usize;
        let d = &fine.data;
        let s = fine.strides()[1];
        let gx0 = coarse_off[1];
        if cy == Children::Even {
            for (x, o) in row[..regular_cols].iter_mut().enumerate() {
                let i = at(gx0 + x);
                *o = 0.25 * ((d[i] + d[i + 1]) + (d[i + s] + d[i + s + 1]));
            }
        } else {
            for (x, o) in row[..regular_cols].iter_mut().enumerate() {
                let i = at(gx0 + x);
                *o = combine(cy, combine(Children::Even, d[i], d[i + 1]), combine(Children::Even, d[i + s], d[i + s + 1]));
            }
        }
        if irregular_x {
            let i = at(gx0 + regular_cols);
            let row_of = |k: usize| combine(last_x, d[i + k], if last_x == Children::Single { 0.0 } else { d[i + k + 1] });
            row[regular_cols] = combine(cy, row_of(0), if cy == Children::Single { 0.0 } else { row_of(s) });
        }
    });
}

/// The mean of two children (or the single one, `b` ignored).
#[inline]
fn combine(c: Children, a: f64, b: f64) -> f64 {
    match c {
        Children::Even => 0.5 * (a + b),
        Children::Weighted([p, q]) => p * a + q * b,
        Children::Single => a,
    }
}

/// Where each fine cell of a block interpolates from, per axis (see [`prolong`]).
pub struct Prolong {
    y: Vec<Side>,
    x: Vec<Side>,
    /// Every weight is the uniform 3/4, 1/4.
    uniform: bool,
}

#[derive(Clone, Copy)]
struct Side {
    /// Parent cell, local to the coarse block (its halo cell when the parent is a neighbour's).
    parent: isize,
    /// The neighbour of the parent that is interpolated with: -1 or +1.
    side: isize,
    /// Weights of the parent and of its neighbour.
    w: [f64; 2],
}

impl Prolong {
    /// For the fine block at global cell `fine_off` of `size` cells of a level with geometry
    /// `axes`, from the coarse block at global coarse cell `coarse_off`.
    pub fn new(axes: &[Axis; 2], fine_off: [usize; 2], size: [usize; 2], coarse_off: [usize; 2]) -> Prolong {
        let sides = |a: usize| -> Vec<Side> {
            (fine_off[a]..fine_off[a] + size[a])
                .map(|g| {
                    let Interp { parent, side, t } = axes[a].interp(g);
                    Side { parent: parent as isize - coarse_off[a] as isize, side, w: [1.0 - t, t] }
                })
                .collect()
        };
        let (y, x) = (sides(0), sides(1));
        let uniform = y.iter().chain(&x).all(|s| s.w == [0.75, 0.25]);
        Prolong { y, x, uniform }
    }
}

/// fine += (or, with `add` false, fine =) bilinear interpolation of the coarse correction, for
/// the fine block and the coarse block (halos and wall ghosts filled) `map` was made for.
pub fn prolong(exec: &Exec, coarse: &Field, map: &Prolong, fine: &mut Field, add: bool) {
    let n = fine.n;
    let cs = coarse.strides()[1] as isize;
    let cd = &coarse.data;
    let base = coarse.idx(0, 0, 0) as isize;
    exec.for_each_row(fine, Region::whole(n), |_, y, row| {
        let sy = map.y[y];
        let r0 = base + sy.parent * cs;
        let ry = r0 + sy.side * cs;
        let at = |i: isize| cd[i as usize];
        if map.uniform {
            for (o, sx) in row.iter_mut().zip(&map.x) {
                let (c, cx) = (sx.parent, sx.parent + sx.side);
                let v = 0.5625 * at(r0 + c) + 0.1875 * at(ry + c) + 0.1875 * at(r0 + cx) + 0.0625 * at(ry + cx);
                if add {
                    *o += v;
                } else {
                    *o = v;
                }
            }
        } else {
            let [y0, y1] = sy.w;
            for (o, sx) in row.iter_mut().zip(&map.x) {
                let (c, cx) = (sx.parent, sx.parent + sx.side);
                let [x0, x1] = sx.w;
                let v = (y0 * x0) * at(r0 + c) + (y1 * x0) * at(ry + c) + (y0 * x1) * at(r0 + cx) + (y1 * x1) * at(ry + cx);
                if add {
                    *o += v;
                } else {
                    *o = v;
                }
            }
        }
    });
}
