//! Heat-kernel throughput next to the memory-bandwidth bound, measured in the same run.
//!
//! For each thread count: a STREAM-style copy (b[i] = a[i] over two 4096^2 f64 arrays with
//! ordinary stores, 16 bytes counted per element as STREAM counts them) and the 5-point heat update of simrun (the same kernel and thread bands the
//! engine uses, 16 bytes per cell update when neighbours come from cache). Prints the medians, the
//! bandwidth bound in million lattice updates per second (copy GB/s / 16 B) and the kernel's share
//! of it. Usage: cargo run --release --example bench_heat -- [N] [REPEATS] [THREADS,...]

use rayon::prelude::*;
use simrun::field::{Field, Region};
use simrun::models::heat::kernel::{self, Coef};
use simrun::par::Exec;
use std::time::Instant;

/// STREAM "Copy" (b[i] = a[i]) with ordinary stores, as STREAM's loop compiles: explicit vector
/// loads and stores so the compiler cannot turn it into memcpy (glibc's memcpy switches to
/// non-temporal stores for large blocks, which is another experiment: the memcpy column).
fn stream_copy(d: &mut [f64], s: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let n = d.len().min(s.len());
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
    d.copy_from_slice(s);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4096);
    let repeats: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(15);
    let threads: Vec<usize> = args
        .get(3)
        .map(|s| s.split(',').filter_map(|t| t.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    println!("heat 2-D {n}x{n} f64, {repeats} repeats, medians");
    println!(
        "{:>7} {:>10} {:>12} {:>14} {:>10} {:>16} {:>10} {:>12}",
        "threads", "copy GB/s", "bound MLUPS", "kernel MLUPS", "of bound", "(plain stores)", "of bound", "memcpy GB/s"
    );
    for &t in &threads {
        let exec = Exec::new(t).expect("threads");
        // STREAM-style copy over the same number of cells, split into the same kind of bands.
        let a = vec![1.0f64; n * n];
        let mut b = vec![0.0f64; n * n];
        let chunk = n * 16;
        let mut copy = Vec::new();
        let mut memcpy = Vec::new();
        for _ in 0..repeats {
            let s = Instant::now();
            exec.install(|| b.par_chunks_mut(chunk).zip(a.par_chunks(chunk)).for_each(|(d, s)| stream_copy(d, s)));
            copy.push(16.0 * (n * n) as f64 / s.elapsed().as_secs_f64() / 1e9);
            let s = Instant::now();
            exec.install(|| b.par_chunks_mut(chunk).zip(a.par_chunks(chunk)).for_each(|(d, s)| d.copy_from_slice(s)));
            memcpy.push(16.0 * (n * n) as f64 / s.elapsed().as_secs_f64() / 1e9);
            std::hint::black_box(&b);
        }
        drop((a, b));
        let gbs = median(copy);
        let memcpy_gbs = median(memcpy);
        // The engine's kernel, two buffers swapped every step.
        let mut u = Field::new([1, n, n], [0, 1, 1]);
        for (i, v) in u.data.iter_mut().enumerate() {
            *v = (i % 97) as f64 * 0.01;
        }
        let mut w = u.clone();
        let coef = Coef { c: [0.0, 0.2, 0.2] };
        let region = Region::whole(u.n);
        let mut rates = [Vec::new(), Vec::new()];
        for _ in 0..repeats {
            for (k, streaming) in [(0, kernel::STREAMING_THRESHOLD_BYTES < u.data.len() * 8), (1, false)] {
                let s = Instant::now();
                kernel::update_with(&exec, &u, &mut w, coef, region, streaming);
                rates[k].push((n * n) as f64 / s.elapsed().as_secs_f64() / 1e6);
                std::mem::swap(&mut u, &mut w);
            }
        }
        let [engine, plain] = rates.map(median);
        let bound = gbs * 1e9 / 16.0 / 1e6;
        println!(
            "{t:>7} {gbs:>10.2} {bound:>12.0} {engine:>14.0} {:>9.1}% {plain:>16.0} {:>9.1}% {memcpy_gbs:>12.2}",
            100.0 * engine / bound,
            100.0 * plain / bound
        );
    }
}
