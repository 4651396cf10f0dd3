//! How work is spread, passed around as values:
//! - [`Exec`]: the threads of this process; splits sweeps over x-rows into bands.
//! - [`Comm`]: the ranks (a single process, or MPI): halo exchange, reductions, gathers.
//! - [`team::Team`]: threads that spin between short parallel loops (multigrid levels, weather
//!   stages), where a hand-off to the rayon pool per loop costs more than the loop.
//! - [`ExactSum`]: an exact, order-independent sum, so reductions give the same bits for any split.

mod comm;
mod exact_sum;
mod exec;
mod halo;
mod min_max;
#[cfg(feature = "mpi")]
pub mod mpi_comm;
pub mod team;

pub use comm::{Comm, SingleComm};
pub use exact_sum::ExactSum;
pub use exec::Exec;
pub use halo::{pack_slab, unpack_slab, GhostFill, SlabSpec};
pub use min_max::min_max_total;

/// Minimum by total order (so -0.0 < 0.0 and the result never depends on argument order).
#[inline]
pub fn min_total(a: f64, b: f64) -> f64 {
    if b.total_cmp(&a).is_lt() {
        b
    } else {
        a
    }
}

/// Maximum by total order.
#[inline]
pub fn max_total(a: f64, b: f64) -> f64 {
    if b.total_cmp(&a).is_gt() {
        b
    } else {
        a
    }
}
