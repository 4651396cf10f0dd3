//! Images: `output.image_field` picks the field drawn (the file name, the PNG's tEXt metadata
//! and its colour range are the field's), `output.image_range` fixes the colour scale of every
//! frame, the shipped gravity-waves config draws theta on a fixed diverging scale, navier_stokes
//! draws its default (speed) or the chosen field, a bad key is refused naming it, and the
//! drawing happens on the I/O thread: the driver's `io` phase holds only the hand-over of the
//! samples, far less than drawing the frames takes, and the compute phase gets no extra calls.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A PNG's tEXt chunks.
fn png_text(path: &Path) -> BTreeMap<String, String> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let r = png::Decoder::new(std::io::BufReader::new(f)).read_info().unwrap();
    r.info().uncompressed_latin1_text.iter().map(|c| (c.keyword.clone(), c.text.clone())).collect()
}

fn range(text: &BTreeMap<String, String>) -> (f64, f64) {
    let (lo, hi) = text["simrun:range"].split_once(',').unwrap();
    (lo.parse().unwrap(), hi.parse().unwrap())
}

fn run_dir(name: &str, config: &str, sets: &[&str]) -> PathBuf {
    let out = scratch(&format!("images_{name}"));
    let dir = format!("output.dir=\"{}\"", out.display());
    let path = root().join("configs").join(config);
    let mut args = vec![path.to_str().unwrap(), "--set", dir.as_str(), "--set", "output.progress=\"off\""];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = simrun(&args);
    assert!(o.status.success(), "{config} {sets:?}: {}", stderr(&o));
    out
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)))
}

#[test]
fn navier_stokes_draws_the_chosen_field() {
    // Explicit viscosity: the step count (and so the image at step 50) does not hang on the
    // config's implicit default.
    let small = [
        "grid.nx=40",
        "grid.ny=40",
        "time.end_time=0.5",
        "output.image_every=50",
        "navier_stokes.viscous=\"explicit\"",
    ];
    // Default: speed, of one sign, on the sequential map over the frame's own range.
    let out = run_dir("ns_default", "cavity-re100.toml", &small);
    let t = png_text(&out.join("final.png"));
    assert_eq!(t["simrun:field"], "speed");
    assert_eq!(t["simrun:scale"], "sequential");
    assert!(t["Title"].starts_with("speed, step "), "{}", t["Title"]);
    assert!(out.join("images").join("speed_0000050.png").is_file());
    // The colour range is the field's own: every cell is a sample at 40 x 40.
    assert_eq!(range(&t), min_max(&final_field(&out, "speed")));

    let mut sets = small.to_vec();
    sets.push("output.image_field=\"vorticity\"");
    let out = run_dir("ns_vorticity", "cavity-re100.toml", &sets);
    let t = png_text(&out.join("final.png"));
    assert_eq!(t["simrun:field"], "vorticity");
    assert!(t["Title"].starts_with("vorticity, step "), "{}", t["Title"]);
    assert!(out.join("images").join("vorticity_0000050.png").is_file());
    assert!(!out.join("images").join("speed_0000050.png").exists());
    // Vorticity has both signs: diverging over [-m, m], m its largest magnitude.
    let (lo, hi) = min_max(&final_field(&out, "vorticity"));
    assert!(lo < 0.0 && hi > 0.0);
    assert_eq!(t["simrun:scale"], "diverging");
    assert_eq!(range(&t), (-hi.max(-lo), hi.max(-lo)));
    assert_eq!(t["simrun:extent"], "1e0,1e0");
}

