//! The bad-input suite: config files and command lines that must be refused. Each case runs as
//! `simrun CONFIG ...` and (where it applies) `simrun check CONFIG ...`, and must exit 2 with
//! exactly one line on stderr that names the key or file, without a panic, and leave an existing
//! output directory (made by a successful run first, with checkpoints, images and final output)
//! byte for byte as it was. No case runs a simulation.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The output directory every case points at; `OUT` in the templates.
const HEAT: &str = r#"
model = "heat"
[grid]
nx = 16
ny = 16
[time]
steps = 4
[output]
dir = "OUT"
progress = "off"
image_every = 2
[checkpoint]
every_steps = 2
[[heat.initial.shapes]]
kind = "disc"
center = [0.5, 0.5]
radius = 0.2
value = 1.0
"#;

/// dx = dz = 1000 m: the weather limit is 1.3455 * 1000 / 347.2 = 3.88 s.
const WEATHER: &str = r#"
model = "weather"
[grid]
nx = 20
ny = 10
lx = 20000.0
ly = 10000.0
[time]
steps = 2
[output]
dir = "OUT"
progress = "off"
[weather]
case = "thermal"
"#;

const NS: &str = r#"
model = "navier_stokes"
[grid]
nx = 8
ny = 8
[time]
steps = 2
[output]
dir = "OUT"
progress = "off"
[navier_stokes.boundary]
y_hi = { kind = "wall", velocity = 1.0 }
"#;

/// Which commands a case applies to.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Both,
    /// Only a run: e.g. a layout that is fine for `check` (sized for the layout's ranks).
    Run,
}

struct Case {
    name: &'static str,
    /// The config text (`OUT` replaced), or None for a case about the path itself.
    text: Option<String>,
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    must_name: &'static str,
    mode: Mode,
}

fn case(name: &'static str, text: &str, args: &[&str], must_name: &'static str) -> Case {
    Case {
        name,
        text: Some(text.to_string()),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        must_name,
        mode: Mode::Both,
    }
}

/// `base` with `line` added after the first line that starts with `after`.
fn with(base: &str, after: &str, line: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in base.lines() {
        out.push_str(l);
        out.push('\n');
        if !done && l.starts_with(after) {
            out.push_str(line);
            out.push('\n');
            done = true;
        }
    }
    assert!(done, "template has no line starting with `{after}`");
    out
}

