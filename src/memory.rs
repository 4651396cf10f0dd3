//! Memory: what a run needs per process ([`memory_estimate`]), what this process may use
//! ([`memory_available`]), and the check between them that the command line makes before a run
//! starts and in `simrun check` ([`check_memory`]).
//!
//! The estimate counts the large arrays, with checked arithmetic: the model's fields with halos
//! and stage buffers on the largest block (rank 0's: uneven splits give the first ranks one more
//! cell), rank 0's gather of every output field over the whole grid for final.h5, one local copy
//! buffer, and with checkpoints on, a copy of every output field per checkpoint in the I/O queue
//! (`checkpoint.queue` + 1), and with field writers (`[[output.fields]]`) rank 0's gathers of the
//! largest writer's fields, `checkpoint.queue` + 2 of them (waiting for, and on, the I/O thread,
//! and the one being gathered). Small things (threads, HDF5, images' pixels) are not counted.
//!
//! Available: the smallest of /proc/meminfo's MemAvailable and the cgroup (v2 or v1) limit less
//! its usage (inactive file cache counted as free), both divided among the MPI ranks of this
//! node (`OMPI_COMM_WORLD_LOCAL_SIZE`, `MPI_LOCALNRANKS`), and RLIMIT_AS / RLIMIT_DATA less what
//! the process already maps. `SIMRUN_MEMORY_LIMIT=<bytes>` replaces the measurement (for tests, or
//! when the measurement is wrong).

use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::models;

/// The environment variable that sets the memory available to each process, in bytes.
pub const LIMIT_ENV: &str = "SIMRUN_MEMORY_LIMIT";

/// The number of processes `simrun check` and the config checks size the run for: the layout's,
/// or one.
pub fn check_ranks(cfg: &Config) -> usize {
    cfg.parallel
        .layout
        .as_ref()
        .map(|l| l.iter().try_fold(1usize, |a, &v| a.checked_mul(v)).unwrap_or(usize::MAX).max(1))
        .unwrap_or(1)
}

/// Bytes the run needs on its largest process when split over `ranks` processes (rank 0: the
/// largest block, plus the gathered output). Errors: the split is impossible (the layout does not
/// match `ranks`, too few cells per rank) or a size overflows 64 bits (naming the grid keys).
pub fn memory_estimate(cfg: &Config, ranks: usize) -> Result<u64> {
    let (grid, periodic) = models::geometry(cfg);
    let decomp = Decomp::new(grid.n, grid.dims, ranks, 0, periodic, cfg.parallel.layout.as_deref())?;
    let spec = cfg.spec();
    spec.check_split(cfg, &decomp)?;
    let overflow = || {
        let (keys, sizes) = if grid.dims == 3 {
            ("`grid.nx` x `grid.ny` x `grid.nz`", format!("{} x {} x {}", grid.n[2], grid.n[1], grid.n[0]))
        } else {
            ("`grid.nx` x `grid.ny`", format!("{} x {}", grid.n[2], grid.n[1]))
        };
        Error::config(format!("keys {keys} = {sizes}: the memory the grid needs does not fit in 64 bits"))
    };
    let fp = spec.footprint(cfg, decomp.size).ok_or_else(overflow)?;
    let local = models::f64_fields(1, decomp.size, [0; 3]).ok_or_else(overflow)?;
    let global = models::f64_fields(1, grid.n, [0; 3]).ok_or_else(overflow)?;
    // One allocation must fit the address space (Rust's limit is isize::MAX bytes).
    if global > isize::MAX as u64 || fp.bytes > isize::MAX as u64 {
        return Err(overflow());
    }
    let gather = global.checked_mul(fp.output_fields).ok_or_else(overflow)?;
    let checkpoints = if cfg.checkpoint.enabled() {
        let copies = (cfg.checkpoint.queue as u64 + 1).checked_mul(fp.output_fields).ok_or_else(overflow)?;
        local.checked_mul(copies).ok_or_else(overflow)?
    } else {
        0
    };
    let view = spec.view_fields().len() as u64;
    let largest = cfg.output.fields.iter().map(|w| w.names.as_ref().map_or(view, |n| n.len() as u64)).max();
    let writers = match largest {
        Some(n) => {
            global.checked_mul(n).and_then(|b| b.checked_mul(cfg.checkpoint.queue as u64 + 2)).ok_or_else(overflow)?
        }
        None => 0,
    };
    [gather, local, checkpoints, writers].iter().try_fold(fp.bytes, |acc, &b| acc.checked_add(b)).ok_or_else(overflow)
}

