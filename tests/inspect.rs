//! `simrun inspect` of everything a run writes: an output directory (its checkpoints, final.h5
//! and field outputs), a directory of field outputs, and the datasets and attributes of
//! self-contained files beyond the fields (coordinates, the diagnostics table, a field output's
//! step and time). Whatever is damaged exits 4 and is named; intact outputs exit 0.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const CONFIG: &str = r#"
model = "heat"
[grid]
nx = 48
ny = 32
[time]
steps = 60
[output]
dir = "OUT"
images = false
progress = "off"
diagnostics_every = 10
[[output.fields]]
every_steps = 20
precision = "f64"
[checkpoint]
every_steps = 20
[heat.initial.noise]
amplitude = 0.3
seed = 3
"#;

/// A finished run's output directory (with `sets` overrides).
fn run(name: &str, sets: &[&str]) -> PathBuf {
    let dir = scratch(name);
    let out = dir.join("out");
    let cfg = write(&dir, "c.toml", &CONFIG.replace("OUT", &out.display().to_string()));
    let mut args = vec![cfg.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = simrun(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn inspect(path: &Path) -> (Option<i32>, String, String) {
    let o = simrun(&["inspect", path.to_str().unwrap()]);
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o))
}

/// Where the first chunk of dataset `name` of `file` starts, and its length.
fn chunk0(file: &Path, name: &str) -> (u64, u64) {
    let f = hdf5::File::open(file).unwrap();
    let ds = f.dataset(name).unwrap();
    let c = ds.chunk_info(0).expect("a chunked dataset");
    (c.addr, c.size)
}

/// An output directory: every checkpoint, final.h5 and every field output verified, in one
/// report (it verified only the newest checkpoint, and a directory without checkpoints was
/// "not committed", exit 4).
#[test]
fn an_output_directory_is_verified_whole() {
    let out = run("inspect_dir", &[]);
    let (code, text, err) = inspect(&out);
    assert_eq!(code, Some(0), "{text}{err}");
    assert!(text.contains("ckpt_0000000060") && text.contains("committed: yes, verified"), "{text}");
    assert!(text.contains("ckpt_0000000040  verified"), "{text}");
    assert!(
        text.contains("final state (self-contained)") && text.contains("fields: 4 file(s), all verified"),
        "{text}"
    );

    // A damaged field output is found and named, and so is an older checkpoint's damage.
    let f = out.join("fields").join("step_0000000040.h5");
    let (at, len) = chunk0(&f, "fields/temperature");
    flip_byte(&f, at + len / 2);
    let (code, text, _) = inspect(&out);
    assert_eq!(code, Some(4), "{text}");
    assert!(text.contains("1 DAMAGED") && text.contains("step_0000000040.h5"), "{text}");
    let (code, text, _) = inspect(&out.join("fields"));
    assert_eq!(code, Some(4), "a directory of field outputs: {text}");

    // Leftovers of a crash are noted, not damage; a `latest` naming no checkpoint is noted.
    let out = run("inspect_dir2", &[]);
    std::fs::create_dir_all(out.join("checkpoints").join("ckpt_0000000080")).unwrap();
    std::fs::write(out.join("checkpoints").join("latest"), "ckpt_0000000080\n").unwrap();
    let (code, text, err) = inspect(&out);
    assert_eq!(code, Some(0), "{text}{err}");
    assert!(text.contains("not committed (a restart ignores them): ckpt_0000000080"), "{text}");
    assert!(text.contains("`latest` names ckpt_0000000080, which is not a committed checkpoint"), "{text}");

    // Without checkpoints: final.h5 and the field outputs.
    let out = run("inspect_dir3", &["checkpoint.every_steps=0"]);
    let (code, text, err) = inspect(&out);
    assert_eq!(code, Some(0), "{text}{err}");
    assert!(text.contains("no checkpoints") && text.contains("all verified"), "{text}");
}

/// Coordinates and the diagnostics table carry checksums (a flipped coordinate read back as a
/// silent wrong number in xarray, and inspect said "intact"), and a field output's step, time and
/// spacing are covered by a digest.
#[test]
fn coordinates_diagnostics_and_output_attributes_are_checked() {
    let out = run("inspect_more", &[]);
    for name in ["fields/x", "diagnostics/total_heat", "diagnostics/step"] {
        let f = out.join(format!("final_{}.h5", name.replace('/', "_")));
        std::fs::copy(out.join("final.h5"), &f).unwrap();
        let (at, len) = chunk0(&f, name);
        flip_byte(&f, at + len / 2);
        let (code, text, _) = inspect(&f);
        assert_eq!(code, Some(4), "{name}: {text}");
        assert!(text.contains(&format!("/{name}  corrupted")), "{name}: {text}");
        // The state is intact: a restart from the file could still go on.
        assert!(text.contains("restart: yes"), "{name}: {text}");
    }
    let f = out.join("fields").join("step_0000000020.h5");
    let h = hdf5::File::open_rw(&f).unwrap();
    let t: f64 = h.attr("time").unwrap().read_scalar().unwrap();
    h.attr("time").unwrap().write_scalar(&(t * 1.5)).unwrap();
    drop(h);
    let (code, text, err) = inspect(&f);
    assert_eq!(code, Some(4), "{text}{err}");
    assert!(err.contains("do not match their checksum"), "{err}");
}
