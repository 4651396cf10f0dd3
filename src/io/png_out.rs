//! PNG images of a 2-D field (or a slice of a 3-D one): the field in a colour map with axes in
//! cells, a colour bar with its scale, and a title, drawn with plotters into an RGB buffer and
//! written atomically ([`super::drawing::write_png`]).
//!
//! Colour maps (colorous): "inferno" (perceptually uniform, van der Walt & Smith) for a field of
//! one sign; for a field with values of both signs, the diverging red-blue map (ColorBrewer RdBu)
//! centred on zero, negative blue and positive red, over [-m, m] with m the largest magnitude.
//! NaN cells are magenta; infinities take the end colours. The colours come from a 1024-entry table
//! built once per image (no allocation per pixel).

use super::drawing::{register_font, write_png, SANS};
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// Render `data` (C order, `ny` rows of `nx`, row 0 at the bottom of the picture: y points up)
/// with a colour bar to `path`. Small grids are scaled up, large ones sampled down.
pub fn write_field_png(path: &Path, data: &[f64], ny: usize, nx: usize, title: &str) -> Result<()> {
    write_sampled_png(path, data, [ny, nx], [ny, nx], title)
}

/// As [`write_field_png`] from a sampled field: `data` holds `samples` = (my, mx) values, sample
/// (a, b) being the cell ([`sample_index`]) of a grid of `cells` = (ny, nx) cells, whose extent
/// the axes show.
pub fn write_sampled_png(path: &Path, data: &[f64], samples: [usize; 2], cells: [usize; 2], title: &str) -> Result<()> {
    let img = render_sampled(data, samples, cells, title)
        .map_err(|e| Error::io(format!("cannot draw {}: {e}", path.display())))?;
    write_png(path, &img.rgb, img.width as u32, img.height as u32)
}

/// Samples per axis of an image of `n` cells: the picture is about 800 pixels on its long side,
/// so more samples would not show.
pub fn samples_for(n: usize) -> usize {
    n.min(800)
}

/// The cell of sample `a` of `m` samples over `n` cells: the cell holding the sample's centre.
pub fn sample_index(a: usize, m: usize, n: usize) -> usize {
    (((2 * a + 1) * n) / (2 * m)).min(n.saturating_sub(1))
}

pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

/// How values map to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Inferno over [lo, hi].
    Sequential { lo: f64, hi: f64 },
    /// Red-blue over [-m, m].
    Diverging { m: f64 },
}

impl Scale {
    /// The scale for these values (non-finite ones ignored): diverging if they have both signs.
    pub fn for_data(data: &[f64]) -> Scale {
        let finite = data.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if !lo.is_finite() {
            Scale::Sequential { lo: 0.0, hi: 1.0 }
        } else if lo < 0.0 && hi > 0.0 {
            Scale::Diverging { m: hi.max(-lo) }
        } else if hi > lo {
            Scale::Sequential { lo, hi }
        } else {
            Scale::Sequential { lo: lo - 0.5, hi: lo + 0.5 }
        }
    }

    /// The value range of the colour bar.
    pub fn range(self) -> (f64, f64) {
        match self {
            Scale::Sequential { lo, hi } => (lo, hi),
            Scale::Diverging { m } => (-m, m),
        }
    }

    fn gradient(self) -> (colorous::Gradient, bool) {
        match self {
            Scale::Sequential { .. } => (colorous::INFERNO, false),
            // RED_BLUE runs red to blue: reversed, negative values are blue.
            Scale::Diverging { .. } => (colorous::RED_BLUE, true),
        }
    }
}

const LUT: usize = 1024;

/// The colours of `scale`, [`LUT`] entries from the low end to the high end.
struct Colours {
    table: Vec<[u8; 3]>,
    lo: f64,
    span: f64,
}

impl Colours {
    fn new(scale: Scale) -> Colours {
        let (g, reverse) = scale.gradient();
        let table = (0..LUT)
            .map(|i| {
                let t = i as f64 / (LUT - 1) as f64;
                let c = g.eval_continuous(if reverse { 1.0 - t } else { t });
                [c.r, c.g, c.b]
            })
            .collect();
        let (lo, hi) = scale.range();
        Colours { table, lo, span: hi - lo }
    }

    #[inline]
    fn of(&self, v: f64) -> [u8; 3] {
        if v.is_nan() {
            return [255, 0, 255];
        }
        let t = ((v - self.lo) / self.span).clamp(0.0, 1.0);
        self.table[(t * (LUT - 1) as f64).round() as usize]
    }
}

/// Draw the picture: plotters lays out the title, the axes and the colour bar's scale; the field
/// and the bar's colours then go straight into the pixels of the two plotting areas.
pub fn render(data: &[f64], ny: usize, nx: usize, title: &str) -> std::result::Result<Image, String> {
    render_sampled(data, [ny, nx], [ny, nx], title)
}

