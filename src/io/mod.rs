//! Output: HDF5 files ([`hdf5_out`]), PNG images ([`png_out`]) and line plots ([`plot`]). Only this module calls HDF5.

pub mod colormap;
pub mod font;
pub mod hdf5_out;
pub mod plot;
pub mod png_out;
