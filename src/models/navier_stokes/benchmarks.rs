//! Published lid-driven cavity results, compiled in from `assets/reference/` so that the tests and
//! `cavity-profiles` need no file outside the repository (and an installed binary none at all):
//! - Ghia, Ghia & Shin (1982), J. Comput. Phys. 48:387-411, Tables I and II: u on x = 0.5 and
//!   v on y = 0.5 at Re = 100, 400, 1000 (a 129 x 129 multigrid solution).
//! - Botella & Peyret (1998), Computers & Fluids 27(4):421-433: the Re = 1000 centreline
//!   extrema of a Chebyshev spectral solution, converged to the digits given.

use super::profiles::{parse_ghia, Profile};
use crate::error::Result;

/// A reference table: its file name under assets/reference/ and its text.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub text: &'static str,
}

/// Ghia et al. Table I: u along the vertical centreline x = 0.5.
pub const GHIA_U: Table = Table {
    name: "ghia1982_u_vertical_centreline.csv",
    text: include_str!("../../../assets/reference/ghia1982_u_vertical_centreline.csv"),
};

/// Ghia et al. Table II: v along the horizontal centreline y = 0.5.
pub const GHIA_V: Table = Table {
    name: "ghia1982_v_horizontal_centreline.csv",
    text: include_str!("../../../assets/reference/ghia1982_v_horizontal_centreline.csv"),
};

/// Botella & Peyret: Re = 1000 centreline extrema.
pub const BOTELLA_PEYRET_RE1000: Table = Table {
    name: "botella_peyret1998_re1000_extrema.csv",
    text: include_str!("../../../assets/reference/botella_peyret1998_re1000_extrema.csv"),
};

impl Table {
    /// The (coordinate, value) points of a Ghia table at Reynolds number `re` (100, 400, 1000).
    pub fn ghia(&self, re: u32) -> Result<Profile> {
        parse_ghia(self.text, self.name, re)
    }
}

/// An extreme value of a centreline velocity and where it lies along the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extremum {
    pub value: f64,
    pub at: f64,
}

/// The extrema of the centreline velocities: min u on x = 0.5, max and min v on y = 0.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CentrelineExtrema {
    pub u_min: Extremum,
    pub v_max: Extremum,
    pub v_min: Extremum,
}

/// Botella & Peyret's Re = 1000 extrema (from [`BOTELLA_PEYRET_RE1000`]).
pub fn botella_peyret_re1000() -> CentrelineExtrema {
    let row = |q: &str| -> Extremum {
        let line = BOTELLA_PEYRET_RE1000.text.lines().find(|l| l.starts_with(&format!("{q},")));
        let f: Vec<f64> =
            line.expect("row in the shipped table").split(',').skip(1).map(|s| s.parse().unwrap()).collect();
        Extremum { value: f[0], at: f[1] }
    };
    CentrelineExtrema { u_min: row("u_min"), v_max: row("v_max"), v_min: row("v_min") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_parse() {
        for re in [100, 400, 1000] {
            let (u, v) = (GHIA_U.ghia(re).unwrap(), GHIA_V.ghia(re).unwrap());
            assert_eq!((u.len(), v.len()), (17, 17), "Re {re}");
            assert_eq!((u[0], u[16]), ((0.0, 0.0), (1.0, 1.0)));
            assert_eq!((v[0], v[16]), ((0.0, 0.0), (1.0, 0.0)));
        }
        let bp = botella_peyret_re1000();
        assert_eq!(bp.u_min, Extremum { value: -0.3885698, at: 0.1717 });
        // The spectral extrema lie beyond Ghia's nearest points, a few thousandths away.
        let near =
            |p: &Profile, at: f64| p.iter().min_by(|a, b| (a.0 - at).abs().total_cmp(&(b.0 - at).abs())).unwrap().1;
        assert!((near(&GHIA_U.ghia(1000).unwrap(), bp.u_min.at) - bp.u_min.value).abs() < 0.01);
        assert!((near(&GHIA_V.ghia(1000).unwrap(), bp.v_max.at) - bp.v_max.value).abs() < 0.01);
        assert!((near(&GHIA_V.ghia(1000).unwrap(), bp.v_min.at) - bp.v_min.value).abs() < 0.015);
    }
}
