//! Rank 0's `diagnostics.csv` during a run (format: [`crate::io::diag_csv`]).
//!
//! Rows: the initial state of a fresh run (step 0), every step that is a multiple of
//! `output.diagnostics_every` (0: none), and the run's last step (finished, or stopped by a
//! signal or the wall limit). Written by rank 0's compute thread, one `write` of one line per row
//! to a file opened for appending (no buffering, no fsync: a killed process loses nothing that
//! was written; a power cut may lose the last rows), timed as `io`. A row is a few hundred bytes
//! every `diagnostics_every` steps, cheaper than handing it to the I/O thread, whose queue may be
//! full of checkpoints.
//!
//! The file follows the output directory's take-over rule ([`super::output_dir`]): until the
//! run is under way (the first model call done), rows are kept in memory and the file on disk is
//! untouched, so a run refused or failing early changes nothing. At take-over:
//! - a fresh run replaces `diagnostics.csv` (atomically) with its header and rows so far;
//! - a restart from step S continues the file: it keeps the rows before S, and the row at S only
//!   if S is on the schedule (0 or a multiple of `diagnostics_every`; the last row of a stopped
//!   or finished run is not, and an uninterrupted run would not have it), drops everything after
//!   (an interrupted run's rows past its checkpoint, a partial last line), appends its own rows
//!   from S on (never a step already in the file) and replaces the file atomically. A file whose
//!   header differs (other diagnostics) is set aside as `diagnostics.csv.superseded-<unix
//!   seconds>` and a new one begun; a missing one is begun at S. Either way with a warning.
//!
//! So a run killed and restarted from its latest checkpoint leaves the same rows as a run that
//! was never interrupted (the `wall_seconds` column aside: seconds since this process's run
//! started).

