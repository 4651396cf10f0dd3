//! PNG images of a 2-D field (or a slice of a 3-D one) with a title and a colour bar.

use super::colormap::inferno;
use super::font::{draw_text, text_width};
use crate::error::{Error, Result};
use std::path::Path;

/// Render `data` (C order, `ny` rows of `nx`, row 0 at the bottom of the picture: y points up)
/// with a colour bar to `path`. Small grids are scaled up, large ones sampled down.
pub fn write_field_png(path: &Path, data: &[f64], ny: usize, nx: usize, title: &str) -> Result<()> {
    let img = render(data, ny, nx, title);
    let file =
        std::fs::File::create(path).map_err(|e| Error::io(format!("cannot create image {}: {e}", path.display())))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), img.width as u32, img.height as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| Error::io(format!("cannot write image {}: {e}", path.display())))?;
    w.write_image_data(&img.rgb).map_err(|e| Error::io(format!("cannot write image {}: {e}", path.display())))?;
    Ok(())
}

pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

pub fn render(data: &[f64], ny: usize, nx: usize, title: &str) -> Image {
    // Field area: about 800 px on the long side.
    let target = 800.0;
    let scale = target / nx.max(ny) as f64;
    let fw = ((nx as f64 * scale).round() as usize).max(1);
    let fh = ((ny as f64 * scale).round() as usize).max(1);
    let (top, left, gap, bar_w, labels_w, bottom) = (36, 16, 16, 24, 100, 16);
    let width = left + fw + gap + bar_w + labels_w;
    let height = top + fh + bottom;
    let mut rgb = vec![255u8; width * height * 3];

    let finite = data.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let span = if hi > lo { hi - lo } else { 1.0 };

    for py in 0..fh {
        let j = ny - 1 - ((py * ny) / fh).min(ny - 1);
        for px in 0..fw {
            let i = ((px * nx) / fw).min(nx - 1);
            let c = inferno((data[j * nx + i] - lo) / span);
            let k = 3 * ((top + py) * width + left + px);
            rgb[k..k + 3].copy_from_slice(&c);
        }
    }
    // Colour bar, high values at the top.
    let bx = left + fw + gap;
    for py in 0..fh {
        let c = inferno(1.0 - py as f64 / (fh.max(2) - 1) as f64);
        for px in 0..bar_w {
            let k = 3 * ((top + py) * width + bx + px);
            rgb[k..k + 3].copy_from_slice(&c);
        }
    }
    let black = [0, 0, 0];
    for t in 0..5 {
        let frac = t as f64 / 4.0;
        let v = hi - frac * (hi - lo);
        let y = top + ((fh as f64 - 1.0) * frac) as usize;
        for px in bx + bar_w..bx + bar_w + 4 {
            let k = 3 * (y * width + px);
            rgb[k..k + 3].copy_from_slice(&black);
        }
        let label = format_tick(v);
        draw_text(&mut rgb, width, bx + bar_w + 7, y.saturating_sub(7).max(top.saturating_sub(0)), &label, 2, black);
    }
    let title_scale = if text_width(title, 2) + left <= width { 2 } else { 1 };
    draw_text(&mut rgb, width, left, 10, title, title_scale, black);
    Image { width, height, rgb }
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
