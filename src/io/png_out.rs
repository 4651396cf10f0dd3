//! PNG images of a 2-D field (or a slice of a 3-D one): the field in a colour map with axes in
//! physical coordinates (0..lx, 0..ly, labelled with the axes' names and units), a colour bar
//! with its scale, and a title (field, units, step, t, and the slice's position in 3-D), drawn
//! with plotters into an RGB buffer and written atomically ([`super::drawing::write_png_text`]).
//! Each file carries its title, field, units, colour scale and range and extent as PNG tEXt
//! chunks (`Title`, `simrun:field`, `simrun:units`, `simrun:scale`, `simrun:range`,
//! `simrun:extent`), so a script can tell what a frame shows without reading pixels.
//!
//! Colour maps (colorous): "inferno" (perceptually uniform, van der Walt & Smith) for a field of
//! one sign; for a field with values of both signs, the diverging red-blue map (ColorBrewer RdBu)
//! centred on zero, negative blue and positive red, over [-m, m] with m the largest magnitude.
//! With a fixed range (`output.image_range` = [lo, hi]) every frame uses it: inferno over
//! [lo, hi], or, when lo < 0 < hi, the diverging map with white at 0, each half stretched over
//! its side ([lo, 0] and [0, hi]). NaN cells are magenta; values beyond the range and infinities
//! take the end colours. The colours come from a 1024-entry table built once per image (no
//! allocation per pixel).

use super::drawing::{register_font, write_png_text, SANS};
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// What an image shows besides its values: the field and its units, the title, the colour
/// range, the extent and the names of the axes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    pub field: String,
    /// Units of the field's values ("" when it has none, or they are the config's).
    pub units: String,
    pub title: String,
    /// A fixed colour range [lo, hi] (lo < hi); `None` = the frame's own range.
    pub range: Option<[f64; 2]>,
    /// The picture's physical extent (x, y): the axes run over 0..x and 0..y.
    pub extent: [f64; 2],
    /// The axes' labels (x, y), with their units.
    pub axes: [String; 2],
}

impl ImageInfo {
    /// A picture of `field` whose axes count cells (for tests and tools without a grid).
    pub fn cells(field: &str, title: &str, cells: [usize; 2]) -> ImageInfo {
        ImageInfo {
            field: field.to_string(),
            units: String::new(),
            title: title.to_string(),
            range: None,
            extent: [cells[1] as f64, cells[0] as f64],
            axes: ["x (cells)".into(), "y (cells)".into()],
        }
    }
}

/// Render `data` (C order, `ny` rows of `nx`, row 0 at the bottom of the picture: y points up)
/// with a colour bar to `path`. Small grids are scaled up, large ones sampled down.
pub fn write_field_png(path: &Path, data: &[f64], ny: usize, nx: usize, title: &str) -> Result<()> {
    write_sampled_png(path, data, [ny, nx], &ImageInfo::cells("", title, [ny, nx]))
}

/// As [`write_field_png`] from a sampled field: `data` holds `samples` = (my, mx) values, sample
/// (a, b) being a cell ([`sample_index`]) of the grid, shown over `info.extent`.
pub fn write_sampled_png(path: &Path, data: &[f64], samples: [usize; 2], info: &ImageInfo) -> Result<()> {
    let img =
        render_sampled(data, samples, info).map_err(|e| Error::io(format!("cannot draw {}: {e}", path.display())))?;
    let (lo, hi) = img.scale.range();
    let text = [
        ("Title", info.title.clone()),
        ("simrun:field", info.field.clone()),
        ("simrun:units", info.units.clone()),
        ("simrun:scale", img.scale.name().to_string()),
        ("simrun:range", format!("{lo:e},{hi:e}")),
        ("simrun:extent", format!("{:e},{:e}", info.extent[0], info.extent[1])),
    ];
    write_png_text(path, &img.rgb, img.width as u32, img.height as u32, &text)
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
    /// The colour scale used.
    pub scale: Scale,
}

/// How values map to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Inferno over [lo, hi].
    Sequential { lo: f64, hi: f64 },
    /// Red-blue over [lo, hi] with lo < 0 < hi, white at 0: blue over [lo, 0], red over [0, hi].
    Diverging { lo: f64, hi: f64 },
}

impl Scale {
    /// The scale for these values (non-finite ones ignored): diverging over [-m, m] if they have
    /// both signs.
    pub fn for_data(data: &[f64]) -> Scale {
        let finite = data.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if !lo.is_finite() {
            Scale::Sequential { lo: 0.0, hi: 1.0 }
        } else if lo < 0.0 && hi > 0.0 {
            let m = hi.max(-lo);
            Scale::Diverging { lo: -m, hi: m }
        } else if hi > lo {
            Scale::Sequential { lo, hi }
        } else {
            Scale::Sequential { lo: lo - 0.5, hi: lo + 0.5 }
        }
    }

