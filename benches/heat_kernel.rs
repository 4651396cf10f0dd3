//! Criterion benchmark of the heat stencil kernel (the engine's own `kernel::update`) on 1 and 2
//! threads, 2-D 1024^2 and 4096^2 and 3-D 256^3. Throughput is reported in cell updates.
//! `cargo bench --bench heat_kernel`; the bandwidth comparison lives in scripts/bench-heat.sh.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simrun::field::{Field, Region};
use simrun::models::heat::kernel::{self, Coef};
use simrun::par::Exec;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("heat_update");
    g.sample_size(20);
    for (label, n, h, coef) in [
        ("2d_1024", [1, 1024, 1024], [0, 1, 1], [0.0, 0.2, 0.2]),
        ("2d_4096", [1, 4096, 4096], [0, 1, 1], [0.0, 0.2, 0.2]),
        ("3d_256", [256, 256, 256], [1, 1, 1], [0.1, 0.1, 0.1]),
    ] {
        let mut u = Field::new(n, h);
        for (i, v) in u.data.iter_mut().enumerate() {
            *v = (i % 89) as f64 * 0.01;
        }
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
