//! Cost of one pressure V-cycle against the cell count: `bench_multigrid [THREADS] N...` times
//! V-cycles of the navier_stokes multigrid (walls on all sides, default smoothing) on N x N grids
//! and prints CSV: n, cells, levels, seconds per V-cycle, nanoseconds per cell per V-cycle, and the
//! residual reduction factor per cycle (geometric mean of the first four). Linear cost shows as a flat ns/cell column.
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
    if comm.is_root() {
        println!("n,cells,levels,seconds_per_vcycle,ns_per_cell,reduction_per_cycle,ranks");
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
        if comm.is_root() {
            println!(
                "{n},{},{},{per:.6e},{:.2},{red:.3},{}",
                n * n,
                mg.level_count(),
                per * 1e9 / (n * n) as f64,
                comm.size()
            );
        }
    }
}
