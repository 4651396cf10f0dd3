//! The run report says how the run ended and where its time went: status "finished", "stopped"
//! (reason "signal" or "wall_limit") or "failed" (exit code and message), the target, the build,
//! and the end-of-run profile, whose table is printed on stdout for 1 process and for
//! `mpirun -n 3` with min <= avg <= max for every phase.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HEAT: &str = r#"
model = "heat"
[grid]
nx = 64
ny = 48
[time]
steps = 60
[output]
dir = "OUT"
images = false
progress = "off"
diagnostics_every = 20
[heat.initial.noise]
amplitude = 0.3
seed = 5
"#;

fn setup(name: &str, text: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch(&format!("status_{name}"));
    let out = dir.join("out");
    let cfg = write(&dir, "c.toml", &text.replace("OUT", &out.display().to_string()));
    (cfg, out, dir.join("report.json"))
}

fn report(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every report names the build and the target.
fn assert_common(r: &Value, target: (&str, f64)) {
    let commit = r["build"]["git_commit"].as_str().unwrap();
    assert!(commit == "unknown" || commit.len() == 40, "{commit}");
    assert!(r["build"]["hdf5_library"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(r["target"][target.0].as_f64(), Some(target.1), "target in {r}");
    assert!(r["config"].as_str().unwrap().contains("model = "), "the resolved config: {r}");
}

/// The profile table on stdout: (phase, calls, min, avg, max) per row.
fn table_rows(stdout: &str) -> Vec<(String, String, f64, f64, f64)> {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("phase "));
    assert!(lines.next().is_some(), "no profile table on stdout: {stdout}");
    lines
        .take_while(|l| !l.starts_with('('))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let num = |i: usize| w[i].parse::<f64>().unwrap_or_else(|_| panic!("{l}"));
            (w[0].to_string(), w[1].to_string(), num(2), num(3), num(4))
        })
        .collect()
}

fn assert_table(o: &Output, ranks: usize) -> Vec<(String, String, f64, f64, f64)> {
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("profile over").count(), 1, "one table (rank 0 prints): {out}");
    assert!(out.contains(&format!("profile over {ranks} rank(s)")), "{out}");
    let rows = table_rows(&out);
    for name in ["compute", "halo", "reduce", "io"] {
        assert!(rows.iter().any(|r| r.0 == name), "{name} missing: {out}");
    }
    for (name, _, min, avg, max) in &rows {
        assert!(min <= avg && avg <= max, "{name}: {min} {avg} {max}");
    }
    rows
}

