//! Cost of one pressure V-cycle against the cell count: `bench_multigrid [THREADS] N...` times
//! V-cycles of the navier_stokes multigrid (walls on all sides, default smoothing) on N x N grids
//! and prints CSV: n, cells, levels, seconds per V-cycle, nanoseconds per cell per V-cycle, and the
//! residual reduction factor per cycle (geometric mean of the first four). Linear cost shows as a flat ns/cell column.

use simrun::decomp::Decomp;
use simrun::models::navier_stokes::config::MultigridConfig;
use simrun::models::navier_stokes::multigrid::Multigrid;
use simrun::par::{Exec, SingleComm};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (threads, sizes) = match args.split_first() {
        Some((t, rest)) if !rest.is_empty() => (*t, rest.to_vec()),
        _ => (1, vec![128, 256, 512, 1024]),
    };
    let exec = Exec::new(threads).expect("threads");
    println!("n,cells,levels,seconds_per_vcycle,ns_per_cell,reduction_per_cycle");
    for n in sizes {
        let d = Decomp::single([1, n, n], 2, [false; 3]);
        let mut mg = Multigrid::new(&d, [1.0 / n as f64; 2], MultigridConfig::default().smooth);
        let (f, _) = mg.fine_mut();
        for y in 0..n {
            for x in 0..n {
                let (fy, fx) = (y as f64 / n as f64, x as f64 / n as f64);
                f.set(
                    0,
                    y as isize,
                    x as isize,
                    (6.0 * fx).sin() * (3.0 * fy).cos() + ((x * 31 + y * 17) % 7) as f64 * 0.01,
                );
            }
        }
        // Residual reduction over the first 4 cycles from phi = 0 (before round-off is reached).
        let s = mg.solve(&SingleComm, &exec, 0.0, 4);
        let red = (s.residual / s.initial_residual).powf(0.25);
        // Then enough cycles for about a second of work (at least 3).
        let cycles = ((2e7 / (n * n) as f64) as u32).max(3);
        let t = Instant::now();
        mg.solve(&SingleComm, &exec, 0.0, cycles);
        let per = t.elapsed().as_secs_f64() / cycles as f64;
        println!("{n},{},{},{per:.6e},{:.2},{red:.3}", n * n, mg.levels.len(), per * 1e9 / (n * n) as f64);
    }
}
