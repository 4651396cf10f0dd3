//! Checkpoints: restart on another split continues bit for bit; SIGKILL at any instant leaves a
//! usable committed checkpoint; corruption and missing files are detected; signals and the wall
//! limit stop cleanly; the virtual dataset reads as one global array.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BASE: &str = r#"
model = "heat"
[grid]
nx = 120
ny = 90
[time]
steps = 300
[output]
dir = "OUT"
images = false
progress = "off"
[checkpoint]
every_steps = 50
keep = 3
ranks_per_file = 1
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "dirichlet", value = 1.0 }
[heat.initial]
[[heat.initial.shapes]]
kind = "disc"
center = [0.4, 0.5]
radius = 0.25
value = 2.0
[heat.initial.noise]
amplitude = 0.3
seed = 5
"#;

fn setup(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(&format!("ckpt_{name}"));
    let out = dir.join("out");
    let path = write(&dir, "c.toml", &text.replace("OUT", &out.display().to_string()));
    (path, out)
}

fn ok(o: std::process::Output, what: &str) -> std::process::Output {
    assert!(o.status.success(), "{what}: exit {:?}: {}", o.status.code(), stderr(&o));
    o
}

fn reference(text: &str, name: &str) -> Vec<f64> {
    let (path, out) = setup(&format!("{name}_ref"), text);
    ok(simrun(&[path.to_str().unwrap(), "--set", "checkpoint.every_steps=0"]), "reference");
    final_field(&out, "temperature")
}

/// Run the first half on `first` (ranks, threads), restart `latest` on `second`, compare.
fn continuation(name: &str, text: &str, first: (usize, usize), second: (usize, usize)) {
    let full = reference(text, name);
    let (path, out) = setup(name, text);
    let p = path.to_str().unwrap();
    let launch = |(ranks, threads): (usize, usize), extra: &[&str]| {
        let t = format!("parallel.threads={threads}");
        let mut args = vec![p, "--set", t.as_str()];
        args.extend_from_slice(extra);
        if ranks > 1 {
            mpirun(ranks, &args)
        } else {
            simrun(&args)
        }
    };
    ok(launch(first, &["--set", "time.steps=150"]), "first half");
    let o = ok(launch(second, &["--restart", "latest"]), "second half");
    assert!(stderr(&o).contains("restarted from") && stderr(&o).contains("step 150"), "{}", stderr(&o));
    assert_bits_eq(
        &full,
        &final_field(&out, "temperature"),
        &format!("{name}: restarted {first:?} -> {second:?} vs uninterrupted"),
    );
}

#[test]
fn restart_one_process_to_three_ranks() {
    continuation("1to3", BASE, (1, 1), (3, 1));
}

#[test]
fn restart_four_ranks_to_one_process() {
    continuation("4to1", BASE, (4, 1), (1, 2));
}

#[test]
fn restart_two_threads_to_one_3d() {
    let text = BASE
        .replace("ny = 90", "ny = 30\nnz = 20")
        .replace("nx = 120", "nx = 40")
        .replace("center = [0.4, 0.5]", "center = [0.4, 0.5, 0.5]");
    continuation("3d_t2to1", &text, (1, 2), (1, 1));
    continuation("3d_2to4", &text, (2, 2), (4, 1));
}

/// The state handed to the I/O thread without a copy (heat lends its own buffer) is what the
/// checkpoint holds even when the disk is slow and the run goes on for many steps, in several
/// time blocks, before it is written: restarting from a mid-run checkpoint reproduces the rest of
/// the run bit for bit (a lent buffer overwritten by a later step would hash and store a later
/// state, and the restarted run would end elsewhere).
#[test]
fn a_slow_disk_still_gets_the_state_of_the_checkpoint_step() {
    let (path, out) = setup("slow_disk", BASE);
    let p = path.to_str().unwrap();
    let sets = ["checkpoint.every_steps=10", "checkpoint.keep=40", "parallel.time_block=3"];
    let mut args = vec![p];
    for s in &sets {
        args.extend(["--set", s]);
    }
    let o = Command::new(bin()).args(&args).env("SIMRUN_TEST_IO_DELAY_MS", "25").output().unwrap();
    ok(o, "slow-disk run");
    let full = final_field(&out, "temperature");
    for step in [100, 210] {
        let ckpt = out.join(format!("checkpoints/ckpt_{step:010}"));
        assert!(ckpt.is_dir(), "{} was kept", ckpt.display());
        let (p2, out2) = setup(&format!("slow_disk_from_{step}"), BASE);
        let mut args = vec![p2.to_str().unwrap(), "--restart", ckpt.to_str().unwrap()];
        for s in &sets {
            args.extend(["--set", s]);
        }
        let o = ok(simrun(&args), "restart");
        assert!(stderr(&o).contains(&format!("step {step}")), "{}", stderr(&o));
        assert_bits_eq(&full, &final_field(&out2, "temperature"), &format!("restarted from step {step}"));
    }
}

