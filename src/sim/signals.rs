//! SIGINT and SIGTERM ask the run to stop cleanly: finish the step, write and commit a final
//! checkpoint, exit with [`EXIT_INTERRUPTED`]. A second SIGINT exits at once (code 130).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit code of a run stopped by a signal or by `time.wall_limit` after its final checkpoint
/// (EX_TEMPFAIL: restart it with `--restart latest`).
pub const EXIT_INTERRUPTED: i32 = 75;

#[derive(Clone)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Install the handlers (once per process is enough; later calls share the flag).
    pub fn install() -> StopFlag {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, flag.clone());
            let _ = signal_hook::flag::register(sig, flag.clone());
        }
        StopFlag(flag)
    }

    pub fn raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