use super::checkpoints::Checkpointer;
use crate::error::{Error, Result};
use crate::io::checkpoint::Stamp;
use crate::io::diag_csv;
use crate::models::Diagnostics;
use crate::report::Phases;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Rank 0 (`csv` is `Some`): append the row of `diags` at `stamp` (the state a run starts from
/// if `initial`), timed as `io`. A failure to write goes to the checkpointer, whose next
/// agreement stops the run on every rank (exit 4), as a failed image or checkpoint does.
pub fn append(
    csv: &mut Option<DiagLog>,
    ckpt: &mut Checkpointer,
    phases: &mut Phases,
    stamp: Stamp,
    wall: &Instant,
    diags: &Diagnostics,
    initial: bool,
) {
    let Some(log) = csv else { return };
    let t = Instant::now();
    let w = wall.elapsed().as_secs_f64();
    let r = if initial {
        log.initial(stamp.step, stamp.time, stamp.dt, w, diags)
    } else {
        log.row(stamp.step, stamp.time, stamp.dt, w, diags)
    };
    if let Err(e) = r {
        ckpt.fail(e.to_string());
    }
    phases.add("io", t.elapsed().as_secs_f64());
}

/// Rank 0: take `diagnostics.csv` over (see [`DiagLog::take_over`]), timed as `io`.
pub fn take_over(csv: &mut Option<DiagLog>, ckpt: &mut Checkpointer, phases: &mut Phases) {
    let Some(log) = csv else { return };
    let t = Instant::now();
    if let Err(e) = log.take_over() {
        ckpt.fail(e.to_string());
    }
    phases.add("io", t.elapsed().as_secs_f64());
}

pub struct DiagLog {
    path: PathBuf,
    names: Vec<String>,
    every: u64,
    /// The step a restart continues from (`None`: a fresh run).
    restart: Option<u64>,
    /// Rows before the take-over (file text).
    pending: String,
    /// The last step written or pending.
    last: Option<u64>,
    /// The open file, after the take-over.
    file: Option<File>,
    /// A write failed: nothing more is written.
    failed: bool,
}

impl DiagLog {
    /// The log of diagnostics `diags` (their names are the columns) in `out_dir`, for a run that
    /// starts fresh or continues from step `restart`.
    pub fn new(out_dir: &Path, diags: &Diagnostics, restart: Option<u64>, every: u64) -> DiagLog {
        DiagLog {
            path: out_dir.join(diag_csv::FILE),
            names: diags.iter().map(|(n, _)| n.clone()).collect(),
            every,
            restart,
            pending: String::new(),
            last: None,
            file: None,
            failed: false,
        }
    }

    /// Is `step` on the schedule of rows (0 or a multiple of `diagnostics_every`)?
    fn scheduled(&self, step: u64) -> bool {
        step == 0 || (self.every > 0 && step.is_multiple_of(self.every))
    }

    /// The row of the state the run starts from: a fresh run's step 0, a restart's step if it is
    /// on the schedule (the earlier run wrote it too; it is not repeated).
    pub fn initial(&mut self, step: u64, time: f64, dt: f64, wall: f64, diags: &Diagnostics) -> Result<()> {
        if self.restart.is_none() || self.scheduled(step) {
            self.row(step, time, dt, wall, diags)
        } else {
            Ok(())
        }
    }

    /// Append a row (kept in memory until the take-over). A row whose step is not after the
    /// last one is not written again.
    pub fn row(&mut self, step: u64, time: f64, dt: f64, wall: f64, diags: &Diagnostics) -> Result<()> {
        if self.failed || self.last.is_some_and(|l| step <= l) {
            return Ok(());
        }
        let names_match = diags.len() == self.names.len() && diags.iter().zip(&self.names).all(|((n, _), m)| n == m);
        if !names_match {
            self.failed = true;
            return Err(Error::other(format!(
                "{}: the model's diagnostics changed during the run (step {step})",
                self.path.display()
            )));
        }
        let values: Vec<f64> = diags.iter().map(|(_, v)| *v).collect();
        let line = diag_csv::row(step, time, dt, wall, &values);
        self.last = Some(step);
        match &mut self.file {
            None => {
                self.pending.push_str(&line);
                Ok(())
            }
            Some(f) => f.write_all(line.as_bytes()).map_err(|e| {
                self.failed = true;
                Error::io(format!("cannot append to {}: {e}", self.path.display()))
            }),
        }
    }

    /// Has the file been taken over?
    pub fn taken_over(&self) -> bool {
        self.file.is_some() || self.failed
    }

    /// Take the file over (see the module docs): write what it keeps and the rows so far, then
    /// append from here on.
    pub fn take_over(&mut self) -> Result<()> {
        if self.taken_over() {
            return Ok(());
        }
        let r = self.rewrite();
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    fn rewrite(&mut self) -> Result<()> {
        let header = diag_csv::header(&self.names);
        let mut text = header.clone();
        if let Some(s) = self.restart {
            let name = self.path.display().to_string();
            match std::fs::read_to_string(&self.path) {
                Ok(old) => match diag_csv::parse(&old).filter(|t| t.header() == header) {
                    Some(mut t) => {
                        if let Some(why) = &t.dropped {
                            eprintln!("warning: {name}: {why} dropped");
                        }
                        t.retain(|k| k < s || (k == s && self.scheduled(s)));
                        if t.steps.first().is_some_and(|&k| k > 0) || t.steps.is_empty() && s > 0 {
                            eprintln!("warning: {name} has no rows before step {}", t.steps.first().unwrap_or(&s));
                        }
                        text = t.text();
                        // Rows of this run already in the file (its restart step) are not repeated.
                        let kept = t.steps.last().copied();
                        let mut pending = String::new();
                        for line in self.pending.lines() {
                            let step: Option<u64> = line.split(',').next().and_then(|v| v.parse().ok());
                            if step.is_some_and(|k| kept.is_none_or(|l| k > l)) {
                                pending.push_str(line);
                                pending.push('\n');
                            }
                        }
                        self.pending = pending;
                    }
                    None => {
                        let aside = crate::io::aside::name(&self.path);
                        std::fs::rename(&self.path, &aside)
                            .map_err(|e| Error::io(format!("cannot set {name} aside as {}: {e}", aside.display())))?;
                        eprintln!(
                            "warning: {name} has other columns than this run's: set aside as {}; a new one starts at step {s}",
                            aside.display()
                        );
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    eprintln!("warning: {name} is missing: a new one starts at step {s}");
                }
                Err(e) => return Err(Error::io(format!("cannot read {name}: {e}"))),
            }
        }
        text.push_str(&self.pending);
        self.pending.clear();
        crate::io::checkpoint::write_atomically(&self.path, text.as_bytes())?;
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| Error::io(format!("cannot open {} to append: {e}", self.path.display())))?;
        self.file = Some(f);
        Ok(())
    }

    /// The file, once taken over and intact (for `final.h5`'s `/diagnostics`).
    pub fn path(&self) -> Option<PathBuf> {
        (self.file.is_some() && !self.failed).then(|| self.path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: f64) -> Diagnostics {
        vec![("e".to_string(), v)]
    }

    fn steps(path: &Path) -> Vec<u64> {
        diag_csv::read(path).unwrap().steps
    }

    #[test]
    fn nothing_is_written_before_the_take_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(diag_csv::FILE);
        std::fs::write(&p, "old").unwrap();
        let mut log = DiagLog::new(dir.path(), &d(0.0), None, 10);
        log.initial(0, 0.0, 0.0, 0.0, &d(1.0)).unwrap();
        log.row(10, 1.0, 0.1, 0.0, &d(2.0)).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        drop(log);
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        let mut log = DiagLog::new(dir.path(), &d(0.0), None, 10);
        log.initial(0, 0.0, 0.0, 0.0, &d(1.0)).unwrap();
        log.take_over().unwrap();
        log.row(10, 1.0, 0.1, 0.0, &d(2.0)).unwrap();
        log.row(10, 1.0, 0.1, 0.0, &d(2.0)).unwrap();
        log.row(13, 1.3, 0.1, 0.0, &d(3.0)).unwrap();
        assert_eq!(steps(&p), [0, 10, 13]);
    }

    #[test]
    fn a_restart_keeps_rows_up_to_its_step_on_the_schedule() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(diag_csv::FILE);
        let head = diag_csv::header(&["e".to_string()]);
        let rows: String = [0, 10, 20, 25, 30].iter().map(|&s| diag_csv::row(s, s as f64, 1.0, 0.0, &[0.0])).collect();
        for (restart, kept) in [(20, vec![0, 10, 20]), (25, vec![0, 10, 20]), (30, vec![0, 10, 20, 25, 30])] {
            std::fs::write(&p, head.clone() + &rows + "40,4e1,1").unwrap();
            let mut log = DiagLog::new(dir.path(), &d(0.0), Some(restart), 10);
            log.initial(restart, 0.0, 1.0, 0.0, &d(0.0)).unwrap();
            assert!(std::fs::read_to_string(&p).unwrap().ends_with("4e1,1"), "untouched before the take-over");
            log.take_over().unwrap();
            assert_eq!(steps(&p), kept, "restart at {restart}");
            log.row(restart + 10, 0.0, 1.0, 0.0, &d(0.0)).unwrap();
            assert_eq!(steps(&p).last(), Some(&(restart + 10)));
            assert!(std::fs::read_to_string(&p).unwrap().ends_with('\n'));
        }
        // Other columns: set aside, a new file from the restart step.
        std::fs::write(&p, diag_csv::header(&["other".to_string()]) + "0,0e0,0e0,0e0,1e0\n").unwrap();
        let mut log = DiagLog::new(dir.path(), &d(0.0), Some(20), 10);
        log.initial(20, 0.0, 1.0, 0.0, &d(0.0)).unwrap();
        log.take_over().unwrap();
        assert_eq!(steps(&p), [20]);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("superseded"))
            .collect();
        assert_eq!(aside.len(), 1);
    }
}
