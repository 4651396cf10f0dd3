//! ExactSum throughput: `add` value by value against `add_slice`, on N f64 values (default 2^24)
//! of four kinds: smooth (1 + 0.2 sin, one or two binades per chunk: one split level), noisy
//! (uniform in [-1, 1), signs and small magnitudes mixed), mid (random signs, exponents uniform
//! in [-60, 60]: four levels) and wide (exponents uniform in [-300, 300]: more range per chunk
//! than the levels cover, so the exponent-bin path).
//! Each repeat runs both methods on every kind, interleaved, from one thread; prints the median
//! ns per value (and, for scale, that of a plain inexact f64 sum in 8 lanes, about the cost of
//! reading the data once) and checks that both give the same bits (value and normalised limbs).
//! EXACT_SUM_KINDS=smooth,wide limits the kinds (for profiling).
//! Usage: cargo run --release --example bench_exact_sum -- [LOG2_N] [REPEATS]
//!
//! Here (2 cores, shared; 2^24 values, medians of 3 runs of 5): `add_slice` 0.99 / 1.05 / 1.11 /
//! 3.12 ns per value (smooth / noisy / mid / wide), plain sum 0.85; `add` 3.7-3.8 ns for all
//! kinds, which before `add_slice` (with a branch on the sign) took 3.56 / 8.16 / 9.15 / 8.46.

use simrun::par::ExactSum;
use std::time::Instant;

fn rng(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Reference: an inexact f64 sum in 8 lanes (about the cost of streaming the data once).
fn plain_sum(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    for c in xs.chunks_exact(8) {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    acc.iter().sum::<f64>() + xs.chunks_exact(8).remainder().iter().sum::<f64>()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let log2n: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(24);
    let reps: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(7);
    let n = 1usize << log2n;
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let unit = |s: &mut u64| (rng(s) >> 11) as f64 / (1u64 << 53) as f64;
    let kinds: Vec<(&str, Vec<f64>)> = vec![
        ("smooth", (0..n).map(|i| 1.0 + 0.2 * (i as f64 * 1e-3).sin()).collect()),
        ("noisy", (0..n).map(|_| 2.0 * unit(&mut s) - 1.0).collect()),
        (
            "mid",
            (0..n)
                .map(|_| {
                    let e = (rng(&mut s) % 121) as i32 - 60;
                    let sign = if rng(&mut s) & 1 == 0 { 1.0 } else { -1.0 };
                    sign * (1.0 + unit(&mut s)) * 2f64.powi(e)
                })
                .collect(),
        ),
        (
            "wide",
            (0..n)
                .map(|_| {
                    let e = (rng(&mut s) % 601) as i32 - 300;
                    let sign = if rng(&mut s) & 1 == 0 { 1.0 } else { -1.0 };
                    sign * (1.0 + unit(&mut s)) * 2f64.powi(e)
                })
                .collect(),
        ),
    ];
    let only = std::env::var("EXACT_SUM_KINDS").ok();
    let kinds: Vec<_> =
        kinds.into_iter().filter(|(k, _)| only.as_ref().is_none_or(|o| o.split(',').any(|x| x == *k))).collect();
    let mut t_read = vec![Vec::new(); kinds.len()];
    let mut t_add = vec![Vec::new(); kinds.len()];
    let mut t_slice = vec![Vec::new(); kinds.len()];
    for _ in 0..reps {
        for (k, (_, xs)) in kinds.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(plain_sum(xs));
            t_read[k].push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let mut a = ExactSum::new();
            for &x in xs {
                a.add(x);
            }
            let va = std::hint::black_box(a.value());
            t_add[k].push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let mut b = ExactSum::new();
            b.add_slice(xs);
            let vb = std::hint::black_box(b.value());
            t_slice[k].push(t.elapsed().as_secs_f64());
            assert_eq!(va.to_bits(), vb.to_bits());
            assert_eq!(a.limbs_normalized(), b.limbs_normalized());
        }
    }
    println!("{n} values, {reps} repeats, median ns/value (same bits checked)");
    println!("{:8} {:>8} {:>10} {:>8} {:>10}", "kind", "add", "add_slice", "speedup", "plain sum");
    for (k, (name, _)) in kinds.iter().enumerate() {
        let ns = |t: &Vec<f64>| median(t.clone()) * 1e9 / n as f64;
        let (a, b, r) = (ns(&t_add[k]), ns(&t_slice[k]), ns(&t_read[k]));
        println!("{name:8} {a:8.3} {b:10.3} {:8.1} {r:10.3}", a / b);
    }
}
