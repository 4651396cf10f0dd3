//! Every shipped config (each file in configs/, found at run time, so a new one is covered too)
//! parses and runs: the file as it is, with only the grid shrunk (each axis to an eighth, 8 to 64
//! cells), `time.end_time` / `time.steps` replaced by 6 steps and the output sent to a scratch
//! directory. Checks: 6 steps taken, every final diagnostic finite, final.h5 holds every field
//! at the shrunken shape, final.png is a PNG where the config draws images.

mod common;
use common::*;
use simrun::config;
use simrun::par::SingleComm;
use simrun::sim::{self, RunOptions};

/// Each axis to an eighth, at least 8 and at most 64 cells, even.
fn shrink(n: i64) -> i64 {
    ((n / 8).clamp(8, 64) + 1) / 2 * 2
}

#[test]
fn every_shipped_config_runs_on_a_small_grid() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("configs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "configs/: {names:?}");
    for name in &names {
        let text = std::fs::read_to_string(root().join("configs").join(name)).unwrap();
        let mut doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        let grid = doc.get_mut("grid").and_then(|g| g.as_table_mut()).unwrap_or_else(|| panic!("{name}: no [grid]"));
        let mut shape = Vec::new();
        for axis in ["nx", "ny", "nz"] {
            if let Some(n) = grid.get(axis).and_then(|v| v.as_integer()) {
                grid.insert(axis.into(), shrink(n).into());
                shape.push(shrink(n) as usize);
            }
        }
        let time = doc.get_mut("time").and_then(|t| t.as_table_mut()).unwrap_or_else(|| panic!("{name}: no [time]"));
        time.remove("end_time");
        time.insert("steps".into(), 6.into());
        let dir = scratch(&format!("configs_run_{}", name.trim_end_matches(".toml")));
        let sets = [format!("output.dir=\"{}\"", dir.display()), "output.progress=\"off\"".into()];
        let cfg =
            config::load_str(&toml::to_string(&doc).unwrap(), name, &sets).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = sim::run(&cfg, &SingleComm, &RunOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.steps, 6, "{name}");
        assert!(
            !s.diagnostics.is_empty() && s.diagnostics.iter().all(|(_, v)| v.is_finite()),
            "{name}: {:?}",
            s.diagnostics
        );
        let h5 = hdf5::File::open(dir.join("final.h5")).unwrap();
        shape.reverse(); // (nz,) ny, nx
                         // The field datasets (not their coordinates, src/io/describe.rs).
        for f in simrun::io::describe::field_datasets(&h5.group("fields").unwrap()).unwrap() {
            let ds = h5.dataset(&format!("fields/{f}")).unwrap();
            // Staggered fields (navier_stokes faces) have the cell shape too.
            assert_eq!(ds.shape(), shape, "{name}: field {f}");
        }
        if cfg.output.images {
            let png = std::fs::read(dir.join("final.png")).unwrap_or_else(|e| panic!("{name}: final.png: {e}"));
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        }
        println!("{name}: ran 6 steps on {shape:?}: {:?}", s.diagnostics);
    }
}

/// The resolved configuration a run records (final.h5's and a checkpoint's `config`, the report,
/// `simrun check`) loads again and resolves to itself, for every shipped config: a run can be
/// reproduced from its own record. (Weather's and navier_stokes' records held keys those models
/// refuse, `time.cfl`, `parallel.time_block`: loading them failed.)
#[test]
fn every_resolved_config_loads_again_as_itself() {
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("configs")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let first = config::load(&path, &[]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = first.to_toml();
        let again = config::load_str(&text, "resolved", &[])
            .unwrap_or_else(|e| panic!("{}: resolved: {e}\n{text}", path.display()));
        assert_eq!(again.to_toml(), text, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 16, "{seen} configs");
}
