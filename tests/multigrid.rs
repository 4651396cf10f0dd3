//! The pressure multigrid on its own: residual reduction per V-cycle on 256^2 (walls and
//! periodic) with the default smoothing (3 + 3 red-black sweeps), and identical bits for any thread
//! count.

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
    let run = |threads| {
        let (mut mg, exec) = setup(128, false, threads);
        mg.solve(&SingleComm, &exec, 1e-10, 20);
        mg.fine_phi().interior_vec()
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn odd_grids_coarsen_to_a_dense_solve_and_converge() {
    // 96 -> 48 -> 24 -> 12 -> 6 -> 3: coarsest 3x3 solved directly; and 50 x 38 -> 25 x 19.
    for (ny, nx) in [(96, 96), (38, 50)] {
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
        assert!(s.residual <= 1e-8, "{nx}x{ny} did not converge");
        assert!(s.cycles <= 15);
    }
}
