//! Pseudo-time iteration to the steady state (`[navier_stokes.pseudo_time]`): not time-accurate,
//! for runs that only want the steady flow (the lid-driven cavity), as a steady solver such as
//! OpenFOAM's simpleFoam would be used.
//!
//! With the discrete steady residual of the momentum equations at the state (u, p),
//!
//!   R(u, p) = -div(u u) + nu lap(u) + f - grad p        (the explicit operator of [`super::mac`]),
//!
//! one iteration from (u^n, p^n), divergence-free u^n, with the pseudo step dtau is
//!
//!   (I + dtau M) delta = dtau R(u^n, p^n)                approximately: `sweeps` red-black sweeps
//!   u* = u^n + delta,   lap phi = div u*,   u^{n+1} = u* - grad phi,   p^{n+1} = p^n + phi / dtau
//!
//! where M is the first-order upwind linearisation of advection about u^n plus the 5-point
//! viscous operator (a diagonally dominant M-matrix for any dtau, so Gauss-Seidel converges
//! without a step limit). M is only a preconditioner: the iteration's fixed point has delta = 0
//! and phi = 0, that is R(u, p) = 0 and div u = 0, exactly the steady state of the time-accurate
//! scheme (same central fluxes, same wall ghosts, same projection), whatever M and however many
//! sweeps. This is the defect-correction form of an implicit pseudo-transient method
//! (Kelley & Keyes 1998, SIAM J. Numer. Anal. 35:508, on pseudo-transient continuation; the
//! upwind-preconditioned defect correction of Hemker 1986 and Koren 1988); the pressure update
//! through the projection is SIMPLE's, with an implicit pressure relaxation 1/(1 + dtau a_P)
//! (Patankar 1980, Numerical Heat Transfer and Fluid Flow, ch. 6).
//!
//! The pseudo step is dtau = `cfl` times the explicit scheme's stable step (advection and
//! diffusion, [`super::inverse_dt_limit`]); it is not bound by stability but trades the pressure
//! relaxation against the velocity's (measured on the 128^2 cavity: 20-100 converge fastest at
//! Re 100 and 1000, about 1300 iterations to max |R| < 1e-6 at cfl 48 with 8 sweeps). The steady
//! measure is max |R(u^n, p^n)| over the faces (the `max_dudt` diagnostic: the largest du/dt the
//! time-accurate equations would have at this state and pressure), compared with
//! `time.steady_tolerance`. The colours go by global index parity and the sweep count is fixed,
//! so the bits are the same for any thread count and any rank split. A sweep's rows are
//! `pseudo_row.rs`'s (vector blocks where no other thread touches the neighbouring rows).

use super::mac::Mac;
use super::pseudo_row::{relax_row, RowK};
use super::viscous;
use crate::decomp::Decomp;
use crate::field::Field;
use crate::par::team::{Shared, Team};
use crate::par::Comm;
use crate::simd::Isa;

/// The pseudo-time iteration's settings and buffers.
pub struct Pseudo {
    pub sweeps: u32,
    /// dtau R (the right-hand side of the correction).
    b: (Field, Field),
    /// The correction delta.
    pub delta: (Field, Field),
    /// Scratch: (dtau p) for its gradient.
    s: Field,
    /// The block's geometry with still walls: the ghosts of a correction.
    still: Mac,
}

impl Pseudo {
    pub fn new(sweeps: u32, mac: &Mac, like: &Field) -> Pseudo {
        let z = || Field::new(like.n, like.h);
        let still = Mac { wall_speed: [0.0; 4], ..mac.clone() };
        Pseudo { sweeps, b: (z(), z()), delta: (z(), z()), s: z(), still }
    }

    /// The correction of one iteration from (u, p) (u's ghosts filled) into `delta`; returns
    /// the global max |dtau R(u, p)|.
    #[allow(clippy::too_many_arguments)]
    pub fn correction(
        &mut self,
        mac: &Mac,
        comm: &dyn Comm,
        decomp: &Decomp,
        team: &Team,
        (u, v): (&Field, &Field),
        p: &Field,
        dtau: f64,
    ) -> f64 {
        // b = dtau (f - div(u u) + nu lap u) - grad(dtau p).
        viscous::rhs(mac, team, (u, v), [(0.0, u, v), (0.0, u, v)], dtau, dtau, (&mut self.b.0, &mut self.b.1));
        mac.subtract_pressure_gradient(team, comm, decomp, dtau, p, &mut self.s, (&mut self.b.0, &mut self.b.1));
        let mut bmax = [super::diag::max_abs_on(team, &self.b.0).max(super::diag::max_abs_on(team, &self.b.1))];
        comm.max_f64(&mut bmax);
        // (I + dtau M) delta = b from delta = 0.
        team.zero(&mut self.delta.0);
        team.zero(&mut self.delta.1);
        let k = Coefs::new(mac, dtau);
        let (du, dv) = (&mut self.delta.0, &mut self.delta.1);
        for _ in 0..self.sweeps {
            for colour in 0..2 {
                self.still.exchange_halos(comm, decomp, du, dv);
                let first = |j: usize| (colour + mac.off[0] + j + mac.off[1]) % 2;
                relax_colour(team, &self.still, (u, v), (du, dv), (&self.b.0, &self.b.1), &k, first);
            }
        }
        bmax[0]
    }
}

