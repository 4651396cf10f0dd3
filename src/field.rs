//! A scalar field on a rank-local block, with halo (ghost) cells around the interior.
//!
//! Storage is one contiguous C-order array of the padded block (z, y, x), x fastest. Interior
//! cell (z, y, x) with 0 <= z < n[0] etc. lives at padded index (z + h[0], y + h[1], x + h[2]);
//! halo cells have negative or >= n coordinates. A 2-D field has n[0] = 1 and h[0] = 0.

/// Fields at least this large (bytes) ask the kernel for transparent huge pages (Linux
/// `madvise(MADV_HUGEPAGE)`, honoured where THP is `madvise` or `always`): a 3-D sweep touches
/// many pages per plane at once, and with 4 KiB pages its TLB misses cost measurably (heat 3-D
/// 256^3, 4 steps per sweep: about 15 % more updates per CPU second, scripts/bench-heat.sh).
pub const HUGE_PAGE_BYTES: usize = 16 << 20;

/// Advise huge pages for a large, not yet touched buffer (a no-op elsewhere; only a hint).
fn huge_pages(data: &mut [f64]) {
    #[cfg(target_os = "linux")]
    if size_of_val(data) >= HUGE_PAGE_BYTES {
        const PAGE: usize = 2 << 20;
        let start = data.as_mut_ptr() as usize;
        let end = start + size_of_val(data);
        let (a, b) = (start.next_multiple_of(PAGE), end / PAGE * PAGE);
        if b > a {
            // SAFETY: advice on whole pages inside this buffer; MADV_HUGEPAGE never changes its
            // contents. A failure (no THP support) is harmless and ignored.
            unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE) };
        }
    }
}

/// Make the operating system back every page of `data` now (one write per 4 KiB page), so the
/// first writes of whoever uses it later do not take the page faults: memory a run will need in
/// the middle of its loop (a checkpoint's spare or copy buffers) is faulted in before the loop.
/// Writes zeros: for a fresh buffer (all zeros) the values do not change.
pub fn touch_pages(data: &mut [f64]) {
    const PER_PAGE: usize = 4096 / size_of::<f64>();
    for v in data.iter_mut().step_by(PER_PAGE) {
        // SAFETY: a valid, exclusive reference; volatile so the store is not elided (the
        // compiler knows a fresh `vec![0.0; n]` already holds zeros).
        unsafe { std::ptr::write_volatile(v, 0.0) };
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Interior extent (z, y, x).
    pub n: [usize; 3],
    /// Halo width per axis (z, y, x).
    pub h: [usize; 3],
    pub data: Vec<f64>,
}

impl Field {
    pub fn new(n: [usize; 3], h: [usize; 3]) -> Field {
        let len = (n[0] + 2 * h[0]) * (n[1] + 2 * h[1]) * (n[2] + 2 * h[2]);
        let mut data = vec![0.0; len];
        huge_pages(&mut data);
        Field { n, h, data }
    }

    /// A field of the same shape and values (like `clone`, with [`Field::new`]'s page advice).
    pub fn copy_of(other: &Field) -> Field {
        let mut f = Field::new(other.n, other.h);
        f.data.copy_from_slice(&other.data);
        f
    }

    /// Padded extent (z, y, x).
    #[inline]
    pub fn padded(&self) -> [usize; 3] {
        [self.n[0] + 2 * self.h[0], self.n[1] + 2 * self.h[1], self.n[2] + 2 * self.h[2]]
    }

    /// Strides (z, y, x) in elements.
    #[inline]
    pub fn strides(&self) -> [usize; 3] {
        let p = self.padded();
        [p[1] * p[2], p[2], 1]
    }

    /// Flat index of cell (z, y, x) in interior coordinates (halo cells are negative / >= n).
    #[inline]
    pub fn idx(&self, z: isize, y: isize, x: isize) -> usize {
        let s = self.strides();
        ((z + self.h[0] as isize) as usize) * s[0]
            + ((y + self.h[1] as isize) as usize) * s[1]
            + (x + self.h[2] as isize) as usize
    }

    #[inline]
    pub fn get(&self, z: isize, y: isize, x: isize) -> f64 {
        self.data[self.idx(z, y, x)]
    }

    #[inline]
    pub fn set(&mut self, z: isize, y: isize, x: isize, v: f64) {
        let i = self.idx(z, y, x);
        self.data[i] = v;
    }

    /// Number of interior cells.
    pub fn interior_len(&self) -> usize {
        self.n.iter().product()
    }

    /// The interior x-row (z, y) as a slice of length n[2].
    #[inline]
    pub fn row(&self, z: usize, y: usize) -> &[f64] {
        let i = self.idx(z as isize, y as isize, 0);
        &self.data[i..i + self.n[2]]
    }

    /// Copy the interior, C order, into `out` (length `interior_len`).
    pub fn copy_interior_into(&self, out: &mut [f64]) {
        assert_eq!(out.len(), self.interior_len());
        let nx = self.n[2];
        let mut k = 0;
        for z in 0..self.n[0] {
            for y in 0..self.n[1] {
                copy_streaming(&mut out[k..k + nx], self.row(z, y));
                k += nx;
            }
        }
        stream_fence();
    }

    /// The interior as a new C-order vector.
    pub fn interior_vec(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.interior_len()];
        self.copy_interior_into(&mut v);
        v
    }

    /// Fill the interior from a C-order slice (length `interior_len`).
    pub fn set_interior_from(&mut self, src: &[f64]) {
        assert_eq!(src.len(), self.interior_len());
        let nx = self.n[2];
        let mut k = 0;
        for z in 0..self.n[0] {
            for y in 0..self.n[1] {
                let i = self.idx(z as isize, y as isize, 0);
                self.data[i..i + nx].copy_from_slice(&src[k..k + nx]);
                k += nx;
            }
        }
    }

    /// First non-finite interior cell, as local (z, y, x), if any.
    pub fn first_non_finite(&self) -> Option<[usize; 3]> {
        for z in 0..self.n[0] {
            for y in 0..self.n[1] {
                if let Some(x) = self.row(z, y).iter().position(|v| !v.is_finite()) {
                    return Some([z, y, x]);
                }
            }
        }
        None
    }
}