    /// A fixed range [lo, hi] (lo < hi): diverging centred on 0 if it straddles 0.
    pub fn fixed(lo: f64, hi: f64) -> Scale {
        if lo < 0.0 && hi > 0.0 {
            Scale::Diverging { lo, hi }
        } else {
            Scale::Sequential { lo, hi }
        }
    }

    /// The value range of the colour bar.
    pub fn range(self) -> (f64, f64) {
        match self {
            Scale::Sequential { lo, hi } | Scale::Diverging { lo, hi } => (lo, hi),
        }
    }

    /// "sequential" or "diverging".
    pub fn name(self) -> &'static str {
        match self {
            Scale::Sequential { .. } => "sequential",
            Scale::Diverging { .. } => "diverging",
        }
    }

    fn gradient(self) -> (colorous::Gradient, bool) {
        match self {
            Scale::Sequential { .. } => (colorous::INFERNO, false),
            // RED_BLUE runs red to blue: reversed, negative values are blue.
            Scale::Diverging { .. } => (colorous::RED_BLUE, true),
        }
    }

    /// Where `v` falls on the colour map, 0 (low end) to 1 (high end); NaN stays NaN.
    fn position(self, v: f64) -> f64 {
        let t = match self {
            Scale::Sequential { lo, hi } => (v - lo) / (hi - lo),
            Scale::Diverging { lo, hi } => {
                if v < 0.0 {
                    0.5 - 0.5 * v / lo
                } else {
                    0.5 + 0.5 * v / hi
                }
            }
        };
        if t.is_nan() {
            t
        } else {
            t.clamp(0.0, 1.0)
        }
    }
}

const LUT: usize = 1024;

/// The colours of `scale`, [`LUT`] entries from the low end to the high end.
struct Colours {
    table: Vec<[u8; 3]>,
    scale: Scale,
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
        Colours { table, scale }
    }

    #[inline]
    fn of(&self, v: f64) -> [u8; 3] {
        let t = self.scale.position(v);
        if t.is_nan() {
            return [255, 0, 255];
        }
        self.table[(t * (LUT - 1) as f64).round() as usize]
    }
}

/// Draw the picture: plotters lays out the title, the axes and the colour bar's scale; the field
/// and the bar's colours then go straight into the pixels of the two plotting areas.
pub fn render(data: &[f64], ny: usize, nx: usize, title: &str) -> std::result::Result<Image, String> {
    render_sampled(data, [ny, nx], &ImageInfo::cells("", title, [ny, nx]))
}

/// The pixels of the field area for an extent (x, y): about 800 on the long side, at least 150
/// on the short one (a very flat domain is stretched rather than drawn as a line).
fn field_pixels(extent: [f64; 2]) -> (u32, u32) {
    let [ex, ey] = extent.map(|e| if e.is_finite() && e > 0.0 { e } else { 1.0 });
    let px = 800.0 / ex.max(ey);
    (((ex * px).round() as u32).max(150), ((ey * px).round() as u32).max(150))
}

