//! The staggered (MAC) grid of Harlow & Welch (1965) on one rank's block, and its pure kernels.
//!
//! Storage maps every unknown to a cell index (local (y, x), one-cell halo):
//! - `u[j][i]`: x-velocity on the EAST face of cell (i, j), at ((i+1) dx, (j+1/2) dy);
//! - `v[j][i]`: y-velocity on the NORTH face of cell (i, j), at ((i+1/2) dx, (j+1) dy);
//! - `p[j][i]`, `phi[j][i]`: at the cell centre.
//!
//! With walls on x, the last u column of the grid lies on the east wall (held at 0) and the west
//! wall's u is the halo column i = -1 (0); likewise for v with walls on y. Tangential no-slip is
//! imposed through ghost values extrapolated quadratically through the wall value u_w:
//! u_g = (8 u_w - 6 u_0 + u_1) / 3, exact for a parabola (so plane Poiseuille flow is reproduced
//! to round-off) and second-order accurate in general.
//!
//! Momentum right-hand side F = -div(u u) + nu lap(u) + f in the conservative (flux) form of
//! Harlow & Welch, with face-to-corner averages of second order; the divergence is
//! (u_e - u_w)/dx + (v_n - v_s)/dy per cell and the pressure gradient (phi_e - phi_c)/dx per face,
//! so div(grad phi) is exactly the 5-point Laplacian the multigrid inverts.

use crate::decomp::Decomp;
use crate::field::Field;
use crate::par::team::{Shared, Team};
use crate::par::Comm;

/// How a step's pressure follows from the last projection's phi: p = scale phi (the projection
/// carries the whole pressure) or p += scale phi (an incremental pressure correction).
#[derive(Debug, Clone, Copy)]
pub enum PressureUpdate {
    Set(f64),
    Add(f64),
}

/// Geometry and boundary facts of one rank's block.
#[derive(Debug, Clone)]
pub struct Mac {
    /// Local cells (ny, nx) and the global offset (y, x) of the block.
    pub n: [usize; 2],
    pub off: [usize; 2],
    /// Global cells (ny, nx).
    pub global: [usize; 2],
    /// Spacing (dy, dx).
    pub d: [f64; 2],
    /// Walls (not periodic) along y and x.
    pub wall: [bool; 2],
    /// This block touches the global low / high boundary along y (index 0) and x (index 1).
    pub at_lo: [bool; 2],
    pub at_hi: [bool; 2],
    /// Tangential wall speeds: [x_lo (v), x_hi (v), y_lo (u), y_hi (u)].
    pub wall_speed: [f64; 4],
    pub nu: f64,
    /// Body force (fy, fx).
    pub force: [f64; 2],
}

impl Mac {
    pub fn new(decomp: &Decomp, d: [f64; 2], wall_speed: [f64; 4], nu: f64, force: [f64; 2]) -> Mac {
        Mac {
            n: [decomp.size[1], decomp.size[2]],
            off: [decomp.offset[1], decomp.offset[2]],
            global: [decomp.global[1], decomp.global[2]],
            d,
            wall: [!decomp.periodic[1], !decomp.periodic[2]],
            at_lo: [decomp.on_global_boundary(1, -1), decomp.on_global_boundary(2, -1)],
            at_hi: [decomp.on_global_boundary(1, 1), decomp.on_global_boundary(2, 1)],
            wall_speed,
            nu,
            force,
        }
    }

    /// Columns of u (rows of v) that are unknowns: all, except the one on a high wall.
    pub fn u_cols(&self) -> usize {
        self.n[1] - usize::from(self.wall[1] && self.at_hi[1])
    }
    pub fn v_rows(&self) -> usize {
        self.n[0] - usize::from(self.wall[0] && self.at_hi[0])
    }

    /// Fill the halos of u and v: neighbours and periodic wrap first, then the wall ghosts
    /// (x walls over all padded rows, then y walls over all padded columns, so corners are
    /// consistent for any split).
    pub fn fill_ghosts(&self, comm: &dyn Comm, decomp: &Decomp, u: &mut Field, v: &mut Field) {
        self.exchange_halos(comm, decomp, u, v);
        WallGhosts::of(u, v).fill_band(self, 0..self.n[0]);
    }

