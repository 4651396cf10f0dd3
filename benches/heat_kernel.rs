//! Criterion benchmark of the heat stencil sweeps on 1 and 2 threads: the one-step kernel
//! (`kernel::update`) on 2-D 1024^2 and 4096^2 and 3-D 256^3, and the temporally blocked 2-D
//! sweep (`fused::advance_2d`, the steps per sweep the engine picks on this machine) on 4096^2. Throughput is in
//! cell updates (k steps per sweep count k updates per cell).
//! `cargo bench --bench heat_kernel`; the bandwidth comparison lives in scripts/bench-heat.sh.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simrun::field::{Field, Region};
use simrun::models::heat::kernel::{self, Coef};
use simrun::models::heat::{fused, sweep_trial};
use simrun::par::Exec;

fn noisy(n: [usize; 3], h: [usize; 3]) -> Field {
    let mut u = Field::new(n, h);
    for (i, v) in u.data.iter_mut().enumerate() {
        *v = (i % 89) as f64 * 0.01;
    }
    u
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("heat_update");
    g.sample_size(20);
    for (label, n, h, coef) in [
        ("2d_1024", [1, 1024, 1024], [0, 1, 1], [0.0, 0.2, 0.2]),
        ("2d_4096", [1, 4096, 4096], [0, 1, 1], [0.0, 0.2, 0.2]),
        ("3d_256", [256, 256, 256], [1, 1, 1], [0.1, 0.1, 0.1]),
    ] {
        let mut u = noisy(n, h);
        let mut w = u.clone();
        g.throughput(Throughput::Elements(u.interior_len() as u64));
        for threads in [1, 2] {
            let exec = Exec::new(threads).unwrap();
            g.bench_with_input(BenchmarkId::new(label, threads), &threads, |b, _| {
                b.iter(|| {
                    kernel::update(&exec, &u, &mut w, Coef { c: coef }, Region::whole(n));
                    std::mem::swap(&mut u, &mut w);
                })
            });
        }
    }
    // Temporal blocking: halos as deep as the steps (left as they are: the sweep's cost does not
    // depend on the values), Neumann ghosts on every face.
    let n = [1, 4096, 4096];
    let k = fused::auto_steps(n[2], sweep_trial::ring_budgets(simrun::machine::l2_cache_bytes())[0]);
    let mut u = noisy(n, [0, k, k]);
    let mut w = u.clone();
    let sides = [
        [None; 2],
        [Some(simrun::models::heat::boundary::Ghost::Neumann(0.0, 1.0)); 2],
        [Some(simrun::models::heat::boundary::Ghost::Neumann(0.0, 1.0)); 2],
    ];
    let coefs = vec![Coef { c: [0.0, 0.2, 0.2] }; k];
    g.throughput(Throughput::Elements((k * u.interior_len()) as u64));
    for threads in [1, 2] {
        let exec = Exec::new(threads).unwrap();
        g.bench_with_input(BenchmarkId::new(format!("2d_4096_{k}_steps_per_sweep"), threads), &threads, |b, _| {
            b.iter(|| {
                fused::advance_2d(&exec, &u, &mut w, &coefs, Region::whole(n), &sides);
                std::mem::swap(&mut u, &mut w);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
