//! Cartesian domain decomposition: which block of the global grid each rank owns, and who its
//! neighbours are. Pure logic, no MPI: unit-tested on its own.
//!
//! Ranks form a process grid (pz, py, px) (pz = 1 in 2-D), numbered with x fastest:
//! rank = (cz * py + cy) * px + cx. Along an axis of n cells split over p ranks, block c holds
//! n / p cells, plus one for the first n % p blocks (uneven splits allowed).

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Decomp {
    pub dims: usize,
    /// Global cells (nz, ny, nx).
    pub global: [usize; 3],
    /// Process grid (pz, py, px).
    pub procs: [usize; 3],
    pub rank: usize,
    /// This rank's coordinates in the process grid.
    pub coords: [usize; 3],
    /// First global cell of the local block, per axis.
    pub offset: [usize; 3],
    /// Local block size, per axis.
    pub size: [usize; 3],
    /// Periodic axes (z, y, x).
    pub periodic: [bool; 3],
}

/// Block `c` of `p` along an axis of `n` cells: (offset, size).
pub fn split(n: usize, p: usize, c: usize) -> (usize, usize) {
    let base = n / p;
    let rem = n % p;
    let size = base + usize::from(c < rem);
    let offset = c * base + c.min(rem);
    (offset, size)
}

/// Choose a balanced process grid for `nranks` ranks over global cells `n` (z, y, x): among all
/// factorisations with at least one cell per rank on every axis, the one with the smallest halo
/// surface per rank (ties: the most nearly cubic block, then more ranks along slower axes, so x
/// rows stay long).
pub fn choose_procs(n: [usize; 3], dims: usize, nranks: usize) -> Result<[usize; 3]> {
    let mut best: Option<([usize; 3], f64, f64)> = None;
    let zmax = if dims == 3 { nranks } else { 1 };
    for pz in 1..=zmax {
        if !nranks.is_multiple_of(pz) {
            continue;
        }
        let rest = nranks / pz;
        for py in 1..=rest {
            if !rest.is_multiple_of(py) {
                continue;
            }
            let px = rest / py;
            let p = [pz, py, px];
            if (0..3).any(|a| p[a] > n[a]) {
                continue;
            }
            let local: Vec<f64> = (0..3).map(|a| n[a] as f64 / p[a] as f64).collect();
            // Halo surface of one block: sum over split axes of the face area.
            let mut surface = 0.0;
            for (a, &pa) in p.iter().enumerate() {
                if pa > 1 {
                    surface += 2.0 * (0..3).filter(|&b| b != a).map(|b| local[b]).product::<f64>();
                }
            }
            // Ties: the most nearly cubic block, then more ranks along slower axes.
            let used: Vec<f64> = (3 - dims..3).map(|a| local[a]).collect();
            let aspect = used.iter().cloned().fold(0.0, f64::max) / used.iter().cloned().fold(f64::INFINITY, f64::min);
            let better = match &best {
                None => true,
                Some((bp, s, asp)) => {
                    surface < *s - 1e-9
                        || (surface <= *s + 1e-9 && (aspect < *asp - 1e-9 || (aspect <= *asp + 1e-9 && p > *bp)))
                }
            };
            if better {
                best = Some((p, surface, aspect));
            }
        }
    }
    best.map(|(p, _, _)| p).ok_or_else(|| {
        Error::config(format!(
            "cannot split the grid ({}) over {nranks} ranks with at least one cell per rank in each direction",
            shape_text(n, dims)
        ))
    })
}

fn shape_text(n: [usize; 3], dims: usize) -> String {
    if dims == 3 {
        format!("nx={} ny={} nz={}", n[2], n[1], n[0])
    } else {
        format!("nx={} ny={}", n[2], n[1])
    }
}

impl Decomp {
    /// The decomposition of `global` (z, y, x) over `nranks`, seen from `rank`. `layout` is the
    /// user's `parallel.layout` in (x, y[, z]) order.
    pub fn new(
        global: [usize; 3],
        dims: usize,
        nranks: usize,
        rank: usize,
        periodic: [bool; 3],
        layout: Option<&[usize]>,
    ) -> Result<Decomp> {
        let procs = match layout {
            None => choose_procs(global, dims, nranks)?,
            Some(l) => {
                if l.len() != dims {
                    return Err(Error::config(format!(
                        "key `parallel.layout` needs {dims} entries (px, py{}), got {}",
                        if dims == 3 { ", pz" } else { "" },
                        l.len()
                    )));
                }
                let p = if dims == 3 { [l[2], l[1], l[0]] } else { [1, l[1], l[0]] };
                let prod = p.iter().try_fold(1usize, |acc, &v| acc.checked_mul(v));
                if prod != Some(nranks) {
                    let made = prod.map(|v| v.to_string()).unwrap_or_else(|| "too many".into());
                    return Err(Error::config(format!(
                        "key `parallel.layout` = {l:?} makes {made} ranks, but the job has {nranks}"
                    )));
                }
                for (a, name) in [(0, "z"), (1, "y"), (2, "x")] {
                    if p[a] == 0 || p[a] > global[a] {
                        return Err(Error::config(format!(
                            "key `parallel.layout` puts {} ranks along {name}, which has only {} cells",
                            p[a], global[a]
                        )));
                    }
                }
                p
            }
        };
        let coords = [rank / (procs[1] * procs[2]), (rank / procs[2]) % procs[1], rank % procs[2]];
        let mut offset = [0; 3];
        let mut size = [0; 3];
        for a in 0..3 {
            let (o, s) = split(global[a], procs[a], coords[a]);
            offset[a] = o;
            size[a] = s;
        }
        Ok(Decomp { dims, global, procs, rank, coords, offset, size, periodic })
    }

