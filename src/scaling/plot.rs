//! Study plots, each as PNG and SVG ([`canvas`](super::canvas)):
//! - `speedup`: speedup against cores (ranks x threads), one line per threads-per-rank count,
//!   every point labelled RxT with a min-max error bar (from the repeats' min and max times),
//!   with the ideal line S = p (for weak studies: scaled speedup).
//! - `efficiency`: parallel efficiency against cores, ideal 1, error bars likewise.
//!
//! The legends of both stand in their own strip right of the plot, clear of every point.
//! - `phases`: a stacked bar per configuration of the share of each phase (mean over ranks,
//!   median over repeats) in the run's phase total; every phase present is drawn.

use super::canvas::{index_label, msg, render, Figure};
use super::Study;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

pub const SIZE: (u32, u32) = (900, 600);

/// A point of a [`LineFigure`]: cores, value, its min-max range, its label.
#[derive(Debug, Clone)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub lo: f64,
    pub hi: f64,
    pub label: String,
}

/// One line of a [`LineFigure`]: its legend and points.
pub type Series = (String, Vec<Point>);

const LEGEND_WIDTH: u32 = 200;

/// A metric against cores, one line per group, with an ideal line.
pub struct LineFigure {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// The ideal line's points and legend.
    pub ideal: (String, Vec<(f64, f64)>),
}

impl Figure for LineFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(msg)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend) = root.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
        let pts = self.series.iter().flat_map(|(_, p)| p.iter().flat_map(|q| [(q.x, q.y), (q.x, q.hi)]));
        let all: Vec<(f64, f64)> = pts.chain(self.ideal.1.iter().copied()).filter(|p| p.1.is_finite()).collect();
        let x_max = all.iter().map(|p| p.0).fold(1.0, f64::max) * 1.1 + 0.2;
        let y_max = all.iter().map(|p| p.1).fold(1.0, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(&self.title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(msg)?;
        chart
            .configure_mesh()
            .x_desc("cores (ranks x threads)")
            .y_desc(self.y_label.as_str())
            .light_line_style(TRANSPARENT)
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(msg)?;
        chart.draw_series(LineSeries::new(self.ideal.1.iter().copied(), BLACK.stroke_width(1))).map_err(msg)?;
        let mut ly = 60;
        for (i, (name, points)) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let good: Vec<&Point> = points.iter().filter(|p| p.y.is_finite()).collect();
            chart.draw_series(LineSeries::new(good.iter().map(|p| (p.x, p.y)), color.stroke_width(2))).map_err(msg)?;
            // Bars a little apart per series: points of different series often share a core count.
            let dx =
                0.04 * x_max * (i as f64 - (self.series.len() as f64 - 1.0) / 2.0) / self.series.len().max(1) as f64;
            for p in good.iter().filter(|p| p.lo.is_finite() && p.hi.is_finite()) {
                let x = p.x + dx;
                chart
                    .draw_series(std::iter::once(PathElement::new(vec![(x, p.lo), (x, p.hi)], color.stroke_width(2))))
                    .map_err(msg)?;
                let cap = 0.01 * x_max;
                chart
                    .draw_series(
                        [p.lo, p.hi].map(|y| PathElement::new(vec![(x - cap, y), (x + cap, y)], color.stroke_width(2))),
                    )
                    .map_err(msg)?;
            }
            // Labels staggered per series.
            let dy = 4 - 18 * (i as i32 % 2);
            chart
                .draw_series(good.iter().map(|p| {
                    EmptyElement::at((p.x, p.y))
                        + Circle::new((0, 0), 4, color.filled())
                        + Text::new(p.label.clone(), (7, dy), ("sans-serif", 13))
                }))
                .map_err(msg)?;
            legend.draw(&PathElement::new(vec![(8, ly + 8), (28, ly + 8)], color.stroke_width(2))).map_err(msg)?;
            legend.draw(&Text::new(name.clone(), (34, ly), ("sans-serif", 15))).map_err(msg)?;
            ly += 24;
        }
        legend.draw(&PathElement::new(vec![(8, ly + 8), (28, ly + 8)], BLACK.stroke_width(1))).map_err(msg)?;
        legend.draw(&Text::new(self.ideal.0.clone(), (34, ly), ("sans-serif", 15))).map_err(msg)?;
        legend.draw(&Text::new("bars: min - max of the repeats", (8, ly + 34), ("sans-serif", 13))).map_err(msg)?;
        Ok(())
    }
}

