//! MPI ranks (and ranks x threads) give the same bits as one process, for 2-D and 3-D, periodic
//! and wall boundaries, uneven splits included. Runs the release binary under mpirun.

mod common;
use common::*;
use std::path::Path;

const BASE: &str = r#"
model = "heat"
[grid]
nx = 37
ny = 29
[time]
steps = 60
[output]
dir = "OUT"
images = false
progress = "off"
diagnostics_every = 20
[heat.initial]
background = 0.5
[[heat.initial.shapes]]
kind = "disc"
center = [0.3, 0.6]
radius = 0.2
value = 2.0
[heat.initial.noise]
amplitude = 0.25
seed = 11
"#;

const WALLS: &str = r#"
[heat.boundary]
x_lo = { kind = "dirichlet", value = 1.0 }
x_hi = { kind = "neumann", value = -0.5 }
y_lo = { kind = "dirichlet", value = 0.0 }
y_hi = { kind = "neumann", value = 0.0 }
z_lo = { kind = "dirichlet", value = 2.0 }
z_hi = { kind = "neumann", value = 0.0 }
"#;

const PERIODIC: &str = r#"
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "periodic" }
y_hi = { kind = "periodic" }
z_lo = { kind = "periodic" }
z_hi = { kind = "periodic" }
"#;

fn config_text(three_d: bool, bc: &str) -> String {
    let mut t = format!("{BASE}{bc}");
    if three_d {
        t = t
            .replace("ny = 29", "ny = 13\nnz = 11")
            .replace("center = [0.3, 0.6]", "center = [0.3, 0.6, 0.5]")
            .replace("nx = 37", "nx = 17");
    }
    t
}

fn diagnostics(report: &Path) -> Vec<(String, u64)> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    v["diagnostics"].as_object().unwrap().iter().map(|(k, x)| (k.clone(), x.as_f64().unwrap().to_bits())).collect()
}

fn run_split(name: &str, text: &str, ranks: usize, threads: usize) -> (Vec<f64>, Vec<(String, u64)>) {
    run_split_with(name, text, ranks, threads, &[])
}

