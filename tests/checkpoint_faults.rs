//! Fault injection on checkpoints: every way a data file can be wrong is either survived (`latest`
//! falls back to an older checkpoint and the run ends bitwise equal to an uninterrupted one) or
//! refused (an explicit checkpoint exits non-zero with one line) — never exit 0 with a different
//! result. Each fault is restored on 1 process and on 2 ranks, from a 3-rank checkpoint.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BASE: &str = r#"
model = "heat"
[grid]
nx = 120
ny = 90
[time]
steps = 150
[output]
dir = "OUT"
images = false
progress = "off"
[checkpoint]
every_steps = 50
keep = 3
ranks_per_file = RPF
[heat.boundary]
x_lo = { kind = "periodic" }
x_hi = { kind = "periodic" }
y_lo = { kind = "dirichlet", value = 1.0 }
[heat.initial.noise]
amplitude = 0.3
seed = SEED
"#;

/// Steps of the whole run; the checkpoints are at 50, 100 and 150.
const FULL: &str = "time.steps=300";

/// A file per rank unless a group size is given (N-to-M data files).
fn config(dir: &Path, seed: u64) -> (PathBuf, PathBuf) {
    config_grouped(dir, seed, 1)
}

fn config_grouped(dir: &Path, seed: u64, ranks_per_file: usize) -> (PathBuf, PathBuf) {
    let out = dir.join("out");
    let text = BASE
        .replace("OUT", &out.display().to_string())
        .replace("SEED", &seed.to_string())
        .replace("RPF", &ranks_per_file.to_string());
    (write(dir, "c.toml", &text), out)
}

/// The output directory of a 3-rank run to step 150 with `seed` (made once per test binary).
fn base(seed: u64, ranks: usize) -> PathBuf {
    base_grouped(seed, ranks, 1)
}

/// As [`base`], with `ranks_per_file` ranks per data file.
fn base_grouped(seed: u64, ranks: usize, ranks_per_file: usize) -> PathBuf {
    type Bases = std::sync::Mutex<std::collections::HashMap<(u64, usize, usize), PathBuf>>;
    static BASES: OnceLock<Bases> = OnceLock::new();
    let mut map = BASES.get_or_init(Default::default).lock().unwrap();
    map.entry((seed, ranks, ranks_per_file))
        .or_insert_with(|| {
            let dir = scratch(&format!("faults_base_{seed}_{ranks}_{ranks_per_file}"));
            let (cfg, out) = config_grouped(&dir, seed, ranks_per_file);
            let o = mpirun(ranks, &[cfg.to_str().unwrap()]);
            assert!(o.status.success(), "base run: {}", stderr(&o));
            out
        })
        .clone()
}

/// The uninterrupted 300-step result (one process).
fn reference() -> &'static Vec<f64> {
    static REF: OnceLock<Vec<f64>> = OnceLock::new();
    REF.get_or_init(|| {
        let dir = scratch("faults_reference");
        let (cfg, out) = config(&dir, 5);
        let o = simrun(&[cfg.to_str().unwrap(), "--set", FULL, "--set", "checkpoint.every_steps=0"]);
        assert!(o.status.success(), "reference: {}", stderr(&o));
        final_field(&out, "temperature")
    })
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes (directories as empty entries).
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
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

fn ck(out: &Path, step: u64) -> PathBuf {
    out.join("checkpoints").join(format!("ckpt_{step:010}"))
}

fn data(out: &Path, step: u64, rank: usize) -> PathBuf {
    ck(out, step).join(format!("rank_{rank:05}.h5"))
}

fn launch(ranks: usize, args: &[&str], limit_files: Option<u32>) -> Output {
    match (ranks, limit_files) {
        (1, None) => simrun(args),
        (1, Some(n)) => {
            let mut script = format!("ulimit -n {n} && exec '{}'", bin());
            for a in args {
                script.push_str(&format!(" '{a}'"));
            }
            Command::new("sh").args(["-c", &script]).output().unwrap()
        }
        (r, _) => mpirun(r, args),
    }
}

/// Lines of stderr that report errors.
fn error_lines(o: &Output) -> Vec<String> {
    stderr(o).lines().filter(|l| l.starts_with("error")).map(String::from).collect()
}

/// Inject `fault` into a copy of the base checkpoints and restart on 1 process and on 2 ranks,
/// with `latest` and with the damaged checkpoint named explicitly. `survivable`: the explicit
/// restart succeeds too (the fault does not touch what a restart must trust).
fn check_fault(name: &str, ranks_written: usize, fault: &dyn Fn(&Path), survivable: bool, limit_files: Option<u32>) {
    check_fault_grouped(name, ranks_written, 1, fault, survivable, limit_files)
}

