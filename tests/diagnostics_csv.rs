//! `diagnostics.csv`: its rows are the printed progress lines (steps and values); a run killed
//! (SIGKILL) or stopped (SIGTERM) and restarted with `--restart latest` leaves the same table as
//! an uninterrupted run (wall_seconds aside), also after a torn last line; a failed start leaves
//! an earlier file alone and a fresh run replaces it; `final.h5`'s `/diagnostics` is the CSV,
//! bit for bit, for a self-contained final file and for a distributed one under MPI.

mod common;

use common::*;
use simrun::io::diag_csv::{self, Table};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Heat 2-D with periodic, Dirichlet and Neumann faces, noise; checkpoints every 15 steps.
const BASE: &str = r#"
model = "heat"
[grid]
nx = 67
ny = 45
[time]
steps = 150
[output]
dir = "OUT"
images = false
progress = "log"
diagnostics_every = 20
[checkpoint]
every_steps = 15
keep = 2
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "dirichlet", value = 1.0 }
y_hi = { kind = "neumann", value = 0.5 }
[heat.initial]
background = 0.25
[[heat.initial.shapes]]
kind = "box"
lo = [0.1, 0.2]
hi = [0.5, 0.6]
value = 3.0
[heat.initial.noise]
amplitude = 0.5
seed = 7
"#;

fn setup(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(&format!("diagcsv_{name}"));
    let out = dir.join("out");
    let path = write(&dir, "c.toml", &text.replace("OUT", &out.display().to_string()));
    (path, out)
}

fn ok(o: std::process::Output, what: &str) -> std::process::Output {
    assert!(o.status.success(), "{what}: exit {:?}: {}", o.status.code(), stderr(&o));
    o
}

fn table(out: &Path) -> Table {
    let t = diag_csv::read(&out.join(diag_csv::FILE)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.dropped, None, "{}: a complete file", out.display());
    t
}

/// Every column but wall_seconds, as bits, row by row.
fn without_wall(t: &Table) -> Rows {
    let wall = t.columns.iter().position(|c| c == "wall_seconds").unwrap() - 1;
    t.steps
        .iter()
        .zip(&t.values)
        .map(|(s, v)| (*s, v.iter().enumerate().filter(|(i, _)| *i != wall).map(|(_, x)| x.to_bits()).collect()))
        .collect()
}

type Rows = Vec<(u64, Vec<u64>)>;

/// Equal tables, or the first row that differs (and the row counts) in the message.
fn assert_rows_eq(a: &Rows, b: &Rows, what: &str) {
    if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
        let f = |r: &(u64, Vec<u64>)| (r.0, r.1.iter().map(|v| f64::from_bits(*v)).collect::<Vec<_>>());
        panic!("{what}: row {i} differs: {:?} vs {:?}", f(&a[i]), f(&b[i]));
    }
    let steps = |r: &Rows| r.iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(a.len(), b.len(), "{what}: rows {:?} vs {:?}", steps(a), steps(b));
}

type ProgressLine = (u64, f64, Vec<(String, f64)>);

/// The progress lines `step N t=T ... | k=v k=v` of a run's stderr: (step, t, [(k, v)]).
fn progress_lines(err: &str) -> Vec<ProgressLine> {
    err.lines()
        .filter(|l| l.starts_with("step "))
        .map(|l| {
            let mut w = l.split_whitespace();
            let step = w.nth(1).unwrap().parse().unwrap();
            let t = w.next().unwrap().strip_prefix("t=").unwrap().parse().unwrap();
            let diags = l
                .split(" | ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_string(), v.parse().unwrap())
                })
                .collect();
            (step, t, diags)
        })
        .collect()
}

/// `/diagnostics` of an HDF5 file as a table: the columns in the group's `columns` order.
fn h5_table(path: &Path) -> (Vec<String>, Vec<u64>, Vec<Vec<f64>>) {
    let f = hdf5::File::open(path).unwrap();
    let g = f.group("diagnostics").unwrap_or_else(|e| panic!("{}: no /diagnostics: {e}", path.display()));
    let cols: hdf5::types::VarLenUnicode = g.attr("columns").unwrap().read_scalar().unwrap();
    let cols: Vec<String> = cols.as_str().split(',').map(str::to_string).collect();
    let steps: Vec<u64> = g.dataset("step").unwrap().read_raw().unwrap();
    let rest = cols[1..].iter().map(|c| g.dataset(c).unwrap().read_raw::<f64>().unwrap()).collect();
    (cols, steps, rest)
}