fn cases() -> Vec<Case> {
    let h = HEAT;
    let w = WEATHER;
    let n = NS;
    let mut v = vec![
        // Unknown keys and sections.
        case("unknown_key", &with(h, "ny =", "nxx = 4"), &[], "grid.nxx"),
        case("unknown_section", &format!("{h}\n[heet]\nalpha = 1.0\n"), &[], "heet"),
        case("unknown_model_key", &format!("{h}\n[heat]\nalphaa = 1.0\n"), &[], "heat.alphaa"),
        case("unknown_face_key", &format!("{h}\n[heat.boundary.x_lo]\nkind = \"neumann\"\nvalu = 1.0\n"), &[], "valu"),
        case("unknown_shape_key", &with(h, "radius =", "radiuss = 0.1"), &[], "radiuss"),
        case("unknown_weather_key", &format!("{w}hv = 0.1\n"), &[], "weather.hv"),
        case("unknown_ns_key", &format!("{n}\n[navier_stokes]\nviscosity = 1.0\n"), &[], "navier_stokes.viscosity"),
        // Wrong types.
        case("type_string_for_int", &h.replace("nx = 16", "nx = \"many\""), &[], "grid.nx"),
        case("type_int_for_bool", &with(h, "progress =", "images = 3"), &[], "output.images"),
        case("type_float_for_int", &h.replace("steps = 4", "steps = 1.5"), &[], "time.steps"),
        case("type_layout_string", h, &["--set", "parallel.layout=\"2x1\""], "parallel.layout"),
        case("type_alpha_string", h, &["--set", "heat.alpha=\"hot\""], "heat.alpha"),
        case("type_model_int", &h.replace("model = \"heat\"", "model = 3"), &[], "model"),
        case("type_section_not_table", h, &["--set", "heat=3"], "heat"),
        // Zero, negative and huge sizes.
        case("zero_ny", &h.replace("ny = 16", "ny = 0"), &[], "grid.ny"),
        case("negative_nx", &h.replace("nx = 16", "nx = -5"), &[], "grid.nx"),
        case("negative_lx", h, &["--set", "grid.lx=-1.0"], "grid.lx"),
        case("zero_ly", h, &["--set", "grid.ly=0.0"], "grid.ly"),
        case("lengths_overflow_dt", h, &["--set", "grid.lx=1e300", "--set", "grid.ly=1e300"], "grid.lx"),
        case("alpha_underflows_dt", h, &["--set", "heat.alpha=1e-320"], "[heat]"),
        case("huge_2d_count", h, &["--set", "grid.nx=100000000000", "--set", "grid.ny=100000000000"], "grid.nx"),
        case(
            "huge_3d_count",
            h,
            &["--set", "grid.nx=10000000", "--set", "grid.ny=10000000", "--set", "grid.nz=10000000"],
            "grid.nx",
        ),
        case("nx_beyond_i64", h, &["--set", "grid.nx=99999999999999999999"], "grid.nx"),
        case("memory_huge_grid", h, &["--set", "grid.nx=1000000", "--set", "grid.ny=1000000"], "grid.nx"),
        case("memory_weather_grid", w, &["--set", "grid.nx=400000", "--set", "grid.ny=200000"], "grid.nx"),
        // Non-finite numbers in every section.
        case("nan_alpha", h, &["--set", "heat.alpha=nan"], "heat.alpha"),
        case("inf_lx", &with(h, "ny =", "lx = inf"), &[], "grid.lx"),
        case("neg_inf_end_time", &h.replace("steps = 4", "end_time = -inf"), &[], "time.end_time"),
        case("nan_dt", &with(h, "steps =", "dt = nan"), &[], "time.dt"),
        case("nan_cfl", &with(h, "steps =", "cfl = nan"), &[], "time.cfl"),
        case("nan_wall_limit", h, &["--set", "time.wall_limit=nan"], "time.wall_limit"),
        case("nan_every_time", h, &["--set", "checkpoint.every_time=nan"], "checkpoint.every_time"),
        case("inf_every_wall", h, &["--set", "checkpoint.every_wall=inf"], "checkpoint.every_wall"),
        case(
            "nan_face_value",
            h,
            &["--set", "heat.boundary.x_lo={kind=\"dirichlet\", value=nan}"],
            "heat.boundary.x_lo.value",
        ),
        case(
            "inf_shape_center",
            &h.replace("center = [0.5, 0.5]", "center = [0.5, inf]"),
            &[],
            "heat.initial.shapes[0].center[1]",
        ),
        case("inf_shape_value", &h.replace("value = 1.0", "value = inf"), &[], "heat.initial.shapes[0].value"),
        case("nan_background", h, &["--set", "heat.initial.background=nan"], "heat.initial.background"),
        case("nan_noise", h, &["--set", "heat.initial.noise.amplitude=nan"], "heat.initial.noise.amplitude"),
        case("nan_hv_beta", w, &["--set", "weather.hv_beta=nan"], "weather.hv_beta"),
        case("inf_weather_cfl", w, &["--set", "weather.cfl=inf"], "weather.cfl"),
        case("nan_re", n, &["--set", "navier_stokes.re=nan"], "navier_stokes.re"),
        case("inf_body_force", n, &["--set", "navier_stokes.body_force=[inf, 0.0]"], "navier_stokes.body_force[0]"),
        case(
            "nan_lid",
            n,
            &["--set", "navier_stokes.boundary.y_hi.velocity=nan"],
            "navier_stokes.boundary.y_hi.velocity",
        ),
        case(
            "nan_tolerance",
            n,
            &["--set", "navier_stokes.multigrid.tolerance=nan"],
            "navier_stokes.multigrid.tolerance",
        ),
        // Unstable time steps, per model.
        case("heat_dt_unstable", &with(h, "steps =", "dt = 0.01"), &[], "time.dt"),
        case("weather_dt_unstable", w, &["--set", "time.dt=5.0"], "time.dt"),
        case("weather_cfl_unstable", w, &["--set", "weather.cfl=2.0"], "weather.cfl"),
        case("weather_cfl_far_above", w, &["--set", "weather.cfl=112.5"], "weather.cfl"),
        // Stable for thermal (3.88 s), not with the injection jet (3.39 s).
        case("weather_injection_dt", w, &["--set", "weather.case=\"injection\"", "--set", "time.dt=3.5"], "time.dt"),
        case("ns_dt_unstable", n, &["--set", "time.dt=1.0"], "time.dt"),
        case("cfl_above_one", h, &["--set", "time.cfl=1.5"], "time.cfl"),
        case("cfl_zero", h, &["--set", "time.cfl=0.0"], "time.cfl"),
        case("weather_cfl_zero", w, &["--set", "weather.cfl=0.0"], "weather.cfl"),
        // Keys the model does not use.
        case("weather_time_cfl", w, &["--set", "time.cfl=0.5"], "time.cfl"),
        case("weather_time_block", w, &["--set", "parallel.time_block=2"], "parallel.time_block"),
        case("ns_time_block", n, &["--set", "parallel.time_block=2"], "parallel.time_block"),
        case("weather_sweep_trial", w, &["--set", "parallel.sweep_trial=false"], "parallel.sweep_trial"),
        case("ns_sweep_trial", n, &["--set", "parallel.sweep_trial=true"], "parallel.sweep_trial"),
        case("dt_and_cfl", &with(h, "steps =", "dt = 1e-4\ncfl = 0.5"), &[], "time.dt"),
        case("weather_dt_and_cfl", w, &["--set", "time.dt=1.0", "--set", "weather.cfl=1.0"], "weather.cfl"),
        // Sections of other models.
        case("heat_with_weather", &format!("{h}\n[weather]\ncase = \"thermal\"\n"), &[], "[weather]"),
        case("heat_with_ns_by_set", h, &["--set", "navier_stokes.re=10.0"], "[navier_stokes]"),
        case("weather_with_heat", &format!("{w}\n[heat]\nalpha = 1.0\n"), &[], "[heat]"),
        case("ns_with_weather", n, &["--set", "weather.cfl=1.0"], "[weather]"),
        // Bad enum values.
        case("enum_model", &h.replace("model = \"heat\"", "model = \"plasma\""), &[], "model"),
        case("enum_progress", &h.replace("progress = \"off\"", "progress = \"loud\""), &[], "output.progress"),
        case("enum_face_kind", h, &["--set", "heat.boundary.x_lo={kind=\"robin\"}"], "heat.boundary.x_lo.kind"),
        case("enum_shape_kind", &h.replace("kind = \"disc\"", "kind = \"triangle\""), &[], "heat.initial.shapes[0]"),
        case("enum_weather_case", w, &["--set", "weather.case=\"hurricane\""], "weather.case"),
        case("enum_compat", w, &["--set", "weather.compat=\"fortran\""], "weather.compat"),
        case("enum_ns_initial", n, &["--set", "navier_stokes.initial=\"vortex\""], "navier_stokes.initial"),
        case("enum_on_full", h, &["--set", "checkpoint.on_full=\"drop\""], "checkpoint.on_full"),
        // Malformed --set.
        case("set_no_value", h, &["--set", "grid.nx"], "grid.nx"),
        case("set_empty_key", h, &["--set", "=3"], "--set"),
        case("set_empty_part", h, &["--set", "grid..nx=3"], "grid..nx"),
        case("set_into_value", h, &["--set", "grid.nx.deep=3"], "grid.nx"),
        case("set_unknown", h, &["--set", "grid.foo=3"], "grid.foo"),
        // Malformed files.
        case("toml_syntax", &h.replace("nx = 16", "nx = = 16"), &[], "line 4"),
        case("toml_duplicate", &with(h, "nx =", "nx = 8"), &[], "line 5"),
        case("empty_file", "", &[], "model"),
        case("missing_nx", &h.replace("nx = 16\n", ""), &[], "grid.nx"),
        case("missing_steps", &h.replace("steps = 4\n", ""), &[], "time.steps"),
        case("steps_and_end_time", &with(h, "steps =", "end_time = 1.0"), &[], "time.steps"),
        // Ranges and consistency.
        case("layout_length", h, &["--set", "parallel.layout=[1, 1, 1]"], "parallel.layout"),
        case("layout_zero", h, &["--set", "parallel.layout=[0, 1]"], "parallel.layout"),
        case("layout_too_many", h, &["--set", "parallel.layout=[100, 1]"], "parallel.layout"),
        case("keep_zero", h, &["--set", "checkpoint.keep=0"], "checkpoint.keep"),
        case("queue_huge", h, &["--set", "checkpoint.queue=100000000"], "checkpoint.queue"),
        case("compression_12", h, &["--set", "checkpoint.compression=12"], "checkpoint.compression"),
        case("threads_huge", h, &["--set", "parallel.threads=1000000"], "parallel.threads"),
        case("time_block_9", h, &["--set", "parallel.time_block=9"], "parallel.time_block"),
        case("empty_output_dir", &h.replace("dir = \"OUT\"", "dir = \"\""), &[], "output.dir"),
        case("periodic_pair", h, &["--set", "heat.boundary.x_lo={kind=\"periodic\"}"], "heat.boundary.x_lo"),
        case("shape_dims", &h.replace("center = [0.5, 0.5]", "center = [0.5]"), &[], "heat.initial.shapes[0].center"),
        case("shape_radius_zero", &h.replace("radius = 0.2", "radius = 0.0"), &[], "heat.initial.shapes[0].radius"),
        case("shape_radius_negative", &h.replace("radius = 0.2", "radius = -0.2"), &[], "heat.initial.shapes[0].radius"),
        case(
            "box_lo_above_hi_x",
            &format!("{h}\n[[heat.initial.shapes]]\nkind = \"box\"\nlo = [0.8, 0.1]\nhi = [0.2, 0.9]\nvalue = 2.0\n"),
            &[],
            "heat.initial.shapes[1].lo",
        ),
        case(
            "box_lo_above_hi_z",
            &h.replace("center = [0.5, 0.5]", "center = [0.5, 0.5, 0.5]").replace(
                "[[heat.initial.shapes]]",
                "[[heat.initial.shapes]]\nkind = \"box\"\nlo = [0.1, 0.1, 0.6]\nhi = [0.9, 0.9, 0.4]\nvalue = 2.0\n[[heat.initial.shapes]]",
            ),
            &["--set", "grid.nz=4"],
            "heat.initial.shapes[0].lo",
        ),
        case(
            "gaussian_sigma_zero",
            &format!("{h}\n[[heat.initial.shapes]]\nkind = \"gaussian\"\ncenter = [0.5, 0.5]\nsigma = 0.0\namplitude = 1.0\n"),
            &[],
            "heat.initial.shapes[1].sigma",
        ),
        case("sine_k_length", h, &["--set", "heat.initial.sine.k=[1]"], "heat.initial.sine.k"),
        case("noise_negative", h, &["--set", "heat.initial.noise.amplitude=-1.0"], "heat.initial.noise.amplitude"),
        case("alpha_zero", h, &["--set", "heat.alpha=0.0"], "heat.alpha"),
        case("weather_3d", w, &["--set", "grid.nz=4"], "grid.nz"),
        case("weather_nx_1", w, &["--set", "grid.nx=1"], "grid.nx"),
        case("weather_too_tall", w, &["--set", "grid.ly=40000.0"], "grid.ly"),
        case("weather_hv_beta_2", w, &["--set", "weather.hv_beta=2.0"], "weather.hv_beta"),
        case("ns_3d", n, &["--set", "grid.nz=4"], "grid.nz"),
        case("ns_body_force_3", n, &["--set", "navier_stokes.body_force=[1.0, 0.0, 0.0]"], "navier_stokes.body_force"),
        case(
            "ns_periodic_velocity",
            n,
            &[
                "--set",
                "navier_stokes.boundary.x_lo={kind=\"periodic\", velocity=1.0}",
                "--set",
                "navier_stokes.boundary.x_hi={kind=\"periodic\"}",
            ],
            "navier_stokes.boundary.x_lo.velocity",
        ),
        case(
            "ns_max_cycles_0",
            n,
            &["--set", "navier_stokes.multigrid.max_cycles=0"],
            "navier_stokes.multigrid.max_cycles",
        ),
        case("ns_re_negative", n, &["--set", "navier_stokes.re=-100.0"], "navier_stokes.re"),
    ];
    // Memory: a tiny limit, and a malformed one.
    let mut c = case("memory_limit_tiny", h, &[], "grid.nx");
    c.env = vec![("SIMRUN_MEMORY_LIMIT", "1000")];
    v.push(c);
    let mut c = case("memory_limit_malformed", h, &[], "SIMRUN_MEMORY_LIMIT");
    c.env = vec![("SIMRUN_MEMORY_LIMIT", "lots")];
    v.push(c);
    // A layout for 2 ranks on 1 process (fine for `check`, which sizes for the layout).
    let mut c = case("layout_not_ranks", h, &["--set", "parallel.layout=[2, 1]"], "parallel.layout");
    c.mode = Mode::Run;
    v.push(c);
    // A restart from the good run's checkpoint into another boundary condition: the key by its
    // full path (it named only `kind`).
    let mut c = case(
        "restart_other_face",
        h,
        &["--restart", "latest", "--set", "heat.boundary.x_lo={kind=\"dirichlet\", value=1.0}"],
        "heat.boundary.x_lo.kind",
    );
    c.mode = Mode::Run;
    v.push(c);
    // The path itself.
    for (name, must) in [("missing_file", "no_such.toml"), ("directory", "a_dir"), ("not_utf8", "binary.toml")] {
        v.push(Case { name, text: None, args: Vec::new(), env: Vec::new(), must_name: must, mode: Mode::Both });
    }
    v
}