/// The memory this process may use, and where the number comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Available {
    pub bytes: u64,
    pub source: String,
}

/// The memory available to this process: [`LIMIT_ENV`] if set, else the smallest of what the
/// system, the cgroup and the resource limits leave (`None` when nothing can be measured, e.g.
/// not on Linux). Errors: a malformed [`LIMIT_ENV`].
pub fn memory_available() -> Result<Option<Available>> {
    if let Ok(v) = std::env::var(LIMIT_ENV) {
        let bytes = v.trim().parse::<u64>().map_err(|_| {
            Error::config(format!("environment variable {LIMIT_ENV}={v}: expected a number of bytes, e.g. 8000000000"))
        })?;
        return Ok(Some(Available { bytes, source: LIMIT_ENV.to_string() }));
    }
    let local_ranks = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .find_map(|k| std::env::var(k).ok()?.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let shared = |bytes: u64, source: &str| {
        let source = if local_ranks > 1 { format!("{source}, shared by {local_ranks} ranks") } else { source.into() };
        Available { bytes: bytes / local_ranks, source }
    };
    let mut found: Vec<Available> = Vec::new();
    if let Some(b) = meminfo_available() {
        found.push(shared(b, "MemAvailable in /proc/meminfo"));
    }
    if let Some((b, what)) = cgroup_available() {
        found.push(shared(b, &what));
    }
    found.extend(rlimit_available());
    Ok(found.into_iter().min_by_key(|a| a.bytes))
}

/// Refuse a run whose estimate on `ranks` processes exceeds the memory available to this process.
pub fn check_memory(cfg: &Config, ranks: usize) -> Result<()> {
    check_memory_within(cfg, ranks, memory_available()?.as_ref())
}

/// As [`check_memory`], against `available` (e.g. the smallest over all ranks; `None`: unknown,
/// only the estimate is checked).
pub fn check_memory_within(cfg: &Config, ranks: usize, available: Option<&Available>) -> Result<()> {
    let need = memory_estimate(cfg, ranks)?;
    match available {
        Some(a) if need > a.bytes => Err(Error::config(format!(
            "the grid ({}) needs about {} per process on {ranks} process(es), more than the {} available ({}): use a smaller grid or more processes ({LIMIT_ENV} overrides the measurement)",
            grid_text(cfg),
            with_bytes(need),
            with_bytes(a.bytes),
            a.source
        ))),
        _ => Ok(()),
    }
}

fn grid_text(cfg: &Config) -> String {
    let g = &cfg.grid;
    match g.nz {
        Some(nz) => format!("grid.nx x grid.ny x grid.nz = {} x {} x {nz}", g.nx, g.ny),
        None => format!("grid.nx x grid.ny = {} x {}", g.nx, g.ny),
    }
}

/// "1.5 GiB (1610612736 bytes)", or "1000 bytes".
pub fn with_bytes(bytes: u64) -> String {
    if bytes < 1024 {
        human(bytes)
    } else {
        format!("{} ({bytes} bytes)", human(bytes))
    }
}

/// Bytes as KiB / MiB / GiB / TiB with one decimal.
pub fn human(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A `key value kB` line of a /proc file, in bytes.
fn proc_kb(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].trim_start_matches(':').split_whitespace().next()?.parse().ok()?;
    kb.checked_mul(1024)
}

fn meminfo_available() -> Option<u64> {
    proc_kb("/proc/meminfo", "MemAvailable")
}

fn read_u64(path: &std::path::Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// `key value` from a cgroup memory.stat file.
fn stat(path: &std::path::Path, key: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok()).unwrap_or(0)
}

/// The tightest cgroup memory limit less usage over this process's cgroup and its ancestors.
fn cgroup_available() -> Option<(u64, String)> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut best: Option<(u64, String)> = None;
    let mut consider = |free: u64, what: String| {
        if best.as_ref().is_none_or(|(b, _)| free < *b) {
            best = Some((free, what));
        }
    };
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let (root, v2) = if controllers.is_empty() {
            ("/sys/fs/cgroup", true)
        } else if controllers.split(',').any(|c| c == "memory") {
            ("/sys/fs/cgroup/memory", false)
        } else {
            continue;
        };
        // The process's cgroup and every ancestor up to the root: each limit applies.
        let mut dir = std::path::PathBuf::from(format!("{root}{}", path.trim_end_matches('/')));
        loop {
            let (limit, usage, inactive) = if v2 {
                (
                    read_u64(&dir.join("memory.max")),
                    read_u64(&dir.join("memory.current")),
                    stat(&dir.join("memory.stat"), "inactive_file"),
                )
            } else {
                (
                    read_u64(&dir.join("memory.limit_in_bytes")),
                    read_u64(&dir.join("memory.usage_in_bytes")),
                    stat(&dir.join("memory.stat"), "total_inactive_file"),
                )
            };
            // v1 reports "no limit" as a huge number; v2 as "max" (not a number).
            if let (Some(limit), Some(usage)) = (limit, usage) {
                if limit < 1 << 60 {
                    let used = usage.saturating_sub(inactive);
                    let file = if v2 { "memory.max" } else { "memory.limit_in_bytes" };
                    consider(
                        limit.saturating_sub(used),
                        format!("cgroup {} limit less usage", dir.join(file).display()),
                    );
                }
            }
            if dir.as_os_str().len() <= root.len() || !dir.pop() {
                break;
            }
        }
    }
    best
}

