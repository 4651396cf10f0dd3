//! Drawing one figure twice: PNG (plotters' bitmap backend into an RGB buffer, encoded with the
//! `png` crate) and SVG (plotters' SVG backend). Text needs a font on the bitmap side: DejaVu Sans
//! (assets/DejaVuSans.ttf, Bitstream Vera licence in assets/DejaVuSans.LICENSE) is compiled into
//! the binary and registered with plotters' `ab_glyph` backend as "sans-serif", so plots render
//! the same on a fresh machine with no fonts installed.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;
}

/// Turn any plotters error into a message.
pub fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF shipped with the source; a failure here is a build defect.
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::error!("the bundled font assets/DejaVuSans.ttf could not be read");
        }
    });
}

/// Draw `fig` into `<dir>/<name>.png` and `<dir>/<name>.svg`, `size` pixels.
pub fn render(fig: &impl Figure, dir: &Path, name: &str, size: (u32, u32)) -> Result<()> {
    register_font();
    let png_path = dir.join(format!("{name}.png"));
    let fail = |p: &Path, e: String| Error::io(format!("cannot draw {}: {e}", p.display()));
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        fig.draw(&root).map_err(|e| fail(&png_path, e))?;
        root.present().map_err(|e| fail(&png_path, msg(e)))?;
    }
    write_png(&png_path, &buf, size).map_err(|e| fail(&png_path, e))?;
    let svg_path = dir.join(format!("{name}.svg"));
    let root = SVGBackend::new(&svg_path, size).into_drawing_area();
    fig.draw(&root).map_err(|e| fail(&svg_path, e))?;
    root.present().map_err(|e| fail(&svg_path, msg(e)))
}

fn write_png(path: &Path, rgb: &[u8], (w, h): (u32, u32)) -> std::result::Result<(), String> {
    let file = std::fs::File::create(path).map_err(msg)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(msg)?;
    writer.write_image_data(rgb).map_err(msg)?;
    writer.finish().map_err(msg)
}

/// Axis label for index positions: the label of the nearest integer position, "" in between.
pub fn index_label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
        labels[i as usize].clone()
    } else {
        String::new()
    }
}