#[cfg(test)]
impl Field {
    /// For tests: a field filled, halos included, with pseudo-random values in [-0.3, 0.7).
    pub(crate) fn noisy(n: [usize; 3], h: [usize; 3], seed: u64) -> Field {
        let mut f = Field::new(n, h);
        let mut s = seed;
        for v in f.data.iter_mut() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *v = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.3;
        }
        f
    }
}

/// A box of interior cells, half-open per axis (z, y, x), in local interior coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub lo: [usize; 3],
    pub hi: [usize; 3],
}

impl Region {
    pub fn whole(n: [usize; 3]) -> Region {
        Region { lo: [0; 3], hi: n }
    }
    pub fn is_empty(&self) -> bool {
        (0..3).any(|a| self.lo[a] >= self.hi[a])
    }
    pub fn cells(&self) -> usize {
        if self.is_empty() {
            0
        } else {
            (0..3).map(|a| self.hi[a] - self.lo[a]).product()
        }
    }

    /// Split a block into its inner part (cells at least `w` from every face along the axes in
    /// `axes`) and the boundary strips that make up the rest, without overlap. Used to update the
    /// inner part while halos are in flight.
    pub fn split_inner(n: [usize; 3], w: [usize; 3]) -> (Region, Vec<Region>) {
        let mut inner = Region::whole(n);
        for a in 0..3 {
            inner.lo[a] = w[a].min(n[a]);
            inner.hi[a] = n[a].saturating_sub(w[a]).max(inner.lo[a]);
        }
        // Peel strips axis by axis: z slabs, then y slabs within z-inner, then x slabs within both.
        let mut strips = Vec::new();
        let mut core = Region::whole(n);
        for a in 0..3 {
            let lo_strip = Region {
                lo: core.lo,
                hi: {
                    let mut h = core.hi;
                    h[a] = inner.lo[a];
                    h
                },
            };
            let hi_strip = Region {
                lo: {
                    let mut l = core.lo;
                    l[a] = inner.hi[a];
                    l
                },
                hi: core.hi,
            };
            for s in [lo_strip, hi_strip] {
                if !s.is_empty() {
                    strips.push(s);
                }
            }
            core.lo[a] = inner.lo[a];
            core.hi[a] = inner.hi[a];
        }
        (inner, strips)
    }
}

/// `dst.copy_from_slice(src)` with non-temporal stores on x86-64 (SSE2, always there): a copy
/// into a buffer read next by another thread (an output's hand-over) neither reads the
/// destination's lines first nor evicts the compute thread's working set. Bitwise the same as a
/// plain copy; call [`stream_fence`] before another thread reads `dst`.
pub fn copy_streaming(dst: &mut [f64], src: &[f64]) {
    assert_eq!(dst.len(), src.len());
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_loadu_pd, _mm_stream_pd};
        let n = dst.len();
        // The first value alone if `dst` is not 16-byte aligned (f64: 8-byte aligned).
        let head = ((dst.as_ptr() as usize) & 15 != 0) as usize;
        let head = head.min(n);
        dst[..head].copy_from_slice(&src[..head]);
        let pairs = (n - head) / 2;
        let (d, s) = (dst[head..].as_mut_ptr(), src[head..].as_ptr());
        for i in 0..pairs {
            // SAFETY: 2 * i + 1 < n - head: in bounds of both slices; `d` is 16-byte aligned
            // (checked above) as _mm_stream_pd needs; SSE2 is part of x86-64.
            unsafe { _mm_stream_pd(d.add(2 * i), _mm_loadu_pd(s.add(2 * i))) };
        }
        let done = head + 2 * pairs;
        dst[done..].copy_from_slice(&src[done..]);
    }
    #[cfg(not(target_arch = "x86_64"))]
    dst.copy_from_slice(src);
}

/// Order earlier [`copy_streaming`] stores before later stores (a hand-over through a channel).
pub fn stream_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86-64; sfence has no operands.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interior_round_trip() {
        let mut f = Field::new([2, 3, 4], [1, 2, 1]);
        let v: Vec<f64> = (0..24).map(|i| i as f64).collect();
        f.set_interior_from(&v);
        assert_eq!(f.interior_vec(), v);
        assert_eq!(f.get(1, 2, 3), 23.0);
        assert_eq!(f.get(-1, 0, 0), 0.0);
    }

    #[test]
    fn inner_and_strips_tile_the_block() {
        for n in [[1, 5, 7], [4, 4, 4], [1, 2, 9], [3, 1, 1]] {
            let w = [if n[0] > 1 { 1 } else { 0 }, 2, 2];
            let (inner, strips) = Region::split_inner(n, w);
            let mut count = vec![0u8; n.iter().product()];
            for r in std::iter::once(inner).chain(strips) {
                if r.is_empty() {
                    continue;
                }
                for z in r.lo[0]..r.hi[0] {
                    for y in r.lo[1]..r.hi[1] {
                        for x in r.lo[2]..r.hi[2] {
                            count[(z * n[1] + y) * n[2] + x] += 1;
                        }
                    }
                }
            }
            assert!(count.iter().all(|&c| c == 1), "{n:?}");
        }
    }
}
