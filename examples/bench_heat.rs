//! Heat-kernel throughput next to the memory-bandwidth bound, measured in the same run.
//!
//! For each thread count, interleaved over the repeats so that machine noise hits every column
//! alike: a STREAM-style copy (b[i] = a[i] over two N^2 f64 arrays with ordinary stores, 16 bytes
//! counted per element as STREAM counts them), glibc's memcpy, and the engine's 2-D heat sweep
//! (periodic 5-point update, halo fill included, as `simrun` runs it) taking 1, 2, 4 and 8 steps per
//! sweep over memory (temporal blocking, `parallel.time_block`). One step per sweep moves 16 bytes
//! per cell update, so copy GB/s / 16 B is its bandwidth bound in million lattice updates per
//! second (MLUPS); k steps per sweep move 16/k bytes per update and can pass that bound.
//! Prints medians, the share of the bound, and one machine-readable `result` line per thread
//! count. Usage: cargo run --release --example bench_heat -- [N] [REPEATS] [THREADS,...] [STEPS,...] [DIMS]
//! (STEPS: the steps per sweep to measure, default 1,2,4,8 and the engine's choice, each `k` or in
//! 3-D `k@KiB` for a ring budget other than the first; DIMS 3: the
//! 7-point update on N^3 cells instead of N^2).

use rayon::prelude::*;
use simrun::decomp::Decomp;
use simrun::field::{Field, Region};
use simrun::models::heat::boundary::{fill_ghosts, Sides};
use simrun::models::heat::kernel::{Coef, Row2d, STREAMING_THRESHOLD_BYTES};
use simrun::models::heat::{fused, fused_3d, sweep_trial};
use simrun::par::{Comm, Exec, SingleComm};
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