/// The coefficients' constants and the block's wall facts.
struct Coefs {
    /// dtau / dx, dtau / dy, dtau nu / dx^2, dtau nu / dy^2 (the walls and columns per row filled
    /// in by the sweep).
    row: RowK,
    /// Unknowns: u columns, v rows; block size (ny, nx).
    uc: usize,
    vr: usize,
    n: [usize; 2],
    /// Walls whose tangential ghost is extrapolated: y low / high (for u), x low / high (for v).
    wy: [bool; 2],
    wx: [bool; 2],
}

impl Coefs {
    fn new(mac: &Mac, dtau: f64) -> Coefs {
        let (dy, dx) = (mac.d[0], mac.d[1]);
        Coefs {
            row: RowK {
                tx: dtau / dx,
                ty: dtau / dy,
                nx2: dtau * mac.nu / (dx * dx),
                ny2: dtau * mac.nu / (dy * dy),
                cols: 0,
                lo: false,
                hi: false,
            },
            uc: mac.u_cols(),
            vr: mac.v_rows(),
            n: mac.n,
            wy: [mac.wall[0] && mac.at_lo[0], mac.wall[0] && mac.at_hi[0]],
            wx: [mac.wall[1] && mac.at_lo[1], mac.wall[1] && mac.at_hi[1]],
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Comp {
    U,
    V,
}

/// One colour of a red-black sweep of (I + dtau M) x = b, in place, for both components: on the
/// unknown faces of that colour (column `first(j)` of row j in steps of 2), x += residual /
/// diagonal. M's upwind weights come from the face velocities (u, v) averaged to the control
/// volume's faces, as in the central fluxes. A face of one colour reads only faces of the other
/// (its four neighbours) and itself, so updating in place gives the bits of a separate
/// correction pass, and the bands' threads never touch a value another thread writes. Each band
/// first fills the wall ghosts of its rows of x from `still` ([`Mac::band_ghosts`]).
#[allow(clippy::too_many_arguments)]
fn relax_colour(
    team: &Team,
    still: &Mac,
    (u, v): (&Field, &Field),
    (xu, xv): (&mut Field, &mut Field),
    (bu, bv): (&Field, &Field),
    k: &Coefs,
    first: impl Fn(usize) -> usize + Sync + Send,
) {
    let st = xu.strides()[1];
    assert!(xu.data.len() == u.data.len() && xv.data.len() == u.data.len() && v.data.len() == u.data.len());
    assert!(bu.data.len() == u.data.len() && bv.data.len() == u.data.len() && xu.strides() == u.strides());
    let (ud, vd) = (&u.data[..], &v.data[..]);
    let ghosts = still.band_ghosts(team, xu, xv);
    let (pu, pv) = (Shared(xu.data.as_mut_ptr()), Shared(xv.data.as_mut_ptr()));
    let r00 = u.idx(0, 0, 0);
    let ny = k.n[0];
    let isa = Isa::current();
    team.bands(ny, ny * k.n[1], |_, rows| {
        ghosts.fill(rows.clone());
        let (start, end) = (rows.start, rows.end);
        for j in rows {
            let r0 = r00 + j * st;
            // Vector blocks only where the rows j -+ 1 are this band's (or outer ghost rows).
            let wide = (j > start || start == 0) && (j + 1 < end || end == ny);
            for (comp, x, b) in [(Comp::U, pu, &bu.data[..]), (Comp::V, pv, &bv.data[..])] {
                if comp == Comp::V && j >= k.vr {
                    continue;
                }
                let row = if comp == Comp::U {
                    RowK { cols: k.uc, lo: j == 0 && k.wy[0], hi: j + 1 == k.n[0] && k.wy[1], ..k.row }
                } else {
                    RowK { cols: k.n[1], lo: k.wx[0], hi: k.wx[1], ..k.row }
                };
                // SAFETY: the faces of row j and its neighbours' -1 ..= cols are inside the
                // padded fields (halos one deep; lengths checked above). This band writes only
                // faces of this colour in its own rows and reads faces of the other colour, which
                // no band writes during this pass; `wide` only where no other band touches the
                // rows j -+ 1.
                unsafe { relax_row(isa, wide, comp == Comp::U, x.get(), (r0, st), (ud, vd, b), &row, first(j)) };
            }
        }
    });
}
