//! A field's interior lent to the I/O thread without a copy (checkpoint hand-over by rotation).
//!
//! A model whose step reads its state buffer and writes a second one (double buffering) can hand
//! the state's own buffer to the I/O thread instead of copying its interior: the next step still
//! reads it, and only when the buffer would next be written as the destination of a step does the
//! model check its [`Lease`]; if the I/O thread still holds the [`Lent`] view, the model rotates a
//! spare buffer in its place (and reuses the lent one once it comes back). So the compute thread
//! neither copies nor waits.
//!
//! While lent, the model writes only the buffer's halo cells (ghost and halo fills before the next
//! step); the I/O thread reads only interior cells, through raw-pointer copies, never through a
//! reference into the buffer. The two sets of cells are disjoint, so no byte is read and written
//! concurrently. The model keeps the allocation alive while a lease is out ([`Lease::busy`]): a
//! buffer dropped while lent is leaked instead of freed ([`Lease::release_or_leak`]).

use crate::field::Field;
use std::sync::Arc;

/// The reader's view: a field's interior, C order, in a padded buffer it does not own.
pub struct Lent {
    ptr: *const f64,
    /// Interior extent (z, y, x).
    n: [usize; 3],
    /// Padded strides (z, y) in elements.
    stride: [usize; 2],
    /// Padded index of interior cell (0, 0, 0).
    origin: usize,
    /// Held while the view lives; the model's [`Lease`] counts it.
    _token: Arc<()>,
}

// SAFETY: the view only reads interior cells through raw-pointer copies; the lending model keeps
// the allocation alive and writes none of those cells while the token lives (module docs).
unsafe impl Send for Lent {}

impl Lent {
    /// Number of interior values.
    pub fn len(&self) -> usize {
        self.n.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copy the interior values from C-order position `at` (a whole number of x-rows) into `out`
    /// (whole rows).
    pub fn copy_rows(&self, at: usize, out: &mut [f64]) {
        let nx = self.n[2].max(1);
        assert!(at.is_multiple_of(nx) && out.len().is_multiple_of(nx) && at + out.len() <= self.len(), "whole rows");
        for (i, row) in out.chunks_exact_mut(nx).enumerate() {
            let r = at / nx + i;
            let (z, y) = (r / self.n[1], r % self.n[1]);
            let src = self.origin + z * self.stride[0] + y * self.stride[1];
            // SAFETY: interior row (z, y) lies inside the lent allocation (kept alive by the
            // lender while `_token` lives) and is not written meanwhile; `row` is nx values and
            // does not overlap it (a distinct, exclusively borrowed buffer).
            unsafe { std::ptr::copy_nonoverlapping(self.ptr.add(src), row.as_mut_ptr(), nx) };
        }
    }
}

/// The lender's side: whether a buffer is out on loan.
#[derive(Default)]
pub struct Lease(Option<Arc<()>>);

impl Lease {
    /// Lend `f`'s interior. The caller must not write `f`'s interior, nor free its buffer, while
    /// [`Lease::busy`]; it may write halo cells.
    pub fn lend(&mut self, f: &Field) -> Lent {
        let token = self.0.get_or_insert_with(|| Arc::new(())).clone();
        let s = f.strides();
        Lent { ptr: f.data.as_ptr(), n: f.n, stride: [s[0], s[1]], origin: f.idx(0, 0, 0), _token: token }
    }

    /// Is a view of the buffer still held?
    pub fn busy(&self) -> bool {
        self.0.as_ref().is_some_and(|t| Arc::strong_count(t) > 1)
    }

    /// The buffer is going away: if it is still lent, leak its allocation (the reader may still
    /// be copying from it) instead of freeing it.
    pub fn release_or_leak(&self, f: &mut Field) {
        if self.busy() {
            std::mem::forget(std::mem::take(&mut f.data));
        }
    }
}

/// A double-buffered state with rotation: `state` is read by a step, `next` written; a lent
/// `next` is swapped for a free spare before it is written.
#[derive(Default)]
pub struct Rotation {
    state: Lease,
    next: Lease,
    /// Buffers out on loan, or back and free to use (same shape as the state).
    spares: Vec<(Field, Lease)>,
}

impl Rotation {
    /// Lend the state buffer.
    pub fn lend(&mut self, state: &Field) -> Lent {
        self.state.lend(state)
    }

