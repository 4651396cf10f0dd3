//! Packing and unpacking halo slabs: the cells a rank sends to a neighbour, and the halo cells it
//! fills from what it receives. Shared by the single-process and MPI communicators.

use crate::decomp::Decomp;
use crate::field::Field;

/// One slab: along `axis`, on the low (`hi = false`) or high side, `width` cells deep. Along the
/// other axes the slab spans the interior, or the padded extent where `with_halo[b]` is set
/// (axis-by-axis exchange with corners).
#[derive(Debug, Clone, Copy)]
pub struct SlabSpec {
    pub axis: usize,
    pub hi: bool,
    pub width: usize,
    pub with_halo: [bool; 3],
}

impl SlabSpec {
    /// Padded-coordinate ranges of the slab. `halo = false`: the interior cells next to the face
    /// (what is sent); `halo = true`: the halo cells beyond it (what is received).
    fn ranges(&self, f: &Field, halo: bool) -> [(usize, usize); 3] {
        let p = f.padded();
        let mut r = [(0, 0); 3];
        for b in 0..3 {
            r[b] = if b == self.axis {
                let (h, n, w) = (f.h[b], f.n[b], self.width);
                match (self.hi, halo) {
                    (false, false) => (h, h + w),
                    (true, false) => (h + n - w, h + n),
                    (false, true) => (h - w, h),
                    (true, true) => (h + n, h + n + w),
                }
            } else if self.with_halo[b] {
                (0, p[b])
            } else {
                (f.h[b], f.h[b] + f.n[b])
            };
        }
        r
    }

    pub fn len(&self, f: &Field) -> usize {
        self.ranges(f, false).iter().map(|(a, b)| b - a).product()
    }

    /// The same slab seen from the opposite side (what the neighbour sends us).
    pub fn opposite(&self) -> SlabSpec {
        SlabSpec { hi: !self.hi, ..*self }
    }
}

/// The x-runs of the padded ranges `r` of a field with strides `s`: (start index, length), z and
/// y in increasing order (the order of a packed slab).
fn runs(s: [usize; 3], r: [(usize, usize); 3]) -> impl Iterator<Item = (usize, usize)> {
    let run = r[2].1 - r[2].0;
    (r[0].0..r[0].1).flat_map(move |z| (r[1].0..r[1].1).map(move |y| (z * s[0] + y * s[1] + r[2].0, run)))
}

/// Copy the interior cells next to the face described by `spec` into `buf` (cleared first; its
/// capacity is reused).
pub fn pack_slab(f: &Field, spec: SlabSpec, buf: &mut Vec<f64>) {
    buf.clear();
    for (i, n) in runs(f.strides(), spec.ranges(f, false)) {
        buf.extend_from_slice(&f.data[i..i + n]);
    }
}

/// Write `buf` (packed by the neighbour as the opposite slab) into the halo of `spec`'s face.
pub fn unpack_slab(f: &mut Field, spec: SlabSpec, buf: &[f64]) {
    let mut k = 0;
    for (i, n) in runs(f.strides(), spec.ranges(f, true)) {
        f.data[i..i + n].copy_from_slice(&buf[k..k + n]);
        k += n;
    }
}

/// Periodic wrap within one block along `axis` (the rank is its own neighbour): each halo slab
/// copied straight from the interior slab at the opposite face, run by run, with no buffer (a
/// halo deeper than the block, whose source slab reaches into the halo being written, goes
/// through a buffer).
pub fn wrap_local(f: &mut Field, axis: usize, width: usize, with_halo: [bool; 3]) {
    let s = f.strides();
    for hi in [false, true] {
        let spec = SlabSpec { axis, hi, width, with_halo };
        if width > f.n[axis] {
            let mut buf = Vec::new();
            pack_slab(f, spec.opposite(), &mut buf);
            unpack_slab(f, spec, &buf);
            continue;
        }
        let (from, to) = (spec.opposite().ranges(f, false), spec.ranges(f, true));
        for ((a, n), (b, _)) in runs(s, from).zip(runs(s, to)) {
            f.data.copy_within(a..a + n, b);
        }
    }
}

/// Fills the one-deep ghosts of the physical faces of one axis over the extent `with_halo` (the
/// model's boundary conditions; see [`super::Comm::fill_halos_overlapped`]).
pub type GhostFill<'a> = dyn FnMut(&mut Field, usize, [bool; 3]) + 'a;

/// Exchanges the slabs `specs` (both sides of one axis) with the neighbour ranks, running `work`
/// while the messages are in flight.
pub type SlabExchange<'a> = dyn FnMut(&mut Field, &[SlabSpec], &mut dyn FnMut(&Field)) + 'a;

/// The axis-by-axis fill behind [`super::Comm::fill_halos_overlapped`], for any communicator:
/// `exchange` moves the slabs of axes split over ranks (never called when no axis is split).
pub fn fill_axis_by_axis(
    d: &Decomp,
    f: &mut Field,
    w: [usize; 3],
    ghosts: &mut GhostFill,
    work: &mut dyn FnMut(&Field),
    exchange: &mut SlabExchange,
) {
    let messages = |axis: usize| w[axis] > 0 && d.procs[axis] > 1;
    let any_messages = (0..3).any(messages);
    if any_messages {
        // First everything that needs no message, corners among those axes included, so `work`
        // may read all of it while the messages fly.
        let mut with_halo = [false; 3];
        for axis in [2, 1, 0] {
            if w[axis] == 0 {
                continue;
            }
            ghosts(f, axis, with_halo);
            if !messages(axis) {
                if d.periodic[axis] {
                    wrap_local(f, axis, w[axis], with_halo);
                }
                with_halo[axis] = true;
            }
        }
    }
    // Then every axis in turn over the padded extent of the axes before it (corners), the first
    // message exchange overlapped with `work`.
    let mut worked = false;
    let mut with_halo = [false; 3];
    for axis in [2, 1, 0] {
        if w[axis] == 0 {
            continue;
        }
        ghosts(f, axis, with_halo);
        if messages(axis) {
            let specs = [false, true].map(|hi| SlabSpec { axis, hi, width: w[axis], with_halo });
            if worked {
                exchange(f, &specs, &mut |_| {});
            } else {
                exchange(f, &specs, work);
                worked = true;
            }
        } else if d.periodic[axis] {
            wrap_local(f, axis, w[axis], with_halo);
        }
        with_halo[axis] = true;
    }
    if !worked {
        work(f);
    }
}
