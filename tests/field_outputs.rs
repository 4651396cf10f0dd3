//! Field output writers (`[[output.fields]]`): outputs at exactly the requested steps and times
//! (`time.align_outputs`), the same bits on 1 process and 3 ranks, a restart (from a checkpoint in
//! the middle, or from final.h5 with a later end time) that continues the series exactly as an
//! uninterrupted run, `simrun inspect final.h5`, the output volume of `simrun check`, and bad
//! writer configs refused.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// End time, and the timed writer's period (a tenth of it). Heat takes equal steps to the end
/// time: dt = 7.05e-5 becomes END / 142 (and END / 2 / 71 for half the run, the same bits), which
/// does not divide the period, so every output time needs a shortened step.
const END: f64 = 0.01;
const EVERY_TIME: f64 = 0.001;
const EVERY_STEPS: u64 = 40;

fn base(dir: &Path, extra: &str) -> String {
    format!(
        r#"
model = "heat"
[grid]
nx = 37
ny = 29
[time]
end_time = {END}
dt = 0.0000705
[output]
dir = "{}"
images = false
progress = "off"
diagnostics_every = 50
[[output.fields]]
every_time = {EVERY_TIME}
[[output.fields]]
every_steps = {EVERY_STEPS}
precision = "f64"
dir = "steps"
{extra}
[heat.boundary]
x_lo = {{ kind = "dirichlet", value = 1.0 }}
y_hi = {{ kind = "neumann", value = -0.5 }}
[heat.initial]
background = 0.5
[[heat.initial.shapes]]
kind = "disc"
center = [0.3, 0.6]
radius = 0.2
value = 2.0
[heat.initial.noise]
amplitude = 0.25
seed = 3
"#,
        dir.display()
    )
}

/// One output file: (step, time bits, dt bits) and every field's values as f64 bits.
#[derive(Debug, PartialEq)]
struct Output {
    step: u64,
    time: u64,
    dt: u64,
    fields: BTreeMap<String, (String, Vec<u64>)>,
}

fn read_output(path: &Path) -> Output {
    let f = hdf5::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut fields = BTreeMap::new();
    let g = f.group("fields").unwrap();
    // The fields, not their coordinates (dimension scales beside them in /fields).
    for name in simrun::io::describe::field_datasets(&g).unwrap() {
        let ds = g.dataset(&name).unwrap();
        let ty = if ds.dtype().unwrap().is::<f32>() { "f32" } else { "f64" };
        let values: Vec<f64> = ds.read_raw().unwrap();
        assert_eq!(ds.shape(), vec![29, 37], "{name}: global (ny, nx) shape");
        let t: f64 = ds.attr("time").unwrap().read_scalar().unwrap();
        assert_eq!(t.to_bits(), f.attr("time").unwrap().read_scalar::<f64>().unwrap().to_bits());
        fields.insert(name, (ty.to_string(), values.iter().map(|v| v.to_bits()).collect()));
    }
    Output {
        step: f.attr("step").unwrap().read_scalar().unwrap(),
        time: f.attr("time").unwrap().read_scalar::<f64>().unwrap().to_bits(),
        dt: f.attr("dt").unwrap().read_scalar::<f64>().unwrap().to_bits(),
        fields,
    }
}

/// Every output of a writer directory, by file name (only the series' files: `step_*.h5`).
fn series(dir: &Path) -> BTreeMap<String, Output> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        if name.starts_with("step_") && name.ends_with(".h5") {
            out.insert(name.clone(), read_output(&dir.join(&name)));
        }
    }
    out
}

fn run_in_process(dir: &Path, extra: &str, sets: &[&str], restart: Option<String>) -> simrun::sim::RunSummary {
    let c = cfg(&base(dir, extra), sets);
    let opts = simrun::sim::RunOptions { restart, ..Default::default() };
    simrun::sim::run(&c, &simrun::par::SingleComm, &opts).unwrap_or_else(|e| panic!("run: {e}"))
}

fn assert_same_series(a: &Path, b: &Path, what: &str) {
    for w in ["fields", "steps"] {
        let (x, y) = (series(&a.join(w)), series(&b.join(w)));
        assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{what}: {w}: the same files");
        for (k, v) in &x {
            assert!(v == &y[k], "{what}: {w}/{k} differs");
        }
    }
    assert_bits_eq(&final_field(a, "temperature"), &final_field(b, "temperature"), &format!("{what}: final.h5"));
}

