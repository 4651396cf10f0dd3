//! What a model says about each field it can write (its view and state fields): units, a long
//! name and where on the grid the values sit ([`Centring`]), plus the names and units of its
//! axes. Each model declares one static [`FieldTable`] in its folder (`fields.rs`), returned by
//! [`super::ModelSpec::fields`]; the output code ([`crate::io::describe`]) turns it into HDF5
//! attributes and dimension scales.

/// Where a field's values sit. Face fields keep the cell shape: value `i` along the face axis is
/// on the HIGH face of cell `i` (the MAC convention of [`crate::models::navier_stokes`]), at
/// `(i + 1) * d` along that axis, cell centres along the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Centring {
    Cell,
    XFace,
    YFace,
    ZFace,
}

impl Centring {
    /// The `centring` attribute: "cell", "x_face", "y_face" or "z_face".
    pub fn as_str(self) -> &'static str {
        match self {
            Centring::Cell => "cell",
            Centring::XFace => "x_face",
            Centring::YFace => "y_face",
            Centring::ZFace => "z_face",
        }
    }
    /// The face axis as an index into (z, y, x), if any.
    pub fn face_axis(self) -> Option<usize> {
        match self {
            Centring::Cell => None,
            Centring::ZFace => Some(0),
            Centring::YFace => Some(1),
            Centring::XFace => Some(2),
        }
    }
}

/// One field: its name as written, units (UDUNITS strings; "1" = dimensionless), long name and
/// centring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: &'static str,
    pub units: &'static str,
    pub long_name: &'static str,
    pub centring: Centring,
}

impl FieldInfo {
    pub const fn cell(name: &'static str, units: &'static str, long_name: &'static str) -> FieldInfo {
        FieldInfo { name, units, long_name, centring: Centring::Cell }
    }
}

/// A model's fields and axes.
#[derive(Debug, Clone, Copy)]
pub struct FieldTable {
    /// Every field the model can write (view and state fields).
    pub fields: &'static [FieldInfo],
    /// Units of the coordinates (the grid's lengths `grid.lx` ...).
    pub length_units: &'static str,
    /// Long names of the axes z, y, x.
    pub axis_names: [&'static str; 3],
}

impl FieldTable {
    /// The entry of field `name`.
    pub fn get(&self, name: &str) -> Option<&'static FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }
}
