//! A run never loses good state and never changes what it was not asked to: a failed run leaves an
//! existing output directory byte-identical, a second run into a locked directory is refused
//! naming the holder, a blow-up never commits a non-finite checkpoint, repeated SIGTERM still
//! commits the final checkpoint, the documented mpirun stop does too, a restart into another
//! grid or model is refused before any data is read, the XDMF series never names a missing file,
//! and I/O errors are one line.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HEAT: &str = r#"
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
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "dirichlet", value = 1.0 }
[heat.initial.noise]
amplitude = 0.3
seed = 5
"#;

fn setup(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(&format!("safety_{name}"));
    let out = dir.join("out");
    (write(&dir, "c.toml", &text.replace("OUT", &out.display().to_string())), out)
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what}: exit {:?}: {}", o.status.code(), stderr(&o));
    o
}

/// Every file under `dir` with its bytes (directories as empty entries).
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut m = std::collections::BTreeMap::new();
    fn walk(root: &Path, d: &Path, m: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            if e.file_type().unwrap().is_dir() {
                m.insert(rel + "/", Vec::new());
                walk(root, &e.path(), m);
            } else {
                m.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    walk(dir, dir, &mut m);
    m
}

fn error_lines(o: &Output) -> Vec<String> {
    stderr(o).lines().filter(|l| l.starts_with("error")).map(String::from).collect()
}

fn wait_for(file: &Path, limit: Duration) {
    let t = Instant::now();
    while !file.exists() {
        assert!(t.elapsed() < limit, "{} did not appear", file.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A long checkpoint-heavy heat run.
fn long(name: &str, steps: u64) -> (PathBuf, PathBuf, String) {
    let text = HEAT
        .replace("nx = 120", "nx = 320")
        .replace("ny = 90", "ny = 320")
        .replace("steps = 300", &format!("steps = {steps}"))
        .replace("every_steps = 50", "every_steps = 15");
    let (p, o) = setup(name, &text);
    (p, o, text)
}

fn spawn(args: &[&str]) -> Child {
    Command::new(bin()).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

/// `mpirun -n ranks simrun path` in the background, its stderr piped.
fn spawn_mpirun(ranks: usize, path: &Path) -> Child {
    Command::new("mpirun")
        .args(["-n", &ranks.to_string(), "--oversubscribe", "--bind-to", "none"])
        .arg(bin())
        .arg(path)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_mpi_yield_when_idle", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill(pid: u32, sig: &str) {
    assert!(Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status().unwrap().success());
}

fn reference(text: &str, name: &str) -> Vec<f64> {
    let (path, out) = setup(&format!("{name}_ref"), text);
    ok(simrun(&[path.to_str().unwrap(), "--set", "checkpoint.every_steps=0"]), "reference");
    final_field(&out, "temperature")
}

#[test]
fn failed_runs_leave_an_existing_output_directory_byte_identical() {
    let (path, out) = setup("untouched", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p]), "the earlier run");
    let before = tree(&out);
    assert!(before.keys().any(|k| k.contains("ckpt_0000000300/checkpoint.h5")));
    let cases: Vec<(&str, Vec<String>, i32)> = vec![
        // An infinite initial value: refused at step 0 (exit 3).
        (
            "infinite initial value",
            vec![
                "--set".into(),
                "heat.initial.shapes=[{kind=\"gaussian\",center=[0.5,0.5],sigma=0.1,amplitude=1e308},{kind=\"gaussian\",center=[0.5,0.5],sigma=0.1,amplitude=1e308}]".into(),
            ],
            3,
        ),
        // A report into a directory that does not exist.
        ("report into a missing directory", vec!["--report".into(), out.join("no/such/dir/r.json").display().to_string()], 2),
        // A restart from a checkpoint of another grid.
        ("restart into another grid", vec!["--set".into(), "grid.nx=64".into(), "--restart".into(), "latest".into()], 2),
        // A restart from a directory that is not a checkpoint.
        ("restart from a non-checkpoint", vec!["--restart".into(), out.join("checkpoints").display().to_string()], 4),
    ];
    for (what, extra, code) in cases {
        let mut args = vec![p.to_string()];
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let o = simrun(&args);
        assert_eq!(o.status.code(), Some(code), "{what}: {}", stderr(&o));
        assert_eq!(error_lines(&o).len(), 1, "{what}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{what}: {}", stderr(&o));
        assert!(before == tree(&out), "{what}: the output directory changed");
    }
}

#[test]
fn fresh_runs_in_quick_succession_set_everything_aside_under_new_names() {
    // Runs a few ms long, one after another: several set-asides within one second. A name taken
    // by the previous set-aside once failed the third run half way (a directory) or would have
    // replaced it (a file).
    let (path, out) = setup("quick_succession", HEAT);
    let p = path.to_str().unwrap();
    let sets =
        ["--set", "time.steps=4", "--set", "checkpoint.every_steps=2", "--set", "output.fields=[{every_steps=2}]"];
    let runs = 4;
    for i in 0..runs {
        let mut args = vec![p];
        args.extend(sets);
        ok(simrun(&args), &format!("fresh run {i}"));
    }
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(count("final.superseded-"), runs - 1, "{names:?}");
    assert_eq!(count("fields.superseded-"), runs - 1, "{names:?}");
    let ck: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    // Checkpoints at steps 2 and 4 of every earlier run.
    assert_eq!(ck.iter().filter(|n| n.contains(".superseded-")).count(), 2 * (runs - 1), "{ck:?}");
    assert!(out.join("final.h5").exists() && out.join("fields").join("step_0000000004.h5").exists());
}

#[test]
fn a_stop_at_the_last_step_still_writes_the_final_state() {
    // The wall limit (here: at once) agreed at the run's last step: the run is done. It used to
    // stop as interrupted (exit 75) with the end checkpoint committed and no final.h5, and the
    // next job of a `--restart auto` chain found nothing to do and wrote none either.
    let (path, out) = setup("stop_at_end", HEAT);
    let o =
        ok(simrun(&[path.to_str().unwrap(), "--set", "time.steps=1", "--set", "time.wall_limit=0.001"]), "one step");
    assert!(!stderr(&o).contains("stopping at step"), "{}", stderr(&o));
    assert!(out.join("final.h5").exists() && out.join("checkpoints").join("ckpt_0000000001").exists());
}

#[test]
fn a_fresh_run_of_no_steps_sets_the_earlier_run_aside_too() {
    // time.steps = 0 takes no model call, after which the take-over used to happen: the earlier
    // run's final.h5 was replaced and its checkpoints stayed, mixed with the new history.
    let (path, out) = setup("zero_steps", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", "time.steps=50"]), "earlier run");
    let o = ok(simrun(&[p, "--set", "time.steps=0"]), "no steps");
    assert!(stderr(&o).contains("final state of an earlier run"), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with("ckpt_") || n.contains(".superseded-")), "{names:?}");
}

#[test]
fn an_output_dir_that_is_a_file_is_one_line_and_left_alone() {
    let (path, out) = setup("dir_is_file", HEAT);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, b"not a directory").unwrap();
    let o = simrun(&[path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("(output.dir) is a file, not a directory"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), b"not a directory");
}

#[test]
fn a_second_run_into_a_locked_directory_is_refused_naming_the_holder() {
    let (path, out, _) = long("lock", 100_000);
    let p = path.to_str().unwrap();
    let mut first = spawn(&[p]);
    wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
    let o = simrun(&[p, "--set", "time.steps=10"]);
    kill(first.id(), "KILL");
    let _ = first.wait();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("pid {}", first.id())), "names the holder: {}", stderr(&o));
    assert!(stderr(&o).contains("output.dir"), "{}", stderr(&o));
    let aside = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("superseded"))
        .count();
    assert_eq!(aside, 0, "the refused run set nothing aside");
    // The holder is gone (SIGKILL): its lock went with it, and a restart continues.
    ok(simrun(&[p, "--set", "time.steps=10", "--restart", "latest"]), "after the holder died");
}

