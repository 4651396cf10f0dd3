//! Least-squares fits of the serial fraction (nalgebra).
//!
//! - Amdahl (strong scaling): `S(p) = 1 / (f + (1 - f) / p)`. Rearranged, `1/S - 1/p = f (1 - 1/p)`
//!   is linear in f through the origin, and f is its least-squares solution.
//! - Gustafson (weak scaling): scaled speedup `S(p) = p - s (p - 1)`, so `p - S = s (p - 1)`.
//!
//! The residual reported is the root-mean-square of measured minus fitted speedup over the
//! points used, in speedup units. A fraction outside [0, 1] is reported as is: it says the law
//! does not describe the measurements (e.g. oversubscribed cores).

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
    Some(Fit {
        points: label.to_string(),
        law: if mode == Mode::Strong { "amdahl" } else { "gustafson" }.to_string(),
        serial_fraction: f,
        rms_residual: (ss / points.len() as f64).sqrt(),
        n_points: points.len(),
    })
}

/// Fits over all configurations, over threads only (1 rank) and over ranks only (1 thread), each
/// where it has a point on more than one core.
pub fn fits(mode: Mode, summary: &[ConfigSummary]) -> Vec<Fit> {
    type Keep = fn(&ConfigSummary) -> bool;
    let groups: [(&str, Keep); 3] =
        [("all", |_| true), ("threads only (1 rank)", |c| c.ranks == 1), ("ranks only (1 thread)", |c| c.threads == 1)];
    let mut out = Vec::new();
    for (label, keep) in groups {
        let pts: Vec<(f64, f64)> = summary
            .iter()
            .filter(|c| keep(c))
            .filter_map(|c| c.speedup.filter(|s| s.is_finite() && *s > 0.0).map(|s| (c.cores as f64, s)))
            .collect();
        if pts.iter().any(|&(p, _)| p > 1.0) {
            out.extend(fit(mode, &pts, label));
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
}
