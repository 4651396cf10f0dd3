//! Semi-implicit viscous term (`navier_stokes.viscous = "crank_nicolson" | "backward_euler"`).
//!
//! With N(u) = -div(u u) + f (explicit) and D u = nu lap(u) (implicit, weight theta; theta = 1/2
//! Crank-Nicolson, theta = 1 backward Euler), one step from u^n is the IMEX pair of Heun's
//! method (the explicit tableau of SSP-RK2) and the theta scheme, each stage projected
//! (P: u* -> u* - grad phi with lap phi = div u*):
//!
//!   R      = u^n + (1 - theta) dt D u^n
//!   (I - theta dt D) u1* = R + dt N(u^n),                          u1      = P u1*
//!   (I - theta dt D) u2* = R + dt/2 N(u^n) + dt/2 N(u1),           u^{n+1} = P u2*
//!
//! (the second right-hand side is formed as (R + b1)/2 + dt/2 N(u1) from the first one, b1).
//! Both tableaus have the weights b = (1/2, 1/2) and nodes c = (0, 1); the implicit one,
//! A = [[0, 0], [(1 - theta), theta]] with the stage-1 row (1 - theta, theta) as well, is the
//! trapezoidal rule for theta = 1/2, so the pair satisfies the order-2 conditions (b.c = 1/2 for
//! both and the coupling conditions, c being shared): second order in time for Crank-Nicolson,
//! first order for backward Euler (Ascher, Ruuth & Spiteri 1997, Appl. Numer. Math. 25:151, on
//! IMEX Runge-Kutta schemes; Kim & Moin 1985, J. Comput. Phys. 59:308, for Crank-Nicolson
//! diffusion inside a projection method). On periodic domains D commutes with P and the
//! velocity is exactly the method-of-lines solution of the discretely divergence-free system;
//! with walls the stage projections add the usual splitting error of a pressure-free
//! projection at the walls. The pressure is p = phi2 / dt.
//!
//! The time step is limited by advection alone: dt = cfl / (|u|max/dx + |v|max/dy). The
//! implicit weight keeps the trapezoidal rule A-stable for the diffusion; central advection
//! with Heun needs some physical damping of the grid modes, which the viscosity gives at the
//! cell Reynolds numbers the central scheme is meant for.
//!
//! The Helmholtz problems (I - a L) x = b, a = theta dt nu, per velocity component on its MAC
//! faces, use the same 5-point Laplacian and the same wall ghosts as the explicit term
//! ([`Mac::fill_ghosts`]: quadratic extrapolation through the wall speed, the wall's normal
//! faces held at 0), so the implicit and explicit operators are the same matrix. They are
//! solved by red-black Gauss-Seidel: the matrix is strictly diagonally dominant (diagonal
//! 1 + 2 a (1/dx^2 + 1/dy^2), plus 2 a/h^2 next to a wall where the ghost depends on the face
//! itself; off-diagonal sum 2 a (1/dx^2 + 1/dy^2)), so each sweep reduces the error by at
//! least r / (1 + r), r = 2 a (1/dx^2 + 1/dy^2), independent of the grid size: with dt limited
//! by advection, a dt nu / h^2 ~ cfl / (2 Re_cell), a few sweeps. Every solve starts from
//! x0 = b + a L w, one explicit step of the implicit part from the stage's own velocity w (u^n,
//! then u1): within O(dt^2) of the solution, as close as the last step's x - b would be, and made
//! of the state alone, so a restart from a checkpoint takes the same sweeps and bits.
//! Colours are by global index parity and the stop test is a global max, so the bits are the
//! same for any thread count and any rank split.

use super::mac::Mac;
use super::viscous_row::{relax_row, RowCoef};
use crate::simd::Isa;
use crate::decomp::Decomp;
use crate::par::team::{Shared, Team};
use crate::field::Field;
use crate::par::Comm;

/// At most this many sweeps per solve (a solve that stops here goes on with its iterate).
const MAX_SWEEPS: u32 = 2000;

/// The buffers of the implicit viscous stages.
pub struct Implicit {
    pub theta: f64,
    pub tol: f64,
    /// R = u^n + (1 - theta) dt D u^n.
    pub r: (Field, Field),
    /// Right-hand side of the current solve.
    pub b: (Field, Field),
    /// Scratch: the scaled pressure whose gradient the right-hand sides subtract.
    pub s: Field,
    /// Sweeps of the last step's solves.
    pub sweeps: u32,
}