#[test]
fn the_gravity_waves_config_draws_theta_on_one_fixed_diverging_scale() {
    let text = std::fs::read_to_string(root().join("configs/weather-gravity-waves.toml")).unwrap();
    let cfg = simrun::config::load_str(&text, "weather-gravity-waves.toml", &[]).unwrap();
    assert_eq!(cfg.output.image_field.as_deref(), Some("theta"));
    let [lo, hi] = cfg.output.image_range.expect("the shipped config fixes the range");
    assert!(lo < 0.0 && hi > 0.0);
    assert!(cfg.output.image_every > 0);
    // 300 s (450 steps): three frames, the last step's among them, and the final image.
    let out = run_dir("gw", "weather-gravity-waves.toml", &["time.end_time=300.0", "output.image_every=150"]);
    let mut frames: Vec<PathBuf> = std::fs::read_dir(out.join("images")).unwrap().map(|e| e.unwrap().path()).collect();
    frames.sort();
    assert_eq!(frames.len(), 3, "{frames:?}");
    frames.push(out.join("final.png"));
    for f in &frames {
        let t = png_text(f);
        assert_eq!(t["simrun:field"], "theta", "{}", f.display());
        assert_eq!(t["simrun:units"], "K");
        assert_eq!(t["simrun:scale"], "diverging", "{}", f.display());
        assert_eq!(range(&t), (lo, hi), "{}: the configured range, whatever the data", f.display());
        assert!(t["Title"].starts_with("theta (K), step "), "{}", t["Title"]);
        assert!(t["Title"].contains(" s"), "time in seconds: {}", t["Title"]);
        assert_eq!(t["simrun:extent"], "2e4,1e4", "x over 20 km, z over 10 km");
    }
}

#[test]
fn a_fixed_range_is_the_same_for_frames_of_different_data() {
    // Heat from a hot box: the range of the data shrinks as it diffuses.
    let sets = ["grid.nx=64", "grid.ny=64", "time.end_time=0.002", "output.image_every=10"];
    let free = run_dir("heat_free", "heat2d.toml", &sets);
    let ranges: Vec<(f64, f64)> = frames(&free).iter().map(|f| range(&png_text(f))).collect();
    assert!(ranges.len() >= 2 && ranges.windows(2).any(|w| w[0] != w[1]), "per-frame ranges differ: {ranges:?}");
    let mut fixed_sets = sets.to_vec();
    fixed_sets.push("output.image_range=[-1.0, 4.0]");
    let fixed = run_dir("heat_fixed", "heat2d.toml", &fixed_sets);
    for f in frames(&fixed) {
        let t = png_text(&f);
        assert_eq!(range(&t), (-1.0, 4.0), "{}", f.display());
        assert_eq!(t["simrun:scale"], "diverging", "a fixed range across 0 is diverging");
    }
    let mut pos = sets.to_vec();
    pos.push("output.image_range=[0.0, 4.0]");
    let out = run_dir("heat_pos", "heat2d.toml", &pos);
    assert_eq!(png_text(&out.join("final.png"))["simrun:scale"], "sequential");
}

fn frames(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out.join("images")).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn bad_image_keys_are_refused_naming_the_key() {
    let cfgs = root().join("configs");
    for (config, set, key) in [
        ("cavity-re100.toml", "output.image_field=\"vort\"", "output.image_field"),
        ("heat2d.toml", "output.image_field=\"theta\"", "output.image_field"),
        ("weather-thermal.toml", "output.image_range=[0.5, 0.5]", "output.image_range"),
        ("weather-thermal.toml", "output.image_range=[1.0, -1.0]", "output.image_range"),
        ("weather-thermal.toml", "output.image_range=[1.0]", "output.image_range"),
    ] {
        let path = cfgs.join(config);
        for check in [true, false] {
            let mut args = if check { vec!["check"] } else { vec![] };
            args.extend([path.to_str().unwrap(), "--set", set]);
            let o = simrun(&args);
            assert_eq!(o.status.code(), Some(2), "{config} {set}: {}", stderr(&o));
            let err = stderr(&o);
            assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
            assert!(err.contains(key), "{set}: {err}");
        }
    }
}

/// The phases of rank 0 in a run report: name -> (seconds, calls).
fn phases(report: &Path) -> BTreeMap<String, (f64, u64)> {
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    r["profile"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].as_str().unwrap().to_string(), (p["max"].as_f64().unwrap(), p["calls"].as_u64().unwrap())))
        .collect()
}