/// Stacked bars of shares (percent), one bar per labelled column.
pub struct StackFigure {
    pub title: String,
    pub columns: Vec<String>,
    /// (part name, value per column); each column is normalised to 100 %.
    pub parts: Vec<(String, Vec<f64>)>,
}

impl Figure for StackFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(msg)?;
        let n = self.columns.len();
        // The legend gets its own strip on the right, clear of the bars.
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(170));
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(&self.title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..100f64)
            .map_err(msg)?;
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|x| index_label(&self.columns, *x))
            .x_desc("ranks x threads")
            .y_desc("share of phase time (%)")
            .disable_x_mesh()
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(msg)?;
        let totals: Vec<f64> = (0..n).map(|c| self.parts.iter().map(|(_, v)| v[c].max(0.0)).sum()).collect();
        let mut base = vec![0.0; n];
        for (i, (name, values)) in self.parts.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let bars: Vec<Rectangle<(f64, f64)>> = (0..n)
                .filter(|&c| totals[c] > 0.0)
                .map(|c| {
                    let share = 100.0 * values[c].max(0.0) / totals[c];
                    let r = Rectangle::new(
                        [(c as f64 - 0.35, base[c]), (c as f64 + 0.35, base[c] + share)],
                        color.filled(),
                    );
                    base[c] += share;
                    r
                })
                .collect();
            chart.draw_series(bars).map_err(msg)?;
            let y = 60 + 24 * i as i32;
            legend_area.draw(&Rectangle::new([(10, y), (26, y + 16)], color.filled())).map_err(msg)?;
            legend_area.draw(&Text::new(name.clone(), (34, y), ("sans-serif", 15))).map_err(msg)?;
        }
        Ok(())
    }
}

/// Write `speedup`, `efficiency` and `phases` (PNG and SVG) for `study` into `dir`.
pub fn study_plots(study: &Study, dir: &Path) -> Result<()> {
    let m = &study.meta;
    let what = format!("{} scaling, {}", m.mode.name(), super::write::grid_text(&m.base_grid));
    let p_max = study.summary.iter().map(|c| c.cores).max().unwrap_or(1) as f64;
    let mut threads: Vec<usize> = study.summary.iter().map(|c| c.threads).collect();
    threads.sort();
    threads.dedup();
    let series = |pick: fn(&super::ConfigSummary) -> Option<f64>| -> Vec<Series> {
        threads
            .iter()
            .map(|&t| {
                let mut pts: Vec<Point> = study
                    .summary
                    .iter()
                    .filter(|c| c.threads == t)
                    .map(|c| {
                        // Speedup and efficiency scale as 1/time: their range from the min-max times.
                        let y = pick(c).unwrap_or(f64::NAN);
                        let tm = c.time_per_step_median;
                        Point {
                            x: c.cores as f64,
                            y,
                            lo: y * tm / c.time_per_step_max,
                            hi: y * tm / c.time_per_step_min,
                            label: c.label(),
                        }
                    })
                    .collect();
                pts.sort_by(|a, b| a.x.total_cmp(&b.x));
                (format!("{t} thread(s) per rank"), pts)
            })
            .collect()
    };
    let (speedup_label, efficiency_label) = super::basis::axis_labels(study);
    let speedup = LineFigure {
        title: format!("Speedup ({what})"),
        y_label: speedup_label,
        series: series(|c| c.speedup),
        ideal: ("ideal (S = p)".to_string(), vec![(1.0, 1.0), (p_max, p_max)]),
    };
    render(&speedup, dir, "speedup", SIZE)?;
    let efficiency = LineFigure {
        title: format!("Parallel efficiency ({what})"),
        y_label: efficiency_label,
        series: series(|c| c.efficiency),
        ideal: ("ideal (1)".to_string(), vec![(1.0, 1.0), (p_max, 1.0)]),
    };
    render(&efficiency, dir, "efficiency", SIZE)?;
    let names = super::write::phase_names(study.summary.iter().map(|c| &c.phases_mean));
    let phases = StackFigure {
        title: format!("Phase shares ({what})"),
        columns: study.summary.iter().map(|c| c.label()).collect(),
        parts: names
            .iter()
            .map(|n| (n.clone(), study.summary.iter().map(|c| c.phases_mean.get(n).copied().unwrap_or(0.0)).collect()))
            .collect(),
    };
    render(&phases, dir, "phases", SIZE)
}
