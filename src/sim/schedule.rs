//! Timed schedules: output times t_k = k x T, each computed from its integer k (never accumulated),
//! so a restart at any time finds the same next output time, and the step that lands on one
//! (`time.align_outputs`) lands on the same bits.

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
