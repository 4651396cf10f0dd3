//! What this binary is: version, git commit, build profile, cargo and target features, rustc, and
//! the MPI and HDF5 libraries it is linked with (asked at run time, so a relinked or swapped
//! shared library shows). `simrun --version` prints it, every report carries it, and the I/O code
//! can stamp files with [`BuildInfo::attributes`].
//!
//! The compile-time facts come from `build.rs`; the commit is "unknown" when the source was not a
//! git checkout. The library versions are asked once, on first use: `main` asks at start-up, on
//! the main thread, before any I/O thread exists (so the HDF5 call is made before the I/O thread
//! owns HDF5, and the MPI call before MPI is initialised, which MPI allows).

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Build and library facts of this binary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BuildInfo {
    /// The crate version, e.g. "0.1.0".
    pub version: String,
    /// Full git commit hash of the source, or "unknown".
    pub git_commit: String,
    /// Tracked files differed from the commit when built: "true", "false" or "unknown".
    pub git_dirty: String,
    /// Cargo profile ("release", "debug") and optimisation level.
    pub profile: String,
    pub opt_level: String,
    /// Cargo features compiled in ("mpi").
    pub features: Vec<String>,
    /// Target triple and the target features enabled at compile time (the kernels' run-time
    /// choice is `simd`).
    pub target: String,
    pub target_features: Vec<String>,
    /// The vectorised kernels this process runs (`SIMRUN_SIMD`, else the best the CPU has).
    pub simd: String,
    pub rustc: String,
    /// The MPI library (`MPI_Get_library_version`, first line) and MPI standard version;
    /// "none (built without mpi)" without the feature.
    pub mpi_library: String,
    pub mpi_standard: String,
    /// The HDF5 library version linked at run time.
    pub hdf5_library: String,
}

/// `simrun -V`: the version with the commit, profile and features on one line.
pub fn short_version() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| build_info().one_line().trim_start_matches("simrun ").to_string())
}

/// `simrun --version`: [`BuildInfo::long_text`].
pub fn long_version() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| build_info().long_text())
}

/// This binary's build facts (computed once per process).
pub fn build_info() -> &'static BuildInfo {
    static INFO: OnceLock<BuildInfo> = OnceLock::new();
    INFO.get_or_init(BuildInfo::probe)
}

fn list(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.split(',').map(str::trim).filter(|f| !f.is_empty()).map(String::from).collect();
    v.sort();
    v
}

#[cfg(feature = "mpi")]
fn mpi_versions() -> (String, String) {
    // Both calls are allowed before MPI_Init and after MPI_Finalize.
    let lib = mpi::environment::library_version()
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.split(',').next().unwrap_or(l).trim().to_string()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let (v, sub) = mpi::environment::version();
    (lib, format!("{v}.{sub}"))
}

#[cfg(not(feature = "mpi"))]
fn mpi_versions() -> (String, String) {
    ("none (built without mpi)".to_string(), "none".to_string())
}

impl BuildInfo {
    fn probe() -> BuildInfo {
        let (mpi_library, mpi_standard) = mpi_versions();
        let (a, b, c) = hdf5::library_version();
        let mut features = Vec::new();
        if cfg!(feature = "mpi") {
            features.push("mpi".to_string());
        }
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: env!("SIMRUN_GIT_COMMIT").to_string(),
            git_dirty: env!("SIMRUN_GIT_DIRTY").to_string(),
            profile: env!("SIMRUN_PROFILE").to_string(),
            opt_level: env!("SIMRUN_OPT_LEVEL").to_string(),
            features,
            target: env!("SIMRUN_TARGET").to_string(),
            target_features: list(env!("SIMRUN_TARGET_FEATURES")),
            simd: crate::simd::Isa::current().name().to_string(),
            rustc: env!("SIMRUN_RUSTC").to_string(),
            mpi_library,
            mpi_standard,
            hdf5_library: format!("{a}.{b}.{c}"),
        }
    }

    /// The commit shortened to 12 characters (with "-dirty" when the tracked files differed).
    pub fn short_commit(&self) -> String {
        let c: String = self.git_commit.chars().take(12).collect();
        if self.git_dirty == "true" {
            format!("{c}-dirty")
        } else {
            c
        }
    }

    /// One line: "simrun 0.1.0 (commit 1514d26ab0c1, release, mpi)".
    pub fn one_line(&self) -> String {
        let feats = if self.features.is_empty() { "no features".to_string() } else { self.features.join(",") };
        format!("simrun {} (commit {}, {}, {feats})", self.version, self.short_commit(), self.profile)
    }

    /// `simrun --version`: every fact on its own line.
    pub fn long_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.version);
        let dirty = match self.git_dirty.as_str() {
            "true" => " (tracked files modified)",
            _ => "",
        };
        let _ = writeln!(s, "git commit:      {}{dirty}", self.git_commit);
        let _ = writeln!(s, "build profile:   {} (opt-level {})", self.profile, self.opt_level);
        let feats = if self.features.is_empty() { "none".to_string() } else { self.features.join(", ") };
        let _ = writeln!(s, "features:        {feats}");
        let _ = writeln!(s, "target:          {}", self.target);
        let _ = writeln!(s, "target features: {}", self.target_features.join(","));
        let _ = writeln!(s, "simd kernels:    {}", self.simd);
        let _ = writeln!(s, "rustc:           {}", self.rustc);
        let _ = writeln!(s, "MPI library:     {} (MPI standard {})", self.mpi_library, self.mpi_standard);
        let _ = write!(s, "HDF5 library:    {}", self.hdf5_library);
        s
    }

    /// Flat name/value pairs for file attributes (e.g. HDF5 attributes of checkpoints and
    /// final.h5): `simrun_version`, `simrun_git_commit`, `simrun_build`, `simrun_libraries`.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        vec![
            ("simrun_version", self.version.clone()),
            ("simrun_git_commit", self.short_commit()),
            (
                "simrun_build",
                format!(
                    "{} opt-level {}, features [{}], {}",
                    self.profile,
                    self.opt_level,
                    self.features.join(","),
                    self.rustc
                ),
            ),
            ("simrun_libraries", format!("MPI: {}; HDF5: {}", self.mpi_library, self.hdf5_library)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_filled_and_consistent() {
        let b = build_info();
        assert_eq!(b.version, env!("CARGO_PKG_VERSION"));
        assert!(b.git_commit == "unknown" || b.git_commit.chars().all(|c| c.is_ascii_hexdigit()), "{}", b.git_commit);
        assert_eq!(b.features.contains(&"mpi".to_string()), cfg!(feature = "mpi"));
        assert!(b.rustc.starts_with("rustc") || b.rustc == "unknown");
        let v: Vec<u32> = b.hdf5_library.split('.').map(|p| p.parse().unwrap()).collect();
        assert!(v.len() == 3 && v[0] >= 1, "{}", b.hdf5_library);
        // Every fact appears in the long text and the attributes name the commit.
        let text = b.long_text();
        for f in [&b.git_commit, &b.profile, &b.rustc, &b.mpi_library, &b.hdf5_library, &b.simd] {
            assert!(text.contains(f.as_str()), "{f} missing from {text}");
        }
        let attrs = b.attributes();
        assert!(attrs
            .iter()
            .any(|(k, v)| *k == "simrun_git_commit" && b.git_commit.starts_with(v.trim_end_matches("-dirty"))));
        assert!(b.one_line().contains(&b.short_commit()));
    }
}
