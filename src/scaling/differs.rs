//! What differs between studies: how they were made (model, mode, grid, steps, steps per sweep,
//! configurations, repeats, `--set` overrides, the launcher and whether 1-rank runs went through
//! it, every key of the resolved configuration) and where
//! they ran (simrun version, git commit, build, libraries, host, CPU model, CPUs, memory, the
//! measured copy bandwidth). Each item is one row with one value per study; items whose values
//! differ are "what differs", the others "the same in all". Measured bandwidths count as
//! different only beyond [`BANDWIDTH_TOLERANCE`] (two measurements never agree exactly).

use super::write::grid_text;
use super::Study;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Bandwidths within this relative spread (max / min - 1) count as the same.
pub const BANDWIDTH_TOLERANCE: f64 = 0.1;

/// Keys of the resolved configuration that always differ between runs and say nothing about the
/// computation.
const IGNORED_KEYS: [&str; 1] = ["output.dir"];

/// One item and its value in each study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub what: String,
    pub values: Vec<String>,
}

/// A TOML document flattened to dotted keys and their values as TOML text (arrays, including
/// arrays of tables, stay whole).
pub fn flatten_toml(text: &str) -> Option<BTreeMap<String, String>> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let v: toml::Value = toml::from_str(text).ok()?;
    let mut out = BTreeMap::new();
    walk("", &v, &mut out);
    Some(out)
}

