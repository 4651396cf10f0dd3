//! Timed schedules: output times t_k = k x T, each computed from its integer k (never accumulated),
//! so a restart at any time finds the same next output time, and the step that lands on one
//! (`time.align_outputs`) lands on the same bits. [`Stepping`]: how a run's steps advance to its
//! end, the one rule the driver steps by and `simrun check` counts by.

use crate::config::Config;

/// The most outputs reached by `time` on the schedule every `every`: the largest k with
/// k x every <= time (0 when `every` is not positive).
pub fn reached(every: f64, time: f64) -> u64 {
    if !(every > 0.0 && time >= 0.0) {
        return 0;
    }
    let at = |k: u64| k as f64 * every;
    let mut k = (time / every).floor().min(u64::MAX as f64 / 2.0) as u64;
    // The division is within one of the answer; settle it by the same products as the outputs.
    for _ in 0..4 {
        if k > 0 && at(k) > time {
            k -= 1;
        } else if at(k + 1) <= time {
            k += 1;
        } else {
            break;
        }
    }
    k
}

/// The next output time strictly after `time` on the schedule every `every`.
pub fn next_after(every: f64, time: f64) -> f64 {
    (reached(every, time) + 1) as f64 * every
}

/// Is an output on the schedule every `every` due after a step from `prev` to `time`?
pub fn crossed(every: f64, prev: f64, time: f64) -> bool {
    every > 0.0 && reached(every, time) > reached(every, prev)
}

/// Is an output on a schedule of every `every_steps` steps and/or every `every_time` of simulated
/// time (0: not by that count) due after the step that reached `step` (from `prev` to `time`)?
/// An output due on both counts at one step is one output. The driver's rule for checkpoints and
/// field outputs, and what `simrun check` counts their files by.
pub fn due(every_steps: u64, every_time: f64, step: u64, prev: f64, time: f64) -> bool {
    (every_steps > 0 && step.is_multiple_of(every_steps)) || crossed(every_time, prev, time)
}

/// The step `dt` from `time`, changed to land exactly on the earliest of the output times
/// `targets` that it reaches or comes within round-off (1e-9 dt) of: (dt, Some(target)) when
/// it lands (the caller then sets the time to the target itself, bit for bit), else (dt, None).
pub fn align(time: f64, dt: f64, targets: impl Iterator<Item = f64>) -> (f64, Option<f64>) {
    let next = targets.filter(|t| *t > time).fold(f64::INFINITY, f64::min);
    if next.is_finite() && time + dt >= next - 1e-9 * dt {
        (next - time, Some(next))
    } else {
        (dt, None)
    }
}

/// How a run's steps advance: the model's dt, changed to land on the timed field outputs
/// (`time.align_outputs`) and shortened to land on `time.end_time`; and when the run ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Stepping {
    /// `time.steps` (the run ends after this many; the end time is then not used).
    pub steps: Option<u64>,
    /// `time.end_time`.
    pub end: Option<f64>,
    /// The model's end rule: run while the time is below the end exactly (true, as some
    /// reference codes do, possibly taking a round-off-sized last step), or stop within
    /// round-off of it (false).
    pub strict: bool,
    /// Intervals of the timed field outputs the steps land on (empty without alignment).
    /// Checkpoints are not among them: turning checkpoints on must not change the steps a run takes.
    pub timed: Vec<f64>,
}

impl Stepping {
    /// The stepping `cfg` asks for.
    pub fn of(cfg: &Config) -> Stepping {
        let strict = cfg.spec().strict_end_time(cfg);
        let timed = if cfg.time.align_outputs.unwrap_or_else(|| cfg.spec().align_outputs(cfg)) {
            cfg.output.fields.iter().map(|w| w.every_time).filter(|&t| t > 0.0).collect()
        } else {
            Vec::new()
        };
        Stepping { steps: cfg.time.steps, end: cfg.time.end_time, strict, timed }
    }

    /// Has a run at `step` and `time`, whose last step was `last_dt`, reached its end (the step
    /// count, or the end time: exactly if strict, else up to round-off)?
    pub fn done(&self, step: u64, time: f64, last_dt: f64) -> bool {
        match (self.steps, self.end) {
            (Some(n), _) => step >= n,
            (None, Some(end)) if self.strict => time >= end,
            (None, Some(end)) => time >= end - 1e-9 * last_dt.max(f64::MIN_POSITIVE),
            (None, None) => true,
        }
    }

