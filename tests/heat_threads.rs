//! Results do not depend on the number of threads: bitwise identical fields and diagnostics.

mod common;
use common::*;

/// A run's final field and diagnostics.
type Outcome = (Vec<f64>, Vec<(String, f64)>);

#[test]
fn one_to_four_threads_give_identical_bits_2d_and_3d() {
    for three_d in [false, true] {
        let mut reference: Option<Outcome> = None;
        for threads in [1, 2, 3, 4] {
            let dir = scratch(&format!("threads{}_{threads}", if three_d { 3 } else { 2 }));
            let d = format!("output.dir=\"{}\"", dir.display());
            let t = format!("parallel.threads={threads}");
            let mut ov = vec![d.as_str(), t.as_str()];
            let text = if three_d {
                ov.push("grid.nz=19");
                NOISY
                    .replace("lo = [0.1, 0.2]", "lo = [0.1, 0.2, 0.3]")
                    .replace("hi = [0.5, 0.6]", "hi = [0.5, 0.6, 0.9]")
            } else {
                NOISY.to_string()
            };
            let s = run(&cfg(&text, &ov));
            let field = final_field(&dir, "temperature");
            match &reference {
                None => reference = Some((field, s.diagnostics.clone())),
                Some((f0, d0)) => {
                    assert_bits_eq(f0, &field, &format!("{threads} threads vs 1"));
                    for ((k0, v0), (k, v)) in d0.iter().zip(&s.diagnostics) {
                        assert_eq!(k0, k);
                        assert_eq!(v0.to_bits(), v.to_bits(), "diagnostic {k} with {threads} threads");
                    }
                }
            }
        }
    }
}