fn distinct<T: Ord + ToString>(v: impl Iterator<Item = T>) -> String {
    let set: BTreeSet<T> = v.collect();
    if set.is_empty() {
        return "-".to_string();
    }
    set.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

fn or_unknown(s: &str) -> String {
    if s.is_empty() {
        "not recorded".to_string()
    } else {
        s.to_string()
    }
}

/// Resolved-config rows: every key whose value is not the same in all studies.
fn config_rows(studies: &[&Study]) -> Vec<Difference> {
    let flat: Vec<Option<BTreeMap<String, String>>> =
        studies.iter().map(|s| flatten_toml(&s.meta.resolved_config).filter(|m| !m.is_empty())).collect();
    if flat.iter().all(Option::is_none) {
        return Vec::new();
    }
    let keys: BTreeSet<&String> = flat.iter().flatten().flat_map(|m| m.keys()).collect();
    keys.into_iter()
        .filter(|k| !IGNORED_KEYS.contains(&k.as_str()))
        .map(|k| Difference {
            what: format!("config `{k}`"),
            values: flat
                .iter()
                .map(|m| match m {
                    None => "not recorded".to_string(),
                    Some(m) => m.get(k).cloned().unwrap_or_else(|| "(default, not written)".to_string()),
                })
                .collect(),
        })
        .collect()
}

/// The launcher template, where some run went through it (more than one rank, or
/// `--launch-one`); a study of direct 1-rank runs only used none.
fn launcher(s: &Study) -> String {
    if s.meta.launch_one || s.meta.ranks.iter().any(|&r| r > 1) {
        s.meta.launcher.clone()
    } else {
        "none used (1 rank, started directly)".to_string()
    }
}

/// The rows (differing, same), in a fixed order: the experiment first, then the machine.
pub fn what_differs(studies: &[&Study]) -> (Vec<Difference>, Vec<Difference>) {
    let row = |what: &str, f: &dyn Fn(&Study) -> String| Difference {
        what: what.to_string(),
        values: studies.iter().map(|s| f(s)).collect(),
    };
    let mut rows = vec![
        row("study", &|s| s.meta.status_text(s.runs.iter().filter(|r| !r.interrupted).count())),
        row("model", &|s| or_unknown(&s.meta.model)),
        row("mode", &|s| s.meta.mode.name().to_string()),
        row("grid (strong: the grid; weak: per core)", &|s| grid_text(&s.meta.base_grid)),
        row("steps", &|s| distinct(s.runs.iter().filter(|r| r.ok).map(|r| r.steps))),
        row("steps per sweep", &|s| {
            let v: Vec<usize> = s.runs.iter().filter(|r| r.ok).map(|r| r.steps_per_sweep).filter(|&k| k > 0).collect();
            if v.is_empty() {
                "not recorded".to_string()
            } else {
                distinct(v.into_iter())
            }
        }),
        row("ranks x threads", &|s| s.summary.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")),
        row("repeats", &|s| s.meta.repeat.to_string()),
        row("--set", &|s| if s.meta.set.is_empty() { "none".to_string() } else { s.meta.set.join(" ") }),
        row("launcher", &launcher),
        row("1-rank runs", &|s| {
            match (s.meta.ranks.contains(&1), s.meta.launch_one) {
                (false, _) => "none (no 1-rank configuration)",
                (true, true) => "through the launcher (--launch-one)",
                (true, false) => "started directly",
            }
            .to_string()
        }),
        row("config file", &|s| s.meta.config.clone()),
    ];
    rows.extend(config_rows(studies));
    rows.extend([
        row("simrun version", &|s| s.meta.simrun_version.clone()),
        row("git commit", &|s| or_unknown(&s.meta.build.short_commit())),
        row("build", &|s| {
            let b = &s.meta.build;
            if b.profile.is_empty() {
                "not recorded".to_string()
            } else {
                format!("{} opt-level {}, features [{}]", b.profile, b.opt_level, b.features.join(","))
            }
        }),
        row("simd kernels", &|s| or_unknown(&s.meta.build.simd)),
        row("rustc", &|s| or_unknown(&s.meta.build.rustc)),
        row("MPI library", &|s| or_unknown(&s.meta.build.mpi_library)),
        row("HDF5 library", &|s| or_unknown(&s.meta.build.hdf5_library)),
        row("host", &|s| s.meta.host.clone()),
        row("CPU model", &|s| or_unknown(&s.meta.machine.cpu_model)),
        row("CPUs", &|s| s.meta.cpus.to_string()),
        row("memory", &|s| {
            let m = s.meta.machine.memory_bytes;
            if m == 0 {
                "not recorded".to_string()
            } else {
                format!("{:.1} GiB", m as f64 / (1u64 << 30) as f64)
            }
        }),
    ]);
    let (mut differs, mut same): (Vec<Difference>, Vec<Difference>) =
        rows.into_iter().partition(|d| d.values.iter().any(|v| *v != d.values[0]));
    // Measured bandwidths: different only beyond the tolerance.
    type Pick = fn(&super::Bandwidth) -> f64;
    let picks: [(&str, Pick); 2] = [
        ("copy bandwidth, 1 thread (GB/s)", |b| b.one_thread_gbs),
        ("copy bandwidth, all CPUs (GB/s)", |b| b.all_cores_gbs),
    ];
    for (what, pick) in picks {
        let v: Vec<Option<f64>> = studies.iter().map(|s| s.meta.bandwidth.as_ref().map(pick)).collect();
        if v.iter().all(Option::is_none) {
            continue;
        }
        let d = Difference {
            what: what.to_string(),
            values: v.iter().map(|x| x.map(|g| format!("{g:.1}")).unwrap_or_else(|| "not measured".into())).collect(),
        };
        let known: Vec<f64> = v.iter().flatten().copied().collect();
        let spread = known.iter().copied().fold(0.0, f64::max) / known.iter().copied().fold(f64::INFINITY, f64::min);
        if known.len() < v.len() || spread - 1.0 > BANDWIDTH_TOLERANCE {
            differs.push(d);
        } else {
            same.push(d);
        }
    }
    (differs, same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_flattens_to_dotted_keys() {
        let m =
            flatten_toml("model = \"heat\"\n[grid]\nnx = 4\n[parallel]\nlayout = [2, 1]\n[[a.b]]\nc = 1\n").unwrap();
        assert_eq!(m["model"], "\"heat\"");
        assert_eq!(m["grid.nx"], "4");
        assert_eq!(m["parallel.layout"], "[2, 1]");
        assert!(m["a.b"].contains("c = 1"), "{:?}", m["a.b"]);
        assert!(flatten_toml("= nonsense").is_none());
    }
}