/// A STEPS entry: `k` (with the first ring budget) or, in 3-D, `k@KiB` (with that ring budget).
fn step_plan(t: &str, three_d: bool, budget: usize) -> Option<(usize, usize)> {
    let (k, kib) = t.split_once('@').map_or((t, None), |(k, b)| (k, Some(b)));
    let k: usize = k.parse().ok().filter(|k| (1..=fused::MAX_STEPS).contains(k))?;
    let ring = match kib {
        Some(b) => b.parse::<usize>().ok()? << 10,
        None => budget,
    };
    Some((k, if three_d { ring } else { 0 }))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Steps per sweep measured by default (and the engine's automatic choice).
const BLOCKS: [usize; 4] = [1, 2, 4, 8];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4096);
    let repeats: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(15);
    let threads: Vec<usize> =
        args.get(3).map(|s| s.split(',').filter_map(|t| t.parse().ok()).collect()).unwrap_or_else(|| vec![1, 2]);
    let dims: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(2);
    let three_d = dims == 3;
    let shape = if three_d { [n, n, n] } else { [1, n, n] };
    let cells: usize = shape.iter().product();
    // What `simrun` picks for this grid on this machine (parallel.time_block = 0): the faster of
    // two plans timed in the run's first sweeps, one per ring budget (in 2-D they differ only in
    // the steps).
    let l2 = simrun::machine::l2_cache_bytes();
    let budgets = sweep_trial::ring_budgets(l2);
    let mut engine_plans: Vec<(usize, usize)> = budgets
        .iter()
        .map(|&b| if three_d { (fused_3d::auto_steps(n, b), b) } else { (fused::auto_steps(n, b), 0) })
        .collect();
    engine_plans.dedup();
    // The steps asked for with the first ring budget, and the engine's plans.
    let mut plans: Vec<(usize, usize)> = args
        .get(4)
        .map(|s| s.split(',').filter_map(|t| step_plan(t, three_d, budgets[0])).collect())
        .unwrap_or_else(|| BLOCKS.iter().map(|&k| (k, if three_d { budgets[0] } else { 0 })).collect());
    plans.extend(&engine_plans);
    plans.sort_unstable();
    plans.dedup();
    let what = if three_d { format!("3-D {n}^3") } else { format!("2-D {n}x{n}") };
    let describe = |&(k, b): &(usize, usize)| {
        let steps = format!("{k} step{}/sweep", if k == 1 { "" } else { "s" });
        if three_d {
            format!("{steps}, {} KiB", b >> 10)
        } else {
            steps
        }
    };
    let engine_names: Vec<String> = engine_plans.iter().map(describe).collect();
    println!(
        "heat {what} f64 periodic, {repeats} repeats interleaved, medians; engine default here: {} (3-D: rings of the KiB given; the faster is kept)",
        engine_names.join(" or ")
    );
    let width = if three_d { 24 } else { 15 };
    let heads: Vec<String> = plans.iter().map(|p| format!("{:>width$}", describe(p))).collect();
    println!("{:>7} {:>9} {:>9} {:>9} | {}", "threads", "copy GB/s", "memcpy", "bound", heads.join(" "));
    let kmax = plans.iter().map(|p| p.0).max().unwrap();
    let periodic = [three_d, true, true];
    let decomp = Decomp::new(shape, dims, 1, 0, periodic, None).expect("decomposition");
    let sides: Sides = [[None; 2]; 3];
    let coef = Coef { c: if three_d { [0.1, 0.1, 0.1] } else { [0.0, 0.2, 0.2] } };
    let row = Row2d::pick(cells * 8 > STREAMING_THRESHOLD_BYTES);
    for &t in &threads {
        let exec = Exec::new(t).expect("threads");
        let a = vec![1.0f64; cells];
        let mut b = vec![0.0f64; cells];
        let chunk = n * 16;
        let mut u = Field::new(shape, if three_d { [kmax; 3] } else { [0, kmax, kmax] });
        for (i, v) in u.data.iter_mut().enumerate() {
            *v = (i % 97) as f64 * 0.01;
        }
        let mut w = Field::copy_of(&u);
        let (mut copy, mut memcpy) = (Vec::new(), Vec::new());
        let mut rates: Vec<Vec<f64>> = vec![Vec::new(); plans.len()];
        for _ in 0..repeats {
            let s = Instant::now();
            exec.install(|| b.par_chunks_mut(chunk).zip(a.par_chunks(chunk)).for_each(|(d, s)| stream_copy(d, s)));
            copy.push(16.0 * cells as f64 / s.elapsed().as_secs_f64() / 1e9);
            let s = Instant::now();
            exec.install(|| b.par_chunks_mut(chunk).zip(a.par_chunks(chunk)).for_each(|(d, s)| d.copy_from_slice(s)));
            memcpy.push(16.0 * cells as f64 / s.elapsed().as_secs_f64() / 1e9);
            std::hint::black_box(&b);
            for (i, &(k, ring_bytes)) in plans.iter().enumerate() {
                let coefs = vec![coef; k];
                let s = Instant::now();
                let mut ghosts = |f: &mut Field, axis: usize, wh: [bool; 3]| fill_ghosts(f, &sides, axis, wh);
                let w_halo = if three_d { [k; 3] } else { [0, k, k] };
                SingleComm.fill_halos_overlapped(&decomp, &mut u, w_halo, &mut ghosts, &mut |_| {});
                if three_d {
                    fused_3d::advance_3d(&exec, &u, &mut w, &coefs, Region::whole(u.n), &sides, ring_bytes);
                } else {
                    fused::advance_2d_with(&exec, &u, &mut w, &coefs, Region::whole(u.n), &sides, row);
                }
                rates[i].push((k * cells) as f64 / s.elapsed().as_secs_f64() / 1e6);
                std::mem::swap(&mut u, &mut w);
            }
        }
        drop((a, b));
        let gbs = median(copy);
        let memcpy_gbs = median(memcpy);
        let bound = gbs * 1e9 / 16.0 / 1e6;
        let meds: Vec<f64> = rates.into_iter().map(median).collect();
        let cols: Vec<String> = meds.iter().map(|m| format!("{m:>6.0} ({:>4.0}%)", 100.0 * m / bound)).collect();
        println!(
            "{t:>7} {gbs:>9.2} {memcpy_gbs:>9.2} {bound:>9.0} | {}",
            cols.iter().map(|c| format!("{c:>width$}")).collect::<Vec<_>>().join(" ")
        );
        let med_of = |p: &(usize, usize)| meds[plans.iter().position(|q| q == p).expect("engine plans are measured")];
        let engine = engine_plans.iter().map(med_of).fold(0.0, f64::max);
        let ks: Vec<String> = plans
            .iter()
            .zip(&meds)
            .map(
                |(&(k, b), m)| {
                    if three_d {
                        format!("k{k}_r{}_mlups={m:.1}", b >> 10)
                    } else {
                        format!("k{k}_mlups={m:.1}")
                    }
                },
            )
            .collect();
        println!(
            "result threads={t} n={n} dims={dims} copy_gbs={gbs:.2} bound_mlups={bound:.1} kernel_mlups={engine:.1} kernel_of_bound={:.3} {}",
            engine / bound,
            ks.join(" ")
        );
    }
    println!(
        "bound = copy GB/s / 16 bytes per update; kernel_mlups = the engine's default sweep ({}: the faster, as a run keeps it)",
        engine_names.join(" or ")
    );
}
