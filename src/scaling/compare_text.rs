//! A [`Comparison`] as Markdown (`compare.md`, also printed) and CSV (`compare.csv`: one row per
//! configuration and study; a missing configuration is a row with `present` false).

use super::compare::{Cell, Comparison};
use super::write::capital;
use std::fmt::Write as _;

/// Phases shown first, in this order; any others follow alphabetically.
const MAIN_PHASES: [&str; 4] = ["compute", "halo", "reduce", "io"];

/// Every phase with a ratio anywhere, the main ones first.
fn phase_columns(cmp: &Comparison) -> Vec<String> {
    let mut all: Vec<String> = cmp
        .rows
        .iter()
        .flat_map(|r| r.cells.iter().flatten().flat_map(|c| c.phase_per_update.keys().cloned()))
        .collect();
    all.sort();
    all.dedup();
    let mut out: Vec<String> = MAIN_PHASES.iter().map(|s| s.to_string()).filter(|p| all.contains(p)).collect();
    out.extend(all.into_iter().filter(|p| !MAIN_PHASES.contains(&p.as_str())));
    out
}

fn g(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "-".to_string()
    }
}

/// A cell's text when it is missing or has no time.
fn absent(c: &Option<Cell>) -> Option<&'static str> {
    match c {
        None => Some("missing"),
        Some(c) if !c.timed() && c.runs_failed > 0 => Some("failed"),
        Some(c) if !c.timed() && c.runs_interrupted > 0 => Some("interrupted"),
        Some(c) if !c.timed() => Some("not run"),
        Some(_) => None,
    }
}

fn header(s: &mut String, first: &str, cols: &[String]) {
    let _ = writeln!(s, "| {first} | {} |", cols.join(" | "));
    s.push_str(&"|---".repeat(cols.len() + 1));
    s.push_str("|\n");
}

