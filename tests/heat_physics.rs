//! Heat model against the analytic solution and conservation laws.

mod common;
use common::*;

const SINE: &str = r#"
model = "heat"
[grid]
nx = 16
ny = 16
[time]
end_time = 0.02
# Small steps so the O(dt) time error stays below the O(h^2) space error (at cfl 0.5 the two
# cancel for some modes and the error falls at 4th order, hiding what we test).
cfl = 0.1
[output]
dir = "unused"
images = false
progress = "off"
diagnostics_every = 0
[heat]
alpha = 1.0
[heat.boundary]
x_lo = { kind = "dirichlet", value = 0.0 }
x_hi = { kind = "dirichlet", value = 0.0 }
y_lo = { kind = "dirichlet", value = 0.0 }
y_hi = { kind = "dirichlet", value = 0.0 }
z_lo = { kind = "dirichlet", value = 0.0 }
z_hi = { kind = "dirichlet", value = 0.0 }
[heat.initial.sine]
amplitude = 1.0
k = [1, 2]
"#;

fn sine_error(n: usize, dims: usize, dir: &std::path::Path) -> f64 {
    let nn = n.to_string();
    let d = dir.join(format!("n{n}"));
    let dstr = format!("output.dir=\"{}\"", d.display());
    let mut ov = vec![format!("grid.nx={nn}"), format!("grid.ny={nn}"), dstr];
    if dims == 3 {
        ov.push(format!("grid.nz={nn}"));
        ov.push("heat.initial.sine.k=[1, 2, 1]".into());
        ov.push("time.end_time=0.01".into());
    }
    let ov: Vec<&str> = ov.iter().map(|s| s.as_str()).collect();
    let c = cfg(SINE, &ov);
    let s = run(&c);
    diag(&s, "l2_error")
}

#[test]
fn sine_mode_converges_at_second_order_2d() {
    let dir = scratch("sine2d");
    let e: Vec<f64> = [16, 32, 64].iter().map(|&n| sine_error(n, 2, &dir)).collect();
    eprintln!("2-D l2 errors at 16, 32, 64: {e:?}");
    for w in e.windows(2) {
        let ratio = w[0] / w[1];
        assert!((3.6..4.4).contains(&ratio), "error ratio {ratio} (errors {e:?}), expected about 4");
    }
}

#[test]
fn sine_mode_converges_at_second_order_3d() {
    let dir = scratch("sine3d");
    let e: Vec<f64> = [8, 16, 32].iter().map(|&n| sine_error(n, 3, &dir)).collect();
    eprintln!("3-D l2 errors at 8, 16, 32: {e:?}");
    let ratio = e[1] / e[2];
    assert!((3.5..4.5).contains(&ratio), "error ratio {ratio} (errors {e:?}), expected about 4");
}

const INSULATED: &str = r#"
model = "heat"
[grid]
nx = 96
ny = 80
lx = 2.0
[time]
steps = 3000
[output]
dir = "unused"
images = false
progress = "off"
[heat.initial]
background = 1.0
[[heat.initial.shapes]]
kind = "disc"
center = [0.6, 0.4]
radius = 0.2
value = 5.0
[[heat.initial.shapes]]
kind = "gaussian"
center = [1.4, 0.6]
sigma = 0.1
amplitude = -2.0
[heat.initial.noise]
amplitude = 0.3
seed = 42
"#;

#[test]
fn insulated_box_conserves_heat_2d_and_3d() {
    for (dims, extra) in [(2, vec![]), (3, vec!["grid.nz=24", "[0.6,0.4,0.5]"])] {
        let dir = scratch(&format!("insulated{dims}"));
        let mut text = INSULATED.to_string();
        if dims == 3 {
            text = text
                .replace("center = [0.6, 0.4]", "center = [0.6, 0.4, 0.5]")
                .replace("center = [1.4, 0.6]", "center = [1.4, 0.6, 0.5]")
                .replace("nx = 96\nny = 80", "nx = 48\nny = 40")
                .replace("steps = 3000", "steps = 800");
        }
        let d = format!("output.dir=\"{}\"", dir.display());
        let mut ov = vec![d.as_str()];
        if dims == 3 {
            ov.push(extra[0]);
        }
        let c = cfg(&text, &ov);
        let c0 = cfg(&text, &[ov.as_slice(), &["time.steps=0"]].concat());
        let start = diag(&run(&c0), "total_heat");
        let s = run(&c);
        let end = diag(&s, "total_heat");
        let rel = ((end - start) / start).abs();
        assert!(rel < 1e-12, "{dims}-D: total heat drifted by {rel:e} ({start} -> {end})");
        // And it did diffuse: the maximum came down.
        assert!(diag(&s, "max") < 5.0);
    }
}

