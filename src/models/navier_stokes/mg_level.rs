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
use super::mg_relax::relax_row;
use crate::simd::Isa;
use crate::decomp::Decomp;
use crate::par::team::{Shared, Team};
use crate::field::Field;
use crate::par::Comm;
use std::ops::Range;

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
    ///
    /// Fused into one pass over memory: each band of rows updates the red cells of row y and then
    /// the black cells of row y - 1, whose red neighbours are all new by then, so every cell gets
    /// exactly the value of the two-pass sweep. The black cells that read red values of another
    /// band (the band's first and last rows) or of a halo the second exchange refills (edges
    /// facing another rank or a periodic wrap) wait for the end of the pass and that exchange.
    pub fn smooth(&mut self, comm: &dyn Comm, team: &Team) {
        self.exchange_phi(comm);
        let (ny, nx) = (self.d.size[1], self.d.size[2]);
        // Is a halo row / column the same before and after the second exchange (a wall)?
        let fixed_y = !self.d.periodic[1] && self.d.procs[1] == 1;
        let fixed_x = !self.d.periodic[2] && self.d.procs[2] == 1;
        let bands = team.chunks(ny, ny * nx);
        let sweep = Sweep::new(self);
        team.bands(ny, ny * nx, |_, rows| {
            let (y0, y1) = (rows.start, rows.end);
            if y0 == y1 {
                return;
            }
            let lo_ready = y0 == 0 && fixed_y;
            let hi_ready = y1 == ny && fixed_y;
            let xs = if fixed_x { 0..nx } else { 1..nx.saturating_sub(1) };
            for y in y0..y1 {
                // The red cells next to another band (whose red cells change meanwhile) are
                // relaxed by the scalar loop; the black ones read only this band's rows.
                let inside = (y > y0 || y0 == 0) && (y + 1 < y1 || y1 == ny);
                sweep.row(0, y, 0..nx, inside);
                if y > y0 && (y - 1 > y0 || lo_ready) {
                    sweep.row(1, y - 1, xs.clone(), true);
                }
            }
            if hi_ready && (y1 - 1 > y0 || lo_ready) {
                sweep.row(1, y1 - 1, xs.clone(), true);
            }
        });
        self.exchange_phi(comm);
        // The black cells left: band edges (whole rows), then the edge columns.
        let mut whole = Vec::with_capacity(2 * bands);
        for b in 0..bands {
            let r = Team::band(ny, bands, b);
            if r.is_empty() {
                continue;
            }
            if !(r.start == 0 && fixed_y) {
                whole.push(r.start);
            }
            if !(r.end == ny && fixed_y) {
                whole.push(r.end - 1);
            }
        }
        whole.sort_unstable();
        whole.dedup();
        let sweep = Sweep::new(self);
        // One thread from here on.
        for &y in &whole {
            sweep.row(1, y, 0..nx, true);
        }
        if !fixed_x {
            for y in (0..ny).filter(|y| whole.binary_search(y).is_err()) {
                sweep.row(1, y, 0..1.min(nx), false);
                sweep.row(1, y, nx.saturating_sub(1).max(1)..nx, false);
            }
        }
    }

    /// r = f - A phi (phi face halos must be filled).
    pub fn residual(&mut self, team: &Team) {
        let k = Kernel::of(&self.phi, &self.f, &self.st, self.d.size);
        let out = Rows::of(&mut self.r);
        team.bands(k.ny, k.ny * k.nx, |_, rows| {
            for y in rows {
                // SAFETY: each band writes its own rows of r.
                k.residual_row(y, unsafe { out.row(y) });
            }
        });
    }

    /// max |f - A phi| over this rank's cells (phi face halos must be filled), without storing r.
    pub fn max_residual(&self, team: &Team) -> f64 {
        let k = Kernel::new(self);
        team.fold(
            k.ny,
            k.ny * k.nx,
            |rows| {
                let mut buf = vec![0.0; k.nx];
                let mut m = 0.0f64;
                for y in rows {
                    k.residual_row(y, &mut buf);
                    m = buf.iter().fold(m, |m, v| m.max(v.abs()));
                }
                m
            },
            f64::max,
        )
    }

    /// The residual restricted straight into the coarse right-hand side `out` (the block at global
    /// coarse cell `coarse_off`, whose children are all in this block: a local transfer), as
    /// [`Level::residual`] and [`restrict`] but without storing r: two residual rows at a time in
    /// a scratch buffer. phi face halos must be filled.
    pub fn restrict_residual(&self, team: &Team, out: &mut Field, coarse_off: [usize; 2]) {
        let k = Kernel::new(self);
        let fine_off = self.offset();
        let map = RestrictMap::new(&self.axes, out, coarse_off);
        let nx = k.nx;
        let dst = Rows::of(out);
        let ny_c = out.n[1];
        team.bands(ny_c, 4 * ny_c * out.n[2], |_, rows| {
            let mut buf = vec![0.0; 2 * nx];
            for y in rows {
                let gy = coarse_off[0] + y;
                let ly = 2 * gy - fine_off[0];
                let cy = self.axes[0].children(gy);
                k.residual_row(ly, &mut buf[..nx]);
                if cy != Children::Single {
                    k.residual_row(ly + 1, &mut buf[nx..]);
                }
                let a0 = -(fine_off[1] as isize);
                // SAFETY: each band writes its own rows of `out`.
                map.row(cy, &buf, nx, a0, unsafe { dst.row(y) });
            }
        });
    }
}