    /// Is the state or the other buffer lent?
    pub fn busy(&self) -> bool {
        self.state.busy() || self.next.busy()
    }

    /// Before a step writes `next`: if it is lent, put a free buffer (a spare that came back, or
    /// a new one) in its place.
    pub fn free_next(&mut self, next: &mut Field) {
        if !self.next.busy() {
            return;
        }
        let (mut f, lease) = match self.spares.iter().position(|(_, l)| !l.busy()) {
            Some(i) => self.spares.swap_remove(i),
            None => (Field::new(next.n, next.h), Lease::default()),
        };
        std::mem::swap(next, &mut f);
        let lent = std::mem::replace(&mut self.next, lease);
        self.spares.push((f, lent));
    }

    /// Have a spare ready (allocated and its pages faulted in) before the first lend, so the
    /// step that first rotates it in does not pay the page faults of a state-sized buffer.
    pub fn reserve(&mut self, like: &Field) {
        if self.spares.is_empty() {
            let mut f = Field::new(like.n, like.h);
            crate::field::touch_pages(&mut f.data);
            self.spares.push((f, Lease::default()));
        }
    }

    /// After a step: `state` and `next` were swapped.
    pub fn swapped(&mut self) {
        std::mem::swap(&mut self.state, &mut self.next);
    }

    /// The fields are being dropped: leak whatever is still lent.
    pub fn release(&mut self, state: &mut Field, next: &mut Field) {
        self.state.release_or_leak(state);
        self.next.release_or_leak(next);
        for (f, l) in &mut self.spares {
            l.release_or_leak(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lent_interior_is_the_fields_interior_and_rotation_spares_a_lent_buffer() {
        let mut a = Field::new([2, 3, 4], [0, 1, 2]);
        for (i, v) in a.data.iter_mut().enumerate() {
            *v = i as f64;
        }
        let mut b = Field::new(a.n, a.h);
        let mut r = Rotation::default();
        let lent = r.lend(&a);
        let mut part = vec![0.0; lent.len()];
        lent.copy_rows(0, &mut part);
        assert_eq!(part, a.interior_vec());
        let mut part = [0.0; 8];
        lent.copy_rows(4, &mut part);
        assert_eq!(part, a.interior_vec()[4..12]);
        // A step from a into b, then the swap: the lent buffer is now `next`.
        r.free_next(&mut b);
        std::mem::swap(&mut a, &mut b);
        r.swapped();
        let lent_ptr = b.data.as_ptr();
        r.free_next(&mut b);
        assert_ne!(b.data.as_ptr(), lent_ptr, "a lent buffer is never a step's destination");
        drop(lent);
        // Back from the I/O thread: the next rotation reuses it.
        std::mem::swap(&mut a, &mut b);
        r.swapped();
        let _again = r.lend(&a);
        std::mem::swap(&mut a, &mut b);
        r.swapped();
        r.free_next(&mut b);
        assert_eq!(b.data.as_ptr(), lent_ptr, "the returned spare is reused");
        r.release(&mut a, &mut b);
    }

    /// A reserved spare is the one the first rotation takes: nothing is allocated in the loop.
    #[test]
    fn a_reserved_spare_is_rotated_in_and_no_second_one_is_made() {
        let mut a = Field::new([1, 4, 5], [0, 1, 1]);
        let mut b = Field::new(a.n, a.h);
        let mut r = Rotation::default();
        r.reserve(&b);
        r.reserve(&b);
        assert_eq!(r.spares.len(), 1, "one spare, however often reserved");
        let spare = r.spares[0].0.data.as_ptr();
        let lent = r.lend(&a);
        std::mem::swap(&mut a, &mut b);
        r.swapped();
        r.free_next(&mut b);
        assert_eq!(b.data.as_ptr(), spare, "the reserved spare takes the lent buffer's place");
        assert_eq!(r.spares.len(), 1, "the lent buffer waits among the spares");
        drop(lent);
        r.release(&mut a, &mut b);
    }
}
