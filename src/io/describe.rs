//! Self-describing field datasets: coordinates as HDF5 dimension scales, and `units`,
//! `long_name`, `centring` attributes, so that netCDF-4 readers (xarray with h5netcdf or netCDF4)
//! open a group of fields with named dimensions and coordinate values.
//!
//! [`describe`] takes a group holding field datasets of shape (ny, nx) or (nz, ny, nx) (C order,
//! row 0 the low edge of the axis) and adds to the same group, once each, the 1-D coordinate
//! datasets their axes need:
//! - `x`, `y`, `z`: cell centres, `(i + 0.5) * d` for i in 0..n (domain [0, l]);
//! - `x_face`, `y_face`, `z_face`: the high faces of the cells, `(i + 1) * d` (face fields keep the
//!   cell shape, see [`Centring`]).
//!
//! Each coordinate is made a dimension scale named after itself (`H5DSset_scale`) and attached to
//! the matching axis of each field (`H5DSattach_scale`), which writes `CLASS`, `NAME`,
//! `REFERENCE_LIST` and `DIMENSION_LIST` exactly as the HDF5 high-level library does for netCDF-4.
//! hdf5-metno does not wrap that library (libhdf5_hl), so the three functions used are declared
//! here and called under hdf5-metno's lock ([`hdf5::sync::sync`]). Called on the I/O thread only.

use crate::models::{Centring, FieldTable};
use hdf5::types::VarLenUnicode;
use std::collections::BTreeMap;
use std::ffi::CString;

#[link(name = "hdf5_hl")]
extern "C" {
    fn H5DSset_scale(dsid: i64, dimname: *const std::ffi::c_char) -> i32;
    fn H5DSattach_scale(did: i64, dsid: i64, idx: u32) -> i32;
    fn H5DSis_scale(did: i64) -> i32;
    fn H5DSis_attached(did: i64, dsid: i64, idx: u32) -> i32;
}

/// Axis letters in (z, y, x) order.
const AXES: [&str; 3] = ["z", "y", "x"];

/// Add coordinates and attributes to the datasets `fields` of `group` (see the module doc).
/// `spacing`: (dz, dy, dx); `table`: the model's field table (a field missing from it is an
/// error). Coordinate datasets already in the group are reused if their length fits.
pub fn describe(group: &hdf5::Group, spacing: [f64; 3], table: &FieldTable, fields: &[String]) -> hdf5::Result<()> {
    let mut coords: BTreeMap<String, hdf5::Dataset> = BTreeMap::new();
    for name in fields {
        let info = table.get(name).ok_or_else(|| hdf5::Error::from(format!("field `{name}` has no field info")))?;
        let ds = group.dataset(name)?;
        let shape = ds.shape();
        let dims = shape.len();
        if !(2..=3).contains(&dims) {
            return Err(format!("field `{name}` has {dims} dimensions (2 or 3 expected)").into());
        }
        put_str(&ds, "units", info.units)?;
        put_str(&ds, "long_name", info.long_name)?;
        put_str(&ds, "centring", info.centring.as_str())?;
        for (a, &n) in shape.iter().enumerate() {
            let g = 3 - dims + a;
            let face = info.centring.face_axis() == Some(g);
            let cname = if face { format!("{}_face", AXES[g]) } else { AXES[g].to_string() };
            if !coords.contains_key(&cname) {
                let c = coordinate(group, &cname, n, spacing[g], face, table, g)?;
                coords.insert(cname.clone(), c);
            }
            let c = &coords[&cname];
            if c.size() != n {
                return Err(format!("field `{name}` has {n} cells along {cname}, the coordinate {}", c.size()).into());
            }
            // SAFETY: both ids are open datasets owned by `ds` and `c` for the call; HDF5 is locked.
            let r = hdf5::sync::sync(|| unsafe { H5DSattach_scale(ds.id(), c.id(), a as u32) });
            if r < 0 {
                return Err(format!("cannot attach dimension scale `{cname}` to `{name}`").into());
            }
        }
    }
    Ok(())
}

