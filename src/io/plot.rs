//! Line plots as PNG, drawn with plotters: panels side by side, each with its title, labelled
//! axes, curves (lines) and reference points (markers), and a legend. Written atomically
//! ([`super::drawing::write_png`]).

use super::drawing::{register_font, write_png, SANS};
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::path::Path;

/// One panel: a title, axis labels, series of (x, y) points, and the corner of its legend.
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub legend: SeriesLabelPosition,
}

/// A named series: a line through `data`, or (`points = true`) a marker at each point.
pub struct Series {
    pub label: String,
    pub data: Vec<(f64, f64)>,
    pub rgb: [u8; 3],
    pub points: bool,
}

/// Size of one panel in pixels.
pub const PANEL: (u32, u32) = (560, 540);

/// The panels side by side into `path`, each with its own data range.
pub fn write_panels(path: &Path, panels: &[Panel]) -> Result<()> {
    register_font();
    let (w, h) = (PANEL.0 * panels.len().max(1) as u32, PANEL.1);
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    draw(&mut rgb, (w, h), panels).map_err(|e| Error::io(format!("cannot draw {}: {e}", path.display())))?;
    write_png(path, &rgb, w, h)
}

fn draw(rgb: &mut [u8], size: (u32, u32), panels: &[Panel]) -> std::result::Result<(), String> {
    let root = BitMapBackend::with_buffer(rgb, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (area, p) in areas.iter().zip(panels) {
        draw_panel(area, p).map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// The range of `v` padded by 5 % on each side (a unit range around a single value).
fn padded(v: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) =
        v.filter(|x| x.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    lo - pad..hi + pad
}

/// A tick label with as many decimals as ticks about a tenth of `span` apart need, and no "-0".
fn tick(v: f64, span: f64) -> String {
    let decimals = (-(span / 10.0).log10().floor()).clamp(0.0, 8.0) as usize;
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn draw_panel(area: &Area<'_>, p: &Panel) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let all = || p.series.iter().flat_map(|s| s.data.iter().copied());
    let (xr, yr) = (padded(all().map(|q| q.0)), padded(all().map(|q| q.1)));
    let (xs, ys) = (xr.end - xr.start, yr.end - yr.start);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (SANS, 19))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(56)
        .build_cartesian_2d(xr, yr)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| tick(*v, xs))
        .y_label_formatter(&|v| tick(*v, ys))
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .label_style((SANS, 13))
        .axis_desc_style((SANS, 15))
        .draw()?;
    for s in &p.series {
        let colour = RGBColor(s.rgb[0], s.rgb[1], s.rgb[2]);
        let drawn = if s.points {
            chart.draw_series(
                s.data
                    .iter()
                    .map(|&q| EmptyElement::at(q) + Rectangle::new([(-4, -4), (4, 4)], colour.stroke_width(2))),
            )?
        } else {
            chart.draw_series(LineSeries::new(s.data.iter().copied(), colour.stroke_width(2)))?
        };
        let points = s.points;
        drawn.label(s.label.as_str()).legend(move |(x, y)| -> DynElement<'static, BitMapBackend<'_>, (i32, i32)> {
            if points {
                Rectangle::new([(x + 6, y - 4), (x + 14, y + 4)], colour.stroke_width(2)).into_dyn()
            } else {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)).into_dyn()
            }
        });
    }
    chart
        .configure_series_labels()
        .position(p.legend.clone())
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((SANS, 13))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_draw_to_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plot.png");
        let line: Vec<(f64, f64)> = (0..50).map(|i| (i as f64 / 49.0, (i as f64 / 8.0).sin())).collect();
        let pts: Vec<(f64, f64)> = line.iter().step_by(7).copied().collect();
        let panel = |t: &str| Panel {
            title: t.into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![
                Series { label: "line".into(), data: line.clone(), rgb: [30, 80, 200], points: false },
                Series { label: "points".into(), data: pts.clone(), rgb: [210, 40, 40], points: true },
            ],
            legend: SeriesLabelPosition::UpperRight,
        };
        write_panels(&p, &[panel("a"), panel("b")]).unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap()));
        let info = dec.read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height), (2 * PANEL.0, PANEL.1));
    }

    #[test]
    fn ticks() {
        assert_eq!(tick(-1e-17, 1.0), "0.0");
        assert_eq!(tick(0.25, 1.0), "0.2");
        assert_eq!(tick(0.126, 0.1), "0.13");
        assert_eq!(tick(250.0, 1000.0), "250");
    }
}