    /// [`Mac::fill_ghosts`] with the wall ghosts filled by the team, each thread those of its own
    /// rows (the rows it reads and writes in the team loops: a main thread that filled every
    /// row's ghost columns would leave the first and last cache line of each of the other
    /// threads' rows in its own cache). The same values (see [`WallGhosts::fill_band`]).
    pub fn fill_ghosts_on(&self, team: &Team, comm: &dyn Comm, decomp: &Decomp, u: &mut Field, v: &mut Field) {
        self.exchange_halos(comm, decomp, u, v);
        if !(self.wall[0] || self.wall[1]) {
            return;
        }
        let ghosts = self.band_ghosts(team, u, v);
        let ny = self.n[0];
        team.bands(ny, ny * self.n[1], |_, rows| ghosts.fill(rows));
    }

    /// The wall ghosts of u and v, to be filled by the bands of the caller's next team loop over
    /// the rows ([`Team::bands`] of ny rows and ny nx cells), each band at its start
    /// ([`BandGhosts::fill`]). Bands of fewer than two rows do not hold the rows a y wall's ghost
    /// row is made of: then this thread fills every ghost now and the bands nothing.
    pub fn band_ghosts<'a>(&'a self, team: &Team, u: &mut Field, v: &mut Field) -> BandGhosts<'a> {
        let ghosts = WallGhosts::of(u, v);
        let ny = self.n[0];
        let bands = team.chunks(ny, ny * self.n[1]);
        let per_band = bands == 1 || ny >= 2 * bands;
        if !per_band {
            ghosts.fill_band(self, 0..ny);
        }
        BandGhosts { mac: self, ghosts, per_band }
    }

    /// The first half of [`Mac::fill_ghosts`]: the halos of u and v from the neighbours and the
    /// periodic wrap. The wall ghosts can then be filled band by band ([`Mac::band_ghosts`])
    /// inside the caller's next team loop (one loop instead of two).
    pub fn exchange_halos(&self, comm: &dyn Comm, decomp: &Decomp, u: &mut Field, v: &mut Field) {
        comm.exchange_halos(decomp, u, [0, 1, 1]);
        comm.exchange_halos(decomp, v, [0, 1, 1]);
    }

    /// One explicit stage: out = a * base + b * (cur + dt F(cur)) for u and v (a = 0: out =
    /// cur + dt F(cur)). `cur` halos must be filled. Wall faces are copied unchanged. One team
    /// loop: each band computes its rows of both components.
    #[allow(clippy::too_many_arguments)]
    pub fn stage(
        &self,
        team: &Team,
        cur: (&Field, &Field),
        base: (&Field, &Field),
        out: (&mut Field, &mut Field),
        dt: f64,
        a: f64,
        b: f64,
    ) {
        let (u, v) = cur;
        same_layout(&[u, v, base.0, base.1, out.0, out.1]);
        let s = u.strides()[1];
        let (idx, idy) = (1.0 / self.d[1], 1.0 / self.d[0]);
        let (idx2, idy2) = (idx * idx, idy * idy);
        let (nu, [fy, fx]) = (self.nu, self.force);
        let (uc, vr) = (self.u_cols(), self.v_rows());
        let (ud, vd, u0, v0) = (&u.data[..], &v.data[..], &base.0.data[..], &base.1.data[..]);
        let (ny, nx) = (self.n[0], self.n[1]);
        let (ou, ov) = (Shared(out.0.data.as_mut_ptr()), Shared(out.1.data.as_mut_ptr()));
        team.bands(ny, ny * nx, |_, rows| {
            for j in rows {
                let r0 = u.idx(0, j as isize, 0);
                // SAFETY: each band writes its own rows of the outputs, which no band reads.
                let row = unsafe { std::slice::from_raw_parts_mut(ou.get().add(r0), nx) };
                for (i, o) in row.iter_mut().enumerate() {
                    let c = r0 + i;
                    if i >= uc {
                        *o = ud[c];
                        continue;
                    }
                    let uu = ud[c];
                    let ue = 0.5 * (uu + ud[c + 1]);
                    let uw = 0.5 * (ud[c - 1] + uu);
                    let un = 0.5 * (uu + ud[c + s]);
                    let us = 0.5 * (ud[c - s] + uu);
                    let vn = 0.5 * (vd[c] + vd[c + 1]);
                    let vs = 0.5 * (vd[c - s] + vd[c - s + 1]);
                    let adv = (ue * ue - uw * uw) * idx + (un * vn - us * vs) * idy;
                    let lap = (ud[c + 1] - 2.0 * uu + ud[c - 1]) * idx2 + (ud[c + s] - 2.0 * uu + ud[c - s]) * idy2;
                    let f = nu * lap - adv + fx;
                    let next = uu + dt * f;
                    *o = if a == 0.0 { next } else { a * u0[c] + b * next };
                }
                // SAFETY: as above.
                let row = unsafe { std::slice::from_raw_parts_mut(ov.get().add(r0), nx) };
                for (i, o) in row.iter_mut().enumerate() {
                    let c = r0 + i;
                    if j >= vr {
                        *o = vd[c];
                        continue;
                    }
                    let vv = vd[c];
                    let ue = 0.5 * (ud[c] + ud[c + s]);
                    let uw = 0.5 * (ud[c - 1] + ud[c - 1 + s]);
                    let ve = 0.5 * (vv + vd[c + 1]);
                    let vw = 0.5 * (vd[c - 1] + vv);
                    let vn = 0.5 * (vv + vd[c + s]);
                    let vs = 0.5 * (vd[c - s] + vv);
                    let adv = (ue * ve - uw * vw) * idx + (vn * vn - vs * vs) * idy;
                    let lap = (vd[c + 1] - 2.0 * vv + vd[c - 1]) * idx2 + (vd[c + s] - 2.0 * vv + vd[c - s]) * idy2;
                    let f = nu * lap - adv + fy;
                    let next = vv + dt * f;
                    *o = if a == 0.0 { next } else { a * v0[c] + b * next };
                }
            }
        });
    }

    /// The divergence of cell row j into `out`; u, v halos must be filled.
    #[inline]
    fn divergence_row(&self, ud: &[f64], vd: &[f64], r0: usize, s: usize, out: &mut [f64]) {
        let (idx, idy) = (1.0 / self.d[1], 1.0 / self.d[0]);
        for (i, o) in out.iter_mut().enumerate() {
            let c = r0 + i;
            *o = (ud[c] - ud[c - 1]) * idx + (vd[c] - vd[c - s]) * idy;
        }
    }

    /// Cell divergence of (u, v) into `div` (interior); u, v halos must be filled. With `guess`
    /// = (p, g), also phi = g p (the solve's initial guess) in the same loop.
    pub fn divergence(&self, team: &Team, u: &Field, v: &Field, div: &mut Field, guess: Option<(&Field, f64, &mut Field)>) {
        same_layout(&[u, v, div]);
        let s = u.strides()[1];
        let (ud, vd) = (&u.data[..], &v.data[..]);
        let (ny, nx) = (self.n[0], self.n[1]);
        let out = Shared(div.data.as_mut_ptr());
        let guess = guess.map(|(p, g, phi)| {
            same_layout(&[u, p, phi]);
            (p, g, Shared(phi.data.as_mut_ptr()))
        });
        team.bands(ny, ny * nx, |_, rows| {
            for j in rows {
                let r0 = u.idx(0, j as isize, 0);
                // SAFETY: each band writes its own rows of div (and phi), which no band reads.
                let row = unsafe { std::slice::from_raw_parts_mut(out.get().add(r0), nx) };
                self.divergence_row(ud, vd, r0, s, row);
                if let Some((p, g, phi)) = guess {
                    // SAFETY: as above.
                    let row = unsafe { std::slice::from_raw_parts_mut(phi.get().add(r0), nx) };
                    for (o, &q) in row.iter_mut().zip(p.row(0, j)) {
                        *o = g * q;
                    }
                }
            }
        });
    }

    /// u -= d(phi)/dx on unknown u faces, v -= d(phi)/dy on unknown v faces; phi halos filled.
    /// With `base`, returns max |u - base.0|, |v - base.1| over the interior after the update
    /// (else 0), in the same loop.
    pub fn subtract_gradient(
        &self,
        team: &Team,
        phi: &Field,
        u: &mut Field,
        v: &mut Field,
        base: Option<(&Field, &Field)>,
    ) -> f64 {
        same_layout(&[phi, u, v]);
        if let Some((a, b)) = base {
            same_layout(&[phi, a, b]);
        }
        let s = phi.strides()[1];
        let (idx, idy) = (1.0 / self.d[1], 1.0 / self.d[0]);
        let (uc, vr) = (self.u_cols(), self.v_rows());
        let pd = &phi.data[..];
        let (ny, nx) = (self.n[0], self.n[1]);
        let (pu, pv) = (Shared(u.data.as_mut_ptr()), Shared(v.data.as_mut_ptr()));
        team.fold(
            ny,
            ny * nx,
            |rows| {
                let mut m = 0.0f64;
                for j in rows {
                    let r0 = phi.idx(0, j as isize, 0);
                    // SAFETY: each band reads and writes its own rows of u and v only.
                    let ur = unsafe { std::slice::from_raw_parts_mut(pu.get().add(r0), nx) };
                    for (i, o) in ur.iter_mut().enumerate().take(uc) {
                        let c = r0 + i;
                        *o -= (pd[c + 1] - pd[c]) * idx;
                    }
                    // SAFETY: as above.
                    let vrow = unsafe { std::slice::from_raw_parts_mut(pv.get().add(r0), nx) };
                    if j < vr {
                        for (i, o) in vrow.iter_mut().enumerate() {
                            let c = r0 + i;
                            *o -= (pd[c + s] - pd[c]) * idy;
                        }
                    }
                    if let Some((bu, bv)) = base {
                        for (x, z) in ur.iter().zip(bu.row(0, j)) {
                            m = m.max((x - z).abs());
                        }
                        for (x, z) in vrow.iter().zip(bv.row(0, j)) {
                            m = m.max((x - z).abs());
                        }
                    }
                }
                m
            },
            f64::max,
        )
    }

    /// b -= grad(scale p) on the unknown faces, (scale p) formed in `scratch` (its halos
    /// exchanged) first: the pressure term of an incremental-pressure right-hand side.
    #[allow(clippy::too_many_arguments)]
    pub fn subtract_pressure_gradient(
        &self,
        team: &Team,
        comm: &dyn Comm,
        decomp: &Decomp,
        scale: f64,
        p: &Field,
        scratch: &mut Field,
        (bu, bv): (&mut Field, &mut Field),
    ) {
        team.rows(scratch, |y, row| {
            for (o, &q) in row.iter_mut().zip(p.row(0, y)) {
                *o = scale * q;
            }
        });
        comm.exchange_halos(decomp, scratch, [0, 1, 1]);
        self.subtract_gradient(team, scratch, bu, bv, None);
    }

    /// The end of a time step in one loop: p from phi by `pressure`, div = the divergence of
    /// (u, v) (halos filled); returns the local (max |div|, max |u|, max |v|) over the interior.
    pub fn finish(
        &self,
        team: &Team,
        phi: &Field,
        pressure: PressureUpdate,
        p: &mut Field,
        (u, v): (&Field, &Field),
        div: &mut Field,
    ) -> [f64; 3] {
        same_layout(&[phi, p, u, v, div]);
        let s = u.strides()[1];
        let (ud, vd) = (&u.data[..], &v.data[..]);
        let (ny, nx) = (self.n[0], self.n[1]);
        let (pp, pdiv) = (Shared(p.data.as_mut_ptr()), Shared(div.data.as_mut_ptr()));
        team.fold(
            ny,
            ny * nx,
            |rows| {
                let mut m = [0.0f64; 3];
                for j in rows {
                    let r0 = u.idx(0, j as isize, 0);
                    // SAFETY: each band writes its own rows of p and div, which no band reads.
                    let pr = unsafe { std::slice::from_raw_parts_mut(pp.get().add(r0), nx) };
                    match pressure {
                        PressureUpdate::Set(scale) => {
                            for (o, &q) in pr.iter_mut().zip(phi.row(0, j)) {
                                *o = scale * q;
                            }
                        }
                        PressureUpdate::Add(scale) => {
                            for (o, &q) in pr.iter_mut().zip(phi.row(0, j)) {
                                *o += scale * q;
                            }
                        }
                    }
                    // SAFETY: as above.
                    let dr = unsafe { std::slice::from_raw_parts_mut(pdiv.get().add(r0), nx) };
                    self.divergence_row(ud, vd, r0, s, dr);
                    m[0] = dr.iter().fold(m[0], |m, x| m.max(x.abs()));
                    m[1] = u.row(0, j).iter().fold(m[1], |m, x| m.max(x.abs()));
                    m[2] = v.row(0, j).iter().fold(m[2], |m, x| m.max(x.abs()));
                }
                m
            },
            |a, b| [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])],
        )
    }

    /// A cell-centred view for output (see [`Centred`]). Halos of u and v must be filled.
    pub fn centred(&self, view: Centred, u: &Field, v: &Field, out: &mut [f64]) {
        let s = u.strides()[1];
        let (idx, idy) = (1.0 / self.d[1], 1.0 / self.d[0]);
        let (ud, vd) = (&u.data[..], &v.data[..]);
        let corner = |c: usize| (vd[c + 1] - vd[c]) * idx - (ud[c + s] - ud[c]) * idy;
        let mut k = 0;
        for j in 0..self.n[0] {
            let r0 = u.idx(0, j as isize, 0);
            for i in 0..self.n[1] {
                let c = r0 + i;
                let uc = 0.5 * (ud[c - 1] + ud[c]);
                let vc = 0.5 * (vd[c - s] + vd[c]);
                out[k] = match view {
                    Centred::U => uc,
                    Centred::V => vc,
                    Centred::Speed => (uc * uc + vc * vc).sqrt(),
                    Centred::Vorticity => 0.25 * (corner(c) + corner(c - 1) + corner(c - s) + corner(c - s - 1)),
                };
                k += 1;
            }
        }
    }
}