    /// The step from `time` when the model asks for `dt`: (the dt taken, the time reached). A
    /// step landing on an output time reaches that time's own bits.
    pub fn step(&self, time: f64, dt: f64) -> (f64, f64) {
        let (mut dt, mut land) = (dt, None);
        if !self.timed.is_empty() {
            (dt, land) = align(time, dt, self.timed.iter().map(|&every| next_after(every, time)));
        }
        if let (None, Some(end)) = (self.steps, self.end) {
            // Shorten the last step to land on the end time; an overshoot of round-off size is
            // not a reason to change dt (unless the rule is strict), so a run extended later by a
            // restart continues exactly as an uninterrupted one.
            let slack = if self.strict { 0.0 } else { 1e-9 * dt };
            if time + dt > end + slack {
                dt = end - time;
                land = None;
            }
        }
        (dt, land.unwrap_or(time + dt))
    }

    /// The time the schedules see after a step that reached `time`: the end time at the run's
    /// last step (`at_end`; it ends within round-off of it), so an output due at the end time is
    /// written without `time.align_outputs` too.
    pub fn schedule_time(&self, time: f64, at_end: bool) -> f64 {
        match (at_end, self.steps, self.end) {
            (true, None, Some(end)) => time.max(end),
            _ => time,
        }
    }

    /// The steps of a fresh run whose model asks for `dt` at every step, the time it ends at and
    /// the time its last step starts at, found by taking them; None above `limit` steps.
    pub fn count(&self, dt: f64, limit: u64) -> Option<(u64, f64, f64)> {
        self.walk(dt, limit, |_| {})
    }

    /// [`Stepping::count`], calling `each` after every step taken, as the driver takes them.
    pub fn walk(&self, dt: f64, limit: u64, mut each: impl FnMut(Taken)) -> Option<(u64, f64, f64)> {
        let (mut step, mut time, mut before, mut last) = (0u64, 0.0f64, 0.0f64, 0.0f64);
        let mut at_end = self.done(step, time, last);
        while !at_end {
            if step >= limit || dt.is_nan() || dt <= 0.0 {
                return None;
            }
            before = time;
            (last, time) = self.step(time, dt);
            step += 1;
            at_end = self.done(step, time, last);
            each(Taken { step, prev: before, time, at_end });
        }
        Some((step, time, before))
    }
}

/// One step of [`Stepping::walk`]: the step it reached, the time it started from and the time it
/// reached, and whether it is the run's last.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Taken {
    pub step: u64,
    pub prev: f64,
    pub time: f64,
    pub at_end: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reached_counts_the_products() {
        for every in [0.1, 0.3, 1e-3, 7.0, 0.015625] {
            for k in 0..2000u64 {
                let t = k as f64 * every;
                assert_eq!(reached(every, t), k, "every {every}, k {k}");
                assert_eq!(reached(every, t * (1.0 - 1e-15)), k.saturating_sub(1));
                assert!(crossed(every, t * (1.0 - 1e-12), t) || k == 0);
                assert_eq!(next_after(every, t), (k + 1) as f64 * every);
            }
        }
        assert_eq!(reached(0.0, 5.0), 0);
        assert!(!crossed(0.0, 0.0, 5.0));
    }

    #[test]
    fn align_lands_on_the_next_target_only_when_reached() {
        // Far from the target: unchanged.
        assert_eq!(align(0.0, 0.01, [0.1].into_iter()), (0.01, None));
        // Overshooting: shortened to land.
        let (dt, land) = align(0.095, 0.01, [0.1, 0.2].into_iter());
        assert_eq!(land, Some(0.1));
        assert_eq!(dt, 0.1 - 0.095);
        // Falling short by round-off: lengthened by the round-off, no sliver of a step after.
        let t = 0.1 - 1e-13;
        assert_eq!(align(t - 0.01, 0.01, [0.1].into_iter()).1, Some(0.1));
        // Targets at or before the time are past.
        assert_eq!(align(0.1, 0.01, [0.1].into_iter()), (0.01, None));
    }
}
