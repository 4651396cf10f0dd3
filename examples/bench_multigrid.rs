//! Cost of one pressure V-cycle against the cell count: `bench_multigrid [THREADS] N...` times
//! V-cycles of the navier_stokes multigrid (walls on all sides, default smoothing) on N x N grids
//! and prints CSV: n, cells, levels, seconds per V-cycle, nanoseconds per cell per V-cycle, the
//! residual reduction factor per cycle (geometric mean of the first four), ranks, and the
//! memory-bandwidth bound: bytes per fine cell per cycle, the copy bandwidth measured in this run
//! (STREAM copy, 16 B per element, 2 x 128 MiB arrays, on THREADS threads, median of 3), the bound
//! in ns per cell and the measured cost as a multiple of it. Linear cost shows as a flat ns/cell
//! column.
//!
//! The bound's model (STREAM counting, every pass streams its arrays from memory once, level by
//! level; nu = pre = post smoothing sweeps): per cell of level k, each red-black sweep (fused into
//! one pass) reads phi and f and writes phi, 24 B, 2 nu times; the residual restricted on the fly
//! reads phi and f (16 B) and writes a quarter cell of the coarse f (2 B); the prolongation reads a
//! quarter cell of the coarse phi (2 B) and reads and writes phi (16 B); the coarse phi is zeroed
//! (8 B, every level but the finest). Per cycle the solve also reads phi for its mean (8 B),
//! subtracts it (16 B) and reads phi and f for the residual norm (16 B) on the finest level.
//! Bytes per cycle = sum_k n_k (48 nu + 36 + 8 [k > 0]) + 40 n_0 (about 280 B per fine cell for
//! nu = 3), divided by the copy bandwidth. Levels small enough for the caches run faster than
//! this, so at 128^2 (all of it in L2) the measured cost can beat the "bound".
//! Under `mpirun -n P` the N x N grid is split over the P ranks (the default layout) and rank 0
//! prints; the time is the slowest rank's (a barrier before and after the timed cycles).

use simrun::decomp::Decomp;
use simrun::models::navier_stokes::config::MultigridConfig;
use simrun::models::navier_stokes::multigrid::Multigrid;
use simrun::par::{Comm, Exec, SingleComm};
use std::time::Instant;

fn main() {
    #[cfg(feature = "mpi")]
    if simrun::par::mpi_comm::launched_by_mpi() {
        let comm = simrun::par::mpi_comm::MpiComm::init().expect("MPI");
        bench(&comm);
        return;
    }
    bench(&SingleComm);
}

fn bench(comm: &dyn Comm) {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (threads, sizes) = match args.split_first() {
        Some((t, rest)) if !rest.is_empty() => (*t, rest.to_vec()),
        _ => (1, vec![128, 256, 512, 1024]),
    };
    let exec = Exec::new(threads).expect("threads");
    let bw = simrun::scaling::bandwidth::measure(threads, 128 << 20, 3).expect("copy bandwidth");
    let copy_gbs = bw.for_cores(threads);
    if comm.is_root() {
        println!("n,cells,levels,seconds_per_vcycle,ns_per_cell,reduction_per_cycle,ranks,bytes_per_cell,copy_gbs,bound_ns_per_cell,x_bound");
    }
    for n in sizes {
        let d = Decomp::new([1, n, n], 2, comm.size(), comm.rank(), [false; 3], None).expect("decomposition");
        let mut mg = Multigrid::new(&d, [1.0 / n as f64; 2], MultigridConfig::default().smooth);
        let (f, _) = mg.fine_mut();
        let (oy, ox) = (d.offset[1], d.offset[2]);
        for y in 0..d.size[1] {
            for x in 0..d.size[2] {
                let (gy, gx) = (oy + y, ox + x);
                let (fy, fx) = (gy as f64 / n as f64, gx as f64 / n as f64);
                f.set(
                    0,
                    y as isize,
                    x as isize,
                    (6.0 * fx).sin() * (3.0 * fy).cos() + ((gx * 31 + gy * 17) % 7) as f64 * 0.01,
                );
            }
        }
        // Residual reduction over the first 4 cycles from phi = 0 (before round-off is reached).
        let s = mg.solve(comm, &exec, 0.0, 4);
        let red = (s.residual / s.initial_residual).powf(0.25);
        // Then enough cycles for about a second of work (at least 3).
        let cycles = ((2e7 / (n * n) as f64) as u32).max(3);
        comm.barrier();
        let t = Instant::now();
        mg.solve(comm, &exec, 0.0, cycles);
        comm.barrier();
        let per = t.elapsed().as_secs_f64() / cycles as f64;
        let nu = MultigridConfig::default().smooth as f64;
        let level_bytes: f64 = mg
            .plan()
            .levels
            .iter()
            .enumerate()
            .map(|(k, l)| (l.axes[0].n * l.axes[1].n) as f64 * (48.0 * nu + 36.0 + if k > 0 { 8.0 } else { 0.0 }))
            .sum();
        let bytes_per_cell = level_bytes / (n * n) as f64 + 40.0;
        let bound_ns = bytes_per_cell / copy_gbs;
        let ns = per * 1e9 / (n * n) as f64;
        if comm.is_root() {
            println!(
                "{n},{},{},{per:.6e},{ns:.2},{red:.3},{},{bytes_per_cell:.1},{copy_gbs:.2},{bound_ns:.2},{:.2}",
                n * n,
                mg.level_count(),
                comm.size(),
                ns / bound_ns
            );
        }
    }
}