/// One run on `ranks` MPI ranks (0 = one process without mpirun) x `threads`, with `--set`s.
fn run_split_with(
    name: &str,
    text: &str,
    ranks: usize,
    threads: usize,
    sets: &[&str],
) -> (Vec<f64>, Vec<(String, u64)>) {
    let dir = scratch(&format!("mpi_{name}_r{ranks}_t{threads}"));
    let path = write(&dir, "c.toml", &text.replace("OUT", &dir.join("out").display().to_string()));
    let report = dir.join("report.json");
    let mut args = vec![
        path.display().to_string(),
        "--set".into(),
        format!("parallel.threads={threads}"),
        "--report".into(),
        report.display().to_string(),
    ];
    for s in sets {
        args.extend(["--set".to_string(), s.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let o = if ranks == 0 { simrun(&args) } else { mpirun(ranks, &args) };
    assert!(o.status.success(), "{name} ranks={ranks} threads={threads}: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["ranks"].as_u64().unwrap() as usize, ranks.max(1));
    assert_eq!(v["threads"].as_u64().unwrap() as usize, threads);
    for phase in ["compute", "halo", "reduce", "io"] {
        assert!(
            v["phases"][phase].is_number() && v["phases_over_ranks"][phase]["max"].is_number(),
            "phase {phase} missing"
        );
    }
    (final_field(&dir.join("out"), "temperature"), diagnostics(&report))
}

/// Every split (at the default steps per sweep) against one process taking one step per sweep.
fn check_case(name: &str, three_d: bool, bc: &str, rank_counts: &[usize]) {
    let text = config_text(three_d, bc);
    let (f0, d0) = run_split_with(&format!("{name}_ref"), &text, 0, 1, &["parallel.time_block=1"]);
    let mut splits = vec![(0, 2)];
    for &r in rank_counts {
        splits.push((r, 1));
        splits.push((r, 2));
    }
    for (ranks, threads) in splits {
        let (f, d) = run_split(name, &text, ranks, threads);
        assert_bits_eq(&f0, &f, &format!("{name}: {ranks} ranks x {threads} threads vs 1 process"));
        assert_eq!(d0, d, "{name}: diagnostics differ with {ranks} ranks x {threads} threads");
    }
}

#[test]
fn heat_2d_walls_bitwise_across_splits() {
    check_case("2d_walls", false, WALLS, &[2, 3, 4]);
}

#[test]
fn heat_2d_periodic_bitwise_across_splits() {
    check_case("2d_periodic", false, PERIODIC, &[2, 3, 4]);
}

#[test]
fn heat_3d_walls_bitwise_across_splits() {
    check_case("3d_walls", true, WALLS, &[2, 3, 4, 6]);
}

#[test]
fn heat_3d_periodic_bitwise_across_splits() {
    check_case("3d_periodic", true, PERIODIC, &[2, 3, 4, 6]);
}

/// Temporal blocking across ranks: 3 and 8 steps per sweep (8 is cut to the thinnest block), the
/// 2-D process grids [2, 2] and [1, 3] and [3, 1], walls and periodic faces mixed, diagnostics at
/// steps that are no multiple of the sweep: the bits of one process taking one step at a time.
#[test]
fn heat_2d_time_blocks_bitwise_across_splits() {
    let splits = [
        (0, 2, ["parallel.time_block=3", "parallel.threads=2"]),
        (4, 1, ["parallel.time_block=3", "parallel.layout=[2, 2]"]),
        (3, 2, ["parallel.time_block=8", "parallel.layout=[1, 3]"]),
        (3, 1, ["parallel.time_block=5", "parallel.layout=[3, 1]"]),
    ];
    check_time_blocks("tb", false, "y", &splits);
}

/// The same in 3-D: 3 and 4 steps per sweep over process grids [1, 1, 3] (z split), [2, 2, 1]
/// and an automatic 2-rank split, walls and periodic faces mixed.
#[test]
fn heat_3d_time_blocks_bitwise_across_splits() {
    let splits = [
        (0, 2, ["parallel.time_block=3", "parallel.threads=2"]),
        (3, 1, ["parallel.time_block=3", "parallel.layout=[1, 1, 3]"]),
        (4, 1, ["parallel.time_block=4", "parallel.layout=[2, 2, 1]"]),
        (2, 2, ["parallel.time_block=3", "parallel.threads=2"]),
    ];
    check_time_blocks("tb3", true, "x", &splits);
}

/// A 3-D block so wide in x that the two sweep plans differ on any L2 cache from 256 KiB to
/// 4 MiB (rings of half the L2: 2 steps per sweep; rings of four times the L2: more steps or
/// taller bands): the run times both in its first sweeps and keeps one, on one process and on
/// ranks that must agree on it (a disagreement would hang the run at the next halo exchange);
/// the bits and diagnostics are those of one step per sweep, whichever it keeps.
#[test]
fn heat_3d_sweep_trial_bitwise_across_splits() {
    let text = config_text(true, WALLS)
        .replace("nx = 17", "nx = 4096")
        .replace("ny = 13\nnz = 11", "ny = 16\nnz = 8")
        .replace("steps = 60", "steps = 37")
        .replace("diagnostics_every = 20", "diagnostics_every = 7");
    assert!(text.contains("nx = 4096") && text.contains("nz = 8"));
    check_sweep_trial("trial3", &text, &["[1, 2, 1]", "[1, 1, 2]"]);
}

/// The same in 2-D: rows of 16384 cells, where rings of half the L2 allow 2 or 3 steps per sweep
/// and rings of four times the L2 more, on any L2 from 256 KiB to 4 MiB.
#[test]
fn heat_2d_sweep_trial_bitwise_across_splits() {
    let text = config_text(false, WALLS)
        .replace("nx = 37", "nx = 16384")
        .replace("ny = 29", "ny = 16")
        .replace("steps = 60", "steps = 37")
        .replace("diagnostics_every = 20", "diagnostics_every = 7");
    assert!(text.contains("nx = 16384") && text.contains("ny = 16"));
    check_sweep_trial("trial2", &text, &["[1, 2]", "[2, 1]"]);
}

/// One process on 1 and 2 threads and 2 ranks on each of `layouts` (1 and 2 threads) against
/// one step per sweep: same bits and diagnostics, and a settled trial of two plans in the report
/// whose kept plan is the steps per sweep reported.
fn check_sweep_trial(name: &str, text: &str, layouts: &[&str; 2]) {
    let (f0, d0) = run_split_with(name, text, 0, 1, &["parallel.time_block=1"]);
    for (ranks, threads, layout) in [(0, 1, None), (0, 2, None), (2, 1, Some(layouts[0])), (2, 2, Some(layouts[1]))] {
        let set = layout.map(|l| format!("parallel.layout={l}"));
        let sets: Vec<&str> = set.iter().map(|s| s.as_str()).collect();
        let (f, d) = run_split_with(name, text, ranks, threads, &sets);
        let what = format!("{name}: {ranks} ranks x {threads} threads");
        assert_bits_eq(&f0, &f, &format!("{what} vs one step per sweep"));
        assert_eq!(d0, d, "{what}: diagnostics differ");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mpi_{name}_r{ranks}_t{threads}"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
        let trial = &v["sweep_trial"];
        let plans = trial["plans"].as_array().unwrap_or_else(|| panic!("{what}: no sweep trial in {v}"));
        assert_eq!(plans.len(), 2, "{what}: {trial}");
        assert!(plans.iter().all(|p| p["seconds_per_step"].as_f64().is_some_and(|s| s > 0.0)), "{what}: {trial}");
        let chosen = trial["chosen"].as_u64().unwrap_or_else(|| panic!("{what}: trial not settled: {trial}"));
        let kept = plans[chosen as usize]["steps_per_sweep"].as_u64().unwrap();
        assert_eq!(
            v["steps_per_sweep"].as_u64(),
            Some(kept),
            "{what}: the report's steps per sweep are the kept plan's"
        );
        if let (2, Some(set)) = (threads, &set) {
            // Without the trial: the first plan, the same bits.
            let (f, d) = run_split_with(name, text, ranks, threads, &[set, "parallel.sweep_trial=false"]);
            assert_bits_eq(&f0, &f, &format!("{what}, no trial"));
            assert_eq!(d0, d, "{what}, no trial: diagnostics differ");
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
            assert!(v.get("sweep_trial").is_none(), "{what}, no trial: {v}");
            assert_eq!(v["steps_per_sweep"], plans[0]["steps_per_sweep"], "{what}, no trial: the first plan");
        }
    }
}

/// Walls, and walls with the faces of `periodic_axis` ("x" or "y") periodic, diagnostics every 7
/// steps: every (ranks, threads, sets) split against one process taking one step per sweep.
fn check_time_blocks(name: &str, three_d: bool, periodic_axis: &str, splits: &[(usize, usize, [&str; 2])]) {
    let mut mixed = String::new();
    for line in WALLS.lines() {
        let periodic =
            line.starts_with(&format!("{periodic_axis}_lo")) || line.starts_with(&format!("{periodic_axis}_hi"));
        mixed += &if periodic { format!("{} = {{ kind = \"periodic\" }}", &line[..4]) } else { line.to_string() };
        mixed.push('\n');
    }
    assert_eq!(mixed.matches("periodic").count(), 2);
    for (case, bc) in [(format!("{name}_walls"), WALLS.to_string()), (format!("{name}_mixed"), mixed)] {
        let text = config_text(three_d, &bc).replace("diagnostics_every = 20", "diagnostics_every = 7");
        let (f0, d0) = run_split_with(&case, &text, 0, 1, &["parallel.time_block=1"]);
        for (ranks, threads, sets) in splits {
            let (f, d) = run_split_with(&case, &text, *ranks, *threads, sets);
            assert_bits_eq(&f0, &f, &format!("{case}: {ranks} ranks x {threads} threads, {sets:?}"));
            assert_eq!(d0, d, "{case}: diagnostics differ with {ranks} ranks, {sets:?}");
        }
    }
}

#[test]
fn eight_ranks_on_two_cores_and_an_explicit_layout() {
    let text = config_text(false, WALLS);
    let (f0, _) = run_split("eight_ref", &text, 0, 1);
    let (f8, _) = run_split("eight", &text, 8, 1);
    assert_bits_eq(&f0, &f8, "8 ranks vs 1 process");
    let dir = scratch("mpi_layout");
    let path = write(
        &dir,
        "c.toml",
        &(text.replace("OUT", &dir.join("out").display().to_string()) + "\n[parallel]\nlayout = [4, 1]\n"),
    );
    let o = mpirun(4, &[&path.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_bits_eq(&f0, &final_field(&dir.join("out"), "temperature"), "layout [4, 1]");
}

#[test]
fn impossible_splits_are_clear_errors() {
    let dir = scratch("mpi_errors");
    let tiny = config_text(false, WALLS)
        .replace("nx = 37", "nx = 2")
        .replace("ny = 29", "ny = 2")
        .replace("OUT", &dir.join("out").display().to_string());
    let path = write(&dir, "tiny.toml", &tiny);
    let o = mpirun(5, &[&path.display().to_string()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot split the grid"), "{}", stderr(&o));
    let o = mpirun(3, &[&path.display().to_string(), "--set", "grid.nx=30", "--set", "parallel.layout=[2, 2]"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("parallel.layout") && stderr(&o).contains("3"), "{}", stderr(&o));
    let errors = stderr(&o).lines().filter(|l| l.starts_with("error:")).count();
    assert_eq!(errors, 1, "only rank 0 prints: {}", stderr(&o));
}
