//! Steps per sweep (temporal blocking, `parallel.time_block`) change neither the bits nor the
//! schedule of outputs. Runs the binary: kept apart from the in-process runs of heat_threads.rs,
//! because a child started while an in-process run holds an HDF5 file open inherits its
//! descriptor (and file lock).

mod common;
use common::*;

/// Steps per sweep (temporal blocking) change neither the bits nor the schedule: with
/// diagnostics every 7 steps, images every 10, checkpoints every 5 steps and every 0.003 of
/// simulated time, runs taking 1, 2, 3, 4 and 8 steps per sweep on 1 and 3 threads log the same
/// diagnostics at the same steps, write the same images and checkpoints, and end with the same bits.
#[test]
fn steps_per_sweep_change_neither_bits_nor_schedule_2d() {
    let text = NOISY.replace("diagnostics_every = 50", "diagnostics_every = 7").replace("steps = 150", "steps = 61");
    check("2d", &text);
}

/// The same in 3-D (the 7-point sweep, z walls and the 2-D faces of NOISY).
#[test]
fn steps_per_sweep_change_neither_bits_nor_schedule_3d() {
    let text = NOISY
        .replace("diagnostics_every = 50", "diagnostics_every = 7")
        .replace("steps = 150", "steps = 61")
        .replace("ny = 45", "ny = 45\nnz = 13")
        .replace("lo = [0.1, 0.2]", "lo = [0.1, 0.2, 0.3]")
        .replace("hi = [0.5, 0.6]", "hi = [0.5, 0.6, 0.9]")
        .replace(
            "y_hi = { kind = \"neumann\", value = 0.5 }",
            "y_hi = { kind = \"neumann\", value = 0.5 }\nz_lo = { kind = \"dirichlet\", value = -1.0 }\nz_hi = { kind = \"neumann\", value = 0.25 }",
        );
    assert!(text.contains("z_hi"));
    check("3d", &text);
}

fn check(name: &str, text: &str) {
    let mut reference: Option<(Vec<f64>, Vec<String>, Vec<String>)> = None;
    for (k, threads) in [(1, 1), (2, 1), (3, 3), (4, 1), (4, 3), (8, 2)] {
        let dir = scratch(&format!("time_block_{name}_{k}_{threads}"));
        let path = write(&dir, "c.toml", text);
        let out = dir.join("out");
        let sets = [
            format!("output.dir=\"{}\"", out.display()),
            format!("parallel.time_block={k}"),
            format!("parallel.threads={threads}"),
            "output.progress=\"log\"".into(),
            "output.images=true".into(),
            "output.image_every=10".into(),
            "checkpoint.every_steps=5".into(),
            "checkpoint.every_time=0.003".into(),
            "checkpoint.keep=100".into(),
        ];
        let mut args = vec![path.display().to_string()];
        for s in &sets {
            args.extend(["--set".to_string(), s.clone()]);
        }
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let o = simrun(&args);
        assert!(o.status.success(), "time_block {k}: {}", stderr(&o));
        // "step N t=... P% R steps/s eta E | diagnostics": keep the step, time and diagnostics.
        let lines: Vec<String> = stderr(&o)
            .lines()
            .filter(|l| l.starts_with("step "))
            .map(|l| {
                let (head, diags) = l.split_once(" | ").unwrap_or((l, ""));
                let w: Vec<&str> = head.split_whitespace().collect();
                format!("{} {} | {diags}", w[1], w[2])
            })
            .collect();
        let mut written: Vec<String> = std::fs::read_dir(out.join("images"))
            .unwrap()
            .chain(std::fs::read_dir(out.join("checkpoints")).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        written.sort();
        let field = final_field(&out, "temperature");
        match &reference {
            None => {
                assert!(lines.len() >= 10, "diagnostic lines every 7 steps: {lines:?}");
                assert!(written.iter().filter(|n| n.ends_with(".png")).count() == 6, "images at 10..60: {written:?}");
                reference = Some((field, lines, written));
            }
            Some((f0, l0, w0)) => {
                assert_bits_eq(f0, &field, &format!("{k} steps per sweep, {threads} threads vs 1 step"));
                assert_eq!(l0, &lines, "diagnostic lines with {k} steps per sweep");
                assert_eq!(w0, &written, "images and checkpoints with {k} steps per sweep");
            }
        }
    }
}