/// The pointers and coefficients of a colour sweep over a level.
struct Sweep<'a> {
    phi: Shared,
    f: &'a Field,
    st: &'a Stencil,
    s: usize,
    base: usize,
    nx: usize,
    parity0: usize,
    isa: Isa,
}

impl<'a> Sweep<'a> {
    fn new(l: &'a mut Level) -> Sweep<'a> {
        Sweep {
            s: l.phi.strides()[1],
            base: l.phi.idx(0, 0, 0),
            nx: l.d.size[2],
            parity0: l.d.offset[1] + l.d.offset[2],
            phi: Shared(l.phi.data.as_mut_ptr()),
            f: &l.f,
            st: &l.st,
            isa: Isa::current(),
        }
    }

    /// Relax the cells of `colour` (0 red, 1 black) in row y, columns `xs`, with the vector
    /// kernels if `wide` (only where no other thread touches the rows y and y -+ 1 meanwhile:
    /// see [`super::mg_relax`]).
    #[inline]
    fn row(&self, colour: usize, y: usize, xs: Range<usize>, wide: bool) {
        let st = self.st;
        // Red cells have (gx + gy) even: the first cell of this colour in row y.
        let first = (colour + self.parity0 + y) % 2;
        let x = if xs.start % 2 == first { xs.start } else { xs.start + 1 };
        let end = xs.end.min(self.nx);
        // SAFETY: phi has a one-cell halo around its nx-wide rows, so (y, x - 1 ..= end) and
        // (y -+ 1, x ..= end) lie in it; f, w and e hold nx values. Cells of this colour are
        // written only by the band of their row; the neighbours read are of the other colour,
        // which no band writes at the same time, and `Level::smooth` asks for `wide` only where
        // the rows y and y -+ 1 are no other band's and no other band reads row y.
        unsafe {
            relax_row(self.isa, wide, self.phi.0.add(self.base + y * self.s), self.s, self.f.row(0, y), &st.w, &st.e, st.inv_diag(y), [st.s[y], st.n[y]], x, end)
        };
    }
}

/// The residual of one row of a level.
struct Kernel<'a> {
    phi: &'a Field,
    f: &'a Field,
    st: &'a Stencil,
    ny: usize,
    nx: usize,
}

