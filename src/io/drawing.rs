//! What every picture shares: the font and the file.
//! - Text is drawn by plotters' `ab_glyph` backend with DejaVu Sans (assets/DejaVuSans.ttf,
//!   Bitstream Vera licence in assets/DejaVuSans.LICENSE), compiled into the binary and
//!   registered as "sans-serif", so pictures render the same on a machine with no fonts.
//! - Files are written atomically ([`write_atomic`]): to a temporary name in the same directory,
//!   then renamed over the target, so a reader (a viewer refreshing `final.png`, a web page)
//!   never sees half an image; the temporary file is removed if anything fails.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The font family name to use in plotters text styles.
pub const SANS: &str = "sans-serif";

/// Register the compiled-in DejaVu Sans with plotters as [`SANS`] (once per process).
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF shipped with the source; a failure here is a build defect.
        if plotters::style::register_font(SANS, plotters::style::FontStyle::Normal, FONT).is_err() {
            tracing::error!("the bundled font assets/DejaVuSans.ttf could not be read");
        }
    });
}

/// Write `path` through `write` atomically: into `.<name>.tmp-<pid>-<n>` next to it, then
/// renamed over it. On any failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| Error::io(format!("cannot write {}: no file name", path.display())))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        SERIAL.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot write {}: {e}", path.display()))
    })
}

/// Write an RGB image (8 bits per channel, `width` x `height`, rows top to bottom) as a PNG
/// file, atomically.
pub fn write_png(path: &Path, rgb: &[u8], width: u32, height: u32) -> Result<()> {
    write_png_text(path, rgb, width, height, &[])
}

/// [`write_png`] with tEXt chunks (keyword, text); characters outside Latin-1 become `?`.
pub fn write_png_text(path: &Path, rgb: &[u8], width: u32, height: u32, text: &[(&str, String)]) -> Result<()> {
    assert_eq!(rgb.len(), width as usize * height as usize * 3, "RGB buffer of {width} x {height}");
    let latin1 = |s: &str| s.chars().map(|c| if (c as u32) < 256 { c } else { '?' }).collect::<String>();
    write_atomic(path, |w| {
        let mut enc = png::Encoder::new(w, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        for (k, v) in text {
            enc.add_text_chunk(latin1(k), latin1(v))?;
        }
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    #[test]
    fn png_round_trip_and_replace() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        std::fs::write(&p, b"old").unwrap();
        let rgb: Vec<u8> = (0..4 * 3 * 3).map(|i| i as u8 * 7).collect();
        write_png(&p, &rgb, 4, 3).unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap()));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (4, 3));
        assert_eq!(&buf[..info.buffer_size()], &rgb[..]);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.png");
        std::fs::write(&p, b"old").unwrap();
        let e = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("encoder failed"))
        });
        assert!(e.unwrap_err().to_string().contains("encoder failed"));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert!(leftovers(dir.path()).is_empty());
        // The rename fails (the target is a directory): the temporary goes too.
        let d = dir.path().join("c.png");
        std::fs::create_dir(&d).unwrap();
        assert!(write_png(&d, &[0; 3], 1, 1).is_err());
        assert!(leftovers(dir.path()).is_empty());
        // No directory at all: an error naming the file.
        let missing = dir.path().join("nope").join("d.png");
        assert!(write_png(&missing, &[0; 3], 1, 1).unwrap_err().to_string().contains("d.png"));
    }
}
