//! Lid-driven cavity centre-line profiles and their comparison with Ghia, Ghia & Shin (1982),
//! "High-Re solutions for incompressible flow using the Navier-Stokes equations and a multigrid
//! method", J. Comput. Phys. 48:387-411, Tables I (u on x = 0.5) and II (v on y = 0.5).
//!
//! The model's profiles are taken from the face velocities: with nx even, the u faces of column
//! nx/2 - 1 lie exactly on x = 0.5 (at the cell-centre heights), and the v faces of row ny/2 - 1
//! on y = 0.5; the wall values close each profile. They are interpolated to Ghia's points with
//! cubic Lagrange interpolation over the four nearest nodes (error O(h^4), well below the
//! discretisation error).

use crate::error::{Error, Result};
use std::path::Path;

/// A profile: (coordinate, value) nodes, coordinates increasing.
pub type Profile = Vec<(f64, f64)>;

/// Ghia's (coordinate, value) points at Reynolds number `re` from a reference CSV file in the
/// format of [`super::benchmarks::GHIA_U`] (comment lines start with '#'; columns
/// `j|k, y|x, re100, re400, re1000`), in increasing order.
pub fn read_ghia(path: &Path, re: u32) -> Result<Profile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("cannot read {}: {e}", path.display())))?;
    parse_ghia(&text, &path.display().to_string(), re)
}

/// [`read_ghia`] from the text of such a file (`source` names it in errors).
pub fn parse_ghia(text: &str, source: &str, re: u32) -> Result<Profile> {
    let mut lines = text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').map(str::trim).collect();
    let want = format!("re{re}");
    let col = header
        .iter()
        .position(|h| *h == want)
        .ok_or_else(|| Error::config(format!("{source} has no column `{want}` (have {})", header.join(", "))))?;
    let mut out = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        let parse = |i: usize| {
            let s = f.get(i).copied().unwrap_or("");
            s.parse::<f64>().map_err(|e| Error::io(format!("{source}: bad number `{s}`: {e}")))
        };
        out.push((parse(1)?, parse(col)?));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(out)
}

/// Coordinates of points that a reference file's comments flag for Reynolds number `re`
/// (a comment "... the Re=400 value at x=0.9063 breaks its neighbours' trend ...").
pub fn flagged_points(text: &str, re: u32) -> Vec<f64> {
    let tag = format!("Re={re} value at ");
    text.lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let rest = &l[l.find(&tag)? + tag.len()..];
            let num: String = rest.get(2..)?.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            num.parse().ok()
        })
        .collect()
}

/// u along x = lx/2 from the face array `u_face` ((ny, nx) C order, u on east faces), with the
/// wall values 0 at y = 0 and `lid` at y = ly.
pub fn u_on_vertical_centreline(u_face: &[f64], ny: usize, nx: usize, ly: f64, lid: f64) -> Profile {
    let dy = ly / ny as f64;
    let mut p = vec![(0.0, 0.0)];
    for j in 0..ny {
        let val = if nx.is_multiple_of(2) {
            u_face[j * nx + nx / 2 - 1]
        } else {
            0.5 * (u_face[j * nx + nx / 2 - 1] + u_face[j * nx + nx / 2])
        };
        p.push(((j as f64 + 0.5) * dy, val));
    }
    p.push((ly, lid));
    p
}

/// v along y = ly/2 from the face array `v_face` (v on north faces), with 0 at both walls.
pub fn v_on_horizontal_centreline(v_face: &[f64], ny: usize, nx: usize, lx: f64) -> Profile {
    let dx = lx / nx as f64;
    let mut p = vec![(0.0, 0.0)];
    for i in 0..nx {
        let val = if ny.is_multiple_of(2) {
            v_face[(ny / 2 - 1) * nx + i]
        } else {
            0.5 * (v_face[(ny / 2 - 1) * nx + i] + v_face[(ny / 2) * nx + i])
        };
        p.push(((i as f64 + 0.5) * dx, val));
    }
    p.push((lx, 0.0));
    p
}

