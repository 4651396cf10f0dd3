//! `simrun compare DIR_A DIR_B [--out DIR]`: two studies side by side.
//!
//! Configurations (ranks x threads) present in both `study.json` files are matched. For each the
//! ratio of median time per step B/A is given with its noise band: from `min_B / max_A` to
//! `max_B / min_A` (the repeats' min-max ranges). When the two min-max ranges overlap the
//! difference is "within noise"; otherwise B is "slower" or "faster". With fewer than two
//! successful repeats on a side there is no range to judge by, and the verdict says so.
//!
//! Printed as a Markdown table; with `--out` also `compare.md`, `compare.csv`, `compare.json`
//! and a `ratio` plot (PNG and SVG): the ratio per configuration with its band and the line 1.

use super::canvas::{index_label, msg, render, Figure};
use super::write::{grid_text, put};
use super::{ConfigSummary, Study};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One matched configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub ranks: usize,
    pub threads: usize,
    pub grid_a: String,
    pub grid_b: String,
    /// Seconds per step: median, min, max of A and of B.
    pub a: [f64; 3],
    pub b: [f64; 3],
    /// Median B / median A.
    pub ratio: f64,
    /// min B / max A and max B / min A.
    pub ratio_lo: f64,
    pub ratio_hi: f64,
    pub verdict: String,
}

/// Read `DIR/study.json`.
pub fn load_study(dir: &Path) -> Result<Study> {
    let p = dir.join("study.json");
    let text =
        std::fs::read_to_string(&p).map_err(|e| Error::config(format!("cannot read study {}: {e}", p.display())))?;
    serde_json::from_str(&text).map_err(|e| Error::config(format!("{}: not a simrun study: {e}", p.display())))
}

fn times(c: &ConfigSummary) -> [f64; 3] {
    [c.time_per_step_median, c.time_per_step_min, c.time_per_step_max]
}

/// Verdict from the two min-max ranges (each needs two or more successful repeats).
pub fn verdict(a: [f64; 3], b: [f64; 3], runs_a: usize, runs_b: usize) -> String {
    if runs_a < 2 || runs_b < 2 {
        return "no noise estimate (needs 2+ repeats each)".to_string();
    }
    if b[1] <= a[2] && a[1] <= b[2] {
        "within noise".to_string()
    } else if b[1] > a[2] {
        "B slower".to_string()
    } else {
        "B faster".to_string()
    }
}

/// Rows for the configurations present (with a time) in both studies, in A's order.
pub fn compare(a: &Study, b: &Study) -> Vec<Row> {
    a.summary
        .iter()
        .filter(|ca| ca.time_per_step_median.is_finite())
        .filter_map(|ca| {
            let cb = b
                .summary
                .iter()
                .find(|c| c.ranks == ca.ranks && c.threads == ca.threads && c.time_per_step_median.is_finite())?;
            let (ta, tb) = (times(ca), times(cb));
            let mut verdict = verdict(ta, tb, ca.runs_ok, cb.runs_ok);
            if ca.grid != cb.grid {
                verdict.push_str("; grids differ");
            }
            Some(Row {
                ranks: ca.ranks,
                threads: ca.threads,
                grid_a: grid_text(&ca.grid),
                grid_b: grid_text(&cb.grid),
                a: ta,
                b: tb,
                ratio: tb[0] / ta[0],
                ratio_lo: tb[1] / ta[2],
                ratio_hi: tb[2] / ta[1],
                verdict,
            })
        })
        .collect()
}

/// The ratio table as Markdown.
pub fn table(rows: &[Row], a: &Path, b: &Path) -> String {
    let mut s = format!(
        "# Time per step, B / A\n\nA = `{}`, B = `{}`; ranges are the repeats' min - max.\n\n",
        a.display(),
        b.display()
    );
    s.push_str("| ranks | threads | grid | A median (ms) | A min - max (ms) | B median (ms) | B min - max (ms) | B/A | B/A range | verdict |\n");
    s.push_str(&"|---".repeat(10));
    s.push_str("|\n");
    for r in rows {
        let grid = if r.grid_a == r.grid_b { r.grid_a.clone() } else { format!("{} / {}", r.grid_a, r.grid_b) };
        let _ = writeln!(
            s,
            "| {} | {} | {grid} | {:.3} | {:.3} - {:.3} | {:.3} | {:.3} - {:.3} | {:.3} | {:.3} - {:.3} | {} |",
            r.ranks,
            r.threads,
            r.a[0] * 1e3,
            r.a[1] * 1e3,
            r.a[2] * 1e3,
            r.b[0] * 1e3,
            r.b[1] * 1e3,
            r.b[2] * 1e3,
            r.ratio,
            r.ratio_lo,
            r.ratio_hi,
            r.verdict
        );
    }
    s
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from("ranks,threads,grid_a,grid_b,a_median_s,a_min_s,a_max_s,b_median_s,b_min_s,b_max_s,ratio,ratio_lo,ratio_hi,verdict\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},\"{}\"",
            r.ranks,
            r.threads,
            r.grid_a,
            r.grid_b,
            r.a[0],
            r.a[1],
            r.a[2],
            r.b[0],
            r.b[1],
            r.b[2],
            r.ratio,
            r.ratio_lo,
            r.ratio_hi,
            r.verdict
        );
    }
    s
}

