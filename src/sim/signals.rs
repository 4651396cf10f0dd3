//! Signals that ask a run to stop cleanly: finish the model call under way, write and commit a
//! final checkpoint, exit with [`EXIT_INTERRUPTED`].
//!
//! SIGTERM, SIGUSR1 and SIGUSR2 all mean "stop after a final checkpoint", however often they
//! come: batch systems send more than one at walltime (srun turns SIGTERM into SIGKILL for its
//! tasks but passes SIGUSR1; mpirun forwards SIGUSR1/SIGUSR2 to the ranks but aborts them on
//! SIGTERM). SIGINT (Ctrl-C) stops the same way the first time; a second SIGINT exits at once with
//! code 130, saying so in one line, for an impatient person at a terminal (the checkpoint being
//! written stays uncommitted: the next run removes it and `--restart latest` takes the last
//! committed one).

use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Exit code of a run stopped by a signal or by `time.wall_limit` after its final checkpoint
/// (EX_TEMPFAIL: restart it with `--restart latest`).
pub const EXIT_INTERRUPTED: i32 = 75;

#[derive(Clone, Debug)]
pub struct StopFlag {
    /// The number of the last stop signal received; 0 = none.
    signal: Arc<AtomicUsize>,
}

impl StopFlag {
    /// Install the handlers (once per process is enough; later calls share nothing but work).
    pub fn install() -> StopFlag {
        let signal = Arc::new(AtomicUsize::new(0));
        let interrupted = Arc::new(AtomicBool::new(false));
        // Order matters: the exit check runs before the flag is set, so only a second SIGINT
        // exits.
        let again = interrupted.clone();
        // SAFETY: the action only loads an atomic and calls write(2) and _exit(2), both
        // async-signal-safe.
        let _ = unsafe {
            signal_hook::low_level::register(SIGINT, move || {
                if again.load(Ordering::SeqCst) {
                    let msg = b"\nsecond SIGINT: exiting at once (130) without the final checkpoint; the last committed one stands\n";
                    libc::write(2, msg.as_ptr().cast(), msg.len());
                    libc::_exit(130);
                }
            })
        };
        let _ = signal_hook::flag::register(SIGINT, interrupted);
        for sig in [SIGINT, SIGTERM, SIGUSR1, SIGUSR2] {
            let _ = signal_hook::flag::register_usize(sig, signal.clone(), sig as usize);
        }
        StopFlag { signal }
    }

    pub fn raised(&self) -> bool {
        self.signal.load(Ordering::Relaxed) != 0
    }

    /// The name of the last stop signal received ("SIGTERM"), if any.
    pub fn name(&self) -> Option<&'static str> {
        match self.signal.load(Ordering::Relaxed) as i32 {
            0 => None,
            SIGINT => Some("SIGINT"),
            SIGTERM => Some("SIGTERM"),
            SIGUSR1 => Some("SIGUSR1"),
            SIGUSR2 => Some("SIGUSR2"),
            _ => Some("a signal"),
        }
    }
}
