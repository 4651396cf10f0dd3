//! XDMF sidecars so ParaView (and VisIt) open the HDF5 outputs directly: [`write_file`] describes
//! one file at one time (`final.xdmf` beside `final.h5`), [`write_series`] a time series, one file
//! per level (`checkpoints.xdmf`, field outputs). Both write under a temporary name and rename.
//!
//! Layout (`scripts/paraview-check.sh` renders it with both ParaView readers, Xdmf3ReaderS, the
//! default, and XDMFReader):
//! - 3-D: cell data on a `3DCoRectMesh` of (nz+1, ny+1, nx+1) nodes from the origin, spacing
//!   (dz, dy, dx). XDMF's `Dimensions` and `ORIGIN_DXDYDZ` are in z y x order.
//! - 2-D: node data on a one-node layer: a `3DCoRectMesh` of (1, ny, nx) nodes placed at the cell
//!   centres (origin (0, dy/2, dx/2), spacing (dx, dy, dx)), data items (1, ny, nx). ParaView sees
//!   a flat image in the x-y plane and draws it coloured on Apply at any domain size. The
//!   alternatives fail in one reader or the other: a layer of cells (two nodes thick) is a volume
//!   to ParaView, drawn as an outline; cell data on a one-node layer is not read by XDMFReader; a
//!   `2DCoRectMesh` lands in the y-z plane, edge-on to the default camera.
//! - Face fields ([`is_face_field`]: `u_face`, `v_face`, `w_face`, the values on each cell's high
//!   face along x, y, z) are left out: on the cell grid they would be drawn half a cell off. The
//!   HDF5 files still hold them; the cell-centred views (`u`, `v`, ...) are in the XDMF.
//!
//! Every field is a `DataItem` naming `<file>:<group>/<name>` (file relative to the XDMF file).

use crate::error::{Error, Result};
use std::path::Path;

/// One time level: simulated time, step and the HDF5 file (relative to the XDMF file) holding it.
pub struct Level {
    pub time: f64,
    pub step: u64,
    pub file: String,
}

/// The grid the fields live on: 2 or 3 dimensions, cells (z, y, x) (nz = 1 in 2-D) and cell
/// spacing (dz, dy, dx).
#[derive(Debug, Clone, Copy)]
pub struct Mesh {
    pub dims: usize,
    pub cells: [usize; 3],
    pub spacing: [f64; 3],
}

/// What each file holds: `fields` at `<group>/<name>` (group e.g. "/fields"), as floats of
/// `precision` bytes (8 for f64, 4 for f32).
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub group: &'a str,
    pub fields: &'a [String],
    pub precision: usize,
}

impl<'a> Content<'a> {
    /// f64 fields under `/fields` (final.h5, checkpoints).
    pub fn fields_f64(fields: &'a [String]) -> Content<'a> {
        Content { group: "/fields", fields, precision: 8 }
    }
}

/// Is `name` a face field (values on the cells' high faces, not at their centres)? The engine's
/// naming convention: `u_face`, `v_face`, `w_face` (x, y, z faces).
pub fn is_face_field(name: &str) -> bool {
    name.ends_with("_face")
}

/// The fields an XDMF file shows: all but the face fields, in order.
pub fn shown_fields(fields: &[String]) -> Vec<&str> {
    fields.iter().map(String::as_str).filter(|f| !is_face_field(f)).collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn triple(v: [f64; 3]) -> String {
    format!("{:e} {:e} {:e}", v[0], v[1], v[2])
}

/// The `<Grid>` element of one level, indented by `pad`.
fn grid_xml(mesh: &Mesh, content: &Content, level: &Level, pad: &str) -> String {
    let [nz, ny, nx] = mesh.cells;
    let [dz, dy, dx] = mesh.spacing;
    let (nodes, origin, spacing, items, center) = if mesh.dims == 3 {
        let nodes = format!("{} {} {}", nz + 1, ny + 1, nx + 1);
        (nodes, [0.0; 3], [dz, dy, dx], format!("{nz} {ny} {nx}"), "Cell")
    } else {
        let nodes = format!("1 {ny} {nx}");
        (nodes, [0.0, 0.5 * dy, 0.5 * dx], [dx, dy, dx], format!("1 {ny} {nx}"), "Node")
    };
    let mut s = format!(
        "{pad}<Grid Name=\"step {}\" GridType=\"Uniform\">\n\
         {pad}  <Time Value=\"{:e}\"/>\n\
         {pad}  <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"{nodes}\"/>\n\
         {pad}  <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n\
         {pad}    <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">{}</DataItem>\n\
         {pad}    <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">{}</DataItem>\n\
         {pad}  </Geometry>\n",
        level.step,
        level.time,
        triple(origin),
        triple(spacing)
    );
    let group = content.group.trim_end_matches('/');
    for f in shown_fields(content.fields) {
        s.push_str(&format!(
            "{pad}  <Attribute Name=\"{name}\" AttributeType=\"Scalar\" Center=\"{center}\">\n\
             {pad}    <DataItem Dimensions=\"{items}\" NumberType=\"Float\" Precision=\"{}\" Format=\"HDF\">{}:{}/{name}</DataItem>\n\
             {pad}  </Attribute>\n",
            content.precision,
            esc(&level.file),
            esc(group),
            name = esc(f),
        ));
    }
    s.push_str(&format!("{pad}</Grid>\n"));
    s
}

const HEAD: &str =
    "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"3.0\">\n  <Domain>\n";
const TAIL: &str = "  </Domain>\n</Xdmf>\n";

/// The XDMF text of one HDF5 file at one time.
pub fn file_text(mesh: &Mesh, content: &Content, level: &Level) -> String {
    format!("{HEAD}{}{TAIL}", grid_xml(mesh, content, level, "    "))
}

/// The XDMF text of a time series: a temporal collection with one grid per level, in the order
/// given (oldest first).
pub fn series_text(mesh: &Mesh, content: &Content, levels: &[Level]) -> String {
    let mut s = format!("{HEAD}    <Grid Name=\"series\" GridType=\"Collection\" CollectionType=\"Temporal\">\n");
    for l in levels {
        s.push_str(&grid_xml(mesh, content, l, "      "));
    }
    s.push_str("    </Grid>\n");
    s.push_str(TAIL);
    s
}

/// Write `text` to `path` under a temporary name, then rename.
fn write_text(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("xdmf.tmp");
    let r = std::fs::write(&tmp, text).map_err(|e| Error::io(format!("cannot write {}: {e}", tmp.display()))).and_then(
        |_| std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot rename {}: {e}", tmp.display()))),
    );
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// Write `path` (atomically) describing one HDF5 file at one time.
pub fn write_file(path: &Path, mesh: &Mesh, content: &Content, level: &Level) -> Result<()> {
    write_text(path, &file_text(mesh, content, level))
}

/// Write `path` (atomically) describing a time series of HDF5 files.
pub fn write_series(path: &Path, mesh: &Mesh, content: &Content, levels: &[Level]) -> Result<()> {
    write_text(path, &series_text(mesh, content, levels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_fields_are_left_out() {
        let f: Vec<String> = ["u", "u_face", "p", "v_face"].iter().map(|s| s.to_string()).collect();
        assert_eq!(shown_fields(&f), vec!["u", "p"]);
        let mesh = Mesh { dims: 2, cells: [1, 4, 8], spacing: [1.0, 0.5, 0.25] };
        let t = file_text(&mesh, &Content::fields_f64(&f), &Level { time: 0.5, step: 3, file: "a&b.h5".into() });
        assert!(!t.contains("_face") && t.contains("a&amp;b.h5:/fields/u<"), "{t}");
    }
}