/// The kernels index every field with the first one's flat indices: same extent and halos.
fn same_layout(fields: &[&Field]) {
    for f in &fields[1..] {
        assert!(f.n == fields[0].n && f.h == fields[0].h, "MAC fields of different layouts");
    }
}

/// The cell-centred output views of the face velocities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Centred {
    /// u and v: the averages of the two faces around the cell.
    U,
    V,
    /// |(u, v)| of those averages.
    Speed,
    /// dv/dx - du/dy: the average of the cell's four corner values.
    Vorticity,
}

/// The wall ghosts of [`Mac::band_ghosts`]: each band of the team loop fills those of its rows.
pub struct BandGhosts<'a> {
    mac: &'a Mac,
    ghosts: WallGhosts,
    /// False: filled already (bands too thin).
    per_band: bool,
}

impl BandGhosts<'_> {
    /// The ghosts of the band of interior rows `rows` (see [`WallGhosts::fill_band`]).
    pub fn fill(&self, rows: std::ops::Range<usize>) {
        if self.per_band {
            self.ghosts.fill_band(self.mac, rows);
        }
    }
}

/// Raw access to the rows of u and v (of one shape) for their wall ghosts, which the team's
/// bands fill (see [`Mac::band_ghosts`]). Made from u and v borrowed mutably; its user keeps
/// them so (no other access) until the fill is done.
#[derive(Clone, Copy)]
struct WallGhosts {
    u: Shared,
    v: Shared,
    /// Padded row length and the index of interior column 0 in padded row 0.
    stride: usize,
    first: usize,
    len: usize,
}

