//! Output: HDF5 files ([`hdf5_out`], [`checkpoint`], field outputs [`field_out`], reading
//! self-contained files back [`whole_file`]), the I/O thread that writes them ([`thread`]),
//! XDMF sidecars ([`xdmf`]), PNG images of fields ([`png_out`]) and line plots ([`plot`]), both
//! drawn with plotters and written atomically ([`drawing`]). Only the I/O thread calls HDF5 during
//! a run.

pub mod checkpoint;
pub mod drawing;
pub mod field_out;
pub mod h5err;
pub mod hdf5_out;
pub mod plot;
pub mod png_out;
pub mod thread;
pub mod whole_file;
pub mod xdmf;