    /// The whole grid as one block (a single process).
    pub fn single(global: [usize; 3], dims: usize, periodic: [bool; 3]) -> Decomp {
        Decomp::new(global, dims, 1, 0, periodic, None).expect("one rank always fits")
    }

    pub fn nranks(&self) -> usize {
        self.procs.iter().product()
    }

    pub fn rank_of(&self, c: [usize; 3]) -> usize {
        (c[0] * self.procs[1] + c[1]) * self.procs[2] + c[2]
    }

    /// The neighbouring rank along `axis` in direction `dir` (-1 or +1), wrapping on periodic
    /// axes; `None` at a non-periodic global boundary.
    pub fn neighbour(&self, axis: usize, dir: isize) -> Option<usize> {
        let p = self.procs[axis] as isize;
        let c = self.coords[axis] as isize + dir;
        let c = if c < 0 || c >= p {
            if !self.periodic[axis] {
                return None;
            }
            c.rem_euclid(p)
        } else {
            c
        };
        let mut cc = self.coords;
        cc[axis] = c as usize;
        Some(self.rank_of(cc))
    }

    /// Does the low (dir = -1) or high (+1) face of this block lie on the global boundary?
    pub fn on_global_boundary(&self, axis: usize, dir: isize) -> bool {
        if dir < 0 {
            self.coords[axis] == 0
        } else {
            self.coords[axis] + 1 == self.procs[axis]
        }
    }

    /// Block (offset, size) of any rank.
    pub fn block_of(&self, rank: usize) -> ([usize; 3], [usize; 3]) {
        let c = [rank / (self.procs[1] * self.procs[2]), (rank / self.procs[2]) % self.procs[1], rank % self.procs[2]];
        let mut o = [0; 3];
        let mut s = [0; 3];
        for a in 0..3 {
            let (oo, ss) = split(self.global[a], self.procs[a], c[a]);
            o[a] = oo;
            s[a] = ss;
        }
        (o, s)
    }

    /// Layout in user order (px, py[, pz]).
    pub fn layout_xyz(&self) -> Vec<usize> {
        if self.dims == 3 {
            vec![self.procs[2], self.procs[1], self.procs[0]]
        } else {
            vec![self.procs[2], self.procs[1]]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_axis_without_gaps() {
        for n in 1..40 {
            for p in 1..=n.min(9) {
                let mut next = 0;
                for c in 0..p {
                    let (o, s) = split(n, p, c);
                    assert_eq!(o, next);
                    assert!(s == n / p || s == n / p + 1);
                    next = o + s;
                }
                assert_eq!(next, n);
            }
        }
    }

    #[test]
    fn chooses_balanced_grids() {
        assert_eq!(choose_procs([1, 100, 100], 2, 4).unwrap(), [1, 2, 2]);
        assert_eq!(choose_procs([1, 100, 100], 2, 2).unwrap(), [1, 2, 1]);
        assert_eq!(choose_procs([1, 10, 1000], 2, 4).unwrap(), [1, 1, 4]);
        assert_eq!(choose_procs([8, 8, 8], 3, 8).unwrap(), [2, 2, 2]);
        assert_eq!(choose_procs([1, 7, 7], 2, 3).unwrap()[0], 1);
        assert!(choose_procs([1, 2, 2], 2, 5).is_err());
    }

    #[test]
    fn neighbours_wrap_only_when_periodic() {
        let d = Decomp::new([1, 10, 10], 2, 4, 0, [false, true, false], None).unwrap();
        assert_eq!(d.procs, [1, 2, 2]);
        assert_eq!(d.neighbour(2, -1), None);
        assert_eq!(d.neighbour(2, 1), Some(1));
        assert_eq!(d.neighbour(1, -1), Some(2));
        assert_eq!(d.neighbour(1, 1), Some(2));
        assert!(d.on_global_boundary(2, -1) && !d.on_global_boundary(2, 1));
    }

    #[test]
    fn every_cell_owned_once() {
        let d0 = Decomp::new([5, 7, 11], 3, 6, 0, [false; 3], None).unwrap();
        let mut seen = vec![0u8; 5 * 7 * 11];
        for r in 0..6 {
            let d = Decomp::new([5, 7, 11], 3, 6, r, [false; 3], None).unwrap();
            assert_eq!(d.block_of(r), (d.offset, d.size));
            assert_eq!(d0.block_of(r), (d.offset, d.size));
            for z in 0..d.size[0] {
                for y in 0..d.size[1] {
                    for x in 0..d.size[2] {
                        seen[((d.offset[0] + z) * 7 + d.offset[1] + y) * 11 + d.offset[2] + x] += 1;
                    }
                }
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
    }

    #[test]
    fn layout_errors_are_clear() {
        let e = Decomp::new([1, 10, 10], 2, 4, 0, [false; 3], Some(&[3, 1])).unwrap_err();
        assert!(e.message.contains("parallel.layout"), "{}", e.message);
        let e = Decomp::new([1, 10, 2], 2, 4, 0, [false; 3], Some(&[4, 1])).unwrap_err();
        assert!(e.message.contains("only 2 cells"), "{}", e.message);
    }
}
