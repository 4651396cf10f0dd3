//! Every configuration mistake exits non-zero with one line naming the key (or file), no panic.

mod common;
use common::*;

const GOOD: &str = r#"
model = "heat"
[grid]
nx = 32
ny = 32
[time]
steps = 10
[output]
dir = "OUT"
progress = "off"
"#;

fn expect_config_error(name: &str, text: &str, extra: &[&str], must_name: &str) {
    let dir = scratch(&format!("cfgerr_{name}"));
    let text = text.replace("OUT", &dir.join("out").display().to_string());
    let path = write(&dir, "c.toml", &text);
    for sub in [&[][..], &["check"][..]] {
        let mut args: Vec<&str> = sub.to_vec();
        let p = path.display().to_string();
        args.push(&p);
        args.extend_from_slice(extra);
        let o = simrun(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: exit code {:?}, stderr: {err}", o.status.code());
        assert!(!err.contains("panicked"), "{name}: panic: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{name}: expected one error line, got: {err}");
        assert_eq!(err.lines().filter(|l| !l.trim().is_empty()).count(), 1, "{name}: more than one line: {err}");
        assert!(lines[0].contains(must_name), "{name}: `{}` does not name `{must_name}`", lines[0]);
    }
}

#[test]
fn unknown_key() {
    expect_config_error("unknown", &GOOD.replace("ny = 32", "ny = 32\nnxx = 4"), &[], "grid.nxx");
    expect_config_error("unknown_section", &format!("{GOOD}\n[heet]\nalpha = 1.0\n"), &[], "heet");
}

#[test]
fn wrong_type() {
    expect_config_error("type", &GOOD.replace("nx = 32", "nx = \"many\""), &[], "grid.nx");
    expect_config_error(
        "type_bool",
        &GOOD.replace("progress = \"off\"", "progress = \"off\"\nimages = 3"),
        &[],
        "output.images",
    );
}

#[test]
fn types_are_named_in_words_not_rust() {
    // serde says "expected usize" / "expected struct GridConfig"; a TOML user reads words.
    let cases = [
        (
            "words_neg",
            GOOD.replace("nx = 32", "nx = -5"),
            "`grid.nx`: invalid value: integer `-5`, expected a non-negative integer",
        ),
        (
            "words_float",
            GOOD.replace("steps = 10", "steps = 1.5"),
            "`time.steps`: invalid type: floating point `1.5`, expected a non-negative integer",
        ),
        (
            "words_table",
            GOOD.replace("[grid]\nnx = 32\nny = 32\n", "grid = 5\n"),
            "`grid`: invalid type: integer `5`, expected a table",
        ),
    ];
    for (name, text, want) in cases {
        expect_config_error(name, &text, &[], want);
    }
    expect_config_error(
        "words_number",
        GOOD,
        &["--set", "heat.alpha=\"a\""],
        "`heat.alpha`: invalid type: string \"a\", expected a number",
    );
}

#[test]
fn negative_or_zero_size() {
    expect_config_error("negative", &GOOD.replace("nx = 32", "nx = -5"), &[], "grid.nx");
    expect_config_error("zero", &GOOD.replace("ny = 32", "ny = 0"), &[], "grid.ny");
    expect_config_error("neg_len", GOOD, &["--set", "grid.lx=-1.0"], "grid.lx");
}

#[test]
fn unstable_dt_names_the_limit() {
    // dx = 1/32: the limit is dx^2 / 4 = 2.44e-4.
    expect_config_error("dt", &GOOD.replace("steps = 10", "steps = 10\ndt = 0.01"), &[], "time.dt");
    let dir = scratch("cfgerr_dt_msg");
    let path = write(&dir, "c.toml", &GOOD.replace("steps = 10", "steps = 10\ndt = 0.01"));
    let o = simrun(&["check", &path.display().to_string()]);
    assert!(stderr(&o).contains("2.441406e-4"), "message should give the maximum stable dt: {}", stderr(&o));
}

#[test]
fn bad_values_and_overrides() {
    expect_config_error("bad_enum", &GOOD.replace("model = \"heat\"", "model = \"plasma\""), &[], "model");
    expect_config_error("missing", &GOOD.replace("nx = 32\n", ""), &[], "grid.nx");
    expect_config_error("set_unknown", GOOD, &["--set", "grid.foo=3"], "grid.foo");
    expect_config_error("set_malformed", GOOD, &["--set", "grid.nx"], "grid.nx");
    expect_config_error("syntax", &GOOD.replace("nx = 32", "nx = = 32"), &[], "line 4");
    expect_config_error(
        "periodic_pair",
        &format!("{GOOD}\n[heat.boundary]\nx_lo = {{ kind = \"periodic\" }}\n"),
        &[],
        "heat.boundary.x_lo",
    );
    expect_config_error(
        "shape_dims",
        &format!("{GOOD}\n[[heat.initial.shapes]]\nkind = \"disc\"\ncenter = [0.5]\nradius = 0.1\nvalue = 1.0\n"),
        &[],
        "heat.initial.shapes[0].center",
    );
}

#[test]
fn missing_file() {
    let o = simrun(&["/nonexistent/simrun.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error:") && err.contains("/nonexistent/simrun.toml") && err.lines().count() == 1, "{err}");
}

#[test]
fn unwritable_output_dir_is_an_io_error() {
    let dir = scratch("cfgerr_unwritable");
    let blocker = write(&dir, "file", "not a directory");
    let path = write(&dir, "c.toml", &GOOD.replace("OUT", &blocker.join("out").display().to_string()));
    let o = simrun(&[&path.display().to_string()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&blocker.display().to_string()) && err.contains("Not a directory"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn nan_stops_the_run_with_location() {
    let dir = scratch("cfgerr_nan");
    // Numbers in a config are finite, but a sum of them need not be: a gaussian of amplitude 1e308
    // over a background of 1e308 overflows to inf near its centre.
    let text = GOOD.replace("OUT", &dir.join("out").display().to_string())
        + "[heat.initial]\nbackground = 1e308\n[[heat.initial.shapes]]\nkind = \"gaussian\"\ncenter = [0.3, 0.7]\nsigma = 0.05\namplitude = 1e308\n";
    let path = write(&dir, "c.toml", &text);
    let o = simrun(&[&path.display().to_string()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("temperature") && err.contains("step 0") && err.contains("cell (x="), "{err}");
}

#[test]
fn every_key_of_a_full_config_is_documented() {
    let full = r#"
model = "heat"
[grid]
nx = 8
ny = 8
nz = 8
[time]
steps = 1
dt = 1e-4
[parallel]
threads = 1
layout = [1, 1, 1]
[heat.initial.sine]
k = [1, 1, 1]
[heat.initial.noise]
amplitude = 0.1
[[heat.initial.shapes]]
kind = "box"
lo = [0, 0, 0]
hi = [1, 1, 1]
value = 1.0
[[heat.initial.shapes]]
kind = "gaussian"
center = [0.5, 0.5, 0.5]
sigma = 0.1
amplitude = 1.0
[[heat.initial.shapes]]
kind = "sphere"
center = [0.5, 0.5, 0.5]
radius = 0.1
value = 1.0
"#;
    let c = cfg(full, &[]);
    let v: toml::Value = toml::from_str(&c.to_toml()).unwrap();
    let mut keys = Vec::new();
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&p, v, out);
                }
            }
            toml::Value::Array(a) if a.iter().all(|x| x.is_table()) && !a.is_empty() => {
                for (i, x) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), x, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    walk("", &v, &mut keys);
    assert!(keys.len() > 30, "{keys:?}");
    for k in keys {
        assert!(simrun::config::explain::documented(&k), "key `{k}` is missing from `simrun check --explain`");
    }
}

#[test]
fn shipped_configs_pass_check() {
    let mut n = 0;
    for e in std::fs::read_dir(root().join("configs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let o = simrun(&["check", &p.display().to_string()]);
            assert!(o.status.success(), "{}: {}", p.display(), stderr(&o));
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(out.contains("max_stable_dt") && out.contains("memory        ="), "{}: {out}", p.display());
            n += 1;
        }
    }
    assert!(n >= 14, "{n} configs");
}

#[test]
fn the_resolved_configuration_loads_again_as_it_is() {
    // What reports, final.h5 and checkpoints record as the run's configuration must be a config
    // simrun accepts: with `time.dt` given, the unused default cfl once made it "dt and cfl, not
    // both", refused.
    for sets in [&["time.dt=0.0001"][..], &["time.cfl=0.5"][..], &[][..]] {
        let text = GOOD.replace("OUT", "out");
        let c = cfg(&text, sets);
        let again = simrun::config::load_str(&c.to_toml(), "resolved", &[])
            .unwrap_or_else(|e| panic!("{sets:?}: the resolved config is refused: {e}\n{}", c.to_toml()));
        assert_eq!(again.to_toml(), c.to_toml(), "{sets:?}: a fixed point");
        assert_eq!((again.time.dt, again.time.cfl), (c.time.dt, c.time.cfl), "{sets:?}");
    }
}

/// A time step far too small for the end time is refused up front (it started a run that could
/// never end, and `check` printed u64::MAX steps).
#[test]
fn an_end_time_beyond_any_step_count_is_refused() {
    let weather = "model = \"weather\"\n[grid]\nnx = 40\nny = 20\nlx = 20000.0\nly = 10000.0\n[time]\nend_time = 1000.0\n[output]\ndir = \"OUT\"\nprogress = \"off\"\n";
    expect_config_error("tiny_dt", weather, &["--set", "time.dt=1e-300"], "time.end_time");
    let heat = GOOD.replace("steps = 10", "end_time = 1e200");
    expect_config_error("huge_end", &heat, &[], "time.end_time");
}

/// The advice of a weather blow-up names the key weather takes (`weather.cfl`; it named
/// `time.cfl`, which weather refuses).
#[test]
fn a_weather_blow_up_names_weather_cfl() {
    let dir = scratch("cfgerr_weather_nan");
    let text = format!(
        "model = \"weather\"\n[grid]\nnx = 100\nny = 50\nlx = 20000.0\nly = 10000.0\n[time]\nend_time = 900.0\n[weather]\ncase = \"density_current\"\nhv_beta = 0.0\ncfl = 1.63\n[output]\ndir = \"{}\"\nprogress = \"off\"\nimages = false\ndiagnostics_every = 100\n",
        dir.join("out").display()
    );
    let path = write(&dir, "c.toml", &text);
    let o = simrun(&[path.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("weather.cfl") && !err.contains("time.cfl"), "{err}");
}