impl WallGhosts {
    fn of(u: &mut Field, v: &mut Field) -> WallGhosts {
        assert!(u.n == v.n && u.h == v.h && u.h[2] >= 1 && u.h[1] >= 1, "u and v of one shape, halos one deep");
        let first = u.idx(0, -1, 0);
        WallGhosts {
            u: Shared(u.data.as_mut_ptr()),
            v: Shared(v.data.as_mut_ptr()),
            stride: u.strides()[1],
            first,
            len: u.data.len(),
        }
    }

    /// The wall ghosts of the band of interior rows `rows` of `0..ny`: those of its padded rows,
    /// with ghost row -1 in the band that starts at row 0 and row ny in the one that ends at ny
    /// (see [`WallGhosts::fill`]). Bands of at least two rows (the y walls' ghost rows read the
    /// two rows next to them). Every ghost is set from its own band's rows only, so bands may
    /// fill theirs while other bands update their interior faces, and together the bands give
    /// the values of [`Mac::fill_ghosts`].
    fn fill_band(self, mac: &Mac, rows: std::ops::Range<usize>) {
        let ny = mac.n[0];
        let a = if rows.start == 0 { 0 } else { rows.start + 1 };
        let b = if rows.end == ny { ny + 2 } else { rows.end + 1 };
        self.fill(mac, a..b);
    }