#[test]
fn dirichlet_walls_drive_to_the_wall_value() {
    let dir = scratch("walls");
    let text = INSULATED
        .replace("[heat.initial]", "[heat.boundary]\nx_lo = { kind = \"dirichlet\", value = 2.0 }\nx_hi = { kind = \"dirichlet\", value = 2.0 }\ny_lo = { kind = \"dirichlet\", value = 2.0 }\ny_hi = { kind = \"dirichlet\", value = 2.0 }\n[heat.initial]")
        .replace("nx = 96\nny = 80", "nx = 24\nny = 20");
    let d = format!("output.dir=\"{}\"", dir.display());
    let c = cfg(&text, &[d.as_str(), "time.steps=20000"]);
    let s = run(&c);
    assert!((diag(&s, "max") - 2.0).abs() < 1e-6 && (diag(&s, "min") - 2.0).abs() < 1e-6, "{:?}", s.diagnostics);
}

/// The diagnostics of a run of [`SINE`] at `n` x `n` with `overrides`.
fn sine_run(name: &str, n: usize, overrides: &[&str]) -> Vec<(String, f64)> {
    let dir = scratch(name);
    let d = format!("output.dir=\"{}\"", dir.display());
    let (nx, ny) = (format!("grid.nx={n}"), format!("grid.ny={n}"));
    let ov: Vec<&str> = [d.as_str(), nx.as_str(), ny.as_str()].into_iter().chain(overrides.iter().copied()).collect();
    run(&cfg(SINE, &ov)).diagnostics
}

/// `l2_error` compares against the analytic sine mode only where it is the solution: every face
/// Dirichlet at the background value, or periodic with an even k along the axis (sin(k pi x / L)
/// then has period L, and the error falls at second order as with walls). With a Neumann face,
/// a wall at another value or an odd k across a periodic axis it was reported anyway (a tester
/// saw 6.8e-2 and 1.7e-1: the distance to the solution of another problem); now the column is
/// left out, and `simrun check` says why, naming the face.
#[test]
fn l2_error_only_where_the_sine_mode_is_the_solution() {
    let l2 = |d: &[(String, f64)]| d.iter().find(|(k, _)| k == "l2_error").map(|(_, v)| *v);
    let periodic_x = ["heat.boundary.x_lo={kind=\"periodic\"}", "heat.boundary.x_hi={kind=\"periodic\"}"];
    let neumann_x = ["heat.boundary.x_lo={kind=\"neumann\"}", "heat.boundary.x_hi={kind=\"neumann\"}"];
    let not_exact: [(&str, Vec<&str>, &str); 4] = [
        ("neumann x faces", neumann_x.to_vec(), "heat.boundary.x_lo"),
        ("a wall at 1, background 0", vec!["heat.boundary.y_hi={kind=\"dirichlet\", value=1.0}"], "heat.boundary.y_hi"),
        (
            "periodic x, k odd along x",
            [&periodic_x[..], &["heat.initial.sine.k=[1, 2]"]].concat(),
            "heat.boundary.x_lo",
        ),
        (
            "a disc over the mode",
            vec!["heat.initial.shapes=[{kind=\"disc\", center=[0.5, 0.5], radius=0.1, value=1.0}]"],
            "heat.initial.shapes",
        ),
    ];
    for (i, (what, sets, key)) in not_exact.iter().enumerate() {
        let d = sine_run(&format!("sine_not_exact_{i}"), 32, sets);
        assert_eq!(l2(&d), None, "{what}: {d:?}");
        let dir = scratch(&format!("sine_not_exact_check_{i}"));
        let p = write(&dir, "c.toml", &SINE.replace("\"unused\"", &format!("\"{}\"", dir.join("out").display())));
        let mut args = vec!["check", p.to_str().unwrap()];
        for s in sets {
            args.extend(["--set", s]);
        }
        let o = simrun(&args);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        assert!(
            text.lines().any(|l| l.starts_with("warning: heat.initial.sine: no l2_error") && l.contains(key)),
            "{what}: {text}"
        );
    }
    // Walls at a background of 0.5: the mode over it is the solution, to the discretisation error.
    let walls = [
        "heat.initial.background=0.5",
        "heat.boundary.x_lo={kind=\"dirichlet\", value=0.5}",
        "heat.boundary.x_hi={kind=\"dirichlet\", value=0.5}",
        "heat.boundary.y_lo={kind=\"dirichlet\", value=0.5}",
        "heat.boundary.y_hi={kind=\"dirichlet\", value=0.5}",
    ];
    let e = l2(&sine_run("sine_background", 32, &walls)).expect("l2_error with walls at the background");
    assert!(e < 1e-3, "{e}");
    // Periodic along x with an even k: reported, and converging at second order.
    let sets = [&periodic_x[..], &["heat.initial.sine.k=[2, 1]"]].concat();
    let e: Vec<f64> = [16, 32, 64]
        .iter()
        .map(|&n| l2(&sine_run(&format!("sine_periodic_{n}"), n, &sets)).expect("l2_error"))
        .collect();
    for w in e.windows(2) {
        assert!((3.6..4.4).contains(&(w[0] / w[1])), "periodic x, k = [2, 1]: errors {e:?}");
    }
}