fn check_fault_grouped(
    name: &str,
    ranks_written: usize,
    ranks_per_file: usize,
    fault: &dyn Fn(&Path),
    survivable: bool,
    limit_files: Option<u32>,
) {
    let full = reference();
    let splits: &[usize] = if limit_files.is_some() { &[1] } else { &[1, 2] };
    for &ranks in splits {
        for explicit in [false, true] {
            let what = format!("{name}, restored on {ranks} rank(s), {}", if explicit { "explicit" } else { "latest" });
            let dir = scratch(&format!("fault_{name}_{ranks}_{explicit}"));
            let (cfg, out) = config(&dir, 5);
            copy_tree(&base_grouped(5, ranks_written, ranks_per_file), &out);
            std::fs::remove_file(out.join("final.h5")).unwrap();
            fault(&out);
            let target = ck(&out, 150).display().to_string();
            let spec = if explicit { target.as_str() } else { "latest" };
            let before = tree(&out);
            let o = launch(ranks, &[cfg.to_str().unwrap(), "--set", FULL, "--restart", spec], limit_files);
            let err = stderr(&o);
            assert!(!err.contains("panicked"), "{what}: {err}");
            if o.status.success() {
                assert_bits_eq(
                    full,
                    &final_field(&out, "temperature"),
                    &format!("{what}: exit 0 must mean the right answer"),
                );
                if !survivable {
                    assert!(!explicit, "{what}: an explicit damaged checkpoint must be refused: {err}");
                    assert!(err.contains("falling back") && err.contains("step 100"), "{what}: {err}");
                }
            } else {
                assert!(!survivable, "{what}: expected success: {err}");
                assert!(explicit, "{what}: latest must fall back: {err}");
                assert_eq!(o.status.code(), Some(4), "{what}: {err}");
                let lines = error_lines(&o);
                assert_eq!(lines.len(), 1, "{what}: one error line: {err}");
                assert!(lines[0].contains("ckpt_0000000150") && lines[0].contains("rank_0000"), "{what}: {}", lines[0]);
                assert_eq!(before, tree(&out), "{what}: a refused restart changes nothing");
            }
        }
    }
}

#[test]
fn truncated_data_file() {
    check_fault(
        "truncated",
        3,
        &|out| {
            let f = data(out, 150, 1);
            let n = std::fs::metadata(&f).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(&f).unwrap().set_len(n / 2).unwrap();
        },
        false,
        None,
    );
}

#[test]
fn garbage_header() {
    check_fault(
        "garbage",
        3,
        &|out| {
            let f = data(out, 150, 0);
            let mut b = std::fs::read(&f).unwrap();
            b[..1024].iter_mut().enumerate().for_each(|(i, x)| *x = (i * 37 % 251) as u8);
            std::fs::write(&f, b).unwrap();
        },
        false,
        None,
    );
}

#[test]
fn flipped_bytes_in_the_data() {
    check_fault(
        "flipped",
        3,
        &|out| {
            let f = data(out, 150, 2);
            let mut b = std::fs::read(&f).unwrap();
            let mid = b.len() / 2;
            b[mid..mid + 64].iter_mut().for_each(|x| *x ^= 0x5a);
            std::fs::write(&f, b).unwrap();
        },
        false,
        None,
    );
}

#[test]
fn deleted_data_file() {
    check_fault("deleted", 3, &|out| std::fs::remove_file(data(out, 150, 2)).unwrap(), false, None);
}

#[test]
fn stale_data_file_from_an_earlier_step() {
    check_fault(
        "stale",
        3,
        &|out| {
            std::fs::copy(data(out, 100, 1), data(out, 150, 1)).unwrap();
        },
        false,
        None,
    );
}

#[test]
fn two_data_files_swapped() {
    check_fault(
        "swapped",
        3,
        &|out| {
            let (a, b) = (data(out, 150, 0), data(out, 150, 2));
            let tmp = a.with_extension("swap");
            std::fs::rename(&a, &tmp).unwrap();
            std::fs::rename(&b, &a).unwrap();
            std::fs::rename(&tmp, &b).unwrap();
        },
        false,
        None,
    );
}

#[test]
fn data_file_of_another_run_of_the_same_grid() {
    let other = base(6, 3);
    check_fault(
        "foreign",
        3,
        &|out| {
            std::fs::copy(data(&other, 150, 1), data(out, 150, 1)).unwrap();
        },
        false,
        None,
    );
}

#[test]
fn file_descriptor_limit_below_the_number_of_data_files() {
    // 12 data files, at most 6 descriptors: a restart that opens one data file at a time still
    // reads everything (and a limit it cannot live with is an error, never zeros).
    let out = base(5, 12);
    assert!(data(&out, 150, 11).exists());
    check_fault("fd_limit", 12, &|_| {}, true, Some(6));
}

