//! From runs to per-configuration summaries: median/min/max time per step over the repeats,
//! phases, and speedup and efficiency against the baseline (see the module docs of
//! [`crate::scaling`] for the formulas).

use super::{ConfigSummary, Mode, RunRecord};
use std::collections::BTreeMap;

/// Median of a non-empty slice (mean of the middle two for an even count); NaN if empty.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

fn median_phases(runs: &[&RunRecord], pick: fn(&RunRecord) -> &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    let mut names: Vec<&String> = runs.iter().flat_map(|r| pick(r).keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let v: Vec<f64> = runs.iter().map(|r| pick(r).get(n).copied().unwrap_or(0.0)).collect();
            (n.clone(), median(&v))
        })
        .collect()
}

/// Summaries in the order of `configs` ((ranks, threads) pairs), with speedup and efficiency.
/// Returns them with the baseline's label.
pub fn summarise(mode: Mode, configs: &[(usize, usize)], runs: &[RunRecord]) -> (Vec<ConfigSummary>, Option<String>) {
    let mut out: Vec<ConfigSummary> = configs
        .iter()
        .map(|&(ranks, threads)| {
            let all: Vec<&RunRecord> = runs.iter().filter(|r| r.ranks == ranks && r.threads == threads).collect();
            let ok: Vec<&RunRecord> = all.iter().copied().filter(|r| r.ok).collect();
            let interrupted = all.iter().filter(|r| r.interrupted).count();
            let t: Vec<f64> = ok.iter().map(|r| r.time_per_step).collect();
            let tm = median(&t);
            let first = ok.first().or(all.first());
            let cells = first.map(|r| r.cells).unwrap_or(0);
            ConfigSummary {
                ranks,
                threads,
                cores: ranks * threads,
                grid: first.map(|r| r.grid.clone()).unwrap_or_default(),
                cells,
                runs_ok: ok.len(),
                runs_failed: all.len() - ok.len() - interrupted,
                runs_interrupted: interrupted,
                time_per_step_median: tm,
                time_per_step_min: t.iter().copied().fold(f64::NAN, f64::min),
                time_per_step_max: t.iter().copied().fold(f64::NAN, f64::max),
                cell_updates_per_second: cells as f64 / tm,
                speedup: None,
                efficiency: None,
                phases_max: median_phases(&ok, |r| &r.phases_max),
                phases_mean: median_phases(&ok, |r| &r.phases_mean),
                steps: ok.first().map(|r| r.steps).unwrap_or(0),
                steps_per_sweep: ok.first().map(|r| r.steps_per_sweep).unwrap_or(0),
                bound_cell_updates_per_second: None,
                percent_of_bound: None,
            }
        })
        .collect();
    // Baseline: 1 x 1 if it has a time, else the fewest cores (then fewest ranks) with a time.
    let base = out
        .iter()
        .filter(|c| c.time_per_step_median.is_finite())
        .min_by_key(|c| (c.cores, c.ranks))
        .map(|c| (c.cores as f64, c.time_per_step_median, c.label()));
    if let Some((pb, tb, _)) = &base {
        for c in &mut out {
            let (p, t) = (c.cores as f64, c.time_per_step_median);
            if !t.is_finite() {
                continue;
            }
            let (s, e) = match mode {
                Mode::Strong => {
                    let s = tb * pb / t;
                    (s, s / p)
                }
                Mode::Weak => {
                    let e = tb / t;
                    (p * e, e)
                }
            };
            c.speedup = Some(s);
            c.efficiency = Some(e);
        }
    }
    (out, base.map(|b| b.2))
}