struct RatioFigure<'a> {
    rows: &'a [Row],
    title: String,
}

impl Figure for RatioFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(msg)?;
        let n = self.rows.len();
        let labels: Vec<String> = self.rows.iter().map(|r| format!("{}x{}", r.ranks, r.threads)).collect();
        let finite = |v: f64| if v.is_finite() && v > 0.0 { v } else { 1.0 };
        let hi = self.rows.iter().map(|r| finite(r.ratio_hi).max(finite(r.ratio))).fold(1.0, f64::max) * 1.1;
        let lo = self.rows.iter().map(|r| finite(r.ratio_lo).min(finite(r.ratio))).fold(1.0, f64::min) * 0.9;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, (lo..hi).log_scale())
            .map_err(msg)?;
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|x| index_label(&labels, *x))
            .x_desc("ranks x threads")
            .y_desc("time per step B / A, log scale (bar: min-max range)")
            .disable_x_mesh()
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(msg)?;
        chart
            .draw_series(LineSeries::new(vec![(-0.5, 1.0), (n as f64 - 0.5, 1.0)], BLACK.stroke_width(1)))
            .map_err(msg)?;
        let blue = BLUE.to_rgba();
        for (i, r) in self.rows.iter().enumerate() {
            let x = i as f64;
            let bar = vec![(x, r.ratio_lo), (x, r.ratio_hi)];
            let caps = [r.ratio_lo, r.ratio_hi]
                .map(|y| PathElement::new(vec![(x - 0.08, y), (x + 0.08, y)], blue.stroke_width(2)));
            chart.draw_series(std::iter::once(PathElement::new(bar, blue.stroke_width(2)))).map_err(msg)?;
            chart.draw_series(caps).map_err(msg)?;
            chart.draw_series(std::iter::once(Circle::new((x, r.ratio), 5, blue.filled()))).map_err(msg)?;
            let text = format!("{:.3} {}", r.ratio, if r.verdict.starts_with("within") { "(noise)" } else { "" });
            chart.draw_series(std::iter::once(Text::new(text, (x + 0.1, r.ratio), ("sans-serif", 13)))).map_err(msg)?;
        }
        Ok(())
    }
}

/// `simrun compare`: print the table; with `out`, write it and the plot there.
pub fn compare_command(dir_a: &Path, dir_b: &Path, out: Option<&Path>) -> Result<()> {
    let (a, b) = (load_study(dir_a)?, load_study(dir_b)?);
    let rows = compare(&a, &b);
    if rows.is_empty() {
        return Err(Error::config(format!(
            "no configuration (ranks x threads) with a time is in both {} and {}",
            dir_a.display(),
            dir_b.display()
        )));
    }
    let md = table(&rows, dir_a, dir_b);
    print!("{md}");
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
        put(dir, "compare.md", &md)?;
        put(dir, "compare.csv", &csv(&rows))?;
        let json = serde_json::to_string_pretty(&rows).map_err(|e| Error::other(e.to_string()))?;
        put(dir, "compare.json", &(json + "\n"))?;
        let name = |d: &Path| {
            d.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| d.display().to_string())
        };
        let fig =
            RatioFigure { rows: &rows, title: format!("Time per step B/A (A: {}, B: {})", name(dir_a), name(dir_b)) };
        render(&fig, dir, "ratio", super::plot::SIZE)?;
        eprintln!("compare: wrote {}/{{compare.md, compare.csv, compare.json, ratio.png, ratio.svg}}", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_are_noise_and_separate_ones_are_not() {
        assert_eq!(verdict([1.0, 0.9, 1.1], [1.05, 1.0, 1.2], 3, 3), "within noise");
        assert_eq!(verdict([1.0, 0.9, 1.1], [1.5, 1.2, 1.6], 3, 3), "B slower");
        assert_eq!(verdict([1.0, 0.9, 1.1], [0.5, 0.4, 0.6], 3, 3), "B faster");
        assert!(verdict([1.0, 1.0, 1.0], [2.0, 2.0, 2.0], 1, 3).starts_with("no noise estimate"));
    }
}