impl<'a> Kernel<'a> {
    fn new(l: &'a Level) -> Kernel<'a> {
        Kernel::of(&l.phi, &l.f, &l.st, l.d.size)
    }

    fn of(phi: &'a Field, f: &'a Field, st: &'a Stencil, size: [usize; 3]) -> Kernel<'a> {
        Kernel { phi, f, st, ny: size[1], nx: size[2] }
    }

    /// out[x] = (f - A phi)(y, x).
    #[inline]
    fn residual_row(&self, y: usize, out: &mut [f64]) {
        let s = self.phi.strides()[1];
        let r0 = self.phi.idx(0, y as isize, 0);
        let fr = self.f.row(0, y);
        let pd = &self.phi.data;
        let st = self.st;
        let (a_s, a_n) = (st.s[y], st.n[y]);
        let w = &st.w[..out.len()];
        let e = &st.e[..out.len()];
        let c = &pd[r0 - 1..r0 + out.len() + 1];
        let sr = &pd[r0 - s..r0 - s + out.len()];
        let nr = &pd[r0 + s..r0 + s + out.len()];
        for (x, o) in out.iter_mut().enumerate() {
            let p = c[x + 1];
            let ap = w[x] * (c[x] - p) + e[x] * (c[x + 2] - p) + a_s * (sr[x] - p) + a_n * (nr[x] - p);
            *o = fr[x] - ap;
        }
    }
}

/// Mutable rows of a field shared by the bands of one loop.
struct Rows {
    data: Shared,
    base: usize,
    stride: usize,
    nx: usize,
}

impl Rows {
    fn of(f: &mut Field) -> Rows {
        Rows { base: f.idx(0, 0, 0), stride: f.strides()[1], nx: f.n[2], data: Shared(f.data.as_mut_ptr()) }
    }

    /// Row y's interior.
    /// SAFETY: no other thread may access row y while the slice lives, and the field must outlive
    /// it.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, y: usize) -> &mut [f64] {
        // SAFETY: see above; the row lies inside the field's data.
        unsafe { std::slice::from_raw_parts_mut(self.data.0.add(self.base + y * self.stride), self.nx) }
    }
}

/// The 5-point operator's face coefficients of a block's cells: south and north per row, west
/// and east per column (zero across walls), and the reciprocal of the diagonal,
/// 1 / (((w + e) + s) + n), stored once per distinct (s, n) pair of rows (three on a uniform axis
/// between walls).
struct Stencil {
    s: Vec<f64>,
    n: Vec<f64>,
    w: Vec<f64>,
    e: Vec<f64>,
    /// Row y's reciprocal diagonals start at `inv[row_inv[y]]`.
    inv: Vec<f64>,
    row_inv: Vec<usize>,
}

impl Stencil {
    fn new(axes: &[Axis; 2], off: [usize; 2], size: [usize; 2]) -> Stencil {
        let (ys, xs): (Vec<[f64; 2]>, Vec<[f64; 2]>) = (
            (off[0]..off[0] + size[0]).map(|j| axes[0].coef(j)).collect(),
            (off[1]..off[1] + size[1]).map(|i| axes[1].coef(i)).collect(),
        );
        let (w, e): (Vec<f64>, Vec<f64>) = xs.iter().map(|c| (c[0], c[1])).unzip();
        let mut inv = Vec::new();
        let mut seen: std::collections::HashMap<[u64; 2], usize> = std::collections::HashMap::new();
        let row_inv = ys
            .iter()
            .map(|&[a_s, a_n]| {
                *seen.entry([a_s.to_bits(), a_n.to_bits()]).or_insert_with(|| {
                    let start = inv.len();
                    inv.extend(w.iter().zip(&e).map(|(a_w, a_e)| 1.0 / (a_w + a_e + a_s + a_n)));
                    start
                })
            })
            .collect();
        Stencil { s: ys.iter().map(|c| c[0]).collect(), n: ys.iter().map(|c| c[1]).collect(), w, e, inv, row_inv }
    }

