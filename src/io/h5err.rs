//! HDF5 errors as one line a user can act on: what simrun was doing, the file, and the cause —
//! the operating-system error when HDF5 hit one (`No space left on device (os error 28)`), or the
//! innermost HDF5 reason without its parameter dump (`truncated file`), never the whole stack.

use crate::error::Error;
use std::path::Path;

/// `Error::io("<doing> <path>: <cause>")`.
pub fn io(doing: &str, path: &Path, e: &hdf5::Error) -> Error {
    Error::io(format!("{doing} {}: {}", path.display(), cause(e)))
}

/// The cause of an HDF5 error in a few words.
pub fn cause(e: &hdf5::Error) -> String {
    let Some(stack) = e.stack() else { return short(&e.to_string()) };
    for frame in stack.iter() {
        if let Some(n) = errno(frame.desc()) {
            return std::io::Error::from_raw_os_error(n).to_string();
        }
    }
    let all: Vec<&str> = stack.iter().map(|f| f.desc()).collect();
    let has = |s: &str| all.iter().any(|d| d.contains(s));
    if has("file signature not found") {
        return "not an HDF5 file (its header is missing or damaged)".into();
    }
    if has("truncated file") {
        return "the file is truncated".into();
    }
    if has("fletcher32") || has("checksum") {
        return "an HDF5 checksum failed: the data is corrupted".into();
    }
    match stack.last() {
        Some(f) => short(f.desc()),
        None => short(&e.to_string()),
    }
}

/// `errno = 28` in an HDF5 message.
fn errno(desc: &str) -> Option<i32> {
    let rest = &desc[desc.find("errno = ")? + 8..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok().filter(|&n| n > 0)
}

/// The part of an HDF5 description before its parameter list, on one line.
fn short(desc: &str) -> String {
    let head = desc.split(": ").find(|p| !p.contains(" = ") && !p.ends_with("()")).unwrap_or(desc);
    let one: String = head.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.len() > 160 {
        format!("{}...", &one[..one.char_indices().nth(157).map_or(one.len(), |(i, _)| i)])
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_and_short_forms() {
        assert_eq!(errno("file write failed: time = Mon, filename = 'x', errno = 28, error message = 'No'"), Some(28));
        assert_eq!(errno("no number here"), None);
        assert_eq!(short("unable to open file: name = '/x/y.h5', tent_flags = 0"), "unable to open file");
        assert_eq!(short("H5Fopen(): unable to open file: name = 'a'"), "unable to open file");
    }

    #[test]
    fn opening_a_garbage_file_gives_a_short_cause() {
        let dir = std::env::temp_dir().join(format!("simrun-h5err-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("garbage.h5");
        std::fs::write(&p, vec![7u8; 4096]).unwrap();
        let Err(e) = hdf5::File::open(&p) else { panic!("garbage does not open") };
        let msg = io("cannot open checkpoint file", &p, &e).to_string();
        assert!(msg.contains("not an HDF5 file") && msg.contains("garbage.h5"), "{msg}");
        assert!(msg.len() < 200 && !msg.contains('\n'), "{msg}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