#[test]
fn an_uncommitted_checkpoint_is_refused_and_left_as_it_is() {
    let dir = scratch("fault_uncommitted");
    let (cfg, out) = config(&dir, 5);
    copy_tree(&base(5, 3), &out);
    std::fs::remove_file(ck(&out, 150).join("checkpoint.h5")).unwrap();
    let before = tree(&out);
    let o = simrun(&[cfg.to_str().unwrap(), "--set", FULL, "--restart", ck(&out, 150).to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(error_lines(&o).len(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("not a committed checkpoint"), "{}", stderr(&o));
    assert_eq!(before, tree(&out), "the uncommitted directory and everything else is untouched");
    // `latest` skips it (it is not committed) and continues from step 100, bitwise.
    let o = simrun(&[cfg.to_str().unwrap(), "--set", FULL, "--restart", "latest"]);
    assert!(o.status.success() && stderr(&o).contains("step 100"), "{}", stderr(&o));
    assert_bits_eq(reference(), &final_field(&out, "temperature"), "latest past an uncommitted checkpoint");
}

#[test]
fn inspect_reports_each_data_file() {
    let dir = scratch("fault_inspect");
    let out = dir.join("out");
    copy_tree(&base(5, 3), &out);
    std::fs::remove_file(data(&out, 150, 0)).unwrap();
    std::fs::copy(data(&out, 100, 1), data(&out, 150, 1)).unwrap();
    let f = data(&out, 150, 2);
    let n = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&f).unwrap().set_len(n - 100).unwrap();
    let o = simrun(&["inspect", ck(&out, 150).to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("rank_00000.h5  missing"), "{text}");
    assert!(text.contains("rank_00001.h5  mismatched: is from step 100"), "{text}");
    assert!(text.contains("rank_00002.h5  truncated"), "{text}");
    let o = simrun(&["inspect", ck(&out, 100).to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("committed: yes, verified"));
}

#[test]
fn faults_in_grouped_data_files() {
    // 4 ranks, 2 per data file: rank_00000.h5 holds ranks 0 and 1, rank_00002.h5 ranks 2 and 3.
    let out = base_grouped(5, 4, 2);
    let names: Vec<String> = std::fs::read_dir(ck(&out, 150))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("rank_"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    check_fault_grouped(
        "grouped_truncated",
        4,
        2,
        &|out| {
            let f = data(out, 150, 2);
            let n = std::fs::metadata(&f).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(&f).unwrap().set_len(n - 1).unwrap();
        },
        false,
        None,
    );
    check_fault_grouped(
        "grouped_swapped",
        4,
        2,
        &|out| {
            let (a, b) = (data(out, 150, 0), data(out, 150, 2));
            let tmp = a.with_extension("swap");
            std::fs::rename(&a, &tmp).unwrap();
            std::fs::rename(&b, &a).unwrap();
            std::fs::rename(&tmp, &b).unwrap();
        },
        false,
        None,
    );
}

/// The float `simrun inspect PATH` prints after `key: ` (printed to round-trip exactly).
fn inspected_f64(path: &Path, key: &str) -> f64 {
    let o = simrun(&["inspect", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let line = text.lines().find_map(|l| l.trim().strip_prefix(&format!("{key}: "))).expect("key printed");
    line.parse().unwrap()
}

/// Flip one bit, the lowest of the exponent (the value halves or doubles), in every stored copy
/// of the f64 `value` in `file`; returns how many copies there were.
fn flip_f64(file: &Path, value: f64) -> usize {
    let mut b = std::fs::read(file).unwrap();
    let pat = value.to_le_bytes();
    let at: Vec<usize> = (0..b.len().saturating_sub(7)).filter(|&i| b[i..i + 8] == pat).collect();
    for &i in &at {
        b[i + 6] ^= 0x10;
    }
    std::fs::write(file, b).unwrap();
    at.len()
}

#[test]
fn flipped_time_in_the_commit_file() {
    // HDF5 checks no attribute value: a bit flipped in `time` once read back as another time, and
    // the restart called the checkpoint verified and ran on from the wrong time.
    for ranks in [1, 2] {
        for explicit in [false, true] {
            let what =
                format!("time flipped, restored on {ranks} rank(s), {}", if explicit { "explicit" } else { "latest" });
            let dir = scratch(&format!("fault_time_{ranks}_{explicit}"));
            let (cfg, out) = config(&dir, 5);
            copy_tree(&base(5, 3), &out);
            std::fs::remove_file(out.join("final.h5")).unwrap();
            let master = ck(&out, 150).join("checkpoint.h5");
            let t = inspected_f64(&ck(&out, 150), "time");
            assert!(t > 0.0 && flip_f64(&master, t) >= 1, "{what}: the time {t:e} is stored");
            let before = tree(&out);
            let spec = if explicit { master.to_str().unwrap().to_string() } else { "latest".into() };
            let o = launch(ranks, &[cfg.to_str().unwrap(), "--set", FULL, "--restart", &spec], None);
            let err = stderr(&o);
            if explicit {
                assert_eq!(o.status.code(), Some(4), "{what}: {err}");
                let lines = error_lines(&o);
                assert_eq!(lines.len(), 1, "{what}: one error line: {err}");
                assert!(lines[0].contains("checkpoint.h5") && lines[0].contains("checksum"), "{what}: {}", lines[0]);
                assert_eq!(before, tree(&out), "{what}: a refused restart changes nothing");
            } else {
                assert!(o.status.success(), "{what}: {err}");
                assert!(err.contains("falling back") && err.contains("step 100"), "{what}: {err}");
                assert_bits_eq(reference(), &final_field(&out, "temperature"), &what);
            }
        }
    }
}

#[test]
fn flipped_time_in_a_self_contained_final_file() {
    // `--restart final.h5` with the time doubled or halved once ran on from the wrong time (or
    // found nothing left to do) and exited 0.
    let dir = scratch("fault_time_final");
    let (cfg, out) = config(&dir, 5);
    let o = simrun(&[cfg.to_str().unwrap(), "--set", "checkpoint.every_steps=0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fin = out.join("final.h5");
    let t = inspected_f64(&fin, "time");
    assert!(t > 0.0 && flip_f64(&fin, t) >= 1, "the time {t:e} is stored");
    let before = tree(&out);
    let o = simrun(&[cfg.to_str().unwrap(), "--set", FULL, "--restart", fin.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 1, "one error line: {err}");
    assert!(lines[0].contains("final.h5") && lines[0].contains("checksum"), "{}", lines[0]);
    assert_eq!(before, tree(&out), "a refused restart changes nothing");
}

/// Where the values of dataset `name` (contiguous) start in `file`.
fn data_offset(file: &Path, name: &str) -> u64 {
    let f = hdf5::File::open(file).unwrap();
    f.dataset(name).unwrap().offset().expect("a contiguous dataset")
}

/// A byte flipped in the commit's record (`/record/block`, `/file`, `/root`) is the commit's own
/// damage. `simrun inspect` exits 4 and names the record: before, a block size flipped made it
/// abort allocating 400 GB, and a flipped writer or file entry was reported "verified". An
/// explicit restart refuses it; `latest` falls back to the checkpoint before, bitwise.
#[test]
fn a_damaged_commit_record_is_found_before_it_is_trusted() {
    // (table, byte): a block's size along y, a block's writer, a file's writer, a file's length,
    // a content root.
    for (table, byte) in [("block", 6 * 8 + 1), ("block", 8 + 1), ("file", 1), ("file", 8 + 2), ("root", 3)] {
        let dir = scratch(&format!("fault_record_{table}_{byte}"));
        let (cfg, out) = config(&dir, 5);
        copy_tree(&base(5, 3), &out);
        let master = ck(&out, 150).join("checkpoint.h5");
        flip_byte(&master, data_offset(&master, &format!("record/{table}")) + byte);
        let o = simrun(&["inspect", ck(&out, 150).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(4), "{table} {byte}: {}", stderr(&o));
        assert!(stderr(&o).contains("commit record"), "{table} {byte}: {}", stderr(&o));
        let o = simrun(&["inspect", data(&out, 150, 1).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(4), "a data file beside a damaged commit: {}", stderr(&o));
        let o = simrun(&[cfg.to_str().unwrap(), "--set", FULL, "--restart", ck(&out, 150).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(4), "{table} {byte}: {}", stderr(&o));
        let o = simrun(&[cfg.to_str().unwrap(), "--set", FULL, "--restart", "latest"]);
        assert!(o.status.success() && stderr(&o).contains("step 100"), "{}", stderr(&o));
        assert_bits_eq(reference(), &final_field(&out, "temperature"), "latest past a damaged record");
    }
}

/// `simrun inspect` of one data file verifies it against the commit beside it (it said
/// "committed: yes" and exited 0 for a data file with a flipped value).
#[test]
fn inspect_of_one_data_file_verifies_it() {
    let dir = scratch("fault_inspect_one");
    let out = dir.join("out");
    copy_tree(&base(5, 3), &out);
    let f = data(&out, 150, 1);
    let o = simrun(&["inspect", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("verified against the commit's record"));
    flip_byte(&f, data_offset(&f, "block_00001/temperature") + 1000);
    let o = simrun(&["inspect", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("corrupted"), "{}", String::from_utf8_lossy(&o.stdout));
}