impl Implicit {
    pub fn new(theta: f64, tol: f64, like: &Field) -> Implicit {
        let z = || Field::new(like.n, like.h);
        Implicit { theta, tol, r: (z(), z()), b: (z(), z()), s: z(), sweeps: 0 }
    }
}

/// (advection flux difference, Laplacian) of u at storage index c (stride s).
#[inline(always)]
fn u_terms(ud: &[f64], vd: &[f64], c: usize, s: usize, id: [f64; 2]) -> (f64, f64) {
    let [idx, idy] = id;
    let uu = ud[c];
    let ue = 0.5 * (uu + ud[c + 1]);
    let uw = 0.5 * (ud[c - 1] + uu);
    let un = 0.5 * (uu + ud[c + s]);
    let us = 0.5 * (ud[c - s] + uu);
    let vn = 0.5 * (vd[c] + vd[c + 1]);
    let vs = 0.5 * (vd[c - s] + vd[c - s + 1]);
    let adv = (ue * ue - uw * uw) * idx + (un * vn - us * vs) * idy;
    let lap = (ud[c + 1] - 2.0 * uu + ud[c - 1]) * (idx * idx) + (ud[c + s] - 2.0 * uu + ud[c - s]) * (idy * idy);
    (adv, lap)
}

/// (advection flux difference, Laplacian) of v at storage index c (stride s).
#[inline(always)]
fn v_terms(ud: &[f64], vd: &[f64], c: usize, s: usize, id: [f64; 2]) -> (f64, f64) {
    let [idx, idy] = id;
    let vv = vd[c];
    let ue = 0.5 * (ud[c] + ud[c + s]);
    let uw = 0.5 * (ud[c - 1] + ud[c - 1 + s]);
    let ve = 0.5 * (vv + vd[c + 1]);
    let vw = 0.5 * (vd[c - 1] + vv);
    let vn = 0.5 * (vv + vd[c + s]);
    let vs = 0.5 * (vd[c - s] + vv);
    let adv = (ue * ve - uw * vw) * idx + (vn * vn - vs * vs) * idy;
    let lap = (vd[c + 1] - 2.0 * vv + vd[c - 1]) * (idx * idx) + (vd[c + s] - 2.0 * vv + vd[c - s]) * (idy * idy);
    (adv, lap)
}

/// The explicit right-hand side on the unknown faces:
/// out = w0 base0 + w1 base1 + ca (f - adv(cur)) + cd nu lap(cur); other faces copy `cur`.
/// `cur` halos must be filled.
#[allow(clippy::too_many_arguments)]
pub fn rhs(
    mac: &Mac,
    exec: &Team,
    cur: (&Field, &Field),
    base: [(f64, &Field, &Field); 2],
    ca: f64,
    cd: f64,
    out: (&mut Field, &mut Field),
) {
    let (u, v) = cur;
    let s = u.strides()[1];
    let id = [1.0 / mac.d[1], 1.0 / mac.d[0]];
    let (nu, [fy, fx]) = (mac.nu, mac.force);
    let (uc, vr) = (mac.u_cols(), mac.v_rows());
    let (ud, vd) = (&u.data[..], &v.data[..]);
    let [(w0, b0u, b0v), (w1, b1u, b1v)] = base;
    exec.rows(out.0, |j, row| {
        let r0 = u.idx(0, j as isize, 0);
        for (i, o) in row.iter_mut().enumerate() {
            let c = r0 + i;
            if i >= uc {
                *o = ud[c];
                continue;
            }
            let (adv, lap) = u_terms(ud, vd, c, s, id);
            *o = w0 * b0u.data[c] + w1 * b1u.data[c] + ca * (fx - adv) + cd * (nu * lap);
        }
    });
    exec.rows(out.1, |j, row| {
        let r0 = v.idx(0, j as isize, 0);
        for (i, o) in row.iter_mut().enumerate() {
            let c = r0 + i;
            if j >= vr {
                *o = vd[c];
                continue;
            }
            let (adv, lap) = v_terms(ud, vd, c, s, id);
            *o = w0 * b0v.data[c] + w1 * b1v.data[c] + ca * (fy - adv) + cd * (nu * lap);
        }
    });
}

