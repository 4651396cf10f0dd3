//! `time.wall_limit`: the run's wall-clock budget, in seconds or "auto" — the end time of the
//! batch job it runs in (Slurm: `SLURM_JOB_END_TIME`, else `squeue -h -j $SLURM_JOB_ID -o %e`).
//! Rank 0 decides when the budget is nearly spent; the margin covers two more model calls and the
//! final checkpoint, whose cost is measured from the checkpoints written so far.

use crate::config::{Config, WallLimit};
use std::time::{SystemTime, UNIX_EPOCH};

/// The budget in seconds from now, and a note to print when "auto" found no batch job.
pub fn budget(cfg: &Config) -> (Option<f64>, Option<String>) {
    match cfg.time.wall_limit {
        None => (None, None),
        Some(WallLimit::Seconds(s)) => (Some(s), None),
        Some(WallLimit::Auto) => match job_end_time() {
            Some(end) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
                (Some((end - now).max(0.0)), None)
            }
            None => {
                let why = match std::env::var("SLURM_JOB_ID") {
                    Ok(id) => format!("Slurm job {id} has no end time (no time limit?)"),
                    Err(_) => "found no batch job end time (not in a Slurm job?)".into(),
                };
                (None, Some(format!("note: time.wall_limit = \"auto\": {why}: no wall limit")))
            }
        },
    }
}

/// The end of the Slurm job this process runs in, as Unix seconds.
fn job_end_time() -> Option<f64> {
    if let Some(t) = std::env::var("SLURM_JOB_END_TIME").ok().and_then(|v| v.trim().parse::<f64>().ok()) {
        return Some(t);
    }
    let id = std::env::var("SLURM_JOB_ID").ok()?;
    let out = std::process::Command::new("squeue").args(["-h", "-j", &id, "-o", "%e"]).output().ok()?;
    parse_local_time(String::from_utf8_lossy(&out.stdout).trim())
}

/// "2026-12-03T19:57:00" in the local time zone (as squeue prints it) -> Unix seconds.
pub fn parse_local_time(s: &str) -> Option<f64> {
    let (date, time) = s.split_once('T')?;
    let d: Vec<i32> = date.split('-').map(|v| v.parse().ok()).collect::<Option<_>>()?;
    let t: Vec<i32> = time.split(':').map(|v| v.parse().ok()).collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 {
        return None;
    }
    // SAFETY: a zeroed tm is valid; mktime reads it and fills the derived fields.
    let secs = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = d[0] - 1900;
        tm.tm_mon = d[1] - 1;
        tm.tm_mday = d[2];
        tm.tm_hour = t[0];
        tm.tm_min = t[1];
        tm.tm_sec = t[2];
        tm.tm_isdst = -1;
        libc::mktime(&mut tm)
    };
    (secs != -1).then_some(secs as f64)
}

/// Is the budget `limit` (seconds since the run began) nearly spent after `elapsed` seconds?
/// The margin: two more model calls at the mean pace so far, plus 1.5 times the longest
/// checkpoint write so far (the final checkpoint), and at least 5 % of the limit.
pub fn near(limit: f64, elapsed: f64, seconds_per_call: f64, longest_write: f64) -> bool {
    elapsed + (2.0 * seconds_per_call + 1.5 * longest_write).max(0.05 * limit) >= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_times_parse_in_local_time() {
        let a = parse_local_time("2026-12-03T19:57:00").unwrap();
        let b = parse_local_time("2026-12-03T20:57:30").unwrap();
        assert_eq!(b - a, 3630.0);
        assert_eq!(parse_local_time("N/A"), None);
        assert_eq!(parse_local_time("2026-12-03"), None);
    }

    #[test]
    fn the_margin_covers_calls_and_the_final_checkpoint() {
        assert!(!near(100.0, 80.0, 1.0, 2.0));
        assert!(near(100.0, 95.5, 0.1, 0.1), "5 % of the limit");
        assert!(near(100.0, 90.0, 1.0, 6.0), "2 calls + 1.5 x 6 s of checkpoint");
    }
}
