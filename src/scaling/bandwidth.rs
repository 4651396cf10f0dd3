//! The memory-bandwidth bound of a stencil sweep (the roofline's slanted roof).
//!
//! A study measures, before its first run, a STREAM-style copy (`b[i] = a[i]` over two arrays of
//! f64 with ordinary stores, 16 bytes counted per element as STREAM counts them; the same loop as
//! `examples/bench_heat.rs`) on 1 thread and on all the CPUs the process may use, interleaved,
//! and keeps the median and the range. A sweep that moves B bytes per cell update cannot run
//! faster than `bandwidth / B` cell updates per second, unless it reuses data in cache across
//! steps (temporal blocking), which is how the heat sweep passes 100 %.
//!
//! Bytes per cell update of each model's sweep (one step, data streamed once):
//! - heat: 16 (read T, write T; the neighbours come from cache), 2-D and 3-D.
//! - weather, navier_stokes: no single-sweep bound (several passes and stages per step, the
//!   multigrid solve), so none is claimed.
//!
//! The bound of a configuration of p = ranks x threads cores uses the 1-thread bandwidth for
//! p = 1, the all-CPU bandwidth from the CPU count up (oversubscribed cores add none), and
//! `min(p x 1-thread, all-CPU)` in between. It is the bound of one node: a study whose ranks
//! spread over several nodes has a higher one.

use crate::par::Exec;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Copy bandwidth in GB/s (1e9 bytes per second), STREAM's counting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bandwidth {
    /// Median over the repeats, 1 thread.
    pub one_thread_gbs: f64,
    /// Median over the repeats, `all_threads` threads.
    pub all_cores_gbs: f64,
    pub all_threads: usize,
    /// min and max over the repeats.
    pub one_thread_range: [f64; 2],
    pub all_cores_range: [f64; 2],
    /// Bytes of each of the two arrays.
    pub array_bytes: usize,
    pub repeats: usize,
}

impl Bandwidth {
    /// The bandwidth available to `cores` cores (see the module docs).
    pub fn for_cores(&self, cores: usize) -> f64 {
        if cores <= 1 {
            self.one_thread_gbs
        } else if cores >= self.all_threads {
            self.all_cores_gbs
        } else {
            (cores as f64 * self.one_thread_gbs).min(self.all_cores_gbs)
        }
    }

    /// "10.2 GB/s (1 thread), 19.4 GB/s (2 threads)".
    pub fn one_line(&self) -> String {
        format!(
            "{:.1} GB/s (1 thread), {:.1} GB/s ({} threads)",
            self.one_thread_gbs, self.all_cores_gbs, self.all_threads
        )
    }
}

/// Bytes moved per cell update by one sweep of `model` (see the module docs); None where no
/// single-sweep bound applies.
pub fn bytes_per_update(model: &str) -> Option<f64> {
    match model {
        "heat" => Some(16.0),
        _ => None,
    }
}

/// STREAM "Copy" with ordinary stores: explicit vector loads and stores, so the compiler cannot
/// turn it into memcpy (glibc's memcpy uses non-temporal stores for large blocks).
pub fn stream_copy(d: &mut [f64], s: &[f64]) {
    let n = d.len().min(s.len());
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_loadu_pd, _mm_storeu_pd};
        let pairs = n / 2;
        // SAFETY: SSE2 is part of x86_64; every access is below n = min(len(d), len(s)).
        unsafe {
            for k in 0..pairs {
                let v = _mm_loadu_pd(s.as_ptr().add(2 * k));
                _mm_storeu_pd(d.as_mut_ptr().add(2 * k), v);
            }
        }
        d[2 * pairs..n].copy_from_slice(&s[2 * pairs..n]);
    }
    #[cfg(not(target_arch = "x86_64"))]
    d[..n].copy_from_slice(&s[..n]);
}

fn median(v: &[f64]) -> f64 {
    super::summary::median(v)
}

fn range(v: &[f64]) -> [f64; 2] {
    [v.iter().copied().fold(f64::INFINITY, f64::min), v.iter().copied().fold(0.0, f64::max)]
}

/// One copy of `a` into `b` on `exec`'s threads, in GB/s.
fn copy_once(exec: &Exec, a: &[f64], b: &mut [f64]) -> f64 {
    let chunk = (a.len() / (16 * exec.threads())).max(4096);
    let t = Instant::now();
    exec.install(|| b.par_chunks_mut(chunk).zip(a.par_chunks(chunk)).for_each(|(d, s)| stream_copy(d, s)));
    let secs = t.elapsed().as_secs_f64().max(1e-9);
    std::hint::black_box(&b);
    16.0 * a.len() as f64 / secs / 1e9
}

/// Measure on 1 thread and on `threads` threads, `repeats` times each (interleaved, after one
/// untimed pass that touches the pages), over two arrays of `array_bytes` each.
pub fn measure(threads: usize, array_bytes: usize, repeats: usize) -> crate::Result<Bandwidth> {
    let n = (array_bytes / 8).max(1024);
    let one = Exec::new(1)?;
    let all = Exec::new(threads.max(1))?;
    let a = vec![1.0f64; n];
    let mut b = vec![0.0f64; n];
    copy_once(&all, &a, &mut b);
    let (mut r1, mut rn) = (Vec::new(), Vec::new());
    for _ in 0..repeats.max(1) {
        r1.push(copy_once(&one, &a, &mut b));
        rn.push(copy_once(&all, &a, &mut b));
    }
    Ok(Bandwidth {
        one_thread_gbs: median(&r1),
        all_cores_gbs: median(&rn),
        all_threads: all.threads(),
        one_thread_range: range(&r1),
        all_cores_range: range(&rn),
        array_bytes: n * 8,
        repeats: r1.len(),
    })
}

/// The array size a study uses: 128 MiB each, the size of bench-heat.sh's 4096^2 arrays, at most
/// 1/8 of the memory. (On the development machine, a KVM guest that reports a 480 MiB L3, one
/// thread measured 13.9 GB/s with 128 MiB arrays, 13.0 with 512 MiB and 22.2 with 32 MiB, in a
/// cache; the 128 MiB copy takes about 20 ms, so the measurement stays under a second.)
pub fn study_array_bytes(host: &crate::host::Host) -> usize {
    let want = 128usize << 20;
    if host.memory_bytes > 0 {
        want.min((host.memory_bytes / 8) as usize).max(16 << 20)
    } else {
        want
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_copies_and_measures_something() {
        let a: Vec<f64> = (0..10_001).map(|i| i as f64).collect();
        let mut b = vec![0.0; 10_001];
        stream_copy(&mut b, &a);
        assert_eq!(a, b);
        let bw = measure(2, 1 << 20, 3).unwrap();
        assert!(bw.one_thread_gbs > 0.0 && bw.all_cores_gbs > 0.0);
        assert!(bw.one_thread_range[0] <= bw.one_thread_gbs && bw.one_thread_gbs <= bw.one_thread_range[1]);
        assert_eq!((bw.repeats, bw.all_threads), (3, 2));
    }

    #[test]
    fn bandwidth_per_core_count() {
        let bw = Bandwidth { one_thread_gbs: 10.0, all_cores_gbs: 30.0, all_threads: 8, ..Default::default() };
        assert_eq!(bw.for_cores(1), 10.0);
        assert_eq!(bw.for_cores(2), 20.0);
        assert_eq!(bw.for_cores(4), 30.0);
        assert_eq!(bw.for_cores(16), 30.0);
        assert_eq!(bytes_per_update("heat"), Some(16.0));
        assert_eq!(bytes_per_update("weather"), None);
    }
}