/// [`render`] of a sampled field (see [`write_sampled_png`]).
pub fn render_sampled(data: &[f64], samples: [usize; 2], info: &ImageInfo) -> std::result::Result<Image, String> {
    let [my, mx] = samples;
    assert_eq!(data.len(), my * mx, "{my} x {mx} samples");
    register_font();
    let (fw, fh) = field_pixels(info.extent);
    let (left, right, top, bottom, bar_w) = (90u32, 20u32, 50u32, 65u32, 130u32);
    let (width, height) = (left + fw + right + bar_w, top + fh + bottom);
    let scale = match info.range {
        Some([lo, hi]) => Scale::fixed(lo, hi),
        None => Scale::for_data(data),
    };
    let colours = Colours::new(scale);
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let msg = |e: &dyn std::fmt::Display| e.to_string();
    let [ex, ey] = info.extent;
    let (field_px, bar_px) = {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        let (main, bar) = root.split_horizontally(left + fw + right);
        let mut chart = ChartBuilder::on(&main)
            .caption(&info.title, (SANS, 20))
            .margin_top(10)
            .margin_right(right)
            .x_label_area_size(bottom - 10)
            .y_label_area_size(left)
            .build_cartesian_2d(0f64..ex, 0f64..ey)
            .map_err(|e| msg(&e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| format_tick(*v, ex))
            .y_label_formatter(&|v| format_tick(*v, ey))
            .x_desc(info.axes[0].as_str())
            .y_desc(info.axes[1].as_str())
            .axis_desc_style((SANS, 15))
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
            .y_label_formatter(&|v| format_tick(*v, hi - lo))
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
    Ok(Image { width: w, height: height as usize, rgb, scale })
}

/// A plotting area's pixel ranges inside the image, inside its frame line.
fn pixels(r: &(Range<i32>, Range<i32>), width: u32, height: u32) -> (Range<usize>, Range<usize>) {
    let clip = |a: i32, n: u32| a.clamp(0, n as i32) as usize;
    (clip(r.0.start + 1, width)..clip(r.0.end, width), clip(r.1.start, height)..clip(r.1.end - 1, height))
}

/// A tick label on an axis spanning `span`: round-off next to 0 (-1.39e-17) reads 0.
fn format_tick(v: f64, span: f64) -> String {
    format_number(if v.abs() < 1e-9 * span.abs() { 0.0 } else { v })
}

/// A number for a label: plain with up to 4 decimals in [1e-3, 1e5), else 3 significant digits
/// in exponent form.
pub fn format_number(v: f64) -> String {
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
        assert_eq!(Scale::for_data(&[-1.0, 3.0, f64::INFINITY]), Scale::Diverging { lo: -3.0, hi: 3.0 });
        assert_eq!(Scale::for_data(&[2.0, 2.0]), Scale::Sequential { lo: 1.5, hi: 2.5 });
        assert_eq!(Scale::for_data(&[f64::NAN]), Scale::Sequential { lo: 0.0, hi: 1.0 });
        // Diverging: zero is the middle colour (near white), negatives blue, positives red.
        let c = Colours::new(Scale::Diverging { lo: -2.0, hi: 2.0 });
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
        // Field: 800 x 600 px from (91, ~51); probe well inside the corner cells.
        let (x0, y1) = (91 + 50, 50 + 600 - 60);
        assert_eq!(px(x0, y1), c.of(0.0));
        assert_eq!(px(91 + 800 - 50, 70), c.of(1.0));
        assert_eq!(px(91 + 400 - 50, 300), c.of(0.5));
        assert_eq!(img.scale, Scale::Sequential { lo: 0.0, hi: 1.0 });
    }

    /// A fixed range straddling 0 is diverging with white at 0, each side over its own half;
    /// one that does not is inferno over the range; values outside take the end colours.
    #[test]
    fn fixed_ranges() {
        let s = Scale::fixed(-1.0, 3.0);
        assert_eq!(s, Scale::Diverging { lo: -1.0, hi: 3.0 });
        assert_eq!((s.position(-1.0), s.position(0.0), s.position(3.0)), (0.0, 0.5, 1.0));
        assert_eq!((s.position(-0.5), s.position(1.5)), (0.25, 0.75));
        assert_eq!((s.position(-7.0), s.position(7.0)), (0.0, 1.0));
        assert!(s.position(f64::NAN).is_nan());
        assert_eq!(Scale::fixed(0.0, 2.0), Scale::Sequential { lo: 0.0, hi: 2.0 });
        assert_eq!(Scale::fixed(-3.0, -1.0), Scale::Sequential { lo: -3.0, hi: -1.0 });
        let c = Colours::new(s);
        assert!(c.of(0.0).iter().all(|&v| v > 230), "{:?}", c.of(0.0));
        assert_eq!(c.of(-1.0), c.of(-100.0));
        // Two frames of different data with one fixed range: a value has one colour in both.
        let mut info = ImageInfo::cells("f", "t", [2, 2]);
        info.range = Some([-1.0, 3.0]);
        let a = render_sampled(&[-1.0, 0.0, 1.0, 3.0], [2, 2], &info).unwrap();
        let b = render_sampled(&[0.0, 0.0, 1.0, 1.0], [2, 2], &info).unwrap();
        assert_eq!((a.scale, b.scale), (s, s));
        let px = |img: &Image, x: usize, y: usize| {
            let k = 3 * (y * img.width + x);
            [img.rgb[k], img.rgb[k + 1], img.rgb[k + 2]]
        };
        // Cell (x 1, y 1) holds 3 in `a` and 1 in `b`; cell (x 0, y 1) holds 1 in both.
        let (upper_left, upper_right) = ((91 + 200, 50 + 200), (91 + 600, 50 + 200));
        assert_eq!(px(&a, upper_left.0, upper_left.1), px(&b, upper_left.0, upper_left.1));
        assert_eq!(px(&a, upper_left.0, upper_left.1), c.of(1.0));
        assert_eq!(px(&b, upper_right.0, upper_right.1), c.of(1.0));
        assert_eq!(px(&a, upper_right.0, upper_right.1), c.of(3.0));
    }
}
