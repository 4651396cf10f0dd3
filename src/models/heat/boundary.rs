//! Boundary conditions of the heat model as ghost cells (cell-centred grid, wall midway between
//! the last interior cell and its ghost):
//! - Dirichlet (wall value v): T_ghost = 2 v - T_in, so the wall sees (T_in + T_ghost) / 2 = v;
//! - Neumann (outward normal derivative dT/dn = v): T_ghost = T_in + v d;
//! - periodic: the communicator's job (a wrap within a rank or a message between ranks).
//!
//! The single-step sweep and the temporally blocked sweep ([`super::fused`]) both take ghost values
//! from [`Ghost::value`], so they give the same bits.

use super::config::{Face, FaceKind};
use crate::decomp::Decomp;
use crate::field::Field;

/// How the ghost cell of one physical (non-periodic, global-boundary) face follows from the cell
/// inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ghost {
    /// Wall value.
    Dirichlet(f64),
    /// Outward normal derivative, spacing along the face normal.
    Neumann(f64, f64),
}

impl Ghost {
    /// The ghost of a face of `axis` (spacing `d`), or None for a periodic face.
    pub fn of(face: Face, d: f64) -> Option<Ghost> {
        match face.kind {
            FaceKind::Dirichlet => Some(Ghost::Dirichlet(face.value)),
            FaceKind::Neumann => Some(Ghost::Neumann(face.value, d)),
            FaceKind::Periodic => None,
        }
    }

    #[inline(always)]
    pub fn value(self, t_in: f64) -> f64 {
        match self {
            Ghost::Dirichlet(v) => 2.0 * v - t_in,
            Ghost::Neumann(v, d) => t_in + v * d,
        }
    }
}

/// The physical faces of this rank's block, [axis][low, high] (z, y, x): `Some` where the block
/// touches a non-periodic global boundary, `None` where a neighbour (or the periodic wrap)
/// supplies the halo.
pub type Sides = [[Option<Ghost>; 2]; 3];

pub fn sides(decomp: &Decomp, faces: &[(Face, Face); 3], spacing: [f64; 3]) -> Sides {
    let mut s = [[None; 2]; 3];
    for axis in 0..3 {
        for (k, (dir, face)) in [(-1isize, faces[axis].0), (1, faces[axis].1)].into_iter().enumerate() {
            if decomp.on_global_boundary(axis, dir) {
                s[axis][k] = Ghost::of(face, spacing[axis]);
            }
        }
    }
    s
}

/// Fill the one-deep ghost cells of the physical faces of `axis`. Along each other axis `b` the
/// face spans the interior, or the padded extent where `with_halo[b]` is set (so that ghosts next
/// to halo cells filled earlier are right too: the corners a temporally blocked sweep reads).
pub fn fill_ghosts(f: &mut Field, sides: &Sides, axis: usize, with_halo: [bool; 3]) {
    if f.h[axis] == 0 {
        return;
    }
    let (n, h, p, st) = (f.n, f.h, f.padded(), f.strides());
    let range = |b: usize| if with_halo[b] { (0, p[b]) } else { (h[b], h[b] + n[b]) };
    let others: Vec<usize> = (0..3).filter(|&b| b != axis).collect();
    let (r1, r2) = (range(others[0]), range(others[1]));
    for (side, ghost) in sides[axis].iter().enumerate() {
        let Some(g) = *ghost else { continue };
        let (inner, out) = if side == 0 { (h[axis], h[axis] - 1) } else { (h[axis] + n[axis] - 1, h[axis] + n[axis]) };
        for i in r1.0..r1.1 {
            for j in r2.0..r2.1 {
                let base = i * st[others[0]] + j * st[others[1]];
                let t_in = f.data[base + inner * st[axis]];
                f.data[base + out * st[axis]] = g.value(t_in);
            }
        }
    }
}

/// Fill the ghosts of every physical face over the interior extent (enough for one step of the
/// 5-/7-point stencil, which never reads a corner).
pub fn apply_boundaries(f: &mut Field, sides: &Sides) {
    for axis in 0..3 {
        fill_ghosts(f, sides, axis, [false; 3]);
    }
}