#[test]
fn two_writers_write_at_exactly_the_requested_steps_and_times() {
    let dir = scratch("fo_two_writers");
    let s = run_in_process(&dir, "", &[], None);
    let timed = series(&dir.join("fields"));
    // t = 0 and every k x EVERY_TIME up to the end, each time computed from k as the run does.
    let expect: Vec<u64> = (0..=10u64).map(|k| (k as f64 * EVERY_TIME).to_bits()).collect();
    let got: Vec<u64> = timed.values().map(|o| o.time).collect();
    assert_eq!(got, expect, "timed outputs at exactly k x every_time");
    assert!(timed.values().all(|o| o.fields["temperature"].0 == "f32"), "f32 by default");
    // The aligned steps: one output every 15 steps (14 of 7e-5 and a shortened one).
    let steps: Vec<u64> = timed.values().map(|o| o.step).collect();
    assert_eq!(steps, (0..=10).map(|k| 15 * k).collect::<Vec<_>>());
    assert_eq!(s.steps, 150);
    assert_eq!(s.sim_time.to_bits(), END.to_bits());

    let by_steps = series(&dir.join("steps"));
    let steps: Vec<u64> = by_steps.values().map(|o| o.step).collect();
    assert_eq!(steps, (0..=s.steps / EVERY_STEPS).map(|k| k * EVERY_STEPS).collect::<Vec<_>>());
    assert!(by_steps.values().all(|o| o.fields["temperature"].0 == "f64"));
    // The f64 writer holds the computed values; the f32 one the same rounded to f32.
    let f64_at0 = &by_steps["step_0000000000.h5"].fields["temperature"].1;
    let f32_at0 = &timed["step_0000000000.h5"].fields["temperature"].1;
    let rounded: Vec<u64> = f64_at0.iter().map(|b| (f64::from_bits(*b) as f32 as f64).to_bits()).collect();
    assert_eq!(&rounded, f32_at0);
    assert_ne!(f64_at0, f32_at0, "the noise is not representable in f32");
    let last = &timed["step_0000000150.h5"].fields["temperature"].1;
    let fin: Vec<u64> = final_field(&dir, "temperature").iter().map(|v| (*v as f32 as f64).to_bits()).collect();
    assert_eq!(last, &fin, "the output at the end is the final state");

    // The XDMF series beside each directory names exactly its files, with the precision.
    for (w, n, bytes) in [("fields", 11, 4), ("steps", 4, 8)] {
        let x = std::fs::read_to_string(dir.join(format!("{w}.xdmf"))).unwrap();
        assert_eq!(x.matches("<Time ").count(), n, "{w}.xdmf");
        assert_eq!(x.matches(&format!("Precision=\"{bytes}\" Format=\"HDF\"")).count(), n, "{w}.xdmf");
        assert!(x.contains(&format!("{w}/step_0000000000.h5:/fields/temperature")), "{w}.xdmf");
    }
}

#[test]
fn without_alignment_outputs_follow_the_steps_that_cross_the_times() {
    let dir = scratch("fo_unaligned");
    let s = run_in_process(&dir, "", &["time.align_outputs=false"], None);
    let timed = series(&dir.join("fields"));
    // 142 equal steps; output k after the step that reaches k T (within the end's round-off
    // for the last one).
    assert_eq!(s.steps, 142);
    assert_eq!(timed.len(), 11);
    for (k, o) in timed.values().enumerate().skip(1) {
        let (t, dt, at) = (f64::from_bits(o.time), f64::from_bits(o.dt), k as f64 * EVERY_TIME);
        assert!(t - dt < at && (t >= at || (k == 10 && t == END)), "output {k}: t = {t}, dt = {dt}");
    }
    assert!(timed.values().enumerate().any(|(k, o)| o.time != (k as f64 * EVERY_TIME).to_bits()), "not aligned");
}

