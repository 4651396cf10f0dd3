//! Drawing one figure twice: PNG (plotters' bitmap backend into an RGB buffer, encoded with the
//! `png` crate) and SVG (plotters' SVG backend into a string), both files written atomically. Text
//! uses the DejaVu Sans compiled into the binary ([`crate::io::drawing`]), so plots render the
//! same on a fresh machine with no fonts installed.

use crate::error::{Error, Result};
use crate::io::drawing::{register_font, write_atomic, write_png};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;
}

/// Turn any plotters error into a message.
pub fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
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
    write_png(&png_path, &buf, size.0, size.1)?;
    let svg_path = dir.join(format!("{name}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        fig.draw(&root).map_err(|e| fail(&svg_path, e))?;
        root.present().map_err(|e| fail(&svg_path, msg(e)))?;
    }
    write_atomic(&svg_path, |w| w.write_all(svg.as_bytes()))
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
