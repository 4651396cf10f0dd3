//! Restarting from a committed checkpoint, on any ranks x threads split: every rank reads its own
//! block of the global virtual datasets. `latest` falls back to older committed checkpoints when
//! the newest one is unusable (a rank file missing, a checksum failing), saying so.

use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::io::checkpoint::{self, Stamp};
use crate::io::thread::IoThread;
use crate::models::Model;
use crate::par::Comm;
use std::path::{Path, PathBuf};

/// Candidate checkpoint directories for `spec`, in the order to try them, and whether falling
/// back to the next one is allowed.
fn candidates(spec: &str, out_dir: &Path) -> (Vec<PathBuf>, bool) {
    if spec != "latest" {
        let p = checkpoint::master_path(Path::new(spec));
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        return (vec![dir], false);
    }
    // Newest committed first: a commit is complete once its checkpoint.h5 exists, even if the
    // job died before the `latest` pointer moved.
    (checkpoint::list_committed(out_dir).into_iter().map(|(_, d)| d).collect(), true)
}

fn first_difference(a: &str, b: &str) -> String {
    for (x, y) in a.lines().zip(b.lines()) {
        if x != y {
            return format!("checkpoint has `{x}`, config has `{y}`");
        }
    }
    "the model sections differ".into()
}

/// Load the state of the checkpoint named by `spec` into `model`. Returns where it continues.
pub fn restore(
    spec: &str,
    cfg: &Config,
    model: &mut dyn Model,
    decomp: &Decomp,
    comm: &dyn Comm,
    io: &IoThread,
    say: &dyn Fn(&str),
) -> Result<Stamp> {
    let out_dir = PathBuf::from(&cfg.output.dir);
    let mut list = Vec::new();
    let mut fallback = false;
    if comm.is_root() {
        let (c, f) = candidates(spec, &out_dir);
        list = c.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n").into_bytes();
        fallback = f;
        list.push(f as u8);
    }
    comm.broadcast_bytes(&mut list);
    fallback = list.pop().map(|b| b == 1).unwrap_or(fallback);
    let dirs: Vec<PathBuf> =
        String::from_utf8_lossy(&list).lines().filter(|l| !l.is_empty()).map(PathBuf::from).collect();
    if dirs.is_empty() {
        return Err(Error::config(format!(
            "--restart {spec}: no committed checkpoint under {}",
            checkpoint::root(&out_dir).display()
        )));
    }
    let names: Vec<String> = model.state_names().iter().map(|s| s.to_string()).collect();
    let mut last_err = String::new();
    for (i, dir) in dirs.iter().enumerate() {
        let r = io.read(dir.clone(), names.clone(), decomp.dims, decomp.offset, decomp.size);
        let mut failed = [if r.is_err() { decomp.rank as f64 + 1.0 } else { 0.0 }];
        comm.max_f64(&mut failed);
        match r {
            Ok((h, blocks)) if failed[0] == 0.0 => {
                if h.state_signature != cfg.state_signature() {
                    return Err(Error::config(format!(
                        "--restart: checkpoint {} does not match this configuration's model or grid ({}); only outputs, schedules and the end time may change",
                        dir.display(),
                        first_difference(&h.state_signature, &cfg.state_signature())
                    )));
                }
                for (name, data) in names.iter().zip(&blocks) {
                    model.restore_field(name, data)?;
                }
                say(&format!(
                    "restarted from {} (step {}, t={:e}, written by {} rank(s) x {} thread(s))",
                    dir.display(),
                    h.stamp.step,
                    h.stamp.time,
                    h.ranks,
                    h.threads
                ));
                return Ok(h.stamp);
            }
            other => {
                let why = match other {
                    Err(e) => e.to_string(),
                    Ok(_) => format!("unreadable on rank {}", failed[0] as usize - 1),
                };
                last_err = format!("checkpoint {} is unusable: {why}", dir.display());
                if fallback && i + 1 < dirs.len() {
                    say(&format!("warning: {last_err}; falling back to {}", dirs[i + 1].display()));
                } else if !fallback {
                    break;
                }
            }
        }
    }
    Err(Error::io(format!("--restart {spec}: {last_err}")))
}