/// The comparison as Markdown.
pub fn markdown(cmp: &Comparison) -> String {
    let labels = cmp.labels();
    let base = &labels[cmp.baseline];
    let mut s = format!("# Comparison of {} scaling studies\n\n", labels.len());
    let _ = writeln!(
        s,
        "Baseline: `{base}`. Throughput is cell updates per second, so studies on different grids compare per cell update; ranges are the repeats' min - max.\n"
    );
    header(&mut s, "study", &["directory".to_string(), "configurations".to_string()]);
    for (i, (label, dir)) in cmp.studies.iter().enumerate() {
        let configs: Vec<String> = cmp.rows.iter().filter(|r| r.cells[i].is_some()).map(|r| r.label()).collect();
        let _ = writeln!(s, "| `{label}` | `{dir}` | {} |", configs.join(", "));
    }

    s.push_str("\n## What differs\n\n");
    let quoted: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
    if cmp.differs.is_empty() {
        s.push_str("Nothing recorded differs.\n");
    } else {
        header(&mut s, "", &quoted);
        for d in &cmp.differs {
            let _ = writeln!(
                s,
                "| {} | {} |",
                d.what,
                d.values.iter().map(|v| v.replace('|', "\\|")).collect::<Vec<_>>().join(" | ")
            );
        }
    }
    let is_key = |d: &&super::differs::Difference| d.what.starts_with("config `");
    let mut same: Vec<String> =
        cmp.same.iter().filter(|d| !is_key(d)).map(|d| format!("{} {}", d.what, d.values[0])).collect();
    let keys = cmp.same.iter().filter(is_key).count();
    if keys > 0 {
        same.push(format!("the other {keys} keys of the resolved configuration"));
    }
    let _ = writeln!(s, "\nThe same in all: {}.", same.join("; "));

    s.push_str("\n## Throughput (M cell updates/s: median [min - max], % of the copy bound)\n\n");
    header(&mut s, "ranks x threads", &quoted);
    for r in &cmp.rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .map(|c| {
                absent(c).map(String::from).unwrap_or_else(|| {
                    let c = c.as_ref().expect("present");
                    let t = c.throughput.map(|v| v / 1e6);
                    let bound = c.percent_of_bound.map(|p| format!(", {p:.0} %")).unwrap_or_default();
                    format!("{} [{} - {}]{bound}", g(t[0], 1), g(t[1], 1), g(t[2], 1))
                })
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", r.label(), cells.join(" | "));
    }

    let others: Vec<String> =
        quoted.iter().enumerate().filter(|(i, _)| *i != cmp.baseline).map(|(_, l)| l.clone()).collect();
    let _ = writeln!(s, "\n## Against the baseline `{base}`: throughput X / baseline [noise band], verdict\n");
    header(&mut s, "ranks x threads", &others);
    for r in &cmp.rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != cmp.baseline)
            .map(|(_, c)| match (absent(c), c.as_ref().and_then(|c| c.vs_baseline.as_ref())) {
                (Some(a), _) => a.to_string(),
                (None, Some(v)) => format!("{} [{} - {}] {}", g(v.ratio, 3), g(v.lo, 3), g(v.hi, 3), v.verdict),
                (None, None) => format!("no baseline ({})", absent(&r.cells[cmp.baseline]).unwrap_or("-")),
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", r.label(), cells.join(" | "));
    }

    s.push_str("\n## Speedup / efficiency (each study against its own baseline configuration)\n\n");
    header(&mut s, "ranks x threads", &quoted);
    for r in &cmp.rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .map(|c| {
                absent(c).map(String::from).unwrap_or_else(|| {
                    let c = c.as_ref().expect("present");
                    let f = |v: Option<[f64; 3]>| v.map(|v| g(v[0], 2)).unwrap_or_else(|| "-".into());
                    format!("{} / {}", f(c.speedup), f(c.efficiency))
                })
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", r.label(), cells.join(" | "));
    }

    let phases = phase_columns(cmp);
    let _ = writeln!(
        s,
        "\n## Phase time per cell update, X / `{base}` (max over ranks, median over repeats, over steps x cells)\n"
    );
    let mut cols = vec!["study".to_string()];
    cols.extend(phases.iter().cloned());
    header(&mut s, "ranks x threads", &cols);
    for r in &cmp.rows {
        for (i, c) in r.cells.iter().enumerate().filter(|(i, _)| *i != cmp.baseline) {
            let Some(c) = c.as_ref().filter(|c| c.vs_baseline.is_some()) else { continue };
            let v: Vec<String> =
                phases.iter().map(|p| c.phase_ratio.get(p).map(|x| g(*x, 3)).unwrap_or_else(|| "-".into())).collect();
            let _ = writeln!(s, "| {} | `{}` | {} |", r.label(), labels[i], v.join(" | "));
        }
    }

    s.push_str("\n## Configurations not in every study\n\n");
    if cmp.partial.is_empty() {
        s.push_str("None: every study has every configuration.\n");
    }
    for p in &cmp.partial {
        let _ = writeln!(
            s,
            "- {}: missing from {}",
            p.config,
            p.missing_from.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
        );
    }

    s.push_str("\n## Fits and warnings\n\n");
    for ((label, fits), (_, warnings)) in cmp.fits.iter().zip(&cmp.warnings) {
        for f in fits {
            let flag = if f.meaningful { String::new() } else { " — **not meaningful**".into() };
            let note = if f.note.is_empty() { String::new() } else { format!(" ({})", f.note) };
            let _ = writeln!(
                s,
                "- `{label}`: {} serial fraction ({}): {:.4}, RMS residual {:.4}{flag}{note}",
                capital(&f.law),
                f.points,
                f.serial_fraction,
                f.rms_residual
            );
        }
        for w in warnings {
            let _ = writeln!(s, "- `{label}`: warning: {w}");
        }
    }
    s
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// One row per configuration and study.
pub fn csv(cmp: &Comparison) -> String {
    let phases = phase_columns(cmp);
    let mut s = String::from(
        "ranks,threads,cores,study,baseline,present,runs_ok,runs_failed,grid,cells,steps,steps_per_sweep,time_median_s,time_min_s,time_max_s,cell_updates_per_second_median,cell_updates_per_second_min,cell_updates_per_second_max,percent_of_bound,speedup,efficiency,ratio,ratio_lo,ratio_hi",
    );
    for p in &phases {
        let _ = write!(s, ",phase_{p}_ratio");
    }
    s.push_str(",verdict\n");
    let labels = cmp.labels();
    for r in &cmp.rows {
        for (i, c) in r.cells.iter().enumerate() {
            let _ = write!(
                s,
                "{},{},{},{},{},{}",
                r.ranks,
                r.threads,
                r.cores,
                quote(&labels[i]),
                i == cmp.baseline,
                c.is_some()
            );
            match c {
                None => {
                    s.push_str(&",".repeat(19 + phases.len()));
                    s.push('\n');
                }
                Some(c) => {
                    let opt = |v: Option<f64>| v.map(num).unwrap_or_default();
                    let rel = c.vs_baseline.as_ref();
                    let _ = write!(
                        s,
                        ",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                        c.runs_ok,
                        c.runs_failed,
                        c.grid,
                        c.cells,
                        c.steps,
                        c.steps_per_sweep,
                        num(c.time[0]),
                        num(c.time[1]),
                        num(c.time[2]),
                        num(c.throughput[0]),
                        num(c.throughput[1]),
                        num(c.throughput[2]),
                        opt(c.percent_of_bound),
                        opt(c.speedup.map(|v| v[0])),
                        opt(c.efficiency.map(|v| v[0])),
                        opt(rel.map(|v| v.ratio)),
                        opt(rel.map(|v| v.lo)),
                        opt(rel.map(|v| v.hi)),
                    );
                    for p in &phases {
                        let _ = write!(s, ",{}", opt(c.phase_ratio.get(p).copied()));
                    }
                    let _ = writeln!(s, ",{}", rel.map(|v| quote(&v.verdict)).unwrap_or_default());
                }
            }
        }
    }
    s
}
