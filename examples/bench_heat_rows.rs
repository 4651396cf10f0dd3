//! The ceiling of the heat sweeps: the 2-D and 3-D row kernels ([`Row2d`], [`Row3d`]) on rows that
//! stay in the L1 cache, for every instruction set this CPU runs. A sweep can approach this speed
//! only if its blocking keeps every row it reads in L1; as a share of the copy bound it is the most
//! any temporal blocking could reach with these kernels (their operations and order are fixed by
//! the same-bits contract: 6 additions or subtractions and 3 multiplications per 2-D update,
//! 8 and 4 per 3-D update, 2T counted once).
//! Usage: cargo run --release --example bench_heat_rows -- [LEN] [REPEATS]
//! (LEN cells per row, default 256: 5 or 7 rows of 2 KiB; medians of REPEATS, default 5).

use simrun::models::heat::kernel::{Row2d, Row3d};
use simrun::simd::Isa;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let len = args.first().copied().unwrap_or(256).max(1);
    let repeats = args.get(1).copied().unwrap_or(5).max(1);
    let row = |k: f64| (0..len + 2).map(|i| 1.0 + 0.01 * k + 1e-3 * i as f64).collect::<Vec<f64>>();
    let (c, s, n, d, u) = (row(0.0), row(1.0), row(2.0), row(3.0), row(4.0));
    let mut out = vec![0.0; len];
    // About 0.2 s per measurement.
    let calls = (100_000_000 / len).max(1);
    println!("row kernels on L1-resident rows of {len} cells, median of {repeats}");
    println!("{:>9} {:>3} {:>10} {:>8}", "isa", "dim", "ns/update", "MLUPS");
    for isa in Isa::available() {
        for dim in [2, 3] {
            let mut times: Vec<f64> = (0..repeats)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..calls {
                        if dim == 2 {
                            Row2d::new(isa, false).run(black_box(&mut out), &c, &s[..len], &n[..len], 0.1, 0.1);
                        } else {
                            Row3d::new(isa).run(
                                black_box(&mut out),
                                &c,
                                &s[..len],
                                &n[..len],
                                &d[..len],
                                &u[..len],
                                [0.1; 3],
                            );
                        }
                    }
                    t.elapsed().as_secs_f64() / (calls * len) as f64
                })
                .collect();
            times.sort_by(f64::total_cmp);
            let t = times[repeats / 2];
            println!("{:>9} {:>3} {:>10.3} {:>8.0}", isa.name(), dim, t * 1e9, 1e-6 / t);
            println!(
                "result isa={} dims={dim} len={len} ns_per_update={:.4} mlups={:.1}",
                isa.name(),
                t * 1e9,
                1e-6 / t
            );
        }
    }
}