/// [`render`] of a sampled field (see [`write_sampled_png`]).
pub fn render_sampled(
    data: &[f64],
    samples: [usize; 2],
    cells: [usize; 2],
    title: &str,
) -> std::result::Result<Image, String> {
    let [my, mx] = samples;
    let [ny, nx] = cells;
    assert_eq!(data.len(), my * mx, "{my} x {mx} samples");
    register_font();
    // Field area: about 800 px on the long side; room around it for labels and the bar.
    let scale_px = 800.0 / nx.max(ny).max(1) as f64;
    let fw = ((nx as f64 * scale_px).round() as u32).max(1);
    let fh = ((ny as f64 * scale_px).round() as u32).max(1);
    let (left, right, top, bottom, bar_w) = (70u32, 20u32, 50u32, 50u32, 130u32);
    let (width, height) = (left + fw + right + bar_w, top + fh + bottom);
    let scale = Scale::for_data(data);
    let colours = Colours::new(scale);
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let msg = |e: &dyn std::fmt::Display| e.to_string();
    let (field_px, bar_px) = {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        let (main, bar) = root.split_horizontally(left + fw + right);
        let mut chart = ChartBuilder::on(&main)
            .caption(title, (SANS, 20))
            .margin_top(10)
            .margin_right(right)
            .x_label_area_size(bottom - 10)
            .y_label_area_size(left)
            .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)
            .map_err(|e| msg(&e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((SANS, 13))
            .draw()
            .map_err(|e| msg(&e))?;
        let field_px = chart.plotting_area().get_pixel_range();
        let (lo, hi) = scale.range();
        let mut bar_chart = ChartBuilder::on(&bar)
            .margin_top(10 + 20 + 5)
            .margin_bottom(bottom - 10)
            .right_y_label_area_size(bar_w - 34)
            .build_cartesian_2d(0f64..1.0, lo..hi)
            .map_err(|e| msg(&e))?;
        bar_chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_label_formatter(&|v| format_tick(*v))
            .label_style((SANS, 13))
            .draw()
            .map_err(|e| msg(&e))?;
        let bar_px = bar_chart.plotting_area().get_pixel_range();
        root.present().map_err(|e| msg(&e))?;
        (field_px, bar_px)
    };
    let w = width as usize;
    let mut put = |x: usize, y: usize, c: [u8; 3]| {
        let k = 3 * (y * w + x);
        rgb[k..k + 3].copy_from_slice(&c);
    };
    let (xs, ys) = pixels(&field_px, width, height);
    let (fw, fh) = (xs.len(), ys.len());
    for (py, y) in ys.clone().enumerate() {
        let j = my - 1 - ((py * my) / fh).min(my - 1);
        for (px, x) in xs.clone().enumerate() {
            let i = ((px * mx) / fw).min(mx - 1);
            put(x, y, colours.of(data[j * mx + i]));
        }
    }
    // Colour bar, high values at the top.
    let (bxs, bys) = pixels(&bar_px, width, height);
    let (lo, hi) = scale.range();
    let n = bys.len().max(2) - 1;
    for (py, y) in bys.enumerate() {
        let c = colours.of(hi - (hi - lo) * py as f64 / n as f64);
        for x in bxs.clone() {
            put(x, y, c);
        }
    }
    Ok(Image { width: w, height: height as usize, rgb })
}

/// A plotting area's pixel ranges inside the image, inside its frame line.
fn pixels(r: &(Range<i32>, Range<i32>), width: u32, height: u32) -> (Range<usize>, Range<usize>) {
    let clip = |a: i32, n: u32| a.clamp(0, n as i32) as usize;
    (clip(r.0.start + 1, width)..clip(r.0.end, width), clip(r.1.start, height)..clip(r.1.end - 1, height))
}

fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        assert_eq!(Scale::for_data(&[1.0, 3.0, f64::NAN]), Scale::Sequential { lo: 1.0, hi: 3.0 });
        assert_eq!(Scale::for_data(&[-1.0, 3.0, f64::INFINITY]), Scale::Diverging { m: 3.0 });
        assert_eq!(Scale::for_data(&[2.0, 2.0]), Scale::Sequential { lo: 1.5, hi: 2.5 });
        assert_eq!(Scale::for_data(&[f64::NAN]), Scale::Sequential { lo: 0.0, hi: 1.0 });
        // Diverging: zero is the middle colour (near white), negatives blue, positives red.
        let c = Colours::new(Scale::Diverging { m: 2.0 });
        let (neg, zero, pos) = (c.of(-2.0), c.of(0.0), c.of(2.0));
        assert!(neg[2] > neg[0] && pos[0] > pos[2], "{neg:?} {pos:?}");
        assert!(zero.iter().all(|&v| v > 230), "{zero:?}");
        assert_eq!(c.of(f64::NAN), [255, 0, 255]);
        assert_eq!(c.of(f64::INFINITY), c.of(2.0));
    }

    /// The field's corners land in the right places: row 0 at the bottom, x to the right.
    #[test]
    fn field_orientation_and_colours() {
        let (ny, nx) = (3, 4);
        let mut data = vec![0.5; ny * nx];
        data[0] = 0.0; // (x 0, y 0): bottom left, the low colour
        data[ny * nx - 1] = 1.0; // (x 3, y 2): top right, the high colour
        let img = render(&data, ny, nx, "t").unwrap();
        let c = Colours::new(Scale::Sequential { lo: 0.0, hi: 1.0 });
        let px = |x: usize, y: usize| {
            let k = 3 * (y * img.width + x);
            [img.rgb[k], img.rgb[k + 1], img.rgb[k + 2]]
        };
        // Field: 800 x 600 px from (71, ~51); probe well inside the corner cells.
        let (x0, y1) = (71 + 50, 50 + 600 - 60);
        assert_eq!(px(x0, y1), c.of(0.0));
        assert_eq!(px(71 + 800 - 50, 70), c.of(1.0));
        assert_eq!(px(71 + 400 - 50, 300), c.of(0.5));
    }
}