/// Run to the end with checkpoints, restart from the one at half the run, compare with a run
/// that was never interrupted: the series continue with no file missing or doubled, bit for bit.
fn restart_from_middle_checkpoint(align: bool) {
    let tag = if align { "aligned" } else { "unaligned" };
    let sets = [format!("time.align_outputs={align}")];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    // The uninterrupted run takes no checkpoints: checkpoints (timed ones too) must not change
    // the steps a run takes, so its series is the one to continue.
    let ckpt = "[checkpoint]\nevery_time = 0.0025\nkeep = 10\n";
    let whole = scratch(&format!("fo_restart_whole_{tag}"));
    run_in_process(&whole, "", &sets, None);
    let dir = scratch(&format!("fo_restart_{tag}"));
    run_in_process(&dir, ckpt, &sets, None);
    let committed = simrun::io::checkpoint::list_committed(&dir);
    let (step, middle) = committed
        .iter()
        .find(|(_, d)| {
            let h = simrun::io::checkpoint::commit::read_header(d).unwrap();
            h.stamp.time >= 0.5 * END - 1e-12 && h.stamp.time < 0.75 * END - 1e-12
        })
        .cloned()
        .unwrap_or_else(|| panic!("no checkpoint in the middle: {committed:?}"));
    // The files after the checkpoint are another history now: the restart sets them aside and
    // writes them again.
    run_in_process(&dir, ckpt, &sets, Some(middle.display().to_string()));
    let aside = std::fs::read_dir(dir.join("fields"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".superseded-"));
    assert!(aside.count() > 0, "files after step {step} set aside");
    assert_same_series(&whole, &dir, &format!("restart ({tag}) from step {step}"));
}

#[test]
fn restart_from_a_checkpoint_continues_the_series_bitwise_aligned() {
    restart_from_middle_checkpoint(true);
}

#[test]
fn restart_from_a_checkpoint_continues_the_series_bitwise_unaligned() {
    restart_from_middle_checkpoint(false);
}