/// [`describe`] with the field table of the registered model `model`.
pub fn describe_model(group: &hdf5::Group, spacing: [f64; 3], model: &str, fields: &[String]) -> hdf5::Result<()> {
    let spec = crate::models::find(model).ok_or_else(|| hdf5::Error::from(format!("unknown model `{model}`")))?;
    describe(group, spacing, spec.fields(), fields)
}

/// The coordinate dataset `name` of `group` (created and made a dimension scale if missing).
fn coordinate(
    group: &hdf5::Group,
    name: &str,
    n: usize,
    d: f64,
    face: bool,
    table: &FieldTable,
    axis: usize,
) -> hdf5::Result<hdf5::Dataset> {
    if let Ok(ds) = group.dataset(name) {
        return Ok(ds);
    }
    let values: Vec<f64> = (0..n).map(|i| if face { (i as f64 + 1.0) * d } else { (i as f64 + 0.5) * d }).collect();
    let ds = checked_1d(group, name, &values)?;
    let (centring, what) = if face {
        (
            [Centring::ZFace, Centring::YFace, Centring::XFace][axis].as_str(),
            format!("{} of the high cell faces", table.axis_names[axis]),
        )
    } else {
        ("cell", format!("{} of the cell centres", table.axis_names[axis]))
    };
    put_str(&ds, "units", table.length_units)?;
    put_str(&ds, "long_name", &what)?;
    put_str(&ds, "centring", centring)?;
    let cname = CString::new(name).map_err(|e| hdf5::Error::from(e.to_string()))?;
    // SAFETY: `ds` is an open dataset and `cname` a NUL-terminated string alive for the call.
    let r = hdf5::sync::sync(|| unsafe { H5DSset_scale(ds.id(), cname.as_ptr()) });
    if r < 0 {
        return Err(format!("cannot make `{name}` a dimension scale").into());
    }
    Ok(ds)
}

/// Is `ds` a dimension scale (a coordinate rather than a field)?
pub fn is_scale(ds: &hdf5::Dataset) -> bool {
    // SAFETY: `ds` is an open dataset for the call; HDF5 is locked.
    hdf5::sync::sync(|| unsafe { H5DSis_scale(ds.id()) }) > 0
}

/// Is the dimension scale `scale` attached to axis `idx` of `ds`?
pub fn is_attached(ds: &hdf5::Dataset, scale: &hdf5::Dataset, idx: usize) -> bool {
    // SAFETY: both ids are open datasets for the call; HDF5 is locked.
    hdf5::sync::sync(|| unsafe { H5DSis_attached(ds.id(), scale.id(), idx as u32) }) > 0
}

/// A 1-D dataset (a coordinate, a diagnostics column) in one chunk with a fletcher32 checksum,
/// so a damaged value is an error on read (in h5py and xarray too), not a silent wrong number.
/// An empty one cannot be chunked and is written plain.
pub fn checked_1d<T: hdf5::H5Type>(group: &hdf5::Group, name: &str, data: &[T]) -> hdf5::Result<hdf5::Dataset> {
    let b = group.new_dataset_builder();
    if data.is_empty() {
        b.with_data(data).create(name)
    } else {
        b.chunk(data.len()).fletcher32().with_data(data).create(name)
    }
}

/// The field datasets of `group` (its datasets that are not coordinates), sorted by name.
pub fn field_datasets(group: &hdf5::Group) -> hdf5::Result<Vec<String>> {
    let mut names = Vec::new();
    for n in group.member_names()? {
        if let Ok(ds) = group.dataset(&n) {
            if !is_scale(&ds) {
                names.push(n);
            }
        }
    }
    Ok(names)
}

fn put_str(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("attribute {name}: {e:?}")))?;
    loc.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&v)
}