fn assert_h5_equals_csv(out: &Path) {
    let t = table(out);
    let (cols, steps, rest) = h5_table(&out.join("final.h5"));
    assert_eq!(cols, t.columns);
    assert_eq!(steps, t.steps);
    for (c, col) in rest.iter().enumerate() {
        let csv: Vec<f64> = t.values.iter().map(|r| r[c]).collect();
        assert_bits_eq(col, &csv, &format!("/diagnostics/{}", cols[c + 1]));
    }
}

#[test]
fn rows_are_the_progress_lines_and_final_h5_holds_the_same_table() {
    let (path, out) = setup("lines", BASE);
    let o = ok(simrun(&[path.to_str().unwrap(), "--set", "checkpoint.every_steps=0"]), "run");
    let t = table(&out);
    assert_eq!(t.columns, ["step", "time", "dt", "wall_seconds", "total_heat", "min", "max"]);
    // Step 0, every 20 steps, and the last step.
    assert_eq!(t.steps, [0, 20, 40, 60, 80, 100, 120, 140, 150]);
    let lines = progress_lines(&stderr(&o));
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), t.steps, "one row per progress line");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()) + 1e-300;
    for ((step, time, diags), row) in lines.iter().zip(&t.values) {
        assert!(close(*time, row[0]), "step {step}: t {time} vs {}", row[0]);
        for (k, v) in diags {
            let c = t.columns.iter().position(|c| c == k).unwrap_or_else(|| panic!("no column {k}"));
            assert!(close(*v, row[c - 1]), "step {step}: {k} printed {v}, csv {}", row[c - 1]);
        }
    }
    // dt: 0 before the first step, then the (fixed) step; time = step * dt up to round-off.
    assert_eq!(t.values[0][1], 0.0);
    let dt = t.values[1][1];
    assert!(dt > 0.0 && t.values.iter().skip(1).all(|r| r[1] == dt));
    for (s, r) in t.steps.iter().zip(&t.values) {
        assert!((r[0] - *s as f64 * dt).abs() <= 1e-12 * r[0].max(1e-300), "step {s}: t {}", r[0]);
    }
    // The final row is the run's final diagnostics, which final.h5 holds too.
    let total: f64 = final_field(&out, "temperature").iter().sum::<f64>() / (67.0 * 45.0);
    let last = t.values.last().unwrap();
    assert!((last[3] - total).abs() < 1e-12, "total_heat {} vs the final field's {total}", last[3]);
    assert_h5_equals_csv(&out);

    // diagnostics_every = 0: the first and the last step only.
    let (path, out) = setup("every0", &BASE.replace("diagnostics_every = 20", "diagnostics_every = 0"));
    ok(simrun(&[path.to_str().unwrap()]), "every 0");
    assert_eq!(table(&out).steps, [0, 150]);
    assert_h5_equals_csv(&out);
}