#[test]
fn restart_from_final_h5_extends_a_run_bitwise() {
    let whole = scratch("fo_final_whole");
    run_in_process(&whole, "", &[], None);
    let dir = scratch("fo_final_ext");
    let half = format!("time.end_time={:?}", END / 2.0);
    let s = run_in_process(&dir, "", &[&half], None);
    assert_eq!(s.sim_time.to_bits(), (5.0 * EVERY_TIME).to_bits(), "landed on output 5");
    let o = simrun(&["inspect", dir.join("final.h5").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("step: 75") && text.contains("restart: yes"), "{text}");
    let s = run_in_process(&dir, "", &[], Some(dir.join("final.h5").display().to_string()));
    assert_eq!(s.steps, 150);
    assert_same_series(&whole, &dir, "extended from final.h5");
}

fn args(p: &Path) -> Vec<String> {
    vec![p.display().to_string()]
}

/// The same run on 1 process and on 3 MPI ranks (final.h5 distributed), then extended from
/// final.h5 on 3 ranks: every output holds the same bits.
#[test]
fn three_ranks_write_the_same_outputs_and_extend_from_final_h5() {
    let one = scratch("fo_mpi_one");
    let p = write(&one, "run.toml", &base(&one.join("out"), ""));
    let o = simrun(&[p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let three = scratch("fo_mpi_three");
    let p = write(&three, "run.toml", &base(&three.join("out"), ""));
    let half = format!("time.end_time={:?}", END / 2.0);
    let mut a = args(&p);
    a.extend(["--set".into(), half, "--set".into(), "parallel.threads=1".into()]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = mpirun(3, &a);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(three.join("out/final").is_dir(), "final.h5 distributed over final/ on 3 ranks");
    let fin = three.join("out/final.h5").display().to_string();
    let o = mpirun(3, &[p.to_str().unwrap(), "--restart", &fin, "--set", "parallel.threads=1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("restarted from"), "{}", stderr(&o));
    assert_same_series(&one.join("out"), &three.join("out"), "1 process vs 3 ranks extended from final.h5");
}

#[test]
fn restart_from_a_field_output_or_a_damaged_final_h5_is_refused() {
    let dir = scratch("fo_refused");
    run_in_process(&dir, "", &[&format!("time.end_time={}", 2.0 * EVERY_TIME)], None);
    let p = write(&dir, "run.toml", &base(&dir, ""));
    let out = dir.join("fields/step_0000000015.h5").display().to_string();
    let o = simrun(&[p.to_str().unwrap(), "--restart", &out]);
    assert_eq!(o.status.code(), Some(2), "the wrong file on the command line: {}", stderr(&o));
    assert!(stderr(&o).contains("is a field output, not a final state"), "{}", stderr(&o));
    // Another grid: refused as a checkpoint of another grid is (exit 2, naming the key).
    let fin = dir.join("final.h5").display().to_string();
    let o = simrun(&[p.to_str().unwrap(), "--restart", &fin, "--set", "grid.nx=36"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("grid.nx"), "{}", stderr(&o));
    // Flip bytes inside the temperature data: the checksum catches it, in inspect and restart.
    let path = dir.join("final.h5");
    let mut bytes = std::fs::read(&path).unwrap();
    let needle: Vec<u8> = final_field(&dir, "temperature")[400].to_le_bytes().to_vec();
    let at = bytes.windows(8).position(|w| w == needle.as_slice()).expect("the value is in the file");
    bytes[at + 3] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();
    let o = simrun(&["inspect", &fin]);
    assert_eq!(o.status.code(), Some(4), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("corrupted"));
    let o = simrun(&[p.to_str().unwrap(), "--restart", &fin]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("checksum"), "{}", stderr(&o));
}

#[test]
fn bad_writer_configs_exit_2_naming_the_key() {
    let dir = scratch("fo_bad");
    let out = dir.join("out");
    let text = base(&out, "");
    let named = text.replace("[[output.fields]]\nevery_time", "[[output.fields]]\nnames = [\"temp\"]\nevery_time");
    let third = |t: &str| base(&out, &format!("[[output.fields]]\n{t}\n"));
    let cases = [
        (named, "key `output.fields[0].names`: model \"heat\" has no field `temp`"),
        (third("precision = \"f64\""), "key `output.fields[2].every_steps`: give `every_steps` or `every_time`"),
        (third("every_steps = 5\ndir = \"steps\""), "key `output.fields[2].dir` = \"steps\" collides"),
        (third("every_steps = 5\ndir = \"steps/sub\""), "key `output.fields[2].dir` = \"steps/sub\" collides"),
        (third("every_steps = 5\ndir = \"../x\""), "key `output.fields[2].dir`"),
        (third("every_steps = 5\ndir = \"checkpoints\""), "key `output.fields[2].dir`"),
        (third("every_steps = 5\nnames = []"), "key `output.fields[2].names` is empty"),
        (third("every_steps = 5\nprecision = \"f16\""), "output.fields[2].precision"),
        (third("every_time = -1.0"), "output.fields[2].every_time"),
    ];
    for (i, (text, key)) in cases.iter().enumerate() {
        let p = write(&dir, &format!("bad{i}.toml"), text);
        let o = simrun(&[p.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {i}: {e}");
        assert!(e.contains(key) && e.lines().count() == 1, "case {i}: {e}");
        assert!(!out.join("fields").exists(), "case {i}: nothing written");
    }
}

#[test]
fn check_prints_the_output_volume_and_warns_above_the_threshold() {
    let dir = scratch("fo_check");
    let p = write(&dir, "run.toml", &base(&dir.join("out"), "[checkpoint]\nevery_steps = 50\n"));
    let o = simrun(&["check", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let line =
        |what: &str| text.lines().find(|l| l.contains(what)).unwrap_or_else(|| panic!("{what}: {text}")).to_string();
    // 142 equal steps and 8 shortened ones landing on outputs: 11 timed outputs, 150 / 40 + 1 = 4
    // by steps, 150 / 50 = 3 checkpoints (the last at the end).
    assert!(line("output.fields[0] (fields/)").contains(" 11 file(s)"), "{text}");
    assert!(line("output.fields[1] (steps/)").contains(" 4 file(s)"), "{text}");
    assert!(line("steps         =").contains("= 150 "), "{text}");
    assert!(line("checkpoints").contains(" 3 file(s)"), "{text}");
    assert!(!text.contains("warning"), "{text}");
    let busy = base(&dir.join("out"), "").replace(&format!("every_steps = {EVERY_STEPS}"), "every_steps = 1");
    let p = write(&dir, "busy.toml", &busy);
    let o = simrun(&["check", p.to_str().unwrap(), "--set", "time.end_time=1.0"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    // Step 0 and every step: 14185 equal steps, and one shortened step more for each of the
    // 1000 timed outputs but those a step lands on by itself.
    let steps = simrun::volume::extent(&cfg(&busy, &["time.end_time=1.0"])).steps;
    assert!((14185..=15185).contains(&steps), "{steps}");
    assert!(text.contains(&format!("warning: output.fields[1] (steps/) writes {} files", steps + 1)), "{text}");
}

/// `simrun check`'s steps and files are the run's own: counted with the steps shortened to land
/// on the timed outputs (heat, aligned by default), without them (unaligned), and with weather's
/// compat end rule (the loop runs while t < end_time), against runs of the same configs.
#[test]
fn check_counts_the_steps_and_files_the_run_takes() {
    let dir = scratch("fo_check_counts");
    let weather = format!(
        "model = \"weather\"\n[grid]\nnx = 40\nny = 20\nlx = 20000.0\nly = 10000.0\n[time]\nend_time = 7.0\n\
         [output]\ndir = \"{}\"\nimages = false\nprogress = \"off\"\n[[output.fields]]\nevery_time = 1.5\n\
         [weather]\ncase = \"gravity_waves\"\ncompat = \"miniweather\"\n",
        dir.join("out").display()
    );
    let all = base(&dir.join("out"), "[checkpoint]\nevery_steps = 50\nkeep = 1000\n")
        .replace("images = false", "images = true\nimage_every = 40");
    let cases = [
        ("aligned, images, checkpoints", all.clone(), "true"),
        ("unaligned, images, checkpoints", all, "false"),
        ("aligned", base(&dir.join("out"), ""), "true"),
        ("unaligned", base(&dir.join("out"), ""), "false"),
        ("weather compat", weather, "false"),
    ];
    for (what, text, align) in cases {
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let c = cfg(&text, &[&format!("time.align_outputs={align}")]);
        let plan = simrun::volume::extent(&c);
        assert!(plan.exact, "{what}: a fixed dt is counted exactly");
        let volumes = simrun::volume::volumes(&c);
        let s = run(&c);
        assert_eq!(plan.steps, s.steps, "{what}: steps");
        assert_eq!(plan.end.to_bits(), s.sim_time.to_bits(), "{what}: end time {} vs {}", plan.end, s.sim_time);
        let entries = |d: &str| std::fs::read_dir(dir.join("out").join(d)).map_or(0, |r| r.count() as u64);
        for v in &volumes {
            let files = match v.what.as_str() {
                "final.h5" => 1,
                "images (images/, final.png)" => entries("images") + 1,
                "checkpoints (checkpoints/)" => entries("checkpoints") - 1, // and `latest`
                w => {
                    let i: usize = w["output.fields[".len()..].split(']').next().unwrap().parse().unwrap();
                    entries(&c.output.fields[i].dir_name(i))
                }
            };
            assert_eq!(v.files, files, "{what}: {} ({} steps)", v.what, s.steps);
        }
        assert_eq!(
            volumes.len(),
            1 + c.output.fields.len() + usize::from(c.output.images) + usize::from(c.checkpoint.enabled())
        );
    }
    // The printed line: the aligned run's steps, exact.
    let p = write(&dir, "run.toml", &base(&dir.join("out"), ""));
    let o = simrun(&["check", p.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let steps = simrun::volume::extent(&cfg(&base(&dir.join("out"), ""), &[])).steps;
    assert!(text.contains(&format!("steps         = {steps}  (end time 1.000000e-2)\n")), "{text}");
    // An adapted dt is an estimate, and says so.
    let ns = "model = \"navier_stokes\"\n[grid]\nnx = 16\nny = 16\n[time]\nend_time = 0.5\n";
    let p = write(&dir, "ns.toml", ns);
    let o = simrun(&["check", p.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("estimated from the first step's dt: navier_stokes adapts it"), "{text}");
}

/// Weather's timed outputs come at the steps the run takes (its `time.align_outputs` default is
/// false: a shortened step changes the solution, by up to 0.44 K in the thermal case): a run
/// with outputs has the bits of one without, and each file's time is its step's.
#[test]
fn weather_outputs_do_not_change_the_steps_by_default() {
    let text = |dir: &Path, outputs: bool| {
        let mut t = format!(
            "model = \"weather\"\n[grid]\nnx = 40\nny = 20\nlx = 20000.0\nly = 10000.0\n[time]\nend_time = 30.0\n[weather]\ncase = \"collision\"\n[output]\ndir = \"{}\"\nimages = false\nprogress = \"off\"\n",
            dir.display()
        );
        if outputs {
            t += "[[output.fields]]\nevery_time = 7.0\nprecision = \"f64\"\nnames = [\"theta\"]\n";
        }
        t
    };
    let (a, b) = (scratch("fo_weather_with"), scratch("fo_weather_without"));
    let with = run(&cfg(&text(&a, true), &[]));
    let without = run(&cfg(&text(&b, false), &[]));
    assert_eq!(with.steps, without.steps);
    assert_bits_eq(&final_field(&a, "theta"), &final_field(&b, "theta"), "weather with and without outputs");
    let dt = 1.5 * 500.0 / 450.0;
    let mut files = 0;
    for e in std::fs::read_dir(a.join("fields")).unwrap().flatten() {
        let f = hdf5::File::open(e.path()).unwrap();
        let (step, time): (u64, f64) =
            (f.attr("step").unwrap().read_scalar().unwrap(), f.attr("time").unwrap().read_scalar().unwrap());
        assert!(
            (time - step as f64 * dt).abs() < 1e-9 * time.max(1.0),
            "{}: step {step} at t {time}",
            e.path().display()
        );
        files += 1;
    }
    assert_eq!(files, 5, "t = 0 and the steps reaching 7, 14, 21 and 28");
}

/// `simrun check` counts a checkpoint (or a field output) that two schedules put on the same
/// step once, as the run writes it: the tester's case (every_time 0.0005 and every_steps 17 both
/// at step 34 of 41; check said 8, the run wrote 7), every_steps 7 beside it (check said 11, the
/// run wrote 8), each schedule alone, and a field writer with both counts.
#[test]
fn check_counts_an_output_two_schedules_put_on_one_step_once() {
    let dir = scratch("fo_check_coinciding");
    let text = format!(
        r#"
model = "heat"
[grid]
nx = 61
ny = 47
[time]
end_time = 0.003
[output]
dir = "{}"
diagnostics_every = 7
image_every = 13
progress = "off"
[[output.fields]]
every_time = 0.00037
precision = "f64"
[[output.fields]]
every_steps = 11
precision = "f64"
[checkpoint]
every_time = 0.0005
every_steps = 17
keep = 50
[heat.boundary]
x_lo = {{ kind = "dirichlet", value = 1.0 }}
x_hi = {{ kind = "dirichlet", value = -1.0 }}
[heat.initial.noise]
amplitude = 0.5
seed = 3
"#,
        dir.join("out").display()
    );
    // The second writer on both counts too (every 2 steps and every 0.00037, as the first).
    let both = text.replace("every_steps = 11\n", "every_steps = 2\nevery_time = 0.00037\n");
    let cases: [(&str, &str, &[&str]); 5] = [
        ("every_time 0.0005, every_steps 17", &text, &[]),
        ("every_time 0.0005, every_steps 7", &text, &["checkpoint.every_steps=7"]),
        ("every_steps 17 alone", &text, &["checkpoint.every_time=0.0"]),
        ("every_time 0.0005 alone", &text, &["checkpoint.every_steps=0"]),
        ("a field writer on both counts", &both, &["checkpoint.every_steps=6", "checkpoint.every_time=0.0003"]),
    ];
    let mut coinciding = 0;
    for (what, text, sets) in cases {
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let c = cfg(text, sets);
        let volumes = simrun::volume::volumes(&c);
        let s = run(&c);
        assert_eq!(simrun::volume::extent(&c).steps, s.steps, "{what}: steps");
        let entries = |d: &str| std::fs::read_dir(dir.join("out").join(d)).map_or(0, |r| r.count() as u64);
        let committed = entries("checkpoints") - 1; // and `latest`
        let count = |name: &str| volumes.iter().find(|v| v.what.starts_with(name)).unwrap().files;
        assert_eq!(count("checkpoints"), committed, "{what}: checkpoints ({} steps)", s.steps);
        for i in 0..c.output.fields.len() {
            let dir_name = c.output.fields[i].dir_name(i);
            assert_eq!(count(&format!("output.fields[{i}]")), entries(&dir_name), "{what}: {dir_name}");
        }
        // The case is one where the schedules coincide: their own counts add up to more.
        let ck = &c.checkpoint;
        let sum = s.steps / ck.every_steps.max(1) * u64::from(ck.every_steps > 0)
            + simrun::sim::schedule::reached(ck.every_time, s.sim_time);
        coinciding += u64::from(sum > committed);
        let w = &c.output.fields[1];
        let sum = 1 + s.steps / w.every_steps + simrun::sim::schedule::reached(w.every_time, s.sim_time);
        coinciding += u64::from(sum > entries(&w.dir_name(1)));
    }
    assert!(coinciding >= 3, "the cases include schedules that coincide, of checkpoints and of a field writer");
    // The printed line of the tester's case.
    let p = write(&dir, "run.toml", &text);
    let o = simrun(&["check", p.to_str().unwrap()]);
    let printed = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(printed.lines().any(|l| l.contains("checkpoints (checkpoints/)") && l.contains(" 7 file(s)")), "{printed}");
}