/// Every file and directory under `dir` with its bytes (directories: empty).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), Vec::new());
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Run one command of a case; a description of what is wrong, if anything.
fn judge(c: &Case, args: &[String], before: &BTreeMap<PathBuf, Vec<u8>>, out: &Path) -> Option<String> {
    let o = Command::new(bin()).args(args).envs(c.env.iter().copied()).output().expect("simrun runs");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    let what = format!("{} `simrun {}`", c.name, args.join(" "));
    if o.status.code() != Some(2) {
        return Some(format!("{what}: exit {:?}, stderr: {err}", o.status.code()));
    }
    if err.contains("panicked") {
        return Some(format!("{what}: panic: {err}"));
    }
    if lines.len() != 1 || !lines[0].starts_with("error: ") {
        return Some(format!("{what}: expected one error line, got: {err}"));
    }
    if !lines[0].contains(c.must_name) {
        return Some(format!("{what}: `{}` does not name `{}`", lines[0], c.must_name));
    }
    if std::env::var("BAD_INPUT_SHOW").is_ok() {
        eprintln!("{what}\n    {}", lines[0]);
    }
    if tree(out) != *before {
        return Some(format!("{what}: the output directory changed"));
    }
    None
}

#[test]
fn bad_input_is_refused_with_one_line_and_leaves_output_untouched() {
    let dir = scratch("bad_input");
    let out = dir.join("out");
    let fill = |t: &str| t.replace("OUT", &out.display().to_string());
    // An earlier successful run: final output, images, committed checkpoints.
    let good = write(&dir, "good.toml", &fill(HEAT));
    let o = simrun(&[&good.display().to_string()]);
    assert!(o.status.success(), "the good run fails: {}", stderr(&o));
    let before = tree(&out);
    assert!(before.keys().any(|p| p.ends_with("final.h5")) && before.keys().any(|p| p.ends_with("checkpoint.h5")));
    assert!(before.len() > 8, "{:?}", before.keys());
    std::fs::create_dir_all(dir.join("a_dir")).unwrap();
    std::fs::write(dir.join("binary.toml"), [0x6d, 0x6f, 0xff, 0xfe, 0x00, 0x3d]).unwrap();

    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut commands = 0;
    for c in &cases {
        let path = match (&c.text, c.name) {
            (Some(t), _) => write(&dir, &format!("{}.toml", c.name), &fill(t)),
            (None, "missing_file") => dir.join("no_such.toml"),
            (None, "directory") => dir.join("a_dir"),
            (None, _) => dir.join("binary.toml"),
        };
        let p = path.display().to_string();
        let mut run: Vec<String> = vec![p.clone()];
        run.extend(c.args.iter().cloned());
        let mut commands_of_case = vec![run.clone()];
        if c.mode == Mode::Both {
            commands_of_case.push(std::iter::once("check".to_string()).chain(run).collect());
        }
        for args in commands_of_case {
            commands += 1;
            failures.extend(judge(c, &args, &before, &out));
        }
    }
    eprintln!("bad input: {} cases, {commands} commands", cases.len());
    assert!(failures.is_empty(), "{} of {commands} commands failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn bad_command_lines_are_one_line() {
    let dir = scratch("bad_command_lines");
    let cfg = write(&dir, "c.toml", &HEAT.replace("OUT", &dir.join("out").display().to_string()));
    let c = cfg.display().to_string();
    for (args, must) in [
        (vec!["--bogus"], "--bogus"),
        (vec![c.as_str(), "extra.toml"], "extra.toml"),
        (vec!["check", "--markdown"], "--explain"),
        (vec!["check"], "CONFIG"),
        (vec![], "CONFIG"),
        (vec![c.as_str(), "--set"], "--set"),
        (vec![c.as_str(), "--restart"], "--restart"),
        (vec!["scale", c.as_str(), "--ranks", "x", "--out", "d"], "--ranks"),
        (vec!["check", c.as_str(), "--ranks", "0"], "--ranks <N>': must be at least 1"),
    ] {
        let o = simrun(&args);
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(lines.len() == 1 && lines[0].starts_with("error: ") && lines[0].contains(must), "{args:?}: {err}");
    }
    assert!(!dir.join("out").exists(), "a refused command line wrote output");
}