#[test]
fn a_fresh_run_replaces_the_file_and_a_refused_or_failed_start_leaves_it() {
    let (path, out) = setup("fresh", BASE);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", "time.steps=60"]), "first run");
    let csv = out.join(diag_csv::FILE);
    let first = std::fs::read(&csv).unwrap();
    assert_eq!(table(&out).steps, [0, 20, 40, 60]);
    // Refused (exit 2), or failing before the first step (a restart with nothing to restart
    // from): the file stays byte for byte.
    let o = simrun(&[p, "--set", "output.image_field=\"nope\""]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("output.image_field"), "{}", stderr(&o));
    let o = simrun(&[p, "--restart", out.join("no-such-checkpoint").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(&csv).unwrap(), first);
    // A fresh run starts a new table: no row of the earlier run is left.
    ok(simrun(&[p, "--set", "time.steps=30", "--set", "output.diagnostics_every=7"]), "second run");
    assert_eq!(table(&out).steps, [0, 7, 14, 21, 28, 30]);
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn wait_for(file: &Path, limit: Duration) {
    let t = Instant::now();
    while !file.exists() {
        assert!(t.elapsed() < limit, "{} did not appear", file.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Long enough to be killed mid-way: 320 x 320 cells, 2400 steps, a checkpoint every 15 steps,
/// a row every 10.
fn heavy() -> String {
    BASE.replace("nx = 67", "nx = 320")
        .replace("ny = 45", "ny = 320")
        .replace("steps = 150", "steps = 2400")
        .replace("diagnostics_every = 20", "diagnostics_every = 10")
        .replace("progress = \"log\"", "progress = \"off\"")
}

#[test]
fn killed_or_stopped_and_restarted_runs_leave_the_uninterrupted_table() {
    let text = heavy();
    let (rpath, rout) = setup("kill_ref", &text);
    ok(simrun(&[rpath.to_str().unwrap(), "--set", "checkpoint.every_steps=0"]), "uninterrupted");
    let reference = without_wall(&table(&rout));
    let expected: Vec<u64> = (0..=2400).step_by(10).collect();
    assert_eq!(reference.iter().map(|r| r.0).collect::<Vec<_>>(), expected);

    // A run ended at step 660 and extended: its checkpoint's time, 1.4501953125000099e-3, came
    // back one ulp off through a restart plan parsed with serde_json's default float parser.
    let (path, out) = setup("extend660", &text);
    ok(simrun(&[path.to_str().unwrap(), "--set", "time.steps=660"]), "to step 660");
    ok(simrun(&[path.to_str().unwrap(), "--restart", "latest"]), "extended from 660");
    assert_rows_eq(&without_wall(&table(&out)), &reference, "ended at 660, extended vs uninterrupted");

    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..4 {
        let (path, out) = setup(&format!("kill{round}"), &text);
        let p = path.to_str().unwrap();
        let mut child = Command::new(bin()).arg(p).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(seed % 700));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let csv = out.join(diag_csv::FILE);
        let killed = diag_csv::read(&csv).unwrap();
        if round % 2 == 1 {
            // A torn last line, as a crash in the middle of a write leaves.
            let mut f = std::fs::OpenOptions::new().append(true).open(&csv).unwrap();
            std::io::Write::write_all(&mut f, b"99990,1.25e-1,3.3").unwrap();
        }
        let o = ok(simrun(&[p, "--restart", "latest"]), &format!("round {round}: restart"));
        let t = table(&out);
        let what = format!("round {round}: killed at step {:?} and restarted vs uninterrupted", killed.steps.last());
        assert_rows_eq(&without_wall(&t), &reference, &what);
        if round % 2 == 1 {
            assert!(stderr(&o).contains("partial last line"), "round {round}: {}", stderr(&o));
        }
        assert_h5_equals_csv(&out);
    }

    // SIGTERM: the stopped run's last row (its final checkpoint's step, off the schedule) goes
    // when the restart continues the table.
    let long = text.replace("steps = 2400", "steps = 6000");
    let (rpath, rout) = setup("term_ref", &long);
    ok(simrun(&[rpath.to_str().unwrap(), "--set", "checkpoint.every_steps=0"]), "uninterrupted");
    let reference = without_wall(&table(&rout));
    let (path, out) = setup("term", &long);
    let p = path.to_str().unwrap();
    let child = Command::new(bin()).arg(p).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(100));
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    let stopped = table(&out);
    let last = *stopped.steps.last().unwrap();
    let ckpt = std::fs::read_to_string(out.join("checkpoints").join("latest")).unwrap();
    assert_eq!(ckpt.trim(), format!("ckpt_{last:010}"), "the stopped run's last row is its final checkpoint's");
    ok(simrun(&[p, "--restart", "latest"]), "restart after SIGTERM");
    assert_rows_eq(&without_wall(&table(&out)), &reference, &format!("stopped at {last}, restarted vs uninterrupted"));
}

#[test]
fn under_mpi_the_table_is_the_single_process_one_and_the_distributed_final_holds_it() {
    let (path, out) = setup("mpi1", BASE);
    ok(simrun(&[path.to_str().unwrap()]), "1 process");
    let one = without_wall(&table(&out));
    // single_file_max_mib = 0: final.h5 is a commit file over final/ written like a checkpoint.
    let (path, out) = setup("mpi3", BASE);
    let o = ok(
        mpirun(3, &[path.to_str().unwrap(), "--set", "parallel.threads=1", "--set", "checkpoint.keep=20"]),
        "3 ranks",
    );
    assert!(out.join("final").is_dir(), "a distributed final output: {}", stderr(&o));
    assert_rows_eq(&without_wall(&table(&out)), &one, "3 ranks vs 1 process");
    assert_h5_equals_csv(&out);
    // Restarted on 2 ranks from the checkpoint at step 90: the table continues.
    let ck = out.join("checkpoints").join("ckpt_0000000090");
    let o = mpirun(2, &[path.to_str().unwrap(), "--restart", ck.to_str().unwrap(), "--set", "parallel.threads=1"]);
    ok(o, "restart at 90 on 2 ranks");
    assert_rows_eq(&without_wall(&table(&out)), &one, "restarted at step 90 on 2 ranks vs 1 process");
}