/// The start of a solve of (I - a lap) x = b: x0 = b + a lap(w) on the unknown faces, b's values
/// on the others. `w` halos must be filled.
pub fn start(mac: &Mac, exec: &Team, w: (&Field, &Field), b: (&Field, &Field), a: f64, x: (&mut Field, &mut Field)) {
    let s = w.0.strides()[1];
    let (ax, ay) = (a / (mac.d[1] * mac.d[1]), a / (mac.d[0] * mac.d[0]));
    let (uc, vr) = (mac.u_cols(), mac.v_rows());
    let lap = |d: &[f64], c: usize| ax * (d[c + 1] - 2.0 * d[c] + d[c - 1]) + ay * (d[c + s] - 2.0 * d[c] + d[c - s]);
    for (out, wf, bf, is_u) in [(x.0, w.0, b.0, true), (x.1, w.1, b.1, false)] {
        let (wd, bd) = (&wf.data[..], &bf.data[..]);
        exec.rows(out, |j, row| {
            let r0 = wf.idx(0, j as isize, 0);
            for (i, o) in row.iter_mut().enumerate() {
                let c = r0 + i;
                let unknown = if is_u { i < uc } else { j < vr };
                *o = if unknown { bd[c] + lap(wd, c) } else { bd[c] };
            }
        });
    }
}

/// Solve (I - a lap) x = b for u and v by red-black Gauss-Seidel from the x given (its faces
/// other than the unknowns as b's). Returns the sweeps taken.
#[allow(clippy::too_many_arguments)]
pub fn solve(
    mac: &Mac,
    comm: &dyn Comm,
    decomp: &Decomp,
    exec: &Team,
    a: f64,
    tol: f64,
    b: (&Field, &Field),
    x: (&mut Field, &mut Field),
) -> u32 {
    let (xu, xv) = x;
    let mut bmax = [super::diag::max_abs_on(exec, b.0).max(super::diag::max_abs_on(exec, b.1))];
    comm.max_f64(&mut bmax);
    let (ax, ay) = (a / (mac.d[1] * mac.d[1]), a / (mac.d[0] * mac.d[0]));
    let diag = 1.0 + 2.0 * (ax + ay);
    let (uc, vr) = (mac.u_cols(), mac.v_rows());
    let (ny, nx) = (mac.n[0], mac.n[1]);
    // The ghost next to a wall is (8 w - 6 x0 + x1) / 3: -2 x0 more on the diagonal.
    let wy_lo = mac.wall[0] && mac.at_lo[0];
    let wy_hi = mac.wall[0] && mac.at_hi[0];
    let wx_lo = mac.wall[1] && mac.at_lo[1];
    let wx_hi = mac.wall[1] && mac.at_hi[1];
    // Unknown faces of u: columns 0..uc, all rows; extra diagonal on the rows next to a y wall.
    // Of v: rows 0..vr, all columns; extra diagonal on the columns next to an x wall.
    let u_part = Part::new(uc, ny, ax, ay, diag, wy_lo.then_some(2.0 * ay), wy_hi.then_some(2.0 * ay), false);
    let v_part = Part::new(nx, vr, ax, ay, diag, wx_lo.then_some(2.0 * ax), wx_hi.then_some(2.0 * ax), true);
    let mut sweeps = 0;
    loop {
        let mut worst = 0.0f64;
        for colour in 0..2 {
            mac.exchange_halos(comm, decomp, xu, xv);
            let first = |j: usize| (colour + mac.off[0] + j + mac.off[1]) % 2;
            worst = worst.max(relax_colour(exec, mac, (&mut *xu, &mut *xv), b, (&u_part, &v_part), first));
        }
        sweeps += 1;
        let mut w = [worst];
        comm.max_f64(&mut w);
        if w[0] <= tol * bmax[0] || sweeps >= MAX_SWEEPS {
            break;
        }
    }
    mac.fill_ghosts_on(exec, comm, decomp, xu, xv);
    sweeps
}

