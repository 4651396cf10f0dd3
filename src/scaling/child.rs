//! A study's run as a child process that the study can stop cleanly.
//!
//! The child (simrun itself, or the launcher: `mpirun`, `srun`) starts in a process group of its
//! own, so a Ctrl-C at the terminal reaches the study alone and the study decides what the run
//! gets; on Linux it also gets SIGTERM should the study die (`PR_SET_PDEATHSIG`: a study killed
//! with SIGKILL leaves no run computing on). When the study is asked to stop ([`StopFlag`]:
//! SIGTERM, SIGINT, SIGUSR1, SIGUSR2), the run's process group gets SIGUSR1: simrun stops at it
//! after its model call with a final checkpoint (exit 75), and it is the one stop signal every
//! launcher passes on to its ranks unchanged (mpirun forwards SIGUSR1/2 but aborts its ranks on
//! SIGTERM; srun passes SIGUSR1 to its tasks but turns SIGTERM into SIGKILL for them), sent again
//! every second (a launcher passes it only to the ranks it has started). A run that has not
//! exited after the grace period gets SIGTERM (mpirun then aborts its ranks), and after
//! [`TERM_WAIT`] more SIGKILL, with every process it started (found in /proc: mpirun puts each
//! rank in a process group of its own).

use crate::sim::signals::StopFlag;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// How long a run has after SIGTERM (the grace after SIGUSR1 spent) before SIGKILL.
pub const TERM_WAIT: Duration = Duration::from_secs(5);

/// How often the study looks at its run and its stop flag.
const POLL: Duration = Duration::from_millis(50);

/// How often a stopped run is sent SIGUSR1 again while the grace lasts.
const RESEND: Duration = Duration::from_secs(1);

/// How a run ended: its exit status, and, when the study was stopped while it ran, what was done
/// to stop it, in words.
pub struct Ended {
    pub status: ExitStatus,
    pub stopped: Option<String>,
}

/// Start `cmd` in its own process group and wait for it; when `stop` is raised, stop it as the
/// module docs say, waiting `grace` after SIGUSR1.
pub fn run(cmd: &mut Command, stop: &StopFlag, grace: Duration) -> std::io::Result<Ended> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    {
        let study = std::process::id() as libc::pid_t;
        // SAFETY: runs in the child between fork and exec and calls only prctl(2), getppid(2)
        // and raise(3), which are async-signal-safe, and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 && libc::getppid() != study {
                    // The study died before the line above: act as if it had come after.
                    libc::raise(libc::SIGTERM);
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn()?;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Ended { status, stopped: None });
        }
        if stop.raised() {
            break;
        }
        std::thread::sleep(POLL);
    }
    let pid = child.id() as libc::pid_t;
    let t0 = Instant::now();
    // SIGUSR1 again every RESEND until the run ends: a launcher passes a signal on only to the
    // ranks it has started (mpirun drops one that comes while they start), and simrun takes
    // repeats as one. The run's processes are noted meanwhile, before any ends: mpirun may exit
    // while a rank is still finishing.
    let mut tree = Vec::new();
    let mut next = t0;
    let stopped = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let now = Instant::now();
        if now >= t0 + grace {
            break None;
        }
        if now >= next {
            for p in descendants(pid) {
                if !tree.contains(&p) {
                    tree.push(p);
                }
            }
            signal_group(pid, libc::SIGUSR1);
            next = now + RESEND;
        }
        std::thread::sleep(POLL);
    };
    let (status, mut how) = match stopped {
        Some(status) => {
            (status, format!("the run was sent SIGUSR1 and stopped in {:.1} s", t0.elapsed().as_secs_f64()))
        }
        None => {
            signal_group(pid, libc::SIGTERM);
            match wait_until(&mut child, Instant::now() + TERM_WAIT)? {
                Some(status) => (
                    status,
                    format!("the run did not stop within {:.0} s of SIGUSR1 and was sent SIGTERM", grace.as_secs_f64()),
                ),
                None => {
                    let late = descendants(pid);
                    signal_group(pid, libc::SIGKILL);
                    kill_all(&late, libc::SIGKILL);
                    let how = format!(
                        "the run did not stop within {:.0} s of SIGUSR1 nor {} s of SIGTERM and was killed (SIGKILL)",
                        grace.as_secs_f64(),
                        TERM_WAIT.as_secs()
                    );
                    (child.wait()?, how)
                }
            }
        }
    };
    // Processes of the run that outlive its first process (ranks whose launcher has exited) get
    // what is left of the grace, then SIGKILL: none computes on after the study.
    let deadline = (t0 + grace).max(Instant::now() + Duration::from_secs(1));
    let mut left = tree;
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(POLL);
        left.retain(|&p| alive(p));
    }
    if !left.is_empty() {
        kill_all(&left, libc::SIGKILL);
        how.push_str(&format!("; {} of its processes outlived it and were killed (SIGKILL)", left.len()));
    }
    Ok(Ended { status, stopped: Some(how) })
}

fn kill_all(pids: &[libc::pid_t], sig: libc::c_int) {
    for &p in pids {
        // SAFETY: kill(2) with a pid and a signal number; no memory is involved.
        unsafe { libc::kill(p, sig) };
    }
}

/// The process exists and has not exited (a zombie has).
fn alive(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st != "Z")))
        .unwrap_or(false)
}

fn signal_group(leader: libc::pid_t, sig: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe { libc::kill(-leader, sig) };
}

fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(s) = child.try_wait()? {
            return Ok(Some(s));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// The parent pid in the text of `/proc/<pid>/stat` (the field after the command name, which
/// may itself hold spaces and parentheses).
fn parent_of(stat: &str) -> Option<libc::pid_t> {
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// Every live descendant of `root` (children, their children, ...), from /proc; empty where
/// there is no /proc.
pub fn descendants(root: libc::pid_t) -> Vec<libc::pid_t> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let parents: Vec<(libc::pid_t, libc::pid_t)> = entries
        .flatten()
        .filter_map(|e| {
            let pid: libc::pid_t = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            Some((pid, parent_of(&stat)?))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(parent_of("4242 (a) b (c)) S 17 4242 4242 0 -1"), Some(17));
        assert_eq!(parent_of("1 (init) S 0 1 1"), Some(0));
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn descendants_include_grandchildren() {
        // sh starts a sleep of its own and waits: the sleep is a grandchild of this process.
        let mut c = Command::new("sh").args(["-c", "sleep 30 & wait"]).spawn().unwrap();
        let me = std::process::id() as libc::pid_t;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut d = descendants(me);
        while d.len() < 2 && Instant::now() < deadline {
            std::thread::sleep(POLL);
            d = descendants(me);
        }
        let sh = c.id() as libc::pid_t;
        assert!(d.contains(&sh), "{d:?} lacks sh {sh}");
        let grand = descendants(sh);
        assert_eq!(grand.len(), 1, "sh's one sleep: {grand:?}");
        assert!(d.contains(&grand[0]));
        for p in grand {
            // SAFETY: kill(2) with a pid and a signal number.
            unsafe { libc::kill(p, libc::SIGKILL) };
        }
        c.wait().unwrap();
    }
}