#[test]
fn a_blow_up_never_commits_a_non_finite_checkpoint() {
    let dir = scratch("safety_blowup");
    let out = dir.join("out");
    let cfg = write(&dir, "blowup.toml", &BLOW_UP.replace("OUT", &out.display().to_string()));
    let p = cfg.to_str().unwrap();
    let o = simrun(&[p]);
    assert_eq!(o.status.code(), Some(3), "the run blows up: {}", stderr(&o));
    assert!(stderr(&o).contains("found while checkpointing") || stderr(&o).contains("non-finite"), "{}", stderr(&o));
    let committed = simrun::io::checkpoint::list_committed(&out);
    assert_eq!(committed.len(), 3, "keep = 3 finite checkpoints");
    for (step, d) in &committed {
        let o = simrun(&["inspect", d.to_str().unwrap()]);
        assert!(o.status.success(), "checkpoint {step} verifies: {}", stderr(&o));
        let (_, v) = simrun::io::hdf5_out::read_field(&d.join("checkpoint.h5"), "temperature").unwrap();
        assert!(v.iter().all(|x| x.is_finite()), "checkpoint {step} is finite");
    }
    // The newest committed checkpoint restores and runs on (two steps, still finite).
    let newest = committed[0].0;
    let steps = format!("time.steps={}", newest + 2);
    let o = simrun(&[p, "--set", &steps, "--restart", "latest"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("step {newest},")), "{}", stderr(&o));
}

