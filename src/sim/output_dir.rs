//! The output directory's lifecycle for one run: the lock that keeps a second run out, the
//! checks made before anything is written, and the single moment the run takes the directory
//! over (after validation, allocation and the first model call): a crash's uncommitted leftovers
//! are removed, an earlier history's committed checkpoints (and, for a fresh run, an earlier
//! run's final state) are set aside (renamed, never deleted), and the XDMF series is rewritten to
//! list what is left.

use crate::error::{Error, Result};
use crate::io::checkpoint;
use crate::io::thread::{IoThread, Job};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Name of the lock file inside the output directory (empty; its POSIX record lock is the lock).
pub const LOCK_FILE: &str = ".simrun.lock";

/// Holds `<output.dir>/.simrun.lock` locked for the life of the run (released on drop or exit,
/// also by a crash: the kernel drops a dead process's locks).
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

fn flock(kind: libc::c_short) -> libc::flock {
    // SAFETY: flock is a plain C struct; all-zero is a valid value (whole file from offset 0).
    let mut l: libc::flock = unsafe { std::mem::zeroed() };
    l.l_type = kind;
    l.l_whence = libc::SEEK_SET as libc::c_short;
    l
}

/// Create the output directory if needed and lock it. A directory locked by another live run is
/// refused with one line naming that run's process id (exit 2). Creates nothing in an existing
/// directory but the empty lock file (once, by the first run that uses it).
pub fn lock(dir: &Path) -> Result<DirLock> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::io(format!("output directory {} (output.dir) is a file, not a directory", dir.display())));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create output directory {} (output.dir): {e}", dir.display())))?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(format!("output directory {} (output.dir) is not writable: {e}", dir.display())))?;
    let mut l = flock(libc::F_WRLCK as libc::c_short);
    // SAFETY: a valid open descriptor and a valid flock struct.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &l) } == 0 {
        return Ok(DirLock { _file: file });
    }
    let err = std::io::Error::last_os_error();
    // SAFETY: as above; F_GETLK fills `l` with the conflicting lock's holder.
    let holder = (unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut l) } == 0
        && l.l_type != libc::F_UNLCK as libc::c_short)
        .then_some(l.l_pid);
    Err(Error::config(match holder {
        Some(pid) => format!(
            "output directory {} (output.dir) is in use by another simrun run (pid {pid}); wait for it to end or choose another output.dir",
            dir.display()
        ),
        None => format!("cannot lock output directory {} (output.dir): {err}", dir.display()),
    }))
}

/// `--report FILE` must be writable where it is: its directory must exist and take a new file
/// (the report is written as a temporary file there, then renamed). Checked by creating and
/// removing a probe file in it (nothing is left behind), so a read-only directory or file
/// system refuses the run before it starts, not after it (exit 4, the run's output written).
pub fn check_report_path(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::config(format!(
            "--report {}: directory {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    if path.is_dir() {
        return Err(Error::config(format!("--report {}: is a directory", path.display())));
    }
    probe_writable(&parent).map_err(|e| {
        Error::config(format!("--report {}: cannot write in directory {}: {e}", path.display(), parent.display()))
    })
}

/// Can a file be created in `dir`? Creates a new empty file of a name no one else uses and
/// removes it again.
fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".simrun-report-probe-{}", std::process::id()));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Take the directory over (rank 0, after the first model call, before any checkpoint is handed
/// over): remove uncommitted checkpoint leftovers, set aside the committed checkpoints of another
/// history (all of them for a fresh run, those after `restart_step` for a restart) and, for a
/// fresh run, an earlier run's final state, and have the I/O thread rewrite the XDMF series if
/// anything changed.
pub fn take_over(dir: &Path, restart_step: Option<u64>, io: &IoThread) {
    let before = checkpoint::list_committed(dir).len();
    checkpoint::remove_uncommitted(dir);
    let moved = checkpoint::set_aside(dir, restart_step);
    if restart_step.is_none() {
        set_aside_final(dir);
    }
    if let Some(first) = moved.first() {
        let whose = match restart_step {
            None => "an earlier run".to_string(),
            Some(s) => format!("steps after {s}"),
        };
        eprintln!(
            "warning: {} committed checkpoint(s) of {whose} set aside (renamed, not deleted), e.g. {}",
            moved.len(),
            first.display()
        );
    }
    if !moved.is_empty() || (before == 0 && checkpoint::lifecycle::series_path(dir).exists()) {
        io.submit(Job::Series { out_dir: dir.to_path_buf() });
    }
}

/// The files of a run's final state, as [`crate::sim::finish`] writes them.
const FINAL_FILES: [&str; 4] = ["final.h5", crate::sim::checkpoints::FINAL_DIR, "final.xdmf", "final.png"];

/// A fresh run's take-over of an earlier run's final state: its files move together into
/// `final.superseded-<unix seconds>/` (renamed, never deleted; their relative paths kept, so a
/// distributed `final.h5` still finds its `final/` and `final.xdmf` its `final.h5`), with one
/// warning. A file that cannot be moved is named in a warning and left where it is.
fn set_aside_final(dir: &Path) -> Option<PathBuf> {
    let present: Vec<&str> = FINAL_FILES.into_iter().filter(|n| dir.join(n).exists()).collect();
    if present.is_empty() {
        return None;
    }
    let aside = crate::io::aside::name(&dir.join("final"));
    if let Err(e) = std::fs::create_dir(&aside) {
        eprintln!("warning: cannot set aside an earlier run's final state in {}: {e}", aside.display());
        return None;
    }
    for name in &present {
        if let Err(e) = std::fs::rename(dir.join(name), aside.join(name)) {
            eprintln!("warning: cannot set aside {}: {e}", dir.join(name).display());
        }
    }
    eprintln!(
        "warning: the final state of an earlier run ({}) set aside (moved, not deleted) into {}",
        present.join(", "),
        aside.display()
    );
    Some(aside)
}
