//! One level of the cell-centred multigrid hierarchy and its pure kernels: red-black
//! Gauss-Seidel, residual, restriction (average of the four children), bilinear prolongation
//! (weights 9/16, 3/16, 3/16, 1/16). Briggs, Henson & McCormick, "A Multigrid Tutorial" (2nd ed.,
//! SIAM 2000), ch. 3-4; Trottenberg, Oosterlee & Schuller, "Multigrid" (2001), sec. 2.8 on
//! cell-centred transfers (orders 2 + 1 > 2, as a Poisson V-cycle needs).
//!
//! The operator is the 5-point Laplacian A phi = sum over faces a_f (phi_nb - phi), a_f = 1/d^2,
//! with a_f = 0 on wall faces (homogeneous Neumann) and periodic wrap elsewhere. Every cell is
//! updated by one fixed expression from the values of the other colour, so the result is the same
//! for any split of the cells over ranks and threads.

use crate::decomp::Decomp;
use crate::field::{Field, Region};
use crate::par::{Comm, Exec, SingleComm};
use rayon::prelude::*;

pub struct Level {
    /// Decomposition used for halo exchange (a whole-grid block when replicated).
    pub d: Decomp,
    /// Every rank holds the whole level (true) or its own block (false).
    pub replicated: bool,
    /// Blocks (offset, size) in (z, y, x) of every rank, when distributed.
    pub blocks: Vec<([usize; 3], [usize; 3])>,
    /// Inverse squared spacing (1/dy^2, 1/dx^2).
    pub ih2: [f64; 2],
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
    pub fn new(d: Decomp, replicated: bool, blocks: Vec<([usize; 3], [usize; 3])>, spacing: [f64; 2]) -> Level {
        let n = d.size;
        let h = [0, 1, 1];
        Level {
            ih2: [1.0 / (spacing[0] * spacing[0]), 1.0 / (spacing[1] * spacing[1])],
            phi: Field::new(n, h),
            f: Field::new(n, h),
            r: Field::new(n, h),
            d,
            replicated,
            blocks,
        }
    }

    pub fn cells(&self) -> usize {
        self.d.size[1] * self.d.size[2]
    }

    /// The stencil coefficients of this level's block.
    fn stencil(&self) -> Stencil {
        Stencil {
            off: [self.d.offset[1], self.d.offset[2]],
            global: [self.d.global[1], self.d.global[2]],
            wall: [!self.d.periodic[1], !self.d.periodic[2]],
            ih2: self.ih2,
        }
    }

    /// Fill the face halos of `phi` (neighbours, periodic wrap).
    pub fn exchange_phi(&mut self, comm: &dyn Comm) {
        if self.replicated {
            SingleComm.exchange_faces_overlapped(&self.d, &mut self.phi, [0, 1, 1], &mut |_| {});
        } else {
            comm.exchange_faces_overlapped(&self.d, &mut self.phi, [0, 1, 1], &mut |_| {});
        }
    }

    /// Fill all halos of `phi` including corners, with mirrored ghosts on walls (homogeneous
    /// Neumann), as the prolongation reads them.
    pub fn exchange_phi_with_ghosts(&mut self, comm: &dyn Comm) {
        if self.replicated {
            SingleComm.exchange_halos(&self.d, &mut self.phi, [0, 1, 1]);
        } else {
            comm.exchange_halos(&self.d, &mut self.phi, [0, 1, 1]);
        }
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
        let st = self.stencil();
        let parity0 = self.d.offset[1] + self.d.offset[2];
        let f = &self.f;
        let ptr = Shared(self.phi.data.as_mut_ptr());
        let row = |y: usize| {
            let p = ptr;
            // Red cells have (gx + gy) even: the first cell of this colour in row y.
            let first = (colour + parity0 + y) % 2;
            let fr = f.row(0, y);
            let mut x = first;
            while x < nx {
                let [a_s, a_n, a_w, a_e] = st.coef(y, x);
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
        let st = self.stencil();
        let n = self.d.size;
        exec.for_each_row(&mut self.r, Region::whole(n), |_, y, row| {
            let r0 = phi.idx(0, y as isize, 0);
            let fr = f.row(0, y);
            let pd = &phi.data;
            for (x, o) in row.iter_mut().enumerate() {
                let [a_s, a_n, a_w, a_e] = st.coef(y, x);
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

/// The 5-point operator's face coefficients on a block (a_f = 0 across walls).
#[derive(Clone, Copy)]
struct Stencil {
    off: [usize; 2],
    global: [usize; 2],
    wall: [bool; 2],
    ih2: [f64; 2],
}

impl Stencil {
    /// Face coefficients (south, north, west, east) of local cell (y, x).
    #[inline(always)]
    fn coef(&self, y: usize, x: usize) -> [f64; 4] {
        let (gy, gx) = (self.off[0] + y, self.off[1] + x);
        let [ay, ax] = self.ih2;
        [
            if self.wall[0] && gy == 0 { 0.0 } else { ay },
            if self.wall[0] && gy + 1 == self.global[0] { 0.0 } else { ay },
            if self.wall[1] && gx == 0 { 0.0 } else { ax },
            if self.wall[1] && gx + 1 == self.global[1] { 0.0 } else { ax },
        ]
    }
}

/// Restrict the fine residual (local block, even offsets and sizes) into the coarse right-hand
/// side `out` (coarse cell (J, I) = mean of fine cells (2J..2J+1, 2I..2I+1)).
pub fn restrict(exec: &Exec, fine_r: &Field, out: &mut Field) {
    let n = out.n;
    exec.for_each_row(out, Region::whole(n), |_, y, row| {
        let a = fine_r.row(0, 2 * y);
        let b = fine_r.row(0, 2 * y + 1);
        for (x, o) in row.iter_mut().enumerate() {
            *o = 0.25 * ((a[2 * x] + a[2 * x + 1]) + (b[2 * x] + b[2 * x + 1]));
        }
    });
}

/// fine phi += bilinear interpolation of the coarse correction. The fine block starts at global
/// cell `fine_off` (y, x); `coarse` holds global coarse cells from `coarse_off` on (its local cell
/// (J, I) is global coarse cell coarse_off + (J, I)), with halos (ghosts) filled.
pub fn prolong_add(exec: &Exec, coarse: &Field, coarse_off: [usize; 2], fine: &mut Field, fine_off: [usize; 2]) {
    let n = fine.n;
    let cs = coarse.strides()[1];
    let cd = &coarse.data;
    exec.for_each_row(fine, Region::whole(n), |_, y, row| {
        let gy = fine_off[0] + y;
        let jc = gy / 2 - coarse_off[0];
        let dy: isize = if gy.is_multiple_of(2) { -1 } else { 1 };
        let r0 = coarse.idx(0, jc as isize, 0);
        let ry = (r0 as isize + dy * cs as isize) as usize;
        for (x, o) in row.iter_mut().enumerate() {
            let gx = fine_off[1] + x;
            let ic = gx / 2 - coarse_off[1];
            let c0 = cd[r0 + ic];
            let (cx, cxy) = if gx.is_multiple_of(2) {
                (cd[r0 + ic - 1], cd[ry + ic - 1])
            } else {
                (cd[r0 + ic + 1], cd[ry + ic + 1])
            };
            let cy = cd[ry + ic];
            *o += 0.5625 * c0 + 0.1875 * cy + 0.1875 * cx + 0.0625 * cxy;
        }
    });
}
