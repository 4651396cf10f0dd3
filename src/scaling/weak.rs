//! Weak scaling: grow the global grid with the number of cores so the cells per core stay the
//! same as in the configured (1-core) grid.
//!
//! How: `p = ranks x threads` is split into prime factors, largest first, and each factor
//! multiplies the axis that has grown least so far (ties go to x, then y, then z). So p = 2 doubles
//! nx; p = 4 doubles nx and ny; p = 8 in 2-D gives 4 nx x 2 ny, in 3-D doubles every axis; p = 6
//! gives 3 nx x 2 ny. The cell count is exactly p times the base, for any p.
//!
//! The domain lengths grow with their axes (lx, ly, lz times the same factor), so the cell size,
//! the stable dt, and hence the number of steps to a given `time.end_time`, stay those of the base
//! run: every core does the same work per step on a bigger plate.
//!
//! Refused with a one-line error: a grid whose grown cell count would overflow, and (in any mode)
//! a configuration that pins `parallel.layout`, which fixes the process grid to one rank count.

use crate::config::Config;
use crate::error::{Error, Result};

/// The grown grid for `p` cores.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    /// Factor per axis, (x, y, z); z is 1 in 2-D.
    pub factors: [usize; 3],
    /// The grown global array shape in report order: (ny, nx) in 2-D, (nz, ny, nx) in 3-D.
    pub shape: Vec<usize>,
    /// `--set` overrides that produce it (grid.nx, grid.lx, ...).
    pub overrides: Vec<String>,
}

/// Prime factors of `p`, largest first.
fn prime_factors(mut p: usize) -> Vec<usize> {
    let mut f = Vec::new();
    let mut d = 2;
    while d * d <= p {
        while p.is_multiple_of(d) {
            f.push(d);
            p /= d;
        }
        d += 1;
    }
    if p > 1 {
        f.push(p);
    }
    f.reverse();
    f
}

/// Per-axis growth factors (x, y, z) for `p` cores on a grid of `dims` dimensions.
pub fn factors(p: usize, dims: usize) -> [usize; 3] {
    let mut g = [1usize; 3];
    for f in prime_factors(p) {
        // The axis grown least so far; ties to the lowest index (x, then y, then z).
        let axis = (0..dims).min_by_key(|&a| (g[a], a)).expect("at least one axis");
        g[axis] *= f;
    }
    g
}

/// The grid of `cfg` grown for `p` cores.
pub fn grow(cfg: &Config, p: usize) -> Result<Growth> {
    if p == 0 {
        return Err(Error::config("weak scaling needs at least one core per run"));
    }
    let dims = cfg.dims();
    let g = &cfg.grid;
    let f = factors(p, dims);
    let n = [g.nx, g.ny, g.nz.unwrap_or(1)];
    let mut grown = [0usize; 3];
    for a in 0..3 {
        grown[a] = n[a].checked_mul(f[a]).ok_or_else(|| overflow(cfg, p))?;
    }
    grown.iter().try_fold(1usize, |acc, &v| acc.checked_mul(v)).ok_or_else(|| overflow(cfg, p))?;
    let mut overrides = vec![
        format!("grid.nx={}", grown[0]),
        format!("grid.lx={:?}", g.lx * f[0] as f64),
        format!("grid.ny={}", grown[1]),
        format!("grid.ly={:?}", g.ly * f[1] as f64),
    ];
    let shape = if dims == 3 {
        overrides.push(format!("grid.nz={}", grown[2]));
        overrides.push(format!("grid.lz={:?}", g.lz * f[2] as f64));
        vec![grown[2], grown[1], grown[0]]
    } else {
        vec![grown[1], grown[0]]
    };
    Ok(Growth { factors: f, shape, overrides })
}

fn overflow(cfg: &Config, p: usize) -> Error {
    Error::config(format!(
        "weak scaling: grid {} x {} cannot grow {p}-fold (cell count overflows); use a smaller grid or fewer cores",
        cfg.grid.nx, cfg.grid.ny
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Config {
        let text = format!("model = \"heat\"\n[grid]\nnx = 10\nny = 6\nlx = 2.0\n{extra}[time]\nsteps = 1\n");
        crate::config::load_str(&text, "t", &[]).unwrap()
    }

    #[test]
    fn factors_keep_cells_per_core_and_balance_axes() {
        assert_eq!(factors(1, 2), [1, 1, 1]);
        assert_eq!(factors(2, 2), [2, 1, 1]);
        assert_eq!(factors(4, 2), [2, 2, 1]);
        assert_eq!(factors(8, 2), [4, 2, 1]);
        assert_eq!(factors(8, 3), [2, 2, 2]);
        assert_eq!(factors(6, 2), [3, 2, 1]);
        assert_eq!(factors(7, 3), [7, 1, 1]);
        for p in 1..=64 {
            for dims in [2, 3] {
                let f = factors(p, dims);
                assert_eq!(f.iter().product::<usize>(), p, "p={p} dims={dims}");
            }
        }
    }

    #[test]
    fn grown_grid_scales_lengths_with_cells() {
        let g = grow(&cfg(""), 4).unwrap();
        assert_eq!(g.shape, vec![12, 20]);
        assert!(g.overrides.contains(&"grid.nx=20".to_string()));
        assert!(g.overrides.contains(&"grid.lx=4.0".to_string()));
        assert!(g.overrides.contains(&"grid.ly=2.0".to_string()));
        let c = crate::config::load_str(
            "model = \"heat\"\n[grid]\nnx = 10\nny = 6\nlx = 2.0\n[time]\nsteps = 1\n",
            "t",
            &g.overrides,
        )
        .unwrap();
        let (base, grown) = (crate::grid::Grid::from_config(&cfg("").grid), crate::grid::Grid::from_config(&c.grid));
        assert_eq!(grown.cells(), 4 * base.cells());
        assert_eq!(grown.d, base.d, "cell size unchanged");
        let g3 = grow(&cfg("nz = 3\n"), 8).unwrap();
        assert_eq!(g3.shape, vec![6, 12, 20]);
    }

    #[test]
    fn overflowing_growth_is_refused() {
        let mut c = cfg("");
        c.grid.nx = 1 << 40;
        c.grid.ny = 1 << 20;
        let e = grow(&c, 1 << 10).unwrap_err();
        assert!(e.message.contains("cannot grow"), "{}", e.message);
    }
}
