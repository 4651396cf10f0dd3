//! Small runs of every model whose outputs the self-describing tests open: heat 2-D, heat 3-D,
//! weather and navier_stokes (final.h5, and a field output every 2 steps), and heat with
//! checkpoints (a commit file).

use super::{cfg, run, scratch};
use std::path::PathBuf;

/// (label, config text with `OUT` for the output directory).
pub const CASES: [(&str, &str); 4] = [
    (
        "heat2d",
        "model = \"heat\"\n[grid]\nnx = 12\nny = 8\nlx = 1.5\nly = 0.5\n[time]\nsteps = 3\n[output]\ndir = \"OUT\"\nimages = false\nprogress = \"off\"\n[checkpoint]\nevery_steps = 2\n[[output.fields]]\nevery_steps = 2\n",
    ),
    (
        "heat3d",
        "model = \"heat\"\n[grid]\nnx = 10\nny = 6\nnz = 4\nlx = 1.0\nly = 0.3\nlz = 0.8\n[time]\nsteps = 3\n[output]\ndir = \"OUT\"\nimages = false\nprogress = \"off\"\n[[output.fields]]\nevery_steps = 2\n",
    ),
    (
        "weather",
        "model = \"weather\"\n[grid]\nnx = 20\nny = 10\nlx = 20000.0\nly = 10000.0\n[time]\nsteps = 2\n[output]\ndir = \"OUT\"\nimages = false\nprogress = \"off\"\n[weather]\ncase = \"thermal\"\n[[output.fields]]\nevery_steps = 2\n",
    ),
    (
        "navier_stokes",
        "model = \"navier_stokes\"\n[grid]\nnx = 12\nny = 8\nlx = 1.5\nly = 1.0\n[time]\nsteps = 3\n[output]\ndir = \"OUT\"\nimages = false\nprogress = \"off\"\n[navier_stokes]\nre = 100.0\n[navier_stokes.boundary]\ny_hi = { kind = \"wall\", velocity = 1.0 }\n[[output.fields]]\nevery_steps = 2\n",
    ),
];

/// Run case `label` in this process into a fresh scratch directory; returns the output dir.
pub fn run_case(test: &str, label: &str) -> PathBuf {
    let text = CASES.iter().find(|c| c.0 == label).unwrap_or_else(|| panic!("no case {label}")).1;
    let dir = scratch(&format!("{test}_{label}"));
    let c = cfg(&text.replace("OUT", &dir.display().to_string()), &[]);
    run(&c);
    dir
}

/// The newest committed checkpoint's commit file under `dir`.
pub fn latest_commit(dir: &std::path::Path) -> PathBuf {
    let root = dir.join("checkpoints");
    let name = std::fs::read_to_string(root.join("latest")).expect("a committed checkpoint");
    root.join(name.trim()).join("checkpoint.h5")
}
