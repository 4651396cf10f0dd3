//! Output: HDF5 files ([`hdf5_out`], [`checkpoint`], field outputs [`field_out`], reading
//! self-contained files back [`whole_file`]), the I/O thread that writes them ([`thread`]),
//! coordinates and units on every field dataset ([`describe`]), the diagnostics time series
//! ([`diag_csv`]), XDMF sidecars ([`xdmf`]), PNG images of fields ([`png_out`], labelled by
//! [`labels`]) and line plots ([`plot`]), both drawn with plotters and written atomically
//! ([`drawing`]). Only the I/O thread calls HDF5 during a run.

pub mod aside;
pub mod checkpoint;
pub mod describe;
pub mod diag_csv;
pub mod drawing;
pub mod field_out;
pub mod h5err;
pub mod hdf5_out;
pub mod inspect;
pub mod labels;
pub mod meta_digest;
pub mod plot;
pub mod png_out;
pub mod thread;
pub mod whole_file;
pub mod xdmf;