    /// The reciprocal diagonals of row y.
    fn inv_diag(&self, y: usize) -> &[f64] {
        &self.inv[self.row_inv[y]..self.row_inv[y] + self.w.len()]
    }
}

/// Restrict the fine residual `fine` (a block starting at global fine cell `fine_off` (y, x), its
/// halo filled where a coarse cell's children lie outside the block) into the coarse right-hand
/// side `out` (a block starting at global coarse cell `coarse_off`): every coarse cell gets the
/// volume-weighted mean of its children, 0.25 ((a0 + a1) + (b0 + b1)) for four equal ones.
pub fn restrict(team: &Team, fine: &Field, fine_off: [usize; 2], axes: &[Axis; 2], out: &mut Field, coarse_off: [usize; 2]) {
    let map = RestrictMap::new(axes, out, coarse_off);
    let s = fine.strides()[1];
    let dst = Rows::of(out);
    let (ny, nx) = (out.n[1], out.n[2]);
    team.bands(ny, 4 * ny * nx, |_, rows| {
        for y in rows {
            let gy = coarse_off[0] + y;
            let ly = (2 * gy) as isize - fine_off[0] as isize;
            let a0 = fine.idx(0, ly, 0) as isize - fine_off[1] as isize;
            // SAFETY: each band writes its own rows of `out`.
            map.row(axes[0].children(gy), &fine.data, s, a0, unsafe { dst.row(y) });
        }
    });
}

/// How the coarse cells of a block take the mean of their children along x.
struct RestrictMap {
    gx0: usize,
    regular_cols: usize,
    irregular_x: bool,
    last_x: Children,
}

impl RestrictMap {
    fn new(axes: &[Axis; 2], out: &Field, coarse_off: [usize; 2]) -> RestrictMap {
        let nc = axes[1].n.div_ceil(2);
        // Only the last coarse cell of an axis can have other children than two equal ones.
        let last_x = axes[1].children(nc - 1);
        let irregular_x = coarse_off[1] + out.n[2] == nc && last_x != Children::Even;
        RestrictMap { gx0: coarse_off[1], regular_cols: out.n[2] - usize::from(irregular_x), irregular_x, last_x }
    }

    /// One coarse row with children `cy` along y: the first child row of coarse cell gx starts at
    /// d[a0 + 2 gx], the second one `s` further.
    #[inline]
    fn row(&self, cy: Children, d: &[f64], s: usize, a0: isize, row: &mut [f64]) {
        let at = |gx: usize| (a0 + 2 * gx as isize) as usize;
        let (gx0, regular_cols) = (self.gx0, self.regular_cols);
        if cy == Children::Even {
            let i0 = at(gx0);
            let (r0, r1) = (&d[i0..i0 + 2 * regular_cols], &d[i0 + s..i0 + s + 2 * regular_cols]);
            for (x, o) in row[..regular_cols].iter_mut().enumerate() {
                *o = 0.25 * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]));
            }
        } else {
            for (x, o) in row[..regular_cols].iter_mut().enumerate() {
                let i = at(gx0 + x);
                let b = |k: usize| if cy == Children::Single { 0.0 } else { d[i + s + k] };
                *o = combine(cy, combine(Children::Even, d[i], d[i + 1]), combine(Children::Even, b(0), b(1)));
            }
        }
        if self.irregular_x {
            let last_x = self.last_x;
            let i = at(gx0 + regular_cols);
            let row_of = |k: usize| combine(last_x, d[i + k], if last_x == Children::Single { 0.0 } else { d[i + k + 1] });
            row[regular_cols] = combine(cy, row_of(0), if cy == Children::Single { 0.0 } else { row_of(s) });
        }
    }
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
pub fn prolong(team: &Team, coarse: &Field, map: &Prolong, fine: &mut Field, add: bool) {
    let (ny, nx) = (fine.n[1], fine.n[2]);
    let cs = coarse.strides()[1] as isize;
    let cd = &coarse.data;
    let base = coarse.idx(0, 0, 0) as isize;
    let dst = Rows::of(fine);
    team.bands(ny, ny * nx, |_, rows| rows.for_each(|y| {
        // SAFETY: each band writes its own rows of `fine`.
        let row = unsafe { dst.row(y) };
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
    }));
}