/// The unknown faces of one component and their coefficients.
struct Part {
    /// Unknowns: rows 0..rows, columns 0..cols.
    cols: usize,
    rows: usize,
    ax: f64,
    ay: f64,
    /// The larger wall diagonals are on the first and last column (v, next to x walls), not on
    /// the first and last row (u, next to y walls).
    along_x: bool,
    /// 1 / diagonal away from walls, next to the low wall, the high one, both (index: low + 2
    /// high): a multiplication per face instead of a division, which bounded the sweep.
    inv: [f64; 4],
}

impl Part {
    /// Diagonal `d` away from walls; `lo` / `hi`: the extra diagonal next to the low / high wall
    /// across which the ghost is extrapolated (rows for u, columns for v).
    #[allow(clippy::too_many_arguments)]
    fn new(cols: usize, rows: usize, ax: f64, ay: f64, d: f64, lo: Option<f64>, hi: Option<f64>, along_x: bool) -> Part {
        let inv = [0, 1, 2, 3].map(|w| {
            let mut dd = d;
            if w & 1 != 0 {
                dd += lo.unwrap_or(0.0);
            }
            if w & 2 != 0 {
                dd += hi.unwrap_or(0.0);
            }
            1.0 / dd
        });
        Part { cols, rows, ax, ay, along_x, inv }
    }
}

/// One colour's Gauss-Seidel update of both components in place: on the faces of each part from
/// column `first(j)` in steps of 2, x += residual * (1 / diagonal). A face of one colour reads only
/// faces of the other (its four neighbours) and itself, so updating in place gives the bits of a
/// separate correction pass, and no band reads a value another band writes. Each band first
/// fills the wall ghosts of its rows ([`Mac::band_ghosts`]; the halos from neighbours and the
/// periodic wrap must be exchanged): the values of [`Mac::fill_ghosts`] before the pass.
/// Returns the largest |residual| (before the update).
fn relax_colour(
    team: &Team,
    mac: &Mac,
    (xu, xv): (&mut Field, &mut Field),
    (bu, bv): (&Field, &Field),
    (pu, pv): (&Part, &Part),
    first: impl Fn(usize) -> usize + Sync + Send,
) -> f64 {
    let st = xu.strides()[1];
    assert!(xv.data.len() == xu.data.len() && bu.data.len() == xu.data.len() && bv.data.len() == xu.data.len());
    assert!(xv.strides() == xu.strides() && bu.strides() == xu.strides() && bv.strides() == xu.strides());
    let r00 = xu.idx(0, 0, 0);
    let (ny, cells) = (xu.n[1], xu.n[1] * xu.n[2]);
    let ghosts = mac.band_ghosts(team, xu, xv);
    let (su, sv) = (Shared(xu.data.as_mut_ptr()), Shared(xv.data.as_mut_ptr()));
    let (bud, bvd) = (&bu.data[..], &bv.data[..]);
    let isa = Isa::current();
    let relax = |rows: std::ops::Range<usize>| -> f64 {
        ghosts.fill(rows.clone());
        let mut worst = 0.0f64;
        let (start, end) = (rows.start, rows.end);
        for j in rows {
            let wide = (j > start || start == 0) && (j + 1 < end || end == ny);
            let r0 = r00 + j * st;
            for (x, b, part) in [(su, bud, pu), (sv, bvd, pv)] {
                if j >= part.rows {
                    continue;
                }
                // This row's coefficients: the walls' diagonals along x (v) or for the row (u).
                let inv = if part.along_x {
                    part.inv
                } else {
                    [part.inv[usize::from(j == 0) | usize::from(j + 1 == part.rows) << 1]; 4]
                };
                let k = RowCoef { a: [part.ax, part.ay], inv, n: part.cols };
                // SAFETY: the row's faces -1 ..= cols and the rows j -+ 1 lie in the padded field
                // (interior faces, halos one deep, lengths checked above); b's row holds cols
                // values. This band writes only faces of this colour in its own rows and reads
                // faces of the other colour, which no band writes during this pass; `wide` only
                // where the rows j -+ 1 are this band's too (or halos), so no other band reads
                // row j or writes the rows around it.
                let w = unsafe { relax_row(isa, wide, x.get().add(r0), st, &b[r0..r0 + part.cols], k, first(j)) };
                worst = worst.max(w);
            }
        }
        worst
    };
    team.fold(ny, cells, relax, f64::max)
}