#[test]
fn four_rank_checkpoint_reads_as_one_global_array() {
    let (path, out) = setup("vds", BASE);
    ok(mpirun(4, &[path.to_str().unwrap(), "--set", "time.steps=100"]), "4 ranks");
    let (rp, rout) = setup("vds_ref", BASE);
    ok(simrun(&[rp.to_str().unwrap(), "--set", "time.steps=100"]), "1 rank");
    let master = out.join("checkpoints").join("ckpt_0000000100").join("checkpoint.h5");
    let (shape, vds) = simrun::io::hdf5_out::read_field(&master, "temperature").unwrap();
    assert_eq!(shape, vec![90, 120]);
    assert_bits_eq(&final_field(&rout, "temperature"), &vds, "4-rank virtual dataset vs 1-rank result");
    assert!(out.join("checkpoints").join("ckpt_0000000100").join("rank_00003.h5").exists());
    // h5dump reads it too, from another working directory.
    let o = Command::new("h5dump")
        .args(["-H", master.to_str().unwrap()])
        .current_dir("/")
        .output()
        .expect("h5dump (hdf5-tools)");
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("( 90, 120 )"));
    // Moved away from its data files, a virtual dataset would read zeros: inspect and restart refuse it.
    let moved = scratch("ckpt_vds_moved");
    std::fs::copy(&master, moved.join("checkpoint.h5")).unwrap();
    let o = simrun(&["inspect", moved.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    assert_eq!(report.matches("rank_0000").count(), 4, "{report}");
    assert_eq!(report.matches("missing").count(), 4, "every data file is reported missing: {report}");
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    // Inspect names the layout that wrote it.
    let o = ok(simrun(&["inspect", out.to_str().unwrap()]), "inspect");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("4 rank(s)") && text.contains("step: 100") && text.contains("committed: yes, verified"),
        "{text}"
    );
    // Its checkpoints directory: the newest in full, the same report as in the directory's
    // (which goes on with final.h5, here distributed over 4 data files too).
    let o = ok(simrun(&["inspect", out.join("checkpoints").to_str().unwrap()]), "inspect checkpoints/");
    let newest = String::from_utf8_lossy(&o.stdout);
    assert!(newest.starts_with("checkpoint ") && text.contains(newest.as_ref()), "{newest}\n{text}");
    assert_eq!(newest.matches("  ok\n").count(), 4, "{newest}");
    // The distributed final state's data directory is inspected through final.h5 beside it (it
    // was "not committed", exit 4).
    let o = ok(simrun(&["inspect", out.join("final").to_str().unwrap()]), "inspect final/");
    let fin = String::from_utf8_lossy(&o.stdout);
    assert!(fin.starts_with("final state ") && fin.matches("  ok\n").count() == 4, "{fin}");
}

fn flip_bytes(file: &Path) {
    let mut b = std::fs::read(file).unwrap();
    let mid = b.len() / 2;
    for x in &mut b[mid..mid + 64] {
        *x ^= 0x5a;
    }
    std::fs::write(file, b).unwrap();
}

#[test]
fn corrupted_or_incomplete_checkpoints_are_refused_and_latest_falls_back() {
    let full = reference(BASE, "corrupt");
    let (path, out) = setup("corrupt", BASE);
    let p = path.to_str().unwrap();
    ok(mpirun(2, &[p, "--set", "time.steps=200"]), "first run");
    let ck = out.join("checkpoints");
    flip_bytes(&ck.join("ckpt_0000000200").join("rank_00001.h5"));
    // Named explicitly: refused with a clear error.
    let o = simrun(&[p, "--restart", ck.join("ckpt_0000000200").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("ckpt_0000000200") && stderr(&o).contains("unusable"), "{}", stderr(&o));
    // latest: falls back to step 150, says so, and still matches the uninterrupted run.
    std::fs::remove_file(ck.join("ckpt_0000000150").join("rank_00000.h5")).unwrap();
    let o = ok(simrun(&[p, "--restart", "latest"]), "fallback restart");
    let err = stderr(&o);
    assert!(err.contains("falling back") && err.contains("missing") && err.contains("step 100"), "{err}");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "after fallback");
}

