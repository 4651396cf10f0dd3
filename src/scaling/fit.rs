//! Least-squares fits of the serial fraction (nalgebra).
//!
//! - Amdahl (strong scaling): `S(p) = 1 / (f + (1 - f) / p)`. Rearranged, `1/S - 1/p = f (1 - 1/p)`
//!   is linear in f through the origin, and f is its least-squares solution.
//! - Gustafson (weak scaling): scaled speedup `S(p) = p - s (p - 1)`, so `p - S = s (p - 1)`.
//!
//! The residual reported is the root-mean-square of measured minus fitted speedup over the
//! points used, in speedup units. A fit is flagged as not meaningful ([`judge`]) when its
//! fraction is outside [0, 1] (more cores made it slower, or faster than ideal: the law does not
//! describe the measurements) or its residual exceeds [`POOR_RESIDUAL`] of the mean measured
//! speedup. Oversubscribed configurations (more cores than the CPUs) are left out of the fits:
//! time slicing is not a serial fraction.

use super::{ConfigSummary, Fit, Mode};
use nalgebra::{DMatrix, DVector};

/// Least-squares `y = c x` (one column, no intercept) by SVD; None if every x is zero.
pub fn through_origin(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.is_empty() || x.iter().all(|v| v.abs() < 1e-300) {
        return None;
    }
    let a = DMatrix::from_column_slice(x.len(), 1, x);
    let b = DVector::from_column_slice(y);
    let sol = a.svd(true, true).solve(&b, 1e-14).ok()?;
    Some(sol[0])
}

/// Amdahl's speedup for serial fraction `f` on `p` cores.
pub fn amdahl(f: f64, p: f64) -> f64 {
    1.0 / (f + (1.0 - f) / p)
}

/// Gustafson's scaled speedup for serial fraction `s` on `p` cores.
pub fn gustafson(s: f64, p: f64) -> f64 {
    p - s * (p - 1.0)
}

/// Fit the law of `mode` to (cores, speedup) points.
pub fn fit(mode: Mode, points: &[(f64, f64)], label: &str) -> Option<Fit> {
    let (x, y): (Vec<f64>, Vec<f64>) = match mode {
        Mode::Strong => points.iter().map(|&(p, s)| (1.0 - 1.0 / p, 1.0 / s - 1.0 / p)).unzip(),
        Mode::Weak => points.iter().map(|&(p, s)| (p - 1.0, p - s)).unzip(),
    };
    let f = through_origin(&x, &y)?;
    let model = |p: f64| match mode {
        Mode::Strong => amdahl(f, p),
        Mode::Weak => gustafson(f, p),
    };
    let ss: f64 = points.iter().map(|&(p, s)| (s - model(p)).powi(2)).sum();
    let mut fit = Fit {
        points: label.to_string(),
        law: if mode == Mode::Strong { "amdahl" } else { "gustafson" }.to_string(),
        serial_fraction: f,
        rms_residual: (ss / points.len() as f64).sqrt(),
        n_points: points.len(),
        meaningful: true,
        note: String::new(),
    };
    judge(&mut fit, points);
    Some(fit)
}

/// A residual above this share of the mean measured speedup makes a fit "poor".
pub const POOR_RESIDUAL: f64 = 0.1;

/// Flag `fit` as not meaningful when its fraction is outside [0, 1] or its residual is poor
/// against the (cores, speedup) `points` it was fitted to.
pub fn judge(fit: &mut Fit, points: &[(f64, f64)]) {
    let mut why = Vec::new();
    let f = fit.serial_fraction;
    if !(0.0..=1.0).contains(&f) || !f.is_finite() {
        why.push(format!("serial fraction {f:.3} is outside [0, 1]"));
    }
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len().max(1) as f64;
    if fit.rms_residual > POOR_RESIDUAL * mean {
        why.push(format!(
            "poor fit: RMS residual {:.3} is {:.0} % of the mean speedup {mean:.3}",
            fit.rms_residual,
            100.0 * fit.rms_residual / mean
        ));
    }
    if !why.is_empty() {
        fit.meaningful = false;
        fit.note = why.join("; ");
    }
}

