//! The pressure multigrid on its own: residual reduction per V-cycle on 256^2 (walls and
//! periodic) with the default smoothing (3 + 3 red-black sweeps), on grids with odd factors (which
//! coarsen with an uneven last cell down to a few cells), identical bits for any thread count, and
//! the level plan `simrun check --ranks N` prints.

use simrun::decomp::Decomp;
use simrun::models::navier_stokes::config::MultigridConfig;
use simrun::models::navier_stokes::multigrid::Multigrid;
use simrun::par::{Exec, SingleComm};

/// A smooth plus rough right-hand side, keyed by global cell.
fn rhs(y: usize, x: usize, n: usize) -> f64 {
    let (fy, fx) = (y as f64 / n as f64, x as f64 / n as f64);
    (6.0 * fx).sin() * (3.0 * fy).cos() + 0.3 * (((x * 7919 + y * 104729) % 1000) as f64 / 1000.0 - 0.5)
}

fn setup(n: usize, periodic: bool, threads: usize) -> (Multigrid, Exec) {
    let p = [false, periodic, periodic];
    let d = Decomp::single([1, n, n], 2, p);
    let smooth = MultigridConfig::default().smooth;
    let mut mg = Multigrid::new(&d, [1.0 / n as f64, 1.0 / n as f64], smooth);
    let (f, _) = mg.fine_mut();
    for y in 0..n {
        for x in 0..n {
            f.set(0, y as isize, x as isize, rhs(y, x, n));
        }
    }
    (mg, Exec::new(threads).unwrap())
}

#[test]
fn v_cycle_reduces_the_residual_at_least_tenfold_on_256_squared() {
    for periodic in [false, true] {
        let (mut mg, exec) = setup(256, periodic, 1);
        println!("levels: {}", mg.describe());
        let mut worst: f64 = 0.0;
        for cycle in 1..=8 {
            let s = mg.solve(&SingleComm, &exec, 0.0, 1);
            let factor = s.residual / s.initial_residual;
            println!(
                "256^2 {} cycle {cycle}: residual {:.3e} -> {:.3e}, reduction x{:.1}",
                if periodic { "periodic" } else { "walls" },
                s.initial_residual,
                s.residual,
                1.0 / factor
            );
            if s.residual < 1e-9 * 256.0 * 256.0 * 1e-3 {
                break; // round-off floor
            }
            worst = worst.max(factor);
        }
        assert!(worst <= 0.1, "a V-cycle reduced the residual only by x{:.2}", 1.0 / worst);
    }
}

#[test]
fn multigrid_gives_the_same_bits_on_any_thread_count() {
    for periodic in [false, true] {
        let run = |threads| {
            let (mut mg, exec) = setup(128, periodic, threads);
            mg.solve(&SingleComm, &exec, 1e-10, 20);
            mg.fine_phi().interior_vec()
        };
        let one = run(1);
        assert_eq!(one, run(2), "periodic {periodic}");
        assert_eq!(one, run(3), "periodic {periodic}");
    }
}

#[test]
fn odd_grids_coarsen_to_a_dense_solve_and_converge() {
    // 96 -> 48 -> 24 -> 12 -> 6 -> 3; 50 x 38 -> 25 x 19 -> 13 x 10 -> 7 x 5 -> 4 x 3, each
    // coarsest level solved directly.
    for (ny, nx, coarsest) in [(96, 96, "3x3[1]"), (38, 50, "4x3[1]")] {
        let d = Decomp::single([1, ny, nx], 2, [false; 3]);
        let mut mg = Multigrid::new(&d, [1.0 / ny as f64, 1.0 / nx as f64], MultigridConfig::default().smooth);
        let (f, _) = mg.fine_mut();
        for y in 0..ny {
            for x in 0..nx {
                f.set(0, y as isize, x as isize, rhs(y, x, nx));
            }
        }
        let s = mg.solve(&SingleComm, &Exec::new(1).unwrap(), 1e-8, 30);
        println!(
            "{nx}x{ny}: {} cycles, residual {:.2e} -> {:.2e} ({})",
            s.cycles,
            s.initial_residual,
            s.residual,
            mg.describe()
        );
        assert!(mg.describe().ends_with(coarsest), "{}", mg.describe());
        assert!(s.residual <= 1e-8, "{nx}x{ny} did not converge");
        assert!(s.cycles <= 15);
    }
}

#[test]
fn odd_factors_reduce_the_residual_almost_as_fast_as_powers_of_two() {
    // Square cells; walls or periodic. Powers of two reduce x15-x22 per cycle (0.045-0.066); an
    // uneven last cell costs a little (the old hierarchy stopped at the first odd size instead:
    // 500^2 at 125^2, solved by 1000 sweeps).
    for (ny, nx, periodic) in
        [(500, 500, false), (125, 125, false), (134, 202, true), (97, 61, false), (999, 999, true)]
    {
        let d = Decomp::single([1, ny, nx], 2, [false, periodic, periodic]);
        let h = 1.0 / nx as f64;
        let mut mg = Multigrid::new(&d, [h, h], MultigridConfig::default().smooth);
        let (f, _) = mg.fine_mut();
        for y in 0..ny {
            for x in 0..nx {
                f.set(0, y as isize, x as isize, rhs(y, x, nx));
            }
        }
        let exec = Exec::new(1).unwrap();
        let factors: Vec<f64> = (0..6)
            .map(|_| {
                let s = mg.solve(&SingleComm, &exec, 0.0, 1);
                s.residual / s.initial_residual
            })
            .collect();
        println!("{nx}x{ny} periodic={periodic}: reduction per cycle {factors:.3?} ({})", mg.describe());
        assert!(mg.level_count() >= 6, "{nx}x{ny} stopped coarsening: {}", mg.describe());
        let worst = factors.iter().cloned().fold(0.0, f64::max);
        assert!(worst <= 0.2, "{nx}x{ny}: a V-cycle reduced the residual only by x{:.2}", 1.0 / worst);
    }
}

#[test]
fn check_prints_the_level_plan_for_any_rank_count() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/cavity-re100.toml");
    let check = |ranks: &str, grid: usize| {
        std::process::Command::new(env!("CARGO_BIN_EXE_simrun"))
            .args(["check", config, "--ranks", ranks])
            .args(["--set", &format!("grid.nx={grid}"), "--set", &format!("grid.ny={grid}")])
            // The plan, not whether this machine could hold the grid.
            .env("SIMRUN_MEMORY_LIMIT", "1000000000000000")
            .output()
            .unwrap()
    };
    // 500^2 blocks on 64 x 64 ranks: the old plan gathered 8000^2 cells to every rank.
    let out = check("4096", 32000);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("multigrid plan: 15 levels on 4096 rank(s) (64 x 64)"), "{text}");
    assert!(text.contains("agglomerate onto 1024 ranks"), "{text}");
    assert!(text.contains("coarsest: dense LU of 4 cells on rank 0"), "{text}");
    let gather: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("coarse gather per rank and V-cycle: at most "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the gather line");
    assert!(gather < 8192, "{text}");
    assert!(!text.contains("warning:"), "{text}");
    // A rank count the grid cannot be split over is refused like a run.
    assert_eq!(check("0", 64).status.code(), Some(2));
    assert_eq!(check("2000", 64).status.code(), Some(2));
}
