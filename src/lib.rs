//! simrun: a simulation engine for structured grids.
//!
//! The CPU-bound work (stencil sweeps, solvers) runs on rayon threads inside a process and on MPI
//! ranks across processes; physics kernels never know which. Layout:
//! - [`config`]: the typed TOML configuration, validation and `--set` overrides.
//! - [`grid`], [`decomp`], [`field`]: global geometry, the split into rank-local blocks, fields with halos.
//! - [`par`]: how work is spread: the execution policy (threads) and the communicator (halo exchange,
//!   deterministic reductions).
//! - [`models`]: the physics (heat, ...), pure kernels over local blocks, and the registry that
//!   lists them once (each model's config section, checks, dt plan, memory footprint).
//! - [`memory`]: a run's memory estimate per process against the memory available to it.
//! - [`sim`]: the driver that owns the time loop and every schedule.
//! - [`io`]: HDF5 output and PNG images.
//! - [`report`]: phase timers and the JSON run report.
//! - [`volume`]: what a configured run writes (files, bytes), for `simrun check`.
//! - [`simd`]: which instruction set the vectorised kernels run (the only runtime dispatch).
//! - [`machine`]: what the machine offers that sizes work (the L2 cache), probed once.
//! - [`build_info`]: what this binary is (version, git commit, profile, features, MPI and HDF5 libraries).
//! - [`host`]: the machine a run or study ran on (CPU model, cores, memory, load).
//! - [`scaling`]: strong/weak scaling studies over ranks x threads (`simrun scale`, `simrun compare`).

pub mod build_info;
pub mod config;
pub mod decomp;
pub mod error;
pub mod field;
pub mod grid;
pub mod host;
pub mod io;
pub mod lease;
pub mod machine;
pub mod memory;
pub mod models;
pub mod par;
pub mod report;
pub mod scaling;
pub mod sim;
pub mod simd;
pub mod volume;

pub use build_info::build_info;
pub use error::{Error, ErrorKind, Result};
