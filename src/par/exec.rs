//! The execution policy of one process: a rayon pool of `threads` threads. Sweeps hand it a
//! region and a per-row kernel; it splits the x-rows into bands. Every cell is computed by the same
//! expression whatever the band it falls in, so results are bitwise identical for any thread count.

use crate::error::{Error, Result};
use crate::field::{Field, Region};
use rayon::prelude::*;
use std::sync::Arc;

#[derive(Clone)]
pub struct Exec {
    pool: Arc<rayon::ThreadPool>,
    threads: usize,
}

impl std::fmt::Debug for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Exec({} threads)", self.threads)
    }
}

impl Exec {
    /// A pool of `threads` threads; 0 means all cores this process may use.
    pub fn new(threads: usize) -> Result<Exec> {
        let threads =
            if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("simrun-compute-{i}"))
            .build()
            .map_err(|e| Error::other(format!("cannot start {threads} compute threads: {e}")))?;
        Ok(Exec { pool: Arc::new(pool), threads })
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Run `f` inside the pool.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// For every x-row (z, y) of `region`, call `f(z, y, row)` with `row` the part
    /// `region.lo[2]..region.hi[2]` of that row of `dst`, in parallel bands of rows.
    pub fn for_each_row<F>(&self, dst: &mut Field, region: Region, f: F)
    where
        F: Fn(usize, usize, &mut [f64]) + Sync + Send,
    {
        if region.is_empty() {
            return;
        }
        let p = dst.padded();
        let h = dst.h;
        let row_len = p[2];
        let (x0, x1) = (h[2] + region.lo[2], h[2] + region.hi[2]);
        // Only the padded rows that hold region rows: from the first to the last.
        let first = (region.lo[0] + h[0]) * p[1] + region.lo[1] + h[1];
        let last = (region.hi[0] - 1 + h[0]) * p[1] + region.hi[1] - 1 + h[1];
        let rows = &mut dst.data[first * row_len..(last + 1) * row_len];
        let nrows = last + 1 - first;
        let min_len = (nrows / (self.threads * 4)).max(1);
        let body = |(k, row): (usize, &mut [f64])| {
            let r = first + k;
            let (pz, py) = (r / p[1], r % p[1]);
            if py < region.lo[1] + h[1] || py >= region.hi[1] + h[1] {
                return;
            }
            f(pz - h[0], py - h[1], &mut row[x0..x1]);
        };
        if self.threads == 1 {
            rows.chunks_mut(row_len).enumerate().for_each(body);
        } else {
            self.pool.install(|| rows.par_chunks_mut(row_len).with_min_len(min_len).enumerate().for_each(body));
        }
    }

    /// Copy `src`'s interior, C order, into `out` (length `interior_len`), rows in parallel: the
    /// copy a checkpoint hands to the I/O thread, at memory speed on every thread.
    pub fn copy_interior(&self, src: &Field, out: &mut [f64]) {
        assert_eq!(out.len(), src.interior_len());
        let nx = src.n[2];
        if self.threads == 1 || nx == 0 {
            src.copy_interior_into(out);
            return;
        }
        let ny = src.n[1];
        let rows = (src.n[0] * ny / (4 * self.threads)).max(1);
        self.pool.install(|| {
            out.par_chunks_mut(nx * rows).enumerate().for_each(|(c, chunk)| {
                for (k, row) in chunk.chunks_mut(nx).enumerate() {
                    let r = c * rows + k;
                    crate::field::copy_streaming(row, src.row(r / ny, r % ny));
                }
                // This worker's streaming stores land before the hand-over.
                crate::field::stream_fence();
            })
        });
    }

    /// Call `f(i)` for every i in 0..count, in parallel (dynamically balanced).
    pub fn for_each_index<F>(&self, count: usize, f: F)
    where
        F: Fn(usize) + Sync + Send,
    {
        if self.threads == 1 {
            (0..count).for_each(f);
        } else {
            self.pool.install(|| (0..count).into_par_iter().with_max_len(1).for_each(f));
        }
    }

    /// For a 2-D field (one z layer, no z halo): split the rows `region.lo[1]..region.hi[1]` into
    /// bands of `band_rows` rows (the last may be shorter) and call `f(y0, y1, rows)` for each in
    /// parallel, `rows` being `dst`'s whole padded rows y0..y1 (halo columns included).
    pub fn for_each_band<F>(&self, dst: &mut Field, region: Region, band_rows: usize, f: F)
    where
        F: Fn(usize, usize, &mut [f64]) + Sync + Send,
    {
        assert!(dst.n[0] == 1 && dst.h[0] == 0, "bands are for 2-D fields");
        if region.is_empty() {
            return;
        }
        let w = dst.padded()[2];
        let h = dst.h[1];
        let (y0, y1) = (region.lo[1], region.hi[1]);
        let band_rows = band_rows.max(1);
        let rows = &mut dst.data[(h + y0) * w..(h + y1) * w];
        let body = |(k, band): (usize, &mut [f64])| {
            let a = y0 + k * band_rows;
            f(a, a + band.len() / w, band);
        };
        if self.threads == 1 {
            rows.chunks_mut(band_rows * w).enumerate().for_each(body);
        } else {
            self.pool.install(|| rows.par_chunks_mut(band_rows * w).enumerate().for_each(body));
        }
    }

    /// Fold every x-row (z, y) of `region` of `src` into accumulators of type `A` (one per band)
    /// and merge them. Use only with order-independent accumulators (exact sums, min, max).
    pub fn fold_rows<A, F, M>(
        &self,
        src: &Field,
        region: Region,
        init: impl Fn() -> A + Sync + Send,
        fold: F,
        merge: M,
    ) -> A
    where
        A: Send,
        F: Fn(&mut A, usize, usize, &[f64]) + Sync + Send,
        M: Fn(A, A) -> A + Sync + Send,
    {
        let nz = region.hi[0].saturating_sub(region.lo[0]);
        let ny = region.hi[1].saturating_sub(region.lo[1]);
        if region.is_empty() {
            return init();
        }
        let (x0, x1) = (region.lo[2], region.hi[2]);
        let body = |mut acc: A, k: usize| {
            let (z, y) = (region.lo[0] + k / ny, region.lo[1] + k % ny);
            fold(&mut acc, z, y, &src.row(z, y)[x0..x1]);
            acc
        };
        if self.threads == 1 {
            (0..nz * ny).fold(init(), body)
        } else {
            let min_len = (nz * ny / (self.threads * 4)).max(1);
            self.pool
                .install(|| (0..nz * ny).into_par_iter().with_min_len(min_len).fold(&init, body).reduce(&init, &merge))
        }
    }
}
