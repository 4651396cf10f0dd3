//! XDMF sidecar so ParaView (and VisIt) open the checkpoint series directly.
//!
//! Cell-centred data on a `3DCoRectMesh`: node dimensions "nz+1 ny+1 nx+1" and ORIGIN_DXDYDZ in
//! z y x order. A 2-D grid is written as one layer of cells ("2 ny+1 nx+1" nodes, spacing
//! "1 dy dx", cell data "1 ny nx"): a `2DCoRectMesh` would land in ParaView's y-z plane. The
//! series is a `Collection` of `CollectionType="Temporal"` with one `<Time>` per checkpoint.

use crate::error::{Error, Result};
use std::path::Path;

/// One time level: simulated time and the HDF5 file (relative to the XDMF file) holding it.
pub struct Level {
    pub time: f64,
    pub step: u64,
    pub file: String,
}

/// Write `path` (atomically) describing `levels`, each with `fields` at `/fields/<name>`.
pub fn write(
    path: &Path,
    dims: usize,
    global: [usize; 3],
    spacing: [f64; 3],
    fields: &[String],
    levels: &[Level],
) -> Result<()> {
    let [nz, ny, nx] = global;
    let (nodes, cells, origin, step) = if dims == 3 {
        (
            format!("{} {} {}", nz + 1, ny + 1, nx + 1),
            format!("{nz} {ny} {nx}"),
            "0 0 0".to_string(),
            format!("{:e} {:e} {:e}", spacing[0], spacing[1], spacing[2]),
        )
    } else {
        (
            format!("2 {} {}", ny + 1, nx + 1),
            format!("1 {ny} {nx}"),
            "0 0 0".to_string(),
            format!("1 {:e} {:e}", spacing[1], spacing[2]),
        )
    };
    let mut s = String::from(
        "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"3.0\">\n  <Domain>\n    <Grid Name=\"series\" GridType=\"Collection\" CollectionType=\"Temporal\">\n",
    );
    for l in levels {
        s.push_str(&format!(
            "      <Grid Name=\"step {}\" GridType=\"Uniform\">\n        <Time Value=\"{:e}\"/>\n        <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"{nodes}\"/>\n        <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">{origin}</DataItem>\n          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">{step}</DataItem>\n        </Geometry>\n",
            l.step, l.time
        ));
        for f in fields {
            s.push_str(&format!(
                "        <Attribute Name=\"{f}\" AttributeType=\"Scalar\" Center=\"Cell\">\n          <DataItem Dimensions=\"{cells}\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">{}:/fields/{f}</DataItem>\n        </Attribute>\n",
                l.file
            ));
        }
        s.push_str("      </Grid>\n");
    }
    s.push_str("    </Grid>\n  </Domain>\n</Xdmf>\n");
    let tmp = path.with_extension("xdmf.tmp");
    std::fs::write(&tmp, s).map_err(|e| Error::io(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot rename {}: {e}", tmp.display())))
}

/// As [`write`], for data stored with `bytes` bytes per value (4: f32 field outputs): the HDF
/// data items of the attributes say so.
pub fn write_with_precision(
    path: &Path,
    dims: usize,
    global: [usize; 3],
    spacing: [f64; 3],
    fields: &[String],
    levels: &[Level],
    bytes: usize,
) -> Result<()> {
    write(path, dims, global, spacing, fields, levels)?;
    if bytes == 8 {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("cannot read {}: {e}", path.display())))?;
    let text = text.replace("Precision=\"8\" Format=\"HDF\"", &format!("Precision=\"{bytes}\" Format=\"HDF\""));
    crate::io::checkpoint::write_atomically(path, text.as_bytes())
}
