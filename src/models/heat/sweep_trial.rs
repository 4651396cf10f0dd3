//! Which sweep plan a run keeps, measured on the machine in the run's own first sweeps.
//!
//! A plan is the steps per sweep and the bytes of ring buffers the sweep may use ([`ring_budgets`];
//! in 2-D they set the steps, in 3-D the steps and the height of the bands). Which is faster
//! depends on the cache hierarchy in ways the sizes sysfs reports do not settle (rings spilled
//! into L3 pay off on a core with fast L3 and lose on one without), so when the plans differ the
//! run takes its first sweeps with each in turn (A, B, B, A: drift in the machine's speed weighs
//! on both alike), keeps each plan's best seconds per step, takes the slowest rank's figure for
//! each (MPI) and keeps the plan that is fastest there from then on. The bits do not depend on
//! the plan (every plan computes every cell by the single-step expression, see [`super::fused`]
//! and [`super::fused_3d`]), so the trial costs only the time the slower plan loses in two
//! sweeps, and a run restarted or split differently computes the same numbers whatever it picks.
//! A call of fewer than half its plan's steps (before an output) is not a sample (one of at least
//! half is: with outputs more often than a plan's steps, its calls are that long all run long);
//! after [`GIVE_UP_CALLS`] calls the trial ends with what it has (a plan never sampled is not
//! kept). Every rank sees the same calls, so every rank agrees when the trial ends.
//! `parallel.sweep_trial = false` leaves one plan, the first.

use crate::par::Comm;
use crate::report::{SweepPlan, SweepTrialReport};

/// The ring budgets (bytes of ring buffers of a sweep, or of a band of a 3-D sweep) a run tries in
/// its first sweeps, keeping the faster: half of a core's L2 cache of `l2_bytes`
/// ([`crate::machine::l2_cache_bytes`]), where the rings stay in L2 (measured best on a 2 MiB L2
/// at 3-D 128^3-384^3), and four times the L2, where they spill into L3 but sweeps take more steps
/// and 3-D bands are taller (fewer rows computed twice). On a Zen 5 core's 1 MiB L2 the second
/// won every run measured: 3-D 512^3 4 steps instead of 3, 1.13x on 1 and 2 threads; 2-D 8192^2
/// 8 steps instead of 3, 1.08x / 1.13x (whole runs, 5 interleaved rounds each).
pub fn ring_budgets(l2_bytes: usize) -> [usize; 2] {
    [l2_bytes / 2, 4 * l2_bytes]
}

/// Steps per sweep and the ring budget they were chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub steps: usize,
    pub ring_bytes: usize,
}

/// Calls after which a trial ends with the samples it has.
pub const GIVE_UP_CALLS: usize = 16;

#[derive(Debug, Clone)]
pub struct SweepTrial {
    plans: Vec<Plan>,
    /// Each plan's best seconds per step so far (after the trial: the slowest rank's).
    best: Vec<f64>,
    /// Samples taken, in the order of [`SweepTrial::order`], and calls seen.
    taken: usize,
    calls: usize,
    chosen: Option<usize>,
}

impl SweepTrial {
    /// A trial of `plans` (one plan: nothing to try).
    pub fn new(plans: Vec<Plan>) -> SweepTrial {
        assert!(!plans.is_empty(), "at least one sweep plan");
        let chosen = (plans.len() == 1).then_some(0);
        SweepTrial { best: vec![f64::INFINITY; plans.len()], plans, taken: 0, calls: 0, chosen }
    }

    /// The plans in trial order: each once forwards, then each once backwards.
    fn order(&self, i: usize) -> usize {
        let n = self.plans.len();
        if i < n {
            i
        } else {
            2 * n - 1 - i
        }
    }

    /// The plan for the next sweep.
    pub fn current(&self) -> Plan {
        self.plans[self.chosen.unwrap_or_else(|| self.order(self.taken))]
    }

    /// The most steps any plan takes per sweep (the halo depth the state needs).
    pub fn deepest(&self) -> usize {
        self.plans.iter().map(|p| p.steps).max().unwrap_or(1)
    }