/// Fits over all configurations, over threads only (1 rank) and over ranks only (1 thread), each
/// where it has a point on more than one core; configurations of more than `cpus` cores are left
/// out (and the note says so).
pub fn fits(mode: Mode, summary: &[ConfigSummary], cpus: usize) -> Vec<Fit> {
    type Keep = fn(&ConfigSummary) -> bool;
    let groups: [(&str, Keep); 3] =
        [("all", |_| true), ("threads only (1 rank)", |c| c.ranks == 1), ("ranks only (1 thread)", |c| c.threads == 1)];
    let mut out = Vec::new();
    for (label, keep) in groups {
        let timed: Vec<&ConfigSummary> =
            summary.iter().filter(|c| keep(c) && c.speedup.is_some_and(|s| s.is_finite() && s > 0.0)).collect();
        let over: Vec<String> = timed.iter().filter(|c| c.cores > cpus).map(|c| c.label()).collect();
        let pts: Vec<(f64, f64)> =
            timed.iter().filter(|c| c.cores <= cpus).filter_map(|c| c.speedup.map(|s| (c.cores as f64, s))).collect();
        if pts.iter().any(|&(p, _)| p > 1.0) {
            if let Some(mut f) = fit(mode, &pts, label) {
                if !over.is_empty() {
                    let left = format!("oversubscribed {} left out", over.join(", "));
                    f.note = if f.note.is_empty() { left } else { format!("{}; {left}", f.note) };
                }
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amdahl_fraction_is_recovered_from_exact_speedups() {
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0].iter().map(|&p| (p, amdahl(0.1, p))).collect();
        let f = fit(Mode::Strong, &pts, "all").unwrap();
        assert!((f.serial_fraction - 0.1).abs() < 1e-12, "{}", f.serial_fraction);
        assert!(f.rms_residual < 1e-12);
        assert_eq!(f.law, "amdahl");
    }

    #[test]
    fn gustafson_fraction_is_recovered_and_noise_shows_in_the_residual() {
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0].iter().map(|&p| (p, gustafson(0.25, p))).collect();
        let f = fit(Mode::Weak, &pts, "all").unwrap();
        assert!((f.serial_fraction - 0.25).abs() < 1e-12);
        let noisy = [(1.0, 1.0), (2.0, 1.7), (4.0, 3.0)];
        let g = fit(Mode::Weak, &noisy, "all").unwrap();
        // Normal equations by hand: s = sum(x y) / sum(x x) with x = p - 1, y = p - S.
        let s = (1.0 * 0.3 + 3.0 * 1.0) / (1.0 + 9.0);
        assert!((g.serial_fraction - s).abs() < 1e-12);
        let rms = (((1.7 - gustafson(s, 2.0)).powi(2) + (3.0 - gustafson(s, 4.0)).powi(2)) / 3.0).sqrt();
        assert!((g.rms_residual - rms).abs() < 1e-12);
    }

    #[test]
    fn no_fit_without_a_multi_core_point() {
        assert!(fit(Mode::Strong, &[(1.0, 1.0)], "all").is_none());
    }

    #[test]
    fn fractions_outside_the_unit_interval_and_poor_fits_are_flagged() {
        let good = fit(Mode::Strong, &[(1.0, 1.0), (2.0, amdahl(0.2, 2.0)), (4.0, amdahl(0.2, 4.0))], "all").unwrap();
        assert!(good.meaningful && good.note.is_empty(), "{good:?}");
        // Two cores slower than one: 1/S - 1/2 = f / 2 with S = 0.6 gives f = 2.33.
        let slower = fit(Mode::Strong, &[(1.0, 1.0), (2.0, 0.6)], "all").unwrap();
        assert!(slower.serial_fraction > 1.0);
        assert!(!slower.meaningful && slower.note.contains("outside [0, 1]"), "{slower:?}");
        // Faster than ideal: a negative fraction.
        let superlinear = fit(Mode::Strong, &[(1.0, 1.0), (2.0, 2.5)], "all").unwrap();
        assert!(superlinear.serial_fraction < 0.0 && !superlinear.meaningful);
        // A fraction in range that fits badly: 2 cores far better than 4.
        let zigzag = fit(Mode::Strong, &[(1.0, 1.0), (2.0, 1.9), (4.0, 1.1), (8.0, 7.0)], "all").unwrap();
        assert!((0.0..=1.0).contains(&zigzag.serial_fraction), "{zigzag:?}");
        assert!(!zigzag.meaningful && zigzag.note.contains("poor fit"), "{zigzag:?}");
    }
}