#[test]
fn a_finished_run_reports_status_target_build_and_profile() {
    let (cfg, _, rep) = setup("finished", HEAT);
    let o = simrun(&[cfg.to_str().unwrap(), "--report", rep.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = assert_table(&o, 1);
    let r = report(&rep);
    assert_eq!(r["status"], "finished");
    assert_common(&r, ("steps", 60.0));
    assert_eq!(r["steps"], 60);
    // The JSON profile is the table.
    let p = &r["profile"];
    assert_eq!(p["ranks"], 1);
    let json_rows = p["phases"].as_array().unwrap();
    assert_eq!(json_rows.len(), rows.len());
    for (j, t) in json_rows.iter().zip(&rows) {
        assert_eq!(j["phase"], t.0.as_str());
        assert!((j["avg"].as_f64().unwrap() - t.3).abs() < 1e-4, "{j} vs {t:?}");
        // One process: the min, the average and the max are its own seconds.
        assert_eq!(j["min"], j["max"]);
        assert_eq!(r["phases"][t.0.as_str()].as_f64(), j["max"].as_f64(), "rank 0's seconds");
    }
}

#[test]
fn the_profile_table_over_three_ranks_has_min_avg_max_in_order() {
    let (cfg, _, rep) = setup("mpi3", HEAT);
    let o = mpirun(3, &[cfg.to_str().unwrap(), "--report", rep.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = assert_table(&o, 3);
    let r = report(&rep);
    assert_eq!((r["status"].as_str(), r["ranks"].as_u64()), (Some("finished"), Some(3)));
    let p = &r["profile"];
    assert_eq!(p["ranks"], 3);
    for row in p["phases"].as_array().unwrap() {
        let name = row["phase"].as_str().unwrap();
        let (min, avg, max) =
            (row["min"].as_f64().unwrap(), row["avg"].as_f64().unwrap(), row["max"].as_f64().unwrap());
        assert!(min <= avg && avg <= max, "{row}");
        // The driver's own max and mean over ranks agree with the profile.
        let over = &r["phases_over_ranks"][name];
        assert!((over["max"].as_f64().unwrap() - max).abs() <= 1e-12 * max.max(1.0), "{name}: {over} vs {row}");
        assert!((over["mean"].as_f64().unwrap() - avg).abs() <= 1e-9 * avg.max(1.0), "{name}: {over} vs {row}");
        if avg > 0.0 {
            assert!((row["imbalance"].as_f64().unwrap() - max / avg).abs() < 1e-12);
        }
    }
    assert!(rows.iter().any(|r| r.0 == "compute" && r.4 > 0.0), "compute took time");
}

#[test]
fn a_run_stopped_by_sigterm_reports_stopped_with_reason_signal() {
    let text = HEAT
        .replace("nx = 64", "nx = 320")
        .replace("ny = 48", "ny = 320")
        .replace("steps = 60", "steps = 1000000")
        .replace("[heat.initial.noise]", "[checkpoint]\nevery_steps = 15\n[heat.initial.noise]");
    let (cfg, out, rep) = setup("sigterm", &text);
    let child = Command::new(bin())
        .args([cfg.to_str().unwrap(), "--report", rep.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let latest = out.join("checkpoints").join("latest");
    let t = Instant::now();
    while !latest.exists() {
        assert!(t.elapsed() < Duration::from_secs(60), "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    let r = report(&rep);
    assert_eq!(r["status"], "stopped", "{r}");
    assert_eq!(r["reason"], "signal");
    assert_eq!(r["signal"], "SIGTERM");
    assert_common(&r, ("steps", 1e6));
    assert!(r["steps"].as_u64().unwrap() < 1_000_000, "stopped before the target");
    assert_table(&o, 1);
}

#[test]
fn a_run_stopped_by_its_wall_limit_reports_reason_wall_limit() {
    let text =
        HEAT.replace("nx = 64", "nx = 256").replace("ny = 48", "ny = 256").replace("steps = 60", "steps = 1000000");
    let (cfg, _, rep) = setup("wall", &text);
    let o = simrun(&[cfg.to_str().unwrap(), "--set", "time.wall_limit=0.5", "--report", rep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    let r = report(&rep);
    assert_eq!((r["status"].as_str(), r["reason"].as_str()), (Some("stopped"), Some("wall_limit")), "{r}");
    assert!(r.get("signal").is_none());
}

/// A run that blows up (exit 3): the weather collision case with a far too large time step.
fn blow_up(name: &str) -> (Output, PathBuf) {
    let dir = scratch(&format!("status_{name}"));
    let rep = dir.join("report.json");
    let cfg = write(&dir, "blowup.toml", &BLOW_UP.replace("OUT", &dir.join("out").display().to_string()));
    let o = simrun(&[cfg.to_str().unwrap(), "--report", rep.to_str().unwrap()]);
    (o, rep)
}

#[test]
fn a_nan_run_writes_a_report_with_status_failed() {
    let (o, rep) = blow_up("nan");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = report(&rep);
    assert_eq!(r["status"], "failed", "{r}");
    assert_eq!(r["exit_code"], 3);
    let msg = r["message"].as_str().unwrap();
    let err = stderr(&o);
    assert!(err.contains(msg), "the message is the error printed: {msg} / {err}");
    assert_eq!(r["model"], "heat");
    assert_eq!(r["target"]["steps"], 400, "{r}");
}

#[test]
fn an_io_failure_writes_a_failed_report_and_a_refused_run_none() {
    let (cfg, out, rep) = setup("io", HEAT);
    std::fs::create_dir_all(out.join("not_a_checkpoint")).unwrap();
    let bad = out.join("not_a_checkpoint");
    let o = simrun(&[cfg.to_str().unwrap(), "--restart", bad.to_str().unwrap(), "--report", rep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = report(&rep);
    assert_eq!((r["status"].as_str(), r["exit_code"].as_i64()), (Some("failed"), Some(4)), "{r}");
    assert_common(&r, ("steps", 60.0));
    // Refused before it started (a key that does not exist): exit 2, no report.
    let rep2 = rep.with_file_name("refused.json");
    let o = simrun(&[cfg.to_str().unwrap(), "--set", "grid.nq=3", "--report", rep2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!rep2.exists());
}

/// `--report` in a directory that takes no new file is refused before the run starts (exit 2, one
/// line naming the --report path), not after the whole run (exit 4, "Read-only file system", with
/// final.h5 written). Root ignores permission bits, so as root the directory is made read-only by
/// a read-only bind mount of it in a private mount namespace (`unshare -m`, gone with the
/// process); where that is not allowed the read-only case is skipped, with a note. Either way a
/// report in a writable directory is written, and the check leaves no file behind.
#[test]
fn a_report_in_a_read_only_directory_is_refused_before_the_run() {
    let (cfg, out, rep) = setup("read_only", HEAT);
    let dir = rep.parent().unwrap().to_path_buf();
    let ro = dir.join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let target = ro.join("r.json");
    let args = [cfg.to_str().unwrap(), "--report", target.to_str().unwrap()];
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let o = if root {
        let script = "d=$1; shift; mount --bind -o ro \"$d\" \"$d\" || exit 99; exec \"$@\"";
        let o = Command::new("unshare")
            .args(["-m", "sh", "-c", script, "sh", ro.to_str().unwrap(), bin()])
            .args(args)
            .output();
        match o {
            Ok(o) if o.status.code() != Some(99) && !stderr(&o).starts_with("unshare:") => Some(o),
            other => {
                eprintln!("skipped the read-only case: no read-only bind mount as root here ({other:?})");
                None
            }
        }
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        Some(simrun(&args))
    };
    if let Some(o) = o {
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(lines.len() == 1 && lines[0].starts_with("error: --report ") && lines[0].contains(args[2]), "{err}");
        assert!(!out.join("final.h5").exists(), "the run went ahead");
        assert!(std::fs::read_dir(&ro).unwrap().next().is_none(), "something was left in {}", ro.display());
    }
    // A writable directory: the report and nothing else.
    let ok_dir = dir.join("rw");
    std::fs::create_dir_all(&ok_dir).unwrap();
    let o = simrun(&[cfg.to_str().unwrap(), "--report", ok_dir.join("r.json").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> =
        std::fs::read_dir(&ok_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["r.json"]);
}

#[test]
fn the_profile_counts_calls_per_phase() {
    let (cfg, _, rep) = setup("calls", HEAT);
    let o = mpirun(3, &[cfg.to_str().unwrap(), "--set", "parallel.time_block=1", "--report", rep.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = assert_table(&o, 3);
    let r = report(&rep);
    assert_eq!(r["profile"]["calls_counted"], true);
    let calls = |name: &str| -> u64 { rows.iter().find(|x| x.0 == name).unwrap().1.parse().unwrap() };
    // One step per call: at least one compute and one reduce (the per-call agreement) per step.
    assert!(calls("compute") >= 60, "{rows:?}");
    assert!(calls("reduce") >= 60, "{rows:?}");
    assert!(calls("setup") >= 1);
}

#[test]
fn a_failed_report_carries_the_progress_made() {
    let (o, rep) = blow_up("nan_progress");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = report(&rep);
    assert_eq!(r["status"], "failed");
    assert!(r["steps"].as_u64().is_some_and(|s| s > 0), "steps reached: {r}");
    assert!(r["profile"]["phases"].as_array().is_some_and(|p| !p.is_empty()), "{r}");
}

/// A distributed final state is handed over like a checkpoint, which times its own phases
/// (`checkpoint`, `io_wait`): `io` does not count that time again (it did, so the phases of a
/// short 2-rank run added up to 120 % of its wall time). A restarted run's report says where it
/// started, and its throughput counts its own steps.
#[test]
fn the_phases_count_the_final_hand_over_once_and_a_restart_says_where_it_started() {
    let text = HEAT.replace("nx = 64", "nx = 1024").replace("ny = 48", "ny = 1024").replace("steps = 60", "steps = 4");
    let (cfg, _, rep) = setup("final_once", &text);
    let c = cfg.to_str().unwrap();
    let r = rep.to_str().unwrap();
    // No checkpoint: `checkpoint` and `io_wait` are the final hand-over's alone.
    let o = mpirun(2, &[c, "--report", r, "--set", "output.single_file_max_mib=0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = report(&rep);
    let phase = |k: &str| v["phases"][k].as_f64().unwrap_or(0.0);
    assert!(
        phase("io") < phase("checkpoint"),
        "io holds only what the hand-over does not time (it held the hand-over's `checkpoint` too): {}",
        v["phases"]
    );
    assert_eq!(v["start_step"].as_u64(), Some(0));
    let o = mpirun(2, &[c, "--report", r, "--set", "checkpoint.every_steps=2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = mpirun(2, &[c, "--report", r, "--restart", "latest", "--set", "time.steps=10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = report(&rep);
    assert_eq!((v["start_step"].as_u64(), v["steps"].as_u64()), (Some(4), Some(10)), "{v}");
    let rate = v["cells"].as_f64().unwrap() * 6.0 / v["loop_seconds"].as_f64().unwrap();
    let reported = v["cell_updates_per_second"].as_f64().unwrap();
    assert!((rate / reported - 1.0).abs() < 1e-9, "{rate} vs {reported}");
}
