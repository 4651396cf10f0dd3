//! Global grid geometry: a cell-centred box [0, lx] x [0, ly] (x [0, lz]) cut into nx x ny (x nz)
//! cells. Arrays are indexed (z, y, x) in C order; a 2-D grid has nz = 1. Row 0 is the low-y edge:
//! cell (j, i) has its centre at ((i + 0.5) dx, (j + 0.5) dy). Sizes are printed x first
//! ("nx x ny (x nz)", [`Grid::size_text`]); see the README section "Axes".

use crate::config::GridConfig;

#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// 2 or 3.
    pub dims: usize,
    /// Cells per axis, (nz, ny, nx); nz = 1 in 2-D.
    pub n: [usize; 3],
    /// Domain lengths, (lz, ly, lx).
    pub len: [f64; 3],
    /// Cell sizes, (dz, dy, dx).
    pub d: [f64; 3],
}

impl Grid {
    pub fn from_config(g: &GridConfig) -> Grid {
        let dims = if g.nz.is_some() { 3 } else { 2 };
        let n = [g.nz.unwrap_or(1), g.ny, g.nx];
        let len = [g.lz, g.ly, g.lx];
        let d = [len[0] / n[0] as f64, len[1] / n[1] as f64, len[2] / n[2] as f64];
        Grid { dims, n, len, d }
    }

    pub fn cells(&self) -> u64 {
        self.n.iter().map(|&v| v as u64).product()
    }

    /// Axes that exist: (z, y, x) in 3-D, (y, x) in 2-D, as indices into `n`.
    pub fn axes(&self) -> std::ops::Range<usize> {
        (3 - self.dims)..3
    }

    /// Cell centre coordinate along `axis` (0 = z, 1 = y, 2 = x) of global cell index `i`.
    #[inline]
    pub fn centre(&self, axis: usize, i: usize) -> f64 {
        (i as f64 + 0.5) * self.d[axis]
    }

    /// The global array shape: (ny, nx) in 2-D, (nz, ny, nx) in 3-D.
    pub fn shape(&self) -> Vec<usize> {
        self.n[3 - self.dims..].to_vec()
    }

    /// Cells per axis in the order sizes are printed: [nx, ny] or [nx, ny, nz].
    pub fn shape_xyz(&self) -> Vec<usize> {
        let mut s = self.shape();
        s.reverse();
        s
    }

    /// The grid size as printed for people: "nx x ny" or "nx x ny x nz" (README "Axes").
    pub fn size_text(&self) -> String {
        self.shape_xyz().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" x ")
    }
}