/// Cubic Lagrange interpolation of `p` at `x` over the four nearest nodes.
pub fn interpolate(p: &Profile, x: f64) -> f64 {
    let n = p.len();
    let k = p.partition_point(|q| q.0 < x);
    let start = k.saturating_sub(2).min(n.saturating_sub(4));
    let nodes = &p[start..(start + 4).min(n)];
    let mut s = 0.0;
    for (a, &(xa, ya)) in nodes.iter().enumerate() {
        let mut w = 1.0;
        for (b, &(xb, _)) in nodes.iter().enumerate() {
            if a != b {
                w *= (x - xb) / (xa - xb);
            }
        }
        s += w * ya;
    }
    s
}

/// The largest (`max`) or smallest value of the cubic interpolant of `p` and where it lies:
/// (coordinate, value). The extreme node, then the interpolant sampled finely between its two
/// neighbours (the interpolant is smooth there; 1/2000 of the interval is far below h^2).
pub fn extremum(p: &Profile, max: bool) -> (f64, f64) {
    let sign = if max { 1.0 } else { -1.0 };
    let k = (0..p.len()).max_by(|&a, &b| (sign * p[a].1).total_cmp(&(sign * p[b].1))).expect("a non-empty profile");
    let (lo, hi) = (p[k.saturating_sub(1)].0, p[(k + 1).min(p.len() - 1)].0);
    let mut best = p[k];
    for i in 0..=2000 {
        let x = lo + (hi - lo) * i as f64 / 2000.0;
        let v = interpolate(p, x);
        if sign * v > sign * best.1 {
            best = (x, v);
        }
    }
    best
}

/// Per reference point (coordinate, reference, model); and the max abs and RMS deviation.
pub fn compare(model: &Profile, reference: &Profile) -> (Vec<(f64, f64, f64)>, f64, f64) {
    let rows: Vec<(f64, f64, f64)> = reference.iter().map(|&(x, r)| (x, r, interpolate(model, x))).collect();
    let max = rows.iter().map(|(_, r, m)| (m - r).abs()).fold(0.0, f64::max);
    let rms = (rows.iter().map(|(_, r, m)| (m - r) * (m - r)).sum::<f64>() / rows.len().max(1) as f64).sqrt();
    (rows, max, rms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_interpolation_is_exact_for_cubics() {
        let f = |x: f64| 1.0 - 2.0 * x + 0.5 * x * x * x;
        let p: Profile = [0.0, 0.1, 0.35, 0.5, 0.8, 1.0].iter().map(|&x| (x, f(x))).collect();
        for x in [0.0, 0.05, 0.4, 0.77, 1.0] {
            assert!((interpolate(&p, x) - f(x)).abs() < 1e-14, "{x}");
        }
    }

    #[test]
    fn flagged_points_are_read_from_comments() {
        let text = "# Note: the Re=400 value at x=0.9063 breaks its trend\nk,x,re100,re400\n";
        assert_eq!(flagged_points(text, 400), vec![0.9063]);
        assert!(flagged_points(text, 100).is_empty());
        assert_eq!(flagged_points(super::super::benchmarks::GHIA_V.text, 400), vec![0.9063]);
    }

    #[test]
    fn extremum_of_a_parabola_between_nodes() {
        // Nodes every 0.1 of 1 - (x - 0.537)^2: the maximum lies between nodes.
        let p: Profile = (0..=10).map(|i| i as f64 * 0.1).map(|x| (x, 1.0 - (x - 0.537) * (x - 0.537))).collect();
        let (x, v) = extremum(&p, true);
        assert!((x - 0.537).abs() < 1e-3 && (v - 1.0).abs() < 1e-9, "{x} {v}");
        let (x, v) = extremum(&p, false);
        assert_eq!((x, v), p[0]); // the far end: 1 - 0.537^2 < 1 - 0.463^2
    }

    #[test]
    fn centreline_takes_the_faces_on_the_line() {
        // 2 x 4 grid: column 1 of u lies on x = 0.5.
        let u = [0.0, 7.0, 0.0, 0.0, 0.0, 9.0, 0.0, 0.0];
        let p = u_on_vertical_centreline(&u, 2, 4, 1.0, 1.0);
        assert_eq!(p, vec![(0.0, 0.0), (0.25, 7.0), (0.75, 9.0), (1.0, 1.0)]);
    }
}