#[test]
fn two_sigterms_still_commit_the_final_checkpoint() {
    let (_, _, text) = long("term2_ref", 6000);
    let full = reference(&text, "term2");
    let (path, out, _) = long("term2", 6000);
    let child = spawn(&[path.to_str().unwrap()]);
    wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
    kill(child.id(), "TERM");
    std::thread::sleep(Duration::from_millis(100));
    kill(child.id(), "TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    let stopped: u64 =
        stderr(&o).split("stopping at step ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let latest = std::fs::read_to_string(out.join("checkpoints").join("latest")).unwrap();
    assert_eq!(latest.trim(), format!("ckpt_{stopped:010}"), "the final checkpoint is committed");
    ok(simrun(&[path.to_str().unwrap(), "--restart", "latest"]), "restart");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "two SIGTERMs + restart vs uninterrupted");
}

#[test]
fn sigusr1_to_mpirun_commits_the_final_checkpoint_of_every_rank() {
    // The documented way to stop an mpirun job: mpirun forwards SIGUSR1 to every rank and waits.
    let (_, _, text) = long("usr1_ref", 4000);
    let full = reference(&text, "usr1");
    let (path, out, _) = long("usr1", 4000);
    let child = spawn_mpirun(2, &path);
    wait_for(&out.join("checkpoints").join("latest"), Duration::from_secs(60));
    kill(child.id(), "USR1");
    let o = child.wait_with_output().unwrap();
    assert!(stderr(&o).contains("stopping at step"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(75), "mpirun passes the ranks' exit code on: {}", stderr(&o));
    let stopped: u64 =
        stderr(&o).split("stopping at step ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let latest = std::fs::read_to_string(out.join("checkpoints").join("latest")).unwrap();
    assert_eq!(latest.trim(), format!("ckpt_{stopped:010}"));
    ok(mpirun(2, &[path.to_str().unwrap(), "--restart", "latest"]), "restart on 2 ranks");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "SIGUSR1 to mpirun + restart vs uninterrupted");
}

/// Does process `pid` catch signal `sig` (its bit in /proc/<pid>/status SigCgt)?
fn catches(pid: u32, sig: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|m| m & (1 << (sig - 1)) != 0)
}

/// A SIGUSR1 that reaches the ranks while they start (MPI_Init, the configuration, the lock)
/// stops the run at its first step with a committed final checkpoint, exit 75. The handlers were
/// installed after all that, so the signal killed the ranks (exit 138, nothing written), 50 ms
/// after they appeared. Sent as soon as each rank catches it; a restart goes on bitwise.
#[test]
fn a_stop_signal_while_the_ranks_start_stops_at_the_first_step() {
    let (_, _, text) = long("early_ref", 600);
    let full = reference(&text, "early");
    let (path, out, _) = long("early", 600);
    let child = spawn_mpirun(2, &path);
    let t0 = Instant::now();
    let ranks = loop {
        let o = Command::new("pgrep").args(["-P", &child.id().to_string(), "-x", "simrun"]).output().unwrap();
        let pids: Vec<u32> = String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect();
        if pids.len() == 2 && pids.iter().all(|&p| catches(p, libc::SIGUSR1 as u32)) {
            break pids;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the ranks never started");
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(!out.join("checkpoints").exists(), "sent before the run got under way");
    for p in ranks {
        kill(p, "USR1");
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    assert!(stderr(&o).contains("stopping at step"), "{}", stderr(&o));
    ok(mpirun(2, &[path.to_str().unwrap(), "--restart", "latest"]), "restart on 2 ranks");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "early SIGUSR1 + restart vs uninterrupted");
}

#[test]
fn a_restart_of_another_grid_or_model_is_refused_before_reading_data() {
    let (path, out) = setup("mismatch", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", "time.steps=50"]), "first");
    // Damage the data: a mismatch must be found from the commit alone, before any data is read.
    let data = out.join("checkpoints/ckpt_0000000050/rank_00000.h5");
    std::fs::write(&data, b"not read").unwrap();
    let o = simrun(&[p, "--set", "grid.ny=64", "--restart", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("120 x 90 (nx x ny)") && stderr(&o).contains("120 x 64") && stderr(&o).contains("grid.ny"),
        "{}",
        stderr(&o)
    );
    let o = simrun(&[p, "--set", "grid.nz=4", "--restart", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("2-D") && stderr(&o).contains("3-D"), "{}", stderr(&o));
    let o = simrun(&[p, "--set", "heat.alpha=2.0", "--restart", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("alpha"), "{}", stderr(&o));
    let weather = format!(
        "model = \"weather\"\n[grid]\nnx = 120\nny = 90\nlx = 20000.0\nly = 10000.0\n[time]\nend_time = 10.0\n[output]\ndir = \"{}\"\nprogress = \"off\"\n",
        out.display()
    );
    let wp = write(path.parent().unwrap(), "w.toml", &weather);
    let o = simrun(&[wp.to_str().unwrap(), "--restart", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("`heat`") && stderr(&o).contains("`weather`"), "{}", stderr(&o));
}

#[test]
fn a_restart_already_at_the_end_does_nothing() {
    let (path, out) = setup("at_end", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p]), "first");
    let before = tree(&out);
    let o = ok(simrun(&[p, "--restart", "latest"]), "restart at the end");
    assert!(stderr(&o).contains("nothing to do"), "{}", stderr(&o));
    let o = ok(simrun(&[p, "--set", "time.steps=200", "--restart", "latest"]), "restart past the end");
    assert!(stderr(&o).contains("nothing to do"), "{}", stderr(&o));
    assert!(before == tree(&out), "final.h5 and the checkpoints are untouched");
}

/// `--restart auto` continues from the newest state the directory holds, checkpoint or final.h5:
/// a run without checkpoints, or one that finished after its last checkpoint, is not recomputed
/// by the next job of its chain (it was: auto read only checkpoints, started fresh or from the
/// older checkpoint, and set the finished run aside).
#[test]
fn restart_auto_continues_from_final_h5_when_it_is_the_newest() {
    let (path, out) = setup("auto_final", HEAT);
    let p = path.to_str().unwrap();
    // Checkpoints at 50 and 100 (the end), then on to 300 without checkpoints.
    ok(simrun(&[p, "--set", "time.steps=100"]), "first 100 steps");
    let o = ok(simrun(&[p, "--set", "checkpoint.every_steps=0", "--restart", "auto"]), "on to 300");
    assert!(stderr(&o).contains("ckpt_0000000100"), "{}", stderr(&o));
    assert!(stderr(&o).contains("done: 200 steps (from step 100 to 300) to t="), "{}", stderr(&o));
    let before = tree(&out);
    let o = ok(simrun(&[p, "--set", "checkpoint.every_steps=0", "--restart", "auto"]), "again");
    assert!(stderr(&o).contains("final.h5") && stderr(&o).contains("nothing to do"), "{}", stderr(&o));
    assert!(before == tree(&out), "nothing changed");
    // No checkpoint at all: the same, and a raised end continues from final.h5, as the run would.
    let (path, out) = setup("auto_final_none", HEAT);
    let p = path.to_str().unwrap();
    let none = ["--set", "checkpoint.every_steps=0"];
    ok(simrun(&[&[p][..], &none, &["--set", "time.steps=100"]].concat()), "100 steps, no checkpoint");
    let before = tree(&out);
    let o = ok(simrun(&[&[p][..], &none, &["--set", "time.steps=100", "--restart", "auto"]].concat()), "again");
    assert!(stderr(&o).contains("nothing to do"), "{}", stderr(&o));
    assert!(before == tree(&out), "nothing changed");
    ok(simrun(&[&[p][..], &none, &["--restart", "auto"]].concat()), "on to 300");
    let (whole, wout) = setup("auto_final_whole", HEAT);
    ok(simrun(&[whole.to_str().unwrap()]), "300 steps at once");
    assert_bits_eq(&final_field(&out, "temperature"), &final_field(&wout, "temperature"), "continued from final.h5");
    // A damaged final.h5 falls back to the checkpoint before it, in one line.
    let (path, out) = setup("auto_final_damaged", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", "time.steps=100"]), "100 steps");
    ok(simrun(&[p, "--set", "checkpoint.every_steps=0", "--restart", "auto"]), "on to 300");
    let f = out.join("final.h5");
    let mut bytes = std::fs::read(&f).unwrap();
    let n = bytes.len();
    bytes.truncate(n / 2);
    std::fs::write(&f, bytes).unwrap();
    let o = ok(simrun(&[p, "--set", "checkpoint.every_steps=0", "--restart", "auto"]), "after the damage");
    let warning = stderr(&o).lines().find(|l| l.starts_with("warning:")).unwrap_or_default().to_string();
    assert!(warning.contains("final.h5 is unusable") && warning.contains("falling back to"), "{}", stderr(&o));
    assert!(warning.ends_with("ckpt_0000000100"), "{}", stderr(&o));
    assert_bits_eq(&final_field(&out, "temperature"), &final_field(&wout, "temperature"), "continued from step 100");
}

#[test]
fn an_explicit_restart_source_is_never_pruned() {
    let (path, out) = setup("protect", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p, "--set", "time.steps=100"]), "first");
    let src = out.join("checkpoints/ckpt_0000000050");
    ok(simrun(&[p, "--restart", src.to_str().unwrap()]), "restart from step 50 to 300 (keep 3)");
    assert!(src.join("checkpoint.h5").exists(), "the input checkpoint is still there");
    let committed: Vec<u64> = simrun::io::checkpoint::list_committed(&out).iter().map(|c| c.0).collect();
    assert_eq!(committed, vec![300, 250, 200, 50]);
}

/// Every file a checkpoints.xdmf names exists.
fn xdmf_files_exist(out: &Path) -> usize {
    let x = std::fs::read_to_string(out.join("checkpoints.xdmf")).unwrap();
    let mut n = 0;
    for part in x.split("Format=\"HDF\">").skip(1) {
        let file = part.split(':').next().unwrap();
        assert!(out.join(file).exists(), "checkpoints.xdmf names {file}, which does not exist");
        n += 1;
    }
    n
}

#[test]
fn the_xdmf_series_names_only_files_that_exist() {
    let (path, out) = setup("xdmf", HEAT);
    let p = path.to_str().unwrap();
    ok(simrun(&[p]), "run to 300, keep 3");
    assert_eq!(xdmf_files_exist(&out), 3, "pruned to the last three");
    ok(simrun(&[p, "--set", "time.steps=120"]), "a fresh run sets the earlier ones aside");
    assert_eq!(xdmf_files_exist(&out), 3, "steps 50, 100 and the final 120 of the new run");
    ok(simrun(&[p, "--set", "time.steps=20", "--set", "checkpoint.every_steps=0"]), "a fresh run without checkpoints");
    assert!(!out.join("checkpoints.xdmf").exists(), "no checkpoint left: no series");
    ok(simrun(&[p, "--set", "time.steps=100"]), "again");
    ok(
        simrun(&[p, "--restart", out.join("checkpoints/ckpt_0000000050").to_str().unwrap()]),
        "restart from 50 sets 100 aside",
    );
    assert_eq!(xdmf_files_exist(&out), 4, "50 (protected input) and 200, 250, 300");
}

#[test]
fn a_full_disk_is_one_line_and_leaves_no_temporary_file() {
    let mnt = scratch("safety_tmpfs");
    let mounted =
        Command::new("mount").args(["-t", "tmpfs", "-o", "size=300k", "tmpfs", mnt.to_str().unwrap()]).status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let out = mnt.join("out");
    let text = HEAT.replace("OUT", &out.display().to_string());
    let path = write(mnt.parent().unwrap(), "safety_tmpfs.toml", &text);
    let o = simrun(&[path.to_str().unwrap()]);
    let files = tree(&mnt);
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 1, "{}", stderr(&o));
    assert!(lines[0].contains("No space left on device (os error 28)"), "{}", lines[0]);
    assert!(lines[0].len() < 300, "{}", lines[0]);
    assert!(!files.keys().any(|k| k.contains(".tmp")), "temporary files left: {:?}", files.keys().collect::<Vec<_>>());
}

#[test]
fn restart_auto_chains_runs_until_done() {
    // A batch chain: every job runs `--restart auto` with a wall limit until the run is done.
    let (_, _, text) = long("auto_ref", 3000);
    let full = reference(&text, "auto");
    let (path, out, _) = long("auto", 3000);
    let p = path.to_str().unwrap();
    let mut jobs = 0;
    loop {
        jobs += 1;
        assert!(jobs < 50, "the chain does not end");
        let o = simrun(&[p, "--restart", "auto", "--set", "time.wall_limit=0.5"]);
        match o.status.code() {
            Some(75) => continue,
            Some(0) => {
                if stderr(&o).contains("nothing to do") {
                    break;
                }
                if jobs == 1 {
                    assert!(stderr(&o).contains("starting from the initial state"), "{}", stderr(&o));
                }
            }
            c => panic!("job {jobs}: exit {c:?}: {}", stderr(&o)),
        }
    }
    assert!(jobs >= 3, "the wall limit split the run ({jobs} jobs)");
    assert_bits_eq(&full, &final_field(&out, "temperature"), "a chain of --restart auto jobs vs uninterrupted");
}

/// A periodic channel driven by a body force with a fixed time step that the flow outgrows: the
/// model stops the run at step 270 (exit 3: `time.dt` above the stability limit), after
/// checkpoints 100 and 200 were handed over.
const OUTGROWN_DT: &str = r#"
model = "navier_stokes"
[grid]
nx = 16
ny = 16
[time]
end_time = 5.0
dt = 0.01
[navier_stokes]
re = 100.0
body_force = [2.0, 0.0]
[navier_stokes.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "periodic" }
y_hi = { kind = "periodic" }
[output]
dir = "OUT"
images = false
progress = "off"
[checkpoint]
every_steps = 100
"#;

/// A run that fails (exit 3) still commits the checkpoints it handed over before the failure,
/// however slow the disk: they hold good states, and the newest is the one to restart from. (The
/// checkpoints still queued were written but never committed: a slow disk lost all 270 steps.)
#[test]
fn a_failing_run_commits_the_checkpoints_handed_over_before_it() {
    for ranks in [1, 2] {
        let dir = scratch(&format!("safety_fail_drains_{ranks}"));
        let out = dir.join("out");
        let cfg = write(&dir, "outgrown.toml", &OUTGROWN_DT.replace("OUT", &out.display().to_string()));
        let p = cfg.to_str().unwrap();
        let mut cmd = if ranks == 1 {
            Command::new(bin())
        } else {
            let mut c = Command::new("mpirun");
            c.args(["--oversubscribe", "--bind-to", "none", "-n", "2", bin()]);
            c.env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
            c
        };
        // Each data file starts 300 ms late: both checkpoints are still queued at step 270.
        let o = cmd.arg(p).env("SIMRUN_TEST_IO_DELAY_MS", "300").output().unwrap();
        assert_eq!(o.status.code(), Some(3), "{ranks} rank(s): {}", stderr(&o));
        assert!(stderr(&o).contains("at step 270"), "{}", stderr(&o));
        let committed: Vec<u64> = simrun::io::checkpoint::list_committed(&out).iter().map(|(s, _)| *s).collect();
        assert_eq!(committed, [200, 100], "{ranks} rank(s): both hand-overs committed: {}", stderr(&o));
        let latest = std::fs::read_to_string(out.join("checkpoints").join("latest")).unwrap();
        assert_eq!(latest.trim(), "ckpt_0000000200");
        let o = simrun(&["inspect", out.join("checkpoints/ckpt_0000000200").to_str().unwrap()]);
        assert!(o.status.success(), "checkpoint 200 verifies: {}", stderr(&o));
    }
}

/// A flow that overflows to NaN measures no change (NaN is no maximum) and was announced as a
/// steady state before the run failed on its non-finite state: it fails without that line.
#[test]
fn a_state_gone_non_finite_is_not_a_steady_state() {
    let dir = scratch("safety_nan_not_steady");
    let out = dir.join("out");
    let text = OUTGROWN_DT
        .replace("OUT", &out.display().to_string())
        .replace("dt = 0.01", "steps = 50")
        .replace("end_time = 5.0\n", "steady_tolerance = 1e-6\n")
        .replace("body_force = [2.0, 0.0]", "body_force = [1e300, 0.0]")
        .replace("every_steps = 100", "every_steps = 0");
    let cfg = write(&dir, "nan.toml", &text);
    let o = simrun(&[cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!stderr(&o).contains("steady state"), "{}", stderr(&o));
    assert!(stderr(&o).contains("non-finite"), "{}", stderr(&o));
    assert!(!out.join("final.h5").exists());
}

/// `--restart latest` with no output directory is refused without creating it (the lock made the
/// directory and its lock file before the restart found nothing).
#[test]
fn restart_latest_without_an_output_directory_creates_nothing() {
    let (path, out) = setup("latest_nodir", HEAT);
    assert!(!out.exists());
    let o = simrun(&[path.to_str().unwrap(), "--restart", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(error_lines(&o).len(), 1, "{}", stderr(&o));
    assert!(!out.exists(), "the output directory was created");
}