/// RLIMIT_AS and RLIMIT_DATA (soft limits) less what the process already maps.
fn rlimit_available() -> Vec<Available> {
    let mut out = Vec::new();
    for (res, name, status_key) in
        [(libc::RLIMIT_AS, "RLIMIT_AS (ulimit -v)", "VmSize"), (libc::RLIMIT_DATA, "RLIMIT_DATA (ulimit -d)", "VmData")]
    {
        let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit struct, which `r` is.
        if unsafe { libc::getrlimit(res, &mut r) } != 0 || r.rlim_cur == libc::RLIM_INFINITY {
            continue;
        }
        let used = proc_kb("/proc/self/status", status_key).unwrap_or(0);
        let limit: u64 = r.rlim_cur; // rlim_t is u64 on Linux
        out.push(Available { bytes: limit.saturating_sub(used), source: name.to_string() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Config {
        crate::config::load_str(
            &format!("model = \"heat\"\n[grid]\nnx = 100\nny = 50\n[time]\nsteps = 1\n{extra}"),
            "t",
            &[],
        )
        .unwrap()
    }

    #[test]
    fn estimate_counts_fields_with_halos_gather_and_checkpoints() {
        // Heat 2-D: two fields with halos 8 deep (automatic time block), the gathered field, a copy.
        let c = cfg("[parallel]\ntime_block = 1\n");
        let expect = 2 * 8 * 52 * 102 + 8 * 5000 + 8 * 5000;
        assert_eq!(memory_estimate(&c, 1).unwrap(), expect);
        let c = cfg("[checkpoint]\nevery_steps = 1\nqueue = 2\n");
        assert_eq!(memory_estimate(&c, 1).unwrap(), 2 * 8 * 66 * 116 + 8 * 5000 + 8 * 5000 + 3 * 8 * 5000);
        // Two ranks along x: rank 0 holds 50 x 50 and gathers all.
        let c = cfg("[parallel]\ntime_block = 1\nlayout = [2, 1]\n");
        assert_eq!(memory_estimate(&c, 2).unwrap(), 2 * 8 * 52 * 52 + 8 * 5000 + 8 * 2500);
        let e = memory_estimate(&c, 3).unwrap_err();
        assert!(e.message.contains("parallel.layout"), "{}", e.message);
    }

    #[test]
    fn check_refuses_with_both_numbers() {
        let c = cfg("");
        let small = Available { bytes: 1000, source: "test".into() };
        let e = check_memory_within(&c, 1, Some(&small)).unwrap_err();
        let need = memory_estimate(&c, 1).unwrap();
        assert!(e.message.contains(&format!("{need} bytes")) && e.message.contains("1000 bytes"), "{}", e.message);
        assert!(e.message.contains("grid.nx"), "{}", e.message);
        let big = Available { bytes: u64::MAX, source: "test".into() };
        check_memory_within(&c, 1, Some(&big)).unwrap();
        check_memory_within(&c, 1, None).unwrap();
    }

    #[test]
    fn this_machine_reports_some_memory() {
        if std::env::var(LIMIT_ENV).is_ok() {
            return;
        }
        let a = memory_available().unwrap().expect("Linux: /proc/meminfo");
        assert!(a.bytes > 1 << 20, "{a:?}");
        assert_eq!(human(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
    }
}
