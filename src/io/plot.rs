//! Simple line plots as PNG: curves (lines) and reference points (squares) in labelled panels.

use super::font::draw_text;
use crate::error::{Error, Result};
use std::path::Path;

/// One panel: title, x label, y label, and series of (x, y) points; `points = true` draws
/// markers instead of a line.
pub struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

pub struct Series {
    pub data: Vec<(f64, f64)>,
    pub rgb: [u8; 3],
    pub points: bool,
}

const W: usize = 520;
const H: usize = 520;
const M: usize = 60;

/// Panels side by side, each with its own data range and tick labels at the ends of the axes, and
/// a `legend` line under them.
pub fn write_panels(path: &Path, panels: &[Panel], legend: &str) -> Result<()> {
    let width = W * panels.len();
    let mut img = vec![255u8; width * H * 3];
    for (k, p) in panels.iter().enumerate() {
        draw_panel(&mut img, width, k * W, p);
    }
    draw_text(&mut img, width, M, H - 22, legend, 1, [0, 0, 0]);
    let file = std::fs::File::create(path).map_err(|e| Error::io(format!("cannot create {}: {e}", path.display())))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width as u32, H as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| Error::io(format!("cannot write {}: {e}", path.display())))?;
    w.write_image_data(&img).map_err(|e| Error::io(format!("cannot write {}: {e}", path.display())))
}

fn draw_panel(img: &mut [u8], width: usize, x0: usize, p: &Panel) {
    let all = p.series.iter().flat_map(|s| s.data.iter());
    let (mut xl, mut xh, mut yl, mut yh) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        xl = xl.min(x);
        xh = xh.max(x);
        yl = yl.min(y);
        yh = yh.max(y);
    }
    if xh <= xl {
        xh = xl + 1.0;
    }
    if yh <= yl {
        yh = yl + 1.0;
    }
    let (pw, ph) = ((W - 2 * M) as f64, (H - 2 * M) as f64);
    let to_px = |x: f64, y: f64| -> (f64, f64) {
        (x0 as f64 + M as f64 + (x - xl) / (xh - xl) * pw, (H - M) as f64 - (y - yl) / (yh - yl) * ph)
    };
    let mut put = |px: f64, py: f64, rgb: [u8; 3]| {
        let (i, j) = (px.round() as isize, py.round() as isize);
        if i >= 0 && j >= 0 && (i as usize) < width && (j as usize) < H {
            let k = 3 * (j as usize * width + i as usize);
            img[k..k + 3].copy_from_slice(&rgb);
        }
    };
    let grey = [120, 120, 120];
    // Frame and the zero lines.
    for (a, b) in [((xl, yl), (xh, yl)), ((xl, yh), (xh, yh)), ((xl, yl), (xl, yh)), ((xh, yl), (xh, yh))] {
        line(&mut put, to_px(a.0, a.1), to_px(b.0, b.1), grey);
    }
    if xl < 0.0 && xh > 0.0 {
        line(&mut put, to_px(0.0, yl), to_px(0.0, yh), [200, 200, 200]);
    }
    if yl < 0.0 && yh > 0.0 {
        line(&mut put, to_px(xl, 0.0), to_px(xh, 0.0), [200, 200, 200]);
    }
    for s in &p.series {
        if s.points {
            for &(x, y) in &s.data {
                let (px, py) = to_px(x, y);
                for dx in -3..=3 {
                    for dy in -3..=3 {
                        if dx * dx == 9 || dy * dy == 9 {
                            put(px + dx as f64, py + dy as f64, s.rgb);
                        }
                    }
                }
            }
        } else {
            for w in s.data.windows(2) {
                line(&mut put, to_px(w[0].0, w[0].1), to_px(w[1].0, w[1].1), s.rgb);
            }
        }
    }
    let black = [0, 0, 0];
    draw_text(img, width, x0 + M, 20, &p.title, 2, black);
    let f = |v: f64| format!("{v:.2}");
    draw_text(img, width, x0 + M - 10, H - M + 10, &f(xl), 1, black);
    draw_text(img, width, x0 + W - M - 20, H - M + 10, &f(xh), 1, black);
    draw_text(img, width, x0 + 8, H - M - 4, &f(yl), 1, black);
    draw_text(img, width, x0 + 8, M - 4, &f(yh), 1, black);
}

fn line(put: &mut impl FnMut(f64, f64, [u8; 3]), a: (f64, f64), b: (f64, f64), rgb: [u8; 3]) {
    let n = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as usize).max(1);
    for k in 0..=n {
        let t = k as f64 / n as f64;
        put(a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1), rgb);
    }
}
