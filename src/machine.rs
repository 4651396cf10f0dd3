//! What the machine offers that sizes the work, probed once per process and passed to the
//! kernels that need it (they never probe themselves). The instruction set lives in
//! [`crate::simd`].

use std::sync::OnceLock;

/// Assumed level-2 cache size where the machine does not say.
pub const DEFAULT_L2_BYTES: usize = 512 << 10;

/// The unified (or data) level-2 cache of one core, in bytes: from Linux's sysfs for CPU 0, else
/// [`DEFAULT_L2_BYTES`]. Probed once.
pub fn l2_cache_bytes() -> usize {
    static L2: OnceLock<usize> = OnceLock::new();
    *L2.get_or_init(|| probe_l2("/sys/devices/system/cpu/cpu0/cache").unwrap_or(DEFAULT_L2_BYTES))
}

/// The data or unified cache of `level` (1, 2, 3) that CPU 0 sees, in bytes, from sysfs; None
/// where the machine does not say. (For the last level this is the whole shared cache.)
pub fn cache_bytes(level: u32) -> Option<usize> {
    probe_level("/sys/devices/system/cpu/cpu0/cache", level)
}

/// The level-2 data or unified cache under a sysfs `cache` directory (index*/level, type, size).
fn probe_l2(dir: &str) -> Option<usize> {
    probe_level(dir, 2)
}

fn probe_level(dir: &str, level: u32) -> Option<usize> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let read = |f: &str| std::fs::read_to_string(entry.path().join(f)).ok().map(|s| s.trim().to_string());
        if read("level") == Some(level.to_string()) && read("type").as_deref() != Some("Instruction") {
            return parse_size(&read("size")?);
        }
    }
    None
}

/// "2048K", "2M", "524288" -> bytes.
fn parse_size(size: &str) -> Option<usize> {
    let (num, unit) = size.split_at(size.find(|c: char| !c.is_ascii_digit()).unwrap_or(size.len()));
    let n: usize = num.parse().ok()?;
    match unit {
        "K" => Some(n << 10),
        "M" => Some(n << 20),
        "" => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("2048K"), Some(2 << 20));
        assert_eq!(parse_size("2M"), Some(2 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("x"), None);
        assert!(l2_cache_bytes() >= 64 << 10);
    }
}