#[test]
fn drawing_happens_on_the_io_thread_not_in_the_compute_phase() {
    let text = r#"
model = "heat"
[grid]
nx = 400
ny = 400
[time]
steps = 40
[output]
dir = "OUT"
progress = "off"
diagnostics_every = 1000
[parallel]
time_block = 1
threads = 1
[checkpoint]
queue = 64
[[heat.initial.shapes]]
kind = "disc"
center = [0.3, 0.4]
radius = 0.2
value = 3.0
"#;
    let dir = scratch("images_phases");
    let path = write(&dir, "c.toml", &text.replace("OUT", &dir.join("out").display().to_string()));
    let run = |every: u64, report: &str| {
        let r = dir.join(report);
        let o = simrun(&[
            path.to_str().unwrap(),
            "--set",
            &format!("output.image_every={every}"),
            "--report",
            r.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        phases(&r)
    };
    let without = run(0, "none.json");
    let with = run(1, "every.json");
    let n = 40.0;
    // What drawing one frame of these samples costs (the cheapest of three).
    let data: Vec<f64> = (0..400 * 400).map(|i| (i % 977) as f64).collect();
    let info = simrun::io::png_out::ImageInfo::cells("temperature", "t", [400, 400]);
    let draw = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            simrun::io::png_out::render_sampled(&data, [400, 400], &info).unwrap();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    assert_eq!(with["compute"].1, without["compute"].1, "the same model calls");
    // Frames at steps 1..40 (the last step's too); final.png is drawn in both runs.
    assert_eq!(with["io"].1, without["io"].1 + 40, "one io hand-over per frame");
    // If the driver drew the frames, its io or compute phase would hold n draws.
    assert!(
        with["io"].0 < 0.5 * n * draw,
        "io {:.3} s for {n} frames: more than half of drawing them ({:.3} s each)",
        with["io"].0,
        draw
    );
    // One compute thread, so the I/O thread drawing beside it takes another core, not compute's;
    // the margin (3/4 of the draws) leaves room for a loaded machine and still fails a driver
    // that draws.
    assert!(
        with["compute"].0 < without["compute"].0 + 0.75 * n * draw,
        "compute {:.3} s with frames, {:.3} s without; a draw takes {draw:.4} s",
        with["compute"].0,
        without["compute"].0
    );
}

/// The frame series of a run continued from its final state has every frame of an
/// uninterrupted run: the last step's frame is drawn beside final.png (it was final.png alone,
/// and the continued run draws nothing at the step it starts from: the frame went missing).
#[test]
fn a_run_continued_from_final_h5_keeps_every_frame() {
    let names = |out: &Path| -> Vec<String> {
        frames(out).iter().map(|f| f.file_name().unwrap().to_string_lossy().to_string()).collect()
    };
    let dir = scratch("images_continued");
    let text = |out: &str, steps: u64| {
        format!(
            "model = \"heat\"\n[grid]\nnx = 32\nny = 32\n[time]\nsteps = {steps}\n[output]\ndir = \"{}\"\nprogress = \"off\"\nimage_every = 20\n[heat.initial]\nbackground = 1.0\n[[heat.initial.shapes]]\nkind = \"disc\"\ncenter = [0.3, 0.4]\nradius = 0.2\nvalue = 3.0\n",
            dir.join(out).display()
        )
    };
    let run = |name: &str, body: String, extra: &[&str]| {
        let p = write(&dir, name, &body);
        let mut args = vec![p.to_str().unwrap()];
        args.extend(extra);
        let o = simrun(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    };
    run("whole.toml", text("whole", 80), &[]);
    run("first.toml", text("part", 40), &[]);
    assert_eq!(names(&dir.join("part")), ["temperature_0000020.png", "temperature_0000040.png"]);
    run("rest.toml", text("part", 80), &["--restart", "auto"]);
    assert_eq!(names(&dir.join("part")), names(&dir.join("whole")));
    assert_eq!(names(&dir.join("whole")).len(), 4);
}