#[test]
fn restart_into_a_different_grid_is_refused() {
    let (path, _) = setup("mismatch", BASE);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", "time.steps=50"]), "first");
    let o = simrun(&[p, "--set", "grid.nx=64", "--restart", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nx"), "{}", stderr(&o));
    // Output schedule and end time may change.
    ok(
        simrun(&[p, "--set", "checkpoint.every_steps=7", "--set", "time.steps=60", "--restart", "latest"]),
        "allowed change",
    );
}

/// A long checkpoint-heavy run, started in the background.
fn heavy(name: &str) -> (PathBuf, PathBuf, String) {
    let text = BASE
        .replace("nx = 120", "nx = 320")
        .replace("ny = 90", "ny = 320")
        .replace("steps = 300", "steps = 2400")
        .replace("every_steps = 50", "every_steps = 15");
    let (path, out) = setup(name, &text);
    (path, out, text)
}

fn wait_for(file: &Path, limit: Duration) {
    let t = Instant::now();
    while !file.exists() {
        assert!(t.elapsed() < limit, "{} did not appear", file.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigkill_at_random_instants_never_loses_the_last_committed_checkpoint() {
    let (_, _, text) = heavy("kill_ref");
    let full = reference(&text, "kill");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..20 {
        let (path, out, _) = heavy(&format!("kill{round}"));
        let mut child = Command::new(bin()).arg(&path).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(seed % 900));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let o = simrun(&[path.to_str().unwrap(), "--restart", "latest"]);
        assert!(o.status.success(), "round {round}: restart failed: {}", stderr(&o));
        assert_bits_eq(
            &full,
            &final_field(&out, "temperature"),
            &format!("round {round}: killed and restarted vs uninterrupted"),
        );
    }
}

#[test]
fn sigterm_and_wall_limit_stop_with_a_final_checkpoint() {
    // Long enough that the signal always arrives mid-run.
    let (_, _, text) = heavy("term_ref");
    let text = text.replace("steps = 2400", "steps = 8000");
    let full = reference(&text, "term");
    let (path, out) = setup("term", &text);
    let child = Command::new(bin()).arg(&path).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    assert!(stderr(&o).contains("stopped early"), "{}", stderr(&o));
    let latest = std::fs::read_to_string(out.join("checkpoints").join("latest")).unwrap();
    let stopped: u64 =
        stderr(&o).split("stopping at step ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert_eq!(latest.trim(), format!("ckpt_{stopped:010}"), "the final checkpoint is the committed latest");
    ok(simrun(&[path.to_str().unwrap(), "--restart", "latest"]), "restart after SIGTERM");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "SIGTERM + restart vs uninterrupted");

    let (path, out, _) = heavy("wall");
    let o = simrun(&[path.to_str().unwrap(), "--set", "time.wall_limit=0.6", "--set", "time.steps=1000000"]);
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    assert!(stderr(&o).contains("time.wall_limit"), "{}", stderr(&o));
    assert!(out.join("checkpoints").join("latest").exists());
}

#[test]
fn weather_run_extended_by_restart_on_another_split_matches_an_uninterrupted_run() {
    let text = std::fs::read_to_string(root().join("configs/weather-thermal.toml")).unwrap()
        + "\n[checkpoint]\nevery_steps = 40\n";
    let text = text.replace("end_time = 1000.0", "end_time = 200.0");
    assert!(text.contains("end_time = 200.0"), "weather-thermal.toml changed: {text}");
    let (rp, rout) = setup("weather_ref", &text);
    let set_dir = |out: &Path| format!("output.dir=\"{}\"", out.display());
    ok(simrun(&[rp.to_str().unwrap(), "--set", &set_dir(&rout), "--set", "output.progress=\"off\""]), "uninterrupted");
    let (path, out) = setup("weather_ext", &text);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", &set_dir(&out), "--set", "time.end_time=100.0"]), "first 100 s");
    ok(
        mpirun(2, &[p, "--set", &set_dir(&out), "--set", "parallel.threads=1", "--restart", "latest"]),
        "extended on 2 ranks",
    );
    for f in ["rho_pert", "rho_u", "rho_w", "rho_theta_pert"] {
        assert_bits_eq(
            &final_field(&rout, f),
            &final_field(&out, f),
            &format!("weather {f}: extended by restart vs uninterrupted"),
        );
    }
}

/// The directories an earlier run's final state was set aside into.
fn final_asides(out: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("final.superseded-"))
        .collect()
}

#[test]
fn a_fresh_run_sets_earlier_checkpoints_aside_instead_of_mixing_histories() {
    let full = reference(BASE, "aside");
    let (path, out) = setup("aside", BASE);
    let p = path.to_str().unwrap();
    ok(simrun(&[p]), "earlier run to step 300");
    let earlier_final = std::fs::read(out.join("final.h5")).unwrap();
    let o = ok(simrun(&[p, "--set", "time.steps=100"]), "fresh run to step 100");
    assert!(stderr(&o).contains("set aside"), "{}", stderr(&o));
    // The earlier run's final state is moved aside whole, not overwritten.
    let finals = final_asides(&out);
    assert_eq!(finals.len(), 1, "{}", stderr(&o));
    assert_eq!(
        std::fs::read(finals[0].join("final.h5")).unwrap(),
        earlier_final,
        "the earlier final.h5, byte for byte"
    );
    assert!(finals[0].join("final.xdmf").exists());
    assert_ne!(std::fs::read(out.join("final.h5")).unwrap(), earlier_final, "final.h5 is the new run's");
    let ck = out.join("checkpoints");
    assert_eq!(std::fs::read_to_string(ck.join("latest")).unwrap().trim(), "ckpt_0000000100");
    assert!(ck.join("ckpt_0000000100").join("checkpoint.h5").exists(), "the new run's checkpoint was kept");
    let aside = std::fs::read_dir(&ck)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".superseded-"))
        .count();
    assert_eq!(aside, 3, "the earlier run's three checkpoints are renamed, not deleted");
    ok(simrun(&[p, "--restart", "latest"]), "restart");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "fresh run + restart vs uninterrupted");
}

