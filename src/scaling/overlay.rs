//! Overlaid charts of several studies over the same configurations: the configurations along x
//! (ranks x threads, as labels), one series per study in its own colour, each point with a
//! min-max error bar; series are offset a little along x so that bars at one configuration do
//! not hide each other. An ideal value per configuration is drawn as a short black dash, a
//! reference value (e.g. 1 for ratios) as a line. The legend has its own strip right of the
//! plot, so it never covers a point. The y axis is linear from 0 (every quantity is positive).

use super::canvas::{index_label, msg, render as render_figure, Figure};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A value with its range.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub mid: f64,
    pub lo: f64,
    pub hi: f64,
}

/// One study: a point per category, None where it has none.
pub struct CatSeries {
    pub name: String,
    /// Picks the colour (the study's index, so a study keeps its colour on every chart).
    pub color_index: usize,
    pub points: Vec<Option<Band>>,
}

pub struct CategoryFigure {
    pub title: String,
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<CatSeries>,
    /// Legend and the ideal value at each category.
    pub ideal: Option<(String, Vec<f64>)>,
    /// Legend and a value drawn across the chart.
    pub reference: Option<(String, f64)>,
}

pub const SIZE: (u32, u32) = (1000, 600);
const LEGEND_WIDTH: u32 = 230;

/// Study i's colour: Tableau 10 (distinct, none too light on white).
pub fn color(i: usize) -> RGBAColor {
    let c = colorous::TABLEAU10[i % colorous::TABLEAU10.len()];
    RGBAColor(c.r, c.g, c.b, 1.0)
}

impl CategoryFigure {
    fn y_max(&self) -> f64 {
        let pts = self.series.iter().flat_map(|s| s.points.iter().flatten().flat_map(|b| [b.mid, b.hi]));
        let ideal = self.ideal.iter().flat_map(|(_, v)| v.iter().copied());
        let refs = self.reference.iter().map(|r| r.1);
        pts.chain(ideal).chain(refs).filter(|v| v.is_finite()).fold(0.0, f64::max).max(1e-12) * 1.12
    }
}

impl Figure for CategoryFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(msg)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend) = root.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
        let n = self.categories.len().max(1);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..self.y_max())
            .map_err(msg)?;
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|x| index_label(&self.categories, *x))
            .y_labels(8)
            .x_desc("ranks x threads")
            .y_desc(self.y_label.as_str())
            .disable_x_mesh()
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(msg)?;
        if let Some((_, v)) = &self.reference {
            chart
                .draw_series(LineSeries::new(vec![(-0.5, *v), (n as f64 - 0.5, *v)], BLACK.stroke_width(1)))
                .map_err(msg)?;
        }
        if let Some((_, ideal)) = &self.ideal {
            let dashes = ideal
                .iter()
                .enumerate()
                .map(|(i, &y)| PathElement::new(vec![(i as f64 - 0.3, y), (i as f64 + 0.3, y)], BLACK.stroke_width(2)));
            chart.draw_series(dashes).map_err(msg)?;
        }
        let k = self.series.len();
        let step = (0.6 / k.max(1) as f64).min(0.15);
        for (j, s) in self.series.iter().enumerate() {
            let c = color(s.color_index);
            let dx = (j as f64 - (k as f64 - 1.0) / 2.0) * step;
            let pts: Vec<(f64, Band)> = s
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, b)| b.filter(|b| b.mid.is_finite()).map(|b| (i as f64 + dx, b)))
                .collect();
            // Lines join neighbouring categories only (a missing one breaks the line).
            for w in pts.windows(2) {
                if (w[1].0 - w[0].0 - 1.0).abs() < 1e-9 {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(w[0].0, w[0].1.mid), (w[1].0, w[1].1.mid)],
                            c.stroke_width(1),
                        )))
                        .map_err(msg)?;
                }
            }
            for &(x, b) in &pts {
                if b.lo.is_finite() && b.hi.is_finite() {
                    let bar = PathElement::new(vec![(x, b.lo), (x, b.hi)], c.stroke_width(2));
                    let caps =
                        [b.lo, b.hi].map(|y| PathElement::new(vec![(x - 0.03, y), (x + 0.03, y)], c.stroke_width(2)));
                    chart.draw_series(std::iter::once(bar)).map_err(msg)?;
                    chart.draw_series(caps).map_err(msg)?;
                }
                chart.draw_series(std::iter::once(Circle::new((x, b.mid), 5, c.filled()))).map_err(msg)?;
            }
        }
        // The legend strip.
        let mut y = 60;
        for s in &self.series {
            let c = color(s.color_index);
            legend.draw(&Circle::new((18, y + 8), 6, c.filled())).map_err(msg)?;
            legend.draw(&Text::new(s.name.clone(), (32, y), ("sans-serif", 15))).map_err(msg)?;
            y += 24;
        }
        for name in self.ideal.iter().map(|i| &i.0).chain(self.reference.iter().map(|r| &r.0)) {
            legend.draw(&PathElement::new(vec![(8, y + 8), (28, y + 8)], BLACK.stroke_width(2))).map_err(msg)?;
            legend.draw(&Text::new(name.clone(), (32, y), ("sans-serif", 15))).map_err(msg)?;
            y += 24;
        }
        legend.draw(&Text::new("bars: min - max", (8, y + 10), ("sans-serif", 13))).map_err(msg)?;
        Ok(())
    }
}

/// Draw `fig` into `<dir>/<name>.png` and `.svg`.
pub fn render(fig: &CategoryFigure, dir: &Path, name: &str) -> Result<()> {
    render_figure(fig, dir, name, SIZE)
}