    /// A sweep of `steps` steps with [`SweepTrial::current`] took `seconds` of compute on this
    /// rank. Collective on `comm` when it ends the trial (every rank calls it alike).
    pub fn record(&mut self, steps: usize, seconds: f64, comm: &dyn Comm) {
        if self.chosen.is_some() {
            return;
        }
        let i = self.order(self.taken);
        let planned = self.plans[i].steps;
        if steps == planned || (steps >= 2 && 2 * steps >= planned) {
            self.best[i] = self.best[i].min(seconds / steps as f64);
            self.taken += 1;
        }
        self.calls += 1;
        if self.taken == 2 * self.plans.len() || self.calls == GIVE_UP_CALLS {
            comm.max_f64(&mut self.best);
            let fastest = (0..self.plans.len()).min_by(|&a, &b| self.best[a].total_cmp(&self.best[b]));
            self.chosen = fastest;
        }
    }

    /// The trial for the run report: None if there was nothing to try.
    pub fn report(&self) -> Option<SweepTrialReport> {
        (self.plans.len() > 1).then(|| SweepTrialReport {
            plans: (self.plans.iter().zip(&self.best))
                .map(|(p, &s)| SweepPlan {
                    steps_per_sweep: p.steps,
                    ring_bytes: p.ring_bytes,
                    seconds_per_step: s.is_finite().then_some(s),
                })
                .collect(),
            chosen: self.chosen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::par::SingleComm;

    fn two() -> SweepTrial {
        SweepTrial::new(vec![Plan { steps: 3, ring_bytes: 1 << 19 }, Plan { steps: 4, ring_bytes: 1 << 22 }])
    }

    #[test]
    fn tries_each_plan_twice_and_keeps_the_faster_per_step() {
        let mut t = two();
        assert_eq!(t.deepest(), 4);
        // A, B, B, A; B's sweeps take longer but do more steps: 0.35 / 4 < 0.3 / 3.
        let mut seen = Vec::new();
        for seconds in [0.30, 0.35, 0.36, 0.31] {
            let p = t.current();
            seen.push(p.steps);
            t.record(p.steps, seconds, &SingleComm);
        }
        assert_eq!(seen, [3, 4, 4, 3]);
        assert_eq!(t.current().steps, 4);
        let r = t.report().unwrap();
        assert_eq!(r.chosen, Some(1));
        assert_eq!(r.plans[0].seconds_per_step, Some(0.30 / 3.0));
        assert_eq!(r.plans[1].seconds_per_step, Some(0.35 / 4.0));
        // Settled: later sweeps change nothing.
        t.record(4, 100.0, &SingleComm);
        assert_eq!(t.current().steps, 4);
    }

    #[test]
    fn short_calls_are_not_samples() {
        let mut t = SweepTrial::new(vec![Plan { steps: 3, ring_bytes: 1 << 19 }, Plan { steps: 8, ring_bytes: 1 << 22 }]);
        t.record(1, 0.001, &SingleComm);
        t.record(3, 0.30, &SingleComm);
        // A call of 3 steps under plan B (before an output): under half of B's 8, not a sample.
        t.record(3, 0.001, &SingleComm);
        assert_eq!(t.current().steps, 8);
        // Calls of 7 (outputs every 7 steps) are B's samples: 0.8 / 7 > 0.1.
        for s in [0.8, 0.8, 0.31] {
            let p = t.current();
            t.record(p.steps.min(7), s, &SingleComm);
        }
        assert_eq!(t.report().unwrap().chosen, Some(0));
    }

    #[test]
    fn a_trial_without_samples_ends_after_its_calls_and_keeps_what_was_timed() {
        let mut t = SweepTrial::new(vec![Plan { steps: 2, ring_bytes: 1 << 19 }, Plan { steps: 8, ring_bytes: 1 << 22 }]);
        t.record(2, 0.2, &SingleComm);
        // Outputs every 3 steps: plan B never gets a call of 4 or more.
        for _ in 1..GIVE_UP_CALLS - 1 {
            t.record(3, 0.01, &SingleComm);
            assert!(t.report().unwrap().chosen.is_none());
        }
        t.record(3, 0.01, &SingleComm);
        let r = t.report().unwrap();
        assert_eq!(r.chosen, Some(0), "{r:?}");
        assert_eq!(r.plans[1].seconds_per_step, None);
        assert_eq!(t.current().steps, 2);
    }

    #[test]
    fn one_plan_needs_no_trial() {
        let t = SweepTrial::new(vec![Plan { steps: 8, ring_bytes: 0 }]);
        assert_eq!(t.current().steps, 8);
        assert!(t.report().is_none());
    }
}