#[test]
fn sixteen_ranks_write_four_grouped_files_that_restart_anywhere() {
    // checkpoint.ranks_per_file = 4: 16 ranks write 4 data files per checkpoint (each holding
    // four blocks); restarts on 3 ranks and on one process continue bitwise.
    let text = BASE.replace("ranks_per_file = 1", "ranks_per_file = 4");
    let full = reference(&text, "grouped");
    for (name, second) in [("grouped_to3", 3), ("grouped_to1", 1)] {
        let (path, out) = setup(name, &text);
        let p = path.to_str().unwrap();
        ok(mpirun(16, &[p, "--set", "time.steps=150", "--set", "parallel.threads=1"]), "16 ranks");
        let files: Vec<String> = std::fs::read_dir(out.join("checkpoints").join("ckpt_0000000150"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("rank_"))
            .collect();
        assert_eq!(files.len(), 4, "{files:?}");
        let o = ok(simrun(&["inspect", out.join("checkpoints").to_str().unwrap()]), "inspect");
        assert_eq!(String::from_utf8_lossy(&o.stdout).matches("  ok\n").count(), 4);
        let args = [p, "--restart", "latest", "--set", "parallel.threads=1"];
        let o = if second == 1 { simrun(&args) } else { mpirun(second, &args) };
        let o = ok(o, "restart");
        assert!(stderr(&o).contains("written by 16 rank(s)"), "{}", stderr(&o));
        assert_bits_eq(
            &full,
            &final_field(&out, "temperature"),
            &format!("{name}: 16 ranks -> {second} vs uninterrupted"),
        );
    }
}

#[test]
fn a_fresh_run_sets_a_distributed_final_state_aside_whole() {
    // final.h5 over final/ (2 ranks, nothing gathered): both move together and still read.
    let (path, out) = setup("aside_final_mpi", BASE);
    let p = path.to_str().unwrap();
    let small = ["--set", "output.single_file_max_mib=0", "--set", "checkpoint.every_steps=0"];
    let mut args = vec![p, "--set", "time.steps=40"];
    args.extend(small);
    ok(mpirun(2, &args), "earlier run on 2 ranks");
    assert!(out.join("final").is_dir(), "a distributed final state");
    let mut args = vec![p, "--set", "time.steps=20"];
    args.extend(small);
    let o = ok(simrun(&args), "fresh run on one process");
    assert!(stderr(&o).contains("final state of an earlier run"), "{}", stderr(&o));
    let aside = final_asides(&out);
    assert_eq!(aside.len(), 1);
    assert!(aside[0].join("final").is_dir());
    let o = simrun(&["inspect", aside[0].join("final.h5").to_str().unwrap()]);
    assert!(o.status.success(), "the set-aside final.h5 reads its final/: {}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("step: 40"));
    assert!(!out.join("final").exists(), "the new run's final state is self-contained");
}