/// Set each configuration's bandwidth bound (cell updates per second for its cores) and its
/// throughput as a percentage of it.
pub fn apply_bound(summary: &mut [ConfigSummary], bw: Option<&super::Bandwidth>, bytes_per_update: Option<f64>) {
    let (Some(bw), Some(bytes)) = (bw, bytes_per_update) else { return };
    for c in summary {
        let bound = bw.for_cores(c.cores) * 1e9 / bytes;
        if bound > 0.0 && bound.is_finite() {
            c.bound_cell_updates_per_second = Some(bound);
            c.percent_of_bound =
                c.cell_updates_per_second.is_finite().then(|| 100.0 * c.cell_updates_per_second / bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ranks: usize, threads: usize, t: f64, ok: bool) -> RunRecord {
        RunRecord {
            ranks,
            threads,
            repeat: 1,
            ok,
            error: None,
            grid: vec![4, 4],
            cells: 16,
            steps: 10,
            time_per_step: t,
            cell_updates_per_second: 16.0 / t,
            wall_seconds: 1.0,
            phases: BTreeMap::new(),
            phases_max: [("compute".to_string(), t * 10.0)].into_iter().collect(),
            phases_mean: BTreeMap::new(),
            report: String::new(),
            config: String::new(),
            steps_per_sweep: 1,
            interrupted: false,
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn strong_and_weak_speedups_use_median_times_and_skip_failures() {
        let runs = vec![
            run(1, 1, 1.0, true),
            run(1, 1, 3.0, true),
            run(1, 1, 2.0, true),
            run(2, 1, 0.5, true),
            run(2, 1, 9.0, false),
            run(1, 2, 0.8, true),
        ];
        let cfgs = [(1, 1), (2, 1), (1, 2), (2, 2)];
        let (s, base) = summarise(Mode::Strong, &cfgs, &runs);
        assert_eq!(base.as_deref(), Some("1x1"));
        assert_eq!(s[0].time_per_step_median, 2.0);
        assert_eq!((s[0].time_per_step_min, s[0].time_per_step_max), (1.0, 3.0));
        assert_eq!(s[1].speedup, Some(4.0));
        assert_eq!(s[1].efficiency, Some(2.0));
        assert_eq!((s[1].runs_ok, s[1].runs_failed, s[1].runs_interrupted), (1, 1, 0));
        assert_eq!(s[2].speedup, Some(2.5));
        assert!(s[3].speedup.is_none() && s[3].time_per_step_median.is_nan());
        assert_eq!(s[0].phases_max["compute"], 20.0);
        let (w, _) = summarise(Mode::Weak, &cfgs, &runs);
        assert_eq!(w[1].efficiency, Some(4.0));
        assert_eq!(w[1].speedup, Some(8.0));
    }

    #[test]
    fn an_interrupted_run_is_neither_a_time_nor_a_failure() {
        let mut stopped = run(2, 1, 0.1, false);
        stopped.interrupted = true;
        let runs = vec![run(1, 1, 1.0, true), run(2, 1, 0.5, true), stopped];
        let (s, _) = summarise(Mode::Strong, &[(1, 1), (2, 1), (1, 2)], &runs);
        assert_eq!((s[1].runs_ok, s[1].runs_failed, s[1].runs_interrupted), (1, 0, 1));
        assert_eq!(s[1].time_per_step_median, 0.5);
        // A configuration the study never reached: no runs of any kind.
        assert_eq!((s[2].runs_ok, s[2].runs_failed, s[2].runs_interrupted), (0, 0, 0));
    }

    #[test]
    fn the_bound_is_bandwidth_over_bytes_per_update() {
        let runs = vec![run(1, 1, 2.0, true), run(1, 2, 1.0, true)];
        let (mut s, _) = summarise(Mode::Strong, &[(1, 1), (1, 2)], &runs);
        let bw = crate::scaling::Bandwidth {
            one_thread_gbs: 16.0,
            all_cores_gbs: 24.0,
            all_threads: 2,
            ..Default::default()
        };
        apply_bound(&mut s, Some(&bw), None);
        assert!(s[0].bound_cell_updates_per_second.is_none(), "no bound without bytes per update");
        apply_bound(&mut s, Some(&bw), Some(16.0));
        assert_eq!(s[0].bound_cell_updates_per_second, Some(1e9));
        assert_eq!(s[1].bound_cell_updates_per_second, Some(1.5e9));
        // 16 cells in 2 s per step = 8 cell updates per second.
        assert_eq!(s[0].percent_of_bound, Some(100.0 * 8.0 / 1e9));
    }
}