    /// The wall ghosts of padded rows `rows` (0..ny + 2: rows -1..=ny), as [`Mac::fill_ghosts`]
    /// defines them: first the x walls' ghost columns of these rows (each row's from that row
    /// alone), then the y walls' ghost rows, all columns, if `rows` holds them (from the two rows
    /// next to the wall, which `rows` must then hold too). Filling the low y wall's row for
    /// every column and then the high one's is the same as alternating them column by column:
    /// each reads only its own column, and the high wall's reads of row ny - 2 see the low
    /// wall's writes of that column in both orders.
    fn fill(self, mac: &Mac, rows: std::ops::Range<usize>) {
        let (n, nx, ny) = (mac.n[1], mac.n[1] as isize, mac.n[0]);
        let q = |w: f64, a: f64, b: f64| (8.0 * w - 6.0 * a + b) / 3.0;
        let row = |r: usize| {
            let c = self.first + r * self.stride;
            assert!(c >= 1 && c + n < self.len);
            c
        };
        if mac.wall[1] {
            for r in rows.clone() {
                let c = row(r);
                // SAFETY: columns -1..=nx of this row are inside both fields (checked); the
                // callers' bands own disjoint rows, and u, v are borrowed mutably for the call.
                unsafe {
                    let (u, v) = (self.u.get().add(c), self.v.get().add(c));
                    if mac.at_lo[1] {
                        *u.offset(-1) = 0.0;
                        *v.offset(-1) = q(mac.wall_speed[0], *v, *v.offset(1));
                    }
                    if mac.at_hi[1] {
                        *u.offset(nx - 1) = 0.0;
                        *u.offset(nx) = -*u.offset(nx - 2);
                        *v.offset(nx) = q(mac.wall_speed[1], *v.offset(nx - 1), *v.offset(nx - 2));
                    }
                }
            }
        }
        if !mac.wall[0] {
            return;
        }
        let (u, v) = (self.u.get(), self.v.get());
        if mac.at_lo[0] && rows.start == 0 {
            assert!(rows.len() >= 3, "the low y wall's rows in one band");
            let (g, r0, r1) = (row(0) - 1, row(1) - 1, row(2) - 1);
            for i in 0..n + 2 {
                // SAFETY: padded rows 0..=2 (rows -1, 0, 1), columns -1..=nx: inside both fields
                // (checked by `row`), held by this band only.
                unsafe {
                    *v.add(g + i) = 0.0;
                    *u.add(g + i) = q(mac.wall_speed[2], *u.add(r0 + i), *u.add(r1 + i));
                }
            }
        }
        if mac.at_hi[0] && rows.end == ny + 2 {
            assert!(rows.len() >= 3, "the high y wall's rows in one band");
            let (g, r1, r2) = (row(ny + 1) - 1, row(ny) - 1, row(ny - 1) - 1);
            for i in 0..n + 2 {
                // SAFETY: padded rows ny - 1..=ny + 1 (rows ny - 2..=ny), columns -1..=nx: inside
                // both fields (checked by `row`), held by this band only.
                unsafe {
                    *v.add(r1 + i) = 0.0;
                    *v.add(g + i) = -*v.add(r2 + i);
                    *u.add(g + i) = q(mac.wall_speed[3], *u.add(r1 + i), *u.add(r2 + i));
                }
            }
        }
    }
}

impl Centred {
    /// The view an output field name asks for ("u", "v", "speed", "vorticity").
    pub fn from_name(name: &str) -> Option<Centred> {
        match name {
            "u" => Some(Centred::U),
            "v" => Some(Centred::V),
            "speed" => Some(Centred::Speed),
            "vorticity" => Some(Centred::Vorticity),
            _ => None,
        }
    }
}
